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
//! Sketches are stored contiguously per chunk (`n * d` bytes; chunks are immutable and shared
//! between versions of a datanet, see [`Datanet`]) so a query is a few long sequential scans;
//! the scan is memory-bound for datanets larger than cache. Per-point scores are computed in
//! parallel with rayon over work units (runs of consecutive points of one chunk), and the
//! per-unit outputs (candidates, partial per-contributor sums) are combined in unit order with
//! integer arithmetic, so the result cannot depend on the thread count, scheduling or chunking.
//!
//! Every step of a query is bounded by a count the gas schedule charges for before the query
//! runs ([`InfluenceWork`], `gas::ScoreCharge`): points scored, partial contributor sums (an
//! array add by dense contributor id, at most one per point), candidates the work units
//! return (at most `keep` per unit, see [`max_units`]; the points `top_k` keeps are among
//! them), and contributors weighed by address.

use crate::bps::{self, Share};
use alloy_primitives::Address;
use contributors::Contributors;
use kernel::score_unit;
use rayon::prelude::*;
use std::{
    cmp::Ordering,
    collections::BTreeMap,
    fmt,
    num::NonZeroU32,
    sync::{Arc, Mutex, PoisonError},
};

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

mod contributors;
mod kernel;
pub use kernel::dot;

/// Fewest points per rayon task (work unit), unless a chunk has fewer: big enough to amortize
/// scheduling, small enough to balance.
const CHUNK_POINTS: usize = 2048;
/// Sketch bytes per work unit for small dimensions (more than [`CHUNK_POINTS`] points): fewer
/// units, hence fewer per-unit candidates to select from afterwards.
const UNIT_BYTES: usize = 512 << 10;
/// Sketch bytes at which a datanet's mutable tail is sealed into a shared immutable chunk.
const TAIL_BYTES: usize = 256 << 10;

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

/// A run of consecutive points of one datanet: their sketches and a local contributor table.
/// Sealed chunks are immutable and shared (via [`Arc`]) by every version of the datanet.
#[derive(Clone, Default)]
struct Chunk {
    /// Index (in the datanet) of the chunk's first point.
    start: usize,
    /// `len * dim` sketch values, point after point.
    sketches: Vec<i8>,
    /// Distinct contributors of the chunk (datanet-wide dense ids, see [`Contributors`]), in
    /// first-appearance order. Never more than the chunk has points.
    contributors: Vec<u32>,
    /// Position in `contributors` of each point's contributor.
    point_contributor: Vec<u32>,
}

impl Chunk {
    fn len(&self) -> usize {
        self.point_contributor.len()
    }
}

