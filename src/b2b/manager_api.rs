//! Manager JSON at `/api/v0/b2b/manager/organizations/…` (page-number pagination, 25 a page),
//! the Mailgun webhook and the service-to-service manager check.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::mailgun;
use super::manager;
use super::manager_reads::{self as reads, CodeFilter};
use crate::catalog::service::Params;
use crate::http::AppError;
use crate::http::scopes::Scopes;
use crate::http::session::{CurrentUser, Identity, Via};
use crate::state::AppState;

const PAGE: usize = 25;

/// DRF's `{count, next, previous, results}` with `page` and `page_size` (≤ 100).
fn paginate(state: &AppState, uri: &Uri, items: Vec<Value>) -> Result<Json<Value>, AppError> {
    let p = Params::parse(uri.query());
    let size = match p.text("page_size") {
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| AppError::field("page_size", "Enter a whole number from 1 to 100."))?,
        None => PAGE,
    };
    let page = match p.text("page") {
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::NotFound("Invalid page.".into()))?,
        None => 1,
    };
    let pages = items.len().div_ceil(size).max(1);
    if page > pages {
        return Err(AppError::NotFound("Invalid page.".into()));
    }
    let link = |n: usize| {
        state
            .config
            .absolute_url(&format!("{}?page={n}&page_size={size}", uri.path()))
    };
    let count = items.len();
    let results: Vec<Value> = items.into_iter().skip((page - 1) * size).take(size).collect();
    Ok(Json(json!({
        "count": count,
        "next": (page < pages).then(|| link(page + 1)),
        "previous": (page > 1).then(|| link(page - 1)),
        "results": results,
    })))
}

/// `GET manager/organizations/` (`?sso_organization_id=` narrows).
pub async fn organizations(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let sso = Params::parse(uri.query())
        .text("sso_organization_id")
        .map(str::to_owned);
    let items = reads::organizations(&state, u, sso).await?;
    paginate(&state, &uri, items)
}

pub async fn organization(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(org): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(reads::organization(&state, u, org).await?))
}

pub async fn contracts(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(org): Path<i64>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let items = reads::contracts(&state, u, org).await?;
    paginate(&state, &uri, items)
}

pub async fn contract(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(reads::contract(&state, u, org, id).await?))
}

/// `…/contracts/{id}/course_runs/`.
pub async fn course_runs(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id)): Path<(i64, i64)>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let items = reads::course_runs(&state, u, org, id).await?;
    paginate(&state, &uri, items)
}

/// `…/course_runs/{run_key}/enrollments/`.
pub async fn run_enrollments(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id, key)): Path<(i64, i64, String)>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let items = reads::run_enrollments(&state, u, org, id, key).await?;
    paginate(&state, &uri, items)
}

/// `…/contracts/{id}/codes/?search_term=&status=assigned|redeemed|failed`.
pub async fn codes(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id)): Path<(i64, i64)>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let p = Params::parse(uri.query());
    let f = CodeFilter {
        search: p.get("search_term").unwrap_or_default().to_owned(),
        status: p.get("status").unwrap_or_default().trim().to_owned(),
    };
    if !["", "assigned", "redeemed", "failed"].contains(&f.status.as_str()) {
        return Err(AppError::field("status", "Choose assigned, redeemed or failed."));
    }
    let items = reads::codes(&state, u, org, id, f).await?;
    paginate(&state, &uri, items)
}

#[derive(serde::Deserialize)]
pub struct Assignee {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

fn assignee(body: &[u8]) -> Result<Assignee, AppError> {
    serde_json::from_slice(body).map_err(|_| AppError::BadRequest("Invalid request data.".into()))
}

pub async fn assign(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id, code)): Path<(i64, i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let a = assignee(&body)?;
    Ok(Json(
        reads::code_op(&state, u, org, id, move |c, k, who, now| {
            manager::assign_in(c, k, &code, &a.email, &a.name, who, now)
        })
        .await?,
    ))
}

pub async fn reassign(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id, code)): Path<(i64, i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let a = assignee(&body)?;
    Ok(Json(
        reads::code_op(&state, u, org, id, move |c, k, who, now| {
            manager::reassign_in(c, k, &code, &a.email, &a.name, who, now)
        })
        .await?,
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id, code)): Path<(i64, i64, String)>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        reads::code_op(&state, u, org, id, move |c, k, who, now| {
            manager::revoke_in(c, k, &code, who, now)
        })
        .await?,
    ))
}

pub async fn remind(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id, code)): Path<(i64, i64, String)>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        reads::code_op(&state, u, org, id, move |c, k, who, now| {
            manager::remind_in(c, k, &code, who, now)
        })
        .await?,
    ))
}

pub async fn bulk_assign(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let list: Vec<Assignee> =
        serde_json::from_slice(&body).map_err(|_| AppError::BadRequest("Invalid request data.".into()))?;
    let mut seen = Vec::new();
    let mut records = Vec::new();
    for a in list {
        if !seen.contains(&a.email.to_lowercase()) {
            seen.push(a.email.to_lowercase());
            records.push((a.email, a.name));
        }
    }
    Ok(Json(
        reads::code_op(&state, u, org, id, move |c, k, who, now| {
            manager::bulk_assign_in(c, k, &records, who, now)
        })
        .await?,
    ))
}

pub async fn send_test_email(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let a = assignee(&body)?;
    reads::code_op(&state, u, org, id, move |c, k, who, now| {
        manager::send_test_email_in(c, k, &a.email, who, now)
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /api/v0/b2b/webhook`: Mailgun events; always 200.
pub async fn webhook(State(state): State<AppState>, body: axum::body::Bytes) -> StatusCode {
    let outcome = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => mailgun::process(&state, &v).await,
        Err(_) => mailgun::Outcome::Malformed,
    };
    tracing::info!(outcome = ?outcome, "Mailgun webhook");
    StatusCode::OK
}

/// `GET service/organization-manager-check/?sso_organization_id=&user_global_id=`: only for an
/// OAuth2 application token with the `b2b:manager-check` scope; anything else is refused.
pub async fn manager_check(
    State(state): State<AppState>,
    id: Identity,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, AppError> {
    match id.via {
        Via::OAuth2 { scopes } if scopes.intersects(Scopes::B2B_MANAGER_CHECK) => {}
        _ => {
            return Err(AppError::Forbidden(
                "This endpoint needs an application token with the b2b:manager-check scope.".into(),
            ));
        }
    }
    let p = Params::parse(q.as_deref());
    let sso = p
        .text("sso_organization_id")
        .ok_or_else(|| AppError::field("sso_organization_id", "This field is required."))?
        .to_owned();
    let gid = p
        .text("user_global_id")
        .ok_or_else(|| AppError::field("user_global_id", "This field is required."))?
        .to_owned();
    let is_manager = reads::is_manager(&state, sso, gid).await?;
    Ok(Json(json!({ "is_manager": is_manager })))
}
