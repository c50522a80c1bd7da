//! Bulk enroll / unenroll from CSV text, offered to staff on `/staff/enrollments/import/` and
//! as `mitxonline enrollment import FILE [--dry-run]`.
//!
//! One row per line: `email,run[,mode]`. `run` is a courseware id; `mode` is `audit` (the
//! default) or `verified`. A run written with a leading `-` (`ann@example.com,-course-v1:…`)
//! means unenroll (no mode then). A first row whose first column is `email` is a header and
//! skipped; blank lines are skipped.
//!
//! [`plan`] says per row what would happen (enroll, reactivate, change mode, unenroll, already
//! so, or an error with the reason) and changes nothing. [`apply`] carries out only the rows
//! that would change something through [`super::service`] (audited, the edX push through the
//! outbox), in batches of write transactions with one savepoint per row, deciding again inside
//! it; error rows are listed and never applied, and no row is ever half done.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::model::{Actor, ChangeStatus, Checks, EnrollError, Mode};
use super::{service, store};
use crate::catalog::service as catalog;
use crate::state::AppState;

/// What a row asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Enroll(Mode),
    Unenroll,
}

/// One parsed CSV row: its line number, email, run (without the `-`) and what it asks for, or
/// why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub email: String,
    pub run: String,
    pub request: Result<Request, String>,
}

/// What happens (or happened) to a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Enroll(Mode),
    Reactivate(Mode),
    ChangeMode {
        from: Mode,
        to: Mode,
    },
    Unenroll,
    /// Nothing to do: the learner is already so.
    Already(String),
    /// The row is refused, with the reason.
    Error(String),
}

impl Outcome {
    /// Whether carrying out the row changes something.
    pub fn is_change(&self) -> bool {
        !matches!(self, Outcome::Already(_) | Outcome::Error(_))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Error(_))
    }

    /// The row's outcome in words: what will happen (`done` false) or what happened.
    pub fn describe(&self, done: bool) -> String {
        let (will, did) = match self {
            Outcome::Enroll(m) => (
                format!("will enroll ({})", m.as_str()),
                format!("enrolled ({})", m.as_str()),
            ),
            Outcome::Reactivate(m) => (
                format!("will re-enroll ({})", m.as_str()),
                format!("re-enrolled ({})", m.as_str()),
            ),
            Outcome::ChangeMode { from, to } => {
                let change = format!("{} -> {}", from.as_str(), to.as_str());
                (
                    format!("will change mode {change}"),
                    format!("changed mode {change}"),
                )
            }
            Outcome::Unenroll => ("will unenroll".to_owned(), "unenrolled".to_owned()),
            Outcome::Already(what) => (format!("already {what}"), format!("already {what}")),
            Outcome::Error(why) => (format!("error: {why}"), format!("error: {why}")),
        };
        if done { did } else { will }
    }
}

/// One row of a plan or of an applied import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub line: Line,
    pub outcome: Outcome,
}

/// Counts over planned or applied rows.
pub fn changes(rows: &[Planned]) -> usize {
    rows.iter().filter(|r| r.outcome.is_change()).count()
}

pub fn errors(rows: &[Planned]) -> usize {
    rows.iter().filter(|r| r.outcome.is_error()).count()
}

fn cell(s: &str) -> String {
    s.trim().trim_matches('"').trim().to_owned()
}