/// The data points of one datanet.
///
/// Points live in sealed chunks shared by all clones (`Arc`) plus a small mutable tail (under
/// 256 KiB of sketches) that a clone copies, so `clone` costs O(chunks + tail) and
/// appending to a clone never changes the original. Results never depend on the chunking.
#[derive(Clone)]
pub struct Datanet {
    id: DatanetId,
    dim: usize,
    /// Sealed chunks in index order; each holds at least [`TAIL_BYTES`] of sketches.
    sealed: Vec<Arc<Chunk>>,
    /// The points after the sealed chunks.
    tail: Chunk,
    /// Position of each tail contributor in `tail.contributors`.
    tail_pos: BTreeMap<Address, u32>,
    /// Every contributor of the datanet, by dense id.
    contributors: Contributors,
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
            sealed: Vec::new(),
            tail: Chunk::default(),
            tail_pos: BTreeMap::new(),
            contributors: Contributors::default(),
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
        self.tail.start + self.tail.len()
    }

    /// Whether the datanet has no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of sketch data a query scans.
    pub fn sketch_bytes(&self) -> usize {
        self.len() * self.dim
    }

    /// Number of distinct contributors.
    pub fn contributor_count(&self) -> usize {
        self.contributors.len()
    }

    /// Contributor and sketch of point `index`.
    pub fn point(&self, index: u32) -> Option<(Address, &[i8])> {
        let i = usize::try_from(index).ok()?;
        let chunk = self.chunk_of(i)?;
        let local = i - chunk.start;
        let start = local.checked_mul(self.dim)?;
        let sketch = chunk.sketches.get(start..start.checked_add(self.dim)?)?;
        Some((self.contributors.address(self.contributor_id(index)?)?, sketch))
    }

    /// Dense contributor id of point `index`.
    fn contributor_id(&self, index: u32) -> Option<u32> {
        let i = usize::try_from(index).ok()?;
        let chunk = self.chunk_of(i)?;
        let c = *chunk.point_contributor.get(i - chunk.start)?;
        chunk.contributors.get(c as usize).copied()
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
        let tail = &mut self.tail;
        if tail.sketches.len() + sketches.len() >= TAIL_BYTES {
            // This batch seals the tail: size the chunk exactly, so a large batch is copied
            // once, straight into its final place.
            tail.sketches.reserve_exact(sketches.len());
            tail.point_contributor.reserve_exact(contributors.len());
        }
        for &c in contributors {
            let next = tail.contributors.len() as u32;
            let pos = *self.tail_pos.entry(c).or_insert(next);
            if pos == next {
                // Fewer than MAX_POINTS contributors: checked above.
                tail.contributors.push(self.contributors.id(c));
            }
            tail.point_contributor.push(pos);
        }
        tail.sketches.extend_from_slice(sketches);
        if tail.sketches.len() >= TAIL_BYTES {
            self.seal();
        }
        // first < MAX_POINTS = u32::MAX, checked above.
        Ok(first as u32)
    }

    /// Turns the tail into a shared immutable chunk and starts an empty tail.
    fn seal(&mut self) {
        let start = self.len();
        let mut chunk = std::mem::replace(&mut self.tail, Chunk { start, ..Chunk::default() });
        chunk.sketches.shrink_to_fit();
        chunk.contributors.shrink_to_fit();
        chunk.point_contributor.shrink_to_fit();
        self.tail_pos.clear();
        self.contributors.seal();
        self.sealed.push(Arc::new(chunk));
    }

    /// All chunks in index order, the tail last (possibly empty).
    fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.sealed.iter().map(|c| &**c).chain(std::iter::once(&self.tail))
    }

    /// The chunk holding point `index`.
    fn chunk_of(&self, index: usize) -> Option<&Chunk> {
        if index >= self.tail.start {
            return Some(&self.tail);
        }
        // sealed[0].start == 0 <= index, so the partition point is >= 1.
        let k = self.sealed.partition_point(|c| c.start <= index);
        self.sealed.get(k.checked_sub(1)?).map(|c| &**c)
    }

    /// Contributor of point `index` (which must exist).
    fn contributor(&self, index: u32) -> Address {
        // Only called with indices produced by `scan`.
        self.point(index).map(|(c, _)| c).unwrap_or_default()
    }

    /// Every point in index order: its contributor id and sketch.
    fn points(&self) -> impl Iterator<Item = (u32, &[i8])> {
        self.chunks().flat_map(move |c| {
            c.point_contributor
                .iter()
                .zip(c.sketches.chunks_exact(self.dim))
                .map(move |(&p, s)| (c.contributors[p as usize], s))
        })
    }

    /// Clipped score of every point, by index. Parallel; each entry depends only on its point.
    pub fn clipped_scores(&self, query: &[i8]) -> Vec<u32> {
        let mut out = vec![0u32; self.len()];
        if query.len() != self.dim {
            return out;
        }
        let mut rest: &mut [u32] = &mut out;
        let work: Vec<(Unit<'_>, &mut [u32])> = self
            .units()
            .into_iter()
            .map(|u| {
                let (scores, r) =
                    std::mem::take(&mut rest).split_at_mut(u.sketches.len() / self.dim);
                rest = r;
                (u, scores)
            })
            .collect();
        work.into_par_iter().for_each(|(u, scores)| {
            score_unit(u.sketches, query, 0, &[], |_| (0, 0), |j, s| scores[j] = s);
        });
        out
    }

    /// The work units of a scan, in index order: every chunk cut into runs of
    /// max([`CHUNK_POINTS`], [`UNIT_BYTES`] / dim) points (the last run of a chunk shorter).
    fn units(&self) -> Vec<Unit<'_>> {
        let per = CHUNK_POINTS.max(UNIT_BYTES / self.dim);
        let mut units = Vec::with_capacity(self.len().div_ceil(per) + self.sealed.len() + 1);
        for (chunk, c) in self.chunks().enumerate() {
            for (k, sketches) in c.sketches.chunks(per * self.dim).enumerate() {
                units.push(Unit { chunk, first: c.start + k * per, sketches });
            }
        }
        units
    }

    /// Scans with `query` (of this datanet's dimension). Returns the best `keep` positive
    /// points of every work unit (a superset of the global best `keep`) and, if `sums` is given
    /// (one entry per contributor id), adds every contributor's total score to it, returning
    /// how many partial sums it added. `pos` is this datanet's position in the query.
    ///
    /// Units are scored in parallel; every unit's output is a pure function of the unit, and
    /// candidates are collected in unit order, so nothing depends on scheduling. Sums are
    /// integer adds, so neither does their order: each unit's partial sums (see
    /// [`Self::score_summing`]) are added, on the thread that scored it, into that thread's own
    /// array by contributor id, and those arrays into `sums` at the end. The adds run in
    /// parallel, and no unit's partial outlives the unit (holding them all until a merge made a
    /// datanet of many contributors per chunk re-fault megabytes per query).
    fn scan(
        &self,
        query: &[i8],
        pos: u32,
        keep: usize,
        excluded: &[(usize, usize)],
        sums: Option<&mut [u64]>,
    ) -> (Vec<Candidate>, u64) {
        let units = self.units();
        let Some(sums) = sums else {
            let parts: Vec<Vec<Candidate>> = units
                .par_iter()
                .map(|u| {
                    let skips = u.skips(excluded, self.dim);
                    score_unit(u.sketches, query, keep, &skips, u.at(pos), |_, _| {})
                })
                .collect();
            return (parts.concat(), 0);
        };
        // One array per thread, but no more than one plus the points per contributor: zeroing
        // and adding them up stays within O(points + contributors) on any number of cores
        // (threads share an array, under its lock, only when there are more threads).
        let arrays = 1 + self.len() / sums.len().max(1);
        let threads = rayon::current_num_threads().clamp(1, arrays);
        let per_thread: Vec<Mutex<Vec<u64>>> = (0..threads).map(|_| Mutex::default()).collect();
        let chunks: Vec<&Chunk> = self.chunks().collect();
        let parts: Vec<(Vec<Candidate>, u64)> = units
            .par_iter()
            .map(|u| {
                let skips = u.skips(excluded, self.dim);
                let (candidates, partial) =
                    self.score_summing(chunks[u.chunk], u, query, keep, &skips, pos);
                let slot = rayon::current_thread_index().unwrap_or(0) % threads;
                let mut acc = per_thread[slot].lock().unwrap_or_else(PoisonError::into_inner);
                if acc.is_empty() {
                    acc.resize(sums.len(), 0);
                }
                (candidates, partial.add_to(chunks[u.chunk], u.first, &mut acc))
            })
            .collect();
        for acc in per_thread {
            let acc = acc.into_inner().unwrap_or_else(PoisonError::into_inner);
            for (sum, a) in sums.iter_mut().zip(acc) {
                *sum += a;
            }
        }
        let added = parts.iter().map(|p| p.1).sum();
        let candidates: Vec<Vec<Candidate>> = parts.into_iter().map(|p| p.0).collect();
        (candidates.concat(), added)
    }

    /// Scores unit `u` of `chunk`, keeping its best `keep` candidates and its partial sums:
    /// per chunk-local contributor when the chunk has no more contributors than the unit has
    /// points, else per point.
    fn score_summing(
        &self,
        chunk: &Chunk,
        u: &Unit<'_>,
        query: &[i8],
        keep: usize,
        skips: &[(usize, usize)],
        pos: u32,
    ) -> (Vec<Candidate>, Partial) {
        let n = u.points(self.dim);
        if chunk.contributors.len() <= n {
            let from = u.first - chunk.start;
            let local = &chunk.point_contributor[from..from + n];
            let mut sums = vec![0u64; chunk.contributors.len()];
            let c = score_unit(u.sketches, query, keep, skips, u.at(pos), |j, s| {
                sums[local[j] as usize] += u64::from(s);
            });
            (c, Partial::Sums(sums))
        } else {
            let mut scores = vec![0u32; n];
            let c = score_unit(u.sketches, query, keep, skips, u.at(pos), |j, s| scores[j] = s);
            (c, Partial::Scores(scores))
        }
    }

    /// The scores of `kept` (points of this datanet) summed by contributor id: in an array
    /// when the datanet has few contributors for the points kept, else after sorting the ids.
    /// Either way O(kept log kept) at most; every kept point is a candidate.
    fn kept_weights(&self, kept: &[Candidate]) -> IdWeights {
        let mut last: Option<&Chunk> = None;
        let mut ids: Vec<(u32, u64)> = Vec::with_capacity(kept.len());
        for &(score, _, idx) in kept {
            // Consecutive kept points mostly share a chunk.
            let i = idx as usize;
            let chunk = match last {
                Some(c) if (c.start..c.start + c.len()).contains(&i) => c,
                _ => match self.chunk_of(i) {
                    Some(c) => c,
                    None => continue, // indices come from the scan
                },
            };
            last = Some(chunk);
            let local = chunk.point_contributor.get(i - chunk.start).copied();
            if let Some(&id) = local.and_then(|l| chunk.contributors.get(l as usize)) {
                ids.push((id, u64::from(score)));
            }
        }
        if self.contributor_count() <= 2 * ids.len() {
            let mut sums = vec![0u64; self.contributor_count()];
            for (id, score) in ids {
                if let Some(sum) = sums.get_mut(id as usize) {
                    *sum += score;
                }
            }
            return IdWeights::Dense(sums);
        }
        ids.sort_unstable_by_key(|e| e.0);
        let runs = ids.chunk_by(|a, b| a.0 == b.0);
        IdWeights::Sparse(runs.map(|run| (run[0].0, run.iter().map(|e| e.1).sum())).collect())
    }

    /// Appends the positive weights of `by_id` to `weights` with their addresses. Ids are
    /// distinct, so within one datanet no address repeats.
    fn weigh(&self, by_id: &IdWeights, weights: &mut Vec<(Address, u128)>) {
        match by_id {
            IdWeights::Dense(sums) => {
                let positive = self.contributors.addresses().zip(sums).filter(|(_, w)| **w > 0);
                weights.extend(positive.map(|(c, &w)| (c, u128::from(w))));
            }
            IdWeights::Sparse(sums) => {
                for &(id, w) in sums.iter().filter(|e| e.1 > 0) {
                    if let Some(c) = self.contributors.address(id) {
                        weights.push((c, u128::from(w)));
                    }
                }
            }
        }
    }
}

