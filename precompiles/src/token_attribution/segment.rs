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
//!
//! Queries compute *matching statistics* (for every output position, the longest match and the
//! SA rows of its occurrences) in one left-to-right pass, as a compressed-suffix-tree walk does
//! with suffix links: with `isa` (inverse suffix array) and the LCP array, the rows of
//! `o[i+1..i+L]` are found from those of `o[i..i+L]` without comparing a token, and extending a
//! match by one token is a binary search on that token alone. So a query reads
//! O(m · log n) entries whatever the corpus and output look like (see [`Segment::matches`] and
//! [`work_bound`]); comparing whole suffixes, as a plain binary search does, costs up to the
//! match length per probe, and an output repeating one token against documents repeating it
//! made that quadratic.

use super::{DocId, TokenError, lcp::Lcp};
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
    /// Inverse of `sa`: the row of the suffix at each text offset.
    isa: Vec<u32>,
    lcp: Lcp,
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
        let mut isa = vec![0u32; sa.len()];
        for (row, &p) in sa.iter().enumerate() {
            isa[p as usize] = row as u32;
        }
        let lcp = Lcp::build(&text, &sa, &isa);
        Ok(Self { text, sa, isa, lcp, vocab, first, doc_starts, doc_ids })
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

    /// Dense id of an output token (a binary search in the vocabulary).
    fn dense(&self, token: u32, work: &mut u64) -> i32 {
        *work += bits(self.vocab.len() as u64);
        self.vocab.binary_search(&token).map_or(ABSENT, |r| r as i32 + 1)
    }

    /// Rows `first[c]..first[c + 1]` of the suffixes starting with dense id `c` (empty for the
    /// separator and for [`ABSENT`]).
    fn bucket(&self, c: i32) -> (u32, u32) {
        let c = usize::try_from(c).unwrap_or(0);
        match (self.first.get(c), self.first.get(c + 1)) {
            (Some(&lo), Some(&hi)) if c > 0 => (lo, hi),
            _ => (0, 0),
        }
    }

    /// Matching statistics of `output`: for every position `i`, the longest `o[i..i+len]` that
    /// occurs in the segment and the SA rows `lo..hi` of its occurrences (`len = 0`: none).
    /// Adds the entries read to `work`, which never exceeds [`work_bound`].
    ///
    /// Invariant at the top of the loop: `lo..hi` are the rows of `o[i..i+len]`. Extending by
    /// one token keeps the rows whose next token is `o[i+len]` (all rows share `len` tokens, so
    /// they are sorted by that one). Moving to `i+1`: the suffix one past any occurrence starts
    /// with `o[i+1..i+len]`, its row is `isa[sa[lo] + 1]`, and the rows sharing `len - 1`
    /// tokens with it are the widest LCP interval around it ([`Lcp`]). `len` grows by at most
    /// `2m` in total, since it shrinks by one per step.
    pub(super) fn matches(&self, output: &[u32], work: &mut u64) -> Vec<Match> {
        let m = output.len();
        let q: Vec<i32> = output.iter().map(|&t| self.dense(t, work)).collect();
        let mut out = Vec::with_capacity(m);
        let (mut len, mut lo, mut hi) = (0usize, 0u32, 0u32);
        for i in 0..m {
            if len == 0 {
                (lo, hi) = self.bucket(q[i]);
                *work += 1;
                len = usize::from(lo < hi);
            }
            while len > 0 && i + len < m && q[i + len] > 0 {
                let (a, b) = self.narrow(lo, hi, len, q[i + len], work);
                if a == b {
                    break;
                }
                (lo, hi, len) = (a, b, len + 1);
            }
            out.push(if len == 0 { Match::default() } else { Match { len: len as u32, lo, hi } });
            if len < 2 {
                len = 0;
                continue;
            }
            // The occurrence at row `lo` is followed by at least `len` query tokens and a
            // separator, so `p` is inside the text.
            let p = self.sa.get(lo as usize).map_or(0, |&p| p as usize + 1);
            let row = self.isa.get(p).copied().unwrap_or(0) as usize;
            *work += 2;
            len -= 1;
            lo = self.lcp.prev_less(row, len as u32, work) as u32;
            hi = self.lcp.next_less(row, len as u32, work) as u32;
        }
        out
    }

    /// The rows of `lo..hi` (all sharing their first `depth` tokens) whose token at `depth` is
    /// `c`: two binary searches on that single token.
    fn narrow(&self, lo: u32, hi: u32, depth: usize, c: i32, work: &mut u64) -> (u32, u32) {
        // Past the text end reads as a separator (never, by the invariant; no panic either way).
        let key = |r: u32| {
            let p = self.sa.get(r as usize).map_or(0, |&p| p as usize);
            self.text.get(p + depth).copied().unwrap_or(0)
        };
        let first = search(lo, hi, |r| key(r) < c, work);
        let last = search(first, hi, |r| key(r) <= c, work);
        (first, last)
    }

    /// The most entries [`Self::matches`] reads for an output of `m` tokens (a count, not a
    /// time; the gas schedule charges for it).
    pub(super) fn work_bound(&self, m: u64) -> u64 {
        work_bound(m, self.text.len() as u64)
    }

    /// Length of the longest prefix of `q` (dense ids) that occurs in the segment, by whole
    /// suffix comparisons: the reference [`Self::matches`] is tested against.
    #[cfg(test)]
    fn longest_len(&self, q: &[i32]) -> u32 {
        let pat = &q[..q.iter().position(|&c| c <= 0).unwrap_or(q.len())];
        let Some(&c0) = pat.first() else { return 0 };
        let (lo, hi) = self.bucket(c0);
        let rows = &self.sa[lo as usize..hi as usize];
        let at = rows.partition_point(|&p| self.suffix(p) < pat);
        let lcp = |row: Option<&u32>| row.map_or(0, |&p| common_prefix(self.suffix(p), pat));
        let below = at.checked_sub(1).and_then(|r| rows.get(r));
        lcp(rows.get(at)).max(lcp(below)) as u32
    }

    /// SA rows whose suffixes start with `q[..len]`, by whole prefix comparisons (reference).
    #[cfg(test)]
    fn rows_with_prefix(&self, q: &[i32], len: usize) -> (u32, u32) {
        let pat = &q[..len];
        let (lo, hi) = self.bucket(pat[0]);
        let rows = &self.sa[lo as usize..hi as usize];
        let l = rows.partition_point(|&p| self.prefix(p, len) < pat);
        let u = rows.partition_point(|&p| self.prefix(p, len) <= pat);
        (lo + l as u32, lo + u as u32)
    }

    /// The suffix of the text at `pos`.
    #[cfg(test)]
    fn suffix(&self, pos: u32) -> &[i32] {
        self.text.get(pos as usize..).unwrap_or(&[])
    }

    /// The first `n` dense ids of the suffix at `pos` (fewer at the end of the text).
    #[cfg(test)]
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

