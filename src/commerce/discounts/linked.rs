//! The discount's linked products and assigned users in the staff API (`/{id}/products/…` and
//! `/{id}/assignees/…`): one set of handlers, the list they serve named by a type parameter
//! (`list::<Products>`, `list::<Assignees>`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::commerce::discounts::nested::Listing;
use crate::commerce::discounts::service::{self, Nested};
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LinkBody {
    product_id: Option<i64>,
    user_id: Option<i64>,
    user: Option<i64>,
}

/// One of the discount's linked lists.
pub trait Linked {
    const WHAT: Nested;
    /// The product or user a body adds.
    fn target(b: &LinkBody) -> Result<i64, AppError>;
}

/// The discount's products; a body names one as `{product_id}`.
pub struct Products;

impl Linked for Products {
    const WHAT: Nested = Nested::Products;
    fn target(b: &LinkBody) -> Result<i64, AppError> {
        b.product_id
            .ok_or_else(|| AppError::field("product_id", "This field is required."))
    }
}

/// The users the discount is assigned to; a body names one as `{user_id}` (or `{user}`, the
/// v0 spelling).
pub struct Assignees;

impl Linked for Assignees {
    const WHAT: Nested = Nested::Assignees;
    fn target(b: &LinkBody) -> Result<i64, AppError> {
        b.user_id
            .or(b.user)
            .ok_or_else(|| AppError::field("user_id", "This field is required."))
    }
}

/// GET `/{id}/products/` or `/{id}/assignees/`.
pub async fn list<L: Linked>(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    l: Listing,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        l.page_of(&state, service::linked(&state, id, L::WHAT).await?),
    ))
}

/// Adds (or removes) a product or user; returns the discount's whole list as the original
/// does, 201 when something was added, 200 otherwise.
pub(super) async fn change_link(
    state: &AppState,
    actor: String,
    id: i64,
    what: Nested,
    target: i64,
    add: bool,
) -> Result<Response, AppError> {
    let (changed, list) = service::change_link(state, actor, id, what, target, add).await?;
    let status = if add && changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Value::Array(list))).into_response())
}

/// POST/PATCH `/{id}/products/` (and PATCH `/{id}/products/{pk}/`) with `{product_id}`, or the
/// same under `assignees/` with `{user_id}`.
pub async fn add<L: Linked>(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(path): Path<Vec<(String, String)>>,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<Response, AppError> {
    let id = discount_id(&path)?;
    let target = L::target(&b)?;
    change_link(&state, s.actor, id, L::WHAT, target, true).await
}

fn discount_id(path: &[(String, String)]) -> Result<i64, AppError> {
    path.iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::NotFound("No such discount.".into()))
}

/// DELETE `/{id}/products/{product_id}/` or `/{id}/assignees/{user_id}/`.
pub async fn remove<L: Linked>(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, target)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    change_link(&state, s.actor, id, L::WHAT, target, false).await
}

/// GET `/{id}/products/{product_id}/` (the product's link to the discount) or
/// `/{id}/assignees/{user_id}/` (the user's assignment to it).
pub async fn one<L: Linked>(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path((id, target)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(service::linked_one(&state, id, L::WHAT, target).await?))
}
