//! The v1 catalog API: plain lists unless `page` is given (then DRF's envelope), courses with
//! their runs, course runs (incl. `relevant_to`), programs and departments.

use axum::extract::Path;
use axum::response::Response;
use serde::Serialize;

use super::api::{Api, Req, found, json};
use super::openapi::{CourseFilters, IdPath, LiveFilter, PlainOrPage, ProgramFilters, RunFilters, V1Paging};
use super::service::{self, Audience};
use super::shapes;
use super::shapes::{RunShape, V1CourseShape, V1ProgramShape};
use crate::http::AppError;
use crate::http::openapi::{BadRequest, ErrorBody, NotFound};

/// A plain list, or the paginated envelope when `page` is in the query (as the original).
fn list_or_page<'a, T, U: Serialize>(
    api: &Api,
    items: &'a [T],
    f: impl Fn(&'a T) -> U,
) -> Result<Response, AppError> {
    if api.params.get("page").is_some() {
        api.page(items, f)
    } else {
        Ok(json(&items.iter().map(f).collect::<Vec<_>>()))
    }
}

/// A v1 detail: `id` parsed as an integer and answered by `get`, else DRF's 404 naming `what`.
async fn detail(
    api: &Api,
    id: &str,
    what: &str,
    get: impl FnOnce(&Req, i64) -> Option<Response>,
) -> Result<Response, AppError> {
    api.answer(|r| found(id.parse::<i64>().ok().and_then(|id| get(r, id)), what))
        .await
}

/// Courses with their runs (not B2B-only ones); with `readable_id`, each with its programs.
#[utoipa::path(
    get,
    path = "/api/v1/courses/",
    tag = "catalog",
    operation_id = "api_v1_courses_list",
    params(CourseFilters, LiveFilter, V1Paging),
    responses(
        (status = 200, description = "The courses (a page when `page` is given)", body = PlainOrPage<V1CourseShape>),
        BadRequest,
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn courses(api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let idx = service::filter_courses(&r.cat, &api.params, r.now, Audience::default())?;
        let with_programs = api.params.text("readable_id").is_some();
        let cx = r.cx();
        list_or_page(&api, &idx, |&i| {
            shapes::v1_course(&r.cat, &r.cat.courses[i], &cx, with_programs, true, false)
        })
    })
    .await
}

/// One course (not B2B-only) with its runs.
#[utoipa::path(
    get,
    path = "/api/v1/courses/{id}/",
    tag = "catalog",
    operation_id = "api_v1_courses_retrieve",
    params(IdPath),
    responses((status = 200, description = "The course", body = V1CourseShape), NotFound)
)]
pub async fn course(Path(id): Path<String>, api: Api) -> Result<Response, AppError> {
    detail(&api, &id, "Course", |r, id| {
        let co = r.cat.course(id).filter(|co| !service::is_b2b_only(&r.cat, co))?;
        Some(json(&shapes::v1_course(&r.cat, co, &r.cx(), false, true, false)))
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
        let enrolled = cx.learner.and_then(|l| l.enrolled.get(&run.id));
        shape.is_enrolled = Some(enrolled.is_some());
        shape.is_verified = Some(enrolled.is_some_and(|&verified| verified));
    }
    shape
}

/// Course runs (not B2B ones), each with its course; or with `relevant_to` a course's or
/// program's enrollable runs with the caller's enrollment in each.
#[utoipa::path(
    get,
    path = "/api/v1/course_runs/",
    tag = "catalog",
    operation_id = "course_runs_list",
    params(RunFilters, V1Paging),
    responses(
        (status = 200, description = "The runs (a page when `page` is given)", body = PlainOrPage<RunShape>),
        BadRequest,
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn course_runs(api: Api) -> Result<Response, AppError> {
    let params = &api.params;
    let relevant = params.text("relevant_to");
    api.answer_for(relevant.is_some(), |r| {
        let cat = &r.cat;
        let cx = r.cx();
        let mut runs: Vec<usize>;
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
        list_or_page(&api, &runs, |&i| {
            run_with_course(cat, &cat.runs[i], &cx, relevant.is_some())
        })
    })
    .await
}

/// One course run (not a B2B one) with its course.
#[utoipa::path(
    get,
    path = "/api/v1/course_runs/{id}/",
    tag = "catalog",
    operation_id = "course_runs_retrieve",
    params(IdPath),
    responses((status = 200, description = "The run", body = RunShape), NotFound)
)]
pub async fn course_run(Path(id): Path<String>, api: Api) -> Result<Response, AppError> {
    detail(&api, &id, "CourseRun", |r, id| {
        let run = r.cat.run_by_id.get(&id).map(|&i| &r.cat.runs[i]);
        let run = run.filter(|run| run.b2b_contract_id.is_none())?;
        Some(json(&run_with_course(&r.cat, run, &r.cx(), false)))
    })
    .await
}

