//! `ol-batcher`: posts the L2 chain to the L1 settlement inbox.
//!
//! ```text
//!  ol-node (L2 JSON-RPC) ──l2──▶ driver: channels ──channel (protocol::batch codec)──▶ frames
//!                                   │                                                  │
//!  admin RPC (start/stop/status) ───┘          L1 ◀── txmgr (nonce, fee bumps, reorgs) ◀┘
//! ```
//!
//! - [`config`]: flags, environment, TOML file.
//! - [`l2`]: L2 blocks over JSON-RPC, deposits removed, origins read from the L1-info deposit.
//! - [`channel`]: the codec calls: blocks to frames, and what L1 already holds.
//! - [`readback`]: what the inbox holds (the same rules as derivation), to resume after a restart.
//! - [`da`]: calldata or blobs, by their cost at current L1 fees (`--data-availability auto`).
//! - [`driver`]: the loop (load, close channels, post).
//! - [`txmgr`]: L1 transactions in flight with local nonces, fee bumping, confirmation depth, L1 reorgs.
//! - [`admin`]: `admin_startBatcher`, `admin_stopBatcher`, `admin_batcherStatus`, and
//!   `GET /metrics` ([`metrics`]) on the same port.

pub mod admin;
pub mod channel;
pub mod config;
pub mod da;
pub mod driver;
pub mod l2;
pub mod metrics;
pub mod readback;
pub mod txmgr;
