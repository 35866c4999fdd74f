//! The admin JSON-RPC: start and stop posting, and read the batcher's status (op-batcher's
//! `admin_startBatcher` / `admin_stopBatcher`, plus `admin_batcherStatus`).

use crate::driver::Status;
use jsonrpsee::{
    RpcModule,
    server::{Server, ServerHandle},
};
use parking_lot::Mutex;
use std::{net::SocketAddr, sync::Arc};
use tokio::sync::watch;

/// Serves the admin methods on `addr`; returns the bound address and the server handle.
pub async fn serve(
    addr: SocketAddr,
    running: watch::Sender<bool>,
    status: Arc<Mutex<Status>>,
) -> eyre::Result<(SocketAddr, ServerHandle)> {
    let running = Arc::new(running);
    let mut module = RpcModule::new(());
    // The status says the new state at once, not at the driver's next poll.
    for (method, on) in [("admin_startBatcher", true), ("admin_stopBatcher", false)] {
        let (r, s) = (running.clone(), status.clone());
        module.register_method(method, move |_, _, _| {
            r.send_replace(on);
            s.lock().running = on;
            true
        })?;
    }
    module.register_method("admin_batcherStatus", move |_, _, _| {
        // A plain struct of numbers and strings always serializes.
        serde_json::to_value(status.lock().clone()).unwrap_or(serde_json::Value::Null)
    })?;
    let server = Server::builder().build(addr).await?;
    let bound = server.local_addr()?;
    Ok((bound, server.start(module)))
}
