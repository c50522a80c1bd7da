//! `POST /api/v0/b2b/enroll/{run_key}/` and checkout's B2B gates with contracts.

use serde_json::{Value, json};

use super::{codes, contract, count, program_with_sources};
use crate::support::TestApp;
use crate::support::commerce::{basket_with, checkout, learner};

async fn contract_run(app: &TestApp, k: i64) -> (i64, String, i64) {
    app.state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT r.id, r.courseware_id, p.id FROM course_runs r JOIN products p ON p.course_run_id = r.id
                 WHERE r.b2b_contract_id = ?1 AND r.language = 'en'",
                [k],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_learner_of_a_free_contract_enrolls_with_a_zero_value_order_and_a_verified_enrollment() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (program, _) = program_with_sources(&app, "ENR", 1).await;
    let (_, k) = contract(&app, "enr", "code", Some(3), None, Some(program), None).await;
    let (run, key, _) = contract_run(&app, k).await;
    let (uid, jane) = learner(&app, "enr-jane@example.com").await;
    let enroll = |c: &reqwest::Client, body: Value| {
        c.post(app.url(&format!("/api/v0/b2b/enroll/{key}/")))
            .json(&body)
            .send()
    };

    // Not attached yet: refused.
    let r = enroll(&jane, json!({})).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["result"],
        "b2b-error-no-contract"
    );

    let code = codes(&app, k).await[0].clone();
    jane.post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    let r = enroll(&jane, json!({ "program_id": format!("program-v1:B2B+ENR") }))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"], "b2b-enroll-success");
    let order = body["order"].as_i64().unwrap();
    assert_eq!(
        crate::support::commerce::order_state(&app, order).await,
        "fulfilled"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM orders WHERE id = ?1 AND CAST(total_price_paid AS REAL) = 0",
            order
        )
        .await,
        1
    );
    let mode: String = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT enrollment_mode FROM course_run_enrollments WHERE user_id = ?1 AND run_id = ?2 AND active = 1",
                [uid, run],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(mode, "verified");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM program_enrollments WHERE user_id = ?1",
            uid
        )
        .await,
        1
    );
    // Enrolling again answers success with the same order.
    let again: Value = enroll(&jane, json!({})).await.unwrap().json().await.unwrap();
    assert_eq!(again["order"], order);
    app.shutdown().await;
}

#[tokio::test]
async fn a_paid_contract_run_requires_checkout_with_its_price() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (program, _) = program_with_sources(&app, "PAID", 1).await;
    let (_, k) = contract(&app, "paid", "code", None, Some("25"), Some(program), None).await;
    let (_, key, _) = contract_run(&app, k).await;
    let (_, jane) = learner(&app, "paid-jane@example.com").await;
    let code = codes(&app, k).await[0].clone();
    jane.post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/enroll/{key}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "result": "b2b-error-requires-checkout", "price": "25.00" })
    );
    // The basket is ready for the cart: the run with the contract's code.
    let basket: Value = jane
        .get(app.url("/api/v0/baskets/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(basket.to_string().contains(&code), "{basket}");
    app.shutdown().await;
}

#[tokio::test]
async fn checkout_lets_a_learner_attached_to_a_free_contract_through_without_a_code() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (program, _) = program_with_sources(&app, "GATE", 1).await;
    let (_, k) = contract(&app, "gate", "code", None, None, Some(program), None).await;
    let (_, _, product) = contract_run(&app, k).await;
    let code = codes(&app, k).await[0].clone();
    let (_, member) = learner(&app, "gate-member@example.com").await;
    let (_, stranger) = learner(&app, "gate-stranger@example.com").await;
    member
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    for c in [&member, &stranger] {
        basket_with(&app, c, product).await;
    }
    let (status, body) = checkout(&app, &stranger).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("b2b-error-missing-enrollment-code"))
    );
    let (status, body) = checkout(&app, &member).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["no_checkout"], true, "{body}");
    app.shutdown().await;
}
