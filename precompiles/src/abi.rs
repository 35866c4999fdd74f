//! Solidity ABI of the three precompiles, and the conversions between it and the core types.
//!
//! The interfaces are the `.sol` files in `precompiles/interfaces/`, read by `sol!` at compile
//! time, so the Rust bindings and the Solidity that contracts import cannot drift apart. The
//! decoders are total: any byte string yields a call or a [`DecodeError`], whose
//! [`revert_data`](DecodeError::revert_data) is a custom error the caller can decode.
//!
//! `bytes` arguments carry packed data: int8 sketches as two's-complement bytes, token ids as
//! big-endian `uint32`, 4 bytes each.

#![allow(missing_docs, unreachable_pub)]

use crate::{
    adapters::{self, AdapterError, AdapterStatus},
    bps::Share,
    influence::{InfluenceError, InfluenceResult},
    token_attribution::{TokenAttribution, TokenError},
};
use alloy_primitives::{Address, Bytes, address};
use alloy_sol_types::{SolError, SolInterface, sol};

sol!(
    #[sol(all_derives)]
    "interfaces/IInfluenceAttribution.sol"
);
sol!(
    #[sol(all_derives)]
    "interfaces/ITokenAttribution.sol"
);
sol!(
    #[sol(all_derives)]
    "interfaces/IAdapterRegistry.sol"
);

/// Influence scoring precompile.
pub const INFLUENCE_ADDRESS: Address = address!("0000000000000000000000000000000000000a01");
/// Token attribution precompile.
pub const TOKEN_ATTRIBUTION_ADDRESS: Address = address!("0000000000000000000000000000000000000a02");
/// LoRA adapter registry precompile.
pub const ADAPTER_REGISTRY_ADDRESS: Address = address!("0000000000000000000000000000000000000a03");

/// Calls of the influence precompile.
pub type InfluenceCall = IInfluenceAttribution::IInfluenceAttributionCalls;
/// Calls of the token attribution precompile.
pub type TokenCall = ITokenAttribution::ITokenAttributionCalls;
/// Calls of the adapter registry precompile.
pub type AdapterCall = IAdapterRegistry::IAdapterRegistryCalls;

/// Why calldata is not a call of a precompile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A four-byte selector the precompile does not define.
    #[error("unknown selector {0:?}")]
    UnknownSelector([u8; 4]),
    /// Shorter than a selector, or arguments that are not a canonical ABI encoding.
    #[error("malformed calldata")]
    Malformed,
}

impl DecodeError {
    /// The revert data: `UnknownSelector(bytes4)` or `MalformedInput()` (the same bytes in all
    /// three interfaces).
    pub fn revert_data(&self) -> Bytes {
        match *self {
            Self::UnknownSelector(s) => {
                IInfluenceAttribution::UnknownSelector { selector: s.into() }.abi_encode().into()
            }
            Self::Malformed => IInfluenceAttribution::MalformedInput {}.abi_encode().into(),
        }
    }
}

fn decode<C: SolInterface>(input: &[u8]) -> Result<C, DecodeError> {
    let Some(selector) = input.first_chunk::<4>() else { return Err(DecodeError::Malformed) };
    if !C::valid_selector(*selector) {
        return Err(DecodeError::UnknownSelector(*selector));
    }
    let call = C::abi_decode_validate(input).map_err(|_| DecodeError::Malformed)?;
    // The validating decoder still takes trailing words, short padding and dynamic data at other
    // offsets; only the canonical bytes are accepted, so one call has one encoding (and one
    // queryHash).
    if call.abi_encode() != input {
        return Err(DecodeError::Malformed);
    }
    Ok(call)
}

/// Decodes calldata of the influence precompile.
pub fn decode_influence_call(input: &[u8]) -> Result<InfluenceCall, DecodeError> {
    decode(input)
}

/// Decodes calldata of the token attribution precompile.
pub fn decode_token_call(input: &[u8]) -> Result<TokenCall, DecodeError> {
    decode(input)
}

/// Decodes calldata of the adapter registry precompile.
pub fn decode_adapter_call(input: &[u8]) -> Result<AdapterCall, DecodeError> {
    decode(input)
}

/// An int8 sketch from its packed bytes.
pub fn sketch_from_bytes(bytes: &[u8]) -> Vec<i8> {
    bytes.iter().map(|&b| b as i8).collect()
}

/// Token ids from packed big-endian `uint32`s.
pub fn tokens_from_bytes(bytes: &[u8]) -> Result<Vec<u32>, Bytes> {
    let (chunks, rest) = bytes.as_chunks::<4>();
    if !rest.is_empty() {
        let got = alloy_primitives::U256::from(bytes.len());
        return Err(ITokenAttribution::TokenBytesLength { got }.abi_encode().into());
    }
    Ok(chunks.iter().map(|c| u32::from_be_bytes(*c)).collect())
}

