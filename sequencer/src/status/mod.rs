//! What an operator looks at: `GET /` (a status page served from the binary, no external
//! assets), `GET /status` (the JSON that page polls) and `GET /health` (readiness).
//!
//! The page reads chain data it can get over JSON-RPC (datanets, adapters, attribution events)
//! itself; `/status` carries what JSON-RPC does not: the recent blocks' transaction and gas
//! figures, the L1 connection, and the batcher's figures read from its admin RPC and from L1.
//! Both are sampled in the background, so a page load costs the node a few reads.

use crate::{
    l1::L1SyncStatus,
    node::{Chain, NodeError},
};
use alloy_primitives::{Address, B256, U256};
use parking_lot::Mutex;
use serde::Serialize;
use std::{collections::VecDeque, sync::Arc, time::Duration};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// The page itself: one file, styles and script inline.
pub const PAGE: &str = include_str!("page.html");

/// Recent blocks kept for the charts: ten minutes at one block a second.
const SERIES: usize = 600;
/// How often L1 balances and the batcher's status are read.
const SAMPLE_EVERY: Duration = Duration::from_secs(2);

/// Transactions and gas of one block, for the charts. Every block opens with its L1-attributes
/// deposit; the count leaves it out, so an idle chain shows zero transactions.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockStat {
    number: u64,
    timestamp: u64,
    transactions: usize,
    gas_used: u64,
}

/// The batcher as the node sees it: its key's L1 balance and, when `--status.batcher-rpc` is
/// set, the figures of its `admin_batcherStatus`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct BatcherView {
    address: Address,
    balance_wei: Option<U256>,
    status: Option<serde_json::Value>,
    error: Option<String>,
}

/// Readiness as `GET /health` and `ol_health` report it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, `syncing` (derivation behind L1) or `l1-unreachable`.
    pub status: &'static str,
    /// Whether the node should take traffic: `GET /health` answers 503 when not.
    pub ready: bool,
    /// `dev`, `sequencer` or `follower`.
    pub role: &'static str,
    /// Unsafe head number.
    pub head: u64,
    /// Safe head number.
    pub safe: u64,
    /// Finalized head number.
    pub finalized: u64,
    /// Transactions in the pool.
    pub pooled: usize,
    /// The L1 connection; absent in dev mode, which has no L1.
    pub l1: Option<L1SyncStatus>,
}

fn role(chain: &Chain) -> &'static str {
    match (chain.options.follower, chain.options.l1.is_some()) {
        (true, _) => "follower",
        (false, true) => "sequencer",
        (false, false) => "dev",
    }
}

/// Readiness: a dev node is ready when it answers; a node on L1 when L1 answered recently and
/// derivation has read L1 to near its confirmed tip (so the safe head is current).
pub fn health(chain: &Chain) -> Health {
    let l1 = chain.options.l1.as_ref().map(|w| w.sync_status());
    let status = match &l1 {
        None => "ok",
        Some(s) if !s.reachable => "l1-unreachable",
        Some(s) if !s.in_sync => "syncing",
        Some(_) => "ok",
    };
    Health {
        status,
        ready: status == "ok",
        role: role(chain),
        head: chain.head().number,
        safe: chain.safe_number(),
        finalized: chain.finalized_number(),
        pooled: chain.pool.len(),
        l1,
    }
}

