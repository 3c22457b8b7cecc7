//! URLs: a raw string or a `url` object, variables substituted, the host part made the base URL
//! and the path a template whose parameters are Postman path variables (`:id`), variables
//! with no value, `<placeholders>` and example ids.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use connector_agent_model::snake_ident;

use crate::infer::naming::{is_prefix_segment, singular};
use crate::infer::records::clean_text;
use crate::openapi::scalar_text;

use super::collection::{description_raw, scalar_or_bool, Vars};

/// A URL as written in the collection, before variables are substituted.
#[derive(Default)]
pub(super) struct RawUrl {
    pub(super) scheme: Option<String>,
    /// `None` for a relative URL.
    pub(super) host: Option<String>,
    pub(super) port: Option<String>,
    pub(super) segments: Vec<String>,
    /// key, value, disabled, description.
    pub(super) query: Vec<(String, String, bool, String)>,
    /// Path variables (`:name`): name → (example value, description).
    pub(super) variables: HashMap<String, (String, String)>,
}

/// Where a request is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Base {
    /// Fully known: `https://api.example.com` (no trailing `/`).
    Known(String),
    /// Depends on a variable with no value: its name.
    Variable(String),
    /// A relative URL.
    Relative,
}

impl Base {
    pub(super) fn shown(&self) -> String {
        match self {
            Base::Known(url) => url.clone(),
            Base::Variable(name) => format!("{{{{{name}}}}}"),
            Base::Relative => "(relative)".into(),
        }
    }
}

/// A query parameter after substitution.
pub(super) struct QueryItem {
    pub(super) key: String,
    pub(super) value: String,
    /// The value is a variable with no value, or a `<placeholder>`.
    pub(super) open: bool,
    /// The name of that variable, when it is one.
    pub(super) variable: Option<String>,
    pub(super) disabled: bool,
    pub(super) description: String,
}

/// A URL after substitution: base, path template and query.
pub(super) struct Parsed {
    pub(super) base: Base,
    pub(super) path: String,
    /// Path parameters in order: name in the template, description.
    pub(super) params: Vec<(String, String)>,
    pub(super) query: Vec<QueryItem>,
}

pub(super) fn raw_url(url: &Value) -> RawUrl {
    let mut out = RawUrl::default();
    let raw = match url {
        Value::String(s) => Some(s.as_str()),
        Value::Object(m) => m.get("raw").and_then(Value::as_str),
        _ => None,
    };
    let mut raw_query = "";
    if let Some(raw) = raw {
        let (scheme, host, path, query) = split_raw(raw);
        out.scheme = scheme.map(str::to_string);
        out.host = host.map(str::to_string);
        out.segments = path.split('/').map(str::to_string).collect();
        raw_query = query;
    }
    if let Value::Object(m) = url {
        if let Some(protocol) = m.get("protocol").and_then(Value::as_str) {
            out.scheme = Some(protocol.trim_end_matches("://").to_string());
        }
        match m.get("host") {
            Some(Value::Array(parts)) => {
                let parts: Vec<String> = parts.iter().filter_map(scalar_text).collect();
                out.host = Some(parts.join("."));
            }
            Some(Value::String(host)) => out.host = Some(host.clone()),
            _ => {}
        }
        if let Some(port) = m.get("port").and_then(scalar_text) {
            out.port = Some(port);
        }
        match m.get("path") {
            Some(Value::Array(parts)) => {
                out.segments = parts
                    .iter()
                    .filter_map(|p| match p {
                        Value::Object(o) => o.get("value").and_then(scalar_text),
                        other => scalar_text(other),
                    })
                    .collect();
            }
            Some(Value::String(path)) => {
                out.segments = path.split('/').map(str::to_string).collect();
            }
            _ => {}
        }
        if let Some(Value::Array(query)) = m.get("query") {
            for q in query.iter().filter_map(Value::as_object) {
                let Some(key) = q.get("key").and_then(scalar_text) else {
                    continue;
                };
                out.query.push((
                    key,
                    q.get("value").and_then(scalar_or_bool).unwrap_or_default(),
                    q.get("disabled").and_then(Value::as_bool).unwrap_or(false),
                    clean_text(&description_raw(q.get("description"))),
                ));
            }
            raw_query = "";
        }
        if let Some(Value::Array(vars)) = m.get("variable") {
            for v in vars.iter().filter_map(Value::as_object) {
                if let Some(key) = v.get("key").and_then(Value::as_str) {
                    let value = v.get("value").and_then(scalar_text).unwrap_or_default();
                    let description = clean_text(&description_raw(v.get("description")));
                    out.variables
                        .insert(key.to_string(), (value.trim().to_string(), description));
                }
            }
        }
    }
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.query
            .push((key.to_string(), value.to_string(), false, String::new()));
    }
    out
}

