//! Plain SQL over enrollment codes (`b2b_codes`, each a row of commerce's `discounts` bound to a
//! contract product) and their assignments and attachment claims (`b2b_code_redemptions`).
//! Statements join `discounts` (its code string and type) and `discount_redemptions` (whether
//! a checkout used it) read-only; discount rows are written through `commerce::discounts::store`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::store::{all, exists, one};
use crate::clock::to_db;
use crate::db::from_row;

/// One enrollment code with what the code rules need.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub discount_id: i64,
    pub contract_id: i64,
    pub product_id: i64,
    pub code: String,
    pub unlimited: bool,
    pub activation_date: Option<String>,
    pub expiration_date: Option<String>,
    /// Claimed for attachment by a user.
    pub claimed: bool,
    /// Used by any order (a checkout redemption).
    pub used_in_order: bool,
    /// Has an assignment (an email) or a claim.
    pub assigned: bool,
}

const CODE_SQL: &str = "SELECT k.discount_id, k.contract_id, k.product_id, d.discount_code,
        d.redemption_type = 'unlimited', d.activation_date, d.expiration_date,
        EXISTS (SELECT 1 FROM b2b_code_redemptions r WHERE r.discount_id = k.discount_id AND r.user_id IS NOT NULL),
        EXISTS (SELECT 1 FROM discount_redemptions x WHERE x.discount_id = k.discount_id),
        EXISTS (SELECT 1 FROM b2b_code_redemptions r WHERE r.discount_id = k.discount_id
                AND (r.user_id IS NOT NULL OR r.assigned_email IS NOT NULL))
    FROM b2b_codes k JOIN discounts d ON d.id = k.discount_id";

fn code_row(r: &Row<'_>) -> rusqlite::Result<Code> {
    from_row!(
        r,
        Code {
            discount_id,
            contract_id,
            product_id,
            code,
            unlimited,
            activation_date,
            expiration_date,
            claimed,
            used_in_order,
            assigned
        }
    )
}

/// The codes of one contract product, oldest first.
pub fn codes_for_product(c: &Connection, contract: i64, product: i64) -> rusqlite::Result<Vec<Code>> {
    all(
        c,
        &format!("{CODE_SQL} WHERE k.contract_id = ?1 AND k.product_id = ?2 ORDER BY k.discount_id"),
        [contract, product],
        code_row,
    )
}

/// Every code of a contract, oldest first.
pub fn codes_of_contract(c: &Connection, contract: i64) -> rusqlite::Result<Vec<Code>> {
    all(
        c,
        &format!("{CODE_SQL} WHERE k.contract_id = ?1 ORDER BY k.discount_id"),
        [contract],
        code_row,
    )
}

/// The contract codes with this code string.
pub fn codes_by_string(c: &Connection, code: &str) -> rusqlite::Result<Vec<Code>> {
    all(
        c,
        &format!("{CODE_SQL} WHERE d.discount_code = ?1 ORDER BY k.discount_id"),
        [code],
        code_row,
    )
}

pub fn code_of_discount(c: &Connection, discount: i64) -> rusqlite::Result<Option<Code>> {
    one(
        c,
        &format!("{CODE_SQL} WHERE k.discount_id = ?1"),
        [discount],
        code_row,
    )
}

pub fn link_code(c: &Connection, discount: i64, contract: i64, product: i64) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT INTO b2b_codes (discount_id, contract_id, product_id) VALUES (?1, ?2, ?3)")?
        .execute([discount, contract, product])?;
    Ok(())
}

/// Records that `user` claimed `discount` for attachment to `contract`: fills the code's
/// unclaimed row (an assignment) if there is one, else adds a row.
pub fn claim(
    c: &Connection,
    discount: i64,
    contract: i64,
    user: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let n = c.execute(
        "UPDATE b2b_code_redemptions SET user_id = ?3, redeemed_on = ?4
         WHERE id = (SELECT id FROM b2b_code_redemptions WHERE discount_id = ?1 AND contract_id = ?2
                     AND user_id IS NULL ORDER BY id LIMIT 1)",
        params![discount, contract, user, to_db(now)],
    )?;
    if n == 0 {
        c.execute(
            "INSERT INTO b2b_code_redemptions (discount_id, contract_id, user_id, redeemed_on, created_on)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![discount, contract, user, to_db(now)],
        )?;
    }
    Ok(())
}