/// See the module doc.
#[derive(Debug)]
pub struct StatusBoard {
    chain: Arc<Chain>,
    series: Mutex<VecDeque<BlockStat>>,
    batcher: Mutex<Option<BatcherView>>,
    batcher_rpc: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HeadView {
    number: u64,
    hash: B256,
    timestamp: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    name: &'static str,
    state: String,
}

impl StatusBoard {
    /// A board over `chain`, filled from the stored recent blocks, then kept current by tasks
    /// under `cancel`.
    pub async fn start(
        chain: Arc<Chain>,
        batcher_rpc: Option<String>,
        cancel: CancellationToken,
    ) -> Result<Arc<Self>, NodeError> {
        let head = chain.head().number;
        let mut series = VecDeque::with_capacity(SERIES);
        for number in head.saturating_sub(SERIES as u64 - 1).max(1)..=head {
            if let Some(block) = chain.store.block(number).await? {
                series.push_back(BlockStat {
                    number,
                    timestamp: block.header.timestamp,
                    transactions: block.transactions.len().saturating_sub(1),
                    gas_used: block.header.gas_used,
                });
            }
        }
        let batcher = chain.options.l1.as_ref().map(|w| BatcherView {
            address: w.rollup().genesis.system_config.batcher_addr,
            ..Default::default()
        });
        let board = Arc::new(Self {
            chain,
            series: Mutex::new(series),
            batcher: Mutex::new(batcher),
            batcher_rpc,
        });
        tokio::spawn(board.clone().track_blocks(cancel.clone()));
        if board.chain.options.l1.is_some() {
            tokio::spawn(board.clone().sample_l1(cancel));
        }
        Ok(board)
    }

    /// The chain the board reads.
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    async fn track_blocks(self: Arc<Self>, cancel: CancellationToken) {
        let mut blocks = self.chain.subscribe_blocks();
        loop {
            let block = tokio::select! {
                _ = cancel.cancelled() => return,
                b = blocks.recv() => b,
            };
            let block = match block {
                Ok(block) => block,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            let mut series = self.series.lock();
            // A block at or below the newest one replaces the chain from there (a reorg).
            while series.back().is_some_and(|s| s.number >= block.number()) {
                series.pop_back();
            }
            series.push_back(BlockStat {
                number: block.number(),
                timestamp: block.header.timestamp,
                transactions: block.transactions.len().saturating_sub(1),
                gas_used: block.header.gas_used,
            });
            while series.len() > SERIES {
                series.pop_front();
            }
        }
    }

    async fn sample_l1(self: Arc<Self>, cancel: CancellationToken) {
        let Some(watcher) = self.chain.options.l1.clone() else { return };
        let address = watcher.rollup().genesis.system_config.batcher_addr;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build();
        let mut ticker = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let balance = watcher.client().balance(address).await;
            let status = match (&self.batcher_rpc, &http) {
                (Some(url), Ok(http)) => Some(batcher_status(http, url).await),
                _ => None,
            };
            let mut view = self.batcher.lock();
            let view = view.get_or_insert_with(|| BatcherView { address, ..Default::default() });
            view.error = None;
            match balance {
                Ok(b) => view.balance_wei = Some(b),
                Err(e) => view.error = Some(e.to_string()),
            }
            match status {
                Some(Ok(s)) => view.status = Some(s),
                Some(Err(e)) => {
                    debug!(target: "status", error = %e, "batcher status not read");
                    view.status = None;
                    view.error = Some(e);
                }
                None => {}
            }
        }
    }

    async fn head_view(&self, number: u64) -> Result<Option<HeadView>, NodeError> {
        Ok(self.chain.store.header(number).await?.map(|h| HeadView {
            number,
            hash: h.hash(),
            timestamp: h.timestamp,
        }))
    }

