//! Reading OpenAPI 3.0, OpenAPI 3.1 and Swagger 2.0 documents: version, info, servers,
//! operations, parameters and responses. What the operations mean is decided in `infer`.

use serde::Deserialize as _;
use serde_json::{Map, Value};

use connector_agent_model::{snake_ident, ApiModel, ConfigField};

use crate::infer;
use crate::resolve::{join, Doc};
use crate::schema::Schemas;
use crate::{Error, Extraction, Result, Skipped};

/// The dialect of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Swagger2,
    OpenApi30,
    OpenApi31,
}

/// Everything the inference needs about the document.
pub(crate) struct Ctx<'a> {
    pub doc: Doc<'a>,
    pub schemas: Schemas<'a>,
    pub version: Version,
    /// Names of query parameters that carry an API key (the host adds those).
    pub credential_params: Vec<String>,
}

/// One parameter, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Param<'a> {
    pub name: &'a str,
    pub location: &'a str,
    pub required: bool,
    pub description: &'a str,
    /// The schema (3.x `schema`; 2.0 non-body parameters are their own schema).
    pub schema: Option<&'a Value>,
}

/// The success response of an operation, as far as the inference needs it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Response<'a> {
    pub schema: Option<&'a Value>,
    pub example: Option<&'a Value>,
    /// Documented response header names.
    pub headers: Vec<&'a str>,
    /// JSON pointer of the schema (or of the response when it has none).
    pub pointer: String,
    /// The JSON media type to ask for in `Accept` when the response offers no plain
    /// `application/json` (JSON:API's `application/vnd.api+json`, a vendor's `+json`).
    pub accept: Option<&'a str>,
}

/// One `GET` operation with its parameters merged from the path item.
#[derive(Debug, Clone)]
pub(crate) struct Operation<'a> {
    pub path: &'a str,
    pub pointer: String,
    pub op: &'a Map<String, Value>,
    pub params: Vec<Param<'a>>,
    /// Operation-level `produces` (2.0) or the document's.
    pub produces: Option<&'a Vec<Value>>,
}

impl<'a> Operation<'a> {
    pub fn deprecated(&self) -> bool {
        self.op
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

pub(crate) fn extract(root: &Value, source: &str, report: bool) -> Result<Extraction> {
    let not_openapi = |reason: String| Error::NotOpenApi {
        document: source.to_string(),
        reason,
    };
    let Some(map) = root.as_object() else {
        return Err(not_openapi(format!(
            "the top level is {}, not a mapping",
            type_name(root)
        )));
    };
    let version = detect_version(map, source)?;
    let doc = Doc::new(root);
    let credential_params = credential_params(doc, version);
    let ctx = Ctx {
        doc,
        schemas: Schemas::new(doc),
        version,
        credential_params,
    };

    let mut warnings = Vec::new();
    if report && version == Version::OpenApi30 {
        if let Err(err) = openapiv3::OpenAPI::deserialize(root) {
            warnings.push(format!(
                "the typed OpenAPI 3.0 reader rejects `{source}` ({err}); extracted from the raw document instead"
            ));
        }
    }

    let info = map.get("info").and_then(Value::as_object);
    let text = |key: &str| info.and_then(|i| i.get(key)).and_then(scalar_text);
    let name = text("title")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            let stem = std::path::Path::new(source)
                .file_stem()
                .map(|s| s.to_string_lossy());
            stem.map_or_else(|| source.to_string(), |s| s.into_owned())
        });

    let servers = resolved_servers(servers(&ctx, map), source);
    let operations = operations(&ctx, map, source)?;
    let mut skipped = Vec::new();
    let mut candidates = Vec::new();
    for item in operations {
        match item {
            Ok(op) => match infer::analyse(&ctx, &op) {
                Ok(candidate) => candidates.push(candidate),
                Err(reason) => skipped.push(skip(op.path, &op.pointer, reason)),
            },
            Err(skip) => skipped.push(skip),
        }
    }
    let mut model = infer::assemble(
        &ctx,
        ApiModel {
            name: name.trim().to_string(),
            version: text("version"),
            sources: vec![source.to_string()],
            servers: servers.iter().map(|s| s.0.clone()).collect(),
            auth: Vec::new(),
            config: Vec::new(),
            headers: Vec::new(),
            endpoints: Vec::new(),
        },
        &servers,
        candidates,
    );
    if ctx.version != Version::Swagger2 {
        server_variables(map, &mut model);
    }
    Ok(Extraction {
        model,
        skipped,
        warnings,
    })
}

