//! Transaction submission and look-ups.

use super::EthApi;
use crate::rpc::{
    convert,
    error::{RpcError, RpcResult},
};
use alloy_eips::BlockId;
use alloy_primitives::{B256, Bytes};
use alloy_rpc_types_eth::BlockNumberOrTag;
use ol_protocol::L1BlockInfo;
use op_alloy::rpc_types::{OpTransactionReceipt, Transaction as OpTransaction};

impl EthApi {
    /// Validates and pools a raw transaction.
    pub(crate) async fn submit(&self, raw: Bytes) -> RpcResult<B256> {
        self.refuse_if_follower()?;
        Ok(self.chain.add_raw_transaction(&raw)?.hash)
    }

    /// A node that derives its chain from L1 takes no transactions: they would never be mined.
    fn refuse_if_follower(&self) -> Result<(), crate::rpc::error::RpcError> {
        if self.chain.options.follower {
            return Err(crate::rpc::error::RpcError::Unsupported(
                "this node derives the chain from L1 (--follow-l1) and takes no transactions; \
                 send them to the sequencer"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Submits and waits until the transaction is in a committed block (EIP-7966).
    pub(crate) async fn submit_sync(
        &self,
        raw: Bytes,
        timeout_ms: Option<u64>,
    ) -> RpcResult<OpTransactionReceipt> {
        let timeout = std::time::Duration::from_millis(timeout_ms.unwrap_or(2_000).min(60_000));
        self.refuse_if_follower()?;
        // Subscribe before submitting so the including block cannot be missed.
        let mut blocks = self.chain.subscribe_blocks();
        let hash = self.chain.add_raw_transaction(&raw)?.hash;
        let wait = async {
            loop {
                match blocks.recv().await {
                    Ok(block) if block.transactions.iter().any(|t| t.tx.hash == hash) => {
                        return Ok(());
                    }
                    Ok(_) => continue,
                    // Missed some blocks: fall back to the store.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        if self.chain.store.transaction(hash).await?.is_some() {
                            return Ok(());
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        return Err(RpcError::Internal("node shutting down".into()));
                    }
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(RpcError::Timeout { hash, millis: timeout.as_millis() as u64 });
            }
        }
        self.receipt_by_hash(hash)
            .await?
            .ok_or_else(|| RpcError::Internal("receipt missing after inclusion".into()))
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
        let spec = self.chain.evm.spec_at(header.timestamp);
        Ok(Some(convert::receipt(&tx, &header, l1.as_ref(), spec)))
    }
}
