//! Learner program records: grades and certificates per course, a public share link that
//! revokes to 404, sharing with a partner school (the school is emailed), the partner school
//! list, and the record page.

use reqwest::Method;
use serde_json::json;

use super::lifecycle::token_for;
use super::*;
use crate::support::enrollment::send;

#[tokio::test]
async fn a_learner_shares_their_program_record_publicly_and_with_a_partner_school() {
    let app = TestApp::spawn().await;
    let key = staff_key(&app).await;
    let a = course(&app, "course-v1:MITx+REC1", Pacing::SelfPaced, false).await;
    let ca = a.course_id;
    let program = program_requiring(&app, "program-v1:MITx+REC", vec![ca]).await;
    let oli = learner(&app, "oli", &[a.run_id]).await;
    app.state
        .db
        .write(|c| {
            mitxonline::certificates::store::insert_partner_school(c, "Example Tech", "admit@example.edu")
        })
        .await
        .unwrap();
    enroll_program(&app, oli, program, Mode::Verified).await;
    app.drain_outbox().await;
    edx_grade(&app, &key, "oli@example.com", &a.courseware_id, 0.874).await;
    app.run_job("generate-course-certificate").await;
    let token = token_for(&app, oli).await;
    let path = format!("/api/records/program/{program}/");

    let (status, record) = send(&app, Method::GET, &token, &path, None).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["program"]["readable_id"], "program-v1:MITx+REC");
    let line = &record["program"]["courses"][0];
    assert_eq!(line["reqtype"], "Required Courses");
    assert_eq!(line["grade"]["grade"], 0.87, "{line}");
    assert!(line["certificate"]["uuid"].is_string(), "{line}");
    assert_eq!(record["partner_schools"][0]["name"], "Example Tech");

    let (status, shared) = send(
        &app,
        Method::POST,
        &token,
        &format!("{path}share/"),
        Some(json!({ "partnerSchool": null })),
    )
    .await;
    assert_eq!(status, 200, "{shared}");
    let uuid = shared["sharing"][0]["share_uuid"].as_str().unwrap().to_owned();
    let (status, public) = get_json(&app, &format!("/api/records/shared/{uuid}/")).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["sharing"], json!([]));
    assert_eq!(public["partner_schools"], json!([]));
    assert_eq!(app.get(&format!("/records/shared/{uuid}/")).await.status(), 200);
    let (status, _) = send(&app, Method::POST, &token, &format!("{path}revoke/"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        get_json(&app, &format!("/api/records/shared/{uuid}/")).await.0,
        404
    );

    let school = record["partner_schools"][0]["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        Method::POST,
        &token,
        &format!("{path}share/"),
        Some(json!({ "partnerSchool": school })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &app,
        Method::POST,
        &token,
        &format!("{path}share/"),
        Some(json!({ "partnerSchool": 9999 })),
    )
    .await;
    assert_eq!(status, 400, "an unknown school is refused");
    app.drain_outbox().await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM mail_sandbox WHERE to_address = 'admit@example.edu'")
            .await,
        1
    );
    let (status, schools) = send(&app, Method::GET, &token, "/api/v1/partnerschools/", None).await;
    assert_eq!((status, schools[0]["name"].clone()), (200, json!("Example Tech")));
    assert_eq!(app.get("/api/v1/partnerschools/").await.status(), 403);

    let page = app
        .client
        .get(app.url(&format!("/records/{program}/")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Signals and Systems") && page.contains("View certificate"),
        "{page}"
    );
    // Someone not enrolled in the program has no record.
    let (_, other) = crate::support::enrollment::learner(&app, "stranger", false).await;
    assert_eq!(send(&app, Method::GET, &other, &path, None).await.0, 404);
    app.shutdown().await;
}
