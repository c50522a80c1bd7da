//! The original's JSON shapes for products and baskets (legacy cart and v0 basket).
//! Prices are strings with two decimals, as DRF renders DecimalFields.

use crate::commerce::basket::model::ProductRow;
use crate::commerce::basket::service::BasketView;
use crate::commerce::discounts::shapes::discount;
use crate::money::cents_string;
use serde_json::{Value, json};

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
        "price": cents_string(p.price),
        "description": p.description,
        "is_active": p.is_active,
        "purchasable_object": purchasable,
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
        "total_price": cents_string(b.total_price),
        "discounted_price": cents_string(b.discounted_price),
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
            "price": cents_string(i.price),
            "discounted_price": cents_string(i.discounted_price),
        })).collect::<Vec<_>>(),
        "total_price": cents_string(b.total_price),
        "discounted_price": cents_string(b.discounted_price),
        "discounts": b.discount.iter().map(discount).collect::<Vec<_>>(),
    })
}
