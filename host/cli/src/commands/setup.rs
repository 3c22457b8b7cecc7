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
    /// Read field values from a JSON or YAML file of `name: value` pairs.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Change the destination schema name (until the first successful test).
    #[arg(long)]
    pub schema: Option<String>,
    /// Ask for every field on the terminal (secrets are not echoed). The default when no
    /// `--set`/`--schema` is given and standard input is a terminal.
    #[arg(long)]
    pub interactive: bool,
}

/// Asks for each field on the terminal; returns the values entered (empty answers keep the
/// current value).
fn prompt_fields(
    model: &connector_agent_model::ApiModel,
    conn: &connector_agent_sync::Connection,
    secrets: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    use dialoguer::{Input, Password};
    let mut values = Vec::new();
    eprintln!(
        "Destination schema: {} ({})",
        conn.schema,
        if conn.schema_frozen {
            "frozen"
        } else {
            "change it later with --schema"
        }
    );
    for f in &model.config {
        eprintln!(
            "\n{}{}\n  {}",
            f.label,
            if model.needs_field(f) {
                " (required)"
            } else if f.required {
                " (only for deselected tables)"
            } else {
                ""
            },
            f.description
        );
        let value = if f.secret {
            let set = secrets.contains_key(&f.name);
            Password::new()
                .with_prompt(if set {
                    format!("{} [set; Enter keeps it]", f.name)
                } else {
                    f.name.clone()
                })
                .allow_empty_password(true)
                .interact()?
        } else {
            let current = conn
                .config
                .get(&f.name)
                .cloned()
                .or_else(|| f.default.clone())
                .unwrap_or_default();
            Input::<String>::new()
                .with_prompt(f.name.clone())
                .with_initial_text(current.clone())
                .allow_empty(true)
                .interact_text()?
        };
        if !value.is_empty() {
            values.push((f.name.clone(), value));
        }
    }
    Ok(values)
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
        if let Some(file) = &self.config {
            let doc = connector_agent_extract::read_document(file)?;
            let Some(map) = doc.as_object() else {
                bail!(
                    "`{}`: expected a mapping of field names to values",
                    file.display()
                )
            };
            for (k, v) in map {
                let value = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_string(),
                    _ => bail!(
                        "`{}`: field `{k}` must be a string, number or boolean",
                        file.display()
                    ),
                };
                values.push((k.clone(), value));
            }
        }
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
        if self.interactive || (terminal && values.is_empty() && self.schema.is_none() && !ctx.json)
        {
            let conn = engine.home().load(&self.id)?;
            let model = engine.home().load_model(&self.id)?;
            let secrets = engine.home().load_secrets(&self.id)?;
            values.extend(prompt_fields(&model, &conn, &secrets)?);
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
        let mut fields: Vec<serde_json::Value> = model
            .config
            .iter()
            .map(|f| {
                // An empty value (stored by an earlier version) is not a value.
                let set = if f.secret {
                    secrets.get(&f.name).is_some_and(|v| !v.trim().is_empty())
                } else {
                    conn.config
                        .get(&f.name)
                        .is_some_and(|v| !v.trim().is_empty())
                };
                let value = if f.secret {
                    None
                } else {
                    conn.config.get(&f.name).cloned().or(f.default.clone())
                };
                serde_json::json!({
                    "name": f.name, "label": f.label, "description": f.description,
                    "secret": f.secret, "required": model.needs_field(f), "set": set, "value": value,
                })
            })
            .collect();
        if conn.destination.starts_with("postgres") {
            fields.push(serde_json::json!({
                "name": connector_agent_sync::DESTINATION_PASSWORD_FIELD,
                "label": "Destination password",
                "description": "The PostgreSQL destination's password, kept encrypted with the secrets; set it again when it is rotated (`--set destination_password=…`).",
                "secret": true, "required": false,
                "set": secrets.contains_key("_destination_password"), "value": null,
            }));
        }
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
        let oauth = model
            .auth
            .iter()
            .any(|a| matches!(a, connector_agent_model::AuthScheme::OAuth2 { .. }));
        let has_tokens =
            secrets.contains_key("refresh_token") || secrets.contains_key("access_token");
        println!();
        if oauth && !has_tokens && !secrets.contains_key("client_secret") {
            println!(
                "next: OAuth 2.0 — run `connector-agent authorize {0}` (it prints the redirect URL to register in your OAuth app), then `connector-agent test {0}`",
                self.id
            );
        } else {
            println!("next: `connector-agent test {}` (Save & Test)", self.id);
        }
        Ok(0)
    }
}
