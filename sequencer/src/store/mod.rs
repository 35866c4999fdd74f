//! Blocks, receipts, logs and state in SQL through sqlx (SQLite by default).
//!
//! Every block is written in one database transaction ([`Store::commit_block`]), so a crash
//! leaves either the whole block or none of it. SQLite runs in WAL mode with
//! `synchronous=NORMAL`: a committed transaction survives the process being killed.

mod historical;
mod read;
mod write;

pub use historical::{HistoricalError, HistoricalState};
pub use read::{LogFilter, StoredBlock, StoredLog, StoredTx};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{path::Path, str::FromStr, time::Duration};

/// Errors of the store. Any of them during a block commit is fatal for the block.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Stored bytes did not decode: the database is corrupt or from another version.
    #[error("corrupt record in {table}: {reason}")]
    Corrupt {
        /// Table holding the record.
        table: &'static str,
        /// What failed.
        reason: String,
    },
}

/// Result alias of the store.
pub type StoreResult<T> = Result<T, StoreError>;

const SCHEMA: &str = include_str!("schema.sql");

/// Handle to the node's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Fewer, larger WAL checkpoints under sustained block writes.
            .pragma("wal_autocheckpoint", "20000")
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self { pool })
    }

    /// Reads a metadata value.
    pub async fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Writes a metadata value.
    pub async fn set_meta(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn corrupt(table: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt { table, reason: reason.to_string() }
}
