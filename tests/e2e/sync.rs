//! The whole flow on the fixture API: generate → compile → test → sync → incremental.

use crate::support::{connection, db};
use connector_agent_fixture::{Fault, FixtureConfig};
use connector_agent_sync::app::SyncOptions;
use serde_json::Value;
use sqlx::Row;

pub fn small() -> FixtureConfig {
    FixtureConfig {
        customers: 60,
        invoices_per_customer: 2,
        max_page_size: 25,
        ..FixtureConfig::default()
    }
}

async fn customers_in_db(conn: &mut sqlx::SqliteConnection) -> Vec<Value> {
    sqlx::query("SELECT id, name, email, created, updated, balance, active, address, tags, metadata, note FROM customers ORDER BY id")
        .fetch_all(conn)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.get::<String, _>("id"),
                "object": "customer",
                "name": r.get::<String, _>("name"),
                "email": r.get::<String, _>("email"),
                "created": r.get::<i64, _>("created"),
                "updated": r.get::<i64, _>("updated"),
                "balance": r.get::<f64, _>("balance"),
                "active": r.get::<bool, _>("active"),
                "address": serde_json::from_str::<Value>(&r.get::<String, _>("address")).unwrap(),
                "tags": serde_json::from_str::<Value>(&r.get::<String, _>("tags")).unwrap(),
                "metadata": serde_json::from_str::<Value>(&r.get::<String, _>("metadata")).unwrap(),
                "note": r.get::<Option<String>, _>("note"),
            })
        })
        .collect()
}

