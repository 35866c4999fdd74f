//! The L1-attributes deposit that opens every L2 block.
//!
//! It tells the L2 chain which L1 block it is derived from (its "L1 origin") and carries the
//! L1 fee parameters that op-revm reads back from the `L1Block` predeploy's storage to charge
//! the L1 data fee. The calldata is OP's packed Isthmus layout:
//!
//! ```text
//! offset size field
//!      0    4 selector 0x098999be (setL1BlockValuesIsthmus())
//!      4    4 baseFeeScalar        u32
//!      8    4 blobBaseFeeScalar    u32
//!     12    8 sequenceNumber       u64
//!     20    8 timestamp            u64
//!     28    8 number               u64
//!     36   32 basefee              u256
//!     68   32 blobBaseFee          u256
//!    100   32 hash                 bytes32
//!    132   32 batcherHash          bytes32
//!    164    4 operatorFeeScalar    u32
//!    168    8 operatorFeeConstant  u64
//!    176      end
//! ```

use crate::deposit::l1_info_source_hash;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use op_alloy::consensus::TxDeposit;

/// Sender of the L1-attributes deposit (OP's depositor account).
pub const L1_INFO_DEPOSITOR: Address = address!("deaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// The `L1Block` predeploy.
pub const L1_BLOCK_PREDEPLOY: Address = address!("4200000000000000000000000000000000000015");
/// Gas limit of the L1-attributes deposit.
pub const L1_INFO_GAS: u64 = 1_000_000;
/// Selector of `setL1BlockValuesIsthmus()`.
pub const ISTHMUS_SELECTOR: [u8; 4] = [0x09, 0x89, 0x99, 0xbe];
/// Length of the Isthmus calldata.
pub const ISTHMUS_LEN: usize = 176;

/// What an L2 block knows about its L1 origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L1BlockInfo {
    /// L1 origin block number.
    pub number: u64,
    /// L1 origin timestamp.
    pub timestamp: u64,
    /// L1 origin base fee.
    pub base_fee: U256,
    /// L1 origin blob base fee.
    pub blob_base_fee: U256,
    /// L1 origin block hash.
    pub hash: B256,
    /// Position of this L2 block within its epoch (0 for the first L2 block of an L1 origin).
    pub sequence_number: u64,
    /// The authorized batcher, left-padded to 32 bytes.
    pub batcher_hash: B256,
    /// Scalar on the L1 base fee (Ecotone fee formula).
    pub base_fee_scalar: u32,
    /// Scalar on the L1 blob base fee.
    pub blob_base_fee_scalar: u32,
    /// Isthmus operator fee scalar.
    pub operator_fee_scalar: u32,
    /// Isthmus operator fee constant.
    pub operator_fee_constant: u64,
}

/// Why calldata is not a valid L1-attributes payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1InfoError {
    /// Wrong length for the Isthmus layout.
    #[error("L1 info calldata has {0} bytes, expected {ISTHMUS_LEN}")]
    Length(usize),
    /// Not `setL1BlockValuesIsthmus()`.
    #[error("L1 info calldata has an unknown selector")]
    Selector,
}

impl L1BlockInfo {
    /// The Isthmus calldata.
    pub fn encode_isthmus(&self) -> Bytes {
        let mut out = Vec::with_capacity(ISTHMUS_LEN);
        out.extend_from_slice(&ISTHMUS_SELECTOR);
        out.extend_from_slice(&self.base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.blob_base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.base_fee.to_be_bytes::<32>());
        out.extend_from_slice(&self.blob_base_fee.to_be_bytes::<32>());
        out.extend_from_slice(self.hash.as_slice());
        out.extend_from_slice(self.batcher_hash.as_slice());
        out.extend_from_slice(&self.operator_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.operator_fee_constant.to_be_bytes());
        out.into()
    }

    /// Parses Isthmus calldata, checking every length first.
    pub fn decode_isthmus(data: &[u8]) -> Result<Self, L1InfoError> {
        if data.len() != ISTHMUS_LEN {
            return Err(L1InfoError::Length(data.len()));
        }
        if data[..4] != ISTHMUS_SELECTOR {
            return Err(L1InfoError::Selector);
        }
        let u32_at =
            |o: usize| u32::from_be_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[o..o + 8]);
            u64::from_be_bytes(b)
        };
        Ok(Self {
            base_fee_scalar: u32_at(4),
            blob_base_fee_scalar: u32_at(8),
            sequence_number: u64_at(12),
            timestamp: u64_at(20),
            number: u64_at(28),
            base_fee: U256::from_be_slice(&data[36..68]),
            blob_base_fee: U256::from_be_slice(&data[68..100]),
            hash: B256::from_slice(&data[100..132]),
            batcher_hash: B256::from_slice(&data[132..164]),
            operator_fee_scalar: u32_at(164),
            operator_fee_constant: u64_at(168),
        })
    }

    /// The deposit transaction that sets these values in the `L1Block` predeploy.
    pub fn deposit_tx(&self) -> TxDeposit {
        TxDeposit {
            source_hash: l1_info_source_hash(self.hash, self.sequence_number),
            from: L1_INFO_DEPOSITOR,
            to: TxKind::Call(L1_BLOCK_PREDEPLOY),
            mint: 0,
            value: U256::ZERO,
            gas_limit: L1_INFO_GAS,
            is_system_transaction: false,
            input: self.encode_isthmus(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_info() -> impl Strategy<Value = L1BlockInfo> {
        (
            any::<(u64, u64, u64, u64)>(),
            any::<([u8; 32], [u8; 32], [u8; 32], [u8; 32])>(),
            any::<(u32, u32, u32)>(),
        )
            .prop_map(
                |(
                    (number, timestamp, sequence_number, operator_fee_constant),
                    (bf, bbf, h, bh),
                    (s1, s2, s3),
                )| {
                    L1BlockInfo {
                        number,
                        timestamp,
                        sequence_number,
                        operator_fee_constant,
                        base_fee: U256::from_be_bytes(bf),
                        blob_base_fee: U256::from_be_bytes(bbf),
                        hash: B256::from(h),
                        batcher_hash: B256::from(bh),
                        base_fee_scalar: s1,
                        blob_base_fee_scalar: s2,
                        operator_fee_scalar: s3,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn roundtrip(info in arb_info()) {
            let data = info.encode_isthmus();
            prop_assert_eq!(data.len(), ISTHMUS_LEN);
            prop_assert_eq!(L1BlockInfo::decode_isthmus(&data), Ok(info));
        }

        #[test]
        fn decode_is_total(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = L1BlockInfo::decode_isthmus(&data);
        }
    }

    #[test]
    fn rejects_wrong_selector_and_length() {
        let mut data = L1BlockInfo::default().encode_isthmus().to_vec();
        assert_eq!(L1BlockInfo::decode_isthmus(&data[..175]), Err(L1InfoError::Length(175)));
        data[0] = 0x44;
        assert_eq!(L1BlockInfo::decode_isthmus(&data), Err(L1InfoError::Selector));
    }

    #[test]
    fn selector_is_keccak_of_signature() {
        let hash = alloy_primitives::keccak256("setL1BlockValuesIsthmus()");
        assert_eq!(hash[..4], ISTHMUS_SELECTOR);
    }
}
