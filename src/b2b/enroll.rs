//! `POST /api/v0/b2b/enroll/{run_key}/` (surface §5.3, the original's `create_b2b_enrollment`):
//! a learner attached to the run's active contract gets a basket of the run's product with an
//! unused enrollment code of it (one is made if none is left); a zero total is checked out at
//! once — a fulfilled zero-value order and a verified enrollment, `b2b-enroll-success` — and
//! anything else answers `b2b-error-requires-checkout` with the price, for the cart. An
//! optional `program_id` (readable id) of the same contract adds a verified program enrollment.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::error::B2bError;
use super::{codes, store, store_codes, store_runs};
use crate::catalog::snapshot::Catalog;
use crate::commerce::basket::model::Owner;
use crate::commerce::checkout::service::{StartOptions, Started};
use crate::commerce::{CommerceError, basket, checkout, orders};
use crate::enrollment::{Actor, Mode};
use crate::state::AppState;
use crate::users::store::User;

fn refuse(result: &'static str) -> B2bError {
    B2bError::Enroll { result, price: None }
}

/// The code the basket gets: the oldest unlimited code or one never used by an order; a new
/// one when none is left.
fn usable_code(
    c: &Connection,
    contract: &super::model::Contract,
    product: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let found = store_codes::codes_for_product(c, contract.id, product)?
        .into_iter()
        .find(|k| k.unlimited || !k.used_in_order);
    match found {
        Some(k) => Ok(k.discount_id),
        None => {
            tracing::warn!(
                contract.id = contract.id,
                product,
                "B2B enroll: had to create a code"
            );
            codes::create_code(c, contract, product, contract.seat_limit().is_none(), now)
        }
    }
}

enum Outcome {
    Success(Option<i64>),
    /// The basket is left ready for the cart.
    RequiresCheckout(Decimal),
}

/// The enrollment; `Ok(order id)` on success (`None` when an enrollment made by staff has no
/// order).
pub async fn enroll(
    state: &AppState,
    cat: std::sync::Arc<Catalog>,
    user: &User,
    run_key: String,
    program: Option<String>,
) -> Result<Option<i64>, B2bError> {
    let env = state.config.environment.clone();
    let user = user.clone();
    let out = state
        .write_queued(move |c, now| -> Result<Outcome, B2bError> {
            let run_id = crate::catalog::service::run_id_by_courseware(c, &run_key)?
                .ok_or_else(|| B2bError::NotFound("No contract course run has this key.".into()))?;
            let facts = crate::catalog::service::run_facts(c, run_id)?
                .ok_or_else(|| B2bError::NotFound("No contract course run has this key.".into()))?;
            let Some(contract_id) = facts.b2b_contract_id else {
                return Err(B2bError::NotFound("No contract course run has this key.".into()));
            };
            let Some(product) = store_runs::run_by_run_id(c, run_id)?.map(|r| r.product_id).or(
                crate::commerce::basket::store::product_for(c, Some(run_id), None)?,
            ) else {
                return Err(refuse("b2b-error-no-product"));
            };
            let contract = store::contract(c, contract_id)?.ok_or_else(|| refuse("b2b-error-no-contract"))?;
            if crate::enrollment::store::find(c, user.id, run_id)?
                .is_some_and(|e| e.active && e.mode == Mode::Verified)
            {
                return Ok(Outcome::Success(orders::store::fulfilled_order_with_product(
                    c, user.id, product,
                )?));
            }
            let attached = store::attached_count(c, contract.id)?;
            if !facts.is_enrollable(now) || contract.seat_limit().is_some_and(|m| attached > m) {
                return Err(refuse("b2b-error-not-enrollable"));
            }
            if !contract.is_active(now) {
                return Err(refuse("b2b-error-no-contract"));
            }
            if !store::is_attached(c, user.id, contract.id)? {
                return Err(refuse("b2b-error-no-contract"));
            }
            let discount = usable_code(c, &contract, product, now)?;
            let owner = Owner::User(user.id);
            let basket_id = basket::store::ensure_basket(c, &owner, now)?;
            basket::store::clear_items(c, basket_id)?;
            basket::store::clear_basket_discount(c, basket_id)?;
            basket::store::upsert_item(c, basket_id, product, 1, now)?;
            basket::store::set_basket_discount(c, basket_id, discount, Some(user.id), now)?;
            let view = basket::service::basket_view(c, basket_id)?;
            if !view.discounted_price.is_zero() {
                return Ok(Outcome::RequiresCheckout(view.discounted_price));
            }
            let opts = StartOptions {
                skip_discount_check: false,
                skip_receipt: true,
            };
            let order = match checkout::service::start_with(c, &cat, user.id, &env, now, opts) {
                Ok(Started::Free { order }) => order,
                Ok(Started::Pay { .. }) => return Ok(Outcome::RequiresCheckout(view.discounted_price)),
                Err(CommerceError::Checkout(_)) => {
                    return Err(B2bError::Enroll {
                        result: "b2b-error-requires-checkout",
                        price: Some(Decimal::ZERO),
                    });
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(readable) = program
                && let Some((pid, _)) = crate::catalog::service::program_by_readable(c, &readable)?
                && store::contract_programs(c, contract.id)?.contains(&pid)
            {
                let actor = Actor::system("b2b enroll");
                if let Err(e) =
                    crate::enrollment::service::enroll_program(c, now, user.id, pid, Mode::Verified, &actor)
                {
                    tracing::warn!(program = %readable, error = %e, "B2B enroll: no program enrollment");
                }
            }
            Ok(Outcome::Success(Some(order.id)))
        })
        .await?;
    match out {
        Outcome::Success(order) => Ok(order),
        Outcome::RequiresCheckout(price) => Err(B2bError::Enroll {
            result: "b2b-error-requires-checkout",
            price: Some(price),
        }),
    }
}
