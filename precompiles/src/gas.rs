//! Gas schedule of the three precompiles: pure functions of input and state sizes.
//!
//! Compute-bound functions are priced from measurement so that a block spends about the same
//! time per gas whatever it calls: `benches/gas.rs` times each function next to ecrecover
//! (3,000 gas) on the same machine and prints each one's ns/gas relative to ecrecover's; the
//! constants below keep that ratio within 0.5x..2x across input sizes (figures in
//! `docs/PRECOMPILES.md`). `addPoints` / `addDocuments` are priced for their compute too; the
//! state growth they cause is paid only through calldata so far (an open question). Adapter
//! writes are few small records and are priced like SSTOREs instead.
//!
//! Every formula depends only on consensus-visible sizes (never on how a node has segmented
//! its index), uses saturating arithmetic, and is charged before the work it pays for. Token
//! attribution is charged in two steps: [`attribute_gas`] before matching, and
//! [`attribute_occurrence_gas`] before holders are enumerated (the count is only known after
//! matching; see `token_attribution::Prepared`). Influence scoring likewise: [`score_gas`]
//! before the scan, [`score_weigh_gas`] before the positive weights are looked up by address
//! and normalized (their number is only known after the scan; see `influence::Scanned`).

use crate::influence;

/// Gas of the ecrecover precompile, the reference for ns/gas.
pub const ECRECOVER_GAS: u64 = 3_000;

/// Creating a datanet (either kind): one new record.
pub const CREATE_DATANET_GAS: u64 = 25_000;

/// Influence `addPoints`: fixed part.
pub const ADD_POINTS_BASE_GAS: u64 = 2_000;
/// Influence `addPoints`: per point (contributor index entry).
pub const ADD_POINTS_PER_POINT_GAS: u64 = 8;
/// Influence `addPoints`: per KiB of sketch data stored (copy; calldata is paid apart).
pub const ADD_POINTS_PER_KIB_GAS: u64 = 80;

/// Influence `score`: fixed part (decoding, look-ups, result encoding: measured on the node's
/// EVM, `sequencer/benches/wired_gas.rs`).
pub const SCORE_BASE_GAS: u64 = 1_500;
/// Influence `score`: per datanet named.
pub const SCORE_PER_DATANET_GAS: u64 = 100;
/// Influence `score`: per KiB of sketch data scanned (measured 58-67 ns per KiB on datanets
/// larger than cache, with read-ahead, two threads).
pub const SCORE_PER_KIB_GAS: u64 = 6;
/// Influence `score`: points per gas of per-point work besides the dot product: the point's
/// entry into its unit's candidate buffer (every point enters when scores rise along a unit)
/// and at most one partial contributor sum added by dense contributor id (a work unit adds one
/// per contributor of its chunk only when they are no more than its points).
pub const SCORE_POINTS_PER_GAS: u64 = 8;
/// Influence `score`: per candidate the work units may return to the global selection:
/// `min(points, keep · influence::max_units(points, dim))` per datanet, `keep` being the
/// larger of `topK` and the top points asked for. Covers copying it, selecting the best `topK`
/// in order and, if it is kept, looking up its contributor id and adding its score to an
/// array by id (the points `topK` keeps are among the candidates). About 16 ns per candidate
/// when every point is one (`topK` of a unit's size or more, every score positive).
pub const SCORE_PER_CANDIDATE_GAS: u64 = 1;
/// Influence `score`: per contributor of the named datanets when all points count: its sum
/// kept in an array by dense contributor id (zeroed, added up from the threads' arrays,
/// checked for a positive weight). Partial sums are array adds by id (`SCORE_POINTS_PER_GAS`):
/// a map update per chunk and contributor made a few thousand contributors repeated in every
/// chunk cost 4x their gas (issue 15).
pub const SCORE_PER_CONTRIBUTOR_GAS: u64 = 1;
/// Influence `score`, charged after the scan ([`score_weigh_gas`]): per (datanet,
/// contributor) with a positive weight, looked up by address and normalized to basis points.
/// Charged on the exact count, known only once the scores are (an array entry that stays 0
/// costs next to nothing). Measured 57 ns per weight with 262,144 contributors and 160 ns with
/// 1M (their arrays leave the caches; node's EVM, two threads, every weight positive).
pub const SCORE_PER_WEIGHED_GAS: u64 = 5;
/// Influence `score`, charged after the scan: per weight weighed when the query names more
/// than one datanet, as the weights are then merged by address (a sort): a contributor may
/// hold points in several.
pub const SCORE_PER_MERGED_GAS: u64 = 4;

