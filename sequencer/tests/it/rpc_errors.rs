//! Bad input gets geth's error codes and wording, and changes nothing.

use crate::harness::{ADDR1, KEY0, TestNode, raw_rpc, try_raw_rpc};
use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};

fn signed_1559(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    max_fee: u128,
    tip: u128,
    value: U256,
    gas: u64,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(ADDR1.parse().expect("address")),
        value,
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    tx.into_signed(sig).encoded_2718().into()
}

async fn send(url: &str, raw: &Bytes) -> Value {
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]});
    raw_rpc(url, body.to_string()).await.1
}

fn error_message(v: &Value) -> String {
    assert_eq!(v["error"]["code"], -32000, "expected a -32000 error, got {v}");
    v["error"]["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_standard_errors() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();
    let (_, v) = raw_rpc(url, "{not json").await;
    assert_eq!(v["error"]["code"], -32700, "{v}");
    let (_, v) = raw_rpc(url, r#"{"jsonrpc":"2.0","id":1,"method":"eth_nope","params":[]}"#).await;
    assert_eq!(v["error"]["code"], -32601, "{v}");
    let (_, v) =
        raw_rpc(url, r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x12"]}"#)
            .await;
    assert_eq!(v["error"]["code"], -32602, "{v}");
    let (_, v) = raw_rpc(
        url,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0xzz", false]}"#,
    )
    .await;
    assert_eq!(v["error"]["code"], -32602, "{v}");

    // Batches: answered in full up to the limit, refused above it.
    let batch: Vec<Value> = (0..3)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []}))
        .collect();
    let (_, v) = raw_rpc(url, serde_json::to_string(&batch).expect("json")).await;
    assert_eq!(v.as_array().map(Vec::len), Some(3), "{v}");
    let batch: Vec<Value> = (0..1_001)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []}))
        .collect();
    let (_, v) = raw_rpc(url, serde_json::to_string(&batch).expect("json")).await;
    assert!(
        v.get("error").is_some()
            || v.as_array().is_some_and(|a| a.iter().all(|r| r.get("error").is_some())),
        "{v}"
    );

    // Oversized body: refused without being processed.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x{}"]}}"#,
        "ab".repeat(3 * 1024 * 1024)
    );
    // The server answers 413 or closes the connection before reading the whole body.
    if let Ok((status, v)) = try_raw_rpc(url, huge).await {
        assert!(status == 413 || v["error"]["code"] == -32007, "status {status}: {v}");
    }

    // Range limits on eth_getLogs.
    let (_, v) = raw_rpc(url, r#"{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"latest"}]}"#).await;
    assert!(v["result"].is_array(), "{v}");

    // Still serving.
    let (_, v) =
        raw_rpc(url, r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#).await;
    assert_eq!(v["result"], "0x64c");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_transactions_are_refused_with_geth_wording_and_change_nothing() {
    let (node, _dir) = TestNode::fresh(&["--block-time", "3600"]);
    let url = node.url.as_str();
    let key: PrivateKeySigner = KEY0.parse().expect("key");
    let gwei = 1_000_000_000u128;

    let v = send(url, &Bytes::from_static(&[0x02, 0xc0, 0x01])).await;
    assert!(error_message(&v).contains("failed to decode"), "{v}");
    // A deposit (0x7e) would mint OPEN without an L1 lock, and there are no blobs on L2 (0x03):
    // both types are refused, and the would-be recipient stays empty.
    let rich: Address = "0x00000000000000000000000000000000000d0d0d".parse().expect("addr");
    let deposit = op_alloy::consensus::TxDeposit {
        source_hash: alloy_primitives::B256::repeat_byte(1),
        from: rich,
        to: TxKind::Call(rich),
        mint: 1_000_000_000_000_000_000_000,
        value: U256::ZERO,
        gas_limit: 100_000,
        is_system_transaction: false,
        input: Default::default(),
    };
    let v = send(url, &deposit.encoded_2718().into()).await;
    assert_eq!(error_message(&v), "transaction type not supported", "{v}");
    let blob = alloy_consensus::TxEip4844 {
        chain_id: 1612,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * gwei,
        max_priority_fee_per_gas: gwei,
        to: ADDR1.parse().expect("address"),
        blob_versioned_hashes: vec![alloy_primitives::B256::repeat_byte(1)],
        max_fee_per_blob_gas: gwei,
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&blob.signature_hash()).expect("sign");
    let v = send(url, &blob.into_signed(sig).encoded_2718().into()).await;
    assert_eq!(error_message(&v), "transaction type not supported", "{v}");
    let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[rich, "pending"]});
    assert_eq!(raw_rpc(url, body.to_string()).await.1["result"], "0x0");
    let v = send(url, &signed_1559(&key, 1, 0, 2 * gwei, gwei, U256::from(1), 21_000)).await;
    assert!(error_message(&v).starts_with("invalid chain id for signer"), "{v}");
    let v = send(url, &signed_1559(&key, 1612, 0, 2 * gwei, gwei, U256::from(1), 20_000)).await;
    assert!(error_message(&v).starts_with("intrinsic gas too low"), "{v}");
    let v =
        send(url, &signed_1559(&key, 1612, 0, 2 * gwei, gwei, U256::MAX / U256::from(2), 21_000))
            .await;
    assert!(error_message(&v).starts_with("insufficient funds for gas * price + value"), "{v}");
    // Every block opens with the L1-attributes deposit (up to 1M gas): a transaction that could
    // never fit after it is refused.
    let v = send(url, &signed_1559(&key, 1612, 0, 2 * gwei, gwei, U256::from(1), 29_500_000)).await;
    assert_eq!(error_message(&v), "exceeds block gas limit");
    let v = send(url, &signed_1559(&key, 1612, 0, 10, 1, U256::from(1), 21_000)).await;
    assert!(error_message(&v).starts_with("max fee per gas less than block base fee"), "{v}");
    let v = send(url, &signed_1559(&key, 1612, 0, 2 * gwei, 3 * gwei, U256::from(1), 21_000)).await;
    assert!(
        error_message(&v).starts_with("max priority fee per gas higher than max fee per gas"),
        "{v}"
    );

    // Unprotected legacy transactions are refused by default.
    let legacy = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 2 * gwei,
        gas_limit: 21_000,
        to: TxKind::Call(Address::ZERO),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&legacy.signature_hash()).expect("sign");
    let raw: Bytes = legacy.into_signed(sig).encoded_2718().into();
    let v = send(url, &raw).await;
    assert!(error_message(&v).contains("EIP-155"), "{v}");

    // Pooled (blocks every hour), then duplicates and underpriced replacements are refused.
    let first = signed_1559(&key, 1612, 0, 2 * gwei, gwei, U256::from(1), 21_000);
    let v = send(url, &first).await;
    assert!(v["result"].is_string(), "{v}");
    let v = send(url, &first).await;
    assert_eq!(error_message(&v), "already known");
    let cheap = signed_1559(&key, 1612, 0, 2 * gwei + 1, gwei + 1, U256::from(2), 21_000);
    assert_eq!(error_message(&send(url, &cheap).await), "replacement transaction underpriced");
    let bumped = signed_1559(&key, 1612, 0, 3 * gwei, 2 * gwei, U256::from(3), 21_000);
    assert!(send(url, &bumped).await["result"].is_string());
    // Nonce gaps queue; pending nonce counts only the gap-free run.
    let gapped = signed_1559(&key, 1612, 5, 2 * gwei, gwei, U256::from(1), 21_000);
    assert!(send(url, &gapped).await["result"].is_string());
    let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":[key.address(), "pending"]});
    assert_eq!(raw_rpc(url, body.to_string()).await.1["result"], "0x1");
    let body = json!({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":[key.address(), "latest"]});
    assert_eq!(raw_rpc(url, body.to_string()).await.1["result"], "0x0");
}
