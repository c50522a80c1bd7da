//! The staff product API (`/api/v0/products/all/` and `/api/products/all/`, the original's
//! `AllProductViewSet`): every product, active or not, searchable, created, re-priced and hidden
//! through [`crate::catalog::products`]. LimitOffset paging with the original's default of 2.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::api::{Page, paginate};
use crate::catalog::products::{self, NewProduct, ProductChange};
use crate::catalog::store::ProductTarget;
use crate::commerce::basket::shapes::Product;
use crate::commerce::openapi::{Page as Paged, Refusals};
use crate::commerce::{basket, orders};
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// In the run's courseware id, the program's readable id or the description.
    search: Option<String>,
}

async fn shaped(state: &AppState, id: i64) -> Result<Product, AppError> {
    let p = orders::service::product(state, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No Product matches the given query.".into()))?;
    Ok(basket::shapes::product(&p))
}

/// GET: newest first, `search` in the run's courseware id, the program's readable id or the
/// description.
#[utoipa::path(get, path = "/api/v0/products/all/", tag = "products", operation_id = "products_all_list",
    params(Search, Page),
    responses((status = 200, description = "Every product, newest first, a page", body = Paged<Product>), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    _s: StaffAccess,
    Query(q): Query<Search>,
    Query(page): Query<Page>,
    uri: Uri,
) -> Result<Json<Paged<Product>>, AppError> {
    let (limit, offset) = page.parse(2)?;
    let ids = products::search(&state, q.search.filter(|s| !s.trim().is_empty())).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(shaped(&state, id).await?);
    }
    Ok(Json(paginate(&state, uri.path(), items, limit, offset)))
}

/// GET one (active or not).
#[utoipa::path(get, path = "/api/v0/products/all/{id}/", tag = "products", operation_id = "products_all_retrieve",
    params(("id" = i64, Path, description = "The product")),
    responses((status = 200, description = "The product", body = Product), Refusals))]
pub async fn one(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<Product>, AppError> {
    Ok(Json(shaped(&state, id).await?))
}

/// A product's fields (what it sells only when created).
#[derive(Deserialize, ToSchema)]
pub struct Body {
    /// A decimal, as a string or a number.
    #[schema(value_type = Option<String>)]
    price: Option<Value>,
    description: Option<String>,
    is_active: Option<bool>,
    course_run_id: Option<i64>,
    program_id: Option<i64>,
    /// The original's generic relation: `content_type` `courserun` or `program` with `object_id`.
    content_type: Option<String>,
    object_id: Option<i64>,
}

impl Body {
    fn target(&self) -> Result<Option<ProductTarget>, AppError> {
        let by_type = match (self.content_type.as_deref(), self.object_id) {
            (Some("courserun" | "course_run"), Some(id)) => Some(ProductTarget::CourseRun(id)),
            (Some("program"), Some(id)) => Some(ProductTarget::Program(id)),
            (Some(other), _) if !["courserun", "course_run", "program"].contains(&other) => {
                return Err(AppError::field("content_type", "Choose courserun or program."));
            }
            _ => None,
        };
        let direct = match (self.course_run_id, self.program_id) {
            (Some(_), Some(_)) => {
                return Err(AppError::field(
                    "program_id",
                    "A product sells one course run or one program, not both.",
                ));
            }
            (Some(r), None) => Some(ProductTarget::CourseRun(r)),
            (None, Some(g)) => Some(ProductTarget::Program(g)),
            (None, None) => None,
        };
        Ok(direct.or(by_type))
    }

    fn change(&self) -> Result<ProductChange, AppError> {
        Ok(ProductChange {
            price: self.price.as_ref().map(products::parse_price).transpose()?,
            description: self.description.clone(),
            is_active: self.is_active,
        })
    }
}

/// POST {course_run_id | program_id (or content_type + object_id), price, description,
/// is_active?}: 201 with the product.
#[utoipa::path(post, path = "/api/v0/products/all/", tag = "products", operation_id = "products_all_create",
    request_body = Body,
    responses((status = 201, description = "The new product", body = Product), Refusals))]
pub async fn create(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(b): ApiJson<Body>,
) -> Result<Response, AppError> {
    let target = b.target()?.ok_or_else(|| {
        AppError::field(
            "course_run_id",
            "Give the course run (course_run_id) or program (program_id) to sell.",
        )
    })?;
    let price = products::parse_price(
        b.price
            .as_ref()
            .ok_or_else(|| AppError::field("price", "This field is required."))?,
    )?;
    let description = b
        .description
        .clone()
        .ok_or_else(|| AppError::field("description", "This field is required."))?;
    let id = products::create(
        &state,
        s.actor,
        NewProduct {
            target,
            price,
            description,
            is_active: b.is_active.unwrap_or(true),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(shaped(&state, id).await?)).into_response())
}

async fn apply(state: &AppState, actor: String, id: i64, b: &Body) -> Result<Json<Product>, AppError> {
    if b.target()?.is_some() {
        return Err(AppError::field(
            "course_run_id",
            "What a product sells cannot change; hide this product and create another.",
        ));
    }
    products::update(state, actor, id, b.change()?).await?;
    Ok(Json(shaped(state, id).await?))
}

/// PUT: `price` and `description` are required (the contract's full update).
#[utoipa::path(put, path = "/api/v0/products/all/{id}/", tag = "products", operation_id = "products_all_update",
    params(("id" = i64, Path, description = "The product")), request_body = Body,
    responses((status = 200, description = "The product as changed", body = Product), Refusals))]
pub async fn replace(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Body>,
) -> Result<Json<Product>, AppError> {
    if b.price.is_none() {
        return Err(AppError::field("price", "This field is required."));
    }
    if b.description.is_none() {
        return Err(AppError::field("description", "This field is required."));
    }
    apply(&state, s.actor, id, &b).await
}

/// PATCH: any of `price`, `description`, `is_active`.
#[utoipa::path(patch, path = "/api/v0/products/all/{id}/", tag = "products", operation_id = "products_all_partial_update",
    params(("id" = i64, Path, description = "The product")), request_body = Body,
    responses((status = 200, description = "The product as changed", body = Product), Refusals))]
pub async fn patch(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Body>,
) -> Result<Json<Product>, AppError> {
    apply(&state, s.actor, id, &b).await
}

/// DELETE: hides the product (orders and their price versions stay), 204.
#[utoipa::path(delete, path = "/api/v0/products/all/{id}/", tag = "products", operation_id = "products_all_destroy",
    params(("id" = i64, Path, description = "The product")),
    responses((status = 204, description = "Hidden"), Refusals))]
pub async fn hide(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    products::update(
        &state,
        s.actor,
        id,
        ProductChange {
            is_active: Some(false),
            ..ProductChange::default()
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
