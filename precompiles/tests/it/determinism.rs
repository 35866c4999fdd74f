//! The same bytes come out with 1 and with 4 rayon threads.

use crate::common::{self, Rng, addresses};
use ol_precompiles::{
    Datanet, InfluenceQuery, MergePolicy, TokenIndex, TokenQuery, abi, influence, token_attribution,
};
use std::num::NonZeroU32;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool")
}

#[test]
fn influence_is_thread_count_independent() {
    let mut rng = Rng::new(3);
    let who = addresses(&mut rng, 97);
    let mut nets = Vec::new();
    for id in [9u64, 4] {
        let mut d = Datanet::new(id, 128).expect("dim");
        let n = 20_000;
        let owners: Vec<_> = (0..n).map(|_| who[rng.below(97) as usize]).collect();
        let sketches: Vec<i8> = (0..n * 128).map(|_| rng.i8_in(-3, 3)).collect();
        d.push_batch(&owners, &sketches).expect("push");
        nets.push(d);
    }
    let q: Vec<i8> = (0..128).map(|_| rng.i8_in(-3, 3)).collect();
    for k in [None, NonZeroU32::new(1), NonZeroU32::new(777)] {
        let query = InfluenceQuery { sketch: &q, top_k: k, top_points: 16 };
        let run = |t: usize| {
            pool(t).install(|| {
                let r = influence::score(&[&nets[0], &nets[1]], &query).expect("score");
                abi::encode_influence_result(&r)
            })
        };
        let one = run(1);
        assert_eq!(one, run(4));
        assert!(one.len() > 200);
    }
}

#[test]
fn token_attribution_is_thread_count_independent() {
    let mut rng = Rng::new(5);
    let who = addresses(&mut rng, 30);
    let docs = common::corpus(&mut rng, 200_000, 40, (50, 800), &who);
    let mut ix = TokenIndex::new(1, MergePolicy { fan_in: 4, ..MergePolicy::default() });
    for chunk in docs.chunks(17) {
        let b: Vec<_> = chunk.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        ix.add_documents(&b).expect("add");
    }
    let out = common::output(&mut rng, &docs, 1000, 40, 50);
    let q = TokenQuery { output: &out, min_span: 2, max_occurrences: 1000 };
    let run = |t: usize| {
        pool(t).install(|| {
            let r = token_attribution::attribute(&[&ix], &q).expect("attribute");
            (abi::encode_token_result(&r), r.work)
        })
    };
    let one = run(1);
    assert_eq!(one, run(4));
    assert!(one.0.len() > 1000);
}
