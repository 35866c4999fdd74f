//! Real clients against the node: the ethers v6, viem and web3.py scripts of
//! `sequencer/tests/clients/` (MetaMask's call sequence, ERC-20 deploy and transfer, logs,
//! filters, WebSocket subscriptions, revert decoding), each on a fresh node.
//!
//! `sequencer/tests/clients/install.sh` installs the pinned npm and PyPI packages first (once
//! per test binary; the script itself is idempotent and serialised). A missing node, npm or
//! python3 fails the tests: they are never skipped.

use crate::harness::{TestNode, workspace};
use std::{
    io::Read,
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

/// Longer than the scripts' own global timeouts (`guard`, at most 240 s), so that one normally
/// reports first.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);
/// npm ci and pip install from the registries on a cold cache.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

fn clients_dir() -> PathBuf {
    workspace().join("sequencer/tests/clients")
}

/// Runs `cmd` with a deadline; returns (success, stdout, stderr). A command that cannot be
/// started (e.g. node not installed) or that overruns is a failure with the reason in stderr.
fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> (bool, String, String) {
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return (false, String::new(), format!("cannot start {cmd:?}: {e}")),
    };
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for {cmd:?}: {e}"),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let mut stderr = err.join().unwrap_or_default();
    if status.is_none() {
        stderr.push_str(&format!("\n[killed: still running after {} s]", timeout.as_secs()));
    }
    (status.is_some_and(|s| s.success()), stdout, stderr)
}

/// Runs `install.sh` once per process; every test fails with its output if it failed.
pub(crate) fn install() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let script = clients_dir().join("install.sh");
        let (ok, out, err) = run_with_timeout(Command::new("bash").arg(&script), INSTALL_TIMEOUT);
        if ok {
            Ok(())
        } else {
            Err(format!("{} failed:\n--- stdout\n{out}\n--- stderr\n{err}", script.display()))
        }
    });
    if let Err(message) = result {
        panic!("{message}");
    }
}

/// Starts a fresh node and runs `program script <url>`, panicking with the output on failure.
fn run_client(program: &str, script: &str) {
    run_client_with(program, script, &[], &[]);
}

/// [`run_client`] with extra node flags and extra script arguments after the URL.
fn run_client_with(program: &str, script: &str, node_args: &[&str], script_args: &[&str]) {
    install();
    let (node, _dir) = TestNode::fresh(node_args);
    let path = clients_dir().join(script);
    let (ok, out, err) = run_with_timeout(
        Command::new(program).arg(&path).arg(&node.url).args(script_args).current_dir(workspace()),
        SCRIPT_TIMEOUT,
    );
    assert!(
        ok,
        "{program} {} {} failed:\n--- stdout\n{out}\n--- stderr\n{err}",
        path.display(),
        node.url
    );
}

#[test]
fn ethers_v6_metamask_erc20_events_subscriptions_and_reverts() {
    run_client("node", "ethers.mjs");
}

#[test]
fn viem_erc20_events_subscriptions_fees_and_reverts() {
    run_client("node", "viem.mjs");
}

#[test]
fn web3py_transfer_erc20_and_revert() {
    run_client("python3", "web3_test.py");
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_blocks_and_calls() {
    run_client("python3", "metrics_test.py");
}

/// The status page in headless Chromium; the screenshot stays in `target/test-artifacts/`.
#[test]
fn status_page_in_chromium_shows_heads_transactions_datanets_and_adds_the_network() {
    let shot = workspace().join("target/test-artifacts/status-page.png");
    let _ = std::fs::remove_file(&shot);
    let shot = shot.to_string_lossy().into_owned();
    run_client_with("node", "status_page.mjs", &["--block-time", "500ms"], &[&shot]);
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real PNG, {} bytes", png.len());
}

#[test]
fn adversarial_clients_get_bounded_answers() {
    run_client("node", "adversarial.mjs");
}
