//! Products, order history, receipts and status over JSON (legacy and v0).

use crate::commerce::{basket, orders};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::session::CurrentUser;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Page {
    limit: Option<String>,
    offset: Option<String>,
}

impl Page {
    pub fn parse(&self, default: usize) -> Result<(usize, usize), AppError> {
        let n = |name: &str, v: &Option<String>, d: usize| match v.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(d),
            Some(s) => s
                .parse::<usize>()
                .map_err(|_| AppError::field(name, "A valid non-negative integer is required.")),
        };
        Ok((
            n("limit", &self.limit, default)?.clamp(1, 1000),
            n("offset", &self.offset, 0)?,
        ))
    }
}

/// DRF LimitOffset envelope.
pub fn paginate(state: &AppState, path: &str, items: Vec<Value>, limit: usize, offset: usize) -> Value {
    let count = items.len();
    let url = |o: usize| {
        state
            .config
            .absolute_url(&format!("{path}?limit={limit}&offset={o}"))
    };
    let next = (offset + limit < count).then(|| url(offset + limit));
    let previous = (offset > 0).then(|| url(offset.saturating_sub(limit)));
    let results: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    json!({"count": count, "next": next, "previous": previous, "results": results})
}

/// GET `/api/products/` and `/api/v0/products/` (LimitOffset, default 2).
pub async fn products(
    State(state): State<AppState>,
    Query(page): Query<Page>,
    uri: axum::http::Uri,
) -> Result<Json<Value>, AppError> {
    let (limit, offset) = page.parse(2)?;
    let items = orders::service::products(&state).await?;
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// GET `/api/products/{id}/`.
pub async fn product(State(state): State<AppState>, PathId(id): PathId) -> Result<Json<Value>, AppError> {
    let p = orders::service::product(&state, id)
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    Ok(Json(basket::shapes::product(&p)))
}

/// GET `/api/orders/history/` (all, newest first) and `/api/v0/orders/history/` (LimitOffset 20).
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(page): Query<Page>,
    uri: axum::http::Uri,
) -> Result<Json<Value>, AppError> {
    let items = orders::service::history(&state, user.id).await?;
    let (limit, offset) = page.parse(20)?;
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// GET `/api/v0/orders/history/{id}/`: one order of the caller's history (others get 404).
pub async fn history_order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound("No Order matches the given query.".into()))?;
    Ok(Json(orders::service::history_order(&state, user.id, id).await?))
}

/// GET `/api/orders/receipt/{id}/`: owner only (others get 404).
pub async fn receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<Value>, AppError> {
    Ok(Json(orders::service::receipt(&state, user.id, id).await?))
}

/// GET `/api/v0/orders/status/{id or reference}/`: 404 `{"state": "Not found."}`.
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let found = orders::service::find_own(&state, user.id, key).await?;
    Ok(match found {
        Some(o) => Json(orders::shapes::status(&o)).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"state": "Not found."}))).into_response(),
    })
}
