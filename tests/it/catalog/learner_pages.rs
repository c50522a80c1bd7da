//! Course and program pages know the signed-in learner (issue 19): the demo learner's enrolled
//! run says "You're enrolled" with "Go to course" and "Upgrade", where a guest sees "Enroll
//! now"; their program page says they are enrolled and how many courses are done.

use mitxonline::demo::{DEMO_LEARNER_EMAIL, DEMO_PASSWORD};

use crate::support::identity::log_in;
use crate::support::{TestApp, client};

async fn text(c: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The `<li class="run">` of `courseware_id` on a course page.
fn run_item<'a>(html: &'a str, courseware_id: &str) -> &'a str {
    let at = html
        .find(&format!("<li class=\"run\" data-run=\"{courseware_id}\""))
        .unwrap_or_else(|| panic!("no run {courseware_id} on the page: {html}"));
    let rest = &html[at..];
    &rest[..rest.find("</li>").unwrap()]
}

#[tokio::test]
async fn an_enrolled_run_says_so_with_go_to_course_and_upgrade_and_a_guest_sees_enroll_now() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let learner = client();
    log_in(&app, &learner, DEMO_LEARNER_EMAIL, DEMO_PASSWORD).await;
    let v3: serde_json::Value = learner
        .get(app.url("/api/v3/enrollments/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = v3
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["enrollment_mode"] == "audit" && e["run"]["is_upgradable"] == true)
        .expect("an upgradable audit enrollment");
    let key = e["run"]["courseware_id"].as_str().unwrap();
    let page = format!(
        "/courses/{}/",
        e["run"]["course"]["readable_id"].as_str().unwrap()
    );

    let mine = text(&learner, &app, &page).await;
    let item = run_item(&mine, key);
    assert!(item.contains("You're enrolled"), "{item}");
    assert!(item.contains(">Go to course<"), "{item}");
    assert!(item.contains("Upgrade: $"), "{item}");
    assert!(!item.contains("Enroll now"), "{item}");

    let guest = text(&reqwest::Client::new(), &app, &page).await;
    let item = run_item(&guest, key);
    assert!(
        item.contains("Enroll now") && item.contains("Get a certificate: $"),
        "{item}"
    );
    assert!(!item.contains("You're enrolled"), "{item}");

    // Their past, certified run is listed too (ended), still as theirs.
    let past = v3
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["grades"][0]["letter_grade"] == "B")
        .expect("the graded past run");
    let past_page = format!(
        "/courses/{}/",
        past["run"]["course"]["readable_id"].as_str().unwrap()
    );
    let html = text(&learner, &app, &past_page).await;
    let item = run_item(&html, past["run"]["courseware_id"].as_str().unwrap());
    assert!(
        item.contains("You're enrolled in the certificate track"),
        "{item}"
    );

    // The program page: enrolled, with progress.
    let programs: serde_json::Value = learner
        .get(app.url("/api/v2/program_enrollments/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in programs.as_array().unwrap() {
        let readable = p["program"]["readable_id"].as_str().unwrap();
        let html = text(&learner, &app, &format!("/programs/{readable}/")).await;
        assert!(
            html.contains("You're enrolled in this program"),
            "{readable}: {html}"
        );
        assert!(html.contains(" courses</strong> completed"), "{html}");
        let guest = text(&reqwest::Client::new(), &app, &format!("/programs/{readable}/")).await;
        assert!(!guest.contains("You're enrolled"), "{guest}");
    }
    app.shutdown().await;
}
