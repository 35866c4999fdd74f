//! When to build a block. Only ticks and serves dev-mode commands; [`Chain::build_block`] and
//! [`Chain::commit_block`] do the work. The miner is the chain's single producer: anything
//! that creates or removes blocks (dev `evm_mine`, snapshots) asks it through
//! [`MinerCommand`]s so blocks are never built concurrently.

use crate::{
    l1::{L1Watcher, sequencing},
    node::{Chain, MinerCommand, NodeError},
};
use std::{sync::Arc, time::Duration};
use tokio::{sync::mpsc, task::JoinHandle, time::MissedTickBehavior};
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
    /// On an L1: a block every `block_time` of the rollup config, at `parent + block_time`, as
    /// soon as that time has come and L1 has confirmed the origin it needs; this is how often
    /// that is checked (and unsafe blocks on a reorged origin are unwound).
    FollowL1(Duration),
}

/// A commit running in the background while the next block is built.
type Committing = Option<JoinHandle<Result<(), NodeError>>>;

async fn join(handle: JoinHandle<Result<(), NodeError>>) -> Result<(), NodeError> {
    handle.await.map_err(|e| NodeError::Task(e.to_string()))?
}

async fn flush(committing: &mut Committing) -> Result<(), NodeError> {
    match committing.take() {
        Some(handle) => join(handle).await,
        None => Ok(()),
    }
}

/// Builds a block and starts committing it once the previous commit is done (commits stay in
/// order; building N+1 overlaps committing N).
async fn build_next(chain: &Arc<Chain>, committing: &mut Committing) -> Result<u64, NodeError> {
    let block = chain.build_block().await?;
    flush(committing).await?;
    let number = block.number();
    let chain = chain.clone();
    *committing = Some(tokio::spawn(async move { chain.commit_block(&block).await }));
    Ok(number)
}

/// [`build_next`] with attributes the L1 sequencer decided.
async fn build_next_with(
    chain: &Arc<Chain>,
    attrs: crate::executor::BlockAttributes,
    committing: &mut Committing,
) -> Result<u64, NodeError> {
    let block = chain.build_block_with(attrs).await?;
    flush(committing).await?;
    let number = block.number();
    let chain = chain.clone();
    *committing = Some(tokio::spawn(async move { chain.commit_block(&block).await }));
    Ok(number)
}

/// One round of L1 sequencing: unwind blocks whose origin was reorged away, then build every
/// block whose time has come.
async fn follow_l1(
    chain: &Arc<Chain>,
    watcher: &Arc<L1Watcher>,
    committing: &mut Committing,
) -> Result<(), NodeError> {
    if let Some(target) = sequencing::reorg_target(chain, watcher).await? {
        flush(committing).await?;
        sequencing::unwind_and_requeue(chain, target, "their L1 origin was reorged away").await?;
    }
    let mut late = (0, 0);
    loop {
        let now = crate::node::now();
        let Some(next) = sequencing::next_attributes(chain, watcher, now) else { break };
        if next.late {
            // The block derivation will force: deposits only, through the import path it uses.
            flush(committing).await?;
            let block = chain.import_block(next.attrs, Vec::new()).await?;
            late = (late.0 + 1, block.number());
            continue;
        }
        build_next_with(chain, next.attrs, committing).await?;
    }
    if late.0 > 0 {
        info!(target: "miner", blocks = late.0, last = late.1, "sequencing window closing: built the blocks derivation forces (deposits only)");
    }
    Ok(())
}

async fn serve(
    chain: &Arc<Chain>,
    command: MinerCommand,
    committing: &mut Committing,
) -> Result<(), NodeError> {
    flush(committing).await?;
    match command {
        MinerCommand::Mine(reply) => {
            let block = chain.produce_block().await?;
            let _ = reply.send(Ok(block.number()));
        }
        MinerCommand::Consolidate(safe, derived, reply) => {
            let result = crate::l1::consolidate(chain, safe, *derived).await;
            let _ = reply.send(result.as_ref().map_err(|e| e.to_string()).copied());
            result?;
        }
        MinerCommand::Revert(number, reply) => {
            let result = chain.unwind_to(number).await.map(|_| ());
            let _ = reply.send(result.as_ref().map_err(|e| e.to_string()).map(|_| ()));
            result?;
        }
    }
    Ok(())
}

/// Runs the miner until `cancel` fires or a block fails (fatal).
pub async fn run(
    chain: Arc<Chain>,
    mode: MiningMode,
    cancel: CancellationToken,
) -> Result<(), NodeError> {
    info!(target: "miner", ?mode, "block production started");
    // Without a command channel (already taken) the miner still mines; commands just never come.
    let mut commands = chain.take_commands().unwrap_or_else(|| mpsc::channel(1).1);
    let mut committing: Committing = None;
    let result = match mode {
        MiningMode::Instant => loop {
            while chain.pool.has_pending(chain.next_base_fee()) && !cancel.is_cancelled() {
                if let Ok(command) = commands.try_recv() {
                    serve(&chain, command, &mut committing).await?;
                }
                build_next(&chain, &mut committing).await?;
            }
            flush(&mut committing).await?;
            tokio::select! {
                _ = cancel.cancelled() => break Ok(()),
                _ = chain.pool.pending_arrived() => {}
                Some(command) = commands.recv() => serve(&chain, command, &mut committing).await?,
            }
        },
        MiningMode::FollowL1(every) => {
            let Some(watcher) = chain.options.l1.clone() else {
                return Err(NodeError::Task("FollowL1 mining without an L1 watcher".into()));
            };
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break Ok(()),
                    _ = ticker.tick() => follow_l1(&chain, &watcher, &mut committing).await?,
                    Some(command) = commands.recv() => serve(&chain, command, &mut committing).await?,
                }
            }
        }
        MiningMode::Interval(every) => {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break Ok(()),
                    _ = ticker.tick() => { build_next(&chain, &mut committing).await?; }
                    Some(command) = commands.recv() => serve(&chain, command, &mut committing).await?,
                }
            }
        }
    };
    flush(&mut committing).await?;
    result
}
