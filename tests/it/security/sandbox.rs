//! Issue 11, item 4: the sandbox CyberSource was an open door — an unsigned
//! `override_backoffice_post_url` made the server POST, with retries, anywhere, and its keys were
//! derived from the public URL. Now overrides must be signed and on our own site, the keys are
//! random per database, and sandboxes run only in dev/test (or with `MITXONLINE_SANDBOX=on`).

use base64::Engine as _;
use mitxonline::integrations::cybersource::signing::sign_fields;
use mitxonline::integrations::cybersource::{CheckoutLine, CheckoutOrder, CyberSource, ReturnUrls};
use mitxonline::users::api_keys::Scope;
use rust_decimal::Decimal;
use sha2::{Digest as _, Sha256};

use crate::support::TestApp;
use crate::support::commerce::{learner, post_result, run_product, signed_result, started_checkout};
use crate::support::fake::FakeServer;
use crate::support::process::run_cli;

fn order(reference: &str) -> CheckoutOrder {
    CheckoutOrder {
        username: "learner".into(),
        ip_address: None,
        reference: reference.into(),
        lines: vec![CheckoutLine {
            code: "19".into(),
            name: "Course".into(),
            sku: "19-1".into(),
            quantity: 1,
            unit_price: Decimal::new(10000, 2),
            tax_amount: Decimal::ZERO,
        }],
        merchant_fields: vec![1.into()],
    }
}

