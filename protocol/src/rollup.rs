//! The rollup configuration (`rollup.json`): what ties an L2 chain to its L1.
//!
//! One file, in the spirit of op-node's `rollup.json` (same field names where the meaning is
//! the same), read by the sequencer, the batcher, derivation and the prover. Everything that
//! decides which L2 blocks L1 data produces is here, so two components holding the same file
//! derive the same chain. Parsing and validation only: reading the file is the caller's job.
//!
//! ```text
//! genesis.l1        L1 block the chain starts from (its first epoch); deposits and batches
//!                   are read from the blocks after it
//! genesis.l2        the L2 genesis block, its hash and timestamp
//! block_time        seconds between L2 blocks
//! seq_window_size   L1 blocks within which an epoch's batches must land, else derivation
//!                   fills the epoch with deposit-only blocks (forced inclusion)
//! channel_timeout   L1 blocks a channel may take to complete
//! max_sequencer_drift  seconds an L2 block's timestamp may run ahead of its L1 origin's
//! confirmation_depth   L1 blocks the sequencer waits before adopting an origin
//! ```

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

/// A block of L1 or L2 by number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockId {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
}

/// Where the chain starts on both layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupGenesis {
    /// The L1 block of the first epoch.
    pub l1: BlockId,
    /// The L2 genesis block.
    pub l2: BlockId,
    /// Timestamp of the L2 genesis block.
    pub l2_time: u64,
    /// The system configuration at genesis.
    pub system_config: SystemConfig,
}

/// What op-node calls the system config: the batcher and the L1 fee parameters, fixed at
/// genesis here (no on-chain updates yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemConfig {
    /// The only address whose transactions to the inbox carry batches.
    pub batcher_addr: Address,
    /// Ecotone base-fee scalar of the L1 data fee.
    pub base_fee_scalar: u32,
    /// Ecotone blob-base-fee scalar of the L1 data fee.
    pub blob_base_fee_scalar: u32,
    /// L2 block gas limit.
    pub gas_limit: u64,
}

impl SystemConfig {
    /// The batcher hash the L1-attributes deposit carries: the address left-padded to 32 bytes.
    pub fn batcher_hash(&self) -> B256 {
        self.batcher_addr.into_word()
    }
}

/// See the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// Where the chain starts.
    pub genesis: RollupGenesis,
    /// Seconds between L2 blocks.
    pub block_time: u64,
    /// Seconds an L2 block's timestamp may exceed its L1 origin's.
    pub max_sequencer_drift: u64,
    /// L1 blocks within which an epoch's batches must be included.
    pub seq_window_size: u64,
    /// L1 blocks a channel may take from its first frame to its last.
    pub channel_timeout: u64,
    /// L1 blocks behind the L1 head that the sequencer adopts as origins.
    pub confirmation_depth: u64,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// The settlement inbox batches are sent to.
    pub batch_inbox_address: Address,
    /// The portal whose `TransactionDeposited` events become deposits.
    pub deposit_contract_address: Address,
    /// Where output roots are proposed (the settlement inbox in this deployment).
    pub l2_output_oracle_address: Address,
}

