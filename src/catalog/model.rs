//! Catalog types as held in memory, and the run predicates of the original (surface §1.2),
//! written as pure functions of a run and "now" so they are table-tested.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

pub type Time = DateTime<Utc>;

#[derive(Debug, Clone)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub id: i64,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnrollmentMode {
    pub id: i64,
    pub mode_slug: String,
    pub mode_display_name: String,
    pub requires_payment: bool,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub is_active: bool,
    /// Current price: the latest version's.
    pub price: Decimal,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Variant {
    pub language: String,
    pub variant_length: String,
    pub variant_industry: String,
    pub active: bool,
    pub b2b_only: bool,
    pub default_variant: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CourseRun {
    pub id: i64,
    pub course_id: i64,
    pub title: String,
    pub courseware_id: String,
    pub run_tag: String,
    pub has_courseware_url: bool,
    pub start_date: Option<Time>,
    pub end_date: Option<Time>,
    pub certificate_available_date: Option<Time>,
    pub enrollment_start: Option<Time>,
    pub enrollment_end: Option<Time>,
    pub expiration_date: Option<Time>,
    pub upgrade_deadline: Option<Time>,
    pub live: bool,
    pub is_self_paced: bool,
    pub b2b_contract_id: Option<i64>,
    pub is_source_run: bool,
    pub is_primary_language: bool,
    pub language: String,
    pub variant_length: String,
    pub variant_industry: String,
    /// Indexes into the snapshot's enrollment modes.
    pub modes: Vec<usize>,
    pub product: Option<Product>,
    /// The API's text for each date and the course number, formatted once per snapshot.
    pub text: RunText,
}

/// Pre-formatted run fields (formatting dates dominates building a run's JSON otherwise).
#[derive(Debug, Clone, Default)]
pub struct RunText {
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
    pub expiration_date: Option<String>,
    pub certificate_available_date: Option<String>,
    pub upgrade_deadline: Option<String>,
    pub course_number: String,
}

/// The API's date format: microseconds and `Z` (`2026-11-02T11:39:35.038584Z`).
pub fn api_time(t: Option<Time>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

impl CourseRun {
    /// Fills [`CourseRun::text`] from the run's fields.
    pub fn format_text(&mut self) {
        self.text = RunText {
            start_date: api_time(self.start_date),
            end_date: api_time(self.end_date),
            enrollment_start: api_time(self.enrollment_start),
            enrollment_end: api_time(self.enrollment_end),
            expiration_date: api_time(self.expiration_date),
            certificate_available_date: api_time(self.certificate_available_date),
            upgrade_deadline: api_time(self.upgrade_deadline),
            course_number: self.course_number(),
        };
    }

    /// live, has a start, enrollment has started and has not ended.
    pub fn is_enrollable(&self, now: Time) -> bool {
        self.live
            && self.start_date.is_some()
            && self.enrollment_start.is_some_and(|s| s <= now)
            && self.enrollment_end.is_none_or(|e| e > now)
    }

    /// The catalog's "not enrollable" filter (not simply the negation: a live run with no
    /// enrollment start is neither).
    pub fn is_unenrollable(&self, now: Time) -> bool {
        !self.live
            || self.start_date.is_none()
            || self.enrollment_end.is_some_and(|e| e <= now)
            || self.enrollment_start.is_some_and(|s| s > now)
    }

    pub fn is_past(&self, now: Time) -> bool {
        self.end_date.is_some_and(|e| e < now)
    }

    /// The API's `is_archived`: still enrollable although the run has ended.
    pub fn is_archived(&self, now: Time) -> bool {
        self.is_enrollable(now) && self.is_past(now)
    }

    pub fn is_upgradable(&self, now: Time, has_verified_mode: bool) -> bool {
        self.live
            && self.upgrade_deadline.is_none_or(|d| d > now)
            && self.product.is_some()
            && has_verified_mode
    }

    /// Enrollable through its B2B contract: the run belongs to a contract, is enrollable, and
    /// the contract has a free seat (`max_learners` unset, or fewer active enrollments).
    pub fn is_enrollable_for_b2b(
        &self,
        now: Time,
        max_learners: Option<i64>,
        active_enrollments: i64,
    ) -> bool {
        self.b2b_contract_id.is_some()
            && self.is_enrollable(now)
            && max_learners.is_none_or(|m| active_enrollments < m)
    }

    /// Hidden by the original's default manager.
    pub fn is_source(&self) -> bool {
        self.is_source_run || self.run_tag == "SOURCE"
    }

    /// The last segment of the courseware key (`course-v1:ORG+NUM+RUN` -> `NUM`).
    pub fn course_number(&self) -> String {
        course_number(&self.courseware_id)
    }

    pub fn courseware_url(&self, edx_base: &str) -> Option<String> {
        self.has_courseware_url.then(|| {
            format!(
                "{}/learn/course/{}/home",
                edx_base.trim_end_matches('/'),
                self.courseware_id
            )
        })
    }
}

/// `course-v1:ORG+NUM+RUN` -> `NUM` (the original takes the second `+` segment of the key).
pub fn course_number(courseware_id: &str) -> String {
    let key = courseware_id.split_once(':').map_or(courseware_id, |(_, k)| k);
    key.split('+').nth(1).unwrap_or(key).to_owned()
}

/// One run per run_tag: the primary-language run, otherwise the lowest id. Returns indexes into
/// `runs`, ordered by run id.
pub fn canonical_runs(runs: &[&CourseRun]) -> Vec<usize> {
    let mut chosen: Vec<(String, usize)> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        match chosen.iter_mut().find(|(tag, _)| *tag == r.run_tag) {
            None => chosen.push((r.run_tag.clone(), i)),
            Some((_, best)) => {
                let b = runs[*best];
                let better = (r.is_primary_language && !b.is_primary_language)
                    || (r.is_primary_language == b.is_primary_language && r.id < b.id);
                if better {
                    *best = i;
                }
            }
        }
    }
    let mut out: Vec<usize> = chosen.into_iter().map(|(_, i)| i).collect();
    out.sort_by_key(|&i| runs[i].id);
    out
}

#[derive(Debug, Clone)]
pub struct Course {
    pub id: i64,
    pub title: String,
    pub readable_id: String,
    pub live: bool,
    pub departments: Vec<usize>,
    pub topics: Vec<usize>,
    pub variants: Vec<Variant>,
    pub blocked_countries: Vec<String>,
    /// Indexes into the snapshot's runs (source runs excluded), ordered by id.
    pub runs: Vec<usize>,
    /// The published course page, if any (index into the snapshot's pages).
    pub page: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    ProgramRoot,
    Operator,
    Course,
    Program,
}

impl NodeType {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::ProgramRoot => "program_root",
            NodeType::Operator => "operator",
            NodeType::Course => "course",
            NodeType::Program => "program",
        }
    }
    pub fn parse(s: &str) -> Option<NodeType> {
        Some(match s {
            "program_root" => NodeType::ProgramRoot,
            "operator" => NodeType::Operator,
            "course" => NodeType::Course,
            "program" => NodeType::Program,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ReqNode {
    pub id: i64,
    pub program_id: i64,
    pub node_type: NodeType,
    pub operator: Option<String>,
    pub operator_value: Option<String>,
    pub course_id: Option<i64>,
    pub required_program_id: Option<i64>,
    pub title: String,
    pub elective_flag: bool,
    pub children: Vec<ReqNode>,
}

#[derive(Debug, Clone)]
pub struct Program {
    pub id: i64,
    pub title: String,
    pub readable_id: String,
    pub live: bool,
    pub program_type: String,
    pub availability: String,
    pub enrollment_start: Option<Time>,
    pub enrollment_end: Option<Time>,
    pub start_date: Option<Time>,
    pub end_date: Option<Time>,
    pub display_mode: Option<String>,
    pub b2b_only: bool,
    pub departments: Vec<usize>,
    pub modes: Vec<usize>,
    pub root: Option<ReqNode>,
    pub product: Option<Product>,
    pub page: Option<usize>,
    pub collections: Vec<i64>,
}

/// Required and elective leaves from the depth-2 operators ("Required Courses" /
/// "Elective Courses"), as (course ids, program ids).
#[derive(Debug, Default, Clone)]
pub struct Requirements {
    pub required_courses: Vec<i64>,
    pub elective_courses: Vec<i64>,
    pub required_programs: Vec<i64>,
    pub elective_programs: Vec<i64>,
}

impl Program {
    pub fn requirements(&self) -> Requirements {
        let mut r = Requirements::default();
        let Some(root) = &self.root else { return r };
        for op in root.children.iter().filter(|n| n.node_type == NodeType::Operator) {
            let elective = op.elective_flag || op.operator.as_deref() == Some("min_number_of");
            let mut leaves = Vec::new();
            collect_leaves(op, &mut leaves);
            for (kind, id) in leaves {
                match (kind, elective) {
                    (NodeType::Course, false) => push_unique(&mut r.required_courses, id),
                    (NodeType::Course, true) => push_unique(&mut r.elective_courses, id),
                    (_, false) => push_unique(&mut r.required_programs, id),
                    (_, true) => push_unique(&mut r.elective_programs, id),
                }
            }
        }
        r
    }

    /// Every course id in the tree, depth-first, de-duplicated.
    pub fn course_ids(&self) -> Vec<i64> {
        let r = self.requirements();
        let mut out = r.required_courses;
        for c in r.elective_courses {
            push_unique(&mut out, c);
        }
        out
    }
}

fn push_unique(v: &mut Vec<i64>, id: i64) {
    if !v.contains(&id) {
        v.push(id);
    }
}

fn collect_leaves(n: &ReqNode, out: &mut Vec<(NodeType, i64)>) {
    for c in &n.children {
        match c.node_type {
            NodeType::Course => out.extend(c.course_id.map(|id| (NodeType::Course, id))),
            NodeType::Program => out.extend(c.required_program_id.map(|id| (NodeType::Program, id))),
            _ => collect_leaves(c, out),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Collection {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub program_ids: Vec<i64>,
    pub created_on: String,
    pub updated_on: String,
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
