//! The small L1 and L2 chains the derivation tests run on.

use super::{Derived, L1Block, L2Ref, Pipeline};
use crate::{
    batch::{AddressHistory, L2Block, encode_channel, encode_payload, split_channel},
    epoch::L1Ref,
    rollup::RollupConfig,
};
use alloy_eips::BlockNumHash;
use alloy_primitives::{B256, Bytes, keccak256};
use std::collections::BTreeMap;

pub(crate) fn rollup() -> RollupConfig {
    RollupConfig::for_tests(1000, 2, 600, 4, 2)
}

/// L1 block n at 1000 + 6n; block 0 is the rollup's L1 genesis.
pub(crate) fn l1_block(n: u64) -> L1Block {
    let hash = |n: u64| if n == 0 { B256::repeat_byte(1) } else { keccak256(n.to_be_bytes()) };
    L1Block {
        id: L1Ref {
            number: n,
            hash: hash(n),
            parent_hash: if n == 0 { B256::ZERO } else { hash(n - 1) },
            timestamp: 1000 + 6 * n,
        },
        base_fee: 7,
        blob_base_fee: 1,
        mix_hash: B256::repeat_byte(n as u8),
        parent_beacon_root: B256::ZERO,
        deposits: Vec::new(),
    }
}

/// The L2 chain as a sequencer would make it: block n at 1000 + 2n on the newest L1 block
/// whose time has come; its "hash" is keccak(n) (the pipeline only checks links).
pub(crate) fn l2_chain(count: u64) -> Vec<L2Block> {
    let hash = |n: u64| {
        if n == 0 { B256::repeat_byte(2) } else { keccak256((n + 1000).to_be_bytes()) }
    };
    (1..=count)
        .map(|n| {
            let timestamp = 1000 + 2 * n;
            let origin = (timestamp - 1000) / 6;
            L2Block {
                number: n,
                timestamp,
                parent_hash: hash(n - 1),
                l1_origin: BlockNumHash { number: origin, hash: l1_block(origin).id.hash },
                transactions: Vec::new(),
            }
        })
        .collect()
}

pub(crate) fn hash_of(n: u64) -> B256 {
    keccak256((n + 1000).to_be_bytes())
}

pub(crate) fn payload(blocks: &[L2Block], id: u8) -> Vec<Bytes> {
    let data = encode_channel(blocks, &AddressHistory::new(), 2).expect("encodes");
    split_channel([id; 16], &data, 100)
        .expect("splits")
        .into_iter()
        .map(|f| Bytes::from(encode_payload(&[f])))
        .collect()
}

pub(crate) fn genesis_safe() -> L2Ref {
    L2Ref {
        number: 0,
        hash: B256::repeat_byte(2),
        timestamp: 1000,
        origin: BlockNumHash { number: 0, hash: B256::repeat_byte(1) },
    }
}

/// Runs the pipeline over L1 blocks 0..=last with the given payloads; returns what it
/// derived (advancing with the expected hashes).
pub(crate) fn derive_all(payloads: &BTreeMap<u64, Vec<Bytes>>, last: u64) -> Vec<Derived> {
    let mut p = Pipeline::new(rollup(), genesis_safe(), 0, AddressHistory::new());
    let mut out = Vec::new();
    for n in 0..=last {
        p.push_l1(l1_block(n), payloads.get(&n).cloned().unwrap_or_default()).expect("links");
        while let Some(d) = p.next_block() {
            out.push(d);
            p.advance(hash_of(p.safe().number + 1));
        }
    }
    out
}
