//! The discount row as stored, and the facts the pure [`super::rules`] read from it.

use crate::commerce::discounts;
use crate::commerce::discounts::rules::DiscountType;
use crate::commerce::discounts::rules::PaymentType;
use crate::commerce::discounts::rules::RedemptionType;
use rust_decimal::Decimal;
use serde::Serialize;
/// A discount row, in the original's JSON shape (`DiscountSerializer`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Discount)]
pub struct DiscountRow {
    pub id: i64,
    pub discount_code: String,
    /// A decimal as a string, e.g. `"10"` or `"25.50"`.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub automatic: bool,
    #[serde(serialize_with = "ser_as_str")]
    #[schema(inline)]
    pub discount_type: DiscountType,
    #[serde(serialize_with = "ser_as_str")]
    #[schema(inline)]
    pub redemption_type: RedemptionType,
    #[serde(serialize_with = "ser_opt_as_str")]
    #[schema(inline)]
    pub payment_type: Option<PaymentType>,
    pub max_redemptions: u32,
    pub activation_date: Option<String>,
    pub expiration_date: Option<String>,
    pub is_bulk: bool,
    pub is_program_discount: bool,
}

trait AsStr {
    fn text(&self) -> &'static str;
}

impl AsStr for DiscountType {
    fn text(&self) -> &'static str {
        self.as_str()
    }
}

impl AsStr for RedemptionType {
    fn text(&self) -> &'static str {
        self.as_str()
    }
}

impl AsStr for PaymentType {
    fn text(&self) -> &'static str {
        self.as_str()
    }
}

fn ser_as_str<T: AsStr, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.text())
}

fn ser_opt_as_str<T: AsStr, S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.text()),
        None => s.serialize_none(),
    }
}

impl DiscountRow {
    /// A new (unsaved), unlimited, manual percent-off discount with no dates: what the demo
    /// loaders create.
    pub fn percent_off(code: &str, percent: Decimal, payment_type: PaymentType) -> DiscountRow {
        DiscountRow {
            id: 0,
            discount_code: code.into(),
            amount: percent,
            automatic: false,
            discount_type: DiscountType::PercentOff,
            redemption_type: RedemptionType::Unlimited,
            payment_type: Some(payment_type),
            max_redemptions: 0,
            activation_date: None,
            expiration_date: None,
            is_bulk: false,
            is_program_discount: false,
        }
    }

    /// The facts the pure rules read.
    pub fn rules(&self) -> discounts::rules::Discount {
        discounts::rules::Discount {
            discount_type: self.discount_type,
            amount: self.amount,
            redemption_type: self.redemption_type,
            payment_type: self.payment_type,
            max_redemptions: self.max_redemptions,
            activation_date: self.activation_date.as_deref().and_then(crate::clock::from_db),
            expiration_date: self.expiration_date.as_deref().and_then(crate::clock::from_db),
        }
    }

    pub fn term(&self) -> (DiscountType, Decimal) {
        (self.discount_type, self.amount)
    }
}
