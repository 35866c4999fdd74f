//! The derivation pipeline: canonical L1 blocks (with their inbox payloads and deposits) in, the
//! next L2 block's attributes and transactions out, one block at a time.
//!
//! ```text
//!  push_l1(block, payloads) ─▶ L1 traversal (parent links; a break asks for a reset)
//!  next_block() ─┬─ an accepted batch has blocks left ─────────────────────────▶ Derived
//!                ├─ a channel completed: decode, resolve(history), check_batch ─▶ accept / drop
//!                │    (a batch that starts further ahead waits among the future batches)
//!                ├─ a future batch starts right after the safe head ─▶ resolve, check, accept
//!                ├─ the safe head's sequencing window closed at the L1 cursor ─▶ forced Derived
//!                ├─ an L1 block not yet read: its payloads into the ChannelBank, cursor + 1
//!                └─ nothing more to do: None (push more L1)
//!  advance(hash) after the caller executed the block: safe head, sequence number, history
//! ```
//!
//! The pipeline does no I/O and executes nothing: the caller fetches L1 (the inbox rules of
//! `batch::inbox`), executes what comes out (`Chain::import_block` in the node) and hands back
//! the block hash. Everything it decides is a function of the L1 blocks pushed, so every node
//! derives the same blocks.

use super::{
    L2Ref,
    attributes::{BlockAttributes, L1Block, block_attributes, sequence_number},
    batch_queue::{check_batch, forced_block},
};
use crate::{
    batch::{AddressHistory, BatchBlock, ChannelBank, RawBatch, decode_channel},
    rollup::RollupConfig,
};
use alloy_primitives::{B256, Bytes};
use std::collections::{BTreeMap, VecDeque};

/// Future batches held at most; more are dropped as they come (`docs/BATCH_FORMAT.md` §8).
pub const MAX_FUTURE_BATCHES: usize = 64;

/// Why the pipeline cannot go on with the L1 block it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    /// The block does not extend the last one pushed: L1 reorged. Rebuild the pipeline from a
    /// safe head whose origin is still canonical (walking back a channel timeout for channels).
    #[error("L1 block {number} does not extend block {expected_parent}: reset")]
    Reorg {
        /// The block pushed.
        number: u64,
        /// The number it should have extended.
        expected_parent: u64,
    },
}

/// One derived L2 block, to execute strictly on the safe head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Timestamp, origin, deposits.
    pub attributes: BlockAttributes,
    /// The user transactions (EIP-2718 bytes), empty for a forced block.
    pub transactions: Vec<Bytes>,
    /// Whether derivation made it itself (the sequencing window closed without a batch).
    pub forced: bool,
    /// The L1 block up to which L1 had been read when it was derived.
    pub l1_cursor: u64,
    /// Whether it is the last block of its batch (forced blocks stand alone): a node that
    /// stops or unwinds here can derive on from the next batch.
    pub ends_batch: bool,
}

/// See the module doc.
#[derive(Debug, Clone)]
pub struct Pipeline {
    rollup: RollupConfig,
    /// L1 blocks pushed, by number (origins are looked up here).
    l1: BTreeMap<u64, L1Block>,
    /// Their inbox payloads, until read into the bank.
    payloads: BTreeMap<u64, Vec<Bytes>>,
    /// The last L1 block whose payloads went into the bank.
    cursor: Option<u64>,
    bank: ChannelBank,
    /// Blocks of the accepted batch not yet handed out.
    queue: VecDeque<BatchBlock>,
    /// Batches that start after the block following the safe head, with their inclusion
    /// block, in L1 order: they are judged once the safe head reaches their parent (forced
    /// blocks can get it there; this is how a sequencer that was down past the window gets
    /// its batches accepted again).
    future: VecDeque<(u64, RawBatch)>,
    /// The block handed out and not yet advanced over.
    handed: Option<Derived>,
    safe: L2Ref,
    safe_sequence: u64,
    history: AddressHistory,
}

