//! Ecommerce: baskets, discounts, orders, CyberSource checkout, receipts and refunds (issue 6).
//!
//! The pure discount rules are in [`discounts`]; baskets and discount application in
//! [`service`]; the order state machine, pending-order reuse and payment results in
//! [`checkout`]; what a paid line grants (through the enrollment service, in the same
//! transaction) in [`fulfilment`]; refunds and the scheduled pending-order resolution in
//! [`refunds`] and [`partial_refunds`]; pending refunds settled by a job in [`refund_reconcile`]; the verified-program discount and its zero-value order
//! in [`program_discount`]. Handlers: [`api`] (baskets, checkout, back-office result),
//! [`api_orders`] (products, orders, refund requests), [`staff`] (discounts, refund requests
//! page), [`staff_nested`] and [`staff_tiers`] (a discount's products, assignees, redemptions and
//! flexible-price tiers), [`staff_refunds`] (refund API), [`staff_pages`] (staff discount pages),
//! [`staff_orders`] (order lookup and refunds for staff), [`staff_order_refunds`] (settling pending refunds), [`pages`], [`receipts_redirect`]
//! (receipt links by run/program).

pub mod api;
pub mod api_checkout;
pub mod api_orders;
pub mod checkout;
pub mod cli;
pub mod discount_links;
pub mod discounts;
pub mod fulfilment;
pub mod mails;
pub mod model;
pub mod pages;
pub mod partial_refunds;
pub mod program_discount;
pub mod receipts_redirect;
pub mod refund_reconcile;
pub mod refunds;
pub mod service;
pub mod shapes;
pub mod staff;
pub mod staff_nested;
pub mod staff_order_refunds;
pub mod staff_orders;
pub mod staff_pages;
pub mod staff_refunds;
pub mod staff_tiers;
pub mod store;
pub mod store_orders;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Every ecommerce route; checkout reads the shared catalog snapshot (the upgradable gate).
pub fn routes(catalog: std::sync::Arc<crate::catalog::CatalogCache>) -> Router<AppState> {
    Router::new()
        // legacy
        .route("/api/checkout/add_to_cart/", post(api::add_to_cart))
        .route("/api/checkout/cart/", get(api::cart))
        .route("/api/checkout/redeem_discount/", post(api::redeem_discount))
        .route("/api/checkout/basket_items_count/", get(api::basket_items_count))
        .route("/api/checkout/result/", post(api::backoffice_result))
        .route("/api/products/", get(api_orders::products))
        .route("/api/products/{id}/", get(api_orders::product))
        .route("/api/orders/history/", get(api_orders::history))
        .route("/api/orders/receipt/{id}/", get(api_orders::receipt))
        .route("/api/discounts/", get(staff::list).post(staff::create))
        .route("/api/discounts/create_batch/", post(staff::create_batch))
        .route("/api/discounts/{id}/", get(staff::detail).patch(staff::update))
        // v0
        .route("/api/v0/baskets/", get(api::v0_baskets))
        .route("/api/v0/baskets/{id}/", get(api::v0_basket))
        .route(
            "/api/v0/baskets/create_from_product/{product_id}/",
            post(api::create_from_product),
        )
        .route(
            "/api/v0/baskets/create_from_product/{product_id}/{code}/",
            post(api::create_from_product),
        )
        .route(
            "/api/v0/baskets/create_with_products/",
            post(api::create_with_products),
        )
        .route("/api/v0/baskets/clear/", axum::routing::delete(api::clear))
        .route("/api/v0/baskets/checkout/", get(api::v0_checkout))
        .route("/api/v0/products/", get(api_orders::products))
        .route("/api/v0/products/{id}/", get(api_orders::product))
        .route("/api/v0/orders/history/", get(api_orders::history))
        .route("/api/v0/orders/receipt/{id}/", get(api_orders::receipt))
        .route("/api/v0/orders/status/{key}/", get(api_orders::status))
        .route(
            "/api/v0/orders/refund-requests/",
            post(api_orders::refund_request),
        )
        .route(
            "/api/v0/orders/{id}/refunds/",
            get(staff_refunds::list).post(staff_refunds::create),
        )
        .route(
            "/api/v0/orders/{id}/refunds/{refund}/",
            axum::routing::patch(staff_refunds::settle),
        )
        .route("/api/v0/discounts/", get(staff::list).post(staff::create))
        .route("/api/v0/discounts/{id}/", get(staff::detail).patch(staff::update))
        .merge(nested_discount_routes("/api/discounts"))
        .merge(nested_discount_routes("/api/v0/discounts"))
        .merge(staff_pages::routes())
        // pages
        .route("/cart/", get(pages::cart))
        .route("/cart/add/", get(api::cart_add))
        .route("/cart/add", get(api::cart_add))
        .route("/cart/coupon/", post(pages::coupon))
        .route("/checkout/to_payment", get(pages::to_payment))
        .route("/checkout/anonymous", get(pages::to_payment))
        .route("/checkout/result/", post(pages::result))
        .route("/orders/history/", get(pages::history))
        .route("/orders/receipt/{id}/", get(pages::receipt))
        .route("/staff/orders/", get(staff_orders::list))
        .route("/staff/orders/{id}/", get(staff_orders::detail))
        .route("/staff/orders/{id}/refund/", post(staff_orders::refund))
        .route(
            "/staff/orders/{id}/refunds/{refund}/settle/",
            post(staff_order_refunds::settle),
        )
        .route("/orders/receipt/by-run/{id}/", get(receipts_redirect::by_run))
        .route(
            "/orders/receipt/by-program/{id}/",
            get(receipts_redirect::by_program),
        )
        .route("/staff/refunds/", get(staff::refunds_page))
        .route("/staff/refunds/{id}/", post(staff::decide))
        .layer(axum::Extension(catalog))
}

