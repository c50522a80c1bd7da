//! SCIM 2.0 endpoints for Keycloak's pushes: `/scim/v2/Users` (+`/{id}`, `/.search`) and
//! `/scim/v2/Bulk`, authenticated by the bearer token of an active staff user (as the
//! original's SCIM auth check). Bodies are `application/scim+json` (or JSON).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::scim::{self, BULK_RESPONSE_SCHEMA, LIST_SCHEMA, ScimError};
use super::{profiles, store};
use crate::http::session::{Identity, Via};
use crate::state::AppState;

const MAX_BULK_OPERATIONS: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/Users", get(list).post(create))
        .route("/scim/v2/Users/.search", post(search))
        .route(
            "/scim/v2/Users/{id}",
            get(one).put(replace).patch(patch).delete(deactivate),
        )
        .route("/scim/v2/Bulk", post(bulk))
        .route("/scim/v2/ServiceProviderConfig", get(provider_config))
}

fn scim_json(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/scim+json")],
        v.to_string(),
    )
        .into_response()
}

fn error(e: ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    // Plain JSON so the error middleware leaves it as it is.
    (status, axum::Json(e.body())).into_response()
}

/// Only an active staff service account's bearer token may push users.
fn authorize(id: &Identity) -> Result<(), ScimError> {
    match (&id.user, id.via) {
        (Some(u), Via::Bearer) if u.is_staff || u.is_superuser => Ok(()),
        (Some(_), _) | (None, Via::OAuth2 { .. }) => Err(ScimError {
            status: 403,
            scim_type: None,
            detail: "Permission denied".into(),
        }),
        (None, _) => Err(ScimError {
            status: 401,
            scim_type: None,
            detail: "Authentication credentials were not provided.".into(),
        }),
    }
}

fn parse(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| ScimError {
        status: 400,
        scim_type: Some("invalidSyntax"),
        detail: format!("the body is not valid JSON: {e}"),
    })
}

fn location(state: &AppState, id: i64) -> String {
    state.config.absolute_url(&format!("/scim/v2/Users/{id}"))
}

async fn resource_of(state: &AppState, u: store::User) -> Result<Value, ScimError> {
    let id = u.id;
    let a = state.db.read(move |c| profiles::address(c, id)).await?;
    Ok(scim::resource(&u, a.as_ref(), &location(state, id)))
}

#[derive(Deserialize)]
struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
}

fn number(v: Option<&str>, name: &str, default: i64) -> Result<i64, ScimError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| ScimError::invalid(format!("{name} must be an integer"))),
    }
}

async fn run_search(
    state: &AppState,
    filter: Option<String>,
    start: i64,
    count: i64,
) -> Result<Response, ScimError> {
    let (rows, total) = state
        .db
        .read(move |c| scim::search(c, filter.as_deref(), start, count))
        .await?;
    let resources: Vec<Value> = rows
        .iter()
        .map(|(u, a)| scim::resource(u, a.as_ref(), &location(state, u.id)))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA], "totalResults": total, "itemsPerPage": resources.len(),
            "startIndex": start.max(1), "Resources": resources,
        }),
    ))
}

async fn list(State(state): State<AppState>, id: Identity, Query(q): Query<ListQuery>) -> Response {
    let r = async {
        authorize(&id)?;
        let start = number(q.start_index.as_deref(), "startIndex", 1)?;
        let count = number(q.count.as_deref(), "count", 100)?;
        run_search(&state, q.filter, start, count).await
    };
    r.await.unwrap_or_else(error)
}

async fn search(State(state): State<AppState>, id: Identity, body: Bytes) -> Response {
    let r = async {
        authorize(&id)?;
        let v = parse(&body)?;
        let filter = v.get("filter").and_then(Value::as_str).map(str::to_owned);
        let start = v.get("startIndex").and_then(Value::as_i64).unwrap_or(1);
        let count = v.get("count").and_then(Value::as_i64).unwrap_or(100);
        run_search(&state, filter, start, count).await
    };
    r.await.unwrap_or_else(error)
}

fn user_id(raw: &str) -> Result<i64, ScimError> {
    raw.parse().map_err(|_| ScimError::not_found())
}

async fn create(State(state): State<AppState>, id: Identity, body: Bytes) -> Response {
    let r = async {
        authorize(&id)?;
        let i = scim::inbound(&parse(&body)?)?;
        let now = state.clock.now();
        let u = state.db.write(move |c| scim::create(c, &i, now)).await?;
        Ok::<_, ScimError>(scim_json(StatusCode::CREATED, resource_of(&state, u).await?))
    };
    r.await.unwrap_or_else(error)
}

async fn one(State(state): State<AppState>, id: Identity, Path(raw): Path<String>) -> Response {
    let r = async {
        authorize(&id)?;
        let uid = user_id(&raw)?;
        let u = state
            .db
            .read(move |c| store::find_by_id(c, uid))
            .await?
            .ok_or_else(ScimError::not_found)?;
        Ok::<_, ScimError>(scim_json(StatusCode::OK, resource_of(&state, u).await?))
    };
    r.await.unwrap_or_else(error)
}

