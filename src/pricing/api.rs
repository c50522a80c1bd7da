//! `/api/flexible_pricing/` and `/api/v0/flexible_pricing/` (surface §2.7) with the original's
//! shapes, and `/api/v0/products/{id}/user_flexible_price/`. Learners read their own requests
//! and may submit one; staff (people or staff-scope keys) review them. Unlike the original,
//! which let any signed-in user write them, exchange rates and income thresholds are changed
//! by staff only; signed-in learners may read them.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::commerce::discounts::nested::{Listing, Page, paginated};
use crate::commerce::openapi::{Listed, Refusals};
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::json::ApiJson;
use crate::http::session::{CurrentUser, MaybeUser};
use crate::pricing::model::{Courseware, Status};
use crate::pricing::review::{self, DecisionInput};
use crate::pricing::service::request_json;
use crate::pricing::service::{self, RawSubmission};
use crate::pricing::shapes::{AdminRequest, CoursewareObject, FlexiblePrice, Learner, ProductFlexiblePrice};
use crate::pricing::store::RequestFilter;
use crate::state::AppState;

fn with_user(mut v: FlexiblePrice, user: &crate::users::store::User) -> FlexiblePrice {
    v.user = Some(Learner::of(user));
    v
}

/// GET `applications/`: the caller's own requests, newest first.
#[utoipa::path(get, path = "/api/v0/flexible_pricing/applications/", tag = "flexible_pricing", operation_id = "flexible_pricing_applications_list",
    params(Page),
    responses((status = 200, description = "The caller's requests, newest first", body = Listed<FlexiblePrice>), Refusals))]
pub async fn own_list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    l: Listing,
) -> Result<Json<Listed<FlexiblePrice>>, AppError> {
    let all: Vec<FlexiblePrice> = service::own_requests(&state, user.id)
        .await?
        .iter()
        .map(|r| with_user(request_json(r), &user))
        .collect();
    Ok(Json(l.page_of(&state, all)))
}

/// GET `applications/{id}/`: one of the caller's requests (others' are 404).
#[utoipa::path(get, path = "/api/v0/flexible_pricing/applications/{id}/", tag = "flexible_pricing", operation_id = "flexible_pricing_applications_retrieve",
    params(("id" = i64, Path, description = "The request")),
    responses((status = 200, description = "The caller's request", body = FlexiblePrice), Refusals))]
pub async fn own_detail(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<FlexiblePrice>, AppError> {
    let r = service::own_requests(&state, user.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::NotFound("No FlexiblePrice matches the given query.".into()))?;
    Ok(Json(with_user(request_json(&r), &user)))
}

/// A submission over the API: the form's four fields plus the course or program whose form
/// it is.
#[derive(Deserialize, ToSchema)]
pub struct SubmitBody {
    /// `course` or `program`.
    courseware_type: Option<String>,
    /// An id, as a number or a string.
    #[schema(value_type = Option<i64>)]
    courseware_id: Option<Value>,
    #[serde(flatten)]
    fields: RawSubmission,
}

fn courseware_of(kind: Option<&str>, id: Option<&Value>) -> Result<Courseware, AppError> {
    let id = match id {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
    .ok_or_else(|| AppError::field("courseware_id", "A valid course or program id is required."))?;
    match kind {
        Some("course") => Ok(Courseware::Course(id)),
        Some("program") => Ok(Courseware::Program(id)),
        _ => Err(AppError::field("courseware_type", "Choose course or program.")),
    }
}

/// POST `applications/` {courseware_type, courseware_id, income, currency, country_of_income,
/// country_of_residence}: the form's submission, as JSON. 201 with the request.
#[utoipa::path(post, path = "/api/v0/flexible_pricing/applications/", tag = "flexible_pricing", operation_id = "flexible_pricing_applications_create",
    request_body = SubmitBody,
    responses((status = 201, description = "The request as filed", body = FlexiblePrice), Refusals))]
pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<SubmitBody>,
) -> Result<Response, AppError> {
    let page = courseware_of(b.courseware_type.as_deref(), b.courseware_id.as_ref())?;
    let r = service::submit(&state, user.id, page, b.fields).await?;
    Ok((StatusCode::CREATED, Json(with_user(request_json(&r), &user))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminQuery {
    /// The learner's name, username or email contains this.
    q: Option<String>,
    /// A request status.
    status: Option<String>,
    /// `course:ID` or `program:ID`.
    courseware: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: Page,
}

/// Parses `course:ID` / `program:ID`.
pub fn parse_courseware_filter(v: &str) -> Result<Courseware, AppError> {
    let bad = || AppError::field("courseware", "Use course:ID or program:ID.");
    let (kind, id) = v.split_once(':').ok_or_else(bad)?;
    let id: i64 = id.trim().parse().map_err(|_| bad())?;
    match kind.trim() {
        "course" => Ok(Courseware::Course(id)),
        "program" => Ok(Courseware::Program(id)),
        _ => Err(bad()),
    }
}

/// The staff queue's filters from a query.
pub fn filter_of(
    q: Option<&str>,
    status: Option<&str>,
    courseware: Option<&str>,
) -> Result<RequestFilter, AppError> {
    Ok(RequestFilter {
        q: q.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
        status: match status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<Status>().map_err(|e| AppError::field("status", e))?),
            None => None,
        },
        courseware: match courseware.map(str::trim).filter(|s| !s.is_empty()) {
            Some(v) => Some(parse_courseware_filter(v)?),
            None => None,
        },
    })
}

/// GET `applications_admin/` (staff): filters `q`, `status`, `courseware=course:ID`.
#[utoipa::path(get, path = "/api/v0/flexible_pricing/applications_admin/", tag = "flexible_pricing", operation_id = "flexible_pricing_applications_admin_list",
    params(AdminQuery, Page),
    responses((status = 200, description = "Requests, newest first", body = Listed<AdminRequest>), Refusals))]
