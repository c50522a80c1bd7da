//! Reads the local objects the sync sends, as they are now, into [`super::properties`]'
//! plain values: a learner with legal address and profile, a product with its course run or
//! program and current price, an order with lines, discount and enrollments, a basket item;
//! a certificate with its owner's email; plus the skip rules and what changed since a time
//! (the `hubspot-sync` job). Read-only queries over the users, catalog, commerce, enrollment
//! and certificate tables.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::properties::{
    CertificateSource, ContactSource, DiscountSource, LineSource, OrderSource, ProductSource,
};
use crate::clock::{from_db, to_db};
use crate::db::from_row;
use crate::money;

pub fn contact(c: &Connection, user: i64) -> rusqlite::Result<Option<ContactSource>> {
    c.prepare_cached(
        "SELECT u.email, u.name, COALESCE(a.country, ''), a.state, p.year_of_birth, p.gender, p.company,
                p.company_size, p.job_title, p.industry, p.job_function, p.years_experience, p.leadership_level,
                p.highest_education, COALESCE(p.type_is_student, 0), COALESCE(p.type_is_professional, 0),
                COALESCE(p.type_is_educator, 0), COALESCE(p.type_is_other, 0)
         FROM users u LEFT JOIN legal_addresses a ON a.user_id = u.id LEFT JOIN user_profiles p ON p.user_id = u.id
         WHERE u.id = ?1",
    )?
    .query_row([user], |r| {
        from_row!(
            r,
            ContactSource {
                email,
                name,
                country,
                state,
                year_of_birth,
                gender,
                company,
                company_size,
                job_title,
                industry,
                job_function,
                years_experience,
                leadership_level,
                highest_education,
                type_is_student,
                type_is_professional,
                type_is_educator,
                type_is_other
            }
        )
    })
    .optional()
}

/// A product at a price version (`None`: its latest).
pub fn product(
    c: &Connection,
    product: i64,
    version: Option<i64>,
) -> rusqlite::Result<Option<ProductSource>> {
    c.prepare_cached(
        "SELECT p.id, COALESCE(r.title, g.title, ''), COALESCE(r.courseware_id, g.readable_id, ''), v.price, v.description
         FROM products p LEFT JOIN course_runs r ON r.id = p.course_run_id LEFT JOIN programs g ON g.id = p.program_id
         JOIN product_versions v ON v.id = COALESCE(?2, (SELECT max(id) FROM product_versions WHERE product_id = p.id))
         WHERE p.id = ?1",
    )?
    .query_row(params![product, version], |r| {
        from_row!(
            r,
            ProductSource {
                id,
                title,
                readable_id,
                price: money::from_db,
                description
            }
        )
    })
    .optional()
}

/// (line, product, product version, quantity, enrollment mode, change status).
type LineRow = (i64, i64, i64, i64, Option<String>, Option<String>);

