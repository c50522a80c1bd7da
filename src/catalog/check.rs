//! The catalog's configuration problems for the staff configuration check
//! ([`crate::staff::check`]): live runs with a verified mode but no product (a certificate
//! track nobody can buy; audit-only runs need none), products that sell a
//! run without a verified mode, upgrade deadlines after the run ends, programs whose
//! requirements name a course that is not live (linked to the program's staff edit page).

use rusqlite::Connection;

use crate::staff::check::Problem;

fn rows(c: &Connection, sql: &str) -> rusqlite::Result<Vec<(String, String)>> {
    c.prepare(sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

fn rows3(c: &Connection, sql: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
    c.prepare(sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

/// The run's staff page, where its product, modes and dates are fixed.
fn run_link(id: &str) -> String {
    format!("/staff/catalog/runs/{id}/")
}

pub fn problems(c: &Connection) -> rusqlite::Result<Vec<Problem>> {
    let mut out = Vec::new();
    for (run, id) in rows(
        c,
        "SELECT r.courseware_id, CAST(r.id AS TEXT) FROM course_runs r
         WHERE r.live = 1 AND NOT EXISTS (SELECT 1 FROM products p WHERE p.course_run_id = r.id)
           AND EXISTS (SELECT 1 FROM course_run_modes m JOIN enrollment_modes e ON e.id = m.mode_id
                       WHERE m.course_run_id = r.id AND e.mode_slug = 'verified')
         ORDER BY r.courseware_id",
    )? {
        out.push(Problem::new(
            "catalog",
            format!(
                "Run {run} is live with a verified mode but no product: learners cannot buy its certificate."
            ),
            run_link(&id),
        ));
    }
    for (run, product, id) in rows3(
        c,
        "SELECT r.courseware_id, CAST(p.id AS TEXT), CAST(r.id AS TEXT) FROM products p JOIN course_runs r ON r.id = p.course_run_id
         WHERE p.is_active = 1 AND NOT EXISTS (
             SELECT 1 FROM course_run_modes m JOIN enrollment_modes e ON e.id = m.mode_id
             WHERE m.course_run_id = r.id AND e.mode_slug = 'verified')
         ORDER BY r.courseware_id",
    )? {
        out.push(Problem::new(
            "catalog",
            format!("Product {product} sells run {run}, which has no verified mode: a purchase would enroll no one in a paid track."),
            run_link(&id),
        ));
    }
    for (run, id) in rows(
        c,
        "SELECT r.courseware_id, CAST(r.id AS TEXT) FROM course_runs r
         WHERE r.upgrade_deadline IS NOT NULL AND r.end_date IS NOT NULL AND r.upgrade_deadline > r.end_date
         ORDER BY r.courseware_id",
    )? {
        out.push(Problem::new(
            "catalog",
            format!("Run {run}'s upgrade deadline is after the run ends."),
            run_link(&id),
        ));
    }
    let mut st = c.prepare(
        "SELECT DISTINCT g.readable_id, c.readable_id, g.id FROM program_requirements q
         JOIN programs g ON g.id = q.program_id JOIN courses c ON c.id = q.course_id
         WHERE q.node_type = 'course' AND c.live = 0 AND g.live = 1
         ORDER BY g.readable_id, c.readable_id",
    )?;
    let programs = st.query_map([], |r| r.try_into())?;
    for row in programs {
        let (program, course, id): (String, String, i64) = row?;
        out.push(Problem::new(
            "catalog",
            format!("Live program {program} requires course {course}, which is not live."),
            format!("/staff/catalog/programs/{id}/"),
        ));
    }
    Ok(out)
}
