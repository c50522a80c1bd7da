//! The CMS's configuration problems for the staff configuration check: live courses and
//! programs without a published page (the catalog lists them, their page is a 404).

use rusqlite::Connection;

use crate::staff::check::Problem;

pub fn problems(c: &Connection) -> rusqlite::Result<Vec<Problem>> {
    let mut out = Vec::new();
    let missing = c
        .prepare(
            "SELECT 'course', x.readable_id FROM courses x WHERE x.live = 1 AND NOT EXISTS (
                 SELECT 1 FROM cms_pages p WHERE p.course_id = x.id AND p.live = 1)
             UNION ALL
             SELECT 'program', x.readable_id FROM programs x WHERE x.live = 1 AND NOT EXISTS (
                 SELECT 1 FROM cms_pages p WHERE p.program_id = x.id AND p.live = 1)
             ORDER BY 1, 2",
        )?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (kind, id) in missing {
        out.push(Problem::new(
            "cms",
            format!("Live {kind} {id} has no published page."),
            "/staff/cms/".to_owned(),
        ));
    }
    Ok(out)
}
