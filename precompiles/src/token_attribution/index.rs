//! The LSM-segmented token index of one datanet.
//!
//! ```text
//! add_documents ──▶ level-0 segment (own suffix array) ──▶ maintain(): fan_in segments of one
//!                                                         level ──merge──▶ one segment, level+1
//! ```
//!
//! Merging rebuilds the suffix array over the merged documents; a merge that would pass
//! `max_segment_len` is not done and those segments are frozen. Queries read all segments, so
//! none of this changes a result (see the parent module).
//!
//! Segments are immutable and shared ([`Arc`]) between clones of an index; only the list of
//! segments with their levels and the document table are per clone. So `clone` is
//! O(segments + documents), and registering or merging in a clone never touches the
//! original's segments.

use super::{
    DocId, MAX_SEGMENT_LEN, TokenError,
    segment::{self, Segment},
};
use crate::influence::DatanetId;
use alloy_primitives::Address;
use std::{collections::BTreeMap, sync::Arc};

/// When segments are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergePolicy {
    /// Merge this many segments of one level into one (at least 2; `usize::MAX`: never).
    pub fan_in: usize,
    /// Never build a merged segment with a longer text.
    pub max_segment_len: usize,
}

impl Default for MergePolicy {
    fn default() -> Self {
        Self { fan_in: 8, max_segment_len: MAX_SEGMENT_LEN }
    }
}

/// The token corpus of one datanet (see the module doc).
#[derive(Debug, Clone)]
pub struct TokenIndex {
    id: DatanetId,
    policy: MergePolicy,
    /// Contributor of each document.
    doc_contributor: Vec<Address>,
    segments: Vec<Entry>,
    tokens: u64,
    /// Every registered batch in order: (text length, block registered in, documents). What
    /// the gas schedule may see of the index, unlike `segments`.
    batches: Vec<(u64, u64, u32)>,
}

/// Blocks after which a registered batch is priced as merged into the rest of its datanet (see
/// [`TokenIndex::gas_segments`]). A node has this long to merge it in the background; a node
/// that has not merges before the query that needs it.
pub const SETTLE_BLOCKS: u64 = 64;

/// A segment of the index and its merge level in this index.
#[derive(Debug, Clone)]
struct Entry {
    segment: Arc<Segment>,
    /// Merge level (0 for a freshly registered batch, `u32::MAX`: frozen).
    level: u32,
}

impl TokenIndex {
    /// An empty index.
    pub fn new(id: DatanetId, policy: MergePolicy) -> Self {
        Self {
            id,
            policy,
            doc_contributor: Vec::new(),
            segments: Vec::new(),
            tokens: 0,
            batches: Vec::new(),
        }
    }

    /// The datanet's id.
    pub fn id(&self) -> DatanetId {
        self.id
    }

    /// Registered documents.
    pub fn doc_count(&self) -> usize {
        self.doc_contributor.len()
    }

    /// Registered tokens.
    pub fn token_count(&self) -> u64 {
        self.tokens
    }

    /// Current number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The most index entries span matching reads for an output of `m` tokens over this
    /// index as it is segmented now (the sum of its segments' bounds).
    pub fn work_bound(&self, m: u64) -> u64 {
        self.segments().map(|s| s.work_bound(m)).fold(0, u64::saturating_add)
    }

    /// Text lengths of the segments a query at block `block` is priced for: one segment
    /// holding every batch registered at least [`SETTLE_BLOCKS`] earlier, and one per younger
    /// batch. A pure function of the registered batches and the block, so every node charges
    /// the same gas, however far its background merging has got.
    ///
    /// Matching work is subadditive in the segment length (`segment::work_bound` of `x + y`
    /// never exceeds that of `x` plus that of `y`), so any segmentation that merges at least
    /// the settled batches into one costs at most what this one is charged; see
    /// [`Self::within_charge`].
    pub fn gas_segments(&self, block: u64) -> Vec<u64> {
        let settled = self.settled(block);
        let merged: u64 = self.batches[..settled].iter().map(|b| b.0).sum();
        let young = self.batches[settled..].iter().map(|b| b.0);
        (merged > 0).then_some(merged).into_iter().chain(young).collect()
    }

    /// Number of batches registered at least [`SETTLE_BLOCKS`] before `block`.
    fn settled(&self, block: u64) -> usize {
        self.batches.partition_point(|b| b.1.saturating_add(SETTLE_BLOCKS) <= block)
    }

    /// Whether matching over this index as segmented now reads no more than a query at
    /// `block` is charged for (see [`Self::gas_segments`]; all segments of a datanet are
    /// priced per read alike, so comparing reads is enough).
    pub fn within_charge(&self, block: u64) -> bool {
        let bound = |len: u64| segment::work_bound(1, len);
        let charged = self.gas_segments(block).into_iter().map(bound).fold(0, u64::saturating_add);
        self.work_bound(1) <= charged
    }

