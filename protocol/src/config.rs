//! Consensus parameters of one L2 chain.
//!
//! One value of [`ChainConfig`] is the whole set of rules a block is checked against; the
//! sequencer reads it from the genesis file and the prover from the rollup deployment, and both
//! must hold the same value to agree on a block.

use alloy_primitives::{Address, address};
use serde::{Deserialize, Serialize};

/// The fee recipient of L2 blocks: OP's `SequencerFeeVault` predeploy.
pub const SEQUENCER_FEE_VAULT: Address = address!("4200000000000000000000000000000000000011");

/// Activation timestamps of the OP Stack hardforks this chain follows.
///
/// `None` means never active. A fresh chain activates everything up to Isthmus at genesis
/// (timestamp 0) so that it runs the Prague EVM (EIP-7702) with OP's Isthmus rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HardforkConfig {
    /// Canyon: EIP-1559 denominator change, deposit receipt version, create2 deployer.
    pub canyon_time: Option<u64>,
    /// Ecotone: Cancun EVM, blob-aware L1 fee.
    pub ecotone_time: Option<u64>,
    /// Fjord: FastLZ-based L1 fee.
    pub fjord_time: Option<u64>,
    /// Granite: bn256 pairing limit.
    pub granite_time: Option<u64>,
    /// Holocene: EIP-1559 parameters in the header's extra data.
    pub holocene_time: Option<u64>,
    /// Isthmus: Prague EVM, operator fee, withdrawals root in the header.
    pub isthmus_time: Option<u64>,
}

impl HardforkConfig {
    /// Everything up to Isthmus active from genesis.
    pub const fn isthmus_at_genesis() -> Self {
        Self {
            canyon_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            granite_time: Some(0),
            holocene_time: Some(0),
            isthmus_time: Some(0),
        }
    }

    /// Whether Isthmus rules apply to a block with this timestamp.
    pub fn is_isthmus_active(&self, timestamp: u64) -> bool {
        self.isthmus_time.is_some_and(|t| timestamp >= t)
    }

    /// Whether Holocene rules apply to a block with this timestamp.
    pub fn is_holocene_active(&self, timestamp: u64) -> bool {
        self.holocene_time.is_some_and(|t| timestamp >= t)
    }
}

impl Default for HardforkConfig {
    fn default() -> Self {
        Self::isthmus_at_genesis()
    }
}

/// EIP-1559 parameters. After Holocene they are also written into every header's extra data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Eip1559Config {
    /// How far the base fee may move per block: 1/denominator of the parent's.
    pub denominator: u32,
    /// Block gas limit divided by the gas target.
    pub elasticity: u32,
}

impl Default for Eip1559Config {
    /// OP mainnet's values since Canyon.
    fn default() -> Self {
        Self { denominator: 250, elasticity: 6 }
    }
}

/// Consensus parameters of an L2 chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Hardfork schedule.
    #[serde(default)]
    pub hardforks: HardforkConfig,
    /// Base fee rules.
    #[serde(default)]
    pub eip1559: Eip1559Config,
    /// Gas limit of every block (OP chains keep it fixed in the system config).
    pub gas_limit: u64,
    /// Who receives the priority fees and base fees of L2 blocks.
    #[serde(default = "default_fee_recipient")]
    pub fee_recipient: Address,
}

fn default_fee_recipient() -> Address {
    SEQUENCER_FEE_VAULT
}

impl ChainConfig {
    /// Chain id of the dev chain.
    pub const DEV_CHAIN_ID: u64 = 1_612;

    /// The dev chain's rules: Isthmus from genesis, 30M gas blocks.
    pub fn dev() -> Self {
        Self {
            chain_id: Self::DEV_CHAIN_ID,
            hardforks: HardforkConfig::isthmus_at_genesis(),
            eip1559: Eip1559Config::default(),
            gas_limit: 30_000_000,
            fee_recipient: SEQUENCER_FEE_VAULT,
        }
    }

    /// The base-fee parameters as alloy wants them.
    pub fn base_fee_params(&self) -> alloy_eips::eip1559::BaseFeeParams {
        alloy_eips::eip1559::BaseFeeParams::new(
            u128::from(self.eip1559.denominator),
            u128::from(self.eip1559.elasticity),
        )
    }

    /// Extra data of a header at `timestamp`: Holocene's version byte plus the EIP-1559
    /// parameters (big-endian denominator then elasticity), empty before Holocene.
    pub fn extra_data(&self, timestamp: u64) -> alloy_primitives::Bytes {
        if !self.hardforks.is_holocene_active(timestamp) {
            return alloy_primitives::Bytes::new();
        }
        let mut out = Vec::with_capacity(9);
        out.push(0u8);
        out.extend_from_slice(&self.eip1559.denominator.to_be_bytes());
        out.extend_from_slice(&self.eip1559.elasticity.to_be_bytes());
        out.into()
    }

    /// The base fee of the block after a parent with these gas figures.
    pub fn next_base_fee(
        &self,
        parent_gas_used: u64,
        parent_gas_limit: u64,
        parent_base_fee: u64,
    ) -> u64 {
        alloy_eips::eip1559::calc_next_block_base_fee(
            parent_gas_used,
            parent_gas_limit,
            parent_base_fee,
            self.base_fee_params(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holocene_extra_data_layout() {
        let cfg = ChainConfig::dev();
        let extra = cfg.extra_data(0);
        assert_eq!(extra.as_ref(), &[0, 0, 0, 0, 250, 0, 0, 0, 6]);
        // op-alloy returns (elasticity, denominator).
        let (elasticity, denominator) =
            op_alloy::consensus::decode_holocene_extra_data(&extra).expect("valid extra data");
        assert_eq!((denominator, elasticity), (250, 6));
    }

    #[test]
    fn base_fee_moves_towards_target() {
        let cfg = ChainConfig::dev();
        let target = cfg.gas_limit / 6;
        assert_eq!(cfg.next_base_fee(target, cfg.gas_limit, 1_000_000_000), 1_000_000_000);
        assert!(cfg.next_base_fee(cfg.gas_limit, cfg.gas_limit, 1_000_000_000) > 1_000_000_000);
        assert!(cfg.next_base_fee(0, cfg.gas_limit, 1_000_000_000) < 1_000_000_000);
    }
}
