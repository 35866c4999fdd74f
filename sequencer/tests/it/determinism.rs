//! Consensus-critical code is deterministic: the same blocks come out byte for byte whatever
//! the thread count (state roots hash storage tries in parallel with rayon).

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::{SolCall, sol};
use ol_protocol::L1BlockInfo;
use ol_sequencer::{
    builder::seal,
    evm::NodeEvm,
    executor::{BlockAttributes, OrderedTxs, execute_block},
    genesis::{GenesisSpec, dev_keys},
    mempool::{StatelessRules, validate_raw},
    state::{BlockHashes, StateView},
};
use std::sync::Arc;

sol! {
    function fill(uint256 start, uint256 n);
}

fn signed(
    key: &alloy_signer_local::PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    input: Vec<u8>,
    value: u64,
) -> Bytes {
    let gas_limit = match (&to, input.is_empty()) {
        (_, true) => 21_000,
        (TxKind::Create, false) => 1_500_000,
        (TxKind::Call(_), false) => 200_000,
    };
    let tx = TxEip1559 {
        chain_id: 1612,
        nonce,
        gas_limit,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::from(value),
        input: input.into(),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    tx.into_signed(sig).encoded_2718().into()
}

/// Builds five blocks of transfers, a deployment and storage writes; returns (hash, state root).
fn build_chain() -> Vec<(B256, B256)> {
    let spec = GenesisSpec::dev(None).expect("genesis");
    let (mut state, genesis) = spec.build();
    let evm = NodeEvm::new(spec.chain.clone());
    let rules = StatelessRules {
        chain_id: 1612,
        block_gas_limit: 30_000_000,
        max_tx_bytes: 131_072,
        allow_unprotected: false,
    };
    let keys = dev_keys().expect("keys");
    let heavy_code: Bytes = crate::harness::creation_code("StorageHeavy").parse().expect("hex");
    let heavy = keys[0].address().create(0);
    let mut parent = genesis.header;
    let mut hashes = BlockHashes::default();
    hashes.push(0, parent.hash());
    let mut nonces = [0u64; 10];
    let mut out = Vec::new();
    for block in 0..5u64 {
        let mut raws = Vec::new();
        if block == 0 {
            raws.push(signed(&keys[0], 0, TxKind::Create, heavy_code.to_vec(), 0));
            nonces[0] = 1;
        }
        // 900 new accounts a block: the account trie passes the size (4,096 keys) where its root
        // is hashed in parallel.
        for i in 0..900u64 {
            let k = (i % 10) as usize;
            let to = Address::from_word(B256::from(U256::from(block * 1_000 + i)));
            let raw = if i % 50 == 0 && block > 0 {
                signed(
                    &keys[k],
                    nonces[k],
                    TxKind::Call(heavy),
                    fillCall { start: U256::from(block * 100 + i), n: U256::from(5) }.abi_encode(),
                    0,
                )
            } else {
                signed(&keys[k], nonces[k], TxKind::Call(to), Vec::new(), 1 + i)
            };
            nonces[k] += 1;
            raws.push(raw);
        }
        let txs: Vec<_> =
            raws.iter().map(|r| Arc::new(validate_raw(r, &rules).expect("valid"))).collect();
        let mut source = OrderedTxs::new(txs);
        let attrs = BlockAttributes {
            timestamp: parent.timestamp + 2,
            l1_info: L1BlockInfo {
                number: 1,
                base_fee: U256::from(7u64),
                sequence_number: block,
                ..Default::default()
            },
            deposits: Vec::new(),
            prev_randao: B256::ZERO,
            parent_beacon_block_root: B256::ZERO,
            gas_limit: 30_000_000,
        };
        let base_fee = spec.chain.next_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or_default(),
        );
        let executed = execute_block(
            &evm,
            StateView { state: &state, hashes: &hashes },
            &parent,
            base_fee,
            &attrs,
            &mut source,
        )
        .expect("executes");
        assert!(
            source.invalid().is_empty(),
            "{} invalid, first: {:?}",
            source.invalid().len(),
            source.invalid().first()
        );
        assert_eq!(executed.transactions.len(), raws.len() + 1, "every transaction included");
        let sealed = seal(&evm, &mut state, &parent, base_fee, &attrs, executed);
        hashes.push(sealed.number(), sealed.header.hash());
        out.push((sealed.header.hash(), sealed.header.state_root));
        parent = sealed.header;
    }
    out
}

#[test]
fn same_blocks_with_one_thread_and_many() {
    let one =
        rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool").install(build_chain);
    let many =
        rayon::ThreadPoolBuilder::new().num_threads(4).build().expect("pool").install(build_chain);
    assert_eq!(one, many);
    assert_eq!(one.len(), 5);
}
