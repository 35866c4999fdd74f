//! Token attribution against a naive longest-match scan, and across index segmentations.
//!
//! The naive side compares every output position with every corpus position (bucketed by first
//! token only to keep debug builds quick), finds `L_i`, the maximal spans, their occurrences and
//! holders, and computes the split and the basis points on its own, without the crate.

use crate::common::{self, Rng, addresses};
use alloy_primitives::Address;
use ol_precompiles::{MergePolicy, Share, TokenIndex, TokenQuery, token_attribution};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// (start, len, occurrences, holders) of each kept span, and the shares.
pub(crate) type Expected = (Vec<(u32, u32, u64, u32)>, Vec<Share>);

/// Longest match length at every output position, by brute force.
fn longest_naive(docs: &[(Address, Vec<u32>)], out: &[u32]) -> Vec<u32> {
    let mut by_first: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, t) in out.iter().enumerate() {
        by_first.entry(*t).or_default().push(i);
    }
    docs.par_iter()
        .map(|(_, d)| {
            let mut best = vec![0u32; out.len()];
            for p in 0..d.len() {
                for &i in by_first.get(&d[p]).map_or(&[][..], Vec::as_slice) {
                    let l = lcp(&d[p..], &out[i..]);
                    best[i] = best[i].max(l);
                }
            }
            best
        })
        .reduce(|| vec![0u32; out.len()], |a, b| a.iter().zip(&b).map(|(x, y)| *x.max(y)).collect())
}

fn lcp(a: &[u32], b: &[u32]) -> u32 {
    a.iter().zip(b).take_while(|(x, y)| x == y).count() as u32
}

/// The whole attribution, naively.
pub(crate) fn naive(
    docs: &[(Address, Vec<u32>)],
    out: &[u32],
    min_span: u32,
    max_occ: u64,
) -> Expected {
    let best = longest_naive(docs, out);
    let mut spans = Vec::new();
    let mut credit: BTreeMap<Address, u128> = BTreeMap::new();
    for i in 0..out.len() {
        let len = best[i];
        let contained = i > 0 && i + len as usize <= i - 1 + best[i - 1] as usize;
        if len == 0 || contained || len < min_span {
            continue;
        }
        let pat = &out[i..i + len as usize];
        let mut occ = 0u64;
        let mut holders: Vec<Address> = Vec::new();
        for (a, d) in docs {
            let n = d.windows(pat.len()).filter(|w| *w == pat).count() as u64;
            occ += n;
            if n > 0 {
                holders.push(*a);
            }
        }
        holders.sort();
        holders.dedup();
        if occ > max_occ {
            holders.clear();
        }
        let h = holders.len() as u128;
        let units = u128::from(len) * 720_720;
        if let (Some(each), Some(extra)) = (units.checked_div(h), units.checked_rem(h)) {
            for (k, a) in holders.iter().enumerate() {
                *credit.entry(*a).or_default() += each + u128::from((k as u128) < extra);
            }
        }
        spans.push((i as u32, len, occ, holders.len() as u32));
    }
    (spans, largest_remainder(&credit))
}

fn largest_remainder(credit: &BTreeMap<Address, u128>) -> Vec<Share> {
    let total: u128 = credit.values().sum();
    if total == 0 {
        return Vec::new();
    }
    let mut parts: Vec<(Address, u128, u128)> =
        credit.iter().map(|(a, w)| (*a, w * 10_000 / total, w * 10_000 % total)).collect();
    let missing = 10_000 - parts.iter().map(|p| p.1).sum::<u128>();
    parts.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
    for p in parts.iter_mut().take(missing as usize) {
        p.1 += 1;
    }
    let mut s: Vec<Share> = parts
        .into_iter()
        .filter(|p| p.1 > 0)
        .map(|p| Share { contributor: p.0, bps: p.1 as u16 })
        .collect();
    s.sort_by(|x, y| y.bps.cmp(&x.bps).then(x.contributor.cmp(&y.contributor)));
    s
}

