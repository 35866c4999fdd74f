//! Reading L1 over JSON-RPC: heads, headers and the portal's deposit logs.

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

/// An L1 JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct L1Client {
    provider: RootProvider,
}

fn rpc(e: impl std::fmt::Display) -> L1Error {
    L1Error::Rpc(e.to_string())
}

impl L1Client {
    /// A client of the HTTP endpoint `url`.
    pub fn new(url: &str) -> Result<Self, L1Error> {
        let url = url.parse().map_err(|e| L1Error::Rpc(format!("bad L1 URL {url}: {e}")))?;
        Ok(Self { provider: RootProvider::new_http(url) })
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
