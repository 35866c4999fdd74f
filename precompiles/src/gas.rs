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
//! matching; see `token_attribution::Prepared`).

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
/// Influence `score`: points per gas of per-point work (selection, aggregation: about 0.5 ns a
/// point).
pub const SCORE_POINTS_PER_GAS: u64 = 8;
/// Influence `score`: per contributor weighed — every contributor of the named datanets when
/// all points count, at most `topK` otherwise. Summing weights by address and normalizing them
/// costs about 140 ns per contributor (1M distinct contributors: 142 ms on the node's EVM), far
/// more than scanning their points, so a datanet of one sketch per contributor pays for it.
pub const SCORE_PER_CONTRIBUTOR_GAS: u64 = 16;

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
/// Token `attribute`: per output token and datanet.
pub const ATTRIBUTE_PER_TOKEN_GAS: u64 = 16;
/// Token `attribute`: per output token and datanet, a further `2^(L − 18)` where `L` is the
/// corpus size in bits (`ceil(log2(tokens + 1))`). The measured cost per output token doubles
/// with each doubling of the corpus past a few million tokens, once the suffix array and text
/// leave the caches (0.28 µs at 10^6 tokens, 0.55 µs at 10^7, 3.7 µs at 10^8; merged
/// segments, quiet machine): a polynomial in `L` cannot follow that and stay in band.
pub const ATTRIBUTE_LOG_FLOOR: u64 = 18;
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

/// `score` over `datanets` datanets holding `points` points of dimension `dim` in total, weighing
/// `contributors` contributors (the datanets' contributor counts summed without `topK`, else
/// `min(topK, points)`).
pub fn score_gas(datanets: u64, points: u64, dim: u64, contributors: u64) -> u64 {
    let kib = points.saturating_mul(dim).div_ceil(1024);
    SCORE_BASE_GAS
        .saturating_add(contributors.saturating_mul(SCORE_PER_CONTRIBUTOR_GAS))
        .saturating_add(datanets.saturating_mul(SCORE_PER_DATANET_GAS))
        .saturating_add(kib.saturating_mul(SCORE_PER_KIB_GAS))
        .saturating_add(points.div_ceil(SCORE_POINTS_PER_GAS))
}

/// `addDocuments` of `docs` documents holding `tokens` tokens.
pub fn add_documents_gas(docs: u64, tokens: u64) -> u64 {
    ADD_DOCS_BASE_GAS
        .saturating_add(docs.saturating_mul(ADD_DOCS_PER_DOC_GAS))
        .saturating_add(tokens.saturating_mul(ADD_DOCS_PER_TOKEN_GAS))
}

/// `attribute`, charged before matching: an output of `output_len` tokens against datanets
/// whose corpora hold `corpus_tokens[i]` tokens.
pub fn attribute_gas(output_len: u64, corpus_tokens: &[u64]) -> u64 {
    let per_token: u64 = corpus_tokens
        .iter()
        .map(|&n| {
            let d = log2_ceil(n).saturating_sub(ATTRIBUTE_LOG_FLOOR).min(62);
            ATTRIBUTE_PER_TOKEN_GAS.saturating_add(1 << d)
        })
        .fold(0, u64::saturating_add);
    ATTRIBUTE_BASE_GAS
        .saturating_add((corpus_tokens.len() as u64).saturating_mul(ATTRIBUTE_PER_DATANET_GAS))
        .saturating_add(output_len.saturating_mul(per_token))
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
/// `gas_limit` (the answer to "how big a datanet fits a transaction"), for a top-100 query or a
/// datanet with few contributors (each contributor weighed adds
/// [`SCORE_PER_CONTRIBUTOR_GAS`]).
pub fn max_score_bytes(gas_limit: u64, dim: u64) -> u64 {
    if dim == 0 {
        return 0;
    }
    // Binary search over points: score_gas is monotonic.
    let (mut lo, mut hi) = (0u64, gas_limit.saturating_mul(1024));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if score_gas(1, mid, dim, 100) <= gas_limit {
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

    #[test]
    fn formulas_grow_and_saturate() {
        assert!(score_gas(1, 2000, 256, 0) > score_gas(1, 1000, 256, 0));
        assert!(score_gas(1, 1000, 256, 1000) > score_gas(1, 1000, 256, 10));
        assert_eq!(score_gas(u64::MAX, u64::MAX, u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(attribute_gas(u64::MAX, &[u64::MAX]), u64::MAX);
        assert!(attribute_gas(1000, &[100_000_000]) > attribute_gas(1000, &[10_000_000]));
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
        assert!(score_gas(1, points, 256, 100) <= 30_000_000);
        assert!(score_gas(1, points + 1, 256, 100) > 30_000_000);
    }
}
