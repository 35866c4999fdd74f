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
    ITokenAttribution as T, TOKEN_ATTRIBUTION_ADDRESS,
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

/// An attribution recorded by a transaction (`recordScore` or `recordAttribution`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedAttribution {
    /// `influence` (an `InfluenceScored` log) or `tokens` (a `TokensAttributed` log).
    pub kind: &'static str,
    /// The precompile that recorded it.
    pub precompile: Address,
    /// Who called the precompile.
    pub caller: Address,
    /// keccak256 of the `recordScore` calldata (influence) or of the output tokens (tokens).
    pub query_hash: B256,
    /// The shares.
    pub shares: Vec<ShareInfo>,
}

/// A datanet or adapter id as JSON-RPC users write it: a JSON number (`1`) or a quantity string
/// (`"0x1"`, as every `eth_` quantity and `cast rpc` write it; a decimal string `"1"` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub u64);

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        let bad = |s: &str| {
            serde::de::Error::custom(format!(
                "invalid id {s:?}: expected a number, a 0x quantity or a decimal string"
            ))
        };
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Self(n)),
            Raw::Text(s) => {
                let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(hex) if !hex.is_empty() => u64::from_str_radix(hex, 16),
                    Some(_) => return Err(bad(&s)),
                    None => s.parse::<u64>(),
                };
                parsed.map(Self).map_err(|_| bad(&s))
            }
        }
    }
}

/// `ol_` attribution reads.
#[rpc(server, namespace = "ol")]
pub trait OlAttributionRpc {
    /// Statistics of an influence datanet.
    #[method(name = "datanet")]
    async fn datanet(&self, id: Id) -> JsonResult<Option<DatanetStats>>;
    /// An adapter and its lineage.
    #[method(name = "adapter")]
    async fn adapter(&self, id: Id) -> JsonResult<Option<AdapterInfo>>;
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
    async fn datanet(&self, Id(id): Id) -> JsonResult<Option<DatanetStats>> {
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

    async fn adapter(&self, Id(id): Id) -> JsonResult<Option<AdapterInfo>> {
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
            let topic = log.topics().first();
            let (kind, caller, query_hash, shares) = if log.address() == INFLUENCE_ADDRESS
                && topic == Some(&I::InfluenceScored::SIGNATURE_HASH)
            {
                let e = I::InfluenceScored::decode_log_data(&log.inner.data).map_err(decode_err)?;
                let shares = e.shares.iter().map(|s| (s.contributor, s.bps)).collect::<Vec<_>>();
                ("influence", e.caller, e.queryHash, shares)
            } else if log.address() == TOKEN_ATTRIBUTION_ADDRESS
                && topic == Some(&T::TokensAttributed::SIGNATURE_HASH)
            {
                let e =
                    T::TokensAttributed::decode_log_data(&log.inner.data).map_err(decode_err)?;
                let shares = e.shares.iter().map(|s| (s.contributor, s.bps)).collect::<Vec<_>>();
                ("tokens", e.caller, e.outputHash, shares)
            } else {
                continue;
            };
            out.push(RecordedAttribution {
                kind,
                precompile: log.address(),
                caller,
                query_hash,
                shares: shares
                    .into_iter()
                    .map(|(contributor, bps)| ShareInfo { contributor, bps })
                    .collect(),
            });
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn ids_parse_as_numbers_quantities_and_decimal_strings() {
        let id = |json: &str| serde_json::from_str::<Id>(json).map(|i| i.0);
        assert_eq!(id("1").ok(), Some(1));
        assert_eq!(id("\"0x1\"").ok(), Some(1));
        assert_eq!(id("\"0x1f\"").ok(), Some(31));
        assert_eq!(id("\"12\"").ok(), Some(12));
        for bad in ["\"0x\"", "\"0xzz\"", "\"one\"", "-1", "1.5", "null", "\"0x10000000000000000\""]
        {
            assert!(id(bad).is_err(), "{bad}");
        }
    }
}
