//! Reading response bodies without building a tree for every record, and writing the
//! record batches handed to the host.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

use crate::RecordLayout;

/// A JSON object read one level deep: keys with their raw values, in document order.
pub(crate) struct RawObject<'a>(pub Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawObject<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<'a> RawObject<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// A parsed response body: the root, and its top-level fields when it is an object.
pub struct Body<'a> {
    root: &'a RawValue,
    top: Option<RawObject<'a>>,
}

impl<'a> Body<'a> {
    /// Parses a body: `Err` says why it is not JSON.
    pub fn parse(bytes: &'a [u8]) -> Result<Body<'a>, String> {
        let root: &RawValue = serde_json::from_slice(bytes).map_err(|e| {
            if bytes.is_empty() {
                "the body is empty".to_string()
            } else {
                format!("the body is not valid JSON ({e})")
            }
        })?;
        let top = if root.get().starts_with('{') {
            Some(serde_json::from_str::<RawObject>(root.get()).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(Body { root, top })
    }

    /// The top-level fields, in document order, when the body is an object.
    pub(crate) fn top_fields(&self) -> Option<&[(String, &'a RawValue)]> {
        self.top.as_ref().map(|t| t.0.as_slice())
    }

    /// The raw value at a path of object keys; the empty path is the root.
    pub fn get(&self, path: &[&str]) -> Option<&'a RawValue> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self.root);
        };
        let mut cur = self.top.as_ref()?.get(first)?;
        for key in rest {
            let obj: RawObject = serde_json::from_str(cur.get()).ok()?;
            cur = obj.get(key)?;
        }
        Some(cur)
    }

    /// A scalar at a path, as a JSON value (null when absent).
    pub fn value(&self, path: &[&str]) -> Value {
        self.get(path)
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The records array at `path`.
    pub fn records(&self, path: &[&str]) -> Result<Vec<&'a RawValue>, String> {
        let raw = self.get(path).ok_or_else(|| {
            format!(
                "the record path `{}` is missing from the response",
                path.join(".")
            )
        })?;
        let text = raw.get();
        if text == "null" {
            return Ok(Vec::new());
        }
        if !text.starts_with('[') {
            return Err(format!(
                "the record path `{}` holds {} instead of an array of records",
                if path.is_empty() {
                    "(body)".to_string()
                } else {
                    path.join(".")
                },
                kind(text)
            ));
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

fn kind(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// How records are rewritten before they leave the connector.
pub(crate) struct Shape<'s> {
    /// Columns the user blocked.
    pub blocked: &'s [String],
    /// Columns and raw JSON values of the keys of a child table's parent and the parents
    /// above it, root first (empty for a top-level table).
    pub parents: &'s [(&'static str, String)],
    /// Field whose maximum is tracked (incremental cursor).
    pub cursor_field: Option<&'s str>,
}

/// Appends records to a JSON array being built in `out` (opened with `[`), handing each
/// record's cursor value to `on_cursor`, in the order the records came.
pub(crate) fn write_records(
    records: &[&RawValue],
    shape: &Shape<'_>,
    out: &mut Vec<u8>,
    on_cursor: &mut dyn FnMut(Value),
) -> Result<(), String> {
    let rewrite = !shape.blocked.is_empty() || !shape.parents.is_empty();
    for raw in records {
        let text = raw.get();
        if out.len() > 1 {
            out.push(b',');
        }
        if !text.starts_with('{') {
            // A list of scalars: each becomes a one-column record.
            out.extend_from_slice(b"{\"value\":");
            out.extend_from_slice(text.as_bytes());
            for (col, key) in shape.parents {
                out.push(b',');
                write_key(col, out);
                out.extend_from_slice(key.as_bytes());
            }
            out.push(b'}');
            continue;
        }
        if !rewrite && shape.cursor_field.is_none() {
            out.extend_from_slice(text.as_bytes());
            continue;
        }
        let obj: RawObject = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if let Some(field) = shape.cursor_field {
            if let Some(v) = obj.get(field) {
                let v: Value = serde_json::from_str(v.get()).map_err(|e| e.to_string())?;
                if !v.is_null() {
                    on_cursor(v);
                }
            }
        }
        if !rewrite {
            out.extend_from_slice(text.as_bytes());
            continue;
        }
        out.push(b'{');
        let mut first = true;
        for (k, v) in &obj.0 {
            // A field named like a parent's column gives way to the parent's value (written
            // below): one key per name.
            if shape.blocked.iter().any(|b| b == k) || shape.parents.iter().any(|(c, _)| c == k) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            write_key(k, out);
            out.extend_from_slice(v.get().as_bytes());
        }
        for (col, key) in shape.parents {
            if !first {
                out.push(b',');
            }
            first = false;
            write_key(col, out);
            out.extend_from_slice(key.as_bytes());
        }
        out.push(b'}');
    }
    Ok(())
}

fn write_key(key: &str, out: &mut Vec<u8>) {
    // serde_json escapes the key; writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, key);
    out.push(b':');
}

/// The larger of two cursor values: numbers numerically, times by the instant they name
/// (`…:00.5Z` after `…:00Z`, offsets applied, digits as numbers), other strings
/// lexicographically.
pub fn max_cursor(a: Option<Value>, b: Option<Value>) -> Option<Value> {
    match (a, b) {
        (None, b) => b.filter(|v| !v.is_null()),
        (a, None) => a,
        (Some(a), Some(b)) => {
            let b_bigger = match (&a, &b) {
                (Value::Number(x), Value::Number(y)) => {
                    y.as_f64().unwrap_or(f64::MIN) > x.as_f64().unwrap_or(f64::MIN)
                }
                // Digits compare as the numbers they write (a counter, a Unix time).
                (Value::String(x), Value::String(y))
                    if crate::time::is_digits(x) && crate::time::is_digits(y) =>
                {
                    let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                    (y.len(), y) > (x.len(), x)
                }
                (Value::String(x), Value::String(y)) => {
                    match (crate::time::instant(&a), crate::time::instant(&b)) {
                        (Some(tx), Some(ty)) => ty > tx,
                        _ => y > x,
                    }
                }
                (Value::Null, _) => true,
                _ => false,
            };
            Some(if b_bigger { b } else { a })
        }
    }
}

/// The members a JSON:API resource object may hold; a record with any other is not one.
pub const RESOURCE_MEMBERS: &[&str] = &[
    "type",
    "id",
    "lid",
    "attributes",
    "relationships",
    "links",
    "meta",
];

/// A response body with its records laid out as plain records: the body itself for
/// [`RecordLayout::Plain`]; for [`RecordLayout::JsonApi`], the body with each record at
/// `record_path` rewritten as [`json_api_record`] says. Values are copied as the text they
/// are (a 23-digit number stays exact), and everything outside the records array, the paging
/// fields included, is kept byte for byte. `Err` says why the records cannot be read.
pub fn laid_out<'b>(
    bytes: &'b [u8],
    record_path: &[&str],
    layout: RecordLayout,
) -> Result<Cow<'b, [u8]>, String> {
    if layout == RecordLayout::Plain {
        return Ok(Cow::Borrowed(bytes));
    }
    // A body that is not JSON, or has no array there, is for `Body` to report.
    let Ok(body) = Body::parse(bytes) else {
        return Ok(Cow::Borrowed(bytes));
    };
    let Some(array) = body.get(record_path).map(RawValue::get) else {
        return Ok(Cow::Borrowed(bytes));
    };
    if !array.starts_with('[') {
        return Ok(Cow::Borrowed(bytes));
    }
    // The array's text lies inside `bytes` (the parse borrows it): splice the new records in.
    let start = (array.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
    let end = start.wrapping_add(array.len());
    if end > bytes.len() || start > end || &bytes[start..end] != array.as_bytes() {
        return Err("the records array could not be located in the body".into());
    }
    let records: Vec<&RawValue> = serde_json::from_str(array).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(bytes.len() + 64);
    out.extend_from_slice(&bytes[..start]);
    out.push(b'[');
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_api_raw(r, &mut out)?;
    }
    out.push(b']');
    out.extend_from_slice(&bytes[end..]);
    Ok(Cow::Owned(out))
}

/// Writes `name: value` to an object being built in `out`.
fn member(name: &str, value: &[u8], first: &mut bool, out: &mut Vec<u8>) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    write_key(name, out);
    out.extend_from_slice(value);
}

