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
        let rt = runtime()?;
        let report = rt.block_on(engine.test(&self.id))?;
        let ok = report.ok;
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
            for c in &report.corrections {
                println!("corrected {c}");
            }
            if !report.corrections.is_empty() {
                println!(
                    "the model was corrected and the connector rebuilt; review it with `connector-agent endpoints {}`",
                    self.id
                );
            }
            println!(
                "{}",
                if ok {
                    "all checks passed"
                } else {
                    "some checks failed"
                }
            );
        }
        Ok(if ok { 0 } else { 2 })
    }
}
