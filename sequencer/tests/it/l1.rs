//! The sequencer on a real L1 (anvil, with the L1 contracts deployed by the forge script and
//! the chain written by `ol-genesis`): deposits through the portal become OP deposit
//! transactions on L2, every L2 block's origin is a canonical L1 block, and an L1 reorg that
//! removes origins unwinds and rebuilds the unsafe L2 blocks on the new ones.

use crate::{
    harness::{KEY0, TestNode, foundry, run},
    l1_harness::L1Devnet,
};
use alloy_primitives::{Address, B256, U256};
use ol_protocol::deposit::user_deposit_source_hash;
use serde_json::Value;
use std::{
    process::Command,
    time::{Duration, Instant},
};

/// The L1Block predeploy (its `number()` and `hash()` are an L2 block's origin).
const L1_BLOCK: &str = "0x4200000000000000000000000000000000000015";

pub(crate) fn cast(args: &[&str]) -> String {
    let (ok, out, err) = run(Command::new(foundry("cast")).args(args));
    assert!(ok, "cast {args:?} failed:\n{out}\n{err}");
    out.trim().to_string()
}

pub(crate) fn start_node(l1: &L1Devnet, datadir: &std::path::Path) -> TestNode {
    let genesis = l1.genesis.to_str().expect("utf8 path");
    let rollup = l1.rollup.to_str().expect("utf8 path");
    TestNode::start_with(
        datadir,
        &[
            "--chain",
            genesis,
            "--rollup.config",
            rollup,
            "--l1.rpc",
            &l1.url,
            "--l1.poll-interval",
            "200ms",
        ],
    )
}

pub(crate) fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(crate) fn head(url: &str) -> u64 {
    cast(&["block-number", "--rpc-url", url]).parse().expect("number")
}

/// (origin number, origin hash) of L2 block `number`, read from the L1Block predeploy there.
fn origin(l2: &str, number: u64) -> (u64, B256) {
    let block = number.to_string();
    let n = cast(&["call", L1_BLOCK, "number()(uint64)", "--rpc-url", l2, "--block", &block]);
    let h = cast(&["call", L1_BLOCK, "hash()(bytes32)", "--rpc-url", l2, "--block", &block]);
    (n.parse().expect("origin number"), h.parse().expect("origin hash"))
}

fn l1_hash(l1: &str, number: u64) -> B256 {
    cast(&["block", &number.to_string(), "--field", "hash", "--rpc-url", l1]).parse().expect("hash")
}

/// Locks `amount` OPEN of dev account 0 in the portal for `recipient` on L2 (approve, then
/// `depositOpen` with 100k L2 gas), with cast as a user would; returns the L1 receipt.
pub(crate) fn deposit_open(l1: &L1Devnet, recipient: &str, amount: &str) -> Value {
    let (portal, token) = (l1.portal.to_string(), l1.token.to_string());
    let send = |args: &[&str]| {
        let mut all = vec!["send", "--rpc-url", &l1.url, "--private-key", KEY0, "--json"];
        all.extend_from_slice(args);
        cast(&all)
    };
    send(&[&token, "approve(address,uint256)", &portal, amount]);
    let receipt = send(&[
        &portal,
        "depositOpen(address,uint256,uint64,bytes)",
        recipient,
        amount,
        "100000",
        "0x",
    ]);
    serde_json::from_str(&receipt).expect("receipt json")
}

