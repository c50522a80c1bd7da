//! The v1 catalog API: plain lists unless `page` is given (then DRF's envelope), courses with
//! their runs, course runs (incl. `relevant_to`), programs and departments.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use serde::Serialize;

use super::api::{Cache, cached, json, paginate};
use super::service::{self, Audience, Params};
use super::shapes;
use crate::http::AppError;
use crate::state::AppState;

/// A plain list, or the paginated envelope when `page` is in the query (as the original).
fn list_or_page<'a, T, U: Serialize>(
    state: &AppState,
    uri: &Uri,
    params: &Params,
    items: &'a [T],
    f: impl Fn(&'a T) -> U,
) -> Result<Response, AppError> {
    if params.get("page").is_some() {
        Ok(json(&paginate(state, uri, params, items, f)?))
    } else {
        Ok(json(&items.iter().map(f).collect::<Vec<_>>()))
    }
}

pub async fn courses(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let idx = service::filter_courses(&r.cat, &params, r.now, Audience::default())?;
        let with_programs = params.text("readable_id").is_some();
        let cx = r.cx();
        list_or_page(&state, &uri, &params, &idx, |&i| {
            shapes::v1_course(&r.cat, &r.cat.courses[i], &cx, with_programs, true, false)
        })
    })
    .await
}

pub async fn course(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let co = id
            .parse::<i64>()
            .ok()
            .and_then(|id| r.cat.course(id))
            .filter(|co| !service::is_b2b_only(&r.cat, co))
            .ok_or_else(|| AppError::NotFound("No Course matches the given query.".into()))?;
        Ok(json(&shapes::v1_course(&r.cat, co, &r.cx(), false, true, false)))
    })
    .await
}

fn run_with_course<'a>(
    cat: &'a super::snapshot::Catalog,
    run: &'a super::model::CourseRun,
    cx: &shapes::Ctx<'_>,
    relevant: bool,
) -> shapes::RunShape<'a> {
    let mut shape = shapes::run(cat, run, cx, false);
    if let Some(co) = cat.course(run.course_id) {
        shape.course = Some(shapes::v1_course(cat, co, cx, false, false, false));
    }
    if relevant {
        shape.is_enrolled = Some(false);
        shape.is_verified = Some(false);
    }
    shape
}

pub async fn course_runs(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let cat = &r.cat;
        let cx = r.cx();
        let mut runs: Vec<usize>;
        let relevant = params.text("relevant_to");
        if let Some(key) = relevant {
            // Enrollable runs of the course, or of every course in the program.
            let courses: Vec<i64> = if let Some(co) = service::lookup_course(cat, key) {
                vec![co.id]
            } else if let Some(p) = service::lookup_program(cat, key).filter(|p| !p.b2b_only) {
                p.course_ids()
            } else {
                vec![]
            };
            runs = courses
                .iter()
                .filter_map(|id| cat.course(*id))
                .flat_map(|co| co.runs.iter().copied())
                .filter(|&i| {
                    let run = &cat.runs[i];
                    run.b2b_contract_id.is_none() && run.is_enrollable(r.now)
                })
                .collect();
            runs.sort_by_key(|&i| (cat.runs[i].enrollment_start, cat.runs[i].id));
        } else {
            let ids = params.ids("id")?;
            let live = params.bool("live")?.unwrap_or(true);
            runs = (0..cat.runs.len())
                .filter(|&i| {
                    let run = &cat.runs[i];
                    run.b2b_contract_id.is_none()
                        && run.live == live
                        && ids.as_ref().is_none_or(|ids| ids.contains(&run.id))
                })
                .collect();
        }
        list_or_page(&state, &uri, &params, &runs, |&i| {
            run_with_course(cat, &cat.runs[i], &cx, relevant.is_some())
        })
    })
    .await
}

pub async fn course_run(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let run = id
            .parse::<i64>()
            .ok()
            .and_then(|id| r.cat.run_by_id.get(&id))
            .map(|&i| &r.cat.runs[i])
            .filter(|run| run.b2b_contract_id.is_none())
            .ok_or_else(|| AppError::NotFound("No CourseRun matches the given query.".into()))?;
        Ok(json(&run_with_course(&r.cat, run, &r.cx(), false)))
    })
    .await
}

pub async fn programs(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let idx = service::filter_programs(&r.cat, &params)?;
        let cx = r.cx();
        list_or_page(&state, &uri, &params, &idx, |&i| {
            shapes::v1_program(&r.cat, &r.cat.programs[i], &cx)
        })
    })
    .await
}

pub async fn program(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let p = id
            .parse::<i64>()
            .ok()
            .and_then(|id| r.cat.program(id))
            .filter(|p| !p.b2b_only)
            .ok_or_else(|| AppError::NotFound("No Program matches the given query.".into()))?;
        Ok(json(&shapes::v1_program(&r.cat, p, &r.cx())))
    })
    .await
}

#[derive(Serialize)]
struct DepartmentV1<'a> {
    id: i64,
    name: &'a str,
    courses: usize,
    programs: usize,
}

/// `/api/v1/departments/`: name with course and program counts (the original answers 500 here
/// at the captured commit; this returns the documented shape).
pub async fn departments(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let items: Vec<usize> = (0..r.cat.departments.len()).collect();
        list_or_page(&state, &uri, &params, &items, |&i| DepartmentV1 {
            id: r.cat.departments[i].id,
            name: &r.cat.departments[i].name,
            courses: service::department_course_ids(&r.cat, i, r.now).len(),
            programs: service::department_program_ids(&r.cat, i).len(),
        })
    })
    .await
}

/// `/api/v1/departments/{id}/`.
pub async fn department(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let i = id
            .parse::<i64>()
            .ok()
            .and_then(|id| r.cat.departments.iter().position(|d| d.id == id))
            .ok_or_else(|| AppError::NotFound("No Department matches the given query.".into()))?;
        Ok(json(&DepartmentV1 {
            id: r.cat.departments[i].id,
            name: &r.cat.departments[i].name,
            courses: service::department_course_ids(&r.cat, i, r.now).len(),
            programs: service::department_program_ids(&r.cat, i).len(),
        }))
    })
    .await
}
