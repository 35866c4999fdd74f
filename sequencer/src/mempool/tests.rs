//! Pool behaviour: ordering, replacement, gaps, limits, eviction and post-block cleanup.

use super::*;
use crate::executor::TxSource;
use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::TxKind;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

const CHAIN: u64 = 1612;
const GWEI: u128 = 1_000_000_000;

fn rules() -> StatelessRules {
    StatelessRules {
        chain_id: CHAIN,
        block_gas_limit: 30_000_000,
        max_tx_bytes: 128 * 1024,
        allow_unprotected: false,
    }
}

fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(i + 1)).expect("key")
}

fn tx(key: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> ReadyTx {
    let tx = TxEip1559 {
        chain_id: CHAIN,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(0x55)),
        value: U256::from(1),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    let raw = tx.into_signed(sig).encoded_2718();
    validate_raw(&raw, &rules()).expect("valid")
}

fn rich() -> Option<AccountState> {
    Some(AccountState {
        nonce: 0,
        balance: U256::from(10u128.pow(21)),
        code_hash: Default::default(),
    })
}

fn drain(pool: &Mempool, base_fee: u64) -> Vec<(Address, u64)> {
    let mut best = pool.best(base_fee);
    let mut out = Vec::new();
    while let Some(t) = best.next_tx() {
        out.push((t.sender(), t.tx.nonce()));
    }
    out
}

#[test]
fn orders_by_tip_and_keeps_nonce_order_per_sender() {
    let pool = Mempool::new(PoolConfig::default());
    let (a, b) = (key(1), key(2));
    pool.add(tx(&a, 0, 10 * GWEI, GWEI), rich(), GWEI as u64, U256::ZERO).expect("a0");
    pool.add(tx(&a, 1, 10 * GWEI, 5 * GWEI), rich(), GWEI as u64, U256::ZERO).expect("a1");
    pool.add(tx(&b, 0, 10 * GWEI, 3 * GWEI), rich(), GWEI as u64, U256::ZERO).expect("b0");
    let order = drain(&pool, GWEI as u64);
    assert_eq!(order, vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)]);
}

