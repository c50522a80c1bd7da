//! The catalog's groupings and reference lists, as JSON: v2 departments (with the ids of their
//! shown courses and programs), v2 program collections, and the country list. The shared
//! handler frame ([`Api`], [`json`], [`found`]) is in [`super::api`].

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::api::{Api, Envelope, Req, found, json};
use super::openapi::{IdPath, Paging};
use super::service;
use crate::http::AppError;
use crate::http::openapi::{ErrorBody, NotFound};

/// A department with the ids of its courses and programs shown in the catalog.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DepartmentV2<'a> {
    id: i64,
    name: &'a str,
    slug: &'a str,
    course_ids: Vec<i64>,
    program_ids: Vec<i64>,
}

fn department_v2(r: &Req, i: usize) -> DepartmentV2<'_> {
    let d = &r.cat.departments[i];
    DepartmentV2 {
        id: d.id,
        name: &d.name,
        slug: &d.slug,
        course_ids: service::department_course_ids(&r.cat, i, r.now),
        program_ids: service::department_program_ids(&r.cat, i),
    }
}

/// The departments, each with its shown courses' and programs' ids.
#[utoipa::path(
    get,
    path = "/api/v2/departments/",
    tag = "catalog",
    operation_id = "departments_list_v2",
    responses((status = 200, description = "The departments", body = Vec<DepartmentV2>))
)]
pub async fn v2_departments(api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let out: Vec<DepartmentV2<'_>> = (0..r.cat.departments.len())
            .map(|i| department_v2(r, i))
            .collect();
        Ok(json(&out))
    })
    .await
}

/// One department.
#[utoipa::path(
    get,
    path = "/api/v2/departments/{id}/",
    tag = "catalog",
    operation_id = "departments_retrieve_v2",
    params(("id" = String, Path, description = "The department's id")),
    responses((status = 200, description = "The department", body = DepartmentV2), NotFound)
)]
pub async fn v2_department(Path(id): Path<String>, api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let i = id
            .parse::<i64>()
            .ok()
            .and_then(|id| r.cat.departments.iter().position(|d| d.id == id));
        Ok(json(&department_v2(r, found(i, "Department")?)))
    })
    .await
}

/// A program of a collection, in the collection's order.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProgramCollectionItem)]
pub struct CollectionProgram<'a> {
    id: i64,
    title: &'a str,
    order: usize,
}

/// A program collection with its (non-B2B) programs.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProgramCollection)]
pub struct CollectionShape<'a> {
    id: i64,
    title: &'a str,
    description: &'a str,
    programs: Vec<CollectionProgram<'a>>,
}

fn collection<'a>(r: &'a Req, c: &'a super::model::Collection) -> CollectionShape<'a> {
    CollectionShape {
        id: c.id,
        title: &c.title,
        description: &c.description,
        programs: c
            .program_ids
            .iter()
            .filter_map(|id| r.cat.program(*id))
            .filter(|p| !p.b2b_only)
            .enumerate()
            .map(|(order, p)| CollectionProgram {
                id: p.id,
                title: &p.title,
                order,
            })
            .collect(),
    }
}

/// The program collections.
#[utoipa::path(
    get,
    path = "/api/v2/program-collections/",
    tag = "catalog",
    operation_id = "program_collections_list",
    params(Paging),
    responses(
        (status = 200, description = "A page of collections", body = Envelope<CollectionShape>),
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn v2_program_collections(api: Api) -> Result<Response, AppError> {
    api.answer(|r| api.page(&r.cat.collections, |c| collection(r, c)))
        .await
}

/// One program collection.
#[utoipa::path(
    get,
    path = "/api/v2/program-collections/{id}/",
    tag = "catalog",
    operation_id = "program_collections_retrieve",
    params(IdPath),
    responses((status = 200, description = "The collection", body = CollectionShape), NotFound)
)]
pub async fn v2_program_collection(Path(id): Path<String>, api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let c = id
            .parse::<i64>()
            .ok()
            .and_then(|id| r.cat.collections.iter().find(|c| c.id == id));
        Ok(json(&collection(r, found(c, "ProgramCollection")?)))
    })
    .await
}

/// ISO 3166 countries with US/CA subdivisions (also at `/api/v0/countries/`).
#[utoipa::path(
    get,
    path = "/api/countries/",
    tag = "catalog",
    operation_id = "countries_list",
    responses((status = 200, description = "The countries", body = Vec<Country>))
)]
pub async fn countries() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("countries.json"),
    )
        .into_response()
}

/// A country of `countries.json` (the answer is that file, as it is).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub name: String,
    /// ISO 3166-2 subdivisions (US and Canada only; empty elsewhere).
    pub states: Vec<Subdivision>,
}

/// A state or province.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Subdivision {
    pub code: String,
    pub name: String,
}
