//! The nested discount resources of the staff API (surface §2.5), under both
//! `/api/discounts/{id}/…` and `/api/v0/discounts/{id}/…`: `redemptions/` (list), `assignees/`
//! (list, add by `user_id`, remove) and `products/` (list, add by `product_id`, remove) in
//! [`super::linked`], `tiers/` (list, create, remove) in [`super::tiers`], and `/api/discounts/user/` (every user–discount
//! assignment, as the original's `UserDiscountViewSet`). Lists use the original's Refine
//! pagination (`l` limit, default 10, at most 50; `o` offset). Staff only; unknown ids and bad
//! bodies are 4xx naming the problem with nothing changed; every change is audited.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::commerce::discounts::links::{Assignment, Redemption};
use crate::commerce::discounts::service;
use crate::commerce::openapi::{Listed, Page as Paged, Refusals};

use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// The two paginations of the original's nested viewsets: the legacy `/api/discounts/…` use
/// Refine's (`l` limit, default 10, at most 50; `o` offset); the `/api/v0/discounts/…` use
/// DRF's `LimitOffsetPagination` with no page size, so they answer a plain list unless
/// `limit` is given (then `limit`/`offset`).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Refine's page size (legacy paths; default 10, at most 50).
    #[param(value_type = Option<u32>)]
    l: Option<String>,
    /// Refine's offset (legacy paths).
    #[param(value_type = Option<u32>)]
    o: Option<String>,
    /// Page size (v0 paths; without it the answer is a plain list).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// Offset (v0 paths, with `limit`).
    #[param(value_type = Option<u32>)]
    offset: Option<String>,
}

/// How one request pages.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
    style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Refine,
    LimitOffset,
    Plain,
}

impl Page {
    pub fn parse(&self, uri: &Uri) -> Result<Paging, AppError> {
        let num = |name: &str, v: &Option<String>| match v.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| AppError::field(name, "A non-negative integer is required.")),
        };
        if uri.path().starts_with("/api/v0/") {
            let offset = num("offset", &self.offset)?.unwrap_or(0);
            return Ok(match num("limit", &self.limit)?.filter(|l| *l > 0) {
                Some(limit) => Paging {
                    limit,
                    offset,
                    style: Style::LimitOffset,
                },
                None => Paging {
                    limit: i64::MAX,
                    offset: 0,
                    style: Style::Plain,
                },
            });
        }
        let limit = num("l", &self.l)?.filter(|l| *l > 0).unwrap_or(10).min(50);
        Ok(Paging {
            limit,
            offset: num("o", &self.o)?.unwrap_or(0),
            style: Style::Refine,
        })
    }
}

impl Paging {
    /// This page of an in-memory list.
    pub fn slice<T>(&self, all: Vec<T>) -> Vec<T> {
        all.into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .collect()
    }
}

/// A list request: its paging, parsed from the query (as the path's style says), and its URI
/// for the page links. A bad `l`/`o`/`limit`/`offset` is refused naming the parameter.
pub struct Listing {
    pub paging: Paging,
    pub uri: Uri,
}

impl<S: Send + Sync> FromRequestParts<S> for Listing {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Query(p) = Query::<Page>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let uri = parts.uri.clone();
        let paging = p.parse(&uri).map_err(IntoResponse::into_response)?;
        Ok(Listing { paging, uri })
    }
}

impl Listing {
    /// This page's `rows`, of `count` in all, with the links to the pages beside it.
    pub fn page<T>(&self, state: &AppState, count: i64, rows: Vec<T>) -> Listed<T> {
        paginated(state, &self.uri, count, self.paging, rows)
    }

    /// This page of a whole in-memory list.
    pub fn page_of<T>(&self, state: &AppState, all: Vec<T>) -> Listed<T> {
        let count = all.len() as i64;
        self.page(state, count, self.paging.slice(all))
    }
}

pub fn paginated<T>(state: &AppState, uri: &Uri, count: i64, p: Paging, results: Vec<T>) -> Listed<T> {
    let (lname, oname) = match p.style {
        Style::Plain => return Listed::Plain(results),
        Style::Refine => ("l", "o"),
        Style::LimitOffset => ("limit", "offset"),
    };
    let link = |o: i64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair(lname, &p.limit.to_string());
        if o > 0 {
            q.append_pair(oname, &o.to_string());
        }
        state
            .config
            .absolute_url(&format!("{}?{}", uri.path(), q.finish()))
    };
    let (limit, offset) = (p.limit, p.offset);
    Listed::Page(Paged {
        count,
        next: (offset.saturating_add(limit) < count).then(|| link(offset + limit)),
        previous: (offset > 0).then(|| link((offset - limit).max(0))),
        results,
    })
}

/// GET `/{id}/redemptions/`.
#[utoipa::path(get, path = "/api/v0/discounts/{id}/redemptions/", tag = "discounts", operation_id = "discounts_redemptions_list",
    params(("id" = i64, Path, description = "The discount"), Page),
    responses((status = 200, description = "The discount's redemptions, newest first", body = Listed<Redemption>), Refusals))]
pub async fn redemptions(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    l: Listing,
) -> Result<Json<Listed<Redemption>>, AppError> {
    let (count, rows) = service::redemptions(&state, id, l.paging.limit, l.paging.offset).await?;
    Ok(Json(l.page(&state, count, rows)))
}

/// POST `/{id}/redemptions/`: refused. Redemptions are what checkout records when an order uses
/// the code (the original's serializer has every field read-only, so its create fails too).
#[utoipa::path(post, path = "/api/v0/discounts/{id}/redemptions/", tag = "discounts", operation_id = "discounts_redemptions_create",
    params(("id" = i64, Path, description = "The discount")),
    responses((status = 400, description = "Always refused: checkout records redemptions", body = crate::commerce::openapi::ErrorBody), Refusals))]
