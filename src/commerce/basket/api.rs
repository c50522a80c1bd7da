//! Basket JSON endpoints, legacy (`/api/checkout/…`) and v0 (`/api/v0/baskets/…`), with the
//! original's shapes (surface §2.5–2.6).

use crate::commerce::basket;
use crate::commerce::basket::model::Owner;
use crate::commerce::basket::service::BasketView;
use crate::commerce::error::CommerceError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::commerce::basket::shapes::{Basket, LegacyCart};
use crate::commerce::openapi::{ErrorBody, Refusals, Throttled};

use crate::http::cookies::Cookie;
use crate::http::error::AppError;
use crate::http::extract::PathId;
use crate::http::json::ApiJson;
use crate::http::session::{CurrentUser, Identity, MaybeUser};
use crate::state::AppState;
use crate::throttle;

/// The anonymous basket cookie (the original keeps `anonymous_basket_id` in the session).
pub const ANON_COOKIE: &str = "anonymous_basket_id";

/// Who owns the basket of this request. A signed-in user with an anonymous basket cookie
/// claims that basket (what `/checkout/anonymous` does after login) and the cookie is cleared.
pub async fn owner(
    state: &AppState,
    user: Option<i64>,
    headers: &HeaderMap,
    create_anonymous: bool,
) -> Result<(Option<Owner>, Option<HeaderValue>), AppError> {
    let cookie = crate::http::session::cookie(headers, ANON_COOKIE)
        .filter(|v| uuid::Uuid::parse_str(v).is_ok())
        .map(str::to_owned);
    match (user, cookie) {
        (Some(u), Some(anon)) => {
            state
                .write_at(move |c, now| basket::service::claim_anonymous(c, &anon, u, now))
                .await?;
            let clear = Some(Cookie::removal(ANON_COOKIE).http_only().header(&state.config));
            Ok((Some(Owner::User(u)), clear))
        }
        (Some(u), None) => Ok((Some(Owner::User(u)), None)),
        (None, Some(anon)) => Ok((Some(Owner::Anonymous(anon)), None)),
        (None, None) if create_anonymous => {
            let id = uuid::Uuid::new_v4().to_string();
            let set = Some(
                Cookie::new(ANON_COOKIE, &id, 1_209_600)
                    .http_only()
                    .header(&state.config),
            );
            Ok((Some(Owner::Anonymous(id)), set))
        }
        (None, None) => Ok((None, None)),
    }
}

pub(crate) fn with_cookie(mut resp: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

async fn load_basket(state: &AppState, owner: Option<Owner>) -> Result<Option<BasketView>, AppError> {
    let Some(owner) = owner else { return Ok(None) };
    Ok(state
        .db
        .read(move |c| basket::service::find_basket(c, &owner))
        .await?)
}

#[derive(Deserialize, ToSchema)]
pub struct AddToCart {
    product_id: i64,
}

/// A confirmation `{message}`.
#[derive(Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

/// A code applied `{message, code}`, or refused (`code` then names the code typed).
#[derive(Serialize, ToSchema)]
pub struct CodeMessage {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

fn code_message(status: StatusCode, message: &str, code: Option<&str>) -> Response {
    let body = CodeMessage {
        message: message.to_owned(),
        code: code.map(str::to_owned),
    };
    (status, Json(body)).into_response()
}

/// POST `/api/checkout/add_to_cart/` {product_id}: replaces the basket's item.
#[utoipa::path(post, path = "/api/checkout/add_to_cart/", tag = "baskets", operation_id = "checkout_add_to_cart",
    request_body = AddToCart,
    responses((status = 200, description = "Added (an anonymous visitor gets a basket cookie)", body = Message), Refusals))]
pub async fn add_to_cart(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AddToCart>,
) -> Result<Response, AppError> {
    let (owner, cookie) = owner(&state, user.map(|u| u.id), &headers, true).await?;
    let owner = owner.ok_or_else(AppError::not_found)?;
    state
        .write_at(move |c, now| basket::service::add_product(c, &owner, body.product_id, 1, true, now))
        .await
        .map_err(|e| match e {
            CommerceError::NotFound(_) => AppError::field("product_id", "No active product with this id."),
            other => other.into(),
        })?;
    Ok(with_cookie(
        Json(Message {
            message: "Product added to cart".into(),
        })
        .into_response(),
        cookie,
    ))
}

