//! Sealing: turning an executed block into a header with real roots.
//!
//! "How to build a block" is a plain function of the parent, the attributes and the executed
//! transactions; "when" lives in [`crate::miner`].

use crate::{
    evm::NodeEvm,
    executor::{ExecutedBlock, ExecutedTx},
    state::{StateChanges, WorldState},
};
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, Sealed, proofs::ordered_trie_root_with_encoder,
};
use alloy_eips::{eip2718::Encodable2718, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{B64, Bloom, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use op_alloy::consensus::predeploys::L2_TO_L1_MESSAGE_PASSER_ADDRESS;

use crate::executor::BlockAttributes;

/// A block ready to be stored: header plus executed transactions and state changes.
#[derive(Debug)]
pub struct SealedBlock {
    /// The sealed header.
    pub header: Sealed<Header>,
    /// Transactions with receipts.
    pub transactions: Vec<ExecutedTx>,
    /// State changes.
    pub changes: StateChanges,
}

impl SealedBlock {
    /// Block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// Applies the executed block to `state` and builds its header.
///
/// `state` must be the state the block was executed against; after the call it is the state
/// after the block.
pub fn seal(
    evm: &NodeEvm,
    state: &mut WorldState,
    parent: &Sealed<Header>,
    base_fee: u64,
    attrs: &BlockAttributes,
    executed: ExecutedBlock,
) -> SealedBlock {
    let chain = evm.chain();
    let state_root = state.apply(&executed.changes);
    let isthmus = chain.hardforks.is_isthmus_active(attrs.timestamp);
    let withdrawals_root = if isthmus {
        state.storage_root(&L2_TO_L1_MESSAGE_PASSER_ADDRESS)
    } else {
        EMPTY_ROOT_HASH
    };
    let transactions_root = ordered_trie_root_with_encoder(&executed.transactions, |t, buf| {
        buf.extend_from_slice(&t.tx.encoded)
    });
    let receipts_root =
        ordered_trie_root_with_encoder(&executed.transactions, |t, buf| t.receipt.encode_2718(buf));
    let mut logs_bloom = Bloom::ZERO;
    for t in &executed.transactions {
        logs_bloom.accrue_bloom(t.receipt.logs_bloom());
    }
    let header = Header {
        parent_hash: parent.hash(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: chain.fee_recipient,
        state_root,
        transactions_root,
        receipts_root,
        logs_bloom,
        difficulty: U256::ZERO,
        number: parent.number + 1,
        gas_limit: attrs.gas_limit,
        gas_used: executed.gas_used,
        timestamp: attrs.timestamp,
        extra_data: chain.extra_data(attrs.timestamp),
        mix_hash: attrs.prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(base_fee),
        withdrawals_root: Some(withdrawals_root),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(attrs.parent_beacon_block_root),
        requests_hash: isthmus.then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    SealedBlock {
        header: Sealed::new(header),
        transactions: executed.transactions,
        changes: executed.changes,
    }
}
