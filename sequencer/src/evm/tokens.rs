//! The token-attribution precompile (`0x…0A02`) wired into the EVM.
//!
//! Datanet records live in the precompile account's storage; the documents of each
//! `addDocuments` call are one batch stored as a data account's code (see
//! [`super::datasets`]). A query reads the datanet's suffix-array index from the version cache,
//! keyed by the chain value that commits to every batch, so the result depends only on state.
//! A new batch becomes a new segment at once; merging segments (which never changes a result)
//! happens on a background thread that swaps the merged index in under the same key. Gas never
//! depends on how far that has got: a query is priced for the segmentation
//! `TokenIndex::gas_segments` derives from the batches and the block (batches older than
//! `SETTLE_BLOCKS` merged into one), and a node whose merging is behind re-segments to that
//! shape before the query runs (`TokenIndex::conform`), so a query never does more work than it
//! paid for.
//!
//! Storage layout (keccak256 of the concatenated parts):
//! ```text
//! keccak("ol.tokens.next")           next datanet id (ids start at 1)
//! keccak(id, "meta")                 owner (bytes 12..32) | documents u32 (8..12) | tokens u64 (0..8)
//! keccak(id, "batches")              number of batches
//! keccak(id, "chain") + b            chain value after batch b
//! code of batch_address(0x…0A02, id, b)
//!                                    0x00 ‖ block registered in (u64 BE) ‖ per document:
//!                                    contributor (20 bytes) ‖ length (u32 BE) ‖ tokens (u32 BE each)
//! ```

use super::{
    attribution::{EXCLUDE_GAS, SLOT_READ_GAS, SLOT_WRITE_GAS},
    datasets::{self, BatchSource, Versioned, Versions},
    journal::{self, Journal, Outcome, slot_key},
};
use alloy_evm::precompiles::{DynPrecompile, PrecompileInput};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use ol_precompiles::{
    abi::{self, ITokenAttribution as T, TokenCall},
    gas,
    token_attribution::{self, MergePolicy, TokenIndex, TokenQuery},
};
use parking_lot::Mutex;
use revm::precompile::{PrecompileError, PrecompileId, PrecompileOutput, PrecompileResult};
use std::sync::Arc;

const DECODE_GAS: u64 = 100;
/// Most datanets one query may name.
const MAX_QUERY_DATANETS: usize = 64;
/// Bytes of a document's header in a batch: contributor and length.
const DOC_HEADER: usize = 24;

/// Bytes of a batch's header: the block it was registered in.
const BATCH_HEADER: usize = 8;

/// `index` with all its segments merged into one (what the gas schedule assumes of the batches
/// older than `SETTLE_BLOCKS`, see `TokenIndex::gas_segments`), or `None` if there is nothing
/// to merge or the text exceeds one segment's limit.
fn merged(index: &TokenIndex) -> Option<TokenIndex> {
    let mut merged = index.clone();
    merged.compact().ok()?;
    (merged.segment_count() < index.segment_count()).then_some(merged)
}

/// Token indexes by version, plus the background merger.
#[derive(Debug, Default)]
pub struct TokenVersions {
    versions: Versions<TokenIndex>,
    merger: Mutex<Merger>,
}

/// Work for the merge thread: the newest version asked for, per datanet (older requests for
/// the same datanet are dropped, so one busy datanet cannot queue up work).
#[derive(Debug, Default)]
struct Merger {
    pending: std::collections::BTreeMap<u64, (B256, Arc<TokenIndex>)>,
    running: bool,
}

impl TokenVersions {
    /// Asks for `index` (datanet `id` at `head`) to be merged into fewer segments on the merge
    /// thread, which swaps the result in under the same key. Results never depend on
    /// segmentation (the crate's property and reference tests), so a query sees the same answer
    /// before and after; only its speed changes, which is why gas assumes merged indexes. One
    /// thread does all merging, so it never takes more than one core from block production.
    fn merge_later(self: &Arc<Self>, id: u64, head: B256, index: &Arc<TokenIndex>) {
        if index.segment_count() < 2 {
            return;
        }
        let mut merger = self.merger.lock();
        merger.pending.insert(id, (head, index.clone()));
        if merger.running {
            return;
        }
        merger.running = true;
        let this = self.clone();
        let spawned =
            std::thread::Builder::new().name("ol-merge".into()).spawn(move || this.merge_loop());
        if spawned.is_err() {
            merger.running = false;
        }
    }

