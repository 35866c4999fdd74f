//! Stored records → JSON-RPC shapes (alloy / op-alloy types, so the wire format is the one OP
//! tooling already parses: deposit fields on transactions, L1 fee fields on receipts).

use crate::{
    executor::ReadyTx,
    store::{StoredBlock, StoredLog, StoredTx},
};
use alloy_consensus::{Header, ReceiptWithBloom, Sealed, Transaction as _};
use alloy_network_primitives::BlockTransactions;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{Block, Log, TransactionReceipt};
use ol_protocol::L1BlockInfo;
use op_alloy::{
    consensus::{OpDepositReceipt, OpReceipt, OpReceiptEnvelope, OpTxEnvelope},
    rpc_types::{L1BlockInfo as RpcL1Info, OpTransactionReceipt, Transaction as OpTransaction},
};

/// The RPC block type.
pub type RpcBlock = Block<OpTransaction, alloy_rpc_types_eth::Header>;

/// A mined transaction in RPC form.
pub fn transaction(tx: &StoredTx, header: &Sealed<Header>) -> OpTransaction {
    let base_fee = header.base_fee_per_gas.unwrap_or_default();
    let (deposit_nonce, deposit_receipt_version) = match &tx.receipt {
        OpReceiptEnvelope::Deposit(r) => {
            (r.receipt.deposit_nonce, r.receipt.deposit_receipt_version)
        }
        _ => (None, None),
    };
    let effective_gas_price = if matches!(tx.tx, OpTxEnvelope::Deposit(_)) {
        0
    } else {
        tx.tx.effective_gas_price(Some(base_fee))
    };
    OpTransaction {
        inner: alloy_rpc_types_eth::Transaction {
            inner: alloy_consensus::transaction::Recovered::new_unchecked(tx.tx.clone(), tx.sender),
            block_hash: Some(header.hash()),
            block_number: Some(header.number),
            transaction_index: Some(tx.index),
            effective_gas_price: Some(effective_gas_price),
            block_timestamp: Some(header.timestamp),
        },
        deposit_nonce,
        deposit_receipt_version,
    }
}

/// A pooled (not yet mined) transaction in RPC form.
pub fn pending_transaction(tx: &ReadyTx) -> OpTransaction {
    OpTransaction {
        inner: alloy_rpc_types_eth::Transaction {
            inner: tx.tx.clone(),
            block_hash: None,
            block_number: None,
            transaction_index: None,
            effective_gas_price: None,
            block_timestamp: None,
        },
        deposit_nonce: None,
        deposit_receipt_version: None,
    }
}

/// A block in RPC form, with full transactions or hashes only.
pub fn block(stored: &StoredBlock, full: bool) -> RpcBlock {
    let header = alloy_rpc_types_eth::Header::from_consensus(
        stored.header.clone(),
        None,
        Some(U256::from(stored.size)),
    );
    let transactions = if full {
        BlockTransactions::Full(
            stored.transactions.iter().map(|t| transaction(t, &stored.header)).collect(),
        )
    } else {
        BlockTransactions::Hashes(stored.transactions.iter().map(|t| t.hash).collect())
    };
    Block { header, uncles: Vec::new(), transactions, withdrawals: Some(Default::default()) }
}

fn rpc_logs(tx: &StoredTx, header: &Sealed<Header>) -> Vec<Log> {
    tx.receipt
        .logs()
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(header.hash()),
            block_number: Some(header.number),
            block_timestamp: Some(header.timestamp),
            transaction_hash: Some(tx.hash),
            transaction_index: Some(tx.index),
            log_index: Some(tx.first_log_index + i as u64),
            removed: false,
        })
        .collect()
}

