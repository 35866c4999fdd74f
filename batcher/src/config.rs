//! `ol-batcher` settings: flags (op-batcher's names where they mean the same), environment
//! variables `OL_BATCHER_*`, and a TOML file under them (`--config`), in that precedence.

use clap::Parser;
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// How frames reach L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataAvailability {
    /// `submitBatch(bytes)` calldata.
    Calldata,
    /// EIP-4844 blobs with `submitBlobBatch`, one frame per blob.
    Blobs,
    /// Per channel, whichever of the two costs less at the L1's current base and blob fees.
    Auto,
}

/// The batcher.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ol-batcher",
    version,
    about = "Posts the OpenLedger L2 chain to its L1 settlement inbox"
)]
pub struct Cli {
    /// L1 JSON-RPC endpoint.
    #[arg(long = "l1.rpc", env = "OL_BATCHER_L1_RPC", value_name = "URL")]
    pub l1_rpc: Option<String>,
    /// L1 beacon API, for reading blobs back after a restart (default: the L1 RPC URL, where
    /// anvil serves it).
    #[arg(long = "l1.beacon", env = "OL_BATCHER_L1_BEACON", value_name = "URL")]
    pub l1_beacon: Option<String>,
    /// The sequencer's JSON-RPC endpoint.
    #[arg(long = "l2.rpc", env = "OL_BATCHER_L2_RPC", value_name = "URL")]
    pub l2_rpc: Option<String>,
    /// The rollup configuration (`rollup.json`).
    #[arg(long = "rollup.config", env = "OL_BATCHER_ROLLUP_CONFIG", value_name = "FILE")]
    pub rollup_config: Option<PathBuf>,
    /// The batcher key (hex). Prefer the environment variable over the flag.
    #[arg(long = "private-key", env = "OL_BATCHER_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// TOML file with the same settings (`l1-rpc = "..."`, `max-channel-duration = 10`).
    #[arg(long, env = "OL_BATCHER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// L1 blocks a channel may stay open before it is posted, however small.
    #[arg(long = "max-channel-duration", env = "OL_BATCHER_MAX_CHANNEL_DURATION")]
    pub max_channel_duration: Option<u64>,
    /// Frames (L1 transactions, or blobs) a channel is sized to fill.
    #[arg(long = "target-num-frames", env = "OL_BATCHER_TARGET_NUM_FRAMES")]
    pub target_num_frames: Option<usize>,
    /// Largest frame payload for calldata transactions (bytes).
    #[arg(long = "max-l1-tx-size-bytes", env = "OL_BATCHER_MAX_L1_TX_SIZE_BYTES")]
    pub max_l1_tx_size_bytes: Option<usize>,
    /// Batch transactions in flight at most (sent, not yet `num-confirmations` deep).
    #[arg(long = "max-pending-tx", env = "OL_BATCHER_MAX_PENDING_TX")]
    pub max_pending_tx: Option<usize>,
    /// How often L1 and L2 are polled ("1s", "500ms").
    #[arg(long = "poll-interval", env = "OL_BATCHER_POLL_INTERVAL", value_parser = parse_duration)]
    pub poll_interval: Option<Duration>,
    /// L1 blocks a batch transaction must be buried under before it counts as posted.
    #[arg(long = "num-confirmations", env = "OL_BATCHER_NUM_CONFIRMATIONS")]
    pub num_confirmations: Option<u64>,
    /// How long a transaction may wait unmined before it is replaced with higher fees.
    #[arg(long = "resubmission-timeout", env = "OL_BATCHER_RESUBMISSION_TIMEOUT", value_parser = parse_duration)]
    pub resubmission_timeout: Option<Duration>,
    /// calldata, blobs, or auto (per channel, the cheaper at current L1 fees).
    #[arg(long = "data-availability", env = "OL_BATCHER_DATA_AVAILABILITY", value_enum)]
    pub data_availability: Option<DataAvailability>,
    /// Admin JSON-RPC listen address (admin_startBatcher, admin_stopBatcher, admin_batcherStatus).
    #[arg(long = "rpc.addr", env = "OL_BATCHER_RPC_ADDR")]
    pub rpc_addr: Option<SocketAddr>,
    /// Start with posting stopped (until admin_startBatcher).
    #[arg(long = "stopped", env = "OL_BATCHER_STOPPED")]
    pub stopped: bool,
    /// Log JSON lines.
    #[arg(long = "log.json", env = "OL_BATCHER_LOG_JSON")]
    pub log_json: bool,
}

