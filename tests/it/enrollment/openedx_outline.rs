//! `/api/v3/courses/{course_id}/ol_openedx_outline/`: the edX course outline plugin's answer
//! for a run, passed through for MIT Learn, from the sandbox edX or a real one.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::commerce::{send, staff};
use crate::support::fake::{FakeServer, Reply};
use crate::support::openapi::send_json;

const RUN: &str = "course-v1:MITx+OUT.1x+1T2026";
const ENCODED: &str = "course-v1%3AMITx%2BOUT.1x%2B1T2026";

#[tokio::test]
async fn the_sandbox_edx_answers_the_outline_of_a_run_it_knows_and_a_bad_key_is_a_400() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let (st, _) = send(
        s.post(app.url("/api/v0/staff/openedx/sandbox/courses/"))
            .json(&json!({"course_id": RUN, "name": "Outlines", "pacing": "self"})),
    )
    .await;
    assert_eq!(st, 200);
    let anon = reqwest::Client::new();
    let get = |key: &str| anon.get(app.url(&format!("/api/v3/courses/{key}/ol_openedx_outline/")));
    let (st, outline) = send_json(get(ENCODED)).await;
    assert_eq!(st, 200, "{outline}");
    assert_eq!(outline["course_id"], RUN);
    assert!(outline["generated_at"].is_string());
    let modules = outline["modules"].as_array().unwrap();
    assert!(!modules.is_empty());
    for m in modules {
        assert!(
            m["id"]
                .as_str()
                .unwrap()
                .starts_with("block-v1:MITx+OUT.1x+1T2026+type@chapter")
        );
        for k in ["videos", "readings", "problems", "assignments", "app_items"] {
            assert!(m["counts"][k].is_u64(), "{k} in {m}");
        }
    }
    let (_, again) = send_json(get(RUN)).await;
    assert_eq!(
        again["modules"], outline["modules"],
        "the raw key is the same run"
    );

    let (st, body) = send_json(get("course-v1%3AMITx%2BNOPE%2B1T2026")).await;
    assert_eq!(st, 502, "{body}");
    assert_eq!(
        body,
        json!({"detail": "Unable to fetch course outline from Open edX."})
    );
    for bad in ["notakey", "course-v1%3AMITx%2BOUT.1x", "course-v1%3A%2B%2B"] {
        let (st, body) = send_json(get(bad)).await;
        assert_eq!(st, 400, "{bad}: {body}");
        assert_eq!(
            body["detail"],
            "Invalid course_id format. Expected an Open edX course key."
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_real_edx_is_asked_as_the_service_worker_and_its_failure_is_a_502() {
    let edx = FakeServer::start().await;
    let answer = json!({"course_id": RUN, "generated_at": "2026-04-10T07:17:20Z", "modules": [
        {"id": "block-v1:MITx+OUT.1x+1T2026+type@chapter+block@abc", "title": "Week 1", "effort_time": 0,
         "effort_activities": 0, "counts": {"videos": 2, "readings": 1, "problems": 1, "assignments": 0, "app_items": 0}}
    ]});
    edx.push(Reply::json(200, answer.clone()));
    edx.push(Reply::status(500));
    let app = TestApp::builder()
        .env("MITXONLINE_OPENEDX_API_BASE_URL", &edx.url)
        .env("MITXONLINE_OPENEDX_SERVICE_TOKEN", "svc-token")
        .spawn()
        .await;
    let url = app.url(&format!("/api/v3/courses/{ENCODED}/ol_openedx_outline/"));
    let (st, body): (u16, Value) = send_json(reqwest::Client::new().get(&url)).await;
    assert_eq!((st, &body), (200, &answer));
    let asked = &edx.requests()[0];
    assert_eq!(asked.method, "GET");
    assert_eq!(asked.path, format!("/api/ol-course-outline/v0/{ENCODED}/"));
    assert_eq!(asked.header("authorization").as_deref(), Some("Bearer svc-token"));
    let (st, body) = send_json(reqwest::Client::new().get(&url)).await;
    assert_eq!(st, 502, "{body}");
    assert_eq!(edx.count(), 2);
    app.shutdown().await;
}
