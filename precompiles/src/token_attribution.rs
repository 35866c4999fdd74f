//! Token attribution, Infini-gram style: which contributors' corpora hold the spans of an
//! output, found with suffix arrays.
//!
//! Contributors register documents (token id sequences) to a datanet's [`TokenIndex`]. For an
//! output `o[0..m]` and each position `i`, `L_i` is the length of the longest `o[i..i+L_i]`
//! that occurs inside one registered document (a match never spans two documents). Then:
//!
//! ```text
//! maximal span  (i, L_i)  with L_i > 0 and (i == 0 or i + L_i > i - 1 + L_{i-1})
//!               i.e. not contained in another matching span (OLMoTrace's "maximal spans";
//!               maximal spans may overlap)
//! kept span     a maximal span with L_i >= min_span
//! occurrences   every (document, offset) where o[i..i+L_i] occurs, over all queried datanets
//! holders       the distinct contributors of the documents of those occurrences
//! credit        each kept span is worth L_i * SPAN_UNIT units, split evenly between its h
//!               holders: each gets floor(L_i * SPAN_UNIT / h), and the (L_i * SPAN_UNIT mod h)
//!               leftover units go one each to the holders with the lowest addresses
//! shares        bps::normalize(credits), exactly 10,000 in total
//! ```
//!
//! A kept span with more than `max_occurrences` occurrences is too common to attribute: it is
//! reported with its count and `holders = 0` and credits nobody (this bounds the work a query
//! can cause). When no span is credited the shares are empty.
//!
//! # Index
//!
//! An index is a list of immutable segments, LSM style: every registered batch becomes a
//! level-0 segment with its own suffix array at once, and when [`MergePolicy::fan_in`]
//! segments share a level they are merged (suffix array rebuilt) into one segment a level up.
//! A query consults every segment: `L_i` is the maximum over segments, occurrences are summed
//! over the segments that reach it, holders are united. Documents never straddle segments, so
//! the result is the same for every segmentation; `tests/it/token_ref.rs` checks this against
//! a naive scan and across segmentations.

mod index;
mod lcp;
mod segment;

pub use index::{MergePolicy, SETTLE_BLOCKS, TokenIndex};
pub use segment::work_bound as match_work_bound;

use crate::{
    bps::{self, Share},
    influence::DatanetId,
};
use alloy_primitives::Address;
use rayon::prelude::*;
use segment::{Match, Segment};
use std::collections::BTreeMap;

/// Global id of a document within its datanet (registration order).
pub type DocId = u32;

/// Credit units per matched token, divisible by every holder count from 1 to 16.
pub const SPAN_UNIT: u128 = 720_720;
/// Longest output a query may attribute.
pub const MAX_OUTPUT_TOKENS: usize = 16_384;
/// Largest allowed `max_occurrences`.
pub const MAX_OCCURRENCES_LIMIT: u64 = 1 << 20;
/// Largest segment text (tokens plus one separator per document): libsais's 32-bit limit.
pub const MAX_SEGMENT_LEN: usize = i32::MAX as usize;

/// Why a registration or a query is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A registration without documents.
    #[error("no documents given")]
    NoDocuments,
    /// A document without tokens.
    #[error("document {0} of the batch is empty")]
    EmptyDocument(usize),
    /// The batch does not fit one segment, or the datanet would exceed `u32` documents.
    #[error("batch too large for one index segment")]
    BatchTooLarge,
    /// Suffix array construction failed (out of memory).
    #[error("suffix array construction failed")]
    IndexBuild,
    /// A query over no datanet.
    #[error("query names no datanet")]
    NoDatanets,
    /// A datanet named twice in one query.
    #[error("datanet {0} named twice")]
    DuplicateDatanet(DatanetId),
    /// Empty output or longer than [`MAX_OUTPUT_TOKENS`].
    #[error("output has {0} tokens, allowed 1..={MAX_OUTPUT_TOKENS}")]
    OutputLength(usize),
    /// `min_span` of 0.
    #[error("min_span must be at least 1")]
    InvalidMinSpan,
    /// `max_occurrences` of 0 or above [`MAX_OCCURRENCES_LIMIT`].
    #[error("max_occurrences {0} outside 1..={MAX_OCCURRENCES_LIMIT}")]
    InvalidMaxOccurrences(u64),
}

