//! Gas calibration: nanoseconds per gas of each precompile function next to ecrecover's.
//!
//! `cargo bench -p ol-precompiles --bench gas` prints one row per function and input size:
//! median wall time, gas from `ol_precompiles::gas`, ns/gas, and that ns/gas relative to
//! ecrecover's (3,000 gas, secp256k1 as revm uses it). The schedule aims at 0.5x..2x for every
//! compute-bound row. Write rows (addPoints, addDocuments, registerAdapter) measure compute
//! only; their gas is set for state growth, so their ratio is expected to be far below 1.

use alloy_primitives::{Address, B256, U256, keccak256};
use ol_precompiles::{
    AdapterParams, AdapterRegistry, Datanet, InfluenceQuery, MergePolicy, TokenIndex, TokenQuery,
    adapters, gas, influence, token_attribution,
};
use secp256k1::{Message, Secp256k1, SecretKey, ecdsa::RecoverableSignature};
use std::{hint::black_box, num::NonZeroU32, time::Instant};

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
}

/// Median nanoseconds of `f` over enough runs to last about `budget_ms`.
fn time<R>(budget_ms: u64, mut f: impl FnMut() -> R) -> f64 {
    let t = Instant::now();
    black_box(f());
    let once = t.elapsed().as_nanos().max(1) as f64;
    let runs = ((budget_ms as f64 * 1e6 / once) as usize).clamp(3, 5000);
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_nanos() as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn row(name: &str, size: &str, ns: f64, gas: u64, base: f64) {
    let per = ns / gas as f64;
    println!("{name:<22} {size:<34} {ns:>14.0} {gas:>12} {per:>8.3} {:>7.2}x", per / base);
}

fn ecrecover_ns() -> f64 {
    let secp = Secp256k1::new();
    let sk = SecretKey::from_byte_array([7u8; 32]).expect("key");
    let msg = Message::from_digest([9u8; 32]);
    let (recid, bytes) = secp.sign_ecdsa_recoverable(msg, &sk).serialize_compact();
    time(500, || {
        let sig = RecoverableSignature::from_compact(&bytes, recid).expect("sig");
        let pk = secp.recover_ecdsa(msg, &sig).expect("recover");
        keccak256(&pk.serialize_uncompressed()[1..])
    })
}

fn influence_rows(rng: &mut Rng, base: f64) {
    for (points, dim) in [
        (100u64, 64u64),
        (1_000, 256),
        (10_000, 256),
        (100_000, 256),
        (1_000_000, 256),
        (250_000, 1024),
        (4_000_000, 64),
    ] {
        let n = points as usize;
        let d = dim as usize;
        let sketches: Vec<i8> = (0..n * d).map(|_| rng.next() as i8).collect();
        let owners: Vec<Address> =
            (0..n).map(|i| Address::with_last_byte((i % 97) as u8)).collect();
        let mut net = Datanet::new(1, d).expect("dim");
        let ns = time(300, || {
            let mut fresh = Datanet::new(2, d).expect("dim");
            fresh.push_batch(&owners, &sketches).expect("push")
        });
        row(
            "addPoints (compute)",
            &format!("{points} x d{dim}"),
            ns,
            gas::add_points_gas(points, dim),
            base,
        );
        net.push_batch(&owners, &sketches).expect("push");
        let q: Vec<i8> = (0..d).map(|_| rng.next() as i8).collect();
        for top_k in [None, NonZeroU32::new(100)] {
            let query = InfluenceQuery { sketch: &q, top_k, top_points: 16 };
            let ns = time(1000, || influence::score(&[&net], &query).expect("score"));
            let k = top_k.map_or("all".to_string(), |k| format!("top{k}"));
            let sizes = [gas::ScoredDatanet { points, contributors: 97 }];
            let gas = score_gas(&[&net], &sizes, &query);
            row("score", &format!("{points} x d{dim} {k}"), ns, gas, base);
        }
    }
    for dim in [64, 256, 1024] {
        let mib = gas::max_score_bytes(30_000_000, dim) >> 20;
        println!("largest datanet one 30M-gas score can scan, d={dim}: {mib} MiB");
    }
}

/// The gas of `query` over `nets` (whose records say `sizes`) as the node charges it: before
/// the scan, and for the weighing after it.
fn score_gas(nets: &[&Datanet], sizes: &[gas::ScoredDatanet], query: &InfluenceQuery<'_>) -> u64 {
    let dim = query.sketch.len() as u64;
    let top_k = query.top_k.map_or(0, NonZeroU32::get);
    let work = influence::score(nets, query).expect("score").work;
    gas::score_gas(sizes, dim, top_k, query.top_points as u64)
        + gas::score_weigh_gas(work.weighed, work.merged)
}

/// Adversarial datanets (issue 15): each is built in batches of exactly one chunk (256 KiB),
/// the layout with the most chunks per byte.
struct Adversary {
    name: &'static str,
    /// Contributor of point `i` of a datanet.
    owner: fn(usize) -> usize,
    /// Sketch of point `i` (given the dimension and an Rng).
    sketch: fn(&mut Rng, usize, usize) -> Vec<i8>,
    /// Query (given the dimension).
    query: fn(usize) -> Vec<i8>,
    /// topK (0 = all points).
    top_k: u32,
    /// Datanets the points are split over (the same contributors in each: their weights are
    /// merged by address).
    datanets: usize,
}

fn random_sketch(rng: &mut Rng, dim: usize, _: usize) -> Vec<i8> {
    (0..dim).map(|_| rng.next() as i8).collect()
}

fn positive_sketch(rng: &mut Rng, dim: usize, _: usize) -> Vec<i8> {
    (0..dim).map(|_| (rng.next() % 128) as i8).collect()
}

/// Scores rising with the index inside every run of 4,096 points (the most a d64 chunk holds),
/// so every point beats the running floor of its unit.
fn rising_sketch(_: &mut Rng, dim: usize, i: usize) -> Vec<i8> {
    let (t, d) = ((i % 4096) + 1, dim);
    (0..d).map(|j| (t / d + usize::from(j < t % d)) as i8).collect()
}

fn random_query(dim: usize) -> Vec<i8> {
    let mut rng = Rng(dim as u64 * 7919);
    (0..dim).map(|_| rng.next() as i8).collect()
}

fn ones_query(dim: usize) -> Vec<i8> {
    vec![1; dim]
}

/// Random sketches and query, one datanet.
const fn random(name: &'static str, owner: fn(usize) -> usize, top_k: u32) -> Adversary {
    Adversary { name, owner, sketch: random_sketch, query: random_query, top_k, datanets: 1 }
}

/// Every score positive (sketch values 0..127, all-ones query), one datanet.
const fn positive(name: &'static str, owner: fn(usize) -> usize, top_k: u32) -> Adversary {
    Adversary { name, owner, sketch: positive_sketch, query: ones_query, top_k, datanets: 1 }
}

const ADVERSARIES: &[Adversary] = &[
    random("control: 97 in turn, all", |i| i % 97, 0),
    random("control: 97 in turn, top100", |i| i % 97, 100),
    random("4096 repeated, all", |i| (i * 7919) % 4096, 0),
    random("65536 random, all", |i| (i.wrapping_mul(0x9E37_79B9) >> 7) % 65_536, 0),
    random("262144 random, all", |i| (i.wrapping_mul(0x9E37_79B9) >> 7) % 262_144, 0),
    random("1 per point, all", |i| i, 0),
    positive("1 per point, all positive", |i| i, 0),
    Adversary { datanets: 2, ..positive("2 datanets, 1 per point, all positive", |i| i, 0) },
    positive("topK=all, all positive", |i| (i * 7919) % 4096, u32::MAX),
    positive("topK=all, 1 per point", |i| i, u32::MAX),
    positive("topK=8192, all positive", |i| i % 97, 8192),
    Adversary { sketch: rising_sketch, ..positive("top100, rising scores", |i| i % 97, 100) },
];

/// The datanets of `adv` with `n` points of dimension `dim` in all, and each one's number of
/// contributors.
fn adversarial_datanets(
    adv: &Adversary,
    rng: &mut Rng,
    dim: usize,
    n: usize,
) -> Vec<(Datanet, u64)> {
    let per_chunk = (256 << 10) / dim;
    let each = n / adv.datanets;
    (0..adv.datanets)
        .map(|k| {
            let mut net = Datanet::new(k as u64 + 1, dim).expect("dim");
            for start in (0..each).step_by(per_chunk) {
                let range = start..(start + per_chunk).min(each);
                let owners: Vec<Address> = range
                    .clone()
                    .map(|i| Address::from_word(B256::from(U256::from((adv.owner)(i) + 1))))
                    .collect();
                let sketches: Vec<i8> = range.flat_map(|i| (adv.sketch)(rng, dim, i)).collect();
                net.push_batch(&owners, &sketches).expect("push");
            }
            let contributors = net.contributor_count() as u64;
            (net, contributors)
        })
        .collect()
}

/// Adversarial rows: every family at every dimension, `bytes` of sketches each. The
/// environment variables `ADVERSARY` (a substring of a family's name) and `ADVERSARY_DIM` run
/// only those families and that dimension. ecrecover is timed again before every row, and the
/// row's ratio is against that time (the machine's load drifts during a run).
fn adversarial_rows(rng: &mut Rng, bytes: usize) {
    let only = std::env::var("ADVERSARY").unwrap_or_default();
    let dims: Vec<usize> = match std::env::var("ADVERSARY_DIM").ok().and_then(|d| d.parse().ok()) {
        Some(d) => vec![d],
        None => vec![64, 256, 1024],
    };
    let mut bases = Vec::new();
    for dim in dims {
        let n = bytes / dim;
        for adv in ADVERSARIES.iter().filter(|a| a.name.contains(&only)) {
            let nets = adversarial_datanets(adv, rng, dim, n);
            let refs: Vec<&Datanet> = nets.iter().map(|(d, _)| d).collect();
            let q = (adv.query)(dim);
            let query =
                InfluenceQuery { sketch: &q, top_k: NonZeroU32::new(adv.top_k), top_points: 16 };
            let base = ecrecover_ns() / gas::ECRECOVER_GAS as f64;
            bases.push(base);
            let ns = time(1500, || influence::score(&refs, &query).expect("score"));
            let sizes: Vec<gas::ScoredDatanet> = nets
                .iter()
                .map(|(d, c)| gas::ScoredDatanet { points: d.len() as u64, contributors: *c })
                .collect();
            let gas = score_gas(&refs, &sizes, &query);
            row("score (adversarial)", &format!("{n} x d{dim} {}", adv.name), ns, gas, base);
        }
    }
    print_spread(&mut bases);
}

/// The spread of ecrecover's ns/gas over a run: a ratio is only as good as that.
fn print_spread(bases: &mut [f64]) {
    bases.sort_by(f64::total_cmp);
    if let (Some(lo), Some(hi)) = (bases.first(), bases.last()) {
        let mid = bases[bases.len() / 2];
        println!("ecrecover ns/gas over the run: median {mid:.3}, min {lo:.3}, max {hi:.3}");
    }
}

fn corpus(rng: &mut Rng, total: usize) -> Vec<(Address, Vec<u32>)> {
    let mut docs: Vec<(Address, Vec<u32>)> = Vec::new();
    let mut n = 0;
    while n < total {
        let len = 200 + rng.below(3801) as usize;
        let mut doc: Vec<u32> = Vec::with_capacity(len);
        if !docs.is_empty() && rng.below(4) == 0 {
            let src = &docs[rng.below(docs.len() as u64) as usize].1;
            let start = rng.below(src.len() as u64) as usize;
            doc.extend(src[start..].iter().take(len));
        }
        while doc.len() < len {
            let scale = rng.below(1 << 16) as f64 / f64::from(1u32 << 16);
            doc.push((50_000f64.powf(scale) as u32).saturating_sub(1));
        }
        n += doc.len();
        docs.push((Address::with_last_byte(rng.below(200) as u8), doc));
    }
    docs
}

fn output(rng: &mut Rng, docs: &[(Address, Vec<u32>)], len: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let d = &docs[rng.below(docs.len() as u64) as usize].1;
        let start = rng.below(d.len() as u64) as usize;
        let take = 1 + rng.below(60) as usize;
        out.extend(d[start..].iter().take(take.min(len - out.len())));
        if out.len() < len {
            out.push(rng.below(50_000) as u32);
        }
    }
    out
}

