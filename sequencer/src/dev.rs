//! Dev-mode state edits ("cheats": `anvil_setBalance`, `anvil_setCode`, `anvil_setStorageAt`),
//! time control and chain snapshots.
//!
//! A cheat is not a side door into the state: it is queued and applied at the start of the next
//! block, so the block's state root, change sets and history stay consistent with what every
//! RPC method reports. Dev-mode only; a derived chain would not reproduce such blocks.

use crate::state::{AccountChange, AccountState, StateChanges, WorldState};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use revm::{bytecode::Bytecode, primitives::KECCAK_EMPTY};
use std::collections::BTreeMap;

/// One dev-mode state edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cheat {
    /// Set an account's balance.
    Balance(Address, U256),
    /// Set an account's nonce.
    Nonce(Address, u64),
    /// Replace an account's code.
    Code(Address, Bytes),
    /// Set a storage slot.
    Storage(Address, U256, U256),
}

/// Turns queued cheats into state changes against `state` (the state they apply on top of).
pub fn cheat_changes(state: &WorldState, cheats: &[Cheat]) -> StateChanges {
    let mut accounts: BTreeMap<Address, AccountChange> = BTreeMap::new();
    let mut contracts = Vec::new();
    for cheat in cheats {
        let address = match cheat {
            Cheat::Balance(a, _)
            | Cheat::Nonce(a, _)
            | Cheat::Code(a, _)
            | Cheat::Storage(a, _, _) => *a,
        };
        let change = accounts.entry(address).or_insert_with(|| {
            let before = state.account(&address);
            AccountChange { address, before, after: before, wiped: false, storage: Vec::new() }
        });
        let mut after =
            change.after.unwrap_or(AccountState { code_hash: KECCAK_EMPTY, ..Default::default() });
        match cheat {
            Cheat::Balance(_, balance) => after.balance = *balance,
            Cheat::Nonce(_, nonce) => after.nonce = *nonce,
            Cheat::Code(_, code) => {
                if code.is_empty() {
                    after.code_hash = KECCAK_EMPTY;
                } else {
                    after.code_hash = keccak256(code);
                    contracts.push((after.code_hash, Bytecode::new_raw(code.clone())));
                }
            }
            Cheat::Storage(_, slot, value) => {
                let old = change
                    .storage
                    .iter()
                    .find(|(s, _, _)| s == slot)
                    .map(|(_, before, _)| *before)
                    .unwrap_or_else(|| state.storage(&address, slot));
                change.storage.retain(|(s, _, _)| s != slot);
                change.storage.push((*slot, old, *value));
                change.storage.sort_unstable_by_key(|(s, _, _)| *s);
            }
        }
        change.after = (!after.is_empty() || !change.storage.is_empty()).then_some(after);
    }
    contracts.sort_unstable_by_key(|(hash, _): &(B256, Bytecode)| *hash);
    contracts.dedup_by_key(|(hash, _)| *hash);
    StateChanges { accounts: accounts.into_values().collect(), contracts }
}

/// Combines the changes of two consecutive steps into one (values before the first, after the
/// second), as a block's change set must record.
pub fn merge_changes(first: StateChanges, second: StateChanges) -> StateChanges {
    let mut by_address: BTreeMap<Address, AccountChange> =
        first.accounts.into_iter().map(|c| (c.address, c)).collect();
    for next in second.accounts {
        match by_address.remove(&next.address) {
            None => {
                by_address.insert(next.address, next);
            }
            Some(prev) => {
                let mut slots: BTreeMap<U256, (U256, U256)> =
                    prev.storage.iter().map(|(s, b, a)| (*s, (*b, *a))).collect();
                for (slot, before, after) in &next.storage {
                    slots.entry(*slot).and_modify(|v| v.1 = *after).or_insert((*before, *after));
                }
                let storage = slots.into_iter().map(|(s, (b, a))| (s, b, a)).collect();
                by_address.insert(
                    next.address,
                    AccountChange {
                        address: next.address,
                        before: prev.before,
                        after: next.after,
                        wiped: prev.wiped || next.wiped,
                        storage,
                    },
                );
            }
        }
    }
    let mut contracts = first.contracts;
    contracts.extend(second.contracts);
    contracts.sort_unstable_by_key(|(hash, _)| *hash);
    contracts.dedup_by_key(|(hash, _)| *hash);
    StateChanges { accounts: by_address.into_values().collect(), contracts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheats_and_merge_keep_first_before_and_last_after() {
        let mut state = WorldState::default();
        let a = Address::repeat_byte(1);
        state.load_account(
            a,
            AccountState { nonce: 1, balance: U256::from(5), code_hash: KECCAK_EMPTY },
            [(U256::from(1), U256::from(9))],
        );
        let cheats = cheat_changes(
            &state,
            &[Cheat::Balance(a, U256::from(100)), Cheat::Storage(a, U256::from(1), U256::from(10))],
        );
        assert_eq!(cheats.accounts.len(), 1);
        let c = &cheats.accounts[0];
        assert_eq!(c.before.map(|x| x.balance), Some(U256::from(5)));
        assert_eq!(c.after.map(|x| x.balance), Some(U256::from(100)));
        assert_eq!(c.storage, vec![(U256::from(1), U256::from(9), U256::from(10))]);
        let block = StateChanges {
            accounts: vec![AccountChange {
                address: a,
                before: c.after,
                after: Some(AccountState {
                    nonce: 2,
                    balance: U256::from(90),
                    code_hash: KECCAK_EMPTY,
                }),
                wiped: false,
                storage: vec![(U256::from(1), U256::from(10), U256::from(11))],
            }],
            contracts: Vec::new(),
        };
        let merged = merge_changes(cheats, block);
        let m = &merged.accounts[0];
        assert_eq!(m.before.map(|x| x.balance), Some(U256::from(5)));
        assert_eq!(m.after.map(|x| x.nonce), Some(2));
        assert_eq!(m.storage, vec![(U256::from(1), U256::from(9), U256::from(11))]);
    }
}
