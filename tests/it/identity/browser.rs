//! A real browser (headless Chromium) signs up in local mode, confirms the emailed link,
//! completes onboarding and edits the profile — with no JavaScript needed by the forms.

use std::time::Duration;

use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::identity::{last_mail, link_in};

async fn wait_for_path(b: &Browser, fragment: &str) -> String {
    for _ in 0..100 {
        let url = b.current_url().await;
        if url.contains(fragment) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "never reached {fragment}; at {} with {}",
        b.current_url().await,
        b.source().await
    );
}

async fn fill(b: &Browser, css: &str, text: &str) {
    let el = b.find(css).await;
    b.clear(&el).await;
    b.type_text(&el, text).await;
}

async fn choose(b: &Browser, id: &str, value: &str) {
    b.eval(&format!(
        "document.getElementById('{id}').value = '{value}'; return true"
    ))
    .await;
}

async fn submit(b: &Browser, form_action: &str) {
    let button = b
        .find(&format!("form[action='{form_action}'] button[type=submit]"))
        .await;
    b.click(&button).await;
}

#[tokio::test]
async fn a_learner_signs_up_completes_onboarding_and_edits_the_profile_in_a_real_browser() {
    let Some(b) = Browser::start().await else { return };
    let app = TestApp::spawn().await;

    b.goto(&app.url("/signup/")).await;
    fill(&b, "#f-email", "browser@example.com").await;
    fill(&b, "#f-name", "Browser Learner").await;
    fill(&b, "#f-password", "a browser password").await;
    submit(&b, "/signup/").await;
    for _ in 0..100 {
        if b.source().await.contains("Check your email") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(b.source().await.contains("Check your email"));

    let link = link_in(&app, &last_mail(&app, "browser@example.com").await);
    b.goto(&app.url(&link)).await;
    submit(&b, "/verify-email/").await;
    wait_for_path(&b, "/create-profile/").await;
    assert_eq!(
        b.attr(&b.find("#f-name").await, "value").await.as_deref(),
        Some("Browser Learner")
    );
    fill(&b, "#f-username", "browser_learner").await;
    fill(&b, "#f-legal_address-first_name", "Browser").await;
    fill(&b, "#f-legal_address-last_name", "Learner").await;
    fill(&b, "#f-legal_address-street_address_1", "77 Massachusetts Ave").await;
    fill(&b, "#f-legal_address-city", "Cambridge").await;
    choose(&b, "f-legal_address-country", "US").await;
    choose(&b, "f-legal_address-state", "US-MA").await;
    fill(&b, "#f-legal_address-postal_code", "02139").await;
    fill(&b, "#f-user_profile-year_of_birth", "1999").await;
    choose(&b, "f-user_profile-gender", "f").await;
    submit(&b, "/create-profile/").await;
    wait_for_path(&b, "/create-profile-extra/").await;

    fill(&b, "#f-company", "MIT").await;
    fill(&b, "#f-job_title", "Researcher").await;
    choose(&b, "f-company_size", "99").await;
    submit(&b, "/create-profile-extra/").await;
    wait_for_path(&b, "/dashboard/").await;

    b.goto(&app.url("/profile/")).await;
    let city = b.find("#f-legal_address-city").await;
    assert_eq!(b.attr(&city, "value").await.as_deref(), Some("Cambridge"));
    assert_eq!(
        b.eval("return document.getElementById('f-user_profile-company_size').value")
            .await,
        "99"
    );
    fill(&b, "#f-legal_address-city", "Boston").await;
    submit(&b, "/profile/").await;
    wait_for_path(&b, "/profile/?saved=1").await;
    assert!(b.source().await.contains("Your profile was saved."));
    assert_eq!(
        b.attr(&b.find("#f-legal_address-city").await, "value")
            .await
            .as_deref(),
        Some("Boston")
    );

    // An invalid change shows the form again with the field's error, and saves nothing.
    fill(&b, "#f-legal_address-postal_code", "ABCDE").await;
    submit(&b, "/profile/").await;
    let err = b.find("#f-legal_address-postal_code-error").await;
    assert!(b.text(&err).await.contains("ZIP"));

    let (_, me) = app.get_json("/api/users/me").await;
    assert_eq!(
        me["is_authenticated"], false,
        "the test client itself is anonymous"
    );
    let db_city = app
        .scalar_i64("SELECT count(*) FROM legal_addresses WHERE city = 'Boston' AND postal_code = '02139'")
        .await;
    assert_eq!(db_city, 1);
    b.quit().await;
    app.shutdown().await;
}
