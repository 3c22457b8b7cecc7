//! The command line, as a user runs it.

use assert_cmd::Command;
use predicates::prelude::*;

/// A fixture API on its own runtime, a data directory, and the fixture's OpenAPI file in it.
struct Served {
    rt: tokio::runtime::Runtime,
    fixture: connector_agent_fixture::FixtureServer,
    home: tempfile::TempDir,
    spec: std::path::PathBuf,
}

fn served() -> Served {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fixture = rt
        .block_on(connector_agent_fixture::FixtureServer::start(
            Default::default(),
        ))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let spec = home.path().join("fixture.json");
    std::fs::write(&spec, serde_json::to_vec(&fixture.openapi()).unwrap()).unwrap();
    Served {
        rt,
        fixture,
        home,
        spec,
    }
}

/// [`generate_wait`], then the fixture's token set: a connection ready to test and sync (its
/// id is `name` in lower case).
fn generate_with_token(home: &std::path::Path, spec: &std::path::Path, name: &str) {
    generate_wait(home, spec, name);
    cli(home)
        .args(["setup", &name.to_lowercase(), "--set", "token=test-token"])
        .assert()
        .success();
}

/// `generate --wait` for a connection named `name` from `spec`.
fn generate_wait(home: &std::path::Path, spec: &std::path::Path, name: &str) {
    cli(home)
        .args(["generate", "--name", name, "--wait", "--openapi"])
        .arg(spec)
        .assert()
        .success();
}

/// The `connector-agent` binary of this build. It belongs to another package, so cargo does
/// not hand its path to these tests: it is built once here, into the same target dir.
pub(crate) fn binary() -> &'static std::path::Path {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        // A binary built beforehand (a target dir shared with other checkouts may hold
        // another checkout's `connector-agent` by the time a test runs it).
        if let Some(bin) = std::env::var_os("CONNECTOR_AGENT_BIN") {
            return std::path::PathBuf::from(bin);
        }
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build
            .args(["build", "--quiet", "-p", "connector-agent-cli"])
            .env("CARGO_TARGET_DIR", target_dir);
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building connector-agent failed");
        profile_dir.join("connector-agent")
    })
}

pub(crate) fn cli(home: &std::path::Path) -> Command {
    let mut c = Command::new(binary());
    c.env("CONNECTOR_AGENT_HOME", home)
        .env("CONNECTOR_AGENT_CACHE", crate::support::cache_dir());
    c
}

#[test]
fn help_lists_every_command() {
    let home = tempfile::tempdir().unwrap();
    let out = cli(home.path()).arg("--help").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for verb in [
        "demo",
        "generate",
        "status",
        "list",
        "resume",
        "endpoints",
        "setup",
        "authorize",
        "test",
        "sync",
        "bench",
    ] {
        assert!(text.contains(verb), "`{verb}` missing from --help:\n{text}");
    }
}

#[test]
fn invalid_spec_error_names_the_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let spec = home.path().join("broken.yaml");
    std::fs::write(&spec, "openapi: 3.0.0\ninfo:\n  title: x\n paths: [\n").unwrap();
    cli(home.path())
        .args(["generate", "--name", "Broken", "--wait", "--openapi"])
        .arg(&spec)
        .assert()
        .failure()
        .stderr(predicate::str::contains("broken.yaml").and(predicate::str::contains("line")))
        .stderr(predicate::str::contains("panicked").not());
    cli(home.path())
        .args(["status", "broken"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("failed"));
}

#[test]
fn not_openapi_is_refused_with_the_file_named() {
    let home = tempfile::tempdir().unwrap();
    let spec = home.path().join("notes.json");
    std::fs::write(&spec, r#"{"hello": "world"}"#).unwrap();
    cli(home.path())
        .args(["generate", "--name", "Notes", "--wait", "--openapi"])
        .arg(&spec)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("notes.json").and(predicate::str::contains("not an OpenAPI")),
        );
}

