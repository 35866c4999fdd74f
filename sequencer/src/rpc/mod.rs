//! JSON-RPC over HTTP and WebSocket (jsonrpsee), with geth's error shapes and request limits.

pub mod attribution;
pub mod convert;
pub mod debug;
pub mod dev;
pub mod error;
pub mod eth;
pub mod filters;
pub mod misc;
pub mod pubsub;
pub mod routes;
pub mod txpool;

use crate::node::Chain;
use eth::{EthApi, EthConfig, EthRpcServer};
use filters::EthFilterRpcServer;
use jsonrpsee::{
    RpcModule,
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
};
use misc::{MiscApi, NetRpcServer, OlRpcServer, Web3RpcServer};
use pubsub::EthPubSubServer;
use std::{net::SocketAddr, sync::Arc};
use tower_http::cors::{Any, CorsLayer};
use txpool::TxpoolRpcServer;

/// Subscription ids as `0x`-prefixed hex strings, as geth and reth send them: viem drops
/// notifications whose subscription id is not a string.
#[derive(Debug)]
struct HexIdProvider {
    seed: alloy_primitives::B256,
    counter: std::sync::atomic::AtomicU64,
}

impl HexIdProvider {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let seed = alloy_primitives::keccak256(
            [nanos.to_be_bytes().as_slice(), &std::process::id().to_be_bytes()].concat(),
        );
        Self { seed, counter: std::sync::atomic::AtomicU64::new(0) }
    }
}

impl jsonrpsee::core::traits::IdProvider for HexIdProvider {
    fn next_id(&self) -> jsonrpsee::types::SubscriptionId<'static> {
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = alloy_primitives::keccak256([self.seed.as_slice(), &n.to_be_bytes()].concat());
        jsonrpsee::types::SubscriptionId::Str(
            format!("0x{}", alloy_primitives::hex::encode(&id[..16])).into(),
        )
    }
}

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
    /// Most subscriptions per WebSocket connection.
    pub max_subscriptions_per_connection: u32,
    /// Messages buffered per WebSocket connection before a slow subscriber is dropped.
    pub ws_buffer: u32,
    /// How long an unpolled filter lives.
    pub filter_timeout: std::time::Duration,
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
            max_subscriptions_per_connection: 128,
            ws_buffer: 1_024,
            filter_timeout: std::time::Duration::from_secs(300),
            eth: EthConfig::default(),
        }
    }
}

impl RpcConfig {
    /// The same limits with other `eth_` settings.
    pub fn with_eth(mut self, eth: EthConfig) -> Self {
        self.eth = eth;
        self
    }
}

/// All namespaces in one module. `dev_keys` are the accounts `eth_sendTransaction` may sign
/// for (dev mode; empty otherwise).
pub fn module(
    chain: Arc<Chain>,
    config: &RpcConfig,
    dev_keys: Vec<alloy_signer_local::PrivateKeySigner>,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
    let mut module = RpcModule::new(());
    let eth = EthApi::new(chain.clone(), config.eth.clone());
    module.merge(eth.clone().into_rpc())?;
    let eth_for_ol = eth.clone();
    let dev = dev::DevApi::new(chain.clone(), eth.clone(), dev_keys);
    module.merge(dev::EthDevRpcServer::into_rpc(dev.clone()))?;
    module.merge(dev::EvmRpcServer::into_rpc(dev.clone()))?;
    module.merge(dev::AnvilRpcServer::into_rpc(dev))?;
    module.merge(filters::FilterApi::new(chain.clone(), eth, config.filter_timeout).into_rpc())?;
    module.merge(pubsub::PubSubApi::new(chain.clone()).into_rpc())?;
    module.merge(txpool::TxpoolApi::new(chain.clone()).into_rpc())?;
    let debug = debug::DebugApi::new(chain.clone(), config.eth.gas_cap);
    module.merge(debug::DebugRpcServer::into_rpc(debug.clone()))?;
    module.merge(debug::TraceRpcServer::into_rpc(debug))?;
    let misc = MiscApi::new(chain);
    module.merge(NetRpcServer::into_rpc(misc.clone()))?;
    module.merge(Web3RpcServer::into_rpc(misc.clone()))?;
    module.merge(OlRpcServer::into_rpc(misc))?;
    module.merge(attribution::OlAttributionRpcServer::into_rpc(
        attribution::AttributionApi::new(eth_for_ol),
    ))?;
    Ok(module)
}

/// Starts a server on `addr` serving HTTP and WebSocket; returns its bound address and handle.
pub async fn serve(
    addr: SocketAddr,
    module: RpcModule<()>,
    config: &RpcConfig,
    board: Arc<crate::status::StatusBoard>,
) -> eyre::Result<(SocketAddr, ServerHandle)> {
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_message_buffer_capacity(config.ws_buffer)
        .set_id_provider(HexIdProvider::new())
        .build();
    let cors = CorsLayer::new().allow_origin(Any).allow_headers(Any).allow_methods(Any);
    let middleware =
        tower::ServiceBuilder::new().layer(cors).layer(routes::RoutesLayer::new(board));
    let max_response_bytes = config.max_response_bytes as usize;
    let methods: Arc<std::collections::HashSet<&'static str>> =
        Arc::new(module.method_names().collect());
    let timed = jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
        .layer_fn(move |inner| routes::Timed::new(inner, methods.clone(), max_response_bytes));
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(middleware)
        .set_rpc_middleware(timed)
        .build(addr)
        .await?;
    let local = server.local_addr()?;
    Ok((local, server.start(module)))
}
