//! Auth schemes (`securitySchemes` / 2.0 `securityDefinitions`) and their config fields.

use serde_json::{Map, Value};

use connector_agent_model::{snake_ident, ApiKeyLocation, AuthScheme, ConfigField};

use crate::openapi::{Ctx, Version};

use super::records::clean_text;

/// Auth schemes with the config fields they need, best first.
pub(crate) struct Auth {
    pub schemes: Vec<AuthScheme>,
    pub config: Vec<ConfigField>,
}

/// `used_scopes` maps a scheme name to the scopes the proposed endpoints ask for.
pub(crate) fn infer(ctx: &Ctx<'_>, used_scopes: &[(String, Vec<String>)]) -> Auth {
    let root = ctx.doc.root;
    let defined = match ctx.version {
        Version::Swagger2 => root.get("securityDefinitions"),
        _ => root
            .get("components")
            .and_then(|c| c.get("securitySchemes")),
    };
    let Some(defined) = defined.and_then(Value::as_object) else {
        return Auth {
            schemes: Vec::new(),
            config: Vec::new(),
        };
    };
    // Top-level `security` first (in its order), else every defined scheme.
    let mut names: Vec<&str> = Vec::new();
    if let Some(Value::Array(reqs)) = root.get("security") {
        for req in reqs.iter().filter_map(Value::as_object) {
            for name in req.keys() {
                if defined.contains_key(name) && !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
    }
    if names.is_empty() {
        names = defined.keys().map(String::as_str).collect();
    }
    let top_scopes = top_level_scopes(root);

    let mut found: Vec<(u8, &str, &Map<String, Value>)> = Vec::new();
    for name in names {
        let Some(scheme) = ctx.doc.get(&defined[name]).and_then(Value::as_object) else {
            continue;
        };
        if let Some(rank) = rank(scheme) {
            found.push((rank, name, scheme));
        }
    }
    found.sort_by_key(|(rank, _, _)| *rank);

    let mut auth = Auth {
        schemes: Vec::new(),
        config: Vec::new(),
    };
    for (i, (_, name, scheme)) in found.into_iter().enumerate() {
        let primary = i == 0;
        let description = scheme
            .get("description")
            .and_then(Value::as_str)
            .map(clean_text)
            .filter(|d| !d.is_empty());
        let ty = scheme.get("type").and_then(Value::as_str).unwrap_or("");
        let http = scheme
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut field = |base: &str, label: &str, generic: String, secret: bool, required: bool| {
            let field_name = unique_name(&auth.config, base, name);
            let text = description.clone().unwrap_or(generic);
            let text = if primary || !required {
                text
            } else {
                format!("{text} Needed only when using `{name}` instead of the first scheme.")
            };
            auth.config.push(ConfigField {
                name: field_name.clone(),
                label: label.to_string(),
                description: text,
                secret,
                required: required && primary,
                default: None,
            });
            field_name
        };
        match (ty, http.as_str()) {
            ("http", "bearer") => {
                let generic = format!(
                    "Token sent as `Authorization: Bearer <token>` (security scheme `{name}`). Create one in the API provider's developer settings."
                );
                let token_field = field("token", "API token", generic, true, true);
                auth.schemes.push(AuthScheme::Bearer { token_field });
            }
            ("basic", _) | ("http", "basic") => {
                let generic = format!(
                    "User name for HTTP basic auth (security scheme `{name}`), as issued by the API provider."
                );
                let username_field = field("username", "Username", generic, true, true);
                let generic = format!(
                    "Password for HTTP basic auth (security scheme `{name}`), as issued by the API provider."
                );
                let password_field = field("password", "Password", generic, true, true);
                auth.schemes.push(AuthScheme::Basic {
                    username_field,
                    password_field,
                });
            }
            ("apiKey", _) => {
                let param = scheme
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("api_key")
                    .to_string();
                let location = match scheme.get("in").and_then(Value::as_str) {
                    Some("query") => ApiKeyLocation::Query,
                    Some("cookie") => ApiKeyLocation::Cookie,
                    _ => ApiKeyLocation::Header,
                };
                let raw = scheme.get("description").and_then(Value::as_str);
                let prefix = key_prefix(&param, location, raw);
                let place = match location {
                    ApiKeyLocation::Header => "header",
                    ApiKeyLocation::Query => "query parameter",
                    ApiKeyLocation::Cookie => "cookie",
                };
                let shown = prefix
                    .as_deref()
                    .map_or_else(String::new, |p| format!(" as `{p}<key>`"));
                let generic = format!(
                    "API key sent in the `{param}` {place}{shown} (security scheme `{name}`). Create one in the API provider's dashboard or developer settings."
                );
                let key_field = field("api_key", "API key", generic, true, true);
                auth.schemes.push(AuthScheme::ApiKey {
                    location,
                    param,
                    prefix,
                    key_field,
                });
            }
            ("oauth2", _) => {
                let (authorization_url, token_url, all_scopes) = oauth_flow(ctx.version, scheme);
                let scopes = used_scopes
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, s)| s.clone())
                    .filter(|s| !s.is_empty())
                    .or_else(|| {
                        top_scopes
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, s)| s.clone())
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or(all_scopes);
                // One OAuth 2.0 app per connection: a second OAuth 2.0 scheme shares the
                // fields of the first (the host reads them by these names).
                let first_oauth = !auth
                    .schemes
                    .iter()
                    .any(|s| matches!(s, AuthScheme::OAuth2 { .. }));
                if first_oauth {
                    let mut fixed = |name: &str,
                                     label: &str,
                                     description: String,
                                     secret: bool,
                                     required: bool,
                                     default: Option<String>| {
                        auth.config.push(ConfigField {
                            name: name.to_string(),
                            label: label.to_string(),
                            description,
                            secret,
                            required: required && primary,
                            default,
                        });
                    };
                    fixed("client_id", "OAuth client ID", format!(
                        "OAuth 2.0 client ID of the app registered with the API provider (security scheme `{name}`). Register the redirect URL that `connector-agent authorize` prints."
                    ), false, true, None);
                    fixed("client_secret", "OAuth client secret", format!(
                        "OAuth 2.0 client secret of that app (security scheme `{name}`). With it the host can use the client credentials grant; leave it empty for a public client that uses `connector-agent authorize` (PKCE)."
                    ), true, false, None);
                    fixed("token_url", "OAuth token URL", match &token_url {
                        Some(u) => format!("Token endpoint of the OAuth 2.0 provider; the documentation says `{u}`. Change it only if that is wrong (https, or http on a loopback host)."),
                        None => "Token endpoint of the OAuth 2.0 provider; the documentation does not name it, so find it in the provider's OAuth guide (https).".to_string(),
                    }, false, token_url.is_none(), token_url.clone());
                    fixed("authorization_url", "OAuth authorisation URL", match &authorization_url {
                        Some(u) => format!("Where a person approves access (authorisation-code flow); the documentation says `{u}`. Change it only if that is wrong."),
                        None => "Where a person approves access (authorisation-code flow, `connector-agent authorize`); the documentation does not name it. Not needed for the client credentials grant.".to_string(),
                    }, false, false, authorization_url.clone());
                    fixed("scopes", "OAuth scopes", "OAuth 2.0 scopes to ask for, separated by spaces; the default is what the documentation names for the selected endpoints.".to_string(),
                        false, false, (!scopes.is_empty()).then(|| scopes.join(" ")));
                    fixed("oauth_resource", "OAuth resource", "The API's resource indicator (RFC 8707), for providers that issue a token per API: its URI as the provider names it (e.g. `https://api.example.com/`), sent with the authorisation request and every token request. Several are separated by spaces. Empty sends none.".to_string(),
                        false, false, None);
                    fixed("oauth_authorize_params", "More authorisation parameters", "Parameters some providers need on the authorisation request, as `name=value` pairs separated by `&`: e.g. `prompt=consent` before a refresh token is issued, `access_type=offline`. Values are read as in a URL's query (write `%2B` for `+`, `%25` for `%`). The flow's own parameters (`client_id`, `redirect_uri`, `scope`, …) cannot be set here.".to_string(),
                        false, false, None);
                    fixed("oauth_token_params", "More token parameters", "Parameters some providers need on every token request, as `name=value` pairs separated by `&`: e.g. `audience=https://api.example.com/`. Values are read as in a URL's query (write `%2B` for `+`, `%25` for `%`). The flow's own parameters cannot be set here.".to_string(),
                        false, false, None);
                    fixed("access_token", "OAuth access token", format!(
                        "OAuth 2.0 access token (security scheme `{name}`). The host obtains and renews it; paste one only to skip the OAuth flow."
                    ), true, false, None);
                }
                auth.schemes.push(AuthScheme::OAuth2 {
                    authorization_url,
                    token_url,
                    scopes,
                });
            }
            _ => {}
        }
    }
    auth
}

