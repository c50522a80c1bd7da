//! Course runs as staff create and edit them: every field of the model, checked before
//! anything is written — the courseware id's form (`course-v1:ORG+NUM+RUN`) and uniqueness,
//! dates in order, one primary-language run and one run per language/variant in a run group,
//! an existing B2B contract, known enrollment modes — and audited with before and after.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::service::{
    AdminError, INDUSTRIES, LENGTHS, audited, check_choice, check_language, check_run_key, invalid, required,
};
use crate::catalog::store;
use crate::clock::{from_db, to_db};
use crate::state::AppState;

/// A run's fields as typed (dates as `YYYY-MM-DD[THH:MM[:SS]]` in UTC or RFC 3339; empty = none).
#[derive(Debug, Clone, Default)]
pub struct RunInput {
    /// The course (id or readable id); used when creating only.
    pub course: String,
    pub title: String,
    pub courseware_id: String,
    /// Empty: the RUN part of the courseware id.
    pub run_tag: String,
    pub has_courseware_url: bool,
    pub start_date: String,
    pub end_date: String,
    pub certificate_available_date: String,
    pub enrollment_start: String,
    pub enrollment_end: String,
    pub expiration_date: String,
    pub upgrade_deadline: String,
    pub live: bool,
    pub is_self_paced: bool,
    pub is_source_run: bool,
    pub is_primary_language: bool,
    /// Empty: `en`.
    pub language: String,
    pub variant_length: String,
    pub variant_industry: String,
    /// Empty: none.
    pub b2b_contract_id: String,
    /// Enrollment mode slugs (`audit`, `verified`, or any mode the catalog has).
    pub modes: Vec<String>,
}

/// The date fields, in form order: (field, label).
pub const DATES: &[(&str, &str)] = &[
    ("start_date", "Start"),
    ("end_date", "End"),
    ("enrollment_start", "Enrollment start"),
    ("enrollment_end", "Enrollment end"),
    ("upgrade_deadline", "Upgrade deadline"),
    ("certificate_available_date", "Certificate available"),
    ("expiration_date", "Expiration"),
];

/// A time as typed: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (UTC) or RFC 3339.
pub fn parse_time(field: &'static str, v: &str) -> Result<Option<DateTime<Utc>>, AdminError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if let Some(t) = from_db(v) {
        return Ok(Some(t));
    }
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()));
    }
    Err(invalid(
        field,
        format!("{v} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)."),
    ))
}

/// A run's checked fields.
#[derive(Debug, Clone)]
struct RunFields {
    title: String,
    courseware_id: String,
    run_tag: String,
    has_courseware_url: bool,
    dates: [Option<DateTime<Utc>>; 7],
    live: bool,
    is_self_paced: bool,
    is_source_run: bool,
    is_primary_language: bool,
    language: String,
    variant_length: String,
    variant_industry: String,
    b2b_contract_id: Option<i64>,
    modes: Vec<String>,
}

fn check_order(d: &[Option<DateTime<Utc>>; 7]) -> Result<(), AdminError> {
    let [start, end, enroll_start, enroll_end, upgrade, _cert, expiration] = *d;
    type Rule<'a> = (
        &'static str,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        &'a str,
    );
    let rules: [Rule<'_>; 7] = [
        ("end_date", start, end, "The end must not be before the start."),
        (
            "enrollment_end",
            enroll_start,
            enroll_end,
            "Enrollment must not end before it starts.",
        ),
        (
            "enrollment_start",
            enroll_start,
            end,
            "Enrollment must not start after the run ends.",
        ),
        (
            "enrollment_end",
            enroll_end,
            end,
            "Enrollment must not end after the run ends.",
        ),
        (
            "upgrade_deadline",
            upgrade,
            end,
            "The upgrade deadline must not be after the run ends.",
        ),
        (
            "expiration_date",
            start,
            expiration,
            "The expiration must be later than the start.",
        ),
        (
            "expiration_date",
            end,
            expiration,
            "The expiration must be later than the end.",
        ),
    ];
    for (field, early, late, message) in rules {
        if let (Some(a), Some(b)) = (early, late)
            && b < a
        {
            return Err(invalid(field, message));
        }
    }
    Ok(())
}

