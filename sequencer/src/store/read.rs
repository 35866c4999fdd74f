//! The read path: blocks, transactions, receipts, logs, latest and historical state.

use super::{Store, StoreResult, corrupt};
use crate::state::{AccountState, WorldState};
use alloy_consensus::{Header, Sealed};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Decodable;
use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope};
use revm::bytecode::Bytecode;
use sqlx::{QueryBuilder, Row, Sqlite, sqlite::SqliteRow};

/// A transaction as stored, with its receipt.
#[derive(Debug, Clone)]
pub struct StoredTx {
    /// Transaction hash.
    pub hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Index in the block.
    pub index: u64,
    /// Sender.
    pub sender: Address,
    /// The decoded transaction.
    pub tx: OpTxEnvelope,
    /// The consensus receipt.
    pub receipt: OpReceiptEnvelope,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Created contract.
    pub contract_address: Option<Address>,
    /// Block-wide index of its first log.
    pub first_log_index: u64,
}

/// A block as stored.
#[derive(Debug, Clone)]
pub struct StoredBlock {
    /// Sealed header.
    pub header: Sealed<Header>,
    /// RLP size of the block.
    pub size: u64,
    /// Calldata of its L1-info deposit.
    pub l1_info: Bytes,
    /// Transactions in order.
    pub transactions: Vec<StoredTx>,
}

/// A log with its position.
#[derive(Debug, Clone)]
pub struct StoredLog {
    /// Block number.
    pub block_number: u64,
    /// Block-wide log index.
    pub log_index: u64,
    /// Transaction index in the block.
    pub tx_index: u64,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Emitting contract.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}

/// A resolved `eth_getLogs` filter (block range already bounded by the caller).
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// First block.
    pub from: u64,
    /// Last block (inclusive).
    pub to: u64,
    /// Any of these addresses (empty: any).
    pub addresses: Vec<Address>,
    /// Per position, any of these topics (empty: any).
    pub topics: [Vec<B256>; 4],
}

fn b256(row: &SqliteRow, col: &str, table: &'static str) -> StoreResult<B256> {
    let v: Vec<u8> = row.try_get(col)?;
    B256::try_from(v.as_slice()).map_err(|e| corrupt(table, e))
}

fn address(row: &SqliteRow, col: &str, table: &'static str) -> StoreResult<Address> {
    let v: Vec<u8> = row.try_get(col)?;
    Address::try_from(v.as_slice()).map_err(|e| corrupt(table, e))
}

fn u256(row: &SqliteRow, col: &str) -> StoreResult<U256> {
    let v: Vec<u8> = row.try_get(col)?;
    Ok(U256::from_be_slice(&v))
}

fn header(row: &SqliteRow) -> StoreResult<Sealed<Header>> {
    let rlp: Vec<u8> = row.try_get("header")?;
    let hash = b256(row, "hash", "blocks")?;
    let header = Header::decode(&mut rlp.as_slice()).map_err(|e| corrupt("blocks", e))?;
    Ok(Sealed::new_unchecked(header, hash))
}

fn stored_tx(row: &SqliteRow) -> StoreResult<StoredTx> {
    let raw: Vec<u8> = row.try_get("raw")?;
    let receipt: Vec<u8> = row.try_get("receipt")?;
    let contract: Option<Vec<u8>> = row.try_get("contract_address")?;
    Ok(StoredTx {
        hash: b256(row, "hash", "transactions")?,
        block_number: row.try_get::<i64, _>("block_number")? as u64,
        index: row.try_get::<i64, _>("tx_index")? as u64,
        sender: address(row, "sender", "transactions")?,
        tx: OpTxEnvelope::decode_2718(&mut raw.as_slice())
            .map_err(|e| corrupt("transactions", e))?,
        receipt: OpReceiptEnvelope::decode_2718(&mut receipt.as_slice())
            .map_err(|e| corrupt("transactions", e))?,
        gas_used: row.try_get::<i64, _>("gas_used")? as u64,
        contract_address: contract
            .map(|c| Address::try_from(c.as_slice()))
            .transpose()
            .map_err(|e| corrupt("transactions", e))?,
        first_log_index: row.try_get::<i64, _>("first_log_index")? as u64,
    })
}