/// Simplest for the user first; `None` for schemes the host cannot apply. A scheme its
/// description calls deprecated or legacy comes after every other, one it says serves only
/// some endpoints after the general ones, and a key in the query string (it ends up in logs)
/// after a key in a header.
fn rank(scheme: &Map<String, Value>) -> Option<u8> {
    let ty = scheme.get("type").and_then(Value::as_str)?;
    let http = scheme
        .get("scheme")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = match (ty, http.as_str()) {
        ("http", "bearer") => 0,
        ("apiKey", _) => 1,
        ("basic", _) | ("http", "basic") => 2,
        ("oauth2", _) => 3,
        _ => return None,
    };
    let text = scheme
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    // Said of this scheme: at the start of its description, or "this … is deprecated" —
    // not "use this instead of the deprecated key".
    let pointing_away = text.contains("instead of") || text.contains("instead.");
    let deprecated = scheme.get("deprecated").and_then(Value::as_bool) == Some(true)
        || (!pointing_away
            && (["deprecated", "legacy", "(deprecated)"]
                .iter()
                .any(|w| text.starts_with(w))
                || [
                    "is deprecated",
                    "are deprecated",
                    "not recommended",
                    "will be removed",
                ]
                .iter()
                .any(|w| text.contains(w))));
    let narrow = [
        "only for ",
        "only required for",
        "only needed for",
        "only applies to",
    ]
    .iter()
    .any(|w| text.contains(w));
    let in_query = ty == "apiKey" && scheme.get("in").and_then(Value::as_str) == Some("query");
    Some(base + 10 * u8::from(narrow) + 20 * u8::from(deprecated) + 5 * u8::from(in_query))
}

