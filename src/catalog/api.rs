//! JSON handlers for the catalog APIs, at the original's paths: v1 (paginated only when `page`
//! is given), v2 (page-number pagination), `/api/internal/courses/` for MIT Learn (API key),
//! and countries.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::cache::CatalogCache;
use super::service::{self, Audience, PageReq, Params};
use super::shapes::{self, Ctx};
use super::snapshot::Catalog;
use crate::http::AppError;
use crate::http::auth::ServiceKey;
use crate::state::AppState;

pub type Cache = Extension<Arc<CatalogCache>>;

/// Counter of SQL statements run to answer catalog requests (the bench divides it by requests).
pub const SQL_STATEMENTS: &str = "mitxonline_catalog_sql_statements_total";
const SQL_HELP: &str = "SQL statements run by catalog requests (version checks and snapshot loads).";
pub const LOADS: &str = "mitxonline_catalog_snapshot_loads_total";
const LOADS_HELP: &str = "Catalog snapshots loaded after a catalog change.";

/// Where Open edX serves courseware (the sandbox lives under our own URL).
pub fn edx_base(state: &AppState) -> String {
    match &state.config.openedx {
        Some(o) => o.api_base_url.as_str().trim_end_matches('/').to_owned(),
        None => state.config.absolute_url("/sandbox/openedx"),
    }
}

pub struct Req {
    pub cat: Arc<Catalog>,
    pub now: super::model::Time,
    pub public_url: String,
    pub edx: String,
}

impl Req {
    pub async fn load(state: &AppState, cache: &CatalogCache) -> Result<Req, AppError> {
        let (cat, statements) = cache.get(&state.db).await?;
        state.metrics.add(SQL_STATEMENTS, SQL_HELP, &[], statements);
        if statements > 1 {
            state.metrics.inc(LOADS, LOADS_HELP, &[]);
        }
        Ok(Req {
            cat,
            now: state.clock.now(),
            public_url: state.config.public_url.as_str().to_owned(),
            edx: edx_base(state),
        })
    }
    pub fn cx(&self) -> Ctx<'_> {
        Ctx {
            now: self.now,
            public_url: &self.public_url,
            edx_base: &self.edx,
        }
    }
}

/// DRF's `{count, next, previous, results}`.
#[derive(Serialize)]
pub struct Envelope<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// JSON with a body serialized once into bytes (no intermediate `Value`).
pub fn json<T: Serialize>(v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => AppError::Internal(e.into()).into_response(),
    }
}

/// Answers from the response cache when the stored body was computed from the current
/// snapshot and no run predicate changed since; otherwise builds, stores and returns it.
/// Only successful JSON bodies are stored.
pub async fn cached(
    state: &AppState,
    cache: &CatalogCache,
    uri: &Uri,
    build: impl FnOnce(&Req) -> Result<Response, AppError>,
) -> Result<Response, AppError> {
    let r = Req::load(state, cache).await?;
    let key = uri.path_and_query().map_or("/", |p| p.as_str());
    if let Some(body) = cache.cached(key, &r.cat, r.now) {
        return Ok(bytes_response(&body));
    }
    let resp = build(&r)?;
    if resp.status() != StatusCode::OK {
        return Ok(resp);
    }
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("buffering a response: {e}")))?;
    let body: Arc<[u8]> = Arc::from(body.as_ref());
    cache.store(key, &r.cat, r.now, body.clone());
    Ok(bytes_response(&body))
}

fn bytes_response(body: &Arc<[u8]>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Bytes::copy_from_slice(body),
    )
        .into_response()
}

/// Pages `items` and builds the envelope with absolute links from MITXONLINE_PUBLIC_URL.
pub fn paginate<'a, T, U>(
    state: &AppState,
    uri: &Uri,
    params: &Params,
    items: &'a [T],
    f: impl Fn(&'a T) -> U,
) -> Result<Envelope<U>, AppError> {
    let req = PageReq::from_params(params)?;
    let (range, page, pages) = req.window(items.len())?;
    let link = |n: usize| {
        let target = (n > 1).then_some(n);
        state
            .config
            .absolute_url(&service::page_link(uri.path(), params, target))
    };
    Ok(Envelope {
        count: items.len(),
        next: (page < pages).then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
        results: items[range].iter().map(f).collect(),
    })
}