#[test]
fn gaps_queue_until_filled() {
    let pool = Mempool::new(PoolConfig::default());
    let a = key(1);
    pool.add(tx(&a, 2, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("queued");
    assert_eq!(pool.status(), PoolStatus { pending: 0, queued: 1 });
    assert!(drain(&pool, 1).is_empty());
    pool.add(tx(&a, 0, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("a0");
    pool.add(tx(&a, 1, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("a1");
    assert_eq!(pool.status(), PoolStatus { pending: 3, queued: 0 });
    assert_eq!(pool.pending_nonce(&a.address()), Some(3));
}

#[test]
fn replacement_needs_ten_percent_on_both_fees() {
    let pool = Mempool::new(PoolConfig::default());
    let a = key(1);
    pool.add(tx(&a, 0, 10 * GWEI, 2 * GWEI), rich(), 1, U256::ZERO).expect("first");
    let err = pool
        .add(tx(&a, 0, 11 * GWEI, 2 * GWEI), rich(), 1, U256::ZERO)
        .expect_err("tip not bumped");
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    let err = pool
        .add(tx(&a, 0, 10 * GWEI + 1, 3 * GWEI), rich(), 1, U256::ZERO)
        .expect_err("cap not bumped");
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    let new = tx(&a, 0, 11 * GWEI, 22 * GWEI / 10);
    let hash = new.hash;
    pool.add(new, rich(), 1, U256::ZERO).expect("bumped");
    assert_eq!(pool.len(), 1);
    assert!(pool.get(&hash).is_some());
}

#[test]
fn balance_covers_all_pending_costs() {
    let pool = Mempool::new(PoolConfig::default());
    let a = key(1);
    // Each transaction may cost 21000 * 10 gwei + 1 wei.
    let one = U256::from(21_000u128 * 10 * GWEI + 1);
    let account = Some(AccountState {
        nonce: 0,
        balance: one * U256::from(2),
        code_hash: Default::default(),
    });
    pool.add(tx(&a, 0, 10 * GWEI, GWEI), account, 1, U256::ZERO).expect("0");
    pool.add(tx(&a, 1, 10 * GWEI, GWEI), account, 1, U256::ZERO).expect("1");
    let err =
        pool.add(tx(&a, 2, 10 * GWEI, GWEI), account, 1, U256::ZERO).expect_err("third too much");
    assert!(matches!(err, PoolError::InsufficientFunds { .. }), "{err}");
    // The L1 data fee counts too.
    let err = pool
        .add(
            tx(&key(2), 0, 10 * GWEI, GWEI),
            account.map(|a| AccountState { balance: one, ..a }),
            1,
            U256::from(1),
        )
        .expect_err("l1 fee");
    assert!(matches!(err, PoolError::InsufficientFunds { .. }));
}

#[test]
fn limits_and_eviction() {
    let pool = Mempool::new(PoolConfig { max_txs: 3, max_per_sender: 2, ..PoolConfig::default() });
    let (a, b, c) = (key(1), key(2), key(3));
    pool.add(tx(&a, 0, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("a0");
    pool.add(tx(&a, 1, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("a1");
    assert_eq!(
        pool.add(tx(&a, 2, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).err(),
        Some(PoolError::NonceGap { next: 0, nonce: 2 })
    );
    pool.add(tx(&b, 1, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("b1 queued");
    // Full: a pending transaction evicts the queued one.
    pool.add(tx(&c, 0, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("c0 evicts b1");
    assert_eq!(pool.len(), 3);
    assert_eq!(pool.status().queued, 0);
    // Full with nothing queued: refused.
    assert_eq!(
        pool.add(tx(&key(4), 0, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).err(),
        Some(PoolError::Full)
    );
}

#[test]
fn nonce_too_low_and_cleanup_after_block() {
    let pool = Mempool::new(PoolConfig::default());
    let a = key(1);
    let at = |nonce| {
        Some(AccountState {
            nonce,
            balance: U256::from(10u128.pow(21)),
            code_hash: Default::default(),
        })
    };
    assert_eq!(
        pool.add(tx(&a, 0, 10 * GWEI, GWEI), at(1), 1, U256::ZERO).err(),
        Some(PoolError::NonceTooLow { next: 1, nonce: 0 })
    );
    let t1 = tx(&a, 1, 10 * GWEI, GWEI);
    let t2 = tx(&a, 2, 10 * GWEI, GWEI);
    let t3 = tx(&a, 3, 10 * GWEI, GWEI);
    let h3 = t3.hash;
    for t in [t1, t2, t3] {
        pool.add(t, at(1), 1, U256::ZERO).expect("add");
    }
    // Block mined nonce 1; nonce 2 was found invalid: 2 and its successors go.
    let h2 = pool.best(1).take_invalid();
    assert!(h2.is_empty());
    pool.on_block(&[(a.address(), 2)], &[]);
    assert_eq!(pool.len(), 2);
    let mut best = pool.best(1);
    let first = best.next_tx().expect("nonce 2");
    best.mark_invalid(&first, "insufficient funds".into());
    assert!(best.next_tx().is_none(), "sender skipped after an invalid transaction");
    pool.on_block(&[], &best.take_invalid());
    assert!(pool.is_empty());
    assert!(pool.get(&h3).is_none());
}

#[test]
fn fee_cap_below_base_fee_is_refused() {
    let pool = Mempool::new(PoolConfig::default());
    let err = pool
        .add(tx(&key(1), 0, GWEI, 1), rich(), 2 * GWEI as u64, U256::ZERO)
        .expect_err("below base fee");
    assert!(matches!(err, PoolError::FeeCapTooLow { .. }));
}

#[test]
fn queued_transactions_expire_pending_ones_stay() {
    let pool = Mempool::new(PoolConfig {
        queued_lifetime: std::time::Duration::ZERO,
        ..PoolConfig::default()
    });
    let a = key(1);
    pool.add(tx(&a, 0, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("pending");
    pool.add(tx(&a, 5, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("queued");
    assert_eq!(pool.expire_queued(), 1);
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 0 });
    let fresh = Mempool::new(PoolConfig::default());
    fresh.add(tx(&a, 5, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("queued");
    assert_eq!(fresh.expire_queued(), 0);
}

/// A transaction added after a block included the sender's earlier ones but before the pool
/// heard of that block (the state moves on when the block is sealed, `after_block` runs
/// after): it is pending at once, and the pending nonce counts it. Seen as a batch of
/// `eth_sendTransaction`s getting the same nonce twice.
#[test]
fn an_add_between_seal_and_after_block_keeps_the_queue_at_its_next_nonce() {
    let pool = Mempool::new(PoolConfig::default());
    let k = key(0);
    for n in 0..3 {
        pool.add(tx(&k, n, 10 * GWEI, GWEI), rich(), 1, U256::ZERO).expect("added");
    }
    let mined = rich().map(|a| AccountState { nonce: 3, ..a });
    pool.add(tx(&k, 3, 10 * GWEI, GWEI), mined, 1, U256::ZERO).expect("added");
    assert_eq!(pool.pending_nonce(&k.address()), Some(4));
    assert_eq!(pool.status().pending, 1);
    assert_eq!(pool.status().queued, 0);
    assert_eq!(drain(&pool, 1), vec![(k.address(), 3)]);
    pool.on_block(&[(k.address(), 3)], &[]);
    assert_eq!(pool.pending_nonce(&k.address()), Some(4));
    assert_eq!(drain(&pool, 1), vec![(k.address(), 3)]);
}
