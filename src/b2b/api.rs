//! Learner and public B2B JSON at the original's paths: attach with a code, enroll in a
//! contract run, organizations and contracts (public reads, as `IsAdminOrReadOnly`), a
//! contract's variant runs, and `/api/v3/courses/variant_runs/`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::B2bError;
use super::shapes::{ContractShape, OrganizationShape};
use super::{enroll, reads, service};
use crate::catalog::CatalogCache;
use crate::catalog::openapi::BaseCourseRun;
use crate::catalog::service::Params;
use crate::commerce::openapi::{Conflict, Refusals};
use crate::http::AppError;
use crate::http::openapi::ErrorBody;
use crate::http::session::CurrentUser;
use crate::state::AppState;

pub type Cache = axum::Extension<Arc<CatalogCache>>;

/// `POST /api/v0/b2b/attach/{code}/`: 201 attached, 200 already, 404 invalid, 409 full.
#[utoipa::path(post, path = "/api/v0/b2b/attach/{code}/", tag = "b2b", operation_id = "b2b_attach_create",
    params(("code" = String, Path, description = "An enrollment code")),
    responses((status = 201, description = "Attached: the contract joined", body = Vec<ContractShape>),
        (status = 200, description = "Attached already", body = Vec<ContractShape>), Refusals, Conflict))]
pub async fn attach(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let (how, contracts) = service::attach(&state, &user, code).await?;
    let status = match how {
        service::Attached::Created => StatusCode::CREATED,
        service::Attached::Already => StatusCode::OK,
    };
    Ok((status, Json(contracts)).into_response())
}

/// The order of a B2B enrollment: its id, or `""` when none was needed.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OrderOrNone {
    Id(i64),
    None(String),
}

