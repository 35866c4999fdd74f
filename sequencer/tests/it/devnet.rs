//! `bash deploy/devnet.sh`, the README's first command: it brings up anvil, the L1 contracts,
//! the genesis, the sequencer and the batcher, writes `devnet.json`, stops everything on SIGINT
//! and starts again on the same directory.
//!
//! It runs the script of a fresh `git clone` of this checkout in a temporary directory (so the
//! committed script, installing Foundry and compiling the contracts itself), with the binaries
//! the tests use (`OL_DEVNET_BIN`): building them in release mode would take minutes more.

use crate::{
    batcher::tag_number,
    harness::{KEY0, foundry, http_get, run, workspace},
    l1::{cast, head, wait_for},
};
use serde_json::Value;
use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port()
}

struct Devnet {
    child: Child,
    ports: [u16; 4],
}

impl Devnet {
    fn start(clone: &Path, dir: &Path, ports: [u16; 4], fresh: bool) -> Self {
        let bin = Path::new(env!("CARGO_BIN_EXE_ol-node")).parent().expect("bin dir");
        let mut cmd = Command::new("bash");
        cmd.arg(clone.join("deploy/devnet.sh")).arg("--dir").arg(dir);
        if fresh {
            cmd.arg("--fresh");
        }
        let child = cmd
            .env("OL_DEVNET_BIN", bin)
            .env("OL_DEVNET_L1_PORT", ports[0].to_string())
            .env("OL_DEVNET_L2_PORT", ports[1].to_string())
            .env("OL_DEVNET_L2_WS_PORT", ports[2].to_string())
            .env("OL_DEVNET_BATCHER_PORT", ports[3].to_string())
            .env("OL_DEVNET_L1_BLOCK_TIME", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn devnet.sh");
        Self { child, ports }
    }

    /// The process ids of the script's children (anvil, ol-node, ol-batcher).
    fn components(&self) -> Vec<String> {
        let parent = self.child.id().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .filter_map(|e| {
                let pid = e.ok()?.file_name().into_string().ok()?;
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                // "pid (comm) state ppid ...": the command name may hold spaces, so split after it.
                let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.to_string();
                (ppid == parent).then_some(pid)
            })
            .collect()
    }

    /// SIGINT (Ctrl-C) to the script; returns its exit status once it is gone.
    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("devnet.sh did not stop within 30 s of SIGINT");
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        // A failed test must not leave the rollup running: the children first, then the script.
        for pid in self.components() {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn alive(pid: &str) -> bool {
    Command::new("kill").args(["-0", pid]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[test]
fn the_devnet_comes_up_in_one_command_posts_batches_and_stops_on_ctrl_c() {
    // Foundry is what the script installs first; make sure it is there for cast below.
    assert!(foundry("cast").exists());
    let dir = tempfile::tempdir().expect("tempdir");
    let clone = tempfile::tempdir().expect("tempdir");
    let (ok, out, err) = run(Command::new("git")
        .args(["clone", "--quiet"])
        .arg(workspace())
        .arg(clone.path().join("repo")));
    assert!(ok, "git clone of the checkout:\n{out}\n{err}");
    let clone = clone.path().join("repo");
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let devnet = Devnet::start(&clone, dir.path(), ports, true);
    let facts_path = dir.path().join("devnet.json");
    wait_for("devnet.json", Duration::from_secs(180), || facts_path.exists());
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(&facts_path).expect("read")).expect("json");
    let l2 = facts["l2_rpc"].as_str().expect("l2_rpc").to_string();
    assert_eq!(l2, format!("http://127.0.0.1:{}", devnet.ports[1]));
    assert_eq!(facts["l1_rpc"], format!("http://127.0.0.1:{}", ports[0]));
    assert_eq!(facts["l2_ws"], format!("ws://127.0.0.1:{}", ports[2]));
    assert_eq!(facts["chain_id"], 1612);
    for name in ["OpenPortal", "SettlementInbox", "OpenToken"] {
        let address = facts["contracts"][name].as_str().unwrap_or_default();
        let code = cast(&["code", address, "--rpc-url", facts["l1_rpc"].as_str().expect("l1")]);
        assert!(code.len() > 2, "{name} has no code at {address}");
    }
    assert!(Path::new(facts["genesis"].as_str().expect("genesis")).exists());
    assert!(Path::new(facts["rollup_config"].as_str().expect("rollup")).exists());
    assert_eq!(facts["keys"]["dev"][0], KEY0);
    assert_eq!(facts["keys"]["dev"].as_array().map(Vec::len), Some(10));

    // A transaction with a dev key, then the batch that carries it and the safe head past it.
    let out = cast(&[
        "send",
        "--rpc-url",
        &l2,
        "--private-key",
        KEY0,
        "--json",
        "0x000000000000000000000000000000000000bEEF",
        "--value",
        "1",
    ]);
    let receipt: Value = serde_json::from_str(&out).expect("receipt");
    let block = u64::from_str_radix(
        receipt["blockNumber"].as_str().expect("number").trim_start_matches("0x"),
        16,
    )
    .expect("hex");
    wait_for("the safe head past the transaction", Duration::from_secs(120), || {
        tag_number(&l2, "safe") >= block
    });
    let log = std::fs::read_to_string(dir.path().join("logs/batcher.log")).expect("batcher log");
    assert!(log.contains("channel confirmed on L1"), "{log}");

    // The operator's view: ready, in sync with L1, the batcher's figures on the status JSON,
    // and the batcher's metrics (op-batcher's names) moved by what it posted.
    let (code, body) = http_get(&format!("{l2}/health"));
    let health: Value = serde_json::from_str(&body).expect("health json");
    assert_eq!(code, 200, "{health}");
    assert_eq!(health["ready"], true, "{health}");
    assert_eq!(health["role"], "sequencer", "{health}");
    assert_eq!(health["l1"]["inSync"], true, "{health}");
    let batcher_posted = || {
        let (code, body) = http_get(&format!("{l2}/status"));
        assert_eq!(code, 200, "{body}");
        let status: Value = serde_json::from_str(&body).expect("status json");
        status["batcher"].clone()
    };
    wait_for("the batcher's figures on /status", Duration::from_secs(20), || {
        batcher_posted()["status"]["postedTransactions"].as_u64().is_some_and(|n| n >= 1)
    });
    let batcher = batcher_posted();
    assert_eq!(batcher["address"], "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc", "{batcher}");
    let balance = batcher["balanceWei"].as_str().expect("balance");
    assert!(balance.starts_with("0x") && balance != "0x0", "{batcher}");
    assert_ne!(batcher["status"]["feesSpentWei"], "0", "{batcher}");
    let (page_code, page) = http_get(&format!("{l2}/"));
    assert!(page_code == 200 && page.contains("Add to MetaMask"), "status page: {page_code}");
    crate::clients::install();
    let batcher_metrics = format!("{}/metrics", facts["batcher_rpc"].as_str().expect("batcher"));
    let script = workspace().join("sequencer/tests/clients/prom_check.py");
    let (ok, out, err) = run(Command::new("python3").arg(script).arg(&batcher_metrics).args([
        "op_batcher_default_up>=1",
        "op_batcher_default_batcher_tx_total{stage=\"submitted\"}>=1",
        "op_batcher_default_batcher_tx_total{stage=\"success\"}>=1",
        "op_batcher_default_channel_compr_ratio_count>=1",
        "op_batcher_default_input_bytes_total>=1",
        "op_batcher_default_output_bytes_total>=1",
        "op_batcher_default_pending_blocks_bytes_current",
        "op_batcher_default_pending_txs",
        "op_batcher_default_tx_fee_gwei_total>=0.000000001",
        &format!("op_batcher_default_refs_number{{layer=\"l2\",type=\"posted\"}}>={block}"),
    ]));
    assert!(ok, "batcher metrics:\n{out}\n{err}");

    // Ctrl-C stops every component.
    let components = devnet.components();
    assert_eq!(components.len(), 3, "anvil, ol-node and ol-batcher: {components:?}");
    let status = devnet.interrupt();
    assert!(!status.success(), "interrupted: {status:?}");
    for pid in &components {
        assert!(!alive(pid), "component {pid} still running after Ctrl-C");
    }

    // A second start reuses the directory: the same contracts and the chain goes on.
    let devnet = Devnet::start(&clone, dir.path(), ports, false);
    wait_for("the L2 RPC again", Duration::from_secs(120), || {
        run(Command::new(foundry("cast")).args(["block-number", "--rpc-url", &l2])).0
    });
    wait_for("the chain to go on", Duration::from_secs(60), || head(&l2) > block);
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(&facts_path).expect("read")).expect("json");
    assert_eq!(again["contracts"], facts["contracts"]);
    assert_eq!(
        cast(&["balance", "0x000000000000000000000000000000000000bEEF", "--rpc-url", &l2]),
        "1",
        "the transfer survived the restart"
    );
    let _ = devnet.interrupt();
}
