//! Flexible pricing's part of our OpenAPI document (issue 18): the learner and staff API under
//! `/api/v0/flexible_pricing/` (also served at the legacy `/api/flexible_pricing/`) and the
//! product's flexible price.

use utoipa::OpenApi;

use crate::commerce::openapi::{Aliases, PartialUpdates};
use crate::pricing::{api, rates_api};

const LEGACY: Aliases = Aliases {
    prefixes: &[("/api/v0/flexible_pricing/", "/api/flexible_pricing/")],
    paths: &[],
};

/// The flexible-pricing operations.
#[derive(OpenApi)]
#[openapi(
    paths(
        api::own_list,
        api::own_detail,
        api::submit,
        api::admin_list,
        api::admin_detail,
        api::admin_update,
        api::coursewares,
        rates_api::rates_list,
        rates_api::rate_detail,
        rates_api::rate_create,
        rates_api::rate_update,
        rates_api::rate_delete,
        rates_api::thresholds_list,
        rates_api::threshold_detail,
        rates_api::threshold_create,
        rates_api::threshold_update,
        rates_api::threshold_delete,
        rates_api::thresholds_csv,
        api::user_flexible_price,
    ),
    modifiers(&PartialUpdates, &LEGACY)
)]
pub struct Doc;
