//! The original's enrollment APIs: `/api/v{1,2,3}/enrollments/` (program enrollments are in
//! [`super::api_programs`]) and the Open edX webhooks. List endpoints run two SQL statements
//! (the catalog version check and one listing query, in one reader round trip); everything else
//! about runs comes from the snapshot. The v3 list is written from cached run fragments
//! ([`super::fragments`]).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fragments::RunFragments;
use super::model::Actor;
use super::shapes::{self, Version};
use super::store;
use super::{queries, service};
use crate::catalog::CatalogCache;
use crate::catalog::service::Params;
use crate::catalog::shapes::Ctx;
use crate::catalog::snapshot::Catalog;
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::json::ApiJson;
use crate::http::learner_api::LearnerApi;
use crate::http::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::http::session::CurrentUser;
use crate::state::AppState;

use super::openapi::{
    CourseRunEnrollmentV1, CourseRunEnrollmentV2, CourseRunEnrollmentV3, EnrollRequest,
    EnrollmentEmailsRequest, EnrollmentFilter, EnrollmentUpdateRequest,
};

pub use crate::catalog::api::Cache;

/// SQL statements run by enrollment reads (the bench divides it by [`REQUESTS`]).
pub const SQL_STATEMENTS: &str = "mitxonline_enrollment_sql_statements_total";
const SQL_HELP: &str = "SQL statements run by enrollment list/detail requests.";
pub const REQUESTS: &str = "mitxonline_enrollment_reads_total";
const REQUESTS_HELP: &str = "Enrollment list/detail loads.";

pub fn routes(cache: Arc<CatalogCache>, fragments: Arc<RunFragments>) -> Router<AppState> {
    Router::new()
        .route("/api/v1/enrollments/", get(list_v1).post(create_v1))
        .route(
            "/api/v1/enrollments/{id}/",
            get(detail_v1).put(put_v1).patch(patch_v1).delete(destroy),
        )
        .route("/api/v2/enrollments/", get(list_v2).post(create_v2))
        .route("/api/v2/enrollments/{id}/", get(detail_v2).delete(destroy))
        .route("/api/v3/enrollments/", get(list_v3).post(create_v3))
        .route("/api/v3/enrollments/{id}/", get(detail_v3).delete(destroy))
        .route(
            "/api/openedx_webhook/enrollment/",
            post(super::webhooks::enrollment),
        )
        .route(
            "/api/openedx_webhook/certificate/",
            post(super::webhooks::certificate),
        )
        .merge(super::api_programs::routes())
        .layer(Extension(cache))
        .layer(Extension(fragments))
}

/// What every listing needs: the snapshot, shaping context and the learner's active rows.
pub struct Loaded {
    pub cat: Arc<Catalog>,
    pub rows: Vec<store::Listed>,
    pub now: crate::catalog::model::Time,
    pub public_url: String,
    pub edx: String,
}

impl Loaded {
    /// Everything, including the dashboard's edX confirmation.
    pub async fn for_user(state: &AppState, cache: &CatalogCache, user_id: i64) -> Result<Loaded, AppError> {
        Self::load(state, cache, user_id, store::listing).await
    }

    /// What the APIs show ([`store::api_listing`]).
    pub async fn for_api(state: &AppState, cache: &CatalogCache, user_id: i64) -> Result<Loaded, AppError> {
        Self::load(state, cache, user_id, store::api_listing).await
    }

    async fn load(
        state: &AppState,
        cache: &CatalogCache,
        user_id: i64,
        listing: fn(&rusqlite::Connection, i64) -> rusqlite::Result<Vec<store::Listed>>,
    ) -> Result<Loaded, AppError> {
        // One reader round trip: the catalog version check and the learner's rows.
        let (cat, mut statements, mut rows) = cache.get_with(&state.db, move |c| listing(c, user_id)).await?;
        statements += 1;
        if rows.iter().any(|e| e.any_flexible_price) {
            // The few learners with an approved request: which of their courses it covers
            // (one more reader round trip, counted as one statement).
            let course_of = |e: &store::Listed| cat.run_by_id.get(&e.run_id).map(|&i| cat.runs[i].course_id);
            let courses: Vec<i64> = rows.iter().filter_map(course_of).collect();
            if let Some(p) =
                crate::pricing::service::learner_prices_now(state, user_id, courses, Vec::new()).await?
            {
                for e in &mut rows {
                    e.approved_flexible_price =
                        course_of(e).is_some_and(|co| p.approved_courses.contains(&co));
                }
            }
            statements += 1;
        }
        state.metrics.add(SQL_STATEMENTS, SQL_HELP, &[], statements);
        state.metrics.inc(REQUESTS, REQUESTS_HELP, &[]);
        Ok(Loaded {
            cat,
            rows,
            now: state.clock.now(),
            public_url: state.config.public_url.to_string(),
            edx: crate::catalog::api::edx_base(state),
        })
    }

