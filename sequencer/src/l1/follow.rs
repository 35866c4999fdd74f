//! `ol-node --follow-l1`: the chain derived from L1 alone (a verifier and read replica).
//!
//! ```text
//!  L1 (confirmed to the rollup's depth) ──block, deposits, inbox payloads──▶ protocol Pipeline
//!    ──Derived (attributes + transactions)──▶ Chain::import_block (strict) ──hash──▶ advance
//!  a derived block whose transactions do not execute as given ──▶ its deposits only
//!  an L1 block that does not extend the last one (reorg) ──▶ walk back to the fork, unwind to
//!    the newest batch boundary derived from L1 blocks at or below it, and derive on from there
//! ```
//!
//! `safe` is the derived head (everything derived comes from confirmed L1 blocks), `finalized`
//! the newest block derived from finalized L1 blocks. Derivation can only continue after the
//! last block of a batch (a batch is accepted whole, from the block after the safe head), so
//! the follower records each batch boundary (L2 block, L1 cursor; the newest one also in the
//! store's metadata). A restart unwinds to the stored boundary and reads L1 again from a channel
//! timeout before its origin, so channels that were open then are rebuilt.

use super::{L1Client, L1Error};
use crate::{
    executor::ReadyTx,
    mempool::validate_raw,
    node::{Chain, NodeError},
};
use alloy_eips::BlockNumHash;
use alloy_primitives::B256;
use ol_protocol::{
    L1BlockInfo, RollupConfig,
    batch::AddressHistory,
    derive::{Derived, L2Ref, Pipeline, PipelineError},
};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// L1 blocks read per poll at most, so progress shows and cancellation is prompt.
const L1_PER_POLL: u64 = 64;

/// Store metadata key of the newest batch boundary: L2 number and L1 cursor, 8 bytes each.
const BOUNDARY_KEY: &str = "follow.boundary";

/// Batch boundaries kept in memory (the reorg walk-back looks no further).
const BOUNDARIES: usize = 4_096;

/// See the module doc.
#[derive(Debug)]
pub struct Follower {
    chain: Arc<Chain>,
    client: L1Client,
    rollup: Arc<RollupConfig>,
    pipeline: Pipeline,
    /// The next L1 block to push.
    next_l1: u64,
    /// (L1 cursor, L2 number) of derived blocks not yet known to be final.
    unfinalized: VecDeque<(u64, u64)>,
    /// Batch boundaries: L2 block → the L1 cursor it was derived at.
    boundaries: BTreeMap<u64, u64>,
    progress: Progress,
}

#[derive(Debug)]
struct Progress {
    since: Instant,
    blocks: u64,
    gas: u64,
}

