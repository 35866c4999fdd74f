//! Ctrl-C, workers, submission and the transaction workloads.

use super::*;

// ---------------------------------------------------------------------------------------------
// Ctrl-C.
// ---------------------------------------------------------------------------------------------

/// Set by Ctrl-C; every loop checks it and winds down with a partial report.
#[derive(Default)]
pub(super) struct Stop(pub(super) AtomicBool);

impl Stop {
    pub(super) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

pub(super) fn install_ctrl_c() -> Arc<Stop> {
    let stop = Arc::new(Stop::default());
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            warn!("Ctrl-C: stopping, a partial report follows (Ctrl-C again aborts)");
            flag.0.store(true, Ordering::Relaxed);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    stop
}

// ---------------------------------------------------------------------------------------------
// Workers: bounded-concurrency submission over one connection each.
// ---------------------------------------------------------------------------------------------

/// One prebuilt `eth_call` request (or batch of them).
pub(super) struct CallItem {
    pub(super) body: Bytes,
    /// Number of JSON-RPC calls in it.
    pub(super) calls: u64,
}

/// State shared by the workers and the inclusion tracker.
pub(super) struct RunShared {
    pub(super) stop: Arc<Stop>,
    pub(super) t0: Instant,
    pub(super) batch: bool,
    /// Per transaction: microseconds from `t0` to its submission, plus one (0 = not sent).
    pub(super) submitted_at: Vec<AtomicU64>,
    pub(super) accepted: AtomicU64,
    pub(super) errors: Mutex<HashMap<String, u64>>,
}

impl RunShared {
    pub(super) fn record_error(&self, message: String, count: u64) {
        let mut errors = self.errors.lock();
        let key = if errors.len() < MAX_DISTINCT_ERRORS || errors.contains_key(&message) {
            message
        } else {
            "(other errors)".to_owned()
        };
        *errors.entry(key).or_default() += count;
    }

    pub(super) fn micros_since_t0(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.t0).as_micros()).unwrap_or(u64::MAX)
    }

    /// Per transaction of a request: accepted or not (errors are recorded).
    pub(super) fn outcomes(&self, reply: &[u8], txs: &[u32]) -> Vec<bool> {
        if !self.batch {
            return match serde_json::from_slice::<HotReply>(reply) {
                Ok(single) => vec![self.one(&single) == 1],
                Err(err) => {
                    self.record_error(format!("unparseable reply: {err}"), 1);
                    vec![false]
                }
            };
        }
        let mut out = vec![false; txs.len()];
        match serde_json::from_slice::<Vec<BatchReply>>(reply) {
            Ok(replies) => {
                let mut answered = vec![false; txs.len()];
                for item in &replies {
                    let id = item.id.as_ref().and_then(Value::as_u64);
                    let Some(k) = id.and_then(|id| txs.iter().position(|&t| u64::from(t) == id))
                    else {
                        self.record_error("batch reply item with an unknown id".to_owned(), 1);
                        continue;
                    };
                    answered[k] = true;
                    out[k] = self.one(&item.reply) == 1;
                }
                let missing = answered.iter().filter(|&&a| !a).count() as u64;
                if missing > 0 {
                    self.record_error("batch reply is missing items".to_owned(), missing);
                }
            }
            Err(_) => {
                let message = match serde_json::from_slice::<HotReply>(reply) {
                    Ok(HotReply { error: Some(e), .. }) => format!("{}: {}", e.code, e.message),
                    Ok(_) => "batch answered with a single object".to_owned(),
                    Err(err) => format!("unparseable reply: {err}"),
                };
                self.record_error(message, txs.len() as u64);
            }
        }
        out
    }

    /// Counts the successful calls in a reply and records the errors.
    pub(super) fn tally(&self, reply: &[u8], calls: u64) -> u64 {
        if self.batch
            && let Ok(replies) = serde_json::from_slice::<Vec<HotReply>>(reply)
        {
            let ok = replies.iter().map(|r| self.one(r)).sum::<u64>();
            let missing = calls.saturating_sub(replies.len() as u64);
            if missing > 0 {
                self.record_error("batch reply is missing items".to_owned(), missing);
            }
            return ok;
        }
        match serde_json::from_slice::<HotReply>(reply) {
            Ok(single) if !self.batch => self.one(&single),
            Ok(single) => {
                // A batch answered with one object: the whole batch failed.
                let message = single.error.map_or_else(
                    || "batch answered with a single object".to_owned(),
                    |e| format!("{}: {}", e.code, e.message),
                );
                self.record_error(message, calls);
                0
            }
            Err(err) => {
                self.record_error(format!("unparseable reply: {err}"), calls);
                0
            }
        }
    }

    pub(super) fn one(&self, reply: &HotReply) -> u64 {
        match (&reply.error, &reply.result) {
            (None, Some(_)) => 1,
            (Some(err), _) => {
                self.record_error(format!("{}: {}", err.code, err.message), 1);
                0
            }
            (None, None) => {
                self.record_error("reply without result".to_owned(), 1);
                0
            }
        }
    }
}

