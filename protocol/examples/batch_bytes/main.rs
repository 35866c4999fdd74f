//! L1 bytes per transaction: our batch format against OP's span batches, on signed transactions
//! shaped like the node's own load (200 senders, recipients spread over 10,000 addresses).
//!
//! `cargo run --release -p ol-protocol --example batch_bytes [-- --txs N] [--dump DIR]`
//!
//! Prints markdown tables (see docs/PERFORMANCE.md, "Batch format: L1 bytes per transaction").
//! `--dump DIR` also writes the measured blocks to `DIR/<workload>-<order>.txt`: a line
//! `chain_id <n>`, then per L2 block `<number> <timestamp> <l1 origin number> <tx hex>...`
//! (EIP-2718 bytes), read by `tools/kona-span-bytes`.
//! No network: transactions are generated and signed locally.

mod span;
mod workload;

use ol_protocol::batch::{
    AddressHistory, Compression, L2Block, decode_channel, encode_batch, encode_channel_with,
};
use std::{
    io::{Read, Write},
    time::Instant,
};
use workload::{CHAIN_ID, Generated, PER_BLOCK, Pattern, Workload, generate, keys};

/// How the channel may reference earlier blocks' addresses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HistoryMode {
    /// Every channel self-contained.
    Off,
    /// The chain starts with these transactions: later channels see earlier ones.
    Cold,
    /// The chain already carried as many transactions of the same kind before.
    Warm,
}

struct Dataset {
    workload: Workload,
    pattern: Pattern,
    warm: Generated,
    main: Generated,
}

fn per_tx(bytes: usize, txs: usize) -> f64 {
    bytes as f64 / txs as f64
}

/// Runs `f` over the channels of `data` (cut every `size` transactions) with the history mode,
/// returning what `f` returns per channel.
fn over_channels<T>(
    data: &Dataset,
    size: usize,
    mode: HistoryMode,
    mut f: impl FnMut(&[L2Block], &AddressHistory) -> T,
) -> Vec<T> {
    let mut history = AddressHistory::new();
    if mode == HistoryMode::Warm {
        for block in &data.warm.blocks {
            history
                .push_block(block.number, block.transactions.iter().map(|t| t.as_ref()))
                .expect("consecutive");
        }
    }
    let per_channel = (size / PER_BLOCK).max(1);
    let mut out = Vec::new();
    for blocks in data.main.blocks.chunks(per_channel) {
        let empty = AddressHistory::new();
        let h = if mode == HistoryMode::Off { &empty } else { &history };
        out.push(f(blocks, h));
        for block in blocks {
            history
                .push_block(block.number, block.transactions.iter().map(|t| t.as_ref()))
                .expect("consecutive");
        }
    }
    out
}

fn ours(data: &Dataset, size: usize, mode: HistoryMode, compression: Compression) -> usize {
    over_channels(data, size, mode, |blocks, history| {
        encode_channel_with(blocks, history, CHAIN_ID, compression).expect("encodes").len()
    })
    .iter()
    .sum()
}

fn op(data: &Dataset, size: usize, quality: i32) -> usize {
    let per_channel = (size / PER_BLOCK).max(1);
    let blocks = &data.main.blocks;
    blocks
        .chunks(per_channel)
        .enumerate()
        .map(|(k, b)| {
            // The block before the channel (the first channel's is assumed in the same epoch).
            let prev = if k == 0 {
                b[0].l1_origin.number
            } else {
                blocks[k * per_channel - 1].l1_origin.number
            };
            span::span_channel(b, prev, 1_700_000_000, quality).len()
        })
        .sum()
}

/// Writes the blocks `data` measures (not the warm-up) to `DIR/<workload>-<order>.txt`.
fn dump(dir: &str, data: &Dataset) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = std::path::Path::new(dir).join(format!(
        "{}-{}.txt",
        data.workload.slug(),
        data.pattern.slug()
    ));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(out, "chain_id {CHAIN_ID}")?;
    for block in &data.main.blocks {
        write!(out, "{} {} {}", block.number, block.timestamp, block.l1_origin.number)?;
        for tx in &block.transactions {
            write!(out, " {}", alloy_primitives::hex::encode(tx))?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn brotli(data: &[u8], quality: i32, lgwin: i32) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin, ..Default::default() };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("compresses");
    out
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096).read_to_end(&mut out).expect("decompresses");
    out
}

