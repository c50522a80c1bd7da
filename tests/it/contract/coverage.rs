//! Every operation of the contract asked of the server: each must reach a route of ours with
//! that method (read back from the server's own request metrics, which label each request with
//! the route that matched it, or `unmatched`), and none may answer with a server error.
//! Operations not built yet are listed in [`NOT_YET`]; the test fails when one of them starts
//! working (so the list only shrinks) and when any other operation stops being routed.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::TestApp;
use crate::support::identity::{header_token, signed_in_superuser};

/// Operations of the contract this server does not route yet (method and path as the contract
/// writes them).
const NOT_YET: &[&str] = &[];

struct Operation {
    method: String,
    /// The path as the contract writes it, parameters in braces, sometimes with a query.
    path: String,
    id: String,
}

fn operations() -> Vec<Operation> {
    let text = include_str!("../../data/contract/operations.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split(' ');
            let (m, p, id) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap_or_default(),
            );
            Operation {
                method: m.to_owned(),
                path: p.to_owned(),
                id: id.to_owned(),
            }
        })
        .collect()
}

/// `/a/{x}/b/{y}/` → `/a/{}/b/{}/`, the query dropped: how routes are compared.
pub fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(ch),
            _ => {}
        }
    }
    out
}

/// A request path for an operation: every parameter a plausible value.
pub fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut param = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                in_param = true;
                param.clear();
            }
            '}' => {
                in_param = false;
                out.push_str(match param.as_str() {
                    "uuid" => "5d9c2a8e-1b3f-4c6d-8e7f-9a0b1c2d3e4f",
                    "course_id" | "readable_id" | "courseware_id" => "course-v1:MITx+14.73x",
                    "code" => "abc123",
                    "enrollment_code" => "CODE1",
                    _ => "1",
                });
            }
            _ if in_param => param.push(ch),
            _ => out.push(ch),
        }
    }
    out
}

#[test]
fn the_operation_list_is_the_contracts() {
    let reference = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/mitxonline-openapi-v2.yaml");
    let Ok(text) = std::fs::read_to_string(&reference) else {
        eprintln!("SKIPPED: no reference contract at {}", reference.display());
        return;
    };
    let doc: serde_json::Value = serde_norway::from_str(&text).expect("the contract parses");
    let mut want = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                let id = op["operationId"].as_str().unwrap_or_default();
                want.insert(format!("{} {path} {id}", method.to_uppercase()));
            }
        }
    }
    let have: BTreeSet<String> = operations()
        .iter()
        .map(|o| format!("{} {} {}", o.method, o.path, o.id))
        .collect();
    assert_eq!(
        have, want,
        "tests/data/contract/operations.txt differs from the contract"
    );
    assert_eq!(have.len(), 147);
}

#[tokio::test]
async fn every_operation_of_the_contract_reaches_a_route_and_none_fails_on_the_server() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let admin = signed_in_superuser(&app, "contract.admin@example.com").await;
    // With the CSRF token, so writes reach their route (without it they stop at the check).
    let token = header_token(&app, &admin).await;
    let ops = operations();
    let mut server_errors = Vec::new();
    for op in &ops {
        let url = app.url(&concrete(&op.path));
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let mut req = admin.request(method, &url).header("x-csrftoken", &token);
        if op.method != "GET" && op.method != "DELETE" {
            req = req.json(&serde_json::json!({}));
        }
        let status = req.send().await.unwrap().status().as_u16();
        if status >= 500 {
            server_errors.push(format!("{} {} → {status}", op.method, op.path));
        }
    }
    // What matched, per method and route shape, as the server counted it.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let mut routed: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("mitxonline_http_requests_total{"))
    {
        let label = |name: &str| {
            line.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or_default()
                .to_owned()
        };
        routed
            .entry((label("method"), shape(&label("route"))))
            .or_default()
            .insert(label("status"));
    }
    let reached = |op: &Operation| {
        routed
            .get(&(op.method.clone(), shape(&op.path)))
            .is_some_and(|statuses| statuses.iter().any(|s| s != "405"))
    };
    let not_yet: BTreeSet<&str> = NOT_YET.iter().copied().collect();
    let mut unrouted = Vec::new();
    let mut now_built = Vec::new();
    for op in &ops {
        let key = format!("{} {}", op.method, op.path);
        match (reached(op), not_yet.contains(key.as_str())) {
            (false, false) => unrouted.push(format!("{key} ({})", op.id)),
            (true, true) => now_built.push(key),
            _ => {}
        }
    }
    assert!(server_errors.is_empty(), "server errors: {server_errors:#?}");
    assert!(
        unrouted.is_empty(),
        "{} operations not routed: {unrouted:#?}",
        unrouted.len()
    );
    assert!(
        now_built.is_empty(),
        "routed now, remove from NOT_YET: {now_built:#?}"
    );
    eprintln!(
        "contract: {} of {} operations routed, {} not yet",
        ops.len() - not_yet.len(),
        ops.len(),
        not_yet.len()
    );
    app.shutdown().await;
}
