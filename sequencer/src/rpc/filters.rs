//! Polling filters: `eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs`, `eth_uninstallFilter`.
//!
//! Filters idle for longer than the time-to-live (5 minutes, as geth) are removed, and the
//! number installed at once is capped, so abandoned filters cannot accumulate.

use crate::{
    executor::ReadyTx,
    node::Chain,
    rpc::{
        error::{RpcError, RpcResult},
        eth::EthApi,
    },
};
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption, Log};
use jsonrpsee::{core::RpcResult as JsonResult, proc_macros::rpc};
use parking_lot::Mutex;
use serde::Serialize;
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::broadcast::{self, error::TryRecvError};

/// Most filters installed at once.
const MAX_FILTERS: usize = 10_000;
/// Most block hashes or transaction hashes returned by one poll.
const MAX_CHANGES: usize = 10_000;

enum Kind {
    Blocks { next: u64 },
    Logs { filter: Box<Filter>, next: u64 },
    Pending { rx: broadcast::Receiver<Arc<ReadyTx>> },
}

struct Installed {
    kind: Kind,
    last_poll: Instant,
}

/// What `eth_getFilterChanges` returns: hashes (block and pending filters) or logs.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FilterChanges {
    /// Block or transaction hashes.
    Hashes(Vec<B256>),
    /// Logs.
    Logs(Vec<Log>),
}

/// Filter methods of the `eth_` namespace.
#[rpc(server, namespace = "eth")]
pub trait EthFilterRpc {
    /// Installs a log filter.
    #[method(name = "newFilter")]
    async fn new_filter(&self, filter: Filter) -> JsonResult<U256>;
    /// Installs a new-block filter.
    #[method(name = "newBlockFilter")]
    async fn new_block_filter(&self) -> JsonResult<U256>;
    /// Installs a new-pending-transaction filter.
    #[method(name = "newPendingTransactionFilter")]
    async fn new_pending_transaction_filter(&self) -> JsonResult<U256>;
    /// Changes since the last poll.
    #[method(name = "getFilterChanges")]
    async fn filter_changes(&self, id: U256) -> JsonResult<FilterChanges>;
    /// All logs matching a log filter.
    #[method(name = "getFilterLogs")]
    async fn filter_logs(&self, id: U256) -> JsonResult<Vec<Log>>;
    /// Removes a filter.
    #[method(name = "uninstallFilter")]
    async fn uninstall_filter(&self, id: U256) -> JsonResult<bool>;
}

/// Installed filters.
pub struct FilterApi {
    chain: Arc<Chain>,
    eth: EthApi,
    filters: Mutex<HashMap<U256, Installed>>,
    next_id: Mutex<u64>,
    ttl: Duration,
}

impl std::fmt::Debug for FilterApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterApi").field("installed", &self.filters.lock().len()).finish()
    }
}

impl FilterApi {
    /// Filters over `chain`, answering log queries through `eth`.
    pub fn new(chain: Arc<Chain>, eth: EthApi, ttl: Duration) -> Self {
        Self { chain, eth, filters: Mutex::new(HashMap::new()), next_id: Mutex::new(0), ttl }
    }

    fn install(&self, kind: Kind) -> RpcResult<U256> {
        let mut filters = self.filters.lock();
        let ttl = self.ttl;
        filters.retain(|_, f| f.last_poll.elapsed() < ttl);
        if filters.len() >= MAX_FILTERS {
            return Err(RpcError::Limit(format!(
                "too many filters installed (at most {MAX_FILTERS})"
            )));
        }
        let mut next = self.next_id.lock();
        *next += 1;
        // Ids are unpredictable enough to not collide across restarts in practice.
        let id = U256::from(*next) | (U256::from(std::process::id()) << 64);
        filters.insert(id, Installed { kind, last_poll: Instant::now() });
        Ok(id)
    }

    fn not_found() -> RpcError {
        RpcError::InvalidParams("filter not found".into())
    }

