//! Reading L1 over JSON-RPC: heads, headers, the portal's deposit logs, and the inbox's batch
//! payloads (calldata from the transaction, blobs from the beacon API).

use super::{L1Block, L1Error};
use alloy_eips::{BlockNumberOrTag, eip7840::BlobParams};
use alloy_primitives::{Address, B256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::SolEvent;
use ol_protocol::{contracts::OpenPortal, deposit, epoch::L1Ref};
use tracing::warn;

/// Blob fee parameters of an L1 header's fork (Prague headers carry a requests hash).
fn blob_params(header: &alloy_consensus::Header) -> BlobParams {
    if header.requests_hash.is_some() { BlobParams::prague() } else { BlobParams::cancun() }
}

/// An L1 JSON-RPC endpoint (and the beacon API that serves its blobs).
#[derive(Debug, Clone)]
pub struct L1Client {
    provider: RootProvider,
    beacon: String,
    http: reqwest::Client,
}

/// A batch payload found in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPayload {
    /// The L1 block that holds it.
    pub l1_block: u64,
    /// That block's hash.
    pub l1_hash: B256,
    /// Version byte and frames.
    pub data: alloy_primitives::Bytes,
}

#[derive(serde::Deserialize)]
struct BeaconBlobs {
    data: Vec<alloy_primitives::Bytes>,
}

fn rpc(e: impl std::fmt::Display) -> L1Error {
    L1Error::Rpc(e.to_string())
}

impl L1Client {
    /// A client of the HTTP endpoint `url`, reading blobs from the beacon API at `beacon`
    /// (anvil serves it on its RPC port).
    pub fn new(url: &str, beacon: &str) -> Result<Self, L1Error> {
        let parsed = url.parse().map_err(|e| L1Error::Rpc(format!("bad L1 URL {url}: {e}")))?;
        Ok(Self {
            provider: RootProvider::new_http(parsed),
            beacon: beacon.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        })
    }

    /// The balance of `address` at the L1 head, in wei.
    pub async fn balance(&self, address: Address) -> Result<alloy_primitives::U256, L1Error> {
        self.provider.get_balance(address).await.map_err(rpc)
    }

    /// The newest finalized block number (`None` before L1 finalizes anything).
    pub async fn finalized_number(&self) -> Result<Option<u64>, L1Error> {
        let block =
            self.provider.get_block_by_number(BlockNumberOrTag::Finalized).await.map_err(rpc)?;
        Ok(block.map(|b| b.header.number))
    }