/// Query parameter names of `apiKey` schemes sent in the query.
fn credential_params(doc: Doc<'_>, version: Version) -> Vec<String> {
    let defined = match version {
        Version::Swagger2 => doc.root.get("securityDefinitions"),
        _ => doc
            .root
            .get("components")
            .and_then(|c| c.get("securitySchemes")),
    };
    let schemes = defined
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values());
    schemes
        .filter_map(|s| doc.get(s))
        .filter(|s| s.get("in").and_then(Value::as_str) == Some("query"))
        .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn skip(path: &str, pointer: &str, reason: String) -> Skipped {
    Skipped {
        method: "GET".into(),
        path: path.to_string(),
        pointer: pointer.to_string(),
        reason,
    }
}

fn detect_version(map: &Map<String, Value>, source: &str) -> Result<Version> {
    let unsupported = |field, version: String, supported| Error::UnsupportedVersion {
        document: source.to_string(),
        field,
        version,
        supported,
    };
    if let Some(v) = map.get("openapi") {
        let version = scalar_text(v).unwrap_or_default();
        return if version.starts_with("3.0") {
            Ok(Version::OpenApi30)
        } else if version.starts_with("3.1") || version.starts_with("3.2") {
            Ok(Version::OpenApi31)
        } else {
            Err(unsupported(
                "openapi",
                version,
                "OpenAPI 3.0 and 3.1 are read",
            ))
        };
    }
    if let Some(v) = map.get("swagger") {
        let version = scalar_text(v).unwrap_or_default();
        return if version == "2.0" || version == "2" {
            Ok(Version::Swagger2)
        } else {
            Err(unsupported("swagger", version, "Swagger 2.0 is read"))
        };
    }
    let reason = if map.contains_key("info") && map.contains_key("item") {
        "it has no `openapi` or `swagger` field (it looks like a Postman collection)".to_string()
    } else {
        let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
        format!(
            "it has no `openapi` or `swagger` field (top-level keys: {})",
            keys.join(", ")
        )
    };
    Err(Error::NotOpenApi {
        document: source.to_string(),
        reason,
    })
}

/// A string, or a number rendered as text (YAML `version: 1.0`).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

