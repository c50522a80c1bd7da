//! The requirements editor from the keyboard in headless Chromium; the console pages pass axe.

use super::*;
use crate::support::TestApp;

/// Polls the browser's page until `test` holds for its source.
async fn wait_for(b: &crate::support::browser::Browser, what: &str, test: impl Fn(&str) -> bool) {
    for _ in 0..200 {
        if test(&b.source().await) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never saw {what} in {}", b.source().await);
}

#[tokio::test]
async fn the_requirements_editor_is_used_from_the_keyboard_and_passes_axe() {
    use crate::support::browser::{Browser, axe_source, axe_violations};
    const ENTER: &str = "\u{E007}";
    let Some(b) = Browser::start().await else { return };
    let axe = axe_source();
    let app = TestApp::spawn().await;
    let courses = four_courses(&app).await;
    let (c, token) = staff(&app).await;
    let id = create_program(&app, &c, &token, P1, "Keyboard program").await;
    b.goto(&app.url("/login/")).await;
    b.type_text(&b.find("#f-email").await, "ops@example.com").await;
    b.type_text(&b.find("#f-password").await, &format!("a good password{ENTER}"))
        .await;
    wait_for(&b, "signed in", |src| !src.contains("id=\"f-password\"")).await;
    b.goto(&app.url(&format!("/staff/catalog/programs/{id}/requirements/")))
        .await;
    wait_for(&b, "the editor", |src| src.contains("No requirements yet")).await;

    // Enter on a focused button presses it; Enter in a field adds what was typed.
    b.type_text(&b.find("button[value='add-all:']").await, ENTER)
        .await;
    wait_for(&b, "a group", |src| src.contains("id=\"course-0\"")).await;
    for (n, readable) in ["course-v1:TEST+C001", "course-v1:TEST+C002"].iter().enumerate() {
        b.type_text(&b.find("#course-0").await, &format!("{readable}{ENTER}"))
            .await;
        let shown = format!("Course 00{} ({readable})", n + 1);
        wait_for(&b, &shown, |src| src.contains(&shown)).await;
    }
    b.type_text(&b.find("button[value='down:0.0']").await, ENTER)
        .await;
    wait_for(&b, "C002 first", |src| {
        src.find("Course 002 (")
            .zip(src.find("Course 001 ("))
            .is_some_and(|(two, one)| two < one)
    })
    .await;
    if let Some(axe) = &axe {
        let violations = axe_violations(&b, axe).await;
        assert!(violations.is_empty(), "{violations:#?}");
    }
    b.type_text(&b.find("button[value='save']").await, ENTER).await;
    wait_for(&b, "saved", |src| src.contains("Saved.")).await;
    assert_eq!(
        groups(&req_tree(&app, id).await)[0].3,
        vec![courses[1], courses[0]]
    );
    let (_, location, _) = post(
        &app,
        &c,
        &token,
        "/staff/catalog/collections/",
        &[("title", "Keyboard"), ("description", "")],
    )
    .await;
    if let Some(axe) = &axe {
        for path in [
            "/staff/catalog/programs/".to_owned(),
            "/staff/catalog/programs/new/".to_owned(),
            format!("/staff/catalog/programs/{id}/"),
            "/staff/catalog/collections/".to_owned(),
            location,
        ] {
            b.goto(&app.url(&path)).await;
            wait_for(&b, "the page", |src| src.contains("</footer>")).await;
            let violations = axe_violations(&b, axe).await;
            assert!(violations.is_empty(), "{path}: {violations:#?}");
        }
    }
    b.quit().await;
    app.shutdown().await;
}
