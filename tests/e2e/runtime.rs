//! The sandbox: imports, allow-list, CPU and memory bounds, on real components.

use crate::support::{cache_dir, connection, target_dir};
use connector_agent_fixture::FixtureConfig;
use connector_agent_runtime::{AllowList, ConfigEntry, Credentials, HttpContext, Limits, Sink};
use connector_agent_sync::{App, Workspace};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn entry(name: &str, value: &str) -> ConfigEntry {
    ConfigEntry {
        name: name.into(),
        value: value.into(),
    }
}

/// Builds the hand-written rogue connector in `tests/fixtures/rogue`.
fn rogue(engine: &App) -> PathBuf {
    let builder = engine.builder();
    let cargo = format!(
        "[package]\nname = \"rogue-connector\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nconnector-agent-sdk = {{ path = {:?} }}\n",
        builder.sdk_path_for_crates()
    );
    let lib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/rogue/src/lib.rs"
    ))
    .unwrap();
    let files = vec![
        (PathBuf::from("Cargo.toml"), cargo),
        (PathBuf::from("src/lib.rs"), lib),
    ];
    builder
        .build("rogue-connector", &files)
        .expect("the rogue connector builds")
        .component
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_component_imports_only_our_interface() {
    let s = connection(FixtureConfig::default()).await;
    let conn = s.engine.home().load(&s.id).unwrap();
    let imports = s
        .engine
        .runtime()
        .component_imports(conn.component.as_ref().unwrap())
        .unwrap();
    assert!(!imports.is_empty());
    for i in &imports {
        assert!(
            i.starts_with("connector-agent:connector/"),
            "unexpected import `{i}` in {imports:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_denies_hosts_and_stops_loops_and_memory_bombs() {
    let home = tempfile::tempdir().unwrap();
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let component = tokio::task::block_in_place(|| rogue(&engine));
    let loaded = engine.runtime().load(&component).unwrap();
    let fixture = connector_agent_fixture::FixtureServer::start(FixtureConfig::default())
        .await
        .unwrap();
    let allowed = AllowList::entry_for(&fixture.base_url()).unwrap();
    let http = Arc::new(HttpContext::new(
        AllowList::new([allowed]),
        Credentials::Bearer("test-token".into()),
    ));
    let limits = Limits {
        memory_bytes: 64 << 20,
        cpu_slice: Duration::from_secs(1),
    };

    // A host outside the allow-list is refused before any I/O.
    let denied = loaded
        .check(
            http.clone(),
            limits,
            &[entry("url", "http://127.0.0.2:9/x")],
            &[],
        )
        .await
        .unwrap();
    assert!(!denied[0].ok);
    assert!(
        denied[0].message.contains("Denied") && denied[0].message.contains("allow-list"),
        "{}",
        denied[0].message
    );
    let before = fixture.requests().len();
    let allowed = loaded
        .check(
            http.clone(),
            limits,
            &[entry(
                "url",
                &format!("{}/v1/customers", fixture.base_url()),
            )],
            &[],
        )
        .await
        .unwrap();
    assert!(allowed[0].ok, "{}", allowed[0].message);
    assert_eq!(
        allowed[0].message, "status 200",
        "the host added the credentials"
    );
    assert_eq!(fixture.requests().len(), before + 1);

    let run = |mode: &'static str| {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let loaded = loaded.clone();
        let http = http.clone();
        async move {
            loaded
                .sync(
                    http,
                    limits,
                    &[entry("mode", mode)],
                    &[],
                    None,
                    Sink {
                        events: tx,
                        closed: Arc::default(),
                    },
                )
                .await
        }
    };
    let err = run("loop")
        .await
        .expect_err("an endless loop is stopped")
        .to_string();
    assert!(err.contains("without calling the host"), "{err}");
    let err = run("bomb")
        .await
        .expect_err("a memory bomb is stopped")
        .to_string();
    assert!(
        err.contains("memory") || err.contains("unreachable") || err.contains("panicked"),
        "{err}"
    );
    let err = run("panic")
        .await
        .expect_err("a panic is a failed call")
        .to_string();
    assert!(err.contains("sync"), "{err}");
    // The host is still up and serves the next call.
    let again = loaded
        .check(http, limits, &[entry("url", "http://127.0.0.2:9/x")], &[])
        .await
        .unwrap();
    assert!(!again[0].ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_columns_never_leave_the_connector() {
    use connector_agent_runtime::{SinkEvent, TableSelection};
    let s = connection(FixtureConfig::default()).await;
    let conn = s.engine.home().load(&s.id).unwrap();
    let model = s.engine.home().load_model(&s.id).unwrap();
    let loaded = s
        .engine
        .runtime()
        .load(conn.component.as_ref().unwrap())
        .unwrap();
    let http = s.engine.http_context(&conn, &model).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let collector = tokio::spawn(async move {
        let mut batches = Vec::new();
        while let Some(event) = rx.recv().await {
            if let SinkEvent::Records { json, .. } = event {
                batches.push(String::from_utf8(json).unwrap());
            }
        }
        batches
    });
    let selection = [TableSelection {
        table: "customers".into(),
        blocked_columns: vec!["email".into()],
        full_refresh: false,
    }];
    let config = App::config_entries(&conn, &model).unwrap();
    let outcome = loaded
        .sync(
            http,
            Limits::default(),
            &config,
            &selection,
            None,
            Sink {
                events: tx,
                closed: Arc::default(),
            },
        )
        .await
        .unwrap();
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    let batches = collector.await.unwrap();
    assert!(!batches.is_empty());
    for b in &batches {
        assert!(b.contains("\"name\""), "{b}");
        assert!(
            !b.contains("\"email\"") && !b.contains("@example.com"),
            "a blocked column left the sandbox: {b}"
        );
    }
}
