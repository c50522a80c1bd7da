//! The dashboard as a learner reads it (issue 19), over HTTP without JavaScript: a card per
//! enrollment with its status and actions, the All / In progress / Completed filters, the
//! Programs tab's requirement progress, the empty states and the dismissible notice banner.

use mitxonline::demo::{DEMO_LEARNER_EMAIL, DEMO_PASSWORD};

use crate::support::enrollment::*;
use crate::support::identity::{log_in, post_form, signed_in};
use crate::support::{TestApp, client};

async fn text(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The cards of a dashboard page: each `<li class="dash-card …">` up to the next one.
fn cards(html: &str) -> Vec<&str> {
    html.split("<li class=\"dash-card").skip(1).collect()
}

#[tokio::test]
async fn the_demo_learners_cards_carry_status_mode_and_the_right_actions_and_the_filters_split_them() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let browser = client();
    log_in(&app, &browser, DEMO_LEARNER_EMAIL, DEMO_PASSWORD).await;
    let (status, v3) = {
        let r = browser.get(app.url("/api/v3/enrollments/")).send().await.unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    let enrollments = v3.as_array().unwrap();

    let (status, all) = text(&browser, &app, "/dashboard/").await;
    assert_eq!(status, 200);
    assert!(
        all.contains("<section class=\"container dashboard\">"),
        "inside the page container"
    );
    let all_cards = cards(&all);
    assert_eq!(all_cards.len(), enrollments.len(), "a card per enrollment: {all}");
    for e in enrollments {
        let key = e["run"]["courseware_id"].as_str().unwrap();
        let card = all_cards
            .iter()
            .find(|c| c.contains(&format!("data-run=\"{key}\"")))
            .unwrap_or_else(|| panic!("no card for {key}"));
        let title = e["run"]["course"]["title"].as_str().unwrap();
        assert!(card.contains(title), "{card}");
        let mode = e["enrollment_mode"].as_str().unwrap();
        let badge = if mode == "verified" {
            ">Verified<"
        } else {
            ">Audit<"
        };
        assert!(card.contains(badge), "{mode}: {card}");
        assert!(card.contains("Options") && card.contains("/unenroll/") && card.contains("course emails"));
        let upgradable = mode == "audit" && e["run"]["is_upgradable"].as_bool() == Some(true);
        assert_eq!(card.contains("Upgrade ($"), upgradable, "{card}");
        if upgradable {
            assert!(card.contains("Upgrade by "), "the deadline: {card}");
            assert!(card.contains("data-status=\"In progress\""), "{card}");
        }
        assert_eq!(
            card.contains("View certificate"),
            !e["certificate"].is_null(),
            "{card}"
        );
    }
    let graded = all_cards
        .iter()
        .find(|c| c.contains("Grade: 87% (B)"))
        .expect("the graded past run");
    assert!(
        graded.contains("data-status=\"Ended\"") && graded.contains("View certificate"),
        "{graded}"
    );

    let (_, in_progress) = text(&browser, &app, "/dashboard/?filter=in-progress").await;
    let (_, completed) = text(&browser, &app, "/dashboard/?filter=completed").await;
    let (ip, done) = (cards(&in_progress), cards(&completed));
    assert_eq!(ip.len(), 2, "the two current audit runs: {in_progress}");
    assert!(
        ip.iter()
            .all(|c| c.contains("Upgrade ($") && !c.contains("View certificate"))
    );
    assert_eq!(ip.len() + done.len(), all_cards.len());
    assert!(done.iter().all(|c| c.contains("View certificate")), "{completed}");
    assert!(
        completed.contains("aria-current=\"page\">Completed<"),
        "{completed}"
    );

    let (status, bad) = text(&browser, &app, "/dashboard/?filter=finished").await;
    assert_eq!(status, 400);
    assert!(bad.contains("filter"), "{bad}");
    let (status, _) = text(&browser, &app, "/dashboard/?tab=nope").await;
    assert_eq!(status, 400);

    // Programs: the completed program has met every requirement and has its certificate;
    // the audit one says how many courses are done and which groups remain.
    let (status, programs) = text(&browser, &app, "/dashboard/?tab=programs").await;
    assert_eq!(status, 200);
    let pcards = cards(&programs);
    assert_eq!(pcards.len(), 2, "{programs}");
    let done = pcards
        .iter()
        .find(|c| c.contains("View certificate"))
        .expect("the certified program");
    assert!(done.contains("Every requirement is met."), "{done}");
    let (d, n) = progress_of(done);
    assert_eq!(d, n);
    let open = pcards
        .iter()
        .find(|c| !c.contains("View certificate"))
        .expect("the audit program");
    let (d, n) = progress_of(open);
    assert!(d < n, "{open}");
    assert!(
        open.contains("Still to complete:") && open.contains(" more of "),
        "{open}"
    );
    app.shutdown().await;
}

/// `(done, needed)` from a program card's "D of N courses".
fn progress_of(card: &str) -> (usize, usize) {
    let at = card.find(" courses</strong>").expect("a progress line");
    let head = &card[..at];
    let start = head.rfind("<strong>").unwrap() + "<strong>".len();
    let (d, n) = head[start..].split_once(" of ").unwrap();
    (d.parse().unwrap(), n.parse().unwrap())
}

#[tokio::test]
async fn a_new_learner_sees_empty_states_that_lead_to_the_catalog_and_a_notice_that_is_dismissed_once_shown()
{
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx"]);
    let c = signed_in(&app, "fresh@example.com", false).await;
    let (_, courses) = text(&c, &app, "/dashboard/").await;
    assert!(
        courses.contains("You are not enrolled in any courses yet."),
        "{courses}"
    );
    assert!(courses.contains("href=\"/catalog/\""), "{courses}");
    let (_, programs) = text(&c, &app, "/dashboard/?tab=programs").await;
    assert!(programs.contains("href=\"/catalog/programs/\""), "{programs}");

    // The enroll form's `user-message` cookie shows once as a banner with a Dismiss link,
    // and the page that shows it removes the cookie.
    let run_id = run(&app, "course-v1:MITx+DASH+1T2026", OPEN).await.to_string();
    let r = post_form(&app, &c, "/profile/", "/enrollments/", &[("run", &run_id)]).await;
    assert_eq!(r.status(), 302);
    let r = c
        .get(app.url("/dashboard/?filter=in-progress"))
        .send()
        .await
        .unwrap();
    let removal = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("user-message=;") && v.contains("Max-Age=0"));
    assert!(removal, "the shown notice's cookie is removed");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"user-message\"") && html.contains("You are enrolled."),
        "{html}"
    );
    assert!(
        html.contains("class=\"dismiss\" href=\"/dashboard/?filter=in-progress\""),
        "{html}"
    );
    let (_, again) = text(&c, &app, "/dashboard/?filter=in-progress").await;
    assert!(!again.contains("id=\"user-message\""), "dismissed: {again}");
    assert_eq!(cards(&again).len(), 1);

    // The checkout's return names the payment outcome; dismissing drops it from the URL.
    let (_, paid) = text(&c, &app, "/dashboard/?payment=accepted").await;
    assert!(
        paid.contains("Payment accepted.") && paid.contains("class=\"dismiss\" href=\"/dashboard/\""),
        "{paid}"
    );
    app.shutdown().await;
}
