//! Consensus-critical code is deterministic: the same blocks come out byte for byte whatever
//! the thread count (state roots hash storage tries in parallel with rayon).

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::{SolCall, sol};
use ol_precompiles::abi::{
    IInfluenceAttribution as I, INFLUENCE_ADDRESS, ITokenAttribution as T,
    TOKEN_ATTRIBUTION_ADDRESS, tokens_to_bytes,
};
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
        (TxKind::Call(a), false) if *a == INFLUENCE_ADDRESS || *a == TOKEN_ATTRIBUTION_ADDRESS => {
            2_000_000
        }
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
            // The influence precompile runs inside these blocks too (datanet 1, owned by key 1).
            raws.push(signed(
                &keys[1],
                0,
                TxKind::Call(INFLUENCE_ADDRESS),
                I::createDatanetCall { dim: 64 }.abi_encode(),
                0,
            ));
            nonces[1] = 1;
            // So does token attribution (datanet 1, owned by key 2).
            raws.push(signed(
                &keys[2],
                0,
                TxKind::Call(TOKEN_ATTRIBUTION_ADDRESS),
                T::createDatanetCall {}.abi_encode(),
                0,
            ));
            nonces[2] = 1;
        }
        // 900 new accounts a block: the account trie passes the size (4,096 keys) where its root
        // is hashed in parallel.
        for i in 0..900u64 {
            let token_add = block > 0 && i % 100 == 3;
            let k = if token_add { 2 } else { (i % 10) as usize };
            let to = Address::from_word(B256::from(U256::from(block * 1_000 + i)));
            let raw = if token_add {
                // A new batch (segment) per call: the background merge thread runs while the
                // blocks execute, and must not change anything.
                let docs: Vec<Vec<u32>> = (0..2u64)
                    .map(|d| (0..40u64).map(|j| ((j * (d + 2) + i + block) % 23) as u32).collect())
                    .collect();
                let call = T::addDocumentsCall {
                    datanetId: 1,
                    contributors: (0..2u64)
                        .map(|c| Address::from_word(B256::from(U256::from(c + 10 + i % 3))))
                        .collect(),
                    docLengths: vec![40, 40],
                    tokens: tokens_to_bytes(&docs.concat()),
                };
                signed(
                    &keys[k],
                    nonces[k],
                    TxKind::Call(TOKEN_ATTRIBUTION_ADDRESS),
                    call.abi_encode(),
                    0,
                )
            } else if block > 1 && i % 100 == 4 {
                let output: Vec<u32> = (0..30u64).map(|j| ((j * 3 + i) % 23) as u32).collect();
                let call = T::recordAttributionCall {
                    datanetIds: vec![1],
                    outputTokens: tokens_to_bytes(&output),
                    minSpan: 2,
                    maxOccurrences: 10_000,
                };
                signed(
                    &keys[k],
                    nonces[k],
                    TxKind::Call(TOKEN_ATTRIBUTION_ADDRESS),
                    call.abi_encode(),
                    0,
                )
            } else if block > 0 && i % 100 == 1 {
                let contributors: Vec<Address> =
                    (0..4u64).map(|c| Address::from_word(B256::from(U256::from(c + 1)))).collect();
                let sketches: Vec<u8> =
                    (0..4 * 64u64).map(|j| ((j * 7 + block + i) % 13) as u8).collect();
                let call =
                    I::addPointsCall { datanetId: 1, contributors, sketches: sketches.into() };
                signed(&keys[k], nonces[k], TxKind::Call(INFLUENCE_ADDRESS), call.abi_encode(), 0)
            } else if block > 1 && i % 100 == 2 {
                let query: Vec<u8> = (0..64u64).map(|j| ((j * 3 + i) % 11) as u8).collect();
                let call = I::recordScoreCall {
                    datanetIds: vec![1],
                    querySketch: query.into(),
                    topK: 0,
                    topPoints: 4,
                };
                signed(&keys[k], nonces[k], TxKind::Call(INFLUENCE_ADDRESS), call.abi_encode(), 0)
            } else if i % 50 == 0 && block > 0 {
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
        // Transfers to low addresses hit Ethereum precompiles with no gas left and fail, as on
        // Ethereum; the attribution precompile calls must succeed.
        let calls_ok = executed
            .transactions
            .iter()
            .filter(|t| {
                // (A plain transfer to 0x…0A01, block 2's 561st, is malformed input and reverts.)
                let tx = t.tx.tx.inner();
                let to = alloy_consensus::Transaction::to(tx);
                (to == Some(INFLUENCE_ADDRESS) || to == Some(TOKEN_ATTRIBUTION_ADDRESS))
                    && !alloy_consensus::Transaction::input(tx).is_empty()
            })
            .map(|t| alloy_consensus::TxReceipt::status(&t.receipt))
            .collect::<Vec<_>>();
        assert!(
            calls_ok.iter().all(|ok| *ok),
            "block {block}: precompile calls succeed: {calls_ok:?}"
        );
        if block > 1 {
            assert!(
                calls_ok.len() >= 36,
                "block {block} runs add and score calls: {}",
                calls_ok.len()
            );
        }
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
