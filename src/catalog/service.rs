//! Catalog use cases over the snapshot: query-string parsing with the original's rules
//! (django-filter booleans, comma id lists, DRF page-number pagination with sorted `next`
//! links), and the course/program filters of the v1, v2 and internal APIs.

use std::ops::Range;

use super::model::*;
use super::snapshot::Catalog;

// What other modules look up in the catalog's tables inside their own transactions.
pub use super::edx_sync::RunCatalog;
pub use super::lookups::{
    RunFacts, SourceRun, country_blocked, courseware_product, courseware_title, coursewares,
    gradable_run_keys, product_purchasable, program_by_readable, program_courses, program_has_course,
    program_live, program_readable_id, program_relations, program_source_runs, programs_of_course,
    relate_programs, related_programs, run_facts, run_id_by_courseware, sub_programs,
    visible_run_id_by_courseware,
};
pub use super::store::{course_id_by_readable, program_id_by_readable};

/// What a catalog query can get wrong; `http::AppError` turns it into the original's response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A query parameter with a value the filter does not accept (a DRF field error, 400).
    #[error("{field}: {message}")]
    Invalid { field: String, message: &'static str },
    /// A page number past the end or not a number (the original's 404 "Invalid page.").
    #[error("Invalid page.")]
    InvalidPage,
}

fn invalid(field: &str, message: &'static str) -> CatalogError {
    CatalogError::Invalid {
        field: field.to_owned(),
        message,
    }
}

/// The query string as ordered pairs (repeated keys kept; `+` decodes to a space, like Django).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of `key`, as Django's `QueryDict.get`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A django-filter BooleanFilter: `true/True/1`, `false/False/0`; empty means unset.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, CatalogError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some("true" | "True" | "1") => Ok(Some(true)),
            Some("false" | "False" | "0") => Ok(Some(false)),
            Some(_) => Err(invalid(key, "Select a valid choice. Use true or false.")),
        }
    }

    /// A comma-separated id list (`id=1,2,3`), possibly repeated.
    pub fn ids(&self, key: &str) -> Result<Option<Vec<i64>>, CatalogError> {
        let mut out = Vec::new();
        let mut any = false;
        for (k, v) in &self.0 {
            if k != key || v.is_empty() {
                continue;
            }
            any = true;
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                out.push(
                    part.parse::<i64>()
                        .map_err(|_| invalid(key, "Enter a whole number."))?,
                );
            }
        }
        Ok(any.then_some(out))
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }
}

/// DRF page-number pagination: `page` (1-based or `last`), `page_size` (default 12, max 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub page: usize,
    pub last: bool,
    pub size: usize,
}

pub const PAGE_SIZE: usize = 12;
pub const MAX_PAGE_SIZE: usize = 100;

impl PageReq {
    pub fn from_params(p: &Params) -> Result<PageReq, CatalogError> {
        let size = p
            .get("page_size")
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .map_or(PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE));
        let (page, last) = match p.get("page") {
            None | Some("") => (1, false),
            Some("last") => (1, true),
            Some(s) => (
                s.parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(CatalogError::InvalidPage)?,
                false,
            ),
        };
        Ok(PageReq { page, last, size })
    }

    /// The slice of `total` items this page covers, and the resolved page number; a page past
    /// the end is the original's 404 "Invalid page." (page 1 of nothing is fine).
    pub fn window(&self, total: usize) -> Result<(Range<usize>, usize, usize), CatalogError> {
        let pages = total.div_ceil(self.size).max(1);
        let page = if self.last { pages } else { self.page };
        if page > pages {
            return Err(CatalogError::InvalidPage);
        }
        let start = (page - 1) * self.size;
        Ok((start..(start + self.size).min(total), page, pages))
    }
}

/// A link to another page of the same list: the query with `page` replaced (or removed for
/// page 1), keys sorted as DRF's `replace_query_param` does.
pub fn page_link(path: &str, params: &Params, page: Option<usize>) -> String {
    let mut pairs: Vec<(String, String)> = params.0.iter().filter(|(k, _)| k != "page").cloned().collect();
    if let Some(n) = page {
        pairs.push(("page".into(), n.to_string()));
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    if pairs.is_empty() {
        return path.to_owned();
    }
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{q}")
}

/// Where the caller stands: anonymous callers never see B2B-only courses, runs or programs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Audience<'a> {
    /// `/api/internal/`: every run of every course.
    pub internal: bool,
    /// For an `org_id` / `contract_id` view: the active contracts the caller may see (the B2B
    /// module decides, from memberships and attachments); `None` shows nothing there.
    pub contracts: Option<&'a [i64]>,
}

impl Audience<'_> {
    /// Whether a run is shown: every run internally; in a B2B view the runs of the visible
    /// contracts; otherwise public (non-contract) runs.
    pub fn shows(&self, r: &super::model::CourseRun, b2b_view: bool) -> bool {
        if self.internal {
            return true;
        }
        match (b2b_view, self.contracts) {
            (true, Some(v)) => r.b2b_contract_id.is_some_and(|k| v.contains(&k)),
            (true, None) => false,
            (false, _) => r.b2b_contract_id.is_none(),
        }
    }
}

/// Whether the query asks for an organisation or contract view.
pub fn is_b2b_view(p: &Params) -> bool {
    p.text("org_id").is_some() || p.text("contract_id").is_some()
}

