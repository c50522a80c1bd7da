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
use serde_json::{Value, json};

use crate::commerce::discounts::nested::{Listing, Page, paginated};
use crate::commerce::discounts::shapes::discount as discount_json;
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::json::ApiJson;
use crate::http::session::{CurrentUser, MaybeUser};
use crate::pricing::model::{Courseware, Status};
use crate::pricing::review::{self, DecisionInput};
use crate::pricing::service::{self, RawSubmission};
use crate::pricing::store::RequestFilter;
use crate::pricing::{rates, service::request_json};
use crate::state::AppState;

fn with_user(mut v: Value, user: &crate::users::store::User) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "user".into(),
            json!({"id": user.id, "username": user.username, "name": user.name, "email": user.email}),
        );
    }
    v
}

/// GET `applications/`: the caller's own requests, newest first.
pub async fn own_list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    l: Listing,
) -> Result<Json<Value>, AppError> {
    let all: Vec<Value> = service::own_requests(&state, user.id)
        .await?
        .iter()
        .map(|r| with_user(request_json(r), &user))
        .collect();
    Ok(Json(l.page_of(&state, all)))
}

/// GET `applications/{id}/`: one of the caller's requests (others' are 404).
pub async fn own_detail(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let r = service::own_requests(&state, user.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::NotFound("No FlexiblePrice matches the given query.".into()))?;
    Ok(Json(with_user(request_json(&r), &user)))
}

/// A submission over the API: the form's four fields plus the course or program whose form
/// it is.
#[derive(Deserialize)]
pub struct SubmitBody {
    courseware_type: Option<String>,
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
pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<SubmitBody>,
) -> Result<Response, AppError> {
    let page = courseware_of(b.courseware_type.as_deref(), b.courseware_id.as_ref())?;
    let r = service::submit(&state, user.id, page, b.fields).await?;
    Ok((StatusCode::CREATED, Json(with_user(request_json(&r), &user))).into_response())
}

#[derive(Deserialize)]
pub struct AdminQuery {
    q: Option<String>,
    status: Option<String>,
    courseware: Option<String>,
    #[serde(flatten)]
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
pub async fn admin_list(
    State(state): State<AppState>,
    _s: StaffAccess,
    Query(a): Query<AdminQuery>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
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
pub async fn admin_detail(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(review::detail(&state, id).await?))
}

#[derive(Deserialize)]
pub struct DecisionBody {
    status: Option<String>,
    justification: Option<String>,
    discount: Option<Value>,
    email_subject: Option<String>,
    email_body: Option<String>,
}

/// PUT/PATCH `applications_admin/{id}/` {status, justification, discount{id}?, email_subject?,
/// email_body?} (staff; audited; the learner is mailed).
pub async fn admin_update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<Value>, AppError> {
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
pub async fn coursewares(State(state): State<AppState>, _s: StaffAccess) -> Result<Json<Value>, AppError> {
    Ok(Json(Value::Array(review::coursewares(&state).await?)))
}

/// The row of `all` that `matches`, else a 404 saying `missing`.
fn found<'a, T>(all: &'a [T], matches: impl Fn(&T) -> bool, missing: &str) -> Result<&'a T, AppError> {
    all.iter()
        .find(|t| matches(t))
        .ok_or_else(|| AppError::NotFound(missing.into()))
}

/// A saved row's JSON: 201 when it was created, else 200.
fn created_or_ok((created, body): (bool, Value)) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(body)).into_response()
}

