//! Editing a contract's terms from its staff page: bad input names the field and changes
//! nothing, seats never go below those taken, codes follow seats and price, every change is
//! audited, and learners see the new terms. Also the shapes of the manager's course runs and
//! of the variant-run endpoints.

use chrono::Duration;
use serde_json::Value;

use super::{codes, contract, count, program_with_sources};
use crate::support::TestApp;
use crate::support::commerce::learner;
use crate::support::identity::{header_token, signed_in};

/// The terms form as the page posts it, over the helper's dates.
fn terms(app: &TestApp, name: &str, kind: &str, seats: &str, price: &str) -> Vec<(&'static str, String)> {
    let today = app.state.clock.now().date_naive();
    vec![
        ("name", name.into()),
        ("membership_type", kind.into()),
        ("contract_start", (today - Duration::days(1)).to_string()),
        ("contract_end", (today + Duration::days(200)).to_string()),
        ("max_learners", seats.into()),
        ("enrollment_fixed_price", price.into()),
        ("active", "on".into()),
    ]
}

fn with(
    mut form: Vec<(&'static str, String)>,
    field: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    form.retain(|(k, _)| *k != field);
    form.push((field, value.into()));
    form
}

/// How many of the contract's codes cost `amount`.
async fn priced(app: &TestApp, k: i64, amount: i64) -> i64 {
    app.state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT count(*) FROM b2b_codes k JOIN discounts d ON d.id = k.discount_id
                 WHERE k.contract_id = ?1 AND CAST(d.amount AS REAL) = ?2",
                [k, amount],
                |r| r.get(0),
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_edit_a_contracts_terms_and_its_codes_follow_seats_and_price() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    // One course with English and Spanish source runs: two contract products.
    let (program, _) = program_with_sources(&app, "EDT", 1).await;
    let (_, k) = contract(&app, "edt", "code", Some(3), Some("10"), Some(program), None).await;
    let all = codes(&app, k).await;
    assert_eq!(all.len(), 6);
    let (_, jane) = learner(&app, "jane-edit@example.com").await;
    let (_, joe) = learner(&app, "joe-edit@example.com").await;
    for (who, code) in [(&jane, &all[0]), (&joe, &all[1])] {
        let r = who
            .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let staff = signed_in(&app, "b2b-editor@example.com", true).await;
    let token = header_token(&app, &staff).await;
    let page = staff
        .get(app.url(&format!("/staff/b2b/contracts/{k}/")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Edit the terms"), "{page}");
    assert!(
        page.contains(r#"value="Contract edt""#),
        "the form shows the current terms"
    );
    let post = |form: Vec<(&'static str, String)>| {
        staff
            .post(app.url(&format!("/staff/b2b/contracts/{k}/terms/")))
            .header("x-csrftoken", &token)
            .form(&form)
            .send()
    };
    let base = terms(&app, "Renamed seats", "code", "5", "20");
    let today = app.state.clock.now().date_naive();
    // Each bad field is refused with a 400 naming it, and nothing changes.
    for (field, form) in [
        ("name", with(base.clone(), "name", " ")),
        (
            "membership_type",
            with(base.clone(), "membership_type", "sometimes"),
        ),
        (
            "contract_end",
            with(
                base.clone(),
                "contract_end",
                &(today - Duration::days(9)).to_string(),
            ),
        ),
        (
            "contract_start",
            with(base.clone(), "contract_start", "next week"),
        ),
        ("max_learners", with(base.clone(), "max_learners", "1")),
        ("max_learners", with(base.clone(), "max_learners", "lots")),
        (
            "enrollment_fixed_price",
            with(base.clone(), "enrollment_fixed_price", "-4"),
        ),
        (
            "variant_options",
            with(base.clone(), "variant_options", "en, S, HC, extra"),
        ),
        ("variant_options", with(base.clone(), "variant_options", "es\nes")),
    ] {
        let r = post(form).await.unwrap();
        assert_eq!(r.status(), 400, "{field}");
        let body = r.text().await.unwrap();
        assert!(body.contains(field), "{field}: {body}");
    }
    let r = post(with(base.clone(), "max_learners", "1")).await.unwrap();
    assert!(r.text().await.unwrap().contains("2 seats are taken"));
    assert_eq!(codes(&app, k).await, all, "no code changed");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM b2b_contracts WHERE id = ?1 AND name = 'Contract edt'",
            k
        )
        .await,
        1
    );

    // Five seats at 20: two more codes per product; the unused ones now cost 20, the two
    // claimed ones keep the price they were claimed at.
    let mut good = base.clone();
    good.extend([
        ("description", "Seats for the edit team".to_owned()),
        ("welcome_message", "Welcome, editors".to_owned()),
        ("variant_options", "en\nes, S".to_owned()),
    ]);
    let r = post(good.clone()).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(codes(&app, k).await.len(), 10);
    assert_eq!(priced(&app, k, 20).await, 8);
    assert_eq!(priced(&app, k, 10).await, 2);
    let audited = count(
        &app,
        "SELECT count(*) FROM audit_log WHERE action = 'b2b.update_contract' AND object_id = CAST(?1 AS TEXT)
           AND json_extract(data_before, '$.name') = 'Contract edt'
           AND json_extract(data_after, '$.contract.name') = 'Renamed seats'
           AND json_extract(data_after, '$.codes.created') = 4 AND json_extract(data_after, '$.codes.updated') = 4",
        k,
    )
    .await;
    assert_eq!(
        audited, 1,
        "one audit row, with the terms before and after and the code changes"
    );
    // Learners see the new terms.
    let page: Value = jane
        .get(app.url("/api/v0/b2b/contracts/contract-edt/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["name"], "Renamed seats");
    assert_eq!(page["description"], "Seats for the edit team");
    assert_eq!(page["welcome_message"], "Welcome, editors");
    let variants = page["variant_options"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0]["language"], "en");
    assert_eq!(variants[0]["default_variant"], true);
    assert_eq!(variants[1]["language"], "es");
    assert_eq!(variants[1]["variant_length"], "S");
    assert_eq!(variants[1]["default_variant"], false);
    let shown = staff
        .get(app.url(&format!("/staff/b2b/contracts/{k}/")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("en; es, S") && shown.contains("Renamed seats"));

    // Saving the same terms again changes no code.
    assert_eq!(post(good.clone()).await.unwrap().status(), 303);
    assert_eq!(codes(&app, k).await.len(), 10);
    // Unticking "active" closes the contract: an unused code no longer attaches.
    let inactive: Vec<_> = good.into_iter().filter(|(f, _)| *f != "active").collect();
    assert_eq!(post(inactive).await.unwrap().status(), 303);
    let unused = codes(&app, k).await[2].clone();
    let (_, ann) = learner(&app, "ann-edit@example.com").await;
    let r = ann
        .post(app.url(&format!("/api/v0/b2b/attach/{unused}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_log WHERE action = 'b2b.update_contract' AND object_id = CAST(?1 AS TEXT)", k).await,
        3
    );
    app.shutdown().await;
}

#[tokio::test]
async fn manager_course_runs_carry_end_and_certificate_dates_and_variant_runs_are_base_course_runs() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let (program, _) = program_with_sources(&app, "SHP", 1).await;
    let (org, k) = contract(&app, "shp", "code", Some(2), None, Some(program), None).await;
    let (mid, manager) = learner(&app, "shp-boss@example.com").await;
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::b2b::store::add_membership(c, mid, org, false, now)?;
            mitxonline::b2b::store::set_manager(c, mid, org, true)
        })
        .await
        .unwrap();
    let runs: Value = manager
        .get(app.url(&format!(
            "/api/v0/b2b/manager/organizations/{org}/contracts/{k}/course_runs/"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(runs["count"], 2);
    let run = &runs["results"][0];
    let mut keys: Vec<&str> = run.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "certificate_available_date",
            "end_date",
            "enrollment_end",
            "enrollment_start",
            "live",
            "readable_id",
            "start_date",
            "title"
        ]
    );
    let end = (now.date_naive() + Duration::days(200)).to_string();
    assert!(run["end_date"].as_str().unwrap().starts_with(&end), "{run}");
    assert!(run["certificate_available_date"].is_string(), "{run}");
    assert!(run["readable_id"].as_str().unwrap().starts_with("course-v1:UAI_"));

    // The variant-run endpoints answer `BaseCourseRun`s (no products, no contract id).
    let code = codes(&app, k).await[0].clone();
    let (_, jane) = learner(&app, "shp-jane@example.com").await;
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (status, all) = app
        .send_json(jane.get(app.url(&format!("/api/v0/b2b/contracts/{k}/all_variant_runs/"))))
        .await;
    assert_eq!(status, 200, "{all}");
    let first = &all[0];
    assert_eq!(first["language"], "en", "{all}");
    let course = first["course_id"].as_i64().unwrap();
    let (status, by_course) = app
        .send_json(jane.get(app.url(&format!(
            "/api/v3/courses/variant_runs/?course_id={course}&contract={k}"
        ))))
        .await;
    assert_eq!(status, 200, "{by_course}");
    let listed = &by_course[0]["courseruns"][0];
    for shape in [first, listed] {
        let mut keys: Vec<&str> = shape.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "certificate_available_date",
                "course_id",
                "course_number",
                "courseware_id",
                "courseware_url",
                "end_date",
                "enrollment_end",
                "enrollment_modes",
                "enrollment_start",
                "expiration_date",
                "id",
                "is_archived",
                "is_enrollable",
                "is_primary_language",
                "is_self_paced",
                "is_upgradable",
                "language",
                "language_label",
                "live",
                "run_tag",
                "start_date",
                "title",
                "upgrade_deadline",
                "variant_industry",
                "variant_length"
            ],
            "{shape}"
        );
    }
    app.shutdown().await;
}
