//! Every GET of the contract that answers 200 here (the demo catalog, a signed-in superuser)
//! is validated against the contract's schema for that answer. Where the original itself
//! answers differently from its contract, the original wins: the captured samples of its
//! answers (../shared/reference/mitxonline-samples/) are validated the same way, and a
//! difference of ours is accepted only where a sample has the same one: in the same operation,
//! or on the same field of the same object (the last two names of its place, so one
//! serializer's behaviour seen in one operation counts in every operation that nests it).

use std::collections::{BTreeMap, BTreeSet};

use super::schema::{Contract, instance_of, normalized};

/// Differences of ours from the contract not fixed yet, beyond those the original's samples
/// share: the test fails on any other difference, and on one of these once it is gone (so the
/// list only shrinks).
const KNOWN: &[(&str, &str)] = &[
    (
        "/api/v0/b2b/manager/organizations/",
        "$.results[].logo: null where the contract has no null",
    ),
    (
        "/api/v0/b2b/manager/organizations/{id}/",
        "$.logo: null where the contract has no null",
    ),
    (
        "/api/v0/b2b/organizations/",
        "$[].logo: null where the contract has no null",
    ),
    (
        "/api/v1/course_runs/",
        "$[].course.page: null where the contract has no null",
    ),
    (
        "/api/v1/courses/",
        "$[].page: null where the contract has no null",
    ),
    (
        "/api/v1/programs/",
        "$[].req_tree[].children[].children[].data.required_program: a number where the contract has \"string\"",
    ),
    (
        "/api/v1/programs/{id}/",
        "$.courses: an array where the contract has \"object\"",
    ),
    (
        "/api/v2/courses/",
        "$.results[].duration: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.certificatepage",
        "$.items[].signatory_items[].signature_image: an object where the contract has \"string\"",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.coursepage",
        "$.items[].certificate_page.signatory_items[].signature_image: an object where the contract has \"string\"",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.coursepage",
        "$.items[].feature_image.height: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.coursepage",
        "$.items[].feature_image.width: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].certificate_page.signatory_items[].signature_image: an object where the contract has \"string\"",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].feature_image.height: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].feature_image.width: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].max_price: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].max_weekly_hours: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].min_price: null where the contract has no null",
    ),
    (
        "/api/v2/pages/?fields=*&type=cms.programpage",
        "$.items[].min_weekly_hours: null where the contract has no null",
    ),
];

/// `$.results[].page.current_price: …` → `page.current_price: …`.
fn tail(e: &str) -> String {
    let (place, what) = e.split_once(": ").unwrap_or((e, ""));
    let names: Vec<&str> = place.split('.').collect();
    if names.len() < 3 {
        // `$` or `$.field`: the answer's own top level belongs to its operation only.
        return format!("{place} (top level): {what}");
    }
    let last = names[names.len() - 2..].join(".");
    format!("{last}: {what}")
}

/// The differences from the contract the original's own answers show, per contract path.
fn sample_differences(contract: &Contract) -> BTreeMap<String, BTreeSet<String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/mitxonline-samples");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap_or_default())
            .unwrap_or_default();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in index["endpoints"].as_array().into_iter().flatten() {
        if e["status"] != 200 {
            continue;
        }
        let (Some(file), Some(path)) = (e["file"].as_str(), e["path"].as_str()) else {
            continue;
        };
        let Ok(body) = std::fs::read_to_string(dir.join(file)) else {
            continue;
        };
        let Ok(body) = serde_json::from_str::<serde_json::Value>(&body) else {
            continue;
        };
        for template in contract.doc["paths"].as_object().unwrap().keys() {
            if !instance_of(path, template) {
                continue;
            }
            if let Some(schema) = contract.get_200(template) {
                let errs = contract.errors(schema, &body, "$");
                out.entry(template.clone())
                    .or_default()
                    .extend(errs.iter().map(|e| normalized(e)));
            }
        }
    }
    out
}
use crate::support::TestApp;
use crate::support::identity::signed_in_superuser;

#[tokio::test]
async fn every_get_answer_validates_against_the_contracts_schema() {
    let Some(contract) = Contract::load() else {
        eprintln!("SKIPPED: no reference contract next to the repository");
        return;
    };
    let app = TestApp::builder().demo(true).spawn().await;
    app.expect_undrained(&["openedx"]);
    let admin = signed_in_superuser(&app, "shapes.admin@example.com").await;
    let original = sample_differences(&contract);
    let anywhere: BTreeSet<String> = original.values().flatten().map(|e| tail(e)).collect();
    let mut failures: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut accepted = 0;
    let mut checked = 0;
    for (path, item) in contract.doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let Some(schema) = contract.get_200(path) else {
            continue;
        };
        let url = app.url(&super::coverage::concrete(path));
        // Read through the harness: the answer is also checked against our own document.
        let (status, body) = crate::support::openapi::send_json(admin.get(&url)).await;
        if status != 200 || body.is_null() {
            continue;
        }
        checked += 1;
        let as_original = original.get(path);
        for e in contract.errors(schema, &body, "$") {
            let e = normalized(&e);
            if as_original.is_some_and(|o| o.contains(&e)) || anywhere.contains(&tail(&e)) {
                accepted += 1;
            } else {
                failures.entry(path.clone()).or_default().insert(e);
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(p, e)| (p.to_string(), e.to_string()))
        .collect();
    let found: BTreeSet<(String, String)> = failures
        .iter()
        .flat_map(|(p, es)| es.iter().map(move |e| (p.clone(), e.clone())))
        .collect();
    let new: Vec<&(String, String)> = found.difference(&known).collect();
    let gone: Vec<&(String, String)> = known.difference(&found).collect();
    eprintln!(
        "shapes: {checked} answers checked; {accepted} differences the original's samples share; {} known, {} new",
        found.len() - new.len(),
        new.len()
    );
    assert!(new.is_empty(), "answers that differ from the contract: {new:#?}");
    assert!(gone.is_empty(), "fixed now, remove from KNOWN: {gone:#?}");
    app.shutdown().await;
}