/// GET `exchange_rates/` (signed in).
pub async fn rates_list(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> Result<Json<Value>, AppError> {
    let all = rates::rates(&state).await?;
    Ok(Json(Value::Array(all.iter().map(rates::rate_json).collect())))
}

/// GET `exchange_rates/{code}/` (signed in).
pub async fn rate_detail(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let code = code.to_ascii_uppercase();
    let all = rates::rates(&state).await?;
    let missing = "No CurrencyExchangeRate matches the given query.";
    Ok(Json(rates::rate_json(found(&all, |r| r.1.0 == code, missing)?)))
}

#[derive(Deserialize)]
pub struct RateBody {
    currency_code: Option<String>,
    exchange_rate: Option<Value>,
    description: Option<String>,
}

/// Saves the rate of `code` from `b`: `(created, the rate's JSON)`.
async fn save_rate(
    state: &AppState,
    actor: String,
    code: &str,
    b: RateBody,
) -> Result<(bool, Value), AppError> {
    let rate = b.exchange_rate.unwrap_or(Value::Null);
    let (created, r) = rates::save_rate(state, actor, code, &rate, b.description).await?;
    Ok((created, rates::rate_json(&r)))
}

/// POST `exchange_rates/` (staff).
pub async fn rate_create(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(mut b): ApiJson<RateBody>,
) -> Result<Response, AppError> {
    let code = b.currency_code.take().unwrap_or_default();
    Ok(created_or_ok(save_rate(&state, s.actor, &code, b).await?))
}

/// PUT/PATCH `exchange_rates/{code}/` (staff).
pub async fn rate_update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RateBody>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(save_rate(&state, s.actor, &code, b).await?.1))
}

/// DELETE `exchange_rates/{code}/` (staff).
pub async fn rate_delete(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    rates::delete_rate(&state, s.actor, code.to_ascii_uppercase()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET `income_thresholds/` (signed in).
pub async fn thresholds_list(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> Result<Json<Value>, AppError> {
    let all = rates::thresholds(&state).await?;
    Ok(Json(Value::Array(
        all.iter().map(rates::threshold_json).collect(),
    )))
}

/// GET `income_thresholds/{country}/` (signed in).
pub async fn threshold_detail(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let code = code.to_ascii_uppercase();
    let all = rates::thresholds(&state).await?;
    let missing = "No CountryIncomeThreshold matches the given query.";
    Ok(Json(rates::threshold_json(found(
        &all,
        |t| t.1 == code,
        missing,
    )?)))
}

#[derive(Deserialize)]
pub struct ThresholdBody {
    country_code: Option<String>,
    income_threshold: Option<Value>,
}

/// POST `income_thresholds/` (staff).
pub async fn threshold_create(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(b): ApiJson<ThresholdBody>,
) -> Result<Response, AppError> {
    let code = b.country_code.unwrap_or_default();
    let (created, t) =
        rates::save_threshold(&state, s.actor, &code, &b.income_threshold.unwrap_or(Value::Null)).await?;
    Ok(created_or_ok((created, rates::threshold_json(&t))))
}

/// PUT/PATCH `income_thresholds/{country}/` (staff).
pub async fn threshold_update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ThresholdBody>,
) -> Result<Json<Value>, AppError> {
    let (_, t) =
        rates::save_threshold(&state, s.actor, &code, &b.income_threshold.unwrap_or(Value::Null)).await?;
    Ok(Json(rates::threshold_json(&t)))
}

/// DELETE `income_thresholds/{country}/` (staff).
pub async fn threshold_delete(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    rates::delete_threshold(&state, s.actor, code.to_ascii_uppercase()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct CsvBody {
    csv: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// POST `income_thresholds/load_csv/` {csv, dry_run} (staff): the changes, applied unless
/// `dry_run`.
pub async fn thresholds_csv(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(b): ApiJson<CsvBody>,
) -> Result<Json<Value>, AppError> {
    let csv = b
        .csv
        .ok_or_else(|| AppError::field("csv", "The CSV text is required."))?;
    let changes = rates::load_thresholds(&state, s.actor, csv, b.dry_run).await?;
    Ok(Json(json!({
        "dry_run": b.dry_run,
        "changes": changes.iter().map(|c| json!({
            "country_code": c.country,
            "before": c.before.map(|d| d.normalize().to_string()),
            "after": c.after.normalize().to_string(),
        })).collect::<Vec<_>>(),
    })))
}

/// GET `/api/v0/products/{id}/user_flexible_price/`: the product with the caller's
/// flexible-price discount (`null` when none applies or anonymous).
pub async fn user_flexible_price(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    PathId(id): PathId,
) -> Result<Json<Value>, AppError> {
    let p = crate::commerce::orders::service::product(&state, id)
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    let fp = service::product_price(&state, user.map(|u| u.id), id).await?;
    Ok(Json(json!({
        "id": p.id,
        "price": crate::money::cents_string(p.price),
        "description": p.description,
        "is_active": p.is_active,
        "product_flexible_price": fp.map(|(d, _)| discount_json(&d)),
    })))
}
