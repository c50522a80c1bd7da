//! What the console's forms share: the posted fields (repeated names kept, for checkbox
//! groups), field renderers with their inline errors, and the one rule for a post's answer —
//! a redirect when it worked, the form again with the error next to its field (400, or 502
//! when Open edX failed), nothing changed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::service::AdminError;
use crate::http::{AppError, PageCtx};
use crate::users::model::FieldErrors;

pub use crate::users::forms::{input, select};

/// The fields of an `application/x-www-form-urlencoded` body, in order.
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &str) -> FormData {
        FormData(
            url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect(),
        )
    }
    /// The first value of `name` ("" when absent).
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// A checkbox: present with any value but "" or "off".
    pub fn flag(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|(k, v)| k == name && !v.is_empty() && v != "off")
    }
}

/// A failed post the form can show: the field errors and the status to answer with.
pub struct Shown {
    pub errors: FieldErrors,
    pub status: StatusCode,
}

/// Splits a write's result: `Ok(Ok(v))` when it worked, `Ok(Err(shown))` when the form should
/// be shown again with the error, `Err` for anything else.
pub fn split<T>(r: Result<T, AdminError>) -> Result<Result<T, Shown>, AppError> {
    let shown = |field: &str, message: String, status| {
        Ok(Err(Shown {
            errors: FieldErrors::from([(field.to_owned(), vec![message])]),
            status,
        }))
    };
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AdminError::Invalid { field, message }) => shown(field, message, StatusCode::BAD_REQUEST),
        Err(AdminError::Edx(m)) => shown("openedx", m, StatusCode::BAD_GATEWAY),
        Err(e) => Err(e.into()),
    }
}

impl Shown {
    pub fn page(self, page: Markup) -> Response {
        (self.status, page).into_response()
    }
}

/// A 303 to a console path.
pub fn see(ctx: &PageCtx, path: &str) -> Response {
    Redirect::to(&ctx.prefix.url(path)).into_response()
}

/// Every error, each naming its field, above the form.
pub fn summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="notice error" role="alert" {
                @for (field, messages) in errors { @for m in messages { p { strong { (field) } ": " (m) } } }
            }
        }
    }
}

fn field_error(name: &str, errors: &FieldErrors) -> Markup {
    html! {
        @if let Some(m) = errors.get(name) {
            p class="field-error" id=(format!("f-{name}-error")) { @for e in m { (e) " " } }
        }
    }
}

pub fn text(name: &str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    input("text", name, name, label, value, errors, "")
}

pub fn required_text(name: &str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    input("text", name, name, label, value, errors, "required")
}

pub fn checkbox(name: &str, label: &str, checked: bool, errors: &FieldErrors) -> Markup {
    html! {
        div class="field" {
            label { input type="checkbox" name=(name) value="on" checked[checked]; " " (label) }
            (field_error(name, errors))
        }
    }
}

/// A group of checkboxes sharing `name`, one per `(value, label)`.
pub fn checkboxes(
    name: &str,
    legend: &str,
    options: &[(String, String)],
    checked: &[String],
    errors: &FieldErrors,
) -> Markup {
    html! {
        fieldset class="field" {
            legend { (legend) }
            @if options.is_empty() { p class="muted" { "None defined yet." } }
            @for (value, label) in options {
                label { input type="checkbox" name=(name) value=(value) checked[checked.contains(value)]; " " (label) } " "
            }
            (field_error(name, errors))
        }
    }
}

pub fn textarea(name: &str, label: &str, value: &str, hint: &str, errors: &FieldErrors) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3" aria-invalid=[errors.contains_key(name).then_some("true")] { (value) }
            @if !hint.is_empty() { span class="muted" { (hint) } }
            (field_error(name, errors))
        }
    }
}

/// A POST form to `action` with the CSRF field, `body` and a submit button.
pub fn post_form(ctx: &PageCtx, action: &str, body: Markup, button: &str) -> Markup {
    html! {
        form method="post" action=(ctx.prefix.url(action)) {
            (ctx.csrf_field())
            (body)
            button type="submit" { (button) }
        }
    }
}

/// `(value, label)` pairs with the value as its own label, the empty value left out (the
/// select offers it first).
pub fn plain_options(values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| (v.to_string(), v.to_string()))
        .collect()
}
