//! Which L1 block an L2 block builds on (its *L1 origin*), by OP's epoch rules.
//!
//! An epoch is the run of L2 blocks sharing one L1 origin. Consecutive L2 blocks keep their
//! parent's origin or move to the next L1 block; the first block of an epoch carries that L1
//! block's deposits. An L2 block's timestamp is never before its origin's, and may run ahead of
//! it by at most `max_sequencer_drift` seconds, after which the sequencer must adopt the next
//! origin (op-node's `FindL1Origin`; derivation checks the same rules, see
//! `docs/BATCH_FORMAT.md` once it exists).

use crate::rollup::RollupConfig;
use alloy_primitives::B256;

/// An L1 block as far as epochs are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Ref {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
}

/// What the next L2 block's origin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The parent's origin again (sequence number + 1).
    Same,
    /// The next L1 block (a new epoch: sequence number 0, its deposits included).
    Next,
    /// The parent's origin is too far behind and the next L1 block is not known (or not
    /// confirmed) yet: wait for L1.
    Wait,
}

/// The origin of an L2 block at `l2_time` whose parent's origin is `current`, given the next
/// L1 block if the sequencer already knows it (confirmed to its depth).
///
/// - Past the drift (`l2_time > current.timestamp + max_sequencer_drift`), the next origin is
///   required: [`Origin::Next`] if it is known and not in the future, else [`Origin::Wait`].
/// - Otherwise the next origin is adopted as soon as its timestamp has been reached, so L2
///   follows L1 as closely as the block time allows.
pub fn next_origin(
    config: &RollupConfig,
    current: &L1Ref,
    next: Option<&L1Ref>,
    l2_time: u64,
) -> Origin {
    let next_usable = next
        .filter(|n| n.number == current.number + 1 && n.parent_hash == current.hash)
        .is_some_and(|n| n.timestamp <= l2_time);
    if next_usable {
        return Origin::Next;
    }
    if l2_time > current.timestamp.saturating_add(config.max_sequencer_drift) {
        return Origin::Wait;
    }
    Origin::Same
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(drift: u64) -> RollupConfig {
        RollupConfig::for_tests(100, 2, drift, 10, 5)
    }

    fn l1(number: u64, timestamp: u64) -> L1Ref {
        L1Ref {
            number,
            hash: B256::with_last_byte(number as u8),
            parent_hash: B256::with_last_byte(number.wrapping_sub(1) as u8),
            timestamp,
        }
    }

    #[test]
    fn follows_l1_and_respects_the_drift() {
        let c = config(10);
        let (cur, next) = (l1(5, 100), l1(6, 112));
        assert_eq!(next_origin(&c, &cur, Some(&next), 104), Origin::Same);
        assert_eq!(next_origin(&c, &cur, None, 110), Origin::Same);
        assert_eq!(next_origin(&c, &cur, Some(&next), 112), Origin::Next);
        // Past the drift: the next origin is required.
        assert_eq!(next_origin(&c, &cur, None, 111), Origin::Wait);
        assert_eq!(next_origin(&c, &cur, Some(&l1(6, 120)), 111), Origin::Wait);
        // A "next" block that does not extend the current origin (reorged) is not used.
        let mut other = l1(6, 108);
        other.parent_hash = B256::repeat_byte(9);
        assert_eq!(next_origin(&c, &cur, Some(&other), 109), Origin::Same);
        assert_eq!(next_origin(&c, &cur, Some(&l1(7, 100)), 109), Origin::Same);
        assert_eq!(next_origin(&c, &cur, Some(&l1(6, 108)), 109), Origin::Next);
    }
}
