//! Historical state for `eth_call` and friends at old blocks.
//!
//! revm reads synchronously; this view answers each read with a query against the change
//! sets, blocking the calling thread. It must run on a blocking thread (`spawn_blocking`),
//! never on the async executor. Latest-state calls do not come here: they read memory.

use super::{Store, StoreError};
use alloy_primitives::{Address, B256, U256};
use revm::{
    DatabaseRef, bytecode::Bytecode, database_interface::DBErrorMarker, state::AccountInfo,
};
use tokio::runtime::Handle;

/// The state as of the end of one block.
#[derive(Debug, Clone)]
pub struct HistoricalState {
    store: Store,
    number: u64,
    handle: Handle,
}

/// A store error surfaced through revm.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct HistoricalError(#[from] StoreError);

impl DBErrorMarker for HistoricalError {}

impl HistoricalState {
    /// The state after block `number`. `handle` is the runtime the store's pool lives on.
    pub fn new(store: Store, number: u64, handle: Handle) -> Self {
        Self { store, number, handle }
    }
}

impl DatabaseRef for HistoricalState {
    type Error = HistoricalError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        let account = self.handle.block_on(self.store.account_at(address, self.number))?;
        Ok(account.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            account_id: None,
            code: None,
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.handle.block_on(self.store.code(code_hash))?.unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.handle.block_on(self.store.storage_at(address, index, self.number))?)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        if number >= self.number.saturating_add(1) || self.number.saturating_sub(number) > 256 {
            return Ok(B256::ZERO);
        }
        Ok(self.handle.block_on(self.store.header(number))?.map(|h| h.hash()).unwrap_or_default())
    }
}