/// GET `/api/checkout/cart/`: 406 without a basket or items.
#[utoipa::path(get, path = "/api/checkout/cart/", tag = "baskets", operation_id = "checkout_cart",
    responses((status = 200, description = "The caller's cart", body = LegacyCart),
        (status = 406, description = "No basket, or an empty one", body = ErrorBody), Refusals))]
pub async fn cart(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (owner, cookie) = owner(&state, user.map(|u| u.id), &headers, false).await?;
    match load_basket(&state, owner).await? {
        Some(b) if !b.items.is_empty() => Ok(with_cookie(
            Json(basket::shapes::legacy_cart(&b)).into_response(),
            cookie,
        )),
        _ => Ok(with_cookie(
            (
                StatusCode::NOT_ACCEPTABLE,
                Json(ErrorBody::Detail {
                    detail: "No basket".into(),
                }),
            )
                .into_response(),
            cookie,
        )),
    }
}

/// GET `/api/checkout/basket_items_count/`: an integer.
#[utoipa::path(get, path = "/api/checkout/basket_items_count/", tag = "baskets", operation_id = "checkout_basket_items_count",
    responses((status = 200, description = "How many items the caller's basket holds", body = usize), Refusals))]
pub async fn basket_items_count(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Result<Json<usize>, AppError> {
    let (owner, _) = owner(&state, user.map(|u| u.id), &headers, false).await?;
    Ok(Json(
        load_basket(&state, owner).await?.map_or(0, |b| b.items.len()),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct Redeem {
    discount: String,
}

/// Applies a typed code to the caller's basket (throttled per learner and address): the
/// basket's owner and the code as stored, or the refusal to answer (406 without a basket,
/// 404 naming why the code does not apply). `field` names the code in a 400.
async fn apply_code(
    state: &AppState,
    id: &Identity,
    user: i64,
    headers: &HeaderMap,
    code: &str,
    field: &str,
) -> Result<Result<(Owner, String), Response>, AppError> {
    throttle::check::<AppError>(state, throttle::code_attempts(user, id.peer)).await?;
    let (owner, _) = owner(state, Some(user), headers, false).await?;
    let owner = owner.ok_or_else(AppError::not_found)?;
    if code.trim().is_empty() || code.len() > 100 {
        return Err(AppError::field(
            field,
            "Enter a discount code of 1 to 100 characters.",
        ));
    }
    match basket::service::redeem(state, owner.clone(), user, code.to_owned()).await {
        Ok(d) => Ok(Ok((owner, d.discount_code))),
        Err(CommerceError::NoBasket) => Ok(Err(code_message(StatusCode::NOT_ACCEPTABLE, "No basket", None))),
        Err(CommerceError::NotFound(m)) => Ok(Err(code_message(StatusCode::NOT_FOUND, &m, Some(code)))),
        Err(e) => Err(e.into()),
    }
}

/// POST `/api/checkout/redeem_discount/` {discount}: 406 without a basket, 404 when the code
/// does not apply (naming why).
#[utoipa::path(post, path = "/api/checkout/redeem_discount/", tag = "baskets", operation_id = "checkout_redeem_discount",
    request_body = Redeem,
    responses((status = 200, description = "Applied", body = CodeMessage), CodeRefusals, Throttled))]
pub async fn redeem_discount(
    State(state): State<AppState>,
    id: Identity,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Redeem>,
) -> Result<Response, AppError> {
    Ok(
        match apply_code(&state, &id, user.id, &headers, &body.discount, "discount").await? {
            Ok((_, code)) => code_message(StatusCode::OK, "Discount applied", Some(&code)),
            Err(refused) => refused,
        },
    )
}

/// How a typed code is refused.
#[derive(utoipa::IntoResponses)]
pub enum CodeRefusals {
    /// Invalid input (an empty or overlong code).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The code does not apply: `{message, code}` says why.
    #[response(status = 404)]
    NotApplicable(CodeMessage),
    /// No basket: `{message}`.
    #[response(status = 406)]
    NoBasket(CodeMessage),
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscountQuery {
    #[serde(default)]
    discount_code: String,
}

/// POST `/api/v0/baskets/add_discount/?discount_code=`: applies the code and answers the
/// basket (v0 shape). The original's handler calls a method that does not exist (a 500);
/// this is what it was written to do.
#[utoipa::path(post, path = "/api/v0/baskets/add_discount/", tag = "baskets", operation_id = "baskets_add_discount_create",
    params(DiscountQuery),
    responses((status = 200, description = "The basket with the code applied", body = Basket), CodeRefusals, Throttled))]
pub async fn add_discount(
    State(state): State<AppState>,
    id: Identity,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<DiscountQuery>,
) -> Result<Response, AppError> {
    Ok(
        match apply_code(&state, &id, user.id, &headers, &q.discount_code, "discount_code").await? {
            Ok((owner, _)) => {
                let b = load_basket(&state, Some(owner))
                    .await?
                    .ok_or_else(AppError::not_found)?;
                Json(basket::shapes::v0_basket(&b)).into_response()
            }
            Err(refused) => refused,
        },
    )
}

/// GET `/api/v0/baskets/`: the user's basket as a one-element list.
#[utoipa::path(get, path = "/api/v0/baskets/", tag = "baskets", operation_id = "baskets_list",
    responses((status = 200, description = "The caller's basket, if any, as a list", body = Vec<Basket>), Refusals))]