/// Token ids packed as big-endian `uint32`s (the inverse of [`tokens_from_bytes`]).
pub fn tokens_to_bytes(tokens: &[u32]) -> Bytes {
    tokens.iter().flat_map(|t| t.to_be_bytes()).collect::<Vec<u8>>().into()
}

/// Splits `tokens` into documents of `lengths`; checks the layout against the contributors.
pub fn split_documents<'a>(
    contributors: &[Address],
    lengths: &[u32],
    tokens: &'a [u32],
) -> Result<Vec<(Address, &'a [u32])>, Bytes> {
    let expected: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
    if contributors.len() != lengths.len() || expected != tokens.len() as u64 {
        return Err(ITokenAttribution::DocumentLayout {
            documents: alloy_primitives::U256::from(lengths.len()),
            tokensExpected: alloy_primitives::U256::from(expected),
            tokensGiven: alloy_primitives::U256::from(tokens.len()),
        }
        .abi_encode()
        .into());
    }
    let mut rest = tokens;
    let mut docs = Vec::with_capacity(lengths.len());
    for (&c, &l) in contributors.iter().zip(lengths) {
        // The lengths add up to tokens.len(), checked above.
        let (doc, tail) = rest.split_at(l as usize);
        docs.push((c, doc));
        rest = tail;
    }
    Ok(docs)
}

fn u256(x: usize) -> alloy_primitives::U256 {
    alloy_primitives::U256::from(x)
}

/// Revert data for an influence error.
pub fn influence_revert(e: &InfluenceError) -> Bytes {
    use IInfluenceAttribution as I;
    match *e {
        InfluenceError::InvalidDimension(got) => {
            I::InvalidDimension { got: u256(got) }.abi_encode()
        }
        InfluenceError::SketchLength { expected, got } => {
            I::SketchLength { expected: u256(expected), got: u256(got) }.abi_encode()
        }
        InfluenceError::BatchLength { contributors, expected, got } => I::BatchLength {
            contributors: u256(contributors),
            expected: u256(expected),
            got: u256(got),
        }
        .abi_encode(),
        InfluenceError::DatanetFull(id) => I::DatanetFull { datanetId: id }.abi_encode(),
        InfluenceError::NoDatanets => I::DatanetCount { got: u256(0) }.abi_encode(),
        InfluenceError::DuplicateDatanet(id) => I::DuplicateDatanet { datanetId: id }.abi_encode(),
        InfluenceError::DimensionMismatch { datanet, dim, query } => {
            I::DimensionMismatch { datanetId: datanet, dim: u256(dim), query: u256(query) }
                .abi_encode()
        }
    }
    .into()
}

/// Revert data for a token attribution error.
pub fn token_revert(e: &TokenError) -> Bytes {
    use ITokenAttribution as I;
    match *e {
        TokenError::NoDocuments => I::NoDocuments {}.abi_encode(),
        TokenError::EmptyDocument(i) => I::EmptyDocument { index: u256(i) }.abi_encode(),
        TokenError::BatchTooLarge | TokenError::IndexBuild => I::BatchTooLarge {}.abi_encode(),
        TokenError::NoDatanets => I::DatanetCount { got: u256(0) }.abi_encode(),
        TokenError::DuplicateDatanet(id) => I::DuplicateDatanet { datanetId: id }.abi_encode(),
        TokenError::OutputLength(n) => I::OutputLength { got: u256(n) }.abi_encode(),
        TokenError::InvalidMinSpan => I::InvalidMinSpan {}.abi_encode(),
        TokenError::InvalidMaxOccurrences(got) => I::InvalidMaxOccurrences { got }.abi_encode(),
    }
    .into()
}

