//! Provisioning counts and idempotency, the code rules, attaching with a code, and the race
//! for the last seats.

use serde_json::Value;

use super::{codes, contract, count, program_with_sources};
use crate::support::TestApp;
use crate::support::commerce::learner;

#[tokio::test]
async fn adding_a_program_provisions_one_run_per_source_run_with_products_codes_and_studio_reruns_once() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    // Two courses: the first with English and Spanish source runs → three contract runs.
    let (program, sources) = program_with_sources(&app, "PROV", 2).await;
    assert_eq!(sources.len(), 3);
    let (_, k) = contract(&app, "prov", "code", Some(5), Some("0"), Some(program), None).await;
    let runs = count(
        &app,
        "SELECT count(*) FROM course_runs WHERE b2b_contract_id = ?1",
        k,
    )
    .await;
    assert_eq!(runs, 3);
    let products = count(
        &app,
        "SELECT count(*) FROM products p JOIN course_runs r ON r.id = p.course_run_id WHERE r.b2b_contract_id = ?1",
        k,
    )
    .await;
    assert_eq!(products, 3);
    // A limited contract: exactly max_learners one-time codes per product.
    assert_eq!(codes(&app, k).await.len(), 15);
    let reruns = app
        .scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'openedx' AND kind = 'clone_course_run'")
        .await;
    assert_eq!(reruns, 3);
    let keys: Vec<String> = app
        .state
        .db
        .read(move |c| {
            c.prepare("SELECT courseware_id FROM course_runs WHERE b2b_contract_id = ?1 ORDER BY id")?
                .query_map([k], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .await
        .unwrap();
    let year = chrono::Datelike::year(&app.state.clock.now());
    assert_eq!(keys[0], format!("course-v1:UAI_org-prov+PROV0x+1T{k}C{year}_en"));
    assert_eq!(keys[1], format!("course-v1:UAI_org-prov+PROV0x+2T{k}C{year}_es"));

    // Adding the same program again creates nothing; the code rules are idempotent.
    let now = app.state.clock.now();
    let again = app
        .state
        .db
        .write(move |c| mitxonline::b2b::admin::add_program_in(c, k, &program.to_string(), "test", now))
        .await
        .unwrap();
    assert!(again.created.is_empty());
    assert_eq!(again.existing, 3);
    assert_eq!(again.codes.created + again.codes.removed, 0);
    assert_eq!(codes(&app, k).await.len(), 15);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE kind = 'clone_course_run'")
            .await,
        3
    );
    app.shutdown().await;
}

#[tokio::test]
async fn free_auto_contracts_have_no_codes_and_unlimited_contracts_one_unlimited_code_per_product() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "CODES", 1).await;
    let (_, auto) = contract(&app, "auto", "auto", None, None, Some(program), None).await;
    assert!(codes(&app, auto).await.is_empty());
    let (_, managed_paid) = contract(&app, "mp", "managed", None, Some("25"), Some(program), None).await;
    assert_eq!(
        codes(&app, managed_paid).await.len(),
        2,
        "one unlimited code per product (en, es)"
    );
    let unlimited = count(
        &app,
        "SELECT count(*) FROM b2b_codes k JOIN discounts d ON d.id = k.discount_id
         WHERE k.contract_id = ?1 AND d.redemption_type = 'unlimited' AND d.discount_type = 'fixed-price' AND d.amount = '25'",
        managed_paid,
    )
    .await;
    assert_eq!(unlimited, 2);
    // Lowering the seats to 3 (on the contract's staff page) turns the unused unlimited codes
    // into three one-time codes; a refresh afterwards changes nothing.
    let staff = crate::support::identity::signed_in(&app, "b2b-staff@example.com", true).await;
    let token = crate::support::identity::header_token(&app, &staff).await;
    let today = app.state.clock.now().date_naive();
    let r = staff
        .post(app.url(&format!("/staff/b2b/contracts/{managed_paid}/terms/")))
        .header("x-csrftoken", &token)
        .form(&[
            ("name", "Contract mp".to_owned()),
            ("membership_type", "managed".to_owned()),
            ("contract_start", (today - chrono::Duration::days(1)).to_string()),
            ("contract_end", (today + chrono::Duration::days(200)).to_string()),
            ("max_learners", "3".to_owned()),
            ("enrollment_fixed_price", "25".to_owned()),
            ("active", "on".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(codes(&app, managed_paid).await.len(), 6);
    let r = staff
        .post(app.url(&format!("/staff/b2b/contracts/{managed_paid}/codes/")))
        .header("x-csrftoken", token)
        .form(&[("action", "refresh")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(codes(&app, managed_paid).await.len(), 6);
    app.shutdown().await;
}

#[tokio::test]
async fn attaching_with_a_code_answers_201_then_200_and_shows_the_organization_on_users_me() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "ATT", 1).await;
    let (org, k) = contract(&app, "att", "code", Some(2), None, Some(program), None).await;
    let all = codes(&app, k).await;
    let (_, jane) = learner(&app, "jane-b2b@example.com").await;
    let (_, joe) = learner(&app, "joe-b2b@example.com").await;
    let post =
        |c: &reqwest::Client, code: &str| c.post(app.url(&format!("/api/v0/b2b/attach/{code}/"))).send();

    let r = post(&jane, "not-a-code").await.unwrap();
    assert_eq!(r.status(), 404);
    let r = post(&jane, &all[0]).await.unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body[0]["id"], k);
    assert_eq!(body[0]["membership_type"], "code");
    assert_eq!(body[0]["programs"], serde_json::json!([program]));
    // The same code again: already attached.
    assert_eq!(post(&jane, &all[0]).await.unwrap().status(), 200);
    // A one-time code claimed by Jane is not Joe's to use.
    assert_eq!(post(&joe, &all[0]).await.unwrap().status(), 404);

    let (_, me) = app.send_json(jane.get(app.url("/api/users/me"))).await;
    let orgs = me["b2b_organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["id"], org);
    assert_eq!(orgs[0]["contracts"][0]["id"], k);
    let (_, joe_me) = app.send_json(joe.get(app.url("/api/users/me"))).await;
    assert_eq!(joe_me["b2b_organizations"], serde_json::json!([]));

    // Two seats: Joe takes the second, a third learner finds the contract full (409).
    assert_eq!(post(&joe, &all[1]).await.unwrap().status(), 201);
    let (_, ann) = learner(&app, "ann-b2b@example.com").await;
    assert_eq!(post(&ann, &all[2]).await.unwrap().status(), 409);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM b2b_attachments WHERE contract_id = ?1",
            k
        )
        .await,
        2
    );
    app.shutdown().await;
}

