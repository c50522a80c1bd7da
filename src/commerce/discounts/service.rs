//! Discount use cases for the staff API and pages: what hangs off a discount (products,
//! assigned users, redemptions), linking and unlinking, user assignments, and the audit row
//! each change writes in the same transaction. Handlers parse and shape; these decide.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::Value;

use crate::commerce::discounts::links::{self, Assignment, DiscountFilter, LinkedItem, Redemption};
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::error::CommerceError;
use crate::commerce::{basket, discounts};
use crate::state::AppState;

/// Which nested list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nested {
    Products,
    Assignees,
}

fn no_discount() -> CommerceError {
    CommerceError::NotFound("No such discount.".into())
}

/// The discount, or a 404-shaped error.
pub fn the_discount(c: &Connection, id: i64) -> Result<DiscountRow, CommerceError> {
    discounts::store::discount(c, id)?.ok_or_else(no_discount)
}

/// A shape as the audit log and the staff page read it.
pub fn json<T: serde::Serialize>(shape: &T) -> Value {
    serde_json::to_value(shape).unwrap_or_default()
}

/// One audit row for a discount change (actor, action, object, id, before/after).
#[allow(clippy::too_many_arguments)]
pub fn audit(
    c: &Connection,
    actor: &str,
    action: &str,
    object: &str,
    id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<(), CommerceError> {
    crate::audit::record(c, None, actor, action, object, id, before, after, now)?;
    Ok(())
}

/// A page of a discount's redemptions, with the total count.
pub async fn redemptions(
    state: &AppState,
    id: i64,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Redemption>), CommerceError> {
    state
        .db
        .read(move |c| {
            let d = the_discount(c, id)?;
            Ok(links::redemptions_json(c, &d, limit, offset)?)
        })
        .await
}

/// A discount's products or assigned users, in the original's shapes.
pub async fn linked(state: &AppState, id: i64, what: Nested) -> Result<Vec<LinkedItem>, CommerceError> {
    state
        .db
        .read(move |c| {
            let d = the_discount(c, id)?;
            Ok(match what {
                Nested::Products => links::products_json(c, &d)?,
                Nested::Assignees => links::assignees_json(c, &d)?,
            })
        })
        .await
}

/// Whether an order has used the discount (the contract's read-only `is_redeemed`).
pub async fn is_redeemed(state: &AppState, id: i64) -> Result<bool, CommerceError> {
    Ok(!redeemed_among(state, vec![id]).await?.is_empty())
}

/// Which of these discounts an order has used.
pub async fn redeemed_among(
    state: &AppState,
    ids: Vec<i64>,
) -> Result<std::collections::BTreeSet<i64>, CommerceError> {
    state
        .db
        .read(move |c| {
            let mut out = std::collections::BTreeSet::new();
            for id in ids {
                if discounts::store::redemption_counts(c, id, None, None)?.2 > 0 {
                    out.insert(id);
                }
            }
            Ok(out)
        })
        .await
}

/// One linked product or user of the discount, found by the product's (user's) id as the
/// removal takes it.
pub async fn linked_one(
    state: &AppState,
    id: i64,
    what: Nested,
    target: i64,
) -> Result<LinkedItem, CommerceError> {
    let all = linked(state, id, what).await?;
    let key = match what {
        Nested::Products => "product",
        Nested::Assignees => "user",
    };
    all.into_iter()
        .find(|v| v.target() == Some(target))
        .ok_or_else(|| CommerceError::NotFound(format!("Discount {id} has no {key} {target}.")))
}

/// Adds or removes a product or user; returns whether something changed and the discount's
/// whole list afterwards, as the original does.
pub async fn change_link(
    state: &AppState,
    actor: String,
    id: i64,
    what: Nested,
    target: i64,
    add: bool,
) -> Result<(bool, Vec<LinkedItem>), CommerceError> {
    state
        .write_at(move |c, now| {
            let d = the_discount(c, id)?;
            let (field, object) = match what {
                Nested::Products => ("product_id", "discount_product"),
                Nested::Assignees => ("user_id", "discount_assignee"),
            };
            let exists = match what {
                Nested::Products => basket::store::product(c, target)?.is_some(),
                Nested::Assignees => links::user(c, target)?.is_some(),
            };
            if !exists {
                let msg = if add { "No such object." } else { "Not found." };
                return Err(if add {
                    CommerceError::Invalid {
                        field,
                        message: format!("{msg} ({target})"),
                    }
                } else {
                    CommerceError::NotFound(format!("No such {}: {target}.", &field[..field.len() - 3]))
                });
            }
            let linked = match what {
                Nested::Products => links::is_product_linked(c, id, target)?,
                Nested::Assignees => links::is_user_assigned(c, id, target)?,
            };
            let changed = match (add, linked, what) {
                (true, false, Nested::Products) => {
                    discounts::store::add_discount_product(c, id, target)?;
                    true
                }
                (true, false, Nested::Assignees) => {
                    discounts::store::add_discount_user(c, id, target)?;
                    true
                }
                (false, true, Nested::Products) => links::remove_product(c, id, target)?,
                (false, true, Nested::Assignees) => links::remove_assignee(c, id, target)?,
                (false, false, _) => {
                    return Err(CommerceError::NotFound(format!(
                        "{} {target} is not linked to discount {id}.",
                        if what == Nested::Products {
                            "Product"
                        } else {
                            "User"
                        }
                    )));
                }
                (true, true, _) => false,
            };
            if changed {
                let detail = serde_json::json!({"discount": id, field: target});
                let (before, after) = if add {
                    (None, Some(&detail))
                } else {
                    (Some(&detail), None)
                };
                audit(
                    c,
                    &actor,
                    if add { "add" } else { "remove" },
                    object,
                    &id.to_string(),
                    before,
                    after,
                    now,
                )?;
            }
            let list = match what {
                Nested::Products => links::products_json(c, &d)?,
                Nested::Assignees => links::assignees_json(c, &d)?,
            };
            Ok((changed, list))
        })
        .await
}

/// A page of every user–discount assignment, with the total count.
pub async fn assignments(
    state: &AppState,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Assignment>), CommerceError> {
    state
        .db
        .read(move |c| Ok(links::all_assignments(c, limit, offset)?))
        .await
}

/// Assigns a user to a discount (`UserDiscount`); both must exist and not be linked yet.
pub async fn assign_user(
    state: &AppState,
    actor: String,
    discount: i64,
    user: i64,
) -> Result<Assignment, CommerceError> {
    state
        .write_at(move |c, now| {
            if discounts::store::discount(c, discount)?.is_none() {
                return Err(CommerceError::Invalid {
                    field: "discount",
                    message: format!("Invalid pk \"{discount}\" - object does not exist."),
                });
            }
            if links::user(c, user)?.is_none() {
                return Err(CommerceError::Invalid {
                    field: "user",
                    message: format!("Invalid pk \"{user}\" - object does not exist."),
                });
            }
            if links::is_user_assigned(c, discount, user)? {
                return Err(CommerceError::Invalid {
                    field: "user",
                    message: "This user is already assigned to this discount.".into(),
                });
            }
            discounts::store::add_discount_user(c, discount, user)?;
            let row =
                links::assignments_of(c, discount, user)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            audit(
                c,
                &actor,
                "add",
                "discount_assignee",
                &discount.to_string(),
                None,
                Some(&json(&row)),
                now,
            )?;
            Ok(row)
        })
        .await
}

/// One user–discount assignment.
pub async fn assignment(state: &AppState, id: i64) -> Result<Option<Assignment>, CommerceError> {
    state.db.read(move |c| Ok(links::assignment_by_id(c, id)?)).await
}

/// Removes a user–discount assignment.
pub async fn unassign(state: &AppState, actor: String, id: i64) -> Result<(), CommerceError> {
    state
        .write_at(move |c, now| {
            let row = links::assignment_by_id(c, id)?
                .ok_or_else(|| CommerceError::NotFound("No such user discount.".into()))?;
            links::delete_assignment(c, id)?;
            let discount = row.discount.to_string();
            audit(
                c,
                &actor,
                "remove",
                "discount_assignee",
                &discount,
                Some(&json(&row)),
                None,
                now,
            )?;
            Ok(())
        })
        .await
}

/// Discounts matching the staff list's filters, newest first, with the total count.
pub async fn find(
    state: &AppState,
    filter: DiscountFilter,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<DiscountRow>), CommerceError> {
    state
        .db
        .read(move |c| Ok(links::filter_discounts(c, &filter, limit, offset)?))
        .await
}

/// One discount.
pub async fn get(state: &AppState, id: i64) -> Result<Option<DiscountRow>, CommerceError> {
    state
        .db
        .read(move |c| Ok(discounts::store::discount(c, id)?))
        .await
}

/// Creates a discount after checking its terms (audited); returns it as stored.
pub async fn create(state: &AppState, actor: String, d: DiscountRow) -> Result<DiscountRow, CommerceError> {
    let now = state.clock.now();
    basket::service::validate_discount(&d, now)?;
    state
        .db
        .write(move |c| {
            let id = discounts::store::insert_discount(c, &d, now)?;
            let shape = discounts::shapes::discount(&d);
            audit(
                c,
                &actor,
                "create",
                "discount",
                &id.to_string(),
                None,
                Some(&shape),
                now,
            )?;
            discounts::store::discount(c, id)?.ok_or_else(no_discount)
        })
        .await
}

/// Replaces a discount's terms after checking them (audited with before and after).
pub async fn update(
    state: &AppState,
    actor: String,
    before: DiscountRow,
    d: DiscountRow,
) -> Result<(), CommerceError> {
    let now = state.clock.now();
    basket::service::validate_discount(&d, now)?;
    state
        .db
        .write(move |c| {
            discounts::store::update_discount(c, &d, now)?;
            let (b, a) = (
                discounts::shapes::discount(&before),
                discounts::shapes::discount(&d),
            );
            audit(
                c,
                &actor,
                "update",
                "discount",
                &d.id.to_string(),
                Some(&b),
                Some(&a),
                now,
            )
        })
        .await
}

/// `count` codes `prefix+uuid4` with the template's terms, in one transaction (one audit row).
pub async fn create_batch(
    state: &AppState,
    actor: String,
    template: DiscountRow,
    prefix: String,
    count: u32,
) -> Result<Vec<DiscountRow>, CommerceError> {
    let now = state.clock.now();
    basket::service::validate_discount(&template, now)?;
    state
        .db
        .write(move |c| {
            let mut out = Vec::new();
            for _ in 0..count {
                let mut d = template.clone();
                d.discount_code = format!("{prefix}{}", uuid::Uuid::new_v4());
                d.id = discounts::store::insert_discount(c, &d, now)?;
                out.push(d);
            }
            let detail = serde_json::json!({"count": count});
            audit(
                c,
                &actor,
                "create_batch",
                "discount",
                &prefix,
                None,
                Some(&detail),
                now,
            )?;
            Ok(out)
        })
        .await
}

/// The staff discount list page's rows (code contains `needle`), with the total count.
pub async fn search(
    state: &AppState,
    needle: Option<String>,
) -> Result<(i64, Vec<DiscountRow>), CommerceError> {
    state
        .db
        .read(move |c| Ok(discounts::store::list_discounts(c, needle.as_deref(), 200, 0)?))
        .await
}

/// Everything the staff discount page shows, in the API's shapes.
pub struct Detail {
    pub discount: Value,
    pub products: Vec<Value>,
    pub assignees: Vec<Value>,
    pub redemptions: (i64, Vec<Value>),
    pub tiers: Vec<Value>,
}

/// The discount with its products, assigned users, first 200 redemptions and tiers.
pub async fn detail(state: &AppState, id: i64) -> Result<Detail, CommerceError> {
    state
        .db
        .read(move |c| {
            let d = the_discount(c, id)?;
            let mut tiers = Vec::new();
            for t in links::tiers(c, id)? {
                tiers.push(json(&links::tier_json(c, &t)?));
            }
            let (count, redemptions) = links::redemptions_json(c, &d, 200, 0)?;
            Ok(Detail {
                discount: discounts::shapes::discount(&d),
                products: links::products_json(c, &d)?.iter().map(json).collect(),
                assignees: links::assignees_json(c, &d)?.iter().map(json).collect(),
                redemptions: (count, redemptions.iter().map(json).collect()),
                tiers,
            })
        })
        .await
}