/// One datanet's weights summed by contributor id, not yet looked up by address.
enum IdWeights {
    /// One entry per contributor id of the datanet (0: no weight).
    Dense(Vec<u64>),
    /// (id, weight) of some contributors, ids distinct.
    Sparse(Vec<(u32, u64)>),
}

impl IdWeights {
    /// How many contributors have a positive weight.
    fn positive(&self) -> u64 {
        match self {
            Self::Dense(sums) => sums.iter().filter(|w| **w > 0).count() as u64,
            Self::Sparse(sums) => sums.iter().filter(|e| e.1 > 0).count() as u64,
        }
    }
}

/// A work unit of a scan: consecutive points of one chunk (see [`Datanet::units`]).
struct Unit<'a> {
    /// Position of its chunk in [`Datanet::chunks`].
    chunk: usize,
    /// Index (in the datanet) of its first point.
    first: usize,
    /// Its points' sketches.
    sketches: &'a [i8],
}

impl Unit<'_> {
    /// Number of points.
    fn points(&self, dim: usize) -> usize {
        self.sketches.len() / dim
    }

    /// Its part of a datanet's excluded ranges (sorted, disjoint), relative to its first point.
    fn skips(&self, excluded: &[(usize, usize)], dim: usize) -> Vec<(usize, usize)> {
        let (first, end) = (self.first, self.first + self.points(dim));
        // Start at the first range ending past the unit's first point.
        let from = excluded.partition_point(|&(_, b)| b <= first);
        excluded[from..]
            .iter()
            .take_while(|&&(a, _)| a < end)
            .map(|&(a, b)| (a.max(first) - first, b.min(end) - first))
            .collect()
    }

    /// (datanet position, index) of its `j`-th point, for a datanet at position `pos`.
    fn at(&self, pos: u32) -> impl Fn(usize) -> (u32, u32) + use<> {
        let first = self.first;
        move |j| (pos, (first + j) as u32)
    }
}

