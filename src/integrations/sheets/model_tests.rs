//! Row parsing, A1 ranges, the once-only rule and the write-back cells ([`super`]).

use super::*;

fn cells(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a1_ranges_round_trip_with_quoted_tabs_and_open_ends() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(15), "P");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(read_range("Refunds", &Kind::Refund.layout()), "'Refunds'!A4:P");
    assert_eq!(
        read_range("Deferrals", &Kind::Deferral.layout()),
        "'Deferrals'!A5:K"
    );
    let a = parse_a1("'Bob''s tab'!A4:P").unwrap();
    assert_eq!(
        (a.tab.as_str(), a.start, a.end_row, a.end_col),
        ("Bob's tab", (4, 0), None, 15)
    );
    let b = parse_a1("Refunds!O7").unwrap();
    assert_eq!((b.start, b.end_row, b.end_col), ((7, 14), Some(7), 14));
    assert_eq!(parse_a1("Refunds!AA2:AB3").unwrap().end_col, 27);
    assert!(parse_a1("Refunds").is_none());
    assert!(parse_a1("Refunds!P4:A4").is_none(), "backwards");
    assert!(parse_a1("Refunds!A0").is_none(), "rows start at 1");
}

#[test]
fn refund_rows_parse_their_form_columns_and_honour_skip_and_completion() {
    // The form's columns (after the response id), then the finance team's.
    let form = [
        "11/30/2026",
        "ann@example.com",
        "ZD-1",
        "desk@example.com",
        "12",
        "mitxonline-test-5",
        "course run",
    ];
    let row = cells(&[&["17"], &form[..], &["fin@example.com", "12/01/2026", "ok"]].concat());
    let Parsed::Request(r) = parse_row(Kind::Refund, 9, &row) else {
        panic!("a request");
    };
    assert_eq!(r.form_response_id, 17);
    assert_eq!(r.row_number, 9);
    assert_eq!(
        r.ask,
        Ask::Refund {
            learner_email: "ann@example.com".into(),
            order_reference: "mitxonline-test-5".into()
        }
    );
    assert_eq!(r.raw, json!(form), "finance columns are not form input");
    let mut skipped = row.clone();
    skipped.resize(16, String::new());
    skipped[15] = "TRUE".into();
    assert_eq!(parse_row(Kind::Refund, 9, &skipped), Parsed::Ignored);
    let mut done = row.clone();
    done.resize(14, String::new());
    done[13] = "12/2/2026".into();
    assert_eq!(parse_row(Kind::Refund, 9, &done), Parsed::Ignored);
    assert_eq!(parse_row(Kind::Refund, 9, &cells(&["", " "])), Parsed::Blank);
    let bad = parse_row(Kind::Refund, 9, &cells(&["x", "d", "ann@example.com"]));
    assert!(
        matches!(bad, Parsed::Invalid { ref message, .. } if message.contains("not a number")),
        "{bad:?}"
    );
}

#[test]
fn deferral_rows_take_an_optional_target() {
    let with = cells(&[
        "3",
        "d",
        "bo@example.com",
        "",
        "",
        "course-v1:A+B+1",
        "course-v1:A+B+2",
    ]);
    let without = cells(&[
        "4",
        "d",
        "bo@example.com",
        "",
        "",
        "course-v1:A+B+1",
        "",
        "",
        "",
        "it failed",
    ]);
    let Parsed::Request(a) = parse_row(Kind::Deferral, 5, &with) else {
        panic!()
    };
    assert_eq!(
        a.ask,
        Ask::Deferral {
            learner_email: "bo@example.com".into(),
            from: "course-v1:A+B+1".into(),
            to: Some("course-v1:A+B+2".into())
        }
    );
    let Parsed::Request(b) = parse_row(Kind::Deferral, 6, &without) else {
        panic!()
    };
    assert!(matches!(b.ask, Ask::Deferral { to: None, .. }));
    assert_eq!(b.error_cell, "it failed");
    let none = parse_row(Kind::Deferral, 7, &cells(&["5", "d", "bo@example.com"]));
    assert!(matches!(none, Parsed::Invalid { .. }));
}

#[test]
fn a_row_is_applied_once_and_a_failed_one_again_only_when_changed_or_cleared() {
    let row = |raw: Value, error: &str| RequestRow {
        kind: Kind::Refund,
        row_number: 4,
        form_response_id: 1,
        raw,
        ask: Ask::Refund {
            learner_email: "a@b".into(),
            order_reference: "r".into(),
        },
        error_cell: error.into(),
    };
    let rec = |status, written_back| Recorded {
        id: 1,
        raw: json!(["a"]),
        status,
        message: "m".into(),
        written_back,
    };
    // (what was recorded, the sheet's row now: its form cell and error cell, what to do, why)
    use Action::*;
    use Status::*;
    let cases = [
        (None, "a", "", Process, "new"),
        (Some(rec(Processed, true)), "b", "", Nothing, "done"),
        (Some(rec(Processed, false)), "a", "", WriteBack, "unwritten"),
        (Some(rec(Failed, true)), "a", "m", Nothing, "unchanged"),
        (Some(rec(Failed, false)), "a", "", WriteBack, "unwritten failure"),
        (Some(rec(Failed, true)), "b", "m", Process, "changed"),
        (Some(rec(Failed, true)), "a", "", Process, "error cleared"),
        (Some(rec(Processing, false)), "a", "", Interrupted, "interrupted"),
    ];
    for (recorded, cell, error, action, why) in cases {
        assert_eq!(
            decide(recorded.as_ref(), &row(json!([cell]), error)),
            action,
            "{why}"
        );
    }
}

#[test]
fn the_write_back_spans_processor_to_error_and_leaves_cells_between_alone() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let (range, values) = write_back("Refunds", Kind::Refund, 6, Ok("MITx Online"), day);
    assert_eq!(range, "'Refunds'!L6:O6");
    assert_eq!(
        values,
        vec![
            json!("MITx Online"),
            Value::Null,
            json!("=DATE(2026,12,4)"),
            json!("")
        ]
    );
    let (range, values) = write_back("Deferrals", Kind::Deferral, 8, Ok("P"), day);
    assert_eq!(range, "'Deferrals'!H8:J8");
    assert_eq!(values.len(), 3);
    let (range, values) = write_back("Deferrals", Kind::Deferral, 8, Err("no such learner"), day);
    assert_eq!(
        (range.as_str(), values),
        ("'Deferrals'!J8", vec![json!("no such learner")])
    );
}