/// One JSON:API resource object as a plain record (see [`json_api_record`]), its values
/// copied as raw text.
fn json_api_raw(record: &RawValue, out: &mut Vec<u8>) -> Result<(), String> {
    let text = record.get();
    if !text.starts_with('{') {
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    let obj: RawObject = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut names: Vec<String> = Vec::with_capacity(obj.0.len() + 8);
    let mut first = true;
    out.push(b'{');
    for (k, v) in obj
        .0
        .iter()
        .filter(|(k, _)| k != "attributes" && k != "relationships")
    {
        member(k, v.get().as_bytes(), &mut first, out);
        names.push(k.clone());
    }
    if let Some(attributes) = obj.get("attributes") {
        if attributes.get().starts_with('{') {
            let attributes: RawObject =
                serde_json::from_str(attributes.get()).map_err(|e| e.to_string())?;
            for (k, v) in &attributes.0 {
                // Named like a member of a resource object (present here or not): one column
                // name for every record.
                let name = if names.contains(k) || RESOURCE_MEMBERS.contains(&k.as_str()) {
                    format!("attributes_{k}")
                } else {
                    k.clone()
                };
                if !names.contains(&name) {
                    member(&name, v.get().as_bytes(), &mut first, out);
                    names.push(name);
                }
            }
        } else {
            member("attributes", attributes.get().as_bytes(), &mut first, out);
        }
    }
    if let Some(relationships) = obj.get("relationships") {
        if relationships.get().starts_with('{') {
            let relationships: RawObject =
                serde_json::from_str(relationships.get()).map_err(|e| e.to_string())?;
            for (name, rel) in &relationships.0 {
                let Some(data) = field(rel, "data") else {
                    continue;
                };
                fn id_of(v: &RawValue) -> &str {
                    field(v, "id").map_or("null", RawValue::get)
                }
                let (column, value) = if data.get().starts_with('[') {
                    let items: Vec<&RawValue> =
                        serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
                    let ids: Vec<&str> = items.iter().map(|i| id_of(i)).collect();
                    (format!("{name}_ids"), format!("[{}]", ids.join(",")))
                } else {
                    (format!("{name}_id"), id_of(data).to_string())
                };
                if !names.contains(&column) {
                    member(&column, value.as_bytes(), &mut first, out);
                    names.push(column);
                }
            }
        } else {
            member(
                "relationships",
                relationships.get().as_bytes(),
                &mut first,
                out,
            );
        }
    }
    out.push(b'}');
    Ok(())
}

/// A JSON:API resource object as a plain record, as JSON:API clients present resources:
/// `id`, `type`, `links` and `meta` as they are; each member of `attributes` as a field of its
/// own (one named like a member of a resource object, `links` or `meta`, as
/// `attributes_<name>`, whether or not the record has that member); each relationship as
/// the id of the resource it points to (`author_id`, null when empty) or, for a to-many one,
/// the array of their ids (`tags_ids`). A relationship with only links (no `data`) gives
/// nothing. Anything that is not an object is returned as it is. The connector applies the
/// same rule to raw text ([`laid_out`]).
pub fn json_api_record(record: Value) -> Value {
    let text = record.to_string();
    let Ok(raw) = serde_json::from_str::<&RawValue>(&text) else {
        return record;
    };
    let mut out = Vec::with_capacity(text.len());
    match json_api_raw(raw, &mut out) {
        Ok(()) => serde_json::from_slice(&out).unwrap_or(record),
        Err(_) => record,
    }
}

/// Whether records read look like JSON:API resource objects: every one an object with a
/// string `type`, an `id`, an object `attributes` and no member JSON:API does not define (and
/// at least one record).
pub fn looks_like_json_api(records: &[Value]) -> bool {
    !records.is_empty()
        && records.iter().all(|r| {
            r.as_object()
                .is_some_and(|o| o.keys().all(|k| RESOURCE_MEMBERS.contains(&k.as_str())))
                && r.get("type").is_some_and(Value::is_string)
                && r.get("id").is_some_and(|v| v.is_string() || v.is_number())
                && r.get("attributes").is_some_and(Value::is_object)
        })
}

/// How deeply a record's values may nest (objects and arrays inside the record): well under
/// the JSON readers of the destinations (SQLite's 1,000 levels, serde_json's 128 for a whole
/// batch), far above what APIs send.
pub const MAX_RECORD_DEPTH: usize = 100;

/// Why a batch (a JSON array of records) nests deeper than `max` levels inside a record,
/// naming the record; `None` when it does not. One pass over the bytes, no allocation.
pub fn too_deep(batch: &[u8], max: usize) -> Option<String> {
    let (mut depth, mut record, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in batch {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                // The batch's array is level 1, a record level 2.
                if depth > max + 2 {
                    return Some(format!(
                        "record {} of a batch nests its values deeper than {max} levels, more than a destination stores",
                        record + 1
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => record += 1,
            _ => {}
        }
    }
    None
}

/// The raw JSON text of a field of a record, if the record is an object holding it.
pub fn field<'a>(record: &'a RawValue, name: &str) -> Option<&'a RawValue> {
    let obj: RawObject = serde_json::from_str(record.get()).ok()?;
    obj.get(name)
}

/// A scalar raw value as plain text (strings unquoted), for URLs and cursors.
pub fn scalar_text(raw: &RawValue) -> Option<String> {
    match serde_json::from_str::<Value>(raw.get()).ok()? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_selected_and_rewritten() {
        let body = br#"{"data":[{"id":"a","secret":1,"u":5},{"id":"b","secret":2,"u":9}],"has_more":true}"#;
        let body = Body::parse(body).unwrap();
        let recs = body.records(&["data"]).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(body.value(&["has_more"]), Value::Bool(true));
        let blocked = vec!["secret".to_string()];
        let shape = Shape {
            blocked: &blocked,
            parents: &[("customer_id", "\"c1\"".to_string())],
            cursor_field: Some("u"),
        };
        let mut out = vec![b'['];
        let mut max = None;
        write_records(&recs, &shape, &mut out, &mut |v| {
            max = max_cursor(max.take(), Some(v))
        })
        .unwrap();
        out.push(b']');
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"id":"a","u":5,"customer_id":"c1"},{"id":"b","u":9,"customer_id":"c1"}]"#
        );
        assert_eq!(max, Some(Value::from(9)));
    }

    #[test]
    fn json_api_resources_become_plain_records() {
        let bytes = br#"{"data":[{"id":"7","type":"vehicles","attributes":{"plate":"AB-1","updated_at":"2024-01-02T00:00:00Z","id":"shadowed"},"relationships":{"site":{"data":{"type":"sites","id":"s1"}},"owner":{"data":null},"tags":{"data":[{"type":"tags","id":"t1"},{"type":"tags","id":"t2"}]},"docs":{"links":{"related":"/x"}}},"links":{"self":"/vehicles/7"}}],"links":{"next":"/vehicles?page[cursor]=abc"}}"#;
        let flat = laid_out(bytes, &["data"], RecordLayout::JsonApi).unwrap();
        let v: Value = serde_json::from_slice(&flat).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"data":[{"id":"7","type":"vehicles","links":{"self":"/vehicles/7"},
                "plate":"AB-1","updated_at":"2024-01-02T00:00:00Z","attributes_id":"shadowed",
                "site_id":"s1","owner_id":null,"tags_ids":["t1","t2"]}],
                "links":{"next":"/vehicles?page[cursor]=abc"}})
        );
        // Plain bodies are not copied; a body that is not JSON is left for `Body::parse`.
        assert!(matches!(
            laid_out(bytes, &["data"], RecordLayout::Plain).unwrap(),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            laid_out(b"<html>", &["data"], RecordLayout::JsonApi).unwrap(),
            Cow::Borrowed(_)
        ));
        // Numbers keep their text; an attribute named like a member is kept under another
        // name; the rest of the body is kept byte for byte.
        let bytes = br#"{"meta":{"n":1.50}, "data":[{"type":"p","id":"1","links":{"self":"/p/1"},"attributes":{"balance":12345678901234567890123,"rate":0.12345678901234567891,"links":["https://a"]}}]}"#;
        let flat = laid_out(bytes, &["data"], RecordLayout::JsonApi).unwrap();
        let text = std::str::from_utf8(&flat).unwrap();
        assert_eq!(
            text,
            r#"{"meta":{"n":1.50}, "data":[{"type":"p","id":"1","links":{"self":"/p/1"},"balance":12345678901234567890123,"rate":0.12345678901234567891,"attributes_links":["https://a"]}]}"#
        );
        // An attribute named like a member is renamed even where the member is absent, so
        // every record puts it in the same column.
        let bytes =
            br#"{"data":[{"type":"p","id":"2","attributes":{"links":"y","meta":{"k":1.10}}}]}"#;
        let flat = laid_out(bytes, &["data"], RecordLayout::JsonApi).unwrap();
        assert_eq!(
            std::str::from_utf8(&flat).unwrap(),
            r#"{"data":[{"type":"p","id":"2","attributes_links":"y","attributes_meta":{"k":1.10}}]}"#
        );
        // A record with a member JSON:API does not define is not a resource object.
        let shirt: Value = serde_json::from_str(
            r#"{"id":"p1","type":"shirt","sku":"S1","attributes":{"color":"red"}}"#,
        )
        .unwrap();
        assert!(!looks_like_json_api(&[shirt]));
        let records = v["data"].as_array().unwrap().clone();
        assert!(!looks_like_json_api(&records));
        let raw: Value = serde_json::from_slice(bytes).unwrap();
        assert!(looks_like_json_api(raw["data"].as_array().unwrap()));
    }

    #[test]
    fn records_nested_too_deep_are_named_and_strings_do_not_count() {
        let ok = br#"[{"a":{"b":[1,{"c":"[[[[{{{{"}]}},{"x":"\"[["}]"#;
        assert_eq!(too_deep(ok, 3), None);
        let deep = format!(r#"[{{"a":1}},{{"v":{}1{}}}]"#, "[".repeat(5), "]".repeat(5));
        assert_eq!(too_deep(deep.as_bytes(), 5), None);
        let why = too_deep(deep.as_bytes(), 4).unwrap();
        assert!(
            why.contains("record 2") && why.contains("4 levels"),
            "{why}"
        );
        let hostile = format!("[{{\"v\":{}", "[".repeat(200_000));
        assert!(too_deep(hostile.as_bytes(), MAX_RECORD_DEPTH)
            .unwrap()
            .contains("record 1"));
    }

    #[test]
    fn wrong_shapes_are_named() {
        let body = Body::parse(br#"{"data":{"x":1}}"#).unwrap();
        assert!(body.records(&["data"]).unwrap_err().contains("an object"));
        assert!(body.records(&["items"]).unwrap_err().contains("missing"));
        assert!(Body::parse(b"<html>").is_err());
    }
}
