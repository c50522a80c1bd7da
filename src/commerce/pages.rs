//! Learner pages: `/cart/` (items, coupon, summary, place order), `/checkout/to_payment`
//! (auto-posting the signed form), the browser return `/checkout/result/`, `/orders/history/`
//! and the printable `/orders/receipt/{id}/`. They work without JavaScript.

use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::api::{self, ResultError};
use super::checkout::Started;
use super::model::OrderState;
use super::service::{self, CommerceError};
use crate::app::AppState;
use crate::http::error::AppError;
use crate::http::layout::{Meta, page};
use crate::http::page::PageCtx;
use crate::http::session::{Identity, MaybeUser, SignedIn};

fn meta(title: &str) -> Meta<'_> {
    Meta {
        title,
        noindex: true,
        ..Meta::default()
    }
}

#[derive(Deserialize)]
pub struct CartQuery {
    payment: Option<String>,
    message: Option<String>,
}

fn notice(payment: Option<&str>) -> Option<&'static str> {
    match payment? {
        "cancelled" => Some("Your payment was cancelled."),
        "declined" => Some("Your payment was declined. Please try another card."),
        "error" => Some("There was an error processing your payment."),
        "accepted" => Some("Payment accepted. Thank you for your order!"),
        _ => None,
    }
}

/// GET `/cart/`.
pub async fn cart(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    identity: Identity,
    headers: HeaderMap,
    Query(q): Query<CartQuery>,
) -> Result<Response, AppError> {
    let signed_in = user.is_some();
    let (owner, cookie) = api::owner(&state, user.map(|u| u.id), &headers, false).await?;
    let basket = match owner {
        Some(o) => state.db.read(move |c| service::find_basket(c, &o)).await?,
        None => None,
    };
    let csrf = identity.csrf_token();
    let body = html! {
        section class="container cart" {
            h1 { "Shopping cart" }
            @if let Some(n) = notice(q.payment.as_deref()) { p class="notice" role="status" { (n) } }
            @if let Some(m) = &q.message { p class="notice" role="alert" { (m) } }
            @match &basket {
                Some(b) if !b.items.is_empty() => {
                    table class="cart-items" {
                        thead { tr { th { "Item" } th { "Price" } } }
                        tbody {
                            @for i in &b.items {
                                tr class="cart-item" {
                                    td {
                                        strong { (i.product.title) }
                                        br; small { (i.product.readable_id) }
                                        @if let (Some(start), Some(end)) = (&i.product.start_date, &i.product.end_date) {
                                            br; small { (start.get(..10).unwrap_or(start)) " – " (end.get(..10).unwrap_or(end)) }
                                        }
                                    }
                                    td { "$" (i.price) }
                                }
                            }
                        }
                    }
                    @if signed_in {
                        form method="post" action=(ctx.prefix.url("/cart/coupon/")) class="coupon" {
                            input type="hidden" name="csrfmiddlewaretoken" value=(csrf);
                            label for="coupon" { "Coupon code" }
                            input id="coupon" name="code" type="text" maxlength="100" required;
                            button type="submit" { "Apply" }
                        }
                    }
                    dl class="summary" {
                        dt { "Price" } dd id="cart-total" { "$" (b.total_price) }
                        @if let Some(d) = &b.discount {
                            dt { "Discount (" (d.discount_code) ")" } dd id="cart-discount" { "−$" (b.total_price - b.discounted_price) }
                        }
                        dt { "Total" } dd id="cart-discounted-total" { "$" (b.discounted_price) }
                    }
                    @if signed_in {
                        a class="button" id="place-order" href=(ctx.prefix.url("/checkout/to_payment")) { "Place your order" }
                    } @else {
                        a class="button" href=(ctx.prefix.url("/login/?next=/cart/")) { "Sign in to place your order" }
                    }
                }
                _ => { p { "Your cart is empty." } }
            }
        }
    };
    let mut resp = page(&ctx, &meta("Shopping cart"), body).into_response();
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct Coupon {
    code: String,
}

/// POST `/cart/coupon/`: applies a code, back to the cart with a message.
pub async fn coupon(
    State(state): State<AppState>,
    ctx: PageCtx,
    id: crate::http::session::Identity,
    SignedIn(user): SignedIn,
    Form(f): Form<Coupon>,
) -> Result<Response, AppError> {
    crate::http::throttle::check(&state, crate::http::throttle::code_attempts(user.id, id.peer)).await?;
    let code = f.code.trim().to_owned();
    if code.is_empty() || code.len() > 100 {
        return Ok(back_to_cart(&ctx, "Enter a coupon code of 1 to 100 characters."));
    }
    let now = state.clock.now();
    let r = state
        .db
        .write(move |c| {
            let b = super::store::basket_id(c, &super::model::Owner::User(user.id))?
                .ok_or(CommerceError::NoBasket)?;
            service::redeem_code(c, b, Some(user.id), &code, now)
        })
        .await;
    Ok(match r {
        Ok(d) => back_to_cart(&ctx, &format!("Coupon {} applied.", d.discount_code)),
        Err(CommerceError::NotFound(m)) => back_to_cart(&ctx, &m),
        Err(CommerceError::NoBasket) => back_to_cart(&ctx, "Your cart is empty."),
        Err(e) => return Err(e.into()),
    })
}

fn back_to_cart(ctx: &PageCtx, message: &str) -> Response {
    let m: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&ctx.prefix.url(&format!("/cart/?message={m}"))).into_response()
}

