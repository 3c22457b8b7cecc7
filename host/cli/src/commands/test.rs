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
        // OAuth 2.0 first: a token endpoint refusing the app is the cause of everything after.
        let oauth = rt.block_on(engine.oauth_check(&self.id))?;
        let report = rt.block_on(engine.test(&self.id))?;
        let ok = report.ok && oauth.as_ref().is_none_or(|c| c.ok);
        if ctx.json {
            let mut v = serde_json::to_value(&report)?;
            if let (Some(check), Some(checks)) = (&oauth, v["checks"].as_array_mut()) {
                checks.insert(0, serde_json::to_value(check)?);
            }
            v["ok"] = ok.into();
            ctx.print_json(&v)?;
        } else {
            if let Some(c) = &oauth {
                println!(
                    "{} {:<28} {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.name,
                    c.message
                );
            }
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
