//! `connector-agent`: the command line. The only crate that prints or exits.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the CLI talks to the terminal"
)]

mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Turns an API's documentation into a sandboxed connector and syncs its data into SQL.
#[derive(Parser, Debug)]
#[command(name = "connector-agent", version, about, propagate_version = true)]
pub struct Cli {
    /// Data directory (connections, config, state). Default: the per-user data dir.
    #[arg(long, global = true, env = "CONNECTOR_AGENT_HOME")]
    pub home: Option<PathBuf>,
    /// Metadata store: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: SQLite in the
    /// data directory. Secrets in it are encrypted with the data directory's `store.key`.
    #[arg(long, global = true, env = "CONNECTOR_AGENT_STORE")]
    pub store: Option<String>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the whole flow on the bundled fixture API into SQLite and print a summary.
    #[cfg(feature = "demo")]
    Demo(commands::demo::DemoCommand),
    /// Create a connection from documentation and generate its connector (in the background).
    Generate(commands::generate::GenerateCommand),
    /// Show the phase of a connection's setup and where its data goes.
    Status(commands::status::StatusCommand),
    /// List connections.
    List,
    /// Continue an interrupted or failed setup.
    Resume(commands::status::ResumeCommand),
    /// Review the proposed endpoints (tables); select or deselect them.
    Endpoints(commands::endpoints::EndpointsCommand),
    /// Show and fill the connection's config fields.
    Setup(commands::setup::SetupCommand),
    /// OAuth 2.0: approve access in a browser (code flow with PKCE) and store the tokens.
    Authorize(commands::authorize::AuthorizeCommand),
    /// Save & Test: credentials, each endpoint's first page, the destination.
    Test(commands::test::TestCommand),
    /// Block tables or columns, hash columns, choose the schema-change policy.
    Customize(commands::customize::CustomizeCommand),
    /// Sync: all history the first time, then only what changed.
    Sync(commands::sync::SyncCommand),
    /// Hand-written connectors: scaffold one on the SDK (`plugin new`), build and check one
    /// (`plugin build`).
    Plugin(commands::plugin::PluginCommand),
    /// Print what the extractor inferred per document (keys, paginators, cursors, parents).
    Scorecard(commands::scorecard::ScorecardCommand),
    /// Measure sync, fan-out and build speed against the fixture API.
    #[cfg(feature = "demo")]
    Bench(commands::bench::BenchCommand),
    /// Set how often `run` syncs a connection (`15m`, `1h`, … or `off`).
    Schedule(commands::run::ScheduleCommand),
    /// Keep every scheduled connection synced (one sync at a time per connection).
    Run(commands::run::RunCommand),
    /// Show a connection's sync runs and setup jobs.
    History(commands::run::HistoryCommand),
    /// Runs a connection's setup phases (started by `generate`).
    #[command(hide = true)]
    Worker {
        /// Connection id.
        id: String,
    },
}

/// `println!` panics when stdout is a closed pipe (`connector-agent … | head`); the reader
/// has all it wants then, so the process ends quietly with status 0, as it does when a
/// command's own write fails with a broken pipe. Every other panic is reported as usual.
fn quiet_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std")
            && (message.contains("Broken pipe") || message.contains("os error 32"))
        {
            std::process::exit(0);
        }
        report(info);
    }));
}

fn main() {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONNECTOR_AGENT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match commands::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                std::process::exit(0);
            }
            eprintln!("error: {e}");
            let causes: Vec<_> = e.chain().skip(1).collect();
            if !causes.is_empty() {
                eprintln!("\nCaused by:");
                for (i, c) in causes.iter().enumerate() {
                    eprintln!("    {i}: {c}");
                }
            }
            std::process::exit(1);
        }
    }
}

pub use commands::Ctx;
