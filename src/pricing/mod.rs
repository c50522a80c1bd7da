//! Flexible (income-based) pricing (issue 14; surface §1.6, §2.7, §4): learners ask for a
//! personalized price through the request form under a course or program page; their income is
//! converted to US dollars with the stored exchange rates, placed in a tier of the courseware's
//! family ([`model::family`]) and auto-approved or left for staff review; an approved request's
//! tier discount then applies at checkout by itself (payment type `financial-assistance`, never
//! typed as a code). Staff review requests at `/staff/flexible-pricing/`; exchange rates are
//! replaced daily from Open Exchange Rates ([`rates`], through
//! [`crate::integrations::exchange_rates`]); country thresholds load from CSV.
//!
//! Owns `flexible_prices`, `currency_exchange_rates`, `country_income_thresholds` and
//! `flexible_pricing_forms`. Reads tiers and their discounts (`flexible_price_tiers`,
//! `discounts`, owned by ecommerce) through `commerce::discounts::tier_service`, product prices
//! through `commerce::basket::service`, courses, programs, runs, products and
//! `related_programs` through `catalog::service` (staff relate programs through
//! [`related`], which writes that table through `catalog::service` too), and users (mail addresses, names) through
//! `users::store`; the staff queue's search joins `users` in its one statement. Ecommerce asks
//! [`service::approved_discount`] for a learner's discount.

pub mod api;
pub mod demo;
pub mod error;
pub mod form_service;
pub mod granted;
pub mod mails;
pub mod model;
pub mod openapi;
pub mod pages;
pub mod rates;
pub mod rates_api;
pub mod related;
pub mod review;
pub mod service;
pub mod shapes;
pub mod staff;
pub mod staff_settings;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The flexible-pricing routes: learner form pages, both API prefixes, the product price and
/// the staff console.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/courses/{readable_id}/financial-assistance-request/",
            get(pages::form_page::<false>).post(pages::submit_page::<false>),
        )
        .route(
            "/programs/{readable_id}/financial-assistance-request/",
            get(pages::form_page::<true>).post(pages::submit_page::<true>),
        )
        .route(
            "/api/v0/products/{id}/user_flexible_price/",
            get(api::user_flexible_price),
        )
        .merge(api_routes("/api/flexible_pricing"))
        .merge(api_routes("/api/v0/flexible_pricing"))
        .route("/staff/flexible-pricing/", get(staff::queue))
        .route("/staff/flexible-pricing/{id}/", get(staff::detail))
        .route("/staff/flexible-pricing/{id}/decide/", post(staff::decide))
        .route(
            "/staff/flexible-pricing/thresholds/",
            get(staff_settings::thresholds).post(staff_settings::thresholds_csv),
        )
        .route(
            "/staff/flexible-pricing/exchange-rates/",
            get(staff_settings::exchange_rates),
        )
        .route("/staff/flexible-pricing/forms/", get(staff_settings::forms))
        .route(
            "/staff/flexible-pricing/related-programs/",
            post(staff_settings::relate_programs),
        )
        .route(
            "/staff/flexible-pricing/forms/new/",
            get(staff_settings::new_form),
        )
        .route(
            "/staff/flexible-pricing/forms/{courseware}/",
            get(staff_settings::edit_form).post(staff_settings::save_form),
        )
}

fn api_routes(base: &str) -> Router<AppState> {
    let r = |p: &str| format!("{base}{p}");
    Router::new()
        .route(&r("/applications/"), get(api::own_list).post(api::submit))
        .route(&r("/applications/{id}/"), get(api::own_detail))
        .route(&r("/applications_admin/"), get(api::admin_list))
        .route(
            &r("/applications_admin/{id}/"),
            get(api::admin_detail)
                .put(api::admin_update)
                .patch(api::admin_update),
        )
        .route(&r("/coursewares/"), get(api::coursewares))
        .route(
            &r("/exchange_rates/"),
            get(rates_api::rates_list).post(rates_api::rate_create),
        )
        .route(
            &r("/exchange_rates/{code}/"),
            get(rates_api::rate_detail)
                .put(rates_api::rate_update)
                .patch(rates_api::rate_update)
                .delete(rates_api::rate_delete),
        )
        .route(
            &r("/income_thresholds/"),
            get(rates_api::thresholds_list).post(rates_api::threshold_create),
        )
        .route(
            &r("/income_thresholds/load_csv/"),
            post(rates_api::thresholds_csv),
        )
        .route(
            &r("/income_thresholds/{country}/"),
            get(rates_api::threshold_detail)
                .put(rates_api::threshold_update)
                .patch(rates_api::threshold_update)
                .delete(rates_api::threshold_delete),
        )
}

/// Registers the exchange-rate job.
pub fn register(state: &AppState) {
    rates::register(state);
}
