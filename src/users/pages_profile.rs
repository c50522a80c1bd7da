//! Profile pages: onboarding (`/create-profile/`, `/create-profile-extra/`) and `/profile/`.
//! Forms post field names in the API's shape (`legal_address.country`), so the same validation
//! as the JSON API applies.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::UserError;
use super::forms::{csrf_input, input, other_errors, safe_next, select};
use super::geo;
use super::model::{self, FieldErrors};
use super::profile_service::{self as profile, FullUser};
use crate::http::layout::narrow_page;
use crate::http::page_req::SignedInPage;
use crate::http::{AppError, PageCtx};
use crate::state::AppState;

type Params = BTreeMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/create-profile/", get(details_page).post(details_submit))
        .route("/create-profile-extra/", get(extra_page).post(extra_submit))
        .route("/profile/", get(profile_page).post(profile_submit))
}

/// `{"legal_address.country": "US", "name": "x"}` → nested JSON as the API takes it.
fn form_json(f: &Params, skip: &[&str]) -> Value {
    let mut out = Map::new();
    for (k, v) in f {
        if skip.contains(&k.as_str()) || k == "csrfmiddlewaretoken" || k == "next" {
            continue;
        }
        match k.split_once('.') {
            Some((outer, inner)) => {
                let entry = out
                    .entry(outer.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(o) = entry.as_object_mut() {
                    o.insert(inner.to_owned(), Value::String(v.clone()));
                }
            }
            None => {
                out.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(out)
}

/// Current values as form fields.
fn form_values(f: &FullUser) -> Params {
    let mut p = Params::new();
    p.insert("name".into(), f.user.name.clone());
    p.insert("username".into(), f.user.username.clone());
    if let Some(a) = &f.address {
        for (k, v) in [
            ("country", a.country.clone()),
            ("state", a.state.clone().unwrap_or_default()),
            ("first_name", a.first_name.clone()),
            ("last_name", a.last_name.clone()),
            ("street_address_1", a.street_address_1.clone()),
            ("street_address_2", a.street_address_2.clone()),
            ("city", a.city.clone()),
            ("postal_code", a.postal_code.clone()),
        ] {
            p.insert(format!("legal_address.{k}"), v);
        }
    }
    if let Some(pr) = &f.profile {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        for (k, v) in [
            ("gender", opt(&pr.gender)),
            ("year_of_birth", num(pr.year_of_birth)),
            ("company", opt(&pr.company)),
            ("job_title", opt(&pr.job_title)),
            ("industry", opt(&pr.industry)),
            ("job_function", opt(&pr.job_function)),
            ("company_size", num(pr.company_size)),
            ("years_experience", num(pr.years_experience)),
            ("leadership_level", opt(&pr.leadership_level)),
            ("highest_education", opt(&pr.highest_education)),
        ] {
            p.insert(format!("user_profile.{k}"), v);
        }
    }
    p
}

fn options<K: ToString>(list: &[(K, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, l)| (k.to_string(), (*l).to_owned()))
        .collect()
}

fn address_fields(v: &Params, errors: &FieldErrors) -> Markup {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let countries: Vec<(String, String)> = geo::COUNTRIES
        .iter()
        .map(|c| (c.code.to_owned(), c.name.to_owned()))
        .collect();
    let states: Vec<(String, String)> = geo::US_SUBDIVISIONS
        .iter()
        .chain(geo::CA_SUBDIVISIONS)
        .map(|s| (s.code.to_owned(), format!("{} ({})", s.name, &s.code[..2])))
        .collect();
    html! {
        fieldset {
            legend { "Legal address" }
            (input("text", "legal_address.first_name", "legal_address.first_name", "First name", &g("legal_address.first_name"), errors, "autocomplete:given-name"))
            (input("text", "legal_address.last_name", "legal_address.last_name", "Last name", &g("legal_address.last_name"), errors, "autocomplete:family-name"))
            (input("text", "legal_address.street_address_1", "legal_address.street_address_1", "Street address", &g("legal_address.street_address_1"), errors, "autocomplete:address-line1"))
            (input("text", "legal_address.city", "legal_address.city", "City", &g("legal_address.city"), errors, "autocomplete:address-level2"))
            (select("legal_address.country", "legal_address.country", "Country", &g("legal_address.country"), &countries, errors))
            (select("legal_address.state", "legal_address.state", "State or province (US and Canada)", &g("legal_address.state"), &states, errors))
            (input("text", "legal_address.postal_code", "legal_address.postal_code", "Postal code", &g("legal_address.postal_code"), errors, "autocomplete:postal-code"))
        }
    }
}

fn extra_fields(v: &Params, errors: &FieldErrors, year_name: &str) -> Markup {
    let g = |k: &str| {
        v.get(&format!("user_profile.{k}"))
            .or_else(|| v.get(k))
            .cloned()
            .unwrap_or_default()
    };
    let education: Vec<(String, String)> = model::HIGHEST_EDUCATION
        .iter()
        .map(|e| ((*e).to_owned(), (*e).to_owned()))
        .collect();
    let key = |k: &str| {
        if year_name.starts_with("user_profile.") {
            format!("user_profile.{k}")
        } else {
            k.to_owned()
        }
    };
    html! {
        (select(&key("gender"), &key("gender"), "Gender", &g("gender"), &options(model::GENDERS), errors))
        (input("number", year_name, year_name, "Year of birth", &g(year_name.trim_start_matches("user_profile.")).to_string() , errors, ""))
        (input("text", &key("company"), &key("company"), "Company", &g("company"), errors, "autocomplete:organization"))
        (input("text", &key("job_title"), &key("job_title"), "Job title", &g("job_title"), errors, "autocomplete:organization-title"))
        (select(&key("company_size"), &key("company_size"), "Company size", &g("company_size"), &options(model::COMPANY_SIZES), errors))
        (select(&key("years_experience"), &key("years_experience"), "Years of experience", &g("years_experience"), &options(model::YEARS_EXPERIENCE), errors))
        (select(&key("highest_education"), &key("highest_education"), "Highest level of education", &g("highest_education"), &education, errors))
    }
}

pub(super) fn shell(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    narrow_page(ctx, title, body)
}

fn details_form(ctx: &PageCtx, v: &Params, next: &str, errors: &FieldErrors) -> Markup {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    shell(
        ctx,
        "Complete your profile",
        html! {
            (other_errors(errors, &[]))
            form method="post" action=(ctx.prefix.url("/create-profile/")) {
                (csrf_input(&ctx.csrf_token))
                input type="hidden" name="next" value=(next);
                (input("text", "name", "name", "Full name", &g("name"), errors, "required autocomplete:name"))
                (input("text", "username", "username", "Public username", &g("username"), errors, "required autocomplete:username"))
                (address_fields(v, errors))
                (input("number", "user_profile.year_of_birth", "user_profile.year_of_birth", "Year of birth", &g("user_profile.year_of_birth"), errors, "required"))
                (select("user_profile.gender", "user_profile.gender", "Gender", &g("user_profile.gender"), &options(model::GENDERS), errors))
                button class="button" type="submit" { "Continue" }
            }
        },
    )
}

async fn load(state: &AppState, id: i64) -> Result<FullUser, AppError> {
    profile::load(state, id).await?.ok_or_else(AppError::not_found)
}

async fn details_page(r: SignedInPage, Query(q): Query<Params>) -> Result<Markup, AppError> {
    let f = load(&r.state, r.user.id).await?;
    Ok(details_form(
        &r.ctx,
        &form_values(&f),
        q.get("next").map_or("", String::as_str),
        &FieldErrors::new(),
    ))
}

async fn details_submit(r: SignedInPage, Form(f): Form<Params>) -> Result<Response, AppError> {
    let me = load(&r.state, r.user.id).await?;
    let next = f.get("next").cloned().unwrap_or_default();
    match profile::save_details(&r.state, &me, &form_json(&f, &[])).await {
        Ok(_) => {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish();
            Ok(Redirect::to(&r.ctx.prefix.url(&format!("/create-profile-extra/?{q}"))).into_response())
        }
        Err(UserError::Invalid(errors)) => {
            Ok((StatusCode::BAD_REQUEST, details_form(&r.ctx, &f, &next, &errors)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn extra_form(ctx: &PageCtx, v: &Params, next: &str, skip_to: &str, errors: &FieldErrors) -> Markup {
    shell(
        ctx,
        "Tell us about yourself",
        html! {
            (other_errors(errors, &["gender", "birth_year", "company", "job_title", "company_size", "years_experience", "highest_education"]))
            form method="post" action=(ctx.prefix.url("/create-profile-extra/")) {
                (csrf_input(&ctx.csrf_token))
                input type="hidden" name="next" value=(next);
                (extra_fields(v, errors, "birth_year"))
                button class="button" type="submit" { "Finish" }
            }
            p { a href=(skip_to) { "Skip for now" } }
        },
    )
}

async fn extra_page(r: SignedInPage, Query(q): Query<Params>) -> Result<Markup, AppError> {
    let f = load(&r.state, r.user.id).await?;
    let mut v = form_values(&f);
    if let Some(y) = v.get("user_profile.year_of_birth").cloned() {
        v.insert("birth_year".into(), y);
    }
    let next = q.get("next").map_or("", String::as_str);
    let skip_to = safe_next(&r.state.config, &r.ctx.prefix, Some(next));
    Ok(extra_form(&r.ctx, &v, next, &skip_to, &FieldErrors::new()))
}

async fn extra_submit(r: SignedInPage, Form(f): Form<Params>) -> Result<Response, AppError> {
    let me = load(&r.state, r.user.id).await?;
    let next = f.get("next").cloned().unwrap_or_default();
    match profile::save_extra(&r.state, &me, &form_json(&f, &[])).await {
        Ok(_) => Ok(Redirect::to(&safe_next(&r.state.config, &r.ctx.prefix, Some(&next))).into_response()),
        Err(UserError::Invalid(errors)) => {
            let skip_to = safe_next(&r.state.config, &r.ctx.prefix, Some(&next));
            Ok((
                StatusCode::BAD_REQUEST,
                extra_form(&r.ctx, &f, &next, &skip_to, &errors),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn profile_form(ctx: &PageCtx, f: &FullUser, v: &Params, errors: &FieldErrors, saved: bool) -> Markup {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    shell(
        ctx,
        "Profile",
        html! {
            @if saved { p class="notice" role="status" { "Your profile was saved." } }
            (other_errors(errors, &[]))
            p { "Signed in as " strong { (f.user.email) } " (" (f.user.username) "). " a href=(ctx.prefix.url("/account-settings/")) { "Account settings" } }
            form method="post" action=(ctx.prefix.url("/profile/")) {
                (csrf_input(&ctx.csrf_token))
                (input("text", "name", "name", "Full name", &g("name"), errors, "required autocomplete:name"))
                (address_fields(v, errors))
                fieldset {
                    legend { "About you" }
                    (extra_fields(v, errors, "user_profile.year_of_birth"))
                }
                button class="button" type="submit" { "Save profile" }
            }
        },
    )
}

async fn profile_page(r: SignedInPage, Query(q): Query<Params>) -> Result<Markup, AppError> {
    let f = load(&r.state, r.user.id).await?;
    Ok(profile_form(
        &r.ctx,
        &f,
        &form_values(&f),
        &FieldErrors::new(),
        q.contains_key("saved"),
    ))
}

async fn profile_submit(r: SignedInPage, Form(f): Form<Params>) -> Result<Response, AppError> {
    let me = load(&r.state, r.user.id).await?;
    match profile::update_me(&r.state, &me, &form_json(&f, &[])).await {
        Ok(_) => Ok(Redirect::to(&r.ctx.prefix.url("/profile/?saved=1")).into_response()),
        Err(UserError::Invalid(errors)) => Ok((
            StatusCode::BAD_REQUEST,
            profile_form(&r.ctx, &me, &f, &errors, false),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
