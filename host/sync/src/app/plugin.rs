//! Hand-written connectors (plugins): a crate scaffolded on the connector SDK, built where it
//! lies, and checked against what the host relies on before anyone syncs with it.

use super::*;
use connector_agent_builder::Built;

/// What `plugin build` made and found.
#[derive(Debug, Clone, Serialize)]
pub struct PluginReport {
    /// The crate's package name.
    pub crate_name: String,
    /// The component file.
    pub component: PathBuf,
    /// SHA-256 of the component file.
    pub sha256: String,
    /// Whether the cache answered (the sources did not change).
    pub cached: bool,
    /// Seconds spent compiling.
    pub compile_seconds: f64,
    /// The component's imports.
    pub imports: Vec<String>,
    /// Its config fields (names).
    pub config_fields: Vec<String>,
    /// Its tables (names).
    pub tables: Vec<String>,
    /// One check per rule the host relies on.
    pub checks: Vec<CheckOutcome>,
    /// Every check passed.
    pub ok: bool,
}

/// The crate name of a hand-written connector for the API `name` (`connector-acme-billing`);
/// `Err` for a name that is not letters, digits, spaces, `-` and `_`, or is too long.
pub fn plugin_crate_name(name: &str) -> Result<String> {
    let crate_name = format!(
        "connector-{}",
        connector_agent_model::snake_ident(name).replace('_', "-")
    );
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'));
    if !plain || name.trim().is_empty() || crate_name.len() > 64 {
        return Err(Error::Config(format!(
            "`{name}` cannot name a crate: use letters, digits, spaces, `-` and `_`, at most 54 characters"
        )));
    }
    Ok(crate_name)
}

/// A check named `name`: passed with `passed` when there are no `problems`, else failed
/// naming each.
fn outcome(name: &str, problems: Vec<String>, passed: String) -> CheckOutcome {
    if problems.is_empty() {
        CheckOutcome::passed(name, passed)
    } else {
        CheckOutcome::failed(name, problems.join("; "))
    }
}

/// The WIT package every import must come from.
const WIT_PACKAGE: &str = "connector-agent:connector/";

impl App {
    /// Writes a new hand-written connector crate named `name` into `dir` (which must not
    /// exist or be empty): a `Cargo.toml` on the SDK this binary carries, a `src/lib.rs`
    /// declaring one example table, a README. It builds with `plugin build DIR`.
    pub fn plugin_new(&self, name: &str, dir: &Path) -> Result<Vec<PathBuf>> {
        let crate_name = plugin_crate_name(name)?;
        if dir.exists()
            && std::fs::read_dir(dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(Error::Config(format!(
                "`{}` exists and is not empty: give a new directory",
                dir.display()
            )));
        }
        let sdk = self.builder().ensure_sdk()?;
        let files = scaffold(name, &crate_name, &sdk);
        let mut written = Vec::new();
        for (rel, text) in files {
            let path = dir.join(rel);
            fs_err::create_dir_all(path.parent().expect("joined paths have parents"))?;
            // Never over a file that appeared since the check above.
            let mut file = fs_err::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            written.push(path);
        }
        Ok(written)
    }

