//! Influence scoring: which registered data points a model output leans on, and how much.
//!
//! A datanet holds data points, each a contributor address plus an int8 gradient sketch of the
//! datanet's fixed dimension `d` ([`MIN_DIM`]..=[`MAX_DIM`]). A query sketch is scored against
//! every point of one or more datanets:
//!
//! ```text
//! score(p) = max(0, Σ_j query[j] * sketch_p[j])          exact integers (|dot| <= 2^24)
//! points   = all points, or the top_k by (score desc, datanet id asc, index asc)
//! weight_c = Σ score(p) over the kept points p of contributor c
//! shares   = bps::normalize(weights)                      exactly 10,000 in total
//! top      = first `top_points` (<= MAX_TOP_POINTS) kept points in the same order
//! ```
//!
//! Points with score 0 never count and never appear in `top`. When every score is 0 the result
//! is empty (no shares, no top points): the caller decides what an unattributable output means.
//!
//! Sketches are stored contiguously (`n * d` bytes) so a query is one sequential scan; the scan
//! is memory-bound for datanets larger than cache. Per-point scores are computed in parallel
//! with rayon into a vector indexed by point, and everything after that is sequential integer
//! arithmetic, so the result cannot depend on the thread count or scheduling.

use crate::bps::{self, Share};
use alloy_primitives::Address;
use rayon::prelude::*;
use std::{cmp::Ordering, collections::BTreeMap, num::NonZeroU32};

/// Smallest sketch dimension a datanet may have.
pub const MIN_DIM: usize = 64;
/// Largest sketch dimension a datanet may have.
pub const MAX_DIM: usize = 1024;
/// Most top points a query returns.
pub const MAX_TOP_POINTS: usize = 16;
/// Most points one datanet holds (point indices are `u32`).
pub const MAX_POINTS: usize = u32::MAX as usize;

/// Identifier of a datanet.
pub type DatanetId = u64;

/// Points scored per rayon task: big enough to amortize scheduling, small enough to balance.
const CHUNK_POINTS: usize = 2048;

/// Why a datanet update or a query is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfluenceError {
    /// Dimension outside [`MIN_DIM`]..=[`MAX_DIM`].
    #[error("sketch dimension {0} is outside {MIN_DIM}..={MAX_DIM}")]
    InvalidDimension(usize),
    /// A sketch whose length is not the datanet's dimension.
    #[error("sketch has {got} values, the datanet's dimension is {expected}")]
    SketchLength {
        /// The datanet's dimension.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A batch whose sketch bytes are not `contributors * dim`.
    #[error("{contributors} contributors need {expected} sketch bytes, got {got}")]
    BatchLength {
        /// Number of contributors in the batch.
        contributors: usize,
        /// `contributors * dim`.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The datanet would exceed [`MAX_POINTS`].
    #[error("datanet {0} is full ({MAX_POINTS} points)")]
    DatanetFull(DatanetId),
    /// A query over no datanet.
    #[error("query names no datanet")]
    NoDatanets,
    /// A datanet named twice in one query.
    #[error("datanet {0} named twice")]
    DuplicateDatanet(DatanetId),
    /// The query sketch length differs from a datanet's dimension.
    #[error("query has {query} values, datanet {datanet} has dimension {dim}")]
    DimensionMismatch {
        /// The datanet.
        datanet: DatanetId,
        /// Its dimension.
        dim: usize,
        /// The query sketch length.
        query: usize,
    },
}

/// The data points of one datanet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datanet {
    id: DatanetId,
    dim: usize,
    /// Distinct contributors in first-registration order.
    contributors: Vec<Address>,
    /// Position of each contributor in `contributors`.
    contributor_pos: BTreeMap<Address, u32>,
    /// Contributor position of each point.
    point_contributor: Vec<u32>,
    /// `len * dim` sketch values, point after point.
    sketches: Vec<i8>,
}

impl Datanet {
    /// An empty datanet with sketches of dimension `dim`.
    pub fn new(id: DatanetId, dim: usize) -> Result<Self, InfluenceError> {
        if !(MIN_DIM..=MAX_DIM).contains(&dim) {
            return Err(InfluenceError::InvalidDimension(dim));
        }
        Ok(Self {
            id,
            dim,
            contributors: Vec::new(),
            contributor_pos: BTreeMap::new(),
            point_contributor: Vec::new(),
            sketches: Vec::new(),
        })
    }

