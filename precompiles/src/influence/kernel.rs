//! The scan kernel: one work unit's points scored against a query, with read-ahead and exact
//! top-k pruning. Pure integer code; the caller runs units in parallel and combines them.

use super::Candidate;

/// How far ahead of the scan [`score_unit`] reads (bytes).
const TOUCH_AHEAD: usize = 1024;
/// Bytes of points [`score_unit`] scores between two read-ahead bursts.
const TOUCH_GROUP: usize = 1024;
/// Cache line size assumed by the read-ahead (only a performance assumption).
const CACHE_LINE: usize = 64;

/// Scores the points of `sketches` (points of `query.len()` values), calls `emit(j, score)`
/// for every point `j` in order, and returns the best `keep` positive ones (in no particular
/// order); `at(j)` is the (datanet position, index) of the `j`-th point. Points inside the
/// sorted, disjoint half-open ranges `skip` score 0. A unit has fewer than 2^32 points.
///
/// Before scoring each group of points (about [`TOUCH_GROUP`] bytes) the loop reads one byte
/// per cache line of the group [`TOUCH_AHEAD`] bytes further on, so those lines are already on
/// their way from memory when the kernel reaches them. On datanets larger than cache this
/// doubles the scan rate here (the plain loop keeps too few memory reads in flight, apparently
/// because the kernel's instructions fill the out-of-order window); the values read are
/// discarded, so results are unaffected.
pub(super) fn score_unit(
    sketches: &[i8],
    query: &[i8],
    keep: usize,
    skip: &[(usize, usize)],
    at: impl Fn(usize) -> (u32, u32),
    mut emit: impl FnMut(usize, u32),
) -> Vec<Candidate> {
    let dim = query.len();
    let points = sketches.len() / dim;
    // Candidates are buffered up to `cap`, then cut to the best `keep`; from then on only a
    // score above the worst kept one (`floor`) can enter, because a later point with an equal
    // score ranks lower (higher index). The result is the exact best `keep` of the unit.
    // Buffered as integer keys (see `key`): when scores rise along the unit, every point
    // enters and the cuts are most of the unit's selection work, so they must be cheap.
    let cap = if keep == 0 { 0 } else { keep.saturating_mul(2).max(64).min(points) };
    let mut local: Vec<u64> = Vec::with_capacity(cap);
    let mut floor = 0u32;
    let mut touched = 0i8;
    // Excluded ranges (sorted, disjoint) before `next_skip` end at or before the current point.
    let mut next_skip = 0;
    // Groups of about TOUCH_GROUP bytes: first read one byte of every cache line of the group
    // TOUCH_AHEAD bytes further on (a tight loop of independent loads), then score the group.
    let group = (TOUCH_GROUP / dim).max(1);
    for (g, group_sketches) in sketches.chunks(group * dim).enumerate() {
        let ahead = g * group * dim + TOUCH_AHEAD;
        let end = (ahead + group_sketches.len()).min(sketches.len());
        if let Some(lines) = sketches.get(ahead..end) {
            for &b in lines.iter().step_by(CACHE_LINE) {
                touched ^= b;
            }
        }
        for (j, sketch) in group_sketches.chunks_exact(dim).enumerate() {
            let j = g * group + j;
            while skip.get(next_skip).is_some_and(|r| r.1 <= j) {
                next_skip += 1;
            }
            let skipped = skip.get(next_skip).is_some_and(|r| r.0 <= j);
            // max(0) makes the cast lossless.
            let s = if skipped { 0 } else { dot(sketch, query).max(0) as u32 };
            emit(j, s);
            if s > floor && keep > 0 {
                local.push(key(s, j));
                if local.len() >= cap && local.len() > keep {
                    floor = keep_largest(&mut local, keep);
                }
            }
        }
    }
    // Keeps the reads ahead from being optimized away.
    std::hint::black_box(touched);
    keep_largest(&mut local, keep);
    local
        .into_iter()
        .map(|k| {
            let (pos, index) = at((u32::MAX - k as u32) as usize);
            ((k >> 32) as u32, pos, index)
        })
        .collect()
}

/// A unit's candidate as one integer that orders like the candidates' rank within the unit:
/// larger is better (higher score, then lower position `j`).
fn key(score: u32, j: usize) -> u64 {
    (u64::from(score) << 32) | u64::from(u32::MAX - j as u32)
}

/// Keeps the `k` largest keys (in no particular order) and returns the score of the smallest
/// kept one (0 if none).
fn keep_largest(keys: &mut Vec<u64>, k: usize) -> u32 {
    if k == 0 {
        keys.clear();
        return 0;
    }
    if keys.len() > k {
        keys.select_nth_unstable_by(k - 1, |a, b| b.cmp(a));
        keys.truncate(k);
        return (keys[k - 1] >> 32) as u32;
    }
    keys.iter().min().map_or(0, |k| (k >> 32) as u32)
}

/// Exact int8 dot product. Shaped for auto-vectorization: 32 independent i32 lanes fed by
/// i16 products (|a*b| <= 2^14 fits i16), which LLVM lowers to `pmaddwd`-style code.
#[inline]
pub fn dot(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 32;
    let (ac, ar) = a.as_chunks::<LANES>();
    let (bc, br) = b.as_chunks::<LANES>();
    let mut acc = [0i32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += i32::from(i16::from(p) * i16::from(q));
        }
    }
    let tail: i32 = ar.iter().zip(br).map(|(&p, &q)| i32::from(p) * i32::from(q)).sum();
    acc.iter().sum::<i32>() + tail
}
