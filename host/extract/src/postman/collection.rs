//! The collection itself: `{{variables}}` with their descriptions, and the walk over folders
//! and requests, which collects what each request says (URL, headers, auth, saved examples,
//! test scripts) and refuses malformed structure with the place.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::infer::records::clean_text;
use crate::openapi::{scalar_text, type_name};
use crate::resolve::join;
use crate::{Error, Result};

/// Deepest folder nesting read; deeper is refused with an error naming the place.
const MAX_DEPTH: usize = 64;
/// Longest text a `{{variable}}` expansion may produce.
const MAX_EXPANSION: usize = 1 << 16;
/// Deepest chain of variables whose values name other variables.
const MAX_VAR_DEPTH: usize = 8;
/// Most script text read per request.
const SCRIPT_BYTES: usize = 1 << 16;

/// Values and descriptions of `{{variables}}`.
#[derive(Default)]
pub(super) struct Vars {
    pub(super) values: HashMap<String, String>,
    pub(super) descriptions: HashMap<String, String>,
}

/// Text with the known variables substituted; unknown ones stay as `{{name}}`.
pub(super) struct Expanded {
    pub(super) text: String,
    pub(super) unknown: Vec<String>,
}

impl Vars {
    pub(super) fn expand(&self, text: &str) -> Expanded {
        let mut out = Expanded {
            text: String::with_capacity(text.len()),
            unknown: Vec::new(),
        };
        self.expand_into(text, 0, &mut out);
        out
    }

    pub(super) fn expand_into(&self, text: &str, depth: usize, out: &mut Expanded) {
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if out.text.len() >= MAX_EXPANSION {
                break;
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                break;
            };
            out.text.push_str(&rest[..open]);
            let name = after[..close].trim();
            match self.values.get(name) {
                Some(value) if depth < MAX_VAR_DEPTH => self.expand_into(value, depth + 1, out),
                Some(value) => out.text.push_str(value),
                None => {
                    out.text.push_str("{{");
                    out.text.push_str(name);
                    out.text.push_str("}}");
                    // The first few are all anyone reads; the cap keeps this linear.
                    if out.unknown.len() < 16 && !out.unknown.iter().any(|u| u == name) {
                        out.unknown.push(name.to_string());
                    }
                }
            }
            rest = &after[close + 2..];
        }
        out.text.push_str(rest);
    }

    /// `the collection's `{{name}}` variable` plus its description, if any.
    pub(super) fn phrase(&self, name: &str) -> String {
        match self.descriptions.get(name) {
            Some(d) => format!(
                "the collection's `{{{{{name}}}}}` variable ({})",
                d.trim_end_matches('.')
            ),
            None => format!("the collection's `{{{{{name}}}}}` variable"),
        }
    }

    /// Adds `key`/`value` entries of a `variable` or environment `values` list.
    pub(super) fn add_list(&mut self, list: &[Value], enabled_key: &str) {
        for entry in list.iter().filter_map(Value::as_object) {
            let Some(key) = entry.get("key").and_then(Value::as_str) else {
                continue;
            };
            let key = key.trim();
            if key.is_empty()
                || entry.get("disabled").and_then(Value::as_bool) == Some(true)
                || entry.get(enabled_key).and_then(Value::as_bool) == Some(false)
            {
                continue;
            }
            let description = clean_text(&description_raw(entry.get("description")));
            if !description.is_empty() {
                self.descriptions.insert(key.to_string(), description);
            }
            match entry.get("value").and_then(scalar_or_bool) {
                Some(value) if !value.trim().is_empty() => {
                    self.values
                        .insert(key.to_string(), value.trim().to_string());
                }
                _ => {}
            }
        }
    }
}

