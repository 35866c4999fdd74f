//! The `eth_` namespace: one jsonrpsee trait, implemented by concern in the sibling modules
//! (blocks, state, calls, fees, transactions, logs), as reth splits its `eth` helpers.

mod block;
mod call;
mod fees;
mod logs;
mod state;
mod tx;

use crate::{node::Chain, rpc::convert::RpcBlock};
use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{
    AccessListResult, BlockNumberOrTag, BlockOverrides, EIP1186AccountProofResponse, FeeHistory,
    Filter, Log, TransactionRequest, state::StateOverride,
};
use alloy_serde::JsonStorageKey;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use op_alloy::rpc_types::{OpTransactionReceipt, Transaction as OpTransaction};
use std::sync::Arc;

/// Limits and dev-mode facts the `eth_` handlers need.
#[derive(Debug, Clone)]
pub struct EthConfig {
    /// Gas cap of `eth_call` / `eth_estimateGas`.
    pub gas_cap: u64,
    /// Widest block range of one `eth_getLogs`.
    pub max_log_range: u64,
    /// Most logs one `eth_getLogs` returns.
    pub max_logs: usize,
    /// Most blocks one `eth_feeHistory` covers.
    pub max_fee_history: u64,
    /// Accounts reported by `eth_accounts` (the dev accounts in dev mode).
    pub accounts: Vec<Address>,
}

impl Default for EthConfig {
    fn default() -> Self {
        Self {
            gas_cap: 50_000_000,
            max_log_range: 10_000,
            max_logs: 10_000,
            max_fee_history: 1_024,
            accounts: Vec::new(),
        }
    }
}

/// Standard Ethereum JSON-RPC methods.
#[rpc(server, namespace = "eth")]
pub trait EthRpc {
    /// Chain id.
    #[method(name = "chainId")]
    async fn chain_id(&self) -> RpcResult<U64>;
    /// Newest block number.
    #[method(name = "blockNumber")]
    async fn block_number(&self) -> RpcResult<U64>;
    /// Always not syncing: the sequencer is the chain's source.
    #[method(name = "syncing")]
    async fn syncing(&self) -> RpcResult<bool>;
    /// Dev accounts in dev mode, none otherwise.
    #[method(name = "accounts")]
    async fn accounts(&self) -> RpcResult<Vec<Address>>;
    /// Balance at a block.
    #[method(name = "getBalance")]
    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// Nonce at a block (`pending` counts pooled transactions).
    #[method(name = "getTransactionCount")]
    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// Code at a block.
    #[method(name = "getCode")]
    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// Storage slot at a block.
    #[method(name = "getStorageAt")]
    async fn storage_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256>;
    /// EIP-1186 proof against the latest state root.
    #[method(name = "getProof")]
    async fn proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse>;
    /// Executes a call without a transaction.
    #[method(name = "call")]
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<Box<BlockOverrides>>,
    ) -> RpcResult<Bytes>;
    /// Smallest gas limit with which the call succeeds.
    #[method(name = "estimateGas")]
    async fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64>;
    /// EIP-2930 access list of a call.
    #[method(name = "createAccessList")]
    async fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult>;
    /// Legacy gas price: next base fee plus the suggested tip.
    #[method(name = "gasPrice")]
    async fn gas_price(&self) -> RpcResult<U256>;
    /// Suggested priority fee.
    #[method(name = "maxPriorityFeePerGas")]
    async fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;
    /// Blob base fee (OP chains have no blobs: the minimum).
    #[method(name = "blobBaseFee")]
    async fn blob_base_fee(&self) -> RpcResult<U256>;
    /// Base fees, gas ratios and tip percentiles of recent blocks.
    #[method(name = "feeHistory")]
    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
    /// Submits a signed transaction.
    #[method(name = "sendRawTransaction")]
    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256>;
    /// Submits a signed transaction and waits for its receipt (EIP-7966). `timeout` is in
    /// milliseconds (default 2,000, at most 60,000).
    #[method(name = "sendRawTransactionSync")]
    async fn send_raw_transaction_sync(
        &self,
        bytes: Bytes,
        timeout: Option<u64>,
    ) -> RpcResult<OpTransactionReceipt>;
    /// A transaction by hash (mined or pooled).
    #[method(name = "getTransactionByHash")]
    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<OpTransaction>>;
    /// A transaction by block hash and index.
    #[method(name = "getTransactionByBlockHashAndIndex")]
    async fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: U64,
    ) -> RpcResult<Option<OpTransaction>>;
    /// A transaction by block number and index.
    #[method(name = "getTransactionByBlockNumberAndIndex")]
    async fn transaction_by_block_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: U64,
    ) -> RpcResult<Option<OpTransaction>>;
    /// A receipt by transaction hash.
    #[method(name = "getTransactionReceipt")]
    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<OpTransactionReceipt>>;
    /// All receipts of a block.
    #[method(name = "getBlockReceipts")]
    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<OpTransactionReceipt>>>;
    /// A block by number or tag.
    #[method(name = "getBlockByNumber")]
    async fn block_by_number(
        &self,
        number: BlockNumberOrTag,
        full: bool,
    ) -> RpcResult<Option<RpcBlock>>;
    /// A block by hash.
    #[method(name = "getBlockByHash")]
    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>>;
    /// Transaction count of a block by number.
    #[method(name = "getBlockTransactionCountByNumber")]
    async fn block_transaction_count_by_number(
        &self,
        number: BlockNumberOrTag,
    ) -> RpcResult<Option<U64>>;
    /// Transaction count of a block by hash.
    #[method(name = "getBlockTransactionCountByHash")]
    async fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;
    /// Uncles: always zero on this chain.
    #[method(name = "getUncleCountByBlockNumber")]
    async fn uncle_count_by_number(&self, number: BlockNumberOrTag) -> RpcResult<Option<U64>>;
    /// Uncles: always zero on this chain.
    #[method(name = "getUncleCountByBlockHash")]
    async fn uncle_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;
    /// Uncles: never any.
    #[method(name = "getUncleByBlockNumberAndIndex")]
    async fn uncle_by_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: U64,
    ) -> RpcResult<Option<RpcBlock>>;
    /// Uncles: never any.
    #[method(name = "getUncleByBlockHashAndIndex")]
    async fn uncle_by_hash_and_index(&self, hash: B256, index: U64) -> RpcResult<Option<RpcBlock>>;
    /// Logs matching a filter.
    #[method(name = "getLogs")]
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
}