/// Revert data for an adapter registry error.
pub fn adapter_revert(e: &AdapterError) -> Bytes {
    use IAdapterRegistry as I;
    match *e {
        AdapterError::ZeroBaseModel => I::ZeroBaseModel {}.abi_encode(),
        AdapterError::ZeroWeightsHash => I::ZeroWeightsHash {}.abi_encode(),
        AdapterError::InvalidRank(rank) => I::InvalidRank { rank }.abi_encode(),
        AdapterError::InvalidAlpha(alpha) => I::InvalidAlpha { alpha }.abi_encode(),
        AdapterError::InvalidTargetModules(m) => {
            I::InvalidTargetModules { targetModules: m }.abi_encode()
        }
        AdapterError::TooManyDatanets(n) => I::TooManyDatanets { got: u256(n) }.abi_encode(),
        AdapterError::UnsortedDatanets => I::UnsortedDatanets {}.abi_encode(),
        AdapterError::UnknownDatanet(id) => I::UnknownDatanet { datanetId: id }.abi_encode(),
        AdapterError::InvalidUriLength(n) => I::InvalidUriLength { got: u256(n) }.abi_encode(),
        AdapterError::InvalidUriByte(i) => I::InvalidUriByte { index: u256(i) }.abi_encode(),
        AdapterError::UnknownAdapter(id) => I::UnknownAdapter { id }.abi_encode(),
        AdapterError::NotOwner { id, caller } => I::NotOwner { id, caller }.abi_encode(),
        AdapterError::Revoked(id) => I::AdapterRevoked { id }.abi_encode(),
        AdapterError::BaseModelMismatch(expected) => I::BaseModelMismatch { expected }.abi_encode(),
        AdapterError::InvalidTransition { from, to } => {
            I::InvalidTransition { from: status_to_sol(from), to: status_to_sol(to) }.abi_encode()
        }
        AdapterError::Overflow => I::Overflow {}.abi_encode(),
    }
    .into()
}

fn influence_share(s: &Share) -> IInfluenceAttribution::Share {
    IInfluenceAttribution::Share { contributor: s.contributor, bps: s.bps }
}

/// Return data of `score` / `recordScore`.
pub fn encode_influence_result(r: &InfluenceResult) -> Bytes {
    let ret = IInfluenceAttribution::scoreReturn {
        shares: r.shares.iter().map(influence_share).collect(),
        top: r
            .top_points
            .iter()
            .map(|p| IInfluenceAttribution::ScoredPoint {
                datanetId: p.datanet,
                index: p.index,
                contributor: p.contributor,
                score: p.score,
            })
            .collect(),
    };
    <IInfluenceAttribution::scoreCall as alloy_sol_types::SolCall>::abi_encode_returns(&ret).into()
}

/// Return data of `attribute` / `recordAttribution`.
pub fn encode_token_result(r: &TokenAttribution) -> Bytes {
    let ret = ITokenAttribution::attributeReturn {
        shares: r
            .shares
            .iter()
            .map(|s| ITokenAttribution::Share { contributor: s.contributor, bps: s.bps })
            .collect(),
        spans: r
            .spans
            .iter()
            .map(|s| ITokenAttribution::Span {
                start: s.start,
                length: s.len,
                occurrences: s.occurrences,
                holders: s.holders,
            })
            .collect(),
    };
    <ITokenAttribution::attributeCall as alloy_sol_types::SolCall>::abi_encode_returns(&ret).into()
}

/// ABI status from the core status.
pub fn status_to_sol(s: AdapterStatus) -> IAdapterRegistry::Status {
    match s {
        AdapterStatus::Active => IAdapterRegistry::Status::Active,
        AdapterStatus::Deprecated => IAdapterRegistry::Status::Deprecated,
        AdapterStatus::Revoked => IAdapterRegistry::Status::Revoked,
    }
}

/// Core status from the ABI status (`None` for values past `Revoked`, which validating decoding
/// already rejects).
pub fn status_from_sol(s: IAdapterRegistry::Status) -> Option<AdapterStatus> {
    match s {
        IAdapterRegistry::Status::Active => Some(AdapterStatus::Active),
        IAdapterRegistry::Status::Deprecated => Some(AdapterStatus::Deprecated),
        IAdapterRegistry::Status::Revoked => Some(AdapterStatus::Revoked),
        _ => None,
    }
}

impl From<IAdapterRegistry::AdapterParams> for adapters::AdapterParams {
    fn from(p: IAdapterRegistry::AdapterParams) -> Self {
        Self {
            base_model: p.baseModelId,
            weights_hash: p.weightsHash,
            rank: p.rank,
            alpha: p.alpha,
            target_modules: p.targetModules,
            training_datanets: p.trainingDatanets,
            uri: p.uri,
        }
    }
}

impl From<&adapters::Adapter> for IAdapterRegistry::Adapter {
    fn from(a: &adapters::Adapter) -> Self {
        let p = &a.params;
        Self {
            id: a.id,
            owner: a.owner,
            params: IAdapterRegistry::AdapterParams {
                baseModelId: p.base_model,
                weightsHash: p.weights_hash,
                rank: p.rank,
                alpha: p.alpha,
                targetModules: p.target_modules,
                trainingDatanets: p.training_datanets.clone(),
                uri: p.uri.clone(),
            },
            parent: a.parent.unwrap_or(0),
            version: a.version,
            status: status_to_sol(a.status),
        }
    }
}

#[cfg(test)]
mod tests {

