//! Postman collections: the real ones in the shared corpus, a cross-check against the same
//! API's OpenAPI description, small inline collections and hostile inputs.

use crate::support::card;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use connector_agent_extract::{
    detect_kind, extract_openapi_file, extract_postman, extract_postman_file,
    extract_postman_report, extract_postman_with_env, read_document, scorecard, DocKind, Error,
    Scorecard,
};
use connector_agent_model::{
    snake_ident, ApiKeyLocation, ApiModel, AuthScheme, CursorFormat, Endpoint, Incremental,
    PageSize, Pagination,
};
use serde_json::{json, Value};

/// The corpus folder, when it is there.
fn corpus_dir() -> Option<PathBuf> {
    crate::support::corpus_with("postman")
}

fn postman_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("postman"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    files
}

fn model_of(dir: &Path, file: &str) -> ApiModel {
    extract_postman_file(&dir.join("postman").join(file)).unwrap()
}

fn endpoint<'m>(model: &'m ApiModel, path: &str) -> &'m Endpoint {
    model
        .endpoints
        .iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("no endpoint {path}"))
}

/// The error and its causes, one per line, as `main` would print them.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("error: {err}");
    let mut source = err.source();
    let mut n = 1;
    while let Some(cause) = source {
        write!(out, "\ncaused by {n}: {cause}").unwrap();
        source = cause.source();
        n += 1;
    }
    out
}

/// Per file: the least the extraction must find, checked by hand against what each collection
/// shows (see the tests below). A little under today's counts, so a small heuristic change does
/// not break the test but a regression does. Only Front and Discourse save example responses;
/// the others are read from their requests' parameters, names and test scripts.
const MINIMUMS: &[(&str, Scorecard)] = &[
    // `Query …` requests with `limit`/`offset`; test scripts read `data.results[0]`.
    (
        "commercetools-api.postman_collection.json",
        card(75, 75, 75, 75, 0, 3),
    ),
    // `Get all …` requests, `skip`/`limit` on some; no examples, so no keys or record paths.
    (
        "contentstack-cma.postman_collection.json",
        card(22, 0, 7, 0, 0, 7),
    ),
    // Arrays of users and groups in the saved examples; `limit`/`offset` on group members.
    ("discourse.postman_collection.json", card(6, 5, 1, 1, 0, 0)),
    // `_results` with `_pagination.next` in every example.
    (
        "front-core-api.postman_collection.json",
        card(55, 53, 25, 55, 0, 36),
    ),
    // `count`/`cursor` parameters, no examples: lists without keys or a visible cursor field.
    (
        "twitter-ads-api.postman_collection.json",
        card(40, 0, 0, 0, 0, 28),
    ),
    // "List …" requests and `limit` on transfers; no examples.
    ("wise-api.postman_collection.json", card(4, 0, 0, 0, 0, 2)),
];

/// Invariants every extracted model keeps, whatever the collection.
fn check_invariants(name: &str, model: &ApiModel) {
    // What an edited model is held to (`endpoints --import`) holds for every extracted one.
    if let Err(e) = model.check() {
        panic!("{name}: {e}");
    }
    let tables: HashSet<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
    assert_eq!(tables.len(), model.endpoints.len(), "{name}: tables");
    let fields: HashSet<&str> = model.config.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields.len(), model.config.len(), "{name}: config names");
    assert_eq!(
        model.config.first().map(|f| f.name.as_str()),
        Some("base_url"),
        "{name}"
    );
    for field in &model.config {
        assert_eq!(
            field.name,
            snake_ident(&field.name),
            "{name}: {}",
            field.name
        );
        assert!(!field.description.is_empty(), "{name}: {}", field.name);
    }
    let paths: HashSet<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths.len(), model.endpoints.len(), "{name}: paths");
    for e in &model.endpoints {
        assert_eq!(e.table, snake_ident(&e.table), "{name}: {}", e.table);
        assert_eq!(e.method, "GET");
        assert!(e.path.starts_with('/'), "{name}: {}", e.path);
        assert!(!e.path.contains("{{"), "{name}: {}", e.path);
        assert!((0.0..=1.0).contains(&e.confidence), "{name}: {}", e.table);
        assert!(!e.reason.is_empty());
        assert!(e.reason.contains("from Postman request"), "{}", e.reason);
        let columns: HashSet<&str> = e.columns.iter().map(|c| c.name.as_str()).collect();
        for key in &e.primary_key {
            assert!(columns.contains(key.as_str()), "{name}: {} key", e.table);
        }
        if let Some(parent) = &e.parent {
            assert!(
                tables.contains(parent.table.as_str()),
                "{name}: {}",
                e.table
            );
        }
        for param in e
            .path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
        {
            assert!(
                e.parent.is_some() || fields.contains(param),
                "{name}: {} needs `{param}`",
                e.path
            );
        }
        for q in &e.query {
            if let Some(field) = q.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                assert!(fields.contains(field), "{name}: {} `{}`", e.table, q.name);
            }
        }
    }
}

