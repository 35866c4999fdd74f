//! Gas calibration: nanoseconds per gas of each precompile function next to ecrecover's.
//!
//! `cargo bench -p ol-precompiles --bench gas` prints one row per function and input size:
//! median wall time, gas from `ol_precompiles::gas`, ns/gas, and that ns/gas relative to
//! ecrecover's (3,000 gas, secp256k1 as revm uses it). The schedule aims at 0.5x..2x for every
//! compute-bound row. Write rows (addPoints, addDocuments, registerAdapter) measure compute
//! only; their gas is set for state growth, so their ratio is expected to be far below 1.

use alloy_primitives::{Address, B256, keccak256};
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
            row(
                "score",
                &format!("{points} x d{dim} {k}"),
                ns,
                gas::score_gas(
                    1,
                    points,
                    dim,
                    top_k.map_or(97, |k| u64::from(k.get()).min(points)),
                ),
                base,
            );
        }
    }
    for dim in [64, 256, 1024] {
        let mib = gas::max_score_bytes(30_000_000, dim) >> 20;
        println!("largest datanet one 30M-gas score can scan, d={dim}: {mib} MiB");
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
    for total in [1_000_000usize, 10_000_000] {
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
        println!(
            "  -> {} segments, build {:.2} M tokens/s incl. merges",
            lsm.segment_count(),
            tokens as f64 / ns * 1e3
        );
        let mut one = TokenIndex::new(2, MergePolicy::default());
        let all: Vec<(Address, &[u32])> = docs.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        let t = Instant::now();
        one.add_documents(&all).expect("add");
        println!(
            "  -> one segment of {tokens} tokens: {:.2} M tokens/s",
            tokens as f64 / t.elapsed().as_nanos() as f64 * 1e3
        );
        for m in [16usize, 256, 1000] {
            let outs: Vec<Vec<u32>> = (0..16).map(|_| output(rng, &docs, m)).collect();
            for (label, ix) in [("one seg", &one), ("lsm", &lsm)] {
                let mut k = 0;
                let mut visited = 0;
                let ns = time(1000, || {
                    k = (k + 1) % outs.len();
                    let q = TokenQuery { output: &outs[k], min_span: 4, max_occurrences: 1000 };
                    let r = token_attribution::attribute(&[ix], &q).expect("attribute");
                    visited = r.work.occurrences_visited;
                    r
                });
                let g = gas::attribute_gas(m as u64, &[tokens])
                    + gas::attribute_occurrence_gas(visited);
                row(
                    "attribute",
                    &format!("{m} tok vs {}M, {label}", total / 1_000_000),
                    ns,
                    g,
                    base,
                );
            }
        }
    }
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
    influence_rows(&mut rng, base);
    token_rows(&mut rng, base);
    adapter_rows(base);
}
