//! The admin JSON-RPC: start and stop posting, and read the batcher's status (op-batcher's
//! `admin_startBatcher` / `admin_stopBatcher`, plus `admin_batcherStatus`); `GET /metrics` on
//! the same port.

use crate::driver::Status;
use jsonrpsee::{
    RpcModule,
    server::{HttpBody, HttpRequest, HttpResponse, Server, ServerHandle},
};
use parking_lot::Mutex;
use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};
use tokio::sync::watch;
use tower::{Layer, Service};

/// Serves the admin methods on `addr`; returns the bound address and the server handle.
pub async fn serve(
    addr: SocketAddr,
    running: watch::Sender<bool>,
    status: Arc<Mutex<Status>>,
) -> eyre::Result<(SocketAddr, ServerHandle)> {
    let running = Arc::new(running);
    let metrics_status = status.clone();
    let _ = crate::metrics::handle();
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
    let server = Server::builder()
        .set_http_middleware(tower::ServiceBuilder::new().layer(MetricsLayer(metrics_status)))
        .build(addr)
        .await?;
    let bound = server.local_addr()?;
    Ok((bound, server.start(module)))
}

/// Answers `GET /metrics`; everything else goes to the JSON-RPC server.
#[derive(Clone, Debug)]
struct MetricsLayer(Arc<Mutex<Status>>);

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsRoute<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsRoute { inner, status: self.0.clone() }
    }
}

#[derive(Clone, Debug)]
struct MetricsRoute<S> {
    inner: S,
    status: Arc<Mutex<Status>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S> Service<HttpRequest> for MetricsRoute<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<jsonrpsee::core::BoxError> + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = jsonrpsee::core::BoxError;
    type Future = BoxFuture<Result<HttpResponse, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        if req.method() == hyper::Method::GET && req.uri().path() == "/metrics" {
            let response = hyper::Response::builder()
                .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .body(HttpBody::from(crate::metrics::render(&self.status)))
                .map_err(Into::into);
            return Box::pin(async move { response });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}
