//! Prose documentation: Markdown folders, HTML pages and PDFs. The real documents are read
//! in place from the shared corpus (skipped when it is absent); small inline documents pin
//! each rule; hostile inputs must give an error or an empty model, never a panic, in
//! bounded time.

use crate::support::{card, endpoint};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connector_agent_extract::{
    extract_markdown_dir, extract_pdf_file, extract_prose, pdf_text, scorecard, ProseKind,
    ProsePage, Scorecard,
};
use connector_agent_model::{ApiModel, AuthScheme, ColumnType, EndSignal, PageSize, Pagination};

/// The corpus `docs` folder.
fn docs_dir() -> Option<PathBuf> {
    crate::support::corpus_with("docs").map(|dir| dir.join("docs"))
}

fn at_least(found: Scorecard, floor: Scorecard, what: &str) {
    let pairs = [
        ("lists", found.lists, floor.lists),
        ("with_key", found.with_key, floor.with_key),
        ("with_paginator", found.with_paginator, floor.with_paginator),
        (
            "with_record_path",
            found.with_record_path,
            floor.with_record_path,
        ),
        (
            "with_incremental",
            found.with_incremental,
            floor.with_incremental,
        ),
        ("with_parent", found.with_parent, floor.with_parent),
    ];
    for (name, got, want) in pairs {
        assert!(
            got >= want,
            "{what}: {name} is {got}, floor {want} ({found:?})"
        );
    }
}

/// Every endpoint says where its evidence is and stays in the prose confidence band.
fn check_reasons(model: &ApiModel, marker: &str) {
    for e in &model.endpoints {
        assert!(
            e.reason.starts_with("prose: documented as `GET ") && e.reason.contains(marker),
            "{}: {}",
            e.path,
            e.reason
        );
        assert!(
            (0.3..=0.7).contains(&e.confidence),
            "{}: confidence {}",
            e.path,
            e.confidence
        );
        assert_eq!(e.method, "GET");
    }
}

// ---------------------------------------------------------------------------------------
// The real documents

/// Floors read off the documents by hand: Basecamp's sections document about 50 list
/// endpoints (`GET /…json` bullets, each with a JSON array example), pages with the `Link`
/// header (README "Pagination") and authenticates with OAuth 2.0 (launchpad URLs).
#[test]
fn basecamp_markdown_lists_with_link_header_paging() {
    let Some(docs) = docs_dir() else { return };
    let model = extract_markdown_dir(&docs.join("markdown/basecamp-bc3-api")).unwrap();
    at_least(scorecard(&model), card(44, 42, 44, 0, 0, 5), "basecamp");
    check_reasons(&model, ".md:");
    assert_eq!(model.servers, ["https://3.basecampapi.com/999999999"]);
    for e in &model.endpoints {
        assert_eq!(
            e.pagination,
            Pagination::LinkHeader { limit: None },
            "{}",
            e.path
        );
    }
    for path in [
        "/projects.json",
        "/people.json",
        "/todosets/{todoset_id}/todolists.json",
        "/todolists/{todolist_id}/todos.json",
        "/recordings/{recording_id}/comments.json",
    ] {
        let e = endpoint(&model, path);
        assert_eq!(e.primary_key, ["id"], "{path}");
        assert!(e.record_path.is_empty(), "{path}: a top-level array");
        assert!(e.columns.len() > 5, "{path}");
    }
    // No example of its own: shaped like `/people.json`'s.
    let project_people = endpoint(&model, "/projects/{project_id}/people.json");
    assert_eq!(project_people.primary_key, ["project_id", "id"]);
    assert_eq!(
        endpoint(&model, "/chats/{chat_id}/lines.json")
            .parent
            .as_ref()
            .unwrap()
            .table,
        "chats"
    );
    // `type` is required by the recordings index.
    let recordings = endpoint(&model, "/projects/recordings.json");
    assert!(recordings.query.iter().any(|q| q.name == "type"));
    // Single resources (`/todolists/2.json`) are not lists.
    assert!(model
        .endpoints
        .iter()
        .all(|e| e.path != "/todolists/{todolist_id}.json"));
    let oauth = model.auth.iter().find_map(|a| match a {
        AuthScheme::OAuth2 {
            authorization_url,
            token_url,
            ..
        } => Some((authorization_url.clone(), token_url.clone())),
        _ => None,
    });
    assert_eq!(
        oauth,
        Some((
            Some("https://launchpad.37signals.com/authorization/new".into()),
            Some("https://launchpad.37signals.com/authorization/token".into())
        ))
    );
    assert!(matches!(model.auth[0], AuthScheme::Bearer { .. }));
}

/// Toggl v8: `GET https://api.track.toggl.com/api/v8/…` lines with JSON arrays after them,
/// basic auth with the API token as user name, and the Reports API's `page` parameter.
#[test]
fn toggl_markdown_full_urls_and_basic_auth() {
    let Some(docs) = docs_dir() else { return };
    let model = extract_markdown_dir(&docs.join("markdown/toggl-api-v8")).unwrap();
    at_least(scorecard(&model), card(16, 15, 1, 2, 1, 8), "toggl");
    check_reasons(&model, ".md:");
    assert_eq!(model.servers, ["https://api.track.toggl.com"]);
    assert!(matches!(model.auth.as_slice(), [AuthScheme::Basic { .. }]));
    let username = model.config.iter().find(|c| c.name == "username").unwrap();
    assert!(
        username.description.contains("API token"),
        "{}",
        username.description
    );
    for path in [
        "/api/v8/workspaces",
        "/api/v8/clients",
        "/api/v8/time_entries",
    ] {
        assert_eq!(endpoint(&model, path).primary_key, ["id"], "{path}");
    }
    let users = endpoint(&model, "/api/v8/workspaces/{workspace_id}/users");
    assert_eq!(users.primary_key, ["workspace_id", "id"]);
    let projects = endpoint(&model, "/api/v8/workspaces/{workspace_id}/projects");
    let parent = projects.parent.as_ref().unwrap();
    assert_eq!(
        (parent.table.as_str(), parent.parent_key.as_str()),
        ("workspaces", "id")
    );
    let details = endpoint(&model, "/reports/api/v2/details");
    assert_eq!(details.record_path, ["data"]);
    assert!(matches!(
        &details.pagination,
        Pagination::PageNumber { page_param, start: 1, .. } if page_param == "page"
    ));
    assert!(details.query.iter().any(|q| q.name == "workspace_id"));
}

