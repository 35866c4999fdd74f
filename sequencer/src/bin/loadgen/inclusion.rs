//! Inclusion tracking, receipt checks and the eth_call workload.

use super::*;

/// A deterministic, random-looking recipient address.
pub(super) fn recipient(j: u64) -> Address {
    Address::from_word(keccak256([b"ol-loadgen/recipient".as_slice(), &j.to_be_bytes()].concat()))
}

#[derive(Deserialize)]
pub(super) struct BlockLite {
    #[serde(default)]
    pub(super) transactions: Vec<B256>,
    #[serde(rename = "gasUsed")]
    pub(super) gas_used: U64,
}

#[derive(Default)]
pub(super) struct InclusionStats {
    pub(super) included_idx: Vec<u32>,
    pub(super) last_seen: Option<Instant>,
    pub(super) blocks_used: u64,
    pub(super) first_block: Option<u64>,
    pub(super) last_block: Option<u64>,
    pub(super) max_per_block: u64,
    pub(super) max_gas_used: u64,
    pub(super) latencies_us: Vec<u32>,
    pub(super) timed_out: bool,
}

/// Polls new blocks, counting our transactions, until every accepted one is included, the
/// timeout after the end of submission elapses, or Ctrl-C.
pub(super) async fn track_inclusion(
    mut conn: Conn,
    shared: Arc<RunShared>,
    index: Arc<HashMap<B256, u32>>,
    start_block: u64,
    submission_done: Arc<AtomicBool>,
    poll: Duration,
    timeout: Duration,
) -> Result<InclusionStats> {
    let mut stats = InclusionStats::default();
    let mut seen = vec![false; shared.submitted_at.len()];
    let mut next = start_block + 1;
    let mut done_at: Option<Instant> = None;
    let mut last_log = Instant::now();
    let mut last_warning: Option<Instant> = None;
    loop {
        if let Err(err) =
            fetch_new_blocks(&mut conn, &shared, &index, &mut next, &mut seen, &mut stats).await
        {
            // At most one warning a second while the node does not answer.
            if last_warning.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                warn!("polling blocks: {err:#}");
                last_warning = Some(Instant::now());
            }
        }
        let included = stats.included_idx.len() as u64;
        let accepted = shared.accepted.load(Ordering::Relaxed);
        let all_sent = submission_done.load(Ordering::Relaxed);
        if last_log.elapsed() >= Duration::from_secs(1) {
            info!(included, accepted, block = next - 1, "progress");
            last_log = Instant::now();
        }
        if (all_sent && included >= accepted) || included as usize == seen.len() {
            break;
        }
        if shared.stop.is_set() {
            break;
        }
        if all_sent && done_at.get_or_insert_with(Instant::now).elapsed() > timeout {
            warn!(included, accepted, "timed out waiting for inclusion");
            stats.timed_out = true;
            break;
        }
        tokio::time::sleep(poll).await;
    }
    stats.latencies_us.sort_unstable();
    Ok(stats)
}

pub(super) async fn fetch_new_blocks(
    conn: &mut Conn,
    shared: &RunShared,
    index: &HashMap<B256, u32>,
    next: &mut u64,
    seen: &mut [bool],
    stats: &mut InclusionStats,
) -> Result<()> {
    let head: U64 = conn.call("eth_blockNumber", json!([])).await?;
    while *next <= head.to::<u64>() {
        let number = *next;
        let block: Option<BlockLite> =
            conn.call("eth_getBlockByNumber", json!([format!("0x{number:x}"), false])).await?;
        let Some(block) = block else { break };
        let now = Instant::now();
        let now_us = shared.micros_since_t0(now);
        let mut ours = 0u64;
        for hash in &block.transactions {
            let Some(&i) = index.get(hash) else { continue };
            let Some(flag) = seen.get_mut(i as usize) else { continue };
            if *flag {
                continue;
            }
            *flag = true;
            ours += 1;
            stats.included_idx.push(i);
            let sent = shared.submitted_at[i as usize].load(Ordering::Relaxed);
            if sent > 0 {
                let latency = now_us.saturating_sub(sent - 1);
                stats.latencies_us.push(u32::try_from(latency).unwrap_or(u32::MAX));
            }
        }
        debug!(block = number, txs = block.transactions.len(), ours, gas_used = %block.gas_used);
        if ours > 0 {
            stats.blocks_used += 1;
            stats.first_block.get_or_insert(number);
            stats.last_block = Some(number);
            stats.max_per_block = stats.max_per_block.max(ours);
            stats.max_gas_used = stats.max_gas_used.max(block.gas_used.to());
            stats.last_seen = Some(now);
        }
        *next += 1;
    }
    Ok(())
}

#[derive(Default)]
pub(super) struct ReceiptCheck {
    pub(super) checked: u64,
    pub(super) ok: u64,
    pub(super) first_failure: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// eth_call workload.
// ---------------------------------------------------------------------------------------------

pub(super) async fn run_call(
    cli: &Cli,
    endpoint: &Arc<Endpoint>,
    conn: &mut Conn,
    chain: &ChainParams,
    funder: &mut Account,
    stop: &Arc<Stop>,
) -> Result<Report> {
    let token = deploy_erc20(cli, conn, chain, funder, stop).await?;
    let held = token_balance(conn, token, funder.address()).await?;
    if held.is_zero() {
        bail!("the deployer holds no tokens: the artifact's constructor does not mint to it");
    }
    // The funder (non-zero balance) and recipients (zero balance), in rotation.
    let holders: Vec<Address> =
        std::iter::once(funder.address()).chain((0..255).map(recipient)).collect();
    let batch = cli.batch > 1;
    let mut items = Vec::new();
    for (k, chunk) in holders.chunks(cli.batch).enumerate() {
        let requests: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(j, holder)| {
                let data = EvmBytes::from(balanceOfCall { account: *holder }.abi_encode());
                let params = json!([{ "to": token, "data": data }, "latest"]).to_string();
                rpc_request(k * cli.batch + j, "eth_call", &params)
            })
            .collect();
        items.push(CallItem { body: request_body(&requests, batch), calls: chunk.len() as u64 });
    }
    let items = Arc::new(items);
    let shared = Arc::new(RunShared {
        stop: stop.clone(),
        t0: Instant::now(),
        batch,
        submitted_at: Vec::new(),
        accepted: AtomicU64::new(0),
        errors: Mutex::new(HashMap::new()),
    });
    let until = shared.t0 + Duration::from_secs(cli.duration_secs);
    info!(
        concurrency = cli.concurrency,
        batch = cli.batch,
        "eth_call balanceOf for {} s",
        cli.duration_secs
    );
    let handles: Vec<_> = (0..cli.concurrency)
        .map(|w| {
            let offset = w * 7;
            tokio::spawn(call_worker(
                endpoint.clone(),
                items.clone(),
                offset,
                until,
                shared.clone(),
            ))
        })
        .collect();
    let calls = join_workers(handles).await?;
    let secs =
        calls.last_reply.map_or(0.0, |t| t.saturating_duration_since(shared.t0).as_secs_f64());
    let errors = std::mem::take(&mut *shared.errors.lock());
    Ok(Report::calls(cli, &calls, secs, &errors, stop.is_set()))
}

// ---------------------------------------------------------------------------------------------
// Report.
