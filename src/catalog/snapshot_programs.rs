//! Loading of programs into the catalog snapshot: programs, their departments and modes,
//! requirement trees and collections (a part of [`super::Catalog::load`]).

use std::collections::HashMap;

use rusqlite::Connection;

use super::{Catalog, pairs, t};
use crate::catalog::model::*;
use crate::db::from_row;

/// A requirement node's type column (an unknown one reads as an operator).
fn node_type(ty: String) -> NodeType {
    NodeType::parse(&ty).unwrap_or(NodeType::Operator)
}

pub(super) fn load_programs(
    c: &Connection,
    cat: &mut Catalog,
    dept_idx: &HashMap<i64, usize>,
    mode_idx: &HashMap<i64, usize>,
    products: &mut HashMap<i64, Product>,
    page_of_program: &HashMap<i64, usize>,
) -> rusqlite::Result<()> {
    let mut st = c.prepare_cached(
        "SELECT id, title, readable_id, live, program_type, availability, enrollment_start, enrollment_end,
                start_date, end_date, display_mode, b2b_only
         FROM programs ORDER BY title, id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        cat.programs.push(Program {
            id,
            title: r.get(1)?,
            readable_id: r.get(2)?,
            live: r.get(3)?,
            program_type: r.get(4)?,
            availability: r.get(5)?,
            enrollment_start: t(r.get(6)?),
            enrollment_end: t(r.get(7)?),
            start_date: t(r.get(8)?),
            end_date: t(r.get(9)?),
            display_mode: r.get(10)?,
            b2b_only: r.get(11)?,
            departments: vec![],
            modes: vec![],
            root: None,
            product: products.remove(&id),
            page: page_of_program.get(&id).copied(),
            collections: vec![],
        });
    }
    for (i, p) in cat.programs.iter().enumerate() {
        cat.program_by_id.insert(p.id, i);
        cat.program_by_readable.insert(p.readable_id.clone(), i);
    }
    for (p, d) in pairs(c, "SELECT program_id, department_id FROM program_departments")? {
        if let (Some(&pi), Some(&di)) = (cat.program_by_id.get(&p), dept_idx.get(&d)) {
            cat.programs[pi].departments.push(di);
        }
    }
    for (p, m) in pairs(
        c,
        "SELECT program_id, mode_id FROM program_modes ORDER BY mode_id",
    )? {
        if let (Some(&pi), Some(&mi)) = (cat.program_by_id.get(&p), mode_idx.get(&m)) {
            cat.programs[pi].modes.push(mi);
        }
    }
    // Requirement trees.
    let nodes: Vec<(Option<i64>, ReqNode)> = c
        .prepare_cached(
            "SELECT id, program_id, node_type, operator, operator_value, course_id, required_program_id,
                    title, elective_flag, parent_id
             FROM program_requirements ORDER BY program_id, position, id",
        )?
        .query_map([], |r| {
            let node: rusqlite::Result<ReqNode> = from_row!(
                r,
                ReqNode {
                    id,
                    program_id,
                    node_type: node_type,
                    operator,
                    operator_value,
                    course_id,
                    required_program_id,
                    title,
                    elective_flag;
                    children: vec![]
                }
            );
            Ok((r.get::<_, Option<i64>>(9)?, node?))
        })?
        .collect::<Result<_, _>>()?;
    let mut children: HashMap<i64, Vec<ReqNode>> = HashMap::new();
    let mut roots = Vec::new();
    for (parent, n) in nodes {
        match parent {
            Some(p) => children.entry(p).or_default().push(n),
            None => roots.push(n),
        }
    }
    fn attach(n: &mut ReqNode, children: &mut HashMap<i64, Vec<ReqNode>>, depth: usize) {
        if depth > 32 {
            return;
        }
        if let Some(mut kids) = children.remove(&n.id) {
            for k in &mut kids {
                attach(k, children, depth + 1);
            }
            n.children = kids;
        }
    }
    for r in &mut roots {
        attach(r, &mut children, 0);
    }
    for root in roots {
        if root.node_type != NodeType::ProgramRoot {
            continue;
        }
        if let Some(&pi) = cat.program_by_id.get(&root.program_id) {
            cat.programs[pi].root = Some(root);
        }
    }
    for p in &cat.programs {
        let r = p.requirements();
        for cid in r.required_courses.iter().chain(&r.elective_courses) {
            let e = cat.programs_of_course.entry(*cid).or_default();
            if !e.contains(&p.id) {
                e.push(p.id);
            }
        }
        for child in r.required_programs.iter().chain(&r.elective_programs) {
            cat.parents_of_program.entry(*child).or_default().push(p.id);
        }
    }
    // Collections.
    cat.collections = c
        .prepare_cached(
            "SELECT id, title, description, created_on, updated_on FROM program_collections ORDER BY id",
        )?
        .query_map([], |r| {
            from_row!(
                r,
                Collection {
                    id,
                    title,
                    description,
                    created_on,
                    updated_on;
                    program_ids: vec![]
                }
            )
        })?
        .collect::<Result<_, _>>()?;
    for (col, prog) in pairs(
        c,
        "SELECT collection_id, program_id FROM program_collection_items ORDER BY collection_id, position",
    )? {
        if let Some(cc) = cat.collections.iter_mut().find(|x| x.id == col) {
            cc.program_ids.push(prog);
        }
        if let Some(&pi) = cat.program_by_id.get(&prog) {
            cat.programs[pi].collections.push(col);
        }
    }
    Ok(())
}
