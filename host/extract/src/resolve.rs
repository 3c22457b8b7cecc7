//! Local `$ref` resolution over a [`serde_json::Value`] document, and JSON pointer helpers.
//!
//! Only same-document references (`#/...`) are followed. Chains of references are followed
//! up to a limit and a loop is reported rather than followed forever.

use std::fmt;

use serde_json::Value;

/// Longest chain of `$ref` → `$ref` → ... followed before giving up.
const MAX_CHAIN: usize = 32;

/// Why a `$ref` could not be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefError {
    /// It points into another file or URL.
    External(String),
    /// It points to nothing in this document.
    Missing(String),
    /// It points (through other references) back to itself, or the chain is too long.
    Loop(String),
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::External(r) => write!(f, "`$ref` `{r}` points outside this document"),
            RefError::Missing(r) => write!(f, "`$ref` `{r}` points to nothing"),
            RefError::Loop(r) => write!(f, "`$ref` `{r}` is a reference loop"),
        }
    }
}

/// A parsed document with its root, for resolving references.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub root: &'a Value,
}

impl<'a> Doc<'a> {
    pub fn new(root: &'a Value) -> Self {
        Doc { root }
    }

    /// The value at a JSON pointer in URI-fragment form (`#/components/schemas/x`).
    pub fn pointer(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.strip_prefix('#')?;
        if fragment.is_empty() {
            return Some(self.root);
        }
        let fragment = fragment.strip_prefix('/')?;
        let mut node = self.root;
        for raw in fragment.split('/') {
            let segment = unescape(&percent_decode(raw));
            node = match node {
                Value::Object(map) => map.get(segment.as_str())?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Follows `v`'s `$ref` chain, if any, to the value it finally names.
    pub fn deref(&self, v: &'a Value) -> Result<&'a Value, RefError> {
        let mut node = v;
        let mut seen: Vec<&str> = Vec::new();
        while let Some(reference) = ref_of(node) {
            if seen.contains(&reference) || seen.len() >= MAX_CHAIN {
                return Err(RefError::Loop(reference.to_string()));
            }
            seen.push(reference);
            if !reference.starts_with('#') {
                return Err(RefError::External(reference.to_string()));
            }
            node = self
                .pointer(reference)
                .ok_or_else(|| RefError::Missing(reference.into()))?;
        }
        Ok(node)
    }

    /// Like [`Doc::deref`], but an unusable reference gives `None`.
    pub fn get(&self, v: &'a Value) -> Option<&'a Value> {
        self.deref(v).ok()
    }
}

/// The `$ref` string of a value, if it is a reference object.
pub(crate) fn ref_of(v: &Value) -> Option<&str> {
    v.as_object()?.get("$ref")?.as_str()
}

/// Appends one segment to a JSON pointer, escaping `~` and `/`.
pub(crate) fn join(pointer: &str, segment: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + segment.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for ch in segment.chars() {
        match ch {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            _ => out.push(ch),
        }
    }
    out
}

fn unescape(segment: &str) -> String {
    if segment.contains('~') {
        segment.replace("~1", "/").replace("~0", "~")
    } else {
        segment.to_string()
    }
}

fn percent_decode(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_string();
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_unescapes_tilde_slash_and_percent() {
        let root = json!({"paths": {"/a/{id}": {"x~y": 1}}});
        let doc = Doc::new(&root);
        assert_eq!(doc.pointer("#/paths/~1a~1{id}/x~0y"), Some(&json!(1)));
        assert_eq!(doc.pointer("#/paths/~1a~1%7Bid%7D/x~0y"), Some(&json!(1)));
        assert_eq!(join("#/paths", "/a/{id}"), "#/paths/~1a~1{id}");
    }

    #[test]
    fn ref_loops_and_dangling_refs_are_errors() {
        let root = json!({
            "a": {"$ref": "#/b"}, "b": {"$ref": "#/a"},
            "c": {"$ref": "#/nowhere"}, "d": {"$ref": "other.yaml#/x"},
            "e": {"$ref": "#/f"}, "f": {"type": "string"}
        });
        let doc = Doc::new(&root);
        assert!(matches!(doc.deref(&root["a"]), Err(RefError::Loop(_))));
        assert!(matches!(doc.deref(&root["c"]), Err(RefError::Missing(_))));
        assert!(matches!(doc.deref(&root["d"]), Err(RefError::External(_))));
        assert_eq!(doc.deref(&root["e"]).unwrap(), &json!({"type": "string"}));
    }
}
