//! Staff review: a pending request mailed its documents step, approved with a tier change,
//! denied with a staff-written mail, reset so the learner may apply again; all audited.

use serde_json::{Value, json};

use super::{apply, priced_course, staff_client};
use crate::support::TestApp;
use crate::support::commerce::*;
use crate::support::identity::{last_mail, post_form, signed_in};

async fn mails_to(app: &TestApp, to: &str) -> Vec<(String, String)> {
    app.drain_outbox().await;
    let to = to.to_owned();
    app.state
        .db
        .read(move |c| mitxonline::mail::sandbox(c, Some(&to), 20))
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.subject, m.body))
        .collect()
}

#[tokio::test]
async fn a_pending_request_is_mailed_its_documents_step_then_approved_by_staff_at_a_chosen_tier() {
    let app = TestApp::spawn().await;
    let (course, product, [seventy_five, fifty, _]) = priced_course(&app, "FPR1", "400.00").await;
    let (user, client) = learner(&app, "fp-pending@example.com").await;
    // $30,000 in the US: the 50% tier, at or below the default $75,000 threshold: pending.
    let (status, body) = apply(&app, &client, course, "30000", "USD", "US").await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "pending-manual-approval");
    let id = body["id"].as_i64().unwrap();
    let mails = mails_to(&app, "fp-pending@example.com").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].0.starts_with("Verify your income for"));
    assert!(mails[0].1.contains("Upload your documents to the secure site."));

    // Not approved yet: the cart has the list price.
    basket_with(&app, &client, product).await;
    let staff = staff_client(&app).await;
    let queue: Value = staff
        .get(app.url("/api/v0/flexible_pricing/applications_admin/?status=pending-manual-approval"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &queue.as_array().unwrap()[0];
    assert_eq!(row["id"], id);
    assert_eq!(row["income"]["income_usd"], "30000.00");
    assert_eq!(row["discount"]["id"], fifty);
    assert_eq!(row["applicable_discounts"].as_array().unwrap().len(), 3);
    assert_eq!(row["user"]["email"], "fp-pending@example.com");
    let filtered: Value = staff
        .get(app.url(&format!(
            "/api/flexible_pricing/applications_admin/?courseware=course:{course}&q=pending@"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["count"], 1, "{filtered}");

    // Approve at the 75% tier.
    let r = staff
        .patch(app.url(&format!("/api/v0/flexible_pricing/applications_admin/{id}/")))
        .json(&json!({"status": "approved", "justification": "Documents in order", "discount": {"id": seventy_five}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.unwrap();
    assert_eq!(after["status"], "approved");
    assert_eq!(after["discount"]["id"], seventy_five);
    let mails = mails_to(&app, "fp-pending@example.com").await;
    assert!(
        mails[0].0.starts_with("Your personalized course price for"),
        "{mails:?}"
    );
    assert!(mails[0].1.contains("75% off"));
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_log WHERE object_type = 'flexible_price' AND action = 'approve' AND object_id = ?1", id).await,
        1
    );
    basket_with(&app, &client, product).await;
    let body = started_checkout(&app, &client, product).await;
    assert_eq!(field(&body, "amount"), "100.00");
    let _ = user;
}

#[tokio::test]
async fn a_denial_needs_and_sends_the_staff_written_email_and_a_reset_allows_a_new_request() {
    let app = TestApp::spawn().await;
    let (course, _, _) = priced_course(&app, "FPR2", "100.00").await;
    let (_, client) = learner(&app, "fp-denied@example.com").await;
    let (_, body) = apply(&app, &client, course, "1000", "USD", "US").await;
    let id = body["id"].as_i64().unwrap();
    let staff = staff_client(&app).await;
    let url = app.url(&format!("/api/flexible_pricing/applications_admin/{id}/"));
    let r = staff
        .patch(&url)
        .json(&json!({"status": "denied", "justification": "Insufficient docs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap().get("email_subject").is_some());
    let r = staff
        .patch(&url)
        .json(
            &json!({"status": "denied", "justification": "Made up", "email_subject": "s", "email_body": "b"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap().get("justification").is_some());
    let r = staff
        .patch(&url)
        .json(&json!({"status": "denied", "justification": "Insufficient docs",
                      "email_subject": "About your request", "email_body": "We could not read your documents."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mails = mails_to(&app, "fp-denied@example.com").await;
    assert_eq!(mails[0].0, "About your request");
    assert_eq!(mails[0].1, "We could not read your documents.");
    assert_eq!(apply(&app, &client, course, "1000", "USD", "US").await.0, 400);

    let r = staff
        .patch(&url)
        .json(&json!({"status": "reset"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        last_mail(&app, "fp-denied@example.com")
            .await
            .contains("we have reset your personalized course price")
    );
    let (status, again) = apply(&app, &client, course, "90000", "USD", "US").await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["id"], id, "the reset request is overwritten");
    assert_eq!(again["status"], "auto-approved");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE object_type = 'flexible_price'")
            .await,
        4
    );
    app.drain_outbox().await;
}

#[tokio::test]
async fn the_staff_console_lists_filters_and_decides_requests_and_learners_cannot_reach_it() {
    let app = TestApp::spawn().await;
    let (course, _, _) = priced_course(&app, "FPR3", "100.00").await;
    let (_, client) = learner(&app, "fp-console@example.com").await;
    let (_, body) = apply(&app, &client, course, "1000", "USD", "US").await;
    let id = body["id"].as_i64().unwrap();
    let staff = signed_in(&app, "fp-staff@example.com", true).await;
    let page = staff
        .get(app.url("/staff/flexible-pricing/?status=pending-manual-approval"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("fp-console@example.com"), "{page}");
    assert!(page.contains("1000.00 USD"));
    let empty = staff
        .get(app.url("/staff/flexible-pricing/?status=approved"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!empty.contains("fp-console@example.com"));
    let detail = format!("/staff/flexible-pricing/{id}/");
    let r = post_form(
        &app,
        &staff,
        &detail,
        &format!("{detail}decide/"),
        &[("status", "approved"), ("justification", "Documents in order")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = staff
        .get(app.url(&detail))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("approved"));
    let learner_page = signed_in(&app, "fp-nosy@example.com", false).await;
    assert_eq!(
        learner_page.get(app.url(&detail)).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        client
            .get(app.url("/api/flexible_pricing/applications_admin/"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    app.drain_outbox().await;
}
