//! Example bodies turned into schemas, and test scripts read for where the records are.

use serde_json::{json, Map, Value};

use crate::infer::naming::squash;
use crate::infer::records::looks_like_timestamp;

/// Deepest nesting of an example body turned into a schema.
const SCHEMA_DEPTH: usize = 12;
/// Most example values looked at for one body.
pub(super) const SCHEMA_BUDGET: usize = 50_000;
/// Most array elements of an example merged into the items schema.
const SCHEMA_ITEMS: usize = 50;

/// Field names whose `null` in an example is a pagination link or cursor still to come.
pub(super) const PAGING_NAMES: &[&str] = &[
    "next",
    "nexturl",
    "nextpage",
    "nextpageurl",
    "nextpageuri",
    "nextlink",
    "nextcursor",
    "nextpagetoken",
    "nexttoken",
    "cursor",
    "after",
];

/// A JSON schema describing an example value: types, `date-time` and `uri` formats, array
/// items merged over the first elements. Bounded in depth and work.
pub(super) fn schema_of(value: &Value, name: &str, depth: usize, budget: &mut usize) -> Value {
    if *budget == 0 || depth > SCHEMA_DEPTH {
        return json!({});
    }
    *budget -= 1;
    match value {
        Value::Null if PAGING_NAMES.contains(&squash(name).as_str()) => {
            json!({"type": "string", "nullable": true})
        }
        Value::Null => json!({"nullable": true}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "integer"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::String(s) if looks_like_timestamp(s) => {
            json!({"type": "string", "format": "date-time"})
        }
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            json!({"type": "string", "format": "uri"})
        }
        Value::String(_) => json!({"type": "string"}),
        Value::Array(items) => {
            let mut merged: Option<Value> = None;
            for item in items.iter().take(SCHEMA_ITEMS) {
                let schema = schema_of(item, name, depth + 1, budget);
                merged = Some(match merged {
                    None => schema,
                    Some(m) => merge(m, schema),
                });
            }
            match merged {
                Some(items) => json!({"type": "array", "items": items}),
                None => json!({"type": "array"}),
            }
        }
        Value::Object(map) => {
            let mut properties = Map::new();
            for (key, v) in map {
                if *budget == 0 {
                    break;
                }
                properties.insert(key.clone(), schema_of(v, key, depth + 1, budget));
            }
            json!({"type": "object", "properties": properties})
        }
    }
}

/// The schema of values seen as `a` in one element and `b` in another.
pub(super) fn merge(a: Value, b: Value) -> Value {
    let (Value::Object(mut a), Value::Object(b)) = (a, b) else {
        return json!({});
    };
    let nullable = a.get("nullable").is_some() || b.get("nullable").is_some();
    let (ta, tb) = (a.get("type").cloned(), b.get("type").cloned());
    let mut out = match (ta, tb) {
        (None, None) => Map::new(),
        (Some(_), None) => a,
        (None, Some(_)) => b,
        (Some(x), Some(y)) if x == y => {
            if x == "object" {
                let mut props = match a.remove("properties") {
                    Some(Value::Object(p)) => p,
                    _ => Map::new(),
                };
                if let Some(Value::Object(other)) = b.get("properties") {
                    for (k, v) in other {
                        let merged = match props.remove(k) {
                            Some(existing) => merge(existing, v.clone()),
                            None => v.clone(),
                        };
                        props.insert(k.clone(), merged);
                    }
                }
                a.insert("properties".into(), Value::Object(props));
            } else if x == "array" {
                let items = match (a.remove("items"), b.get("items")) {
                    (Some(i), Some(j)) => Some(merge(i, j.clone())),
                    (Some(i), None) => Some(i),
                    (None, Some(j)) => Some(j.clone()),
                    (None, None) => None,
                };
                if let Some(items) = items {
                    a.insert("items".into(), items);
                }
            } else if a.get("format") != b.get("format") {
                a.remove("format");
            }
            a
        }
        (Some(x), Some(y)) if is_number(&x) && is_number(&y) => {
            let mut m = Map::new();
            m.insert("type".into(), json!("number"));
            m
        }
        _ => Map::new(),
    };
    if nullable {
        out.insert("nullable".into(), Value::Bool(true));
    }
    Value::Object(out)
}

pub(super) fn is_number(v: &Value) -> bool {
    v == "integer" || v == "number"
}

/// A schema with an array of objects at `path` (the body itself when empty), the objects
/// having the named fields.
pub(super) fn records_schema(path: &[String], fields: &[String]) -> Value {
    let properties: Map<String, Value> = fields.iter().map(|f| (f.clone(), json!({}))).collect();
    let mut schema =
        json!({"type": "array", "items": {"type": "object", "properties": properties}});
    for name in path.iter().rev() {
        schema = json!({"type": "object", "properties": {name.as_str(): schema}});
    }
    schema
}

// ---------------------------------------------------------------------------------------------
// Hints from test scripts

/// Where a test script reads records: `data.results[0].id` → path `results`, field `id`.
pub(super) struct Hint {
    pub(super) path: Vec<String>,
    pub(super) fields: Vec<String>,
}

pub(super) const BODY_EXPRESSIONS: &[&str] = &[
    "JSON.parse(responseBody)",
    "pm.response.json()",
    "JSON.parse(pm.response.text())",
];
pub(super) const ARRAY_METHODS: &[&str] = &[
    "length", "forEach", "map", "filter", "find", "some", "every",
];