#[test]
fn postman_corpus_extracts() {
    let Some(dir) = corpus_dir() else { return };
    let files = postman_files(&dir);
    assert_eq!(files.len(), MINIMUMS.len(), "corpus changed: {files:?}");
    let mut short = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let doc = read_document(file).unwrap();
        assert_eq!(detect_kind(&doc), DocKind::Postman, "{name}");
        let model = extract_postman_file(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_invariants(&name, &model);
        let got = scorecard(&model);
        let (_, want) = MINIMUMS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no minimum for {name}"));
        for (what, got, want) in [
            ("lists", got.lists, want.lists),
            ("with_key", got.with_key, want.with_key),
            ("with_paginator", got.with_paginator, want.with_paginator),
            (
                "with_record_path",
                got.with_record_path,
                want.with_record_path,
            ),
            (
                "with_incremental",
                got.with_incremental,
                want.with_incremental,
            ),
            ("with_parent", got.with_parent, want.with_parent),
        ] {
            if got < want {
                short.push(format!("{name}: {what} {got} < {want}"));
            }
        }
    }
    assert!(short.is_empty(), "below the minimum:\n{}", short.join("\n"));
}

#[test]
fn front_reads_results_and_follows_the_pagination_next_url() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "front-core-api.postman_collection.json");
    let accounts = endpoint(&model, "/accounts");
    assert_eq!(accounts.record_path, ["_results"]);
    assert_eq!(accounts.primary_key, ["id"]);
    assert!(
        matches!(&accounts.pagination, Pagination::NextUrl { next_url_path, .. }
            if next_url_path == &["_pagination", "next"]),
        "{:?}",
        accounts.pagination
    );
    // `:account_id` is a Postman path variable: a parameter the parent list fills.
    let contacts = endpoint(&model, "/accounts/{account_id}/contacts");
    let parent = contacts.parent.as_ref().unwrap();
    assert_eq!(
        (parent.table.as_str(), parent.path_param.as_str()),
        ("accounts", "account_id")
    );
    // Lists without `_pagination` in their example are not paged.
    assert_eq!(endpoint(&model, "/teams").pagination, Pagination::None);
    // `{{baseUrl}}` is a collection variable; the bearer auth is the collection's.
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://api2.frontapp.com")
    );
    assert!(matches!(model.auth[..], [AuthScheme::Bearer { .. }]));
    // Request descriptions reach the reason; search and single reads are left out.
    assert!(accounts.reason.contains("List the accounts of the company"));
    assert!(!model.endpoints.iter().any(|e| e.path.contains("search")));
    assert!(!model.endpoints.iter().any(|e| e.path == "/me"));
}

#[test]
fn commercetools_reads_results_and_pages_with_offset_and_limit() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "commercetools-api.postman_collection.json");
    // Lower-case `get` requests; `{{project-key}}` has no value, so it is a path parameter.
    let customers = endpoint(&model, "/{project_key}/customers");
    assert_eq!(customers.record_path, ["results"]);
    assert_eq!(customers.primary_key, ["id"]);
    assert_eq!(
        customers.pagination,
        Pagination::Offset {
            offset_param: "offset".into(),
            limit: PageSize {
                param: "limit".into(),
                value: 100
            },
            end: None,
        }
    );
    assert!(
        customers.reason.contains("test script"),
        "{}",
        customers.reason
    );
    assert!(model
        .config
        .iter()
        .any(|f| f.name == "project_key" && f.required));
    // `{{host}}` has no value anywhere: the base URL has no default and says where it comes from.
    assert_eq!(model.config[0].default, None);
    assert!(model.config[0].description.contains("`{{host}}`"));
    assert!(matches!(model.auth[..], [AuthScheme::OAuth2 { .. }]));
    // Single reads (`…/key={{customer-key}}`) and HEAD requests are not lists.
    assert!(!model.endpoints.iter().any(|e| e.path.ends_with('}')));
    assert!(!model.endpoints.iter().any(|e| e.path.ends_with("/me")));
    let doc =
        read_document(&dir.join("postman/commercetools-api.postman_collection.json")).unwrap();
    let report = extract_postman_report(&doc, None, "commercetools").unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("{{auth_url}}/oauth/token")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn twitter_ads_needs_oauth1_which_is_reported_not_applied() {
    let Some(dir) = corpus_dir() else { return };
    let doc = read_document(&dir.join("postman/twitter-ads-api.postman_collection.json")).unwrap();
    let report = extract_postman_report(&doc, None, "twitter").unwrap();
    let model = &report.model;
    assert!(model.auth.is_empty());
    assert!(report.warnings.iter().any(|w| w.contains("`oauth1`")));
    let campaigns = endpoint(model, "/{version}/accounts/{account_id}/campaigns");
    assert!(
        campaigns.reason.contains("`oauth1`"),
        "{}",
        campaigns.reason
    );
    // No example responses: the `cursor` parameter is seen, the cursor field is not.
    assert!(
        campaigns.reason.contains("`cursor`"),
        "{}",
        campaigns.reason
    );
    assert!(campaigns.confidence < 0.3);
    assert_eq!(
        campaigns.parent.as_ref().map(|p| p.table.as_str()),
        Some("accounts")
    );
    // `{{version}}` is described in the collection's environment table.
    let version = model.config.iter().find(|f| f.name == "version").unwrap();
    assert!(
        version.description.contains("latest version"),
        "{}",
        version.description
    );
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://ads-api.twitter.com")
    );
}

