//! The original's JSON shapes of a discount (`DiscountSerializer`, the row itself) and of what
//! hangs off it in the staff API, typed for the OpenAPI document.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::commerce::basket::shapes::Product;
use crate::commerce::discounts::links::UserRef;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::orders::model::OrderState;

/// Discount as the staff APIs render it.
pub fn discount(d: &DiscountRow) -> Value {
    serde_json::to_value(d).unwrap_or_default()
}

/// A discount with whether anything has redeemed it (the staff list and detail).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscountRedeemed {
    #[serde(flatten)]
    pub discount: DiscountRow,
    pub is_redeemed: bool,
}

/// A product of a discount (`DiscountProductSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscountProduct {
    pub id: i64,
    pub discount: DiscountRow,
    pub product: Option<Product>,
}

/// A user a discount is assigned to (`UserDiscountMetaSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscountAssignee {
    pub id: i64,
    pub discount: DiscountRow,
    pub user: Option<UserRef>,
}

/// A product or an assignee of a discount.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LinkedItem {
    Product(DiscountProduct),
    Assignee(DiscountAssignee),
}

impl LinkedItem {
    /// The linked product's or user's id.
    pub fn target(&self) -> Option<i64> {
        match self {
            LinkedItem::Product(p) => p.product.as_ref().map(|p| p.id),
            LinkedItem::Assignee(a) => a.user.as_ref().map(|u| u.id),
        }
    }
}

/// The order of a redemption, flat.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RedeemedOrder {
    pub id: i64,
    #[schema(inline)]
    pub state: OrderState,
    pub purchaser: i64,
    pub total_price_paid: String,
    pub reference_number: String,
    pub created_on: String,
    pub updated_on: String,
}

/// A redemption of a discount (`DiscountRedemptionSerializer`, depth 1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Redemption {
    pub id: i64,
    pub redemption_date: String,
    pub redeemed_by: Option<UserRef>,
    pub redeemed_discount: DiscountRow,
    pub redeemed_order: Option<RedeemedOrder>,
}

/// A user–discount assignment by ids (`UserDiscountSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub discount: i64,
    pub user: i64,
}

/// The course or program of a tier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoursewareObject {
    pub id: i64,
    pub title: String,
    pub readable_id: String,
    /// `course` or `program`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A flexible-price tier (`FlexiblePriceTierSerializer`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierShape {
    pub id: i64,
    pub courseware_object: Option<CoursewareObject>,
    pub discount: i64,
    pub current: bool,
    /// A number (a float in the original), written from the stored decimal.
    #[schema(value_type = f64)]
    pub income_threshold_usd: Value,
}
