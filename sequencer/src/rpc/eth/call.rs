//! `eth_call`, `eth_estimateGas` and `eth_createAccessList`.
//!
//! Calls run on a blocking thread against a `CacheDB` over either the live state (latest) or
//! the change-set history (older blocks), so overrides never touch real state.

use super::{EthApi, state::StateAt};
use crate::{
    evm::NodeEvm,
    rpc::error::{RpcError, RpcResult},
    state::StateView,
    store::HistoricalState,
};
use alloy_eips::BlockId;
use alloy_evm::{
    Evm, EvmEnv, EvmFactory,
    overrides::{apply_block_overrides, apply_state_overrides},
    rpc::TryIntoTxEnv,
};
use alloy_op_evm::OpTx;
use alloy_primitives::{Address, Bytes, TxKind, U64, U256, address};
use alloy_rpc_types_eth::{
    AccessList, AccessListItem, AccessListResult, BlockOverrides, TransactionRequest,
    state::StateOverride,
};
use op_revm::{OpHaltReason, OpSpecId, OpTransaction};
use revm::{
    Database, DatabaseCommit,
    context::{
        BlockEnv, TxEnv,
        result::{ExecutionResult, ResultAndState},
    },
    database::CacheDB,
    database_interface::WrapDatabaseRef,
};

/// What one simulated execution needs.
struct CallInput {
    request: TransactionRequest,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<Box<BlockOverrides>>,
}

/// Gas of a plain transfer to an account without code.
const TRANSFER_GAS: u64 = 21_000;

fn is_system_account(address: &Address) -> bool {
    let bytes = address.as_slice();
    // Precompiles (0x01..=0x100) and OP predeploys touched by fee handling (0x4200..00xx).
    let low =
        bytes[..18].iter().all(|b| *b == 0) && u16::from_be_bytes([bytes[18], bytes[19]]) <= 0x100;
    let predeploy = *address == address!("4200000000000000000000000000000000000015")
        || *address == address!("4200000000000000000000000000000000000011")
        || *address == address!("4200000000000000000000000000000000000019")
        || *address == address!("420000000000000000000000000000000000001a")
        || *address == address!("420000000000000000000000000000000000001b");
    low || predeploy
}

/// A database the call helpers can run on.
trait CallDb: Database<Error: std::fmt::Display> + DatabaseCommit + std::fmt::Debug {}
impl<T: Database<Error: std::fmt::Display> + DatabaseCommit + std::fmt::Debug> CallDb for T {}

fn tx_env(
    request: &TransactionRequest,
    env: &EvmEnv<OpSpecId, BlockEnv>,
    gas: u64,
) -> RpcResult<OpTx> {
    let mut request = request.clone();
    request.gas = Some(gas);
    let base: TxEnv =
        request.try_into_tx_env(env).map_err(|e| RpcError::InvalidParams(e.to_string()))?;
    Ok(OpTx(OpTransaction { base, enveloped_tx: Some(Bytes::new()), deposit: Default::default() }))
}

fn transact<DB: CallDb>(
    evm: &NodeEvm,
    db: &mut DB,
    env: &EvmEnv<OpSpecId, BlockEnv>,
    tx: OpTx,
) -> RpcResult<ResultAndState<OpHaltReason>> {
    let mut instance = evm.evm_factory().create_evm(&mut *db, env.clone());
    instance.transact(tx).map_err(|e| match e {
        revm::context::result::EVMError::Transaction(e) => RpcError::InvalidTx(e.to_string()),
        revm::context::result::EVMError::Header(e) => RpcError::InvalidParams(e.to_string()),
        other => RpcError::Internal(other.to_string()),
    })
}

fn output(result: ExecutionResult<OpHaltReason>) -> RpcResult<Bytes> {
    match result {
        ExecutionResult::Success { output, .. } => Ok(output.into_data()),
        ExecutionResult::Revert { output, .. } => Err(RpcError::reverted(output)),
        ExecutionResult::Halt { reason, .. } => Err(RpcError::Halted(halt_message(&reason))),
    }
}

fn halt_message(reason: &OpHaltReason) -> String {
    use revm::context::result::{HaltReason, OutOfGasError};
    match reason {
        OpHaltReason::Base(HaltReason::OutOfGas(
            OutOfGasError::Basic
            | OutOfGasError::Memory
            | OutOfGasError::MemoryLimit
            | OutOfGasError::Precompile
            | OutOfGasError::InvalidOperand
            | OutOfGasError::ReentrancySentry,
        )) => "out of gas".into(),
        OpHaltReason::Base(HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode) => {
            "invalid opcode".into()
        }
        OpHaltReason::Base(HaltReason::StackUnderflow) => "stack underflow".into(),
        OpHaltReason::Base(HaltReason::StackOverflow) => "stack limit reached 1024".into(),
        OpHaltReason::Base(HaltReason::InvalidJump) => "invalid jump destination".into(),
        OpHaltReason::Base(HaltReason::CallTooDeep) => "max call depth exceeded".into(),
        OpHaltReason::Base(HaltReason::CreateContractSizeLimit) => "max code size exceeded".into(),
        other => format!("execution halted: {other:?}"),
    }
}

