//! One module per verb.

pub mod authorize;
#[cfg(feature = "demo")]
pub mod bench;
pub mod customize;
#[cfg(feature = "demo")]
pub mod demo;
pub mod endpoints;
pub mod generate;
pub mod plugin;
pub mod run;
pub mod scorecard;
pub mod setup;
pub mod status;
pub mod sync;
pub mod test;

use crate::{Cli, Command};
use anyhow::{Context, Result};
use connector_agent_sync::{App, Workspace};
use std::path::PathBuf;

/// What every command gets.
pub struct Ctx {
    pub home: PathBuf,
    /// Metadata store URL (default: SQLite in the data directory).
    pub store: Option<String>,
    pub json: bool,
}

impl Ctx {
    pub fn engine(&self) -> Result<App> {
        let home = match &self.store {
            Some(url) => Workspace::with_store(&self.home, url.clone()),
            None => Workspace::new(&self.home),
        };
        engine_with(home)
    }

    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }
}

/// An engine over any data directory, sharing the cache and the cargo target dir.
#[cfg(feature = "demo")]
pub fn engine_at(home: &std::path::Path) -> Result<App> {
    engine_with(Workspace::new(home))
}

fn engine_with(home: Workspace) -> Result<App> {
    let cache = cache_dir();
    let target = std::env::var_os("CONNECTOR_AGENT_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache.join("target"));
    App::new(home, &cache, &target).context("starting the engine")
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("CONNECTOR_AGENT_CACHE")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("connector-agent")))
        .unwrap_or_else(|| PathBuf::from(".connector-agent-cache"))
}

pub fn default_home() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join("connector-agent"))
        .unwrap_or_else(|| PathBuf::from(".connector-agent"))
}

/// A flag set by the first SIGINT (Ctrl-C) or SIGTERM, so that syncs stop cleanly after the
/// page being committed; a second signal ends the process at once (exit status 130).
pub fn stop_on_signal(
    rt: &tokio::runtime::Runtime,
    quiet: bool,
) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    rt.spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            let terminated = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                r = tokio::signal::ctrl_c() => if r.is_err() { std::future::pending::<()>().await },
                () = terminated => {}
            }
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            if !quiet {
                eprintln!("stopping after the page being committed (signal again to stop at once)");
            }
        }
    });
    stop
}

/// One line per check: `ok  ` or `FAIL`, the name padded to `width`, the message.
pub fn print_checks(checks: &[connector_agent_sync::app::CheckOutcome], width: usize) {
    for c in checks {
        println!(
            "{} {:<width$} {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.message
        );
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run(cli: Cli) -> Result<i32> {
    let ctx = Ctx {
        home: cli.home.clone().unwrap_or_else(default_home),
        store: cli.store.clone(),
        json: cli.json,
    };
    match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo(c) => c.run(&ctx),
        Command::Generate(c) => c.run(&ctx),
        Command::Status(c) => c.run(&ctx),
        Command::List => status::list(&ctx),
        Command::Resume(c) => c.run(&ctx),
        Command::Endpoints(c) => c.run(&ctx),
        Command::Setup(c) => c.run(&ctx),
        Command::Test(c) => c.run(&ctx),
        Command::Authorize(c) => c.run(&ctx),
        Command::Customize(c) => c.run(&ctx),
        Command::Sync(c) => c.run(&ctx),
        #[cfg(feature = "demo")]
        Command::Bench(c) => c.run(&ctx),
        Command::Scorecard(c) => c.run(&ctx),
        Command::Plugin(c) => c.run(&ctx),
        Command::Schedule(c) => c.run(&ctx),
        Command::Run(c) => c.run(&ctx),
        Command::History(c) => c.run(&ctx),
        Command::Worker { id } => generate::worker(&ctx, &id),
    }
}

/// A spinner that shows the setup phases on a terminal (hidden otherwise).
pub fn phase_spinner(json: bool) -> indicatif::ProgressBar {
    let pb = if json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
            .expect("valid template"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}
