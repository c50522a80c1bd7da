//! Ecommerce's part of our OpenAPI document (issue 18): every handler of [`super`] serving JSON
//! under `/api/` (baskets, checkout, products, orders, refunds, discounts), with the refusal
//! sets, pagination envelopes and legacy-prefix copies the b2b and pricing documents share.
use serde::Serialize;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::commerce::{basket, checkout, discounts, orders, refunds};

/// The error body of every refusal under `/api/`: the one `http::AppError` renders.
pub use crate::http::openapi::ErrorBody;

/// The refusals of an API handler: bad input, not signed in or not allowed, nothing there.
#[derive(IntoResponses)]
pub enum Refusals {
    /// Invalid input: `detail`, or each invalid field with its messages.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not authenticated (an API key or token that is not valid).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Not signed in, or not allowed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such resource (or not the caller's).
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// What refuses a change that conflicts with the stored state.
#[derive(IntoResponses)]
pub enum Conflict {
    /// The change conflicts with what is stored (e.g. something already uses it).
    #[response(status = 409)]
    Conflict(ErrorBody),
}

/// The refusal of a throttled request (with `Retry-After`).
#[derive(IntoResponses)]
pub enum Throttled {
    /// Too many attempts; try again after `Retry-After` seconds.
    #[response(status = 429)]
    TooMany(ErrorBody),
}

/// DRF's LimitOffset (and Refine's) page envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub count: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// A nested staff list: a plain list on `/api/v0/…` without `limit`, else a page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Listed<T> {
    Page(Page<T>),
    Plain(Vec<T>),
}

/// Copies documented operations to the paths the router also serves them at (the original's
/// legacy prefixes); the copies' operation ids get a `legacy_` prefix. `prefixes` copy every
/// path under the first prefix, `paths` exactly one path.
pub struct Aliases {
    pub prefixes: &'static [(&'static str, &'static str)],
    pub paths: &'static [(&'static str, &'static str)],
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// A handler serving two methods of one path (PUT and PATCH, or POST and PATCH) has one
/// `method(…, patch)` annotation; this gives its PATCH an operation id of its own: `…_update`
/// becomes `…_partial_update`, any other id gains `_partial_update`.
pub struct PartialUpdates;

impl Modify for PartialUpdates {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            let others: Vec<String> = [&item.get, &item.put, &item.post, &item.delete]
                .into_iter()
                .filter_map(|o| o.as_ref()?.operation_id.clone())
                .collect();
            if let Some(patch) = item.patch.as_mut()
                && let Some(id) = patch.operation_id.clone()
                && others.contains(&id)
            {
                patch.operation_id = Some(match id.strip_suffix("_update") {
                    Some(base) => format!("{base}_partial_update"),
                    None => format!("{id}_partial_update"),
                });
            }
        }
    }
}

impl Modify for Aliases {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let mut copies = Vec::new();
        for (path, item) in &doc.paths.paths {
            let alias = self
                .paths
                .iter()
                .find(|(from, _)| from == path)
                .map(|(_, to)| (*to).to_owned())
                .or_else(|| {
                    self.prefixes
                        .iter()
                        .find_map(|(from, to)| path.strip_prefix(from).map(|rest| format!("{to}{rest}")))
                });
            if let Some(alias) = alias {
                let mut item = item.clone();
                for op in operations(&mut item) {
                    op.operation_id = op.operation_id.take().map(|id| format!("legacy_{id}"));
                }
                copies.push((alias, item));
            }
        }
        doc.paths.paths.extend(copies);
    }
}

/// The original's legacy paths of the ecommerce API.
const LEGACY: Aliases = Aliases {
    prefixes: &[
        ("/api/v0/discounts/", "/api/discounts/"),
        ("/api/v0/products/", "/api/products/"),
    ],
    paths: &[
        ("/api/v0/orders/history/", "/api/orders/history/"),
        ("/api/v0/orders/receipt/{id}/", "/api/orders/receipt/{id}/"),
    ],
};

/// The ecommerce operations.
#[derive(OpenApi)]
#[openapi(
    paths(
        basket::api::add_to_cart,
        basket::api::cart,
        basket::api::redeem_discount,
        basket::api::basket_items_count,
        basket::api::v0_baskets,
        basket::api::v0_basket,
        basket::api::create_from_product,
        basket::api::create_from_product_with_code,
        basket::api::create_with_products,
        basket::api::clear,
        basket::api::add_discount,
        basket::items_api::list,
        basket::items_api::create,
        basket::items_api::one,
        basket::items_api::replace,
        basket::items_api::patch,
        basket::items_api::delete,
        orders::api::products,
        orders::api::product,
        orders::api::history,
        orders::api::history_order,
        orders::api::receipt,
        orders::api::status,
        orders::products_staff::list,
        orders::products_staff::one,
        orders::products_staff::create,
        orders::products_staff::replace,
        orders::products_staff::patch,
        orders::products_staff::hide,
        checkout::api::v0_checkout,
        checkout::api::backoffice_result,
        refunds::requests::refund_request,
        refunds::api::list,
        refunds::api::create,
        refunds::api::settle,
        discounts::api::list,
        discounts::api::create,
        discounts::api::create_batch,
        discounts::api::detail,
        discounts::api::update,
        discounts::api::replace,
        discounts::api::delete,
        discounts::nested::user_discounts,
        discounts::nested::create_user_discount,
        discounts::nested::user_discount,
        discounts::nested::delete_user_discount,
        discounts::nested::redemptions,
        discounts::nested::create_redemption,
        discounts::nested::redemption,
        discounts::nested::update_redemption,
        discounts::nested::delete_redemption,
        discounts::linked::products::list,
        discounts::linked::products::create,
        discounts::linked::products::one,
        discounts::linked::products::put,
        discounts::linked::products::remove,
        discounts::linked::assignees::list,
        discounts::linked::assignees::create,
        discounts::linked::assignees::one,
        discounts::linked::assignees::put,
        discounts::linked::assignees::remove,
        discounts::tiers::tiers,
        discounts::tiers::create_tier,
        discounts::tiers::tier,
        discounts::tiers::update_tier,
        discounts::tiers::delete_tier,
    ),
    modifiers(&PartialUpdates, &LEGACY)
)]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_an_id_a_tag_and_responses() {
        let mut doc = Doc::openapi();
        doc.merge(crate::pricing::openapi::Doc::openapi());
        doc.merge(crate::b2b::openapi::Doc::openapi());
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc.paths.paths.clone() {
            let mut item = item;
            for op in operations(&mut item) {
                let id = op
                    .operation_id
                    .clone()
                    .unwrap_or_else(|| panic!("{path}: no operation id"));
                assert!(ids.insert(id.clone()), "{path}: operation id {id} twice");
                assert!(
                    op.tags.as_ref().is_some_and(|t| !t.is_empty()),
                    "{path} {id}: no tag"
                );
                assert!(!op.responses.responses.is_empty(), "{path} {id}: no responses");
            }
        }
        if let Ok(to) = std::env::var("OPENAPI_DUMP") {
            std::fs::write(to, doc.to_pretty_json().unwrap()).unwrap();
        }
    }
}