/// Token `addDocuments`: fixed part.
pub const ADD_DOCS_BASE_GAS: u64 = 5_000;
/// Token `addDocuments`: per document.
pub const ADD_DOCS_PER_DOC_GAS: u64 = 50;
/// Token `addDocuments`: per token. Covers building the batch's suffix array and its share of
/// later LSM merges (measured amortized: 90 ns per token at 10^6 tokens, 160 ns at 10^7).
pub const ADD_DOCS_PER_TOKEN_GAS: u64 = 24;

/// Token `attribute`: fixed part (decoding, look-ups, result encoding: measured on the node's
/// EVM, `sequencer/benches/wired_gas.rs`).
pub const ATTRIBUTE_BASE_GAS: u64 = 1_500;
/// Token `attribute`: per datanet named.
pub const ATTRIBUTE_PER_DATANET_GAS: u64 = 100;
/// Token `attribute`: thousandths of gas per index entry span matching may read, by the size
/// of the segment read (`bits` = ceil(log2(text length + 1))), from the adversarial rows of
/// `benches/gas.rs`: a read costs more once a segment's suffix array and text leave the caches
/// (about 1 ns per read at 2^20 entries, 4 at 2^26 for random outputs, rising with TLB misses).
/// The count charged is `token_attribution::match_work_bound`, a worst case for any corpus and
/// output, so the price holds for every input, not only for typical ones.
pub const ATTRIBUTE_READ_MILLIGAS: [(u64, u64); 5] =
    [(22, 100), (24, 200), (26, 400), (28, 800), (u64::MAX, 1_600)];
/// Token `attribute`: per occurrence enumerated to find holders.
pub const ATTRIBUTE_PER_OCCURRENCE_GAS: u64 = 8;

/// Adapter registration (`registerAdapter`, `newVersion`): fixed part (about 8 new slots).
pub const ADAPTER_REGISTER_BASE_GAS: u64 = 160_000;
/// Adapter registration: per 32-byte word of URI and per training datanet (one slot each).
pub const ADAPTER_PER_WORD_GAS: u64 = 20_000;
/// `setStatus`: one slot rewritten.
pub const ADAPTER_SET_STATUS_GAS: u64 = 5_000;
/// Adapter reads: fixed part.
pub const ADAPTER_READ_BASE_GAS: u64 = 2_100;
/// Adapter reads: per slot or id returned.
pub const ADAPTER_READ_PER_ITEM_GAS: u64 = 200;

fn words(bytes: u64) -> u64 {
    bytes.div_ceil(32)
}

/// Bits needed for `n` (ceil(log2(n + 1))): 0 for an empty corpus.
fn log2_ceil(n: u64) -> u64 {
    u64::from(u64::BITS - n.leading_zeros())
}

/// `createDatanet` of either precompile.
pub fn create_datanet_gas() -> u64 {
    CREATE_DATANET_GAS
}

/// `addPoints` of `points` sketches of dimension `dim`.
pub fn add_points_gas(points: u64, dim: u64) -> u64 {
    let kib = points.saturating_mul(dim).div_ceil(1024);
    ADD_POINTS_BASE_GAS
        .saturating_add(points.saturating_mul(ADD_POINTS_PER_POINT_GAS))
        .saturating_add(kib.saturating_mul(ADD_POINTS_PER_KIB_GAS))
}

/// A datanet named in a `score` call, as its on-chain record describes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScoredDatanet {
    /// Points registered.
    pub points: u64,
    /// Distinct contributors registered.
    pub contributors: u64,
}

/// What a `score` call is charged for before any work: an upper bound of each count of
/// [`influence::InfluenceWork`] up to the weighing, computed from the datanets' records and the
/// call's arguments (never from a node's in-memory chunking). The weighing is charged after
/// the scan, on its exact count ([`score_weigh_gas`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScoreCharge {
    /// Datanets named.
    pub datanets: u64,
    /// Points scored (exact).
    pub points: u64,
    /// KiB of sketches scanned.
    pub kib: u64,
    /// Candidates the work units may return (the points `topK` keeps are among them).
    pub candidates: u64,
    /// Contributors whose sums are kept in arrays by id: all of the datanets' without `topK`,
    /// none with it (the kept points' sums ride on the candidates).
    pub contributors: u64,
}

