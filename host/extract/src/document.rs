//! Reading one document file into a [`serde_json::Value`]: JSON or YAML, told apart by content.

use std::path::Path;

use serde_json::Value;

use crate::input::{read_bounded, InputKind};
use crate::nesting::{too_deep, MAX_NESTING};
use crate::{Error, Result};

/// Reads a JSON or YAML document of at most [`crate::MAX_SPEC_BYTES`] (read through a bounded
/// reader, so devices and pipes are fine). The format is decided by content, not by
/// extension: text whose first non-blank character is `{` or `[` is JSON, anything else is
/// YAML. Errors name the file and, for syntax errors, the line and column; documents nested
/// deeper than [`MAX_NESTING`] levels are refused before parsing.
pub fn read_document(path: &Path) -> Result<Value> {
    let bytes = read_bounded(path, InputKind::Spec)?;
    parse_document(&bytes, path)
}

/// Parses JSON or YAML bytes, told apart by content as in [`read_document`]; `source` (a
/// URL or name) only names the document in errors. The caller bounds the size; the nesting
/// depth is bounded here.
pub fn parse_document_bytes(bytes: &[u8], source: &str) -> Result<Value> {
    parse_document(bytes, Path::new(source))
}

/// Parses document bytes; `path` only names the document in errors.
pub(crate) fn parse_document(bytes: &[u8], path: &Path) -> Result<Value> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let json = matches!(first, Some(b'{' | b'['));
    if let Some(line) = too_deep(bytes, json, MAX_NESTING) {
        return Err(Error::TooDeep {
            path: path.to_path_buf(),
            limit: MAX_NESTING,
            line,
        });
    }
    if json {
        return serde_json::from_slice(bytes).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            line: source.line(),
            column: source.column(),
            source,
        });
    }
    yaml_serde::from_slice::<Value>(bytes).map_err(|source| {
        let (line, column) = source.location().map_or((0, 0), |l| (l.line(), l.column()));
        Error::Yaml {
            path: path.to_path_buf(),
            line,
            column,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_integer_keys_become_strings() {
        let doc =
            parse_document(b"responses:\n  200:\n    description: ok\n", Path::new("x")).unwrap();
        assert_eq!(doc["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn json_is_detected_by_content() {
        let doc = parse_document(b"  {\"a\": [1]}", Path::new("x.yaml")).unwrap();
        assert_eq!(doc["a"][0], 1);
    }

    #[test]
    fn broken_json_names_line_and_column() {
        let err = parse_document(b"{\n  \"a\": 1,,\n}", Path::new("spec.json")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`spec.json`") && text.contains("line 2"),
            "{text}"
        );
    }

    #[test]
    fn broken_yaml_names_line_and_column() {
        let err = parse_document(b"a: 1\nb: [1, 2\nc: 3\n", Path::new("spec.yaml")).unwrap_err();
        match err {
            Error::Yaml { line, .. } => assert!(line >= 2, "line {line}"),
            other => panic!("unexpected {other}"),
        }
    }
}
