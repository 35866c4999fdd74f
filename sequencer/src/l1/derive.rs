//! Derivation in the node: `protocol::derive::Pipeline` over the L1 watcher's confirmed blocks,
//! its output checked against (or written into) the chain. The sequencer runs it for its `safe`
//! head; `--follow-l1` runs it to build the whole chain.
//!
//! ```text
//!  L1 watcher (confirmed, canonical) ──block + deposits──┐
//!  L1Client::inbox_payloads (same block hash) ───────────┴─▶ Pipeline::push_l1
//!  Pipeline::next_block ─▶ consolidate(safe head, derived):
//!      the stored block after the safe head is the derived one ─▶ kept (nothing executed)
//!      it differs, or there is none ─▶ unwind the unsafe blocks (their transactions go back to
//!        the pool), import the derived block strictly (deposits only if it does not execute)
//!  ─▶ Pipeline::advance(hash) ─▶ safe; finalized once the L1 cursor it came from is finalized
//! ```
//!
//! In the sequencer `consolidate` runs inside the miner (a [`MinerCommand`]), so blocks are never
//! built and replaced at the same time; the follower has no miner and calls it directly.
//!
//! Derivation can only continue after the last block of a batch (a batch is accepted whole,
//! from the block after the safe head), so each batch boundary is recorded (L2 block and hash,
//! L1 cursor; the newest also in the store's metadata). A restart, an L1 reorg below what was
//! read, or the loss of the safe block (the miner unwound it after a deep L1 reorg) starts the
//! pipeline again from the newest boundary still valid, reading L1 from a channel timeout before
//! its origin so channels that were open then are rebuilt. The follower also unwinds its chain
//! to that boundary (everything it holds must be derived); the sequencer keeps its blocks and
//! lets consolidation keep or replace them.
//!
//! [`MinerCommand`]: crate::node::MinerCommand

use super::{L1Client, L1Error, L1Watcher};
use crate::{
    executor::ReadyTx,
    mempool::validate_raw,
    node::{Chain, NodeError},
    store::StoredBlock,
};
use alloy_eips::{BlockNumHash, eip2718::Encodable2718};
use alloy_primitives::{B256, Sealed};
use ol_protocol::{
    L1BlockInfo, RollupConfig,
    batch::AddressHistory,
    derive::{Derived, L2Ref, Pipeline, PipelineError},
};
use op_alloy::consensus::OpTxEnvelope;
use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// L1 blocks pushed per step at most, so progress shows and cancellation is prompt.
const L1_PER_STEP: u64 = 64;

/// Store metadata key of the newest batch boundary: L2 number, L1 cursor (8 bytes each), L2 hash.
const BOUNDARY_KEY: &str = "derive.boundary";

/// Batch boundaries kept in memory (a reset looks no further back).
const BOUNDARIES: usize = 4_096;

/// Who runs derivation, which decides how its blocks reach the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The sequencer: the miner consolidates; blocks past the safe head are its unsafe blocks.
    Sequencer,
    /// `--follow-l1`: every block is derived; nothing past the safe head is kept over a reset.
    Follower,
}

/// What consolidating one derived block did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consolidated {
    /// The chain already held it.
    Kept {
        /// Its hash.
        hash: B256,
        /// Its gas used.
        gas: u64,
    },
    /// It was executed and committed, after unwinding `dropped` blocks that differed.
    Imported {
        /// Its hash.
        hash: B256,
        /// Its gas used.
        gas: u64,
        /// Unsafe blocks removed first.
        dropped: u64,
    },
    /// The chain no longer holds the safe head it was derived on.
    ParentGone,
}

/// A batch boundary: the L2 block a batch ended with and the L1 cursor it was derived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Boundary {
    hash: B256,
    cursor: u64,
}

/// See the module doc.
#[derive(Debug)]
pub struct Deriver {
    chain: Arc<Chain>,
    watcher: Arc<L1Watcher>,
    client: L1Client,
    rollup: Arc<RollupConfig>,
    role: Role,
    pipeline: Pipeline,
    /// The next L1 block to push.
    next_l1: u64,
    /// (L1 cursor, L2 number) of derived blocks not yet known to be final.
    unfinalized: VecDeque<(u64, u64)>,
    boundaries: BTreeMap<u64, Boundary>,
    progress: Progress,
}