#[test]
fn wise_takes_the_token_from_the_authorization_header_and_placeholders_as_parameters() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "wise-api.postman_collection.json");
    // `Authorization: Bearer {{TOKEN}}` headers, no `auth` object.
    assert!(
        matches!(&model.auth[..], [AuthScheme::Bearer { token_field }] if token_field == "token")
    );
    let token = model.config.iter().find(|f| f.name == "token").unwrap();
    assert!(token.secret && token.description.contains("`{{TOKEN}}`"));
    // `{{host}}` has no value; the one request written out names the production host.
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://api.transferwise.com")
    );
    // `/profiles/{id}/directors` is written with braces: a parameter the profiles fill.
    let directors = endpoint(&model, "/v1/profiles/{id}/directors");
    assert_eq!(
        directors.parent.as_ref().map(|p| p.table.as_str()),
        Some("profiles")
    );
    assert!(endpoint(&model, "/v1/transfers")
        .reason
        .contains("no saved response"));
}

#[test]
fn contentstack_reads_string_hosts_and_header_keys() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "contentstack-cma.postman_collection.json");
    // `url` objects with `host` and `path` as strings.
    let stacks = endpoint(&model, "/v3/organizations/{organization_uid}/stacks");
    assert!(
        matches!(&stacks.pagination, Pagination::Offset { offset_param, limit, .. }
            if offset_param == "skip" && limit.param == "limit"),
        "{:?}",
        stacks.pagination
    );
    match &model.auth[0] {
        AuthScheme::ApiKey {
            location, param, ..
        } => assert_eq!(
            (*location, param.as_str()),
            (ApiKeyLocation::Header, "api_key")
        ),
        other => panic!("{other:?}"),
    }
    // `authorization: {{management_token}}` is a key sent as is, without `Bearer `.
    assert!(model.auth.iter().any(|a| matches!(a,
        AuthScheme::ApiKey { param, prefix: None, key_field, .. }
            if param == "authorization" && key_field.contains("management_token"))));
}

#[test]
fn discourse_picks_the_example_saved_for_the_request() {
    let Some(dir) = corpus_dir() else { return };
    let doc = read_document(&dir.join("postman/discourse.postman_collection.json")).unwrap();
    let report = extract_postman_report(&doc, None, "discourse").unwrap();
    let model = &report.model;
    // v2.0 requests given as bare URL strings; `api_key={{api_key}}` is the credential and
    // `api_username={{api_username}}` a required value.
    assert!(
        matches!(&model.auth[..], [AuthScheme::ApiKey { location: ApiKeyLocation::Query, param, .. }] if param == "api_key")
    );
    let staff = endpoint(model, "/admin/users/list/staff.json");
    assert!(staff.record_path.is_empty());
    assert_eq!(staff.primary_key, ["id"]);
    assert!(staff.query.iter().any(|q| q.name == "api_username"));
    assert!(!staff.query.iter().any(|q| q.name == "api_key"));
    // `/groups/9upc2wo2w0w130/members.json` holds an example name; its saved examples belong to
    // other requests, so the body shape comes from the collection's other lists.
    let members = endpoint(model, "/groups/{group_id}/members.json");
    assert!(matches!(members.pagination, Pagination::Offset { .. }));
    assert!(members.reason.contains("other lists"), "{}", members.reason);
    // `/c/8.json` reads one category.
    assert!(report
        .skipped
        .iter()
        .any(|s| s.path == "/c/{c_id}.json" && s.reason.contains("single item")));
}

