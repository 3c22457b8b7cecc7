//! Connections and the data directory. Metadata lives in the [`Store`] (SQLite in the data
//! directory by default, PostgreSQL by URL); the data directory also holds the store's secret
//! key, the default warehouse and one folder per connection for its lock and worker files.

use crate::store::{JobRecord, RunEnd, Store, SyncRun};
use crate::{Error, Result};
use connector_agent_model::ApiModel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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

pub use connector_agent_extract::Input;

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
    /// Sync schedule (seconds between syncs) kept by `connector-agent run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_every: Option<u64>,
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
    /// Most pages one table may read in one sync ([`Customization::DEFAULT_MAX_PAGES`] when
    /// unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    /// Most minutes one table may page in one sync ([`Customization::DEFAULT_MAX_MINUTES`]
    /// when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes: Option<u64>,
    /// Tables read in full on every sync: a child table under an incremental parent then
    /// reads the children of every parent, not only of those that changed (for APIs where a
    /// child changes without its parent's update time moving).
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub full_every_sync: std::collections::BTreeSet<String>,
}

impl Customization {
    /// Pages one table may read in one sync unless the user raises it.
    pub const DEFAULT_MAX_PAGES: u64 = 1_000_000;
    /// Minutes one table may page in one sync unless the user raises it (12 hours).
    pub const DEFAULT_MAX_MINUTES: u64 = 720;

    /// The page cap in force.
    pub fn page_cap(&self) -> u64 {
        self.max_pages.unwrap_or(Self::DEFAULT_MAX_PAGES)
    }

    /// The time cap in force, in minutes.
    pub fn minute_cap(&self) -> u64 {
        self.max_minutes.unwrap_or(Self::DEFAULT_MAX_MINUTES)
    }
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

/// The data directory and its metadata store (opened on first use).
#[derive(Clone)]
pub struct Home {
    root: PathBuf,
    store_url: String,
    store: Arc<OnceLock<Store>>,
    imported: Arc<OnceLock<std::result::Result<(), String>>>,
}

impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home")
            .field("root", &self.root)
            .field("store", &crate::store::redact_url(&self.store_url))
            .finish()
    }
}