    pub fn cx(&self) -> Ctx<'_> {
        Ctx {
            now: self.now,
            public_url: &self.public_url,
            edx_base: &self.edx,
            learner: None,
        }
    }

    fn shaped(&self, v: Version, keep: impl Fn(&store::Listed) -> bool) -> Vec<Value> {
        let cx = self.cx();
        self.rows
            .iter()
            .filter(|e| keep(e))
            .filter_map(|e| shapes::enrollment(&self.cat, e, &cx, v))
            .collect()
    }

    pub fn one(&self, id: i64, v: Version) -> Result<Value, AppError> {
        let cx = self.cx();
        self.rows
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| shapes::enrollment(&self.cat, e, &cx, v))
            .ok_or_else(AppError::not_found)
    }
}

/// The list filters: `exclude_b2b`, and `org_id` — only enrollments in runs of those
/// organizations' contracts (the B2B module says which contracts they have).
struct ListFilter {
    exclude_b2b: bool,
    org_contracts: Option<Vec<i64>>,
}

impl ListFilter {
    async fn parse(state: &AppState, q: Option<&str>) -> Result<ListFilter, AppError> {
        let params = Params::parse(q);
        let org_contracts = match params.ids("org_id")? {
            Some(orgs) => Some(crate::b2b::service::contracts_of_orgs(state, orgs).await?),
            None => None,
        };
        Ok(ListFilter {
            exclude_b2b: params.bool("exclude_b2b")?.unwrap_or(false),
            org_contracts,
        })
    }

    fn keeps(&self, cat: &Catalog, e: &store::Listed) -> bool {
        let b2b = cat
            .run_by_id
            .get(&e.run_id)
            .and_then(|&i| cat.runs[i].b2b_contract_id);
        if let Some(ks) = &self.org_contracts {
            return b2b.is_some_and(|k| ks.contains(&k));
        }
        !(self.exclude_b2b && b2b.is_some())
    }
}

async fn list(
    state: AppState,
    cache: &CatalogCache,
    user: i64,
    v: Version,
    q: Option<String>,
) -> Result<Json<Value>, AppError> {
    let filter = ListFilter::parse(&state, q.as_deref()).await?;
    let l = Loaded::for_api(&state, cache, user).await?;
    let out = l.shaped(v, |e| filter.keeps(&l.cat, e));
    Ok(Json(Value::Array(out)))
}

/// GET the learner's course-run enrollments (v1).
#[utoipa::path(get, path = "/api/v1/enrollments/", tag = "enrollments", operation_id = "enrollments_list",
    params(EnrollmentFilter),
    responses((status = 200, description = "The learner's active enrollments", body = Vec<CourseRunEnrollmentV1>),
        BadRequest, Unauthorized, Forbidden))]
pub async fn list_v1(r: LearnerApi, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    list(r.state, &r.cache, r.user.id, Version::V1, q).await
}
/// GET the learner's course-run enrollments (v2).
#[utoipa::path(get, path = "/api/v2/enrollments/", tag = "enrollments", operation_id = "user_enrollments_list_v2",
    params(EnrollmentFilter),
    responses((status = 200, description = "The learner's active enrollments", body = Vec<CourseRunEnrollmentV2>),
        BadRequest, Unauthorized, Forbidden))]
pub async fn list_v2(r: LearnerApi, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    list(r.state, &r.cache, r.user.id, Version::V2, q).await
}
/// v3 list: written straight to bytes from cached run fragments (see [`super::fragments`]).
#[utoipa::path(get, path = "/api/v3/enrollments/", tag = "enrollments", operation_id = "user_enrollments_list_v3",
    params(EnrollmentFilter),
    responses((status = 200, description = "The learner's active enrollments", body = Vec<CourseRunEnrollmentV3>),
        BadRequest, Unauthorized, Forbidden))]
