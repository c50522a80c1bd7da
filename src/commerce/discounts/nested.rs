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
use serde_json::{Value, json};

use crate::commerce::discounts::service;

use crate::http::auth::StaffAccess;
use crate::http::error::AppError;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// The two paginations of the original's nested viewsets: the legacy `/api/discounts/…` use
/// Refine's (`l` limit, default 10, at most 50; `o` offset); the `/api/v0/discounts/…` use
/// DRF's `LimitOffsetPagination` with no page size, so they answer a plain list unless
/// `limit` is given (then `limit`/`offset`).
#[derive(Deserialize, Default)]
pub struct Page {
    l: Option<String>,
    o: Option<String>,
    limit: Option<String>,
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
    pub fn slice(&self, all: Vec<Value>) -> Vec<Value> {
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
    pub fn page(&self, state: &AppState, count: i64, rows: Vec<Value>) -> Value {
        paginated(state, &self.uri, count, self.paging, rows)
    }

    /// This page of a whole in-memory list.
    pub fn page_of(&self, state: &AppState, all: Vec<Value>) -> Value {
        let count = all.len() as i64;
        self.page(state, count, self.paging.slice(all))
    }
}

pub fn paginated(state: &AppState, uri: &Uri, count: i64, p: Paging, results: Vec<Value>) -> Value {
    let (lname, oname) = match p.style {
        Style::Plain => return Value::Array(results),
        Style::Refine => ("l", "o"),
        Style::LimitOffset => ("limit", "offset"),
    };
    let link = |o: i64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair(lname, &p.limit.to_string());
        if o > 0 {
            q.append_pair(oname, &o.to_string());
        }
        Value::String(
            state
                .config
                .absolute_url(&format!("{}?{}", uri.path(), q.finish())),
        )
    };
    let (limit, offset) = (p.limit, p.offset);
    json!({
        "count": count,
        "next": if offset.saturating_add(limit) < count { link(offset + limit) } else { Value::Null },
        "previous": if offset > 0 { link((offset - limit).max(0)) } else { Value::Null },
        "results": results,
    })
}

/// GET `/{id}/redemptions/`.
pub async fn redemptions(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    l: Listing,
) -> Result<Json<Value>, AppError> {
    let (count, rows) = service::redemptions(&state, id, l.paging.limit, l.paging.offset).await?;
    Ok(Json(l.page(&state, count, rows)))
}

/// POST `/{id}/redemptions/`: refused. Redemptions are what checkout records when an order uses
/// the code (the original's serializer has every field read-only, so its create fails too).
pub async fn create_redemption(_s: StaffAccess, Path(id): Path<i64>) -> Result<Response, AppError> {
    Err(AppError::BadRequest(format!(
        "Redemptions of discount {id} are recorded by checkout when an order uses the code; they cannot be created by hand."
    )))
}

/// GET `/{id}/redemptions/{redemption_id}/`.
pub async fn redemption(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path((id, rid)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        crate::commerce::discounts::redemptions::redemption(&state, id, rid).await?,
    ))
}

/// PUT/PATCH `/{id}/redemptions/{redemption_id}/`: every field of a redemption is read-only
/// (as the original's serializer), so the redemption is answered unchanged; a body that tries
/// to change one is refused, naming the field.
pub async fn update_redemption(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path((id, rid)): Path<(i64, i64)>,
    ApiJson(b): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, AppError> {
    let current = crate::commerce::discounts::redemptions::redemption(&state, id, rid).await?;
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
    Ok(Json(current))
}

/// DELETE `/{id}/redemptions/{redemption_id}/`: the order no longer counts as having used the
/// code (a one-time code can be used again). Audited with the removed redemption.
pub async fn delete_redemption(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, rid)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    crate::commerce::discounts::redemptions::delete_redemption(&state, s.actor, id, rid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET `/api/discounts/user/`: every user–discount assignment `{id, discount, user}`.
pub async fn user_discounts(
    State(state): State<AppState>,
    _s: StaffAccess,
    l: Listing,
) -> Result<Json<Value>, AppError> {
    let (count, rows) = service::assignments(&state, l.paging.limit, l.paging.offset).await?;
    Ok(Json(l.page(&state, count, rows)))
}

#[derive(Deserialize)]
pub struct UserDiscountBody {
    discount: Option<i64>,
    user: Option<i64>,
}

/// POST `/api/discounts/user/` {discount, user}.
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
pub async fn user_discount(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let row = service::assignment(&state, id).await?;
    Ok(Json(row.ok_or_else(|| {
        AppError::NotFound("No such user discount.".into())
    })?))
}

/// DELETE `/api/discounts/user/{id}/`.
pub async fn delete_user_discount(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::unassign(&state, s.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
