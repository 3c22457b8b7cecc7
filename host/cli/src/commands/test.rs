//! `test`: Save & Test.

use super::{runtime, Ctx};
use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct TestCommand {
    /// Connection id.
    pub id: String,
}

impl TestCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let report = runtime()?.block_on(engine.test(&self.id))?;
        if ctx.json {
            ctx.print_json(&report)?;
        } else {
            for c in &report.checks {
                println!(
                    "{} {:<28} {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.name,
                    c.message
                );
            }
            println!(
                "{}",
                if report.ok {
                    "all checks passed"
                } else {
                    "some checks failed"
                }
            );
        }
        Ok(if report.ok { 0 } else { 2 })
    }
}
