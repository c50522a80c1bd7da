//! Products as staff manage them (the original's `/api/v0/products/all/`): created for one
//! course run or program, re-priced by adding a price version (orders keep the version they
//! were placed with), shown or hidden with `is_active`. A product is never deleted: "delete"
//! hides it, as the original's `Product.delete`. Every change is audited in its transaction.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::store::{self, ProductTarget};
use crate::db::DbError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => ProductError::Db);

fn invalid(field: &'static str, message: impl Into<String>) -> ProductError {
    ProductError::Invalid {
        field,
        message: message.into(),
    }
}

/// A price as the contract allows it: at most 5 digits before the point and 2 after, not
/// negative.
pub fn parse_price(v: &Value) -> Result<Decimal, ProductError> {
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return Err(invalid("price", "A valid number is required.")),
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if text.is_empty() || !digits(whole) || !digits(frac) {
        return Err(invalid("price", "A valid non-negative number is required."));
    }
    if whole.len() > 5 {
        return Err(invalid(
            "price",
            "Ensure that there are no more than 5 digits before the decimal point.",
        ));
    }
    if frac.len() > 2 {
        return Err(invalid(
            "price",
            "Ensure that there are no more than 2 decimal places.",
        ));
    }
    text.parse()
        .map_err(|_| invalid("price", "A valid number is required."))
}

/// A new product's fields.
pub struct NewProduct {
    pub target: ProductTarget,
    pub price: Decimal,
    pub description: String,
    pub is_active: bool,
}

/// What a change sets; `None` keeps the current value.
#[derive(Default)]
pub struct ProductChange {
    pub price: Option<Decimal>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
}

/// `(price, description, is_active)` of the product now.
fn current(c: &Connection, id: i64) -> rusqlite::Result<Option<(String, String, bool)>> {
    c.query_row(
        "SELECT v.price, v.description, p.is_active FROM products p
         JOIN product_versions v ON v.id = (SELECT max(id) FROM product_versions WHERE product_id = p.id)
         WHERE p.id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? == 1)),
    )
    .optional()
}

fn shape((price, description, active): &(String, String, bool)) -> Value {
    json!({"price": price, "description": description, "is_active": active})
}

fn audit(
    c: &Connection,
    actor: &str,
    action: &str,
    id: i64,
    before: Option<&Value>,
    after: Option<&Value>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    crate::audit::record(
        c,
        None,
        actor,
        action,
        "product",
        &id.to_string(),
        before,
        after,
        now,
    )
}

/// Creates the product (400 when its run or program does not exist or already has one).
pub async fn create(state: &AppState, actor: String, p: NewProduct) -> Result<i64, ProductError> {
    if p.description.trim().is_empty() {
        return Err(invalid("description", "This field may not be blank."));
    }
    state
        .write_at(move |c, now| {
            let (field, table, id) = match p.target {
                ProductTarget::CourseRun(r) => ("course_run_id", "course_runs", r),
                ProductTarget::Program(g) => ("program_id", "programs", g),
            };
            let exists: bool = c.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"),
                [id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(invalid(
                    field,
                    format!("No such {}: {id}.", &table[..table.len() - 1].replace('_', " ")),
                ));
            }
            let taken: Option<i64> = c
                .query_row(
                    &format!("SELECT id FROM products WHERE {field} = ?1"),
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = taken {
                return Err(invalid(
                    field,
                    format!("Product {other} already sells it; change that product instead."),
                ));
            }
            let pid = store::insert_product(c, p.target, p.price, p.description.trim(), now)?;
            if !p.is_active {
                c.execute("UPDATE products SET is_active = 0 WHERE id = ?1", [pid])?;
            }
            let after = current(c, pid)?.map(|s| shape(&s));
            audit(c, &actor, "create", pid, None, after.as_ref(), now)?;
            Ok(pid)
        })
        .await
}

/// Applies a change: a new price or description is a new price version (earlier orders keep
/// theirs); `is_active` shows or hides the product. Nothing given changes nothing.
pub async fn update(state: &AppState, actor: String, id: i64, ch: ProductChange) -> Result<(), ProductError> {
    if ch.description.as_deref().is_some_and(|d| d.trim().is_empty()) {
        return Err(invalid("description", "This field may not be blank."));
    }
    state
        .write_at(move |c, now| {
            let before =
                current(c, id)?.ok_or_else(|| ProductError::NotFound(format!("No such product: {id}.")))?;
            let old_price: Decimal = before.0.parse().unwrap_or_default();
            let price = ch.price.unwrap_or(old_price);
            let description = ch
                .description
                .as_deref()
                .map_or(before.1.as_str(), str::trim)
                .to_owned();
            if price != old_price || description != before.1 {
                store::add_price_version(c, id, price, &description, now)?;
            }
            if let Some(active) = ch.is_active.filter(|a| *a != before.2) {
                c.execute(
                    "UPDATE products SET is_active = ?2 WHERE id = ?1",
                    params![id, active as i64],
                )?;
            }
            let after = current(c, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            if after != before {
                audit(
                    c,
                    &actor,
                    "update",
                    id,
                    Some(&shape(&before)),
                    Some(&shape(&after)),
                    now,
                )?;
            }
            Ok(())
        })
        .await
}

/// Every product id (active or not), newest first, optionally those whose run's courseware
/// id, program's readable id or description contains `search` (case-insensitive).
pub async fn search(state: &AppState, search: Option<String>) -> Result<Vec<i64>, ProductError> {
    state
        .db
        .read(move |c| {
            let like = search.as_deref().map(crate::db::contains_pattern);
            let ids = c
                .prepare_cached(
                    "SELECT p.id FROM products p
                     LEFT JOIN course_runs r ON r.id = p.course_run_id
                     LEFT JOIN programs g ON g.id = p.program_id
                     JOIN product_versions v ON v.id = (SELECT max(id) FROM product_versions WHERE product_id = p.id)
                     WHERE ?1 IS NULL OR r.courseware_id LIKE ?1 ESCAPE '\\'
                        OR g.readable_id LIKE ?1 ESCAPE '\\' OR v.description LIKE ?1 ESCAPE '\\'
                     ORDER BY p.id DESC",
                )?
                .query_map([like], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
        .await
}
