//! Inference: which `GET` operations are lists, and everything a connector needs about them.
//! Pure functions over the document; no I/O.

pub(crate) mod auth;
pub(crate) mod incremental;
pub(crate) mod naming;
pub mod observed;
pub(crate) mod pagination;
pub(crate) mod records;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use connector_agent_model::{
    snake_ident, ApiKeyLocation, ApiModel, AuthScheme, Column, ColumnType, ConfigField, Endpoint,
    Incremental, Pagination, ParentRef, QueryParam, RecordLayout,
};

use crate::openapi::{scalar_text, success_response, Ctx, Operation};
use crate::schema::Kind;

use naming::{segments, Segment};
use records::{clean_text, Body};

/// A list operation before names, parents and config are settled across the document.
pub(crate) struct Candidate {
    pub(crate) path: String,
    pub(crate) entity: String,
    pub(crate) record_path: Vec<String>,
    pub(crate) layout: RecordLayout,
    pub(crate) columns: Vec<Column>,
    pub(crate) primary_key: Vec<String>,
    pub(crate) pagination: Pagination,
    pub(crate) incremental: Option<Incremental>,
    pub(crate) query: Vec<QueryParam>,
    /// Config fields wanted by required query parameters: (field, description).
    pub(crate) query_configs: Vec<(String, String)>,
    /// Required request headers besides the routine ones: name, fixed value (a default or
    /// the only enum value) if any, description.
    pub(crate) headers: Vec<(String, Option<String>, String)>,
    /// Path parameters as named in the path, with their descriptions.
    pub(crate) path_params: Vec<(String, String)>,
    pub(crate) notes: Vec<String>,
    pub(crate) confidence: f32,
    pub(crate) scopes: Vec<(String, Vec<String>)>,
    /// The list is the platform's directory of every user or organization (GitHub's
    /// `/users`), not the accounts the credentials can see: never a parent to fan out over.
    pub(crate) global_directory: bool,
}

/// Query parameters that carry credentials; the host adds those, never the connector.
pub(crate) const CREDENTIAL_PARAMS: &[&str] =
    &["token", "accesstoken", "apikey", "apitoken", "authtoken"];
/// Headers a connector need not be told about.
pub(crate) const ROUTINE_HEADERS: &[&str] = &[
    "accept",
    "contenttype",
    "authorization",
    "useragent",
    "acceptlanguage",
];

