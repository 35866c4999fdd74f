//! Reading L2 blocks from the sequencer over JSON-RPC, in the shape the batch codec wants:
//! number, hash, parent hash, timestamp, the L1 origin (from the block's L1-attributes
//! deposit) and the non-deposit transactions as EIP-2718 bytes.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, Bytes};
use alloy_provider::{Provider, RootProvider};
use ol_protocol::L1BlockInfo;
use op_alloy::consensus::OpTxEnvelope;

/// Why an L2 read failed.
#[derive(Debug, thiserror::Error)]
pub enum L2Error {
    /// The RPC failed.
    #[error("L2 RPC: {0}")]
    Rpc(String),
    /// A block without a valid L1-attributes deposit first: not a block of this rollup.
    #[error("L2 block {0} does not open with an L1-attributes deposit")]
    NoL1Info(u64),
}

fn rpc(e: impl std::fmt::Display) -> L2Error {
    L2Error::Rpc(e.to_string())
}

/// An L2 block as the batcher posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Block {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// L1 origin number.
    pub origin_number: u64,
    /// L1 origin hash.
    pub origin_hash: B256,
    /// The transactions after the deposits, EIP-2718 encoded.
    pub transactions: Vec<Bytes>,
}

/// The sequencer's JSON-RPC.
#[derive(Debug, Clone)]
pub struct L2Client {
    provider: RootProvider,
}

type RpcBlock = alloy_rpc_types_eth::Block<op_alloy::rpc_types::Transaction>;

impl L2Client {
    /// A client of `url`.
    pub fn new(url: &str) -> Result<Self, L2Error> {
        let url = url.parse().map_err(|e| L2Error::Rpc(format!("bad L2 URL {url}: {e}")))?;
        Ok(Self { provider: RootProvider::new_http(url) })
    }

    /// The newest block number.
    pub async fn head(&self) -> Result<u64, L2Error> {
        self.provider.get_block_number().await.map_err(rpc)
    }

    /// The hash of block `number`, if the sequencer has it.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, L2Error> {
        let header: Option<alloy_rpc_types_eth::Block> = self
            .provider
            .raw_request("eth_getBlockByNumber".into(), (format!("0x{number:x}"), false))
            .await
            .map_err(rpc)?;
        Ok(header.map(|b| b.header.hash))
    }

    /// Block `number` with its transactions, if the sequencer has it.
    pub async fn block(&self, number: u64) -> Result<Option<L2Block>, L2Error> {
        let block: Option<RpcBlock> = self
            .provider
            .raw_request("eth_getBlockByNumber".into(), (format!("0x{number:x}"), true))
            .await
            .map_err(rpc)?;
        let Some(block) = block else { return Ok(None) };
        let txs: Vec<OpTxEnvelope> =
            block.transactions.into_transactions().map(|t| t.inner.inner.into_inner()).collect();
        let info = match txs.first() {
            Some(OpTxEnvelope::Deposit(d)) => L1BlockInfo::decode_isthmus(&d.input).ok(),
            _ => None,
        };
        let info = info.ok_or(L2Error::NoL1Info(number))?;
        let transactions =
            txs.iter().filter(|t| !t.is_deposit()).map(|t| Bytes::from(t.encoded_2718())).collect();
        Ok(Some(L2Block {
            number,
            hash: block.header.hash,
            parent_hash: block.header.parent_hash,
            timestamp: block.header.timestamp,
            origin_number: info.number,
            origin_hash: info.hash,
            transactions,
        }))
    }
}
