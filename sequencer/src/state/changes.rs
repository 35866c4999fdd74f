//! One block's effect on the state, in a deterministic shape.
//!
//! revm hands back a `BundleState` keyed by hash maps; this module turns it into sorted vectors
//! with before and after values, which is what the trie update, the store's change sets (for
//! historical reads) and the prover all need.

use super::{AccountState, WorldState};
use alloy_primitives::{Address, B256, U256};
use revm::{
    bytecode::Bytecode, database::BundleState, primitives::KECCAK_EMPTY, state::AccountInfo,
};

/// How one account changed in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// The account.
    pub address: Address,
    /// Its fields before the block (`None`: did not exist).
    pub before: Option<AccountState>,
    /// Its fields after the block (`None`: removed).
    pub after: Option<AccountState>,
    /// Whether all its storage was cleared (self-destruct of a contract created in the block).
    pub wiped: bool,
    /// Changed slots as (slot, before, after), sorted by slot. When `wiped`, every slot the
    /// account held before the block is listed with `after` as its new value (often zero).
    pub storage: Vec<(U256, U256, U256)>,
}

/// A block's state changes, sorted by address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Changed accounts.
    pub accounts: Vec<AccountChange>,
    /// Code deployed in the block, sorted by hash.
    pub contracts: Vec<(B256, Bytecode)>,
}

fn lite(info: &AccountInfo) -> AccountState {
    AccountState {
        nonce: info.nonce,
        balance: info.balance,
        code_hash: if info.code_hash.is_zero() { KECCAK_EMPTY } else { info.code_hash },
    }
}

impl StateChanges {
    /// Extracts the changes from a bundle built on top of `state` (which must still be the
    /// pre-block state: wiped accounts' old slots are read from it).
    pub fn from_bundle(bundle: BundleState, state: &WorldState) -> Self {
        let mut accounts: Vec<AccountChange> = bundle
            .state
            .into_iter()
            .filter_map(|(address, account)| {
                let before = state.account(&address);
                let after = account.info.as_ref().map(lite).filter(|a| !a.is_empty());
                let wiped = account.was_destroyed();
                let mut storage: Vec<(U256, U256, U256)> = Vec::new();
                if wiped {
                    for (slot, old) in state.storage_of(&address) {
                        let new =
                            account.storage.get(&slot).map(|s| s.present_value).unwrap_or_default();
                        storage.push((slot, old, new));
                    }
                }
                for (slot, value) in &account.storage {
                    if wiped && storage.iter().any(|(s, _, _)| s == slot) {
                        continue;
                    }
                    let old = if wiped { U256::ZERO } else { value.previous_or_original_value };
                    if old != value.present_value || wiped {
                        storage.push((*slot, old, value.present_value));
                    }
                }
                storage.sort_unstable_by_key(|(slot, _, _)| *slot);
                let changed = before != after || !storage.is_empty() || wiped;
                changed.then_some(AccountChange { address, before, after, wiped, storage })
            })
            .collect();
        accounts.sort_unstable_by_key(|c| c.address);
        let mut contracts: Vec<(B256, Bytecode)> = bundle.contracts.into_iter().collect();
        contracts.sort_unstable_by_key(|(hash, _)| *hash);
        Self { accounts, contracts }
    }
}
