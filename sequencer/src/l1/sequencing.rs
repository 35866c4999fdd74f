//! Sequencing on a real L1: the origin, L1 attributes and deposits of the next L2 block, and the
//! unwinding of unsafe L2 blocks whose origin an L1 reorg removed.
//!
//! The parent's origin is read from the L1Block predeploy in the live state (the parent's
//! L1-attributes deposit wrote it there), so nothing extra is stored and a restart resumes
//! exactly. The L2 genesis block's origin is the rollup's L1 genesis.

use super::{L1Block, L1Watcher};
use crate::{
    executor::BlockAttributes,
    genesis::L1_BLOCK,
    node::{Chain, NodeError},
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, U256};
use ol_protocol::{
    L1BlockInfo,
    derive::{block_attributes, sequence_number},
    epoch::{Origin, next_origin},
};
use std::sync::Arc;
use tracing::{info, warn};

/// An L2 block's L1 origin: number, hash and the block's sequence number in that epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginRef {
    /// L1 block number.
    pub number: u64,
    /// L1 block hash.
    pub hash: B256,
    /// Position of the L2 block in its epoch (0 for the first).
    pub sequence_number: u64,
}

/// The origin of the chain's tip, from the L1Block predeploy's slots (layout in
/// `contracts/src/L2/L1Block.sol`: slot 0 low 8 bytes number, slot 2 hash, slot 3 low 8 bytes
/// sequence number).
pub fn tip_origin(chain: &Chain, watcher: &L1Watcher) -> OriginRef {
    let genesis = &watcher.rollup().genesis;
    if chain.tip().number <= genesis.l2.number {
        return OriginRef { number: genesis.l1.number, hash: genesis.l1.hash, sequence_number: 0 };
    }
    let state = chain.state.read();
    let low64 = |slot: u64| state.storage(&L1_BLOCK, &U256::from(slot)).as_limbs()[0];
    OriginRef {
        number: low64(0),
        hash: B256::from(state.storage(&L1_BLOCK, &U256::from(2)).to_be_bytes::<32>()),
        sequence_number: low64(3),
    }
}

/// The attributes of the block after the tip, or `None` if it cannot be built yet (its time
/// has not come, L1 has not confirmed the origin it needs, or the tip's origin is being
/// reorged away).
pub fn next_attributes(chain: &Chain, watcher: &L1Watcher, now: u64) -> Option<Next> {
    let rollup = watcher.rollup();
    let timestamp = chain.tip().timestamp.saturating_add(rollup.block_time);
    if timestamp > now {
        return None;
    }
    let parent = tip_origin(chain, watcher);
    let current = watcher.block(parent.number).filter(|b| b.id.hash == parent.hash)?;
    let next = watcher.block(parent.number + 1);
    if is_late(rollup, parent.number, watcher) {
        // Derivation forces this block: the origin advances as soon as L2 time reaches the
        // next L1 block (no drift), and the block carries deposits only.
        let next = next?;
        let origin = if next.id.timestamp <= timestamp { next } else { current };
        let sequence_number =
            sequence_number(parent.number, parent.sequence_number, origin.id.number);
        let attrs = attributes(chain, watcher, &origin, sequence_number, timestamp);
        return Some(Next { attrs, late: true });
    }
    let (origin, sequence_number) =
        match next_origin(rollup, &current.id, next.as_ref().map(|n| &n.id), timestamp) {
            Origin::Same => (current, parent.sequence_number + 1),
            Origin::Next => (next?, 0),
            Origin::Wait => return None,
        };
    Some(Next {
        attrs: attributes(chain, watcher, &origin, sequence_number, timestamp),
        late: false,
    })
}

/// The next block to build.
#[derive(Debug)]
pub struct Next {
    /// Its attributes.
    pub attrs: BlockAttributes,
    /// Whether its batch could no longer reach L1 within the sequencing window: then it is the
    /// block derivation forces (deposits only, no pool transactions), built ahead of derivation
    /// so a sequencer that was down catches up without replacing what it builds.
    pub late: bool,
}

/// Whether a block on origin `origin` is left to forced inclusion (`derive::is_late`), with the
/// L1 head estimated as the watcher's confirmed tip plus the confirmation depth.
fn is_late(rollup: &ol_protocol::RollupConfig, origin: u64, watcher: &L1Watcher) -> bool {
    let Some(tip) = watcher.tip() else { return false };
    let l1_head = tip.id.number.saturating_add(rollup.confirmation_depth);
    ol_protocol::derive::is_late(rollup, origin, l1_head)
}

fn attributes(
    chain: &Chain,
    watcher: &L1Watcher,
    origin: &L1Block,
    sequence_number: u64,
    timestamp: u64,
) -> BlockAttributes {
    let system = &watcher.rollup().genesis.system_config;
    block_attributes(system, origin, sequence_number, timestamp, chain.config().gas_limit)
}

/// The newest L2 block whose origin is still canonical, when the tip's is not (an L1 reorg
/// removed it); `None` when the tip's origin is canonical or not yet known either way.
pub async fn reorg_target(chain: &Chain, watcher: &L1Watcher) -> Result<Option<u64>, NodeError> {
    let tip = tip_origin(chain, watcher);
    if watcher.is_canonical(tip.number, tip.hash) != Some(false) {
        return Ok(None);
    }
    let genesis = watcher.rollup().genesis.l2.number;
    let mut number = chain.tip().number;
    while number > genesis {
        number -= 1;
        if number == genesis {
            break;
        }
        let info = chain.store.l1_info(number).await?;
        let origin = info.as_deref().and_then(|b| L1BlockInfo::decode_isthmus(b).ok());
        match origin {
            Some(o) if watcher.is_canonical(o.number, o.hash) == Some(false) => continue,
            Some(_) => break,
            // Stored blocks always carry their L1 info; unwind past one that does not.
            None => continue,
        }
    }
    Ok(Some(number))
}

/// Unwinds the chain to `target` (see [`reorg_target`], or a derived block replacing unsafe
/// ones) and returns the unwound blocks' user transactions to the pool, so they are sequenced
/// again.
pub async fn unwind_and_requeue(
    chain: &Arc<Chain>,
    target: u64,
    why: &str,
) -> Result<(), NodeError> {
    let head = chain.head().number;
    let mut again = Vec::new();
    for number in target + 1..=head {
        for stored in chain.store.block_transactions(number).await? {
            if stored.tx.is_deposit() {
                continue;
            }
            again.push(stored.tx.encoded_2718());
        }
    }
    // Transactions waiting in the pool go back too (unwinding empties it), after the unwound
    // blocks' ones whose nonces come first.
    let pooled = chain.unwind_to(target).await?;
    again.extend(pooled.iter().map(|t| t.encoded.to_vec()));
    let total = again.len();
    let requeued = again.iter().filter(|raw| chain.add_raw_transaction(raw).is_ok()).count();
    info!(target: "l1", from = head, to = target, requeued, why, "unsafe blocks unwound");
    if requeued < total {
        warn!(target: "l1", dropped = total - requeued, "transactions no longer valid after the unwind");
    }
    Ok(())
}
