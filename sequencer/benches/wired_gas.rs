//! Gas calibration of the precompiles as the node runs them: nanoseconds per gas of a call
//! through the node's EVM (decode, journal, cache look-up, compute, encode) next to
//! ecrecover's through the same EVM.
//!
//! `cargo bench -p ol-sequencer --bench wired_gas` prints one row per function and input size.
//! Each row times a transaction to the precompile and the same calldata sent to an account
//! without code; the differences in time and in gas are the precompile's own, so the row's
//! ns/gas excludes the transaction's fixed costs. Registrations carry a state-growth charge
//! (`datasets::store_gas`) that is not time, so their ratio sits far below 1 by design.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_sol_types::SolCall;
use ol_precompiles::abi::{
    IInfluenceAttribution as I, INFLUENCE_ADDRESS, ITokenAttribution as T,
    TOKEN_ATTRIBUTION_ADDRESS, tokens_to_bytes,
};
use ol_protocol::ChainConfig;
use ol_sequencer::evm::{BlockEnvInput, NodeEvm};
use op_revm::OpTransaction;
use revm::{
    DatabaseCommit,
    context::{TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use std::{hint::black_box, time::Instant};

const CALLER: Address = Address::repeat_byte(0xca);
const NO_CODE: Address = Address::repeat_byte(0x0e);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

struct Bench {
    evm: NodeEvm,
    env: alloy_evm::EvmEnv<op_revm::OpSpecId>,
    db: CacheDB<EmptyDB>,
    nonce: u64,
}

impl Bench {
    fn new() -> Self {
        let evm = NodeEvm::new(ChainConfig::dev());
        let env = evm.env(&BlockEnvInput {
            number: 1,
            timestamp: 1_800_000_000,
            base_fee: 0,
            gas_limit: u64::MAX / 4,
            prev_randao: B256::ZERO,
            beneficiary: Address::ZERO,
        });
        let mut db = CacheDB::new(EmptyDB::default());
        db.insert_account_info(
            CALLER,
            AccountInfo { balance: U256::from(10u128.pow(30)), ..Default::default() },
        );
        for p in [INFLUENCE_ADDRESS, TOKEN_ATTRIBUTION_ADDRESS] {
            db.insert_account_info(p, AccountInfo { nonce: 1, ..Default::default() });
        }
        Self { evm, env, db, nonce: 0 }
    }

    fn tx(&self, to: Address, data: &[u8]) -> alloy_op_evm::OpTx {
        let base = TxEnv {
            caller: CALLER,
            kind: to.into(),
            data: Bytes::copy_from_slice(data),
            gas_limit: u64::MAX / 8,
            gas_price: 0,
            nonce: self.nonce,
            chain_id: Some(self.env.cfg_env.chain_id),
            ..Default::default()
        };
        alloy_op_evm::OpTx(OpTransaction {
            base,
            enveloped_tx: Some(Bytes::new()),
            deposit: Default::default(),
        })
    }

    /// Runs and commits a transaction; panics unless it succeeds.
    fn commit(&mut self, to: Address, data: &[u8]) -> Bytes {
        use alloy_evm::{Evm, EvmFactory};
        let tx = self.tx(to, data);
        let mut evm = self.evm.evm_factory().create_evm(&mut self.db, self.env.clone());
        let out = evm.transact(tx).expect("valid transaction");
        drop(evm);
        let output = match out.result {
            ExecutionResult::Success { output, .. } => output.into_data(),
            other => panic!("registration failed: {other:?}"),
        };
        self.db.commit(out.state);
        self.nonce += 1;
        output
    }

    /// Median time and gas of one uncommitted transaction, over about `budget_ms`.
    fn time(&mut self, to: Address, data: &[u8], budget_ms: u64) -> (f64, u64) {
        use alloy_evm::{Evm, EvmFactory};
        let mut run = || {
            let tx = self.tx(to, data);
            let t = Instant::now();
            let mut evm = self.evm.evm_factory().create_evm(&mut self.db, self.env.clone());
            let out = evm.transact(tx).expect("valid transaction");
            let ns = t.elapsed().as_nanos() as f64;
            assert!(out.result.is_success(), "{:?}", out.result);
            // Gas before the EIP-7623 calldata floor, which would hide the precompile's own gas.
            (ns, black_box(out.result.gas().total_gas_spent()))
        };
        let (once, gas) = run();
        let runs = ((budget_ms as f64 * 1e6 / once) as usize).clamp(3, 3000);
        let mut v: Vec<f64> = (0..runs).map(|_| run().0).collect();
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], gas)
    }

    /// The precompile's own time and gas: a call minus the same calldata to no code.
    fn row(&mut self, name: &str, size: &str, to: Address, data: &[u8], base: f64) -> f64 {
        let (ns, gas, per) = self.measure(to, data);
        let ratio = if base > 0.0 { per / base } else { 1.0 };
        println!("{name:<18} {size:<30} {ns:>13.0} {gas:>12} {per:>8.3} {ratio:>7.2}x");
        per
    }

    /// Time, gas and ns/gas of a call minus the same calldata sent to no code.
    fn measure(&mut self, to: Address, data: &[u8]) -> (f64, u64, f64) {
        let (ns, gas) = self.time(to, data, 1500);
        let (ns0, gas0) = self.time(NO_CODE, data, 300);
        let (ns, gas) = ((ns - ns0).max(1.0), gas.saturating_sub(gas0).max(1));
        (ns, gas, ns / gas as f64)
    }
}

