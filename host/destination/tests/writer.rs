//! The writer's public API on both backends: the same behaviour from SQLite and PostgreSQL
//! (PostgreSQL when `CONNECTOR_AGENT_TEST_PG` names a server, see `scripts/pg-start`).

use connector_agent_destination::{
    ColumnSpec, DestinationUrl, Error, SqlType, TableSpec, Writer, STATE_TABLE,
};
use sqlx::{Connection, Row};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh database on the test server, or `None` (with a notice) when there is none and
/// none is required.
async fn fresh_pg_database() -> Option<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let Ok(admin) = std::env::var("CONNECTOR_AGENT_TEST_PG") else {
        assert!(
            std::env::var_os("CONNECTOR_AGENT_REQUIRE_PG").is_none(),
            "CONNECTOR_AGENT_REQUIRE_PG is set but CONNECTOR_AGENT_TEST_PG is not"
        );
        #[expect(
            clippy::print_stderr,
            reason = "a skipped test says why, on the test's own output"
        )]
        {
            eprintln!("skipped: no PostgreSQL (set CONNECTOR_AGENT_TEST_PG, see scripts/pg-start)");
        }
        return None;
    };
    let name = format!(
        "ca_dest_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{name}"))
}

fn col(name: &str, ty: SqlType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        ty,
    }
}

fn customers() -> TableSpec {
    TableSpec {
        name: "customers".into(),
        columns: vec![
            col("id", SqlType::Text),
            col("name", SqlType::Text),
            col("visits", SqlType::Integer),
            col("address", SqlType::Json),
        ],
        primary_key: vec!["id".into()],
    }
}

fn events() -> TableSpec {
    TableSpec {
        name: "events".into(),
        columns: vec![col("kind", SqlType::Text)],
        primary_key: vec![],
    }
}