#[derive(Default)]
pub(super) struct WorkerStats {
    pub(super) ok: u64,
    pub(super) failed: u64,
    /// Transactions not sent because an earlier nonce of their sender was rejected.
    pub(super) skipped: u64,
    pub(super) latencies_us: Vec<u32>,
    pub(super) last_reply: Option<Instant>,
}

/// Cycles over `items` (starting at `offset`) over one connection until `until`.
pub(super) async fn call_worker(
    endpoint: Arc<Endpoint>,
    items: Arc<Vec<CallItem>>,
    offset: usize,
    until: Instant,
    shared: Arc<RunShared>,
) -> WorkerStats {
    let mut conn = Conn::new(endpoint);
    let mut stats = WorkerStats::default();
    for step in 0usize.. {
        if shared.stop.is_set() || Instant::now() >= until {
            break;
        }
        let Some(item) = items.get((offset + step) % items.len().max(1)) else { break };
        let sent = Instant::now();
        match conn.post(item.body.clone()).await {
            Ok(reply) => {
                let ok = shared.tally(&reply, item.calls);
                stats.ok += ok;
                stats.failed += item.calls - ok;
            }
            Err(err) => {
                stats.failed += item.calls;
                shared.record_error(format!("transport: {err:#}"), item.calls);
            }
        }
        let done = Instant::now();
        stats
            .latencies_us
            .push(u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX));
        stats.last_reply = Some(done);
    }
    stats
}

/// Hands senders to workers so that each sender has at most one transaction in flight: nonces
/// reach the node in order whatever it does with concurrent requests, and every worker stays
/// busy as long as there are more senders than in-flight slots.
pub(super) struct SenderQueue {
    /// (sender, position of its next transaction) of the senders nobody holds.
    pub(super) ready: Mutex<VecDeque<(u32, u32)>>,
    /// Senders with transactions left.
    pub(super) live: AtomicUsize,
    pub(super) notify: Notify,
}

impl SenderQueue {
    pub(super) fn new(by_sender: &[Vec<u32>]) -> Self {
        let ready: VecDeque<(u32, u32)> = (0..by_sender.len() as u32)
            .filter(|&s| !by_sender[s as usize].is_empty())
            .map(|s| (s, 0))
            .collect();
        Self {
            live: AtomicUsize::new(ready.len()),
            ready: Mutex::new(ready),
            notify: Notify::new(),
        }
    }

    /// Takes up to `max` senders into `out`, waiting while other workers hold all live ones.
    /// Leaves `out` empty once every sender is done or on Ctrl-C.
    pub(super) async fn take(&self, max: usize, out: &mut Vec<(u32, u32)>, stop: &Stop) {
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            {
                let mut ready = self.ready.lock();
                while out.len() < max {
                    let Some(next) = ready.pop_front() else { break };
                    out.push(next);
                }
            }
            if !out.is_empty() || self.live.load(Ordering::Acquire) == 0 || stop.is_set() {
                return;
            }
            // Bounded so that Ctrl-C is noticed even if no sender comes back.
            let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
        }
    }

    pub(super) fn put_back(&self, senders: &[(u32, u32)]) {
        if senders.is_empty() {
            return;
        }
        self.ready.lock().extend(senders.iter().copied());
        self.notify.notify_waiters();
    }

    pub(super) fn finish(&self) {
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.notify.notify_waiters();
        }
    }
}

/// Everything the submission workers share.
pub(super) struct SubmitPlan {
    /// Prebuilt `eth_sendRawTransaction` request per transaction.
    pub(super) requests: Vec<Bytes>,
    /// Transaction indices of each sender, in nonce order.
    pub(super) by_sender: Vec<Vec<u32>>,
    pub(super) queue: SenderQueue,
    pub(super) batch: usize,
}

