//! The live world state: flat accounts, storage and code in memory, with Merkle-Patricia tries
//! kept beside them so the state root costs what a block changed, not what the chain holds.
//!
//! ```text
//!  block execution ──reads──▶ WorldState (flat maps, via revm DatabaseRef)
//!        │
//!        └─ BundleState ─▶ StateChanges ─▶ WorldState::apply ─▶ tries re-hash dirty paths ─▶ root
//!                                   └──────▶ Store::commit_block (SQLite, one transaction)
//! ```
//!
//! The EVM never waits on the database: the store is read once at start-up to fill this
//! structure, and written once per block.

mod changes;
pub mod trie;
mod view;

pub use changes::{AccountChange, StateChanges};
pub use view::{BlockHashes, StateView};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256, map::HashMap};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use rayon::prelude::*;
use revm::{bytecode::Bytecode, primitives::KECCAK_EMPTY};
use trie::Trie;

/// One account's fields as the state trie commits to them (without the storage root, which the
/// storage trie supplies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountState {
    /// Transaction count (or creation count for contracts).
    pub nonce: u64,
    /// Balance in wei of OPEN.
    pub balance: U256,
    /// keccak256 of the code, `KECCAK_EMPTY` for none.
    pub code_hash: B256,
}

impl AccountState {
    /// EIP-161 emptiness: such accounts are removed from the trie.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code_hash == KECCAK_EMPTY
    }
}

/// An account with its storage and storage trie.
#[derive(Debug, Default)]
struct Account {
    info: AccountState,
    storage: HashMap<U256, U256>,
    trie: Trie,
}

/// Accounts, storage, code and the tries committing to them.
#[derive(Debug, Default)]
pub struct WorldState {
    accounts: HashMap<Address, Account>,
    code: HashMap<B256, Bytecode>,
    account_trie: Trie,
    /// The block whose post-state this is. The live state moves to the next block when that
    /// block is sealed, before it is stored and published as the head, so a read "at block N"
    /// checks this rather than trusting that the head and the live state agree.
    block: u64,
}

fn storage_leaf(value: U256) -> Vec<u8> {
    let mut out = Vec::with_capacity(33);
    value.encode(&mut out);
    out
}

impl WorldState {
    /// The block whose post-state this is (0 until set).
    pub fn block(&self) -> u64 {
        self.block
    }

    /// Records that this is the post-state of block `number`.
    pub fn set_block(&mut self, number: u64) {
        self.block = number;
    }

    /// Inserts an account with its storage, as read from genesis or the store. Call
    /// [`Self::state_root`] after a bulk load to hash everything once.
    pub fn load_account(
        &mut self,
        address: Address,
        info: AccountState,
        storage: impl IntoIterator<Item = (U256, U256)>,
    ) {
        let account = self.accounts.entry(address).or_default();
        account.info = info;
        for (slot, value) in storage {
            if value.is_zero() {
                continue;
            }
            account.storage.insert(slot, value);
            account.trie.insert(&keccak256(slot.to_be_bytes::<32>()), storage_leaf(value));
        }
        self.refresh_account_leaf(address);
    }

    /// Adds contract code, keyed by its hash.
    pub fn load_code(&mut self, code: Bytecode) -> B256 {
        let hash = code.hash_slow();
        self.code.insert(hash, code);
        hash
    }

    fn refresh_account_leaf(&mut self, address: Address) {
        let key = keccak256(address);
        match self.accounts.get_mut(&address) {
            Some(account) if !(account.info.is_empty() && account.storage.is_empty()) => {
                let leaf = TrieAccount::new(
                    account.info.nonce,
                    account.info.balance,
                    account.trie.root(),
                    account.info.code_hash,
                );
                let mut out = Vec::with_capacity(110);
                leaf.encode(&mut out);
                self.account_trie.insert(&key, out);
            }
            _ => {
                self.accounts.remove(&address);
                self.account_trie.remove(&key);
            }
        }
    }

    /// The account, if it exists.
    pub fn account(&self, address: &Address) -> Option<AccountState> {
        self.accounts.get(address).map(|a| a.info)
    }

