//! Garbage in the inbox (issue 10, `docs/BATCH_FORMAT.md` §7-8): each variant is posted in the
//! same L1 block as the real batches, before them, and carries a *rival* version of blocks 1-3
//! wherever it carries blocks at all. Had the pipeline taken the rival, the derived blocks would
//! hold its transactions, so every "same result as without it" below can fail (the first test
//! shows that the rival, posted intact, does change the chain).
//!
//! Who may post is decided before the pipeline: only `BatchSubmitted` / `BlobBatchSubmitted`
//! events of the inbox count, and the inbox emits them for the authorized batcher alone
//! (`batch::inbox` tests; `follow::garbage_on_l1_*` posts from an unauthorized key end to end).

use super::{Derived, testkit::*};
use crate::batch::{
    AddressHistory, ChannelDecodeError, Compression, Frame, L2Block, decode_channel,
    encode_channel, encode_channel_with, encode_payload, parse_payload, split_channel,
};
use alloy_eips::BlockNumHash;
use alloy_primitives::{B256, Bytes};
use std::collections::BTreeMap;

/// The L1 block the real batches (blocks 1-3 and 4-6) are posted in.
const POSTED_AT: u64 = 3;

/// Derives L1 blocks 0..=4: `garbage` goes into the L1 blocks it names, ahead of the real
/// batches in [`POSTED_AT`].
fn derive_with(garbage: &[(u64, Vec<u8>)]) -> Vec<Derived> {
    let chain = l2_chain(6);
    let mut payloads: BTreeMap<u64, Vec<Bytes>> = BTreeMap::new();
    for (at, bytes) in garbage {
        payloads.entry(*at).or_default().push(Bytes::from(bytes.clone()));
    }
    let real = payloads.entry(POSTED_AT).or_default();
    real.extend(payload(&chain[..3], 1));
    real.extend(payload(&chain[3..], 2));
    derive_all(&payloads, 4)
}

fn clean() -> Vec<Derived> {
    let derived = derive_with(&[]);
    assert_eq!(derived.len(), 6);
    assert!(derived.iter().all(|d| !d.forced && d.transactions.is_empty()));
    derived
}

/// Blocks 1-3 again, each with a transaction the real ones do not have.
fn rival_blocks() -> Vec<L2Block> {
    let mut blocks = l2_chain(3);
    for (i, block) in blocks.iter_mut().enumerate() {
        block.transactions = vec![Bytes::from(vec![0x02, 0xc0, i as u8])];
    }
    blocks
}

fn rival_channel() -> Vec<u8> {
    encode_channel(&rival_blocks(), &AddressHistory::new(), 2).expect("encodes")
}

/// Channel data as one payload holding one frame of channel `id`.
fn one_frame(id: u8, data: Vec<u8>) -> Vec<u8> {
    encode_payload(&[Frame { id: [id; 16], number: 0, data, is_last: true }])
}

/// Deterministic noise (xorshift).
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn the_rival_posted_intact_changes_the_chain() {
    let derived = derive_with(&[(POSTED_AT, one_frame(9, rival_channel()))]);
    let txs: Vec<Vec<Bytes>> = derived.iter().map(|d| d.transactions.clone()).collect();
    let rival: Vec<Vec<Bytes>> = rival_blocks().into_iter().map(|b| b.transactions).collect();
    assert_eq!(txs[..3], rival[..], "the first valid batch wins");
    assert_ne!(derived, clean());
}

#[test]
fn a_frame_without_the_version_byte_is_skipped() {
    let bytes = one_frame(9, rival_channel())[1..].to_vec();
    assert!(parse_payload(&bytes).is_err());
    assert_eq!(derive_with(&[(POSTED_AT, bytes)]), clean());
}

#[test]
fn random_bytes_are_skipped() {
    for seed in 1..=20 {
        let mut bytes = noise(64 * seed as usize, seed);
        // With the version byte too, so the frame parser gets to read the noise.
        let versioned = [&[0u8][..], &bytes].concat();
        bytes[0] |= 0x80;
        let garbage = [(POSTED_AT, bytes), (POSTED_AT, versioned)];
        assert_eq!(derive_with(&garbage), clean(), "seed {seed}");
    }
}

#[test]
fn a_truncated_frame_is_skipped() {
    let whole = one_frame(9, rival_channel());
    for cut in [1, 5, whole.len() / 2, whole.len() - 2] {
        let bytes = whole[..whole.len() - cut].to_vec();
        assert!(parse_payload(&bytes).is_err(), "cut {cut}");
        assert_eq!(derive_with(&[(POSTED_AT, bytes)]), clean(), "cut {cut}");
    }
}

#[test]
fn a_payload_with_extra_bytes_is_skipped_whole() {
    // The frames before the extra bytes are valid: OP drops the whole payload all the same.
    for extra in [&[0u8][..], &[0xff; 3], &[0; 40]] {
        let bytes = [one_frame(9, rival_channel()), extra.to_vec()].concat();
        assert!(parse_payload(&bytes).is_err());
        assert_eq!(derive_with(&[(POSTED_AT, bytes)]), clean(), "extra {extra:?}");
    }
}