/// Looks at one `GET` operation. `Err` says why it is not a list endpoint.
pub(crate) fn analyse<'a>(ctx: &Ctx<'a>, op: &Operation<'a>) -> Result<Candidate, String> {
    if let Some(word) = naming::action_word(op.path) {
        // A "search" that needs no query term is how some APIs (Jira) list everything, with
        // paging: keep it. One that needs a term is a query, not a table.
        let is_search = word.trim_start_matches('_').eq_ignore_ascii_case("search");
        const TERMS: &[&str] = &[
            "q", "query", "term", "terms", "search", "keyword", "keywords", "text",
        ];
        let needs_term = op.params.iter().any(|p| {
            p.location == "query"
                && (p.required || TERMS.contains(&p.name.to_ascii_lowercase().as_str()))
        });
        if !is_search || needs_term {
            return Err(format!(
                "looks like a search, export or action rather than a list (`{word}`)"
            ));
        }
    }
    let entity = naming::entity(op.path).ok_or("the path names no resource")?;
    let response = success_response(ctx, op)?;
    let shape = response.schema.map(|s| ctx.schemas.shape(s));
    if let Some(shape) = &shape {
        if shape.kind == Kind::Unknown && shape.properties.is_empty() {
            if let Some(broken) = &shape.broken {
                return Err(format!("{broken} (at `{}`)", response.pointer));
            }
            if shape.truncated {
                return Err(format!(
                    "the response schema at `{}` is a reference loop",
                    response.pointer
                ));
            }
        }
    }
    let example = response
        .example
        .or_else(|| shape.as_ref().and_then(|s| s.example));
    let body = Body { shape, example };
    let ends_with_param = matches!(segments(op.path).last(), Some(Segment::Param(_)));
    let found = records::find(ctx, &body, &entity, ends_with_param)?;
    if let Some(broken) = found.item.as_ref().and_then(|i| i.broken.clone()) {
        if found.item.as_ref().is_some_and(|i| i.properties.is_empty()) && found.example.is_none() {
            return Err(format!(
                "the record schema is unusable: {broken} (under `{}`)",
                response.pointer
            ));
        }
    }

    let json_api = records::is_json_api(ctx, &found);
    let mut columns = records::columns(ctx, &found, json_api);
    let mut primary_key = records::primary_key_of(&columns, &entity, found.item.as_deref());
    let text = [op.op.get("summary"), op.op.get("description")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(". ");
    if primary_key.is_empty() {
        let params: Vec<&str> = op.params.iter().map(|p| p.name).collect();
        primary_key = records::key_stated(&text, &columns, &entity, &params).unwrap_or_default();
    }
    for column in columns.iter_mut().filter(|c| primary_key.contains(&c.name)) {
        column.nullable = false;
    }
    let paging = pagination::infer(
        ctx,
        &op.params,
        &body,
        &found.path,
        &response.headers,
        &primary_key,
    );
    let mut incremental = incremental::infer(ctx, &op.params, &columns, &paging.params, &text);
    // A creation-time filter never fetches a record again after it changes: only a list of
    // records written once (a log) syncs correctly with it; the others are read in full.
    let mut creation_only = None;
    if incremental
        .as_ref()
        .is_some_and(|f| f.created && !incremental::append_only(&entity, &columns))
    {
        creation_only = incremental.take();
    }

    let mut notes = vec![format!("GET {} lists {}: {}", op.path, entity, found.how)];
    let mut confidence: f32 = 0.9;
    if found.guessed {
        confidence -= 0.15;
    }
    if columns.is_empty() {
        notes.push("no columns documented".into());
        confidence -= 0.2;
    } else if found.item.as_ref().is_none_or(|i| i.properties.is_empty()) {
        notes.push("columns taken from an example".into());
        confidence -= 0.1;
    }
    match primary_key.first() {
        Some(key) => notes.push(format!("key `{key}`")),
        None => {
            notes.push("no primary key found".into());
            confidence -= 0.1;
        }
    }
    if paging.pagination == Pagination::None {
        confidence -= 0.05;
    }
    notes.push(paging.note.clone());
    if let Some(found) = &incremental {
        notes.push(found.note.clone());
    }
    if let Some(found) = &creation_only {
        notes.push(format!(
            "synced in full: `{}` filters by creation time (`{}`), which would never fetch a changed record again",
            found.incremental.param, found.incremental.cursor_field
        ));
    }

    // Required query parameters: a documented default, else a config value.
    let mut query = paging.query.clone();
    let mut query_configs = Vec::new();
    let consumed = |name: &str| {
        paging.params.iter().any(|p| p == name)
            || incremental.as_ref().is_some_and(|i| i.param == name)
    };
    let path_param_names: HashSet<&str> = op
        .params
        .iter()
        .filter(|p| p.location == "path")
        .map(|p| p.name)
        .collect();
    for param in op
        .params
        .iter()
        .filter(|p| p.required && p.location == "query" && !consumed(p.name))
    {
        if CREDENTIAL_PARAMS.contains(&naming::squash(param.name).as_str())
            || ctx.credential_params.iter().any(|c| c == param.name)
        {
            continue;
        }
        if path_param_names.contains(param.name) {
            // SendGrid's `/contactdb/lists/{list_id}/recipients?list_id=`: the same value
            // twice. `{name}` of a path parameter takes the path's value.
            notes.push(format!(
                "required query parameter `{}` repeats the path parameter: sent with its value",
                param.name
            ));
            query.push(QueryParam {
                name: param.name.to_string(),
                value: format!("{{{}}}", param.name),
            });
            continue;
        }
        match documented_value(ctx, param, false) {
            Some(value) => query.push(QueryParam {
                name: param.name.to_string(),
                value,
            }),
            None => {
                let field = snake_ident(param.name);
                query.push(QueryParam {
                    name: param.name.to_string(),
                    value: format!("{{{field}}}"),
                });
                let description = clean_text(param.description);
                notes.push(format!(
                    "needs config `{field}` for required query parameter `{}`",
                    param.name
                ));
                query_configs.push((field, description));
                confidence -= 0.1;
            }
        }
    }
    let mut headers = Vec::new();
    for param in op
        .params
        .iter()
        .filter(|p| p.required && p.location == "header")
    {
        let squashed = naming::squash(param.name);
        if ["authorization", "useragent"].contains(&squashed.as_str()) {
            continue;
        }
        if !connector_agent_model::is_header_name(param.name) {
            notes.push(format!(
                "requires a header whose name `{}` is not a valid HTTP header name; not sent",
                param.name.escape_debug()
            ));
            confidence -= 0.2;
            continue;
        }
        // A header has one right value only when the docs leave no choice.
        let fixed = documented_value(ctx, param, true);
        // `Accept` and `Content-Type` go with every request anyway; one the docs fix to a
        // value (PagerDuty's `application/vnd.pagerduty+json;version=2`) is sent as said.
        // A documented value that is not a valid header value is not sent as it stands.
        let fixed = fixed.filter(|v| !v.chars().any(char::is_control));
        if ROUTINE_HEADERS.contains(&squashed.as_str()) && fixed.is_none() {
            continue;
        }
        notes.push(format!("sends the required header `{}`", param.name));
        headers.push((param.name.to_string(), fixed, clean_text(param.description)));
    }
    // A response offered only as another JSON media type (JSON:API's
    // `application/vnd.api+json`) is asked for by name: such APIs answer 406 to
    // `Accept: application/json`.
    if let Some(accept) = response.accept {
        if !headers
            .iter()
            .any(|(n, _, _)| n.eq_ignore_ascii_case("accept"))
        {
            notes.push(format!(
                "asks for `{accept}`, the only media type documented"
            ));
            headers.push((
                "Accept".to_string(),
                Some(accept.to_string()),
                "The media type the response is documented in.".to_string(),
            ));
        }
    }
    if op.deprecated() {
        notes.push("deprecated".into());
        confidence -= 0.2;
    }

    let path_params = naming::path_params(op.path)
        .into_iter()
        .map(|name| {
            let description = op
                .params
                .iter()
                .find(|p| p.location == "path" && p.name == name)
                .map(|p| clean_text(p.description))
                .unwrap_or_default();
            (name.to_string(), description)
        })
        .collect();
    let mut scopes = Vec::new();
    if let Some(Value::Array(reqs)) = op.op.get("security") {
        auth::collect_scopes(reqs, &mut scopes);
    }
    let text = [op.op.get("summary"), op.op.get("description")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    let global_directory = naming::lists_every_account(op.path, &text);
    Ok(Candidate {
        global_directory,
        path: op.path.to_string(),
        entity,
        record_path: found.path,
        layout: if json_api {
            RecordLayout::JsonApi
        } else {
            RecordLayout::Plain
        },
        columns,
        primary_key,
        pagination: paging.pagination,
        incremental: incremental.map(|i| i.incremental),
        query,
        query_configs,
        headers,
        path_params,
        notes,
        confidence,
        scopes,
    })
}

/// The value the docs give a parameter: its schema's default, else an `enum` value (the
/// first; with `only`, the only one, none when there is a choice).
fn documented_value<'a>(
    ctx: &Ctx<'a>,
    param: &crate::openapi::Param<'a>,
    only: bool,
) -> Option<String> {
    let shape = param.schema.map(|s| ctx.schemas.shape(s))?;
    shape.default.and_then(scalar_or_bool).or_else(|| {
        let schema = param.schema.and_then(|v| ctx.doc.get(v))?;
        let values = schema.get("enum")?.as_array()?;
        if only && values.len() != 1 {
            return None;
        }
        values.first().and_then(scalar_or_bool)
    })
}

