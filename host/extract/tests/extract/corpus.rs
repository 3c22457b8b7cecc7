//! The real API descriptions in the shared corpus (read in place, never copied into the repo).
//! Skipped when the corpus folder is absent.

use crate::support::card;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use connector_agent_extract::{
    extract_openapi_file, extract_openapi_report, read_document, scorecard, Scorecard,
};
use connector_agent_model::{
    snake_ident, ApiModel, AuthScheme, CursorFormat, Endpoint, Incremental, PageSize, Pagination,
    ParentRef,
};

/// The corpus folder, when it is there.
fn corpus_dir() -> Option<PathBuf> {
    crate::support::corpus_with("openapi")
}

fn openapi_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("openapi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            )
        })
        .collect();
    files.sort();
    files
}

/// Per file: the least the extraction must find, checked by hand against each API's docs.
/// The counts sit a little under what is found today, so a small heuristic change does not
/// break the test but a regression does.
const MINIMUMS: &[(&str, Scorecard)] = &[
    ("adyen-management-v3.json", card(32, 28, 20, 32, 0, 28)),
    ("asana.yaml", card(64, 62, 56, 64, 0, 31)),
    ("basecamp.oas31.json", card(62, 54, 48, 0, 0, 6)),
    ("box-platform.json", card(55, 51, 44, 55, 1, 7)),
    ("discourse.openapi.yml", card(13, 11, 3, 9, 0, 2)),
    ("front-core-api.json", card(75, 73, 32, 75, 0, 46)),
    // Not 120: `/users/{username}/…` and `/organizations/{org}/…` take the account from
    // config rather than fanning out over every GitHub user or organization.
    ("github-rest-api.json", card(300, 220, 225, 95, 17, 90)),
    ("jira-cloud-platform-v3.json", card(100, 85, 38, 67, 1, 28)),
    // Incremental: creation-time filters are taken only for lists written once (a log with
    // no update time or status); Lago's, Stripe's and Twilio's other lists filter by
    // creation time and sync in full.
    ("lago.oas31.yaml", card(44, 14, 34, 44, 0, 18)),
    ("netlify.swagger2.yml", card(36, 32, 10, 2, 0, 21)),
    // Incremental: PagerDuty's `since` bounds a creation-date range, not a change cursor.
    ("pagerduty-rest.json", card(104, 93, 51, 104, 0, 53)),
    ("petstore-expanded.oas30.yaml", card(1, 1, 0, 0, 0, 0)),
    ("petstore.swagger2.yaml", card(2, 2, 0, 0, 0, 0)),
    ("sendgrid-v3.swagger2.yaml", card(69, 33, 33, 35, 0, 6)),
    // Keys: foreign keys such as `parent_user_id` are no longer taken for primary keys.
    ("slack-web-api.swagger2.json", card(22, 13, 14, 22, 0, 0)),
    ("spotify-web-api.yml", card(24, 17, 12, 23, 0, 5)),
    ("stripe-spec3.yaml", card(90, 90, 88, 90, 2, 21)),
    ("twilio-api-v2010.json", card(55, 36, 55, 55, 1, 54)),
    ("webhook-example.oas31.yaml", card(0, 0, 0, 0, 0, 0)),
    // Keys: report tables (`ReportID`) no longer take a lone foreign-style id as their key.
    ("xero-accounting.yaml", card(64, 38, 10, 64, 0, 28)),
];

