//! `setup`: the config form.

use super::Ctx;
use anyhow::{bail, Result};

#[derive(clap::Args, Debug)]
pub struct SetupCommand {
    /// Connection id.
    pub id: String,
    /// Set a field: `--set NAME=VALUE` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Change the destination schema name (until the first successful test).
    #[arg(long)]
    pub schema: Option<String>,
}

impl SetupCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let mut values = Vec::new();
        for kv in &self.set {
            let Some((k, v)) = kv.split_once('=') else {
                bail!("`--set {kv}`: expected NAME=VALUE")
            };
            values.push((k.trim().to_string(), v.to_string()));
        }
        if !values.is_empty() {
            engine.set_config(&self.id, &values)?;
        }
        if let Some(schema) = &self.schema {
            engine.set_schema(&self.id, schema)?;
        }
        let conn = engine.home().load(&self.id)?;
        let model = engine.home().load_model(&self.id)?;
        let secrets = engine.home().load_secrets(&self.id)?;
        let fields: Vec<serde_json::Value> = model
            .config
            .iter()
            .map(|f| {
                let set = if f.secret {
                    secrets.contains_key(&f.name)
                } else {
                    conn.config.contains_key(&f.name)
                };
                let value = if f.secret {
                    None
                } else {
                    conn.config.get(&f.name).cloned().or(f.default.clone())
                };
                serde_json::json!({
                    "name": f.name, "label": f.label, "description": f.description,
                    "secret": f.secret, "required": f.required, "set": set, "value": value,
                })
            })
            .collect();
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "schema": conn.schema, "schema_frozen": conn.schema_frozen, "fields": fields }))?;
            return Ok(0);
        }
        println!(
            "destination schema: {}{}",
            conn.schema,
            if conn.schema_frozen {
                " (frozen)"
            } else {
                " (change with --schema NAME)"
            }
        );
        for f in &fields {
            let state = match (
                f["secret"].as_bool(),
                f["set"].as_bool(),
                f["value"].as_str(),
            ) {
                (Some(true), Some(true), _) => "set (secret)".to_string(),
                (Some(true), _, _) => "not set (secret)".to_string(),
                (_, _, Some(v)) => v.to_string(),
                _ => "not set".to_string(),
            };
            println!(
                "\n{} ({}){}: {}",
                f["label"].as_str().unwrap_or(""),
                f["name"].as_str().unwrap_or(""),
                if f["required"] == true { " *" } else { "" },
                state
            );
            println!("    {}", f["description"].as_str().unwrap_or(""));
        }
        Ok(0)
    }
}
