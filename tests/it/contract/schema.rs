//! A validator for the schema subset of the contract (OpenAPI 3.0, drf-spectacular's output) and
//! of our own document (OpenAPI 3.1, utoipa's output): `$ref`, `type` (one, or a list such as
//! `["string", "null"]`, and `"null"`), `properties`, `required`, `items`, `nullable`, `enum`,
//! `allOf`, `oneOf`, `anyOf`, `additionalProperties`. Formats and lengths are not checked.
//! Against our own document ([`Contract::ours`]) objects are closed: a property the schema does
//! not declare is an error (the document is generated from the very types that serialize, so an
//! extra field means an answer built around them).

use serde_json::Value;

pub struct Contract {
    pub doc: Value,
    /// Undeclared properties are errors (our own document), or ignored (the contract).
    pub closed: bool,
}

impl Contract {
    /// The reference contract (`../shared/reference/mitxonline-openapi-v2.yaml`), if present.
    pub fn load() -> Option<Contract> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference/mitxonline-openapi-v2.yaml");
        let text = std::fs::read_to_string(&path).ok()?;
        Some(Contract {
            doc: serde_norway::from_str(&text).expect("the contract parses"),
            closed: false,
        })
    }

    /// A validator over our own document (`doc` is `mitxonline::http::openapi::document_json()`).
    pub fn ours(doc: Value) -> Contract {
        Contract { doc, closed: true }
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
        self.check(schema, v, at, self.closed)
    }

    /// How errors name the document.
    fn word(&self) -> &'static str {
        if self.closed { "schema" } else { "contract" }
    }

    /// The names of the properties `s` declares, through `allOf` too.
    fn declared<'a>(&'a self, s: &'a Value, out: &mut Vec<&'a str>) {
        let s = self.resolve(s);
        out.extend(
            s["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.as_str()),
        );
        for a in s["allOf"].as_array().into_iter().flatten() {
            self.declared(a, out);
        }
    }

    /// [`Contract::errors`]; `closed`: undeclared properties of this object are errors (off
    /// inside an `allOf`, whose parts each declare some of them: the `allOf` checks the union).
    fn check(&self, schema: &Value, v: &Value, at: &str, closed: bool) -> Vec<String> {
        let s = self.resolve(schema);
        let types: Vec<&str> = match &s["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if v.is_null() {
            let nullable = s["nullable"] == true
                || types.contains(&"null")
                || s["enum"].as_array().is_some_and(|e| e.contains(&Value::Null))
                || ["oneOf", "anyOf"].iter().any(|k| {
                    s[*k]
                        .as_array()
                        .is_some_and(|alts| alts.iter().any(|a| self.check(a, v, at, closed).is_empty()))
                })
                || s["allOf"]
                    .as_array()
                    .is_some_and(|all| all.iter().all(|a| self.check(a, v, at, closed).is_empty()));
            return if nullable || s.as_object().is_some_and(|o| o.is_empty()) {
                Vec::new()
            } else {
                vec![format!("{at}: null where the {} has no null", self.word())]
            };
        }
        let mut out = Vec::new();
        if let Some(all) = s["allOf"].as_array() {
            for a in all {
                out.extend(self.check(a, v, at, false));
            }
        }
        for k in ["oneOf", "anyOf"] {
            if let Some(alts) = s[k].as_array() {
                let tried: Vec<Vec<String>> = alts.iter().map(|a| self.check(a, v, at, closed)).collect();
                if !tried.iter().any(Vec::is_empty) {
                    // The closest: one whose type fits (its errors are deeper), then the fewest.
                    let here = format!("{at}: ");
                    let closest = tried
                        .iter()
                        .min_by_key(|e| (e.iter().any(|x| x.starts_with(&here)), e.len()))
                        .cloned()
                        .unwrap_or_default();
                    out.push(if self.closed {
                        format!(
                            "{at}: matches none of the {k} alternatives (the closest: {})",
                            closest.join("; ")
                        )
                    } else {
                        format!("{at}: matches none of the {k} alternatives")
                    });
                }
            }
        }
        if let Some(e) = s["enum"].as_array()
            && !e.contains(v)
        {
            out.push(format!("{at}: {v} is not one of {}", Value::Array(e.clone())));
        }
        let ok_type = types.is_empty()
            || types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                _ => true,
            });
        if !ok_type {
            out.push(format!(
                "{at}: {} where the {} has {}",
                kind(v),
                self.word(),
                s["type"]
            ));
            // A plain list where the contract pages (the original's v1 lists): its items are
            // still checked against the page's items.
            if let (Some(items), Some(arr)) = (s["properties"]["results"].get("items"), v.as_array()) {
                for (i, x) in arr.iter().enumerate() {
                    out.extend(self.check(items, x, &format!("{at}[{i}]"), self.closed));
                }
            }
            return out;
        }
        if let Some(obj) = v.as_object() {
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
            let props = s["properties"].as_object();
            for (k, x) in obj {
                match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                    (Some(sub), _) => out.extend(self.check(sub, x, &format!("{at}.{k}"), self.closed)),
                    (None, Some(Value::Bool(false))) => out.push(format!("{at}.{k}: not allowed")),
                    (None, Some(extra)) if extra.is_object() => {
                        out.extend(self.check(extra, x, &format!("{at}.{k}"), self.closed))
                    }
                    (None, _) if closed && (props.is_some() || s["allOf"].is_array()) => {
                        let mut known = Vec::new();
                        self.declared(s, &mut known);
                        if !known.contains(&k.as_str()) {
                            out.push(format!("{at}.{k}: not in the schema"));
                        }
                    }
                    _ => {}
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, x) in arr.iter().enumerate() {
                out.extend(self.check(items, x, &format!("{at}[{i}]"), self.closed));
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Contract;

    fn ours() -> Contract {
        Contract::ours(json!({"components": {"schemas": {
            "Run": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "integer"},
                "title": {"type": ["string", "null"]},
                "course": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Course"}]}
            }},
            "Course": {"type": "object", "properties": {"key": {"type": "string"}}},
            "Both": {"allOf": [{"$ref": "#/components/schemas/Course"}, {"type": "object", "properties": {"n": {"type": "integer"}}}]},
            "Map": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
        }}}))
    }

    fn errors(v: serde_json::Value, name: &str) -> Vec<String> {
        let c = ours();
        c.errors(&json!({"$ref": format!("#/components/schemas/{name}")}), &v, "$")
    }

    #[test]
    fn openapi_3_1_nulls_refs_and_type_lists_validate() {
        assert!(errors(json!({"id": 1, "title": null, "course": null}), "Run").is_empty());
        assert!(errors(json!({"id": 1, "title": "T", "course": {"key": "k"}}), "Run").is_empty());
        assert!(errors(json!({"key": "k", "n": 2}), "Both").is_empty());
        assert!(errors(json!({"a": ["x"], "b": []}), "Map").is_empty());
    }

    #[test]
    fn what_breaks_the_schema_is_named() {
        assert_eq!(
            errors(json!({"title": 3}), "Run"),
            [
                "$.id: missing",
                "$.title: a number where the schema has [\"string\",\"null\"]"
            ]
        );
        let e = errors(json!({"id": 1, "course": {"key": 5}}), "Run");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("$.course: matches none of the oneOf alternatives"),
            "{e:?}"
        );
        assert!(e[0].contains("$.course.key: a number"), "{e:?}");
        assert_eq!(
            errors(json!({"a": [1]}), "Map"),
            ["$.a[0]: a number where the schema has \"string\""]
        );
    }

    #[test]
    fn our_objects_are_closed_the_contracts_are_not() {
        assert_eq!(
            errors(json!({"id": 1, "extra": true}), "Run"),
            ["$.extra: not in the schema"]
        );
        assert_eq!(
            errors(json!({"key": "k", "n": 1, "m": 2}), "Both"),
            ["$.m: not in the schema"]
        );
        let mut open = ours();
        open.closed = false;
        let schema = json!({"$ref": "#/components/schemas/Run"});
        assert!(
            open.errors(&schema, &json!({"id": 1, "extra": true}), "$")
                .is_empty()
        );
    }
}