    async fn changes(&self, id: U256) -> RpcResult<FilterChanges> {
        let head = self.chain.head().number;
        // Take what is needed out of the lock; log queries run without it.
        enum Plan {
            Blocks(u64),
            Logs(Box<Filter>),
            Pending(Vec<B256>),
        }
        let plan = {
            let mut filters = self.filters.lock();
            let f = filters.get_mut(&id).ok_or_else(Self::not_found)?;
            if f.last_poll.elapsed() >= self.ttl {
                filters.remove(&id);
                return Err(Self::not_found());
            }
            f.last_poll = Instant::now();
            match &mut f.kind {
                Kind::Blocks { next } => {
                    let from = *next;
                    *next = head.saturating_add(1).max(from).min(from + MAX_CHANGES as u64);
                    Plan::Blocks(from)
                }
                Kind::Logs { filter, next } => {
                    let from = *next;
                    let to = head.min(from.saturating_add(self_range(&self.eth) - 1));
                    *next = to.saturating_add(1).max(from);
                    if from > head {
                        return Ok(FilterChanges::Logs(Vec::new()));
                    }
                    let mut f = (**filter).clone();
                    f.block_option = FilterBlockOption::Range {
                        from_block: Some(BlockNumberOrTag::Number(from)),
                        to_block: Some(BlockNumberOrTag::Number(to)),
                    };
                    Plan::Logs(Box::new(f))
                }
                Kind::Pending { rx } => {
                    let mut hashes = Vec::new();
                    while hashes.len() < MAX_CHANGES {
                        match rx.try_recv() {
                            Ok(tx) => hashes.push(tx.hash),
                            Err(TryRecvError::Lagged(_)) => continue,
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                    Plan::Pending(hashes)
                }
            }
        };
        match plan {
            Plan::Pending(hashes) => Ok(FilterChanges::Hashes(hashes)),
            Plan::Logs(filter) => Ok(FilterChanges::Logs(self.eth.filter_logs(*filter).await?)),
            Plan::Blocks(from) => {
                let mut hashes = Vec::new();
                for n in from..=head.min(from + MAX_CHANGES as u64 - 1) {
                    if let Some(h) = self.chain.store.header(n).await? {
                        hashes.push(h.hash());
                    }
                }
                Ok(FilterChanges::Hashes(hashes))
            }
        }
    }
}

fn self_range(eth: &EthApi) -> u64 {
    eth.max_log_range().max(1)
}

fn json<T>(r: RpcResult<T>) -> JsonResult<T> {
    r.map_err(Into::into)
}

#[jsonrpsee::core::async_trait]
impl EthFilterRpcServer for FilterApi {
    async fn new_filter(&self, filter: Filter) -> JsonResult<U256> {
        let head = self.chain.head().number;
        let next = match filter.block_option {
            FilterBlockOption::Range { from_block: Some(BlockNumberOrTag::Number(n)), .. } => n,
            _ => head + 1,
        };
        json(self.install(Kind::Logs { filter: Box::new(filter), next }))
    }

    async fn new_block_filter(&self) -> JsonResult<U256> {
        let next = self.chain.head().number + 1;
        json(self.install(Kind::Blocks { next }))
    }

    async fn new_pending_transaction_filter(&self) -> JsonResult<U256> {
        let rx = self.chain.subscribe_pooled();
        json(self.install(Kind::Pending { rx }))
    }

    async fn filter_changes(&self, id: U256) -> JsonResult<FilterChanges> {
        json(self.changes(id).await)
    }

    async fn filter_logs(&self, id: U256) -> JsonResult<Vec<Log>> {
        let filter = {
            let mut filters = self.filters.lock();
            let f = filters.get_mut(&id).ok_or_else(Self::not_found)?;
            f.last_poll = Instant::now();
            match &f.kind {
                Kind::Logs { filter, .. } => (**filter).clone(),
                _ => {
                    return Err(RpcError::InvalidParams("filter is not a log filter".into()).into());
                }
            }
        };
        json(self.eth.filter_logs(filter).await)
    }

    async fn uninstall_filter(&self, id: U256) -> JsonResult<bool> {
        Ok(self.filters.lock().remove(&id).is_some())
    }
}