pub async fn create_redemption(_s: StaffAccess, Path(id): Path<i64>) -> Result<Response, AppError> {
    Err(AppError::BadRequest(format!(
        "Redemptions of discount {id} are recorded by checkout when an order uses the code; they cannot be created by hand."
    )))
}

/// GET `/{id}/redemptions/{redemption_id}/`.
#[utoipa::path(get, path = "/api/v0/discounts/{id}/redemptions/{pk}/", tag = "discounts", operation_id = "discounts_redemptions_retrieve",
    params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = "The redemption")),
    responses((status = 200, description = "The redemption", body = Redemption), Refusals))]
pub async fn redemption(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path((id, rid)): Path<(i64, i64)>,
) -> Result<Json<Redemption>, AppError> {
    Ok(Json(
        crate::commerce::discounts::redemptions::redemption(&state, id, rid).await?,
    ))
}

/// PUT/PATCH `/{id}/redemptions/{redemption_id}/`: every field of a redemption is read-only
/// (as the original's serializer), so the redemption is answered unchanged; a body that tries
/// to change one is refused, naming the field.
#[utoipa::path(method(put, patch), path = "/api/v0/discounts/{id}/redemptions/{pk}/", tag = "discounts", operation_id = "discounts_redemptions_update",
    params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = "The redemption")),
    request_body(content = Object, description = "Fields of the redemption, each as it is (all are read-only)"),
    responses((status = 200, description = "The redemption, unchanged", body = Redemption), Refusals))]
pub async fn update_redemption(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path((id, rid)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Redemption>, AppError> {
    let typed = crate::commerce::discounts::redemptions::redemption(&state, id, rid).await?;
    let current = crate::commerce::discounts::service::json(&typed);
    for (field, value) in &b {
        let same = match current.get(field.as_str()) {
            Some(Value::Object(o)) => {
                o.get("id") == Some(value) || Some(value) == current.get(field.as_str())
            }
            Some(v) => v == value,
            None => false,
        };
        if !same {
            return Err(AppError::field(
                field,
                "This field is read-only: redemptions are recorded by checkout.",
            ));
        }
    }
    Ok(Json(typed))
}

/// DELETE `/{id}/redemptions/{redemption_id}/`: the order no longer counts as having used the
/// code (a one-time code can be used again). Audited with the removed redemption.
#[utoipa::path(delete, path = "/api/v0/discounts/{id}/redemptions/{pk}/", tag = "discounts", operation_id = "discounts_redemptions_destroy",
    params(("id" = i64, Path, description = "The discount"), ("pk" = i64, Path, description = "The redemption")),
    responses((status = 204, description = "Removed"), Refusals))]
pub async fn delete_redemption(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, rid)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    crate::commerce::discounts::redemptions::delete_redemption(&state, s.actor, id, rid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET `/api/discounts/user/`: every user–discount assignment `{id, discount, user}`.
#[utoipa::path(get, path = "/api/v0/discounts/user/", tag = "discounts", operation_id = "discounts_user_list",
    params(Page),
    responses((status = 200, description = "Every user–discount assignment", body = Listed<Assignment>), Refusals))]
pub async fn user_discounts(
    State(state): State<AppState>,
    _s: StaffAccess,
    l: Listing,
) -> Result<Json<Listed<Assignment>>, AppError> {
    let (count, rows) = service::assignments(&state, l.paging.limit, l.paging.offset).await?;
    Ok(Json(l.page(&state, count, rows)))
}

/// An assignment to make: the discount and the user.
#[derive(Deserialize, ToSchema)]
pub struct UserDiscountBody {
    discount: Option<i64>,
    user: Option<i64>,
}

/// POST `/api/discounts/user/` {discount, user}.
#[utoipa::path(post, path = "/api/v0/discounts/user/", tag = "discounts", operation_id = "discounts_user_create",
    request_body = UserDiscountBody,
    responses((status = 201, description = "Assigned", body = Assignment), Refusals))]
pub async fn create_user_discount(
    State(state): State<AppState>,
    s: StaffAccess,
    ApiJson(b): ApiJson<UserDiscountBody>,
) -> Result<Response, AppError> {
    let discount = b
        .discount
        .ok_or_else(|| AppError::field("discount", "This field is required."))?;
    let user = b
        .user
        .ok_or_else(|| AppError::field("user", "This field is required."))?;
    let out = service::assign_user(&state, s.actor, discount, user).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// GET `/api/discounts/user/{id}/`.
#[utoipa::path(get, path = "/api/v0/discounts/user/{id}/", tag = "discounts", operation_id = "discounts_user_retrieve",
    params(("id" = i64, Path, description = "The assignment")),
    responses((status = 200, description = "The assignment", body = Assignment), Refusals))]
pub async fn user_discount(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<Assignment>, AppError> {
    let row = service::assignment(&state, id).await?;
    Ok(Json(row.ok_or_else(|| {
        AppError::NotFound("No such user discount.".into())
    })?))
}

/// DELETE `/api/discounts/user/{id}/`.
#[utoipa::path(delete, path = "/api/v0/discounts/user/{id}/", tag = "discounts", operation_id = "discounts_user_destroy",
    params(("id" = i64, Path, description = "The assignment")),
    responses((status = 204, description = "Unassigned"), Refusals))]
pub async fn delete_user_discount(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::unassign(&state, s.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
