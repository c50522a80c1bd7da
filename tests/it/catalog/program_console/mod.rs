//! The staff program console (issue 17), black-box over HTTP: programs created and edited
//! over the staff forms, the plain-language requirements editor (build, reorder, each refusal,
//! the same output as the demo's trees: [`editor`]), program fields, collections and learners
//! refused ([`console`]), the `catalog program` CLI against the real binary ([`cli`]) and the
//! editor from the keyboard in headless Chromium ([`browser`]). The steps they share are here.

mod browser;
mod cli;
mod console;
mod editor;

use serde_json::Value;

use crate::support::TestApp;
use crate::support::catalog::{course, seed};
use crate::support::identity::{csrf_from, signed_in};

/// A signed-in staff session and a CSRF token for its forms.
pub async fn staff(app: &TestApp) -> (reqwest::Client, String) {
    let c = signed_in(app, "ops@example.com", true).await;
    let token = csrf_from(app, &c, "/staff/catalog/programs/new/").await;
    (c, token)
}

/// Posts a form; returns the status, the `Location` and the body.
pub async fn post(
    app: &TestApp,
    c: &reqwest::Client,
    token: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrfmiddlewaretoken", token));
    let r = c.post(app.url(action)).form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// The body of a page `c` reads.
pub async fn text(app: &TestApp, c: &reqwest::Client, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    r.text().await.unwrap()
}

/// Creates a live program over the form; returns its id.
pub async fn create_program(
    app: &TestApp,
    c: &reqwest::Client,
    token: &str,
    readable: &str,
    title: &str,
) -> i64 {
    let (status, location, body) = post(
        app,
        c,
        token,
        "/staff/catalog/programs/",
        &[
            ("title", title),
            ("readable_id", readable),
            ("program_type", "Series"),
            ("availability", "anytime"),
            ("live", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    location
        .trim_start_matches("/staff/catalog/programs/")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("{location}"))
}

/// The draft the editor page carries.
pub fn draft(html: &str) -> String {
    let marker = "name=\"tree\" value=\"";
    let at = html.find(marker).unwrap_or_else(|| panic!("no draft in {html}")) + marker.len();
    html[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// One editor step: the draft, the typed fields and the pressed button.
pub async fn step(
    app: &TestApp,
    c: &reqwest::Client,
    token: &str,
    id: i64,
    tree: &str,
    fields: &[(&str, &str)],
    op: &str,
) -> (u16, String) {
    let mut form = vec![("tree", tree), ("op", op)];
    form.extend_from_slice(fields);
    let (status, _, body) = post(
        app,
        c,
        token,
        &format!("/staff/catalog/programs/{id}/requirements/"),
        &form,
    )
    .await;
    (status, body)
}

/// A group to build: its "at least N" (none: all of these) and its (kind, readable id) items.
pub type GroupSpec<'a> = (Option<u32>, Vec<(&'a str, &'a str)>);

/// Builds a draft from nothing by pressing the editor's buttons, one group at a time:
/// (at_least, courses) per group.
pub async fn build(
    app: &TestApp,
    c: &reqwest::Client,
    token: &str,
    id: i64,
    groups: &[GroupSpec<'_>],
) -> String {
    let (_, body) = step(app, c, token, id, "{}", &[], "apply").await;
    let mut tree = draft(&body);
    for (g, (at_least, items)) in groups.iter().enumerate() {
        let op = if at_least.is_some() {
            "add-atleast:"
        } else {
            "add-all:"
        };
        let (status, body) = step(app, c, token, id, &tree, &[], op).await;
        assert_eq!(status, 200, "{body}");
        tree = draft(&body);
        for (kind, readable) in items {
            let field = format!("{kind}:{g}");
            let op = format!("add-{kind}:{g}");
            let (status, body) = step(app, c, token, id, &tree, &[(&field, readable)], &op).await;
            assert_eq!(status, 200, "{body}");
            tree = draft(&body);
        }
        if let Some(n) = at_least {
            let (field, n) = (format!("n:{g}"), n.to_string());
            let (status, body) = step(app, c, token, id, &tree, &[(&field, &n)], "apply").await;
            assert_eq!(status, 200, "{body}");
            tree = draft(&body);
        }
    }
    tree
}

/// All of C001, C002; at least 1 of C003, C004.
pub fn two_groups() -> Vec<GroupSpec<'static>> {
    vec![
        (
            None,
            vec![
                ("course", "course-v1:TEST+C001"),
                ("course", "course-v1:TEST+C002"),
            ],
        ),
        (
            Some(1),
            vec![
                ("course", "course-v1:TEST+C003"),
                ("course", "course-v1:TEST+C004"),
            ],
        ),
    ]
}

pub async fn save(app: &TestApp, c: &reqwest::Client, token: &str, id: i64, tree: &str) -> (u16, String) {
    step(app, c, token, id, tree, &[], "save").await
}

pub async fn req_tree(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(status, 200, "{body}");
    body["req_tree"].clone()
}

/// (operator, operator_value, title, leaf course ids) of each top-level group.
pub fn groups(t: &Value) -> Vec<(String, Value, String, Vec<i64>)> {
    t.as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let d = &g["data"];
            let leaves = g["children"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|k| k["data"]["course"].as_i64())
                .collect();
            (
                d["operator"].as_str().unwrap().to_owned(),
                d["operator_value"].clone(),
                d["title"].as_str().unwrap().to_owned(),
                leaves,
            )
        })
        .collect()
}

/// Four live courses with pages (course-v1:TEST+C001..C004); their ids.
pub async fn four_courses(app: &TestApp) -> Vec<i64> {
    let ids = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = ids.clone();
    seed(app, move |c, now| {
        for n in 1..=4 {
            out.lock().unwrap().push(course(c, now, n, true, true)?);
        }
        Ok(())
    })
    .await;
    ids.lock().unwrap().clone()
}

pub async fn publish_program_page(app: &TestApp, program: i64, slug: &'static str) {
    use mitxonline::cms::model::{PageContent, PageType};
    use mitxonline::cms::store::{self as cms, NewPage};
    seed(app, move |c, now| {
        let content = PageContent {
            title: "Program page".into(),
            ..PageContent::default()
        };
        let page = NewPage {
            page_type: PageType::Program,
            slug,
            course_id: None,
            program_id: Some(program),
            parent_id: None,
        };
        let (pid, rev) = cms::create_page(c, &page, &content, "test", now)?;
        cms::publish(c, pid, rev, now)
    })
    .await;
}

pub const P1: &str = "program-v1:TEST+P1";
