//! Plain SQL over the discount tables: discounts by id and code, the staff list, automatic and
//! assigned discounts, bound products and users, redemption counts. No rules here.

use crate::clock::to_db;
use crate::commerce::discounts::model::DiscountRow;
use crate::money;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};

// ---- discounts ----

pub(super) const DISCOUNT_SQL: &str =
    "SELECT id, discount_code, amount, automatic, discount_type, redemption_type, payment_type,
    max_redemptions, activation_date, expiration_date, is_bulk, is_program_discount FROM discounts";

pub(crate) fn discount_row(r: &Row<'_>) -> rusqlite::Result<DiscountRow> {
    let bad = |i: usize, e: crate::commerce::discounts::rules::UnknownChoice| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(DiscountRow {
        id: r.get(0)?,
        discount_code: r.get(1)?,
        amount: money::from_db(r.get(2)?),
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

/// Runs `f` with the discount's editable columns as parameters `?1` to `?9`, in the order
/// both the insert and the update name them.
fn with_editable<T>(d: &DiscountRow, f: impl FnOnce(&[&dyn ToSql]) -> T) -> T {
    let amount = d.amount.to_string();
    f(&[
        &d.discount_code,
        &amount,
        &d.automatic,
        &d.discount_type.as_str(),
        &d.redemption_type.as_str(),
        &d.payment_type.map(|p| p.as_str()),
        &d.max_redemptions,
        &d.activation_date,
        &d.expiration_date,
    ])
}

pub fn insert_discount(c: &Connection, d: &DiscountRow, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let now = to_db(now);
    with_editable(d, |editable| {
        c.prepare_cached(
            "INSERT INTO discounts (discount_code, amount, automatic, discount_type, redemption_type, payment_type,
                max_redemptions, activation_date, expiration_date, is_bulk, is_program_discount, created_on, updated_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        )?
        .execute(params_from_iter(
            editable.iter().copied().chain([&d.is_bulk as &dyn ToSql, &d.is_program_discount, &now]),
        ))
    })?;
    Ok(c.last_insert_rowid())
}

pub fn update_discount(c: &Connection, d: &DiscountRow, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let now = to_db(now);
    with_editable(d, |editable| {
        c.execute(
            "UPDATE discounts SET discount_code = ?1, amount = ?2, automatic = ?3, discount_type = ?4, redemption_type = ?5,
                payment_type = ?6, max_redemptions = ?7, activation_date = ?8, expiration_date = ?9, updated_on = ?10
             WHERE id = ?11",
            params_from_iter(editable.iter().copied().chain([&now as &dyn ToSql, &d.id])),
        )
    })
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

/// Deletes a discount that was never redeemed (its product and user links go with it); false
/// when it has redemptions or does not exist.
pub fn delete_unredeemed_discount(c: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM discounts WHERE id = ?1
           AND NOT EXISTS (SELECT 1 FROM discount_redemptions WHERE discount_id = ?1)",
        [id],
    )? > 0)
}

/// Gives a discount a new code string (a rotated B2B enrollment code).
pub fn set_discount_code(c: &Connection, id: i64, code: &str, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE discounts SET discount_code = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, code, to_db(now)],
    )
}
