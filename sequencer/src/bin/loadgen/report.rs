//! Rates, latency percentiles and the final report.

use super::*;

// ---------------------------------------------------------------------------------------------

pub(super) struct TxRun {
    /// When submission started: the origin of every rate.
    pub(super) t0: Instant,
    pub(super) signing: Duration,
    pub(super) submit: PhaseStats,
    pub(super) submit_secs: f64,
    pub(super) inclusion: InclusionStats,
    pub(super) receipts: ReceiptCheck,
    pub(super) errors: HashMap<String, u64>,
    pub(super) interrupted: bool,
}

pub(super) struct Report {
    pub(super) human: String,
    pub(super) json: Value,
    /// Nothing rejected, everything accepted was included, every sampled receipt succeeded.
    pub(super) clean: bool,
}

pub(super) fn rate(count: u64, secs: f64) -> f64 {
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// Nearest-rank percentile of sorted microsecond samples, in milliseconds.
pub(super) fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

pub(super) fn latency_json(sorted: &[u32]) -> Value {
    json!({
        "p50": round2(percentile_ms(sorted, 50.0)),
        "p90": round2(percentile_ms(sorted, 90.0)),
        "p99": round2(percentile_ms(sorted, 99.0)),
        "max": round2(percentile_ms(sorted, 100.0)),
    })
}

pub(super) fn latency_line(sorted: &[u32]) -> String {
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile_ms(sorted, 50.0),
        percentile_ms(sorted, 90.0),
        percentile_ms(sorted, 99.0),
        percentile_ms(sorted, 100.0)
    )
}

pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(super) fn errors_lines(errors: &HashMap<String, u64>) -> String {
    let mut sorted: Vec<_> = errors.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    sorted.iter().take(5).map(|(msg, count)| format!("\n  error       {count} x {msg}")).collect()
}

impl Report {
    pub(super) fn txs(cli: &Cli, chain: &ChainParams, gas: u64, run: TxRun) -> Self {
        let n = cli.txs as u64;
        let incl = &run.inclusion;
        let included = incl.included_idx.len() as u64;
        let signing_secs = run.signing.as_secs_f64();
        let included_secs =
            incl.last_seen.map_or(0.0, |t| t.saturating_duration_since(run.t0).as_secs_f64());
        let avg_per_block =
            if incl.blocks_used > 0 { included as f64 / incl.blocks_used as f64 } else { 0.0 };
        let mut human = format!(
            "ol-loadgen {} against {} (chain {}): {n} txs, {} senders, concurrency {}, batch {}, \
             gas {gas}/tx, max fee {} wei, tip {} wei{}",
            cli.workload.name(),
            cli.rpc_url,
            chain.chain_id,
            cli.senders.min(cli.txs),
            cli.concurrency,
            cli.batch,
            chain.max_fee,
            chain.tip,
            if run.interrupted { " [INTERRUPTED: partial]" } else { "" }
        );
        human += &format!(
            "\n  signing     {n} txs in {signing_secs:.2} s = {:.0} tx/s ({} threads)",
            rate(n, signing_secs),
            rayon::current_num_threads()
        );
        human += &format!(
            "\n  submission  {} accepted, {} rejected, {} skipped in {:.2} s = {:.0} accepted/s",
            run.submit.ok,
            run.submit.failed,
            run.submit.skipped,
            run.submit_secs,
            rate(run.submit.ok, run.submit_secs)
        );
        human += &format!(
            "\n  submit lat  {} ({} requests)",
            latency_line(&run.submit.latencies_us),
            run.submit.latencies_us.len()
        );
        human += &format!(
            "\n  inclusion   {included}/{} included in {included_secs:.2} s = {:.0} included/s{}",
            run.submit.ok,
            rate(included, included_secs),
            if incl.timed_out { " (timed out)" } else { "" }
        );
        human += &format!(
            "\n  blocks      {} with our txs (#{}..#{}), max {} / avg {avg_per_block:.0} txs per \
             block, max gas used {}",
            incl.blocks_used,
            incl.first_block.unwrap_or(0),
            incl.last_block.unwrap_or(0),
            incl.max_per_block,
            incl.max_gas_used
        );
        human += &format!("\n  incl. lat   {}", latency_line(&incl.latencies_us));
        human += &format!(
            "\n  receipts    {} sampled, {} with status 1{}",
            run.receipts.checked,
            run.receipts.ok,
            run.receipts
                .first_failure
                .as_deref()
                .map_or(String::new(), |f| format!(" (first failure {f})"))
        );
        human += &errors_lines(&run.errors);
        let json = json!({
            "workload": cli.workload.name(),
            "rpc_url": cli.rpc_url,
            "chain_id": chain.chain_id,
            "txs": n,
            "senders": cli.senders.min(cli.txs),
            "concurrency": cli.concurrency,
            "batch": cli.batch,
            "gas_per_tx": gas,
            "max_fee_per_gas": chain.max_fee.to_string(),
            "signing_secs": round2(signing_secs),
            "signing_tx_per_s": rate(n, signing_secs).round(),
            "accepted": run.submit.ok,
            "rejected": run.submit.failed,
            "skipped": run.submit.skipped,
            "submit_secs": round2(run.submit_secs),
            "accepted_per_s": rate(run.submit.ok, run.submit_secs).round(),
            "submit_latency_ms": latency_json(&run.submit.latencies_us),
            "included": included,
            "included_secs": round2(included_secs),
            "included_per_s": rate(included, included_secs).round(),
            "inclusion_latency_ms": latency_json(&incl.latencies_us),
            "inclusion_timed_out": incl.timed_out,
            "blocks_used": incl.blocks_used,
            "first_block": incl.first_block,
            "last_block": incl.last_block,
            "max_txs_per_block": incl.max_per_block,
            "avg_txs_per_block": avg_per_block.round(),
            "max_block_gas_used": incl.max_gas_used,
            "receipts_checked": run.receipts.checked,
            "receipts_ok": run.receipts.ok,
            "errors": run.errors,
            "interrupted": run.interrupted,
        });
        let clean = run.submit.failed == 0
            && included >= run.submit.ok
            && run.receipts.ok == run.receipts.checked;
        Self { human, json, clean }
    }

    pub(super) fn calls(
        cli: &Cli,
        calls: &PhaseStats,
        secs: f64,
        errors: &HashMap<String, u64>,
        interrupted: bool,
    ) -> Self {
        let mut human = format!(
            "ol-loadgen call against {}: eth_call balanceOf, concurrency {}, batch {}{}",
            cli.rpc_url,
            cli.concurrency,
            cli.batch,
            if interrupted { " [INTERRUPTED: partial]" } else { "" }
        );
        human += &format!(
            "\n  eth_call    {} ok, {} failed in {secs:.2} s = {:.0} calls/s",
            calls.ok,
            calls.failed,
            rate(calls.ok, secs)
        );
        human += &format!(
            "\n  latency     {} ({} requests)",
            latency_line(&calls.latencies_us),
            calls.latencies_us.len()
        );
        human += &errors_lines(errors);
        let json = json!({
            "workload": "call",
            "rpc_url": cli.rpc_url,
            "concurrency": cli.concurrency,
            "batch": cli.batch,
            "calls_ok": calls.ok,
            "calls_failed": calls.failed,
            "secs": round2(secs),
            "calls_per_s": rate(calls.ok, secs).round(),
            "latency_ms": latency_json(&calls.latencies_us),
            "errors": errors,
            "interrupted": interrupted,
        });
        Self { human, json, clean: calls.failed == 0 }
    }
}
