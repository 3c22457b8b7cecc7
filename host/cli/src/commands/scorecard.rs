//! `scorecard`: how much the extractor inferred per document, so rule changes are measured.

use super::Ctx;
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ScorecardCommand {
    /// Documentation files (OpenAPI/Swagger); directories are read recursively.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = fs_err::read_dir(p)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            out.extend(files(&entries)?);
        } else if p
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push(p.clone());
        }
    }
    Ok(out)
}

impl ScorecardCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let mut rows = Vec::new();
        let mut failed = 0;
        if !ctx.json {
            println!(
                "{:<44} {:>6} {:>6} {:>6} {:>8} {:>6} {:>7} {:>8}",
                "document", "lists", "key", "pager", "nested", "incr", "parent", "seconds"
            );
        }
        for f in files(&self.inputs)? {
            let started = std::time::Instant::now();
            match connector_agent_extract::extract_openapi_file(&f) {
                Ok(model) => {
                    let s = connector_agent_extract::scorecard(&model);
                    let secs = started.elapsed().as_secs_f64();
                    let name = f
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    if !ctx.json {
                        println!(
                            "{name:<44} {:>6} {:>6} {:>6} {:>8} {:>6} {:>7} {secs:>8.3}",
                            s.lists,
                            s.with_key,
                            s.with_paginator,
                            s.with_record_path,
                            s.with_incremental,
                            s.with_parent
                        );
                    }
                    rows.push(serde_json::json!({
                        "document": f.display().to_string(), "lists": s.lists, "with_key": s.with_key,
                        "with_paginator": s.with_paginator, "with_record_path": s.with_record_path,
                        "with_incremental": s.with_incremental, "with_parent": s.with_parent, "seconds": secs,
                    }));
                }
                Err(e) => {
                    failed += 1;
                    if !ctx.json {
                        println!("{:<44} error: {e}", f.display());
                    }
                    rows.push(serde_json::json!({ "document": f.display().to_string(), "error": e.to_string() }));
                }
            }
        }
        if ctx.json {
            ctx.print_json(&rows)?;
        }
        Ok(if failed > 0 { 1 } else { 0 })
    }
}
