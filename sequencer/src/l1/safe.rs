//! The sequencer's `safe` and `finalized` heads, read from what the batcher posted.
//!
//! ```text
//!  confirmed L1 blocks (the watcher's window) ──inbox payloads──▶ ChannelBank (protocol)
//!    ──ready channel──▶ decode, resolve against the safe blocks' address history
//!    ──▶ passes derivation's batch rules (protocol::derive::check_batch) and equals the stored
//!        blocks (timestamps, origins, transactions)? ──▶ safe
//!  L1 finalized block ──▶ finalized = the safe head reached by the L1 blocks it covers
//! ```
//!
//! `safe` is the newest L2 block that a batch on confirmed L1 blocks carries exactly, chained
//! from genesis; `finalized` is the same for finalized L1 blocks. A batch that does not match
//! the stored chain is logged and skipped (the sequencer's chain and what derivation will
//! rebuild have diverged: an operator must know). Derivation (`--follow-l1`) will replace this
//! by the full pipeline; the channel rules are already the shared ones.
//!
//! No state is stored: at start, and after an L1 reorg that reaches the blocks it read or an
//! unwind of a safe block, the tracker starts again from the rollup's L1 genesis, reading the
//! inbox 1,000 L1 blocks per request.

use super::{InboxPayload, L1Client, L1Watcher};
use crate::node::Chain;
use alloy_eips::BlockNumHash;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::B256;
use ol_protocol::{
    L1BlockInfo,
    batch::{AddressHistory, Batch, ChannelBank, ReadyChannel, decode_channel},
    derive::{L2Ref, check_batch},
};
use std::{collections::VecDeque, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// L1 blocks read per inbox request.
const STEP: u64 = 1_000;

/// See the module doc.
#[derive(Debug)]
pub struct SafeTracker {
    chain: Arc<Chain>,
    watcher: Arc<L1Watcher>,
    client: L1Client,
    bank: ChannelBank,
    /// The next L1 block to read.
    next_l1: u64,
    /// The last L1 block read, to notice a reorg below it.
    last_l1: Option<(u64, B256)>,
    /// The safe head (number, hash).
    safe: (u64, B256),
    history: AddressHistory,
    /// (L1 block, safe head after it) each time the safe head moved, oldest first.
    checkpoints: VecDeque<(u64, u64)>,
    finalized: u64,
}

impl SafeTracker {
    /// A tracker that starts from the rollup's genesis.
    pub fn new(chain: Arc<Chain>, watcher: Arc<L1Watcher>, client: L1Client) -> Self {
        let rollup = watcher.rollup();
        let timeout = rollup.channel_timeout;
        let (next_l1, safe) = (rollup.genesis.l1.number, (0, rollup.genesis.l2.hash));
        Self {
            chain,
            watcher,
            client,
            bank: ChannelBank::new(timeout),
            next_l1,
            last_l1: None,
            safe,
            history: AddressHistory::new(),
            checkpoints: VecDeque::new(),
            finalized: 0,
        }
    }

    fn reset(&mut self, why: &str) {
        warn!(target: "safe", why, safe = self.safe.0, "safe head tracking starts over from genesis");
        let watcher = self.watcher.clone();
        *self = Self::new(self.chain.clone(), watcher, self.client.clone());
        self.chain.set_safe_heads(0, 0);
    }

    /// Follows L1 until `cancel` fires; errors are logged and retried.
    pub async fn run(mut self, interval: Duration, cancel: CancellationToken) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticker.tick() => {}
            }
            loop {
                match self.step().await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        warn!(target: "safe", error = %e, "reading the inbox failed; retrying");
                        break;
                    }
                }
            }
        }
    }

    /// Reads up to [`STEP`] confirmed L1 blocks; `Ok(true)` if more are waiting.
    pub async fn step(&mut self) -> eyre::Result<bool> {
        if self.safe.0 > 0 {
            let stored = self.chain.store.header(self.safe.0).await?.map(|h| h.hash());
            if stored != Some(self.safe.1) {
                self.reset("the safe block was unwound");
            }
        }
        if let Some((number, hash)) = self.last_l1
            && self.watcher.is_canonical(number, hash) == Some(false)
        {
            self.reset("L1 reorged the blocks already read");
        }
        let Some(tip) = self.watcher.tip() else { return Ok(false) };
        if tip.id.number < self.next_l1 {
            self.update_finalized().await?;
            return Ok(false);
        }
        let to = tip.id.number.min(self.next_l1 + STEP - 1);
        let inbox = self.watcher.rollup().batch_inbox_address;
        let payloads = self.client.inbox_payloads(inbox, self.next_l1, to).await?;
        // Only payloads of the blocks the watcher confirmed count; a reorg in between is
        // caught on the next step.
        if payloads.iter().any(|p| self.watcher.is_canonical(p.l1_block, p.l1_hash) != Some(true)) {
            debug!(target: "safe", from = self.next_l1, to, "inbox read raced an L1 reorg");
            return Ok(false);
        }
        let mut payloads = payloads.into_iter().peekable();
        for number in self.next_l1..=to {
            while let Some(p) = payloads.next_if(|p| p.l1_block == number) {
                self.ingest(&p);
            }
            while let Some(channel) = self.bank.read(number) {
                self.apply(number, channel).await?;
            }
        }
        let last = self.watcher.block(to).map(|b| (to, b.id.hash));
        self.last_l1 = last;
        self.next_l1 = to + 1;
        if to < tip.id.number {
            info!(target: "safe", l1 = to, l1_tip = tip.id.number, safe = self.safe.0, "reading the inbox");
        }
        self.update_finalized().await?;
        Ok(to < tip.id.number)
    }

    fn ingest(&mut self, payload: &InboxPayload) {
        let outcome = self.bank.ingest(payload.l1_block, &payload.data);
        if outcome.garbage || outcome.dropped > 0 {
            warn!(target: "safe", l1 = payload.l1_block, garbage = outcome.garbage, dropped = outcome.dropped, "inbox frames dropped");
        }
    }

    /// Moves the safe head over a channel's blocks if it extends it and matches the chain.
    async fn apply(&mut self, l1: u64, channel: ReadyChannel) -> eyre::Result<()> {
        let raw = match decode_channel(&channel.data) {
            Ok(raw) => raw,
            Err(e) => {
                warn!(target: "safe", l1, error = %e, "undecodable channel skipped");
                return Ok(());
            }
        };
        let header = *raw.header();
        let count = raw.block_count() as u64;
        let last = (header.first_number + count).saturating_sub(1);
        if header.first_number != self.safe.0 + 1 {
            if last <= self.safe.0 {
                debug!(target: "safe", l1, first = header.first_number, last, "batch already safe");
            } else {
                warn!(target: "safe", l1, first = header.first_number, safe = self.safe.0, "batch does not follow the safe head; skipped");
            }
            return Ok(());
        }
        if header.parent_check[..] != self.safe.1[..20] {
            warn!(target: "safe", l1, first = header.first_number, "batch names another parent; skipped");
            return Ok(());
        }
        let chain_id = self.chain.config().chain_id;
        let batch = match raw.resolve(chain_id, &self.history) {
            Ok(batch) => batch,
            Err(e) => {
                warn!(target: "safe", l1, error = %e, "batch does not resolve; skipped");
                return Ok(());
            }
        };
        let safe_ref = self.safe_ref().await?;
        let rollup = self.watcher.rollup();
        if let Err(e) =
            check_batch(rollup, &safe_ref, &batch, l1, |n| self.watcher.block(n).map(|b| b.id))
        {
            warn!(target: "safe", l1, error = %e, "batch breaks derivation's rules; skipped");
            return Ok(());
        }
        let Some(hashes) = self.matches(&batch).await? else {
            warn!(target: "safe", l1, first = header.first_number, last, "batch on L1 differs from the sequencer's blocks; skipped");
            return Ok(());
        };
        for (block, hash) in batch.blocks.iter().zip(hashes) {
            if self
                .history
                .push_block(block.number, block.transactions.iter().map(|t| &t[..]))
                .is_err()
            {
                self.history = AddressHistory::new();
            }
            self.safe = (block.number, hash);
        }
        self.checkpoints.push_back((l1, self.safe.0));
        self.chain.set_safe_heads(self.safe.0, self.finalized);
        debug!(target: "safe", l1, safe = self.safe.0, "safe head advanced");
        Ok(())
    }

    /// The safe head as derivation sees it: number, hash, timestamp, L1 origin.
    async fn safe_ref(&self) -> eyre::Result<L2Ref> {
        let genesis = &self.watcher.rollup().genesis;
        if self.safe.0 == 0 {
            return Ok(L2Ref {
                number: 0,
                hash: self.safe.1,
                timestamp: genesis.l2_time,
                origin: BlockNumHash { number: genesis.l1.number, hash: genesis.l1.hash },
            });
        }
        let block = self
            .chain
            .store
            .block(self.safe.0)
            .await?
            .ok_or_else(|| eyre::eyre!("safe block {} missing", self.safe.0))?;
        let info = L1BlockInfo::decode_isthmus(&block.l1_info)
            .map_err(|e| eyre::eyre!("safe block {}: {e}", self.safe.0))?;
        Ok(L2Ref {
            number: self.safe.0,
            hash: self.safe.1,
            timestamp: block.header.timestamp,
            origin: BlockNumHash { number: info.number, hash: info.hash },
        })
    }

    /// The stored blocks' hashes if the batch carries exactly them, `None` if not.
    async fn matches(&self, batch: &Batch) -> eyre::Result<Option<Vec<B256>>> {
        let mut hashes = Vec::with_capacity(batch.blocks.len());
        let mut last_origin = None;
        for block in &batch.blocks {
            let Some(stored) = self.chain.store.block(block.number).await? else {
                return Ok(None);
            };
            let info = L1BlockInfo::decode_isthmus(&stored.l1_info).ok();
            let txs: Vec<Vec<u8>> = stored
                .transactions
                .iter()
                .filter(|t| !t.tx.is_deposit())
                .map(|t| t.tx.encoded_2718())
                .collect();
            let same = stored.header.timestamp == block.timestamp
                && info.as_ref().map(|i| i.number) == Some(block.l1_origin)
                && txs.len() == block.transactions.len()
                && txs.iter().zip(&block.transactions).all(|(a, b)| a[..] == b[..]);
            if !same {
                return Ok(None);
            }
            last_origin = info.map(|i| i.hash);
            hashes.push(stored.header.hash());
        }
        let origin_ok = last_origin.is_some_and(|h| h[..20] == batch.header.origin_check);
        Ok(origin_ok.then_some(hashes))
    }

    /// Finalized: the safe head reached by L1 blocks at or below L1's finalized block.
    async fn update_finalized(&mut self) -> eyre::Result<()> {
        let Some(l1_final) = self.client.finalized_number().await? else { return Ok(()) };
        while let Some(&(l1, safe)) = self.checkpoints.front()
            && l1 <= l1_final
        {
            self.finalized = self.finalized.max(safe);
            self.checkpoints.pop_front();
        }
        self.chain.set_safe_heads(self.safe.0, self.finalized);
        Ok(())
    }
}
