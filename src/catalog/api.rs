//! JSON handlers for the catalog APIs, at the original's paths: v1 (paginated only when `page`
//! is given), v2 courses and programs (page-number pagination), `/api/internal/courses/` for
//! MIT Learn (API key), and the frame every catalog handler shares ([`Api`], [`json`],
//! [`found`]); departments, collections and countries are in [`super::api_groups`].

use std::sync::Arc;

use axum::Extension;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::cache::CatalogCache;
use super::openapi::{B2bView, CourseFilters, CourseKey, LiveFilter, Paging, ProgramFilters, ProgramKey};
use super::service::{self, Audience, PageReq, Params};
use super::shapes::{self, Ctx};
use super::shapes::{V2CourseShape, V2ProgramShape};
use super::snapshot::Catalog;
use crate::http::AppError;
use crate::http::auth::ServiceKey;
use crate::http::openapi::{BadRequest, ErrorBody, Forbidden, NotFound, Unauthorized};
use crate::http::session::MaybeUser;
use crate::state::AppState;
use crate::users::store::User;

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
    /// What is the signed-in caller's, when it changes the response (then never cached).
    pub learner: Option<shapes::Learner>,
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
            learner: None,
        })
    }
    pub fn cx(&self) -> Ctx<'_> {
        Ctx {
            now: self.now,
            public_url: &self.public_url,
            edx_base: &self.edx,
            learner: self.learner.as_ref(),
        }
    }
}

/// What of the catalog is `user`'s: their flexible-price approvals and discounts (pricing
/// module) over every course and product of the snapshot and, when `enrollments`, their
/// active enrollments (enrollment module). `None` when nothing is theirs, so the shared
/// cached response serves them.
async fn learner(
    state: &AppState,
    cat: &Catalog,
    user: i64,
    enrollments: bool,
) -> Result<Option<shapes::Learner>, AppError> {
    let courses = cat.courses.iter().map(|co| co.id).collect();
    let products = cat
        .runs
        .iter()
        .filter_map(|r| r.product.as_ref().map(|p| p.id))
        .collect();
    let prices = crate::pricing::service::learner_prices_now(state, user, courses, products).await?;
    if prices.is_none() && !enrollments {
        return Ok(None);
    }
    let prices = prices.unwrap_or_default();
    let enrolled = if enrollments {
        crate::enrollment::queries::active_runs(state, user).await?
    } else {
        Default::default()
    };
    Ok(Some(shapes::Learner {
        approved_courses: prices.approved_courses,
        product_discounts: prices.product_discounts,
        enrolled,
    }))
}

/// DRF's `{count, next, previous, results}`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CatalogPage)]
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
    cache: &CatalogCache,
    uri: &Uri,
    r: Req,
    build: impl FnOnce(&Req) -> Result<Response, AppError>,
) -> Result<Response, AppError> {
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

/// What every catalog API handler takes: the state, the snapshot cache, the URI (the response
/// cache's key and the pagination links' path) and the parsed query.
pub struct Api {
    pub state: AppState,
    pub cache: Arc<CatalogCache>,
    pub uri: Uri,
    pub params: Params,
    /// The signed-in caller, if any.
    pub user: Option<i64>,
}

impl FromRequestParts<AppState> for Api {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Extension(cache) = Cache::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let Ok(MaybeUser(user)) = MaybeUser::from_request_parts(parts, state).await;
        Ok(Api {
            state: state.clone(),
            cache,
            params: Params::parse(parts.uri.query()),
            uri: parts.uri.clone(),
            user: user.map(|u| u.id),
        })
    }
}

impl Api {
    /// A JSON answer built from the current snapshot: cached (see [`cached`]) unless
    /// something in it is the signed-in caller's (see [`learner`]).
    pub async fn answer(
        &self,
        build: impl FnOnce(&Req) -> Result<Response, AppError>,
    ) -> Result<Response, AppError> {
        self.answer_for(false, build).await
    }

    /// [`Api::answer`] that also shows the caller their active enrollments.
    pub async fn answer_for(
        &self,
        enrollments: bool,
        build: impl FnOnce(&Req) -> Result<Response, AppError>,
    ) -> Result<Response, AppError> {
        let r = self.req(enrollments).await?;
        if r.learner.is_some() {
            return build(&r);
        }
        cached(&self.cache, &self.uri, r, build).await
    }

