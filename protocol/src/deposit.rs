//! Deposit transactions: their source hashes and their decoding from portal logs (OP deposit
//! spec).
//!
//! A deposit has no signature; its hash is made unique by a source hash that names where on L1
//! it came from. The derivation and the sequencer must compute it identically, so it lives here.

use crate::contracts::OpenPortal;
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, keccak256};
use alloy_sol_types::SolEvent;
use op_alloy::consensus::TxDeposit;

/// Length of the fixed part of version-0 opaque data: mint (32), value (32), gas limit (8) and
/// the creation flag (1).
pub const DEPOSIT_V0_HEAD_LEN: usize = 73;

/// Why a portal log is not a deposit. Derivation skips such logs (op-node refuses them the same
/// way); OpenPortal never emits one, so they can only come from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// Not the four topics of `TransactionDeposited` (selector, from, to, version).
    #[error("deposit log has {0} topics, expected 4")]
    Topics(usize),
    /// The first topic is not the `TransactionDeposited` selector.
    #[error("log topic {0} is not TransactionDeposited")]
    Selector(B256),
    /// The data is shorter than the `bytes` head (offset and length words) or not whole words.
    #[error("deposit log data of {0} bytes is not an ABI-encoded `bytes`")]
    Data(usize),
    /// The `bytes` offset word is not 32.
    #[error("deposit log data offset is not 32")]
    Offset,
    /// The `bytes` length word overruns the data, or leaves more than one word of padding.
    #[error("deposit log opaque data length does not match {0} bytes of data")]
    Length(usize),
    /// A version other than 0.
    #[error("deposit version {0} is unknown")]
    Version(B256),
    /// The opaque data does not hold mint, value, gas limit and the creation flag.
    #[error("deposit opaque data is {0} bytes, at least 73 needed")]
    Short(usize),
    /// A mint above `u128::MAX` (deposit transactions carry a 128-bit mint).
    #[error("deposit mint {0} does not fit 128 bits")]
    Mint(U256),
}

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

/// The deposit transaction of an OpenPortal `TransactionDeposited(from indexed, to indexed,
/// version indexed, bytes opaqueData)` log, decoded as op-node's `UnmarshalDepositLogEvent`
/// does:
///
/// - exactly four topics, the first the event's selector; `from` and `to` are the low 20 bytes of
///   topics 1 and 2 (the portal already aliased contract senders);
/// - the data is one ABI `bytes`: at least 64 bytes, whole 32-byte words, offset word 32, a
///   length that fits the data with at most the one word of padding the EVM adds;
/// - version 0 in topic 3, whose `opaqueData = abi.encodePacked(uint256 mint, uint256 value,
///   uint64 gasLimit, bool isCreation, bytes data)` (at least 73 bytes); a non-zero creation
///   byte makes a contract creation (`to` is ignored), the rest is the call data;
/// - the source hash is [`user_deposit_source_hash`] of the L1 block hash and `log_index`, the
///   log's index in its L1 block; it is never a system transaction.
///
/// One difference: op-node keeps a mint as a 256-bit integer, deposit transactions here hold
/// 128 bits, so a larger mint is [`DepositError::Mint`] (OpenPortal's mints are locked OPEN, far
/// below that). kona additionally refuses address topics with non-zero high bytes and non-zero
/// padding, and allows any amount of padding; Solidity emits neither case.
///
/// Checking that the log was emitted by the rollup's portal is the caller's job (the L1
/// watcher asks L1 for that address's logs only). Every malformed log is an error, never a
/// panic: garbage on L1 is skipped.
pub fn deposit_from_log(
    log: &Log,
    l1_block_hash: B256,
    log_index: u64,
) -> Result<TxDeposit, DepositError> {
    let topics = log.data.topics();
    let [selector, from, to, version] = topics else {
        return Err(DepositError::Topics(topics.len()));
    };
    if *selector != OpenPortal::TransactionDeposited::SIGNATURE_HASH {
        return Err(DepositError::Selector(*selector));
    }
    let data = log.data.data.as_ref();
    if data.len() < 64 || data.len() % 32 != 0 {
        return Err(DepositError::Data(data.len()));
    }
    if U256::from_be_slice(&data[..32]) != U256::from(32) {
        return Err(DepositError::Offset);
    }
    // The length must fit what follows the head, and the padding be less than one word.
    let room = data.len() - 64;
    let len = usize::try_from(U256::from_be_slice(&data[32..64]))
        .ok()
        .filter(|&len| len <= room && len + 32 > room)
        .ok_or(DepositError::Length(data.len()))?;
    let opaque = &data[64..64 + len];
    if !version.is_zero() {
        return Err(DepositError::Version(*version));
    }
    let (head, input) =
        opaque.split_at_checked(DEPOSIT_V0_HEAD_LEN).ok_or(DepositError::Short(opaque.len()))?;
    let mint = U256::from_be_slice(&head[..32]);
    let mint = u128::try_from(mint).map_err(|_| DepositError::Mint(mint))?;
    let mut gas = [0u8; 8];
    gas.copy_from_slice(&head[64..72]);
    let to = Address::from_word(*to);
    Ok(TxDeposit {
        source_hash: user_deposit_source_hash(l1_block_hash, log_index),
        from: Address::from_word(*from),
        to: if head[72] == 0 { TxKind::Call(to) } else { TxKind::Create },
        mint,
        value: U256::from_be_slice(&head[32..64]),
        gas_limit: u64::from_be_bytes(gas),
        is_system_transaction: false,
        input: Bytes::copy_from_slice(input),
    })
}

