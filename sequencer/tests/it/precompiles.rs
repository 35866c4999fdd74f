//! The influence-attribution precompile on the running node: registrations are transactions
//! whose state commits to the state root; scores equal the pure implementation's.

use crate::harness::{ADDR0, ADDR1, TestNode, raw_rpc};
use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_sol_types::{SolCall, SolError};
use ol_precompiles::{
    abi::{IInfluenceAttribution as I, INFLUENCE_ADDRESS},
    influence::{self, Datanet, InfluenceQuery},
};
use ol_sequencer::evm::datasets::batch_address;
use serde_json::{Value, json};

async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw_rpc(url, body.to_string()).await.1
}

/// Sends a dev-account transaction to `to` and waits for its receipt.
async fn send_to(url: &str, from: &str, to: Address, data: Vec<u8>, gas: Option<u64>) -> Value {
    let mut tx = json!({"from": from, "to": to, "data": Bytes::from(data)});
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

async fn send(url: &str, from: &str, data: Vec<u8>, gas: Option<u64>) -> Value {
    send_to(url, from, INFLUENCE_ADDRESS, data, gas).await
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

    // The batch is the code of its data account (STOP, contributors, sketches), so the state
    // root commits to it through the account's code hash.
    let code_at = |batch: u64| {
        let at = batch_address(INFLUENCE_ADDRESS, 1, batch);
        async move { call(url, "eth_getCode", json!([at, "latest"])).await["result"].clone() }
    };
    let mut payload = vec![0u8];
    for c in &contributors {
        payload.extend_from_slice(c.as_slice());
    }
    payload.extend_from_slice(&sketches);
    assert_eq!(code_at(0).await, json!(Bytes::from(payload.clone())));
    let proof =
        call(url, "eth_getProof", json!([batch_address(INFLUENCE_ADDRESS, 1, 0), [], "latest"]))
            .await;
    assert_eq!(proof["result"]["codeHash"], json!(alloy_primitives::keccak256(&payload)));

    // A registration that runs out of gas leaves no trace, not even its data account.
    let r = send(url, ADDR0, add.abi_encode(), Some(60_000)).await;
    assert_eq!(r["status"], "0x0");
    assert_eq!(info(url).await, (3, 2));
    assert_eq!(code_at(1).await, json!("0x"));

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
        querySketch: query.clone().into(),
        topK: 0,
        topPoints: 0,
    };
    let r = send(url, ADDR0, record.abi_encode(), None).await;
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["logs"].as_array().map(Vec::len), Some(1));
    // InfluenceScored's queryHash is keccak256 of the whole calldata, as the interface says, so
    // the same sketch with another topK logs another hash (issue 13, item 1).
    let logged_hash = |r: &Value| -> B256 {
        r["logs"][0]["topics"][2].as_str().expect("queryHash topic").parse().expect("hash")
    };
    assert_eq!(logged_hash(&r), keccak256(record.abi_encode()));
    let other = I::recordScoreCall { topK: 1, ..record.clone() };
    let r2 = send(url, ADDR0, other.abi_encode(), None).await;
    assert_eq!(logged_hash(&r2), keccak256(other.abi_encode()));
    assert_ne!(logged_hash(&r2), logged_hash(&r));
    // The ol_ namespace reads the recorded attribution and the datanet's statistics.
    let recorded =
        call(url, "ol_attribution", json!([r["transactionHash"]])).await["result"].clone();
    let shares: Vec<(Address, u16)> = recorded[0]["shares"]
        .as_array()
        .expect("shares")
        .iter()
        .map(|s| {
            (
                s["contributor"].as_str().expect("addr").parse().expect("addr"),
                s["bps"].as_u64().expect("bps") as u16,
            )
        })
        .collect();
    assert_eq!(shares, want_shares);
    assert_eq!(recorded[0]["kind"], "influence");
    assert_eq!(recorded[0]["queryHash"], json!(keccak256(record.abi_encode())));
    let stats = call(url, "ol_datanet", json!([1])).await["result"].clone();
    assert_eq!(
        (stats["points"].clone(), stats["contributors"].clone(), stats["dim"].clone()),
        (json!(3), json!(2), json!(64))
    );
    // Ids as quantities too ("0x1", as cast rpc sends them); an unknown id is null; a bad one
    // is an invalid-params error (issue 13, item 6).
    assert_eq!(call(url, "ol_datanet", json!(["0x1"])).await["result"], stats);
    assert_eq!(call(url, "ol_datanet", json!(["1"])).await["result"], stats);
    assert!(call(url, "ol_datanet", json!([99])).await["result"].is_null());
    assert!(call(url, "ol_datanet", json!(["0x63"])).await["result"].is_null());
    assert_eq!(call(url, "ol_datanet", json!(["0xzz"])).await["error"]["code"], -32602);
    // Through a contract: a write under STATICCALL fails, a read succeeds; DELEGATECALL (which
    // would use the caller's storage) is refused. Runtime code: copy calldata, call 0x0A01 with
    // it (STATICCALL 0xfa or DELEGATECALL 0xf4), return the success flag as a word.
    for (address, opcode) in [
        ("0x00000000000000000000000000000000000000f1", "fa"),
        ("0x00000000000000000000000000000000000000f2", "f4"),
    ] {
        let code = format!("0x365f5f375f5f365f610a015a{opcode}5f5260205ff3");
        assert_eq!(call(url, "anvil_setCode", json!([address, code])).await["result"], true);
    }
    let flag = |v: &Value| v["result"].as_str().map(|s| s.ends_with('1'));
    let create = Bytes::from(I::createDatanetCall { dim: 64 }.abi_encode());
    let read = Bytes::from(I::datanetInfoCall { datanetId: 1 }.abi_encode());
    let static_write = call(url, "eth_call", json!([{"to": "0x00000000000000000000000000000000000000f1", "data": create.clone()}, "latest"])).await;
    assert_eq!(flag(&static_write), Some(false), "{static_write}");
    let static_read = call(
        url,
        "eth_call",
        json!([{"to": "0x00000000000000000000000000000000000000f1", "data": read}, "latest"]),
    )
    .await;
    assert_eq!(flag(&static_read), Some(true), "{static_read}");
    let delegated = call(
        url,
        "eth_call",
        json!([{"to": "0x00000000000000000000000000000000000000f2", "data": create}, "latest"]),
    )
    .await;
    assert_eq!(flag(&delegated), Some(false), "{delegated}");
    let proof = call(url, "eth_getProof", json!([INFLUENCE_ADDRESS, [], "latest"])).await;
    assert_ne!(proof["result"]["storageHash"], json!(format!("{}", alloy_trie::EMPTY_ROOT_HASH)));

    // Excluding a range (a rejected contribution): its points score 0, as if absent; only the
    // owner may exclude, and only registered points.
    let exclude = I::excludePointsCall { datanetId: 1, firstIndex: 1, count: 1 };
    let v = call(url, "eth_call", json!([{"from": ADDR1, "to": INFLUENCE_ADDRESS, "data": Bytes::from(exclude.abi_encode())}, "latest"])).await;
    let data: Bytes = serde_json::from_value(v["error"]["data"].clone()).expect("revert data");
    assert!(I::NotDatanetOwner::abi_decode(&data).is_ok(), "{v}");
    let bad = I::excludePointsCall { datanetId: 1, firstIndex: 2, count: 2 };
    let v = call(url, "eth_call", json!([{"from": ADDR0, "to": INFLUENCE_ADDRESS, "data": Bytes::from(bad.abi_encode())}, "latest"])).await;
    let data: Bytes = serde_json::from_value(v["error"]["data"].clone()).expect("revert data");
    assert!(I::InvalidRange::abi_decode(&data).is_ok(), "{v}");
    let r = send(url, ADDR0, exclude.abi_encode(), None).await;
    assert_eq!(r["status"], "0x1", "{r}");
    let v = call(
        url,
        "eth_call",
        json!([{"to": INFLUENCE_ADDRESS, "data": Bytes::from(score.abi_encode())}, "latest"]),
    )
    .await;
    let out: Bytes = serde_json::from_value(v["result"].clone()).expect("bytes");
    let got = I::scoreCall::abi_decode_returns(&out).expect("decodes");
    let q: Vec<i8> = score.querySketch.iter().map(|b| *b as i8).collect();
    let want = influence::score_excluding(
        &[(&datanet, &[(1, 2)][..])],
        &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 },
    )
    .expect("score");
    let got_shares: Vec<(Address, u16)> =
        got.shares.iter().map(|s| (s.contributor, s.bps)).collect();
    let want_shares: Vec<(Address, u16)> =
        want.shares.iter().map(|s| (s.contributor, s.bps)).collect();
    assert_eq!(got_shares, want_shares);
    assert_eq!(
        got_shares.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
        vec![Address::repeat_byte(0x11)]
    );
    assert!(got.top.iter().all(|p| p.index != 1));

    // After a restart the index is rebuilt from the state: same scores, same gas (gas never
    // depends on whether a node had the index in memory).
    let score_call = json!([{"from": ADDR0, "to": INFLUENCE_ADDRESS, "data": Bytes::from(score.abi_encode())}, "latest"]);
    let before = call(url, "eth_call", score_call.clone()).await["result"].clone();
    let gas_before = call(url, "eth_estimateGas", score_call.clone()).await["result"].clone();
    assert!(node.terminate(), "clean shutdown");
    let node = TestNode::start(_dir.path(), &[]);
    let url = node.url.as_str();
    assert_eq!(call(url, "eth_call", score_call.clone()).await["result"], before);
    assert_eq!(call(url, "eth_estimateGas", score_call).await["result"], gas_before);
    assert_eq!(info(url).await, (3, 2));
}

