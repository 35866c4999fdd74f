//! Unit tests of influence scoring.

use super::*;

fn a(b: u8) -> Address {
    Address::repeat_byte(b)
}

fn sketch(v: i8, d: usize) -> Vec<i8> {
    vec![v; d]
}

#[test]
fn excluded_points_count_as_absent() {
    // Points of several chunks (a big batch seals a chunk), some in excluded ranges.
    let d = 64;
    let n = 6_000usize;
    let sk = |i: usize| -> Vec<i8> { (0..d).map(|j| ((i * 7 + j * 3) % 11) as i8 - 4).collect() };
    let who = |i: usize| a((i % 13) as u8 + 1);
    let ranges = [(10u32, 20u32), (15, 30), (4_000, 5_500), (5_999, 7_000)];
    let skipped = |i: usize| ranges.iter().any(|&(x, y)| (x as usize..y as usize).contains(&i));
    let mut full = Datanet::new(1, d).expect("dim");
    let mut kept = Datanet::new(1, d).expect("dim");
    let mut kept_index = Vec::new();
    for i in 0..n {
        full.push(who(i), &sk(i)).expect("push");
        if !skipped(i) {
            kept.push(who(i), &sk(i)).expect("push");
            kept_index.push(i as u32);
        }
    }
    let query: Vec<i8> = (0..d).map(|j| (j % 5) as i8 - 1).collect();
    for top_k in [None, NonZeroU32::new(50)] {
        let q = InfluenceQuery { sketch: &query, top_k, top_points: 16 };
        let got = score_excluding(&[(&full, &ranges[..])], &q).expect("score");
        let want = score(&[&kept], &q).expect("score");
        assert_eq!(got.shares, want.shares);
        let got_top: Vec<(u32, u64)> = got.top_points.iter().map(|p| (p.index, p.score)).collect();
        let want_top: Vec<(u32, u64)> =
            want.top_points.iter().map(|p| (kept_index[p.index as usize], p.score)).collect();
        assert_eq!(got_top, want_top);
        assert!(got.top_points.iter().all(|p| !skipped(p.index as usize)));
    }
    let none = score_excluding(
        &[(&full, &[][..])],
        &InfluenceQuery { sketch: &query, top_k: None, top_points: 4 },
    );
    assert_eq!(
        none,
        score(&[&full], &InfluenceQuery { sketch: &query, top_k: None, top_points: 4 })
    );
}

#[test]
fn dimension_bounds() {
    assert_eq!(Datanet::new(1, 63), Err(InfluenceError::InvalidDimension(63)));
    assert_eq!(Datanet::new(1, 1025), Err(InfluenceError::InvalidDimension(1025)));
    assert!(Datanet::new(1, 64).is_ok());
    assert!(Datanet::new(1, 1024).is_ok());
}

#[test]
fn dot_is_exact_at_extremes() {
    for d in [64usize, 65, 100, 1024] {
        let x = vec![-128i8; d];
        assert_eq!(dot(&x, &x), 16384 * d as i32);
        let y = vec![127i8; d];
        assert_eq!(dot(&x, &y), -16256 * d as i32);
    }
}

#[test]
fn batch_is_atomic() {
    let mut d = Datanet::new(1, 64).expect("dim");
    let err = d.push_batch(&[a(1), a(2)], &sketch(1, 127)).expect_err("short");
    assert!(matches!(err, InfluenceError::BatchLength { expected: 128, .. }));
    assert!(d.is_empty());
    assert_eq!(
        d.push(a(1), &sketch(1, 10)),
        Err(InfluenceError::SketchLength { expected: 64, got: 10 })
    );
}

