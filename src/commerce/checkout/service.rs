//! Orders (surface §3.3–3.5): the checkout gates, pending-order reuse, zero-value orders
//! fulfilled at once, and the payment result applied to a pending order — idempotently,
//! because every write runs on the one writer thread, where reading the order and changing
//! it is one atomic step (the original's `select_for_update`).

use crate::commerce::{basket, checkout, discounts, orders};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::commerce::basket::model::Owner;
use crate::commerce::error::CommerceError;
use crate::commerce::orders::integrity::{self, Evidence};
use crate::commerce::orders::model::LineRow;
use crate::commerce::orders::model::OrderRow;
use crate::commerce::orders::model::OrderState;

use crate::catalog::snapshot::Catalog;
use crate::db::DbError;
use crate::integrations::cybersource::{Decision, ProcessorResponse};

/// What starting a checkout produced.
#[derive(Debug, Clone)]
pub enum Started {
    /// A pending order to pay at the gateway.
    Pay {
        order: OrderRow,
        lines: Vec<LineRow>,
        basket_id: i64,
    },
    /// The total was zero: the order is already fulfilled.
    Free { order: OrderRow },
}

/// How a checkout is started. The verified-program flow sets both: its discount is bound to the
/// program's product, not the run in the basket (the original's `skip_discount_check`), and
/// its zero-value order sends no receipt (`skip_receipt`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    pub skip_discount_check: bool,
    pub skip_receipt: bool,
}

/// `generate_checkout_payload` up to the gateway: the gates, then a pending order (reused when
/// one of this user's has exactly the same product versions) with fresh lines, redemptions and
/// total.
pub fn start(
    c: &Connection,
    cat: &Catalog,
    user: i64,
    environment: &str,
    now: DateTime<Utc>,
) -> Result<Started, CommerceError> {
    start_with(c, cat, user, environment, now, StartOptions::default())
}

/// [`start`] with [`StartOptions`].
pub fn start_with(
    c: &Connection,
    cat: &Catalog,
    user: i64,
    environment: &str,
    now: DateTime<Utc>,
    opts: StartOptions,
) -> Result<Started, CommerceError> {
    let Some(basket) = basket::service::find_basket(c, &Owner::User(user))? else {
        return Err(CommerceError::Checkout("basket-empty"));
    };
    if basket.items.is_empty() {
        return Err(CommerceError::Checkout("basket-empty"));
    }
    for item in &basket.items {
        if let Some(course) = item.product.course_id
            && orders::store::blocked_in(c, user, course)?
        {
            return Err(CommerceError::Checkout("enroll-blocked"));
        }
    }
    for item in &basket.items {
        if item.product.course_run_id.is_some() && orders::store::has_paid_for(c, user, item.product.id)? {
            return Err(CommerceError::Checkout("enroll-duplicated"));
        }
    }
    // The original checks the first item only; we check every run in the basket (fixed: a
    // run that cannot be upgraded is never paid for, wherever it sits in the basket).
    for item in &basket.items {
        if let Some(run) = item.product.course_run_id
            && !upgradable(cat, run, now)
        {
            return Err(CommerceError::Checkout("course-non-upgradable"));
        }
    }
    if let Some(code) = b2b_gate(c, cat, &basket, user)? {
        return Err(CommerceError::Checkout(code));
    }
    let mut versions: Vec<i64> = basket.items.iter().map(|i| i.product.version_id).collect();
    versions.sort_unstable();
    let mut reuse = None;
    for o in orders::store::pending_orders(c, user)? {
        if orders::store::line_versions(c, o.id)? == versions {
            reuse = Some(o.id);
            break;
        }
    }
    if !opts.skip_discount_check
        && let Some(d) = &basket.discount
        && basket::service::usable(c, d, Some(user), &basket.product_ids(), reuse, now)?.is_err()
    {
        basket::store::clear_basket_discount(c, basket.id)?;
        basket::service::apply_auto_discounts(c, basket.id, user, now)?;
        return Err(CommerceError::Checkout("discount-invalid"));
    }
    let order_id = match reuse {
        Some(id) => {
            orders::store::clear_redemptions(c, id)?;
            id
        }
        None => orders::store::insert_order(c, user, environment, now)?,
    };
    let lines: Vec<(i64, i64, u32, Decimal)> = basket
        .items
        .iter()
        .map(|i| {
            (
                i.product.id,
                i.product.version_id,
                i.quantity,
                i.discounted_price / Decimal::from(i.quantity),
            )
        })
        .collect();
    orders::store::replace_lines(c, order_id, &lines)?;
    if let Some(d) = &basket.discount {
        orders::store::add_redemption(c, order_id, d.id, user, now)?;
    }
    let total = discounts::rules::order_total(basket.items.iter().map(|i| i.discounted_price));
    orders::store::set_total(c, order_id, total, now)?;
    if total.is_zero() {
        let id = format!("zero-{}", uuid::Uuid::new_v4().simple());
        fulfil_with_receipt(
            c,
            order_id,
            &id,
            Decimal::ZERO,
            &serde_json::json!({}),
            "zero-value order",
            now,
            !opts.skip_receipt,
        )?;
        let order =
            orders::store::order(c, order_id)?.ok_or_else(|| CommerceError::NotFound("order".into()))?;
        return Ok(Started::Free { order });
    }
    let order = orders::store::order(c, order_id)?.ok_or_else(|| CommerceError::NotFound("order".into()))?;
    Ok(Started::Pay {
        order,
        lines: orders::store::lines(c, order_id)?,
        basket_id: basket.id,
    })
}

