//! `ol-loadgen`: a load generator for any Ethereum JSON-RPC node (this node, anvil, geth, reth).
//!
//! What it measures, and why:
//!
//! - **signing tx/s**: all transactions are signed offline, in parallel (rayon), before the clock
//!   starts, so the client's ECDSA cost never shows up in the node's figures. It is reported on
//!   its own so that a reader can see the client was not the bottleneck.
//! - **accepted/s**: `eth_sendRawTransaction` replies that carry a transaction hash, per second of
//!   submission. This is the node's admission path: decode, signature recovery, pool checks.
//! - **submit latency** (p50/p90/p99/max): time from sending an HTTP request to reading its reply,
//!   over keep-alive HTTP/1.1 connections, one per concurrent worker. With `--batch N` one
//!   sample covers a whole batch of N transactions.
//! - **included/s**: our transactions found in blocks, divided by the time from the first
//!   submission to the moment the poller saw the block holding the last one. With 100,000
//!   transactions or more the run spans many blocks, so the block clock does not bound the
//!   figure: it is the node's sustained execution and block-building rate. It cannot exceed the
//!   submission rate, so compare it with accepted/s. Inclusion latency (submission to the poll
//!   that saw the block) is reported too.
//! - **eth_call/s** (`--workload call`): ERC-20 `balanceOf` calls answered per second.
//!
//! Set-up (funding fresh sender accounts, deploying an ERC-20, reading the chain id and base fee)
//! happens before measuring. Each sender has at most one transaction in flight, so its nonces
//! reach the node in order whatever the node does with concurrent requests; senders rotate over
//! the workers, so keep `--senders` at least `--concurrency` x `--batch`. A rejected
//! transaction ends its sender's run (later nonces would only open a gap): they are reported as
//! skipped. Sampled receipts must have status 1.
//!
//! Only loopback endpoints are accepted unless `--allow-non-loopback` is given: this is a load
//! test, point it at a node you run. Ctrl-C stops the run with a partial report.
//!
//! Exit status: 0 for a clean run, 2 when transactions were rejected, accepted ones were not
//! all included before `--timeout-secs`, or a sampled receipt failed; 130 after Ctrl-C; 1 on
//! errors (set-up failed, node unreachable).
//!
//! Example: `ol-loadgen --rpc-url http://127.0.0.1:8545 --workload transfer --txs 100000`.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, B256, Bytes as EvmBytes, TxKind, U64, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};
use alloy_sol_types::{SolCall, sol};
use clap::{Parser, ValueEnum};
use eyre::{Result, WrapErr, bail, eyre};
use http_body_util::{BodyExt, Full};
use hyper::{
    Request,
    body::Bytes,
    client::conn::http1,
    header::{self, HeaderValue},
};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use rayon::prelude::*;
use serde::{
    Deserialize,
    de::{DeserializeOwned, IgnoredAny},
};
use serde_json::{Value, json};
use tokio::{net::TcpStream, sync::Notify};
use tracing::{debug, info, warn};

/// The standard development mnemonic (anvil, hardhat and this node's dev genesis fund it).
const TEST_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Native currency given to each sender on top of twice its worst-case gas bill: covers an OP
/// Stack L1 data fee and fee drift.
const FUND_MARGIN_WEI: u128 = 50_000_000_000_000_000;
/// Initial supply passed to an ERC-20 whose constructor takes one `uint256` (10^9 tokens).
const TOKEN_SUPPLY: u128 = 1_000_000_000_000_000_000_000_000_000;
/// Token units (wei) handed to each sender; every measured ERC-20 transfer moves 1 unit.
const TOKENS_PER_SENDER: u128 = 1_000_000_000_000_000_000;
/// Gas of a plain value transfer.
const TRANSFER_GAS: u64 = 21_000;
/// Distinct error messages kept verbatim; the rest are counted under one key.
const MAX_DISTINCT_ERRORS: usize = 32;

sol! {
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Workload {
    /// Plain native-currency transfers (21,000 gas each).
    Transfer,
    /// ERC-20 `transfer(to, 1)` calls on a freshly deployed token.
    Erc20,
    /// ERC-20 `balanceOf` over `eth_call` for `--duration-secs`.
    Call,
}

impl Workload {
    const fn name(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Erc20 => "erc20",
            Self::Call => "call",
        }
    }
}

/// Load generator for an Ethereum JSON-RPC node: signs transactions offline, fires them over
/// JSON-RPC and measures accepted/s, included/s and latency percentiles.
#[derive(Parser, Debug)]
#[command(name = "ol-loadgen", version)]
struct Cli {
    /// JSON-RPC HTTP endpoint of the node under test.
    #[arg(long, env = "OL_LOADGEN_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// Workload to run.
    #[arg(long, value_enum, default_value_t = Workload::Transfer)]
    workload: Workload,
    /// Number of transactions to sign and submit (transfer, erc20).
    #[arg(long, default_value_t = 100_000)]
    txs: usize,
    /// Number of fresh sender accounts (transactions are spread round-robin over them).
    #[arg(long, default_value_t = 200)]
    senders: usize,
    /// Concurrent in-flight HTTP requests, one keep-alive connection each.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// JSON-RPC batch size per HTTP request (1 = single requests).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// BIP-39 mnemonic of the funding account.
    #[arg(long, env = "OL_LOADGEN_MNEMONIC", hide_env_values = true, default_value = TEST_MNEMONIC)]
    mnemonic: String,
    /// Index of the funding account on the path m/44'/60'/0'/0/i.
    #[arg(long, default_value_t = 0)]
    funder_index: u32,
    /// Duration of the `call` workload, in seconds.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// How long to wait for inclusion after the last submission (and for set-up transactions).
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// ERC-20 artifact (`{"abi":[...],"bytecode":{"object":"0x.."}}`); constructor takes no
    /// argument or one uint256 initial supply minted to the deployer. Default:
    /// contracts/artifacts/TestToken.json of this repository.
    #[arg(long)]
    erc20_artifact: Option<PathBuf>,
    /// Number of distinct recipient addresses (derived deterministically).
    #[arg(long, default_value_t = 10_000)]
    recipients: u64,
    /// Priority fee (tip) per gas, in wei; max fee = 2 x base fee + tip.
    #[arg(long, default_value_t = 1_000_000_000)]
    priority_fee_wei: u128,
    /// Gas limit of each measured transaction (default: 21000 for transfer, eth_estimateGas +20%
    /// for erc20).
    #[arg(long)]
    gas_limit: Option<u64>,
    /// Receipts sampled after the run to check status == 1.
    #[arg(long, default_value_t = 200)]
    receipt_samples: usize,
    /// Block polling interval while waiting for inclusion, in milliseconds.
    #[arg(long, default_value_t = 50)]
    poll_ms: u64,
    /// Also print the summary as one JSON line on stdout.
    #[arg(long)]
    json: bool,
    /// Permit an endpoint that does not resolve to a loopback address.
    #[arg(long)]
    allow_non_loopback: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if cli.txs == 0 || cli.senders == 0 || cli.concurrency == 0 || cli.batch == 0 {
        bail!("--txs, --senders, --concurrency and --batch must all be at least 1");
    }
    if cli.recipients == 0 {
        bail!("--recipients must be at least 1");
    }
    let endpoint = Arc::new(Endpoint::resolve(&cli.rpc_url, cli.allow_non_loopback).await?);
    let stop = install_ctrl_c();

