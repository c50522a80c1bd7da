//! Ecommerce (issue 6), in five sub-domains, each `model/store/service/api/pages` (+ staff
//! faces): [`basket`] (baskets and discount application), [`checkout`] (gates, orders started,
//! CyberSource results, fulfilment), [`orders`] (the order state machine, history, receipts,
//! staff console), [`discounts`] (rules, codes, tiers, staff API) and [`refunds`] (requests,
//! partial refunds, settling). [`error`] is the service error every part returns.

pub mod basket;
pub mod checkout;
pub mod discounts;
pub mod error;
pub mod openapi;
pub mod orders;
pub mod refunds;

pub use error::CommerceError;

use axum::Router;

use crate::state::AppState;

/// Every ecommerce route; checkout reads the shared catalog snapshot (the upgradable gate).
pub fn routes(catalog: std::sync::Arc<crate::catalog::CatalogCache>) -> Router<AppState> {
    Router::new()
        .merge(basket::routes())
        .merge(checkout::routes())
        .merge(orders::routes())
        .merge(discounts::routes())
        .merge(refunds::routes())
        .layer(axum::Extension(catalog))
}

/// Registers the ecommerce jobs.
pub fn register(state: &AppState) {
    basket::register(state);
    checkout::register(state);
    refunds::register(state);
}
