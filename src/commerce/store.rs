//! Plain SQL over the ecommerce tables (V8) and the catalog's products. No rules here: the
//! service decides, these read and write rows.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

use super::model::{DiscountRow, Owner, ProductRow};
pub use super::store_orders::*;
use crate::clock::to_db;

fn dec(s: String) -> Decimal {
    Decimal::from_str(&s).unwrap_or_default()
}

const PRODUCT_SQL: &str = "
    SELECT p.id, v.id, v.price, v.description, p.is_active, p.course_run_id, p.program_id,
           COALESCE(r.courseware_id, g.readable_id), COALESCE(c.title, g.title), r.title,
           COALESCE(r.start_date, g.start_date), COALESCE(r.end_date, g.end_date), r.enrollment_end,
           r.upgrade_deadline, r.course_id
    FROM products p
    JOIN product_versions v ON v.id = (SELECT max(id) FROM product_versions WHERE product_id = p.id)
    LEFT JOIN course_runs r ON r.id = p.course_run_id
    LEFT JOIN courses c ON c.id = r.course_id
    LEFT JOIN programs g ON g.id = p.program_id";

fn product_row(r: &Row<'_>) -> rusqlite::Result<ProductRow> {
    Ok(ProductRow {
        id: r.get(0)?,
        version_id: r.get(1)?,
        price: dec(r.get(2)?),
        description: r.get(3)?,
        is_active: r.get(4)?,
        course_run_id: r.get(5)?,
        program_id: r.get(6)?,
        readable_id: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        title: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        run_title: r.get(9)?,
        start_date: r.get(10)?,
        end_date: r.get(11)?,
        enrollment_end: r.get(12)?,
        upgrade_deadline: r.get(13)?,
        course_id: r.get(14)?,
    })
}

/// A product with its latest price version.
pub fn product(c: &Connection, id: i64) -> rusqlite::Result<Option<ProductRow>> {
    c.prepare_cached(&format!("{PRODUCT_SQL} WHERE p.id = ?1"))?
        .query_row([id], product_row)
        .optional()
}

/// Active products, newest first.
pub fn products(c: &Connection) -> rusqlite::Result<Vec<ProductRow>> {
    c.prepare_cached(&format!("{PRODUCT_SQL} WHERE p.is_active = 1 ORDER BY p.id"))?
        .query_map([], product_row)?
        .collect()
}

/// The product that sells a course run or a program.
pub fn product_for(c: &Connection, run: Option<i64>, program: Option<i64>) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached("SELECT id FROM products WHERE course_run_id = ?1 OR program_id = ?2")?
        .query_row(params![run, program], |r| r.get(0))
        .optional()
}

/// The newest product of any run of a course.
pub fn product_for_course(c: &Connection, course_id: i64) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(
        "SELECT p.id FROM products p JOIN course_runs r ON r.id = p.course_run_id
         WHERE r.course_id = ?1 AND p.is_active = 1 ORDER BY r.start_date DESC, p.id DESC LIMIT 1",
    )?
    .query_row([course_id], |r| r.get(0))
    .optional()
}

// ---- baskets ----

/// The basket id of an owner.
pub fn basket_id(c: &Connection, owner: &Owner) -> rusqlite::Result<Option<i64>> {
    match owner {
        Owner::User(u) => c
            .prepare_cached("SELECT id FROM baskets WHERE user_id = ?1")?
            .query_row([u], |r| r.get(0))
            .optional(),
        Owner::Anonymous(a) => c
            .prepare_cached("SELECT id FROM baskets WHERE anonymous_id = ?1")?
            .query_row([a], |r| r.get(0))
            .optional(),
    }
}

/// The owner's basket, created when missing.
pub fn ensure_basket(c: &Connection, owner: &Owner, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    if let Some(id) = basket_id(c, owner)? {
        return Ok(id);
    }
    let (user, anon) = match owner {
        Owner::User(u) => (Some(*u), None),
        Owner::Anonymous(a) => (None, Some(a.as_str())),
    };
    c.prepare_cached(
        "INSERT INTO baskets (user_id, anonymous_id, created_on, updated_on) VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![user, anon, to_db(now)])?;
    Ok(c.last_insert_rowid())
}

/// Deletes anonymous baskets not touched since `before`.
pub fn cull_anonymous(c: &Connection, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM baskets WHERE anonymous_id IS NOT NULL AND updated_on < ?1",
        [to_db(before)],
    )
}

pub fn basket_user(c: &Connection, basket: i64) -> rusqlite::Result<(Option<i64>, Option<String>)> {
    c.prepare_cached("SELECT user_id, anonymous_id FROM baskets WHERE id = ?1")?
        .query_row([basket], |r| Ok((r.get(0)?, r.get(1)?)))
}

