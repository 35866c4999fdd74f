//! Tracing: `debug_traceTransaction`, `debug_traceCall`, `debug_traceBlockByNumber/ByHash`
//! (geth's struct logger, `callTracer`, `prestateTracer`, ... via revm-inspectors) and the
//! parity-style `trace_transaction` / `trace_block` on the same machinery.
//!
//! A mined transaction is traced by re-executing its block up to it on the state before the
//! block (the change-set history). Recorded trace data is capped, so a deep trace ends with a
//! clear error instead of exhausting memory.

use crate::{
    node::Chain,
    rpc::error::{RpcError, RpcResult},
    store::{HistoricalState, StoredTx},
};
use alloy_consensus::{Header, Sealed};
use alloy_eips::{BlockId, eip2718::Encodable2718};
use alloy_evm::{Evm, EvmEnv, EvmFactory, FromTxWithEncoded, rpc::TryIntoTxEnv};
use alloy_op_evm::OpTx;
use alloy_primitives::{B256, Bytes};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_rpc_types_trace::{
    geth::{GethDebugTracingCallOptions, GethDebugTracingOptions, GethTrace, TraceResult},
    parity::LocalizedTransactionTrace,
};
use jsonrpsee::{core::RpcResult as JsonResult, proc_macros::rpc};
use op_revm::{OpSpecId, OpTransaction};
use revm::{
    DatabaseCommit,
    context::{BlockEnv, TxEnv},
    database::CacheDB,
    database_interface::WrapDatabaseRef,
};
use revm_inspectors::tracing::{
    DebugInspector, TraceLimitBehavior, TraceLimits, TracingInspector, TracingInspectorConfig,
    TransactionContext,
};
use std::sync::Arc;

/// Most bytes of trace data recorded for one transaction (memory snapshots, call inputs).
const MAX_TRACE_BYTES: usize = 256 * 1024 * 1024;

type HistoryDb = CacheDB<WrapDatabaseRef<HistoricalState>>;

/// `debug_` tracing methods.
#[rpc(server, namespace = "debug")]
pub trait DebugRpc {
    /// Re-executes a mined transaction with a tracer.
    #[method(name = "traceTransaction")]
    async fn trace_transaction(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> JsonResult<GethTrace>;
    /// Traces a call on top of a block's state.
    #[method(name = "traceCall")]
    async fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        opts: Option<GethDebugTracingCallOptions>,
    ) -> JsonResult<GethTrace>;
    /// Traces every transaction of a block.
    #[method(name = "traceBlockByNumber")]
    async fn trace_block_by_number(
        &self,
        number: BlockNumberOrTag,
        opts: Option<GethDebugTracingOptions>,
    ) -> JsonResult<Vec<TraceResult>>;
    /// Traces every transaction of a block.
    #[method(name = "traceBlockByHash")]
    async fn trace_block_by_hash(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> JsonResult<Vec<TraceResult>>;
}

/// Parity-style `trace_` methods.
#[rpc(server, namespace = "trace")]
pub trait TraceRpc {
    /// Flat call traces of a transaction.
    #[method(name = "transaction")]
    async fn transaction(&self, hash: B256) -> JsonResult<Vec<LocalizedTransactionTrace>>;
    /// Flat call traces of every transaction of a block.
    #[method(name = "block")]
    async fn block(&self, number: BlockNumberOrTag) -> JsonResult<Vec<LocalizedTransactionTrace>>;
}

/// Handler of the tracing namespaces.
#[derive(Debug, Clone)]
pub struct DebugApi {
    chain: Arc<Chain>,
    gas_cap: u64,
}

fn limited(mut inspector: DebugInspector) -> DebugInspector {
    let limits = TraceLimits::default()
        .set_max_recorded_bytes(Some(MAX_TRACE_BYTES))
        .set_behavior(TraceLimitBehavior::Halt);
    match &mut inspector {
        DebugInspector::Default(i, _)
        | DebugInspector::CallTracer(i, _)
        | DebugInspector::PreStateTracer(i, _)
        | DebugInspector::FlatCallTracer(i)
        | DebugInspector::Erc7562Tracer(i, _) => {
            let taken = std::mem::replace(i, TracingInspector::new(TracingInspectorConfig::none()));
            *i = taken.with_limits(limits);
        }
        _ => {}
    }
    inspector
}

fn tx_env(tx: &StoredTx) -> OpTx {
    let encoded: Bytes = tx.tx.encoded_2718().into();
    OpTx::from_encoded_tx(&tx.tx, tx.sender, encoded)
}

/// How to trace each transaction of a block.
enum Tracer {
    Geth(GethDebugTracingOptions),
    Parity,
}

/// One traced transaction's output.
enum Traced {
    Geth(Box<GethTrace>),
    Parity(Vec<LocalizedTransactionTrace>),
}

impl DebugApi {
    /// A handler over `chain`; calls are capped at `gas_cap`.
    pub fn new(chain: Arc<Chain>, gas_cap: u64) -> Self {
        Self { chain, gas_cap }
    }