    let mut conn = Conn::new(endpoint.clone());
    let chain = ChainParams::read(&mut conn, cli.priority_fee_wei).await?;
    info!(
        chain_id = chain.chain_id,
        base_fee = chain.base_fee,
        max_fee = chain.max_fee,
        tip = chain.tip,
        "connected to {}",
        cli.rpc_url
    );
    let funder = MnemonicBuilder::try_from_phrase_nth(cli.mnemonic.as_str(), cli.funder_index)
        .wrap_err("deriving the funder key from the mnemonic")?;
    let mut funder = Account::load(&mut conn, funder).await?;
    info!(address = %funder.address(), balance = %funder.balance, nonce = funder.nonce, "funder");

    let report = match cli.workload {
        Workload::Call => run_call(&cli, &endpoint, &mut conn, &chain, &mut funder, &stop).await?,
        Workload::Transfer | Workload::Erc20 => {
            run_txs(&cli, &endpoint, &mut conn, &chain, &mut funder, &stop).await?
        }
    };
    println!("{}", report.human);
    if cli.json {
        println!("{}", report.json);
    }
    if stop.is_set() {
        // Interrupted: the report above is partial; exit like a process killed by SIGINT.
        std::process::exit(130);
    }
    if !report.clean {
        warn!("the run was not clean (rejections, missing inclusions or failed receipts)");
        std::process::exit(2);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Transport: keep-alive HTTP/1.1 connections and JSON-RPC framing.
// ---------------------------------------------------------------------------------------------

/// A resolved HTTP endpoint.
#[derive(Debug)]
struct Endpoint {
    addr: SocketAddr,
    host: HeaderValue,
    path: String,
}

impl Endpoint {
    async fn resolve(url: &str, allow_non_loopback: bool) -> Result<Self> {
        let uri: hyper::Uri = url.parse().wrap_err_with(|| format!("invalid --rpc-url {url}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("--rpc-url {url}: only http:// endpoints are supported");
        }
        let authority = uri.authority().ok_or_else(|| eyre!("--rpc-url {url} has no host"))?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(80);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .wrap_err_with(|| format!("resolving {host}"))?
            .collect();
        let addr = *addrs.first().ok_or_else(|| eyre!("{host} resolves to no address"))?;
        if !allow_non_loopback && !addrs.iter().all(|a| a.ip().is_loopback()) {
            bail!(
                "--rpc-url {url} resolves to {addrs:?}, not a loopback address; pass \
                 --allow-non-loopback to load a node you run elsewhere"
            );
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let host = HeaderValue::from_str(authority.as_str()).wrap_err("invalid host header")?;
        Ok(Self { addr, host, path })
    }
}

/// One keep-alive HTTP/1.1 connection, re-opened on demand after a failure.
struct Conn {
    endpoint: Arc<Endpoint>,
    sender: Option<http1::SendRequest<Full<Bytes>>>,
}

impl Conn {
    const fn new(endpoint: Arc<Endpoint>) -> Self {
        Self { endpoint, sender: None }
    }

    async fn open(&mut self) -> Result<()> {
        let stream = TcpStream::connect(self.endpoint.addr)
            .await
            .wrap_err_with(|| format!("connecting to {}", self.endpoint.addr))?;
        stream.set_nodelay(true).wrap_err("setting TCP_NODELAY")?;
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream)).await.wrap_err("HTTP/1.1 handshake")?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                debug!(%err, "HTTP connection closed");
            }
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// POSTs `body` and returns the response body. Not retried: a request may have reached the
    /// node even when its reply did not reach us.
    async fn post(&mut self, body: Bytes) -> Result<Bytes> {
        if self.sender.as_ref().is_none_or(http1::SendRequest::is_closed) {
            self.open().await?;
        }
        let Some(sender) = self.sender.as_mut() else { bail!("no HTTP connection") };
        if sender.ready().await.is_err() {
            // The server closed the idle connection: nothing was sent yet, so reconnecting is safe.
            self.open().await?;
        }
        let Some(sender) = self.sender.as_mut() else { bail!("no HTTP connection") };
        sender.ready().await.wrap_err("HTTP connection not ready")?;
        let request = Request::post(self.endpoint.path.as_str())
            .header(header::HOST, self.endpoint.host.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(body))
            .wrap_err("building HTTP request")?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(err) => {
                self.sender = None;
                return Err(err).wrap_err("HTTP request failed");
            }
        };
        let status = response.status();
        let bytes = match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                self.sender = None;
                return Err(err).wrap_err("reading HTTP response");
            }
        };
        if !status.is_success() {
            let shown = &bytes[..bytes.len().min(200)];
            bail!("HTTP {status}: {}", String::from_utf8_lossy(shown));
        }
        Ok(bytes)
    }

    /// One JSON-RPC call; an RPC error becomes an `Err` carrying its code and message.
    async fn call<T: DeserializeOwned>(&mut self, method: &str, params: Value) -> Result<T> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let body = serde_json::to_vec(&body).wrap_err("encoding JSON-RPC request")?;
        let reply = self.post(body.into()).await.wrap_err_with(|| format!("{method} request"))?;
        let reply: Reply = serde_json::from_slice(&reply).wrap_err_with(|| {
            let shown = &reply[..reply.len().min(300)];
            format!("{method}: invalid JSON-RPC reply {}", String::from_utf8_lossy(shown))
        })?;
        if let Some(err) = reply.error {
            bail!("{method}: RPC error {}: {}", err.code, err.message);
        }
        serde_json::from_value(reply.result)
            .wrap_err_with(|| format!("{method}: unexpected result shape"))
    }
}

/// A JSON-RPC reply, for set-up calls.
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    result: Value,
    #[serde(default)]
    error: Option<RpcError>,
}

/// A JSON-RPC reply on the measured path: the result is skipped, not materialised.
#[derive(Deserialize)]
struct HotReply {
    #[serde(default)]
    result: Option<IgnoredAny>,
    #[serde(default)]
    error: Option<RpcError>,
}

/// An item of a batch reply: matched to its request by id.
#[derive(Deserialize)]
struct BatchReply {
    #[serde(default)]
    id: Option<Value>,
    #[serde(flatten)]
    reply: HotReply,
}

#[derive(Deserialize)]
struct RpcError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// `{"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params>}`, written by hand so the
/// measured requests are built once, before the clock starts.
fn rpc_request(id: usize, method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#)
}

/// A request body: one call, or a JSON-RPC batch when `batch` is set.
fn request_body(requests: &[String], batch: bool) -> Bytes {
    if batch {
        Bytes::from(format!("[{}]", requests.join(",")))
    } else {
        Bytes::from(requests.concat())
    }
}

// ---------------------------------------------------------------------------------------------
// Chain parameters, accounts and set-up transactions.
// ---------------------------------------------------------------------------------------------