#[derive(Debug)]
struct Progress {
    since: Instant,
    /// The last L1 block read when this period started.
    l1_from: u64,
    blocks: u64,
    imported: u64,
    gas: u64,
}

impl Progress {
    fn new(l1_from: u64) -> Self {
        Self { since: Instant::now(), l1_from, blocks: 0, imported: 0, gas: 0 }
    }
}

impl Deriver {
    /// A deriver continuing from the newest stored batch boundary (the follower first unwinds
    /// its chain to it).
    pub async fn new(
        chain: Arc<Chain>,
        watcher: Arc<L1Watcher>,
        client: L1Client,
        role: Role,
    ) -> Result<Self, NodeError> {
        let rollup = Arc::new(watcher.rollup().clone());
        let mut boundaries = BTreeMap::new();
        boundaries.insert(0, Boundary { hash: rollup.genesis.l2.hash, cursor: 0 });
        if let Some((number, boundary)) = stored_boundary(&chain).await? {
            boundaries.insert(number, boundary);
        }
        let mut this = Self {
            pipeline: Pipeline::new((*rollup).clone(), genesis_ref(&rollup), 0, Default::default()),
            chain,
            watcher,
            client,
            rollup,
            role,
            next_l1: 0,
            unfinalized: VecDeque::new(),
            boundaries,
            progress: Progress::new(0),
        };
        this.restart(None, "start").await?;
        Ok(this)
    }

