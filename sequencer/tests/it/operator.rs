//! What an operator relies on beyond JSON-RPC: configuration precedence (flag > environment >
//! file), JSON logs, the extra WebSocket port, the refusal to start on a state that does not
//! match the head, the pool's `txpool_*` answers in geth's shapes, and the resource limits
//! (connections, filters and their expiry, `eth_sendRawTransactionSync`'s timeout).

use crate::harness::{ADDR0, ADDR1, KEY0, TestNode, cast_ok, raw_rpc};
use serde_json::{Value, json};
use std::{
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    rt.block_on(raw_rpc(url, body.to_string())).1
}

fn gas_limit(url: &str) -> u64 {
    let block = rpc(url, "eth_getBlockByNumber", json!(["0x0", false]));
    let hex = block["result"]["gasLimit"].as_str().expect("gasLimit");
    u64::from_str_radix(hex.trim_start_matches("0x"), 16).expect("hex")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

#[test]
fn configuration_precedence_is_flag_then_environment_then_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("node.toml");
    std::fs::write(&file, "dev = true\ngas-limit = 40000000\n").expect("write config");
    let file = file.to_str().expect("utf8");
    let start = |name: &str, args: &[&str], envs: &[(&str, &str)]| {
        let mut all = vec!["--config", file];
        all.extend_from_slice(args);
        TestNode::start_with_env(&dir.path().join(name), &all, envs)
    };
    let node = start("file", &[], &[]);
    assert_eq!(gas_limit(&node.url), 40_000_000, "the file's value");
    drop(node);
    let node = start("env", &[], &[("OL_GAS_LIMIT", "50000000")]);
    assert_eq!(gas_limit(&node.url), 50_000_000, "the environment over the file");
    drop(node);
    let node = start("flag", &["--gas-limit", "60000000"], &[("OL_GAS_LIMIT", "50000000")]);
    assert_eq!(gas_limit(&node.url), 60_000_000, "the flag over both");
}

/// A minimal WebSocket client handshake over a plain TCP stream (RFC 6455 §4.1): the stream
/// is returned open, holding one of the server's connection slots.
fn websocket(addr: &str) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).map_err(|e| e.to_string())?;
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    if head.starts_with("HTTP/1.1 101") { Ok(stream) } else { Err(head) }
}

#[test]
fn json_logs_and_the_extra_websocket_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws_port = free_port().to_string();
    let node = TestNode::start(dir.path(), &["--log.json", "--ws.port", &ws_port]);
    // A transaction, so there is more than start-up to log.
    cast_ok(&["send", "--rpc-url", &node.url, "--private-key", KEY0, ADDR1, "--value", "1"]);
    let lines = node.log_lines();
    assert!(lines.len() >= 5, "some log lines: {lines:?}");
    for line in &lines {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("every stdout line is JSON ({e}): {line}"));
        assert!(entry["timestamp"].is_string() && entry["level"].is_string(), "{line}");
        assert!(entry["target"].is_string() && entry["fields"].is_object(), "{line}");
    }
    let listening = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["fields"]["message"] == "JSON-RPC listening")
        .expect("the listening line");
    let ws_addr = listening["fields"]["ws_addr"].as_str().expect("ws_addr").to_string();
    assert!(ws_addr.ends_with(&format!(":{ws_port})")), "the extra port: {ws_addr}");

    // The extra port speaks JSON-RPC over WebSocket (cast uses it as a client would).
    let ws_url = format!("ws://127.0.0.1:{ws_port}");
    assert_eq!(cast_ok(&["chain-id", "--rpc-url", &ws_url]), "1612");
    assert_eq!(
        cast_ok(&["block-number", "--rpc-url", &ws_url]),
        cast_ok(&["block-number", "--rpc-url", &node.url])
    );
    assert!(websocket(&format!("127.0.0.1:{ws_port}")).is_ok(), "a WebSocket upgrade");
}