/// Base URLs with their descriptions, best first, without trailing `/`.
fn servers(ctx: &Ctx<'_>, map: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if ctx.version == Version::Swagger2 {
        let host = map.get("host").and_then(Value::as_str).unwrap_or("").trim();
        let base = map
            .get("basePath")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let schemes: Vec<&str> = match map.get("schemes") {
            Some(Value::Array(s)) => s.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let scheme = if schemes.is_empty() || schemes.contains(&"https") {
            "https"
        } else {
            schemes[0]
        };
        let url = if host.is_empty() {
            base.to_string()
        } else {
            format!("{scheme}://{host}{base}")
        };
        if !url.is_empty() {
            out.push((url.trim_end_matches('/').to_string(), String::new()));
        }
        return out;
    }
    let mut lists: Vec<&Vec<Value>> = Vec::new();
    if let Some(Value::Array(list)) = map.get("servers") {
        lists.push(list);
    }
    if lists.iter().all(|l| l.is_empty()) {
        // Only path-level or operation-level servers (Twilio has both): take the first found.
        let items = map
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten();
        for (_, item) in items {
            let Some(item) = ctx.doc.get(item).and_then(Value::as_object) else {
                continue;
            };
            let nested = std::iter::once(item)
                .chain(item.values().filter_map(Value::as_object))
                .find_map(|m| m.get("servers").and_then(Value::as_array));
            if let Some(list) = nested.filter(|l| !l.is_empty()) {
                lists.push(list);
                break;
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for server in lists.into_iter().flatten() {
        let Some(server) = server.as_object() else {
            continue;
        };
        let Some(url) = server.get("url").and_then(Value::as_str) else {
            continue;
        };
        let vars = server.get("variables").and_then(Value::as_object);
        let url = substitute(url, vars);
        let url = url.trim().trim_end_matches('/').to_string();
        let description = server
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !url.is_empty() && seen.insert(url.clone()) {
            out.push((url, description.trim().to_string()));
        }
    }
    out
}

/// The first server's URL variables (`https://{defaultHost}`, Discourse's own host) become
/// setup fields, and `base_url` is written with the fields' names (`https://{default_host}`):
/// the host fills them in before any request, and the allow-list follows the filled URL.
/// Their documented defaults are where the form starts (often an example host).
fn server_variables(map: &Map<String, Value>, model: &mut ApiModel) {
    let Some(server) = map
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .and_then(Value::as_object)
    else {
        return;
    };
    let (Some(url), Some(vars)) = (
        server.get("url").and_then(Value::as_str),
        server.get("variables").and_then(Value::as_object),
    ) else {
        return;
    };
    let url = url.trim().trim_end_matches('/');
    // Only the server the model's base URL came from (its variables filled with defaults).
    if model.servers.first().map(String::as_str) != Some(substitute(url, Some(vars)).as_str()) {
        return;
    }
    // Only the host part's variables are the user's to set (`https://{company}.api.x.com`);
    // a scheme, port-less path or version variable keeps its default, as documented.
    let authority = url.find("://").map(|i| {
        let start = i + 3;
        (
            start,
            url[start..].find('/').map_or(url.len(), |j| start + j),
        )
    });
    let secret_field =
        |name: &str| name == "base_url" || model.config.iter().any(|f| f.name == name && f.secret);
    let mut template = String::new();
    let mut fields = Vec::new();
    let mut rest = url;
    let mut offset = 0;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return;
        };
        let name = &rest[open + 1..open + close];
        let Some(var) = vars.get(name).and_then(Value::as_object) else {
            return;
        };
        let text = |k: &str| var.get(k).and_then(scalar_text);
        let choices: Vec<String> = var
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(scalar_text)
            .take(20)
            .collect();
        let default = text("default").or_else(|| choices.first().cloned());
        let field = snake_ident(name);
        let in_host = authority.is_some_and(|(a, b)| offset + open >= a && offset + open < b);
        // A value the host would refuse in a URL (`/v1`, a whole URL) stays as documented.
        let plain = default
            .as_deref()
            .is_none_or(connector_agent_model::is_url_part);
        template.push_str(&rest[..open]);
        if !in_host || !plain || field.is_empty() || secret_field(&field) || fields.len() >= 8 {
            match &default {
                Some(d) => template.push_str(d),
                None => template.push_str(&rest[open..=open + close]),
            }
        } else {
            template.push_str(&format!("{{{field}}}"));
            let mut description = format!("Part of the server URL `{url}` (`{{{name}}}`).");
            if let Some(d) = text("description").filter(|d| !d.trim().is_empty()) {
                description = format!("{} {description}", infer::records::clean_text(&d));
            }
            if !choices.is_empty() {
                description.push_str(&format!(" One of: {}.", choices.join(", ")));
            }
            if !fields.iter().any(|f: &ConfigField| f.name == field) {
                fields.push(ConfigField {
                    label: name.to_string(),
                    name: field,
                    description,
                    secret: false,
                    required: true,
                    default,
                });
            }
        }
        offset += open + close + 1;
        rest = &rest[open + close + 1..];
    }
    if fields.is_empty() {
        return;
    }
    template.push_str(rest);
    model.servers[0] = template.clone();
    if let Some(base) = model.config.iter_mut().find(|f| f.name == "base_url") {
        base.default = Some(template);
        base.description.push_str(&format!(
            " Its `{{…}}` parts are filled from the fields {}.",
            fields
                .iter()
                .map(|f| format!("`{}`", f.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for field in fields {
        if !model.config.iter().any(|f| f.name == field.name) {
            model.config.push(field);
        }
    }
}

/// Servers relative to where the description is hosted (`/api/v1`) resolved against its
/// URL when it was read from the web (a crawled docs site); from a file they stay relative
/// and setup asks for the full URL.
fn resolved_servers(servers: Vec<(String, String)>, source: &str) -> Vec<(String, String)> {
    let Some(origin) = url::Url::parse(source)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
    else {
        return servers;
    };
    servers
        .into_iter()
        .map(|(url, description)| {
            if url.contains("://") {
                return (url, description);
            }
            match origin.join(&url) {
                Ok(full) => {
                    let said = format!("`{url}`, relative to the documentation at {origin}");
                    let description = if description.is_empty() {
                        said
                    } else {
                        format!("{description}; {said}")
                    };
                    (full.as_str().trim_end_matches('/').to_string(), description)
                }
                Err(_) => (url, description),
            }
        })
        .collect()
}

/// Replaces `{name}` with the variable's default (or first enum value).
fn substitute(url: &str, vars: Option<&Map<String, Value>>) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        let var = vars.and_then(|v| v.get(name));
        let value = var
            .and_then(|v| v.get("default").and_then(scalar_text))
            .or_else(|| var?.get("enum")?.as_array()?.first().and_then(scalar_text));
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

type OpOrSkip<'a> = std::result::Result<Operation<'a>, Skipped>;

/// The `GET` operations in path order.
fn operations<'a>(
    ctx: &Ctx<'a>,
    map: &'a Map<String, Value>,
    source: &str,
) -> Result<Vec<OpOrSkip<'a>>> {
    let paths = match map.get("paths") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(paths)) => paths,
        Some(other) => {
            return Err(Error::Structure {
                document: source.to_string(),
                pointer: "#/paths".into(),
                reason: format!("`paths` must be a mapping, found {}", type_name(other)),
            })
        }
    };
    let doc_produces = map.get("produces").and_then(Value::as_array);
    let mut sorted: Vec<(&'a String, &'a Value)> = paths.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (path, item) in sorted {
        if !path.starts_with('/') {
            continue; // `x-` extensions and other non-paths
        }
        let item_pointer = join("#/paths", path);
        let item = match ctx.doc.deref(item) {
            Ok(Value::Object(item)) => item,
            Ok(_) => continue,
            Err(err) => {
                out.push(Err(skip(
                    path,
                    &item_pointer,
                    format!("{err} (at `{item_pointer}`)"),
                )));
                continue;
            }
        };
        let Some(get) = item.get("get") else { continue };
        let pointer = join(&item_pointer, "get");
        let Some(op) = ctx.doc.get(get).and_then(Value::as_object) else {
            let reason = format!("the operation at `{pointer}` is not a mapping");
            out.push(Err(skip(path, &pointer, reason)));
            continue;
        };
        let params = match parameters(ctx, item, op, &item_pointer, &pointer) {
            Ok(params) => params,
            Err(reason) => {
                out.push(Err(skip(path, &pointer, reason)));
                continue;
            }
        };
        let produces = op
            .get("produces")
            .and_then(Value::as_array)
            .or(doc_produces);
        out.push(Ok(Operation {
            path,
            pointer,
            op,
            params,
            produces,
        }));
    }
    Ok(out)
}

/// Path-item parameters overridden by operation parameters with the same name and location.
fn parameters<'a>(
    ctx: &Ctx<'a>,
    item: &'a Map<String, Value>,
    op: &'a Map<String, Value>,
    item_pointer: &str,
    op_pointer: &str,
) -> std::result::Result<Vec<Param<'a>>, String> {
    let mut out: Vec<Param<'a>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::new();
    for (list, base) in [
        (item.get("parameters"), item_pointer),
        (op.get("parameters"), op_pointer),
    ] {
        let Some(Value::Array(list)) = list else {
            continue;
        };
        for (i, raw) in list.iter().enumerate() {
            let at = join(&join(base, "parameters"), &i.to_string());
            let param = ctx.doc.deref(raw).map_err(|e| format!("{e} (at `{at}`)"))?;
            let Some(p) = param.as_object() else { continue };
            let (Some(name), Some(location)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let schema = match p.get("schema") {
                Some(schema) => Some(schema),
                None if ctx.version == Version::Swagger2 => Some(param),
                None => p
                    .get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.values().next()?.get("schema")),
            };
            let param = Param {
                name,
                location,
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false)
                    || location == "path",
                description: p.get("description").and_then(Value::as_str).unwrap_or(""),
                schema,
            };
            match index.get(&(name, location)) {
                Some(&i) => out[i] = param,
                None => {
                    index.insert((name, location), out.len());
                    out.push(param);
                }
            }
        }
    }
    Ok(out)
}

