//! Token attribution latency for a 1,000-token output against 10M- and 100M-token corpora, and
//! suffix-array build speed in tokens per second.
//!
//! `cargo bench -p ol-precompiles --bench token`; set `OL_BENCH_SKIP_100M=1` to skip the 100M
//! corpus (about 2 GB of memory and a long build). The corpus is synthetic: a Zipf-like draw
//! over a 50,000-token vocabulary in documents of 200..=4,000 tokens, where a quarter of the
//! documents copy a stretch of an earlier one; outputs splice excerpts of the corpus (up to 60
//! tokens) with random tokens, so they hold long matches like real model outputs do.

use alloy_primitives::Address;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ol_precompiles::{MergePolicy, TokenIndex, TokenQuery, token_attribution};
use std::{hint::black_box, time::Instant};

const VOCAB: u64 = 50_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Roughly Zipfian: a uniform draw over log-spaced ranks.
    fn token(&mut self) -> u32 {
        let scale = self.below(1 << 16) as f64 / f64::from(1u32 << 16);
        ((VOCAB as f64).powf(scale) as u64 - 1).min(VOCAB - 1) as u32
    }
}

fn corpus(rng: &mut Rng, total: usize) -> Vec<(Address, Vec<u32>)> {
    let mut docs: Vec<(Address, Vec<u32>)> = Vec::new();
    let mut n = 0;
    while n < total {
        let len = 200 + rng.below(3801) as usize;
        let mut doc = Vec::with_capacity(len);
        if !docs.is_empty() && rng.below(4) == 0 {
            let src = &docs[rng.below(docs.len() as u64) as usize].1;
            let start = rng.below(src.len() as u64) as usize;
            doc.extend(src[start..].iter().take(len));
        }
        while doc.len() < len {
            doc.push(rng.token());
        }
        n += doc.len();
        docs.push((Address::with_last_byte(rng.below(200) as u8), doc));
    }
    docs
}

fn output(rng: &mut Rng, docs: &[(Address, Vec<u32>)], len: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if rng.below(3) == 0 {
            out.push(rng.token());
        } else {
            let d = &docs[rng.below(docs.len() as u64) as usize].1;
            let start = rng.below(d.len() as u64) as usize;
            let take = 1 + rng.below(60) as usize;
            out.extend(d[start..].iter().take(take.min(len - out.len())));
        }
    }
    out
}

fn batch(docs: &[(Address, Vec<u32>)]) -> Vec<(Address, &[u32])> {
    docs.iter().map(|(a, d)| (*a, d.as_slice())).collect()
}

fn single_segment(docs: &[(Address, Vec<u32>)]) -> TokenIndex {
    let mut ix = TokenIndex::new(1, MergePolicy::default());
    ix.add_documents(&batch(docs)).expect("add");
    ix
}

fn build_speed(c: &mut Criterion) {
    let mut rng = Rng(0x5eed);
    let docs = corpus(&mut rng, 10_000_000);
    let tokens: usize = docs.iter().map(|d| d.1.len()).sum();
    let mut g = c.benchmark_group("suffix_array_build");
    g.sample_size(10).throughput(Throughput::Elements(tokens as u64));
    g.bench_function("10M_tokens_one_segment", |b| b.iter(|| single_segment(black_box(&docs))));
    g.finish();
}

fn latency(c: &mut Criterion) {
    let mut rng = Rng(0xfeed);
    let mut sizes = vec![10_000_000usize];
    if std::env::var_os("OL_BENCH_SKIP_100M").is_none() {
        sizes.push(100_000_000);
    }
    let mut g = c.benchmark_group("token_attribution_1000_tokens");
    g.sample_size(20);
    for size in sizes {
        let docs = corpus(&mut rng, size);
        let t = Instant::now();
        let ix = single_segment(&docs);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "build {} tokens in one segment: {secs:.2} s = {:.2} M tokens/s",
            ix.token_count(),
            ix.token_count() as f64 / secs / 1e6
        );
        // The same corpus registered in 100 batches under the default LSM policy (9 segments).
        let mut lsm = TokenIndex::new(2, MergePolicy::default());
        for chunk in docs.chunks(docs.len().div_ceil(100)) {
            lsm.add_documents(&batch(chunk)).expect("add");
        }
        println!("LSM index: {} segments", lsm.segment_count());
        let outs: Vec<Vec<u32>> = (0..8).map(|_| output(&mut rng, &docs, 1000)).collect();
        drop(docs);
        for (label, index) in [("one_segment", &ix), ("lsm", &lsm)] {
            let mut k = 0;
            g.bench_function(BenchmarkId::new(format!("{}M", size / 1_000_000), label), |b| {
                b.iter(|| {
                    k = (k + 1) % outs.len();
                    let q = TokenQuery { output: &outs[k], min_span: 4, max_occurrences: 1000 };
                    token_attribution::attribute(&[index], black_box(&q)).expect("attribute")
                })
            });
        }
        let q = TokenQuery { output: &outs[0], min_span: 4, max_occurrences: 1000 };
        let r = token_attribution::attribute(&[&ix], &q).expect("attribute");
        println!(
            "sample output: {} kept spans, longest {}, {} contributors, work {:?}",
            r.spans.len(),
            r.spans.iter().map(|s| s.len).max().unwrap_or(0),
            r.shares.len(),
            r.work
        );
    }
    g.finish();
}

criterion_group!(benches, build_speed, latency);
criterion_main!(benches);
