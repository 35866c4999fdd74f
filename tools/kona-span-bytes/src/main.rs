//! L1 bytes per transaction of OP's span batches + brotli-10, encoded by a published
//! implementation of OP's format: `kona-protocol` 0.4.5.
//!
//! Reads dump files written by ol-protocol's `batch_bytes` example (`--dump DIR`):
//!
//! ```text
//! chain_id <n>
//! <block number> <timestamp> <l1 origin number> <tx hex> <tx hex> ...
//! ```
//!
//! and, for channels of N transactions, builds kona's `SpanBatch` from kona `SingleBatch`es
//! (`SpanBatch::append_singular_batch`, as op-batcher's `SpanChannelOut` does), encodes it with
//! kona's `Batch::encode` (batch type byte + span batch), wraps it as the RLP byte string a
//! channel holds, and compresses it as a Fjord channel: version byte 0x01 + brotli quality 10,
//! window 2^22 (op-batcher's andybalholm/brotli default). kona-comp's channel and compression
//! code are not used. Every channel is read back with kona's `BatchReader` and checked against
//! the dumped blocks.
//!
//! The dump has no hashes: the parent hash of block n and the L1 origin hash are the example's
//! synthetic values (`workload.rs`): keccak256(n as u64 big-endian) and 0x0101…01.

use alloy_primitives::{B256, Bytes, hex, keccak256};
use alloy_rlp::Encodable;
use kona_genesis::{ChainGenesis, HardForkConfig, MAX_RLP_BYTES_PER_CHANNEL_FJORD, RollupConfig};
use kona_protocol::{Batch, BatchReader, SingleBatch, SpanBatch};
use std::{fs, process::exit, time::Instant};

struct Block {
    number: u64,
    timestamp: u64,
    origin: u64,
    txs: Vec<Bytes>,
}

fn parse(path: &str) -> (u64, Vec<Block>) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        exit(1)
    });
    let mut lines = text.lines();
    let chain_id = lines
        .next()
        .and_then(|l| l.strip_prefix("chain_id "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            eprintln!("{path}: first line must be `chain_id <n>`");
            exit(1)
        });
    let blocks = lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut it = line.split_ascii_whitespace();
            let mut num = || -> u64 {
                it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                    eprintln!("{path}: bad block line");
                    exit(1)
                })
            };
            let (number, timestamp, origin) = (num(), num(), num());
            let txs = it
                .map(|h| {
                    Bytes::from(hex::decode(h).unwrap_or_else(|e| {
                        eprintln!("{path}: bad transaction hex: {e}");
                        exit(1)
                    }))
                })
                .collect();
            Block { number, timestamp, origin, txs }
        })
        .collect();
    (chain_id, blocks)
}

/// The example's synthetic hashes (protocol/examples/batch_bytes/workload.rs).
fn parent_hash(number: u64) -> B256 {
    keccak256(number.to_be_bytes())
}
const ORIGIN_HASH: B256 = B256::repeat_byte(1);

/// Cuts `blocks` into channels of at most `size` transactions (a block is never split; a
/// channel has at least one block), as the example cuts them.
fn channels(blocks: &[Block], size: usize) -> Vec<&[Block]> {
    let mut out = Vec::new();
    let (mut start, mut txs) = (0, 0);
    for (i, b) in blocks.iter().enumerate() {
        if i > start && txs + b.txs.len() > size {
            out.push(&blocks[start..i]);
            (start, txs) = (i, 0);
        }
        txs += b.txs.len();
    }
    if start < blocks.len() {
        out.push(&blocks[start..]);
    }
    out
}

/// kona's span batch of `blocks`. `seq0` says whether the first block is the first of its
/// epoch (sequence number 0), which sets the span's first origin bit.
fn span_batch(blocks: &[Block], seq0: bool, genesis_time: u64, chain_id: u64) -> SpanBatch {
    let mut span = SpanBatch { genesis_timestamp: genesis_time, chain_id, ..Default::default() };
    for (i, b) in blocks.iter().enumerate() {
        let seq_num = if i == 0 && seq0 { 0 } else { 1 };
        span.append_singular_batch(
            SingleBatch {
                parent_hash: parent_hash(b.number),
                epoch_num: b.origin,
                epoch_hash: ORIGIN_HASH,
                timestamp: b.timestamp,
                transactions: b.txs.clone(),
            },
            seq_num,
        )
        .unwrap_or_else(|e| {
            eprintln!("block {}: kona refused the block: {e}", b.number);
            exit(1)
        });
    }
    span
}

/// What a channel holds before compression: the batch as an RLP byte string (op-node's
/// `BatchData.EncodeRLP`: type byte 0x01 + span batch).
fn channel_rlp(span: SpanBatch) -> Vec<u8> {
    let mut typed = Vec::new();
    Batch::Span(span).encode(&mut typed).unwrap_or_else(|e| {
        eprintln!("kona could not encode the span batch: {e}");
        exit(1)
    });
    let mut rlp = Vec::with_capacity(typed.len() + 5);
    Bytes::from(typed).encode(&mut rlp);
    rlp
}

