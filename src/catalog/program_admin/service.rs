//! Validated, audited writes of the program console: programs' fields, requirement trees
//! (checked by [`super::tree::validate`] inside the transaction, replaced whole) and
//! collections. Each change and its audit row commit together; a refusal changes nothing.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::store::{self, CollectionFields, ProgramFields};
use super::tree::{self, Tree, TreeError};
use crate::audit;
use crate::db::DbError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ProgramAdminError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The requirement tree's problems, each naming what is wrong.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))]
    Tree(Vec<TreeError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => ProgramAdminError::Db);

type Result<T> = std::result::Result<T, ProgramAdminError>;

pub fn invalid(field: &'static str, message: impl Into<String>) -> ProgramAdminError {
    ProgramAdminError::Invalid {
        field,
        message: message.into(),
    }
}

/// Who makes a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_owned(),
        }
    }
}

fn audit_change(
    c: &Connection,
    who: &Actor,
    action: &str,
    (object_type, id): (&str, i64),
    before: Option<serde_json::Value>,
    after: serde_json::Value,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    audit::record(
        c,
        who.user_id,
        &who.label,
        action,
        object_type,
        &id.to_string(),
        before.as_ref(),
        Some(&after),
        now,
    )
}

/// The field rules, before touching the database: text present and short enough, dates in
/// order, the choices the table allows.
pub fn check_fields(f: &mut ProgramFields) -> Result<()> {
    f.title = f.title.trim().to_owned();
    f.readable_id = f.readable_id.trim().to_owned();
    f.program_type = f.program_type.trim().to_owned();
    for (field, v) in [("title", &f.title), ("readable_id", &f.readable_id)] {
        if v.is_empty() {
            return Err(invalid(field, "This field is required."));
        }
        if v.chars().count() > 255 {
            return Err(invalid(
                field,
                "Ensure this field has no more than 255 characters.",
            ));
        }
    }
    if f.readable_id.chars().any(char::is_whitespace) {
        return Err(invalid(
            "readable_id",
            "A readable id has no spaces (e.g. program-v1:MITx+DEDP).",
        ));
    }
    if f.program_type.is_empty() {
        f.program_type = "Series".into();
    }
    if !matches!(f.availability.as_str(), "anytime" | "dated") {
        return Err(invalid("availability", "Choose anytime or dated."));
    }
    if f.display_mode.as_deref().is_some_and(|m| m != "course") {
        return Err(invalid("display_mode", "Choose none or course."));
    }
    for (field, a, b, message) in [
        (
            "end_date",
            f.start_date,
            f.end_date,
            "The program ends before it starts.",
        ),
        (
            "enrollment_end",
            f.enrollment_start,
            f.enrollment_end,
            "Enrollment closes before it opens.",
        ),
    ] {
        if let (Some(a), Some(b)) = (a, b)
            && b < a
        {
            return Err(invalid(field, message));
        }
    }
    f.departments.sort_unstable();
    f.departments.dedup();
    f.modes.sort_unstable();
    f.modes.dedup();
    Ok(())
}

fn check_refs(c: &Connection, f: &ProgramFields, id: Option<i64>) -> Result<()> {
    if let Some(other) = crate::catalog::store::program_id_by_readable(c, &f.readable_id)?
        && Some(other) != id
    {
        return Err(invalid(
            "readable_id",
            format!("A program {} already exists.", f.readable_id),
        ));
    }
    if let Some(d) = store::missing(c, "departments", &f.departments)?.first() {
        return Err(invalid("departments", format!("There is no department {d}.")));
    }
    if let Some(m) = store::missing(c, "enrollment_modes", &f.modes)?.first() {
        return Err(invalid("modes", format!("There is no enrollment mode {m}.")));
    }
    Ok(())
}

/// Creates a program with an empty requirement tree; returns its id.
pub async fn create_program(state: &AppState, who: Actor, mut f: ProgramFields) -> Result<i64> {
    check_fields(&mut f)?;
    state
        .write_at(move |c, now| {
            check_refs(c, &f, None)?;
            let id = store::insert_program(c, &f, now)?;
            audit_change(c, &who, "program.create", ("program", id), None, json!(f), now)?;
            Ok(id)
        })
        .await
}

