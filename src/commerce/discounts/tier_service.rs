//! Flexible-price tier use cases for the staff API and page: list a discount's tiers, create,
//! update and delete them, each change audited in the same transaction.

use crate::commerce::discounts::links::TierShape;
use crate::commerce::discounts::service::json;
use rust_decimal::Decimal;

use crate::commerce::discounts;
use crate::commerce::discounts::links::Tier;
use crate::commerce::discounts::model::DiscountRow;
use crate::commerce::discounts::service::{audit, the_discount};
use crate::commerce::error::CommerceError;
use crate::db::DbError;
use crate::state::AppState;

/// The tiers of each courseware in `family` (flexible pricing chooses among them), each with
/// its discount. Runs inside the caller's transaction.
pub fn tiers_with_discounts(
    c: &rusqlite::Connection,
    family: &[discounts::links::Courseware],
) -> rusqlite::Result<Vec<(Tier, DiscountRow)>> {
    let mut out: Vec<(Tier, DiscountRow)> = Vec::new();
    for w in family {
        for t in discounts::links::tiers_of(c, *w)? {
            if out.iter().any(|(o, _)| o.id == t.id) {
                continue;
            }
            if let Some(d) = discounts::store::discount(c, t.discount_id)? {
                out.push((t, d));
            }
        }
    }
    Ok(out)
}

/// One tier with its discount.
pub fn tier_with_discount(
    c: &rusqlite::Connection,
    id: i64,
) -> rusqlite::Result<Option<(Tier, DiscountRow)>> {
    let Some(t) = discounts::links::tier(c, id)? else {
        return Ok(None);
    };
    Ok(discounts::store::discount(c, t.discount_id)?.map(|d| (t, d)))
}

/// A discount row by id (flexible pricing shows and re-points tiers' discounts).
pub fn discount(c: &rusqlite::Connection, id: i64) -> rusqlite::Result<Option<DiscountRow>> {
    discounts::store::discount(c, id)
}

/// The tiers using a discount, in the original's shape.
pub async fn list(state: &AppState, id: i64) -> Result<Vec<TierShape>, CommerceError> {
    state
        .db
        .read(move |c| {
            the_discount(c, id)?;
            let mut out = Vec::new();
            for t in discounts::links::tiers(c, id)? {
                out.push(discounts::links::tier_json(c, &t)?);
            }
            Ok(out)
        })
        .await
}

/// One tier of the discount, in the list's shape.
pub async fn one(state: &AppState, id: i64, tier: i64) -> Result<TierShape, CommerceError> {
    list(state, id)
        .await?
        .into_iter()
        .find(|t| t.id == tier)
        .ok_or_else(|| CommerceError::NotFound(format!("Discount {id} has no tier {tier}.")))
}

/// Creates a tier (audited); the discount and the course or program must exist.
pub async fn create(state: &AppState, actor: String, t: Tier) -> Result<TierShape, CommerceError> {
    state
        .write_at(move |c, now| {
            the_discount(c, t.discount_id)?;
            if !discounts::links::courseware_exists(c, t.courseware)? {
                return Err(CommerceError::Invalid {
                    field: "courseware_id",
                    message: "No such course or program.".into(),
                });
            }
            let id = discounts::links::insert_tier(c, &t, now)?;
            let tier = discounts::links::tier(c, id)?
                .ok_or_else(|| CommerceError::Db(DbError::from(rusqlite::Error::QueryReturnedNoRows)))?;
            let out = discounts::links::tier_json(c, &tier)?;
            audit(
                c,
                &actor,
                "create",
                "flexible_price_tier",
                &id.to_string(),
                None,
                Some(&json(&out)),
                now,
            )?;
            Ok(out)
        })
        .await
}

/// Deletes a tier of the discount (audited).
pub async fn delete(state: &AppState, actor: String, id: i64, tier: i64) -> Result<(), CommerceError> {
    state
        .write_at(move |c, now| {
            the_discount(c, id)?;
            let t = discounts::links::tier(c, tier)?
                .filter(|t| t.discount_id == id)
                .ok_or_else(|| CommerceError::NotFound(format!("No tier {tier} uses discount {id}.")))?;
            let before = discounts::links::tier_json(c, &t)?;
            discounts::links::delete_tier(c, tier)?;
            audit(
                c,
                &actor,
                "delete",
                "flexible_price_tier",
                &tier.to_string(),
                Some(&json(&before)),
                None,
                now,
            )?;
            Ok(())
        })
        .await
}

/// Changes a tier's `current` flag and/or threshold (audited); returns the tier.
pub async fn update(
    state: &AppState,
    actor: String,
    id: i64,
    tier: i64,
    current: Option<bool>,
    threshold: Option<Decimal>,
) -> Result<TierShape, CommerceError> {
    state
        .write_at(move |c, now| {
            the_discount(c, id)?;
            let mut t = discounts::links::tier(c, tier)?
                .filter(|t| t.discount_id == id)
                .ok_or_else(|| CommerceError::NotFound(format!("No tier {tier} uses discount {id}.")))?;
            let before = discounts::links::tier_json(c, &t)?;
            t.current = current.unwrap_or(t.current);
            t.income_threshold_usd = threshold.unwrap_or(t.income_threshold_usd);
            discounts::links::update_tier(c, &t, now)?;
            let after = discounts::links::tier_json(c, &t)?;
            audit(
                c,
                &actor,
                "update",
                "flexible_price_tier",
                &tier.to_string(),
                Some(&json(&before)),
                Some(&json(&after)),
                now,
            )?;
            Ok(after)
        })
        .await
}
