//! The staff editor's form model: which fields each page type has, how a submitted form
//! becomes page content (naming any bad field), and how a field is rendered.

use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::model::{PageContent, PageType, Section};
use super::service::CmsError;
use crate::http::AppError;
use crate::http::error::ErrorInfo;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Text,
    Area,
    Int,
    Money,
    Bool,
    Ids,
    Image,
}

use Kind::*;
use PageType as T;

pub(super) const PRODUCT: &[T] = &[T::Course, T::Program];

/// (field, label, kind, page types that use it; empty = all).
pub(super) const FIELDS: &[(&str, &str, Kind, &[T])] = &[
    ("title", "Title", Text, &[]),
    ("hero_title", "Hero title", Text, &[T::Home]),
    ("hero_subtitle", "Hero subtitle", Area, &[T::Home]),
    (
        "product_section_title",
        "Featured section title",
        Text,
        &[T::Home],
    ),
    ("message", "Banner message", Area, &[T::Banner]),
    ("name", "Name", Text, &[T::Instructor, T::Signatory]),
    ("title_1", "Title line 1", Text, &[T::Instructor, T::Signatory]),
    ("title_2", "Title line 2", Text, &[T::Signatory]),
    ("title_3", "Title line 3", Text, &[T::Signatory]),
    ("organization", "Organization", Text, &[T::Signatory]),
    ("signature_image_id", "Signature image id", Image, &[T::Signatory]),
    ("bio_short", "Short bio", Area, &[T::Instructor]),
    ("bio_long", "Long bio", Area, &[T::Instructor]),
    ("product_name", "Product name", Text, &[T::Certificate]),
    ("ceus", "CEUs", Text, &[T::Certificate]),
    (
        "signatory_ids",
        "Signatory page ids (comma separated, 1 to 7)",
        Ids,
        &[T::Certificate],
    ),
    (
        "verifiable_credential_criteria",
        "Verifiable credential criteria (the credential's narrative; none is issued without it)",
        Area,
        &[T::Certificate],
    ),
    (
        "should_provision_verifiable_credential",
        "Issue verifiable credentials for these certificates",
        Bool,
        &[T::Certificate],
    ),
    ("description", "Description", Area, PRODUCT),
    ("what_you_learn", "What you'll learn", Area, PRODUCT),
    ("about", "About", Area, PRODUCT),
    ("prerequisites", "Prerequisites", Area, PRODUCT),
    ("length", "Length (e.g. 12 weeks)", Text, PRODUCT),
    ("effort", "Effort (e.g. 5–8 hours per week)", Text, PRODUCT),
    ("min_weekly_hours", "Minimum weekly hours", Text, PRODUCT),
    ("max_weekly_hours", "Maximum weekly hours", Text, PRODUCT),
    ("min_weeks", "Minimum weeks", Int, PRODUCT),
    ("max_weeks", "Maximum weeks", Int, PRODUCT),
    ("min_price", "Minimum price", Money, PRODUCT),
    ("max_price", "Maximum price", Money, PRODUCT),
    ("list_price", "List price", Money, &[T::Program]),
    ("price_text", "Price text", Text, PRODUCT),
    ("price_link", "Price link", Text, PRODUCT),
    ("faq_url", "FAQ URL", Text, PRODUCT),
    ("video_url", "Video URL", Text, PRODUCT),
    (
        "financial_assistance_form_url",
        "Financial assistance form URL",
        Text,
        PRODUCT,
    ),
    (
        "feature_image_id",
        "Feature image id",
        Image,
        &[T::Course, T::Program, T::Instructor, T::Home, T::Resource],
    ),
    ("faculty_section_title", "Faculty section title", Text, PRODUCT),
    (
        "instructor_ids",
        "Instructor page ids (comma separated)",
        Ids,
        PRODUCT,
    ),
    (
        "include_in_learn_catalog",
        "Include in MIT Learn's catalog",
        Bool,
        PRODUCT,
    ),
    (
        "ingest_content_files_for_ai",
        "Ingest content files for AI",
        Bool,
        &[T::Course],
    ),
    ("show_stay_updated", "Show \"stay updated\"", Bool, PRODUCT),
    ("seo_title", "SEO title", Text, &[]),
    ("search_description", "Search description", Area, &[]),
];

pub(super) fn applies(types: &[T], ty: T) -> bool {
    types.is_empty() || types.contains(&ty)
}

pub(super) fn bad(field: &'static str, msg: &str) -> CmsError {
    CmsError::Invalid(field, msg.to_owned())
}