/// The catalog's rule on the current snapshot (`CourseRun::is_upgradable`): live, upgrade
/// deadline unset or ahead, a product, and the verified mode. A run missing from the snapshot
/// is not upgradable.
/// The original's B2B gates: a run of an active contract can only be bought with an
/// enrollment code (a discount bound to that run's product), unless the learner is attached to
/// that contract and it is free (the B2B module answers). No code → `b2b-error-missing-
/// enrollment-code`; a code not bound to every such run's product → `b2b-invalid-basket`.
fn b2b_gate(
    c: &Connection,
    cat: &Catalog,
    basket: &basket::service::BasketView,
    user: i64,
) -> Result<Option<&'static str>, CommerceError> {
    let mut contract_products: Vec<i64> = Vec::new();
    for i in &basket.items {
        let contract = i
            .product
            .course_run_id
            .and_then(|run| cat.run_by_id.get(&run))
            .and_then(|&idx| cat.runs[idx].b2b_contract_id);
        if let Some(k) = contract
            && !crate::b2b::service::attached_to_free_contract(c, user, k)?
        {
            contract_products.push(i.product.id);
        }
    }
    if contract_products.is_empty() {
        return Ok(None);
    }
    let Some(d) = &basket.discount else {
        return Ok(Some("b2b-error-missing-enrollment-code"));
    };
    let bound = discounts::store::discount_products(c, d.id)?;
    if contract_products.iter().all(|p| bound.contains(p)) {
        Ok(None)
    } else {
        Ok(Some("b2b-invalid-basket"))
    }
}

/// The catalog's `is_upgradable` for a run id (false for a run not in the catalog): the one
/// rule both checkout and the verified-program flow use.
pub fn upgradable(cat: &Catalog, run: i64, now: DateTime<Utc>) -> bool {
    cat.run_by_id
        .get(&run)
        .map(|&i| &cat.runs[i])
        .is_some_and(|r| r.is_upgradable(now, cat.has_verified(r)))
}

/// What a gateway result did to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The order moved to this state.
    Changed(OrderState),
    /// The order was not pending; nothing changed (replay, race, late result).
    Unchanged(OrderState),
}

impl Applied {
    pub fn state(self) -> OrderState {
        match self {
            Applied::Changed(s) | Applied::Unchanged(s) => s,
        }
    }
}

