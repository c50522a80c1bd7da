//! Products, order history, receipts and status over JSON (legacy and v0).

use crate::commerce::{basket, orders};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::commerce::basket::shapes::Product;
use crate::commerce::openapi::{Page as Paged, Refusals};
use crate::commerce::orders::shapes::{HistoryOrder, OrderStatus, Receipt};

use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::session::CurrentUser;
use crate::state::AppState;

/// DRF's LimitOffset paging.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// How many per page.
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// How many to skip.
    #[param(value_type = Option<u32>)]
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
pub fn paginate<T>(state: &AppState, path: &str, items: Vec<T>, limit: usize, offset: usize) -> Paged<T> {
    let count = items.len();
    let url = |o: usize| {
        state
            .config
            .absolute_url(&format!("{path}?limit={limit}&offset={o}"))
    };
    let next = (offset + limit < count).then(|| url(offset + limit));
    let previous = (offset > 0).then(|| url(offset.saturating_sub(limit)));
    let results = items.into_iter().skip(offset).take(limit).collect();
    Paged {
        count: count as i64,
        next,
        previous,
        results,
    }
}

/// GET `/api/products/` and `/api/v0/products/` (LimitOffset, default 2).
#[utoipa::path(get, path = "/api/v0/products/", tag = "products", operation_id = "products_list",
    params(Page),
    responses((status = 200, description = "Products on sale, a page", body = Paged<Product>), Refusals))]
pub async fn products(
    State(state): State<AppState>,
    Query(page): Query<Page>,
    uri: axum::http::Uri,
) -> Result<Json<Paged<Product>>, AppError> {
    let (limit, offset) = page.parse(2)?;
    let items = orders::service::products(&state).await?;
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// GET `/api/products/{id}/`.
#[utoipa::path(get, path = "/api/v0/products/{id}/", tag = "products", operation_id = "products_retrieve",
    params(("id" = i64, Path, description = "The product")),
    responses((status = 200, description = "An active product", body = Product), Refusals))]
pub async fn product(State(state): State<AppState>, PathId(id): PathId) -> Result<Json<Product>, AppError> {
    let p = orders::service::product(&state, id)
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    Ok(Json(basket::shapes::product(&p)))
}

/// GET `/api/orders/history/` (all, newest first) and `/api/v0/orders/history/` (LimitOffset 20).
#[utoipa::path(get, path = "/api/v0/orders/history/", tag = "orders", operation_id = "orders_history_list",
    params(Page),
    responses((status = 200, description = "The caller's fulfilled and refunded orders, newest first", body = Paged<HistoryOrder>), Refusals))]
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(page): Query<Page>,
    uri: axum::http::Uri,
) -> Result<Json<Paged<HistoryOrder>>, AppError> {
    let items = orders::service::history(&state, user.id).await?;
    let (limit, offset) = page.parse(20)?;
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// GET `/api/v0/orders/history/{id}/`: one order of the caller's history (others get 404).
#[utoipa::path(get, path = "/api/v0/orders/history/{id}/", tag = "orders", operation_id = "orders_history_retrieve",
    params(("id" = i64, Path, description = "The order")),
    responses((status = 200, description = "One order of the caller's history", body = HistoryOrder), Refusals))]
pub async fn history_order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<HistoryOrder>, AppError> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound("No Order matches the given query.".into()))?;
    Ok(Json(orders::service::history_order(&state, user.id, id).await?))
}

/// GET `/api/orders/receipt/{id}/`: owner only (others get 404).
#[utoipa::path(get, path = "/api/v0/orders/receipt/{id}/", tag = "orders", operation_id = "orders_receipt_retrieve",
    params(("id" = i64, Path, description = "The order")),
    responses((status = 200, description = "The receipt of the caller's order", body = Receipt), Refusals))]
pub async fn receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<Receipt>, AppError> {
    Ok(Json(orders::service::receipt(&state, user.id, id).await?))
}

/// The state of an order that is not the caller's or does not exist.
#[derive(Serialize, ToSchema)]
pub struct NoOrder {
    /// `Not found.`
    pub state: String,
}

/// GET `/api/v0/orders/status/{id or reference}/`: 404 `{"state": "Not found."}`.
#[utoipa::path(get, path = "/api/v0/orders/status/{key}/", tag = "orders", operation_id = "orders_status_retrieve",
    params(("key" = String, Path, description = "The order's id or reference number")),
    responses((status = 200, description = "The order's state", body = OrderStatus),
        (status = 404, description = "Not the caller's order, or none", body = NoOrder),
        (status = 403, description = "Not signed in", body = crate::commerce::openapi::ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let found = orders::service::find_own(&state, user.id, key).await?;
    Ok(match found {
        Some(o) => Json(orders::shapes::status(&o)).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(NoOrder {
                state: "Not found.".into(),
            }),
        )
            .into_response(),
    })
}