impl EthApi {
    /// Runs `f` on a blocking thread with a fresh `CacheDB` over the state at `block` and the
    /// EVM environment of that block (of the next block for `pending`).
    async fn with_db<T: Send + 'static>(
        &self,
        block: Option<BlockId>,
        input: CallInput,
        f: impl FnOnce(
            &NodeEvm,
            &mut dyn DynCallDb,
            EvmEnv<OpSpecId, BlockEnv>,
            &TransactionRequest,
            u64,
        ) -> RpcResult<T>
        + Send
        + 'static,
    ) -> RpcResult<T> {
        let at = self.state_at(block).await?;
        let header = match at {
            StateAt::Pending => self.chain.tip(),
            StateAt::Latest(n) if self.chain.head().number == n => self.chain.head(),
            StateAt::Latest(n) | StateAt::Block(n) => {
                self.chain.store.header(n).await?.ok_or(RpcError::HeaderNotFound)?
            }
        };
        let chain = self.chain.clone();
        let gas_cap = self.config.gas_cap;
        let handle = tokio::runtime::Handle::current();
        let pending = matches!(at, StateAt::Pending);
        tokio::task::spawn_blocking(move || {
            let mut env = chain.evm.env(&crate::evm::BlockEnvInput {
                number: header.number + u64::from(pending),
                timestamp: header.timestamp,
                base_fee: if pending {
                    chain.next_base_fee()
                } else {
                    header.base_fee_per_gas.unwrap_or_default()
                },
                gas_limit: header.gas_limit,
                prev_randao: header.mix_hash,
                beneficiary: header.beneficiary,
            });
            env.cfg_env.disable_nonce_check = true;
            env.cfg_env.disable_eip3607 = true;
            env.cfg_env.disable_block_gas_limit = true;
            let request = &input.request;
            let no_fees = request.gas_price.is_none()
                && request.max_fee_per_gas.is_none()
                && request.max_priority_fee_per_gas.is_none();
            env.cfg_env.disable_base_fee = no_fees;
            let gas = request.gas.unwrap_or(gas_cap).min(gas_cap);
            // The live state, or the block to read from the store: the live state is the head's
            // only until the next block is sealed.
            let live = match at {
                StateAt::Pending => Ok(chain.state.read()),
                StateAt::Latest(n) => {
                    let state = chain.state.read();
                    if state.block() == n { Ok(state) } else { Err(n) }
                }
                StateAt::Block(n) => Err(n),
            };
            match live {
                Ok(state) => {
                    let hashes = chain.hashes.read();
                    let mut db =
                        CacheDB::new(WrapDatabaseRef(StateView { state: &state, hashes: &hashes }));
                    prepare(&mut db, &mut env, input.state_overrides, input.block_overrides)?;
                    f(&chain.evm, &mut db, env, request, gas)
                }
                Err(n) => {
                    let mut db = CacheDB::new(WrapDatabaseRef(HistoricalState::new(
                        chain.store.clone(),
                        n,
                        handle,
                    )));
                    prepare(&mut db, &mut env, input.state_overrides, input.block_overrides)?;
                    f(&chain.evm, &mut db, env, request, gas)
                }
            }
        })
        .await
        .map_err(|e| RpcError::Internal(e.to_string()))?
    }

    pub(crate) async fn call_at(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<Box<BlockOverrides>>,
    ) -> RpcResult<Bytes> {
        let input = CallInput { request, state_overrides, block_overrides };
        self.with_db(block, input, |evm, db, env, request, gas| {
            let tx = tx_env(request, &env, gas)?;
            output(db.run(evm, &env, tx)?.result)
        })
        .await
    }

    pub(crate) async fn estimate(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        let input = CallInput { request, state_overrides, block_overrides: None };
        self.with_db(block, input, |evm, db, env, request, cap| {
            // A plain value transfer to an account without code costs exactly 21000 (not with
            // an access list, whose entries cost intrinsic gas too).
            if let Some(TxKind::Call(to)) = request.to
                && request.input.input().is_none_or(|i| i.is_empty())
                && request.authorization_list.is_none()
                && request.access_list.as_ref().is_none_or(|l| l.is_empty())
                && db.code_len(to)? == 0
            {
                let tx = tx_env(request, &env, TRANSFER_GAS)?;
                if db.run(evm, &env, tx).is_ok_and(|r| r.result.is_success()) {
                    return Ok(U64::from(TRANSFER_GAS));
                }
            }
            let mut hi = cap;
            let tx = tx_env(request, &env, hi)?;
            let price = revm::context_interface::Transaction::gas_price(&tx);
            if price > 0 {
                let allowance = db.allowance(&tx)?;
                hi = hi.min(allowance.max(TRANSFER_GAS));
            }
            let first = db.run(evm, &env, tx_env(request, &env, hi)?)?.result;
            let used = match first {
                ExecutionResult::Success { gas, .. } => (gas.tx_gas_used(), gas.final_refunded()),
                ExecutionResult::Revert { output, .. } => return Err(RpcError::reverted(output)),
                ExecutionResult::Halt { reason, .. } => {
                    let msg = halt_message(&reason);
                    return Err(RpcError::Halted(if msg == "out of gas" {
                        format!("gas required exceeds allowance ({hi})")
                    } else {
                        msg
                    }));
                }
            };
            let mut lo = used.0.saturating_sub(1);
            // Optimistic guess as geth: used + refund + call stipend, times 64/63.
            let optimistic = (used.0 + used.1 + 2_300) * 64 / 63;
            // A limit below the intrinsic gas (7702 authorizations are refunded, so the gas
            // used can be less) is refused before execution: that counts as too low, as in geth.
            let mut fits = |gas: u64| -> RpcResult<bool> {
                Ok(db
                    .run(evm, &env, tx_env(request, &env, gas)?)
                    .is_ok_and(|r| r.result.is_success()))
            };
            if optimistic < hi && fits(optimistic)? {
                hi = optimistic;
            }
            while lo + 1 < hi {
                // Stop within 1.5 % of the answer, as geth does.
                if (hi - lo) * 1000 / hi < 15 {
                    break;
                }
                let mid = lo + (hi - lo) / 2;
                if fits(mid)? {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            Ok(U64::from(hi))
        })
        .await
    }

    pub(crate) async fn access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult> {
        let input = CallInput { request, state_overrides: None, block_overrides: None };
        self.with_db(block, input, |evm, db, env, request, gas| {
            let from = request.from.unwrap_or_default();
            let to = request.to.and_then(|k| k.to().copied());
            let outcome = db.run(evm, &env, tx_env(request, &env, gas)?)?;
            let mut items: Vec<AccessListItem> = outcome
                .state
                .iter()
                // As geth: the sender and the recipient are warm anyway, so they are listed
                // only for the storage slots the call touched (a token's balance slots).
                .filter(|(address, account)| {
                    let warm = **address == from || Some(**address) == to;
                    !is_system_account(address) && (!warm || !account.storage.is_empty())
                })
                .map(|(address, account)| {
                    let mut keys: Vec<_> = account
                        .storage
                        .keys()
                        .map(|k| alloy_primitives::B256::from(k.to_be_bytes::<32>()))
                        .collect();
                    keys.sort();
                    AccessListItem { address: *address, storage_keys: keys }
                })
                .collect();
            items.sort_by_key(|i| i.address);
            let list = AccessList(items);
            let mut with_list = request.clone();
            with_list.access_list = Some(list.clone());
            let rerun = db.run(evm, &env, tx_env(&with_list, &env, gas)?)?;
            let error = match &rerun.result {
                ExecutionResult::Success { .. } => None,
                ExecutionResult::Revert { output, .. } => {
                    Some(RpcError::reverted(output.clone()).to_string())
                }
                ExecutionResult::Halt { reason, .. } => Some(halt_message(reason)),
            };
            Ok(AccessListResult {
                access_list: list,
                gas_used: U256::from(rerun.result.tx_gas_used()),
                error,
            })
        })
        .await
    }
}

fn prepare<DB: CallDb + alloy_evm::overrides::OverrideBlockHashes>(
    db: &mut DB,
    env: &mut EvmEnv<OpSpecId, BlockEnv>,
    state: Option<StateOverride>,
    block: Option<Box<BlockOverrides>>,
) -> RpcResult<()> {
    if let Some(state) = state {
        apply_state_overrides(state, db).map_err(|e| RpcError::InvalidParams(e.to_string()))?;
    }
    if let Some(block) = block {
        apply_block_overrides(*block, db, &mut env.block_env);
    }
    Ok(())
}

/// Object-safe view of the databases calls run on, so one closure serves latest and history.
pub(crate) trait DynCallDb {
    /// Executes without committing.
    fn run(
        &mut self,
        evm: &NodeEvm,
        env: &EvmEnv<OpSpecId, BlockEnv>,
        tx: OpTx,
    ) -> RpcResult<ResultAndState<OpHaltReason>>;
    /// Length of an account's code.
    fn code_len(&mut self, address: Address) -> RpcResult<usize>;
    /// Gas the caller can pay for at the transaction's price.
    fn allowance(&mut self, tx: &OpTx) -> RpcResult<u64>;
}

impl<DB: CallDb> DynCallDb for DB {
    fn run(
        &mut self,
        evm: &NodeEvm,
        env: &EvmEnv<OpSpecId, BlockEnv>,
        tx: OpTx,
    ) -> RpcResult<ResultAndState<OpHaltReason>> {
        transact(evm, self, env, tx)
    }

    fn code_len(&mut self, address: Address) -> RpcResult<usize> {
        let account = self.basic(address).map_err(|e| RpcError::Internal(e.to_string()))?;
        let Some(account) = account else { return Ok(0) };
        if let Some(code) = &account.code {
            return Ok(code.len());
        }
        Ok(self
            .code_by_hash(account.code_hash)
            .map_err(|e| RpcError::Internal(e.to_string()))?
            .len())
    }

    fn allowance(&mut self, tx: &OpTx) -> RpcResult<u64> {
        alloy_evm::call::caller_gas_allowance(self, tx)
            .map_err(|e| RpcError::InvalidTx(e.to_string()))
    }
}
