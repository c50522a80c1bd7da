//! The demo learner's part of the demo data: a completed profile (so signing in lands on the
//! dashboard), audit enrollments in two current runs that can be upgraded (so the dashboard
//! shows upgrade buttons and the sandbox purchase can be tried), a passed past run with its
//! grade and certificate, an audit program enrollment, a completed program (verified, every
//! course passed and certified) with its program certificate, and an unlimited `DEMO20` code
//! (20% off) to try in the cart. Loaded once: nothing is added when the learner already has an
//! enrollment.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::catalog::model::CourseRun;
use crate::catalog::snapshot::Catalog;
use crate::certificates;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::rules::PaymentType;
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

/// The latest ended public run with a verified mode of a course not in `taken`.
fn ended_run(cat: &Catalog, now: DateTime<Utc>, taken: &HashSet<i64>) -> Option<i64> {
    cat.runs
        .iter()
        .filter(|r| r.live && r.b2b_contract_id.is_none() && !taken.contains(&r.course_id))
        .filter(|r| cat.has_verified(r) && r.variant_length.is_empty() && r.variant_industry.is_empty())
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
            &DiscountRow::percent_off(DEMO_CODE, Decimal::from(20), PaymentType::Marketing),
            now,
        )?;
        added.discounts += 1;
    }
    if certificates::store::partner_schools(c)?.is_empty() {
        certificates::store::insert_partner_school(
            c,
            "Example Institute of Technology",
            "admissions@example.edu",
        )?;
        certificates::store::insert_partner_school(c, "Sample State University", "graduate@example.org")?;
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
        service::enroll(c, now, learner, run, Mode::Verified, Checks::NONE, &actor)?;
        enrollments::upsert_grade(c, learner, run, Decimal::new(87, 2), Some("B"), true, now)?;
        certificates::service::process_stored_grade(c, &cat, now, learner, run, true)?;
        taken.extend(cat.run_by_id.get(&run).map(|&i| cat.runs[i].course_id));
        added.enrollments += 1;
    }
    added.enrollments += completed_program(c, &cat, now, learner, &taken, &actor)?;
    if let Some(program) = cat
        .programs
        .iter()
        .filter(|p| p.live && !p.b2b_only)
        .filter(|p| {
            certificates::store::for_user(c, certificates::Kind::Program, learner)
                .is_ok_and(|v| v.iter().all(|x| x.object_id != p.id))
        })
        .map(|p| p.id)
        .min()
    {
        service::enroll_program(c, now, learner, program, Mode::Audit, &actor)?;
    }
    Ok(added)
}

/// The run of a course the demo learner completes: its latest ended run with a verified mode,
/// else its current one.
fn completion_run(cat: &Catalog, now: DateTime<Utc>, course: i64) -> Option<i64> {
    let co = cat.course(course)?;
    let runs: Vec<&CourseRun> = cat
        .course_runs(co)
        .into_iter()
        .filter(|r| r.live && r.b2b_contract_id.is_none() && cat.has_verified(r))
        .filter(|r| r.variant_length.is_empty() && r.variant_industry.is_empty() && r.is_primary_language)
        .filter(|r| r.start_date.is_some_and(|s| s < now))
        .collect();
    runs.iter()
        .filter(|r| r.end_date.is_some_and(|e| e < now))
        .max_by_key(|r| r.end_date)
        .or_else(|| runs.iter().max_by_key(|r| r.start_date))
        .map(|r| r.id)
}

/// Completes the smallest live program whose courses are not already used: a verified program
/// enrollment, a verified enrollment with a passing grade and a certificate in a run of every
/// course, then the program certificate by the requirement tree. Returns the enrollments added.
fn completed_program(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    learner: i64,
    taken: &HashSet<i64>,
    actor: &Actor,
) -> anyhow::Result<usize> {
    let candidate = cat
        .programs
        .iter()
        .filter(|p| p.live && !p.b2b_only && p.root.is_some())
        .filter_map(|p| {
            let courses = p.course_ids();
            let runs: Option<Vec<i64>> = courses.iter().map(|&co| completion_run(cat, now, co)).collect();
            let free = courses.iter().all(|co| !taken.contains(co));
            let nested = p.requirements().required_programs.is_empty()
                && p.requirements().elective_programs.is_empty();
            runs.filter(|r| free && nested && !r.is_empty())
                .map(|r| (p.id, r))
        })
        .min_by_key(|(id, r)| (r.len(), *id));
    let Some((program, runs)) = candidate else {
        return Ok(0);
    };
    service::enroll_program(c, now, learner, program, Mode::Verified, actor)?;
    for &run in &runs {
        service::enroll(c, now, learner, run, Mode::Verified, Checks::NONE, actor)?;
        enrollments::upsert_grade(c, learner, run, Decimal::new(93, 2), Some("A"), true, now)?;
        certificates::service::process_stored_grade(c, cat, now, learner, run, true)?;
    }
    certificates::service::generate_program_certificate(c, cat, now, learner, program, false)?;
    Ok(runs.len())
}