/// Accelo (Slate): `GET /api/v0/companies HTTP/1.1` request blocks and `GET /companies` lines
/// are one endpoint; records sit in the `response` envelope; `_page`/`_limit` paging from
/// the "Configuring Responses" page (default 0, max 100); OAuth 2.0 under the deployment.
#[test]
fn accelo_markdown_slate_sections() {
    let Some(docs) = docs_dir() else { return };
    let model = extract_markdown_dir(&docs.join("markdown/accelo-api")).unwrap();
    at_least(scorecard(&model), card(140, 70, 140, 140, 0, 40), "accelo");
    check_reasons(&model, ".md:");
    assert_eq!(model.servers, ["https://{deployment}.api.accelo.com"]);
    let base = model.config.iter().find(|c| c.name == "base_url").unwrap();
    assert_eq!(base.default, None, "a placeholder is no default");
    let companies = endpoint(&model, "/api/v0/companies");
    assert_eq!(companies.record_path, ["response"]);
    assert_eq!(companies.primary_key, ["id"]);
    assert!(companies.columns.iter().any(|c| c.name == "date_modified"));
    assert_eq!(
        companies.pagination,
        Pagination::PageNumber {
            page_param: "_page".into(),
            start: 0,
            limit: Some(PageSize {
                param: "_limit".into(),
                value: 100
            }),
            end: None,
        }
    );
    assert!(model.endpoints.iter().all(|e| e.path != "/companies"));
    assert!(model.endpoints.iter().all(|e| !e.path.ends_with("/count")));
    assert!(model.auth.iter().any(|a| matches!(
        a,
        AuthScheme::OAuth2 { authorization_url: Some(a), token_url: Some(t), .. }
            if a.ends_with("/oauth2/v0/authorize") && t.ends_with("/oauth2/v0/token")
    )));
    assert!(
        !model
            .auth
            .iter()
            .any(|a| matches!(a, AuthScheme::Basic { .. })),
        "basic auth is only for the token request"
    );
}

/// Per PDF: the least found, checked by hand. Files not listed must still extract.
const PDF_FLOORS: &[(&str, Scorecard)] =
    &[("teamviewer-api-documentation.pdf", card(4, 3, 0, 3, 0, 0))];

#[test]
fn pdf_corpus_extracts_in_bounded_time() {
    let Some(docs) = docs_dir() else { return };
    let Ok(entries) = std::fs::read_dir(docs.join("pdf")) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    for file in files {
        let started = Instant::now();
        let model = extract_pdf_file(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}: {:?}",
            file.display(),
            started.elapsed()
        );
        check_reasons(&model, " p. ");
        let name = file.file_name().unwrap().to_string_lossy();
        if let Some((_, floor)) = PDF_FLOORS.iter().find(|(n, _)| *n == name) {
            at_least(scorecard(&model), *floor, &name);
        }
    }
}

/// TeamViewer's PDF: REST + JSON, `GET /api/v1/…` lines, examples broken over pages (the
/// running header and footer are dropped), OAuth 2.0 with relative endpoint paths.
#[test]
fn teamviewer_pdf_endpoints_and_auth() {
    let Some(docs) = docs_dir() else { return };
    let file = docs.join("pdf/teamviewer-api-documentation.pdf");
    if !file.is_file() {
        return;
    }
    let text = pdf_text(&file).unwrap();
    assert!(text
        .lines()
        .any(|l| l == "GET /api/v1/users?online=true&full_list=true"));
    assert_eq!(text.matches('\x0c').count(), 39, "40 pages");
    let model = extract_pdf_file(&file).unwrap();
    assert_eq!(model.servers, ["https://webapi.teamviewer.com"]);
    let users = endpoint(&model, "/api/v1/users");
    assert_eq!(
        (users.record_path.as_slice(), users.primary_key.as_slice()),
        (&["users".to_string()][..], &["id".to_string()][..])
    );
    let groups = endpoint(&model, "/api/v1/groups");
    assert_eq!(groups.record_path, ["groups"]);
    assert!(model.auth.iter().any(|a| matches!(
        a,
        AuthScheme::OAuth2 { token_url: Some(t), .. }
            if t == "https://webapi.teamviewer.com/api/v1/oauth2/token"
    )));
    // A parameter of a POST request is not a filter of the GET lists.
    assert!(model.config.iter().all(|c| c.name != "groupname"));
}

/// LibreOffice, when installed. CI installs it and sets `CONNECTOR_AGENT_REQUIRE_OFFICE`, so
/// there the PDF round trips cannot be skipped.
fn office() -> Option<&'static str> {
    let found = ["soffice", "libreoffice"].into_iter().find(|bin| {
        std::process::Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() && std::env::var_os("CONNECTOR_AGENT_REQUIRE_OFFICE").is_some() {
        panic!("CONNECTOR_AGENT_REQUIRE_OFFICE is set but LibreOffice (soffice) is not installed");
    }
    found
}

/// Prints HTML to PDF with LibreOffice headless.
fn print_pdf(office: &str, dir: &Path, name: &str, html: &str) -> PathBuf {
    let input = dir.join(format!("{name}.html"));
    std::fs::write(&input, html).unwrap();
    let out = std::process::Command::new(office)
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    dir.join(format!("{name}.pdf"))
}

/// PDFs printed from the corpus's Markdown docs (as a vendor's "download as PDF" would be)
/// keep the endpoints the Markdown shows.
#[test]
fn pdfs_printed_from_the_markdown_corpus_keep_their_endpoints() {
    let Some(docs) = docs_dir() else { return };
    let Some(office) = office() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "toggl",
            "markdown/toggl-api-v8/chapters/workspaces.md",
            "/api/v8/workspaces",
        ),
        (
            "basecamp",
            "markdown/basecamp-bc3-api/sections/projects.md",
            "/projects.json",
        ),
    ];
    for (name, file, path) in cases {
        let markdown = std::fs::read_to_string(docs.join(file)).unwrap();
        let mut html = String::from("<html><body>");
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&markdown));
        html.push_str("</body></html>");
        let pdf = print_pdf(office, dir.path(), name, &html);
        let model = extract_pdf_file(&pdf).unwrap();
        let paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
        assert!(
            paths.iter().any(|p| p.ends_with(path)),
            "{name}: `{path}` not in {paths:?}"
        );
    }
}

