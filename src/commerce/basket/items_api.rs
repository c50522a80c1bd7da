//! `/api/v0/baskets/{basket}/items/` and `…/items/{id}/` for the signed-in learner
//! ([`super::items`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::items::{self, Item};
use crate::commerce::openapi::Refusals;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::state::AppState;

/// An item's product; `basket`, when given, must be the basket in the path.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ItemBody {
    product: Option<i64>,
    basket: Option<i64>,
}

impl ItemBody {
    /// The product, and the basket when given must be the one in the path.
    fn product(&self, basket: i64, required: bool) -> Result<Option<i64>, AppError> {
        if self.basket.is_some_and(|b| b != basket) {
            return Err(AppError::field(
                "basket",
                format!("Items stay in basket {basket}."),
            ));
        }
        match self.product {
            None if required => Err(AppError::field("product", "This field is required.")),
            p => Ok(p),
        }
    }
}

#[utoipa::path(get, path = "/api/v0/baskets/{id}/items/", tag = "baskets", operation_id = "baskets_items_list",
    params(("id" = i64, Path, description = "The caller's basket")),
    responses((status = 200, description = "The basket's items", body = Vec<Item>), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(basket): Path<i64>,
) -> Result<Json<Vec<Item>>, AppError> {
    Ok(Json(items::list(&state, user.id, basket).await?))
}

/// POST {product}: 201 with the item (200 when it was there already).
#[utoipa::path(post, path = "/api/v0/baskets/{id}/items/", tag = "baskets", operation_id = "baskets_items_create",
    params(("id" = i64, Path, description = "The caller's basket")), request_body = ItemBody,
    responses((status = 201, description = "Added", body = Item), (status = 200, description = "Already there", body = Item), Refusals))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(basket): Path<i64>,
    ApiJson(b): ApiJson<ItemBody>,
) -> Result<Response, AppError> {
    let product = b.product(basket, true)?.unwrap_or_default();
    let (new, item) = items::add(&state, user.id, basket, product).await?;
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(item)).into_response())
}

#[utoipa::path(get, path = "/api/v0/baskets/{id}/items/{item}/", tag = "baskets", operation_id = "baskets_items_retrieve",
    params(("id" = i64, Path, description = "The caller's basket"), ("item" = i64, Path, description = "The item")),
    responses((status = 200, description = "The item", body = Item), Refusals))]
pub async fn one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((basket, id)): Path<(i64, i64)>,
) -> Result<Json<Item>, AppError> {
    Ok(Json(items::one(&state, user.id, basket, id).await?))
}

async fn change(
    state: &AppState,
    user: i64,
    basket: i64,
    id: i64,
    b: &ItemBody,
    required: bool,
) -> Result<Json<Item>, AppError> {
    Ok(Json(match b.product(basket, required)? {
        Some(product) => items::set_product(state, user, basket, id, product).await?,
        None => items::one(state, user, basket, id).await?,
    }))
}

/// PUT {basket?, product}: the item holds `product` instead.
#[utoipa::path(put, path = "/api/v0/baskets/{id}/items/{item}/", tag = "baskets", operation_id = "baskets_items_update",
    params(("id" = i64, Path, description = "The caller's basket"), ("item" = i64, Path, description = "The item")), request_body = ItemBody,
    responses((status = 200, description = "The item, now holding the product", body = Item), Refusals))]
pub async fn replace(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((basket, id)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<ItemBody>,
) -> Result<Json<Item>, AppError> {
    change(&state, user.id, basket, id, &b, true).await
}

/// PATCH {product?}.
#[utoipa::path(patch, path = "/api/v0/baskets/{id}/items/{item}/", tag = "baskets", operation_id = "baskets_items_partial_update",
    params(("id" = i64, Path, description = "The caller's basket"), ("item" = i64, Path, description = "The item")), request_body = ItemBody,
    responses((status = 200, description = "The item", body = Item), Refusals))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((basket, id)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<ItemBody>,
) -> Result<Json<Item>, AppError> {
    change(&state, user.id, basket, id, &b, false).await
}

#[utoipa::path(delete, path = "/api/v0/baskets/{id}/items/{item}/", tag = "baskets", operation_id = "baskets_items_destroy",
    params(("id" = i64, Path, description = "The caller's basket"), ("item" = i64, Path, description = "The item")),
    responses((status = 204, description = "Removed"), Refusals))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((basket, id)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    items::remove(&state, user.id, basket, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
