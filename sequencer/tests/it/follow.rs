//! `ol-node --follow-l1`: a fresh node with an empty datadir and only the L1 endpoint, the
//! rollup config and the genesis derives the chain the sequencer posted, block for block with
//! the same hashes and state roots, deposits included; it takes no transactions.

use crate::{
    batcher::{Batcher, l2_transfers, tag_number, wait_posted},
    harness::{ADDR1, KEY0, TestNode, creation_code, foundry, run},
    l1::{cast, deposit_open, start_node, wait_for},
    l1_harness::{BATCHER_KEY, L1Devnet},
};
use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use ol_precompiles::abi::{IInfluenceAttribution as I, INFLUENCE_ADDRESS};
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
    // A contract deployment, ERC-20 transfers, and the influence-attribution precompile: a
    // datanet, its points and a recorded score, all on the chain the follower must rebuild.
    let send = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["send", "--rpc-url", &node.url, "--private-key", KEY0, "--json"];
        all.extend_from_slice(args);
        let receipt: serde_json::Value = serde_json::from_str(&cast(&all)).expect("receipt");
        assert_eq!(receipt["status"], "0x1", "{args:?}: {receipt}");
        receipt
    };
    let code = creation_code("TestToken");
    let token = send(&["--create", &code, "constructor(uint256)", "1000000"])["contractAddress"]
        .as_str()
        .expect("contract address")
        .to_string();
    for amount in ["250", "17"] {
        send(&[&token, "transfer(address,uint256)", ADDR1, amount]);
    }
    let influence = INFLUENCE_ADDRESS.to_string();
    let hex = |data: Vec<u8>| format!("0x{}", alloy_primitives::hex::encode(data));
    send(&[&influence, &hex(I::createDatanetCall { dim: 64 }.abi_encode())]);
    let contributors = vec![Address::repeat_byte(0x11), Address::repeat_byte(0x22)];
    let sketches: Vec<u8> = (0..128u8).map(|i| i.wrapping_mul(7) % 5).collect();
    let add = I::addPointsCall { datanetId: 1, contributors, sketches: sketches.into() };
    send(&[&influence, &hex(add.abi_encode())]);
    let query: Vec<u8> = (0..64u8).map(|i| i % 3).collect();
    let score = I::scoreCall {
        datanetIds: vec![1],
        querySketch: query.clone().into(),
        topK: 0,
        topPoints: 2,
    };
    let record = I::recordScoreCall {
        datanetIds: vec![1],
        querySketch: query.into(),
        topK: 0,
        topPoints: 2,
    };
    let recorded = send(&[&influence, &hex(record.abi_encode())])["transactionHash"].clone();
    let last = l2_transfers(&node.url, 3);
    let follower = follow_through(&l1, &node.url, &log, dir.path(), last);
    // The precompiles' indexes, rebuilt by the follower from derived blocks, answer alike.
    let at = last.to_string();
    let score = hex(score.abi_encode());
    let answers = |url: &str| {
        let rpc = |method: &str, params: serde_json::Value| {
            let body =
                serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
            let rt =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
            rt.block_on(crate::harness::raw_rpc(url, body.to_string())).1["result"].clone()
        };
        (
            cast(&["call", &influence, &score, "--rpc-url", url, "--block", &at]),
            rpc("ol_datanet", serde_json::json!([1])),
            rpc("ol_attribution", serde_json::json!([recorded])),
            cast(&["call", &token, "balanceOf(address)(uint256)", ADDR1, "--rpc-url", url]),
        )
    };
    let (on_follower, on_sequencer) = (answers(&follower.url), answers(&node.url));
    assert!(on_sequencer.2.as_array().is_some_and(|a| !a.is_empty()), "{on_sequencer:?}");
    assert_eq!(on_sequencer.3, "267");
    assert_eq!(on_follower, on_sequencer);
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

/// Waits until the batcher posted L2 block `last`, then starts a follower in `dir/follower`
/// and checks that it derives the sequencer's chain up to it.
fn follow_through(
    l1: &L1Devnet,
    sequencer: &str,
    log: &std::path::Path,
    dir: &std::path::Path,
    last: u64,
) -> TestNode {
    wait_posted(l1, sequencer, last, log, Duration::from_secs(90));
    let follower = start_follower(l1, &dir.join("follower"));
    wait_for("the follower to derive the posted blocks", Duration::from_secs(120), || {
        crate::l1::head(&follower.url) >= last
    });
    assert_same_chain(&follower.url, sequencer, last);
    follower
}

