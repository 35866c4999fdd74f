//! Which L2 blocks a batch may add to the safe chain, and which blocks derivation makes when the
//! sequencer's batches do not come (op-node's `BatchQueue` checks, for this project's batch
//! format; the rules are `docs/BATCH_FORMAT.md` §8).
//!
//! A batch is judged against the safe head it would extend and the canonical L1 blocks the
//! deriver knows up to the L1 block that included the batch. Every rule is a pure function of
//! those, so every node drops the same batches. A dropped batch changes nothing: the next batch
//! is judged against the same safe head.

use super::L2Ref;
use crate::{batch::Batch, epoch::L1Ref, rollup::RollupConfig};

/// Why a batch is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchDrop {
    /// The batch has no blocks.
    #[error("batch without blocks")]
    Empty,
    /// The first block is not the one after the safe head.
    #[error("batch starts at block {first}, the next block is {expected}")]
    NotNext {
        /// The batch's first block.
        first: u64,
        /// The block after the safe head.
        expected: u64,
    },
    /// The first block's parent is not the safe head.
    #[error("batch extends another parent than the safe head")]
    ParentMismatch,
    /// A block's timestamp is not its parent's plus the block time.
    #[error("block {block} has timestamp {got}, expected {expected}")]
    Timestamp {
        /// Block number.
        block: u64,
        /// The timestamp the chain requires.
        expected: u64,
        /// The batch's.
        got: u64,
    },
    /// A block's origin is neither its parent's nor the next L1 block.
    #[error("block {block} moves its origin from {parent_origin} to {origin}")]
    OriginStep {
        /// Block number.
        block: u64,
        /// The parent's origin.
        parent_origin: u64,
        /// The block's origin.
        origin: u64,
    },
    /// A block names an origin the L1 chain does not have at or below the inclusion block.
    #[error("block {block} names L1 block {origin}, not on L1 at or before the inclusion block")]
    OriginUnknown {
        /// Block number.
        block: u64,
        /// Its origin.
        origin: u64,
    },
    /// The batch was included after its first block's sequencing window closed.
    #[error("origin {origin} included at L1 block {inclusion}, past its sequencing window")]
    SequencingWindow {
        /// The first block's origin.
        origin: u64,
        /// The L1 block that included the batch.
        inclusion: u64,
    },
    /// The last origin's hash does not start with the batch's origin check.
    #[error("origin check does not match L1 block {origin}")]
    OriginCheck {
        /// The last block's origin.
        origin: u64,
    },
    /// A block is timestamped before its origin.
    #[error("block {block} at {timestamp} is before its origin's time {origin_time}")]
    BeforeOrigin {
        /// Block number.
        block: u64,
        /// Its timestamp.
        timestamp: u64,
        /// Its origin's timestamp.
        origin_time: u64,
    },
    /// A block runs ahead of its origin by more than the max sequencer drift without being the
    /// empty block the sequencer must make while the next origin is not due.
    #[error("block {block} exceeds the max sequencer drift")]
    Drift {
        /// Block number.
        block: u64,
    },
    /// A block carries a deposit transaction (deposits come from L1 only).
    #[error("block {block} carries a deposit transaction")]
    Deposit {
        /// Block number.
        block: u64,
    },
}

