//! Proof-of-Attribution core for OpenLedger's native precompiles.
//!
//! Pure, deterministic algorithms with no EVM code, so they can be tested against independent
//! reference implementations and re-run bit for bit by every node (no floating point, no hash
//! map iteration order, rayon only where the result cannot depend on scheduling):
//!
//! - [`influence`]: int8 gradient-sketch dot products, clipped, top-k, per-contributor shares.
//! - [`token_attribution`]: Infini-gram style maximal-span matching over LSM-segmented suffix
//!   arrays, credit split between the contributors holding each span.
//! - [`adapters`]: the LoRA adapter registry's rules as functions of the current state.
//! - [`bps`]: largest-remainder normalization to exactly 10,000 basis points.
//! - [`abi`]: the Solidity interfaces (from `interfaces/*.sol`), total decoders, revert data.
//! - [`gas`]: the gas schedule, a pure function of input sizes.
//! - [`ranges`]: excluded index ranges (rejected or slashed data).
//!
//! ```text
//! calldata ──abi::decode_*──▶ core call ──influence / token_attribution / adapters──▶ result
//!     │                          │                                                    │
//!     └─ DecodeError::revert_data └─ gas::* charged first                 abi::encode_* ┘
//! ```

#![forbid(unsafe_code)]

pub mod abi;
pub mod adapters;
pub mod bps;
pub mod gas;
pub mod influence;
pub mod ranges;
pub mod token_attribution;

pub use adapters::{
    Adapter, AdapterError, AdapterParams, AdapterRegistry, AdapterStatus, AdapterView,
};
pub use bps::{Share, TOTAL_BPS};
pub use influence::{
    Datanet, DatanetId, InfluenceError, InfluenceQuery, InfluenceResult, InfluenceWork, Scanned,
    ScoredPoint,
};
pub use token_attribution::{
    MatchedSpan, MergePolicy, SETTLE_BLOCKS, TokenAttribution, TokenError, TokenIndex, TokenQuery,
    TokenWork, match_work_bound,
};
