//! Column names from record keys: the one mapping every destination (SQLite and PostgreSQL)
//! and Save & Test use, so that any key a record may hold gives a column that can be created,
//! and the same key always gives the same column.
//!
//! - A *plain* key (no control character, no `"`, not empty, at most [`MAX_NAME_BYTES`]
//!   bytes) is its own column name.
//! - Any other key is cleaned — control characters (NUL included) and `"` become `_`, an
//!   empty key becomes `column` — cut to fit [`MAX_NAME_BYTES`] (PostgreSQL's limit, so that
//!   two long keys never meet after PostgreSQL truncates them) and suffixed with `_` and 8 hex
//!   digits of the key's SHA-256: stable, and distinct for distinct keys.
//! - Names are compared case-folded (ASCII, as SQLite does): of keys that fold to one name, an
//!   existing column keeps its key; otherwise the lower-case key wins, then the smallest; the
//!   others get the hash suffix. The order keys arrive in does not matter.
//! - At most [`MAX_COLUMNS`] columns per table: the table's existing columns and the required
//!   ones (primary key, `_synced_at`, `_ca_row_id`) first, then the others in the order above;
//!   keys beyond the cap get no column (they are listed in [`ColumnNames::dropped`]).
//!
//! Work is linear in the number of keys plus existing columns (hash sets), apart from sorting.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// PostgreSQL truncates identifiers to this many bytes; every column name fits.
pub const MAX_NAME_BYTES: usize = 63;

/// Most columns a table gets from record keys (system columns included). SQLite allows
/// 2,000 and PostgreSQL 1,600; keys beyond this land in no column.
pub const MAX_COLUMNS: usize = 500;

/// The comparison form of a name: ASCII lower case (SQLite's identifiers ignore ASCII case).
pub fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Whether a key can be its own column name.
pub fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_NAME_BYTES
        && !key.chars().any(|c| c.is_control() || c == '"')
}

/// The column name of a key, without regard to other keys: the key itself when plain, else
/// the cleaned key with its hash suffix.
pub fn column_name(key: &str) -> String {
    if is_plain(key) {
        key.to_string()
    } else {
        suffixed(key, 0)
    }
}

/// The cleaned key cut to leave room for `_` and 8 hex digits of the key's hash (`round`
/// salts the hash for the astronomically rare clash of two suffixes).
fn suffixed(key: &str, round: u32) -> String {
    let mut base: String = key
        .chars()
        .map(|c| if c.is_control() || c == '"' { '_' } else { c })
        .collect();
    if base.is_empty() {
        base.push_str("column");
    }
    let mut end = base.len().min(MAX_NAME_BYTES - 9);
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    base.truncate(end);
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    if round > 0 {
        h.update(round.to_le_bytes());
    }
    let digest = h.finalize();
    format!(
        "{base}_{:02x}{:02x}{:02x}{:02x}",
        digest[0], digest[1], digest[2], digest[3]
    )
}

/// The columns of a table's keys, given the columns the table has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnNames {
    /// Key → column name.
    columns: HashMap<String, String>,
    /// Keys that got no column (beyond [`MAX_COLUMNS`]), in the order they were given.
    pub dropped: Vec<String>,
}