/// Chain id and the fees every transaction of the run uses.
#[derive(Debug, Clone, Copy)]
struct ChainParams {
    chain_id: u64,
    base_fee: u128,
    tip: u128,
    max_fee: u128,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeaderLite {
    #[serde(default)]
    base_fee_per_gas: Option<U256>,
}

impl ChainParams {
    async fn read(conn: &mut Conn, tip: u128) -> Result<Self> {
        let chain_id: U64 = conn.call("eth_chainId", json!([])).await?;
        let gas_price: U256 = conn.call("eth_gasPrice", json!([])).await?;
        let latest: Option<HeaderLite> =
            conn.call("eth_getBlockByNumber", json!(["latest", false])).await?;
        let latest = latest.ok_or_else(|| eyre!("the node has no latest block"))?;
        let base_fee = latest.base_fee_per_gas.unwrap_or(gas_price);
        let base_fee = u128::try_from(base_fee).wrap_err("base fee does not fit in u128")?;
        let gas_price = u128::try_from(gas_price).wrap_err("gas price does not fit in u128")?;
        let max_fee = base_fee.saturating_mul(2).saturating_add(tip).max(gas_price);
        Ok(Self { chain_id: chain_id.to(), base_fee, tip, max_fee })
    }

    /// Signs an EIP-1559 transaction; returns its hash and EIP-2718 encoding.
    fn sign(&self, signer: &PrivateKeySigner, tx: TxFields) -> Result<(B256, Vec<u8>)> {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: tx.nonce,
            gas_limit: tx.gas,
            max_fee_per_gas: self.max_fee,
            max_priority_fee_per_gas: self.tip,
            to: tx.to,
            value: tx.value,
            access_list: Default::default(),
            input: tx.input,
        };
        let signature = signer.sign_hash_sync(&tx.signature_hash()).wrap_err("signing")?;
        let signed = tx.into_signed(signature);
        let mut raw = Vec::with_capacity(signed.eip2718_encoded_length());
        signed.eip2718_encode(&mut raw);
        Ok((*signed.hash(), raw))
    }
}

/// The per-transaction fields; chain id and fees come from [`ChainParams`].
struct TxFields {
    nonce: u64,
    gas: u64,
    to: TxKind,
    value: U256,
    input: EvmBytes,
}

/// A signing key with its next nonce and balance as read from the node.
struct Account {
    signer: PrivateKeySigner,
    nonce: u64,
    balance: U256,
}

impl Account {
    async fn load(conn: &mut Conn, signer: PrivateKeySigner) -> Result<Self> {
        let address = signer.address();
        let nonce: U64 = conn.call("eth_getTransactionCount", json!([address, "pending"])).await?;
        let balance: U256 = conn.call("eth_getBalance", json!([address, "latest"])).await?;
        Ok(Self { signer, nonce: nonce.to(), balance })
    }

    fn address(&self) -> Address {
        self.signer.address()
    }

    /// Signs and sends a set-up transaction, returning its hash.
    async fn send(
        &mut self,
        conn: &mut Conn,
        chain: &ChainParams,
        to: TxKind,
        value: U256,
        input: Vec<u8>,
        gas: u64,
    ) -> Result<B256> {
        let fields = TxFields { nonce: self.nonce, gas, to, value, input: input.into() };
        let (hash, raw) = chain.sign(&self.signer, fields)?;
        let sent: B256 = conn
            .call("eth_sendRawTransaction", json!([format!("0x{}", hex::encode(raw))]))
            .await
            .wrap_err("set-up transaction rejected")?;
        if sent != hash {
            warn!(%sent, %hash, "node returned a different transaction hash than computed");
        }
        self.nonce += 1;
        Ok(hash)
    }