#[test]
fn clipping_aggregation_and_top_k() {
    let mut d = Datanet::new(7, 64).expect("dim");
    d.push(a(1), &sketch(1, 64)).expect("push"); // score 64
    d.push(a(2), &sketch(-1, 64)).expect("push"); // clipped to 0
    d.push(a(3), &sketch(2, 64)).expect("push"); // 128
    d.push(a(1), &sketch(1, 64)).expect("push"); // 64, ties with index 0
    let q = sketch(1, 64);
    let r = score(&[&d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 16 }).expect("q");
    assert_eq!(
        r.shares,
        vec![Share { contributor: a(1), bps: 5000 }, Share { contributor: a(3), bps: 5000 }]
    );
    assert_eq!(r.top_points.iter().map(|p| p.index).collect::<Vec<_>>(), vec![2, 0, 3]);
    // top 2 keeps index 2 and the lower-index tie, 0.
    let k = NonZeroU32::new(2);
    let r = score(&[&d], &InfluenceQuery { sketch: &q, top_k: k, top_points: 16 }).expect("q");
    assert_eq!(r.top_points.iter().map(|p| p.index).collect::<Vec<_>>(), vec![2, 0]);
    assert_eq!(r.shares[0], Share { contributor: a(3), bps: 6667 });
}

#[test]
fn all_zero_is_empty_and_errors_are_typed() {
    let mut d = Datanet::new(1, 64).expect("dim");
    d.push(a(1), &sketch(-3, 64)).expect("push");
    let q = sketch(1, 64);
    let r = score(&[&d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 }).expect("q");
    assert!(r.shares.is_empty() && r.top_points.is_empty());
    assert_eq!(r.work.points, 1);
    let e = score(&[&d, &d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 });
    assert_eq!(e, Err(InfluenceError::DuplicateDatanet(1)));
    let e = score(&[&d], &InfluenceQuery { sketch: &q[..63], top_k: None, top_points: 4 });
    assert!(matches!(e, Err(InfluenceError::DimensionMismatch { .. })));
    let e = score(&[], &InfluenceQuery { sketch: &q, top_k: None, top_points: 4 });
    assert_eq!(e, Err(InfluenceError::NoDatanets));
}

/// Deterministic test points: `n` owners out of 9 and `n * dim` small sketch values.
fn points(seed: u64, n: usize, dim: usize) -> (Vec<Address>, Vec<i8>) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let owners = (0..n).map(|_| a((next() % 9) as u8 + 1)).collect();
    let sketches = (0..n * dim).map(|_| (next() % 9) as i8 - 4).collect();
    (owners, sketches)
}

/// Results of a few queries, without the work (which depends on the chunking).
fn queries(d: &Datanet, q: &[i8]) -> Vec<InfluenceResult> {
    [None, NonZeroU32::new(1), NonZeroU32::new(37), NonZeroU32::new(1_000_000)]
        .into_iter()
        .map(|top_k| score(&[d], &InfluenceQuery { sketch: q, top_k, top_points: 16 }).expect("q"))
        .map(|r| InfluenceResult { work: InfluenceWork::default(), ..r })
        .collect()
}

