//! Related programs (the original's `RelatedProgram`): staff relate two programs so that one
//! approved request covers both ([`crate::pricing::model::family`]). The relation lives in the
//! catalog's `related_programs`, written through `catalog::service`; audited here.

use serde_json::json;

use crate::pricing::service::PricingError;
use crate::state::AppState;

/// One relation for the staff page: both programs as `(readable id, title)`.
pub struct Relation {
    pub first: (String, String),
    pub second: (String, String),
}

/// Every relation between two programs, oldest first.
pub async fn relations(state: &AppState) -> Result<Vec<Relation>, PricingError> {
    state
        .db
        .read(|c| {
            let named = |id: i64| -> rusqlite::Result<(String, String)> {
                let (title, readable) =
                    crate::catalog::service::courseware_title(c, true, id)?.unwrap_or_default();
                Ok((readable, title))
            };
            let mut out = Vec::new();
            for (a, b) in crate::catalog::service::program_relations(c)? {
                out.push(Relation {
                    first: named(a)?,
                    second: named(b)?,
                });
            }
            Ok(out)
        })
        .await
}

/// Relates the programs with readable ids `first` and `second` (audited). A blank or unknown
/// id, the same program twice or a pair already related is an error naming the field, and
/// nothing changes.
pub async fn relate(
    state: &AppState,
    actor: String,
    first: String,
    second: String,
) -> Result<(), PricingError> {
    let (first, second) = (first.trim().to_owned(), second.trim().to_owned());
    state
        .write_at(move |c, now| {
            let find = |field: &'static str, readable: &str| -> Result<i64, PricingError> {
                if readable.is_empty() {
                    return Err(PricingError::field(field, "A program readable id is required."));
                }
                crate::catalog::service::program_by_readable(c, readable)?
                    .map(|(id, _)| id)
                    .ok_or_else(|| PricingError::field(field, format!("No program {readable}.")))
            };
            let a = find("first_program", &first)?;
            let b = find("second_program", &second)?;
            if a == b {
                return Err(PricingError::field(
                    "second_program",
                    "A program cannot be related to itself.",
                ));
            }
            if !crate::catalog::service::relate_programs(c, a, b)? {
                return Err(PricingError::field(
                    "second_program",
                    format!("{first} and {second} are already related."),
                ));
            }
            crate::audit::by_staff(
                c,
                &actor,
                "create",
                "related_program",
                &format!("{a}:{b}"),
                Some(
                    &json!({"first_program_id": a, "second_program_id": b, "first": first, "second": second}),
                ),
                now,
            )?;
            Ok(())
        })
        .await
}