fn token_rows(rng: &mut Rng, base: f64) {
    let sizes: Vec<usize> = std::env::var("OL_TOKEN_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000, 10_000_000, 50_000_000]);
    for &total in &sizes {
        let docs = corpus(rng, total);
        let tokens: u64 = docs.iter().map(|d| d.1.len() as u64).sum();
        // Registration in batches of ~64 documents with LSM merges: amortized cost.
        let mut lsm = TokenIndex::new(1, MergePolicy::default());
        let t = Instant::now();
        let mut g = 0u64;
        for chunk in docs.chunks(64) {
            let b: Vec<(Address, &[u32])> = chunk.iter().map(|(a, d)| (*a, d.as_slice())).collect();
            g += gas::add_documents_gas(b.len() as u64, b.iter().map(|d| d.1.len() as u64).sum());
            lsm.add_documents(&b).expect("add");
        }
        let ns = t.elapsed().as_nanos() as f64;
        row("addDocuments (amort.)", &format!("{tokens} tokens, batches of 64 docs"), ns, g, base);
        drop(lsm);
        let one = index_of(&docs);
        let mut outs: Vec<(&str, Vec<u32>)> = Vec::new();
        for m in [16usize, 256, 4096] {
            outs.push(("copied spans", output(rng, &docs, m)));
        }
        outs.push(("random tokens", (0..4096).map(|_| rng.below(50_000) as u32).collect()));
        for (label, out) in &outs {
            attribute_row(base, &format!("{}, {label}", out.len()), total, &one, out, 1000);
        }
        drop(one);
        // Adversarial corpora: one repeated token (long LCP plateaus), two alternating
        // tokens, and many three-token documents, each against the outputs that hurt them.
        let k = 4000;
        let repeated: Vec<(Address, Vec<u32>)> =
            (0..total / k).map(|i| (Address::with_last_byte(i as u8), vec![7; k])).collect();
        let ix = index_of(&repeated);
        let near: Vec<u32> = (0..16_384).map(|i| if i % 97 == 96 { 8 } else { 7 }).collect();
        attribute_row(base, "16384 x a vs a^4000 docs", total, &ix, &[7; 16_384], 2);
        attribute_row(base, "16384 near-miss vs a^4000", total, &ix, &near, 2);
        attribute_row(base, "4096 x a vs a^4000, all occ.", total, &ix, &[7; 4096], 1 << 20);
        drop(ix);
        let abab = |n: usize| -> Vec<u32> { (0..n).map(|j| (j % 2) as u32 + 1).collect() };
        let alternating: Vec<(Address, Vec<u32>)> =
            (0..total / k).map(|i| (Address::with_last_byte(i as u8), abab(k))).collect();
        let ix = index_of(&alternating);
        attribute_row(base, "16384 abab vs abab docs", total, &ix, &abab(16_384), 2);
        drop(ix);
        let tiny: Vec<(Address, Vec<u32>)> =
            (0..total / 3).map(|i| (Address::with_last_byte(i as u8), vec![7, 7, 8])).collect();
        let ix = index_of(&tiny);
        attribute_row(base, "16384 x a vs [a,a,b] docs", total, &ix, &[7; 16_384], 2);
    }
    // Many young segments (registered within SETTLE_BLOCKS, priced one by one).
    for (batches, len) in [(64usize, 1000usize), (1000, 100)] {
        let mut ix =
            TokenIndex::new(1, MergePolicy { fan_in: usize::MAX, ..MergePolicy::default() });
        for i in 0..batches {
            ix.add_batch(&[(Address::with_last_byte(i as u8), &vec![7; len])], 0).expect("add");
        }
        let label = format!("16384 x a vs {batches} young a^{len}");
        attribute_row_at(base, &label, &ix, &[7; 16_384], 2, 0);
    }
}

fn index_of(docs: &[(Address, Vec<u32>)]) -> TokenIndex {
    let mut ix = TokenIndex::new(2, MergePolicy::default());
    let all: Vec<(Address, &[u32])> = docs.iter().map(|(a, d)| (*a, d.as_slice())).collect();
    ix.add_documents(&all).expect("add");
    ix
}

/// One `attribute` row over a merged index (every batch settled).
fn attribute_row(base: f64, label: &str, total: usize, ix: &TokenIndex, out: &[u32], occ: u64) {
    attribute_row_at(base, &format!("{label} ({}M)", total / 1_000_000), ix, out, occ, u64::MAX);
}

/// One `attribute` row priced as at block `block`: median time of the query next to the gas
/// charged before matching plus the occurrence gas.
fn attribute_row_at(base: f64, label: &str, ix: &TokenIndex, out: &[u32], occ: u64, block: u64) {
    let mut visited = 0;
    let ns = time(1500, || {
        let q = TokenQuery { output: out, min_span: 1, max_occurrences: occ };
        let r = token_attribution::attribute(&[ix], &q).expect("attribute");
        visited = r.work.occurrences_visited;
        r
    });
    let g = gas::attribute_gas(out.len() as u64, &[ix.gas_segments(block)])
        + gas::attribute_occurrence_gas(visited);
    row("attribute", label, ns, g, base);
}

fn adapter_rows(base: f64) {
    let state = AdapterRegistry::with_datanets(1..=64);
    let p = AdapterParams {
        base_model: B256::repeat_byte(1),
        weights_hash: B256::repeat_byte(2),
        rank: 16,
        alpha: 32,
        target_modules: 0b1111,
        training_datanets: (1..=64).collect(),
        uri: "x".repeat(256),
    };
    let ns = time(200, || adapters::register(&state, Address::ZERO, p.clone()).expect("register"));
    row(
        "registerAdapter (cmp.)",
        "uri 256 B, 64 datanets",
        ns,
        gas::register_adapter_gas(256, 64),
        base,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut rng = Rng(0x9a5);
    let eco = ecrecover_ns();
    let base = eco / gas::ECRECOVER_GAS as f64;
    println!(
        "{:<22} {:<34} {:>14} {:>12} {:>8} {:>8}",
        "function", "input", "median ns", "gas", "ns/gas", "vs ecrec"
    );
    row("ecrecover", "", eco, gas::ECRECOVER_GAS, base);
    // `-- influence`: typical and adversarial influence rows; `-- adversarial`: the latter.
    if std::env::args().any(|a| a == "influence") {
        influence_rows(&mut rng, base);
    }
    if std::env::args().any(|a| a == "influence" || a == "adversarial") {
        adversarial_rows(&mut rng, 128 << 20);
        return;
    }
    if std::env::args().any(|a| a == "tokens") {
        token_rows(&mut rng, base);
        return;
    }
    influence_rows(&mut rng, base);
    token_rows(&mut rng, base);
    adapter_rows(base);
}
