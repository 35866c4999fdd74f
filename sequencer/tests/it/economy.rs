//! End to end on the node: the $OPEN economy contracts (deployed by their forge script) pay and
//! settle an inference through the real influence-attribution precompile, and every contributor
//! claims exactly what the attribution said.

use crate::harness::{KEY0, TestNode, cast_ok, foundry, run, workspace};
use alloy_primitives::{Address, U256};
use serde_json::{Value, json};
use std::{collections::BTreeMap, process::Command};

/// Dev keys 1..=4 (the test mnemonic).
const KEYS: [&str; 4] = [
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
];

fn addr(key: &str) -> String {
    cast_ok(&["wallet", "address", "--private-key", key])
}

fn send(url: &str, key: &str, args: &[&str]) -> Value {
    let mut all = vec!["send", "--rpc-url", url, "--private-key", key, "--json"];
    all.extend_from_slice(args);
    let receipt: Value = serde_json::from_str(&cast_ok(&all)).expect("receipt json");
    assert_eq!(receipt["status"], "0x1", "{args:?}: {receipt}");
    receipt
}

fn sketch(seed: u8) -> String {
    let bytes: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(seed).wrapping_add(seed) % 9).collect();
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

#[tokio::test(flavor = "multi_thread")]
async fn inference_paid_and_settled_through_the_real_precompile() {
    let (node, _dir) = TestNode::fresh(&[]);
    let url = node.url.clone();

    // Deploy the economy with its own forge script.
    let contracts = workspace().join("contracts");
    let (ok, out, err) = run(Command::new(foundry("forge"))
        .current_dir(&contracts)
        .env("FOUNDRY_SOLC", contracts.join("scripts/solc"))
        .env("FOUNDRY_OFFLINE", "true")
        .env("FOUNDRY_OPTIMISM", "true")
        .args([
            "script",
            "script/DeployL2Economy.s.sol",
            "--rpc-url",
            &url,
            "--broadcast",
            "--private-key",
            KEY0,
        ]));
    assert!(ok, "deploy failed:\n{out}\n{err}");
    let mut deployed = BTreeMap::new();
    for line in out.lines() {
        let mut parts = line.split_whitespace();
        if let (Some(name), Some(address)) = (parts.next(), parts.next())
            && address.starts_with("0x")
            && address.len() == 42
        {
            deployed.insert(name.to_string(), address.to_string());
        }
    }
    let get = |name: &str| {
        deployed.get(name).cloned().unwrap_or_else(|| panic!("{name} not deployed: {out}"))
    };
    let (datanets, models, payments) =
        (get("DatanetRegistry"), get("ModelRegistry"), get("InferencePayments"));

    // A curator creates an influence datanet; three contributors each register one sketch.
    send(
        &url,
        KEY0,
        &[
            &datanets,
            "createDatanet(uint8,uint16,uint128,string)",
            "0",
            "64",
            "0",
            "ipfs://datanet",
        ],
    );
    for (i, key) in KEYS[..3].iter().enumerate() {
        send(&url, key, &[&datanets, "contributeSketch(uint64,bytes)", "1", &sketch(i as u8 + 1)]);
    }
    // Only accepted data earns: the curator accepts each with the committed sketch.
    for i in 0..3u8 {
        let id = (i + 1).to_string();
        send(&url, KEY0, &[&datanets, "acceptSketch(uint256,bytes)", &id, &sketch(i + 1)]);
    }

    // The model owner registers a model on that datanet (an adapter in the real registry).
    let fee = 1_000_003u64;
    let fee_text = fee.to_string();
    send(
        &url,
        KEY0,
        &[
            &models,
            "registerModel((bytes32,bytes32,uint16,uint32,uint32,string),uint64[],uint8,uint128,(uint32,uint32,uint64))",
            &format!("(0x{},0x{},16,32,3,ipfs://model)", "ba".repeat(32), "77".repeat(32)),
            "[1]",
            "0",
            &fee_text,
            "(8,0,0)",
        ],
    );

    // A user pays; the settler settles with the inference's query sketch.
    let payer = KEYS[3];
    send(
        &url,
        payer,
        &[
            &payments,
            "payInference(uint64,bytes32)",
            "1",
            &format!("0x{}", "00".repeat(32)),
            "--value",
            &fee_text,
        ],
    );
    let settled = send(&url, KEY0, &[&payments, "settle(uint256,bytes)", "1", &sketch(5)]);
    let hash = settled["transactionHash"].as_str().expect("hash");

    // What the precompile said, read back through ol_attribution.
    let body = json!({"jsonrpc":"2.0","id":1,"method":"ol_attribution","params":[hash]});
    let (_, v) = crate::harness::raw_rpc(&url, body.to_string()).await;
    let shares = v["result"][0]["shares"].as_array().expect("recorded shares").clone();
    assert!(!shares.is_empty(), "{v}");
    let total_bps: u64 = shares.iter().map(|s| s["bps"].as_u64().expect("bps")).sum();
    assert_eq!(total_bps, 10_000);

    // Each contributor's claimable balance is pool * bps / 10000, to the wei, and claiming pays it.
    let split = cast_ok(&[
        "call",
        "--rpc-url",
        &url,
        &payments,
        "previewSplit(uint256)(uint256,uint256,uint256,uint256)",
        &fee_text,
    ]);
    let pool: U256 = split
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().next())
        .expect("pool")
        .parse()
        .expect("u256");
    let mut credited = U256::ZERO;
    for share in &shares {
        let who: Address = share["contributor"].as_str().expect("addr").parse().expect("addr");
        let want = pool * U256::from(share["bps"].as_u64().expect("bps")) / U256::from(10_000u64);
        let got = cast_ok(&[
            "call",
            "--rpc-url",
            &url,
            &payments,
            "claimable(address)(uint256)",
            &who.to_string(),
        ]);
        let got: U256 = got.split_whitespace().next().expect("value").parse().expect("u256");
        assert_eq!(got, want, "contributor {who}");
        credited += got;
        let key = KEYS[..3]
            .iter()
            .find(|k| addr(k).eq_ignore_ascii_case(&who.to_string()))
            .expect("a contributor key");
        let claim = send(&url, key, &[&payments, "claim()"]);
        assert_eq!(claim["logs"].as_array().map(Vec::len), Some(1), "one Claimed event");
        let after = cast_ok(&[
            "call",
            "--rpc-url",
            &url,
            &payments,
            "claimable(address)(uint256)",
            &who.to_string(),
        ]);
        assert_eq!(after.split_whitespace().next(), Some("0"));
    }
    assert!(credited <= pool && pool - credited < U256::from(10_000u64), "rounding dust only");

    // The curator freezes the second contribution: the registry excludes its point in the real
    // precompile, so the next settlement credits only the other two contributors.
    let rejected = addr(KEYS[1]);
    assert!(
        shares
            .iter()
            .any(|s| s["contributor"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(&rejected)))
    );
    let r = send(&url, KEY0, &[&datanets, "freeze(uint256)", "2"]);
    assert_eq!(r["logs"].as_array().map(Vec::len), Some(2), "PointsExcluded + ContributionFrozen");
    send(
        &url,
        payer,
        &[
            &payments,
            "payInference(uint64,bytes32)",
            "1",
            &format!("0x{}", "02".repeat(32)),
            "--value",
            &fee_text,
        ],
    );
    let settled = send(&url, KEY0, &[&payments, "settle(uint256,bytes)", "2", &sketch(5)]);
    let body = json!({"jsonrpc":"2.0","id":1,"method":"ol_attribution","params":[settled["transactionHash"]]});
    let (_, v) = crate::harness::raw_rpc(&url, body.to_string()).await;
    let after = v["result"][0]["shares"].as_array().expect("recorded shares").clone();
    assert!(!after.is_empty(), "{v}");
    assert!(
        after
            .iter()
            .all(|s| !s["contributor"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(&rejected))),
        "{v}"
    );
    assert_eq!(after.iter().map(|s| s["bps"].as_u64().expect("bps")).sum::<u64>(), 10_000);

    // The same through token attribution: a token datanet, two contributors' documents, a
    // model settled with the inference's output tokens.
    send(
        &url,
        KEY0,
        &[&datanets, "createDatanet(uint8,uint16,uint128,string)", "1", "0", "0", "ipfs://corpus"],
    );
    let docs: [&[u32]; 2] = [&[1, 2, 3, 4, 5, 6, 7, 8], &[50, 51, 52, 53, 54, 55]];
    for (i, (doc, key)) in docs.iter().zip(KEYS).enumerate() {
        let packed = format!("0x{}", doc.iter().map(|t| format!("{t:08x}")).collect::<String>());
        let lengths = format!("[{}]", doc.len());
        send(
            &url,
            key,
            &[&datanets, "contributeDocuments(uint64,uint32[],bytes)", "2", &lengths, &packed],
        );
        // Contributions 1-3 are the sketches.
        let id = (4 + i).to_string();
        send(
            &url,
            KEY0,
            &[&datanets, "acceptDocuments(uint256,uint32[],bytes)", &id, &lengths, &packed],
        );
    }
    send(
        &url,
        KEY0,
        &[
            &models,
            "registerModel((bytes32,bytes32,uint16,uint32,uint32,string),uint64[],uint8,uint128,(uint32,uint32,uint64))",
            &format!("(0x{},0x{},16,32,3,ipfs://model-2)", "bb".repeat(32), "78".repeat(32)),
            "[2]",
            "1",
            &fee_text,
            "(0,2,100)",
        ],
    );
    send(
        &url,
        payer,
        &[
            &payments,
            "payInference(uint64,bytes32)",
            "2",
            &format!("0x{}", "01".repeat(32)),
            "--value",
            &fee_text,
        ],
    );
    // Four tokens of the first document and three of the second: 4/7 and 3/7 of the pool,
    // whose basis points need the largest-remainder rule (5714.28 and 4285.71 -> 5714 / 4286).
    let output: [u32; 8] = [3, 4, 5, 6, 9, 52, 53, 54];
    let packed = format!("0x{}", output.iter().map(|t| format!("{t:08x}")).collect::<String>());
    let holders: Vec<Address> =
        KEYS[..2].iter().map(|k| addr(k).parse().expect("address")).collect();
    let corpus: Vec<(Address, &[u32])> = holders.iter().copied().zip(docs).collect();
    let expected = naive_token_bps(&corpus, &output, 2);
    assert_eq!(expected, vec![(holders[0], 5714), (holders[1], 4286)], "the reference itself");
    let claimable = |who: &Address| -> U256 {
        let v = cast_ok(&[
            "call",
            "--rpc-url",
            &url,
            &payments,
            "claimable(address)(uint256)",
            &who.to_string(),
        ]);
        v.split_whitespace().next().expect("value").parse().expect("u256")
    };
    let before: Vec<U256> = holders.iter().map(claimable).collect();
    let settled = send(&url, KEY0, &[&payments, "settle(uint256,bytes)", "3", &packed]);
    let body = json!({"jsonrpc":"2.0","id":1,"method":"ol_attribution","params":[settled["transactionHash"]]});
    let (_, v) = crate::harness::raw_rpc(&url, body.to_string()).await;
    let recorded: Vec<(Address, u64)> = v["result"][0]["shares"]
        .as_array()
        .expect("recorded shares")
        .iter()
        .map(|s| {
            let who = s["contributor"].as_str().expect("contributor").parse().expect("address");
            (who, s["bps"].as_u64().expect("bps"))
        })
        .collect();
    assert_eq!(recorded, expected, "the token precompile's shares: {v}");
    for (i, (who, bps)) in expected.iter().enumerate() {
        let credit = claimable(who) - before[i];
        assert_eq!(credit, pool * U256::from(*bps) / U256::from(10_000u64), "contributor {who}");
    }
}

