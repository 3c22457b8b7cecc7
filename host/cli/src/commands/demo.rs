//! `demo`: the whole flow on the bundled fixture API, into SQLite.

use super::{engine_at, phase_spinner, runtime, Ctx};
use anyhow::{ensure, Context, Result};
use connector_agent_fixture::{FixtureConfig, FixtureServer};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::Phase;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct DemoCommand {
    /// Customers the fixture API serves (each has invoices).
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
    /// Customers changed before the incremental sync.
    #[arg(long, default_value_t = 25)]
    pub changes: usize,
}

impl DemoCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let started = Instant::now();
        let rt = runtime()?;
        let _guard = rt.enter();
        let fixture = rt.block_on(FixtureServer::start(FixtureConfig {
            customers: self.customers,
            ..FixtureConfig::default()
        }))?;
        let home = ctx.home.join("demo");
        if home.exists() {
            fs_err::remove_dir_all(&home)?;
        }
        fs_err::create_dir_all(&home)?;
        let spec = home.join("fixture-openapi.json");
        fs_err::write(&spec, serde_json::to_vec_pretty(&fixture.openapi())?)?;
        let say = |s: String| {
            if !ctx.json {
                println!("{s}");
            }
        };
        say(format!(
            "fixture API on {} ({} customers); its OpenAPI document: {}",
            fixture.base_url(),
            self.customers,
            spec.display()
        ));

        let engine = engine_at(&home)?;
        let conn = engine.create("Fixture Billing", &[spec], None)?;
        let pb = phase_spinner(ctx.json);
        let setup_started = Instant::now();
        let r = engine.run_setup(&conn.id, &|p: Phase| {
            pb.set_message(format!("setup: {}", p.label()))
        });
        pb.finish_and_clear();
        r.context("generating the connector")?;
        let setup_seconds = setup_started.elapsed().as_secs_f64();
        let model = engine.home().load_model(&conn.id)?;
        say(format!(
            "generated and compiled connector `{}` in {setup_seconds:.1} s: {} tables",
            conn.id,
            model.selected().count()
        ));
        for e in model.selected() {
            say(format!(
                "    {:<12} {} {} ({})",
                e.table,
                e.method,
                e.path,
                e.pagination.style()
            ));
        }

        engine.set_config(&conn.id, &[("token".into(), "test-token".into())])?;
        let test = rt.block_on(engine.test(&conn.id))?;
        say("Save & Test:".into());
        for c in &test.checks {
            say(format!(
                "    {} {:<22} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.name,
                c.message
            ));
        }
        ensure!(test.ok, "Save & Test failed");

        let first = rt.block_on(engine.sync(&conn.id, SyncOptions::default()))?;
        if !ctx.json {
            super::sync::print_report(&first);
        }
        let ids: Vec<String> = fixture
            .customers()
            .iter()
            .step_by((self.customers / self.changes.max(1)).max(1))
            .take(self.changes)
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        fixture.touch_customers(&id_refs);
        fixture.add_customers(3);
        fixture.reset_counters();
        say(format!(
            "changed {} customers and added 3 on the fixture",
            ids.len()
        ));
        let second = rt.block_on(engine.sync(&conn.id, SyncOptions::default()))?;
        if !ctx.json {
            super::sync::print_report(&second);
        }
        let refetched = second
            .tables
            .iter()
            .find(|t| t.table == "customers")
            .map(|t| t.rows_synced)
            .unwrap_or(0);
        say(format!("customers re-fetched by the incremental sync: {refetched} ({} changed + 3 added + the record at the saved cursor, which the inclusive `updated_since` filter returns again)", ids.len()));
        let total = started.elapsed().as_secs_f64();
        if ctx.json {
            ctx.print_json(&serde_json::json!({
                "connection": conn.id, "setup_seconds": setup_seconds, "test": test,
                "historical": first, "incremental": second, "customers_refetched": refetched, "seconds": total,
            }))?;
        } else {
            println!("\nsummary: {} tables, {} rows historical ({:.0} rows/s, {} pages), {} rows incremental in {:.2} s; total {:.1} s",
                first.tables.len(), first.rows, first.rows_per_second, first.checkpoints, second.rows, second.seconds, total);
            println!("SQLite file: {}", first.destination);
            println!("try: sqlite3 {} 'select id, name, updated from customers order by updated desc limit 5'", first.destination);
        }
        Ok(0)
    }
}
