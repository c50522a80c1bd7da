//! The original's JSON shape of a discount (`DiscountSerializer`).

use crate::commerce::discounts::model::DiscountRow;
use serde_json::{Value, json};

/// Discount as the staff APIs render it.
pub fn discount(d: &DiscountRow) -> Value {
    json!({
        "id": d.id,
        "discount_code": d.discount_code,
        "amount": d.amount.to_string(),
        "automatic": d.automatic,
        "discount_type": d.discount_type.as_str(),
        "redemption_type": d.redemption_type.as_str(),
        "payment_type": d.payment_type.map(|p| p.as_str()),
        "max_redemptions": d.max_redemptions,
        "activation_date": d.activation_date,
        "expiration_date": d.expiration_date,
        "is_bulk": d.is_bulk,
        "is_program_discount": d.is_program_discount,
    })
}