/// An exclusive lock on the file `name` in `dir` (created 0600), taken without waiting:
/// `None` while another holder, in this process or another, has it. Closing the file or
/// the process ending drops it, so a crash never leaves it taken.
pub fn try_lock_file(dir: &Path, name: &str) -> std::io::Result<Option<std::fs::File>> {
    private_dir(dir)?;
    let mut open = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let file = open
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(name))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Makes a folder of the data directory (and its missing parents) private: 0700 on Unix,
/// whatever the umask.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let mut missing = Vec::new();
        let mut cur = Some(dir);
        while let Some(d) = cur.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(d.to_path_buf());
            cur = d.parent();
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        // The umask may have narrowed the mode (never widened it): set it exactly.
        for d in missing.iter().chain(std::iter::once(&dir.to_path_buf())) {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Makes a file of the data directory private before anything is written into it: creates it
/// empty with 0600 when missing, else sets 0600 (Unix; SQLite gives its `-wal` and `-shm`
/// files the database file's mode).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

/// Writes a file atomically (temp file + rename), optionally private (0600).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let dir = path.parent().expect("metadata files live in a folder");
    private_dir(dir)?;
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

impl Home {
    /// A data directory at `root` with its default SQLite metadata store.
    pub fn new(root: impl Into<PathBuf>) -> Home {
        let root = root.into();
        let url = crate::store::default_url(&root);
        Home::with_store(root, url)
    }

    /// A data directory whose metadata lives in the store at `url` (`sqlite://PATH` or
    /// `postgres://…`).
    pub fn with_store(root: impl Into<PathBuf>, url: impl Into<String>) -> Home {
        Home {
            root: root.into(),
            store_url: url.into(),
            store: Arc::new(OnceLock::new()),
            imported: Arc::new(OnceLock::new()),
        }
    }

    /// The metadata store, opened (and migrated) on first use.
    pub fn store(&self) -> Result<&Store> {
        let store = match self.store.get() {
            Some(s) => s,
            None => {
                let opened = Store::open(&self.store_url, &self.root.join("store.key"))?;
                self.store.get_or_init(|| opened)
            }
        };
        // The legacy import runs once per process; its failure is reported on every use.
        self.imported
            .get_or_init(|| {
                self.import_legacy(store)
                    .map_err(|e| crate::error_chain(&e))
            })
            .clone()
            .map_err(|e| {
                Error::Config(format!(
                    "importing the connections of an earlier version from `{}`: {e}",
                    self.root.join("connections").display()
                ))
            })?;
        Ok(store)
    }

    /// Imports connections an earlier version kept as JSON files (`connections/<id>/
    /// connection.json`, `model.json`, `secrets.json`) into the store, once: the plaintext
    /// secrets file is removed, then the others are renamed `*.imported`.
    fn import_legacy(&self, store: &Store) -> Result<()> {
        let dir = self.root.join("connections");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let folder = entry.path();
            let file = folder.join("connection.json");
            if !file.is_file() {
                continue;
            }
            let read = |path: &Path| -> Result<Option<String>> {
                match std::fs::read_to_string(path) {
                    Ok(t) => Ok(Some(t)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::Io(e)),
                }
            };
            let parse_err = |path: &Path| {
                let path = path.to_path_buf();
                move |source| Error::Metadata { path, source }
            };
            let text = read(&file)?.unwrap_or_default();
            let mut conn: Connection = serde_json::from_str(&text).map_err(parse_err(&file))?;
            // Only what the store lacks is imported, and `connection.json` goes last: an
            // import cut short is finished on the next open and never overwrites newer data.
            let (destination, password) = split_password(&conn.destination);
            conn.destination = destination;
            if !store.exists(&conn.id)? {
                store.save(&conn)?;
            }
            let model_file = folder.join("model.json");
            if let Some(model) = read(&model_file)? {
                if store.load_model(&conn.id)?.is_none() {
                    let model: ApiModel =
                        serde_json::from_str(&model).map_err(parse_err(&model_file))?;
                    store.save_model(
                        &conn.id,
                        serde_json::to_string(&model).expect("models serialise"),
                    )?;
                }
            }
            let secrets_file = folder.join("secrets.json");
            let mut secrets: BTreeMap<String, String> = match read(&secrets_file)? {
                Some(text) => serde_json::from_str(&text).map_err(parse_err(&secrets_file))?,
                None => BTreeMap::new(),
            };
            if let Some(p) = password {
                secrets.insert(DESTINATION_PASSWORD.into(), p);
            }
            let have = store.load_secrets(&conn.id)?;
            let missing: Vec<(String, Option<String>)> = secrets
                .into_iter()
                .filter(|(k, _)| !have.contains_key(k))
                .map(|(k, v)| (k, Some(v)))
                .collect();
            store.update_secrets(&conn.id, &missing)?;
            if secrets_file.exists() {
                fs_err::remove_file(&secrets_file)?;
            }
            if model_file.exists() {
                fs_err::rename(&model_file, folder.join("model.json.imported"))?;
            }
            // The kept copy holds the destination without its password.
            let kept = serde_json::to_vec_pretty(&conn).expect("connections serialise");
            write_atomic(&folder.join("connection.json.imported"), &kept, true)?;
            fs_err::remove_file(&file)?;
            tracing::info!(id = %conn.id, "imported a connection from the earlier JSON files");
        }
        Ok(())
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Folder of a connection's local files (sync lock, worker pid and log).
    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join("connections").join(id)
    }

    /// The default SQLite warehouse of this data directory.
    pub fn default_destination(&self) -> String {
        format!("sqlite:{}", self.root.join("warehouse.sqlite").display())
    }

    /// A new id for a name: slug plus a number unique in this store.
    pub fn new_id(&self, name: &str) -> Result<String> {
        let slug = connector_agent_model::snake_ident(name).replace('_', "-");
        let slug: String = slug.chars().take(40).collect();
        for n in 1.. {
            let id = if n == 1 {
                slug.clone()
            } else {
                format!("{slug}-{n}")
            };
            if !self.store()?.exists(&id)? {
                return Ok(id);
            }
        }
        unreachable!("an unused id exists")
    }

    /// A schema name not used by another connection in this store.
    pub fn propose_schema(&self, name: &str) -> Result<String> {
        let base: String = connector_agent_model::snake_ident(name)
            .chars()
            .take(50)
            .collect();
        // A name PostgreSQL reserves (`pg_*`, `information_schema`) gets a prefix too.
        let base = if base.starts_with(|c: char| c.is_ascii_lowercase())
            && !connector_agent_destination::is_reserved_schema(&base)
        {
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
        self.store()?
            .load(id)?
            .ok_or_else(|| Error::NoConnection(id.into()))
    }

    /// Saves a connection (its inputs and non-secret config with it, in one transaction).
    pub fn save(&self, c: &Connection) -> Result<()> {
        private_dir(&self.dir(&c.id))?;
        self.store()?.save(c)
    }

    /// Changes some fields of the stored connection, read just before: a long command (a
    /// sync, a build) records its result without writing back what others changed meanwhile.
    pub fn modify(&self, id: &str, change: impl FnOnce(&mut Connection)) -> Result<Connection> {
        let mut c = self.load(id)?;
        change(&mut c);
        self.save(&c)?;
        Ok(c)
    }

    /// All connections, by id.
    pub fn list(&self) -> Result<Vec<Connection>> {
        self.store()?.list()
    }

    /// Whether the model was extracted.
    pub fn has_model(&self, id: &str) -> Result<bool> {
        Ok(self.store()?.load_model(id)?.is_some())
    }

    /// The extracted (and reviewed) model.
    pub fn load_model(&self, id: &str) -> Result<ApiModel> {
        let store = self.store()?;
        let Some(text) = store.load_model(id)? else {
            // An unknown id is named as such, not as a connection still being set up.
            store
                .load(id)?
                .ok_or_else(|| Error::NoConnection(id.into()))?;
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!("no endpoints extracted yet; run `connector-agent resume {id}`"),
            });
        };
        serde_json::from_str(&text).map_err(|source| Error::Metadata {
            path: PathBuf::from(format!(
                "{}#models/{id}",
                crate::store::redact_url(&self.store_url)
            )),
            source,
        })
    }

    /// Saves the model.
    pub fn save_model(&self, id: &str, model: &ApiModel) -> Result<()> {
        let text = serde_json::to_string(model).expect("models serialise");
        self.store()?.save_model(id, text)
    }

    /// Secret config values (encrypted at rest, never printed).
    pub fn load_secrets(&self, id: &str) -> Result<BTreeMap<String, String>> {
        self.store()?.load_secrets(id)
    }

    /// Replaces the secret config values atomically.
    pub fn save_secrets(&self, id: &str, secrets: &BTreeMap<String, String>) -> Result<()> {
        self.store()?.save_secrets(id, secrets)
    }

    /// Sets (`Some`) or removes (`None`) some secret values atomically, leaving the others.
    pub fn update_secrets(&self, id: &str, changes: &[(String, Option<String>)]) -> Result<()> {
        self.store()?.update_secrets(id, changes)
    }

    /// Starts recording a setup job.
    pub fn job_start(&self, id: &str, kind: &str) -> Result<String> {
        self.store()?.job_start(id, kind)
    }

    /// Records a job's phase.
    pub fn job_phase(&self, job: &str, phase: Phase) -> Result<()> {
        self.store()?.job_phase(job, phase)
    }

    /// Records a job's end.
    pub fn job_finish(&self, job: &str, error: Option<&str>) -> Result<()> {
        self.store()?.job_finish(job, error)
    }

    /// A connection's recent jobs, newest first.
    pub fn jobs(&self, id: &str, limit: i64) -> Result<Vec<JobRecord>> {
        self.store()?.jobs(id, limit)
    }

    /// Records the start of a sync run.
    pub fn sync_start(&self, id: &str, full_refresh: bool) -> Result<String> {
        self.store()?.sync_start(id, full_refresh)
    }

    /// Records the end of a sync run.
    pub fn sync_finish(&self, run: &str, end: RunEnd<'_>) -> Result<()> {
        self.store()?.sync_finish(run, end)
    }

    /// A connection's recent sync runs, newest first.
    pub fn sync_runs(&self, id: &str, limit: i64) -> Result<Vec<SyncRun>> {
        self.store()?.sync_runs(id, limit)
    }

    /// Marks runs left "running" by a process that died as interrupted (call while holding
    /// the connection's sync lock).
    pub fn sync_interrupted(&self, id: &str) -> Result<u64> {
        self.store()?.sync_interrupted(id)
    }

    /// Whether any sync run of the connection committed rows.
    pub fn any_rows_committed(&self, id: &str) -> Result<bool> {
        self.store()?.any_rows_committed(id)
    }
}

