//! The original's JSON shapes for products and baskets (legacy cart and v0 basket), typed so
//! the OpenAPI document describes exactly what is answered. Prices are strings with two
//! decimals, as DRF renders DecimalFields.

use crate::commerce::basket::model::ProductRow;
use crate::commerce::basket::service::BasketView;
use crate::commerce::discounts::model::DiscountRow;
use crate::money::cents_string;
use serde::Serialize;
use utoipa::ToSchema;

/// A product: what it sells, its current price and whether it is on sale.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    /// Two decimals, e.g. `"999.00"`.
    pub price: String,
    pub description: String,
    pub is_active: bool,
    pub purchasable_object: Option<Purchasable>,
}

/// What a product sells: a course run or a program.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Purchasable {
    Run(PurchasableRun),
    Program(PurchasableProgram),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurchasableRun {
    pub id: i64,
    pub title: Option<String>,
    pub courseware_id: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_end: Option<String>,
    pub upgrade_deadline: Option<String>,
    pub course: PurchasableCourse,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurchasableCourse {
    pub id: Option<i64>,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PurchasableProgram {
    pub id: i64,
    pub title: String,
    pub readable_id: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

/// Product {id, price, description, is_active, purchasable_object}.
pub fn product(p: &ProductRow) -> Product {
    let purchasable = match (p.course_run_id, p.program_id) {
        (Some(run), _) => Some(Purchasable::Run(PurchasableRun {
            id: run,
            title: p.run_title.clone(),
            courseware_id: p.readable_id.clone(),
            start_date: p.start_date.clone(),
            end_date: p.end_date.clone(),
            enrollment_end: p.enrollment_end.clone(),
            upgrade_deadline: p.upgrade_deadline.clone(),
            course: PurchasableCourse {
                id: p.course_id,
                title: p.title.clone(),
            },
        })),
        (_, Some(prog)) => Some(Purchasable::Program(PurchasableProgram {
            id: prog,
            title: p.title.clone(),
            readable_id: p.readable_id.clone(),
            start_date: p.start_date.clone(),
            end_date: p.end_date.clone(),
        })),
        _ => None,
    };
    Product {
        id: p.id,
        price: cents_string(p.price),
        description: p.description.clone(),
        is_active: p.is_active,
        purchasable_object: purchasable,
    }
}

/// The legacy cart (`/api/checkout/cart/`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyCart {
    pub id: i64,
    pub user: Option<i64>,
    pub anonymous_id: Option<String>,
    pub basket_items: Vec<LegacyCartItem>,
    pub total_price: String,
    pub discounted_price: String,
    pub discounts: Vec<LegacyCartDiscount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyCartItem {
    pub basket: i64,
    pub product: Product,
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyCartDiscount {
    pub redeemed_discount: DiscountRow,
    pub redeemed_basket: i64,
}

/// Legacy `/api/checkout/cart/`.
pub fn legacy_cart(b: &BasketView) -> LegacyCart {
    LegacyCart {
        id: b.id,
        user: b.user_id,
        anonymous_id: b.anonymous_id.clone(),
        basket_items: b
            .items
            .iter()
            .map(|i| LegacyCartItem {
                basket: b.id,
                product: product(&i.product),
                id: i.id,
            })
            .collect(),
        total_price: cents_string(b.total_price),
        discounted_price: cents_string(b.discounted_price),
        discounts: b
            .discount
            .iter()
            .map(|d| LegacyCartDiscount {
                redeemed_discount: d.clone(),
                redeemed_basket: b.id,
            })
            .collect(),
    }
}

/// v0 BasketWithProduct.
#[derive(Debug, Serialize, ToSchema)]
pub struct Basket {
    pub id: i64,
    pub user: Option<i64>,
    pub basket_items: Vec<BasketItem>,
    pub total_price: String,
    pub discounted_price: String,
    pub discounts: Vec<DiscountRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BasketItem {
    pub id: i64,
    pub basket: i64,
    pub product: Product,
    pub quantity: u32,
    pub price: String,
    pub discounted_price: String,
}

/// v0 BasketWithProduct.
pub fn v0_basket(b: &BasketView) -> Basket {
    Basket {
        id: b.id,
        user: b.user_id,
        basket_items: b
            .items
            .iter()
            .map(|i| BasketItem {
                id: i.id,
                basket: b.id,
                product: product(&i.product),
                quantity: i.quantity,
                price: cents_string(i.price),
                discounted_price: cents_string(i.discounted_price),
            })
            .collect(),
        total_price: cents_string(b.total_price),
        discounted_price: cents_string(b.discounted_price),
        discounts: b.discount.iter().cloned().collect(),
    }
}
