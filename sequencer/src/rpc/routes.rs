//! Plain HTTP beside the JSON-RPC on the same port: `GET /metrics` (Prometheus text), and the
//! timing of every JSON-RPC call by method.

use crate::{metrics, node::Chain};
use jsonrpsee::{
    core::middleware::{Batch, Notification, RpcServiceT},
    server::{HttpBody, HttpRequest, HttpResponse},
    types::Request,
};
use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};
use tower::{Layer, Service};

/// Answers `GET /metrics` itself and passes everything else on.
#[derive(Clone)]
pub struct RoutesLayer {
    chain: Arc<Chain>,
}

impl RoutesLayer {
    /// Routes reading `chain`.
    pub fn new(chain: Arc<Chain>) -> Self {
        Self { chain }
    }
}

impl std::fmt::Debug for RoutesLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoutesLayer")
    }
}

impl<S> Layer<S> for RoutesLayer {
    type Service = Routes<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Routes { inner, chain: self.chain.clone() }
    }
}

/// See [`RoutesLayer`].
#[derive(Clone)]
pub struct Routes<S> {
    inner: S,
    chain: Arc<Chain>,
}

impl<S> std::fmt::Debug for Routes<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Routes")
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S> Service<HttpRequest> for Routes<S>
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
            let text = metrics::render(&self.chain);
            let response = hyper::Response::builder()
                .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .body(HttpBody::from(text))
                .map_err(|e| e.into());
            return Box::pin(async move { response });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

/// Times each JSON-RPC call into [`metrics::RPC_DURATION`], labelled by method when the method
/// exists (unknown names share one label, so a client cannot grow the series without bound).
/// Calls inside a batch are not timed one by one: jsonrpsee runs them below the middleware.
#[derive(Clone, Debug)]
pub struct Timed<S> {
    inner: S,
    methods: Arc<HashSet<&'static str>>,
}

impl<S> Timed<S> {
    /// Wraps `inner`; `methods` are the registered method names.
    pub fn new(inner: S, methods: Arc<HashSet<&'static str>>) -> Self {
        Self { inner, methods }
    }
}

impl<S> RpcServiceT for Timed<S>
where
    S: RpcServiceT + Send + Sync + Clone + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let name = request.method_name();
        let label = self.methods.get(name).copied().unwrap_or("unknown");
        let started = Instant::now();
        let fut = self.inner.call(request);
        async move {
            let response = fut.await;
            ::metrics::histogram!(metrics::RPC_DURATION, "method" => label)
                .record(started.elapsed().as_secs_f64());
            response
        }
    }

    fn batch<'a>(
        &self,
        requests: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        self.inner.batch(requests)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(n)
    }
}
