//! Foundry against the node: cast deploys, calls, reads events and decodes reverts; forge
//! broadcasts a script.

use crate::harness::{
    ADDR0, ADDR1, KEY0, TestNode, cast_ok, creation_code, foundry, run, workspace,
};
use std::process::Command;

/// cast prints large numbers as "1000000 [1e6]": keep the exact value.
fn number(out: String) -> String {
    out.split_whitespace().next().unwrap_or_default().to_string()
}

fn deploy(url: &str, artifact: &str, ctor: &[&str]) -> String {
    let code = creation_code(artifact);
    let mut args =
        vec!["send", "--rpc-url", url, "--private-key", KEY0, "--json", "--create", &code];
    args.extend_from_slice(ctor);
    let receipt: serde_json::Value = serde_json::from_str(&cast_ok(&args)).expect("receipt json");
    assert_eq!(receipt["status"], "0x1", "deployment of {artifact} failed: {receipt}");
    receipt["contractAddress"].as_str().expect("contract address").to_string()
}

#[test]
fn cast_deploys_calls_reads_events_and_decodes_reverts() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();

    assert_eq!(cast_ok(&["chain-id", "--rpc-url", url]), "1612");
    let token = deploy(url, "TestToken", &["constructor(uint256)", "1000000"]);
    assert_eq!(
        number(cast_ok(&["call", "--rpc-url", url, &token, "balanceOf(address)(uint256)", ADDR0])),
        "1000000"
    );

    let out = cast_ok(&[
        "send",
        "--rpc-url",
        url,
        "--private-key",
        KEY0,
        "--json",
        &token,
        "transfer(address,uint256)",
        ADDR1,
        "250",
    ]);
    let receipt: serde_json::Value = serde_json::from_str(&out).expect("receipt json");
    assert_eq!(receipt["status"], "0x1");
    let transfer_topic = cast_ok(&["keccak", "Transfer(address,address,uint256)"]);
    assert_eq!(receipt["logs"][0]["topics"][0], transfer_topic.as_str());
    assert_eq!(
        number(cast_ok(&["call", "--rpc-url", url, &token, "balanceOf(address)(uint256)", ADDR1])),
        "250"
    );

    // Events through eth_getLogs.
    let logs = cast_ok(&[
        "logs",
        "--rpc-url",
        url,
        "--from-block",
        "0",
        "--address",
        &token,
        "--json",
        &transfer_topic,
    ]);
    let logs: serde_json::Value = serde_json::from_str(&logs).expect("logs json");
    let logs = logs.as_array().expect("array");
    assert_eq!(logs.len(), 2, "mint and transfer: {logs:?}");

    // Revert reasons: Error(string) decoded, custom error data returned.
    let reverter = deploy(url, "Reverter", &[]);
    let (ok, out, err) = run(Command::new(foundry("cast")).args([
        "call",
        "--rpc-url",
        url,
        &reverter,
        "revertString()",
    ]));
    assert!(!ok, "call must fail: {out}");
    assert!(err.contains("Reverter: nope"), "revert reason not decoded: {err}");
    let (ok, _, err) = run(Command::new(foundry("cast")).args([
        "call",
        "--rpc-url",
        url,
        &reverter,
        "revertCustom(uint256)",
        "7",
    ]));
    assert!(!ok);
    let selector = cast_ok(&["sig", "Nope(uint256,address)"]);
    assert!(err.contains(&selector[2..]), "custom error data {selector} missing from: {err}");
    // Sending a reverting transaction fails at estimation with the reason.
    let (ok, _, err) = run(Command::new(foundry("cast")).args([
        "send",
        "--rpc-url",
        url,
        "--private-key",
        KEY0,
        &reverter,
        "revertString()",
    ]));
    assert!(!ok);
    assert!(err.contains("Reverter: nope"), "estimate did not surface the reason: {err}");
    // A mined revert has status 0.
    let out = cast_ok(&[
        "send",
        "--rpc-url",
        url,
        "--private-key",
        KEY0,
        "--gas-limit",
        "100000",
        "--json",
        &reverter,
        "revertString()",
    ]);
    let receipt: serde_json::Value = serde_json::from_str(&out).expect("receipt json");
    assert_eq!(receipt["status"], "0x0");
}

