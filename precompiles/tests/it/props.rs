//! Property tests: shares always sum to 10,000, decoders are total, token attribution agrees
//! with the naive scan on arbitrary small corpora and segmentations.

use crate::token_ref::{build, indexed, naive};
use alloy_primitives::Address;
use ol_precompiles::{Datanet, InfluenceQuery, MergePolicy, abi, bps, influence};
use proptest::prelude::*;
use std::num::NonZeroU32;

fn sum(s: &[bps::Share]) -> u32 {
    s.iter().map(|x| u32::from(x.bps)).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn normalize_sums_to_10000(w in prop::collection::btree_map(any::<u8>(), any::<u64>(), 0..60)) {
        let weights: Vec<(Address, u128)> =
            w.iter().map(|(a, x)| (Address::repeat_byte(*a), u128::from(*x))).collect();
        let shares = bps::normalize(&weights);
        let total: u128 = weights.iter().map(|x| x.1).sum();
        prop_assert_eq!(shares.is_empty(), total == 0);
        if !shares.is_empty() {
            prop_assert_eq!(sum(&shares), 10_000);
        }
        for s in &shares {
            let w = weights.iter().find(|x| x.0 == s.contributor).map_or(0, |x| x.1);
            let floor = (w * 10_000).checked_div(total).unwrap_or_default();
            prop_assert!(u128::from(s.bps) == floor || u128::from(s.bps) == floor + 1);
        }
    }

    #[test]
    fn influence_shares_sum_to_10000(
        dim in 64usize..=100,
        n in 1usize..40,
        seed in any::<u64>(),
        top_k in 0u32..50,
    ) {
        let mut rng = crate::common::Rng::new(seed);
        let mut d = Datanet::new(1, dim).expect("dim");
        let owners: Vec<Address> = (0..n).map(|_| Address::repeat_byte(rng.below(5) as u8)).collect();
        let sk: Vec<i8> = (0..n * dim).map(|_| rng.i8_in(-128, 127)).collect();
        d.push_batch(&owners, &sk).expect("push");
        let q: Vec<i8> = (0..dim).map(|_| rng.i8_in(-128, 127)).collect();
        let query = InfluenceQuery { sketch: &q, top_k: NonZeroU32::new(top_k), top_points: 16 };
        let r = influence::score(&[&d], &query).expect("score");
        prop_assert!(r.shares.is_empty() || sum(&r.shares) == 10_000);
        prop_assert!(r.top_points.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = abi::decode_influence_call(&bytes);
        let _ = abi::decode_token_call(&bytes);
        let _ = abi::decode_adapter_call(&bytes);
        let _ = abi::tokens_from_bytes(&bytes);
    }

    #[test]
    fn decoders_never_panic_behind_valid_selectors(
        which in 0usize..64,
        body in prop::collection::vec(any::<u8>(), 0..600),
        words in prop::collection::vec(0u64..2048, 0..12),
    ) {
        // Each decoder behind each of its own selectors, followed by random words (small
        // numbers look like offsets and lengths) and random bytes, to reach deep into it. What
        // a decoder accepts must be the canonical encoding of what it decoded.
        use alloy_sol_types::SolInterface;
        let build = |sel: [u8; 4]| -> Vec<u8> {
            let mut input = sel.to_vec();
            for w in &words {
                input.extend([0u8; 24]);
                input.extend(w.to_be_bytes());
            }
            input.extend(&body);
            input
        };
        if let Some(sel) = abi::InfluenceCall::selector_at(which % abi::InfluenceCall::COUNT) {
            let input = build(sel);
            if let Ok(call) = abi::decode_influence_call(&input) {
                prop_assert_eq!(call.abi_encode(), input);
            }
        }
        if let Some(sel) = abi::TokenCall::selector_at(which % abi::TokenCall::COUNT) {
            let input = build(sel);
            if let Ok(call) = abi::decode_token_call(&input) {
                prop_assert_eq!(call.abi_encode(), input);
            }
        }
        if let Some(sel) = abi::AdapterCall::selector_at(which % abi::AdapterCall::COUNT) {
            let input = build(sel);
            if let Ok(call) = abi::decode_adapter_call(&input) {
                prop_assert_eq!(call.abi_encode(), input);
            }
        }
    }
}

proptest! {
    /// The success side of the decoders: canonical calls of the three precompiles, with dynamic
    /// arguments of any length, decode to exactly what was encoded; the same call with bytes
    /// appended, or with its last byte dropped, is refused (the encoding rule of
    /// docs/PRECOMPILES.md). Without this the property above could pass with decoders that
    /// accept nothing.
    #[test]
    fn canonical_calls_decode_and_their_mutations_are_refused(
        ids in prop::collection::vec(any::<u64>(), 0..8),
        data in prop::collection::vec(any::<u8>(), 0..300),
        a in any::<u32>(),
        b in any::<u8>(),
        c in any::<u64>(),
        extra in prop::collection::vec(any::<u8>(), 1..70),
    ) {
        use alloy_primitives::{Address, B256, Bytes};
        use alloy_sol_types::SolInterface;
        use ol_precompiles::abi::{IAdapterRegistry, IInfluenceAttribution, ITokenAttribution};
        let data = Bytes::from(data);
        let influence = abi::InfluenceCall::score(IInfluenceAttribution::scoreCall {
            datanetIds: ids.clone(),
            querySketch: data.clone(),
            topK: a,
            topPoints: b,
        });
        let token = abi::TokenCall::attribute(ITokenAttribution::attributeCall {
            datanetIds: ids.clone(),
            outputTokens: data.clone(),
            minSpan: a,
            maxOccurrences: c,
        });
        let adapter = abi::AdapterCall::adaptersByBaseModel(IAdapterRegistry::adaptersByBaseModelCall {
            baseModelId: B256::repeat_byte(b),
            offset: a,
            limit: a.rotate_left(7),
        });
        let owner = abi::AdapterCall::adaptersByOwner(IAdapterRegistry::adaptersByOwnerCall {
            owner: Address::repeat_byte(b),
            offset: a,
            limit: c as u32,
        });
        let mutations = |input: &[u8]| -> Vec<Vec<u8>> {
            let mut longer = input.to_vec();
            longer.extend(&extra);
            vec![longer, input[..input.len() - 1].to_vec()]
        };
        let encoded = influence.abi_encode();
        prop_assert_eq!(abi::decode_influence_call(&encoded).ok(), Some(influence));
        for bad in mutations(&encoded) {
            prop_assert!(abi::decode_influence_call(&bad).is_err());
        }
        let encoded = token.abi_encode();
        prop_assert_eq!(abi::decode_token_call(&encoded).ok(), Some(token));
        for bad in mutations(&encoded) {
            prop_assert!(abi::decode_token_call(&bad).is_err());
        }
        for call in [adapter, owner] {
            let encoded = call.abi_encode();
            prop_assert_eq!(abi::decode_adapter_call(&encoded).ok(), Some(call));
            for bad in mutations(&encoded) {
                prop_assert!(abi::decode_adapter_call(&bad).is_err());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn token_attribution_matches_naive_in_any_segmentation(
        docs in prop::collection::vec(
            (0u8..4, prop::collection::vec(0u32..4, 1..40)), 1..25),
        out in prop::collection::vec(0u32..5, 1..60),
        cuts in prop::collection::vec(1usize..6, 0..10),
        fan_in in 2usize..5,
        min_span in 1u32..4,
        max_occ in 1u64..30,
    ) {
        let docs: Vec<(Address, Vec<u32>)> =
            docs.into_iter().map(|(a, d)| (Address::repeat_byte(a), d)).collect();
        let expected = naive(&docs, &out, min_span, max_occ);
        let policy = MergePolicy { fan_in, ..MergePolicy::default() };
        prop_assert_eq!(indexed(&build(&docs, &cuts, policy), &out, min_span, max_occ), expected.clone());
        let mut one = build(&docs, &[], policy);
        one.compact().expect("compact");
        prop_assert_eq!(indexed(&one, &out, min_span, max_occ), expected.clone());
        if !expected.1.is_empty() {
            prop_assert_eq!(sum(&expected.1), 10_000);
        }
    }
}