#[test]
fn an_unknown_connection_is_named_as_unknown_by_every_verb() {
    let home = tempfile::tempdir().unwrap();
    for verb in [
        &["endpoints", "nosuch"][..],
        &["status", "nosuch"],
        &["test", "nosuch"],
        &["sync", "nosuch"],
        &["setup", "nosuch", "--set", "a=b"],
        &["history", "nosuch"],
    ] {
        cli(home.path())
            .args(verb)
            .assert()
            .failure()
            .stderr(predicate::str::contains(
                "no connection `nosuch` (see `connector-agent list`)",
            ));
    }
}

#[test]
fn background_generate_then_status_endpoints_setup_test_sync_in_json() {
    let Served {
        rt,
        fixture: _fixture,
        home,
        spec,
    } = served();
    let out = cli(home.path())
        .args(["--json", "generate", "--name", "Fixture", "--openapi"])
        .arg(&spec)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let out = cli(home.path())
        .args(["--json", "status", &id, "--wait"])
        .timeout(std::time::Duration::from_secs(600))
        .assert()
        .success();
    let status: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(status["phase"], "ready", "{status}");
    let out = cli(home.path())
        .args(["--json", "endpoints", &id])
        .assert()
        .success();
    let endpoints: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(endpoints.as_array().unwrap().len(), 7);
    let out = cli(home.path())
        .args(["--json", "setup", &id, "--set", "token=test-token"])
        .assert()
        .success();
    let setup: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let token = setup["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "token")
        .unwrap();
    assert_eq!(token["secret"], true);
    assert_eq!(token["set"], true);
    assert!(
        !String::from_utf8_lossy(&out.get_output().stdout).contains("test-token"),
        "secrets are never printed"
    );
    // The first sync waits for a passing Save & Test: refused, naming what to run, and
    // nothing written.
    let out = cli(home.path())
        .args(["--json", "sync", &id])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!("run `connector-agent test {id}` first")),
        "{stderr}"
    );
    cli(home.path())
        .args(["--json", "test", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"ok\": true"));
    // A setting changed after the test needs a new one before the first sync.
    cli(home.path())
        .args(["setup", &id, "--set", "token=test-token"])
        .assert()
        .success();
    cli(home.path())
        .args(["sync", &id])
        .assert()
        .failure()
        .stderr(predicate::str::contains("Save & Test has not passed yet"));
    cli(home.path())
        .args(["--json", "test", &id])
        .assert()
        .success();
    let out = cli(home.path())
        .args(["--json", "sync", &id])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        report["rows"].as_u64().unwrap() as usize,
        25 + 50 + 100 + 23 + 37 + 41 + 29
    );
    drop(rt);
}

