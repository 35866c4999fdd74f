//! Starting the node binary and finding the project's Foundry tools.

use std::{
    collections::VecDeque,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

/// Foundry's default dev key 0 (account 0xf39F...2266).
pub const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// Address of dev key 0.
pub const ADDR0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// Address of dev key 1.
pub const ADDR1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path of a Foundry binary installed by `contracts/scripts/install.sh`.
pub fn foundry(bin: &str) -> PathBuf {
    let path =
        workspace().join(format!("contracts/node_modules/@foundry-rs/{bin}-linux-amd64/bin/{bin}"));
    assert!(
        path.exists(),
        "{} missing: run `bash contracts/scripts/install.sh` (the test script does)",
        path.display()
    );
    path
}

/// A running node process, killed on drop.
pub struct TestNode {
    child: Child,
    /// HTTP URL of its RPC.
    pub url: String,
    /// The newest log lines, printed if the test fails while the node runs.
    log: Arc<Mutex<VecDeque<String>>>,
}

/// Log lines kept per node for a failing test's report.
const LOG_TAIL: usize = 300;

/// How many log lines to keep: [`LOG_TAIL`], or all of them with `OL_TEST_LOGS=all`.
pub fn log_tail() -> usize {
    if std::env::var_os("OL_TEST_LOGS").is_some_and(|v| v == "all") { usize::MAX } else { LOG_TAIL }
}

impl TestNode {
    /// Starts `ol-node --dev` on a free port with `datadir` and extra arguments.
    pub fn start(datadir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--dev"];
        args.extend_from_slice(extra);
        Self::start_with(datadir, &args)
    }

    /// Starts `ol-node` with exactly these arguments plus a free port and `datadir`.
    pub fn start_with(datadir: &Path, args: &[&str]) -> Self {
        Self::start_with_env(datadir, args, &[])
    }

    /// [`Self::start_with`] with extra environment variables.
    pub fn start_with_env(datadir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ol-node"))
            .args(["--http.port", "0", "--datadir"])
            .arg(datadir)
            .args(args)
            .envs(envs.iter().copied())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ol-node");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let tail = log.clone();
        let keep = log_tail();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Text logs say `http_addr=IP:PORT`, JSON logs `"http_addr":"IP:PORT"`.
                let rest =
                    line.split("http_addr=").nth(1).or(line.split("\"http_addr\":\"").nth(1));
                if let Some(rest) = rest {
                    let addr: String =
                        rest.chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
                    let _ = tx.send(addr);
                }
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() >= keep {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("node did not report its RPC address within 60 s");
            }
        };
        Self { child, url: format!("http://{addr}"), log }
    }

    /// Starts a node with a fresh temporary datadir (returned so it outlives the node).
    pub fn fresh(extra: &[&str]) -> (Self, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        (Self::start(dir.path(), extra), dir)
    }

    /// The stdout lines kept so far (the newest [`log_tail`]).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default()
    }

    /// SIGKILL, no chance to flush anything.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit; returns whether it exited successfully.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test shows what the node was doing (its stdout is otherwise discarded);
        // OL_TEST_LOGS=1 shows it for passing tests too.
        let wanted = std::thread::panicking() || std::env::var_os("OL_TEST_LOGS").is_some();
        if wanted && let Ok(tail) = self.log.lock() {
            eprintln!("---- last {} log lines of the node at {} ----", tail.len(), self.url);
            for line in tail.iter() {
                eprintln!("{line}");
            }
        }
    }
}

/// Runs a command and returns (success, stdout, stderr).
pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run command");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs cast with arguments against `url`'s node and returns stdout, panicking on failure.
pub fn cast_ok(args: &[&str]) -> String {
    let (ok, out, err) = run(Command::new(foundry("cast")).args(args));
    assert!(ok, "cast {args:?} failed:\n{out}\n{err}");
    out.trim().to_string()
}

/// A JSON artifact's creation bytecode.
pub fn creation_code(name: &str) -> String {
    let path = workspace().join(format!("contracts/artifacts/{name}.json"));
    let text = std::fs::read_to_string(&path).expect("artifact");
    let json: serde_json::Value = serde_json::from_str(&text).expect("artifact json");
    json["bytecode"]["object"].as_str().expect("bytecode").to_string()
}

/// Sends one JSON-RPC request over raw HTTP and returns the parsed JSON body.
pub async fn raw_rpc(url: &str, body: impl Into<reqwest::Body>) -> (u16, serde_json::Value) {
    try_raw_rpc(url, body).await.expect("http request")
}

/// Like [`raw_rpc`], but a connection the server closed is an `Err`.
pub async fn try_raw_rpc(
    url: &str,
    body: impl Into<reqwest::Body>,
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))))
}

/// `GET url` over plain HTTP/1.1 with `Connection: close`: (status code, body). Enough for the
/// node's and the batcher's small GET routes without an HTTP client in the tests' tree.
pub fn http_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) =
        rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    (code, if chunked { dechunk(body) } else { body.to_string() })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A signed EIP-1559 transfer of `1000 + nonce` wei to 0x4242…42 from `key` on the dev chain
/// (chain id 1612, 21,000 gas, 100 gwei cap, 1 gwei tip): raw EIP-2718 bytes.
pub fn signed_transfer(key: &alloy_signer_local::PrivateKeySigner, nonce: u64) -> Vec<u8> {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_signer::SignerSync;
    let tx = TxEip1559 {
        chain_id: 1612,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: alloy_primitives::TxKind::Call(alloy_primitives::Address::repeat_byte(0x42)),
        value: alloy_primitives::U256::from(1_000 + nonce),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    tx.into_signed(sig).encoded_2718()
}
