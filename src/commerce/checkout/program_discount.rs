//! The verified-program discount (surface §3.8). A learner who holds a verified enrollment in a
//! program gets its courses' runs verified at no further charge, through a real zero-value
//! order: the order redeems a 100%-off, unlimited "program discount" bound to the program's
//! product (created once per program, reused afterwards). [`free_run_order`] replaces the
//! learner's basket with the run's product and that discount and checks out through the normal
//! path (gates, order, lines, redemption, fulfilment), skipping the discount's product check
//! (it is bound to the program, not the run) and the receipt mail. Runs in the caller's write
//! transaction, so a refusal leaves nothing behind.

use crate::commerce::{basket, checkout, discounts};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;

use crate::commerce::checkout::service::StartOptions;

use crate::commerce::basket::model::Owner;
use crate::commerce::checkout::service::Started;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::DiscountType;
use crate::commerce::discounts::rules::PaymentType;
use crate::commerce::discounts::rules::RedemptionType;
use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::OrderRow;

/// The longest program readable id kept in a program discount's code (codes are at most 100
/// characters; the rest is `-` and a 36-character uuid).
const CODE_PREFIX_MAX: usize = 63;

/// Why the zero-value order could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FreeRunError {
    #[error("The program has no active product, so its courses cannot be granted.")]
    NoProgramProduct,
    #[error("The course run has no active product.")]
    NoRunProduct,
    /// A checkout gate refused (`enroll-blocked`, `enroll-duplicated`, `course-non-upgradable`).
    #[error("checkout refused: {0}")]
    Refused(&'static str),
    /// The basket or order was not zero-value (a bug, never the learner's doing).
    #[error("the verified-program order is not zero-value: {0}")]
    NotFree(String),
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

crate::db::error_from!(rusqlite::Error => FreeRunError::Commerce);

fn active_product(c: &Connection, column: &str, id: i64) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(&format!(
        "SELECT id FROM products WHERE {column} = ?1 AND is_active = 1"
    ))?
    .query_row([id], |r| r.get(0))
    .optional()
}

fn is_whole_discount(d: &DiscountRow) -> bool {
    d.discount_type == DiscountType::PercentOff && d.amount == Decimal::ONE_HUNDRED
}

fn within_dates(d: &DiscountRow, now: DateTime<Utc>) -> bool {
    let r = d.rules();
    r.activation_date.is_none_or(|a| a <= now) && r.expiration_date.is_none_or(|e| e >= now)
}

/// The program's discount, created on first use: the newest program discount bound to the
/// program's product that is within its dates (and still 100% off), else a new one (code
/// `<program readable id>-<uuid>`, payment type sales, unlimited, bulk). Returns it and
/// whether it was created.
pub fn ensure_program_discount(
    c: &Connection,
    program_id: i64,
    now: DateTime<Utc>,
) -> Result<(DiscountRow, bool), FreeRunError> {
    let product = active_product(c, "program_id", program_id)?.ok_or(FreeRunError::NoProgramProduct)?;
    let candidates: Vec<i64> = c
        .prepare_cached(
            "SELECT d.id FROM discounts d JOIN discount_products dp ON dp.discount_id = d.id
             WHERE dp.product_id = ?1 AND d.is_program_discount = 1 ORDER BY d.id DESC",
        )?
        .query_map([product], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in candidates {
        if let Some(d) = discounts::store::discount(c, id)?
            && within_dates(&d, now)
            && is_whole_discount(&d)
        {
            return Ok((d, false));
        }
    }
    let readable: String = c.query_row(
        "SELECT readable_id FROM programs WHERE id = ?1",
        [program_id],
        |r| r.get(0),
    )?;
    let prefix: String = readable.chars().take(CODE_PREFIX_MAX).collect();
    let mut d = DiscountRow {
        id: 0,
        discount_code: format!("{prefix}-{}", uuid::Uuid::new_v4()),
        amount: Decimal::ONE_HUNDRED,
        automatic: false,
        discount_type: DiscountType::PercentOff,
        redemption_type: RedemptionType::Unlimited,
        payment_type: Some(PaymentType::Sales),
        max_redemptions: 0,
        activation_date: None,
        expiration_date: None,
        is_bulk: true,
        is_program_discount: true,
    };
    d.id = discounts::store::insert_discount(c, &d, now)?;
    discounts::store::add_discount_product(c, d.id, product)?;
    crate::audit::record(
        c,
        None,
        "verified program enrollment",
        "create",
        "discount",
        &d.id.to_string(),
        None,
        Some(&crate::commerce::discounts::shapes::discount(&d)),
        now,
    )?;
    Ok((d, true))
}

/// The learner's basket becomes the run's product with the program's discount, and is checked
/// out: the order must be zero-value and is fulfilled at once (verified enrollment, paid run),
/// with no receipt mail. Returns the fulfilled order.
pub fn free_run_order(
    c: &Connection,
    cat: &crate::catalog::snapshot::Catalog,
    user: i64,
    run_id: i64,
    program_id: i64,
    environment: &str,
    now: DateTime<Utc>,
) -> Result<OrderRow, FreeRunError> {
    let product = active_product(c, "course_run_id", run_id)?.ok_or(FreeRunError::NoRunProduct)?;
    let (discount, _) = ensure_program_discount(c, program_id, now)?;
    let owner = Owner::User(user);
    let basket = basket::store::ensure_basket(c, &owner, now)?;
    basket::store::clear_items(c, basket)?;
    basket::store::clear_basket_discount(c, basket)?;
    basket::store::upsert_item(c, basket, product, 1, now)?;
    basket::store::set_basket_discount(c, basket, discount.id, Some(user), now)?;
    let view = basket::service::basket_view(c, basket)?;
    if !view.discounted_price.is_zero() {
        return Err(FreeRunError::NotFree(format!(
            "basket total {}",
            view.discounted_price
        )));
    }
    let opts = StartOptions {
        skip_discount_check: true,
        skip_receipt: true,
    };
    match checkout::service::start_with(c, cat, user, environment, now, opts) {
        Ok(Started::Free { order }) => Ok(order),
        Ok(Started::Pay { order, .. }) => Err(FreeRunError::NotFree(format!(
            "order {} total {}",
            order.id, order.total_price_paid
        ))),
        Err(CommerceError::Checkout(code)) => Err(FreeRunError::Refused(code)),
        Err(e) => Err(e.into()),
    }
}
