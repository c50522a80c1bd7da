//! What is sent: a contact when a learner signs up and when the profile changes, a
//! `checkout_abandoned` deal on cart add, the order's deal through the original's pipeline
//! stages with line items and product, each associated; nothing for a B2B learner.

use std::time::Duration;

use serde_json::{Value, json};

use super::fake::FakeHubspot;
use super::{app_with, deliver_all, patch_me};
use crate::support::commerce::*;
use crate::support::identity::{post_form, signed_in};

const CONTACT_PROPERTIES: [&str; 18] = [
    "email",
    "name",
    "country",
    "state",
    "yearofbirth",
    "gender",
    "company",
    "companysize",
    "jobtitle",
    "industry",
    "jobfunction",
    "yearsexperience",
    "leadershiplevel",
    "highesteducation",
    "typeisstudent",
    "typeisprofessional",
    "typeiseducator",
    "typeisother",
];

#[tokio::test]
async fn signing_up_and_changing_the_profile_send_the_contact_with_the_original_property_names() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    let c = crate::support::client();
    let r = post_form(
        &app,
        &c,
        "/signup/",
        "/signup/",
        &[
            ("email", "hs-new@example.com"),
            ("name", "New Learner"),
            ("password", "a good password"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    deliver_all(&app, Duration::from_secs(20)).await;
    let found = hs.find("contacts", "email", "hs-new@example.com");
    assert_eq!(found.len(), 1, "{:?}", hs.objects("contacts"));
    let mut names: Vec<&str> = found[0].1.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut want = CONTACT_PROPERTIES.to_vec();
    want.sort_unstable();
    assert_eq!(names, want);
    assert_eq!(found[0].1["name"], "New Learner");
    assert!(
        found[0].1.values().all(Value::is_string),
        "all values are strings"
    );
    let paths: Vec<String> = hs
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /crm/v3/objects/contacts/search",
            "POST /crm/v3/objects/contacts"
        ],
        "a search before the create"
    );
    assert_eq!(
        hs.requests()[0].body["filterGroups"][0]["filters"][0],
        json!({"propertyName": "email", "operator": "EQ", "value": "hs-new@example.com"})
    );

    let pat = signed_in(&app, "pat@example.com", false).await;
    let profile = json!({
        "name": "Pat Doe",
        "legal_address": {"country": "US", "state": "US-MA", "first_name": "Pat", "last_name": "Doe"},
        "user_profile": {"gender": "nb", "year_of_birth": 1990, "company_size": 99,
                         "highest_education": "Doctorate", "type_is_educator": true, "company": "MIT"}
    });
    patch_me(&app, &pat, profile).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let p = &hs.find("contacts", "email", "pat@example.com")[0];
    for (k, v) in [
        ("name", "Pat Doe"),
        ("country", "US"),
        ("state", "US-MA"),
        ("gender", "nb"),
        ("yearofbirth", "1990"),
        ("companysize", "99"),
        ("highesteducation", "Doctorate"),
        ("typeiseducator", "true"),
        ("typeisstudent", "false"),
        ("company", "MIT"),
    ] {
        assert_eq!(p.1[k], v, "{k}");
    }
    // A second change updates the same contact, found through the local mapping.
    let before = hs.requests().len();
    patch_me(&app, &pat, json!({"name": "Pat Q. Doe"})).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let later: Vec<String> = hs.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(later, [format!("PATCH /crm/v3/objects/contacts/{}", p.0)]);
    assert_eq!(hs.objects("contacts").len(), 2);
    assert_eq!(
        hs.find("contacts", "email", "pat@example.com")[0].1["name"],
        "Pat Q. Doe"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM hubspot_objects WHERE content_type = 'user'")
            .await,
        2
    );
    app.shutdown().await;
}