/// Invariants every extracted model keeps, whatever the API.
fn check_invariants(name: &str, model: &ApiModel) {
    // What an edited model is held to (`endpoints --import`) holds for every extracted one.
    if let Err(e) = model.check() {
        panic!("{name}: {e}");
    }
    let tables: HashSet<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
    assert_eq!(
        tables.len(),
        model.endpoints.len(),
        "{name}: table names are not unique"
    );
    let fields: HashSet<&str> = model.config.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        fields.len(),
        model.config.len(),
        "{name}: config names are not unique"
    );
    assert_eq!(
        model.config.first().map(|f| f.name.as_str()),
        Some("base_url"),
        "{name}"
    );
    for field in &model.config {
        assert_eq!(
            field.name,
            snake_ident(&field.name),
            "{name}: config `{}`",
            field.name
        );
        assert!(
            !field.description.is_empty(),
            "{name}: config `{}` has no description",
            field.name
        );
    }
    for e in &model.endpoints {
        assert_eq!(
            e.table,
            snake_ident(&e.table),
            "{name}: table `{}`",
            e.table
        );
        assert_eq!(e.method, "GET");
        assert!(
            (0.0..=1.0).contains(&e.confidence),
            "{name}: {} confidence {}",
            e.table,
            e.confidence
        );
        assert!(!e.reason.is_empty());
        let columns: HashSet<&str> = e.columns.iter().map(|c| c.name.as_str()).collect();
        for key in &e.primary_key {
            assert!(
                columns.contains(key.as_str()),
                "{name}: {} key `{key}` is not a column",
                e.table
            );
        }
        if let Some(parent) = &e.parent {
            assert!(
                tables.contains(parent.table.as_str()),
                "{name}: {} parent `{}`",
                e.table,
                parent.table
            );
            assert!(
                e.path.contains(&format!("{{{}}}", parent.path_param)),
                "{name}: {}",
                e.path
            );
        }
        if let Some(inc) = &e.incremental {
            assert!(
                columns.contains(inc.cursor_field.as_str()),
                "{name}: {} cursor",
                e.table
            );
        }
        // Every placeholder is filled by the parent, its ancestors or a config field.
        for param in e
            .path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
        {
            let from_parent = e.parent.is_some();
            assert!(
                from_parent || fields.contains(param),
                "{name}: {} needs `{param}`",
                e.path
            );
        }
        // A query or header value `{x}` is a config field, or (for a query value) the
        // path's own parameter.
        for q in e.query.iter().chain(&e.headers) {
            if let Some(field) = q.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                assert!(
                    fields.contains(field) || e.path.contains(&q.value),
                    "{name}: {} query `{}`",
                    e.table,
                    q.name
                );
            }
        }
    }
}

#[test]
fn corpus_extracts() {
    let Some(dir) = corpus_dir() else { return };
    let files = openapi_files(&dir);
    assert_eq!(
        files.len(),
        MINIMUMS.len(),
        "corpus files changed: {files:?}"
    );
    let mut short = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let model = extract_openapi_file(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_invariants(&name, &model);
        let got = scorecard(&model);
        let (_, want) = MINIMUMS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no minimum for {name}"));
        let pairs = [
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
        ];
        for (what, got, want) in pairs {
            if got < want {
                short.push(format!("{name}: {what} {got} < {want}"));
            }
        }
    }
    assert!(short.is_empty(), "below the minimum:\n{}", short.join("\n"));
}

fn model_of(dir: &Path, file: &str) -> ApiModel {
    extract_openapi_file(&dir.join("openapi").join(file)).unwrap()
}

fn endpoint<'m>(model: &'m ApiModel, path: &str) -> &'m Endpoint {
    model
        .endpoints
        .iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("no endpoint {path}"))
}

#[test]
fn stripe_pages_with_starting_after_and_has_more() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "stripe-spec3.yaml");
    let customers = endpoint(&model, "/v1/customers");
    assert_eq!(
        (
            customers.record_path.as_slice(),
            customers.primary_key.as_slice()
        ),
        (&["data".to_string()][..], &["id".to_string()][..])
    );
    assert_eq!(
        customers.pagination,
        Pagination::Cursor {
            cursor_param: "starting_after".into(),
            cursor_from_record: Some("id".into()),
            cursor_path: None,
            has_more_path: Some(vec!["has_more".into()]),
            limit: Some(PageSize {
                param: "limit".into(),
                value: 100
            }),
        }
    );
    // `created[gte]` finds new customers, never a changed one: customers sync in full; the
    // events, a log written once, sync by it.
    assert_eq!(customers.incremental, None, "{}", customers.reason);
    assert!(
        customers.reason.contains("creation time"),
        "{}",
        customers.reason
    );
    assert_eq!(
        endpoint(&model, "/v1/events").incremental,
        Some(Incremental {
            param: "created[gte]".into(),
            cursor_field: "created".into(),
            format: CursorFormat::UnixSeconds,
            header: false,
        })
    );
    let cursors = model
        .endpoints
        .iter()
        .filter(|e| matches!(e.pagination, Pagination::Cursor { .. }))
        .count();
    assert!(
        model.endpoints.len() >= 50 && cursors * 10 >= model.endpoints.len() * 9,
        "{cursors}"
    );
    let invoices = endpoint(&model, "/v1/customers/{customer}/balance_transactions");
    assert_eq!(
        invoices.parent,
        Some(ParentRef {
            table: "customers".into(),
            path_param: "customer".into(),
            parent_key: "id".into(),
            column: "customer_id".into()
        })
    );
    assert!(!model.endpoints.iter().any(|e| e.path.contains("/search")));
    assert!(matches!(model.auth[0], AuthScheme::Bearer { .. }));
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://api.stripe.com")
    );
}