    fn env(&self, header: &Header) -> EvmEnv<OpSpecId, BlockEnv> {
        self.chain.evm.env(&crate::evm::BlockEnvInput {
            number: header.number,
            timestamp: header.timestamp,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            gas_limit: header.gas_limit,
            prev_randao: header.mix_hash,
            beneficiary: header.beneficiary,
        })
    }

    async fn block_number(&self, id: BlockId) -> RpcResult<u64> {
        let head = self.chain.head().number;
        match id {
            BlockId::Number(BlockNumberOrTag::Number(n)) if n <= head => Ok(n),
            BlockId::Number(BlockNumberOrTag::Earliest) => Ok(0),
            BlockId::Number(BlockNumberOrTag::Number(_)) => Err(RpcError::HeaderNotFound),
            BlockId::Number(_) => Ok(head),
            BlockId::Hash(h) => {
                self.chain.store.block_number(h.block_hash).await?.ok_or(RpcError::HeaderNotFound)
            }
        }
    }

    /// Re-executes block `number` up to (and including) `until` transactions, tracing those
    /// selected by `trace`.
    async fn replay(
        &self,
        number: u64,
        until: Option<usize>,
        trace: impl Fn(usize) -> bool + Send + 'static,
        tracer: Tracer,
    ) -> RpcResult<Vec<(B256, Traced)>> {
        if number == 0 {
            return Ok(Vec::new());
        }
        let block = self.chain.store.block(number).await?.ok_or(RpcError::HeaderNotFound)?;
        let this = self.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let env = this.env(&block.header);
            let mut db: HistoryDb = CacheDB::new(WrapDatabaseRef(HistoricalState::new(
                this.chain.store.clone(),
                number - 1,
                handle,
            )));
            let mut out = Vec::new();
            let count =
                until.map_or(block.transactions.len(), |u| (u + 1).min(block.transactions.len()));
            for (index, tx) in block.transactions.iter().take(count).enumerate() {
                let op_tx = tx_env(tx);
                if trace(index) {
                    let ctx = TransactionContext {
                        block_hash: Some(block.header.hash()),
                        tx_index: Some(index),
                        tx_hash: Some(tx.hash),
                    };
                    let traced =
                        this.trace_one(&mut db, &env, op_tx, &tracer, ctx, &block.header)?;
                    out.push((tx.hash, traced));
                } else {
                    let mut evm = this.chain.evm.evm_factory().create_evm(&mut db, env.clone());
                    let result =
                        evm.transact(op_tx).map_err(|e| RpcError::Internal(e.to_string()))?;
                    drop(evm);
                    db.commit(result.state);
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| RpcError::Internal(e.to_string()))?
    }

    fn trace_one(
        &self,
        db: &mut HistoryDb,
        env: &EvmEnv<OpSpecId, BlockEnv>,
        tx: OpTx,
        tracer: &Tracer,
        ctx: TransactionContext,
        header: &Sealed<Header>,
    ) -> RpcResult<Traced> {
        let inspector = match tracer {
            Tracer::Geth(opts) => limited(
                DebugInspector::new(opts.clone())
                    .map_err(|e| RpcError::InvalidParams(e.to_string()))?,
            ),
            Tracer::Parity => limited(DebugInspector::FlatCallTracer(TracingInspector::new(
                TracingInspectorConfig::default_parity(),
            ))),
        };
        let mut evm = self.chain.evm.evm_factory().create_evm_with_inspector(
            &mut *db,
            env.clone(),
            inspector,
        );
        let result = evm
            .transact(tx.clone())
            .map_err(|e| RpcError::Internal(format!("trace failed: {e}")))?;
        let (db_ref, inspector, _) = evm.components_mut();
        let traced = match tracer {
            Tracer::Geth(_) => Traced::Geth(Box::new(
                inspector
                    .get_result(Some(ctx), &tx, &env.block_env, &result, db_ref)
                    .map_err(|e| RpcError::Internal(e.to_string()))?,
            )),
            Tracer::Parity => {
                let DebugInspector::FlatCallTracer(i) = inspector else {
                    return Err(RpcError::Internal("unexpected tracer".into()));
                };
                let info = alloy_rpc_types_eth::TransactionInfo {
                    hash: ctx.tx_hash,
                    index: ctx.tx_index.map(|i| i as u64),
                    block_hash: Some(header.hash()),
                    block_number: Some(header.number),
                    base_fee: header.base_fee_per_gas,
                    block_timestamp: Some(header.timestamp),
                };
                i.set_transaction_gas_limit(revm::context_interface::Transaction::gas_limit(&tx));
                Traced::Parity(
                    i.clone().into_parity_builder().into_localized_transaction_traces(info),
                )
            }
        };
        drop(evm);
        db.commit(result.state);
        Ok(traced)
    }

    async fn trace_tx(&self, hash: B256, tracer: Tracer) -> RpcResult<Traced> {
        let tx = self
            .chain
            .store
            .transaction(hash)
            .await?
            .ok_or_else(|| RpcError::InvalidParams(format!("transaction {hash} not found")))?;
        let index = tx.index as usize;
        let mut traced =
            self.replay(tx.block_number, Some(index), move |i| i == index, tracer).await?;
        traced
            .pop()
            .map(|(_, t)| t)
            .ok_or_else(|| RpcError::Internal("transaction not traced".into()))
    }

    async fn trace_block(
        &self,
        id: BlockId,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>> {
        let number = self.block_number(id).await?;
        let traced =
            self.replay(number, None, |_| true, Tracer::Geth(opts.unwrap_or_default())).await?;
        Ok(traced
            .into_iter()
            .filter_map(|(hash, t)| match t {
                Traced::Geth(result) => {
                    Some(TraceResult::Success { result: *result, tx_hash: Some(hash) })
                }
                Traced::Parity(_) => None,
            })
            .collect())
    }

    async fn trace_call_at(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        opts: Option<GethDebugTracingCallOptions>,
    ) -> RpcResult<GethTrace> {
        let opts = opts.unwrap_or_default();
        let (state_overrides, block_overrides) = (opts.state_overrides, opts.block_overrides);
        let number =
            self.block_number(block.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest))).await?;
        let header = self.chain.store.header(number).await?.ok_or(RpcError::HeaderNotFound)?;
        let this = self.clone();
        let handle = tokio::runtime::Handle::current();
        let tracing = opts.tracing_options;
        tokio::task::spawn_blocking(move || {
            let mut env = this.env(&header);
            env.cfg_env.disable_nonce_check = true;
            env.cfg_env.disable_eip3607 = true;
            env.cfg_env.disable_block_gas_limit = true;
            env.cfg_env.disable_base_fee = request.gas_price.is_none()
                && request.max_fee_per_gas.is_none()
                && request.max_priority_fee_per_gas.is_none();
            let mut db: HistoryDb = CacheDB::new(WrapDatabaseRef(HistoricalState::new(
                this.chain.store.clone(),
                number,
                handle,
            )));
            if let Some(overrides) = state_overrides {
                alloy_evm::overrides::apply_state_overrides(overrides, &mut db)
                    .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            }
            if let Some(overrides) = block_overrides {
                alloy_evm::overrides::apply_block_overrides(overrides, &mut db, &mut env.block_env);
            }
            let mut request = request;
            request.gas = Some(request.gas.unwrap_or(this.gas_cap).min(this.gas_cap));
            let base: TxEnv = request
                .try_into_tx_env(&env)
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            let tx = OpTx(OpTransaction {
                base,
                enveloped_tx: Some(Bytes::new()),
                deposit: Default::default(),
            });
            match this.trace_one(
                &mut db,
                &env,
                tx,
                &Tracer::Geth(tracing),
                TransactionContext::default(),
                &header,
            )? {
                Traced::Geth(t) => Ok(*t),
                Traced::Parity(_) => Err(RpcError::Internal("unexpected trace kind".into())),
            }
        })
        .await
        .map_err(|e| RpcError::Internal(e.to_string()))?
    }
}

fn json<T>(r: RpcResult<T>) -> JsonResult<T> {
    r.map_err(Into::into)
}

#[jsonrpsee::core::async_trait]
impl DebugRpcServer for DebugApi {
    async fn trace_transaction(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> JsonResult<GethTrace> {
        json(match self.trace_tx(hash, Tracer::Geth(opts.unwrap_or_default())).await {
            Ok(Traced::Geth(t)) => Ok(*t),
            Ok(Traced::Parity(_)) => Err(RpcError::Internal("unexpected trace kind".into())),
            Err(e) => Err(e),
        })
    }

    async fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        opts: Option<GethDebugTracingCallOptions>,
    ) -> JsonResult<GethTrace> {
        json(self.trace_call_at(request, block, opts).await)
    }

