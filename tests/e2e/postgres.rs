//! The whole flow into a PostgreSQL destination (`CONNECTOR_AGENT_TEST_PG`, started by
//! `scripts/pg-start`; skipped with a notice without one): Save & Test, historical and
//! incremental syncs equal to the fixture's data, typed columns, resume after a failure,
//! hashed and blocked columns.

use crate::support::fresh_pg_database;
use crate::support::{connection, connection_to, Setup};
use crate::sync::{
    committed_checkpoint, committed_query, customers_in_pages_of_ten, hex_key, normalise,
    resume_from, small, sync_broken_after_three_pages,
};
use connector_agent_fixture::FixtureConfig;
use connector_agent_sync::app::SyncOptions;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{Connection, PgConnection, Row};
use std::collections::BTreeMap;

const PASSWORD: &str = "s3cret-pw";

/// A connection on the fixture API whose destination is a fresh PostgreSQL database, given
/// with a password (the test server trusts every login, so the password only has to stay
/// out of sight), and a connection to that database.
async fn pg_connection(config: FixtureConfig) -> Option<(Setup, PgConnection, String)> {
    let url = fresh_pg_database().await?;
    let s = connection_to(config, &with_password(&url)).await;
    Some(opened(s, &url).await)
}

fn with_password(url: &str) -> String {
    let mut with_password = url::Url::parse(url).unwrap();
    with_password.set_password(Some(PASSWORD)).unwrap();
    with_password.into()
}

/// The setup, a connection to its database and its schema name.
async fn opened(s: Setup, url: &str) -> (Setup, PgConnection, String) {
    let schema = s.engine.home().load(&s.id).unwrap().schema;
    let db = PgConnection::connect(url).await.unwrap();
    (s, db, schema)
}

/// The customers table as the API's records: timestamps back to epoch seconds, JSONB as JSON.
async fn customers_in_db(db: &mut PgConnection, schema: &str) -> Vec<Value> {
    sqlx::query(&format!(
        "SELECT id, object, name, email, extract(epoch FROM created)::bigint AS created, \
         extract(epoch FROM updated)::bigint AS updated, balance, active, address, tags, \
         metadata, note FROM \"{schema}\".customers ORDER BY id"
    ))
    .fetch_all(db)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        serde_json::json!({
            "id": r.get::<String, _>("id"),
            "object": r.get::<String, _>("object"),
            "name": r.get::<String, _>("name"),
            "email": r.get::<String, _>("email"),
            "created": r.get::<i64, _>("created"),
            "updated": r.get::<i64, _>("updated"),
            "balance": r.get::<f64, _>("balance"),
            "active": r.get::<bool, _>("active"),
            "address": r.get::<Json<Value>, _>("address").0,
            "tags": r.get::<Json<Value>, _>("tags").0,
            "metadata": r.get::<Json<Value>, _>("metadata").0,
            "note": r.get::<Option<String>, _>("note"),
        })
    })
    .collect()
}

