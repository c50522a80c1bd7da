//! Exchange rates and income thresholds under `/api/v0/flexible_pricing/` (and the legacy
//! `/api/flexible_pricing/`): signed-in learners read them; staff change them (audited).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::commerce::openapi::Refusals;
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::pricing::rates;
use crate::pricing::shapes::{CsvChange, CsvLoad, ExchangeRate, IncomeThreshold};
use crate::state::AppState;

/// The row of `all` that `matches`, else a 404 saying `missing`.
fn found<'a, T>(all: &'a [T], matches: impl Fn(&T) -> bool, missing: &str) -> Result<&'a T, AppError> {
    all.iter()
        .find(|t| matches(t))
        .ok_or_else(|| AppError::NotFound(missing.into()))
}

/// A saved row's JSON: 201 when it was created, else 200.
fn created_or_ok<T: serde::Serialize>((created, body): (bool, T)) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(body)).into_response()
}

/// GET `exchange_rates/` (signed in).
#[utoipa::path(get, path = "/api/v0/flexible_pricing/exchange_rates/", tag = "flexible_pricing", operation_id = "flexible_pricing_exchange_rates_list",
    responses((status = 200, description = "Every exchange rate", body = Vec<ExchangeRate>), Refusals))]
pub async fn rates_list(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> Result<Json<Vec<ExchangeRate>>, AppError> {
    let all = rates::rates(&state).await?;
    Ok(Json(all.iter().map(rates::rate_json).collect()))
}

/// GET `exchange_rates/{code}/` (signed in).
#[utoipa::path(get, path = "/api/v0/flexible_pricing/exchange_rates/{code}/", tag = "flexible_pricing", operation_id = "flexible_pricing_exchange_rates_retrieve",
    params(("code" = String, Path, description = "The currency code")),
    responses((status = 200, description = "The rate", body = ExchangeRate), Refusals))]
pub async fn rate_detail(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<ExchangeRate>, AppError> {
    let code = code.to_ascii_uppercase();
    let all = rates::rates(&state).await?;
    let missing = "No CurrencyExchangeRate matches the given query.";
    Ok(Json(rates::rate_json(found(&all, |r| r.1.0 == code, missing)?)))
}

/// A rate to save (`currency_code` on POST only).
#[derive(Deserialize, ToSchema)]
pub struct RateBody {
    currency_code: Option<String>,
    /// A positive decimal, as a string or a number.
    #[schema(value_type = Option<String>)]
    exchange_rate: Option<Value>,
    description: Option<String>,
}

/// Saves the rate of `code` from `b`: `(created, the rate's JSON)`.
async fn save_rate(
    state: &AppState,
    actor: String,
    code: &str,
    b: RateBody,
) -> Result<(bool, ExchangeRate), AppError> {
    let rate = b.exchange_rate.unwrap_or(Value::Null);
    let (created, r) = rates::save_rate(state, actor, code, &rate, b.description).await?;
    Ok((created, rates::rate_json(&r)))
}

/// POST `exchange_rates/` (staff).
#[utoipa::path(post, path = "/api/v0/flexible_pricing/exchange_rates/", tag = "flexible_pricing", operation_id = "flexible_pricing_exchange_rates_create",
    request_body = RateBody,
    responses((status = 201, description = "Created", body = ExchangeRate), (status = 200, description = "Replaced", body = ExchangeRate), Refusals))]
pub async fn rate_create(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(mut b): ApiJson<RateBody>,
) -> Result<Response, AppError> {
    let code = b.currency_code.take().unwrap_or_default();
    Ok(created_or_ok(save_rate(&state, s.actor, &code, b).await?))
}

/// PUT `exchange_rates/{code}/` (staff).
#[utoipa::path(method(put, patch), path = "/api/v0/flexible_pricing/exchange_rates/{code}/", tag = "flexible_pricing", operation_id = "flexible_pricing_exchange_rates_update",
    params(("code" = String, Path, description = "The currency code")), request_body = RateBody,
    responses((status = 200, description = "The rate as saved", body = ExchangeRate), Refusals))]
pub async fn rate_update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RateBody>,
) -> Result<Json<ExchangeRate>, AppError> {
    Ok(Json(save_rate(&state, s.actor, &code, b).await?.1))
}

/// DELETE `exchange_rates/{code}/` (staff).
#[utoipa::path(delete, path = "/api/v0/flexible_pricing/exchange_rates/{code}/", tag = "flexible_pricing", operation_id = "flexible_pricing_exchange_rates_destroy",
    params(("code" = String, Path, description = "The currency code")),
    responses((status = 204, description = "Removed"), Refusals))]
