//! Durability: `kill -9` while blocks are being committed under a steady stream of
//! transactions from four senders loses no acknowledged receipt and changes no block; of the
//! transactions still in flight, what the chain kept is a gapless nonce prefix per sender, and
//! the rest can be sent again as they were and are mined.

use crate::harness::{TestNode, signed_transfer};
use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_signer_local::PrivateKeySigner;
use parking_lot::Mutex;
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

#[derive(Clone)]
struct Sent {
    raw: Bytes,
    hash: B256,
    sender: Address,
    nonce: u64,
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_a_steady_stream_loses_no_acknowledged_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = TestNode::start(dir.path(), &[]);
    let url: reqwest::Url = node.url.parse().expect("url");
    let keys: Vec<PrivateKeySigner> =
        ol_sequencer::genesis::dev_keys().expect("keys").into_iter().take(4).collect();

    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let acked: Arc<Mutex<BTreeMap<B256, (u64, B256)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    // Four senders, each sending as fast as the node answers: instant mining then commits
    // blocks back to back, so the kill lands while blocks are being built and stored.
    for key in keys.clone() {
        let (sent, stop, url) = (sent.clone(), stop.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let provider = ProviderBuilder::new().connect_http(url);
            let mut nonce = 0;
            while !stop.load(Ordering::Relaxed) {
                let raw = Bytes::from(signed_transfer(&key, nonce));
                let hash = keccak256(&raw);
                // Recorded before sending: one the kill cut off may still have been pooled.
                sent.lock().push(Sent { raw: raw.clone(), hash, sender: key.address(), nonce });
                if provider.send_raw_transaction(&raw).await.is_err() {
                    break;
                }
                nonce += 1;
            }
        }));
    }
    // Acknowledgement: a receipt read from the node before the kill.
    {
        let (sent, acked, stop, url) = (sent.clone(), acked.clone(), stop.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let provider = ProviderBuilder::new().connect_http(url);
            while !stop.load(Ordering::Relaxed) {
                let waiting: Vec<B256> = {
                    let acked = acked.lock();
                    sent.lock().iter().map(|s| s.hash).filter(|h| !acked.contains_key(h)).collect()
                };
                for hash in waiting {
                    match provider.get_transaction_receipt(hash).await {
                        Ok(Some(r)) => {
                            let at = (
                                r.block_number.unwrap_or_default(),
                                r.block_hash.unwrap_or_default(),
                            );
                            acked.lock().insert(hash, at);
                        }
                        Ok(None) => {}
                        Err(_) => return,
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    let provider = ProviderBuilder::new().connect_http(url.clone());
    let start = Instant::now();
    while acked.lock().len() < 200 {
        assert!(start.elapsed() < Duration::from_secs(120), "the stream was acknowledged");
        tokio::time::sleep(Duration::from_millis(50)).await;
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
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("task");
    }
    let sent = sent.lock().clone();
    let acked = acked.lock().clone();
    let in_flight: Vec<&Sent> = sent.iter().filter(|s| !acked.contains_key(&s.hash)).collect();
    assert!(!in_flight.is_empty(), "transactions were in flight at the kill");

    let node = TestNode::start(dir.path(), &[]);
    let provider = ProviderBuilder::new().connect_http(node.url.parse().expect("url"));
    for (hash, (number, block_hash)) in &acked {
        let receipt = provider
            .get_transaction_receipt(*hash)
            .await
            .expect("query")
            .expect("an acknowledged receipt survives");
        assert!(receipt.status());
        assert_eq!((receipt.block_number, receipt.block_hash), (Some(*number), Some(*block_hash)));
    }
    for (n, (hash, root)) in blocks.iter().enumerate() {
        let b = provider
            .get_block_by_number(BlockNumberOrTag::Number(n as u64))
            .await
            .expect("block")
            .expect("exists");
        assert_eq!((b.header.hash, b.header.state_root), (*hash, *root), "block {n} changed");
    }

    // The in-flight ones: per sender, what the chain holds is nonces 0..count without a gap
    // (the account nonce says count), and each in-flight transaction is either among them
    // with its receipt or absent.
    let mut resend: BTreeMap<Address, Vec<&Sent>> = BTreeMap::new();
    for key in &keys {
        let sender = key.address();
        let count = provider.get_transaction_count(sender).await.expect("nonce");
        let mine: Vec<&Sent> = sent.iter().filter(|s| s.sender == sender).collect();
        for s in &mine {
            let receipt = provider.get_transaction_receipt(s.hash).await.expect("query");
            assert_eq!(
                receipt.is_some(),
                s.nonce < count,
                "{sender} nonce {}: mined exactly when below the account nonce {count}",
                s.nonce
            );
            if receipt.is_none() {
                resend.entry(sender).or_default().push(s);
            }
        }
    }
    eprintln!(
        "sent {}, acknowledged {}, in flight {}, to send again {}",
        sent.len(),
        acked.len(),
        in_flight.len(),
        resend.values().map(Vec::len).sum::<usize>()
    );

    // What was lost with the pool is sent again, byte for byte, and mined.
    let mut last = Vec::new();
    for txs in resend.values() {
        for s in txs {
            let pending =
                provider.send_raw_transaction(&s.raw).await.expect("the same bytes are accepted");
            assert_eq!(*pending.tx_hash(), s.hash);
        }
        last.extend(txs.last().map(|s| s.hash));
    }
    let start = Instant::now();
    for hash in last {
        while provider.get_transaction_receipt(hash).await.expect("query").is_none() {
            assert!(start.elapsed() < Duration::from_secs(60), "resent transactions are mined");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for key in &keys {
        let sent_by = sent.iter().filter(|s| s.sender == key.address()).count() as u64;
        let count = provider.get_transaction_count(key.address()).await.expect("nonce");
        assert_eq!(count, sent_by, "every transaction {} sent is on chain once", key.address());
    }
    // A clean stop exits with success.
    assert!(node.terminate(), "SIGTERM must shut the node down cleanly");
}