/// Checks a resolved batch, included in L1 block `inclusion`, against the safe head it would
/// extend. `l1` returns the canonical L1 block of a number the deriver knows, at most
/// `inclusion` (a batch cannot name a later origin).
pub fn check_batch(
    rollup: &RollupConfig,
    safe: &L2Ref,
    batch: &Batch,
    inclusion: u64,
    l1: impl Fn(u64) -> Option<L1Ref>,
) -> Result<(), BatchDrop> {
    let first = batch.blocks.first().ok_or(BatchDrop::Empty)?;
    let expected = safe.number + 1;
    if batch.header.first_number != expected || first.number != expected {
        return Err(BatchDrop::NotNext { first: first.number, expected });
    }
    if batch.header.parent_check[..] != safe.hash[..20] {
        return Err(BatchDrop::ParentMismatch);
    }
    let known = |block: u64, origin: u64| {
        (origin <= inclusion)
            .then(|| l1(origin))
            .flatten()
            .ok_or(BatchDrop::OriginUnknown { block, origin })
    };
    if first.l1_origin.saturating_add(rollup.seq_window_size) <= inclusion {
        return Err(BatchDrop::SequencingWindow { origin: first.l1_origin, inclusion });
    }
    let (mut parent_time, mut parent_origin) = (safe.timestamp, safe.origin.number);
    let mut last_origin = None;
    for block in &batch.blocks {
        let expected = parent_time.saturating_add(rollup.block_time);
        if block.timestamp != expected {
            return Err(BatchDrop::Timestamp {
                block: block.number,
                expected,
                got: block.timestamp,
            });
        }
        if block.l1_origin != parent_origin && block.l1_origin != parent_origin + 1 {
            return Err(BatchDrop::OriginStep {
                block: block.number,
                parent_origin,
                origin: block.l1_origin,
            });
        }
        let origin = known(block.number, block.l1_origin)?;
        if block.timestamp < origin.timestamp {
            return Err(BatchDrop::BeforeOrigin {
                block: block.number,
                timestamp: block.timestamp,
                origin_time: origin.timestamp,
            });
        }
        if block.timestamp > origin.timestamp.saturating_add(rollup.max_sequencer_drift) {
            // Past the drift only an empty block is allowed, and one that kept its parent's
            // origin only if the next origin was not due yet (op-node's rule). The next origin
            // must be on L1 by the inclusion block to tell; if it is not, the batch is dropped
            // (op-node would wait, but a batch cannot be included before its next origin
            // exists unless it names the inclusion block itself as origin).
            let kept = block.l1_origin == parent_origin;
            let next_due = || match l1(block.l1_origin + 1) {
                Some(next) if block.l1_origin < inclusion => next.timestamp <= block.timestamp,
                _ => true,
            };
            if !block.transactions.is_empty() || (kept && next_due()) {
                return Err(BatchDrop::Drift { block: block.number });
            }
        }
        if block.transactions.iter().any(|t| t.first() == Some(&crate::batch::DEPOSIT_TX_TYPE)) {
            return Err(BatchDrop::Deposit { block: block.number });
        }
        parent_time = block.timestamp;
        parent_origin = block.l1_origin;
        last_origin = Some(origin);
    }
    let last = last_origin.ok_or(BatchDrop::Empty)?;
    if last.hash[..20] != batch.header.origin_check {
        return Err(BatchDrop::OriginCheck { origin: last.number });
    }
    Ok(())
}

/// L1 blocks of margin a batch gets to land before its window closes, in [`is_late`].
pub const LATE_MARGIN: u64 = 4;

/// Whether a block on L1 origin `origin` is too late to be batched, with L1's head at
/// `l1_head`: its window ends within [`LATE_MARGIN`] blocks, so a batch posted now would likely
/// land after it and derivation would force the block instead. The sequencer then builds the
/// block derivation forces (deposits only) and the batcher does not post it; both use this one
/// rule so they agree on which blocks are left to forced inclusion.
pub fn is_late(rollup: &RollupConfig, origin: u64, l1_head: u64) -> bool {
    origin.saturating_add(rollup.seq_window_size) <= l1_head.saturating_add(LATE_MARGIN)
}