pub async fn v0_baskets(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
) -> Result<Json<Vec<Basket>>, AppError> {
    let (owner, _) = owner(&state, Some(user.id), &headers, false).await?;
    let list = load_basket(&state, owner)
        .await?
        .iter()
        .map(basket::shapes::v0_basket)
        .collect();
    Ok(Json(list))
}

/// GET `/api/v0/baskets/{id}/`: only the user's own.
#[utoipa::path(get, path = "/api/v0/baskets/{id}/", tag = "baskets", operation_id = "baskets_retrieve",
    params(("id" = i64, Path, description = "The basket")),
    responses((status = 200, description = "The caller's basket", body = Basket), Refusals))]
pub async fn v0_basket(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<Basket>, AppError> {
    let b = load_basket(&state, Some(Owner::User(user.id)))
        .await?
        .filter(|b| b.id == id)
        .ok_or_else(AppError::not_found)?;
    Ok(Json(basket::shapes::v0_basket(&b)))
}

/// Options of a basket made from a product (the body may be empty).
#[derive(Deserialize, Default, ToSchema)]
pub struct FromProduct {
    quantity: Option<u32>,
    #[serde(default)]
    checkout: bool,
}

/// POST `/api/v0/baskets/create_from_product/{product_id}/{code}/`: as
/// [`create_from_product`], applying the code (signed-in learners only; an inapplicable code
/// leaves the basket as it is).
#[utoipa::path(post, path = "/api/v0/baskets/create_from_product/{product_id}/{code}/", tag = "baskets",
    operation_id = "create_basket_from_product_with_discount",
    params(("product_id" = i64, Path, description = "The product"), ("code" = String, Path, description = "A discount code")),
    request_body(content = Option<FromProduct>, description = "Optional; may be empty"),
    responses(FromProductAnswers, Refusals, Throttled))]
pub async fn create_from_product_with_code(
    state: State<AppState>,
    id: Identity,
    user: MaybeUser,
    headers: HeaderMap,
    params: Path<Vec<(String, String)>>,
    body: Bytes,
) -> Result<Response, AppError> {
    create_from_product(state, id, user, headers, params, body).await
}

/// What making a basket from a product answers.
#[derive(utoipa::IntoResponses)]
pub enum FromProductAnswers {
    /// The basket, which already held the product.
    #[response(status = 200)]
    Unchanged(Basket),
    /// The basket, with the product added.
    #[response(status = 201)]
    Added(Basket),
    /// With `checkout`: to the payment step (`Location`).
    #[response(status = 302)]
    ToCheckout,
}

/// POST `/api/v0/baskets/create_from_product/{product_id}/`.
#[utoipa::path(post, path = "/api/v0/baskets/create_from_product/{product_id}/", tag = "baskets",
    operation_id = "baskets_create_from_product_create",
    params(("product_id" = i64, Path, description = "The product")),
    request_body(content = Option<FromProduct>, description = "Optional; may be empty"),
    responses(FromProductAnswers, Refusals, Throttled))]
