//! Auth: Postman `auth` objects (bearer, apikey, basic, oauth2; the rest unsupported) and
//! credentials sent in headers or the query, as OpenAPI security schemes for `infer::auth`.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use connector_agent_model::snake_ident;

use crate::infer::naming::squash;
use crate::infer::CREDENTIAL_PARAMS;
use crate::openapi::scalar_text;

use super::collection::{Request, Vars};
use super::url::{raw_url, resolve_url, Base};

/// Auth schemes found in the collection, as OpenAPI security schemes for `infer::auth`.
#[derive(Default)]
pub(super) struct AuthBook {
    /// Key, OpenAPI security scheme, uses by `GET` requests.
    pub(super) schemes: Vec<(String, Value, usize)>,
    /// Position of each key in `schemes`.
    index: HashMap<String, usize>,
    pub(super) scopes: HashMap<String, Vec<String>>,
    /// An `Authorization` header sent without a prefix (`Authorization: {{token}}`).
    pub(super) raw_authorization: bool,
    /// An `Authorization` header sent with a prefix other than `Bearer`/`Basic`.
    pub(super) prefixed_authorization: bool,
    /// Unsupported kinds with the first place seen.
    pub(super) unsupported: Vec<(String, String)>,
}

impl AuthBook {
    pub(super) fn add(&mut self, key: &str, scheme: Value, get: bool) {
        match self.index.get(key) {
            Some(&i) => self.schemes[i].2 += usize::from(get),
            None => {
                self.index.insert(key.to_string(), self.schemes.len());
                self.schemes
                    .push((key.to_string(), scheme, usize::from(get)));
            }
        }
    }

