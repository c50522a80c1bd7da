//! Small maud helpers shared by the identity pages: labelled fields with their errors, the
//! CSRF hidden input, and (re-exported) the one `next` rule, [`crate::http::redirect`].

use maud::{Markup, html};

use super::model::FieldErrors;

pub fn csrf_input(token: &Option<String>) -> Markup {
    html! { input type="hidden" name="csrfmiddlewaretoken" value=[token.as_deref()]; }
}

fn errors_for<'a>(errors: &'a FieldErrors, key: &str) -> &'a [String] {
    errors.get(key).map_or(&[], Vec::as_slice)
}

/// A labelled `<input>`; `key` is the error path, `name` the form field.
pub fn input(
    kind: &str,
    name: &str,
    key: &str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
    attrs: &str,
) -> Markup {
    let errs = errors_for(errors, key);
    let id = format!("f-{}", name.replace('.', "-"));
    let err_id = format!("{id}-error");
    html! {
        div class="field" {
            label for=(id) { (label) }
            input id=(id) type=(kind) name=(name) value=(value)
                required[attrs.contains("required")]
                autocomplete=[attrs.split(' ').find_map(|a| a.strip_prefix("autocomplete:"))]
                aria-invalid=[(!errs.is_empty()).then_some("true")]
                aria-describedby=[(!errs.is_empty()).then_some(err_id.as_str())];
            @if !errs.is_empty() {
                p class="field-error" id=(err_id) { @for e in errs { (e) " " } }
            }
        }
    }
}

/// A labelled `<select>` over (value, label) pairs, with an empty first option.
pub fn select(
    name: &str,
    key: &str,
    label: &str,
    value: &str,
    options: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    let errs = errors_for(errors, key);
    let id = format!("f-{}", name.replace('.', "-"));
    html! {
        div class="field" {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[(!errs.is_empty()).then_some("true")] {
                option value="" { "----" }
                @for (v, l) in options {
                    option value=(v) selected[v == value] { (l) }
                }
            }
            @if !errs.is_empty() { p class="field-error" { @for e in errs { (e) " " } } }
        }
    }
}

/// Errors that belong to no shown field.
pub fn other_errors(errors: &FieldErrors, shown: &[&str]) -> Markup {
    let rest: Vec<&String> = errors
        .iter()
        .filter(|(k, _)| !shown.contains(&k.as_str()))
        .flat_map(|(_, v)| v)
        .collect();
    html! {
        @if !rest.is_empty() {
            div class="notice error" role="alert" { @for e in rest { p { (e) } } }
        } @else if !errors.is_empty() {
            div class="notice error" role="alert" { p { "Please correct the highlighted fields." } }
        }
    }
}

pub use crate::http::redirect::safe_next;