pub(super) fn script_hint(script: &str) -> Option<Hint> {
    if script.is_empty() {
        return None;
    }
    let mut prefixes: Vec<String> = BODY_EXPRESSIONS.iter().map(|s| (*s).to_string()).collect();
    for expression in BODY_EXPRESSIONS {
        let mut from = 0;
        while let Some(i) = script[from..].find(expression) {
            let at = from + i;
            from = at + expression.len();
            let before = script[..at].trim_end();
            let Some(before) = before.strip_suffix('=') else {
                continue;
            };
            if before.ends_with(['=', '!', '<', '>']) {
                continue;
            }
            let before = before.trim_end();
            let start = before
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .map_or(0, |j| j + 1);
            let name = &before[start..];
            if !name.is_empty() && !prefixes.iter().any(|p| p == name) {
                prefixes.push(name.to_string());
            }
        }
    }
    let mut found: Vec<(Vec<String>, usize, Vec<String>)> = Vec::new();
    for prefix in &prefixes {
        let mut from = 0;
        while let Some(i) = script[from..].find(prefix.as_str()) {
            let at = from + i;
            from = at + prefix.len();
            let preceded = script[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.');
            if preceded {
                continue;
            }
            if let Some((path, field)) = chain(&script[from..]) {
                match found.iter_mut().find(|(p, _, _)| *p == path) {
                    Some(entry) => {
                        entry.1 += 1;
                        if let Some(f) = field {
                            if !entry.2.contains(&f) && entry.2.len() < 50 {
                                entry.2.push(f);
                            }
                        }
                    }
                    None => found.push((path, 1, field.into_iter().collect())),
                }
            }
        }
    }
    let best = found
        .into_iter()
        .max_by_key(|(p, n, _)| (*n, usize::MAX - p.len()))?;
    Some(Hint {
        path: best.0,
        fields: best.2,
    })
}

/// After the body expression: `.a.b[0].id` → (`[a, b]`, `id`); `.a.length` → (`[a]`, none).
/// `None` when no array is read.
pub(super) fn chain(text: &str) -> Option<(Vec<String>, Option<String>)> {
    let mut path: Vec<String> = Vec::new();
    let mut rest = text;
    loop {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            let name = &after[..end];
            if ARRAY_METHODS.contains(&name) {
                return Some((path, None));
            }
            path.push(name.to_string());
            if path.len() > 4 {
                return None;
            }
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let index = after[..close].trim();
            if index.starts_with(['"', '\'']) {
                let name = index.trim_matches(['"', '\'']);
                path.push(name.to_string());
                rest = &after[close + 1..];
                continue;
            }
            let after = &after[close + 1..];
            let field = after.strip_prefix('.').and_then(|a| {
                let end = a
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(a.len());
                (end > 0).then(|| a[..end].to_string())
            });
            return Some((path, field));
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_values_become_schemas_merged_over_array_elements() {
        let mut budget = SCHEMA_BUDGET;
        let body = json!({"data": [
            {"id": 1, "at": "2024-01-01T00:00:00Z", "n": 1, "x": null},
            {"id": 2, "n": 1.5, "x": "text", "extra": true}
        ], "next": null});
        let schema = schema_of(&body, "", 0, &mut budget);
        let record = &schema["properties"]["data"]["items"]["properties"];
        assert_eq!(record["id"]["type"], "integer");
        assert_eq!(record["at"]["format"], "date-time");
        assert_eq!(record["n"]["type"], "number");
        assert_eq!(record["x"], json!({"type": "string", "nullable": true}));
        assert_eq!(record["extra"]["type"], "boolean");
        // A `null` next link is still a link to come.
        assert_eq!(schema["properties"]["next"]["type"], "string");
    }

    #[test]
    fn deep_or_huge_examples_are_cut_short() {
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!({ "a": deep });
        }
        let mut budget = SCHEMA_BUDGET;
        let schema = schema_of(&deep, "", 0, &mut budget);
        let mut node = &schema;
        let mut depth = 0;
        while let Some(next) = node.get("properties").and_then(|p| p.get("a")) {
            node = next;
            depth += 1;
        }
        assert!(depth <= SCHEMA_DEPTH + 1, "{depth}");
        let wide = Value::Array(
            (0..100_000)
                .map(|i| json!({ format!("k{i}"): i }))
                .collect(),
        );
        let mut budget = SCHEMA_BUDGET;
        schema_of(&wide, "", 0, &mut budget);
    }

    #[test]
    fn test_scripts_say_where_records_are() {
        let script = "var data = JSON.parse(responseBody);\nif (data.results && data.results[0] && data.results[0].id) {\n  pm.environment.set(\"x\", data.results[0].key);\n}";
        let hint = script_hint(script).unwrap();
        assert_eq!(hint.path, ["results"]);
        assert_eq!(hint.fields, ["id", "key"]);
        let hint = script_hint("const body = pm.response.json();\nbody.forEach(x => x)").unwrap();
        assert!(hint.path.is_empty());
        let hint = script_hint("pm.response.json().data.items.length").unwrap();
        assert_eq!(hint.path, ["data", "items"]);
        assert!(script_hint("var x = 1; if (x == JSON.parse(responseBody)) {}").is_none());
        assert!(script_hint("tests['ok'] = responseCode.code === 200;").is_none());
    }
}
