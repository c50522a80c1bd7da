//! Table tests for the run predicates and the canonical-run rule (surface §1.2).

use chrono::{Duration, TimeZone, Utc};

use super::*;

fn now() -> Time {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn d(days: i64) -> Option<Time> {
    Some(now() + Duration::days(days))
}

fn run(live: bool, start: Option<Time>, es: Option<Time>, ee: Option<Time>) -> CourseRun {
    CourseRun {
        live,
        start_date: start,
        enrollment_start: es,
        enrollment_end: ee,
        ..CourseRun::default()
    }
}

#[test]
fn enrollable_and_unenrollable_follow_the_original_table() {
    // (live, start, enrollment_start, enrollment_end, enrollable, unenrollable)
    let cases = [
        (true, d(-1), d(-2), None, true, false),
        (true, d(5), d(-2), d(3), true, false),
        (false, d(5), d(-2), d(3), false, true),
        (true, None, d(-2), d(3), false, true),
        (true, d(5), None, d(3), false, false),
        (true, d(5), d(1), d(3), false, true),
        (true, d(5), d(-3), d(-1), false, true),
        (true, d(5), Some(now()), None, true, false),
        (true, d(5), d(-3), Some(now()), false, true),
    ];
    for (i, (live, start, es, ee, enrollable, unenrollable)) in cases.into_iter().enumerate() {
        let r = run(live, start, es, ee);
        assert_eq!(r.is_enrollable(now()), enrollable, "case {i} enrollable");
        assert_eq!(r.is_unenrollable(now()), unenrollable, "case {i} unenrollable");
    }
}

#[test]
fn a_run_is_archived_only_when_enrollable_and_ended() {
    let mut r = run(true, d(-60), d(-90), None);
    r.end_date = d(-1);
    assert!(r.is_past(now()) && r.is_archived(now()));
    r.enrollment_end = d(-2);
    assert!(r.is_past(now()) && !r.is_archived(now()));
    r.end_date = d(10);
    r.enrollment_end = None;
    assert!(!r.is_past(now()) && !r.is_archived(now()));
    r.end_date = None;
    assert!(!r.is_past(now()));
}

#[test]
fn upgradable_needs_live_a_future_or_no_deadline_a_product_and_the_verified_mode() {
    let product = Some(Product {
        id: 1,
        is_active: true,
        price: "10".parse().unwrap(),
        description: String::new(),
    });
    // (live, deadline, has product, verified, upgradable)
    let cases = [
        (true, None, true, true, true),
        (true, d(1), true, true, true),
        (true, d(-1), true, true, false),
        (false, None, true, true, false),
        (true, None, false, true, false),
        (true, None, true, false, false),
    ];
    for (i, (live, deadline, has_product, verified, expected)) in cases.into_iter().enumerate() {
        let r = CourseRun {
            live,
            upgrade_deadline: deadline,
            product: if has_product { product.clone() } else { None },
            ..CourseRun::default()
        };
        assert_eq!(r.is_upgradable(now(), verified), expected, "case {i}");
    }
}

#[test]
fn courseware_url_and_course_number_come_from_the_key() {
    let mut r = CourseRun {
        courseware_id: "course-v1:MITxT+18.03.1x+1T2026".into(),
        has_courseware_url: true,
        ..CourseRun::default()
    };
    assert_eq!(r.course_number(), "18.03.1x");
    assert_eq!(
        r.courseware_url("http://edx.local:18000/").as_deref(),
        Some("http://edx.local:18000/learn/course/course-v1:MITxT+18.03.1x+1T2026/home")
    );
    r.has_courseware_url = false;
    assert_eq!(r.courseware_url("http://edx.local"), None);
    assert_eq!(course_number("weird"), "weird");
}

#[test]
fn source_runs_are_hidden_by_flag_or_by_the_source_tag() {
    let mut r = CourseRun::default();
    assert!(!r.is_source());
    r.run_tag = "SOURCE".into();
    assert!(r.is_source());
    r.run_tag = "1T2026".into();
    r.is_source_run = true;
    assert!(r.is_source());
}

#[test]
fn the_canonical_run_per_tag_is_the_primary_language_run_else_the_lowest_id() {
    let mk = |id: i64, tag: &str, primary: bool| CourseRun {
        id,
        run_tag: tag.into(),
        is_primary_language: primary,
        ..CourseRun::default()
    };
    // (runs, expected canonical ids)
    let cases: Vec<(Vec<CourseRun>, Vec<i64>)> = vec![
        (vec![mk(1, "A", false), mk(2, "A", false)], vec![1]),
        (vec![mk(1, "A", false), mk(2, "A", true)], vec![2]),
        (
            vec![mk(3, "A", true), mk(2, "A", false), mk(1, "B", false)],
            vec![1, 3],
        ),
        (
            vec![mk(5, "A", false), mk(4, "B", false), mk(6, "A", false)],
            vec![4, 5],
        ),
        (vec![], vec![]),
    ];
    for (i, (runs, expected)) in cases.into_iter().enumerate() {
        let refs: Vec<&CourseRun> = runs.iter().collect();
        let got: Vec<i64> = canonical_runs(&refs).into_iter().map(|j| refs[j].id).collect();
        assert_eq!(got, expected, "case {i}");
    }
}

#[test]
fn b2b_enrollability_needs_a_contract_an_enrollable_run_and_a_free_seat() {
    let open = |contract: Option<i64>| CourseRun {
        b2b_contract_id: contract,
        ..run(true, d(1), d(-1), None)
    };
    // (contract, enrollable run, max learners, active enrollments, expected)
    let cases = [
        (Some(1), true, None, 500, true),
        (Some(1), true, Some(10), 9, true),
        (Some(1), true, Some(10), 10, false),
        (None, true, None, 0, false),
        (Some(1), false, None, 0, false),
    ];
    for (i, (contract, enrollable, max, active, expected)) in cases.into_iter().enumerate() {
        let mut r = open(contract);
        r.live = enrollable;
        assert_eq!(r.is_enrollable_for_b2b(now(), max, active), expected, "case {i}");
    }
}

#[test]
fn a_regional_language_code_is_named_by_its_language() {
    use crate::catalog::shapes::language_label;
    assert_eq!(language_label("es_419"), "Spanish");
    assert_eq!(language_label("pt_BR"), "Portuguese");
    assert_eq!(language_label("en"), "English");
    assert_eq!(language_label("xx"), "");
}
