//! JSON-RPC over HTTP and WebSocket (jsonrpsee), with geth's error shapes and request limits.

pub mod convert;
pub mod error;
pub mod eth;
pub mod misc;

use crate::node::Chain;
use eth::{EthApi, EthConfig, EthRpcServer};
use jsonrpsee::{
    RpcModule,
    server::{
        BatchRequestConfig, Server, ServerConfig, ServerHandle,
        middleware::http::ProxyGetRequestLayer,
    },
};
use misc::{MiscApi, NetRpcServer, OlRpcServer, Web3RpcServer};
use std::{net::SocketAddr, sync::Arc};
use tower_http::cors::{Any, CorsLayer};

/// Server limits.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Largest request body (bytes).
    pub max_request_bytes: u32,
    /// Largest response body (bytes).
    pub max_response_bytes: u32,
    /// Most requests in one batch.
    pub max_batch: u32,
    /// Most concurrent connections.
    pub max_connections: u32,
    /// `eth_` limits.
    pub eth: EthConfig,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            max_request_bytes: 5 * 1024 * 1024,
            max_response_bytes: 100 * 1024 * 1024,
            max_batch: 1_000,
            max_connections: 1_000,
            eth: EthConfig::default(),
        }
    }
}

/// All namespaces in one module.
pub fn module(
    chain: Arc<Chain>,
    config: &RpcConfig,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
    let mut module = RpcModule::new(());
    module.merge(EthApi::new(chain.clone(), config.eth.clone()).into_rpc())?;
    let misc = MiscApi::new(chain);
    module.merge(NetRpcServer::into_rpc(misc.clone()))?;
    module.merge(Web3RpcServer::into_rpc(misc.clone()))?;
    module.merge(OlRpcServer::into_rpc(misc))?;
    Ok(module)
}

/// Starts a server on `addr` serving HTTP and WebSocket; returns its bound address and handle.
pub async fn serve(
    addr: SocketAddr,
    module: RpcModule<()>,
    config: &RpcConfig,
) -> eyre::Result<(SocketAddr, ServerHandle)> {
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .max_connections(config.max_connections)
        .build();
    let cors = CorsLayer::new().allow_origin(Any).allow_headers(Any).allow_methods(Any);
    let middleware = tower::ServiceBuilder::new()
        .layer(cors)
        .layer(ProxyGetRequestLayer::new([("/health", "ol_health")])?);
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(middleware)
        .build(addr)
        .await?;
    let local = server.local_addr()?;
    Ok((local, server.start(module)))
}