fn ecrecover_input() -> Vec<u8> {
    let key = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).expect("key");
    let hash = keccak256(b"wired gas");
    let sig = key.sign_hash_sync(&hash).expect("sign");
    let mut input = hash.to_vec();
    input.extend_from_slice(&U256::from(27 + u64::from(sig.v())).to_be_bytes::<32>());
    input.extend_from_slice(&sig.r().to_be_bytes::<32>());
    input.extend_from_slice(&sig.s().to_be_bytes::<32>());
    input
}

fn influence(b: &mut Bench, rng: &mut Rng, base: f64) {
    let mut id = 0u64;
    // The last column: every point from a different contributor (one sketch per contributor,
    // as DatanetRegistry registers them) rather than 97 contributors in turn.
    for (points, dim, batch, distinct) in [
        (1_000usize, 256usize, 1_000usize, false),
        (10_000, 256, 5_000, false),
        (100_000, 256, 10_000, false),
        (1_000_000, 256, 20_000, false),
        (250_000, 1024, 5_000, false),
        (1_000_000, 64, 50_000, false),
        (1_000_000, 64, 50_000, true),
    ] {
        id += 1;
        let out =
            b.commit(INFLUENCE_ADDRESS, &I::createDatanetCall { dim: dim as u16 }.abi_encode());
        assert_eq!(I::createDatanetCall::abi_decode_returns(&out).expect("id"), id);
        let mut added = 0;
        while added < points {
            let n = batch.min(points - added);
            let contributors = (0..n)
                .map(|i| {
                    if distinct {
                        Address::from_word(B256::from(U256::from(added + i + 1)))
                    } else {
                        Address::with_last_byte((i % 97) as u8)
                    }
                })
                .collect();
            let sketches: Vec<u8> = (0..n * dim).map(|_| rng.next() as u8).collect();
            let call = I::addPointsCall { datanetId: id, contributors, sketches: sketches.into() };
            if added == 0 {
                b.row(
                    "addPoints",
                    &format!("{n} x d{dim}"),
                    INFLUENCE_ADDRESS,
                    &call.abi_encode(),
                    base,
                );
            }
            b.commit(INFLUENCE_ADDRESS, &call.abi_encode());
            added += n;
        }
        let query: Vec<u8> = (0..dim).map(|_| rng.next() as u8).collect();
        for top_k in [0u32, 100] {
            let call = I::scoreCall {
                datanetIds: vec![id],
                querySketch: query.clone().into(),
                topK: top_k,
                topPoints: 16,
            };
            // The first call builds the index version (a cache miss costs time, never gas).
            b.time(INFLUENCE_ADDRESS, &call.abi_encode(), 1);
            let k = if top_k == 0 { "all".to_string() } else { format!("top{top_k}") };
            let k = if distinct { format!("{k} distinct") } else { k };
            b.row(
                "score",
                &format!("{points} x d{dim} {k}"),
                INFLUENCE_ADDRESS,
                &call.abi_encode(),
                base,
            );
        }
    }
}

/// An adversarial influence datanet family (issue 15).
struct Adversary {
    name: &'static str,
    /// Contributor number of point `i` of a datanet.
    owner: fn(usize) -> usize,
    /// The sketch of point `i`.
    sketch: Sketch,
    /// topK (0: all points count).
    top_k: u32,
    /// Datanets the points are split over (the same contributors in each: their weights are
    /// merged by address).
    datanets: usize,
}

/// How a family's sketches score against its query.
#[derive(Clone, Copy, PartialEq)]
enum Sketch {
    /// Random sketches and query.
    Random,
    /// Values in 0..128 against an all-ones query: every score positive.
    Positive,
    /// Against an all-ones query, scores 1, 2, … 4,096 along every run of 4,096 points: every
    /// point beats its work unit's running floor.
    Rising,
}