/// Why a rollup configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollupConfigError {
    /// The file is not a rollup configuration.
    #[error("rollup config does not parse: {0}")]
    Parse(String),
    /// A field that must be positive is zero.
    #[error("rollup config: {0} must be positive")]
    Zero(&'static str),
    /// An address that must be set is zero.
    #[error("rollup config: {0} is the zero address")]
    ZeroAddress(&'static str),
    /// L1 and L2 share a chain id.
    #[error("rollup config: L1 and L2 chain ids are both {0}")]
    SameChainId(u64),
    /// Channels could outlive the sequencing window, so a batch could be accepted after its
    /// epoch was already filled by forced inclusion.
    #[error("rollup config: channel_timeout {timeout} exceeds seq_window_size {window}")]
    ChannelOutlivesWindow {
        /// `channel_timeout`.
        timeout: u64,
        /// `seq_window_size`.
        window: u64,
    },
    /// The genesis hashes are unset.
    #[error("rollup config: genesis {0} hash is zero")]
    ZeroGenesisHash(&'static str),
}

impl RollupConfig {
    /// Parses and validates `rollup.json`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RollupConfigError> {
        let config: Self =
            serde_json::from_slice(bytes).map_err(|e| RollupConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules that make the configuration usable (op-node's `Config.Check`, less
    /// what does not apply here).
    pub fn validate(&self) -> Result<(), RollupConfigError> {
        let positive = [
            ("block_time", self.block_time),
            ("seq_window_size", self.seq_window_size),
            ("channel_timeout", self.channel_timeout),
            ("max_sequencer_drift", self.max_sequencer_drift),
            ("l1_chain_id", self.l1_chain_id),
            ("l2_chain_id", self.l2_chain_id),
            ("genesis.system_config.gasLimit", self.genesis.system_config.gas_limit),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(RollupConfigError::Zero(name));
        }
        let addresses = [
            ("batch_inbox_address", self.batch_inbox_address),
            ("deposit_contract_address", self.deposit_contract_address),
            ("l2_output_oracle_address", self.l2_output_oracle_address),
            ("genesis.system_config.batcherAddr", self.genesis.system_config.batcher_addr),
        ];
        if let Some((name, _)) = addresses.iter().find(|(_, a)| a.is_zero()) {
            return Err(RollupConfigError::ZeroAddress(name));
        }
        if self.l1_chain_id == self.l2_chain_id {
            return Err(RollupConfigError::SameChainId(self.l1_chain_id));
        }
        if self.channel_timeout > self.seq_window_size {
            return Err(RollupConfigError::ChannelOutlivesWindow {
                timeout: self.channel_timeout,
                window: self.seq_window_size,
            });
        }
        if self.genesis.l1.hash.is_zero() {
            return Err(RollupConfigError::ZeroGenesisHash("l1"));
        }
        if self.genesis.l2.hash.is_zero() {
            return Err(RollupConfigError::ZeroGenesisHash("l2"));
        }
        Ok(())
    }

    /// Timestamp of L2 block `number`.
    pub fn block_timestamp(&self, number: u64) -> u64 {
        let since = number.saturating_sub(self.genesis.l2.number);
        self.genesis.l2_time.saturating_add(since.saturating_mul(self.block_time))
    }

    /// The L2 block with this timestamp, if one falls on it.
    pub fn block_at(&self, timestamp: u64) -> Option<u64> {
        let since = timestamp.checked_sub(self.genesis.l2_time)?;
        (since % self.block_time == 0)
            .then(|| self.genesis.l2.number.saturating_add(since / self.block_time))
    }
}

#[cfg(test)]
impl RollupConfig {
    /// A valid config with these timings (L1 genesis hash 0x01…, L2 genesis hash 0x02…).
    pub(crate) fn for_tests(
        l2_time: u64,
        block_time: u64,
        drift: u64,
        window: u64,
        timeout: u64,
    ) -> Self {
        let json = format!(
            r#"{{"genesis":{{"l1":{{"hash":"0x{h1}","number":0}},"l2":{{"hash":"0x{h2}","number":0}},
            "l2_time":{l2_time},"system_config":{{"batcherAddr":"0x{a}","baseFeeScalar":0,
            "blobBaseFeeScalar":0,"gasLimit":30000000}}}},"block_time":{block_time},
            "max_sequencer_drift":{drift},"seq_window_size":{window},"channel_timeout":{timeout},
            "confirmation_depth":0,"l1_chain_id":1,"l2_chain_id":2,"batch_inbox_address":"0x{a}",
            "deposit_contract_address":"0x{a}","l2_output_oracle_address":"0x{a}"}}"#,
            h1 = "01".repeat(32),
            h2 = "02".repeat(32),
            a = "33".repeat(20)
        );
        match Self::from_json(json.as_bytes()) {
            Ok(config) => config,
            Err(e) => panic!("test config: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    fn sample() -> RollupConfig {
        RollupConfig {
            genesis: RollupGenesis {
                l1: BlockId { hash: B256::repeat_byte(1), number: 10 },
                l2: BlockId { hash: B256::repeat_byte(2), number: 0 },
                l2_time: 1_700_000_000,
                system_config: SystemConfig {
                    batcher_addr: address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
                    base_fee_scalar: 1368,
                    blob_base_fee_scalar: 810_949,
                    gas_limit: 30_000_000,
                },
            },
            block_time: 1,
            max_sequencer_drift: 600,
            seq_window_size: 100,
            channel_timeout: 50,
            confirmation_depth: 2,
            l1_chain_id: 31_337,
            l2_chain_id: 1_612,
            batch_inbox_address: Address::repeat_byte(0xa1),
            deposit_contract_address: Address::repeat_byte(0xa2),
            l2_output_oracle_address: Address::repeat_byte(0xa1),
        }
    }

    #[test]
    fn round_trips_with_op_node_field_names() {
        let cfg = sample();
        let json = serde_json::to_string_pretty(&cfg).expect("json");
        for name in ["\"seq_window_size\"", "\"batcherAddr\"", "\"l2_time\"", "\"l1_chain_id\""] {
            assert!(json.contains(name), "{name} missing from {json}");
        }
        assert_eq!(RollupConfig::from_json(json.as_bytes()), Ok(cfg));
    }

    #[test]
    fn refuses_what_cannot_work() {
        let mut c = sample();
        c.block_time = 0;
        assert_eq!(c.validate(), Err(RollupConfigError::Zero("block_time")));
        let mut c = sample();
        c.l2_chain_id = c.l1_chain_id;
        assert_eq!(c.validate(), Err(RollupConfigError::SameChainId(31_337)));
        let mut c = sample();
        c.channel_timeout = 101;
        assert!(matches!(c.validate(), Err(RollupConfigError::ChannelOutlivesWindow { .. })));
        let mut c = sample();
        c.genesis.system_config.batcher_addr = Address::ZERO;
        assert!(matches!(c.validate(), Err(RollupConfigError::ZeroAddress(_))));
        let mut c = sample();
        c.genesis.l1.hash = B256::ZERO;
        assert_eq!(c.validate(), Err(RollupConfigError::ZeroGenesisHash("l1")));
        assert!(matches!(RollupConfig::from_json(b"{"), Err(RollupConfigError::Parse(_))));
        assert!(matches!(RollupConfig::from_json(b"[]"), Err(RollupConfigError::Parse(_))));
    }

    #[test]
    fn block_times() {
        let c = sample();
        assert_eq!(c.block_timestamp(0), 1_700_000_000);
        assert_eq!(c.block_timestamp(5), 1_700_000_005);
        assert_eq!(c.block_at(1_700_000_005), Some(5));
        assert_eq!(c.block_at(1_699_999_999), None);
    }
}
