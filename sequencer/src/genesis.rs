//! Genesis: the chain's first state and block.
//!
//! The dev genesis funds the ten accounts of the standard test mnemonic (so Foundry's default
//! keys work as on anvil) and places the OP predeploys the execution layer relies on: `L1Block`
//! and `GasPriceOracle` (op-revm reads L1 fee parameters from `L1Block`'s storage),
//! `L2ToL1MessagePasser` (withdrawals), and the EIP-4788 / EIP-2935 system contracts that
//! every block calls. Predeploy bytecode comes from the committed Foundry artifacts, so running
//! the node needs no Solidity toolchain.

use crate::{
    builder::SealedBlock,
    state::{AccountState, StateChanges, WorldState},
};
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Sealed};
use alloy_eips::{eip2935, eip4788, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, B256, Bytes, U256, address, b256};
use alloy_signer_local::{MnemonicBuilder, coins_bip39::English};
use alloy_trie::EMPTY_ROOT_HASH;
use ol_protocol::ChainConfig;
use op_alloy::consensus::predeploys::L2_TO_L1_MESSAGE_PASSER_ADDRESS;
use revm::{bytecode::Bytecode, primitives::KECCAK_EMPTY};
use serde::Deserialize;
use std::{collections::BTreeMap, path::Path};

/// The standard test mnemonic (Foundry, Hardhat).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Balance of each dev account: 10,000 OPEN.
pub const DEV_BALANCE: U256 = U256::from_limbs([0x19e0_c9ba_b240_0000, 0x21e, 0, 0]);
/// Timestamp of the dev genesis (fixed so its hash is stable).
pub const DEV_GENESIS_TIME: u64 = 1_735_689_600;
/// Initial base fee: 1 gwei.
pub const INITIAL_BASE_FEE: u64 = 1_000_000_000;

/// `L1Block` predeploy.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");
/// `GasPriceOracle` predeploy.
pub const GAS_PRICE_ORACLE: Address = address!("420000000000000000000000000000000000000F");

/// Hash of the fixed L1 origin that dev mode pretends to derive from.
pub const DEV_L1_ORIGIN_HASH: B256 =
    b256!("0x1de0000000000000000000000000000000000000000000000000000000000001");

#[derive(Deserialize)]
struct Artifact {
    #[serde(rename = "deployedBytecode")]
    deployed: ArtifactCode,
}

#[derive(Deserialize)]
struct ArtifactCode {
    object: Bytes,
}

fn artifact_code(json: &str) -> Result<Bytes, GenesisError> {
    let artifact: Artifact =
        serde_json::from_str(json).map_err(|e| GenesisError::Artifact(e.to_string()))?;
    Ok(artifact.deployed.object)
}

/// Why a genesis could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// A committed artifact did not parse (a build problem, not a user one).
    #[error("bad predeploy artifact: {0}")]
    Artifact(String),
    /// The genesis file could not be read or parsed.
    #[error("genesis file {path}: {reason}")]
    File {
        /// Path given.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Key derivation failed.
    #[error("dev key derivation: {0}")]
    Keys(String),
}

/// One account of the genesis allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenesisAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Runtime code.
    pub code: Option<Bytes>,
    /// Storage.
    pub storage: BTreeMap<U256, U256>,
}

/// Everything needed to build block 0.
#[derive(Debug, Clone)]
pub struct GenesisSpec {
    /// Consensus parameters.
    pub chain: ChainConfig,
    /// Genesis timestamp.
    pub timestamp: u64,
    /// Genesis base fee.
    pub base_fee: u64,
    /// Allocation.
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

/// The dev accounts' addresses and private keys, derived from [`DEV_MNEMONIC`].
pub fn dev_keys() -> Result<Vec<alloy_signer_local::PrivateKeySigner>, GenesisError> {
    (0..10u32)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)
                .and_then(|b| b.build())
                .map_err(|e| GenesisError::Keys(e.to_string()))
        })
        .collect()
}