/// Programs (not B2B-only ones) with their courses and requirements.
#[utoipa::path(
    get,
    path = "/api/v1/programs/",
    tag = "catalog",
    operation_id = "programs_list_v1",
    params(ProgramFilters, V1Paging),
    responses(
        (status = 200, description = "The programs (a page when `page` is given)", body = PlainOrPage<V1ProgramShape>),
        BadRequest,
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn programs(api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let idx = service::filter_programs(&r.cat, &api.params, None)?;
        let cx = r.cx();
        list_or_page(&api, &idx, |&i| {
            shapes::v1_program(&r.cat, &r.cat.programs[i], &cx)
        })
    })
    .await
}

/// One program (not B2B-only).
#[utoipa::path(
    get,
    path = "/api/v1/programs/{id}/",
    tag = "catalog",
    operation_id = "programs_retrieve_v1",
    params(IdPath),
    responses((status = 200, description = "The program", body = V1ProgramShape), NotFound)
)]
pub async fn program(Path(id): Path<String>, api: Api) -> Result<Response, AppError> {
    detail(&api, &id, "Program", |r, id| {
        let p = r.cat.program(id).filter(|p| !p.b2b_only)?;
        Some(json(&shapes::v1_program(&r.cat, p, &r.cx())))
    })
    .await
}

/// A department with how many courses and programs it shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DepartmentV1<'a> {
    id: i64,
    name: &'a str,
    courses: usize,
    programs: usize,
}

fn department_v1(r: &Req, i: usize) -> DepartmentV1<'_> {
    DepartmentV1 {
        id: r.cat.departments[i].id,
        name: &r.cat.departments[i].name,
        courses: service::department_course_ids(&r.cat, i, r.now).len(),
        programs: service::department_program_ids(&r.cat, i).len(),
    }
}

/// `/api/v1/departments/`: name with course and program counts (the original answers 500 here
/// at the captured commit; this returns the documented shape).
#[utoipa::path(
    get,
    path = "/api/v1/departments/",
    tag = "catalog",
    operation_id = "departments_list_v1",
    params(V1Paging),
    responses(
        (status = 200, description = "The departments (a page when `page` is given)", body = PlainOrPage<DepartmentV1>),
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn departments(api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let items: Vec<usize> = (0..r.cat.departments.len()).collect();
        list_or_page(&api, &items, |&i| department_v1(r, i))
    })
    .await
}

/// One department with its counts.
#[utoipa::path(
    get,
    path = "/api/v1/departments/{id}/",
    tag = "catalog",
    operation_id = "departments_retrieve_v1",
    params(IdPath),
    responses((status = 200, description = "The department", body = DepartmentV1), NotFound)
)]
pub async fn department(Path(id): Path<String>, api: Api) -> Result<Response, AppError> {
    detail(&api, &id, "Department", |r, id| {
        let i = r.cat.departments.iter().position(|d| d.id == id)?;
        Some(json(&department_v1(r, i)))
    })
    .await
}
