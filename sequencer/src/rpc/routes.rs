//! Plain HTTP beside the JSON-RPC on the same port: `GET /` (the status page, see `status`),
//! `GET /status`, `GET /health`, `GET /metrics` (Prometheus text), and the timing of every
//! JSON-RPC call by method.

use crate::{metrics, status::StatusBoard};
use jsonrpsee::{
    MethodResponse,
    core::middleware::{Batch, BatchEntry, Notification, RpcServiceT},
    server::{BatchResponseBuilder, HttpBody, HttpRequest, HttpResponse},
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

/// Answers the plain `GET` routes itself and passes everything else on (JSON-RPC over POST,
/// and WebSocket upgrades, which are `GET /` too).
#[derive(Clone)]
pub struct RoutesLayer {
    board: Arc<StatusBoard>,
}

impl RoutesLayer {
    /// Routes reading `board` (and its chain).
    pub fn new(board: Arc<StatusBoard>) -> Self {
        Self { board }
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
        Routes { inner, board: self.board.clone() }
    }
}

/// See [`RoutesLayer`].
#[derive(Clone)]
pub struct Routes<S> {
    inner: S,
    board: Arc<StatusBoard>,
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
        let upgrade = req.headers().contains_key(hyper::header::UPGRADE);
        if req.method() == hyper::Method::GET && !upgrade {
            let board = self.board.clone();
            match req.uri().path() {
                "/" => return reply(200, "text/html; charset=utf-8", crate::status::PAGE.into()),
                "/metrics" => {
                    let text = metrics::render(board.chain());
                    return reply(200, "text/plain; version=0.0.4; charset=utf-8", text);
                }
                "/health" => {
                    let health = crate::status::health(board.chain());
                    let code = if health.ready { 200 } else { 503 };
                    return reply(code, JSON, json_text(&health));
                }
                "/status" => {
                    return Box::pin(async move {
                        let (code, body) = match board.snapshot().await {
                            Ok(value) => (200, value.to_string()),
                            Err(e) => {
                                (500, serde_json::json!({"error": e.to_string()}).to_string())
                            }
                        };
                        response(code, JSON, body)
                    });
                }
                _ => {}
            }
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

const JSON: &str = "application/json";

fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

fn response(
    code: u16,
    content_type: &str,
    body: String,
) -> Result<HttpResponse, jsonrpsee::core::BoxError> {
    hyper::Response::builder()
        .status(code)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(HttpBody::from(body))
        .map_err(|e| e.into())
}

fn reply(
    code: u16,
    content_type: &str,
    body: String,
) -> BoxFuture<Result<HttpResponse, jsonrpsee::core::BoxError>> {
    let r = response(code, content_type, body);
    Box::pin(async move { r })
}

/// Times each JSON-RPC call into [`metrics::RPC_DURATION`], labelled by method when the method
/// exists (unknown names share one label, so a client cannot grow the series without bound).
/// The calls of a batch are timed one by one too: the batch is unrolled here, in order, as
/// jsonrpsee's own service does, under the same response size limit.
#[derive(Clone, Debug)]
pub struct Timed<S> {
    inner: S,
    methods: Arc<HashSet<&'static str>>,
    max_response_bytes: usize,
}

impl<S> Timed<S> {
    /// Wraps `inner`; `methods` are the registered method names.
    pub fn new(inner: S, methods: Arc<HashSet<&'static str>>, max_response_bytes: usize) -> Self {
        Self { inner, methods, max_response_bytes }
    }
}

impl<S> RpcServiceT for Timed<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

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
        let this = self.clone();
        async move {
            let mut responses = BatchResponseBuilder::new_with_limit(this.max_response_bytes);
            let mut got_notification = false;
            for entry in requests {
                let response = match entry {
                    Ok(BatchEntry::Call(request)) => this.call(request).await,
                    Ok(BatchEntry::Notification(n)) => {
                        got_notification = true;
                        this.notification(n).await;
                        continue;
                    }
                    Err(e) => {
                        let (error, id) = e.into_parts();
                        MethodResponse::error(id, error)
                    }
                };
                if let Err(too_big) = responses.append(response) {
                    return too_big;
                }
            }
            if responses.is_empty() && got_notification {
                MethodResponse::notification()
            } else {
                MethodResponse::from_batch(responses.finish())
            }
        }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(n)
    }
}
