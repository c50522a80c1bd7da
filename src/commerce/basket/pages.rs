//! The cart page `/cart/` (items, coupon, summary, place order) and its coupon form. Works
//! without JavaScript.

use crate::commerce::basket;
use crate::commerce::error::CommerceError;
use crate::http::error::AppError;
use crate::http::layout::{page, private};
use crate::http::notices;
use crate::http::page::PageCtx;
use crate::http::page_req::PageReq;
use crate::http::session::{MaybeUser, SignedIn};
use crate::state::AppState;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CartQuery {
    payment: Option<String>,
    message: Option<String>,
    /// `error` when `message` says why something was refused (a checkout gate, a coupon).
    kind: Option<String>,
}

/// GET `/cart/`.
pub async fn cart(
    r: PageReq,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<CartQuery>,
) -> Result<Response, AppError> {
    let signed_in = user.is_some();
    let (owner, cookie) = basket::api::owner(&r.state, user.map(|u| u.id), &headers, false).await?;
    let basket = match owner {
        Some(o) => {
            r.state
                .db
                .read(move |c| basket::service::find_basket(c, &o))
                .await?
        }
        None => None,
    };
    let csrf = r.id.csrf_token();
    let notice = notices::current(&headers, q.payment.as_deref());
    let cart_url = r.ctx.prefix.url("/cart/");
    let body = html! {
        section class="container cart" {
            h1 { "Shopping cart" }
            @if let Some(n) = &notice { (notices::banner(n, &cart_url)) }
            @if let Some(m) = &q.message {
                @if q.kind.as_deref() == Some("error") {
                    div class="notice banner error" role="alert" id="cart-error" {
                        p { strong { "We could not place your order. " } (m) }
                        a class="dismiss" href=(cart_url) { "Dismiss" span class="visually-hidden" { " this message" } }
                    }
                } @else {
                    div class="notice banner" role="status" {
                        p { (m) }
                        a class="dismiss" href=(cart_url) { "Dismiss" span class="visually-hidden" { " this message" } }
                    }
                }
            }
            @match &basket {
                Some(b) if !b.items.is_empty() => {
                    div class="cart-layout" {
                        div class="cart-main" {
                            h2 class="h-small" { "Your items" }
                            table class="cart-items" {
                                thead { tr { th scope="col" { "Item" } th scope="col" class="num" { "Price" } } }
                                tbody {
                                    @for i in &b.items {
                                        tr class="cart-item" {
                                            td {
                                                strong { (i.product.title) }
                                                br; small class="courseware-id" { (i.product.readable_id) }
                                                @if let (Some(start), Some(end)) = (&i.product.start_date, &i.product.end_date) {
                                                    br; small { (start.get(..10).unwrap_or(start)) " – " (end.get(..10).unwrap_or(end)) }
                                                }
                                            }
                                            td class="num" { "$" (i.price) }
                                        }
                                    }
                                }
                            }
                            @if signed_in {
                                form method="post" action=(r.ctx.prefix.url("/cart/coupon/")) class="coupon" {
                                    input type="hidden" name="csrfmiddlewaretoken" value=(csrf);
                                    label for="coupon" { "Coupon code" }
                                    div class="coupon-row" {
                                        input id="coupon" name="code" type="text" maxlength="100" required autocomplete="off";
                                        button type="submit" class="secondary" { "Apply" }
                                    }
                                }
                            }
                        }
                        aside class="order-summary" aria-labelledby="summary-heading" {
                            h2 id="summary-heading" class="h-small" { "Order summary" }
                            dl class="summary" {
                                div class="summary-row" { dt { "Price" } dd id="cart-total" { "$" (b.total_price) } }
                                @if let Some(d) = &b.discount {
                                    div class="summary-row discount" {
                                        dt { "Discount " span class="tag" id="cart-discount-code" { (d.discount_code) } }
                                        dd id="cart-discount" { "−$" (b.total_price - b.discounted_price) }
                                    }
                                }
                                div class="summary-row total" { dt { "Total" } dd id="cart-discounted-total" { "$" (b.discounted_price) } }
                            }
                            @if signed_in {
                                form method="post" action=(r.ctx.prefix.url("/checkout/to_payment")) class="place-order" {
                                    (r.ctx.csrf_field())
                                    button type="submit" id="place-order" { "Place your order" }
                                }
                                p class="muted small" { "You will pay by card on our payment provider's secure page." }
                            } @else {
                                a class="button" href=(r.ctx.prefix.url("/login/?next=/cart/")) { "Sign in to place your order" }
                            }
                        }
                    }
                }
                _ => {
                    div class="empty-state" {
                        p { "Your cart is empty." }
                        a class="button" href=(r.ctx.prefix.url("/catalog/")) { "Browse the catalog" }
                    }
                }
            }
        }
    };
    let mut resp = page(&r.ctx, &private("Shopping cart"), body).into_response();
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    if let Some(c) = notices::consumed(&r.state.config, notice.as_ref()) {
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
    crate::throttle::check::<AppError>(&state, crate::throttle::code_attempts(user.id, id.peer)).await?;
    let code = f.code.trim().to_owned();
    if code.is_empty() || code.len() > 100 {
        return Ok(back_to_cart(
            &ctx,
            "Enter a coupon code of 1 to 100 characters.",
            true,
        ));
    }
    let owner = crate::commerce::basket::model::Owner::User(user.id);
    let r = basket::service::redeem(&state, owner, user.id, code).await;
    Ok(match r {
        Ok(d) => back_to_cart(&ctx, &format!("Coupon {} applied.", d.discount_code), false),
        Err(CommerceError::NotFound(m)) => back_to_cart(&ctx, &m, true),
        Err(CommerceError::NoBasket) => back_to_cart(&ctx, "Your cart is empty.", true),
        Err(e) => return Err(e.into()),
    })
}

/// Back to the cart with `message`, shown as an error when `error`.
pub fn back_to_cart(ctx: &PageCtx, message: &str, error: bool) -> Response {
    let m: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let kind = if error { "&kind=error" } else { "" };
    Redirect::to(&ctx.prefix.url(&format!("/cart/?message={m}{kind}"))).into_response()
}