/// An attribution query.
#[derive(Debug, Clone, Copy)]
pub struct TokenQuery<'a> {
    /// The output token sequence.
    pub output: &'a [u32],
    /// Shortest span that earns credit (>= 1).
    pub min_span: u32,
    /// Spans with more occurrences than this credit nobody (1..=[`MAX_OCCURRENCES_LIMIT`]).
    pub max_occurrences: u64,
}

/// A kept maximal span of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatchedSpan {
    /// Start position in the output.
    pub start: u32,
    /// Length in tokens.
    pub len: u32,
    /// Occurrences in the queried corpora.
    pub occurrences: u64,
    /// Distinct contributors credited (0 when the span is too common).
    pub holders: u32,
}

/// Work done by a query, for gas and statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenWork {
    /// Index entries read by span matching, over all segments (see [`TokenIndex::work_bound`]).
    pub match_reads: u64,
    /// Occurrences enumerated to find holders.
    pub occurrences_visited: u64,
}

/// Result of a token attribution query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenAttribution {
    /// Contributors with their shares, largest first.
    pub shares: Vec<Share>,
    /// Kept spans in output order.
    pub spans: Vec<MatchedSpan>,
    /// Work done. Depends on the segmentation, unlike everything else.
    pub work: TokenWork,
}

/// Attributes `query.output` to the contributors of `indices` (see the module doc).
pub fn attribute(
    indices: &[&TokenIndex],
    query: &TokenQuery<'_>,
) -> Result<TokenAttribution, TokenError> {
    Ok(prepare(indices, query)?.finish())
}

/// A kept span: (start, len, occurrences, SA rows in each segment that reaches len).
type Kept = (usize, u32, u64, Vec<(usize, Match)>);

/// A query after span matching, before holders are enumerated. The split lets a precompile
/// charge for [`Self::occurrences_to_visit`] before doing that work.
#[derive(Debug)]
pub struct Prepared<'a> {
    segments: Vec<(&'a TokenIndex, &'a Segment)>,
    kept: Vec<Kept>,
    max_occurrences: u64,
    match_reads: u64,
}

/// Phase one of [`attribute`]: the longest match at every position, the kept spans and their
/// occurrences.
pub fn prepare<'a>(
    indices: &[&'a TokenIndex],
    query: &TokenQuery<'_>,
) -> Result<Prepared<'a>, TokenError> {
    validate(indices, query)?;
    let segments: Vec<(&TokenIndex, &Segment)> =
        indices.iter().flat_map(|ix| ix.segments().map(move |s| (*ix, s))).collect();
    // Matching statistics per segment: each a pure function of its segment and the output, so
    // running segments in parallel cannot change anything.
    let found: Vec<(Vec<Match>, u64)> = segments
        .par_iter()
        .map(|(_, s)| {
            let mut reads = 0;
            let matches = s.matches(query.output, &mut reads);
            (matches, reads)
        })
        .collect();
    let m = query.output.len();
    let best: Vec<u32> =
        (0..m).map(|i| found.iter().map(|(f, _)| f[i].len).max().unwrap_or(0)).collect();
    let spans: Vec<(usize, u32)> = (0..m)
        .filter(|&i| {
            let len = best[i];
            let maximal = len > 0 && (i == 0 || i + len as usize > i - 1 + best[i - 1] as usize);
            maximal && len >= query.min_span
        })
        .map(|i| (i, best[i]))
        .collect();
    let kept = spans
        .into_iter()
        .map(|(i, len)| {
            let rows: Vec<(usize, Match)> = found
                .iter()
                .enumerate()
                .filter(|(_, (f, _))| f[i].len == len)
                .map(|(s, (f, _))| (s, f[i]))
                .collect();
            let occ = rows.iter().map(|(_, r)| u64::from(r.hi - r.lo)).sum();
            (i, len, occ, rows)
        })
        .collect();
    let match_reads = found.iter().map(|(_, w)| w).sum();
    Ok(Prepared { segments, kept, max_occurrences: query.max_occurrences, match_reads })
}

