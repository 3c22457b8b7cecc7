//! The writer: one connection to one schema, SQLite or PostgreSQL. Every operation is written
//! once; [`on_conn!`] expands it for each backend, and the SQL text comes from [`Dialect`].

use crate::ddl::Dialect;
use crate::{describe_pg, pg_options, DestinationUrl, Error, Result, TableSpec};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use std::collections::HashMap;
use std::time::Duration;

/// How long connecting to a PostgreSQL server may take before it counts as unreachable.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Rows written by one commit, per table.
#[derive(Debug, Clone, Default)]
pub struct CommitStats {
    /// Rows inserted or updated, per table.
    pub rows: HashMap<String, u64>,
    /// Records not written because their primary key was missing (PostgreSQL), per table.
    pub skipped_without_key: HashMap<String, u64>,
}

struct Prepared {
    insert_sql: String,
    keys: Vec<String>,
    /// The statement returns `(written, skipped)`.
    counts: bool,
    /// Rows are keyed by a hash of the record (a keyless table), counting identical records
    /// this writer committed before.
    row_ids: Option<crate::Occurrences>,
}

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs `$body` with `$c` bound to the connection of either backend: the body is written
/// once and type-checked for each.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

/// An open destination for one connection's schema.
pub struct Writer {
    conn: Conn,
    dialect: Dialect,
    place: String,
    tables: HashMap<String, Prepared>,
}