/// A PDF made from Markdown-like HTML by LibreOffice, when LibreOffice is installed.
#[test]
fn libreoffice_pdf_round_trip() {
    let Some(office) = office() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pdf = print_pdf(office, dir.path(), "widgets", WIDGETS_HTML);
    let model = extract_pdf_file(&pdf).unwrap();
    assert_eq!(endpoint(&model, "/v1/widgets").primary_key, ["id"]);
}

// ---------------------------------------------------------------------------------------
// Rules on small documents

/// A site with one page per operation, where only another operation's `curl` line shows a
/// full URL (`…/v1/messages/msg_123/cancel`): the base is the host, the version the examples
/// start with joins the relative `GET /messages`, and never the operation's own path.
#[test]
fn the_version_of_request_examples_joins_relative_paths() {
    let cancel = "# Cancel a scheduled message\n\n```bash\ncurl -X POST https://api.acme.test/v1/messages/msg_123/cancel \\\n  -H \"Authorization: Bearer $TOKEN\"\n```\n";
    let list = "# Retrieve scheduled messages\n\n`GET /messages`\n\nReturns the scheduled messages.\n\n```json\n{\"messages\": [{\"id\": \"msg_1\", \"body\": \"hi\"}], \"next_cursor\": \"abc\"}\n```\n";
    let model = extract_prose(
        &[
            page("cancel.md", ProseKind::Markdown, cancel),
            page("list.md", ProseKind::Markdown, list),
        ],
        "Acme",
    )
    .unwrap();
    assert_eq!(model.servers, ["https://api.acme.test"]);
    let paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/v1/messages"]);
}

/// API keys the words show or name become the scheme the host applies: a header written out
/// with its own scheme word or none, a key header, a query parameter; bearer and basic stay
/// what they are.
#[test]
fn api_keys_shown_or_named_in_prose_are_applied() {
    use connector_agent_model::{ApiKeyLocation, AuthScheme};
    let doc = |auth: &str| {
        format!("# Widgets API\n\nBase URL: `https://api.widgets.test/v2`\n\n## Authentication\n\n{auth}\n\n## List widgets\n\n`GET /widgets`\n\n```json\n[{{\"id\": 1}}]\n```\n")
    };
    let key = |location, param: &str, prefix: Option<&str>| AuthScheme::ApiKey {
        location,
        param: param.into(),
        prefix: prefix.map(str::to_string),
        key_field: "api_key".into(),
    };
    let cases = [
        (
            "Send `Authorization: Token YOUR_API_KEY`.",
            key(ApiKeyLocation::Header, "Authorization", Some("Token ")),
        ),
        (
            "Send `Authorization: ApiKey <your key>`.",
            key(ApiKeyLocation::Header, "Authorization", Some("ApiKey ")),
        ),
        (
            "Send the key alone: `Authorization: <api_key>`.",
            key(ApiKeyLocation::Header, "Authorization", None),
        ),
        (
            "Pass your key in the `X-Api-Key` header.",
            key(ApiKeyLocation::Header, "X-Api-Key", None),
        ),
        (
            "Every request carries `X-Widget-Token: <token>`.",
            key(ApiKeyLocation::Header, "X-Widget-Token", None),
        ),
        (
            "Pass your key in the `api_key` query parameter.",
            key(ApiKeyLocation::Query, "api_key", None),
        ),
    ];
    for (auth, want) in cases {
        let model = extract_prose(
            &[page("api.md", ProseKind::Markdown, &doc(auth))],
            "Widgets",
        )
        .unwrap();
        assert_eq!(model.auth, [want], "{auth}");
    }
    let model = extract_prose(
        &[page(
            "api.md",
            ProseKind::Markdown,
            &doc("Send `Authorization: Bearer <token>`."),
        )],
        "Widgets",
    )
    .unwrap();
    assert!(
        matches!(model.auth[..], [AuthScheme::Bearer { .. }]),
        "{:?}",
        model.auth
    );
}

/// Paging parameters named in a sentence of the operation's section, a full URL in a
/// heading, a `:uid` placeholder and a `uid` key.
#[test]
fn paging_named_in_a_sentence_and_colon_placeholders() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/extract/data/blog.md"
    ))
    .unwrap();
    let model = extract_prose(&[page("blog.md", ProseKind::Markdown, &text)], "Blog").unwrap();
    let users = endpoint(&model, "/v3/users");
    assert_eq!(users.primary_key, ["uid"]);
    assert_eq!(users.record_path, ["data", "items"]);
    match &users.pagination {
        Pagination::PageNumber {
            page_param,
            start,
            limit,
            ..
        } => {
            assert_eq!((page_param.as_str(), *start), ("page", 1));
            assert_eq!(
                limit.as_ref().map(|l| (l.param.as_str(), l.value)),
                Some(("per_page", 50))
            );
        }
        other => panic!("{other:?}"),
    }
    let posts = endpoint(&model, "/v3/users/{uid}/posts");
    assert_eq!(
        posts.parent.as_ref().map(|p| p.parent_key.as_str()),
        Some("uid")
    );
    assert_eq!(
        posts.incremental.as_ref().map(|i| i.param.as_str()),
        Some("since")
    );
}

