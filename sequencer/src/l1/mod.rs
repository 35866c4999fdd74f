//! The L1 watcher: the sequencer's view of L1, confirmed to the rollup's depth.
//!
//! ```text
//!  L1 JSON-RPC ──poll──▶ canonical window (number → block + its portal deposits)
//!                          │  parent-hash links checked on every block; a block whose hash
//!                          │  changed is a reorg: the window is cut back to the common ancestor
//!                          ▼
//!  miner: origin of the next L2 block (protocol::epoch), its L1-attributes and deposits;
//!         unsafe L2 blocks whose origin left the window are unwound and rebuilt
//! ```
//!
//! Only blocks at least `confirmation_depth` below the L1 head enter the window, so ordinary
//! one-block reorgs at the tip never reach L2. Deposits are read with `eth_getLogs` by block
//! hash, so the logs belong to exactly the block whose header was checked. The watcher keeps
//! everything from the rollup's L1 genesis up: a few hundred bytes per L1 block.

mod derive;
mod fetch;
pub mod sequencing;

pub use derive::{Consolidated, Deriver, Role, consolidate};
pub use fetch::{InboxPayload, L1Client};

use alloy_primitives::B256;
use ol_protocol::RollupConfig;
use parking_lot::{Mutex, RwLock};
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Most L1 blocks fetched per poll, so a long catch-up reports progress and reacts to reorgs.
const MAX_BLOCKS_PER_POLL: u64 = 256;

pub use ol_protocol::derive::L1Block;

/// Why the watcher could not follow L1.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The RPC failed (network, node down): retried on the next poll.
    #[error("L1 RPC: {0}")]
    Rpc(String),
    /// L1 answered something that cannot be (a block missing below the head, a malformed
    /// header): retried on the next poll.
    #[error("L1 returned {0}")]
    Invalid(String),
    /// The rollup's L1 genesis block is not on the L1 chain: wrong endpoint or config.
    #[error("L1 genesis block {number} has hash {actual}, rollup.json says {expected}")]
    GenesisMismatch {
        /// Number.
        number: u64,
        /// Hash in rollup.json.
        expected: B256,
        /// Hash on L1.
        actual: B256,
    },
}

/// What one poll changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollOutcome {
    /// Blocks added to the window.
    pub added: u64,
    /// The lowest block number whose block was replaced by a reorg, if any.
    pub reorged_from: Option<u64>,
    /// The newest confirmed block.
    pub tip: Option<u64>,
}

/// L1 blocks derivation may trail the confirmed tip by and still count as in sync: one poll
/// of the deriver can see a few new blocks before it reads them.
const SYNC_SLACK: u64 = 8;

/// How the node stands with its L1, for `GET /health` and the status page: written by the
/// watcher (reachability, head) and the deriver (how far it read), read at request time.
#[derive(Debug, Default)]
pub struct L1Sync {
    /// L1 head number at the last successful poll.
    head: AtomicU64,
    /// Unix milliseconds of the last successful poll; 0 before the first.
    ok_at_ms: AtomicU64,
    /// One past the newest L1 block derivation has read; 0 before the first.
    derived_next: AtomicU64,
    /// Poll interval in milliseconds: the age after which L1 counts as unreachable scales with it.
    interval_ms: AtomicU64,
    /// The last poll error, cleared by a successful poll.
    error: Mutex<Option<String>>,
}

/// A reading of [`L1Sync`] with the window's tip.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L1SyncStatus {
    /// A poll succeeded recently (three intervals and ten seconds).
    pub reachable: bool,
    /// Derivation has read L1 up to a few blocks below the confirmed tip.
    pub in_sync: bool,
    /// L1 head number at the last successful poll.
    pub head: u64,
    /// The newest L1 block the sequencer may adopt (head minus the confirmation depth).
    pub confirmed: Option<u64>,
    /// The newest L1 block derivation has read.
    pub derived: Option<u64>,
    /// Milliseconds since the last successful poll.
    pub last_poll_age_ms: Option<u64>,
    /// Why the last poll failed, if it did.
    pub error: Option<String>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl L1Sync {
    fn poll_ok(&self, head: u64) {
        self.head.store(head, Ordering::Relaxed);
        self.ok_at_ms.store(now_ms(), Ordering::Relaxed);
        *self.error.lock() = None;
    }

    fn poll_failed(&self, error: &L1Error) {
        *self.error.lock() = Some(error.to_string());
    }

    /// Derivation has read every L1 block up to `number`.
    pub fn derived(&self, number: u64) {
        self.derived_next.store(number.saturating_add(1), Ordering::Relaxed);
    }
}

/// See the module doc.
#[derive(Debug)]
pub struct L1Watcher {
    rollup: Arc<RollupConfig>,
    client: L1Client,
    window: RwLock<BTreeMap<u64, Arc<L1Block>>>,
    /// Reachability and progress, see [`L1Sync`].
    pub sync: L1Sync,
}

impl L1Watcher {
    /// A watcher of `client` for `rollup`, with an empty window.
    pub fn new(rollup: Arc<RollupConfig>, client: L1Client) -> Self {
        Self { rollup, client, window: RwLock::new(BTreeMap::new()), sync: L1Sync::default() }
    }