/// Descriptions of variables from Markdown tables like `|`account_id`|Your Ads Account ID.|`.
pub(super) fn table_descriptions(text: &str, vars: &mut Vars) {
    for line in text.lines().take(10_000) {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [name, description, ..] = cells.as_slice() else {
            continue;
        };
        let name = name.trim_matches('`').trim_matches(['{', '}']).trim();
        let plausible = !name.is_empty()
            && name.len() <= 64
            && !name.contains(char::is_whitespace)
            && !name.chars().all(|c| c == '-' || c == ':');
        let description = clean_text(description);
        if plausible && !description.is_empty() {
            vars.descriptions
                .entry(name.to_string())
                .or_insert(description);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Walking folders and requests

pub(super) struct Folder<'d> {
    pub(super) names: Vec<String>,
    pub(super) description: String,
    pub(super) auth: Option<(&'d Value, String)>,
}

/// One request item, as found in the collection.
pub(super) struct Request<'d> {
    pub(super) pointer: String,
    pub(super) name: String,
    /// `Folder / Sub-folder / Request`.
    pub(super) trail: String,
    pub(super) description: String,
    pub(super) folder_description: String,
    pub(super) method: String,
    pub(super) url: Option<(&'d Value, String)>,
    /// Enabled headers: name, value, description.
    pub(super) headers: Vec<(String, String, String)>,
    /// The effective auth object (own, folder's or collection's) and its pointer.
    pub(super) auth: Option<(&'d Value, String)>,
    pub(super) responses: Vec<(String, &'d Map<String, Value>)>,
    pub(super) script: String,
}

pub(super) fn structure(source: &str, pointer: &str, reason: String) -> Error {
    Error::Structure {
        document: source.to_string(),
        pointer: pointer.to_string(),
        reason,
    }
}

pub(super) fn walk<'d>(
    items: &'d Value,
    pointer: &str,
    depth: usize,
    folder: &Folder<'d>,
    source: &str,
    vars: &mut Vars,
    out: &mut Vec<Request<'d>>,
) -> Result<()> {
    let Value::Array(list) = items else {
        return Err(structure(
            source,
            pointer,
            format!("`item` must be a list, found {}", type_name(items)),
        ));
    };
    if depth > MAX_DEPTH {
        return Err(structure(
            source,
            pointer,
            format!("folders nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    for (i, item) in list.iter().enumerate() {
        let at = join(pointer, &i.to_string());
        let Value::Object(map) = item else {
            return Err(structure(
                source,
                &at,
                format!("an item must be a mapping, found {}", type_name(item)),
            ));
        };
        let name = clean_text(&map.get("name").and_then(scalar_text).unwrap_or_default());
        if let Some(children) = map.get("item") {
            let raw = description_raw(map.get("description"));
            table_descriptions(&raw, vars);
            let description = clean_text(&raw);
            let mut names = folder.names.clone();
            names.push(name.clone());
            let sub = Folder {
                names,
                description: if description.is_empty() {
                    folder.description.clone()
                } else {
                    description
                },
                auth: own_auth(map.get("auth"), &at).or_else(|| folder.auth.clone()),
            };
            walk(
                children,
                &join(&at, "item"),
                depth + 1,
                &sub,
                source,
                vars,
                out,
            )?;
        }
        if let Some(request) = map.get("request") {
            out.push(request_of(map, request, &at, &name, folder, source)?);
        }
    }
    Ok(())
}

/// An `auth` object that applies (not absent, `null` or `inherit`), with its pointer.
pub(super) fn own_auth<'d>(auth: Option<&'d Value>, at: &str) -> Option<(&'d Value, String)> {
    let auth = auth.filter(|a| a.is_object())?;
    match auth.get("type").and_then(Value::as_str) {
        None | Some("inherit") => None,
        Some(_) => Some((auth, join(at, "auth"))),
    }
}

pub(super) fn request_of<'d>(
    item: &'d Map<String, Value>,
    request: &'d Value,
    at: &str,
    name: &str,
    folder: &Folder<'d>,
    source: &str,
) -> Result<Request<'d>> {
    let rp = join(at, "request");
    let mut out = Request {
        pointer: at.to_string(),
        name: name.to_string(),
        trail: folder
            .names
            .iter()
            .chain([&name.to_string()])
            .filter(|n| !n.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" / "),
        description: clean_text(&description_raw(item.get("description"))),
        folder_description: folder.description.clone(),
        method: "GET".into(),
        url: None,
        headers: Vec::new(),
        auth: folder.auth.clone(),
        responses: Vec::new(),
        script: String::new(),
    };
    match request {
        Value::String(_) => out.url = Some((request, rp.clone())),
        Value::Object(r) => {
            match r.get("method") {
                None | Some(Value::Null) => {}
                Some(Value::String(m)) => out.method = m.trim().to_ascii_uppercase(),
                Some(other) => {
                    return Err(structure(
                        source,
                        &join(&rp, "method"),
                        format!("`method` must be a string, found {}", type_name(other)),
                    ))
                }
            }
            match r.get("url") {
                None | Some(Value::Null) => {}
                Some(url @ (Value::String(_) | Value::Object(_))) => {
                    out.url = Some((url, join(&rp, "url")));
                }
                Some(other) => {
                    return Err(structure(
                        source,
                        &join(&rp, "url"),
                        format!(
                            "`url` must be a string or a mapping, found {}",
                            type_name(other)
                        ),
                    ))
                }
            }
            out.headers = headers_of(r.get("header"));
            if let Some(auth) = own_auth(r.get("auth"), &rp) {
                out.auth = Some(auth);
            }
            let own = clean_text(&description_raw(r.get("description")));
            if !own.is_empty() && own != "null" {
                out.description = own;
            }
        }
        other => {
            return Err(structure(
                source,
                &rp,
                format!(
                    "`request` must be a string or a mapping, found {}",
                    type_name(other)
                ),
            ))
        }
    }
    if out.description == "null" {
        out.description.clear();
    }
    if let Some(Value::Array(responses)) = item.get("response") {
        let base = join(at, "response");
        for (i, response) in responses.iter().enumerate() {
            if let Value::Object(r) = response {
                out.responses.push((join(&base, &i.to_string()), r));
            }
        }
    }
    out.script = test_script(item.get("event"));
    Ok(out)
}

/// Enabled headers of a request: a list of `{key, value}` or v2.0 `Key: value` lines.
pub(super) fn headers_of(header: Option<&Value>) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    match header {
        Some(Value::Array(list)) => {
            for h in list.iter().filter_map(Value::as_object) {
                let Some(key) = h.get("key").and_then(Value::as_str) else {
                    continue;
                };
                // A disabled header is not sent, except that one asking for changes since
                // a time (`If-Modified-Since`) shows the list's incremental filter.
                let disabled = h.get("disabled").and_then(Value::as_bool) == Some(true);
                if disabled && !crate::infer::incremental::is_change_header(key) {
                    continue;
                }
                let value = h.get("value").and_then(scalar_or_bool).unwrap_or_default();
                let description = clean_text(&description_raw(h.get("description")));
                if !key.trim().is_empty() {
                    out.push((
                        key.trim().to_string(),
                        value.trim().to_string(),
                        description,
                    ));
                }
            }
        }
        Some(Value::String(text)) => {
            for line in text.lines() {
                if let Some((key, value)) = line.split_once(':') {
                    if !key.trim().is_empty() && !key.trim_start().starts_with("//") {
                        let (key, value) = (key.trim(), value.trim());
                        out.push((key.to_string(), value.to_string(), String::new()));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// The text of the request's `test` scripts, capped.
pub(super) fn test_script(events: Option<&Value>) -> String {
    let mut out = String::new();
    for event in events.and_then(Value::as_array).into_iter().flatten() {
        if event.get("listen").and_then(Value::as_str) != Some("test") {
            continue;
        }
        match event.get("script").and_then(|s| s.get("exec")) {
            Some(Value::Array(lines)) => {
                for line in lines.iter().filter_map(Value::as_str) {
                    if out.len() + line.len() > SCRIPT_BYTES {
                        return out;
                    }
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Some(Value::String(text)) if out.len() + text.len() <= SCRIPT_BYTES => {
                out.push_str(text);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// A description: a string, or v2.1's `{content, type}`.
pub(super) fn description_raw(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => m
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

/// The first sentence of a cleaned description, at most 200 characters.
pub(super) fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    let sentence: String = text[..end].chars().take(200).collect();
    sentence.trim().to_string()
}

pub(super) fn scalar_or_bool(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        other => scalar_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_recursively_within_bounds() {
        let mut vars = Vars::default();
        vars.values.insert("a".into(), "{{b}}/x".into());
        vars.values.insert("b".into(), "https://h".into());
        vars.values.insert("loop".into(), "{{loop}}{{loop}}".into());
        let out = vars.expand("{{a}}/{{ c }}/{{a}}");
        assert_eq!(out.text, "https://h/x/{{c}}/https://h/x");
        assert_eq!(out.unknown, ["c"]);
        let out = vars.expand("{{loop}}");
        assert!(out.text.len() <= MAX_EXPANSION * 2, "{}", out.text.len());
        assert_eq!(vars.expand("{{unclosed").text, "{{unclosed");
    }

    #[test]
    fn environment_tables_describe_variables() {
        let mut vars = Vars::default();
        table_descriptions(
            "|Name|Description|\n|---|---|\n|`account_id`|Your Ads Account ID.|\n|`version`|Use the latest.|",
            &mut vars,
        );
        assert_eq!(vars.descriptions["account_id"], "Your Ads Account ID.");
        assert_eq!(
            vars.phrase("version"),
            "the collection's `{{version}}` variable (Use the latest)"
        );
    }
}
