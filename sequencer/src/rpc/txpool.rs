//! `txpool_status`, `txpool_content`, `txpool_inspect` (geth's shapes).

use crate::{executor::ReadyTx, node::Chain, rpc::convert::pending_transaction};
use alloy_consensus::Transaction;
use alloy_primitives::U64;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use op_alloy::rpc_types::Transaction as OpTransaction;
use serde::Serialize;
use std::{collections::BTreeMap, sync::Arc};

/// Pool sizes.
#[derive(Debug, Clone, Serialize)]
pub struct TxpoolStatus {
    /// Executable transactions.
    pub pending: U64,
    /// Transactions waiting for a nonce gap to close.
    pub queued: U64,
}

/// Transactions by sender and nonce. Senders are keyed by their EIP-55 checksummed address,
/// as geth writes them (`Address.Hex()`).
pub type BySender<T> = BTreeMap<String, BTreeMap<String, T>>;

/// Pool contents.
#[derive(Debug, Clone, Serialize)]
pub struct TxpoolContent<T> {
    /// Executable transactions.
    pub pending: BySender<T>,
    /// Waiting transactions.
    pub queued: BySender<T>,
}

/// `txpool_` methods.
#[rpc(server, namespace = "txpool")]
pub trait TxpoolRpc {
    /// Counts.
    #[method(name = "status")]
    async fn status(&self) -> RpcResult<TxpoolStatus>;
    /// Full transactions.
    #[method(name = "content")]
    async fn content(&self) -> RpcResult<TxpoolContent<OpTransaction>>;
    /// One-line summaries.
    #[method(name = "inspect")]
    async fn inspect(&self) -> RpcResult<TxpoolContent<String>>;
}

/// Handler of `txpool_`.
#[derive(Debug, Clone)]
pub struct TxpoolApi {
    chain: Arc<Chain>,
}

impl TxpoolApi {
    /// A handler over `chain`.
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }

    fn group<T>(txs: &[Arc<ReadyTx>], f: impl Fn(&ReadyTx) -> T) -> BySender<T> {
        let mut out: BySender<T> = BTreeMap::new();
        for tx in txs {
            let sender = tx.sender().to_checksum(None);
            out.entry(sender).or_default().insert(tx.tx.nonce().to_string(), f(tx));
        }
        out
    }
}

fn summary(tx: &ReadyTx) -> String {
    let to = tx.tx.to().map_or_else(|| "contract creation".to_string(), |a| a.to_string());
    format!(
        "{to}: {} wei + {} gas × {} wei",
        tx.tx.value(),
        tx.tx.gas_limit(),
        tx.tx.max_fee_per_gas()
    )
}

#[jsonrpsee::core::async_trait]
impl TxpoolRpcServer for TxpoolApi {
    async fn status(&self) -> RpcResult<TxpoolStatus> {
        let s = self.chain.pool.status();
        Ok(TxpoolStatus { pending: U64::from(s.pending), queued: U64::from(s.queued) })
    }

    async fn content(&self) -> RpcResult<TxpoolContent<OpTransaction>> {
        let (pending, queued) = self.chain.pool.content();
        Ok(TxpoolContent {
            pending: Self::group(&pending, pending_transaction),
            queued: Self::group(&queued, pending_transaction),
        })
    }

    async fn inspect(&self) -> RpcResult<TxpoolContent<String>> {
        let (pending, queued) = self.chain.pool.content();
        Ok(TxpoolContent {
            pending: Self::group(&pending, summary),
            queued: Self::group(&queued, summary),
        })
    }
}
