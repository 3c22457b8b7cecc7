//! Reading Postman collections (v2.0 and v2.1): folders, requests, `{{variables}}`, auth and
//! saved example responses.
//!
//! A collection has no schemas, so each `GET` request is turned into an OpenAPI-like operation
//! over a small synthetic document: its query parameters become parameters, and the JSON body
//! of a saved example response becomes a response schema (types read off the values). What is
//! a list, where its records are, the key, pagination, incremental filter, parents, auth and
//! config fields are then decided by the same `infer` code as for OpenAPI.
//!
//! What a collection often lacks is a saved response. A `GET` without one is still proposed
//! when something marks it as a list (a paging parameter, a name like "List …", a test script
//! that reads `results[0]`), with the record array taken from the test script, else from the
//! collection's other lists, else assumed to be the body; the reason says which, and the
//! confidence is lowered.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use connector_agent_model::{ApiKeyLocation, ApiModel, AuthScheme};

use crate::infer::naming::squash;
use crate::infer::pagination::{CURSOR_PARAMS, OFFSET_PARAMS, PAGE_PARAMS, SIZE_PARAMS};
use crate::infer::records::{clean_text, looks_like_timestamp};
use crate::infer::{self, Candidate, ROUTINE_HEADERS};
use crate::openapi::{scalar_text, type_name, Ctx, Operation, Param, Version};
use crate::resolve::Doc;
use crate::schema::Schemas;
use crate::{read_document, Error, Extraction, Result, Skipped};

mod auth;
mod body;
mod collection;
mod url;

use auth::{
    auth_document, credential_query, header_auth, note_auth, scheme_key, token_url_from_requests,
    unsupported_why, AuthBook, AuthOf,
};
use body::{records_schema, schema_of, script_hint, SCHEMA_BUDGET};
use collection::{
    description_raw, first_sentence, own_auth, structure, table_descriptions, walk, Folder,
    Request, Vars,
};
use url::{
    raw_url, resolve_url, same_path, split_extension, without_marker, Base, Parsed, QueryItem,
};

/// Largest example body parsed, in bytes.
const MAX_BODY: usize = 8 << 20;

/// What kind of API description a parsed document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// OpenAPI 3.x or Swagger 2.0.
    OpenApi,
    /// A Postman collection.
    Postman,
    /// Neither.
    Unknown,
}