/// Contributor weights of one unit.
enum Partial {
    /// Total score per chunk-local contributor.
    Sums(Vec<u64>),
    /// Score of every point of the unit.
    Scores(Vec<u32>),
}

impl Partial {
    /// Adds these weights of the unit starting at point `first` of `chunk` to `acc` by
    /// contributor id; returns how many adds that took (at most one per point).
    fn add_to(self, chunk: &Chunk, first: usize, acc: &mut [u64]) -> u64 {
        // Ids are below the contributor count, the length of `acc` (u64: at most 2^32 points
        // of at most 2^24 each).
        let mut add = |id: u32, w: u64| {
            if let Some(sum) = acc.get_mut(id as usize) {
                *sum += w;
            }
        };
        match self {
            Self::Sums(sums) => {
                for (&id, &w) in chunk.contributors.iter().zip(&sums) {
                    add(id, w);
                }
                sums.len() as u64
            }
            Self::Scores(scores) => {
                let local = &chunk.point_contributor[first - chunk.start..];
                for (&c, &s) in local.iter().zip(&scores) {
                    add(chunk.contributors[c as usize], u64::from(s));
                }
                scores.len() as u64
            }
        }
    }
}

impl PartialEq for Datanet {
    /// Same id, dimension and points, however they are chunked.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.dim == other.dim
            && self.len() == other.len()
            && self
                .points()
                .map(|(c, s)| (self.contributors.address(c), s))
                .eq(other.points().map(|(c, s)| (other.contributors.address(c), s)))
    }
}

