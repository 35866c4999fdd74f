//! Transaction validation, split like reth's pool: what can be checked from the bytes alone
//! (done in parallel, outside any lock) and what needs the sender's account.

use crate::executor::ReadyTx;
use alloy_consensus::{Transaction, transaction::SignerRecoverable};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bytes, U256};
use op_alloy::consensus::OpTxEnvelope;
use revm::{context_interface::cfg::gas::calculate_initial_tx_gas, primitives::hardfork::SpecId};

/// Why a transaction was refused. Messages follow geth's wording, which wallets and tools match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Bytes are not a transaction.
    #[error("failed to decode transaction: {0}")]
    Decode(String),
    /// EIP-4844, deposit or other types a user may not submit.
    #[error("transaction type not supported")]
    TypeNotSupported,
    /// Pre-EIP-155 legacy transaction.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Wrong chain id.
    #[error("invalid chain id for signer: have {have} want {want}")]
    ChainId {
        /// Chain id in the transaction.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    /// Bad signature.
    #[error("invalid sender: {0}")]
    Signature(String),
    /// Encoded size over the limit.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized {
        /// Size of the transaction.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Gas limit below intrinsic gas.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGas {
        /// Gas limit.
        have: u64,
        /// Intrinsic (or EIP-7623 floor) gas.
        want: u64,
    },
    /// Gas limit above the block gas limit.
    #[error("exceeds block gas limit")]
    GasLimit,
    /// Tip above fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Fee cap below the current base fee.
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    FeeCapTooLow {
        /// The transaction's fee cap.
        max_fee: u128,
        /// Current base fee.
        base_fee: u64,
    },
    /// Nonce already used.
    #[error("nonce too low: next nonce {next}, tx nonce {nonce}")]
    NonceTooLow {
        /// Next usable nonce.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
    /// Nonce too far ahead.
    #[error("nonce too high: next nonce {next}, tx nonce {nonce}")]
    NonceGap {
        /// Next usable nonce.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
    /// Cannot pay for the transaction.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// Sender.
        address: Address,
        /// Balance.
        have: U256,
        /// Maximum cost.
        want: U256,
    },
    /// Same transaction again.
    #[error("already known")]
    AlreadyKnown,
    /// Replacement without a sufficient fee bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The pool is full and the transaction does not beat anything in it.
    #[error("txpool is full")]
    Full,
    /// The sender has too many transactions in the pool.
    #[error("account limit exceeded: {0} transactions in the pool")]
    SenderLimit(usize),
    /// Init code too large (EIP-3860).
    #[error("max initcode size exceeded: code size {size}, limit {limit}")]
    InitCode {
        /// Init code size.
        size: usize,
        /// Limit.
        limit: usize,
    },
}

/// Limits applied before a transaction touches the pool.
#[derive(Debug, Clone, Copy)]
pub struct StatelessRules {
    /// This chain's id.
    pub chain_id: u64,
    /// Block gas limit.
    pub block_gas_limit: u64,
    /// Largest encoded transaction accepted (bytes).
    pub max_tx_bytes: usize,
    /// Whether pre-EIP-155 legacy transactions are accepted.
    pub allow_unprotected: bool,
}

const MAX_INITCODE_SIZE: usize = 2 * 24_576;

/// Decodes raw bytes and checks everything that does not depend on state, including the
/// signature. Pure and thread-safe: callers may run it on many transactions in parallel.
pub fn validate_raw(raw: &[u8], rules: &StatelessRules) -> Result<ReadyTx, PoolError> {
    if raw.len() > rules.max_tx_bytes {
        return Err(PoolError::Oversized { size: raw.len(), limit: rules.max_tx_bytes });
    }
    // A typed envelope of a type this chain has no use for (EIP-4844 blobs, future types) is
    // refused by its type byte, as geth does, rather than reported as undecodable.
    if let Some(&ty) = raw.first()
        && ty < 0x7f
        && !matches!(ty, 0x01 | 0x02 | 0x04)
    {
        return Err(PoolError::TypeNotSupported);
    }
    let mut buf = raw;
    let tx = OpTxEnvelope::decode_2718(&mut buf).map_err(|e| match e {
        alloy_eips::eip2718::Eip2718Error::UnexpectedType(_) => PoolError::TypeNotSupported,
        other => PoolError::Decode(other.to_string()),
    })?;
    if !buf.is_empty() {
        return Err(PoolError::Decode("trailing bytes after transaction".into()));
    }
    match &tx {
        OpTxEnvelope::Legacy(_)
        | OpTxEnvelope::Eip2930(_)
        | OpTxEnvelope::Eip1559(_)
        | OpTxEnvelope::Eip7702(_) => {}
        _ => return Err(PoolError::TypeNotSupported),
    }
    match tx.chain_id() {
        Some(id) if id != rules.chain_id => {
            return Err(PoolError::ChainId { have: id, want: rules.chain_id });
        }
        None if !rules.allow_unprotected => return Err(PoolError::Unprotected),
        _ => {}
    }
    if tx.gas_limit() > rules.block_gas_limit {
        return Err(PoolError::GasLimit);
    }
    if let Some(tip) = tx.max_priority_fee_per_gas()
        && tip > tx.max_fee_per_gas()
    {
        return Err(PoolError::TipAboveFeeCap);
    }
    if tx.kind().is_create() && tx.input().len() > MAX_INITCODE_SIZE {
        return Err(PoolError::InitCode { size: tx.input().len(), limit: MAX_INITCODE_SIZE });
    }
    let (accounts, slots) = tx
        .access_list()
        .map(|list| {
            list.iter()
                .fold((0u64, 0u64), |(a, s), item| (a + 1, s + item.storage_keys.len() as u64))
        })
        .unwrap_or_default();
    let auths = tx.authorization_list().map(|l| l.len() as u64).unwrap_or_default();
    let gas = calculate_initial_tx_gas(
        SpecId::PRAGUE,
        tx.input(),
        tx.kind().is_create(),
        accounts,
        slots,
        auths,
    );
    let want = gas.initial_total_gas.max(gas.floor_gas);
    if tx.gas_limit() < want {
        return Err(PoolError::IntrinsicGas { have: tx.gas_limit(), want });
    }
    let sender = tx.recover_signer().map_err(|e| PoolError::Signature(e.to_string()))?;
    let hash = tx.tx_hash();
    Ok(ReadyTx {
        tx: alloy_consensus::transaction::Recovered::new_unchecked(tx, sender),
        encoded: Bytes::copy_from_slice(raw),
        hash,
    })
}

/// The most a transaction can cost its sender: gas at the fee cap, value, and the L1 data fee.
pub fn max_cost(tx: &OpTxEnvelope, l1_cost: U256) -> U256 {
    U256::from(tx.gas_limit())
        .saturating_mul(U256::from(tx.max_fee_per_gas()))
        .saturating_add(tx.value())
        .saturating_add(l1_cost)
}
