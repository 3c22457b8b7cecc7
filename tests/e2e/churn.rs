//! Nothing lost while the API changes: syncs of the ledger fixture (a second API, stamped by
//! the wall clock, one list per paging order) while records change under them, and a sync
//! process killed at random moments; at the end the destination equals the source.

use crate::support::{cache_dir, fresh_pg_database, target_dir};
use connector_agent_fixture::ledger::{LedgerConfig, LedgerServer, LEDGER_KEY, LEDGER_RESOURCES};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::{App, Workspace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub struct Ledger {
    pub api: LedgerServer,
    pub engine: App,
    pub id: String,
    pub home: TempDir,
}

/// A connection generated from the ledger's OpenAPI 3.1 document, its key set.
pub async fn ledger(config: LedgerConfig, destination: Option<&str>) -> Ledger {
    ledger_with(config, destination, |_| {}).await
}

/// [`ledger`], with `prepare` run on the API before its document is read (to switch on
/// `/api/payouts`, say).
pub async fn ledger_with(
    config: LedgerConfig,
    destination: Option<&str>,
    prepare: impl FnOnce(&LedgerServer),
) -> Ledger {
    let api = LedgerServer::start(config)
        .await
        .expect("the ledger starts");
    prepare(&api);
    let l = ledger_from(api, destination).await;
    let model = l.engine.home().load_model(&l.id).expect("model");
    for r in LEDGER_RESOURCES {
        let e = model.endpoint_by_table(r).unwrap();
        assert!(e.incremental.is_some(), "{r} syncs incrementally: {e:?}");
    }
    l
}

/// A connection set up from `api`'s OpenAPI document (its key set), with a table for each
/// list.
pub async fn ledger_from(api: LedgerServer, destination: Option<&str>) -> Ledger {
    let home = tempfile::tempdir().expect("tempdir");
    let spec = home.path().join("ledger-openapi.json");
    std::fs::write(&spec, serde_json::to_vec_pretty(&api.openapi()).unwrap()).unwrap();
    let engine =
        App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).expect("engine");
    let conn = engine
        .create("Ledger", &[spec], destination)
        .expect("create");
    tokio::task::block_in_place(|| engine.run_setup(&conn.id, &|_| {})).expect("setup");
    let model = engine.home().load_model(&conn.id).expect("model");
    let key = model
        .config
        .iter()
        .find(|f| f.secret)
        .expect("the ledger's key is a secret field");
    engine
        .set_config(&conn.id, &[(key.name.clone(), LEDGER_KEY.into())])
        .expect("config");
    let tables: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
    for r in LEDGER_RESOURCES {
        assert!(tables.contains(&r), "a table for {r}: {tables:?}");
    }
    Ledger {
        api,
        engine,
        id: conn.id,
        home,
    }
}

/// Every table's rows by id, as the destination holds them.
type TableRows = BTreeMap<String, BTreeMap<String, Value>>;

/// One row of a ledger table: id, label, amount, edits, `updated_at` as RFC 3339 text.
type LedgerRow = (String, String, i64, i64, String);

/// Every table's rows as the destination holds them (by id), and the saved state.
pub async fn destination_rows(l: &Ledger) -> (TableRows, Option<Value>) {
    let conn = l.engine.home().load(&l.id).unwrap();
    let (tables, state) = if conn.destination.starts_with("postgres") {
        pg_rows(&conn.destination, &conn.schema).await
    } else {
        sqlite_rows(&conn.describe_destination()).await
    };
    let mut out = BTreeMap::new();
    for (t, rows) in LEDGER_RESOURCES.iter().zip(tables) {
        let mut by_id = BTreeMap::new();
        for (id, label, amount, edits, updated_at) in rows {
            let v = serde_json::json!({
                "id": id, "label": label, "amount": amount, "edits": edits, "updated_at": updated_at
            });
            assert!(
                by_id.insert(id.clone(), v).is_none(),
                "{t}: `{id}` is duplicated"
            );
        }
        out.insert(t.to_string(), by_id);
    }
    (out, state.map(|s| serde_json::from_str(&s).unwrap()))
}

