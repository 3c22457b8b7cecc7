//! The atlas shop (`tests/fixture/src/atlas.rs`), an API unlike the other fixtures, from each
//! of the four forms a user brings: its OpenAPI 3.1 document, a Postman collection without
//! saved responses, its HTML docs site (crawled from the homepage, no link to a spec) and a
//! PDF printed from that site. From each: Save & Test passes, every table syncs exactly
//! (no record missing, none duplicated, keys that are not `id`, a composite key, a keyless
//! log), and a second sync after changes is served only what changed.

use crate::support::{cache_dir, target_dir};
use connector_agent_fixture::atlas::{AtlasServer, ATLAS_TABLES, ATLAS_TOKEN};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::{App, Input, Workspace};
use sqlx::Row;
use std::collections::BTreeMap;

struct Atlas {
    api: AtlasServer,
    engine: App,
    id: String,
    _home: tempfile::TempDir,
}

/// Generates a connector from `input` (made from the running API) and fills the setup form
/// as a user would: the token, and the base URL where the form asks for one.
async fn atlas_from(
    form: &str,
    input: impl FnOnce(&AtlasServer, &std::path::Path) -> Input,
) -> Atlas {
    let api = AtlasServer::start(120, 80).await.expect("atlas starts");
    let home = tempfile::tempdir().unwrap();
    let input = input(&api, home.path());
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let conn = engine
        .create_with(&format!("Atlas {form}"), &[input], None)
        .unwrap();
    tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {}))
        .unwrap_or_else(|e| panic!("{form}: setup: {e}"));
    let model = engine.home().load_model(&conn.id).unwrap();
    let mut values = Vec::new();
    for f in &model.config {
        if f.secret {
            values.push((f.name.clone(), ATLAS_TOKEN.to_string()));
        } else if f.required && f.default.is_none() {
            // What the docs give for it (the base URL, when a document states none).
            assert_eq!(f.name, "base_url", "{form}: the form asks for {f:?}");
            values.push((f.name.clone(), format!("{}/v2", api.base_url())));
        }
    }
    engine.set_config(&conn.id, &values).unwrap();
    let missing = engine.missing_config(&conn.id).unwrap();
    assert!(
        missing.is_empty(),
        "{form}: the form still asks for {missing:?}: {:#?}",
        model.config
    );
    Atlas {
        api,
        engine,
        id: conn.id,
        _home: home,
    }
}

/// Every row of `table` as text, sorted, in the fields the API serves (`None`: SQL NULL).
async fn destination(a: &Atlas, table: &str, fields: &[String]) -> Vec<Vec<Option<String>>> {
    use sqlx::Connection;
    let conn = a.engine.home().load(&a.id).unwrap();
    let path = conn.describe_destination();
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite:{path}"))
        .await
        .unwrap();
    let cols: Vec<String> = fields
        .iter()
        .map(|f| format!("CAST(\"{f}\" AS TEXT)"))
        .collect();
    let rows = sqlx::query(&format!("SELECT {} FROM \"{table}\"", cols.join(", ")))
        .fetch_all(&mut db)
        .await
        .unwrap_or_else(|e| panic!("table {table}: {e}"));
    let mut out: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|r| {
            (0..r.columns().len())
                .map(|i| r.get::<Option<String>, _>(i))
                .collect()
        })
        .collect();
    out.sort();
    out
}

fn source(a: &Atlas, table: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let records = a.api.records(table);
    let fields: Vec<String> = records[0].as_object().unwrap().keys().cloned().collect();
    let mut rows: Vec<Vec<Option<String>>> = records
        .iter()
        .map(|r| {
            fields
                .iter()
                .map(|f| match &r[f] {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                })
                .collect()
        })
        .collect();
    rows.sort();
    (fields, rows)
}

async fn assert_equal(a: &Atlas, form: &str, when: &str) {
    for table in ATLAS_TABLES {
        let (fields, want) = source(a, table);
        let got = destination(a, table, &fields).await;
        assert_eq!(
            got.len(),
            want.len(),
            "{form}, {when}: `{table}` has {} rows, the API {}",
            got.len(),
            want.len()
        );
        assert_eq!(got, want, "{form}, {when}: `{table}` differs from the API");
    }
}

