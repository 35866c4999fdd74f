//! Dev-mode conveniences (Foundry/Hardhat style) and their refusal outside dev mode.

use crate::harness::{ADDR0, ADDR1, TestNode, raw_rpc};
use serde_json::{Value, json};

async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw_rpc(url, body.to_string()).await.1
}

async fn result(url: &str, method: &str, params: Value) -> Value {
    let v = call(url, method, params).await;
    assert!(v.get("error").is_none(), "{method}: {v}");
    v["result"].clone()
}

async fn receipt(url: &str, hash: &Value) -> Value {
    for _ in 0..100 {
        let r = result(url, "eth_getTransactionReceipt", json!([hash])).await;
        if !r.is_null() {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    panic!("no receipt for {hash}");
}

fn hex(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().expect("hex string").trim_start_matches("0x"), 16).expect("hex")
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_methods_work_in_dev_mode() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();

    // eth_sendTransaction from an unlocked dev account.
    let hash =
        result(url, "eth_sendTransaction", json!([{"from": ADDR0, "to": ADDR1, "value": "0x3e8"}]))
            .await;
    assert_eq!(receipt(url, &hash).await["status"], "0x1");
    let unknown = call(
        url,
        "eth_sendTransaction",
        json!([{"from": "0x000000000000000000000000000000000000dEaD", "to": ADDR1}]),
    )
    .await;
    assert!(
        unknown["error"]["message"].as_str().is_some_and(|m| m.contains("unknown account")),
        "{unknown}"
    );

    // Snapshot, change things, revert: chain and state come back.
    let snapshot = result(url, "evm_snapshot", json!([])).await;
    let head_before = result(url, "eth_blockNumber", json!([])).await;
    let balance_before = result(url, "eth_getBalance", json!([ADDR1, "latest"])).await;
    for _ in 0..3 {
        let h = result(
            url,
            "eth_sendTransaction",
            json!([{"from": ADDR0, "to": ADDR1, "value": "0x1"}]),
        )
        .await;
        receipt(url, &h).await;
    }
    result(url, "evm_mine", json!([])).await;
    assert!(hex(&result(url, "eth_blockNumber", json!([])).await) >= hex(&head_before) + 4);
    assert_eq!(result(url, "evm_revert", json!([snapshot])).await, true);
    assert_eq!(result(url, "eth_blockNumber", json!([])).await, head_before);
    assert_eq!(result(url, "eth_getBalance", json!([ADDR1, "latest"])).await, balance_before);
    assert_eq!(result(url, "evm_revert", json!([snapshot])).await, false, "snapshots are used up");
    // The chain continues from the reverted head.
    let h =
        result(url, "eth_sendTransaction", json!([{"from": ADDR0, "to": ADDR1, "value": "0x1"}]))
            .await;
    assert_eq!(hex(&receipt(url, &h).await["blockNumber"]), hex(&head_before) + 1);

    // State edits take effect at once, in a new block.
    let target = "0x1111111111111111111111111111111111111111";
    assert_eq!(result(url, "anvil_setBalance", json!([target, "0xde0b6b3a7640000"])).await, true);
    assert_eq!(result(url, "eth_getBalance", json!([target, "latest"])).await, "0xde0b6b3a7640000");
    result(url, "hardhat_setCode", json!([target, "0x602a60005260206000f3"])).await;
    assert_eq!(
        result(url, "eth_getCode", json!([target, "latest"])).await,
        "0x602a60005260206000f3"
    );
    let out = result(url, "eth_call", json!([{"to": target}, "latest"])).await;
    assert_eq!(out, json!(format!("0x{:064x}", 42)));
    let slot = format!("0x{:064x}", 7);
    result(url, "anvil_setStorageAt", json!([target, "0x5", slot])).await;
    assert_eq!(
        result(url, "eth_getStorageAt", json!([target, "0x5", "latest"])).await,
        json!(slot)
    );
    result(url, "anvil_setNonce", json!([target, "0x9"])).await;
    assert_eq!(result(url, "eth_getTransactionCount", json!([target, "latest"])).await, "0x9");
    // Proofs stay consistent with the edited state.
    let proof = result(url, "eth_getProof", json!([target, ["0x5"], "latest"])).await;
    assert_eq!(proof["storageProof"][0]["value"], "0x7");

    // Time control.
    let before =
        hex(&result(url, "eth_getBlockByNumber", json!(["latest", false])).await["timestamp"]);
    result(url, "evm_increaseTime", json!(["0xe10"])).await;
    result(url, "evm_mine", json!([])).await;
    let after =
        hex(&result(url, "eth_getBlockByNumber", json!(["latest", false])).await["timestamp"]);
    assert!(after >= before + 3600, "{before} -> {after}");
    result(url, "evm_setNextBlockTimestamp", json!([format!("0x{:x}", after + 1000)])).await;
    result(url, "anvil_mine", json!(["0x2"])).await;
    let block = result(url, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert!(hex(&block["timestamp"]) >= after + 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_methods_are_refused_outside_dev_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let genesis = dir.path().join("genesis.json");
    std::fs::write(
        &genesis,
        json!({
            "config": {"chainId": 4242},
            "gasLimit": "0x1c9c380",
            "timestamp": "0x0",
            "alloc": {ADDR0: {"balance": "0x56bc75e2d63100000"}},
        })
        .to_string(),
    )
    .expect("write genesis");
    let data = dir.path().join("data");
    let node = TestNode::start_with(
        &data,
        &["--chain", genesis.to_str().expect("utf8"), "--block-time", "200ms"],
    );
    let url = node.url.as_str();
    assert_eq!(result(url, "eth_chainId", json!([])).await, "0x1092");
    assert_eq!(
        result(url, "eth_getBalance", json!([ADDR0, "latest"])).await,
        "0x56bc75e2d63100000"
    );
    assert_eq!(result(url, "eth_accounts", json!([])).await, json!([]));
    for (method, params) in [
        ("eth_sendTransaction", json!([{"from": ADDR0, "to": ADDR1}])),
        ("evm_mine", json!([])),
        ("anvil_setBalance", json!([ADDR1, "0x1"])),
        ("evm_snapshot", json!([])),
    ] {
        let v = call(url, method, params).await;
        assert!(
            v["error"]["message"].as_str().is_some_and(|m| m.contains("--dev")),
            "{method}: {v}"
        );
    }
    // Blocks come on the interval without transactions (waited for, not timed: a loaded CI
    // machine may be slow); safe/finalized stay at genesis.
    let start = std::time::Instant::now();
    while hex(&result(url, "eth_blockNumber", json!([])).await) < 2 {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "no interval blocks");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        result(url, "eth_getBlockByNumber", json!(["finalized", false])).await["number"],
        "0x0"
    );
}
