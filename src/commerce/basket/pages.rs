//! The cart page `/cart/` (items, coupon, summary, place order) and its coupon form. Works
//! without JavaScript.

use crate::commerce::basket;
use crate::commerce::error::CommerceError;
use crate::http::error::AppError;
use crate::http::layout::{page, private};
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
}

fn notice(payment: Option<&str>) -> Option<&'static str> {
    match payment? {
        "cancelled" => Some("Your payment was cancelled."),
        "declined" => Some("Your payment was declined. Please try another card."),
        "error" => Some("There was an error processing your payment."),
        "review" => Some(
            "Your payment is under review: it did not match your order, so the order was not completed. \
             Our support team will contact you; please do not pay again.",
        ),
        "accepted" => Some("Payment accepted. Thank you for your order!"),
        _ => None,
    }
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
                        form method="post" action=(r.ctx.prefix.url("/cart/coupon/")) class="coupon" {
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
                        form method="post" action=(r.ctx.prefix.url("/checkout/to_payment")) class="inline" {
                            (r.ctx.csrf_field())
                            button type="submit" id="place-order" { "Place your order" }
                        }
                    } @else {
                        a class="button" href=(r.ctx.prefix.url("/login/?next=/cart/")) { "Sign in to place your order" }
                    }
                }
                _ => { p { "Your cart is empty." } }
            }
        }
    };
    let mut resp = page(&r.ctx, &private("Shopping cart"), body).into_response();
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
    crate::throttle::check::<AppError>(&state, crate::throttle::code_attempts(user.id, id.peer)).await?;
    let code = f.code.trim().to_owned();
    if code.is_empty() || code.len() > 100 {
        return Ok(back_to_cart(&ctx, "Enter a coupon code of 1 to 100 characters."));
    }
    let owner = crate::commerce::basket::model::Owner::User(user.id);
    let r = basket::service::redeem(&state, owner, user.id, code).await;
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