/// Submits transactions over one connection until every sender is done. A rejected transaction
/// ends its sender's run: the later nonces would only open a gap.
pub(super) async fn submit_worker(
    endpoint: Arc<Endpoint>,
    plan: Arc<SubmitPlan>,
    shared: Arc<RunShared>,
) -> WorkerStats {
    let mut conn = Conn::new(endpoint);
    let mut stats = WorkerStats::default();
    let mut held = Vec::with_capacity(plan.batch);
    let mut back = Vec::with_capacity(plan.batch);
    let mut txs = Vec::with_capacity(plan.batch);
    let mut body = Vec::new();
    loop {
        held.clear();
        plan.queue.take(plan.batch, &mut held, &shared.stop).await;
        if held.is_empty() || shared.stop.is_set() {
            plan.queue.put_back(&held);
            break;
        }
        txs.clear();
        txs.extend(held.iter().map(|&(s, pos)| plan.by_sender[s as usize][pos as usize]));
        let request = if shared.batch {
            body.clear();
            body.push(b'[');
            for (k, &tx) in txs.iter().enumerate() {
                if k > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(&plan.requests[tx as usize]);
            }
            body.push(b']');
            Bytes::copy_from_slice(&body)
        } else {
            plan.requests[txs[0] as usize].clone()
        };
        let sent = Instant::now();
        let stamp = shared.micros_since_t0(sent) + 1;
        for &tx in &txs {
            shared.submitted_at[tx as usize].store(stamp, Ordering::Relaxed);
        }
        let outcomes = match conn.post(request).await {
            Ok(reply) => shared.outcomes(&reply, &txs),
            Err(err) => {
                shared.record_error(format!("transport: {err:#}"), txs.len() as u64);
                vec![false; txs.len()]
            }
        };
        let done = Instant::now();
        stats
            .latencies_us
            .push(u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX));
        stats.last_reply = Some(done);
        back.clear();
        let mut accepted = 0;
        for (&(s, pos), ok) in held.iter().zip(outcomes) {
            let left = plan.by_sender[s as usize].len() as u32 - pos - 1;
            if ok {
                accepted += 1;
                if left > 0 {
                    back.push((s, pos + 1));
                } else {
                    plan.queue.finish();
                }
            } else {
                stats.failed += 1;
                stats.skipped += u64::from(left);
                plan.queue.finish();
            }
        }
        stats.ok += accepted;
        shared.accepted.fetch_add(accepted, Ordering::Relaxed);
        plan.queue.put_back(&back);
    }
    stats
}

/// Merged worker results.
pub(super) struct PhaseStats {
    pub(super) ok: u64,
    pub(super) failed: u64,
    pub(super) skipped: u64,
    pub(super) latencies_us: Vec<u32>,
    pub(super) last_reply: Option<Instant>,
}

pub(super) async fn join_workers(
    handles: Vec<tokio::task::JoinHandle<WorkerStats>>,
) -> Result<PhaseStats> {
    let mut merged =
        PhaseStats { ok: 0, failed: 0, skipped: 0, latencies_us: Vec::new(), last_reply: None };
    for handle in handles {
        let stats = handle.await.wrap_err("worker task panicked")?;
        merged.ok += stats.ok;
        merged.failed += stats.failed;
        merged.skipped += stats.skipped;
        merged.latencies_us.extend(stats.latencies_us);
        merged.last_reply = merged.last_reply.max(stats.last_reply);
    }
    merged.latencies_us.sort_unstable();
    Ok(merged)
}

// ---------------------------------------------------------------------------------------------
// Transaction workloads.
// ---------------------------------------------------------------------------------------------