impl Prepared<'_> {
    /// Occurrences phase two will enumerate (those of the attributable kept spans). Does not
    /// depend on the segmentation.
    pub fn occurrences_to_visit(&self) -> u64 {
        self.kept.iter().map(|k| k.2).filter(|&o| o <= self.max_occurrences).sum()
    }

    /// Phase two: holders, credit split and shares.
    pub fn finish(self) -> TokenAttribution {
        self.finish_excluding(|_, _| false)
    }

    /// [`Self::finish`] where the documents for which `excluded(datanet, doc)` holds (a curator
    /// rejected or governance slashed them) hold nothing: their contributors are not credited
    /// for spans found in them. Matching is unchanged (a span found only in excluded documents
    /// credits nobody), so the work and the gas do not change either.
    pub fn finish_excluding(
        self,
        excluded: impl Fn(DatanetId, DocId) -> bool + Sync,
    ) -> TokenAttribution {
        let Self { segments, kept, max_occurrences, match_reads } = self;
        // Holders of every attributable span, in parallel, sorted and deduplicated.
        let holders: Vec<Vec<Address>> = kept
            .par_iter()
            .map(|(_, _, occ, rows)| {
                if *occ > max_occurrences {
                    return Vec::new();
                }
                let mut h: Vec<Address> = Vec::new();
                for &(s, r) in rows {
                    let (ix, seg) = segments[s];
                    h.extend(
                        seg.occurrence_docs(r.lo, r.hi)
                            .filter(|&d| !excluded(ix.id(), d))
                            .filter_map(|d| ix.contributor(d)),
                    );
                }
                h.sort_unstable();
                h.dedup();
                h
            })
            .collect();
        let mut credit: BTreeMap<Address, u128> = BTreeMap::new();
        let mut spans = Vec::with_capacity(kept.len());
        let mut visited = 0u64;
        for (&(start, len, occurrences, _), h) in kept.iter().zip(&holders) {
            if !h.is_empty() {
                visited += occurrences;
                let units = u128::from(len) * SPAN_UNIT;
                let (each, extra) = (units / h.len() as u128, units % h.len() as u128);
                for (k, a) in h.iter().enumerate() {
                    *credit.entry(*a).or_default() += each + u128::from((k as u128) < extra);
                }
            }
            let holders = h.len() as u32;
            spans.push(MatchedSpan { start: start as u32, len, occurrences, holders });
        }
        let credit: Vec<(Address, u128)> = credit.into_iter().collect();
        let work = TokenWork { match_reads, occurrences_visited: visited };
        TokenAttribution { shares: bps::normalize(&credit), spans, work }
    }
}

