//! The L1 transaction manager: sends one payload at a time to the inbox, bumps its fees when it
//! is stuck, and reports it confirmed only once it is `num_confirmations` deep on the canonical
//! L1 chain (op-batcher's txmgr, reduced to one transaction in flight).
//!
//! ```text
//!  Queued ──send──▶ Sent{hash, nonce, fees} ──receipt──▶ Included{block} ──depth──▶ Confirmed
//!                     │  no receipt after resubmission_timeout: same nonce, fees bumped
//!                     │  (+10%, blob fee ×2: what geth's pool demands of a replacement)
//!                     │  known to no L1 node (dropped from the pool): sent again at once
//!                     ▼
//!  Included block no longer canonical (L1 reorg) ──▶ back to Sent (same nonce), overdue
//! ```
//!
//! Several payloads may be in flight (`--max-pending-tx`), with consecutive nonces handed out
//! in order, so frames land in order on L1 and a payload waiting for its confirmations does not
//! hold back the next. A reorg that drops one also drops every later one (their nonces depend on
//! it); each goes back to `Sent` with its own nonce and lands again, or is replaced.

use alloy_consensus::BlobTransactionSidecar;
use alloy_eips::BlockNumberOrTag;
use alloy_network::{EthereumWallet, TransactionBuilder, TransactionBuilder4844};
use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::{Provider, ProviderBuilder, RootProvider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use ol_protocol::contracts::SettlementInbox;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// Why an L1 step failed (all retried on the next poll).
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The RPC failed.
    #[error("L1 RPC: {0}")]
    Rpc(String),
}

fn rpc(e: impl std::fmt::Display) -> TxError {
    TxError::Rpc(e.to_string())
}

/// What is carried: calldata for `submitBatch`, or blobs for `submitBlobBatch`.
#[derive(Debug, Clone)]
pub enum Carrier {
    /// The payload as `submitBatch(bytes)` calldata.
    Calldata(Bytes),
    /// The payload in blobs.
    Blobs(BlobTransactionSidecar),
}

/// Fees of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fees {
    tip: u128,
    fee_cap: u128,
    blob_fee_cap: u128,
}

impl Fees {
    /// Each field the larger of the two.
    fn max(self, other: Fees) -> Fees {
        Fees {
            tip: self.tip.max(other.tip),
            fee_cap: self.fee_cap.max(other.fee_cap),
            blob_fee_cap: self.blob_fee_cap.max(other.blob_fee_cap),
        }
    }

    /// The fees a replacement needs: at least 10% more (blob fee cap doubled), and never less
    /// than what the market asks now.
    fn bumped(self, market: Fees) -> Fees {
        let up = |v: u128| v.saturating_add(v / 10).saturating_add(1);
        Fees {
            tip: up(self.tip).max(market.tip),
            fee_cap: up(self.fee_cap).max(market.fee_cap),
            blob_fee_cap: self.blob_fee_cap.saturating_mul(2).max(market.blob_fee_cap),
        }
    }
}

/// The state of the payload in flight.
#[derive(Debug, Clone)]
enum Flight {
    /// Every attempt's hash (replacements share the nonce; any of them may land).
    Sent { hashes: Vec<B256>, nonce: u64, fees: Fees, at: Instant },
    /// Landed in `block`; `sent` is the attempt state to go back to if L1 reorgs it out.
    Included {
        hash: B256,
        block: u64,
        block_hash: B256,
        /// Wei it paid (counted once confirmed).
        fee: u128,
        sent: Box<Flight>,
    },
}

/// A payload being posted.
#[derive(Debug, Clone)]
pub struct Pending {
    /// What the payload is for (the caller's id).
    pub id: u64,
    carrier: Carrier,
    flight: Option<Flight>,
}