/// Scheme, host, path and query of a raw URL. A URL starting with `/` has no host; one starting
/// with `{{var}}` has that (and what follows up to the first `/`) as its host.
pub(super) fn split_raw(raw: &str) -> (Option<&str>, Option<&str>, &str, &str) {
    let raw = raw.trim();
    let raw = raw.split('#').next().unwrap_or(raw);
    let (before, query) = raw.split_once('?').unwrap_or((raw, ""));
    let (scheme, rest) = match before.find("://") {
        Some(i) if !before[..i].contains('/') => (Some(&before[..i]), &before[i + 3..]),
        _ => (None, before),
    };
    if scheme.is_none() && rest.starts_with('/') {
        return (None, None, rest, query);
    }
    match rest.find('/') {
        Some(i) => (scheme, Some(&rest[..i]), &rest[i..], query),
        None => (scheme, Some(rest), "", query),
    }
}

pub(super) fn resolve_url(raw: &RawUrl, vars: &Vars) -> Parsed {
    let base = match &raw.host {
        None => Base::Relative,
        Some(host) if host.trim().is_empty() => Base::Relative,
        Some(host) => {
            let expanded = vars.expand(host.trim());
            match expanded.unknown.first() {
                Some(name) => Base::Variable(name.clone()),
                None => {
                    let text = expanded.text.trim().trim_end_matches('/');
                    if text.contains("://") {
                        Base::Known(text.to_string())
                    } else {
                        let scheme = raw
                            .scheme
                            .as_deref()
                            .map(|s| vars.expand(s))
                            .filter(|s| s.unknown.is_empty() && !s.text.is_empty())
                            .map_or_else(|| "https".to_string(), |s| s.text.to_ascii_lowercase());
                        let port = raw
                            .port
                            .as_deref()
                            .filter(|p| !p.is_empty() && !text.contains(':'))
                            .map_or_else(String::new, |p| format!(":{p}"));
                        Base::Known(format!("{scheme}://{text}{port}"))
                    }
                }
            }
        }
    };

    let mut segments: Vec<String> = Vec::new();
    let mut params: Vec<(String, String)> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    let describe = |name: &str, vars: &Vars| -> String {
        if let Some((value, description)) = raw.variables.get(name) {
            let description = without_marker(description);
            if !description.is_empty() {
                return description;
            }
            if let Some(d) = vars.descriptions.get(name) {
                return d.clone();
            }
            if !value.is_empty() && !value.contains("{{") {
                return format!("For example `{value}`.");
            }
        }
        vars.descriptions.get(name).cloned().unwrap_or_default()
    };
    let mut add_param = |raw_name: &str, params: &mut Vec<(String, String)>| -> String {
        let base = snake_ident(raw_name);
        let mut name = base.clone();
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        params.push((name.clone(), describe(raw_name, vars)));
        format!("{{{name}}}")
    };
    for segment in &raw.segments {
        let segment = segment.trim();
        if segment.is_empty() {
            continue;
        }
        // `:name` (Postman path variable), `<name>` and `{name}` placeholders.
        if let Some(rest) = segment.strip_prefix(':') {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            if end > 0 {
                let param = add_param(&rest[..end], &mut params);
                segments.push(format!("{param}{}", &rest[end..]));
                continue;
            }
        }
        if let Some(inner) = placeholder(segment) {
            let param = add_param(inner, &mut params);
            segments.push(param);
            continue;
        }
        if let Some(inner) = segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .filter(|s| !s.is_empty() && !s.contains(['{', '}']))
        {
            let param = add_param(inner, &mut params);
            segments.push(param);
            continue;
        }
        let expanded = vars.expand(segment);
        let mut text = String::new();
        let mut rest = expanded.text.as_str();
        while let Some(open) = rest.find("{{") {
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                break;
            };
            text.push_str(&rest[..open]);
            let param = add_param(after[..close].trim(), &mut params);
            text.push_str(&param);
            rest = &after[close + 2..];
        }
        text.push_str(rest);
        segments.extend(
            text.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
    }
    // Example ids in the path (`/c/8.json`, `/users/0b5c…`) are parameters too.
    for i in 1..segments.len() {
        let (stem, ext) = split_extension(&segments[i]);
        let numeric = !stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit());
        let prev = &segments[i - 1];
        let after_collection = split_extension(prev).0.ends_with('s');
        if (numeric || is_uuid(stem) || (after_collection && looks_like_example_id(stem)))
            && !prev.contains('{')
            && !is_prefix_segment(prev)
        {
            let owner = singular(&snake_ident(split_extension(prev).0));
            let ext = ext.to_string();
            let param = add_param(&format!("{owner}_id"), &mut params);
            segments[i] = format!("{param}{ext}");
        }
    }
    let path = format!("/{}", segments.join("/"));

    let mut query: Vec<QueryItem> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (key, value, disabled, description) in &raw.query {
        let key = vars.expand(key.trim());
        if key.text.is_empty() || !key.unknown.is_empty() {
            continue;
        }
        let expanded = vars.expand(value.trim());
        let open = !expanded.unknown.is_empty() || placeholder(value.trim()).is_some();
        let variable = expanded.unknown.first().cloned();
        let item = QueryItem {
            key: key.text,
            value: expanded.text,
            open,
            variable,
            disabled: *disabled,
            description: description.clone(),
        };
        match seen.get(&item.key) {
            Some(&i) if query[i].disabled && !item.disabled => query[i] = item,
            Some(_) => {}
            None => {
                seen.insert(item.key.clone(), query.len());
                query.push(item);
            }
        }
    }
    Parsed {
        base,
        path,
        params,
        query,
    }
}