/// The crate's answer in the same shape.
pub(crate) fn indexed(ix: &TokenIndex, out: &[u32], min_span: u32, max_occ: u64) -> Expected {
    let q = TokenQuery { output: out, min_span, max_occurrences: max_occ };
    let r = token_attribution::attribute(&[ix], &q).expect("attribute");
    (r.spans.iter().map(|s| (s.start, s.len, s.occurrences, s.holders)).collect(), r.shares)
}

/// Builds an index with the batches given by `cuts` (document counts) and `policy`.
pub(crate) fn build(
    docs: &[(Address, Vec<u32>)],
    cuts: &[usize],
    policy: MergePolicy,
) -> TokenIndex {
    let mut ix = TokenIndex::new(1, policy);
    let mut rest = docs;
    for &c in cuts.iter().chain(std::iter::once(&usize::MAX)) {
        let (batch, tail) = rest.split_at(c.min(rest.len()));
        if !batch.is_empty() {
            let b: Vec<(Address, &[u32])> = batch.iter().map(|(a, d)| (*a, d.as_slice())).collect();
            ix.add_documents(&b).expect("add");
        }
        rest = tail;
    }
    ix
}

#[test]
fn matches_naive_on_a_million_tokens_in_every_segmentation() {
    let mut rng = Rng::new(7);
    let who = addresses(&mut rng, 40);
    let docs = common::corpus(&mut rng, 1_000_000, 24, (200, 3000), &who);
    assert!(docs.iter().map(|d| d.1.len()).sum::<usize>() >= 1_000_000);

    let never = MergePolicy { fan_in: usize::MAX, ..MergePolicy::default() };
    let pairs = MergePolicy { fan_in: 2, ..MergePolicy::default() };
    let mut cuts = Vec::new();
    while cuts.iter().sum::<usize>() < docs.len() {
        cuts.push(rng.range(1, 40) as usize);
    }
    let mut single = build(&docs, &[], MergePolicy::default());
    single.compact().expect("compact");
    let variants = [
        ("one segment", single),
        ("one segment per document", build(&docs, &vec![1; docs.len()], never)),
        ("random batches, fan-in 2", build(&docs, &cuts, pairs)),
        ("random batches, default policy", build(&docs, &cuts, MergePolicy::default())),
    ];
    assert_eq!(variants[0].1.segment_count(), 1);
    assert_eq!(variants[1].1.segment_count(), docs.len());
    assert!(variants[2].1.segment_count() > 1);

    let mut long_spans = 0;
    for k in 0..12 {
        let out = common::output(&mut rng, &docs, 120, 24, 60);
        let (min_span, max_occ) = [(1, 1 << 20), (4, 1 << 20), (8, 50), (2, 5)][k % 4];
        let expected = naive(&docs, &out, min_span, max_occ);
        long_spans += expected.0.iter().filter(|s| s.1 >= 20).count();
        for (name, ix) in &variants {
            assert_eq!(indexed(ix, &out, min_span, max_occ), expected, "output {k}, {name}");
        }
    }
    assert!(long_spans > 5, "the data must produce long matches ({long_spans})");
}

#[test]
fn large_token_ids_take_the_sorted_vocabulary_path() {
    let mut rng = Rng::new(11);
    let who = addresses(&mut rng, 5);
    let mut docs = common::corpus(&mut rng, 20_000, 12, (10, 300), &who);
    for (_, d) in &mut docs {
        for t in d.iter_mut() {
            *t = u32::MAX - *t * 1_000_003;
        }
    }
    let ix = build(&docs, &[3, 5, 8], MergePolicy::default());
    for _ in 0..10 {
        let out = common::output(&mut rng, &docs, 80, 12, 30);
        assert_eq!(indexed(&ix, &out, 1, 1 << 20), naive(&docs, &out, 1, 1 << 20));
    }
}