fn check_run(c: &Connection, id: i64, course_id: i64, input: &RunInput) -> Result<RunFields, AdminError> {
    let title = required("title", &input.title, 255)?;
    let (courseware_id, run_part) = check_run_key(&input.courseware_id)?;
    let run_tag = match input.run_tag.trim() {
        "" => run_part,
        t => t.to_owned(),
    };
    if run_tag.len() > 100
        || !run_tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(invalid("run_tag", "At most 100 letters, digits, . _ or -."));
    }
    let mut dates = [None; 7];
    for (i, (field, _)) in DATES.iter().enumerate() {
        dates[i] = parse_time(field, date_value(input, field))?;
    }
    check_order(&dates)?;
    let language = match input.language.trim() {
        "" => "en".to_owned(),
        l => check_language("language", l)?,
    };
    let b2b_contract_id = match input.b2b_contract_id.trim() {
        "" => None,
        k => {
            let k: i64 = k
                .parse()
                .map_err(|_| invalid("b2b_contract_id", "A contract id is a number."))?;
            if crate::b2b::store::contract(c, k)?.is_none() {
                return Err(invalid("b2b_contract_id", format!("No such B2B contract: {k}.")));
            }
            Some(k)
        }
    };
    let mut modes: Vec<String> = Vec::new();
    for m in input.modes.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        let known = ["audit", "verified"].contains(&m)
            || c.query_row(
                "SELECT EXISTS (SELECT 1 FROM enrollment_modes WHERE mode_slug = ?1)",
                [m],
                |r| r.get::<_, bool>(0),
            )?;
        if !known {
            return Err(invalid("modes", format!("No such enrollment mode: {m}.")));
        }
        if !modes.iter().any(|x| x == m) {
            modes.push(m.to_owned());
        }
    }
    let f = RunFields {
        title,
        courseware_id,
        run_tag,
        has_courseware_url: input.has_courseware_url,
        dates,
        live: input.live,
        is_self_paced: input.is_self_paced,
        is_source_run: input.is_source_run,
        is_primary_language: input.is_primary_language,
        language,
        variant_length: check_choice("variant_length", &input.variant_length, LENGTHS)?,
        variant_industry: check_choice("variant_industry", &input.variant_industry, INDUSTRIES)?,
        b2b_contract_id,
        modes,
    };
    check_unique(c, id, course_id, &f)?;
    Ok(f)
}

/// The original's uniqueness rules: the courseware id; one primary-language run per run group
/// (course, run tag, source flag, contract); one run per language and variant in a group.
fn check_unique(c: &Connection, id: i64, course_id: i64, f: &RunFields) -> Result<(), AdminError> {
    let taken: Option<i64> = c
        .query_row(
            "SELECT id FROM course_runs WHERE courseware_id = ?1 AND id <> ?2",
            params![f.courseware_id, id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = taken {
        return Err(invalid(
            "courseware_id",
            format!("Run {other} has the courseware id {} already.", f.courseware_id),
        ));
    }
    let group =
        "course_id = ?1 AND run_tag = ?2 AND is_source_run = ?3 AND b2b_contract_id IS ?4 AND id <> ?5";
    let exists = |extra: &str, more: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<bool> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM course_runs WHERE {group} {extra})");
        let mut p: Vec<&dyn rusqlite::ToSql> =
            vec![&course_id, &f.run_tag, &f.is_source_run, &f.b2b_contract_id, &id];
        p.extend_from_slice(more);
        c.query_row(&sql, p.as_slice(), |r| r.get(0))
    };
    if f.is_primary_language && exists("AND is_primary_language = 1", &[])? {
        return Err(invalid(
            "is_primary_language",
            format!(
                "Another run tagged {} of this course is the primary-language run.",
                f.run_tag
            ),
        ));
    }
    if exists(
        "AND language = ?6 AND variant_length = ?7 AND variant_industry = ?8",
        &[&f.language, &f.variant_length, &f.variant_industry],
    )? {
        return Err(invalid(
            "language",
            format!(
                "Another run tagged {} of this course has this language and variant.",
                f.run_tag
            ),
        ));
    }
    Ok(())
}

