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

    let (genesis, rollup) = (l1.genesis.display().to_string(), l1.rollup.display().to_string());
    let follower = TestNode::start_with(
        &dir.path().join("follower"),
        &[
            "--chain",
            &genesis,
            "--rollup.config",
            &rollup,
            "--l1.rpc",
            &l1.url,
            "--follow-l1",
            "--l1.poll-interval",
            "200ms",
        ],
    );
    wait_for("the follower to derive the posted blocks", Duration::from_secs(120), || {
        crate::l1::head(&follower.url) >= last
    });
    for number in 1..=last {
        for field in ["hash", "stateRoot"] {
            assert_eq!(
                block_field(&follower.url, number, field),
                block_field(&node.url, number, field),
                "{field} of block {number}"
            );
        }
    }
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
}