pub(super) async fn run_txs(
    cli: &Cli,
    endpoint: &Arc<Endpoint>,
    conn: &mut Conn,
    chain: &ChainParams,
    funder: &mut Account,
    stop: &Arc<Stop>,
) -> Result<Report> {
    let timeout = Duration::from_secs(cli.timeout_secs);
    let n = cli.txs;
    let senders_n = cli.senders.min(n);
    let setup_start = Instant::now();

    // Token and per-transaction gas.
    let token = match cli.workload {
        Workload::Erc20 => Some(deploy_erc20(cli, conn, chain, funder, stop).await?),
        _ => None,
    };
    // A token transfer to an address that holds none: the costliest case (new storage slot).
    let token_transfer_gas = match token {
        Some(token) => {
            let data = transferCall { to: recipient(u64::MAX), value: U256::from(1) }.abi_encode();
            let estimate: U64 = conn
                .call(
                    "eth_estimateGas",
                    json!([{ "from": funder.address(), "to": token, "data": EvmBytes::from(data) }]),
                )
                .await
                .wrap_err("estimating an ERC-20 transfer")?;
            estimate.to::<u64>()
        }
        None => 0,
    };
    let gas = match (cli.gas_limit, token) {
        (Some(gas), _) => gas,
        (None, None) => TRANSFER_GAS,
        (None, Some(_)) => token_transfer_gas.saturating_mul(12) / 10,
    };

    // Senders: fresh keys derived from the funder's address, so runs are repeatable.
    let mut senders = Vec::with_capacity(senders_n);
    for index in 0..senders_n {
        let seed = keccak256(
            [funder.address().as_slice(), b"ol-loadgen/sender", &(index as u64).to_be_bytes()]
                .concat(),
        );
        let signer = PrivateKeySigner::from_bytes(&seed).wrap_err("deriving a sender key")?;
        senders.push(Account::load(conn, signer).await?);
    }
    let per_sender = |s: usize| n / senders_n + usize::from(s < n % senders_n);

    // Fund the senders (top up to twice their worst-case bill) and hand out tokens.
    let value_per_tx: u128 = u128::from(token.is_none());
    let mut funding = U256::ZERO;
    let mut funded = 0usize;
    let mut last_setup_tx = None;
    for (s, sender) in senders.iter().enumerate() {
        let bill = (per_sender(s) as u128)
            .saturating_mul(u128::from(gas).saturating_mul(chain.max_fee) + value_per_tx);
        let want = U256::from(bill.saturating_mul(2).saturating_add(FUND_MARGIN_WEI));
        if sender.balance < want {
            let top_up = want - sender.balance;
            if funder.balance < funding + top_up {
                bail!(
                    "the funder {} holds {} wei, not enough to fund {senders_n} senders; use \
                     fewer --senders or --txs",
                    funder.address(),
                    funder.balance
                );
            }
            let to = TxKind::Call(sender.address());
            let hash = funder.send(conn, chain, to, top_up, Vec::new(), TRANSFER_GAS).await?;
            last_setup_tx = Some(hash);
            funding += top_up;
            funded += 1;
        }
        if stop.is_set() {
            bail!("interrupted during set-up");
        }
    }
    if let Some(token) = token {
        let needed = U256::from(TOKENS_PER_SENDER) * U256::from(senders_n);
        let held = token_balance(conn, token, funder.address()).await?;
        if held < needed {
            bail!("the funder holds {held} token units, {needed} are needed");
        }
        let distribution_gas = token_transfer_gas.saturating_mul(15) / 10;
        for sender in &senders {
            let data = transferCall { to: sender.address(), value: U256::from(TOKENS_PER_SENDER) }
                .abi_encode();
            let to = TxKind::Call(token);
            let hash = funder.send(conn, chain, to, U256::ZERO, data, distribution_gas).await?;
            last_setup_tx = Some(hash);
        }
    }
    funder.wait_mined(conn, timeout, stop).await?;
    if let Some(hash) = last_setup_tx {
        require_success(conn, hash, "set-up").await?;
    }
    if let (Some(token), Some(last)) = (token, senders.last()) {
        let held = token_balance(conn, token, last.address()).await?;
        if held < U256::from(TOKENS_PER_SENDER) {
            bail!("token distribution did not reach {} (holds {held})", last.address());
        }
    }
    info!(
        senders = senders_n,
        funded,
        funding_wei = %funding,
        gas_per_tx = gas,
        elapsed_s = format_args!("{:.1}", setup_start.elapsed().as_secs_f64()),
        "set-up done"
    );

    // Sign everything offline.
    let recipients: Vec<Address> = (0..cli.recipients).map(recipient).collect();
    let signing_start = Instant::now();
    let signed: Vec<(B256, Vec<u8>)> = tokio::task::block_in_place(|| {
        (0..n)
            .into_par_iter()
            .map(|i| {
                if stop.is_set() {
                    bail!("interrupted while signing");
                }
                let sender = &senders[i % senders_n];
                let to = recipients[i % recipients.len()];
                let nonce = sender.nonce + (i / senders_n) as u64;
                let fields = match token {
                    None => TxFields {
                        nonce,
                        gas,
                        to: TxKind::Call(to),
                        value: U256::from(1),
                        input: EvmBytes::new(),
                    },
                    Some(token) => TxFields {
                        nonce,
                        gas,
                        to: TxKind::Call(token),
                        value: U256::ZERO,
                        input: transferCall { to, value: U256::from(1) }.abi_encode().into(),
                    },
                };
                chain.sign(&sender.signer, fields)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let signing = signing_start.elapsed();
    info!(
        txs = n,
        tx_per_s = format_args!("{:.0}", n as f64 / signing.as_secs_f64()),
        "signed offline"
    );

    // One prebuilt request per transaction; senders are handed to workers by `SenderQueue`.
    let batch = cli.batch > 1;
    let mut index = HashMap::with_capacity(n);
    let mut requests = Vec::with_capacity(n);
    for (i, (hash, raw)) in signed.iter().enumerate() {
        index.insert(*hash, u32::try_from(i).wrap_err("too many txs")?);
        let params = format!(r#"["0x{}"]"#, hex::encode(raw));
        requests.push(Bytes::from(rpc_request(i, "eth_sendRawTransaction", &params)));
    }
    let hashes: Vec<B256> = signed.into_iter().map(|(hash, _)| hash).collect();
    let by_sender: Vec<Vec<u32>> =
        (0..senders_n).map(|s| (s..n).step_by(senders_n).map(|i| i as u32).collect()).collect();
    let workers = cli.concurrency.min(senders_n);
    if senders_n < cli.concurrency * cli.batch {
        warn!(
            "{senders_n} senders cannot keep {} requests of {} txs in flight (one in-flight tx \
             per sender): raise --senders for full concurrency",
            cli.concurrency, cli.batch
        );
    }
    let plan = Arc::new(SubmitPlan {
        requests,
        queue: SenderQueue::new(&by_sender),
        by_sender,
        batch: cli.batch,
    });

    // Submit, and track inclusion concurrently.
    let start_block: U64 = conn.call("eth_blockNumber", json!([])).await?;
    let shared = Arc::new(RunShared {
        stop: stop.clone(),
        t0: Instant::now(),
        batch,
        submitted_at: (0..n).map(|_| AtomicU64::new(0)).collect(),
        accepted: AtomicU64::new(0),
        errors: Mutex::new(HashMap::new()),
    });
    info!(
        workers,
        batch = cli.batch,
        start_block = start_block.to::<u64>(),
        "submitting {n} transactions"
    );
    let submission_done = Arc::new(AtomicBool::new(false));
    let tracker = tokio::spawn(track_inclusion(
        Conn::new(endpoint.clone()),
        shared.clone(),
        Arc::new(index),
        start_block.to(),
        submission_done.clone(),
        Duration::from_millis(cli.poll_ms.max(1)),
        timeout,
    ));
    let handles: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(submit_worker(endpoint.clone(), plan.clone(), shared.clone())))
        .collect();
    let submit = join_workers(handles).await?;
    submission_done.store(true, Ordering::Relaxed);
    let submit_secs =
        submit.last_reply.map_or(0.0, |t| t.saturating_duration_since(shared.t0).as_secs_f64());
    info!(
        accepted = submit.ok,
        rejected = submit.failed,
        accepted_per_s = format_args!("{:.0}", rate(submit.ok, submit_secs)),
        "submission done; waiting for inclusion"
    );
    let inclusion = tracker.await.wrap_err("inclusion tracker panicked")??;

    // Spot-check receipts of included transactions.
    let included: Vec<B256> =
        inclusion.included_idx.iter().map(|&i| hashes[i as usize]).collect::<Vec<_>>();
    let step = (included.len() / cli.receipt_samples.max(1)).max(1);
    let mut receipts = ReceiptCheck::default();
    for hash in included.iter().step_by(step).take(cli.receipt_samples) {
        let receipt: Option<ReceiptLite> =
            conn.call("eth_getTransactionReceipt", json!([hash])).await?;
        receipts.checked += 1;
        match receipt.and_then(|r| r.status) {
            Some(status) if status == U64::from(1) => receipts.ok += 1,
            other => {
                if receipts.first_failure.is_none() {
                    receipts.first_failure = Some(format!("{hash}: status {other:?}"));
                }
            }
        }
    }
    if let Some(failure) = &receipts.first_failure {
        warn!(failure, "a sampled receipt is not successful");
    }

    let errors = std::mem::take(&mut *shared.errors.lock());
    Ok(Report::txs(
        cli,
        chain,
        gas,
        TxRun {
            t0: shared.t0,
            signing,
            submit,
            submit_secs,
            inclusion,
            receipts,
            errors,
            interrupted: stop.is_set(),
        },
    ))
}