#[test]
fn deposits_are_minted_on_l2_with_op_source_hashes() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, dir.path());
    let l2 = node.url.as_str();
    wait_for("the first L2 blocks", Duration::from_secs(30), || head(l2) >= 2);

    // A user on L1 locks 3 OPEN in the portal for a fresh L2 address (cast, key 0 holds OPEN).
    let recipient = "0x000000000000000000000000000000000000bEEF";
    let amount = "3000000000000000000";
    let receipt = deposit_open(&l1, recipient, amount);
    let l1_block: B256 = receipt["blockHash"].as_str().expect("hash").parse().expect("hash");
    let l1_number = u64::from_str_radix(
        receipt["blockNumber"].as_str().expect("number").trim_start_matches("0x"),
        16,
    )
    .expect("number");
    let log = receipt["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .find(|l| {
            l["address"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(&l1.portal.to_string()))
        })
        .expect("portal log");
    let log_index =
        u64::from_str_radix(log["logIndex"].as_str().expect("index").trim_start_matches("0x"), 16)
            .expect("index");

    wait_for("the deposit on L2", Duration::from_secs(60), || {
        cast(&["balance", recipient, "--rpc-url", l2]) == amount
    });

    // The deposit transaction: type 0x7e, OP's source hash, minted to the sender, in the first
    // L2 block whose origin is the deposit's L1 block, right after the L1-attributes deposit.
    let expected = user_deposit_source_hash(l1_block, log_index);
    let mut found = None;
    for number in 1..=head(l2) {
        let block: Value = serde_json::from_str(&cast(&[
            "rpc",
            "--rpc-url",
            l2,
            "eth_getBlockByNumber",
            &format!("0x{number:x}"),
            "true",
        ]))
        .expect("block json");
        for (i, tx) in block["transactions"].as_array().expect("txs").iter().enumerate() {
            if tx["sourceHash"].as_str().and_then(|s| s.parse::<B256>().ok()) == Some(expected) {
                found = Some((number, i, tx.clone()));
            }
        }
    }
    let (number, index, tx) = found.expect("a deposit with the OP source hash");
    assert_eq!(tx["type"], "0x7e");
    assert_eq!(index, 1, "right after the L1-attributes deposit");
    assert_eq!(
        tx["mint"].as_str().map(|m| U256::from_str_radix(m.trim_start_matches("0x"), 16).ok()),
        Some(Some(U256::from(3u64) * U256::from(10u64).pow(U256::from(18u64))))
    );
    let sender: Address = tx["from"].as_str().expect("from").parse().expect("address");
    assert_eq!(
        sender,
        crate::harness::ADDR0.parse::<Address>().expect("addr"),
        "EOA senders are not aliased"
    );
    assert_eq!(origin(l2, number), (l1_number, l1_block), "the deposit opens its L1 block's epoch");
    let previous = origin(l2, number - 1);
    assert_eq!(previous.0 + 1, l1_number, "the epoch before is the previous L1 block");
}

#[test]
fn an_l1_reorg_unwinds_and_rebuilds_unsafe_blocks_on_the_new_origins() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, dir.path());
    let l2 = node.url.as_str();
    wait_for("L2 blocks on recent origins", Duration::from_secs(60), || head(l2) >= 8);
    let before = head(l2);
    let old_origin = origin(l2, before);
    // Replace the L1 blocks from the old head's origin on (deeper than the confirmation depth
    // of 2, so L2 origins go; two more in case L1 mines meanwhile).
    let l1_head: u64 = l1.cast(&["block-number"]).parse().expect("number");
    let depth = (l1_head + 3).saturating_sub(old_origin.0).max(6).min(l1_head).to_string();
    let (ok, out, err) = run(Command::new(foundry("cast")).args([
        "rpc",
        "--rpc-url",
        &l1.url,
        "anvil_reorg",
        &depth,
        "[]",
    ]));
    assert!(ok, "anvil_reorg failed: {out}{err}");
    assert_ne!(l1_hash(&l1.url, old_origin.0), old_origin.1, "the reorg replaced the origin");
    wait_for("L2 to move past its old head", Duration::from_secs(60), || head(l2) > before + 2);
    // Every L2 block's origin is canonical on L1 (once the node has seen all of L1's changes:
    // under load anvil's interval miner can replace a block again right after the reorg), and
    // origins never go backwards.
    let all_canonical = || {
        let mut last = 0;
        for number in 1..=head(l2) {
            let (n, hash) = origin(l2, number);
            assert!(n == last || n == last + 1 || last == 0, "origin steps by at most one");
            last = n;
            if l1_hash(&l1.url, n) != hash {
                eprintln!("L2 block {number}'s origin {n} is not canonical yet");
                return false;
            }
        }
        true
    };
    wait_for("every L2 origin to be canonical", Duration::from_secs(30), all_canonical);
}

#[test]
fn a_killed_sequencer_resumes_its_epochs_without_minting_twice() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, dir.path());
    let l2 = node.url.clone();
    wait_for("the first L2 blocks", Duration::from_secs(30), || head(&l2) >= 2);
    let recipient = "0x000000000000000000000000000000000000CAFE";
    let amount = "2000000000000000000";
    deposit_open(&l1, recipient, amount);
    wait_for("the deposit on L2", Duration::from_secs(60), || {
        cast(&["balance", recipient, "--rpc-url", &l2]) == amount
    });
    let before = head(&l2);
    let last_origin = origin(&l2, before);
    node.kill9();

    let node = start_node(&l1, dir.path());
    let l2 = node.url.as_str();
    wait_for("blocks after the restart", Duration::from_secs(60), || head(l2) >= before + 5);
    assert_eq!(cast(&["balance", recipient, "--rpc-url", l2]), amount, "minted once");
    let next = origin(l2, before + 1);
    assert!(next.0 == last_origin.0 || next.0 == last_origin.0 + 1, "epochs continue");
    for number in before..=head(l2) {
        let (n, hash) = origin(l2, number);
        assert_eq!(l1_hash(&l1.url, n), hash, "L2 block {number}'s origin is canonical");
    }
}