async fn post_checkout(url: &str, fields: &[(String, String)]) -> (u16, String) {
    let r = crate::support::client()
        .post(url)
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn an_unsigned_or_foreign_override_backoffice_post_url_never_makes_the_sandbox_post_elsewhere() {
    let attacker = FakeServer::start().await;
    let app = TestApp::spawn().await;
    app.expect_undelivered_to("cybersource_sandbox_callback");
    let cs = CyberSource::from_config(&app.state.config);
    let urls = |backoffice: Option<String>| ReturnUrls {
        receipt: app.url("/checkout/result/"),
        cancel: app.url("/checkout/result/"),
        backoffice,
    };
    let now = app.state.clock.now();
    let evil = format!("{}/collect", attacker.url);

    // 1. The exploit as reported: a correctly signed form plus an unsigned override field.
    let mut form = cs.checkout(&order("mitxonline-dev-1"), &urls(None), now);
    form.fields
        .push(("override_backoffice_post_url".into(), evil.clone()));
    let (status, page) = post_checkout(&form.url, &form.fields).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("override_backoffice_post_url"), "{page}");

    // 2. Signed, but to another site (and the receipt page elsewhere, too).
    let form = cs.checkout(&order("mitxonline-dev-2"), &urls(Some(evil.clone())), now);
    let (status, page) = post_checkout(&form.url, &form.fields).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("override_backoffice_post_url"), "{page}");
    let mut foreign_receipt = urls(None);
    foreign_receipt.receipt = format!("{}/checkout/result/", attacker.url);
    let form = cs.checkout(&order("mitxonline-dev-3"), &foreign_receipt, now);
    let (status, page) = post_checkout(&form.url, &form.fields).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("override_custom_receipt_page"), "{page}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM cybersource_sandbox_payments")
            .await,
        0,
        "nothing was recorded"
    );

    // 3. A signed override on our own site is honoured.
    let own = app.url("/api/checkout/result/?from=override");
    let form = cs.checkout(&order("mitxonline-dev-4"), &urls(Some(own.clone())), now);
    let (status, page) = post_checkout(&form.url, &form.fields).await;
    assert_eq!(status, 200, "{page}");
    let action = crate::support::commerce::form_action(&page, "/sandbox/cybersource/pay/");
    let r = crate::support::client()
        .post(app.url(&action))
        .form(&[("decision", "accept")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let queued = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT json_extract(payload, '$.url') FROM outbox WHERE destination = 'cybersource_sandbox_callback'",
                [],
                |r| r.get::<_, String>(0),
            )
            .map_err(mitxonline::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(queued, own);
    app.drain_outbox().await;
    assert_eq!(attacker.count(), 0, "the attacker's address was never contacted");
    app.shutdown().await;
}

#[tokio::test]
async fn results_signed_with_the_key_derivable_from_the_public_url_are_refused() {
    let public = "http://127.0.0.1:9/same-public-url";
    let one = TestApp::builder().public_url(public).spawn().await;
    let two = TestApp::builder().public_url(public).spawn().await;
    let key = |app: &TestApp| {
        CyberSource::from_config(&app.state.config)
            .credentials
            .security_key
            .expose()
            .to_owned()
    };
    assert_ne!(
        key(&one),
        key(&two),
        "random per database, not derived from the URL"
    );
    let rest = |app: &TestApp| CyberSource::from_config(&app.state.config).rest.unwrap().secret;
    assert_ne!(rest(&one), rest(&two));
    two.shutdown().await;

    // The old public formula: hex SHA-256 of "mitxonline-cybersource-sandbox:<public url>".
    let derived: String = Sha256::digest(format!("mitxonline-cybersource-sandbox:{public}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(derived, key(&one));
    let old_rest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(
        format!("mitxonline-cybersource-sandbox-rest:{public}").as_bytes(),
    ));
    assert_ne!(old_rest, rest(&one).expose());

    let (_, product) = run_product(&one, "DERIVED", "100.00").await;
    let (_, client) = learner(&one, "derived@example.com").await;
    let checkout = started_checkout(&one, &client, product).await;
    let order = checkout["order_id"].as_i64().unwrap();
    let honest = signed_result(&one, &checkout["payload"], "ACCEPT", "7001");
    let forged = sign_fields(
        &derived,
        honest
            .iter()
            .filter(|(k, _)| k != "signature" && k != "signed_field_names")
            .cloned()
            .collect(),
    );
    for path in ["/api/checkout/result/", "/checkout/result/"] {
        let r = post_result(&one, path, &forged).await;
        assert!(matches!(r.status().as_u16(), 401 | 403), "{path}: {}", r.status());
    }
    assert_eq!(
        crate::support::commerce::order_state(&one, order).await,
        "pending"
    );
    one.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_keys_survive_a_restart_of_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let app = TestApp::builder().env("MITXONLINE_DATA_DIR", &data).spawn().await;
    let first = CyberSource::from_config(&app.state.config)
        .credentials
        .security_key;
    app.shutdown().await;
    let app = TestApp::builder().env("MITXONLINE_DATA_DIR", &data).spawn().await;
    assert_eq!(
        CyberSource::from_config(&app.state.config)
            .credentials
            .security_key,
        first
    );
    app.shutdown().await;
}

#[tokio::test]
async fn serve_refuses_to_start_outside_dev_and_test_with_a_sandbox_naming_the_missing_variables() {
    let dir = tempfile::tempdir().unwrap();
    let prod = [("MITXONLINE_ENVIRONMENT", "production")];
    for args in [&["serve"][..], &["config", "check"][..]] {
        let out = run_cli(dir.path(), &prod, args);
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        for v in [
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            "MITXONLINE_CYBERSOURCE_ACCESS_KEY",
            "MITXONLINE_CYBERSOURCE_PROFILE_ID",
            "MITXONLINE_CYBERSOURCE_SECURITY_KEY",
            "MITXONLINE_OPENEDX_API_BASE_URL",
            "MITXONLINE_SMTP_URL",
        ] {
            assert!(err.contains(v), "{args:?} names {v}: {err}");
        }
        assert!(err.contains("MITXONLINE_SANDBOX=on"), "{err}");
    }
    // Only the partner that is missing is named.
    let out = run_cli(
        dir.path(),
        &[
            ("MITXONLINE_ENVIRONMENT", "production"),
            ("MITXONLINE_OPENEDX_API_BASE_URL", "http://127.0.0.1:9"),
            ("MITXONLINE_SMTP_URL", "smtp://127.0.0.1:9"),
        ],
        &["config", "check"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("MITXONLINE_CYBERSOURCE_SECURITY_KEY"),
        "{err}"
    );
    assert!(
        !err.contains("MITXONLINE_OPENEDX_API_BASE_URL") && !err.contains("MITXONLINE_SMTP_URL"),
        "{err}"
    );
    // An explicit switch runs the sandboxes anywhere; the dev default and `test` need none.
    for env in [
        &[
            ("MITXONLINE_ENVIRONMENT", "staging"),
            ("MITXONLINE_SANDBOX", "on"),
        ][..],
        &[("MITXONLINE_ENVIRONMENT", "test")][..],
        &[][..],
    ] {
        let out = run_cli(dir.path(), env, &["config", "check"]);
        assert!(
            out.status.success(),
            "{env:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // And the switch also turns them off in dev.
    let out = run_cli(dir.path(), &[("MITXONLINE_SANDBOX", "off")], &["config", "check"]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn with_sandboxes_off_every_sandbox_route_answers_404() {
    let app = TestApp::builder()
        .env("MITXONLINE_ENVIRONMENT", "production")
        .env(
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            "http://127.0.0.1:9/pay",
        )
        .env("MITXONLINE_CYBERSOURCE_ACCESS_KEY", "ak")
        .env("MITXONLINE_CYBERSOURCE_PROFILE_ID", "pid")
        .env("MITXONLINE_CYBERSOURCE_SECURITY_KEY", "sk")
        .env("MITXONLINE_OPENEDX_API_BASE_URL", "http://127.0.0.1:9")
        .env("MITXONLINE_SMTP_URL", "smtp://127.0.0.1:9")
        .env("MITXONLINE_KEYCLOAK_BASE_URL", "http://127.0.0.1:9")
        .env("MITXONLINE_KEYCLOAK_ADMIN_CLIENT_ID", "mitxonline")
        .env("MITXONLINE_KEYCLOAK_ADMIN_CLIENT_SECRET", "kc-secret")
        .spawn()
        .await;
    assert!(!app.state.config.sandbox_allowed());
    assert!(
        app.state.config.sandbox_keys.is_none(),
        "no sandbox keys were made"
    );
    let staff = app.api_key(Scope::Staff).await;
    let client = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/sandbox/cybersource/pay"),
        ("POST", "/sandbox/cybersource/pay"),
        ("POST", "/sandbox/cybersource/pay/sometoken"),
        ("POST", "/sandbox/cybersource/rest/tss/v2/searches"),
        ("GET", "/sandbox/cybersource/rest/tss/v2/transactions/1"),
        ("POST", "/sandbox/cybersource/rest/pts/v2/payments/1/refunds"),
        ("POST", "/sandbox/cybersource/faults/lose-next-refund-reply"),
        ("GET", "/api/v0/staff/openedx/sandbox/"),
        ("GET", "/api/v0/staff/keycloak/sandbox/organizations/"),
        ("POST", "/api/v0/staff/keycloak/sandbox/organizations/"),
    ] {
        let r = client
            .request(method.parse().unwrap(), app.url(path))
            .header("Authorization", format!("Api-Key {staff}"))
            .form(&[("decision", "accept")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
    }
    app.shutdown().await;
}
