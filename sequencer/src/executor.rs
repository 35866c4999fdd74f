//! Block execution: parent + attributes + transactions → receipts, state changes, header.
//!
//! ```text
//!   BlockAttributes (timestamp, L1 origin, deposits)      best transactions (mempool)
//!            │                                                    │
//!            ▼                                                    ▼
//!   L1-info deposit ─▶ user deposits ─▶ pool transactions ─▶ OpBlockExecutor (op-revm)
//!                                                                 │
//!                  StateChanges + receipts ◀── BundleState ◀──────┘
//! ```
//!
//! The sequencer runs it with a [`TxSource`] that skips transactions which turn out invalid;
//! the prover will run the same function with a source that rejects the whole block instead.
//! Execution only reads the state; sealing (state root, header) happens in [`crate::builder`].

use crate::{
    evm::{BlockEnvInput, NodeEvm},
    state::{StateChanges, StateView},
};
use alloy_consensus::{Header, Sealed, transaction::Recovered};
use alloy_eips::eip2718::{Encodable2718, WithEncoded};
use alloy_evm::block::{
    BlockExecutionError, BlockExecutor, BlockExecutorFactory, BlockValidationError, TxResult,
};
use alloy_op_evm::OpBlockExecutionCtx;
use alloy_primitives::{Address, B256, Bytes, U256};
use ol_protocol::L1BlockInfo;
use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope, TxDeposit};
use revm::{
    context::result::{ExecutionResult, Output},
    database::{State, states::bundle_state::BundleRetention},
};
use std::sync::Arc;

pub use ol_protocol::derive::BlockAttributes;

/// A signed transaction with its sender and encoding, ready to execute.
#[derive(Debug, Clone)]
pub struct ReadyTx {
    /// The transaction with its recovered sender.
    pub tx: Recovered<OpTxEnvelope>,
    /// EIP-2718 encoding (op-revm charges the L1 data fee on these bytes).
    pub encoded: Bytes,
    /// Transaction hash.
    pub hash: B256,
}

impl ReadyTx {
    /// Wraps a deposit (deposits carry their sender and need no recovery).
    pub fn deposit(tx: TxDeposit) -> Self {
        let sender = tx.from;
        let envelope = OpTxEnvelope::Deposit(Sealed::new(tx));
        let encoded: Bytes = envelope.encoded_2718().into();
        let hash = envelope.tx_hash();
        Self { tx: Recovered::new_unchecked(envelope, sender), encoded, hash }
    }

    /// The sender.
    pub fn sender(&self) -> Address {
        self.tx.signer()
    }
}

/// Where the executor pulls user transactions from.
pub trait TxSource {
    /// The next transaction to try, best first.
    fn next_tx(&mut self) -> Option<Arc<ReadyTx>>;
    /// The transaction turned out invalid against the block's state; its sender's later
    /// transactions should not be offered in this block.
    fn mark_invalid(&mut self, tx: &ReadyTx, reason: String);
    /// The transaction asks for more gas than the block has left. A pool keeps it for the next
    /// block (the default); a fixed list must not drop it silently.
    fn does_not_fit(&mut self, _tx: &ReadyTx) {}
    /// For a fixed list: the first transaction that could not be executed, and why.
    fn first_invalid(&self) -> Option<(B256, String)> {
        None
    }
}

/// A fixed list of transactions executed in order: what derivation and the prover use, where a
/// block's transactions are given and any invalid one makes the block invalid.
#[derive(Debug, Default)]
pub struct OrderedTxs {
    txs: std::collections::VecDeque<Arc<ReadyTx>>,
    invalid: Vec<(B256, String)>,
}

impl OrderedTxs {
    /// The transactions to execute, in block order.
    pub fn new(txs: impl IntoIterator<Item = Arc<ReadyTx>>) -> Self {
        Self { txs: txs.into_iter().collect(), invalid: Vec::new() }
    }

    /// Transactions that could not be executed (for a derived block: reason to reject it).
    pub fn invalid(&self) -> &[(B256, String)] {
        &self.invalid
    }
}

impl TxSource for OrderedTxs {
    fn next_tx(&mut self) -> Option<Arc<ReadyTx>> {
        self.txs.pop_front()
    }

    fn mark_invalid(&mut self, tx: &ReadyTx, reason: String) {
        self.invalid.push((tx.hash, reason));
    }

    fn does_not_fit(&mut self, tx: &ReadyTx) {
        self.invalid.push((tx.hash, "gas limit above the block's remaining gas".into()));
    }

    fn first_invalid(&self) -> Option<(B256, String)> {
        self.invalid.first().cloned()
    }
}

/// A transaction that made it into the block, with its receipt.
#[derive(Debug, Clone)]
pub struct ExecutedTx {
    /// The transaction.
    pub tx: Arc<ReadyTx>,
    /// Its consensus receipt (status, cumulative gas, logs, bloom).
    pub receipt: OpReceiptEnvelope,
    /// Gas used by this transaction alone.
    pub gas_used: u64,
    /// Address of the contract it created, if any.
    pub contract_address: Option<Address>,
}