pub async fn admin_list(
    State(state): State<AppState>,
    _s: StaffAccess,
    Query(a): Query<AdminQuery>,
    uri: Uri,
) -> Result<Json<Listed<AdminRequest>>, AppError> {
    let paging = a.page.parse(&uri)?;
    let f = filter_of(a.q.as_deref(), a.status.as_deref(), a.courseware.as_deref())?;
    let (limit, offset) = if paging.limit > 0 {
        (paging.limit, paging.offset)
    } else {
        (i64::MAX, 0)
    };
    let (count, rows) = review::queue(&state, f, limit, offset).await?;
    Ok(Json(paginated(&state, &uri, count, paging, rows)))
}

/// GET `applications_admin/{id}/` (staff).
#[utoipa::path(get, path = "/api/v0/flexible_pricing/applications_admin/{id}/", tag = "flexible_pricing", operation_id = "flexible_pricing_applications_admin_retrieve",
    params(("id" = i64, Path, description = "The request")),
    responses((status = 200, description = "The request in full", body = AdminRequest), Refusals))]
pub async fn admin_detail(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<AdminRequest>, AppError> {
    Ok(Json(review::detail(&state, id).await?))
}

/// A staff decision: `approved`, `denied` (with the mail) or `reset`.
#[derive(Deserialize, ToSchema)]
pub struct DecisionBody {
    status: Option<String>,
    justification: Option<String>,
    /// The discount to re-point the request to, as `{"id": …}` or an id.
    #[schema(value_type = Option<Object>)]
    discount: Option<Value>,
    email_subject: Option<String>,
    email_body: Option<String>,
}

/// PUT/PATCH `applications_admin/{id}/` {status, justification, discount{id}?, email_subject?,
/// email_body?} (staff; audited; the learner is mailed).
#[utoipa::path(method(put, patch), path = "/api/v0/flexible_pricing/applications_admin/{id}/", tag = "flexible_pricing", operation_id = "flexible_pricing_applications_admin_update",
    params(("id" = i64, Path, description = "The request")), request_body = DecisionBody,
    responses((status = 200, description = "The request as decided", body = AdminRequest), Refusals))]
pub async fn admin_update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<AdminRequest>, AppError> {
    let discount_id = match &b.discount {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(
            o.get("id")
                .and_then(Value::as_i64)
                .ok_or_else(|| AppError::field("discount", "Give the discount as {\"id\": …}."))?,
        ),
        Some(Value::Number(n)) => n.as_i64(),
        Some(_) => return Err(AppError::field("discount", "Give the discount as {\"id\": …}.")),
    };
    let input = DecisionInput {
        status: b.status.unwrap_or_default(),
        justification: b.justification.unwrap_or_default(),
        discount_id,
        email_subject: b.email_subject,
        email_body: b.email_body,
    };
    Ok(Json(review::decide(&state, s.actor, s.user_id, id, input).await?))
}

/// GET `coursewares/` (staff): the courses and programs that have requests.
#[utoipa::path(get, path = "/api/v0/flexible_pricing/coursewares/", tag = "flexible_pricing", operation_id = "flexible_pricing_coursewares_list",
    responses((status = 200, description = "The courses and programs that have requests", body = Vec<CoursewareObject>), Refusals))]
pub async fn coursewares(
    State(state): State<AppState>,
    _s: StaffAccess,
) -> Result<Json<Vec<CoursewareObject>>, AppError> {
    Ok(Json(review::coursewares(&state).await?))
}

/// GET `/api/v0/products/{id}/user_flexible_price/`: the product with the caller's
/// flexible-price discount (`null` when none applies or anonymous).
#[utoipa::path(get, path = "/api/v0/products/{id}/user_flexible_price/", tag = "flexible_pricing", operation_id = "products_user_flexible_price_retrieve",
    params(("id" = i64, Path, description = "The product")),
    responses((status = 200, description = "The product with the caller's discount", body = ProductFlexiblePrice), Refusals))]
pub async fn user_flexible_price(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    PathId(id): PathId,
) -> Result<Json<ProductFlexiblePrice>, AppError> {
    let p = crate::commerce::orders::service::product(&state, id)
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    let fp = service::product_price(&state, user.map(|u| u.id), id).await?;
    Ok(Json(ProductFlexiblePrice {
        id: p.id,
        price: crate::money::cents_string(p.price),
        description: p.description,
        is_active: p.is_active,
        product_flexible_price: fp.map(|(d, _)| d),
    }))
}
