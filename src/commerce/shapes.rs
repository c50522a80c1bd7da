//! The original's JSON shapes for baskets, products, discounts and orders (surface §2.5–2.6).
//! Prices are strings with two decimals, as DRF renders DecimalFields.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::model::{DiscountRow, LineRow, OrderRow, ProductRow};
use super::service::BasketView;

fn money(d: Decimal) -> String {
    super::discounts::round_cents(d).to_string()
}

/// Product {id, price, description, is_active, purchasable_object}.
pub fn product(p: &ProductRow) -> Value {
    let purchasable = match (p.course_run_id, p.program_id) {
        (Some(run), _) => json!({
            "id": run,
            "title": p.run_title,
            "courseware_id": p.readable_id,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "enrollment_end": p.enrollment_end,
            "upgrade_deadline": p.upgrade_deadline,
            "course": {"id": p.course_id, "title": p.title},
        }),
        (_, Some(prog)) => json!({
            "id": prog,
            "title": p.title,
            "readable_id": p.readable_id,
            "start_date": p.start_date,
            "end_date": p.end_date,
        }),
        _ => Value::Null,
    };
    json!({
        "id": p.id,
        "price": money(p.price),
        "description": p.description,
        "is_active": p.is_active,
        "purchasable_object": purchasable,
    })
}

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

/// Legacy `/api/checkout/cart/`.
pub fn legacy_cart(b: &BasketView) -> Value {
    json!({
        "id": b.id,
        "user": b.user_id,
        "anonymous_id": b.anonymous_id,
        "basket_items": b.items.iter().map(|i| json!({
            "basket": b.id,
            "product": product(&i.product),
            "id": i.id,
        })).collect::<Vec<_>>(),
        "total_price": money(b.total_price),
        "discounted_price": money(b.discounted_price),
        "discounts": b.discount.iter().map(|d| json!({
            "redeemed_discount": discount(d),
            "redeemed_basket": b.id,
        })).collect::<Vec<_>>(),
    })
}

/// v0 BasketWithProduct.
pub fn v0_basket(b: &BasketView) -> Value {
    json!({
        "id": b.id,
        "user": b.user_id,
        "basket_items": b.items.iter().map(|i| json!({
            "id": i.id,
            "basket": b.id,
            "product": product(&i.product),
            "quantity": i.quantity,
            "price": money(i.price),
            "discounted_price": money(i.discounted_price),
        })).collect::<Vec<_>>(),
        "total_price": money(b.total_price),
        "discounted_price": money(b.discounted_price),
        "discounts": b.discount.iter().map(discount).collect::<Vec<_>>(),
    })
}

/// One order line for the history.
pub fn history_line(l: &LineRow) -> Value {
    json!({
        "id": l.id,
        "quantity": l.quantity,
        "item_description": l.description,
        "unit_price": money(l.unit_price),
        "total_price": money(l.discounted_price * Decimal::from(l.quantity)),
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
        "total_price_paid": money(o.total_price_paid),
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
        "total_price_paid": money(o.total_price_paid),
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
