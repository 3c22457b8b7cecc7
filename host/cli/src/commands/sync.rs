//! `sync`: historical first, then incremental.

use super::{runtime, Ctx};
use anyhow::Result;
use connector_agent_sync::app::SyncOptions;
use std::sync::Arc;

/// Exit status: 0 synced, 1 failed, 2 partial (some tables failed, the others synced and
/// committed), 130 stopped by a signal.
#[derive(clap::Args, Debug)]
pub struct SyncCommand {
    /// Connection id.
    pub id: String,
    /// Ignore saved cursors: fetch everything again.
    #[arg(long)]
    pub full: bool,
    /// Keep syncing on a schedule, e.g. `15m`, `1h`, `30s` (incremental after the first); the
    /// schedule is saved with the connection for `connector-agent run`.
    #[arg(long, value_parser = parse_interval)]
    pub every: Option<std::time::Duration>,
    /// Run the first sync although Save & Test has not passed (it is required otherwise).
    #[arg(long)]
    pub force: bool,
}

pub fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = text.trim().split_at(
        text.trim()
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.trim().len()),
    );
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}`: expected a number and a unit, e.g. 15m"))?;
    let secs = match unit {
        "s" => n,
        "m" | "" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    if secs == 0 {
        return Err("the interval must be positive".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// Peak resident memory of this process in MB (Linux), for reports.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

impl SyncCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        if !self.force {
            engine.check_tested(&self.id)?;
        }
        let pb = if ctx.json {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new_spinner()
        };
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .expect("valid template"),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        let pb2 = pb.clone();
        let rt = runtime()?;
        let stop = super::stop_on_signal(&rt, ctx.json);
        let options = SyncOptions {
            full_refresh: self.full,
            progress: Some(Arc::new(move |rows| {
                pb2.set_message(format!("{rows} rows committed"))
            })),
            stop: Some(stop.clone()),
        };
        if let Some(every) = self.every {
            // The schedule is kept with the connection, so `connector-agent run` follows it too.
            engine.set_schedule(&self.id, Some(every))?;
        }
        let mut full = self.full;
        loop {
            let options = SyncOptions {
                full_refresh: full,
                ..options.clone()
            };
            let report = rt.block_on(engine.sync(&self.id, options));
            pb.finish_and_clear();
            match (report, self.every) {
                (Ok(report), _) => {
                    if ctx.json {
                        let mut v = serde_json::to_value(&report)?;
                        v["peak_rss_mb"] = peak_rss_mb().into();
                        ctx.print_json(&v)?;
                    } else {
                        print_report(&report);
                    }
                }
                (Err(e @ connector_agent_sync::Error::Stopped { .. }), _) => {
                    eprintln!("{e}");
                    return Ok(130);
                }
                // Some tables failed, the others synced: the report, the failed tables and
                // their causes, and status 2 (unless on a schedule, which carries on).
                (Err(connector_agent_sync::Error::SyncPartial { report, .. }), every) => {
                    if ctx.json {
                        let mut v = serde_json::to_value(&*report)?;
                        v["status"] = "partial".into();
                        v["peak_rss_mb"] = peak_rss_mb().into();
                        ctx.print_json(&v)?;
                    } else {
                        print_report(&report);
                    }
                    eprintln!(
                        "partial sync: {} of {} tables failed (the others synced):",
                        report.failed_tables.len(),
                        report.tables.len()
                    );
                    for f in &report.failed_tables {
                        eprintln!("    {}: {}", f.table, f.cause);
                    }
                    if every.is_none() {
                        return Ok(PARTIAL_EXIT);
                    }
                }
                (Err(e), None) => return Err(e.into()),
                // On a schedule, a failed run is reported and the next one still happens.
                (Err(e), Some(_)) => {
                    eprintln!("error: {}", connector_agent_sync::error_chain(&e))
                }
            }
            let Some(every) = self.every else {
                return Ok(0);
            };
            full = false;
            if !ctx.json {
                eprintln!("next sync in {} s", every.as_secs());
            }
            // Sleep until the next run, or until a signal asks to stop.
            let deadline = std::time::Instant::now() + every;
            while std::time::Instant::now() < deadline {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok(130);
                }
                std::thread::sleep(std::time::Duration::from_millis(200).min(every));
            }
        }
    }
}

/// Exit status of a `sync` in which some tables failed while the others synced.
pub const PARTIAL_EXIT: i32 = 2;

pub fn print_report(r: &connector_agent_sync::SyncReport) {
    println!(
        "{} sync of {}: {} rows in {:.2} s ({:.0} rows/s), {} requests, {} pages committed",
        if r.incremental {
            "incremental"
        } else {
            "historical"
        },
        r.connection,
        r.rows,
        r.seconds,
        r.rows_per_second,
        r.requests,
        r.checkpoints
    );
    for t in &r.tables {
        let failed = r.failed_tables.iter().any(|f| f.table == t.table);
        println!(
            "    {:<24} {:>8} synced  {:>8} in table{}",
            t.table,
            t.rows_synced,
            t.rows_total,
            if failed { "  FAILED" } else { "" }
        );
        if t.rows_skipped_without_key > 0 {
            println!(
                "    {:<24} {:>8} records skipped: their primary key was missing",
                "", t.rows_skipped_without_key
            );
        }
    }
    let c = &r.schema_changes;
    for (what, items) in [
        ("tables added", &c.added_tables),
        ("columns added", &c.added_columns),
        ("tables held back by the schema policy", &c.held_back_tables),
        (
            "columns held back by the schema policy",
            &c.held_back_columns,
        ),
    ] {
        if !items.is_empty() {
            println!("    {what}: {}", items.join(", "));
        }
    }
    println!("    data: {}", r.destination);
}