    /// Where the node stands with L1 now.
    pub fn sync_status(&self) -> L1SyncStatus {
        let sync = &self.sync;
        let ok_at = sync.ok_at_ms.load(Ordering::Relaxed);
        let age = (ok_at > 0).then(|| now_ms().saturating_sub(ok_at));
        let stale_after = 3 * sync.interval_ms.load(Ordering::Relaxed).max(1_000) + 10_000;
        let confirmed = self.tip().map(|t| t.id.number);
        let derived = sync.derived_next.load(Ordering::Relaxed).checked_sub(1);
        let in_sync = match (confirmed, derived) {
            (Some(tip), Some(read)) => tip.saturating_sub(read) <= SYNC_SLACK,
            _ => false,
        };
        L1SyncStatus {
            reachable: age.is_some_and(|a| a <= stale_after),
            in_sync,
            head: sync.head.load(Ordering::Relaxed),
            confirmed,
            derived,
            last_poll_age_ms: age,
            error: sync.error.lock().clone(),
        }
    }

    /// The client the watcher reads L1 with (shared by the status page's balance reads).
    pub fn client(&self) -> &L1Client {
        &self.client
    }

    /// The rollup configuration.
    pub fn rollup(&self) -> &RollupConfig {
        &self.rollup
    }

    /// The confirmed canonical block `number`, if the window holds it.
    pub fn block(&self, number: u64) -> Option<Arc<L1Block>> {
        self.window.read().get(&number).cloned()
    }

    /// The newest confirmed block.
    pub fn tip(&self) -> Option<Arc<L1Block>> {
        self.window.read().last_key_value().map(|(_, b)| b.clone())
    }

    /// Whether `(number, hash)` is canonical as far as the window knows: `Some(false)` only when
    /// the window holds another block at that number.
    pub fn is_canonical(&self, number: u64, hash: B256) -> Option<bool> {
        self.window.read().get(&number).map(|b| b.id.hash == hash)
    }

    /// Follows L1 until `cancel` fires, polling every `interval`. Errors are logged and retried:
    /// L1 being unreachable stalls the epoch, not the node.
    pub async fn run(self: Arc<Self>, interval: Duration, cancel: CancellationToken) {
        self.sync.interval_ms.store(interval.as_millis() as u64, Ordering::Relaxed);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticker.tick() => {}
            }
            loop {
                match self.poll().await {
                    Ok(outcome) if outcome.added == MAX_BLOCKS_PER_POLL => {
                        info!(target: "l1", tip = ?outcome.tip, "catching up with L1");
                    }
                    Ok(_) => break,
                    Err(e @ L1Error::GenesisMismatch { .. }) => {
                        self.sync.poll_failed(&e);
                        // Nothing will fix this but another endpoint or config.
                        warn!(target: "l1", error = %e, "L1 does not hold this rollup's genesis");
                        break;
                    }
                    Err(e) => {
                        self.sync.poll_failed(&e);
                        warn!(target: "l1", error = %e, "L1 poll failed; retrying");
                        break;
                    }
                }
            }
        }
    }

    /// One step: checks the window's tip is still canonical (cutting it back on a reorg), then
    /// appends up to [`MAX_BLOCKS_PER_POLL`] newly confirmed blocks.
    pub async fn poll(&self) -> Result<PollOutcome, L1Error> {
        let mut outcome = PollOutcome::default();
        let head = self.client.head_number().await?;
        let target = head.saturating_sub(self.rollup.confirmation_depth);
        let genesis = self.rollup.genesis.l1;
        if target < genesis.number {
            self.sync.poll_ok(head);
            return Ok(outcome);
        }
        // Reorg check: walk back from the tip until the stored hash is still on L1.
        let old_tip = self.tip().map(|t| t.id.number);
        loop {
            let Some(tip) = self.tip() else { break };
            let on_chain = self.client.block_hash(tip.id.number).await?;
            if on_chain == Some(tip.id.hash) {
                break;
            }
            if tip.id.number == genesis.number {
                return Err(L1Error::GenesisMismatch {
                    number: genesis.number,
                    expected: genesis.hash,
                    actual: on_chain.unwrap_or_default(),
                });
            }
            self.window.write().remove(&tip.id.number);
            outcome.reorged_from = Some(tip.id.number);
        }
        if let Some(from) = outcome.reorged_from {
            let depth = old_tip.unwrap_or(from).saturating_sub(from) + 1;
            ::metrics::histogram!(crate::metrics::L1_REORG_DEPTH).record(depth as f64);
            warn!(target: "l1", from, depth, "L1 reorg: window cut back");
        }
        let start = self.tip().map_or(genesis.number, |t| t.id.number + 1);
        let end = target.min(start.saturating_add(MAX_BLOCKS_PER_POLL - 1));
        for number in start..=end {
            let block = self.client.block(number, self.rollup.deposit_contract_address).await?;
            let links = match self.tip() {
                None => block.id.hash == genesis.hash,
                Some(parent) => block.id.parent_hash == parent.id.hash,
            };
            if !links {
                if number == genesis.number {
                    return Err(L1Error::GenesisMismatch {
                        number,
                        expected: genesis.hash,
                        actual: block.id.hash,
                    });
                }
                // L1 reorged between two requests: the next poll's tip check sorts it out.
                debug!(target: "l1", number, "block does not extend the window; repolling");
                break;
            }
            if !block.deposits.is_empty() {
                info!(target: "l1", number, deposits = block.deposits.len(), "deposits seen");
            }
            self.window.write().insert(number, Arc::new(block));
            outcome.added += 1;
        }
        outcome.tip = self.tip().map(|t| t.id.number);
        self.sync.poll_ok(head);
        Ok(outcome)
    }
}
