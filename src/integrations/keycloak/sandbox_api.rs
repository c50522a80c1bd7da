//! Staff controls of the sandbox Keycloak: `GET`/`POST /api/v0/staff/keycloak/sandbox/organizations/`
//! (`{name, alias, description?}`), each organization with its members.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::sandbox;
use crate::http::AppError;
use crate::http::auth::StaffAccess;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v0/staff/keycloak/sandbox/organizations/",
        get(list).post(create),
    )
}

fn require_sandbox(state: &AppState) -> Result<(), AppError> {
    if state.config.keycloak_sandbox() {
        Ok(())
    } else {
        Err(AppError::NotFound("The Keycloak sandbox is not in use.".into()))
    }
}

async fn list(State(state): State<AppState>, _s: StaffAccess) -> Result<Json<Value>, AppError> {
    require_sandbox(&state)?;
    Ok(Json(json!(sandbox::overview(&state.db).await?)))
}

#[derive(Deserialize)]
struct NewOrg {
    #[serde(default)]
    name: String,
    #[serde(default)]
    alias: String,
    #[serde(default)]
    description: String,
}

async fn create(
    State(state): State<AppState>,
    s: StaffAccess,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    require_sandbox(&state)?;
    let o: NewOrg =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("JSON parse error - {e}")))?;
    let name = o.name.trim().to_owned();
    let alias = o.alias.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::field("name", "This field is required."));
    }
    if alias.is_empty()
        || !alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::field("alias", "Letters, digits, - and _ only."));
    }
    let input = (name, alias, o.description.trim().to_owned());
    let created = sandbox::create_audited(&state.db, state.clock.now(), input, (s.user_id, s.actor)).await?;
    match created {
        Some(org) => Ok(Json(json!(org))),
        None => Err(AppError::field(
            "alias",
            "An organization with this alias exists.",
        )),
    }
}
