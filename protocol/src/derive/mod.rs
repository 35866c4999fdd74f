//! Derivation: the L2 chain as a pure function of L1 data (DESIGN.md, "The rollup invariant").
//!
//! ```text
//!  L1 blocks ─▶ inbox payloads (batch::inbox) ─▶ ChannelBank (batch::bank) ─▶ channels
//!    ─▶ decode_channel + resolve ─▶ Batch ─▶ batch_queue::check_batch against the safe head
//!    ─▶ accepted blocks, or batch_queue::forced_block once the sequencing window has closed
//!    ─▶ payload attributes (timestamp, origin, the epoch's deposits, transactions)
//! ```
//!
//! The parts: the channel bank (`batch::ChannelBank`), the batch rules with forced inclusion
//! ([`batch_queue`]), the block attributes the sequencer and derivation share ([`attributes`]),
//! and [`pipeline::Pipeline`], which strings them together over pushed L1 blocks. The node's
//! `l1::Deriver` drives the pipeline, for the sequencer's safe head and for `--follow-l1`.

pub mod attributes;
pub mod batch_queue;
pub mod pipeline;

#[cfg(test)]
mod garbage_tests;
#[cfg(test)]
pub(crate) mod testkit;

use alloy_eips::BlockNumHash;
use alloy_primitives::B256;

pub use attributes::{BlockAttributes, L1Block, block_attributes, sequence_number};
pub use batch_queue::{BatchDrop, LATE_MARGIN, check_batch, forced_block, is_late};
pub use pipeline::{Derived, Pipeline, PipelineError};

/// An L2 block as derivation continues from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Ref {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// Its L1 origin.
    pub origin: BlockNumHash,
}
