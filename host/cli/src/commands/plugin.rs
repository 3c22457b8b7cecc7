//! `plugin`: hand-written connectors on the connector SDK.

use super::{print_checks, runtime, Ctx};
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct PluginCommand {
    #[command(subcommand)]
    pub command: PluginVerb,
}

#[derive(clap::Subcommand, Debug)]
pub enum PluginVerb {
    /// Write a new hand-written connector crate (Cargo.toml on the SDK, src/lib.rs, README).
    New {
        /// The API's name (letters, digits, spaces, `-` and `_`).
        name: String,
        /// Where to write it (a new or empty directory); default `./connector-NAME`.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build a connector crate into a component and check it (imports, config fields,
    /// tables), without sending any request.
    Build {
        /// The crate's directory.
        path: PathBuf,
    },
}

impl PluginCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        match self.command {
            PluginVerb::New { name, dir } => {
                let dir = match dir {
                    Some(dir) => dir,
                    None => PathBuf::from(connector_agent_sync::app::plugin_crate_name(&name)?),
                };
                let written = engine.plugin_new(&name, &dir)?;
                if ctx.json {
                    ctx.print_json(&serde_json::json!({ "dir": dir, "files": written }))?;
                } else {
                    for f in &written {
                        println!("wrote {}", f.display());
                    }
                    println!(
                        "edit {}/src/lib.rs, then: connector-agent plugin build {}",
                        dir.display(),
                        dir.display()
                    );
                }
                Ok(0)
            }
            PluginVerb::Build { path } => {
                let report = runtime()?.block_on(engine.plugin_build(&path))?;
                if ctx.json {
                    ctx.print_json(&report)?;
                } else {
                    println!(
                        "built {} → {} (sha256 {}{})",
                        report.crate_name,
                        report.component.display(),
                        report.sha256,
                        if report.cached { ", cached" } else { "" }
                    );
                    print_checks(&report.checks, 10);
                }
                Ok(if report.ok { 0 } else { 2 })
            }
        }
    }
}
