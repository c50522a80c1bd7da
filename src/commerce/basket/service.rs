//! Basket use cases (surface §3.1–3.2): adding products, anonymous baskets claimed by a user,
//! discount codes and automatic/assigned discounts, and the priced view of a basket. Every
//! function runs inside the caller's write (or read) transaction.

use crate::commerce::CommerceError;
use crate::commerce::basket::model::{LinkTarget, Owner, ProductRow};
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::Invalid;
use crate::commerce::discounts::rules::PaymentType;
use crate::commerce::discounts::rules::RedemptionType;
use crate::commerce::discounts::rules::Redemptions;
use crate::commerce::{basket, discounts};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

/// One basket item, priced.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub id: i64,
    pub product: ProductRow,
    pub quantity: u32,
    /// List price × quantity.
    pub price: Decimal,
    /// After the basket's discount (cents, × quantity).
    pub discounted_price: Decimal,
}

/// A basket with its items, discount and totals.
#[derive(Debug, Clone, Serialize)]
pub struct BasketView {
    pub id: i64,
    pub user_id: Option<i64>,
    pub anonymous_id: Option<String>,
    pub items: Vec<ItemView>,
    pub discount: Option<DiscountRow>,
    pub total_price: Decimal,
    pub discounted_price: Decimal,
}

impl BasketView {
    pub fn product_ids(&self) -> Vec<i64> {
        self.items.iter().map(|i| i.product.id).collect()
    }
}

/// The priced basket.
pub fn basket_view(c: &Connection, basket: i64) -> Result<BasketView, CommerceError> {
    let (user_id, anonymous_id) = basket::store::basket_user(c, basket)?;
    let discount = match basket::store::basket_discount(c, basket)? {
        Some((d, _, _)) => discounts::store::discount(c, d)?,
        None => None,
    };
    let terms: Vec<_> = discount.iter().map(DiscountRow::term).collect();
    let mut items = Vec::new();
    for (id, product_id, quantity) in basket::store::basket_items(c, basket)? {
        let Some(product) = basket::store::product(c, product_id)? else {
            continue;
        };
        let price = discounts::rules::line_price(product.price, &[], quantity);
        let discounted_price = discounts::rules::line_price(product.price, &terms, quantity);
        items.push(ItemView {
            id,
            product,
            quantity,
            price,
            discounted_price,
        });
    }
    Ok(BasketView {
        id: basket,
        user_id,
        anonymous_id,
        total_price: discounts::rules::order_total(items.iter().map(|i| i.price)),
        discounted_price: discounts::rules::order_total(items.iter().map(|i| i.discounted_price)),
        items,
        discount,
    })
}

/// A product's current list price (`None` for an unknown product).
pub fn list_price(c: &Connection, product: i64) -> rusqlite::Result<Option<Decimal>> {
    Ok(basket::store::product(c, product)?.map(|p| p.price))
}

/// The owner's basket view, if they have a basket.
pub fn find_basket(c: &Connection, owner: &Owner) -> Result<Option<BasketView>, CommerceError> {
    match basket::store::basket_id(c, owner)? {
        Some(id) => Ok(Some(basket_view(c, id)?)),
        None => Ok(None),
    }
}

/// Adds a product (`add_to_cart`, `/cart/add`, `create_from_product`). `replace` empties the
/// basket first (single-item baskets, like the original by default). Basket discounts are
/// cleared, then the user's automatic and assigned discounts re-applied. Returns the basket id
/// and whether the item is new.
pub fn add_product(
    c: &Connection,
    owner: &Owner,
    product_id: i64,
    quantity: u32,
    replace: bool,
    now: DateTime<Utc>,
) -> Result<(i64, bool), CommerceError> {
    let product = basket::store::product(c, product_id)?
        .filter(|p| p.is_active)
        .ok_or_else(|| CommerceError::NotFound("No Product matches the given query.".into()))?;
    let basket = basket::store::ensure_basket(c, owner, now)?;
    let existed = basket::store::basket_items(c, basket)?
        .iter()
        .any(|(_, p, _)| *p == product.id);
    if replace {
        basket::store::clear_items(c, basket)?;
    }
    let item = basket::store::upsert_item(c, basket, product.id, quantity.max(1), now)?;
    if matches!(owner, Owner::User(_)) {
        let cart = crate::integrations::hubspot::Obj::Cart { basket_item_id: item };
        crate::integrations::hubspot::enqueue(c, now, cart, "added")?;
    }
    basket::store::clear_basket_discount(c, basket)?;
    if let Owner::User(u) = owner {
        apply_auto_discounts(c, basket, *u, now)?;
    }
    Ok((basket, !existed))
}

