//! `ol-node --follow-l1`: a fresh node with an empty datadir and only the L1 endpoint, the
//! rollup config and the genesis derives the chain the sequencer posted, block for block with
//! the same hashes and state roots, deposits included; it takes no transactions.

use crate::{
    batcher::{Batcher, l2_transfers, tag_number, wait_posted},
    harness::{ADDR1, TestNode, foundry, run},
    l1::{cast, deposit_open, start_node, wait_for},
    l1_harness::L1Devnet,
};
use std::{process::Command, time::Duration};

/// `ol-node --follow-l1` on `l1` with an empty datadir.
fn start_follower(l1: &L1Devnet, datadir: &std::path::Path) -> TestNode {
    let (genesis, rollup) = (l1.genesis.display().to_string(), l1.rollup.display().to_string());
    let args = ["--chain", &genesis, "--rollup.config", &rollup, "--l1.rpc", &l1.url];
    let mut all = args.to_vec();
    all.extend_from_slice(&["--follow-l1", "--l1.poll-interval", "200ms"]);
    TestNode::start_with(datadir, &all)
}

fn block_field(url: &str, number: u64, field: &str) -> String {
    cast(&["block", &number.to_string(), "--field", field, "--rpc-url", url])
}

#[test]
fn a_follower_derives_the_posted_chain_with_the_same_hashes() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("sequencer"));
    let log = dir.path().join("batcher.log");
    let _batcher = Batcher::start(
        &l1,
        &node.url,
        &log,
        &["--data-availability", "blobs", "--max-channel-duration", "1"],
    );
    l2_transfers(&node.url, 3);
    // A deposit from L1 lands in the first block of its epoch; the follower must mint it too.
    let recipient = "0x000000000000000000000000000000000000bEEF";
    let amount = "1000000000000000000";
    deposit_open(&l1, recipient, amount);
    wait_for("the deposit on L2", Duration::from_secs(60), || {
        cast(&["balance", recipient, "--rpc-url", &node.url]) == amount
    });
    let last = l2_transfers(&node.url, 3);
    wait_posted(&l1, &node.url, last, &log, Duration::from_secs(90));

    let follower = start_follower(&l1, &dir.path().join("follower"));
    wait_for("the follower to derive the posted blocks", Duration::from_secs(120), || {
        crate::l1::head(&follower.url) >= last
    });
    assert_same_chain(&follower.url, &node.url, last);
    let at = last.to_string();
    assert_eq!(cast(&["balance", recipient, "--rpc-url", &follower.url, "--block", &at]), amount);
    assert_eq!(
        cast(&["balance", ADDR1, "--rpc-url", &follower.url, "--block", &at]),
        cast(&["balance", ADDR1, "--rpc-url", &node.url, "--block", &at]),
    );
    assert!(tag_number(&follower.url, "safe") >= last, "derived blocks are safe");

    // It takes no transactions, with a clear error.
    let (ok, _, err) = run(Command::new(foundry("cast")).args([
        "send",
        "--rpc-url",
        &follower.url,
        "--private-key",
        crate::harness::KEY0,
        ADDR1,
        "--value",
        "1",
    ]));
    assert!(!ok && err.contains("follow-l1"), "{err}");

    // Killed and restarted on its datadir, it continues from its last batch boundary.
    follower.kill9();
    let more = l2_transfers(&node.url, 2);
    wait_posted(&l1, &node.url, more, &log, Duration::from_secs(90));
    let follower = start_follower(&l1, &dir.path().join("follower"));
    wait_for("the restarted follower to catch up", Duration::from_secs(120), || {
        crate::l1::head(&follower.url) >= more
    });
    assert_same_chain(&follower.url, &node.url, more);
    assert!(follower.terminate(), "the follower exits cleanly on SIGTERM");
}

/// Every block up to `through` has the same hash and state root on both nodes.
fn assert_same_chain(a: &str, b: &str, through: u64) {
    for number in 1..=through {
        for field in ["hash", "stateRoot"] {
            assert_eq!(
                block_field(a, number, field),
                block_field(b, number, field),
                "{field} of block {number}"
            );
        }
    }
}