fn predeploys() -> Result<BTreeMap<Address, GenesisAccount>, GenesisError> {
    let code = |json: &str| artifact_code(json).map(Some);
    let mut alloc = BTreeMap::new();
    alloc.insert(
        L1_BLOCK,
        GenesisAccount {
            code: code(include_str!("../../contracts/artifacts/L1Block.json"))?,
            ..Default::default()
        },
    );
    alloc.insert(
        GAS_PRICE_ORACLE,
        GenesisAccount {
            code: code(include_str!("../../contracts/artifacts/GasPriceOracle.json"))?,
            // isEcotone, isFjord, isIsthmus packed into slot 0.
            storage: BTreeMap::from([(U256::ZERO, U256::from(0x010101))]),
            ..Default::default()
        },
    );
    alloc.insert(
        L2_TO_L1_MESSAGE_PASSER_ADDRESS,
        GenesisAccount {
            code: code(include_str!("../../contracts/artifacts/L2ToL1MessagePasser.json"))?,
            ..Default::default()
        },
    );
    // Stateful precompiles keep their registrations in their own storage. A nonce of 1 keeps
    // the accounts non-empty, so EIP-161 never clears them (and their storage) when touched.
    for precompile in [
        ol_precompiles::abi::INFLUENCE_ADDRESS,
        ol_precompiles::abi::TOKEN_ATTRIBUTION_ADDRESS,
        ol_precompiles::abi::ADAPTER_REGISTRY_ADDRESS,
    ] {
        alloc.insert(precompile, GenesisAccount { nonce: 1, ..Default::default() });
    }
    alloc.insert(
        eip4788::BEACON_ROOTS_ADDRESS,
        GenesisAccount {
            nonce: 1,
            code: Some(eip4788::BEACON_ROOTS_CODE.clone()),
            ..Default::default()
        },
    );
    alloc.insert(
        eip2935::HISTORY_STORAGE_ADDRESS,
        GenesisAccount {
            nonce: 1,
            code: Some(eip2935::HISTORY_STORAGE_CODE.clone()),
            ..Default::default()
        },
    );
    Ok(alloc)
}

impl GenesisSpec {
    /// The dev chain: chain id 1612, dev accounts funded, predeploys in place.
    pub fn dev(gas_limit: Option<u64>) -> Result<Self, GenesisError> {
        let mut chain = ChainConfig::dev();
        if let Some(limit) = gas_limit {
            chain.gas_limit = limit;
        }
        let mut alloc = predeploys()?;
        for key in dev_keys()? {
            alloc.insert(
                key.address(),
                GenesisAccount { balance: DEV_BALANCE, ..Default::default() },
            );
        }
        Ok(Self { chain, timestamp: DEV_GENESIS_TIME, base_fee: INITIAL_BASE_FEE, alloc })
    }