fn set_modes(c: &Connection, run: i64, modes: &[String]) -> rusqlite::Result<()> {
    c.execute("DELETE FROM course_run_modes WHERE course_run_id = ?1", [run])?;
    for slug in modes {
        let mode = store::ensure_mode(c, slug, slug == "verified")?;
        c.execute(
            "INSERT INTO course_run_modes (course_run_id, mode_id) VALUES (?1, ?2)",
            params![run, mode],
        )?;
    }
    Ok(())
}

fn write_run(c: &Connection, id: i64, f: &RunFields, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let d: Vec<Option<String>> = f.dates.iter().map(|t| t.map(to_db)).collect();
    c.execute(
        "UPDATE course_runs SET title = ?2, courseware_id = ?3, run_tag = ?4, has_courseware_url = ?5,
             start_date = ?6, end_date = ?7, enrollment_start = ?8, enrollment_end = ?9, upgrade_deadline = ?10,
             certificate_available_date = ?11, expiration_date = ?12, live = ?13, is_self_paced = ?14,
             is_source_run = ?15, is_primary_language = ?16, language = ?17, variant_length = ?18,
             variant_industry = ?19, b2b_contract_id = ?20, updated_on = ?21
         WHERE id = ?1",
        params![
            id, f.title, f.courseware_id, f.run_tag, f.has_courseware_url, d[0], d[1], d[2], d[3], d[4], d[5], d[6],
            f.live, f.is_self_paced, f.is_source_run, f.is_primary_language, f.language, f.variant_length,
            f.variant_industry, f.b2b_contract_id, to_db(now)
        ],
    )?;
    set_modes(c, id, &f.modes)
}

/// The run's stored fields and modes, as the audit log keeps them.
pub fn run_json(c: &Connection, id: i64) -> Result<Value, AdminError> {
    let row: Option<String> = c
        .query_row(
            "SELECT json_object('course_id', course_id, 'title', title, 'courseware_id', courseware_id, 'run_tag', run_tag,
                'has_courseware_url', has_courseware_url, 'start_date', start_date, 'end_date', end_date,
                'enrollment_start', enrollment_start, 'enrollment_end', enrollment_end, 'upgrade_deadline', upgrade_deadline,
                'certificate_available_date', certificate_available_date, 'expiration_date', expiration_date,
                'live', live, 'is_self_paced', is_self_paced, 'is_source_run', is_source_run,
                'is_primary_language', is_primary_language, 'language', language, 'variant_length', variant_length,
                'variant_industry', variant_industry, 'b2b_contract_id', b2b_contract_id,
                'modes', (SELECT json_group_array(e.mode_slug) FROM course_run_modes m JOIN enrollment_modes e ON e.id = m.mode_id
                          WHERE m.course_run_id = course_runs.id))
             FROM course_runs WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let row = row.ok_or_else(|| AdminError::NotFound(format!("No such course run: {id}.")))?;
    let mut v: Value = serde_json::from_str(&row).unwrap_or(Value::Null);
    if let Some(m) = v
        .get("modes")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    {
        v["modes"] = m;
    }
    Ok(v)
}

/// The course named by id or readable id.
pub fn course_by_key(c: &Connection, key: &str) -> Result<i64, AdminError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(invalid("course", "This field is required."));
    }
    id_by_key(c, ("courses", "readable_id"), key, ("course", "course"))
}

