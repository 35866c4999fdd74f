//! The worst-case bound behind token attribution's gas holds for adversarial inputs: span
//! matching never reads more index entries than `match_work_bound` (a count, not a time), the
//! deterministic gas segmentation covers whatever a node's merging has done once the index is
//! within charge, and re-segmenting to the charged shape changes no result.

use alloy_primitives::Address;
use ol_precompiles::{
    MergePolicy, SETTLE_BLOCKS, TokenIndex, TokenQuery, gas, match_work_bound, token_attribution,
};
use proptest::prelude::*;

/// Corpus shapes an attacker would pick: one repeated token, two alternating tokens, a tiny
/// alphabet with long documents, many one-token documents, and ordinary random text.
fn document(shape: u8, len: usize, seed: u64) -> Vec<u32> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..len)
        .map(|i| match shape % 5 {
            0 => 7,
            1 => 7 + (i % 2) as u32,
            2 => (next() % 3) as u32,
            3 => (next() % 2) as u32,
            _ => (next() % 5000) as u32,
        })
        .collect()
}

fn output(shape: u8, m: usize, seed: u64) -> Vec<u32> {
    match shape % 4 {
        0 => vec![7; m],
        1 => (0..m).map(|i| 7 + (i % 2) as u32).collect(),
        // A near miss of the repeated corpus: long matches broken every few tokens.
        2 => (0..m).map(|i| if i % 97 == 96 { 8 } else { 7 }).collect(),
        _ => document(4, m, seed),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn matching_reads_stay_within_the_charged_bound(
        shape in 0u8..5,
        out_shape in 0u8..4,
        batches in prop::collection::vec((1usize..6, 1usize..400, 0u64..200), 1..12),
        m in 1usize..1500,
        seed in any::<u64>(),
        now in 0u64..400,
        fan_in in prop::sample::select(vec![2usize, 4, usize::MAX]),
    ) {
        let mut ix = TokenIndex::new(1, MergePolicy { fan_in, ..MergePolicy::default() });
        let mut block = 0;
        for (b, &(docs, len, gap)) in batches.iter().enumerate() {
            block += gap;
            let owned: Vec<(Address, Vec<u32>)> = (0..docs)
                .map(|d| {
                    let owner = Address::with_last_byte((b * 7 + d) as u8 % 5);
                    (owner, document(shape, len, seed ^ (b * 31 + d) as u64))
                })
                .collect();
            let refs: Vec<(Address, &[u32])> =
                owned.iter().map(|(a, d)| (*a, d.as_slice())).collect();
            ix.add_batch(&refs, block).expect("add");
            ix.maintain();
        }
        let out = output(out_shape, m, seed);
        let q = TokenQuery { output: &out, min_span: 1, max_occurrences: 4 };
        let before = token_attribution::attribute(&[&ix], &q).expect("attribute");
        // Whatever the segmentation: reads within the bound of the segments as they are.
        prop_assert!(before.work.match_reads <= ix.work_bound(m as u64));

        // The charged shape: once the index is within charge, its bound (and so its reads)
        // is at most what the gas schedule charged for.
        let now = block + now.saturating_sub(SETTLE_BLOCKS / 2);
        let charged: u64 = ix.gas_segments(now).iter().map(|&l| match_work_bound(m as u64, l)).sum();
        if !ix.within_charge(now) {
            ix.conform(now).expect("conform");
        }
        prop_assert!(ix.within_charge(now));
        let after = token_attribution::attribute(&[&ix], &q).expect("attribute");
        prop_assert!(after.work.match_reads <= charged);
        prop_assert_eq!(&after.shares, &before.shares);
        prop_assert_eq!(&after.spans, &before.spans);
        // The gas charged covers those reads at the datanet's read price.
        let segments = ix.gas_segments(now);
        let price = gas::attribute_read_milligas(segments.iter().sum());
        prop_assert!(gas::attribute_gas(m as u64, &[segments]) * 1000 >= after.work.match_reads * price);
    }
}

/// Merging everything into one segment, as the node's background merger does, is always within
/// charge (the bound is subadditive in the segment length).
#[test]
fn one_merged_segment_is_always_within_charge() {
    for docs in [1usize, 3, 17, 200] {
        let mut ix =
            TokenIndex::new(1, MergePolicy { fan_in: usize::MAX, ..MergePolicy::default() });
        for b in 0..docs {
            let d = document(b as u8, 1 + b * 13 % 300, b as u64);
            ix.add_batch(&[(Address::ZERO, &d)], b as u64 * 3).expect("add");
        }
        for now in [0, 10, SETTLE_BLOCKS, SETTLE_BLOCKS * 3, u64::MAX] {
            let mut merged = ix.clone();
            merged.compact().expect("compact");
            assert!(merged.within_charge(now), "{docs} batches at block {now}");
        }
        // Unmerged, many young batches are charged one by one: also within charge.
        assert!(ix.within_charge(0));
    }
}