type Codec = (String, Box<dyn Fn(&[u8]) -> Vec<u8>>, Box<dyn Fn(&[u8]) -> Vec<u8>>);

fn codecs(dict: Vec<u8>) -> Vec<Codec> {
    let mut list: Vec<Codec> =
        vec![("none".into(), Box::new(|d| d.to_vec()), Box::new(|d| d.to_vec()))];
    for q in [5, 9, 10, 11] {
        list.push((format!("brotli-{q}"), Box::new(move |d| brotli(d, q, 24)), Box::new(unbrotli)));
    }
    for level in [3, 9, 19, 22] {
        list.push((
            format!("zstd-{level}"),
            Box::new(move |d| zstd::bulk::compress(d, level).expect("compresses")),
            Box::new(|d| zstd::stream::decode_all(d).expect("decompresses")),
        ));
    }
    let dict2 = dict.clone();
    list.push((
        "zstd-19 + 16 KB dictionary".into(),
        Box::new(move |d| {
            zstd::bulk::Compressor::with_dictionary(19, &dict)
                .expect("dict")
                .compress(d)
                .expect("compresses")
        }),
        Box::new(move |d| {
            zstd::bulk::Decompressor::with_dictionary(&dict2)
                .expect("dict")
                .decompress(d, 64 << 20)
                .expect("decompresses")
        }),
    ));
    list
}

