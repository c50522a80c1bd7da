//! The demo learner: signing in lands on the dashboard with upgradable audit enrollments, a
//! graded and certified past run, a program and a completed program with its certificate; the `DEMO20` code works in the cart; loading twice adds nothing.

use mitxonline::demo::{DEMO_LEARNER_EMAIL, DEMO_PASSWORD};
use mitxonline::demo_learner::DEMO_CODE;

use crate::support::identity::log_in;
use crate::support::{TestApp, client};

#[tokio::test]
async fn the_demo_learner_signs_in_to_a_dashboard_worth_looking_at() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let browser = client();
    let r = log_in(&app, &browser, DEMO_LEARNER_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(!to.contains("create-profile"), "onboarding is already done: {to}");

    let html = browser
        .get(app.url("/dashboard/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("Upgrade ($").count(), 2, "{html}");
    assert!(html.contains("Grade: 87% (B)"), "{html}");
    let programs_tab = browser
        .get(app.url("/dashboard/?tab=programs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(programs_tab.contains("My programs"), "{programs_tab}");
    let (status, v3) = {
        let r = browser.get(app.url("/api/v3/enrollments/")).send().await.unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    let courses: Vec<&str> = v3
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["run"]["course"]["readable_id"].as_str().unwrap())
        .collect();
    let mut distinct = courses.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // Two upgradable audit runs, the certified past run and the completed program's runs (each
    // certified too).
    let certified = v3
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["certificate"].is_null())
        .count();
    assert!(
        certified >= 2,
        "the past run and the completed program's courses: {v3}"
    );
    assert_eq!(courses.len(), 2 + certified, "{v3}");
    assert_eq!(distinct.len(), courses.len(), "one run per course: {courses:?}");
    assert_eq!(
        html.matches("View certificate").count(),
        certified,
        "the runs on the courses tab: {html}"
    );
    assert_eq!(
        programs_tab.matches("View certificate").count(),
        1,
        "the program on the programs tab: {programs_tab}"
    );
    let programs: serde_json::Value = browser
        .get(app.url("/api/v2/program_enrollments/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let program_certs: Vec<&str> = programs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["certificate"]["link"].as_str())
        .collect();
    assert_eq!(program_certs.len(), 1, "{programs}");
    let page = browser.get(app.url(program_certs[0])).send().await.unwrap();
    assert_eq!(page.status(), 200);

    // The first upgradable run's product goes in the cart and DEMO20 takes 20% off.
    let product = v3
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["run"]["upgrade_product_id"].as_i64())
        .expect("an upgradable enrollment with a product");
    let token = crate::support::identity::header_token(&app, &browser).await;
    let r = browser
        .post(app.url(&format!(
            "/api/v0/baskets/create_from_product/{product}/{DEMO_CODE}/"
        )))
        .header("X-CSRFToken", &token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let basket: serde_json::Value = r.json().await.unwrap();
    assert_eq!(basket["discounts"][0]["discount_code"], DEMO_CODE, "{basket}");
    assert_eq!(basket["discounted_price"], "39.20", "{basket}");

    // Loading the demo again adds nothing.
    let count = |sql: &'static str| app.scalar_i64(sql);
    let before = (
        count("SELECT count(*) FROM course_run_enrollments").await,
        count("SELECT count(*) FROM program_enrollments").await,
        count("SELECT count(*) FROM discounts").await,
    );
    let report = mitxonline::demo::load(&app.state).await.unwrap();
    assert_eq!((report.learner.enrollments, report.learner.discounts), (0, 0));
    let after = (
        count("SELECT count(*) FROM course_run_enrollments").await,
        count("SELECT count(*) FROM program_enrollments").await,
        count("SELECT count(*) FROM discounts").await,
    );
    assert_eq!(before, after);
}