/// A code's assignment/claim row, for managers.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub id: i64,
    pub discount_id: i64,
    pub code: String,
    pub user_id: Option<i64>,
    pub redeemed_by: Option<String>,
    pub assigned_email: Option<String>,
    pub assigned_name: Option<String>,
    pub assigned_by: Option<String>,
    pub assigned_on: Option<String>,
    pub redeemed_on: Option<String>,
    pub last_reminder_sent_on: Option<String>,
    pub email_message_id: Option<String>,
    pub email_status: Option<String>,
    pub email_status_event_timestamp: Option<String>,
}

const ASSIGNMENT_SQL: &str = "SELECT r.id, r.discount_id, d.discount_code, r.user_id, u.email,
        r.assigned_email, r.assigned_name, r.assigned_by, r.assigned_on, r.redeemed_on,
        r.last_reminder_sent_on, r.email_message_id, r.email_status, r.email_status_event_timestamp
    FROM b2b_code_redemptions r JOIN discounts d ON d.id = r.discount_id
    LEFT JOIN users u ON u.id = r.user_id";

fn assignment_row(r: &Row<'_>) -> rusqlite::Result<Assignment> {
    from_row!(
        r,
        Assignment {
            id,
            discount_id,
            code,
            user_id,
            redeemed_by,
            assigned_email,
            assigned_name,
            assigned_by,
            assigned_on,
            redeemed_on,
            last_reminder_sent_on,
            email_message_id,
            email_status,
            email_status_event_timestamp
        }
    )
}

/// The contract's assignment rows, newest first.
pub fn assignments(c: &Connection, contract: i64) -> rusqlite::Result<Vec<Assignment>> {
    all(
        c,
        &format!("{ASSIGNMENT_SQL} WHERE r.contract_id = ?1 ORDER BY r.id DESC"),
        [contract],
        assignment_row,
    )
}

/// The assignment row of a code (the newest one), if any.
pub fn assignment_of(c: &Connection, discount: i64) -> rusqlite::Result<Option<Assignment>> {
    one(
        c,
        &format!("{ASSIGNMENT_SQL} WHERE r.discount_id = ?1 ORDER BY r.id DESC LIMIT 1"),
        [discount],
        assignment_row,
    )
}

pub fn assignment_by_message(c: &Connection, message_id: &str) -> rusqlite::Result<Option<Assignment>> {
    one(
        c,
        &format!("{ASSIGNMENT_SQL} WHERE r.email_message_id = ?1 ORDER BY r.id DESC LIMIT 1"),
        [message_id],
        assignment_row,
    )
}

#[expect(clippy::too_many_arguments, reason = "mirrors the assignment columns")]
pub fn insert_assignment(
    c: &Connection,
    discount: i64,
    contract: i64,
    email: &str,
    name: &str,
    by: &str,
    message_id: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO b2b_code_redemptions (discount_id, contract_id, assigned_email, assigned_name, assigned_by,
            assigned_on, last_reminder_sent_on, email_message_id, email_status, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, 'pending', ?6)",
        params![discount, contract, email, name, by, to_db(now), message_id],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn delete_assignment(c: &Connection, id: i64) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM b2b_code_redemptions WHERE id = ?1 AND user_id IS NULL",
        [id],
    )
}

/// A reminder went out: new message id, status pending again.
pub fn reminded(c: &Connection, id: i64, message_id: &str, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE b2b_code_redemptions SET last_reminder_sent_on = ?2, email_message_id = ?3,
            email_status = 'pending', email_status_event_timestamp = NULL WHERE id = ?1",
        params![id, to_db(now), message_id],
    )
}

/// Applies a delivery event unless an event at least as new was already applied.
pub fn set_email_status(c: &Connection, id: i64, status: &str, at: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE b2b_code_redemptions SET email_status = ?2, email_status_event_timestamp = ?3
         WHERE id = ?1 AND (email_status_event_timestamp IS NULL OR email_status_event_timestamp < ?3)",
        params![id, status, to_db(at)],
    )
}

/// Whether `user` claimed this code for attachment.
pub fn claimed_by(c: &Connection, discount: i64, user: i64) -> rusqlite::Result<bool> {
    exists(
        c,
        "SELECT 1 FROM b2b_code_redemptions WHERE discount_id = ?1 AND user_id = ?2",
        [discount, user],
    )
}