fn unique_name(config: &[ConfigField], base: &str, scheme: &str) -> String {
    if !config.iter().any(|f| f.name == base) {
        return base.to_string();
    }
    let with_scheme = format!("{base}_{}", snake_ident(scheme));
    let mut candidate = with_scheme.clone();
    let mut n = 2;
    while config.iter().any(|f| f.name == candidate) {
        candidate = format!("{with_scheme}_{n}");
        n += 1;
    }
    candidate
}

/// A prefix before the key, from a description like "format `Token token=<API_KEY>`", or
/// `Bearer ` for an undocumented `Authorization` header.
fn key_prefix(param: &str, location: ApiKeyLocation, description: Option<&str>) -> Option<String> {
    if location != ApiKeyLocation::Header || !param.eq_ignore_ascii_case("authorization") {
        return None;
    }
    if let Some(text) = description {
        // The text before the key's placeholder ([`key_placeholder`]) is the prefix.
        let mut at = 0;
        for word in text.split_inclusive(char::is_whitespace) {
            if let Some(offset) = key_placeholder(word.trim_end()) {
                let before = &text[..at + offset];
                let start = before
                    .rfind(['`', '"', '\'', ':', '\n'])
                    .map_or(0, |i| i + 1);
                let prefix = before[start..].trim_start();
                // Only a format written out counts: after `Authorization:`, or inside a code
                // span or quotes — never the words of a sentence ("Get a key from [your …").
                let opener = before[..start].trim_end();
                let lower_opener = opener.to_ascii_lowercase();
                let after_header = lower_opener.ends_with("authorization:");
                let quoted = start > 0 && before[..start].ends_with(['`', '"', '\'']);
                if start > 0 && (after_header || quoted) {
                    // `Authorization: <key>` shown with nothing before the key: the key alone.
                    if prefix.is_empty() && after_header {
                        return None;
                    }
                    if !prefix.is_empty()
                        && prefix.len() <= 32
                        && prefix.split_whitespace().count() <= 2
                        && (prefix.ends_with(' ') || prefix.ends_with('='))
                        && prefix
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_= ".contains(c))
                    {
                        return Some(prefix.to_string());
                    }
                }
            }
            at += word.len();
        }
    }
    Some("Bearer ".to_string())
}

/// Where the placeholder of a key starts in a word of a described format: a bracket
/// (`<key>`, `{token}`, `[API_KEY]`, `$TOKEN`, also inside a word: `token=<key>`), a shouted
/// name (`YOUR_API_KEY`, `API_TOKEN`) or `your_key`.
pub(crate) fn key_placeholder(word: &str) -> Option<usize> {
    if let Some(i) = word.find(['<', '{', '[', '$']) {
        return Some(i);
    }
    let w = word.trim_matches(|c: char| "`\"'.,;)".contains(c));
    let upper = w.to_ascii_uppercase();
    let shouted =
        w.len() >= 3 && w == upper && ["KEY", "TOKEN", "SECRET"].iter().any(|k| upper.contains(k));
    let yours = ["your_", "your-"]
        .iter()
        .any(|y| w.to_ascii_lowercase().starts_with(y));
    (shouted || yours).then(|| word.find(w).unwrap_or(0))
}