#[test]
fn setup_asks_on_a_terminal_and_never_echoes_secrets() {
    let Served {
        rt,
        fixture,
        home,
        spec,
    } = served();
    generate_wait(home.path(), &spec, "Tty");

    let mut cmd = std::process::Command::new(binary());
    cmd.env("CONNECTOR_AGENT_HOME", home.path())
        .env("CONNECTOR_AGENT_CACHE", crate::support::cache_dir())
        .args(["setup", "tty"]);
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    let mut transcript = String::new();
    transcript += &p.exp_string("base_url").unwrap();
    p.send_line("").unwrap(); // keep the documented default
    transcript += &p.exp_string("token").unwrap();
    p.send_line("s3cret-token").unwrap();
    transcript += &p.exp_string("start_date").unwrap();
    p.send_line("2024-01-01T00:00:00Z").unwrap();
    transcript += &p.exp_eof().unwrap();
    assert!(
        transcript.contains("Create a key under Settings"),
        "descriptions are shown: {transcript}"
    );
    assert!(
        !transcript.contains("s3cret-token"),
        "the secret was echoed: {transcript}"
    );

    let out = cli(home.path())
        .args(["--json", "setup", "tty"])
        .assert()
        .success();
    let setup: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let field = |n: &str| {
        setup["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(field("token")["set"], true);
    assert_eq!(field("start_date")["value"], "2024-01-01T00:00:00Z");
    assert_eq!(
        field("base_url")["value"].as_str().unwrap(),
        fixture.base_url()
    );
    drop(rt);
}

#[test]
fn setup_reads_a_config_file_and_rejects_unknown_fields() {
    let Served {
        rt,
        fixture: _fixture,
        home,
        spec,
    } = served();
    generate_wait(home.path(), &spec, "Cfg");
    let file = home.path().join("config.yaml");
    std::fs::write(&file, "token: test-token\nstart_date: 2024-01-01\n").unwrap();
    cli(home.path())
        .args(["setup", "cfg", "--config"])
        .arg(&file)
        .assert()
        .success();
    cli(home.path())
        .args(["--json", "test", "cfg"])
        .assert()
        .success();
    std::fs::write(&file, "tokn: x\n").unwrap();
    cli(home.path())
        .args(["setup", "cfg", "--config"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("unknown field `tokn`").and(predicate::str::contains("token")),
        );
    drop(rt);
}

#[test]
fn a_killed_worker_is_reported_and_resume_finishes_the_setup() {
    let home = tempfile::tempdir().unwrap();
    let spec = home.path().join("big.json");
    // Enough endpoints that compiling takes a moment to interrupt.
    let doc = connector_agent_fixture::synthetic_openapi(
        &format!("http://127.0.0.1:{}", std::process::id()),
        300,
    );
    std::fs::write(&spec, serde_json::to_vec(&doc).unwrap()).unwrap();
    cli(home.path())
        .args(["generate", "--name", "Killme", "--openapi"])
        .arg(&spec)
        .assert()
        .success();
    let dir = home.path().join("connections/killme");
    let started = std::time::Instant::now();
    // The test reads the metadata store the worker writes, as `status` does.
    let store = connector_agent_sync::Workspace::new(home.path());
    let phase = || -> String {
        store
            .load("killme")
            .map(|c| connector_agent_sync::store::phase_name(c.phase).to_string())
            .unwrap_or_default()
    };
    while !matches!(phase().as_str(), "generating" | "compiling" | "ready") {
        assert!(
            started.elapsed().as_secs() < 120,
            "the worker never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let pid = std::fs::read_to_string(dir.join("worker.pid")).expect("the worker wrote its pid");
    assert_ne!(
        phase(),
        "ready",
        "the worker finished before it could be interrupted"
    );
    std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = cli(home.path())
        .args(["--json", "status", "killme"])
        .assert()
        .failure();
    let status: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(status["interrupted"], true, "{status}");
    cli(home.path())
        .args(["resume", "killme"])
        .assert()
        .success();
    let out = cli(home.path())
        .args(["--json", "status", "killme"])
        .assert()
        .success();
    let status: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(status["phase"], "ready");
    let jobs = store.jobs("killme", 10).unwrap();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let (resumed, killed) = (&jobs[0], &jobs[1]);
    assert_eq!(killed.status, "running", "the killed job never finished");
    assert_eq!(resumed.status, "succeeded");
    let phases: Vec<&str> = resumed.phases.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        phases,
        ["generating", "compiling", "ready"],
        "the resumed job kept the extracted model instead of scanning again"
    );
}

#[test]
fn tables_can_be_renamed_before_the_first_sync_and_the_sync_uses_the_new_name() {
    let Served {
        rt,
        fixture: _fixture,
        home,
        spec,
    } = served();
    generate_wait(home.path(), &spec, "Ren");
    cli(home.path())
        .args(["endpoints", "ren", "--rename", "customers=clients"])
        .assert()
        .success();
    cli(home.path())
        .args(["endpoints", "ren", "--rename", "tickets=Bad Name"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid table name `Bad Name`"));
    let out = cli(home.path())
        .args(["--json", "endpoints", "ren"])
        .assert()
        .success();
    let endpoints: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let invoices = endpoints
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["table"] == "invoices")
        .unwrap();
    assert_eq!(
        invoices["parent"]["table"], "clients",
        "children follow the renamed parent"
    );
    cli(home.path()).args(["resume", "ren"]).assert().success();
    cli(home.path())
        .args(["setup", "ren", "--set", "token=test-token"])
        .assert()
        .success();
    let out = cli(home.path())
        .args(["--json", "sync", "ren", "--force"])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let tables: Vec<&str> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert!(
        tables.contains(&"clients") && !tables.contains(&"customers"),
        "{tables:?}"
    );
    cli(home.path())
        .args(["endpoints", "ren", "--rename", "clients=customers"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already holds synced data"));
    drop(rt);
}

#[test]
fn run_syncs_due_connections_only_and_history_records_every_run() {
    let Served {
        rt,
        fixture,
        home,
        spec,
    } = served();
    generate_with_token(home.path(), &spec, "Sched");
    let runs = |home: &std::path::Path| -> Vec<serde_json::Value> {
        let out = cli(home)
            .args(["--json", "history", "sched"])
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        v["syncs"].as_array().unwrap().clone()
    };
    // Without a schedule, `run --once` leaves the connection alone.
    cli(home.path()).args(["run", "--once"]).assert().success();
    assert!(runs(home.path()).is_empty());
    cli(home.path())
        .args(["schedule", "sched", "1h"])
        .assert()
        .success();
    // Due but never tested: the scheduler leaves it alone and says why.
    cli(home.path())
        .args(["run", "--once"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "skipped `sched`: connection `sched`: Save & Test has not passed yet: run `connector-agent test sched` first",
        ));
    assert!(runs(home.path()).is_empty());
    cli(home.path()).args(["test", "sched"]).assert().success();
    cli(home.path()).args(["run", "--once"]).assert().success();
    let after_first = runs(home.path());
    assert_eq!(after_first.len(), 1, "{after_first:?}");
    assert_eq!(after_first[0]["status"], "succeeded");
    assert_eq!(after_first[0]["incremental"], false);
    let report = &after_first[0]["report"];
    assert_eq!(after_first[0]["rows"], report["rows"]);
    let customers = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "customers")
        .expect("customers synced");
    assert_eq!(
        customers["rows_synced"].as_u64().unwrap() as usize,
        fixture.customers().len(),
        "the recorded run is the real sync: {report}"
    );
    // Synced moments ago with a 1 h schedule: not due.
    cli(home.path()).args(["run", "--once"]).assert().success();
    assert_eq!(
        runs(home.path()).len(),
        1,
        "a connection that is not due was synced"
    );
    // A failing run is recorded with its reason, and `run --once` says it failed.
    cli(home.path())
        .args(["setup", "sched", "--set", "token=wrong"])
        .assert()
        .success();
    cli(home.path())
        .args(["schedule", "sched", "1s"])
        .assert()
        .success();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    cli(home.path())
        .args(["run", "--once"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("sched"));
    let all = runs(home.path());
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["status"], "failed");
    assert!(
        all[0]["error"].as_str().unwrap().contains("401"),
        "{:?}",
        all[0]["error"]
    );
    drop(rt);
}

#[test]
fn background_generation_works_with_a_postgres_metadata_store() {
    let Served {
        rt,
        fixture: _fixture,
        home,
        spec,
    } = served();
    let Some(pg) = rt.block_on(crate::support::fresh_pg_database()) else {
        return;
    };
    // The worker is a separate process: it must find the same store through the environment.
    let with_store = |c: &mut Command| {
        c.env("CONNECTOR_AGENT_STORE", &pg);
    };
    let mut generate = cli(home.path());
    with_store(&mut generate);
    generate
        .args(["generate", "--name", "Pg Meta", "--openapi"])
        .arg(&spec)
        .assert()
        .success();
    let mut status = cli(home.path());
    with_store(&mut status);
    let out = status
        .args(["--json", "status", "pg-meta", "--wait"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["phase"], "ready", "{v}");
    let phases: Vec<&str> = v["setup_job"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "scanning",
            "endpoints_ready",
            "generating",
            "compiling",
            "ready"
        ]
    );
    assert!(
        !home.path().join("metadata.sqlite").exists(),
        "the metadata went to PostgreSQL only"
    );
    // Without the store URL, this data directory knows no such connection.
    cli(home.path())
        .args(["status", "pg-meta"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no connection `pg-meta`"));
    drop(rt);
}

#[test]
fn an_exported_model_edited_by_hand_is_checked_imported_and_used() {
    let Served {
        rt,
        fixture,
        home,
        spec,
    } = served();
    generate_wait(home.path(), &spec, "Edit");
    let file = home.path().join("model.json");
    cli(home.path())
        .args(["endpoints", "edit", "--export"])
        .arg(&file)
        .assert()
        .success();
    let mut model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let endpoints = model["endpoints"].as_array_mut().unwrap();
    // A mistake is refused with the endpoint named, and nothing changes.
    let tickets = endpoints
        .iter()
        .position(|e| e["table"] == "tickets")
        .unwrap();
    let mut broken = endpoints.clone();
    broken[tickets]["table"] = "customers".into();
    std::fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!({ "name": "Edit", "endpoints": broken })).unwrap(),
    )
    .unwrap();
    cli(home.path())
        .args(["endpoints", "edit", "--import"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("a second table named `customers`"))
        .stderr(predicate::str::contains("/v1/tickets"));
    // A real correction: the tickets table is called `support_tickets`, and only it and
    // customers are synced.
    for e in endpoints.iter_mut() {
        if e["table"] == "tickets" {
            e["table"] = "support_tickets".into();
        }
        e["selected"] = (e["table"] == "support_tickets" || e["table"] == "customers").into();
    }
    std::fs::write(&file, serde_json::to_vec_pretty(&model).unwrap()).unwrap();
    cli(home.path())
        .args(["endpoints", "edit", "--import"])
        .arg(&file)
        .assert()
        .success();
    cli(home.path()).args(["resume", "edit"]).assert().success();
    cli(home.path())
        .args(["setup", "edit", "--set", "token=test-token"])
        .assert()
        .success();
    let out = cli(home.path())
        .args(["--json", "sync", "edit", "--force"])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mut tables: Vec<(String, u64)> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["rows_synced"].as_u64().unwrap(),
            )
        })
        .collect();
    tables.sort();
    assert_eq!(
        tables,
        [
            ("customers".to_string(), fixture.customers().len() as u64),
            (
                "support_tickets".to_string(),
                fixture.tickets().len() as u64
            )
        ]
    );
    // Once data is synced, a key change is refused: the upserts rely on it.
    let customers = model["endpoints"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["table"] == "customers")
        .unwrap();
    customers["primary_key"] = serde_json::json!(["email"]);
    std::fs::write(&file, serde_json::to_vec_pretty(&model).unwrap()).unwrap();
    cli(home.path())
        .args(["endpoints", "edit", "--import"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "table `customers` already holds synced data keyed by (id)",
        ));
    drop(rt);
}

#[test]
fn run_keeps_scheduled_connections_synced_until_stopped() {
    let Served {
        rt,
        fixture: _fixture,
        home,
        spec,
    } = served();
    generate_with_token(home.path(), &spec, "Loop");
    cli(home.path()).args(["test", "loop"]).assert().success();
    cli(home.path())
        .args(["schedule", "loop", "1s"])
        .assert()
        .success();
    let mut run = std::process::Command::new(binary())
        .env("CONNECTOR_AGENT_HOME", home.path())
        .env("CONNECTOR_AGENT_CACHE", crate::support::cache_dir())
        .args(["--json", "run", "--poll", "1s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let store = connector_agent_sync::Workspace::new(home.path());
    let started = std::time::Instant::now();
    let runs = loop {
        let runs = store.sync_runs("loop", 10).unwrap();
        let done = runs.iter().filter(|r| r.status == "succeeded").count();
        if done >= 2 {
            break runs;
        }
        assert!(
            run.try_wait().unwrap().is_none(),
            "`run` stopped on its own"
        );
        assert!(
            started.elapsed().as_secs() < 120,
            "no second scheduled sync: {runs:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    run.kill().unwrap();
    let _ = run.wait();
    let succeeded: Vec<_> = runs.iter().filter(|r| r.status == "succeeded").collect();
    assert_eq!(succeeded.last().unwrap().incremental, Some(false));
    assert_eq!(
        succeeded[0].incremental,
        Some(true),
        "the scheduled sync after the first is incremental"
    );
    drop(rt);
}

/// Every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn secrets_an_api_echoes_never_reach_output_history_or_the_data_directory() {
    let Served {
        rt,
        fixture,
        home,
        spec,
    } = served();
    let data = home.path().join("data");
    generate_with_token(&data, &spec, "Echo");
    // The API quotes the credentials back in its error bodies.
    fixture.inject(connector_agent_fixture::Fault::EchoCredentials { count: 100_000 });
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    for args in [
        &["--json", "test", "echo"][..],
        &["test", "echo"],
        &["--json", "sync", "echo", "--force"],
        &["sync", "echo", "--force"],
        &["--json", "history", "echo"],
        &["history", "echo"],
        &["--json", "status", "echo"],
    ] {
        let out = cli(&data).args(args).output().unwrap();
        outputs.push((format!("{args:?} stdout"), out.stdout));
        outputs.push((format!("{args:?} stderr"), out.stderr));
    }
    fixture.clear_faults();
    let echoed = fixture
        .requests()
        .iter()
        .filter(|r| r.status == 400)
        .count();
    assert!(echoed > 0, "the fixture echoed no credentials");
    let all: String = outputs
        .iter()
        .map(|(_, o)| String::from_utf8_lossy(o).into_owned())
        .collect();
    assert!(
        all.contains("[redacted]"),
        "the echoed credentials were expected in the messages, redacted"
    );
    let forms = ["test-token", "dGVzdC10b2tlbg", "test%2Dtoken"];
    for (what, out) in &outputs {
        for f in forms {
            assert!(
                !out.windows(f.len()).any(|w| w == f.as_bytes()),
                "a form of the secret is in the output of {what}"
            );
        }
    }
    for file in files_under(&data).into_iter().filter(|p| p.is_file()) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for f in forms {
            assert!(
                !bytes.windows(f.len()).any(|w| w == f.as_bytes()),
                "a form of the secret is readable in {}",
                file.display()
            );
        }
    }
    drop(rt);
}

#[cfg(unix)]
#[test]
fn data_directory_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let Served {
        rt,
        fixture: _fixture,
        home,
        spec,
    } = served();
    let data = home.path().join("data");
    generate_with_token(&data, &spec, "Private");
    cli(&data)
        .args(["--json", "sync", "private", "--force"])
        .assert()
        .success();
    let paths = files_under(&data);
    for name in ["metadata.sqlite", "store.key", "warehouse.sqlite"] {
        assert!(
            paths.iter().any(|p| p.file_name().is_some_and(|n| n
                .to_string_lossy()
                .starts_with(name.split('.').next().unwrap()))),
            "no {name} in {paths:?}"
        );
    }
    let mut checked = vec![data.clone()];
    checked.extend(paths);
    for p in checked {
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", p.display());
    }
    drop(rt);
}
