//! Command line, environment and config-file settings, merged into one validated
//! [`NodeConfig`]. Precedence: flag > environment variable > `--config` file > default.
//!
//! Flags follow reth/anvil names (`--http.port`, `--block-time`, ...) so operators feel at home.

use crate::{
    mempool::PoolConfig,
    miner::MiningMode,
    rpc::{RpcConfig, eth::EthConfig},
};
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, parser::ValueSource};
use std::{net::IpAddr, path::PathBuf, time::Duration};

/// The OpenLedger L2 node.
#[derive(Debug, Clone, Parser)]
#[command(name = "ol-node", version, about = "OpenLedger L2 node: sequencer, state, JSON-RPC")]
pub struct Cli {
    /// Development mode: no L1, embedded SQLite (temporary unless --datadir), the dev genesis,
    /// and a block as soon as a transaction arrives (unless --block-time is given).
    #[arg(long, env = "OL_DEV")]
    pub dev: bool,
    /// Directory holding the database.
    #[arg(long, env = "OL_DATADIR", value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// TOML file with settings (same names as the flags, e.g. `http.port = 8545`).
    #[arg(long, env = "OL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Genesis file (geth format). Required without --dev.
    #[arg(long, env = "OL_CHAIN", value_name = "GENESIS_JSON")]
    pub chain: Option<PathBuf>,
    /// Block interval: seconds ("2"), or with a unit ("500ms", "2s"). Default without --dev: 1s.
    #[arg(long = "block-time", env = "OL_BLOCK_TIME", value_name = "DURATION", value_parser = parse_duration)]
    pub block_time: Option<Duration>,
    /// Block gas limit of the dev genesis.
    #[arg(long = "gas-limit", env = "OL_GAS_LIMIT")]
    pub gas_limit: Option<u64>,
    /// L1 JSON-RPC endpoint to sequence on (origins, deposits). Needs --rollup.config.
    #[arg(long = "l1.rpc", env = "OL_L1_RPC", value_name = "URL", requires = "rollup_config")]
    pub l1_rpc: Option<String>,
    /// The rollup configuration (`rollup.json`) tying this chain to its L1.
    #[arg(
        long = "rollup.config",
        env = "OL_ROLLUP_CONFIG",
        value_name = "FILE",
        requires = "l1_rpc"
    )]
    pub rollup_config: Option<PathBuf>,
    /// Derive the chain from L1 instead of sequencing (a verifier and read replica): needs
    /// `--l1.rpc`, `--rollup.config` and `--chain`; takes no transactions.
    #[arg(long = "follow-l1", env = "OL_FOLLOW_L1", requires = "rollup_config")]
    pub follow_l1: bool,
    /// The L1 beacon API serving blobs (for the safe head); default: the L1 RPC URL, where
    /// anvil serves it.
    #[arg(long = "l1.beacon", env = "OL_L1_BEACON", value_name = "URL", requires = "l1_rpc")]
    pub l1_beacon: Option<String>,
    /// How often the L1 head is polled.
    #[arg(long = "l1.poll-interval", env = "OL_L1_POLL_INTERVAL", value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub l1_poll_interval: Duration,
    /// The batcher's admin JSON-RPC (`ol-batcher --admin.port`), read for the status page's
    /// batcher figures (backlog, posted batches, fees).
    #[arg(long = "status.batcher-rpc", env = "OL_STATUS_BATCHER_RPC", value_name = "URL")]
    pub status_batcher_rpc: Option<String>,
    /// HTTP (and WebSocket) listen address.
    #[command(flatten)]
    pub http: HttpArgs,
    /// Transaction pool limits.
    #[command(flatten)]
    pub txpool: TxPoolArgs,
    /// Request limits.
    #[command(flatten)]
    pub rpc: RpcArgs,
    /// Log output as JSON lines, one object per line on stdout (the --dev greeting then goes to
    /// stderr).
    #[arg(long = "log.json", env = "OL_LOG_JSON")]
    pub log_json: bool,
}

/// Listen addresses.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address the RPC server binds to.
    #[arg(long = "http.addr", env = "OL_HTTP_ADDR", default_value = "127.0.0.1")]
    pub addr: IpAddr,
    /// Port of the HTTP server (WebSocket upgrades are accepted on it too). 0 picks a free port.
    #[arg(long = "http.port", env = "OL_HTTP_PORT", default_value_t = 8545)]
    pub port: u16,
    /// Separate WebSocket port (optional; the HTTP port already accepts WebSocket).
    #[arg(long = "ws.port", env = "OL_WS_PORT")]
    pub ws_port: Option<u16>,
}