/// A parameter description without a leading `required`/`optional` marker, which the model
/// says otherwise: `(Required) The Comment ID` → `The Comment ID`.
pub(super) fn without_marker(text: &str) -> String {
    let trimmed = text.trim_start_matches(['(', '[', ' ']);
    for marker in ["required", "optional"] {
        if trimmed
            .get(..marker.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(marker))
        {
            let rest =
                trimmed[marker.len()..].trim_start_matches([')', ']', ':', '.', ',', '-', ' ']);
            return rest.to_string();
        }
    }
    text.to_string()
}

/// The name inside a whole-segment `<name>` placeholder.
pub(super) fn placeholder(text: &str) -> Option<&str> {
    text.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .filter(|s| !s.is_empty() && !s.contains(['<', '>', '/', ' ']))
}

pub(super) fn split_extension(segment: &str) -> (&str, &str) {
    for ext in [".json", ".xml", ".csv"] {
        if segment.len() > ext.len() && segment.to_ascii_lowercase().ends_with(ext) {
            return segment.split_at(segment.len() - ext.len());
        }
    }
    (segment, "")
}

/// A name made up for an example (`9upc2wo2w0w130`, `discourse1`): letters and digits mixed,
/// not a version (`v2beta1`).
pub(super) fn looks_like_example_id(text: &str) -> bool {
    let versionish =
        text.starts_with(['v', 'V']) && text[1..].starts_with(|c: char| c.is_ascii_digit());
    text.len() >= 6
        && !versionish
        && text.chars().all(|c| c.is_ascii_alphanumeric())
        && text.chars().any(|c| c.is_ascii_digit())
        && text.chars().any(|c| c.is_ascii_alphabetic())
}