impl Writer {
    /// Opens (creating if needed) the schema of a connection.
    pub async fn open(url: &DestinationUrl, schema: &str) -> Result<Writer> {
        // A SQLite file may keep a `pg_` name given before such names were refused at setup.
        crate::validate_schema_syntax(schema)?;
        if matches!(url, DestinationUrl::Postgres(_)) && crate::is_reserved_schema(schema) {
            return Err(Error::ReservedSchema(schema.into()));
        }
        let place = url.describe(schema);
        let connect_err = |source| Error::Db {
            place: place.clone(),
            action: "connecting".into(),
            source,
        };
        let (conn, dialect) = match url {
            DestinationUrl::Sqlite(p) => {
                let path = DestinationUrl::sqlite_schema_file(p, schema);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if !dir.exists() {
                        fs_err::create_dir_all(dir)?;
                        #[cfg(unix)]
                        {
                            use std::os::unix::fs::PermissionsExt;
                            fs_err::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
                        }
                    }
                }
                // The warehouse holds the synced data: 0600 whatever the umask (SQLite gives
                // its `-wal` and `-shm` the database file's mode).
                #[cfg(unix)]
                {
                    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .mode(0o600)
                        .open(&path)?;
                    fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
                let opts = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30));
                let conn = SqliteConnection::connect_with(&opts)
                    .await
                    .map_err(connect_err)?;
                (Conn::Sqlite(conn), Dialect::Sqlite)
            }
            DestinationUrl::Postgres(u) => {
                let opts = pg_options(u)?.application_name("connector-agent");
                let conn =
                    tokio::time::timeout(PG_CONNECT_TIMEOUT, PgConnection::connect_with(&opts))
                        .await
                        .unwrap_or_else(|_| {
                            Err(sqlx::Error::Io(std::io::Error::new(
                                std::io::ErrorKind::TimedOut,
                                format!(
                                    "no answer from {} within {} s",
                                    describe_pg(u),
                                    PG_CONNECT_TIMEOUT.as_secs()
                                ),
                            )))
                        })
                        .map_err(connect_err)?;
                let dialect = Dialect::Postgres {
                    schema: schema.into(),
                };
                (Conn::Postgres(conn), dialect)
            }
        };
        let mut writer = Writer {
            conn,
            dialect,
            place,
            tables: HashMap::new(),
        };
        let setup = writer.dialect.setup();
        let err = writer.db_err("preparing the schema");
        on_conn!(&mut writer.conn, c => sqlx::raw_sql(&setup).execute(c).await.map(drop))
            .map_err(err)?;
        Ok(writer)
    }

    /// Where the data goes: the SQLite file, or the PostgreSQL server, database and schema
    /// (never the password).
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
        let sql = self.dialect.existing_columns();
        let name = self.dialect.stored_name(table);
        let err = self.db_err(format!("reading table `{table}`"));
        let names: Vec<String> = on_conn!(&mut self.conn, c => sqlx::query(&sql)
            .bind(&name)
            .fetch_all(c)
            .await
            .map(|rows| rows.iter().map(|r| r.get::<String, _>(0)).collect()))
        .map_err(err)?;
        Ok(names)
    }

    async fn execute(&mut self, sql: &str, action: String) -> Result<()> {
        let err = self.db_err(action);
        on_conn!(&mut self.conn, c => sqlx::query(sql).execute(c).await.map(drop)).map_err(err)
    }

    /// Creates missing tables and adds missing columns. Returns the columns added per table
    /// (as record keys). Each key's column comes from [`TableSpec::layout`]: sanitised,
    /// deduplicated and capped the same way on both backends.
    pub async fn prepare(&mut self, specs: &[TableSpec]) -> Result<Vec<(String, Vec<String>)>> {
        let mut added_all = Vec::new();
        for spec in specs {
            let existing = self.existing_columns(&spec.name).await?;
            let layout = spec.layout(&existing);
            if !layout.dropped.is_empty() {
                tracing::warn!(
                    table = %spec.name,
                    dropped = layout.dropped.len(),
                    "keys beyond {} columns get no column",
                    crate::MAX_COLUMNS
                );
            }
            if existing.is_empty() {
                let sql = self.dialect.create_table(&layout);
                self.execute(&sql, format!("creating table `{}`", spec.name))
                    .await?;
            } else {
                let have: std::collections::HashSet<&str> =
                    existing.iter().map(String::as_str).collect();
                let mut added = Vec::new();
                for col in &layout.columns {
                    if !have.contains(col.name.as_str()) {
                        let sql = self.dialect.add_column(&spec.name, col);
                        self.execute(&sql, format!("adding column `{}.{}`", spec.name, col.name))
                            .await?;
                        added.push(col.key.clone());
                    }
                }
                if !added.is_empty() {
                    added_all.push((spec.name.clone(), added));
                }
            }
            let row_ids = spec.keyed_by_row_id();
            if row_ids {
                let sql = self.dialect.row_id_index(&spec.name);
                self.execute(&sql, format!("indexing the row ids of `{}`", spec.name))
                    .await?;
            }
            let (insert_sql, keys) = self.dialect.upsert_from_json(&layout);
            let counts = self.dialect.upsert_counts(&layout);
            self.tables.insert(
                spec.name.clone(),
                Prepared {
                    insert_sql,
                    keys,
                    counts,
                    row_ids: row_ids.then(crate::Occurrences::default),
                },
            );
        }
        Ok(added_all)
    }

    /// The saved sync state and its counter.
    pub async fn load_state(&mut self) -> Result<Option<(String, i64)>> {
        let sql = self.dialect.load_state();
        let err = self.db_err("reading the sync state");
        on_conn!(&mut self.conn, c => sqlx::query(&sql)
            .fetch_optional(c)
            .await
            .map(|row| row.map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))))
        .map_err(err)
    }

    /// Forgets the saved state (a full resync starts from scratch).
    pub async fn clear_state(&mut self) -> Result<()> {
        let sql = self.dialect.clear_state();
        self.execute(&sql, "clearing the sync state".into()).await
    }

    /// Writes record batches (each a JSON array of records) and the state that covers them
    /// in one transaction: either all of it is written or none.
    pub async fn commit(
        &mut self,
        batches: &[(String, Vec<u8>)],
        state: &str,
        synced_at: &str,
    ) -> Result<CommitStats> {
        let mut loads = Vec::with_capacity(batches.len());
        let mut occurrences: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for (table, json) in batches {
            let prepared = self
                .tables
                .get(table)
                .ok_or_else(|| Error::UnknownTable(table.clone()))?;
            let text = std::str::from_utf8(json).map_err(|e| Error::Db {
                place: self.place.clone(),
                action: format!("loading records into `{table}`"),
                source: sqlx::Error::Decode(Box::new(e)),
            })?;
            let text: std::borrow::Cow<'_, str> = match &prepared.row_ids {
                Some(seen) => {
                    let pending = occurrences.entry(table.clone()).or_default();
                    let text = seen.with_row_ids(text, pending).map_err(|e| Error::Db {
                        place: self.place.clone(),
                        action: format!("keying the records of `{table}`"),
                        source: sqlx::Error::Decode(Box::new(e)),
                    })?;
                    std::borrow::Cow::Owned(text)
                }
                None => std::borrow::Cow::Borrowed(text),
            };
            let text = match self.dialect {
                // PostgreSQL's jsonb refuses the NUL character: one such string would fail
                // every retry of the page, so it becomes U+FFFD.
                Dialect::Postgres { .. } => match without_nul_escapes(&text) {
                    std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
                    std::borrow::Cow::Borrowed(_) => text,
                },
                Dialect::Sqlite => text,
            };
            loads.push((table, prepared, text));
        }
        let save_state = self.dialect.save_state();
        let place = self.place.clone();
        let db = |action: String| {
            let place = place.clone();
            move |source| Error::Db {
                place,
                action,
                source,
            }
        };
        let mut stats = CommitStats::default();
        on_conn!(&mut self.conn, c => {
            let mut tx = c.begin().await.map_err(db("beginning a transaction".into()))?;
            for (table, prepared, text) in &loads {
                let mut q = sqlx::query(&prepared.insert_sql).bind(text.as_ref()).bind(synced_at);
                for key in &prepared.keys {
                    q = q.bind(key);
                }
                let action = format!("loading records into `{table}`");
                let (written, skipped) = if prepared.counts {
                    let row = q.fetch_one(&mut *tx).await.map_err(db(action.clone()))?;
                    let written: i64 = row.try_get(0).map_err(db(action.clone()))?;
                    let skipped: i64 = row.try_get(1).map_err(db(action))?;
                    (written.max(0) as u64, skipped.max(0) as u64)
                } else {
                    (q.execute(&mut *tx).await.map_err(db(action))?.rows_affected(), 0)
                };
                *stats.rows.entry((*table).clone()).or_default() += written;
                if skipped > 0 {
                    *stats.skipped_without_key.entry((*table).clone()).or_default() += skipped;
                }
            }
            sqlx::query(&save_state)
                .bind(state)
                .bind(synced_at)
                .execute(&mut *tx)
                .await
                .map_err(db("saving the sync state".into()))?;
            tx.commit().await.map_err(db("committing".into()))?;
        });
        for (table, counts) in occurrences {
            if let Some(seen) = self.tables.get_mut(&table).and_then(|p| p.row_ids.as_mut()) {
                seen.keep(counts);
            }
        }
        Ok(stats)
    }

    /// Save & Test: the destination can be written (a table created in the schema, rolled
    /// back).
    pub async fn check_writable(&mut self) -> Result<()> {
        let probe = self.dialect.probe();
        let begin = self.db_err("beginning a transaction");
        let write = self.db_err("writing a probe table");
        let rollback = self.db_err("rolling back the probe");
        on_conn!(&mut self.conn, c => {
            let mut tx = c.begin().await.map_err(begin)?;
            sqlx::query(&probe).execute(&mut *tx).await.map_err(write)?;
            tx.rollback().await.map_err(rollback)?;
        });
        Ok(())
    }

    /// Rows in a table.
    pub async fn count(&mut self, table: &str) -> Result<i64> {
        let sql = self.dialect.count(table);
        let err = self.db_err(format!("counting `{table}`"));
        on_conn!(&mut self.conn, c => sqlx::query(&sql)
            .fetch_one(c)
            .await
            .map(|r| r.get::<i64, _>(0)))
        .map_err(err)
    }

    /// Closes the connection cleanly (on SQLite, checkpoints the WAL).
    pub async fn close(self) -> Result<()> {
        let err = self.db_err("closing");
        on_conn!(self.conn, c => c.close().await).map_err(err)
    }
}

/// JSON text with every `\u0000` escape replaced by `\ufffd` (escaped backslashes respected).
fn without_nul_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\\u0000") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let escape = &rest[i..];
        if let Some(after) = escape.strip_prefix("\\u0000") {
            out.push_str("\\ufffd");
            rest = after;
        } else {
            // Any other escape (including `\\`) is copied whole, so its second character is
            // never taken for the start of another escape.
            let len = escape[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&escape[..len]);
            rest = &escape[len..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::without_nul_escapes;

    #[test]
    fn nul_escapes_are_replaced_and_escaped_backslashes_kept() {
        assert_eq!(without_nul_escapes(r#"["a\u0000b"]"#), r#"["a\ufffdb"]"#);
        // `\\u0000` is a backslash followed by the text `u0000`: not a NUL.
        assert_eq!(without_nul_escapes(r#"["a\\u0000"]"#), r#"["a\\u0000"]"#);
        assert_eq!(without_nul_escapes(r#"["\\\u0000"]"#), r#"["\\\ufffd"]"#);
        assert_eq!(without_nul_escapes(r#"["é\u00e9"]"#), r#"["é\u00e9"]"#);
    }
}
