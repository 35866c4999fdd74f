//! When to build a block. Only ticks; [`Chain::produce_block`] does the building.

use crate::node::{Chain, NodeError};
use std::{sync::Arc, time::Duration};
use tokio::{task::JoinHandle, time::MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::info;

/// Block production schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MiningMode {
    /// A block as soon as transactions are pending; under load each block takes everything
    /// ready (up to the gas limit), so production keeps up instead of falling behind.
    Instant,
    /// A block every interval, empty or not.
    Interval(Duration),
}

/// Runs the miner until `cancel` fires or a block fails (fatal).
pub async fn run(
    chain: Arc<Chain>,
    mode: MiningMode,
    cancel: CancellationToken,
) -> Result<(), NodeError> {
    info!(target: "miner", ?mode, "block production started");
    match mode {
        MiningMode::Instant => {
            // Commit of block N overlaps the building of block N+1; commits stay in order.
            let mut committing: Option<JoinHandle<Result<(), NodeError>>> = None;
            loop {
                while chain.pool.has_pending(chain.next_base_fee()) && !cancel.is_cancelled() {
                    let block = chain.build_block().await?;
                    if let Some(previous) = committing.take() {
                        join(previous).await?;
                    }
                    let chain = chain.clone();
                    committing =
                        Some(tokio::spawn(async move { chain.commit_block(&block).await }));
                }
                if let Some(previous) = committing.take() {
                    join(previous).await?;
                }
                if cancel.is_cancelled() {
                    return Ok(());
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = chain.pool.pending_arrived() => {}
                }
            }
        }
        MiningMode::Interval(every) => {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = ticker.tick() => { chain.produce_block().await?; }
                }
            }
        }
    }
}

async fn join(handle: JoinHandle<Result<(), NodeError>>) -> Result<(), NodeError> {
    handle.await.map_err(|e| NodeError::Task(e.to_string()))?
}
