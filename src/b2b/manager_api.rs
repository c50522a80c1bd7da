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
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::B2bError;
use super::mailgun;
use super::manager::{self, Acting, BulkAssigned, Invite, ManagerCode};
use super::manager_reads::{self as reads, CodeFilter, ManagerContract, ManagerEnrollment};
use super::model::Contract;
use super::shapes::{self, ManagerRun, OrganizationShape};
use crate::catalog::service::Params;
use crate::commerce::openapi::{Conflict, ErrorBody, Page, Refusals};
use crate::http::AppError;
use crate::http::scopes::Scopes;
use crate::http::session::{CurrentUser, Identity, Via};
use crate::state::AppState;
use crate::users::store::User;

const PAGE: usize = 25;

/// DRF's `{count, next, previous, results}` with `page` and `page_size` (≤ 100).
fn paginate<T>(state: &AppState, uri: &Uri, items: Vec<T>) -> Result<Json<Page<T>>, AppError> {
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
    let results = items.into_iter().skip((page - 1) * size).take(size).collect();
    Ok(Json(Page {
        count: count as i64,
        next: (page < pages).then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
        results,
    }))
}

/// Page-number paging (25 a page, `page_size` at most 100).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents the query the handlers read through Params")]
pub struct PageNumber {
    /// From 1.
    page: Option<u32>,
    /// 1 to 100; default 25.
    page_size: Option<u32>,
}

/// A contract of a managed organization, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "documents the path OnContract reads")]
pub struct ContractPath {
    /// The organization.
    org: i64,
    /// The contract.
    id: i64,
}

/// A code of a contract of a managed organization, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code, reason = "documents the path OnContract reads")]
pub struct CodePath {
    /// The organization.
    org: i64,
    /// The contract.
    id: i64,
    /// The code.
    code: String,
}

/// `GET manager/organizations/` (`?sso_organization_id=` narrows).
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/", tag = "b2b", operation_id = "b2b_manager_organizations_list",
    params(PageNumber, ("sso_organization_id" = Option<String>, Query, description = "Only the organization with this Keycloak id")),
    responses((status = 200, description = "The organizations the caller manages", body = Page<OrganizationShape>), Refusals))]
pub async fn organizations(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    uri: Uri,
) -> Result<Json<Page<OrganizationShape>>, AppError> {
    let sso = Params::parse(uri.query())
        .text("sso_organization_id")
        .map(str::to_owned);
    let items = reads::organizations(&state, u, sso).await?;
    paginate(&state, &uri, items)
}

/// `GET manager/organizations/{org}/`.
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/{org}/", tag = "b2b", operation_id = "b2b_manager_organizations_detail",
    params(("org" = i64, Path, description = "The organization")),
    responses((status = 200, description = "The organization with its active contracts", body = OrganizationShape), Refusals))]
pub async fn organization(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(org): Path<i64>,
) -> Result<Json<OrganizationShape>, AppError> {
    Ok(Json(reads::organization(&state, u, org).await?))
}

/// `GET manager/organizations/{org}/contracts/`.
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/{org}/contracts/", tag = "b2b", operation_id = "b2b_manager_organizations_contracts_list",
    params(("org" = i64, Path, description = "The organization"), PageNumber),
    responses((status = 200, description = "The organization's contracts with their statistics", body = Page<ManagerContract>), Refusals))]
pub async fn contracts(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(org): Path<i64>,
    uri: Uri,
) -> Result<Json<Page<ManagerContract>>, AppError> {
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

/// `GET manager/organizations/{org}/contracts/{id}/`.
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/", tag = "b2b", operation_id = "b2b_manager_organizations_contracts_retrieve",
    params(ContractPath),
    responses((status = 200, description = "The contract with its statistics", body = ManagerContract), Refusals))]
pub async fn contract(on: OnContract) -> Result<Json<ManagerContract>, AppError> {
    Ok(Json(reads::contract(&on.state, on.user, on.org, on.id).await?))
}

/// `…/contracts/{id}/course_runs/`: `ManagerCourseRun`s.
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/course_runs/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_course_runs_list",
    params(ContractPath, PageNumber),
    responses((status = 200, description = "The contract's runs", body = Page<ManagerRun>), Refusals))]
pub async fn course_runs(
    on: OnContract,
    axum::Extension(cache): super::api::Cache,
    uri: Uri,
) -> Result<Json<Page<ManagerRun>>, AppError> {
    let runs = reads::course_runs(&on.state, on.user, on.org, on.id).await?;
    let (cat, _) = cache.get(&on.state.db).await?;
    let items = runs
        .iter()
        .filter_map(|r| cat.run_by_id.get(r).map(|&i| shapes::manager_run(&cat.runs[i])))
        .collect();
    paginate(&on.state, &uri, items)
}

/// `…/course_runs/{run_key}/enrollments/`.
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/course_runs/{key}/enrollments/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_course_runs_enrollments_list",
    params(("org" = i64, Path, description = "The organization"), ("id" = i64, Path, description = "The contract"),
        ("key" = String, Path, description = "The run's courseware id or id"), PageNumber),
    responses((status = 200, description = "The run's enrollments", body = Page<ManagerEnrollment>), Refusals))]
pub async fn run_enrollments(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path((org, id, key)): Path<(i64, i64, String)>,
    uri: Uri,
) -> Result<Json<Page<ManagerEnrollment>>, AppError> {
    let items = reads::run_enrollments(&state, u, org, id, key).await?;
    paginate(&state, &uri, items)
}