/// Reads the CSV text into rows (nothing is looked up yet). Rows with the wrong number of
/// columns, an empty email or run, a bad mode, a mode on an unenroll row, or the same email and
/// run as an earlier readable row (enroll or unenroll) carry the reason.
pub fn parse(text: &str) -> Vec<Line> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let cols: Vec<String> = raw.split(',').map(cell).collect();
        if std::mem::take(&mut first) && cols[0].eq_ignore_ascii_case("email") {
            continue;
        }
        let number = i + 1;
        let email = cols[0].clone();
        let raw_run = cols.get(1).cloned().unwrap_or_default();
        let (unenroll, run) = match raw_run.strip_prefix('-') {
            Some(r) => (true, r.trim().to_owned()),
            None => (false, raw_run),
        };
        let mode = cols.get(2).map(String::as_str).unwrap_or("");
        let request = if cols.len() > 3 {
            Err(format!("{} columns, expected email,run[,mode]", cols.len()))
        } else if email.is_empty() {
            Err("no email".to_owned())
        } else if run.is_empty() {
            Err("no run".to_owned())
        } else if unenroll && !mode.is_empty() {
            Err("an unenroll row takes no mode".to_owned())
        } else if unenroll {
            Ok(Request::Unenroll)
        } else if mode.is_empty() {
            Ok(Request::Enroll(Mode::Audit))
        } else {
            mode.to_ascii_lowercase()
                .parse::<Mode>()
                .map(Request::Enroll)
                .map_err(|_| format!("bad mode `{mode}` (audit or verified)"))
        };
        let key = (email.to_lowercase(), run.clone());
        let request = match seen.get(&key) {
            Some(earlier) if request.is_ok() => Err(format!("duplicate of line {earlier}")),
            _ => request,
        };
        if request.is_ok() {
            seen.insert(key, number);
        }
        out.push(Line {
            number,
            email,
            run,
            request,
        });
    }
    out
}

/// What the row would do now, with the learner and run ids when it does something.
fn decide(
    c: &Connection,
    now: DateTime<Utc>,
    line: &Line,
) -> rusqlite::Result<(Outcome, Option<(i64, i64)>)> {
    let request = match &line.request {
        Ok(r) => *r,
        Err(why) => return Ok((Outcome::Error(why.clone()), None)),
    };
    let Some(user) = crate::users::store::find_by_email(c, &line.email)? else {
        return Ok((Outcome::Error(format!("unknown email {}", line.email)), None));
    };
    let Some(run) = catalog::run_id_by_courseware(c, &line.run)?
        .map(|id| catalog::run_facts(c, id))
        .transpose()?
        .flatten()
    else {
        return Ok((Outcome::Error(format!("unknown run {}", line.run)), None));
    };
    let existing = store::find(c, user.id, run.id)?;
    let active = existing.as_ref().filter(|e| e.active);
    let outcome = match (request, active) {
        (Request::Unenroll, None) => Outcome::Already("not enrolled".to_owned()),
        (Request::Unenroll, Some(_)) => Outcome::Unenroll,
        (Request::Enroll(m), Some(e)) if e.mode == m => {
            Outcome::Already(format!("enrolled ({})", m.as_str()))
        }
        (Request::Enroll(m), Some(e)) => Outcome::ChangeMode { from: e.mode, to: m },
        (Request::Enroll(_), None) if !run.is_enrollable(now) => {
            Outcome::Error(format!("run {} is not open for enrollment", line.run))
        }
        (Request::Enroll(m), None) if existing.is_some() => Outcome::Reactivate(m),
        (Request::Enroll(m), None) => Outcome::Enroll(m),
    };
    Ok((outcome, Some((user.id, run.id))))
}

/// Per row, what would happen; changes nothing.
pub async fn plan(state: &AppState, lines: Vec<Line>) -> Result<Vec<Planned>, EnrollError> {
    let now = state.clock.now();
    let rows = state
        .db
        .read(move |c| {
            let mut out = Vec::with_capacity(lines.len());
            for line in lines {
                let (outcome, _) = decide(c, now, &line)?;
                out.push(Planned { line, outcome });
            }
            Ok::<_, rusqlite::Error>(out)
        })
        .await?;
    Ok(rows)
}

/// Carries out one row in the caller's transaction: decided again, then done through the
/// enrollment service. Returns what was done.
fn apply_row(c: &Connection, now: DateTime<Utc>, line: &Line, actor: &Actor) -> Result<Outcome, EnrollError> {
    let (outcome, ids) = decide(c, now, line)?;
    let Some((user, run)) = ids.filter(|_| outcome.is_change()) else {
        return Ok(outcome);
    };
    match &outcome {
        Outcome::Enroll(m) | Outcome::Reactivate(m) => {
            let checks = Checks {
                enrollable: true,
                ..Checks::NONE
            };
            service::enroll(c, now, user, run, *m, checks, actor)?;
        }
        Outcome::ChangeMode { to, .. } => {
            service::change_mode(c, now, user, run, *to, actor)?;
        }
        Outcome::Unenroll => {
            service::unenroll(c, now, user, run, ChangeStatus::Unenrolled, actor)?;
        }
        Outcome::Already(_) | Outcome::Error(_) => {}
    }
    Ok(outcome)
}

