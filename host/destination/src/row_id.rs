//! Keys for tables without one.
//!
//! A table whose records have no known primary key would gain a copy of every record on every
//! re-sync if rows were appended. Instead each row carries [`ROW_ID`]: a SHA-256 of the record
//! in a canonical form (object keys sorted at every level, the JSON text otherwise as
//! serde_json writes it), and rows are upserted on it. A record read again unchanged is the
//! same row; a record that changed is a new row (with no key there is nothing that ties its
//! versions together), like Fivetran's `_fivetran_id`.
//!
//! Identical records are distinct rows (two equal lines of an audit log are two events): the
//! n-th copy of a record within one sync of its table is keyed by the record and n
//! ([`Occurrences`]), so a full re-read gives the same ids again and neither collapses nor
//! duplicates them. The first copy's id is the record's plain hash.

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
    occurrence_id(record, 0)
}

/// The id of the `n`-th identical copy of `record` (`n` = 0: the record's [`row_id`]).
fn occurrence_id(record: &Value, n: u32) -> String {
    let mut text = serde_json::to_string(&canonical(record)).expect("a JSON value serialises");
    if n > 0 {
        // A suffix no canonical JSON text ends with.
        text.push_str(&format!("\u{0}#{n}"));
    }
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// How many copies of each record one sync has written to a keyless table so far.
#[derive(Debug, Default)]
pub struct Occurrences(std::collections::HashMap<String, u32>);

impl Occurrences {
    /// Adds [`ROW_ID`] to every object of a JSON array of records, counting identical
    /// records from what this sync committed before and from `pending` (the batches of the
    /// commit under way, updated here). Keep `pending` with [`Occurrences::keep`] once the
    /// rows are committed: a failed commit counts nothing.
    pub fn with_row_ids(
        &self,
        json: &str,
        pending: &mut std::collections::HashMap<String, u32>,
    ) -> Result<String, serde_json::Error> {
        let mut records: Vec<Value> = serde_json::from_str(json)?;
        for r in &mut records {
            let first = row_id(r);
            let n = pending
                .get(&first)
                .or_else(|| self.0.get(&first))
                .copied()
                .unwrap_or(0);
            let id = if n == 0 {
                first.clone()
            } else {
                occurrence_id(r, n)
            };
            pending.insert(first, n + 1);
            if let Value::Object(map) = r {
                map.insert(ROW_ID.into(), Value::String(id));
            }
        }
        serde_json::to_string(&records)
    }

    /// Keeps the counts of a committed batch.
    pub fn keep(&mut self, counts: std::collections::HashMap<String, u32>) {
        self.0.extend(counts);
    }
}

/// Adds [`ROW_ID`] to every object of a JSON array of records (identical records in it are
/// told apart by their order).
pub fn with_row_ids(json: &str) -> Result<String, serde_json::Error> {
    Occurrences::default().with_row_ids(json, &mut Default::default())
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

    #[test]
    fn identical_records_are_distinct_rows_with_the_same_ids_on_every_read() {
        let page1 = json!([{"line": "login"}, {"line": "login"}]).to_string();
        let page2 = json!([{"line": "login"}, {"line": "logout"}]).to_string();
        let read = || {
            let mut seen = Occurrences::default();
            let mut ids = Vec::new();
            for page in [&page1, &page2] {
                let mut counts = Default::default();
                let text = seen.with_row_ids(page, &mut counts).unwrap();
                seen.keep(counts);
                let v: Vec<Value> = serde_json::from_str(&text).unwrap();
                ids.extend(v.iter().map(|r| r[ROW_ID].as_str().unwrap().to_string()));
            }
            ids
        };
        let first = read();
        let distinct: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(
            distinct.len(),
            4,
            "three copies of one line and another: four rows"
        );
        assert_eq!(first[0], row_id(&json!({"line": "login"})));
        assert_eq!(read(), first, "a re-read keys every copy as before");
        // A batch whose commit failed is not counted: its retry gets the same ids.
        let seen = Occurrences::default();
        let a = seen.with_row_ids(&page1, &mut Default::default()).unwrap();
        let b = seen.with_row_ids(&page1, &mut Default::default()).unwrap();
        assert_eq!(a, b);
    }
}