    /// The datanet's id.
    pub fn id(&self) -> DatanetId {
        self.id
    }

    /// Sketch dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.point_contributor.len()
    }

    /// Whether the datanet has no point.
    pub fn is_empty(&self) -> bool {
        self.point_contributor.is_empty()
    }

    /// Number of distinct contributors.
    pub fn contributor_count(&self) -> usize {
        self.contributors.len()
    }

    /// Bytes of sketch data a query scans.
    pub fn sketch_bytes(&self) -> usize {
        self.sketches.len()
    }

    /// Contributor and sketch of point `index`.
    pub fn point(&self, index: u32) -> Option<(Address, &[i8])> {
        let i = usize::try_from(index).ok()?;
        let c = *self.point_contributor.get(i)?;
        let start = i.checked_mul(self.dim)?;
        let sketch = self.sketches.get(start..start.checked_add(self.dim)?)?;
        Some((*self.contributors.get(c as usize)?, sketch))
    }

    /// Appends one point; returns its index.
    pub fn push(&mut self, contributor: Address, sketch: &[i8]) -> Result<u32, InfluenceError> {
        self.push_batch(&[contributor], sketch)
    }

    /// Appends `contributors.len()` points whose sketches are concatenated in `sketches`.
    /// All or nothing: on error the datanet is unchanged. Returns the first new index.
    pub fn push_batch(
        &mut self,
        contributors: &[Address],
        sketches: &[i8],
    ) -> Result<u32, InfluenceError> {
        let expected =
            contributors.len().checked_mul(self.dim).ok_or(InfluenceError::DatanetFull(self.id))?;
        if sketches.len() != expected {
            if contributors.len() == 1 {
                return Err(InfluenceError::SketchLength {
                    expected: self.dim,
                    got: sketches.len(),
                });
            }
            return Err(InfluenceError::BatchLength {
                contributors: contributors.len(),
                expected,
                got: sketches.len(),
            });
        }
        let first = self.len();
        if first.saturating_add(contributors.len()) > MAX_POINTS {
            return Err(InfluenceError::DatanetFull(self.id));
        }
        for &c in contributors {
            let next = self.contributors.len() as u32;
            let pos = *self.contributor_pos.entry(c).or_insert(next);
            if pos == next {
                self.contributors.push(c);
            }
            self.point_contributor.push(pos);
        }
        self.sketches.extend_from_slice(sketches);
        // first < MAX_POINTS = u32::MAX, checked above.
        Ok(first as u32)
    }

    /// Clipped score of every point, by index. Parallel; each entry depends only on its point.
    pub fn clipped_scores(&self, query: &[i8]) -> Vec<u32> {
        self.scan(query, 0, 0).0
    }

    /// Clipped scores by index, plus the best `keep` positive points of every chunk of
    /// [`CHUNK_POINTS`] (a superset of the global best `keep`), in chunk order. `pos` is this
    /// datanet's position in the query. Parallel over chunks; every output is a pure function
    /// of its chunk, and chunks are collected in order.
    fn scan(&self, query: &[i8], pos: u32, keep: usize) -> (Vec<u32>, Vec<Candidate>) {
        let mut out = vec![0u32; self.len()];
        if query.len() != self.dim {
            return (out, Vec::new());
        }
        let candidates = out
            .par_chunks_mut(CHUNK_POINTS)
            .zip(self.sketches.par_chunks(CHUNK_POINTS * self.dim))
            .enumerate()
            .flat_map_iter(|(chunk, (scores, sketches))| {
                let mut local = Vec::new();
                let base = chunk * CHUNK_POINTS;
                for (j, (s, sketch)) in
                    scores.iter_mut().zip(sketches.chunks_exact(self.dim)).enumerate()
                {
                    // max(0) makes the cast lossless.
                    *s = dot(sketch, query).max(0) as u32;
                    if *s > 0 && keep > 0 {
                        local.push((*s, pos, (base + j) as u32));
                    }
                }
                keep_best(&mut local, keep);
                local
            })
            .collect();
        (out, candidates)
    }
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