/// The `--config` file: every field optional, names as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    l1_rpc: Option<String>,
    l1_beacon: Option<String>,
    l2_rpc: Option<String>,
    rollup_config: Option<PathBuf>,
    max_channel_duration: Option<u64>,
    target_num_frames: Option<usize>,
    max_l1_tx_size_bytes: Option<usize>,
    max_pending_tx: Option<usize>,
    poll_interval: Option<String>,
    num_confirmations: Option<u64>,
    resubmission_timeout: Option<String>,
    data_availability: Option<DataAvailability>,
    rpc_addr: Option<SocketAddr>,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// L1 endpoint.
    pub l1_rpc: String,
    /// See [`Cli::l1_beacon`].
    pub l1_beacon: String,
    /// L2 endpoint.
    pub l2_rpc: String,
    /// The rollup.
    pub rollup: ol_protocol::RollupConfig,
    /// Batcher key.
    pub private_key: String,
    /// See [`Cli::max_channel_duration`].
    pub max_channel_duration: u64,
    /// See [`Cli::target_num_frames`].
    pub target_num_frames: usize,
    /// See [`Cli::max_l1_tx_size_bytes`].
    pub max_l1_tx_size_bytes: usize,
    /// See [`Cli::max_pending_tx`].
    pub max_pending_tx: usize,
    /// See [`Cli::poll_interval`].
    pub poll_interval: Duration,
    /// See [`Cli::num_confirmations`].
    pub num_confirmations: u64,
    /// See [`Cli::resubmission_timeout`].
    pub resubmission_timeout: Duration,
    /// See [`Cli::data_availability`].
    pub data_availability: DataAvailability,
    /// Admin RPC address.
    pub rpc_addr: SocketAddr,
    /// Start stopped.
    pub stopped: bool,
    /// JSON logs.
    pub log_json: bool,
}

/// Parses "2", "2s", "500ms".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let value: u64 = number.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    match unit {
        "s" => Ok(Duration::from_secs(value)),
        "ms" => Ok(Duration::from_millis(value)),
        _ => Err(format!("invalid duration unit in {s:?}: use s or ms")),
    }
}

impl Cli {
    /// Merges the file under the flags and validates.
    pub fn into_config(self) -> eyre::Result<Config> {
        let file: FileConfig = match &self.config {
            Some(path) => toml::from_str(
                &std::fs::read_to_string(path)
                    .map_err(|e| eyre::eyre!("config {}: {e}", path.display()))?,
            )
            .map_err(|e| eyre::eyre!("config {}: {e}", path.display()))?,
            None => FileConfig::default(),
        };
        let need = |v: Option<String>, name: &str| {
            v.ok_or_else(|| eyre::eyre!("--{name} is required (flag, environment or --config)"))
        };
        let l1_rpc = need(self.l1_rpc.or(file.l1_rpc), "l1.rpc")?;
        let l1_beacon = self.l1_beacon.or(file.l1_beacon).unwrap_or_else(|| l1_rpc.clone());
        let l2_rpc = need(self.l2_rpc.or(file.l2_rpc), "l2.rpc")?;
        let rollup_path = self
            .rollup_config
            .or(file.rollup_config)
            .ok_or_else(|| eyre::eyre!("--rollup.config is required"))?;
        let rollup = ol_protocol::RollupConfig::from_json(
            &std::fs::read(&rollup_path)
                .map_err(|e| eyre::eyre!("rollup config {}: {e}", rollup_path.display()))?,
        )
        .map_err(|e| eyre::eyre!("{}: {e}", rollup_path.display()))?;
        let private_key = need(self.private_key, "private-key")?;
        let duration =
            |flag: Option<Duration>, file: Option<String>, default: Duration| match (flag, file) {
                (Some(d), _) => Ok(d),
                (None, Some(s)) => parse_duration(&s).map_err(|e| eyre::eyre!("config: {e}")),
                (None, None) => Ok(default),
            };
        let config = Config {
            l1_rpc,
            l1_beacon,
            l2_rpc,
            rollup,
            private_key,
            max_channel_duration: self
                .max_channel_duration
                .or(file.max_channel_duration)
                .unwrap_or(10),
            target_num_frames: self.target_num_frames.or(file.target_num_frames).unwrap_or(1),
            max_l1_tx_size_bytes: self
                .max_l1_tx_size_bytes
                .or(file.max_l1_tx_size_bytes)
                .unwrap_or(120_000),
            max_pending_tx: self.max_pending_tx.or(file.max_pending_tx).unwrap_or(8),
            poll_interval: duration(
                self.poll_interval,
                file.poll_interval,
                Duration::from_secs(1),
            )?,
            num_confirmations: self.num_confirmations.or(file.num_confirmations).unwrap_or(2),
            resubmission_timeout: duration(
                self.resubmission_timeout,
                file.resubmission_timeout,
                Duration::from_secs(48),
            )?,
            data_availability: self
                .data_availability
                .or(file.data_availability)
                .unwrap_or(DataAvailability::Calldata),
            rpc_addr: self
                .rpc_addr
                .or(file.rpc_addr)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8548))),
            stopped: self.stopped,
            log_json: self.log_json,
        };
        if config.max_channel_duration == 0
            || config.target_num_frames == 0
            || config.max_pending_tx == 0
        {
            eyre::bail!(
                "--max-channel-duration, --target-num-frames and --max-pending-tx must be positive"
            );
        }
        if config.max_l1_tx_size_bytes < 1_000 {
            eyre::bail!("--max-l1-tx-size-bytes below 1000 cannot carry a frame");
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::FileConfig;

    /// `deploy/config/batcher.toml` names only settings the batcher reads, with valid values.
    #[test]
    fn the_example_config_file_is_valid() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/config/batcher.toml");
        let text = std::fs::read_to_string(&path).expect("read the example");
        let file: FileConfig = toml::from_str(&text).expect("the example parses");
        for d in [&file.poll_interval, &file.resubmission_timeout] {
            let d = d.as_deref().expect("set in the example");
            super::parse_duration(d).expect("a valid duration");
        }
        assert!(file.l1_rpc.is_some() && file.l2_rpc.is_some() && file.rollup_config.is_some());
        assert!(file.rpc_addr.is_some() && file.data_availability.is_some());
    }
}