    /// Builds the connector crate in `dir` into a component and checks it: it imports only
    /// the WIT package of this host, its `spec` declares valid fields (a credential-like
    /// field is secret), and its `discover` declares valid tables (unique names, keys and
    /// cursors among the declared columns, parents among the tables). Nothing is sent to
    /// any API: the component runs with an empty allow-list. Building runs the crate's
    /// build script and procedural macros natively, as `cargo build` does: build only
    /// crates you trust.
    pub async fn plugin_build(&self, dir: &Path) -> Result<PluginReport> {
        let builder = self.builder().clone();
        let dir_owned = dir.to_path_buf();
        let built: Built = blocking(move || builder.build_crate(&dir_owned))?;
        let bytes = fs_err::read(&built.component)?;
        let sha256 = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        };
        let crate_name = built.crate_name.clone();
        let mut checks = Vec::new();
        let imports = self.runtime().component_imports(&built.component)?;
        let foreign: Vec<&String> = imports
            .iter()
            .filter(|i| !i.starts_with(WIT_PACKAGE))
            .collect();
        checks.push(if foreign.is_empty() {
            CheckOutcome::passed(
                "imports",
                format!(
                    "only the host's `{WIT_PACKAGE}*` ({} imports)",
                    imports.len()
                ),
            )
        } else {
            CheckOutcome::failed(
                "imports",
                format!(
                    "imports the host does not provide: {}",
                    foreign
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        });
        let loaded = self.runtime().load(&built.component)?;
        let http = Arc::new(HttpContext::new(
            AllowList::new(Vec::<String>::new()),
            Credentials::None,
        ));
        let (config_fields, spec_check) = match loaded.spec(http.clone(), self.limits).await {
            Ok(fields) => {
                let names = fields.iter().map(|f| f.name.clone()).collect();
                (names, spec_rules(&fields))
            }
            Err(e) => (Vec::new(), CheckOutcome::failed("spec", error_chain(&e))),
        };
        checks.push(spec_check);
        let (tables, discover_check) = match loaded.discover(http, self.limits, &[]).await {
            Ok(tables) => {
                let names = tables.iter().map(|t| t.name.clone()).collect();
                (names, discover_rules(&tables))
            }
            Err(e) => (
                Vec::new(),
                CheckOutcome::failed("discover", error_chain(&e)),
            ),
        };
        checks.push(discover_check);
        let ok = checks.iter().all(|c| c.ok);
        Ok(PluginReport {
            crate_name,
            component: built.component,
            sha256,
            cached: built.cached,
            compile_seconds: built.compile_seconds,
            imports,
            config_fields,
            tables,
            checks,
            ok,
        })
    }
}

/// A non-empty name of lower-case ASCII letters, digits and `_`.
fn snake_case(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Last words of a credential's name (`api_key`, `access_token`, `client_secret`), which
/// must be declared secret; `token_url` or `api_key_header` are not credentials.
const CREDENTIAL_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passphrase",
    "key",
    "apikey",
    "signature",
];

/// `spec`'s rules: at least one field, `base_url` among them, names unique snake_case, a
/// credential-like name declared secret.
fn spec_rules(fields: &[connector_agent_runtime::ConfigField]) -> CheckOutcome {
    let mut problems = Vec::new();
    if !fields.iter().any(|f| f.name == "base_url") {
        problems
            .push("no `base_url` field (the host fills requests' base URL from it)".to_string());
    }
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        if !snake_case(&f.name) {
            problems.push(format!("field `{}` is not a snake_case name", f.name));
        }
        if !seen.insert(f.name.as_str()) {
            problems.push(format!("field `{}` is declared twice", f.name));
        }
        let last = f.name.rsplit('_').next().unwrap_or_default();
        if !f.secret && CREDENTIAL_WORDS.contains(&last) {
            problems.push(format!(
                "field `{}` looks like a credential but is not declared secret (a secret stays in the host)",
                f.name
            ));
        }
    }
    outcome("spec", problems, format!("{} config fields", fields.len()))
}

/// `discover`'s rules: at least one table; table names unique snake_case; where columns are
/// declared, the key and cursor are among them and no column is declared twice; a parent
/// names another table.
fn discover_rules(tables: &[TableSchema]) -> CheckOutcome {
    let mut problems = Vec::new();
    if tables.is_empty() {
        problems.push("no table".to_string());
    }
    let names: std::collections::HashSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    if names.len() != tables.len() {
        problems.push("two tables share a name".to_string());
    }
    for t in tables {
        if !snake_case(&t.name) {
            problems.push(format!("table `{}` is not a snake_case name", t.name));
        }
        let columns: std::collections::HashSet<&str> =
            t.columns.iter().map(|c| c.name.as_str()).collect();
        if columns.len() != t.columns.len() {
            problems.push(format!("table `{}` declares a column twice", t.name));
        }
        // The SDK adds the parent's column to a child table: a table declares its columns
        // when it has more than that one.
        if t.columns.len() > usize::from(t.parent.is_some()) {
            for k in &t.primary_key {
                if !columns.contains(k.as_str()) {
                    problems.push(format!(
                        "table `{}`: key column `{k}` is not among its columns",
                        t.name
                    ));
                }
            }
            if let Some(c) = t.cursor_field.as_deref().filter(|c| !columns.contains(c)) {
                problems.push(format!(
                    "table `{}`: cursor field `{c}` is not among its columns",
                    t.name
                ));
            }
        }
        if let Some(p) = t
            .parent
            .as_deref()
            .filter(|p| !names.contains(p) || *p == t.name)
        {
            problems.push(format!(
                "table `{}`: parent `{p}` is not another table",
                t.name
            ));
        }
    }
    outcome("discover", problems, format!("{} tables", tables.len()))
}

