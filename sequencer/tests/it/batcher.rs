//! The batcher binary against a real L1 (anvil) and a real sequencer: what it posts to the
//! inbox, read back with derivation's rules (inbox events, calldata or beacon blobs, OP frames,
//! the batch codec), is exactly the L2 chain the sequencer serves, block for block, with no
//! gap and no overlap, also across a `kill -9`, and garbage in the inbox changes nothing.

use crate::{
    harness::{ADDR1, KEY0, TestNode},
    l1::{cast, head, start_node},
    l1_harness::{BATCHER_KEY, L1Devnet},
};
use alloy_provider::RootProvider;
use ol_batcher::{
    l2::L2Client,
    readback::{FoundPayload, InboxReader},
};
use ol_protocol::batch::{AddressHistory, Batch, ChannelAssembler, decode_channel, parse_payload};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// `ol-batcher`, built next to `ol-node` (`deploy/test.sh` builds every binary first).
fn batcher_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_ol-node")).with_file_name("ol-batcher");
    assert!(bin.exists(), "{} missing: run `cargo build --workspace --bins` first", bin.display());
    bin
}

struct Batcher(Child);

impl Batcher {
    fn start(l1: &L1Devnet, l2: &str, log: &Path, extra: &[&str]) -> Self {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log");
        let child = Command::new(batcher_bin())
            .args(["--l1.rpc", &l1.url, "--l2.rpc", l2, "--rollup.config"])
            .arg(&l1.rollup)
            .args(["--rpc.addr", "127.0.0.1:0", "--poll-interval", "200ms"])
            .args(["--num-confirmations", "1"])
            .args(extra)
            .env("OL_BATCHER_PRIVATE_KEY", BATCHER_KEY)
            .env("RUST_LOG", "info,batcher=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn ol-batcher");
        Self(child)
    }

