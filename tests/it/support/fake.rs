//! A scripted fake HTTP server on 127.0.0.1:0 for every partner integration: replies are
//! queued (status, body, headers, delay), every request is recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// One scripted reply.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            body: String::new(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            body: body.to_string(),
            headers: vec![("content-type".into(), "application/json".into())],
            ..Reply::status(status)
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// A request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Reply>,
    default: Option<Reply>,
    requests: Vec<Recorded>,
}

#[derive(Clone)]
pub struct FakeServer {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn handle(State(inner): State<Arc<Mutex<Inner>>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20).await.unwrap_or_default();
    let reply = {
        let mut g = inner.lock().unwrap();
        g.requests.push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            body,
        });
        g.script
            .pop_front()
            .or_else(|| g.default.clone())
            .unwrap_or_else(|| Reply::json(200, serde_json::json!({})))
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (k, v) in reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    resp
}

/// A partner that is down: a port bound on 127.0.0.1 but not listening, so connections are
/// refused, and nobody else can take the port until [`FakeServer::start_on`] brings the
/// partner up on it.
pub struct DownPort {
    socket: tokio::net::TcpSocket,
    pub port: u16,
}

impl DownPort {
    pub fn reserve() -> DownPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().unwrap())
            .expect("bind a port to hold");
        let port = socket.local_addr().expect("local addr").port();
        DownPort { socket, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts listening on the held port (the partner is back).
    pub fn listen(self) -> tokio::net::TcpListener {
        self.socket.listen(1024).expect("listen on the reserved port")
    }
}

impl FakeServer {
    /// Starts on 127.0.0.1 with an ephemeral port. Replies 200 `{}` unless scripted.
    pub async fn start() -> FakeServer {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind fake");
        Self::serve(listener)
    }

    /// Starts on a port reserved while the partner was "down" (see [`DownPort`]): the port
    /// was never free, so no other test or outgoing connection can have taken it meanwhile.
    pub async fn start_on(down: DownPort) -> FakeServer {
        Self::serve(down.listen())
    }

    fn serve(listener: tokio::net::TcpListener) -> FakeServer {
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = axum::Router::new().fallback(handle).with_state(inner.clone());
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeServer { url, inner }
    }

    /// Queues a reply for the next request.
    pub fn push(&self, reply: Reply) {
        self.inner.lock().unwrap().script.push_back(reply);
    }

    /// The reply once the script is used up.
    pub fn set_default(&self, reply: Reply) {
        self.inner.lock().unwrap().default = Some(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn count(&self) -> usize {
        self.inner.lock().unwrap().requests.len()
    }

    /// Distinct values of one header over all requests (e.g. idempotency keys).
    pub fn distinct_header(&self, name: &str) -> std::collections::BTreeSet<String> {
        self.requests().iter().filter_map(|r| r.header(name)).collect()
    }

    /// Waits until at least `n` requests arrived (or panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.count() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "fake got {} of {n} requests",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