/// The ledger tables' rows (in [`LEDGER_RESOURCES`] order; a missing table is empty) and the
/// saved state, from a SQLite file that may not exist yet.
async fn sqlite_rows(path: &str) -> (Vec<Vec<LedgerRow>>, Option<String>) {
    use sqlx::Connection;
    if !std::path::Path::new(path).exists() {
        return (vec![Vec::new(); LEDGER_RESOURCES.len()], None);
    }
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{path}"))
        .await
        .expect("open destination");
    let mut tables = Vec::new();
    for t in LEDGER_RESOURCES {
        let q = format!("SELECT id, label, amount, edits, updated_at FROM \"{t}\"");
        tables.push(
            sqlx::query_as(&q)
                .fetch_all(&mut c)
                .await
                .unwrap_or_default(),
        );
    }
    let state = sqlx::query_scalar("SELECT state FROM _connector_agent_state")
        .fetch_optional(&mut c)
        .await
        .ok()
        .flatten();
    (tables, state)
}

/// As [`sqlite_rows`], from a PostgreSQL schema (`updated_at` back to RFC 3339 text).
async fn pg_rows(url: &str, schema: &str) -> (Vec<Vec<LedgerRow>>, Option<String>) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url)
        .await
        .expect("open destination");
    let mut tables = Vec::new();
    for t in LEDGER_RESOURCES {
        let q = format!(
            "SELECT id, label, amount, edits, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM \"{schema}\".\"{t}\""
        );
        tables.push(
            sqlx::query_as(&q)
                .fetch_all(&mut c)
                .await
                .unwrap_or_default(),
        );
    }
    let state = sqlx::query_scalar(&format!(
        "SELECT state FROM \"{schema}\"._connector_agent_state"
    ))
    .fetch_optional(&mut c)
    .await
    .ok()
    .flatten();
    (tables, state)
}

/// Asserts the destination equals the ledger, naming the first records that differ.
pub async fn assert_equal_to_source(l: &Ledger, when: &str) {
    let (rows, _) = destination_rows(l).await;
    for t in LEDGER_RESOURCES {
        let source = l.api.records(t);
        let dest = &rows[t];
        let mut stale = Vec::new();
        for r in &source {
            let id = r["id"].as_str().unwrap();
            match dest.get(id) {
                None => stale.push(format!("{id} missing")),
                Some(d)
                    if d["edits"] != r["edits"]
                        || d["label"] != r["label"]
                        || d["updated_at"] != r["updated_at"] =>
                {
                    stale.push(format!("{id}: destination {d} ≠ source {r}"))
                }
                Some(_) => {}
            }
        }
        assert_eq!(dest.len(), source.len(), "{when}: {t} row count");
        assert!(
            stale.is_empty(),
            "{when}: {t}: {} stale records, e.g. {:?}",
            stale.len(),
            &stale[..stale.len().min(3)]
        );
    }
}

