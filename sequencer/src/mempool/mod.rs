//! The transaction pool.
//!
//! ```text
//!  raw bytes ─▶ validate_raw (decode, chain id, size, intrinsic gas, signature; parallel)
//!                  │
//!                  ▼
//!  Mempool::add (nonce, balance, replacement, limits; under the pool lock)
//!                  │            pending: nonces without gap ──▶ BestTxs ──▶ builder
//!                  └──────────▶ queued:  after a gap (wait for the missing nonce)
//!  builder ──on_block(included, invalid)──▶ drop mined/stale/invalid, promote queued
//! ```

mod pool;
mod validate;

pub use pool::BestTxs;
pub use validate::{PoolError, StatelessRules, max_cost, validate_raw};

use crate::{executor::ReadyTx, state::AccountState};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, U256, map::HashMap};
use parking_lot::Mutex;
use pool::{Entry, SenderQueue, cost_below, effective_tip};
use std::sync::Arc;
use tokio::sync::Notify;

/// Pool limits.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// Most transactions held in total.
    pub max_txs: usize,
    /// Most transactions held per sender (also the furthest a nonce may run ahead).
    pub max_per_sender: usize,
    /// Minimum fee bump of a replacement, in percent.
    pub price_bump: u128,
    /// How long a queued (not executable) transaction may wait for its nonce gap to close.
    pub queued_lifetime: std::time::Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 250_000,
            max_per_sender: 4_096,
            price_bump: 10,
            queued_lifetime: std::time::Duration::from_secs(3 * 3600),
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    senders: HashMap<Address, SenderQueue>,
    by_hash: HashMap<B256, (Address, u64)>,
    arrival: u64,
}

/// Pending and queued transactions.
#[derive(Debug)]
pub struct Mempool {
    inner: Mutex<Inner>,
    config: PoolConfig,
    pending_notify: Notify,
}