    fn kill9(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn reader(l1: &L1Devnet) -> InboxReader {
    let provider = RootProvider::new_http(l1.url.parse().expect("url"));
    InboxReader::new(provider, &l1.url, l1.inbox)
}

/// A channel found complete on L1: its blocks, resolved against the node's own chain.
#[derive(Debug)]
struct Posted {
    l1_block: u64,
    blob: bool,
    batch: Batch,
}

/// Every complete channel in the inbox, in the order its last frame landed, resolved with the
/// address history of the L2 blocks before it (read from the node, as derivation has them).
fn posted_channels(l1: &L1Devnet, l2: &L2Client) -> (Vec<Posted>, Vec<FoundPayload>) {
    let rt = runtime();
    let reader = reader(l1);
    let genesis_l1 = l1.rollup_config().genesis.l1.number;
    let to = head(&l1.url);
    let payloads = rt.block_on(reader.payloads(genesis_l1, to)).expect("inbox payloads");
    let mut open: HashMap<[u8; 16], ChannelAssembler> = HashMap::new();
    let mut posted = Vec::new();
    let chain_id = l1.rollup_config().l2_chain_id;
    for payload in &payloads {
        let Ok(frames) = parse_payload(&payload.data) else { continue };
        for frame in frames {
            let id = frame.id;
            let assembler =
                open.entry(id).or_insert_with(|| ChannelAssembler::new(id, payload.l1_block));
            if assembler.add_frame(frame).is_err() || !assembler.is_ready() {
                continue;
            }
            let data = assembler.data().expect("a ready channel has data");
            open.remove(&id);
            let raw = decode_channel(&data).expect("the batcher's channels decode");
            let first = raw.header().first_number;
            let before: Vec<_> = (1..first)
                .map(|n| rt.block_on(l2.block(n)).expect("L2 block").expect("exists"))
                .collect();
            let history = AddressHistory::from_blocks(
                before.iter().map(|b| (b.number, b.transactions.iter().map(|t| &t[..]))),
            )
            .expect("history");
            let batch = raw.resolve(chain_id, &history).expect("resolves");
            posted.push(Posted { l1_block: payload.l1_block, blob: payload.blob, batch });
        }
    }
    (posted, payloads)
}

/// Asserts that the channels cover L2 blocks 1..=through in order with no gap and no overlap,
/// and that each block is exactly the node's: timestamp, L1 origin and transaction bytes; and
/// that each channel's first block names the node's parent hash.
fn assert_posted_exactly(l1: &L1Devnet, l2_url: &str, through: u64) -> Vec<Posted> {
    let l2 = L2Client::new(l2_url).expect("L2 client");
    let rt = runtime();
    let (posted, _) = posted_channels(l1, &l2);
    let mut next = 1;
    for channel in &posted {
        let header = &channel.batch.header;
        assert_eq!(header.first_number, next, "channels must follow on: {posted:#?}");
        let parent = rt.block_on(l2.block_hash(next - 1)).expect("rpc").expect("parent");
        assert_eq!(header.parent_check, parent[..20], "parent check of block {next}");
        for block in &channel.batch.blocks {
            let ours = rt.block_on(l2.block(block.number)).expect("rpc").expect("L2 block");
            assert_eq!(block.timestamp, ours.timestamp, "timestamp of {}", block.number);
            assert_eq!(block.l1_origin, ours.origin_number, "origin of {}", block.number);
            assert_eq!(block.transactions, ours.transactions, "transactions of {}", block.number);
            next = block.number + 1;
        }
    }
    assert!(next > through, "posted through {} only, wanted {through}", next - 1);
    posted
}

/// Waits until the inbox covers L2 block `through`; shows the batcher's log if it never does.
fn wait_posted(l1: &L1Devnet, l2: &str, through: u64, log: &Path, timeout: Duration) {
    let start = std::time::Instant::now();
    while posted_through(l1, l2).is_none_or(|p| p < through) {
        if start.elapsed() > timeout {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("not posted through L2 block {through} within {timeout:?}; batcher log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn posted_through(l1: &L1Devnet, l2_url: &str) -> Option<u64> {
    let l2 = L2Client::new(l2_url).expect("L2 client");
    let genesis_l1 = l1.rollup_config().genesis.l1.number;
    runtime().block_on(reader(l1).posted_through(&l2, genesis_l1)).expect("posted_through")
}

/// Sends `n` L2 transfers from dev account 0 and returns the L2 block of the last.
fn l2_transfers(l2: &str, n: usize) -> u64 {
    let mut block = 0;
    for i in 0..n {
        let out = cast(&[
            "send",
            "--rpc-url",
            l2,
            "--private-key",
            KEY0,
            "--json",
            ADDR1,
            "--value",
            &(1_000 + i).to_string(),
        ]);
        let receipt: serde_json::Value = serde_json::from_str(&out).expect("receipt");
        block = u64::from_str_radix(
            receipt["blockNumber"].as_str().expect("block").trim_start_matches("0x"),
            16,
        )
        .expect("hex");
    }
    block
}

#[test]
fn calldata_batches_read_back_to_the_exact_chain_and_garbage_is_ignored() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("node"));
    // Garbage in the inbox from the batcher's own key (the only sender the inbox records):
    // bytes that are no payload, and a payload of a frame of a channel that never completes.
    let inbox = l1.inbox.to_string();
    for data in ["0xdeadbeef", "0x00112233445566778899aabbccddeeff00000000000005010203"] {
        l1.cast(&["send", "--private-key", BATCHER_KEY, &inbox, "submitBatch(bytes)", data]);
    }
    let last = l2_transfers(&node.url, 6);
    let log = dir.path().join("batcher.log");
    let _batcher = Batcher::start(
        &l1,
        &node.url,
        &log,
        &["--data-availability", "calldata", "--max-channel-duration", "2"],
    );
    wait_posted(&l1, &node.url, last, &log, Duration::from_secs(90));
    let posted = assert_posted_exactly(&l1, &node.url, last);
    assert!(posted.iter().all(|c| !c.blob), "calldata mode posts no blobs");
    let txs: usize =
        posted.iter().flat_map(|c| &c.batch.blocks).map(|b| b.transactions.len()).sum();
    assert_eq!(txs, 6, "every transfer is posted once");
    let l1_blocks: Vec<u64> = posted.iter().map(|c| c.l1_block).collect();
    assert!(l1_blocks.windows(2).all(|w| w[0] <= w[1]), "channels land in order");
    drop(node);
}

#[test]
fn blob_batches_survive_kill_9_with_no_gap_and_no_duplicate() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node: TestNode = start_node(&l1, &dir.path().join("node"));
    let log = dir.path().join("batcher.log");
    let blobs = ["--data-availability", "blobs", "--max-channel-duration", "1"];
    let batcher = Batcher::start(&l1, &node.url, &log, &blobs);
    let first = l2_transfers(&node.url, 3);
    wait_posted(&l1, &node.url, first, &log, Duration::from_secs(90));
    // Killed while it keeps posting a channel every L1 block or two.
    std::thread::sleep(Duration::from_millis(1_500));
    batcher.kill9();
    let last = l2_transfers(&node.url, 3);
    let _batcher = Batcher::start(&l1, &node.url, &log, &blobs);
    wait_posted(&l1, &node.url, last, &log, Duration::from_secs(120));
    let posted = assert_posted_exactly(&l1, &node.url, last);
    assert!(posted.iter().all(|c| c.blob), "blob mode posts blobs");
    let log = std::fs::read_to_string(&log).expect("log");
    assert_eq!(log.matches("resuming from L1").count(), 2, "two starts:\n{log}");
}
