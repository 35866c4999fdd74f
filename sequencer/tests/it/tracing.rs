//! `debug_` and `trace_` answer with geth's and parity's shapes for mined transactions and calls.

use crate::harness::{ADDR0, KEY0, TestNode, cast_ok, creation_code, raw_rpc};
use serde_json::{Value, json};

async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, v) = raw_rpc(url, body.to_string()).await;
    assert!(v.get("error").is_none(), "{method}: {v}");
    v["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_of_transactions_blocks_and_calls() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.clone();
    let code = creation_code("Reverter");
    let deployed: Value = serde_json::from_str(&cast_ok(&[
        "send",
        "--rpc-url",
        &url,
        "--private-key",
        KEY0,
        "--json",
        "--create",
        &code,
    ]))
    .expect("json");
    let reverter = deployed["contractAddress"].as_str().expect("address").to_string();
    let sent: Value = serde_json::from_str(&cast_ok(&[
        "send",
        "--rpc-url",
        &url,
        "--private-key",
        KEY0,
        "--json",
        &reverter,
        "ping()",
        "--value",
        "5",
    ]))
    .expect("json");
    let hash = sent["transactionHash"].as_str().expect("hash").to_string();

    let call_trace =
        call(&url, "debug_traceTransaction", json!([hash, {"tracer": "callTracer"}])).await;
    assert_eq!(call_trace["type"], "CALL");
    assert_eq!(call_trace["to"], json!(reverter.to_lowercase()));
    assert_eq!(call_trace["value"], "0x5");
    let gas_used = call_trace["gasUsed"].as_str().expect("gasUsed");
    assert_eq!(
        gas_used,
        sent["gasUsed"].as_str().expect("receipt gas"),
        "trace and receipt agree on gas"
    );

    let struct_logs = call(&url, "debug_traceTransaction", json!([hash, {}])).await;
    assert_eq!(struct_logs["failed"], false);
    let ops: Vec<&str> = struct_logs["structLogs"]
        .as_array()
        .expect("logs")
        .iter()
        .filter_map(|l| l["op"].as_str())
        .collect();
    assert!(ops.contains(&"LOG2"), "ping emits an event: {ops:?}");

    let prestate =
        call(&url, "debug_traceTransaction", json!([hash, {"tracer": "prestateTracer"}])).await;
    assert!(
        prestate.as_object().is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(ADDR0))),
        "{prestate}"
    );

    let parity = call(&url, "trace_transaction", json!([hash])).await;
    assert_eq!(parity[0]["action"]["callType"], "call");
    assert_eq!(parity[0]["transactionHash"], json!(hash));

    let block = call(
        &url,
        "debug_traceBlockByNumber",
        json!([sent["blockNumber"], {"tracer": "callTracer"}]),
    )
    .await;
    let traces = block.as_array().expect("array");
    assert_eq!(traces.len(), 2, "the L1-attributes deposit and the ping");
    assert_eq!(traces[1]["txHash"], json!(hash));

    let reverted = call(
        &url,
        "debug_traceCall",
        json!([{"from": ADDR0, "to": reverter, "data": "0x3cbe0a5a"}, "latest", {"tracer": "callTracer"}]),
    )
    .await;
    // callTracer reports a failed frame with `error`; a call that succeeded has none.
    assert!(
        reverted["error"].as_str().is_some_and(|e| e.contains("revert")),
        "the traced call must revert: {reverted}"
    );

    // State overrides apply to traced calls: code placed at an empty address runs.
    let overridden = call(
        &url,
        "debug_traceCall",
        json!([{"to": "0x00000000000000000000000000000000000000cc"}, "latest", {"tracer": "callTracer", "stateOverrides": {"0x00000000000000000000000000000000000000cc": {"code": "0x602a60005260206000f3"}}}]),
    )
    .await;
    assert_eq!(overridden["output"], json!(format!("0x{:064x}", 42)), "{overridden}");

    // Unknown transaction: a clear error.
    let body = json!({"jsonrpc":"2.0","id":1,"method":"debug_traceTransaction","params":[format!("0x{}", "11".repeat(32)), {}]});
    let (_, v) = raw_rpc(&url, body.to_string()).await;
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("not found")), "{v}");
}