/// Pool limits.
#[derive(Debug, Clone, Args)]
pub struct TxPoolArgs {
    /// Most transactions in the pool.
    #[arg(long = "txpool.max-txs", env = "OL_TXPOOL_MAX_TXS", default_value_t = 250_000)]
    pub max_txs: usize,
    /// Most transactions per sender.
    #[arg(
        long = "txpool.max-per-sender",
        env = "OL_TXPOOL_MAX_PER_SENDER",
        default_value_t = 4_096
    )]
    pub max_per_sender: usize,
    /// Minimum fee bump of a replacement, in percent.
    #[arg(long = "txpool.price-bump", env = "OL_TXPOOL_PRICE_BUMP", default_value_t = 10)]
    pub price_bump: u128,
    /// Largest raw transaction accepted, in bytes.
    #[arg(long = "txpool.max-tx-bytes", env = "OL_TXPOOL_MAX_TX_BYTES", default_value_t = 128 * 1024)]
    pub max_tx_bytes: usize,
    /// How long a queued transaction (waiting for a nonce gap) may stay, e.g. "3h" is 10800s.
    #[arg(long = "txpool.lifetime", env = "OL_TXPOOL_LIFETIME", default_value = "10800s", value_parser = parse_duration)]
    pub lifetime: Duration,
    /// Accept legacy transactions without EIP-155 replay protection.
    #[arg(long = "txpool.allow-unprotected", env = "OL_TXPOOL_ALLOW_UNPROTECTED")]
    pub allow_unprotected: bool,
}

/// RPC limits.
#[derive(Debug, Clone, Args)]
pub struct RpcArgs {
    /// Gas cap of eth_call and eth_estimateGas.
    #[arg(long = "rpc.gas-cap", env = "OL_RPC_GAS_CAP", default_value_t = 50_000_000)]
    pub gas_cap: u64,
    /// Largest request body in bytes.
    #[arg(long = "rpc.max-request-size", env = "OL_RPC_MAX_REQUEST_SIZE", default_value_t = 5 * 1024 * 1024)]
    pub max_request_size: u32,
    /// Largest response body in bytes.
    #[arg(long = "rpc.max-response-size", env = "OL_RPC_MAX_RESPONSE_SIZE", default_value_t = 100 * 1024 * 1024)]
    pub max_response_size: u32,
    /// Most requests in one JSON-RPC batch.
    #[arg(long = "rpc.max-batch-size", env = "OL_RPC_MAX_BATCH_SIZE", default_value_t = 1_000)]
    pub max_batch_size: u32,
    /// Widest block range of one eth_getLogs.
    #[arg(long = "rpc.max-log-range", env = "OL_RPC_MAX_LOG_RANGE", default_value_t = 10_000)]
    pub max_log_range: u64,
    /// Most logs returned by one eth_getLogs.
    #[arg(long = "rpc.max-logs", env = "OL_RPC_MAX_LOGS", default_value_t = 10_000)]
    pub max_logs: usize,
    /// Most concurrent connections: open WebSocket connections plus HTTP requests in flight
    /// (a keep-alive HTTP connection holds a slot only while a request runs); over it, 429.
    #[arg(long = "rpc.max-connections", env = "OL_RPC_MAX_CONNECTIONS", default_value_t = 1_000)]
    pub max_connections: u32,
    /// How long a filter (eth_newFilter and friends) lives without being polled.
    #[arg(long = "rpc.filter-timeout", env = "OL_RPC_FILTER_TIMEOUT", value_name = "DURATION", default_value = "300s", value_parser = parse_duration)]
    pub filter_timeout: Duration,
}

/// Parses "2", "2s", "500ms".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 2, 2s or 500ms"))?;
    let duration = match unit {
        "s" => Duration::from_secs(value),
        "ms" => Duration::from_millis(value),
        _ => return Err(format!("invalid duration unit in {s:?}: use s or ms")),
    };
    if duration.is_zero() {
        return Err(format!("{s:?}: a duration must be positive"));
    }
    Ok(duration)
}