/// Handler of the `eth_` namespace.
#[derive(Debug, Clone)]
pub struct EthApi {
    chain: Arc<Chain>,
    config: EthConfig,
}

impl EthApi {
    /// A handler over `chain`.
    pub fn new(chain: Arc<Chain>, config: EthConfig) -> Self {
        Self { chain, config }
    }

    /// Widest block range of one log query.
    pub fn max_log_range(&self) -> u64 {
        self.config.max_log_range
    }
}

fn ok<T>(r: crate::rpc::error::RpcResult<T>) -> RpcResult<T> {
    r.map_err(Into::into)
}

#[jsonrpsee::core::async_trait]
impl EthRpcServer for EthApi {
    async fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain.config().chain_id))
    }
    async fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain.head().number))
    }
    async fn syncing(&self) -> RpcResult<bool> {
        Ok(false)
    }
    async fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self.config.accounts.clone())
    }
    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        ok(self.balance_at(address, block).await)
    }
    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        ok(self.nonce_at(address, block).await)
    }
    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        ok(self.code_at(address, block).await)
    }
    async fn storage_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256> {
        ok(self.slot_at(address, slot, block).await)
    }
    async fn proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        ok(self.account_proof(address, keys, block).await)
    }
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<Box<BlockOverrides>>,
    ) -> RpcResult<Bytes> {
        ok(self.call_at(request, block, state_overrides, block_overrides).await)
    }
    async fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        ok(self.estimate(request, block, state_overrides).await)
    }
    async fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult> {
        ok(self.access_list(request, block).await)
    }
    async fn gas_price(&self) -> RpcResult<U256> {
        Ok(U256::from(self.chain.next_base_fee()) + U256::from(fees::SUGGESTED_TIP))
    }
    async fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::from(fees::SUGGESTED_TIP))
    }
    async fn blob_base_fee(&self) -> RpcResult<U256> {
        Ok(U256::from(1))
    }
    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        ok(self.history(block_count.to(), newest_block, reward_percentiles).await)
    }
    async fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256> {
        ok(self.submit(bytes).await)
    }
    async fn send_raw_transaction_sync(
        &self,
        bytes: Bytes,
        timeout: Option<u64>,
    ) -> RpcResult<OpTransactionReceipt> {
        ok(self.submit_sync(bytes, timeout).await)
    }
    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<OpTransaction>> {
        ok(self.tx_by_hash(hash).await)
    }
    async fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: U64,
    ) -> RpcResult<Option<OpTransaction>> {
        ok(self.tx_by_block_hash_index(hash, index.to()).await)
    }
    async fn transaction_by_block_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: U64,
    ) -> RpcResult<Option<OpTransaction>> {
        ok(self.tx_by_block_number_index(number, index.to()).await)
    }
    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<OpTransactionReceipt>> {
        ok(self.receipt_by_hash(hash).await)
    }
    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<OpTransactionReceipt>>> {
        ok(self.receipts_of(block).await)
    }
    async fn block_by_number(
        &self,
        number: BlockNumberOrTag,
        full: bool,
    ) -> RpcResult<Option<RpcBlock>> {
        ok(self.block_for(BlockId::Number(number), full).await)
    }
    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>> {
        ok(self.block_for(BlockId::Hash(hash.into()), full).await)
    }
    async fn block_transaction_count_by_number(
        &self,
        number: BlockNumberOrTag,
    ) -> RpcResult<Option<U64>> {
        ok(self.tx_count_of(BlockId::Number(number)).await)
    }
    async fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        ok(self.tx_count_of(BlockId::Hash(hash.into())).await)
    }
    async fn uncle_count_by_number(&self, number: BlockNumberOrTag) -> RpcResult<Option<U64>> {
        ok(self.resolve(BlockId::Number(number)).await.map(|n| n.map(|_| U64::ZERO)))
    }
    async fn uncle_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        ok(self.resolve(BlockId::Hash(hash.into())).await.map(|n| n.map(|_| U64::ZERO)))
    }
    async fn uncle_by_number_and_index(
        &self,
        _number: BlockNumberOrTag,
        _index: U64,
    ) -> RpcResult<Option<RpcBlock>> {
        Ok(None)
    }
    async fn uncle_by_hash_and_index(
        &self,
        _hash: B256,
        _index: U64,
    ) -> RpcResult<Option<RpcBlock>> {
        Ok(None)
    }
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        ok(self.filter_logs(filter).await)
    }
}
