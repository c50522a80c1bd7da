//! Enrollment codes (`ensure_enrollment_codes_exist`): free auto/managed contracts have none;
//! a contract with unlimited seats has one unlimited fixed-price code per product; a limited
//! one has exactly `max_learners` one-time codes per product (missing ones created, unused
//! extras deleted). Every call runs inside one writer transaction, so concurrent calls see
//! each other's work and the result is the same however many run.

use chrono::{DateTime, NaiveTime, Utc};
use rusqlite::Connection;

use super::model::{CodePlan, Contract};
use super::store_codes::{self, Code};
use super::store_runs;
use crate::clock::to_db;
use crate::commerce::discounts;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::{DiscountType, PaymentType, RedemptionType};

/// What one call changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CodeChanges {
    pub created: usize,
    pub removed: usize,
    /// Unused codes whose price or dates were brought to the contract's.
    pub updated: usize,
}

fn in_use(code: &Code) -> bool {
    code.claimed || code.used_in_order || code.assigned
}

/// A new code string: a uuid4, as the original.
pub fn new_code() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn discount_for(contract: &Contract, unlimited: bool) -> DiscountRow {
    let start = contract
        .contract_start
        .map(|d| to_db(d.and_time(NaiveTime::MIN).and_utc()));
    let end = contract
        .contract_end
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| to_db(t.and_utc()));
    DiscountRow {
        id: 0,
        discount_code: new_code(),
        amount: contract.price(),
        automatic: false,
        discount_type: DiscountType::FixedPrice,
        redemption_type: if unlimited {
            RedemptionType::Unlimited
        } else {
            RedemptionType::OneTime
        },
        payment_type: Some(PaymentType::Sales),
        max_redemptions: 0,
        activation_date: start,
        expiration_date: end,
        is_bulk: true,
        is_program_discount: false,
    }
}

/// Creates one code for `product` of `contract` and returns its discount id.
pub fn create_code(
    c: &Connection,
    contract: &Contract,
    product: i64,
    unlimited: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let d = discount_for(contract, unlimited);
    let id = discounts::store::insert_discount(c, &d, now)?;
    discounts::store::add_discount_product(c, id, product)?;
    store_codes::link_code(c, id, contract.id, product)?;
    Ok(id)
}

fn remove(c: &Connection, code: &Code) -> rusqlite::Result<bool> {
    if in_use(code) {
        return Ok(false);
    }
    discounts::store::delete_unredeemed_discount(c, code.discount_id)
}

/// Gives an unused code (not claimed, not in any order) the contract's price and dates; true
/// when it changed.
fn retune(c: &Connection, contract: &Contract, code: &Code, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    if code.claimed || code.used_in_order {
        return Ok(false);
    }
    let Some(have) = discounts::store::discount(c, code.discount_id)? else {
        return Ok(false);
    };
    let want = discount_for(contract, code.unlimited);
    if (have.amount, &have.activation_date, &have.expiration_date)
        == (want.amount, &want.activation_date, &want.expiration_date)
    {
        return Ok(false);
    }
    let row = DiscountRow {
        amount: want.amount,
        activation_date: want.activation_date,
        expiration_date: want.expiration_date,
        ..have
    };
    Ok(discounts::store::update_discount(c, &row, now)? > 0)
}

/// Brings the contract's codes to what its [`CodePlan`] asks for, for every contract product,
/// and gives the unused ones the contract's current price and dates.
pub fn ensure_codes(
    c: &Connection,
    contract: &Contract,
    now: DateTime<Utc>,
) -> rusqlite::Result<CodeChanges> {
    let mut out = CodeChanges::default();
    let plan = contract.code_plan();
    for product in store_runs::contract_products(c, contract.id)? {
        let codes = store_codes::codes_for_product(c, contract.id, product)?;
        let (keep_unlimited, want_one_time) = match plan {
            CodePlan::None => (0, 0),
            CodePlan::OneUnlimited => (1, 0),
            CodePlan::OneTime(n) => (0, usize::try_from(n).unwrap_or(0)),
        };
        let (unlimited, one_time): (Vec<&Code>, Vec<&Code>) = codes.iter().partition(|k| k.unlimited);
        for (have, want, is_unlimited) in [
            (unlimited, keep_unlimited, true),
            (one_time, want_one_time, false),
        ] {
            if have.len() < want {
                for _ in have.len()..want {
                    create_code(c, contract, product, is_unlimited, now)?;
                    out.created += 1;
                }
            } else {
                // Delete unused extras, newest first, until `want` remain.
                let mut extra = have.len() - want;
                for code in have.iter().rev() {
                    if extra == 0 {
                        break;
                    }
                    if remove(c, code)? {
                        out.removed += 1;
                        extra -= 1;
                    }
                }
            }
        }
        for code in store_codes::codes_for_product(c, contract.id, product)? {
            if retune(c, contract, &code, now)? {
                out.updated += 1;
            }
        }
    }
    Ok(out)
}

/// Whether `code` may be claimed for attachment now: within its dates and unlimited or not
/// claimed yet.
pub fn claimable(code: &Code, now: DateTime<Utc>) -> bool {
    let now_s = to_db(now);
    code.activation_date
        .as_deref()
        .is_none_or(|a| a <= now_s.as_str())
        && code
            .expiration_date
            .as_deref()
            .is_none_or(|e| e >= now_s.as_str())
        && (code.unlimited || (!code.claimed && !code.used_in_order))
}