fn validate(indices: &[&TokenIndex], query: &TokenQuery<'_>) -> Result<(), TokenError> {
    if indices.is_empty() {
        return Err(TokenError::NoDatanets);
    }
    let mut ids: Vec<DatanetId> = indices.iter().map(|i| i.id()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(TokenError::DuplicateDatanet(w[0]));
    }
    if query.output.is_empty() || query.output.len() > MAX_OUTPUT_TOKENS {
        return Err(TokenError::OutputLength(query.output.len()));
    }
    if query.min_span == 0 {
        return Err(TokenError::InvalidMinSpan);
    }
    if query.max_occurrences == 0 || query.max_occurrences > MAX_OCCURRENCES_LIMIT {
        return Err(TokenError::InvalidMaxOccurrences(query.max_occurrences));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(b: u8) -> Address {
        Address::repeat_byte(b)
    }

    fn q(output: &[u32], min_span: u32) -> TokenQuery<'_> {
        TokenQuery { output, min_span, max_occurrences: 1000 }
    }

    #[test]
    fn excluded_documents_hold_nothing() {
        let mut index = TokenIndex::new(1, MergePolicy::default());
        let shared: Vec<u32> = (1..=12).collect();
        let docs = [(a(1), shared.clone()), (a(2), shared.clone()), (a(3), vec![50, 51, 52, 53])];
        let refs: Vec<(Address, &[u32])> = docs.iter().map(|(w, d)| (*w, d.as_slice())).collect();
        index.add_documents(&refs).expect("add");
        let output: Vec<u32> = [&shared[..], &[50, 51, 52, 53]].concat();
        let query = q(&output, 3);
        let all = prepare(&[&index], &query).expect("prepare").finish();
        let none = prepare(&[&index], &query).expect("prepare").finish_excluding(|_, _| false);
        assert_eq!(all.shares, none.shares);
        let holders: Vec<Address> = all.shares.iter().map(|s| s.contributor).collect();
        assert_eq!(holders.len(), 3);
        // Document 1 (contributor 2) excluded: contributor 1 alone holds the shared span.
        let got = prepare(&[&index], &query)
            .expect("prepare")
            .finish_excluding(|id, doc| id == 1 && doc == 1);
        assert!(got.shares.iter().all(|s| s.contributor != a(2)));
        assert_eq!(got.shares.iter().map(|s| u32::from(s.bps)).sum::<u32>(), 10_000);
        assert!(got.shares[0].bps > all.shares[0].bps);
        // Everything excluded: nobody is credited, the spans are still reported.
        let nobody = prepare(&[&index], &query).expect("prepare").finish_excluding(|_, _| true);
        assert!(nobody.shares.is_empty());
        assert_eq!(nobody.spans.len(), all.spans.len());
        assert!(nobody.spans.iter().all(|s| s.holders == 0));
    }

    #[test]
    fn maximal_spans_and_even_split() {
        let mut ix = TokenIndex::new(1, MergePolicy::default());
        ix.add_documents(&[(a(1), &[1, 2, 3, 4]), (a(2), &[3, 4, 5]), (a(3), &[9, 9])])
            .expect("add");
        let r = attribute(&[&ix], &q(&[1, 2, 3, 4, 5, 7], 1)).expect("q");
        // [1,2,3,4] at 0 (a1) and [3,4,5] at 2 (a2); [2,3,4] and [4,5] are contained.
        let got: Vec<_> =
            r.spans.iter().map(|s| (s.start, s.len, s.occurrences, s.holders)).collect();
        assert_eq!(got, vec![(0, 4, 1, 1), (2, 3, 1, 1)]);
        assert_eq!(
            r.shares,
            vec![Share { contributor: a(1), bps: 5714 }, Share { contributor: a(2), bps: 4286 }]
        );
        let r = attribute(&[&ix], &q(&[1, 2, 3, 4, 5, 7], 4)).expect("q");
        assert_eq!(r.spans.len(), 1);
        assert_eq!(r.shares, vec![Share { contributor: a(1), bps: 10_000 }]);
    }

    #[test]
    fn shared_span_splits_and_common_spans_credit_nobody() {
        let mut ix = TokenIndex::new(1, MergePolicy::default());
        ix.add_documents(&[(a(2), &[7, 8]), (a(1), &[7, 8]), (a(2), &[7, 8, 1])]).expect("add");
        let r = attribute(&[&ix], &q(&[7, 8], 1)).expect("q");
        assert_eq!(r.spans, vec![MatchedSpan { start: 0, len: 2, occurrences: 3, holders: 2 }]);
        assert_eq!(r.shares.iter().map(|s| s.bps).collect::<Vec<_>>(), vec![5000, 5000]);
        let r = attribute(&[&ix], &TokenQuery { output: &[7, 8], min_span: 1, max_occurrences: 2 })
            .expect("q");
        assert_eq!(r.spans[0].holders, 0);
        assert!(r.shares.is_empty());
    }

    #[test]
    fn lsm_merges_keep_results() {
        let policy = MergePolicy { fan_in: 2, max_segment_len: MAX_SEGMENT_LEN };
        let mut ix = TokenIndex::new(1, policy);
        for k in 0..9u32 {
            ix.add_documents(&[(a(k as u8), &[k, k + 1, k + 2])]).expect("add");
        }
        // 9 = 0b1001: one level-3 segment and one level-0 segment.
        assert_eq!(ix.segment_count(), 2);
        let before = attribute(&[&ix], &q(&[3, 4, 5, 6, 7], 1)).expect("q");
        ix.compact().expect("compact");
        assert_eq!(ix.segment_count(), 1);
        let after = attribute(&[&ix], &q(&[3, 4, 5, 6, 7], 1)).expect("q");
        assert_eq!((before.shares, before.spans), (after.shares, after.spans));
    }

    #[test]
    fn rejects_bad_input() {
        let mut ix = TokenIndex::new(1, MergePolicy::default());
        assert_eq!(ix.add_documents(&[]), Err(TokenError::NoDocuments));
        assert_eq!(
            ix.add_documents(&[(a(1), &[1]), (a(1), &[])]),
            Err(TokenError::EmptyDocument(1))
        );
        assert_eq!(ix.doc_count(), 0);
        assert_eq!(
            attribute(&[&ix, &ix], &q(&[1], 1)).err(),
            Some(TokenError::DuplicateDatanet(1))
        );
        assert_eq!(attribute(&[&ix], &q(&[], 1)).err(), Some(TokenError::OutputLength(0)));
        assert_eq!(attribute(&[&ix], &q(&[1], 0)).err(), Some(TokenError::InvalidMinSpan));
        let r = attribute(&[&ix], &q(&[1], 1)).expect("empty index");
        assert!(r.spans.is_empty() && r.shares.is_empty());
    }
}
