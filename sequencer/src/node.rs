//! The running chain: head, live state, pool and store, and the one function that produces a
//! block. RPC handlers and the miner share one [`Chain`] behind an `Arc`.

use crate::{
    builder::{SealedBlock, seal},
    dev::{Cheat, cheat_changes, merge_changes},
    evm::NodeEvm,
    executor::{BlockAttributes, ExecutionError, ReadyTx, execute_block},
    genesis::{DEV_L1_ORIGIN_HASH, GenesisSpec},
    mempool::{Mempool, PoolConfig, StatelessRules},
    mempool::{PoolError, validate_raw},
    state::{BlockHashes, StateView, WorldState},
    store::{Store, StoreError},
};
use alloy_consensus::{Header, Sealed};
use alloy_primitives::{B256, U256};
use ol_protocol::{ChainConfig, L1BlockInfo};
use parking_lot::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tracing::{debug, info};

/// Why the node could not start or could not produce a block.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Execution of the block failed as a whole.
    #[error(transparent)]
    Execution(#[from] ExecutionError),
    /// The database belongs to another chain.
    #[error("the database holds chain {stored}, but the node was started for chain {configured}")]
    ChainMismatch {
        /// Stored genesis hash.
        stored: B256,
        /// Configured genesis hash.
        configured: B256,
    },
    /// The state loaded from the database does not match the head's state root.
    #[error(
        "state root mismatch at start-up: head says {expected}, stored state hashes to {actual}"
    )]
    StateRoot {
        /// Root in the head header.
        expected: B256,
        /// Root of the loaded state.
        actual: B256,
    },
    /// The registered data in the state does not index (corrupt database).
    #[error("cannot build the attribution indexes: {0}")]
    Index(String),
    /// A blocking task panicked or was cancelled.
    #[error("block production task failed: {0}")]
    Task(String),
    /// A given block (derived from L1, or synced) does not execute as given; nothing changed.
    #[error("block {number} is invalid: {reason}")]
    InvalidBlock {
        /// The block's number.
        number: u64,
        /// The first transaction that failed, and why.
        reason: String,
    },
    /// Bad genesis.
    #[error(transparent)]
    Genesis(#[from] crate::genesis::GenesisError),
}

/// Node-level options that shape the chain object.
#[derive(Debug, Clone)]
pub struct ChainOptions {
    /// Pool limits.
    pub pool: PoolConfig,
    /// Largest raw transaction accepted.
    pub max_tx_bytes: usize,
    /// Accept pre-EIP-155 transactions.
    pub allow_unprotected: bool,
    /// Dev mode (dev-only RPC, fixed L1 origin).
    pub dev: bool,
    /// The L1 to follow (origins, deposits; a follower's status); `None`: the fixed dev origin.
    pub l1: Option<Arc<crate::l1::L1Watcher>>,
    /// Derives the chain from L1 (`--follow-l1`) instead of sequencing: takes no transactions.
    pub follower: bool,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            pool: PoolConfig::default(),
            max_tx_bytes: 128 * 1024,
            allow_unprotected: false,
            dev: true,
            l1: None,
            follower: false,
        }
    }
}