/// Everything the node needs to start, validated.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Dev mode.
    pub dev: bool,
    /// Database directory (`None`: a temporary directory, dev only).
    pub datadir: Option<PathBuf>,
    /// Genesis file (`None`: the dev genesis).
    pub chain: Option<PathBuf>,
    /// Gas limit override for the dev genesis.
    pub gas_limit: Option<u64>,
    /// When to build blocks.
    pub mining: MiningMode,
    /// RPC bind address.
    pub http_addr: IpAddr,
    /// RPC port (0: any free port).
    pub http_port: u16,
    /// Extra WebSocket port.
    pub ws_port: Option<u16>,
    /// Pool limits.
    pub pool: PoolConfig,
    /// Largest raw transaction.
    pub max_tx_bytes: usize,
    /// Accept unprotected legacy transactions.
    pub allow_unprotected: bool,
    /// RPC limits.
    pub rpc: RpcConfig,
    /// JSON logs.
    pub log_json: bool,
    /// The L1 to sequence on, if any.
    pub l1: Option<L1Config>,
    /// The batcher's admin RPC, for the status page.
    pub status_batcher_rpc: Option<String>,
}

/// Where the L1 is and how the chain ties to it.
#[derive(Debug, Clone)]
pub struct L1Config {
    /// L1 JSON-RPC URL.
    pub rpc: String,
    /// L1 beacon API URL.
    pub beacon: String,
    /// Derive from L1 (`--follow-l1`) instead of sequencing.
    pub follow: bool,
    /// The parsed and validated `rollup.json`.
    pub rollup: ol_protocol::RollupConfig,
    /// L1 poll interval.
    pub poll_interval: Duration,
}

impl NodeConfig {
    /// A dev node on a free port with a temporary database: what tests start.
    pub fn test() -> Self {
        Self {
            dev: true,
            datadir: None,
            chain: None,
            gas_limit: None,
            mining: MiningMode::Instant,
            http_addr: IpAddr::from([127, 0, 0, 1]),
            http_port: 0,
            ws_port: None,
            pool: PoolConfig::default(),
            max_tx_bytes: 128 * 1024,
            allow_unprotected: false,
            rpc: RpcConfig::default(),
            log_json: false,
            l1: None,
            status_batcher_rpc: None,
        }
    }
}

fn from_cli(matches: &ArgMatches, id: &str) -> bool {
    matches!(matches.value_source(id), Some(ValueSource::CommandLine | ValueSource::EnvVariable))
}

/// Flattens a TOML table to `(flag name, value)`: `[http] port = 1` and `"http.port" = 1` both
/// give `http.port`, so the file uses exactly the flags' names.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (key, value) in table {
        let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&name, inner, out),
            other => out.push((name, other.clone())),
        }
    }
}

/// The `--config` file as flags: each setting the command line and the environment left
/// unset becomes `--name=value` (a `true` switch `--name`), placed before the real arguments so
/// that one parse applies every flag's own checks to file values too.
fn file_args(path: &std::path::Path, matches: &ArgMatches) -> eyre::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| eyre::eyre!("config file {}: {e}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| eyre::eyre!("config file {}: {e}", path.display()))?;
    let mut settings = Vec::new();
    flatten("", &table, &mut settings);
    let command = Cli::command();
    let mut args = Vec::new();
    for (name, value) in settings {
        let Some(arg) = command
            .get_arguments()
            .find(|a| a.get_long() == Some(name.as_str()) && a.get_id() != "config")
        else {
            eyre::bail!("config file {}: unknown setting {name:?}", path.display());
        };
        if from_cli(matches, arg.get_id().as_str()) {
            continue;
        }
        let switch = matches!(arg.get_action(), clap::ArgAction::SetTrue);
        match (value, switch) {
            (toml::Value::Boolean(true), true) => args.push(format!("--{name}")),
            (toml::Value::Boolean(false), true) => {}
            (toml::Value::String(v), false) => args.push(format!("--{name}={v}")),
            (toml::Value::Integer(v), false) => args.push(format!("--{name}={v}")),
            (other, _) => eyre::bail!(
                "config file {}: {name} = {other:?} has the wrong type (a {} is expected)",
                path.display(),
                if switch { "boolean" } else { "string or integer" }
            ),
        }
    }
    Ok(args)
}

impl Cli {
    /// Parses the process arguments and merges the config file; `--help`, `--version` and
    /// malformed flags print clap's message and exit.
    pub fn load() -> eyre::Result<NodeConfig> {
        let args: Vec<String> =
            std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
        match Self::merged_args(&args) {
            Ok(merged) => match Self::command().try_get_matches_from(&merged) {
                Ok(matches) => Self::from_arg_matches(&matches)?.into_config(),
                Err(e) => e.exit(),
            },
            Err(Ok(e)) => e.exit(),
            Err(Err(e)) => Err(e),
        }
    }

