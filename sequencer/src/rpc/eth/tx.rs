//! Transaction submission and look-ups.

use super::EthApi;
use crate::{
    mempool::validate_raw,
    rpc::{convert, error::RpcResult},
};
use alloy_eips::BlockId;
use alloy_primitives::{B256, Bytes, U256};
use alloy_rpc_types_eth::BlockNumberOrTag;
use ol_protocol::L1BlockInfo;
use op_alloy::rpc_types::{OpTransactionReceipt, Transaction as OpTransaction};

impl EthApi {
    /// Validates and pools a raw transaction.
    pub(crate) async fn submit(&self, raw: Bytes) -> RpcResult<B256> {
        let ready = validate_raw(&raw, &self.chain.rules)?;
        let account = self.chain.state.read().account(&ready.sender());
        let base_fee = self.chain.next_base_fee();
        let head = self.chain.tip();
        let mut l1 = l1_fee_calculator(&self.chain.next_l1_info(&head));
        let spec = self.chain.evm.spec_at(head.timestamp);
        let l1_cost: U256 = l1.calculate_tx_l1_cost(&ready.encoded, spec);
        Ok(self.chain.pool.add(ready, account, base_fee, l1_cost)?)
    }

    /// A transaction by hash, mined or pooled.
    pub(crate) async fn tx_by_hash(&self, hash: B256) -> RpcResult<Option<OpTransaction>> {
        if let Some(tx) = self.chain.store.transaction(hash).await? {
            let Some(header) = self.chain.store.header(tx.block_number).await? else {
                return Ok(None);
            };
            return Ok(Some(convert::transaction(&tx, &header)));
        }
        Ok(self.chain.pool.get(&hash).map(|t| convert::pending_transaction(&t)))
    }

    /// A transaction by block hash and position.
    pub(crate) async fn tx_by_block_hash_index(
        &self,
        hash: B256,
        index: u64,
    ) -> RpcResult<Option<OpTransaction>> {
        let Some(number) = self.resolve(BlockId::Hash(hash.into())).await? else { return Ok(None) };
        self.tx_at(number, index).await
    }

    /// A transaction by block number and position.
    pub(crate) async fn tx_by_block_number_index(
        &self,
        number: BlockNumberOrTag,
        index: u64,
    ) -> RpcResult<Option<OpTransaction>> {
        let Some(number) = self.resolve(BlockId::Number(number)).await? else { return Ok(None) };
        self.tx_at(number, index).await
    }

    async fn tx_at(&self, number: u64, index: u64) -> RpcResult<Option<OpTransaction>> {
        let Some(tx) = self.chain.store.transaction_at(number, index).await? else {
            return Ok(None);
        };
        let Some(header) = self.chain.store.header(number).await? else { return Ok(None) };
        Ok(Some(convert::transaction(&tx, &header)))
    }

    /// A receipt by transaction hash.
    pub(crate) async fn receipt_by_hash(
        &self,
        hash: B256,
    ) -> RpcResult<Option<OpTransactionReceipt>> {
        let Some(tx) = self.chain.store.transaction(hash).await? else { return Ok(None) };
        let Some(header) = self.chain.store.header(tx.block_number).await? else { return Ok(None) };
        let l1 = self
            .chain
            .store
            .l1_info(tx.block_number)
            .await?
            .and_then(|d| L1BlockInfo::decode_isthmus(&d).ok());
        Ok(Some(convert::receipt(&tx, &header, l1.as_ref())))
    }
}

/// op-revm's fee calculator loaded with an L1 origin's parameters.
pub(crate) fn l1_fee_calculator(info: &L1BlockInfo) -> op_revm::L1BlockInfo {
    op_revm::L1BlockInfo {
        l1_base_fee: info.base_fee,
        l1_base_fee_scalar: U256::from(info.base_fee_scalar),
        l1_blob_base_fee: Some(info.blob_base_fee),
        l1_blob_base_fee_scalar: Some(U256::from(info.blob_base_fee_scalar)),
        operator_fee_scalar: Some(U256::from(info.operator_fee_scalar)),
        operator_fee_constant: Some(U256::from(info.operator_fee_constant)),
        ..Default::default()
    }
}
