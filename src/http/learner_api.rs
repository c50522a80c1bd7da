//! [`LearnerApi`]: the one extractor for a learner's catalog-backed API call (the app state, the
//! catalog snapshot and the signed-in user).

use std::sync::Arc;

use axum::extract::{Extension, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::extract::CurrentUser;
use crate::catalog::CatalogCache;
use crate::state::AppState;
use crate::users::store::User;

/// The catalog cache extension first, then [`CurrentUser`] (403 without one), as the handlers
/// took them one by one.
pub struct LearnerApi {
    pub state: AppState,
    pub cache: Arc<CatalogCache>,
    pub user: User,
}

impl FromRequestParts<AppState> for LearnerApi {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Extension(cache) = Extension::<Arc<CatalogCache>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(LearnerApi {
            state: state.clone(),
            cache,
            user,
        })
    }
}
