//! The one place mapping internal errors to JSON-RPC errors, with geth's codes and wording so
//! that wallets and libraries recognise them.

use crate::{mempool::PoolError, store::StoreError};
use alloy_primitives::Bytes;
use alloy_sol_types::{Revert, SolError};
use jsonrpsee::types::ErrorObjectOwned;

/// Invalid params (also what jsonrpsee uses for undecodable params).
pub const INVALID_PARAMS: i32 = -32602;
/// Internal error.
pub const INTERNAL: i32 = -32603;
/// geth's generic server error (txpool rejections, missing headers, ...).
pub const SERVER: i32 = -32000;
/// Execution reverted (geth, with revert data in `data`).
pub const REVERTED: i32 = 3;
/// A limit was exceeded (EIP-1474).
pub const LIMIT_EXCEEDED: i32 = -32005;
/// Method not available in this mode.
pub const UNSUPPORTED: i32 = -32601;

/// Errors of RPC handlers.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The pool refused a transaction.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Storage failed.
    #[error("internal storage error")]
    Store(#[from] StoreError),
    /// Unknown block.
    #[error("header not found")]
    HeaderNotFound,
    /// A call reverted.
    #[error("execution reverted{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Reverted {
        /// Decoded `Error(string)` reason, if any.
        reason: Option<String>,
        /// Raw revert data.
        data: Bytes,
    },
    /// A call halted (out of gas, invalid opcode, ...).
    #[error("{0}")]
    Halted(String),
    /// The transaction could not be executed at all (bad nonce, fees, ...).
    #[error("{0}")]
    InvalidTx(String),
    /// Bad request parameters.
    #[error("{0}")]
    InvalidParams(String),
    /// Too much asked.
    #[error("{0}")]
    Limit(String),
    /// Not offered in this mode / by this node.
    #[error("{0}")]
    Unsupported(String),
    /// `eth_sendRawTransactionSync` gave up waiting (the transaction stays pooled).
    #[error("the transaction was added to the mempool but wasn't processed within {millis}ms")]
    Timeout {
        /// The transaction.
        hash: alloy_primitives::B256,
        /// How long it waited.
        millis: u64,
    },
    /// Anything else.
    #[error("{0}")]
    Internal(String),
}

/// EIP-7966's code for a receipt that did not arrive in time.
pub const TIMEOUT: i32 = 4;

impl RpcError {
    /// A revert error from raw revert data, decoding `Error(string)` when present.
    pub fn reverted(data: Bytes) -> Self {
        let reason = Revert::abi_decode(&data).ok().map(|r| r.reason);
        Self::Reverted { reason, data }
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(err: RpcError) -> Self {
        let message = err.to_string();
        match err {
            RpcError::Reverted { data, .. } => {
                ErrorObjectOwned::owned(REVERTED, message, Some(data))
            }
            RpcError::Timeout { hash, .. } => ErrorObjectOwned::owned(TIMEOUT, message, Some(hash)),
            RpcError::InvalidParams(_) => {
                ErrorObjectOwned::owned(INVALID_PARAMS, message, None::<()>)
            }
            RpcError::Limit(_) => ErrorObjectOwned::owned(LIMIT_EXCEEDED, message, None::<()>),
            RpcError::Unsupported(_) => ErrorObjectOwned::owned(UNSUPPORTED, message, None::<()>),
            RpcError::Store(e) => {
                tracing::error!(target: "rpc", error = %e, "storage error while serving a request");
                ErrorObjectOwned::owned(INTERNAL, message, None::<()>)
            }
            RpcError::Internal(_) => ErrorObjectOwned::owned(INTERNAL, message, None::<()>),
            RpcError::Pool(_)
            | RpcError::HeaderNotFound
            | RpcError::Halted(_)
            | RpcError::InvalidTx(_) => ErrorObjectOwned::owned(SERVER, message, None::<()>),
        }
    }
}

/// Result type of handlers.
pub type RpcResult<T> = Result<T, RpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_reason_is_decoded_and_data_kept() {
        let data: Bytes = Revert::from("nope").abi_encode().into();
        let obj: ErrorObjectOwned = RpcError::reverted(data.clone()).into();
        assert_eq!(obj.code(), 3);
        assert_eq!(obj.message(), "execution reverted: nope");
        let shown = obj.data().map(|d| d.get().to_string()).unwrap_or_default();
        assert_eq!(shown, format!("\"{data}\""));
    }

    #[test]
    fn custom_error_keeps_raw_data() {
        let obj: ErrorObjectOwned =
            RpcError::reverted(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef])).into();
        assert_eq!(obj.message(), "execution reverted");
        assert_eq!(obj.data().map(|d| d.get().to_string()).unwrap_or_default(), "\"0xdeadbeef\"");
    }
}
