//! The validator hook: every JSON answer the harness's HTTP helpers read from `/api/`
//! ([`TestApp::get_json`], [`TestApp::send_json`], [`read`] and the area helpers built on them)
//! is checked against our own OpenAPI document (`mitxonline::http::openapi::document_json()`,
//! serialized once). The operation is found by method and path template (literal segments
//! preferred over parameters); the body must validate against the response documented for its
//! status. An undocumented operation or status, or a body that breaks the schema, fails the test
//! naming the operation, the status and the errors. A 404 or 405 from no documented operation
//! (the router's answer to an unknown path or method) must still be an `ErrorBody`.
//!
//! Each validated answer is counted in `$CARGO_TARGET_TMPDIR/openapi-validated-<pid>.log`
//! (one line per answer: method, path template, status), so a run can say how many it checked.

use std::io::Write;
use std::sync::OnceLock;

use serde_json::Value;

use super::TestApp;

/// The schema validator (shared with `contract::shapes`, which checks against the original's
/// contract).
#[path = "../contract/schema.rs"]
pub mod schema;
use schema::Contract;

/// Path prefixes whose operations are not documented yet: their answers are not checked. Only
/// shrinks; empty when every module under `/api/` is documented.
pub const NOT_YET_DOCUMENTED: &[&str] = &[
    // the integrations' staff and sandbox controls (src/integrations/), not the staff JSON API
    "/api/v0/staff/openedx/",
    "/api/v0/staff/keycloak/",
    "/api/v0/staff/sandbox/",
];

/// Our document as JSON, and the validator over it.
pub fn ours() -> &'static Contract {
    static OURS: OnceLock<Contract> = OnceLock::new();
    OURS.get_or_init(|| Contract::ours(mitxonline::http::openapi::document_json().clone()))
}

/// Path endings whose operations are not documented yet (as [`NOT_YET_DOCUMENTED`]).
pub const NOT_YET_DOCUMENTED_ENDINGS: &[&str] = &[];

/// Whether `path` is under a prefix (or has an ending) not documented yet.
pub fn not_yet_documented(path: &str) -> bool {
    NOT_YET_DOCUMENTED.iter().any(|p| path.starts_with(p))
        || NOT_YET_DOCUMENTED_ENDINGS.iter().any(|e| path.ends_with(e))
}

/// The documented path template `path` (no query) is an instance of, for `method`; the one with
/// the most literal segments when several match.
pub fn template<'a>(doc: &'a Value, method: &str, path: &str) -> Option<(&'a str, &'a Value)> {
    let segs: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .filter_map(|(t, item)| {
            let tsegs: Vec<&str> = t.split('/').collect();
            let fits = tsegs.len() == segs.len()
                && tsegs
                    .iter()
                    .zip(&segs)
                    .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')));
            let op = item.get(method.to_lowercase())?;
            fits.then(|| {
                (
                    tsegs.iter().filter(|s| !s.starts_with('{')).count(),
                    t.as_str(),
                    op,
                )
            })
        })
        .max_by_key(|(literal, _, _)| *literal)
        .map(|(_, t, op)| (t, op))
}

/// Checks one answer (see the module docs); panics naming what is wrong.
pub fn check(method: &str, path_and_query: &str, status: u16, json: Option<&Value>, body: &str) {
    let path = path_and_query.split('?').next().unwrap_or_default();
    if !path.starts_with("/api/") || not_yet_documented(path) {
        return;
    }
    let c = ours();
    let error_body = serde_json::json!({ "$ref": "#/components/schemas/ErrorBody" });
    let Some((template, op)) = template(&c.doc, method, path) else {
        if matches!(status, 404 | 405) {
            let errors = json.map_or_else(|| vec!["not JSON".to_owned()], |v| c.errors(&error_body, v, "$"));
            assert!(
                errors.is_empty(),
                "{method} {path} → {status}: not an ErrorBody: {errors:#?}"
            );
            return count(method, path, status);
        }
        panic!(
            "{method} {path} answered {status} but is not in our OpenAPI document: add \
             #[utoipa::path] to its handler and list it in its module's openapi.rs"
        );
    };
    let id = op["operationId"].as_str().unwrap_or_default();
    let responses = &op["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        panic!(
            "{method} {template} ({id}) answered {status}, which its #[utoipa::path] does not \
             document (documented: {:?}); body: {body:.300}",
            responses.as_object().map(|r| r.keys().collect::<Vec<_>>())
        );
    };
    match (response["content"].get("application/json"), json) {
        (Some(media), Some(v)) => {
            let errors = c.errors(&media["schema"], v, "$");
            assert!(
                errors.is_empty(),
                "{method} {template} ({id}) → {status}: the body breaks our schema:\n  {}\nbody: {body:.600}",
                errors.join("\n  ")
            );
        }
        (Some(_), None) => {
            panic!("{method} {template} ({id}) → {status}: documented as JSON, answered {body:.300}")
        }
        (None, Some(_)) => panic!("{method} {template} ({id}) → {status}: answered JSON, documented without"),
        (None, None) => {}
    }
    count(method, template, status);
}

fn count(method: &str, template: &str, status: u16) {
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("openapi-validated-{}.log", std::process::id()));
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
        let _ = writeln!(f, "{method} {template} {status}");
    }
}

/// Reads a JSON answer (`Value::Null` when it is not JSON) and checks it (see [`check`]).
pub async fn read(method: &reqwest::Method, r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let url = r.url().clone();
    let is_json = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let text = r.text().await.unwrap_or_default();
    let json: Option<Value> = if is_json {
        serde_json::from_str(&text).ok()
    } else {
        None
    };
    let pq = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    check(method.as_str(), &pq, status, json.as_ref(), &text);
    (status, json.unwrap_or(Value::Null))
}

/// Sends `req` and reads its JSON answer through [`read`].
pub async fn send_json(req: reqwest::RequestBuilder) -> (u16, Value) {
    let (client, req) = req.build_split();
    let req = req.expect("a valid request");
    let method = req.method().clone();
    let r = client.execute(req).await.expect("the request is answered");
    read(&method, r).await
}

impl TestApp {
    /// Sends `req` and reads its JSON answer, checked against our OpenAPI document.
    pub async fn send_json(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        send_json(req).await
    }
}