mod adapters {
    use super::*;
    use alloy_primitives::B256;
    use ol_precompiles::abi::{ADAPTER_REGISTRY_ADDRESS, IAdapterRegistry as A};

    async fn view(url: &str, from: &str, data: Vec<u8>) -> Result<Bytes, Bytes> {
        let v = call(url, "eth_call", json!([{"from": from, "to": ADAPTER_REGISTRY_ADDRESS, "data": Bytes::from(data)}, "latest"])).await;
        match v.get("result") {
            Some(r) => Ok(serde_json::from_value(r.clone()).expect("bytes")),
            None => Err(serde_json::from_value(v["error"]["data"].clone()).expect("revert data")),
        }
    }

    fn params(datanets: Vec<u64>) -> A::AdapterParams {
        A::AdapterParams {
            baseModelId: B256::repeat_byte(0xba),
            weightsHash: B256::repeat_byte(0x77),
            rank: 16,
            alpha: 32,
            targetModules: 0b11,
            trainingDatanets: datanets,
            uri: "ipfs://adapter-v1".into(),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn adapter_registry_on_chain() {
        let (node, _dir) = TestNode::fresh(&[]);
        let url = node.url.as_str();
        // Training datanets must exist in the influence precompile.
        let err = view(url, ADDR0, A::registerAdapterCall { params: params(vec![1]) }.abi_encode())
            .await
            .expect_err("unknown datanet");
        assert!(A::UnknownDatanet::abi_decode(&err).is_ok());
        let r = send_to(
            url,
            ADDR0,
            INFLUENCE_ADDRESS,
            I::createDatanetCall { dim: 64 }.abi_encode(),
            None,
        )
        .await;
        assert_eq!(r["status"], "0x1");

        let r = send_to(
            url,
            ADDR0,
            ADAPTER_REGISTRY_ADDRESS,
            A::registerAdapterCall { params: params(vec![1]) }.abi_encode(),
            None,
        )
        .await;
        assert_eq!(r["status"], "0x1", "{r}");
        let out =
            view(url, ADDR0, A::getAdapterCall { id: 1 }.abi_encode()).await.expect("adapter");
        let adapter = A::getAdapterCall::abi_decode_returns(&out).expect("decodes");
        assert_eq!(adapter.owner, ADDR0.parse::<Address>().expect("addr"));
        assert_eq!(adapter.params.uri, "ipfs://adapter-v1");
        assert_eq!(adapter.params.trainingDatanets, vec![1]);
        assert_eq!(adapter.version, 1);

        // Only the owner makes new versions; versions link to their parent.
        let err = view(
            url,
            ADDR1,
            A::newVersionCall { parentId: 1, params: params(vec![1]) }.abi_encode(),
        )
        .await
        .expect_err("not owner");
        assert!(A::NotOwner::abi_decode(&err).is_ok());
        let r = send_to(
            url,
            ADDR0,
            ADAPTER_REGISTRY_ADDRESS,
            A::newVersionCall { parentId: 1, params: params(vec![]) }.abi_encode(),
            None,
        )
        .await;
        assert_eq!(r["status"], "0x1");
        let out = view(url, ADDR0, A::versionsCall { id: 2 }.abi_encode()).await.expect("versions");
        assert_eq!(A::versionsCall::abi_decode_returns(&out).expect("decodes"), vec![1, 2]);
        let out = view(
            url,
            ADDR0,
            A::adaptersByOwnerCall { owner: ADDR0.parse().expect("addr"), offset: 0, limit: 10 }
                .abi_encode(),
        )
        .await
        .expect("list");
        assert_eq!(A::adaptersByOwnerCall::abi_decode_returns(&out).expect("decodes"), vec![1, 2]);

        // Lifecycle: revoked is final.
        let r = send_to(
            url,
            ADDR0,
            ADAPTER_REGISTRY_ADDRESS,
            A::setStatusCall { id: 1, status: A::Status::Revoked }.abi_encode(),
            None,
        )
        .await;
        assert_eq!(r["status"], "0x1");
        let err = view(
            url,
            ADDR0,
            A::newVersionCall { parentId: 1, params: params(vec![]) }.abi_encode(),
        )
        .await
        .expect_err("revoked");
        assert!(A::AdapterRevoked::abi_decode(&err).is_ok());
        let err =
            view(url, ADDR0, A::setStatusCall { id: 1, status: A::Status::Active }.abi_encode())
                .await
                .expect_err("final");
        assert!(A::InvalidTransition::abi_decode(&err).is_ok());
        // Invalid parameters are refused with their own errors.
        let mut bad = params(vec![]);
        bad.rank = 0;
        let err = view(url, ADDR0, A::registerAdapterCall { params: bad }.abi_encode())
            .await
            .expect_err("rank");
        assert!(A::InvalidRank::abi_decode(&err).is_ok());
        let info = call(url, "ol_adapter", json!([2])).await["result"].clone();
        assert_eq!(info["lineage"], json!([1, 2]));
        assert_eq!(info["version"], json!(2));
        assert_eq!(call(url, "ol_adapter", json!([1])).await["result"]["status"], "revoked");
        let out = view(url, ADDR0, A::adapterCountCall {}.abi_encode()).await.expect("count");
        assert_eq!(A::adapterCountCall::abi_decode_returns(&out).expect("decodes"), 2);
    }
}

mod tokens {
    use super::*;
    use ol_precompiles::{
        abi::{ITokenAttribution as T, TOKEN_ATTRIBUTION_ADDRESS, tokens_to_bytes},
        token_attribution::{self, MergePolicy, TokenIndex, TokenQuery},
    };

    async fn send_tx(url: &str, data: Vec<u8>) -> Value {
        super::send_to(url, ADDR0, TOKEN_ATTRIBUTION_ADDRESS, data, Some(20_000_000)).await
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn token_attribution_on_chain_matches_the_pure_implementation() {
        let (node, _dir) = TestNode::fresh(&[]);
        let url = node.url.as_str();
        assert_eq!(send_tx(url, T::createDatanetCall {}.abi_encode()).await["status"], "0x1");

        let who =
            [Address::repeat_byte(0xa1), Address::repeat_byte(0xb2), Address::repeat_byte(0xa1)];
        let docs: Vec<Vec<u32>> = vec![
            (0..40).map(|i| i % 7).collect(),
            (0..25).map(|i| (i * 3) % 11 + 100_000).collect(),
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        ];
        let lengths: Vec<u32> = docs.iter().map(|d| d.len() as u32).collect();
        let flat: Vec<u32> = docs.concat();
        let add = T::addDocumentsCall {
            datanetId: 1,
            contributors: who.to_vec(),
            docLengths: lengths,
            tokens: tokens_to_bytes(&flat),
        };
        assert_eq!(send_tx(url, add.abi_encode()).await["status"], "0x1");

        let output: Vec<u32> =
            [vec![0, 1, 2, 3, 4, 5, 6], vec![100_003, 100_006, 100_009], vec![4, 5, 6, 7, 8, 9]]
                .concat();
        let query = T::attributeCall {
            datanetIds: vec![1],
            outputTokens: tokens_to_bytes(&output),
            minSpan: 2,
            maxOccurrences: 100,
        };
        let v = call(url, "eth_call", json!([{"to": TOKEN_ATTRIBUTION_ADDRESS, "data": Bytes::from(query.abi_encode())}, "latest"])).await;
        let out: Bytes =
            serde_json::from_value(v["result"].clone()).unwrap_or_else(|_| panic!("{v}"));
        let got = T::attributeCall::abi_decode_returns(&out).expect("decodes");

        let mut index = TokenIndex::new(1, MergePolicy::default());
        let refs: Vec<(Address, &[u32])> =
            who.iter().zip(&docs).map(|(a, d)| (*a, d.as_slice())).collect();
        index.add_documents(&refs).expect("index");
        let want = token_attribution::attribute(
            &[&index],
            &TokenQuery { output: &output, min_span: 2, max_occurrences: 100 },
        )
        .expect("attribute");
        let got_shares: Vec<(Address, u16)> =
            got.shares.iter().map(|s| (s.contributor, s.bps)).collect();
        let want_shares: Vec<(Address, u16)> =
            want.shares.iter().map(|s| (s.contributor, s.bps)).collect();
        assert_eq!(got_shares, want_shares);
        assert!(!got_shares.is_empty());
        assert_eq!(got.spans.len(), want.spans.len());

        // Record it; the shares are logged and readable again.
        let record = T::recordAttributionCall {
            datanetIds: vec![1],
            outputTokens: tokens_to_bytes(&output),
            minSpan: 2,
            maxOccurrences: 100,
        };
        let r = send_tx(url, record.abi_encode()).await;
        assert_eq!(r["status"], "0x1");
        assert_eq!(r["logs"].as_array().map(Vec::len), Some(1));
        // ol_attribution reads TokensAttributed too (issue 13, item 2): the event's shares.
        let recorded =
            call(url, "ol_attribution", json!([r["transactionHash"]])).await["result"].clone();
        assert_eq!(recorded.as_array().map(Vec::len), Some(1), "{recorded}");
        assert_eq!(recorded[0]["kind"], "tokens");
        assert_eq!(recorded[0]["queryHash"], json!(keccak256(tokens_to_bytes(&output))));
        let listed: Vec<(Address, u16)> = recorded[0]["shares"]
            .as_array()
            .expect("shares")
            .iter()
            .map(|s| {
                let who = s["contributor"].as_str().expect("addr").parse().expect("addr");
                (who, s["bps"].as_u64().expect("bps") as u16)
            })
            .collect();
        assert_eq!(listed, got_shares);
        // Bad layouts revert with their custom errors.
        let bad = T::addDocumentsCall {
            datanetId: 1,
            contributors: vec![ADDR0.parse().expect("addr")],
            docLengths: vec![3],
            tokens: tokens_to_bytes(&[1, 2]),
        };
        let v = call(url, "eth_call", json!([{"from": ADDR0, "to": TOKEN_ATTRIBUTION_ADDRESS, "data": Bytes::from(bad.abi_encode())}, "latest"])).await;
        let data: Bytes = serde_json::from_value(v["error"]["data"].clone()).expect("revert data");
        assert!(T::DocumentLayout::abi_decode(&data).is_ok(), "{v}");
        let info = T::datanetInfoCall { datanetId: 1 };
        let v = call(url, "eth_call", json!([{"to": TOKEN_ATTRIBUTION_ADDRESS, "data": Bytes::from(info.abi_encode())}, "latest"])).await;
        let out: Bytes = serde_json::from_value(v["result"].clone()).expect("bytes");
        let info = T::datanetInfoCall::abi_decode_returns(&out).expect("decodes");
        assert_eq!((info.documents, info.tokens), (3, flat.len() as u64));

        // Nine more batches: ten segments, which the node merges in the background. Answers
        // equal the pure index's before and after a restart (which rebuilds from the state),
        // and so does the gas.
        let mut all = refs.iter().map(|(a, d)| (*a, d.to_vec())).collect::<Vec<_>>();
        for k in 0..9u32 {
            let doc: Vec<u32> = (0..30).map(|i| (i * (k + 2)) % 13 + 200 * k).collect();
            let who = Address::repeat_byte(0xc0 + k as u8);
            let add = T::addDocumentsCall {
                datanetId: 1,
                contributors: vec![who],
                docLengths: vec![doc.len() as u32],
                tokens: tokens_to_bytes(&doc),
            };
            assert_eq!(send_tx(url, add.abi_encode()).await["status"], "0x1");
            all.push((who, doc));
        }
        let output: Vec<u32> = all.iter().flat_map(|(_, d)| d[3..9].to_vec()).collect();
        let query = T::attributeCall {
            datanetIds: vec![1],
            outputTokens: tokens_to_bytes(&output),
            minSpan: 3,
            maxOccurrences: 1000,
        };
        let mut index = TokenIndex::new(1, MergePolicy::default());
        let refs: Vec<(Address, &[u32])> = all.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        index.add_documents(&refs).expect("index");
        let want = token_attribution::attribute(
            &[&index],
            &TokenQuery { output: &output, min_span: 3, max_occurrences: 1000 },
        )
        .expect("attribute");
        let want: Vec<(Address, u16)> =
            want.shares.iter().map(|s| (s.contributor, s.bps)).collect();
        assert!(want.len() >= 10, "{want:?}");
        let request = json!([{"from": ADDR0, "to": TOKEN_ATTRIBUTION_ADDRESS, "data": Bytes::from(query.abi_encode())}, "latest"]);
        let shares = |v: Value| {
            let out: Bytes = serde_json::from_value(v["result"].clone()).expect("bytes");
            let got = T::attributeCall::abi_decode_returns(&out).expect("decodes");
            got.shares.iter().map(|s| (s.contributor, s.bps)).collect::<Vec<_>>()
        };
        assert_eq!(shares(call(url, "eth_call", request.clone()).await), want);
        let gas = call(url, "eth_estimateGas", request.clone()).await["result"].clone();
        // Later queries may see the compacted index; the answer and the gas stay.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(shares(call(url, "eth_call", request.clone()).await), want);
        assert_eq!(call(url, "eth_estimateGas", request.clone()).await["result"], gas);
        assert!(node.terminate(), "clean shutdown");
        let node = TestNode::start(_dir.path(), &[]);
        let url = node.url.as_str();
        assert_eq!(shares(call(url, "eth_call", request.clone()).await), want);
        assert_eq!(call(url, "eth_estimateGas", request.clone()).await["result"], gas);

        // Excluding document 3 (a rejected contribution): its contributor is credited for
        // nothing, the rest as the pure implementation says.
        let exclude = T::excludeDocumentsCall { datanetId: 1, firstDoc: 3, count: 1 };
        assert_eq!(send_tx(url, exclude.abi_encode()).await["status"], "0x1");
        let want = token_attribution::prepare(
            &[&index],
            &TokenQuery { output: &output, min_span: 3, max_occurrences: 1000 },
        )
        .expect("prepare")
        .finish_excluding(|_, doc| doc == 3);
        let want: Vec<(Address, u16)> =
            want.shares.iter().map(|s| (s.contributor, s.bps)).collect();
        assert!(want.iter().all(|(a, _)| *a != Address::repeat_byte(0xc0)));
        assert_eq!(shares(call(url, "eth_call", request).await), want);
    }
}

/// What `docs/PRECOMPILES.md` and the interfaces promise a caller, on the real node through the
/// documented ABI (issue 13, items 3, 4 and 8): non-canonical calldata reverts
/// `MalformedInput()`, `topPoints` above 16 returns 16 points without a revert, a wrong sketch
/// length in `addPoints` is `BatchLength(contributors, expected, got)`, and 65 datanets in one
/// query are `DatanetCount(65)`.
#[tokio::test(flavor = "multi_thread")]
async fn documented_limits_and_encoding_rule_on_the_node() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.as_str();
    let dim = 64usize;
    let r = send(url, ADDR0, I::createDatanetCall { dim: dim as u16 }.abi_encode(), None).await;
    assert_eq!(r["status"], "0x1", "{r}");
    let who: Vec<Address> = (0..20u8).map(|i| Address::repeat_byte(i + 1)).collect();
    let sketches: Vec<u8> = (1..=20u8).flat_map(|s| sketch(s, dim)).collect();
    let add =
        I::addPointsCall { datanetId: 1, contributors: who.clone(), sketches: sketches.into() };
    assert_eq!(send(url, ADDR0, add.abi_encode(), None).await["status"], "0x1");

    let eth_call = |data: Vec<u8>| async move {
        let tx = json!({"from": ADDR0, "to": INFLUENCE_ADDRESS, "data": Bytes::from(data)});
        call(url, "eth_call", json!([tx, "latest"])).await
    };
    let revert_data = |v: &Value| -> Bytes {
        serde_json::from_value(v["error"]["data"].clone()).unwrap_or_else(|_| panic!("{v}"))
    };
    let query = I::scoreCall {
        datanetIds: vec![1],
        querySketch: sketch(3, dim).into(),
        topK: 0,
        topPoints: 200,
    };
    // topPoints 200 is taken as 16.
    let v = eth_call(query.abi_encode()).await;
    let out: Bytes = serde_json::from_value(v["result"].clone()).unwrap_or_else(|_| panic!("{v}"));
    let scored = I::scoreCall::abi_decode_returns(&out).expect("decodes");
    assert_eq!(scored.top.len(), 16, "{v}");
    // The same call with a trailing word: not the canonical encoding.
    let mut trailing = query.abi_encode();
    trailing.extend_from_slice(&[0u8; 32]);
    let v = eth_call(trailing).await;
    assert!(I::MalformedInput::abi_decode(&revert_data(&v)).is_ok(), "{v}");
    // A sketch one byte short for its contributor.
    let short = I::addPointsCall {
        datanetId: 1,
        contributors: vec![ADDR1.parse().expect("addr")],
        sketches: vec![1u8; dim - 1].into(),
    };
    let v = eth_call(short.abi_encode()).await;
    let e = I::BatchLength::abi_decode(&revert_data(&v)).expect("BatchLength");
    assert_eq!(
        (e.contributors.to::<u64>(), e.expected.to::<u64>(), e.got.to::<u64>()),
        (1, 64, 63)
    );
    // 65 datanets in one query.
    let many = I::scoreCall { datanetIds: (1..=65).collect(), ..query };
    let v = eth_call(many.abi_encode()).await;
    let e = I::DatanetCount::abi_decode(&revert_data(&v)).expect("DatanetCount");
    assert_eq!(e.got.to::<u64>(), 65);
}
