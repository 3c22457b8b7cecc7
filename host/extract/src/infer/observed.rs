//! Inference from live data: what the first page of records fetched by Save & Test says
//! about an endpoint. Pure functions over JSON values (the probe in `sync` does the I/O), using
//! the same rules as the inference from documentation: the record-array, primary-key, column
//! type and update-time rules of [`super::records`] and [`super::incremental`].

use serde_json::Value;

use connector_agent_model::{Column, ColumnType};

use crate::schema::{kind_of_value, Kind};

use super::incremental::{CREATED_FIELDS, UPDATED_FIELDS};
use super::naming::squash;
use super::records::{looks_like_timestamp, type_of_kind};

/// The value at a path of object keys; the empty path is the body itself.
pub fn value_at<'v>(body: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(body, |v, key| v.get(key))
}

/// Whether a value is an array holding only objects (an empty array does not say).
fn objects(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            Some(items)
        }
        _ => None,
    }
}

/// The record path when the body leaves no doubt: the body itself is an array of objects, or
/// exactly one array of objects sits at the top level or one object down, and no empty array
/// could be the real one.
pub fn sure_record_path(body: &Value) -> Option<Vec<String>> {
    if objects(body).is_some() {
        return Some(Vec::new());
    }
    let top = body.as_object()?;
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut empty = 0;
    let mut look = |path: Vec<String>, v: &Value| {
        if objects(v).is_some() {
            found.push(path);
        } else if v.as_array().is_some_and(Vec::is_empty) {
            empty += 1;
        }
    };
    for (k, v) in top {
        look(vec![k.clone()], v);
        if let Value::Object(inner) = v {
            for (k2, v2) in inner {
                look(vec![k.clone(), k2.clone()], v2);
            }
        }
    }
    match (found.len(), empty) {
        (1, 0) => found.pop(),
        _ => None,
    }
}

/// The column type a value shows.
fn type_of(value: &Value) -> Option<ColumnType> {
    match kind_of_value(value) {
        Kind::Null => None,
        Kind::String if looks_like_timestamp(value.as_str().unwrap_or("")) => {
            Some(ColumnType::Timestamp)
        }
        kind => Some(type_of_kind(kind, None)),
    }
}

/// The columns the records show, in first-seen order, typed by their non-null values
/// (integers mixed with decimals are numbers; other mixtures are JSON; only nulls is text).
pub fn columns(records: &[Value]) -> Vec<Column> {
    let mut out: Vec<(Column, Option<ColumnType>)> = Vec::new();
    // Position of each name in `out`: linear in the number of keys, however many.
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for record in records {
        let Value::Object(map) = record else { continue };
        for (name, value) in map {
            let seen = type_of(value);
            let at = index.get(name.as_str()).copied();
            if at.is_none() {
                index.insert(name.as_str(), out.len());
            }
            match at.map(|i| &mut out[i]) {
                Some((_, ty)) => {
                    *ty = match (*ty, seen) {
                        (None, s) | (s, None) => s,
                        (Some(a), Some(b)) if a == b => Some(a),
                        (Some(ColumnType::Integer), Some(ColumnType::Number))
                        | (Some(ColumnType::Number), Some(ColumnType::Integer)) => {
                            Some(ColumnType::Number)
                        }
                        _ => Some(ColumnType::Json),
                    }
                }
                None => out.push((
                    Column {
                        name: name.clone(),
                        ty: ColumnType::String,
                        nullable: true,
                        description: String::new(),
                    },
                    seen,
                )),
            }
        }
    }
    out.into_iter()
        .map(|(mut c, ty)| {
            c.ty = ty.unwrap_or(ColumnType::String);
            c
        })
        .collect()
}

/// What is wrong with `key` as the primary key of these records, if anything: a record
/// without it, or a value that repeats.
pub fn key_problem(records: &[Value], key: &[String]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    for record in records {
        let mut parts = Vec::with_capacity(key.len());
        for k in key {
            match record.get(k) {
                None | Some(Value::Null) => {
                    return Some(format!("a record has no `{k}`"));
                }
                Some(v) => parts.push(v.to_string()),
            }
        }
        let joined = parts.join(", ");
        if !seen.insert(joined.clone()) {
            return Some(format!("the value {joined} repeats"));
        }
    }
    None
}

/// The primary key the records prove: the one the documentation rules would pick from their
/// columns (`id`, else `<entity>_id`, ...), when every record has it and no value repeats.
pub fn primary_key(records: &[Value], entity: &str) -> Option<String> {
    if records.is_empty() {
        return None;
    }
    let cols = columns(records);
    let [key] = super::records::primary_key(&cols, entity).try_into().ok()?;
    key_problem(records, std::slice::from_ref(&key))
        .is_none()
        .then_some(key)
}

/// Whether a value reads as a point in time: RFC 3339 text or Unix seconds or milliseconds.
fn timestamp_like(value: &Value) -> bool {
    match value {
        Value::String(s) => looks_like_timestamp(s),
        Value::Number(n) => n
            .as_i64()
            .is_some_and(|n| (100_000_000..100_000_000_000_000).contains(&n)),
        _ => false,
    }
}

