//! `/orders/receipt/by-run/{id}/` and `/orders/receipt/by-program/{id}/` (surface §2.5): the
//! dashboard's "view receipt" links. They redirect (302) to the receipt page of the learner's
//! latest fulfilled order holding that run's or program's product, or answer the 404 page.
//! Anonymous visitors go to the login page first, like every private page.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::commerce::orders;
use crate::commerce::orders::store::Bought;
use crate::http::error::AppError;
use crate::http::page::PageCtx;
use crate::http::session::SignedIn;
use crate::state::AppState;

async fn redirect(state: &AppState, ctx: &PageCtx, user: i64, bought: Bought) -> Result<Response, AppError> {
    let order = orders::service::latest_receipt(state, user, bought)
        .await?
        .ok_or_else(|| AppError::NotFound("You have no receipt for this purchase.".into()))?;
    let to = ctx.prefix.url(&format!("/orders/receipt/{order}/"));
    Ok((StatusCode::FOUND, [(header::LOCATION, to)]).into_response())
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    crate::http::extract::path_id(id)
}

/// GET `/orders/receipt/by-run/{id}/` (`PROGRAM` false) and `/orders/receipt/by-program/{id}/`.
pub async fn by_product<const PROGRAM: bool>(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let bought = if PROGRAM {
        Bought::Program(id)
    } else {
        Bought::Run(id)
    };
    redirect(&state, &ctx, user.id, bought).await
}
