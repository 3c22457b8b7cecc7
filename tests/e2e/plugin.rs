//! Hand-written connectors: `plugin new` scaffolds a crate on the SDK, `plugin build` builds
//! it where it lies and checks it; the scaffold reads a real API through the host.

use crate::support::{cache_dir, target_dir};
use connector_agent_fixture::FixtureConfig;
use connector_agent_runtime::{AllowList, ConfigEntry, Credentials, HttpContext, Limits};
use connector_agent_sync::{App, Workspace};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_scaffolded_connector_builds_passes_the_checks_and_reads_the_api() {
    let home = tempfile::tempdir().unwrap();
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let dir = home.path().join("acme");
    let written = engine.plugin_new("Acme Billing", &dir).unwrap();
    assert!(
        written.iter().any(|p| p.ends_with("src/lib.rs")),
        "{written:?}"
    );
    // A directory that holds files is never written into.
    let again = engine
        .plugin_new("Acme Billing", &dir)
        .unwrap_err()
        .to_string();
    assert!(again.contains("not empty"), "{again}");

    let report = engine.plugin_build(&dir).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    assert_eq!(report.crate_name, "connector-acme-billing");
    assert_eq!(report.tables, ["customers"]);
    assert_eq!(report.config_fields, ["base_url", "token"]);
    assert!(report
        .imports
        .iter()
        .all(|i| i.starts_with("connector-agent:connector/")));
    assert_eq!(report.sha256.len(), 64);
    // The same sources are not compiled again.
    let cached = engine.plugin_build(&dir).await.unwrap();
    assert!(cached.cached && cached.sha256 == report.sha256);

    // The scaffold's table is the fixture API's customers list: its first page is read
    // through the host, which adds the token.
    let fixture = connector_agent_fixture::FixtureServer::start(FixtureConfig::default())
        .await
        .unwrap();
    let loaded = engine.runtime().load(&report.component).unwrap();
    let http = Arc::new(HttpContext::new(
        AllowList::new([AllowList::entry_for(&fixture.base_url()).unwrap()]),
        Credentials::Bearer("test-token".into()),
    ));
    let limits = Limits {
        memory_bytes: 64 << 20,
        cpu_slice: Duration::from_secs(5),
    };
    let config = [ConfigEntry {
        name: "base_url".into(),
        value: fixture.base_url(),
    }];
    let checks = loaded
        .check(http, limits, &config, &["customers".to_string()])
        .await
        .unwrap();
    assert!(checks.iter().all(|c| c.ok), "{checks:#?}");
    assert!(
        checks
            .iter()
            .any(|c| c.name == "table customers" && c.message.contains("records on the first page")),
        "{checks:#?}"
    );

    // Broken declarations fail the checks, each named.
    let lib = dir.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    let broken = text
        .replace("name: \"updated\", kind", "name: \"modified\", kind")
        .replacen("secret: true", "secret: false", 1);
    assert_ne!(broken, text);
    std::fs::write(&lib, broken).unwrap();
    let report = engine.plugin_build(&dir).await.unwrap();
    assert!(!report.ok);
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.message))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed[0].contains("`token` looks like a credential but is not declared secret"),
        "{failed:?}"
    );
    assert!(
        failed[1].contains("cursor field `updated` is not among its columns"),
        "{failed:?}"
    );

    // A manifest without a package is named, with what is missing.
    let bare = home.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::write(bare.join("Cargo.toml"), "[workspace]\n").unwrap();
    let text = connector_agent_sync::error_chain(&engine.plugin_build(&bare).await.unwrap_err());
    assert!(
        text.contains("bare/Cargo.toml") && text.contains("no `[package]` name"),
        "{text}"
    );

    // A crate that does not compile says so, with the compiler's words.
    std::fs::write(&lib, "this is not rust").unwrap();
    let err = engine.plugin_build(&dir).await.unwrap_err();
    let text = connector_agent_sync::error_chain(&err);
    assert!(text.contains("connector-acme-billing"), "{text}");
}
