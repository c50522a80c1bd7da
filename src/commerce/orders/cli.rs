//! `mitxonline order show REF_OR_ID` (state, purchaser, lines, refunds, what remains) and
//! `mitxonline order refund REF_OR_ID --reason TEXT [--amount X] [--unenroll]`, which refunds
//! through [`refunds::service::refund`] exactly like the staff page (actor `cli`). Bad input
//! exits 2 naming the problem; a refused or unknown gateway answer exits 1.

use crate::commerce::{orders, refunds};
use std::process::ExitCode;

use clap::Subcommand;
use rusqlite::{Connection, OptionalExtension};

use crate::commerce::error::CommerceError;
use crate::commerce::refunds::model::AfterRefund;
use crate::commerce::refunds::model::RefundError;
use crate::commerce::refunds::service::RefundRow;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum OrderCommand {
    /// Print an order: state, purchaser, lines, refunds and the refundable remainder.
    Show {
        /// The order id or its reference number (`mitxonline-<env>-<id>`).
        order: String,
    },
    /// Refund a fulfilled order (all that remains unless --amount) through CyberSource.
    Refund {
        /// The order id or its reference number.
        order: String,
        /// Why (kept with the refund and in the audit log).
        #[arg(long)]
        reason: String,
        /// At most two decimals; defaults to the whole remaining balance.
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        /// Deactivate the enrollments once nothing remains (default: keep them as audit).
        #[arg(long)]
        unenroll: bool,
    },
}

/// An order id from `REF_OR_ID`.
fn find(c: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    let key = key.trim();
    if let Ok(id) = key.parse::<i64>() {
        return c
            .query_row("SELECT id FROM orders WHERE id = ?1", [id], |r| r.get(0))
            .optional();
    }
    c.query_row("SELECT id FROM orders WHERE reference_number = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

struct Shown {
    order: orders::model::OrderRow,
    email: String,
    lines: Vec<orders::model::LineRow>,
    refunds: Vec<RefundRow>,
    remaining: rust_decimal::Decimal,
}

fn load(c: &Connection, id: i64) -> Result<Shown, CommerceError> {
    let order = orders::store::order(c, id)?.ok_or_else(|| CommerceError::NotFound("order".into()))?;
    let email = c.query_row(
        "SELECT email FROM users WHERE id = ?1",
        [order.purchaser_id],
        |r| r.get(0),
    )?;
    Ok(Shown {
        email,
        lines: orders::store::lines(c, id)?,
        refunds: refunds::service::refunds_of(c, id)?,
        remaining: refunds::service::remaining(c, &order)?,
        order,
    })
}

fn print(s: &Shown) {
    let o = &s.order;
    println!("order {} ({})", o.id, o.reference_number);
    println!("state: {}", o.state.as_str());
    println!("purchaser: {} (user {})", s.email, o.purchaser_id);
    println!("total paid: {:.2}", o.total_price_paid);
    println!("created: {}", o.created_on);
    println!("lines:");
    for l in &s.lines {
        println!(
            "  {} x{} at {:.2} (list {:.2})",
            l.description, l.quantity, l.discounted_price, l.unit_price
        );
    }
    println!("refunds:");
    if s.refunds.is_empty() {
        println!("  none");
    }
    for (id, amount, reason, status, txn, when) in &s.refunds {
        println!(
            "  #{id} {amount:.2} {status} {when} gateway {} — {reason}",
            txn.as_deref().unwrap_or("-")
        );
    }
    println!("remaining: {:.2}", s.remaining);
}

async fn resolve(state: &AppState, key: &str) -> anyhow::Result<Option<i64>> {
    let key = key.to_owned();
    Ok(state.db.read(move |c| find(c, &key)).await?)
}

/// Runs `mitxonline order …`.
pub async fn command(command: OrderCommand, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let key = match &command {
        OrderCommand::Show { order } | OrderCommand::Refund { order, .. } => order.clone(),
    };
    let Some(id) = resolve(&state, &key).await? else {
        eprintln!("error: no order with id or reference number `{key}`");
        return Ok(ExitCode::from(2));
    };
    match command {
        OrderCommand::Show { .. } => {}
        OrderCommand::Refund {
            reason,
            amount,
            unenroll,
            ..
        } => {
            let reason = reason.trim().to_owned();
            if reason.is_empty() || reason.len() > 1000 {
                eprintln!("error: --reason: say why the order is refunded (1 to 1000 characters)");
                return Ok(ExitCode::from(2));
            }
            let amount = match amount.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => match refunds::service::parse_amount(raw) {
                    Ok(a) => Some(a),
                    Err(m) => {
                        eprintln!("error: --amount: {m}");
                        return Ok(ExitCode::from(2));
                    }
                },
            };
            let after = if unenroll {
                AfterRefund::Unenroll
            } else {
                AfterRefund::Downgrade
            };
            match refunds::service::refund(&state, id, amount, reason, "cli".into(), after).await {
                Ok(_) => println!("refunded"),
                Err(RefundError::Commerce(CommerceError::Invalid { field, message })) => {
                    eprintln!("error: --{field}: {message}");
                    return Ok(ExitCode::from(2));
                }
                Err(e @ RefundError::NotFulfilled(_)) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    print(&state.db.read(move |c| load(c, id)).await?);
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    print(&state.db.read(move |c| load(c, id)).await?);
    Ok(ExitCode::SUCCESS)
}
