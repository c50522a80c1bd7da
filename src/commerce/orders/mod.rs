//! Orders (surface §3.3–3.6): the order state machine, lines, redemptions and gateway
//! transactions; products, order history, receipts and status for learners; the staff order
//! console; receipt mails; and `mitxonline order …`.
//!
//! Owns `orders`, `order_lines`, `order_redemptions` (with discounts), `transactions`, and the
//! checkout forms issued and the alerts about results that did not match them ([`integrity`]).

pub mod api;
pub mod cli;
pub mod duplicates;
pub mod integrity;
pub mod mails;
pub mod model;
pub mod pages;
pub mod products_staff;
pub mod receipts;
pub mod service;
pub mod shapes;
pub mod staff;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The staff product resources under one of the two prefixes.
fn staff_product_routes(base: &str) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{base}/"),
            get(products_staff::list).post(products_staff::create),
        )
        .route(
            &format!("{base}/{{id}}/"),
            get(products_staff::one)
                .put(products_staff::replace)
                .patch(products_staff::patch)
                .delete(products_staff::hide),
        )
}

/// The routes of this part of ecommerce.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/products/", get(api::products))
        .route("/api/products/{id}/", get(api::product))
        .route("/api/orders/history/", get(api::history))
        .route("/api/orders/receipt/{id}/", get(api::receipt))
        .route("/api/v0/products/", get(api::products))
        .merge(staff_product_routes("/api/v0/products/all"))
        .merge(staff_product_routes("/api/products/all"))
        .route("/api/v0/products/{id}/", get(api::product))
        .route("/api/v0/orders/history/", get(api::history))
        .route("/api/v0/orders/history/{id}/", get(api::history_order))
        .route("/api/v0/orders/receipt/{id}/", get(api::receipt))
        .route("/api/v0/orders/status/{key}/", get(api::status))
        .route("/orders/history/", get(pages::history))
        .route("/orders/receipt/{id}/", get(pages::receipt))
        .route("/staff/orders/", get(staff::list))
        .route("/staff/orders/{id}/", get(staff::detail))
        .route("/staff/orders/{id}/refund/", post(staff::refund))
        .route("/orders/receipt/by-run/{id}/", get(receipts::by_product::<false>))
        .route(
            "/orders/receipt/by-program/{id}/",
            get(receipts::by_product::<true>),
        )
}