    /// The current snapshot with what of it is the signed-in caller's (see [`learner`]).
    pub async fn req(&self, enrollments: bool) -> Result<Req, AppError> {
        let mut r = Req::load(&self.state, &self.cache).await?;
        if let Some(user) = self.user {
            r.learner = learner(&self.state, &r.cat, user, enrollments).await?;
        }
        Ok(r)
    }

    /// DRF's envelope around this request's page of `items`.
    pub fn page<'a, T, U: Serialize>(
        &self,
        items: &'a [T],
        f: impl Fn(&'a T) -> U,
    ) -> Result<Response, AppError> {
        Ok(json(&paginate(&self.state, &self.uri, &self.params, items, f)?))
    }
}

/// DRF's 404 for an object that is not there (or not shown to this caller).
pub fn found<T>(v: Option<T>, what: &str) -> Result<T, AppError> {
    v.ok_or_else(|| AppError::NotFound(format!("No {what} matches the given query.")))
}

/// v2 and internal course lists: the internal one (any API key) also lists B2B-only courses
/// and shows every run.
async fn course_list(api: &Api, internal: bool) -> Result<Response, AppError> {
    api.answer(|r| {
        let aud = Audience {
            internal,
            contracts: None,
        };
        let idx = service::filter_courses(&r.cat, &api.params, r.now, aud)?;
        let cx = r.cx();
        api.page(&idx, |&i| {
            shapes::v2_course(&r.cat, &r.cat.courses[i], &cx, internal)
        })
    })
    .await
}

/// An `org_id` / `contract_id` parameter: absent, or a whole number.
fn b2b_param(p: &service::Params, key: &str) -> Result<Option<i64>, AppError> {
    p.text(key)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::field(key, "Enter a number."))
        })
        .transpose()
}

/// What the caller may see of an `org_id` / `contract_id` view (the B2B module decides).
async fn b2b_view(api: &Api, user: Option<&User>) -> Result<Option<crate::b2b::service::Visible>, AppError> {
    let org = b2b_param(&api.params, "org_id")?;
    let contract = b2b_param(&api.params, "contract_id")?;
    Ok(crate::b2b::service::catalog_view(&api.state, user, org, contract).await?)
}

/// The v2 course list of an organisation/contract view: per caller, so never cached; the
/// courses with runs in the visible contracts, showing only those runs.
async fn b2b_course_list(api: &Api, user: Option<&User>) -> Result<Response, AppError> {
    let view = b2b_view(api, user).await?;
    let r = api.req(false).await?;
    let contracts = view.as_ref().map(|v| v.contracts.as_slice());
    let aud = Audience {
        internal: false,
        contracts,
    };
    let idx = service::filter_courses(&r.cat, &api.params, r.now, aud)?;
    let cx = r.cx();
    api.page(&idx, |&i| {
        let mut shape = shapes::v2_course(&r.cat, &r.cat.courses[i], &cx, true);
        if let Some(runs) = &mut shape.courseruns {
            runs.retain(|x| {
                x.b2b_contract
                    .flatten()
                    .is_some_and(|k| contracts.is_some_and(|v| v.contains(&k)))
            });
        }
        shape
    })
}

/// One v2 or internal course, by id or readable id.
async fn course_detail(api: &Api, key: &str, internal: bool) -> Result<Response, AppError> {
    api.answer(|r| {
        let co =
            service::lookup_course(&r.cat, key).filter(|co| internal || !service::is_b2b_only(&r.cat, co));
        Ok(json(&shapes::v2_course(
            &r.cat,
            found(co, "Course")?,
            &r.cx(),
            internal,
        )))
    })
    .await
}

/// Courses with their runs (not B2B-only courses; with `org_id`/`contract_id`, the courses
/// of the caller's visible contracts with only those contracts' runs).
#[utoipa::path(
    get,
    path = "/api/v2/courses/",
    tag = "catalog",
    operation_id = "api_v2_courses_list",
    params(CourseFilters, LiveFilter, B2bView, Paging),
    responses(
        (status = 200, description = "A page of courses", body = Envelope<V2CourseShape>),
        BadRequest,
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn v2_courses(api: Api, MaybeUser(user): MaybeUser) -> Result<Response, AppError> {
    if service::is_b2b_view(&api.params) {
        return b2b_course_list(&api, user.as_ref()).await;
    }
    course_list(&api, false).await
}

/// One course (not B2B-only), by id or readable id.
#[utoipa::path(
    get,
    path = "/api/v2/courses/{key}/",
    tag = "catalog",
    operation_id = "api_v2_courses_retrieve",
    params(CourseKey),
    responses((status = 200, description = "The course", body = V2CourseShape), NotFound)
)]
pub async fn v2_course(Path(key): Path<String>, api: Api) -> Result<Response, AppError> {
    course_detail(&api, &key, false).await
}