/// Tells an OpenAPI/Swagger document from a Postman collection by its top-level fields.
pub fn detect_kind(doc: &Value) -> DocKind {
    let Some(map) = doc.as_object() else {
        return DocKind::Unknown;
    };
    if map.contains_key("openapi") || map.contains_key("swagger") {
        return DocKind::OpenApi;
    }
    let info = map.get("info").and_then(Value::as_object);
    let schema = info
        .and_then(|i| i.get("schema"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let postman_id = info.is_some_and(|i| i.contains_key("_postman_id"));
    if schema.contains("getpostman") || postman_id || (info.is_some() && map.contains_key("item")) {
        return DocKind::Postman;
    }
    DocKind::Unknown
}

/// Reads a Postman collection file (v2.0 or v2.1 JSON) and extracts its model.
pub fn extract_postman_file(path: &Path) -> Result<ApiModel> {
    let doc = read_document(path)?;
    extract_postman(&doc, &path.display().to_string())
}

/// Extracts the model of a Postman collection. `source` names the document in errors and in
/// [`ApiModel::sources`].
pub fn extract_postman(doc: &Value, source: &str) -> Result<ApiModel> {
    Ok(extract(doc, None, source)?.model)
}

/// Like [`extract_postman`], with a Postman environment (`{"values": [{"key", "value"}]}`)
/// whose values take precedence over the collection's variables.
pub fn extract_postman_with_env(
    doc: &Value,
    env: Option<&Value>,
    source: &str,
) -> Result<ApiModel> {
    Ok(extract(doc, env, source)?.model)
}

/// Like [`extract_postman_with_env`], but also returns the `GET` requests that were not
/// proposed, with the reason, and warnings (unsupported auth, unknown token URL, ...).
pub fn extract_postman_report(
    doc: &Value,
    env: Option<&Value>,
    source: &str,
) -> Result<Extraction> {
    extract(doc, env, source)
}

/// A parameter of a synthetic operation.
struct ParamSpec {
    name: String,
    location: &'static str,
    required: bool,
    description: String,
    schema: Value,
}

/// How the response body of an alternative was obtained.
#[derive(Clone)]
enum Source {
    /// A saved example response: its pointer and name.
    Example(String, String),
    /// The request's test script.
    Script(Vec<String>),
    /// The collection's other lists.
    Convention(Vec<String>, usize),
    /// Nothing: the body is assumed to be the array.
    Assumed,
}

/// One way to read a `GET` request: an operation in a synthetic document.
struct Alternative {
    get: usize,
    source: Source,
    op: Value,
}

/// A `GET` request, its URL and auth.
struct Get<'r, 'd> {
    req: &'r Request<'d>,
    url: Parsed,
    unsupported: Option<(String, String)>,
    params: Vec<ParamSpec>,
}

pub(crate) fn extract(root: &Value, env: Option<&Value>, source: &str) -> Result<Extraction> {
    let map = check_collection(root, source)?;
    let info = map.get("info").and_then(Value::as_object);
    let mut vars = Vars::default();
    let info_description = description_raw(info.and_then(|i| i.get("description")));
    table_descriptions(&info_description, &mut vars);
    match map.get("variable") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => vars.add_list(list, "enabled"),
        Some(other) => {
            return Err(structure(
                source,
                "#/variable",
                format!("`variable` must be a list, found {}", type_name(other)),
            ))
        }
    }
    if let Some(env) = env {
        let document = format!("environment for {source}");
        match env.get("values") {
            Some(Value::Array(list)) => vars.add_list(list, "enabled"),
            Some(other) => {
                return Err(structure(
                    &document,
                    "#/values",
                    format!("`values` must be a list, found {}", type_name(other)),
                ))
            }
            None => {
                return Err(structure(
                    &document,
                    "#",
                    "a Postman environment has a `values` list".into(),
                ))
            }
        }
    }

    let mut requests = Vec::new();
    let top = Folder {
        names: Vec::new(),
        description: String::new(),
        auth: own_auth(map.get("auth"), "#"),
    };
    let items = map.get("item").unwrap_or(&Value::Null);
    walk(items, "#/item", 0, &top, source, &mut vars, &mut requests)?;

    let mut warnings = Vec::new();
    let mut skipped = Vec::new();
    let mut book = AuthBook::default();

    // Every request's URL: the bases count towards the default base URL.
    let parsed: Vec<Option<Parsed>> = requests
        .iter()
        .map(|r| r.url.as_ref().map(|(u, _)| resolve_url(&raw_url(u), &vars)))
        .collect();
    let mut known_bases = Tally::new();
    let mut get_bases = Tally::new();
    for (req, url) in requests.iter().zip(&parsed) {
        let Some(url) = url else { continue };
        if let Base::Known(b) = &url.base {
            known_bases.add(b.clone());
        }
        if req.method == "GET" {
            get_bases.add(url.base.clone());
        }
    }
    let known_bases = known_bases.ranked();
    let get_bases = get_bases.ranked();
    let main_base = get_bases.first().map(|(b, _)| b.clone());
    let default_base = known_bases.first().map(|(b, _)| b.clone());

    // The `GET` requests, with their auth and parameters.
    let mut gets: Vec<Get<'_, '_>> = Vec::new();
    for (req, url) in requests.iter().zip(parsed) {
        if req.method != "GET" {
            if let Some((auth, pointer)) = &req.auth {
                note_auth(&mut book, auth, pointer, &vars, false);
            }
            continue;
        }
        let Some(url) = url else {
            skipped.push(skip(
                &req.name,
                &req.pointer,
                "the request has no URL".into(),
            ));
            continue;
        };
        let mut unsupported = None;
        if let Some((auth, pointer)) = &req.auth {
            if let AuthOf::Unsupported(kind) = note_auth(&mut book, auth, pointer, &vars, true) {
                unsupported = Some((kind, pointer.clone()));
            }
        }
        let mut params: Vec<ParamSpec> = url
            .params
            .iter()
            .map(|(name, description)| ParamSpec {
                name: name.clone(),
                location: "path",
                required: true,
                description: description.clone(),
                schema: json!({"type": "string"}),
            })
            .collect();
        for (name, value, description) in &req.headers {
            if let Some((key, scheme, raw)) = header_auth(name, value, &vars) {
                book.raw_authorization |= raw == Some(true);
                book.prefixed_authorization |= raw == Some(false);
                book.add(&key, scheme, true);
                continue;
            }
            if infer::incremental::is_change_header(name) {
                // `If-Modified-Since`: an optional filter the incremental sync fills in.
                let description = if description.is_empty() {
                    format!("Only records changed since this time (the `{name}` header).")
                } else {
                    description.clone()
                };
                params.push(ParamSpec {
                    name: name.clone(),
                    location: "header",
                    required: false,
                    description,
                    schema: json!({"type": "string"}),
                });
                continue;
            }
            let squashed = squash(name);
            let expanded = vars.expand(value);
            // What a client adds by itself, not what the API asks for.
            const TRANSPORT: &[&str] = &[
                "cachecontrol",
                "postmantoken",
                "connection",
                "host",
                "acceptencoding",
                "contentlength",
                "pragma",
                "cookie",
                "origin",
                "referer",
                "xrequestedwith",
            ];
            // An `Accept` naming a JSON media type of its own (JSON:API's
            // `application/vnd.api+json`) is what the API answers in: such APIs refuse
            // `application/json` with a 406.
            let own_media = squashed == "accept" && {
                let v = expanded.text.trim().to_ascii_lowercase();
                v.contains("+json") && !v.contains('{')
            };
            if (ROUTINE_HEADERS.contains(&squashed.as_str()) && !own_media)
                || TRANSPORT.contains(&squashed.as_str())
            {
                continue;
            }
            if expanded.unknown.is_empty() {
                // A fixed value every request of the collection sends (`Api-Version:
                // 2024-05-01`): sent as it is.
                let text = expanded.text.trim();
                if !text.is_empty() && text.len() <= 1024 {
                    params.push(ParamSpec {
                        name: name.clone(),
                        location: "header",
                        required: true,
                        description: description.clone(),
                        schema: json!({"type": "string", "default": text}),
                    });
                }
                continue;
            }
            let description = if description.is_empty() {
                vars.phrase(&expanded.unknown[0])
            } else {
                description.clone()
            };
            params.push(ParamSpec {
                name: name.clone(),
                location: "header",
                required: true,
                description,
                schema: json!({"type": "string"}),
            });
        }
        for q in &url.query {
            if !q.disabled && credential_query(&q.key) {
                let description = format!(
                    "API key sent in the `{}` query parameter{}.",
                    q.key,
                    q.variable
                        .as_deref()
                        .map_or_else(String::new, |v| format!(": {}", vars.phrase(v)))
                );
                let key = scheme_key(&q.value, || format!("query {}", q.key.to_ascii_lowercase()));
                let scheme = json!({"type": "apiKey", "in": "query", "name": q.key, "description": description});
                book.add(&key, scheme, true);
            }
            params.push(query_param(q, &vars));
        }
        gets.push(Get {
            req,
            url,
            unsupported,
            params,
        });
    }
    token_url_from_requests(&mut book, &requests, &vars, &mut warnings);
    for (kind, pointer) in &book.unsupported {
        warnings.push(format!(
            "`{source}`: Postman auth `{kind}` at `{pointer}` is not supported ({}); requests that use it cannot be authenticated by the host",
            unsupported_why(kind)
        ));
    }

    // Alternatives read from saved examples and test scripts.
    // Test scripts are often one template on every request, so they say where records would
    // be, not that there are any.
    let mut first: Vec<Alternative> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    let mut reasons: Vec<Option<String>> = vec![None; gets.len()];
    for (g, get) in gets.iter().enumerate() {
        let examples = usable_responses(get, &vars);
        if examples.is_empty() {
            if let Some(why) = not_a_list(get) {
                reasons[g] = Some(why);
                continue;
            }
            match script_hint(&get.req.script) {
                Some(hint) => first.push(Alternative {
                    get: g,
                    source: Source::Script(hint.path.clone()),
                    op: op_json(get, records_schema(&hint.path, &hint.fields), false),
                }),
                None => pending.push(g),
            }
            continue;
        }
        for (pointer, name, body, link) in examples {
            let mut budget = SCHEMA_BUDGET;
            let schema = schema_of(&body, "", 0, &mut budget);
            first.push(Alternative {
                get: g,
                source: Source::Example(pointer, name),
                op: op_json(get, schema, link),
            });
        }
    }
    let mut chosen: Vec<Option<(Candidate, Source)>> = (0..gets.len()).map(|_| None).collect();
    let credential_params = book.query_params();
    analyse_all(&first, &gets, &credential_params, &mut chosen, &mut reasons);

    // Requests without examples: proposed only when something marks them as lists.
    let mut conventions = Tally::new();
    for (candidate, _) in chosen.iter().flatten() {
        conventions.add(candidate.record_path.clone());
    }
    let lists = chosen.iter().flatten().count();
    let convention = conventions
        .ranked()
        .into_iter()
        .next()
        .filter(|(_, n)| *n >= 2 && n * 2 > lists);
    let mut second: Vec<Alternative> = Vec::new();
    for &g in &pending {
        let get = &gets[g];
        let (source, schema) = match &convention {
            Some((path, n)) => (
                Source::Convention(path.clone(), *n),
                records_schema(path, &[]),
            ),
            None => (Source::Assumed, records_schema(&[], &[])),
        };
        second.push(Alternative {
            get: g,
            source,
            op: op_json(get, schema, false),
        });
    }
    analyse_all(
        &second,
        &gets,
        &credential_params,
        &mut chosen,
        &mut reasons,
    );

    // One endpoint per path: the most confident request wins.
    let mut best_for_path: HashMap<String, usize> = HashMap::new();
    for (g, slot) in chosen.iter().enumerate() {
        if let Some((candidate, _)) = slot {
            match best_for_path.get(&candidate.path) {
                Some(&other)
                    if chosen[other].as_ref().map_or(0.0, |c| c.0.confidence)
                        >= candidate.confidence => {}
                _ => {
                    best_for_path.insert(candidate.path.clone(), g);
                }
            }
        }
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for (g, slot) in chosen.into_iter().enumerate() {
        let get = &gets[g];
        let Some((mut candidate, source)) = slot else {
            let reason = reasons[g]
                .take()
                .unwrap_or_else(|| "not a list".to_string());
            skipped.push(skip(&get.url.path, &get.req.pointer, reason));
            continue;
        };
        let winner = best_for_path[&candidate.path];
        if winner != g {
            let reason = format!(
                "another request lists the same path: `{}`",
                gets[winner].req.pointer
            );
            skipped.push(skip(&get.url.path, &get.req.pointer, reason));
            continue;
        }
        annotate(
            &mut candidate,
            get,
            &source,
            main_base.as_ref(),
            default_base.as_deref(),
        );
        candidates.push(candidate);
    }
    candidates.sort_by(|a, b| a.path.cmp(&b.path));

    // Auth and the model, settled across all endpoints by the shared inference.
    let servers: Vec<(String, String)> = known_bases
        .iter()
        .map(|(b, _)| (b.clone(), String::new()))
        .collect();
    let auth_doc = auth_document(&book);
    let auth_ctx = Ctx {
        doc: Doc::new(&auth_doc),
        schemas: Schemas::new(Doc::new(&auth_doc)),
        version: Version::OpenApi30,
        credential_params: credential_params.clone(),
    };
    let name = info
        .and_then(|i| i.get("name"))
        .and_then(scalar_text)
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            Path::new(source)
                .file_stem()
                .map_or_else(|| source.to_string(), |s| s.to_string_lossy().into_owned())
        });
    let mut model = infer::assemble(
        &auth_ctx,
        ApiModel {
            name: clean_text(&name),
            version: info.and_then(|i| i.get("version")).and_then(version_text),
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
    if book.raw_authorization && !book.prefixed_authorization {
        for scheme in &mut model.auth {
            if let AuthScheme::ApiKey {
                location: ApiKeyLocation::Header,
                param,
                prefix,
                ..
            } = scheme
            {
                if param.eq_ignore_ascii_case("authorization") {
                    *prefix = None;
                }
            }
        }
    }
    describe_base_url(&mut model, main_base.as_ref(), &known_bases, &vars);
    Ok(Extraction {
        model,
        skipped,
        warnings,
    })
}

/// Counts values in first-seen order; the index keeps it linear on hostile input.
struct Tally<T> {
    counts: Vec<(T, usize)>,
    index: HashMap<T, usize>,
}

impl<T: Clone + Eq + std::hash::Hash> Tally<T> {
    fn new() -> Self {
        Tally {
            counts: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn add(&mut self, value: T) {
        match self.index.get(&value) {
            Some(&i) => self.counts[i].1 += 1,
            None => {
                self.index.insert(value.clone(), self.counts.len());
                self.counts.push((value, 1));
            }
        }
    }

    /// Most counted first; ties in first-seen order.
    fn ranked(mut self) -> Vec<(T, usize)> {
        self.counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        self.counts
    }
}

fn skip(path: &str, pointer: &str, reason: String) -> Skipped {
    Skipped {
        method: "GET".into(),
        path: path.to_string(),
        pointer: pointer.to_string(),
        reason,
    }
}

/// The collection's top level, or why it is not a Postman collection.
fn check_collection<'d>(root: &'d Value, source: &str) -> Result<&'d Map<String, Value>> {
    let not_postman = |reason: String| Error::NotPostman {
        document: source.to_string(),
        reason,
    };
    let Some(map) = root.as_object() else {
        return Err(not_postman(format!(
            "the top level is {}, not a mapping",
            type_name(root)
        )));
    };
    if map.contains_key("openapi") || map.contains_key("swagger") {
        return Err(not_postman(
            "it is an OpenAPI document; read it as OpenAPI".into(),
        ));
    }
    let info = map.get("info").and_then(Value::as_object);
    let schema = info
        .and_then(|i| i.get("schema"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if (map.contains_key("requests") && map.contains_key("order")) || schema.contains("/v1.") {
        return Err(not_postman(
            "it is a Postman v1 collection; export it from Postman as v2.1".into(),
        ));
    }
    if info.is_none() || !map.contains_key("item") {
        let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
        return Err(not_postman(format!(
            "it has no `info` mapping and `item` list (top-level keys: {})",
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            }
        )));
    }
    if !schema.is_empty()
        && schema.contains("getpostman.com")
        && !schema.contains("/v2.0.")
        && !schema.contains("/v2.1.")
    {
        return Err(Error::UnsupportedVersion {
            document: source.to_string(),
            field: "info.schema",
            version: schema.to_string(),
            supported: "Postman collection v2.0 and v2.1 are read",
        });
    }
    Ok(map)
}

/// `info.version`: a string, or v2.1's `{major, minor, patch}`.
fn version_text(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => {
            let part = |k: &str| m.get(k).and_then(scalar_text);
            let major = part("major")?;
            Some(format!(
                "{major}.{}.{}",
                part("minor").unwrap_or_else(|| "0".into()),
                part("patch").unwrap_or_else(|| "0".into())
            ))
        }
        other => scalar_text(other).filter(|s| !s.trim().is_empty()),
    }
}

/// A query parameter as a synthetic parameter: required when it says so or when its value
/// must come from the user (a variable with no value, a `<placeholder>`).
fn query_param(q: &QueryItem, vars: &Vars) -> ParamSpec {
    let said_required = q
        .description
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .is_some_and(|w| w.eq_ignore_ascii_case("required"));
    let required = said_required || (!q.disabled && q.open);
    let squashed = squash(&q.key);
    let countish = SIZE_PARAMS.contains(&squashed.as_str())
        || PAGE_PARAMS.contains(&squashed.as_str())
        || OFFSET_PARAMS.contains(&squashed.as_str());
    let value = q.value.trim();
    let mut schema = if q.open || value.is_empty() {
        if countish {
            json!({"type": "integer"})
        } else {
            json!({"type": "string"})
        }
    } else if let Ok(n) = value.parse::<i64>() {
        let mut s = json!({"type": "integer"});
        if (10..=1000).contains(&n) && SIZE_PARAMS.contains(&squashed.as_str()) {
            // The example's page size is one the API accepts, where a larger one might be cut
            // short by the server and end the sync early. Below 10 it is only an illustration.
            s["default"] = json!(n);
        }
        s
    } else if value.parse::<f64>().is_ok() {
        json!({"type": "number"})
    } else if value == "true" || value == "false" {
        json!({"type": "boolean"})
    } else if countish {
        json!({"type": "integer"})
    } else if looks_like_timestamp(value) {
        json!({"type": "string", "format": "date-time"})
    } else {
        json!({"type": "string"})
    };
    if required && !q.open && !value.is_empty() && !countish {
        schema["default"] = Value::String(value.to_string());
    }
    let description = match (&q.variable, q.description.is_empty()) {
        (_, false) => without_marker(&q.description),
        (Some(name), true) => vars.phrase(name),
        (None, true) => String::new(),
    };
    ParamSpec {
        name: q.key.clone(),
        location: "query",
        required,
        description,
        schema,
    }
}

/// Saved responses that belong to the request (their original request is a `GET` of the same
/// path), with a 2xx code and a JSON body: pointer, name, body, whether a `Link` header came.
fn usable_responses(get: &Get<'_, '_>, vars: &Vars) -> Vec<(String, String, Value, bool)> {
    let mut out: Vec<(u8, String, String, Value, bool)> = Vec::new();
    for (pointer, response) in &get.req.responses {
        if let Some(original) = response.get("originalRequest") {
            let (method, url) = match original {
                Value::String(_) => ("GET".to_string(), Some(original)),
                Value::Object(o) => (
                    o.get("method")
                        .and_then(Value::as_str)
                        .unwrap_or("GET")
                        .to_ascii_uppercase(),
                    o.get("url"),
                ),
                _ => ("GET".to_string(), None),
            };
            if method != "GET" {
                continue;
            }
            if let Some(url) = url.filter(|u| u.is_string() || u.is_object()) {
                let path = resolve_url(&raw_url(url), vars).path;
                if !same_path(&path, &get.url.path) {
                    continue;
                }
            }
        }
        let code = response.get("code").and_then(Value::as_u64);
        if code.is_some_and(|c| !(200..300).contains(&c)) {
            continue;
        }
        let body = match response.get("body") {
            Some(Value::String(text)) => {
                let text = text.trim();
                if text.is_empty() || text.len() > MAX_BODY {
                    continue;
                }
                match serde_json::from_str::<Value>(text) {
                    Ok(v) => v,
                    Err(_) => continue,
                }
            }
            Some(v @ (Value::Object(_) | Value::Array(_))) => v.clone(),
            _ => continue,
        };
        let link = response
            .get("header")
            .and_then(Value::as_array)
            .is_some_and(|h| {
                h.iter().any(|e| {
                    e.get("key")
                        .and_then(Value::as_str)
                        .is_some_and(|k| k.eq_ignore_ascii_case("link"))
                })
            });
        let name = response
            .get("name")
            .and_then(scalar_text)
            .map(|n| clean_text(&n))
            .unwrap_or_default();
        let rank = u8::from(code != Some(200));
        out.push((rank, pointer.clone(), name, body, link));
    }
    out.sort_by_key(|e| e.0);
    out.into_iter()
        .map(|(_, p, n, b, l)| (p, n, b, l))
        .collect()
}

/// The synthetic operation of a request with a response schema.
fn op_json(get: &Get<'_, '_>, schema: Value, link: bool) -> Value {
    let params: Vec<Value> = get
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "in": p.location,
                "required": p.required,
                "description": p.description,
                "schema": p.schema,
            })
        })
        .collect();
    let mut response = json!({
        "description": "",
        "content": {"application/json": {"schema": schema}}
    });
    if link {
        response["headers"] = json!({"Link": {}});
    }
    // The request's words (or its folder's) can state what identifies a record.
    let description = if get.req.description.is_empty() {
        &get.req.folder_description
    } else {
        &get.req.description
    };
    json!({
        "path": get.url.path,
        "params": params,
        "description": description,
        "responses": {"200": response}
    })
}