impl Eq for Datanet {}

impl fmt::Debug for Datanet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Datanet")
            .field("id", &self.id)
            .field("dim", &self.dim)
            .field("len", &self.len())
            .field("sealed_chunks", &self.sealed.len())
            .finish_non_exhaustive()
    }
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
    /// The work the query did. Depends on the datanets' chunking, unlike everything else.
    pub work: InfluenceWork,
}

/// The work a query did, in the units its gas is charged in (`gas::ScoreCharge` bounds each
/// count before the query runs; a property test checks that it does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfluenceWork {
    /// Points scored.
    pub points: u64,
    /// Partial sums added into a datanet's sums by contributor id (all points only): per work
    /// unit, one per contributor of its chunk or one per point, whichever is fewer. At most one
    /// per point.
    pub sum_adds: u64,
    /// Candidates the work units returned to the global selection: at most `keep` (the larger
    /// of `top_k` and the top points asked for) per unit.
    pub candidates: u64,
    /// Points kept by `top_k`, whose contributors were looked up and summed: among the
    /// candidates.
    pub kept: u64,
    /// Contributors whose sums were kept in an array by id when all points count: every
    /// contributor of every datanet named.
    pub summed: u64,
    /// (datanet, contributor) weights that are positive: looked up by address and normalized
    /// by [`Scanned::finish`]. Known once [`prepare`] returns, before that work is done.
    pub weighed: u64,
    /// Of those, the ones merged by address (a sort): all of them when several datanets are
    /// named, else none.
    pub merged: u64,
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