/// Rows committed together: a write transaction per row costs a WAL sync each (10,000 rows
/// took 27 s that way); per batch, each row still stands alone inside its savepoint.
const BATCH: usize = 500;

/// Carries out one row inside a savepoint of the batch's transaction: a refused row is rolled
/// back alone (none is half done) and reported as an error; a database failure fails the batch.
fn apply_in_savepoint(
    c: &Connection,
    now: DateTime<Utc>,
    row: Planned,
    actor: &Actor,
) -> Result<Planned, EnrollError> {
    if !row.outcome.is_change() {
        return Ok(row);
    }
    c.execute_batch("SAVEPOINT bulk_row")?;
    let outcome = match apply_row(c, now, &row.line, actor) {
        Ok(o) => o,
        Err(EnrollError::Db(e)) => return Err(EnrollError::Db(e)),
        Err(e) => {
            c.execute_batch("ROLLBACK TO bulk_row")?;
            Outcome::Error(e.to_string())
        }
    };
    c.execute_batch("RELEASE bulk_row")?;
    Ok(Planned {
        line: row.line,
        outcome,
    })
}

/// Carries out the plan's rows that change something, [`BATCH`] rows per write transaction,
/// each row in its own savepoint (decided again there; a refused row is rolled back alone and
/// reported as an error); other rows are returned as they were planned. A batch commits whole
/// or not at all, so a crash leaves whole rows only and a rerun finishes the rest ("already").
/// `progress(done, total)` is called for each row once its batch has committed.
pub async fn apply(
    state: &AppState,
    plan: Vec<Planned>,
    actor: &Actor,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<Planned>, EnrollError> {
    let total = plan.len();
    let mut out = Vec::with_capacity(total);
    let mut rest = plan.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<Planned> = rest.by_ref().take(BATCH).collect();
        let actor = actor.clone();
        let done = service::in_own_transaction(state, move |c, now| {
            batch
                .into_iter()
                .map(|row| apply_in_savepoint(c, now, row, &actor))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
        for row in done {
            out.push(row);
            progress(out.len(), total);
        }
    }
    Ok(out)
}

/// One row carried out at once (a staff action on the learner page): decided and applied in
/// one write transaction like an imported row. Returns what was done, or the refusal as
/// [`Outcome::Error`] (nothing changed then).
pub async fn one(
    state: &AppState,
    email: String,
    run: String,
    request: Request,
    actor: Actor,
) -> Result<Outcome, EnrollError> {
    let line = Line {
        number: 1,
        email,
        run,
        request: Ok(request),
    };
    let done = service::in_own_transaction(state, move |c, now| apply_row(c, now, &line, &actor)).await;
    match done {
        Err(EnrollError::Db(e)) => Err(EnrollError::Db(e)),
        Err(e) => Ok(Outcome::Error(e.to_string())),
        Ok(o) => Ok(o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_header_modes_unenroll_and_duplicates_are_read() {
        let text = "email,run,mode\r\na@x.org,course-v1:A+B+C\nb@x.org, course-v1:A+B+C ,Verified\n\n\
                    c@x.org,-course-v1:A+B+C\nd@x.org,course-v1:A+B+C,honor\nA@x.org,course-v1:A+B+C\n\
                    e@x.org\ne@x.org,-r,audit\n";
        let lines = parse(text);
        let got: Vec<(usize, Result<Request, String>)> =
            lines.iter().map(|l| (l.number, l.request.clone())).collect();
        assert_eq!(
            got,
            vec![
                (2, Ok(Request::Enroll(Mode::Audit))),
                (3, Ok(Request::Enroll(Mode::Verified))),
                (5, Ok(Request::Unenroll)),
                (6, Err("bad mode `honor` (audit or verified)".into())),
                (7, Err("duplicate of line 2".into())),
                (8, Err("no run".into())),
                (9, Err("an unenroll row takes no mode".into())),
            ]
        );
        assert_eq!(lines[1].run, "course-v1:A+B+C");
        assert_eq!(lines[2].run, "course-v1:A+B+C");
    }
}
