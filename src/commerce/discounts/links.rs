//! What hangs off a discount, for the staff APIs and page (surface §2.5, §11): its products,
//! its assigned users (`UserDiscount`), its redemptions and the flexible-price tiers that
//! use it (§1.6). Plain functions over a connection, and the original's JSON shapes
//! (`DiscountProductSerializer`, `UserDiscountMetaSerializer` and `UserDiscountSerializer`,
//! `DiscountRedemptionSerializer` at depth 1, `FlexiblePriceTierSerializer`). Nested users
//! are rendered as `{id, username, email, name}`: the original's depth-1 user carried every
//! column, password hash included, which we do not repeat.

use crate::commerce::{basket, discounts, orders};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::commerce::discounts::model::DiscountRow;
pub use crate::commerce::discounts::shapes::{
    Assignment, CoursewareObject, DiscountAssignee, DiscountProduct, LinkedItem, RedeemedOrder, Redemption,
    TierShape,
};

use crate::clock::to_db;
use crate::db::from_row;

/// A user as nested in the discount APIs.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DiscountUser)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: String,
}

pub fn user(c: &Connection, id: i64) -> rusqlite::Result<Option<UserRef>> {
    c.query_row(
        "SELECT id, username, email, name FROM users WHERE id = ?1",
        [id],
        |r| {
            from_row!(
                r,
                UserRef {
                    id,
                    username,
                    email,
                    name
                }
            )
        },
    )
    .optional()
}

/// `(link id, product id)` of a discount's products, oldest first.
pub fn products(c: &Connection, discount: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    c.prepare_cached("SELECT rowid, product_id FROM discount_products WHERE discount_id = ?1 ORDER BY rowid")?
        .query_map([discount], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// `(link id, user id)` of a discount's assignees, oldest first.
pub fn assignees(c: &Connection, discount: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    c.prepare_cached("SELECT rowid, user_id FROM user_discounts WHERE discount_id = ?1 ORDER BY rowid")?
        .query_map([discount], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Removes a product from a discount; whether it was linked.
pub fn remove_product(c: &Connection, discount: i64, product: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM discount_products WHERE discount_id = ?1 AND product_id = ?2",
        params![discount, product],
    )? > 0)
}

/// Unassigns a user from a discount; whether they were assigned.
pub fn remove_assignee(c: &Connection, discount: i64, user: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM user_discounts WHERE discount_id = ?1 AND user_id = ?2",
        params![discount, user],
    )? > 0)
}

pub fn is_product_linked(c: &Connection, discount: i64, product: i64) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM discount_products WHERE discount_id = ?1 AND product_id = ?2)",
        params![discount, product],
        |r| r.get(0),
    )
}

pub fn is_user_assigned(c: &Connection, discount: i64, user: i64) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM user_discounts WHERE discount_id = ?1 AND user_id = ?2)",
        params![discount, user],
        |r| r.get(0),
    )
}

/// `[{id, discount, product}]` for every product of the discount.
pub fn products_json(c: &Connection, d: &DiscountRow) -> rusqlite::Result<Vec<LinkedItem>> {
    let mut out = Vec::new();
    for (id, product) in products(c, d.id)? {
        let p = basket::store::product(c, product)?;
        out.push(LinkedItem::Product(DiscountProduct {
            id,
            discount: d.clone(),
            product: p.as_ref().map(basket::shapes::product),
        }));
    }
    Ok(out)
}

/// `[{id, discount, user}]` for every assignee of the discount.
pub fn assignees_json(c: &Connection, d: &DiscountRow) -> rusqlite::Result<Vec<LinkedItem>> {
    let mut out = Vec::new();
    for (id, u) in assignees(c, d.id)? {
        out.push(LinkedItem::Assignee(DiscountAssignee {
            id,
            discount: d.clone(),
            user: user(c, u)?,
        }));
    }
    Ok(out)
}

/// A discount's redemptions, newest first: `(total count, page)` in the original's shape
/// `{id, redemption_date, redeemed_by, redeemed_discount, redeemed_order}`.
pub fn redemptions_json(
    c: &Connection,
    d: &DiscountRow,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(i64, Vec<Redemption>)> {
    let count: i64 = c.query_row(
        "SELECT count(*) FROM discount_redemptions WHERE discount_id = ?1",
        [d.id],
        |r| r.get(0),
    )?;
    let rows: Vec<(i64, String, i64, i64)> = c
        .prepare_cached(
            "SELECT id, redemption_date, redeemed_by_id, order_id FROM discount_redemptions
             WHERE discount_id = ?1 ORDER BY redemption_date DESC, id DESC LIMIT ?2 OFFSET ?3",
        )?
        .query_map(params![d.id, limit, offset], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(redemption_shape(c, d, row)?);
    }
    Ok((count, out))
}

/// One redemption of the discount, in the list's shape.
pub fn redemption_json(c: &Connection, d: &DiscountRow, id: i64) -> rusqlite::Result<Option<Redemption>> {
    let row = c
        .query_row(
            "SELECT id, redemption_date, redeemed_by_id, order_id FROM discount_redemptions
             WHERE discount_id = ?1 AND id = ?2",
            params![d.id, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|row| redemption_shape(c, d, row)).transpose()
}

/// Removes one redemption of the discount (the code counts as unused by that order again).
pub fn delete_redemption(c: &Connection, discount: i64, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM discount_redemptions WHERE discount_id = ?1 AND id = ?2",
        params![discount, id],
    )? > 0)
}

