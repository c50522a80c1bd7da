//! What every HTML page needs to know about its request: the path prefix for links, the
//! signed-in user (filled by the identity module) and the CSRF token for forms.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::state::AppState;

/// The public path prefix (`""` or `/mitxonline`), put in request extensions by the router.
#[derive(Clone, Debug, Default)]
pub struct Prefix(pub String);

impl Prefix {
    /// A site-relative link that works behind the gateway (`/mitxonline/catalog/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

/// The viewer, as the layout shows them.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub name: String,
    pub is_staff: bool,
}

/// Per-request context for rendering pages.
#[derive(Clone, Debug, Default)]
pub struct PageCtx {
    pub prefix: Prefix,
    pub viewer: Option<Viewer>,
    pub csrf_token: Option<String>,
}

impl PageCtx {
    /// The hidden `csrfmiddlewaretoken` input for a POST form (nothing when there is no token).
    pub fn csrf_field(&self) -> maud::Markup {
        maud::html! { @if let Some(t) = &self.csrf_token { input type="hidden" name="csrfmiddlewaretoken" value=(t); } }
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(PageCtx {
            prefix: parts.extensions.get::<Prefix>().cloned().unwrap_or_default(),
            viewer: parts.extensions.get::<Viewer>().cloned(),
            csrf_token: parts
                .extensions
                .get::<super::session::Identity>()
                .map(super::session::Identity::csrf_token),
        })
    }
}
