//! Staff corrections of a discount's redemptions and of the discount itself, beyond the
//! original's viewsets where those were unsafe: one redemption read or removed (so a one-time
//! code an order no longer holds can be used again), and a discount removed only while nothing
//! redeemed it (the original's cascade would erase the redemption history orders refer to).
//! Nor while a financial-assistance tier uses it or it is a B2B contract's enrollment code.
//! Every removal is audited with what was removed.

use crate::commerce::discounts::links::Redemption;
use crate::commerce::discounts::service::{audit, the_discount};
use crate::commerce::discounts::{links, shapes, store};
use crate::commerce::error::CommerceError;
use crate::state::AppState;

fn no_redemption(discount: i64, id: i64) -> CommerceError {
    CommerceError::NotFound(format!("Discount {discount} has no redemption {id}."))
}

/// One redemption of the discount, in the list's shape.
pub async fn redemption(state: &AppState, discount: i64, id: i64) -> Result<Redemption, CommerceError> {
    state
        .db
        .read(move |c| {
            let d = the_discount(c, discount)?;
            links::redemption_json(c, &d, id)?.ok_or_else(|| no_redemption(discount, id))
        })
        .await
}

/// Removes one redemption (audited with its shape).
pub async fn delete_redemption(
    state: &AppState,
    actor: String,
    discount: i64,
    id: i64,
) -> Result<(), CommerceError> {
    state
        .write_at(move |c, now| {
            let d = the_discount(c, discount)?;
            let before = links::redemption_json(c, &d, id)?.ok_or_else(|| no_redemption(discount, id))?;
            links::delete_redemption(c, discount, id)?;
            audit(
                c,
                &actor,
                "delete",
                "discount_redemption",
                &id.to_string(),
                Some(&crate::commerce::discounts::service::json(&before)),
                None,
                now,
            )
        })
        .await
}

/// Removes a discount nothing has redeemed (with its product and user links); one with
/// redemptions is a conflict: expire it instead.
pub async fn delete_discount(state: &AppState, actor: String, id: i64) -> Result<(), CommerceError> {
    state
        .write_at(move |c, now| {
            let d = the_discount(c, id)?;
            if let Some(contract) = crate::b2b::service::contract_of_code(c, id)? {
                return Err(CommerceError::Conflict(format!(
                    "Discount {} is an enrollment code of B2B contract {contract}; the contract manages it.",
                    d.discount_code
                )));
            }
            let tiers = links::tiers(c, id)?.len();
            if tiers > 0 {
                return Err(CommerceError::Conflict(format!(
                    "Discount {} is used by {tiers} financial-assistance tier(s); remove them first.",
                    d.discount_code
                )));
            }
            if !store::delete_unredeemed_discount(c, id)? {
                return Err(CommerceError::Conflict(format!(
                    "Discount {} has been redeemed; set its expiration_date instead of deleting it.",
                    d.discount_code
                )));
            }
            audit(
                c,
                &actor,
                "delete",
                "discount",
                &id.to_string(),
                Some(&shapes::discount(&d)),
                None,
                now,
            )
        })
        .await
}
