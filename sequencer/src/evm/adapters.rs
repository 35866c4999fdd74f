//! The LoRA adapter-registry precompile (`0x…0A03`) wired into the EVM.
//!
//! The rules are `ol_precompiles::adapters` (pure functions over an [`AdapterView`]); this
//! module supplies that view over the precompile account's journaled storage and writes the
//! resulting records back, so registrations revert with their frame and commit to the state root.
//! Training datanets must exist in the influence or the token-attribution precompile.
//!
//! Storage layout (keccak256 of the concatenated parts):
//! ```text
//! keccak("ol.adapters.count")            number of adapters (ids are 1..=count)
//! keccak(id, "adapter") + 0              owner (bytes 12..32) | rank (10..12) | version (6..10)
//!                                        | status (5)
//!                       + 1              base model id
//!                       + 2              weights hash
//!                       + 3              alpha (28..32) | target modules (24..28) | parent (16..24)
//!                                        | datanet count (15) | uri length (13..15)
//!                       + 4 ..           training datanets, 4 per slot; then the URI, 32 bytes per slot
//! keccak(owner, "owner") / keccak(base, "base")   list length; element i at keccak(list key) + i
//! ```

use super::attribution::{SLOT_READ_GAS, SLOT_WRITE_GAS, datanet_exists};
use super::journal::{Journal, slot_key};
use alloy_evm::precompiles::{DynPrecompile, PrecompileInput};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use ol_precompiles::{
    abi::{self, AdapterCall, IAdapterRegistry as I},
    adapters::{self, Adapter, AdapterError, AdapterId, AdapterParams, AdapterStatus, AdapterView},
    gas,
};
use revm::precompile::{
    PrecompileError, PrecompileHalt, PrecompileId, PrecompileOutput, PrecompileResult,
};
use std::cell::RefCell;

const DECODE_GAS: u64 = 100;
/// Most ids one list query returns.
const MAX_LIST: u32 = 1_000;

/// The precompile as alloy-evm wants it.
pub fn adapter_precompile() -> DynPrecompile {
    DynPrecompile::new_stateful(PrecompileId::custom("ol-adapters"), run)
}

fn count_key() -> U256 {
    slot_key(&[b"ol.adapters.count"])
}

fn record_key(id: AdapterId) -> U256 {
    slot_key(&[&U256::from(id).to_be_bytes::<32>(), b"adapter"])
}

fn owner_list(owner: Address) -> U256 {
    slot_key(&[owner.into_word().as_slice(), b"owner"])
}

fn base_list(base: B256) -> U256 {
    slot_key(&[base.as_slice(), b"base"])
}

fn list_item(list: U256, i: u64) -> U256 {
    slot_key(&[&list.to_be_bytes::<32>()]).wrapping_add(U256::from(i))
}

/// Journaled storage access; the first database failure is kept and turned into a fatal error.
/// The journal, for the core rules' infallible view: the first database failure is kept and
/// turned into a fatal error after the call.
struct Store<'a> {
    journal: Journal<'a>,
    failure: Option<String>,
}