/// A full refund through the staff API.
async fn refund(app: &crate::support::TestApp, order: i64) -> (u16, Value) {
    let key = app.api_key(mitxonline::users::api_keys::Scope::Staff).await;
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v0/orders/{order}/refunds/")))
        .header("Authorization", format!("Api-Key {key}"))
        .json(&json!({"reason": "changed mind"}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn stage_of(hs: &FakeHubspot, dealname: &str) -> (String, serde_json::Map<String, Value>) {
    let deals = hs.find("deals", "dealname", dealname);
    assert_eq!(deals.len(), 1, "one deal {dealname}: {:?}", hs.objects("deals"));
    deals.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_cart_add_checkout_payment_and_refund_move_the_deal_through_the_original_stages() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    let (_, product) = run_product(&app, "HSDEAL", "150.00").await;
    let (user, client) = learner(&app, "buyer@example.com").await;

    basket_with(&app, &client, product).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let item = count(
        &app,
        "SELECT max(i.id) FROM basket_items i JOIN baskets b ON b.id = i.basket_id WHERE b.user_id = ?1",
        user,
    )
    .await;
    let (cart, props) = stage_of(&hs, &format!("MITXONLINE-CART-{item}"));
    assert_eq!(props["dealstage"], "checkout_abandoned");
    assert_eq!(props["pipeline"], "pipeline-test");
    let contact = hs.find("contacts", "email", "buyer@example.com")[0].0.clone();
    assert!(hs.associated(("deals", &cart), ("contacts", &contact)));

    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    deliver_all(&app, Duration::from_secs(20)).await;
    let dealname = format!("MITXONLINE-ORDER-{order}");
    let (deal, props) = stage_of(&hs, &dealname);
    assert_eq!(props["dealstage"], "48288388", "pending");
    assert_eq!(props["status"], "pending");
    assert_eq!(props["unique_app_id"], format!("mitxonline-{order}"));
    assert_eq!(props["amount"], "150.00");
    assert_eq!(props["closedate"], "");
    assert_eq!(props["discount_amount"], "0.00");
    assert!(
        hs.associated(("deals", &deal), ("contacts", &contact)),
        "deal → contact"
    );
    let line = count(&app, "SELECT id FROM order_lines WHERE order_id = ?1", order).await;
    let items = hs.find("line_items", "unique_app_id", &format!("mitxonline-{line}"));
    assert_eq!(items.len(), 1);
    let (line_hs, lp) = &items[0];
    let products = hs.find("products", "unique_app_id", &format!("mitxonline-{product}"));
    assert_eq!(
        products.len(),
        1,
        "the product is synced once for the cart and the order"
    );
    assert_eq!(
        products[0].1["name"],
        format!("Run HSDEAL: course-v1:MITxT+HSDEAL+1T2026 [mitxonline-{product}]")
    );
    assert_eq!(products[0].1["price"], "150.00");
    assert_eq!(lp["hs_product_id"], products[0].0.as_str());
    assert_eq!(lp["product_id"], "course-v1:MITxT+HSDEAL+1T2026");
    assert_eq!(lp["quantity"], "1");
    assert_eq!(lp["status"], "pending");
    assert!(
        hs.associated(("line_items", line_hs), ("deals", &deal)),
        "line item → deal"
    );

    pay_on_sandbox(&app, &body, &[("decision", "accept")]).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    assert_eq!(order_state(&app, order).await, "fulfilled");
    let (again, props) = stage_of(&hs, &dealname);
    assert_eq!(again, deal, "the same deal, updated");
    assert_eq!(props["dealstage"], "48288390");
    assert_eq!(props["status"], "fulfilled");
    assert!(props["closedate"].as_str().unwrap().parse::<i64>().unwrap() > 1_700_000_000_000);
    assert_eq!(
        hs.find("line_items", "unique_app_id", &format!("mitxonline-{line}"))[0].1["enrollment_mode"],
        "verified"
    );

    let (st, r) = refund(&app, order).await;
    assert!(st < 300, "{st} {r}");
    deliver_all(&app, Duration::from_secs(20)).await;
    let (_, props) = stage_of(&hs, &dealname);
    assert_eq!(props["status"], "refunded");
    assert_eq!(props["dealstage"], "48288389");
    assert_eq!(
        hs.objects("deals").len(),
        2,
        "the cart deal and the order deal, no duplicates"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_learner_with_a_b2b_contract_is_never_sent() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    let (_, product) = run_product(&app, "HSB2B", "100.00").await;
    let (user, client) = learner(&app, "b2b-learner@example.com").await;
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO b2b_organizations (name, slug, org_key, created_on, updated_on) VALUES ('Org', 'org', 'ORG', ?1, ?1)",
                [&now],
            )?;
            c.execute(
                "INSERT INTO b2b_contracts (organization_id, name, slug, membership_type, created_on, updated_on)
                 VALUES (last_insert_rowid(), 'K', 'k', 'managed', ?1, ?1)",
                [&now],
            )?;
            c.execute(
                "INSERT INTO b2b_attachments (user_id, contract_id, created_on) VALUES (?1, last_insert_rowid(), ?2)",
                rusqlite::params![user, now],
            )
        })
        .await
        .unwrap();
    basket_with(&app, &client, product).await;
    let body = started_checkout(&app, &client, product).await;
    assert!(body["order_id"].as_i64().is_some());
    deliver_all(&app, Duration::from_secs(20)).await;
    assert!(
        app.scalar_i64("SELECT count(*) FROM outbox WHERE destination = 'hubspot' AND status = 'delivered'")
            .await
            >= 2,
        "the messages were handled (as skips)"
    );
    assert!(hs.requests().is_empty(), "nothing sent: {:?}", hs.requests());
    app.shutdown().await;
}

#[tokio::test]
async fn an_order_for_a_course_of_a_program_the_learner_is_enrolled_in_sends_no_deal() {
    let hs = FakeHubspot::start().await;
    let app = app_with(&hs.url, "50").await;
    let (run, product) = run_product(&app, "HSPROG", "100.00").await;
    let (user, client) = learner(&app, "in-program@example.com").await;
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO programs (title, readable_id, live, created_on, updated_on) VALUES ('P', 'program-v1:HSPROG', 1, ?1, ?1)",
                [&now],
            )?;
            let program = c.last_insert_rowid();
            c.execute(
                "INSERT INTO program_requirements (program_id, node_type) VALUES (?1, 'program_root')",
                [program],
            )?;
            let root = c.last_insert_rowid();
            c.execute(
                "INSERT INTO program_requirements (program_id, parent_id, node_type, course_id)
                 SELECT ?1, ?2, 'course', course_id FROM course_runs WHERE id = ?3",
                rusqlite::params![program, root, run],
            )?;
            c.execute(
                "INSERT INTO program_enrollments (user_id, program_id, created_on, updated_on) VALUES (?1, ?2, ?3, ?3)",
                rusqlite::params![user, program, now],
            )
        })
        .await
        .unwrap();
    let body = started_checkout(&app, &client, product).await;
    let order = body["order_id"].as_i64().unwrap();
    deliver_all(&app, Duration::from_secs(20)).await;
    assert!(
        hs.find("deals", "dealname", &format!("MITXONLINE-ORDER-{order}"))
            .is_empty(),
        "no order deal: {:?}",
        hs.objects("deals")
    );
    assert_eq!(hs.objects("deals").len(), 1, "only the cart add's deal");
    app.shutdown().await;
}
