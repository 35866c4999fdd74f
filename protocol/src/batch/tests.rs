//! Round trips of blocks through channels, frames and blobs, and totality of every decoder.

use super::*;
use alloy_consensus::{
    SignableTransaction, Transaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy,
    transaction::{RlpEcdsaEncodableTx, SignerRecoverable},
};
use alloy_eips::{BlockNumHash, eip2718::Decodable2718};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use proptest::{collection::vec, option, prelude::*};

const CHAIN: u64 = 1612;

fn encode<T: RlpEcdsaEncodableTx>(tx: &T, sig: &Signature) -> Bytes {
    let mut out = Vec::new();
    tx.eip2718_encode(sig, &mut out);
    out.into()
}

fn word_of(address: Address) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(address.as_slice());
    word
}

/// Addresses from a small pool (so references happen), random ones, and a precompile-like one.
fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        (0u8..6).prop_map(|i| Address::repeat_byte(0x10 + i)),
        any::<[u8; 20]>().prop_map(Address::from),
        Just(Address::with_last_byte(0x02)),
    ]
}

fn word() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        address().prop_map(word_of),
        any::<u64>().prop_map(|v| U256::from(v).to_be_bytes::<32>()),
        any::<[u8; 32]>(),
        Just([0u8; 32]),
    ]
}

fn input() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        vec(any::<u8>(), 0..80).prop_map(Bytes::from),
        (any::<[u8; 4]>(), vec(word(), 0..5)).prop_map(|(selector, words)| {
            let mut out = selector.to_vec();
            words.iter().for_each(|w| out.extend_from_slice(w));
            out.into()
        }),
    ]
}

fn signature() -> impl Strategy<Value = Signature> {
    (any::<[u64; 4]>(), any::<[u64; 4]>(), any::<bool>()).prop_map(|(r, s, parity)| {
        let mut s = U256::from_limbs(s);
        s.set_bit(255, false);
        Signature::new(U256::from_limbs(r), s, parity)
    })
}

/// Transactions of every shape a block may hold: columnar ones and the opaque fallbacks.
fn tx() -> impl Strategy<Value = Bytes> {
    let fields = (
        any::<u64>(),
        any::<u64>(),
        any::<u128>(),
        any::<u128>(),
        option::of(address()),
        any::<[u64; 4]>(),
        input(),
        signature(),
    );
    (0u8..8, fields, vec(any::<u8>(), 1..60)).prop_map(
        |(shape, (nonce, gas, fee_a, fee_b, to, value, input, sig), garbage)| {
            let to = to.map_or(TxKind::Create, TxKind::Call);
            let value = U256::from_limbs(value);
            let eip1559 = |chain_id| TxEip1559 {
                chain_id,
                nonce,
                gas_limit: gas,
                max_fee_per_gas: fee_b,
                max_priority_fee_per_gas: fee_a,
                to,
                value,
                access_list: Default::default(),
                input: input.clone(),
            };
            let legacy = |chain_id| TxLegacy {
                chain_id,
                nonce,
                gas_price: fee_a,
                gas_limit: gas,
                to,
                value,
                input: input.clone(),
            };
            match shape {
                0 | 1 => encode(&eip1559(CHAIN), &sig),
                2 => encode(&legacy(Some(CHAIN)), &sig),
                3 => encode(&legacy(None), &sig),
                4 => encode(&eip1559(1), &sig),
                5 => {
                    let tx = TxEip2930 {
                        chain_id: CHAIN,
                        nonce,
                        gas_price: fee_a,
                        gas_limit: gas,
                        to,
                        value,
                        access_list: Default::default(),
                        input: input.clone(),
                    };
                    encode(&tx, &sig)
                }
                6 => {
                    let mut s = sig.s();
                    s.set_bit(255, true);
                    encode(&eip1559(CHAIN), &Signature::new(sig.r(), s, sig.v()))
                }
                _ => {
                    let mut garbage = garbage;
                    if garbage[0] == DEPOSIT_TX_TYPE {
                        garbage[0] = 0;
                    }
                    garbage.into()
                }
            }
        },
    )
}