impl ScoreCharge {
    /// The charge of scoring `datanets` (of dimension `dim`) keeping `top_k` points (0: all)
    /// and returning `top_points` of them.
    pub fn new(datanets: &[ScoredDatanet], dim: u64, top_k: u32, top_points: u64) -> Self {
        let points = datanets.iter().map(|d| d.points).fold(0, u64::saturating_add);
        let contributors = datanets.iter().map(|d| d.contributors).fold(0, u64::saturating_add);
        let top_n = top_points.min(influence::MAX_TOP_POINTS as u64);
        let k = u64::from(top_k);
        let keep = k.max(top_n);
        let candidates = datanets
            .iter()
            .map(|d| d.points.min(keep.saturating_mul(influence::max_units(d.points, dim))))
            .fold(0, u64::saturating_add);
        Self {
            datanets: datanets.len() as u64,
            points,
            kib: points.saturating_mul(dim).div_ceil(1024),
            candidates,
            contributors: if k == 0 { contributors } else { 0 },
        }
    }

    /// Its gas.
    pub fn gas(&self) -> u64 {
        SCORE_BASE_GAS
            .saturating_add(self.datanets.saturating_mul(SCORE_PER_DATANET_GAS))
            .saturating_add(self.kib.saturating_mul(SCORE_PER_KIB_GAS))
            .saturating_add(self.points.div_ceil(SCORE_POINTS_PER_GAS))
            .saturating_add(self.candidates.saturating_mul(SCORE_PER_CANDIDATE_GAS))
            .saturating_add(self.contributors.saturating_mul(SCORE_PER_CONTRIBUTOR_GAS))
    }
}

/// `score` over `datanets` of dimension `dim`, keeping `top_k` points (0: all of them) and
/// returning `top_points`, charged before any work: [`ScoreCharge::gas`].
pub fn score_gas(datanets: &[ScoredDatanet], dim: u64, top_k: u32, top_points: u64) -> u64 {
    ScoreCharge::new(datanets, dim, top_k, top_points).gas()
}

/// `score`, charged after the scan and before the weighing: `weighed` positive weights, of
/// which `merged` are merged by address (`influence::Scanned::work`).
pub fn score_weigh_gas(weighed: u64, merged: u64) -> u64 {
    weighed
        .saturating_mul(SCORE_PER_WEIGHED_GAS)
        .saturating_add(merged.saturating_mul(SCORE_PER_MERGED_GAS))
}

/// `addDocuments` of `docs` documents holding `tokens` tokens.
pub fn add_documents_gas(docs: u64, tokens: u64) -> u64 {
    ADD_DOCS_BASE_GAS
        .saturating_add(docs.saturating_mul(ADD_DOCS_PER_DOC_GAS))
        .saturating_add(tokens.saturating_mul(ADD_DOCS_PER_TOKEN_GAS))
}

/// Thousandths of gas per index entry read by matching in a datanet whose text (all its
/// segments together) has `text_len` entries: every segment of the datanet is priced at the
/// rate of the largest segment it could have, so no segmentation reads slower than it pays for.
pub fn attribute_read_milligas(text_len: u64) -> u64 {
    let bits = log2_ceil(text_len);
    ATTRIBUTE_READ_MILLIGAS.iter().find(|(b, _)| bits <= *b).map_or(1_600, |p| p.1)
}

/// `attribute`, charged before matching: an output of `output_len` tokens against datanets
/// priced as segments of the given text lengths (`TokenIndex::gas_segments`, one list per
/// datanet).
pub fn attribute_gas(output_len: u64, datanets: &[Vec<u64>]) -> u64 {
    let milli = datanets
        .iter()
        .map(|segments| {
            let price =
                attribute_read_milligas(segments.iter().fold(0, |a, &b| a.saturating_add(b)));
            segments
                .iter()
                .map(|&len| crate::token_attribution::match_work_bound(output_len, len))
                .fold(0, u64::saturating_add)
                .saturating_mul(price)
        })
        .fold(0, u64::saturating_add);
    ATTRIBUTE_BASE_GAS
        .saturating_add((datanets.len() as u64).saturating_mul(ATTRIBUTE_PER_DATANET_GAS))
        // Saturated milligas stays saturated in gas.
        .saturating_add(if milli == u64::MAX { u64::MAX } else { milli.div_ceil(1_000) })
}