#[tokio::test]
async fn when_200_learners_race_for_the_last_seats_exactly_max_learners_are_attached() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "RACE", 1).await;
    // Unlimited seats: one unlimited code every learner can use.
    let (_, k) = contract(&app, "race", "code", None, None, Some(program), None).await;
    let code = codes(&app, k).await[0].clone();
    // Seats are then limited to 25 behind the code's back (the unlimited code stays valid).
    app.state
        .db
        .write(move |c| c.execute("UPDATE b2b_contracts SET max_learners = 25 WHERE id = ?1", [k]))
        .await
        .unwrap();
    let mut learners = Vec::new();
    for i in 0..200 {
        learners.push(learner(&app, &format!("racer{i}@example.com")).await.1);
    }
    let url = app.url(&format!("/api/v0/b2b/attach/{code}/"));
    let mut tasks = tokio::task::JoinSet::new();
    for c in learners {
        let url = url.clone();
        tasks.spawn(async move { c.post(url).send().await.unwrap().status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(s) = tasks.join_next().await {
        statuses.push(s.unwrap());
    }
    let attached = statuses.iter().filter(|s| **s == 201).count();
    let full = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((attached, full), (25, 175), "{statuses:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM b2b_attachments WHERE contract_id = ?1",
            k
        )
        .await,
        25
    );
    app.shutdown().await;
}
