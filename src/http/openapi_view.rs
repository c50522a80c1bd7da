//! The OpenAPI document as a server-rendered page (`/api/schema/swagger-ui/`): operations
//! grouped by tag, each with its method, path, summary, parameters, request body and response
//! schema names. No JavaScript, nothing from a CDN.

use std::collections::BTreeMap;

use maud::{Markup, html};
use serde_json::Value;

use super::PageCtx;
use super::layout;

/// One operation, as the page lists it.
struct Op<'a> {
    method: String,
    path: &'a str,
    id: &'a str,
    summary: &'a str,
    params: Vec<String>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

/// A schema's name for people: the component it refers to, or its type (`array of Course`).
fn schema_name(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        if let Some(alts) = s[k].as_array() {
            let names: Vec<String> = alts.iter().map(schema_name).collect();
            return names.join(" | ");
        }
    }
    match &s["type"] {
        Value::String(t) if t == "array" => format!("array of {}", schema_name(&s["items"])),
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_owned(),
    }
}

/// The schema name of a request or response body (its first media type).
fn content_name(c: &Value) -> Option<String> {
    let (media, v) = c["content"].as_object()?.iter().next()?;
    Some(format!("{} ({media})", schema_name(&v["schema"])))
}

fn operations(doc: &Value) -> BTreeMap<String, Vec<Op<'_>>> {
    let mut by_tag: BTreeMap<String, Vec<Op<'_>>> = BTreeMap::new();
    let Some(paths) = doc["paths"].as_object() else {
        return by_tag;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    format!(
                        "{} ({}{}): {}",
                        p["name"].as_str().unwrap_or_default(),
                        p["in"].as_str().unwrap_or_default(),
                        if p["required"] == true { ", required" } else { "" },
                        schema_name(&p["schema"])
                    )
                })
                .collect();
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    (
                        status.clone(),
                        content_name(r).unwrap_or_else(|| "no content".into()),
                    )
                })
                .collect();
            by_tag.entry(tag).or_default().push(Op {
                method: method.to_uppercase(),
                path,
                id: op["operationId"].as_str().unwrap_or_default(),
                summary: op["summary"].as_str().unwrap_or_default(),
                params,
                body: content_name(&op["requestBody"]),
                responses,
            });
        }
    }
    by_tag
}

pub fn render(ctx: &PageCtx, doc: &Value) -> Markup {
    let by_tag = operations(doc);
    let count: usize = by_tag.values().map(Vec::len).sum();
    let content = html! {
        section class="container" {
            h1 { "API operations" }
            p {
                (count) " operations of OpenAPI " (doc["openapi"].as_str().unwrap_or_default())
                ". The document itself: " a href=(ctx.prefix.url("/api/schema/")) { code { "/api/schema/" } } "."
            }
            nav aria-label="Tags" {
                ul { @for tag in by_tag.keys() { li { a href={ "#tag-" (tag) } { (tag) } } } }
            }
            @for (tag, ops) in &by_tag {
                h2 id={ "tag-" (tag) } { (tag) }
                @for op in ops {
                    article class="operation" id=(op.id) {
                        h3 { code { (op.method) " " (op.path) } }
                        @if !op.summary.is_empty() { p { (op.summary) } }
                        dl {
                            dt { "Operation" } dd { code { (op.id) } }
                            @if !op.params.is_empty() {
                                dt { "Parameters" }
                                dd { ul { @for p in &op.params { li { (p) } } } }
                            }
                            @if let Some(b) = &op.body { dt { "Request body" } dd { (b) } }
                            dt { "Responses" }
                            dd { ul { @for (status, name) in &op.responses { li { (status) ": " (name) } } } }
                        }
                    }
                }
            }
        }
    };
    layout::private_page(ctx, "API operations", content)
}