/// Applies a verified, posted gateway result to the order. `None` when there is no such order.
/// Only a pending order changes, and only as the result says when its signed amount, currency,
/// reference and transaction uuid match the last checkout form issued for the order; any other
/// result holds the order for review ([`integrity::hold_for_review`]). A matching ACCEPT (or
/// reason 100) fulfils — unless the purchaser already paid for one of its products in another
/// order, when it is held for review with the payment recorded
/// ([`orders::duplicates::hold`]); DECLINE declines and frees the order's discount redemptions; ERROR
/// errors; CANCEL and REVIEW (and anything else) cancel.
pub fn apply_result(
    c: &Connection,
    order_id: i64,
    response: &ProcessorResponse,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Option<Applied>, CommerceError> {
    apply_checked(c, order_id, response, data, Some(Evidence::Posted), now)
}

/// [`apply_result`] for a result from `evidence`; `None` for our own conclusion (the
/// resolution job cancelling an order the gateway never saw paid), which has nothing to compare.
pub fn apply_checked(
    c: &Connection,
    order_id: i64,
    response: &ProcessorResponse,
    data: &serde_json::Value,
    evidence: Option<Evidence>,
    now: DateTime<Utc>,
) -> Result<Option<Applied>, CommerceError> {
    let Some(order) = orders::store::order(c, order_id)? else {
        return Ok(None);
    };
    if order.state != OrderState::Pending {
        return Ok(Some(Applied::Unchanged(order.state)));
    }
    // A payment is only ever taken from evidence; one without any is compared as if posted.
    let evidence = evidence.or(response.is_paid().then_some(Evidence::Posted));
    if let Some(evidence) = evidence {
        let issued = integrity::last_issued(c, order.id)?;
        let differ = integrity::mismatches(issued.as_ref(), response, evidence);
        if !differ.is_empty() {
            integrity::hold_for_review(c, order.id, &differ, issued.as_ref(), response, now)?;
            return Ok(Some(Applied::Changed(OrderState::Review)));
        }
    }
    let reason = format!("gateway {} {}", response.decision.as_str(), response.reason_code);
    let to = if response.is_paid() {
        let amount = response
            .amount
            .as_deref()
            .and_then(|a| a.parse::<Decimal>().ok())
            .unwrap_or(order.total_price_paid);
        let id = if response.transaction_id.is_empty() {
            format!("missing-{}", uuid::Uuid::new_v4().simple())
        } else {
            response.transaction_id.clone()
        };
        let paid = orders::duplicates::already_paid(c, &order)?;
        if !paid.is_empty() {
            orders::duplicates::hold(c, order.id, &paid, &id, amount, data, now)?;
            return Ok(Some(Applied::Changed(OrderState::Review)));
        }
        fulfil_with_receipt(c, order.id, &id, amount, data, &reason, now, true)?;
        OrderState::Fulfilled
    } else {
        let to = match response.decision {
            Decision::Decline => OrderState::Declined,
            Decision::Error => OrderState::Errored,
            _ => OrderState::Canceled,
        };
        if orders::store::transition(c, order.id, OrderState::Pending, to, &reason, now)?
            && to == OrderState::Declined
        {
            orders::store::clear_redemptions(c, order.id)?;
        }
        to
    };
    Ok(Some(Applied::Changed(to)))
}

/// pending → fulfilled: the payment transaction, each line's enrollment and paid record, the
/// receipt mail (only when `receipt`) and the basket (if it still holds what was bought) — all
/// in this transaction.
#[allow(clippy::too_many_arguments)]
pub fn fulfil_with_receipt(
    c: &Connection,
    order_id: i64,
    transaction_id: &str,
    amount: Decimal,
    data: &serde_json::Value,
    reason: &str,
    now: DateTime<Utc>,
    receipt: bool,
) -> Result<bool, CommerceError> {
    if !orders::store::transition(
        c,
        order_id,
        OrderState::Pending,
        OrderState::Fulfilled,
        reason,
        now,
    )? {
        return Ok(false);
    }
    let order = orders::store::order(c, order_id)?.ok_or_else(|| CommerceError::NotFound("order".into()))?;
    orders::store::insert_transaction(c, transaction_id, order_id, amount, data, "payment", "", now)?;
    let lines = orders::store::lines(c, order_id)?;
    for line in &lines {
        checkout::fulfilment::grant(c, order.purchaser_id, order_id, line, now)?;
    }
    if receipt {
        crate::commerce::orders::mails::queue_receipt(c, &order, &lines, now)?;
    }
    if let Some(b) = basket::store::basket_id(c, &Owner::User(order.purchaser_id))? {
        let mut held: Vec<i64> = basket::store::basket_items(c, b)?.iter().map(|i| i.1).collect();
        let mut bought: Vec<i64> = lines.iter().map(|l| l.product_id).collect();
        held.sort_unstable();
        bought.sort_unstable();
        if held == bought {
            basket::store::delete_basket(c, b)?;
        }
    }
    Ok(true)
}

/// Orders that stayed pending (lost callbacks) for the resolution job.
pub fn stale_pending(c: &Connection, before: DateTime<Utc>) -> Result<Vec<OrderRow>, DbError> {
    Ok(orders::store::stale_pending(c, before, 200)?)
}