impl Pipeline {
    /// A pipeline continuing from `safe` (the `safe_sequence`-th block of its epoch), with the
    /// address history of the blocks up to it. L1 blocks are pushed from wherever the caller
    /// starts reading (a channel timeout before the safe head's origin rebuilds open channels).
    pub fn new(
        rollup: RollupConfig,
        safe: L2Ref,
        safe_sequence: u64,
        history: AddressHistory,
    ) -> Self {
        let timeout = rollup.channel_timeout;
        Self {
            rollup,
            l1: BTreeMap::new(),
            payloads: BTreeMap::new(),
            cursor: None,
            bank: ChannelBank::new(timeout),
            queue: VecDeque::new(),
            future: VecDeque::new(),
            handed: None,
            safe,
            safe_sequence,
            history,
        }
    }

    /// The safe head derivation continues from.
    pub fn safe(&self) -> L2Ref {
        self.safe
    }

    /// The hash of L1 block `number`, if the pipeline still holds it (to find a reorg's fork).
    pub fn l1_hash(&self, number: u64) -> Option<B256> {
        self.l1.get(&number).map(|b| b.id.hash)
    }

    /// Appends the next canonical L1 block and the inbox payloads it holds.
    pub fn push_l1(&mut self, block: L1Block, payloads: Vec<Bytes>) -> Result<(), PipelineError> {
        if let Some((&last, parent)) = self.l1.last_key_value()
            && (block.id.number != last + 1 || block.id.parent_hash != parent.id.hash)
        {
            return Err(PipelineError::Reorg { number: block.id.number, expected_parent: last });
        }
        self.payloads.insert(block.id.number, payloads);
        self.l1.insert(block.id.number, block);
        Ok(())
    }

    /// The next L2 block after the safe head, or `None` until more L1 is pushed. The same block
    /// is returned again until [`Self::advance`] is called for it.
    pub fn next_block(&mut self) -> Option<Derived> {
        if let Some(handed) = &self.handed {
            return Some(handed.clone());
        }
        let derived = self.derive()?;
        self.handed = Some(derived.clone());
        Some(derived)
    }

    /// The caller executed the block [`Self::next_block`] returned; `hash` is its block hash.
    pub fn advance(&mut self, hash: B256) {
        let Some(done) = self.handed.take() else { return };
        let info = &done.attributes.l1_info;
        self.safe = L2Ref {
            number: self.safe.number + 1,
            hash,
            timestamp: done.attributes.timestamp,
            origin: alloy_eips::BlockNumHash { number: info.number, hash: info.hash },
        };
        self.safe_sequence = info.sequence_number;
        if self
            .history
            .push_block(self.safe.number, done.transactions.iter().map(|t| &t[..]))
            .is_err()
        {
            self.history = AddressHistory::new();
        }
        // L1 blocks far below the safe head's origin are no longer needed as origins.
        let keep_from = self.safe.origin.number.saturating_sub(1);
        let cursor = self.cursor.unwrap_or_default();
        while let Some((&n, _)) = self.l1.first_key_value() {
            if n >= keep_from || n >= cursor {
                break;
            }
            self.l1.remove(&n);
        }
    }

    fn derive(&mut self) -> Option<Derived> {
        loop {
            if let Some(block) = self.queue.pop_front() {
                return self.batch_block(block);
            }
            if let Some(cursor) = self.cursor {
                if let Some(channel) = self.bank.read(cursor) {
                    if let Ok(raw) = decode_channel(&channel.data) {
                        self.accept(cursor, raw);
                    }
                    continue;
                }
                let next = self.safe.number + 1;
                self.future.retain(|(_, raw)| raw.header().first_number >= next);
                if let Some(i) =
                    self.future.iter().position(|(_, raw)| raw.header().first_number == next)
                    && let Some((inclusion, raw)) = self.future.remove(i)
                {
                    self.accept(inclusion, raw);
                    continue;
                }
                let l1 = |n: u64| self.l1.get(&n).map(|b| b.id);
                if let Some((timestamp, origin)) =
                    forced_block(&self.rollup, &self.safe, cursor, l1)
                {
                    return self.forced(timestamp, origin.number, cursor);
                }
            }
            let next =
                self.cursor.map_or_else(|| self.l1.keys().next().copied(), |c| Some(c + 1))?;
            let payloads = self.payloads.remove(&next)?;
            for payload in &payloads {
                self.bank.ingest(next, payload);
            }
            self.cursor = Some(next);
        }
    }

