//! Baskets (surface §3.1–3.2): a signed-in learner's or an anonymous visitor's basket, the
//! products in it, discount codes and automatic/assigned discounts, and the priced view.
//!
//! Owns `baskets`, `basket_items`, `basket_discounts` and reads the catalog's `products` /
//! `product_versions` (products are sold here; their rows are written by the catalog loader).
//! Discounts are read through [`crate::commerce::discounts`].

pub mod api;
pub mod handoff;
pub mod items;
pub mod items_api;
pub mod model;
pub mod pages;
pub mod prices;
pub mod service;
pub mod shapes;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The routes of this part of ecommerce.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/checkout/add_to_cart/", post(api::add_to_cart))
        .route("/api/checkout/cart/", get(api::cart))
        .route("/api/checkout/redeem_discount/", post(api::redeem_discount))
        .route("/api/checkout/basket_items_count/", get(api::basket_items_count))
        .route("/api/v0/baskets/", get(api::v0_baskets))
        .route("/api/v0/baskets/{id}/", get(api::v0_basket))
        .route(
            "/api/v0/baskets/{id}/items/",
            get(items_api::list).post(items_api::create),
        )
        .route(
            "/api/v0/baskets/{id}/items/{item}/",
            get(items_api::one)
                .put(items_api::replace)
                .patch(items_api::patch)
                .delete(items_api::delete),
        )
        .route(
            "/api/v0/baskets/create_from_product/{product_id}/",
            post(api::create_from_product),
        )
        .route(
            "/api/v0/baskets/create_from_product/{product_id}/{code}/",
            post(api::create_from_product_with_code),
        )
        .route(
            "/api/v0/baskets/create_with_products/",
            post(api::create_with_products),
        )
        .route("/api/v0/baskets/clear/", axum::routing::delete(api::clear))
        .route("/api/v0/baskets/add_discount/", post(api::add_discount))
        // The gateway protects `/cart` too; as Django's APPEND_SLASH, it leads to the cart.
        .route(
            "/cart",
            get(|ctx: crate::http::PageCtx| async move {
                axum::response::Redirect::permanent(&ctx.prefix.url("/cart/"))
            }),
        )
        .route("/cart/", get(pages::cart))
        .route("/cart/coupon/", post(pages::coupon))
}

/// Registers the anonymous-basket cull.
pub fn register(state: &AppState) {
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
