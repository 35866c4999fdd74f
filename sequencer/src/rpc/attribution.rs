//! `ol_` reads of the attribution precompiles: datanet statistics, an adapter with its versions,
//! and the attribution a transaction recorded.
//!
//! They answer from the same state and receipts as everything else (precompile calls through
//! `eth_call`, `InfluenceScored` logs from receipts), so they can never disagree with the chain.

use crate::rpc::{
    error::{RpcError, RpcResult},
    eth::EthApi,
};
use alloy_consensus::TxReceipt;
use alloy_primitives::{Address, B256, Bytes};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolEvent};
use jsonrpsee::{core::RpcResult as JsonResult, proc_macros::rpc};
use ol_precompiles::abi::{
    ADAPTER_REGISTRY_ADDRESS, IAdapterRegistry as A, IInfluenceAttribution as I, INFLUENCE_ADDRESS,
};
use serde::Serialize;

/// Statistics of one influence datanet.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatanetStats {
    /// Datanet id.
    pub id: u64,
    /// Owner (may add points).
    pub owner: Address,
    /// Sketch dimension.
    pub dim: u16,
    /// Registered data points.
    pub points: u32,
    /// Distinct contributors.
    pub contributors: u32,
}

/// An adapter and its lineage.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdapterInfo {
    /// Adapter id.
    pub id: u64,
    /// Owner.
    pub owner: Address,
    /// Base model id.
    pub base_model_id: B256,
    /// Hash of the weights.
    pub weights_hash: B256,
    /// LoRA rank.
    pub rank: u16,
    /// LoRA alpha.
    pub alpha: u32,
    /// Target-module bitmask.
    pub target_modules: u32,
    /// Datanets it was trained on.
    pub training_datanets: Vec<u64>,
    /// Where the weights are.
    pub uri: String,
    /// Parent version (0: a root).
    pub parent: u64,
    /// Version number.
    pub version: u32,
    /// "active", "deprecated" or "revoked".
    pub status: &'static str,
    /// Ids from the root version to this one.
    pub lineage: Vec<u64>,
}

/// One contributor's share of an attribution.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareInfo {
    /// Contributor.
    pub contributor: Address,
    /// Basis points (all shares of one result sum to 10,000).
    pub bps: u16,
}

/// An attribution recorded by a transaction (`recordScore`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedAttribution {
    /// Who called the precompile.
    pub caller: Address,
    /// keccak256 of the query.
    pub query_hash: B256,
    /// The shares.
    pub shares: Vec<ShareInfo>,
}

/// `ol_` attribution reads.
#[rpc(server, namespace = "ol")]
pub trait OlAttributionRpc {
    /// Statistics of an influence datanet.
    #[method(name = "datanet")]
    async fn datanet(&self, id: u64) -> JsonResult<Option<DatanetStats>>;
    /// An adapter and its lineage.
    #[method(name = "adapter")]
    async fn adapter(&self, id: u64) -> JsonResult<Option<AdapterInfo>>;
    /// The attributions a transaction recorded.
    #[method(name = "attribution")]
    async fn attribution(&self, tx: B256) -> JsonResult<Option<Vec<RecordedAttribution>>>;
}

/// Handler of the `ol_` attribution reads.
#[derive(Debug, Clone)]
pub struct AttributionApi {
    eth: EthApi,
}

impl AttributionApi {
    /// A handler answering through `eth`.
    pub fn new(eth: EthApi) -> Self {
        Self { eth }
    }

    /// Calls a precompile at the latest block; `None` when it reverts (unknown id).
    async fn view(&self, to: Address, data: Vec<u8>) -> RpcResult<Option<Bytes>> {
        let request = TransactionRequest {
            to: Some(to.into()),
            input: Bytes::from(data).into(),
            ..Default::default()
        };
        match self.eth.call_at(request, None, None, None).await {
            Ok(out) => Ok(Some(out)),
            Err(RpcError::Reverted { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn decode_err(e: alloy_sol_types::Error) -> RpcError {
    RpcError::Internal(format!("precompile answer did not decode: {e}"))
}

#[jsonrpsee::core::async_trait]
impl OlAttributionRpcServer for AttributionApi {
    async fn datanet(&self, id: u64) -> JsonResult<Option<DatanetStats>> {
        let out =
            self.view(INFLUENCE_ADDRESS, I::datanetInfoCall { datanetId: id }.abi_encode()).await?;
        let Some(out) = out else { return Ok(None) };
        let r = I::datanetInfoCall::abi_decode_returns(&out).map_err(decode_err)?;
        Ok(Some(DatanetStats {
            id,
            owner: r.owner,
            dim: r.dim,
            points: r.points,
            contributors: r.contributors,
        }))
    }

    async fn adapter(&self, id: u64) -> JsonResult<Option<AdapterInfo>> {
        let Some(out) =
            self.view(ADAPTER_REGISTRY_ADDRESS, A::getAdapterCall { id }.abi_encode()).await?
        else {
            return Ok(None);
        };
        let a = A::getAdapterCall::abi_decode_returns(&out).map_err(decode_err)?;
        let lineage =
            match self.view(ADAPTER_REGISTRY_ADDRESS, A::versionsCall { id }.abi_encode()).await? {
                Some(out) => A::versionsCall::abi_decode_returns(&out).map_err(decode_err)?,
                None => vec![id],
            };
        let status = match a.status {
            A::Status::Active => "active",
            A::Status::Deprecated => "deprecated",
            _ => "revoked",
        };
        Ok(Some(AdapterInfo {
            id: a.id,
            owner: a.owner,
            base_model_id: a.params.baseModelId,
            weights_hash: a.params.weightsHash,
            rank: a.params.rank,
            alpha: a.params.alpha,
            target_modules: a.params.targetModules,
            training_datanets: a.params.trainingDatanets,
            uri: a.params.uri,
            parent: a.parent,
            version: a.version,
            status,
            lineage,
        }))
    }

    async fn attribution(&self, tx: B256) -> JsonResult<Option<Vec<RecordedAttribution>>> {
        let Some(receipt) = self.eth.receipt_by_hash(tx).await? else { return Ok(None) };
        let mut out = Vec::new();
        for log in receipt.inner.inner.receipt.logs() {
            if log.address() != INFLUENCE_ADDRESS
                || log.topics().first() != Some(&I::InfluenceScored::SIGNATURE_HASH)
            {
                continue;
            }
            let event = I::InfluenceScored::decode_log_data(&log.inner.data).map_err(decode_err)?;
            out.push(RecordedAttribution {
                caller: event.caller,
                query_hash: event.queryHash,
                shares: event
                    .shares
                    .iter()
                    .map(|s| ShareInfo { contributor: s.contributor, bps: s.bps })
                    .collect(),
            });
        }
        Ok(Some(out))
    }
}
