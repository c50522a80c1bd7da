//! The staff CMS editor, driven like a browser form (with a staff API key instead of a
//! session): drafts, preview, publish, unpublish, roll back, image uploads, audit, access.

use serde_json::Value;

use crate::support::TestApp;
use crate::support::catalog::{course, seed};
use mitxonline::cms::media::gradient_png;
use mitxonline::users::api_keys::Scope;

struct Staff<'a> {
    app: &'a TestApp,
    key: String,
}

impl Staff<'_> {
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .header("Authorization", format!("Api-Key {}", self.key))
            .form(form)
            .send()
            .await
            .unwrap()
    }
    async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .header("Authorization", format!("Api-Key {}", self.key))
            .send()
            .await
            .unwrap()
    }
}

async fn public_description(app: &TestApp) -> Option<String> {
    let body: Value = app.get_json("/api/v2/courses/").await.1;
    body["results"][0]["page"]["description"]
        .as_str()
        .map(str::to_owned)
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn staff_draft_preview_publish_unpublish_and_roll_back_a_course_page_with_an_audit_trail() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| course(c, now, 1, true, false).map(|_| ())).await;
    let staff = Staff {
        app: &app,
        key: app.api_key(Scope::Staff).await,
    };

    let r = staff
        .post(
            "/staff/cms/pages/",
            &[
                ("page_type", "course"),
                ("title", "Course 001"),
                ("product", "course-v1:TEST+C001"),
                ("slug", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let edit = location(&r);
    assert!(edit.starts_with("/staff/cms/pages/"));
    let form = staff.get(&edit).await.text().await.unwrap();
    assert!(form.contains("name=\"description\"") && form.contains("Not published"));
    assert!(form.contains("<select id=\"feature_image_id\" name=\"feature_image_id\">"));

    let save = |desc: &'static str, action: &'static str| {
        let staff = &staff;
        let edit = edit.clone();
        async move {
            staff
                .post(
                    &edit,
                    &[
                        ("title", "Course 001"),
                        ("description", desc),
                        ("min_weeks", "6"),
                        ("include_in_learn_catalog", "on"),
                        ("action", action),
                    ],
                )
                .await
        }
    };
    assert_eq!(save("First words", "save").await.status(), 303);
    // A draft is not public, but the preview shows it.
    assert_eq!(public_description(&app).await, None);
    assert_eq!(app.get("/courses/course-v1:TEST+C001/").await.status(), 404);
    let preview = staff.get(&format!("{edit}preview")).await.text().await.unwrap();
    assert!(preview.contains("First words"));

    assert_eq!(save("First words", "publish").await.status(), 303);
    assert_eq!(public_description(&app).await.as_deref(), Some("First words"));
    let page = app
        .get("/courses/course-v1:TEST+C001/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("First words"));

    // A newer draft leaves the published page alone until published.
    assert_eq!(save("Second words", "save").await.status(), 303);
    assert_eq!(public_description(&app).await.as_deref(), Some("First words"));
    assert_eq!(staff.post(&format!("{edit}publish"), &[]).await.status(), 303);
    assert_eq!(public_description(&app).await.as_deref(), Some("Second words"));

    assert_eq!(staff.post(&format!("{edit}unpublish"), &[]).await.status(), 303);
    assert_eq!(public_description(&app).await, None);
    assert_eq!(app.get("/courses/course-v1:TEST+C001/").await.status(), 404);

    // Roll back to the first published revision: history is kept, the copy goes live.
    let first_published: i64 = app
        .scalar_i64("SELECT min(id) FROM cms_revisions WHERE content LIKE '%First words%'")
        .await;
    let r = staff
        .post(
            &format!("{edit}rollback"),
            &[("revision_id", &first_published.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(public_description(&app).await.as_deref(), Some("First words"));
    assert_eq!(app.scalar_i64("SELECT count(*) FROM cms_revisions").await, 5);

    for (action, n) in [
        ("cms.page.create", 1),
        ("cms.page.save", 3),
        ("cms.page.publish", 2),
        ("cms.page.unpublish", 1),
        ("cms.page.rollback", 1),
    ] {
        let sql: &'static str = Box::leak(
            format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}' AND actor_label LIKE 'api-key:%'"
            )
            .into_boxed_str(),
        );
        assert_eq!(app.scalar_i64(sql).await, n, "{action}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn bad_cms_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    seed(&app, |c, now| course(c, now, 1, true, true).map(|_| ())).await;
    let staff = Staff {
        app: &app,
        key: app.api_key(Scope::Staff).await,
    };
    let before = app.scalar_i64("SELECT count(*) FROM cms_revisions").await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 5] = [
        (
            "/staff/cms/pages/",
            vec![("page_type", "blog"), ("title", "x")],
            "page_type",
        ),
        (
            "/staff/cms/pages/",
            vec![("page_type", "resource"), ("title", "")],
            "title",
        ),
        (
            "/staff/cms/pages/",
            vec![
                ("page_type", "course"),
                ("title", "x"),
                ("product", "course-v1:TEST+C001"),
            ],
            "product",
        ),
        (
            "/staff/cms/pages/",
            vec![("page_type", "resource"), ("title", "x"), ("slug", "bad slug!")],
            "slug",
        ),
        (
            "/staff/cms/pages/1/",
            vec![("title", "x"), ("min_weeks", "six")],
            "min_weeks",
        ),
    ];
    for (path, form, field) in cases {
        let r = app
            .client
            .post(app.url(path))
            .header("Authorization", format!("Api-Key {}", staff.key))
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{form:?}");
        let body: Value = r.json().await.unwrap();
        assert!(body[field].is_array(), "{form:?}: {body}");
    }
    // The HTML form gets an error page in the site layout.
    let r = staff
        .post("/staff/cms/pages/1/", &[("title", "x"), ("min_weeks", "six")])
        .await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<main") && page.contains("Minimum weeks: Enter a whole number."),
        "{page}"
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM cms_revisions").await, before);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM cms_pages").await, 1);
    assert_eq!(
        staff.post("/staff/cms/pages/999/publish", &[]).await.status(),
        404
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_cms_is_for_staff_only() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/staff/cms/").await.status(), 401);
    let r = app
        .client
        .post(app.url("/staff/cms/pages/"))
        .form(&[("page_type", "resource"), ("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let catalog_key = app.api_key(Scope::Catalog).await;
    let r = app
        .client
        .get(app.url("/staff/cms/"))
        .header("Authorization", format!("Api-Key {catalog_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.scalar_i64("SELECT count(*) FROM cms_pages").await, 0);
    let staff = Staff {
        app: &app,
        key: app.api_key(Scope::Staff).await,
    };
    let html = staff.get("/staff/cms/").await.text().await.unwrap();
    assert!(html.contains("New page") && html.contains("enctype=\"multipart/form-data\""));
    app.shutdown().await;
}

async fn upload(app: &TestApp, key: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let boundary = "----mitxonline-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nA picture\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.client
        .post(app.url("/staff/cms/media/"))
        .header("Authorization", format!("Api-Key {key}"))
        .header("Accept", "application/json")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn images_are_validated_by_content_stored_in_the_database_and_served() {
    let app = TestApp::spawn().await;
    let key = app.api_key(Scope::Staff).await;
    let png = gradient_png(64, 32, [10, 20, 30], [200, 100, 0]);
    let r = upload(&app, &key, "ok.png", png.clone()).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM cms_media WHERE width = 64 AND height = 32")
            .await,
        1
    );
    let served = app.get("/media/1/").await;
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png);
    // A script renamed to .png, and an oversize file, are refused and nothing is stored.
    let r = upload(&app, &key, "evil.png", b"<script>alert(1)</script>".to_vec()).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["file"][0].as_str().unwrap().contains("PNG"), "{body}");
    let mut big = png.clone();
    big.resize(6 * 1024 * 1024, 0);
    let r = upload(&app, &key, "big.png", big).await;
    assert!(r.status() == 400 || r.status() == 413, "{}", r.status());
    assert_eq!(app.scalar_i64("SELECT count(*) FROM cms_media").await, 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM audit_log WHERE action = 'cms.media.upload'")
            .await,
        1
    );
    assert_eq!(app.get("/media/2/").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_published_site_banner_appears_on_the_home_page_and_goes_when_unpublished() {
    let app = TestApp::spawn().await;
    let staff = Staff {
        app: &app,
        key: app.api_key(Scope::Staff).await,
    };
    let r = staff
        .post(
            "/staff/cms/pages/",
            &[("page_type", "banner"), ("title", "Banner")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let edit = location(&r);
    let r = staff
        .post(
            &edit,
            &[
                ("title", "Banner"),
                ("message", "Enrollment for fall opens Monday."),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("Enrollment for fall opens Monday."));
    assert_eq!(staff.post(&format!("{edit}unpublish"), &[]).await.status(), 303);
    let home = app.get("/").await.text().await.unwrap();
    assert!(!home.contains("Enrollment for fall opens Monday."));
    app.shutdown().await;
}
