//! Per-sender queues ordered by nonce, and the best-transactions iterator the builder pulls.
//!
//! A sender's transactions are *pending* while their nonces run without a gap from the
//! account's nonce, *queued* after the first gap. Only pending transactions are offered to
//! the builder.

use crate::executor::{ReadyTx, TxSource};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, U256, map::HashMap};
use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, VecDeque},
    sync::Arc,
};

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) tx: Arc<ReadyTx>,
    pub(crate) arrival: u64,
    /// When it entered the pool (queued transactions expire; wall clock is fine here, the pool
    /// is not consensus).
    pub(crate) since: std::time::Instant,
}

#[derive(Debug, Default)]
pub(crate) struct SenderQueue {
    /// The account's nonce as of the last block.
    pub(crate) next_nonce: u64,
    pub(crate) txs: BTreeMap<u64, Entry>,
}

impl SenderQueue {
    /// Number of transactions that run without a gap from the account nonce.
    pub(crate) fn pending_len(&self) -> usize {
        self.txs
            .keys()
            .zip(self.next_nonce..)
            .take_while(|(nonce, expected)| **nonce == *expected)
            .count()
    }
}

/// The priority fee a transaction pays per gas at `base_fee` (`None` if it cannot pay the
/// base fee).
pub(crate) fn effective_tip(tx: &ReadyTx, base_fee: u64) -> Option<u128> {
    let max_fee = tx.tx.max_fee_per_gas();
    let base = u128::from(base_fee);
    if max_fee < base {
        return None;
    }
    let tip = tx.tx.max_priority_fee_per_gas().unwrap_or(max_fee - base);
    Some(tip.min(max_fee - base))
}

/// A snapshot of the pending transactions, best first: highest effective tip, then earliest
/// arrival; a sender's transactions always in nonce order.
#[derive(Debug)]
pub struct BestTxs {
    queues: HashMap<Address, VecDeque<Entry>>,
    heap: BinaryHeap<(u128, Reverse<u64>, Address)>,
    base_fee: u64,
    invalid: Vec<(B256, String)>,
}

impl BestTxs {
    pub(crate) fn new(senders: &HashMap<Address, SenderQueue>, base_fee: u64) -> Self {
        let mut queues = HashMap::default();
        let mut heap = BinaryHeap::new();
        for (address, queue) in senders {
            let pending: VecDeque<Entry> =
                queue.txs.values().take(queue.pending_len()).cloned().collect();
            if let Some(first) = pending.front()
                && let Some(tip) = effective_tip(&first.tx, base_fee)
            {
                heap.push((tip, Reverse(first.arrival), *address));
                queues.insert(*address, pending);
            }
        }
        Self { queues, heap, base_fee, invalid: Vec::new() }
    }

    /// Transactions found invalid while building, with the reason.
    pub fn take_invalid(&mut self) -> Vec<(B256, String)> {
        std::mem::take(&mut self.invalid)
    }
}

impl TxSource for BestTxs {
    fn next_tx(&mut self) -> Option<Arc<ReadyTx>> {
        while let Some((_, _, address)) = self.heap.pop() {
            let Some(queue) = self.queues.get_mut(&address) else { continue };
            let Some(entry) = queue.pop_front() else { continue };
            if let Some(next) = queue.front()
                && let Some(tip) = effective_tip(&next.tx, self.base_fee)
            {
                self.heap.push((tip, Reverse(next.arrival), address));
            }
            return Some(entry.tx);
        }
        None
    }

    fn mark_invalid(&mut self, tx: &ReadyTx, reason: String) {
        self.queues.remove(&tx.sender());
        self.invalid.push((tx.hash, reason));
    }
}

/// Sum of the maximum costs of a sender's transactions below `nonce`.
pub(crate) fn cost_below(queue: &SenderQueue, nonce: u64, cost: impl Fn(&ReadyTx) -> U256) -> U256 {
    queue.txs.range(..nonce).fold(U256::ZERO, |acc, (_, e)| acc.saturating_add(cost(&e.tx)))
}