/// Authorisation URL, token URL and all scopes of the best flow.
fn oauth_flow(
    version: Version,
    scheme: &Map<String, Value>,
) -> (Option<String>, Option<String>, Vec<String>) {
    let url =
        |m: &Map<String, Value>, key: &str| m.get(key).and_then(Value::as_str).map(str::to_string);
    let scopes = |m: &Map<String, Value>| -> Vec<String> {
        m.get("scopes")
            .and_then(Value::as_object)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    };
    if version == Version::Swagger2 {
        return (
            url(scheme, "authorizationUrl"),
            url(scheme, "tokenUrl"),
            scopes(scheme),
        );
    }
    let Some(flows) = scheme.get("flows").and_then(Value::as_object) else {
        return (None, None, Vec::new());
    };
    for flow in [
        "authorizationCode",
        "clientCredentials",
        "implicit",
        "password",
    ] {
        if let Some(f) = flows.get(flow).and_then(Value::as_object) {
            return (url(f, "authorizationUrl"), url(f, "tokenUrl"), scopes(f));
        }
    }
    (None, None, Vec::new())
}

fn top_level_scopes(root: &Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(Value::Array(reqs)) = root.get("security") {
        collect_scopes(reqs, &mut out);
    }
    out
}

/// Adds the scopes of a list of security requirements to `out`, per scheme, without repeats.
pub(crate) fn collect_scopes(reqs: &[Value], out: &mut Vec<(String, Vec<String>)>) {
    for req in reqs.iter().filter_map(Value::as_object) {
        for (name, scopes) in req {
            let index = match out.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    out.push((name.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            for scope in scopes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !out[index].1.iter().any(|s| s == scope) {
                    out[index].1.push(scope.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(description: &str) -> Option<String> {
        key_prefix("Authorization", ApiKeyLocation::Header, Some(description))
    }

    #[test]
    fn the_key_prefix_is_read_from_the_described_format() {
        assert_eq!(
            header("Send `Authorization: Acme-API-Key <key>`.").as_deref(),
            Some("Acme-API-Key ")
        );
        assert_eq!(
            header("Format: `Token token=<API_KEY>`").as_deref(),
            Some("Token token=")
        );
        assert_eq!(
            header("Use the header `Authorization: ApiKey YOUR_API_KEY`.").as_deref(),
            Some("ApiKey ")
        );
        assert_eq!(
            header("Authorization: Klaviyo-API-Key {private_key}").as_deref(),
            Some("Klaviyo-API-Key ")
        );
        // No format stated: the usual bearer form.
        assert_eq!(
            header("Use your API key as a bearer token.").as_deref(),
            Some("Bearer ")
        );
        assert_eq!(
            key_prefix("X-Api-Key", ApiKeyLocation::Header, Some("`Key <k>`")),
            None
        );
    }

    #[test]
    fn a_key_shown_alone_in_authorization_has_no_prefix() {
        assert_eq!(header("API key sent as `Authorization: <key>`."), None);
    }

    #[test]
    fn the_words_of_a_sentence_are_not_a_prefix() {
        assert_eq!(
            header(
                "Get a key from [your dashboard](https://x). Send `Authorization: ApiKey <key>`."
            )
            .as_deref(),
            Some("ApiKey ")
        );
        assert_eq!(
            header("Create an API_KEY in Settings.").as_deref(),
            Some("Bearer ")
        );
    }

    #[test]
    fn deprecated_narrow_and_query_schemes_rank_after_the_recommended_one() {
        let scheme = |v: Value| rank(v.as_object().unwrap()).unwrap();
        let header = scheme(json!({"type": "apiKey", "in": "header", "name": "Authorization"}));
        let query = scheme(json!({"type": "apiKey", "in": "query", "name": "token"}));
        let old = scheme(
            json!({"type": "http", "scheme": "bearer", "description": "Deprecated: use the API key header."}),
        );
        let narrow = scheme(
            json!({"type": "http", "scheme": "bearer", "description": "Only for the /oauth/revoke endpoint."}),
        );
        assert!(header < query, "a key in a header before one in the query");
        assert!(query < narrow && narrow < old, "{query} {narrow} {old}");
    }
}