fn redemption_shape(
    c: &Connection,
    d: &DiscountRow,
    (id, date, by, order): (i64, String, i64, i64),
) -> rusqlite::Result<Redemption> {
    let o = orders::store::order(c, order)?;
    Ok(Redemption {
        id,
        redemption_date: date,
        redeemed_by: user(c, by)?,
        redeemed_discount: d.clone(),
        redeemed_order: o.map(|o| RedeemedOrder {
            id: o.id,
            state: o.state,
            purchaser: o.purchaser_id,
            total_price_paid: o.total_price_paid.to_string(),
            reference_number: o.reference_number,
            created_on: o.created_on,
            updated_on: o.updated_on,
        }),
    })
}

/// Every user–discount assignment (`/api/discounts/user/`): `(count, [{id, discount, user}])`.
pub fn all_assignments(c: &Connection, limit: i64, offset: i64) -> rusqlite::Result<(i64, Vec<Assignment>)> {
    let count: i64 = c.query_row("SELECT count(*) FROM user_discounts", [], |r| r.get(0))?;
    let rows = c
        .prepare_cached(
            "SELECT rowid, discount_id, user_id FROM user_discounts ORDER BY rowid LIMIT ?1 OFFSET ?2",
        )?
        .query_map(params![limit, offset], assignment)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((count, rows))
}

fn assignment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Assignment> {
    Ok(Assignment {
        id: r.get(0)?,
        discount: r.get(1)?,
        user: r.get(2)?,
    })
}

/// One assignment by its id.
pub fn assignment_by_id(c: &Connection, id: i64) -> rusqlite::Result<Option<Assignment>> {
    c.query_row(
        "SELECT rowid, discount_id, user_id FROM user_discounts WHERE rowid = ?1",
        [id],
        assignment,
    )
    .optional()
}

pub fn delete_assignment(c: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute("DELETE FROM user_discounts WHERE rowid = ?1", [id])? > 0)
}

/// What a tier is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Courseware {
    Course(i64),
    Program(i64),
}

/// A flexible-price tier.
#[derive(Debug, Clone)]
pub struct Tier {
    pub id: i64,
    pub discount_id: i64,
    pub courseware: Courseware,
    pub current: bool,
    pub income_threshold_usd: Decimal,
}

const TIER_SQL: &str =
    "SELECT id, discount_id, course_id, program_id, current, income_threshold_usd FROM flexible_price_tiers";

fn tier_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tier> {
    let course: Option<i64> = r.get(2)?;
    let program: Option<i64> = r.get(3)?;
    Ok(Tier {
        id: r.get(0)?,
        discount_id: r.get(1)?,
        courseware: match (course, program) {
            (Some(c), _) => Courseware::Course(c),
            (None, p) => Courseware::Program(p.unwrap_or_default()),
        },
        current: r.get(4)?,
        income_threshold_usd: r.get::<_, String>(5)?.parse().unwrap_or_default(),
    })
}

pub fn tiers(c: &Connection, discount: i64) -> rusqlite::Result<Vec<Tier>> {
    c.prepare_cached(&format!("{TIER_SQL} WHERE discount_id = ?1 ORDER BY id"))?
        .query_map([discount], tier_row)?
        .collect()
}

/// The tiers of a course or program, oldest first.
pub fn tiers_of(c: &Connection, w: Courseware) -> rusqlite::Result<Vec<Tier>> {
    let (course, program) = match w {
        Courseware::Course(id) => (Some(id), None),
        Courseware::Program(id) => (None, Some(id)),
    };
    c.prepare_cached(&format!(
        "{TIER_SQL} WHERE course_id IS ?1 AND program_id IS ?2 ORDER BY id"
    ))?
    .query_map(params![course, program], tier_row)?
    .collect()
}

pub fn tier(c: &Connection, id: i64) -> rusqlite::Result<Option<Tier>> {
    c.query_row(&format!("{TIER_SQL} WHERE id = ?1"), [id], tier_row)
        .optional()
}

/// Whether the course or program exists.
pub fn courseware_exists(c: &Connection, w: Courseware) -> rusqlite::Result<bool> {
    let (sql, id) = match w {
        Courseware::Course(id) => ("SELECT EXISTS (SELECT 1 FROM courses WHERE id = ?1)", id),
        Courseware::Program(id) => ("SELECT EXISTS (SELECT 1 FROM programs WHERE id = ?1)", id),
    };
    c.query_row(sql, [id], |r| r.get(0))
}