async fn replace(
    State(state): State<AppState>,
    id: Identity,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let r = async {
        authorize(&id)?;
        let uid = user_id(&raw)?;
        let i = scim::inbound(&parse(&body)?)?;
        let now = state.clock.now();
        let u = state.db.write(move |c| scim::update(c, uid, &i, now)).await?;
        Ok::<_, ScimError>(scim_json(StatusCode::OK, resource_of(&state, u).await?))
    };
    r.await.unwrap_or_else(error)
}

async fn patch(
    State(state): State<AppState>,
    id: Identity,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let r = async {
        authorize(&id)?;
        let uid = user_id(&raw)?;
        let v = parse(&body)?;
        let now = state.clock.now();
        let u = state.db.write(move |c| scim::patch(c, uid, &v, now)).await?;
        Ok::<_, ScimError>(scim_json(StatusCode::OK, resource_of(&state, u).await?))
    };
    r.await.unwrap_or_else(error)
}

/// DELETE deactivates (as the original), ending the user's sessions.
async fn deactivate(State(state): State<AppState>, id: Identity, Path(raw): Path<String>) -> Response {
    let r = async {
        authorize(&id)?;
        let uid = user_id(&raw)?;
        let now = state.clock.now();
        state
            .db
            .write(move |c| {
                scim::update(
                    c,
                    uid,
                    &scim::Inbound {
                        active: Some(false),
                        ..scim::Inbound::default()
                    },
                    now,
                )
            })
            .await?;
        Ok::<_, ScimError>(StatusCode::NO_CONTENT.into_response())
    };
    r.await.unwrap_or_else(error)
}

/// Runs one bulk operation inside the bulk's transaction; returns (status, location).
fn bulk_op(
    c: &rusqlite::Connection,
    op: &Value,
    now: chrono::DateTime<chrono::Utc>,
    base: &str,
) -> Result<(u16, Option<String>), ScimError> {
    let method = op
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_uppercase();
    let path = op.get("path").and_then(Value::as_str).unwrap_or("");
    let data = op.get("data").cloned().unwrap_or(Value::Null);
    let loc = |id: i64| Some(format!("{base}/scim/v2/Users/{id}"));
    let target = || {
        path.strip_prefix("/Users/")
            .ok_or_else(|| ScimError::invalid(format!("bad path {path:?}")))
            .and_then(user_id)
    };
    // Each operation runs in its own savepoint, so a failed one leaves no trace.
    c.execute_batch("SAVEPOINT scim_bulk_op")?;
    let sp = c;
    let result = match (method.as_str(), path) {
        ("POST", "/Users") => scim::inbound(&data)
            .and_then(|i| scim::create(sp, &i, now))
            .map(|u| (201, loc(u.id))),
        ("PUT", _) => {
            target().and_then(|id| scim::update(sp, id, &scim::inbound(&data)?, now).map(|_| (200, loc(id))))
        }
        ("PATCH", _) => target().and_then(|id| scim::patch(sp, id, &data, now).map(|_| (200, loc(id)))),
        ("DELETE", _) => target().and_then(|id| {
            scim::update(
                sp,
                id,
                &scim::Inbound {
                    active: Some(false),
                    ..scim::Inbound::default()
                },
                now,
            )
            .map(|_| (204, None))
        }),
        _ => Err(ScimError::invalid(format!(
            "unsupported operation {method} {path}"
        ))),
    };
    if result.is_ok() {
        c.execute_batch("RELEASE scim_bulk_op")?;
    } else {
        c.execute_batch("ROLLBACK TO scim_bulk_op; RELEASE scim_bulk_op")?;
    }
    result
}

async fn bulk(State(state): State<AppState>, id: Identity, body: Bytes) -> Response {
    let r = async {
        authorize(&id)?;
        let v = parse(&body)?;
        let ops = v
            .get("Operations")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| ScimError::invalid("Operations is required"))?;
        if ops.len() > MAX_BULK_OPERATIONS {
            return Err(ScimError {
                status: 413,
                scim_type: None,
                detail: format!("at most {MAX_BULK_OPERATIONS} operations"),
            });
        }
        let now = state.clock.now();
        let base = state.config.absolute_url("");
        let results = state
            .db
            .write(move |c| {
                let mut out = Vec::new();
                for op in &ops {
                    let method = op.get("method").cloned().unwrap_or(Value::Null);
                    let bulk_id = op.get("bulkId").cloned().unwrap_or(Value::Null);
                    let entry = match bulk_op(c, op, now, &base) {
                        Ok((status, location)) => json!({"method": method, "bulkId": bulk_id, "location": location, "status": status.to_string()}),
                        Err(e) if e.status == 500 => return Err(e),
                        Err(e) => json!({"method": method, "bulkId": bulk_id, "status": e.status.to_string(), "response": e.body()}),
                    };
                    out.push(entry);
                }
                Ok::<_, ScimError>(out)
            })
            .await?;
        Ok(scim_json(
            StatusCode::OK,
            json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": results}),
        ))
    };
    r.await.unwrap_or_else(error)
}

async fn provider_config(id: Identity) -> Response {
    if let Err(e) = authorize(&id) {
        return error(e);
    }
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true}, "bulk": {"supported": true, "maxOperations": MAX_BULK_OPERATIONS, "maxPayloadSize": 1048576},
            "filter": {"supported": true, "maxResults": 1000}, "changePassword": {"supported": false},
            "sort": {"supported": false}, "etag": {"supported": false},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "Bearer token of a staff user", "primary": true}]
        }),
    )
}
