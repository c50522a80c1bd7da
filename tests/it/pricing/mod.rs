//! Flexible pricing: the learner's request from form to discounted order, staff review with
//! mails, validation, exchange rates and thresholds, and the form in a real browser.

mod browser;
mod learner;
mod rates;
mod related;
mod review;
mod shapes;

use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};
use mitxonline::pricing::model::Courseware;
use mitxonline::pricing::store::FormTexts;
use mitxonline::users::api_keys::Scope;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::{discount, run_product};

/// A course with a run product at `price`, three financial-assistance tiers on the course
/// (75% off from $0, 50% off from $25,000, nothing off from $75,000), its request form, the
/// sandbox exchange rates and India's threshold at $25,000. Returns
/// `(course id, product id, [tier discount ids])`.
pub async fn priced_course(app: &TestApp, tag: &str, price: &str) -> (i64, i64, [i64; 3]) {
    let (run, product) = run_product(app, tag, price).await;
    let course: i64 = app
        .state
        .db
        .read(move |c| {
            c.query_row("SELECT course_id FROM course_runs WHERE id = ?1", [run], |r| {
                r.get(0)
            })
        })
        .await
        .unwrap();
    let ids = with_tiers(app, tag, Courseware::Course(course)).await;
    (course, product, ids)
}

/// [`priced_course`]'s tiers, form, rates and threshold for any course or program; returns
/// the tier discount ids.
pub async fn with_tiers(app: &TestApp, tag: &str, w: Courseware) -> [i64; 3] {
    let (kind, id) = kind_and_id(w);
    let key = app.api_key(Scope::Staff).await;
    let staff = reqwest::Client::new();
    let mut ids = [0i64; 3];
    for (i, (pct, threshold)) in [(75, 0), (50, 25_000), (0, 75_000)].into_iter().enumerate() {
        let d = discount(
            app,
            json!({"discount_code": format!("FA-{tag}-{pct}"), "amount": pct.to_string(), "discount_type": "percent-off",
                   "payment_type": "financial-assistance"}),
        )
        .await;
        ids[i] = d["id"].as_i64().unwrap();
        let r = staff
            .post(app.url(&format!("/api/v0/discounts/{}/tiers/", ids[i])))
            .header("Authorization", format!("Api-Key {key}"))
            .json(&json!({"courseware_type": kind, "courseware_id": id, "current": true, "income_threshold_usd": threshold}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "tier creation");
    }
    mitxonline::pricing::form_service::save(
        &app.state,
        "test".into(),
        w,
        FormTexts {
            title: "Financial assistance".into(),
            intro: "Tell us your income.".into(),
            guest_text: "Sign in first.".into(),
            processing_text: "Upload your documents to the secure site.".into(),
            approved_text: "Approved!".into(),
            approved_no_discount_text: "Approved, no discount.".into(),
            denied_text: "Denied.".into(),
        },
        true,
    )
    .await
    .unwrap();
    let outcome = app.run_job("update-currency-exchange-rates").await;
    assert_eq!(outcome.status, "succeeded", "{}", outcome.detail);
    let r = staff
        .post(app.url("/api/v0/flexible_pricing/income_thresholds/"))
        .header("Authorization", format!("Api-Key {key}"))
        .json(&json!({"country_code": "IN", "income_threshold": 25000}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "threshold: {}", r.status());
    ids
}

/// The API's `(courseware_type, courseware_id)` of a course or program.
fn kind_and_id(w: Courseware) -> (&'static str, i64) {
    match w {
        Courseware::Course(id) => ("course", id),
        Courseware::Program(id) => ("program", id),
    }
}

/// POSTs a request for a course over the API; returns `(status, body)`.
pub async fn apply(
    app: &TestApp,
    client: &reqwest::Client,
    course: i64,
    income: &str,
    currency: &str,
    country: &str,
) -> (u16, Value) {
    apply_to(app, client, Courseware::Course(course), income, currency, country).await
}

/// POSTs a request for a course or program over the API; returns `(status, body)`.
pub async fn apply_to(
    app: &TestApp,
    client: &reqwest::Client,
    w: Courseware,
    income: &str,
    currency: &str,
    country: &str,
) -> (u16, Value) {
    let (kind, id) = kind_and_id(w);
    let r = client
        .post(app.url("/api/flexible_pricing/applications/"))
        .json(
            &json!({"courseware_type": kind, "courseware_id": id, "income": income, "currency": currency,
                      "country_of_income": country, "country_of_residence": country}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Publishes a CMS product page for the course (what `/courses/{readable_id}/` renders);
/// returns the page's path.
pub async fn course_page(app: &TestApp, course: i64) -> String {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let (title, readable): (String, String) = c.query_row(
                "SELECT title, readable_id FROM courses WHERE id = ?1",
                [course],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let content = PageContent {
                title,
                ..PageContent::default()
            };
            let page = NewPage {
                page_type: PageType::Course,
                slug: &readable,
                course_id: Some(course),
                program_id: None,
                parent_id: None,
            };
            let (pid, rev) = cms::create_page(c, &page, &content, "test", now)?;
            cms::publish(c, pid, rev, now)?;
            Ok::<_, rusqlite::Error>(format!("/courses/{readable}/"))
        })
        .await
        .unwrap()
}

/// A client sending a staff-scope API key.
pub async fn staff_client(app: &TestApp) -> reqwest::Client {
    let key = app.api_key(Scope::Staff).await;
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("authorization", format!("Api-Key {key}").parse().unwrap());
    reqwest::Client::builder().default_headers(h).build().unwrap()
}