    /// Re-segments the index exactly as [`Self::gas_segments`] prices it at `block`: what a
    /// node does before a query when its background merging is behind.
    pub fn conform(&mut self, block: u64) -> Result<(), TokenError> {
        let mut docs: Vec<(DocId, Vec<u32>)> =
            self.segments().flat_map(Segment::documents).collect();
        docs.sort_unstable_by_key(|d| d.0);
        let settled = self.settled(block);
        let mut groups: Vec<usize> = Vec::with_capacity(1 + self.batches.len() - settled);
        let settled_docs: usize = self.batches[..settled].iter().map(|b| b.2 as usize).sum();
        if settled_docs > 0 {
            groups.push(settled_docs);
        }
        groups.extend(self.batches[settled..].iter().map(|b| b.2 as usize));
        let mut segments = Vec::with_capacity(groups.len());
        let mut rest = docs.as_slice();
        for (i, n) in groups.into_iter().enumerate() {
            let (group, tail) = rest.split_at_checked(n).ok_or(TokenError::IndexBuild)?;
            let built = Segment::build(group.iter().map(|(id, d)| (*id, d.as_slice())))?;
            let level = if i == 0 && settled > 0 { 1 } else { 0 };
            segments.push(Entry { segment: Arc::new(built), level });
            rest = tail;
        }
        self.segments = segments;
        Ok(())
    }