/// GET `/checkout/to_payment` (and `/checkout/anonymous`, which first claims the visitor's
/// basket): starts the order and hands the signed form to the payment page.
pub async fn to_payment(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
    identity: Identity,
    headers: HeaderMap,
    catalog: crate::catalog::api::Cache,
) -> Result<Response, AppError> {
    let (_, cookie) = api::owner(&state, Some(user.id), &headers, false).await?;
    let ip = identity.peer.map(|p| p.to_string());
    let mut resp = match api::start_checkout(&state, &user, ip, &catalog).await {
        Ok((Started::Free { .. }, _)) => {
            Redirect::to(&ctx.prefix.url("/dashboard/?payment=accepted")).into_response()
        }
        Ok((Started::Pay { .. }, Some(form))) => page(
            &ctx,
            &meta("Redirecting to payment"),
            html! {
                section class="container" {
                    h1 { "Redirecting to the payment page…" }
                    form method="post" action=(form.url) data-autosubmit id="payment-form" {
                        @for (k, v) in &form.fields { input type="hidden" name=(k) value=(v); }
                        button type="submit" { "Continue to payment" }
                    }
                }
            },
        )
        .into_response(),
        Ok((Started::Pay { .. }, None)) => {
            return Err(AppError::Internal(anyhow::anyhow!("no checkout form")));
        }
        Err(CommerceError::Checkout(code)) => back_to_cart(&ctx, checkout_message(code)),
        Err(e) => return Err(e.into()),
    };
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

fn checkout_message(code: &str) -> &'static str {
    match code {
        "enroll-blocked" => "Enrollment in this course is not available in your country.",
        "enroll-duplicated" => "You have already paid for this course run.",
        "course-non-upgradable" => "This course run can no longer be upgraded.",
        "discount-invalid" => "The discount code in your cart is no longer valid; it has been removed.",
        "basket-empty" => "Your cart is empty.",
        "b2b-error-missing-enrollment-code" => {
            "This course run is offered through an organization: enter your enrollment code."
        }
        "b2b-invalid-basket" => "This enrollment code is not valid for the items in your cart.",
        _ => "Your order could not be started.",
    }
}

/// POST `/checkout/result/`: the browser return. 403 on a bad signature, 404 for an unknown
/// order; else a redirect by the order's state.
pub async fn result(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match api::receive_result(&state, &headers, &body).await {
        Ok(applied) => {
            let to = match applied.state() {
                OrderState::Fulfilled => "/dashboard/?payment=accepted",
                OrderState::Declined => "/cart/?payment=declined",
                OrderState::Errored => "/cart/?payment=error",
                OrderState::Pending => "/cart/",
                _ => "/cart/?payment=cancelled",
            };
            (StatusCode::SEE_OTHER, [(header::LOCATION, ctx.prefix.url(to))]).into_response()
        }
        Err(ResultError::BadSignature) => {
            AppError::Forbidden("The payment result could not be verified.".into()).into_response()
        }
        Err(ResultError::UnknownOrder) => AppError::NotFound("No such order.".into()).into_response(),
        Err(ResultError::Internal(e)) => e.into_response(),
    }
}

/// GET `/orders/history/`.
pub async fn history(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
) -> Result<Markup, AppError> {
    let orders = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for o in super::store::orders_of(c, user.id, &[OrderState::Fulfilled, OrderState::Refunded])? {
                let lines = super::store::lines(c, o.id)?;
                out.push((o, lines));
            }
            Ok::<_, CommerceError>(out)
        })
        .await?;
    Ok(page(
        &ctx,
        &meta("Order history"),
        html! {
            section class="container" {
                h1 { "Order history" }
                @if orders.is_empty() { p { "You have no orders yet." } }
                table class="orders" {
                    @for (o, lines) in &orders {
                        tr {
                            td { @for l in lines { (l.description) br; } }
                            td { (o.created_on.get(..10).unwrap_or("")) }
                            td { "$" (o.total_price_paid) }
                            td { (o.state.as_str()) }
                            td { a href=(ctx.prefix.url(&format!("/orders/receipt/{}/", o.id))) { "View receipt" } }
                        }
                    }
                }
            }
        },
    ))
}

/// GET `/orders/receipt/{id}/`: printable; the owner's only.
pub async fn receipt(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let r = super::api_orders::receipt_json(&state, user.id, id).await?;
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    Ok(page(
        &ctx,
        &meta("Receipt"),
        html! {
            section class="container receipt" {
                h1 { "Receipt" }
                p { "Order number: " strong id="receipt-reference" { (s(&r["reference_number"])) } }
                p { "Order date: " (s(&r["created_on"]).get(..10).unwrap_or("")) }
                p { "State: " span id="receipt-state" { (s(&r["state"])) } }
                table {
                    thead { tr { th { "Item" } th { "Price" } th { "Discount" } th { "Paid" } } }
                    tbody {
                        @for l in r["lines"].as_array().into_iter().flatten() {
                            tr {
                                td { (s(&l["content_title"])) br; small { (s(&l["readable_id"])) } }
                                td { "$" (s(&l["price"])) }
                                td { "$" (s(&l["discount"])) }
                                td { "$" (s(&l["total_paid"])) }
                            }
                        }
                    }
                }
                p { "Total paid: " strong id="receipt-total" { "$" (s(&r["total_price_paid"])) } }
                @let t = &r["transactions"];
                @if !s(&t["card_number"]).is_empty() {
                    p { "Paid with " (s(&t["card_type"])) " " (s(&t["card_number"])) }
                }
                button type="button" onclick="window.print()" { "Print" }
            }
        },
    ))
}