impl Follower {
    /// A follower continuing from the chain's stored head.
    pub async fn new(
        chain: Arc<Chain>,
        client: L1Client,
        rollup: Arc<RollupConfig>,
    ) -> Result<Self, NodeError> {
        // Blocks past the last batch boundary were derived from a batch that must be read again.
        let boundary = match chain.store.meta(BOUNDARY_KEY).await? {
            Some(bytes) if bytes.len() == 16 => {
                let mut l2 = [0u8; 8];
                l2.copy_from_slice(&bytes[..8]);
                u64::from_be_bytes(l2)
            }
            _ => 0,
        };
        if chain.head().number > boundary {
            info!(target: "follow", head = chain.head().number, boundary, "unwinding to the last batch boundary");
            chain.unwind_to(boundary).await?;
        }
        let (pipeline, next_l1) = start(&chain, &rollup).await?;
        let head = chain.head().number;
        chain.set_safe_heads(head, 0);
        Ok(Self {
            chain,
            client,
            rollup,
            pipeline,
            next_l1,
            unfinalized: VecDeque::new(),
            boundaries: BTreeMap::new(),
            progress: Progress { since: Instant::now(), blocks: 0, gas: 0 },
        })
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
                match self.step().await {
                    Ok(true) if !cancel.is_cancelled() => continue,
                    Ok(_) => break,
                    Err(StepError::L1(e)) => {
                        warn!(target: "follow", error = %e, "reading L1 failed; retrying");
                        break;
                    }
                    Err(StepError::Node(e)) => return Err(e),
                }
            }
        }
    }

    /// Pushes up to [`L1_PER_POLL`] confirmed L1 blocks and derives what they allow; `Ok(true)`
    /// if more L1 is waiting.
    async fn step(&mut self) -> Result<bool, StepError> {
        let head = self.client.head_number().await?;
        let target = head.saturating_sub(self.rollup.confirmation_depth);
        let end = target.min(self.next_l1.saturating_add(L1_PER_POLL - 1));
        // One inbox read for the whole range; each block keeps the payloads of its own hash.
        let mut found = self
            .client
            .inbox_payloads(self.rollup.batch_inbox_address, self.next_l1, end)
            .await?
            .into_iter()
            .peekable();
        for number in self.next_l1..=end {
            let block = self.client.block(number, self.rollup.deposit_contract_address).await?;
            let mut payloads = Vec::new();
            while let Some(p) = found.next_if(|p| p.l1_block == number) {
                if p.l1_hash != block.id.hash {
                    // L1 reorged between the two reads: read again on the next poll.
                    return Ok(false);
                }
                payloads.push(p.data);
            }
            match self.pipeline.push_l1(block, payloads) {
                Ok(()) => self.next_l1 = number + 1,
                Err(PipelineError::Reorg { number, .. }) => {
                    self.reset_after_reorg(number).await?;
                    return Ok(true);
                }
            }
            self.derive().await?;
        }
        self.update_finalized().await?;
        self.report(end < target);
        Ok(end < target)
    }

    /// L1 no longer holds the blocks the pipeline read before `number`: find where L1 forked,
    /// unwind to the newest batch boundary derived from L1 blocks at or below the fork, and
    /// start the pipeline again from there.
    async fn reset_after_reorg(&mut self, number: u64) -> Result<(), StepError> {
        let mut fork = None;
        for n in (0..number).rev() {
            let Some(ours) = self.pipeline.l1_hash(n) else { break };
            if self.client.block_hash(n).await? == Some(ours) {
                fork = Some(n);
                break;
            }
        }
        let target = fork
            .and_then(|f| self.boundaries.iter().rev().find(|(_, c)| **c <= f).map(|(l2, _)| *l2))
            .unwrap_or(0);
        warn!(target: "follow", l1 = number, fork = ?fork, l2 = target, "L1 reorg: unwinding to a batch boundary");
        self.chain.unwind_to(target).await?;
        self.boundaries.retain(|l2, _| *l2 <= target);
        self.unfinalized.retain(|(_, l2)| *l2 <= target);
        let cursor = self.boundaries.get(&target).copied().unwrap_or_default();
        self.save_boundary(target, cursor).await?;
        let (pipeline, next_l1) = start(&self.chain, &self.rollup).await?;
        (self.pipeline, self.next_l1) = (pipeline, next_l1);
        let finalized = self.chain.finalized_number().min(target);
        self.chain.set_safe_heads(target, finalized);
        Ok(())
    }

    async fn save_boundary(&self, l2: u64, cursor: u64) -> Result<(), NodeError> {
        let mut bytes = l2.to_be_bytes().to_vec();
        bytes.extend_from_slice(&cursor.to_be_bytes());
        Ok(self.chain.store.set_meta(BOUNDARY_KEY, &bytes).await?)
    }

    async fn derive(&mut self) -> Result<(), NodeError> {
        while let Some(derived) = self.pipeline.next_block() {
            let block = self.import(derived.clone()).await?;
            self.pipeline.advance(block.0);
            let head = self.chain.head().number;
            if derived.ends_batch {
                self.boundaries.insert(head, derived.l1_cursor);
                while self.boundaries.len() > BOUNDARIES {
                    self.boundaries.pop_first();
                }
                self.save_boundary(head, derived.l1_cursor).await?;
            }
            self.unfinalized.push_back((derived.l1_cursor, self.chain.head().number));
            self.chain.set_safe_heads(self.chain.head().number, self.chain.finalized_number());
            self.progress.blocks += 1;
            self.progress.gas += block.1;
        }
        Ok(())
    }

    /// Executes a derived block; one whose transactions do not execute as given becomes the
    /// block of its deposits only (Holocene's rule), so the chain always moves on.
    async fn import(&self, derived: Derived) -> Result<(B256, u64), NodeError> {
        let number = self.chain.head().number + 1;
        let txs: Result<Vec<_>, _> = derived
            .transactions
            .iter()
            .map(|raw| validate_raw(raw, &self.chain.rules).map(Arc::new))
            .collect();
        let attrs = derived.attributes.clone();
        let outcome = match txs {
            Ok(txs) => self.chain.import_block(attrs.clone(), txs).await,
            Err(e) => Err(NodeError::InvalidBlock { number, reason: e.to_string() }),
        };
        let block = match outcome {
            Ok(block) => block,
            Err(NodeError::InvalidBlock { number, reason }) => {
                warn!(target: "follow", number, %reason, "derived block invalid: deposits only");
                self.chain.import_block(attrs, Vec::<Arc<ReadyTx>>::new()).await?
            }
            Err(e) => return Err(e),
        };
        Ok((block.header.hash(), block.header.gas_used))
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
        self.chain.set_safe_heads(self.chain.head().number, finalized);
        Ok(())
    }

    fn report(&mut self, catching_up: bool) {
        let elapsed = self.progress.since.elapsed();
        if elapsed < Duration::from_secs(5) && catching_up {
            return;
        }
        if self.progress.blocks > 0 {
            let secs = elapsed.as_secs_f64().max(1e-3);
            info!(
                target: "follow",
                l2 = self.chain.head().number,
                l1 = self.next_l1.saturating_sub(1),
                blocks_per_s = format!("{:.1}", self.progress.blocks as f64 / secs),
                mgas_per_s = format!("{:.2}", self.progress.gas as f64 / secs / 1e6),
                catching_up,
                "derived"
            );
        }
        self.progress = Progress { since: Instant::now(), blocks: 0, gas: 0 };
    }
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    L1(#[from] L1Error),
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// A pipeline continuing from the stored head, and the L1 block to read from.
async fn start(chain: &Chain, rollup: &RollupConfig) -> Result<(Pipeline, u64), NodeError> {
    let head = chain.head();
    let genesis = &rollup.genesis;
    let (safe, sequence) = if head.number == 0 {
        let safe = L2Ref {
            number: 0,
            hash: head.hash(),
            timestamp: head.timestamp,
            origin: BlockNumHash { number: genesis.l1.number, hash: genesis.l1.hash },
        };
        (safe, 0)
    } else {
        let info = chain.store.l1_info(head.number).await?.unwrap_or_default();
        let info = L1BlockInfo::decode_isthmus(&info).map_err(|e| {
            NodeError::Task(format!("stored block {} has no L1 info: {e}", head.number))
        })?;
        let safe = L2Ref {
            number: head.number,
            hash: head.hash(),
            timestamp: head.timestamp,
            origin: BlockNumHash { number: info.number, hash: info.hash },
        };
        (safe, info.sequence_number)
    };
    // The address history of the blocks a batch after the head may reference.
    let from = head.number.saturating_sub(ol_protocol::batch::HISTORY_BLOCKS - 1).max(1);
    let mut history = AddressHistory::new();
    for number in from..=head.number {
        let txs = chain.store.block_transactions(number).await?;
        let bytes: Vec<Vec<u8>> = txs
            .iter()
            .filter(|t| !t.tx.is_deposit())
            .map(|t| alloy_eips::eip2718::Encodable2718::encoded_2718(&t.tx))
            .collect();
        if history.push_block(number, bytes.iter().map(|b| &b[..])).is_err() {
            history = AddressHistory::new();
        }
    }
    let l1_start = safe.origin.number.saturating_sub(rollup.channel_timeout).max(genesis.l1.number);
    info!(target: "follow", l2 = safe.number, l1_start, "deriving from L1");
    Ok((Pipeline::new(rollup.clone(), safe, sequence, history), l1_start))
}