pub fn order(c: &Connection, order: i64) -> rusqlite::Result<Option<OrderSource>> {
    let head = c
        .prepare_cached(
            "SELECT id, state, purchaser_id, total_price_paid, updated_on FROM orders WHERE id = ?1",
        )?
        .query_row([order], |r| {
            Ok(OrderSource {
                id: r.get(0)?,
                state: r.get(1)?,
                purchaser_id: r.get(2)?,
                total_price_paid: money::from_db(r.get(3)?),
                updated_on: from_db(&r.get::<_, String>(4)?).unwrap_or_default(),
                discount: None,
                lines: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut o) = head else {
        return Ok(None);
    };
    o.discount = c
        .prepare_cached(
            "SELECT d.discount_type, d.amount, d.discount_code FROM discount_redemptions x
             JOIN discounts d ON d.id = x.discount_id WHERE x.order_id = ?1 ORDER BY x.id LIMIT 1",
        )?
        .query_row([order], |r| {
            from_row!(
                r,
                DiscountSource {
                    discount_type,
                    amount: money::from_db,
                    code
                }
            )
        })
        .optional()?;
    let rows: Vec<LineRow> = c
        .prepare_cached(
            "SELECT l.id, l.product_id, l.product_version_id, l.quantity, e.enrollment_mode, e.change_status
             FROM order_lines l JOIN products p ON p.id = l.product_id
             LEFT JOIN course_run_enrollments e ON e.run_id = p.course_run_id AND e.user_id = ?2
             WHERE l.order_id = ?1 ORDER BY l.id",
        )?
        .query_map(params![order, o.purchaser_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, product_id, version, quantity, enrollment_mode, change_status) in rows {
        if let Some(product) = product(c, product_id, Some(version))? {
            o.lines.push(LineSource {
                id,
                quantity,
                product,
                enrollment_mode,
                change_status,
            });
        }
    }
    Ok(Some(o))
}

/// The signed-in owner and product of a basket item (`None`: gone, or an anonymous basket).
pub fn basket_item(c: &Connection, item: i64) -> rusqlite::Result<Option<(i64, i64)>> {
    c.prepare_cached(
        "SELECT b.user_id, i.product_id FROM basket_items i JOIN baskets b ON b.id = i.basket_id
         WHERE i.id = ?1 AND b.user_id IS NOT NULL",
    )?
    .query_row([item], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// The original skips deals for a course run whose course belongs to a program the purchaser
/// is enrolled in (`_order_is_for_program_enrolled_course`).
pub fn for_program_enrolled_course(c: &Connection, order: i64) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (
           SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id
             JOIN products p ON p.id = l.product_id JOIN course_runs r ON r.id = p.course_run_id
             JOIN program_requirements q ON q.course_id = r.course_id
             JOIN program_enrollments pe ON pe.program_id = q.program_id AND pe.user_id = o.purchaser_id
           WHERE o.id = ?1)",
    )?
    .query_row([order], |r| r.get(0))
}

/// A course-run (`program` false) or program certificate, revoked or not.
pub fn certificate(c: &Connection, program: bool, id: i64) -> rusqlite::Result<Option<CertificateSource>> {
    let sql = if program {
        "SELECT x.id, x.user_id, u.email, g.readable_id, g.title, x.issue_date, x.is_revoked
         FROM program_certificates x JOIN users u ON u.id = x.user_id JOIN programs g ON g.id = x.program_id
         WHERE x.id = ?1"
    } else {
        "SELECT x.id, x.user_id, u.email, r.courseware_id, r.title, x.issue_date, x.is_revoked
         FROM course_run_certificates x JOIN users u ON u.id = x.user_id JOIN course_runs r ON r.id = x.run_id
         WHERE x.id = ?1"
    };
    c.prepare_cached(sql)?
        .query_row([id], |r| {
            from_row!(
                r,
                CertificateSource {
                    id,
                    user_id,
                    user_email,
                    readable_id,
                    title,
                    issue_date: |s: String| from_db(&s).unwrap_or_default(),
                    is_revoked;
                    program
                }
            )
        })
        .optional()
}

/// What changed after `since` (everything when `None`): users, products, orders, course-run
/// and program certificates — ids, oldest first.
pub struct Changed {
    pub users: Vec<i64>,
    pub products: Vec<i64>,
    pub orders: Vec<i64>,
    pub run_certificates: Vec<i64>,
    pub program_certificates: Vec<i64>,
}

pub fn changed_since(c: &Connection, since: Option<DateTime<Utc>>) -> rusqlite::Result<Changed> {
    let since = since.map(to_db).unwrap_or_default();
    let ids = |sql: &str| -> rusqlite::Result<Vec<i64>> {
        c.prepare(sql)?.query_map([&since], |r| r.get(0))?.collect()
    };
    Ok(Changed {
        users: ids(
            "SELECT id FROM users WHERE (updated_on > ?1 OR created_on > ?1) AND is_service_account = 0 ORDER BY id",
        )?,
        products: ids(
            "SELECT p.id FROM products p WHERE p.created_on > ?1
               OR EXISTS (SELECT 1 FROM product_versions v WHERE v.product_id = p.id AND v.created_on > ?1) ORDER BY p.id",
        )?,
        orders: ids("SELECT id FROM orders WHERE updated_on > ?1 ORDER BY id")?,
        run_certificates: ids(
            "SELECT id FROM course_run_certificates WHERE updated_on > ?1 OR created_on > ?1 ORDER BY id",
        )?,
        program_certificates: ids(
            "SELECT id FROM program_certificates WHERE updated_on > ?1 OR created_on > ?1 ORDER BY id",
        )?,
    })
}