/// Shared node state.
#[derive(Debug)]
pub struct Chain {
    /// EVM rules.
    pub evm: NodeEvm,
    /// The database.
    pub store: Store,
    /// Live state after the head block.
    pub state: RwLock<WorldState>,
    /// Recent block hashes (BLOCKHASH).
    pub hashes: RwLock<BlockHashes>,
    /// The transaction pool.
    pub pool: Mempool,
    /// Limits checked before pooling.
    pub rules: StatelessRules,
    /// Options.
    pub options: ChainOptions,
    /// Newest committed header (receipts of its transactions are readable).
    head: watch::Sender<Sealed<Header>>,
    /// Newest sealed header: the parent of the next block. Ahead of `head` while a commit is in
    /// flight; the live state is the state after this block.
    tip: parking_lot::Mutex<Sealed<Header>>,
    /// Committed blocks, in order (subscriptions, filters, receipt waiters).
    blocks: broadcast::Sender<Arc<SealedBlock>>,
    /// Transactions as they enter the pool.
    pooled: broadcast::Sender<Arc<ReadyTx>>,
    /// Dev-mode state edits waiting for the next block.
    cheats: parking_lot::Mutex<Vec<Cheat>>,
    /// The `safe` and `finalized` heads when following L1 (`l1::Deriver` sets them).
    safe: AtomicU64,
    finalized: AtomicU64,
    /// Dev-mode clock: seconds added to the wall clock, and a forced next timestamp.
    time_offset: AtomicU64,
    next_timestamp: parking_lot::Mutex<Option<u64>>,
    /// Requests to the miner (dev-mode mining and snapshots go through the single producer).
    commands: mpsc::Sender<MinerCommand>,
    command_rx: parking_lot::Mutex<Option<mpsc::Receiver<MinerCommand>>>,
}

/// Requests the miner serves between blocks.
#[derive(Debug)]
pub enum MinerCommand {
    /// Build and commit one block now (with whatever is pending, possibly nothing).
    Mine(oneshot::Sender<Result<u64, String>>),
    /// Unwind the chain to this block (dev snapshots).
    Revert(u64, oneshot::Sender<Result<(), String>>),
    /// Bring the chain in line with a block derived on this safe head (`l1::consolidate`).
    Consolidate(
        ol_protocol::derive::L2Ref,
        Box<ol_protocol::derive::Derived>,
        oneshot::Sender<Result<crate::l1::Consolidated, String>>,
    ),
}

/// How many committed blocks / pooled transactions a slow event listener may fall behind before
/// it starts losing events (it is told it lagged).
const EVENT_BUFFER: usize = 4_096;

/// Wall-clock seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

impl Chain {
    /// Opens the chain in `store`, writing the genesis if the store is empty, and loads the
    /// state into memory (checking it against the head's state root).
    pub async fn open(
        store: Store,
        genesis: GenesisSpec,
        options: ChainOptions,
    ) -> Result<Arc<Self>, NodeError> {
        let (genesis_state, genesis_block) = genesis.build();
        let genesis_hash = genesis_block.header.hash();
        let chain: ChainConfig = genesis.chain.clone();
        let (mut state, head) = match store.head_number().await? {
            None => {
                info!(target: "node", hash = %genesis_hash, chain_id = chain.chain_id, "writing genesis");
                store.commit_genesis(&genesis_block, &genesis_state, &genesis.addresses()).await?;
                (genesis_state, genesis_block.header)
            }
            Some(number) => {
                let stored = store.header(0).await?.map(|h| h.hash()).unwrap_or_default();
                if stored != genesis_hash {
                    return Err(NodeError::ChainMismatch { stored, configured: genesis_hash });
                }
                let head = store.header(number).await?.ok_or_else(|| StoreError::Corrupt {
                    table: "blocks",
                    reason: format!("head {number} missing"),
                })?;
                info!(target: "node", number, "loading state");
                let mut state = store.load_state().await?;
                let root = state.state_root();
                if root != head.state_root {
                    return Err(NodeError::StateRoot { expected: head.state_root, actual: root });
                }
                info!(target: "node", number, hash = %head.hash(), accounts = state.account_count(), "resumed");
                (state, head)
            }
        };
        state.set_block(head.number);
        let mut hashes = BlockHashes::default();
        let first = head.number.saturating_sub(BlockHashes::WINDOW as u64 - 1);
        for n in first..=head.number {
            if let Some(h) = store.header(n).await? {
                hashes.push(n, h.hash());
            }
        }
        let evm = NodeEvm::new(chain.clone());
        evm.evm_factory().indexes().warm(&state).map_err(NodeError::Index)?;
        let rules = StatelessRules {
            chain_id: chain.chain_id,
            // The L1-attributes deposit runs first in every block (up to its 1M gas limit); a
            // transaction that could never fit after it is refused instead of waiting forever.
            block_gas_limit: chain.gas_limit.saturating_sub(ol_protocol::l1_info::L1_INFO_GAS),
            max_tx_bytes: options.max_tx_bytes,
            allow_unprotected: options.allow_unprotected,
        };
        let (head_tx, _) = watch::channel(head.clone());
        let (command_tx, command_rx) = mpsc::channel(64);
        Ok(Arc::new(Self {
            tip: parking_lot::Mutex::new(head),
            blocks: broadcast::channel(EVENT_BUFFER).0,
            pooled: broadcast::channel(EVENT_BUFFER).0,
            cheats: parking_lot::Mutex::new(Vec::new()),
            safe: AtomicU64::new(0),
            finalized: AtomicU64::new(0),
            time_offset: AtomicU64::new(0),
            next_timestamp: parking_lot::Mutex::new(None),
            commands: command_tx,
            command_rx: parking_lot::Mutex::new(Some(command_rx)),
            evm,
            store,
            state: RwLock::new(state),
            hashes: RwLock::new(hashes),
            pool: Mempool::new(options.pool),
            rules,
            options,
            head: head_tx,
        }))
    }

