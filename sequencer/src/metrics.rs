//! Prometheus metrics, served at `GET /metrics` beside the JSON-RPC (`rpc::routes`).
//!
//! Names follow op-node's where they mean the same (`op_node_default_refs_number` by layer and
//! type, derivation errors, pipeline resets, L1 reorg depth); the node's own start with `ol_`.
//! Heads and pool sizes are read from the chain at scrape time; events are counted where they
//! happen through the `metrics` facade, so code paths stay free of a registry handle.

use crate::node::Chain;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// Derivation steps that failed on reading L1 (retried).
pub const DERIVATION_ERRORS: &str = "op_node_default_derivation_errors_total";
/// Pipeline restarts (start, L1 reorg, the safe block left the chain).
pub const PIPELINE_RESETS: &str = "op_node_default_pipeline_resets_total";
/// Depth of each L1 reorg the watcher saw, in blocks.
pub const L1_REORG_DEPTH: &str = "op_node_default_l1_reorg_depth";
/// Unsafe blocks replaced because derivation made other blocks.
pub const DERIVED_REPLACED: &str = "ol_derivation_replaced_blocks_total";
/// Seconds to build and seal a block.
pub const BLOCK_BUILD: &str = "ol_block_build_seconds";
/// Seconds to write a block to the store.
pub const BLOCK_COMMIT: &str = "ol_block_commit_seconds";
/// Blocks committed.
pub const BLOCKS: &str = "ol_blocks_total";
/// Transactions committed in blocks.
pub const TRANSACTIONS: &str = "ol_transactions_total";
/// Gas used by committed blocks.
pub const GAS: &str = "ol_gas_used_total";
/// Seconds per JSON-RPC call, by method.
pub const RPC_DURATION: &str = "ol_rpc_request_duration_seconds";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (a second node in the same process shares it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let seconds =
                [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            let depth = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0, 32.0, 64.0];
            PrometheusBuilder::new()
                .set_buckets(&seconds)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(L1_REORG_DEPTH.into()),
                        &depth,
                    )
                })
                .and_then(|b| b.install_recorder())
                .ok()
        })
        .as_ref()
}

/// The text exposition for a scrape: heads and pool first brought up to date from `chain`.
pub fn render(chain: &Arc<Chain>) -> String {
    let Some(handle) = handle() else { return String::new() };
    let refs = "op_node_default_refs_number";
    let heads = [
        ("l2_unsafe", chain.head().number),
        ("l2_safe", chain.safe_number()),
        ("l2_finalized", chain.finalized_number()),
    ];
    for (kind, number) in heads {
        metrics::gauge!(refs, "layer" => "l2", "type" => kind).set(number as f64);
    }
    let pool = chain.pool.status();
    metrics::gauge!("ol_txpool_pending").set(pool.pending as f64);
    metrics::gauge!("ol_txpool_queued").set(pool.queued as f64);
    handle.render()
}