    async fn trace_block_by_number(
        &self,
        number: BlockNumberOrTag,
        opts: Option<GethDebugTracingOptions>,
    ) -> JsonResult<Vec<TraceResult>> {
        json(self.trace_block(BlockId::Number(number), opts).await)
    }

    async fn trace_block_by_hash(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> JsonResult<Vec<TraceResult>> {
        json(self.trace_block(BlockId::Hash(hash.into()), opts).await)
    }
}

#[jsonrpsee::core::async_trait]
impl TraceRpcServer for DebugApi {
    async fn transaction(&self, hash: B256) -> JsonResult<Vec<LocalizedTransactionTrace>> {
        json(match self.trace_tx(hash, Tracer::Parity).await {
            Ok(Traced::Parity(t)) => Ok(t),
            Ok(Traced::Geth(_)) => Err(RpcError::Internal("unexpected trace kind".into())),
            Err(e) => Err(e),
        })
    }

    async fn block(&self, number: BlockNumberOrTag) -> JsonResult<Vec<LocalizedTransactionTrace>> {
        let number = self.block_number(BlockId::Number(number)).await?;
        let traced = json(self.replay(number, None, |_| true, Tracer::Parity).await)?;
        Ok(traced
            .into_iter()
            .flat_map(|(_, t)| match t {
                Traced::Parity(t) => t,
                Traced::Geth(_) => Vec::new(),
            })
            .collect())
    }
}
