//! The registry of OAuth2 client applications (the staff page's use cases) and the
//! authorization codes issued to them on consent.

use super::store::{self, Application};
use crate::db::DbError;
use crate::state::AppState;

/// Checks a new application's name and redirect URIs (absolute http(s), no fragment);
/// returns the trimmed name and URIs, or a message per field.
pub fn validate_new_app(
    name: &str,
    redirect_uris: &[String],
) -> Result<(String, Vec<String>), std::collections::BTreeMap<String, Vec<String>>> {
    let mut errors = std::collections::BTreeMap::new();
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert(
            "name".to_owned(),
            vec!["Must have 1 to 100 characters.".to_owned()],
        );
    }
    let uris: Vec<String> = redirect_uris
        .iter()
        .flat_map(|u| u.split_whitespace())
        .map(str::to_owned)
        .collect();
    let bad = uris.iter().find(|u| {
        url::Url::parse(u).map_or(true, |p| {
            !matches!(p.scheme(), "http" | "https") || p.fragment().is_some() || p.host().is_none()
        })
    });
    if uris.is_empty() {
        errors.insert(
            "redirect_uris".to_owned(),
            vec!["At least one redirect URI is required.".to_owned()],
        );
    } else if let Some(b) = bad {
        errors.insert(
            "redirect_uris".to_owned(),
            vec![format!(
                "`{b}` is not an absolute http(s) URL without a fragment."
            )],
        );
    }
    if errors.is_empty() {
        Ok((name, uris))
    } else {
        Err(errors)
    }
}

/// Every registered application.
pub async fn list(state: &AppState) -> Result<Vec<Application>, DbError> {
    state.db.read(|c| Ok(store::list_apps(c)?)).await
}

/// The application with this `client_id`, if any.
pub async fn find(state: &AppState, client_id: String) -> Result<Option<Application>, DbError> {
    state.db.read(move |c| Ok(store::find_app(c, &client_id)?)).await
}

/// Registers an application (validated by [`validate_new_app`]) and audits who did it;
/// the row and its secret (shown once), or `None` when the name is taken.
pub async fn create(
    state: &AppState,
    actor: String,
    name: String,
    uris: Vec<String>,
    skip_authorization: bool,
) -> Result<Option<(Application, String)>, DbError> {
    state.write_at(move |c, now| {
            if store::find_app_by_name(c, &name)?.is_some() {
                return Ok(None);
            }
            let (app, secret) = store::create_app(c, &name, &uris, skip_authorization, now)?;
            let after = serde_json::json!({"name": app.name, "client_id": app.client_id, "redirect_uris": app.redirect_uris, "skip_authorization": skip_authorization});
            let id = app.id.to_string();
            crate::audit::by_staff(c, &actor, "oauth2_application.create", "oauth2_application", &id, Some(&after), now)?;
            Ok::<_, DbError>(Some((app, secret)))
        })
        .await
}

/// What a consented authorization request grants: the code is bound to all of it.
pub struct CodeGrant {
    pub app_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
}

/// Issues a one-time authorization code (valid [`super::service::CODE_TTL`]).
pub async fn issue_code(state: &AppState, g: CodeGrant) -> Result<String, DbError> {
    state
        .write_at(move |c, now| {
            Ok(store::create_code(
                c,
                g.app_id,
                g.user_id,
                &g.redirect_uri,
                &g.scope,
                g.code_challenge.as_deref(),
                g.nonce.as_deref(),
                super::service::CODE_TTL,
                now,
            )?)
        })
        .await
}
