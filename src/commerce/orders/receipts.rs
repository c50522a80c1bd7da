//! `/orders/receipt/by-run/{id}/` and `/orders/receipt/by-program/{id}/` (surface §2.5): the
//! dashboard's "view receipt" links. They redirect (302) to the receipt page of the learner's
//! latest fulfilled order holding that run's or program's product, or answer the 404 page.
//! Anonymous visitors go to the login page first, like every private page.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};

use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::session::SignedIn;
use crate::state::AppState;

/// What the receipt is looked up by.
#[derive(Debug, Clone, Copy)]
enum Bought {
    Run(i64),
    Program(i64),
}

/// The newest fulfilled order of `user` with a line for the run's / program's product.
fn latest_fulfilled(c: &Connection, user: i64, bought: Bought) -> rusqlite::Result<Option<i64>> {
    let (column, id) = match bought {
        Bought::Run(id) => ("course_run_id", id),
        Bought::Program(id) => ("program_id", id),
    };
    c.prepare_cached(&format!(
        "SELECT o.id FROM orders o
         JOIN order_lines l ON l.order_id = o.id
         JOIN products p ON p.id = l.product_id
         WHERE o.purchaser_id = ?1 AND o.state = 'fulfilled' AND p.{column} = ?2
         ORDER BY o.created_on DESC, o.id DESC LIMIT 1"
    ))?
    .query_row(params![user, id], |r| r.get(0))
    .optional()
}

async fn redirect(state: &AppState, ctx: &PageCtx, user: i64, bought: Bought) -> Result<Response, AppError> {
    let order = state
        .db
        .read(move |c| latest_fulfilled(c, user, bought))
        .await?
        .ok_or_else(|| AppError::NotFound("You have no receipt for this purchase.".into()))?;
    let to = ctx.prefix.url(&format!("/orders/receipt/{order}/"));
    Ok((StatusCode::FOUND, [(header::LOCATION, to)]).into_response())
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::not_found())
}

/// GET `/orders/receipt/by-run/{id}/`.
pub async fn by_run(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    redirect(&state, &ctx, user.id, Bought::Run(parse_id(&id)?)).await
}

/// GET `/orders/receipt/by-program/{id}/`.
pub async fn by_program(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    redirect(&state, &ctx, user.id, Bought::Program(parse_id(&id)?)).await
}
