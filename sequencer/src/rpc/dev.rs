//! Dev-mode conveniences that Foundry and Hardhat users rely on: `eth_sendTransaction` from the
//! unlocked dev accounts, `evm_mine`, `evm_snapshot` / `evm_revert`, `evm_increaseTime`,
//! `evm_setNextBlockTimestamp`, `anvil_set*` (and their `hardhat_` names). Outside `--dev`
//! every one of them is refused with a clear error.

use crate::{
    dev::Cheat,
    mempool::PoolError,
    node::Chain,
    rpc::{
        error::{RpcError, RpcResult},
        eth::EthApi,
    },
};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::{core::RpcResult as JsonResult, proc_macros::rpc};
use parking_lot::Mutex;
use std::{collections::BTreeMap, sync::Arc};

/// `eth_sendTransaction` (dev accounts only).
#[rpc(server, namespace = "eth")]
pub trait EthDevRpc {
    /// Signs with an unlocked dev account and submits.
    #[method(name = "sendTransaction")]
    async fn send_transaction(&self, request: TransactionRequest) -> JsonResult<B256>;
}

/// `evm_` methods.
#[rpc(server, namespace = "evm")]
pub trait EvmRpc {
    /// Mines one block now (optionally at a given timestamp).
    #[method(name = "mine")]
    async fn mine(&self, timestamp: Option<U64>) -> JsonResult<String>;
    /// Records the current head; `evm_revert` returns to it.
    #[method(name = "snapshot")]
    async fn snapshot(&self) -> JsonResult<U256>;
    /// Unwinds to a snapshot (which is consumed, as in Hardhat/anvil).
    #[method(name = "revert")]
    async fn revert(&self, id: U256) -> JsonResult<bool>;
    /// Moves the clock of the next blocks forward; returns the total offset.
    #[method(name = "increaseTime")]
    async fn increase_time(&self, seconds: U256) -> JsonResult<U64>;
    /// Fixes the timestamp of the next block.
    #[method(name = "setNextBlockTimestamp")]
    async fn set_next_block_timestamp(&self, timestamp: U64) -> JsonResult<()>;
}

/// `anvil_` state edits (also served under `hardhat_`).
#[rpc(server, namespace = "anvil")]
pub trait AnvilRpc {
    /// Sets a balance.
    #[method(name = "setBalance", aliases = ["hardhat_setBalance"])]
    async fn set_balance(&self, address: Address, balance: U256) -> JsonResult<bool>;
    /// Sets code.
    #[method(name = "setCode", aliases = ["hardhat_setCode"])]
    async fn set_code(&self, address: Address, code: Bytes) -> JsonResult<bool>;
    /// Sets a storage slot.
    #[method(name = "setStorageAt", aliases = ["hardhat_setStorageAt"])]
    async fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> JsonResult<bool>;
    /// Sets a nonce.
    #[method(name = "setNonce", aliases = ["hardhat_setNonce"])]
    async fn set_nonce(&self, address: Address, nonce: U64) -> JsonResult<bool>;
    /// Mines `blocks` blocks (default 1).
    #[method(name = "mine", aliases = ["hardhat_mine"])]
    async fn mine_blocks(&self, blocks: Option<U64>, interval: Option<U64>) -> JsonResult<()>;
}

/// Handler of the dev namespaces.
#[derive(Debug, Clone)]
pub struct DevApi {
    chain: Arc<Chain>,
    eth: EthApi,
    keys: Arc<BTreeMap<Address, PrivateKeySigner>>,
    snapshots: Arc<Mutex<BTreeMap<U256, u64>>>,
    next_snapshot: Arc<Mutex<U256>>,
    /// Held from choosing a nonce until the transaction is pooled, so concurrent
    /// `eth_sendTransaction`s (a batch) get consecutive nonces, as geth's nonce lock does.
    nonce_lock: Arc<tokio::sync::Mutex<()>>,
}

fn json<T>(r: RpcResult<T>) -> JsonResult<T> {
    r.map_err(Into::into)
}