    /// Consensus parameters.
    pub fn config(&self) -> &ChainConfig {
        self.evm.chain()
    }

    /// The `safe` block: the head in dev mode, else the newest block a batch on confirmed L1
    /// blocks carries (genesis until the batcher posts).
    pub fn safe_number(&self) -> u64 {
        if self.options.dev {
            return self.head().number;
        }
        self.safe.load(Ordering::Acquire).min(self.head().number)
    }

    /// The `finalized` block: the head in dev mode, else the safe head reached by finalized L1
    /// blocks.
    pub fn finalized_number(&self) -> u64 {
        if self.options.dev {
            return self.head().number;
        }
        self.finalized.load(Ordering::Acquire).min(self.safe_number())
    }

    /// Sets the `safe` and `finalized` heads (from the L1 inbox).
    pub fn set_safe_heads(&self, safe: u64, finalized: u64) {
        self.safe.store(safe, Ordering::Release);
        self.finalized.store(finalized.min(safe), Ordering::Release);
    }

    /// The newest block's header.
    pub fn head(&self) -> Sealed<Header> {
        self.head.borrow().clone()
    }

    /// Runs `f` on the live state if it is still the post-state of block `number`; `None` once
    /// a later block has been sealed (the caller then reads block `number` from the store).
    pub fn read_state_at<T>(&self, number: u64, f: impl FnOnce(&WorldState) -> T) -> Option<T> {
        let state = self.state.read();
        (state.block() == number).then(|| f(&state))
    }

    /// The newest sealed header (the parent of the next block).
    pub fn tip(&self) -> Sealed<Header> {
        self.tip.lock().clone()
    }

    /// Base fee of the next block.
    pub fn next_base_fee(&self) -> u64 {
        let tip = self.tip.lock();
        self.config().next_base_fee(
            tip.gas_used,
            tip.gas_limit,
            tip.base_fee_per_gas.unwrap_or_default(),
        )
    }

    /// The L1 origin of the block after `parent`. In dev mode it is a fixed, made-up L1 block;
    /// the L1 watcher will supply real ones.
    pub fn next_l1_info(&self, parent: &Header) -> L1BlockInfo {
        L1BlockInfo {
            number: 0,
            timestamp: crate::genesis::DEV_GENESIS_TIME,
            base_fee: U256::from(1_000_000_000u64),
            blob_base_fee: U256::from(1u64),
            hash: DEV_L1_ORIGIN_HASH,
            sequence_number: parent.number,
            batcher_hash: B256::ZERO,
            base_fee_scalar: 5_227,
            blob_base_fee_scalar: 1_014_213,
            operator_fee_scalar: 0,
            operator_fee_constant: 0,
        }
    }