pub async fn rate_delete(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    rates::delete_rate(&state, s.actor, code.to_ascii_uppercase()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET `income_thresholds/` (signed in).
#[utoipa::path(get, path = "/api/v0/flexible_pricing/income_thresholds/", tag = "flexible_pricing", operation_id = "flexible_pricing_income_thresholds_list",
    responses((status = 200, description = "Every country's threshold", body = Vec<IncomeThreshold>), Refusals))]
pub async fn thresholds_list(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
) -> Result<Json<Vec<IncomeThreshold>>, AppError> {
    let all = rates::thresholds(&state).await?;
    Ok(Json(all.iter().map(rates::threshold_json).collect()))
}

/// GET `income_thresholds/{country}/` (signed in).
#[utoipa::path(get, path = "/api/v0/flexible_pricing/income_thresholds/{country}/", tag = "flexible_pricing", operation_id = "flexible_pricing_income_thresholds_retrieve",
    params(("country" = String, Path, description = "The country code")),
    responses((status = 200, description = "The threshold", body = IncomeThreshold), Refusals))]
pub async fn threshold_detail(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<IncomeThreshold>, AppError> {
    let code = code.to_ascii_uppercase();
    let all = rates::thresholds(&state).await?;
    let missing = "No CountryIncomeThreshold matches the given query.";
    Ok(Json(rates::threshold_json(found(
        &all,
        |t| t.1 == code,
        missing,
    )?)))
}

/// A threshold to save (`country_code` on POST only).
#[derive(Deserialize, ToSchema)]
pub struct ThresholdBody {
    country_code: Option<String>,
    /// A non-negative decimal, as a string or a number.
    #[schema(value_type = Option<String>)]
    income_threshold: Option<Value>,
}

/// POST `income_thresholds/` (staff).
#[utoipa::path(post, path = "/api/v0/flexible_pricing/income_thresholds/", tag = "flexible_pricing", operation_id = "flexible_pricing_income_thresholds_create",
    request_body = ThresholdBody,
    responses((status = 201, description = "Created", body = IncomeThreshold), (status = 200, description = "Replaced", body = IncomeThreshold), Refusals))]
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

/// PUT `income_thresholds/{country}/` (staff).
#[utoipa::path(method(put, patch), path = "/api/v0/flexible_pricing/income_thresholds/{country}/", tag = "flexible_pricing", operation_id = "flexible_pricing_income_thresholds_update",
    params(("country" = String, Path, description = "The country code")), request_body = ThresholdBody,
    responses((status = 200, description = "The threshold as saved", body = IncomeThreshold), Refusals))]
pub async fn threshold_update(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ThresholdBody>,
) -> Result<Json<IncomeThreshold>, AppError> {
    let (_, t) =
        rates::save_threshold(&state, s.actor, &code, &b.income_threshold.unwrap_or(Value::Null)).await?;
    Ok(Json(rates::threshold_json(&t)))
}

/// DELETE `income_thresholds/{country}/` (staff).
#[utoipa::path(delete, path = "/api/v0/flexible_pricing/income_thresholds/{country}/", tag = "flexible_pricing", operation_id = "flexible_pricing_income_thresholds_destroy",
    params(("country" = String, Path, description = "The country code")),
    responses((status = 204, description = "Removed"), Refusals))]
pub async fn threshold_delete(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    rates::delete_threshold(&state, s.actor, code.to_ascii_uppercase()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Country thresholds as CSV (`country,income` headers).
#[derive(Deserialize, ToSchema)]
pub struct CsvBody {
    csv: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// POST `income_thresholds/load_csv/` {csv, dry_run} (staff): the changes, applied unless
/// `dry_run`.
#[utoipa::path(post, path = "/api/v0/flexible_pricing/income_thresholds/load_csv/", tag = "flexible_pricing", operation_id = "flexible_pricing_income_thresholds_load_csv_create",
    request_body = CsvBody,
    responses((status = 200, description = "The changes (applied unless a dry run)", body = CsvLoad), Refusals))]
pub async fn thresholds_csv(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(b): ApiJson<CsvBody>,
) -> Result<Json<CsvLoad>, AppError> {
    let csv = b
        .csv
        .ok_or_else(|| AppError::field("csv", "The CSV text is required."))?;
    let changes = rates::load_thresholds(&state, s.actor, csv, b.dry_run).await?;
    Ok(Json(CsvLoad {
        dry_run: b.dry_run,
        changes: changes
            .iter()
            .map(|c| CsvChange {
                country_code: c.country.clone(),
                before: c.before.map(|d| d.normalize().to_string()),
                after: c.after.normalize().to_string(),
            })
            .collect(),
    }))
}