    /// The batch payloads the inbox recorded in L1 blocks `from..=to`, in L1 order, by the
    /// rules of `ol_protocol::batch::{inbox_batch, calldata_batch}`: events whose data does not
    /// check out are skipped, as derivation skips them.
    pub async fn inbox_payloads(
        &self,
        inbox: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<InboxPayload>, L1Error> {
        use alloy_consensus::Transaction as _;
        use ol_protocol::{
            batch::{InboxBatch, calldata_batch, decode_blob, inbox_batch},
            contracts::SettlementInbox,
        };
        let filter = Filter::new()
            .address(inbox)
            .event_signature(vec![
                SettlementInbox::BatchSubmitted::SIGNATURE_HASH,
                SettlementInbox::BlobBatchSubmitted::SIGNATURE_HASH,
            ])
            .from_block(from)
            .to_block(to);
        let mut logs = self.provider.get_logs(&filter).await.map_err(rpc)?;
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        let mut out = Vec::new();
        for log in logs {
            let (Some(l1_block), Some(l1_hash), Some(tx_hash)) =
                (log.block_number, log.block_hash, log.transaction_hash)
            else {
                return Err(L1Error::Invalid("inbox log without its block or transaction".into()));
            };
            match inbox_batch(inbox, &log.inner) {
                Some(InboxBatch::Calldata { data_hash }) => {
                    let tx = self
                        .provider
                        .get_transaction_by_hash(tx_hash)
                        .await
                        .map_err(rpc)?
                        .ok_or_else(|| L1Error::Invalid(format!("logged tx {tx_hash} missing")))?;
                    match calldata_batch(tx.input(), data_hash) {
                        Ok(data) => out.push(InboxPayload { l1_block, l1_hash, data }),
                        Err(e) => {
                            warn!(target: "l1", %tx_hash, error = %e, "inbox calldata skipped")
                        }
                    }
                }
                Some(InboxBatch::Blobs { hashes }) => {
                    for hash in hashes {
                        let blob = self.blob(l1_hash, hash).await?;
                        match decode_blob(&blob) {
                            Ok(data) => {
                                out.push(InboxPayload { l1_block, l1_hash, data: data.into() })
                            }
                            Err(e) => warn!(target: "l1", %tx_hash, error = %e, "blob skipped"),
                        }
                    }
                }
                None => {}
            }
        }
        Ok(out)
    }

    /// The blob with `versioned_hash` in L1 block `block_hash`, from the beacon API.
    async fn blob(
        &self,
        block_hash: B256,
        versioned_hash: B256,
    ) -> Result<Box<alloy_eips::eip4844::Blob>, L1Error> {
        let url = format!(
            "{}/eth/v1/beacon/blobs/{block_hash}?versioned_hashes={versioned_hash}",
            self.beacon
        );
        let fail = |e: &dyn std::fmt::Display| L1Error::Rpc(format!("beacon {url}: {e}"));
        let response = self.http.get(&url).send().await.map_err(|e| fail(&e))?;
        if !response.status().is_success() {
            return Err(fail(&response.status()));
        }
        let body: BeaconBlobs = response.json().await.map_err(|e| fail(&e))?;
        let [data] = &body.data[..] else {
            return Err(fail(&format!("{} blobs for one hash", body.data.len())));
        };
        let blob = alloy_eips::eip4844::Blob::try_from(&data[..]).map_err(|e| fail(&e))?;
        Ok(Box::new(blob))
    }

    /// The L1 chain id.
    pub async fn chain_id(&self) -> Result<u64, L1Error> {
        self.provider.get_chain_id().await.map_err(rpc)
    }

    /// The newest block number.
    pub async fn head_number(&self) -> Result<u64, L1Error> {
        self.provider.get_block_number().await.map_err(rpc)
    }

    /// The hash of canonical block `number`, if L1 has one.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc)?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Canonical block `number` with the deposits `portal` logged in it. A deposit log that does
    /// not decode is skipped with a warning (garbage on L1 never stops the chain).
    pub async fn block(&self, number: u64, portal: Address) -> Result<L1Block, L1Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc)?
            .ok_or_else(|| L1Error::Invalid(format!("no block {number} below the head")))?;
        let header = &block.header;
        let hash = header.hash;
        let filter = Filter::new()
            .address(portal)
            .event_signature(OpenPortal::TransactionDeposited::SIGNATURE_HASH)
            .at_block_hash(hash);
        let mut logs = self.provider.get_logs(&filter).await.map_err(rpc)?;
        logs.sort_by_key(|l| l.log_index);
        let mut deposits = Vec::with_capacity(logs.len());
        for log in logs {
            if log.block_hash != Some(hash) {
                return Err(L1Error::Invalid(format!("log of another block in block {number}")));
            }
            let Some(index) = log.log_index else {
                return Err(L1Error::Invalid(format!("log without index in block {number}")));
            };
            match deposit::deposit_from_log(&log.inner, hash, index) {
                Ok(tx) => deposits.push(tx),
                Err(e) => {
                    warn!(target: "l1", number, index, error = %e, "undecodable deposit skipped")
                }
            }
        }
        Ok(L1Block {
            id: L1Ref {
                number: header.number,
                hash,
                parent_hash: header.parent_hash,
                timestamp: header.timestamp,
            },
            base_fee: header.base_fee_per_gas.map_or(0, u128::from),
            // Blob fees follow the L1 block's fork: Prague headers carry a requests hash.
            blob_base_fee: header.inner.blob_fee(blob_params(&header.inner)).unwrap_or(1),
            mix_hash: header.mix_hash,
            parent_beacon_root: header.parent_beacon_block_root.unwrap_or_default(),
            deposits,
        })
    }
}