/// Keeps the `k` best candidates in their order. Candidates arrive grouped by datanet and
/// unit, so the kept points' contributors are then looked up chunk after chunk rather than
/// all over memory; finding the `k`-th best on a copy costs a copy and a pass.
fn keep_best_in_order(candidates: &mut Vec<Candidate>, k: usize) {
    if candidates.len() <= k {
        return;
    }
    let mut copy = candidates.clone();
    keep_best(&mut copy, k);
    match copy.iter().max_by(|a, b| rank(a, b)) {
        // The worst kept candidate: everything ranking at or above it (exactly k, as the
        // order is total) stays.
        Some(worst) => candidates.retain(|c| rank(c, worst) != Ordering::Greater),
        None => candidates.clear(),
    }
}

/// Most work units a datanet of `points` points of dimension `dim` is scanned in, however it
/// was batched: a function of sizes alone, so the gas schedule can bound the candidates of a
/// query before it runs (each unit returns at most `keep`).
///
/// Units are runs of at most `per` = max(2,048, 512 KiB / dim) points of one chunk; a chunk
/// of `c` points gives `ceil(c / per) <= floor(c / per) + 1` units. Summed over the chunks: at
/// most `floor(points / per)` plus the number of non-empty chunks, and every sealed chunk
/// holds at least 256 KiB of sketches, so there are at most `points * dim / 256 KiB` of them
/// besides the tail.
pub fn max_units(points: u64, dim: u64) -> u64 {
    if points == 0 || dim == 0 {
        return 0;
    }
    let per = (CHUNK_POINTS as u64).max(UNIT_BYTES as u64 / dim);
    let sealed = points.saturating_mul(dim) / TAIL_BYTES as u64;
    (points / per).saturating_add(sealed).saturating_add(1)
}

/// Scores `query` against `datanets` (any order; duplicates rejected). See the module doc.
pub fn score(
    datanets: &[&Datanet],
    query: &InfluenceQuery<'_>,
) -> Result<InfluenceResult, InfluenceError> {
    let none: Vec<(&Datanet, &[(u32, u32)])> = datanets.iter().map(|d| (*d, &[][..])).collect();
    score_excluding(&none, query)
}

/// [`score`] with excluded points: each datanet comes with half-open index ranges
/// `[first, end)` (any order, may overlap) whose points score 0, as if they were not there
/// (a curator rejected or governance slashed them). They are still scanned, so the work does
/// not change.
pub fn score_excluding(
    datanets: &[(&Datanet, &[(u32, u32)])],
    query: &InfluenceQuery<'_>,
) -> Result<InfluenceResult, InfluenceError> {
    Ok(prepare(datanets, query)?.finish())
}

/// A query scanned, its weights summed by contributor id but not yet looked up by address
/// and normalized: [`Scanned::work`] tells how many weights that will take, so the caller can
/// charge for them first (the count depends on the scores: only positive weights count).
pub struct Scanned<'d> {
    /// The datanets in id order.
    sorted: Vec<&'d Datanet>,
    /// Their weights by contributor id.
    weights: Vec<IdWeights>,
    /// The top points, best first.
    best: Vec<Candidate>,
    /// The work so far and the weights still to look up.
    work: InfluenceWork,
}

impl Scanned<'_> {
    /// The work so far, and the weights [`Self::finish`] will look up (`weighed`, `merged`).
    pub fn work(&self) -> &InfluenceWork {
        &self.work
    }

    /// The result: weights looked up by address (merged across datanets), normalized.
    pub fn finish(self) -> InfluenceResult {
        let mut weights: Vec<(Address, u128)> = Vec::with_capacity(self.work.weighed as usize);
        for (d, by_id) in self.sorted.iter().zip(&self.weights) {
            d.weigh(by_id, &mut weights);
        }
        if self.sorted.len() > 1 {
            merge_by_address(&mut weights);
        }
        let shares = bps::normalize(&weights);
        let top_points = if shares.is_empty() {
            Vec::new()
        } else {
            self.best
                .iter()
                .map(|&(sc, pos, idx)| {
                    let d = self.sorted[pos as usize];
                    ScoredPoint {
                        datanet: d.id,
                        index: idx,
                        contributor: d.contributor(idx),
                        score: u64::from(sc),
                    }
                })
                .collect()
        };
        InfluenceResult { shares, top_points, work: self.work }
    }
}