    /// Derives until `cancel` fires; L1 errors are logged and retried.
    pub async fn run(
        mut self,
        interval: Duration,
        cancel: CancellationToken,
    ) -> Result<(), NodeError> {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            loop {
                let stepped = self.step().await;
                // Read back after restarts too: a pipeline reset is a step behind L1.
                if let Some(read) = self.next_l1.checked_sub(1) {
                    self.watcher.sync.derived(read);
                }
                match stepped {
                    Ok(true) if !cancel.is_cancelled() => continue,
                    Ok(_) => break,
                    Err(StepError::L1(e)) => {
                        ::metrics::counter!(crate::metrics::DERIVATION_ERRORS).increment(1);
                        warn!(target: "derive", error = %e, "reading L1 failed; retrying");
                        break;
                    }
                    Err(StepError::Node(e)) => return Err(e),
                }
            }
        }
    }

    /// Pushes up to [`L1_PER_STEP`] confirmed L1 blocks and consolidates what they derive;
    /// `Ok(true)` if more is waiting.
    async fn step(&mut self) -> Result<bool, StepError> {
        // An L1 reorg below the blocks already pushed: the watcher holds another block there.
        let last = self.next_l1.saturating_sub(1);
        if let Some(ours) = self.pipeline.l1_hash(last)
            && self.watcher.is_canonical(last, ours) == Some(false)
        {
            self.after_reorg(last).await?;
            return Ok(true);
        }
        let Some(tip) = self.watcher.tip().map(|t| t.id.number) else { return Ok(false) };
        if tip < self.next_l1 {
            self.update_finalized().await?;
            self.report(false);
            return Ok(false);
        }
        let end = tip.min(self.next_l1.saturating_add(L1_PER_STEP - 1));
        // One inbox read for the range; each block keeps the payloads of its own hash.
        let mut found = self
            .client
            .inbox_payloads(self.rollup.batch_inbox_address, self.next_l1, end)
            .await?
            .into_iter()
            .peekable();
        for number in self.next_l1..=end {
            // The watcher cut its window back (a reorg it is still following): wait for it.
            let Some(block) = self.watcher.block(number) else { return Ok(false) };
            let mut payloads = Vec::new();
            while let Some(p) = found.next_if(|p| p.l1_block == number) {
                if p.l1_hash != block.id.hash {
                    // L1 reorged between the two reads: read again on the next step.
                    return Ok(false);
                }
                payloads.push(p.data);
            }
            match self.pipeline.push_l1((*block).clone(), payloads) {
                Ok(()) => self.next_l1 = number + 1,
                Err(PipelineError::Reorg { number, .. }) => {
                    self.after_reorg(number).await?;
                    return Ok(true);
                }
            }
            self.derive().await?;
        }
        self.update_finalized().await?;
        self.report(end < tip);
        Ok(end < tip)
    }

    /// Consolidates every block the pipeline can derive now.
    async fn derive(&mut self) -> Result<(), NodeError> {
        while let Some(derived) = self.pipeline.next_block() {
            let safe = self.pipeline.safe();
            let outcome = match self.role {
                Role::Follower => consolidate(&self.chain, safe, derived.clone()).await?,
                Role::Sequencer => self.chain.request_consolidate(safe, derived.clone()).await?,
            };
            let (hash, gas) = match outcome {
                Consolidated::Kept { hash, gas } => (hash, gas),
                Consolidated::Imported { hash, gas, dropped } => {
                    if dropped > 0 {
                        ::metrics::counter!(crate::metrics::DERIVED_REPLACED).increment(dropped);
                        warn!(target: "derive", number = safe.number + 1, dropped, forced = derived.forced, "unsafe blocks differed from L1 and were replaced by the derived chain");
                    }
                    self.progress.imported += 1;
                    (hash, gas)
                }
                Consolidated::ParentGone => {
                    self.restart(None, "the safe block left the chain").await?;
                    return Ok(());
                }
            };
            self.pipeline.advance(hash);
            let number = safe.number + 1;
            if derived.ends_batch {
                self.boundaries.insert(number, Boundary { hash, cursor: derived.l1_cursor });
                while self.boundaries.len() > BOUNDARIES {
                    self.boundaries.pop_first();
                }
                save_boundary(&self.chain, number, hash, derived.l1_cursor).await?;
            }
            self.unfinalized.push_back((derived.l1_cursor, number));
            self.chain.set_safe_heads(number, self.chain.finalized_number());
            self.progress.blocks += 1;
            self.progress.gas += gas;
        }
        Ok(())
    }

    /// L1 no longer holds the block the pipeline read at `number`: find where L1 forked and
    /// start again from the newest boundary derived from L1 blocks at or below the fork.
    async fn after_reorg(&mut self, number: u64) -> Result<(), NodeError> {
        let mut fork = None;
        for n in (0..number).rev() {
            let Some(ours) = self.pipeline.l1_hash(n) else { break };
            if self.watcher.is_canonical(n, ours) == Some(true) {
                fork = Some(n);
                break;
            }
        }
        warn!(target: "derive", l1 = number, fork = ?fork, "L1 reorg below the blocks read");
        // Without a known fork, only the genesis boundary is certain.
        self.restart(Some(fork.unwrap_or(0)), "L1 reorg").await
    }

    /// Starts the pipeline again from the newest boundary whose block is still in the chain
    /// (and, after an L1 reorg, was derived at or below the fork `fork`).
    async fn restart(&mut self, fork: Option<u64>, why: &str) -> Result<(), NodeError> {
        let mut target = (0, self.rollup.genesis.l2.hash);
        for (&number, boundary) in self.boundaries.iter().rev() {
            if fork.is_some_and(|f| boundary.cursor > f) && number > 0 {
                continue;
            }
            let stored = self.chain.store.header(number).await?.map(|h| h.hash());
            if stored == Some(boundary.hash) {
                target = (number, boundary.hash);
                break;
            }
        }
        let (number, hash) = target;
        self.boundaries.retain(|n, _| *n <= number);
        self.unfinalized.retain(|(_, n)| *n <= number);
        if self.role == Role::Follower && self.chain.head().number > number {
            info!(target: "derive", head = self.chain.head().number, to = number, "unwinding to the batch boundary");
            // A follower's pool is always empty (it takes no transactions).
            self.chain.unwind_to(number).await?;
        }
        let cursor = self.boundaries.get(&number).map_or(0, |b| b.cursor);
        save_boundary(&self.chain, number, hash, cursor).await?;
        self.unfinalized.push_back((cursor, number));
        let (pipeline, next_l1) = start(&self.chain, &self.rollup, number).await?;
        (self.pipeline, self.next_l1) = (pipeline, next_l1);
        let finalized = self.chain.finalized_number().min(number);
        self.chain.set_safe_heads(number, finalized);
        ::metrics::counter!(crate::metrics::PIPELINE_RESETS).increment(1);
        info!(target: "derive", why, safe = number, l1_from = next_l1, "deriving from L1");
        Ok(())
    }

    async fn update_finalized(&mut self) -> Result<(), L1Error> {
        let Some(l1_final) = self.client.finalized_number().await? else { return Ok(()) };
        let mut finalized = self.chain.finalized_number();
        while let Some(&(cursor, number)) = self.unfinalized.front()
            && cursor <= l1_final
        {
            finalized = finalized.max(number);
            self.unfinalized.pop_front();
        }
        self.chain.set_safe_heads(self.pipeline.safe().number, finalized);
        Ok(())
    }

    /// Logs progress every 5 s while catching up, and after each step that derived something.
    fn report(&mut self, catching_up: bool) {
        let elapsed = self.progress.since.elapsed();
        if elapsed < Duration::from_secs(5) && catching_up {
            return;
        }
        if self.progress.blocks > 0 {
            let secs = elapsed.as_secs_f64().max(1e-3);
            let l1 = self.next_l1.saturating_sub(1);
            let l1_tip = self.watcher.tip().map_or(l1, |t| t.id.number);
            // The time the L1 still to read takes at this period's pace of L1 blocks per second.
            let eta = (catching_up && l1_tip > l1).then(|| {
                let l1_rate = l1.saturating_sub(self.progress.l1_from).max(1) as f64 / secs;
                format!("{:.0}s", (l1_tip - l1) as f64 / l1_rate)
            });
            info!(
                target: "derive",
                safe = self.pipeline.safe().number,
                l1,
                l1_tip,
                blocks = self.progress.blocks,
                imported = self.progress.imported,
                blocks_per_s = format!("{:.1}", self.progress.blocks as f64 / secs),
                mgas_per_s = format!("{:.2}", self.progress.gas as f64 / secs / 1e6),
                eta = eta.as_deref().unwrap_or("-"),
                "derived"
            );
        }
        self.progress = Progress::new(self.next_l1.saturating_sub(1));
    }
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    L1(#[from] L1Error),
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// Brings the chain in line with one derived block on `safe`: keeps the stored block if it is
/// the derived one, else unwinds what follows `safe` (user transactions back to the pool) and
/// imports it. Only the chain's single producer may call this (the miner, or the follower).
pub async fn consolidate(
    chain: &Arc<Chain>,
    safe: L2Ref,
    derived: Derived,
) -> Result<Consolidated, NodeError> {
    let parent = chain.store.header(safe.number).await?.map(|h| h.hash());
    if parent != Some(safe.hash) {
        return Ok(Consolidated::ParentGone);
    }
    let number = safe.number + 1;
    let head = chain.head().number;
    let mut dropped = 0;
    if head >= number {
        if let Some(stored) = chain.store.block(number).await?
            && is_derived_block(&stored, &derived)
        {
            let (hash, gas) = (stored.header.hash(), stored.header.gas_used);
            return Ok(Consolidated::Kept { hash, gas });
        }
        dropped = head - safe.number;
        super::sequencing::unwind_and_requeue(chain, safe.number, "derivation replaced them")
            .await?;
    }
    let (hash, gas) = import(chain, number, derived).await?;
    Ok(Consolidated::Imported { hash, gas, dropped })
}

/// Whether a stored block is exactly what derivation made: same timestamp, gas limit,
/// randomness, beacon root and transactions (the L1-info deposit, the epoch's deposits, the
/// batch's transactions). Execution is deterministic, so equal inputs on the same parent make
/// the same block.
fn is_derived_block(stored: &StoredBlock, derived: &Derived) -> bool {
    let attrs = &derived.attributes;
    let header = &stored.header;
    let same_header = header.timestamp == attrs.timestamp
        && header.gas_limit == attrs.gas_limit
        && header.mix_hash == attrs.prev_randao
        && header.parent_beacon_block_root == Some(attrs.parent_beacon_block_root);
    if !same_header {
        return false;
    }
    let deposits = std::iter::once(attrs.l1_info.deposit_tx())
        .chain(attrs.deposits.iter().cloned())
        .map(|d| OpTxEnvelope::Deposit(Sealed::new(d)).encoded_2718());
    let expected: Vec<Vec<u8>> =
        deposits.chain(derived.transactions.iter().map(|t| t.to_vec())).collect();
    stored.transactions.len() == expected.len()
        && stored.transactions.iter().zip(&expected).all(|(s, e)| s.tx.encoded_2718() == *e)
}

/// Executes a derived block on the head; one whose transactions do not execute as given
/// becomes the block of its deposits only (Holocene's rule), so the chain always moves on.
async fn import(
    chain: &Arc<Chain>,
    number: u64,
    derived: Derived,
) -> Result<(B256, u64), NodeError> {
    let txs: Result<Vec<_>, _> = derived
        .transactions
        .iter()
        .map(|raw| validate_raw(raw, &chain.rules).map(Arc::new))
        .collect();
    let attrs = derived.attributes;
    let outcome = match txs {
        Ok(txs) => chain.import_block(attrs.clone(), txs).await,
        Err(e) => Err(NodeError::InvalidBlock { number, reason: e.to_string() }),
    };
    let block = match outcome {
        Ok(block) => block,
        Err(NodeError::InvalidBlock { number, reason }) => {
            warn!(target: "derive", number, %reason, "derived block invalid: deposits only");
            chain.import_block(attrs, Vec::<Arc<ReadyTx>>::new()).await?
        }
        Err(e) => return Err(e),
    };
    debug!(target: "derive", number, forced = derived.forced, "derived block imported");
    Ok((block.header.hash(), block.header.gas_used))
}

fn genesis_ref(rollup: &RollupConfig) -> L2Ref {
    let genesis = &rollup.genesis;
    L2Ref {
        number: 0,
        hash: genesis.l2.hash,
        timestamp: genesis.l2_time,
        origin: BlockNumHash { number: genesis.l1.number, hash: genesis.l1.hash },
    }
}

/// A pipeline continuing from stored block `number`, and the L1 block to read from.
async fn start(
    chain: &Chain,
    rollup: &RollupConfig,
    number: u64,
) -> Result<(Pipeline, u64), NodeError> {
    let (safe, sequence) = if number == 0 {
        (genesis_ref(rollup), 0)
    } else {
        let missing = || NodeError::Task(format!("batch boundary {number} is not stored"));
        let header = chain.store.header(number).await?.ok_or_else(missing)?;
        let info = chain.store.l1_info(number).await?.unwrap_or_default();
        let info = L1BlockInfo::decode_isthmus(&info)
            .map_err(|e| NodeError::Task(format!("stored block {number} has no L1 info: {e}")))?;
        let safe = L2Ref {
            number,
            hash: header.hash(),
            timestamp: header.timestamp,
            origin: BlockNumHash { number: info.number, hash: info.hash },
        };
        (safe, info.sequence_number)
    };
    // The address history of the blocks a batch after `number` may reference.
    let from = number.saturating_sub(ol_protocol::batch::HISTORY_BLOCKS - 1).max(1);
    let mut history = AddressHistory::new();
    for n in from..=number {
        let txs = chain.store.block_transactions(n).await?;
        let bytes: Vec<Vec<u8>> =
            txs.iter().filter(|t| !t.tx.is_deposit()).map(|t| t.tx.encoded_2718()).collect();
        if history.push_block(n, bytes.iter().map(|b| &b[..])).is_err() {
            history = AddressHistory::new();
        }
    }
    let genesis_l1 = rollup.genesis.l1.number;
    let l1_start = safe.origin.number.saturating_sub(rollup.channel_timeout).max(genesis_l1);
    Ok((Pipeline::new(rollup.clone(), safe, sequence, history), l1_start))
}

async fn stored_boundary(chain: &Chain) -> Result<Option<(u64, Boundary)>, NodeError> {
    let Some(bytes) = chain.store.meta(BOUNDARY_KEY).await? else { return Ok(None) };
    if bytes.len() != 48 {
        warn!(target: "derive", len = bytes.len(), "stored batch boundary unreadable; deriving from genesis");
        return Ok(None);
    }
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_be_bytes(b)
    };
    let boundary = Boundary { cursor: word(8), hash: B256::from_slice(&bytes[16..48]) };
    Ok(Some((word(0), boundary)))
}

async fn save_boundary(chain: &Chain, l2: u64, hash: B256, cursor: u64) -> Result<(), NodeError> {
    let mut bytes = l2.to_be_bytes().to_vec();
    bytes.extend_from_slice(&cursor.to_be_bytes());
    bytes.extend_from_slice(hash.as_slice());
    Ok(chain.store.set_meta(BOUNDARY_KEY, &bytes).await?)
}