/// What a poll of the payload in flight found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing to report yet.
    Waiting,
    /// Included in this L1 block (not yet deep enough).
    Included(u64),
    /// Confirmed at this depth: done.
    Confirmed {
        /// L1 block it landed in.
        block: u64,
        /// That block's hash (a reorg deeper than the confirmations is noticed by it).
        hash: B256,
    },
    /// Its block was reorged away: it will be sent again.
    Reorged,
}

/// See the module doc.
#[derive(Debug)]
pub struct TxManager {
    l1: RootProvider,
    wallet: EthereumWallet,
    from: Address,
    inbox: Address,
    chain_id: u64,
    num_confirmations: u64,
    resubmission_timeout: Duration,
    /// Fee bumps so far (status).
    pub bumps: u64,
    /// Wei spent on confirmed payloads (gas used × effective price, plus blob gas).
    pub fees_spent: u128,
    /// The nonce of the next new payload (read from L1 for the first one).
    next_nonce: Option<u64>,
}

impl TxManager {
    /// A manager sending from `signer` to `inbox` on the L1 at `url`.
    pub fn new(
        url: &str,
        signer: PrivateKeySigner,
        inbox: Address,
        chain_id: u64,
        num_confirmations: u64,
        resubmission_timeout: Duration,
    ) -> Result<Self, TxError> {
        let url = url.parse().map_err(|e| TxError::Rpc(format!("bad L1 URL {url}: {e}")))?;
        let from = signer.address();
        Ok(Self {
            l1: RootProvider::new_http(url),
            wallet: EthereumWallet::from(signer),
            from,
            inbox,
            chain_id,
            num_confirmations: num_confirmations.max(1),
            resubmission_timeout,
            bumps: 0,
            fees_spent: 0,
            next_nonce: None,
        })
    }

    /// The batcher's address.
    pub fn from(&self) -> Address {
        self.from
    }

    /// The L1 provider (reads).
    pub fn l1(&self) -> &RootProvider {
        &self.l1
    }

    /// A payload ready to send.
    pub fn pending(id: u64, carrier: Carrier) -> Pending {
        Pending { id, carrier, flight: None }
    }

