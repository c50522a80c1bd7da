//! Certificate custom objects: a course-run and a program certificate issued by the hourly job
//! each become one object with the original's properties, associated to the learner's
//! contact; revoking and un-revoking update `is_revoked`; a create whose answer is lost is
//! not repeated; a B2B learner's certificate is never sent; the `hubspot-sync` job (and the
//! dry run) pick up a certificate changed behind the outbox's back; the sandbox CRM shows them
//! to staff.

use std::time::Duration;

use mitxonline::enrollment::Mode;
use serde_json::Value;

use super::fake::{FakeHubspot, Req, TOKEN};
use super::{deliver_all, hubspot_rows};
use crate::certificates::{Pacing, course, edx_grade, enroll_program, learner, program_requiring, staff_key};
use crate::support::TestApp;

const RUN_PROPERTIES: [&str; 6] = [
    "course_run_readable_id",
    "course_run_title",
    "is_revoked",
    "issue_date",
    "unique_app_id",
    "user_email",
];

/// The app syncing to the fake at `url`, with the custom object types given (`None`: default).
async fn app(url: &str, run_type: Option<&str>) -> TestApp {
    let mut b = TestApp::builder()
        .env("MITXONLINE_HUBSPOT_SYNC", "on")
        .env("MITXONLINE_HUBSPOT_ACCESS_TOKEN", TOKEN)
        .env("MITXONLINE_HUBSPOT_BASE_URL", url)
        .env("MITXONLINE_HUBSPOT_RATE", "50")
        .env("MITXONLINE_OUTBOX_RATE_PER_MINUTE", "60000")
        .env("MITXONLINE_OUTBOX_BASE_BACKOFF", "100ms")
        .env("MITXONLINE_OUTBOX_MAX_BACKOFF", "500ms");
    if let Some(t) = run_type {
        b = b.env("MITXONLINE_HUBSPOT_COURSE_RUN_CERTIFICATE_OBJECT_TYPE", t);
    }
    b.spawn().await
}

/// A passing grade in the sandbox edX for `email`, then the certificate job.
async fn pass(app: &TestApp, email: &str, courseware_id: &str) {
    app.drain_outbox().await; // the edX account and enrollment reach the sandbox
    let key = staff_key(app).await;
    edx_grade(app, &key, email, courseware_id, 0.92).await;
    let out = app.run_job("generate-course-certificate").await;
    assert_eq!(out.status, "succeeded", "{}", out.detail);
    assert!(out.detail.contains("1 created"), "{}", out.detail);
}