    /// The attributes of the next block.
    pub fn next_attributes(&self, parent: &Header) -> BlockAttributes {
        let clock = now().saturating_add(self.time_offset.load(Ordering::Relaxed));
        let timestamp = self.next_timestamp.lock().take().unwrap_or(clock);
        BlockAttributes {
            timestamp: timestamp.max(parent.timestamp),
            l1_info: self.next_l1_info(parent),
            deposits: Vec::new(),
            prev_randao: B256::ZERO,
            parent_beacon_block_root: B256::ZERO,
            gas_limit: self.config().gas_limit,
        }
    }

    /// Builds, seals and stores one block with the best pending transactions. Any error here
    /// is fatal for the node: the in-memory state may already be ahead of the store.
    pub async fn produce_block(self: &Arc<Self>) -> Result<Arc<SealedBlock>, NodeError> {
        let block = self.build_block().await?;
        self.commit_block(&block).await?;
        Ok(block)
    }

    /// Builds and seals the next block on a blocking thread. Afterwards the live state, the tip,
    /// the recent block hashes and the pool reflect it, so the next block can be built while this
    /// one is being committed; its receipts become readable with [`Self::commit_block`].
    pub async fn build_block(self: &Arc<Self>) -> Result<Arc<SealedBlock>, NodeError> {
        let attrs = self.next_attributes(&self.tip());
        self.build_block_with(attrs).await
    }

    /// [`Self::build_block`] with given attributes (the L1 sequencer decides them).
    pub async fn build_block_with(
        self: &Arc<Self>,
        attrs: BlockAttributes,
    ) -> Result<Arc<SealedBlock>, NodeError> {
        let this = self.clone();
        let started = std::time::Instant::now();
        let block = tokio::task::spawn_blocking(move || this.build_and_seal(attrs))
            .await
            .map_err(|e| NodeError::Task(e.to_string()))??;
        ::metrics::histogram!(crate::metrics::BLOCK_BUILD).record(started.elapsed().as_secs_f64());
        Ok(Arc::new(block))
    }

    /// Imports a block given by its attributes and transactions (derived from L1, or synced):
    /// executes them strictly on the tip, in order, and commits the block. Any transaction that
    /// does not execute (invalid, or beyond the block's gas) rejects the whole block with
    /// [`NodeError::InvalidBlock`], and nothing changes. Shares execution, sealing and the
    /// updates of state, tip, block hashes and pool with [`Self::build_block`].
    pub async fn import_block(
        self: &Arc<Self>,
        attrs: BlockAttributes,
        txs: Vec<Arc<ReadyTx>>,
    ) -> Result<Arc<SealedBlock>, NodeError> {
        let this = self.clone();
        let block = tokio::task::spawn_blocking(move || {
            let mut source = crate::executor::OrderedTxs::new(txs);
            this.execute_and_seal(attrs, &mut source, true)
        })
        .await
        .map_err(|e| NodeError::Task(e.to_string()))??;
        let block = Arc::new(block);
        self.commit_block(&block).await?;
        Ok(block)
    }

    /// Writes a sealed block to the store and publishes it as the head. Blocks must be committed
    /// in order.
    pub async fn commit_block(&self, block: &Arc<SealedBlock>) -> Result<(), NodeError> {
        let started = std::time::Instant::now();
        self.store.commit_block(block).await?;
        ::metrics::histogram!(crate::metrics::BLOCK_COMMIT).record(started.elapsed().as_secs_f64());
        ::metrics::counter!(crate::metrics::BLOCKS).increment(1);
        ::metrics::counter!(crate::metrics::TRANSACTIONS)
            .increment(block.transactions.len() as u64);
        ::metrics::counter!(crate::metrics::GAS).increment(block.header.gas_used);
        debug!(
            target: "node::timing",
            number = block.number(),
            txs = block.transactions.len(),
            gas = block.header.gas_used,
            commit_us = started.elapsed().as_micros() as u64,
            "committed"
        );
        self.head.send_replace(block.header.clone());
        // Nobody listening is fine.
        let _ = self.blocks.send(block.clone());
        Ok(())
    }

