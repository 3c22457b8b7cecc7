//! `generate`: create a connection and run its setup phases, in the background by default.

use super::{phase_spinner, Ctx};
use anyhow::{Context, Result};
use connector_agent_sync::{Input, Phase};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct GenerateCommand {
    /// Connection name (e.g. "Front").
    #[arg(long)]
    pub name: String,
    /// OpenAPI 3.x or Swagger 2.0 description (YAML or JSON).
    #[arg(long)]
    pub openapi: Vec<PathBuf>,
    /// Postman collection (v2.0 or v2.1 JSON).
    #[arg(long)]
    pub postman: Vec<PathBuf>,
    /// PDF of the API's documentation.
    #[arg(long)]
    pub pdf: Vec<PathBuf>,
    /// Markdown documentation: a file or a folder of `.md` files.
    #[arg(long)]
    pub markdown: Vec<PathBuf>,
    /// Documentation homepage to crawl (same site only; linked OpenAPI/Postman files are preferred).
    #[arg(long)]
    pub docs_url: Vec<String>,
    /// Destination: `sqlite:PATH` (default: the data directory's warehouse) or `postgres://…`.
    #[arg(long)]
    pub destination: Option<String>,
    /// Block until the connector is ready, showing progress.
    #[arg(long)]
    pub wait: bool,
}

impl GenerateCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let path = |p: &PathBuf| p.display().to_string();
        let inputs: Vec<Input> = self
            .openapi
            .iter()
            .map(|p| Input::Openapi(path(p)))
            .chain(self.postman.iter().map(|p| Input::Postman(path(p))))
            .chain(self.pdf.iter().map(|p| Input::Pdf(path(p))))
            .chain(self.markdown.iter().map(|p| Input::Markdown(path(p))))
            .chain(self.docs_url.iter().map(|u| Input::DocsUrl(u.clone())))
            .collect();
        let conn = engine.create_with(&self.name, &inputs, self.destination.as_deref())?;
        if self.wait {
            let pb = phase_spinner(ctx.json);
            let r = engine.run_setup(&conn.id, &|p: Phase| pb.set_message(p.label()));
            pb.finish_and_clear();
            let conn = r.with_context(|| format!("setting up `{}`", conn.id))?;
            if ctx.json {
                ctx.print_json(&conn)?;
            } else {
                println!("{}", conn.id);
                eprintln!("ready: review with `connector-agent endpoints {0}`, fill config with `connector-agent setup {0}`", conn.id);
            }
            return Ok(0);
        }
        let dir = engine.home().dir(&conn.id);
        let log_file = dir.join("worker.log");
        connector_agent_sync::store::files::private_file(&log_file)?;
        let log = fs_err::File::create(log_file)?;
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg("--home").arg(&ctx.home);
        if let Some(store) = &ctx.store {
            // Through the environment, not argv: a store URL may hold a password.
            cmd.env("CONNECTOR_AGENT_STORE", store);
        }
        cmd.arg("worker").arg(&conn.id);
        cmd.stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?.into_parts().0)
            .stderr(log.into_parts().0);
        #[cfg(unix)]
        {
            // Own process group: closing the terminal does not stop generation.
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd.spawn().context("starting the background worker")?;
        let pid_file = dir.join("worker.pid");
        connector_agent_sync::store::files::private_file(&pid_file)?;
        fs_err::write(pid_file, child.id().to_string())?;
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "id": conn.id, "phase": conn.phase }))?;
        } else {
            println!("{}", conn.id);
            eprintln!(
                "generating in the background; follow with `connector-agent status {} --wait`",
                conn.id
            );
        }
        Ok(0)
    }
}

/// The background worker: runs the setup phases of one connection.
pub fn worker(ctx: &Ctx, id: &str) -> Result<i32> {
    let engine = ctx.engine()?;
    let pid_file = engine.home().dir(id).join("worker.pid");
    connector_agent_sync::store::files::private_file(&pid_file)?;
    fs_err::write(&pid_file, std::process::id().to_string())?;
    let r = engine.run_setup(id, &|_| {});
    let _ = fs_err::remove_file(&pid_file);
    r?;
    Ok(0)
}

/// Whether the background worker of a connection is running (Linux: by its /proc entry).
pub fn worker_alive(dir: &std::path::Path) -> bool {
    let Ok(pid) = std::fs::read_to_string(dir.join("worker.pid")) else {
        return false;
    };
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap_or_default();
    // Guard against a reused pid: the process must be one of our workers.
    cmdline.split(|b| *b == 0).any(|arg| arg == b"worker")
}
