//! Refunds (surface §3.6–3.7): learners' refund requests, partial and full refunds reserved,
//! asked of the gateway and recorded ([`service`]), the job that settles refunds whose gateway
//! answer was lost ([`reconcile`]), the staff refund API and pages, and refund mails.
//!
//! Owns `order_refunds` and `refund_requests`; reads orders through [`crate::commerce::orders`].

pub mod api;
pub mod eligibility;
pub mod gateway;
pub mod mails;
pub mod model;
pub mod reconcile;
pub mod request_service;
pub mod requests;
pub mod service;
pub mod staff;
pub mod staff_requests;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The routes of this part of ecommerce.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v0/orders/refund-requests/", post(requests::refund_request))
        .route("/api/v0/orders/{id}/refunds/", get(api::list).post(api::create))
        .route(
            "/api/v0/orders/{id}/refunds/{refund}/",
            axum::routing::patch(api::settle),
        )
        .route("/staff/orders/{id}/refunds/{refund}/settle/", post(staff::settle))
        .route("/staff/refunds/", get(staff_requests::refunds_page))
        .route("/staff/refunds/{id}/", post(staff_requests::decide))
}

/// Registers the job that settles pending refunds.
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        "resolve-pending-refunds",
        "0 */15 * * * *",
        "Settles refunds pending for over 15 minutes (CyberSource's reply was lost) from the refunds CyberSource (or the sandbox) shows; never asks for a new refund.",
        |state| async move {
            reconcile::resolve_pending_refunds(&state, chrono::Duration::minutes(15)).await
        },
    ));
}