async fn revoke(app: &TestApp, staff: &str, kind: &str, uuid: &str, revoke: bool) {
    let r = app
        .client
        .post(app.url("/staff/certificates/revoke/"))
        .bearer_auth(staff)
        .form(&[
            ("kind", kind),
            ("uuid", uuid),
            ("revoke", if revoke { "true" } else { "false" }),
            ("reason", "checking the CRM"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
}

/// `(id, uuid)` of the learner's certificate in `table`.
async fn certificate(app: &TestApp, table: &'static str, user: i64) -> (i64, String) {
    app.state
        .db
        .read(move |c| {
            c.query_row(
                &format!("SELECT id, uuid FROM {table} WHERE user_id = ?1"),
                [user],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap()
}

fn paths(reqs: &[Req], prefix: &str) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|p| p.contains(prefix))
        .collect()
}

#[tokio::test]
async fn issued_certificates_become_custom_objects_on_the_contact_and_revoking_updates_them() {
    let hs = FakeHubspot::start().await;
    let app = app(&hs.url, None).await;
    let run = course(&app, "course-v1:MITx+HS6.1x", Pacing::SelfPaced, false).await;
    let ada = learner(&app, "hscert", &[run.run_id]).await;
    let program = program_requiring(&app, "program-v1:MITx+HSCERT", vec![run.course_id]).await;
    enroll_program(&app, ada, program, Mode::Verified).await;
    pass(&app, "hscert@example.com", &run.courseware_id).await;
    deliver_all(&app, Duration::from_secs(30)).await;

    let (run_cert, run_uuid) = certificate(&app, "course_run_certificates", ada).await;
    let (program_cert, _) = certificate(&app, "program_certificates", ada).await;
    let contacts = hs.find("contacts", "email", "hscert@example.com");
    assert_eq!(contacts.len(), 1, "{:?}", hs.objects("contacts"));
    let contact = &contacts[0].0;

    let objects = hs.objects("course_run_certificate");
    assert_eq!(objects.len(), 1, "one object per certificate: {objects:?}");
    let (id, props) = &objects[0];
    let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, RUN_PROPERTIES);
    assert_eq!(props["unique_app_id"], format!("mitxonline-crc-{run_cert}"));
    assert_eq!(props["course_run_readable_id"], run.courseware_id.as_str());
    assert_eq!(props["course_run_title"], "Signals and Systems 2026");
    assert_eq!(props["user_email"], "hscert@example.com");
    assert_eq!(props["is_revoked"], "false");
    let issued: i64 = props["issue_date"].as_str().unwrap().parse().unwrap();
    let now = app.state.clock.now().timestamp_millis();
    assert!(
        (now - 3_600_000..=now).contains(&issued),
        "epoch milliseconds: {issued}"
    );
    assert!(
        hs.associated(("course_run_certificate", id), ("contacts", contact)),
        "associated to the learner's contact"
    );
    let reqs = hs.requests();
    let sent = paths(&reqs, "/crm/v3/objects/course_run_certificate");
    assert_eq!(
        sent[..2],
        [
            "POST /crm/v3/objects/course_run_certificate/search",
            "POST /crm/v3/objects/course_run_certificate"
        ],
        "a search before the create"
    );
    let search = reqs
        .iter()
        .find(|r| r.path == "/crm/v3/objects/course_run_certificate/search")
        .unwrap();
    assert_eq!(
        search.body["filterGroups"][0]["filters"][0]["propertyName"],
        "unique_app_id"
    );

    let programs = hs.objects("program_certificate");
    assert_eq!(programs.len(), 1, "{programs:?}");
    let (pid, p) = &programs[0];
    assert_eq!(p["unique_app_id"], format!("mitxonline-pgc-{program_cert}"));
    assert_eq!(p["program_readable_id"], "program-v1:MITx+HSCERT");
    assert_eq!(p["program_title"], "Electrical Engineering");
    assert_eq!(p["user_email"], "hscert@example.com");
    assert_eq!(p["is_revoked"], "false");
    assert!(hs.associated(("program_certificate", pid), ("contacts", contact)));

    // Revoking, then un-revoking, updates the same object.
    let (_, staff) = crate::support::enrollment::learner(&app, "hs-cert-staff", true).await;
    revoke(&app, &staff, "course_run", &run_uuid, true).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let objects = hs.objects("course_run_certificate");
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].1["is_revoked"], "true");
    revoke(&app, &staff, "course_run", &run_uuid, false).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let objects = hs.objects("course_run_certificate");
    assert_eq!(objects.len(), 1, "no duplicate: {objects:?}");
    assert_eq!(objects[0].1["is_revoked"], "false");
    assert_eq!(
        paths(&hs.requests(), "POST /crm/v3/objects/course_run_certificate")
            .iter()
            .filter(|p| !p.ends_with("/search"))
            .count(),
        1,
        "created once"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_not_repeated_under_a_configured_object_type() {
    let hs = FakeHubspot::start().await;
    let app = app(&hs.url, Some("2-4242")).await;
    let run = course(&app, "course-v1:MITx+HS6.2x", Pacing::SelfPaced, false).await;
    let bo = learner(&app, "hslost", &[run.run_id]).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    hs.lose_next_create();
    pass(&app, "hslost@example.com", &run.courseware_id).await;
    deliver_all(&app, Duration::from_secs(30)).await;

    assert!(hs.objects("course_run_certificate").is_empty());
    let objects = hs.objects("2-4242");
    assert_eq!(objects.len(), 1, "no duplicate: {objects:?}");
    let (cert, _) = certificate(&app, "course_run_certificates", bo).await;
    assert_eq!(objects[0].1["unique_app_id"], format!("mitxonline-crc-{cert}"));
    let sent = paths(&hs.requests(), "/crm/v3/objects/2-4242");
    assert_eq!(
        sent.iter()
            .filter(|p| *p == "POST /crm/v3/objects/2-4242")
            .count(),
        1,
        "{sent:?}"
    );
    assert!(
        sent.contains(&format!("PATCH /crm/v3/objects/2-4242/{}", objects[0].0)),
        "the retry found the object and updated it: {sent:?}"
    );
    let contact = &hs.find("contacts", "email", "hslost@example.com")[0].0;
    assert!(hs.associated(("2-4242", &objects[0].0), ("contacts", contact)));
    let rows = hubspot_rows(&app).await;
    assert!(rows.iter().all(|(s, _)| s == "delivered"), "{rows:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_b2b_learners_certificate_is_never_sent() {
    let hs = FakeHubspot::start().await;
    let app = app(&hs.url, None).await;
    let run = course(&app, "course-v1:MITx+HS6.3x", Pacing::SelfPaced, false).await;
    let user = learner(&app, "hsb2bcert", &[run.run_id]).await;
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
    pass(&app, "hsb2bcert@example.com", &run.courseware_id).await;
    deliver_all(&app, Duration::from_secs(20)).await;
    let kinds: Vec<(String, String)> = app
        .state
        .db
        .read(|c| {
            c.prepare("SELECT kind, status FROM outbox WHERE destination = 'hubspot'")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
        .unwrap();
    assert!(
        kinds.contains(&("course_run_certificate".to_owned(), "delivered".to_owned())),
        "the certificate message was handled (as a skip): {kinds:?}"
    );
    assert!(hs.requests().is_empty(), "nothing sent: {:?}", hs.requests());
    app.shutdown().await;
}

#[tokio::test]
async fn the_sync_job_requeues_a_certificate_changed_since_its_last_run() {
    let hs = FakeHubspot::start().await;
    let app = app(&hs.url, None).await;
    let run = course(&app, "course-v1:MITx+HS6.4x", Pacing::SelfPaced, false).await;
    let user = learner(&app, "hsresync", &[run.run_id]).await;
    pass(&app, "hsresync@example.com", &run.courseware_id).await;
    let first = app.run_job("hubspot-sync").await;
    assert!(first.detail.ends_with("and 1 certificates"), "{}", first.detail);
    deliver_all(&app, Duration::from_secs(20)).await;
    assert_eq!(hs.objects("course_run_certificate").len(), 1);
    let quiet = app.run_job("hubspot-sync").await;
    assert_eq!(
        quiet.detail, "queued 0 contacts, 0 products, 0 deals and 0 certificates",
        "nothing changed since"
    );

    // Changed behind the outbox's back (as an import or a repair would).
    app.advance(Duration::from_secs(5));
    let now = mitxonline::clock::to_db(app.state.clock.now());
    app.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE course_run_certificates SET is_revoked = 1, updated_on = ?2 WHERE user_id = ?1",
                rusqlite::params![user, now],
            )
        })
        .await
        .unwrap();
    // The dry run prints it and sends nothing.
    let url: &'static str = Box::leak(hs.url.clone().into_boxed_str());
    let env = [
        ("MITXONLINE_HUBSPOT_SYNC", "on"),
        ("MITXONLINE_HUBSPOT_ACCESS_TOKEN", TOKEN),
        ("MITXONLINE_HUBSPOT_BASE_URL", url),
    ];
    let dir = app.dir.path().to_owned();
    let before = hs.requests().len();
    let out = tokio::task::spawn_blocking(move || {
        crate::support::process::run_cli(&dir, &env, &["hubspot", "sync", "--dry-run"])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains(r#""object":"course_run_certificate""#))
        .unwrap_or_else(|| panic!("the certificate in {stdout}"));
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["send"]["type"], "course_run_certificate", "{line}");
    assert_eq!(line["send"]["properties"]["is_revoked"], "true", "{line}");
    assert_eq!(hs.requests().len(), before, "a dry run sends nothing");

    let run_job = app.run_job("hubspot-sync").await;
    assert_eq!(
        run_job.detail,
        "queued 0 contacts, 0 products, 0 deals and 1 certificates"
    );
    deliver_all(&app, Duration::from_secs(20)).await;
    let objects = hs.objects("course_run_certificate");
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0].1["is_revoked"], "true");
    app.shutdown().await;
}

#[tokio::test]
async fn without_a_token_the_sandbox_crm_shows_certificates_to_staff() {
    let app = TestApp::builder()
        .env("MITXONLINE_HUBSPOT_SYNC", "on")
        .spawn()
        .await;
    let run = course(&app, "course-v1:MITx+HS6.5x", Pacing::SelfPaced, false).await;
    let user = learner(&app, "hssandcert", &[run.run_id]).await;
    pass(&app, "hssandcert@example.com", &run.courseware_id).await;
    app.drain_outbox().await;
    let (cert, _) = certificate(&app, "course_run_certificates", user).await;
    let staff = crate::support::identity::signed_in(&app, "hs-sbx-staff@example.com", true).await;
    let r = staff
        .get(app.url("/staff/sandbox/hubspot/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    for needle in [
        "Course run certificates (1)",
        "Program certificates (0)",
        &format!("mitxonline-crc-{cert}"),
        run.courseware_id.as_str(),
        "hssandcert@example.com",
        "contacts ",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let sandboxed: Value = app
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT properties FROM hubspot_sandbox_objects WHERE object_type = 'course_run_certificate'",
                [],
                |r| r.get::<_, String>(0),
            )
        })
        .await
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap();
    assert_eq!(sandboxed["is_revoked"], "false");
    app.shutdown().await;
}