impl Store<'_> {
    fn sload(&mut self, address: Address, slot: U256) -> U256 {
        self.journal.sload_at(address, slot).unwrap_or_else(|e| {
            self.failure.get_or_insert(e.to_string());
            U256::ZERO
        })
    }

    fn sstore(&mut self, slot: U256, value: U256) {
        if let Err(e) = self.journal.sstore(slot, value) {
            self.failure.get_or_insert(e.to_string());
        }
    }

    fn read(&mut self, id: AdapterId) -> Option<Adapter> {
        let address = self.journal.address;
        if id == 0 || id > self.sload(address, count_key()).saturating_to::<u64>() {
            return None;
        }
        let base = record_key(id);
        let w0 = self.sload(address, base).to_be_bytes::<32>();
        let base_model = B256::from(self.sload(address, base + U256::from(1)).to_be_bytes::<32>());
        let weights_hash =
            B256::from(self.sload(address, base + U256::from(2)).to_be_bytes::<32>());
        let w3 = self.sload(address, base + U256::from(3)).to_be_bytes::<32>();
        let owner = Address::from_slice(&w0[12..32]);
        let rank = u16::from_be_bytes([w0[10], w0[11]]);
        let version = u32::from_be_bytes([w0[6], w0[7], w0[8], w0[9]]);
        let status = match w0[5] {
            0 => AdapterStatus::Active,
            1 => AdapterStatus::Deprecated,
            _ => AdapterStatus::Revoked,
        };
        let alpha = u32::from_be_bytes([w3[28], w3[29], w3[30], w3[31]]);
        let target_modules = u32::from_be_bytes([w3[24], w3[25], w3[26], w3[27]]);
        let mut parent = [0u8; 8];
        parent.copy_from_slice(&w3[16..24]);
        let parent = u64::from_be_bytes(parent);
        let datanet_count = usize::from(w3[15]);
        let uri_len = usize::from(u16::from_be_bytes([w3[13], w3[14]]));
        let mut slot = base + U256::from(4);
        let mut training_datanets = Vec::with_capacity(datanet_count);
        for chunk in 0..datanet_count.div_ceil(4) {
            let w = self.sload(address, slot + U256::from(chunk)).to_be_bytes::<32>();
            for k in 0..4 {
                if training_datanets.len() < datanet_count {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&w[k * 8..k * 8 + 8]);
                    training_datanets.push(u64::from_be_bytes(b));
                }
            }
        }
        slot += U256::from(datanet_count.div_ceil(4));
        let mut uri = Vec::with_capacity(uri_len);
        for chunk in 0..uri_len.div_ceil(32) {
            let w = self.sload(address, slot + U256::from(chunk)).to_be_bytes::<32>();
            let take = (uri_len - uri.len()).min(32);
            uri.extend_from_slice(&w[..take]);
        }
        Some(Adapter {
            id,
            owner,
            params: AdapterParams {
                base_model,
                weights_hash,
                rank,
                alpha,
                target_modules,
                training_datanets,
                uri: String::from_utf8_lossy(&uri).into_owned(),
            },
            parent: (parent != 0).then_some(parent),
            version,
            status,
        })
    }

    fn write(&mut self, a: &Adapter, new: bool) {
        let base = record_key(a.id);
        let mut w0 = [0u8; 32];
        w0[12..32].copy_from_slice(a.owner.as_slice());
        w0[10..12].copy_from_slice(&a.params.rank.to_be_bytes());
        w0[6..10].copy_from_slice(&a.version.to_be_bytes());
        w0[5] = a.status as u8;
        self.sstore(base, U256::from_be_bytes(w0));
        if !new {
            return;
        }
        self.sstore(base + U256::from(1), U256::from_be_bytes(a.params.base_model.0));
        self.sstore(base + U256::from(2), U256::from_be_bytes(a.params.weights_hash.0));
        let mut w3 = [0u8; 32];
        w3[28..32].copy_from_slice(&a.params.alpha.to_be_bytes());
        w3[24..28].copy_from_slice(&a.params.target_modules.to_be_bytes());
        w3[16..24].copy_from_slice(&a.parent.unwrap_or(0).to_be_bytes());
        w3[15] = a.params.training_datanets.len() as u8;
        w3[13..15].copy_from_slice(&(a.params.uri.len() as u16).to_be_bytes());
        self.sstore(base + U256::from(3), U256::from_be_bytes(w3));
        let mut slot = base + U256::from(4);
        for chunk in a.params.training_datanets.chunks(4) {
            let mut w = [0u8; 32];
            for (k, id) in chunk.iter().enumerate() {
                w[k * 8..k * 8 + 8].copy_from_slice(&id.to_be_bytes());
            }
            self.sstore(slot, U256::from_be_bytes(w));
            slot += U256::from(1);
        }
        for chunk in a.params.uri.as_bytes().chunks(32) {
            let mut w = [0u8; 32];
            w[..chunk.len()].copy_from_slice(chunk);
            self.sstore(slot, U256::from_be_bytes(w));
            slot += U256::from(1);
        }
        let address = self.journal.address;
        for list in [owner_list(a.owner), base_list(a.params.base_model)] {
            let len = self.sload(address, list).saturating_to::<u64>();
            self.sstore(list_item(list, len), U256::from(a.id));
            self.sstore(list, U256::from(len + 1));
        }
        self.sstore(count_key(), U256::from(a.id));
    }

    fn list(&mut self, list: U256, offset: u32, limit: u32) -> Vec<u64> {
        let address = self.journal.address;
        let len = self.sload(address, list).saturating_to::<u64>();
        let end = len.min(u64::from(offset).saturating_add(u64::from(limit.min(MAX_LIST))));
        (u64::from(offset)..end)
            .map(|i| self.sload(address, list_item(list, i)).saturating_to::<u64>())
            .collect()
    }
}

