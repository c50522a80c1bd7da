//! SQL for the program console: a program's fields, its requirement tree (read back as a
//! [`Tree`], replaced as a whole), what exists for the tree checks, and collections.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::tree::{Group, Item, Known, Node, Tree};
use crate::catalog::store::{self as catalog_store, NewNode};
use crate::clock::to_db;
use crate::db::from_row;

/// Every field of a program as staff edit it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProgramFields {
    pub title: String,
    pub readable_id: String,
    pub live: bool,
    pub program_type: String,
    /// `anytime` or `dated`.
    pub availability: String,
    pub enrollment_start: Option<DateTime<Utc>>,
    pub enrollment_end: Option<DateTime<Utc>>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    /// None, or `course` (shown as a course).
    pub display_mode: Option<String>,
    pub b2b_only: bool,
    pub departments: Vec<i64>,
    pub modes: Vec<i64>,
}

fn opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(to_db)
}

fn ids(c: &Connection, sql: &str, id: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached(sql)?.query_map([id], |r| r.get(0))?.collect()
}

pub fn program_fields(c: &Connection, id: i64) -> rusqlite::Result<Option<ProgramFields>> {
    let t = |s: Option<String>| s.as_deref().and_then(crate::clock::from_db);
    let Some(mut f) = c
        .query_row(
            "SELECT title, readable_id, live, program_type, availability, enrollment_start, enrollment_end,
                    start_date, end_date, display_mode, b2b_only FROM programs WHERE id = ?1",
            [id],
            |r| {
                from_row!(
                    r,
                    ProgramFields {
                        title,
                        readable_id,
                        live,
                        program_type,
                        availability,
                        enrollment_start: t,
                        enrollment_end: t,
                        start_date: t,
                        end_date: t,
                        display_mode,
                        b2b_only;
                        departments: vec![],
                        modes: vec![]
                    }
                )
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    f.departments = ids(
        c,
        "SELECT department_id FROM program_departments WHERE program_id = ?1 ORDER BY department_id",
        id,
    )?;
    f.modes = ids(
        c,
        "SELECT mode_id FROM program_modes WHERE program_id = ?1 ORDER BY mode_id",
        id,
    )?;
    Ok(Some(f))
}

/// Which of `ids` are not rows of `table` (departments or enrollment_modes).
pub fn missing(c: &Connection, table: &str, ids: &[i64]) -> rusqlite::Result<Vec<i64>> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = ?1");
    let mut st = c.prepare(&sql)?;
    let mut out = Vec::new();
    for &id in ids {
        if !st.exists([id])? {
            out.push(id);
        }
    }
    Ok(out)
}

/// Creates the program (with its requirements root), then sets every field.
pub fn insert_program(c: &Connection, f: &ProgramFields, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let (id, _root) = catalog_store::insert_program(
        c,
        &catalog_store::NewProgram {
            title: &f.title,
            readable_id: &f.readable_id,
            live: f.live,
            program_type: &f.program_type,
            departments: &[],
            modes: &[],
            start_date: f.start_date,
        },
        now,
    )?;
    update_program(c, id, f, now)?;
    Ok(id)
}

pub fn update_program(
    c: &Connection,
    id: i64,
    f: &ProgramFields,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE programs SET title = ?2, readable_id = ?3, live = ?4, program_type = ?5, availability = ?6,
            enrollment_start = ?7, enrollment_end = ?8, start_date = ?9, end_date = ?10, display_mode = ?11,
            b2b_only = ?12, updated_on = ?13 WHERE id = ?1",
        params![
            id,
            f.title,
            f.readable_id,
            f.live,
            f.program_type,
            f.availability,
            opt(f.enrollment_start),
            opt(f.enrollment_end),
            opt(f.start_date),
            opt(f.end_date),
            f.display_mode,
            f.b2b_only,
            to_db(now)
        ],
    )?;
    c.execute("DELETE FROM program_departments WHERE program_id = ?1", [id])?;
    for d in &f.departments {
        c.execute(
            "INSERT INTO program_departments (program_id, department_id) VALUES (?1, ?2)",
            params![id, d],
        )?;
    }
    c.execute("DELETE FROM program_modes WHERE program_id = ?1", [id])?;
    for m in &f.modes {
        c.execute(
            "INSERT INTO program_modes (program_id, mode_id) VALUES (?1, ?2)",
            params![id, m],
        )?;
    }
    Ok(())
}

/// Courses and programs by readable id, and each program's required programs.
pub fn known(c: &Connection) -> rusqlite::Result<Known> {
    let pairs = |sql: &str| -> rusqlite::Result<Vec<(String, i64)>> {
        c.prepare(sql)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    };
    let mut k = Known {
        courses: pairs("SELECT readable_id, id FROM courses")?
            .into_iter()
            .collect(),
        programs: pairs("SELECT readable_id, id FROM programs")?
            .into_iter()
            .collect(),
        requires: HashMap::new(),
    };
    let mut st = c.prepare(
        "SELECT program_id, required_program_id FROM program_requirements WHERE node_type = 'program'",
    )?;
    let edges = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for e in edges {
        let (p, q) = e?;
        k.requires.entry(p).or_default().push(q);
    }
    Ok(k)
}

