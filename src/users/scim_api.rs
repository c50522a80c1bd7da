//! SCIM 2.0 endpoints for Keycloak's pushes: `/scim/v2/Users` (+`/{id}`, `/.search`) and
//! `/scim/v2/Bulk`, authenticated by the bearer token of an active staff user (as the
//! original's SCIM auth check). Bodies are `application/scim+json` (or JSON). These are the
//! handlers; what each push does is in `scim_service`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::scim::{self, ScimError};
use super::scim_service::{self, MAX_BULK_OPERATIONS, user_id};
use crate::http::session::{Identity, Via};
use crate::state::AppState;

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

/// 200 with the resource, or the error.
fn ok(r: Result<Value, ScimError>) -> Response {
    match r {
        Ok(v) => scim_json(StatusCode::OK, v),
        Err(e) => error(e),
    }
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

/// A PUT or PATCH of one user (`/scim/v2/Users/{id}`): the caller authorized, then the user's
/// id and the JSON body read; a failure is answered as SCIM answers errors.
struct UserWrite {
    uid: i64,
    body: Value,
}

impl FromRequest<AppState> for UserWrite {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let id = Identity::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(raw) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let read = || -> Result<UserWrite, ScimError> {
            authorize(&id)?;
            Ok(UserWrite {
                uid: user_id(&raw)?,
                body: parse(&bytes)?,
            })
        };
        read().map_err(error)
    }
}

fn parse(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| ScimError {
        status: 400,
        scim_type: Some("invalidSyntax"),
        detail: format!("the body is not valid JSON: {e}"),
    })
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

async fn list(State(state): State<AppState>, id: Identity, Query(q): Query<ListQuery>) -> Response {
    let r = async {
        authorize(&id)?;
        let start = number(q.start_index.as_deref(), "startIndex", 1)?;
        let count = number(q.count.as_deref(), "count", 100)?;
        scim_service::search(&state, q.filter, start, count).await
    };
    ok(r.await)
}

async fn search(State(state): State<AppState>, id: Identity, body: Bytes) -> Response {
    let r = async {
        authorize(&id)?;
        let v = parse(&body)?;
        let filter = v.get("filter").and_then(Value::as_str).map(str::to_owned);
        let start = v.get("startIndex").and_then(Value::as_i64).unwrap_or(1);
        let count = v.get("count").and_then(Value::as_i64).unwrap_or(100);
        scim_service::search(&state, filter, start, count).await
    };
    ok(r.await)
}

async fn create(State(state): State<AppState>, id: Identity, body: Bytes) -> Response {
    let r = async {
        authorize(&id)?;
        let i = scim::inbound(&parse(&body)?)?;
        scim_service::create(&state, i).await
    };
    match r.await {
        Ok(v) => scim_json(StatusCode::CREATED, v),
        Err(e) => error(e),
    }
}

async fn one(State(state): State<AppState>, id: Identity, Path(raw): Path<String>) -> Response {
    let r = async {
        authorize(&id)?;
        scim_service::get(&state, user_id(&raw)?).await
    };
    ok(r.await)
}

async fn replace(State(state): State<AppState>, w: UserWrite) -> Response {
    let r = async { scim_service::replace(&state, w.uid, scim::inbound(&w.body)?).await };
    ok(r.await)
}

async fn patch(State(state): State<AppState>, w: UserWrite) -> Response {
    ok(scim_service::patch(&state, w.uid, w.body).await)
}

/// DELETE deactivates (as the original), ending the user's sessions.
async fn deactivate(State(state): State<AppState>, id: Identity, Path(raw): Path<String>) -> Response {
    let r = async {
        authorize(&id)?;
        scim_service::deactivate(&state, user_id(&raw)?).await
    };
    match r.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(e),
    }
}

async fn bulk(State(state): State<AppState>, id: Identity, body: Bytes) -> Response {
    let r = async {
        authorize(&id)?;
        scim_service::bulk(&state, &parse(&body)?).await
    };
    ok(r.await)
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