/// Secret holding the destination's password.
pub(crate) const DESTINATION_PASSWORD: &str = "_destination_password";
/// The `setup --set` name under which a PostgreSQL destination's password is changed.
pub const DESTINATION_PASSWORD_FIELD: &str = "destination_password";

/// A database URL without its password (user info or `password=` parameter), and the password.
pub(crate) fn split_password(destination: &str) -> (String, Option<String>) {
    let Ok(mut url) = url::Url::parse(destination) else {
        return (destination.to_string(), None);
    };
    if url.scheme() == "sqlite" {
        return (destination.to_string(), None);
    }
    let mut password = url.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = url.set_password(None);
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.iter().any(|(k, _)| k == "password") {
        url.set_query(None);
        let mut kept = url.query_pairs_mut();
        for (k, v) in &pairs {
            if k == "password" {
                password = Some(v.clone());
            } else {
                kept.append_pair(k, v);
            }
        }
        drop(kept);
        if url.query() == Some("") {
            url.set_query(None);
        }
    }
    (url.to_string(), password)
}

/// Where a connection's data lives, for people.
pub fn describe_destination(conn: &Connection) -> String {
    match connector_agent_destination::DestinationUrl::parse(&conn.destination) {
        Ok(d) => d.describe(&conn.schema),
        Err(_) => conn.destination.clone(),
    }
}
