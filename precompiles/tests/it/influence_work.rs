//! The work an influence query does stays within what its gas charges (issue 15): for random
//! adversarial datanets (contributors repeated in every chunk, one per point, batches that
//! make many small chunks, scores rising along a unit, every point positive) and queries
//! (`topK` from 1 to beyond the point count), every count of [`InfluenceWork`] up to the
//! weighing is at most the count [`gas::ScoreCharge`] charges before the query, computed from
//! the datanets' sizes alone; the weighing, charged after the scan on its exact count, stays
//! within one weight per contributor summed or point kept.

use crate::common::Rng;
use alloy_primitives::{Address, U256};
use ol_precompiles::{
    Datanet, InfluenceQuery, gas,
    influence::{self, InfluenceWork},
};
use proptest::prelude::*;
use std::num::NonZeroU32;

/// Who contributes point `i`.
#[derive(Debug, Clone, Copy)]
enum Owners {
    /// `k` contributors in turn: every chunk holds all of them.
    Repeated(usize),
    /// A new contributor per point.
    OnePerPoint,
    /// Random among `k`.
    Random(usize),
}

/// What the sketches score against the query.
#[derive(Debug, Clone, Copy)]
enum Scores {
    /// Random sketches and query.
    Random,
    /// Positive sketches and query: every point is a candidate.
    Positive,
    /// Scores rising with the index: every point enters its unit's buffer.
    Rising,
}

fn owner(who: Owners, i: usize, rng: &mut Rng) -> Address {
    let k = match who {
        Owners::Repeated(k) => i % k,
        Owners::OnePerPoint => i,
        Owners::Random(k) => rng.below(k as u64) as usize,
    };
    Address::from_word(U256::from(k + 1).into())
}

fn sketch(scores: Scores, dim: usize, i: usize, rng: &mut Rng) -> Vec<i8> {
    match scores {
        Scores::Random => (0..dim).map(|_| rng.i8_in(-128, 127)).collect(),
        Scores::Positive => (0..dim).map(|_| rng.i8_in(0, 127)).collect(),
        Scores::Rising => {
            // Sums 1, 2, … (below 64·127), so against an all-ones query the score rises.
            let t = (i % 8000) as i64 + 1;
            let (q, r) = (t / dim as i64, t % dim as i64);
            (0..dim as i64).map(|j| (q + i64::from(j < r)) as i8).collect()
        }
    }
}

/// A datanet of `n` points registered in batches of random sizes up to `max_batch`.
fn datanet(
    id: u64,
    dim: usize,
    n: usize,
    max_batch: usize,
    who: Owners,
    scores: Scores,
    rng: &mut Rng,
) -> Datanet {
    let mut d = Datanet::new(id, dim).expect("dim");
    let mut i = 0;
    while i < n {
        let len = (rng.range(1, max_batch as u64) as usize).min(n - i);
        let owners: Vec<Address> = (i..i + len).map(|j| owner(who, j, rng)).collect();
        let sketches: Vec<i8> = (i..i + len).flat_map(|j| sketch(scores, dim, j, rng)).collect();
        d.push_batch(&owners, &sketches).expect("push");
        i += len;
    }
    d
}

fn owners_strategy() -> impl Strategy<Value = Owners> {
    prop_oneof![
        (1usize..5000).prop_map(Owners::Repeated),
        Just(Owners::OnePerPoint),
        (1usize..70_000).prop_map(Owners::Random),
    ]
}

fn scores_strategy() -> impl Strategy<Value = Scores> {
    prop_oneof![Just(Scores::Random), Just(Scores::Positive), Just(Scores::Rising)]
}

fn top_k_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), 1u32..200, 1000u32..9000, Just(u32::MAX)]
}

