//! The import path (what `--follow-l1` and the prover use): a block given by its attributes and
//! transactions, executed strictly on another node, comes out with the same hash and state as
//! where it was built; a block that does not execute as given is rejected and changes nothing.

use crate::harness::signed_transfer;
use alloy_primitives::{Address, U256};
use ol_sequencer::{
    genesis::{GenesisSpec, dev_keys},
    node::{Chain, ChainOptions, NodeError},
    store::Store,
};
use std::sync::Arc;

async fn chain(dir: &std::path::Path) -> Arc<Chain> {
    let store = Store::open(&dir.join("node.sqlite")).await.expect("store");
    let genesis = GenesisSpec::dev(None).expect("genesis");
    Chain::open(store, genesis, ChainOptions::default()).await.expect("chain")
}

#[test]
fn an_imported_block_matches_the_built_one_and_a_bad_one_changes_nothing() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (a_dir, b_dir) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
        let (a, b) = (chain(a_dir.path()).await, chain(b_dir.path()).await);
        let keys = dev_keys().expect("keys");
        for nonce in 0..3 {
            a.add_raw_transaction(&signed_transfer(&keys[0], nonce)).expect("pooled");
        }
        a.add_raw_transaction(&signed_transfer(&keys[1], 0)).expect("pooled");
        let attrs = a.next_attributes(&a.tip());
        let built = a.build_block_with(attrs.clone()).await.expect("built");
        a.commit_block(&built).await.expect("committed");
        assert_eq!(built.transactions.len(), 5, "the L1-info deposit and four transfers");

        let txs: Vec<_> = built.transactions.iter().skip(1).map(|t| t.tx.clone()).collect();
        let imported = b.import_block(attrs.clone(), txs.clone()).await.expect("imported");
        assert_eq!(imported.header.hash(), built.header.hash());
        assert_eq!(b.head().hash(), built.header.hash());
        assert_eq!(b.state.write().state_root(), a.state.write().state_root());

        // A block whose transactions do not execute as given (a nonce reused) is rejected.
        let mut next = a.next_attributes(&b.tip());
        next.timestamp = attrs.timestamp + 1;
        let root = b.state.write().state_root();
        let stale = vec![txs[0].clone()];
        match b.import_block(next.clone(), stale).await {
            Err(NodeError::InvalidBlock { number: 2, .. }) => {}
            other => panic!("expected block 2 to be invalid, got {other:?}"),
        }
        assert_eq!(b.head().number, 1, "nothing committed");
        assert_eq!(b.tip().number, 1, "the tip did not move");
        assert_eq!(b.state.write().state_root(), root, "the state did not change");

        // The node goes on importing valid blocks.
        let fresh = ol_sequencer::mempool::validate_raw(
            &signed_transfer(&keys[0], 3),
            &ol_sequencer::mempool::StatelessRules {
                chain_id: 1612,
                block_gas_limit: 30_000_000,
                max_tx_bytes: 131_072,
                allow_unprotected: false,
            },
        )
        .expect("valid");
        let block2 = b.import_block(next, vec![Arc::new(fresh)]).await.expect("imported");
        assert_eq!(block2.number(), 2);
    });
}

/// The miner seals block N+1 (and the live state moves to it) while block N+1 is still being
/// stored: until it is the head, reads at `latest` or at N's number must answer with N's state,
/// not with what a block no client can see yet holds. Seen once as a test that read an L2
/// block's L1 origin in two calls and got fields of two blocks.
#[test]
fn reads_at_the_head_answer_with_its_state_while_the_next_block_is_stored() {
    use alloy_primitives::Bytes;
    use serde_json::{Value, json};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let chain = chain(dir.path()).await;
        let rpc = ol_sequencer::rpc::module(chain.clone(), &Default::default(), Vec::new())
            .expect("module");
        let keys = dev_keys().expect("keys");
        let (sender, recipient) = (keys[0].address(), Address::repeat_byte(0x42));
        chain.add_raw_transaction(&signed_transfer(&keys[0], 0)).expect("pooled");
        let sealed = chain.build_block().await.expect("sealed");
        assert_eq!((chain.head().number, sealed.number()), (0, 1), "sealed, not yet the head");

        // Code that returns its own balance, put on the recipient by a state override.
        let selfbalance = Bytes::from_static(&[0x47, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
        let overrides = json!({ recipient.to_string(): { "code": selfbalance } });
        let reads = |tag: &'static str| {
            let rpc = rpc.clone();
            let overrides = overrides.clone();
            async move {
                let balance: U256 =
                    rpc.call("eth_getBalance", (recipient, tag)).await.expect("balance");
                let nonce: U256 =
                    rpc.call("eth_getTransactionCount", (sender, tag)).await.expect("nonce");
                let call = json!({ "to": recipient });
                let called: Bytes =
                    rpc.call("eth_call", (call, tag, overrides)).await.expect("call");
                (balance, nonce, U256::from_be_slice(&called))
            }
        };
        let zero = (U256::ZERO, U256::ZERO, U256::ZERO);
        assert_eq!(reads("latest").await, zero, "latest is block 0 until block 1 is stored");
        assert_eq!(reads("0x0").await, zero, "block 0 by number");
        // A proof of the latest state waits for the head to catch up with the tries.
        let proof = {
            let rpc = rpc.clone();
            tokio::spawn(async move {
                rpc.call::<_, Value>("eth_getProof", (recipient, Vec::<String>::new(), "latest"))
                    .await
            })
        };
        chain.commit_block(&sealed).await.expect("committed");
        let one = (U256::from(1_000u64), U256::from(1u64), U256::from(1_000u64));
        assert_eq!(reads("latest").await, one, "block 1 once it is the head");
        assert_eq!(reads("0x0").await, zero, "block 0 is unchanged");
        let proof = proof.await.expect("task").expect("proof");
        assert_eq!(proof["balance"], "0x3e8", "the proof is of block 1's state: {proof}");
    });
}