pub async fn create_from_product(
    State(state): State<AppState>,
    id: Identity,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(params): Path<Vec<(String, String)>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let product_id: i64 = params
        .iter()
        .find(|(k, _)| k == "product_id")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::field("product_id", "A valid integer is required."))?;
    let code = params.iter().find(|(k, _)| k == "code").map(|(_, v)| v.clone());
    if code.is_some() && user.is_none() {
        return Err(AppError::Forbidden(
            "Authentication credentials were not provided.".into(),
        ));
    }
    if let (Some(_), Some(u)) = (&code, &user) {
        throttle::check::<AppError>(&state, throttle::code_attempts(u.id, id.peer)).await?;
    }
    let opts: FromProduct = if body.is_empty() {
        FromProduct::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("Invalid JSON body: {e}")))?
    };
    if opts.quantity == Some(0) {
        return Err(AppError::field(
            "quantity",
            "Ensure this value is greater than or equal to 1.",
        ));
    }
    let uid = user.as_ref().map(|u| u.id);
    let (owner, cookie) = owner(&state, uid, &headers, true).await?;
    let owner = owner.ok_or_else(AppError::not_found)?;
    let (basket, created) = state
        .write_at(move |c, now| {
            let (basket, created) =
                basket::service::add_product(c, &owner, product_id, opts.quantity.unwrap_or(1), false, now)?;
            if let Some(code) = code {
                // An inapplicable code leaves the basket as it is (the original ignores it too).
                match basket::service::redeem_code(c, basket, uid, &code, now) {
                    Ok(_) | Err(CommerceError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok((basket::service::basket_view(c, basket)?, created))
        })
        .await?;
    if opts.checkout {
        let to = if uid.is_some() {
            "/checkout/to_payment"
        } else {
            "/checkout/anonymous"
        };
        let location = state.config.absolute_url(to);
        return Ok(with_cookie(
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            cookie,
        ));
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(with_cookie(
        (status, Json(basket::shapes::v0_basket(&basket))).into_response(),
        cookie,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ProductQty {
    product_id: i64,
    quantity: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
pub struct WithProducts {
    product_ids: Vec<ProductQty>,
    discount_code: Option<String>,
}

/// POST `/api/v0/baskets/create_with_products/`.
#[utoipa::path(post, path = "/api/v0/baskets/create_with_products/", tag = "baskets", operation_id = "baskets_create_with_products_create",
    request_body = WithProducts,
    responses((status = 201, description = "The basket holding the products", body = Basket), Refusals, Throttled))]
pub async fn create_with_products(
    State(state): State<AppState>,
    id: Identity,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<WithProducts>,
) -> Result<Response, AppError> {
    if body.discount_code.is_some() {
        throttle::check::<AppError>(&state, throttle::code_attempts(user.id, id.peer)).await?;
    }
    if body.product_ids.is_empty() {
        return Err(AppError::field("product_ids", "This list may not be empty."));
    }
    let basket = state
        .write_at(move |c, now| {
            let owner = Owner::User(user.id);
            let mut basket = 0;
            for (i, p) in body.product_ids.iter().enumerate() {
                basket = basket::service::add_product(
                    c,
                    &owner,
                    p.product_id,
                    p.quantity.unwrap_or(1).max(1),
                    i == 0,
                    now,
                )?
                .0;
            }
            if let Some(code) = &body.discount_code {
                basket::service::redeem_code(c, basket, Some(user.id), code, now)?;
            }
            basket::service::basket_view(c, basket)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(basket::shapes::v0_basket(&basket))).into_response())
}

/// DELETE `/api/v0/baskets/clear/`: 204.
#[utoipa::path(delete, path = "/api/v0/baskets/clear/", tag = "baskets", operation_id = "baskets_clear_destroy",
    responses((status = 204, description = "The caller's basket is empty"), Refusals))]
pub async fn clear(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let (owner, _) = owner(&state, user.map(|u| u.id), &headers, false).await?;
    if let Some(owner) = owner {
        basket::service::clear(&state, owner).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