pub async fn list_v3(
    State(s): State<AppState>,
    Extension(c): Cache,
    Extension(fragments): Extension<Arc<RunFragments>>,
    CurrentUser(u): CurrentUser,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let filter = ListFilter::parse(&s, q.as_deref()).await?;
    let l = Loaded::for_api(&s, &c, u.id).await?;
    let rows = l.rows.iter().filter(|e| filter.keeps(&l.cat, e));
    let body = fragments.v3_list(&l.cat, rows, &l.cx());
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn detail(
    state: AppState,
    cache: &CatalogCache,
    user: i64,
    id: &str,
    v: Version,
) -> Result<Json<Value>, AppError> {
    let id = crate::http::extract::path_id(id)?;
    let l = Loaded::for_api(&state, cache, user).await?;
    Ok(Json(l.one(id, v)?))
}

/// GET one of the learner's active enrollments (v1).
#[utoipa::path(get, path = "/api/v1/enrollments/{id}/", tag = "enrollments", operation_id = "enrollments_retrieve_v1",
    params(("id" = i64, Path, description = "The enrollment")),
    responses((status = 200, description = "The enrollment", body = CourseRunEnrollmentV1),
        Unauthorized, Forbidden, NotFound))]
pub async fn detail_v1(r: LearnerApi, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    detail(r.state, &r.cache, r.user.id, &id, Version::V1).await
}
/// GET one of the learner's active enrollments (v2).
#[utoipa::path(get, path = "/api/v2/enrollments/{id}/", tag = "enrollments", operation_id = "user_enrollments_retrieve_v2",
    params(("id" = i64, Path, description = "The enrollment")),
    responses((status = 200, description = "The enrollment", body = CourseRunEnrollmentV2),
        Unauthorized, Forbidden, NotFound))]
pub async fn detail_v2(r: LearnerApi, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    detail(r.state, &r.cache, r.user.id, &id, Version::V2).await
}
/// GET one of the learner's active enrollments (v3).
#[utoipa::path(get, path = "/api/v3/enrollments/{id}/", tag = "enrollments", operation_id = "enrollments_retrieve",
    params(("id" = i64, Path, description = "The enrollment")),
    responses((status = 200, description = "The enrollment", body = CourseRunEnrollmentV3),
        Unauthorized, Forbidden, NotFound))]
pub async fn detail_v3(r: LearnerApi, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    detail(r.state, &r.cache, r.user.id, &id, Version::V3).await
}

#[derive(Deserialize)]
pub struct CreateBody {
    run_id: Option<Value>,
}

pub(super) fn int_field(v: Option<&Value>, name: &str) -> Result<i64, AppError> {
    match v {
        None | Some(Value::Null) => Err(AppError::field(name, "This field is required.")),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| AppError::field(name, "A valid integer is required.")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| AppError::field(name, "A valid integer is required.")),
        Some(_) => Err(AppError::field(name, "A valid integer is required.")),
    }
}

async fn create(
    state: AppState,
    cache: &CatalogCache,
    user: i64,
    body: CreateBody,
    v: Version,
) -> Result<Response, AppError> {
    let run_id = int_field(body.run_id.as_ref(), "run_id")?;
    let e = queries::enroll_self(&state, user, run_id).await?;
    let l = Loaded::for_api(&state, cache, user).await?;
    Ok((StatusCode::CREATED, Json(l.one(e.id, v)?)).into_response())
}

/// POST `{run_id}`: enrolls the learner in the run (audit), or re-activates their enrollment.
#[utoipa::path(post, path = "/api/v1/enrollments/", tag = "enrollments", operation_id = "enrollments_create",
    request_body = EnrollRequest,
    responses((status = 201, description = "The enrollment", body = CourseRunEnrollmentV1),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn create_v1(r: LearnerApi, ApiJson(b): ApiJson<CreateBody>) -> Result<Response, AppError> {
    create(r.state, &r.cache, r.user.id, b, Version::V1).await
}
/// POST `{run_id}`: enrolls the learner in the run (audit), or re-activates their enrollment.
#[utoipa::path(post, path = "/api/v2/enrollments/", tag = "enrollments", operation_id = "user_enrollments_create_v2",
    request_body = EnrollRequest,
    responses((status = 201, description = "The enrollment", body = CourseRunEnrollmentV2),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn create_v2(r: LearnerApi, ApiJson(b): ApiJson<CreateBody>) -> Result<Response, AppError> {
    create(r.state, &r.cache, r.user.id, b, Version::V2).await
}
/// POST `{run_id}`: enrolls the learner in the run (audit), or re-activates their enrollment.
#[utoipa::path(post, path = "/api/v3/enrollments/", tag = "enrollments", operation_id = "user_enrollments_create_v3",
    request_body = EnrollRequest,
    responses((status = 201, description = "The enrollment", body = CourseRunEnrollmentV3),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn create_v3(r: LearnerApi, ApiJson(b): ApiJson<CreateBody>) -> Result<Response, AppError> {
    create(r.state, &r.cache, r.user.id, b, Version::V3).await
}

#[derive(Deserialize)]
pub struct PatchBody {
    receive_emails: Option<Value>,
}

/// A boolean field of a request body; `None` when absent or null.
fn bool_field(v: Option<&Value>, name: &str) -> Result<Option<bool>, AppError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AppError::field(name, "Must be a valid boolean.")),
    }
}