/// Inserts a tier; a new `current` tier for the same courseware and threshold retires the
/// previous current one (the original's management command does the same).
pub fn insert_tier(c: &Connection, t: &Tier, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let (course, program) = match t.courseware {
        Courseware::Course(id) => (Some(id), None),
        Courseware::Program(id) => (None, Some(id)),
    };
    if t.current {
        c.execute(
            "UPDATE flexible_price_tiers SET current = 0, updated_on = ?4
             WHERE current = 1 AND course_id IS ?1 AND program_id IS ?2 AND income_threshold_usd = ?3",
            params![course, program, t.income_threshold_usd.to_string(), to_db(now)],
        )?;
    }
    c.execute(
        "INSERT INTO flexible_price_tiers (discount_id, course_id, program_id, current, income_threshold_usd, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![t.discount_id, course, program, t.current, t.income_threshold_usd.to_string(), to_db(now)],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn delete_tier(c: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute("DELETE FROM flexible_price_tiers WHERE id = ?1", [id])? > 0)
}

/// `{id, courseware_object, discount, current, income_threshold_usd}`; the courseware object
/// is `{id, title, readable_id, type}` (the original's base course/program serializer).
pub fn tier_json(c: &Connection, t: &Tier) -> rusqlite::Result<TierShape> {
    let (sql, id, kind) = match t.courseware {
        Courseware::Course(id) => (
            "SELECT title, readable_id FROM courses WHERE id = ?1",
            id,
            "course",
        ),
        Courseware::Program(id) => (
            "SELECT title, readable_id FROM programs WHERE id = ?1",
            id,
            "program",
        ),
    };
    let object = c
        .query_row(sql, [id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?
        .map(|(title, readable_id)| CoursewareObject {
            id,
            title,
            readable_id,
            kind: kind.to_owned(),
        });
    // A float in the original (FloatField); rendered from the decimal text, never via f64 math.
    let threshold: Value =
        serde_json::from_str(&t.income_threshold_usd.normalize().to_string()).unwrap_or(Value::Null);
    Ok(TierShape {
        id: t.id,
        courseware_object: object,
        discount: t.discount_id,
        current: t.current,
        income_threshold_usd: threshold,
    })
}

/// The assignment of `user` to `discount`, as `{id, discount, user}`.
pub fn assignments_of(c: &Connection, discount: i64, user: i64) -> rusqlite::Result<Option<Assignment>> {
    c.query_row(
        "SELECT rowid, discount_id, user_id FROM user_discounts WHERE discount_id = ?1 AND user_id = ?2",
        params![discount, user],
        assignment,
    )
    .optional()
}

/// Changes a tier's `current` flag and threshold.
pub fn update_tier(c: &Connection, t: &Tier, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE flexible_price_tiers SET current = ?2, income_threshold_usd = ?3, updated_on = ?4 WHERE id = ?1",
        params![t.id, t.current, t.income_threshold_usd.to_string(), to_db(now)],
    )?;
    Ok(())
}

/// The staff discount list's filters (the original's `DiscountFilterSet`).
#[derive(Debug, Clone, Default)]
pub struct DiscountFilter {
    /// Code contains (case-insensitive).
    pub q: Option<String>,
    pub redemption_type: Option<String>,
    pub payment_type: Option<String>,
    /// Has (`true`) or has not (`false`) any redemption.
    pub is_redeemed: Option<bool>,
}

/// Discounts matching `f`, newest first: `(count, page)`.
pub fn filter_discounts(
    c: &Connection,
    f: &DiscountFilter,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(i64, Vec<DiscountRow>)> {
    let filter = "WHERE (?1 IS NULL OR discount_code LIKE ?1) AND (?2 IS NULL OR redemption_type = ?2)
          AND (?3 IS NULL OR payment_type = ?3)
          AND (?4 IS NULL OR ?4 = EXISTS (SELECT 1 FROM discount_redemptions r WHERE r.discount_id = discounts.id))";
    let like = f.q.as_ref().map(|q| format!("%{q}%"));
    let args = params![like, f.redemption_type, f.payment_type, f.is_redeemed];
    let count = c.query_row(&format!("SELECT count(*) FROM discounts {filter}"), args, |r| {
        r.get(0)
    })?;
    let rows = c
        .prepare(&format!(
            "{} {filter} ORDER BY created_on DESC, id DESC LIMIT ?5 OFFSET ?6",
            discounts::store::DISCOUNT_SQL
        ))?
        .query_map(
            params![
                like,
                f.redemption_type,
                f.payment_type,
                f.is_redeemed,
                limit,
                offset
            ],
            discounts::store::discount_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok((count, rows))
}
