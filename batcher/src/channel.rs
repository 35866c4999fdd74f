//! Closing L2 blocks into a channel and cutting it into L1 payloads with `protocol/`'s codec.
//!
//! The batcher keeps the [`AddressHistory`] of the blocks it has already put in channels, so a
//! channel may name recent addresses by distance. After a restart or an L2 reorg it starts from
//! an empty history: the next channel is a little larger, and is still exactly what derivation
//! rebuilds (a batch states how many history uses it relies on; zero needs no history).

use crate::l2::L2Block;
use alloy_consensus::BlobTransactionSidecar;
use alloy_eips::eip4844::Blob;
use alloy_primitives::keccak256;
use ol_protocol::batch::{
    self, AddressHistory, ChannelId, MAX_BLOB_FRAME, encode_channel, encode_payload, split_channel,
};

/// Why blocks could not become payloads (a bug or a block the codec refuses; not retried).
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The codec refused the blocks.
    #[error("encoding the channel: {0}")]
    Encode(#[from] batch::BatchEncodeError),
    /// The channel does not split into frames of that size.
    #[error("splitting the channel: {0}")]
    Split(#[from] batch::FrameError),
    /// A payload does not fit a blob.
    #[error("packing a blob: {0}")]
    Blob(#[from] batch::BlobError),
    /// KZG commitments could not be computed.
    #[error("KZG: {0}")]
    Kzg(String),
}

/// The codec's view of a loaded block.
fn codec_block(b: &L2Block) -> batch::L2Block {
    batch::L2Block {
        number: b.number,
        timestamp: b.timestamp,
        parent_hash: b.parent_hash,
        l1_origin: alloy_eips::BlockNumHash { number: b.origin_number, hash: b.origin_hash },
        transactions: b.transactions.clone(),
    }
}

/// Bytes of a block's batched transactions (what the channel must carry before compression).
pub fn raw_size(b: &L2Block) -> usize {
    b.transactions.iter().map(|t| t.len()).sum()
}

/// The channel-building state that outlives one channel.
#[derive(Debug, Default)]
pub struct ChannelBuilder {
    history: AddressHistory,
    /// Distinguishes channels of identical content (a re-post after an L2 reorg).
    serial: u64,
}

impl ChannelBuilder {
    /// A builder with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the history (after an L2 reorg: the blocks it came from may be gone).
    pub fn reset(&mut self) {
        self.history = AddressHistory::new();
    }

    /// Encodes `blocks` (consecutive, linked) as one channel's data and extends the history
    /// with them.
    pub fn close(&mut self, blocks: &[L2Block], chain_id: u64) -> Result<Vec<u8>, ChannelError> {
        let codec: Vec<_> = blocks.iter().map(codec_block).collect();
        let data = match encode_channel(&codec, &self.history, chain_id) {
            Ok(data) => data,
            // The history went out of line (blocks skipped after a rewind): start afresh.
            Err(batch::BatchEncodeError::HistoryMisaligned { .. }) => {
                self.reset();
                encode_channel(&codec, &self.history, chain_id)?
            }
            Err(e) => return Err(e.into()),
        };
        for b in &codec {
            if self.history.push_block(b.number, b.transactions.iter().map(|t| &t[..])).is_err() {
                self.reset();
                // A gap means the next channel cannot reference this history anyway.
                let _ = self.history.push_block(b.number, b.transactions.iter().map(|t| &t[..]));
            }
        }
        Ok(data)
    }

    /// Cuts channel data into payloads, each the derivation version byte and one frame of at
    /// most `max_frame` bytes.
    pub fn payloads(
        &mut self,
        data: &[u8],
        max_frame: usize,
    ) -> Result<Vec<Vec<u8>>, ChannelError> {
        self.serial += 1;
        let frames = split_channel(channel_id(data, self.serial), data, max_frame)?;
        Ok(frames.iter().map(|f| encode_payload(std::slice::from_ref(f))).collect())
    }
}

/// A channel id from its content and a serial: unique per channel, with no randomness to seed.
fn channel_id(data: &[u8], serial: u64) -> ChannelId {
    let mut input = keccak256(data).to_vec();
    input.extend_from_slice(&serial.to_be_bytes());
    let hash = keccak256(&input);
    let mut id = ChannelId::default();
    id.copy_from_slice(&hash[..batch::CHANNEL_ID_LEN]);
    id
}

/// Largest frame when each payload fills one blob.
pub const BLOB_FRAME: usize = MAX_BLOB_FRAME;

/// Loads the KZG trusted setup that [`sidecar`] uses (once per process).
pub fn load_kzg() {
    let _ = alloy_eips::eip4844::env_settings::EnvKzgSettings::Default.get();
}

/// A sidecar carrying `payloads`, one blob each, in order.
pub fn sidecar(payloads: &[Vec<u8>]) -> Result<BlobTransactionSidecar, ChannelError> {
    let blobs: Vec<Blob> =
        payloads.iter().map(|p| batch::encode_blob(p).map(|b| *b)).collect::<Result<_, _>>()?;
    let settings = alloy_eips::eip4844::env_settings::EnvKzgSettings::Default;
    BlobTransactionSidecar::try_from_blobs_with_settings(blobs, settings.get())
        .map_err(|e| ChannelError::Kzg(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, Bytes};
    use ol_protocol::batch::DERIVATION_VERSION_0;
    use ol_protocol::batch::{ChannelAssembler, decode_blob, decode_channel, parse_payload};

    fn blocks(from: u64, n: u64) -> Vec<L2Block> {
        let mut parent = B256::repeat_byte(9);
        (from..from + n)
            .map(|number| {
                let hash = keccak256(number.to_be_bytes());
                let block = L2Block {
                    number,
                    hash,
                    parent_hash: parent,
                    timestamp: 1_000 + number,
                    origin_number: 7,
                    origin_hash: B256::repeat_byte(7),
                    transactions: Vec::<Bytes>::new(),
                };
                parent = hash;
                block
            })
            .collect()
    }

    fn read_back(payloads: &[Vec<u8>]) -> batch::RawBatch {
        let mut frames = payloads.iter().flat_map(|p| parse_payload(p).unwrap_or_default());
        let first = frames.next().expect("a frame");
        let mut assembler = ChannelAssembler::new(first.id, 0);
        assembler.add_frame(first).expect("first frame");
        for f in frames {
            assembler.add_frame(f).expect("frame");
        }
        decode_channel(&assembler.data().expect("complete")).expect("decodes")
    }

    #[test]
    fn payloads_read_back_to_the_blocks_and_the_history_follows() {
        let mut builder = ChannelBuilder::new();
        let first = blocks(1, 5);
        let data = builder.close(&first, 1).expect("encodes");
        let payloads = builder.payloads(&data, 30).expect("splits");
        assert!(payloads.len() > 1, "a 30-byte frame limit forces several frames");
        assert!(payloads.iter().all(|p| p.first() == Some(&DERIVATION_VERSION_0) && p.len() <= 31));
        let raw = read_back(&payloads);
        assert_eq!((raw.header().first_number, raw.block_count()), (1, 5));
        assert_eq!(builder.history.next_block(), Some(6));

        // A channel that does not follow on resets the history instead of failing.
        let later = blocks(10, 2);
        let data = builder.close(&later, 1).expect("encodes after a gap");
        let payloads = builder.payloads(&data, 120_000).expect("splits");
        assert_eq!(read_back(&payloads).header().history_uses, 0);
        assert_eq!(builder.history.next_block(), Some(12));
    }

    #[test]
    fn sidecars_carry_payloads_blob_by_blob() {
        // c-kzg needs more than a test thread's stack (the binary's workers get 16 MiB).
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(sidecars)
            .expect("thread")
            .join()
            .expect("sidecar checks");
    }

    fn sidecars() {
        let payloads = vec![vec![0u8, 1, 2, 3], vec![0u8; BLOB_FRAME + 1]];
        let sidecar = sidecar(&payloads).expect("sidecar");
        assert_eq!(sidecar.versioned_hashes().count(), 2);
        for (blob, payload) in sidecar.blobs.iter().zip(&payloads) {
            assert_eq!(&decode_blob(blob).expect("decodes"), payload);
        }
        assert!(super::sidecar(&[vec![0u8; BLOB_FRAME + 2]]).is_err(), "too large for a blob");
    }
}
