//! HTTP assembly: every module's routes merged into one router, wrapped in the middleware all
//! requests share (request ids, tracing, metrics, security headers and CSP, cache policy, body limit,
//! error rendering, path-prefix handling).

pub mod assets;
pub mod auth;
pub mod cookies;
pub mod csrf;
mod domain_errors;
pub mod error;
pub mod extract;
pub mod form_token;
pub mod health;
pub mod home;
pub mod json;
pub mod layout;
pub mod learner_api;
pub mod notices;
pub mod openapi;
mod openapi_view;
pub mod page;
pub mod page_req;
pub mod redirect;
pub mod scopes;
pub mod security;
pub mod session;
pub(crate) mod staff_ops;
pub mod staff_page;
pub mod ui;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
pub use error::AppError;
pub use page::{PageCtx, Prefix};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// All routes of the application, before the outer middleware.
pub fn routes(state: &AppState) -> Router<AppState> {
    // One catalog snapshot for every module that reads the catalog: a catalog write reloads it
    // once, not once per module.
    let catalog = std::sync::Arc::new(crate::catalog::CatalogCache::default());
    let ping = if state.config.bench_ping {
        Router::new().route("/bench/ping", get(|| async { "pong" }))
    } else {
        Router::new()
    };
    Router::new()
        .merge(ping)
        .route("/health/startup/", get(health::startup))
        .route("/health/liveness/", get(health::liveness))
        .route("/health/readiness/", get(health::readiness))
        .route("/health/full/", get(health::full))
        .route("/metrics", get(health::metrics))
        .route("/static/{name}", get(assets::serve))
        .merge(crate::catalog::routes(catalog.clone()))
        .merge(crate::cms::routes(catalog.clone()))
        .merge(home::routes(catalog.clone()))
        .merge(staff_ops::routes())
        .merge(openapi::routes())
        .merge(crate::staff::routes(catalog.clone()))
        .merge(crate::audit::pages::routes())
        .merge(crate::integrations::openedx::routes())
        .merge(crate::integrations::cybersource::routes())
        .merge(crate::integrations::keycloak::routes())
        .merge(crate::integrations::hubspot::routes())
        .merge(crate::integrations::sheets::routes())
        .merge(crate::integrations::sandbox_faults::staff::routes())
        .merge(crate::users::routes())
        .merge(crate::mail::routes())
        .merge(crate::oauth2::routes())
        .merge(crate::enrollment::routes(catalog.clone()))
        .merge(crate::pricing::routes())
        .merge(crate::certificates::routes(catalog.clone()))
        .merge(crate::b2b::routes(catalog.clone()))
        .merge(crate::commerce::routes(catalog))
}

/// The complete router with middleware; what `serve` runs.
pub fn build(state: AppState) -> Router {
    let prefix = Prefix(state.config.path_prefix().to_owned());
    let body_limit = state.config.body_limit;
    let security_headers = security::SecurityHeaders::from_config(&state.config);
    let inner = routes(&state)
        .fallback(|| async { AppError::not_found() })
        // Inside `identify`: the hand-off needs to know whether someone is signed in.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::commerce::basket::handoff::adopt,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), session::identify))
        .layer(middleware::from_fn_with_state(state.clone(), record_metrics))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let id = req
                                .headers()
                                .get(&X_REQUEST_ID)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("");
                            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                        })
                        .on_request(())
                        .on_response(
                            tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG),
                        )
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
                .layer(CompressionLayer::new())
                .layer(middleware::from_fn(move |req, next| {
                    security::add_headers(security_headers.clone(), req, next)
                }))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    HeaderName::from_static("cross-origin-opener-policy"),
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(middleware::from_fn(private_cache_policy))
                .layer(middleware::from_fn(error::render_errors))
                .layer(CatchPanicLayer::custom(|_| {
                    axum::response::IntoResponse::into_response(AppError::Internal(anyhow::anyhow!("handler panicked")))
                }))
                .layer(RequestBodyLimitLayer::new(body_limit)),
        );
    // Prefix stripping must happen before routing, so it wraps the routed service itself.
    let strip = middleware::from_fn(move |req, next| strip_prefix(prefix.clone(), req, next));
    Router::new().fallback_service(tower::Layer::layer(&strip, inner))
}

/// Accepts requests that still carry the public path prefix (no rewriting proxy in front) by
/// removing it before routing, and records the prefix for link building.
async fn strip_prefix(prefix: Prefix, mut req: Request, next: Next) -> Response {
    if !prefix.0.is_empty() {
        let path = req.uri().path();
        if let Some(rest) = path.strip_prefix(prefix.0.as_str())
            && (rest.is_empty() || rest.starts_with('/'))
        {
            let rest = if rest.is_empty() { "/" } else { rest };
            let pq = match req.uri().query() {
                Some(q) => format!("{rest}?{q}"),
                None => rest.to_owned(),
            };
            if let Ok(uri) = pq.parse::<Uri>() {
                *req.uri_mut() = uri;
            }
        }
    }
    req.extensions_mut().insert(prefix);
    next.run(req).await
}

/// Like the original's middleware: `/api/`, `/courses/` and `/checkout/` are never cached.
async fn private_cache_policy(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let private =
        path.starts_with("/api/") || path.starts_with("/courses/") || path.starts_with("/checkout/");
    let mut resp = next.run(req).await;
    if private {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    resp
}

const REQUESTS_HELP: &str = "HTTP requests by method, route and status.";
const LATENCY_HELP: &str = "HTTP request latency by method and route.";

async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    if let Some(key) = auth::presented_key_of(req.headers()) {
        crate::users::api_keys::note_presented(&state, &key);
    }
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let resp = next.run(req).await;
    let elapsed: Duration = started.elapsed();
    let status = resp.status().as_u16().to_string();
    state.metrics.inc(
        "mitxonline_http_requests_total",
        REQUESTS_HELP,
        &[
            ("method", method.as_str()),
            ("route", &route),
            ("status", &status),
        ],
    );
    state.metrics.observe(
        "mitxonline_http_request_duration_seconds",
        LATENCY_HELP,
        &[("method", method.as_str()), ("route", &route)],
        elapsed,
    );
    resp
}