#[test]
fn forge_script_broadcasts() {
    let (node, _dir) = TestNode::fresh(&[]);
    let contracts = workspace().join("contracts");
    let solc = contracts.join("scripts/solc");
    let before = cast_ok(&["nonce", "--rpc-url", &node.url, ADDR0]);
    let (ok, out, err) = run(Command::new(foundry("forge"))
        .current_dir(&contracts)
        .env("FOUNDRY_SOLC", &solc)
        .env("FOUNDRY_OFFLINE", "true")
        .args([
            "script",
            "script/Deploy.s.sol",
            "--rpc-url",
            &node.url,
            "--broadcast",
            "--private-key",
            KEY0,
        ]));
    assert!(ok, "forge script failed:\n{out}\n{err}");
    let after = cast_ok(&["nonce", "--rpc-url", &node.url, ADDR0]);
    let (before, after): (u64, u64) =
        (before.parse().expect("nonce"), after.parse().expect("nonce"));
    assert_eq!(after, before + 3, "two deployments and one call");
}

#[test]
fn cast_run_replays_a_transaction_with_a_trace() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();
    let reverter = deploy(url, "Reverter", &[]);
    let out = cast_ok(&[
        "send",
        "--rpc-url",
        url,
        "--private-key",
        KEY0,
        "--json",
        &reverter,
        "ping()",
        "--value",
        "5",
    ]);
    let receipt: serde_json::Value = serde_json::from_str(&out).expect("receipt json");
    let hash = receipt["transactionHash"].as_str().expect("hash").to_string();
    // Foundry recognises OP-stack blocks (the L1-attributes deposit opens each one) only for
    // chain ids it knows, so users of this chain set FOUNDRY_OPTIMISM=true (or `optimism = true`
    // in foundry.toml), as README.md says.
    let (ok, out, err) = run(Command::new(foundry("cast")).env("FOUNDRY_OPTIMISM", "true").args([
        "run",
        "--rpc-url",
        url,
        &hash,
    ]));
    assert!(ok, "cast run failed:\n{out}\n{err}");
    assert!(out.contains("Ping"), "trace shows the event: {out}");
    assert!(out.contains("Transaction successfully executed"), "{out}");
}

/// The project's custom errors decode offline with a fresh Foundry home, as the docs say: after
/// `forge selectors cache` in `contracts/` (issue 13, item 7), `cast decode-error` names an
/// economy error and a precompile error it could not name before.
#[test]
fn custom_errors_decode_offline_after_forge_selectors_cache() {
    let home = tempfile::tempdir().expect("home");
    let contracts = workspace().join("contracts");
    let encode = |sig: &str, args: &[&str]| -> String {
        let selector = cast_ok(&["sig", sig]);
        let mut all = vec!["abi-encode", sig];
        all.extend_from_slice(args);
        format!("{selector}{}", cast_ok(&all).trim_start_matches("0x"))
    };
    let errors = [
        (encode("DataMismatch(uint256)", &["7"]), "DataMismatch(uint256)"),
        (
            encode("DimensionMismatch(uint64,uint256,uint256)", &["1", "64", "3"]),
            "DimensionMismatch(uint64,uint256,uint256)",
        ),
    ];
    let decode = |data: &str| {
        run(Command::new(foundry("cast")).env("HOME", home.path()).args(["decode-error", data]))
    };
    for (data, _) in &errors {
        let (ok, out, _) = decode(data);
        assert!(!ok, "a fresh home already knows {data}: {out}");
    }
    let (ok, out, err) = run(Command::new(foundry("forge"))
        .current_dir(&contracts)
        .env("HOME", home.path())
        .env("FOUNDRY_SOLC", contracts.join("scripts/solc"))
        .env("FOUNDRY_OFFLINE", "true")
        .args(["selectors", "cache"]));
    assert!(ok, "forge selectors cache:\n{out}\n{err}");
    for (data, name) in &errors {
        let (ok, out, err) = decode(data);
        assert!(ok && out.contains(name), "{data}: {out}\n{err}");
    }
}
