//! The nested discount resources of the staff API (surface §2.5), under both
//! `/api/discounts/{id}/…` and `/api/v0/discounts/{id}/…`: `redemptions/` (list), `assignees/`
//! (list, add by `user_id`, remove), `products/` (list, add by `product_id`, remove),
//! `tiers/` (list, create, remove), and `/api/discounts/user/` (every user–discount
//! assignment, as the original's `UserDiscountViewSet`). Lists use the original's Refine
//! pagination (`l` limit, default 10, at most 50; `o` offset). Staff only; unknown ids and bad
//! bodies are 4xx naming the problem with nothing changed; every change is audited.

use crate::commerce::{basket, discounts};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::commerce::discounts::links;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::error::CommerceError;

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
    pub(super) fn slice(&self, all: Vec<Value>) -> Vec<Value> {
        all.into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .collect()
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

fn no_discount() -> CommerceError {
    CommerceError::NotFound("No such discount.".into())
}

pub(super) fn the_discount(c: &rusqlite::Connection, id: i64) -> Result<DiscountRow, CommerceError> {
    discounts::store::discount(c, id)?.ok_or_else(no_discount)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn audit(
    c: &rusqlite::Connection,
    actor: &str,
    action: &str,
    object: &str,
    id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), CommerceError> {
    crate::audit::record(c, None, actor, action, object, id, before, after, now)?;
    Ok(())
}

/// GET `/{id}/redemptions/`.
pub async fn redemptions(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    Query(p): Query<Page>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let paging = p.parse(&uri)?;
    let (count, rows) = state
        .db
        .read(move |c| {
            let d = the_discount(c, id)?;
            Ok::<_, CommerceError>(links::redemptions_json(c, &d, paging.limit, paging.offset)?)
        })
        .await?;
    Ok(Json(paginated(&state, &uri, count, paging, rows)))
}

/// Which nested list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Nested {
    Products,
    Assignees,
}

async fn list_nested(
    state: &AppState,
    id: i64,
    p: &Page,
    uri: &Uri,
    what: Nested,
) -> Result<Json<Value>, AppError> {
    let paging = p.parse(uri)?;
    let all = state
        .db
        .read(move |c| {
            let d = the_discount(c, id)?;
            Ok::<_, CommerceError>(match what {
                Nested::Products => links::products_json(c, &d)?,
                Nested::Assignees => links::assignees_json(c, &d)?,
            })
        })
        .await?;
    let count = all.len() as i64;
    Ok(Json(paginated(state, uri, count, paging, paging.slice(all))))
}

/// GET `/{id}/products/`.
pub async fn products(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    Query(p): Query<Page>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    list_nested(&state, id, &p, &uri, Nested::Products).await
}

/// GET `/{id}/assignees/`.
pub async fn assignees(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
    Query(p): Query<Page>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    list_nested(&state, id, &p, &uri, Nested::Assignees).await
}

#[derive(Deserialize)]
pub struct LinkBody {
    product_id: Option<i64>,
    user_id: Option<i64>,
    user: Option<i64>,
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
    let now = state.clock.now();
    let (changed, list) = state
        .db
        .write(move |c| {
            let d = the_discount(c, id)?;
            let (field, object) = match what {
                Nested::Products => ("product_id", "discount_product"),
                Nested::Assignees => ("user_id", "discount_assignee"),
            };
            let exists = match what {
                Nested::Products => basket::store::product(c, target)?.is_some(),
                Nested::Assignees => links::user(c, target)?.is_some(),
            };
            if !exists {
                let msg = if add { "No such object." } else { "Not found." };
                return Err(if add {
                    CommerceError::Invalid {
                        field,
                        message: format!("{msg} ({target})"),
                    }
                } else {
                    CommerceError::NotFound(format!("No such {}: {target}.", &field[..field.len() - 3]))
                });
            }
            let linked = match what {
                Nested::Products => links::is_product_linked(c, id, target)?,
                Nested::Assignees => links::is_user_assigned(c, id, target)?,
            };
            let changed = match (add, linked, what) {
                (true, false, Nested::Products) => {
                    discounts::store::add_discount_product(c, id, target)?;
                    true
                }
                (true, false, Nested::Assignees) => {
                    discounts::store::add_discount_user(c, id, target)?;
                    true
                }
                (false, true, Nested::Products) => links::remove_product(c, id, target)?,
                (false, true, Nested::Assignees) => links::remove_assignee(c, id, target)?,
                (false, false, _) => {
                    return Err(CommerceError::NotFound(format!(
                        "{} {target} is not linked to discount {id}.",
                        if what == Nested::Products {
                            "Product"
                        } else {
                            "User"
                        }
                    )));
                }
                (true, true, _) => false,
            };
            if changed {
                let detail = json!({"discount": id, field: target});
                let (before, after) = if add {
                    (None, Some(&detail))
                } else {
                    (Some(&detail), None)
                };
                audit(
                    c,
                    &actor,
                    if add { "add" } else { "remove" },
                    object,
                    &id.to_string(),
                    before,
                    after,
                    now,
                )?;
            }
            let list = match what {
                Nested::Products => links::products_json(c, &d)?,
                Nested::Assignees => links::assignees_json(c, &d)?,
            };
            Ok::<_, CommerceError>((changed, list))
        })
        .await?;
    let status = if add && changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Value::Array(list))).into_response())
}