    /// The segments, oldest first.
    pub(super) fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().map(|e| &*e.segment)
    }

    /// Contributor of document `doc`.
    pub fn contributor(&self, doc: DocId) -> Option<Address> {
        self.doc_contributor.get(doc as usize).copied()
    }

    /// Registers a batch of documents as one new segment, then merges as the policy says.
    /// All or nothing. Returns the id of the first new document.
    pub fn add_documents(&mut self, docs: &[(Address, &[u32])]) -> Result<DocId, TokenError> {
        self.add_documents_unmerged(docs)?;
        self.maintain();
        Ok((self.doc_contributor.len() - docs.len()) as DocId)
    }

    /// Like [`Self::add_documents`] without merging (for callers that merge in the background).
    pub fn add_documents_unmerged(
        &mut self,
        docs: &[(Address, &[u32])],
    ) -> Result<DocId, TokenError> {
        self.add_batch(docs, 0)
    }

    /// Registers a batch as one new segment without merging, recording the block it was
    /// registered in (which [`Self::gas_segments`] prices by).
    pub fn add_batch(
        &mut self,
        docs: &[(Address, &[u32])],
        block: u64,
    ) -> Result<DocId, TokenError> {
        if docs.is_empty() {
            return Err(TokenError::NoDocuments);
        }
        if let Some(i) = docs.iter().position(|(_, d)| d.is_empty()) {
            return Err(TokenError::EmptyDocument(i));
        }
        let text_len = docs.iter().map(|(_, d)| d.len() + 1).fold(0usize, usize::saturating_add);
        let first = self.doc_contributor.len();
        if text_len > MAX_SEGMENT_LEN || first.saturating_add(docs.len()) > DocId::MAX as usize {
            return Err(TokenError::BatchTooLarge);
        }
        let ids = (first as DocId..).zip(docs.iter().map(|(_, d)| *d));
        let segment = Segment::build(ids)?;
        self.tokens += segment.tokens() as u64;
        self.batches.push((segment.text_len() as u64, block, docs.len() as u32));
        self.doc_contributor.extend(docs.iter().map(|(c, _)| *c));
        self.segments.push(Entry { segment: Arc::new(segment), level: 0 });
        Ok(first as DocId)
    }

    /// Performs the merges the policy asks for; returns how many were done.
    pub fn maintain(&mut self) -> usize {
        let mut merges = 0;
        while let Some(level) = self.level_to_merge() {
            let picked: Vec<usize> = (0..self.segments.len())
                .filter(|&i| self.segments[i].level == level)
                .take(self.policy.fan_in)
                .collect();
            let len: usize = picked.iter().map(|&i| self.segments[i].segment.text_len()).sum();
            if len > self.policy.max_segment_len || self.merge(&picked, level + 1).is_err() {
                // Too big to merge: freeze these segments at their size.
                for &i in &picked {
                    self.segments[i].level = u32::MAX;
                }
            } else {
                merges += 1;
            }
        }
        merges
    }

    /// Merges every segment into one, if it fits [`MergePolicy::max_segment_len`].
    pub fn compact(&mut self) -> Result<(), TokenError> {
        if self.segments.len() < 2 {
            return Ok(());
        }
        let len: usize = self.segments().map(Segment::text_len).sum();
        if len > self.policy.max_segment_len {
            return Err(TokenError::BatchTooLarge);
        }
        let all: Vec<usize> = (0..self.segments.len()).collect();
        let level = self.segments.iter().map(|s| s.level).filter(|&l| l != u32::MAX).max();
        self.merge(&all, level.unwrap_or(0).saturating_add(1))
    }

    /// The lowest level holding `fan_in` segments.
    fn level_to_merge(&self) -> Option<u32> {
        if self.policy.fan_in < 2 {
            return None;
        }
        let mut per_level: BTreeMap<u32, usize> = BTreeMap::new();
        for s in self.segments.iter().filter(|s| s.level != u32::MAX) {
            *per_level.entry(s.level).or_default() += 1;
        }
        per_level.into_iter().find(|&(_, n)| n >= self.policy.fan_in).map(|(l, _)| l)
    }

    /// Replaces the segments at `picked` (ascending) by one merged segment.
    fn merge(&mut self, picked: &[usize], level: u32) -> Result<(), TokenError> {
        let docs: Vec<(DocId, Vec<u32>)> =
            picked.iter().flat_map(|&i| self.segments[i].segment.documents()).collect();
        let merged = Segment::build(docs.iter().map(|(id, d)| (*id, d.as_slice())))?;
        for &i in picked.iter().rev() {
            self.segments.remove(i);
        }
        self.segments.push(Entry { segment: Arc::new(merged), level });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_attribution::{TokenAttribution, TokenQuery, attribute};

    /// Deterministic documents: `n` documents of 3..=10 tokens over 12 ids, 5 owners.
    fn docs(seed: u64, n: usize) -> Vec<(Address, Vec<u32>)> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|_| {
                let owner = Address::repeat_byte((next() % 5) as u8 + 1);
                let len = (next() % 8) as usize + 3;
                (owner, (0..len).map(|_| (next() % 12) as u32).collect())
            })
            .collect()
    }

    fn add(ix: &mut TokenIndex, docs: &[(Address, Vec<u32>)], batch: usize) {
        for b in docs.chunks(batch) {
            let b: Vec<(Address, &[u32])> = b.iter().map(|(a, d)| (*a, d.as_slice())).collect();
            ix.add_documents(&b).expect("add");
        }
    }

    fn query(ix: &TokenIndex) -> TokenAttribution {
        let output = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 3, 3, 5, 7, 1, 1, 2, 9, 4];
        let q = TokenQuery { output: &output, min_span: 2, max_occurrences: 50 };
        attribute(&[ix], &q).expect("attribute")
    }

    fn same(x: &TokenAttribution, y: &TokenAttribution) -> bool {
        (&x.shares, &x.spans) == (&y.shares, &y.spans)
    }

    #[test]
    fn clones_share_segments_and_diverge_independently() {
        let policy = MergePolicy { fan_in: 2, ..MergePolicy::default() };
        let (old, new) = (docs(1, 60), docs(2, 45));
        let mut base = TokenIndex::new(4, policy);
        add(&mut base, &old, 7); // 9 batches: segments of levels 3 and 0
        let before = query(&base);
        let shared: Vec<Arc<Segment>> = base.segments.iter().map(|e| e.segment.clone()).collect();

        let mut version = base.clone();
        assert!(version.segments.iter().zip(&shared).all(|(e, s)| Arc::ptr_eq(&e.segment, s)));
        // Registering merges the clone's segments (level 0 with the new ones, and up).
        add(&mut version, &new, 4);
        assert!(
            version.segments.iter().all(|e| !shared.iter().any(|s| Arc::ptr_eq(&e.segment, s)))
        );

        assert_eq!(base.doc_count(), old.len());
        assert_eq!(base.segments.len(), shared.len());
        assert!(base.segments.iter().zip(&shared).all(|(e, s)| Arc::ptr_eq(&e.segment, s)));
        assert!(same(&query(&base), &before));
        assert_eq!(base.contributor(old.len() as DocId), None);

        let all: Vec<(Address, Vec<u32>)> = old.iter().chain(&new).cloned().collect();
        let mut scratch = TokenIndex::new(4, MergePolicy::default());
        add(&mut scratch, &all, all.len());
        let expected = query(&scratch);
        assert!(!same(&expected, &before) && !expected.shares.is_empty());
        assert!(same(&query(&version), &expected));
        assert_eq!(version.doc_count(), scratch.doc_count());
        assert_eq!(version.token_count(), scratch.token_count());
        assert!((0..all.len() as DocId).all(|d| version.contributor(d) == scratch.contributor(d)));
        version.compact().expect("compact");
        assert!(same(&query(&version), &expected));
        assert!(same(&query(&base), &before));
    }
}