/// What must not become an API key or a version prefix: a paging token's parameter, a
/// sentence ending in "API key:", a non-ASCII label before a colon (no panic); an unversioned
/// request example vetoes the version of the others, and a path with its own version keeps it.
#[test]
fn keys_and_versions_are_not_taken_from_look_alikes() {
    let doc = |auth: &str| {
        format!("# Widgets API\n\nBase URL: `https://api.widgets.test`\n\n{auth}\n\n## List widgets\n\n`GET /widgets`\n\n```json\n[{{\"id\": 1}}]\n```\n")
    };
    for auth in [
        "Pass the `page_token` query parameter to get the next page.",
        "Your API key: YOUR_API_KEY is shown in the dashboard.",
        "Größe: <key> — Résumé: `X-Api-Key: <key>` ﬁle: x",
    ] {
        let model = extract_prose(&[page("api.md", ProseKind::Markdown, &doc(auth))], "W").unwrap();
        assert!(
            !model.auth.iter().any(|a| matches!(a, AuthScheme::ApiKey { param, .. } if param == "page_token" || param == "key")),
            "{auth}: {:?}",
            model.auth
        );
    }
    let text = "# A\n\n```bash\ncurl https://api.acme.test/v1/messages/1/cancel\n```\n\n```bash\ncurl https://api.acme.test/status\n```\n\n## List\n\n`GET /messages`\n\n```json\n[{\"id\": 1}]\n```\n\n## Orders\n\n`GET /v2/orders`\n\n```json\n[{\"id\": 1}]\n```\n";
    let model = extract_prose(&[page("a.md", ProseKind::Markdown, text)], "A").unwrap();
    let mut paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        ["/messages", "/v2/orders"],
        "an unversioned example vetoes `/v1`"
    );
}

fn page(source: &str, kind: ProseKind, text: &str) -> ProsePage {
    ProsePage {
        source: source.into(),
        text: text.into(),
        kind,
    }
}

const WIDGETS_HTML: &str = r#"<html><head><title>Widgets</title>
<script>fetch("GET /api/evil")</script><style>p { color: red }</style></head>
<body><h1>Widgets API</h1><p>All URLs start with <code>https://api.example.com</code>.</p>
<h2>List widgets</h2><p><code>GET /v1/widgets</code> returns a list of widgets.</p>
<table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td>offset</td><td>integer</td><td>Records to skip.</td></tr>
<tr><td>limit</td><td>integer</td><td>Page size, max 500.</td></tr></table>
<pre><code class="language-json">[
  {"id": 1, "name": "a &lt;b&gt;", "updated_at": "2024-01-01T00:00:00Z"}
]</code></pre>
<script>document.write("GET /v1/secret")</script>
<p>Authenticate with <code>-H "Authorization: Bearer $TOKEN"</code>.</p>
</body></html>"#;

#[test]
fn a_heading_that_is_a_method_and_a_path_opens_that_endpoint() {
    // `### GET /pets` and openapi-to-md's `### [GET]/dogs`; a schema's `### Properties`
    // table (widdershins) lists record fields, not query parameters of any endpoint.
    let text = r#"# Pets API

Base URL: https://api.example.com/v1

### GET /pets

```json
[{"id": 1, "name": "a"}]
```

### [GET]/dogs

| Name | In | Type | Required | Description |
|---|---|---|---|---|
| breed | query | string | true | Only dogs of this breed |
| dog_id | path | string | true | Not a query parameter |

```json
[{"id": 1, "name": "a"}]
```

## Pet

### Properties

| Name | Type | Required | Restrictions | Description |
|---|---|---|---|---|
| colour | string | true | none | Not a parameter |
"#;
    let model = extract_prose(&[page("pets.md", ProseKind::Markdown, text)], "Pets").unwrap();
    let paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    for path in ["/v1/pets", "/v1/dogs"] {
        let e = endpoint(&model, path);
        assert_eq!(e.primary_key, ["id"], "{path}");
        let names: Vec<&str> = e.query.iter().map(|q| q.name.as_str()).collect();
        assert!(
            !names.contains(&"colour") && !names.contains(&"dog_id"),
            "{path}: {names:?}"
        );
    }
    let dogs = endpoint(&model, "/v1/dogs");
    assert!(
        dogs.query.iter().any(|q| q.name == "breed"),
        "{:?}",
        dogs.query
    );
}

