//! Choosing how a channel travels: calldata or blobs, by what each would cost at the L1's
//! current fees (op-batcher's `auto` data availability).
//!
//! Channel data is compressed, so nearly every byte is non-zero, and a calldata batch is all
//! data: since Prague (EIP-7623) it pays the calldata floor, 10 gas per token with 4 tokens per
//! non-zero byte, 40 gas per byte. A blob costs `GAS_PER_BLOB` blob gas at the blob base fee
//! whatever it holds. Both pay the transaction and the inbox call in regular gas.

use crate::channel::BLOB_FRAME;
use alloy_eips::eip4844::DATA_GAS_PER_BLOB;

/// Regular gas of one batch transaction besides its data: the base cost and the inbox's
/// bookkeeping (event, accumulator and counter writes).
pub const TX_OVERHEAD_GAS: u128 = 21_000 + 40_000;

/// Calldata gas per byte of compressed channel data (EIP-7623 floor: 4 tokens × 10 gas).
pub const CALLDATA_GAS_PER_BYTE: u128 = 40;

/// How one channel travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carry {
    /// `submitBatch` calldata, one frame per transaction.
    Calldata,
    /// Blobs, one frame per blob, `per_tx` blobs per transaction.
    Blobs,
}

/// Wei to post `len` bytes of channel data each way, with calldata frames of `calldata_frame`
/// bytes and `blobs_per_tx` blobs per transaction: `(calldata, blobs)`.
pub fn costs(
    len: usize,
    calldata_frame: usize,
    blobs_per_tx: usize,
    base_fee: u128,
    blob_base_fee: u128,
) -> (u128, u128) {
    let len = len.max(1) as u128;
    let frames = |size: usize| len.div_ceil(size.max(1) as u128);
    let calldata_txs = frames(calldata_frame);
    let calldata = (calldata_txs * TX_OVERHEAD_GAS + len * CALLDATA_GAS_PER_BYTE) * base_fee;
    let blobs = frames(BLOB_FRAME);
    let blob_txs = blobs.div_ceil(blobs_per_tx.max(1) as u128);
    let blob = blob_txs * TX_OVERHEAD_GAS * base_fee
        + blobs * u128::from(DATA_GAS_PER_BLOB) * blob_base_fee;
    (calldata, blob)
}

/// The cheaper way at these fees (calldata on a tie: no KZG work).
pub fn choose(
    len: usize,
    calldata_frame: usize,
    blobs_per_tx: usize,
    base_fee: u128,
    blob_base_fee: u128,
) -> Carry {
    let (calldata, blobs) = costs(len, calldata_frame, blobs_per_tx, base_fee, blob_base_fee);
    if blobs < calldata { Carry::Blobs } else { Carry::Calldata }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u128 = 1_000_000_000;

    #[test]
    fn blobs_win_at_equal_fees_and_calldata_wins_when_blob_gas_is_dear() {
        // 100 kB at 1 gwei each: calldata 4.06M gas, one blob 131k blob gas.
        assert_eq!(choose(100_000, 119_999, 6, GWEI, GWEI), Carry::Blobs);
        let (calldata, blobs) = costs(100_000, 119_999, 6, GWEI, GWEI);
        assert_eq!(calldata, (61_000 + 4_000_000) * GWEI);
        assert_eq!(blobs, 61_000 * GWEI + 131_072 * GWEI);
        // A small channel with blob gas 100x dearer than regular gas goes as calldata: a blob
        // is paid in full however little it holds.
        assert_eq!(choose(2_000, 119_999, 6, GWEI, 100 * GWEI), Carry::Calldata);
        // Break-even moves with the ratio: 2 kB is 80k gas of calldata, one blob 131k blob gas.
        assert_eq!(choose(2_000, 119_999, 6, GWEI, GWEI / 2), Carry::Blobs);
        assert_eq!(choose(2_000, 119_999, 6, GWEI, GWEI), Carry::Calldata);
    }

    #[test]
    fn counts_transactions_and_blobs_by_frame_size() {
        // 300 kB: three calldata transactions of 120 kB frames, three blobs in one transaction.
        let (calldata, blobs) = costs(300_000, 119_999, 6, 1, 1);
        assert_eq!(calldata, 3 * 61_000 + 300_000 * 40);
        assert_eq!(blobs, 61_000 + 3 * 131_072);
        // One blob per transaction: three transaction overheads.
        assert_eq!(costs(300_000, 119_999, 1, 1, 1).1, 3 * 61_000 + 3 * 131_072);
    }
}