/// The files of a new hand-written connector crate.
fn scaffold(name: &str, crate_name: &str, sdk: &Path) -> Vec<(&'static str, String)> {
    let name_lit = format!("{name:?}");
    let cargo = format!(
        r#"[package]
name = "{crate_name}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
# The connector SDK this connector-agent carries (written to its cache).
connector-agent-sdk = {{ path = {sdk} }}

# A workspace of its own, so it builds where it lies.
[workspace]

[profile.release]
opt-level = "s"
strip = true
panic = "abort"
"#,
        // A JSON string is a valid TOML basic string (same escapes).
        sdk = serde_json::Value::from(sdk.display().to_string())
    );
    let lib = format!(
        r#"//! Connector for {name}, written by hand on the connector SDK.
//!
//! A connector declares its API as static data: config fields, and one endpoint per table
//! (path, where the records are, key, columns, paging, incremental filter, parent). The
//! SDK's driver does the requests (through the host, which adds credentials and enforces
//! the allow-list), the paging, the checkpoints and the incremental cursors. For an API the
//! declarations cannot describe, implement
//! `connector_agent_sdk::bindings::exports::connector_agent::connector::source::Guest`
//! yourself and call `connector_agent_sdk::bindings::export!(YourType)` instead.

use connector_agent_sdk::*;

/// The API.
pub static CONNECTOR: ConnectorDecl = ConnectorDecl {{
    name: {name_lit},
    config: &[
        ConfigFieldDecl {{
            name: "base_url",
            label: "Base URL",
            description: "Base URL of the API that paths are appended to.",
            secret: false,
            required: true,
            default: None,
        }},
        ConfigFieldDecl {{
            name: "token",
            label: "API token",
            description: "Sent as `Authorization: Bearer <token>` by the host.",
            secret: true,
            required: true,
            default: None,
        }},
    ],
    endpoints: &[EndpointDecl {{
        table: "customers",
        path: "/v1/customers",
        record_path: &["data"],
        layout: RecordLayout::Plain,
        primary_key: &["id"],
        columns: &[
            ColumnDecl {{ name: "id", kind: ColumnKind::String, nullable: false }},
            ColumnDecl {{ name: "name", kind: ColumnKind::String, nullable: true }},
            ColumnDecl {{ name: "updated", kind: ColumnKind::Timestamp, nullable: true }},
        ],
        query: &[],
        headers: &[],
        paging: PagingDecl::Cursor {{
            cursor_param: "starting_after",
            cursor_from_record: Some("id"),
            cursor_path: None,
            has_more_path: Some(&["has_more"]),
            limit: Some(PageSizeDecl {{ param: "limit", value: 100 }}),
        }},
        incremental: Some(IncrementalDecl {{
            param: "updated_since",
            cursor_field: "updated",
            format: CursorFormat::UnixSeconds,
            header: false,
        }}),
        parent: None,
    }}],
}};

export_connector!(CONNECTOR);
"#
    );
    let readme = format!(
        r#"# {crate_name}

A hand-written connector for {name}, on the connector SDK (`connector-agent-sdk`).

- `src/lib.rs` declares the API: config fields and one endpoint per table. Edit it.
- `connector-agent plugin build .` compiles it for `wasm32-unknown-unknown`, wraps it into
  a component and checks it: it imports only the host's interface, its config fields are
  valid (credentials secret), its tables are valid (keys and cursors among the columns).
- The SDK's items are documented in its source (`{sdk}`); `cargo doc --open` here shows
  them.
"#,
        sdk = sdk.display()
    );
    vec![
        ("Cargo.toml", cargo),
        ("src/lib.rs", lib),
        ("README.md", readme),
        (".gitignore", "/target\n".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_agent_runtime::bindings::types::Column;
    use connector_agent_runtime::ConfigField;

    fn field(name: &str, secret: bool) -> ConfigField {
        ConfigField {
            name: name.into(),
            label: name.into(),
            description: String::new(),
            secret,
            required: false,
            default: None,
        }
    }

    #[test]
    fn credentials_are_named_by_their_last_word() {
        let ok = spec_rules(&[
            field("base_url", false),
            field("token_url", false),
            field("api_key_header", false),
            field("access_token", true),
        ]);
        assert!(ok.ok, "{}", ok.message);
        let bad = spec_rules(&[field("base_url", false), field("access_key", false)]);
        assert!(
            !bad.ok && bad.message.contains("`access_key`"),
            "{}",
            bad.message
        );
    }

    #[test]
    fn a_child_table_with_only_its_parents_column_declares_no_columns() {
        let table = |name: &str, columns: &[&str], parent: Option<&str>| TableSchema {
            name: name.into(),
            columns: columns
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    ty: ColumnType::String,
                    nullable: true,
                })
                .collect(),
            primary_key: vec!["id".into()],
            cursor_field: None,
            parent: parent.map(Into::into),
        };
        let ok = discover_rules(&[
            table("customers", &["id"], None),
            table("invoices", &["customer_id"], Some("customers")),
        ]);
        assert!(ok.ok, "{}", ok.message);
        let bad = discover_rules(&[
            table("customers", &["id"], None),
            table("invoices", &["customer_id", "total"], Some("customers")),
        ]);
        assert!(
            !bad.ok && bad.message.contains("key column `id`"),
            "{}",
            bad.message
        );
    }
}
