//! The demo catalog: departments, ~30 courses with past, current and future runs (self-paced
//! and instructor-paced, with and without a paid verified mode), 4 programs (required courses,
//! electives, one nested program), a collection, and published pages with images and
//! instructors. Loading it twice changes nothing.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::store::{self, NewCourse, NewRun, ProductTarget};
use crate::cms::media::gradient_png;
use crate::cms::model::{NewPage, PageContent, PageType};
use crate::cms::service as cms;
use crate::db::DbError;

/// The readable id whose presence marks the demo catalog as loaded.
pub const MARKER: &str = "course-v1:MITxT+DEMO.101x";

const DEPARTMENTS: [&str; 6] = [
    "Aeronautics and Astronautics",
    "Biology",
    "Economics",
    "Electrical Engineering and Computer Science",
    "Mathematics",
    "Physics",
];

const TITLES: [&str; 30] = [
    "Introduction to Aerospace Engineering",
    "Introduction to Biology: The Secret of Life",
    "Principles of Microeconomics",
    "Introduction to Computer Science and Programming Using Python",
    "Calculus 1A: Differentiation",
    "Mechanics: Kinematics and Dynamics",
    "Flight Vehicle Aerodynamics",
    "Molecular Biology: DNA Replication and Repair",
    "Data Analysis for Social Scientists",
    "Circuits and Electronics",
    "Calculus 1B: Integration",
    "Electricity and Magnetism",
    "Unified Engineering: Structures",
    "Quantitative Biology Workshop",
    "Microeconomic Theory and Public Policy",
    "Computation Structures",
    "Differential Equations: Linear Algebra and NxN Systems",
    "Vibrations and Waves",
    "Spacecraft Systems Engineering",
    "Cell Biology: Transport and Signaling",
    "The Challenges of Global Poverty",
    "Machine Learning with Python: from Linear Models to Deep Learning",
    "Probability: The Science of Uncertainty and Data",
    "Quantum Mechanics: A First Course",
    "Aircraft Systems Engineering",
    "Genetics: The Fundamentals",
    "Foundations of Development Policy",
    "Fundamentals of Statistics",
    "Multivariable Calculus",
    "Statistical Physics",
];

const INSTRUCTORS: [(&str, &str); 4] = [
    ("Ada Okafor", "Professor of Aeronautics and Astronautics"),
    ("Ben Hartmann", "Senior Lecturer in Biology"),
    ("Chen Wei", "Professor of Economics"),
    (
        "Dana Ruiz",
        "Professor of Electrical Engineering and Computer Science",
    ),
];

const COLOURS: [([u8; 3], [u8; 3]); 6] = [
    ([163, 31, 52], [40, 40, 60]),
    ([20, 90, 140], [200, 230, 240]),
    ([30, 110, 60], [230, 240, 200]),
    ([90, 40, 120], [240, 200, 220]),
    ([200, 120, 20], [60, 30, 10]),
    ([10, 60, 90], [120, 200, 190]),
];

#[derive(Debug, Default)]
pub struct Loaded {
    pub courses: usize,
    pub runs: usize,
    pub programs: usize,
    pub pages: usize,
}

