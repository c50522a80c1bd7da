//! The catalog side of the nightly course-run sync (`sync-courseruns-data`): which runs to ask
//! Open edX about, and how an answer updates a run's title, dates and pacing.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::to_db;
use crate::integrations::openedx::jobs::{CourseRunCatalog, CourseRunUpdate};

/// The catalog side of the nightly run sync.
pub struct RunCatalog;

impl CourseRunCatalog for RunCatalog {
    fn keys_to_sync(&self, c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
        let mut st = c.prepare_cached(
            "SELECT courseware_id FROM course_runs
             WHERE live = 1 AND (expiration_date IS NULL OR expiration_date > ?1)
               AND courseware_id NOT LIKE 'fake%' ORDER BY id",
        )?;
        st.query_map([to_db(now)], |r| r.get(0))?.collect()
    }

    fn apply(&self, c: &Connection, u: &CourseRunUpdate, now: DateTime<Utc>) -> rusqlite::Result<bool> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            bool,
        );
        let current: Option<Row> = c
            .query_row(
                "SELECT title, start_date, end_date, enrollment_start, enrollment_end,
                        certificate_available_date, is_self_paced FROM course_runs WHERE courseware_id = ?1",
                [&u.courseware_id],
                |r| r.try_into(),
            )
            .optional()?;
        let Some(cur) = current else { return Ok(false) };
        let t = |x: Option<DateTime<Utc>>| x.map(to_db);
        let next: Row = (
            u.title.clone().unwrap_or_else(|| cur.0.clone()),
            t(u.start_date),
            t(u.end_date),
            t(u.enrollment_start),
            t(u.enrollment_end),
            t(u.certificate_available_date),
            u.is_self_paced,
        );
        if next == cur {
            return Ok(false);
        }
        let dates_moved = (&next.1, &next.2) != (&cur.1, &cur.2);
        c.execute(
            "UPDATE course_runs SET title = ?2, start_date = ?3, end_date = ?4, enrollment_start = ?5,
                 enrollment_end = ?6, certificate_available_date = ?7, is_self_paced = ?8,
                 expiration_date = CASE WHEN ?9 THEN NULL ELSE expiration_date END, updated_on = ?10
             WHERE courseware_id = ?1",
            params![
                u.courseware_id,
                next.0,
                next.1,
                next.2,
                next.3,
                next.4,
                next.5,
                next.6,
                dates_moved,
                to_db(now)
            ],
        )?;
        Ok(true)
    }
}
