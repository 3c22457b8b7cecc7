//! The metadata store: connections, their inputs, the extracted model (with the user's
//! selection), config, setup jobs with their phases, and the sync history, in SQL.
//!
//! SQLite file in the data directory by default (`metadata.sqlite`, WAL mode so the
//! background worker and `status` can use it at once), PostgreSQL by URL. Secret config
//! values are encrypted (ChaCha20-Poly1305, bound to their connection and field) with a key
//! held in the data directory in a 0600 file, so a shared PostgreSQL store never holds them in
//! clear. The SQL is the common subset of both databases (TEXT and BIGINT columns, `$N`
//! parameters, `ON CONFLICT` upserts); every multi-row change is one transaction.
//!
//! The rest of the crate is synchronous about metadata (the worker and many commands have no
//! runtime of their own), so the store runs its queries on a small runtime of its own and
//! blocks the caller until they are done; metadata calls are few and short.

use crate::connection::{Connection, Customization, Input, Phase};
use crate::vault::Vault;
use crate::{Error, Result};
use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;
use sqlx::Row;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Schema, one entry per version; applied in order, each in its own transaction.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    destination TEXT NOT NULL,
    schema_name TEXT NOT NULL UNIQUE,
    schema_frozen BIGINT NOT NULL,
    phase TEXT NOT NULL,
    error TEXT,
    component TEXT,
    component_hash TEXT,
    last_test TEXT,
    last_sync TEXT,
    customization TEXT NOT NULL,
    sync_every BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE inputs (
    connection_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    location TEXT NOT NULL,
    PRIMARY KEY (connection_id, position)
);
CREATE TABLE models (
    connection_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE config (
    connection_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    secret BIGINT NOT NULL,
    PRIMARY KEY (connection_id, name)
);
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    pid BIGINT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    error TEXT
);
CREATE INDEX jobs_by_connection ON jobs (connection_id, started_at);
CREATE TABLE job_phases (
    job_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    phase TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (job_id, position)
);
CREATE TABLE sync_runs (
    id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL,
    status TEXT NOT NULL,
    full_refresh BIGINT NOT NULL,
    incremental BIGINT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    rows_written BIGINT,
    requests BIGINT,
    error TEXT,
    report TEXT
);
CREATE INDEX sync_runs_by_connection ON sync_runs (connection_id, started_at)
"#];

/// A setup job (one run of the setup phases) and the phases it went through.
#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    /// Job id.
    pub id: String,
    /// `setup`.
    pub kind: String,
    /// `running`, `succeeded` or `failed` (a `running` job whose process is gone was
    /// interrupted).
    pub status: String,
    /// Process that ran it.
    pub pid: i64,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// End time.
    pub finished_at: Option<String>,
    /// Failure reason.
    pub error: Option<String>,
    /// Phases entered, with their start times.
    pub phases: Vec<(String, String)>,
}

/// One sync run.
#[derive(Debug, Clone, Serialize)]
pub struct SyncRun {
    /// Run id.
    pub id: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Whether `--full` was asked.
    pub full_refresh: bool,
    /// Whether it continued from saved state.
    pub incremental: Option<bool>,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// End time.
    pub finished_at: Option<String>,
    /// Rows committed by the run (also for a failed run: what it committed before failing).
    pub rows: Option<i64>,
    /// HTTP requests made.
    pub requests: Option<i64>,
    /// Failure reason.
    pub error: Option<String>,
    /// The full report of a successful run.
    pub report: Option<serde_json::Value>,
}

/// How a sync run ended.
pub enum RunEnd<'a> {
    /// Succeeded with this report.
    Succeeded {
        /// Incremental or historical.
        incremental: bool,
        /// Rows written.
        rows: u64,
        /// Requests made.
        requests: u64,
        /// The report, as JSON.
        report: serde_json::Value,
    },
    /// Failed after committing `rows`.
    Failed {
        /// Rows committed before the failure.
        rows: u64,
        /// Why.
        reason: &'a str,
    },
    /// Some tables failed while the others synced (status `partial`): the report and why.
    Partial {
        /// Incremental or historical.
        incremental: bool,
        /// Rows written.
        rows: u64,
        /// Requests made.
        requests: u64,
        /// The failed tables and their causes.
        reason: &'a str,
        /// The report, as JSON (with `failed_tables`).
        report: serde_json::Value,
    },
    /// Stopped on request (SIGINT/SIGTERM) after committing `rows`; the next sync resumes.
    Stopped {
        /// Rows committed before the stop.
        rows: u64,
    },
}