    /// [`Self::load`] over `args` (the program name first), returning every failure.
    pub fn load_from(args: impl IntoIterator<Item = String>) -> eyre::Result<NodeConfig> {
        let args: Vec<String> = args.into_iter().collect();
        let merged = Self::merged_args(&args).map_err(|e| match e {
            Ok(clap) => eyre::eyre!("{clap}"),
            Err(e) => e,
        })?;
        let matches = Self::command().try_get_matches_from(&merged)?;
        Self::from_arg_matches(&matches)?.into_config()
    }

    /// `args` with the `--config` file's settings put in front as flags.
    fn merged_args(args: &[String]) -> Result<Vec<String>, Result<clap::Error, eyre::Report>> {
        // Lenient: a flag whose required partner sits in the file must not fail this pass.
        let matches = Self::command().ignore_errors(true).try_get_matches_from(args).map_err(Ok)?;
        let config = matches.get_one::<PathBuf>("config").cloned();
        let Some(path) = config else { return Ok(args.to_vec()) };
        let from_file = file_args(&path, &matches).map_err(Err)?;
        let mut merged: Vec<String> = args.iter().take(1).cloned().collect();
        merged.extend(from_file);
        merged.extend(args.iter().skip(1).cloned());
        Ok(merged)
    }

    /// Validates the settings into a [`NodeConfig`].
    pub fn into_config(self) -> eyre::Result<NodeConfig> {
        if !self.dev && self.chain.is_none() {
            eyre::bail!("--chain <genesis.json> is required without --dev");
        }
        if !self.dev && self.datadir.is_none() {
            eyre::bail!("--datadir is required without --dev");
        }
        if self.txpool.price_bump == 0 {
            eyre::bail!("--txpool.price-bump must be at least 1 percent");
        }
        let l1 = match (&self.l1_rpc, &self.rollup_config) {
            (Some(rpc), Some(path)) => {
                if self.dev {
                    eyre::bail!("--dev uses a fixed L1 origin; drop it to sequence on --l1.rpc");
                }
                let bytes = std::fs::read(path)
                    .map_err(|e| eyre::eyre!("rollup config {}: {e}", path.display()))?;
                let rollup = ol_protocol::RollupConfig::from_json(&bytes)
                    .map_err(|e| eyre::eyre!("{}: {e}", path.display()))?;
                Some(L1Config {
                    rpc: rpc.clone(),
                    beacon: self.l1_beacon.clone().unwrap_or_else(|| rpc.clone()),
                    follow: self.follow_l1,
                    rollup,
                    poll_interval: self.l1_poll_interval,
                })
            }
            _ => None,
        };
        let mining = match (self.dev, self.block_time, &l1) {
            // On an L1 the block time is the rollup's; the tick only decides how soon after its
            // time a block is built.
            (_, _, Some(_)) => MiningMode::FollowL1(Duration::from_millis(100)),
            (_, Some(every), None) => MiningMode::Interval(every),
            (true, None, None) => MiningMode::Instant,
            (false, None, None) => MiningMode::Interval(Duration::from_secs(1)),
        };
        Ok(NodeConfig {
            l1,
            dev: self.dev,
            datadir: self.datadir,
            chain: self.chain,
            gas_limit: self.gas_limit,
            mining,
            http_addr: self.http.addr,
            http_port: self.http.port,
            ws_port: self.http.ws_port,
            pool: PoolConfig {
                max_txs: self.txpool.max_txs,
                max_per_sender: self.txpool.max_per_sender,
                price_bump: self.txpool.price_bump,
                queued_lifetime: self.txpool.lifetime,
            },
            max_tx_bytes: self.txpool.max_tx_bytes,
            allow_unprotected: self.txpool.allow_unprotected,
            rpc: RpcConfig {
                max_request_bytes: self.rpc.max_request_size,
                max_response_bytes: self.rpc.max_response_size,
                max_batch: self.rpc.max_batch_size,
                max_connections: self.rpc.max_connections,
                filter_timeout: self.rpc.filter_timeout,
                ..RpcConfig::default().with_eth(EthConfig::default())
            }
            .with_eth(EthConfig {
                gas_cap: self.rpc.gas_cap,
                max_log_range: self.rpc.max_log_range,
                max_logs: self.rpc.max_logs,
                ..EthConfig::default()
            }),
            log_json: self.log_json,
            status_batcher_rpc: self.status_batcher_rpc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> eyre::Result<NodeConfig> {
        Cli::load_from(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("x").is_err());
    }

    #[test]
    fn dev_defaults_to_instant_mining_and_non_dev_needs_a_chain() {
        let cfg = parse(&["ol-node", "--dev"]).expect("dev parses");
        assert_eq!(cfg.mining, MiningMode::Instant);
        let cfg = parse(&["ol-node", "--dev", "--block-time", "250ms"]).expect("dev parses");
        assert_eq!(cfg.mining, MiningMode::Interval(Duration::from_millis(250)));
        assert!(parse(&["ol-node"]).is_err());
    }

    #[test]
    fn file_values_sit_under_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "dev = true\nblock-time = \"3s\"\n[http]\nport = 9999\n[rpc]\ngas-cap = 7\n",
        )
        .expect("write");
        let p = path.to_str().expect("utf8 path");
        let cfg = parse(&["ol-node", "--config", p]).expect("file config");
        assert_eq!(cfg.http_port, 9999);
        assert_eq!(cfg.mining, MiningMode::Interval(Duration::from_secs(3)));
        assert_eq!(cfg.rpc.eth.gas_cap, 7);
        let cfg = parse(&["ol-node", "--config", p, "--http.port", "1234"]).expect("flag wins");
        assert_eq!(cfg.http_port, 1234);
        std::fs::write(&path, "nonsense = 1\n").expect("write");
        assert!(parse(&["ol-node", "--config", p]).is_err());
    }

    /// The example files in `deploy/config/` name only real flags with values their parsers
    /// take, and the sequencer's names every flag (it is the documented reference).
    #[test]
    fn the_example_config_files_are_valid() {
        let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/config");
        for name in ["sequencer.toml", "follower.toml"] {
            let path = deploy.join(name);
            let matches = Cli::command().try_get_matches_from(["ol-node"]).expect("no flags");
            let args = file_args(&path, &matches).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut argv = vec!["ol-node".to_string()];
            argv.extend(args.iter().cloned());
            Cli::command().try_get_matches_from(&argv).unwrap_or_else(|e| panic!("{name}: {e}"));
            if name == "sequencer.toml" {
                let given: Vec<&str> = args
                    .iter()
                    .map(|a| a.trim_start_matches("--").split('=').next().unwrap_or_default())
                    .collect();
                let text = std::fs::read_to_string(&path).expect("read");
                for arg in Cli::command().get_arguments() {
                    let Some(long) = arg.get_long() else { continue };
                    if long == "config" {
                        continue;
                    }
                    // Switches set to false produce no argument; they must still be written.
                    let leaf = long.rsplit('.').next().unwrap_or(long);
                    assert!(
                        given.contains(&long) || text.contains(&format!("{leaf} = ")),
                        "{name} does not document --{long}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_flag_has_its_file_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("node.toml");
        let p = path.to_str().expect("utf8 path");
        let write = |text: &str| std::fs::write(&path, text).expect("write");
        // Dotted keys and tables, switches, and the flags only a file used to lack.
        write(
            "dev = true\n\"ws.port\" = 8600\n[log]\njson = true\n[txpool]\nallow-unprotected = true\n\
             lifetime = \"60s\"\n[rpc]\nmax-logs = 5\n[status]\nbatcher-rpc = \"http://127.0.0.1:8548\"\n",
        );
        let cfg = parse(&["ol-node", "--config", p]).expect("file config");
        assert_eq!(cfg.ws_port, Some(8600));
        assert!(cfg.log_json && cfg.allow_unprotected);
        assert_eq!(cfg.pool.queued_lifetime, Duration::from_secs(60));
        assert_eq!(cfg.rpc.eth.max_logs, 5);
        assert_eq!(cfg.status_batcher_rpc.as_deref(), Some("http://127.0.0.1:8548"));
        // A flag's partner may come from the file: --l1.rpc needs --rollup.config.
        write(
            "datadir = \"/nonexistent\"\nchain = \"g.json\"\n[rollup]\nconfig = \"/nonexistent/rollup.json\"\n",
        );
        let err = parse(&["ol-node", "--config", p, "--l1.rpc", "http://127.0.0.1:1"])
            .expect_err("the rollup config file is missing");
        assert!(err.to_string().contains("/nonexistent/rollup.json"), "{err}");
        // Values get the flags' own checks, and a wrong type is named.
        write("block-time = \"1h\"\n");
        assert!(parse(&["ol-node", "--dev", "--config", p]).is_err());
        write("[http]\nport = \"x\"\n");
        assert!(parse(&["ol-node", "--dev", "--config", p]).is_err());
        write("dev = 1\n");
        let err = parse(&["ol-node", "--config", p]).expect_err("dev is a switch");
        assert!(err.to_string().contains("wrong type"), "{err}");
    }
}
