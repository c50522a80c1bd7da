//! The learner's own price for a product before anything is in their cart, for the course and
//! program pages: the best of the discounts the cart would apply on its own
//! ([`service::apply_auto_discounts`]'s candidates — automatic ones, ones assigned to the
//! learner, and their approved financial-assistance discount from [`crate::pricing::service`])
//! that [`service::usable`] accepts for a basket of that one product.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::service;
use crate::commerce::discounts;
use crate::commerce::error::CommerceError;
use crate::state::AppState;

/// The learner's best price for `product` when a discount lowers it, with that discount's code.
pub fn best_price(
    c: &Connection,
    user: i64,
    product: i64,
    now: DateTime<Utc>,
) -> Result<Option<(Decimal, String)>, CommerceError> {
    let Some(list) = service::list_price(c, product)? else {
        return Ok(None);
    };
    let mut candidates: Vec<_> = discounts::store::auto_discounts(c, Some(user))?
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    if let Some(fa) = crate::pricing::service::approved_discount(c, user, product, now)?
        && !candidates.iter().any(|d| d.id == fa.id)
    {
        candidates.push(fa);
    }
    let mut best: Option<(Decimal, String)> = None;
    for d in candidates {
        if service::usable(c, &d, Some(user), &[product], None, now)?.is_err() {
            continue;
        }
        let price = discounts::rules::line_price(list, &[d.term()], 1);
        if price < list && best.as_ref().is_none_or(|(p, _)| price < *p) {
            best = Some((price, d.discount_code));
        }
    }
    Ok(best)
}

/// [`best_price`] for each of a page's products, in one read; empty for a guest.
pub async fn page_prices(
    state: &AppState,
    user: Option<i64>,
    products: Vec<i64>,
) -> Result<HashMap<i64, Decimal>, CommerceError> {
    let Some(u) = user.filter(|_| !products.is_empty()) else {
        return Ok(HashMap::new());
    };
    let now = state.clock.now();
    state
        .db
        .read(move |c| -> Result<_, CommerceError> {
            let mut out = HashMap::new();
            for p in products {
                if let Some((price, _)) = best_price(c, u, p, now)? {
                    out.insert(p, price);
                }
            }
            Ok(out)
        })
        .await
}