/// Every customer row in full (all columns, `_synced_at` included), by id.
async fn customer_rows(db: &mut PgConnection, schema: &str) -> BTreeMap<String, String> {
    sqlx::query(&format!(
        "SELECT id, to_jsonb(c)::text FROM \"{schema}\".customers c"
    ))
    .fetch_all(db)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_destination_syncs_history_then_only_the_changes() {
    let Some((s, mut db, schema)) = pg_connection(small()).await else {
        return;
    };
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let writable = test
        .checks
        .iter()
        .find(|c| c.name == "destination writable")
        .unwrap();
    assert!(writable.ok);
    assert!(
        writable.message.contains("127.0.0.1") && writable.message.contains(&schema),
        "{}",
        writable.message
    );
    assert!(!writable.message.contains(PASSWORD), "{}", writable.message);

    let first = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert!(!first.incremental);
    assert!(
        !first.destination.contains(PASSWORD),
        "{}",
        first.destination
    );
    let rows = |r: &connector_agent_sync::SyncReport, t: &str| {
        r.tables.iter().find(|x| x.table == t).unwrap().rows_total
    };
    assert_eq!(rows(&first, "customers"), 60);
    assert_eq!(rows(&first, "invoices"), 120);
    assert_eq!(rows(&first, "lines"), s.fixture.lines().len() as i64);
    assert_eq!(rows(&first, "products"), s.fixture.products().len() as i64);
    assert_eq!(
        normalise(customers_in_db(&mut db, &schema).await),
        normalise(s.fixture.customers())
    );
    let amounts: Vec<(String, i64)> = sqlx::query(&format!(
        "SELECT id, amount FROM \"{schema}\".invoices ORDER BY id"
    ))
    .fetch_all(&mut db)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let mut expected: Vec<(String, i64)> = s
        .fixture
        .invoices()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(amounts, expected);

    let types: BTreeMap<String, String> = sqlx::query(
        "SELECT table_name || '.' || column_name, data_type::text FROM information_schema.columns \
         WHERE table_schema = $1 AND (table_name, column_name) IN \
         (('customers', 'address'), ('customers', 'tags'), ('customers', 'created'), \
          ('customers', 'active'), ('customers', 'balance'), ('invoices', 'amount'), \
          ('customers', '_synced_at'))",
    )
    .bind(&schema)
    .fetch_all(&mut db)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let expected: BTreeMap<String, String> = [
        ("customers._synced_at", "timestamp with time zone"),
        ("customers.active", "boolean"),
        ("customers.address", "jsonb"),
        ("customers.balance", "double precision"),
        ("customers.created", "timestamp with time zone"),
        ("customers.tags", "jsonb"),
        ("invoices.amount", "bigint"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(types, expected);
    let nested: String = sqlx::query(&format!(
        "SELECT jsonb_typeof(address) FROM \"{schema}\".customers WHERE id = 'cus_000001'"
    ))
    .fetch_one(&mut db)
    .await
    .unwrap()
    .get(0);
    assert_eq!(nested, "object", "a nested object lands as a JSONB object");

    // Change three customers: only they (and the one at the inclusive cursor) are rewritten.
    let before = customer_rows(&mut db, &schema).await;
    let previous_max = s
        .fixture
        .customers()
        .iter()
        .map(|c| c["updated"].as_i64().unwrap())
        .max()
        .unwrap();
    let touched = ["cus_000003", "cus_000017", "cus_000042"];
    s.fixture.touch_customers(&touched);
    let second = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert!(second.incremental);
    let synced = second
        .tables
        .iter()
        .find(|t| t.table == "customers")
        .unwrap()
        .rows_synced;
    assert_eq!(synced, 4, "3 changed + the one at the saved cursor");
    let after = customer_rows(&mut db, &schema).await;
    assert_eq!(after.len(), 60);
    let changed: Vec<&str> = after
        .iter()
        .filter(|(id, row)| before.get(*id) != Some(row))
        .map(|(id, _)| id.as_str())
        .collect();
    let at_cursor: Vec<String> = s
        .fixture
        .customers()
        .iter()
        .filter(|c| c["updated"].as_i64() == Some(previous_max))
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    for id in &changed {
        assert!(
            touched.contains(id) || at_cursor.iter().any(|c| c == id),
            "{id} was not touched but changed"
        );
    }
    for id in touched {
        assert!(changed.contains(&id), "{id} was touched: {changed:?}");
    }
    assert_eq!(
        normalise(customers_in_db(&mut db, &schema).await),
        normalise(s.fixture.customers())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_failure_midway_keeps_the_last_checkpoint_and_resumes() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    let s = customers_in_pages_of_ten(Some(&with_password(&url))).await;
    let (s, mut db, schema) = opened(s, &url).await;
    let err = sync_broken_after_three_pages(&s).await;
    assert!(err.to_string().contains("not valid JSON"), "{err}");

    let row = sqlx::query(&committed_query(&format!("\"{schema}\".")))
        .fetch_one(&mut db)
        .await
        .unwrap();
    let resume_after = committed_checkpoint(row.get(0), row.get(1), row.get(2));

    resume_from(&s, &resume_after).await;
    assert_eq!(
        normalise(customers_in_db(&mut db, &schema).await),
        normalise(s.fixture.customers())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_blocked_columns_are_absent_and_hashed_columns_hold_hashes() {
    let Some((s, mut db, schema)) = pg_connection(small()).await else {
        return;
    };
    s.engine
        .customize(&s.id, |c| {
            c.blocked_columns
                .entry("customers".into())
                .or_default()
                .insert("email".into());
            c.hashed_columns
                .entry("customers".into())
                .or_default()
                .insert("name".into());
        })
        .unwrap();
    s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let cols: Vec<String> = sqlx::query(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = 'customers'",
    )
    .bind(&schema)
    .fetch_all(&mut db)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert!(cols.contains(&"name".to_string()), "{cols:?}");
    assert!(!cols.contains(&"email".to_string()), "{cols:?}");
    let key = hex_key(&s);
    let rows = sqlx::query(&format!(
        "SELECT id, name FROM \"{schema}\".customers ORDER BY id"
    ))
    .fetch_all(&mut db)
    .await
    .unwrap();
    let customers = s.fixture.customers();
    assert_eq!(rows.len(), customers.len());
    for (row, customer) in rows.iter().zip(&customers) {
        assert_eq!(row.get::<String, _>(0), customer["id"].as_str().unwrap());
        let stored: String = row.get(1);
        assert_ne!(stored, customer["name"].as_str().unwrap());
        assert_eq!(
            Value::String(stored),
            connector_agent_sync::policy::hash_value(&key, &customer["name"])
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_password_is_kept_encrypted_apart_and_given_back_to_the_server() {
    use crate::support::{fresh_pg_database_owned_by, PG_PASSWORD_USER};
    let (user, password) = PG_PASSWORD_USER;
    let Some(url) = fresh_pg_database_owned_by(Some(user)).await else {
        return;
    };
    let mut right = url::Url::parse(&url).unwrap();
    right.set_password(Some(password)).unwrap();
    let s = connection_to(small(), right.as_str()).await;
    let conn = s.engine.home().load(&s.id).unwrap();
    assert!(
        !conn.destination.contains(password),
        "the stored destination holds the password: {}",
        conn.destination
    );
    // The server demands the password from this role: passing checks prove it was given back.
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(report.ok, "{report:?}");
    let synced = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert!(synced.rows > 0);
    let text = serde_json::to_string(&(&report, &synced, &conn)).unwrap();
    assert!(!text.contains(password), "the password is printed");
    for file in std::fs::read_dir(s._home.path()).unwrap() {
        let Ok(bytes) = std::fs::read(file.unwrap().path()) else {
            continue;
        };
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "the password is readable in the data directory"
        );
    }

    // A wrong password fails the destination check, named, without showing the password.
    let mut wrong = url::Url::parse(&url).unwrap();
    wrong.set_password(Some("not-the-password")).unwrap();
    let s = connection_to(small(), wrong.as_str()).await;
    let report = s.engine.test(&s.id).await.unwrap();
    let dest = report
        .checks
        .iter()
        .find(|c| c.name == "destination writable")
        .unwrap();
    assert!(!dest.ok);
    assert!(
        dest.message.contains("password authentication failed"),
        "{}",
        dest.message
    );
    assert!(
        !dest.message.contains("not-the-password"),
        "{}",
        dest.message
    );
    // The wrong (or rotated) password is changed in setup like any secret, and the test passes.
    s.engine
        .set_config(&s.id, &[("destination_password".into(), password.into())])
        .unwrap();
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(report.ok, "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_value_is_not_a_value() {
    let s = connection(small()).await;
    s.engine
        .set_config(&s.id, &[("token".into(), "  ".into())])
        .unwrap();
    assert_eq!(s.engine.missing_config(&s.id).unwrap(), ["token"]);
    let err = s
        .engine
        .set_config(&s.id, &[("destination_password".into(), "x".into())])
        .expect_err("no password for a SQLite destination");
    assert!(err.to_string().contains("PostgreSQL"), "{err}");
}
