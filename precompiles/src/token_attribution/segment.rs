//! One immutable index segment: a batch of documents and the suffix array over them.
//!
//! ```text
//! text  = d0[0] d0[1] … 0  d1[0] … 0  …       dense ids: token t -> rank of t in `vocab` + 1
//! sa    = start offsets of all suffixes of `text`, lexicographically sorted (libsais)
//! first = SA range of the suffixes that start with dense id c: first[c]..first[c + 1]
//! ```
//!
//! Dense ids keep libsais's alphabet (and its memory) proportional to the distinct tokens, and
//! leave 0 free for the separator that ends every document. A query token that the segment has
//! never seen maps to [`ABSENT`], which equals no text value, and the separator equals no query
//! value, so a match never crosses a document boundary.

use super::{DocId, TokenError};
use libsais::SuffixArrayConstruction;

/// Dense id of a query token that does not occur in the segment.
pub(super) const ABSENT: i32 = -1;
/// Token ids below this are counted with an array (linear time); above it, sorted.
const COUNTING_LIMIT: u32 = 1 << 22;

/// A match length and the SA rows of its occurrences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Match {
    /// Matched tokens.
    pub(super) len: u32,
    /// First SA row of the occurrences.
    pub(super) lo: u32,
    /// One past the last SA row.
    pub(super) hi: u32,
}

/// See the module doc.
#[derive(Debug, Clone)]
pub(super) struct Segment {
    text: Vec<i32>,
    sa: Vec<u32>,
    /// Sorted distinct tokens.
    vocab: Vec<u32>,
    /// `vocab.len() + 2` entries; `first[c]..first[c + 1]` are the rows starting with `c`.
    first: Vec<u32>,
    /// Text offset where each local document starts.
    doc_starts: Vec<u32>,
    /// Global id of each local document.
    doc_ids: Vec<DocId>,
}

impl Segment {
    /// Builds a segment over `docs` (global id, tokens); each document must be non-empty.
    /// The caller checks that `tokens + docs` fits [`super::MAX_SEGMENT_LEN`].
    pub(super) fn build<'a>(
        docs: impl Iterator<Item = (DocId, &'a [u32])> + Clone,
    ) -> Result<Self, TokenError> {
        let vocab = vocabulary(docs.clone().flat_map(|(_, t)| t.iter().copied()));
        let dense = |t: u32| -> i32 {
            // Every text token is in `vocab`; the rank fits i32 because the text does.
            vocab.binary_search(&t).map_or(ABSENT, |r| r as i32 + 1)
        };
        let mut text = Vec::new();
        let mut doc_starts = Vec::new();
        let mut doc_ids = Vec::new();
        let direct = vocab.last().is_some_and(|&m| m < COUNTING_LIMIT);
        // Fast path for ordinary tokenizer ids: a rank table instead of binary searches.
        let table: Vec<i32> = if direct {
            let mut t = vec![ABSENT; vocab.last().map_or(0, |&m| m as usize + 1)];
            for (r, &v) in vocab.iter().enumerate() {
                t[v as usize] = r as i32 + 1;
            }
            t
        } else {
            Vec::new()
        };
        for (id, tokens) in docs {
            doc_starts.push(u32::try_from(text.len()).map_err(|_| TokenError::BatchTooLarge)?);
            doc_ids.push(id);
            if direct {
                text.extend(tokens.iter().map(|&t| table[t as usize]));
            } else {
                text.extend(tokens.iter().map(|&t| dense(t)));
            }
            text.push(0);
        }
        if text.len() > super::MAX_SEGMENT_LEN {
            return Err(TokenError::BatchTooLarge);
        }
        let sa: Vec<u32> = SuffixArrayConstruction::for_text_mut(&mut text[..])
            .in_owned_buffer32()
            .single_threaded()
            .run()
            .map_err(|_| TokenError::IndexBuild)?
            .into_vec()
            .into_iter()
            // libsais returns offsets in 0..len.
            .map(|p| p as u32)
            .collect();
        let mut first = vec![0u32; vocab.len() + 2];
        for &c in &text {
            first[c as usize + 1] += 1;
        }
        for c in 1..first.len() {
            first[c] += first[c - 1];
        }
        Ok(Self { text, sa, vocab, first, doc_starts, doc_ids })
    }

    /// Tokens indexed (separators excluded).
    pub(super) fn tokens(&self) -> usize {
        self.text.len() - self.doc_starts.len()
    }

