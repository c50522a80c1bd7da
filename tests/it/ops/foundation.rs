//! The foundation seen from outside: health, metrics, errors, limits, headers, assets, jobs.

use std::time::Duration;

use mitxonline::users::api_keys::Scope;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn health_endpoints_answer_like_the_original() {
    let app = TestApp::spawn().await;
    for path in ["/health/startup/", "/health/liveness/", "/health/readiness/"] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body["status"], "ok", "{path}");
    }
    let (status, full) = app.get_json("/health/full/").await;
    assert_eq!(status, 200);
    let checks = &full["checks"];
    assert_eq!(checks["database"]["status"], "ok");
    assert_eq!(checks["migrations"]["current"], checks["migrations"]["latest"]);
    assert_eq!(checks["outbox"]["backlog"], 0);
    assert_eq!(checks["outbox"]["dead_letters"], 0);
    assert!(checks["scheduler"]["jobs"].as_u64().unwrap() >= 1);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_report_requests_by_route_with_latency_histograms() {
    let app = TestApp::spawn().await;
    app.get("/health/liveness/").await;
    app.get("/does-not-exist").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(
            "mitxonline_http_requests_total{method=\"GET\",route=\"/health/liveness/\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("route=\"unmatched\",status=\"404\""));
    assert!(text.contains("# TYPE mitxonline_http_request_duration_seconds histogram"));
    assert!(text.contains("mitxonline_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health/liveness/\",le=\"+Inf\"} 1"));
    assert!(text.contains("mitxonline_outbox_backlog 0"));
    assert!(text.contains("mitxonline_outbox_dead_letters 0"));
    assert!(text.contains("# TYPE mitxonline_db_writer_queue_depth gauge"));
    assert!(text.contains("mitxonline_db_writer_wait_seconds_count"));
    app.shutdown().await;
}

