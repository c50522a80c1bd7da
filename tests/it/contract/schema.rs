//! A validator for the OpenAPI 3.0 schema subset the contract uses (drf-spectacular's output):
//! `$ref`, `type`, `properties`, `required`, `items`, `nullable`, `enum`, `allOf`, `oneOf`,
//! `anyOf`, `additionalProperties`. Formats and lengths are not checked.

use serde_json::Value;

pub struct Contract {
    pub doc: Value,
}

impl Contract {
    /// The reference contract (`../shared/reference/mitxonline-openapi-v2.yaml`), if present.
    pub fn load() -> Option<Contract> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference/mitxonline-openapi-v2.yaml");
        let text = std::fs::read_to_string(&path).ok()?;
        Some(Contract {
            doc: serde_norway::from_str(&text).expect("the contract parses"),
        })
    }

    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                self.resolve(&self.doc["components"]["schemas"][name])
            }
            None => s,
        }
    }

    /// The JSON schema of the 200 answer of `GET path`, if the contract gives one.
    pub fn get_200(&self, path: &str) -> Option<&Value> {
        let s = &self.doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        (!s.is_null()).then_some(s)
    }

    /// Every way `v` breaks `schema`, each as `where: what`.
    pub fn errors(&self, schema: &Value, v: &Value, at: &str) -> Vec<String> {
        let s = self.resolve(schema);
        if v.is_null() {
            let nullable = s["nullable"] == true
                || s["enum"].as_array().is_some_and(|e| e.contains(&Value::Null))
                || ["oneOf", "anyOf"].iter().any(|k| {
                    s[*k]
                        .as_array()
                        .is_some_and(|alts| alts.iter().any(|a| self.errors(a, v, at).is_empty()))
                })
                || s["allOf"]
                    .as_array()
                    .is_some_and(|all| all.iter().all(|a| self.errors(a, v, at).is_empty()));
            return if nullable || s.as_object().is_some_and(|o| o.is_empty()) {
                Vec::new()
            } else {
                vec![format!("{at}: null where the contract has no null")]
            };
        }
        let mut out = Vec::new();
        if let Some(all) = s["allOf"].as_array() {
            for a in all {
                out.extend(self.errors(a, v, at));
            }
        }
        for k in ["oneOf", "anyOf"] {
            if let Some(alts) = s[k].as_array()
                && !alts.iter().any(|a| self.errors(a, v, at).is_empty())
            {
                out.push(format!("{at}: matches none of the {k} alternatives"));
            }
        }
        if let Some(e) = s["enum"].as_array()
            && !e.contains(v)
        {
            out.push(format!("{at}: {v} is not one of {}", Value::Array(e.clone())));
        }
        let ok_type = match s["type"].as_str() {
            Some("object") => v.is_object(),
            Some("array") => v.is_array(),
            Some("string") => v.is_string(),
            Some("integer") => v.is_i64() || v.is_u64(),
            Some("number") => v.is_number(),
            Some("boolean") => v.is_boolean(),
            _ => true,
        };
        if !ok_type {
            out.push(format!("{at}: {} where the contract has {}", kind(v), s["type"]));
            // A plain list where the contract pages (the original's v1 lists): its items are
            // still checked against the page's items.
            if let (Some(items), Some(arr)) = (s["properties"]["results"].get("items"), v.as_array()) {
                for (i, x) in arr.iter().enumerate() {
                    out.extend(self.errors(items, x, &format!("{at}[{i}]")));
                }
            }
            return out;
        }
        if let (Some(props), Some(obj)) = (s["properties"].as_object(), v.as_object()) {
            for r in s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !obj.contains_key(r) {
                    out.push(format!("{at}.{r}: missing"));
                }
            }
            for (k, sub) in props {
                if let Some(x) = obj.get(k) {
                    out.extend(self.errors(sub, x, &format!("{at}.{k}")));
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, x) in arr.iter().enumerate() {
                out.extend(self.errors(items, x, &format!("{at}[{i}]")));
            }
        }
        out
    }
}

/// An error with its array positions dropped (`$.results[3].x` → `$.results[].x`), so the same
/// fault in different items counts once.
pub fn normalized(e: &str) -> String {
    let mut out = String::new();
    let mut in_index = false;
    for ch in e.chars() {
        match ch {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(ch),
        }
    }
    out
}

/// Whether a request path (`/api/v2/courses/5/?page=2`) is an instance of a contract path
/// (`/api/v2/courses/{id}/`, or `/api/v2/pages/?fields=*&type=cms.coursepage`).
pub fn instance_of(request: &str, template: &str) -> bool {
    let (rpath, rquery) = request.split_once('?').unwrap_or((request, ""));
    let (tpath, tquery) = template.split_once('?').unwrap_or((template, ""));
    let want_type = tquery.split('&').find_map(|kv| kv.strip_prefix("type="));
    let has_type = rquery.split('&').find_map(|kv| kv.strip_prefix("type="));
    if want_type != has_type {
        return false;
    }
    let (r, t): (Vec<&str>, Vec<&str>) = (rpath.split('/').collect(), tpath.split('/').collect());
    r.len() == t.len()
        && r.iter()
            .zip(&t)
            .all(|(a, b)| a == b || (b.starts_with('{') && b.ends_with('}')))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
