//! The hand-written v3 enrollment bytes against serializing the shaped value, and the
//! fragment cache against the predicate boundaries.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::*;
use crate::catalog::model::{Course, EnrollmentMode, Product};
use crate::enrollment::model::Mode;
use crate::enrollment::shapes::Version;

fn t0() -> Time {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// One course with two runs: run 10 upgradable until t0 + 1 day, run 11 a B2B run.
fn catalog() -> Arc<Catalog> {
    let day = |n: i64| Some(t0() + Duration::days(n));
    let run = |id: i64, contract: Option<i64>| {
        let mut r = CourseRun {
            id,
            course_id: 1,
            title: format!("Run \"{id}\""),
            courseware_id: format!("course-v1:MITx+T{id}+1T2026"),
            run_tag: "1T2026".into(),
            has_courseware_url: true,
            start_date: day(-10),
            end_date: day(30),
            enrollment_start: day(-20),
            upgrade_deadline: day(1),
            live: true,
            b2b_contract_id: contract,
            language: "en".into(),
            modes: vec![0, 1],
            product: Some(Product {
                id: id * 100,
                is_active: true,
                price: Decimal::new(4900, 2),
                description: "p".into(),
            }),
            ..CourseRun::default()
        };
        r.format_text();
        r
    };
    let mut cat = Catalog {
        version: 7,
        modes: ["audit", "verified"]
            .iter()
            .enumerate()
            .map(|(i, m)| EnrollmentMode {
                id: i as i64 + 1,
                mode_slug: (*m).into(),
                mode_display_name: (*m).into(),
                requires_payment: *m == "verified",
            })
            .collect(),
        courses: vec![Course {
            id: 1,
            title: "Course ü".into(),
            readable_id: "course-v1:MITx+T".into(),
            live: true,
            departments: vec![],
            topics: vec![],
            variants: vec![],
            blocked_countries: vec![],
            runs: vec![0, 1],
            page: None,
        }],
        runs: vec![run(10, None), run(11, Some(5))],
        ..Catalog::default()
    };
    cat.course_by_id.insert(1, 0);
    cat.run_by_id.insert(10, 0);
    cat.run_by_id.insert(11, 1);
    cat.boundaries = vec![day(-20).unwrap(), day(1).unwrap(), day(30).unwrap()];
    Arc::new(cat)
}

fn rows() -> Vec<Listed> {
    let row = |id: i64, run_id: i64, mode: Mode, grade: Option<(&str, Option<&str>, bool, bool)>| Listed {
        id,
        run_id,
        mode,
        edx_emails_subscription: id % 2 == 0,
        grade: grade.map(|(g, l, p, a)| (g.parse().unwrap(), l.map(str::to_owned), p, a)),
        edx_enrolled: false,
        paid: false,
        certificate: None,
        b2b_organization_id: None,
        approved_flexible_price: false,
        any_flexible_price: false,
    };
    vec![
        row(1, 10, Mode::Audit, None),
        row(
            2,
            11,
            Mode::Verified,
            Some(("0.845", Some("B \"plus\""), true, false)),
        ),
        row(3, 10, Mode::Verified, Some(("1", None, false, true))),
        row(4, 99, Mode::Audit, None), // run no longer in the catalog
    ]
}

fn ctx(now: Time) -> Ctx<'static> {
    Ctx {
        now,
        public_url: "http://127.0.0.1:1",
        edx_base: "http://edx.test/",
        learner: None,
    }
}

fn slow(cat: &Catalog, rows: &[Listed], now: Time) -> Vec<u8> {
    let list: Vec<Value> = rows
        .iter()
        .filter_map(|e| shapes::enrollment(cat, e, &ctx(now), Version::V3))
        .collect();
    serde_json::to_vec(&Value::Array(list)).unwrap()
}

fn fast(fragments: &RunFragments, cat: &Arc<Catalog>, rows: &[Listed], now: Time) -> Vec<u8> {
    fragments.v3_list(cat, rows.iter(), &ctx(now))
}

#[test]
fn the_written_list_is_byte_for_byte_the_serialized_shape() {
    let cat = catalog();
    let rows = rows();
    let fragments = RunFragments::default();
    for now in [t0(), t0() + Duration::days(2), t0() + Duration::days(40)] {
        let expected = slow(&cat, &rows, now);
        // Twice: once filling the fragments, once reading them.
        assert_eq!(fast(&fragments, &cat, &rows, now), expected);
        assert_eq!(fast(&fragments, &cat, &rows, now), expected);
    }
    assert_eq!(fast(&fragments, &cat, &[], t0()), b"[]");
}

#[test]
fn a_fragment_is_not_reused_once_the_upgrade_deadline_passes() {
    let cat = catalog();
    let rows = &rows()[..1];
    let fragments = RunFragments::default();
    let before: Value = serde_json::from_slice(&fast(&fragments, &cat, rows, t0())).unwrap();
    assert_eq!(before[0]["run"]["is_upgradable"], true);
    assert_eq!(before[0]["run"]["upgrade_product_id"], 1000);
    let after_time = t0() + Duration::days(1) + Duration::seconds(1);
    let after: Value = serde_json::from_slice(&fast(&fragments, &cat, rows, after_time)).unwrap();
    assert_eq!(after[0]["run"]["is_upgradable"], false);
    assert_eq!(after[0]["run"]["upgrade_product_id"], Value::Null);
}

#[test]
fn nothing_computed_exactly_at_a_boundary_is_kept() {
    let cat = catalog();
    let fragments = RunFragments::default();
    let deadline = t0() + Duration::days(1);
    assert!(fragments.generation(&cat, deadline).is_none());
    assert!(
        fragments
            .generation(&cat, deadline - Duration::seconds(1))
            .is_some()
    );
}

#[test]
fn a_new_snapshot_gets_new_fragments() {
    let fragments = RunFragments::default();
    let first = catalog();
    let mut renamed = catalog();
    Arc::get_mut(&mut renamed).unwrap().runs[0].title = "Renamed".into();
    let rows = &rows()[..1];
    fast(&fragments, &first, rows, t0());
    let body: Value = serde_json::from_slice(&fast(&fragments, &renamed, rows, t0())).unwrap();
    assert_eq!(body[0]["run"]["title"], "Renamed");
}