    pub(super) fn query_params(&self) -> Vec<String> {
        self.schemes
            .iter()
            .filter(|(_, s, _)| s.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(|(_, s, _)| s.get("name").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }
}

/// What an auth object asks for.
pub(super) enum AuthOf {
    None,
    Scheme(String, Value, Vec<String>),
    Unsupported(String),
}

/// A value of an auth object: v2.1 `[{key, value}]` or v2.0 `{key: value}`.
pub(super) fn auth_param(auth: &Value, ty: &str, key: &str) -> Option<String> {
    match auth.get(ty)? {
        Value::Array(list) => list
            .iter()
            .find(|e| e.get("key").and_then(Value::as_str) == Some(key))?
            .get("value")
            .and_then(scalar_text),
        Value::Object(map) => map.get(key).and_then(scalar_text),
        _ => None,
    }
}

/// `: the collection's `{{x}}` variable` for a value that is a variable, else empty.
pub(super) fn variable_phrase(value: &str, vars: &Vars) -> String {
    let expanded = vars.expand(value);
    let names: Vec<&String> = expanded.unknown.iter().collect();
    let name = match names.first() {
        Some(n) => (*n).clone(),
        None => {
            let trimmed = value.trim();
            match trimmed
                .strip_prefix("{{")
                .and_then(|s| s.strip_suffix("}}"))
            {
                Some(n) => n.trim().to_string(),
                None => return String::new(),
            }
        }
    };
    format!(": {}", vars.phrase(&name))
}

pub(super) fn auth_of(auth: &Value, vars: &Vars) -> AuthOf {
    let Some(ty) = auth.get("type").and_then(Value::as_str) else {
        return AuthOf::None;
    };
    let param = |key: &str| auth_param(auth, ty, key);
    match ty {
        "noauth" | "inherit" => AuthOf::None,
        "bearer" => {
            let token = param("token").unwrap_or_default();
            let description = format!(
                "Token sent as `Authorization: Bearer <token>`{}. Create one in the API provider's developer settings.",
                variable_phrase(&token, vars)
            );
            AuthOf::Scheme(
                "bearer".into(),
                json!({"type": "http", "scheme": "bearer", "description": description}),
                Vec::new(),
            )
        }
        "basic" => AuthOf::Scheme(
            "basic".into(),
            json!({"type": "http", "scheme": "basic"}),
            Vec::new(),
        ),
        "apikey" => {
            let name = param("key")
                .map(|k| vars.expand(&k).text)
                .filter(|k| !k.trim().is_empty())
                .unwrap_or_else(|| "api_key".into());
            let location = match param("in").as_deref() {
                Some("query") => "query",
                _ => "header",
            };
            let value = param("value").unwrap_or_default();
            let description = format!(
                "API key sent in the `{name}` {}{}. Create one in the API provider's dashboard or developer settings.",
                if location == "query" { "query parameter" } else { "header" },
                variable_phrase(&value, vars)
            );
            let key = scheme_key(&value, || {
                format!("apikey {location} {}", name.to_ascii_lowercase())
            });
            AuthOf::Scheme(
                key,
                json!({"type": "apiKey", "in": location, "name": name, "description": description}),
                Vec::new(),
            )
        }
        "oauth2" => {
            let url = |key: &str| {
                param(key)
                    .map(|u| vars.expand(u.trim()))
                    .filter(|u| u.unknown.is_empty() && !u.text.is_empty())
                    .map(|u| u.text)
            };
            let scopes: Vec<String> = param("scope")
                .map(|s| vars.expand(&s).text)
                .unwrap_or_default()
                .split([' ', ','])
                .filter(|s| !s.is_empty() && !s.contains("{{"))
                .map(str::to_string)
                .collect();
            let grant = param("grant_type").unwrap_or_default();
            let auth_url = url("authUrl");
            let flow = match grant.as_str() {
                "client_credentials" => "clientCredentials",
                "password_credentials" | "password" => "password",
                "implicit" => "implicit",
                _ if auth_url.is_none() && url("accessTokenUrl").is_some() => "clientCredentials",
                _ => "authorizationCode",
            };
            let mut f = Map::new();
            if let Some(u) = auth_url {
                f.insert("authorizationUrl".into(), Value::String(u));
            }
            if let Some(u) = url("accessTokenUrl") {
                f.insert("tokenUrl".into(), Value::String(u));
            }
            let scope_map: Map<String, Value> = scopes
                .iter()
                .map(|s| (s.clone(), Value::String(String::new())))
                .collect();
            f.insert("scopes".into(), Value::Object(scope_map));
            AuthOf::Scheme(
                "oauth2".into(),
                json!({"type": "oauth2", "flows": {flow: f}}),
                scopes,
            )
        }
        other => AuthOf::Unsupported(other.to_string()),
    }
}

/// The name of an API-key scheme: the variable holding the key when the value is just one
/// (`{{management_token}}` → config field `management_token`), else `fallback`.
pub(super) fn scheme_key(value: &str, fallback: impl FnOnce() -> String) -> String {
    let inner = value
        .trim()
        .strip_prefix("{{")
        .and_then(|v| v.strip_suffix("}}"))
        .filter(|v| !v.contains("{{") && !v.contains("}}"));
    match inner.map(snake_ident) {
        Some(name) if !matches!(name.as_str(), "bearer" | "basic" | "oauth2") => name,
        _ => fallback(),
    }
}

/// Whether a header name carries a credential (`X-API-Key`, `authtoken`, `Private-Token`).
pub(super) fn credential_header(name: &str) -> bool {
    let s = squash(name);
    s != "idempotencykey"
        && (s.ends_with("key")
            || s.ends_with("token")
            || s.ends_with("secret")
            || s.contains("apikey")
            || s == "authorization")
}

/// The scheme of a credential header: key, scheme, and for an API key in the `Authorization`
/// header whether it is sent without a prefix (`Some(true)`) or with one (`Some(false)`).
pub(super) fn header_auth(
    name: &str,
    value: &str,
    vars: &Vars,
) -> Option<(String, Value, Option<bool>)> {
    if !credential_header(name) {
        return None;
    }
    let lower = value.trim().to_ascii_lowercase();
    if squash(name) == "authorization" {
        if lower.starts_with("bearer ") {
            let description = format!(
                "Token sent as `Authorization: Bearer <token>`{}. Create one in the API provider's developer settings.",
                variable_phrase(value.trim()[7..].trim(), vars)
            );
            return Some((
                "bearer".into(),
                json!({"type": "http", "scheme": "bearer", "description": description}),
                None,
            ));
        }
        if lower.starts_with("basic ") {
            return Some((
                "basic".into(),
                json!({"type": "http", "scheme": "basic"}),
                None,
            ));
        }
        let cut = value.find("{{").or_else(|| value.find('<')).unwrap_or(0);
        let prefix = &value[..cut];
        if !prefix.trim().is_empty() && (prefix.ends_with(' ') || prefix.ends_with('=')) {
            let description = format!(
                "API key sent in the `{name}` header as `{prefix}<key>`{}.",
                variable_phrase(&value[cut..], vars)
            );
            let key = scheme_key(&value[cut..], || {
                format!(
                    "header authorization {}",
                    prefix.trim().to_ascii_lowercase()
                )
            });
            return Some((
                key,
                json!({"type": "apiKey", "in": "header", "name": name, "description": description}),
                Some(false),
            ));
        }
        let description = format!(
            "Credential sent as the whole `{name}` header value{}.",
            variable_phrase(value, vars)
        );
        return Some((
            scheme_key(value, || "header authorization".into()),
            json!({"type": "apiKey", "in": "header", "name": name, "description": description}),
            Some(true),
        ));
    }
    let description = format!(
        "API key sent in the `{name}` header{}.",
        variable_phrase(value, vars)
    );
    Some((
        scheme_key(value, || format!("header {}", name.to_ascii_lowercase())),
        json!({"type": "apiKey", "in": "header", "name": name, "description": description}),
        None,
    ))
}

/// Query parameters that carry a credential.
pub(super) fn credential_query(key: &str) -> bool {
    let s = squash(key);
    CREDENTIAL_PARAMS.contains(&s.as_str()) || matches!(s.as_str(), "key" | "accesskey")
}

/// Records an auth object in the book and says what it asks for.
pub(super) fn note_auth(
    book: &mut AuthBook,
    auth: &Value,
    pointer: &str,
    vars: &Vars,
    get: bool,
) -> AuthOf {
    let found = auth_of(auth, vars);
    match &found {
        AuthOf::Scheme(key, scheme, scopes) => {
            book.add(key, scheme.clone(), get);
            let known = book.scopes.entry(key.clone()).or_default();
            for scope in scopes {
                if !known.contains(scope) {
                    known.push(scope.clone());
                }
            }
        }
        AuthOf::Unsupported(kind) if get => {
            if !book.unsupported.iter().any(|(k, _)| k == kind) {
                book.unsupported.push((kind.clone(), pointer.to_string()));
            }
        }
        AuthOf::Unsupported(_) | AuthOf::None => {}
    }
    found
}

pub(super) fn unsupported_why(kind: &str) -> &'static str {
    match kind {
        "oauth1" => "OAuth 1.0a signs every request, which the host does not do",
        "awsv4" => "AWS Signature v4 signs every request, which the host does not do",
        "digest" => "HTTP digest auth needs a challenge round trip the host does not do",
        _ => "the host applies only bearer tokens, API keys, basic auth and OAuth 2.0",
    }
}

/// An OAuth 2.0 scheme without a token URL takes it from a request that obtains tokens
/// (`POST …/oauth/token?grant_type=client_credentials`), when its URL is fully known.
pub(super) fn token_url_from_requests(
    book: &mut AuthBook,
    requests: &[Request<'_>],
    vars: &Vars,
    warnings: &mut Vec<String>,
) {
    let Some((_, scheme, _)) = book.schemes.iter_mut().find(|(k, _, _)| k == "oauth2") else {
        return;
    };
    let Some(flows) = scheme.get_mut("flows").and_then(Value::as_object_mut) else {
        return;
    };
    if flows.values().any(|f| f.get("tokenUrl").is_some()) {
        return;
    }
    let token_request = requests.iter().find_map(|r| {
        let (url, _) = r.url.as_ref()?;
        let parsed = resolve_url(&raw_url(url), vars);
        let last = parsed.path.rsplit('/').next().unwrap_or("");
        (r.method == "POST" && last == "token").then_some((r, parsed))
    });
    let Some((request, parsed)) = token_request else {
        return;
    };
    let grant = parsed
        .query
        .iter()
        .find(|q| q.key == "grant_type")
        .map(|q| q.value.clone())
        .unwrap_or_default();
    match &parsed.base {
        Base::Known(base) if !parsed.path.contains('{') => {
            let url = format!("{base}{}", parsed.path);
            let flow = if grant == "client_credentials" {
                "clientCredentials"
            } else {
                "authorizationCode"
            };
            let scopes = flows
                .values()
                .find_map(|f| f.get("scopes").cloned())
                .unwrap_or_else(|| json!({}));
            flows.clear();
            flows.insert(flow.into(), json!({"tokenUrl": url, "scopes": scopes}));
        }
        base => warnings.push(format!(
            "the OAuth 2.0 token URL is not known: the request `{}` at `{}` obtains tokens from `{}{}`, whose host is not set",
            request.trail,
            request.pointer,
            base.shown(),
            parsed.path
        )),
    }
}

/// The synthetic document holding the security schemes, most used first.
pub(super) fn auth_document(book: &AuthBook) -> Value {
    let mut order: Vec<&(String, Value, usize)> = book.schemes.iter().filter(|s| s.2 > 0).collect();
    order.sort_by_key(|s| std::cmp::Reverse(s.2));
    let mut schemes = Map::new();
    let mut security = Vec::new();
    for (key, scheme, _) in order {
        schemes.insert(key.clone(), scheme.clone());
        let scopes = book.scopes.get(key).cloned().unwrap_or_default();
        security.push(json!({ key.as_str(): scopes }));
    }
    json!({
        "openapi": "3.0.3",
        "components": {"securitySchemes": schemes},
        "security": security
    })
}
