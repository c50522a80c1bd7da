//! The whole public catalog in memory, loaded with a fixed number of SQL statements whatever
//! the size of the catalog or of the page asked for, and shared read-only between requests.
//! [`super::cache`] replaces it as soon as `catalog_version` (bumped by triggers on every
//! catalog or CMS table) moves, so a write — from any module — is visible on the next request.

use std::collections::HashMap;

use rusqlite::Connection;
use rust_decimal::Decimal;

use super::model::*;
use crate::clock::from_db;
use crate::cms::model::{PageContent, PageType, PublishedPage};
use crate::db::from_row;

#[path = "snapshot_programs.rs"]
mod programs;
use programs::load_programs;

/// Statements one snapshot load runs: BEGIN, 19 queries, COMMIT (the version check that
/// found the snapshot stale is counted separately).
pub const LOAD_STATEMENTS: u64 = 21;

#[derive(Debug, Default)]
pub struct Catalog {
    pub version: i64,
    pub departments: Vec<Department>,
    pub topics: Vec<Topic>,
    pub modes: Vec<EnrollmentMode>,
    /// Ordered by title, then id (the APIs' order).
    pub courses: Vec<Course>,
    pub runs: Vec<CourseRun>,
    /// Ordered by title, then id.
    pub programs: Vec<Program>,
    pub collections: Vec<Collection>,
    pub pages: Vec<PublishedPage>,
    pub course_by_id: HashMap<i64, usize>,
    pub course_by_readable: HashMap<String, usize>,
    pub program_by_id: HashMap<i64, usize>,
    pub program_by_readable: HashMap<String, usize>,
    pub page_by_id: HashMap<i64, usize>,
    pub run_by_id: HashMap<i64, usize>,
    /// Program ids whose tree contains a course, by course id.
    pub programs_of_course: HashMap<i64, Vec<i64>>,
    /// Parent program ids, by child program id.
    pub parents_of_program: HashMap<i64, Vec<i64>>,
    /// Every instant at which a run predicate can change (enrollment start/end, end date,
    /// upgrade deadline), sorted: a response computed at `t` holds until the first one ≥ `t`.
    pub boundaries: Vec<Time>,
}

