//! Influence scoring throughput (bytes of sketch data scanned per second) next to this
//! machine's memory read bandwidth, and the dot-product kernel against a plain loop.
//!
//! `cargo bench -p ol-precompiles --bench influence`. Datanet sizes: 4 MB (in cache), 200 MB
//! (the brief's size; this machine's L3 is 480 MB) and 1 GiB (larger than any cache), the
//! latter also registered 64 points at a time (many small chunks, as on chain).

use alloy_primitives::Address;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ol_precompiles::influence::{self, Datanet, InfluenceQuery};
use rayon::prelude::*;
use std::{hint::black_box, num::NonZeroU32};

/// xorshift64* fill, fast enough for a GiB.
fn fill(buf: &mut [i8], seed: u64) {
    buf.par_chunks_mut(1 << 20).enumerate().for_each(|(c, chunk)| {
        let mut s = seed ^ (c as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for b in chunk.chunks_mut(8) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            for (x, y) in b.iter_mut().zip(r) {
                *x = y as i8;
            }
        }
    });
}

/// A datanet of `bytes` of sketches registered in batches of `batch` points (one batch if 0).
fn datanet(bytes: usize, dim: usize, batch: usize) -> Datanet {
    let n = bytes / dim;
    let mut sketches = vec![0i8; n * dim];
    fill(&mut sketches, 42);
    let owners: Vec<Address> = (0..n).map(|i| Address::with_last_byte((i % 251) as u8)).collect();
    let mut d = Datanet::new(1, dim).expect("dim");
    let batch = if batch == 0 { n } else { batch };
    for (o, s) in owners.chunks(batch).zip(sketches.chunks(batch * dim)) {
        d.push_batch(o, s).expect("push");
    }
    d
}

fn memory_bandwidth(c: &mut Criterion) {
    let words = (1usize << 31) / 8; // 2 GiB
    let buf: Vec<u64> = (0..words as u64).into_par_iter().map(|i| i.wrapping_mul(31)).collect();
    let mut g = c.benchmark_group("memory_read");
    g.sample_size(10).throughput(Throughput::Bytes((words * 8) as u64));
    g.bench_function("sum_u64_2GiB_1thread", |b| {
        b.iter(|| buf.iter().fold(0u64, |a, &x| a.wrapping_add(x)))
    });
    g.bench_function("sum_u64_2GiB_all_threads", |b| {
        b.iter(|| {
            buf.par_chunks(1 << 16)
                .map(|c| c.iter().fold(0u64, |a, &x| a.wrapping_add(x)))
                .reduce(|| 0, u64::wrapping_add)
        })
    });
    g.finish();
}

fn scoring(c: &mut Criterion) {
    let mut g = c.benchmark_group("influence_score");
    g.sample_size(10);
    // `_in_64_point_batches`: registered 64 points at a time, as the chain does, so the datanet
    // is thousands of 256 KiB chunks instead of one.
    for (label, bytes, dim, batch) in [
        ("4MB_d256", 4usize << 20, 256usize, 0usize),
        ("200MB_d256", 200 << 20, 256, 0),
        ("1GiB_d256", 1 << 30, 256, 0),
        ("1GiB_d256_in_64_point_batches", 1 << 30, 256, 64),
        ("1GiB_d1024", 1 << 30, 1024, 0),
        ("1GiB_d64", 1 << 30, 64, 0),
    ] {
        let d = datanet(bytes, dim, batch);
        let mut q = vec![0i8; dim];
        fill(&mut q, 7);
        g.throughput(Throughput::Bytes(d.sketch_bytes() as u64));
        for (k, top_k) in [("all", None), ("top100", NonZeroU32::new(100))] {
            let query = InfluenceQuery { sketch: &q, top_k, top_points: 16 };
            g.bench_with_input(BenchmarkId::new(label, k), &query, |b, query| {
                b.iter(|| influence::score(&[&d], black_box(query)).expect("score"))
            });
        }
        // The scan alone, without selection and aggregation.
        g.bench_function(BenchmarkId::new(label, "scan_only"), |b| {
            b.iter(|| d.clipped_scores(black_box(&q)))
        });
    }
    g.finish();
}

/// A plain loop the compiler may or may not vectorize well.
fn dot_plain(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
}

/// Candidate kernel: adjacent pairs summed before accumulating (the `pmaddwd` shape).
fn dot_pairs(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 16;
    let (ac, ar) = a.as_chunks::<{ 2 * LANES }>();
    let (bc, br) = b.as_chunks::<{ 2 * LANES }>();
    let mut acc = [0i32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for (k, s) in acc.iter_mut().enumerate() {
            *s += i32::from(x[2 * k]) * i32::from(y[2 * k])
                + i32::from(x[2 * k + 1]) * i32::from(y[2 * k + 1]);
        }
    }
    let tail: i32 = ar.iter().zip(br).map(|(&p, &q)| i32::from(p) * i32::from(q)).sum();
    acc.iter().sum::<i32>() + tail
}

fn kernel(c: &mut Criterion) {
    let dim = 256;
    let n = 8192; // 2 MiB: in cache
    let mut s = vec![0i8; n * dim];
    fill(&mut s, 1);
    let mut q = vec![0i8; dim];
    fill(&mut q, 2);
    let mut g = c.benchmark_group("dot_kernel_in_cache_1thread");
    g.throughput(Throughput::Bytes((n * dim) as u64));
    g.bench_function("plain_i32", |b| {
        b.iter(|| {
            s.chunks_exact(dim).map(|x| dot_plain(x, black_box(&q))).fold(0i32, i32::wrapping_add)
        })
    });
    g.bench_function("pairs16_i32", |b| {
        b.iter(|| {
            s.chunks_exact(dim).map(|x| dot_pairs(x, black_box(&q))).fold(0i32, i32::wrapping_add)
        })
    });
    g.bench_function("lanes32_i16", |b| {
        b.iter(|| {
            s.chunks_exact(dim)
                .map(|x| influence::dot(x, black_box(&q)))
                .fold(0i32, i32::wrapping_add)
        })
    });
    g.finish();
}

criterion_group!(benches, kernel, memory_bandwidth, scoring);
criterion_main!(benches);
