//! `scorecard`: how much the extractor inferred per document, so rule changes are measured;
//! with `--connections`, what Save & Test corrected on the live APIs of stored connections.

use super::Ctx;
use anyhow::Result;
use connector_agent_model::ApiModel;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ScorecardCommand {
    /// Documentation files (OpenAPI/Swagger, Postman, PDF, Markdown); directories are read
    /// recursively (a directory holding no other document is read as Markdown docs).
    #[arg(required_unless_present = "connections")]
    pub inputs: Vec<PathBuf>,
    /// Also list each document's incremental filters (table: parameter → cursor field).
    #[arg(long)]
    pub filters: bool,
    /// Score the stored connections' models instead: the same counts, and each correction
    /// Save & Test made after reading the live API.
    #[arg(long)]
    pub connections: bool,
}

const DOCUMENTS: [&str; 6] = ["json", "yaml", "yml", "pdf", "md", "markdown"];

fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = fs_err::read_dir(p)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            let structured = entries.iter().any(|e| {
                e.is_dir()
                    || e.extension().is_some_and(|x| {
                        ["json", "yaml", "yml", "pdf"]
                            .iter()
                            .any(|d| x.eq_ignore_ascii_case(d))
                    })
            });
            if structured {
                out.extend(files(&entries)?);
            } else if entries.iter().any(|e| {
                e.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("md") || x.eq_ignore_ascii_case("markdown")
                })
            }) {
                // A folder of Markdown pages is one document.
                out.push(p.clone());
            }
        } else if p
            .extension()
            .is_some_and(|e| DOCUMENTS.iter().any(|d| e.eq_ignore_ascii_case(d)))
        {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// One document's (or connection's) row.
fn row(name: &str, model: &ApiModel, secs: f64, ctx: &Ctx, filters: bool) -> serde_json::Value {
    let s = connector_agent_extract::scorecard(model);
    let incremental: Vec<serde_json::Value> = model
        .endpoints
        .iter()
        .filter_map(|e| {
            let inc = e.incremental.as_ref()?;
            Some(serde_json::json!({
                "table": e.table, "param": inc.param, "cursor_field": inc.cursor_field,
                "format": inc.format,
            }))
        })
        .collect();
    let corrections: Vec<serde_json::Value> = model
        .endpoints
        .iter()
        .flat_map(|e| {
            e.corrections.iter().map(|c| {
                serde_json::json!({
                    "table": e.table, "field": c.field, "before": c.before, "after": c.after,
                    "evidence": c.evidence,
                })
            })
        })
        .collect();
    if !ctx.json {
        println!(
            "{name:<44} {:>6} {:>6} {:>6} {:>8} {:>6} {:>7} {:>6} {secs:>8.3}",
            s.lists,
            s.with_key,
            s.with_paginator,
            s.with_record_path,
            s.with_incremental,
            s.with_parent,
            corrections.len(),
        );
        if filters {
            for e in &model.endpoints {
                if let Some(inc) = &e.incremental {
                    println!(
                        "    {}: `{}` → `{}` ({:?})",
                        e.table, inc.param, inc.cursor_field, inc.format
                    );
                }
            }
        }
        for e in &model.endpoints {
            for c in &e.corrections {
                println!("    {}: {c}", e.table);
            }
        }
    }
    serde_json::json!({
        "document": name, "lists": s.lists, "with_key": s.with_key,
        "with_paginator": s.with_paginator, "with_record_path": s.with_record_path,
        "with_incremental": s.with_incremental, "with_parent": s.with_parent,
        "incremental": incremental, "corrections": corrections, "seconds": secs,
    })
}

impl ScorecardCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let mut rows = Vec::new();
        let mut failed = 0;
        if !ctx.json {
            println!(
                "{:<44} {:>6} {:>6} {:>6} {:>8} {:>6} {:>7} {:>6} {:>8}",
                "document", "lists", "key", "pager", "nested", "incr", "parent", "fixed", "seconds"
            );
        }
        if self.connections {
            let engine = ctx.engine()?;
            for conn in engine.home().list()? {
                match engine.home().load_model(&conn.id) {
                    Ok(model) => rows.push(row(&conn.id, &model, 0.0, ctx, self.filters)),
                    Err(e) => {
                        failed += 1;
                        if !ctx.json {
                            println!("{:<44} error: {e}", conn.id);
                        }
                        rows.push(
                            serde_json::json!({ "document": conn.id, "error": e.to_string() }),
                        );
                    }
                }
            }
        }
        for f in files(&self.inputs)? {
            let started = std::time::Instant::now();
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            match connector_agent_extract::extract_file(&f) {
                Ok(model) => {
                    let secs = started.elapsed().as_secs_f64();
                    rows.push(row(&name, &model, secs, ctx, self.filters));
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
