//! `endpoints`: review the proposed tables.

use super::Ctx;
use anyhow::Result;
use connector_agent_model::Pagination;

#[derive(clap::Args, Debug)]
pub struct EndpointsCommand {
    /// Connection id.
    pub id: String,
    /// Keep only these tables selected.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Deselect these tables.
    #[arg(long, value_delimiter = ',')]
    pub deselect: Vec<String>,
    /// Select these tables.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Rename a table: `OLD=NEW` (repeatable; before the first sync).
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
    /// Write the whole model (tables, keys, paging, cursors, columns, config fields) as JSON
    /// to FILE (`-`: stdout), to correct what the docs got wrong.
    #[arg(long, value_name = "FILE")]
    pub export: Option<std::path::PathBuf>,
    /// Replace the model with an edited export (checked; `resume` regenerates the connector).
    #[arg(long, value_name = "FILE")]
    pub import: Option<std::path::PathBuf>,
}

fn paging(p: &Pagination) -> String {
    match p {
        Pagination::None => "none".into(),
        Pagination::Cursor { cursor_param, .. } => format!("cursor ({cursor_param})"),
        Pagination::NextUrl { next_url_path, .. } => {
            format!("next url ({})", next_url_path.join("."))
        }
        Pagination::LinkHeader { .. } => "link header".into(),
        Pagination::PageNumber { page_param, .. } => format!("page ({page_param})"),
        Pagination::Offset { offset_param, .. } => format!("offset ({offset_param})"),
    }
}

impl EndpointsCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        if let Some(file) = &self.export {
            let model = engine.home().load_model(&self.id)?;
            let text = serde_json::to_string_pretty(&model)? + "\n";
            if file.as_os_str() == "-" {
                print!("{text}");
            } else {
                fs_err::write(file, text)?;
                eprintln!(
                    "wrote {}; edit it, then `connector-agent endpoints {} --import {}` and `connector-agent resume {}`",
                    file.display(),
                    self.id,
                    file.display(),
                    self.id
                );
            }
            return Ok(0);
        }
        if let Some(file) = &self.import {
            // An exported model is far smaller than the description it came from.
            let limit = connector_agent_extract::MAX_SPEC_BYTES;
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(fs_err::File::open(file)?, limit + 1),
                &mut bytes,
            )?;
            if bytes.len() as u64 > limit {
                anyhow::bail!(
                    "`{}`: larger than {} MB (the limit for model files)",
                    file.display(),
                    limit >> 20
                );
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("`{}`: not UTF-8 text", file.display()))?;
            let model: connector_agent_model::ApiModel = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("`{}`: {e}", file.display()))?;
            engine
                .import_model(&self.id, model)
                .map_err(|e| anyhow::anyhow!("`{}`: {e}", file.display()))?;
            if !ctx.json {
                eprintln!(
                    "model replaced; run `connector-agent resume {}` to regenerate the connector",
                    self.id
                );
            }
        }
        for r in &self.rename {
            let Some((old, new)) = r.split_once('=') else {
                anyhow::bail!("`--rename {r}`: expected OLD=NEW");
            };
            engine.rename_table(&self.id, old.trim(), new.trim())?;
        }
        let changed = !(self.only.is_empty() && self.deselect.is_empty() && self.select.is_empty());
        let model = if changed {
            engine.select(&self.id, &self.only, &self.deselect, &self.select)?
        } else {
            engine.home().load_model(&self.id)?
        };
        if ctx.json {
            ctx.print_json(&model.endpoints)?;
            return Ok(0);
        }
        println!(
            "{:<3} {:<24} {:<44} {:<14} {:<10} {:<22} {:<14} {:<12}",
            "sel", "table", "endpoint", "records", "key", "paging", "cursor", "parent"
        );
        for e in &model.endpoints {
            println!(
                "{:<3} {:<24} {:<44} {:<14} {:<10} {:<22} {:<14} {:<12}",
                if e.selected { "[x]" } else { "[ ]" },
                e.table,
                format!("{} {}", e.method, e.path),
                if e.record_path.is_empty() {
                    "(body)".to_string()
                } else {
                    e.record_path.join(".")
                },
                if e.primary_key.is_empty() {
                    "-".to_string()
                } else {
                    e.primary_key.join(",")
                },
                paging(&e.pagination),
                match (&e.incremental, model.changes_via_parent(e)) {
                    (Some(i), _) => i.cursor_field.clone(),
                    (None, Some((parent, i))) => format!("{}.{}", parent.table, i.cursor_field),
                    (None, None) => "full refresh".into(),
                },
                e.parent
                    .as_ref()
                    .map(|p| p.table.clone())
                    .unwrap_or_else(|| "-".into()),
            );
            if !e.reason.is_empty() {
                println!("      why: {} (confidence {:.2})", e.reason, e.confidence);
            }
            if let Some((parent, i)) = model.changes_via_parent(e) {
                println!(
                    "      changes: re-read for the `{}` rows whose `{}` changed since the last sync (`customize {} --full-every-sync {}` reads every parent's)",
                    parent.table, i.cursor_field, self.id, e.table
                );
            }
            for c in &e.corrections {
                println!("      corrected by Save & Test: {c}");
            }
        }
        if changed || !self.rename.is_empty() {
            eprintln!(
                "selection saved; run `connector-agent resume {}` to regenerate the connector",
                self.id
            );
        }
        Ok(0)
    }
}
