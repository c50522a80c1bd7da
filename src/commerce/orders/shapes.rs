//! The original's JSON shapes for orders: history lines and orders, status, receipt transactions.
//! Prices are strings with two decimals, as DRF renders DecimalFields.

use crate::commerce::orders::model::LineRow;
use crate::commerce::orders::model::OrderRow;
use crate::money::cents_string;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// One order line for the history.
pub fn history_line(l: &LineRow) -> Value {
    json!({
        "id": l.id,
        "quantity": l.quantity,
        "item_description": l.description,
        "unit_price": cents_string(l.unit_price),
        "total_price": cents_string(l.discounted_price * Decimal::from(l.quantity)),
        "product": l.product_id,
    })
}

/// An order in `/orders/history/`.
pub fn history_order(o: &OrderRow, lines: &[LineRow], refund_eligible: bool) -> Value {
    json!({
        "id": o.id,
        "state": o.state.as_str(),
        "reference_number": o.reference_number,
        "purchaser": o.purchaser_id,
        "total_price_paid": cents_string(o.total_price_paid),
        "lines": lines.iter().map(history_line).collect::<Vec<_>>(),
        "created_on": o.created_on,
        "titles": lines.iter().map(|l| l.description.clone()).collect::<Vec<_>>(),
        "updated_on": o.updated_on,
        "refund_eligible": refund_eligible,
    })
}

/// `/orders/status/{id}/`.
pub fn status(o: &OrderRow) -> Value {
    json!({
        "id": o.id,
        "reference_number": o.reference_number,
        "total_price_paid": cents_string(o.total_price_paid),
        "state": o.state.as_str(),
    })
}

/// The card/bill-to part of a receipt from the latest payment transaction's `req_*` fields.
pub fn receipt_transaction(data: &Value) -> Value {
    let f = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let card_type = match f("req_card_type").as_str() {
        "001" => "Visa",
        "002" => "Mastercard",
        "003" => "American Express",
        "004" => "Discover",
        "005" => "Diners Club",
        "007" => "JCB",
        _ => "",
    };
    json!({
        "card_number": f("req_card_number"),
        "card_type": card_type,
        "name": format!("{} {}", f("req_bill_to_forename"), f("req_bill_to_surname")).trim(),
        "bill_to_email": f("req_bill_to_email"),
        "payment_method": f("req_payment_method"),
    })
}
