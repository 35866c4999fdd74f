-- OpenLedger L2 node store (SQLite). The queries are portable SQL (no AUTOINCREMENT, integers
-- fit in i64, hashes/addresses/U256 as big-endian BLOBs); this DDL uses SQLite's WITHOUT ROWID
-- so each keyed table is one B-tree instead of a rowid table plus a key index, which halves the
-- index work of every block commit. A Postgres DDL is the same minus those two words.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    number   INTEGER PRIMARY KEY,
    hash     BLOB NOT NULL UNIQUE,
    header   BLOB NOT NULL,          -- RLP of the header
    tx_count INTEGER NOT NULL,
    size     INTEGER NOT NULL,       -- RLP size of the whole block
    l1_info  BLOB NOT NULL           -- calldata of the L1-info deposit (fee fields for receipts)
);
CREATE TABLE IF NOT EXISTS transactions (
    block_number     INTEGER NOT NULL,
    tx_index         INTEGER NOT NULL,
    hash             BLOB NOT NULL,
    sender           BLOB NOT NULL,
    raw              BLOB NOT NULL,   -- EIP-2718 encoding
    receipt          BLOB NOT NULL,   -- EIP-2718 encoding of the OP receipt (with bloom)
    gas_used         INTEGER NOT NULL,
    contract_address BLOB,
    first_log_index  INTEGER NOT NULL,
    PRIMARY KEY (block_number, tx_index)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS transactions_hash ON transactions (hash);
CREATE TABLE IF NOT EXISTS logs (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_index     INTEGER NOT NULL,
    tx_hash      BLOB NOT NULL,
    address      BLOB NOT NULL,
    topic0       BLOB,
    topic1       BLOB,
    topic2       BLOB,
    topic3       BLOB,
    data         BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_address ON logs (address, block_number);
CREATE INDEX IF NOT EXISTS logs_topic0 ON logs (topic0, block_number);
-- Latest state, loaded into memory at start-up.
CREATE TABLE IF NOT EXISTS accounts (
    address   BLOB PRIMARY KEY,
    nonce     INTEGER NOT NULL,
    balance   BLOB NOT NULL,
    code_hash BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS storage (
    address BLOB NOT NULL,
    slot    BLOB NOT NULL,
    value   BLOB NOT NULL,
    PRIMARY KEY (address, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS code (
    hash BLOB PRIMARY KEY,
    code BLOB NOT NULL
) WITHOUT ROWID;
-- Change sets: the value an account or slot had BEFORE block_number changed it. The value at
-- block N is the first change set after N, or the latest state if there is none.
CREATE TABLE IF NOT EXISTS account_history (
    address      BLOB NOT NULL,
    block_number INTEGER NOT NULL,
    nonce        INTEGER,                -- NULL: the account did not exist
    balance      BLOB,
    code_hash    BLOB,
    PRIMARY KEY (address, block_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS storage_history (
    address      BLOB NOT NULL,
    slot         BLOB NOT NULL,
    block_number INTEGER NOT NULL,
    value        BLOB NOT NULL,
    PRIMARY KEY (address, slot, block_number)
) WITHOUT ROWID;
