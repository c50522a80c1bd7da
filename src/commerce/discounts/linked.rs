//! The discount's linked products and assigned users in the staff API (`/{id}/products/…` and
//! `/{id}/assignees/…`): one set of handlers, the list they serve named by a type parameter
//! (`list::<Products>`, `list::<Assignees>`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::commerce::discounts::links::{DiscountAssignee, DiscountProduct, LinkedItem};
use crate::commerce::discounts::nested::{Listing, Page};
use crate::commerce::discounts::service::{self, Nested};
use crate::commerce::openapi::{Listed, Refusals};
use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// What to link: `{product_id}` for products, `{user_id}` (or `{user}`) for assignees.
#[derive(Deserialize, utoipa::ToSchema)]
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
) -> Result<Json<Listed<LinkedItem>>, AppError> {
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
    Ok((status, Json(list)).into_response())
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
) -> Result<Json<LinkedItem>, AppError> {
    Ok(Json(service::linked_one(&state, id, L::WHAT, target).await?))
}

/// The documented handlers of one linked list: each serves one path (POST and PATCH of the
/// list add, as PUT and PATCH of an item do), calling the generic handler above with the
/// list's type.
macro_rules! linked_handlers {
    ($mod:ident, $L:ty, $Item:ty, $what:tt, $list:tt, $one:tt, $target:tt) => {
        pub mod $mod {
            use super::*;

            #[utoipa::path(get, path = $list, tag = "discounts", operation_id = concat!("discounts_", $what, "_list"),
                params(("id" = i64, Path, description = "The discount"), Page),
                responses((status = 200, description = "The discount's list", body = Listed<$Item>), Refusals))]
            pub async fn list(
                state: State<AppState>,
                s: StaffAccess,
                id: Path<i64>,
                l: Listing,
            ) -> Result<Json<Listed<LinkedItem>>, AppError> {
                super::list::<$L>(state, s, id, l).await
            }

            #[utoipa::path(method(post, patch), path = $list, tag = "discounts", operation_id = concat!("discounts_", $what, "_create"),
                params(("id" = i64, Path, description = "The discount")), request_body = LinkBody,
                responses((status = 201, description = "Linked: the discount's whole list", body = Vec<$Item>),
                    (status = 200, description = "Linked already: the discount's whole list", body = Vec<$Item>), Refusals))]
            pub async fn create(
                state: State<AppState>,
                s: StaffAccess,
                path: Path<Vec<(String, String)>>,
                body: ApiJson<LinkBody>,
            ) -> Result<Response, AppError> {
                super::add::<$L>(state, s, path, body).await
            }

            #[utoipa::path(get, path = $one, tag = "discounts", operation_id = concat!("discounts_", $what, "_retrieve"),
                params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = $target)),
                responses((status = 200, description = "The link", body = $Item), Refusals))]
            pub async fn one(
                state: State<AppState>,
                s: StaffAccess,
                path: Path<(i64, i64)>,
            ) -> Result<Json<LinkedItem>, AppError> {
                super::one::<$L>(state, s, path).await
            }

            #[utoipa::path(method(put, patch), path = $one, tag = "discounts", operation_id = concat!("discounts_", $what, "_update"),
                params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = $target)),
                request_body = LinkBody,
                responses((status = 201, description = "Linked: the discount's whole list", body = Vec<$Item>),
                    (status = 200, description = "Linked already: the discount's whole list", body = Vec<$Item>), Refusals))]
            pub async fn put(
                state: State<AppState>,
                s: StaffAccess,
                path: Path<Vec<(String, String)>>,
                body: ApiJson<LinkBody>,
            ) -> Result<Response, AppError> {
                super::add::<$L>(state, s, path, body).await
            }

            #[utoipa::path(delete, path = $one, tag = "discounts", operation_id = concat!("discounts_", $what, "_destroy"),
                params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = $target)),
                responses((status = 200, description = "Unlinked: the discount's whole list", body = Vec<$Item>), Refusals))]
            pub async fn remove(
                state: State<AppState>,
                s: StaffAccess,
                path: Path<(i64, i64)>,
            ) -> Result<Response, AppError> {
                super::remove::<$L>(state, s, path).await
            }
        }
    };
}
linked_handlers!(
    products,
    Products,
    DiscountProduct,
    "products",
    "/api/v0/discounts/{id}/products/",
    "/api/v0/discounts/{id}/products/{pk}/",
    "The product"
);
linked_handlers!(
    assignees,
    Assignees,
    DiscountAssignee,
    "assignees",
    "/api/v0/discounts/{id}/assignees/",
    "/api/v0/discounts/{id}/assignees/{pk}/",
    "The user"
);
