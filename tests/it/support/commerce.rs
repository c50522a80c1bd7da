//! Shared steps of the commerce tests: a course run with a product, learners with bearer
//! tokens, discounts created through the staff API, and CyberSource results signed with the
//! sandbox key (what the gateway would post back).

use std::time::Duration;

use mitxonline::db::DbError;
use mitxonline::integrations::cybersource::{CyberSource, signing::sign_fields};
use mitxonline::users::api_keys::Scope;
use mitxonline::users::store::{self, NewUser};
use serde_json::Value;

use crate::support::TestApp;

/// A live, upgradable course run (verified mode) of a new course with a product at `price`; returns
/// `(run id, product id)`.
pub async fn run_product(app: &TestApp, tag: &str, price: &str) -> (i64, i64) {
    let now = app.state.clock.now();
    let tag = tag.to_owned();
    let price = price.to_owned();
    app.state
        .db
        .write(move |c| {
            let t = mitxonline::clock::to_db(now);
            let start = mitxonline::clock::to_db(now - chrono::Duration::days(1));
            let end = mitxonline::clock::to_db(now + chrono::Duration::days(90));
            c.execute(
                "INSERT INTO courses (title, readable_id, live, created_on, updated_on) VALUES (?1, ?2, 1, ?3, ?3)",
                rusqlite::params![format!("Course {tag}"), format!("course-v1:MITxT+{tag}"), t],
            )?;
            let course = c.last_insert_rowid();
            c.execute(
                "INSERT INTO course_runs (course_id, title, courseware_id, run_tag, start_date, end_date, enrollment_start,
                    upgrade_deadline, live, created_on, updated_on)
                 VALUES (?1, ?2, ?3, '1T2026', ?4, ?5, ?4, ?5, 1, ?6, ?6)",
                rusqlite::params![course, format!("Run {tag}"), format!("course-v1:MITxT+{tag}+1T2026"), start, end, t],
            )?;
            let run = c.last_insert_rowid();
            let verified = mitxonline::catalog::store::ensure_mode(c, "verified", true)?;
            c.execute(
                "INSERT INTO course_run_modes (course_run_id, mode_id) VALUES (?1, ?2)",
                rusqlite::params![run, verified],
            )?;
            c.execute(
                "INSERT INTO products (course_run_id, is_active, created_on) VALUES (?1, 1, ?2)",
                rusqlite::params![run, t],
            )?;
            let product = c.last_insert_rowid();
            c.execute(
                "INSERT INTO product_versions (product_id, price, description, created_on) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![product, price, format!("Course {tag} verified"), t],
            )?;
            Ok::<_, DbError>((run, product))
        })
        .await
        .unwrap()
}

/// A learner with a bearer token: `(user id, client that sends the token)`.
pub async fn learner(app: &TestApp, email: &str) -> (i64, reqwest::Client) {
    let now = app.state.clock.now();
    let email = email.to_owned();
    let (id, token) = app
        .state
        .db
        .write(move |c| {
            let username = store::free_username(c, &email)?;
            let id = store::insert(
                c,
                &NewUser {
                    email,
                    username,
                    name: "Test Learner".into(),
                    is_staff: false,
                    is_superuser: false,
                    password_hash: None,
                },
                now,
            )?;
            // Test callers authenticate by a staff-minted bearer token, which only service accounts hold.
            store::set_service_account(c, id, true, now)?;
            let token = mitxonline::users::sessions::issue_access_token(
                c,
                id,
                "test",
                chrono::Duration::days(1),
                now,
            )?;
            Ok::<_, DbError>((id, token))
        })
        .await
        .unwrap();
    (id, bearer_client(&token))
}

pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(h)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Creates a discount through the staff API; returns its JSON.
pub async fn discount(app: &TestApp, body: Value) -> Value {
    let key = app.api_key(Scope::Staff).await;
    let req = reqwest::Client::new()
        .post(app.url("/api/v0/discounts/"))
        .header("Authorization", format!("Api-Key {key}"))
        .json(&body);
    let (status, discount) = super::openapi::send_json(req).await;
    assert_eq!(status, 201, "discount creation: {discount}");
    discount
}

