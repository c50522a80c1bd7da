//! The `resolve-pending-refunds` job: refunds left `pending` because CyberSource's answer was
//! lost (see [`super::partial_refunds`]) are settled from what CyberSource (or the sandbox)
//! shows about the order's payment — never by asking for a new refund.
//!
//! For each order with a refund pending longer than `min_age`, the job lists the payment's
//! refunds at the gateway ([`RestClient::find_refunds`]), drops those already recorded, and
//! pairs each pending refund (oldest first) with a successful gateway refund of the same
//! amount: that refund is settled `done` with the gateway's id. A pending refund with no
//! match is settled `failed` (its amount released) only once it is a day old and the gateway
//! answered; otherwise — or when the gateway cannot be asked — it stays pending and is
//! counted as undecided in the job's detail line.
//!
//! [`RestClient::find_refunds`]: crate::integrations::cybersource::RestClient::find_refunds

use crate::commerce::{orders, refunds};
use std::collections::{BTreeMap, HashSet};

use chrono::Duration;
use rust_decimal::Decimal;

use crate::commerce::error::CommerceError;
use crate::commerce::refunds::model::AfterRefund;

use crate::db::from_row;
use crate::integrations::cybersource::CyberSource;
use crate::state::AppState;

/// The actor recorded on refunds this job settles.
pub const ACTOR: &str = "job:resolve-pending-refunds";

/// A pending refund old enough to resolve.
struct Stale {
    id: i64,
    order: i64,
    amount: Decimal,
    created_on: String,
}

/// What the job needs about one order.
struct OrderInfo {
    reference: String,
    payment: Option<String>,
    /// Gateway refund ids already recorded on this order.
    known: HashSet<String>,
}

fn stale(c: &rusqlite::Connection, before: &str) -> rusqlite::Result<Vec<Stale>> {
    c.prepare(
        "SELECT id, order_id, amount, created_on FROM order_refunds
          WHERE status = 'pending' AND created_on < ?1 ORDER BY id",
    )?
    .query_map([before], |r| {
        from_row!(
            r,
            Stale {
                id,
                order,
                amount: (|s: String| s.parse().unwrap_or_default()),
                created_on
            }
        )
    })?
    .collect()
}

fn order_info(c: &rusqlite::Connection, order: i64) -> Result<OrderInfo, CommerceError> {
    let o = orders::store::order(c, order)?.ok_or_else(|| CommerceError::NotFound("order".into()))?;
    let txns = orders::store::transactions(c, order)?;
    let mut known: HashSet<String> = txns
        .iter()
        .filter(|t| t.3 == "refund")
        .map(|t| t.0.clone())
        .collect();
    for r in refunds::service::refunds_of(c, order)? {
        known.extend(r.4);
    }
    Ok(OrderInfo {
        reference: o.reference_number,
        payment: txns.into_iter().find(|t| t.3 == "payment").map(|t| t.0),
        known,
    })
}

/// Runs the job once; returns its detail line.
pub async fn resolve_pending_refunds(state: &AppState, min_age: Duration) -> anyhow::Result<String> {
    let now = state.clock.now();
    let before = crate::clock::to_db(now - min_age);
    let pending = state.db.read(move |c| stale(c, &before)).await?;
    if pending.is_empty() {
        return Ok("no pending refunds to resolve".into());
    }
    let mut by_order: BTreeMap<i64, Vec<Stale>> = BTreeMap::new();
    for p in pending {
        by_order.entry(p.order).or_default().push(p);
    }
    let client = CyberSource::from_config(&state.config).rest_client(state.http_client.clone())?;
    let (mut done, mut failed, mut undecided) = (0, 0, 0);
    let mut errors: Vec<String> = Vec::new();
    for (order, refunds) in by_order {
        let info = state.db.read(move |c| order_info(c, order)).await?;
        let found = match client
            .find_refunds(&info.reference, info.payment.as_deref(), now)
            .await
        {
            Ok(f) => f,
            Err(e) => {
                undecided += refunds.len();
                errors.push(format!("order {order}: {e}"));
                continue;
            }
        };
        let mut unused: Vec<_> = found
            .into_iter()
            .filter(|f| f.succeeded && !info.known.contains(&f.id))
            .collect();
        for r in refunds {
            let matched = unused.iter().position(|f| f.amount == Some(r.amount));
            let outcome = match matched {
                Some(i) => Some(Some(unused.remove(i).id)),
                None if crate::clock::from_db(&r.created_on).is_some_and(|t| t < now - Duration::days(1)) => {
                    Some(None)
                }
                None => None,
            };
            let Some(settle_as) = outcome else {
                undecided += 1;
                continue;
            };
            let is_done = settle_as.is_some();
            match refunds::service::settle(
                state,
                order,
                r.id,
                settle_as,
                ACTOR.into(),
                AfterRefund::Downgrade,
            )
            .await
            {
                Ok(_) if is_done => done += 1,
                Ok(_) => failed += 1,
                // Settled meanwhile by staff: nothing to count.
                Err(e) => errors.push(format!("refund {}: {e}", r.id)),
            }
        }
    }
    let mut line = format!(
        "settled {done} as done, {failed} as failed; {undecided} still pending (the gateway could not tell)"
    );
    if !errors.is_empty() {
        line.push_str(&format!("; {}", errors.join("; ")));
    }
    Ok(line)
}
