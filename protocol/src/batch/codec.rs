//! A batch (version 0): a run of consecutive L2 blocks, in two sections.
//!
//! ```text
//! packed (compressed) = parent_check [20] ‖ origin_check [20]
//!                     ‖ first_number ‖ first_timestamp ‖ first_origin ‖ history_uses ‖ block_count
//!                     ‖ timestamp_delta × (blocks − 1) ‖ origin_delta × (blocks − 1)
//!                     ‖ tx_count × blocks ‖ transaction columns (see `txs`)
//! stored (as is)      = signatures (64 bytes each) ‖ new addresses (20 bytes each)
//! ```
//!
//! Numbers are unsigned LEB128 varints. `parent_check` is the first 20 bytes of the first
//! block's parent hash and `origin_check` the first 20 bytes of the last block's L1 origin hash
//! (as in OP's span batches): the L1 origins in between are ancestors of the last one, so one
//! check pins them all. `history_uses` is how many recent address uses the batch may reference
//! ([`super::history`]); 0 makes the batch self-contained.

use super::{
    history::{AddressHistory, Recent},
    txs::{MAX_BATCH_CALLDATA, TxColumns, TxColumnsError, TxColumnsWriter},
    wire::{WireError, put_uvarint, read_array, read_len, read_uvarint},
};
use alloy_eips::BlockNumHash;
use alloy_primitives::{B256, Bytes};

/// An L2 block as the batcher hands it to the codec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct L2Block {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// Hash of the parent block (only the first block's is checked by derivation).
    pub parent_hash: B256,
    /// The L1 block this block builds on.
    pub l1_origin: BlockNumHash,
    /// The block's transactions without the deposits, as EIP-2718 bytes.
    pub transactions: Vec<Bytes>,
}

/// What derivation checks before it trusts a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchHeader {
    /// First 20 bytes of the first block's parent hash.
    pub parent_check: [u8; 20],
    /// First 20 bytes of the last block's L1 origin hash.
    pub origin_check: [u8; 20],
    /// Number of the first block.
    pub first_number: u64,
    /// Timestamp of the first block.
    pub first_timestamp: u64,
    /// L1 origin number of the first block.
    pub first_origin: u64,
    /// Address uses before the first block that the batch references.
    pub history_uses: u64,
}

/// A block as derivation gets it back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchBlock {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// L1 origin number.
    pub l1_origin: u64,
    /// Non-deposit transactions, EIP-2718 bytes.
    pub transactions: Vec<Bytes>,
}

/// A decoded batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    /// The checks derivation makes against its L2 head and L1.
    pub header: BatchHeader,
    /// The blocks, in order.
    pub blocks: Vec<BatchBlock>,
}

/// Why blocks cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchEncodeError {
    /// A batch holds at least one block.
    #[error("no blocks to encode")]
    NoBlocks,
    /// Blocks must be consecutive.
    #[error("block {got} does not follow block {previous}")]
    NotConsecutive {
        /// The block before.
        previous: u64,
        /// The block that does not follow it.
        got: u64,
    },
    /// Timestamps and L1 origins never go back.
    #[error("block {0} goes back in time or in L1 origin")]
    GoesBack(u64),
    /// Deposits are derived from L1 events, never batched.
    #[error("block {block} transaction {index} is a deposit")]
    Deposit {
        /// Block number.
        block: u64,
        /// Index among the block's batched transactions.
        index: usize,
    },
    /// The history must end right before the first block.
    #[error("history ends before block {history_next:?}, batch starts at {first}")]
    HistoryMisaligned {
        /// The block the history leads to.
        history_next: Option<u64>,
        /// The batch's first block.
        first: u64,
    },
    /// Above the decoder's limits: split the blocks over more channels.
    #[error("batch too large for one channel")]
    TooLarge,
}

