//! The batcher's loop, in op-batcher's shape: load new L2 blocks, add them to the open
//! channel, close it when full or too old, queue its frames, and let the transaction manager
//! post them one by one.
//!
//! ```text
//!  L2 (unsafe head) ──blocks──▶ open channel ──full / max duration──▶ payloads (one frame each)
//!        ▲ parent hashes checked: an L2 reorg rewinds to the fork      │
//!        │                                                             ▼
//!  posted_through ◀──confirmed── TxManager (max-pending-tx, bumps, L1 reorgs) ◀──
//! ```
//!
//! What is posted is learnt from L1 at start (`readback::InboxReader::posted_through`), so a
//! restart resumes right after the last L2 block of the last complete channel on L1: no gap, no
//! duplicate.

use crate::{
    channel::{self, BLOB_FRAME, ChannelBuilder},
    config::{Config, DataAvailability},
    da::{self, Carry},
    l2::{L2Block, L2Client},
    txmgr::{Carrier, Pending, Progress, TxManager},
};
use alloy_primitives::B256;
use alloy_provider::Provider;
use ol_protocol::batch::MAX_BLOBS_PER_TX;
use parking_lot::Mutex;
use serde::Serialize;
use std::{collections::VecDeque, sync::Arc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Most L2 blocks loaded per poll (progress stays visible during a catch-up).
const MAX_BLOCKS_PER_POLL: u64 = 200;

/// What `admin_batcherStatus` reports.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Whether posting is running (admin_startBatcher / admin_stopBatcher).
    pub running: bool,
    /// Batch transactions sent and not yet confirmed.
    pub in_flight: u64,
    /// L2 blocks loaded but not yet closed into a channel.
    pub backlog_blocks: u64,
    /// Bytes of L2 transactions in those blocks.
    pub backlog_bytes: u64,
    /// Payloads (L1 transactions) queued behind those in flight.
    pub queued_payloads: u64,
    /// The newest L2 block of a confirmed channel.
    pub posted_through: Option<u64>,
    /// Batch transactions confirmed since start.
    pub posted_transactions: u64,
    /// Fee bumps since start.
    pub fee_bumps: u64,
    /// Wei spent on confirmed batch transactions since start.
    pub fees_spent_wei: String,
}

/// A queued L1 payload and the newest L2 block it completes (set on a channel's last frame).
#[derive(Debug)]
struct Queued {
    pending: Pending,
    completes: Option<u64>,
    /// L1 block it is confirmed in.
    confirmed: Option<u64>,
}

/// See the module doc.
pub struct Driver {
    config: Config,
    l2: L2Client,
    tx: TxManager,
    status: Arc<Mutex<Status>>,
    running: watch::Receiver<bool>,
    /// Blocks loaded, oldest first, not yet closed into a channel.
    open: Vec<L2Block>,
    /// L1 block at which the open channel got its first block.
    opened_at: Option<u64>,
    /// The last loaded block (number, hash): the next must link to it.
    last: Option<(u64, B256)>,
    /// Hashes of recently loaded blocks, to find where the L2 chain forked after a reorg.
    loaded: std::collections::BTreeMap<u64, B256>,
    queue: VecDeque<Queued>,
    /// Sent and not yet confirmed, in nonce order (at most `max_pending_tx`).
    in_flight: VecDeque<Queued>,
    posted_through: Option<u64>,
    next_id: u64,
    channels: ChannelBuilder,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").field("posted_through", &self.posted_through).finish()
    }
}

impl Driver {
    /// A driver that resumes after `posted_through` (learnt from L1).
    pub fn new(
        config: Config,
        l2: L2Client,
        tx: TxManager,
        status: Arc<Mutex<Status>>,
        running: watch::Receiver<bool>,
        posted_through: Option<u64>,
    ) -> Self {
        Self {
            config,
            l2,
            tx,
            status,
            running,
            open: Vec::new(),
            opened_at: None,
            last: None,
            loaded: std::collections::BTreeMap::new(),
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            posted_through,
            next_id: 0,
            channels: ChannelBuilder::new(),
        }
    }