/// POST/PATCH `/{id}/products/` (and PATCH `/{id}/products/{pk}/`) with `{product_id}`.
pub async fn add_product(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(path): Path<Vec<(String, String)>>,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<Response, AppError> {
    let id = discount_id(&path)?;
    let target = b
        .product_id
        .ok_or_else(|| AppError::field("product_id", "This field is required."))?;
    change_link(&state, s.actor, id, Nested::Products, target, true).await
}

/// POST/PATCH `/{id}/assignees/` (and PATCH `/{id}/assignees/{pk}/`) with `{user_id}` (or
/// `{user}`, the v0 spelling).
pub async fn add_assignee(
    State(state): State<AppState>,
    s: StaffAccess,
    Path(path): Path<Vec<(String, String)>>,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<Response, AppError> {
    let id = discount_id(&path)?;
    let target = b
        .user_id
        .or(b.user)
        .ok_or_else(|| AppError::field("user_id", "This field is required."))?;
    change_link(&state, s.actor, id, Nested::Assignees, target, true).await
}

fn discount_id(path: &[(String, String)]) -> Result<i64, AppError> {
    path.iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::NotFound("No such discount.".into()))
}

/// DELETE `/{id}/products/{product_id}/`.
pub async fn remove_product(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, product)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    change_link(&state, s.actor, id, Nested::Products, product, false).await
}

/// DELETE `/{id}/assignees/{user_id}/`.
pub async fn remove_assignee(
    State(state): State<AppState>,
    s: StaffAccess,
    Path((id, user)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    change_link(&state, s.actor, id, Nested::Assignees, user, false).await
}

/// GET `/api/discounts/user/`: every user–discount assignment `{id, discount, user}`.
pub async fn user_discounts(
    State(state): State<AppState>,
    _s: StaffAccess,
    Query(p): Query<Page>,
    uri: Uri,
) -> Result<Json<Value>, AppError> {
    let paging = p.parse(&uri)?;
    let (count, rows) = state
        .db
        .read(move |c| Ok::<_, CommerceError>(links::all_assignments(c, paging.limit, paging.offset)?))
        .await?;
    Ok(Json(paginated(&state, &uri, count, paging, rows)))
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
    let now = state.clock.now();
    let out = state
        .db
        .write(move |c| {
            if discounts::store::discount(c, discount)?.is_none() {
                return Err(CommerceError::Invalid {
                    field: "discount",
                    message: format!("Invalid pk \"{discount}\" - object does not exist."),
                });
            }
            if links::user(c, user)?.is_none() {
                return Err(CommerceError::Invalid {
                    field: "user",
                    message: format!("Invalid pk \"{user}\" - object does not exist."),
                });
            }
            if links::is_user_assigned(c, discount, user)? {
                return Err(CommerceError::Invalid {
                    field: "user",
                    message: "This user is already assigned to this discount.".into(),
                });
            }
            discounts::store::add_discount_user(c, discount, user)?;
            let row = links::assignments_of(c, discount, user)?;
            audit(
                c,
                &s.actor,
                "add",
                "discount_assignee",
                &discount.to_string(),
                None,
                Some(&row),
                now,
            )?;
            Ok::<_, CommerceError>(row)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// GET `/api/discounts/user/{id}/`.
pub async fn user_discount(
    State(state): State<AppState>,
    _s: StaffAccess,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let row = state
        .db
        .read(move |c| Ok::<_, CommerceError>(links::assignment_by_id(c, id)?))
        .await?;
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
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let row = links::assignment_by_id(c, id)?
                .ok_or_else(|| CommerceError::NotFound("No such user discount.".into()))?;
            links::delete_assignment(c, id)?;
            let discount = row["discount"].to_string();
            audit(
                c,
                &s.actor,
                "remove",
                "discount_assignee",
                &discount,
                Some(&row),
                None,
                now,
            )?;
            Ok::<_, CommerceError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
