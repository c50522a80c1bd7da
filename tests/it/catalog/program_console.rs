//! The staff program console (issue 17): programs created and edited over the staff forms, the
//! plain-language requirements editor (build, reorder, each refusal), collections, learners
//! refused, and the `catalog program` CLI against the real binary.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::catalog::{course, seed};
use crate::support::identity::{csrf_from, signed_in};

/// A signed-in staff session and a CSRF token for its forms.
async fn staff(app: &TestApp) -> (reqwest::Client, String) {
    let c = signed_in(app, "ops@example.com", true).await;
    let token = csrf_from(app, &c, "/staff/catalog/programs/new/").await;
    (c, token)
}

/// Posts a form; returns the status, the `Location` and the body.
async fn post(
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
async fn text(app: &TestApp, c: &reqwest::Client, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    r.text().await.unwrap()
}

/// Creates a live program over the form; returns its id.
async fn create_program(app: &TestApp, c: &reqwest::Client, token: &str, readable: &str, title: &str) -> i64 {
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
fn draft(html: &str) -> String {
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
async fn step(
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
type GroupSpec<'a> = (Option<u32>, Vec<(&'a str, &'a str)>);

/// Builds a draft from nothing by pressing the editor's buttons, one group at a time:
/// (at_least, courses) per group.
async fn build(app: &TestApp, c: &reqwest::Client, token: &str, id: i64, groups: &[GroupSpec<'_>]) -> String {
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
fn two_groups() -> Vec<GroupSpec<'static>> {
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

async fn save(app: &TestApp, c: &reqwest::Client, token: &str, id: i64, tree: &str) -> (u16, String) {
    step(app, c, token, id, tree, &[], "save").await
}

async fn req_tree(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(status, 200, "{body}");
    body["req_tree"].clone()
}

/// (operator, operator_value, title, leaf course ids) of each top-level group.
fn groups(t: &Value) -> Vec<(String, Value, String, Vec<i64>)> {
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
async fn four_courses(app: &TestApp) -> Vec<i64> {
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

async fn publish_program_page(app: &TestApp, program: i64, slug: &'static str) {
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

const P1: &str = "program-v1:TEST+P1";

#[tokio::test]
async fn a_program_gets_a_two_group_tree_through_the_editor_seen_in_the_api_and_on_its_page() {
    let app = TestApp::spawn().await;
    let courses = four_courses(&app).await;
    let (c, token) = staff(&app).await;
    let id = create_program(&app, &c, &token, P1, "Test program").await;
    let listed = text(&app, &c, "/staff/catalog/programs/?q=test+prog").await;
    assert!(listed.contains(P1), "{listed}");
    let none = text(&app, &c, "/staff/catalog/programs/?q=nothing-like-it").await;
    assert!(!none.contains(P1));

    let tree = build(&app, &c, &token, id, &two_groups()).await;
    let (_, page) = step(&app, &c, &token, id, &tree, &[], "apply").await;
    assert!(
        page.contains("Complete all of these:") && page.contains("Complete at least 1 of these:"),
        "{page}"
    );
    assert_eq!(req_tree(&app, id).await, json!([]), "a draft is not saved");
    let (status, body) = save(&app, &c, &token, id, &tree).await;
    assert_eq!(status, 303, "{body}");
    let saved = groups(&req_tree(&app, id).await);
    assert_eq!(
        saved,
        vec![
            (
                "all_of".into(),
                Value::Null,
                "Required Courses".into(),
                courses[..2].to_vec()
            ),
            (
                "min_number_of".into(),
                json!("1"),
                "Elective Courses".into(),
                courses[2..].to_vec()
            ),
        ]
    );
    let (_, program) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(
        program["requirements"]["courses"]["required"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{program}"
    );

    // The staff program page says it in sentences; the public page lists the courses.
    let staff_page = text(&app, &c, &format!("/staff/catalog/programs/{id}/")).await;
    assert!(
        staff_page.contains("<strong>Required Courses</strong> — Complete all of these:"),
        "{staff_page}"
    );
    assert!(staff_page.contains("Course 003 (course-v1:TEST+C003)"));
    publish_program_page(&app, id, P1).await;
    let public = app.get(&format!("/programs/{P1}/")).await;
    assert_eq!(public.status(), 200);
    let public = public.text().await.unwrap();
    assert!(
        public.contains("Course 001") && public.contains("Course 004"),
        "{public}"
    );
    assert!(public.contains("(complete 1)"), "{public}");

    // Reordering: C002 before C001, electives first.
    let editor = c
        .get(app.url(&format!("/staff/catalog/programs/{id}/requirements/")))
        .send()
        .await
        .unwrap();
    let tree = draft(&editor.text().await.unwrap());
    let (status, body) = step(&app, &c, &token, id, &tree, &[], "down:0.0").await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = step(&app, &c, &token, id, &draft(&body), &[], "up:1").await;
    let (status, _) = save(&app, &c, &token, id, &draft(&body)).await;
    assert_eq!(status, 303);
    let reordered = groups(&req_tree(&app, id).await);
    assert_eq!(reordered[0].3, courses[2..].to_vec());
    assert_eq!(reordered[1].3, vec![courses[1], courses[0]]);

    // Removing an item, then saving.
    let (_, body) = step(&app, &c, &token, id, &draft(&body), &[], "remove:1.1").await;
    assert_eq!(save(&app, &c, &token, id, &draft(&body)).await.0, 303);
    assert_eq!(groups(&req_tree(&app, id).await)[1].3, vec![courses[1]]);
    let audited = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'program.requirements'")
        .await;
    assert_eq!(audited, 3);
    app.shutdown().await;
}

#[tokio::test]
async fn each_refusal_names_the_problem_and_changes_nothing() {
    let app = TestApp::spawn().await;
    four_courses(&app).await;
    let (c, token) = staff(&app).await;
    let p1 = create_program(&app, &c, &token, P1, "One").await;
    let p2 = create_program(&app, &c, &token, "program-v1:TEST+P2", "Two").await;
    let two = build(&app, &c, &token, p1, &two_groups()).await;
    assert_eq!(save(&app, &c, &token, p1, &two).await.0, 303);
    let before = req_tree(&app, p1).await;
    let version = || app.scalar_i64("SELECT version FROM catalog_version");
    let v0 = version().await;

    let group = |title: &str, at_least: Option<u32>, items: Value| {
        let mut g = json!({"title": title, "items": items});
        if let Some(n) = at_least {
            g["at_least"] = json!(n);
        }
        g
    };
    let c1 = json!({"course": "course-v1:TEST+C001"});
    let c2 = json!({"course": "course-v1:TEST+C002"});
    let cases = [
        (
            json!({"groups": [group("Required Courses", None, json!([c1])), group("Extra", None, json!([]))]}),
            "The group \"Extra\" is empty",
        ),
        (
            json!({"groups": [group("Elective Courses", Some(3), json!([c1, c2]))]}),
            "The group \"Elective Courses\" asks for at least 3 of 2: N must be between 1 and 2.",
        ),
        (
            json!({"groups": [group("Required Courses", None, json!([c1, {"course": "course-v1:NOPE+X"}]))]}),
            "There is no course course-v1:NOPE+X.",
        ),
        (
            json!({"groups": [group("Required Courses", None, json!([c1, {"group": group("Inner", None, json!([c1]))}]))]}),
            "Course course-v1:TEST+C001 appears more than once in the tree.",
        ),
        (
            json!({"groups": [group("Required Courses", None, json!([{"program": P1}]))]}),
            "A program cannot require itself (program-v1:TEST+P1).",
        ),
    ];
    for (tree, message) in cases {
        let (status, body) = save(&app, &c, &token, p1, &tree.to_string()).await;
        assert_eq!(status, 400, "{tree}: {body}");
        assert!(
            body.contains(&message.replace('"', "&quot;")),
            "{message}: {body}"
        );
        assert!(body.contains("Nothing was saved"), "{body}");
    }
    // N too big, typed in the form.
    let (status, body) = step(&app, &c, &token, p1, &two, &[("n:1", "5")], "save").await;
    assert_eq!(status, 400);
    assert!(body.contains("asks for at least 5 of 2"), "{body}");
    // An unknown course typed into the add field is refused at once.
    let (status, body) = step(
        &app,
        &c,
        &token,
        p1,
        &two,
        &[("course:0", "course-v1:NOPE+Y")],
        "add-course:0",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("There is no course course-v1:NOPE+Y."), "{body}");
    // A cycle: P2 requires P1, then P1 may not require P2.
    let p2_tree = json!({"groups": [group("Required Courses", None, json!([{"program": P1}]))]});
    assert_eq!(save(&app, &c, &token, p2, &p2_tree.to_string()).await.0, 303);
    let v1 = version().await;
    assert!(v1 > v0, "a saved tree bumps the catalog version");
    let cyclic =
        json!({"groups": [group("Required Courses", None, json!([c1, {"program": "program-v1:TEST+P2"}]))]});
    let (status, body) = save(&app, &c, &token, p1, &cyclic.to_string()).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("Requiring program program-v1:TEST+P2 would make a cycle: program-v1:TEST+P1 requires program-v1:TEST+P2 requires program-v1:TEST+P1."),
        "{body}"
    );
    assert_eq!(req_tree(&app, p1).await, before, "nothing changed");
    assert_eq!(version().await, v1, "no refused save wrote anything");
    app.shutdown().await;
}

/// Presses the buttons that rebuild `source`'s saved tree (top-level groups of courses and
/// programs) on program `target`, and saves it.
async fn rebuild(app: &TestApp, c: &reqwest::Client, token: &str, source: i64, target: i64) {
    let page = c
        .get(app.url(&format!("/staff/catalog/programs/{source}/requirements/")))
        .send()
        .await
        .unwrap();
    let tree: Value = serde_json::from_str(&draft(&page.text().await.unwrap())).unwrap();
    let mut spec = Vec::new();
    for g in tree["groups"].as_array().unwrap() {
        let items: Vec<(&str, &str)> = g["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| match (i["course"].as_str(), i["program"].as_str()) {
                (Some(r), _) => ("course", r),
                (_, Some(r)) => ("program", r),
                _ => panic!("the demo has no nested groups: {i}"),
            })
            .collect();
        spec.push((g["at_least"].as_u64().map(|n| n as u32), items));
    }
    let built = build(app, c, token, target, &spec).await;
    assert_eq!(save(app, c, token, target, &built).await.0, 303);
}

/// The tree without what differs between two programs: node ids and the owning program.
fn anonymous(mut t: Value) -> Value {
    fn strip(v: &mut Value) {
        if let Some(o) = v.as_object_mut() {
            o.remove("id");
            if let Some(d) = o.get_mut("data").and_then(Value::as_object_mut) {
                d.remove("program");
            }
            if let Some(kids) = o.get_mut("children").and_then(Value::as_array_mut) {
                kids.iter_mut().for_each(strip);
            }
        }
    }
    t.as_array_mut().unwrap().iter_mut().for_each(strip);
    t
}

#[tokio::test]
async fn a_tree_built_in_the_editor_serialises_like_the_demos() {
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx", "hubspot"]);
    let (c, token) = staff(&app).await;
    let (_, list) = app.get_json("/api/v2/programs/?page_size=50").await;
    let id_of = |readable: &str| {
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["readable_id"] == readable)
            .unwrap_or_else(|| panic!("{readable} in {list}"))["id"]
            .as_i64()
            .unwrap()
    };
    // Electives and a nested program (DEDP requires SDS).
    for (demo, copy) in [
        ("program-v1:MITx+DEMO.AERO", "program-v1:TEST+AERO"),
        ("program-v1:MITx+DEMO.DEDP", "program-v1:TEST+DEDP"),
    ] {
        let source = id_of(demo);
        let target = create_program(&app, &c, &token, copy, "Copy").await;
        rebuild(&app, &c, &token, source, target).await;
        let (_, a) = app.get_json(&format!("/api/v2/programs/{source}/")).await;
        let (_, b) = app.get_json(&format!("/api/v2/programs/{target}/")).await;
        assert!(!a["req_tree"].as_array().unwrap().is_empty());
        assert_eq!(
            anonymous(b["req_tree"].clone()),
            anonymous(a["req_tree"].clone()),
            "{demo}"
        );
        assert_eq!(b["requirements"], a["requirements"], "{demo}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn program_fields_are_edited_and_bad_ones_refused() {
    let app = TestApp::spawn().await;
    let (c, token) = staff(&app).await;
    seed(&app, |c, _| {
        mitxonline::catalog::store::ensure_department(c, "Physics")?;
        mitxonline::catalog::store::ensure_mode(c, "verified", true)?;
        Ok(())
    })
    .await;
    let id = create_program(&app, &c, &token, P1, "One").await;
    let dept = app
        .scalar_i64("SELECT id FROM departments WHERE name = 'Physics'")
        .await
        .to_string();
    let mode = app
        .scalar_i64("SELECT id FROM enrollment_modes WHERE mode_slug = 'verified'")
        .await
        .to_string();
    let action = format!("/staff/catalog/programs/{id}/");
    let fields = [
        ("title", "Renamed"),
        ("readable_id", P1),
        ("program_type", "MicroMasters®"),
        ("availability", "dated"),
        ("display_mode", "course"),
        ("start_date", "2027-01-05T09:30"),
        ("end_date", "2027-06-01"),
        ("departments", dept.as_str()),
        ("modes", mode.as_str()),
        ("live", "on"),
    ];
    let (status, _, body) = post(&app, &c, &token, &action, &fields).await;
    assert_eq!(status, 303, "{body}");
    let (_, p) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(p["title"], "Renamed");
    assert_eq!(p["program_type"], "MicroMasters®");
    assert_eq!(p["availability"], "dated");
    assert_eq!(p["display_mode"], "course");
    assert_eq!(p["start_date"], "2027-01-05T09:30:00.000000Z");
    assert_eq!(p["departments"][0]["name"], "Physics", "{p}");
    let form = text(&app, &c, &action).await;
    assert!(form.contains("value=\"2027-01-05T09:30\""), "{form}");

    let other = create_program(&app, &c, &token, "program-v1:TEST+P2", "Two").await;
    for (field, value, message) in [
        (
            "readable_id",
            "program-v1:TEST+P2",
            "A program program-v1:TEST+P2 already exists.",
        ),
        ("title", "", "title: This field is required."),
        (
            "end_date",
            "2026-01-01",
            "end_date: This date is before the start it ends.",
        ),
        ("start_date", "soon", "start_date: Enter a date and time"),
        ("departments", "999", "There is no department 999."),
    ] {
        let mut f: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != field).collect();
        f.push((field, value));
        let (status, _, body) = post(&app, &c, &token, &action, &f).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body.contains(message), "{message}: {body}");
    }
    let (_, p) = app.get_json(&format!("/api/v2/programs/{id}/")).await;
    assert_eq!(
        (p["title"].as_str(), p["readable_id"].as_str()),
        (Some("Renamed"), Some(P1))
    );
    assert!(other > id);
    let audited = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action IN ('program.create', 'program.update')")
        .await;
    assert_eq!(audited, 3);
    app.shutdown().await;
}

#[tokio::test]
async fn collections_are_created_ordered_and_edited() {
    let app = TestApp::spawn().await;
    let (c, token) = staff(&app).await;
    let ids = [
        create_program(&app, &c, &token, "program-v1:TEST+A", "A").await,
        create_program(&app, &c, &token, "program-v1:TEST+B", "B").await,
        create_program(&app, &c, &token, "program-v1:TEST+C", "C").await,
    ];
    let (status, location, body) = post(
        &app,
        &c,
        &token,
        "/staff/catalog/collections/",
        &[("title", "Featured"), ("description", "Our best")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (status, _, body) = post(
        &app,
        &c,
        &token,
        "/staff/catalog/collections/",
        &[("title", " "), ("description", "")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("title: This field is required."), "{body}");
    let cid: i64 = location
        .trim_start_matches("/staff/catalog/collections/")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let programs = |v: &Value| -> Vec<i64> {
        v["programs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    };
    let mut list: Vec<&str> = Vec::new();
    let action = format!("/staff/catalog/collections/{cid}/");
    for add in ["program-v1:TEST+A", "program-v1:TEST+B", "program-v1:TEST+C"] {
        let mut f = vec![
            ("title", "Featured"),
            ("description", "Our best"),
            ("add", add),
            ("op", "add"),
        ];
        f.extend(list.iter().map(|p| ("program", *p)));
        let (status, _, body) = post(&app, &c, &token, &action, &f).await;
        assert_eq!(status, 303, "{body}");
        list.push(add);
    }
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(programs(&v), ids.to_vec());
    let mut f: Vec<(&str, &str)> = vec![
        ("title", "Featured now"),
        ("description", "Changed"),
        ("op", "up:2"),
    ];
    f.extend(list.iter().map(|p| ("program", *p)));
    assert_eq!(post(&app, &c, &token, &action, &f).await.0, 303);
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(programs(&v), vec![ids[0], ids[2], ids[1]]);
    assert_eq!(
        (v["title"].as_str(), v["description"].as_str()),
        (Some("Featured now"), Some("Changed"))
    );
    let f = [
        ("title", "Featured now"),
        ("description", "Changed"),
        ("program", "program-v1:TEST+A"),
        ("program", "program-v1:TEST+C"),
        ("op", "remove:0"),
    ];
    assert_eq!(post(&app, &c, &token, &action, &f).await.0, 303);
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(programs(&v), vec![ids[2]]);
    // Unknown or repeated programs are refused with nothing changed.
    for (add, message) in [
        ("program-v1:NOPE", "There is no program program-v1:NOPE."),
        ("program-v1:TEST+C", "Program program-v1:TEST+C is listed twice."),
    ] {
        let f = [
            ("title", "X"),
            ("description", ""),
            ("program", "program-v1:TEST+C"),
            ("add", add),
            ("op", "add"),
        ];
        let (status, _, body) = post(&app, &c, &token, &action, &f).await;
        assert_eq!(status, 400);
        assert!(body.contains(message), "{body}");
    }
    let (_, v) = app.get_json(&format!("/api/v2/program-collections/{cid}/")).await;
    assert_eq!(
        (v["title"].as_str(), programs(&v)),
        (Some("Featured now"), vec![ids[2]])
    );
    let program_page = text(&app, &c, &format!("/staff/catalog/programs/{}/", ids[2])).await;
    assert!(
        program_page.contains("Featured now"),
        "a program lists its collections"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn learners_are_refused_every_console_page_and_form() {
    let app = TestApp::spawn().await;
    let (staff_client, token) = staff(&app).await;
    let id = create_program(&app, &staff_client, &token, P1, "One").await;
    let learner = signed_in(&app, "learner@example.com", false).await;
    let learner_token = csrf_from(&app, &learner, "/account-settings/").await;
    for path in [
        "/staff/catalog/programs/".to_owned(),
        "/staff/catalog/programs/new/".to_owned(),
        format!("/staff/catalog/programs/{id}/"),
        format!("/staff/catalog/programs/{id}/requirements/"),
        "/staff/catalog/collections/".to_owned(),
    ] {
        let r = learner.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "GET {path}");
    }
    let (status, _, _) = post(
        &app,
        &learner,
        &learner_token,
        "/staff/catalog/programs/",
        &[("title", "X"), ("readable_id", "program-v1:X")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &app,
        &learner,
        &learner_token,
        &format!("/staff/catalog/programs/{id}/requirements/"),
        &[("tree", "{}"), ("op", "save")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM programs").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn the_cli_adds_a_program_and_sets_its_requirements_checked_as_the_editor() {
    use crate::support::process::run_cli;
    let app = TestApp::spawn().await;
    let courses = four_courses(&app).await;
    let dir = app.dir.path();
    let out = run_cli(
        dir,
        &[],
        &[
            "catalog",
            "program",
            "add",
            "--readable-id",
            "program-v1:CLI+1",
            "--title",
            "From the CLI",
            "--live",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = app
        .scalar_i64("SELECT id FROM programs WHERE readable_id = 'program-v1:CLI+1'")
        .await;
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("id {id}")));
    let again = run_cli(
        dir,
        &[],
        &[
            "catalog",
            "program",
            "add",
            "--readable-id",
            "program-v1:CLI+1",
            "--title",
            "Twice",
        ],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let file = dir.join("tree.json");
    let set_requirements = |file: &std::path::Path| {
        run_cli(
            dir,
            &[],
            &[
                "catalog",
                "program",
                "requirements",
                "program-v1:CLI+1",
                file.to_str().unwrap(),
            ],
        )
    };
    let good = json!({"groups": [
        {"title": "Required Courses", "items": [{"course": "course-v1:TEST+C001"}, {"course": "course-v1:TEST+C002"}]},
        {"title": "Elective Courses", "at_least": 1, "items": [{"course": "course-v1:TEST+C003"}, {"course": "course-v1:TEST+C004"}]}
    ]});
    std::fs::write(&file, good.to_string()).unwrap();
    let out = set_requirements(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let saved = groups(&req_tree(&app, id).await);
    assert_eq!(saved[0].3, courses[..2].to_vec());
    assert_eq!(
        (saved[1].1.clone(), saved[1].3.clone()),
        (json!("1"), courses[2..].to_vec())
    );

    let bad = json!({"groups": [
        {"title": "Required Courses", "items": [{"course": "course-v1:NOPE+Z"}]},
        {"title": "Elective Courses", "at_least": 2, "items": []}
    ]});
    std::fs::write(&file, bad.to_string()).unwrap();
    let out = set_requirements(&file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("There is no course course-v1:NOPE+Z.") && err.contains("\"Elective Courses\" is empty"),
        "{err}"
    );
    std::fs::write(&file, "{\"groups\": [{\"items\": [{\"cours\": \"x\"}]}]}").unwrap();
    let out = set_requirements(&file);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown variant `cours`"));
    assert_eq!(
        groups(&req_tree(&app, id).await),
        saved,
        "refused files change nothing"
    );
    let by_cli = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE actor_label = 'cli' AND object_type = 'program'")
        .await;
    assert_eq!(by_cli, 2);
    app.shutdown().await;
}

/// Polls the browser's page until `test` holds for its source.
async fn wait_for(b: &crate::support::browser::Browser, what: &str, test: impl Fn(&str) -> bool) {
    for _ in 0..200 {
        if test(&b.source().await) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never saw {what} in {}", b.source().await);
}

#[tokio::test]
async fn the_requirements_editor_is_used_from_the_keyboard_and_passes_axe() {
    use crate::support::browser::{Browser, axe_source, axe_violations};
    const ENTER: &str = "\u{E007}";
    let Some(b) = Browser::start().await else { return };
    let axe = axe_source();
    let app = TestApp::spawn().await;
    let courses = four_courses(&app).await;
    let (c, token) = staff(&app).await;
    let id = create_program(&app, &c, &token, P1, "Keyboard program").await;
    b.goto(&app.url("/login/")).await;
    b.type_text(&b.find("#f-email").await, "ops@example.com").await;
    b.type_text(&b.find("#f-password").await, &format!("a good password{ENTER}"))
        .await;
    wait_for(&b, "signed in", |src| !src.contains("id=\"f-password\"")).await;
    b.goto(&app.url(&format!("/staff/catalog/programs/{id}/requirements/")))
        .await;
    wait_for(&b, "the editor", |src| src.contains("No requirements yet")).await;

    // Enter on a focused button presses it; Enter in a field adds what was typed.
    b.type_text(&b.find("button[value='add-all:']").await, ENTER)
        .await;
    wait_for(&b, "a group", |src| src.contains("id=\"course-0\"")).await;
    for (n, readable) in ["course-v1:TEST+C001", "course-v1:TEST+C002"].iter().enumerate() {
        b.type_text(&b.find("#course-0").await, &format!("{readable}{ENTER}"))
            .await;
        let shown = format!("Course 00{} ({readable})", n + 1);
        wait_for(&b, &shown, |src| src.contains(&shown)).await;
    }
    b.type_text(&b.find("button[value='down:0.0']").await, ENTER)
        .await;
    wait_for(&b, "C002 first", |src| {
        src.find("Course 002 (")
            .zip(src.find("Course 001 ("))
            .is_some_and(|(two, one)| two < one)
    })
    .await;
    if let Some(axe) = &axe {
        let violations = axe_violations(&b, axe).await;
        assert!(violations.is_empty(), "{violations:#?}");
    }
    b.type_text(&b.find("button[value='save']").await, ENTER).await;
    wait_for(&b, "saved", |src| src.contains("Saved.")).await;
    assert_eq!(
        groups(&req_tree(&app, id).await)[0].3,
        vec![courses[1], courses[0]]
    );
    let (_, location, _) = post(
        &app,
        &c,
        &token,
        "/staff/catalog/collections/",
        &[("title", "Keyboard"), ("description", "")],
    )
    .await;
    if let Some(axe) = &axe {
        for path in [
            "/staff/catalog/programs/".to_owned(),
            "/staff/catalog/programs/new/".to_owned(),
            format!("/staff/catalog/programs/{id}/"),
            "/staff/catalog/collections/".to_owned(),
            location,
        ] {
            b.goto(&app.url(&path)).await;
            wait_for(&b, "the page", |src| src.contains("</footer>")).await;
            let violations = axe_violations(&b, axe).await;
            assert!(violations.is_empty(), "{path}: {violations:#?}");
        }
    }
    b.quit().await;
    app.shutdown().await;
}
