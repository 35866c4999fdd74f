//! The batcher binary against a real L1 (anvil) and a real sequencer: what it posts to the
//! inbox, read back with derivation's rules (inbox events, calldata or beacon blobs, OP frames,
//! the batch codec), is exactly the L2 chain the sequencer serves, block for block, with no
//! gap and no overlap, also across a `kill -9`, and garbage in the inbox changes nothing.

use crate::{
    harness::{ADDR1, KEY0, TestNode},
    l1::{cast, head, start_node, wait_for},
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

/// A running `ol-batcher`, killed on drop (its log is printed if the test is failing, or with
/// `OL_TEST_LOGS=1`).
pub(crate) struct Batcher(Child, PathBuf);

impl Batcher {
    pub(crate) fn start(l1: &L1Devnet, l2: &str, log_path: &Path, extra: &[&str]) -> Self {
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(log_path).expect("log");
        let child = Command::new(batcher_bin())
            .args(["--l1.rpc", &l1.url, "--l2.rpc", l2, "--rollup.config"])
            .arg(&l1.rollup)
            .args(["--rpc.addr", "127.0.0.1:0", "--poll-interval", "200ms"])
            // One confirmation unless the test asks for more.
            .args(if extra.contains(&"--num-confirmations") {
                &[][..]
            } else {
                &["--num-confirmations", "1"][..]
            })
            .args(extra)
            .env("OL_BATCHER_PRIVATE_KEY", BATCHER_KEY)
            .env("RUST_LOG", "info,batcher=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn ol-batcher");
        Self(child, log_path.to_path_buf())
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
        if std::thread::panicking() || std::env::var_os("OL_TEST_LOGS").is_some() {
            let log = std::fs::read_to_string(&self.1).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(crate::harness::log_tail())..];
            eprintln!(
                "---- last {} lines of {} ----\n{}",
                tail.len(),
                self.1.display(),
                tail.join("\n")
            );
        }
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
    let (mut posted, _) = posted_channels(l1, &l2);
    // In the order derivation takes them: a channel that lands after a later one (its first
    // attempt reverted and it was sent again) waits as a future batch (BATCH_FORMAT.md §8).
    posted.sort_by_key(|c| c.batch.header.first_number);
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
pub(crate) fn wait_posted(l1: &L1Devnet, l2: &str, through: u64, log: &Path, timeout: Duration) {
    let start = std::time::Instant::now();
    while posted_through(l1, l2).is_none_or(|p| p < through) {
        if start.elapsed() > timeout {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("not posted through L2 block {through} within {timeout:?}; batcher log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

pub(crate) fn posted_through(l1: &L1Devnet, l2_url: &str) -> Option<u64> {
    let l2 = L2Client::new(l2_url).expect("L2 client");
    let genesis_l1 = l1.rollup_config().genesis.l1.number;
    runtime().block_on(reader(l1).posted_through(&l2, genesis_l1)).expect("posted_through")
}

/// Sends `n` L2 transfers from dev account 0 and returns the L2 block of the last.
pub(crate) fn l2_transfers(l2: &str, n: usize) -> u64 {
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
    // Another sender's call is refused by the inbox and leaves no event behind.
    let (ok, _, err) = crate::harness::run(Command::new(crate::harness::foundry("cast")).args([
        "send",
        "--rpc-url",
        &l1.url,
        "--private-key",
        KEY0,
        &inbox,
        "submitBatch(bytes)",
        "0x00",
    ]));
    assert!(!ok && err.contains("revert"), "the inbox took a batch from another sender: {err}");
    let last = l2_transfers(&node.url, 6);
    assert_eq!(tag_number(&node.url, "safe"), 0, "nothing is safe before the batcher posts");
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

    // The admin API: stopped, nothing more is posted; started again, it catches up.
    let text = std::fs::read_to_string(&log).expect("log");
    let admin = text
        .lines()
        .find_map(|l| l.split("admin RPC listening addr=").nth(1))
        .map(|rest| format!("http://{}", rest.split_whitespace().next().unwrap_or_default()))
        .expect("admin address in the log");
    let rpc = |method: &str| -> serde_json::Value {
        serde_json::from_str(&cast(&["rpc", "--rpc-url", &admin, method])).expect("json")
    };
    assert_eq!(rpc("admin_batcherStatus")["running"], true);
    rpc("admin_stopBatcher");
    // A step that began before the stop may still send; let it finish (poll is 200 ms).
    std::thread::sleep(Duration::from_millis(600));
    // What is in flight is still followed to its confirmation, nothing new is sent.
    let start = std::time::Instant::now();
    let status = loop {
        let status = rpc("admin_batcherStatus");
        if status["inFlight"] == 0 {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "in flight while stopped: {status}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status["running"], false, "{status}");
    assert!(status["feesSpentWei"].as_str().is_some_and(|w| w != "0"), "{status}");
    let stopped_at = posted_through(&l1, &node.url).expect("posted");
    let more = l2_transfers(&node.url, 1);
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(posted_through(&l1, &node.url), Some(stopped_at), "posted while stopped");
    assert!(stopped_at < more);
    rpc("admin_startBatcher");
    wait_posted(&l1, &node.url, more, &log, Duration::from_secs(60));
    assert_posted_exactly(&l1, &node.url, more);

    // The sequencer's safe head follows the batches on confirmed L1 blocks, finalized the ones
    // on finalized L1 blocks; neither passes what is posted.
    wait_for("safe to reach the posted blocks", Duration::from_secs(60), || {
        tag_number(&node.url, "safe") >= more
    });
    wait_for("finalized to reach the posted blocks", Duration::from_secs(90), || {
        tag_number(&node.url, "finalized") >= more
    });
    let posted = posted_through(&l1, &node.url).expect("posted");
    assert!(tag_number(&node.url, "safe") <= posted);
    assert!(tag_number(&node.url, "finalized") <= tag_number(&node.url, "safe"));
    drop(node);
}

/// The number of the L2 block a tag names.
pub(crate) fn tag_number(l2: &str, tag: &str) -> u64 {
    cast(&["block", tag, "--field", "number", "--rpc-url", l2]).parse().expect("number")
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

/// The batcher's own hashes from its log: (sent, bumped replacements).
fn logged_hashes(log: &str) -> (Vec<String>, Vec<String>) {
    let hash = |line: &str| {
        line.split("hash=").nth(1).map(|rest| rest.chars().take(66).collect::<String>())
    };
    let sent = log.lines().filter(|l| l.contains("payload sent")).filter_map(hash).collect();
    let bumped = log.lines().filter(|l| l.contains("fees bumped")).filter_map(hash).collect();
    (sent, bumped)
}

/// Whether the batcher has a transaction in the L1 pool (its pending nonce is ahead).
fn batcher_tx_pending(l1: &L1Devnet) -> bool {
    let nonce = |tag: &str| -> u64 {
        l1.cast(&["nonce", "--block", tag, &crate::l1_harness::BATCHER.to_string()])
            .parse()
            .expect("nonce")
    };
    nonce("pending") > nonce("latest")
}

#[test]
fn a_stuck_blob_transaction_is_replaced_with_bumped_fees() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("node"));
    let log = dir.path().join("batcher.log");
    let args = [
        "--data-availability",
        "blobs",
        "--max-channel-duration",
        "1",
        "--resubmission-timeout",
        "2s",
    ];
    let _batcher = Batcher::start(&l1, &node.url, &log, &args);
    // Once batches flow, L1 stops mining on its own and is mined one block at a time: the
    // next channel closes on a mined block and its transaction then waits in the pool for good.
    let first = l2_transfers(&node.url, 1);
    wait_posted(&l1, &node.url, first, &log, Duration::from_secs(90));
    l1.cast(&["rpc", "evm_setIntervalMining", "0"]);
    l2_transfers(&node.url, 1);
    let start = std::time::Instant::now();
    while !batcher_tx_pending(&l1) {
        assert!(start.elapsed() < Duration::from_secs(90), "never caught a pending batch tx");
        l1.cast(&["rpc", "anvil_mine", "1"]);
        std::thread::sleep(Duration::from_millis(1500));
    }
    let stuck_sent = logged_hashes(&std::fs::read_to_string(&log).expect("log")).0.len();
    // The resubmission timeout is 2 s; wait for the bump with a generous bound, not a fixed time.
    let start = std::time::Instant::now();
    let sent = loop {
        let (sent, bumped) = logged_hashes(&std::fs::read_to_string(&log).expect("log"));
        if !bumped.is_empty() {
            break sent;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no fee bump after 60 s stuck (sent {stuck_sent})"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    l1.cast(&["rpc", "evm_setIntervalMining", "1"]);
    let last = l2_transfers(&node.url, 1);
    wait_posted(&l1, &node.url, last, &log, Duration::from_secs(90));
    assert_posted_exactly(&l1, &node.url, last);
    // The stuck attempt never landed; its replacement did.
    let l2 = L2Client::new(&node.url).expect("L2 client");
    let landed: Vec<String> =
        posted_channels(&l1, &l2).1.iter().map(|p| p.tx_hash.to_string()).collect();
    let stuck = &sent[stuck_sent - 1];
    assert!(!landed.contains(stuck), "the stuck attempt {stuck} landed");
    // Another bump may go out between reading the log and L1 mining again: read it again.
    let bumped = logged_hashes(&std::fs::read_to_string(&log).expect("log")).1;
    // A replacement took the nonce. (Seen once in ~10 runs: anvil mined a replacement sent
    // just before mining resumed and it reverted; the batcher then sent the channel again with
    // the next nonce, after the following channel: derivation holds that one as a future batch.)
    let mined = |h: &String| l1.cast(&["rpc", "eth_getTransactionReceipt", h]) != "null";
    assert!(bumped.iter().any(mined), "no replacement was mined: {bumped:?}");
    if !bumped.iter().any(|h| landed.contains(h)) {
        eprintln!("the mined replacement reverted; the channel landed with a later nonce");
    }
}

#[test]
fn a_batch_reorged_out_of_l1_is_posted_again() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("node"));
    let log = dir.path().join("batcher.log");
    let args = [
        "--data-availability",
        "calldata",
        "--max-channel-duration",
        "1",
        "--num-confirmations",
        "6",
    ];
    let _batcher = Batcher::start(&l1, &node.url, &log, &args);
    let first = l2_transfers(&node.url, 1);
    let reader = reader(&l1);
    let rt = runtime();
    let genesis_l1 = l1.rollup_config().genesis.l1.number;
    // Wait for the first batch to land, then reorg it away before it is 6 blocks deep.
    let start = std::time::Instant::now();
    let landed = loop {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no batch landed; batcher log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let found = rt.block_on(reader.payloads(genesis_l1, head(&l1.url))).expect("payloads");
        if let Some(p) = found.first() {
            break p.clone();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let depth = head(&l1.url) - landed.l1_block + 1;
    l1.cast(&["rpc", "anvil_reorg", &depth.to_string(), "[]"]);
    let last = l2_transfers(&node.url, 2).max(first);
    wait_posted(&l1, &node.url, last, &log, Duration::from_secs(90));
    assert_posted_exactly(&l1, &node.url, last);
    let log = std::fs::read_to_string(&log).expect("log");
    // Seen either as a reorged inclusion or, when the reorg came before the receipt was read,
    // as a transaction L1 no longer knows; both are sent again at once, not after the 48 s
    // resubmission timeout.
    assert!(
        log.contains("batch reorged out of L1") || log.contains("dropped from the L1 pool"),
        "the batcher never saw the reorg:\n{log}"
    );
    assert!(!log.contains("fees bumped"), "re-sent only after the resubmission timeout:\n{log}");
}