/// A gauge or counter's value in a Prometheus text page.
fn figure(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

#[tokio::test]
async fn metrics_say_where_memory_goes_and_how_many_statements_ran() {
    let app = TestApp::spawn().await;
    let first = app.get("/metrics").await.text().await.unwrap();
    for _ in 0..5 {
        app.get("/api/v2/courses/").await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(figure(&text, "mitxonline_memory_resident_bytes") > 1e6, "{text}");
    assert!(figure(&text, "mitxonline_memory_sqlite_bytes") > 0.0, "{text}");
    assert!(
        figure(&text, "mitxonline_memory_sqlite_highwater_bytes") > 0.0,
        "{text}"
    );
    assert!(text.contains("# TYPE mitxonline_memory_heap_in_use_bytes gauge"));
    assert!(text.contains("# TYPE mitxonline_db_statements_total counter"));
    // Five course lists (and the scrape's own reads) ran statements between the two scrapes.
    let ran =
        figure(&text, "mitxonline_db_statements_total") - figure(&first, "mitxonline_db_statements_total");
    assert!(ran >= 5.0, "{ran} statements");
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page_in_the_site_layout() {
    let app = TestApp::spawn().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("Skip to main content"));
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_api_route_is_a_json_404() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_json("/api/v2/nothing-here/").await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({ "detail": "Not found." }));
    app.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_the_originals_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/api/nothing", "/health/liveness/"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn api_courses_and_checkout_responses_are_never_cached() {
    let app = TestApp::spawn().await;
    for path in ["/api/x", "/courses/x/", "/checkout/x"] {
        let r = app.get(path).await;
        assert_eq!(r.headers()["cache-control"], "private, no-store", "{path}");
    }
    let r = app.get("/").await;
    assert_ne!(
        r.headers().get("cache-control").map(|v| v.to_str().unwrap()),
        Some("private, no-store")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_echoed() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/health/liveness/"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    app.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_before_routing() {
    let app = TestApp::builder()
        .env("MITXONLINE_BODY_LIMIT", "1KB")
        .spawn()
        .await;
    let key = app.api_key(Scope::Staff).await;
    let big = "x".repeat(4096);
    // Even an unknown route answers 413: the limit applies before routing.
    for path in ["/api/v0/staff/api_keys/", "/api/unknown/"] {
        let r = app
            .client
            .post(app.url(path))
            .header("authorization", format!("Api-Key {key}"))
            .header("content-type", "application/json")
            .body(format!("{{\"name\":\"{big}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["detail"].as_str().unwrap().to_lowercase().contains("large")
                || body["detail"].as_str().unwrap().contains("limit"),
            "{body}"
        );
    }
    assert_eq!(app.scalar_i64("SELECT count(*) FROM api_keys").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_a_400_naming_the_problem_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let send = |body: &'static str| {
        app.send_json(
            app.client
                .post(app.url("/api/v0/staff/api_keys/"))
                .header("authorization", format!("Api-Key {key}"))
                .header("content-type", "application/json")
                .body(body),
        )
    };
    let (status, body) = send("{\"name\": ").await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().starts_with("Malformed JSON"),
        "{body}"
    );

    let (status, body) = send("{\"scope\": \"staff\"}").await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("missing field `name`"),
        "{body}"
    );

    let (status, body) = send("{\"name\": \"x\", \"scope\": \"root\"}").await;
    assert_eq!(status, 400);
    assert!(body["scope"][0].as_str().unwrap().contains("root"), "{body}");

    assert_eq!(app.scalar_i64("SELECT count(*) FROM api_keys").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn staff_apis_refuse_missing_wrong_and_catalog_scoped_keys() {
    let app = TestApp::spawn().await;
    let catalog = app.api_key(Scope::Catalog).await;
    assert_eq!(app.get_json("/api/v0/staff/jobs/").await.0, 401);
    let jobs_with = |key: String| {
        app.send_json(
            app.client
                .get(app.url("/api/v0/staff/jobs/"))
                .header("authorization", key),
        )
    };
    assert_eq!(jobs_with("Api-Key nope.nope".into()).await.0, 401);
    assert_eq!(jobs_with(format!("Api-Key {catalog}")).await.0, 403);
    app.shutdown().await;
}

/// The JSON API for API keys: a new key is shown once (its prefix listed, never its secret), and
/// revoking it twice is a 404 the second time.
#[tokio::test]
async fn staff_create_list_and_revoke_api_keys_over_the_json_api() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let keyed =
        |req: reqwest::RequestBuilder| app.send_json(req.header("authorization", format!("Api-Key {key}")));
    let (status, created) = keyed(
        app.client
            .post(app.url("/api/v0/staff/api_keys/"))
            .json(&json!({"name": "learn-etl"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (&created["name"], &created["scope"]),
        (&json!("learn-etl"), &json!("catalog"))
    );
    assert!(created["key"].as_str().unwrap().len() > created["prefix"].as_str().unwrap().len());
    let id = created["id"].as_i64().unwrap();
    let listed = || async {
        let (_, list) = keyed(app.client.get(app.url("/api/v0/staff/api_keys/"))).await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .cloned()
            .unwrap()
    };
    let row = listed().await;
    assert_eq!(row["prefix"], created["prefix"]);
    assert!(row.get("key").is_none() && row["revoked_on"].is_null(), "{row}");
    let revoke = || {
        keyed(
            app.client
                .delete(app.url(&format!("/api/v0/staff/api_keys/{id}/"))),
        )
    };
    assert_eq!(revoke().await, (204, serde_json::Value::Null));
    assert_eq!(revoke().await.0, 404);
    assert!(listed().await["revoked_on"].is_string());
    app.shutdown().await;
}

#[tokio::test]
async fn staff_can_run_a_job_now_and_the_run_is_recorded() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let keyed =
        |req: reqwest::RequestBuilder| app.send_json(req.header("authorization", format!("Api-Key {key}")));
    let (code, body) = keyed(
        app.client
            .post(app.url("/api/v0/staff/jobs/prune-job-runs/runs/")),
    )
    .await;
    assert_eq!(code, 202);
    assert_eq!(body["job"], "prune-job-runs");
    assert_eq!(body["status"], "queued");
    let id = body["id"].as_i64().unwrap();
    let mut status = String::new();
    for _ in 0..100 {
        let (_, run) = keyed(app.client.get(app.url(&format!("/api/v0/staff/job_runs/{id}/")))).await;
        status = run["status"].as_str().unwrap().to_owned();
        if status == "succeeded" {
            assert_eq!(run["trigger"], "staff");
            assert!(run["detail"].as_str().unwrap().starts_with("deleted"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, "succeeded");
    let (_, jobs) = keyed(app.client.get(app.url("/api/v0/staff/jobs/"))).await;
    let prune = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "prune-job-runs")
        .unwrap();
    assert_eq!(prune["last_run"]["id"], id);
    let (code, _) = keyed(app.client.post(app.url("/api/v0/staff/jobs/no-such-job/runs/"))).await;
    assert_eq!(code, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_job_never_overlaps_itself() {
    let app = TestApp::spawn().await;
    let started = std::sync::Arc::new(tokio::sync::Notify::new());
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let (s, r) = (started.clone(), release.clone());
    app.state.jobs.add(mitxonline::jobs::JobDef::new(
        "slow-test-job",
        "0 0 0 1 1 *",
        "Waits until released.",
        move |_| {
            let (s, r) = (s.clone(), r.clone());
            async move {
                s.notify_one();
                r.notified().await;
                Ok("released".into())
            }
        },
    ));
    let state = app.state.clone();
    let first = tokio::spawn(async move {
        mitxonline::jobs::run_now(&state, "slow-test-job", mitxonline::jobs::Trigger::Test).await
    });
    started.notified().await;
    let second = app.run_job("slow-test-job").await;
    assert_eq!(second.status, "skipped");
    release.notify_one();
    assert_eq!(first.await.unwrap().unwrap().status, "succeeded");
    app.shutdown().await;
}

#[tokio::test]
async fn assets_are_served_under_hashed_names_with_an_immutable_cache_and_gzip() {
    let app = TestApp::spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    let start = html.find("/static/app.").unwrap();
    let end = start + html[start..].find('"').unwrap();
    let css_url = &html[start..end];
    assert!(css_url.ends_with(".css") && css_url.len() > "/static/app.css".len());
    let r = app
        .client
        .get(app.url(css_url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let r = app
        .client
        .get(app.url(css_url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
    assert_eq!(app.get("/static/..%2fCargo.toml").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn requests_under_the_public_path_prefix_are_routed_and_links_carry_it() {
    let app = TestApp::builder()
        .public_url("https://api.learn.mit.edu/mitxonline")
        .spawn()
        .await;
    let r = app.get("/mitxonline/health/liveness/").await;
    assert_eq!(r.status(), 200);
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("href=\"/mitxonline/catalog/\""));
    assert!(html.contains("/mitxonline/static/app."));
    app.shutdown().await;
}

#[tokio::test]
async fn the_home_page_renders_in_a_real_browser_with_a_working_skip_link() {
    let Some(browser) = crate::support::browser::Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    browser.goto(&app.url("/")).await;
    assert_eq!(browser.title().await, "MITx Online");
    // The first Tab lands on the skip link, which is visible when focused.
    browser.press_tab(1).await;
    let focused = browser.eval("return document.activeElement.textContent").await;
    assert_eq!(focused, "Skip to main content");
    let visible = browser
        .eval("return document.activeElement.getBoundingClientRect().left >= 0")
        .await;
    assert_eq!(visible, true);
    // The stylesheet loaded from its hashed URL (the skip link is positioned off-screen by it).
    let styled = browser
        .eval("return getComputedStyle(document.querySelector('.skip-link')).position")
        .await;
    assert_eq!(styled, "absolute");
    browser.quit().await;
    app.shutdown().await;
}
