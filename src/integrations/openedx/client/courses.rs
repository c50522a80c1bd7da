//! Grades, course details (run sync) and course modes.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Auth, COURSE_BATCH, EdxError, MAX_PAGES, OpenEdxClient, ok, path_and_query_of};
use crate::integrations::openedx::model::{CourseDetail, CourseMode, CurrentGrade};
use crate::integrations::openedx::transport::{Body, encode_pairs, path_segment, quote_all, quote_plus};

impl OpenEdxClient {
    /// One learner's current grade in a run (first item of the answer), if any.
    pub async fn user_grade(
        &self,
        edx_username: &str,
        course_id: &str,
    ) -> Result<Option<CurrentGrade>, EdxError> {
        let path = format!(
            "/api/grades/v1/courses/{}/?username={}",
            path_segment(course_id),
            quote_plus(edx_username)
        );
        let list: Vec<CurrentGrade> = self.json(Method::GET, path, Auth::Service, Body::None).await?;
        Ok(list.into_iter().next())
    }

    /// The course outline plugin's summary of a run (`/api/ol-course-outline/v0/<key>/`):
    /// `{course_id, generated_at, modules[…]}`, asked as the service worker.
    pub async fn course_outline(&self, course_id: &str) -> Result<Value, EdxError> {
        // The original quotes the key whole (`quote(course_id, safe="")`).
        let path = format!("/api/ol-course-outline/v0/{}/", quote_all(course_id));
        let v: Value = self.json(Method::GET, path, Auth::Service, Body::None).await?;
        if !v.is_object() {
            return Err(EdxError::Decode("the course outline is not a JSON object".into()));
        }
        Ok(v)
    }

    /// Every learner's grade in a run: a paginated `{results, next}` or a bare list.
    pub async fn course_grades(&self, course_id: &str) -> Result<Vec<CurrentGrade>, EdxError> {
        let mut path = format!("/api/grades/v1/courses/{}/", path_segment(course_id));
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let v: Value = self.json(Method::GET, path, Auth::Service, Body::None).await?;
            if v.is_array() {
                let list: Vec<CurrentGrade> =
                    serde_json::from_value(v).map_err(|e| EdxError::Decode(e.to_string()))?;
                out.extend(list);
                return Ok(out);
            }
            let results = v.get("results").cloned().unwrap_or(Value::Array(vec![]));
            let list: Vec<CurrentGrade> =
                serde_json::from_value(results).map_err(|e| EdxError::Decode(e.to_string()))?;
            out.extend(list);
            match v.get("next").and_then(Value::as_str).and_then(path_and_query_of) {
                Some(next) => path = next,
                None => return Ok(out),
            }
        }
        Err(EdxError::Decode("grade listing never ended".into()))
    }

    /// Course details for many runs: 100 keys per request, pages followed while
    /// `pagination.next` is set, asked as the service worker.
    pub async fn course_details(&self, course_keys: &[String]) -> Result<Vec<CourseDetail>, EdxError> {
        let mut out = Vec::new();
        for batch in course_keys.chunks(COURSE_BATCH) {
            for page in 1..=MAX_PAGES {
                let mut params: Vec<(String, String)> = Vec::new();
                if let Some(u) = &self.service_worker_username {
                    params.push(("username".into(), u.clone()));
                }
                params.push(("page_size".into(), COURSE_BATCH.to_string()));
                params.extend(batch.iter().map(|k| ("course_keys".to_owned(), k.clone())));
                params.push(("page".into(), page.to_string()));
                let path = format!("/api/courses/v1/courses/?{}", encode_pairs(&params));
                let v: Value = self.json(Method::GET, path, Auth::Service, Body::None).await?;
                let results = v.get("results").cloned().unwrap_or(Value::Array(vec![]));
                let list: Vec<CourseDetail> =
                    serde_json::from_value(results).map_err(|e| EdxError::Decode(e.to_string()))?;
                out.extend(list);
                let more = v
                    .get("pagination")
                    .and_then(|p| p.get("next"))
                    .is_some_and(|n| !n.is_null() && n.as_str() != Some(""));
                if !more {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One course's details (`GET /api/courses/v1/courses/<id>/?username=<svc>`).
    pub async fn course_detail(&self, course_id: &str) -> Result<CourseDetail, EdxError> {
        let path = match &self.service_worker_username {
            Some(u) => format!(
                "/api/courses/v1/courses/{}/?username={}",
                path_segment(course_id),
                quote_plus(u)
            ),
            None => format!("/api/courses/v1/courses/{}", path_segment(course_id)),
        };
        self.json(Method::GET, path, Auth::Service, Body::None).await
    }

    fn modes_path(course_id: &str) -> String {
        format!("/api/course_modes/v1/courses/{}", path_segment(course_id))
    }

    pub async fn course_modes(&self, course_id: &str) -> Result<Vec<CourseMode>, EdxError> {
        self.json(
            Method::GET,
            Self::modes_path(course_id),
            Auth::Service,
            Body::None,
        )
        .await
    }

    pub async fn course_mode(&self, course_id: &str, mode_slug: &str) -> Result<CourseMode, EdxError> {
        let path = format!("{}/{}", Self::modes_path(course_id), path_segment(mode_slug));
        self.json(Method::GET, path, Auth::Service, Body::None).await
    }

    /// Creates a mode; `None` optional fields are left out, like the library.
    pub async fn create_course_mode(
        &self,
        course_id: &str,
        mode: &CourseMode,
    ) -> Result<CourseMode, EdxError> {
        let mut body = json!({
            "course_id": course_id,
            "mode_slug": mode.mode_slug,
            "mode_display_name": mode.mode_display_name,
            "currency": mode.currency,
            "min_price": mode.min_price.map(|p| p.normalize().to_string().parse::<Value>().unwrap_or(Value::Null)).unwrap_or(json!(0)),
        });
        for (k, v) in [
            ("expiration_datetime", &mode.expiration_datetime),
            ("description", &mode.description),
            ("sku", &mode.sku),
            ("bulk_sku", &mode.bulk_sku),
        ] {
            if let Some(v) = v {
                body[k] = json!(v);
            }
        }
        let path = format!("{}/", Self::modes_path(course_id));
        self.json(Method::POST, path, Auth::Service, Body::Json(body))
            .await
    }

    /// Merge-patches a mode with the given fields (nulls are dropped, like the library).
    pub async fn update_course_mode(
        &self,
        course_id: &str,
        mode_slug: &str,
        fields: &Value,
    ) -> Result<(), EdxError> {
        let body: serde_json::Map<String, Value> = fields
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let path = format!("{}/{}", Self::modes_path(course_id), path_segment(mode_slug));
        let r = self
            .send(
                Method::PATCH,
                path,
                Auth::Service,
                Body::Json(Value::Object(body)),
                &[("content-type", "application/merge-patch+json".into())],
            )
            .await?;
        ok(r).map(|_| ())
    }

    pub async fn delete_course_mode(&self, course_id: &str, mode_slug: &str) -> Result<(), EdxError> {
        let path = format!("{}/{}", Self::modes_path(course_id), path_segment(mode_slug));
        ok(self
            .send(Method::DELETE, path, Auth::Service, Body::None, &[])
            .await?)
        .map(|_| ())
    }
}