#[test]
fn github_pages_with_per_page_and_the_link_header() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "github-rest-api.json");
    let issues = endpoint(&model, "/repos/{owner}/{repo}/issues");
    assert!(issues.record_path.is_empty());
    assert_eq!(
        issues.pagination,
        Pagination::LinkHeader {
            limit: Some(PageSize {
                param: "per_page".into(),
                value: 100
            })
        }
    );
    assert_eq!(
        issues.incremental,
        Some(Incremental {
            param: "since".into(),
            cursor_field: "updated_at".into(),
            format: CursorFormat::Rfc3339,
            header: false,
        })
    );
    // `owner` and `repo` come from config; the reason says so.
    assert!(model.config.iter().any(|f| f.name == "owner" && f.required));
    assert!(
        issues.reason.contains("`owner`, `repo`"),
        "{}",
        issues.reason
    );
    // `/users` lists every GitHub user: a user's repos are those of the user in config.
    let repos = endpoint(&model, "/users/{username}/repos");
    assert_eq!(repos.parent, None);
    let username = model.config.iter().find(|f| f.name == "username");
    assert!(
        username.is_some_and(|f| f.required && f.description.contains("the account to sync")),
        "{username:?}"
    );
    assert!(repos.reason.contains("every account"), "{}", repos.reason);
    let usage = endpoint(&model, "/organizations/{org}/settings/billing/usage");
    assert_eq!(usage.parent, None);
    // A user's projects still fan out to their fields.
    let fields = endpoint(
        &model,
        "/users/{username}/projectsV2/{project_number}/fields",
    );
    assert_eq!(
        fields.parent.as_ref().map(|p| p.table.as_str()),
        Some("user_projects_v2")
    );
    let runs = endpoint(
        &model,
        "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    );
    assert_eq!(runs.record_path, ["workflow_runs"]);
    let members = endpoint(&model, "/orgs/{org}/teams/{team_slug}/members");
    assert_eq!(
        members.parent.as_ref().map(|p| p.parent_key.as_str()),
        Some("slug")
    );
}

#[test]
fn slack_pages_with_cursor_and_response_metadata() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "slack-web-api.swagger2.json");
    assert_eq!(model.servers, ["https://slack.com/api"]);
    let conversations = endpoint(&model, "/conversations.list");
    assert_eq!(conversations.table, "conversations");
    assert_eq!(conversations.record_path, ["channels"]);
    assert_eq!(conversations.primary_key, ["id"]);
    match &conversations.pagination {
        Pagination::Cursor {
            cursor_param,
            cursor_path,
            cursor_from_record,
            ..
        } => {
            assert_eq!(cursor_param, "cursor");
            assert_eq!(
                cursor_path.as_deref(),
                Some(&["response_metadata".to_string(), "next_cursor".to_string()][..])
            );
            assert_eq!(cursor_from_record, &None);
        }
        other => panic!("{other:?}"),
    }
    match &model.auth[..] {
        [AuthScheme::OAuth2 {
            token_url, scopes, ..
        }] => {
            assert_eq!(
                token_url.as_deref(),
                Some("https://slack.com/api/oauth.access")
            );
            assert!(scopes.iter().any(|s| s == "channels:read"), "{scopes:?}");
            assert!(
                !scopes.iter().any(|s| s == "chat:write"),
                "only what the lists need: {scopes:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!endpoint(&model, "/users.list")
        .query
        .iter()
        .any(|q| q.name == "token"));
}

#[test]
fn twilio_follows_next_page_uri() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "twilio-api-v2010.json");
    let calls = endpoint(&model, "/2010-04-01/Accounts/{AccountSid}/Calls.json");
    assert_eq!(
        (calls.table.as_str(), calls.record_path.as_slice()),
        ("calls", &["calls".to_string()][..])
    );
    // A child's key leads with its parent's column: rows of two accounts never collide.
    assert_eq!(calls.primary_key, ["account_sid", "sid"]);
    assert_eq!(
        calls.pagination,
        Pagination::NextUrl {
            next_url_path: vec!["next_page_uri".into()],
            limit: Some(PageSize {
                param: "PageSize".into(),
                value: 1000
            }),
        }
    );
    assert_eq!(
        calls.parent,
        Some(ParentRef {
            table: "accounts".into(),
            path_param: "AccountSid".into(),
            parent_key: "sid".into(),
            column: "account_sid".into()
        })
    );
    assert!(matches!(model.auth[..], [AuthScheme::Basic { .. }]));
}

