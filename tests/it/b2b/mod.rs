//! B2B contracts: provisioning, codes, attach (with the seat race), enroll, catalog isolation,
//! manager APIs, the Mailgun webhook and Keycloak organizations.

mod attach;
mod catalog;
mod enroll;
mod enrollment_shapes;
mod keycloak;
mod manager;
mod staff;
mod staff_edit;
mod studio;

use chrono::Duration;
use mitxonline::b2b::admin::{self, NewContract, NewOrganization};
use mitxonline::catalog::store::{self, NewCourse, NewNode, NewProgram, NewRun};
use mitxonline::db::DbError;

use crate::support::TestApp;

/// A live program whose courses each have one source run (the first course also a Spanish
/// one); returns `(program id, source run keys)`.
pub async fn program_with_sources(app: &TestApp, tag: &str, courses: usize) -> (i64, Vec<String>) {
    let now = app.state.clock.now();
    let tag = tag.to_owned();
    app.state
        .db
        .write(move |c| {
            let audit = store::ensure_mode(c, "audit", false)?;
            let (pid, root) = store::insert_program(
                c,
                &NewProgram {
                    title: &format!("Program {tag}"),
                    readable_id: &format!("program-v1:B2B+{tag}"),
                    live: true,
                    program_type: "Series",
                    departments: &[],
                    modes: &[],
                    start_date: None,
                },
                now,
            )?;
            let all = store::add_requirement(
                c,
                pid,
                root,
                0,
                &NewNode::AllOf {
                    title: "Required Courses",
                },
            )?;
            let mut keys = Vec::new();
            for i in 0..courses {
                let readable = format!("course-v1:MITxT+{tag}{i}x");
                let cid = store::insert_course(
                    c,
                    &NewCourse {
                        title: &format!("B2B course {tag} {i}"),
                        readable_id: &readable,
                        live: true,
                        departments: &[],
                        topics: &[],
                    },
                    now,
                )?;
                store::add_requirement(c, pid, all, i as i64, &NewNode::Course(cid))?;
                let langs: &[&str] = if i == 0 { &["en", "es"] } else { &["en"] };
                for lang in langs {
                    let key = format!("{readable}+SOURCE_{lang}");
                    let run = store::insert_run(
                        c,
                        &NewRun {
                            course_id: cid,
                            title: &format!("B2B course {tag} {i}"),
                            courseware_id: &key,
                            run_tag: "SOURCE",
                            start_date: Some(now - Duration::days(30)),
                            enrollment_start: Some(now - Duration::days(30)),
                            live: true,
                            is_primary_language: *lang == "en",
                            language: lang,
                            modes: &[audit],
                            ..NewRun::default()
                        },
                        now,
                    )?;
                    store::mark_source_run(c, run)?;
                    keys.push(key);
                }
            }
            Ok::<_, DbError>((pid, keys))
        })
        .await
        .unwrap()
}

/// An organization (with a Keycloak id when `sso` is given) and one contract over `program`;
/// returns `(organization id, contract id)`.
pub async fn contract(
    app: &TestApp,
    slug: &str,
    kind: &str,
    seats: Option<i64>,
    price: Option<&str>,
    program: Option<i64>,
    sso: Option<&str>,
) -> (i64, i64) {
    let now = app.state.clock.now();
    let org = NewOrganization {
        name: format!("Org {slug}"),
        slug: format!("org-{slug}"),
        sso_organization_id: sso.unwrap_or_default().to_owned(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let today = now.date_naive();
    let k = NewContract {
        name: format!("Contract {slug}"),
        slug: format!("contract-{slug}"),
        membership_type: kind.into(),
        contract_start: (today - Duration::days(1)).to_string(),
        contract_end: (today + Duration::days(200)).to_string(),
        max_learners: seats.map(|s| s.to_string()).unwrap_or_default(),
        enrollment_fixed_price: price.unwrap_or_default().to_owned(),
        ..Default::default()
    };
    app.state
        .db
        .write(move |c| {
            let oid = admin::create_organization_in(c, &org, "test", now)?;
            let kid = admin::create_contract_in(c, &k.parse(oid)?, "test", now)?;
            if let Some(p) = program {
                admin::add_program_in(c, kid, &p.to_string(), "test", now)?;
            }
            Ok::<_, mitxonline::b2b::B2bError>((oid, kid))
        })
        .await
        .unwrap()
}

/// The contract's code strings, oldest first.
pub async fn codes(app: &TestApp, contract: i64) -> Vec<String> {
    app.state
        .db
        .read(move |c| mitxonline::b2b::store_codes::codes_of_contract(c, contract))
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.code)
        .collect()
}

pub async fn count(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    app.state
        .db
        .read(move |c| c.query_row(sql, [id], |r| r.get(0)))
        .await
        .unwrap()
}
