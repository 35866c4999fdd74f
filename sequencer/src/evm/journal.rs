//! What the stateful precompiles share: journaled storage of their own account, slot keys, and
//! the mapping of an outcome to revm's precompile output.

use super::datasets::{self, BatchSource, ResolveError, Versioned, Versions};
use alloy_evm::precompiles::PrecompileInput;
use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256, keccak256};
use revm::{
    bytecode::Bytecode,
    precompile::{PrecompileError, PrecompileHalt, PrecompileOutput},
};
use std::sync::Arc;

/// A storage slot key: keccak256 of the concatenated parts (Solidity-mapping style).
pub(crate) fn slot_key(parts: &[&[u8]]) -> U256 {
    U256::from_be_bytes(keccak256(parts.concat()).0)
}

/// The calling frame's journal, scoped to the precompile's own account. Every write goes through
/// it, so it reverts with the frame and commits to the state root.
pub(crate) struct Journal<'a> {
    /// The call.
    pub(crate) input: PrecompileInput<'a>,
    /// The precompile's account (its storage holds the registrations).
    pub(crate) address: Address,
}

impl<'a> Journal<'a> {
    /// The journal of `input`'s call, or the refusal of a DELEGATECALL / CALLCODE, which would run
    /// the precompile against the caller's storage.
    pub(crate) fn open(
        input: PrecompileInput<'a>,
        malformed: Bytes,
        decode_gas: u64,
    ) -> Result<Self, PrecompileOutput> {
        if input.target_address != input.bytecode_address {
            return Err(PrecompileOutput::revert(
                decode_gas.min(input.gas),
                malformed,
                input.reservoir,
            ));
        }
        let address = input.target_address;
        Ok(Self { input, address })
    }

    /// Reads one of the account's slots.
    pub(crate) fn sload(&mut self, slot: U256) -> Result<U256, PrecompileError> {
        self.input
            .internals
            .sload(self.address, slot)
            .map(|s| s.data)
            .map_err(|e| PrecompileError::Fatal(e.to_string()))
    }

    /// Reads a slot of another account (the adapter registry checks datanets).
    pub(crate) fn sload_at(
        &mut self,
        address: Address,
        slot: U256,
    ) -> Result<U256, PrecompileError> {
        self.input
            .internals
            .sload(address, slot)
            .map(|s| s.data)
            .map_err(|e| PrecompileError::Fatal(e.to_string()))
    }

    /// Writes one of the account's slots.
    pub(crate) fn sstore(&mut self, slot: U256, value: U256) -> Result<(), PrecompileError> {
        self.input
            .internals
            .sstore(self.address, slot, value)
            .map(|_| ())
            .map_err(|e| PrecompileError::Fatal(e.to_string()))
    }

    /// Stores `payload` as batch `batch` of datanet `id` (a new data account, see
    /// [`datasets`]) and returns the chain value after it; `prev` is the chain value before.
    pub(crate) fn store_batch(
        &mut self,
        id: u64,
        batch: u64,
        prev: B256,
        payload: &[u8],
    ) -> Result<B256, PrecompileError> {
        let fatal = |e: alloy_evm::EvmInternalsError| PrecompileError::Fatal(e.to_string());
        let at = datasets::batch_address(self.address, id, batch);
        let code = Bytecode::new_raw(datasets::data_code(payload).into());
        let hash = code.hash_slow();
        self.input.internals.set_code_with_hash(at, code, hash).map_err(fatal)?;
        // Nonce 1, as for any contract account.
        self.input.internals.bump_nonce(at).map_err(fatal)?;
        let head = datasets::chain_next(prev, hash);
        self.sstore(datasets::chain_key(id, batch), U256::from_be_bytes(head.0))?;
        self.sstore(datasets::batches_key(id), U256::from(batch + 1))?;
        Ok(head)
    }

    /// Datanet `id`'s batch count and chain value after its last batch (zero for none).
    pub(crate) fn batches(&mut self, id: u64) -> Result<(u64, B256), PrecompileError> {
        let count = self.sload(datasets::batches_key(id))?.saturating_to::<u64>();
        if count == 0 {
            return Ok((0, B256::ZERO));
        }
        let head = self.sload(datasets::chain_key(id, count - 1))?;
        Ok((count, B256::from(head.to_be_bytes::<32>())))
    }