/// The nested discount resources (and `/user/`) under one of the two discount prefixes.
fn nested_discount_routes(base: &str) -> Router<AppState> {
    use axum::routing::patch;
    let r = |p: &str| format!("{base}{p}");
    Router::new()
        .route(
            &r("/user/"),
            get(staff_nested::user_discounts).post(staff_nested::create_user_discount),
        )
        .route(
            &r("/user/{id}/"),
            get(staff_nested::user_discount).delete(staff_nested::delete_user_discount),
        )
        .route(&r("/{id}/redemptions/"), get(staff_nested::redemptions))
        .route(
            &r("/{id}/products/"),
            get(staff_nested::products)
                .post(staff_nested::add_product)
                .patch(staff_nested::add_product),
        )
        .route(
            &r("/{id}/products/{pk}/"),
            patch(staff_nested::add_product).delete(staff_nested::remove_product),
        )
        .route(
            &r("/{id}/assignees/"),
            get(staff_nested::assignees)
                .post(staff_nested::add_assignee)
                .patch(staff_nested::add_assignee),
        )
        .route(
            &r("/{id}/assignees/{pk}/"),
            patch(staff_nested::add_assignee).delete(staff_nested::remove_assignee),
        )
        .route(
            &r("/{id}/tiers/"),
            get(staff_tiers::tiers).post(staff_tiers::create_tier),
        )
        .route(
            &r("/{id}/tiers/{pk}/"),
            patch(staff_tiers::update_tier).delete(staff_tiers::delete_tier),
        )
}

/// Registers the scheduled pending-order resolution (the original had the task but never
/// scheduled it; lost callbacks stayed pending).
pub fn register(state: &AppState) {
    state.jobs.add(crate::jobs::JobDef::new(
        "resolve-pending-orders",
        "0 */15 * * * *",
        "Asks CyberSource (or the sandbox) about orders pending for over 15 minutes: paid ones are fulfilled, unpaid ones cancelled after a day.",
        |state| async move { refunds::resolve_pending(&state, chrono::Duration::minutes(15)).await },
    ));
    state.jobs.add(crate::jobs::JobDef::new(
        "resolve-pending-refunds",
        "0 */15 * * * *",
        "Settles refunds pending for over 15 minutes (CyberSource's reply was lost) from the refunds CyberSource (or the sandbox) shows; never asks for a new refund.",
        |state| async move {
            refund_reconcile::resolve_pending_refunds(&state, chrono::Duration::minutes(15)).await
        },
    ));
    state.jobs.add(crate::jobs::JobDef::new(
        "cull-anonymous-baskets",
        "0 30 2 * * *",
        "Deletes anonymous baskets idle for more than two weeks (ANONYMOUS_BASKET_CULL_AGE).",
        |state| async move {
            let before = state.clock.now() - chrono::Duration::days(14);
            let n = state.db.write(move |c| store::cull_anonymous(c, before)).await?;
            Ok(format!("deleted {n} anonymous baskets"))
        },
    ));
}
