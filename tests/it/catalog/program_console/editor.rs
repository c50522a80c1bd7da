//! The requirements editor: a two-group tree built with its buttons, reordered and seen in
//! the API and on the program page; each refusal; the demo's trees rebuilt alike.

use serde_json::{Value, json};

use super::*;
use crate::support::TestApp;

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
    assert!(
        body.contains("name=\"course:0\" list=\"all-courses\" value=\"course-v1:NOPE+Y\""),
        "the refused id stays in its field: {body}"
    );
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
async fn titles_counts_and_nested_groups_are_edited_over_the_forms() {
    let app = TestApp::spawn().await;
    let courses = four_courses(&app).await;
    let (c, token) = staff(&app).await;
    let id = create_program(&app, &c, &token, P1, "One").await;
    let p2 = create_program(&app, &c, &token, "program-v1:TEST+P2", "Two").await;
    let mut tree = build(
        &app,
        &c,
        &token,
        id,
        &[(None, vec![("course", "course-v1:TEST+C001")])],
    )
    .await;
    let steps: [(&[(&str, &str)], &str); 4] = [
        (&[], "add-atleast:0"),
        (&[("program:0.1", "program-v1:TEST+P2")], "add-program:0.1"),
        (&[("course:0.1", "course-v1:TEST+C002")], "add-course:0.1"),
        (
            &[("title:0", "Core"), ("title:0.1", "Pick one"), ("n:0.1", "2")],
            "apply",
        ),
    ];
    for (fields, op) in steps {
        let (status, body) = step(&app, &c, &token, id, &tree, fields, op).await;
        assert_eq!(status, 200, "{op}: {body}");
        tree = draft(&body);
    }
    let (status, body) = save(&app, &c, &token, id, &tree).await;
    assert_eq!(status, 303, "{body}");
    let t = req_tree(&app, id).await;
    assert_eq!(t[0]["data"]["title"], "Core");
    assert_eq!(t[0]["children"][0]["data"]["course"], courses[0]);
    let nested = &t[0]["children"][1];
    assert_eq!(
        (
            &nested["data"]["operator"],
            &nested["data"]["operator_value"],
            &nested["data"]["title"]
        ),
        (&json!("min_number_of"), &json!("2"), &json!("Pick one"))
    );
    assert_eq!(nested["children"][0]["data"]["required_program"], p2);
    assert_eq!(nested["children"][1]["data"]["course"], courses[1]);
    let page = text(&app, &c, &format!("/staff/catalog/programs/{id}/")).await;
    assert!(
        page.contains("<strong>Pick one</strong> — Complete at least 2 of these:"),
        "{page}"
    );
    assert!(page.contains("The program Two (program-v1:TEST+P2)"), "{page}");
    app.shutdown().await;
}
