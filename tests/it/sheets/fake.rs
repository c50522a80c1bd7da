//! An in-process fake Google (token endpoint + Sheets v4 `values.get` / `values:batchUpdate`)
//! on 127.0.0.1. The token endpoint verifies the service account's RS256 assertion with the
//! test key's public half; the Sheets endpoints accept only the token it issued. Cells are
//! kept as entered (`=DATE(y,m,d)` shown as `m/d/yyyy`); every request is recorded. Fault:
//! `down` answers 503 to everything, `fail_writes` to every `batchUpdate`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub const CLIENT_EMAIL: &str = "mitxonline-sheets@test-project.iam.gserviceaccount.com";
pub const SPREADSHEET: &str = "1TestEnrollmentChangeRequestSheet";
pub const PRIVATE_KEY: &str = include_str!("../fixtures/sheets/test-service-account.pem");
const PUBLIC_KEY: &str = include_str!("../fixtures/sheets/test-service-account.pub.pem");

#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub body: Value,
    pub status: u16,
}

#[derive(Default)]
struct Google {
    /// tab -> (row, col) -> value as entered
    cells: BTreeMap<String, BTreeMap<(usize, usize), String>>,
    requests: Vec<Req>,
    issued: Vec<String>,
    down: bool,
    /// Only `batchUpdate` answers 503.
    fail_writes: bool,
    token_url: String,
}

#[derive(Clone)]
pub struct FakeGoogle {
    pub url: String,
    g: Arc<Mutex<Google>>,
}

type S = State<Arc<Mutex<Google>>>;

fn col_index(letters: &str) -> usize {
    letters
        .bytes()
        .fold(0usize, |a, b| a * 26 + usize::from(b - b'A') + 1)
        - 1
}

/// `'Tab'!A4:P` / `'Tab'!L5:O5` / `'Tab'!O5` -> (tab, row, col, end row, end col).
fn range(r: &str) -> (String, usize, usize, Option<usize>, usize) {
    let (tab, cells) = r.rsplit_once('!').expect("a tab");
    let tab = tab.trim_matches('\'').replace("''", "'");
    let (a, b) = cells.split_once(':').unwrap_or((cells, cells));
    let split = |c: &str| {
        let i = c.find(|ch: char| ch.is_ascii_digit()).unwrap_or(c.len());
        (col_index(&c[..i]), c[i..].parse::<usize>().ok())
    };
    let (c0, r0) = split(a);
    let (c1, r1) = split(b);
    (tab, r0.expect("a start row"), c0, r1, c1)
}

fn shown(v: &str) -> String {
    if let Some(inner) = v.strip_prefix("=DATE(").and_then(|r| r.strip_suffix(')')) {
        let p: Vec<&str> = inner.split(',').collect();
        return format!("{}/{}/{}", p[1], p[2], p[0]);
    }
    v.to_owned()
}

fn admit(
    g: &mut Google,
    h: &HeaderMap,
    method: &'static str,
    path: String,
    body: &Value,
) -> Result<(), Box<Response>> {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let status = if g.down || (g.fail_writes && method == "POST") {
        503
    } else if auth.is_none_or(|t| !g.issued.contains(&t)) {
        401
    } else {
        200
    };
    g.requests.push(Req {
        method,
        path,
        body: body.clone(),
        status,
    });
    match status {
        200 => Ok(()),
        s => Err(Box::new(
            (
                StatusCode::from_u16(s).unwrap(),
                Json(json!({"error": {"code": s, "message": "refused", "status": "UNAVAILABLE"}})),
            )
                .into_response(),
        )),
    }
}