/// A dictionary trained on other transactions (another seed, all three workloads), as a
/// protocol constant would have to be.
fn train_dictionary(keys: &[alloy_signer_local::PrivateKeySigner]) -> Vec<u8> {
    let mut samples = Vec::new();
    for workload in Workload::ALL {
        for pattern in [Pattern::Loadgen, Pattern::Random] {
            let g = generate(workload, pattern, 6_000, 1, 7_000_000, false, keys);
            for blocks in g.blocks.chunks(1) {
                samples.push(
                    encode_batch(blocks, &AddressHistory::new(), CHAIN_ID).expect("encodes").packed,
                );
            }
        }
    }
    zstd::dict::from_samples(&samples, 16 * 1024).expect("trains")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--txs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let keys = keys();
    let started = Instant::now();
    let mut datasets = Vec::new();
    for pattern in [Pattern::Loadgen, Pattern::Random] {
        for workload in Workload::ALL {
            let warm = generate(workload, pattern, n, 1, 0, false, &keys);
            let first = 1 + warm.blocks.len() as u64;
            let main = generate(workload, pattern, n, first, n as u64, true, &keys);
            datasets.push(Dataset { workload, pattern, warm, main });
        }
    }
    eprintln!("generated and signed in {:.1} s", started.elapsed().as_secs_f64());
    if let Some(dir) = args.iter().position(|a| a == "--dump").and_then(|i| args.get(i + 1)) {
        for data in &datasets {
            dump(dir, data).expect("writes the dump");
        }
    }

    println!("### Bytes per transaction, {n} transactions per workload\n");
    println!(
        "Channel = all transactions of a run cut every N transactions ({PER_BLOCK} per block). \
         OP = span batch + brotli-10 (window 2^22), rewritten in this example. Ours = batch v0 \
         with its channel compression (brotli-10, window 2^24) and the address history off \
         (self-contained channels), cold (the chain starts with these transactions) or warm \
         (the chain carried as many of the same kind before).\n"
    );
    println!(
        "| workload | order | raw | channel | OP brotli-10 | ours, off | ours, cold | ours, warm | warm vs OP |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for data in &datasets {
        let raw = per_tx(data.main.raw_bytes, data.main.txs);
        let mut sizes = vec![n, 5_000, 1_000];
        sizes.retain(|&s| s <= n);
        sizes.dedup();
        for size in sizes {
            let op10 = per_tx(op(data, size, 10), data.main.txs);
            let [off, cold, warm] = [HistoryMode::Off, HistoryMode::Cold, HistoryMode::Warm]
                .map(|m| per_tx(ours(data, size, m, Compression::Brotli), data.main.txs));
            println!(
                "| {} | {} | {raw:.1} | {size} | {op10:.1} | {off:.1} | {cold:.1} | {warm:.1} | {:+.1} % |",
                data.workload.name(),
                data.pattern.name(),
                (warm / op10 - 1.0) * 100.0,
            );
        }
    }

    let dict = train_dictionary(&keys);
    let codecs = codecs(dict);
    println!(
        "\n### Compressors on the packed section (channels of 5,000 transactions, history cold)\n"
    );
    println!(
        "B/tx of the whole channel: compressed packed section + stored section (64 B signature + \
         20 B per new address). Speeds in MB/s of packed section, one core.\n"
    );
    print!("| workload | order | packed raw | stored |");
    for (name, ..) in &codecs {
        print!(" {name} |");
    }
    println!(" brotli-11 over both sections | zstd-19 over both sections |");
    print!("|---|---|---|---|");
    for _ in 0..codecs.len() + 2 {
        print!("---|");
    }
    println!();
    let mut speeds = vec![(0usize, 0f64, 0f64); codecs.len()];
    for data in &datasets {
        let size = 5_000.min(n);
        let sections = over_channels(data, size, HistoryMode::Cold, |blocks, history| {
            encode_batch(blocks, history, CHAIN_ID).expect("encodes")
        });
        let packed: usize = sections.iter().map(|s| s.packed.len()).sum();
        let stored: usize = sections.iter().map(|s| s.stored.len()).sum();
        let txs = data.main.txs;
        print!(
            "| {} | {} | {:.1} | {:.1} |",
            data.workload.name(),
            data.pattern.name(),
            per_tx(packed, txs),
            per_tx(stored, txs)
        );
        for (k, (_, enc, dec)) in codecs.iter().enumerate() {
            let t = Instant::now();
            let compressed: Vec<Vec<u8>> = sections.iter().map(|s| enc(&s.packed)).collect();
            let enc_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for (c, s) in compressed.iter().zip(&sections) {
                assert_eq!(dec(c), s.packed);
            }
            let dec_s = t.elapsed().as_secs_f64();
            speeds[k].0 += packed;
            speeds[k].1 += enc_s;
            speeds[k].2 += dec_s;
            let total: usize = compressed.iter().map(Vec::len).sum::<usize>() + stored;
            print!(" {:.2} |", per_tx(total, txs));
        }
        let joined =
            |s: &ol_protocol::batch::BatchSections| [s.packed.as_slice(), &s.stored].concat();
        let b11: usize = sections.iter().map(|s| brotli(&joined(s), 11, 24).len()).sum();
        let z19: usize = sections
            .iter()
            .map(|s| zstd::bulk::compress(&joined(s), 19).expect("compresses").len())
            .sum();
        println!(" {:.2} | {:.2} |", per_tx(b11, txs), per_tx(z19, txs));
    }
    print!("| speed (compress / decompress MB/s) | | | |");
    for (bytes, enc_s, dec_s) in &speeds {
        print!(" {:.1} / {:.0} |", *bytes as f64 / enc_s / 1e6, *bytes as f64 / dec_s / 1e6);
    }
    println!(" | |");

    println!("\n### Codec speed (whole channels, one core, history cold, channels of 5,000)\n");
    println!("MB/s of raw transaction bytes (EIP-2718) in and out.\n");
    println!(
        "| workload | order | OP encode (span + brotli-10) | ours encode | ours decode (inflate, parse, rebuild) |"
    );
    println!("|---|---|---|---|---|");
    for data in &datasets {
        let size = 5_000.min(n);
        let mb = data.main.raw_bytes as f64 / 1e6;
        let t = Instant::now();
        let _ = op(data, size, 10);
        let op_s = t.elapsed().as_secs_f64();
        let mut enc_s = 0.0;
        let channels = over_channels(data, size, HistoryMode::Cold, |blocks, history| {
            let t = Instant::now();
            let data = encode_channel_with(blocks, history, CHAIN_ID, Compression::Brotli)
                .expect("encodes");
            enc_s += t.elapsed().as_secs_f64();
            (data, history.clone())
        });
        let t = Instant::now();
        let mut txs = 0;
        for (channel, history) in &channels {
            let batch = decode_channel(channel)
                .expect("decodes")
                .resolve(CHAIN_ID, history)
                .expect("resolves");
            txs += batch.blocks.iter().map(|b| b.transactions.len()).sum::<usize>();
        }
        let dec_s = t.elapsed().as_secs_f64();
        assert_eq!(txs, data.main.txs);
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} |",
            data.workload.name(),
            data.pattern.name(),
            mb / op_s,
            mb / enc_s,
            mb / dec_s
        );
    }
}
