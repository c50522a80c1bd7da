//! The staff faces of sandbox outages: the "Simulate an outage" form each sandbox page shows
//! ([`section`]), its handler (`POST /staff/sandbox/faults/{partner}/`, back to the page) and the
//! JSON API (`POST /api/v0/staff/sandbox/faults/{partner}/` with `{"kind", "seconds"}`, answering
//! what is in force). Only for a partner whose sandbox is in use; otherwise 404.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::{Fault, active, parse_request, set};
use crate::http::auth::StaffAccess;
use crate::http::json::ApiJson;
use crate::http::staff_page::StaffPage;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/sandbox/faults/{partner}/", post(set_by_form))
        .route("/api/v0/staff/sandbox/faults/{partner}/", post(set_by_api))
}

/// The partners that take faults: (name, its sandbox's staff page), when their sandbox is in use.
fn partner(state: &AppState, name: &str) -> Result<(&'static str, &'static str), AppError> {
    let found = match name {
        "openedx" if state.config.openedx_sandbox() => Some(("openedx", "/staff/openedx/sandbox/")),
        "hubspot" if state.config.hubspot.access_token.is_none() && state.config.sandbox_allowed() => {
            Some(("hubspot", "/staff/sandbox/hubspot/"))
        }
        _ => None,
    };
    found.ok_or_else(AppError::not_found)
}

/// What is in force for `partner` now, for its sandbox page.
pub async fn in_force(state: &AppState, partner: &'static str) -> Result<Option<(Fault, String)>, AppError> {
    let now = state.clock.now();
    Ok(state.db.read(move |c| active(c, partner, now)).await?)
}

/// The "Simulate an outage" section of a sandbox page.
pub fn section(ctx: &PageCtx, partner: &str, label: &str, fault: Option<&(Fault, String)>) -> Markup {
    html! {
        h2 { "Simulate an outage" }
        @match fault {
            Some((f, until)) => p class="notice" role="status" { "In force until " (until) ": " (f.label()) "." },
            None => p { "Healthy: calls are answered as " (label) " would." },
        }
        form method="post" action=(ctx.prefix.url(&format!("/staff/sandbox/faults/{partner}/"))) {
            (ctx.csrf_field())
            div class="field" {
                label for="fault-kind" { "What " (label) " does" }
                select id="fault-kind" name="kind" {
                    option value="none" { "Healthy again (end the outage)" }
                    @for f in Fault::ALL { option value=(f.as_str()) { (f.label()) } }
                }
            }
            div class="field" {
                label for="fault-seconds" { "For how many seconds (1–3600)" }
                input id="fault-seconds" type="number" name="seconds" min="1" max="3600" value="60";
            }
            button type="submit" { "Apply" }
        }
    }
}

/// POST `/staff/sandbox/faults/{partner}/`: switches an outage on (or off), then back to the page.
async fn set_by_form(
    r: StaffPage,
    Path(name): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (partner, page) = partner(&r.state, &name)?;
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (fault, seconds) =
        parse_request(get("kind").unwrap_or(""), get("seconds")).map_err(|(f, m)| AppError::field(f, m))?;
    set(&r.state, r.access.actor.clone(), partner, fault, seconds).await?;
    Ok(Redirect::to(&r.ctx.prefix.url(page)).into_response())
}

#[derive(Deserialize)]
struct FaultInput {
    kind: String,
    seconds: Option<Value>,
}

/// POST `/api/v0/staff/sandbox/faults/{partner}/`: `{"kind": "down"|"slow"|"error"|"throttle"|
/// "garbage"|"none", "seconds": 1..3600}`; answers what is in force.
async fn set_by_api(
    State(state): State<AppState>,
    staff: StaffAccess,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<FaultInput>,
) -> Result<Json<Value>, AppError> {
    let (partner, _) = partner(&state, &name)?;
    let seconds = input.seconds.as_ref().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let (fault, seconds) =
        parse_request(&input.kind, seconds.as_deref()).map_err(|(f, m)| AppError::field(f, m))?;
    set(&state, staff.actor, partner, fault, seconds).await?;
    Ok(Json(match in_force(&state, partner).await? {
        Some((f, until)) => serde_json::json!({ "kind": f.as_str(), "until": until }),
        None => serde_json::json!({ "kind": null }),
    }))
}