#[test]
fn without_a_sequencer_deposits_are_forced_in_after_the_sequencing_window() {
    // A short window (8 L1 blocks) so the test does not wait 100 s.
    let l1 = L1Devnet::start_with(&["--seq-window-size", "8", "--channel-timeout", "4"]);
    let dir = tempfile::tempdir().expect("tempdir");
    // No sequencer and no batcher: only a user depositing on L1.
    let recipient = "0x000000000000000000000000000000000000bEEF";
    let amount = "2000000000000000000";
    let receipt = deposit_open(&l1, recipient, amount);
    let deposit_l1 = u64::from_str_radix(
        receipt["blockNumber"].as_str().expect("number").trim_start_matches("0x"),
        16,
    )
    .expect("number");
    let follower = start_follower(&l1, &dir.path().join("follower"));
    wait_for("the forced deposit", Duration::from_secs(90), || {
        cast(&["balance", recipient, "--rpc-url", &follower.url]) == amount
    });
    // It came in the first L2 block whose origin is the deposit's L1 block, with no user
    // transaction anywhere (nobody sequenced).
    let head = crate::l1::head(&follower.url);
    let mut minted_in = None;
    for number in 1..=head {
        let block: serde_json::Value = serde_json::from_str(&cast(&[
            "rpc",
            "eth_getBlockByNumber",
            &format!("0x{number:x}"),
            "true",
            "--rpc-url",
            &follower.url,
        ]))
        .expect("block");
        let txs = block["transactions"].as_array().expect("txs");
        assert!(txs.iter().all(|t| t["type"] == "0x7e"), "only deposits in forced blocks");
        if txs.len() > 1 && minted_in.is_none() {
            minted_in = Some(number);
        }
    }
    let minted_in = minted_in.expect("a block with the user deposit");
    let origin: u64 = cast(&[
        "call",
        "0x4200000000000000000000000000000000000015",
        "number()(uint64)",
        "--rpc-url",
        &follower.url,
        "--block",
        &minted_in.to_string(),
    ])
    .parse()
    .expect("origin");
    assert_eq!(origin, deposit_l1, "minted in the first block of the deposit's epoch");
}

#[test]
fn a_sequencer_down_past_the_window_continues_on_the_forced_chain() {
    // Window 20 L1 blocks (anvil mines one a second), so the outage is short; wide enough
    // beside the confirmation depth (2) and the late margin (4) for normal sequencing.
    let l1 = L1Devnet::start_with(&["--seq-window-size", "20", "--channel-timeout", "4"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let seq_dir = dir.path().join("sequencer");
    let node = start_node(&l1, &seq_dir);
    let log = dir.path().join("batcher.log");
    let batcher = Batcher::start(&l1, &node.url, &log, &["--max-channel-duration", "1"]);
    let before = l2_transfers(&node.url, 2);
    wait_posted(&l1, &node.url, before, &log, Duration::from_secs(90));
    assert!(node.terminate(), "the sequencer exits cleanly on SIGTERM");
    drop(batcher);

    // While it is down, a deposit arrives; the window of its epoch closes with no batch.
    let recipient = "0x000000000000000000000000000000000000bEEF";
    let amount = "3000000000000000000";
    let receipt = deposit_open(&l1, recipient, amount);
    let deposit_l1 = u64::from_str_radix(
        receipt["blockNumber"].as_str().expect("number").trim_start_matches("0x"),
        16,
    )
    .expect("number");
    let follower = start_follower(&l1, &dir.path().join("follower"));
    wait_for("the follower to force the deposit in", Duration::from_secs(90), || {
        cast(&["balance", recipient, "--rpc-url", &follower.url]) == amount
    });
    let forced_head = crate::l1::head(&follower.url);
    assert!(
        cast(&["block-number", "--rpc-url", &l1.url]).parse::<u64>().expect("l1 head")
            >= deposit_l1 + 20,
        "forced only after the window"
    );

    // Restarted, the sequencer adopts the forced blocks (its own unposted blocks go) and
    // sequences on from them; what it posts next derives on the follower with the same hashes.
    let node = start_node(&l1, &seq_dir);
    // The node listens on a new port; the batcher restarts from what the inbox holds.
    let _batcher = Batcher::start(&l1, &node.url, &log, &["--max-channel-duration", "1"]);
    wait_for("the sequencer to reach the forced chain", Duration::from_secs(90), || {
        crate::l1::head(&node.url) >= forced_head
    });
    let minted = cast(&["balance", recipient, "--rpc-url", &node.url]);
    assert_eq!(minted, amount, "the forced deposit is on the sequencer's chain, once");
    let after = l2_transfers(&node.url, 2);
    // The block that took them must stay: its batch is accepted, not replaced by a forced one.
    let included = block_field(&node.url, after, "hash");
    wait_posted(&l1, &node.url, after, &log, Duration::from_secs(120));
    wait_for("the follower to derive the new batches", Duration::from_secs(120), || {
        crate::l1::head(&follower.url) >= after
    });
    assert_same_chain(&follower.url, &node.url, after);
    assert_eq!(block_field(&follower.url, after, "hash"), included, "the transfers' block is kept");
    wait_for("the sequencer's safe head", Duration::from_secs(60), || {
        tag_number(&node.url, "safe") >= after
    });
}