pub(super) fn money(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

pub(super) fn publish_new(
    c: &Connection,
    n: &NewPage<'_>,
    content: &PageContent,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    Ok(cms::seed_published_page(c, n, content, "demo", now)?)
}

/// Publishes `content` as the certificate page under (course or program) page `page`.
pub(super) fn publish_certificate(
    c: &Connection,
    page: i64,
    content: &PageContent,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    publish_new(
        c,
        &NewPage {
            page_type: PageType::Certificate,
            slug: &format!("certificate-{page}"),
            course_id: None,
            program_id: None,
            parent_id: Some(page),
        },
        content,
        now,
    )
}

/// Loads the demo catalog unless it is already there.
pub fn load(c: &Connection, now: DateTime<Utc>) -> Result<Loaded, DbError> {
    let mut out = Loaded::default();
    if store::course_id_by_readable(c, MARKER)?.is_some() {
        return Ok(out);
    }
    let day = |n: i64| Some(now + Duration::days(n));
    let audit = store::ensure_mode(c, "audit", false)?;
    let verified = store::ensure_mode(c, "verified", true)?;
    let depts: Vec<i64> = DEPARTMENTS
        .iter()
        .map(|d| store::ensure_department(c, d))
        .collect::<Result<_, _>>()?;
    let engineering = store::ensure_topic(c, "Engineering", None)?;
    let science = store::ensure_topic(c, "Science", None)?;
    let social = store::ensure_topic(c, "Social Sciences", None)?;
    let topics = [
        store::ensure_topic(c, "Aerospace", Some(engineering))?,
        store::ensure_topic(c, "Life Sciences", Some(science))?,
        store::ensure_topic(c, "Economics", Some(social))?,
        store::ensure_topic(c, "Computer Science", Some(engineering))?,
        store::ensure_topic(c, "Mathematics", Some(science))?,
        store::ensure_topic(c, "Physics", Some(science))?,
    ];
    let parents = [engineering, science, social, engineering, science, science];

    let mut images = Vec::new();
    for (i, (from, to)) in COLOURS.iter().enumerate() {
        let png = gradient_png(600, 315, *from, *to);
        images.push(cms::seed_image(
            c,
            &format!("Demo image {}", i + 1),
            &format!("demo-{}.png", i + 1),
            (600, 315),
            &png,
            now,
        )?);
    }
    let mut instructor_pages = Vec::new();
    for (i, (name, title)) in INSTRUCTORS.iter().enumerate() {
        let png = gradient_png(160, 160, COLOURS[i].1, COLOURS[i].0);
        let img = cms::seed_image(c, name, "portrait.png", (160, 160), &png, now)?;
        let content = PageContent {
            title: (*name).into(),
            name: (*name).into(),
            title_1: (*title).into(),
            bio_short: format!("{name} teaches at MIT and has led online courses for over a decade."),
            bio_long: format!(
                "{name} is {title} at MIT.\n\nTheir research and teaching focus on making hard ideas approachable."
            ),
            feature_image_id: Some(img),
            ..PageContent::default()
        };
        let slug = store::slugify(name);
        instructor_pages.push(publish_new(
            c,
            &NewPage {
                page_type: PageType::Instructor,
                slug: &slug,
                course_id: None,
                program_id: None,
                parent_id: None,
            },
            &content,
            now,
        )?);
        out.pages += 1;
    }
    // A drawn-looking signature (at least 150x50, as signatory pages require).
    let signature = cms::seed_image(
        c,
        "Signature of Morgan Lee",
        "signature.png",
        (300, 100),
        &gradient_png(300, 100, [40, 40, 90], [250, 250, 250]),
        now,
    )?;
    let signatory = publish_new(
        c,
        &NewPage {
            page_type: PageType::Signatory,
            slug: "dean-of-digital-learning",
            course_id: None,
            program_id: None,
            parent_id: None,
        },
        &PageContent {
            title: "Dean of Digital Learning".into(),
            name: "Morgan Lee".into(),
            title_1: "Dean of Digital Learning".into(),
            organization: "MIT Open Learning".into(),
            signature_image_id: Some(signature),
            ..PageContent::default()
        },
        now,
    )?;

    let mut course_ids = Vec::new();
    for (i, title) in TITLES.iter().enumerate() {
        let num = if i == 0 {
            "DEMO.101x".to_owned()
        } else {
            format!("DEMO.{}x", 101 + i)
        };
        let readable = format!("course-v1:MITxT+{num}");
        let d = i % DEPARTMENTS.len();
        // Course 28 is not live; course 29 is sold only to organisations (B2B runs only).
        let live = i != 28;
        let cid = store::insert_course(
            c,
            &NewCourse {
                title,
                readable_id: &readable,
                live,
                departments: &[depts[d]],
                topics: &[parents[d], topics[d]],
            },
            now,
        )?;
        course_ids.push(cid);
        out.courses += 1;
        let paid = i % 3 != 2;
        let modes: &[i64] = if paid { &[audit, verified] } else { &[audit] };
        let self_paced = i % 4 == 1;
        let price = money(["49", "99", "149", "199"][i % 4]);
        let mut add_run = |tag: &str,
                           start: i64,
                           end: i64,
                           es: i64,
                           ee: Option<i64>,
                           contract: Option<i64>,
                           lang: &str,
                           primary: bool|
         -> Result<i64, DbError> {
            let key = format!(
                "course-v1:MITxT+{num}+{tag}{}",
                if lang == "en" {
                    String::new()
                } else {
                    format!("_{lang}")
                }
            );
            let id = store::insert_run(
                c,
                &NewRun {
                    course_id: cid,
                    title,
                    courseware_id: &key,
                    run_tag: tag,
                    start_date: day(start),
                    end_date: day(end),
                    certificate_available_date: day(end + 7),
                    enrollment_start: day(es),
                    enrollment_end: ee.and_then(day),
                    expiration_date: day(end + 365),
                    upgrade_deadline: day(end - 10),
                    live: true,
                    is_self_paced: self_paced,
                    b2b_contract_id: contract,
                    is_primary_language: primary,
                    language: lang,
                    modes,
                },
                now,
            )?;
            if paid && contract.is_none() {
                store::insert_product(c, ProductTarget::CourseRun(id), price, &key, now)?;
            }
            out.runs += 1;
            Ok(id)
        };
        if i == 29 {
            add_run("B2B1", -10, 80, -30, None, Some(1), "en", true)?;
            continue;
        }
        // Past run for every other course.
        if i % 2 == 0 {
            // Every tenth course keeps enrollment open on its past run (an "archived" run).
            add_run(
                "1T2025",
                -300,
                -200,
                -330,
                if i % 10 == 0 { None } else { Some(-250) },
                None,
                "en",
                true,
            )?;
        }
        // Current run (enrollment open) for most; a future run (enrollment opens later) for some.
        match i % 5 {
            0..=2 => {
                add_run("3T2026", -20, 70, -50, Some(40), None, "en", true)?;
            }
            3 => {
                add_run("3T2026", 30, 120, -5, Some(60), None, "en", true)?;
            }
            _ => {
                add_run("1T2027", 90, 180, 20, Some(120), None, "en", true)?;
            }
        }
        if i % 6 == 0 {
            // A Spanish variant of the same run tag (not canonical: the English run is primary).
            add_run("3T2026", -20, 70, -50, Some(40), None, "es_419", false)?;
        }
        if i == 3 {
            // A contract run next to public runs (never shown publicly).
            add_run("B2B1", -10, 80, -30, None, Some(1), "en", true)?;
        }
        // Pages for all but the last two live courses (one course stays without a page).
        if i < 27 {
            let content = PageContent {
                title: (*title).into(),
                description: format!(
                    "{title} is an MITx course taught by MIT faculty.\n\nLearn at your own pace with lectures, exercises and exams."
                ),
                length: format!("{} weeks", 8 + i % 6),
                effort: format!("{}–{} hours per week", 4 + i % 3, 7 + i % 3),
                min_weekly_hours: (4 + i % 3).to_string(),
                max_weekly_hours: (7 + i % 3).to_string(),
                min_weeks: Some(8 + (i % 6) as i64),
                max_weeks: Some(8 + (i % 6) as i64),
                min_price: Some(Decimal::ZERO),
                max_price: Some(if paid { price } else { Decimal::ZERO }),
                price_text: if paid {
                    format!("Free to audit; certificate ${price}")
                } else {
                    "Free".into()
                },
                what_you_learn:
                    "How to reason about the core ideas of the field.\n\nHow to apply them to real problems."
                        .into(),
                about: "This course follows the MIT residential course, adapted for online learners.".into(),
                prerequisites: if i % 4 == 0 {
                    "High-school algebra and some calculus.".into()
                } else {
                    String::new()
                },
                faq_url: "https://mitxonline.zendesk.com/hc/en-us".into(),
                feature_image_id: Some(images[i % images.len()]),
                faculty_section_title: "Meet your instructors".into(),
                instructor_ids: vec![instructor_pages[i % 4]],
                include_in_learn_catalog: true,
                financial_assistance_form_url: if paid {
                    format!("/courses/{readable}/financial-assistance-request/")
                } else {
                    String::new()
                },
                ..PageContent::default()
            };
            let page = publish_new(
                c,
                &NewPage {
                    page_type: PageType::Course,
                    slug: &readable,
                    course_id: Some(cid),
                    program_id: None,
                    parent_id: None,
                },
                &content,
                now,
            )?;
            out.pages += 1;
            if paid {
                let cert = PageContent {
                    title: format!("Certificate for {title}"),
                    product_name: (*title).into(),
                    ceus: "1.2".into(),
                    signatory_ids: vec![signatory],
                    ..PageContent::default()
                };
                publish_certificate(c, page, &cert, now)?;
                out.pages += 1;
            }
        }
    }

    programs::load(
        c,
        now,
        &programs::Ingredients {
            audit,
            verified,
            depts: &depts,
            course_ids: &course_ids,
            images: &images,
            instructors: &instructor_pages,
            signatory,
        },
        &mut out,
    )?;
    Ok(out)
}

#[path = "demo_programs.rs"]
mod programs;