/// Puts the product in the learner's basket (v0 create_from_product).
pub async fn basket_with(app: &TestApp, client: &reqwest::Client, product: i64) -> Value {
    let req = client.post(app.url(&format!("/api/v0/baskets/create_from_product/{product}/")));
    let (status, basket) = super::openapi::send_json(req).await;
    assert!((200..300).contains(&status), "create_from_product: {status}");
    basket
}

/// GET `/api/v0/baskets/checkout/`.
pub async fn checkout(app: &TestApp, client: &reqwest::Client) -> (u16, Value) {
    super::openapi::send_json(client.get(app.url("/api/v0/baskets/checkout/"))).await
}

/// The gateway's result for a checkout payload, signed with the sandbox key.
pub fn signed_result(
    app: &TestApp,
    payload: &Value,
    decision: &str,
    transaction_id: &str,
) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = vec![
        ("decision".into(), decision.into()),
        (
            "reason_code".into(),
            if decision == "ACCEPT" { "100" } else { "481" }.into(),
        ),
        ("message".into(), "test".into()),
        ("transaction_id".into(), transaction_id.into()),
        ("req_card_number".into(), "xxxxxxxxxxxx1111".into()),
        ("req_card_type".into(), "001".into()),
    ];
    for (k, v) in payload.as_object().unwrap() {
        if k == "signature" || k == "signed_field_names" {
            continue;
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Null => "None".into(),
            other => other.to_string(),
        };
        fields.push((format!("req_{k}"), v));
    }
    let cs = CyberSource::from_config(&app.state.config);
    assert!(cs.sandbox, "results are signed with this database's sandbox key");
    sign_fields(cs.credentials.security_key.expose(), fields)
}

/// POSTs form fields to a result endpoint with a fresh (cookie-less) client.
pub async fn post_result(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    crate::support::client()
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

pub async fn order_state(app: &TestApp, order: i64) -> String {
    app.state
        .db
        .read(move |c| {
            c.query_row("SELECT state FROM orders WHERE id = ?1", [order], |r| {
                r.get::<_, String>(0)
            })
        })
        .await
        .unwrap()
}

pub async fn count(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    app.state
        .db
        .read(move |c| c.query_row(sql, [id], |r| r.get(0)))
        .await
        .unwrap()
}

/// Checkout JSON for a learner with the product in the basket.
pub async fn started_checkout(app: &TestApp, client: &reqwest::Client, product: i64) -> Value {
    basket_with(app, client, product).await;
    let (status, body) = checkout(app, client).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The hidden inputs of an HTML form, unescaped.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|chunk| {
            let (name, rest) = chunk.split_once("\" value=\"").unwrap();
            (unescape(name), unescape(rest.split_once('"').unwrap().0))
        })
        .collect()
}

/// The action of the first form posting to a path containing `needle`.
pub fn form_action(html: &str, needle: &str) -> String {
    html.split("action=\"")
        .skip(1)
        .map(|c| c.split_once('"').unwrap().0.replace("&amp;", "&"))
        .find(|a| a.contains(needle))
        .unwrap_or_else(|| panic!("no form posting to {needle} in {html}"))
}

/// Pays a checkout payload on the sandbox page; returns the browser's result form fields.
pub async fn pay_on_sandbox(
    app: &TestApp,
    checkout: &Value,
    choice: &[(&str, &str)],
) -> Vec<(String, String)> {
    let fields: Vec<(String, String)> = checkout["payload"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(
                    || if v.is_null() { "None".into() } else { v.to_string() },
                    str::to_owned,
                ),
            )
        })
        .collect();
    let browser = crate::support::client();
    let page = browser
        .post(checkout["url"].as_str().unwrap())
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let action = form_action(&html, "/sandbox/cybersource/pay/");
    let r = browser.post(app.url(&action)).form(choice).send().await.unwrap();
    assert_eq!(r.status(), 200);
    hidden_inputs(&r.text().await.unwrap())
}

/// A field of a checkout response's signed payload, as text.
pub fn field(checkout: &Value, k: &str) -> String {
    match &checkout["payload"][k] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A client that sends a staff Api-Key.
pub async fn staff(app: &TestApp) -> reqwest::Client {
    let key = app.api_key(mitxonline::users::api_keys::Scope::Staff).await;
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("Authorization", format!("Api-Key {key}").parse().unwrap());
    reqwest::Client::builder()
        .default_headers(h)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}