/// Exits of `ol-node` with `args`, or `None` if it was still running after `timeout`.
fn exit_of(args: &[&str], timeout: Duration) -> Option<(bool, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ol-node"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ol-node");
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return Some((out.status.success(), text));
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sqlite_balance(db: &Path, set: Option<&[u8]>) -> Vec<u8> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    rt.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open the node's database");
        let address = alloy_primitives::hex::decode(ADDR0).expect("hex");
        if let Some(value) = set {
            sqlx::query("UPDATE accounts SET balance = ? WHERE address = ?")
                .bind(value)
                .bind(&address)
                .execute(&pool)
                .await
                .expect("update");
        }
        let (balance,): (Vec<u8>,) =
            sqlx::query_as("SELECT balance FROM accounts WHERE address = ?")
                .bind(&address)
                .fetch_one(&pool)
                .await
                .expect("row");
        pool.close().await;
        balance
    })
}

#[test]
fn a_corrupt_state_row_stops_the_start_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = TestNode::start(dir.path(), &[]);
    cast_ok(&["send", "--rpc-url", &node.url, "--private-key", KEY0, ADDR1, "--value", "1"]);
    let head = cast_ok(&["block-number", "--rpc-url", &node.url]);
    assert!(node.terminate(), "a clean stop");

    let db = dir.path().join("node.sqlite");
    let original = sqlite_balance(&db, None);
    let mut corrupt = original.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    assert_eq!(sqlite_balance(&db, Some(&corrupt)), corrupt);

    let datadir = dir.path().to_str().expect("utf8");
    let args = ["--dev", "--http.port", "0", "--datadir", datadir];
    let (ok, out) = exit_of(&args, Duration::from_secs(60)).expect("the node exits by itself");
    assert!(!ok, "a non-zero exit:\n{out}");
    assert!(out.contains("state root mismatch at start-up"), "the reason is given:\n{out}");
    assert_eq!(sqlite_balance(&db, None), corrupt, "the refusal wrote nothing");

    // Put the row back: the node resumes at the same head.
    sqlite_balance(&db, Some(&original));
    let node = TestNode::start(dir.path(), &[]);
    assert_eq!(cast_ok(&["block-number", "--rpc-url", &node.url]), head);
}

#[test]
fn txpool_methods_answer_in_geths_shapes() {
    // Blocks only every hour: what is sent stays in the pool.
    let (node, _dir) = TestNode::fresh(&["--block-time", "3600s"]);
    let send = |nonce: &str| {
        cast_ok(&[
            "send",
            "--async",
            "--rpc-url",
            &node.url,
            "--private-key",
            KEY0,
            "--nonce",
            nonce,
            "--gas-limit",
            "21000",
            "--gas-price",
            "3000000000",
            "--priority-gas-price",
            "1000000000",
            ADDR1,
            "--value",
            "5",
        ])
    };
    let pending_hash = send("0");
    let queued_hash = send("2");
    let status = rpc(&node.url, "txpool_status", json!([]));
    assert_eq!(status["result"], json!({ "pending": "0x1", "queued": "0x1" }), "{status}");

    let content = rpc(&node.url, "txpool_content", json!([]))["result"].clone();
    let pending = &content["pending"][ADDR0]["0"];
    let queued = &content["queued"][ADDR0]["2"];
    assert_eq!(pending["hash"], pending_hash, "{content}");
    assert_eq!(queued["hash"], queued_hash, "{content}");
    for (tx, nonce) in [(pending, "0x0"), (queued, "0x2")] {
        assert_eq!(tx["nonce"], nonce);
        assert_eq!(tx["from"].as_str().map(str::to_lowercase), Some(ADDR0.to_lowercase()));
        assert_eq!(tx["to"].as_str().map(str::to_lowercase), Some(ADDR1.to_lowercase()));
        assert_eq!(tx["value"], "0x5");
        assert_eq!(tx["gas"], "0x5208");
        assert_eq!(tx["type"], "0x2");
        assert_eq!(tx["maxFeePerGas"], "0xb2d05e00");
        assert_eq!(tx["maxPriorityFeePerGas"], "0x3b9aca00");
        assert_eq!(tx["blockHash"], Value::Null);
        assert_eq!(tx["blockNumber"], Value::Null);
        assert_eq!(tx["transactionIndex"], Value::Null);
    }

    let inspect = rpc(&node.url, "txpool_inspect", json!([]))["result"].clone();
    let line = format!("{ADDR1}: 5 wei + 21000 gas × 3000000000 wei");
    assert_eq!(
        inspect,
        json!({
            "pending": { ADDR0: { "0": line } },
            "queued": { ADDR0: { "2": line } },
        })
    );
}

