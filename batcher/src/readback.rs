//! Reading back what the inbox holds: the payloads of each L1 block's batch events (calldata
//! from the transaction input, blobs from the beacon API), and the newest L2 block that a
//! complete channel on L1 covers.
//!
//! This is how the batcher resumes after a restart without a database: L1 is the record. It
//! uses the same rules as derivation (`ol_protocol::batch::inbox_batch`, `calldata_batch`,
//! OP's frames and blob packing), so what it counts as posted is what derivation will read.

use crate::l2::L2Client;
use alloy_eips::eip4844::Blob;
use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolEvent;
use ol_protocol::{
    batch::{
        ChannelAssembler, InboxBatch, calldata_batch, decode_blob, decode_channel, inbox_batch,
        parse_payload,
    },
    contracts::SettlementInbox,
};
use std::collections::HashMap;
use tracing::{debug, info};

/// L1 blocks per `eth_getLogs` request while scanning back.
const SCAN_STEP: u64 = 1_000;

/// Why reading L1 failed (retried by the caller).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The L1 RPC failed.
    #[error("L1 RPC: {0}")]
    Rpc(String),
    /// The beacon API failed or answered something unexpected.
    #[error("beacon API: {0}")]
    Beacon(String),
    /// The L2 RPC failed.
    #[error(transparent)]
    L2(#[from] crate::l2::L2Error),
}

fn rpc(e: impl std::fmt::Display) -> ReadError {
    ReadError::Rpc(e.to_string())
}

/// One payload found on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPayload {
    /// L1 block number.
    pub l1_block: u64,
    /// The transaction that carried it.
    pub tx_hash: B256,
    /// Whether it came from a blob.
    pub blob: bool,
    /// The payload (version byte and frames).
    pub data: Bytes,
}

/// Reads the inbox of one rollup.
#[derive(Debug, Clone)]
pub struct InboxReader {
    l1: RootProvider,
    beacon: String,
    inbox: Address,
    http: reqwest::Client,
}

#[derive(serde::Deserialize)]
struct BeaconBlobs {
    data: Vec<Bytes>,
}

impl InboxReader {
    /// A reader of `inbox` through the L1 RPC and the beacon API at `beacon` (anvil serves
    /// both on one port).
    pub fn new(l1: RootProvider, beacon: &str, inbox: Address) -> Self {
        Self {
            l1,
            beacon: beacon.trim_end_matches('/').to_string(),
            inbox,
            http: reqwest::Client::new(),
        }
    }

    fn filter(&self) -> Filter {
        Filter::new().address(self.inbox).event_signature(vec![
            SettlementInbox::BatchSubmitted::SIGNATURE_HASH,
            SettlementInbox::BlobBatchSubmitted::SIGNATURE_HASH,
        ])
    }

    /// The payloads posted in L1 blocks `from..=to`, in L1 order. Events whose data does not
    /// check out are skipped, as derivation skips them.
    pub async fn payloads(&self, from: u64, to: u64) -> Result<Vec<FoundPayload>, ReadError> {
        let logs =
            self.l1.get_logs(&self.filter().from_block(from).to_block(to)).await.map_err(rpc)?;
        let mut out = Vec::new();
        for log in &logs {
            out.extend(self.log_payloads(log).await?);
        }
        Ok(out)
    }

    async fn log_payloads(&self, log: &Log) -> Result<Vec<FoundPayload>, ReadError> {
        let (Some(tx_hash), Some(l1_block), Some(block_hash)) =
            (log.transaction_hash, log.block_number, log.block_hash)
        else {
            return Ok(Vec::new());
        };
        match inbox_batch(self.inbox, &log.inner) {
            Some(InboxBatch::Calldata { data_hash }) => {
                let Some(tx) = self.l1.get_transaction_by_hash(tx_hash).await.map_err(rpc)? else {
                    return Ok(Vec::new());
                };
                use alloy_consensus::Transaction as _;
                Ok(calldata_batch(tx.input(), data_hash)
                    .ok()
                    .map(|data| FoundPayload { l1_block, tx_hash, blob: false, data })
                    .into_iter()
                    .collect())
            }
            Some(InboxBatch::Blobs { hashes }) => {
                let mut out = Vec::with_capacity(hashes.len());
                for hash in hashes {
                    let blob = self.blob(block_hash, hash).await?;
                    if let Ok(data) = decode_blob(&blob) {
                        out.push(FoundPayload { l1_block, tx_hash, blob: true, data: data.into() });
                    }
                }
                Ok(out)
            }
            None => Ok(Vec::new()),
        }
    }

