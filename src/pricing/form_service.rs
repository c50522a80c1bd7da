//! Staff editing of request forms (the original's Wagtail `FlexiblePricingRequestForm` under a
//! course or program page): the six text blocks and whether the form is live. Audited.

use serde_json::{Value, json};

use crate::pricing::model::Courseware;
use crate::pricing::review::courseware_json;
use crate::pricing::service::PricingError;
use crate::pricing::store::{self, FormTexts};
use crate::state::AppState;

/// Every form with its courseware as `{id, title, readable_id, type}`.
pub async fn forms(state: &AppState) -> Result<Vec<(i64, Value, FormTexts, bool)>, PricingError> {
    state
        .db
        .read(|c| {
            let mut out = Vec::new();
            for (id, w, texts, live) in store::forms(c)? {
                out.push((
                    id,
                    crate::commerce::discounts::service::json(&courseware_json(c, w)?),
                    texts,
                    live,
                ));
            }
            Ok(out)
        })
        .await
}

/// The form of a course or program, if it has one.
pub async fn form(state: &AppState, w: Courseware) -> Result<Option<(i64, FormTexts, bool)>, PricingError> {
    state
        .db
        .read(move |c| Ok(store::form_for(c, w)?.map(|(id, _, t, live)| (id, t, live))))
        .await
}

/// Creates or changes the form of a course or program (audited).
pub async fn save(
    state: &AppState,
    actor: String,
    w: Courseware,
    texts: FormTexts,
    live: bool,
) -> Result<i64, PricingError> {
    if texts.title.trim().is_empty() {
        return Err(PricingError::field("title", "A title is required."));
    }
    state
        .write_at(move |c, now| {
            let (program, id) = match w {
                Courseware::Course(id) => (false, id),
                Courseware::Program(id) => (true, id),
            };
            if crate::catalog::service::courseware_title(c, program, id)?.is_none() {
                return Err(PricingError::field("courseware", "No such course or program."));
            }
            let before = store::form_for(c, w)?.map(|(_, _, t, l)| json!({"texts": t, "live": l}));
            let form_id = store::save_form(c, w, &texts, live, now)?;
            crate::audit::record(
                c,
                None,
                &actor,
                if before.is_some() { "update" } else { "create" },
                "flexible_pricing_form",
                &form_id.to_string(),
                before.as_ref(),
                Some(&json!({"texts": texts, "live": live})),
                now,
            )?;
            Ok(form_id)
        })
        .await
}
