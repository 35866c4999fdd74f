//! The token-attribution precompile (`0x…0A02`) wired into the EVM.
//!
//! Corpora live in the precompile account's storage, written through the journal like the
//! influence precompile's points. A query reads the named datanets' documents back, builds
//! their suffix arrays and matches the output — the result depends only on state. Building per
//! query is what a persistent in-memory index (next step) will remove; until then its cost is
//! charged per corpus token.
//!
//! Storage layout (keccak256 of the concatenated parts):
//! ```text
//! keccak("ol.tokens.next")           next datanet id (ids start at 1)
//! keccak(id, "meta")                 owner (bytes 12..32) | documents u32 (8..12) | tokens u64 (0..8)
//! keccak(id, "free")                 next free token slot (documents start slot-aligned)
//! keccak(id, "docs") + i             document i: contributor (12..32) | first slot u64 (4..12)
//!                                    | length u32 (0..4)
//! keccak(id, "tokens") + s           8 big-endian u32 token ids per slot
//! ```

use super::attribution::{SLOT_READ_GAS, SLOT_WRITE_GAS};
use super::journal::{Journal, Outcome, slot_key};
use alloy_evm::precompiles::{DynPrecompile, PrecompileInput};
use alloy_primitives::{Address, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use ol_precompiles::{
    abi::{self, ITokenAttribution as T, TokenCall},
    gas,
    token_attribution::{self, MergePolicy, TokenIndex, TokenQuery},
};
use revm::precompile::{PrecompileError, PrecompileId, PrecompileOutput, PrecompileResult};

const DECODE_GAS: u64 = 100;
/// Gas per corpus token for building its suffix array at query time (measured 14–22 M tokens/s,
/// about 6 gas per token at ecrecover's ns/gas; rounded up).
const BUILD_GAS_PER_TOKEN: u64 = 10;
/// Most datanets one query may name.
const MAX_QUERY_DATANETS: usize = 64;

/// The precompile as alloy-evm wants it.
pub fn token_precompile() -> DynPrecompile {
    DynPrecompile::new_stateful(PrecompileId::custom("ol-tokens"), run)
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

/// The journal plus this precompile's record readers.
struct Ctx<'a>(Journal<'a>);

impl<'a> std::ops::Deref for Ctx<'a> {
    type Target = Journal<'a>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Ctx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Ctx<'_> {
    fn meta(&mut self, id: u64) -> Result<Option<Meta>, PrecompileError> {
        Ok(Meta::decode(self.sload(slot_key(&[&id_word(id), b"meta"]))?))
    }

    /// Reads a datanet's documents back from storage.
    fn documents(
        &mut self,
        id: u64,
        meta: &Meta,
    ) -> Result<Vec<(Address, Vec<u32>)>, PrecompileError> {
        let docs_base = slot_key(&[&id_word(id), b"docs"]);
        let tokens_base = slot_key(&[&id_word(id), b"tokens"]);
        let mut out = Vec::with_capacity(meta.docs as usize);
        for i in 0..u64::from(meta.docs) {
            let w = self.sload(docs_base.wrapping_add(U256::from(i)))?.to_be_bytes::<32>();
            let contributor = Address::from_slice(&w[12..32]);
            let mut first = [0u8; 8];
            first.copy_from_slice(&w[4..12]);
            let first = u64::from_be_bytes(first);
            let len = u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize;
            let mut tokens = Vec::with_capacity(len);
            for s in 0..len.div_ceil(8) as u64 {
                let word = self
                    .sload(tokens_base.wrapping_add(U256::from(first + s)))?
                    .to_be_bytes::<32>();
                for c in word.chunks(4) {
                    if tokens.len() < len {
                        tokens.push(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                    }
                }
            }
            out.push((contributor, tokens));
        }
        Ok(out)
    }
}

fn run(input: PrecompileInput<'_>) -> PrecompileResult {
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
    Ok(dispatch(&mut Ctx(journal), call, limit)?.into_output(reservoir))
}

fn error(gas: u64, e: impl SolError) -> Outcome {
    Outcome::Revert(gas, e.abi_encode().into())
}

fn dispatch(ctx: &mut Ctx<'_>, call: TokenCall, limit: u64) -> Result<Outcome, PrecompileError> {
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
            let slots: u64 =
                docs.iter().map(|(_, d)| d.len().div_ceil(8) as u64 + 1).sum::<u64>() + 2;
            let gas = gas::add_documents_gas(docs.len() as u64, tokens.len() as u64)
                .saturating_add(slots.saturating_mul(SLOT_WRITE_GAS));
            if gas > limit {
                return Ok(Outcome::OutOfGas);
            }
            if docs.is_empty() {
                return Ok(error(gas, T::NoDocuments {}));
            }
            if let Some(i) = docs.iter().position(|(_, d)| d.is_empty()) {
                return Ok(error(gas, T::EmptyDocument { index: U256::from(i) }));
            }
            let (docs_base, tokens_base, free_key) = (
                slot_key(&[&id_word(c.datanetId), b"docs"]),
                slot_key(&[&id_word(c.datanetId), b"tokens"]),
                slot_key(&[&id_word(c.datanetId), b"free"]),
            );
            let mut free = ctx.sload(free_key)?.saturating_to::<u64>();
            let first_doc = meta.docs;
            for (k, (contributor, doc)) in docs.iter().enumerate() {
                let mut w = [0u8; 32];
                w[12..32].copy_from_slice(contributor.as_slice());
                w[4..12].copy_from_slice(&free.to_be_bytes());
                w[0..4].copy_from_slice(&(doc.len() as u32).to_be_bytes());
                ctx.sstore(
                    docs_base.wrapping_add(U256::from(u64::from(first_doc) + k as u64)),
                    U256::from_be_bytes(w),
                )?;
                for chunk in doc.chunks(8) {
                    let mut word = [0u8; 32];
                    for (j, t) in chunk.iter().enumerate() {
                        word[j * 4..j * 4 + 4].copy_from_slice(&t.to_be_bytes());
                    }
                    ctx.sstore(
                        tokens_base.wrapping_add(U256::from(free)),
                        U256::from_be_bytes(word),
                    )?;
                    free += 1;
                }
            }
            meta.docs = first_doc.saturating_add(docs.len() as u32);
            meta.tokens = meta.tokens.saturating_add(tokens.len() as u64);
            ctx.sstore(free_key, U256::from(free))?;
            ctx.sstore(slot_key(&[&id_word(c.datanetId), b"meta"]), meta.encode())?;
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
    ctx: &mut Ctx<'_>,
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
    let corpus: Vec<u64> = metas.iter().map(|m| m.tokens).collect();
    let reads: u64 =
        metas.iter().map(|m| u64::from(m.docs) + m.tokens.div_ceil(8) + u64::from(m.docs)).sum();
    let total_tokens: u64 = corpus.iter().sum();
    let mut gas = gas::attribute_gas(output_tokens.len() as u64, &corpus)
        .saturating_add(reads.saturating_mul(SLOT_READ_GAS))
        .saturating_add(total_tokens.saturating_mul(BUILD_GAS_PER_TOKEN))
        .saturating_add(if record { 2 * SLOT_WRITE_GAS } else { 0 });
    if gas > limit {
        return Ok(Outcome::OutOfGas);
    }
    let mut indices = Vec::with_capacity(ids.len());
    for (id, meta) in ids.iter().zip(&metas) {
        let docs = ctx.documents(*id, meta)?;
        let refs: Vec<(Address, &[u32])> = docs.iter().map(|(a, t)| (*a, t.as_slice())).collect();
        let mut index = TokenIndex::new(*id, MergePolicy::default());
        if !refs.is_empty()
            && let Err(e) = index.add_documents(&refs)
        {
            return Ok(Outcome::Revert(gas, abi::token_revert(&e)));
        }
        indices.push(index);
    }
    let refs: Vec<&TokenIndex> = indices.iter().collect();
    let query = TokenQuery { output: &output_tokens, min_span, max_occurrences };
    let prepared = match token_attribution::prepare(&refs, &query) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::Revert(gas, abi::token_revert(&e))),
    };
    gas = gas.saturating_add(gas::attribute_occurrence_gas(prepared.occurrences_to_visit()));
    if gas > limit {
        return Ok(Outcome::OutOfGas);
    }
    let result = prepared.finish();
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