/// `GET /health` is readiness: 200 once derivation has read L1 to near its tip, 503 with the
/// reason once L1 stops answering, while the node keeps serving JSON-RPC.
#[test]
fn health_is_ready_when_in_sync_and_503_when_l1_is_gone() {
    let mut l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, &dir.path().join("node"));
    let health = || {
        let (code, body) = crate::harness::http_get(&format!("{}/health", node.url));
        (code, serde_json::from_str::<Value>(&body).expect("health json"))
    };
    wait_for("the node to be ready", Duration::from_secs(30), || health().0 == 200);
    let (_, ready) = health();
    assert_eq!(ready["status"], "ok", "{ready}");
    assert_eq!(ready["role"], "sequencer", "{ready}");
    assert_eq!(ready["l1"]["reachable"], true, "{ready}");
    assert_eq!(ready["l1"]["inSync"], true, "{ready}");
    assert!(ready["l1"]["head"].as_u64().is_some_and(|h| h > 0), "{ready}");
    let rpc_health: Value =
        serde_json::from_str(&cast(&["rpc", "--rpc-url", &node.url, "ol_health"])).expect("json");
    assert_eq!(rpc_health["ready"], true, "ol_health says the same: {rpc_health}");

    l1.stop_anvil();
    // Unreachable after three poll intervals and ten seconds without an answer.
    wait_for("503 once L1 is gone", Duration::from_secs(40), || health().0 == 503);
    let (_, gone) = health();
    assert_eq!(gone["status"], "l1-unreachable", "{gone}");
    assert_eq!(gone["ready"], false, "{gone}");
    assert!(gone["l1"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{gone}");
    let _ = head(&node.url);
}

/// Every L2 OPEN is backed by OPEN locked in the L1 portal (review finding 5): the genesis
/// allocates exactly what the deployment locked for it, a deposit mints what it locks, and L2
/// fees move OPEN between accounts (to the fee vaults) without creating any. Summed over every
/// account that can hold OPEN in this scenario, L2 supply equals `totalLocked` to the wei.
#[test]
fn l2_open_supply_equals_the_open_locked_in_the_portal() {
    let l1 = L1Devnet::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&l1, dir.path());
    let l2 = node.url.as_str();
    wait_for("the first L2 blocks", Duration::from_secs(30), || head(l2) >= 2);
    let portal = l1.portal.to_string();
    let locked = || -> U256 {
        let out = cast(&["call", &portal, "totalLocked()(uint256)", "--rpc-url", &l1.url]);
        out.split_whitespace().next().expect("value").parse().expect("u256")
    };
    let (recipient, target) = (
        "0x000000000000000000000000000000000000bEEF",
        "0x000000000000000000000000000000000000CAFE",
    );
    let supply = |tag: &str| -> U256 {
        let miner = cast(&["block", tag, "--field", "miner", "--rpc-url", l2]);
        let keys = ol_sequencer::genesis::dev_keys().expect("dev keys");
        let mut holders: Vec<String> = keys.iter().map(|k| k.address().to_string()).collect();
        holders.extend([recipient, target, &miner].map(str::to_string));
        // OP's fee vaults: sequencer (priority fees), base fee, L1 fee, operator fee.
        holders.extend(
            ["11", "19", "1a", "1b"]
                .map(|s| format!("0x42000000000000000000000000000000000000{s}")),
        );
        holders.sort_by_key(|a| a.to_lowercase());
        holders.dedup_by_key(|a| a.to_lowercase());
        holders
            .iter()
            .map(|a| -> U256 {
                cast(&["balance", a, "--block", tag, "--rpc-url", l2]).parse().expect("wei")
            })
            .fold(U256::ZERO, |a, b| a + b)
    };
    let genesis_supply: U256 =
        cast(&["call", &portal, "genesisSupply()(uint256)", "--rpc-url", &l1.url])
            .split_whitespace()
            .next()
            .expect("value")
            .parse()
            .expect("u256");
    assert_eq!(genesis_supply, U256::from(100_000u64) * U256::from(10u64).pow(U256::from(18u64)));
    assert_eq!(supply("0"), genesis_supply, "the genesis allocates what the portal locked");
    assert_eq!(supply("0"), locked());

    let amount = "3000000000000000000";
    deposit_open(&l1, recipient, amount);
    wait_for("the deposit on L2", Duration::from_secs(60), || {
        cast(&["balance", recipient, "--rpc-url", l2]) == amount
    });
    // An L2 transfer pays base, priority and L1 fees into the vaults.
    cast(&["send", "--rpc-url", l2, "--private-key", KEY0, target, "--value", "12345"]);
    let tip = head(l2).to_string();
    assert_eq!(supply(&tip), locked(), "L2 supply == OPEN locked, after a deposit and fees");
}