async fn token(State(g): S, Form(form): Form<BTreeMap<String, String>>) -> Response {
    let mut g = g.lock().unwrap();
    let status = if g.down { 503 } else { 200 };
    g.requests.push(Req {
        method: "POST",
        path: "/token".into(),
        body: json!(form),
        status,
    });
    if g.down {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[g.token_url.as_str()]);
    v.set_issuer(&[CLIENT_EMAIL]);
    let claims = match jsonwebtoken::decode::<Value>(&form["assertion"], &key, &v) {
        Ok(d) => d.claims,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant", "error_description": e.to_string()})),
            )
                .into_response();
        }
    };
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/spreadsheets");
    let t = format!("ya29.fake-{}", g.issued.len() + 1);
    g.issued.push(t.clone());
    Json(json!({"access_token": t, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

async fn values(State(g): S, Path((id, r)): Path<(String, String)>, h: HeaderMap) -> Response {
    let mut g = g.lock().unwrap();
    if let Err(resp) = admit(
        &mut g,
        &h,
        "GET",
        format!("/v4/spreadsheets/{id}/values/{r}"),
        &Value::Null,
    ) {
        return *resp;
    }
    assert_eq!(id, SPREADSHEET);
    let (tab, r0, c0, r1, c1) = range(&r);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for ((row, col), v) in g.cells.get(&tab).into_iter().flatten() {
        if *row < r0 || r1.is_some_and(|e| *row > e) || *col < c0 || *col > c1 {
            continue;
        }
        let (ri, ci) = (row - r0, col - c0);
        if rows.len() <= ri {
            rows.resize(ri + 1, Vec::new());
        }
        if rows[ri].len() <= ci {
            rows[ri].resize(ci + 1, String::new());
        }
        rows[ri][ci] = shown(v);
    }
    Json(json!({"range": r, "majorDimension": "ROWS", "values": rows})).into_response()
}

async fn batch_update(
    State(g): S,
    Path(id): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut g = g.lock().unwrap();
    if let Err(resp) = admit(
        &mut g,
        &h,
        "POST",
        format!("/v4/spreadsheets/{id}/values:batchUpdate"),
        &body,
    ) {
        return *resp;
    }
    assert_eq!(body["valueInputOption"], "USER_ENTERED");
    for d in body["data"].as_array().unwrap() {
        let (tab, r0, c0, _, _) = range(d["range"].as_str().unwrap());
        for (ri, row) in d["values"].as_array().unwrap().iter().enumerate() {
            for (ci, v) in row.as_array().unwrap().iter().enumerate() {
                if let Some(s) = v.as_str() {
                    g.cells
                        .entry(tab.clone())
                        .or_default()
                        .insert((r0 + ri, c0 + ci), s.to_owned());
                }
            }
        }
    }
    Json(json!({"spreadsheetId": id})).into_response()
}

impl FakeGoogle {
    pub async fn start() -> FakeGoogle {
        let g = Arc::new(Mutex::new(Google::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        g.lock().unwrap().token_url = format!("{url}/token");
        let app = Router::new()
            .route("/token", post(token))
            .route("/v4/spreadsheets/{id}/values/{range}", get(values))
            .route("/v4/spreadsheets/{id}/values:batchUpdate", post(batch_update))
            .with_state(g.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeGoogle { url, g }
    }

    /// Writes a row (`cells` from column A).
    pub fn put_row(&self, tab: &str, row: usize, cells: &[&str]) {
        let mut g = self.g.lock().unwrap();
        let t = g.cells.entry(tab.to_owned()).or_default();
        for (i, v) in cells.iter().enumerate() {
            if v.is_empty() {
                t.remove(&(row, i));
            } else {
                t.insert((row, i), (*v).to_owned());
            }
        }
    }

    /// One cell as entered ("" when empty).
    pub fn cell(&self, tab: &str, row: usize, col: usize) -> String {
        let g = self.g.lock().unwrap();
        g.cells
            .get(tab)
            .and_then(|t| t.get(&(row, col)))
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_down(&self, down: bool) {
        self.g.lock().unwrap().down = down;
    }

    pub fn set_failing_writes(&self, failing: bool) {
        self.g.lock().unwrap().fail_writes = failing;
    }

    pub fn requests(&self) -> Vec<Req> {
        self.g.lock().unwrap().requests.clone()
    }

    pub fn token_requests(&self) -> usize {
        self.requests().iter().filter(|r| r.path == "/token").count()
    }

    pub fn batch_updates(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("values:batchUpdate") && r.status == 200)
            .map(|r| r.body)
            .collect()
    }
}