pub async fn v2_courses(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let idx = service::filter_courses(&r.cat, &params, r.now, Audience::default())?;
        let cx = r.cx();
        let env = paginate(&state, &uri, &params, &idx, |&i| {
            shapes::v2_course(&r.cat, &r.cat.courses[i], &cx, false)
        })?;
        Ok(json(&env))
    })
    .await
}

fn no_course() -> AppError {
    AppError::NotFound("No Course matches the given query.".into())
}

fn no_program() -> AppError {
    AppError::NotFound("No Program matches the given query.".into())
}

pub async fn v2_course(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(key): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let co = service::lookup_course(&r.cat, &key)
            .filter(|co| !service::is_b2b_only(&r.cat, co))
            .ok_or_else(no_course)?;
        Ok(json(&shapes::v2_course(&r.cat, co, &r.cx(), false)))
    })
    .await
}

/// Any valid API key (MIT Learn's ETL key has the catalog scope).
fn require_key(key: &ServiceKey) -> Result<(), AppError> {
    match key.0 {
        Some(_) => Ok(()),
        None => Err(AppError::Forbidden(
            "Authentication credentials were not provided.".into(),
        )),
    }
}

pub async fn internal_courses(
    State(state): State<AppState>,
    Extension(cache): Cache,
    key: ServiceKey,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    require_key(&key)?;
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let idx = service::filter_courses(&r.cat, &params, r.now, Audience { internal: true })?;
        let cx = r.cx();
        let env = paginate(&state, &uri, &params, &idx, |&i| {
            shapes::v2_course(&r.cat, &r.cat.courses[i], &cx, true)
        })?;
        Ok(json(&env))
    })
    .await
}

pub async fn internal_course(
    State(state): State<AppState>,
    Extension(cache): Cache,
    key: ServiceKey,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    require_key(&key)?;
    cached(&state, &cache, &uri, |r| {
        let co = service::lookup_course(&r.cat, &id).ok_or_else(no_course)?;
        Ok(json(&shapes::v2_course(&r.cat, co, &r.cx(), true)))
    })
    .await
}

pub async fn v2_programs(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let idx = service::filter_programs(&r.cat, &params)?;
        let cx = r.cx();
        let env = paginate(&state, &uri, &params, &idx, |&i| {
            shapes::v2_program(&r.cat, &r.cat.programs[i], &cx)
        })?;
        Ok(json(&env))
    })
    .await
}

pub async fn v2_program(
    State(state): State<AppState>,
    Extension(cache): Cache,
    Path(key): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let p = service::lookup_program(&r.cat, &key)
            .filter(|p| !p.b2b_only)
            .ok_or_else(no_program)?;
        Ok(json(&shapes::v2_program(&r.cat, p, &r.cx())))
    })
    .await
}

#[derive(Serialize)]
struct DepartmentV2<'a> {
    id: i64,
    name: &'a str,
    slug: &'a str,
    course_ids: Vec<i64>,
    program_ids: Vec<i64>,
}

pub async fn v2_departments(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
) -> Result<Response, AppError> {
    cached(&state, &cache, &uri, |r| {
        let out: Vec<DepartmentV2<'_>> = r
            .cat
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| DepartmentV2 {
                id: d.id,
                name: &d.name,
                slug: &d.slug,
                course_ids: service::department_course_ids(&r.cat, i, r.now),
                program_ids: service::department_program_ids(&r.cat, i),
            })
            .collect();
        Ok(json(&out))
    })
    .await
}

#[derive(Serialize)]
struct CollectionProgram<'a> {
    id: i64,
    title: &'a str,
    order: usize,
}

#[derive(Serialize)]
struct CollectionShape<'a> {
    id: i64,
    title: &'a str,
    description: &'a str,
    programs: Vec<CollectionProgram<'a>>,
}

pub async fn v2_program_collections(
    State(state): State<AppState>,
    Extension(cache): Cache,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(q.as_deref());
    cached(&state, &cache, &uri, |r| {
        let env = paginate(&state, &uri, &params, &r.cat.collections, |c| CollectionShape {
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
        })?;
        Ok(json(&env))
    })
    .await
}

/// `/api/countries/` and `/api/v0/countries/`: ISO 3166 countries with US/CA subdivisions.
pub async fn countries() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("countries.json"),
    )
        .into_response()
}
