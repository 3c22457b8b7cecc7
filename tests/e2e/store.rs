//! The metadata store: connections, models, secrets, jobs and sync history outlive the
//! process, secrets are encrypted at rest, and PostgreSQL works as well as SQLite.

use crate::support::{cache_dir, fresh_pg_database, target_dir};
use connector_agent_fixture::{FixtureConfig, FixtureServer};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::{App, Workspace};

const SECRET: &str = "test-token";

/// Generates, configures, tests and syncs a fixture connection in `home`, then checks that a
/// second `Workspace` over the same store (another process, in effect) sees all of it.
async fn lifecycle(fixture: &FixtureServer, dir: &std::path::Path, home: impl Fn() -> Workspace) {
    let spec = dir.join("fixture-openapi.json");
    std::fs::write(&spec, serde_json::to_vec(&fixture.openapi()).unwrap()).unwrap();
    let engine = App::new(home(), &cache_dir(), &target_dir()).unwrap();
    let conn = engine.create("Store Test", &[spec], None).unwrap();
    tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {})).unwrap();
    engine
        .set_config(&conn.id, &[("token".into(), SECRET.into())])
        .unwrap();
    engine
        .select(&conn.id, &[], &["tickets".into()], &[])
        .unwrap();
    tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {})).unwrap();
    let test = engine.test(&conn.id).await.unwrap();
    assert!(test.ok, "{test:?}");
    let report = engine.sync(&conn.id, SyncOptions::default()).await.unwrap();
    assert!(report.rows > 0);

    let again = App::new(home(), &cache_dir(), &target_dir()).unwrap();
    let loaded = again.home().load(&conn.id).unwrap();
    assert_eq!(loaded.inputs, conn.inputs);
    assert!(loaded.schema_frozen, "the successful test froze the schema");
    assert!(loaded.last_sync.is_some());
    assert_eq!(
        again.home().list().unwrap().len(),
        1,
        "one connection in this store"
    );
    let model = again.home().load_model(&conn.id).unwrap();
    assert!(
        !model.endpoint_by_table("tickets").unwrap().selected,
        "the selection is kept"
    );
    assert_eq!(
        again
            .home()
            .load_secrets(&conn.id)
            .unwrap()
            .get("token")
            .map(String::as_str),
        Some(SECRET)
    );
    assert!(
        !loaded.config.contains_key("token"),
        "the secret is not kept with the plain config"
    );
    // Keyed secret updates leave the other secrets alone (a token refresh during `setup`).
    let home2 = again.home();
    home2
        .update_secrets(&conn.id, &[("refresh_token".into(), Some("r1".into()))])
        .unwrap();
    let both = home2.load_secrets(&conn.id).unwrap();
    assert_eq!(both.get("token").map(String::as_str), Some(SECRET));
    assert_eq!(both.get("refresh_token").map(String::as_str), Some("r1"));
    home2
        .update_secrets(&conn.id, &[("refresh_token".into(), None)])
        .unwrap();
    assert!(!home2
        .load_secrets(&conn.id)
        .unwrap()
        .contains_key("refresh_token"));
    let jobs = again.home().jobs(&conn.id, 10).unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.status == "succeeded"), "{jobs:?}");
    let runs = again.home().sync_runs(&conn.id, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "succeeded");
    assert_eq!(runs[0].rows, Some(report.rows as i64));

    // A failing sync is recorded with what it committed and why.
    fixture.inject(connector_agent_fixture::Fault::Forbidden { count: 1000 });
    let err = again
        .sync(&conn.id, SyncOptions::default())
        .await
        .unwrap_err();
    fixture.clear_faults();
    let runs = again.home().sync_runs(&conn.id, 10).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].status, "failed");
    assert!(
        runs[0].error.as_deref().unwrap().contains("403"),
        "{:?} / {err}",
        runs[0].error
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_outlives_the_process_and_encrypts_secrets() {
    let fixture = FixtureServer::start(FixtureConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("home");
    lifecycle(&fixture, dir.path(), || Workspace::new(&root)).await;

    // Secrets are encrypted at rest: the token appears in no file of the data directory.
    for entry in walk(&root) {
        // SQLite's -wal/-shm files may go away as pools close; what is there is checked.
        let Ok(bytes) = std::fs::read(&entry) else {
            continue;
        };
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the secret is readable in {}",
            entry.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("store.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    // Without the right key, secrets cannot be read; the error says what to do.
    std::fs::write(root.join("store.key"), "00".repeat(32)).unwrap();
    let other = Workspace::new(&root);
    let err = other.load_secrets("store-test").unwrap_err().to_string();
    assert!(
        err.contains("store.key") && err.contains("setup store-test"),
        "{err}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store_holds_the_whole_lifecycle() {
    let Some(pg) = fresh_pg_database().await else {
        return;
    };
    let fixture = FixtureServer::start(FixtureConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("home");
    lifecycle(&fixture, dir.path(), || {
        Workspace::with_store(&root, pg.clone())
    })
    .await;
    assert!(
        !root.join("metadata.sqlite").exists(),
        "nothing went to the default SQLite store"
    );
    // The secret is stored encrypted in PostgreSQL.
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&pg).await.unwrap();
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT name, value FROM config WHERE secret = 1")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert!(stored.iter().any(|(n, _)| n == "token"), "{stored:?}");
    assert!(stored.iter().all(|(_, v)| !v.contains(SECRET)));
}

#[test]
fn connections_kept_as_json_files_by_the_earlier_version_are_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("connections/old-api");
    std::fs::create_dir_all(&folder).unwrap();
    // The files as the earlier version wrote them.
    std::fs::write(
        folder.join("connection.json"),
        r#"{"id":"old-api","name":"Old API","inputs":[{"kind":"openapi","location":"/specs/old.yaml"}],
            "destination":"postgres://etl:legacy-pw-2@db.example/wh","schema":"old_api","schema_frozen":true,
            "phase":"ready","config":{"base_url":"https://api.old.example"},
            "last_sync":"2026-11-01T10:00:00Z","customization":{"blocked_tables":["events"]}}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("model.json"),
        r#"{"name":"Old API","servers":["https://api.old.example"],"endpoints":[]}"#,
    )
    .unwrap();
    std::fs::write(
        folder.join("secrets.json"),
        r#"{"api_key":"legacy-secret-1"}"#,
    )
    .unwrap();

    let home = Workspace::new(dir.path());
    let conn = home.load("old-api").unwrap();
    assert_eq!(conn.schema, "old_api");
    assert!(conn.schema_frozen);
    assert_eq!(conn.config["base_url"], "https://api.old.example");
    assert!(conn.customization.blocked_tables.contains("events"));
    assert_eq!(
        conn.inputs,
        [connector_agent_sync::Input::Openapi(
            "/specs/old.yaml".into()
        )]
    );
    assert_eq!(conn.destination, "postgres://etl@db.example/wh");
    assert_eq!(
        home.load_secrets("old-api").unwrap()["_destination_password"],
        "legacy-pw-2"
    );
    let kept = std::fs::read_to_string(folder.join("connection.json.imported")).unwrap();
    assert!(!kept.contains("legacy-pw-2"), "{kept}");
    assert_eq!(home.load_model("old-api").unwrap().name, "Old API");
    assert_eq!(
        home.load_secrets("old-api").unwrap()["api_key"],
        "legacy-secret-1"
    );
    assert!(
        !folder.join("secrets.json").exists(),
        "the plaintext secrets file is removed once imported"
    );
    assert!(folder.join("connection.json.imported").exists());
    assert!(!folder.join("connection.json").exists());
    // A second open does not import again (nothing left to import, nothing duplicated), and a
    // leftover file never overwrites what the store holds now.
    home.modify("old-api", |c| c.schema = "renamed_since".into())
        .unwrap();
    std::fs::copy(
        folder.join("connection.json.imported"),
        folder.join("connection.json"),
    )
    .unwrap();
    let again = Workspace::new(dir.path());
    assert_eq!(again.list().unwrap().len(), 1);
    assert_eq!(again.load("old-api").unwrap().schema, "renamed_since");
}