/// Token attribution computed the slow, obvious way from docs/PRECOMPILES.md, to check the
/// node's bytes against: for each output position the longest run found inside one document,
/// maximal spans of at least `min_span`, each span's `len * 720720` units split evenly over the
/// distinct holders of its occurrences (leftover units to the lowest addresses), then
/// largest-remainder basis points (ties to the lower address), sorted by bps then address.
fn naive_token_bps(
    docs: &[(Address, &[u32])],
    output: &[u32],
    min_span: usize,
) -> Vec<(Address, u64)> {
    let longest = |i: usize| -> usize {
        docs.iter()
            .flat_map(|(_, d)| (0..d.len()).map(move |s| &d[s..]))
            .map(|suffix| suffix.iter().zip(&output[i..]).take_while(|(a, b)| a == b).count())
            .max()
            .unwrap_or(0)
    };
    let lengths: Vec<usize> = (0..output.len()).map(longest).collect();
    let mut credit: BTreeMap<Address, u128> = BTreeMap::new();
    for (i, &len) in lengths.iter().enumerate() {
        let maximal = len > 0 && (i == 0 || i + len > i - 1 + lengths[i - 1]);
        if !maximal || len < min_span {
            continue;
        }
        let span = &output[i..i + len];
        let mut holders: Vec<Address> = docs
            .iter()
            .filter(|(_, d)| d.windows(len).any(|w| w == span))
            .map(|(who, _)| *who)
            .collect();
        holders.sort();
        holders.dedup();
        let units = len as u128 * 720_720;
        let h = holders.len() as u128;
        for (k, who) in holders.iter().enumerate() {
            *credit.entry(*who).or_default() += units / h + u128::from((k as u128) < units % h);
        }
    }
    let total: u128 = credit.values().sum();
    let mut shares: Vec<(Address, u64, u128)> = credit
        .iter()
        .map(|(who, w)| (*who, (w * 10_000 / total) as u64, w * 10_000 % total))
        .collect();
    let missing = 10_000 - shares.iter().map(|s| s.1).sum::<u64>();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder
        .sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2).then(shares[a].0.cmp(&shares[b].0)));
    for &k in by_remainder.iter().take(missing as usize) {
        shares[k].1 += 1;
    }
    let mut out: Vec<(Address, u64)> =
        shares.into_iter().filter(|s| s.1 > 0).map(|(who, bps, _)| (who, bps)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// The worked example of `contracts/README.md` (the block between the `economy-recipe`
/// markers), run as written with bash against a fresh dev node and a fresh home directory, so
/// the docs cannot drift from the contracts (issue 13, item 5): every command succeeds, both
/// contributors earn, the one who claims is paid out, and the custom error decodes offline.
#[test]
fn the_documented_cast_recipe_runs_as_written() {
    let readme = std::fs::read_to_string(workspace().join("contracts/README.md")).expect("readme");
    let block = readme
        .split("<!-- economy-recipe:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- economy-recipe:end -->").next())
        .and_then(|b| b.split("```sh\n").nth(1))
        .and_then(|b| b.split("```").next())
        .expect("the recipe block in contracts/README.md");
    let (node, _dir) = TestNode::fresh(&[]);
    let home = tempfile::tempdir().expect("home");
    let (ok, out, err) = run(Command::new("bash")
        .args(["-euo", "pipefail", "-c", block])
        .current_dir(workspace().join("contracts"))
        .env("HOME", home.path())
        .env("ETH_RPC_URL", &node.url));
    assert!(ok, "the recipe failed:\n{out}\n{err}");
    // The `claimable` reads print "<wei> [<short>]" (or "0"): both contributors earned, and
    // the one who claimed has nothing left.
    let numbers: Vec<U256> = out
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let n = words.next()?.parse().ok()?;
            match words.next() {
                None => Some(n),
                Some(w) if w.starts_with('[') => Some(n),
                Some(_) => None,
            }
        })
        .collect();
    assert!(numbers.len() >= 3, "{out}");
    assert!(!numbers[0].is_zero() && !numbers[1].is_zero(), "both contributors earn: {out}");
    assert!(numbers[2].is_zero(), "claimed: {out}");
    assert!(out.contains("WrongPayment(uint256,uint256)"), "decoded offline: {out}");
}