/// An enrollment's outcome: `result` names it (`b2b-enroll-success` with the order, or why
/// not, with the `price` when the contract charges one).
#[derive(Serialize, ToSchema)]
pub struct EnrollOutcome {
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderOrNone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

/// What a 400 from enroll holds: why the learner was not enrolled, or a body that could not
/// be read (`{"detail": "JSON parse error."}`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code, reason = "the document's shape of a 400; never built")]
#[serde(untagged)]
pub enum EnrollRefusal {
    NotEnrolled(EnrollOutcome),
    Invalid(crate::commerce::openapi::ErrorBody),
}

/// An enrollment's optional body.
#[derive(serde::Deserialize, ToSchema)]
pub struct EnrollBody {
    /// The program the run is taken for.
    pub program_id: Option<String>,
}

/// `POST /api/v0/b2b/enroll/{run_key}/` `{program_id?}`: 201 `{result: "b2b-enroll-success",
/// order}` or 400 `{result, price?}`.
#[utoipa::path(post, path = "/api/v0/b2b/enroll/{run_key}/", tag = "b2b", operation_id = "b2b_enroll_create",
    params(("run_key" = String, Path, description = "The course run's courseware id")),
    request_body(content = Option<EnrollBody>, description = "Optional; may be empty"),
    responses((status = 201, description = "Enrolled", body = EnrollOutcome),
        (status = 400, description = "Not enrolled: `result` says why; or the body is not JSON", body = EnrollRefusal),
        (status = 403, description = "Not signed in", body = crate::commerce::openapi::ErrorBody),
        (status = 404, description = "No such run", body = crate::commerce::openapi::ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    CurrentUser(user): CurrentUser,
    Path(run_key): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let program = if body.is_empty() {
        None
    } else {
        let v: Value =
            serde_json::from_slice(&body).map_err(|_| AppError::BadRequest("JSON parse error.".into()))?;
        match v.get("program_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(AppError::field("program_id", "Not a valid string.")),
        }
    };
    let (cat, _) = cache.get(&state.db).await?;
    match enroll::enroll(&state, cat, &user, run_key, program).await {
        Ok(order) => Ok((
            StatusCode::CREATED,
            Json(EnrollOutcome {
                result: "b2b-enroll-success".into(),
                order: Some(order.map_or(OrderOrNone::None(String::new()), OrderOrNone::Id)),
                price: None,
            }),
        )
            .into_response()),
        Err(B2bError::Enroll { result, price }) => Ok((
            StatusCode::BAD_REQUEST,
            Json(EnrollOutcome {
                result: result.to_string(),
                order: None,
                price: price.map(crate::money::cents_string),
            }),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v0/b2b/organizations/`: every organization with its active contracts.
#[utoipa::path(get, path = "/api/v0/b2b/organizations/", tag = "b2b", operation_id = "b2b_organizations_list",
    responses((status = 200, description = "Every organization with its active contracts", body = Vec<OrganizationShape>)))]
pub async fn organizations(State(state): State<AppState>) -> Result<Json<Vec<OrganizationShape>>, AppError> {
    Ok(Json(reads::organizations(&state, None).await?))
}

/// The one match of a lookup by slug, or the original's 404 naming the page type.
fn the_one<T>(mut found: Vec<T>, page: &str) -> Result<Json<T>, AppError> {
    found
        .pop()
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("No {page} matches the given query.")))
}

/// `GET /api/v0/b2b/organizations/{slug}/`.
#[utoipa::path(get, path = "/api/v0/b2b/organizations/{slug}/", tag = "b2b", operation_id = "b2b_organizations_retrieve",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses((status = 200, description = "The organization with its active contracts", body = OrganizationShape), Refusals))]
pub async fn organization(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<OrganizationShape>, AppError> {
    the_one(
        reads::organizations(&state, Some(slug)).await?,
        "OrganizationPage",
    )
}

/// `GET /api/v0/b2b/contracts/`: active contracts.
#[utoipa::path(get, path = "/api/v0/b2b/contracts/", tag = "b2b", operation_id = "b2b_contracts_list",
    responses((status = 200, description = "Active contracts", body = Vec<ContractShape>)))]
pub async fn contracts(State(state): State<AppState>) -> Result<Json<Vec<ContractShape>>, AppError> {
    Ok(Json(reads::contracts(&state, None).await?))
}

/// `GET /api/v0/b2b/contracts/{slug}/`.
#[utoipa::path(get, path = "/api/v0/b2b/contracts/{slug}/", tag = "b2b", operation_id = "b2b_contracts_retrieve",
    params(("slug" = String, Path, description = "The contract's slug")),
    responses((status = 200, description = "The active contract", body = ContractShape), Refusals))]
pub async fn contract(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<ContractShape>, AppError> {
    the_one(reads::contracts(&state, Some(slug)).await?, "ContractPage")
}

/// `GET /api/v0/b2b/contracts/{slug or id}/all_variant_runs/` (members and superusers).
#[utoipa::path(get, path = "/api/v0/b2b/contracts/{slug}/all_variant_runs/", tag = "b2b",
    operation_id = "b2b_contracts_all_variant_runs_list",
    params(("slug" = String, Path, description = "The contract's slug or id")),
    responses((status = 200, description = "The contract's runs of the variants it offers", body = Vec<BaseCourseRun>), Refusals))]
pub async fn all_variant_runs(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    CurrentUser(user): CurrentUser,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let (runs, variants) = reads::contract_runs(&state, &user, key).await?;
    let (cat, _) = cache.get(&state.db).await?;
    let matching: Vec<i64> = runs
        .into_iter()
        .filter(|id| {
            cat.run_by_id.get(id).is_some_and(|&i| {
                let r = &cat.runs[i];
                reads::matches_variants(&variants, &r.language, &r.variant_length, &r.variant_industry)
            })
        })
        .collect();
    Ok(Json(reads::run_shapes(&state, &cat, &matching)).into_response())
}

/// A course's enrollable runs of one contract and variant.
#[derive(Serialize, ToSchema)]
pub struct CourseVariantRuns {
    /// The course's id.
    id: i64,
    #[schema(value_type = Vec<BaseCourseRun>)]
    courseruns: Vec<Value>,
}

/// The 404 of `variant_runs/`: none of the courses asked for exists.
#[derive(Serialize, ToSchema)]
pub struct NoCourses {
    /// `No courses found.`
    detail: &'static str,
    /// The course ids asked for.
    course_ids: Vec<i64>,
}

/// The query of `variant_runs/`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "parameters for the document only; never constructed")]
pub struct VariantRunsQuery {
    /// A course's id (repeatable; at least one).
    course_id: Vec<i64>,
    /// The contract's id (one the caller may see).
    contract: i64,
    /// The variant's language (`en` unless given).
    language: Option<String>,
    /// The variant's length (none unless given).
    length: Option<String>,
    /// The variant's industry (none unless given).
    industry: Option<String>,
}

/// `GET /api/v3/courses/variant_runs/?course_id=…&contract=…&language=&length=&industry=`.
#[utoipa::path(get, path = "/api/v3/courses/variant_runs/", tag = "b2b", operation_id = "course_variant_runs_v3",
    params(VariantRunsQuery),
    responses(
        (status = 200, description = "Each course found with its runs of the contract and variant", body = Vec<CourseVariantRuns>),
        (status = 400, description = "No course, no contract, or one the caller may not see", body = ErrorBody),
        (status = 403, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "None of the courses exists", body = NoCourses)
    ))]
pub async fn course_variant_runs(
    State(state): State<AppState>,
    axum::Extension(cache): Cache,
    CurrentUser(user): CurrentUser,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref());
    let bad = |m: &str| AppError::BadRequest(m.into());
    let mut course_ids = Vec::new();
    for (k, v) in &p.0 {
        if k == "course_id" {
            course_ids.push(
                v.parse::<i64>()
                    .map_err(|_| bad("Must specify valid contract and/or course ID(s)."))?,
            );
        }
    }
    if course_ids.is_empty() {
        return Err(bad("Must specify courses to fetch."));
    }
    let contract = p.text("contract").ok_or_else(|| bad("Must specify contract."))?;
    let contract: i64 = contract
        .parse()
        .map_err(|_| bad("Must specify valid contract and/or course ID(s)."))?;
    let variant = (
        p.get("language").unwrap_or("en").to_owned(),
        p.get("length").unwrap_or("").to_owned(),
        p.get("industry").unwrap_or("").to_owned(),
    );
    if !reads::may_see_contract(&state, &user, contract).await? {
        return Err(bad("Must specify valid contract."));
    }
    let (cat, _) = cache.get(&state.db).await?;
    let now = state.clock.now();
    let courses: Vec<&crate::catalog::model::Course> =
        course_ids.iter().filter_map(|id| cat.course(*id)).collect();
    if courses.is_empty() {
        let none = NoCourses {
            detail: "No courses found.",
            course_ids,
        };
        return Ok((StatusCode::NOT_FOUND, Json(none)).into_response());
    }
    let out: Vec<CourseVariantRuns> = courses
        .iter()
        .map(|co| {
            let runs: Vec<i64> = cat
                .course_runs(co)
                .into_iter()
                .filter(|r| r.b2b_contract_id == Some(contract) && r.is_enrollable(now))
                .filter(|r| {
                    r.language == variant.0
                        && r.variant_length == variant.1
                        && r.variant_industry == variant.2
                })
                .map(|r| r.id)
                .collect();
            CourseVariantRuns {
                id: co.id,
                courseruns: reads::run_shapes(&state, &cat, &runs),
            }
        })
        .collect();
    Ok(Json(out).into_response())
}