impl ColumnNames {
    /// Assigns a column to each of `keys` (duplicates ignored). `required` keys (a primary
    /// key, system columns) are never dropped; `existing` are the columns the table has.
    pub fn assign<'a>(
        keys: impl IntoIterator<Item = &'a str>,
        required: &[&str],
        existing: &[String],
    ) -> ColumnNames {
        let mut seen = HashSet::new();
        let keys: Vec<&str> = keys.into_iter().filter(|k| seen.insert(*k)).collect();
        let existing_exact: HashSet<&str> = existing.iter().map(String::as_str).collect();
        let required: HashSet<&str> = required.iter().copied().collect();
        // Folded names taken by an assigned column, and every existing column (an existing
        // column is never given to another key).
        let mut taken: HashSet<String> = existing.iter().map(|c| fold(c)).collect();
        let mut out = ColumnNames::default();
        let mut count = 0usize;
        let mut pending = Vec::with_capacity(keys.len());
        // 1. Keys whose column exists: plain keys under their own name, others under their
        //    suffixed one.
        //    An existing column goes to one key only (a plain key before a suffixed one).
        let mut claimed: HashSet<String> = HashSet::new();
        let (plain, other): (Vec<&str>, Vec<&str>) = keys.iter().partition(|k| is_plain(k));
        for k in plain.into_iter().chain(other) {
            let name = column_name(k);
            if existing_exact.contains(name.as_str()) && claimed.insert(name.clone()) {
                out.columns.insert(k.to_string(), name);
                count += 1;
            } else {
                pending.push(k);
            }
        }
        // 2. The rest: required first, then lower-case keys before others that fold to the
        //    same name, then by key.
        let upper = |k: &str| k.bytes().any(|b| b.is_ascii_uppercase());
        let mut order: Vec<(bool, bool, &str)> = pending
            .into_iter()
            .map(|k| (!required.contains(k), upper(k), k))
            .collect();
        order.sort_unstable();
        let pending = order.into_iter().map(|(_, _, k)| k);
        for k in pending {
            if count >= MAX_COLUMNS && !required.contains(k) {
                out.dropped.push(k.to_string());
                continue;
            }
            let mut name = column_name(k);
            let mut round = 0;
            let free_existing =
                |n: &String| existing_exact.contains(n.as_str()) && !claimed.contains(n);
            while taken.contains(&fold(&name)) && !free_existing(&name) {
                name = suffixed(k, round);
                round += 1;
            }
            taken.insert(fold(&name));
            claimed.insert(name.clone());
            out.columns.insert(k.to_string(), name);
            count += 1;
        }
        // `dropped` in the order the keys were given.
        if !out.dropped.is_empty() {
            let dropped: HashSet<String> = out.dropped.drain(..).collect();
            out.dropped = keys
                .iter()
                .filter(|k| dropped.contains(**k))
                .map(|k| k.to_string())
                .collect();
        }
        out
    }

    /// The column of a key, or `None` when it got none.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.columns.get(key).map(String::as_str)
    }

    /// Number of keys with a column.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether no key has a column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_get_safe_distinct_names() {
        let long_a = format!("{}a", "x".repeat(99));
        let long_b = format!("{}b", "x".repeat(99));
        let keys = ["id", "ID", "a\"b", "a\u{0}b", "", "a_b", &long_a, &long_b];
        let n = ColumnNames::assign(keys, &["id"], &[]);
        assert_eq!(n.get("id"), Some("id"));
        assert_eq!(n.get("a_b"), Some("a_b"));
        let mut folded = HashSet::new();
        for k in keys {
            let c = n.get(k).unwrap();
            assert!(c.len() <= MAX_NAME_BYTES, "{c}");
            assert!(!c.contains(['"', '\0']), "{c:?}");
            assert!(folded.insert(fold(c)), "{c} twice");
        }
        assert!(n.get("ID").unwrap().starts_with("ID_"));
        // Order of arrival does not matter.
        let mut rev = keys;
        rev.reverse();
        let m = ColumnNames::assign(rev, &["id"], &[]);
        for k in keys {
            assert_eq!(n.get(k), m.get(k), "{k:?}");
        }
    }

    #[test]
    fn existing_columns_keep_their_keys_and_the_cap_holds() {
        let n = ColumnNames::assign(["id", "ID"], &[], &["ID".to_string()]);
        assert_eq!(n.get("ID"), Some("ID"));
        assert_ne!(n.get("id"), Some("id"));
        let keys: Vec<String> = (0..100_000).map(|i| format!("k{i}")).collect();
        let t = std::time::Instant::now();
        let n = ColumnNames::assign(keys.iter().map(String::as_str), &["k99999"], &[]);
        let took = t.elapsed();
        assert!(took.as_secs() < 5, "{took:?}");
        assert_eq!(n.len(), MAX_COLUMNS);
        assert_eq!(n.dropped.len(), 100_000 - MAX_COLUMNS);
        assert!(n.get("k99999").is_some());
    }
}