#[test]
fn resource_limits_connections_filters_and_the_sync_timeout() {
    let (node, _dir) = TestNode::fresh(&[
        "--block-time",
        "3600s",
        "--rpc.max-connections",
        "2",
        "--rpc.filter-timeout",
        "2s",
    ]);
    let addr = node.url.trim_start_matches("http://").to_string();

    // Two open WebSocket connections take both slots: an HTTP request gets 429 until one closes.
    let first = websocket(&addr).expect("first WebSocket");
    let second = websocket(&addr).expect("second WebSocket");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] });
    let (status, _) = rt.block_on(raw_rpc(&node.url, body.to_string()));
    assert_eq!(status, 429, "over the connection limit");
    assert!(websocket(&addr).is_err(), "a third WebSocket is refused too");
    drop(first);
    let start = Instant::now();
    while rt.block_on(raw_rpc(&node.url, body.to_string())).0 != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a slot comes back when a socket closes"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(second);

    // Filters: an idle one expires after --rpc.filter-timeout; a polled one lives on.
    let idle = rpc(&node.url, "eth_newBlockFilter", json!([]))["result"].clone();
    let polled = rpc(&node.url, "eth_newBlockFilter", json!([]))["result"].clone();
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(500));
        let changes = rpc(&node.url, "eth_getFilterChanges", json!([polled]));
        assert!(changes["result"].is_array(), "the polled filter lives: {changes}");
    }
    let gone = rpc(&node.url, "eth_getFilterChanges", json!([idle]));
    assert_eq!(gone["error"]["message"], "filter not found", "{gone}");
    // At most 10,000 installed at once (batches of 1,000 requests), on a node whose filters
    // do not expire while the batches run.
    let (roomy, _roomy_dir) = TestNode::fresh(&[]);
    let mut installed = 0;
    for batch in 0..11 {
        let calls: Vec<Value> = (0..1_000)
            .map(|i| json!({ "jsonrpc": "2.0", "id": batch * 1_000 + i, "method": "eth_newBlockFilter", "params": [] }))
            .collect();
        let (_, answers) = rt.block_on(raw_rpc(&roomy.url, Value::Array(calls).to_string()));
        for answer in answers.as_array().expect("batch answer") {
            if answer["result"].is_string() {
                installed += 1;
            } else {
                assert_eq!(answer["error"]["code"], -32005, "{answer}");
                assert_eq!(
                    answer["error"]["message"],
                    "too many filters installed (at most 10000)"
                );
            }
        }
    }
    assert_eq!(installed, 10_000, "filters up to the cap are installed, none beyond");

    // eth_sendRawTransactionSync: no block comes, so it times out with EIP-7966's error.
    let raw = cast_ok(&[
        "mktx",
        "--rpc-url",
        &node.url,
        "--private-key",
        KEY0,
        ADDR1,
        "--value",
        "1",
        "--gas-limit",
        "21000",
    ]);
    let hash = cast_ok(&["keccak", &raw]);
    let timed_out = rpc(&node.url, "eth_sendRawTransactionSync", json!([raw, 500]));
    assert_eq!(timed_out["error"]["code"], 4, "{timed_out}");
    assert_eq!(timed_out["error"]["data"], hash, "the error carries the hash: {timed_out}");
    let pooled = rpc(&node.url, "eth_getTransactionByHash", json!([hash]));
    assert_eq!(pooled["result"]["hash"], hash, "the transaction stays pooled: {pooled}");
}
