//! A real browser (headless Chromium) asks for financial assistance through the form under a
//! course page and sees its new price there, in the cart and on the course page.

use std::time::Duration;

use super::{course_page, priced_course};
use crate::support::TestApp;
use crate::support::browser::Browser;

async fn wait_for(b: &Browser, what: &str, test: impl Fn(&str, &str) -> bool) {
    for _ in 0..200 {
        let url = b.current_url().await;
        let src = b.source().await;
        if test(&url, &src) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "never saw {what}; at {} with {}",
        b.current_url().await,
        b.source().await
    );
}

#[tokio::test]
async fn a_learner_fills_the_request_form_in_a_real_browser_and_sees_the_new_price() {
    let Some(b) = Browser::start().await else { return };
    let app = TestApp::spawn().await;
    let (course, _, _) = priced_course(&app, "FPB1", "800.00").await;
    let readable: String = app
        .state
        .db
        .read(move |c| {
            c.query_row("SELECT readable_id FROM courses WHERE id = ?1", [course], |r| {
                r.get(0)
            })
        })
        .await
        .unwrap();
    crate::support::identity::make_user(&app, "fp-browser@example.com", "a browsing password", false).await;
    let page = format!("/courses/{readable}/financial-assistance-request/");
    let product_page = course_page(&app, course).await;

    b.goto(&app.url(&page)).await;
    wait_for(&b, "the guest text", |_, src| src.contains("Sign in first.")).await;
    b.goto(&app.url("/login/")).await;
    let email = b.find("#f-email").await;
    b.type_text(&email, "fp-browser@example.com").await;
    let pw = b.find("#f-password").await;
    b.type_text(&pw, "a browsing password").await;
    let button = b.find("form[action='/login/'] button[type=submit]").await;
    b.click(&button).await;
    wait_for(&b, "signed in", |url, _| !url.contains("/login/")).await;

    b.goto(&app.url(&page)).await;
    wait_for(&b, "the form", |_, src| src.contains("flexible-pricing-form")).await;
    assert!(b.source().await.contains("$800.00"));
    let income = b.find("#f-income").await;
    b.type_text(&income, "2500000").await;
    for (id, value) in [
        ("f-currency", "INR"),
        ("f-country_of_income", "IN"),
        ("f-country_of_residence", "IN"),
    ] {
        b.eval(&format!(
            "document.getElementById('{id}').value = '{value}'; return true;"
        ))
        .await;
    }
    let submit = b.find("form.flexible-pricing-form button[type=submit]").await;
    b.click(&submit).await;
    wait_for(&b, "the approved text and the new price", |_, src| {
        src.contains("Approved!") && src.contains("class=\"fp-your-price\">$400.00<")
    })
    .await;
    let add = b.find(".fp-price form button[type=submit]").await;
    b.click(&add).await;
    wait_for(&b, "the cart at the new price", |url, src| {
        url.ends_with("/cart/") && src.contains("id=\"cart-discounted-total\">$400.00<")
    })
    .await;
    b.goto(&app.url(&product_page)).await;
    wait_for(&b, "the course page at the new price", |_, src| {
        src.contains("<del class=\"list-price\">$800.00</del>")
            && src.contains("class=\"your-price\">$400.00<")
    })
    .await;
    b.quit().await;
}
