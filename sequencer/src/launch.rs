//! Starting and stopping a node: store, chain, miner and RPC servers as tasks under one
//! cancellation token. Used by the binary and by in-process tests.

use crate::{
    cli::NodeConfig,
    genesis::{GenesisSpec, dev_keys},
    l1::{Deriver, L1Client, L1Watcher, Role},
    miner,
    node::{Chain, ChainOptions},
    rpc,
    status::StatusBoard,
    store::Store,
};
use jsonrpsee::server::ServerHandle;
use std::{net::SocketAddr, sync::Arc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// A running node.
#[derive(Debug)]
pub struct RunningNode {
    /// Shared chain state.
    pub chain: Arc<Chain>,
    /// Where the HTTP/WebSocket RPC listens.
    pub http_addr: SocketAddr,
    /// The extra WebSocket listener, if configured.
    pub ws_addr: Option<SocketAddr>,
    servers: Vec<ServerHandle>,
    miner: JoinHandle<Result<(), crate::node::NodeError>>,
    cancel: CancellationToken,
    _tempdir: Option<tempfile::TempDir>,
}

/// Opens the store, the chain, and starts mining and serving.
pub async fn launch(config: NodeConfig) -> eyre::Result<RunningNode> {
    let (datadir, tempdir) = match &config.datadir {
        Some(dir) => (dir.clone(), None),
        None => {
            let tmp = tempfile::Builder::new().prefix("ol-node-").tempdir()?;
            (tmp.path().to_path_buf(), Some(tmp))
        }
    };
    std::fs::create_dir_all(&datadir)?;
    let db_path = datadir.join("node.sqlite");
    info!(target: "node", path = %db_path.display(), "opening database");
    let store = Store::open(&db_path).await?;
    let genesis = match &config.chain {
        Some(path) => GenesisSpec::from_file(path)?,
        None => GenesisSpec::dev(config.gas_limit)?,
    };
    let cancel = CancellationToken::new();
    let follow = config.l1.as_ref().is_some_and(|l1| l1.follow);
    let watcher = match &config.l1 {
        Some(l1) => Some(start_l1(l1, &genesis, &cancel).await?),
        None => None,
    };
    let options = ChainOptions {
        pool: config.pool,
        max_tx_bytes: config.max_tx_bytes,
        allow_unprotected: config.allow_unprotected,
        dev: config.dev,
        // The miner sequences on it; a follower has no miner and reads it for its status.
        l1: watcher.clone(),
        follower: follow,
    };
    // Events count from the start; `GET /metrics` renders them.
    let _ = crate::metrics::handle();
    let chain = Chain::open(store, genesis, options).await?;
    if let Some(l1) = &config.l1 {
        let genesis_hash = chain.store.header(0).await?.map(|h| h.hash()).unwrap_or_default();
        if genesis_hash != l1.rollup.genesis.l2.hash {
            cancel.cancel();
            eyre::bail!(
                "genesis block {genesis_hash} is not the rollup's L2 genesis {}",
                l1.rollup.genesis.l2.hash
            );
        }
    }
    let deriver = match (&config.l1, watcher) {
        (Some(l1), Some(watcher)) => {
            let client = L1Client::new(&l1.rpc, &l1.beacon)?;
            let role = if follow { Role::Follower } else { Role::Sequencer };
            Some((Deriver::new(chain.clone(), watcher, client, role).await?, l1.poll_interval))
        }
        _ => None,
    };

    let mut rpc_config = config.rpc.clone();
    let keys = if config.dev { dev_keys()? } else { Vec::new() };
    let greeting_keys = keys.clone();
    rpc_config.eth.accounts = keys.iter().map(|k| k.address()).collect();
    let module = rpc::module(chain.clone(), &rpc_config, keys)?;
    let board =
        StatusBoard::start(chain.clone(), config.status_batcher_rpc.clone(), cancel.clone())
            .await?;
    let (http_addr, http) = rpc::serve(
        SocketAddr::new(config.http_addr, config.http_port),
        module.clone(),
        &rpc_config,
        board.clone(),
    )
    .await?;
    let mut servers = vec![http];
    let mut ws_addr = None;
    if let Some(port) = config.ws_port.filter(|p| *p != config.http_port) {
        let (addr, ws) =
            rpc::serve(SocketAddr::new(config.http_addr, port), module, &rpc_config, board).await?;
        ws_addr = Some(addr);
        servers.push(ws);
    }
    info!(target: "rpc", %http_addr, ?ws_addr, chain_id = chain.config().chain_id, "JSON-RPC listening");
    if config.dev {
        let chain_id = chain.config().chain_id;
        let greeting = crate::greeting::dev_greeting(&greeting_keys, chain_id, http_addr, ws_addr);
        // With JSON logs stdout is for log lines only: a collector must be able to parse each.
        if config.log_json {
            eprint!("{greeting}");
        } else {
            print!("{greeting}");
        }
    }

    // The follower's deriver is its only producer and stands where the miner would; the
    // sequencer's runs beside the miner and hands it the derived blocks.
    let miner = match deriver {
        Some((deriver, every)) if follow => tokio::spawn(deriver.run(every, cancel.clone())),
        Some((deriver, every)) => {
            let stop = cancel.clone();
            tokio::spawn(async move {
                if let Err(e) = deriver.run(every, stop).await {
                    error!(target: "derive", error = %e, "derivation stopped");
                }
            });
            tokio::spawn(miner::run(chain.clone(), config.mining, cancel.clone()))
        }
        None => tokio::spawn(miner::run(chain.clone(), config.mining, cancel.clone())),
    };
    Ok(RunningNode { chain, http_addr, ws_addr, servers, miner, cancel, _tempdir: tempdir })
}

/// Checks the L1 endpoint and the rollup config against each other and the genesis, then
/// starts the L1 watcher under `cancel`.
async fn start_l1(
    l1: &crate::cli::L1Config,
    genesis: &GenesisSpec,
    cancel: &CancellationToken,
) -> eyre::Result<Arc<L1Watcher>> {
    let client = check_l1(l1, genesis).await?;
    let watcher = Arc::new(L1Watcher::new(Arc::new(l1.rollup.clone()), client));
    // The first poll must see the L1 genesis: a wrong endpoint fails the start, not later.
    let first = watcher.poll().await?;
    info!(target: "l1", url = %l1.rpc, tip = ?first.tip, "following L1");
    tokio::spawn(watcher.clone().run(l1.poll_interval, cancel.clone()));
    Ok(watcher)
}

/// Checks the L1 endpoint and the rollup config against each other and the genesis.
async fn check_l1(l1: &crate::cli::L1Config, genesis: &GenesisSpec) -> eyre::Result<L1Client> {
    let rollup = &l1.rollup;
    if rollup.l2_chain_id != genesis.chain.chain_id {
        eyre::bail!(
            "rollup.json is for L2 chain {}, the genesis for chain {}",
            rollup.l2_chain_id,
            genesis.chain.chain_id
        );
    }
    if rollup.genesis.l2_time != genesis.timestamp {
        eyre::bail!(
            "rollup.json's l2_time {} differs from the genesis timestamp {}",
            rollup.genesis.l2_time,
            genesis.timestamp
        );
    }
    if rollup.genesis.system_config.gas_limit != genesis.chain.gas_limit {
        eyre::bail!(
            "rollup.json's gas limit {} differs from the genesis gas limit {}",
            rollup.genesis.system_config.gas_limit,
            genesis.chain.gas_limit
        );
    }
    let client = L1Client::new(&l1.rpc, &l1.beacon)?;
    let chain_id = client.chain_id().await?;
    if chain_id != rollup.l1_chain_id {
        eyre::bail!("{} is chain {chain_id}, rollup.json's L1 is {}", l1.rpc, rollup.l1_chain_id);
    }
    Ok(client)
}

impl RunningNode {
    /// HTTP URL of the RPC server.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Waits until the miner stops (a fatal block error) or `signal` fires, then shuts down.
    pub async fn run_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> eyre::Result<()> {
        let outcome = tokio::select! {
            result = &mut self.miner => Some(result),
            _ = signal => None,
        };
        let failed = match outcome {
            Some(Ok(Ok(()))) => None,
            Some(Ok(Err(e))) => Some(eyre::eyre!("block production failed: {e}")),
            Some(Err(e)) => Some(eyre::eyre!("block production task died: {e}")),
            None => None,
        };
        if let Some(err) = &failed {
            error!(target: "node", %err, "stopping");
        }
        self.shutdown().await;
        failed.map_or(Ok(()), Err)
    }

    /// Stops mining (after the block in progress), the servers and the database.
    pub async fn shutdown(self) {
        info!(target: "node", "shutting down");
        self.cancel.cancel();
        if !self.miner.is_finished() {
            let _ = self.miner.await;
        }
        for server in &self.servers {
            let _ = server.stop();
        }
        for server in self.servers {
            server.stopped().await;
        }
        self.chain.store.close().await;
        info!(target: "node", "stopped");
    }
}