    /// Committed blocks from now on.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<SealedBlock>> {
        self.blocks.subscribe()
    }

    /// Newly pooled transactions from now on.
    pub fn subscribe_pooled(&self) -> broadcast::Receiver<Arc<ReadyTx>> {
        self.pooled.subscribe()
    }

    /// Validates raw transaction bytes and adds them to the pool.
    pub fn add_raw_transaction(&self, raw: &[u8]) -> Result<Arc<ReadyTx>, PoolError> {
        let ready = validate_raw(raw, &self.rules)?;
        self.add_transaction(ready)
    }

    /// Adds a validated transaction to the pool, checking it against the live state.
    pub fn add_transaction(&self, ready: ReadyTx) -> Result<Arc<ReadyTx>, PoolError> {
        // The state stays read-locked until the pool has the transaction: a block sealed in
        // between (its senders' nonces moving on, then the pool dropping what it included)
        // would otherwise leave the sender's queue on a stale nonce, the transaction stuck
        // behind a gap that is not there.
        let state = self.state.read();
        let account = state.account(&ready.sender());
        let tip = self.tip();
        let base_fee = self.config().next_base_fee(
            tip.gas_used,
            tip.gas_limit,
            tip.base_fee_per_gas.unwrap_or_default(),
        );
        let mut l1 = crate::executor::l1_fee_calculator(&self.next_l1_info(&tip));
        let l1_cost = l1.calculate_tx_l1_cost(&ready.encoded, self.evm.spec_at(tip.timestamp));
        let tx = self.pool.add(ready, account, base_fee, l1_cost)?;
        drop(state);
        let _ = self.pooled.send(tx.clone());
        Ok(tx)
    }

    fn build_and_seal(&self, attrs: BlockAttributes) -> Result<SealedBlock, NodeError> {
        let parent = self.tip();
        let base_fee = self.config().next_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or_default(),
        );
        let mut best = self.pool.best(base_fee);
        let block = self.execute_and_seal(attrs, &mut best, false)?;
        self.pool.after_block(&block, &best.take_invalid());
        Ok(block)
    }

    /// Executes `attrs` and `source`'s transactions on the tip and seals the block; the live
    /// state, tip and block hashes then reflect it. With `strict`, a transaction the source
    /// reports invalid rejects the block before anything changes.
    fn execute_and_seal(
        &self,
        attrs: BlockAttributes,
        source: &mut dyn crate::executor::TxSource,
        strict: bool,
    ) -> Result<SealedBlock, NodeError> {
        let parent = self.tip();
        let base_fee = self.config().next_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or_default(),
        );
        let started = std::time::Instant::now();
        let cheats = if strict { Vec::new() } else { std::mem::take(&mut *self.cheats.lock()) };
        let pre = (!cheats.is_empty()).then(|| {
            let mut state = self.state.write();
            let changes = cheat_changes(&state, &cheats);
            state.apply(&changes);
            changes
        });
        let mut executed = {
            let state = self.state.read();
            let hashes = self.hashes.read();
            execute_block(
                &self.evm,
                StateView { state: &state, hashes: &hashes },
                &parent,
                base_fee,
                &attrs,
                source,
            )?
        };
        if strict && let Some((hash, reason)) = source.first_invalid() {
            return Err(NodeError::InvalidBlock {
                number: parent.number + 1,
                reason: format!("transaction {hash}: {reason}"),
            });
        }
        if let Some(pre) = pre {
            executed.changes = merge_changes(pre, std::mem::take(&mut executed.changes));
        }
        let executed_at = started.elapsed();
        let block = {
            let mut state = self.state.write();
            let block = seal(&self.evm, &mut state, &parent, base_fee, &attrs, executed);
            state.set_block(block.number());
            block
        };
        self.hashes.write().push(block.number(), block.header.hash());
        *self.tip.lock() = block.header.clone();
        if strict {
            self.pool.after_block(&block, &[]);
        }
        debug!(
            target: "node::timing",
            number = block.number(),
            txs = block.transactions.len(),
            execute_us = executed_at.as_micros() as u64,
            seal_us = (started.elapsed() - executed_at).as_micros() as u64,
            strict,
            "sealed"
        );
        Ok(block)
    }

    /// Queues dev-mode state edits for the next block.
    pub fn queue_cheats(&self, cheats: impl IntoIterator<Item = Cheat>) {
        self.cheats.lock().extend(cheats);
    }

    /// Moves the dev clock forward; returns the total offset in seconds.
    pub fn increase_time(&self, seconds: u64) -> u64 {
        self.time_offset.fetch_add(seconds, Ordering::Relaxed).saturating_add(seconds)
    }

    /// Forces the timestamp of the next block (dev mode).
    pub fn set_next_timestamp(&self, timestamp: u64) {
        *self.next_timestamp.lock() = Some(timestamp);
    }

    /// Asks the miner for a block now and waits for its number.
    pub async fn request_block(&self) -> Result<u64, String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(MinerCommand::Mine(tx))
            .await
            .map_err(|_| "block production stopped".to_string())?;
        rx.await.map_err(|_| "block production stopped".to_string())?
    }

    /// Asks the miner to unwind the chain to `number` and waits.
    pub async fn request_revert(&self, number: u64) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(MinerCommand::Revert(number, tx))
            .await
            .map_err(|_| "block production stopped".to_string())?;
        rx.await.map_err(|_| "block production stopped".to_string())?
    }

    /// Asks the miner to consolidate a derived block (see `l1::consolidate`) and waits.
    pub async fn request_consolidate(
        &self,
        safe: ol_protocol::derive::L2Ref,
        derived: ol_protocol::derive::Derived,
    ) -> Result<crate::l1::Consolidated, NodeError> {
        let (tx, rx) = oneshot::channel();
        let stopped = || NodeError::Task("block production stopped".into());
        self.commands
            .send(MinerCommand::Consolidate(safe, Box::new(derived), tx))
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?.map_err(NodeError::Task)
    }

    /// The miner's end of the command channel (taken once).
    pub fn take_commands(&self) -> Option<mpsc::Receiver<MinerCommand>> {
        self.command_rx.lock().take()
    }

    /// Unwinds the chain to block `number`: later blocks, their transactions and state changes
    /// are removed from the store, the live state is reloaded, and the pool is emptied; the
    /// pooled transactions are returned (the L1 paths add them back). Only the chain's producer
    /// calls this, between blocks.
    pub async fn unwind_to(&self, number: u64) -> Result<Vec<Arc<ReadyTx>>, NodeError> {
        let head = self.head().number;
        if number >= head {
            return Ok(Vec::new());
        }
        self.store.unwind_to(number).await?;
        let header = self.store.header(number).await?.ok_or_else(|| StoreError::Corrupt {
            table: "blocks",
            reason: format!("block {number} missing"),
        })?;
        let mut state = self.store.load_state().await?;
        let root = state.state_root();
        if root != header.state_root {
            return Err(NodeError::StateRoot { expected: header.state_root, actual: root });
        }
        state.set_block(number);
        *self.state.write() = state;
        let mut hashes = BlockHashes::default();
        for n in number.saturating_sub(BlockHashes::WINDOW as u64 - 1)..=number {
            if let Some(h) = self.store.header(n).await? {
                hashes.push(n, h.hash());
            }
        }
        *self.hashes.write() = hashes;
        *self.tip.lock() = header.clone();
        self.head.send_replace(header);
        let pooled = self.pool.clear();
        info!(target: "node", from = head, to = number, "chain unwound");
        Ok(pooled)
    }
}