#[test]
fn clones_share_chunks_and_diverge_independently() {
    let dim = 64;
    let per_chunk = TAIL_BYTES / dim;
    // The original: two sealed chunks and a tail, pushed one point at a time.
    let n1 = 2 * per_chunk + 50;
    let (o1, s1) = points(1, n1, dim);
    let mut base = Datanet::new(3, dim).expect("dim");
    for (c, s) in o1.iter().zip(s1.chunks_exact(dim)) {
        base.push(*c, s).expect("push");
    }
    assert_eq!(base.sealed.len(), 2);
    let (_, q) = points(2, 1, dim);
    let before = queries(&base, &q);
    let scores_before = base.clipped_scores(&q);

    // A clone shares the sealed chunks; appending to it leaves the original alone.
    let mut version = base.clone();
    assert_eq!(version, base);
    assert!(version.sealed.iter().zip(&base.sealed).all(|(x, y)| Arc::ptr_eq(x, y)));
    let n2 = 3 * per_chunk + 7;
    let (o2, s2) = points(3, n2, dim);
    let (big, small) = (n2 - 20, 20);
    version.push_batch(&o2[..big], &s2[..big * dim]).expect("batch");
    for (c, s) in o2[big..].iter().zip(s2[big * dim..].chunks_exact(dim)) {
        version.push(*c, s).expect("push");
    }
    assert_eq!(version.len(), n1 + n2);
    assert_eq!(big + small, n2);

    assert_eq!(base.len(), n1);
    assert_eq!(base.sealed.len(), 2);
    assert_eq!(queries(&base, &q), before);
    assert_eq!(base.clipped_scores(&q), scores_before);
    for i in [0, 1, per_chunk - 1, per_chunk, 2 * per_chunk, n1 - 1] {
        let idx = i as u32;
        assert_eq!(base.point(idx), Some((o1[i], &s1[i * dim..(i + 1) * dim])));
    }
    assert_eq!(base.point(n1 as u32), None);
    assert!(version.point(n1 as u32).is_some());

    // The clone answers like a datanet built from scratch, whatever the batching.
    let all_owners: Vec<Address> = o1.iter().chain(&o2).copied().collect();
    let all_sketches: Vec<i8> = s1.iter().chain(&s2).copied().collect();
    let mut one_batch = Datanet::new(3, dim).expect("dim");
    one_batch.push_batch(&all_owners, &all_sketches).expect("batch");
    assert_eq!(one_batch.sealed.len(), 1);
    let mut singles = Datanet::new(3, dim).expect("dim");
    for (c, s) in all_owners.iter().zip(all_sketches.chunks_exact(dim)) {
        singles.push(*c, s).expect("push");
    }
    let expected = queries(&one_batch, &q);
    assert!(expected[0].shares.len() == 9 && expected[0].top_points.len() == 16);
    assert_ne!(expected, before);
    assert_eq!(queries(&version, &q), expected);
    assert_eq!(queries(&singles, &q), expected);
    assert_eq!(version.clipped_scores(&q), one_batch.clipped_scores(&q));
    assert_eq!(version, one_batch);
    assert_eq!(singles, one_batch);
    let last = (n1 + n2 - 1) as u32;
    assert_eq!(version.point(last), one_batch.point(last));
}

#[test]
fn all_points_weights_match_a_naive_sum() {
    // A sealed chunk with more contributors than a work unit has points (per-point partial
    // sums) followed by a tail with few (per-contributor partial sums).
    let dim = 64;
    let (n, tail) = (10_000, 300);
    let (_, sk) = points(5, n + tail, dim);
    let owner = |i: usize| {
        let k = if i < n { i % 9000 } else { i % 11 };
        Address::left_padding_from(&(k as u32 + 1).to_be_bytes())
    };
    let owners: Vec<Address> = (0..n + tail).map(owner).collect();
    let mut d = Datanet::new(1, dim).expect("dim");
    d.push_batch(&owners[..n], &sk[..n * dim]).expect("batch");
    d.push_batch(&owners[n..], &sk[n * dim..]).expect("batch");
    assert_eq!((d.sealed.len(), d.tail.len()), (1, tail));
    let many = d.sealed[0].contributors.len();
    assert!(d.units().iter().all(|u| u.chunk > 0 || u.sketches.len() / dim < many));

    let (_, q) = points(6, 1, dim);
    let mut naive: BTreeMap<Address, u128> = BTreeMap::new();
    let mut top: Vec<(u32, usize)> = Vec::new();
    for (i, p) in sk.chunks_exact(dim).enumerate() {
        let s = dot(p, &q).max(0) as u32;
        *naive.entry(owners[i]).or_default() += u128::from(s);
        if s > 0 {
            top.push((s, i));
        }
    }
    naive.retain(|_, w| *w > 0);
    top.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let naive: Vec<(Address, u128)> = naive.into_iter().collect();
    let r = score(&[&d], &InfluenceQuery { sketch: &q, top_k: None, top_points: 16 }).expect("q");
    assert_eq!(r.shares, bps::normalize(&naive));
    let got: Vec<(u32, usize)> =
        r.top_points.iter().map(|p| (p.score as u32, p.index as usize)).collect();
    assert_eq!(got, top[..16]);
    assert!(r.top_points.iter().all(|p| p.contributor == owners[p.index as usize]));
    assert_eq!(
        d.clipped_scores(&q),
        sk.chunks_exact(dim).map(|p| dot(p, &q).max(0) as u32).collect::<Vec<_>>()
    );
}
