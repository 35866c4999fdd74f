//! The OpenLedger L2 node: execution, state, mempool, block production and JSON-RPC.
//!
//! ```text
//!  JSON-RPC (rpc) ──eth_sendRawTransaction──▶ mempool ──best txs──▶ builder ◀── miner (when)
//!       │                                                            │
//!       │ reads                                         executor (op-revm) + state (tries)
//!       ▼                                                            │
//!  store (SQLite: blocks, receipts, logs, state, change sets) ◀──────┘ one DB transaction/block
//! ```

pub mod builder;
pub mod cli;
pub mod dev;
pub mod evm;
pub mod executor;
pub mod genesis;
pub mod greeting;
pub mod l1;
pub mod launch;
pub mod mempool;
pub mod metrics;
pub mod miner;
pub mod node;
pub mod rpc;
pub mod state;
pub mod status;
pub mod store;