/// The core rules' view of the registry, over journaled storage.
struct View<'s, 'a>(&'s RefCell<Store<'a>>);

impl AdapterView for View<'_, '_> {
    fn adapter(&self, id: AdapterId) -> Option<Adapter> {
        self.0.borrow_mut().read(id)
    }

    fn adapter_count(&self) -> u64 {
        let mut store = self.0.borrow_mut();
        let address = store.journal.address;
        store.sload(address, count_key()).saturating_to()
    }

    fn datanet_exists(&self, id: u64) -> bool {
        let mut store = self.0.borrow_mut();
        datanet_exists(|address, slot| store.sload(address, slot), id)
    }
}

fn run(input: PrecompileInput<'_>) -> PrecompileResult {
    let (reservoir, limit) = (input.reservoir, input.gas);
    let call = match abi::decode_adapter_call(input.data) {
        Ok(call) => call,
        Err(e) => {
            return Ok(PrecompileOutput::revert(DECODE_GAS.min(limit), e.revert_data(), reservoir));
        }
    };
    let (caller, is_static) = (input.caller, input.is_static);
    let journal = match Journal::open(input, abi::DecodeError::Malformed.revert_data(), DECODE_GAS)
    {
        Ok(j) => j,
        Err(refused) => return Ok(refused),
    };
    let store = RefCell::new(Store { journal, failure: None });
    let outcome = dispatch(&store, call, caller, is_static, limit);
    let store = store.into_inner();
    if let Some(failure) = store.failure {
        return Err(PrecompileError::Fatal(failure));
    }
    Ok(match outcome {
        Ok((gas, out)) => PrecompileOutput::new(gas, out, reservoir),
        Err(Some((gas, data))) => PrecompileOutput::revert(gas, data, reservoir),
        Err(None) => PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir),
    })
}

/// `Err(None)`: out of gas; `Err(Some(..))`: revert with data.
type Outcome = Result<(u64, Bytes), Option<(u64, Bytes)>>;

fn fail(gas: u64, e: &AdapterError) -> Outcome {
    Err(Some((gas, abi::adapter_revert(e))))
}

