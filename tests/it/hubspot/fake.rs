//! An in-process fake HubSpot CRM on 127.0.0.1: objects by type with properties, search by
//! one `EQ` filter, default associations, the bearer token checked, and every request recorded
//! with the instant it arrived. Faults: answer 429 (with `Retry-After`) to every request over
//! a per-second limit, or lose the answer of the next create (made, then 504).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post, put};
use serde_json::{Map, Value, json};

pub const TOKEN: &str = "pat-na1-test-token-0000";

#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub body: Value,
    pub at: Instant,
    pub status: u16,
}

#[derive(Default)]
struct Crm {
    next: u64,
    objects: BTreeMap<String, BTreeMap<String, Map<String, Value>>>,
    associations: BTreeSet<(String, String, String, String)>,
    requests: Vec<Req>,
    /// Answer 429 to requests beyond this many in the last second.
    limit_per_second: Option<usize>,
    lose_next_create: bool,
    /// Contacts with this email are refused (400), as HubSpot refuses an invalid email.
    refuse_email: Option<String>,
    /// Search finds nothing (HubSpot's index lags behind its writes).
    search_blind: bool,
}

#[derive(Clone)]
pub struct FakeHubspot {
    pub url: String,
    crm: Arc<Mutex<Crm>>,
}

type S = State<Arc<Mutex<Crm>>>;

/// Records the request; `Err` is the answer when the token is wrong or the rate is exceeded.
fn admit(
    crm: &mut Crm,
    h: &HeaderMap,
    method: &'static str,
    path: String,
    body: &Value,
) -> Result<(), Box<Response>> {
    let now = Instant::now();
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let recent = crm
        .requests
        .iter()
        .filter(|r| r.status != 429 && now.duration_since(r.at) < Duration::from_secs(1))
        .count();
    let refused = crm
        .refuse_email
        .as_deref()
        .is_some_and(|e| body["properties"]["email"] == e);
    let status = if auth != format!("Bearer {TOKEN}") {
        401
    } else if refused {
        400
    } else if crm.limit_per_second.is_some_and(|l| recent >= l) {
        429
    } else {
        200
    };
    crm.requests.push(Req {
        method,
        path,
        body: body.clone(),
        at: now,
        status,
    });
    match status {
        200 => Ok(()),
        429 => Err(Box::new(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                Json(json!({"status": "error", "category": "RATE_LIMITS"})),
            )
                .into_response(),
        )),
        s => Err(Box::new(
            (StatusCode::from_u16(s).unwrap(), Json(json!({"status": "error"}))).into_response(),
        )),
    }
}

async fn create(State(crm): S, Path(t): Path<String>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut g = crm.lock().unwrap();
    if let Err(r) = admit(&mut g, &h, "POST", format!("/crm/v3/objects/{t}"), &body) {
        return *r;
    }
    let props = body["properties"].as_object().cloned().unwrap_or_default();
    let taken = g.objects.get("contacts").and_then(|m| {
        m.iter()
            .find(|(_, p)| t == "contacts" && p.get("email") == props.get("email"))
            .map(|(id, _)| id.clone())
    });
    if let Some(existing) = taken {
        let message = format!("Contact already exists. Existing ID: {existing}");
        let body = json!({"status": "error", "message": message, "category": "CONFLICT"});
        return (StatusCode::CONFLICT, Json(body)).into_response();
    }
    g.next += 1;
    let id = (1000 + g.next).to_string();
    g.objects.entry(t).or_default().insert(id.clone(), props.clone());
    if std::mem::take(&mut g.lose_next_create) {
        return (StatusCode::GATEWAY_TIMEOUT, "upstream timed out").into_response();
    }
    (StatusCode::CREATED, Json(json!({"id": id, "properties": props}))).into_response()
}