/// Why a batch does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchDecodeError {
    /// Malformed header or block columns.
    #[error("batch header: {0}")]
    Wire(#[from] WireError),
    /// A batch holds at least one block.
    #[error("batch holds no block")]
    NoBlocks,
    /// A count exceeds what the input can hold.
    #[error("count {0} exceeds the input")]
    CountTooLarge(u64),
    /// Block numbers, timestamps or origins overflow.
    #[error("block fields overflow")]
    Overflow,
    /// Malformed transaction columns.
    #[error(transparent)]
    Txs(#[from] TxColumnsError),
    /// The batch references more history than the deriver holds.
    #[error("batch references {needed} history uses, {held} held")]
    HistoryTooShort {
        /// Uses the batch relies on.
        needed: u64,
        /// Uses the deriver holds.
        held: usize,
    },
    /// The deriver's history does not end right before the batch.
    #[error("history leads to block {history_next:?}, batch starts at {first}")]
    HistoryMisaligned {
        /// The block the history leads to.
        history_next: Option<u64>,
        /// The batch's first block.
        first: u64,
    },
}

/// A batch whose structure is parsed and whose address references are not yet resolved:
/// derivation checks [`RawBatch::header`] against its head before resolving with the history
/// that ends there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBatch {
    header: BatchHeader,
    timestamps: Vec<u64>,
    origins: Vec<u64>,
    tx_counts: Vec<usize>,
    txs: TxColumns,
}

/// A batch before compression: what tools and benchmarks look at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchSections {
    /// The section that is compressed.
    pub packed: Vec<u8>,
    /// The section appended as is (signatures, new addresses).
    pub stored: Vec<u8>,
}

/// Encodes blocks into the packed and stored sections of a batch.
pub fn encode_batch(
    blocks: &[L2Block],
    history: &AddressHistory,
    chain_id: u64,
) -> Result<BatchSections, BatchEncodeError> {
    let (first, last) = match (blocks.first(), blocks.last()) {
        (Some(first), Some(last)) => (first, last),
        _ => return Err(BatchEncodeError::NoBlocks),
    };
    if history.next_block().is_some_and(|next| next != first.number) {
        return Err(BatchEncodeError::HistoryMisaligned {
            history_next: history.next_block(),
            first: first.number,
        });
    }
    let mut packed = Vec::new();
    packed.extend_from_slice(&first.parent_hash[..20]);
    packed.extend_from_slice(&last.l1_origin.hash[..20]);
    put_uvarint(&mut packed, first.number);
    put_uvarint(&mut packed, first.timestamp);
    put_uvarint(&mut packed, first.l1_origin.number);
    put_uvarint(&mut packed, history.len() as u64);
    put_uvarint(&mut packed, blocks.len() as u64);
    let mut origin_deltas = Vec::new();
    for pair in blocks.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        if prev.number.checked_add(1) != Some(next.number) {
            return Err(BatchEncodeError::NotConsecutive {
                previous: prev.number,
                got: next.number,
            });
        }
        let dt = next.timestamp.checked_sub(prev.timestamp);
        let d_origin = next.l1_origin.number.checked_sub(prev.l1_origin.number);
        let (Some(dt), Some(d_origin)) = (dt, d_origin) else {
            return Err(BatchEncodeError::GoesBack(next.number));
        };
        put_uvarint(&mut packed, dt);
        put_uvarint(&mut origin_deltas, d_origin);
    }
    packed.extend_from_slice(&origin_deltas);
    for block in blocks {
        put_uvarint(&mut packed, block.transactions.len() as u64);
    }
    let mut recent = Recent::for_encoding(history.newest(history.len()).into_iter().flatten());
    let mut columns = TxColumnsWriter::default();
    for block in blocks {
        for (index, tx) in block.transactions.iter().enumerate() {
            if tx.first() == Some(&super::DEPOSIT_TX_TYPE) {
                return Err(BatchEncodeError::Deposit { block: block.number, index });
            }
            columns.push(tx, chain_id, &mut recent);
        }
    }
    if columns.calldata() > MAX_BATCH_CALLDATA {
        return Err(BatchEncodeError::TooLarge);
    }
    let mut stored = Vec::new();
    columns.finish(&mut packed, &mut stored);
    Ok(BatchSections { packed, stored })
}

