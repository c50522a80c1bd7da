//! Discounts (surface §3.2, §2.5, §11): the pure price and validity rules ([`rules`]), discount
//! rows and what hangs off them (products, assigned users, redemptions, flexible-price tiers:
//! [`links`]), staff corrections ([`redemptions`]), the staff discount API ([`api`], [`nested`],
//! [`tiers`]) and pages ([`pages`]).
//!
//! Owns `discounts`, `discount_products`, `user_discounts`, `discount_redemptions` and
//! `flexible_price_tiers`.

pub mod api;
pub mod forms;
pub mod linked;
pub mod links;
pub mod model;
pub mod nested;
pub mod pages;
pub mod redemptions;
pub mod rules;
pub mod service;
pub mod shapes;
pub mod store;
pub mod tier_service;
pub mod tiers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The routes of this part of ecommerce.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(discount_routes("/api/discounts"))
        .merge(discount_routes("/api/v0/discounts"))
        .merge(pages::routes())
}

/// The discount resources, nested ones (and `/user/`) included, under one of the two prefixes.
fn discount_routes(base: &str) -> Router<AppState> {
    let r = |p: &str| format!("{base}{p}");
    Router::new()
        .route(&r("/"), get(api::list).post(api::create))
        .route(&r("/create_batch/"), post(api::create_batch))
        .route(
            &r("/{id}/"),
            get(api::detail)
                .patch(api::update)
                .put(api::replace)
                .delete(api::delete),
        )
        .route(
            &r("/user/"),
            get(nested::user_discounts).post(nested::create_user_discount),
        )
        .route(
            &r("/user/{id}/"),
            get(nested::user_discount).delete(nested::delete_user_discount),
        )
        .route(
            &r("/{id}/redemptions/"),
            get(nested::redemptions).post(nested::create_redemption),
        )
        .route(
            &r("/{id}/redemptions/{pk}/"),
            get(nested::redemption)
                .put(nested::update_redemption)
                .patch(nested::update_redemption)
                .delete(nested::delete_redemption),
        )
        .route(
            &r("/{id}/products/"),
            get(linked::products::list)
                .post(linked::products::create)
                .patch(linked::products::create),
        )
        .route(
            &r("/{id}/products/{pk}/"),
            get(linked::products::one)
                .put(linked::products::put)
                .patch(linked::products::put)
                .delete(linked::products::remove),
        )
        .route(
            &r("/{id}/assignees/"),
            get(linked::assignees::list)
                .post(linked::assignees::create)
                .patch(linked::assignees::create),
        )
        .route(
            &r("/{id}/assignees/{pk}/"),
            get(linked::assignees::one)
                .put(linked::assignees::put)
                .patch(linked::assignees::put)
                .delete(linked::assignees::remove),
        )
        .route(&r("/{id}/tiers/"), get(tiers::tiers).post(tiers::create_tier))
        .route(
            &r("/{id}/tiers/{pk}/"),
            get(tiers::tier)
                .put(tiers::update_tier)
                .patch(tiers::update_tier)
                .delete(tiers::delete_tier),
        )
}