/// Analyses each alternative and keeps the most confident per request.
fn analyse_all(
    alternatives: &[Alternative],
    gets: &[Get<'_, '_>],
    credential_params: &[String],
    chosen: &mut [Option<(Candidate, Source)>],
    reasons: &mut [Option<String>],
) {
    if alternatives.is_empty() {
        return;
    }
    let doc = Value::Array(alternatives.iter().map(|a| a.op.clone()).collect());
    let ctx = Ctx {
        doc: Doc::new(&doc),
        schemas: Schemas::new(Doc::new(&doc)),
        version: Version::OpenApi30,
        credential_params: credential_params.to_vec(),
    };
    let Value::Array(ops) = &doc else { return };
    for (alternative, op) in alternatives.iter().zip(ops) {
        let Some(operation) = operation(op, &gets[alternative.get].req.pointer) else {
            continue;
        };
        match infer::analyse(&ctx, &operation) {
            Ok(mut candidate) => {
                candidate.confidence -= match alternative.source {
                    Source::Example(..) => 0.0,
                    Source::Script(_) => 0.1,
                    Source::Convention(..) => 0.2,
                    Source::Assumed => 0.3,
                };
                let slot = &mut chosen[alternative.get];
                if slot
                    .as_ref()
                    .is_none_or(|(c, _)| candidate.confidence > c.confidence)
                {
                    *slot = Some((candidate, alternative.source.clone()));
                }
            }
            Err(reason) => {
                let slot = &mut reasons[alternative.get];
                if slot.is_none() {
                    *slot = Some(match &alternative.source {
                        Source::Example(pointer, _) => {
                            format!("{reason} (example response at `{pointer}`)")
                        }
                        _ => reason,
                    });
                }
            }
        }
    }
}