    /// Polls until `cancel` fires; RPC failures are logged and retried.
    pub async fn run(mut self, cancel: CancellationToken) {
        let mut ticker = tokio::time::interval(self.config.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let result = if *self.running.borrow() {
                self.step().await
            } else {
                // Stopped: nothing new is loaded or sent, but what is in flight is still
                // followed to its confirmations (or re-sent after a reorg).
                self.post(false).await
            };
            if let Err(e) = result {
                warn!(target: "batcher", error = %e, "batcher step failed; retrying");
            }
            self.publish();
        }
        info!(target: "batcher", posted_through = ?self.posted_through, "batcher stopped");
    }

    async fn step(&mut self) -> eyre::Result<()> {
        self.load_blocks().await?;
        let l1_head = self.tx.l1().get_block_number().await?;
        self.maybe_close(l1_head).await?;
        self.post(true).await
    }

    /// Loads new L2 blocks; an L2 block that does not link to the last one loaded (the
    /// sequencer unwound it after an L1 reorg) rewinds everything to the fork.
    async fn load_blocks(&mut self) -> eyre::Result<()> {
        let head = self.l2.head().await?;
        let from = self.last.map_or(self.posted_through.map_or(1, |n| n + 1), |(n, _)| n + 1);
        let to = head.min(from.saturating_add(MAX_BLOCKS_PER_POLL - 1));
        for number in from..=to {
            let Some(block) = self.l2.block(number).await? else { break };
            if let Some((last, hash)) = self.last
                && block.number == last + 1
                && block.parent_hash != hash
            {
                self.rewind(last).await?;
                return Ok(());
            }
            self.last = Some((block.number, block.hash));
            self.loaded.insert(block.number, block.hash);
            while self.loaded.len() > 4096 {
                self.loaded.pop_first();
            }
            if self.open.is_empty() {
                self.opened_at = None;
            }
            self.open.push(block);
        }
        Ok(())
    }

    /// The L2 chain changed at or below `number`: find the newest block both agree on, drop
    /// what is not on L1 yet and reload from there (posted blocks that changed are posted
    /// again; the batch already on L1 for them no longer matches the chain, so derivation
    /// skips it).
    async fn rewind(&mut self, number: u64) -> eyre::Result<()> {
        let mut fork = None;
        for (&n, &hash) in self.loaded.range(..=number).rev() {
            if self.l2.block_hash(n).await? == Some(hash) {
                fork = Some((n, hash));
                break;
            }
        }
        warn!(target: "batcher", at = number, fork = ?fork.map(|f| f.0), "L2 reorg: reloading blocks");
        self.loaded.retain(|&n, _| fork.is_some_and(|(f, _)| n <= f));
        // Everything after the last block that is both posted and unchanged is loaded again;
        // a payload in flight may still land (derivation drops what it has already derived).
        self.open.clear();
        self.channels.reset();
        self.queue.clear();
        self.in_flight.clear();
        self.opened_at = None;
        self.posted_through = match (self.posted_through, fork) {
            (Some(p), Some((f, _))) => Some(p.min(f)),
            _ => None,
        };
        self.last = self.posted_through.and_then(|p| self.loaded.get(&p).map(|h| (p, *h)));
        Ok(())
    }