/// The result of executing a block, before sealing.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// Included transactions in order, deposits first.
    pub transactions: Vec<ExecutedTx>,
    /// State changes of the block.
    pub changes: StateChanges,
    /// Total gas used.
    pub gas_used: u64,
}

/// Why a block could not be executed at all.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// A deposit or system call failed: the attributes are unusable.
    #[error("block execution failed: {0}")]
    Block(#[from] BlockExecutionError),
}

/// op-revm's L1 fee calculator loaded with an L1 origin's parameters (for receipts and for
/// the pool's balance check; op-revm itself reads the same values from `L1Block` storage).
pub fn l1_fee_calculator(info: &L1BlockInfo) -> op_revm::L1BlockInfo {
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

/// Executes a block on top of `parent` and the state in `view`.
pub fn execute_block(
    evm: &NodeEvm,
    view: StateView<'_>,
    parent: &Sealed<Header>,
    base_fee: u64,
    attrs: &BlockAttributes,
    source: &mut dyn TxSource,
) -> Result<ExecutedBlock, ExecutionError> {
    let chain = evm.chain();
    let env = evm.env(&BlockEnvInput {
        number: parent.number + 1,
        timestamp: attrs.timestamp,
        base_fee,
        gas_limit: attrs.gas_limit,
        prev_randao: attrs.prev_randao,
        beneficiary: chain.fee_recipient,
    });
    let mut db = State::builder().with_database_ref(view).with_bundle_update().build();
    let ctx = OpBlockExecutionCtx {
        parent_hash: parent.hash(),
        parent_beacon_block_root: Some(attrs.parent_beacon_block_root),
        extra_data: chain.extra_data(attrs.timestamp),
    };
    let mut transactions = Vec::new();
    {
        let evm_instance = alloy_evm::EvmFactory::create_evm(evm.evm_factory(), &mut db, env);
        let mut executor = evm.executors().create_executor(evm_instance, ctx);
        executor.apply_pre_execution_changes()?;

        let deposits =
            std::iter::once(attrs.l1_info.deposit_tx()).chain(attrs.deposits.iter().cloned());
        for deposit in deposits {
            let ready = Arc::new(ReadyTx::deposit(deposit));
            let (gas_used, contract_address) = run(&mut executor, &ready)?;
            transactions.push(executed(&mut executor, ready, gas_used, contract_address));
        }

        while let Some(ready) = source.next_tx() {
            match run(&mut executor, &ready) {
                Ok((gas_used, contract_address)) => {
                    transactions.push(executed(&mut executor, ready, gas_used, contract_address));
                }
                Err(BlockExecutionError::Validation(
                    BlockValidationError::TransactionGasLimitMoreThanAvailableBlockGas { .. },
                )) => {
                    // Does not fit any more: the pool keeps it for the next block, a fixed list
                    // records the block as invalid.
                    source.does_not_fit(&ready);
                }
                Err(BlockExecutionError::Validation(BlockValidationError::InvalidTx {
                    error,
                    ..
                })) => {
                    source.mark_invalid(&ready, error.to_string());
                }
                Err(other) => return Err(other.into()),
            }
        }
        executor.finish()?;
    }
    db.merge_transitions(BundleRetention::PlainState);
    let bundle = db.take_bundle();
    let changes = StateChanges::from_bundle(bundle, view.state);
    let gas_used = transactions.last().map(|t| t.receipt.cumulative_gas_used()).unwrap_or_default();
    Ok(ExecutedBlock { transactions, changes, gas_used })
}

fn run<E>(executor: &mut E, ready: &ReadyTx) -> Result<(u64, Option<Address>), BlockExecutionError>
where
    E: BlockExecutor<Transaction = OpTxEnvelope, Receipt = OpReceiptEnvelope>,
    for<'x> WithEncoded<&'x Recovered<OpTxEnvelope>>: alloy_evm::block::ExecutableTx<E>,
{
    let mut created = None;
    let tx = WithEncoded::new(ready.encoded.clone(), &ready.tx);
    let gas = executor.execute_transaction_with_result_closure(tx, |result| {
        if let ExecutionResult::Success { output: Output::Create(_, address), .. } =
            &result.result().result
        {
            created = *address;
        }
    })?;
    Ok((gas.tx_gas_used(), created))
}

fn executed<E>(
    executor: &mut E,
    tx: Arc<ReadyTx>,
    gas_used: u64,
    contract_address: Option<Address>,
) -> ExecutedTx
where
    E: BlockExecutor<Receipt = OpReceiptEnvelope>,
{
    let receipt = executor
        .receipts()
        .last()
        .cloned()
        .unwrap_or_else(|| OpReceiptEnvelope::Legacy(Default::default()));
    ExecutedTx { tx, receipt, gas_used, contract_address }
}
