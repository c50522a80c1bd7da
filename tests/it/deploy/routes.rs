//! `deploy/apisix/apisix.yaml` against the app: every route strips the prefix, passes the
//! userinfo, ends the session at one logout path, keeps the app's security policy, and the pages that need a
//! signed-in learner are the ones the original protects and that this app serves.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::json;

use super::apisix::{self, PREFIX};
use crate::support::TestApp;

#[test]
fn every_route_strips_the_prefix_passes_the_userinfo_and_shares_one_logout() {
    let doc = apisix::load(&apisix::test_env(
        "127.0.0.1:8013",
        "https://api.example/mitxonline/logout/",
    ));
    assert!(!doc.routes.is_empty());
    let upstream_ids: BTreeSet<String> = doc
        .upstreams
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    for r in &doc.routes {
        for uri in &r.uris {
            assert!(
                uri.starts_with(&format!("{PREFIX}/")),
                "{}: {uri} outside {PREFIX}/",
                r.id
            );
        }
        let Some(up) = &r.upstream_id else {
            // Only a redirect may answer without the app.
            assert!(r.plugins.contains_key("redirect"), "{} reaches nothing", r.id);
            continue;
        };
        assert!(upstream_ids.contains(up), "{}: unknown upstream {up}", r.id);
        assert_eq!(
            r.plugins["proxy-rewrite"]["regex_uri"],
            json!(["^/mitxonline/(.*)", "/$1"]),
            "{} strips the prefix",
            r.id
        );
        let oidc = r
            .oidc()
            .unwrap_or_else(|| panic!("{} has no openid-connect", r.id));
        assert_eq!(oidc["set_userinfo_header"], true, "{}", r.id);
        assert_eq!(oidc["logout_path"], "/mitxonline/logout/oidc", "{}", r.id);
        assert_eq!(
            oidc["post_logout_redirect_uri"],
            "https://api.example/mitxonline/logout/"
        );
        assert_eq!(oidc["client_id"], "ol-mitlearn-client", "{}", r.id);
        assert_eq!(oidc["client_secret"], "test-secret", "{}", r.id);
        assert!(
            oidc["discovery"]
                .as_str()
                .unwrap()
                .ends_with("/.well-known/openid-configuration")
        );
        assert!(oidc["session"]["secret"].as_str().unwrap().len() >= 32);
        // The app's own policy (scripts, forms, framing) must reach the browser whole.
        let set = &r.plugins["response-rewrite"]["headers"]["set"];
        assert!(
            set.get("Content-Security-Policy").is_none(),
            "{} would replace the app's Content-Security-Policy",
            r.id
        );
        assert_eq!(set["Referrer-Policy"], "origin", "{}", r.id);
    }
    // The client can never supply its own identity.
    let strip = doc
        .global_rules
        .iter()
        .find_map(|g| g["plugins"]["serverless-pre-function"]["functions"][0].as_str());
    assert!(
        strip.is_some_and(|f| f.contains("clear_header('X-Userinfo')")),
        "a global rule clears a client's X-Userinfo"
    );
    // Where two routes match one request, the more specific one wins in APISIX by priority;
    // nginx (tests/it/deploy/nginx.rs) picks by specificity, so the two must agree.
    let matches = |pattern: &str, uri: &str| match pattern.strip_suffix('*') {
        Some(p) => uri.trim_end_matches('*').starts_with(p),
        None => pattern == uri,
    };
    for a in &doc.routes {
        for b in doc.routes.iter().filter(|b| b.id != a.id) {
            for ua in &a.uris {
                for ub in b.uris.iter().filter(|ub| matches(ub, ua) && ub.len() < ua.len()) {
                    assert!(
                        a.priority > b.priority,
                        "{} ({ua}) must outrank {} ({ub})",
                        a.id,
                        b.id
                    );
                }
            }
        }
    }
    // The logout path's sub-paths come back to it.
    let redirect = doc
        .routes
        .iter()
        .find(|r| r.plugins.contains_key("redirect"))
        .unwrap();
    assert_eq!(redirect.uris, ["/mitxonline/logout/oidc/*"]);
    assert_eq!(redirect.plugins["redirect"]["uri"], "/mitxonline/logout/oidc");
}

#[tokio::test]
async fn the_pages_behind_forced_sign_in_are_the_originals_and_the_app_serves_each() {
    let doc = apisix::load(&apisix::test_env("127.0.0.1:8013", "https://api.example/logout/"));
    let protected: BTreeSet<&str> = doc
        .routes
        .iter()
        .filter(|r| r.requires_auth())
        .flat_map(|r| r.uris.iter().map(String::as_str))
        .collect();
    let want: BTreeSet<&str> = [
        "/mitxonline/login",
        "/mitxonline/login/",
        "/mitxonline/login/*",
        "/mitxonline/checkout/anonymous",
        "/mitxonline/checkout/anonymous/",
        "/mitxonline/cart",
        "/mitxonline/cart/",
        "/mitxonline/cart/*",
    ]
    .into();
    assert_eq!(protected, want);
    // Signed in as the gateway would sign the learner in, each exact page is one the app has.
    let app = TestApp::builder()
        .env("MITXONLINE_AUTH_MODE", "gateway")
        .demo(true)
        .spawn()
        .await;
    // The demo's edX messages are not what these tests are about.
    app.expect_undrained(&["openedx"]);
    let userinfo = base64::engine::general_purpose::STANDARD.encode(
        json!({"sub": "0b7f3c1e-4f7e-4a55-9d1e-0d6a2c1b9a10", "email": "routes@example.com",
               "preferred_username": "routes", "name": "Route Walker"})
        .to_string(),
    );
    for uri in protected.iter().filter(|u| !u.ends_with('*')) {
        let path = uri.strip_prefix(PREFIX).unwrap();
        let r = app
            .client
            .get(app.url(path))
            .header("x-userinfo", &userinfo)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        assert!(s != 404 && s < 500, "{path} answered {s}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_kubernetes_example_runs_one_writer_and_probes_paths_the_app_answers() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/k8s/mitxonline.yaml")).unwrap();
    let docs: Vec<serde_json::Value> = serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("a Kubernetes object"))
        .collect();
    let set = docs
        .iter()
        .find(|d| d["kind"] == "StatefulSet")
        .expect("a StatefulSet");
    assert!(
        docs.iter().all(|d| d["kind"] != "Deployment"),
        "one writer: no Deployment"
    );
    assert_eq!(set["spec"]["replicas"], 1, "one process on one SQLite file");
    let pod = &set["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let data = c["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let env_data = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "MITXONLINE_DATA_DIR")
        .unwrap();
    assert_eq!(env_data["value"], data, "the database lives on the volume");
    assert_eq!(
        set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        c["volumeMounts"][0]["name"]
    );
    let app = TestApp::spawn().await;
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let path = c[probe]["httpGet"]["path"]
            .as_str()
            .unwrap_or_else(|| panic!("{probe}"));
        assert!(path.starts_with("/health/"), "{probe}: {path}");
        assert_eq!(app.get(path).await.status(), 200, "{probe} {path}");
    }
    // The grace period covers the server's own drain (MITXONLINE_SHUTDOWN_GRACE).
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(grace > app.state.config.shutdown_grace.as_secs(), "{grace}");
    app.shutdown().await;
}
