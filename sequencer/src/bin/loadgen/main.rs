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

mod chain;
mod inclusion;
mod report;
mod rpc;
mod run;

use chain::*;
use inclusion::*;
use report::*;
use rpc::*;
use run::*;

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
