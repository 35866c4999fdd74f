//! Strict execution (what derivation and the prover use): a given list of transactions is
//! executed in order, and a transaction that cannot be, even one that merely does not fit the
//! block's remaining gas, is reported so that the caller rejects the block.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, TxKind, U256};
use alloy_signer::SignerSync;
use ol_protocol::L1BlockInfo;
use ol_sequencer::{
    evm::NodeEvm,
    executor::{BlockAttributes, OrderedTxs, execute_block},
    genesis::{GenesisSpec, dev_keys},
    mempool::{StatelessRules, validate_raw},
    state::{BlockHashes, StateView},
};
use std::sync::Arc;

#[test]
fn a_transaction_that_does_not_fit_is_reported_not_skipped() {
    let spec = GenesisSpec::dev(None).expect("genesis");
    let (state, genesis) = spec.build();
    let evm = NodeEvm::new(spec.chain.clone());
    let keys = dev_keys().expect("keys");
    let rules = StatelessRules {
        chain_id: 1612,
        block_gas_limit: 30_000_000,
        max_tx_bytes: 131_072,
        allow_unprotected: false,
    };
    let transfer = |nonce: u64, gas_limit: u64| {
        let tx = TxEip1559 {
            chain_id: 1612,
            nonce,
            gas_limit,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(0x55)),
            value: U256::from(1),
            ..Default::default()
        };
        let sig = keys[0].sign_hash_sync(&tx.signature_hash()).expect("sign");
        let raw = tx.into_signed(sig).encoded_2718();
        Arc::new(validate_raw(&raw, &rules).expect("valid"))
    };
    // The L1-info deposit must fit its 1M gas limit; after it and a transfer, less than 1M is
    // left.
    let attrs = BlockAttributes {
        timestamp: genesis.header.timestamp + 1,
        l1_info: L1BlockInfo { number: 1, ..Default::default() },
        deposits: Vec::new(),
        prev_randao: B256::ZERO,
        parent_beacon_block_root: B256::ZERO,
        gas_limit: 1_010_000,
    };
    let mut hashes = BlockHashes::default();
    hashes.push(0, genesis.header.hash());
    let base_fee = genesis.header.base_fee_per_gas.unwrap_or_default();
    let run = |txs: Vec<_>| {
        let mut source = OrderedTxs::new(txs);
        let executed = execute_block(
            &evm,
            StateView { state: &state, hashes: &hashes },
            &genesis.header,
            base_fee,
            &attrs,
            &mut source,
        )
        .expect("executes");
        (executed.transactions.len(), source.invalid().to_vec())
    };
    // Both fit: both in, nothing reported.
    let (included, invalid) = run(vec![transfer(0, 21_000), transfer(1, 21_000)]);
    assert_eq!((included, invalid.len()), (3, 0));
    // The second asks for 1M: it does not fit, is reported, and the block is rejected.
    let second = transfer(1, 1_000_000);
    let (included, invalid) = run(vec![transfer(0, 21_000), second.clone()]);
    assert_eq!(included, 2, "the L1-info deposit and the first transfer");
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert_eq!(invalid[0].0, second.hash);
}