fn scalar_or_bool(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        other => scalar_text(other),
    }
}

/// Settles table names, parents, auth and config across all candidates.
/// Config fields for the required headers the docs give no fixed value for (first
/// documented wins), by lower-case header name: `(field, secret)`. A secret one (the name
/// says key or token) becomes one of the model's headers, which the host adds as it adds
/// credentials; the others go with each endpoint that requires them. A header an auth
/// scheme already sends is the host's credentials, not repeated; a credential's own field
/// (Slack's `token` header is its token) is reused.
fn required_headers(
    candidates: &[Candidate],
    schemes: &[AuthScheme],
    config: &[ConfigField],
    model: &mut ApiModel,
) -> (Vec<ConfigField>, HashMap<String, (String, bool)>) {
    let auth_headers: Vec<String> = schemes
        .iter()
        .filter_map(|s| match s {
            AuthScheme::ApiKey {
                location: ApiKeyLocation::Header,
                param,
                ..
            } => Some(param.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let mut fields = Vec::new();
    let mut by_header: HashMap<String, (String, bool)> = HashMap::new();
    for (name, fixed, description) in candidates.iter().flat_map(|c| &c.headers) {
        let lower = name.to_ascii_lowercase();
        if fixed.is_some()
            || by_header.contains_key(&lower)
            || auth_headers.contains(&lower)
            || by_header.len() >= 20
        {
            continue;
        }
        let mut field = snake_ident(name);
        let secret = match config.iter().find(|f| f.name == field) {
            Some(f) if f.secret => true,
            Some(_) => {
                field = format!("header_{field}");
                false
            }
            None => {
                if field == "start_date" {
                    field = format!("header_{field}");
                }
                let squashed = naming::squash(name);
                let secret = ["key", "token", "secret", "password", "signature", "auth"]
                    .iter()
                    .any(|w| squashed.contains(w));
                let said = if description.is_empty() {
                    String::new()
                } else {
                    format!(": {}", description.trim_end_matches('.'))
                };
                fields.push(ConfigField {
                    name: field.clone(),
                    label: label_of(name),
                    description: format!(
                        "Value of the `{name}` header the API requires on its requests{said}."
                    ),
                    secret,
                    required: true,
                    default: None,
                });
                secret
            }
        };
        if secret {
            model.headers.push(QueryParam {
                name: name.clone(),
                value: format!("{{{field}}}"),
            });
        }
        by_header.insert(lower, (field, secret));
    }
    (fields, by_header)
}

pub(crate) fn assemble(
    ctx: &Ctx<'_>,
    mut model: ApiModel,
    servers: &[(String, String)],
    candidates: Vec<Candidate>,
) -> ApiModel {
    let tables = table_names(&candidates);
    let parents = parents(&candidates, &tables);
    let account_params = account_params(&candidates);
    let ancestors = ancestral_params(&candidates, &parents);

    let mut used_scopes: Vec<(String, Vec<String>)> = Vec::new();
    for candidate in &candidates {
        for (scheme, scopes) in &candidate.scopes {
            let reqs = [serde_json::json!({ scheme.as_str(): scopes })];
            auth::collect_scopes(&reqs, &mut used_scopes);
        }
    }
    let auth = auth::infer(ctx, &used_scopes);

    let mut config = vec![base_url_field(servers)];
    config.extend(auth.config);
    let (header_fields, header_config) =
        required_headers(&candidates, &auth.schemes, &config, &mut model);
    let reserved: Vec<String> = config
        .iter()
        .map(|f| f.name.clone())
        .chain(["start_date".to_string()])
        .collect();
    let mut param_fields: Vec<ConfigField> = Vec::new();
    let mut param_names: HashSet<String> = HashSet::new();
    let mut add_param_field = |field: &str, kind: &str, param: &str, description: &str| -> String {
        let name = if reserved.iter().any(|r| r == field) {
            format!("{kind}_{field}")
        } else {
            field.to_string()
        };
        if param_names.insert(name.clone()) {
            let text = if description.is_empty() {
                format!(
                    "Value for the `{param}` {kind} parameter, which no list endpoint provides."
                )
            } else {
                format!("Value for the `{param}` {kind} parameter: {description}")
            };
            param_fields.push(ConfigField {
                name: name.clone(),
                label: label_of(param),
                description: text,
                secret: false,
                required: true,
                default: None,
            });
        }
        name
    };

    let mut endpoints = Vec::with_capacity(candidates.len());
    for (i, candidate) in candidates.into_iter().enumerate() {
        let Candidate {
            mut path,
            mut notes,
            mut confidence,
            mut query,
            ..
        } = candidate;
        let parent = parents[i].as_ref().map(|(link, _)| link.clone());
        // Parameters the parent itself takes from its own parent: a chain of lists.
        let ancestral = parents[i].as_ref().map(|(_, p)| &ancestors[*p]);
        if let Some(link) = &parent {
            notes.push(format!(
                "child of `{}`: `{{{}}}` takes each parent record's `{}` (column `{}`)",
                link.table, link.path_param, link.parent_key, link.column
            ));
        }
        let mut needs = Vec::new();
        let mut chained = Vec::new();
        for (param, description) in &candidate.path_params {
            if parent
                .as_ref()
                .is_some_and(|link| link.path_param == *param)
            {
                continue;
            }
            if ancestral.is_some_and(|a| a.contains(param)) {
                chained.push(param.clone());
                continue;
            }
            let account = account_params[i].as_ref().filter(|(p, _)| p == param);
            let description = match account {
                Some((_, directory)) => {
                    let documented = if description.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", description.trim_end_matches('.'))
                    };
                    notes.push(format!(
                        "`{{{param}}}` is taken from config, not from `{directory}`, which lists every account of the service"
                    ));
                    format!(
                        "the account to sync{documented}. Enter your own (the one the credentials belong to) or the one whose data you want; `{directory}` lists every account of the service, so it is not read."
                    )
                }
                None => description.clone(),
            };
            let field = add_param_field(&snake_ident(param), "path", param, &description);
            path = path.replace(&format!("{{{param}}}"), &format!("{{{field}}}"));
            for q in &mut query {
                if q.value == format!("{{{param}}}") {
                    q.value = format!("{{{field}}}");
                }
            }
            // The account to sync is a deliberate config field, not a missing parent.
            if account.is_none() {
                needs.push(field);
            }
        }
        if !needs.is_empty() {
            notes.push(format!(
                "no parent list fills the path, so config must give `{}`",
                needs.join("`, `")
            ));
            confidence -= 0.2;
        }
        if !chained.is_empty() {
            notes.push(format!(
                "`{}` comes from the parent's own parent, so the sync must walk the whole chain",
                chained.join("`, `")
            ));
            confidence -= 0.1;
        }
        for (field, description) in &candidate.query_configs {
            let name = add_param_field(field, "query", field, description);
            if name != *field {
                for q in &mut query {
                    if q.value == format!("{{{field}}}") {
                        q.value = format!("{{{name}}}");
                    }
                }
            }
        }
        // The endpoint's own required headers: a fixed value, or a non-secret config field
        // (secret ones are the model's, added by the host).
        let headers: Vec<QueryParam> = candidate
            .headers
            .iter()
            .filter_map(|(name, fixed, _)| {
                let value = match fixed {
                    Some(value) => value.clone(),
                    None => match header_config.get(&name.to_ascii_lowercase()) {
                        Some((field, false)) => format!("{{{field}}}"),
                        _ => return None,
                    },
                };
                Some(QueryParam {
                    name: name.clone(),
                    value,
                })
            })
            .collect();
        endpoints.push(Endpoint {
            entity: candidate.entity,
            method: "GET".into(),
            path,
            table: tables[i].clone(),
            selected: true,
            record_path: candidate.record_path,
            layout: candidate.layout,
            primary_key: candidate.primary_key,
            columns: candidate.columns,
            query,
            headers,
            pagination: candidate.pagination,
            incremental: candidate.incremental,
            parent,
            reason: notes.join("; "),
            confidence: (confidence.clamp(0.05, 1.0) * 100.0).round() / 100.0,
            corrections: Vec::new(),
        });
    }
    keys_with_parents(&mut endpoints);

    config.extend(param_fields);
    for field in header_fields {
        if !config.iter().any(|f| f.name == field.name) {
            config.push(field);
        }
    }
    if endpoints.iter().any(|e| e.incremental.is_some()) {
        config.push(ConfigField {
            name: "start_date".into(),
            label: "Start date".into(),
            description: "Earliest change time to fetch on the first (historical) sync, as an RFC 3339 date-time such as 2024-01-01T00:00:00Z; empty fetches all history.".into(),
            secret: false,
            required: false,
            default: None,
        });
    }
    model.auth = auth.schemes;
    model.config = config;
    model.endpoints = endpoints;
    model
}

/// Child tables' keys and columns with the columns their parents fill, which the connector
/// adds to each row (text, never null). Docs rarely say whether a child's id is unique across
/// parents (`loan_no` is numbered per branch, a trip per vehicle under each site); with the
/// parents' columns first in the key, rows of different parents never overwrite each other,
/// and a key unique on its own stays unique. A keyless child stays keyless (its rows are
/// keyed by their content, the parents' columns included). Call it again after anything
/// sets a key.
pub(crate) fn keys_with_parents(endpoints: &mut [Endpoint]) {
    for i in 0..endpoints.len() {
        let chain = connector_agent_model::parent_links(endpoints, &endpoints[i]);
        let e = &mut endpoints[i];
        for (n, link) in chain.iter().enumerate() {
            if !e.columns.iter().any(|c| c.name == link.column) {
                let whose = if n + 1 == chain.len() {
                    format!("the parent `{}` record", link.table)
                } else {
                    format!("the `{}` record above the parent", link.table)
                };
                e.columns.push(Column {
                    name: link.column.clone(),
                    ty: ColumnType::String,
                    nullable: false,
                    description: format!("`{}` of {whose}", link.parent_key),
                });
            }
        }
        if !e.primary_key.is_empty() {
            let own: Vec<String> = e
                .primary_key
                .iter()
                .filter(|k| !chain.iter().any(|c| &c.column == *k))
                .cloned()
                .collect();
            e.primary_key = chain.iter().map(|c| c.column.clone()).chain(own).collect();
        }
    }
}

fn base_url_field(servers: &[(String, String)]) -> ConfigField {
    let description = if servers.is_empty() {
        "Base URL of the API, e.g. https://api.example.com/v1. The documentation names no server."
            .to_string()
    } else {
        let listed: Vec<String> = servers
            .iter()
            .take(10)
            .map(|(url, d)| {
                if d.is_empty() {
                    url.clone()
                } else {
                    format!("{url} ({})", clean_text(d).trim_end_matches('.'))
                }
            })
            .collect();
        let relative = if is_absolute(&servers[0].0) {
            ""
        } else {
            " The first is relative to where the documentation is hosted: give the full URL."
        };
        format!(
            "Base URL of the API that paths are appended to. Documented: {}.{relative}",
            listed.join("; ")
        )
    };
    ConfigField {
        name: "base_url".into(),
        label: "Base URL".into(),
        description,
        secret: false,
        required: true,
        default: servers
            .first()
            .map(|(url, _)| url.clone())
            .filter(|u| is_absolute(u)),
    }
}

fn is_absolute(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// `account_sid` → `Account sid`.
fn label_of(param: &str) -> String {
    let words = snake_ident(param).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => words,
    }
}

/// Unique, stable table names: the entity, else with the parent segment, else numbered.
fn table_names(candidates: &[Candidate]) -> Vec<String> {
    let base: Vec<String> = candidates.iter().map(|c| snake_ident(&c.entity)).collect();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, name) in base.iter().enumerate() {
        groups.entry(name.as_str()).or_default().push(i);
    }
    let mut names = base.clone();
    for members in groups.values().filter(|m| m.len() > 1) {
        let depth = |i: &usize| segments(&candidates[*i].path).len();
        let keep = members.iter().copied().min_by_key(|i| (depth(i), *i));
        for &i in members {
            if Some(i) == keep {
                continue;
            }
            if let Some(prefix) = naming::table_prefix(&candidates[i].path) {
                names[i] = snake_ident(&format!("{prefix}_{}", base[i]));
            }
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for name in &mut names {
        let count = seen.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            let mut n = *count;
            let mut candidate = format!("{name}_{n}");
            while seen.contains_key(&candidate) {
                n += 1;
                candidate = format!("{name}_{n}");
            }
            seen.insert(candidate.clone(), 1);
            *name = candidate;
        }
    }
    names
}

/// The parent record field whose value fills `param`: a field named like the parameter
/// (`{code}` → `code`), or like it without the parent's name (`{team_slug}` → `slug`,
/// `{AccountSid}` → `sid`, `{external_customer_id}` → `external_id`), `login` for a user
/// name, a field the parameter's description names as what it is ("The organization's
/// `login`", "the index of the issue" → `number`), else the parent's primary key (else `id`).
fn parent_key(param: &str, description: &str, parent: &Candidate, singular: &str) -> String {
    let find = |wanted: &str| {
        let wanted = naming::squash(wanted);
        let found = parent
            .columns
            .iter()
            .find(|c| !wanted.is_empty() && naming::squash(&c.name) == wanted);
        found.map(|c| c.name.clone())
    };
    let snake = snake_ident(param);
    // What the description says the value is: a field it puts in backticks, then a word
    // naming a kind of handle ("the organization name", "the project's slug"). An "ID" in
    // the description keeps the primary key.
    let lower = description.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    let says_id = words.iter().any(|w| {
        [
            "id",
            "ids",
            "identifier",
            "uuid",
            "guid",
            "gid",
            "sid",
            "uid",
        ]
        .contains(w)
    });
    let mut described: Vec<String> = Vec::new();
    if !says_id {
        described.extend(
            description
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|w| w.len() <= 64)
                .map(str::to_string),
        );
        for handle in [
            "slug", "login", "username", "handle", "key", "code", "number", "index", "name",
        ] {
            if words.contains(&handle) {
                described.push(handle.to_string());
                if handle == "index" {
                    described.push("number".to_string());
                }
            }
        }
    }
    let from_description = || described.iter().find_map(|t| find(t));
    // `{subscription_item}` under `/subscription_items`: the parameter names the parent record
    // itself, so it takes what its description names, else the parent's key, never a
    // look-alike foreign key (`subscription`).
    if naming::squash(&snake) == naming::squash(singular)
        || naming::squash(&snake) == naming::squash(&format!("{singular}_id"))
    {
        if let Some(field) = from_description() {
            return field;
        }
        if let Some(pk) = parent.primary_key.first() {
            return pk.clone();
        }
    }
    let last_word = |s: &str| s.rsplit('_').next().unwrap_or("").to_string();
    let mut tries = vec![snake.clone()];
    for owner in [singular.to_string(), last_word(singular)] {
        let stripped = format!("_{snake}_").replace(&format!("_{owner}_"), "_");
        tries.push(stripped.trim_matches('_').to_string());
    }
    if matches!(
        snake.as_str(),
        "username" | "user_name" | "login" | "user" | "org" | "owner"
    ) {
        tries.extend(["login".to_string(), "username".to_string()]);
    }
    if snake != singular && snake != last_word(singular) {
        tries.push(last_word(&snake));
    }
    // An index or number is the record's number within its parent, not its global id.
    if matches!(
        last_word(&snake).as_str(),
        "index" | "number" | "num" | "no" | "iid"
    ) {
        tries.extend(["number".to_string(), "iid".to_string(), "index".to_string()]);
    }
    tries.extend(described.iter().cloned());
    tries
        .iter()
        .find_map(|t| find(t))
        .or_else(|| parent.primary_key.first().cloned())
        .unwrap_or_else(|| "id".into())
}

/// For each candidate, the path parameters that its chain of parents fills (parents come
/// before children in path order, so one pass suffices).
fn ancestral_params(
    candidates: &[Candidate],
    parents: &[Option<(ParentRef, usize)>],
) -> Vec<HashSet<String>> {
    let mut out: Vec<HashSet<String>> = Vec::with_capacity(candidates.len());
    for (i, c) in candidates.iter().enumerate() {
        let mut filled = HashSet::new();
        if let Some((link, p)) = &parents[i] {
            filled.insert(link.path_param.clone());
            if let Some(from_parent) = out.get(*p) {
                for (param, _) in &c.path_params {
                    if from_parent.contains(param) {
                        filled.insert(param.clone());
                    }
                }
            }
        }
        out.push(filled);
    }
    out
}

/// The first candidate of each path shape (parameters named alike), by that shape.
fn by_path_key(candidates: &[Candidate]) -> HashMap<String, usize> {
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        by_key
            .entry(naming::path_key(&segments(&c.path)))
            .or_insert(i);
    }
    by_key
}