/// The work as a charge, to price it at the schedule's rates.
fn as_charge(w: &InfluenceWork, datanets: u64, dim: u64) -> gas::ScoreCharge {
    gas::ScoreCharge {
        datanets,
        points: w.points,
        kib: (w.points * dim).div_ceil(1024),
        candidates: w.candidates,
        contributors: w.summed,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn work_stays_within_the_charge(
        dim in prop_oneof![Just(64usize), 65usize..300, Just(1024usize)],
        chunks in 1usize..12,
        max_batch_chunks in prop_oneof![Just(0usize), Just(1), 2usize..4],
        datanets in 1usize..3,
        who in owners_strategy(),
        scores in scores_strategy(),
        top_k in top_k_strategy(),
        top_points in 0usize..20,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        // About `chunks` chunks of 256 KiB per datanet, in batches of up to a few chunks (or
        // of up to 64 points: many small batches, each chunk sealed just past 256 KiB).
        let per_chunk = (256 << 10) / dim + 1;
        let n = chunks * per_chunk;
        let max_batch = if max_batch_chunks == 0 { 64 } else { max_batch_chunks * per_chunk };
        let nets: Vec<Datanet> = (0..datanets)
            .map(|id| datanet(id as u64 + 1, dim, n, max_batch, who, scores, &mut rng))
            .collect();
        let q: Vec<i8> = match scores {
            Scores::Random => (0..dim).map(|_| rng.i8_in(-128, 127)).collect(),
            Scores::Positive | Scores::Rising => vec![1; dim],
        };
        let query = InfluenceQuery { sketch: &q, top_k: NonZeroU32::new(top_k), top_points };
        let refs: Vec<&Datanet> = nets.iter().collect();
        let work = influence::score(&refs, &query).expect("score").work;

        let sizes: Vec<gas::ScoredDatanet> = nets
            .iter()
            .map(|d| gas::ScoredDatanet {
                points: d.len() as u64,
                contributors: d.contributor_count() as u64,
            })
            .collect();
        let charge = gas::ScoreCharge::new(&sizes, dim as u64, top_k, top_points as u64);
        prop_assert_eq!(work.points, charge.points);
        // Array adds by contributor id, paid with the points (SCORE_POINTS_PER_GAS).
        prop_assert!(work.sum_adds <= work.points, "{work:?}");
        prop_assert!(work.candidates <= charge.candidates, "{work:?} vs {charge:?}");
        // The kept points are among the candidates and ride on their charge.
        prop_assert!(work.kept <= work.candidates, "{work:?}");
        prop_assert!(work.kept <= u64::from(top_k), "{work:?}");
        prop_assert!(work.summed <= charge.contributors, "{work:?} vs {charge:?}");
        // The weighing is charged after the scan on its exact count: a positive weight per
        // (datanet, contributor) at most, all merged when several datanets are named.
        let all: u64 = sizes.iter().map(|s| s.contributors).sum();
        prop_assert!(work.weighed <= all.min(work.kept.max(work.summed)), "{work:?}");
        prop_assert_eq!(work.merged, if datanets > 1 { work.weighed } else { 0 });
        let done = as_charge(&work, datanets as u64, dim as u64);
        prop_assert!(done.gas() <= charge.gas(), "{done:?} vs {charge:?}");
    }
}

/// The unit bound counts every chunk: batches of exactly one chunk (256 KiB) each make one
/// unit per chunk, the most units a datanet of that size can have but for the `points / per`
/// longer units (and the tail) another batching could add.
#[test]
fn unit_bound_counts_every_chunk() {
    let dim = 256;
    let per_chunk = (256 << 10) / dim;
    let mut d = Datanet::new(1, dim).expect("dim");
    let mut rng = Rng::new(7);
    for _ in 0..40 {
        let owners = vec![Address::repeat_byte(1); per_chunk];
        let sketches: Vec<i8> = (0..per_chunk * dim).map(|_| rng.i8_in(0, 127)).collect();
        d.push_batch(&owners, &sketches).expect("push");
    }
    let q = vec![1i8; dim];
    let query = InfluenceQuery { sketch: &q, top_k: NonZeroU32::new(3), top_points: 0 };
    let work = influence::score(&[&d], &query).expect("score").work;
    // 40 chunks of one unit each, 3 candidates per unit; the bound: 40 chunks, the 20 units
    // of 2,048 points one large batch would make, and the tail.
    assert_eq!(work.candidates, 40 * 3);
    assert_eq!(influence::max_units(d.len() as u64, dim as u64), 40 + 20 + 1);
}