    fn merge_loop(&self) {
        loop {
            let next = {
                let mut merger = self.merger.lock();
                match merger.pending.pop_first() {
                    Some(job) => job,
                    None => {
                        merger.running = false;
                        return;
                    }
                }
            };
            let (id, (head, index)) = next;
            let started = std::time::Instant::now();
            let before = index.segment_count();
            if let Some(merged) = merged(&index) {
                tracing::info!(
                    target: "precompiles",
                    datanet = id,
                    segments = format!("{before} -> {}", merged.segment_count()),
                    tokens = merged.token_count(),
                    ms = started.elapsed().as_millis() as u64,
                    "token index merged"
                );
                self.versions.insert(id, head, Arc::new(merged));
            }
        }
    }
}

/// The precompile as alloy-evm wants it, reading indexes from `versions`.
pub fn token_precompile(versions: Arc<TokenVersions>) -> DynPrecompile {
    DynPrecompile::new_stateful(PrecompileId::custom("ol-tokens"), move |input| {
        run(&versions, input)
    })
}

/// A batch's payload: the block it was registered in, then its documents, each with its
/// contributor and length.
impl Versioned for TokenIndex {
    fn extend(&mut self, payload: &[u8]) -> Result<(), String> {
        let (block, docs) = decode_batch(payload).ok_or("token batch does not decode")?;
        let refs: Vec<(Address, &[u32])> = docs.iter().map(|(a, t)| (*a, t.as_slice())).collect();
        self.add_batch(&refs, block).map(|_| ()).map_err(|e| e.to_string())
    }
}

fn encode_batch(block: u64, docs: &[(Address, &[u32])]) -> Vec<u8> {
    let tokens: usize = docs.iter().map(|(_, d)| d.len()).sum();
    let mut out = Vec::with_capacity(BATCH_HEADER + docs.len() * DOC_HEADER + 4 * tokens);
    out.extend_from_slice(&block.to_be_bytes());
    for (contributor, doc) in docs {
        out.extend_from_slice(contributor.as_slice());
        out.extend_from_slice(&(doc.len() as u32).to_be_bytes());
        for t in *doc {
            out.extend_from_slice(&t.to_be_bytes());
        }
    }
    out
}

/// A decoded batch: the block it was registered in and its documents.
type Batch = (u64, Vec<(Address, Vec<u32>)>);

fn decode_batch(payload: &[u8]) -> Option<Batch> {
    let (block, mut payload) = payload.split_first_chunk::<BATCH_HEADER>()?;
    let mut docs = Vec::new();
    while !payload.is_empty() {
        let (header, rest) = payload.split_at_checked(DOC_HEADER)?;
        let len = u32::from_be_bytes(header[20..24].try_into().ok()?) as usize;
        let (body, rest) = rest.split_at_checked(len.checked_mul(4)?)?;
        let tokens = body.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        docs.push((Address::from_slice(&header[..20]), tokens.collect()));
        payload = rest;
    }
    Some((u64::from_be_bytes(*block), docs))
}

/// Builds the newest index of every token datanet in `state` (merged as the policy asks);
/// returns how many datanets and tokens it loaded.
pub fn warm(
    versions: &TokenVersions,
    state: &crate::state::WorldState,
) -> Result<(u64, u64), String> {
    let me = ol_precompiles::abi::TOKEN_ATTRIBUTION_ADDRESS;
    let next = state.storage(&me, &slot_key(&[b"ol.tokens.next"])).saturating_to::<u64>();
    let (mut datanets, mut tokens) = (0, 0);
    for id in 1..next {
        let Some(meta) = Meta::decode(state.storage(&me, &slot_key(&[&id_word(id), b"meta"])))
        else {
            continue;
        };
        let count = state.storage(&me, &datasets::batches_key(id)).saturating_to::<u64>();
        let mut source = datasets::WorldBatches { state, precompile: me };
        let index = versions
            .versions
            .resolve(&mut source, id, count, || Ok(TokenIndex::new(id, MergePolicy::default())))
            .map_err(|e| format!("token datanet {id}: {e:?}"))?;
        if index.token_count() != meta.tokens {
            return Err(format!(
                "token datanet {id}: {} tokens recorded, {} in its batches",
                meta.tokens,
                index.token_count()
            ));
        }
        if let Some(merged) = merged(&index) {
            let head = datasets::WorldBatches { state, precompile: me }.chain(id, count - 1)?;
            versions.versions.insert(id, head, Arc::new(merged));
        }
        datanets += 1;
        tokens += index.token_count();
    }
    Ok((datanets, tokens))
}