#[test]
fn a_response_schema_documented_elsewhere_gives_the_fields_their_descriptions() {
    // widdershins: the operation's table of responses names the schema; the Schemas section
    // documents it, and the record schema it links to, in Properties tables. The record's
    // key is named only there ("Unique identifier of the add-on").
    let text = r#"# Add-ons

Base URL: https://api.example.com/v1

## findAllAddOns

`GET /add_ons`

> 200 Response

```json
{"add_ons": [{"lago_id": "1a90", "code": "sms", "lago_plan_id": "9f"}], "meta": {"total_count": 1}}
```

### Responses

|Status|Meaning|Description|Schema|
|---|---|---|---|
|200|[OK](https://tools.ietf.org/html/rfc7231#section-6.3.1)|Add-ons|[AddOnsPaginated](#schemaaddonspaginated)|
|401|[Unauthorized](https://tools.ietf.org/html/rfc7235#section-3.1)|Unauthorized|[ApiError](#schemaapierror)|

# Schemas

## AddOnsPaginated

### Properties

|Name|Type|Required|Restrictions|Description|
|---|---|---|---|---|
|add_ons|[[AddOnObject](#schemaaddonobject)]|true|none|none|

## AddOnObject

### Properties

|Name|Type|Required|Restrictions|Description|
|---|---|---|---|---|
|lago_id|string(uuid)|true|none|Unique identifier of the add-on, created by Lago.|
|lago_plan_id|string(uuid)|true|none|Unique identifier of the plan it belongs to.|
|code|string|true|none|Code of the add-on|
"#;
    let model = extract_prose(&[page("addons.md", ProseKind::Markdown, text)], "Lago").unwrap();
    let add_ons = endpoint(&model, "/v1/add_ons");
    assert_eq!(add_ons.record_path, ["add_ons"]);
    assert_eq!(add_ons.primary_key, ["lago_id"], "{}", add_ons.reason);
    let lago_id = add_ons
        .columns
        .iter()
        .find(|c| c.name == "lago_id")
        .unwrap();
    assert!(lago_id.description.contains("add-on"), "{lago_id:?}");
    // Schema fields are not query parameters.
    assert!(
        add_ons.query.iter().all(|q| q.name != "code"),
        "{:?}",
        add_ons.query
    );
}

#[test]
fn type_blocks_are_read_as_the_schemas_they_print() {
    // openapi-to-md's layout: parameters and responses as TypeScript-like type blocks, a
    // References section of named types, and an index of components that is not a table
    // of parameters. Traps: the request body's members, an error response's block, a
    // `POST`'s query parameters, a response named only in References.
    let text = r#"# Shop API

Base URL: https://api.shop.test/v2

## Reference Table

| Name | Path | Description |
| --- | --- | --- |
| page | [#/components/parameters/page](#componentsparameterspage) | Page number. |
| per_page | [#/components/parameters/per_page](#componentsparametersper_page) | Page size. |

## Path Details

### [GET]/orders

- Summary  
List orders

#### Parameters(Query)

```typescript
after?: string
```

```typescript
updated_since?: string
```

#### Responses

- 200 Orders

`application/json`

```typescript
{
  orders: {
    // Unique identifier of the order.
    order_number: string
    status: enum[open, paid] | null
    updated_at: string
    lines: #/components/schemas/Line[]
  }[]
  paging: {
    // Cursor of the next page, if any.
    next_cursor?: string | null
  }
}
```

- 422 Unprocessable

`application/json`

```typescript
{
  errors: {
    field_name: string
  }[]
}
```

***

### [POST]/orders

#### Parameters(Query)

```typescript
dry_run?: boolean
```

#### RequestBody

- application/json

```typescript
{
  customer_ref: string
}
```

***

### [GET]/refunds

- Summary  
List refunds

- Description  
List the credit refunds of the shop.

#### Responses

- 200 undefined

## References

### #/components/schemas/Line

```typescript
{
  sku: string
}
```

### #/components/responses/listOfCreditRefunds

- application/json

```typescript
{
  refunds: {
    // Unique identifier of the refund
    id: string
  }[]
}
```
"#;
    let model = extract_prose(&[page("shop.md", ProseKind::Markdown, text)], "Shop").unwrap();
    let orders = endpoint(&model, "/v2/orders");
    assert_eq!(orders.record_path, ["orders"], "{}", orders.reason);
    assert_eq!(orders.primary_key, ["order_number"], "{}", orders.reason);
    let names: Vec<&str> = orders.query.iter().map(|q| q.name.as_str()).collect();
    for absent in ["page", "dry_run", "customer_ref", "field_name"] {
        assert!(!names.contains(&absent), "{absent}: {names:?}");
    }
    assert!(
        orders.columns.iter().all(|c| c.name != "field_name"),
        "the error body is not the records: {:?}",
        orders.columns
    );
    assert!(
        matches!(&orders.pagination, Pagination::Cursor { cursor_param, .. } if cursor_param == "after"),
        "{:?}: {}",
        orders.pagination,
        orders.reason
    );
    assert!(
        orders.reason.contains("response type at shop.md:"),
        "{}",
        orders.reason
    );
    // A section that shows no response takes the one named for its records in References.
    let refunds = endpoint(&model, "/v2/refunds");
    assert_eq!(refunds.record_path, ["refunds"], "{}", refunds.reason);
    assert_eq!(refunds.primary_key, ["id"]);
    // The index of components gave no endpoint its paging.
    assert_eq!(refunds.pagination, Pagination::None, "{}", refunds.reason);
    assert!(
        refunds.reason.contains("listOfCreditRefunds"),
        "{}",
        refunds.reason
    );
}

#[test]
fn html_pages_keep_code_blocks_and_drop_scripts() {
    let model = extract_prose(
        &[page("widgets.html", ProseKind::Html, WIDGETS_HTML)],
        "Widgets",
    )
    .unwrap();
    assert_eq!(model.endpoints.len(), 1, "{:#?}", model.endpoints);
    let widgets = endpoint(&model, "/v1/widgets");
    assert_eq!(widgets.primary_key, ["id"]);
    assert_eq!(
        widgets.pagination,
        Pagination::Offset {
            offset_param: "offset".into(),
            limit: PageSize {
                param: "limit".into(),
                value: 500
            },
            end: None,
        }
    );
    assert!(
        widgets.reason.contains("widgets.html"),
        "{}",
        widgets.reason
    );
    assert_eq!(model.servers, ["https://api.example.com"]);
    assert!(matches!(model.auth.as_slice(), [AuthScheme::Bearer { .. }]));
}

#[test]
fn markdown_rules() {
    let text = r#"# Shop API

The base URL is `https://shop.example.com/api/v2`.

Authenticate with an API key: `curl -H "X-Api-Key: KEY" https://shop.example.com/api/v2/orders`.

## Orders

### List orders

`GET /orders`

| Name | Type | Description |
|------|------|-------------|
| page | integer | Page number, default 1 |
| per_page | integer | Results per page (max 250) |
| updated_since | datetime | Only orders changed after this time |

```json
{"data": [{"id": "o1", "total": 9.5, "updated_at": "2024-01-01T00:00:00Z"}], "has_more": true}
```

### Get an order

`GET /orders/123`

```json
{"data": {"id": "o1"}}
```

### Create an order

`POST /orders`

```json
[{"id": "not a list response"}]
```

### List an order's lines

* `GET /orders/123/lines` returns a paginated list of lines.

```json
[{"id": 1, "sku": "x"}]
```
"#;
    let model = extract_prose(&[page("shop.md", ProseKind::Markdown, text)], "Shop").unwrap();
    let paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/api/v2/orders", "/api/v2/orders/{order_id}/lines"]);
    assert_eq!(model.servers, ["https://shop.example.com"]);
    let orders = &model.endpoints[0];
    assert_eq!(orders.record_path, ["data"]);
    assert_eq!(
        orders.pagination,
        Pagination::PageNumber {
            page_param: "page".into(),
            start: 1,
            limit: Some(PageSize {
                param: "per_page".into(),
                value: 250
            }),
            // The example's `has_more` says when the pages end.
            end: Some(EndSignal::Flag {
                path: vec!["has_more".into()],
                stop_when: false
            }),
        }
    );
    assert_eq!(orders.incremental.as_ref().unwrap().param, "updated_since");
    assert!(orders.reason.contains("shop.md:11"), "{}", orders.reason);
    let lines = &model.endpoints[1];
    assert_eq!(lines.parent.as_ref().unwrap().table, "orders");
    assert!(matches!(
        model.auth.as_slice(),
        [AuthScheme::ApiKey { param, .. }] if param == "X-Api-Key"
    ));
}

#[test]
fn plain_text_offset_paging_and_rpc_urls() {
    // Synology-style RPC over GET, as PDF text comes out: a parameter table flattened to lines.
    let text = "File Station API\n\
        Request:\n\
        GET /webapi/entry.cgi?api=SYNO.FileStation.List&version=2&method=list_share\n\
        offset Optional. Specify how many shared folders are skipped before beginning to return listed shared folders. Integer 0\n\
        limit Optional. Number of shared folders requested. 0 lists all shared folders. Integer 0\n\
        Response:\n\
        {\"data\": {\"offset\": 0, \"shares\": [\n\
        {\"isdir\": true, \"name\": \"video\",\n\
        \"path\": \"/video\"}\n\
        ], \"total\": 1}, \"success\": true}\n";
    let model = extract_prose(&[page("fs.pdf", ProseKind::PlainText, text)], "Synology").unwrap();
    let shares = endpoint(&model, "/webapi/entry.cgi");
    assert_eq!(shares.record_path, ["data", "shares"]);
    assert!(
        matches!(&shares.pagination, Pagination::Offset { offset_param, .. } if offset_param == "offset")
    );
}

// ---------------------------------------------------------------------------------------
// Hostile inputs

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

/// Deterministic noise (xorshift), so a failure can be replayed.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// A one-page PDF with the given lines of text, its cross-reference table computed.
fn tiny_pdf(lines: &[&str]) -> Vec<u8> {
    let mut stream = String::from("BT /F1 10 Tf 12 TL 50 750 Td\n");
    for line in lines {
        writeln!(stream, "({}) Tj T*", pdf_escape(line)).unwrap();
    }
    stream.push_str("ET");
    one_page_pdf(&stream, "Courier")
}

/// Text as a PDF string literal's content.
pub(crate) fn pdf_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

/// A one-page PDF around a content stream, in one base-14 font, its cross-reference table
/// computed.
pub(crate) fn one_page_pdf(stream: &str, font: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        format!("<< /Type /Font /Subtype /Type1 /BaseFont /{font} >>"),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        write!(pdf, "{} 0 obj\n{body}\nendobj\n", i + 1).unwrap();
    }
    let xref = pdf.len();
    write!(pdf, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for offset in offsets {
        writeln!(pdf, "{offset:010} 00000 n ").unwrap();
    }
    write!(
        pdf,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    pdf.into_bytes()
}

#[test]
fn tiny_pdf_reads_as_prose() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tiny.pdf");
    std::fs::write(
        &file,
        tiny_pdf(&[
            "Base URL: https://api.example.com",
            "GET /v1/items (list all items)",
            "[{\"id\": 7, \"name\": \"x\"}]",
        ]),
    )
    .unwrap();
    let text = pdf_text(&file).unwrap();
    assert!(text.contains("GET /v1/items (list all items)"), "{text:?}");
    let model = extract_pdf_file(&file).unwrap();
    let items = endpoint(&model, "/v1/items");
    assert_eq!(items.primary_key, ["id"]);
    assert!(
        items.reason.contains("tiny.pdf p. 1 line 2"),
        "{}",
        items.reason
    );
}

#[test]
fn hostile_pdfs_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("random.pdf".into(), noise(64 * 1024, 7)),
        ("header-only.pdf".into(), b"%PDF-1.7\n".to_vec()),
        (
            "random-with-header.pdf".into(),
            [b"%PDF-1.4\n".to_vec(), noise(32 * 1024, 11)].concat(),
        ),
        ("empty.pdf".into(), Vec::new()),
    ];
    let tiny = tiny_pdf(&["GET /v1/items"]);
    for cut in [tiny.len() / 4, tiny.len() / 2, tiny.len() - 20] {
        cases.push((format!("tiny-cut-{cut}.pdf"), tiny[..cut].to_vec()));
    }
    let mut flipped = tiny.clone();
    for i in (0..flipped.len()).step_by(37) {
        flipped[i] ^= 0x5a;
    }
    cases.push(("tiny-flipped.pdf".into(), flipped));
    if let Some(docs) = docs_dir() {
        if let Ok(real) = std::fs::read(docs.join("pdf/teamviewer-api-documentation.pdf")) {
            cases.push(("real-truncated.pdf".into(), real[..real.len() / 2].to_vec()));
            cases.push((
                "real-head.pdf".into(),
                real[..4096.min(real.len())].to_vec(),
            ));
        }
    }
    for (name, bytes) in cases {
        let file = dir.path().join(&name);
        std::fs::write(&file, &bytes).unwrap();
        let started = Instant::now();
        // Either outcome is fine; a panic or a hang is not.
        let outcome = std::panic::catch_unwind(|| extract_pdf_file(&file));
        assert!(outcome.is_ok(), "{name}: panicked");
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{name}: {:?}",
            started.elapsed()
        );
    }
    let file = dir.path().join("random.pdf");
    let err = pdf_text(&file).unwrap_err();
    let text = chain(&err).replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("hostile_pdf_random", text);
}

#[test]
fn garbage_text_is_bounded() {
    let bytes = noise(10 * 1024 * 1024, 3);
    // Printable garbage with many lines, braces and method words, as text and Markdown.
    let text: String = bytes
        .iter()
        .map(|b| match b % 16 {
            0 => '\n',
            1 => '{',
            2 => '"',
            3 => '|',
            4 => '`',
            5 => '/',
            6 => ' ',
            _ => char::from(b'a' + b % 26),
        })
        .collect();
    let text = text.replace("abc", "GET /x");
    for kind in [ProseKind::PlainText, ProseKind::Markdown, ProseKind::Html] {
        let started = Instant::now();
        let result = extract_prose(&[page("garbage", kind, &text)], "garbage");
        assert!(result.is_ok(), "{kind:?}: {result:?}");
        // Generous for a debug build on a loaded 2-core machine (67 s was seen under load); a
        // quadratic reader would take hours on 10 MB.
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "{kind:?}: {:?}",
            started.elapsed()
        );
    }
    // Deep nesting is quadratic for an HTML5 tree builder; it must not be for us.
    let deep = "<div><span>".repeat(100_000) + "GET /v1/deep";
    let started = Instant::now();
    extract_prose(&[page("deep.html", ProseKind::Html, &deep)], "deep").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // Nothing but opening braces: the JSON finder must stay linear.
    let braces = "{\n".repeat(2_000_000);
    let started = Instant::now();
    let model = extract_prose(&[page("braces", ProseKind::PlainText, &braces)], "braces").unwrap();
    assert!(model.endpoints.is_empty());
    // As generous as above: 60.6 s was seen in the full suite on 2 loaded cores; a quadratic
    // finder would take hours on 2,000,000 lines.
    assert!(
        started.elapsed() < Duration::from_secs(240),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn empty_inputs() {
    let model = extract_prose(&[], "nothing").unwrap();
    assert!(model.endpoints.is_empty() && model.servers.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let err = extract_markdown_dir(dir.path()).unwrap_err();
    let text = chain(&err).replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("empty_markdown_dir", text);
    let err = extract_markdown_dir(&dir.path().join("missing")).unwrap_err();
    assert!(err.to_string().starts_with("cannot read `"), "{err}");
}

/// A docs site written by hand (one page per resource, `<code>` in every cell, an example
/// request per endpoint with the version prefix the `GET` lines leave out), where every
/// table once lost its key or filter: the field tables sit under a heading named for the
/// type (`### Branch`, referenced as `array of Branch`, or named for the records as
/// `### Member`); a child list's example fills its `{branch_code}` with `CEN`; a filter's
/// description names the compared field in plain words; a type reads "string or null".
#[test]
fn a_hand_written_site_gives_keys_filters_children_and_types_per_section() {
    let nav = "<nav><a href='branches.html'>Branches</a> <a href='loans.html'>Loans</a> <a href='members.html'>Members</a></nav>";
    let branches = format!(
        r#"<html><body>{nav}<h1>Branches</h1><h2>List branches</h2><p><code>GET /branches</code></p>
<p>Page through with <code>offset</code> and <code>limit</code> until <code>offset</code> reaches <code>total</code>.</p>
<h3>Query parameters</h3><table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td><code>offset</code></td><td>integer</td><td>Branches to skip.</td></tr>
<tr><td><code>limit</code></td><td>integer</td><td>Page size, 1 to 20.</td></tr></table>
<h3>Response</h3><table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td><code>total</code></td><td>integer</td><td>Number of branches</td></tr>
<tr><td><code>results</code></td><td>array of Branch</td><td>The branches</td></tr></table>
<h3>Branch</h3><table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td><code>branch_code</code></td><td>string</td><td>Unique three-letter code; identifies the branch</td></tr>
<tr><td><code>name</code></td><td>string</td><td>Display name</td></tr>
<tr><td><code>phone</code></td><td>string or null</td><td>Phone number</td></tr></table>
<h3>Example</h3><pre><code>curl -H 'X-Key: KEY' 'https://api.library.example/api/v1/branches?offset=0&amp;limit=2'</code></pre>
<pre><code>{{"total": 2, "offset": 0, "limit": 2, "results": [
 {{"branch_code": "CEN", "name": "Central", "phone": null}},
 {{"branch_code": "STH", "name": "South", "phone": null}}]}}</code></pre></body></html>"#
    );
    let loans = format!(
        r#"<html><body>{nav}<h1>Loans</h1><h2>List a branch's loans</h2><p><code>GET /branches/{{branch_code}}/loans</code></p>
<p>Returns the loans of one branch. Request the next <code>page</code> while <code>has_more</code> is true.</p>
<h3>Query parameters</h3><table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td><code>page</code></td><td>integer</td><td>Page number, from 1</td></tr></table>
<h3>Loan</h3><p><code>loan_no</code> is unique only within its branch: a loan is identified by the branch code together with <code>loan_no</code>.</p>
<h3>Example</h3><pre><code>curl -H 'X-Key: KEY' 'https://api.library.example/api/v1/branches/CEN/loans?page=1'</code></pre>
<pre><code>{{"loans": [{{"loan_no": 1, "isbn": "978-0"}}, {{"loan_no": 2, "isbn": "978-1"}}], "page": 1, "has_more": false}}</code></pre></body></html>"#
    );
    let members = format!(
        r#"<html><body>{nav}<h1>Members</h1><h2>List members</h2><p><code>GET /members</code></p>
<p>The response body is a JSON array of members.</p>
<h3>Query parameters</h3><table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td><code>updated_from</code></td><td>integer (Unix seconds)</td><td>Only members whose modified_epoch is at or after this time</td></tr></table>
<h3>Member</h3><table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
<tr><td><code>card_number</code></td><td>string</td><td>Library card number; unique, identifies the member</td></tr>
<tr><td><code>home_branch</code></td><td>string</td><td>A branch code</td></tr>
<tr><td><code>modified_epoch</code></td><td>integer</td><td>Last modification, Unix seconds</td></tr></table>
<h3>Example</h3><pre><code>curl -H 'X-Key: KEY' 'https://api.library.example/api/v1/members'</code></pre>
<pre><code>[{{"card_number": "C1", "home_branch": "CEN", "modified_epoch": 1740463200}}]</code></pre></body></html>"#
    );
    let model = extract_prose(
        &[
            page("branches.html", ProseKind::Html, &branches),
            page("loans.html", ProseKind::Html, &loans),
            page("members.html", ProseKind::Html, &members),
        ],
        "Library",
    )
    .unwrap();
    let mut paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/api/v1/branches",
            "/api/v1/branches/{branch_code}/loans",
            "/api/v1/members"
        ],
        "the example of one branch's loans is the documented template, not a table of its own"
    );
    let branches = endpoint(&model, "/api/v1/branches");
    assert_eq!(branches.primary_key, ["branch_code"]);
    let phone = branches.columns.iter().find(|c| c.name == "phone").unwrap();
    assert_eq!((phone.ty, phone.nullable), (ColumnType::String, true));
    let loans = endpoint(&model, "/api/v1/branches/{branch_code}/loans");
    let parent = loans.parent.as_ref().expect("loans belong to a branch");
    assert_eq!(
        (parent.table.as_str(), parent.parent_key.as_str()),
        ("branches", "branch_code")
    );
    assert_eq!(loans.primary_key, ["branch_code", "loan_no"]);
    assert!(
        matches!(&loans.pagination, Pagination::PageNumber { page_param, .. } if page_param == "page"),
        "{:?}",
        loans.pagination
    );
    let members = endpoint(&model, "/api/v1/members");
    assert_eq!(members.primary_key, ["card_number"]);
    let inc = members.incremental.as_ref().expect("a filter");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str()),
        ("updated_from", "modified_epoch")
    );
}

/// The same kind of site printed to PDF: the tables' `Name Type Description` header repeats on
/// every page and is dropped with the running lines, so a type's name (`Branch`, `Member`) or
/// `Response` alone on a line titles the field rows under it; they describe the records (the
/// key a field's words state, "string or null"), never become query parameters.
#[test]
fn a_pdf_titles_field_rows_with_the_types_name() {
    let text = "Branches\nList branches\nGET /branches\nReturns a page of branches. Page through with offset and limit until offset\nreaches total.\nQuery parameters\noffset integer Number of branches to skip. Default 0.\nlimit integer Page size, 1 to 20. Default 5.\nResponse\ntotal integer Number of branches\nresults array of Branch The branches\nBranch\nbranch_code string Unique three-letter code; identifies the branch\nname string Display name\nphone string or null Phone number\nExample\ncurl -H 'X-Key: KEY' 'https://api.library.example/api/v1/branches?offset=0&limit=2'\n{\n\"total\": 2,\n\"results\": [\n{\"branch_code\": \"CEN\", \"name\": \"Central\", \"phone\": null}\n]\n}\n\u{c}Members\nList members\nGET /members\nThe response body is a JSON array of members.\nQuery parameters\nupdated_from integer (Unix seconds) Only members whose modified_epoch is at or after this time\nMember\ncard_number string Library card number; unique, identifies the member\nmodified_epoch integer Last modification, Unix seconds\nExample\ncurl -H 'X-Key: KEY' 'https://api.library.example/api/v1/members'\n[\n{\"card_number\": \"C1\", \"modified_epoch\": 1740463200}\n]\n";
    let model = extract_prose(
        &[page("library.pdf", ProseKind::PlainText, text)],
        "Library",
    )
    .unwrap();
    let branches = endpoint(&model, "/api/v1/branches");
    assert_eq!(branches.primary_key, ["branch_code"]);
    let phone = branches.columns.iter().find(|c| c.name == "phone").unwrap();
    assert_eq!((phone.ty, phone.nullable), (ColumnType::String, true));
    for e in &model.endpoints {
        let sent: Vec<&str> = e.query.iter().map(|q| q.name.as_str()).collect();
        assert!(
            !sent
                .iter()
                .any(|n| ["branch_code", "phone", "results", "card_number"].contains(n)),
            "{}: fields became parameters: {sent:?}",
            e.path
        );
    }
    let members = endpoint(&model, "/api/v1/members");
    assert_eq!(members.primary_key, ["card_number"]);
    let inc = members.incremental.as_ref().expect("a filter");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str()),
        ("updated_from", "modified_epoch")
    );
}