/// An [`Operation`] over a synthetic operation value.
fn operation<'a>(op: &'a Value, pointer: &str) -> Option<Operation<'a>> {
    let map = op.as_object()?;
    let path = map.get("path")?.as_str()?;
    let params = map
        .get("params")?
        .as_array()?
        .iter()
        .filter_map(|p| {
            Some(Param {
                name: p.get("name")?.as_str()?,
                location: p.get("in")?.as_str()?,
                required: p.get("required")?.as_bool()?,
                description: p.get("description")?.as_str()?,
                schema: p.get("schema"),
            })
        })
        .collect();
    Some(Operation {
        path,
        pointer: pointer.to_string(),
        op: map,
        params,
        produces: None,
    })
}

/// Last path segments that name one resource, whatever parameters the request shows.
const SINGLETONS: &[&str] = &[
    "me", "self", "current", "whoami", "settings", "health", "ping", "status", "version",
];

/// Why a request without a saved example is not taken for a list; `None` when something
/// marks it as one.
fn not_a_list(get: &Get<'_, '_>) -> Option<String> {
    let last = get.url.path.rsplit('/').next().unwrap_or("");
    if last.contains('{') {
        return Some(
            "reads a single item (the path ends with a parameter) and has no saved response".into(),
        );
    }
    let (stem, _) = split_extension(last);
    if SINGLETONS.contains(&squash(stem).as_str()) {
        return Some(format!(
            "`{last}` names a single resource and there is no saved response"
        ));
    }
    let paging = get.url.query.iter().any(|q| {
        let s = squash(&q.key);
        [SIZE_PARAMS, CURSOR_PARAMS, PAGE_PARAMS, OFFSET_PARAMS]
            .iter()
            .any(|list| list.contains(&s.as_str()))
    });
    let named = [&get.req.name, &get.req.description].iter().any(|text| {
        let lower = text.trim().to_ascii_lowercase();
        [
            "list ",
            "get all ",
            "query ",
            "fetch all ",
            "retrieve all ",
            "get a list ",
            "get list ",
        ]
        .iter()
        .any(|verb| lower.starts_with(verb))
    });
    if paging || named {
        None
    } else {
        Some(
            "no saved response, and neither a paging parameter nor the name marks it as a list"
                .into(),
        )
    }
}

