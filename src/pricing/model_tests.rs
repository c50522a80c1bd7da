//! The original's cases (`flexiblepricing/api_test.py`) as table tests.

use super::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn no_related(_: i64) -> Vec<i64> {
    Vec::new()
}

use Courseware::{Course, Program};

#[test]
fn the_family_of_a_course_in_programs_is_its_programs_then_itself_then_related_programs() {
    let related = |p: i64| if p == 10 { vec![30] } else { vec![] };
    let cases: [(Courseware, &[i64], Vec<Courseware>); 5] = [
        (Course(1), &[], vec![Course(1)]),
        (Course(1), &[10], vec![Program(10), Course(1), Program(30)]),
        (
            Course(1),
            &[10, 20],
            vec![Program(10), Program(20), Course(1), Program(30)],
        ),
        (Program(10), &[], vec![Program(10), Program(30)]),
        (Program(20), &[], vec![Program(20)]),
    ];
    for (start, programs, want) in cases {
        assert_eq!(
            family(start, programs, &related),
            want,
            "{start:?} in {programs:?}"
        );
    }
}

#[test]
fn a_course_in_a_program_files_requests_under_its_first_program() {
    assert_eq!(filing_courseware(Course(1), &[10, 20]), Program(10));
    assert_eq!(filing_courseware(Course(1), &[]), Course(1));
    assert_eq!(filing_courseware(Program(10), &[]), Program(10));
}

fn tiers_for(w: Courseware, base_id: i64) -> Vec<TierOption> {
    ["0", "25000", "50000", "75000"]
        .iter()
        .enumerate()
        .map(|(i, t)| TierOption {
            id: base_id + i as i64,
            courseware: w,
            current: true,
            income_threshold_usd: d(t),
        })
        .collect()
}

#[test]
fn the_tier_is_the_highest_threshold_at_or_below_the_income() {
    let tiers = tiers_for(Program(10), 1);
    // (income, expected threshold), the original's `test_determine_tier_courseware` data.
    let cases = [
        ("0", "0"),
        ("1000", "0"),
        ("25000", "25000"),
        ("27500", "25000"),
        ("50000", "50000"),
        ("72800", "50000"),
        ("75000", "75000"),
        ("34938234", "75000"),
    ];
    let fam = family(Course(1), &[10], &no_related);
    for (income, want) in cases {
        let t = choose_tier(&fam, &tiers, d(income)).unwrap();
        assert_eq!(t.income_threshold_usd, d(want), "income {income}");
    }
}

#[test]
fn program_tiers_win_over_course_tiers_and_course_tiers_apply_when_the_program_has_none() {
    let mut tiers = tiers_for(Program(10), 1);
    tiers.extend(tiers_for(Course(1), 100));
    let fam = family(Course(1), &[10], &no_related);
    assert_eq!(
        choose_tier(&fam, &tiers, d("30000")).unwrap().courseware,
        Program(10)
    );
    let course_only: Vec<_> = tiers
        .iter()
        .filter(|t| t.courseware == Course(1))
        .cloned()
        .collect();
    assert_eq!(
        choose_tier(&fam, &course_only, d("30000")).unwrap().courseware,
        Course(1)
    );
    // A standalone course uses its own tiers.
    let fam = family(Course(1), &[], &no_related);
    assert_eq!(choose_tier(&fam, &tiers, d("30000")).unwrap().id, 101);
}

#[test]
fn a_tier_that_is_not_current_is_ignored() {
    let mut tiers = tiers_for(Course(1), 1);
    tiers.push(TierOption {
        id: 99,
        courseware: Course(1),
        current: false,
        income_threshold_usd: d("75000"),
    });
    let fam = family(Course(1), &[], &no_related);
    assert_ne!(choose_tier(&fam, &tiers, d("34938234")).unwrap().id, 99);
}

#[test]
fn without_a_zero_tier_a_low_income_has_no_tier() {
    let tiers: Vec<_> = tiers_for(Course(1), 1).into_iter().skip(1).collect();
    let fam = family(Course(1), &[], &no_related);
    assert!(choose_tier(&fam, &tiers, d("0")).is_none());
    assert!(choose_tier(&fam, &[], d("1000000")).is_none());
}

#[test]
fn auto_approval_follows_the_country_threshold_the_tier_discount_and_the_default() {
    // (income_usd, country threshold, tier discount, expected): the original's
    // `test_determine_auto_approval` data, plus the zero-discount and default cases.
    let cases: [(&str, Option<&str>, &str, bool); 10] = [
        ("0", Some("0"), "10", true),
        ("1", Some("0"), "10", true),
        ("0", Some("50000"), "10", false),
        ("49999", Some("50000"), "10", false),
        ("50000", Some("50000"), "10", false),
        ("50001", Some("50000"), "10", true),
        ("100", Some("50000"), "0", true),
        ("75000", None, "10", false),
        ("75000.01", None, "10", true),
        ("1000", None, "0", true),
    ];
    for (income, threshold, discount, want) in cases {
        assert_eq!(
            auto_approved(d(discount), threshold.map(d), d(income)),
            want,
            "income {income}, threshold {threshold:?}, discount {discount}"
        );
    }
}

#[test]
fn income_in_another_currency_is_divided_by_its_rate_and_rounded_to_cents() {
    assert_eq!(income_usd(d("3000"), "GHI", Some(d("1.5"))), Ok(d("2000.00")));
    assert_eq!(income_usd(d("5000"), "USD", None), Ok(d("5000.00")));
    assert_eq!(income_usd(d("1000"), "EUR", Some(d("0.92"))), Ok(d("1086.96")));
    // Half-even, as Python's round(Decimal, 2).
    assert_eq!(income_usd(d("0.125"), "USD", None), Ok(d("0.12")));
    assert_eq!(
        income_usd(d("100"), "XYZ", None),
        Err(ConversionError::UnknownCurrency)
    );
}

#[test]
fn a_submission_names_each_bad_field() {
    let known = |c: &str| c == "EUR";
    let ok = parse_submission("50,000", "eur", "de", "FR", &known).unwrap();
    assert_eq!(ok.income, d("50000"));
    assert_eq!(ok.currency, "EUR");
    assert_eq!(ok.country_of_income, "DE");
    let fields = |r: Result<Submission, Vec<FieldProblem>>| {
        r.unwrap_err().into_iter().map(|p| p.field).collect::<Vec<_>>()
    };
    let cases: [(&str, &str, &str, &str, bool, &str); 7] = [
        ("-5", "USD", "US", "US", false, "income"),
        ("0", "USD", "US", "US", false, "income"),
        ("lots", "USD", "US", "US", false, "income"),
        ("10", "XYZ", "US", "US", false, "currency"),
        ("10", "IRR", "US", "US", true, "currency"),
        ("10", "USD", "ZZ", "US", false, "country_of_income"),
        ("10", "USD", "US", "", false, "country_of_residence"),
    ];
    for (income, currency, coi, cor, any_currency, field) in cases {
        let any = |_: &str| true;
        let is_known: &dyn Fn(&str) -> bool = if any_currency { &any } else { &known };
        assert_eq!(
            fields(parse_submission(income, currency, coi, cor, is_known)),
            [field],
            "{income} {currency} {coi} {cor}"
        );
    }
}