fn id_word(id: u64) -> [u8; 32] {
    U256::from(id).to_be_bytes::<32>()
}

#[derive(Debug, Clone, Copy, Default)]
struct Meta {
    owner: Address,
    docs: u32,
    tokens: u64,
}

impl Meta {
    fn decode(word: U256) -> Option<Self> {
        if word.is_zero() {
            return None;
        }
        let b = word.to_be_bytes::<32>();
        let mut tokens = [0u8; 8];
        tokens.copy_from_slice(&b[0..8]);
        Some(Self {
            owner: Address::from_slice(&b[12..32]),
            docs: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            tokens: u64::from_be_bytes(tokens),
        })
    }

    fn encode(&self) -> U256 {
        let mut b = [0u8; 32];
        b[12..32].copy_from_slice(self.owner.as_slice());
        b[8..12].copy_from_slice(&self.docs.to_be_bytes());
        b[0..8].copy_from_slice(&self.tokens.to_be_bytes());
        U256::from_be_bytes(b)
    }
}

/// The journal plus this precompile's index versions and record readers.
type Ctx<'a, 'v> = journal::Ctx<'a, &'v Arc<TokenVersions>>;

impl Ctx<'_, '_> {
    fn meta(&mut self, id: u64) -> Result<Option<Meta>, PrecompileError> {
        Ok(Meta::decode(self.sload(slot_key(&[&id_word(id), b"meta"]))?))
    }

    /// A datanet's suffix-array index in the current state.
    fn load(&mut self, id: u64, meta: &Meta) -> Result<Arc<TokenIndex>, PrecompileError> {
        let (count, head) = self.batches(id)?;
        let versions = self.with;
        let index = self.journal.index(&versions.versions, id, count, || {
            Ok(TokenIndex::new(id, MergePolicy::default()))
        })?;
        if index.token_count() != meta.tokens {
            return Err(PrecompileError::Fatal(format!(
                "token datanet {id}: {} tokens recorded, {} in its batches",
                meta.tokens,
                index.token_count()
            )));
        }
        versions.merge_later(id, head, &index);
        Ok(index)
    }

    /// `index` re-segmented as a query at `block` is priced (see the module doc): only when
    /// the background merge is late, which a node keeping up never sees. The result is cached
    /// under the same version, like a background merge.
    fn conform(
        &mut self,
        id: u64,
        index: &TokenIndex,
        block: u64,
    ) -> Result<Arc<TokenIndex>, PrecompileError> {
        let started = std::time::Instant::now();
        let mut conformed = index.clone();
        conformed
            .conform(block)
            .map_err(|e| PrecompileError::Fatal(format!("token datanet {id}: {e}")))?;
        tracing::warn!(
            target: "precompiles",
            datanet = id,
            segments = format!("{} -> {}", index.segment_count(), conformed.segment_count()),
            ms = started.elapsed().as_millis() as u64,
            "token index merged before a query (background merge late)"
        );
        let conformed = Arc::new(conformed);
        let (_, head) = self.batches(id)?;
        self.with.versions.insert(id, head, conformed.clone());
        Ok(conformed)
    }
}

fn run(versions: &Arc<TokenVersions>, input: PrecompileInput<'_>) -> PrecompileResult {
    let (reservoir, limit) = (input.reservoir, input.gas);
    let call = match abi::decode_token_call(input.data) {
        Ok(call) => call,
        Err(e) => {
            return Ok(PrecompileOutput::revert(DECODE_GAS.min(limit), e.revert_data(), reservoir));
        }
    };
    let journal = match Journal::open(input, abi::DecodeError::Malformed.revert_data(), DECODE_GAS)
    {
        Ok(j) => j,
        Err(refused) => return Ok(refused),
    };
    Ok(dispatch(&mut Ctx { journal, with: versions }, call, limit)?.into_output(reservoir))
}

