//! The influence-attribution precompile (`0x…0A01`) wired into the EVM.
//!
//! Datanet records live in the precompile account's storage, written through the journal
//! (`PrecompileInput::internals`); the points of each `addPoints` call are one batch stored as a
//! data account's code (see [`super::datasets`]). Both revert with their frame, commit to the
//! state root, appear in change sets and proofs, and re-execute identically. Scoring reads the
//! datanet's in-memory matrix from the version cache, keyed by the chain value that commits to
//! every batch, so a result depends only on the state.
//!
//! Storage layout (all keys are keccak256 of the concatenated parts):
//! ```text
//! keccak("ol.influence.next")                    next datanet id (ids start at 1)
//! keccak(id, "meta")                             owner (bits 0..160) | dim (160..176)
//!                                                | points (176..208) | contributors (208..240)
//! keccak(id, contributor, "seen")                1 once the contributor has a point
//! keccak(id, "batches")                          number of batches
//! keccak(id, "chain") + b                        chain value after batch b
//! code of batch_address(0x…0A01, id, b)          0x00 ‖ contributors (20 bytes each)
//!                                                ‖ sketches (dim bytes each)
//! ```
//!
//! Gas: the crate's compute schedule (`ol_precompiles::gas`), plus state growth priced like
//! Ethereum's (20,000 per new slot, `datasets::store_gas` for a batch's bytes) and 200 per slot
//! read. All of it is charged before the work it pays for; `score` charges its weighing after
//! the scan, on the exact number of positive weights (`gas::score_weigh_gas`).

