//! Rollup rules that the sequencer, the batcher and the prover must agree on.
//!
//! Nothing here does I/O: it is a set of pure functions and plain data types, so every component
//! that re-derives or checks the chain computes exactly the same bytes.
//!
//! - [`config`]: the chain's consensus parameters (chain id, hardforks, EIP-1559, gas limit).
//! - [`l1_info`]: the L1-attributes deposit that opens every L2 block.
//! - [`deposit`]: source hashes of deposit transactions.
//! - [`epoch`]: which L1 block an L2 block builds on (OP's epoch and drift rules).
//! - [`output_root`]: the commitment the L1 contracts settle on.
//! - [`contracts`]: `sol!` bindings of the L1 settlement contracts, from the committed artifacts.
//! - [`rollup`]: `rollup.json`, what ties the L2 chain to its L1 (genesis, windows, addresses).
//! - [`batch`]: how L2 blocks travel through L1: frames, blobs, channels and the batch format.

pub mod batch;
pub mod config;
pub mod contracts;
pub mod deposit;
pub mod derive;
pub mod epoch;
pub mod l1_info;
pub mod output_root;
pub mod rollup;

pub use config::{ChainConfig, Eip1559Config, HardforkConfig};
pub use deposit::{l1_info_source_hash, user_deposit_source_hash};
pub use l1_info::{L1BlockInfo, L1InfoError};
pub use output_root::output_root_v0;
pub use rollup::{RollupConfig, RollupConfigError};
