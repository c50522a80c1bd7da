//! OIDC mode against a fake Keycloak (tests/it/support/fake.rs) whose ID tokens are signed
//! with a committed test RSA key: PKCE, state and nonce, signature and claims.

use std::collections::BTreeMap;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::fake::{FakeServer, Reply};
use crate::support::{TestApp, client};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/identity");
const CLIENT_ID: &str = "mitxonline-test";

struct Keycloak {
    fake: FakeServer,
    issuer: String,
}

impl Keycloak {
    async fn start() -> Keycloak {
        let fake = FakeServer::start().await;
        let issuer = format!("{}/realms/olapps", fake.url);
        fake.push(Reply::json(
            200,
            json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
                "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
                "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
                "end_session_endpoint": format!("{issuer}/protocol/openid-connect/logout"),
            }),
        ));
        Keycloak { fake, issuer }
    }

    fn id_token(&self, key_file: &str, claims: Value) -> String {
        let pem = std::fs::read(format!("{DATA}/{key_file}")).unwrap();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("test-key-1".into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
    }

    /// Scripts the token endpoint's and the JWKS's next replies.
    fn will_issue(&self, id_token: &str) {
        self.fake.push(Reply::json(
            200,
            json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}),
        ));
        let jwks: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/oidc_test_jwks.json")).unwrap())
                .unwrap();
        self.fake.push(Reply::json(200, jwks));
    }
}

async fn oidc_app(kc: &Keycloak) -> TestApp {
    TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "oidc")
        .env(
            "MITXONLINE_OIDC_DISCOVERY_URL",
            &format!("{}/.well-known/openid-configuration", kc.issuer),
        )
        .env("MITXONLINE_OIDC_CLIENT_ID", CLIENT_ID)
        .env("MITXONLINE_OIDC_CLIENT_SECRET", "s3cret")
        .spawn()
        .await
}

