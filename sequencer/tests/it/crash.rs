//! Durability: `kill -9` during a stream of transactions loses no acknowledged receipt and
//! changes no block.

use crate::harness::{ADDR1, KEY0, TestNode};
use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_loses_no_acknowledged_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = TestNode::start(dir.path(), &[]);
    let signer: PrivateKeySigner = KEY0.parse().expect("key");
    let provider =
        ProviderBuilder::new().wallet(signer.clone()).connect_http(node.url.parse().expect("url"));
    let to: Address = ADDR1.parse().expect("address");

    // Stream transactions; acknowledge each by its receipt. Kill while more are in flight.
    let mut acknowledged: Vec<B256> = Vec::new();
    let mut in_flight = Vec::new();
    for i in 0..60u64 {
        let tx = TransactionRequest::default().with_to(to).with_value(U256::from(i + 1));
        let pending = provider.send_transaction(tx).await.expect("send");
        if i < 40 {
            let receipt = pending.get_receipt().await.expect("receipt");
            assert!(receipt.status());
            acknowledged.push(receipt.transaction_hash);
        } else {
            in_flight.push(*pending.tx_hash());
        }
    }
    let head = provider.get_block_number().await.expect("head");
    let mut blocks = Vec::new();
    for n in 0..=head {
        let b = provider
            .get_block_by_number(BlockNumberOrTag::Number(n))
            .await
            .expect("block")
            .expect("exists");
        blocks.push((b.header.hash, b.header.state_root));
    }
    node.kill9();

    let node = TestNode::start(dir.path(), &[]);
    let provider = ProviderBuilder::new().connect_http(node.url.parse().expect("url"));
    for hash in &acknowledged {
        let receipt = provider
            .get_transaction_receipt(*hash)
            .await
            .expect("query")
            .expect("acknowledged receipt survives");
        assert!(receipt.status());
    }
    for (n, (hash, root)) in blocks.iter().enumerate() {
        let b = provider
            .get_block_by_number(BlockNumberOrTag::Number(n as u64))
            .await
            .expect("block")
            .expect("exists");
        assert_eq!(
            (b.header.hash, b.header.state_root),
            (*hash, *root),
            "block {n} changed across the crash"
        );
    }
    // The chain goes on from where it stopped.
    let new_head = provider.get_block_number().await.expect("head");
    assert!(new_head >= head);
    let provider =
        ProviderBuilder::new().wallet(signer).connect_http(node.url.parse().expect("url"));
    let tx = TransactionRequest::default().with_to(to).with_value(U256::from(7u64));
    let receipt = tokio::time::timeout(Duration::from_secs(30), async {
        provider.send_transaction(tx).await.expect("send").get_receipt().await.expect("receipt")
    })
    .await
    .expect("node produces blocks after restart");
    assert!(receipt.status());
    assert!(receipt.block_number.expect("mined") > new_head);
    // A clean stop exits with success.
    assert!(node.terminate(), "SIGTERM must shut the node down cleanly");
}