#[test]
fn asana_pages_with_an_offset_token() {
    let Some(dir) = corpus_dir() else { return };
    let model = model_of(&dir, "asana.yaml");
    let tasks = endpoint(&model, "/projects/{project_gid}/tasks");
    // Asana's `/users` and `/workspaces` are what the credentials can see: still parents.
    assert_eq!(
        tasks.parent.as_ref().map(|p| p.table.as_str()),
        Some("projects")
    );
    let favorites = endpoint(&model, "/users/{user_gid}/favorites");
    assert_eq!(
        favorites.parent.as_ref().map(|p| p.table.as_str()),
        Some("users")
    );
    assert_eq!(
        (tasks.record_path.as_slice(), tasks.primary_key.as_slice()),
        (
            &["data".to_string()][..],
            &["project_gid".to_string(), "gid".to_string()][..]
        )
    );
    assert_eq!(
        tasks.pagination,
        Pagination::Cursor {
            cursor_param: "offset".into(),
            cursor_from_record: None,
            cursor_path: Some(vec!["next_page".into(), "offset".into()]),
            has_more_path: None,
            limit: Some(PageSize {
                param: "limit".into(),
                value: 100
            }),
        }
    );
    assert_eq!(
        tasks
            .parent
            .as_ref()
            .map(|p| (p.table.as_str(), p.column.as_str())),
        Some(("projects", "project_gid"))
    );
    let token = model.config.iter().find(|f| f.name == "token").unwrap();
    assert!(token.secret && token.required && token.description.contains("personal access token"));
}

#[test]
fn every_corpus_file_reads_and_the_typed_reader_never_decides() {
    let Some(dir) = corpus_dir() else { return };
    // Spotify's spec has `required: true` inside a schema: the typed 3.0 reader rejects it,
    // which is a warning, not a failure.
    let doc = read_document(&dir.join("openapi/spotify-web-api.yml")).unwrap();
    let report = extract_openapi_report(&doc, "spotify-web-api.yml").unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("typed OpenAPI 3.0 reader")),
        "{:?}",
        report.warnings
    );
    assert!(report.model.endpoints.len() > 20);
}

/// With `CONNECTOR_AGENT_DUMP=<folder>`, writes each corpus model as JSON, the skipped
/// operations with reasons, and a scorecard summary there, for review by eye.
#[test]
fn corpus_dump() {
    let Some(dir) = corpus_dir() else { return };
    let Some(out) = std::env::var_os("CONNECTOR_AGENT_DUMP") else {
        return;
    };
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();
    let mut lines = Vec::new();
    for file in openapi_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let start = Instant::now();
        let doc = read_document(&file).unwrap();
        let read = start.elapsed();
        let report = extract_openapi_report(&doc, &name).unwrap();
        let total = start.elapsed();
        lines.push(format!(
            "{name}: {:?} read {read:?} total {total:?}",
            scorecard(&report.model)
        ));
        let json = serde_json::to_string_pretty(&report.model).unwrap();
        std::fs::write(out.join(format!("{name}.model.json")), json).unwrap();
        let mut skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|s| format!("{} {} — {}", s.method, s.path, s.reason))
            .collect();
        skipped.extend(report.warnings.iter().map(|w| format!("warning: {w}")));
        std::fs::write(out.join(format!("{name}.skipped.txt")), skipped.join("\n")).unwrap();
    }
    std::fs::write(out.join("summary.txt"), lines.join("\n")).unwrap();
}