/// Picks the success response and its JSON body. `Err` says why there is none.
pub(crate) fn success_response<'a>(
    ctx: &Ctx<'a>,
    op: &Operation<'a>,
) -> std::result::Result<Response<'a>, String> {
    let responses_pointer = join(&op.pointer, "responses");
    let Some(responses) = op.op.get("responses").and_then(Value::as_object) else {
        return Err(format!("no responses documented at `{responses_pointer}`"));
    };
    let mut codes: Vec<&String> = responses
        .keys()
        .filter(|c| c.starts_with('2') && c.len() == 3)
        .collect();
    codes.sort_by_key(|c| match c.as_str() {
        "200" => 0,
        "2XX" | "2xx" => 2,
        _ => 1,
    });
    let Some(code) = codes.first() else {
        return Err("no 2xx response is documented".into());
    };
    let pointer = join(&responses_pointer, code);
    let response = ctx
        .doc
        .deref(&responses[code.as_str()])
        .map_err(|e| format!("{e} (at `{pointer}`)"))?;
    let Some(response) = response.as_object() else {
        return Err(format!("the response at `{pointer}` is not a mapping"));
    };
    let headers = response
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| h.keys().map(String::as_str).collect())
        .unwrap_or_default();

    let plain = |t: &str| {
        t.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    };
    let ask_for = |types: &[&'a str]| {
        if types.iter().any(|t| plain(t)) {
            return None;
        }
        types
            .iter()
            .copied()
            .find(|t| is_json(t) && !t.chars().any(char::is_control))
    };
    if ctx.version == Version::Swagger2 {
        let mut accept = None;
        if let Some(produces) = op.produces {
            let types: Vec<&str> = produces.iter().filter_map(Value::as_str).collect();
            accept = ask_for(&types);
            if !types.is_empty() && !types.iter().any(|t| is_json(t)) {
                return Err(format!(
                    "the response is not JSON (produces {})",
                    types.join(", ")
                ));
            }
        }
        let example = response
            .get("examples")
            .and_then(Value::as_object)
            .and_then(|e| e.iter().find(|(t, _)| is_json(t)).map(|(_, v)| v));
        let schema = response.get("schema");
        let pointer = if schema.is_some() {
            join(&pointer, "schema")
        } else {
            pointer
        };
        return Ok(Response {
            schema,
            example,
            headers,
            pointer,
            accept,
        });
    }

    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Err(format!("the {code} response at `{pointer}` has no body"));
    };
    let media = content.iter().find(|(t, _)| plain(t));
    let media = media.or_else(|| content.iter().find(|(t, _)| is_json(t)));
    let types: Vec<&str> = content.keys().map(String::as_str).collect();
    let accept = ask_for(&types);
    let media = media.or_else(|| {
        content
            .iter()
            .find(|(t, m)| t.starts_with("*/*") && m.get("schema").is_some())
    });
    let Some((media_type, media)) = media else {
        let types: Vec<&str> = content.keys().map(String::as_str).collect();
        return Err(format!("the response is not JSON ({})", types.join(", ")));
    };
    let media_pointer = join(&join(&pointer, "content"), media_type);
    let example = media.get("example").or_else(|| {
        let first = media.get("examples")?.as_object()?.values().next()?;
        ctx.doc.get(first)?.get("value")
    });
    let schema = media.get("schema");
    let pointer = if schema.is_some() {
        join(&media_pointer, "schema")
    } else {
        media_pointer
    };
    Ok(Response {
        schema,
        example,
        headers,
        pointer,
        accept,
    })
}

fn is_json(media_type: &str) -> bool {
    let t = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    t == "application/json" || t.ends_with("+json") || t.ends_with("/json") || t == "text/json"
}