/// Sets the course email subscription of the learner's enrollment `id` (when `subscribe` is
/// given) and answers the enrollment in the v1 shape.
async fn subscribe_and_show(
    state: &AppState,
    cache: &CatalogCache,
    user: i64,
    id: i64,
    subscribe: Option<bool>,
) -> Result<Json<Value>, AppError> {
    if let Some(subscribe) = subscribe {
        state
            .write_queued(move |c, now| {
                service::set_receive_emails(c, now, user, id, subscribe, &Actor::user(user))
            })
            .await?;
    }
    let l = Loaded::for_api(state, cache, user).await?;
    Ok(Json(l.one(id, Version::V1)?))
}

/// PATCH `{receive_emails}`: subscribe or unsubscribe from the course's emails.
#[utoipa::path(patch, path = "/api/v1/enrollments/{id}/", tag = "enrollments", operation_id = "enrollments_partial_update",
    params(("id" = i64, Path, description = "The enrollment")),
    request_body = EnrollmentEmailsRequest,
    responses((status = 200, description = "The enrollment", body = CourseRunEnrollmentV1),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn patch_v1(
    r: LearnerApi,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> Result<Json<Value>, AppError> {
    let id = crate::http::extract::path_id(&id)?;
    let subscribe = bool_field(body.receive_emails.as_ref(), "receive_emails")?
        .ok_or_else(|| AppError::field("receive_emails", "This field is required."))?;
    subscribe_and_show(&r.state, &r.cache, r.user.id, id, Some(subscribe)).await
}

/// PUT `{run_id, edx_emails_subscription?}` (the contract's `CourseRunEnrollmentRequest`):
/// `run_id` must name the enrollment's own run (an enrollment never moves to another run,
/// unlike the original's default update); the subscription is set when given.
#[utoipa::path(put, path = "/api/v1/enrollments/{id}/", tag = "enrollments", operation_id = "enrollments_update",
    params(("id" = i64, Path, description = "The enrollment")),
    request_body = EnrollmentUpdateRequest,
    responses((status = 200, description = "The enrollment", body = CourseRunEnrollmentV1),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn put_v1(
    r: LearnerApi,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, AppError> {
    let id = crate::http::extract::path_id(&id)?;
    let (own, _) = queries::own_enrollment(&r.state, r.user.id, id).await?;
    let run = int_field(body.get("run_id"), "run_id")?;
    if run != own.run_id {
        return Err(AppError::field(
            "run_id",
            "An enrollment cannot be moved to another run.",
        ));
    }
    let subscribe = bool_field(body.get("edx_emails_subscription"), "edx_emails_subscription")?;
    subscribe_and_show(&r.state, &r.cache, r.user.id, id, subscribe).await
}

/// DELETE: unenroll locally at once; edX follows through the outbox. 204.
#[utoipa::path(delete, path = "/api/v1/enrollments/{id}/", tag = "enrollments", operation_id = "enrollments_destroy",
    params(("id" = i64, Path, description = "The enrollment")),
    responses((status = 204, description = "Unenrolled"), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn destroy(
    State(state): State<AppState>,
    CurrentUser(u): CurrentUser,
    PathId(id): PathId,
) -> Result<StatusCode, AppError> {
    queries::unenroll_own(&state, u.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"detail": ...}` helper for handlers that answer with a message.
pub fn detail_json(msg: &str) -> Json<Value> {
    Json(json!({ "detail": msg }))
}