/// The portal log of a deposit, as OpenPortal emits it (the inverse of [`deposit_from_log`],
/// for tests and tools). The source hash is not part of the log.
pub fn deposit_log(portal: Address, tx: &TxDeposit) -> Log {
    let mut opaque = Vec::with_capacity(DEPOSIT_V0_HEAD_LEN + tx.input.len());
    opaque.extend_from_slice(&U256::from(tx.mint).to_be_bytes::<32>());
    opaque.extend_from_slice(&tx.value.to_be_bytes::<32>());
    opaque.extend_from_slice(&tx.gas_limit.to_be_bytes());
    opaque.push(u8::from(tx.to.is_create()));
    opaque.extend_from_slice(&tx.input);
    let event = OpenPortal::TransactionDeposited {
        from: tx.from,
        to: tx.to.to().copied().unwrap_or_default(),
        version: U256::ZERO,
        opaqueData: opaque.into(),
    };
    Log { address: portal, data: event.encode_log_data() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{LogData, address, hex};
    use op_alloy::consensus::{DepositSourceDomain, L1InfoDepositSource, UserDepositSource};
    use proptest::prelude::*;

    const SELECTOR: B256 = OpenPortal::TransactionDeposited::SIGNATURE_HASH;

    fn sample() -> TxDeposit {
        TxDeposit {
            source_hash: user_deposit_source_hash(B256::repeat_byte(7), 3),
            from: Address::repeat_byte(1),
            to: TxKind::Call(Address::repeat_byte(2)),
            mint: 5 * 10u128.pow(18),
            value: U256::from(4u64) * U256::from(10u64).pow(U256::from(18)),
            gas_limit: 100_000,
            is_system_transaction: false,
            input: Bytes::from(vec![0xab; 5]),
        }
    }

    fn log(topics: Vec<B256>, data: Vec<u8>) -> Log {
        Log { address: Address::ZERO, data: LogData::new_unchecked(topics, data.into()) }
    }

    fn with_data(data: Vec<u8>) -> Log {
        let good = deposit_log(Address::ZERO, &sample());
        log(good.data.topics().to_vec(), data)
    }

    fn word(n: u64) -> [u8; 32] {
        U256::from(n).to_be_bytes()
    }

    /// ABI `bytes` of `opaque` with `extra` zero bytes of padding beyond the EVM's.
    fn encoded(opaque: &[u8], extra: usize) -> Vec<u8> {
        let mut data = [word(32), word(opaque.len() as u64)].concat();
        data.extend_from_slice(opaque);
        data.resize(data.len().div_ceil(32) * 32 + extra, 0);
        data
    }

    #[test]
    fn deposit_logs_round_trip_through_the_sol_binding() {
        let tx = sample();
        let emitted = OpenPortal::TransactionDeposited {
            from: tx.from,
            to: Address::repeat_byte(2),
            version: U256::ZERO,
            opaqueData: [
                &U256::from(tx.mint).to_be_bytes::<32>()[..],
                &tx.value.to_be_bytes::<32>(),
                &tx.gas_limit.to_be_bytes(),
                &[0],
                &tx.input,
            ]
            .concat()
            .into(),
        };
        let log = Log { address: Address::repeat_byte(9), data: emitted.encode_log_data() };
        assert_eq!(log, deposit_log(Address::repeat_byte(9), &tx));
        assert_eq!(deposit_from_log(&log, B256::repeat_byte(7), 3), Ok(tx.clone()));

        let create = TxDeposit { to: TxKind::Create, ..tx };
        let log = deposit_log(Address::repeat_byte(9), &create);
        assert_eq!(deposit_from_log(&log, B256::repeat_byte(7), 3), Ok(create));
    }

    /// kona's `test_decode_deposit_full_succeeds` (crates/protocol/protocol/src/deposits.rs):
    /// a creation with mint 10, value 100, gas 1000 and 55 zero bytes of call data, from log 0
    /// of the zero block hash, and the EIP-2718 bytes kona derives from it.
    #[test]
    fn kona_vector_creation() {
        let mut data = vec![0u8; 192];
        data[24..32].copy_from_slice(&32u64.to_be_bytes());
        data[56..64].copy_from_slice(&128u64.to_be_bytes());
        data[80..96].copy_from_slice(&10u128.to_be_bytes());
        data[96..128].copy_from_slice(&word(100));
        data[128..136].copy_from_slice(&1000u64.to_be_bytes());
        data[136] = 1;
        let topics = vec![
            SELECTOR,
            address!("1111111111111111111111111111111111111111").into_word(),
            address!("2222222222222222222222222222222222222222").into_word(),
            B256::ZERO,
        ];
        let tx = deposit_from_log(&log(topics, data), B256::ZERO, 0).expect("decodes");
        assert_eq!(tx.to, TxKind::Create);
        assert_eq!((tx.mint, tx.value, tx.gas_limit), (10, U256::from(100), 1000));
        assert_eq!(
            tx.encoded_2718(),
            hex!(
                "7ef875a0ed428e1c45e1d9561b62834e1a2d3015a0caae3bfdc16b4da059ac885b01a145941111111111111111111111111111111111111111800a648203e880b700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            )
        );
    }

    /// kona's `test_decode_deposit_empty_succeeds`: a call with every amount zero.
    #[test]
    fn kona_vector_empty_call() {
        let mut data = vec![0u8; 192];
        data[24..32].copy_from_slice(&32u64.to_be_bytes());
        data[56..64].copy_from_slice(&128u64.to_be_bytes());
        let topics = vec![
            SELECTOR,
            address!("ffffffffffffffffffffffffffffffffffffffff").into_word(),
            address!("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").into_word(),
            B256::ZERO,
        ];
        let tx = deposit_from_log(&log(topics, data), B256::ZERO, 0).expect("decodes");
        assert_eq!(
            tx.encoded_2718(),
            hex!(
                "7ef887a0ed428e1c45e1d9561b62834e1a2d3015a0caae3bfdc16b4da059ac885b01a14594ffffffffffffffffffffffffffffffffffffffff94bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb80808080b700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            )
        );
    }

    #[test]
    fn malformed_logs_are_errors() {
        let good = deposit_log(Address::ZERO, &sample());
        let topics = good.data.topics().to_vec();
        let data = good.data.data.to_vec();

        assert_eq!(
            deposit_from_log(&log(topics[..3].to_vec(), data.clone()), B256::ZERO, 0),
            Err(DepositError::Topics(3))
        );
        let mut wrong = topics.clone();
        wrong[0] = B256::ZERO;
        assert_eq!(
            deposit_from_log(&log(wrong, data.clone()), B256::ZERO, 0),
            Err(DepositError::Selector(B256::ZERO))
        );
        let mut versioned = topics.clone();
        versioned[3] = B256::with_last_byte(1);
        assert_eq!(
            deposit_from_log(&log(versioned, data.clone()), B256::ZERO, 0),
            Err(DepositError::Version(B256::with_last_byte(1)))
        );

        // Truncated anywhere: never a deposit.
        for cut in 0..data.len() {
            assert!(deposit_from_log(&with_data(data[..cut].to_vec()), B256::ZERO, 0).is_err());
        }
        assert_eq!(
            deposit_from_log(&with_data(vec![0; 63]), B256::ZERO, 0),
            Err(DepositError::Data(63))
        );
        assert_eq!(
            deposit_from_log(&with_data(vec![0; 65]), B256::ZERO, 0),
            Err(DepositError::Data(65))
        );

        let mut offset = data.clone();
        offset[31] = 64;
        assert_eq!(deposit_from_log(&with_data(offset), B256::ZERO, 0), Err(DepositError::Offset));
        let mut long = data.clone();
        long[63] += 32;
        assert_eq!(
            deposit_from_log(&with_data(long), B256::ZERO, 0),
            Err(DepositError::Length(data.len()))
        );
        let mut huge = data.clone();
        huge[32] = 1;
        assert_eq!(
            deposit_from_log(&with_data(huge), B256::ZERO, 0),
            Err(DepositError::Length(data.len()))
        );
        // More padding than the EVM adds.
        let opaque = &data[64..64 + 78];
        assert!(deposit_from_log(&with_data(encoded(opaque, 0)), B256::ZERO, 0).is_ok());
        assert_eq!(
            deposit_from_log(&with_data(encoded(opaque, 32)), B256::ZERO, 0),
            Err(DepositError::Length(192))
        );

        // The event's own ABI encoding of opaque data too short for version 0.
        for len in [0, 72] {
            assert_eq!(
                deposit_from_log(&with_data(encoded(&vec![0; len], 0)), B256::ZERO, 0),
                Err(DepositError::Short(len))
            );
        }
        assert!(deposit_from_log(&with_data(encoded(&[0; 73], 0)), B256::ZERO, 0).is_ok());

        let mut mint = vec![0u8; 73];
        mint[15] = 1;
        assert_eq!(
            deposit_from_log(&with_data(encoded(&mint, 0)), B256::ZERO, 0),
            Err(DepositError::Mint(U256::from(1u8) << 128))
        );
    }

    fn arb_deposit() -> impl Strategy<Value = TxDeposit> {
        (
            any::<[u8; 20]>(),
            proptest::option::of(any::<[u8; 20]>()),
            any::<u128>(),
            any::<[u8; 32]>(),
            any::<u64>(),
            prop::collection::vec(any::<u8>(), 0..200),
            any::<[u8; 32]>(),
            any::<u64>(),
        )
            .prop_map(|(from, to, mint, value, gas_limit, input, hash, index)| TxDeposit {
                source_hash: user_deposit_source_hash(B256::from(hash), index),
                from: Address::from(from),
                to: to.map_or(TxKind::Create, |to| TxKind::Call(Address::from(to))),
                mint,
                value: U256::from_be_bytes(value),
                gas_limit,
                is_system_transaction: false,
                input: input.into(),
            })
    }

    proptest! {
        #[test]
        fn every_emitted_deposit_round_trips(
            tx in arb_deposit(),
            hash in any::<[u8; 32]>(),
            index in any::<u64>(),
        ) {
            let tx = TxDeposit { source_hash: user_deposit_source_hash(B256::from(hash), index), ..tx };
            let log = deposit_log(Address::repeat_byte(9), &tx);
            prop_assert_eq!(deposit_from_log(&log, B256::from(hash), index), Ok(tx));
        }

        #[test]
        fn arbitrary_logs_never_panic(
            topics in prop::collection::vec(
                prop_oneof![Just(SELECTOR), Just(B256::ZERO), any::<[u8; 32]>().prop_map(B256::from)],
                0..6,
            ),
            data in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let _ = deposit_from_log(&log(topics, data), B256::ZERO, 0);
        }

        #[test]
        fn arbitrary_opaque_bytes_never_panic(
            opaque in prop::collection::vec(any::<u8>(), 0..300),
            length in prop_oneof![Just(None), any::<u64>().prop_map(Some), (0u64..400).prop_map(Some)],
            extra in 0usize..70,
        ) {
            // A well-formed head around arbitrary opaque data, and a lying length word.
            let mut data = encoded(&opaque, extra);
            if let Some(length) = length {
                data[32..64].copy_from_slice(&word(length));
            }
            let result = deposit_from_log(&with_data(data), B256::ZERO, 0);
            if length.is_none() && extra == 0 && opaque.len() >= 73 && opaque[..16].iter().all(|b| *b == 0) {
                prop_assert!(result.is_ok());
            }
        }

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