/// `…/contracts/{id}/codes/?search_term=&status=assigned|redeemed|failed`.
#[utoipa::path(get, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_list",
    params(ContractPath, PageNumber,
        ("search_term" = Option<String>, Query, description = "In the assigned email or name, or who redeemed it"),
        ("status" = Option<String>, Query, description = "`assigned`, `redeemed` or `failed`")),
    responses((status = 200, description = "The assigned and claimed codes", body = Page<ManagerCode>), Refusals))]
pub async fn codes(on: OnContract, uri: Uri) -> Result<Json<Page<ManagerCode>>, AppError> {
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

/// Whom to send a code to.
#[derive(serde::Deserialize, ToSchema)]
pub struct Assignee {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

fn assignee(body: &[u8]) -> Result<Assignee, AppError> {
    serde_json::from_slice(body).map_err(|_| AppError::BadRequest("Invalid request data.".into()))
}

async fn invite(on: OnContract, body: &[u8], how: Invite) -> Result<Json<ManagerCode>, AppError> {
    let a = assignee(body)?;
    on.run(move |c, k, code, who, now| manager::invite_in(c, k, code, how, (&a.email, &a.name), who, now))
        .await
}

/// `…/codes/{code}/assign/` {email, name}: the code is sent.
#[utoipa::path(post, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/assign/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_assign_create",
    params(CodePath),
    request_body = Assignee,
    responses((status = 200, description = "The code as assigned", body = ManagerCode), Refusals, Conflict))]
pub async fn assign(on: OnContract, body: Bytes) -> Result<Json<ManagerCode>, AppError> {
    invite(on, &body, Invite::Assign).await
}

/// `…/codes/{code}/reassign/` {email, name}: to someone else.
#[utoipa::path(put, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/reassign/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_reassign_update",
    params(CodePath),
    request_body = Assignee,
    responses((status = 200, description = "The code as reassigned", body = ManagerCode), Refusals, Conflict))]
pub async fn reassign(on: OnContract, body: Bytes) -> Result<Json<ManagerCode>, AppError> {
    invite(on, &body, Invite::Reassign).await
}

/// `…/codes/{code}/revoke/`: the assignment goes and the code rotates.
#[utoipa::path(delete, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/revoke/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_revoke_destroy",
    params(CodePath),
    responses((status = 200, description = "The new, unassigned code", body = ManagerCode), Refusals, Conflict))]
pub async fn revoke(on: OnContract) -> Result<Json<ManagerCode>, AppError> {
    on.run(manager::revoke_in).await
}

/// `…/codes/{code}/remind/`: the invite again.
#[utoipa::path(post, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/{code}/remind/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_remind_create",
    params(CodePath),
    responses((status = 200, description = "The code, reminded", body = ManagerCode), Refusals, Conflict))]
pub async fn remind(on: OnContract) -> Result<Json<ManagerCode>, AppError> {
    on.run(manager::remind_in).await
}

/// `…/codes/bulk_assign/` [{email, name}…]: one free code each.
#[utoipa::path(post, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/bulk_assign/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_bulk_assign_create",
    params(ContractPath),
    request_body = Vec<Assignee>,
    responses((status = 200, description = "The codes sent and the records refused", body = BulkAssigned), Refusals, Conflict))]
pub async fn bulk_assign(on: OnContract, body: Bytes) -> Result<Json<BulkAssigned>, AppError> {
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

/// `…/codes/send_test_email/` {email}: a sample invite.
#[utoipa::path(post, path = "/api/v0/b2b/manager/organizations/{org}/contracts/{id}/codes/send_test_email/", tag = "b2b",
    operation_id = "b2b_manager_organizations_contracts_codes_send_test_email_create",
    params(ContractPath),
    request_body = Assignee,
    responses((status = 200, description = "Sent (an empty body)"), Refusals))]
pub async fn send_test_email(on: OnContract, body: Bytes) -> Result<Response, AppError> {
    let a = assignee(&body)?;
    let Json(()) = on
        .run(move |c, k, _, who, now| manager::send_test_email_in(c, k, &a.email, who, now))
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /api/v0/b2b/webhook`: Mailgun events; always 200.
#[utoipa::path(post, path = "/api/v0/b2b/webhook", tag = "b2b", operation_id = "b2b_webhook_create",
    request_body(content = Object, description = "A Mailgun event, free-form: Mailgun's own format"),
    responses((status = 200, description = "Received (an empty body)")))]
pub async fn webhook(State(state): State<AppState>, body: axum::body::Bytes) -> StatusCode {
    let outcome = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => mailgun::process(&state, &v).await,
        Err(_) => mailgun::Outcome::Malformed,
    };
    tracing::info!(outcome = ?outcome, "Mailgun webhook");
    StatusCode::OK
}

/// `GET service/organization-manager-check/?sso_organization_id=&user_global_id=`: only for an
/// Whether someone manages an organization.
#[derive(Serialize, ToSchema)]
pub struct ManagerCheck {
    pub is_manager: bool,
}

/// OAuth2 application token with the `b2b:manager-check` scope; anything else is refused.
#[utoipa::path(get, path = "/api/v0/b2b/service/organization-manager-check/", tag = "b2b", operation_id = "b2b_service_organization_manager_check",
    params(("sso_organization_id" = String, Query, description = "The Keycloak organization"),
        ("user_global_id" = String, Query, description = "The Keycloak user")),
    responses((status = 200, description = "Whether the user manages the organization", body = ManagerCheck),
        (status = 400, description = "A parameter is missing", body = ErrorBody),
        (status = 403, description = "Not an application token with the scope", body = ErrorBody)))]
pub async fn manager_check(
    State(state): State<AppState>,
    id: Identity,
    RawQuery(q): RawQuery,
) -> Result<Json<ManagerCheck>, AppError> {
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
    Ok(Json(ManagerCheck { is_manager }))
}