fn error(gas: u64, e: impl SolError) -> Outcome {
    Outcome::Revert(gas, e.abi_encode().into())
}

fn dispatch(
    ctx: &mut Ctx<'_, '_>,
    call: TokenCall,
    limit: u64,
) -> Result<Outcome, PrecompileError> {
    let caller = ctx.input.caller;
    let is_static = ctx.input.is_static;
    match call {
        TokenCall::createDatanet(_) => {
            if is_static {
                return Ok(error(DECODE_GAS, T::StaticCallWrite {}));
            }
            let gas = gas::create_datanet_gas().saturating_add(2 * SLOT_WRITE_GAS);
            if gas > limit {
                return Ok(Outcome::OutOfGas);
            }
            let next_key = slot_key(&[b"ol.tokens.next"]);
            let id = ctx.sload(next_key)?.saturating_to::<u64>().max(1);
            ctx.sstore(next_key, U256::from(id + 1))?;
            ctx.sstore(
                slot_key(&[&id_word(id), b"meta"]),
                Meta { owner: caller, docs: 0, tokens: 0 }.encode(),
            )?;
            ctx.log(T::DatanetCreated { datanetId: id, owner: caller }.encode_log_data());
            Ok(Outcome::Ok(gas, T::createDatanetCall::abi_encode_returns(&id).into()))
        }
        TokenCall::addDocuments(c) => {
            if is_static {
                return Ok(error(DECODE_GAS, T::StaticCallWrite {}));
            }
            let Some(mut meta) = ctx.meta(c.datanetId)? else {
                return Ok(error(DECODE_GAS, T::UnknownDatanet { datanetId: c.datanetId }));
            };
            if meta.owner != caller {
                return Ok(error(
                    DECODE_GAS,
                    T::NotDatanetOwner { datanetId: c.datanetId, caller },
                ));
            }
            let tokens = match abi::tokens_from_bytes(&c.tokens) {
                Ok(t) => t,
                Err(data) => return Ok(Outcome::Revert(DECODE_GAS, data)),
            };
            let docs = match abi::split_documents(&c.contributors, &c.docLengths, &tokens) {
                Ok(d) => d,
                Err(data) => return Ok(Outcome::Revert(DECODE_GAS, data)),
            };
            let payload_len = (BATCH_HEADER + docs.len() * DOC_HEADER + 4 * tokens.len()) as u64;
            // New slot: the chain value; rewritten: meta, batch count.
            let gas = gas::add_documents_gas(docs.len() as u64, tokens.len() as u64)
                .saturating_add(datasets::store_gas(payload_len))
                .saturating_add(3 * SLOT_WRITE_GAS);
            if gas > limit {
                return Ok(Outcome::OutOfGas);
            }
            if docs.is_empty() {
                return Ok(error(gas, T::NoDocuments {}));
            }
            if let Some(i) = docs.iter().position(|(_, d)| d.is_empty()) {
                return Ok(error(gas, T::EmptyDocument { index: U256::from(i) }));
            }
            let first_doc = meta.docs;
            // What the index refuses must be refused here: a stored batch always indexes.
            if u64::from(first_doc).saturating_add(docs.len() as u64) > u64::from(u32::MAX)
                || tokens.len().saturating_add(docs.len()) > token_attribution::MAX_SEGMENT_LEN
            {
                return Ok(error(gas, T::BatchTooLarge {}));
            }
            let (batch, prev) = ctx.batches(c.datanetId)?;
            let block = ctx.input.internals.block_number().saturating_to::<u64>();
            ctx.store_batch(c.datanetId, batch, prev, &encode_batch(block, &docs))?;
            meta.docs = first_doc.saturating_add(docs.len() as u32);
            meta.tokens = meta.tokens.saturating_add(tokens.len() as u64);
            ctx.sstore(slot_key(&[&id_word(c.datanetId), b"meta"]), meta.encode())?;
            // Index the batch now (paid for by its per-token gas) and start merging it, so the
            // merge is done long before the gas schedule assumes it.
            ctx.load(c.datanetId, &meta)?;
            ctx.log(
                T::DocumentsAdded {
                    datanetId: c.datanetId,
                    firstDoc: first_doc,
                    count: docs.len() as u32,
                    tokens: tokens.len() as u64,
                }
                .encode_log_data(),
            );
            Ok(Outcome::Ok(gas, T::addDocumentsCall::abi_encode_returns(&first_doc).into()))
        }
        TokenCall::excludeDocuments(c) => {
            if is_static {
                return Ok(error(DECODE_GAS, T::StaticCallWrite {}));
            }
            let Some(meta) = ctx.meta(c.datanetId)? else {
                return Ok(error(DECODE_GAS, T::UnknownDatanet { datanetId: c.datanetId }));
            };
            if meta.owner != caller {
                return Ok(error(
                    DECODE_GAS,
                    T::NotDatanetOwner { datanetId: c.datanetId, caller },
                ));
            }
            if EXCLUDE_GAS > limit {
                return Ok(Outcome::OutOfGas);
            }
            if c.count == 0 || u64::from(c.firstDoc) + u64::from(c.count) > u64::from(meta.docs) {
                return Ok(error(
                    EXCLUDE_GAS,
                    T::InvalidRange { first: c.firstDoc, count: c.count },
                ));
            }
            let ranges = ctx.exclude(c.datanetId, c.firstDoc, c.count)?;
            ctx.log(
                T::DocumentsExcluded {
                    datanetId: c.datanetId,
                    firstDoc: c.firstDoc,
                    count: c.count,
                }
                .encode_log_data(),
            );
            Ok(Outcome::Ok(
                EXCLUDE_GAS,
                T::excludeDocumentsCall::abi_encode_returns(&ranges).into(),
            ))
        }
        TokenCall::attribute(c) => attribute(
            ctx,
            &c.datanetIds,
            &c.outputTokens,
            c.minSpan,
            c.maxOccurrences,
            limit,
            false,
        ),
        TokenCall::recordAttribution(c) => {
            if is_static {
                return Ok(error(DECODE_GAS, T::StaticCallWrite {}));
            }
            attribute(ctx, &c.datanetIds, &c.outputTokens, c.minSpan, c.maxOccurrences, limit, true)
        }
        TokenCall::datanetInfo(c) => {
            let Some(meta) = ctx.meta(c.datanetId)? else {
                return Ok(error(SLOT_READ_GAS, T::UnknownDatanet { datanetId: c.datanetId }));
            };
            Ok(Outcome::Ok(
                SLOT_READ_GAS,
                (meta.owner, meta.docs, meta.tokens).abi_encode_params().into(),
            ))
        }
    }
}