/// `attribute`, charged after matching and before enumerating `occurrences` occurrences.
pub fn attribute_occurrence_gas(occurrences: u64) -> u64 {
    occurrences.saturating_mul(ATTRIBUTE_PER_OCCURRENCE_GAS)
}

/// `registerAdapter` / `newVersion` with a URI of `uri_len` bytes and `datanets` datanets.
pub fn register_adapter_gas(uri_len: u64, datanets: u64) -> u64 {
    ADAPTER_REGISTER_BASE_GAS.saturating_add(
        words(uri_len).saturating_add(datanets).saturating_mul(ADAPTER_PER_WORD_GAS),
    )
}

/// `setStatus`.
pub fn set_status_gas() -> u64 {
    ADAPTER_SET_STATUS_GAS
}

/// A read returning `items` slots or ids (`getAdapter`: its slots; lists: ids returned;
/// `versions`: lineage depth).
pub fn adapter_read_gas(items: u64) -> u64 {
    ADAPTER_READ_BASE_GAS.saturating_add(items.saturating_mul(ADAPTER_READ_PER_ITEM_GAS))
}

/// Largest number of sketch bytes one `score` call over one datanet can scan within
/// `gas_limit` (the answer to "how big a datanet fits a transaction"), for a top-100 query
/// returning 16 points whose kept points all have different contributors.
pub fn max_score_bytes(gas_limit: u64, dim: u64) -> u64 {
    if dim == 0 {
        return 0;
    }
    let gas = |points| {
        score_gas(&[ScoredDatanet { points, contributors: 100 }], dim, 100, 16)
            .saturating_add(score_weigh_gas(100, 0))
    };
    // Binary search over points: score_gas is monotonic.
    let (mut lo, mut hi) = (0u64, gas_limit.saturating_mul(1024));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if gas(mid) <= gas_limit {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo.saturating_mul(dim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(points: u64, contributors: u64) -> ScoredDatanet {
        ScoredDatanet { points, contributors }
    }

    #[test]
    fn formulas_grow_and_saturate() {
        assert!(score_gas(&[net(2000, 0)], 256, 0, 0) > score_gas(&[net(1000, 0)], 256, 0, 0));
        assert!(score_gas(&[net(1000, 1000)], 256, 0, 0) > score_gas(&[net(1000, 10)], 256, 0, 0));
        assert!(score_gas(&[net(1000, 10)], 256, 900, 0) > score_gas(&[net(1000, 10)], 256, 9, 0));
        let huge = [net(u64::MAX, u64::MAX), net(u64::MAX, u64::MAX)];
        assert_eq!(score_gas(&huge, u64::MAX, u32::MAX, u64::MAX), u64::MAX);
        assert_eq!(score_weigh_gas(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(attribute_gas(u64::MAX, &[vec![u64::MAX]]), u64::MAX);
        assert!(
            attribute_gas(1000, &[vec![100_000_000]]) > attribute_gas(1000, &[vec![10_000_000]])
        );
        assert!(attribute_gas(1000, &[vec![1000, 1000]]) > attribute_gas(1000, &[vec![2000]]));
        assert_eq!(log2_ceil(0), 0);
        assert_eq!(log2_ceil(1), 1);
        assert_eq!(log2_ceil(1 << 20), 21);
        assert_eq!(
            register_adapter_gas(33, 1),
            ADAPTER_REGISTER_BASE_GAS + 3 * ADAPTER_PER_WORD_GAS
        );
    }

    #[test]
    fn max_score_bytes_is_tight() {
        let b = max_score_bytes(30_000_000, 256);
        let points = b / 256;
        let weigh = score_weigh_gas(100, 0);
        assert!(score_gas(&[net(points, 100)], 256, 100, 16) + weigh <= 30_000_000);
        assert!(score_gas(&[net(points + 1, 100)], 256, 100, 16) + weigh > 30_000_000);
    }
}