    /// Waits until transactions sent before a restart have left the L1 mempool (the pending
    /// nonce equals the mined one), so what L1 holds can be read without a payload still on
    /// its way; gives up after `patience` (later sends then replace them).
    pub async fn settle_mempool(&self, patience: Duration) -> Result<(), TxError> {
        let start = Instant::now();
        loop {
            let mined = self.nonce(BlockNumberOrTag::Latest).await?;
            let pending = self.nonce(BlockNumberOrTag::Pending).await?;
            if mined >= pending || start.elapsed() > patience {
                return Ok(());
            }
            info!(target: "batcher", mined, pending, "waiting for earlier transactions to mine");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn nonce(&self, tag: BlockNumberOrTag) -> Result<u64, TxError> {
        self.l1.get_transaction_count(self.from).block_id(tag.into()).await.map_err(rpc)
    }

    /// The L1's current base fee and blob base fee (for choosing calldata or blobs).
    pub async fn prices(&self) -> Result<(u128, u128), TxError> {
        let base = self.base_fee().await?;
        let blob = self.l1.get_blob_base_fee().await.map_err(rpc)?.max(1);
        Ok((base, blob))
    }

    /// The latest L1 block's base fee (1 gwei on a chain without one).
    async fn base_fee(&self) -> Result<u128, TxError> {
        let block = self
            .l1
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| TxError::Rpc("no latest block".into()))?;
        Ok(u128::from(block.header.base_fee_per_gas.unwrap_or(1_000_000_000)))
    }

    /// Whether L1 knows any of `hashes` (pending or mined).
    async fn known(&self, hashes: &[B256]) -> Result<bool, TxError> {
        for hash in hashes.iter().rev() {
            if self.l1.get_transaction_by_hash(*hash).await.map_err(rpc)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Current market fees: tip from `eth_maxPriorityFeePerGas`, fee cap twice the base fee
    /// plus the tip, blob fee cap twice the blob base fee.
    async fn market(&self) -> Result<Fees, TxError> {
        let base = self.base_fee().await?;
        let tip = self.l1.get_max_priority_fee_per_gas().await.map_err(rpc)?.max(1_000_000);
        let blob = self.l1.get_blob_base_fee().await.map_err(rpc)?.max(1);
        Ok(Fees {
            tip,
            fee_cap: base.saturating_mul(2).saturating_add(tip),
            blob_fee_cap: blob.saturating_mul(2),
        })
    }

    /// Moves `payload` along; call it every poll.
    pub async fn poll(&mut self, payload: &mut Pending) -> Result<Progress, TxError> {
        match payload.flight.clone() {
            None => {
                // Payloads are sent in order, so nonces are handed out locally: several may wait
                // in the L1 pool at once. A failed send takes no nonce.
                let nonce = match self.next_nonce {
                    Some(n) => n,
                    None => self.nonce(BlockNumberOrTag::Latest).await?,
                };
                let fees = self.market().await?;
                let hash = self.send(&payload.carrier, nonce, fees).await?;
                self.next_nonce = Some(nonce + 1);
                info!(target: "batcher", id = payload.id, %hash, nonce, "payload sent");
                payload.flight =
                    Some(Flight::Sent { hashes: vec![hash], nonce, fees, at: Instant::now() });
                Ok(Progress::Waiting)
            }
            Some(sent @ Flight::Sent { .. }) => {
                let Flight::Sent { mut hashes, nonce, fees, at } = sent.clone() else {
                    return Ok(Progress::Waiting);
                };
                let mut landed = None;
                for hash in &hashes {
                    if let Some(r) = self.l1.get_transaction_receipt(*hash).await.map_err(rpc)? {
                        landed = Some((*hash, r));
                        break;
                    }
                }
                if let Some((hash, receipt)) = landed {
                    let (Some(block), Some(block_hash)) =
                        (receipt.block_number, receipt.block_hash)
                    else {
                        return Ok(Progress::Waiting);
                    };
                    if !receipt.status() {
                        // The inbox refused it (not the batcher any more?): try again later.
                        warn!(target: "batcher", %hash, "batch transaction reverted on L1");
                        payload.flight = None;
                        return Ok(Progress::Waiting);
                    }
                    let blob_fee = receipt
                        .blob_gas_used
                        .zip(receipt.blob_gas_price)
                        .map_or(0, |(g, p)| u128::from(g) * p);
                    let fee = u128::from(receipt.gas_used)
                        .saturating_mul(receipt.effective_gas_price)
                        .saturating_add(blob_fee);
                    payload.flight = Some(Flight::Included {
                        hash,
                        block,
                        block_hash,
                        fee,
                        sent: Box::new(sent),
                    });
                    return Ok(Progress::Included(block));
                }
                if at.elapsed() < self.resubmission_timeout {
                    // An L1 reorg can drop a mined attempt before its receipt was seen, and a
                    // node restart can empty its pool: known to nobody, it is sent again now
                    // rather than after the resubmission timeout.
                    if self.known(&hashes).await? {
                        return Ok(Progress::Waiting);
                    }
                    let fees = fees.max(self.market().await?);
                    let hash = self.send(&payload.carrier, nonce, fees).await?;
                    warn!(target: "batcher", id = payload.id, %hash, nonce, "batch transaction dropped from the L1 pool; resending");
                    if !hashes.contains(&hash) {
                        hashes.push(hash);
                    }
                    payload.flight = Some(Flight::Sent { hashes, nonce, fees, at });
                    return Ok(Progress::Waiting);
                }
                if self.nonce(BlockNumberOrTag::Latest).await? > nonce {
                    // The nonce is used. If not by one of our attempts (it may have landed
                    // since the receipts were read: look again), then by something else, such
                    // as a transaction from before a restart: send again with the next nonce.
                    for hash in &hashes {
                        if self.l1.get_transaction_receipt(*hash).await.map_err(rpc)?.is_some() {
                            return Ok(Progress::Waiting);
                        }
                    }
                    warn!(target: "batcher", id = payload.id, nonce, "nonce taken; resending");
                    payload.flight = None;
                    return Ok(Progress::Waiting);
                }
                let bumped = fees.bumped(self.market().await?);
                let hash = self.send(&payload.carrier, nonce, bumped).await?;
                self.bumps += 1;
                warn!(target: "batcher", id = payload.id, %hash, nonce, tip = bumped.tip, fee_cap = bumped.fee_cap, "stuck; fees bumped");
                hashes.push(hash);
                payload.flight =
                    Some(Flight::Sent { hashes, nonce, fees: bumped, at: Instant::now() });
                Ok(Progress::Waiting)
            }
            Some(Flight::Included { hash, block, block_hash, fee, sent }) => {
                let canonical = self
                    .l1
                    .get_block_by_number(BlockNumberOrTag::Number(block))
                    .await
                    .map_err(rpc)?
                    .map(|b| b.header.hash);
                if canonical != Some(block_hash) {
                    warn!(target: "batcher", id = payload.id, %hash, block, "batch reorged out of L1; resending");
                    // Back to Sent with the same nonce and attempts: the next poll sees whether an
                    // attempt lands again, is back in the pool (then it waits as usual), or is
                    // known to nobody (then it is sent again at once).
                    payload.flight = match *sent {
                        Flight::Sent { hashes, nonce, fees, .. } => {
                            Some(Flight::Sent { hashes, nonce, fees, at: Instant::now() })
                        }
                        Flight::Included { .. } => None,
                    };
                    return Ok(Progress::Reorged);
                }
                let head = self.l1.get_block_number().await.map_err(rpc)?;
                if head + 1 >= block + self.num_confirmations {
                    self.fees_spent = self.fees_spent.saturating_add(fee);
                    return Ok(Progress::Confirmed { block, hash: block_hash });
                }
                Ok(Progress::Included(block))
            }
        }
    }

    async fn send(&self, carrier: &Carrier, nonce: u64, fees: Fees) -> Result<B256, TxError> {
        let mut request = TransactionRequest::default()
            .with_from(self.from)
            .with_to(self.inbox)
            .with_nonce(nonce)
            .with_chain_id(self.chain_id)
            .with_max_priority_fee_per_gas(fees.tip)
            .with_max_fee_per_gas(fees.fee_cap);
        match carrier {
            Carrier::Calldata(data) => {
                let input = SettlementInbox::submitBatchCall { _data: data.clone() }.abi_encode();
                request = request.with_input(input);
            }
            Carrier::Blobs(sidecar) => {
                let blobs = alloy_primitives::U256::from(sidecar.blobs.len());
                let input = SettlementInbox::submitBlobBatchCall { _numBlobs: blobs }.abi_encode();
                request = request
                    .with_input(input)
                    .with_blob_sidecar(sidecar.clone().into())
                    .with_max_fee_per_blob_gas(fees.blob_fee_cap);
            }
        }
        let gas = self.l1.estimate_gas(request.clone()).await.map_err(rpc)?;
        request = request.with_gas_limit(gas.saturating_add(gas / 5));
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .wallet(self.wallet.clone())
            .connect_provider(self.l1.clone());
        let pending = provider.send_transaction(request).await.map_err(rpc)?;
        Ok(*pending.tx_hash())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_bump_by_at_least_ten_percent_and_double_blob_fees() {
        let old = Fees { tip: 100, fee_cap: 1_000, blob_fee_cap: 50 };
        let quiet = Fees { tip: 1, fee_cap: 1, blob_fee_cap: 1 };
        assert_eq!(old.bumped(quiet), Fees { tip: 111, fee_cap: 1_101, blob_fee_cap: 100 });
        let busy = Fees { tip: 500, fee_cap: 5_000, blob_fee_cap: 500 };
        assert_eq!(old.bumped(busy), busy);
    }
}
