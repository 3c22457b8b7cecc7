//! Keys for tables without one.
//!
//! A table whose records have no known primary key would gain a copy of every record on every
//! re-sync if rows were appended. Instead each row carries [`ROW_ID`]: a SHA-256 of the record
//! in a canonical form (object keys sorted at every level, the JSON text otherwise as
//! serde_json writes it), and rows are upserted on it. A record read again unchanged is the
//! same row; a record that changed is a new row (with no key there is nothing that ties its
//! versions together), like Fivetran's `_fivetran_id`.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The column holding a keyless row's identity.
pub const ROW_ID: &str = "_ca_row_id";

/// A value with every object's keys sorted, recursively.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| k.as_str() != ROW_ID).collect();
            keys.sort();
            let mut out = serde_json::Map::with_capacity(keys.len());
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The row id of one record: 32 hex characters (128 bits) of the canonical form's SHA-256.
pub fn row_id(record: &Value) -> String {
    let text = serde_json::to_string(&canonical(record)).expect("a JSON value serialises");
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Adds [`ROW_ID`] to every object of a JSON array of records.
pub fn with_row_ids(json: &str) -> Result<String, serde_json::Error> {
    let mut records: Vec<Value> = serde_json::from_str(json)?;
    for r in &mut records {
        let id = row_id(r);
        if let Value::Object(map) = r {
            map.insert(ROW_ID.into(), Value::String(id));
        }
    }
    serde_json::to_string(&records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_record_in_any_key_order_has_one_id_and_a_change_gives_another() {
        let a = row_id(&json!({"a": 1, "b": {"y": [1, {"q": 2, "p": 3}], "x": null}}));
        let b = row_id(&json!({"b": {"x": null, "y": [1, {"p": 3, "q": 2}]}, "a": 1}));
        assert_eq!(a, b);
        assert_ne!(
            a,
            row_id(&json!({"a": 2, "b": {"y": [1, {"q": 2, "p": 3}], "x": null}}))
        );
        // Array order is data, not layout.
        assert_ne!(row_id(&json!({"a": [1, 2]})), row_id(&json!({"a": [2, 1]})));
        assert_eq!(a.len(), 32);
        // An id already present does not change the id.
        let with = with_row_ids(
            &json!([{"a": 1, "b": {"y": [1, {"q": 2, "p": 3}], "x": null}}]).to_string(),
        )
        .unwrap();
        let v: Vec<Value> = serde_json::from_str(&with).unwrap();
        assert_eq!(v[0][ROW_ID], Value::String(a.clone()));
        assert_eq!(row_id(&v[0]), a);
    }
}