/// Blocks starting at `first`, plus prior blocks for the history.
fn blocks_and_history() -> impl Strategy<Value = (Vec<L2Block>, Vec<(u64, Vec<Bytes>)>)> {
    let block = (0u64..3, 0u64..2, vec(tx(), 0..5));
    (
        1u64..1_000_000,
        any::<u32>(),
        any::<u32>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        vec(block, 1..5),
        vec(vec(tx(), 0..4), 0..3),
    )
        .prop_map(|(first, time, origin, parent, origin_hash, shape, prior)| {
            let mut blocks: Vec<L2Block> = Vec::new();
            for (i, (dt, d_origin, transactions)) in shape.into_iter().enumerate() {
                let (timestamp, origin) = match blocks.last() {
                    Some(prev) => (prev.timestamp + dt, prev.l1_origin.number + d_origin),
                    None => (u64::from(time), u64::from(origin)),
                };
                blocks.push(L2Block {
                    number: first + i as u64,
                    timestamp,
                    parent_hash: B256::from(parent),
                    l1_origin: BlockNumHash { number: origin, hash: B256::from(origin_hash) },
                    transactions,
                });
            }
            let start = first - prior.len() as u64;
            let prior = prior.into_iter().enumerate().map(|(i, t)| (start + i as u64, t)).collect();
            (blocks, prior)
        })
}

fn history_of(prior: &[(u64, Vec<Bytes>)]) -> AddressHistory {
    AddressHistory::from_blocks(prior.iter().map(|(n, txs)| (*n, txs.iter().map(|t| t.as_ref()))))
        .expect("consecutive")
}

