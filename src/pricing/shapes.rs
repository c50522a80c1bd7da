//! The original's JSON shapes of flexible pricing (`FlexiblePriceSerializer`,
//! `FlexiblePriceAdminSerializer`, exchange rates, income thresholds), typed for the OpenAPI
//! document. Money is a string with two decimals; rates and thresholds are decimal strings.

use serde::Serialize;
use utoipa::ToSchema;

use crate::commerce::discounts::model::DiscountRow;
pub use crate::commerce::discounts::shapes::CoursewareObject;
use crate::pricing::model::Status;

/// The learner of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Learner {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
}

impl Learner {
    pub fn of(u: &crate::users::store::User) -> Learner {
        Learner {
            id: u.id,
            username: u.username.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
        }
    }
}

/// A request as its learner sees it (`FlexiblePriceSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlexiblePrice {
    pub id: i64,
    #[serde(serialize_with = "status_str")]
    #[schema(value_type = String)]
    pub status: Status,
    pub income_usd: String,
    pub original_income: String,
    pub original_currency: String,
    pub country_of_income: String,
    pub date_exchange_rate: Option<String>,
    pub date_documents_sent: Option<String>,
    pub justification: String,
    pub country_of_residence: String,
    /// The learner (left out of the audit log's copy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Learner>,
}

fn status_str<S: serde::Serializer>(s: &Status, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(s.as_str())
}

/// A request's income in both currencies (the admin shape).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Income {
    pub income_usd: String,
    pub original_income: String,
    pub original_currency: String,
}

/// A current tier staff may re-point a request to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicableTier {
    pub tier_id: i64,
    pub discount_id: i64,
    pub income_threshold_usd: String,
}

/// A request as staff review it (`FlexiblePriceAdminSerializer`, plus the country threshold
/// and each applicable tier's threshold).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminRequest {
    pub id: i64,
    #[serde(serialize_with = "status_str")]
    #[schema(value_type = String)]
    pub status: Status,
    pub country_of_income: String,
    pub date_exchange_rate: Option<String>,
    pub date_documents_sent: Option<String>,
    pub justification: String,
    pub country_of_residence: String,
    pub user: Option<Learner>,
    pub courseware: CoursewareObject,
    pub discount: Option<DiscountRow>,
    pub applicable_discounts: Vec<DiscountRow>,
    pub income: Income,
    pub country_income_threshold: Option<String>,
    pub applicable_tiers: Vec<ApplicableTier>,
}

/// An exchange rate (`CurrencyExchangeRateSerializer`, plus `description`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExchangeRate {
    pub id: i64,
    pub currency_code: String,
    /// Units of the currency per US dollar, a decimal string.
    pub exchange_rate: String,
    pub description: Option<String>,
}

/// A country's income threshold (`CountryIncomeThresholdSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncomeThreshold {
    pub id: i64,
    pub country_code: String,
    /// US dollars, a decimal string.
    pub income_threshold: String,
}

/// One threshold a CSV load changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsvChange {
    pub country_code: String,
    pub before: Option<String>,
    pub after: String,
}

/// What a CSV load changed (or would change, on a dry run).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsvLoad {
    pub dry_run: bool,
    pub changes: Vec<CsvChange>,
}

/// A product with the caller's flexible-price discount.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductFlexiblePrice {
    pub id: i64,
    pub price: String,
    pub description: String,
    pub is_active: bool,
    pub product_flexible_price: Option<DiscountRow>,
}
