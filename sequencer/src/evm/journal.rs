//! What the stateful precompiles share: journaled storage of their own account, slot keys, and
//! the mapping of an outcome to revm's precompile output.

use alloy_evm::precompiles::PrecompileInput;
use alloy_primitives::{Address, Bytes, Log, LogData, U256, keccak256};
use revm::precompile::{PrecompileError, PrecompileHalt, PrecompileOutput};

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

    /// Emits a log from the precompile's address.
    pub(crate) fn log(&mut self, data: LogData) {
        self.input.internals.log(Log { address: self.address, data });
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
