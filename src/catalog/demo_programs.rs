//! The demo's programs (required courses, electives, one nested program), its collection, the
//! home page and the resource pages.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::{Loaded, money, publish_certificate, publish_new};
use crate::catalog::store::{self, NewNode, NewProgram, ProductTarget};
use crate::cms::model::{NewPage, PageContent, PageType, Section};
use crate::db::DbError;

/// What the course part of the demo made, for the programs to use.
pub struct Ingredients<'a> {
    pub audit: i64,
    pub verified: i64,
    pub depts: &'a [i64],
    pub course_ids: &'a [i64],
    pub images: &'a [i64],
    pub instructors: &'a [i64],
    /// The signatory page program certificates are signed by.
    pub signatory: i64,
}

pub fn load(
    c: &Connection,
    now: DateTime<Utc>,
    ing: &Ingredients<'_>,
    out: &mut Loaded,
) -> Result<(), DbError> {
    let day = |n: i64| Some(now + Duration::days(n));
    let (audit, verified, depts, course_ids, images, instructor_pages) = (
        ing.audit,
        ing.verified,
        ing.depts,
        ing.course_ids,
        ing.images,
        ing.instructors,
    );
    // Programs: P3 is nested inside P2.
    type Spec<'a> = (&'a str, &'a str, &'a str, &'a [usize], &'a [usize], u32);
    let specs: [Spec<'_>; 4] = [
        (
            "Aerospace Engineering Foundations",
            "program-v1:MITx+DEMO.AERO",
            "Series",
            &[0, 6, 12],
            &[18, 24],
            1,
        ),
        (
            "Data, Economics, and Design of Policy",
            "program-v1:MITx+DEMO.DEDP",
            "MicroMasters®",
            &[2, 8],
            &[14, 20, 26],
            2,
        ),
        (
            "Statistics and Data Science",
            "program-v1:MITx+DEMO.SDS",
            "Series",
            &[22, 27],
            &[],
            0,
        ),
        (
            "Computer Science Essentials",
            "program-v1:MITx+DEMO.CSE",
            "Series",
            &[3, 9, 15],
            &[21],
            1,
        ),
    ];
    let mut program_ids = Vec::new();
    for (k, (title, readable, kind, required, electives, n)) in specs.iter().enumerate() {
        let (pid, root) = store::insert_program(
            c,
            &NewProgram {
                title,
                readable_id: readable,
                live: true,
                program_type: kind,
                departments: &[depts[[0, 2, 4, 3][k]]],
                modes: &[audit, verified],
                start_date: day(-30),
            },
            now,
        )?;
        program_ids.push(pid);
        out.programs += 1;
        let req = store::add_requirement(
            c,
            pid,
            root,
            0,
            &NewNode::AllOf {
                title: "Required Courses",
            },
        )?;
        for (pos, &ci) in required.iter().enumerate() {
            store::add_requirement(c, pid, req, pos as i64, &NewNode::Course(course_ids[ci]))?;
        }
        if !electives.is_empty() {
            let el = store::add_requirement(
                c,
                pid,
                root,
                1,
                &NewNode::MinNumberOf {
                    title: "Elective Courses",
                    n: *n,
                    elective: true,
                },
            )?;
            for (pos, &ci) in electives.iter().enumerate() {
                store::add_requirement(c, pid, el, pos as i64, &NewNode::Course(course_ids[ci]))?;
            }
        }
        store::insert_product(
            c,
            ProductTarget::Program(pid),
            money(["750", "1350", "600", "900"][k]),
            readable,
            now,
        )?;
        let content = PageContent {
            title: (*title).into(),
            description: format!("{title} is an MITx program: a series of courses that build on each other."),
            length: format!("{} courses", required.len() + electives.len()),
            effort: "6–9 hours per week".into(),
            what_you_learn: "A solid grounding in the field, course by course.".into(),
            feature_image_id: Some(images[k % images.len()]),
            instructor_ids: vec![instructor_pages[k % 4]],
            include_in_learn_catalog: true,
            list_price: Some(money(["900", "1500", "700", "1000"][k])),
            ..PageContent::default()
        };
        let page = publish_new(
            c,
            &NewPage {
                page_type: PageType::Program,
                slug: readable,
                course_id: None,
                program_id: Some(pid),
                parent_id: None,
            },
            &content,
            now,
        )?;
        out.pages += 1;
        publish_certificate(
            c,
            page,
            &PageContent {
                title: format!("Certificate for {title}"),
                product_name: (*title).into(),
                signatory_ids: vec![ing.signatory],
                ..PageContent::default()
            },
            now,
        )?;
        out.pages += 1;
    }
    // Nest "Statistics and Data Science" as a required sub-program of DEDP.
    let dedp_req: i64 = c.query_row(
        "SELECT id FROM program_requirements WHERE program_id = ?1 AND node_type = 'operator' AND operator = 'all_of'",
        [program_ids[1]],
        |r| r.get(0),
    )?;
    store::add_requirement(c, program_ids[1], dedp_req, 10, &NewNode::Program(program_ids[2]))?;
    store::insert_collection(
        c,
        "MITx programs",
        "Programs that combine MITx courses into a credential.",
        &program_ids,
        now,
    )?;

    // Home page, resource pages.
    publish_new(c, &NewPage { page_type: PageType::Home, slug: "home", course_id: None, program_id: None, parent_id: None }, &PageContent {
        title: "Home".into(),
        hero_title: "Learn with MIT, online".into(),
        hero_subtitle: "MITx Online offers courses and programs designed by MIT faculty, open to learners everywhere.".into(),
        product_section_title: "Featured courses".into(),
        feature_image_id: Some(images[0]),
        ..PageContent::default()
    }, now)?;
    for (slug, title, body) in [
        (
            "about-us",
            "About MITx Online",
            "MITx Online brings MIT courses to learners around the world.",
        ),
        (
            "privacy-policy",
            "Privacy policy",
            "We collect only what we need to run your courses and certificates.",
        ),
        (
            "terms-of-service",
            "Terms of service",
            "By using MITx Online you agree to these terms.",
        ),
        (
            "help",
            "Help",
            "Questions about enrolling, certificates or payments? Contact support.",
        ),
    ] {
        publish_new(
            c,
            &NewPage {
                page_type: PageType::Resource,
                slug,
                course_id: None,
                program_id: None,
                parent_id: None,
            },
            &PageContent {
                title: title.into(),
                sections: vec![Section {
                    heading: title.into(),
                    detail: body.into(),
                }],
                ..PageContent::default()
            },
            now,
        )?;
        out.pages += 1;
    }
    Ok(())
}
