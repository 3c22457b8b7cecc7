//! `test`: Save & Test.

use super::{print_checks, runtime, Ctx};
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
            print_checks(&report.checks, 28);
            for c in &report.corrections {
                println!("corrected {c}");
            }
            if !report.corrections.is_empty() {
                println!(
                    "the model was corrected and the connector rebuilt; review it with `connector-agent endpoints {}`",
                    self.id
                );
            }
            if ok {
                println!("all checks passed; the schema name is now fixed. Continue with one of:");
                println!(
                    "    connector-agent sync {}        # start the initial (historical) sync now",
                    self.id
                );
                println!("    connector-agent customize {}   # block tables/columns, hash columns, choose the schema-change policy first", self.id);
                println!("    connector-agent schedule {} 1h # or sync later, on a schedule kept by `connector-agent run`", self.id);
            } else {
                println!("some checks failed; fix what they name and run `connector-agent test {}` again", self.id);
            }
        }
        Ok(if ok { 0 } else { 2 })
    }
}
