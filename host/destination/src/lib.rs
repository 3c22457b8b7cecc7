//! Stage: the destination database.
//!
//! One schema per connection, one table per synced endpoint, upsert by primary key, a
//! `_synced_at` column on every row, nested values as JSON text. The sync state is written
//! in the same transaction as the rows it covers ([`Writer::commit`]), so a crash at any
//! point leaves the destination as it was after the last committed checkpoint.
//!
//! SQLite (the embedded default): `sqlite:PATH` names the warehouse; the connection's schema
//! is the SQLite file `PATH`'s stem + `.` + schema + `.sqlite`, next to it. Records are loaded
//! with `json_each`, so a page of records is one statement. PostgreSQL comes in a later issue.

mod ddl;

pub use ddl::{quote_ident, ColumnSpec, SqlType, TableSpec};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Row, SqliteConnection};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Destination errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The destination URL is not understood.
    #[error("invalid destination `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The schema name is not allowed.
    #[error(
        "invalid schema name `{0}`: use lower-case letters, digits and `_`, starting with a letter"
    )]
    SchemaName(String),
    /// A database operation failed.
    #[error("destination `{place}`: {action} failed")]
    Db {
        /// Database file or URL.
        place: String,
        /// What was being done.
        action: String,
        /// Cause.
        #[source]
        source: sqlx::Error,
    },
    /// A record batch names a table the destination was not prepared for.
    #[error("unknown table `{0}` in a record batch")]
    UnknownTable(String),
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where data goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationUrl {
    /// A SQLite warehouse path.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl DestinationUrl {
    /// Parses `sqlite:PATH`, `sqlite://PATH` or `postgres://…`.
    pub fn parse(text: &str) -> Result<DestinationUrl> {
        let err = |reason: &str| Error::Url {
            url: text.into(),
            reason: reason.into(),
        };
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(err("the path is empty"));
            }
            Ok(DestinationUrl::Sqlite(PathBuf::from(path)))
        } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Ok(DestinationUrl::Postgres(text.into()))
        } else {
            Err(err("expected `sqlite:PATH` or `postgres://…`"))
        }
    }

    /// The SQLite file holding a schema.
    pub fn sqlite_schema_file(warehouse: &Path, schema: &str) -> PathBuf {
        let stem = warehouse
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "warehouse".into());
        warehouse.with_file_name(format!("{stem}.{schema}.sqlite"))
    }

    /// Human description of where a schema's data lives.
    pub fn describe(&self, schema: &str) -> String {
        match self {
            DestinationUrl::Sqlite(p) => Self::sqlite_schema_file(p, schema).display().to_string(),
            DestinationUrl::Postgres(u) => format!("{} schema {schema}", redact_url(u)),
        }
    }
}

fn redact_url(u: &str) -> String {
    match (u.find("://"), u.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &u[..s], &u[at..]),
        _ => u.to_string(),
    }
}

/// Checks a schema name.
pub fn validate_schema_name(name: &str) -> Result<()> {
    let ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::SchemaName(name.into()))
    }
}

/// Rows written by one commit, per table.
#[derive(Debug, Clone, Default)]
pub struct CommitStats {
    /// Rows inserted or updated, per table.
    pub rows: HashMap<String, u64>,
}

struct Prepared {
    spec: TableSpec,
    insert_sql: String,
    paths: Vec<String>,
}

/// An open destination for one connection's schema.
pub struct Writer {
    conn: SqliteConnection,
    place: String,
    tables: HashMap<String, Prepared>,
}

const STATE_TABLE: &str = "_connector_agent_state";

impl Writer {
    /// Opens (creating if needed) the schema of a connection.
    pub async fn open(url: &DestinationUrl, schema: &str) -> Result<Writer> {
        validate_schema_name(schema)?;
        let path = match url {
            DestinationUrl::Sqlite(p) => DestinationUrl::sqlite_schema_file(p, schema),
            DestinationUrl::Postgres(u) => {
                return Err(Error::Url {
                    url: redact_url(u),
                    reason: "PostgreSQL destinations are not supported yet; use `sqlite:PATH`"
                        .into(),
                })
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs_err::create_dir_all(dir)?;
        }
        let place = path.display().to_string();
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(30));
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .map_err(|source| Error::Db {
                place: place.clone(),
                action: "opening".into(),
                source,
            })?;
        sqlx::query(&format!(
            "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL, counter INTEGER NOT NULL, updated_at TEXT NOT NULL)"
        ))
        .execute(&mut conn)
        .await
        .map_err(|source| Error::Db { place: place.clone(), action: "creating the state table".into(), source })?;
        Ok(Writer {
            conn,
            place,
            tables: HashMap::new(),
        })
    }

    /// The database file.
    pub fn place(&self) -> &str {
        &self.place
    }

    fn db_err(&self, action: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error + 'static {
        let (place, action) = (self.place.clone(), action.into());
        move |source| Error::Db {
            place,
            action,
            source,
        }
    }

