//! The data directory and its metadata store. Metadata lives in the [`Store`] (SQLite in the
//! data directory by default, PostgreSQL by URL); the data directory also holds the store's
//! secret key, the default warehouse and one folder per connection for its lock and worker
//! files.

use crate::connection::Connection;
use crate::files::{private_dir, write_atomic};
use crate::store::{JobRecord, RunEnd, Store, SyncRun};
use crate::{Error, Phase, Result, DESTINATION_PASSWORD};
use connector_agent_destination::split_password;
use connector_agent_model::ApiModel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The data directory and its metadata store (opened on first use).
#[derive(Clone)]
pub struct Workspace {
    root: PathBuf,
    store_url: String,
    store: Arc<OnceLock<Store>>,
    imported: Arc<OnceLock<std::result::Result<(), String>>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("root", &self.root)
            .field("store", &crate::store::redact_url(&self.store_url))
            .finish()
    }
}

impl Workspace {
    /// A data directory at `root` with its default SQLite metadata store.
    pub fn new(root: impl Into<PathBuf>) -> Workspace {
        let root = root.into();
        let url = crate::store::default_url(&root);
        Workspace::with_store(root, url)
    }

    /// A data directory whose metadata lives in the store at `url` (`sqlite://PATH` or
    /// `postgres://…`).
    pub fn with_store(root: impl Into<PathBuf>, url: impl Into<String>) -> Workspace {
        Workspace {
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
