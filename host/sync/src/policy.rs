//! Customisation decisions: which tables and columns a sync may create, which columns are
//! hashed. Pure: decides, does no I/O.

use crate::{Customization, SchemaPolicy};
use connector_agent_destination::{TableSpec, MAX_COLUMNS};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashSet;

/// What the policy added or held back in one sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemaChanges {
    /// Tables created by this sync after the first one.
    pub added_tables: Vec<String>,
    /// Columns added to existing tables (`table.column`).
    pub added_columns: Vec<String>,
    /// New tables the policy kept out.
    pub held_back_tables: Vec<String>,
    /// New columns the policy kept out (`table.column`).
    pub held_back_columns: Vec<String>,
}

/// Applies blocks and the schema-change policy to the discovered tables.
///
/// `existing` gives each table's current columns (empty = the table does not exist);
/// `first_sync` is true when the connection has never synced (its initial schema is free).
pub fn plan_tables(
    discovered: Vec<TableSpec>,
    custom: &Customization,
    existing: &dyn Fn(&str) -> Vec<String>,
    first_sync: bool,
) -> (Vec<TableSpec>, SchemaChanges) {
    let mut changes = SchemaChanges::default();
    let mut out = Vec::new();
    for mut spec in discovered {
        if custom.blocked_tables.contains(&spec.name) {
            continue;
        }
        if let Some(blocked) = custom.blocked_columns.get(&spec.name) {
            spec.columns
                .retain(|c| !blocked.contains(&c.name) || spec.primary_key.contains(&c.name));
        }
        let have = existing(&spec.name);
        if have.is_empty() {
            if first_sync || custom.schema_policy == SchemaPolicy::AllowAll {
                if !first_sync {
                    changes.added_tables.push(spec.name.clone());
                }
                out.push(spec);
            } else {
                changes.held_back_tables.push(spec.name.clone());
            }
            continue;
        }
        // Each key's column as the destination lays it out (sanitised, deduplicated,
        // capped); hash sets keep this linear in the number of columns.
        let layout = spec.layout(&have);
        let have_set: HashSet<&str> = have.iter().map(String::as_str).collect();
        let present: HashSet<&str> = layout
            .columns
            .iter()
            .filter(|c| have_set.contains(c.name.as_str()))
            .map(|c| c.key.as_str())
            .collect();
        let dropped: HashSet<&str> = layout.dropped.iter().map(String::as_str).collect();
        let new: Vec<String> = spec
            .columns
            .iter()
            .filter(|c| !present.contains(c.name.as_str()) && !dropped.contains(c.name.as_str()))
            .map(|c| c.name.clone())
            .collect();
        if !layout.dropped.is_empty() {
            changes.held_back_columns.extend(
                layout
                    .dropped
                    .iter()
                    .map(|c| format!("{}.{c} (beyond {MAX_COLUMNS} columns)", spec.name)),
            );
        }
        if !new.is_empty() {
            if custom.schema_policy == SchemaPolicy::BlockAll && !first_sync {
                spec.columns.retain(|c| present.contains(c.name.as_str()));
                changes
                    .held_back_columns
                    .extend(new.iter().map(|c| format!("{}.{c}", spec.name)));
            } else if !first_sync {
                changes
                    .added_columns
                    .extend(new.iter().map(|c| format!("{}.{c}", spec.name)));
            }
        }
        out.push(spec);
    }
    (out, changes)
}

/// HMAC-SHA-256 of a value under `key`, hex. Strings are hashed as their text, other values
/// as their JSON; null stays null.
pub fn hash_value(key: &[u8], value: &Value) -> Value {
    let text = match value {
        Value::Null => return Value::Null,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any size");
    mac.update(text.as_bytes());
    Value::String(hex::encode(mac.finalize().into_bytes()))
}

/// Replaces the hashed columns of a JSON array of records. Returns the new JSON.
pub fn hash_records(
    json: &[u8],
    columns: &[String],
    key: &[u8],
) -> Result<Vec<u8>, serde_json::Error> {
    let mut records: Vec<Value> = serde_json::from_slice(json)?;
    for r in &mut records {
        if let Value::Object(map) = r {
            for c in columns {
                if let Some(v) = map.get_mut(c) {
                    *v = hash_value(key, v);
                }
            }
        }
    }
    serde_json::to_vec(&records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_agent_destination::{ColumnSpec, SqlType};

    fn spec(name: &str, cols: &[&str]) -> TableSpec {
        TableSpec {
            name: name.into(),
            columns: cols
                .iter()
                .map(|c| ColumnSpec {
                    name: (*c).into(),
                    ty: SqlType::Text,
                })
                .collect(),
            primary_key: vec!["id".into()],
        }
    }

    #[test]
    fn policy_holds_back_what_it_must() {
        let existing = |t: &str| {
            if t == "a" {
                vec!["id".to_string(), "x".to_string()]
            } else {
                vec![]
            }
        };
        let found = || vec![spec("a", &["id", "x", "y"]), spec("b", &["id"])];
        let mut c = Customization::default();
        let (tables, ch) = plan_tables(found(), &c, &existing, false);
        assert_eq!(tables.len(), 2);
        assert_eq!(ch.added_tables, vec!["b"]);
        assert_eq!(ch.added_columns, vec!["a.y"]);
        c.schema_policy = SchemaPolicy::AllowNewColumns;
        let (tables, ch) = plan_tables(found(), &c, &existing, false);
        assert_eq!(tables.len(), 1);
        assert_eq!(ch.held_back_tables, vec!["b"]);
        assert_eq!(ch.added_columns, vec!["a.y"]);
        c.schema_policy = SchemaPolicy::BlockAll;
        let (tables, ch) = plan_tables(found(), &c, &existing, false);
        assert_eq!(tables[0].columns.len(), 2);
        assert_eq!(ch.held_back_columns, vec!["a.y"]);
        // The first sync creates the initial schema whatever the policy.
        let (tables, ch) = plan_tables(found(), &c, &|_| vec![], true);
        assert_eq!(tables.len(), 2);
        assert_eq!(ch, SchemaChanges::default());
    }

    #[test]
    fn blocked_tables_and_columns_are_dropped_but_keys_stay() {
        let mut c = Customization::default();
        c.blocked_tables.insert("b".into());
        c.blocked_columns
            .insert("a".into(), ["x".to_string(), "id".to_string()].into());
        let (tables, _) = plan_tables(
            vec![spec("a", &["id", "x"]), spec("b", &["id"])],
            &c,
            &|_| vec![],
            true,
        );
        assert_eq!(tables.len(), 1);
        assert_eq!(
            tables[0]
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            vec!["id"]
        );
    }

    #[test]
    fn hashing_replaces_values_and_keeps_nulls() {
        let out = hash_records(
            br#"[{"id":1,"email":"a@b.c","n":null}]"#,
            &["email".into(), "n".into()],
            b"k",
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let h = v[0]["email"].as_str().unwrap();
        assert_eq!(h.len(), 64);
        assert_ne!(h, "a@b.c");
        assert_eq!(v[0]["n"], Value::Null);
        assert_eq!(hash_value(b"k", &Value::from("a@b.c")), v[0]["email"]);
        assert_ne!(hash_value(b"other", &Value::from("a@b.c")), v[0]["email"]);
    }
}