/// Moves an anonymous visitor's basket to the user who just signed in (theirs is discarded),
/// then applies the user's discounts. False when there was no such basket.
pub fn claim_anonymous(
    c: &Connection,
    anonymous_id: &str,
    user: i64,
    now: DateTime<Utc>,
) -> Result<bool, CommerceError> {
    if !basket::store::claim_basket(c, anonymous_id, user)? {
        return Ok(false);
    }
    if let Some(b) = basket::store::basket_id(c, &Owner::User(user))? {
        basket::store::clear_basket_discount(c, b)?;
        apply_auto_discounts(c, b, user, now)?;
    }
    Ok(true)
}

fn counts(
    c: &Connection,
    d: &DiscountRow,
    user: Option<i64>,
    except_order: Option<i64>,
) -> Result<(Redemptions, u32), CommerceError> {
    let (fulfilled, by_user, any, held) = discounts::store::redemption_counts(c, d.id, user, except_order)?;
    Ok((
        Redemptions {
            fulfilled,
            fulfilled_by_user: by_user,
            on_any_order: any,
        },
        held,
    ))
}

/// Whether `d` may be used by `user` on a basket holding `products` (`check_validity` plus
/// product binding and assignment). A one-time code is also taken while another pending
/// order holds it, so two checkouts can never both redeem it.
pub fn usable(
    c: &Connection,
    d: &DiscountRow,
    user: Option<i64>,
    products: &[i64],
    except_order: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Result<(), Invalid>, CommerceError> {
    let rules = d.rules();
    let (used, held) = counts(c, d, user, except_order)?;
    if let Err(e) = discounts::rules::check_validity(&rules, used, now) {
        return Ok(Err(e));
    }
    if d.redemption_type == RedemptionType::OneTime && held > 0 {
        return Ok(Err(Invalid::AlreadyRedeemed));
    }
    let bound = discounts::store::discount_products(c, d.id)?;
    if let Err(e) = discounts::rules::check_products(&rules, &bound, products, now) {
        return Ok(Err(e));
    }
    let assigned = discounts::store::discount_users(c, d.id)?;
    if !assigned.is_empty() && !user.is_some_and(|u| assigned.contains(&u)) {
        return Ok(Err(Invalid::NotAssignedToUser));
    }
    // A financial-assistance discount is only ever the one the learner's approved request
    // grants for a product in the basket.
    if d.payment_type == Some(PaymentType::FinancialAssistance) {
        let Some(u) = user else {
            return Ok(Err(Invalid::FinancialAssistance));
        };
        let mut granted = false;
        for p in products {
            if crate::pricing::service::approved_discount(c, u, *p, now)?.is_some_and(|a| a.id == d.id) {
                granted = true;
                break;
            }
        }
        if !granted {
            return Ok(Err(Invalid::FinancialAssistance));
        }
    }
    Ok(Ok(()))
}

fn basket_price(
    c: &Connection,
    basket: i64,
    term: Option<(discounts::rules::DiscountType, Decimal)>,
) -> Result<Decimal, CommerceError> {
    let mut lines = Vec::new();
    for (_, p, q) in basket::store::basket_items(c, basket)? {
        if let Some(prod) = basket::store::product(c, p)? {
            lines.push(discounts::rules::line_price(prod.price, term.as_slice(), q));
        }
    }
    Ok(discounts::rules::order_total(lines))
}

/// Applies the best of the user's assigned, financial-assistance (their approved flexible-price
/// request's tier discount, from [`crate::pricing::service`]) and automatic discounts that are
/// valid now, unless the basket already has a discount that is at least as good.
pub fn apply_auto_discounts(
    c: &Connection,
    basket: i64,
    user: i64,
    now: DateTime<Utc>,
) -> Result<(), CommerceError> {
    let products: Vec<i64> = basket::store::basket_items(c, basket)?
        .iter()
        .map(|i| i.1)
        .collect();
    if products.is_empty() {
        return Ok(());
    }
    let current = match basket::store::basket_discount(c, basket)? {
        Some((d, _, _)) => discounts::store::discount(c, d)?,
        None => None,
    };
    let mut best: Option<(Decimal, DiscountRow)> = match current {
        Some(d) => Some((basket_price(c, basket, Some(d.term()))?, d)),
        None => None,
    };
    let current_id = best.as_ref().map(|b| b.1.id);
    let mut candidates: Vec<DiscountRow> = discounts::store::auto_discounts(c, Some(user))?
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    for p in &products {
        if let Some(fa) = crate::pricing::service::approved_discount(c, user, *p, now)?
            && !candidates.iter().any(|d| d.id == fa.id)
        {
            candidates.push(fa);
        }
    }
    for d in candidates {
        if usable(c, &d, Some(user), &products, None, now)?.is_err() {
            continue;
        }
        let price = basket_price(c, basket, Some(d.term()))?;
        if best.as_ref().is_none_or(|(p, _)| price < *p) {
            best = Some((price, d));
        }
    }
    if let Some((_, d)) = best
        && Some(d.id) != current_id
    {
        basket::store::set_basket_discount(c, basket, d.id, Some(user), now)?;
    }
    Ok(())
}

/// Applies a code the learner typed (`redeem_discount`, v0 `create_from_product/{code}`).
/// Financial-assistance codes cannot be typed; the learner's financial-assistance discount is
/// kept when it gives a strictly lower price. 404 names why the code does not apply.
pub fn redeem_code(
    c: &Connection,
    basket: i64,
    user: Option<i64>,
    code: &str,
    now: DateTime<Utc>,
) -> Result<DiscountRow, CommerceError> {
    let items = basket::store::basket_items(c, basket)?;
    let products: Vec<i64> = items.iter().map(|i| i.1).collect();
    let mut why = None;
    let mut found = None;
    for d in discounts::store::discounts_by_code(c, code.trim())? {
        if d.payment_type == Some(PaymentType::FinancialAssistance) {
            why.get_or_insert(Invalid::FinancialAssistance);
            continue;
        }
        match usable(c, &d, user, &products, None, now)? {
            Ok(()) => {
                found = Some(d);
                break;
            }
            Err(e) => {
                why.get_or_insert(e);
            }
        }
    }
    let Some(d) = found else {
        let message = match why {
            Some(e) => e.to_string(),
            None => format!("Discount '{}' not found.", code.trim()),
        };
        return Err(CommerceError::NotFound(message));
    };
    if let Some((cur, _, _)) = basket::store::basket_discount(c, basket)?
        && let Some(cur) = discounts::store::discount(c, cur)?
        && cur.payment_type == Some(PaymentType::FinancialAssistance)
        && let Some((_, first, _)) = items.first()
        && let Some(prod) = basket::store::product(c, *first)?
        && discounts::rules::legacy_keeps_financial_assistance(prod.price, d.term(), Some(cur.term()))
    {
        return Ok(cur);
    }
    basket::store::set_basket_discount(c, basket, d.id, user, now)?;
    Ok(d)
}

/// A new discount from staff input, checked with the original's rules.
pub fn validate_discount(d: &DiscountRow, now: DateTime<Utc>) -> Result<(), CommerceError> {
    if d.discount_code.trim().is_empty() || d.discount_code.len() > 100 {
        return Err(CommerceError::Invalid {
            field: "discount_code",
            message: "Ensure this field has between 1 and 100 characters.".into(),
        });
    }
    discounts::rules::validate_terms(&d.rules(), now).map_err(|p| CommerceError::Invalid {
        field: p[0].field,
        message: p[0].message.clone(),
    })
}

/// Applies a typed code to the owner's basket (`NoBasket` when there is none).
pub async fn redeem(
    state: &AppState,
    owner: Owner,
    user: i64,
    code: String,
) -> Result<DiscountRow, CommerceError> {
    state
        .write_at(move |c, now| {
            let basket = basket::store::basket_id(c, &owner)?.ok_or(CommerceError::NoBasket)?;
            redeem_code(c, basket, Some(user), &code, now)
        })
        .await
}

/// Empties the owner's basket: its items and its discount.
pub async fn clear(state: &AppState, owner: Owner) -> Result<(), CommerceError> {
    state
        .db
        .write(move |c| {
            if let Some(b) = basket::store::basket_id(c, &owner)? {
                basket::store::clear_items(c, b)?;
                basket::store::clear_basket_discount(c, b)?;
            }
            Ok(())
        })
        .await
}

/// A cart link: empties the owner's basket and adds the one product the link names
/// (`NotFound` when it names none).
pub async fn replace_with_link(state: &AppState, owner: Owner, t: LinkTarget) -> Result<(), CommerceError> {
    state
        .write_at(move |c, now| {
            let pid = match (t.product, t.run, t.course, t.program) {
                (Some(p), ..) => Some(p),
                (None, Some(r), ..) => basket::store::product_for(c, Some(r), None)?,
                (None, None, Some(co), _) => basket::store::product_for_course(c, co)?,
                (None, None, None, Some(pr)) => basket::store::product_for(c, None, Some(pr))?,
                _ => None,
            }
            .ok_or_else(|| CommerceError::NotFound("No product matches this link.".into()))?;
            add_product(c, &owner, pid, 1, true, now).map(|_| ())
        })
        .await
}
