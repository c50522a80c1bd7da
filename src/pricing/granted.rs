//! The discount an approved request grants (surface §4.6), which ecommerce applies to the
//! learner's basket by itself, and the learner's price for a product. Re-exported by
//! [`super::service`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::tier_service;
use crate::pricing::model::Courseware;
use crate::pricing::service::{PricingError, family_of};
use crate::pricing::store;
use crate::state::AppState;

fn in_date(d: &DiscountRow, now: DateTime<Utc>) -> bool {
    let rules = d.rules();
    rules.activation_date.is_none_or(|a| a <= now) && rules.expiration_date.is_none_or(|e| e >= now)
}

/// The courseware family a product's purchase counts for.
fn product_family(c: &Connection, product: i64) -> rusqlite::Result<Vec<Courseware>> {
    match crate::catalog::service::product_purchasable(c, product)? {
        Some((Some(run), _)) => match crate::catalog::service::run_facts(c, run)? {
            Some(r) => family_of(c, Courseware::Course(r.course_id)),
            None => Ok(Vec::new()),
        },
        Some((None, Some(program))) => family_of(c, Courseware::Program(program)),
        _ => Ok(Vec::new()),
    }
}

/// `determine_courseware_flexible_price_discount`: the tier discount of the learner's approved
/// request for the product's family, when the tier is current and its discount in date.
pub fn approved_discount(
    c: &Connection,
    user: i64,
    product: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<DiscountRow>> {
    for member in product_family(c, product)? {
        let Some(r) = store::request_for(c, user, member)? else {
            continue;
        };
        let Some((tier, d)) = r
            .tier_id
            .map(|t| tier_service::tier_with_discount(c, t))
            .transpose()?
            .flatten()
        else {
            continue;
        };
        if !in_date(&d, now) {
            continue;
        }
        if tier.current && r.status.is_approved() {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// `is_courseware_flexible_price_approved`: an approved request with a current tier covers
/// the run's course.
pub fn approved_for_course(c: &Connection, user: i64, course: i64) -> rusqlite::Result<bool> {
    for member in family_of(c, Courseware::Course(course))? {
        if let Some(r) = store::request_for(c, user, member)?
            && r.status.is_approved()
            && let Some((tier, _)) = r
                .tier_id
                .map(|t| tier_service::tier_with_discount(c, t))
                .transpose()?
                .flatten()
            && tier.current
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `learner_price`: the price a learner pays for a product once their approved request's
/// discount applies — `(discount, discounted price)`, `None` when no approved, current, in-date
/// tier covers the product's family or the product has no price. Runs in the caller's
/// transaction. The product pages and `user_flexible_price` read it; checkout applies the same
/// [`approved_discount`] to the basket.
pub fn learner_price(
    c: &Connection,
    user: i64,
    product: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<(DiscountRow, Decimal)>> {
    let Some(d) = approved_discount(c, user, product, now)? else {
        return Ok(None);
    };
    let price = crate::commerce::basket::service::list_price(c, product)?;
    Ok(price.map(|p| {
        let discounted = crate::commerce::discounts::rules::line_price(p, &[d.term()], 1);
        (d, discounted)
    }))
}

/// The learner's flexible price for a product (`/api/v0/products/{id}/user_flexible_price/`):
/// the discount and the price it gives, `None` when none applies.
pub async fn product_price(
    state: &AppState,
    user: Option<i64>,
    product: i64,
) -> Result<Option<(DiscountRow, Decimal)>, PricingError> {
    let Some(u) = user else { return Ok(None) };
    let now = state.clock.now();
    state
        .db
        .read(move |c| Ok(learner_price(c, u, product, now)?))
        .await
}

/// The learner's prices for the products a page shows (product id → discounted price), in
/// one read; empty for a guest or when no approved request covers any of them.
pub async fn page_prices(
    state: &AppState,
    user: Option<i64>,
    products: Vec<i64>,
) -> Result<HashMap<i64, Decimal>, PricingError> {
    let Some(u) = user.filter(|_| !products.is_empty()) else {
        return Ok(HashMap::new());
    };
    let now = state.clock.now();
    state
        .db
        .read(move |c| {
            let mut prices = HashMap::new();
            for p in products {
                if let Some((_, price)) = learner_price(c, u, p, now)? {
                    prices.insert(p, price);
                }
            }
            Ok(prices)
        })
        .await
}

/// What a signed-in learner's approved requests change in the catalog and enrollment
/// responses: the courses an approval covers (`approved_flexible_price_exists`) and the
/// discount per product (`product_flexible_price`, in the discount API's shape).
#[derive(Debug, Default, Clone)]
pub struct LearnerPrices {
    pub approved_courses: HashSet<i64>,
    pub product_discounts: HashMap<i64, serde_json::Value>,
}

/// [`LearnerPrices`] for `courses` and `products`; `None` (one indexed query) when the learner
/// has no approved request at all, which is nearly everyone.
pub fn learner_prices(
    c: &Connection,
    user: i64,
    courses: &[i64],
    products: &[i64],
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<LearnerPrices>> {
    if !store::requests_of_user(c, user)?
        .iter()
        .any(|r| r.status.is_approved())
    {
        return Ok(None);
    }
    let mut out = LearnerPrices::default();
    for &course in courses {
        if approved_for_course(c, user, course)? {
            out.approved_courses.insert(course);
        }
    }
    for &product in products {
        if let Some(d) = approved_discount(c, user, product, now)? {
            out.product_discounts
                .insert(product, crate::commerce::discounts::shapes::discount(&d));
        }
    }
    Ok(Some(out))
}

/// [`learner_prices`] in its own read.
pub async fn learner_prices_now(
    state: &AppState,
    user: i64,
    courses: Vec<i64>,
    products: Vec<i64>,
) -> Result<Option<LearnerPrices>, PricingError> {
    let now = state.clock.now();
    Ok(state
        .db
        .read(move |c| learner_prices(c, user, &courses, &products, now))
        .await?)
}