use super::{
    datasets::{self, Versioned, Versions},
    journal::{self, Journal, Outcome, slot_key},
};
use alloy_evm::precompiles::{DynPrecompile, PrecompileInput};
use alloy_primitives::{Address, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use ol_precompiles::{
    abi::{self, IInfluenceAttribution as I, InfluenceCall},
    gas,
    influence::{self, Datanet, InfluenceError, InfluenceQuery},
};
use revm::precompile::{PrecompileError, PrecompileId, PrecompileOutput, PrecompileResult};
use std::{num::NonZeroU32, sync::Arc};

/// Gas per storage slot written (new state, as a fresh SSTORE).
pub const SLOT_WRITE_GAS: u64 = 20_000;
/// Gas per storage slot read while scoring.
pub const SLOT_READ_GAS: u64 = 200;
/// Gas charged for decoding and rejecting malformed input.
const DECODE_GAS: u64 = 100;

/// `excludePoints` / `excludeDocuments`: a new slot, a rewritten one, the reads and the log.
pub const EXCLUDE_GAS: u64 = 2 * SLOT_WRITE_GAS + 1_000;

/// The precompile as alloy-evm wants it, reading indexes from `versions`.
pub fn influence_precompile(versions: Arc<Versions<Datanet>>) -> DynPrecompile {
    DynPrecompile::new_stateful(PrecompileId::custom("ol-influence"), move |input| {
        run(&versions, input)
    })
}

/// A batch's payload: the contributors, then their sketches.
impl Versioned for Datanet {
    fn extend(&mut self, payload: &[u8]) -> Result<(), String> {
        let per = 20 + self.dim();
        if payload.is_empty() || !payload.len().is_multiple_of(per) {
            return Err(format!(
                "influence batch of {} bytes at dim {}",
                payload.len(),
                self.dim()
            ));
        }
        let (addresses, sketches) = payload.split_at(payload.len() / per * 20);
        let contributors: Vec<Address> =
            addresses.chunks_exact(20).map(Address::from_slice).collect();
        self.push_batch(&contributors, &abi::sketch_from_bytes(sketches))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Builds the newest index of every influence datanet in `state`; returns how many datanets
/// and points it loaded.
pub fn warm(
    versions: &Versions<Datanet>,
    state: &crate::state::WorldState,
) -> Result<(u64, u64), String> {
    let me = ol_precompiles::abi::INFLUENCE_ADDRESS;
    let next = state.storage(&me, &next_key()).saturating_to::<u64>();
    let (mut datanets, mut points) = (0, 0);
    for id in 1..next {
        let Some(meta) = Meta::decode(state.storage(&me, &meta_key(id))) else { continue };
        let count = state.storage(&me, &datasets::batches_key(id)).saturating_to::<u64>();
        let mut source = datasets::WorldBatches { state, precompile: me };
        let index = versions
            .resolve(&mut source, id, count, || empty_datanet(id, &meta))
            .map_err(|e| format!("influence datanet {id}: {e:?}"))?;
        if index.len() != meta.points as usize {
            return Err(format!(
                "influence datanet {id}: {} points stored, {} in its batches",
                meta.points,
                index.len()
            ));
        }
        datanets += 1;
        points += index.len() as u64;
    }
    Ok((datanets, points))
}

fn empty_datanet(id: u64, meta: &Meta) -> Result<Datanet, String> {
    Datanet::new(id, usize::from(meta.dim)).map_err(|e| e.to_string())
}

fn word_u64(v: u64) -> [u8; 32] {
    U256::from(v).to_be_bytes::<32>()
}

fn next_key() -> U256 {
    slot_key(&[b"ol.influence.next"])
}

fn meta_key(id: u64) -> U256 {
    slot_key(&[&word_u64(id), b"meta"])
}

fn seen_key(id: u64, who: Address) -> U256 {
    slot_key(&[&word_u64(id), who.into_word().as_slice(), b"seen"])
}

/// Whether datanet `id` exists in the influence or the token-attribution precompile, reading
/// their storage through `sload` (the adapter registry checks training datanets with it; both
/// precompiles keep a datanet's metadata under the same key shape).
pub fn datanet_exists(mut sload: impl FnMut(Address, U256) -> U256, id: u64) -> bool {
    !sload(ol_precompiles::abi::INFLUENCE_ADDRESS, meta_key(id)).is_zero()
        || !sload(ol_precompiles::abi::TOKEN_ATTRIBUTION_ADDRESS, meta_key(id)).is_zero()
}

/// Decoded `meta` slot.
#[derive(Debug, Clone, Copy, Default)]
struct Meta {
    owner: Address,
    dim: u16,
    points: u32,
    contributors: u32,
}

impl Meta {
    fn decode(word: U256) -> Option<Self> {
        if word.is_zero() {
            return None;
        }
        let bytes = word.to_be_bytes::<32>();
        // Big-endian word: bits 0..160 are the last 20 bytes.
        let owner = Address::from_slice(&bytes[12..32]);
        let dim = u16::from_be_bytes([bytes[10], bytes[11]]);
        let points = u32::from_be_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]);
        let contributors = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
        Some(Self { owner, dim, points, contributors })
    }

    fn encode(&self) -> U256 {
        let mut bytes = [0u8; 32];
        bytes[12..32].copy_from_slice(self.owner.as_slice());
        bytes[10..12].copy_from_slice(&self.dim.to_be_bytes());
        bytes[6..10].copy_from_slice(&self.points.to_be_bytes());
        bytes[2..6].copy_from_slice(&self.contributors.to_be_bytes());
        U256::from_be_bytes(bytes)
    }
}

/// The journal plus this precompile's index versions and record readers.
type Ctx<'a, 'v> = journal::Ctx<'a, &'v Versions<Datanet>>;

impl Ctx<'_, '_> {
    fn meta(&mut self, id: u64) -> Result<Option<Meta>, PrecompileError> {
        Ok(Meta::decode(self.sload(meta_key(id))?))
    }

    /// A datanet's in-memory matrix in the current state.
    fn load(&mut self, id: u64, meta: &Meta) -> Result<Arc<Datanet>, PrecompileError> {
        let (count, _) = self.batches(id)?;
        let versions = self.with;
        let index = self.journal.index(versions, id, count, || empty_datanet(id, meta))?;
        if index.len() != meta.points as usize {
            return Err(PrecompileError::Fatal(format!(
                "influence datanet {id}: {} points recorded, {} in its batches",
                meta.points,
                index.len()
            )));
        }
        Ok(index)
    }
}

fn run(versions: &Versions<Datanet>, input: PrecompileInput<'_>) -> PrecompileResult {
    let (reservoir, gas_limit) = (input.reservoir, input.gas);
    let call = match abi::decode_influence_call(input.data) {
        Ok(call) => call,
        Err(e) => {
            return Ok(PrecompileOutput::revert(
                DECODE_GAS.min(gas_limit),
                e.revert_data(),
                reservoir,
            ));
        }
    };
    let journal = match Journal::open(input, abi::DecodeError::Malformed.revert_data(), DECODE_GAS)
    {
        Ok(j) => j,
        Err(refused) => return Ok(refused),
    };
    Ok(dispatch(&mut Ctx { journal, with: versions }, call, gas_limit)?.into_output(reservoir))
}

fn revert(gas: u64, e: &InfluenceError) -> Outcome {
    Outcome::Revert(gas, abi::influence_revert(e))
}

fn dispatch(
    ctx: &mut Ctx<'_, '_>,
    call: InfluenceCall,
    limit: u64,
) -> Result<Outcome, PrecompileError> {
    let is_static = ctx.input.is_static;
    let caller = ctx.input.caller;
    let static_write = || Outcome::Revert(DECODE_GAS, I::StaticCallWrite {}.abi_encode().into());
    match call {
        InfluenceCall::createDatanet(c) => {
            if is_static {
                return Ok(static_write());
            }
            let gas = gas::create_datanet_gas().saturating_add(2 * SLOT_WRITE_GAS);
            if gas > limit {
                return Ok(Outcome::OutOfGas);
            }
            let dim = usize::from(c.dim);
            if !(influence::MIN_DIM..=influence::MAX_DIM).contains(&dim) {
                return Ok(revert(gas, &InfluenceError::InvalidDimension(dim)));
            }
            let id = ctx.sload(next_key())?.saturating_to::<u64>().max(1);
            ctx.sstore(next_key(), U256::from(id + 1))?;
            ctx.sstore(
                meta_key(id),
                Meta { owner: caller, dim: c.dim, points: 0, contributors: 0 }.encode(),
            )?;
            ctx.log(
                I::DatanetCreated { datanetId: id, owner: caller, dim: c.dim }.encode_log_data(),
            );
            Ok(Outcome::Ok(gas, I::createDatanetCall::abi_encode_returns(&id).into()))
        }
        InfluenceCall::addPoints(c) => {
            if is_static {
                return Ok(static_write());
            }
            let Some(mut meta) = ctx.meta(c.datanetId)? else {
                return Ok(Outcome::Revert(
                    DECODE_GAS,
                    I::UnknownDatanet { datanetId: c.datanetId }.abi_encode().into(),
                ));
            };
            if meta.owner != caller {
                return Ok(Outcome::Revert(
                    DECODE_GAS,
                    I::NotDatanetOwner { datanetId: c.datanetId, caller }.abi_encode().into(),
                ));
            }
            let n = c.contributors.len() as u64;
            let dim = u64::from(meta.dim);
            let payload_len = n.saturating_mul(20 + dim);
            // Contributors seen for the first time each take a new slot.
            let mut fresh = Vec::new();
            let mut checked = std::collections::HashSet::with_capacity(c.contributors.len());
            for contributor in &c.contributors {
                if checked.insert(*contributor)
                    && ctx.sload(seen_key(c.datanetId, *contributor))?.is_zero()
                {
                    fresh.push(*contributor);
                }
            }
            // New slots: chain value, plus the fresh contributors; rewritten: meta, batch count.
            let slots = 2 + 1 + fresh.len() as u64;
            let gas = gas::add_points_gas(n, dim)
                .saturating_add(datasets::store_gas(payload_len))
                .saturating_add(slots.saturating_mul(SLOT_WRITE_GAS));
            if gas > limit {
                return Ok(Outcome::OutOfGas);
            }
            let expected = c.contributors.len().saturating_mul(usize::from(meta.dim));
            if c.sketches.len() != expected || c.contributors.is_empty() {
                return Ok(revert(
                    gas,
                    &InfluenceError::BatchLength {
                        contributors: c.contributors.len(),
                        expected,
                        got: c.sketches.len(),
                    },
                ));
            }
            let first = meta.points;
            if u64::from(first).saturating_add(n) > u64::from(u32::MAX) {
                return Ok(revert(gas, &InfluenceError::DatanetFull(c.datanetId)));
            }
            let mut payload = Vec::with_capacity(payload_len as usize);
            for contributor in &c.contributors {
                payload.extend_from_slice(contributor.as_slice());
            }
            payload.extend_from_slice(&c.sketches);
            let (batch, prev) = ctx.batches(c.datanetId)?;
            ctx.store_batch(c.datanetId, batch, prev, &payload)?;
            for contributor in &fresh {
                ctx.sstore(seen_key(c.datanetId, *contributor), U256::from(1))?;
            }
            meta.contributors = meta.contributors.saturating_add(fresh.len() as u32);
            meta.points = first + n as u32;
            ctx.sstore(meta_key(c.datanetId), meta.encode())?;
            ctx.log(
                I::PointsAdded { datanetId: c.datanetId, firstIndex: first, count: n as u32 }
                    .encode_log_data(),
            );
            Ok(Outcome::Ok(gas, I::addPointsCall::abi_encode_returns(&first).into()))
        }
        InfluenceCall::excludePoints(c) => {
            if is_static {
                return Ok(static_write());
            }
            let Some(meta) = ctx.meta(c.datanetId)? else {
                return Ok(Outcome::Revert(
                    DECODE_GAS,
                    I::UnknownDatanet { datanetId: c.datanetId }.abi_encode().into(),
                ));
            };
            if meta.owner != caller {
                return Ok(Outcome::Revert(
                    DECODE_GAS,
                    I::NotDatanetOwner { datanetId: c.datanetId, caller }.abi_encode().into(),
                ));
            }
            let gas = EXCLUDE_GAS;
            if gas > limit {
                return Ok(Outcome::OutOfGas);
            }
            if c.count == 0 || u64::from(c.firstIndex) + u64::from(c.count) > u64::from(meta.points)
            {
                return Ok(Outcome::Revert(
                    gas,
                    I::InvalidRange { first: c.firstIndex, count: c.count }.abi_encode().into(),
                ));
            }
            let ranges = ctx.exclude(c.datanetId, c.firstIndex, c.count)?;
            ctx.log(
                I::PointsExcluded {
                    datanetId: c.datanetId,
                    firstIndex: c.firstIndex,
                    count: c.count,
                }
                .encode_log_data(),
            );
            Ok(Outcome::Ok(gas, I::excludePointsCall::abi_encode_returns(&ranges).into()))
        }
        InfluenceCall::score(c) => {
            score(ctx, &c.datanetIds, &c.querySketch, c.topK, c.topPoints, limit, false)
        }
        InfluenceCall::recordScore(c) => {
            if is_static {
                return Ok(static_write());
            }
            score(ctx, &c.datanetIds, &c.querySketch, c.topK, c.topPoints, limit, true)
        }
        InfluenceCall::datanetInfo(c) => {
            let gas = SLOT_READ_GAS;
            let Some(meta) = ctx.meta(c.datanetId)? else {
                return Ok(Outcome::Revert(
                    gas,
                    I::UnknownDatanet { datanetId: c.datanetId }.abi_encode().into(),
                ));
            };
            let out = (meta.owner, meta.dim, meta.points, meta.contributors).abi_encode_params();
            Ok(Outcome::Ok(gas, out.into()))
        }
    }
}

/// Most datanets one query may name.
pub const MAX_QUERY_DATANETS: usize = 64;

fn score(
    ctx: &mut Ctx<'_, '_>,
    ids: &[u64],
    query: &Bytes,
    top_k: u32,
    top_points: u8,
    limit: u64,
    record: bool,
) -> Result<Outcome, PrecompileError> {
    if ids.is_empty() || ids.len() > MAX_QUERY_DATANETS {
        return Ok(Outcome::Revert(
            DECODE_GAS,
            I::DatanetCount { got: U256::from(ids.len()) }.abi_encode().into(),
        ));
    }
    let mut metas = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(meta) = ctx.meta(*id)? else {
            return Ok(Outcome::Revert(
                DECODE_GAS,
                I::UnknownDatanet { datanetId: *id }.abi_encode().into(),
            ));
        };
        metas.push(meta);
    }
    let sizes: Vec<gas::ScoredDatanet> = metas
        .iter()
        .map(|m| gas::ScoredDatanet {
            points: u64::from(m.points),
            contributors: u64::from(m.contributors),
        })
        .collect();
    let dim = metas.first().map(|m| u64::from(m.dim)).unwrap_or_default();
    let excluded_counts =
        ids.iter().map(|id| ctx.excluded_count(*id)).collect::<Result<Vec<_>, _>>()?;
    let reads = excluded_counts
        .iter()
        .fold(datasets::QUERY_READS_PER_DATANET * ids.len() as u64, |sum, n| {
            sum.saturating_add(*n)
        });
    // From the records and the arguments only: the same on every node, cached index or not.
    let gas = gas::score_gas(&sizes, dim, top_k, u64::from(top_points))
        .saturating_add(reads.saturating_mul(SLOT_READ_GAS))
        .saturating_add(if record { 2 * SLOT_WRITE_GAS } else { 0 });
    if gas > limit {
        return Ok(Outcome::OutOfGas);
    }
    let mut datanets = Vec::with_capacity(ids.len());
    for ((id, meta), count) in ids.iter().zip(&metas).zip(excluded_counts) {
        datanets.push((ctx.load(*id, meta)?, ctx.excluded(*id, count)?));
    }
    let sketch = abi::sketch_from_bytes(query);
    let refs: Vec<(&Datanet, &[(u32, u32)])> =
        datanets.iter().map(|(d, x)| (d.as_ref(), x.as_slice())).collect();
    let q = InfluenceQuery {
        sketch: &sketch,
        top_k: NonZeroU32::new(top_k),
        top_points: usize::from(top_points),
    };
    let scanned = match influence::prepare(&refs, &q) {
        Ok(s) => s,
        Err(e) => return Ok(revert(gas, &e)),
    };
    // Weighing is charged on its exact count, known after the scan and before the work.
    let work = scanned.work();
    let gas = gas.saturating_add(gas::score_weigh_gas(work.weighed, work.merged));
    if gas > limit {
        return Ok(Outcome::OutOfGas);
    }
    let result = scanned.finish();
    if record {
        let shares = result
            .shares
            .iter()
            .map(|s| I::Share { contributor: s.contributor, bps: s.bps })
            .collect();
        let caller = ctx.input.caller;
        // The whole call (datanets, sketch, topK, topPoints), so different queries differ.
        let query_hash = keccak256(ctx.input.data);
        ctx.log(I::InfluenceScored { caller, queryHash: query_hash, shares }.encode_log_data());
    }
    Ok(Outcome::Ok(gas, abi::encode_influence_result(&result)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_roundtrip() {
        let m =
            Meta { owner: Address::repeat_byte(7), dim: 256, points: 123_456, contributors: 42 };
        let back = Meta::decode(m.encode()).expect("non-zero");
        assert_eq!(
            (back.owner, back.dim, back.points, back.contributors),
            (m.owner, 256, 123_456, 42)
        );
        assert!(Meta::decode(U256::ZERO).is_none());
    }
}
