//! `run`, `schedule`, `history`: keeping connections synced on their schedules.

use super::sync::{parse_interval, print_report};
use super::{runtime, Ctx};
use anyhow::Result;
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::error_chain;
use std::time::{Duration, SystemTime};

#[derive(clap::Args, Debug)]
pub struct ScheduleCommand {
    /// Connection id.
    pub id: String,
    /// Interval between syncs (`15m`, `1h`, `30s`, `1d`), or `off`.
    pub every: String,
}

impl ScheduleCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let every = match self.every.as_str() {
            "off" | "none" => None,
            text => Some(parse_interval(text).map_err(anyhow::Error::msg)?),
        };
        engine.set_schedule(&self.id, every)?;
        if ctx.json {
            ctx.print_json(&serde_json::json!({
                "id": self.id,
                "sync_every_seconds": every.map(|d| d.as_secs()),
            }))?;
        } else {
            match every {
                Some(d) => println!(
                    "{} syncs every {} while `connector-agent run` is running",
                    self.id,
                    humantime::format_duration(d)
                ),
                None => println!("{} has no schedule", self.id),
            }
        }
        Ok(0)
    }
}

#[derive(clap::Args, Debug)]
pub struct RunCommand {
    /// One pass: sync every due connection, then exit (exit code 1 if one failed).
    #[arg(long)]
    pub once: bool,
    /// Longest wait between two looks at the schedules.
    #[arg(long, value_parser = parse_interval, default_value = "30s")]
    pub poll: Duration,
}

impl RunCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        use futures::stream::{FuturesUnordered, StreamExt};
        let engine = ctx.engine()?;
        let rt = runtime()?;
        let stop = super::stop_on_signal(&rt, ctx.json);
        let report = |id: &str,
                      r: connector_agent_sync::Result<connector_agent_sync::SyncReport>|
         -> bool {
            match r {
                Ok(report) if ctx.json => {
                    println!(
                        "{}",
                        serde_json::json!({ "id": id, "ok": true, "report": report })
                    );
                    true
                }
                Ok(report) => {
                    print_report(&report);
                    true
                }
                Err(e) => {
                    if ctx.json {
                        println!(
                            "{}",
                            serde_json::json!({ "id": id, "ok": false, "error": error_chain(&e) })
                        );
                    } else {
                        eprintln!("error: sync of {id}: {}", error_chain(&e));
                    }
                    false
                }
            }
        };
        rt.block_on(async {
            // Due connections sync concurrently and independently: a long historical sync never
            // holds up the others' schedules. A connection runs once at a time here, and its
            // lock refuses a sync already running elsewhere (a foreground `sync`).
            let mut running: std::collections::HashSet<String> = Default::default();
            let mut untested: std::collections::HashSet<String> = Default::default();
            let mut in_flight = FuturesUnordered::new();
            let mut failed = 0;
            loop {
                match engine.due(SystemTime::now()) {
                    Ok(due) => {
                        for c in due {
                            // A first sync waits for a passing Save & Test (said once).
                            if let Err(e) = engine.check_tested(&c.id) {
                                if untested.insert(c.id.clone()) {
                                    eprintln!("skipped `{}`: {}", c.id, error_chain(&e));
                                }
                                continue;
                            }
                            if running.insert(c.id.clone()) {
                                let engine = &engine;
                                let options = SyncOptions {
                                    stop: Some(stop.clone()),
                                    ..SyncOptions::default()
                                };
                                in_flight.push(async move {
                                    let r = engine.sync(&c.id, options).await;
                                    (c.id, r)
                                });
                            }
                        }
                    }
                    Err(e) if self.once => return Err(e.into()),
                    // A store that is briefly away (a PostgreSQL restart) is retried next poll.
                    Err(e) => eprintln!("error: reading the schedules: {}", error_chain(&e)),
                }
                if self.once {
                    while let Some((id, r)) = in_flight.next().await {
                        failed += usize::from(!report(&id, r));
                    }
                    return Ok(if failed > 0 { 1 } else { 0 });
                }
                let tick = tokio::time::sleep(self.poll);
                tokio::pin!(tick);
                loop {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        // Every running sync stops after its page being committed.
                        while let Some((id, r)) = in_flight.next().await {
                            report(&id, r);
                        }
                        return Ok(130);
                    }
                    tokio::select! {
                        _ = &mut tick => break,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        Some((id, r)) = in_flight.next(), if !in_flight.is_empty() => {
                            running.remove(&id);
                            report(&id, r);
                        }
                    }
                }
            }
        })
    }
}

#[derive(clap::Args, Debug)]
pub struct HistoryCommand {
    /// Connection id.
    pub id: String,
    /// How many runs to show, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
}

impl HistoryCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        engine.home().load(&self.id)?;
        let runs = engine.sync_history(&self.id, self.limit)?;
        let jobs = engine.home().jobs(&self.id, self.limit)?;
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "syncs": runs, "setup_jobs": jobs }))?;
            return Ok(0);
        }
        println!("syncs of {}:", self.id);
        if runs.is_empty() {
            println!("    none yet");
        }
        for r in &runs {
            let kind = match r.incremental {
                Some(true) => "incremental",
                Some(false) => "historical",
                None => "",
            };
            println!(
                "    {:<24} {:<10} {:<12} {:>9} rows{}{}",
                r.started_at,
                r.status,
                kind,
                // A killed run never recorded its rows: unknown, not zero.
                r.rows.map_or_else(|| "?".to_string(), |n| n.to_string()),
                if r.full_refresh { "  (--full)" } else { "" },
                r.error
                    .as_deref()
                    .map(|e| format!("  {e}"))
                    .unwrap_or_default()
            );
        }
        println!("setup jobs:");
        for j in &jobs {
            let phases: Vec<&str> = j.phases.iter().map(|(p, _)| p.as_str()).collect();
            println!(
                "    {:<24} {:<10} {}{}",
                j.started_at,
                j.status,
                phases.join(" → "),
                j.error
                    .as_deref()
                    .map(|e| format!("  {e}"))
                    .unwrap_or_default()
            );
        }
        Ok(0)
    }
}