/// Front publishes the same API as OpenAPI and as Postman. Where both propose a list, they
/// should agree on where the records are and how pages are followed.
#[test]
fn front_postman_agrees_with_front_openapi() {
    let Some(dir) = corpus_dir() else { return };
    let postman = model_of(&dir, "front-core-api.postman_collection.json");
    let openapi = extract_openapi_file(&dir.join("openapi/front-core-api.json")).unwrap();
    let key = |path: &str| -> String {
        path.split('/')
            .map(|s| if s.contains('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let by_path: HashMap<String, &Endpoint> = openapi
        .endpoints
        .iter()
        .map(|e| (key(&e.path), e))
        .collect();
    let mut common = 0;
    let mut differ = Vec::new();
    for e in &postman.endpoints {
        let Some(o) = by_path.get(&key(&e.path)) else {
            continue;
        };
        common += 1;
        if o.record_path != e.record_path || o.pagination.style() != e.pagination.style() {
            differ.push(format!(
                "{}: {:?} {} vs {:?} {}",
                e.path,
                e.record_path,
                e.pagination.style(),
                o.record_path,
                o.pagination.style()
            ));
        }
    }
    // Measured: 58 shared lists, 57 agree; `/links` differs because its Postman example
    // has no `_pagination`.
    assert!(common >= 50, "only {common} lists in common");
    let agree = common - differ.len();
    assert!(
        agree * 100 >= common * 95,
        "{agree}/{common} agree:\n{}",
        differ.join("\n")
    );
}

/// With `CONNECTOR_AGENT_DUMP=<folder>`, writes each Postman model as JSON, the skipped
/// requests with reasons and a scorecard summary there, for review by eye.
#[test]
fn postman_corpus_dump() {
    let Some(dir) = corpus_dir() else { return };
    let Some(out) = std::env::var_os("CONNECTOR_AGENT_DUMP") else {
        return;
    };
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();
    let mut lines = Vec::new();
    for file in postman_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let doc = read_document(&file).unwrap();
        let report = extract_postman_report(&doc, None, &name).unwrap();
        lines.push(format!("{name}: {:?}", scorecard(&report.model)));
        let json = serde_json::to_string_pretty(&report.model).unwrap();
        std::fs::write(out.join(format!("{name}.model.json")), json).unwrap();
        let mut skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|s| format!("{} {} ({}) — {}", s.method, s.path, s.pointer, s.reason))
            .collect();
        skipped.extend(report.warnings.iter().map(|w| format!("warning: {w}")));
        std::fs::write(out.join(format!("{name}.skipped.txt")), skipped.join("\n")).unwrap();
    }
    std::fs::write(out.join("summary.txt"), lines.join("\n")).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Small inline collections

fn collection(items: Value) -> Value {
    json!({
        "info": {
            "name": "Inline",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": items
    })
}

/// A saved example response with a JSON body.
fn example(body: &Value) -> Value {
    json!({"name": "ok", "code": 200, "body": body.to_string()})
}

fn get(name: &str, url: Value, responses: Vec<Value>) -> Value {
    json!({"name": name, "request": {"method": "GET", "url": url}, "response": responses})
}

#[test]
fn variables_and_environment_fill_the_url_and_the_rest_becomes_parameters() {
    let doc = json!({
        "info": {"name": "Vars", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "variable": [
            {"key": "base", "value": "https://api.example.com/v2"},
            {"key": "org", "value": "", "description": "The organisation to sync."}
        ],
        "item": [{"name": "Teams", "item": [
            get("List teams", json!("{{base}}/teams"), vec![example(&json!([{"id": 1}]))]),
            get("List members", json!({
                "raw": "{{base}}/teams/:team_id/members?limit=50&cursor=",
                "host": ["{{base}}"],
                "path": ["teams", ":team_id", "members"],
                "query": [{"key": "limit", "value": "50"}, {"key": "cursor", "value": ""}],
                "variable": [{"key": "team_id", "value": "t_1"}]
            }), vec![example(&json!({"data": [{"id": "u1"}], "next_cursor": "abc"}))]),
            get("List projects", json!("{{base}}/orgs/{{org}}/projects"), vec![
                example(&json!({"results": [{"id": 7, "updated_at": "2024-01-01T00:00:00Z"}]}))
            ]),
        ]}]
    });
    let model = extract_postman(&doc, "vars.json").unwrap();
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://api.example.com/v2")
    );
    let members = endpoint(&model, "/teams/{team_id}/members");
    assert_eq!(members.parent.as_ref().unwrap().table, "teams");
    assert_eq!(members.record_path, ["data"]);
    assert_eq!(
        members.pagination,
        Pagination::Cursor {
            cursor_param: "cursor".into(),
            cursor_from_record: None,
            cursor_path: Some(vec!["next_cursor".into()]),
            has_more_path: None,
            limit: Some(PageSize {
                param: "limit".into(),
                value: 50
            }),
        }
    );
    // `{{org}}` is empty and no list fills it: a config field with the variable's description.
    let projects = endpoint(&model, "/orgs/{org}/projects");
    assert_eq!(projects.record_path, ["results"]);
    let team = model.config.iter().find(|f| f.name == "org").unwrap();
    assert!(
        team.description.contains("The organisation to sync"),
        "{}",
        team.description
    );

    // An environment fills `{{org}}`; its values win over the collection's.
    let env = json!({"name": "prod", "values": [
        {"key": "org", "value": "acme", "enabled": true},
        {"key": "base", "value": "https://eu.example.com", "enabled": true}
    ]});
    let model = extract_postman_with_env(&doc, Some(&env), "vars.json").unwrap();
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://eu.example.com")
    );
    endpoint(&model, "/orgs/acme/projects");
    assert!(!model.config.iter().any(|f| f.name == "org"));
}

#[test]
fn pagination_and_incremental_come_from_examples_and_parameters() {
    let items = json!([
        get(
            "has more",
            json!("https://x.test/a?starting_after=&limit=100"),
            vec![example(&json!({"data": [{"id": "a"}], "has_more": true}))]
        ),
        get(
            "slack",
            json!("https://x.test/b?cursor=&limit=200"),
            vec![example(
                &json!({"channels": [{"id": "C1"}], "response_metadata": {"next_cursor": "dGVhbQ=="}})
            )]
        ),
        get(
            "links",
            json!("https://x.test/c?page_size=20"),
            vec![example(
                &json!({"items": [{"id": 1}], "links": {"next": "https://x.test/c?page=2"}})
            )]
        ),
        get(
            "drf",
            json!("https://x.test/d"),
            vec![example(
                &json!({"count": 2, "next": null, "results": [{"id": 1}]})
            )]
        ),
        get(
            "pages",
            json!("https://x.test/e?page=1&per_page=30"),
            vec![example(&json!([{"id": 1}]))]
        ),
        get(
            "since",
            json!("https://x.test/f?since=2024-01-01T00:00:00Z"),
            vec![example(
                &json!([{"id": 1, "updated_at": "2024-01-02T00:00:00Z"}])
            )]
        ),
    ]);
    let model = extract_postman(&collection(items), "paging.json").unwrap();
    let style = |path: &str| endpoint(&model, path).pagination.clone();
    assert!(
        matches!(style("/a"), Pagination::Cursor { cursor_from_record: Some(k), has_more_path: Some(p), .. } if k == "id" && p == ["has_more"])
    );
    assert!(
        matches!(style("/b"), Pagination::Cursor { cursor_path: Some(p), .. } if p == ["response_metadata", "next_cursor"])
    );
    assert!(
        matches!(style("/c"), Pagination::NextUrl { next_url_path, .. } if next_url_path == ["links", "next"])
    );
    assert!(
        matches!(style("/d"), Pagination::NextUrl { next_url_path, .. } if next_url_path == ["next"])
    );
    assert!(
        matches!(style("/e"), Pagination::PageNumber { page_param, limit: Some(l), .. } if page_param == "page" && l.param == "per_page")
    );
    assert_eq!(
        endpoint(&model, "/f").incremental,
        Some(Incremental {
            param: "since".into(),
            cursor_field: "updated_at".into(),
            format: CursorFormat::Rfc3339,
            header: false,
        })
    );
    let timestamp = endpoint(&model, "/f")
        .columns
        .iter()
        .find(|c| c.name == "updated_at")
        .unwrap();
    assert_eq!(timestamp.ty, connector_agent_model::ColumnType::Timestamp);
}

#[test]
fn auth_is_inherited_from_folders_and_mapped_to_schemes() {
    let auth = |ty: &str, fields: Value| json!({"type": ty, ty: fields});
    let doc = json!({
        "info": {"name": "Auth", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "auth": auth("apikey", json!([
            {"key": "key", "value": "X-API-Key"}, {"key": "value", "value": "{{key}}"}, {"key": "in", "value": "header"}
        ])),
        "item": [
            {"name": "OAuth", "auth": auth("oauth2", json!([
                {"key": "accessTokenUrl", "value": "https://auth.example.com/token"},
                {"key": "authUrl", "value": "https://auth.example.com/authorize"},
                {"key": "scope", "value": "read:users read:teams"}
            ])), "item": [
                get("List users", json!("https://api.example.com/users"), vec![example(&json!([{"id": 1}]))]),
                {"name": "List teams", "request": {"method": "get", "url": "https://api.example.com/teams",
                    "auth": {"type": "inherit"}}, "response": [example(&json!([{"id": 1}]))]}
            ]},
            get("List keys", json!("https://api.example.com/keys"), vec![example(&json!([{"id": 1}]))]),
            {"name": "List legacy", "request": {"method": "GET", "url": "https://api.example.com/legacy",
                "auth": auth("oauth1", json!([]))}, "response": [example(&json!([{"id": 1}]))]},
            {"name": "List open", "request": {"method": "GET", "url": "https://api.example.com/open",
                "auth": {"type": "noauth"}}, "response": [example(&json!([{"id": 1}]))]}
        ]
    });
    let report = extract_postman_report(&doc, None, "auth.json").unwrap();
    let model = &report.model;
    assert!(model.auth.iter().any(|a| matches!(a,
        AuthScheme::ApiKey { location: ApiKeyLocation::Header, param, .. } if param == "X-API-Key")));
    assert!(model.auth.iter().any(|a| matches!(a,
        AuthScheme::OAuth2 { authorization_url: Some(a), token_url: Some(t), scopes }
            if a.ends_with("/authorize") && t.ends_with("/token") && scopes.len() == 2)));
    assert!(report.warnings.iter().any(|w| w.contains("`oauth1`")));
    assert!(endpoint(model, "/legacy").reason.contains("`oauth1`"));
    assert!(!endpoint(model, "/open").reason.contains("auth"));

    // Basic auth and an API key in the query.
    let doc = collection(json!([
        {"name": "List", "request": {"method": "GET", "url": "https://x.test/things?api_key={{k}}",
            "auth": auth("basic", json!([{"key": "username", "value": "{{user}}"}]))},
         "response": [example(&json!([{"id": 1}]))]}
    ]));
    let model = extract_postman(&doc, "basic.json").unwrap();
    assert!(model
        .auth
        .iter()
        .any(|a| matches!(a, AuthScheme::Basic { .. })));
    assert!(model.auth.iter().any(|a| matches!(a,
        AuthScheme::ApiKey { location: ApiKeyLocation::Query, param, .. } if param == "api_key")));
    assert!(endpoint(&model, "/things").query.is_empty());
}

#[test]
fn only_get_requests_that_list_records_become_endpoints() {
    let items = json!([
        {"name": "Create", "request": {"method": "POST", "url": "https://x.test/users"}},
        get("One user", json!("https://x.test/users/:id"), vec![example(&json!({"id": 1}))]),
        get("Search", json!("https://x.test/users/search?q=a"), vec![example(&json!([{"id": 1}]))]),
        get("Stats", json!("https://x.test/stats"), vec![example(&json!({"total": 3}))]),
        get("Get user", json!("https://x.test/me"), vec![]),
        // Saved for another request: its original request names another path.
        get("List teams", json!("https://x.test/teams"), vec![json!({
            "name": "wrong", "code": 200, "body": "{\"id\": 1}",
            "originalRequest": {"method": "GET", "url": "https://x.test/me"}
        }), json!({"name": "error", "code": 500, "body": "[{\"id\": 1}]"})]),
        get("List users", json!("https://x.test/users"), vec![example(&json!([{"id": 1}]))]),
    ]);
    let report = extract_postman_report(&collection(items), None, "rules.json").unwrap();
    let paths: Vec<&str> = report
        .model
        .endpoints
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(paths, ["/teams", "/users"]);
    // `/teams` has no usable example but "List" names it a list: low confidence, and says why.
    let teams = endpoint(&report.model, "/teams");
    assert!(teams.confidence < 0.5 && teams.reason.contains("no saved response"));
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, ["/users/{id}", "/users/search", "/stats", "/me"]);
    assert!(report.skipped[0].pointer == "#/item/1");
}

// ---------------------------------------------------------------------------------------------
// Hostile and invalid inputs

/// Writes `text` to `name` in a fresh temporary folder and extracts it.
fn extract_text(name: &str, text: &str) -> (tempfile::TempDir, Result<ApiModel, Error>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let result = extract_postman_file(&path);
    (dir, result)
}

#[test]
fn invalid_collections_get_errors_naming_the_place() {
    let mut errors = Vec::new();
    let (dir, truncated) = extract_text(
        "truncated.json",
        "{\"info\": {\"name\": \"x\"}, \"item\": [{\"name\": \"a\", \"request\": {\"url\": \"h",
    );
    let truncated = truncated.unwrap_err();
    assert!(
        matches!(truncated, Error::Json { line: 1, .. }),
        "{truncated}"
    );
    errors.push(chain(&truncated).replace(&dir.path().display().to_string(), "<tmp>"));

    let info = json!({"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"});
    let cases = [
        json!({"info": info, "item": {"name": "not a list"}}),
        json!({"info": info, "item": [{"name": "folder", "item": "nope"}]}),
        json!({"info": info, "item": [{"name": "f", "item": []}, {"name": "g", "item": [
            {"name": "r", "request": {"method": "GET", "url": 42}}
        ]}]}),
        json!({"info": info, "item": [{"name": "r", "request": {"method": ["GET"], "url": "/x"}}]}),
        json!({"info": info, "item": ["just text"]}),
        json!({"info": info, "item": [], "variable": {"a": 1}}),
        json!({"openapi": "3.0.0", "paths": {}}),
        json!({"name": "my app", "replicas": 3}),
        json!({"info": {"name": "v1"}, "requests": [], "order": []}),
        json!({"info": {"schema": "https://schema.getpostman.com/json/collection/v3.0.0/collection.json"}, "item": []}),
        json!([1, 2]),
    ];
    for doc in &cases {
        errors.push(chain(&extract_postman(doc, "c.json").unwrap_err()));
    }
    let env = extract_postman_with_env(
        &collection(json!([])),
        Some(&json!({"values": 3})),
        "c.json",
    );
    errors.push(chain(&env.unwrap_err()));
    insta::assert_snapshot!("postman_errors", errors.join("\n"));
}

#[test]
fn hostile_names_stay_data() {
    let evil = "x\"'; DROP TABLE t;--{{y}}*/\n\u{202e}";
    let doc = json!({
        "info": {"name": evil, "description": evil},
        "variable": [{"key": evil, "value": evil}, {"key": "a\"b", "value": ""}],
        "item": [{"name": evil, "description": evil, "item": [
            {"name": evil, "request": {
                "method": "GET",
                "url": format!("https://api.example.com/it\"ems*/{{{{a\"b}}}}/:we\"ird/{{{{x}}}}}}/sub?limit=5&{evil}=1"),
                "header": [{"key": evil, "value": "{{z}}"}],
                "description": evil
            }, "response": [example(&json!([{evil: 1, "id": 1}]))]},
            {"name": "quotes", "request": "https://api.example.com/{{{{{{}}}}}}/*/list?page=1"},
            {"name": "List {{y}} */", "request": "https://api.example.com/x/it\"ems*/"}
        ]}]
    });
    let report = extract_postman_report(&doc, None, evil).unwrap();
    let model = &report.model;
    assert!(!model.endpoints.is_empty(), "{:?}", report.skipped);
    for e in &model.endpoints {
        assert_eq!(e.table, snake_ident(&e.table));
        for param in e
            .path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
        {
            assert_eq!(param, snake_ident(param), "{}", e.path);
        }
    }
    for field in &model.config {
        assert_eq!(field.name, snake_ident(&field.name));
    }
    assert!(model
        .endpoints
        .iter()
        .any(|e| e.columns.iter().any(|c| c.name == evil)));
    let back: ApiModel = serde_json::from_str(&serde_json::to_string(model).unwrap()).unwrap();
    assert_eq!(&back, model);
}

/// `depth` folders, each holding the next, as JSON text.
fn nested_text(depth: usize) -> String {
    let mut text = String::from("{\"info\": {\"name\": \"deep\"}, \"item\": ");
    for _ in 0..depth {
        text.push_str("[{\"name\": \"f\", \"item\": ");
    }
    text.push_str("[]");
    for _ in 0..depth {
        text.push_str("}]");
    }
    text.push('}');
    text
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // As text, the nesting limit refuses it before the JSON reader sees it.
    let (_dir, result) = extract_text("deep.json", &nested_text(10_000));
    assert!(matches!(result, Err(Error::TooDeep { .. })), "{result:?}");

    // Built in memory (no parser limit), the walk refuses it at its own depth limit. (Not with
    // `json!`, which would copy `doc` recursively.)
    let mut doc = json!([]);
    for _ in 0..10_000 {
        let mut folder = serde_json::Map::new();
        folder.insert("name".into(), json!("f"));
        folder.insert("item".into(), doc);
        doc = Value::Array(vec![Value::Object(folder)]);
    }
    let mut root = serde_json::Map::new();
    root.insert("info".into(), json!({"name": "deep"}));
    root.insert("item".into(), doc);
    let mut doc = Value::Object(root);
    let err = extract_postman(&doc, "deep.json").unwrap_err();
    match &err {
        Error::Structure {
            pointer, reason, ..
        } => {
            assert!(reason.contains("deeper than"), "{reason}");
            assert!(pointer.starts_with("#/item/0/item/0/item/"), "{pointer}");
        }
        other => panic!("{other}"),
    }
    // Taken apart level by level: dropping it whole would recurse 10,000 levels deep.
    let mut next = doc["item"].take();
    while let Value::Array(mut items) = next {
        next = match items.first_mut() {
            Some(folder) => folder["item"].take(),
            None => Value::Null,
        };
    }
    drop(doc);

    // Just inside the limit is fine.
    let ok: Value = serde_json::from_str(&nested_text(60)).unwrap();
    assert!(extract_postman(&ok, "ok.json")
        .unwrap()
        .endpoints
        .is_empty());
}

#[test]
fn detect_kind_tells_openapi_from_postman() {
    assert_eq!(detect_kind(&json!({"openapi": "3.1.0"})), DocKind::OpenApi);
    assert_eq!(detect_kind(&json!({"swagger": "2.0"})), DocKind::OpenApi);
    assert_eq!(detect_kind(&collection(json!([]))), DocKind::Postman);
    assert_eq!(
        detect_kind(&json!({"info": {"_postman_id": "x"}})),
        DocKind::Postman
    );
    assert_eq!(detect_kind(&json!({"name": "x"})), DocKind::Unknown);
    assert_eq!(detect_kind(&json!("text")), DocKind::Unknown);
}

#[test]
fn large_collections_have_no_quadratic_blowup() {
    // 20,000 lists on as many hosts, each with its own header credential, and one request with
    // 20,000 query parameters.
    let mut items: Vec<Value> = (0..20_000)
        .map(|i| {
            json!({"name": format!("List things {i}"), "request": {
                "method": "GET",
                "url": format!("https://h{i}.example.com/things{i}?limit=10"),
                "header": [{"key": format!("X-Key-{i}"), "value": format!("{{{{key{i}}}}}")}]
            }})
        })
        .collect();
    let query: Vec<String> = (0..20_000).map(|i| format!("q{i}={{{{v{i}}}}}")).collect();
    items.push(get(
        "List wide",
        json!(format!("https://x.test/wide?{}", query.join("&"))),
        vec![example(&json!([{"id": 1}]))],
    ));
    let doc = collection(Value::Array(items));
    let model = extract_postman(&doc, "large.json").unwrap();
    assert_eq!(model.endpoints.len(), 20_001);
}

/// A request without a saved response: the key and the filtered field come from its words
/// ("identified by its `isbn`", "only books whose `last_changed` is at or after it"), not
/// guessed from the parameter's name (`changed`).
#[test]
fn without_saved_responses_the_words_name_the_key_and_the_filtered_field() {
    let items = json!([{
        "name": "List books",
        "request": {
            "method": "GET",
            "description": "Returns `{data, paging}`. Each book is identified by its `isbn` and has `title`, `authors`, `price` and `last_changed` (UTC date-time of its last change).",
            "url": {
                "raw": "https://x.test/books?changed_since=2024-01-01T00:00:00Z",
                "host": ["x", "test"],
                "path": ["books"],
                "query": [{"key": "changed_since", "value": "2024-01-01T00:00:00Z", "description": "ISO 8601 date-time: only books whose `last_changed` is at or after it"}]
            }
        }
    }]);
    let model = extract_postman(&collection(items), "words.json").unwrap();
    let books = endpoint(&model, "/books");
    assert_eq!(books.primary_key, ["isbn"]);
    let inc = books.incremental.as_ref().expect("a filter");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str()),
        ("changed_since", "last_changed")
    );
}

