//! The staff discount forms: create and edit with every rule, bulk codes as a CSV download; a
//! bad field is a 400 naming it and changes nothing.

use crate::support::TestApp;
use crate::support::identity::{post_form, signed_in};

#[tokio::test]
async fn staff_create_edit_and_make_bulk_codes_with_html_forms() {
    let app = TestApp::spawn().await;
    let staff = signed_in(&app, "discounts.staff@example.com", true).await;
    let page = staff
        .get(app.url("/staff/discounts/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/staff/discounts/\"") && page.contains("action=\"/staff/discounts/bulk/\"")
    );
    let discounts = || app.scalar_i64("SELECT count(*) FROM discounts");

    for (fields, field) in [
        (
            vec![
                ("discount_code", "BAD"),
                ("amount", "ten"),
                ("discount_type", "percent-off"),
            ],
            "amount",
        ),
        (
            vec![
                ("discount_code", "BAD"),
                ("amount", "10"),
                ("discount_type", "half-off"),
            ],
            "discount_type",
        ),
        (
            vec![
                ("discount_code", "BAD"),
                ("amount", "10"),
                ("discount_type", "percent-off"),
                ("max_redemptions", "-1"),
            ],
            "max_redemptions",
        ),
        (
            vec![
                ("discount_code", "BAD"),
                ("amount", "10"),
                ("discount_type", "percent-off"),
                ("expiration_date", "soon"),
            ],
            "expiration_date",
        ),
    ] {
        let r = post_form(&app, &staff, "/staff/discounts/", "/staff/discounts/", &fields).await;
        assert_eq!(r.status(), 400, "{field}");
        assert!(r.text().await.unwrap().contains(field), "{field} named");
    }
    assert_eq!(discounts().await, 0);

    let r = post_form(
        &app,
        &staff,
        "/staff/discounts/",
        "/staff/discounts/",
        &[
            ("discount_code", "SPRING25"),
            ("amount", "25"),
            ("discount_type", "percent-off"),
            ("redemption_type", "one-time-per-user"),
            ("payment_type", "marketing"),
            ("max_redemptions", "100"),
            ("activation_date", "2026-01-01"),
            ("expiration_date", "2099-06-30"),
        ],
    )
    .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let id = app
        .scalar_i64("SELECT id FROM discounts WHERE discount_code = 'SPRING25'")
        .await;
    assert_eq!(to, format!("/staff/discounts/{id}/"));
    let (kind, redemption, payment, max, expires): (String, String, String, i64, String) = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT discount_type, redemption_type, payment_type, max_redemptions, expiration_date FROM discounts WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(
        (kind.as_str(), redemption.as_str(), payment.as_str(), max),
        ("percent-off", "one-time-per-user", "marketing", 100)
    );
    assert!(expires.starts_with("2099-06-30"));

    // Edit: the form shows the current terms and saves new ones.
    let detail = staff
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains(&format!("action=\"/staff/discounts/{id}/edit/\""))
            && detail.contains("value=\"2099-06-30\"")
    );
    let r = post_form(
        &app,
        &staff,
        &to,
        &format!("/staff/discounts/{id}/edit/"),
        &[
            ("discount_code", "SPRING30"),
            ("amount", "30"),
            ("discount_type", "dollars-off"),
            ("redemption_type", "unlimited"),
            ("automatic", "on"),
        ],
    )
    .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(app.scalar_i64("SELECT count(*) FROM discounts WHERE discount_code = 'SPRING30' AND automatic = 1 AND discount_type = 'dollars-off'").await, 1);
    assert!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'discount'")
            .await
            >= 2
    );

    // Bulk: a CSV of the new codes.
    let r = post_form(
        &app,
        &staff,
        "/staff/discounts/",
        "/staff/discounts/bulk/",
        &[
            ("count", "3"),
            ("prefix", "FALL-"),
            ("amount", "10"),
            ("discount_type", "dollars-off"),
            ("redemption_type", "one-time"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("FALL-codes.csv")
    );
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows.iter()
            .all(|l| l.starts_with("FALL-") && l.contains(",dollars-off,one-time,")),
        "{csv}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM discounts WHERE discount_code LIKE 'FALL-%' AND is_bulk = 1")
            .await,
        3
    );
    let r = post_form(
        &app,
        &staff,
        "/staff/discounts/",
        "/staff/discounts/bulk/",
        &[("count", "3"), ("amount", "10"), ("discount_type", "dollars-off")],
    )
    .await;
    assert_eq!(r.status(), 400, "a batch needs a prefix");

    let learner = signed_in(&app, "discounts.learner@example.com", false).await;
    let r = post_form(
        &app,
        &learner,
        "/profile/",
        "/staff/discounts/",
        &[
            ("discount_code", "X"),
            ("amount", "1"),
            ("discount_type", "percent-off"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM discounts WHERE discount_code = 'X'")
            .await,
        0
    );
    app.shutdown().await;
}
