//! The demo learner's part of the demo data: a completed profile (so signing in lands on the
//! dashboard), audit enrollments in two current runs that can be upgraded (so the dashboard
//! shows upgrade buttons and the sandbox purchase can be tried), a passed past run with its
//! grade, an audit program enrollment, and an unlimited `DEMO20` code (20% off) to try in the
//! cart. Loaded once: nothing is added when the learner already has an enrollment.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;

use crate::commerce::discounts::{DiscountType, PaymentType, RedemptionType};
use crate::commerce::model::DiscountRow;
use crate::enrollment::{Actor, Checks, Mode, service, store as enrollments};
use crate::users::model::{LegalAddress, UserProfile};
use crate::users::profiles;

/// The demo coupon code.
pub const DEMO_CODE: &str = "DEMO20";

/// What was added, for the demo report.
#[derive(Debug, Default, Clone, Copy)]
pub struct Added {
    pub enrollments: usize,
    pub discounts: usize,
}

/// Current, enrollable, public runs that can be upgraded (verified mode and an active product),
/// in the primary language, one per course, soonest-ending first.
fn upgradable_runs(c: &Connection, now: &str, limit: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare(
        "SELECT min(r.id) FROM course_runs r
         JOIN products p ON p.course_run_id = r.id AND p.is_active = 1
         JOIN course_run_modes m ON m.course_run_id = r.id
         JOIN enrollment_modes em ON em.id = m.mode_id AND em.mode_slug = 'verified'
         WHERE r.live = 1 AND r.b2b_contract_id IS NULL AND r.is_primary_language = 1
           AND (r.enrollment_start IS NULL OR r.enrollment_start <= ?1)
           AND (r.enrollment_end IS NULL OR r.enrollment_end > ?1)
           AND (r.end_date IS NULL OR r.end_date > ?1)
           AND (r.upgrade_deadline IS NULL OR r.upgrade_deadline > ?1)
         GROUP BY r.course_id ORDER BY min(r.end_date) IS NULL, min(r.end_date), min(r.id) LIMIT ?2",
    )?
    .query_map(rusqlite::params![now, limit], |r| r.get(0))?
    .collect()
}

/// The latest ended public run of a course the learner is not enrolled in yet.
fn ended_run(c: &Connection, now: &str, learner: i64) -> rusqlite::Result<Option<i64>> {
    c.query_row(
        "SELECT id FROM course_runs WHERE live = 1 AND b2b_contract_id IS NULL AND end_date < ?1
           AND course_id NOT IN (SELECT r.course_id FROM course_run_enrollments e
                                 JOIN course_runs r ON r.id = e.run_id WHERE e.user_id = ?2)
         ORDER BY end_date DESC, id LIMIT 1",
        rusqlite::params![now, learner],
        |r| r.get(0),
    )
    .optional()
}

/// Adds the demo learner's data (see the module doc); call inside a write transaction after the
/// catalog demo data.
pub fn load(c: &Connection, learner: i64, now: DateTime<Utc>) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if crate::commerce::store::discounts_by_code(c, DEMO_CODE)?.is_empty() {
        crate::commerce::store::insert_discount(
            c,
            &DiscountRow {
                id: 0,
                discount_code: DEMO_CODE.into(),
                amount: Decimal::from(20),
                automatic: false,
                discount_type: DiscountType::PercentOff,
                redemption_type: RedemptionType::Unlimited,
                payment_type: Some(PaymentType::Marketing),
                max_redemptions: 0,
                activation_date: None,
                expiration_date: None,
                is_bulk: false,
                is_program_discount: false,
            },
            now,
        )?;
        added.discounts += 1;
    }
    let enrolled: i64 = c.query_row(
        "SELECT count(*) FROM course_run_enrollments WHERE user_id = ?1",
        [learner],
        |r| r.get(0),
    )?;
    if enrolled > 0 {
        return Ok(added);
    }
    profiles::save_address(
        c,
        learner,
        &LegalAddress {
            country: "US".into(),
            first_name: "Demo".into(),
            last_name: "Learner".into(),
            street_address_1: "77 Massachusetts Ave".into(),
            street_address_2: String::new(),
            city: "Cambridge".into(),
            state: Some("US-MA".into()),
            postal_code: "02139".into(),
        },
    )?;
    profiles::save_profile(
        c,
        learner,
        &UserProfile {
            gender: Some("f".into()),
            year_of_birth: Some(1990),
            ..UserProfile::default()
        },
    )?;
    profiles::set_completed_onboarding(c, learner)?;

    let actor = Actor::system("demo");
    let stamp = crate::clock::to_db(now);
    for run in upgradable_runs(c, &stamp, 2)? {
        service::enroll(c, now, learner, run, Mode::Audit, Checks::NONE, &actor)?;
        added.enrollments += 1;
    }
    if let Some(run) = ended_run(c, &stamp, learner)? {
        service::enroll(c, now, learner, run, Mode::Audit, Checks::NONE, &actor)?;
        enrollments::upsert_grade(c, learner, run, Decimal::new(87, 2), Some("B"), true, now)?;
        added.enrollments += 1;
    }
    let program: Option<i64> = c
        .query_row(
            "SELECT id FROM programs WHERE live = 1 AND b2b_only = 0 ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(program) = program {
        service::enroll_program(c, now, learner, program, Mode::Audit, &actor)?;
    }
    Ok(added)
}
