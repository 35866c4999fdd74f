//! Output roots: what the L1 settlement contract records for an L2 block.

use alloy_primitives::{B256, keccak256};

/// Version-0 output root: `keccak256(version ++ state_root ++ message_passer_storage_root ++
/// block_hash)`, as OP defines it. Withdrawals are proved on L1 against the message passer's
/// storage root inside it.
pub fn output_root_v0(
    state_root: B256,
    message_passer_storage_root: B256,
    block_hash: B256,
) -> B256 {
    let mut buf = [0u8; 128];
    buf[32..64].copy_from_slice(state_root.as_slice());
    buf[64..96].copy_from_slice(message_passer_storage_root.as_slice());
    buf[96..].copy_from_slice(block_hash.as_slice());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;

    #[test]
    fn version_zero_layout() {
        let (s, m, b) = (B256::repeat_byte(1), B256::repeat_byte(2), B256::repeat_byte(3));
        let mut manual = vec![0u8; 32];
        manual.extend_from_slice(s.as_slice());
        manual.extend_from_slice(m.as_slice());
        manual.extend_from_slice(b.as_slice());
        assert_eq!(output_root_v0(s, m, b), keccak256(&manual));
        assert_ne!(
            output_root_v0(s, m, b),
            b256!("0000000000000000000000000000000000000000000000000000000000000000")
        );
    }
}