/// Program `id`'s tree with readable ids (operators under the root become groups).
pub fn load_tree(c: &Connection, id: i64) -> rusqlite::Result<Tree> {
    type Row = (
        i64,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = c
        .prepare_cached(
            "SELECT q.id, q.parent_id, q.node_type, q.operator_value, co.readable_id, pr.readable_id, q.title
             FROM program_requirements q
             LEFT JOIN courses co ON co.id = q.course_id
             LEFT JOIN programs pr ON pr.id = q.required_program_id
             WHERE q.program_id = ?1 ORDER BY q.position, q.id",
        )?
        .query_map([id], |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    let mut kids: HashMap<i64, Vec<&Row>> = HashMap::new();
    let mut root = None;
    for row in &rows {
        match row.1 {
            Some(p) => kids.entry(p).or_default().push(row),
            None if row.2 == "program_root" => root = Some(row.0),
            None => {}
        }
    }
    fn group(row: &Row, kids: &HashMap<i64, Vec<&Row>>, depth: usize) -> Group {
        let at_least = row.3.as_deref().and_then(|v| v.parse().ok());
        let mut items = Vec::new();
        for k in kids.get(&row.0).into_iter().flatten() {
            match (k.2.as_str(), &k.4, &k.5) {
                ("course", Some(r), _) => items.push(Item::Course(r.clone())),
                ("program", _, Some(r)) => items.push(Item::Program(r.clone())),
                ("operator", _, _) if depth < 32 => items.push(Item::Group(group(k, kids, depth + 1))),
                _ => {}
            }
        }
        Group {
            title: row.6.clone(),
            at_least,
            items,
        }
    }
    let groups = root
        .and_then(|r| kids.get(&r))
        .into_iter()
        .flatten()
        .filter(|k| k.2 == "operator")
        .map(|k| group(k, &kids, 1))
        .collect();
    Ok(Tree { groups })
}

/// Replaces program `id`'s requirements under its root (created if missing) with `nodes`.
pub fn replace_tree(c: &Connection, id: i64, nodes: &[Node]) -> rusqlite::Result<()> {
    let root: Option<i64> = c
        .query_row(
            "SELECT id FROM program_requirements WHERE program_id = ?1 AND node_type = 'program_root'",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let root = match root {
        Some(r) => r,
        None => {
            c.execute(
                "INSERT INTO program_requirements (program_id, node_type, position) VALUES (?1, 'program_root', 0)",
                [id],
            )?;
            c.last_insert_rowid()
        }
    };
    c.execute(
        "DELETE FROM program_requirements WHERE program_id = ?1 AND node_type <> 'program_root'",
        [id],
    )?;
    fn write(c: &Connection, id: i64, parent: i64, pos: usize, n: &Node) -> rusqlite::Result<()> {
        let node = match n {
            Node::Group {
                title,
                at_least: None,
                ..
            } => NewNode::AllOf { title },
            Node::Group {
                title,
                at_least: Some(n),
                ..
            } => NewNode::MinNumberOf {
                title,
                n: *n,
                elective: true,
            },
            Node::Course(course) => NewNode::Course(*course),
            Node::Program(p) => NewNode::Program(*p),
        };
        let me = catalog_store::add_requirement(c, id, parent, pos as i64, &node)?;
        if let Node::Group { children, .. } = n {
            for (i, k) in children.iter().enumerate() {
                write(c, id, me, i, k)?;
            }
        }
        Ok(())
    }
    for (i, n) in nodes.iter().enumerate() {
        write(c, id, root, i, n)?;
    }
    Ok(())
}

/// A collection's fields and its programs' readable ids, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CollectionFields {
    pub title: String,
    pub description: String,
    pub programs: Vec<String>,
}

pub fn collection(c: &Connection, id: i64) -> rusqlite::Result<Option<CollectionFields>> {
    let Some((title, description)) = c
        .query_row(
            "SELECT title, description FROM program_collections WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let programs = c
        .prepare_cached(
            "SELECT p.readable_id FROM program_collection_items i JOIN programs p ON p.id = i.program_id
             WHERE i.collection_id = ?1 ORDER BY i.position, p.id",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(CollectionFields {
        title,
        description,
        programs,
    }))
}

/// Writes a collection (new when `id` is None) with its programs (ids, in order).
pub fn save_collection(
    c: &Connection,
    id: Option<i64>,
    f: &CollectionFields,
    program_ids: &[i64],
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let id = match id {
        None => return catalog_store::insert_collection(c, &f.title, &f.description, program_ids, now),
        Some(id) => id,
    };
    c.execute(
        "UPDATE program_collections SET title = ?2, description = ?3, updated_on = ?4 WHERE id = ?1",
        params![id, f.title, f.description, to_db(now)],
    )?;
    c.execute(
        "DELETE FROM program_collection_items WHERE collection_id = ?1",
        [id],
    )?;
    for (i, p) in program_ids.iter().enumerate() {
        c.execute(
            "INSERT INTO program_collection_items (collection_id, program_id, position) VALUES (?1, ?2, ?3)",
            params![id, p, i as i64],
        )?;
    }
    Ok(id)
}