/// The block derivation makes itself after the safe head when the sequencing window of the safe
/// head's epoch has closed without a batch for the next block (forced inclusion): no user
/// transactions, the next timestamp, and the next L1 block as origin once its time has come
/// (its deposits then go in). `None` while the window is still open at L1 block `l1_current`,
/// or while the next origin that would be due is not known yet.
pub fn forced_block(
    rollup: &RollupConfig,
    safe: &L2Ref,
    l1_current: u64,
    l1: impl Fn(u64) -> Option<L1Ref>,
) -> Option<(u64, L1Ref)> {
    if safe.origin.number.saturating_add(rollup.seq_window_size) > l1_current {
        return None;
    }
    let timestamp = safe.timestamp.saturating_add(rollup.block_time);
    let current = l1(safe.origin.number)?;
    // The next origin is known when the window closed (it is older than l1_current).
    let next = l1(safe.origin.number + 1)?;
    let origin = if next.timestamp <= timestamp { next } else { current };
    Some((timestamp, origin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{BatchBlock, BatchHeader};
    use alloy_eips::BlockNumHash;
    use alloy_primitives::{B256, Bytes};

    fn rollup() -> RollupConfig {
        RollupConfig::for_tests(1000, 2, 10, 5, 3)
    }

    /// L1 block n: timestamp 1000 + 6n, hash n repeated.
    fn l1(n: u64) -> Option<L1Ref> {
        (n <= 100).then(|| L1Ref {
            number: n,
            hash: B256::repeat_byte(n as u8 + 1),
            parent_hash: B256::repeat_byte(n as u8),
            timestamp: 1000 + 6 * n,
        })
    }

    fn safe() -> L2Ref {
        L2Ref {
            number: 10,
            hash: B256::repeat_byte(0xaa),
            timestamp: 1020,
            origin: BlockNumHash { number: 3, hash: B256::repeat_byte(4) },
        }
    }

    /// A valid batch of `origins.len()` blocks after `safe()` with these origins.
    fn batch(origins: &[u64]) -> Batch {
        let blocks: Vec<BatchBlock> = origins
            .iter()
            .enumerate()
            .map(|(i, &o)| BatchBlock {
                number: 11 + i as u64,
                timestamp: 1022 + 2 * i as u64,
                l1_origin: o,
                transactions: vec![Bytes::from_static(&[2, 0xc0])],
            })
            .collect();
        let last = l1(*origins.last().expect("blocks")).expect("l1");
        let mut origin_check = [0; 20];
        origin_check.copy_from_slice(&last.hash[..20]);
        let mut parent_check = [0; 20];
        parent_check.copy_from_slice(&safe().hash[..20]);
        Batch {
            header: BatchHeader {
                parent_check,
                origin_check,
                first_number: 11,
                first_timestamp: 1022,
                first_origin: origins[0],
                history_uses: 0,
            },
            blocks,
        }
    }

    #[test]
    fn a_batch_that_follows_every_rule_is_accepted() {
        assert_eq!(check_batch(&rollup(), &safe(), &batch(&[3, 3, 4, 4]), 6, l1), Ok(()));
    }

    #[test]
    fn each_rule_drops_the_batch() {
        let r = rollup();
        let check = |b: &Batch, inclusion| check_batch(&r, &safe(), b, inclusion, l1);
        let mut b = batch(&[3]);
        b.header.first_number = 12;
        assert!(matches!(check(&b, 6), Err(BatchDrop::NotNext { .. })));
        let mut b = batch(&[3]);
        b.header.parent_check[0] ^= 1;
        assert_eq!(check(&b, 6), Err(BatchDrop::ParentMismatch));
        let mut b = batch(&[3, 3]);
        b.blocks[1].timestamp += 1;
        assert!(matches!(check(&b, 6), Err(BatchDrop::Timestamp { block: 12, .. })));
        assert!(matches!(check(&batch(&[3, 5]), 6), Err(BatchDrop::OriginStep { .. })));
        assert!(matches!(check(&batch(&[2]), 6), Err(BatchDrop::OriginStep { .. })));
        // Origin 4 named by a batch included in L1 block 3: not yet on L1.
        let mut early = safe();
        early.origin.number = 2;
        assert!(matches!(
            check_batch(&r, &early, &batch(&[3]), 2, l1),
            Err(BatchDrop::OriginUnknown { origin: 3, .. })
        ));
        // Window of origin 3 is L1 blocks 3..=7 (size 5): included at 8 is too late.
        assert_eq!(check(&batch(&[3]), 7), Ok(()));
        assert!(matches!(check(&batch(&[3]), 8), Err(BatchDrop::SequencingWindow { .. })));
        let mut b = batch(&[3]);
        b.header.origin_check[0] ^= 1;
        assert!(matches!(check(&b, 6), Err(BatchDrop::OriginCheck { origin: 3 })));
        // Origin 4 has time 1024: block 11 at 1022 would be before it.
        let mut b = batch(&[4]);
        b.header.origin_check.copy_from_slice(&l1(4).expect("l1").hash[..20]);
        assert!(matches!(check(&b, 6), Err(BatchDrop::BeforeOrigin { .. })));
        let mut b = batch(&[3]);
        b.blocks[0].transactions.push(Bytes::from_static(&[0x7e, 0xc0]));
        assert!(matches!(check(&b, 6), Err(BatchDrop::Deposit { block: 11 })));
        assert_eq!(
            check(&Batch { header: batch(&[3]).header, blocks: vec![] }, 6),
            Err(BatchDrop::Empty)
        );
    }

    #[test]
    fn past_the_drift_only_an_empty_block_whose_next_origin_is_not_due_is_allowed() {
        let r = rollup();
        // Safe head at 1030 on origin 3 (time 1018, drift 10: blocks up to 1028 fit).
        let mut s = safe();
        s.timestamp = 1030;
        let mut b = batch(&[3]);
        b.blocks[0].timestamp = 1032;
        b.header.first_timestamp = 1032;
        // Origin 4 (time 1024) is due at 1032: the block had to move to it.
        assert!(matches!(check_batch(&r, &s, &b, 6, l1), Err(BatchDrop::Drift { block: 11 })));
        b.blocks[0].transactions.clear();
        assert!(matches!(check_batch(&r, &s, &b, 6, l1), Err(BatchDrop::Drift { block: 11 })));
        // Make origin 4 later than the block: an empty block may stay; one with txs may not.
        let late = |n: u64| {
            l1(n).map(|mut b| {
                if n == 4 {
                    b.timestamp = 1040;
                }
                b
            })
        };
        assert_eq!(check_batch(&r, &s, &b, 6, late), Ok(()));
        b.blocks[0].transactions.push(Bytes::from_static(&[2, 0xc0]));
        assert!(matches!(check_batch(&r, &s, &b, 6, late), Err(BatchDrop::Drift { .. })));
        // A block that moved to the next origin may be past the drift if it is empty.
        s.timestamp = 1040;
        let mut b = batch(&[4]);
        b.blocks[0].timestamp = 1042;
        b.header.first_timestamp = 1042;
        assert!(matches!(check_batch(&r, &s, &b, 6, l1), Err(BatchDrop::Drift { block: 11 })));
        b.blocks[0].transactions.clear();
        assert_eq!(check_batch(&r, &s, &b, 6, l1), Ok(()));
    }

    #[test]
    fn forced_blocks_come_only_after_the_window_and_adopt_due_origins() {
        let r = rollup();
        // Safe head's origin 3, window 5: nothing forced before L1 block 8.
        assert_eq!(forced_block(&r, &safe(), 7, l1), None);
        // At 1022 origin 4 (1024) is not due: stay on 3.
        assert_eq!(forced_block(&r, &safe(), 8, l1), Some((1022, l1(3).expect("l1"))));
        // At 1024 it is.
        let mut s = safe();
        s.timestamp = 1022;
        assert_eq!(forced_block(&r, &s, 8, l1), Some((1024, l1(4).expect("l1"))));
        // The next origin unknown (L1 view too short): wait.
        assert_eq!(forced_block(&r, &s, 8, |n| (n <= 3).then(|| l1(n)).flatten()), None);
    }
}
