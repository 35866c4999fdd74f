//! `net_`, `web3_` and the `ol_health` method (the same readiness as `GET /health`).

use crate::node::Chain;
use crate::status::Health;
use alloy_primitives::{B256, Bytes, keccak256};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use std::sync::Arc;

/// `net_` methods.
#[rpc(server, namespace = "net")]
pub trait NetRpc {
    /// Chain id as a decimal string.
    #[method(name = "version")]
    async fn version(&self) -> RpcResult<String>;
    /// Always true.
    #[method(name = "listening")]
    async fn listening(&self) -> RpcResult<bool>;
    /// No p2p: zero peers.
    #[method(name = "peerCount")]
    async fn peer_count(&self) -> RpcResult<alloy_primitives::U64>;
}

/// `web3_` methods.
#[rpc(server, namespace = "web3")]
pub trait Web3Rpc {
    /// Client name and version.
    #[method(name = "clientVersion")]
    async fn client_version(&self) -> RpcResult<String>;
    /// keccak256 of the input.
    #[method(name = "sha3")]
    async fn sha3(&self, input: Bytes) -> RpcResult<B256>;
}

/// `ol_` operational methods.
#[rpc(server, namespace = "ol")]
pub trait OlRpc {
    /// Readiness, heads and the L1 connection: what `GET /health` answers.
    #[method(name = "health")]
    async fn health(&self) -> RpcResult<Health>;
}

/// Handler of the small namespaces.
#[derive(Debug, Clone)]
pub struct MiscApi {
    chain: Arc<Chain>,
}

impl MiscApi {
    /// A handler over `chain`.
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }
}

/// What `web3_clientVersion` reports.
pub const CLIENT_VERSION: &str = concat!("openledger-l2/v", env!("CARGO_PKG_VERSION"), "/rust");

#[jsonrpsee::core::async_trait]
impl NetRpcServer for MiscApi {
    async fn version(&self) -> RpcResult<String> {
        Ok(self.chain.config().chain_id.to_string())
    }
    async fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }
    async fn peer_count(&self) -> RpcResult<alloy_primitives::U64> {
        Ok(alloy_primitives::U64::ZERO)
    }
}

#[jsonrpsee::core::async_trait]
impl Web3RpcServer for MiscApi {
    async fn client_version(&self) -> RpcResult<String> {
        Ok(CLIENT_VERSION.to_string())
    }
    async fn sha3(&self, input: Bytes) -> RpcResult<B256> {
        Ok(keccak256(&input))
    }
}

#[jsonrpsee::core::async_trait]
impl OlRpcServer for MiscApi {
    async fn health(&self) -> RpcResult<Health> {
        Ok(crate::status::health(&self.chain))
    }
}