pub fn delete_basket(c: &Connection, basket: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM baskets WHERE id = ?1")?
        .execute([basket])?;
    Ok(())
}

/// Gives an anonymous basket to a user (their own basket, if any, is discarded — no merge).
pub fn claim_basket(c: &Connection, anonymous_id: &str, user: i64) -> rusqlite::Result<bool> {
    let Some(id) = basket_id(c, &Owner::Anonymous(anonymous_id.to_owned()))? else {
        return Ok(false);
    };
    c.execute("DELETE FROM baskets WHERE user_id = ?1", [user])?;
    c.execute(
        "UPDATE baskets SET user_id = ?1, anonymous_id = NULL WHERE id = ?2",
        params![user, id],
    )?;
    Ok(true)
}

/// `(item id, product id, quantity)` in insertion order.
pub fn basket_items(c: &Connection, basket: i64) -> rusqlite::Result<Vec<(i64, i64, u32)>> {
    c.prepare_cached("SELECT id, product_id, quantity FROM basket_items WHERE basket_id = ?1 ORDER BY id")?
        .query_map([basket], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

pub fn clear_items(c: &Connection, basket: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM basket_items WHERE basket_id = ?1")?
        .execute([basket])?;
    Ok(())
}

pub fn remove_item(c: &Connection, basket: i64, item: i64) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM basket_items WHERE basket_id = ?1 AND id = ?2",
        params![basket, item],
    )
}

pub fn upsert_item(
    c: &Connection,
    basket: i64,
    product: i64,
    quantity: u32,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.prepare_cached("UPDATE baskets SET updated_on = ?2 WHERE id = ?1")?
        .execute(params![basket, to_db(now)])?;
    c.prepare_cached(
        "INSERT INTO basket_items (basket_id, product_id, quantity) VALUES (?1, ?2, ?3)
         ON CONFLICT (basket_id, product_id) DO UPDATE SET quantity = excluded.quantity",
    )?
    .execute(params![basket, product, quantity])?;
    c.prepare_cached("SELECT id FROM basket_items WHERE basket_id = ?1 AND product_id = ?2")?
        .query_row(params![basket, product], |r| r.get(0))
}

pub fn basket_discount(c: &Connection, basket: i64) -> rusqlite::Result<Option<(i64, Option<i64>, String)>> {
    c.prepare_cached(
        "SELECT discount_id, redeemed_by_id, redemption_date FROM basket_discounts WHERE basket_id = ?1",
    )?
    .query_row([basket], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .optional()
}

pub fn set_basket_discount(
    c: &Connection,
    basket: i64,
    discount: i64,
    user: Option<i64>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO basket_discounts (basket_id, discount_id, redeemed_by_id, redemption_date) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (basket_id) DO UPDATE SET discount_id = excluded.discount_id,
            redeemed_by_id = excluded.redeemed_by_id, redemption_date = excluded.redemption_date",
    )?
    .execute(params![basket, discount, user, to_db(now)])?;
    Ok(())
}

pub fn clear_basket_discount(c: &Connection, basket: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM basket_discounts WHERE basket_id = ?1")?
        .execute([basket])?;
    Ok(())
}

// ---- discounts ----

pub(super) const DISCOUNT_SQL: &str =
    "SELECT id, discount_code, amount, automatic, discount_type, redemption_type, payment_type,
    max_redemptions, activation_date, expiration_date, is_bulk, is_program_discount FROM discounts";

pub(super) fn discount_row(r: &Row<'_>) -> rusqlite::Result<DiscountRow> {
    let bad = |i: usize, e: super::discounts::UnknownChoice| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(DiscountRow {
        id: r.get(0)?,
        discount_code: r.get(1)?,
        amount: dec(r.get(2)?),
        automatic: r.get(3)?,
        discount_type: r.get::<_, String>(4)?.parse().map_err(|e| bad(4, e))?,
        redemption_type: r.get::<_, String>(5)?.parse().map_err(|e| bad(5, e))?,
        payment_type: match r.get::<_, Option<String>>(6)? {
            Some(p) => Some(p.parse().map_err(|e| bad(6, e))?),
            None => None,
        },
        max_redemptions: r.get(7)?,
        activation_date: r.get(8)?,
        expiration_date: r.get(9)?,
        is_bulk: r.get(10)?,
        is_program_discount: r.get(11)?,
    })
}

pub fn discount(c: &Connection, id: i64) -> rusqlite::Result<Option<DiscountRow>> {
    c.prepare_cached(&format!("{DISCOUNT_SQL} WHERE id = ?1"))?
        .query_row([id], discount_row)
        .optional()
}

/// Discounts with this code (codes are not unique in the original; newest first).
pub fn discounts_by_code(c: &Connection, code: &str) -> rusqlite::Result<Vec<DiscountRow>> {
    c.prepare_cached(&format!(
        "{DISCOUNT_SQL} WHERE discount_code = ?1 ORDER BY id DESC"
    ))?
    .query_map([code], discount_row)?
    .collect()
}