/// A family over one datanet.
const fn family(
    name: &'static str,
    owner: fn(usize) -> usize,
    sketch: Sketch,
    top_k: u32,
) -> Adversary {
    Adversary { name, owner, sketch, top_k, datanets: 1 }
}

const ADVERSARIES: &[Adversary] = &[
    family("control: 97 in turn, all", |i| i % 97, Sketch::Random, 0),
    family("control: 97 in turn, top100", |i| i % 97, Sketch::Random, 100),
    family("4096 in every chunk, all", |i| (i * 7919) % 4096, Sketch::Random, 0),
    family("65536 random, all", |i| (i.wrapping_mul(0x9E37_79B9) >> 7) % 65_536, Sketch::Random, 0),
    family(
        "262144 random, all",
        |i| (i.wrapping_mul(0x9E37_79B9) >> 7) % 262_144,
        Sketch::Random,
        0,
    ),
    family("1 per point, all", |i| i, Sketch::Random, 0),
    family("1 per point, all positive", |i| i, Sketch::Positive, 0),
    Adversary {
        datanets: 2,
        ..family("2 datanets, 1 per point, all positive", |i| i, Sketch::Positive, 0)
    },
    family("topK=all, all positive", |i| (i * 7919) % 4096, Sketch::Positive, u32::MAX),
    family("topK=all, 1 per point", |i| i, Sketch::Positive, u32::MAX),
    family("topK=8192, all positive", |i| i % 97, Sketch::Positive, 8192),
    family("top100, rising scores", |i| i % 97, Sketch::Rising, 100),
];

/// The sketch bytes of point `i` for `kind`.
fn adversarial_sketch(kind: Sketch, rng: &mut Rng, dim: usize, i: usize) -> Vec<u8> {
    match kind {
        Sketch::Random => (0..dim).map(|_| rng.next() as u8).collect(),
        Sketch::Positive => (0..dim).map(|_| (rng.next() % 128) as u8).collect(),
        Sketch::Rising => {
            // dim values summing to t.
            let t = (i % 4096) + 1;
            (0..dim).map(|j| (t / dim + usize::from(j < t % dim)) as u8).collect()
        }
    }
}

/// Registers a datanet of `points` points of `adv` at dimension `dim`, one chunk (256 KiB) per
/// `addPoints`: the most chunks a datanet of that size can have. Returns its id.
fn adversarial_datanet(
    b: &mut Bench,
    rng: &mut Rng,
    adv: &Adversary,
    dim: usize,
    points: usize,
) -> u64 {
    let per_chunk = (256 << 10) / dim;
    let out = b.commit(INFLUENCE_ADDRESS, &I::createDatanetCall { dim: dim as u16 }.abi_encode());
    let id = I::createDatanetCall::abi_decode_returns(&out).expect("id");
    for start in (0..points).step_by(per_chunk) {
        let range = start..(start + per_chunk).min(points);
        let contributors = range
            .clone()
            .map(|i| Address::from_word(B256::from(U256::from((adv.owner)(i) + 1))))
            .collect();
        let sketches: Vec<u8> =
            range.flat_map(|i| adversarial_sketch(adv.sketch, rng, dim, i)).collect();
        let call = I::addPointsCall { datanetId: id, contributors, sketches: sketches.into() };
        b.commit(INFLUENCE_ADDRESS, &call.abi_encode());
    }
    id
}

/// Adversarial influence rows: each family at d64, d256 and d1024 with `bytes` of sketches in
/// all. ecrecover is timed again before every row and the row's ratio is against that time
/// (the machine's load drifts during a run). `ADVERSARY` (a substring of a family's name) and
/// `ADVERSARY_DIM` select rows.
fn influence_adversarial(b: &mut Bench, rng: &mut Rng, bytes: usize) {
    let only = std::env::var("ADVERSARY").unwrap_or_default();
    let dims: Vec<usize> = match std::env::var("ADVERSARY_DIM").ok().and_then(|d| d.parse().ok()) {
        Some(d) => vec![d],
        None => vec![64, 256, 1024],
    };
    let mut bases = Vec::new();
    for dim in dims {
        let points = bytes / dim;
        for adv in ADVERSARIES.iter().filter(|a| a.name.contains(&only)) {
            let ids: Vec<u64> = (0..adv.datanets)
                .map(|_| adversarial_datanet(b, rng, adv, dim, points / adv.datanets))
                .collect();
            let query: Vec<u8> = match adv.sketch {
                Sketch::Random => (0..dim).map(|_| rng.next() as u8).collect(),
                Sketch::Positive | Sketch::Rising => vec![1; dim],
            };
            let call = I::scoreCall {
                datanetIds: ids,
                querySketch: query.into(),
                topK: adv.top_k,
                topPoints: 16,
            };
            // The first call builds the index version (a cache miss costs time, never gas).
            b.time(INFLUENCE_ADDRESS, &call.abi_encode(), 1);
            let (_, _, base) = b.measure(Address::with_last_byte(1), &ecrecover_input());
            bases.push(base);
            b.row(
                "score",
                &format!("{points} x d{dim} {}", adv.name),
                INFLUENCE_ADDRESS,
                &call.abi_encode(),
                base,
            );
        }
    }
    bases.sort_by(f64::total_cmp);
    if let (Some(lo), Some(hi)) = (bases.first(), bases.last()) {
        let mid = bases[bases.len() / 2];
        println!("ecrecover ns/gas over the run: median {mid:.3}, min {lo:.3}, max {hi:.3}");
    }
}