#[test]
fn invalid_compression_is_skipped() {
    let mut unknown = rival_channel();
    unknown[1] = 0x7f;
    assert_eq!(decode_channel(&unknown).err(), Some(ChannelDecodeError::UnknownCompression(0x7f)));
    // A Brotli stream with its middle scrambled.
    let mut corrupt = rival_channel();
    let len = corrupt.len();
    for byte in &mut corrupt[4..len - 2] {
        *byte ^= 0x5a;
    }
    assert!(matches!(decode_channel(&corrupt), Err(ChannelDecodeError::Decompress(_))));
    for data in [unknown, corrupt] {
        assert_eq!(derive_with(&[(POSTED_AT, one_frame(9, data))]), clean());
    }
}

#[test]
fn a_malformed_batch_is_skipped() {
    // Stored uncompressed so the damage reaches the batch decoder itself.
    let intact = encode_channel_with(&rival_blocks(), &AddressHistory::new(), 2, Compression::None)
        .expect("encodes");
    assert!(decode_channel(&intact).is_ok());
    // Three bytes that are no batch, then the rival cut short.
    let mut cases = vec![vec![0, 0, 3, 0xff, 0xff, 0xff], intact[..intact.len() - 3].to_vec()];
    // Bytes after the batch's last section.
    cases.push([&intact[..], &[0xff; 3]].concat());
    for (i, data) in cases.into_iter().enumerate() {
        let decoded = decode_channel(&data).map(|raw| raw.resolve(2, &AddressHistory::new()));
        assert!(!matches!(decoded, Ok(Ok(_))), "case {i} still decodes");
        assert_eq!(derive_with(&[(POSTED_AT, one_frame(9, data))]), clean(), "case {i}");
    }
}

/// The rival, well formed, with `edit` applied to its blocks.
fn rival_with(edit: impl Fn(&mut L2Block)) -> Vec<u8> {
    let mut blocks = rival_blocks();
    blocks.iter_mut().for_each(edit);
    let data = encode_channel(&blocks, &AddressHistory::new(), 2).expect("encodes");
    assert!(decode_channel(&data).is_ok(), "decodes: only the batch rules can drop it");
    one_frame(9, data)
}

#[test]
fn a_batch_for_the_wrong_epoch_is_skipped() {
    // An origin hash that is not L1's, then an origin ahead of the block's own time.
    let wrong_hash = rival_with(|b| b.l1_origin.hash = B256::repeat_byte(0xee));
    let ahead = rival_with(|b| {
        let next = l1_block(b.l1_origin.number + 1).id;
        b.l1_origin = BlockNumHash { number: next.number, hash: next.hash };
    });
    for bytes in [wrong_hash, ahead] {
        assert_eq!(derive_with(&[(POSTED_AT, bytes)]), clean());
    }
}

#[test]
fn a_batch_with_the_wrong_timestamp_is_skipped() {
    for shift in [1, 2, 100] {
        let bytes = rival_with(|b| b.timestamp += shift);
        assert_eq!(derive_with(&[(POSTED_AT, bytes)]), clean(), "shift {shift}");
    }
}

#[test]
fn a_channel_that_times_out_before_its_last_frame_is_skipped() {
    // Two frames; the channel timeout is 2 L1 blocks: opened in block 0, its last frame in
    // block 3 comes too late. Opened in block 1 it would complete, and the rival would win.
    let frames = split_channel([9; 16], &rival_channel(), 60).expect("splits");
    assert!(frames.len() >= 2);
    let (first, rest) = frames.split_at(1);
    let (first, rest) = (encode_payload(first), encode_payload(rest));
    let timed_out = derive_with(&[(0, first.clone()), (POSTED_AT, rest.clone())]);
    assert_eq!(timed_out, clean());
    let in_time = derive_with(&[(1, first), (POSTED_AT, rest)]);
    assert_ne!(in_time, clean(), "control: the same channel in time is taken");
}

#[test]
fn all_the_garbage_at_once_changes_nothing() {
    let mut garbage = vec![
        (POSTED_AT, one_frame(9, rival_channel())[1..].to_vec()),
        (POSTED_AT, noise(300, 7)),
        (2, [&[0u8][..], &noise(300, 8)].concat()),
        (POSTED_AT, [one_frame(10, rival_channel()), vec![0; 5]].concat()),
        (POSTED_AT, rival_with(|b| b.timestamp += 1)),
    ];
    let frames = split_channel([11; 16], &rival_channel(), 60).expect("splits");
    garbage.push((0, encode_payload(&frames[..1])));
    garbage.push((POSTED_AT, encode_payload(&frames[1..])));
    assert_eq!(derive_with(&garbage), clean());
}