/// A query against one or more datanets.
#[derive(Debug, Clone, Copy)]
pub struct InfluenceQuery<'a> {
    /// Query sketch; its length must equal every datanet's dimension.
    pub sketch: &'a [i8],
    /// Keep only the `k` highest-scoring points; `None` keeps every point.
    pub top_k: Option<NonZeroU32>,
    /// How many top points to return (capped at [`MAX_TOP_POINTS`]).
    pub top_points: usize,
}

/// One scored data point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScoredPoint {
    /// Its datanet.
    pub datanet: DatanetId,
    /// Its index in the datanet.
    pub index: u32,
    /// Its contributor.
    pub contributor: Address,
    /// Clipped dot product (> 0).
    pub score: u64,
}

/// Result of an influence query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfluenceResult {
    /// Contributors with their shares, largest first (see [`bps::normalize`]).
    pub shares: Vec<Share>,
    /// Highest-scoring kept points, best first.
    pub top_points: Vec<ScoredPoint>,
    /// Points scanned (the work a query did, for gas and statistics).
    pub points_scanned: u64,
}

/// A kept point: (score, datanet position in id order, index).
type Candidate = (u32, u32, u32);

/// Best first: higher score, then lower datanet id, then lower index. A total order.
fn rank(a: &Candidate, b: &Candidate) -> Ordering {
    b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
}

/// Keeps the `k` best candidates (in no particular order).
fn keep_best(candidates: &mut Vec<Candidate>, k: usize) {
    if k == 0 {
        candidates.clear();
    } else if candidates.len() > k {
        candidates.select_nth_unstable_by(k - 1, rank);
        candidates.truncate(k);
    }
}

