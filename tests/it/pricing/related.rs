//! Related programs: staff relate two programs on the request-forms page (audited), and from
//! then on one approved request covers both.

use mitxonline::pricing::model::Courseware;
use serde_json::Value;

use super::{apply_to, with_tiers};
use crate::support::TestApp;
use crate::support::commerce::learner;
use crate::support::identity::{post_form, signed_in};
use crate::support::program_flow::program;

const FORMS: &str = "/staff/flexible-pricing/forms/";
const RELATE: &str = "/staff/flexible-pricing/related-programs/";

async fn flexible_price(app: &TestApp, client: &reqwest::Client, product: i64) -> Value {
    client
        .get(app.url(&format!("/api/v0/products/{product}/user_flexible_price/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn relations(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT count(*) FROM related_programs").await
}

#[tokio::test]
async fn relating_two_programs_on_the_staff_page_makes_one_approval_cover_both() {
    let app = TestApp::spawn().await;
    let (first, _) = program(&app, "program-v1:MITx+FPREL.A", Some("1000.00")).await;
    let (second, _) = program(&app, "program-v1:MITx+FPREL.B", Some("600.00")).await;
    let fifty = with_tiers(&app, "FPREL", Courseware::Program(first)).await[1];
    let second_product: i64 = app
        .state
        .db
        .read(move |c| {
            c.query_row("SELECT id FROM products WHERE program_id = ?1", [second], |r| {
                r.get(0)
            })
        })
        .await
        .unwrap();
    let (_, client) = learner(&app, "fp-related@example.com").await;
    // 2,500,000 INR is above India's $25,000 threshold: auto-approved at the 50% tier.
    let (status, body) = apply_to(&app, &client, Courseware::Program(first), "2500000", "INR", "IN").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "auto-approved", "{body}");
    assert!(
        flexible_price(&app, &client, second_product).await["product_flexible_price"].is_null(),
        "an unrelated program is not covered"
    );

    let staff = signed_in(&app, "fp-related-staff@example.com", true).await;
    // Bad input: a 400 naming the field, nothing stored, nothing audited.
    for (a, b, field) in [
        (
            "program-v1:MITx+FPREL.A",
            "program-v1:MITx+NOPE",
            "second_program",
        ),
        ("", "program-v1:MITx+FPREL.B", "first_program"),
        (
            "program-v1:MITx+FPREL.A",
            "program-v1:MITx+FPREL.A",
            "second_program",
        ),
    ] {
        let r = post_form(
            &app,
            &staff,
            FORMS,
            RELATE,
            &[("first_program", a), ("second_program", b)],
        )
        .await;
        assert_eq!(r.status(), 400, "{a} ~ {b}");
        assert!(r.text().await.unwrap().contains(field), "{a} ~ {b} names {field}");
    }
    assert_eq!(relations(&app).await, 0);

    let r = post_form(
        &app,
        &staff,
        FORMS,
        RELATE,
        &[
            ("first_program", "program-v1:MITx+FPREL.B"),
            ("second_program", " program-v1:MITx+FPREL.A "),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = staff
        .get(app.url(FORMS))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("(program-v1:MITx+FPREL.B) ↔ ") && page.contains("(program-v1:MITx+FPREL.A)"),
        "{page}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'related_program'")
            .await,
        1
    );
    let again = post_form(
        &app,
        &staff,
        FORMS,
        RELATE,
        &[
            ("first_program", "program-v1:MITx+FPREL.A"),
            ("second_program", "program-v1:MITx+FPREL.B"),
        ],
    )
    .await;
    assert_eq!(again.status(), 400, "already related, either way round");
    assert_eq!(relations(&app).await, 1);

    // The approval on the first program now covers the second: 50% off its $600.
    let fp = flexible_price(&app, &client, second_product).await;
    assert_eq!(fp["product_flexible_price"]["id"], fifty, "{fp}");
    let learner_page = signed_in(&app, "fp-related-learner@example.com", false).await;
    assert_eq!(
        learner_page
            .post(app.url(RELATE))
            .form(&[("first_program", "x"), ("second_program", "y")])
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "learners cannot relate programs"
    );
}