async fn update(
    State(crm): S,
    Path((t, id)): Path<(String, String)>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut g = crm.lock().unwrap();
    if let Err(r) = admit(&mut g, &h, "PATCH", format!("/crm/v3/objects/{t}/{id}"), &body) {
        return *r;
    }
    let Some(o) = g.objects.get_mut(&t).and_then(|m| m.get_mut(&id)) else {
        return (StatusCode::NOT_FOUND, Json(json!({"status": "error"}))).into_response();
    };
    for (k, v) in body["properties"].as_object().cloned().unwrap_or_default() {
        o.insert(k, v);
    }
    Json(json!({"id": id, "properties": o})).into_response()
}

async fn search(State(crm): S, Path(t): Path<String>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut g = crm.lock().unwrap();
    if let Err(r) = admit(&mut g, &h, "POST", format!("/crm/v3/objects/{t}/search"), &body) {
        return *r;
    }
    let f = &body["filterGroups"][0]["filters"][0];
    let (name, value) = (f["propertyName"].as_str().unwrap_or_default(), &f["value"]);
    let blind = g.search_blind;
    let results: Vec<Value> = g
        .objects
        .get(&t)
        .into_iter()
        .flatten()
        .filter(|(_, p)| !blind && p.get(name) == Some(value))
        .map(|(id, p)| json!({"id": id, "properties": p}))
        .collect();
    Json(json!({"total": results.len(), "results": results})).into_response()
}

async fn associate(
    State(crm): S,
    Path((ft, fid, tt, tid)): Path<(String, String, String, String)>,
    h: HeaderMap,
) -> Response {
    let mut g = crm.lock().unwrap();
    let path = format!("/crm/v4/objects/{ft}/{fid}/associations/default/{tt}/{tid}");
    if let Err(r) = admit(&mut g, &h, "PUT", path, &Value::Null) {
        return *r;
    }
    g.associations.insert((ft, fid, tt, tid));
    Json(json!({"status": "COMPLETE"})).into_response()
}

impl FakeHubspot {
    pub async fn start() -> FakeHubspot {
        Self::serve(tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap())
    }

    /// Brings HubSpot up on a port held while it was down.
    pub fn start_on(down: crate::support::fake::DownPort) -> FakeHubspot {
        Self::serve(down.listen())
    }

    fn serve(listener: tokio::net::TcpListener) -> FakeHubspot {
        let crm: Arc<Mutex<Crm>> = Arc::default();
        let app = axum::Router::new()
            .route("/crm/v3/objects/{t}", post(create))
            .route("/crm/v3/objects/{t}/search", post(search))
            .route("/crm/v3/objects/{t}/{id}", patch(update))
            .route(
                "/crm/v4/objects/{ft}/{fid}/associations/default/{tt}/{tid}",
                put(associate),
            )
            .with_state(crm.clone());
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeHubspot { url, crm }
    }

    pub fn limit_per_second(&self, n: usize) {
        self.crm.lock().unwrap().limit_per_second = Some(n);
    }

    pub fn refuse_email(&self, email: &str) {
        self.crm.lock().unwrap().refuse_email = Some(email.to_owned());
    }

    pub fn search_blind(&self) {
        self.crm.lock().unwrap().search_blind = true;
    }

    pub fn lose_next_create(&self) {
        self.crm.lock().unwrap().lose_next_create = true;
    }

    pub fn requests(&self) -> Vec<Req> {
        self.crm.lock().unwrap().requests.clone()
    }

    /// Every object of a type: (id, properties).
    pub fn objects(&self, t: &str) -> Vec<(String, Map<String, Value>)> {
        let g = self.crm.lock().unwrap();
        g.objects
            .get(t)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The objects of a type whose `property` is `value`.
    pub fn find(&self, t: &str, property: &str, value: &str) -> Vec<(String, Map<String, Value>)> {
        self.objects(t)
            .into_iter()
            .filter(|(_, p)| p.get(property).and_then(Value::as_str) == Some(value))
            .collect()
    }

    pub fn associated(&self, from: (&str, &str), to: (&str, &str)) -> bool {
        let key = (
            from.0.to_owned(),
            from.1.to_owned(),
            to.0.to_owned(),
            to.1.to_owned(),
        );
        self.crm.lock().unwrap().associations.contains(&key)
    }
}
