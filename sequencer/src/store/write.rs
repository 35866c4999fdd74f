//! The write path: one SQL transaction per block, multi-row inserts.

use super::{Store, StoreResult};
use crate::{builder::SealedBlock, state::WorldState};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, U256};
use alloy_rlp::Encodable;
use sqlx::{QueryBuilder, Sqlite, Transaction};

/// Rows per multi-row INSERT; keeps statements well under SQLite's variable limit.
const CHUNK: usize = 400;

fn u256(v: U256) -> Vec<u8> {
    v.to_be_bytes::<32>().to_vec()
}

impl Store {
    /// Stores a sealed block: header, transactions, receipts, logs, latest state and change sets,
    /// all in one transaction.
    pub async fn commit_block(&self, block: &SealedBlock) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_block(&mut tx, block).await?;
        write_state(&mut tx, block).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the genesis block and its whole state.
    pub async fn commit_genesis(
        &self,
        block: &SealedBlock,
        state: &WorldState,
        accounts: &[Address],
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_block(&mut tx, block).await?;
        let mut code_rows = Vec::new();
        let mut account_rows = Vec::new();
        let mut storage_rows = Vec::new();
        for address in accounts {
            if let Some(info) = state.account(address) {
                account_rows.push((*address, info));
                if let Some(code) = state.code(&info.code_hash) {
                    code_rows.push((info.code_hash, code.original_bytes()));
                }
                for (slot, value) in state.storage_of(address) {
                    storage_rows.push((*address, slot, value));
                }
            }
        }
        for chunk in code_rows.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO code (hash, code) ");
            q.push_values(chunk, |mut b, (hash, code)| {
                b.push_bind(hash.to_vec()).push_bind(code.to_vec());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in account_rows.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO accounts (address, nonce, balance, code_hash) ",
            );
            q.push_values(chunk, |mut b, (address, info)| {
                b.push_bind(address.to_vec())
                    .push_bind(info.nonce as i64)
                    .push_bind(u256(info.balance))
                    .push_bind(info.code_hash.to_vec());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in storage_rows.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO storage (address, slot, value) ");
            q.push_values(chunk, |mut b, (address, slot, value)| {
                b.push_bind(address.to_vec()).push_bind(u256(*slot)).push_bind(u256(*value));
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_block(tx: &mut Transaction<'_, Sqlite>, block: &SealedBlock) -> StoreResult<()> {
    let number = block.number() as i64;
    let mut header_rlp = Vec::with_capacity(600);
    block.header.inner().encode(&mut header_rlp);
    let body_len: usize = block.transactions.iter().map(|t| t.tx.encoded.len()).sum();
    let l1_info: Bytes = block
        .transactions
        .first()
        .map(|t| alloy_consensus::Transaction::input(t.tx.tx.inner()).clone())
        .unwrap_or_default();
    sqlx::query("INSERT INTO blocks (number, hash, header, tx_count, size, l1_info) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(number)
        .bind(block.header.hash().to_vec())
        .bind(header_rlp.as_slice())
        .bind(block.transactions.len() as i64)
        .bind((header_rlp.len() + body_len + 8) as i64)
        .bind(l1_info.to_vec())
        .execute(&mut **tx)
        .await?;

    let mut log_index = 0u64;
    let mut tx_rows = Vec::with_capacity(block.transactions.len());
    let mut log_rows = Vec::new();
    for (index, t) in block.transactions.iter().enumerate() {
        let first_log_index = log_index;
        for log in t.receipt.logs() {
            log_rows.push((index, log_index, t.tx.hash, log));
            log_index += 1;
        }
        tx_rows.push((index, t, first_log_index));
    }
    for chunk in tx_rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO transactions (hash, block_number, tx_index, sender, raw, receipt, gas_used, contract_address, first_log_index) ",
        );
        q.push_values(chunk, |mut b, (index, t, first_log)| {
            b.push_bind(t.tx.hash.to_vec())
                .push_bind(number)
                .push_bind(*index as i64)
                .push_bind(t.tx.sender().to_vec())
                .push_bind(t.tx.encoded.to_vec())
                .push_bind(t.receipt.encoded_2718())
                .push_bind(t.gas_used as i64)
                .push_bind(t.contract_address.map(|a| a.to_vec()))
                .push_bind(*first_log as i64);
        });
        q.build().execute(&mut **tx).await?;
    }
    for chunk in log_rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO logs (block_number, log_index, tx_index, tx_hash, address, topic0, topic1, topic2, topic3, data) ",
        );
        q.push_values(chunk, |mut b, (tx_index, log_index, hash, log)| {
            let topics = log.topics();
            b.push_bind(number)
                .push_bind(*log_index as i64)
                .push_bind(*tx_index as i64)
                .push_bind(hash.to_vec())
                .push_bind(log.address.to_vec());
            for i in 0..4 {
                b.push_bind(topics.get(i).map(|t| t.to_vec()));
            }
            b.push_bind(log.data.data.to_vec());
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn write_state(tx: &mut Transaction<'_, Sqlite>, block: &SealedBlock) -> StoreResult<()> {
    let number = block.number() as i64;
    let changes = &block.changes;
    for chunk in changes.contracts.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO code (hash, code) ");
        q.push_values(chunk, |mut b, (hash, code)| {
            b.push_bind(hash.to_vec()).push_bind(code.original_bytes().to_vec());
        });
        q.build().execute(&mut **tx).await?;
    }
    // Change sets first (values before the block).
    for chunk in changes.accounts.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO account_history (address, block_number, nonce, balance, code_hash) ",
        );
        q.push_values(chunk, |mut b, c| {
            b.push_bind(c.address.to_vec())
                .push_bind(number)
                .push_bind(c.before.map(|a| a.nonce as i64))
                .push_bind(c.before.map(|a| u256(a.balance)))
                .push_bind(c.before.map(|a| a.code_hash.to_vec()));
        });
        q.build().execute(&mut **tx).await?;
    }
    let slots: Vec<(Address, U256, U256, U256)> = changes
        .accounts
        .iter()
        .flat_map(|c| {
            c.storage.iter().map(move |(slot, before, after)| (c.address, *slot, *before, *after))
        })
        .collect();
    for chunk in slots.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO storage_history (address, slot, block_number, value) ",
        );
        q.push_values(chunk, |mut b, (address, slot, before, _)| {
            b.push_bind(address.to_vec())
                .push_bind(u256(*slot))
                .push_bind(number)
                .push_bind(u256(*before));
        });
        q.build().execute(&mut **tx).await?;
    }
    // Latest state.
    let (live, removed): (Vec<_>, Vec<_>) =
        changes.accounts.iter().partition(|c| c.after.is_some());
    for chunk in live.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO accounts (address, nonce, balance, code_hash) ",
        );
        q.push_values(chunk, |mut b, c| {
            let a = c.after.unwrap_or_default();
            b.push_bind(c.address.to_vec())
                .push_bind(a.nonce as i64)
                .push_bind(u256(a.balance))
                .push_bind(a.code_hash.to_vec());
        });
        q.push(
            " ON CONFLICT (address) DO UPDATE SET nonce = excluded.nonce, balance = excluded.balance, code_hash = excluded.code_hash",
        );
        q.build().execute(&mut **tx).await?;
    }
    for c in removed.iter().chain(
        changes.accounts.iter().filter(|c| c.wiped && c.after.is_some()).collect::<Vec<_>>().iter(),
    ) {
        sqlx::query("DELETE FROM storage WHERE address = ?")
            .bind(c.address.to_vec())
            .execute(&mut **tx)
            .await?;
        if c.after.is_none() {
            sqlx::query("DELETE FROM accounts WHERE address = ?")
                .bind(c.address.to_vec())
                .execute(&mut **tx)
                .await?;
        }
    }
    let (set, cleared): (Vec<_>, Vec<_>) =
        slots.iter().partition(|(_, _, _, after)| !after.is_zero());
    for chunk in set.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO storage (address, slot, value) ");
        q.push_values(chunk, |mut b, (address, slot, _, after)| {
            b.push_bind(address.to_vec()).push_bind(u256(*slot)).push_bind(u256(*after));
        });
        q.push(" ON CONFLICT (address, slot) DO UPDATE SET value = excluded.value");
        q.build().execute(&mut **tx).await?;
    }
    for (address, slot, _, _) in cleared {
        sqlx::query("DELETE FROM storage WHERE address = ? AND slot = ?")
            .bind(address.to_vec())
            .bind(u256(slot))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Removes every block after `number` and restores the latest-state tables to the state after
    /// `number` from the change sets, in one transaction. Used for dev-mode snapshots; an L1
    /// reorg of unsafe blocks will use it too.
    pub async fn unwind_to(&self, number: u64) -> StoreResult<()> {
        let n = number as i64;
        let zero = vec![0u8; 32];
        let mut tx = self.pool.begin().await?;
        // The first change set after `number` holds each key's value at `number`.
        sqlx::query(
            "INSERT INTO accounts (address, nonce, balance, code_hash) \
             SELECT h.address, h.nonce, h.balance, h.code_hash FROM account_history h \
             WHERE h.nonce IS NOT NULL AND h.block_number = \
               (SELECT MIN(block_number) FROM account_history x WHERE x.address = h.address AND x.block_number > ?1) \
             ON CONFLICT (address) DO UPDATE SET nonce = excluded.nonce, balance = excluded.balance, code_hash = excluded.code_hash",
        )
        .bind(n)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM accounts WHERE address IN (SELECT h.address FROM account_history h \
             WHERE h.nonce IS NULL AND h.block_number = \
               (SELECT MIN(block_number) FROM account_history x WHERE x.address = h.address AND x.block_number > ?1))",
        )
        .bind(n)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO storage (address, slot, value) \
             SELECT h.address, h.slot, h.value FROM storage_history h \
             WHERE h.value <> ?2 AND h.block_number = \
               (SELECT MIN(block_number) FROM storage_history x WHERE x.address = h.address AND x.slot = h.slot AND x.block_number > ?1) \
             ON CONFLICT (address, slot) DO UPDATE SET value = excluded.value",
        )
        .bind(n)
        .bind(zero.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM storage WHERE (address, slot) IN (SELECT h.address, h.slot FROM storage_history h \
             WHERE h.value = ?2 AND h.block_number = \
               (SELECT MIN(block_number) FROM storage_history x WHERE x.address = h.address AND x.slot = h.slot AND x.block_number > ?1))",
        )
        .bind(n)
        .bind(zero)
        .execute(&mut *tx)
        .await?;
        for table in ["account_history", "storage_history", "logs", "transactions", "blocks"] {
            let column = if table == "blocks" { "number" } else { "block_number" };
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} > ?"))
                .bind(n)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