/// An open metadata store.
pub struct Store {
    pool: AnyPool,
    vault: Vault,
    what: String,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("metadata-store")
            .enable_all()
            .build()
            .expect("the metadata store's runtime starts")
    })
}

/// Runs a store future on the store's runtime and waits for it (callable from sync code and
/// from inside other runtimes alike).
fn block<T: Send + 'static>(fut: impl Future<Output = Result<T>> + Send + 'static) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| Error::Io(std::io::Error::other("a metadata store query panicked")))?
}

fn db(what: &str, source: sqlx::Error) -> Error {
    Error::Store {
        what: what.to_string(),
        source,
    }
}

fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// The URL of the default store of a data directory.
pub fn default_url(root: &Path) -> String {
    let path = root.join("metadata.sqlite").display().to_string();
    let escaped = path
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("sqlite://{escaped}?mode=rwc")
}

/// A store URL without its password (user info or query), for messages.
pub fn redact_url(url: &str) -> String {
    connector_agent_destination::redact_url(url)
}

impl Store {
    /// Opens (and migrates) the store at `url`; `key_path` is the secret key's file.
    pub fn open(url: &str, key_path: &Path) -> Result<Store> {
        let vault = Vault::open(key_path)?;
        let what = redact_url(url);
        if let Some(path) = url.strip_prefix("sqlite://") {
            let file = path.split('?').next().unwrap_or_default();
            if let Some(dir) = Path::new(file).parent() {
                crate::files::private_dir(dir)?;
            }
            // The database, its `-wal` and `-shm` (SQLite gives them the database's mode):
            // 0600, whatever the umask.
            let decoded = percent_encoding::percent_decode_str(file).decode_utf8_lossy();
            let db = Path::new(decoded.as_ref());
            crate::files::private_file(db)?;
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", db.display()));
                if side.exists() {
                    crate::files::private_file(&side)?;
                }
            }
        } else if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(Error::Config(format!(
                "metadata store `{what}`: use a `sqlite://PATH` or `postgres://…` URL"
            )));
        }
        let url = url.to_string();
        let label = what.clone();
        let pool = block(async move {
            sqlx::any::install_default_drivers();
            let pool = AnyPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(std::time::Duration::from_secs(30))
                .connect(&url)
                .await
                .map_err(|e| db(&format!("connecting to the metadata store `{label}`"), e))?;
            if url.starts_with("sqlite:") {
                sqlx::query("PRAGMA journal_mode=WAL")
                    .execute(&pool)
                    .await
                    .map_err(|e| db("switching the metadata store to WAL", e))?;
            }
            migrate(&pool, !url.starts_with("sqlite:")).await?;
            Ok(pool)
        })?;
        Ok(Store { pool, vault, what })
    }

    /// The store, for messages (password redacted).
    pub fn describe(&self) -> &str {
        &self.what
    }

    /// Whether a connection id is taken.
    pub fn exists(&self, id: &str) -> Result<bool> {
        let pool = self.pool.clone();
        let id = id.to_string();
        block(async move {
            let row = sqlx::query("SELECT 1 FROM connections WHERE id = $1")
                .bind(id)
                .fetch_optional(&pool)
                .await
                .map_err(|e| db("reading connections", e))?;
            Ok(row.is_some())
        })
    }

    /// One connection (without secrets).
    pub fn load(&self, id: &str) -> Result<Option<Connection>> {
        let pool = self.pool.clone();
        let id = id.to_string();
        block(async move {
            let Some(row) = sqlx::query(&format!("{SELECT_CONNECTION} WHERE id = $1"))
                .bind(id.clone())
                .fetch_optional(&pool)
                .await
                .map_err(|e| db(&format!("reading connection `{id}`"), e))?
            else {
                return Ok(None);
            };
            let mut conn = connection_from_row(&row)?;
            fill_details(&pool, &mut conn).await?;
            Ok(Some(conn))
        })
    }

    /// All connections, by id.
    pub fn list(&self) -> Result<Vec<Connection>> {
        let pool = self.pool.clone();
        block(async move {
            let rows = sqlx::query(&format!("{SELECT_CONNECTION} ORDER BY id"))
                .fetch_all(&pool)
                .await
                .map_err(|e| db("listing connections", e))?;
            let mut out = Vec::new();
            for row in &rows {
                let mut conn = connection_from_row(row)?;
                fill_details(&pool, &mut conn).await?;
                out.push(conn);
            }
            Ok(out)
        })
    }

    /// Saves a connection, its inputs and its non-secret config in one transaction.
    pub fn save(&self, c: &Connection) -> Result<()> {
        let pool = self.pool.clone();
        let c = c.clone();
        block(async move {
            let what = format!("saving connection `{}`", c.id);
            let err = |e| db(&what, e);
            let mut tx = pool.begin().await.map_err(err)?;
            let stamp = now();
            sqlx::query(
                "INSERT INTO connections (id, name, destination, schema_name, schema_frozen, phase, error, \
                 component, component_hash, last_test, last_sync, customization, sync_every, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, destination = excluded.destination, \
                 schema_name = excluded.schema_name, schema_frozen = excluded.schema_frozen, \
                 phase = excluded.phase, error = excluded.error, component = excluded.component, \
                 component_hash = excluded.component_hash, last_test = excluded.last_test, \
                 last_sync = excluded.last_sync, customization = excluded.customization, \
                 sync_every = excluded.sync_every, \
                 updated_at = excluded.updated_at",
            )
            .bind(c.id.clone())
            .bind(c.name.clone())
            .bind(c.destination.clone())
            .bind(c.schema.clone())
            .bind(i64::from(c.schema_frozen))
            .bind(phase_name(c.phase))
            .bind(c.error.clone())
            .bind(c.component.as_ref().map(|p| p.display().to_string()))
            .bind(c.component_hash.clone())
            .bind(c.last_test.clone())
            .bind(c.last_sync.clone())
            .bind(serde_json::to_string(&c.customization).expect("customisations serialise"))
            .bind(c.sync_every.map(|s| s as i64))
            .bind(stamp.clone())
            .bind(stamp)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => Error::Config(format!(
                    "schema `{}` is used by another connection",
                    c.schema
                )),
                _ => err(e),
            })?;
            sqlx::query("DELETE FROM inputs WHERE connection_id = $1")
                .bind(c.id.clone())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            for (i, input) in c.inputs.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO inputs (connection_id, position, kind, location) VALUES ($1, $2, $3, $4)",
                )
                .bind(c.id.clone())
                .bind(i as i64)
                .bind(input.kind())
                .bind(input.location().to_string())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            }
            sqlx::query("DELETE FROM config WHERE connection_id = $1 AND secret = 0")
                .bind(c.id.clone())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            for (k, v) in &c.config {
                upsert_config(&mut tx, &c.id, k, v, false)
                    .await
                    .map_err(err)?;
            }
            tx.commit().await.map_err(err)
        })
    }

    /// The model as JSON, if extracted.
    pub fn load_model(&self, id: &str) -> Result<Option<String>> {
        let pool = self.pool.clone();
        let id = id.to_string();
        block(async move {
            let row = sqlx::query("SELECT model FROM models WHERE connection_id = $1")
                .bind(id.clone())
                .fetch_optional(&pool)
                .await
                .map_err(|e| db(&format!("reading the model of `{id}`"), e))?;
            row.map(|r| r.try_get::<String, _>(0))
                .transpose()
                .map_err(|e| db(&format!("reading the model of `{id}`"), e))
        })
    }

    /// Saves the model (JSON).
    pub fn save_model(&self, id: &str, json: String) -> Result<()> {
        let pool = self.pool.clone();
        let id = id.to_string();
        block(async move {
            sqlx::query(
                "INSERT INTO models (connection_id, model, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (connection_id) DO UPDATE SET model = excluded.model, updated_at = excluded.updated_at",
            )
            .bind(id.clone())
            .bind(json)
            .bind(now())
            .execute(&pool)
            .await
            .map_err(|e| db(&format!("saving the model of `{id}`"), e))?;
            Ok(())
        })
    }

    /// Secret config values, decrypted.
    pub fn load_secrets(&self, id: &str) -> Result<BTreeMap<String, String>> {
        let pool = self.pool.clone();
        let key = id.to_string();
        let rows = block(async move {
            let rows = sqlx::query(
                "SELECT name, value FROM config WHERE connection_id = $1 AND secret = 1 ORDER BY name",
            )
            .bind(key.clone())
            .fetch_all(&pool)
            .await
            .map_err(|e| db(&format!("reading the secrets of `{key}`"), e))?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
                .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
                .map_err(|e| db(&format!("reading the secrets of `{key}`"), e))
        })?;
        rows.into_iter()
            .map(|(name, sealed)| {
                let plain = self.vault.unseal(id, &name, &sealed)?;
                Ok((name, plain))
            })
            .collect()
    }

    /// Replaces the secret config values in one transaction: readers see the old set or the
    /// new one, never a mix (a rotated OAuth refresh token is never half-stored).
    pub fn save_secrets(&self, id: &str, secrets: &BTreeMap<String, String>) -> Result<()> {
        let sealed: Vec<(String, String)> = secrets
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.vault.seal(id, k, v)?)))
            .collect::<Result<_>>()?;
        let pool = self.pool.clone();
        let id = id.to_string();
        block(async move {
            let what = format!("saving the secrets of `{id}`");
            let err = |e| db(&what, e);
            let mut tx = pool.begin().await.map_err(err)?;
            sqlx::query("DELETE FROM config WHERE connection_id = $1 AND secret = 1")
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            for (k, v) in &sealed {
                upsert_config(&mut tx, &id, k, v, true).await.map_err(err)?;
            }
            tx.commit().await.map_err(err)
        })
    }

    /// Sets (`Some`) or removes (`None`) some secret values in one transaction, leaving the
    /// others as they are: concurrent writers of different fields (a token refresh during
    /// `setup --set`) never undo each other.
    pub fn update_secrets(&self, id: &str, changes: &[(String, Option<String>)]) -> Result<()> {
        let sealed: Vec<(String, Option<String>)> = changes
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    v.as_deref()
                        .map(|v| self.vault.seal(id, k, v))
                        .transpose()?,
                ))
            })
            .collect::<Result<_>>()?;
        let pool = self.pool.clone();
        let id = id.to_string();
        block(async move {
            let what = format!("saving the secrets of `{id}`");
            let err = |e| db(&what, e);
            let mut tx = pool.begin().await.map_err(err)?;
            for (k, v) in &sealed {
                match v {
                    Some(v) => upsert_config(&mut tx, &id, k, v, true).await.map_err(err)?,
                    None => {
                        sqlx::query(
                            "DELETE FROM config WHERE connection_id = $1 AND name = $2 AND secret = 1",
                        )
                        .bind(id.clone())
                        .bind(k.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                    }
                }
            }
            tx.commit().await.map_err(err)
        })
    }

    /// Starts a job; returns its id.
    pub fn job_start(&self, connection: &str, kind: &str) -> Result<String> {
        let pool = self.pool.clone();
        let id = uuid::Uuid::new_v4().to_string();
        let (job, connection, kind) = (id.clone(), connection.to_string(), kind.to_string());
        block(async move {
            sqlx::query(
                "INSERT INTO jobs (id, connection_id, kind, status, pid, started_at) VALUES ($1, $2, $3, 'running', $4, $5)",
            )
            .bind(job)
            .bind(connection)
            .bind(kind)
            .bind(i64::from(std::process::id()))
            .bind(now())
            .execute(&pool)
            .await
            .map_err(|e| db("recording a job", e))?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Records that a job entered a phase.
    pub fn job_phase(&self, job: &str, phase: Phase) -> Result<()> {
        let pool = self.pool.clone();
        let job = job.to_string();
        block(async move {
            sqlx::query(
                "INSERT INTO job_phases (job_id, position, phase, at) \
                 SELECT $1, COUNT(*), $2, $3 FROM job_phases WHERE job_id = $4",
            )
            .bind(job.clone())
            .bind(phase_name(phase))
            .bind(now())
            .bind(job)
            .execute(&pool)
            .await
            .map_err(|e| db("recording a job phase", e))?;
            Ok(())
        })
    }

    /// Ends a job.
    pub fn job_finish(&self, job: &str, error: Option<&str>) -> Result<()> {
        let pool = self.pool.clone();
        let job = job.to_string();
        let error = error.map(str::to_string);
        block(async move {
            sqlx::query("UPDATE jobs SET status = $1, finished_at = $2, error = $3 WHERE id = $4")
                .bind(if error.is_some() {
                    "failed"
                } else {
                    "succeeded"
                })
                .bind(now())
                .bind(error)
                .bind(job)
                .execute(&pool)
                .await
                .map_err(|e| db("recording a job's end", e))?;
            Ok(())
        })
    }

    /// A connection's jobs, newest first, with their phases.
    pub fn jobs(&self, connection: &str, limit: i64) -> Result<Vec<JobRecord>> {
        let pool = self.pool.clone();
        let connection = connection.to_string();
        block(async move {
            let err = |e| db("reading jobs", e);
            let rows = sqlx::query(
                "SELECT id, kind, status, pid, started_at, finished_at, error FROM jobs \
                 WHERE connection_id = $1 ORDER BY started_at DESC LIMIT $2",
            )
            .bind(connection)
            .bind(limit)
            .fetch_all(&pool)
            .await
            .map_err(err)?;
            let mut out = Vec::new();
            for r in &rows {
                let id: String = r.try_get(0).map_err(err)?;
                let phases = sqlx::query(
                    "SELECT phase, at FROM job_phases WHERE job_id = $1 ORDER BY position",
                )
                .bind(id.clone())
                .fetch_all(&pool)
                .await
                .map_err(err)?
                .iter()
                .map(|p| Ok((p.try_get::<String, _>(0)?, p.try_get::<String, _>(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(err)?;
                out.push(JobRecord {
                    id,
                    kind: r.try_get(1).map_err(err)?,
                    status: r.try_get(2).map_err(err)?,
                    pid: r.try_get(3).map_err(err)?,
                    started_at: r.try_get(4).map_err(err)?,
                    finished_at: r.try_get(5).map_err(err)?,
                    error: r.try_get(6).map_err(err)?,
                    phases,
                });
            }
            Ok(out)
        })
    }

    /// Records the start of a sync run; returns its id.
    pub fn sync_start(&self, connection: &str, full_refresh: bool) -> Result<String> {
        let pool = self.pool.clone();
        let id = uuid::Uuid::new_v4().to_string();
        let (run, connection) = (id.clone(), connection.to_string());
        block(async move {
            sqlx::query(
                "INSERT INTO sync_runs (id, connection_id, status, full_refresh, started_at) VALUES ($1, $2, 'running', $3, $4)",
            )
            .bind(run)
            .bind(connection)
            .bind(i64::from(full_refresh))
            .bind(now())
            .execute(&pool)
            .await
            .map_err(|e| db("recording a sync run", e))?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Records how a sync run ended.
    pub fn sync_finish(&self, run: &str, end: RunEnd<'_>) -> Result<()> {
        let pool = self.pool.clone();
        let run = run.to_string();
        let (status, incremental, rows, requests, error, report) = match end {
            RunEnd::Succeeded {
                incremental,
                rows,
                requests,
                report,
            } => (
                "succeeded",
                Some(i64::from(incremental)),
                rows as i64,
                Some(requests as i64),
                None,
                Some(report.to_string()),
            ),
            RunEnd::Failed { rows, reason } => (
                "failed",
                None,
                rows as i64,
                None,
                Some(reason.to_string()),
                None,
            ),
            RunEnd::Partial {
                incremental,
                rows,
                requests,
                reason,
                report,
            } => (
                "partial",
                Some(i64::from(incremental)),
                rows as i64,
                Some(requests as i64),
                Some(reason.to_string()),
                Some(report.to_string()),
            ),
            RunEnd::Stopped { rows } => (
                "stopped",
                None,
                rows as i64,
                None,
                Some("stopped on request after the last committed page; the next sync resumes from it".to_string()),
                None,
            ),
        };
        block(async move {
            sqlx::query(
                "UPDATE sync_runs SET status = $1, incremental = $2, rows_written = $3, requests = $4, \
                 error = $5, report = $6, finished_at = $7 WHERE id = $8",
            )
            .bind(status)
            .bind(incremental)
            .bind(rows)
            .bind(requests)
            .bind(error)
            .bind(report)
            .bind(now())
            .bind(run)
            .execute(&pool)
            .await
            .map_err(|e| db("recording the end of a sync run", e))?;
            Ok(())
        })
    }

    /// Marks the connection's runs still recorded as running as interrupted: their process
    /// ended (killed, crashed, the machine stopped) before it could record the end. Called
    /// only while holding the connection's sync lock, so none of them is really running.
    /// Returns how many were marked.
    pub fn sync_interrupted(&self, connection: &str) -> Result<u64> {
        let pool = self.pool.clone();
        let connection = connection.to_string();
        block(async move {
            let done = sqlx::query(
                "UPDATE sync_runs SET status = 'interrupted', finished_at = $1, error = $2 \
                 WHERE connection_id = $3 AND status = 'running'",
            )
            .bind(now())
            .bind("the process ended before the sync finished (killed or crashed); the next sync resumed from the last committed page")
            .bind(connection)
            .execute(&pool)
            .await
            .map_err(|e| db("marking interrupted sync runs", e))?;
            Ok(done.rows_affected())
        })
    }

    /// Whether any sync run of the connection committed rows (a failed one included), or may
    /// have (a run whose process was killed).
    pub fn any_rows_committed(&self, connection: &str) -> Result<bool> {
        let pool = self.pool.clone();
        let connection = connection.to_string();
        block(async move {
            let row = sqlx::query(
                // A run that was killed never recorded its rows: it may have committed some.
                "SELECT 1 FROM sync_runs WHERE connection_id = $1 \
                 AND (rows_written > 0 OR status IN ('running', 'interrupted')) LIMIT 1",
            )
            .bind(connection)
            .fetch_optional(&pool)
            .await
            .map_err(|e| db("reading the sync history", e))?;
            Ok(row.is_some())
        })
    }

    /// A connection's sync runs, newest first.
    pub fn sync_runs(&self, connection: &str, limit: i64) -> Result<Vec<SyncRun>> {
        let pool = self.pool.clone();
        let connection = connection.to_string();
        block(async move {
            let err = |e| db("reading the sync history", e);
            let rows = sqlx::query(
                "SELECT id, status, full_refresh, incremental, started_at, finished_at, rows_written, \
                 requests, error, report FROM sync_runs WHERE connection_id = $1 \
                 ORDER BY started_at DESC LIMIT $2",
            )
            .bind(connection)
            .bind(limit)
            .fetch_all(&pool)
            .await
            .map_err(err)?;
            rows.iter()
                .map(|r| {
                    Ok(SyncRun {
                        id: r.try_get(0)?,
                        status: r.try_get(1)?,
                        full_refresh: r.try_get::<i64, _>(2)? != 0,
                        incremental: r.try_get::<Option<i64>, _>(3)?.map(|v| v != 0),
                        started_at: r.try_get(4)?,
                        finished_at: r.try_get(5)?,
                        rows: r.try_get(6)?,
                        requests: r.try_get(7)?,
                        error: r.try_get(8)?,
                        report: r
                            .try_get::<Option<String>, _>(9)?
                            .and_then(|t| serde_json::from_str(&t).ok()),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(err)
        })
    }
}

const SELECT_CONNECTION: &str =
    "SELECT id, name, destination, schema_name, schema_frozen, phase, error, \
     component, component_hash, last_test, last_sync, customization, sync_every FROM connections";

fn connection_from_row(r: &AnyRow) -> Result<Connection> {
    let read = || -> Result<Connection, sqlx::Error> {
        let id: String = r.try_get(0)?;
        let phase: String = r.try_get(5)?;
        let customization: String = r.try_get(11)?;
        Ok(Connection {
            name: r.try_get(1)?,
            destination: r.try_get(2)?,
            schema: r.try_get(3)?,
            schema_frozen: r.try_get::<i64, _>(4)? != 0,
            phase: phase_from_name(&phase).ok_or_else(|| {
                sqlx::Error::Decode(format!("connection `{id}`: unknown phase `{phase}`").into())
            })?,
            error: r.try_get(6)?,
            component: r.try_get::<Option<String>, _>(7)?.map(PathBuf::from),
            component_hash: r.try_get(8)?,
            last_test: r.try_get(9)?,
            last_sync: r.try_get(10)?,
            customization: serde_json::from_str::<Customization>(&customization).map_err(|e| {
                sqlx::Error::Decode(format!("connection `{id}`: customisation: {e}").into())
            })?,
            sync_every: r.try_get::<Option<i64>, _>(12)?.map(|s| s as u64),
            inputs: Vec::new(),
            config: BTreeMap::new(),
            id,
        })
    };
    read().map_err(|e| db("reading a connection", e))
}

async fn fill_details(pool: &AnyPool, conn: &mut Connection) -> Result<()> {
    let what = format!("reading connection `{}`", conn.id);
    let err = |e| db(&what, e);
    let inputs =
        sqlx::query("SELECT kind, location FROM inputs WHERE connection_id = $1 ORDER BY position")
            .bind(conn.id.clone())
            .fetch_all(pool)
            .await
            .map_err(err)?;
    for r in &inputs {
        let kind: String = r.try_get(0).map_err(err)?;
        let location: String = r.try_get(1).map_err(err)?;
        conn.inputs
            .push(Input::from_kind(&kind, location).ok_or_else(|| {
                Error::Config(format!(
                    "connection `{}`: unknown input kind `{kind}`",
                    conn.id
                ))
            })?);
    }
    let config = sqlx::query(
        "SELECT name, value FROM config WHERE connection_id = $1 AND secret = 0 ORDER BY name",
    )
    .bind(conn.id.clone())
    .fetch_all(pool)
    .await
    .map_err(err)?;
    for r in &config {
        conn.config
            .insert(r.try_get(0).map_err(err)?, r.try_get(1).map_err(err)?);
    }
    Ok(())
}

async fn upsert_config(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    name: &str,
    value: &str,
    secret: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO config (connection_id, name, value, secret) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (connection_id, name) DO UPDATE SET value = excluded.value, secret = excluded.secret",
    )
    .bind(id.to_string())
    .bind(name.to_string())
    .bind(value.to_string())
    .bind(i64::from(secret))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn migrate(pool: &AnyPool, postgres: bool) -> Result<()> {
    let err = |e| db("migrating the metadata store", e);
    let mut tx = pool.begin().await.map_err(err)?;
    if postgres {
        // Two processes opening a fresh store at once: one migrates, the other waits.
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(7305841512)) AS locked")
            .execute(&mut *tx)
            .await
            .map_err(err)?;
    }
    sqlx::query("CREATE TABLE IF NOT EXISTS connector_agent_meta (version BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await
        .map_err(err)?;
    let version: Option<i64> = sqlx::query("SELECT MAX(version) FROM connector_agent_meta")
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?
        .try_get(0)
        .map_err(err)?;
    let version = version.unwrap_or(0) as usize;
    if version > MIGRATIONS.len() {
        return Err(Error::Config(format!(
            "the metadata store is at version {version}, newer than this connector-agent knows ({}); upgrade connector-agent",
            MIGRATIONS.len()
        )));
    }
    for (i, script) in MIGRATIONS.iter().enumerate().skip(version) {
        for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query("INSERT INTO connector_agent_meta (version) VALUES ($1)")
            .bind(i as i64 + 1)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

/// The stored name of a phase.
pub fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Scanning => "scanning",
        Phase::EndpointsReady => "endpoints_ready",
        Phase::Generating => "generating",
        Phase::Compiling => "compiling",
        Phase::Ready => "ready",
        Phase::Failed => "failed",
    }
}

fn phase_from_name(s: &str) -> Option<Phase> {
    [
        Phase::Scanning,
        Phase::EndpointsReady,
        Phase::Generating,
        Phase::Compiling,
        Phase::Ready,
        Phase::Failed,
    ]
    .into_iter()
    .find(|p| phase_name(*p) == s)
}