/// The first part of [`score_excluding`]: checks the query, scans every datanet, keeps the
/// `top_k` points and sums the weights by contributor id.
pub fn prepare<'d>(
    datanets: &[(&'d Datanet, &[(u32, u32)])],
    query: &InfluenceQuery<'_>,
) -> Result<Scanned<'d>, InfluenceError> {
    let sorted = checked(datanets, query)?;
    let top_n = query.top_points.min(MAX_TOP_POINTS);
    let keep = query.top_k.map_or(top_n, |k| k.get() as usize);
    let mut work =
        InfluenceWork { points: sorted.iter().map(|d| d.len() as u64).sum(), ..Default::default() };
    let mut weights: Vec<IdWeights> = Vec::with_capacity(sorted.len());
    let mut best: Vec<Candidate> = Vec::new();
    for (pos, d) in sorted.iter().enumerate() {
        let skip = excluded(datanets, d.id);
        // Every point's score counts without top_k; with it, only the kept points' (below).
        let mut sums =
            if query.top_k.is_none() { vec![0u64; d.contributor_count()] } else { vec![] };
        let all = query.top_k.is_none().then_some(&mut sums[..]);
        let (found, added) = d.scan(query.sketch, pos as u32, keep.max(top_n), &skip, all);
        work.summed += sums.len() as u64;
        work.sum_adds += added;
        work.candidates += found.len() as u64;
        if best.is_empty() {
            best = found;
        } else {
            best.extend(found);
        }
        weights.push(IdWeights::Dense(sums));
    }
    if query.top_k.is_some() {
        keep_best_in_order(&mut best, keep);
        work.kept = best.len() as u64;
        for (pos, group) in best.chunk_by(|a, b| a.1 == b.1).map(|g| (g[0].1 as usize, g)) {
            weights[pos] = sorted[pos].kept_weights(group);
        }
    }
    keep_best(&mut best, top_n);
    best.sort_unstable_by(rank);
    work.weighed = weights.iter().map(IdWeights::positive).sum();
    work.merged = if sorted.len() > 1 { work.weighed } else { 0 };
    Ok(Scanned { sorted, weights, best, work })
}

/// The datanets of a query sorted by id, after checking that there is one, none twice, and
/// that each has the query's dimension.
fn checked<'d>(
    datanets: &[(&'d Datanet, &[(u32, u32)])],
    query: &InfluenceQuery<'_>,
) -> Result<Vec<&'d Datanet>, InfluenceError> {
    if datanets.is_empty() {
        return Err(InfluenceError::NoDatanets);
    }
    let mut sorted: Vec<&Datanet> = datanets.iter().map(|(d, _)| *d).collect();
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
    Ok(sorted)
}

/// The excluded ranges of datanet `id` in a query, sorted and disjoint.
fn excluded(datanets: &[(&Datanet, &[(u32, u32)])], id: DatanetId) -> Vec<(usize, usize)> {
    let ranges = datanets.iter().filter(|(x, _)| x.id == id).flat_map(|(_, r)| r.iter());
    let merged = crate::ranges::merge(ranges.copied().collect());
    merged.into_iter().map(|(a, b)| (a as usize, b as usize)).collect()
}

/// Sums the weights of addresses that appear more than once (a contributor of several
/// datanets). Sorting is the per-contributor cost of a query over several datanets, about the
/// cost of the map it replaces; `bps::normalize` does not depend on the order.
fn merge_by_address(weights: &mut Vec<(Address, u128)>) {
    weights.sort_unstable_by_key(|w| w.0);
    weights.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
}

#[cfg(test)]
mod tests;
