//! Where batch payloads sit on L1: the settlement inbox's events name them, the transaction's
//! input or its blobs carry them.
//!
//! ```text
//!  BatchSubmitted(index, l1Block, dataHash, dataLength)  ──▶ tx input = submitBatch(data)
//!                                                            keccak256(data) == dataHash
//!  BlobBatchSubmitted(index, l1Block, blobHashes[])       ──▶ one payload per blob, in order
//! ```
//!
//! The inbox only emits for the authorized batcher calling from its EOA, so an event is the
//! authorization: what the batcher (reading back) and derivation (reading forward) accept is
//! exactly the set of events, and anything else sent to the inbox (reverted calls, other
//! senders, plain transfers) is never looked at. An event whose data does not check out (a
//! transaction that is not a direct `submitBatch` call, a hash that does not match) is dropped
//! by the same rule everywhere.

use crate::contracts::SettlementInbox;
use alloy_primitives::{B256, Bytes, Log, keccak256};
use alloy_sol_types::{SolCall, SolEvent};

/// A batch the inbox recorded, as its event states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxBatch {
    /// Posted as calldata: the bytes are the `submitBatch` argument of the transaction.
    Calldata {
        /// keccak256 of the bytes.
        data_hash: B256,
    },
    /// Posted in blobs: one payload per blob, in this order.
    Blobs {
        /// The blobs' versioned hashes.
        hashes: Vec<B256>,
    },
}

/// Why an inbox event's data is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    /// The transaction's input is not the canonical encoding of a `submitBatch(bytes)` call.
    #[error("transaction input is not submitBatch(bytes)")]
    NotSubmitBatch,
    /// The bytes do not hash to what the event recorded.
    #[error("batch data does not match the recorded hash")]
    HashMismatch,
}

/// The batch an inbox log records, or `None` for any other log (other events, other emitters,
/// undecodable data).
pub fn inbox_batch(inbox: alloy_primitives::Address, log: &Log) -> Option<InboxBatch> {
    if log.address != inbox {
        return None;
    }
    match log.topics().first()? {
        t if *t == SettlementInbox::BatchSubmitted::SIGNATURE_HASH => {
            let event = SettlementInbox::BatchSubmitted::decode_log_data(&log.data).ok()?;
            Some(InboxBatch::Calldata { data_hash: event.dataHash })
        }
        t if *t == SettlementInbox::BlobBatchSubmitted::SIGNATURE_HASH => {
            let event = SettlementInbox::BlobBatchSubmitted::decode_log_data(&log.data).ok()?;
            Some(InboxBatch::Blobs { hashes: event.blobHashes })
        }
        _ => None,
    }
}

/// The batch data carried by the input of the transaction that emitted `BatchSubmitted`.
pub fn calldata_batch(input: &[u8], data_hash: B256) -> Result<Bytes, InboxError> {
    let call = SettlementInbox::submitBatchCall::abi_decode(input)
        .ok()
        // Only the canonical encoding counts: ABI decoders differ on short padding and
        // trailing bytes, derivation must not.
        .filter(|call| call.abi_encode() == input)
        .ok_or(InboxError::NotSubmitBatch)?;
    if keccak256(&call._data) != data_hash {
        return Err(InboxError::HashMismatch);
    }
    Ok(call._data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, LogData, U256, address};

    const INBOX: Address = address!("00000000000000000000000000000000000000aa");

    fn log(address: Address, data: LogData) -> Log {
        Log { address, data }
    }

    #[test]
    fn events_name_their_batches_and_nothing_else_counts() {
        let data = b"payload".to_vec();
        let event = SettlementInbox::BatchSubmitted {
            batchIndex: U256::from(3),
            l1BlockNumber: U256::from(9),
            dataHash: keccak256(&data),
            dataLength: U256::from(data.len()),
        };
        let calldata = log(INBOX, event.encode_log_data());
        assert_eq!(
            inbox_batch(INBOX, &calldata),
            Some(InboxBatch::Calldata { data_hash: keccak256(&data) })
        );
        // Same event from another contract: not a batch.
        assert_eq!(
            inbox_batch(address!("00000000000000000000000000000000000000bb"), &calldata),
            None
        );

        let hashes = vec![B256::repeat_byte(1), B256::repeat_byte(2)];
        let blobs = SettlementInbox::BlobBatchSubmitted {
            batchIndex: U256::from(4),
            l1BlockNumber: U256::from(9),
            blobHashes: hashes.clone(),
        };
        assert_eq!(
            inbox_batch(INBOX, &log(INBOX, blobs.encode_log_data())),
            Some(InboxBatch::Blobs { hashes })
        );

        // Other events and truncated data are no batch.
        let other = SettlementInbox::BatcherUpdated {
            previousBatcher: Address::ZERO,
            newBatcher: Address::ZERO,
        };
        assert_eq!(inbox_batch(INBOX, &log(INBOX, other.encode_log_data())), None);
        let mut short = event.encode_log_data();
        short.data = short.data.slice(..10);
        assert_eq!(inbox_batch(INBOX, &log(INBOX, short)), None);
        assert_eq!(
            inbox_batch(INBOX, &log(INBOX, LogData::new_unchecked(vec![], Bytes::new()))),
            None
        );
    }

    #[test]
    fn calldata_must_be_the_submit_call_with_the_recorded_hash() {
        let data = Bytes::from_static(b"\x00frames");
        let input = SettlementInbox::submitBatchCall { _data: data.clone() }.abi_encode();
        assert_eq!(calldata_batch(&input, keccak256(&data)), Ok(data.clone()));
        assert_eq!(calldata_batch(&input, B256::ZERO), Err(InboxError::HashMismatch));
        assert_eq!(
            calldata_batch(&input[..input.len() - 1], keccak256(&data)),
            Err(InboxError::NotSubmitBatch)
        );
        let mut longer = input.clone();
        longer.extend_from_slice(&[0; 32]);
        assert_eq!(calldata_batch(&longer, keccak256(&data)), Err(InboxError::NotSubmitBatch));
        let other = SettlementInbox::submitBlobBatchCall { _numBlobs: U256::from(1) }.abi_encode();
        assert_eq!(calldata_batch(&other, keccak256(&data)), Err(InboxError::NotSubmitBatch));
        assert_eq!(calldata_batch(&[], keccak256(&data)), Err(InboxError::NotSubmitBatch));
    }
}
