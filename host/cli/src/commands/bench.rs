//! `bench`: the figures the README quotes. Syncs run as child processes (`sync --json`) so
//! that their peak memory and whole-command time are measured apart from the fixture server.

use super::{engine_at, runtime, Ctx};
use anyhow::{bail, Context, Result};
use connector_agent_fixture::{synthetic_openapi, FixtureConfig, FixtureServer};
use std::path::Path;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchCommand {
    /// Records for the initial sync.
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Changed records for the incremental sync.
    #[arg(long, default_value_t = 1_000)]
    pub changed: usize,
    /// Parents for the fan-out measurement.
    #[arg(long, default_value_t = 10_000)]
    pub parents: usize,
    /// Size in MB of each child body for the large-children fan-out (0 skips it).
    #[arg(long, default_value_t = 1)]
    pub large_children_mb: usize,
    /// Endpoints of the synthetic spec for the build measurement.
    #[arg(long, default_value_t = 50)]
    pub endpoints: usize,
    /// Also measure the initial sync into this PostgreSQL database
    /// (`postgres://user[:pass]@host/db`; the schema `bench_customers_pg` is written).
    #[arg(long)]
    pub postgres: Option<String>,
}

fn child_sync(home: &Path, id: &str, extra: &[&str]) -> Result<(serde_json::Value, f64)> {
    let started = Instant::now();
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--home")
        .arg(home)
        .arg("--json")
        .arg("sync")
        .arg(id)
        // The bench measures the sync alone; Save & Test is not part of it.
        .arg("--force")
        .args(extra)
        .output()
        .context("running the sync command")?;
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("sync failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((serde_json::from_slice(&out.stdout)?, wall))
}

fn connection(
    home: &Path,
    name: &str,
    doc: &serde_json::Value,
    only: &str,
    destination: Option<&str>,
) -> Result<String> {
    let engine = engine_at(home)?;
    let spec = home.join(format!("{name}.json"));
    fs_err::create_dir_all(home)?;
    fs_err::write(&spec, serde_json::to_vec(doc)?)?;
    let conn = engine.create(name, &[spec], destination)?;
    engine.run_setup(&conn.id, &|_| {})?;
    engine.select(&conn.id, &[only.to_string()], &[], &[])?;
    engine.run_setup(&conn.id, &|_| {})?;
    engine.set_config(&conn.id, &[("token".into(), "test-token".into())])?;
    Ok(conn.id)
}

impl BenchCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let rt = runtime()?;
        let _guard = rt.enter();
        let home = ctx.home.join("bench");
        if home.exists() {
            fs_err::remove_dir_all(&home)?;
        }
        let mut figures = serde_json::Map::new();
        let say = |s: String| {
            if !ctx.json {
                println!("{s}");
            }
        };

        // 1. Initial sync and incremental sync.
        let fixture = rt.block_on(FixtureServer::start(FixtureConfig {
            customers: self.records,
            invoices_per_customer: 0,
            ..FixtureConfig::default()
        }))?;
        let id = connection(
            &home,
            "bench-customers",
            &fixture.openapi(),
            "customers",
            None,
        )?;
        let (initial, wall) = child_sync(&home, &id, &[])?;
        let rows = initial["rows"].as_f64().unwrap_or(0.0);
        if rows as usize != self.records {
            bail!(
                "the initial sync wrote {rows} rows, expected {}",
                self.records
            );
        }
        say(format!("initial sync: {} records in {:.2} s sync / {wall:.2} s command = {:.0} records/s; peak RSS {:.1} MB",
            self.records, initial["seconds"].as_f64().unwrap_or(0.0), initial["rows_per_second"].as_f64().unwrap_or(0.0), initial["peak_rss_mb"].as_f64().unwrap_or(0.0)));
        figures.insert(
            "initial_records_per_second".into(),
            initial["rows_per_second"].clone(),
        );
        figures.insert("initial_peak_rss_mb".into(), initial["peak_rss_mb"].clone());
        let ids: Vec<String> = fixture
            .customers()
            .iter()
            .step_by((self.records / self.changed.max(1)).max(1))
            .take(self.changed)
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        fixture.touch_customers(&ids.iter().map(String::as_str).collect::<Vec<_>>());
        fixture.reset_counters();
        let (incr, wall) = child_sync(&home, &id, &[])?;
        say(format!("incremental sync of {} changed records: {wall:.3} s whole command ({} rows, {} fetched)", ids.len(), incr["rows"], fixture.records_served("customers")));
        figures.insert("incremental_command_seconds".into(), wall.into());

        // 1b. The same initial sync into PostgreSQL (`--full`: a schema left by an earlier run
        // is rewritten from scratch, not synced incrementally).
        if let Some(pg) = &self.postgres {
            let id = connection(
                &home,
                "bench-customers-pg",
                &fixture.openapi(),
                "customers",
                Some(pg),
            )?;
            let (initial, wall) = child_sync(&home, &id, &["--full"])?;
            let rows = initial["rows"].as_f64().unwrap_or(0.0);
            if rows as usize != fixture.customers().len() {
                bail!(
                    "the PostgreSQL sync wrote {rows} rows, expected {}",
                    fixture.customers().len()
                );
            }
            say(format!(
                "initial sync into PostgreSQL: {rows} records in {:.2} s sync / {wall:.2} s command = {:.0} records/s; peak RSS {:.1} MB",
                initial["seconds"].as_f64().unwrap_or(0.0),
                initial["rows_per_second"].as_f64().unwrap_or(0.0),
                initial["peak_rss_mb"].as_f64().unwrap_or(0.0)
            ));
            figures.insert(
                "initial_postgres_records_per_second".into(),
                initial["rows_per_second"].clone(),
            );
        }
        drop(fixture);

        // 2. Parent → child fan-out.
        let fixture = rt.block_on(FixtureServer::start(FixtureConfig {
            customers: self.parents,
            invoices_per_customer: 1,
            ..FixtureConfig::default()
        }))?;
        let id = connection(&home, "bench-fanout", &fixture.openapi(), "invoices", None)?;
        let (fan, _) = child_sync(&home, &id, &[])?;
        let requests = fan["requests"].as_f64().unwrap_or(0.0);
        let seconds = fan["seconds"].as_f64().unwrap_or(1.0);
        say(format!(
            "fan-out: {} parents, {requests} requests in {seconds:.2} s = {:.0} requests/s",
            self.parents,
            requests / seconds
        ));
        figures.insert(
            "fanout_requests_per_second".into(),
            (requests / seconds).into(),
        );
        // 2a. The incremental sync after `changed` parents changed: the child table follows
        // the parents' filter, so only their children are read again.
        let ids: Vec<String> = fixture
            .customers()
            .iter()
            .step_by((self.parents / self.changed.max(1)).max(1))
            .take(self.changed)
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        fixture.touch_customers(&ids.iter().map(String::as_str).collect::<Vec<_>>());
        let (incr, wall) = child_sync(&home, &id, &[])?;
        say(format!(
            "incremental fan-out: {} of {} parents changed: {} requests, {} child rows in {:.2} s sync / {wall:.2} s command",
            ids.len(),
            self.parents,
            incr["requests"],
            incr["rows"],
            incr["seconds"].as_f64().unwrap_or(0.0)
        ));
        figures.insert(
            "incremental_fanout_requests".into(),
            incr["requests"].clone(),
        );
        figures.insert("incremental_fanout_seconds".into(), incr["seconds"].clone());
        drop(fixture);

        // 2b. Fan-out over large children: every invoice carries a 1 MB memo (dropped inside
        // the connector, so the destination stays small); the peak RSS is the fan-out's.
        if self.large_children_mb > 0 {
            let fixture = rt.block_on(FixtureServer::start(FixtureConfig {
                customers: self.parents,
                invoices_per_customer: 1,
                invoice_memo_bytes: self.large_children_mb << 20,
                ..FixtureConfig::default()
            }))?;
            let id = connection(&home, "bench-large", &fixture.openapi(), "invoices", None)?;
            engine_at(&home)?.customize(&id, |c| {
                c.blocked_columns
                    .entry("invoices".into())
                    .or_default()
                    .insert("memo".into());
            })?;
            let (large, wall) = child_sync(&home, &id, &[])?;
            let peak = large["peak_rss_mb"].as_f64().unwrap_or(0.0);
            say(format!(
                "fan-out over large children: {} parents × {} MB in {wall:.1} s; peak RSS {peak:.1} MB",
                self.parents, self.large_children_mb
            ));
            figures.insert("large_children_peak_rss_mb".into(), peak.into());
            drop(fixture);
        }

        // 3. Generate + compile a spec with many endpoints against the warm target dir.
        let engine = engine_at(&home)?;
        let doc = synthetic_openapi(
            &format!("http://127.0.0.1:{}", std::process::id()),
            self.endpoints,
        );
        let spec = home.join("synthetic.json");
        fs_err::write(&spec, serde_json::to_vec(&doc)?)?;
        let conn = engine.create(
            &format!("bench-build-{}", std::process::id()),
            &[spec],
            None,
        )?;
        let started = Instant::now();
        engine.run_setup(&conn.id, &|_| {})?;
        let build = started.elapsed().as_secs_f64();
        say(format!(
            "generate + compile, {} endpoints, warm target dir: {build:.1} s",
            self.endpoints
        ));
        figures.insert("generate_compile_seconds".into(), build.into());

        // 4. Extraction speed on the corpus, when present.
        let corpus = std::env::var_os("CONNECTOR_AGENT_CORPUS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| "../shared/corpus".into());
        for (name, file) in [
            ("stripe", "openapi/stripe-spec3.yaml"),
            ("github", "openapi/github-rest-api.json"),
        ] {
            let path = corpus.join(file);
            if path.exists() {
                let started = Instant::now();
                let model = connector_agent_extract::extract_openapi_file(&path)?;
                let s = started.elapsed().as_secs_f64();
                say(format!(
                    "extract {name}: {s:.2} s ({} list endpoints)",
                    model.endpoints.len()
                ));
                figures.insert(format!("extract_{name}_seconds"), s.into());
            }
        }
        if ctx.json {
            ctx.print_json(&figures)?;
        }
        Ok(0)
    }
}
