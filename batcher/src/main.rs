//! `ol-batcher`: see the library's doc.

use clap::Parser;
use ol_batcher::{
    admin, channel,
    config::{Cli, Config, DataAvailability},
    driver::{Driver, Status},
    l2::L2Client,
    readback::InboxReader,
    txmgr::TxManager,
};
use parking_lot::Mutex;
use std::{process::ExitCode, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// Worker stack size: enough for c-kzg's commitments and proofs of a sidecar.
const KZG_STACK: usize = 16 << 20;

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn run(config: Config) -> eyre::Result<()> {
    let signer: alloy_signer_local::PrivateKeySigner = config
        .private_key
        .trim()
        .parse()
        .map_err(|e| eyre::eyre!("--private-key does not parse: {e}"))?;
    let rollup = &config.rollup;
    if signer.address() != rollup.genesis.system_config.batcher_addr {
        eyre::bail!(
            "the key is {}, rollup.json's batcher is {}",
            signer.address(),
            rollup.genesis.system_config.batcher_addr
        );
    }
    let tx = TxManager::new(
        &config.l1_rpc,
        signer,
        rollup.batch_inbox_address,
        rollup.l1_chain_id,
        config.num_confirmations,
        config.resubmission_timeout,
    )?;
    let l2 = L2Client::new(&config.l2_rpc)?;
    if config.data_availability != DataAvailability::Calldata {
        // Loading the KZG trusted setup takes seconds; do it now, not on the first channel.
        let start = std::time::Instant::now();
        tokio::task::spawn_blocking(channel::load_kzg).await?;
        info!(target: "batcher", ms = start.elapsed().as_millis() as u64, "KZG trusted setup loaded");
    }
    // Payloads sent before a restart land first, then L1 says what is posted.
    tx.settle_mempool(Duration::from_secs(30)).await?;
    let reader = InboxReader::new(tx.l1().clone(), &config.l1_beacon, rollup.batch_inbox_address);
    let posted = reader.posted_through(&l2, rollup.genesis.l1.number).await?;
    info!(target: "batcher", posted_through = ?posted, from = %tx.from(), "resuming from L1");

    let (running_tx, running_rx) = tokio::sync::watch::channel(!config.stopped);
    let status = Arc::new(Mutex::new(Status::default()));
    let (addr, server) = admin::serve(config.rpc_addr, running_tx, status.clone()).await?;
    info!(target: "batcher", %addr, "admin RPC listening");
    let cancel = CancellationToken::new();
    let driver = Driver::new(config, l2, tx, status, running_rx, posted);
    let task = tokio::spawn(driver.run(cancel.clone()));
    shutdown_signal().await;
    info!(target: "batcher", "shutting down");
    cancel.cancel();
    let _ = task.await;
    let _ = server.stop();
    server.stopped().await;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_json);
    let config = match cli.into_config() {
        Ok(c) => c,
        Err(e) => {
            error!(target: "batcher", "{e:#}");
            return ExitCode::from(2);
        }
    };
    // c-kzg keeps whole blobs and polynomials on the stack while it commits to a sidecar.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(KZG_STACK)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            error!(target: "batcher", "cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(target: "batcher", "{e:#}");
            ExitCode::FAILURE
        }
    }
}