    /// Reads a geth-style `genesis.json` (alloy's `Genesis`). The chain id comes from
    /// `config.chainId`, the gas limit from `gasLimit`; OP hardforks are all active from genesis.
    /// Missing predeploys are added.
    pub fn from_file(path: &Path) -> Result<Self, GenesisError> {
        let err = |reason: String| GenesisError::File { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let genesis: alloy_genesis::Genesis =
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let mut chain = ChainConfig::dev();
        chain.chain_id = genesis.config.chain_id;
        if genesis.gas_limit > 0 {
            chain.gas_limit = genesis.gas_limit;
        }
        let mut alloc = predeploys()?;
        for (address, account) in genesis.alloc {
            alloc.insert(
                address,
                GenesisAccount {
                    nonce: account.nonce.unwrap_or_default(),
                    balance: account.balance,
                    code: account.code,
                    storage: account
                        .storage
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                        .collect(),
                },
            );
        }
        let base_fee = genesis.base_fee_per_gas.map(|f| f as u64).unwrap_or(INITIAL_BASE_FEE);
        Ok(Self { chain, timestamp: genesis.timestamp, base_fee, alloc })
    }

    /// The geth-format `genesis.json` of this spec, complete (predeploys included), so that
    /// [`GenesisSpec::from_file`] reads it back to the same genesis block whatever artifacts the
    /// reading node was built with. `coinbase` and `extraData` describe the header that
    /// [`GenesisSpec::build`] makes (the reader recomputes them from the chain config).
    pub fn to_genesis_json(&self) -> alloy_genesis::Genesis {
        let mut genesis = alloy_genesis::Genesis::default()
            .with_timestamp(self.timestamp)
            .with_gas_limit(self.chain.gas_limit)
            .with_base_fee(Some(u128::from(self.base_fee)))
            .with_coinbase(self.chain.fee_recipient)
            .with_extra_data(self.chain.extra_data(self.timestamp));
        genesis.config.chain_id = self.chain.chain_id;
        genesis.alloc = self
            .alloc
            .iter()
            .map(|(address, account)| {
                let storage = (!account.storage.is_empty()).then(|| {
                    account
                        .storage
                        .iter()
                        .map(|(k, v)| (B256::from(k.to_be_bytes()), B256::from(v.to_be_bytes())))
                        .collect()
                });
                let entry = alloy_genesis::GenesisAccount::default()
                    .with_nonce(Some(account.nonce))
                    .with_balance(account.balance)
                    .with_code(account.code.clone())
                    .with_storage(storage);
                (*address, entry)
            })
            .collect();
        genesis
    }

    /// The genesis state and block.
    pub fn build(&self) -> (WorldState, SealedBlock) {
        let mut state = WorldState::default();
        for (address, account) in &self.alloc {
            let code_hash = match &account.code {
                Some(code) if !code.is_empty() => state.load_code(Bytecode::new_raw(code.clone())),
                _ => KECCAK_EMPTY,
            };
            state.load_account(
                *address,
                AccountState { nonce: account.nonce, balance: account.balance, code_hash },
                account.storage.iter().map(|(k, v)| (*k, *v)),
            );
        }
        let state_root = state.state_root();
        let isthmus = self.chain.hardforks.is_isthmus_active(self.timestamp);
        let header = Header {
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: self.chain.fee_recipient,
            state_root,
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            gas_limit: self.chain.gas_limit,
            timestamp: self.timestamp,
            extra_data: self.chain.extra_data(self.timestamp),
            base_fee_per_gas: Some(self.base_fee),
            withdrawals_root: Some(if isthmus {
                state.storage_root(&L2_TO_L1_MESSAGE_PASSER_ADDRESS)
            } else {
                EMPTY_ROOT_HASH
            }),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: isthmus.then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        let block = SealedBlock {
            header: Sealed::new(header),
            transactions: Vec::new(),
            changes: StateChanges::default(),
        };
        (state, block)
    }

    /// Addresses in the allocation (the accounts to persist at genesis).
    pub fn addresses(&self) -> Vec<Address> {
        self.alloc.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_genesis_is_deterministic_and_funds_foundry_accounts() {
        let spec = GenesisSpec::dev(None).expect("dev genesis");
        let (mut a, block_a) = spec.build();
        let (_, block_b) = spec.build();
        assert_eq!(block_a.header.hash(), block_b.header.hash());
        // Foundry's default account 0.
        let first = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(a.account(&first).map(|acc| acc.balance), Some(DEV_BALANCE));
        assert_eq!(DEV_BALANCE, U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64)));
        assert_ne!(a.state_root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn geth_json_reads_back_to_the_same_block() {
        let mut spec = GenesisSpec::dev(Some(25_000_000)).expect("dev genesis");
        spec.chain.chain_id = 4_242;
        spec.timestamp = 1_800_000_000;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("genesis.json");
        let json = serde_json::to_string_pretty(&spec.to_genesis_json()).expect("json");
        std::fs::write(&path, json).expect("write");
        let back = GenesisSpec::from_file(&path).expect("read back");
        assert_eq!((back.chain.chain_id, back.timestamp), (4_242, 1_800_000_000));
        assert_eq!(back.chain.gas_limit, 25_000_000);
        assert_eq!(back.alloc, spec.alloc);
        assert_eq!(back.build().1.header.hash(), spec.build().1.header.hash());
        assert_ne!(
            back.build().1.header.hash(),
            GenesisSpec::dev(None).expect("dev").build().1.header.hash()
        );
    }
}