/// Every block up to `through` has the same hash and state root on both nodes (read in
/// JSON-RPC batches: one cast call per field and block takes minutes on a long chain).
fn assert_same_chain(a: &str, b: &str, through: u64) {
    let headers = |url: &str| -> Vec<(String, String)> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let mut out = Vec::new();
        for chunk in (1..=through).collect::<Vec<_>>().chunks(100) {
            let batch: Vec<_> = chunk
                .iter()
                .map(|n| {
                    serde_json::json!({"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber",
                        "params": [format!("0x{n:x}"), false]})
                })
                .collect();
            let (status, reply) = rt
                .block_on(crate::harness::raw_rpc(url, serde_json::Value::from(batch).to_string()));
            assert_eq!(status, 200, "{reply}");
            let mut replies = reply.as_array().expect("batch reply").clone();
            replies.sort_by_key(|r| r["id"].as_u64());
            for r in replies {
                let field = |f: &str| r["result"][f].as_str().unwrap_or("missing").to_string();
                out.push((field("hash"), field("stateRoot")));
            }
        }
        out
    };
    let (left, right) = (headers(a), headers(b));
    assert_eq!(left.len() as u64, through);
    for (i, (l, r)) in left.iter().zip(&right).enumerate() {
        assert_eq!(l, r, "hash and state root of block {}", i + 1);
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

#[test]
fn l1_reorgs_of_several_depths_and_a_flip_flop_leave_follower_and_sequencer_on_one_chain() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("sequencer"));
    let log = dir.path().join("batcher.log");
    let args = ["--data-availability", "calldata", "--max-channel-duration", "1"];
    let _batcher = Batcher::start(&l1, &node.url, &log, &args);
    let follower = start_follower(&l1, &dir.path().join("follower"));
    let recipient = "0x000000000000000000000000000000000000bEEF";
    // Depth 1 stays under the confirmation depth (2); 3 and 4 reach confirmed L1 blocks, batches
    // and (for the deposit) L2 origins; the last two replace the same blocks twice in a row.
    // anvil finalizes 4 blocks behind its head (`--slots-in-an-epoch 2`): 4 is the deepest reorg
    // a real L1 could make (finalized blocks are final; the batcher forgets them).
    for (round, depths) in [&[1][..], &[3], &[4], &[4, 4]].into_iter().enumerate() {
        l2_transfers(&node.url, 2);
        if round == 2 {
            deposit_open(&l1, recipient, "1000000000000000000");
        }
        // Let a batch land, then take the newest L1 blocks away.
        std::thread::sleep(Duration::from_secs(4));
        for depth in depths {
            l1.cast(&["rpc", "anvil_reorg", &depth.to_string(), "[]"]);
        }
    }
    let last = l2_transfers(&node.url, 2);
    // Well within the sequencing window (100 L1 blocks, 100 s): after the reorgs the batches
    // must be accepted again, not replaced by forced blocks once the window closes.
    wait_posted(&l1, &node.url, last, &log, Duration::from_secs(60));
    wait_for("the follower to derive the batches", Duration::from_secs(60), || {
        crate::l1::head(&follower.url) >= last
    });
    assert_same_chain(&follower.url, &node.url, last);
    let batcher_log = std::fs::read_to_string(&log).expect("batcher log");
    assert!(!batcher_log.contains("forced inclusion"), "no block was left to forced inclusion");
    wait_for("the sequencer's safe head", Duration::from_secs(60), || {
        tag_number(&node.url, "safe") >= last
    });
    assert!(tag_number(&follower.url, "safe") >= last);
    assert_eq!(
        cast(&["balance", recipient, "--rpc-url", &follower.url, "--block", &last.to_string()]),
        cast(&["balance", recipient, "--rpc-url", &node.url, "--block", &last.to_string()]),
        "the deposit (reorged or not) is minted the same on both"
    );
}

#[test]
fn garbage_in_the_inbox_and_batches_from_an_unauthorized_key_change_nothing() {
    use ol_protocol::batch::{Frame, encode_payload};
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("sequencer"));
    let inbox = l1.inbox.to_string();
    let hex = |b: &[u8]| format!("0x{}", alloy_primitives::hex::encode(b));
    // A complete channel whose data is no batch, and what can go wrong with its frame.
    let frame = encode_payload(&[Frame {
        id: [7; 16],
        number: 0,
        data: b"not a channel".to_vec(),
        is_last: true,
    }]);
    let garbage = [
        frame.clone(),
        frame[1..].to_vec(),
        frame[..frame.len() - 3].to_vec(),
        [&frame[..], &[0xff; 4]].concat(),
        b"\x00random bytes that are no frame at all".to_vec(),
    ];
    // Posted by the batcher's own key (the inbox records them) before the batcher starts.
    for bytes in &garbage {
        let args = ["send", "--private-key", BATCHER_KEY, &inbox, "submitBatch(bytes)"];
        l1.cast(&[&args[..], &[&hex(bytes)]].concat());
    }
    // A blob of noise through the blob path.
    let noise = dir.path().join("noise.bin");
    std::fs::write(&noise, vec![0xa5; 3000]).expect("write");
    let noise = noise.display().to_string();
    let args = ["send", "--private-key", BATCHER_KEY, "--blob", "--path", &noise, &inbox];
    l1.cast(&[&args[..], &["submitBlobBatch(uint256)", "1"]].concat());
    // Another key cannot post at all: the inbox reverts, so there is no event to derive from.
    let not_batcher = cast(&["sig", "NotBatcher()"]);
    for input in [&frame, &garbage[4]] {
        let (ok, out, err) = run(Command::new(foundry("cast")).args([
            "send",
            "--rpc-url",
            &l1.url,
            "--private-key",
            crate::harness::KEY0,
            &inbox,
            "submitBatch(bytes)",
            &hex(input),
        ]));
        assert!(!ok && (err.contains("NotBatcher") || err.contains(&not_batcher)), "{out}{err}");
    }

    let log = dir.path().join("batcher.log");
    let args = ["--data-availability", "calldata", "--max-channel-duration", "1"];
    let _batcher = Batcher::start(&l1, &node.url, &log, &args);
    let last = l2_transfers(&node.url, 3);
    let follower = follow_through(&l1, &node.url, &log, dir.path(), last);
    // The sequencer's own derivation reads the same inbox and reaches the same safe head.
    wait_for("the sequencer's safe head", Duration::from_secs(60), || {
        tag_number(&node.url, "safe") >= last
    });
    assert_eq!(block_field(&node.url, last, "hash"), block_field(&follower.url, last, "hash"));
}