    /// Closes the open channel into payloads when it would fill its frames or has been open
    /// `max_channel_duration` L1 blocks.
    async fn maybe_close(&mut self, l1_head: u64) -> eyre::Result<()> {
        if self.open.is_empty() {
            return Ok(());
        }
        let opened = *self.opened_at.get_or_insert(l1_head);
        let budget = self.config.target_num_frames * self.frame_budget();
        let raw: usize = self.open.iter().map(channel::raw_size).sum();
        let old = l1_head.saturating_sub(opened) >= self.config.max_channel_duration;
        // Close when the raw transaction bytes reach about what the budget holds after
        // compression (the codec shrinks typical traffic 3-5x: docs/PERFORMANCE.md), or when the
        // channel is old. A channel past its target only takes more frames.
        if !old && raw < budget.saturating_mul(4) {
            return Ok(());
        }
        let mut blocks = std::mem::take(&mut self.open);
        self.opened_at = None;
        // A batch starting at a block whose sequencing window closes before it could land is
        // dropped whole by derivation, which forces that block instead: leave such blocks out
        // (the sequencer built them as the forced blocks) and start at the first one in time.
        let rollup = &self.config.rollup;
        let late = blocks
            .iter()
            .take_while(|b| ol_protocol::derive::is_late(rollup, b.origin_number, l1_head))
            .count();
        if late > 0 {
            info!(
                target: "batcher",
                first = blocks[0].number,
                last = blocks[late - 1].number,
                l1_head,
                "blocks left to forced inclusion: their sequencing window closes before a batch could land"
            );
            blocks.drain(..late);
        }
        if blocks.is_empty() {
            return Ok(());
        }
        let data = self.channels.close(&blocks, self.config.rollup.l2_chain_id)?;
        let blobs_per_tx = self.config.target_num_frames.clamp(1, MAX_BLOBS_PER_TX);
        let calldata_frame = self.config.max_l1_tx_size_bytes.saturating_sub(1);
        let carry = match self.config.data_availability {
            DataAvailability::Calldata => Carry::Calldata,
            DataAvailability::Blobs => Carry::Blobs,
            DataAvailability::Auto => {
                let (base, blob) = self.tx.prices().await?;
                da::choose(data.len(), calldata_frame, blobs_per_tx, base, blob)
            }
        };
        let (max_frame, per_tx) = match carry {
            Carry::Calldata => (calldata_frame, 1),
            Carry::Blobs => (BLOB_FRAME, blobs_per_tx),
        };
        let payloads = self.channels.payloads(&data, max_frame)?;
        let last = blocks.last().map(|b| b.number);
        let groups: Vec<&[Vec<u8>]> = payloads.chunks(per_tx).collect();
        info!(
            target: "batcher",
            blocks = blocks.len(),
            first = blocks.first().map(|b| b.number),
            last,
            carry = ?carry,
            transactions = groups.len(),
            frames = payloads.len(),
            bytes = data.len(),
            "channel closed"
        );
        let count = groups.len();
        for (i, group) in groups.into_iter().enumerate() {
            let carrier = match carry {
                Carry::Calldata => Carrier::Calldata(group.concat().into()),
                Carry::Blobs => Carrier::Blobs(channel::sidecar(group)?),
            };
            let id = self.next_id;
            self.next_id += 1;
            let completes = (i + 1 == count).then_some(last).flatten();
            self.queue.push_back(Queued {
                pending: TxManager::pending(id, carrier),
                completes,
                confirmed: None,
            });
        }
        Ok(())
    }

    /// Bytes one frame holds in the configured mode (blobs' when auto may choose them).
    fn frame_budget(&self) -> usize {
        match self.config.data_availability {
            DataAvailability::Calldata => self.config.max_l1_tx_size_bytes.saturating_sub(1),
            DataAvailability::Blobs | DataAvailability::Auto => BLOB_FRAME,
        }
    }

    /// Sends queued payloads (if `send_new`) while fewer than `max_pending_tx` are in flight,
    /// moves each one in flight along, and retires confirmed ones in order.
    async fn post(&mut self, send_new: bool) -> eyre::Result<()> {
        while send_new
            && self.in_flight.len() < self.config.max_pending_tx
            && let Some(next) = self.queue.pop_front()
        {
            self.in_flight.push_back(next);
        }
        for current in self.in_flight.iter_mut().filter(|q| q.confirmed.is_none()) {
            // In order: a payload that fails to send leaves the later ones unsent.
            if let Progress::Confirmed { block } = self.tx.poll(&mut current.pending).await? {
                current.confirmed = Some(block);
            }
        }
        while let Some(Queued { confirmed: Some(block), completes, .. }) = self.in_flight.front() {
            if let Some(last) = *completes {
                self.posted_through = Some(last);
                info!(target: "batcher", l1_block = block, posted_through = last, "channel confirmed on L1");
            }
            self.status.lock().posted_transactions += 1;
            self.in_flight.pop_front();
        }
        Ok(())
    }

    fn publish(&self) {
        let mut s = self.status.lock();
        s.running = *self.running.borrow();
        s.in_flight = self.in_flight.len() as u64;
        s.backlog_blocks = self.open.len() as u64;
        s.backlog_bytes = self
            .open
            .iter()
            .map(|b| b.transactions.iter().map(|t| t.len() as u64).sum::<u64>())
            .sum();
        s.queued_payloads = self.queue.len() as u64;
        s.posted_through = self.posted_through;
        s.fee_bumps = self.tx.bumps;
        s.fees_spent_wei = self.tx.fees_spent.to_string();
    }
}