/// The run named by id or courseware id.
pub fn run_by_key(c: &Connection, key: &str) -> Result<i64, AdminError> {
    id_by_key(
        c,
        ("course_runs", "courseware_id"),
        key.trim(),
        ("run", "course run"),
    )
}

/// The id of the row of `table` whose id or `column` is `key` (the lowest id if several);
/// none is an error on `field` naming the `what`.
fn id_by_key(
    c: &Connection,
    (table, column): (&str, &str),
    key: &str,
    (field, what): (&'static str, &str),
) -> Result<i64, AdminError> {
    c.query_row(
        &format!("SELECT id FROM {table} WHERE CAST(id AS TEXT) = ?1 OR {column} = ?1 ORDER BY id LIMIT 1"),
        [key],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| invalid(field, format!("No such {what}: {key}.")))
}

/// Creates a run of `input.course`. Returns its id.
pub async fn add_run(state: &AppState, actor: String, input: RunInput) -> Result<i64, AdminError> {
    audited(state, actor, "catalog.add_run", "course_run", move |c, now| {
        let course_id = course_by_key(c, &input.course)?;
        let f = check_run(c, 0, course_id, &input)?;
        let n = store::NewRun {
            course_id,
            title: &f.title,
            courseware_id: &f.courseware_id,
            run_tag: &f.run_tag,
            ..Default::default()
        };
        let id = store::insert_run(c, &n, now)?;
        write_run(c, id, &f, now)?;
        Ok((id, id.to_string(), None, run_json(c, id)?))
    })
    .await
}

/// Changes every field of a run (its course stays).
pub async fn update_run(state: &AppState, actor: String, id: i64, input: RunInput) -> Result<(), AdminError> {
    audited(state, actor, "catalog.update_run", "course_run", move |c, now| {
        let before = run_json(c, id)?;
        let course_id = before["course_id"].as_i64().unwrap_or_default();
        let f = check_run(c, id, course_id, &input)?;
        write_run(c, id, &f, now)?;
        Ok(((), id.to_string(), Some(before), run_json(c, id)?))
    })
    .await
}

/// The value of date field `name` in `input`.
pub fn date_value<'a>(input: &'a RunInput, name: &str) -> &'a str {
    match name {
        "start_date" => &input.start_date,
        "end_date" => &input.end_date,
        "enrollment_start" => &input.enrollment_start,
        "enrollment_end" => &input.enrollment_end,
        "upgrade_deadline" => &input.upgrade_deadline,
        "certificate_available_date" => &input.certificate_available_date,
        _ => &input.expiration_date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_the_forms_staff_type_them() {
        let t = |s: &str| parse_time("start_date", s).unwrap().map(to_db);
        assert_eq!(t("2026-09-01").as_deref(), Some("2026-09-01T00:00:00.000Z"));
        assert_eq!(t("2026-09-01T10:30").as_deref(), Some("2026-09-01T10:30:00.000Z"));
        assert_eq!(
            t("2026-09-01T10:30:00Z").as_deref(),
            Some("2026-09-01T10:30:00.000Z")
        );
        assert_eq!(t(" ").as_deref(), None);
        assert!(parse_time("start_date", "next week").is_err());
    }

    #[test]
    fn dates_out_of_order_name_the_later_field() {
        let d = |s: &str| parse_time("x", s).unwrap();
        let mut dates = [None; 7];
        dates[0] = d("2026-09-01");
        dates[1] = d("2026-12-01");
        dates[4] = d("2026-12-02");
        match check_order(&dates) {
            Err(AdminError::Invalid { field, .. }) => assert_eq!(field, "upgrade_deadline"),
            other => panic!("{other:?}"),
        }
        dates[4] = d("2026-11-01");
        assert!(check_order(&dates).is_ok());
        dates[3] = d("2026-12-05");
        assert!(matches!(
            check_order(&dates),
            Err(AdminError::Invalid {
                field: "enrollment_end",
                ..
            })
        ));
    }
}
