//! Connections stored in the data directory. One folder per connection; every write goes to
//! a temporary file renamed into place, so a crash never leaves half a file.

use crate::{Error, Result};
use connector_agent_model::ApiModel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Setup phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading the documentation.
    Scanning,
    /// Endpoints extracted; the user may review them.
    EndpointsReady,
    /// Writing the connector's source.
    Generating,
    /// Compiling it to a component.
    Compiling,
    /// Ready to test and sync.
    Ready,
    /// Setup failed (see `error`).
    Failed,
}

impl Phase {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Scanning => "scanning",
            Phase::EndpointsReady => "endpoints ready for review",
            Phase::Generating => "generating",
            Phase::Compiling => "compiling",
            Phase::Ready => "ready",
            Phase::Failed => "failed",
        }
    }
}

/// One documentation input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "location", rename_all = "snake_case")]
pub enum Input {
    /// A reference file whose kind is read from its content (OpenAPI, Postman, PDF) or a
    /// folder of Markdown.
    File(String),
    /// An OpenAPI 3.x or Swagger 2.0 file.
    Openapi(String),
    /// A Postman collection.
    Postman(String),
    /// A PDF of API documentation.
    Pdf(String),
    /// A folder (or file) of Markdown documentation.
    Markdown(String),
    /// A documentation homepage to crawl.
    DocsUrl(String),
}

impl Input {
    /// Reference files beat prose, which beats a crawled URL (lower ranks first).
    pub fn rank(&self) -> u8 {
        match self {
            Input::Openapi(_) | Input::Postman(_) | Input::File(_) => 0,
            Input::Pdf(_) | Input::Markdown(_) => 1,
            Input::DocsUrl(_) => 2,
        }
    }

    /// The path or URL.
    pub fn location(&self) -> &str {
        match self {
            Input::File(l)
            | Input::Openapi(l)
            | Input::Postman(l)
            | Input::Pdf(l)
            | Input::Markdown(l)
            | Input::DocsUrl(l) => l,
        }
    }
}

/// One connection's metadata (no secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    /// Id (slug + suffix).
    pub id: String,
    /// Name given by the user.
    pub name: String,
    /// Documentation inputs (absolute paths or URLs).
    pub inputs: Vec<Input>,
    /// Destination URL.
    pub destination: String,
    /// Destination schema name.
    pub schema: String,
    /// Whether the schema name is frozen (after the first successful test).
    #[serde(default)]
    pub schema_frozen: bool,
    /// Phase.
    pub phase: Phase,
    /// Failure reason when `phase` is failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Non-secret config values.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// The built component file, once compiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<PathBuf>,
    /// Content hash of the component's inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_hash: Option<String>,
    /// Timestamps of the last successful test and sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_test: Option<String>,
    /// Last sync time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<String>,
    /// Blocked tables and columns, hashed columns, schema-change policy.
    #[serde(default)]
    pub customization: Customization,
}

/// What the user chose after Save & Test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customization {
    /// Tables never synced.
    #[serde(default)]
    pub blocked_tables: std::collections::BTreeSet<String>,
    /// Columns dropped inside the connector, per table.
    #[serde(default)]
    pub blocked_columns: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Columns stored as HMAC-SHA-256 under the connection's key, per table.
    #[serde(default)]
    pub hashed_columns: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// What happens to tables and columns that appear after the first sync.
    #[serde(default)]
    pub schema_policy: SchemaPolicy,
}

/// Schema-change policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaPolicy {
    /// New tables and columns are created.
    #[default]
    AllowAll,
    /// New columns are added; new tables are held back.
    AllowNewColumns,
    /// Nothing new is created; new tables and columns are held back.
    BlockAll,
}

/// The data directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

/// Writes a file atomically (temp file + rename), optionally private (0600).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let dir = path.parent().expect("metadata files live in a folder");
    fs_err::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let _ = private;
        let mut f = fs_err::File::from_parts(opts.open(&tmp)?, &tmp);
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs_err::rename(&tmp, path)?;
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = fs_err::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|source| Error::Metadata {
        path: path.into(),
        source,
    })
}

impl Home {
    /// A data directory at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Folder of a connection.
    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join("connections").join(id)
    }

    /// The default SQLite warehouse of this data directory.
    pub fn default_destination(&self) -> String {
        format!("sqlite:{}", self.root.join("warehouse.sqlite").display())
    }

    /// A new id for a name: slug plus a number unique in this home.
    pub fn new_id(&self, name: &str) -> String {
        let slug = connector_agent_model::snake_ident(name).replace('_', "-");
        let slug: String = slug.chars().take(40).collect();
        (1..)
            .map(|n| {
                if n == 1 {
                    slug.clone()
                } else {
                    format!("{slug}-{n}")
                }
            })
            .find(|id| !self.dir(id).exists())
            .expect("an unused id exists")
    }

    /// A schema name not used by another connection in this home.
    pub fn propose_schema(&self, name: &str) -> Result<String> {
        let base: String = connector_agent_model::snake_ident(name)
            .chars()
            .take(50)
            .collect();
        let base = if base.starts_with(|c: char| c.is_ascii_lowercase()) {
            base
        } else {
            format!("s{base}")
        };
        let taken: Vec<String> = self.list()?.into_iter().map(|c| c.schema).collect();
        Ok((1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}_{n}")
                }
            })
            .find(|s| !taken.contains(s))
            .expect("an unused schema exists"))
    }

    /// Loads a connection.
    pub fn load(&self, id: &str) -> Result<Connection> {
        let path = self.dir(id).join("connection.json");
        if !path.exists() {
            return Err(Error::NoConnection(id.into()));
        }
        read_json(&path)
    }

    /// Saves a connection.
    pub fn save(&self, c: &Connection) -> Result<()> {
        let text = serde_json::to_vec_pretty(c).expect("connections serialise");
        write_atomic(&self.dir(&c.id).join("connection.json"), &text, false)
    }

    /// All connections, by id.
    pub fn list(&self) -> Result<Vec<Connection>> {
        let dir = self.root.join("connections");
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in fs_err::read_dir(&dir)? {
            let entry = entry?;
            if entry.path().join("connection.json").exists() {
                out.push(self.load(&entry.file_name().to_string_lossy())?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The extracted (and reviewed) model.
    pub fn load_model(&self, id: &str) -> Result<ApiModel> {
        read_json(&self.dir(id).join("model.json"))
    }

    /// Saves the model.
    pub fn save_model(&self, id: &str, model: &ApiModel) -> Result<()> {
        let text = serde_json::to_vec_pretty(model).expect("models serialise");
        write_atomic(&self.dir(id).join("model.json"), &text, false)
    }

    /// Secret config values (0600 file, never printed).
    pub fn load_secrets(&self, id: &str) -> Result<BTreeMap<String, String>> {
        let path = self.dir(id).join("secrets.json");
        if !path.exists() {
            return Ok(BTreeMap::new());
        }
        read_json(&path)
    }

    /// Saves secret config values.
    pub fn save_secrets(&self, id: &str, secrets: &BTreeMap<String, String>) -> Result<()> {
        let text = serde_json::to_vec_pretty(secrets).expect("maps serialise");
        write_atomic(&self.dir(id).join("secrets.json"), &text, true)
    }
}