/// Sets every field of program `id`.
pub async fn update_program(state: &AppState, who: Actor, id: i64, mut f: ProgramFields) -> Result<()> {
    check_fields(&mut f)?;
    state
        .write_at(move |c, now| {
            let before = store::program_fields(c, id)?.ok_or_else(|| not_found("program", id))?;
            check_refs(c, &f, Some(id))?;
            store::update_program(c, id, &f, now)?;
            audit_change(
                c,
                &who,
                "program.update",
                ("program", id),
                Some(json!(before)),
                json!(f),
                now,
            )?;
            Ok(())
        })
        .await
}

fn not_found(what: &str, id: i64) -> ProgramAdminError {
    ProgramAdminError::NotFound(format!("There is no {what} {id}."))
}

/// Program `id`'s fields and requirement tree.
pub async fn program(state: &AppState, id: i64) -> Result<(ProgramFields, Tree)> {
    state
        .db
        .read(move |c| {
            let f = store::program_fields(c, id)?.ok_or_else(|| not_found("program", id))?;
            Ok((f, store::load_tree(c, id)?))
        })
        .await
}

/// The id of the program with readable id (or numeric id) `key`.
pub async fn program_id(state: &AppState, key: String) -> Result<i64> {
    state
        .db
        .read(move |c| {
            let by_readable = crate::catalog::store::program_id_by_readable(c, &key)?;
            let by_id = match key.parse::<i64>() {
                Ok(id) => store::program_fields(c, id)?.map(|_| id),
                Err(_) => None,
            };
            by_readable
                .or(by_id)
                .ok_or_else(|| ProgramAdminError::NotFound(format!("There is no program {key}.")))
        })
        .await
}

/// Replaces program `id`'s requirement tree with `t` after checking it: no empty group, N
/// between 1 and the group's size, only existing courses and programs, no course or program
/// twice, no cycle through nested programs.
pub async fn set_requirements(state: &AppState, who: Actor, id: i64, t: Tree) -> Result<()> {
    state
        .write_at(move |c, now| {
            let f = store::program_fields(c, id)?.ok_or_else(|| not_found("program", id))?;
            let known = store::known(c)?;
            let nodes = tree::validate(&t, id, &f.readable_id, &known).map_err(ProgramAdminError::Tree)?;
            let before = store::load_tree(c, id)?;
            store::replace_tree(c, id, &nodes)?;
            let after = store::load_tree(c, id)?;
            audit_change(
                c,
                &who,
                "program.requirements",
                ("program", id),
                Some(json!(before)),
                json!(after),
                now,
            )?;
            Ok(())
        })
        .await
}

/// Collection `id`'s fields.
pub async fn collection(state: &AppState, id: i64) -> Result<CollectionFields> {
    state
        .db
        .read(move |c| store::collection(c, id)?.ok_or_else(|| not_found("program collection", id)))
        .await
}

/// Creates (`id` None) or replaces a collection: a title, a description and its programs in
/// order, each existing and listed once.
pub async fn save_collection(
    state: &AppState,
    who: Actor,
    id: Option<i64>,
    mut f: CollectionFields,
) -> Result<i64> {
    f.title = f.title.trim().to_owned();
    f.description = f.description.trim().to_owned();
    if f.title.is_empty() {
        return Err(invalid("title", "This field is required."));
    }
    state
        .write_at(move |c, now| {
            let before = match id {
                Some(id) => {
                    Some(store::collection(c, id)?.ok_or_else(|| not_found("program collection", id))?)
                }
                None => None,
            };
            let mut program_ids = Vec::new();
            for r in &f.programs {
                let pid = crate::catalog::store::program_id_by_readable(c, r)?
                    .ok_or_else(|| invalid("programs", format!("There is no program {r}.")))?;
                if program_ids.contains(&pid) {
                    return Err(invalid("programs", format!("Program {r} is listed twice.")));
                }
                program_ids.push(pid);
            }
            let saved = store::save_collection(c, id, &f, &program_ids, now)?;
            let action = if id.is_some() {
                "program_collection.update"
            } else {
                "program_collection.create"
            };
            audit_change(
                c,
                &who,
                action,
                ("program_collection", saved),
                before.map(|b| json!(b)),
                json!(f),
                now,
            )?;
            Ok(saved)
        })
        .await
}