/// Builds page content from the submitted form, naming the field of any bad value.
pub(super) fn content_from_form(ty: T, form: &[(String, String)]) -> Result<PageContent, CmsError> {
    let get = |k: &str| form.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let mut m = Map::new();
    for &(name, _, kind, types) in FIELDS {
        if !applies(types, ty) {
            continue;
        }
        let v = get(name).unwrap_or("");
        let value = match kind {
            Text | Area => Value::String(v.to_owned()),
            Bool => Value::Bool(matches!(v, "on" | "true" | "1")),
            Int | Image if v.is_empty() => Value::Null,
            Int | Image => Value::from(v.parse::<i64>().map_err(|_| bad(name, "Enter a whole number."))?),
            Money if v.is_empty() => Value::Null,
            Money => {
                let d: rust_decimal::Decimal = v.parse().map_err(|_| bad(name, "Enter a number."))?;
                Value::String(d.to_string())
            }
            Ids => Value::Array(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<i64>()
                            .map(Value::from)
                            .map_err(|_| bad(name, "Enter page ids separated by commas."))
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        m.insert(name.to_owned(), value);
    }
    let mut content: PageContent =
        serde_json::from_value(Value::Object(m)).map_err(|e| CmsError::Invalid("form", e.to_string()))?;
    if ty == T::Certificate {
        let mut i = 0;
        while let Some(id) = get(&format!("ceu_override_readable_id_{i}")) {
            let ceus = get(&format!("ceu_override_ceus_{i}")).unwrap_or("");
            if !id.is_empty() || !ceus.is_empty() {
                if id.is_empty() || ceus.is_empty() {
                    return Err(bad(
                        "ceu_overrides",
                        "Each override needs a readable id and its CEUs.",
                    ));
                }
                if content.ceu_overrides.iter().any(|o| o.readable_id == id) {
                    return Err(bad("ceu_overrides", "Each readable id may be overridden once."));
                }
                content.ceu_overrides.push(super::model::CeuOverride {
                    readable_id: id.to_owned(),
                    ceus: ceus.to_owned(),
                });
            }
            i += 1;
        }
    }
    if ty == T::Resource {
        let mut i = 0;
        while let Some(h) = get(&format!("section_heading_{i}")) {
            let d = get(&format!("section_detail_{i}")).unwrap_or("");
            if !h.is_empty() || !d.is_empty() {
                content.sections.push(Section {
                    heading: h.to_owned(),
                    detail: d.to_owned(),
                });
            }
            i += 1;
        }
    }
    Ok(content)
}

/// A staff form error: like [`AppError`], but an HTML page names the refused field and why
/// (JSON callers get the DRF-style field map as usual).
pub struct FormError(AppError);

impl<E: Into<AppError>> From<E> for FormError {
    fn from(e: E) -> Self {
        FormError(e.into())
    }
}

impl IntoResponse for FormError {
    fn into_response(self) -> Response {
        let named = match &self.0 {
            AppError::Invalid(fields) => fields.iter().next().map(|(field, msgs)| {
                let label = FIELDS
                    .iter()
                    .find(|f| f.0 == field)
                    .map_or(field.as_str(), |f| f.1);
                format!("{label}: {}", msgs.join(" "))
            }),
            _ => None,
        };
        let mut resp = self.0.into_response();
        if let Some(message) = named {
            resp.extensions_mut().insert(ErrorInfo { message });
        }
        resp
    }
}

pub(super) fn parse_type(form: &[(String, String)]) -> Result<PageType, CmsError> {
    let v = form
        .iter()
        .find(|(k, _)| k == "page_type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    PageType::parse(v).ok_or_else(|| bad("page_type", "Choose a valid page type."))
}

/// One form field; image fields offer the uploaded images (`images`: id and title).
pub(super) fn field_input(
    name: &str,
    label: &str,
    kind: Kind,
    value: &Value,
    images: &[(i64, String)],
) -> Markup {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    html! {
        div class="field" {
            @match kind {
                Bool => { label { input type="checkbox" name=(name) checked[value.as_bool() == Some(true)]; " " (label) } }
                Area => { label for=(name) { (label) } textarea id=(name) name=(name) { (text) } }
                Image => {
                    label for=(name) { (label.trim_end_matches(" id")) }
                    select id=(name) name=(name) {
                        option value="" { "(none)" }
                        @for (id, title) in images {
                            option value=(id) selected[value.as_i64() == Some(*id)] { "#" (id) " " (title) }
                        }
                    }
                }
                Int => { label for=(name) { (label) } input type="number" id=(name) name=(name) value=(text) min="0"; }
                Money => { label for=(name) { (label) } input type="text" inputmode="decimal" id=(name) name=(name) value=(text); }
                _ => { label for=(name) { (label) } input type="text" id=(name) name=(name) value=(text) required[name == "title"]; }
            }
        }
    }
}
