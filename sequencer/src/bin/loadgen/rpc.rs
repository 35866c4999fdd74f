//! Transport: keep-alive HTTP/1.1 connections and JSON-RPC framing.

use super::*;

// ---------------------------------------------------------------------------------------------
// Transport: keep-alive HTTP/1.1 connections and JSON-RPC framing.
// ---------------------------------------------------------------------------------------------

/// A resolved HTTP endpoint.
#[derive(Debug)]
pub(super) struct Endpoint {
    pub(super) addr: SocketAddr,
    pub(super) host: HeaderValue,
    pub(super) path: String,
}

impl Endpoint {
    pub(super) async fn resolve(url: &str, allow_non_loopback: bool) -> Result<Self> {
        let uri: hyper::Uri = url.parse().wrap_err_with(|| format!("invalid --rpc-url {url}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("--rpc-url {url}: only http:// endpoints are supported");
        }
        let authority = uri.authority().ok_or_else(|| eyre!("--rpc-url {url} has no host"))?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(80);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .wrap_err_with(|| format!("resolving {host}"))?
            .collect();
        let addr = *addrs.first().ok_or_else(|| eyre!("{host} resolves to no address"))?;
        if !allow_non_loopback && !addrs.iter().all(|a| a.ip().is_loopback()) {
            bail!(
                "--rpc-url {url} resolves to {addrs:?}, not a loopback address; pass \
                 --allow-non-loopback to load a node you run elsewhere"
            );
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let host = HeaderValue::from_str(authority.as_str()).wrap_err("invalid host header")?;
        Ok(Self { addr, host, path })
    }
}

/// One keep-alive HTTP/1.1 connection, re-opened on demand after a failure.
pub(super) struct Conn {
    pub(super) endpoint: Arc<Endpoint>,
    pub(super) sender: Option<http1::SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub(super) const fn new(endpoint: Arc<Endpoint>) -> Self {
        Self { endpoint, sender: None }
    }

    pub(super) async fn open(&mut self) -> Result<()> {
        let stream = TcpStream::connect(self.endpoint.addr)
            .await
            .wrap_err_with(|| format!("connecting to {}", self.endpoint.addr))?;
        stream.set_nodelay(true).wrap_err("setting TCP_NODELAY")?;
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream)).await.wrap_err("HTTP/1.1 handshake")?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                debug!(%err, "HTTP connection closed");
            }
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// POSTs `body` and returns the response body. Not retried: a request may have reached the
    /// node even when its reply did not reach us.
    pub(super) async fn post(&mut self, body: Bytes) -> Result<Bytes> {
        if self.sender.as_ref().is_none_or(http1::SendRequest::is_closed) {
            self.open().await?;
        }
        let Some(sender) = self.sender.as_mut() else { bail!("no HTTP connection") };
        if sender.ready().await.is_err() {
            // The server closed the idle connection: nothing was sent yet, so reconnecting is safe.
            self.open().await?;
        }
        let Some(sender) = self.sender.as_mut() else { bail!("no HTTP connection") };
        sender.ready().await.wrap_err("HTTP connection not ready")?;
        let request = Request::post(self.endpoint.path.as_str())
            .header(header::HOST, self.endpoint.host.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(body))
            .wrap_err("building HTTP request")?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(err) => {
                self.sender = None;
                return Err(err).wrap_err("HTTP request failed");
            }
        };
        let status = response.status();
        let bytes = match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                self.sender = None;
                return Err(err).wrap_err("reading HTTP response");
            }
        };
        if !status.is_success() {
            let shown = &bytes[..bytes.len().min(200)];
            bail!("HTTP {status}: {}", String::from_utf8_lossy(shown));
        }
        Ok(bytes)
    }

    /// One JSON-RPC call; an RPC error becomes an `Err` carrying its code and message.
    pub(super) async fn call<T: DeserializeOwned>(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<T> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let body = serde_json::to_vec(&body).wrap_err("encoding JSON-RPC request")?;
        let reply = self.post(body.into()).await.wrap_err_with(|| format!("{method} request"))?;
        let reply: Reply = serde_json::from_slice(&reply).wrap_err_with(|| {
            let shown = &reply[..reply.len().min(300)];
            format!("{method}: invalid JSON-RPC reply {}", String::from_utf8_lossy(shown))
        })?;
        if let Some(err) = reply.error {
            bail!("{method}: RPC error {}: {}", err.code, err.message);
        }
        serde_json::from_value(reply.result)
            .wrap_err_with(|| format!("{method}: unexpected result shape"))
    }
}

/// A JSON-RPC reply, for set-up calls.
#[derive(Deserialize)]
pub(super) struct Reply {
    #[serde(default)]
    pub(super) result: Value,
    #[serde(default)]
    pub(super) error: Option<RpcError>,
}

/// A JSON-RPC reply on the measured path: the result is skipped, not materialised.
#[derive(Deserialize)]
pub(super) struct HotReply {
    #[serde(default)]
    pub(super) result: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) error: Option<RpcError>,
}

/// An item of a batch reply: matched to its request by id.
#[derive(Deserialize)]
pub(super) struct BatchReply {
    #[serde(default)]
    pub(super) id: Option<Value>,
    #[serde(flatten)]
    pub(super) reply: HotReply,
}

#[derive(Deserialize)]
pub(super) struct RpcError {
    #[serde(default)]
    pub(super) code: i64,
    #[serde(default)]
    pub(super) message: String,
}

/// `{"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params>}`, written by hand so the
/// measured requests are built once, before the clock starts.
pub(super) fn rpc_request(id: usize, method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#)
}

/// A request body: one call, or a JSON-RPC batch when `batch` is set.
pub(super) fn request_body(requests: &[String], batch: bool) -> Bytes {
    if batch {
        Bytes::from(format!("[{}]", requests.join(",")))
    } else {
        Bytes::from(requests.concat())
    }
}
