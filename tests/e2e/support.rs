//! Shared helpers: a temporary data directory with an engine, a fixture-backed connection.

use connector_agent_fixture::{FixtureConfig, FixtureServer};
use connector_agent_sync::app::{SyncOptions, SyncReport};
use connector_agent_sync::{App, Error, Workspace};
use std::path::PathBuf;
use tempfile::TempDir;

/// The shared cache (SDK, components) and cargo target dir, so connectors compile once.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("CONNECTOR_AGENT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/connector-agent-cache")
        })
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CONNECTOR_AGENT_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("target"))
}

pub struct Setup {
    pub fixture: FixtureServer,
    pub engine: App,
    pub id: String,
    pub _home: TempDir,
}

/// Starts a fixture, writes its OpenAPI document, generates and compiles the connector,
/// and sets the fixture's bearer token.
pub async fn connection(config: FixtureConfig) -> Setup {
    connection_with(config, |_| {}).await
}

/// As [`connection`], from the fixture's OpenAPI document after `edit` (docs that disagree
/// with the API).
pub async fn connection_with(
    config: FixtureConfig,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Setup {
    connection_full(config, edit, None).await
}

/// As [`connection`], writing to `destination` (a `sqlite:` or `postgres://` URL).
pub async fn connection_to(config: FixtureConfig, destination: &str) -> Setup {
    connection_full(config, |_| {}, Some(destination)).await
}

async fn connection_full(
    config: FixtureConfig,
    edit: impl FnOnce(&mut serde_json::Value),
    destination: Option<&str>,
) -> Setup {
    let fixture = FixtureServer::start(config).await.expect("fixture starts");
    let home = tempfile::tempdir().expect("tempdir");
    let spec = home.path().join("fixture-openapi.json");
    let mut doc = fixture.openapi();
    edit(&mut doc);
    std::fs::write(&spec, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let engine =
        App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).expect("engine");
    let conn = engine
        .create("Fixture Billing", &[spec], destination)
        .expect("create");
    tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {})).expect("setup");
    let model = engine.home().load_model(&conn.id).expect("model");
    if model.config.iter().any(|f| f.name == "token") {
        engine
            .set_config(&conn.id, &[("token".into(), "test-token".into())])
            .expect("config");
    }
    Setup {
        fixture,
        engine,
        id: conn.id,
        _home: home,
    }
}

/// Opens the connection's SQLite schema file.
pub async fn db(setup: &Setup) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let conn = setup.engine.home().load(&setup.id).unwrap();
    let path = conn.describe_destination();
    sqlx::SqliteConnection::connect(&format!("sqlite:{path}"))
        .await
        .expect("open destination")
}

/// A fresh database on the test PostgreSQL server (`CONNECTOR_AGENT_TEST_PG`, started by
/// `scripts/pg-start`), or `None` when there is none and none is required.
pub async fn fresh_pg_database() -> Option<String> {
    fresh_pg_database_owned_by(None).await
}

/// The password-protected role `scripts/pg-start` makes, and its password.
pub const PG_PASSWORD_USER: (&str, &str) = ("ca_password_user", "ca-test-password");

/// A fresh database owned by `owner` (its URL names that user, without a password), or by
/// the admin user.
pub async fn fresh_pg_database_owned_by(owner: Option<&str>) -> Option<String> {
    use sqlx::Connection;
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
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "ca_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    let owner_clause = owner.map(|o| format!(" OWNER {o}")).unwrap_or_default();
    sqlx::query(&format!("CREATE DATABASE {name}{owner_clause}"))
        .execute(&mut c)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    if let Some(owner) = owner {
        url.set_username(owner).unwrap();
    }
    Some(url.to_string())
}

/// LibreOffice's command (`soffice`), or `None` when it is not installed and not required
/// (`CONNECTOR_AGENT_REQUIRE_OFFICE`, as CI sets it).
pub fn office() -> Option<&'static str> {
    let found = ["soffice", "libreoffice"].into_iter().find(|bin| {
        std::process::Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        found.is_some() || std::env::var_os("CONNECTOR_AGENT_REQUIRE_OFFICE").is_none(),
        "CONNECTOR_AGENT_REQUIRE_OFFICE is set but LibreOffice (soffice) is not installed"
    );
    found
}

/// Syncs connection `id`, which must end partial: the error, its report and the failed
/// tables in order.
pub async fn partial_sync(engine: &App, id: &str) -> (Error, SyncReport, Vec<String>) {
    let err = engine
        .sync(id, SyncOptions::default())
        .await
        .expect_err("a table fails");
    let Error::SyncPartial { report, .. } = &err else {
        panic!("not partial: {err}");
    };
    let report = (**report).clone();
    let failed = report
        .failed_tables
        .iter()
        .map(|t| t.table.clone())
        .collect();
    (err, report, failed)
}