/// A section's table of request headers: a required one is sent with the value its
/// description gives ("Must be 2024-05-01."), `If-Modified-Since` is the table's filter, and
/// neither becomes a query parameter.
#[test]
fn a_headers_table_gives_required_headers_and_a_header_filter() {
    let text = "# Readings\n\n## List readings\n\n```\nGET /v2/readings\n```\n\nTelemetry readings in `readings`. The API answers `304 Not Modified` when none changed.\n\n### Headers\n\n| Name | Type | Required | Description |\n|---|---|---|---|\n| `Api-Version` | string | yes | Must be 2024-05-01. |\n| `If-Modified-Since` | HTTP date | no | Only readings whose `modified_at` is after this time |\n\n### Query parameters\n\n| Name | Type | Required | Description |\n|---|---|---|---|\n| `page_size` | integer | no | At most 100 |\n\n### Example\n\n```json\n{\"readings\": [{\"vehicle_id\": 1, \"ts\": \"2025-03-01T00:00:00Z\", \"modified_at\": \"2025-03-01T00:00:00Z\"}], \"next_page_token\": null}\n```\n";
    let model = extract_prose(&[page("readings.md", ProseKind::Markdown, text)], "Fleet").unwrap();
    let readings = endpoint(&model, "/v2/readings");
    let headers: Vec<(&str, &str)> = readings
        .headers
        .iter()
        .chain(&model.headers)
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    assert_eq!(headers, [("Api-Version", "2024-05-01")]);
    let inc = readings.incremental.as_ref().expect("the header filter");
    assert!(inc.header, "{inc:?}");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str()),
        ("If-Modified-Since", "modified_at")
    );
    assert!(
        readings.query.iter().all(|q| q.name != "Api-Version"),
        "{:?}",
        readings.query
    );
}

