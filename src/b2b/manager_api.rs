//! Manager JSON at `/api/v0/b2b/manager/organizations/…` (page-number pagination, 25 a page),
//! the Mailgun webhook and the service-to-service manager check.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::error::B2bError;
use super::mailgun;
use super::manager::{self, Acting, Invite};
use super::manager_reads::{self as reads, CodeFilter};
use super::model::Contract;
use super::shapes;
use crate::catalog::service::Params;
use crate::http::AppError;
use crate::http::scopes::Scopes;
use crate::http::session::{CurrentUser, Identity, Via};
use crate::state::AppState;
use crate::users::store::User;

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

/// A manager call on one contract (and, for code operations, one code): who calls and the
/// path's ids, extracted as the separate `CurrentUser` and `Path` extractors would.
pub struct OnContract {
    state: AppState,
    user: User,
    org: i64,
    id: i64,
    code: String,
}

#[derive(serde::Deserialize)]
struct Ids {
    org: i64,
    id: i64,
    #[serde(default)]
    code: String,
}

impl FromRequestParts<AppState> for OnContract {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(ids) = Path::<Ids>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(OnContract {
            state: state.clone(),
            user,
            org: ids.org,
            id: ids.id,
            code: ids.code,
        })
    }
}

impl OnContract {
    /// Runs one operation of [`manager`] on the managed contract (see [`reads::code_op`]).
    async fn run<T: Send + 'static>(
        self,
        f: impl FnOnce(&Connection, &Contract, &str, &Acting, DateTime<Utc>) -> Result<T, B2bError>
        + Send
        + 'static,
    ) -> Result<Json<T>, AppError> {
        let code = self.code;
        let out = reads::code_op(
            &self.state,
            self.user,
            self.org,
            self.id,
            move |c, k, who, now| f(c, k, &code, who, now),
        )
        .await?;
        Ok(Json(out))
    }
}

pub async fn contract(on: OnContract) -> Result<Json<Value>, AppError> {
    Ok(Json(reads::contract(&on.state, on.user, on.org, on.id).await?))
}

/// `…/contracts/{id}/course_runs/`: `ManagerCourseRun`s.
pub async fn course_runs(
    on: OnContract,
    axum::Extension(cache): super::api::Cache,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let runs = reads::course_runs(&on.state, on.user, on.org, on.id).await?;
    let (cat, _) = cache.get(&on.state.db).await?;
    let items = runs
        .iter()
        .filter_map(|r| cat.run_by_id.get(r).map(|&i| shapes::manager_run(&cat.runs[i])))
        .collect();
    paginate(&on.state, &uri, items)
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
pub async fn codes(on: OnContract, uri: Uri) -> Result<Json<Value>, AppError> {
    let p = Params::parse(uri.query());
    let f = CodeFilter {
        search: p.get("search_term").unwrap_or_default().to_owned(),
        status: p.get("status").unwrap_or_default().trim().to_owned(),
    };
    if !["", "assigned", "redeemed", "failed"].contains(&f.status.as_str()) {
        return Err(AppError::field("status", "Choose assigned, redeemed or failed."));
    }
    let items = reads::codes(&on.state, on.user, on.org, on.id, f).await?;
    paginate(&on.state, &uri, items)
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

async fn invite(on: OnContract, body: &[u8], how: Invite) -> Result<Json<Value>, AppError> {
    let a = assignee(body)?;
    on.run(move |c, k, code, who, now| manager::invite_in(c, k, code, how, (&a.email, &a.name), who, now))
        .await
}

pub async fn assign(on: OnContract, body: Bytes) -> Result<Json<Value>, AppError> {
    invite(on, &body, Invite::Assign).await
}

pub async fn reassign(on: OnContract, body: Bytes) -> Result<Json<Value>, AppError> {
    invite(on, &body, Invite::Reassign).await
}

pub async fn revoke(on: OnContract) -> Result<Json<Value>, AppError> {
    on.run(manager::revoke_in).await
}

pub async fn remind(on: OnContract) -> Result<Json<Value>, AppError> {
    on.run(manager::remind_in).await
}

pub async fn bulk_assign(on: OnContract, body: Bytes) -> Result<Json<Value>, AppError> {
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
    on.run(move |c, k, _, who, now| manager::bulk_assign_in(c, k, &records, who, now))
        .await
}

pub async fn send_test_email(on: OnContract, body: Bytes) -> Result<Response, AppError> {
    let a = assignee(&body)?;
    let Json(()) = on
        .run(move |c, k, _, who, now| manager::send_test_email_in(c, k, &a.email, who, now))
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