pub(super) fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether two path templates name the same resource: same segments, parameters match
/// anything (a saved response's URL holds example values where the request has `:id`).
pub(super) fn same_path(a: &str, b: &str) -> bool {
    let a: Vec<&str> = a.split('/').filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = b.split('/').filter(|s| !s.is_empty()).collect();
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x.contains('{') || y.contains('{') || x.eq_ignore_ascii_case(y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        let mut vars = Vars::default();
        for (k, v) in pairs {
            vars.values.insert((*k).to_string(), (*v).to_string());
        }
        vars
    }

    #[test]
    fn raw_urls_split_into_scheme_host_path_and_query() {
        assert_eq!(
            split_raw("https://api.x.com/v1/a?b=1"),
            (Some("https"), Some("api.x.com"), "/v1/a", "b=1")
        );
        assert_eq!(
            split_raw("{{base_url}}/v3/user"),
            (None, Some("{{base_url}}"), "/v3/user", "")
        );
        assert_eq!(split_raw("/relative/x"), (None, None, "/relative/x", ""));
        assert_eq!(split_raw("{{host}}"), (None, Some("{{host}}"), "", ""));
    }

    #[test]
    fn path_variables_placeholders_and_unknown_variables_become_parameters() {
        let vars = vars(&[("base", "https://api.x.com"), ("v", "v2")]);
        let url = json!({
            "raw": "{{base}}/{{v}}/users/:user-id/<itemId>/{{project key}}/c/8.json?x=1",
            "host": ["{{base}}"],
            "path": ["{{v}}", "users", ":user-id", "<itemId>", "{{project key}}", "c", "8.json"],
            "variable": [{"key": "user-id", "value": "u1", "description": "(Required) The user"}]
        });
        let parsed = resolve_url(&raw_url(&url), &vars);
        assert_eq!(parsed.base, Base::Known("https://api.x.com".into()));
        assert_eq!(
            parsed.path,
            "/v2/users/{user_id}/{item_id}/{project_key}/c/{c_id}.json"
        );
        assert_eq!(parsed.params[0], ("user_id".into(), "The user".into()));
        assert_eq!(parsed.query[0].key, "x");
    }

    #[test]
    fn hosts_with_unknown_variables_are_not_known() {
        let url = json!({"host": "{{base_url}}", "path": "/v3/stacks", "protocol": "https"});
        let parsed = resolve_url(&raw_url(&url), &Vars::default());
        assert_eq!(parsed.base, Base::Variable("base_url".into()));
        assert_eq!(parsed.path, "/v3/stacks");
        let literal = json!({"host": ["api", "x", "com"], "path": ["a"], "port": "8443"});
        let parsed = resolve_url(&raw_url(&literal), &Vars::default());
        assert_eq!(parsed.base, Base::Known("https://api.x.com:8443".into()));
    }

    #[test]
    fn example_ids_are_told_from_versions_and_names() {
        assert!(looks_like_example_id("9upc2wo2w0w130"));
        assert!(!looks_like_example_id("v2beta1"));
        assert!(!looks_like_example_id("accounts"));
        assert!(is_uuid("0b5c2a8e-1d2f-4c3b-9a8e-7f6d5c4b3a21"));
        assert!(same_path(
            "/accounts/acc_1/contacts",
            "/accounts/{account_id}/contacts"
        ));
        assert!(!same_path("/accounts", "/accounts/{account_id}/contacts"));
        assert_eq!(without_marker("(Required) The ID"), "The ID");
        assert_eq!(without_marker("optional"), "");
        assert_eq!(without_marker("Requires care"), "Requires care");
    }
}