const TX_COLUMNS: &str = "hash, block_number, tx_index, sender, raw, receipt, gas_used, contract_address, first_log_index";

impl Store {
    /// Number of the newest stored block.
    pub async fn head_number(&self) -> StoreResult<Option<u64>> {
        let row: (Option<i64>,) =
            sqlx::query_as("SELECT MAX(number) FROM blocks").fetch_one(&self.pool).await?;
        Ok(row.0.map(|n| n as u64))
    }

    /// Header of block `number`.
    pub async fn header(&self, number: u64) -> StoreResult<Option<Sealed<Header>>> {
        let row = sqlx::query("SELECT hash, header FROM blocks WHERE number = ?")
            .bind(number as i64)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(header).transpose()
    }

    /// Number of the block with this hash.
    pub async fn block_number(&self, hash: B256) -> StoreResult<Option<u64>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT number FROM blocks WHERE hash = ?")
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0 as u64))
    }

    /// A whole block with its transactions and receipts.
    pub async fn block(&self, number: u64) -> StoreResult<Option<StoredBlock>> {
        let Some(row) =
            sqlx::query("SELECT hash, header, size, l1_info FROM blocks WHERE number = ?")
                .bind(number as i64)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let header = header(&row)?;
        let l1_info: Vec<u8> = row.try_get("l1_info")?;
        let size = row.try_get::<i64, _>("size")? as u64;
        let transactions = self.block_transactions(number).await?;
        Ok(Some(StoredBlock { header, size, l1_info: l1_info.into(), transactions }))
    }

    /// The transactions of block `number`, in order.
    pub async fn block_transactions(&self, number: u64) -> StoreResult<Vec<StoredTx>> {
        let rows = sqlx::query(&format!(
            "SELECT {TX_COLUMNS} FROM transactions WHERE block_number = ? ORDER BY tx_index"
        ))
        .bind(number as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_tx).collect()
    }

    /// A transaction by hash.
    pub async fn transaction(&self, hash: B256) -> StoreResult<Option<StoredTx>> {
        let row = sqlx::query(&format!("SELECT {TX_COLUMNS} FROM transactions WHERE hash = ?"))
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(stored_tx).transpose()
    }

    /// A transaction by position.
    pub async fn transaction_at(&self, number: u64, index: u64) -> StoreResult<Option<StoredTx>> {
        let row = sqlx::query(&format!(
            "SELECT {TX_COLUMNS} FROM transactions WHERE block_number = ? AND tx_index = ?"
        ))
        .bind(number as i64)
        .bind(index as i64)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(stored_tx).transpose()
    }

    /// The L1-info calldata of block `number`.
    pub async fn l1_info(&self, number: u64) -> StoreResult<Option<Bytes>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT l1_info FROM blocks WHERE number = ?")
            .bind(number as i64)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0.into()))
    }

    /// Logs matching `filter`, at most `limit` (the caller asks for one more than it allows to
    /// detect overflow).
    pub async fn logs(&self, filter: &LogFilter, limit: usize) -> StoreResult<Vec<StoredLog>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT block_number, log_index, tx_index, tx_hash, address, topic0, topic1, topic2, topic3, data FROM logs WHERE block_number >= ",
        );
        q.push_bind(filter.from as i64).push(" AND block_number <= ").push_bind(filter.to as i64);
        if !filter.addresses.is_empty() {
            q.push(" AND address IN (");
            let mut sep = q.separated(", ");
            for a in &filter.addresses {
                sep.push_bind(a.to_vec());
            }
            q.push(")");
        }
        for (i, options) in filter.topics.iter().enumerate() {
            if options.is_empty() {
                continue;
            }
            q.push(format!(" AND topic{i} IN ("));
            let mut sep = q.separated(", ");
            for t in options {
                sep.push_bind(t.to_vec());
            }
            q.push(")");
        }
        q.push(" ORDER BY block_number, log_index LIMIT ").push_bind(limit as i64);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let mut topics = Vec::new();
                for col in ["topic0", "topic1", "topic2", "topic3"] {
                    let t: Option<Vec<u8>> = row.try_get(col)?;
                    if let Some(t) = t {
                        topics.push(B256::try_from(t.as_slice()).map_err(|e| corrupt("logs", e))?);
                    }
                }
                let data: Vec<u8> = row.try_get("data")?;
                Ok(StoredLog {
                    block_number: row.try_get::<i64, _>("block_number")? as u64,
                    log_index: row.try_get::<i64, _>("log_index")? as u64,
                    tx_index: row.try_get::<i64, _>("tx_index")? as u64,
                    tx_hash: b256(row, "tx_hash", "logs")?,
                    address: address(row, "address", "logs")?,
                    topics,
                    data: data.into(),
                })
            })
            .collect()
    }

    /// Loads the latest state into memory (start-up).
    pub async fn load_state(&self) -> StoreResult<WorldState> {
        let mut state = WorldState::default();
        let codes = sqlx::query("SELECT code FROM code").fetch_all(&self.pool).await?;
        for row in &codes {
            let code: Vec<u8> = row.try_get("code")?;
            state.load_code(Bytecode::new_raw(code.into()));
        }
        let storage = sqlx::query("SELECT address, slot, value FROM storage ORDER BY address")
            .fetch_all(&self.pool)
            .await?;
        let mut by_account: alloy_primitives::map::HashMap<Address, Vec<(U256, U256)>> =
            Default::default();
        for row in &storage {
            by_account
                .entry(address(row, "address", "storage")?)
                .or_default()
                .push((u256(row, "slot")?, u256(row, "value")?));
        }
        let accounts = sqlx::query("SELECT address, nonce, balance, code_hash FROM accounts")
            .fetch_all(&self.pool)
            .await?;
        for row in &accounts {
            let addr = address(row, "address", "accounts")?;
            let info = AccountState {
                nonce: row.try_get::<i64, _>("nonce")? as u64,
                balance: u256(row, "balance")?,
                code_hash: b256(row, "code_hash", "accounts")?,
            };
            state.load_account(addr, info, by_account.remove(&addr).unwrap_or_default());
        }
        Ok(state)
    }

    /// An account as it was after block `number` (`latest` is the in-memory state's job).
    pub async fn account_at(
        &self,
        addr: Address,
        number: u64,
    ) -> StoreResult<Option<AccountState>> {
        let row = sqlx::query(
            "SELECT nonce, balance, code_hash FROM account_history WHERE address = ? AND block_number > ? ORDER BY block_number LIMIT 1",
        )
        .bind(addr.to_vec())
        .bind(number as i64)
        .fetch_optional(&self.pool)
        .await?;
        let row = match row {
            Some(row) => row,
            None => {
                match sqlx::query(
                    "SELECT nonce, balance, code_hash FROM accounts WHERE address = ?",
                )
                .bind(addr.to_vec())
                .fetch_optional(&self.pool)
                .await?
                {
                    Some(row) => row,
                    None => return Ok(None),
                }
            }
        };
        let nonce: Option<i64> = row.try_get("nonce")?;
        let Some(nonce) = nonce else { return Ok(None) };
        let balance: Option<Vec<u8>> = row.try_get("balance")?;
        let code_hash: Option<Vec<u8>> = row.try_get("code_hash")?;
        Ok(Some(AccountState {
            nonce: nonce as u64,
            balance: U256::from_be_slice(&balance.unwrap_or_default()),
            code_hash: B256::try_from(code_hash.unwrap_or_default().as_slice())
                .map_err(|e| corrupt("account_history", e))?,
        }))
    }

    /// A storage slot as it was after block `number`.
    pub async fn storage_at(&self, addr: Address, slot: U256, number: u64) -> StoreResult<U256> {
        let key = slot.to_be_bytes::<32>().to_vec();
        let row: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT value FROM storage_history WHERE address = ? AND slot = ? AND block_number > ? ORDER BY block_number LIMIT 1",
        )
        .bind(addr.to_vec())
        .bind(key.clone())
        .bind(number as i64)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((v,)) = row {
            return Ok(U256::from_be_slice(&v));
        }
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT value FROM storage WHERE address = ? AND slot = ?")
                .bind(addr.to_vec())
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(v,)| U256::from_be_slice(&v)).unwrap_or_default())
    }

    /// Code by hash.
    pub async fn code(&self, hash: B256) -> StoreResult<Option<Bytecode>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT code FROM code WHERE hash = ?")
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(c,)| Bytecode::new_raw(c.into())))
    }
}
