//! `eth_subscribe` over WebSocket: `newHeads`, `logs` and `newPendingTransactions`.
//!
//! Each subscription forwards events from the chain's broadcast channels into jsonrpsee's
//! bounded per-connection buffer with `try_send`: a client that does not keep up has its
//! subscription closed instead of growing the node's memory, as geth does.

use crate::{
    node::Chain,
    rpc::convert::{block_logs, pending_transaction},
};
use alloy_rpc_types_eth::Filter;
use jsonrpsee::{
    PendingSubscriptionSink, SubscriptionMessage, core::SubscriptionResult, proc_macros::rpc,
    types::ErrorObjectOwned,
};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Subscriptions of the `eth_` namespace.
#[rpc(server, namespace = "eth")]
pub trait EthPubSub {
    /// `eth_subscribe(kind, params)`; notifications arrive as `eth_subscription`.
    #[subscription(name = "subscribe" => "subscription", unsubscribe = "unsubscribe", item = Value)]
    async fn subscribe(&self, kind: String, params: Option<Value>) -> SubscriptionResult;
}

/// Handler of `eth_subscribe`.
#[derive(Debug, Clone)]
pub struct PubSubApi {
    chain: Arc<Chain>,
}

impl PubSubApi {
    /// A handler over `chain`.
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }
}

fn message(item: &impl Serialize) -> Option<SubscriptionMessage> {
    serde_json::value::to_raw_value(item).ok().map(SubscriptionMessage::from)
}

fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(crate::rpc::error::INVALID_PARAMS, msg.into(), None::<()>)
}

#[jsonrpsee::core::async_trait]
impl EthPubSubServer for PubSubApi {
    async fn subscribe(
        &self,
        pending: PendingSubscriptionSink,
        kind: String,
        params: Option<Value>,
    ) -> SubscriptionResult {
        match kind.as_str() {
            "newHeads" | "logs" => {
                let filter = match (kind.as_str(), params) {
                    ("logs", Some(p)) => match serde_json::from_value::<Filter>(p) {
                        Ok(f) => Some(f),
                        Err(e) => {
                            pending.reject(invalid(format!("invalid logs filter: {e}"))).await;
                            return Ok(());
                        }
                    },
                    ("logs", None) => Some(Filter::default()),
                    _ => None,
                };
                let mut blocks = self.chain.subscribe_blocks();
                let mut sink = pending.accept().await?;
                loop {
                    let block = tokio::select! {
                        _ = sink.closed() => return Ok(()),
                        block = blocks.recv() => match block {
                            Ok(block) => block,
                            // Too slow to follow the chain: close rather than buffer.
                            Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return Ok(()),
                        },
                    };
                    let messages: Vec<SubscriptionMessage> = match &filter {
                        None => message(&alloy_rpc_types_eth::Header::from_consensus(
                            block.header.clone(),
                            None,
                            None,
                        ))
                        .into_iter()
                        .collect(),
                        Some(filter) => block_logs(&block)
                            .iter()
                            .filter(|log| filter.rpc_matches(log))
                            .filter_map(message)
                            .collect(),
                    };
                    for m in messages {
                        if sink.try_send(m).is_err() {
                            return Ok(());
                        }
                    }
                }
            }
            "newPendingTransactions" => {
                let full = matches!(params, Some(Value::Bool(true)));
                let mut pooled = self.chain.subscribe_pooled();
                let mut sink = pending.accept().await?;
                loop {
                    let tx = tokio::select! {
                        _ = sink.closed() => return Ok(()),
                        tx = pooled.recv() => match tx {
                            Ok(tx) => tx,
                            Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return Ok(()),
                        },
                    };
                    let m =
                        if full { message(&pending_transaction(&tx)) } else { message(&tx.hash) };
                    if let Some(m) = m
                        && sink.try_send(m).is_err()
                    {
                        return Ok(());
                    }
                }
            }
            other => {
                pending.reject(invalid(format!("unsupported subscription type {other:?}"))).await;
                Ok(())
            }
        }
    }
}