fn t(s: Option<String>) -> Option<Time> {
    s.as_deref().and_then(from_db)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

impl Catalog {
    /// Loads everything with [`LOAD_STATEMENTS`] statements.
    pub fn load(c: &Connection) -> rusqlite::Result<Catalog> {
        let mut cat = Catalog {
            version: current_version(c)?,
            ..Catalog::default()
        };
        cat.departments = c
            .prepare_cached("SELECT id, name, slug FROM departments ORDER BY name")?
            .query_map([], |r| from_row!(r, Department { id, name, slug }))?
            .collect::<Result<_, _>>()?;
        let dept_idx: HashMap<i64, usize> = cat
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        cat.topics = c
            .prepare_cached(
                "SELECT t.id, t.name, p.name FROM topics t LEFT JOIN topics p ON p.id = t.parent_id ORDER BY t.name",
            )?
            .query_map([], |r| from_row!(r, Topic { id, name, parent }))?
            .collect::<Result<_, _>>()?;
        let topic_idx: HashMap<i64, usize> = cat.topics.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
        cat.modes = c
            .prepare_cached(
                "SELECT id, mode_slug, mode_display_name, requires_payment FROM enrollment_modes ORDER BY id",
            )?
            .query_map([], |r| {
                from_row!(
                    r,
                    EnrollmentMode {
                        id,
                        mode_slug,
                        mode_display_name,
                        requires_payment
                    }
                )
            })?
            .collect::<Result<_, _>>()?;
        let mode_idx: HashMap<i64, usize> = cat.modes.iter().enumerate().map(|(i, d)| (d.id, i)).collect();

        // Products with their current (latest) version.
        let mut run_products: HashMap<i64, Product> = HashMap::new();
        let mut program_products: HashMap<i64, Product> = HashMap::new();
        {
            let mut st = c.prepare_cached(
                "SELECT p.id, p.is_active, p.course_run_id, p.program_id, v.price, v.description
                 FROM products p JOIN product_versions v ON v.id =
                   (SELECT max(id) FROM product_versions WHERE product_id = p.id)",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let price: String = r.get(4)?;
                let product = Product {
                    id: r.get(0)?,
                    is_active: r.get(1)?,
                    price: dec(&price),
                    description: r.get(5)?,
                };
                if let Some(run) = r.get::<_, Option<i64>>(2)? {
                    run_products.insert(run, product);
                } else if let Some(p) = r.get::<_, Option<i64>>(3)? {
                    program_products.insert(p, product);
                }
            }
        }

        // Published pages.
        cat.pages = load_published_pages(c)?;
        let mut page_of_course = HashMap::new();
        let mut page_of_program = HashMap::new();
        for (i, p) in cat.pages.iter().enumerate() {
            cat.page_by_id.insert(p.id, i);
            if let Some(id) = p.course_id {
                page_of_course.insert(id, i);
            }
            if let Some(id) = p.program_id {
                page_of_program.insert(id, i);
            }
        }

        cat.courses = c
            .prepare_cached("SELECT id, title, readable_id, live FROM courses ORDER BY title, id")?
            .query_map([], |r| {
                from_row!(
                    r,
                    Course {
                        id,
                        title,
                        readable_id,
                        live;
                        departments: vec![],
                        topics: vec![],
                        variants: vec![],
                        blocked_countries: vec![],
                        runs: vec![],
                        page: None
                    }
                )
            })?
            .collect::<Result<_, _>>()?;
        for (i, co) in cat.courses.iter_mut().enumerate() {
            cat.course_by_id.insert(co.id, i);
            cat.course_by_readable.insert(co.readable_id.clone(), i);
            co.page = page_of_course.get(&co.id).copied();
        }
        for (course, dept) in pairs(c, "SELECT course_id, department_id FROM course_departments")? {
            if let (Some(&ci), Some(&di)) = (cat.course_by_id.get(&course), dept_idx.get(&dept)) {
                cat.courses[ci].departments.push(di);
            }
        }
        for (course, topic) in pairs(c, "SELECT course_id, topic_id FROM course_topics")? {
            if let (Some(&ci), Some(&ti)) = (cat.course_by_id.get(&course), topic_idx.get(&topic)) {
                cat.courses[ci].topics.push(ti);
            }
        }
        {
            let mut st = c.prepare_cached(
                "SELECT language, variant_length, variant_industry, active, b2b_only, default_variant, course_id
                 FROM course_variants ORDER BY id",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                if let Some(&ci) = cat.course_by_id.get(&r.get::<_, i64>(6)?) {
                    let variant: rusqlite::Result<Variant> = from_row!(
                        r,
                        Variant {
                            language,
                            variant_length,
                            variant_industry,
                            active,
                            b2b_only,
                            default_variant
                        }
                    );
                    cat.courses[ci].variants.push(variant?);
                }
            }
        }
        {
            let mut st = c.prepare_cached("SELECT course_id, country FROM blocked_countries")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                if let Some(&ci) = cat.course_by_id.get(&r.get::<_, i64>(0)?) {
                    cat.courses[ci].blocked_countries.push(r.get(1)?);
                }
            }
        }

        // Runs (source runs are hidden, as by the original's default manager).
        {
            let mut st = c.prepare_cached(
                "SELECT id, course_id, title, courseware_id, run_tag, has_courseware_url, start_date, end_date,
                        certificate_available_date, enrollment_start, enrollment_end, expiration_date,
                        upgrade_deadline, live, is_self_paced, b2b_contract_id, is_source_run,
                        is_primary_language, language, variant_length, variant_industry
                 FROM course_runs ORDER BY id",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let run: rusqlite::Result<CourseRun> = from_row!(
                    r,
                    CourseRun {
                        id,
                        course_id,
                        title,
                        courseware_id,
                        run_tag,
                        has_courseware_url,
                        start_date: t,
                        end_date: t,
                        certificate_available_date: t,
                        enrollment_start: t,
                        enrollment_end: t,
                        expiration_date: t,
                        upgrade_deadline: t,
                        live,
                        is_self_paced,
                        b2b_contract_id,
                        is_source_run,
                        is_primary_language,
                        language,
                        variant_length,
                        variant_industry;
                        modes: vec![],
                        product: None,
                        text: RunText::default()
                    }
                );
                let mut run = run?;
                let id = run.id;
                run.product = run_products.remove(&id);
                if run.is_source() {
                    continue;
                }
                run.format_text();
                if let Some(&ci) = cat.course_by_id.get(&run.course_id) {
                    cat.courses[ci].runs.push(cat.runs.len());
                    cat.run_by_id.insert(id, cat.runs.len());
                    cat.runs.push(run);
                }
            }
        }
        for (run, mode) in pairs(
            c,
            "SELECT course_run_id, mode_id FROM course_run_modes ORDER BY mode_id",
        )? {
            if let (Some(&ri), Some(&mi)) = (cat.run_by_id.get(&run), mode_idx.get(&mode)) {
                cat.runs[ri].modes.push(mi);
            }
        }

        load_programs(
            c,
            &mut cat,
            &dept_idx,
            &mode_idx,
            &mut program_products,
            &page_of_program,
        )?;
        cat.boundaries = cat
            .runs
            .iter()
            .flat_map(|r| {
                [
                    r.enrollment_start,
                    r.enrollment_end,
                    r.end_date,
                    r.upgrade_deadline,
                ]
            })
            .flatten()
            .collect();
        cat.boundaries.sort_unstable();
        cat.boundaries.dedup();
        Ok(cat)
    }

    /// Until when anything computed from this snapshot at `now` stays exact (`None`: forever,
    /// until the catalog changes).
    pub fn valid_until(&self, now: Time) -> Option<Time> {
        let i = self.boundaries.partition_point(|b| *b < now);
        self.boundaries.get(i).copied()
    }

    pub fn course(&self, id: i64) -> Option<&Course> {
        self.course_by_id.get(&id).map(|&i| &self.courses[i])
    }
    pub fn program(&self, id: i64) -> Option<&Program> {
        self.program_by_id.get(&id).map(|&i| &self.programs[i])
    }
    pub fn course_by_readable_id(&self, readable_id: &str) -> Option<&Course> {
        self.course_by_readable
            .get(readable_id)
            .map(|&i| &self.courses[i])
    }
    pub fn program_by_readable_id(&self, readable_id: &str) -> Option<&Program> {
        self.program_by_readable
            .get(readable_id)
            .map(|&i| &self.programs[i])
    }
    pub fn page(&self, i: Option<usize>) -> Option<&PublishedPage> {
        i.map(|i| &self.pages[i])
    }
    pub fn page_by_id(&self, id: i64) -> Option<&PublishedPage> {
        self.page_by_id.get(&id).map(|&i| &self.pages[i])
    }
    pub fn course_runs(&self, co: &Course) -> Vec<&CourseRun> {
        co.runs.iter().map(|&i| &self.runs[i]).collect()
    }
    pub fn has_verified(&self, run: &CourseRun) -> bool {
        run.modes.iter().any(|&m| self.modes[m].mode_slug == "verified")
    }
    /// The home page and the site banner, when published.
    pub fn singleton(&self, ty: PageType) -> Option<&PublishedPage> {
        self.pages.iter().find(|p| p.page_type == ty)
    }
}