    /// Issue 13, item 3: what alloy's validating decoder accepts beyond the canonical encoding
    /// (a trailing word, a short last padding word, `bytes` at a later offset) is MalformedInput.
    #[test]
    fn only_the_canonical_encoding_is_accepted() {
        let call = IInfluenceAttribution::addPointsCall {
            datanetId: 1,
            contributors: vec![Address::repeat_byte(1)],
            sketches: vec![7u8; 64].into(),
        };
        let canonical = call.abi_encode();
        assert!(decode_influence_call(&canonical).is_ok());
        let malformed = |bytes: &[u8]| decode_influence_call(bytes) == Err(DecodeError::Malformed);
        let mut trailing = canonical.clone();
        trailing.extend_from_slice(&[0u8; 32]);
        assert!(malformed(&trailing), "an extra trailing word");
        // A 33-byte `bytes` whose last padding word is cut short.
        let odd =
            IInfluenceAttribution::addPointsCall { sketches: vec![7u8; 65].into(), ..call.clone() };
        let odd = odd.abi_encode();
        assert!(decode_influence_call(&odd).is_ok());
        assert!(malformed(&odd[..odd.len() - 16]), "short padding");
        // `sketches` moved one word later (offset + 32, a zero word inserted before it).
        let mut moved = canonical[..4 + 64].to_vec();
        let offset = alloy_primitives::U256::from_be_slice(&canonical[4 + 64..4 + 96])
            + alloy_primitives::U256::from(32u64);
        moved.extend_from_slice(&offset.to_be_bytes::<32>());
        let tail = &canonical[4 + 96..];
        let sketches_at = offset.to::<usize>() - 32;
        moved.extend_from_slice(&tail[..sketches_at - 96]);
        moved.extend_from_slice(&[0u8; 32]);
        moved.extend_from_slice(&tail[sketches_at - 96..]);
        assert!(IInfluenceAttribution::addPointsCall::abi_decode(&moved).is_ok(), "alloy takes it");
        assert!(malformed(&moved), "bytes at a later offset");
        // The same rule for the other two precompiles.
        let info = ITokenAttribution::datanetInfoCall { datanetId: 3 }.abi_encode();
        let mut long = info.clone();
        long.push(0);
        assert_eq!(decode_token_call(&long), Err(DecodeError::Malformed));
        let get = IAdapterRegistry::getAdapterCall { id: 2 }.abi_encode();
        let mut long = get.clone();
        long.extend_from_slice(&[0u8; 32]);
        assert_eq!(decode_adapter_call(&long), Err(DecodeError::Malformed));
    }

    use super::*;
    use alloy_sol_types::SolCall;

    #[test]
    fn round_trips_and_errors() {
        let call = IInfluenceAttribution::scoreCall {
            datanetIds: vec![1, 2],
            querySketch: vec![1u8, 255].into(),
            topK: 3,
            topPoints: 16,
        };
        let bytes = call.abi_encode();
        assert_eq!(decode_influence_call(&bytes), Ok(InfluenceCall::score(call)));
        assert_eq!(decode_influence_call(&bytes[..3]), Err(DecodeError::Malformed));
        assert_eq!(decode_influence_call(&bytes[..40]), Err(DecodeError::Malformed));
        assert_eq!(
            decode_token_call(&[1, 2, 3, 4]),
            Err(DecodeError::UnknownSelector([1, 2, 3, 4]))
        );
        let revert = DecodeError::UnknownSelector([1, 2, 3, 4]).revert_data();
        let back = IAdapterRegistry::UnknownSelector::abi_decode(&revert).expect("same error");
        assert_eq!(back.selector, [1u8, 2, 3, 4]);
    }

    #[test]
    fn status_out_of_range_is_malformed() {
        let mut bytes =
            IAdapterRegistry::setStatusCall { id: 1, status: IAdapterRegistry::Status::Revoked }
                .abi_encode();
        let last = bytes.len() - 1;
        bytes[last] = 3;
        assert_eq!(decode_adapter_call(&bytes), Err(DecodeError::Malformed));
    }

    #[test]
    fn packed_tokens() {
        let t = [0u32, 1, u32::MAX, 0x0102_0304];
        assert_eq!(tokens_from_bytes(&tokens_to_bytes(&t)), Ok(t.to_vec()));
        assert!(tokens_from_bytes(&[1, 2, 3]).is_err());
        let docs = split_documents(&[Address::ZERO, Address::ZERO], &[1, 3], &t).expect("layout");
        assert_eq!(docs[1].1, &t[1..]);
        assert!(split_documents(&[Address::ZERO], &[1, 3], &t).is_err());
        assert!(split_documents(&[Address::ZERO, Address::ZERO], &[1, 2], &t).is_err());
    }
}