fn tokens(b: &mut Bench, rng: &mut Rng, base: f64, sizes: &[(usize, usize)]) {
    let mut id = 0u64;
    for &(total, batch) in sizes {
        id += 1;
        b.commit(TOKEN_ATTRIBUTION_ADDRESS, &T::createDatanetCall {}.abi_encode());
        let mut corpus: Vec<u32> = Vec::with_capacity(total);
        while corpus.len() < total {
            let n = batch.min(total - corpus.len());
            let docs = n / 2_000;
            let tokens: Vec<u32> = (0..docs * 2_000)
                .map(|_| {
                    let scale = (rng.next() % (1 << 16)) as f64 / f64::from(1u32 << 16);
                    (50_000f64.powf(scale) as u32).saturating_sub(1)
                })
                .collect();
            let call = T::addDocumentsCall {
                datanetId: id,
                contributors: (0..docs).map(|i| Address::with_last_byte((i % 200) as u8)).collect(),
                docLengths: vec![2_000; docs],
                tokens: tokens_to_bytes(&tokens),
            };
            if corpus.is_empty() {
                b.row(
                    "addDocuments",
                    &format!("{} tokens", tokens.len()),
                    TOKEN_ATTRIBUTION_ADDRESS,
                    &call.abi_encode(),
                    base,
                );
            }
            b.commit(TOKEN_ATTRIBUTION_ADDRESS, &call.abi_encode());
            corpus.extend(tokens);
        }
        for len in [16usize, 1_000] {
            let mut output = Vec::with_capacity(len);
            while output.len() < len {
                let start = (rng.next() % corpus.len() as u64) as usize;
                let take = (1 + rng.next() % 60) as usize;
                output.extend(corpus[start..].iter().take(take.min(len - output.len())));
            }
            let call = T::attributeCall {
                datanetIds: vec![id],
                outputTokens: tokens_to_bytes(&output),
                minSpan: 4,
                maxOccurrences: 1_000,
            };
            // Build the version, then let the background merge finish before timing.
            b.time(TOKEN_ATTRIBUTION_ADDRESS, &call.abi_encode(), 1);
            std::thread::sleep(std::time::Duration::from_secs((total / 1_000_000 / 2 + 3) as u64));
            b.row(
                "attribute",
                &format!("{len} tok vs {}M", total / 1_000_000),
                TOKEN_ATTRIBUTION_ADDRESS,
                &call.abi_encode(),
                base,
            );
        }
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_default();
    let mut b = Bench::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    println!(
        "{:<18} {:<30} {:>13} {:>12} {:>8} {:>8}",
        "function", "input", "median ns", "gas", "ns/gas", "vs ecrec"
    );
    let base = b.row("ecrecover", "0x01", Address::with_last_byte(1), &ecrecover_input(), 0.0);
    if filter.is_empty() || "influence".contains(&filter) {
        influence(&mut b, &mut rng, base);
    }
    // Adversarial influence datanets, 64 MiB of sketches each (issue 15).
    if filter == "adversarial" {
        influence_adversarial(&mut b, &mut rng, 64 << 20);
    }
    if filter.is_empty() || "tokens".contains(&filter) {
        tokens(&mut b, &mut rng, base, &[(1_000_000, 250_000), (10_000_000, 1_250_000)]);
    }
    // 100M tokens (80 batches, merged level by level): several GiB of memory and minutes.
    if filter == "tokens100m" {
        tokens(&mut b, &mut rng, base, &[(100_000_000, 1_250_000)]);
    }
}