/// Records with sorted keys, sorted by id.
pub fn normalise(records: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().unwrap().sort_keys();
            r
        })
        .collect();
    out.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn historical_then_incremental_sync_matches_the_fixture() {
    let s = connection(small()).await;
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);

    let first = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert!(!first.incremental);
    let rows = |r: &connector_agent_sync::SyncReport, t: &str| {
        r.tables.iter().find(|x| x.table == t).unwrap().rows_total
    };
    assert_eq!(rows(&first, "customers"), 60);
    assert_eq!(rows(&first, "invoices"), 120);
    assert_eq!(
        rows(&first, "lines"),
        s.fixture.lines().len() as i64,
        "three levels: customers → invoices → lines"
    );
    assert_eq!(rows(&first, "products"), s.fixture.products().len() as i64);
    assert_eq!(rows(&first, "events"), s.fixture.events().len() as i64);
    assert_eq!(rows(&first, "orders"), s.fixture.orders().len() as i64);
    assert_eq!(rows(&first, "tickets"), s.fixture.tickets().len() as i64);
    let mut conn = db(&s).await;
    assert_eq!(
        normalise(customers_in_db(&mut conn).await),
        normalise(s.fixture.customers())
    );
    let invoice_parents: i64 = sqlx::query("SELECT count(*) FROM invoices WHERE customer_id = substr(id, 4, 6) OR customer_id = 'cus_' || substr(id, 4, 6)")
        .fetch_one(&mut conn).await.unwrap().get(0);
    assert_eq!(
        invoice_parents, 120,
        "every invoice row carries its parent's key"
    );

    // Change some records; only they (and the record at the inclusive cursor) come back.
    let previous_max = s
        .fixture
        .customers()
        .iter()
        .map(|c| c["updated"].as_i64().unwrap())
        .max()
        .unwrap();
    s.fixture
        .touch_customers(&["cus_000003", "cus_000017", "cus_000042"]);
    s.fixture.reset_counters();
    let second = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert!(second.incremental);
    let synced = second
        .tables
        .iter()
        .find(|t| t.table == "customers")
        .unwrap()
        .rows_synced;
    let expected = s
        .fixture
        .customers()
        .iter()
        .filter(|c| c["updated"].as_i64().unwrap() >= previous_max)
        .count();
    assert_eq!(synced as usize, expected);
    assert_eq!(expected, 4, "3 changed + the one at the saved cursor");
    let filtered = s
        .fixture
        .requests()
        .iter()
        .filter(|r| {
            r.path == "/v1/customers"
                && r.query_param("updated_since") == Some(previous_max.to_string().as_str())
        })
        .count();
    assert!(filtered >= 1, "the incremental sync sends the saved cursor");
    // The customers list is walked twice: once for its own table, once for both child
    // tables (invoices, and lines below them), which share one walk.
    let customer_lists = s
        .fixture
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/customers")
        .count();
    assert_eq!(
        customer_lists, 2,
        "one walk of the 4 changed customers per reader"
    );
    assert_eq!(
        normalise(customers_in_db(&mut conn).await),
        normalise(s.fixture.customers())
    );
    let edited: String = sqlx::query("SELECT name FROM customers WHERE id = 'cus_000017'")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert!(edited.contains("edited"), "{edited}");

    // The child tables (invoices, and lines below them) follow the customers' changes: only
    // what hangs below the 4 customers the filter returned is read again, not all 60.
    let child_requests = |suffix: &str| {
        s.fixture
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/v1/customers/") && r.path.ends_with(suffix))
            .map(|r| r.path.clone())
            .collect::<std::collections::BTreeSet<String>>()
    };
    let invoice_lists = child_requests("/invoices");
    assert_eq!(
        invoice_lists.len(),
        expected,
        "invoices re-read for the changed customers only: {invoice_lists:?}"
    );
    for id in ["cus_000003", "cus_000017", "cus_000042"] {
        assert!(
            invoice_lists.iter().any(|p| p.contains(id)),
            "{id}: {invoice_lists:?}"
        );
    }
    assert_eq!(rows(&second, "invoices"), 120);
    assert_eq!(rows(&second, "lines"), s.fixture.lines().len() as i64);
    let model = s.engine.home().load_model(&s.id).unwrap();
    let invoices = model.endpoint_by_table("invoices").unwrap();
    let (top, inc) = model.changes_via_parent(invoices).unwrap();
    assert_eq!(
        (top.table.as_str(), inc.param.as_str()),
        ("customers", "updated_since")
    );

    // `customize --full-every-sync invoices`: every customer's invoices again.
    s.engine
        .customize(&s.id, |c| {
            c.full_every_sync.insert("invoices".into());
        })
        .unwrap();
    s.fixture.reset_counters();
    let third = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(
        child_requests("/invoices").len(),
        60,
        "every parent's children"
    );
    assert_eq!(rows(&third, "invoices"), 120, "re-read, not duplicated");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_fail_the_check_clearly() {
    let s = connection(small()).await;
    s.engine
        .set_config(&s.id, &[("token".into(), "wrong".into())])
        .unwrap();
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(!report.ok);
    let creds = report
        .checks
        .iter()
        .find(|c| c.name == "credentials accepted")
        .expect("a credentials check");
    assert!(!creds.ok);
    assert!(creds.message.contains("401"), "{}", creds.message);
    assert!(report
        .checks
        .iter()
        .any(|c| c.name == "destination writable" && c.ok));
    let conn = s.engine.home().load(&s.id).unwrap();
    assert!(
        !conn.schema_frozen,
        "a failed test does not freeze the schema name"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_retried_and_the_sync_completes() {
    let s = connection(small()).await;
    s.fixture.inject(Fault::TooManyRequests {
        count: 2,
        retry_after_secs: 1,
    });
    s.fixture.inject(Fault::ServerError { count: 1 });
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(
        report
            .tables
            .iter()
            .find(|t| t.table == "customers")
            .unwrap()
            .rows_total,
        60
    );
    let statuses: Vec<u16> = s.fixture.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 500).count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_midway_keeps_the_last_checkpoint_and_resumes_without_loss() {
    let s = customers_in_pages_of_ten(None).await;
    let err = sync_broken_after_three_pages(&s).await;
    let text = err.to_string();
    assert!(text.contains("not valid JSON"), "{text}");
    // Rows are committed although no sync has succeeded yet: the table's name is now fixed.
    let renamed = s.engine.rename_table(&s.id, "customers", "clients");
    assert!(
        renamed
            .unwrap_err()
            .to_string()
            .contains("already holds synced data"),
        "a table with committed rows was renamed"
    );
    assert!(
        text.contains("customers"),
        "the error names the table: {text}"
    );
    let mut conn = db(&s).await;
    let row = sqlx::query(&committed_query(""))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let resume_after = committed_checkpoint(row.get(0), row.get(1), row.get(2));

    resume_from(&s, &resume_after).await;
    assert_eq!(
        normalise(customers_in_db(&mut conn).await),
        normalise(s.fixture.customers())
    );
}

/// The customers-only connection of the failure tests: 100 customers, pages of 10.
pub async fn customers_in_pages_of_ten(destination: Option<&str>) -> crate::support::Setup {
    let config = FixtureConfig {
        customers: 100,
        invoices_per_customer: 1,
        max_page_size: 10,
        ..FixtureConfig::default()
    };
    let s = match destination {
        Some(d) => crate::support::connection_to(config, d).await,
        None => connection(config).await,
    };
    s.engine
        .select(&s.id, &["customers".into()], &[], &[])
        .unwrap();
    tokio::task::block_in_place(|| s.engine.run_setup(&s.id, &|_| {})).unwrap();
    s
}

/// Syncs, letting three pages of customers through, then answering with a body that is not
/// JSON; returns the sync's error.
pub async fn sync_broken_after_three_pages(
    s: &crate::support::Setup,
) -> connector_agent_sync::Error {
    let fixture = &s.fixture;
    let injector = async {
        while fixture
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/customers")
            .count()
            < 3
        {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        fixture.inject(Fault::NotJson { count: 1000 });
    };
    let (result, ()) = tokio::join!(s.engine.sync(&s.id, SyncOptions::default()), injector);
    result.expect_err("the sync fails on the broken page")
}

/// The committed customers' count and greatest id, and the saved state, with the tables
/// under `prefix` (a quoted schema and a dot, or nothing).
pub fn committed_query(prefix: &str) -> String {
    format!(
        "SELECT (SELECT count(*) FROM {prefix}customers), (SELECT max(id) FROM {prefix}customers), \
         (SELECT state FROM {prefix}_connector_agent_state)"
    )
}

/// Checks that some pages and exactly the rows the state covers were committed; returns the
/// position the next sync resumes after.
pub fn committed_checkpoint(count: i64, max_id: String, state: String) -> String {
    let state: Value = serde_json::from_str(&state).unwrap();
    let resume_after = state["tables"]["customers"]["pending"]["position"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!((10..100).contains(&count), "some pages committed: {count}");
    assert_eq!(
        max_id, resume_after,
        "the state covers exactly the committed rows"
    );
    resume_after
}

/// Clears the faults, syncs again and checks that the first request resumes after the
/// saved position.
pub async fn resume_from(s: &crate::support::Setup, resume_after: &str) {
    s.fixture.clear_faults();
    s.fixture.reset_counters();
    s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let first_request = s
        .fixture
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/customers")
        .unwrap();
    assert_eq!(
        first_request.query_param("starting_after"),
        Some(resume_after),
        "resumes from the checkpoint"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_hashed_columns_and_the_schema_policy_shape_the_destination() {
    use connector_agent_sync::SchemaPolicy;
    let s = connection(small()).await;
    s.engine
        .select(&s.id, &[], &["products".into()], &[])
        .unwrap();
    tokio::task::block_in_place(|| s.engine.run_setup(&s.id, &|_| {})).unwrap();
    s.engine
        .customize(&s.id, |c| {
            c.blocked_tables.insert("events".into());
            c.blocked_columns
                .entry("customers".into())
                .or_default()
                .insert("email".into());
            c.hashed_columns
                .entry("customers".into())
                .or_default()
                .insert("name".into());
            c.schema_policy = SchemaPolicy::BlockAll;
        })
        .unwrap();
    let refused = s.engine.customize(&s.id, |c| {
        c.hashed_columns
            .entry("customers".into())
            .or_default()
            .insert("id".into());
    });
    assert!(refused.unwrap_err().to_string().contains("primary key"));

    let first = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let tables: Vec<&str> = first.tables.iter().map(|t| t.table.as_str()).collect();
    assert!(
        !tables.contains(&"events") && !tables.contains(&"products"),
        "{tables:?}"
    );
    let mut conn = db(&s).await;
    let cols: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('customers')")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!cols.contains(&"email".to_string()), "{cols:?}");
    let key = hex_key(&s);
    let rows = sqlx::query("SELECT id, name FROM customers ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 60);
    for (row, customer) in rows.iter().zip(s.fixture.customers()) {
        let stored: String = row.get(1);
        assert_ne!(
            stored,
            customer["name"].as_str().unwrap(),
            "the plain value never reaches the destination"
        );
        assert_eq!(
            Value::String(stored),
            connector_agent_sync::policy::hash_value(&key, &customer["name"])
        );
    }

    // A table selected later is held back by `block_all`, then created under `allow_all`.
    s.engine
        .select(&s.id, &[], &[], &["products".into()])
        .unwrap();
    tokio::task::block_in_place(|| s.engine.run_setup(&s.id, &|_| {})).unwrap();
    let second = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(
        second.schema_changes.held_back_tables,
        vec!["products".to_string()]
    );
    let exists: i64 = sqlx::query("SELECT count(*) FROM sqlite_master WHERE name = 'products'")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(exists, 0);
    s.engine
        .customize(&s.id, |c| c.schema_policy = SchemaPolicy::AllowAll)
        .unwrap();
    let third = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(
        third.schema_changes.added_tables,
        vec!["products".to_string()]
    );
    assert_eq!(
        third
            .tables
            .iter()
            .find(|t| t.table == "products")
            .unwrap()
            .rows_total,
        s.fixture.products().len() as i64
    );
}

/// The connection's hashing key.
pub fn hex_key(s: &crate::support::Setup) -> Vec<u8> {
    let secrets = s.engine.home().load_secrets(&s.id).unwrap();
    let hex = secrets.get("_hash_key").expect("a hashing key was made");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_header_query_and_basic_auth_are_added_by_the_host() {
    use connector_agent_fixture::FixtureAuth;
    let variants = [
        (
            FixtureAuth::ApiKeyHeader {
                header: "X-Api-Key".into(),
                key: "k-123".into(),
            },
            "api_key",
            "k-123",
        ),
        (
            FixtureAuth::ApiKeyQuery {
                param: "api_key".into(),
                key: "q-456".into(),
            },
            "api_key",
            "q-456",
        ),
        (
            FixtureAuth::Basic {
                username: "ann".into(),
                password: "pw".into(),
            },
            "username",
            "ann",
        ),
    ];
    for (auth, field, value) in variants {
        let s = connection(FixtureConfig {
            customers: 12,
            auth: auth.clone(),
            ..FixtureConfig::default()
        })
        .await;
        let model = s.engine.home().load_model(&s.id).unwrap();
        let secret_fields: Vec<&str> = model
            .config
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.name.as_str())
            .collect();
        assert!(
            secret_fields.contains(&field),
            "{auth:?}: secret fields {secret_fields:?}"
        );
        let mut values = vec![(field.to_string(), value.to_string())];
        if matches!(auth, FixtureAuth::Basic { .. }) {
            values.push(("password".into(), "pw".into()));
        }
        s.engine.set_config(&s.id, &values).unwrap();
        let test = s.engine.test(&s.id).await.unwrap();
        assert!(test.ok, "{auth:?}: {:#?}", test.checks);
        let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
        assert_eq!(
            report
                .tables
                .iter()
                .find(|t| t.table == "customers")
                .unwrap()
                .rows_total,
            12,
            "{auth:?}"
        );
        // The generated source never holds the credential.
        let conn = s.engine.home().load(&s.id).unwrap();
        let wasm = std::fs::read(conn.component.unwrap()).unwrap();
        assert!(
            !wasm.windows(value.len()).any(|w| w == value.as_bytes()),
            "{auth:?}: the secret is in the component"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sync_of_the_same_connection_is_refused_while_one_runs() {
    let s = connection(small()).await;
    s.fixture.inject(Fault::Delay {
        count: 3,
        millis: 400,
    });
    let first = s.engine.sync(&s.id, SyncOptions::default());
    let second = async {
        while s.fixture.requests().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        s.engine.sync(&s.id, SyncOptions::default()).await
    };
    let (first, second) = tokio::join!(first, second);
    first.expect("the first sync completes");
    let err = second.expect_err("the second is refused").to_string();
    assert!(err.contains("another sync"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_table_failing_in_a_shared_walk_leaves_its_siblings_whole() {
    // The docs put the lines under `items` while the API answers `data`: in the one walk of
    // the customers list that serves invoices and lines, lines fails and drops out; invoices
    // goes on to every customer, and the run is partial naming lines only.
    let s = crate::support::connection_with(small(), |doc| {
        let list = &mut doc["components"]["schemas"]["InvoiceLineList"];
        let data = list["properties"]["data"].take();
        list["properties"]
            .as_object_mut()
            .unwrap()
            .insert("items".into(), data);
        list["properties"].as_object_mut().unwrap().remove("data");
        list["required"] = serde_json::json!(["object", "items", "has_more", "url"]);
    })
    .await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    assert_eq!(
        model.endpoint_by_table("lines").unwrap().record_path,
        ["items"]
    );
    let (err, report, failed) = crate::support::partial_sync(&s.engine, &s.id).await;
    assert_eq!(failed, ["lines"], "{err}");
    let rows = |t: &str| {
        report
            .tables
            .iter()
            .find(|x| x.table == t)
            .map_or(0, |x| x.rows_total)
    };
    assert_eq!(rows("invoices"), 120, "every customer's invoices");
    assert_eq!(rows("customers"), 60);
    // One walk of the customers list for its own table and one for both child tables.
    let walks = s
        .fixture
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/customers" && r.query_param("starting_after").is_none())
        .count();
    assert_eq!(walks, 2);
}