async fn sync(a: &Atlas, form: &str) -> connector_agent_sync::app::SyncReport {
    let report = a
        .engine
        .sync(&a.id, SyncOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{form}: sync: {e}"));
    report
}

/// The whole flow from one form. `header_filter`: the form documents the log's
/// `If-Modified-Since` header (OpenAPI, Postman, and the site's and PDF's `Request headers`
/// table), so the log is read incrementally too.
async fn from_form(form: &str, a: Atlas, header_filter: bool) {
    let model = a.engine.home().load_model(&a.id).unwrap();
    let mut tables: Vec<&str> = model.selected().map(|e| e.table.as_str()).collect();
    tables.sort();
    let mut want = ATLAS_TABLES.to_vec();
    want.sort();
    assert_eq!(
        tables, want,
        "{form}: the proposed tables (a single-object GET is not a list)"
    );

    let test = a.engine.test(&a.id).await.unwrap();
    assert!(
        test.ok,
        "{form}: Save & Test: {:#?}\nthe model: {}",
        test.checks,
        serde_json::to_string_pretty(&model).unwrap()
    );
    let model = a.engine.home().load_model(&a.id).unwrap();
    let reasons: Vec<String> = model
        .selected()
        .map(|e| format!("{}: {}", e.table, e.reason))
        .collect();
    let form = &format!("{form} ({reasons:#?})");
    let keys: BTreeMap<&str, Vec<String>> = model
        .selected()
        .map(|e| (e.table.as_str(), e.primary_key.clone()))
        .collect();
    assert_eq!(keys["products"], ["sku"], "{form}");
    assert_eq!(keys["orders"], ["order_number"], "{form}");
    assert_eq!(keys["order_lines"], ["order_number", "line_no"], "{form}");
    assert!(keys["events"].is_empty(), "{form}: events have no key");

    let _ = a.api.served();
    sync(&a, form).await;
    assert_equal(&a, form, "after the first sync").await;
    let first = a.api.served();
    for table in ATLAS_TABLES {
        assert!(
            first.get(table).copied().unwrap_or(0) >= a.api.records(table).len(),
            "{form}: {table}: {first:?}"
        );
    }

    // Changes between syncs: the next sync is served only what changed (an inclusive filter
    // may repeat the records stamped at the cursor itself); the log, which has no filter, is
    // read again in full and not duplicated.
    let changed = a.api.change(4);
    sync(&a, form).await;
    assert_equal(&a, form, "after changes and a second sync").await;
    let served = a.api.served();
    let incremental: &[&str] = if header_filter {
        &["products", "orders", "order_lines", "events"]
    } else {
        &["products", "orders", "order_lines"]
    };
    for &table in incremental {
        let n = served.get(table).copied().unwrap_or(0);
        assert!(
            n <= changed[table] + 2,
            "{form}: `{table}`: {n} records served for {} changed: not incremental ({served:?})",
            changed[table]
        );
    }
    // A sync with nothing changed writes nothing twice.
    sync(&a, form).await;
    assert_equal(&a, form, "after a sync with no change").await;
}

fn openapi_file(api: &AtlasServer, dir: &std::path::Path) -> Input {
    let file = dir.join("atlas-openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&api.openapi()).unwrap()).unwrap();
    Input::Openapi(file.display().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn atlas_from_its_openapi_document() {
    let a = atlas_from("OpenAPI", openapi_file).await;
    let model = a.engine.home().load_model(&a.id).unwrap();
    let events = model.endpoint_by_table("events").unwrap();
    let inc = events
        .incremental
        .as_ref()
        .expect("the header filter is read");
    assert!(inc.header && inc.param == "If-Modified-Since", "{inc:?}");
    from_form("OpenAPI", a, true).await;
}

/// A server that answers `304 Not Modified` to `If-Modified-Since` when nothing is newer:
/// an unchanged log is a finished pass (not a failed table), and a changed one is read.
#[tokio::test(flavor = "multi_thread")]
async fn not_modified_to_a_header_filter_is_an_unchanged_list() {
    let a = atlas_from("OpenAPI", openapi_file).await;
    a.api.set_not_modified(true);
    let test = a.engine.test(&a.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    sync(&a, "304").await;
    assert_equal(&a, "304", "after the first sync").await;
    // Nothing new: the events list answers 304 and the sync succeeds.
    let report = sync(&a, "304").await;
    assert!(report.failed_tables.is_empty(), "{report:?}");
    assert_equal(&a, "304", "after an unchanged sync").await;
    a.api.change(3);
    sync(&a, "304").await;
    assert_equal(&a, "304", "after changes").await;
}

/// Docs that lie about a filter: `modified_since` really compares the creation time, so a
/// changed product would never be fetched again. Save & Test sees the newest product of the
/// first page missing from the filtered page, drops the filter (the table syncs in full),
/// and nothing is lost; the filters that work are kept.
#[tokio::test(flavor = "multi_thread")]
async fn a_filter_that_compares_another_field_is_dropped_by_save_and_test() {
    let a = atlas_from("OpenAPI", openapi_file).await;
    a.api.set_since_compares_created(true);
    a.api.change(40);
    let test = a.engine.test(&a.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let model = a.engine.home().load_model(&a.id).unwrap();
    let products = model.endpoint_by_table("products").unwrap();
    assert_eq!(products.incremental, None, "{:#?}", products.corrections);
    let dropped = products
        .corrections
        .iter()
        .find(|c| c.field == connector_agent_model::CorrectedField::Incremental)
        .unwrap_or_else(|| panic!("{:#?}", products.corrections));
    assert!(dropped.evidence.contains("modified_since"), "{dropped:?}");
    for table in ["orders", "order_lines"] {
        assert!(
            model
                .endpoint_by_table(table)
                .unwrap()
                .incremental
                .is_some(),
            "{table}: a working filter is kept"
        );
    }
    sync(&a, "lying filter").await;
    a.api.change(5);
    sync(&a, "lying filter").await;
    assert_equal(
        &a,
        "lying filter",
        "after changes the filter would have missed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn atlas_from_a_postman_collection_without_responses() {
    let a = atlas_from("Postman", |api, dir| {
        let file = dir.join("atlas.postman_collection.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&api.postman()).unwrap()).unwrap();
        Input::Postman(file.display().to_string())
    })
    .await;
    from_form("Postman", a, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn atlas_from_its_docs_site() {
    let a = atlas_from("docs site", |api, _| Input::DocsUrl(api.docs_url())).await;
    from_form("docs site", a, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn atlas_from_a_pdf_printed_from_its_docs_site() {
    let Some(office) = crate::support::office() else {
        return;
    };
    let a = atlas_from("PDF", |api, dir| {
        let html = dir.join("atlas.html");
        std::fs::write(&html, api.print_html()).unwrap();
        let out = std::process::Command::new(office)
            // Its own profile: two conversions at once would share (and lock) the default.
            .arg(format!(
                "-env:UserInstallation=file://{}/office-profile",
                dir.display()
            ))
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(dir)
            .arg(&html)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        Input::Pdf(dir.join("atlas.pdf").display().to_string())
    })
    .await;
    from_form("PDF", a, true).await;
}

/// Docs that state no page-size maximum (the connector sends 100, the API answers 400 with
/// its limit) and filters that mean "after" rather than "at or after": Save & Test takes the
/// page sizes the API states, keeps every filter (the newest record comes back a second
/// earlier), and the syncs stay exact.
#[tokio::test(flavor = "multi_thread")]
async fn page_sizes_the_docs_omit_and_exclusive_filters_are_handled_by_save_and_test() {
    let a = atlas_from("OpenAPI, no maxima", |api, dir| {
        let mut doc = api.openapi();
        for path in ["/products", "/orders", "/order-lines", "/events"] {
            for p in doc["paths"][path]["get"]["parameters"]
                .as_array_mut()
                .unwrap()
            {
                if matches!(p["name"].as_str(), Some("limit" | "per_page")) {
                    p["description"] = "How many per page.".into();
                }
            }
        }
        let file = dir.join("atlas-openapi.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        Input::Openapi(file.display().to_string())
    })
    .await;
    a.api.set_exclusive_filters(true);
    a.api.change(40);
    let test = a.engine.test(&a.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let model = a.engine.home().load_model(&a.id).unwrap();
    for (table, max) in [
        ("products", 50),
        ("orders", 25),
        ("order_lines", 40),
        ("events", 30),
    ] {
        let e = model.endpoint_by_table(table).unwrap();
        let sizes = serde_json::to_value(&e.pagination).unwrap();
        assert_eq!(
            sizes["limit"]["value"], max,
            "{table}: {:#?}",
            e.corrections
        );
        assert!(
            e.corrections.iter().any(|c| c.field
                == connector_agent_model::CorrectedField::Pagination
                && c.evidence.contains("refused")),
            "{table}: {:#?}",
            e.corrections
        );
    }
    for table in ["products", "orders", "order_lines"] {
        let e = model.endpoint_by_table(table).unwrap();
        assert!(e.incremental.is_some(), "{table}: {:#?}", e.corrections);
    }
    sync(&a, "exclusive").await;
    a.api.change(5);
    sync(&a, "exclusive").await;
    assert_equal(&a, "exclusive", "after changes").await;
}
