//! Studio course runs: the re-run (clone) B2B provisioning asks for, and the fix of the new
//! run's title, pacing and dates afterwards.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Auth, EdxError, OpenEdxClient, ok};
use crate::integrations::openedx::transport::{Body, path_segment};

/// What the new run gets after the re-run (the original's `fix_cloned_run_data`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunFix {
    pub title: String,
    pub self_paced: bool,
    pub start: Option<String>,
    pub end: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
}

impl OpenEdxClient {
    /// Whether Studio knows the run (`GET /api/v1/course_runs/<key>/`).
    pub async fn studio_run_exists(&self, course_id: &str) -> Result<bool, EdxError> {
        let path = format!("/api/v1/course_runs/{}/", path_segment(course_id));
        let r = self
            .send(Method::GET, path, Auth::Service, Body::None, &[])
            .await?;
        match r.status {
            404 => Ok(false),
            _ => ok(r).map(|_| true),
        }
    }

    /// `POST /api/v1/course_runs/clone/` `{source_course_id, destination_course_id}`: Studio
    /// re-runs the source's content into a new run key.
    pub async fn clone_course_run(&self, source: &str, destination: &str) -> Result<(), EdxError> {
        let body = json!({ "source_course_id": source, "destination_course_id": destination });
        let r = self
            .send(
                Method::POST,
                "/api/v1/course_runs/clone/".into(),
                Auth::Service,
                Body::Json(body),
                &[],
            )
            .await?;
        ok(r).map(|_| ())
    }

    /// `PATCH /api/v1/course_runs/<key>/` with the run's title, pacing and dates.
    pub async fn fix_course_run(&self, course_id: &str, fix: &RunFix) -> Result<(), EdxError> {
        let mut schedule = serde_json::Map::new();
        for (k, v) in [
            ("start", &fix.start),
            ("end", &fix.end),
            ("enrollment_start", &fix.enrollment_start),
            ("enrollment_end", &fix.enrollment_end),
        ] {
            if let Some(v) = v {
                schedule.insert(k.into(), json!(v));
            }
        }
        let body = json!({
            "title": fix.title,
            "pacing_type": if fix.self_paced { "self_paced" } else { "instructor_paced" },
            "schedule": Value::Object(schedule),
        });
        let path = format!("/api/v1/course_runs/{}/", path_segment(course_id));
        let r = self
            .send(Method::PATCH, path, Auth::Service, Body::Json(body), &[])
            .await?;
        ok(r).map(|_| ())
    }
}