/// The behaviour both backends share, through the public API only.
async fn writer_contract(url: DestinationUrl) {
    let mut w = Writer::open(&url, "shop").await.unwrap();
    w.check_writable().await.unwrap();
    assert!(w.existing_columns("customers").await.unwrap().is_empty());
    assert_eq!(w.load_state().await.unwrap(), None);
    let added = w.prepare(&[customers(), events()]).await.unwrap();
    assert!(added.is_empty(), "new tables are created, not altered");
    assert_eq!(
        w.existing_columns("customers").await.unwrap(),
        ["id", "name", "visits", "address", "_synced_at"]
    );

    let page1 = br#"[{"id":"c1","name":"Ann","visits":1,"address":{"city":"Oslo"}},
                     {"id":"c2","name":"Bob","visits":2,"address":null},
                     {"id":"c1","name":"Ann B","visits":3,"address":{"city":"Bergen"}}]"#;
    let stats = w
        .commit(
            &[
                ("customers".into(), page1.to_vec()),
                ("events".into(), br#"[{"kind":"a"},{"kind":"a"}]"#.to_vec()),
            ],
            r#"{"page":1}"#,
            "2024-05-01T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(stats.rows["events"], 2);
    assert_eq!(
        w.count("customers").await.unwrap(),
        2,
        "c1 twice is one row"
    );
    assert_eq!(w.count("events").await.unwrap(), 2);
    assert_eq!(
        w.load_state().await.unwrap(),
        Some((r#"{"page":1}"#.to_string(), 1))
    );

    // Upsert by key; a table without a key is appended to.
    w.commit(
        &[
            (
                "customers".into(),
                br#"[{"id":"c2","name":"Bobby","visits":5}]"#.to_vec(),
            ),
            ("events".into(), br#"[{"kind":"a"}]"#.to_vec()),
        ],
        r#"{"page":2}"#,
        "2024-05-01T10:01:00Z",
    )
    .await
    .unwrap();
    assert_eq!(w.count("customers").await.unwrap(), 2);
    assert_eq!(w.count("events").await.unwrap(), 3);
    assert_eq!(
        w.load_state().await.unwrap(),
        Some((r#"{"page":2}"#.to_string(), 2))
    );

    // A commit that fails halfway writes nothing, rows or state.
    let err = w
        .commit(
            &[
                ("customers".into(), br#"[{"id":"c3","name":"Cy"}]"#.to_vec()),
                ("nope".into(), b"[]".to_vec()),
            ],
            r#"{"page":3}"#,
            "2024-05-01T10:02:00Z",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownTable(ref t) if t == "nope"),
        "{err}"
    );
    let err = w
        .commit(
            &[
                ("customers".into(), br#"[{"id":"c3","name":"Cy"}]"#.to_vec()),
                ("events".into(), b"not json".to_vec()),
            ],
            r#"{"page":3}"#,
            "2024-05-01T10:02:00Z",
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("loading records into `events`"),
        "{err}"
    );
    assert_eq!(w.count("customers").await.unwrap(), 2, "c3 was rolled back");
    assert_eq!(
        w.load_state().await.unwrap(),
        Some((r#"{"page":2}"#.to_string(), 2))
    );

    // A column that appears later is added; the state survives reopening.
    w.close().await.unwrap();
    let mut w = Writer::open(&url, "shop").await.unwrap();
    let mut wider = customers();
    wider.columns.push(col("tier", SqlType::Text));
    let added = w.prepare(&[wider, events()]).await.unwrap();
    assert_eq!(
        added,
        vec![("customers".to_string(), vec!["tier".to_string()])]
    );
    w.commit(
        &[(
            "customers".into(),
            br#"[{"id":"c4","name":"Di","tier":"gold"}]"#.to_vec(),
        )],
        r#"{"page":4}"#,
        "2024-05-01T10:03:00Z",
    )
    .await
    .unwrap();
    assert_eq!(w.count("customers").await.unwrap(), 3);
    assert_eq!(w.load_state().await.unwrap().unwrap().1, 3);
    w.clear_state().await.unwrap();
    assert_eq!(w.load_state().await.unwrap(), None);
    w.close().await.unwrap();
}

/// A keyless table keyed by a hash of the record never gains a duplicate on a re-sync, also
/// when it was first created without a key (by an earlier version); identical records of one
/// read are distinct rows, the same ones on every re-read. Each sync opens its own writer.
async fn keyless_rows_are_never_duplicated(url: DestinationUrl) {
    let mut w = Writer::open(&url, "keyless").await.unwrap();
    // As an earlier version made it: no key, one row already there.
    w.prepare(&[events()]).await.unwrap();
    w.commit(
        &[("events".into(), br#"[{"kind":"old"}]"#.to_vec())],
        "{}",
        "2024-05-01T10:00:00Z",
    )
    .await
    .unwrap();
    w.close().await.unwrap();
    let keyed = events().keyed_by_row_id_if_keyless();
    assert!(keyed.keyed_by_row_id());
    let sync = |pages: Vec<&'static [u8]>| {
        let url = url.clone();
        let keyed = keyed.clone();
        async move {
            let mut w = Writer::open(&url, "keyless").await.unwrap();
            w.prepare(std::slice::from_ref(&keyed)).await.unwrap();
            for page in pages {
                w.commit(
                    &[("events".into(), page.to_vec())],
                    "{}",
                    "2024-05-01T10:01:00Z",
                )
                .await
                .unwrap();
            }
            let n = w.count("events").await.unwrap();
            w.close().await.unwrap();
            n
        }
    };
    for _ in 0..3 {
        // The same read again (fields in another order) is the same rows.
        assert_eq!(
            sync(vec![br#"[{"kind":"a"},{"kind":"b"}]"#]).await,
            3,
            "old + a + b"
        );
    }
    // Two equal records (one on each page, then both on one page) are two rows, every time.
    let two_pages: Vec<&'static [u8]> =
        vec![br#"[{"kind":"a"},{"kind":"c"}]"#, br#"[{"kind":"c"}]"#];
    assert_eq!(sync(two_pages.clone()).await, 5, "old + a + b + c + c");
    assert_eq!(sync(two_pages).await, 5, "a re-read adds nothing");
    assert_eq!(
        sync(vec![br#"[{"b":1,"kind":"a"},{"kind":"c"},{"kind":"c"}]"#]).await,
        6,
        "a changed record is a new row; the copies of `c` are the same two rows"
    );
}

#[tokio::test]
async fn sqlite_keyless_rows_are_never_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    keyless_rows_are_never_duplicated(DestinationUrl::Sqlite(dir.path().join("warehouse.sqlite")))
        .await;
}

#[tokio::test]
async fn postgres_keyless_rows_are_never_duplicated() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    keyless_rows_are_never_duplicated(DestinationUrl::parse(&url).unwrap()).await;
}

#[tokio::test]
async fn sqlite_writer_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    writer_contract(DestinationUrl::Sqlite(dir.path().join("warehouse.sqlite"))).await;
}

#[tokio::test]
async fn postgres_writer_keeps_the_contract() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    writer_contract(DestinationUrl::parse(&url).unwrap()).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(
        tables,
        [STATE_TABLE, "customers", "events"],
        "all inside the schema"
    );
    let row = sqlx::query("SELECT name, visits, address FROM shop.customers WHERE id = 'c1'")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(
        row.get::<String, _>(0),
        "Ann B",
        "the last record of a page wins"
    );
    assert_eq!(row.get::<i64, _>(1), 3);
    assert_eq!(
        row.get::<sqlx::types::Json<serde_json::Value>, _>(2).0,
        serde_json::json!({"city": "Bergen"})
    );
}

#[tokio::test]
async fn postgres_columns_are_typed_and_bad_values_become_null() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    let dest = DestinationUrl::parse(&url).unwrap();
    let mut w = Writer::open(&dest, "typed").await.unwrap();
    let spec = TableSpec {
        name: "things".into(),
        columns: vec![
            col("id", SqlType::Integer),
            col("n", SqlType::Integer),
            col("x", SqlType::Real),
            col("ok", SqlType::Boolean),
            col("at", SqlType::Timestamp),
            col("doc", SqlType::Json),
            col("label", SqlType::Text),
        ],
        primary_key: vec!["id".into()],
    };
    w.prepare(std::slice::from_ref(&spec)).await.unwrap();
    let page = br#"[
        {"id":1,"n":7,"x":1.5,"ok":true,"at":"2024-02-28T10:00:00+02:00","doc":{"a":[1,2]},"label":"plain"},
        {"id":"2","n":"12","x":"2.25","ok":"false","at":1700000000,"doc":[1],"label":{"nested":true}},
        {"id":3.0,"n":12.5,"x":"abc","ok":"maybe","at":"2024-02-30T00:00:00Z","doc":"text","label":5},
        {"id":4,"n":99999999999999999999,"x":1e400,"ok":1,"at":"now","doc":null,"label":null},
        {"n":1,"label":"no key"},
        {"id":"five","label":"a key that is not an integer"}
    ]"#;
    let stats = w
        .commit(
            &[("things".into(), page.to_vec())],
            "{}",
            "2024-05-01T10:00:00Z",
        )
        .await
        .expect("bad values never fail the page");
    assert_eq!(
        stats.rows["things"], 4,
        "records without a usable key are skipped"
    );
    assert_eq!(
        stats.skipped_without_key.get("things"),
        Some(&2),
        "and counted, so the sync report can say so"
    );
    w.close().await.unwrap();

    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let types: Vec<(String, String)> = sqlx::query(
        "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = 'typed' AND table_name = 'things' ORDER BY ordinal_position",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let expected = [
        ("id", "bigint"),
        ("n", "bigint"),
        ("x", "double precision"),
        ("ok", "boolean"),
        ("at", "timestamp with time zone"),
        ("doc", "jsonb"),
        ("label", "text"),
        ("_synced_at", "timestamp with time zone"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(types, expected);
    let rows = sqlx::query(
        "SELECT id, n, x, ok, extract(epoch FROM at)::bigint, doc::text, label, extract(epoch FROM _synced_at)::bigint FROM typed.things ORDER BY id",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    type Got = (
        i64,
        Option<i64>,
        Option<f64>,
        Option<bool>,
        Option<i64>,
        Option<String>,
        Option<String>,
        i64,
    );
    let got: Vec<Got> = rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
            )
        })
        .collect();
    let synced = 1_714_557_600;
    assert_eq!(
        got,
        vec![
            (
                1,
                Some(7),
                Some(1.5),
                Some(true),
                Some(1_709_107_200),
                Some(r#"{"a": [1, 2]}"#.into()),
                Some("plain".into()),
                synced
            ),
            (
                2,
                Some(12),
                Some(2.25),
                Some(false),
                Some(1_700_000_000),
                Some("[1]".into()),
                Some(r#"{"nested": true}"#.into()),
                synced
            ),
            (
                3,
                None,
                None,
                None,
                None,
                Some(r#""text""#.into()),
                Some("5".into()),
                synced
            ),
            (4, None, None, Some(true), None, None, None, synced),
        ]
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_named_without_its_password() {
    // Port 1 on the loopback refuses at once.
    let dest = DestinationUrl::parse("postgres://alice:s3cret@127.0.0.1:1/warehouse").unwrap();
    let err = Writer::open(&dest, "billing").await.err().expect("refused");
    let mut chain = err.to_string();
    let mut cur = std::error::Error::source(&err);
    while let Some(c) = cur {
        chain.push_str(&format!(": {c}"));
        cur = c.source();
    }
    assert!(
        chain.starts_with(
            "destination `postgres://alice@127.0.0.1:1/warehouse schema billing`: connecting failed"
        ),
        "{chain}"
    );
    assert!(!chain.contains("s3cret"), "{chain}");
    assert!(!format!("{dest:?}").contains("s3cret"));
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_warehouse_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let url = DestinationUrl::Sqlite(dir.path().join("new").join("warehouse.sqlite"));
    let mut w = Writer::open(&url, "shop").await.unwrap();
    w.check_writable().await.unwrap();
    for entry in std::fs::read_dir(dir.path().join("new")).unwrap() {
        let p = entry.unwrap().path();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", p.display());
    }
    let mode = std::fs::metadata(dir.path().join("new"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700, "the folder made for it is private");
    w.close().await.unwrap();
}

/// Reads one column of one row as text, on either backend, bypassing the writer.
async fn read_text(
    url: &DestinationUrl,
    schema: &str,
    table: &str,
    column: &str,
    id: &str,
) -> Option<String> {
    let col = connector_agent_destination::quote_ident(column);
    match url {
        DestinationUrl::Sqlite(p) => {
            let file = DestinationUrl::sqlite_schema_file(p, schema);
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", file.display()))
                .await
                .unwrap();
            sqlx::query(&format!(
                "SELECT CAST({col} AS TEXT) FROM \"{table}\" WHERE id = ?1"
            ))
            .bind(id)
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0)
        }
        DestinationUrl::Postgres(u) => {
            let mut c = sqlx::PgConnection::connect(u).await.unwrap();
            sqlx::query(&format!(
                "SELECT CAST({col} AS TEXT) FROM \"{schema}\".\"{table}\" WHERE id = $1"
            ))
            .bind(id)
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0)
        }
    }
}

/// Runs raw SQL on a schema, bypassing the writer (to build what older versions left).
async fn raw(url: &DestinationUrl, schema: &str, sql: &str) {
    match url {
        DestinationUrl::Sqlite(p) => {
            let file = DestinationUrl::sqlite_schema_file(p, schema);
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", file.display()))
                .await
                .unwrap();
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
        }
        DestinationUrl::Postgres(u) => {
            let mut c = sqlx::PgConnection::connect(u).await.unwrap();
            sqlx::raw_sql(&format!("SET search_path TO \"{schema}\"; {sql}"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

/// Record keys with `"`, NUL, `\`, case twins, two 100-byte keys equal in their first 63
/// bytes, and a table of 100,000 keys: every table is created, every value lands in the
/// column its key maps to, and a table an older version could no longer alter is repaired.
async fn hostile_keys(url: DestinationUrl) {
    let long_a = format!("{}_a", "k".repeat(98));
    let long_b = format!("{}_b", "k".repeat(98));
    let keys: Vec<&str> = vec![
        "a\"b", "a\u{0}b", "a\\b", "ID", "id", "Name", &long_a, &long_b, "",
    ];
    let spec = TableSpec {
        name: "odd".into(),
        columns: keys.iter().map(|k| col(k, SqlType::Text)).collect(),
        primary_key: vec!["id".into()],
    };
    let mut w = Writer::open(&url, "hostile").await.unwrap();
    w.prepare(std::slice::from_ref(&spec)).await.unwrap();
    let record: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .map(|k| {
            (
                k.to_string(),
                serde_json::Value::String(format!("v:{}", k.len())),
            )
        })
        .collect();
    let mut record = serde_json::Value::Object(record);
    record["id"] = "r1".into();
    record["ID"] = "upper".into();
    record["a\"b"] = "quote".into();
    record["a\u{0}b"] = "nul".into();
    record["a\\b"] = "backslash".into();
    record[&long_a] = "long a".into();
    record[&long_b] = "long b".into();
    let page = serde_json::to_vec(&[record]).unwrap();
    let stats = w
        .commit(&[("odd".into(), page)], "{}", "2024-05-01T10:00:00Z")
        .await
        .unwrap();
    assert_eq!(stats.rows["odd"], 1);
    let existing = w.existing_columns("odd").await.unwrap();
    let layout = spec.layout(&existing);
    let column = |key: &str| {
        layout
            .columns
            .iter()
            .find(|c| c.key == key)
            .unwrap_or_else(|| panic!("{key:?} has a column"))
            .name
            .clone()
    };
    let mut folded = std::collections::HashSet::new();
    for c in &layout.columns {
        assert!(
            c.name.len() <= 63 && !c.name.contains(['"', '\0']),
            "{:?}",
            c.name
        );
        assert!(
            folded.insert(c.name.to_ascii_lowercase()),
            "{} twice",
            c.name
        );
        assert!(existing.contains(&c.name), "{} exists", c.name);
    }
    assert_eq!(column("id"), "id");
    assert_eq!(column("Name"), "Name");
    for (key, want) in [
        ("id", "r1"),
        ("ID", "upper"),
        ("a\"b", "quote"),
        ("a\u{0}b", "nul"),
        ("a\\b", "backslash"),
        (long_a.as_str(), "long a"),
        (long_b.as_str(), "long b"),
        ("Name", "v:4"),
        ("", "v:0"),
    ] {
        assert_eq!(
            read_text(&url, "hostile", "odd", &column(key), "r1")
                .await
                .as_deref(),
            Some(want),
            "{key:?} in {}",
            column(key)
        );
    }

    // 100,000 keys: the first 500 columns are created, in bounded time.
    let wide = TableSpec {
        name: "wide".into(),
        columns: std::iter::once(col("id", SqlType::Text))
            .chain((0..100_000).map(|i| col(&format!("k{i:06}"), SqlType::Text)))
            .collect(),
        primary_key: vec!["id".into()],
    };
    let started = std::time::Instant::now();
    w.prepare(std::slice::from_ref(&wide)).await.unwrap();
    let mut record = serde_json::Map::new();
    record.insert("id".into(), "r1".into());
    for i in 0..100_000 {
        record.insert(format!("k{i:06}"), i.into());
    }
    let page = serde_json::to_vec(&[record]).unwrap();
    w.commit(&[("wide".into(), page)], "{}", "2024-05-01T10:00:00Z")
        .await
        .unwrap();
    // Preparing again (the next sync) reads 500 columns and adds none.
    let again = w.prepare(std::slice::from_ref(&wide)).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs() < 20, "100,000 keys took {elapsed:?}");
    let cols = w.existing_columns("wide").await.unwrap();
    assert_eq!(cols.len(), connector_agent_destination::MAX_COLUMNS);
    assert_eq!(
        read_text(&url, "hostile", "wide", "k000007", "r1")
            .await
            .as_deref(),
        Some("7")
    );

    // A table an older version left behind: `id` exists, and adding `ID` (SQLite) or a
    // NUL key failed every sync. Now it is altered with the sanitised names.
    raw(
        &url,
        "hostile",
        "CREATE TABLE \"legacy\" (\"id\" TEXT PRIMARY KEY, \"name\" TEXT, \"_synced_at\" TEXT)",
    )
    .await;
    let legacy = TableSpec {
        name: "legacy".into(),
        columns: ["id", "name", "ID", "a\u{0}b"]
            .iter()
            .map(|k| col(k, SqlType::Text))
            .collect(),
        primary_key: vec!["id".into()],
    };
    let added = w.prepare(std::slice::from_ref(&legacy)).await.unwrap();
    assert_eq!(
        added,
        [(
            "legacy".to_string(),
            vec!["ID".to_string(), "a\u{0}b".to_string()]
        )]
    );
    let page = br#"[{"id":"r1","name":"n","ID":"up","a\u0000b":"z"}]"#.to_vec();
    w.commit(&[("legacy".into(), page)], "{}", "2024-05-01T10:00:00Z")
        .await
        .unwrap();
    let layout = legacy.layout(&w.existing_columns("legacy").await.unwrap());
    let name_of = |key: &str| {
        layout
            .columns
            .iter()
            .find(|c| c.key == key)
            .unwrap()
            .name
            .clone()
    };
    assert_eq!(
        read_text(&url, "hostile", "legacy", &name_of("ID"), "r1")
            .await
            .as_deref(),
        Some("up")
    );
    assert_eq!(
        read_text(&url, "hostile", "legacy", "name", "r1")
            .await
            .as_deref(),
        Some("n")
    );
    w.close().await.unwrap();
}

#[tokio::test]
async fn sqlite_hostile_keys_land_in_sanitised_columns() {
    let dir = tempfile::tempdir().unwrap();
    hostile_keys(DestinationUrl::Sqlite(dir.path().join("warehouse.sqlite"))).await;
}

#[tokio::test]
async fn postgres_hostile_keys_land_in_sanitised_columns() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    hostile_keys(DestinationUrl::parse(&url).unwrap()).await;
}
