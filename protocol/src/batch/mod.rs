//! The batch codec: how L2 blocks travel through L1 and come back.
//!
//! ```text
//!  batcher:   L2Block… ──encode_channel──▶ channel data ──split_channel──▶ Frame…
//!                 ──encode_payload──▶ calldata, or encode_blob ──▶ one blob per payload
//!
//!  derivation: calldata / decode_blob ──parse_payload──▶ Frame… ──ChannelAssembler──▶
//!              channel data ──decode_channel──▶ RawBatch ──(check header)── resolve(history)
//!              ──▶ Batch { blocks: number, timestamp, L1 origin, transactions }
//! ```
//!
//! Payloads, frames and blobs are OP's formats, so OP's tools can read them. The channel
//! contents are our own batch format (version 0, `docs/BATCH_FORMAT.md`): span-batch-like
//! columns, plus references to addresses the chain used recently ([`history`]), with signatures
//! and new addresses stored outside the compressed part. Every decoder is total: any bytes give
//! a value or an error, never a panic, and no allocation is sized by an untrusted count beyond
//! the input.

mod bank;
mod blob;
mod channel;
mod codec;
mod compress;
mod frame;
pub mod history;
mod inbox;
mod txs;
mod wire;

pub use bank::{ChannelBank, Ingested, MAX_BANK_SIZE, ReadyChannel};
pub use blob::{BLOB_ENCODING_VERSION, BlobError, MAX_BLOB_DATA_SIZE, decode_blob, encode_blob};
pub use channel::{
    CHANNEL_VERSION_0, ChannelAssembler, ChannelDecodeError, ChannelError, DEFAULT_COMPRESSION,
    MAX_CHANNEL_LEN, decode_channel, encode_channel, encode_channel_with,
};
pub use codec::{
    Batch, BatchBlock, BatchDecodeError, BatchEncodeError, BatchHeader, BatchSections, L2Block,
    RawBatch, encode_batch,
};
pub use compress::{Compression, DecompressError, MAX_PACKED_LEN};
pub use frame::{
    CHANNEL_ID_LEN, ChannelId, DERIVATION_VERSION_0, FRAME_OVERHEAD, Frame, FrameError,
    MAX_FRAME_LEN, encode_payload, parse_payload, split_channel,
};
pub use history::{AddressHistory, HISTORY_BLOCKS, HISTORY_USES, HistoryError};
pub use inbox::{InboxBatch, InboxError, calldata_batch, inbox_batch};
pub use txs::{MAX_BATCH_CALLDATA, TxColumnsError};
pub use wire::WireError;

/// Type byte of deposit transactions, which are derived from L1 and never batched.
pub const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// Largest calldata payload the batcher posts: op-batcher's default `MaxL1TxSize`, below geth's
/// 128 KiB transaction-pool limit with room for the transaction's other fields.
pub const MAX_CALLDATA_PAYLOAD: usize = 120_000;

/// Largest frame that fits a calldata payload (after the version byte).
pub const MAX_CALLDATA_FRAME: usize = MAX_CALLDATA_PAYLOAD - 1;

/// Largest frame that fits one blob (after the version byte).
pub const MAX_BLOB_FRAME: usize = MAX_BLOB_DATA_SIZE - 1;

/// Blobs one L1 transaction may carry (EIP-7594, from Osaka on).
pub const MAX_BLOBS_PER_TX: usize = 6;

#[cfg(test)]
mod tests;