/// Scores `query` against `datanets` (any order; duplicates rejected). See the module doc.
pub fn score(
    datanets: &[&Datanet],
    query: &InfluenceQuery<'_>,
) -> Result<InfluenceResult, InfluenceError> {
    if datanets.is_empty() {
        return Err(InfluenceError::NoDatanets);
    }
    let mut sorted: Vec<&Datanet> = datanets.to_vec();
    sorted.sort_unstable_by_key(|d| d.id);
    for pair in sorted.windows(2) {
        if pair[0].id == pair[1].id {
            return Err(InfluenceError::DuplicateDatanet(pair[0].id));
        }
    }
    for d in &sorted {
        if d.dim != query.sketch.len() {
            return Err(InfluenceError::DimensionMismatch {
                datanet: d.id,
                dim: d.dim,
                query: query.sketch.len(),
            });
        }
    }

    let top_n = query.top_points.min(MAX_TOP_POINTS);
    let keep = query.top_k.map_or(top_n, |k| k.get() as usize);
    let mut scores: Vec<Vec<u32>> = Vec::with_capacity(sorted.len());
    let mut best: Vec<Candidate> = Vec::new();
    for (pos, d) in sorted.iter().enumerate() {
        let (s, mut c) = d.scan(query.sketch, pos as u32, keep.max(top_n));
        scores.push(s);
        best.append(&mut c);
    }
    let points_scanned = scores.iter().map(|s| s.len() as u64).sum();

    // Per-contributor weights, keyed by address so merging datanets is order-free.
    let mut weights: BTreeMap<Address, u128> = BTreeMap::new();
    match query.top_k {
        None => {
            for (d, s) in sorted.iter().zip(&scores) {
                let mut per = vec![0u64; d.contributors.len()];
                for (&sc, &c) in s.iter().zip(&d.point_contributor) {
                    per[c as usize] += u64::from(sc);
                }
                for (c, w) in d.contributors.iter().zip(per) {
                    if w > 0 {
                        *weights.entry(*c).or_default() += u128::from(w);
                    }
                }
            }
        }
        Some(_) => {
            keep_best(&mut best, keep);
            for &(sc, pos, idx) in &best {
                let d = sorted[pos as usize];
                let c = d.contributors[d.point_contributor[idx as usize] as usize];
                *weights.entry(c).or_default() += u128::from(sc);
            }
        }
    }
    keep_best(&mut best, top_n);
    best.sort_unstable_by(rank);

    let weights: Vec<(Address, u128)> = weights.into_iter().collect();
    let shares = bps::normalize(&weights);
    let top_points = if shares.is_empty() {
        Vec::new()
    } else {
        best.iter()
            .map(|&(sc, pos, idx)| {
                let d = sorted[pos as usize];
                ScoredPoint {
                    datanet: d.id,
                    index: idx,
                    contributor: d.contributors[d.point_contributor[idx as usize] as usize],
                    score: u64::from(sc),
                }
            })
            .collect()
    };
    Ok(InfluenceResult { shares, top_points, points_scanned })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(b: u8) -> Address {
        Address::repeat_byte(b)
    }

    fn sketch(v: i8, d: usize) -> Vec<i8> {
        vec![v; d]
    }

    #[test]
    fn dimension_bounds() {
        assert_eq!(Datanet::new(1, 63), Err(InfluenceError::InvalidDimension(63)));
        assert_eq!(Datanet::new(1, 1025), Err(InfluenceError::InvalidDimension(1025)));
        assert!(Datanet::new(1, 64).is_ok());
        assert!(Datanet::new(1, 1024).is_ok());
    }

    #[test]
    fn dot_is_exact_at_extremes() {
        for d in [64usize, 65, 100, 1024] {
            let x = vec![-128i8; d];
            assert_eq!(dot(&x, &x), 16384 * d as i32);
            let y = vec![127i8; d];
            assert_eq!(dot(&x, &y), -16256 * d as i32);
        }
    }

    #[test]
    fn batch_is_atomic() {
        let mut d = Datanet::new(1, 64).expect("dim");
        let err = d.push_batch(&[a(1), a(2)], &sketch(1, 127)).expect_err("short");
        assert!(matches!(err, InfluenceError::BatchLength { expected: 128, .. }));
        assert!(d.is_empty());
        assert_eq!(
            d.push(a(1), &sketch(1, 10)),
            Err(InfluenceError::SketchLength { expected: 64, got: 10 })
        );
    }

    #[test]
    fn clipping_aggregation_and_top_k() {
        let mut d = Datanet::new(7, 64).expect("dim");
        d.push(a(1), &sketch(1, 64)).expect("push"); // score 64
        d.push(a(2), &sketch(-1, 64)).expect("push"); // clipped to 0
        d.push(a(3), &sketch(2, 64)).expect("push"); // 128
        d.push(a(1), &sketch(1, 64)).expect("push"); // 64, ties with index 0
        let q = sketch(1, 64);
        let r =
            score(&[&d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 16 }).expect("q");
        assert_eq!(
            r.shares,
            vec![Share { contributor: a(1), bps: 5000 }, Share { contributor: a(3), bps: 5000 }]
        );
        assert_eq!(r.top_points.iter().map(|p| p.index).collect::<Vec<_>>(), vec![2, 0, 3]);
        // top 2 keeps index 2 and the lower-index tie, 0.
        let k = NonZeroU32::new(2);
        let r = score(&[&d], &InfluenceQuery { sketch: &q, top_k: k, top_points: 16 }).expect("q");
        assert_eq!(r.top_points.iter().map(|p| p.index).collect::<Vec<_>>(), vec![2, 0]);
        assert_eq!(r.shares[0], Share { contributor: a(3), bps: 6667 });
    }

    #[test]
    fn all_zero_is_empty_and_errors_are_typed() {
        let mut d = Datanet::new(1, 64).expect("dim");
        d.push(a(1), &sketch(-3, 64)).expect("push");
        let q = sketch(1, 64);
        let r =
            score(&[&d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 }).expect("q");
        assert!(r.shares.is_empty() && r.top_points.is_empty());
        assert_eq!(r.points_scanned, 1);
        let e = score(&[&d, &d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 });
        assert_eq!(e, Err(InfluenceError::DuplicateDatanet(1)));
        let e = score(&[&d], &InfluenceQuery { sketch: &q[..63], top_k: None, top_points: 4 });
        assert!(matches!(e, Err(InfluenceError::DimensionMismatch { .. })));
        let e = score(&[], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 });
        assert_eq!(e, Err(InfluenceError::NoDatanets));
    }
}