/// A PDF's headers table (`Headers` then `Name Type Required Description`) gives the
/// required header and the header filter; a key sentence wrapped over two lines and without
/// backticks ("a reading is" / "identified by vehicle_id and ts together.") gives both fields.
#[test]
fn a_pdf_headers_table_and_a_wrapped_key_sentence() {
    let text = "Readings\nList readings\nGET /v2/readings\nTelemetry readings in readings. Readings have no id of their own: a reading is\nidentified by vehicle_id and ts together.\nHeaders\nName Type Required Description\nApi-Version string yes Must be 2024-05-01.\nIf-Modified-Since HTTP date no Only readings whose modified_at is after this time\nQuery parameters\nName Type Required Description\npage_size integer no At most 100\nExample\ncurl -H 'Api-Version: 2024-05-01' 'https://api.fleet.example/v2/readings'\n{\"readings\": [{\"vehicle_id\": 1, \"ts\": \"2025-03-01T00:00:00Z\", \"modified_at\": \"2025-03-01T00:00:00Z\"}], \"next_page_token\": null}\n";
    let model = extract_prose(&[page("fleet.pdf", ProseKind::PlainText, text)], "Fleet").unwrap();
    let readings = endpoint(&model, "/v2/readings");
    assert_eq!(readings.primary_key, ["vehicle_id", "ts"]);
    let headers: Vec<(&str, &str)> = readings
        .headers
        .iter()
        .chain(&model.headers)
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    assert_eq!(headers, [("Api-Version", "2024-05-01")]);
    let inc = readings.incremental.as_ref().expect("the header filter");
    assert!(inc.header && inc.param == "If-Modified-Since", "{inc:?}");
    assert!(readings.query.iter().all(|q| q.name != "Api-Version"));
}
