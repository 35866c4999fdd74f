//! Prometheus metrics, served at `GET /metrics` on the admin RPC's port.
//!
//! Names are op-batcher's where they mean the same (`op_batcher_default_…`: pending blocks and
//! bytes, channel compression ratio, input and output bytes, batch transactions by stage,
//! pending transactions, fees); backlog gauges are read from the driver's [`Status`] at scrape
//! time, events are counted where they happen through the `metrics` facade.

use crate::driver::Status;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};

/// Compressed over raw bytes of each closed channel.
pub const CHANNEL_COMPR_RATIO: &str = "op_batcher_default_channel_compr_ratio";
/// Raw transaction bytes put into channels.
pub const INPUT_BYTES: &str = "op_batcher_default_input_bytes_total";
/// Compressed bytes out of channels.
pub const OUTPUT_BYTES: &str = "op_batcher_default_output_bytes_total";
/// Frames of the last closed channel.
pub const CHANNEL_FRAMES: &str = "op_batcher_default_channel_num_frames";
/// Batch transactions by `stage`: `submitted` (queued for L1), `success` (confirmed).
pub const BATCHER_TX: &str = "op_batcher_default_batcher_tx_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let ratio = [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(CHANNEL_COMPR_RATIO.into()), &ratio)
                .and_then(|b| b.install_recorder())
                .ok()
        })
        .as_ref()
}

/// The text exposition: the gauges first brought up to date from `status`.
pub fn render(status: &Arc<Mutex<Status>>) -> String {
    let Some(handle) = handle() else { return String::new() };
    let s = status.lock().clone();
    metrics::gauge!("op_batcher_default_up").set(1.0);
    metrics::gauge!("op_batcher_default_running").set(f64::from(u8::from(s.running)));
    metrics::gauge!("op_batcher_default_pending_blocks_count", "stage" => "loaded")
        .set(s.backlog_blocks as f64);
    metrics::gauge!("op_batcher_default_pending_blocks_bytes_current").set(s.backlog_bytes as f64);
    metrics::gauge!("op_batcher_default_pending_txs").set(s.in_flight as f64);
    metrics::gauge!("ol_batcher_queued_payloads").set(s.queued_payloads as f64);
    metrics::gauge!("ol_batcher_fee_bumps").set(s.fee_bumps as f64);
    if let Some(through) = s.posted_through {
        metrics::gauge!("op_batcher_default_refs_number", "layer" => "l2", "type" => "posted")
            .set(through as f64);
    }
    // Gwei as a float, as op-batcher's txmgr reports it (blob fees on a devnet are a few wei).
    let wei: f64 = s.fees_spent_wei.parse().unwrap_or(0.0);
    metrics::gauge!("op_batcher_default_tx_fee_gwei_total").set(wei / 1e9);
    handle.render()
}
