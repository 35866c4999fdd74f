//! The core `eth_` methods answer as Ethereum clients expect.

use crate::harness::{ADDR0, ADDR1, KEY0, TestNode, creation_code, raw_rpc};
use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use serde_json::{Value, json};

sol! {
    function balanceOf(address who) returns (uint256);
    function transfer(address to, uint256 amount);
}

async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw_rpc(url, body.to_string()).await.1
}

#[tokio::test(flavor = "multi_thread")]
async fn core_methods() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();
    let signer: PrivateKeySigner = KEY0.parse().expect("key");
    let provider = ProviderBuilder::new().wallet(signer).connect_http(url.parse().expect("url"));

    let mut code: Vec<u8> = creation_code("TestToken").parse::<Bytes>().expect("hex").to_vec();
    code.extend_from_slice(&U256::from(5_000u64).to_be_bytes::<32>());
    let receipt = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await
        .expect("deploy")
        .get_receipt()
        .await
        .expect("receipt");
    let token = receipt.contract_address().expect("created");
    let deploy_block = receipt.block_number.expect("mined");
    let transfer =
        transferCall { to: ADDR1.parse().expect("addr"), amount: U256::from(100) }.abi_encode();
    let receipt = provider
        .send_transaction(TransactionRequest::default().with_to(token).with_input(transfer.clone()))
        .await
        .expect("transfer")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());

    // eth_call at latest, at an older block, and with a state override.
    let data = Bytes::from(balanceOfCall { who: ADDR0.parse().expect("addr") }.abi_encode());
    let latest = call(url, "eth_call", json!([{"to": token, "data": data}, "latest"])).await;
    assert_eq!(latest["result"], json!(format!("0x{:064x}", 4_900)));
    let old =
        call(url, "eth_call", json!([{"to": token, "data": data}, format!("0x{deploy_block:x}")]))
            .await;
    assert_eq!(old["result"], json!(format!("0x{:064x}", 5_000)), "{old}");
    let before_deploy = call(url, "eth_call", json!([{"to": token, "data": data}, "0x0"])).await;
    assert_eq!(before_deploy["result"], "0x", "no code at genesis: {before_deploy}");
    let overridden = call(
        url,
        "eth_call",
        // PUSH1 0x42 PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN: whatever the call, one word 0x42.
        json!([{"to": token, "data": data}, "latest", {token.to_string(): {"code": "0x604260005260206000f3" }}]),
    )
    .await;
    assert_eq!(overridden["result"], json!(format!("0x{:064x}", 0x42)), "{overridden}");
    let future = call(url, "eth_call", json!([{"to": token, "data": data}, "0xffffff"])).await;
    assert_eq!(future["error"]["message"], "header not found");

    // eth_estimateGas: transfers cost 21000, contract calls are estimated and succeed with it.
    let est =
        call(url, "eth_estimateGas", json!([{"from": ADDR0, "to": ADDR1, "value": "0x1"}])).await;
    assert_eq!(est["result"], "0x5208");
    let est = call(
        url,
        "eth_estimateGas",
        json!([{"from": ADDR0, "to": token, "data": Bytes::from(transfer.clone())}]),
    )
    .await;
    let gas =
        u64::from_str_radix(est["result"].as_str().expect("hex").trim_start_matches("0x"), 16)
            .expect("gas");
    assert!(gas > 21_000 && gas < 100_000, "{gas}");
    let tx = TransactionRequest::default()
        .with_to(token)
        .with_input(transfer.clone())
        .with_gas_limit(gas);
    let receipt =
        provider.send_transaction(tx).await.expect("send").get_receipt().await.expect("receipt");
    assert!(receipt.status(), "the estimate must be enough");
    // Too little balance for a value transfer.
    let est = call(url, "eth_estimateGas", json!([{"from": Address::repeat_byte(9), "to": ADDR1, "value": "0x1", "gasPrice": "0x3b9aca00"}])).await;
    assert!(est.get("error").is_some(), "{est}");

    // eth_createAccessList names the token and the touched slots.
    let al = call(
        url,
        "eth_createAccessList",
        json!([{"from": ADDR0, "to": token, "data": Bytes::from(transfer)}]),
    )
    .await;
    let list = al["result"]["accessList"].as_array().expect("list").clone();
    // OpenZeppelin's `_balances` is slot 0: the sender's and the recipient's balance slots.
    let slot = |who: &str| {
        let who: Address = who.parse().expect("addr");
        let mut key = [0u8; 64];
        key[12..32].copy_from_slice(who.as_slice());
        format!("{:#x}", alloy_primitives::keccak256(key))
    };
    let token_entry = list
        .iter()
        .find(|i| i["address"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(&token.to_string())))
        .unwrap_or_else(|| panic!("the token is in the list: {al}"));
    let mut keys: Vec<String> = token_entry["storageKeys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k.as_str().expect("key").to_string())
        .collect();
    keys.sort();
    let mut want = vec![slot(ADDR0), slot(ADDR1)];
    want.sort();
    assert_eq!(keys, want, "{al}");
    assert!(list.iter().all(|i| i["address"] != json!(ADDR0.to_lowercase())), "{al}");
    assert!(al["result"]["gasUsed"].is_string());

    // Fee methods.
    let history = call(url, "eth_feeHistory", json!(["0x4", "latest", [10.0, 50.0, 90.0]])).await;
    let h = &history["result"];
    assert_eq!(h["baseFeePerGas"].as_array().map(Vec::len), Some(5), "{history}");
    assert_eq!(h["reward"].as_array().map(Vec::len), Some(4));
    let bad = call(url, "eth_feeHistory", json!(["0x4", "latest", [90.0, 10.0]])).await;
    assert_eq!(bad["error"]["code"], -32602);
    assert!(call(url, "eth_gasPrice", json!([])).await["result"].is_string());
    assert_eq!(call(url, "eth_maxPriorityFeePerGas", json!([])).await["result"], "0xf4240");

    // Blocks, receipts, tags, uncles.
    let head = call(url, "eth_blockNumber", json!([])).await["result"].clone();
    let block = call(url, "eth_getBlockByNumber", json!(["latest", true])).await["result"].clone();
    assert_eq!(block["number"], head);
    let txs = block["transactions"].as_array().expect("txs");
    assert_eq!(txs[0]["type"], "0x7e", "every block opens with the L1-attributes deposit");
    assert_eq!(txs[0]["from"], "0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001");
    let receipts = call(url, "eth_getBlockReceipts", json!(["latest"])).await["result"].clone();
    assert_eq!(receipts.as_array().map(Vec::len), Some(txs.len()));
    assert!(receipts[1]["l1Fee"].is_string(), "OP receipts carry the L1 fee: {}", receipts[1]);
    let by_hash =
        call(url, "eth_getBlockByHash", json!([block["hash"], false])).await["result"].clone();
    assert_eq!(by_hash["hash"], block["hash"]);
    for tag in ["earliest", "safe", "finalized", "pending"] {
        assert!(
            call(url, "eth_getBlockByNumber", json!([tag, false])).await["result"].is_object(),
            "{tag}"
        );
    }
    assert!(call(url, "eth_getBlockByNumber", json!(["0xfffff", false])).await["result"].is_null());
    assert_eq!(
        call(url, "eth_getUncleCountByBlockNumber", json!(["latest"])).await["result"],
        "0x0"
    );
    assert_eq!(
        call(url, "eth_getBlockTransactionCountByNumber", json!(["latest"])).await["result"],
        json!(format!("0x{:x}", txs.len()))
    );
    let tx = call(url, "eth_getTransactionByBlockNumberAndIndex", json!(["latest", "0x1"])).await["result"].clone();
    assert_eq!(tx["hash"], txs[1]["hash"]);
    assert_eq!(call(url, "eth_syncing", json!([])).await["result"], false);
    assert_eq!(
        call(url, "eth_accounts", json!([])).await["result"].as_array().map(Vec::len),
        Some(10)
    );
    assert_eq!(call(url, "net_version", json!([])).await["result"], "1612");
    assert_eq!(
        call(url, "web3_sha3", json!(["0x68656c6c6f20776f726c64"])).await["result"],
        "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad"
    );
    assert!(
        call(url, "web3_clientVersion", json!([])).await["result"]
            .as_str()
            .is_some_and(|v| v.starts_with("openledger-l2/"))
    );
    // Logs with topic filters; a too-wide range is refused.
    let logs = call(url, "eth_getLogs", json!([{"fromBlock": "0x0", "address": token, "topics": [null, null, [format!("0x{:0>64}", ADDR1.trim_start_matches("0x").to_lowercase())]]}])).await;
    assert_eq!(logs["result"].as_array().map(Vec::len), Some(2), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_queries_are_bounded() {
    let (node, _dir) = TestNode::fresh(&["--rpc.max-log-range", "2", "--block-time", "100ms"]);
    let url = node.url.as_str();
    let start = std::time::Instant::now();
    while call(url, "eth_blockNumber", json!([])).await["result"] == "0x0"
        || call(url, "eth_blockNumber", json!([])).await["result"] == "0x1"
    {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "no interval blocks");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let wide = call(url, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x2"}])).await;
    assert_eq!(wide["error"]["code"], -32005, "{wide}");
    let narrow = call(url, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x1"}])).await;
    assert!(narrow["result"].is_array(), "{narrow}");
    let backwards = call(url, "eth_getLogs", json!([{"fromBlock": "0x2", "toBlock": "0x1"}])).await;
    assert_eq!(backwards["error"]["code"], -32602, "{backwards}");
}