fn assert_round_trip(blocks: &[L2Block], batch: &Batch) {
    assert_eq!(batch.blocks.len(), blocks.len());
    let (first, last) = (&blocks[0], &blocks[blocks.len() - 1]);
    assert_eq!(batch.header.parent_check, first.parent_hash[..20]);
    assert_eq!(batch.header.origin_check, last.l1_origin.hash[..20]);
    for (got, want) in batch.blocks.iter().zip(blocks) {
        assert_eq!(got.number, want.number);
        assert_eq!(got.timestamp, want.timestamp);
        assert_eq!(got.l1_origin, want.l1_origin.number);
        assert_eq!(got.transactions, want.transactions);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn channel_round_trip((blocks, prior) in blocks_and_history(), compression in 0u8..2) {
        let compression = Compression::from_byte(compression).expect("known");
        let history = history_of(&prior);
        let data = encode_channel_with(&blocks, &history, CHAIN, compression).expect("encodes");
        let raw = decode_channel(&data).expect("decodes");
        prop_assert_eq!(raw.header().history_uses, history.len() as u64);
        let batch = raw.resolve(CHAIN, &history).expect("resolves");
        assert_round_trip(&blocks, &batch);
    }

    #[test]
    fn frames_and_blobs_round_trip(
        (blocks, prior) in blocks_and_history(),
        frame_size in 40usize..400,
        seed in any::<u64>(),
        id in any::<ChannelId>(),
    ) {
        let history = history_of(&prior);
        let data = encode_channel(&blocks, &history, CHAIN).expect("encodes");
        let mut frames = split_channel(id, &data, frame_size).expect("splits");
        // Deliver in a scrambled order, some frames per payload, each payload in a blob.
        let n = frames.len();
        for i in 0..n {
            frames.swap(i, (seed as usize).wrapping_mul(i + 7) % n);
        }
        let mut assembler = ChannelAssembler::new(id, 100);
        for chunk in frames.chunks(3) {
            let blob = encode_blob(&encode_payload(chunk)).expect("fits a blob");
            for frame in parse_payload(&decode_blob(&blob).expect("blob decodes")).expect("parses") {
                prop_assert!(!assembler.is_ready());
                assembler.add_frame(frame).expect("fits");
            }
        }
        prop_assert_eq!(assembler.data(), Some(data.clone()));
        let batch = decode_channel(&data).expect("decodes").resolve(CHAIN, &history).expect("resolves");
        assert_round_trip(&blocks, &batch);
    }

    /// A channel whose bytes were damaged decodes to something or fails; it never panics.
    #[test]
    fn damaged_channels_never_panic(
        (blocks, prior) in blocks_and_history(),
        damage in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let history = history_of(&prior);
        let data = encode_channel_with(&blocks, &history, CHAIN, Compression::None).expect("encodes");
        let mut damaged = data.clone();
        for (at, byte) in damage {
            let at = at.index(damaged.len());
            damaged[at] = byte;
        }
        for candidate in [damaged, data[..cut.index(data.len())].to_vec()] {
            if let Ok(raw) = decode_channel(&candidate) {
                let _ = raw.resolve(CHAIN, &history);
                let _ = raw.resolve(CHAIN, &AddressHistory::new());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..400), compression in 0u8..3) {
        let _ = parse_payload(&bytes);
        let _ = decode_channel(&bytes);
        // Reach the batch parser directly: an uncompressed channel around arbitrary bytes.
        let mut data = vec![CHANNEL_VERSION_0, compression];
        let split = bytes.len() / 2;
        wire::put_uvarint(&mut data, split as u64);
        data.extend_from_slice(&bytes);
        if let Ok(raw) = decode_channel(&data) {
            let _ = raw.resolve(CHAIN, &AddressHistory::new());
        }
        let mut assembler = ChannelAssembler::new([0; 16], 0);
        let mut rest = &bytes[..];
        while let Ok(frame) = Frame::decode(&mut rest) {
            let _ = assembler.add_frame(Frame { id: [0; 16], ..frame });
        }
        let _ = assembler.data();
    }
}

/// Signed by a real key, the rebuilt transactions keep their hash and sender.
#[test]
fn signed_transactions_keep_hash_and_sender() {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).expect("valid key");
    let token = Address::repeat_byte(0xaa);
    let mut txs = Vec::new();
    for nonce in 0..20u64 {
        let recipient = Address::repeat_byte((nonce % 5) as u8 + 1);
        let mut input = vec![0xa9, 0x05, 0x9c, 0xbb];
        input.extend_from_slice(&word_of(recipient));
        input.extend_from_slice(&U256::from(nonce + 1).to_be_bytes::<32>());
        let tx = TxEip1559 {
            chain_id: CHAIN,
            nonce,
            gas_limit: 60_000,
            max_fee_per_gas: 3_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(if nonce % 2 == 0 { token } else { recipient }),
            value: U256::from(nonce),
            access_list: Default::default(),
            input: input.into(),
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("signs");
        txs.push(encode(&tx, &sig));
    }
    let blocks = vec![L2Block {
        number: 5,
        timestamp: 1_700_000_000,
        parent_hash: B256::repeat_byte(3),
        l1_origin: BlockNumHash { number: 9, hash: B256::repeat_byte(4) },
        transactions: txs.clone(),
    }];
    let data = encode_channel(&blocks, &AddressHistory::new(), CHAIN).expect("encodes");
    let batch = decode_channel(&data)
        .expect("decodes")
        .resolve(CHAIN, &AddressHistory::new())
        .expect("resolves");
    for (got, want) in batch.blocks[0].transactions.iter().zip(&txs) {
        assert_eq!(got, want);
        let envelope = TxEnvelope::decode_2718(&mut got.as_ref()).expect("a transaction");
        assert_eq!(envelope.recover_signer().expect("recovers"), signer.address());
        assert!(envelope.to().is_some());
    }
}

#[test]
fn history_must_match() {
    let tx = encode(
        &TxEip1559 {
            chain_id: CHAIN,
            to: TxKind::Call(Address::repeat_byte(9)),
            ..Default::default()
        },
        &Signature::new(U256::from(1), U256::from(2), false),
    );
    let prior = vec![(9u64, vec![tx.clone()])];
    let history = history_of(&prior);
    assert_eq!(history.len(), 1);
    let block = L2Block { number: 10, transactions: vec![tx], ..Default::default() };
    let data = encode_channel(std::slice::from_ref(&block), &history, CHAIN).expect("encodes");
    let raw = decode_channel(&data).expect("decodes");
    assert_eq!(raw.header().history_uses, 1);
    assert!(raw.resolve(CHAIN, &history).is_ok());
    assert_eq!(
        raw.resolve(CHAIN, &AddressHistory::new()),
        Err(BatchDecodeError::HistoryMisaligned { history_next: None, first: 10 })
    );
    let mut other = AddressHistory::new();
    other.push_block(9, std::iter::empty()).expect("first block");
    assert_eq!(
        raw.resolve(CHAIN, &other),
        Err(BatchDecodeError::HistoryTooShort { needed: 1, held: 0 })
    );
    // The batcher refuses a history that does not end right before the channel.
    let early = L2Block { number: 12, ..block };
    assert_eq!(
        encode_channel(&[early], &history, CHAIN),
        Err(BatchEncodeError::HistoryMisaligned { history_next: Some(10), first: 12 })
    );
}

#[test]
fn encoder_rejects_bad_blocks() {
    let history = AddressHistory::new();
    assert_eq!(encode_channel(&[], &history, CHAIN), Err(BatchEncodeError::NoBlocks));
    let a = L2Block { number: 1, timestamp: 10, ..Default::default() };
    let gap = L2Block { number: 3, timestamp: 11, ..Default::default() };
    assert_eq!(
        encode_channel(&[a.clone(), gap], &history, CHAIN),
        Err(BatchEncodeError::NotConsecutive { previous: 1, got: 3 })
    );
    let back = L2Block { number: 2, timestamp: 9, ..Default::default() };
    assert_eq!(
        encode_channel(&[a.clone(), back], &history, CHAIN),
        Err(BatchEncodeError::GoesBack(2))
    );
    let deposit = L2Block { transactions: vec![Bytes::from_static(&[0x7e, 1])], ..a };
    assert_eq!(
        encode_channel(&[deposit], &history, CHAIN),
        Err(BatchEncodeError::Deposit { block: 1, index: 0 })
    );
}

#[test]
fn compression_bombs_stop_at_the_cap() {
    // The cap is a parameter so the test need not inflate 100 MB; `decode_channel` uses
    // MAX_PACKED_LEN through the same function.
    let zeros = vec![0u8; 1 << 20];
    let mut bomb = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
    brotli::BrotliCompress(&mut &zeros[..], &mut bomb, &params).expect("compresses");
    assert!(bomb.len() < 1_000, "a bomb is small: {}", bomb.len());
    let capped = |data: &[u8], max| compress::decompress_capped(Compression::Brotli, data, max);
    assert_eq!(capped(&bomb, (1 << 20) - 1), Err(DecompressError::TooLarge));
    assert_eq!(capped(&bomb, 1 << 20).map(|d| d.len()), Ok(1 << 20));
    assert_eq!(capped(&bomb[..bomb.len() / 2], 1 << 20), Err(DecompressError::Corrupt));
    // Through the channel decoder: a truncated stream is corrupt.
    let mut data = vec![CHANNEL_VERSION_0, Compression::Brotli.byte()];
    wire::put_uvarint(&mut data, 10u64);
    data.extend_from_slice(&bomb[..10]);
    assert_eq!(
        decode_channel(&data).err(),
        Some(ChannelDecodeError::Decompress(DecompressError::Corrupt))
    );
}

#[test]
fn assembler_follows_op_rules() {
    let frame = |number, is_last| Frame { id: [1; 16], number, data: vec![number as u8], is_last };
    let mut channel = ChannelAssembler::new([1; 16], 7);
    assert_eq!(
        channel.add_frame(Frame { id: [2; 16], ..frame(0, false) }),
        Err(ChannelError::WrongChannel)
    );
    channel.add_frame(frame(3, false)).expect("buffered");
    channel.add_frame(frame(0, false)).expect("buffered");
    assert_eq!(channel.add_frame(frame(0, false)), Err(ChannelError::Duplicate(0)));
    // A last frame below a buffered one prunes it.
    channel.add_frame(frame(2, true)).expect("closes");
    assert_eq!(channel.size(), 2);
    assert_eq!(channel.add_frame(frame(5, true)), Err(ChannelError::Closed));
    assert_eq!(channel.add_frame(frame(4, false)), Err(ChannelError::BeyondLast(4)));
    assert!(!channel.is_ready());
    channel.add_frame(frame(1, false)).expect("fills the gap");
    assert_eq!(channel.data(), Some(vec![0, 1, 2]));
    assert!(!channel.is_timed_out(7 + 50, 50));
    assert!(channel.is_timed_out(7 + 51, 50));
}

/// The worked example of docs/BATCH_FORMAT.md, section 6.
#[test]
fn documented_example() {
    let recipient = Address::repeat_byte(0x5a);
    let tx = TxEip1559 {
        chain_id: CHAIN,
        nonce: 7,
        gas_limit: 21_000,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(recipient),
        value: U256::from(25u8) * U256::from(10u8).pow(U256::from(16u8)),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = Signature::new(U256::from(3u8), U256::from(4u8), true);
    let block = L2Block { number: 1, transactions: vec![encode(&tx, &sig)], ..Default::default() };
    let sections = encode_batch(&[block], &AddressHistory::new(), CHAIN).expect("encodes");
    // kinds, nonces, gas limits, fees (tip, max fee), tos, values, input lengths.
    let columns = ["02", "07", "88a401", "8094ebdc03", "80bcc1960b", "01", "910419", "00"];
    let expected = alloy_primitives::hex::decode(columns.concat()).expect("hex");
    assert!(sections.packed.ends_with(&expected), "{:x?}", sections.packed);
    let mut stored = U256::from(3u8).to_be_bytes::<32>().to_vec();
    let mut s = U256::from(4u8);
    s.set_bit(255, true);
    stored.extend_from_slice(&s.to_be_bytes::<32>());
    stored.extend_from_slice(recipient.as_slice());
    assert_eq!(sections.stored, stored);
}