/// A receipt in RPC form (OP fields included).
///
/// The L1 data fee and L1 gas are recomputed from the transaction's bytes and its block's L1
/// origin (the same op-revm function charged them), so they are not stored.
pub fn receipt(
    tx: &StoredTx,
    header: &Sealed<Header>,
    l1: Option<&L1BlockInfo>,
    spec: op_revm::OpSpecId,
) -> OpTransactionReceipt {
    let logs = rpc_logs(tx, header);
    let bloom = tx.receipt.logs_bloom();
    let status = tx.receipt.status();
    let cumulative = alloy_consensus::TxReceipt::cumulative_gas_used(&tx.receipt);
    let inner =
        alloy_consensus::Receipt { status: status.into(), cumulative_gas_used: cumulative, logs };
    let op_receipt = match &tx.receipt {
        OpReceiptEnvelope::Legacy(_) => OpReceipt::Legacy(inner),
        OpReceiptEnvelope::Eip2930(_) => OpReceipt::Eip2930(inner),
        OpReceiptEnvelope::Eip1559(_) => OpReceipt::Eip1559(inner),
        OpReceiptEnvelope::Eip7702(_) => OpReceipt::Eip7702(inner),
        OpReceiptEnvelope::PostExec(_) => OpReceipt::PostExec(inner),
        OpReceiptEnvelope::Deposit(d) => OpReceipt::Deposit(OpDepositReceipt {
            inner,
            deposit_nonce: d.receipt.deposit_nonce,
            deposit_receipt_version: d.receipt.deposit_receipt_version,
        }),
    };
    let is_deposit = matches!(tx.tx, OpTxEnvelope::Deposit(_));
    let base_fee = header.base_fee_per_gas.unwrap_or_default();
    let l1_block_info = match (is_deposit, l1) {
        (false, Some(l1)) => {
            let raw = alloy_eips::eip2718::Encodable2718::encoded_2718(&tx.tx);
            let mut fees = crate::executor::l1_fee_calculator(l1);
            let l1_fee = fees.calculate_tx_l1_cost(&raw, spec);
            let l1_gas_used = fees.data_gas(&raw, spec);
            RpcL1Info {
                l1_gas_price: Some(l1.base_fee.saturating_to()),
                l1_gas_used: Some(l1_gas_used.saturating_to()),
                l1_fee: Some(l1_fee.saturating_to()),
                l1_fee_scalar: None,
                l1_base_fee_scalar: Some(u128::from(l1.base_fee_scalar)),
                l1_blob_base_fee: Some(l1.blob_base_fee.saturating_to()),
                l1_blob_base_fee_scalar: Some(u128::from(l1.blob_base_fee_scalar)),
                operator_fee_scalar: Some(u128::from(l1.operator_fee_scalar)),
                operator_fee_constant: Some(u128::from(l1.operator_fee_constant)),
                ..Default::default()
            }
        }
        _ => RpcL1Info::default(),
    };
    OpTransactionReceipt {
        inner: TransactionReceipt {
            inner: ReceiptWithBloom { receipt: op_receipt, logs_bloom: *bloom },
            transaction_hash: tx.hash,
            transaction_index: Some(tx.index),
            block_hash: Some(header.hash()),
            block_number: Some(header.number),
            gas_used: tx.gas_used,
            effective_gas_price: if is_deposit {
                0
            } else {
                tx.tx.effective_gas_price(Some(base_fee))
            },
            blob_gas_used: None,
            blob_gas_price: None,
            from: tx.sender,
            to: tx.tx.to(),
            contract_address: tx.contract_address,
        },
        l1_block_info,
        op_gas_refund: None,
    }
}

/// A stored log in RPC form.
pub fn log(stored: &StoredLog, block_hash: B256, timestamp: u64) -> Log {
    Log {
        inner: alloy_primitives::Log::new_unchecked(
            stored.address,
            stored.topics.clone(),
            stored.data.clone(),
        ),
        block_hash: Some(block_hash),
        block_number: Some(stored.block_number),
        block_timestamp: Some(timestamp),
        transaction_hash: Some(stored.tx_hash),
        transaction_index: Some(stored.tx_index),
        log_index: Some(stored.log_index),
        removed: false,
    }
}

/// Every log of a freshly built block in RPC form, with block-wide log indices.
pub fn block_logs(block: &crate::builder::SealedBlock) -> Vec<Log> {
    let header = &block.header;
    let mut index = 0u64;
    let mut out = Vec::new();
    for (tx_index, t) in block.transactions.iter().enumerate() {
        for log in t.receipt.logs() {
            out.push(Log {
                inner: log.clone(),
                block_hash: Some(header.hash()),
                block_number: Some(header.number),
                block_timestamp: Some(header.timestamp),
                transaction_hash: Some(t.tx.hash),
                transaction_index: Some(tx_index as u64),
                log_index: Some(index),
                removed: false,
            });
            index += 1;
        }
    }
    out
}