/// Pool size figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Transactions ready for the next block.
    pub pending: usize,
    /// Transactions waiting for a missing nonce.
    pub queued: usize,
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self { inner: Mutex::new(Inner::default()), config, pending_notify: Notify::new() }
    }

    /// Adds a validated transaction, given its sender's account as of the latest block, the
    /// current base fee and the L1 data fee it would pay.
    pub fn add(
        &self,
        tx: ReadyTx,
        account: Option<AccountState>,
        base_fee: u64,
        l1_cost: U256,
    ) -> Result<Arc<ReadyTx>, PoolError> {
        let sender = tx.sender();
        let nonce = tx.tx.nonce();
        let account = account.unwrap_or_default();
        if tx.tx.max_fee_per_gas() < u128::from(base_fee) {
            return Err(PoolError::FeeCapTooLow { max_fee: tx.tx.max_fee_per_gas(), base_fee });
        }
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let Inner { senders, by_hash, arrival } = &mut *inner;
        let queue = senders
            .entry(sender)
            .or_insert_with(|| SenderQueue { next_nonce: account.nonce, ..Default::default() });
        if account.nonce > queue.next_nonce {
            // A block included some of this sender's transactions and the pool has not heard
            // yet (`after_block` runs after the state moved on): drop them now, so the queue
            // still starts at its next nonce (what pending counts and block building rely on).
            queue.next_nonce = account.nonce;
            let mined: Vec<u64> = queue.txs.range(..account.nonce).map(|(n, _)| *n).collect();
            for n in mined {
                if let Some(e) = queue.txs.remove(&n) {
                    by_hash.remove(&e.tx.hash);
                }
            }
        }
        if nonce < queue.next_nonce {
            let next = queue.next_nonce;
            drop_if_empty(senders, &sender);
            return Err(PoolError::NonceTooLow { next, nonce });
        }
        if nonce - queue.next_nonce >= self.config.max_per_sender as u64 {
            let next = queue.next_nonce;
            drop_if_empty(senders, &sender);
            return Err(PoolError::NonceGap { next, nonce });
        }
        let replacing = queue.txs.get(&nonce).map(|e| e.tx.clone());
        if let Some(old) = &replacing {
            let bump = |old: u128| old.saturating_mul(100 + self.config.price_bump) / 100;
            let old_tip = old.tx.max_priority_fee_per_gas().unwrap_or(old.tx.max_fee_per_gas());
            let new_tip = tx.tx.max_priority_fee_per_gas().unwrap_or(tx.tx.max_fee_per_gas());
            if tx.tx.max_fee_per_gas() < bump(old.tx.max_fee_per_gas()) || new_tip < bump(old_tip) {
                return Err(PoolError::ReplacementUnderpriced);
            }
        } else if queue.txs.len() >= self.config.max_per_sender {
            return Err(PoolError::SenderLimit(queue.txs.len()));
        }
        let own_cost = max_cost(&tx.tx, l1_cost);
        let want = cost_below(queue, nonce, |t| max_cost(&t.tx, l1_cost)).saturating_add(own_cost);
        if want > account.balance {
            drop_if_empty(senders, &sender);
            return Err(PoolError::InsufficientFunds {
                address: sender,
                have: account.balance,
                want,
            });
        }
        if replacing.is_none()
            && by_hash.len() >= self.config.max_txs
            && !evict_queued(senders, by_hash, base_fee)
        {
            drop_if_empty(senders, &sender);
            return Err(PoolError::Full);
        }
        let Some(queue) = senders.get_mut(&sender) else { return Err(PoolError::Full) };
        if let Some(old) = &replacing {
            by_hash.remove(&old.hash);
        }
        let hash = tx.hash;
        *arrival += 1;
        let tx = Arc::new(tx);
        queue.txs.insert(
            nonce,
            Entry { tx: tx.clone(), arrival: *arrival, since: std::time::Instant::now() },
        );
        by_hash.insert(hash, (sender, nonce));
        let is_pending = nonce < queue.next_nonce + queue.pending_len() as u64;
        drop(inner);
        if is_pending {
            self.pending_notify.notify_one();
        }
        Ok(tx)
    }

    /// Every pooled transaction, split into pending and queued, each sorted by sender and nonce.
    pub fn content(&self) -> (Vec<Arc<ReadyTx>>, Vec<Arc<ReadyTx>>) {
        let inner = self.inner.lock();
        let mut senders: Vec<_> = inner.senders.iter().collect();
        senders.sort_unstable_by_key(|(address, _)| **address);
        let (mut pending, mut queued) = (Vec::new(), Vec::new());
        for (_, queue) in senders {
            let ready = queue.pending_len();
            for (i, entry) in queue.txs.values().enumerate() {
                if i < ready {
                    pending.push(entry.tx.clone())
                } else {
                    queued.push(entry.tx.clone())
                }
            }
        }
        (pending, queued)
    }

    /// Waits until a pending transaction arrives (or one is already waiting to be noticed).
    pub async fn pending_arrived(&self) {
        self.pending_notify.notified().await
    }

    /// The pending transactions, best first, for the next block at `base_fee`.
    pub fn best(&self, base_fee: u64) -> BestTxs {
        BestTxs::new(&self.inner.lock().senders, base_fee)
    }

    /// Whether any transaction is ready for a block at `base_fee`.
    pub fn has_pending(&self, base_fee: u64) -> bool {
        self.inner.lock().senders.values().any(|q| {
            q.pending_len() > 0
                && q.txs.values().next().is_some_and(|e| effective_tip(&e.tx, base_fee).is_some())
        })
    }

    /// Updates the pool after `block` was sealed (built, or imported) and drops queued
    /// transactions past their lifetime.
    pub fn after_block(&self, block: &crate::builder::SealedBlock, invalid: &[(B256, String)]) {
        let nonces: Vec<_> = block
            .changes
            .accounts
            .iter()
            .map(|c| (c.address, c.after.map(|a| a.nonce).unwrap_or_default()))
            .collect();
        self.on_block(&nonces, invalid);
        let expired = self.expire_queued();
        if expired > 0 {
            tracing::debug!(target: "mempool", expired, "queued transactions expired");
        }
    }

    /// Updates the pool after a block: `nonces` are the new nonces of every sender whose account
    /// changed; `invalid` are transactions the builder found unexecutable (dropped with their
    /// sender's later transactions).
    pub fn on_block(&self, nonces: &[(Address, u64)], invalid: &[(B256, String)]) {
        let mut inner = self.inner.lock();
        let Inner { senders, by_hash, .. } = &mut *inner;
        for (address, nonce) in nonces {
            let Some(queue) = senders.get_mut(address) else { continue };
            queue.next_nonce = *nonce;
            let stale: Vec<u64> = queue.txs.range(..*nonce).map(|(n, _)| *n).collect();
            for n in stale {
                if let Some(e) = queue.txs.remove(&n) {
                    by_hash.remove(&e.tx.hash);
                }
            }
            drop_if_empty(senders, address);
        }
        for (hash, reason) in invalid {
            let Some((address, nonce)) = by_hash.get(hash).copied() else { continue };
            tracing::debug!(target: "mempool", %hash, %reason, "dropping invalid transaction");
            if let Some(queue) = senders.get_mut(&address) {
                let doomed: Vec<u64> = queue.txs.range(nonce..).map(|(n, _)| *n).collect();
                for n in doomed {
                    if let Some(e) = queue.txs.remove(&n) {
                        by_hash.remove(&e.tx.hash);
                    }
                }
            }
            drop_if_empty(senders, &address);
        }
    }

    /// Drops queued transactions older than the configured lifetime (geth: 3 hours); returns
    /// how many went.
    pub fn expire_queued(&self) -> usize {
        let lifetime = self.config.queued_lifetime;
        let mut inner = self.inner.lock();
        let Inner { senders, by_hash, .. } = &mut *inner;
        let mut dropped = 0;
        let mut emptied = Vec::new();
        for (address, queue) in senders.iter_mut() {
            let pending = queue.pending_len();
            let stale: Vec<u64> = queue
                .txs
                .iter()
                .skip(pending)
                .filter(|(_, e)| e.since.elapsed() >= lifetime)
                .map(|(n, _)| *n)
                .collect();
            for n in stale {
                if let Some(e) = queue.txs.remove(&n) {
                    by_hash.remove(&e.tx.hash);
                    dropped += 1;
                }
            }
            if queue.txs.is_empty() {
                emptied.push(*address);
            }
        }
        for address in emptied {
            senders.remove(&address);
        }
        dropped
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<ReadyTx>> {
        let inner = self.inner.lock();
        let (address, nonce) = inner.by_hash.get(hash)?;
        inner.senders.get(address)?.txs.get(nonce).map(|e| e.tx.clone())
    }

    /// The next nonce of `address` counting its pending transactions (`None` if it has none).
    pub fn pending_nonce(&self, address: &Address) -> Option<u64> {
        let inner = self.inner.lock();
        let queue = inner.senders.get(address)?;
        let pending = queue.pending_len();
        (pending > 0).then(|| queue.next_nonce + pending as u64)
    }

    /// Pending and queued counts.
    pub fn status(&self) -> PoolStatus {
        let inner = self.inner.lock();
        let pending: usize = inner.senders.values().map(SenderQueue::pending_len).sum();
        PoolStatus { pending, queued: inner.by_hash.len() - pending }
    }

    /// Drops every transaction (after the chain was unwound) and returns them, by sender and
    /// nonce, so a caller can add back what is still valid.
    pub fn clear(&self) -> Vec<Arc<ReadyTx>> {
        let mut inner = self.inner.lock();
        inner.by_hash.clear();
        let senders = std::mem::take(&mut inner.senders);
        senders.into_values().flat_map(|q| q.txs.into_values().map(|e| e.tx)).collect()
    }

    /// Total transactions held.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn drop_if_empty(senders: &mut HashMap<Address, SenderQueue>, address: &Address) {
    if senders.get(address).is_some_and(|q| q.txs.is_empty()) {
        senders.remove(address);
    }
}

/// Evicts the queued transaction paying the least; false if nothing is queued.
fn evict_queued(
    senders: &mut HashMap<Address, SenderQueue>,
    by_hash: &mut HashMap<B256, (Address, u64)>,
    base_fee: u64,
) -> bool {
    let mut worst: Option<(u128, Address, u64)> = None;
    for (address, queue) in senders.iter() {
        let pending = queue.pending_len();
        if let Some((nonce, e)) = queue.txs.iter().nth(pending).and(queue.txs.iter().next_back()) {
            let tip = effective_tip(&e.tx, base_fee).unwrap_or(0);
            if queue.txs.len() > pending && worst.is_none_or(|(t, _, _)| tip < t) {
                worst = Some((tip, *address, *nonce));
            }
        }
    }
    let Some((_, address, nonce)) = worst else { return false };
    if let Some(queue) = senders.get_mut(&address)
        && let Some(e) = queue.txs.remove(&nonce)
    {
        by_hash.remove(&e.tx.hash);
    }
    drop_if_empty(senders, &address);
    true
}

#[cfg(test)]
mod tests;