impl RawBatch {
    /// Parses the packed and stored sections.
    pub(crate) fn parse(packed: &[u8], stored: &[u8]) -> Result<Self, BatchDecodeError> {
        let buf = &mut &packed[..];
        let header = BatchHeader {
            parent_check: read_array(buf)?,
            origin_check: read_array(buf)?,
            first_number: read_uvarint(buf)?,
            first_timestamp: read_uvarint(buf)?,
            first_origin: read_uvarint(buf)?,
            history_uses: read_uvarint(buf)?,
        };
        let count = read_len(buf)?;
        if count == 0 {
            return Err(BatchDecodeError::NoBlocks);
        }
        if count > buf.len() {
            return Err(BatchDecodeError::CountTooLarge(count as u64));
        }
        header.first_number.checked_add(count as u64 - 1).ok_or(BatchDecodeError::Overflow)?;
        let mut timestamps = Vec::with_capacity(count);
        timestamps.push(header.first_timestamp);
        for _ in 1..count {
            let delta = read_uvarint(buf)?;
            let prev = timestamps.last().copied().unwrap_or_default();
            timestamps.push(prev.checked_add(delta).ok_or(BatchDecodeError::Overflow)?);
        }
        let mut origins = Vec::with_capacity(count);
        origins.push(header.first_origin);
        for _ in 1..count {
            let delta = read_uvarint(buf)?;
            let prev = origins.last().copied().unwrap_or_default();
            origins.push(prev.checked_add(delta).ok_or(BatchDecodeError::Overflow)?);
        }
        let mut tx_counts = Vec::with_capacity(count);
        let mut total = 0u64;
        for _ in 0..count {
            let n = read_uvarint(buf)?;
            total = total.checked_add(n).ok_or(BatchDecodeError::Overflow)?;
            tx_counts.push(usize::try_from(n).map_err(|_| BatchDecodeError::CountTooLarge(n))?);
        }
        let txs = TxColumns::parse(buf, total, stored)?;
        Ok(Self { header, timestamps, origins, tx_counts, txs })
    }

    /// The fields derivation checks before resolving.
    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    /// Number of blocks.
    pub fn block_count(&self) -> usize {
        self.timestamps.len()
    }

    /// Number of transactions.
    pub fn tx_count(&self) -> usize {
        self.txs.len()
    }

    /// Rebuilds the blocks; `history` must end right before the first block (when the batch
    /// references it) and `chain_id` is the L2 chain id implied by the columnar transactions.
    pub fn resolve(
        &self,
        chain_id: u64,
        history: &AddressHistory,
    ) -> Result<Batch, BatchDecodeError> {
        let needed = self.header.history_uses;
        let base = if needed == 0 {
            None
        } else {
            if history.next_block() != Some(self.header.first_number) {
                return Err(BatchDecodeError::HistoryMisaligned {
                    history_next: history.next_block(),
                    first: self.header.first_number,
                });
            }
            let held = history.len();
            let n = usize::try_from(needed).ok().filter(|&n| n <= held);
            Some(
                n.and_then(|n| history.newest(n))
                    .ok_or(BatchDecodeError::HistoryTooShort { needed, held })?,
            )
        };
        let mut recent = Recent::for_decoding(base.into_iter().flatten());
        let mut txs = self.txs.resolve(chain_id, &mut recent)?.into_iter();
        let mut blocks = Vec::with_capacity(self.block_count());
        for (i, ((&timestamp, &l1_origin), &count)) in
            self.timestamps.iter().zip(&self.origins).zip(&self.tx_counts).enumerate()
        {
            blocks.push(BatchBlock {
                // Checked by `parse`: first_number + count − 1 fits.
                number: self.header.first_number + i as u64,
                timestamp,
                l1_origin,
                transactions: txs.by_ref().take(count).collect(),
            });
        }
        Ok(Batch { header: self.header, blocks })
    }
}