fn pairs(c: &Connection, sql: &str) -> rusqlite::Result<Vec<(i64, i64)>> {
    c.prepare_cached(sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

fn load_published_pages(c: &Connection) -> rusqlite::Result<Vec<PublishedPage>> {
    let mut st = c.prepare_cached(
        "SELECT p.id, p.page_type, p.slug, p.course_id, p.program_id, p.parent_id,
                p.first_published_at, p.last_published_at, r.content
         FROM cms_pages p JOIN cms_revisions r ON r.id = p.live_revision_id
         WHERE p.live = 1 ORDER BY p.id",
    )?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let ty: String = r.get(1)?;
        let Some(page_type) = PageType::parse(&ty) else {
            continue;
        };
        let page: rusqlite::Result<PublishedPage> = from_row!(
            r,
            PublishedPage {
                id,
                page_type: |_: String| page_type,
                slug,
                course_id,
                program_id,
                parent_id,
                first_published_at,
                last_published_at,
                content: |c: String| serde_json::from_str::<PageContent>(&c).unwrap_or_default()
            }
        );
        out.push(page?);
    }
    Ok(out)
}

pub fn current_version(c: &Connection) -> rusqlite::Result<i64> {
    c.prepare_cached("SELECT version FROM catalog_version WHERE id = 1")?
        .query_row([], |r| r.get(0))
}