/// Follows /login/ to the provider; returns the authorization request's query.
async fn begin(app: &TestApp, c: &reqwest::Client) -> BTreeMap<String, String> {
    let r = c.get(app.url("/login/?next=/catalog/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = c
        .get(app.url(r.headers()["location"].to_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let url = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(url.path().ends_with("/protocol/openid-connect/auth"));
    url.query_pairs().into_owned().collect()
}

fn claims(kc: &Keycloak, nonce: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": kc.issuer, "aud": CLIENT_ID, "sub": "9e0f6a3c-aaaa-4bbb-8ccc-000000000001",
        "exp": now + 300, "iat": now, "nonce": nonce,
        "email": "oidc@example.com", "preferred_username": "oidc_user", "name": "Oidc User"
    })
}

#[tokio::test]
async fn the_code_flow_with_pkce_signs_a_keycloak_user_in() {
    let kc = Keycloak::start().await;
    let app = oidc_app(&kc).await;
    let c = client();
    let q = begin(&app, &c).await;
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], app.url("/login/oidc/callback/"));
    kc.will_issue(&kc.id_token("oidc_test_rsa.pem", claims(&kc, &q["nonce"])));
    let r = c
        .get(app.url(&format!(
            "/login/oidc/callback/?state={}&code=the-code",
            q["state"]
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["location"], "/create-profile/?next=%2Fcatalog%2F");
    let me: Value = c
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["global_id"], "9e0f6a3c-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(me["email"], "oidc@example.com");
    assert_eq!(me["username"], "oidc_user");
    // The token request proved the PKCE verifier and sent the code.
    let token_req = kc
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/token"))
        .unwrap();
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&token_req.body)
        .into_owned()
        .collect();
    assert_eq!(form["code"], "the-code");
    assert_eq!(
        mitxonline::users::oidc::challenge(&form["code_verifier"]),
        q["code_challenge"]
    );
    // Logging out ends our session and sends the browser to Keycloak's end-session endpoint.
    let r = c.get(app.url("/logout")).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with(&format!(
            "{}/protocol/openid-connect/logout?client_id={CLIENT_ID}",
            kc.issuer
        )),
        "{to}"
    );
    let me: Value = c
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_authenticated"], false);
    // The state is single use.
    let again = client()
        .get(app.url(&format!(
            "/login/oidc/callback/?state={}&code=the-code",
            q["state"]
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    app.shutdown().await;
}

#[tokio::test]
async fn forged_or_mismatched_id_tokens_never_sign_anyone_in() {
    let kc = Keycloak::start().await;
    let app = oidc_app(&kc).await;
    type MakeToken = Box<dyn Fn(&Keycloak, &str) -> String>;
    let cases: Vec<(&str, MakeToken)> = vec![
        (
            "signed by another key",
            Box::new(|kc, n| kc.id_token("oidc_other_rsa.pem", claims(kc, n))),
        ),
        (
            "wrong nonce",
            Box::new(|kc, _| kc.id_token("oidc_test_rsa.pem", claims(kc, "not-the-nonce"))),
        ),
        (
            "wrong audience",
            Box::new(|kc, n| {
                let mut c = claims(kc, n);
                c["aud"] = json!("someone-else");
                kc.id_token("oidc_test_rsa.pem", c)
            }),
        ),
        (
            "wrong issuer",
            Box::new(|kc, n| {
                let mut c = claims(kc, n);
                c["iss"] = json!("https://evil.example/realms/x");
                kc.id_token("oidc_test_rsa.pem", c)
            }),
        ),
        (
            "expired",
            Box::new(|kc, n| {
                let mut c = claims(kc, n);
                c["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
                kc.id_token("oidc_test_rsa.pem", c)
            }),
        ),
        ("not a JWT", Box::new(|_, _| "garbage.token.here".to_owned())),
    ];
    for (what, make) in cases {
        let c = client();
        let q = begin(&app, &c).await;
        kc.will_issue(&make(&kc, &q["nonce"]));
        let r = c
            .get(app.url(&format!("/login/oidc/callback/?state={}&code=c", q["state"])))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{what}");
        let me: Value = c
            .get(app.url("/api/users/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["is_authenticated"], false, "{what}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 0);
    // An unknown state is refused before the provider is asked anything.
    let before = kc.fake.count();
    let r = client()
        .get(app.url("/login/oidc/callback/?state=made-up&code=c"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(kc.fake.count(), before);
    app.shutdown().await;
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_clear_502_and_nobody_is_signed_in() {
    let kc = Keycloak::start().await;
    let app = oidc_app(&kc).await;
    let c = client();
    let q = begin(&app, &c).await;
    kc.fake.push(Reply::json(500, json!({"error": "server_error"})));
    let r = c
        .get(app.url(&format!("/login/oidc/callback/?state={}&code=c", q["state"])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sessions").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn an_attackers_callback_url_does_not_sign_the_victim_into_the_attackers_account() {
    let kc = Keycloak::start().await;
    let app = oidc_app(&kc).await;
    let attacker = client();
    let q = begin(&app, &attacker).await;
    // The attacker sends their own callback URL (their state, their code) to the victim, who
    // may even have a login of their own under way.
    let victim = client();
    begin(&app, &victim).await;
    let trap = format!("/login/oidc/callback/?state={}&code=attackers-code", q["state"]);
    for browser in [&victim, &client()] {
        let r = browser.get(app.url(&trap)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{}", r.text().await.unwrap());
    }
    let me: Value = victim
        .get(app.url("/api/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_authenticated"], false);
    assert!(
        !kc.fake.requests().iter().any(|r| r.path.ends_with("/token")),
        "the code was never redeemed"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn an_unverified_email_in_the_id_token_does_not_take_over_an_existing_account() {
    let kc = Keycloak::start().await;
    let app = oidc_app(&kc).await;
    crate::support::identity::make_user(&app, "oidc@example.com", "a good password", false).await;
    for (verified, status) in [(json!(null), 400), (json!(false), 400), (json!(true), 303)] {
        let c = client();
        let q = begin(&app, &c).await;
        let mut claims = claims(&kc, &q["nonce"]);
        claims["email_verified"] = verified.clone();
        kc.will_issue(&kc.id_token("oidc_test_rsa.pem", claims));
        let r = c
            .get(app.url(&format!("/login/oidc/callback/?state={}&code=c", q["state"])))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "email_verified {verified}");
        let linked = app
            .scalar_i64("SELECT count(*) FROM users WHERE global_id IS NOT NULL")
            .await;
        assert_eq!(linked, i64::from(status == 303), "email_verified {verified}");
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM users").await, 1);
    app.shutdown().await;
}
