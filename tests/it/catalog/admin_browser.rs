//! A real browser (headless Chromium, no script of ours on the pages) walks an operator from an
//! empty database through the catalog console: the staff home's link, a department added with
//! the keyboard (Enter submits), a course in it, a run, its product — then the v2 API sells it.

use crate::support::TestApp;
use crate::support::browser::Browser;

#[tokio::test]
async fn an_operator_sets_up_a_sellable_run_in_a_real_browser() {
    let Some(b) = Browser::start().await else { return };
    let app = TestApp::spawn().await;
    crate::support::identity::make_user(&app, "op-browser@example.com", "an operating password", true).await;
    b.goto(&app.url("/login/")).await;
    b.type_text(&b.find("#f-email").await, "op-browser@example.com")
        .await;
    b.type_text(&b.find("#f-password").await, "an operating password\u{E007}")
        .await;
    b.wait_until("signed in", |url, _| !url.contains("/login/")).await;

    b.goto(&app.url("/staff/")).await;
    b.click(&b.find("ul.staff-consoles a[href='/staff/catalog/']").await)
        .await;
    b.wait_until("the catalog console", |url, src| {
        url.ends_with("/staff/catalog/") && src.contains("No courses.")
    })
    .await;
    b.click(&b.find("a[href='/staff/catalog/departments/']").await)
        .await;
    b.type_text(&b.find("#f-name").await, "Electrical Engineering\u{E007}")
        .await;
    b.wait_until("the department listed", |_, src| {
        src.contains("<code>electrical-engineering</code>")
    })
    .await;

    b.goto(&app.url("/staff/catalog/courses/new/")).await;
    b.type_text(&b.find("#f-readable_id").await, "course-v1:MITx+6.002x")
        .await;
    b.type_text(&b.find("#f-title").await, "Circuits and Electronics")
        .await;
    b.click(&b.find("input[name=live]").await).await;
    b.click(&b.find("input[name=departments]").await).await;
    b.click(
        &b.find("form[action='/staff/catalog/courses/'] button[type=submit]")
            .await,
    )
    .await;
    b.wait_until("the course page", |url, src| {
        url.contains("/staff/catalog/courses/") && src.contains("No runs yet.")
    })
    .await;

    b.click(&b.find("a[href$='/runs/new/']").await).await;
    b.type_text(&b.find("#f-title").await, "Circuits, spring").await;
    b.type_text(&b.find("#f-courseware_id").await, "course-v1:MITx+6.002x+1T2027")
        .await;
    for (id, value) in [
        ("f-start_date", "2027-02-01T09:00"),
        ("f-end_date", "2027-05-30T17:00"),
        ("f-enrollment_start", "2026-11-01T00:00"),
    ] {
        b.eval(&format!(
            "document.getElementById('{id}').value = '{value}'; return true;"
        ))
        .await;
    }
    b.click(&b.find("input[name=live]").await).await;
    b.click(
        &b.find("form[action='/staff/catalog/runs/'] button[type=submit]")
            .await,
    )
    .await;
    b.wait_until("the run page", |url, src| {
        url.contains("/staff/catalog/runs/") && src.contains("No product")
    })
    .await;
    b.type_text(&b.find("#f-price").await, "120\u{E007}").await;
    b.wait_until("the product", |_, src| {
        src.contains("id=\"product-state\"") && src.contains("$120.00")
    })
    .await;

    let (status, v) = app.get_json("/api/v2/courses/course-v1:MITx+6.002x/").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["departments"][0]["name"], "Electrical Engineering");
    let run = &v["courseruns"][0];
    assert_eq!(run["courseware_id"], "course-v1:MITx+6.002x+1T2027");
    assert_eq!(run["products"][0]["price"], "120.00");
    assert_eq!(run["is_enrollable"], true);
    let errors = b.console_lines("SEVERE").await;
    assert!(errors.is_empty(), "{errors:?}");
    b.quit().await;
    app.shutdown().await;
}
