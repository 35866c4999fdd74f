//! Block look-ups and tag resolution.

use super::EthApi;
use crate::rpc::{
    convert::{self, RpcBlock},
    error::RpcResult,
};
use alloy_eips::BlockId;
use alloy_primitives::U64;
use alloy_rpc_types_eth::BlockNumberOrTag;
use ol_protocol::L1BlockInfo;
use op_alloy::rpc_types::OpTransactionReceipt;

impl EthApi {
    /// Resolves a block id to a number of a stored block (`None`: no such block).
    ///
    /// `pending` is the latest block (there is no pending block; pending *state* is handled by
    /// the state methods). `safe` and `finalized` are the latest block in dev mode; on an L1,
    /// the newest block whose batch sits on confirmed (finalized) L1 blocks.
    pub(crate) async fn resolve(&self, id: BlockId) -> RpcResult<Option<u64>> {
        let head = self.chain.head().number;
        Ok(match id {
            BlockId::Number(tag) => match tag {
                BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(head),
                BlockNumberOrTag::Safe => Some(self.chain.safe_number()),
                BlockNumberOrTag::Finalized => Some(self.chain.finalized_number()),
                BlockNumberOrTag::Earliest => Some(0),
                BlockNumberOrTag::Number(n) => (n <= head).then_some(n),
            },
            BlockId::Hash(hash) => self.chain.store.block_number(hash.block_hash).await?,
        })
    }

    /// A block in RPC form.
    pub(crate) async fn block_for(&self, id: BlockId, full: bool) -> RpcResult<Option<RpcBlock>> {
        let Some(number) = self.resolve(id).await? else { return Ok(None) };
        Ok(self.chain.store.block(number).await?.map(|b| convert::block(&b, full)))
    }

    /// Number of transactions in a block.
    pub(crate) async fn tx_count_of(&self, id: BlockId) -> RpcResult<Option<U64>> {
        let Some(number) = self.resolve(id).await? else { return Ok(None) };
        Ok(self.chain.store.block(number).await?.map(|b| U64::from(b.transactions.len())))
    }

    /// All receipts of a block.
    pub(crate) async fn receipts_of(
        &self,
        id: BlockId,
    ) -> RpcResult<Option<Vec<OpTransactionReceipt>>> {
        let Some(number) = self.resolve(id).await? else { return Ok(None) };
        let Some(block) = self.chain.store.block(number).await? else { return Ok(None) };
        let l1 = L1BlockInfo::decode_isthmus(&block.l1_info).ok();
        let spec = self.chain.evm.spec_at(block.header.timestamp);
        Ok(Some(
            block
                .transactions
                .iter()
                .map(|t| convert::receipt(t, &block.header, l1.as_ref(), spec))
                .collect(),
        ))
    }
}
