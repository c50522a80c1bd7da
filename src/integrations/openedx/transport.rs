//! How a built request reaches Open edX: over HTTP (reqwest, with the configured timeout) or,
//! for the built-in sandbox, straight into the sandbox's router in-process. Both see the exact
//! same method, path, query, headers and body, so the sandbox exercises the real client code.

use std::time::Duration;

use axum::body::Bytes;
use tower::ServiceExt as _;

use super::client::EdxError;

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

/// One request, path and query already encoded.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: reqwest::Method,
    pub path_and_query: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Clone)]
pub enum Transport {
    Http {
        client: reqwest::Client,
        /// `scheme://host[:port]`; paths are absolute like the original's `urljoin`.
        origin: String,
        timeout: Duration,
    },
    Sandbox(axum::Router),
}

/// Python's `quote_plus` (what `requests` uses for query strings and forms).
pub fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A path segment as Python's `quote(s, safe="")` writes it: everything but letters, digits
/// and `_.-~` percent-encoded (`course-v1%3AMITx%2B6.00x%2B2T2026`).
pub fn quote_all(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'.')
        .remove(b'-')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// A path segment as `requests` sends it: `course-v1:MITx+6.00x+2T2026` stays readable.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'_'
            | b'.'
            | b'-'
            | b'~'
            | b':'
            | b'+'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b','
            | b';'
            | b'=' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `k=v&k2=v2` with `quote_plus`, in the given order.
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Transport {
    pub async fn send(&self, req: Outgoing) -> Result<Reply, EdxError> {
        match self {
            Transport::Http {
                client,
                origin,
                timeout,
            } => {
                let url = format!("{origin}{}", req.path_and_query);
                let has_type = req.headers.iter().any(|(k, _)| *k == "content-type");
                let mut b = client.request(req.method, &url).timeout(*timeout);
                for (k, v) in &req.headers {
                    b = b.header(*k, v);
                }
                b = match req.body {
                    Body::None => b,
                    Body::Json(v) if has_type => b.body(v.to_string()),
                    Body::Json(v) => b.header("content-type", "application/json").body(v.to_string()),
                    Body::Form(pairs) => b
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(encode_pairs(&pairs)),
                };
                let resp = b.send().await.map_err(|e| EdxError::Transport {
                    message: e.to_string(),
                    timeout: e.is_timeout(),
                })?;
                let head = Head::of(resp.status(), resp.headers());
                let body = resp.bytes().await.map_err(|e| EdxError::Transport {
                    message: e.to_string(),
                    timeout: e.is_timeout(),
                })?;
                Ok(head.with_body(body))
            }
            Transport::Sandbox(router) => {
                let has_type = req.headers.iter().any(|(k, _)| *k == "content-type");
                let mut b = axum::http::Request::builder()
                    .method(req.method.as_str())
                    .uri(&req.path_and_query);
                for (k, v) in &req.headers {
                    b = b.header(*k, v);
                }
                let body = match req.body {
                    Body::None => axum::body::Body::empty(),
                    Body::Json(v) => {
                        if !has_type {
                            b = b.header("content-type", "application/json");
                        }
                        axum::body::Body::from(v.to_string())
                    }
                    Body::Form(pairs) => {
                        b = b.header("content-type", "application/x-www-form-urlencoded");
                        axum::body::Body::from(encode_pairs(&pairs))
                    }
                };
                let request = b.body(body).map_err(|e| EdxError::Transport {
                    message: format!("sandbox request: {e}"),
                    timeout: false,
                })?;
                let resp = router
                    .clone()
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {});
                if resp
                    .headers()
                    .contains_key(crate::integrations::sandbox_faults::DOWN_HEADER)
                {
                    return Err(EdxError::Transport {
                        message: "connection refused (the sandbox is down on purpose)".into(),
                        timeout: false,
                    });
                }
                let head = Head::of(resp.status(), resp.headers());
                let body = axum::body::to_bytes(resp.into_body(), 16 << 20)
                    .await
                    .map_err(|e| EdxError::Transport {
                        message: format!("sandbox body: {e}"),
                        timeout: false,
                    })?;
                Ok(head.with_body(body))
            }
        }
    }
}

/// A reply without its body: the status and the `Retry-After` and `Location` headers, as text.
struct Head(u16, Option<String>, Option<String>);

impl Head {
    fn of(status: axum::http::StatusCode, headers: &axum::http::HeaderMap) -> Head {
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Head(status.as_u16(), header("retry-after"), header("location"))
    }

    fn with_body(self, body: Bytes) -> Reply {
        let Head(status, retry_after, location) = self;
        Reply {
            status,
            retry_after,
            location,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encoding_matches_python_requests() {
        assert_eq!(
            quote_plus("course-v1:MITx+6.00x+2T2026"),
            "course-v1%3AMITx%2B6.00x%2B2T2026"
        );
        assert_eq!(quote_plus("learner1,learner2"), "learner1%2Clearner2");
        assert_eq!(quote_plus("Jane Doe"), "Jane+Doe");
        assert_eq!(quote_plus("l1@example.com"), "l1%40example.com");
    }

    #[test]
    fn course_ids_stay_readable_in_paths() {
        assert_eq!(
            path_segment("course-v1:MITx+6.00x+2T2026"),
            "course-v1:MITx+6.00x+2T2026"
        );
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }
}