/// For each candidate, the path parameter naming an account that a global directory list
/// would otherwise fill (see [`parents`]), with that list's path.
fn account_params(candidates: &[Candidate]) -> Vec<Option<(String, String)>> {
    let by_key = by_path_key(candidates);
    candidates
        .iter()
        .map(|c| {
            let segs = segments(&c.path);
            segs.iter().enumerate().find_map(|(p, s)| {
                let Segment::Param(param) = s else {
                    return None;
                };
                let parent = &candidates[*by_key.get(&naming::path_key(&segs[..p]))?];
                (parent.global_directory && naming::names_an_account(param))
                    .then(|| (param.to_string(), parent.path.clone()))
            })
        })
        .collect()
}

/// For each candidate, its parent link and the parent's index.
fn parents(candidates: &[Candidate], tables: &[String]) -> Vec<Option<(ParentRef, usize)>> {
    let by_key = by_path_key(candidates);
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let segs = segments(&c.path);
            let p = segs.iter().rposition(|s| matches!(s, Segment::Param(_)))?;
            if p == 0 || p + 1 == segs.len() {
                return None;
            }
            let Segment::Param(param) = segs[p] else {
                return None;
            };
            let parent = *by_key.get(&naming::path_key(&segs[..p]))?;
            if parent == i {
                return None;
            }
            let parent_c = &candidates[parent];
            // `/users/{username}/repos` under GitHub's list of every user: the user is the
            // one the connection is for, so config names it (see `account_params`).
            if parent_c.global_directory && naming::names_an_account(param) {
                return None;
            }
            let singular = naming::singular(&snake_ident(&parent_c.entity));
            let described = c
                .path_params
                .iter()
                .find(|(name, _)| name == param)
                .map_or("", |(_, d)| d.as_str());
            let parent_key = parent_key(param, described, parent_c, &singular);
            let key_snake = snake_ident(&parent_key);
            let column = if key_snake.starts_with(&format!("{singular}_")) {
                key_snake
            } else {
                snake_ident(&format!("{singular}_{key_snake}"))
            };
            Some((
                ParentRef {
                    table: tables[parent].clone(),
                    path_param: param.to_string(),
                    parent_key,
                    column,
                },
                parent,
            ))
        })
        .collect()
}
