//! A contract run's enrollment names its contract and organization in the enrollment APIs.

use serde_json::{Value, json};

use super::{codes, contract, program_with_sources};
use crate::support::TestApp;
use crate::support::commerce::learner;

#[tokio::test]
async fn an_enrollment_in_a_contract_run_names_the_contracts_organization_in_v2_and_v3() {
    let app = TestApp::spawn().await;
    app.expect_undrained(&["openedx", "mail"]);
    let (program, _) = program_with_sources(&app, "ORGID", 1).await;
    let (org, k) = contract(&app, "orgid", "code", Some(3), None, Some(program), None).await;
    let key: String = app
        .state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT courseware_id FROM course_runs WHERE b2b_contract_id = ?1 AND language = 'en'",
                [k],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    let (_, jane) = learner(&app, "orgid-jane@example.com").await;
    let code = codes(&app, k).await[0].clone();
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/attach/{code}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = jane
        .post(app.url(&format!("/api/v0/b2b/enroll/{key}/")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    for v in ["v2", "v3"] {
        let list: Value = jane
            .get(app.url(&format!("/api/{v}/enrollments/")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let e = &list.as_array().unwrap()[0];
        assert_eq!(e["b2b_organization_id"], org, "{v}: {e}");
        assert_eq!(e["b2b_contract_id"], k, "{v}: {e}");
    }
    let v1: Value = jane
        .get(app.url("/api/v1/enrollments/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v1[0].get("b2b_organization_id").is_none(), "{v1}");
    app.shutdown().await;
}