/// A course is B2B-only when it has runs and every one belongs to a contract.
pub fn is_b2b_only(cat: &Catalog, co: &Course) -> bool {
    !co.runs.is_empty() && co.runs.iter().all(|&i| cat.runs[i].b2b_contract_id.is_some())
}

/// The v2/internal/v1 course filters. Returns indexes into `cat.courses` (title order).
pub fn filter_courses(
    cat: &Catalog,
    p: &Params,
    now: Time,
    aud: Audience,
) -> Result<Vec<usize>, CatalogError> {
    let ids = p.ids("id")?;
    let live = if aud.internal { None } else { p.bool("live")? };
    let page_live = p.bool("page__live")?;
    let enrollable = p.bool("courserun_is_enrollable")?;
    let readable = p.get("readable_id").filter(|s| !s.is_empty());
    let language = p.text("courseruns__language");
    let length = p.text("courseruns__variant_length");
    let industry = p.text("courseruns__variant_industry");
    // Organisation/contract views list the courses with runs in the contracts the caller may
    // see (none for a non-member), and show only those runs.
    let b2b_view = !aud.internal && is_b2b_view(p);
    if b2b_view && aud.contracts.is_none_or(<[i64]>::is_empty) {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for (i, co) in cat.courses.iter().enumerate() {
        if b2b_view {
            if !co.runs.iter().any(|&r| aud.shows(&cat.runs[r], true)) {
                continue;
            }
        } else if !aud.internal && is_b2b_only(cat, co) {
            continue;
        }
        if ids.as_ref().is_some_and(|ids| !ids.contains(&co.id)) {
            continue;
        }
        if live.is_some_and(|l| co.live != l) {
            continue;
        }
        if readable.is_some_and(|r| co.readable_id != r) {
            continue;
        }
        if page_live.is_some_and(|l| co.page.is_some() != l) {
            continue;
        }
        let runs = || {
            co.runs
                .iter()
                .map(|&i| &cat.runs[i])
                .filter(|r| aud.shows(r, b2b_view))
        };
        match enrollable {
            Some(true) if !runs().any(|r| r.is_enrollable(now)) => continue,
            Some(false) if !runs().any(|r| r.is_unenrollable(now)) => continue,
            _ => {}
        }
        if language.is_some() || length.is_some() || industry.is_some() {
            let hit = runs().any(|r| {
                language.is_none_or(|l| r.language == l)
                    && length.is_none_or(|l| r.variant_length == l)
                    && industry.is_none_or(|l| r.variant_industry == l)
            });
            if !hit {
                continue;
            }
        }
        out.push(i);
    }
    Ok(out)
}

/// The v1/v2 program filters; B2B-only programs are never listed publicly. An `org_id` /
/// `contract_id` view lists `contract_programs` instead: the programs of the contracts the
/// caller may see (the B2B module computes them; `None` for a non-member lists nothing).
pub fn filter_programs(
    cat: &Catalog,
    p: &Params,
    contract_programs: Option<&[i64]>,
) -> Result<Vec<usize>, CatalogError> {
    let ids = p.ids("id")?;
    let live = p.bool("live")?;
    let page_live = p.bool("page__live")?;
    let readable = p.get("readable_id").filter(|s| !s.is_empty());
    let b2b_view = is_b2b_view(p);
    if b2b_view && contract_programs.is_none() {
        return Ok(vec![]);
    }
    Ok(cat
        .programs
        .iter()
        .enumerate()
        .filter(|(_, pr)| match (b2b_view, contract_programs) {
            (true, Some(v)) => v.contains(&pr.id),
            _ => !pr.b2b_only,
        })
        .filter(|(_, pr)| ids.as_ref().is_none_or(|ids| ids.contains(&pr.id)))
        .filter(|(_, pr)| live.is_none_or(|l| pr.live == l))
        .filter(|(_, pr)| readable.is_none_or(|r| pr.readable_id == r))
        .filter(|(_, pr)| page_live.is_none_or(|l| pr.page.is_some() == l))
        .map(|(i, _)| i)
        .collect())
}

/// Finds a course by numeric id or readable id.
pub fn lookup_course<'a>(cat: &'a Catalog, key: &str) -> Option<&'a Course> {
    match key.parse::<i64>() {
        Ok(id) => cat.course(id),
        Err(_) => cat.course_by_readable_id(key),
    }
}

pub fn lookup_program<'a>(cat: &'a Catalog, key: &str) -> Option<&'a Program> {
    match key.parse::<i64>() {
        Ok(id) => cat.program(id),
        Err(_) => cat.program_by_readable_id(key),
    }
}

/// Course ids a department lists on v2: live courses with a live page and an enrollable run.
pub fn department_course_ids(cat: &Catalog, dept: usize, now: Time) -> Vec<i64> {
    let mut ids: Vec<i64> = cat
        .courses
        .iter()
        .filter(|co| co.departments.contains(&dept) && co.live && co.page.is_some())
        .filter(|co| {
            co.runs.iter().any(|&i| {
                let r = &cat.runs[i];
                r.b2b_contract_id.is_none() && r.is_enrollable(now)
            })
        })
        .map(|co| co.id)
        .collect();
    ids.sort_unstable();
    ids
}

pub fn department_program_ids(cat: &Catalog, dept: usize) -> Vec<i64> {
    let mut ids: Vec<i64> = cat
        .programs
        .iter()
        .filter(|p| p.departments.contains(&dept) && p.live && !p.b2b_only)
        .map(|p| p.id)
        .collect();
    ids.sort_unstable();
    ids
}