    /// The blob with `versioned_hash` in L1 block `block_hash`, from the beacon API.
    async fn blob(&self, block_hash: B256, versioned_hash: B256) -> Result<Box<Blob>, ReadError> {
        let url = format!(
            "{}/eth/v1/beacon/blobs/{block_hash}?versioned_hashes={versioned_hash}",
            self.beacon
        );
        let beacon = |e: &dyn std::fmt::Display| ReadError::Beacon(format!("{url}: {e}"));
        let response = self.http.get(&url).send().await.map_err(|e| beacon(&e))?;
        if !response.status().is_success() {
            return Err(beacon(&response.status()));
        }
        let body: BeaconBlobs = response.json().await.map_err(|e| beacon(&e))?;
        let [data] = &body.data[..] else {
            return Err(beacon(&format!("{} blobs for one hash", body.data.len())));
        };
        let blob = Blob::try_from(&data[..]).map_err(|e| beacon(&e))?;
        Ok(Box::new(blob))
    }

    /// The newest L2 block covered by a complete channel on L1 that still fits the L2 chain
    /// (its first block's parent and its last block's L1 origin are the ones `l2` has), scanning
    /// back from the L1 head to `genesis_l1`. `None`: nothing posted yet.
    pub async fn posted_through(
        &self,
        l2: &L2Client,
        genesis_l1: u64,
    ) -> Result<Option<u64>, ReadError> {
        let head = self.l1.get_block_number().await.map_err(rpc)?;
        let mut to = head;
        // Frames of channels seen so far, newest L1 blocks first; channels may span requests.
        let mut channels: HashMap<[u8; 16], ChannelAssembler> = HashMap::new();
        loop {
            let from = to.saturating_sub(SCAN_STEP - 1).max(genesis_l1);
            let payloads = self.payloads(from, to).await?;
            debug!(target: "batcher", from, to, payloads = payloads.len(), "scanning the inbox");
            for payload in payloads.iter().rev() {
                let Ok(frames) = parse_payload(&payload.data) else { continue };
                for frame in frames {
                    let id = frame.id;
                    let assembler = channels
                        .entry(id)
                        .or_insert_with(|| ChannelAssembler::new(id, payload.l1_block));
                    if assembler.add_frame(frame).is_err() || !assembler.is_ready() {
                        continue;
                    }
                    let Some(data) = assembler.data() else { continue };
                    let Ok(raw) = decode_channel(&data) else { continue };
                    let header = raw.header();
                    let Some(last) =
                        (header.first_number + raw.block_count() as u64).checked_sub(1)
                    else {
                        continue;
                    };
                    if self.fits(l2, header, last).await? {
                        info!(target: "batcher", l1_block = payload.l1_block, last, "found the newest posted channel");
                        return Ok(Some(last));
                    }
                }
            }
            if from <= genesis_l1 {
                return Ok(None);
            }
            to = from - 1;
        }
    }

    async fn fits(
        &self,
        l2: &L2Client,
        header: &ol_protocol::batch::BatchHeader,
        last: u64,
    ) -> Result<bool, ReadError> {
        let Some(parent) = header.first_number.checked_sub(1) else { return Ok(false) };
        let Some(parent_hash) = l2.block_hash(parent).await? else { return Ok(false) };
        if parent_hash[..20] != header.parent_check {
            return Ok(false);
        }
        let Some(block) = l2.block(last).await? else { return Ok(false) };
        Ok(block.origin_hash[..20] == header.origin_check)
    }
}
