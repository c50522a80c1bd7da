//! Learner and public B2B JSON at the original's paths: attach with a code, enroll in a
//! contract run, organizations and contracts (public reads, as `IsAdminOrReadOnly`), a
//! contract's variant runs, and `/api/v3/courses/variant_runs/`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::B2bError;
use super::{enroll, reads, service};
use crate::catalog::CatalogCache;
use crate::catalog::service::Params;
use crate::http::AppError;
use crate::http::session::CurrentUser;
use crate::state::AppState;

pub type Cache = axum::Extension<Arc<CatalogCache>>;

/// `POST /api/v0/b2b/attach/{code}/`: 201 attached, 200 already, 404 invalid, 409 full.
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

/// `POST /api/v0/b2b/enroll/{run_key}/` `{program_id?}`: 201 `{result: "b2b-enroll-success",
/// order}` or 400 `{result, price?}`.
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
            Json(json!({ "result": "b2b-enroll-success", "order": order.map_or(json!(""), |o| json!(o)) })),
        )
            .into_response()),
        Err(B2bError::Enroll { result, price }) => {
            let mut body = json!({ "result": result });
            if let Some(p) = price {
                body["price"] = json!(crate::money::cents_string(p));
            }
            Ok((StatusCode::BAD_REQUEST, Json(body)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v0/b2b/organizations/`: every organization with its active contracts.
pub async fn organizations(State(state): State<AppState>) -> Result<Json<Vec<Value>>, AppError> {
    Ok(Json(reads::organizations(&state, None).await?))
}

/// The one match of a lookup by slug, or the original's 404 naming the page type.
fn the_one(mut found: Vec<Value>, page: &str) -> Result<Json<Value>, AppError> {
    found
        .pop()
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("No {page} matches the given query.")))
}

pub async fn organization(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, AppError> {
    the_one(
        reads::organizations(&state, Some(slug)).await?,
        "OrganizationPage",
    )
}

/// `GET /api/v0/b2b/contracts/`: active contracts.
pub async fn contracts(State(state): State<AppState>) -> Result<Json<Vec<Value>>, AppError> {
    Ok(Json(reads::contracts(&state, None).await?))
}

pub async fn contract(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, AppError> {
    the_one(reads::contracts(&state, Some(slug)).await?, "ContractPage")
}

/// `GET /api/v0/b2b/contracts/{slug or id}/all_variant_runs/` (members and superusers).
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

/// `GET /api/v3/courses/variant_runs/?course_id=…&contract=…&language=&length=&industry=`.
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
        return Ok((
            StatusCode::NOT_FOUND,
            Json(json!({ "detail": "No courses found.", "course_ids": course_ids })),
        )
            .into_response());
    }
    let out: Vec<Value> = courses
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
            json!({ "id": co.id, "courseruns": reads::run_shapes(&state, &cat, &runs) })
        })
        .collect();
    Ok(Json(out).into_response())
}