/// Fjord channel data: brotli version byte 0x01 + brotli stream (brotli 9).
fn compress(rlp: &[u8], quality: i32, lgwin: i32) -> Vec<u8> {
    let mut out = vec![1u8];
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin, ..Default::default() };
    brotli::BrotliCompress(&mut &rlp[..], &mut out, &params).expect("compresses");
    out
}

/// The same with brotli 8, kona-protocol 0.4.5's own brotli.
fn compress8(rlp: &[u8], quality: i32, lgwin: i32) -> Vec<u8> {
    let mut out = vec![1u8];
    let params = brotli8::enc::BrotliEncoderParams { quality, lgwin, ..Default::default() };
    brotli8::BrotliCompress(&mut &rlp[..], &mut out, &params).expect("compresses");
    out
}

/// Reads `channel` back with kona's `BatchReader` and checks it against `blocks`.
fn verify(channel: &[u8], blocks: &[Block], cfg: &RollupConfig) {
    let mut reader = BatchReader::new(channel, MAX_RLP_BYTES_PER_CHANNEL_FJORD as usize);
    let Some(Batch::Span(span)) = reader.next_batch(cfg) else {
        eprintln!("kona's BatchReader did not read a span batch back (block {})", blocks[0].number);
        exit(1)
    };
    let ok = span.batches.len() == blocks.len()
        && span.parent_check[..] == parent_hash(blocks[0].number)[..20]
        && span.batches.iter().zip(blocks).all(|(e, b)| {
            e.timestamp == b.timestamp && e.epoch_num == b.origin && e.transactions == b.txs
        });
    if !ok || reader.next_batch(cfg).is_some() {
        eprintln!("channel from block {} does not read back as written", blocks[0].number);
        exit(1)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut files = Vec::new();
    let mut genesis_time = 1_700_000_000u64;
    let mut sizes = vec![20_000usize, 5_000, 1_000];
    let mut check = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--genesis-time" => {
                genesis_time = it.next().and_then(|v| v.parse().ok()).expect("--genesis-time T")
            }
            "--sizes" => {
                sizes = it
                    .next()
                    .map(|v| v.split(',').map(|s| s.parse().expect("--sizes N,N,...")).collect())
                    .expect("--sizes N,N,...")
            }
            "--no-verify" => check = false,
            "-h" | "--help" => {
                println!(
                    "usage: kona-span-bytes [--genesis-time T] [--sizes 20000,5000,1000] [--no-verify] DUMP..."
                );
                return;
            }
            f => files.push(f.to_string()),
        }
    }
    if files.is_empty() {
        eprintln!("usage: kona-span-bytes [--genesis-time T] [--sizes N,N,...] DUMP...");
        exit(2);
    }

    println!(
        "kona-protocol 0.4.5 span batches; channel = 0x01 ‖ brotli(rlp_bytes(0x01 ‖ span batch)), \
         quality 10, window 2^22; genesis time {genesis_time}\n"
    );
    println!(
        "| dump | txs | channel (txs) | channels | span RLP raw | kona span + brotli-10 (brotli 9) | brotli 8 | read back |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for file in &files {
        let (chain_id, blocks) = parse(file);
        let total: usize = blocks.iter().map(|b| b.txs.len()).sum();
        if blocks.is_empty() || total == 0 {
            eprintln!("{file}: no transactions");
            exit(1);
        }
        let block_time =
            if blocks.len() > 1 { blocks[1].timestamp - blocks[0].timestamp } else { 1 };
        let cfg = RollupConfig {
            genesis: ChainGenesis { l2_time: genesis_time, ..Default::default() },
            block_time,
            l2_chain_id: chain_id.into(),
            hardforks: HardForkConfig { fjord_time: Some(0), ..Default::default() },
            ..Default::default()
        };
        let name = std::path::Path::new(file)
            .file_stem()
            .map_or(file.clone(), |s| s.to_string_lossy().into_owned());
        for &size in &sizes {
            let started = Instant::now();
            let (mut raw, mut b9, mut b8, mut count) = (0, 0, 0, 0);
            for chunk in channels(&blocks, size) {
                let first = chunk[0].number;
                // The block before the channel, if dumped, tells whether its origin changed.
                let seq0 = blocks
                    .iter()
                    .position(|b| b.number == first)
                    .and_then(|i| i.checked_sub(1))
                    .is_some_and(|i| blocks[i].origin != chunk[0].origin);
                let rlp = channel_rlp(span_batch(chunk, seq0, genesis_time, chain_id));
                let channel = compress(&rlp, 10, 22);
                if check {
                    verify(&channel, chunk, &cfg);
                }
                raw += rlp.len();
                b9 += channel.len();
                b8 += compress8(&rlp, 10, 22).len();
                count += 1;
            }
            let per = |b: usize| b as f64 / total as f64;
            println!(
                "| {name} | {total} | {size} | {count} | {:.1} | {:.2} | {:.2} | {} |",
                per(raw),
                per(b9),
                per(b8),
                if check { "ok" } else { "not checked" }
            );
            eprintln!("{name} {size}: {:.1} s", started.elapsed().as_secs_f64());
        }
    }
}