    /// Length of the text (tokens plus one separator per document).
    pub(super) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Documents: (global id, original tokens).
    pub(super) fn documents(&self) -> impl Iterator<Item = (DocId, Vec<u32>)> + '_ {
        self.doc_starts.iter().zip(&self.doc_ids).map(|(&s, &id)| {
            let doc = self.text[s as usize..].iter().take_while(|&&c| c != 0);
            (id, doc.map(|&c| self.vocab[c as usize - 1]).collect())
        })
    }

    /// The query in this segment's dense ids.
    pub(super) fn map_query(&self, output: &[u32]) -> Vec<i32> {
        output
            .iter()
            .map(|t| self.vocab.binary_search(t).map_or(ABSENT, |r| r as i32 + 1))
            .collect()
    }

    /// SA rows of the suffixes starting with dense id `c`.
    fn bucket(&self, c: i32) -> &[u32] {
        let c = usize::try_from(c).unwrap_or(0);
        match (self.first.get(c), self.first.get(c + 1)) {
            (Some(&lo), Some(&hi)) if c > 0 => self.sa.get(lo as usize..hi as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Length of the longest prefix of `q` (dense ids) that occurs in the segment.
    ///
    /// One binary search for the insertion point of `q` among the suffixes that start with
    /// `q[0]`: the suffix sharing the longest prefix with `q` is next to it.
    pub(super) fn longest_len(&self, q: &[i32]) -> u32 {
        // A token the segment lacks ends every match; separators (0) never equal a query id.
        let pat = &q[..q.iter().position(|&c| c <= 0).unwrap_or(q.len())];
        let Some(&c0) = pat.first() else { return 0 };
        let rows = self.bucket(c0);
        let at = rows.partition_point(|&p| self.suffix(p) < pat);
        let lcp = |row: Option<&u32>| row.map_or(0, |&p| common_prefix(self.suffix(p), pat));
        let below = at.checked_sub(1).and_then(|r| rows.get(r));
        lcp(rows.get(at)).max(lcp(below)) as u32
    }

    /// SA rows whose suffixes start with `q[..len]` (`len >= 1`), as absolute `lo..hi`.
    pub(super) fn rows_with_prefix(&self, q: &[i32], len: usize) -> Match {
        let Some(pat) = q.get(..len).filter(|p| !p.is_empty()) else { return Match::default() };
        let rows = self.bucket(pat[0]);
        let l = rows.partition_point(|&p| self.prefix(p, len) < pat);
        let u = l + gallop(&rows[l..], |p| self.prefix(p, len) <= pat);
        // `rows` is a subslice of `sa` starting at first[pat[0]].
        let base = self.first.get(pat[0] as usize).copied().unwrap_or(0);
        Match { len: len as u32, lo: base + l as u32, hi: base + u as u32 }
    }

    /// The suffix of the text at `pos`.
    #[inline]
    fn suffix(&self, pos: u32) -> &[i32] {
        self.text.get(pos as usize..).unwrap_or(&[])
    }

    /// The first `n` dense ids of the suffix at `pos` (fewer at the end of the text).
    #[inline]
    fn prefix(&self, pos: u32, n: usize) -> &[i32] {
        let p = pos as usize;
        self.text.get(p..(p + n).min(self.text.len())).unwrap_or(&[])
    }

    /// Global ids of the documents holding the occurrences in SA rows `lo..hi`.
    pub(super) fn occurrence_docs(&self, lo: u32, hi: u32) -> impl Iterator<Item = DocId> + '_ {
        let rows = self.sa.get(lo as usize..hi as usize).unwrap_or(&[]);
        rows.iter().map(|&p| {
            // doc_starts[0] == 0 <= p, so the partition point is >= 1.
            let local = self.doc_starts.partition_point(|&s| s <= p) - 1;
            self.doc_ids[local]
        })
    }
}

/// Length of the common prefix of two slices.
fn common_prefix(a: &[i32], b: &[i32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Number of leading rows satisfying `pred` (which must be true then false), found by
/// doubling steps from the front: cheap when the answer is small compared with `rows`.
fn gallop(rows: &[u32], pred: impl Fn(u32) -> bool) -> usize {
    let mut bound = 1;
    while bound < rows.len() && pred(rows[bound]) {
        bound *= 2;
    }
    let lo = bound / 2;
    let hi = bound.min(rows.len());
    lo + rows[lo..hi].partition_point(|&p| pred(p))
}

/// Sorted distinct tokens.
fn vocabulary(tokens: impl Iterator<Item = u32> + Clone) -> Vec<u32> {
    let max = tokens.clone().max().unwrap_or(0);
    if max < COUNTING_LIMIT {
        let mut seen = vec![false; max as usize + 1];
        for t in tokens {
            seen[t as usize] = true;
        }
        seen.iter().enumerate().filter(|(_, s)| **s).map(|(t, _)| t as u32).collect()
    } else {
        let mut v: Vec<u32> = tokens.collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(docs: &[&[u32]]) -> Segment {
        Segment::build(docs.iter().enumerate().map(|(i, d)| (i as DocId, *d))).expect("build")
    }

    #[test]
    fn suffix_array_is_sorted_and_documents_round_trip() {
        for docs in [
            vec![&[5u32, 3, 5, 3, 5][..], &[3, 5, 3][..]],
            vec![&[u32::MAX, 7, u32::MAX - 1, 7][..], &[7][..]],
        ] {
            let s = build(&docs);
            assert_eq!(s.sa.len(), s.text.len());
            for w in s.sa.windows(2) {
                assert!(s.text[w[0] as usize..] < s.text[w[1] as usize..]);
            }
            let back: Vec<Vec<u32>> = s.documents().map(|(_, d)| d).collect();
            assert_eq!(back, docs.iter().map(|d| d.to_vec()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn matches_stop_at_document_boundaries() {
        let s = build(&[&[1, 2, 3], &[4, 5]]);
        let q = s.map_query(&[2, 3, 4, 5]);
        assert_eq!(s.longest_len(&q), 2);
        let q = s.map_query(&[1, 2, 3, 9]);
        assert_eq!(s.longest_len(&q), 3);
        let m = s.rows_with_prefix(&q, 3);
        assert_eq!(m.hi - m.lo, 1);
        assert_eq!(s.longest_len(&s.map_query(&[9, 1])), 0);
        let m = s.rows_with_prefix(&s.map_query(&[5]), 1);
        assert_eq!(s.occurrence_docs(m.lo, m.hi).collect::<Vec<_>>(), vec![1]);
        let m = s.rows_with_prefix(&s.map_query(&[2, 3]), 1);
        assert_eq!(s.occurrence_docs(m.lo, m.hi).collect::<Vec<_>>(), vec![0]);
    }
}