/// A field that clearly holds the records' update time (`updated_at`, `modified`, ...):
/// named so, present with a time in at least one record and never anything else.
pub fn cursor_field(records: &[Value]) -> Option<String> {
    time_field(records, UPDATED_FIELDS)
}

/// A field that clearly holds when each record was written (`created_at`, `at`,
/// `occurred_at`, `timestamp`): what a header filter (`If-Modified-Since`) on records that
/// never change (a log) compares.
pub fn written_field(records: &[Value]) -> Option<String> {
    let names: Vec<&str> = CREATED_FIELDS
        .iter()
        .copied()
        .chain(["at", "occurredat", "timestamp", "loggedat"])
        .collect();
    time_field(records, &names)
}

/// The first of `wanted` (squashed names) present with a time in at least one record and
/// never anything else.
fn time_field(records: &[Value], wanted: &[&str]) -> Option<String> {
    let names: Vec<&String> = records
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|m| m.keys())
        .collect();
    wanted.iter().find_map(|wanted| {
        let name = names.iter().find(|n| squash(n) == *wanted)?;
        let values: Vec<&Value> = records
            .iter()
            .filter_map(|r| r.get(name.as_str()))
            .filter(|v| !v.is_null())
            .collect();
        (!values.is_empty() && values.iter().all(|v| timestamp_like(v))).then(|| (*name).clone())
    })
}

/// A value described for an error message: `an object with keys `a`, `b``, `an array of 3
/// strings`, `a number`, ...
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(items) if items.is_empty() => "an empty array".into(),
        Value::Array(items) => {
            let what = match items.first().map(kind_of_value) {
                Some(Kind::Object) if items.iter().all(Value::is_object) => "objects",
                Some(Kind::String) => "strings",
                Some(Kind::Integer | Kind::Number) => "numbers",
                Some(Kind::Array) => "arrays",
                _ => "values",
            };
            format!("an array of {} {what}", items.len())
        }
        Value::Object(map) if map.is_empty() => "an empty object".into(),
        Value::Object(map) => {
            let mut keys: Vec<String> = map.keys().take(8).map(|k| format!("`{k}`")).collect();
            if map.len() > 8 {
                keys.push(format!("… ({} in all)", map.len()));
            }
            format!("an object with keys {}", keys.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_only_array_of_objects_is_the_record_path() {
        let body = json!({"records": [{"id": 1}], "total": 1});
        assert_eq!(sure_record_path(&body), Some(vec!["records".to_string()]));
        let nested = json!({"result": {"items": [{"id": 1}]}, "ok": true});
        assert_eq!(
            sure_record_path(&nested),
            Some(vec!["result".to_string(), "items".to_string()])
        );
        assert_eq!(sure_record_path(&json!([{"id": 1}])), Some(vec![]));
        let two = json!({"a": [{"id": 1}], "b": [{"id": 2}]});
        assert_eq!(sure_record_path(&two), None);
        let maybe = json!({"a": [{"id": 1}], "b": []});
        assert_eq!(sure_record_path(&maybe), None);
        assert_eq!(sure_record_path(&json!({"tags": ["x"]})), None);
    }

    #[test]
    fn columns_are_typed_from_values() {
        let records = [
            json!({"id": 1, "at": "2024-01-02T03:04:05Z", "n": null, "x": 1}),
            json!({"id": 2, "n": null, "x": 1.5, "tags": ["a"]}),
        ];
        let cols = columns(&records);
        let ty = |n: &str| cols.iter().find(|c| c.name == n).unwrap().ty;
        assert_eq!(ty("id"), ColumnType::Integer);
        assert_eq!(ty("at"), ColumnType::Timestamp);
        assert_eq!(ty("n"), ColumnType::String);
        assert_eq!(ty("x"), ColumnType::Number);
        assert_eq!(ty("tags"), ColumnType::Json);
    }

    #[test]
    fn the_key_must_be_present_and_unique() {
        let records = [
            json!({"id": 1, "ticket_id": 5}),
            json!({"id": 2, "ticket_id": 5}),
        ];
        assert_eq!(primary_key(&records, "tickets"), Some("id".into()));
        assert!(key_problem(&records, &["ticket_id".into()])
            .unwrap()
            .contains("repeats"));
        let no_id = [json!({"name": "a"}), json!({"name": "b"})];
        assert_eq!(primary_key(&no_id, "tickets"), None);
        let dup = [json!({"id": 1}), json!({"id": 1})];
        assert_eq!(primary_key(&dup, "tickets"), None);
    }

    #[test]
    fn an_update_time_is_a_cursor_field() {
        let records = [json!({"id": 1, "updated": 1_700_000_000, "created": 1_600_000_000})];
        assert_eq!(cursor_field(&records), Some("updated".into()));
        let iso = [json!({"modified_at": "2024-01-02T03:04:05Z"})];
        assert_eq!(cursor_field(&iso), Some("modified_at".into()));
        let text = [json!({"updated": "yesterday"})];
        assert_eq!(cursor_field(&text), None);
    }

    #[test]
    fn shapes_are_described_for_people() {
        assert_eq!(
            describe(&json!({"id": "x", "object": "customer"})),
            "an object with keys `id`, `object`"
        );
        assert_eq!(describe(&json!([1, 2])), "an array of 2 numbers");
    }
}