/// Adds what the collection says about the request to the candidate's reason.
fn annotate(
    candidate: &mut Candidate,
    get: &Get<'_, '_>,
    source: &Source,
    main_base: Option<&Base>,
    default_base: Option<&str>,
) {
    let req = get.req;
    let mut note = format!("from Postman request `{}` at `{}`", req.trail, req.pointer);
    let description = if req.description.is_empty() {
        &req.folder_description
    } else {
        &req.description
    };
    let sentence = first_sentence(description);
    let sentence = sentence.trim_end_matches('.');
    if !sentence.is_empty() {
        note.push_str(": ");
        note.push_str(sentence);
    }
    candidate.notes.push(note);
    match source {
        Source::Example(pointer, name) => candidate.notes.push(format!(
            "records read from the example response `{name}` at `{pointer}`"
        )),
        Source::Script(path) => candidate.notes.push(format!(
            "no saved response: the record array `{}` comes from the request's test script",
            shown_path(path)
        )),
        Source::Convention(path, n) => candidate.notes.push(format!(
            "no saved response: records assumed in `{}`, as in {n} other lists of the collection",
            shown_path(path)
        )),
        Source::Assumed => candidate
            .notes
            .push("no saved response: assumed the body is the array of records; check it".into()),
    }
    if let Some((kind, pointer)) = &get.unsupported {
        candidate.notes.push(format!(
            "its auth is Postman `{kind}` (at `{pointer}`), which the host cannot apply"
        ));
        candidate.confidence -= 0.3;
    }
    let off_base = match &get.url.base {
        Base::Known(url) => {
            main_base.is_some_and(|m| *m != get.url.base) && default_base != Some(url.as_str())
        }
        other => main_base.is_some_and(|m| m != other),
    };
    if off_base {
        candidate.notes.push(format!(
            "sent to `{}`, not the collection's usual base URL",
            get.url.base.shown()
        ));
        candidate.confidence -= 0.2;
    }
}

