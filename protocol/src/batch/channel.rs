//! Channels: the unit the batcher compresses and splits into frames, and the deriver reassembles.
//!
//! ```text
//! channel data = version (0) ‖ compression (0 none, 1 brotli)
//!              ‖ compressed_len (varint) ‖ compressed packed section ‖ stored section
//! ```
//!
//! One channel carries one batch. The stored section (signatures and new addresses: random
//! bytes) is appended as is, which keeps the compressor fast and lets the batcher know a
//! channel's size almost exactly before compressing.

use super::{
    codec::{BatchDecodeError, BatchEncodeError, BatchSections, L2Block, RawBatch, encode_batch},
    compress::{Compression, DecompressError, MAX_PACKED_LEN, compress, decompress},
    frame::{ChannelId, Frame},
    history::AddressHistory,
    wire::{WireError, put_uvarint, read_len, read_u8, take},
};
use std::collections::BTreeMap;

/// The channel format version (first byte of the channel data).
pub const CHANNEL_VERSION_0: u8 = 0;

/// The compression the batcher uses.
pub const DEFAULT_COMPRESSION: Compression = Compression::Brotli;

/// Largest channel (sum of its frames' data) a deriver buffers.
pub const MAX_CHANNEL_LEN: usize = MAX_PACKED_LEN;

/// Why channel data does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChannelDecodeError {
    /// The channel is cut short before its sections.
    #[error("channel header: {0}")]
    Wire(#[from] WireError),
    /// The first byte is not [`CHANNEL_VERSION_0`].
    #[error("unknown channel version {0}")]
    UnknownVersion(u8),
    /// The second byte names no known compression.
    #[error("unknown compression {0}")]
    UnknownCompression(u8),
    /// The packed section does not inflate.
    #[error(transparent)]
    Decompress(#[from] DecompressError),
    /// The batch inside does not decode.
    #[error(transparent)]
    Batch(#[from] BatchDecodeError),
}

/// Encodes blocks as channel data with the batcher's compression.
pub fn encode_channel(
    blocks: &[L2Block],
    history: &AddressHistory,
    chain_id: u64,
) -> Result<Vec<u8>, BatchEncodeError> {
    encode_channel_with(blocks, history, chain_id, DEFAULT_COMPRESSION)
}

/// Encodes blocks as channel data with the given compression.
pub fn encode_channel_with(
    blocks: &[L2Block],
    history: &AddressHistory,
    chain_id: u64,
    compression: Compression,
) -> Result<Vec<u8>, BatchEncodeError> {
    let BatchSections { packed, stored } = encode_batch(blocks, history, chain_id)?;
    if packed.len() > MAX_PACKED_LEN {
        return Err(BatchEncodeError::TooLarge);
    }
    let compressed = compress(compression, &packed);
    let mut out = Vec::with_capacity(12 + compressed.len() + stored.len());
    out.push(CHANNEL_VERSION_0);
    out.push(compression.byte());
    put_uvarint(&mut out, compressed.len() as u64);
    out.extend_from_slice(&compressed);
    out.extend_from_slice(&stored);
    if out.len() > MAX_CHANNEL_LEN {
        return Err(BatchEncodeError::TooLarge);
    }
    Ok(out)
}

/// Decodes channel data into a batch whose references are not yet resolved.
pub fn decode_channel(data: &[u8]) -> Result<RawBatch, ChannelDecodeError> {
    let buf = &mut &data[..];
    let version = read_u8(buf)?;
    if version != CHANNEL_VERSION_0 {
        return Err(ChannelDecodeError::UnknownVersion(version));
    }
    let byte = read_u8(buf)?;
    let compression =
        Compression::from_byte(byte).ok_or(ChannelDecodeError::UnknownCompression(byte))?;
    let len = read_len(buf)?;
    let compressed = take(buf, len)?;
    let packed = decompress(compression, compressed)?;
    Ok(RawBatch::parse(&packed, buf)?)
}

/// Why a frame does not fit its channel (op-node's `Channel.AddFrame` rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The frame belongs to another channel.
    #[error("frame of another channel")]
    WrongChannel,
    /// A second last frame.
    #[error("channel already closed")]
    Closed,
    /// The frame number was seen before.
    #[error("duplicate frame {0}")]
    Duplicate(u16),
    /// A frame past the last frame.
    #[error("frame {0} beyond the last frame")]
    BeyondLast(u16),
    /// The frames add up to more than [`MAX_CHANNEL_LEN`].
    #[error("channel exceeds {MAX_CHANNEL_LEN} bytes")]
    TooLarge,
}

/// A channel being reassembled from frames that may arrive out of order.
#[derive(Debug, Clone)]
pub struct ChannelAssembler {
    id: ChannelId,
    opened_at: u64,
    frames: BTreeMap<u16, Vec<u8>>,
    last: Option<u16>,
    size: usize,
}

impl ChannelAssembler {
    /// A channel first seen in L1 block `opened_at` (its timeout counts from there).
    pub fn new(id: ChannelId, opened_at: u64) -> Self {
        Self { id, opened_at, frames: BTreeMap::new(), last: None, size: 0 }
    }

    /// The channel id.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// The L1 block the first frame came in.
    pub fn opened_at(&self) -> u64 {
        self.opened_at
    }

    /// Bytes of frame data held.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the channel can no longer complete: OP drops it once L1 passes
    /// `opened_at + channel_timeout`.
    pub fn is_timed_out(&self, l1_block: u64, channel_timeout: u64) -> bool {
        l1_block > self.opened_at.saturating_add(channel_timeout)
    }

    /// Adds a frame; a rejected frame leaves the channel unchanged.
    pub fn add_frame(&mut self, frame: Frame) -> Result<(), ChannelError> {
        if frame.id != self.id {
            return Err(ChannelError::WrongChannel);
        }
        if frame.is_last && self.last.is_some() {
            return Err(ChannelError::Closed);
        }
        if self.frames.contains_key(&frame.number) {
            return Err(ChannelError::Duplicate(frame.number));
        }
        if self.last.is_some_and(|last| frame.number >= last) {
            return Err(ChannelError::BeyondLast(frame.number));
        }
        let size = self.size.checked_add(frame.data.len()).filter(|&s| s <= MAX_CHANNEL_LEN);
        let Some(mut size) = size else {
            return Err(ChannelError::TooLarge);
        };
        if frame.is_last {
            self.last = Some(frame.number);
            // Frames past a late-arriving last frame are dropped, as op-node does.
            for (_, data) in self.frames.split_off(&frame.number) {
                size -= data.len();
            }
        }
        self.size = size;
        self.frames.insert(frame.number, frame.data);
        Ok(())
    }

    /// Whether every frame up to the last one is here.
    pub fn is_ready(&self) -> bool {
        self.last.is_some_and(|last| self.frames.len() == usize::from(last) + 1)
    }

    /// The channel data, once ready.
    pub fn data(&self) -> Option<Vec<u8>> {
        self.is_ready().then(|| self.frames.values().flatten().copied().collect())
    }
}
