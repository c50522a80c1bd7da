//! Checkout pages: `/checkout/to_payment` (auto-posting the signed form) and the browser
//! return `/checkout/result/`.

use crate::commerce::basket;
use crate::commerce::checkout;
use crate::commerce::checkout::api::ResultError;
use crate::commerce::checkout::service::Started;
use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::OrderState;
use crate::http::error::AppError;
use crate::http::layout::{page, private};
use crate::http::page::PageCtx;
use crate::http::session::{Identity, SignedIn};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

/// `/checkout/to_payment` (and `/checkout/anonymous`, which first claims the visitor's
/// basket), once [`checkout::links`] decided the request may act: starts the order and hands
/// the signed form to the payment page.
pub async fn to_payment(
    state: AppState,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
    identity: Identity,
    headers: HeaderMap,
    catalog: crate::catalog::api::Cache,
) -> Result<Response, AppError> {
    let (_, cookie) = basket::api::owner(&state, Some(user.id), &headers, false).await?;
    let ip = identity.peer.map(|p| p.to_string());
    let mut resp = match checkout::api::start_checkout(&state, &user, ip, &catalog).await {
        Ok((Started::Free { .. }, _)) => {
            Redirect::to(&ctx.prefix.url("/dashboard/?payment=accepted")).into_response()
        }
        Ok((Started::Pay { .. }, Some(form))) => page(
            &ctx,
            &private("Redirecting to payment"),
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
        Err(CommerceError::Checkout(code)) => basket::pages::back_to_cart(&ctx, checkout_message(code), true),
        Err(e) => return Err(e.into()),
    };
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// What the cart says for each checkout gate (the codes the original names), each with what
/// the learner can do about it.
pub fn checkout_message(code: &str) -> &'static str {
    match code {
        "enroll-blocked" => "Enrollment in this course is not available in your country.",
        "enroll-duplicated" => {
            "You have already paid for this course run: it is on your dashboard. Remove it from your cart to buy something else."
        }
        "course-non-upgradable" => {
            "This course run can no longer be upgraded. You can take the course again and pay the next time it runs."
        }
        "discount-invalid" => {
            "The discount code in your cart is no longer valid; it has been removed. Check the new total and place your order again."
        }
        "basket-empty" => "Your cart is empty.",
        "b2b-error-missing-enrollment-code" => {
            "This course run is offered through an organization: enter your enrollment code in the coupon field."
        }
        "b2b-invalid-basket" => {
            "This enrollment code is not valid for the items in your cart. Check the code your organization gave you."
        }
        _ => "Your order could not be started. Please try again, or contact support if it keeps happening.",
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
    match checkout::api::receive_result(&state, &headers, &body).await {
        Ok(applied) => {
            let to = match applied.state() {
                OrderState::Fulfilled => "/dashboard/?payment=accepted",
                OrderState::Declined => "/cart/?payment=declined",
                OrderState::Errored => "/cart/?payment=error",
                OrderState::Review => "/cart/?payment=review",
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
