//! `status`, `list`, `resume`.

use super::{phase_spinner, Ctx};
use anyhow::Result;
use connector_agent_sync::Phase;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct StatusCommand {
    /// Connection id.
    pub id: String,
    /// Follow until setup is ready or failed.
    #[arg(long)]
    pub wait: bool,
}

impl StatusCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let dir = engine.home().dir(&self.id);
        let mut conn = engine.home().load(&self.id)?;
        let in_progress = |p: Phase| !matches!(p, Phase::Ready | Phase::Failed);
        if self.wait {
            let pb = phase_spinner(ctx.json);
            while in_progress(conn.phase) && super::generate::worker_alive(&dir) {
                pb.set_message(conn.phase.label());
                std::thread::sleep(Duration::from_millis(200));
                conn = engine.home().load(&self.id)?;
            }
            pb.finish_and_clear();
        }
        // A phase in progress with no worker behind it was interrupted (killed, machine
        // restarted). The worker records its last phase before it goes: read the connection
        // again once it is gone, or a worker that finished between the read above and the
        // check (a cached build takes a second) would be reported interrupted.
        let gone = !super::generate::worker_alive(&dir);
        if gone && in_progress(conn.phase) {
            conn = engine.home().load(&self.id)?;
        }
        let interrupted = gone && in_progress(conn.phase) && conn.phase != Phase::EndpointsReady;
        let destination = conn.describe_destination();
        let job = engine.home().jobs(&self.id, 1)?.into_iter().next();
        if ctx.json {
            let mut v = serde_json::to_value(&conn)?;
            v["setup_job"] = serde_json::to_value(&job)?;
            v["destination_detail"] = destination.into();
            v["phase_label"] = conn.phase.label().into();
            v["interrupted"] = interrupted.into();
            ctx.print_json(&v)?;
        } else {
            println!("connection   {}", conn.id);
            println!("name         {}", conn.name);
            println!(
                "phase        {}{}",
                conn.phase.label(),
                if interrupted {
                    format!(" (interrupted: run `connector-agent resume {}`)", conn.id)
                } else {
                    String::new()
                }
            );
            if let Some(e) = &conn.error {
                println!("error        {e}");
            }
            if let Some(job) = &job {
                let phases: Vec<String> = job
                    .phases
                    .iter()
                    .map(|(p, at)| format!("{p} ({})", at.get(11..19).unwrap_or(at)))
                    .collect();
                let state = if interrupted && job.status == "running" {
                    "interrupted"
                } else {
                    job.status.as_str()
                };
                println!("setup job    {state}: {}", phases.join(" → "));
            }
            println!(
                "destination  {} (schema `{}`{})",
                destination,
                conn.schema,
                if conn.schema_frozen { ", frozen" } else { "" }
            );
            println!(
                "last test    {}",
                conn.last_test.as_deref().unwrap_or("never")
            );
            println!(
                "last sync    {}",
                conn.last_sync.as_deref().unwrap_or("never")
            );
            match conn.sync_every {
                Some(s) => println!(
                    "schedule     every {} (kept by `connector-agent run`)",
                    humantime::format_duration(Duration::from_secs(s))
                ),
                None => println!(
                    "schedule     none (`connector-agent schedule {} 1h`)",
                    conn.id
                ),
            }
        }
        Ok(if conn.phase == Phase::Failed || interrupted {
            1
        } else {
            0
        })
    }
}

pub fn list(ctx: &Ctx) -> Result<i32> {
    let engine = ctx.engine()?;
    let all = engine.home().list()?;
    if ctx.json {
        ctx.print_json(&all)?;
    } else {
        for c in all {
            println!(
                "{:<30} {:<28} {}",
                c.id,
                c.phase.label(),
                c.last_sync.as_deref().unwrap_or("never synced")
            );
        }
    }
    Ok(0)
}

#[derive(clap::Args, Debug)]
pub struct ResumeCommand {
    /// Connection id.
    pub id: String,
}

impl ResumeCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let pb = phase_spinner(ctx.json);
        let r = engine.run_setup(&self.id, &|p: Phase| pb.set_message(p.label()));
        pb.finish_and_clear();
        let conn = r?;
        if ctx.json {
            ctx.print_json(&conn)?;
        } else {
            println!("{} is {}", conn.id, conn.phase.label());
        }
        Ok(0)
    }
}