/// Any valid API key (MIT Learn's ETL key has the catalog scope), or a signed-in `is_etl` user
/// or superuser (the original's `HasAPIKey | IsEtlUser`).
fn require_key(key: &ServiceKey, user: Option<&crate::users::store::User>) -> Result<(), AppError> {
    match (&key.0, user) {
        (Some(_), _) => Ok(()),
        (None, Some(u)) if u.is_etl || u.is_superuser => Ok(()),
        (None, Some(_)) => Err(AppError::Forbidden("Invalid user.".into())),
        (None, None) => Err(AppError::Forbidden(
            "Authentication credentials were not provided.".into(),
        )),
    }
}

/// Every course with every run, B2B-only ones too, for MIT Learn's ETL (an API key, or a
/// signed-in `is_etl` user or superuser).
#[utoipa::path(
    get,
    path = "/api/internal/courses/",
    tag = "catalog",
    operation_id = "api_internal_courses_list",
    params(CourseFilters, Paging),
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of courses", body = Envelope<V2CourseShape>),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn internal_courses(
    key: ServiceKey,
    MaybeUser(user): MaybeUser,
    api: Api,
) -> Result<Response, AppError> {
    require_key(&key, user.as_ref())?;
    course_list(&api, true).await
}

/// One course with every run (as [`internal_courses`]), by id or readable id.
#[utoipa::path(
    get,
    path = "/api/internal/courses/{key}/",
    tag = "catalog",
    operation_id = "api_internal_courses_retrieve",
    params(CourseKey),
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 200, description = "The course", body = V2CourseShape),
        Unauthorized,
        Forbidden,
        NotFound
    )
)]
pub async fn internal_course(
    key: ServiceKey,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    api: Api,
) -> Result<Response, AppError> {
    require_key(&key, user.as_ref())?;
    course_detail(&api, &id, true).await
}

/// Programs (not B2B-only ones; with `org_id`/`contract_id`, the programs of the caller's
/// visible contracts).
#[utoipa::path(
    get,
    path = "/api/v2/programs/",
    tag = "catalog",
    operation_id = "programs_list_v2",
    params(ProgramFilters, B2bView, Paging),
    responses(
        (status = 200, description = "A page of programs", body = Envelope<V2ProgramShape>),
        BadRequest,
        (status = 404, description = "`Invalid page.`", body = ErrorBody)
    )
)]
pub async fn v2_programs(api: Api, MaybeUser(user): MaybeUser) -> Result<Response, AppError> {
    if service::is_b2b_view(&api.params) {
        let view = b2b_view(&api, user.as_ref()).await?;
        let r = api.req(false).await?;
        let programs = view.as_ref().map(|v| v.programs.as_slice());
        let idx = service::filter_programs(&r.cat, &api.params, programs)?;
        let cx = r.cx();
        return api.page(&idx, |&i| shapes::v2_program(&r.cat, &r.cat.programs[i], &cx));
    }
    api.answer(|r| {
        let idx = service::filter_programs(&r.cat, &api.params, None)?;
        let cx = r.cx();
        api.page(&idx, |&i| shapes::v2_program(&r.cat, &r.cat.programs[i], &cx))
    })
    .await
}

/// One program (not B2B-only), by id or readable id.
#[utoipa::path(
    get,
    path = "/api/v2/programs/{key}/",
    tag = "catalog",
    operation_id = "programs_retrieve_v2",
    params(ProgramKey),
    responses((status = 200, description = "The program", body = V2ProgramShape), NotFound)
)]
pub async fn v2_program(Path(key): Path<String>, api: Api) -> Result<Response, AppError> {
    api.answer(|r| {
        let p = service::lookup_program(&r.cat, &key).filter(|p| !p.b2b_only);
        Ok(json(&shapes::v2_program(&r.cat, found(p, "Program")?, &r.cx())))
    })
    .await
}
