//! Influence scoring against the numpy reference (`tests/reference/influence_ref.py`).
//!
//! Needs `python3` with numpy (`python3 -m pip install numpy`). Without it the test FAILS: a
//! reference test that silently skips proves nothing.

use crate::common::{Rng, addresses};
use alloy_primitives::Address;
use ol_precompiles::influence::{self, Datanet, InfluenceQuery};
use std::{fmt::Write as _, num::NonZeroU32, path::Path, process::Command};

/// (top_k, top_points) of each query; top_k 0 keeps every point.
const QUERIES: [(u32, usize); 9] =
    [(0, 16), (1, 16), (3, 16), (7, 5), (10, 5), (100, 16), (333, 16), (4999, 3), (0, 0)];

struct Dataset {
    dim: usize,
    owners: Vec<Address>,
    points: Vec<i8>,
    queries: Vec<Vec<i8>>,
}

/// `n` points of dimension `dim` with values in lo..=hi, owned by `contributors` addresses.
fn dataset(seed: u64, n: usize, dim: usize, (lo, hi): (i8, i8), contributors: usize) -> Dataset {
    let mut rng = Rng::new(seed);
    let pool = addresses(&mut rng, contributors);
    // Skewed ownership: low pool indices own more points.
    let owners = (0..n)
        .map(|_| {
            let bound = rng.range(1, contributors as u64);
            pool[rng.below(bound) as usize]
        })
        .collect();
    let points = (0..n * dim).map(|_| rng.i8_in(lo, hi)).collect();
    let mut queries: Vec<Vec<i8>> =
        QUERIES.iter().map(|_| (0..dim).map(|_| rng.i8_in(lo, hi)).collect()).collect();
    queries.push(vec![0; dim]); // every score 0: empty attribution
    Dataset { dim, owners, points, queries }
}

fn write_files(dir: &Path, ds: &Dataset) {
    let n = ds.owners.len();
    let mut meta = format!("{n} {} {}\n", ds.dim, ds.queries.len());
    for q in 0..ds.queries.len() {
        let (k, t) = QUERIES.get(q).copied().unwrap_or((0, 16));
        writeln!(meta, "{k} {t}").expect("fmt");
    }
    std::fs::write(dir.join("meta.txt"), meta).expect("meta");
    let owners: Vec<u8> = ds.owners.iter().flat_map(|a| a.0).collect();
    std::fs::write(dir.join("contributors.bin"), owners).expect("contributors");
    std::fs::write(dir.join("points.bin"), ds.points.iter().map(|&v| v as u8).collect::<Vec<_>>())
        .expect("points");
    let q: Vec<u8> = ds.queries.iter().flatten().map(|&v| v as u8).collect();
    std::fs::write(dir.join("queries.bin"), q).expect("queries");
}

fn run_python(dir: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/influence_ref.py");
    let out = Command::new("python3").arg(&script).arg(dir).output().unwrap_or_else(|e| {
        panic!("cannot run python3 ({e}): the influence reference test needs python3 with numpy")
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "influence_ref.py failed (install numpy with `python3 -m pip install numpy`):\n{stderr}"
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn rust_side(ds: &Dataset) -> String {
    let mut dn = Datanet::new(1, ds.dim).expect("dim");
    dn.push_batch(&ds.owners, &ds.points).expect("points");
    let mut out = Vec::new();
    for (q, sketch) in ds.queries.iter().enumerate() {
        let (k, t) = QUERIES.get(q).copied().unwrap_or((0, 16));
        let query = InfluenceQuery { sketch, top_k: NonZeroU32::new(k), top_points: t };
        let r = influence::score(&[&dn], &query).expect("score");
        let shares: Vec<String> =
            r.shares.iter().map(|s| format!("{}:{}", hex(s.contributor), s.bps)).collect();
        let top: Vec<String> =
            r.top_points.iter().map(|p| format!("{}:{}", p.index, p.score)).collect();
        for p in &r.top_points {
            assert_eq!(p.contributor, ds.owners[p.index as usize]);
        }
        if !r.shares.is_empty() {
            assert_eq!(r.shares.iter().map(|s| u32::from(s.bps)).sum::<u32>(), 10_000);
        }
        out.push(format!("Q {q}"));
        out.push(format!("S {}", shares.join(" ")));
        out.push(format!("T {}", top.join(" ")));
    }
    out.join("\n") + "\n"
}

fn hex(a: Address) -> String {
    a.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(ds: &Dataset) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), ds);
    let expected = run_python(dir.path());
    let got = rust_side(ds);
    for (i, (g, e)) in got.lines().zip(expected.lines()).enumerate() {
        assert_eq!(g, e, "line {i} differs from numpy");
    }
    assert_eq!(got.lines().count(), expected.lines().count());
    // The reference saw real attributions, not only empty ones.
    assert!(expected.lines().filter(|l| l.starts_with("S ") && l.len() > 2).count() >= 6);
}

#[test]
fn matches_numpy_full_range_5000x256() {
    check(&dataset(1, 5000, 256, (-128, 127), 300));
}

#[test]
fn matches_numpy_with_ties_5000x64() {
    // Values in -1..=1 make many equal scores: exercises both tie-breaking rules.
    check(&dataset(2, 5000, 64, (-1, 1), 40));
}

#[test]
fn matches_numpy_when_every_score_ties_5000x64() {
    // Every sketch is all ones: every score is 64, so top-k keeps the lowest indices and shares
    // follow point counts, whose remainders often tie (lower address wins).
    check(&dataset(3, 5000, 64, (1, 1), 7));
}
