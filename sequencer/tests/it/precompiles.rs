//! The influence-attribution precompile on the running node: registrations are transactions
//! whose state commits to the state root; scores equal the pure implementation's.

use crate::harness::{ADDR0, ADDR1, TestNode, raw_rpc};
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, SolError};
use ol_precompiles::{
    abi::{IInfluenceAttribution as I, INFLUENCE_ADDRESS},
    influence::{self, Datanet, InfluenceQuery},
};
use serde_json::{Value, json};

async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw_rpc(url, body.to_string()).await.1
}

async fn send(url: &str, from: &str, data: Vec<u8>, gas: Option<u64>) -> Value {
    let mut tx = json!({"from": from, "to": INFLUENCE_ADDRESS, "data": Bytes::from(data)});
    if let Some(gas) = gas {
        tx["gas"] = json!(format!("0x{gas:x}"));
    }
    let v = call(url, "eth_sendTransaction", json!([tx])).await;
    let hash = v["result"].clone();
    assert!(hash.is_string(), "{v}");
    for _ in 0..100 {
        let r = call(url, "eth_getTransactionReceipt", json!([hash])).await["result"].clone();
        if !r.is_null() {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    panic!("no receipt");
}

async fn info(url: &str) -> (u32, u32) {
    let data = I::datanetInfoCall { datanetId: 1 }.abi_encode();
    let v = call(
        url,
        "eth_call",
        json!([{"to": INFLUENCE_ADDRESS, "data": Bytes::from(data)}, "latest"]),
    )
    .await;
    let out: Bytes = serde_json::from_value(v["result"].clone()).expect("bytes");
    let ret = I::datanetInfoCall::abi_decode_returns(&out).expect("decodes");
    (ret.points, ret.contributors)
}

fn sketch(seed: u8, dim: usize) -> Vec<u8> {
    (0..dim).map(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed) % 7).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn influence_precompile_registers_and_scores_on_chain() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();
    let dim = 64usize;

    let r = send(url, ADDR0, I::createDatanetCall { dim: dim as u16 }.abi_encode(), None).await;
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["logs"].as_array().map(Vec::len), Some(1), "DatanetCreated logged");

    let contributors =
        [Address::repeat_byte(0x11), Address::repeat_byte(0x22), Address::repeat_byte(0x11)];
    let sketches: Vec<u8> = (1..=3).flat_map(|s| sketch(s, dim)).collect();
    let add = I::addPointsCall {
        datanetId: 1,
        contributors: contributors.to_vec(),
        sketches: sketches.clone().into(),
    };
    let r = send(url, ADDR0, add.abi_encode(), None).await;
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(info(url).await, (3, 2));

    // Only the datanet owner may add; the refusal is a decodable custom error.
    let v = call(url, "eth_call", json!([{"from": ADDR1, "to": INFLUENCE_ADDRESS, "data": Bytes::from(add.abi_encode())}, "latest"])).await;
    assert_eq!(v["error"]["code"], 3, "{v}");
    let data: Bytes = serde_json::from_value(v["error"]["data"].clone()).expect("revert data");
    assert!(I::NotDatanetOwner::abi_decode(&data).is_ok(), "{v}");

    // A registration that runs out of gas leaves no trace.
    let r = send(url, ADDR0, add.abi_encode(), Some(60_000)).await;
    assert_eq!(r["status"], "0x0");
    assert_eq!(info(url).await, (3, 2));

    // Malformed input reverts with MalformedInput, unknown selectors with UnknownSelector.
    let v =
        call(url, "eth_call", json!([{"to": INFLUENCE_ADDRESS, "data": "0x12"}, "latest"])).await;
    let data: Bytes = serde_json::from_value(v["error"]["data"].clone()).expect("revert data");
    assert!(I::MalformedInput::abi_decode(&data).is_ok(), "{v}");
    let v =
        call(url, "eth_call", json!([{"to": INFLUENCE_ADDRESS, "data": "0xdeadbeef"}, "latest"]))
            .await;
    let data: Bytes = serde_json::from_value(v["error"]["data"].clone()).expect("revert data");
    assert!(I::UnknownSelector::abi_decode(&data).is_ok(), "{v}");

    // The on-chain score equals the pure implementation's on the same data.
    let query = sketch(5, dim);
    let score = I::scoreCall {
        datanetIds: vec![1],
        querySketch: query.clone().into(),
        topK: 0,
        topPoints: 4,
    };
    let v = call(
        url,
        "eth_call",
        json!([{"to": INFLUENCE_ADDRESS, "data": Bytes::from(score.abi_encode())}, "latest"]),
    )
    .await;
    let out: Bytes = serde_json::from_value(v["result"].clone()).expect("bytes");
    let got = I::scoreCall::abi_decode_returns(&out).expect("decodes");
    let mut datanet = Datanet::new(1, dim).expect("datanet");
    for (k, who) in contributors.iter().enumerate() {
        let s: Vec<i8> = sketches[k * dim..(k + 1) * dim].iter().map(|b| *b as i8).collect();
        datanet.push(*who, &s).expect("push");
    }
    let q: Vec<i8> = query.iter().map(|b| *b as i8).collect();
    let want =
        influence::score(&[&datanet], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 })
            .expect("score");
    let got_shares: Vec<(Address, u16)> =
        got.shares.iter().map(|s| (s.contributor, s.bps)).collect();
    let want_shares: Vec<(Address, u16)> =
        want.shares.iter().map(|s| (s.contributor, s.bps)).collect();
    assert_eq!(got_shares, want_shares);
    assert_eq!(got_shares.iter().map(|(_, b)| u32::from(*b)).sum::<u32>(), 10_000);

    // recordScore logs the shares; the registrations are in the state root.
    let record = I::recordScoreCall {
        datanetIds: vec![1],
        querySketch: query.into(),
        topK: 0,
        topPoints: 0,
    };
    let r = send(url, ADDR0, record.abi_encode(), None).await;
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["logs"].as_array().map(Vec::len), Some(1));
    let proof = call(url, "eth_getProof", json!([INFLUENCE_ADDRESS, [], "latest"])).await;
    assert_ne!(proof["result"]["storageHash"], json!(format!("{}", alloy_trie::EMPTY_ROOT_HASH)));
    let _ = U256::ZERO;
}