fn dispatch(
    store: &RefCell<Store<'_>>,
    call: AdapterCall,
    caller: Address,
    is_static: bool,
    limit: u64,
) -> Outcome {
    let view = View(store);
    let write_guard = || Err(Some((DECODE_GAS, Bytes::from(I::StaticCallWrite {}.abi_encode()))));
    let charge = |gas: u64| if gas > limit { Err(None) } else { Ok(gas) };
    match call {
        AdapterCall::registerAdapter(c) => {
            if is_static {
                return write_guard();
            }
            let params: AdapterParams = c.params.into();
            let gas = charge(new_record_gas(&params))?;
            let adapter = match adapters::register(&view, caller, params) {
                Ok(a) => a,
                Err(e) => return fail(gas, &e),
            };
            finish_new(store, &adapter, gas)
        }
        AdapterCall::newVersion(c) => {
            if is_static {
                return write_guard();
            }
            let params: AdapterParams = c.params.into();
            let gas = charge(new_record_gas(&params))?;
            let adapter = match adapters::new_version(&view, caller, c.parentId, params) {
                Ok(a) => a,
                Err(e) => return fail(gas, &e),
            };
            finish_new(store, &adapter, gas)
        }
        AdapterCall::setStatus(c) => {
            if is_static {
                return write_guard();
            }
            let gas = charge(gas::set_status_gas().saturating_add(SLOT_WRITE_GAS))?;
            let Some(status) = abi::status_from_sol(c.status) else {
                return Err(Some((gas, Bytes::from(I::MalformedInput {}.abi_encode()))));
            };
            let adapter = match adapters::set_status(&view, caller, c.id, status) {
                Ok(a) => a,
                Err(e) => return fail(gas, &e),
            };
            let mut s = store.borrow_mut();
            s.write(&adapter, false);
            s.journal.log(
                I::AdapterStatusChanged { id: adapter.id, status: c.status }.encode_log_data(),
            );
            Ok((gas, Bytes::new()))
        }
        AdapterCall::getAdapter(c) => {
            let gas = charge(gas::adapter_read_gas(1).saturating_add(16 * SLOT_READ_GAS))?;
            match view.adapter(c.id) {
                Some(a) => {
                    Ok((gas, I::getAdapterCall::abi_encode_returns(&I::Adapter::from(&a)).into()))
                }
                None => fail(gas, &AdapterError::UnknownAdapter(c.id)),
            }
        }
        AdapterCall::adaptersByOwner(c) => {
            let n = u64::from(c.limit.min(MAX_LIST));
            let gas = charge(gas::adapter_read_gas(n).saturating_add((n + 1) * SLOT_READ_GAS))?;
            let ids = store.borrow_mut().list(owner_list(c.owner), c.offset, c.limit);
            Ok((gas, I::adaptersByOwnerCall::abi_encode_returns(&ids).into()))
        }
        AdapterCall::adaptersByBaseModel(c) => {
            let n = u64::from(c.limit.min(MAX_LIST));
            let gas = charge(gas::adapter_read_gas(n).saturating_add((n + 1) * SLOT_READ_GAS))?;
            let ids = store.borrow_mut().list(base_list(c.baseModelId), c.offset, c.limit);
            Ok((gas, I::adaptersByBaseModelCall::abi_encode_returns(&ids).into()))
        }
        AdapterCall::versions(c) => {
            // The lineage from the root to `id`; each step reads one record header.
            let Some(mut current) = view.adapter(c.id) else {
                return fail(gas::adapter_read_gas(1), &AdapterError::UnknownAdapter(c.id));
            };
            let steps = u64::from(current.version);
            let gas = charge(
                gas::adapter_read_gas(steps)
                    .saturating_add(steps.saturating_mul(16 * SLOT_READ_GAS)),
            )?;
            let mut lineage = vec![current.id];
            while let Some(parent) = current.parent {
                match view.adapter(parent) {
                    Some(p) => {
                        lineage.push(p.id);
                        current = p;
                    }
                    None => break,
                }
            }
            lineage.reverse();
            Ok((gas, I::versionsCall::abi_encode_returns(&lineage).into()))
        }
        AdapterCall::adapterCount(_) => {
            let gas = charge(SLOT_READ_GAS)?;
            Ok((gas, I::adapterCountCall::abi_encode_returns(&view.adapter_count()).into()))
        }
    }
}

/// Gas of a new record: the crate's compute schedule plus every slot it writes (record header,
/// datanets, URI, two list entries, two list lengths, the count).
fn new_record_gas(params: &AdapterParams) -> u64 {
    let datanets = params.training_datanets.len() as u64;
    let uri = params.uri.len() as u64;
    let slots = 4 + datanets.div_ceil(4) + uri.div_ceil(32) + 5;
    gas::register_adapter_gas(uri, datanets).saturating_add(slots.saturating_mul(SLOT_WRITE_GAS))
}

fn finish_new(store: &RefCell<Store<'_>>, adapter: &Adapter, gas: u64) -> Outcome {
    let mut s = store.borrow_mut();
    s.write(adapter, true);
    s.journal.log(
        I::AdapterRegistered {
            id: adapter.id,
            owner: adapter.owner,
            baseModelId: adapter.params.base_model,
            parent: adapter.parent.unwrap_or(0),
            version: adapter.version,
        }
        .encode_log_data(),
    );
    Ok((gas, I::registerAdapterCall::abi_encode_returns(&adapter.id).into()))
}
