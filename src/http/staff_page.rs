//! [`StaffPage`]: the one extractor a staff page handler takes for what every staff page needs
//! (the app state, the staff caller, the page context and the caller's identity).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::auth::StaffAccess;
use super::error::AppError;
use super::page::PageCtx;
use super::page_req::PageReq;
use super::session::Identity;
use crate::state::AppState;

/// A staff page request: [`StaffAccess`] first (a non-staff caller is refused as before), then
/// the [`PageCtx`] for rendering and the caller's [`Identity`].
pub struct StaffPage {
    pub state: AppState,
    pub access: StaffAccess,
    pub ctx: PageCtx,
    pub id: Identity,
}

impl FromRequestParts<AppState> for StaffPage {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let access = StaffAccess::from_request_parts(parts, state).await?;
        let PageReq { state, ctx, id } = PageReq::from_request_parts(parts, state).await?;
        Ok(StaffPage {
            state,
            access,
            ctx,
            id,
        })
    }
}
