//! The demo learner's part of the demo data: a completed profile (so signing in lands on the
//! dashboard), audit enrollments in two current runs that can be upgraded (so the dashboard
//! shows upgrade buttons and the sandbox purchase can be tried), a passed past run with its
//! grade, an audit program enrollment, and an unlimited `DEMO20` code (20% off) to try in the
//! cart. Loaded once: nothing is added when the learner already has an enrollment.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::catalog::model::CourseRun;
use crate::catalog::snapshot::Catalog;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::DiscountType;
use crate::commerce::discounts::rules::PaymentType;
use crate::commerce::discounts::rules::RedemptionType;
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

/// Current, enrollable, public runs that can be upgraded (the catalog's own predicates, an
/// active product), in the primary language, one per course, soonest-ending first.
fn upgradable_runs(cat: &Catalog, now: DateTime<Utc>, limit: usize) -> Vec<i64> {
    let mut runs: Vec<&CourseRun> = cat
        .runs
        .iter()
        .filter(|r| r.b2b_contract_id.is_none() && r.is_primary_language)
        .filter(|r| r.is_enrollable(now) && r.end_date.is_none_or(|e| e > now))
        .filter(|r| r.is_upgradable(now, cat.has_verified(r)))
        .filter(|r| r.product.as_ref().is_some_and(|p| p.is_active))
        .collect();
    runs.sort_by_key(|r| (r.end_date.is_none(), r.end_date, r.id));
    let mut courses = HashSet::new();
    runs.into_iter()
        .filter(|r| courses.insert(r.course_id))
        .take(limit)
        .map(|r| r.id)
        .collect()
}

/// The latest ended public run of a course not in `taken`.
fn ended_run(cat: &Catalog, now: DateTime<Utc>, taken: &HashSet<i64>) -> Option<i64> {
    cat.runs
        .iter()
        .filter(|r| r.live && r.b2b_contract_id.is_none() && !taken.contains(&r.course_id))
        .filter(|r| r.end_date.is_some_and(|e| e < now))
        .max_by_key(|r| (r.end_date, std::cmp::Reverse(r.id)))
        .map(|r| r.id)
}

/// Adds the demo learner's data (see the module doc); call inside a write transaction after the
/// catalog demo data.
pub fn load(c: &Connection, learner: i64, now: DateTime<Utc>) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if crate::commerce::discounts::store::discounts_by_code(c, DEMO_CODE)?.is_empty() {
        crate::commerce::discounts::store::insert_discount(
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
    let cat = Catalog::load(c)?;
    let mut taken = HashSet::new();
    for run in upgradable_runs(&cat, now, 2) {
        service::enroll(c, now, learner, run, Mode::Audit, Checks::NONE, &actor)?;
        taken.extend(cat.run_by_id.get(&run).map(|&i| cat.runs[i].course_id));
        added.enrollments += 1;
    }
    if let Some(run) = ended_run(&cat, now, &taken) {
        service::enroll(c, now, learner, run, Mode::Audit, Checks::NONE, &actor)?;
        enrollments::upsert_grade(c, learner, run, Decimal::new(87, 2), Some("B"), true, now)?;
        added.enrollments += 1;
    }
    if let Some(program) = cat
        .programs
        .iter()
        .filter(|p| p.live && !p.b2b_only)
        .map(|p| p.id)
        .min()
    {
        service::enroll_program(c, now, learner, program, Mode::Audit, &actor)?;
    }
    Ok(added)
}