impl DevApi {
    /// A handler over `chain`, signing with `keys` (the dev accounts).
    pub fn new(chain: Arc<Chain>, eth: EthApi, keys: Vec<PrivateKeySigner>) -> Self {
        let keys = keys.into_iter().map(|k| (k.address(), k)).collect();
        Self {
            chain,
            eth,
            keys: Arc::new(keys),
            snapshots: Arc::new(Mutex::new(BTreeMap::new())),
            next_snapshot: Arc::new(Mutex::new(U256::ZERO)),
            nonce_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn dev_only(&self) -> RpcResult<()> {
        if self.chain.options.dev {
            Ok(())
        } else {
            Err(RpcError::Unsupported("this method is only available in --dev mode".into()))
        }
    }

    async fn cheat(&self, cheats: Vec<Cheat>) -> RpcResult<bool> {
        self.dev_only()?;
        self.chain.queue_cheats(cheats);
        self.chain.request_block().await.map_err(RpcError::Internal)?;
        Ok(true)
    }

    async fn send(&self, request: TransactionRequest) -> RpcResult<B256> {
        self.dev_only()?;
        let from = request.from.ok_or_else(|| RpcError::InvalidParams("missing from".into()))?;
        let key = self
            .keys
            .get(&from)
            .ok_or_else(|| RpcError::InvalidParams(format!("unknown account {from}")))?;
        let gas_limit = match request.gas {
            Some(g) => g,
            None => self.eth.estimate(request.clone(), None, None).await?.to(),
        };
        let _nonce_lock = self.nonce_lock.lock().await;
        let nonce = match request.nonce {
            Some(n) => n,
            None => self
                .eth
                .nonce_at(from, Some(alloy_rpc_types_eth::BlockNumberOrTag::Pending.into()))
                .await?
                .to(),
        };
        let base_fee = u128::from(self.chain.next_base_fee());
        let tip = request.max_priority_fee_per_gas.unwrap_or(1_000_000);
        let max_fee = request.max_fee_per_gas.or(request.gas_price).unwrap_or(base_fee * 2 + tip);
        let input = request.input.input().cloned().unwrap_or_default();
        let tx = TxEip1559 {
            chain_id: self.chain.config().chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip.min(max_fee),
            to: request.to.unwrap_or(TxKind::Create),
            value: request.value.unwrap_or_default(),
            access_list: request.access_list.unwrap_or_default(),
            input,
        };
        let signature = key
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|e| RpcError::Internal(e.to_string()))?;
        let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
        let ready =
            crate::mempool::validate_raw(&raw, &self.chain.rules).map_err(RpcError::Pool)?;
        Ok(self.chain.add_transaction(ready).map_err(|e: PoolError| RpcError::Pool(e))?.hash)
    }
}

#[jsonrpsee::core::async_trait]
impl EthDevRpcServer for DevApi {
    async fn send_transaction(&self, request: TransactionRequest) -> JsonResult<B256> {
        json(self.send(request).await)
    }
}

#[jsonrpsee::core::async_trait]
impl EvmRpcServer for DevApi {
    async fn mine(&self, timestamp: Option<U64>) -> JsonResult<String> {
        json(
            async {
                self.dev_only()?;
                if let Some(ts) = timestamp {
                    self.chain.set_next_timestamp(ts.to());
                }
                self.chain.request_block().await.map_err(RpcError::Internal)?;
                Ok("0x0".to_string())
            }
            .await,
        )
    }

    async fn snapshot(&self) -> JsonResult<U256> {
        json(
            async {
                self.dev_only()?;
                let mut next = self.next_snapshot.lock();
                let id = *next;
                *next += U256::from(1);
                self.snapshots.lock().insert(id, self.chain.head().number);
                Ok(id)
            }
            .await,
        )
    }

    async fn revert(&self, id: U256) -> JsonResult<bool> {
        json(
            async {
                self.dev_only()?;
                let target = {
                    let mut snapshots = self.snapshots.lock();
                    let Some(target) = snapshots.get(&id).copied() else { return Ok(false) };
                    // Later snapshots become unreachable, as in Hardhat.
                    snapshots.retain(|k, _| *k < id);
                    target
                };
                self.chain.request_revert(target).await.map_err(RpcError::Internal)?;
                Ok(true)
            }
            .await,
        )
    }

    async fn increase_time(&self, seconds: U256) -> JsonResult<U64> {
        json(
            async {
                self.dev_only()?;
                let seconds: u64 = seconds
                    .try_into()
                    .map_err(|_| RpcError::InvalidParams("seconds out of range".into()))?;
                Ok(U64::from(self.chain.increase_time(seconds)))
            }
            .await,
        )
    }

    async fn set_next_block_timestamp(&self, timestamp: U64) -> JsonResult<()> {
        json(
            async {
                self.dev_only()?;
                if timestamp.to::<u64>() < self.chain.tip().timestamp {
                    return Err(RpcError::InvalidParams(
                        "timestamp is before the latest block's".into(),
                    ));
                }
                self.chain.set_next_timestamp(timestamp.to());
                Ok(())
            }
            .await,
        )
    }
}

#[jsonrpsee::core::async_trait]
impl AnvilRpcServer for DevApi {
    async fn set_balance(&self, address: Address, balance: U256) -> JsonResult<bool> {
        json(self.cheat(vec![Cheat::Balance(address, balance)]).await)
    }

    async fn set_code(&self, address: Address, code: Bytes) -> JsonResult<bool> {
        json(self.cheat(vec![Cheat::Code(address, code)]).await)
    }

    async fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> JsonResult<bool> {
        json(self.cheat(vec![Cheat::Storage(address, slot, U256::from_be_bytes(value.0))]).await)
    }

    async fn set_nonce(&self, address: Address, nonce: U64) -> JsonResult<bool> {
        json(self.cheat(vec![Cheat::Nonce(address, nonce.to())]).await)
    }

    async fn mine_blocks(&self, blocks: Option<U64>, interval: Option<U64>) -> JsonResult<()> {
        json(
            async {
                self.dev_only()?;
                let blocks = blocks.map_or(1, |b| b.to::<u64>());
                if blocks > 10_000 {
                    return Err(RpcError::Limit("at most 10000 blocks per call".into()));
                }
                let interval = interval.map_or(0, |i| i.to::<u64>());
                for _ in 0..blocks {
                    if interval > 0 {
                        self.chain.increase_time(interval);
                    }
                    self.chain.request_block().await.map_err(RpcError::Internal)?;
                }
                Ok(())
            }
            .await,
        )
    }
}
