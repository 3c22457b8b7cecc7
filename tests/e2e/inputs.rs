//! Documentation inputs other than an OpenAPI file, end to end: each becomes a connector that
//! passes Save & Test and syncs the fixture's data.

use crate::support::{cache_dir, db, target_dir, Setup};
use connector_agent_fixture::{FixtureConfig, FixtureServer};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::{App, Input, Workspace};
use sqlx::Row;

async fn setup_from(fixture: FixtureServer, inputs: Vec<Input>) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let conn = engine
        .create_with("Fixture Billing", &inputs, None)
        .unwrap();
    tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {})).expect("setup");
    engine
        .set_config(&conn.id, &[("token".into(), "test-token".into())])
        .unwrap();
    Setup {
        fixture,
        engine,
        id: conn.id,
        _home: home,
    }
}

/// A docs site on 127.0.0.1 whose homepage links the OpenAPI document.
async fn docs_site(spec: serde_json::Value) -> String {
    use axum::routing::get;
    let page = r#"<html><head><title>Fixture docs</title></head><body>
        <h1>Fixture Billing API</h1><p>See the <a href="/reference/openapi.json">API reference</a>.</p>
        <a href="/guide.html">Guide</a></body></html>"#;
    let app = axum::Router::new()
        .route("/", get(move || async move { axum::response::Html(page) }))
        .route(
            "/guide.html",
            get(|| async { axum::response::Html("<p>Authenticate with a bearer token.</p>") }),
        )
        .route(
            "/reference/openapi.json",
            get(move || async move { axum::Json(spec.clone()) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_docs_homepage_leads_to_its_spec_and_a_working_connector() {
    let fixture = FixtureServer::start(FixtureConfig::default())
        .await
        .unwrap();
    let url = docs_site(fixture.openapi()).await;
    let s = setup_from(fixture, vec![Input::DocsUrl(url)]).await;
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let customers = report
        .tables
        .iter()
        .find(|t| t.table == "customers")
        .unwrap();
    assert_eq!(customers.rows_total, s.fixture.customers().len() as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reference_file_beats_the_docs_url_and_both_are_merged() {
    let fixture = FixtureServer::start(FixtureConfig::default())
        .await
        .unwrap();
    // The crawled site describes only customers, with a wrong record path.
    let mut partial = fixture.openapi();
    let paths = partial["paths"].as_object_mut().unwrap();
    paths.retain(|p, _| p == "/v1/customers" || p == "/v1/tickets");
    let props = partial["components"]["schemas"]["CustomerList"]["properties"]
        .as_object_mut()
        .unwrap();
    let data = props.remove("data").unwrap();
    props.insert("items".into(), data);
    let url = docs_site(partial).await;
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("spec.json");
    let mut full = fixture.openapi();
    full["paths"].as_object_mut().unwrap().remove("/v1/tickets");
    std::fs::write(&file, serde_json::to_vec(&full).unwrap()).unwrap();
    let s = setup_from(
        fixture,
        vec![
            Input::DocsUrl(url),
            Input::Openapi(file.display().to_string()),
        ],
    )
    .await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    let customers = model.endpoint_by_table("customers").unwrap();
    assert_eq!(
        customers.record_path,
        vec!["data".to_string()],
        "the reference file wins"
    );
    assert!(
        model.endpoint_by_table("tickets").is_some(),
        "the URL adds what the file lacks"
    );
    s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let mut conn = db(&s).await;
    let n: i64 = sqlx::query("SELECT count(*) FROM tickets")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, s.fixture.tickets().len() as i64);
}

/// A Postman collection for the fixture, written as a user would export it.
fn postman_collection(fixture: &FixtureServer) -> serde_json::Value {
    let customers = fixture.customers();
    let invoices = fixture.invoices();
    let example = |body: serde_json::Value| {
        serde_json::json!([{ "name": "OK", "code": 200, "status": "OK",
            "header": [{ "key": "Content-Type", "value": "application/json" }],
            "body": serde_json::to_string_pretty(&body).unwrap() }])
    };
    serde_json::json!({
        "info": { "name": "Fixture Billing", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
        "auth": { "type": "bearer", "bearer": [{ "key": "token", "value": "{{token}}", "type": "string" }] },
        "variable": [{ "key": "baseUrl", "value": fixture.base_url() }],
        "item": [{
            "name": "Customers",
            "item": [
                {
                    "name": "List customers",
                    "request": { "method": "GET", "url": {
                        "raw": "{{baseUrl}}/v1/customers?limit=100",
                        "host": ["{{baseUrl}}"], "path": ["v1", "customers"],
                        "query": [
                            { "key": "limit", "value": "100" },
                            { "key": "starting_after", "value": "cus_000002", "disabled": true }
                        ]
                    }},
                    "response": example(serde_json::json!({ "object": "list", "data": [customers[0], customers[1]], "has_more": true, "url": "/v1/customers" }))
                },
                {
                    "name": "List a customer's invoices",
                    "request": { "method": "get", "url": {
                        "raw": "{{baseUrl}}/v1/customers/:customer_id/invoices",
                        "host": ["{{baseUrl}}"], "path": ["v1", "customers", ":customer_id", "invoices"],
                        "variable": [{ "key": "customer_id", "value": "cus_000001" }]
                    }},
                    "response": example(serde_json::json!({ "object": "list", "data": [invoices[0], invoices[1]], "has_more": false }))
                }
            ]
        }]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postman_collection_becomes_a_working_connector() {
    let fixture = FixtureServer::start(FixtureConfig {
        customers: 40,
        max_page_size: 100,
        ..FixtureConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixture.postman_collection.json");
    std::fs::write(
        &file,
        serde_json::to_vec_pretty(&postman_collection(&fixture)).unwrap(),
    )
    .unwrap();
    let s = setup_from(fixture, vec![Input::Postman(file.display().to_string())]).await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    let customers = model
        .endpoint_by_table("customers")
        .expect("customers proposed");
    assert_eq!(customers.record_path, vec!["data".to_string()]);
    assert_eq!(customers.primary_key, vec!["id".to_string()]);
    assert_eq!(
        customers.pagination.style(),
        "cursor",
        "{:?}",
        customers.pagination
    );
    let invoices = model
        .endpoint_by_table("invoices")
        .expect("invoices proposed");
    assert_eq!(
        invoices.parent.as_ref().map(|p| p.table.as_str()),
        Some("customers")
    );
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let rows = |t: &str| {
        report
            .tables
            .iter()
            .find(|x| x.table == t)
            .unwrap()
            .rows_total
    };
    assert_eq!(rows("customers"), 40);
    assert_eq!(rows("invoices"), 80);
}

fn corpus() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("CONNECTOR_AGENT_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
        });
    dir.join("docs").is_dir().then_some(dir)
}

/// Prose documentation (a PDF, a Markdown folder) becomes a compiled connector whose tables
/// are the endpoints the docs describe.
#[tokio::test(flavor = "multi_thread")]
async fn prose_documents_become_compiled_connectors() {
    let Some(dir) = corpus() else { return };
    let home = tempfile::tempdir().unwrap();
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let inputs = [
        (
            "TeamViewer",
            Input::Pdf(
                dir.join("docs/pdf/teamviewer-api-documentation.pdf")
                    .display()
                    .to_string(),
            ),
        ),
        (
            "Basecamp",
            Input::Markdown(
                dir.join("docs/markdown/basecamp-bc3-api")
                    .display()
                    .to_string(),
            ),
        ),
        (
            "Toggl",
            Input::Markdown(dir.join("docs/markdown/toggl-api-v8").display().to_string()),
        ),
    ];
    for (name, input) in inputs {
        let conn = engine.create_with(name, &[input], None).unwrap();
        let conn = tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {}))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let model = engine.home().load_model(&conn.id).unwrap();
        assert!(
            model.endpoints.len() >= 3,
            "{name}: only {} endpoints",
            model.endpoints.len()
        );
        let loaded = engine
            .runtime()
            .load(conn.component.as_ref().unwrap())
            .unwrap();
        let http = std::sync::Arc::new(connector_agent_runtime::HttpContext::new(
            Default::default(),
            Default::default(),
        ));
        let tables = loaded
            .discover(http, Default::default(), &[])
            .await
            .unwrap();
        assert_eq!(tables.len(), model.selected().count(), "{name}");
    }
}

/// Documentation that describes no list (only `GET /me` and `GET /widgets/{id}`) says so at
/// setup, naming the input, what a table needs and the single-record reads it does show,
/// instead of failing later on an empty model.
#[tokio::test(flavor = "multi_thread")]
async fn documentation_without_a_list_endpoint_says_so_at_setup() {
    let home = tempfile::tempdir().unwrap();
    let doc = home.path().join("profile.md");
    std::fs::write(
        &doc,
        "# Profile API\n\nBase URL: `https://api.profile.test/v1`.\n\n## Me\n\n`GET /me`\n\n```json\n{\"id\": \"u1\"}\n```\n\n## A widget\n\n`GET /widgets/{id}`\n\n```json\n{\"id\": \"w1\"}\n```\n",
    )
    .unwrap();
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let conn = engine
        .create_with(
            "Profile",
            &[Input::Markdown(doc.display().to_string())],
            None,
        )
        .unwrap();
    let err = tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {})).unwrap_err();
    let text = connector_agent_sync::error_chain(&err);
    assert!(
        text.contains("no list endpoint found") && text.contains("profile.md"),
        "{text}"
    );
    // What the document does show is named, each with why it is not a table.
    assert!(
        text.contains("The documents show: `GET /v1/me` (returns a single object")
            && text.contains("`GET /v1/widgets/{id}` (returns a single object"),
        "{text}"
    );
}
