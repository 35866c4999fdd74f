//! Source hashes of deposit transactions (OP deposit spec).
//!
//! A deposit has no signature; its hash is made unique by a source hash that names where on L1
//! it came from. The derivation and the sequencer must compute it identically, so it lives here.

use alloy_primitives::{B256, keccak256};

fn domain_hash(domain: u64, inner: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[24..32].copy_from_slice(&domain.to_be_bytes());
    buf[32..].copy_from_slice(inner.as_slice());
    keccak256(buf)
}

/// Source hash of a user deposit: the L1 block hash and the log index of its
/// `TransactionDeposited` event (domain 0).
pub fn user_deposit_source_hash(l1_block_hash: B256, log_index: u64) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(l1_block_hash.as_slice());
    buf[56..].copy_from_slice(&log_index.to_be_bytes());
    domain_hash(0, keccak256(buf))
}

/// Source hash of the L1-attributes deposit: the L1 origin's hash and the L2 block's sequence
/// number within that epoch (domain 1).
pub fn l1_info_source_hash(l1_block_hash: B256, sequence_number: u64) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(l1_block_hash.as_slice());
    buf[56..].copy_from_slice(&sequence_number.to_be_bytes());
    domain_hash(1, keccak256(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use op_alloy::consensus::{DepositSourceDomain, L1InfoDepositSource, UserDepositSource};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_op_alloy(hash in any::<[u8; 32]>(), index in any::<u64>()) {
            let hash = B256::from(hash);
            prop_assert_eq!(
                user_deposit_source_hash(hash, index),
                DepositSourceDomain::User(UserDepositSource::new(hash, index)).source_hash()
            );
            prop_assert_eq!(
                l1_info_source_hash(hash, index),
                DepositSourceDomain::L1Info(L1InfoDepositSource::new(hash, index)).source_hash()
            );
        }
    }
}