fn attribute(
    ctx: &mut Ctx<'_, '_>,
    ids: &[u64],
    output: &Bytes,
    min_span: u32,
    max_occurrences: u64,
    limit: u64,
    record: bool,
) -> Result<Outcome, PrecompileError> {
    if ids.is_empty() || ids.len() > MAX_QUERY_DATANETS {
        return Ok(error(DECODE_GAS, T::DatanetCount { got: U256::from(ids.len()) }));
    }
    let output_tokens = match abi::tokens_from_bytes(output) {
        Ok(t) => t,
        Err(data) => return Ok(Outcome::Revert(DECODE_GAS, data)),
    };
    let mut metas = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(meta) = ctx.meta(*id)? else {
            return Ok(error(DECODE_GAS, T::UnknownDatanet { datanetId: *id }));
        };
        metas.push(meta);
    }
    let excluded_counts =
        ids.iter().map(|id| ctx.excluded_count(*id)).collect::<Result<Vec<_>, _>>()?;
    let reads = excluded_counts
        .iter()
        .fold(datasets::QUERY_READS_PER_DATANET * ids.len() as u64, |sum, n| {
            sum.saturating_add(*n)
        });
    // Priced for the segmentation the batches and the block determine, whatever this node's
    // merging has done (see the module doc).
    let block = ctx.input.internals.block_number().saturating_to::<u64>();
    let mut indices = Vec::with_capacity(ids.len());
    for (id, meta) in ids.iter().zip(&metas) {
        indices.push(ctx.load(*id, meta)?);
    }
    let segments: Vec<Vec<u64>> = indices.iter().map(|ix| ix.gas_segments(block)).collect();
    let mut gas = gas::attribute_gas(output_tokens.len() as u64, &segments)
        .saturating_add(reads.saturating_mul(SLOT_READ_GAS))
        .saturating_add(if record { 2 * SLOT_WRITE_GAS } else { 0 });
    if gas > limit {
        return Ok(Outcome::OutOfGas);
    }
    let mut excluded = std::collections::BTreeMap::new();
    for ((id, index), count) in ids.iter().zip(indices.iter_mut()).zip(excluded_counts) {
        if !index.within_charge(block) {
            *index = ctx.conform(*id, index, block)?;
        }
        let merged = ol_precompiles::ranges::merge(ctx.excluded(*id, count)?);
        excluded.insert(*id, merged);
    }
    let refs: Vec<&TokenIndex> = indices.iter().map(|i| i.as_ref()).collect();
    let query = TokenQuery { output: &output_tokens, min_span, max_occurrences };
    let prepared = match token_attribution::prepare(&refs, &query) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::Revert(gas, abi::token_revert(&e))),
    };
    gas = gas.saturating_add(gas::attribute_occurrence_gas(prepared.occurrences_to_visit()));
    if gas > limit {
        return Ok(Outcome::OutOfGas);
    }
    let result = prepared.finish_excluding(|id, doc| {
        excluded.get(&id).is_some_and(|r| ol_precompiles::ranges::contains(r, doc))
    });
    if record {
        let shares = result
            .shares
            .iter()
            .map(|s| T::Share { contributor: s.contributor, bps: s.bps })
            .collect();
        let caller = ctx.input.caller;
        ctx.log(
            T::TokensAttributed { caller, outputHash: keccak256(output), shares }.encode_log_data(),
        );
    }
    Ok(Outcome::Ok(gas, abi::encode_token_result(&result)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::datasets::{BatchSource, chain_next, data_code};

    struct Batches(Vec<Vec<u8>>);

    impl BatchSource for Batches {
        type Error = ();
        fn chain(&mut self, _id: u64, batch: u64) -> Result<B256, ()> {
            Ok(self.0[..=batch as usize]
                .iter()
                .fold(B256::ZERO, |h, c| chain_next(h, keccak256(c))))
        }
        fn code(&mut self, _id: u64, batch: u64) -> Result<Vec<u8>, ()> {
            Ok(self.0[batch as usize].clone())
        }
    }

    #[test]
    fn batches_roundtrip_and_merge_thread_swaps_in_an_equal_index() {
        let docs: Vec<(Address, Vec<u32>)> = (0..12u32)
            .map(|k| {
                (
                    Address::with_last_byte(k as u8 % 5),
                    (0..50).map(|i| (i * (k + 1)) % 17).collect(),
                )
            })
            .collect();
        let refs: Vec<(Address, &[u32])> = docs.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        let decoded = decode_batch(&encode_batch(9, &refs[..3])).expect("decodes");
        assert_eq!(decoded, (9, docs[..3].to_vec()));
        assert!(decode_batch(&encode_batch(9, &refs[..3])[..38]).is_none(), "truncated");
        assert!(decode_batch(&[0; 7]).is_none(), "no header");

        // One batch per document: twelve segments.
        let mut source = Batches(refs.iter().map(|d| data_code(&encode_batch(0, &[*d]))).collect());
        let versions = Arc::new(TokenVersions::default());
        let empty = || Ok(TokenIndex::new(1, MergePolicy::default()));
        let index = versions.versions.resolve(&mut source, 1, 12, empty).expect("resolve");
        assert_eq!(index.segment_count(), 12);
        let output: Vec<u32> = docs[4].1[5..30].to_vec();
        let query = TokenQuery { output: &output, min_span: 3, max_occurrences: 100 };
        let before = token_attribution::attribute(&[&index], &query).expect("attribute");

        let head = source.chain(1, 11).expect("head");
        versions.merge_later(1, head, &index);
        // A generous bound (the merge takes milliseconds) so a loaded 2-core CI cannot flake.
        let merged = (0..6_000)
            .find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                versions.versions.get(1, head).filter(|i| i.segment_count() == 1)
            })
            .expect("merged within 60 s");
        let after = token_attribution::attribute(&[&merged], &query).expect("attribute");
        assert_eq!(after.shares, before.shares);
        assert_eq!(after.spans, before.spans);
        assert!(!after.shares.is_empty());
    }
}