    /// The JSON of `GET /status`.
    pub async fn snapshot(&self) -> Result<serde_json::Value, NodeError> {
        let chain = &self.chain;
        let head = chain.head();
        let unsafe_head =
            HeadView { number: head.number, hash: head.hash(), timestamp: head.timestamp };
        let safe = self.head_view(chain.safe_number()).await?;
        let finalized = self.head_view(chain.finalized_number()).await?;
        let pool = chain.pool.status();
        let batcher = self.batcher.lock().clone();
        let batcher_state = match (&batcher, &self.batcher_rpc) {
            (None, _) => "not part of a dev node".to_string(),
            (Some(b), Some(_)) => match &b.status {
                Some(s) if s.get("running") == Some(&serde_json::Value::Bool(false)) => {
                    "stopped (admin_stopBatcher)".into()
                }
                Some(_) => "running".into(),
                None => "not answering".into(),
            },
            (Some(_), None) => "not watched (--status.batcher-rpc unset)".into(),
        };
        let components = vec![
            Component { name: "node", state: role(chain).into() },
            Component { name: "batcher", state: batcher_state },
            Component { name: "prover", state: "not part of this release yet".into() },
        ];
        let rollup = chain.options.l1.as_ref().map(|w| {
            let r = w.rollup();
            serde_json::json!({
                "l1ChainId": r.l1_chain_id,
                "batchInbox": r.batch_inbox_address,
                "portal": r.deposit_contract_address,
                "outputOracle": r.l2_output_oracle_address,
                "blockTime": r.block_time,
                "seqWindowSize": r.seq_window_size,
            })
        });
        let blocks: Vec<BlockStat> = self.series.lock().iter().copied().collect();
        Ok(serde_json::json!({
            "chainId": chain.config().chain_id,
            "clientVersion": crate::rpc::misc::CLIENT_VERSION,
            "health": health(chain),
            "heads": { "unsafe": unsafe_head, "safe": safe, "finalized": finalized },
            "pool": { "pending": pool.pending, "queued": pool.queued },
            "blocks": blocks,
            "rollup": rollup,
            "batcher": batcher,
            "components": components,
        }))
    }
}

/// `admin_batcherStatus` of the batcher at `url`.
async fn batcher_status(http: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let request = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "admin_batcherStatus", "params": []});
    let response = http
        .post(url)
        .json(&request)
        .send()
        .await
        .map_err(|e| format!("batcher admin RPC {url}: {e}"))?;
    let mut body: serde_json::Value =
        response.json().await.map_err(|e| format!("batcher admin RPC {url}: {e}"))?;
    match body.get_mut("result").map(serde_json::Value::take) {
        Some(result) if !result.is_null() => Ok(result),
        _ => Err(format!("batcher admin RPC {url} answered without a result: {body}")),
    }
}

#[cfg(test)]
mod tests {
    use super::PAGE;
    use alloy_sol_types::{SolCall, SolEvent};
    use ol_precompiles::abi::{
        ADAPTER_REGISTRY_ADDRESS, IAdapterRegistry as A, IInfluenceAttribution as I,
        INFLUENCE_ADDRESS, ITokenAttribution as T, TOKEN_ATTRIBUTION_ADDRESS,
    };

    /// The page's script spells addresses, a selector and event topics out (no keccak in the
    /// browser without a library): each must be the one the precompiles use.
    #[test]
    fn the_page_names_the_precompiles_constants() {
        let expect = [
            ("INFLUENCE", format!("{INFLUENCE_ADDRESS:#x}")),
            ("TOKEN_ATTRIBUTION", format!("{TOKEN_ATTRIBUTION_ADDRESS:#x}")),
            ("ADAPTER_REGISTRY", format!("{ADAPTER_REGISTRY_ADDRESS:#x}")),
            (
                "ADAPTER_COUNT",
                format!("0x{}", alloy_primitives::hex::encode(A::adapterCountCall::SELECTOR)),
            ),
            ("INFLUENCE_SCORED", format!("{:#x}", I::InfluenceScored::SIGNATURE_HASH)),
            ("TOKENS_ATTRIBUTED", format!("{:#x}", T::TokensAttributed::SIGNATURE_HASH)),
        ];
        for (name, value) in expect {
            let line = format!("const {name} = \"{value}\";");
            assert!(PAGE.contains(&line), "page.html must say {line}");
        }
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for outside in ["http://", "https://", "//cdn", "src=\"http"] {
            let hits: Vec<&str> = PAGE
                .lines()
                .filter(|l| l.contains(outside) && !l.contains("http://www.w3.org/2000/svg"))
                .collect();
            assert!(hits.is_empty(), "external reference {outside:?}: {hits:?}");
        }
    }
}