/// A request's fixed header the API requires (`Api-Version: 2024-05-01`, "400 without it")
/// is sent with that value on every request; a key stated after a colon ("Readings have no
/// id of their own: a reading is identified by `vehicle_id` and `ts` together") is the key.
#[test]
fn fixed_headers_are_sent_and_keys_stated_in_the_words_are_kept() {
    let items = json!([{
        "name": "List readings",
        "request": {
            "method": "GET",
            "description": "Telemetry readings for all vehicles in `readings`, with `next_page_token` (null at the end). Readings have no id of their own: a reading is identified by `vehicle_id` and `ts` together.",
            "header": [
                {"key": "Api-Version", "value": "2024-05-01", "description": "Required on every request; 400 without it"},
                {"key": "Accept", "value": "application/json"}
            ],
            "url": {
                "raw": "https://x.test/readings?page_size=100",
                "host": ["x", "test"],
                "path": ["readings"],
                "query": [
                    {"key": "page_size", "value": "100"},
                    {"key": "vehicle_id", "value": "", "disabled": true, "description": "Only this unit's readings"}
                ]
            }
        }
    }]);
    let model = extract_postman(&collection(items), "fleet.json").unwrap();
    let readings = endpoint(&model, "/readings");
    assert_eq!(readings.primary_key, ["vehicle_id", "ts"]);
    let sent: Vec<(&str, &str)> = readings
        .headers
        .iter()
        .chain(&model.headers)
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    assert!(sent.contains(&("Api-Version", "2024-05-01")), "{sent:?}");
    assert!(!sent.iter().any(|(n, _)| *n == "Accept"), "{sent:?}");
}

#[test]
fn an_accept_naming_its_own_json_media_type_is_sent() {
    // A JSON:API collection: every request says `Accept: application/vnd.api+json` (the API
    // answers 406 to `application/json`); a plain `application/json` is routine and dropped.
    let request = |path: &str, accept: &str| {
        json!({"name": format!("List {path}"), "request": {"method": "GET",
            "header": [{"key": "Accept", "value": accept}],
            "url": {"raw": format!("https://api.example.com/v1/{path}"), "protocol": "https", "host": ["api", "example", "com"], "path": ["v1", path]}}})
    };
    let doc = json!({
        "info": {"name": "Clinic", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [request("patients", "application/vnd.api+json"), request("doctors", "application/json")]
    });
    let report = extract_postman_report(&doc, None, "clinic").unwrap();
    let model = extract_postman(&doc, "clinic.postman.json").unwrap();
    let paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths.len(), 2, "{paths:?} {:?}", report.skipped);
    let accept = |path: &str| -> Vec<String> {
        endpoint(&model, path)
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("accept"))
            .map(|h| h.value.clone())
            .collect()
    };
    assert_eq!(accept("/v1/patients"), ["application/vnd.api+json"]);
    assert!(accept("/v1/doctors").is_empty());
}
