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
//!
//! Reorgs on either side: an L2 reorg makes the payloads that hold changed blocks stale (sent
//! ones keep their nonces and are followed to L1, since forgetting them would leave a nonce gap
//! that stalls every later transaction, but they no longer count; unsent ones are dropped) and
//! reloads blocks after the last one a valid payload carries, so no channel overlaps another
//! (derivation drops a batch that starts below its safe head). A confirmed payload is
//! kept until L1 finalizes its block: an L1 reorg deeper than `--num-confirmations` that
//! removes it puts it back in flight with its nonce (sent again as it was), and
//! `posted_through` goes back to before it.

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
    /// L1 block (number, hash) it is confirmed in.
    confirmed: Option<(u64, B256)>,
    /// First and last L2 block of its channel.
    blocks: (u64, u64),
    /// Holds blocks an L2 reorg changed: followed to L1 for its nonce, posts nothing that
    /// counts.
    stale: bool,
}

/// A confirmed payload, kept until its L1 block is finalized: if L1 loses it, it goes back in
/// flight with its nonce (the nonces after it depend on it).
#[derive(Debug)]
struct Retired {
    payload: Queued,
    /// `posted_through` before it confirmed.
    before: Option<u64>,
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
    /// Confirmed payloads on L1 blocks not yet finalized, oldest first.
    retired: VecDeque<Retired>,
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
            retired: VecDeque::new(),
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
        self.watch_retired().await?;
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

    /// The L2 chain changed at or below `number`: find the newest block both agree on (the
    /// fork) and post the changed blocks again (the batches already on their way for them no
    /// longer match the chain, so derivation skips them).
    async fn rewind(&mut self, number: u64) -> eyre::Result<()> {
        let mut fork = None;
        for (&n, &hash) in self.loaded.range(..=number).rev() {
            if self.l2.block_hash(n).await? == Some(hash) {
                fork = Some((n, hash));
                break;
            }
        }
        warn!(target: "batcher", at = number, fork = ?fork.map(|f| f.0), "L2 reorg: reloading blocks");
        let fork = fork.map(|(f, _)| f);
        self.loaded.retain(|&n, _| fork.is_some_and(|f| n <= f));
        // A payload whose channel ends at or below the fork still posts the chain as it is and
        // keeps counting; one holding changed blocks is stale: followed to L1 for its nonce if
        // sent (derivation drops it: its parent or origins no longer match), dropped if not.
        let valid = |q: &Queued| fork.is_some_and(|f| q.blocks.1 <= f);
        // Confirmed ones too: an L1 reorg may yet send them again.
        let retired = self.retired.iter_mut().map(|r| &mut r.payload);
        for q in self.in_flight.iter_mut().chain(retired) {
            q.stale |= !valid(q);
        }
        self.queue.retain(valid);
        self.posted_through = self.posted_through.zip(fork).map(|(p, f)| p.min(f));
        // Blocks are loaded again after the newest one a valid payload carries, so no new
        // channel overlaps what is already on its way (derivation would drop the overlap).
        let carried = self.in_flight.iter().chain(&self.queue).filter(|q| !q.stale);
        let through = carried.map(|q| q.blocks.1).chain(self.posted_through).max();
        self.open.clear();
        self.channels.reset();
        self.opened_at = None;
        self.last = through.and_then(|p| self.loaded.get(&p).map(|h| (p, *h)));
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
        let raw: usize = blocks.iter().map(channel::raw_size).sum();
        ::metrics::counter!(crate::metrics::INPUT_BYTES).increment(raw as u64);
        ::metrics::counter!(crate::metrics::OUTPUT_BYTES).increment(data.len() as u64);
        if raw > 0 {
            ::metrics::histogram!(crate::metrics::CHANNEL_COMPR_RATIO)
                .record(data.len() as f64 / raw as f64);
        }
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
        ::metrics::gauge!(crate::metrics::CHANNEL_FRAMES).set(payloads.len() as f64);
        let last = blocks.last().map(|b| b.number);
        let range = (blocks[0].number, last.unwrap_or_default());
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
            ::metrics::counter!(crate::metrics::BATCHER_TX, "stage" => "submitted").increment(1);
            self.queue.push_back(Queued {
                pending: TxManager::pending(id, carrier),
                completes,
                blocks: range,
                confirmed: None,
                stale: false,
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
            if let Progress::Confirmed { block, hash } = self.tx.poll(&mut current.pending).await? {
                current.confirmed = Some((block, hash));
            }
        }
        while self.in_flight.front().is_some_and(|q| q.confirmed.is_some()) {
            let Some(payload) = self.in_flight.pop_front() else { break };
            let before = self.posted_through;
            if let (false, Some(last), Some((block, _))) =
                (payload.stale, payload.completes, payload.confirmed)
            {
                self.posted_through = Some(last);
                info!(target: "batcher", l1_block = block, posted_through = last, "channel confirmed on L1");
            }
            self.status.lock().posted_transactions += 1;
            ::metrics::counter!(crate::metrics::BATCHER_TX, "stage" => "success").increment(1);
            self.retired.push_back(Retired { payload, before });
        }
        Ok(())
    }

    /// Puts confirmed payloads that L1 lost (a reorg deeper than the confirmations) back in
    /// flight, in nonce order; then forgets those whose L1 block is finalized.
    async fn watch_retired(&mut self) -> eyre::Result<()> {
        let l1_block = |r: &Retired| r.payload.confirmed.unwrap_or_default();
        let Some(newest) = self.retired.back().map(l1_block) else { return Ok(()) };
        let l1 = self.tx.l1();
        // Finalized is read before the hashes are checked: a reorg can replace a block that L1
        // finalizes right after (the new block is final, ours is gone), so only a payload seen
        // canonical after its block was final is forgotten.
        let finalized = l1
            .get_block_by_number(alloy_eips::BlockNumberOrTag::Finalized)
            .await?
            .map_or(0, |b| b.header.number);
        let hash_at = |n: u64| async move {
            let block = l1.get_block_by_number(alloy_eips::BlockNumberOrTag::Number(n)).await?;
            Ok::<_, eyre::Report>(block.map(|b| b.header.hash))
        };
        // A block whose hash is unchanged vouches for every block below it.
        if hash_at(newest.0).await? != Some(newest.1) {
            let mut lost = None;
            for (i, r) in self.retired.iter().enumerate() {
                let (number, hash) = l1_block(r);
                if hash_at(number).await? != Some(hash) {
                    lost = Some(i);
                    break;
                }
            }
            if let Some(i) = lost {
                let lost: Vec<Retired> = self.retired.drain(i..).collect();
                if let Some(first) = lost.first() {
                    self.posted_through = first.before;
                    warn!(target: "batcher", l1_block = l1_block(first).0, payloads = lost.len(), posted_through = ?first.before, "confirmed batches left L1 (a reorg deeper than the confirmations): sending them again");
                }
                for r in lost.into_iter().rev() {
                    let mut payload = r.payload;
                    payload.confirmed = None;
                    self.in_flight.push_front(payload);
                }
            }
        }
        while self.retired.front().is_some_and(|r| l1_block(r).0 <= finalized) {
            self.retired.pop_front();
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
