//! What the chain decides about an L2 block besides its user transactions: timestamp, L1 origin
//! (the L1-attributes deposit), the epoch's deposits, randomness and gas limit. The sequencer
//! builds blocks from these attributes and the pool; derivation from these attributes and a
//! batch; both make them with [`block_attributes`], so they cannot disagree.

use crate::{L1BlockInfo, epoch::L1Ref, rollup::SystemConfig};
use alloy_primitives::{B256, U256};
use op_alloy::consensus::TxDeposit;

/// An L1 block with what L2 takes from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Block {
    /// Number, hash, parent hash, timestamp.
    pub id: L1Ref,
    /// Base fee (wei).
    pub base_fee: u128,
    /// Blob base fee (wei; 1 before Cancun).
    pub blob_base_fee: u128,
    /// The block's mix hash (PREVRANDAO of L2 blocks in its epoch).
    pub mix_hash: B256,
    /// Parent beacon block root (zero before Cancun).
    pub parent_beacon_root: B256,
    /// The portal's deposits in this block, in log order.
    pub deposits: Vec<TxDeposit>,
}

/// What the consensus layer decides about the next block, apart from its user transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAttributes {
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// The L1 origin and fee parameters; becomes the first (L1-info) deposit.
    pub l1_info: L1BlockInfo,
    /// User deposits from the L1 origin, executed right after the L1-info deposit.
    pub deposits: Vec<TxDeposit>,
    /// PREVRANDAO (the L1 origin's mix hash).
    pub prev_randao: B256,
    /// The L1 origin's parent beacon block root (EIP-4788).
    pub parent_beacon_block_root: B256,
    /// Block gas limit.
    pub gas_limit: u64,
}

/// The attributes of an L2 block at `timestamp` on `origin`, the `sequence_number`-th block of
/// its epoch: the first (0) carries the origin's deposits, the others none.
pub fn block_attributes(
    system: &SystemConfig,
    origin: &L1Block,
    sequence_number: u64,
    timestamp: u64,
    gas_limit: u64,
) -> BlockAttributes {
    BlockAttributes {
        timestamp,
        l1_info: L1BlockInfo {
            number: origin.id.number,
            timestamp: origin.id.timestamp,
            base_fee: U256::from(origin.base_fee),
            blob_base_fee: U256::from(origin.blob_base_fee),
            hash: origin.id.hash,
            sequence_number,
            batcher_hash: system.batcher_hash(),
            base_fee_scalar: system.base_fee_scalar,
            blob_base_fee_scalar: system.blob_base_fee_scalar,
            operator_fee_scalar: 0,
            operator_fee_constant: 0,
        },
        deposits: if sequence_number == 0 { origin.deposits.clone() } else { Vec::new() },
        prev_randao: origin.mix_hash,
        parent_beacon_block_root: origin.parent_beacon_root,
        gas_limit,
    }
}

/// The sequence number of a block on `origin` whose parent was the `parent_sequence`-th block
/// on `parent_origin`.
pub fn sequence_number(parent_origin: u64, parent_sequence: u64, origin: u64) -> u64 {
    if origin == parent_origin { parent_sequence + 1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;

    #[test]
    fn only_the_first_block_of_an_epoch_carries_its_deposits() {
        let system = SystemConfig {
            batcher_addr: Address::repeat_byte(7),
            base_fee_scalar: 3,
            blob_base_fee_scalar: 4,
            gas_limit: 30_000_000,
        };
        let origin = L1Block {
            id: L1Ref {
                number: 9,
                hash: B256::repeat_byte(9),
                parent_hash: B256::ZERO,
                timestamp: 90,
            },
            base_fee: 5,
            blob_base_fee: 6,
            mix_hash: B256::repeat_byte(1),
            parent_beacon_root: B256::repeat_byte(2),
            deposits: vec![TxDeposit::default()],
        };
        let first = block_attributes(&system, &origin, 0, 100, 30_000_000);
        assert_eq!(first.deposits.len(), 1);
        assert_eq!((first.l1_info.number, first.l1_info.hash), (9, B256::repeat_byte(9)));
        assert_eq!(first.l1_info.batcher_hash, system.batcher_hash());
        assert_eq!((first.prev_randao, first.timestamp), (B256::repeat_byte(1), 100));
        let later = block_attributes(&system, &origin, 1, 102, 30_000_000);
        assert!(later.deposits.is_empty());
        assert_eq!(later.l1_info.sequence_number, 1);
        assert_eq!(sequence_number(9, 3, 9), 4);
        assert_eq!(sequence_number(9, 3, 10), 0);
    }
}