    /// The columns a table has now; empty when the table does not exist.
    pub async fn existing_columns(&mut self, table: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(&format!(
            "SELECT name FROM pragma_table_info({})",
            ddl::quote_literal(table)
        ))
        .fetch_all(&mut self.conn)
        .await
        .map_err(self.db_err(format!("reading table `{table}`")))?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// Creates missing tables and adds missing columns. Returns the columns added per table.
    pub async fn prepare(&mut self, specs: &[TableSpec]) -> Result<Vec<(String, Vec<String>)>> {
        let mut added_all = Vec::new();
        for spec in specs {
            let existing: Vec<String> = sqlx::query(&format!(
                "SELECT name FROM pragma_table_info({})",
                ddl::quote_literal(&spec.name)
            ))
            .fetch_all(&mut self.conn)
            .await
            .map_err(|source| Error::Db {
                place: self.place.clone(),
                action: format!("reading table `{}`", spec.name),
                source,
            })?
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
            if existing.is_empty() {
                let sql = ddl::create_table(spec);
                sqlx::query(&sql)
                    .execute(&mut self.conn)
                    .await
                    .map_err(self.db_err(format!("creating table `{}`", spec.name)))?;
            } else {
                let mut added = Vec::new();
                for col in spec.all_columns() {
                    if !existing.iter().any(|e| e == &col.name) {
                        let sql = format!(
                            "ALTER TABLE {} ADD COLUMN {} {}",
                            quote_ident(&spec.name),
                            quote_ident(&col.name),
                            col.ty.sqlite()
                        );
                        sqlx::query(&sql).execute(&mut self.conn).await.map_err(
                            self.db_err(format!("adding column `{}.{}`", spec.name, col.name)),
                        )?;
                        added.push(col.name.clone());
                    }
                }
                if !added.is_empty() {
                    added_all.push((spec.name.clone(), added));
                }
            }
            let (insert_sql, paths) = ddl::upsert_from_json(spec);
            self.tables.insert(
                spec.name.clone(),
                Prepared {
                    spec: spec.clone(),
                    insert_sql,
                    paths,
                },
            );
        }
        Ok(added_all)
    }

    /// The saved sync state and its counter.
    pub async fn load_state(&mut self) -> Result<Option<(String, i64)>> {
        let row = sqlx::query(&format!(
            "SELECT state, counter FROM {STATE_TABLE} WHERE id = 1"
        ))
        .fetch_optional(&mut self.conn)
        .await
        .map_err(self.db_err("reading the sync state"))?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Forgets the saved state (a full resync starts from scratch).
    pub async fn clear_state(&mut self) -> Result<()> {
        sqlx::query(&format!("DELETE FROM {STATE_TABLE}"))
            .execute(&mut self.conn)
            .await
            .map_err(self.db_err("clearing the sync state"))?;
        Ok(())
    }

    /// Writes record batches and the state that covers them in one transaction.
    pub async fn commit(
        &mut self,
        batches: &[(String, Vec<u8>)],
        state: &str,
        synced_at: &str,
    ) -> Result<CommitStats> {
        let place = self.place.clone();
        let mut stats = CommitStats::default();
        let mut tx = self.conn.begin().await.map_err(|source| Error::Db {
            place: place.clone(),
            action: "beginning a transaction".into(),
            source,
        })?;
        for (table, json) in batches {
            let prepared = self
                .tables
                .get(table)
                .ok_or_else(|| Error::UnknownTable(table.clone()))?;
            let text = std::str::from_utf8(json).map_err(|e| Error::Db {
                place: place.clone(),
                action: format!("loading records into `{table}`"),
                source: sqlx::Error::Decode(Box::new(e)),
            })?;
            let mut q = sqlx::query(&prepared.insert_sql).bind(text).bind(synced_at);
            for p in &prepared.paths {
                q = q.bind(p);
            }
            let done = q.execute(&mut *tx).await.map_err(|source| Error::Db {
                place: place.clone(),
                action: format!("loading records into `{}`", prepared.spec.name),
                source,
            })?;
            *stats.rows.entry(table.clone()).or_default() += done.rows_affected();
        }
        sqlx::query(&format!(
            "INSERT INTO {STATE_TABLE} (id, state, counter, updated_at) VALUES (1, ?1, 1, ?2) ON CONFLICT(id) DO UPDATE SET state = excluded.state, counter = counter + 1, updated_at = excluded.updated_at"
        ))
        .bind(state)
        .bind(synced_at)
        .execute(&mut *tx)
        .await
        .map_err(|source| Error::Db { place: place.clone(), action: "saving the sync state".into(), source })?;
        tx.commit().await.map_err(|source| Error::Db {
            place,
            action: "committing".into(),
            source,
        })?;
        Ok(stats)
    }

    /// Save & Test: the destination can be written (a write rolled back).
    pub async fn check_writable(&mut self) -> Result<()> {
        let err = self.db_err("beginning a transaction");
        let mut tx = self.conn.begin().await.map_err(err)?;
        sqlx::query("CREATE TABLE _connector_agent_probe (x INTEGER)")
            .execute(&mut *tx)
            .await
            .map_err(|source| Error::Db {
                place: self.place.clone(),
                action: "writing a probe table".into(),
                source,
            })?;
        tx.rollback().await.map_err(|source| Error::Db {
            place: self.place.clone(),
            action: "rolling back the probe".into(),
            source,
        })?;
        Ok(())
    }

    /// Rows in a table.
    pub async fn count(&mut self, table: &str) -> Result<i64> {
        let row = sqlx::query(&format!("SELECT count(*) FROM {}", quote_ident(table)))
            .fetch_one(&mut self.conn)
            .await
            .map_err(self.db_err(format!("counting `{table}`")))?;
        Ok(row.get(0))
    }

    /// Closes the connection cleanly (checkpoints the WAL).
    pub async fn close(self) -> Result<()> {
        let place = self.place.clone();
        self.conn.close().await.map_err(|source| Error::Db {
            place,
            action: "closing".into(),
            source,
        })
    }
}
