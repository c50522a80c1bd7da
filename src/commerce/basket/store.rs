//! Plain SQL over the basket tables and the products they hold (products and their price
//! versions are read here for the whole of ecommerce). No rules: the service decides.

use crate::clock::to_db;
use crate::commerce::basket::model::Owner;
use crate::commerce::basket::model::ProductRow;
use crate::db::from_row;
use crate::money;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

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
    from_row!(
        r,
        ProductRow {
            id,
            version_id,
            price: money::from_db,
            description,
            is_active,
            course_run_id,
            program_id,
            readable_id: Option::unwrap_or_default,
            title: Option::unwrap_or_default,
            run_title,
            start_date,
            end_date,
            enrollment_end,
            upgrade_deadline,
            course_id
        }
    )
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
