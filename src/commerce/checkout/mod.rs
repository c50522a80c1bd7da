//! Checkout (surface §3.3–3.5): the checkout gates, pending-order reuse, the signed CyberSource
//! form, zero-value orders fulfilled at once, payment results applied to a pending order, what a
//! paid line grants ([`fulfilment`], through the enrollment service in the same transaction),
//! the verified-program zero-value order ([`program_discount`]) and the scheduled resolution of
//! orders whose result never came ([`pending`]). The state-changing GET links and their POST
//! forms, which refuse to act for other sites, are [`links`].
//!
//! Writes orders through [`crate::commerce::orders`]; owns no table of its own.

pub mod api;
pub mod fulfilment;
pub mod links;
pub mod pages;
pub mod pending;
pub mod program_discount;
pub mod service;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The routes of this part of ecommerce.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/checkout/result/", post(api::backoffice_result))
        .route("/api/v0/baskets/checkout/", get(api::v0_checkout))
        .route("/cart/add/", get(links::cart_add).post(links::cart_add_post))
        .route("/cart/add", get(links::cart_add).post(links::cart_add_post))
        .route(
            "/checkout/to_payment",
            get(links::to_payment).post(links::to_payment_post),
        )
        .route(
            "/checkout/anonymous",
            get(links::to_payment).post(links::to_payment_post),
        )
        // The original's pattern is `^checkout/anonymous/?$`.
        .route(
            "/checkout/anonymous/",
            get(links::to_payment).post(links::to_payment_post),
        )
        .route("/checkout/result/", post(pages::result))
}

/// Registers the scheduled pending-order resolution (the original had the task but never
/// scheduled it; lost callbacks stayed pending).
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        "resolve-pending-orders",
        "0 */15 * * * *",
        "Asks CyberSource (or the sandbox) about orders pending for over 15 minutes: paid ones are fulfilled, unpaid ones cancelled after a day.",
        |state| async move { pending::resolve_pending(&state, chrono::Duration::minutes(15)).await },
    ));
}