    /// Queues a batch's blocks if it is valid on the safe head; keeps it for later if it starts
    /// further ahead and could still be valid then.
    fn accept(&mut self, inclusion: u64, raw: RawBatch) {
        let header = raw.header();
        if header.first_number > self.safe.number + 1 {
            let in_window =
                header.first_origin.saturating_add(self.rollup.seq_window_size) > inclusion;
            if in_window && self.future.len() < MAX_FUTURE_BATCHES {
                self.future.push_back((inclusion, raw));
            }
            return;
        }
        let Ok(batch) = raw.resolve(self.rollup.l2_chain_id, &self.history) else { return };
        let l1 = |n: u64| self.l1.get(&n).map(|b| b.id);
        if check_batch(&self.rollup, &self.safe, &batch, inclusion, l1).is_ok() {
            self.queue.extend(batch.blocks);
        }
    }

    fn attributes(&self, origin: u64, timestamp: u64) -> Option<BlockAttributes> {
        let origin = self.l1.get(&origin)?;
        let sequence =
            sequence_number(self.safe.origin.number, self.safe_sequence, origin.id.number);
        let system = &self.rollup.genesis.system_config;
        Some(block_attributes(system, origin, sequence, timestamp, system.gas_limit))
    }

    fn batch_block(&mut self, block: BatchBlock) -> Option<Derived> {
        let attributes = self.attributes(block.l1_origin, block.timestamp)?;
        Some(Derived {
            attributes,
            transactions: block.transactions,
            forced: false,
            l1_cursor: self.cursor.unwrap_or_default(),
            ends_batch: self.queue.is_empty(),
        })
    }