    /// Waits until every transaction sent so far is mined (the latest nonce catches up).
    async fn wait_mined(&self, conn: &mut Conn, timeout: Duration, stop: &Stop) -> Result<()> {
        let start = Instant::now();
        loop {
            let mined: U64 =
                conn.call("eth_getTransactionCount", json!([self.address(), "latest"])).await?;
            if mined.to::<u64>() >= self.nonce {
                return Ok(());
            }
            if stop.is_set() {
                bail!("interrupted during set-up");
            }
            if start.elapsed() > timeout {
                bail!(
                    "set-up transactions of {} not mined within {timeout:?} (mined nonce {mined}, \
                     sent up to {})",
                    self.address(),
                    self.nonce
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptLite {
    #[serde(default)]
    status: Option<U64>,
    #[serde(default)]
    contract_address: Option<Address>,
}

/// Waits for a receipt (some nodes advance the nonce a moment before the receipt is served) and
/// fails unless its status is 1.
async fn require_success(conn: &mut Conn, hash: B256, what: &str) -> Result<ReceiptLite> {
    let start = Instant::now();
    let receipt = loop {
        let receipt: Option<ReceiptLite> =
            conn.call("eth_getTransactionReceipt", json!([hash])).await?;
        match receipt {
            Some(receipt) => break receipt,
            None if start.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            None => bail!("{what}: no receipt for {hash} after 10 s"),
        }
    };
    if receipt.status != Some(U64::from(1)) {
        bail!("{what}: transaction {hash} failed (status {:?})", receipt.status);
    }
    Ok(receipt)
}

/// Reads the ERC-20 artifact and returns its path and init code (constructor arguments included).
fn load_erc20_init_code(flag: Option<&Path>) -> Result<(PathBuf, Vec<u8>)> {
    let candidates = match flag {
        Some(path) => vec![path.to_path_buf()],
        None => vec![
            PathBuf::from("contracts/artifacts/TestToken.json"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/artifacts/TestToken.json"),
        ],
    };
    let path = candidates.iter().find(|p| p.is_file()).ok_or_else(|| {
        eyre!("no ERC-20 artifact found (tried {candidates:?}); pass --erc20-artifact")
    })?;
    let text = std::fs::read_to_string(path).wrap_err_with(|| format!("reading {path:?}"))?;
    let artifact: Value =
        serde_json::from_str(&text).wrap_err_with(|| format!("parsing {path:?}"))?;
    let bytecode = match &artifact["bytecode"] {
        Value::String(code) => code.as_str(),
        Value::Object(fields) => fields.get("object").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    let mut code = hex::decode(bytecode.trim_start_matches("0x"))
        .wrap_err_with(|| format!("{path:?}: bytecode is not plain hex (unlinked library?)"))?;
    if code.is_empty() {
        bail!("{path:?} has no bytecode (expected bytecode.object)");
    }
    let abi = artifact["abi"].as_array().ok_or_else(|| eyre!("{path:?} has no abi array"))?;
    for function in ["transfer", "balanceOf"] {
        if !abi.iter().any(|e| e["type"] == "function" && e["name"] == function) {
            bail!("{path:?}: the abi has no {function} function; is this an ERC-20?");
        }
    }
    let constructor_inputs: Vec<&str> = abi
        .iter()
        .find(|e| e["type"] == "constructor")
        .and_then(|c| c["inputs"].as_array())
        .map(|inputs| inputs.iter().map(|i| i["type"].as_str().unwrap_or("?")).collect())
        .unwrap_or_default();
    match constructor_inputs.as_slice() {
        [] => {}
        ["uint256"] => code.extend_from_slice(&U256::from(TOKEN_SUPPLY).to_be_bytes::<32>()),
        other => bail!(
            "{path:?}: constructor takes {other:?}; expected no argument or one uint256 supply"
        ),
    }
    Ok((path.clone(), code))
}

/// Deploys the ERC-20 from the funder, waits for it and returns its address.
async fn deploy_erc20(
    cli: &Cli,
    conn: &mut Conn,
    chain: &ChainParams,
    funder: &mut Account,
    stop: &Stop,
) -> Result<Address> {
    let (path, init_code) = load_erc20_init_code(cli.erc20_artifact.as_deref())?;
    let estimate: U64 = conn
        .call(
            "eth_estimateGas",
            json!([{ "from": funder.address(), "data": format!("0x{}", hex::encode(&init_code)) }]),
        )
        .await
        .wrap_err("estimating the ERC-20 deployment")?;
    let gas = estimate.to::<u64>().saturating_mul(13) / 10;
    let expected = funder.address().create(funder.nonce);
    let hash = funder.send(conn, chain, TxKind::Create, U256::ZERO, init_code, gas).await?;
    funder.wait_mined(conn, Duration::from_secs(cli.timeout_secs), stop).await?;
    let receipt = require_success(conn, hash, "ERC-20 deployment").await?;
    let token = receipt.contract_address.unwrap_or(expected);
    info!(%token, artifact = %path.display(), "ERC-20 deployed");
    Ok(token)
}

/// `balanceOf(holder)` through `eth_call`.
async fn token_balance(conn: &mut Conn, token: Address, holder: Address) -> Result<U256> {
    let data = balanceOfCall { account: holder }.abi_encode();
    let out: EvmBytes = conn
        .call("eth_call", json!([{ "to": token, "data": EvmBytes::from(data) }, "latest"]))
        .await?;
    balanceOfCall::abi_decode_returns(&out).wrap_err("decoding balanceOf")
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C.
// ---------------------------------------------------------------------------------------------

/// Set by Ctrl-C; every loop checks it and winds down with a partial report.
#[derive(Default)]
struct Stop(AtomicBool);

impl Stop {
    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn install_ctrl_c() -> Arc<Stop> {
    let stop = Arc::new(Stop::default());
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            warn!("Ctrl-C: stopping, a partial report follows (Ctrl-C again aborts)");
            flag.0.store(true, Ordering::Relaxed);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    stop
}

// ---------------------------------------------------------------------------------------------
// Workers: bounded-concurrency submission over one connection each.
// ---------------------------------------------------------------------------------------------

/// One prebuilt `eth_call` request (or batch of them).
struct CallItem {
    body: Bytes,
    /// Number of JSON-RPC calls in it.
    calls: u64,
}

/// State shared by the workers and the inclusion tracker.
struct RunShared {
    stop: Arc<Stop>,
    t0: Instant,
    batch: bool,
    /// Per transaction: microseconds from `t0` to its submission, plus one (0 = not sent).
    submitted_at: Vec<AtomicU64>,
    accepted: AtomicU64,
    errors: Mutex<HashMap<String, u64>>,
}

impl RunShared {
    fn record_error(&self, message: String, count: u64) {
        let mut errors = self.errors.lock();
        let key = if errors.len() < MAX_DISTINCT_ERRORS || errors.contains_key(&message) {
            message
        } else {
            "(other errors)".to_owned()
        };
        *errors.entry(key).or_default() += count;
    }

    fn micros_since_t0(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.t0).as_micros()).unwrap_or(u64::MAX)
    }

    /// Per transaction of a request: accepted or not (errors are recorded).
    fn outcomes(&self, reply: &[u8], txs: &[u32]) -> Vec<bool> {
        if !self.batch {
            return match serde_json::from_slice::<HotReply>(reply) {
                Ok(single) => vec![self.one(&single) == 1],
                Err(err) => {
                    self.record_error(format!("unparseable reply: {err}"), 1);
                    vec![false]
                }
            };
        }
        let mut out = vec![false; txs.len()];
        match serde_json::from_slice::<Vec<BatchReply>>(reply) {
            Ok(replies) => {
                let mut answered = vec![false; txs.len()];
                for item in &replies {
                    let id = item.id.as_ref().and_then(Value::as_u64);
                    let Some(k) = id.and_then(|id| txs.iter().position(|&t| u64::from(t) == id))
                    else {
                        self.record_error("batch reply item with an unknown id".to_owned(), 1);
                        continue;
                    };
                    answered[k] = true;
                    out[k] = self.one(&item.reply) == 1;
                }
                let missing = answered.iter().filter(|&&a| !a).count() as u64;
                if missing > 0 {
                    self.record_error("batch reply is missing items".to_owned(), missing);
                }
            }
            Err(_) => {
                let message = match serde_json::from_slice::<HotReply>(reply) {
                    Ok(HotReply { error: Some(e), .. }) => format!("{}: {}", e.code, e.message),
                    Ok(_) => "batch answered with a single object".to_owned(),
                    Err(err) => format!("unparseable reply: {err}"),
                };
                self.record_error(message, txs.len() as u64);
            }
        }
        out
    }

    /// Counts the successful calls in a reply and records the errors.
    fn tally(&self, reply: &[u8], calls: u64) -> u64 {
        if self.batch
            && let Ok(replies) = serde_json::from_slice::<Vec<HotReply>>(reply)
        {
            let ok = replies.iter().map(|r| self.one(r)).sum::<u64>();
            let missing = calls.saturating_sub(replies.len() as u64);
            if missing > 0 {
                self.record_error("batch reply is missing items".to_owned(), missing);
            }
            return ok;
        }
        match serde_json::from_slice::<HotReply>(reply) {
            Ok(single) if !self.batch => self.one(&single),
            Ok(single) => {
                // A batch answered with one object: the whole batch failed.
                let message = single.error.map_or_else(
                    || "batch answered with a single object".to_owned(),
                    |e| format!("{}: {}", e.code, e.message),
                );
                self.record_error(message, calls);
                0
            }
            Err(err) => {
                self.record_error(format!("unparseable reply: {err}"), calls);
                0
            }
        }
    }

    fn one(&self, reply: &HotReply) -> u64 {
        match (&reply.error, &reply.result) {
            (None, Some(_)) => 1,
            (Some(err), _) => {
                self.record_error(format!("{}: {}", err.code, err.message), 1);
                0
            }
            (None, None) => {
                self.record_error("reply without result".to_owned(), 1);
                0
            }
        }
    }
}

#[derive(Default)]
struct WorkerStats {
    ok: u64,
    failed: u64,
    /// Transactions not sent because an earlier nonce of their sender was rejected.
    skipped: u64,
    latencies_us: Vec<u32>,
    last_reply: Option<Instant>,
}

/// Cycles over `items` (starting at `offset`) over one connection until `until`.
async fn call_worker(
    endpoint: Arc<Endpoint>,
    items: Arc<Vec<CallItem>>,
    offset: usize,
    until: Instant,
    shared: Arc<RunShared>,
) -> WorkerStats {
    let mut conn = Conn::new(endpoint);
    let mut stats = WorkerStats::default();
    for step in 0usize.. {
        if shared.stop.is_set() || Instant::now() >= until {
            break;
        }
        let Some(item) = items.get((offset + step) % items.len().max(1)) else { break };
        let sent = Instant::now();
        match conn.post(item.body.clone()).await {
            Ok(reply) => {
                let ok = shared.tally(&reply, item.calls);
                stats.ok += ok;
                stats.failed += item.calls - ok;
            }
            Err(err) => {
                stats.failed += item.calls;
                shared.record_error(format!("transport: {err:#}"), item.calls);
            }
        }
        let done = Instant::now();
        stats
            .latencies_us
            .push(u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX));
        stats.last_reply = Some(done);
    }
    stats
}

/// Hands senders to workers so that each sender has at most one transaction in flight: nonces
/// reach the node in order whatever it does with concurrent requests, and every worker stays
/// busy as long as there are more senders than in-flight slots.
struct SenderQueue {
    /// (sender, position of its next transaction) of the senders nobody holds.
    ready: Mutex<VecDeque<(u32, u32)>>,
    /// Senders with transactions left.
    live: AtomicUsize,
    notify: Notify,
}

impl SenderQueue {
    fn new(by_sender: &[Vec<u32>]) -> Self {
        let ready: VecDeque<(u32, u32)> = (0..by_sender.len() as u32)
            .filter(|&s| !by_sender[s as usize].is_empty())
            .map(|s| (s, 0))
            .collect();
        Self {
            live: AtomicUsize::new(ready.len()),
            ready: Mutex::new(ready),
            notify: Notify::new(),
        }
    }

    /// Takes up to `max` senders into `out`, waiting while other workers hold all live ones.
    /// Leaves `out` empty once every sender is done or on Ctrl-C.
    async fn take(&self, max: usize, out: &mut Vec<(u32, u32)>, stop: &Stop) {
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            {
                let mut ready = self.ready.lock();
                while out.len() < max {
                    let Some(next) = ready.pop_front() else { break };
                    out.push(next);
                }
            }
            if !out.is_empty() || self.live.load(Ordering::Acquire) == 0 || stop.is_set() {
                return;
            }
            // Bounded so that Ctrl-C is noticed even if no sender comes back.
            let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
        }
    }

    fn put_back(&self, senders: &[(u32, u32)]) {
        if senders.is_empty() {
            return;
        }
        self.ready.lock().extend(senders.iter().copied());
        self.notify.notify_waiters();
    }

    fn finish(&self) {
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.notify.notify_waiters();
        }
    }
}

/// Everything the submission workers share.
struct SubmitPlan {
    /// Prebuilt `eth_sendRawTransaction` request per transaction.
    requests: Vec<Bytes>,
    /// Transaction indices of each sender, in nonce order.
    by_sender: Vec<Vec<u32>>,
    queue: SenderQueue,
    batch: usize,
}

/// Submits transactions over one connection until every sender is done. A rejected transaction
/// ends its sender's run: the later nonces would only open a gap.
async fn submit_worker(
    endpoint: Arc<Endpoint>,
    plan: Arc<SubmitPlan>,
    shared: Arc<RunShared>,
) -> WorkerStats {
    let mut conn = Conn::new(endpoint);
    let mut stats = WorkerStats::default();
    let mut held = Vec::with_capacity(plan.batch);
    let mut back = Vec::with_capacity(plan.batch);
    let mut txs = Vec::with_capacity(plan.batch);
    let mut body = Vec::new();
    loop {
        held.clear();
        plan.queue.take(plan.batch, &mut held, &shared.stop).await;
        if held.is_empty() || shared.stop.is_set() {
            plan.queue.put_back(&held);
            break;
        }
        txs.clear();
        txs.extend(held.iter().map(|&(s, pos)| plan.by_sender[s as usize][pos as usize]));
        let request = if shared.batch {
            body.clear();
            body.push(b'[');
            for (k, &tx) in txs.iter().enumerate() {
                if k > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(&plan.requests[tx as usize]);
            }
            body.push(b']');
            Bytes::copy_from_slice(&body)
        } else {
            plan.requests[txs[0] as usize].clone()
        };
        let sent = Instant::now();
        let stamp = shared.micros_since_t0(sent) + 1;
        for &tx in &txs {
            shared.submitted_at[tx as usize].store(stamp, Ordering::Relaxed);
        }
        let outcomes = match conn.post(request).await {
            Ok(reply) => shared.outcomes(&reply, &txs),
            Err(err) => {
                shared.record_error(format!("transport: {err:#}"), txs.len() as u64);
                vec![false; txs.len()]
            }
        };
        let done = Instant::now();
        stats
            .latencies_us
            .push(u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX));
        stats.last_reply = Some(done);
        back.clear();
        let mut accepted = 0;
        for (&(s, pos), ok) in held.iter().zip(outcomes) {
            let left = plan.by_sender[s as usize].len() as u32 - pos - 1;
            if ok {
                accepted += 1;
                if left > 0 {
                    back.push((s, pos + 1));
                } else {
                    plan.queue.finish();
                }
            } else {
                stats.failed += 1;
                stats.skipped += u64::from(left);
                plan.queue.finish();
            }
        }
        stats.ok += accepted;
        shared.accepted.fetch_add(accepted, Ordering::Relaxed);
        plan.queue.put_back(&back);
    }
    stats
}

/// Merged worker results.
struct PhaseStats {
    ok: u64,
    failed: u64,
    skipped: u64,
    latencies_us: Vec<u32>,
    last_reply: Option<Instant>,
}

async fn join_workers(handles: Vec<tokio::task::JoinHandle<WorkerStats>>) -> Result<PhaseStats> {
    let mut merged =
        PhaseStats { ok: 0, failed: 0, skipped: 0, latencies_us: Vec::new(), last_reply: None };
    for handle in handles {
        let stats = handle.await.wrap_err("worker task panicked")?;
        merged.ok += stats.ok;
        merged.failed += stats.failed;
        merged.skipped += stats.skipped;
        merged.latencies_us.extend(stats.latencies_us);
        merged.last_reply = merged.last_reply.max(stats.last_reply);
    }
    merged.latencies_us.sort_unstable();
    Ok(merged)
}

// ---------------------------------------------------------------------------------------------
// Transaction workloads.
// ---------------------------------------------------------------------------------------------

async fn run_txs(
    cli: &Cli,
    endpoint: &Arc<Endpoint>,
    conn: &mut Conn,
    chain: &ChainParams,
    funder: &mut Account,
    stop: &Arc<Stop>,
) -> Result<Report> {
    let timeout = Duration::from_secs(cli.timeout_secs);
    let n = cli.txs;
    let senders_n = cli.senders.min(n);
    let setup_start = Instant::now();

    // Token and per-transaction gas.
    let token = match cli.workload {
        Workload::Erc20 => Some(deploy_erc20(cli, conn, chain, funder, stop).await?),
        _ => None,
    };
    // A token transfer to an address that holds none: the costliest case (new storage slot).
    let token_transfer_gas = match token {
        Some(token) => {
            let data = transferCall { to: recipient(u64::MAX), value: U256::from(1) }.abi_encode();
            let estimate: U64 = conn
                .call(
                    "eth_estimateGas",
                    json!([{ "from": funder.address(), "to": token, "data": EvmBytes::from(data) }]),
                )
                .await
                .wrap_err("estimating an ERC-20 transfer")?;
            estimate.to::<u64>()
        }
        None => 0,
    };
    let gas = match (cli.gas_limit, token) {
        (Some(gas), _) => gas,
        (None, None) => TRANSFER_GAS,
        (None, Some(_)) => token_transfer_gas.saturating_mul(12) / 10,
    };

    // Senders: fresh keys derived from the funder's address, so runs are repeatable.
    let mut senders = Vec::with_capacity(senders_n);
    for index in 0..senders_n {
        let seed = keccak256(
            [funder.address().as_slice(), b"ol-loadgen/sender", &(index as u64).to_be_bytes()]
                .concat(),
        );
        let signer = PrivateKeySigner::from_bytes(&seed).wrap_err("deriving a sender key")?;
        senders.push(Account::load(conn, signer).await?);
    }
    let per_sender = |s: usize| n / senders_n + usize::from(s < n % senders_n);

    // Fund the senders (top up to twice their worst-case bill) and hand out tokens.
    let value_per_tx: u128 = u128::from(token.is_none());
    let mut funding = U256::ZERO;
    let mut funded = 0usize;
    let mut last_setup_tx = None;
    for (s, sender) in senders.iter().enumerate() {
        let bill = (per_sender(s) as u128)
            .saturating_mul(u128::from(gas).saturating_mul(chain.max_fee) + value_per_tx);
        let want = U256::from(bill.saturating_mul(2).saturating_add(FUND_MARGIN_WEI));
        if sender.balance < want {
            let top_up = want - sender.balance;
            if funder.balance < funding + top_up {
                bail!(
                    "the funder {} holds {} wei, not enough to fund {senders_n} senders; use \
                     fewer --senders or --txs",
                    funder.address(),
                    funder.balance
                );
            }
            let to = TxKind::Call(sender.address());
            let hash = funder.send(conn, chain, to, top_up, Vec::new(), TRANSFER_GAS).await?;
            last_setup_tx = Some(hash);
            funding += top_up;
            funded += 1;
        }
        if stop.is_set() {
            bail!("interrupted during set-up");
        }
    }
    if let Some(token) = token {
        let needed = U256::from(TOKENS_PER_SENDER) * U256::from(senders_n);
        let held = token_balance(conn, token, funder.address()).await?;
        if held < needed {
            bail!("the funder holds {held} token units, {needed} are needed");
        }
        let distribution_gas = token_transfer_gas.saturating_mul(15) / 10;
        for sender in &senders {
            let data = transferCall { to: sender.address(), value: U256::from(TOKENS_PER_SENDER) }
                .abi_encode();
            let to = TxKind::Call(token);
            let hash = funder.send(conn, chain, to, U256::ZERO, data, distribution_gas).await?;
            last_setup_tx = Some(hash);
        }
    }
    funder.wait_mined(conn, timeout, stop).await?;
    if let Some(hash) = last_setup_tx {
        require_success(conn, hash, "set-up").await?;
    }
    if let (Some(token), Some(last)) = (token, senders.last()) {
        let held = token_balance(conn, token, last.address()).await?;
        if held < U256::from(TOKENS_PER_SENDER) {
            bail!("token distribution did not reach {} (holds {held})", last.address());
        }
    }
    info!(
        senders = senders_n,
        funded,
        funding_wei = %funding,
        gas_per_tx = gas,
        elapsed_s = format_args!("{:.1}", setup_start.elapsed().as_secs_f64()),
        "set-up done"
    );

    // Sign everything offline.
    let recipients: Vec<Address> = (0..cli.recipients).map(recipient).collect();
    let signing_start = Instant::now();
    let signed: Vec<(B256, Vec<u8>)> = tokio::task::block_in_place(|| {
        (0..n)
            .into_par_iter()
            .map(|i| {
                if stop.is_set() {
                    bail!("interrupted while signing");
                }
                let sender = &senders[i % senders_n];
                let to = recipients[i % recipients.len()];
                let nonce = sender.nonce + (i / senders_n) as u64;
                let fields = match token {
                    None => TxFields {
                        nonce,
                        gas,
                        to: TxKind::Call(to),
                        value: U256::from(1),
                        input: EvmBytes::new(),
                    },
                    Some(token) => TxFields {
                        nonce,
                        gas,
                        to: TxKind::Call(token),
                        value: U256::ZERO,
                        input: transferCall { to, value: U256::from(1) }.abi_encode().into(),
                    },
                };
                chain.sign(&sender.signer, fields)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let signing = signing_start.elapsed();
    info!(
        txs = n,
        tx_per_s = format_args!("{:.0}", n as f64 / signing.as_secs_f64()),
        "signed offline"
    );

    // One prebuilt request per transaction; senders are handed to workers by `SenderQueue`.
    let batch = cli.batch > 1;
    let mut index = HashMap::with_capacity(n);
    let mut requests = Vec::with_capacity(n);
    for (i, (hash, raw)) in signed.iter().enumerate() {
        index.insert(*hash, u32::try_from(i).wrap_err("too many txs")?);
        let params = format!(r#"["0x{}"]"#, hex::encode(raw));
        requests.push(Bytes::from(rpc_request(i, "eth_sendRawTransaction", &params)));
    }
    let hashes: Vec<B256> = signed.into_iter().map(|(hash, _)| hash).collect();
    let by_sender: Vec<Vec<u32>> =
        (0..senders_n).map(|s| (s..n).step_by(senders_n).map(|i| i as u32).collect()).collect();
    let workers = cli.concurrency.min(senders_n);
    if senders_n < cli.concurrency * cli.batch {
        warn!(
            "{senders_n} senders cannot keep {} requests of {} txs in flight (one in-flight tx \
             per sender): raise --senders for full concurrency",
            cli.concurrency, cli.batch
        );
    }
    let plan = Arc::new(SubmitPlan {
        requests,
        queue: SenderQueue::new(&by_sender),
        by_sender,
        batch: cli.batch,
    });

    // Submit, and track inclusion concurrently.
    let start_block: U64 = conn.call("eth_blockNumber", json!([])).await?;
    let shared = Arc::new(RunShared {
        stop: stop.clone(),
        t0: Instant::now(),
        batch,
        submitted_at: (0..n).map(|_| AtomicU64::new(0)).collect(),
        accepted: AtomicU64::new(0),
        errors: Mutex::new(HashMap::new()),
    });
    info!(
        workers,
        batch = cli.batch,
        start_block = start_block.to::<u64>(),
        "submitting {n} transactions"
    );
    let submission_done = Arc::new(AtomicBool::new(false));
    let tracker = tokio::spawn(track_inclusion(
        Conn::new(endpoint.clone()),
        shared.clone(),
        Arc::new(index),
        start_block.to(),
        submission_done.clone(),
        Duration::from_millis(cli.poll_ms.max(1)),
        timeout,
    ));
    let handles: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(submit_worker(endpoint.clone(), plan.clone(), shared.clone())))
        .collect();
    let submit = join_workers(handles).await?;
    submission_done.store(true, Ordering::Relaxed);
    let submit_secs =
        submit.last_reply.map_or(0.0, |t| t.saturating_duration_since(shared.t0).as_secs_f64());
    info!(
        accepted = submit.ok,
        rejected = submit.failed,
        accepted_per_s = format_args!("{:.0}", rate(submit.ok, submit_secs)),
        "submission done; waiting for inclusion"
    );
    let inclusion = tracker.await.wrap_err("inclusion tracker panicked")??;

    // Spot-check receipts of included transactions.
    let included: Vec<B256> =
        inclusion.included_idx.iter().map(|&i| hashes[i as usize]).collect::<Vec<_>>();
    let step = (included.len() / cli.receipt_samples.max(1)).max(1);
    let mut receipts = ReceiptCheck::default();
    for hash in included.iter().step_by(step).take(cli.receipt_samples) {
        let receipt: Option<ReceiptLite> =
            conn.call("eth_getTransactionReceipt", json!([hash])).await?;
        receipts.checked += 1;
        match receipt.and_then(|r| r.status) {
            Some(status) if status == U64::from(1) => receipts.ok += 1,
            other => {
                if receipts.first_failure.is_none() {
                    receipts.first_failure = Some(format!("{hash}: status {other:?}"));
                }
            }
        }
    }
    if let Some(failure) = &receipts.first_failure {
        warn!(failure, "a sampled receipt is not successful");
    }

    let errors = std::mem::take(&mut *shared.errors.lock());
    Ok(Report::txs(
        cli,
        chain,
        gas,
        TxRun {
            t0: shared.t0,
            signing,
            submit,
            submit_secs,
            inclusion,
            receipts,
            errors,
            interrupted: stop.is_set(),
        },
    ))
}

/// A deterministic, random-looking recipient address.
fn recipient(j: u64) -> Address {
    Address::from_word(keccak256([b"ol-loadgen/recipient".as_slice(), &j.to_be_bytes()].concat()))
}

#[derive(Deserialize)]
struct BlockLite {
    #[serde(default)]
    transactions: Vec<B256>,
    #[serde(rename = "gasUsed")]
    gas_used: U64,
}

#[derive(Default)]
struct InclusionStats {
    included_idx: Vec<u32>,
    last_seen: Option<Instant>,
    blocks_used: u64,
    first_block: Option<u64>,
    last_block: Option<u64>,
    max_per_block: u64,
    max_gas_used: u64,
    latencies_us: Vec<u32>,
    timed_out: bool,
}

/// Polls new blocks, counting our transactions, until every accepted one is included, the
/// timeout after the end of submission elapses, or Ctrl-C.
async fn track_inclusion(
    mut conn: Conn,
    shared: Arc<RunShared>,
    index: Arc<HashMap<B256, u32>>,
    start_block: u64,
    submission_done: Arc<AtomicBool>,
    poll: Duration,
    timeout: Duration,
) -> Result<InclusionStats> {
    let mut stats = InclusionStats::default();
    let mut seen = vec![false; shared.submitted_at.len()];
    let mut next = start_block + 1;
    let mut done_at: Option<Instant> = None;
    let mut last_log = Instant::now();
    let mut last_warning: Option<Instant> = None;
    loop {
        if let Err(err) =
            fetch_new_blocks(&mut conn, &shared, &index, &mut next, &mut seen, &mut stats).await
        {
            // At most one warning a second while the node does not answer.
            if last_warning.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                warn!("polling blocks: {err:#}");
                last_warning = Some(Instant::now());
            }
        }
        let included = stats.included_idx.len() as u64;
        let accepted = shared.accepted.load(Ordering::Relaxed);
        let all_sent = submission_done.load(Ordering::Relaxed);
        if last_log.elapsed() >= Duration::from_secs(1) {
            info!(included, accepted, block = next - 1, "progress");
            last_log = Instant::now();
        }
        if (all_sent && included >= accepted) || included as usize == seen.len() {
            break;
        }
        if shared.stop.is_set() {
            break;
        }
        if all_sent && done_at.get_or_insert_with(Instant::now).elapsed() > timeout {
            warn!(included, accepted, "timed out waiting for inclusion");
            stats.timed_out = true;
            break;
        }
        tokio::time::sleep(poll).await;
    }
    stats.latencies_us.sort_unstable();
    Ok(stats)
}

async fn fetch_new_blocks(
    conn: &mut Conn,
    shared: &RunShared,
    index: &HashMap<B256, u32>,
    next: &mut u64,
    seen: &mut [bool],
    stats: &mut InclusionStats,
) -> Result<()> {
    let head: U64 = conn.call("eth_blockNumber", json!([])).await?;
    while *next <= head.to::<u64>() {
        let number = *next;
        let block: Option<BlockLite> =
            conn.call("eth_getBlockByNumber", json!([format!("0x{number:x}"), false])).await?;
        let Some(block) = block else { break };
        let now = Instant::now();
        let now_us = shared.micros_since_t0(now);
        let mut ours = 0u64;
        for hash in &block.transactions {
            let Some(&i) = index.get(hash) else { continue };
            let Some(flag) = seen.get_mut(i as usize) else { continue };
            if *flag {
                continue;
            }
            *flag = true;
            ours += 1;
            stats.included_idx.push(i);
            let sent = shared.submitted_at[i as usize].load(Ordering::Relaxed);
            if sent > 0 {
                let latency = now_us.saturating_sub(sent - 1);
                stats.latencies_us.push(u32::try_from(latency).unwrap_or(u32::MAX));
            }
        }
        debug!(block = number, txs = block.transactions.len(), ours, gas_used = %block.gas_used);
        if ours > 0 {
            stats.blocks_used += 1;
            stats.first_block.get_or_insert(number);
            stats.last_block = Some(number);
            stats.max_per_block = stats.max_per_block.max(ours);
            stats.max_gas_used = stats.max_gas_used.max(block.gas_used.to());
            stats.last_seen = Some(now);
        }
        *next += 1;
    }
    Ok(())
}

#[derive(Default)]
struct ReceiptCheck {
    checked: u64,
    ok: u64,
    first_failure: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// eth_call workload.
// ---------------------------------------------------------------------------------------------

async fn run_call(
    cli: &Cli,
    endpoint: &Arc<Endpoint>,
    conn: &mut Conn,
    chain: &ChainParams,
    funder: &mut Account,
    stop: &Arc<Stop>,
) -> Result<Report> {
    let token = deploy_erc20(cli, conn, chain, funder, stop).await?;
    let held = token_balance(conn, token, funder.address()).await?;
    if held.is_zero() {
        bail!("the deployer holds no tokens: the artifact's constructor does not mint to it");
    }
    // The funder (non-zero balance) and recipients (zero balance), in rotation.
    let holders: Vec<Address> =
        std::iter::once(funder.address()).chain((0..255).map(recipient)).collect();
    let batch = cli.batch > 1;
    let mut items = Vec::new();
    for (k, chunk) in holders.chunks(cli.batch).enumerate() {
        let requests: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(j, holder)| {
                let data = EvmBytes::from(balanceOfCall { account: *holder }.abi_encode());
                let params = json!([{ "to": token, "data": data }, "latest"]).to_string();
                rpc_request(k * cli.batch + j, "eth_call", &params)
            })
            .collect();
        items.push(CallItem { body: request_body(&requests, batch), calls: chunk.len() as u64 });
    }
    let items = Arc::new(items);
    let shared = Arc::new(RunShared {
        stop: stop.clone(),
        t0: Instant::now(),
        batch,
        submitted_at: Vec::new(),
        accepted: AtomicU64::new(0),
        errors: Mutex::new(HashMap::new()),
    });
    let until = shared.t0 + Duration::from_secs(cli.duration_secs);
    info!(
        concurrency = cli.concurrency,
        batch = cli.batch,
        "eth_call balanceOf for {} s",
        cli.duration_secs
    );
    let handles: Vec<_> = (0..cli.concurrency)
        .map(|w| {
            let offset = w * 7;
            tokio::spawn(call_worker(
                endpoint.clone(),
                items.clone(),
                offset,
                until,
                shared.clone(),
            ))
        })
        .collect();
    let calls = join_workers(handles).await?;
    let secs =
        calls.last_reply.map_or(0.0, |t| t.saturating_duration_since(shared.t0).as_secs_f64());
    let errors = std::mem::take(&mut *shared.errors.lock());
    Ok(Report::calls(cli, &calls, secs, &errors, stop.is_set()))
}

// ---------------------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------------------

struct TxRun {
    /// When submission started: the origin of every rate.
    t0: Instant,
    signing: Duration,
    submit: PhaseStats,
    submit_secs: f64,
    inclusion: InclusionStats,
    receipts: ReceiptCheck,
    errors: HashMap<String, u64>,
    interrupted: bool,
}

struct Report {
    human: String,
    json: Value,
    /// Nothing rejected, everything accepted was included, every sampled receipt succeeded.
    clean: bool,
}

fn rate(count: u64, secs: f64) -> f64 {
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// Nearest-rank percentile of sorted microsecond samples, in milliseconds.
fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn latency_json(sorted: &[u32]) -> Value {
    json!({
        "p50": round2(percentile_ms(sorted, 50.0)),
        "p90": round2(percentile_ms(sorted, 90.0)),
        "p99": round2(percentile_ms(sorted, 99.0)),
        "max": round2(percentile_ms(sorted, 100.0)),
    })
}

fn latency_line(sorted: &[u32]) -> String {
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile_ms(sorted, 50.0),
        percentile_ms(sorted, 90.0),
        percentile_ms(sorted, 99.0),
        percentile_ms(sorted, 100.0)
    )
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn errors_lines(errors: &HashMap<String, u64>) -> String {
    let mut sorted: Vec<_> = errors.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    sorted.iter().take(5).map(|(msg, count)| format!("\n  error       {count} x {msg}")).collect()
}

impl Report {
    fn txs(cli: &Cli, chain: &ChainParams, gas: u64, run: TxRun) -> Self {
        let n = cli.txs as u64;
        let incl = &run.inclusion;
        let included = incl.included_idx.len() as u64;
        let signing_secs = run.signing.as_secs_f64();
        let included_secs =
            incl.last_seen.map_or(0.0, |t| t.saturating_duration_since(run.t0).as_secs_f64());
        let avg_per_block =
            if incl.blocks_used > 0 { included as f64 / incl.blocks_used as f64 } else { 0.0 };
        let mut human = format!(
            "ol-loadgen {} against {} (chain {}): {n} txs, {} senders, concurrency {}, batch {}, \
             gas {gas}/tx, max fee {} wei, tip {} wei{}",
            cli.workload.name(),
            cli.rpc_url,
            chain.chain_id,
            cli.senders.min(cli.txs),
            cli.concurrency,
            cli.batch,
            chain.max_fee,
            chain.tip,
            if run.interrupted { " [INTERRUPTED: partial]" } else { "" }
        );
        human += &format!(
            "\n  signing     {n} txs in {signing_secs:.2} s = {:.0} tx/s ({} threads)",
            rate(n, signing_secs),
            rayon::current_num_threads()
        );
        human += &format!(
            "\n  submission  {} accepted, {} rejected, {} skipped in {:.2} s = {:.0} accepted/s",
            run.submit.ok,
            run.submit.failed,
            run.submit.skipped,
            run.submit_secs,
            rate(run.submit.ok, run.submit_secs)
        );
        human += &format!(
            "\n  submit lat  {} ({} requests)",
            latency_line(&run.submit.latencies_us),
            run.submit.latencies_us.len()
        );
        human += &format!(
            "\n  inclusion   {included}/{} included in {included_secs:.2} s = {:.0} included/s{}",
            run.submit.ok,
            rate(included, included_secs),
            if incl.timed_out { " (timed out)" } else { "" }
        );
        human += &format!(
            "\n  blocks      {} with our txs (#{}..#{}), max {} / avg {avg_per_block:.0} txs per \
             block, max gas used {}",
            incl.blocks_used,
            incl.first_block.unwrap_or(0),
            incl.last_block.unwrap_or(0),
            incl.max_per_block,
            incl.max_gas_used
        );
        human += &format!("\n  incl. lat   {}", latency_line(&incl.latencies_us));
        human += &format!(
            "\n  receipts    {} sampled, {} with status 1{}",
            run.receipts.checked,
            run.receipts.ok,
            run.receipts
                .first_failure
                .as_deref()
                .map_or(String::new(), |f| format!(" (first failure {f})"))
        );
        human += &errors_lines(&run.errors);
        let json = json!({
            "workload": cli.workload.name(),
            "rpc_url": cli.rpc_url,
            "chain_id": chain.chain_id,
            "txs": n,
            "senders": cli.senders.min(cli.txs),
            "concurrency": cli.concurrency,
            "batch": cli.batch,
            "gas_per_tx": gas,
            "max_fee_per_gas": chain.max_fee.to_string(),
            "signing_secs": round2(signing_secs),
            "signing_tx_per_s": rate(n, signing_secs).round(),
            "accepted": run.submit.ok,
            "rejected": run.submit.failed,
            "skipped": run.submit.skipped,
            "submit_secs": round2(run.submit_secs),
            "accepted_per_s": rate(run.submit.ok, run.submit_secs).round(),
            "submit_latency_ms": latency_json(&run.submit.latencies_us),
            "included": included,
            "included_secs": round2(included_secs),
            "included_per_s": rate(included, included_secs).round(),
            "inclusion_latency_ms": latency_json(&incl.latencies_us),
            "inclusion_timed_out": incl.timed_out,
            "blocks_used": incl.blocks_used,
            "first_block": incl.first_block,
            "last_block": incl.last_block,
            "max_txs_per_block": incl.max_per_block,
            "avg_txs_per_block": avg_per_block.round(),
            "max_block_gas_used": incl.max_gas_used,
            "receipts_checked": run.receipts.checked,
            "receipts_ok": run.receipts.ok,
            "errors": run.errors,
            "interrupted": run.interrupted,
        });
        let clean = run.submit.failed == 0
            && included >= run.submit.ok
            && run.receipts.ok == run.receipts.checked;
        Self { human, json, clean }
    }

    fn calls(
        cli: &Cli,
        calls: &PhaseStats,
        secs: f64,
        errors: &HashMap<String, u64>,
        interrupted: bool,
    ) -> Self {
        let mut human = format!(
            "ol-loadgen call against {}: eth_call balanceOf, concurrency {}, batch {}{}",
            cli.rpc_url,
            cli.concurrency,
            cli.batch,
            if interrupted { " [INTERRUPTED: partial]" } else { "" }
        );
        human += &format!(
            "\n  eth_call    {} ok, {} failed in {secs:.2} s = {:.0} calls/s",
            calls.ok,
            calls.failed,
            rate(calls.ok, secs)
        );
        human += &format!(
            "\n  latency     {} ({} requests)",
            latency_line(&calls.latencies_us),
            calls.latencies_us.len()
        );
        human += &errors_lines(errors);
        let json = json!({
            "workload": "call",
            "rpc_url": cli.rpc_url,
            "concurrency": cli.concurrency,
            "batch": cli.batch,
            "calls_ok": calls.ok,
            "calls_failed": calls.failed,
            "secs": round2(secs),
            "calls_per_s": rate(calls.ok, secs).round(),
            "latency_ms": latency_json(&calls.latencies_us),
            "errors": errors,
            "interrupted": interrupted,
        });
        Self { human, json, clean: calls.failed == 0 }
    }
}
