//! OP's span batch (`op-node/rollup/derive/span_batch.go`) and channel compression, rewritten
//! here as the baseline: encoding only, from the spec, not OP's code.
//!
//! ```text
//! channel     = 0x01 ‖ brotli(rlp_string(0x01 ‖ span_batch))
//! span_batch  = rel_timestamp ‖ l1_origin_num ‖ parent_check[20] ‖ l1_origin_check[20]
//!             ‖ block_count ‖ origin_bits ‖ block_tx_counts
//!             ‖ contract_creation_bits ‖ y_parity_bits ‖ tx_sigs ‖ tx_tos ‖ tx_datas
//!             ‖ tx_nonces ‖ tx_gases ‖ protected_bits
//! ```

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{TxKind, U256};
use alloy_rlp::{Encodable, Header};
use ol_protocol::batch::L2Block;

fn uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A span-batch bitlist: a big-endian integer of `bits.len()` bits, bit i = element i.
fn bitlist(out: &mut Vec<u8>, bits: &[bool]) {
    let len = bits.len().div_ceil(8);
    let mut buf = vec![0u8; len];
    for (i, &bit) in bits.iter().enumerate() {
        if bit {
            buf[len - 1 - i / 8] |= 1 << (i % 8);
        }
    }
    out.extend_from_slice(&buf);
}

/// The span batch of `blocks` (batch type byte included); `prev_origin` is the L1 origin of the
/// block before the first (OP sets the first origin bit when the first block opens an epoch).
pub(crate) fn span_batch(blocks: &[L2Block], prev_origin: u64, genesis_time: u64) -> Vec<u8> {
    let (first, last) = (&blocks[0], &blocks[blocks.len() - 1]);
    let mut out = vec![1u8];
    uvarint(&mut out, first.timestamp - genesis_time);
    uvarint(&mut out, last.l1_origin.number);
    out.extend_from_slice(&first.parent_hash[..20]);
    out.extend_from_slice(&last.l1_origin.hash[..20]);
    uvarint(&mut out, blocks.len() as u64);
    let origin_bits: Vec<bool> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let before = if i == 0 { prev_origin } else { blocks[i - 1].l1_origin.number };
            b.l1_origin.number != before
        })
        .collect();
    bitlist(&mut out, &origin_bits);
    for block in blocks {
        uvarint(&mut out, block.transactions.len() as u64);
    }
    let txs: Vec<TxEnvelope> = blocks
        .iter()
        .flat_map(|b| &b.transactions)
        .map(|raw| TxEnvelope::decode_2718(&mut raw.as_ref()).expect("a transaction"))
        .collect();
    let creation: Vec<bool> = txs.iter().map(|t| t.kind() == TxKind::Create).collect();
    bitlist(&mut out, &creation);
    let parity: Vec<bool> = txs.iter().map(|t| t.signature().v()).collect();
    bitlist(&mut out, &parity);
    for tx in &txs {
        out.extend_from_slice(&tx.signature().r().to_be_bytes::<32>());
        out.extend_from_slice(&tx.signature().s().to_be_bytes::<32>());
    }
    for tx in &txs {
        if let TxKind::Call(to) = tx.kind() {
            out.extend_from_slice(to.as_slice());
        }
    }
    for tx in &txs {
        let TxEnvelope::Eip1559(signed) = tx else { panic!("the workloads are EIP-1559") };
        let t = signed.tx();
        let fields: (U256, u128, u128) = (t.value, t.max_priority_fee_per_gas, t.max_fee_per_gas);
        let payload =
            fields.0.length() + fields.1.length() + fields.2.length() + t.input.length() + 1;
        out.push(2);
        Header { list: true, payload_length: payload }.encode(&mut out);
        fields.0.encode(&mut out);
        fields.1.encode(&mut out);
        fields.2.encode(&mut out);
        t.input.encode(&mut out);
        out.push(0xc0); // empty access list
    }
    for tx in &txs {
        uvarint(&mut out, tx.nonce());
    }
    for tx in &txs {
        uvarint(&mut out, tx.gas_limit());
    }
    bitlist(&mut out, &[]); // protected bits: no legacy transactions
    out
}

/// The channel op-batcher would post for `blocks`: version byte 1 and brotli at `quality`
/// (andybalholm/brotli's default window, 2^22).
pub(crate) fn span_channel(
    blocks: &[L2Block],
    prev_origin: u64,
    genesis_time: u64,
    quality: i32,
) -> Vec<u8> {
    let batch = span_batch(blocks, prev_origin, genesis_time);
    let mut rlp = Vec::with_capacity(batch.len() + 5);
    Header { list: false, payload_length: batch.len() }.encode(&mut rlp);
    rlp.extend_from_slice(&batch);
    let mut out = vec![1u8];
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut rlp.as_slice(), &mut out, &params).expect("compresses");
    out
}
