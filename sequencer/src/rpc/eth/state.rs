//! Account and storage reads at a block: latest from memory, older blocks from the change sets.

use super::EthApi;
use crate::rpc::error::{RpcError, RpcResult};
use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::{BlockNumberOrTag, EIP1186AccountProofResponse};
use alloy_serde::JsonStorageKey;

/// Where a state read is answered from.
pub(crate) enum StateAt {
    /// The head block (number given): answered from the live state while it still holds that
    /// block's post-state, else from the store.
    Latest(u64),
    /// The live state plus pooled transactions (nonces only).
    Pending,
    /// The state after an older block.
    Block(u64),
}

impl EthApi {
    /// Which state a block id refers to.
    pub(crate) async fn state_at(&self, block: Option<BlockId>) -> RpcResult<StateAt> {
        let block = block.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest));
        if matches!(block, BlockId::Number(BlockNumberOrTag::Pending)) {
            return Ok(StateAt::Pending);
        }
        let head = self.chain.head().number;
        match self.resolve(block).await? {
            Some(n) if n >= head => Ok(StateAt::Latest(head)),
            Some(n) => Ok(StateAt::Block(n)),
            None => Err(RpcError::HeaderNotFound),
        }
    }

    async fn account(
        &self,
        address: Address,
        at: &StateAt,
    ) -> RpcResult<Option<crate::state::AccountState>> {
        Ok(match at {
            StateAt::Pending => self.chain.state.read().account(&address),
            StateAt::Latest(n) => match self.chain.read_state_at(*n, |s| s.account(&address)) {
                Some(account) => account,
                None => self.chain.store.account_at(address, *n).await?,
            },
            StateAt::Block(n) => self.chain.store.account_at(address, *n).await?,
        })
    }

    pub(crate) async fn balance_at(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<U256> {
        let at = self.state_at(block).await?;
        Ok(self.account(address, &at).await?.map(|a| a.balance).unwrap_or_default())
    }

    pub(crate) async fn nonce_at(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<U256> {
        let at = self.state_at(block).await?;
        if matches!(at, StateAt::Pending)
            && let Some(nonce) = self.chain.pool.pending_nonce(&address)
        {
            return Ok(U256::from(nonce));
        }
        Ok(U256::from(self.account(address, &at).await?.map(|a| a.nonce).unwrap_or_default()))
    }

    pub(crate) async fn code_at(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<Bytes> {
        let at = self.state_at(block).await?;
        let Some(account) = self.account(address, &at).await? else { return Ok(Bytes::new()) };
        if let Some(code) = self.chain.state.read().code(&account.code_hash) {
            return Ok(code.original_bytes());
        }
        Ok(self
            .chain
            .store
            .code(account.code_hash)
            .await?
            .map(|c| c.original_bytes())
            .unwrap_or_default())
    }

    pub(crate) async fn slot_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256> {
        let at = self.state_at(block).await?;
        let key = U256::from_be_bytes(slot.as_b256().0);
        let value = match at {
            StateAt::Pending => self.chain.state.read().storage(&address, &key),
            StateAt::Latest(n) => {
                match self.chain.read_state_at(n, |s| s.storage(&address, &key)) {
                    Some(value) => value,
                    None => self.chain.store.storage_at(address, key, n).await?,
                }
            }
            StateAt::Block(n) => self.chain.store.storage_at(address, key, n).await?,
        };
        Ok(B256::from(value.to_be_bytes::<32>()))
    }

    /// Proofs are served for the latest state only (the tries are kept for the head).
    pub(crate) async fn account_proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        if keys.len() > 1_000 {
            return Err(RpcError::Limit("too many storage keys: at most 1000 per request".into()));
        }
        let slots: Vec<B256> = keys.iter().map(|k| k.as_b256()).collect();
        // The tries are the live state's, which moves to the next block when it is sealed, a
        // little before that block is stored and becomes the head: in that gap, wait for it.
        for _ in 0..100 {
            let number = match self.state_at(block).await? {
                StateAt::Latest(n) => Some(n),
                StateAt::Pending => None,
                StateAt::Block(_) => {
                    return Err(RpcError::Unsupported(
                        "proofs are only available for the latest block".into(),
                    ));
                }
            };
            let chain = self.chain.clone();
            let slots = slots.clone();
            let proof = tokio::task::spawn_blocking(move || {
                let mut state = chain.state.write();
                number.is_none_or(|n| state.block() == n).then(|| state.proof(address, &slots))
            })
            .await
            .map_err(|e| RpcError::Internal(e.to_string()))?;
            if let Some(proof) = proof {
                return Ok(proof);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Err(RpcError::Internal("the head did not catch up with the sealed state".into()))
    }
}