    fn forced(&mut self, timestamp: u64, origin: u64, cursor: u64) -> Option<Derived> {
        let attributes = self.attributes(origin, timestamp)?;
        Some(Derived {
            attributes,
            transactions: Vec::new(),
            forced: true,
            l1_cursor: cursor,
            ends_batch: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{batch::encode_payload, derive::testkit::*};

    #[test]
    fn posted_batches_derive_the_chain_and_garbage_changes_nothing() {
        let chain = l2_chain(6);
        let mut payloads = BTreeMap::new();
        // Blocks 1-3 posted in L1 block 2 (frames in order), blocks 4-6 in block 3, with garbage
        // around: random bytes, a truncated frame, a frame of a channel that never completes.
        let mut first = payload(&chain[..3], 1);
        first.insert(0, Bytes::from_static(b"\x00garbage"));
        payloads.insert(2, first);
        let mut second = vec![Bytes::from_static(&[0x00, 1, 2, 3]), Bytes::from_static(b"")];
        second.extend(payload(&chain[3..], 2));
        let partial =
            crate::batch::Frame { id: [9; 16], number: 0, data: b"part".to_vec(), is_last: false };
        second.push(Bytes::from(encode_payload(&[partial])));
        payloads.insert(3, second);
        let derived = derive_all(&payloads, 3);
        assert_eq!(derived.len(), 6, "{derived:#?}");
        for (d, b) in derived.iter().zip(&chain) {
            assert!(!d.forced);
            assert_eq!(d.attributes.timestamp, b.timestamp);
            assert_eq!(d.attributes.l1_info.number, b.l1_origin.number);
            assert_eq!(d.transactions, b.transactions);
        }
        // The first block of an epoch has sequence number 0, the next ones count up.
        let ends: Vec<bool> = derived.iter().map(|d| d.ends_batch).collect();
        assert_eq!(ends, vec![false, false, true, false, false, true], "batches of 1-3 and 4-6");
        let seqs: Vec<u64> = derived.iter().map(|d| d.attributes.l1_info.sequence_number).collect();
        assert_eq!(seqs, vec![1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn without_batches_the_window_forces_empty_blocks_with_the_deposits() {
        // Nothing posted: after the window of origin 0 (4 blocks) closes, blocks are forced.
        let mut p = Pipeline::new(rollup(), genesis_safe(), 0, AddressHistory::new());
        for n in 0..=3 {
            p.push_l1(l1_block(n), Vec::new()).expect("links");
            assert_eq!(p.next_block(), None, "window still open at L1 block {n}");
        }
        let mut b1 = l1_block(1);
        b1.deposits.push(op_alloy::consensus::TxDeposit::default());
        let mut p = Pipeline::new(rollup(), genesis_safe(), 0, AddressHistory::new());
        p.push_l1(l1_block(0), Vec::new()).expect("links");
        p.push_l1(b1, Vec::new()).expect("links");
        for n in 2..=4 {
            p.push_l1(l1_block(n), Vec::new()).expect("links");
        }
        let mut forced = Vec::new();
        while let Some(d) = p.next_block() {
            assert!(d.forced && d.transactions.is_empty());
            forced.push(d);
            p.advance(hash_of(p.safe().number + 1));
        }
        // Window of origin 0 closed at L1 block 4: blocks at 1002, 1004 stay on origin 0, 1006
        // moves to origin 1 (time 1006) with its deposit; origin 1's window is open until 5.
        let summary: Vec<(u64, u64, usize)> = forced
            .iter()
            .map(|d| {
                (d.attributes.timestamp, d.attributes.l1_info.number, d.attributes.deposits.len())
            })
            .collect();
        assert_eq!(summary, vec![(1002, 0, 0), (1004, 0, 0), (1006, 1, 1)]);
    }

    #[test]
    fn a_batch_too_late_is_dropped_and_blocks_are_forced_instead() {
        let chain = l2_chain(1);
        let mut payloads = BTreeMap::new();
        // Block 1 (origin 0) posted in L1 block 4: past origin 0's window (4 blocks).
        payloads.insert(4, payload(&chain, 1));
        let derived = derive_all(&payloads, 4);
        assert!(derived.iter().all(|d| d.forced), "{derived:#?}");
        assert!(!derived.is_empty());
    }

    #[test]
    fn a_batch_ahead_of_the_safe_head_waits_for_forced_blocks_to_reach_its_parent() {
        // Blocks 1-3 (origins 0, 0, 1) never posted; blocks 4-6 posted early, in L1 block 3,
        // by a sequencer that built 1-3 exactly as derivation forces them (no transactions).
        let chain = l2_chain(6);
        let mut payloads = BTreeMap::new();
        payloads.insert(3, payload(&chain[3..], 1));
        let derived = derive_all(&payloads, 4);
        let forced: Vec<bool> = derived.iter().map(|d| d.forced).collect();
        assert_eq!(forced, vec![true, true, true, false, false, false], "{derived:#?}");
        for (d, b) in derived.iter().zip(&chain) {
            assert_eq!(d.attributes.timestamp, b.timestamp);
            assert_eq!(d.attributes.l1_info.number, b.l1_origin.number);
        }
        // The same batch included once its first origin's window closed (1 + 4 <= 5) is dropped.
        let mut late = BTreeMap::new();
        late.insert(5, payload(&chain[3..], 1));
        let derived = derive_all(&late, 5);
        assert!(derived.iter().all(|d| d.forced), "{derived:#?}");
    }

    #[test]
    fn future_batches_are_bounded() {
        // More future batches than the pipeline holds: the ones past the bound are dropped, so
        // the first accepted batch is still the first one posted.
        let chain = l2_chain(6);
        let mut early = Vec::new();
        for id in 0..=MAX_FUTURE_BATCHES as u8 {
            early.extend(payload(&chain[3..], id));
        }
        let mut payloads = BTreeMap::new();
        payloads.insert(3, early);
        let derived = derive_all(&payloads, 4);
        assert_eq!(derived.len(), 6);
        assert!(derived[3..].iter().all(|d| !d.forced));
    }

    #[test]
    fn a_broken_l1_link_asks_for_a_reset() {
        let mut p = Pipeline::new(rollup(), genesis_safe(), 0, AddressHistory::new());
        p.push_l1(l1_block(0), Vec::new()).expect("links");
        let mut other = l1_block(1);
        other.id.parent_hash = B256::repeat_byte(0xee);
        assert_eq!(
            p.push_l1(other, Vec::new()),
            Err(PipelineError::Reorg { number: 1, expected_parent: 0 })
        );
        assert!(matches!(p.push_l1(l1_block(2), Vec::new()), Err(PipelineError::Reorg { .. })));
    }
}
