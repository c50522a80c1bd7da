//! The sandbox's Studio course-run API: detail, re-run (clone) and update, over
//! `openedx_sandbox_courses`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::handlers::{Res, db_error, reply, require_service};
use super::{Sandbox, store};
use crate::db::DbError;

/// A run's Studio detail is the sandbox's course detail (the same stored document).
pub use super::handlers::course_detail as run_detail;

/// `{source_course_id, destination_course_id}`: the source must exist and the destination
/// must not; the new run starts as a copy of the source's name and pacing.
pub async fn clone_run(State(s): State<Sandbox>, h: HeaderMap, Json(body): Json<Value>) -> Res {
    require_service(&h)?;
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (source, dest) = (field("source_course_id"), field("destination_course_id"));
    if source.is_empty() || dest.is_empty() {
        return Err(reply(
            StatusCode::BAD_REQUEST,
            json!({ "detail": "source_course_id and destination_course_id are required." }),
        ));
    }
    let outcome =
        s.db.write(
            move |c| -> Result<Result<Value, (StatusCode, &'static str)>, DbError> {
                let Some(src) = store::course(c, &source)? else {
                    return Ok(Err((
                        StatusCode::NOT_FOUND,
                        "The source course run does not exist.",
                    )));
                };
                if store::course(c, &dest)?.is_some() {
                    return Ok(Err((
                        StatusCode::BAD_REQUEST,
                        "The destination course run already exists.",
                    )));
                }
                let copy = json!({ "course_id": dest, "name": src["name"], "pacing": src["pacing"] });
                store::upsert_course(c, &copy)?;
                Ok(Ok(json!({ "id": dest, "course_id": dest })))
            },
        )
        .await
        .map_err(db_error)?;
    match outcome {
        Ok(v) => Ok(reply(StatusCode::CREATED, v)),
        Err((status, detail)) => Err(reply(status, json!({ "detail": detail }))),
    }
}

/// Title, pacing (`self_paced` / `instructor_paced`) and schedule dates.
pub async fn fix_run(
    State(s): State<Sandbox>,
    h: HeaderMap,
    Path(course): Path<String>,
    Json(body): Json<Value>,
) -> Res {
    require_service(&h)?;
    let updated =
        s.db.write(move |c| -> Result<Option<Value>, DbError> {
            let Some(mut v) = store::course(c, &course)? else {
                return Ok(None);
            };
            if let Some(t) = body.get("title").filter(|t| t.is_string()) {
                v["name"] = t.clone();
            }
            match body.get("pacing_type").and_then(Value::as_str) {
                Some("self_paced") => v["pacing"] = json!("self"),
                Some("instructor_paced") => v["pacing"] = json!("instructor"),
                _ => {}
            }
            if let Some(sched) = body.get("schedule").and_then(Value::as_object) {
                for (k, x) in sched {
                    if ["start", "end", "enrollment_start", "enrollment_end"].contains(&k.as_str()) {
                        v[k.as_str()] = x.clone();
                    }
                }
            }
            store::upsert_course(c, &v)?;
            Ok(store::course(c, &course)?)
        })
        .await
        .map_err(db_error)?;
    match updated {
        Some(v) => Ok(reply(StatusCode::OK, v)),
        None => Err(reply(StatusCode::NOT_FOUND, json!({ "detail": "Not found." }))),
    }
}