    /// A storage slot (zero if unset).
    pub fn storage(&self, address: &Address, slot: &U256) -> U256 {
        self.accounts.get(address).and_then(|a| a.storage.get(slot).copied()).unwrap_or_default()
    }

    /// Every non-zero slot of an account, sorted by slot.
    pub fn storage_of(&self, address: &Address) -> Vec<(U256, U256)> {
        let mut slots: Vec<_> = self
            .accounts
            .get(address)
            .map(|a| a.storage.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default();
        slots.sort_unstable();
        slots
    }

    /// Code by hash.
    pub fn code(&self, hash: &B256) -> Option<&Bytecode> {
        self.code.get(hash)
    }

    /// Number of accounts held.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The state root, re-hashing only what changed since the last call.
    pub fn state_root(&mut self) -> B256 {
        self.account_trie.root()
    }

    /// Applies one block's changes and returns the new state root.
    ///
    /// Storage tries of different accounts are hashed in parallel: each trie's root depends
    /// only on its own contents, so the result is the same whatever the thread count.
    pub fn apply(&mut self, changes: &StateChanges) -> B256 {
        for (hash, code) in &changes.contracts {
            self.code.insert(*hash, code.clone());
        }
        for change in &changes.accounts {
            let account = self.accounts.entry(change.address).or_default();
            if change.wiped {
                account.storage.clear();
                account.trie = Trie::new();
            }
            for (slot, _, value) in &change.storage {
                let key = keccak256(slot.to_be_bytes::<32>());
                if value.is_zero() {
                    account.storage.remove(slot);
                    account.trie.remove(&key);
                } else {
                    account.storage.insert(*slot, *value);
                    account.trie.insert(&key, storage_leaf(*value));
                }
            }
            account.info = change.after.unwrap_or_default();
        }
        // Hash the touched storage tries in parallel, then fold them into the account trie in a
        // fixed order.
        let touched: alloy_primitives::map::HashSet<Address> = changes
            .accounts
            .iter()
            .filter(|c| !c.storage.is_empty() || c.wiped)
            .map(|c| c.address)
            .collect();
        self.accounts.par_iter_mut().filter(|(address, _)| touched.contains(*address)).for_each(
            |(_, account)| {
                account.trie.root();
            },
        );
        for change in &changes.accounts {
            self.refresh_account_leaf(change.address);
        }
        self.account_trie.root()
    }

    /// An EIP-1186 proof of an account and some of its slots against the current root.
    pub fn proof(&mut self, address: Address, slots: &[B256]) -> EIP1186AccountProofResponse {
        let account_proof = self.account_trie.proof(&keccak256(address));
        let (info, storage_hash, storage_proof) = match self.accounts.get_mut(&address) {
            Some(account) => {
                let root = account.trie.root();
                let proofs = slots
                    .iter()
                    .map(|slot| {
                        let key = U256::from_be_bytes(slot.0);
                        EIP1186StorageProof {
                            key: (*slot).into(),
                            value: account.storage.get(&key).copied().unwrap_or_default(),
                            proof: account.trie.proof(&keccak256(slot)),
                        }
                    })
                    .collect();
                (account.info, root, proofs)
            }
            None => {
                let proofs = slots
                    .iter()
                    .map(|slot| EIP1186StorageProof {
                        key: (*slot).into(),
                        value: U256::ZERO,
                        proof: Vec::<Bytes>::new(),
                    })
                    .collect();
                (
                    AccountState { code_hash: KECCAK_EMPTY, ..Default::default() },
                    EMPTY_ROOT_HASH,
                    proofs,
                )
            }
        };
        EIP1186AccountProofResponse {
            address,
            balance: info.balance,
            code_hash: if info.code_hash.is_zero() { KECCAK_EMPTY } else { info.code_hash },
            nonce: info.nonce,
            storage_hash,
            account_proof,
            storage_proof,
        }
    }

    /// The storage root of one account (the L2ToL1MessagePasser's goes into Isthmus headers).
    pub fn storage_root(&mut self, address: &Address) -> B256 {
        self.accounts.get_mut(address).map(|a| a.trie.root()).unwrap_or(EMPTY_ROOT_HASH)
    }
}