async fn changes_during_syncs_are_never_lost(destination: Option<&str>) {
    let l = ledger(
        LedgerConfig {
            records: 1500,
            max_page_size: 50,
        },
        destination,
    )
    .await;
    // 30 pages per list at 8 ms each: the API changes all through each pass.
    l.api.set_delay_ms(8);
    let churn = l.api.start_churn(2, Duration::from_millis(5));
    l.engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect("historical sync");
    l.engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect("incremental sync under changes");
    let made = churn.stop().await;
    assert!(
        made > 100,
        "the API changed during the syncs ({made} changes)"
    );
    // One more pass after the changes stop must bring every change made during the others.
    l.api.set_delay_ms(0);
    let report = l
        .engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect("final sync");
    assert!(report.incremental);
    assert_equal_to_source(&l, "after syncs under changes").await;
    // And the next incremental pass reads a window, not the whole API again.
    let (_, state) = destination_rows(&l).await;
    let state = state.expect("a saved state");
    for t in ["accounts", "transfers"] {
        assert!(
            state["tables"][t]["cursor"].is_string(),
            "{t} has a cursor: {state}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_made_while_syncs_run_are_never_lost_sqlite() {
    changes_during_syncs_are_never_lost(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_made_while_syncs_run_are_never_lost_postgres() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    changes_during_syncs_are_never_lost(Some(&url)).await;
}

/// xorshift64*: the kill moments, reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `connector-agent sync` of the ledger connection in a child process (killed if dropped).
fn spawn_sync(l: &Ledger, stderr: std::process::Stdio) -> tokio::process::Child {
    tokio::process::Command::new(crate::cli::binary())
        .env("CONNECTOR_AGENT_HOME", l.home.path())
        .env("CONNECTOR_AGENT_CACHE", cache_dir())
        .args(["sync", &l.id, "--json", "--force"])
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("connector-agent runs")
}

/// Waits until the destination holds committed rows (generous for a slow machine).
async fn wait_for_committed_rows(l: &Ledger) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (rows, _) = destination_rows(l).await;
        if rows.values().map(BTreeMap::len).sum::<usize>() > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "no rows committed in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `connector-agent sync` in a child process and SIGKILLs it `after` its first request
/// reached the API (unless it ends first), so kills land inside the sync (between requests,
/// inside a page, during a commit), not in the process's start-up. Returns whether it was
/// killed, and how long it ran from its first request.
async fn sync_killed_after(l: &Ledger, after: Duration) -> (bool, Duration) {
    let before = l.api.requests();
    let mut child = spawn_sync(l, std::process::Stdio::null());
    let deadline = Instant::now() + Duration::from_secs(180);
    while l.api.requests() == before {
        if child.try_wait().expect("wait").is_some() {
            return (false, Duration::ZERO);
        }
        assert!(Instant::now() < deadline, "the sync never reached the API");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let syncing = Instant::now();
    match tokio::time::timeout(after, child.wait()).await {
        Ok(status) => {
            status.expect("wait");
            (false, syncing.elapsed())
        }
        Err(_) => {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("wait");
            (true, syncing.elapsed())
        }
    }
}

async fn kills_lose_nothing(destination: Option<&str>) {
    let l = ledger(
        LedgerConfig {
            records: 2000,
            max_page_size: 50,
        },
        destination,
    )
    .await;
    // 40 pages per list at 5 ms: a historical sync lasts about a second.
    l.api.set_delay_ms(5);
    let churn = l.api.start_churn(2, Duration::from_millis(10));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut killed = 0;
    let mut killed_inside = 0;
    let started = Instant::now();
    let mut runs = 0;
    // Ten kills in the historical pass (the first runs), one run left to finish, then ten
    // kills drawn over the length of that finished run: they fall across incremental passes
    // (between requests, inside a page, during a commit).
    let mut window = Duration::from_millis(1200);
    let mut finished_one = false;
    while killed < 20 && started.elapsed() < Duration::from_secs(300) {
        runs += 1;
        let let_finish = killed == 10 && !finished_one;
        let after = if let_finish {
            Duration::from_secs(120)
        } else {
            Duration::from_millis(20 + rng.next() % (window.as_millis() as u64).max(1))
        };
        let last_run = l
            .engine
            .sync_history(&l.id, 1)
            .unwrap()
            .first()
            .map(|r| r.id.clone());
        let (killed_now, ran) = sync_killed_after(&l, after).await;
        if killed_now {
            killed += 1;
            // A kill lands inside the run (recorded as interrupted as soon as the lock is
            // free again) or, rarely, after the run recorded its end and before the process
            // exited.
            let newest = l.engine.sync_history(&l.id, 1).unwrap();
            let newest = newest.first().expect("the killed run was recorded");
            assert_ne!(
                Some(&newest.id),
                last_run.as_ref(),
                "seed {seed}: a kill after the first request left no run"
            );
            if newest.status == "interrupted" {
                killed_inside += 1;
            }
        } else if killed >= 10 && ran > Duration::ZERO {
            finished_one = true;
            window = ran;
        }
        // After every kill: no key twice (checked while reading), no count going back, and
        // the saved cursors never above a committed row's update time.
        let (rows, state) = destination_rows(&l).await;
        for t in LEDGER_RESOURCES {
            let n = rows[t].len();
            let before = counts.insert(t.to_string(), n).unwrap_or(0);
            assert!(
                n >= before,
                "seed {seed}: {t} went back from {before} to {n} rows"
            );
            let cursor = state
                .as_ref()
                .and_then(|s| s["tables"][t]["cursor"].as_str().map(str::to_owned));
            if let Some(cursor) = cursor {
                let newest = rows[t]
                    .values()
                    .filter_map(|r| r["updated_at"].as_str())
                    .max()
                    .map(str::to_owned);
                let newest = newest.unwrap_or_default();
                // Compared to the second: the cursor may be written without milliseconds.
                let second = |t: &str| t.get(..19).unwrap_or(t).to_string();
                assert!(
                    second(&cursor) <= second(&newest) || newest.is_empty(),
                    "seed {seed}: {t}'s cursor {cursor} is ahead of the newest committed row {newest}"
                );
            }
        }
    }
    let made = churn.stop().await;
    assert!(
        killed >= 20 && finished_one,
        "seed {seed}: only {killed} kills in {runs} runs"
    );
    #[expect(
        clippy::print_stderr,
        reason = "the test's own report, shown with --nocapture"
    )]
    {
        eprintln!(
            "{killed} kills in {runs} runs over {:?} (incremental runs last {window:?}), {made} changes, seed {seed}",
            started.elapsed()
        );
    }
    l.api.set_delay_ms(0);
    l.engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect("the sync after the kills completes");
    // Killed runs are recorded as interrupted, none stays "running".
    let history = l.engine.sync_history(&l.id, 1000).unwrap();
    let interrupted = history.iter().filter(|r| r.status == "interrupted").count();
    assert!(
        history.iter().all(|r| r.status != "running"),
        "a killed run still shows as running"
    );
    // Every kill inside a run, and only those, left an interrupted run; most kills landed
    // inside (the kill moments are drawn from the run's first request to its usual end).
    assert!(
        interrupted == killed_inside && killed_inside * 2 >= killed,
        "{interrupted} runs marked interrupted after {killed} kills, {killed_inside} of them inside a run"
    );
    assert_equal_to_source(
        &l,
        &format!("after {killed} kills (seed {seed}, {made} changes)"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn random_kills_under_changes_lose_nothing_sqlite() {
    kills_lose_nothing(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn random_kills_under_changes_lose_nothing_postgres() {
    let Some(url) = fresh_pg_database().await else {
        return;
    };
    kills_lose_nothing(Some(&url)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_a_sync_after_a_committed_page_and_the_next_resumes() {
    let l = ledger(
        LedgerConfig {
            records: 3000,
            max_page_size: 50,
        },
        None,
    )
    .await;
    l.api.set_delay_ms(20);
    let mut child = spawn_sync(&l, std::process::Stdio::piped());
    // Wait for committed rows, then ask it to stop.
    wait_for_committed_rows(&l).await;
    let pid = child.id().expect("running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("it stops in time")
        .unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "exit status of a stopped sync; stderr: {stderr}"
    );
    assert!(stderr.contains("stopped after committing"), "{stderr}");
    let runs = l.engine.sync_history(&l.id, 10).unwrap();
    assert_eq!(runs[0].status, "stopped", "{runs:?}");
    let (rows, state) = destination_rows(&l).await;
    let stopped_at: usize = rows.values().map(BTreeMap::len).sum();
    assert!(
        stopped_at < 3 * 3000,
        "it stopped before the end ({stopped_at} rows)"
    );
    assert!(state.is_some(), "the state of the committed pages is saved");
    // The next sync resumes and completes; nothing is missing or duplicated.
    l.api.set_delay_ms(0);
    let before = l.api.requests();
    l.engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect("the next sync completes");
    let pages = l.api.requests() - before;
    assert!(
        pages < 3 * 3000 / 50 + 10,
        "the next sync resumed instead of starting over ({pages} requests)"
    );
    assert_equal_to_source(&l, "after a stop and a resumed sync").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_first_sync_that_committed_rows_fixes_names_and_keys() {
    let l = ledger(
        LedgerConfig {
            records: 3000,
            max_page_size: 50,
        },
        None,
    )
    .await;
    l.api.set_delay_ms(20);
    let mut child = spawn_sync(&l, std::process::Stdio::null());
    wait_for_committed_rows(&l).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    // The killed run never recorded its rows; the destination holds them all the same.
    let err = l
        .engine
        .rename_table(&l.id, "accounts", "ledger_accounts")
        .expect_err("a table with committed rows keeps its name");
    assert!(
        err.to_string().contains("already holds synced data"),
        "{err}"
    );
    let mut model = l.engine.home().load_model(&l.id).unwrap();
    let accounts = model
        .endpoints
        .iter_mut()
        .find(|e| e.table == "accounts")
        .unwrap();
    accounts.primary_key = vec!["label".into()];
    let err = l
        .engine
        .import_model(&l.id, model)
        .expect_err("a key change under committed rows is refused");
    assert!(err.to_string().contains("accounts"), "{err}");
}
