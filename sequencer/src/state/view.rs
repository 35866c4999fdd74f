//! The EVM's read path into the live state.

use super::WorldState;
use alloy_primitives::{Address, B256, U256};
use revm::{DatabaseRef, bytecode::Bytecode, state::AccountInfo};
use std::{collections::VecDeque, convert::Infallible};

/// Hashes of the most recent 256 blocks, for the BLOCKHASH opcode.
#[derive(Debug, Clone, Default)]
pub struct BlockHashes {
    first: u64,
    hashes: VecDeque<B256>,
}

impl BlockHashes {
    /// How many blocks back BLOCKHASH may look.
    pub const WINDOW: usize = 256;

    /// Records the hash of the next block (numbers must be consecutive).
    pub fn push(&mut self, number: u64, hash: B256) {
        if self.hashes.is_empty() || number != self.first + self.hashes.len() as u64 {
            self.hashes.clear();
            self.first = number;
        }
        self.hashes.push_back(hash);
        if self.hashes.len() > Self::WINDOW {
            self.hashes.pop_front();
            self.first += 1;
        }
    }

    /// The hash of block `number`, if within the window.
    pub fn get(&self, number: u64) -> Option<B256> {
        number.checked_sub(self.first).and_then(|i| self.hashes.get(i as usize)).copied()
    }
}

/// A read-only view of the state and recent block hashes that revm executes against.
#[derive(Debug, Clone, Copy)]
pub struct StateView<'a> {
    /// Accounts, storage and code.
    pub state: &'a WorldState,
    /// Recent block hashes.
    pub hashes: &'a BlockHashes,
}

impl DatabaseRef for StateView<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.state.account(&address).map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            account_id: None,
            code: self.state.code(&a.code_hash).cloned(),
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.state.code(&code_hash).cloned().unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.state.storage(&address, &index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.hashes.get(number).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_hash_window() {
        let mut hashes = BlockHashes::default();
        for n in 0..300u64 {
            hashes.push(n, B256::with_last_byte(n as u8));
        }
        assert_eq!(hashes.get(299), Some(B256::with_last_byte(299u64 as u8)));
        assert_eq!(hashes.get(44), Some(B256::with_last_byte(44)));
        assert_eq!(hashes.get(43), None);
        assert_eq!(hashes.get(300), None);
    }
}