    /// Datanet `id`'s index after `count` batches. The reads a cache miss needs are rolled back
    /// afterwards (they only warm accounts and slots), so the journal ends up the same whether
    /// the index was cached or not: gas and warm sets never depend on a node's cache.
    pub(crate) fn index<T: Versioned>(
        &mut self,
        versions: &Versions<T>,
        id: u64,
        count: u64,
        empty: impl FnOnce() -> Result<T, String>,
    ) -> Result<Arc<T>, PrecompileError> {
        let checkpoint = self.input.internals.checkpoint();
        let result = versions.resolve(&mut JournalBatches(self), id, count, empty);
        self.input.internals.checkpoint_revert(checkpoint);
        match result {
            Ok(index) => Ok(index),
            Err(ResolveError::State(e)) => Err(e),
            Err(ResolveError::Corrupt(why)) => Err(PrecompileError::Fatal(why)),
        }
    }

    /// Number of excluded ranges of datanet `id`.
    pub(crate) fn excluded_count(&mut self, id: u64) -> Result<u64, PrecompileError> {
        Ok(self.sload(datasets::excluded_key(id))?.saturating_to::<u64>())
    }

    /// The `count` excluded ranges of datanet `id` (as [`Self::excluded_count`] said, and the
    /// caller charged for), as half-open `[first, end)`.
    pub(crate) fn excluded(
        &mut self,
        id: u64,
        count: u64,
    ) -> Result<Vec<(u32, u32)>, PrecompileError> {
        let base = datasets::excluded_key(id);
        let mut out = Vec::with_capacity(count.min(1 << 16) as usize);
        for i in 0..count {
            let word = self.sload(base.wrapping_add(U256::from(1 + i)))?.saturating_to::<u64>();
            let (first, n) = ((word >> 32) as u32, word as u32);
            out.push((first, first.saturating_add(n)));
        }
        Ok(out)
    }

    /// Appends the range `first..first + count` to datanet `id`'s excluded ranges (two slots
    /// written); returns the new number of ranges.
    pub(crate) fn exclude(
        &mut self,
        id: u64,
        first: u32,
        count: u32,
    ) -> Result<u64, PrecompileError> {
        let base = datasets::excluded_key(id);
        let n = self.excluded_count(id)?;
        let word = (u64::from(first) << 32) | u64::from(count);
        self.sstore(base.wrapping_add(U256::from(1 + n)), U256::from(word))?;
        self.sstore(base, U256::from(n + 1))?;
        Ok(n + 1)
    }

    /// Emits a log from the precompile's address.
    pub(crate) fn log(&mut self, data: LogData) {
        self.input.internals.log(Log { address: self.address, data });
    }
}

/// A precompile's journal together with what the precompile brings to the call (the attribution
/// precompiles: their index versions), so its record readers are methods on one value.
pub(crate) struct Ctx<'a, S> {
    /// The call's journal.
    pub(crate) journal: Journal<'a>,
    /// The precompile's own context.
    pub(crate) with: S,
}

impl<'a, S> std::ops::Deref for Ctx<'a, S> {
    type Target = Journal<'a>;
    fn deref(&self) -> &Self::Target {
        &self.journal
    }
}

impl<S> std::ops::DerefMut for Ctx<'_, S> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.journal
    }
}

/// A datanet's batches as the calling frame sees them.
struct JournalBatches<'j, 'a>(&'j mut Journal<'a>);

impl BatchSource for JournalBatches<'_, '_> {
    type Error = PrecompileError;

    fn chain(&mut self, id: u64, batch: u64) -> Result<B256, PrecompileError> {
        Ok(B256::from(self.0.sload(datasets::chain_key(id, batch))?.to_be_bytes::<32>()))
    }

    fn code(&mut self, id: u64, batch: u64) -> Result<Vec<u8>, PrecompileError> {
        let at = datasets::batch_address(self.0.address, id, batch);
        let account = self
            .0
            .input
            .internals
            .load_account_code(at)
            .map_err(|e| PrecompileError::Fatal(e.to_string()))?;
        Ok(account.data.code().map(|c| c.original_bytes().to_vec()).unwrap_or_default())
    }
}

/// How a precompile call ended, before it becomes a [`PrecompileOutput`].
pub(crate) enum Outcome {
    /// Success: gas used and return data.
    Ok(u64, Bytes),
    /// Revert: gas used and revert data (a custom error).
    Revert(u64, Bytes),
    /// The call's gas does not cover the work.
    OutOfGas,
}

impl Outcome {
    /// revm's output for this outcome.
    pub(crate) fn into_output(self, reservoir: u64) -> PrecompileOutput {
        match self {
            Self::Ok(gas, out) => PrecompileOutput::new(gas, out, reservoir),
            Self::Revert(gas, data) => PrecompileOutput::revert(gas, data, reservoir),
            Self::OutOfGas => PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir),
        }
    }
}