fn shown_path(path: &[String]) -> String {
    if path.is_empty() {
        "(body)".into()
    } else {
        path.join(".")
    }
}

/// Says where the base URL comes from: the variable the requests use, its description, and
/// the hosts written out in the collection.
fn describe_base_url(
    model: &mut ApiModel,
    main_base: Option<&Base>,
    known: &[(String, usize)],
    vars: &Vars,
) {
    let Some(field) = model.config.iter_mut().find(|f| f.name == "base_url") else {
        return;
    };
    let listed: Vec<&str> = known.iter().take(5).map(|(b, _)| b.as_str()).collect();
    field.description = match main_base {
        Some(Base::Variable(name)) if listed.is_empty() => format!(
            "Base URL of the API that paths are appended to: {}, which the collection leaves to the user's Postman environment, e.g. https://api.example.com/v1.",
            vars.phrase(name)
        ),
        Some(Base::Variable(name)) => format!(
            "Base URL of the API that paths are appended to: {}. Hosts written out in the collection: {}.",
            vars.phrase(name),
            listed.join("; ")
        ),
        _ if listed.is_empty() => {
            "Base URL of the API, e.g. https://api.example.com/v1. The collection names no host."
                .into()
        }
        _ => format!(
            "Base URL of the API that paths are appended to. Hosts in the collection's requests, most used first: {}.",
            listed.join("; ")
        ),
    };
}
