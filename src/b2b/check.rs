//! B2B's configuration problems for the staff configuration check: active contracts with no
//! course runs, and contracts that need enrollment codes (code membership, or a price) but
//! have none.

use rusqlite::Connection;

use crate::staff::check::Problem;

pub fn problems(c: &Connection) -> rusqlite::Result<Vec<Problem>> {
    let mut out = Vec::new();
    let contracts = c
        .prepare(
            "SELECT k.id, k.name,
                    EXISTS (SELECT 1 FROM b2b_contract_runs r WHERE r.contract_id = k.id),
                    (k.membership_type = 'code' OR CAST(coalesce(k.enrollment_fixed_price, '0') AS REAL) > 0)
                        AND NOT EXISTS (SELECT 1 FROM b2b_codes d WHERE d.contract_id = k.id)
             FROM b2b_contracts k WHERE k.active = 1 ORDER BY k.id",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, name, has_runs, lacks_codes) in contracts {
        let link = format!("/staff/b2b/contracts/{id}/");
        if !has_runs {
            out.push(Problem::new(
                "b2b",
                format!("Contract {name} has no course runs: add a program."),
                link.clone(),
            ));
        }
        if lacks_codes {
            out.push(Problem::new(
                "b2b",
                format!("Contract {name} needs enrollment codes and has none."),
                link,
            ));
        }
    }
    Ok(out)
}