pub fn list_discounts(
    c: &Connection,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(i64, Vec<DiscountRow>)> {
    let like = q.map(|q| format!("%{q}%"));
    let count = c.query_row(
        "SELECT count(*) FROM discounts WHERE ?1 IS NULL OR discount_code LIKE ?1",
        [&like],
        |r| r.get(0),
    )?;
    let rows = c
        .prepare(&format!(
            "{DISCOUNT_SQL} WHERE ?1 IS NULL OR discount_code LIKE ?1 ORDER BY id LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(params![like, limit, offset], discount_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((count, rows))
}

/// Automatic discounts and those assigned to the user.
pub fn auto_discounts(c: &Connection, user: Option<i64>) -> rusqlite::Result<Vec<(DiscountRow, bool)>> {
    c.prepare_cached(&format!(
        "{DISCOUNT_SQL} WHERE automatic = 1 OR id IN (SELECT discount_id FROM user_discounts WHERE user_id = ?1) ORDER BY id"
    ))?
    .query_map([user], |r| {
        let d = discount_row(r)?;
        Ok(d)
    })?
    .map(|d| d.map(|d| (d, false)))
    .collect::<rusqlite::Result<Vec<_>>>()
    .and_then(|mut v| {
        for (d, assigned) in &mut v {
            *assigned = is_assigned(c, d.id, user)?;
        }
        Ok(v)
    })
}

pub fn is_assigned(c: &Connection, discount: i64, user: Option<i64>) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT EXISTS (SELECT 1 FROM user_discounts WHERE discount_id = ?1 AND user_id = ?2)")?
        .query_row(params![discount, user], |r| r.get(0))
}

pub fn discount_products(c: &Connection, discount: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached("SELECT product_id FROM discount_products WHERE discount_id = ?1 ORDER BY product_id")?
        .query_map([discount], |r| r.get(0))?
        .collect()
}

pub fn discount_users(c: &Connection, discount: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached("SELECT user_id FROM user_discounts WHERE discount_id = ?1 ORDER BY user_id")?
        .query_map([discount], |r| r.get(0))?
        .collect()
}

/// Redemption counts: `(fulfilled, fulfilled by user, any order, pending or fulfilled by others)`.
pub fn redemption_counts(
    c: &Connection,
    discount: i64,
    user: Option<i64>,
    except_order: Option<i64>,
) -> rusqlite::Result<(u32, u32, u32, u32)> {
    c.prepare_cached(
        "SELECT
            count(*) FILTER (WHERE o.state = 'fulfilled'),
            count(*) FILTER (WHERE o.state = 'fulfilled' AND r.redeemed_by_id = ?2),
            count(*),
            count(*) FILTER (WHERE o.state IN ('fulfilled', 'pending') AND o.id IS NOT ?3)
         FROM discount_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.discount_id = ?1",
    )?
    .query_row(params![discount, user, except_order], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
}

pub fn insert_discount(c: &Connection, d: &DiscountRow, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO discounts (discount_code, amount, automatic, discount_type, redemption_type, payment_type,
            max_redemptions, activation_date, expiration_date, is_bulk, is_program_discount, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
        d.discount_code,
        d.amount.to_string(),
        d.automatic,
        d.discount_type.as_str(),
        d.redemption_type.as_str(),
        d.payment_type.map(|p| p.as_str()),
        d.max_redemptions,
        d.activation_date,
        d.expiration_date,
        d.is_bulk,
        d.is_program_discount,
        to_db(now)
    ])?;
    Ok(c.last_insert_rowid())
}

pub fn update_discount(c: &Connection, d: &DiscountRow, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE discounts SET discount_code = ?2, amount = ?3, automatic = ?4, discount_type = ?5, redemption_type = ?6,
            payment_type = ?7, max_redemptions = ?8, activation_date = ?9, expiration_date = ?10, updated_on = ?11
         WHERE id = ?1",
        params![
            d.id,
            d.discount_code,
            d.amount.to_string(),
            d.automatic,
            d.discount_type.as_str(),
            d.redemption_type.as_str(),
            d.payment_type.map(|p| p.as_str()),
            d.max_redemptions,
            d.activation_date,
            d.expiration_date,
            to_db(now)
        ],
    )
}

pub fn add_discount_product(c: &Connection, discount: i64, product: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO discount_products (discount_id, product_id) VALUES (?1, ?2)",
        params![discount, product],
    )?;
    Ok(())
}

pub fn add_discount_user(c: &Connection, discount: i64, user: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO user_discounts (discount_id, user_id) VALUES (?1, ?2)",
        params![discount, user],
    )?;
    Ok(())
}