/// Bits of `n` (`ceil(log2(n + 1))`): the most probes of a binary search over `n` rows.
pub(super) fn bits(n: u64) -> u64 {
    u64::from(u64::BITS - n.leading_zeros())
}

/// First row of `lo..hi` where `pred` (true, then false) is false, counting two reads (SA and
/// text) per probe.
fn search(mut lo: u32, mut hi: u32, pred: impl Fn(u32) -> bool, work: &mut u64) -> u32 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        *work += 2;
        if pred(mid) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

/// The most entries [`Segment::matches`] reads for `m` output tokens against a segment of
/// `text_len` entries (whose LCP tree has `depth` levels):
///
/// ```text
/// per position   vocabulary search bits(text_len) + bucket 1 + move 2
///                + widening 2·(2·BLOCK + 2·depth)                (both ends of the interval)
/// per extension  2 binary searches × 2 reads × bits(text_len)    at most 3m extensions:
///                                                                2m that succeed, m that stop
/// ```
pub fn work_bound(m: u64, text_len: u64) -> u64 {
    let b = bits(text_len);
    let depth = super::lcp::depth(text_len as usize);
    let per_position = b + 3 + 2 * (2 * super::lcp::BLOCK as u64 + 2 * depth);
    let per_extension = 4 * b;
    m.saturating_mul(per_position.saturating_add(3 * per_extension))
}

/// Length of the common prefix of two slices.
#[cfg(test)]
fn common_prefix(a: &[i32], b: &[i32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
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

    fn matches(s: &Segment, output: &[u32]) -> Vec<Match> {
        s.matches(output, &mut 0)
    }

    #[test]
    fn matches_stop_at_document_boundaries() {
        let s = build(&[&[1, 2, 3], &[4, 5]]);
        let got: Vec<u32> = matches(&s, &[2, 3, 4, 5]).iter().map(|m| m.len).collect();
        assert_eq!(got, vec![2, 1, 2, 1]);
        let m = matches(&s, &[1, 2, 3, 9]);
        assert_eq!(m.iter().map(|m| m.len).collect::<Vec<_>>(), vec![3, 2, 1, 0]);
        assert_eq!(m[0].hi - m[0].lo, 1);
        assert_eq!(matches(&s, &[9, 1])[0].len, 0);
        let m = matches(&s, &[5])[0];
        assert_eq!(s.occurrence_docs(m.lo, m.hi).collect::<Vec<_>>(), vec![1]);
        let m = matches(&s, &[2, 3])[0];
        assert_eq!(s.occurrence_docs(m.lo, m.hi).collect::<Vec<_>>(), vec![0]);
    }

    /// xorshift64: deterministic pseudo-random corpora.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Matching statistics equal whole-suffix binary searches, and the reads stay within
    /// [`work_bound`], on random and on adversarial (repeated-token) corpora and outputs.
    #[test]
    fn matching_statistics_equal_the_reference_within_the_bound() {
        for seed in 0..40u64 {
            let mut next = rng(seed);
            let alphabet = [1, 2, 3, 5, 40][seed as usize % 5];
            let docs: Vec<Vec<u32>> = (0..1 + next() % 12)
                .map(|_| {
                    let len = 1 + (next() % if seed % 3 == 0 { 200 } else { 20 }) as usize;
                    (0..len).map(|_| (next() % alphabet) as u32).collect()
                })
                .collect();
            let refs: Vec<&[u32]> = docs.iter().map(|d| d.as_slice()).collect();
            let s = build(&refs);
            let m = 1 + (next() % 300) as usize;
            let output: Vec<u32> = (0..m).map(|_| (next() % (alphabet + 1)) as u32).collect();
            let mut work = 0;
            let got = s.matches(&output, &mut work);
            assert!(work <= s.work_bound(m as u64), "seed {seed}: {work} > bound");
            let q: Vec<i32> = output.iter().map(|&t| s.dense(t, &mut 0)).collect();
            for (i, g) in got.iter().enumerate() {
                let len = s.longest_len(&q[i..]);
                assert_eq!(g.len, len, "seed {seed} position {i}");
                if len > 0 {
                    assert_eq!((g.lo, g.hi), s.rows_with_prefix(&q[i..], len as usize));
                }
            }
        }
    }
}
