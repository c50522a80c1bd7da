//! The home page's featured courses, as the original's `create_featured_items`: every 180 s
//! (offset 90 s) the `refresh-featured-homepage-items` job draws 2 random self-paced courses,
//! then up to 20 random instructor-paced runs split into upcoming (soonest start first) and
//! started, and stores the course ids in `cms_featured_courses` (owned here). The home page
//! reads that list instead of computing one on every request, and drops any course that has
//! stopped being enrollable since. Until the job first runs, the page falls back to the
//! soonest enrollable sessions.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::seq::SliceRandom;
use rusqlite::{Connection, params};

use crate::catalog::model::{Course, CourseRun};
use crate::catalog::snapshot::Catalog;
use crate::clock::to_db;
use crate::db::DbError;
use crate::jobs::JobDef;
use crate::state::AppState;

/// Self-paced courses drawn per refresh (the original's 2).
const SELF_PACED: usize = 2;
/// Instructor-paced runs drawn per refresh (the original's 20).
const REGULAR: usize = 20;

pub fn job_defs() -> Vec<JobDef> {
    vec![JobDef::new(
        "refresh-featured-homepage-items",
        "30 1/3 * * * *",
        "Draws the home page's featured courses: 2 random self-paced, then random upcoming and started enrollable runs.",
        |state: AppState| async move {
            let ids = refresh(&state).await?;
            Ok(format!("featured {} courses: {ids:?}", ids.len()))
        },
    )]
}

/// Draws a new list and stores it; returns the course ids in order.
pub async fn refresh(state: &AppState) -> Result<Vec<i64>, DbError> {
    let now = state.clock.now();
    let cat = state.db.read(|c| Catalog::load(c).map_err(DbError::from)).await?;
    let ids = pick(&cat, now, &mut rand::rng());
    let stored = ids.clone();
    state
        .db
        .write(move |c| store(c, &stored, now).map_err(DbError::from))
        .await?;
    Ok(ids)
}

/// A listed course's enrollable, non-B2B runs.
fn enrollable_runs<'a>(cat: &'a Catalog, now: DateTime<Utc>) -> impl Iterator<Item = &'a CourseRun> + 'a {
    crate::catalog::pages::listed_courses(cat)
        .flat_map(move |co| cat.course_runs(co))
        .filter(move |r| r.b2b_contract_id.is_none() && r.is_enrollable(now))
}

/// The original's draw: self-paced first, then upcoming by start date, then started; each
/// course once, at its first place.
pub fn pick(cat: &Catalog, now: DateTime<Utc>, rng: &mut impl Rng) -> Vec<i64> {
    let (mut self_paced, mut regular): (Vec<&CourseRun>, Vec<&CourseRun>) =
        enrollable_runs(cat, now).partition(|r| r.is_self_paced);
    self_paced.shuffle(rng);
    regular.shuffle(rng);
    regular.truncate(REGULAR);
    let (mut upcoming, started): (Vec<&CourseRun>, Vec<&CourseRun>) = regular
        .into_iter()
        .partition(|r| r.start_date.is_some_and(|s| s >= now));
    upcoming.sort_by_key(|r| r.start_date);
    let mut ids = Vec::new();
    let drawn = self_paced
        .iter()
        .take(SELF_PACED)
        .chain(&upcoming)
        .chain(&started);
    for r in drawn {
        if !ids.contains(&r.course_id) {
            ids.push(r.course_id);
        }
    }
    ids
}

/// Replaces the stored list.
pub fn store(c: &Connection, ids: &[i64], now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM cms_featured_courses")?
        .execute([])?;
    let mut insert = c.prepare_cached(
        "INSERT INTO cms_featured_courses (position, course_id, computed_on) VALUES (?1, ?2, ?3)",
    )?;
    let ts = to_db(now);
    for (i, id) in ids.iter().enumerate() {
        insert.execute(params![i as i64, id, ts])?;
    }
    Ok(())
}

/// The stored list, in order (empty until the job first runs).
pub fn load(c: &Connection) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached("SELECT course_id FROM cms_featured_courses ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// What the home page shows: the stored courses still listed and enrollable now, in their
/// order; before the first draw, enrollable courses by soonest session.
pub fn for_home<'a>(cat: &'a Catalog, stored: &[i64], now: DateTime<Utc>) -> Vec<&'a Course> {
    let open = |co: &Course| {
        cat.course_runs(co)
            .iter()
            .any(|r| r.b2b_contract_id.is_none() && r.is_enrollable(now))
    };
    if !stored.is_empty() {
        let listed: Vec<&Course> = crate::catalog::pages::listed_courses(cat).collect();
        return stored
            .iter()
            .filter_map(|id| listed.iter().find(|co| co.id == *id).copied())
            .filter(|co| open(co))
            .collect();
    }
    let mut soonest: Vec<(Option<DateTime<Utc>>, &Course)> = crate::catalog::pages::listed_courses(cat)
        .filter_map(|co| {
            let run = crate::catalog::shapes::next_run(cat, co, now)?;
            let start = cat.run_by_id.get(&run).and_then(|&i| cat.runs[i].start_date);
            Some((start, co))
        })
        .collect();
    soonest.sort_by_key(|(start, co)| (*start, co.id));
    soonest.into_iter().map(|(_, co)| co).collect()
}
