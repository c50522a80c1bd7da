//! `/health/*` like the original (startup, liveness, readiness, full) and Prometheus `/metrics`.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::{AppState, HealthStatus};

pub async fn startup(State(state): State<AppState>) -> Response {
    let m = state.db.migrations();
    let ok = m.current == m.latest;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "status": if ok { "ok" } else { "starting" } })),
    )
        .into_response()
}

pub async fn liveness() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn database_check(state: &AppState) -> (HealthStatus, Value) {
    let started = Instant::now();
    let r = state
        .db
        .read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
        .await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match r {
        Ok(_) => (HealthStatus::Ok, json!({ "status": "ok", "latency_ms": ms })),
        Err(e) => (
            HealthStatus::Failing,
            json!({ "status": "failing", "error": e.to_string() }),
        ),
    }
}

pub async fn readiness(State(state): State<AppState>) -> Response {
    let (s, db) = database_check(&state).await;
    let ready = s != HealthStatus::Failing && !state.is_shutting_down();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "status": if ready { "ok" } else { "failing" }, "database": db })),
    )
        .into_response()
}

pub async fn full(State(state): State<AppState>) -> Response {
    let mut worst = HealthStatus::Ok;
    let mut checks = serde_json::Map::new();
    let (s, db) = database_check(&state).await;
    worst = worst.max(s);
    checks.insert("database".into(), db);

    let m = state.db.migrations();
    let mig_status = if m.current == m.latest {
        HealthStatus::Ok
    } else {
        HealthStatus::Failing
    };
    worst = worst.max(mig_status);
    checks.insert(
        "migrations".into(),
        json!({ "status": mig_status.as_str(), "current": m.current, "latest": m.latest }),
    );
    checks.insert(
        "db_writer".into(),
        json!({ "status": "ok", "queue_depth": state.db.write_queue_depth() }),
    );
    checks.insert(
        "scheduler".into(),
        json!({ "status": "ok", "enabled": state.scheduler_enabled(), "jobs": state.jobs.list().len() }),
    );

    let now = state.clock.now();
    match state.db.read(move |c| crate::outbox::counts(c, now)).await {
        Ok(counts) => {
            let s = if counts.dead > 0 {
                HealthStatus::Degraded
            } else {
                HealthStatus::Ok
            };
            worst = worst.max(s);
            checks.insert(
                "outbox".into(),
                json!({
                    "status": s.as_str(),
                    "backlog": counts.pending,
                    "dead_letters": counts.dead,
                    "oldest_pending_age_seconds": counts.oldest_pending_age_seconds,
                }),
            );
        }
        Err(e) => {
            worst = HealthStatus::Failing;
            checks.insert(
                "outbox".into(),
                json!({ "status": "failing", "error": e.to_string() }),
            );
        }
    }
    match crate::staff::flows::service::flows(&state).await {
        Ok(flows) => {
            let list: Vec<_> = flows
                .iter()
                .map(|f| json!({ "id": f.id, "health": f.health, "figures": f.figures }))
                .collect();
            checks.insert("flows".into(), json!({ "status": "ok", "flows": list }));
        }
        Err(e) => {
            worst = HealthStatus::Failing;
            checks.insert(
                "flows".into(),
                json!({ "status": "failing", "error": e.to_string() }),
            );
        }
    }
    for c in state.health_contributors() {
        let (s, v) = c.check();
        worst = worst.max(s);
        checks.insert(c.name().into(), v);
    }
    let status = if worst == HealthStatus::Failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(json!({ "status": worst.as_str(), "checks": checks })),
    )
        .into_response()
}

/// Prometheus text format; backlog gauges are read from the database at scrape time.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let now = state.clock.now();
    if let Ok(counts) = state.db.read(move |c| crate::outbox::counts(c, now)).await {
        state.metrics.set_gauge(
            "mitxonline_outbox_backlog",
            "Outbox messages waiting for delivery.",
            &[],
            counts.pending,
        );
        state.metrics.set_gauge(
            "mitxonline_outbox_dead_letters",
            "Outbox messages parked as dead letters.",
            &[],
            counts.dead,
        );
        state.metrics.set_gauge(
            "mitxonline_outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered outbox message.",
            &[],
            counts.oldest_pending_age_seconds,
        );
        for (dest, pending, dead) in &counts.by_destination {
            state.metrics.set_gauge(
                "mitxonline_outbox_backlog_by_destination",
                "Outbox backlog per destination.",
                &[("destination", dest)],
                *pending,
            );
            state.metrics.set_gauge(
                "mitxonline_outbox_dead_letters_by_destination",
                "Dead letters per destination.",
                &[("destination", dest)],
                *dead,
            );
        }
    }
    if let Ok(flows) = crate::staff::flows::service::flows(&state).await {
        flow_gauges(&state, &flows);
    }
    crate::metrics::memory::record(&state.metrics);
    state.metrics.set_counter(
        "mitxonline_db_statements_total",
        "SQL statements begun on every database connection.",
        crate::db::statements_run(),
    );
    state.metrics.set_gauge(
        "mitxonline_uptime_seconds",
        "Seconds since this process started.",
        &[],
        i64::try_from(state.started.elapsed().as_secs()).unwrap_or(i64::MAX),
    );
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

/// The data-flow map's figures as `mitxonline_flow_*` gauges, one series per flow.
fn flow_gauges(state: &AppState, flows: &[crate::staff::flows::model::FlowStatus]) {
    let now = state.clock.now();
    for f in flows {
        let l = [("flow", f.id)];
        let m = &state.metrics;
        let since = f
            .figures
            .last_success
            .as_deref()
            .and_then(crate::clock::from_db)
            .map_or(-1, |t| (now - t).num_seconds().max(0));
        m.set_gauge(
            "mitxonline_flow_health",
            "0 idle, 1 ok, 2 degraded, 3 failing.",
            &l,
            f.health as i64,
        );
        m.set_gauge(
            "mitxonline_flow_seconds_since_success",
            "Seconds since the flow last succeeded (-1: never).",
            &l,
            since,
        );
        m.set_gauge(
            "mitxonline_flow_lag_seconds",
            "Seconds the oldest waiting item has waited.",
            &l,
            f.figures.lag_seconds,
        );
        m.set_gauge(
            "mitxonline_flow_backlog",
            "Items waiting in the flow.",
            &l,
            f.figures.backlog,
        );
        m.set_gauge(
            "mitxonline_flow_dead_letters",
            "Dead letters of the flow.",
            &l,
            f.figures.dead_letters,
        );
        m.set_gauge(
            "mitxonline_flow_errors_24h",
            "Failed attempts or runs in the last 24 hours.",
            &l,
            f.figures.errors_24h,
        );
        m.set_gauge(
            "mitxonline_flow_attempts_24h",
            "Attempts or runs in the last 24 hours.",
            &l,
            f.figures.attempts_24h,
        );
    }
}
