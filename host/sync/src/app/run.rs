//! Sync runs: one writer per connection (`sync.lock`), the component feeding batches and
//! checkpoints to the destination writer, the run's history.

use super::*;

/// One table's figures after a sync.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// Table.
    pub table: String,
    /// Rows inserted or updated by this run.
    pub rows_synced: u64,
    /// Rows in the table afterwards.
    pub rows_total: i64,
    /// Records not written because their primary key was missing (PostgreSQL refuses a row
    /// without its key).
    #[serde(skip_serializing_if = "is_zero")]
    pub rows_skipped_without_key: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// Connection.
    pub connection: String,
    /// Whether a saved state existed (incremental) or not (historical).
    pub incremental: bool,
    /// Per table.
    pub tables: Vec<TableReport>,
    /// Rows written in total.
    pub rows: u64,
    /// HTTP requests made.
    pub requests: u64,
    /// Pages committed (checkpoints).
    pub checkpoints: u64,
    /// Wall seconds.
    pub seconds: f64,
    /// Rows per second.
    pub rows_per_second: f64,
    /// Where the data is.
    pub destination: String,
    /// Tables and columns the schema-change policy added or held back.
    pub schema_changes: crate::policy::SchemaChanges,
    /// Tables that failed while the others synced (then the run is partial and `sync`
    /// returns [`Error::SyncPartial`]); their pages before the failure are committed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_tables: Vec<FailedTable>,
}

/// A table that failed in a partial sync.
#[derive(Debug, Clone, Serialize)]
pub struct FailedTable {
    /// Table.
    pub table: String,
    /// Why, as the connector said.
    pub cause: String,
}

/// The failed tables named by a connector's error (`N of M tables failed (the others
/// synced):` then one `- `table`: cause` line each, as the guest SDK writes it), when some
/// but not all of `selected` failed; `None` for any other error.
pub(crate) fn partial_failures(reason: &str, selected: &[&str]) -> Option<Vec<FailedTable>> {
    let mut lines = reason.lines();
    let head = lines.next()?;
    if !head.contains("tables failed") {
        return None;
    }
    let failed: Vec<FailedTable> = lines
        .filter_map(|l| {
            let rest = l.strip_prefix("- `")?;
            let (table, cause) = rest.split_once("`: ")?;
            Some(FailedTable {
                table: table.to_string(),
                cause: cause.to_string(),
            })
        })
        .collect();
    let all_named = failed.iter().all(|f| selected.contains(&f.table.as_str()));
    (!failed.is_empty() && all_named && failed.len() < selected.len()).then_some(failed)
}

/// Options of a sync run.
#[derive(Clone, Default)]
pub struct SyncOptions {
    /// Ignore saved cursors and fetch everything again.
    pub full_refresh: bool,
    /// Called with the running row count after each commit.
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    /// Set (e.g. on SIGINT/SIGTERM) to stop after the next commit: the run ends as
    /// [`Error::Stopped`] with everything before it committed.
    pub stop: Option<Arc<AtomicBool>>,
}

impl App {
    /// Syncs the selected tables: historical the first time, incremental afterwards.
    pub async fn sync(&self, id: &str, options: SyncOptions) -> Result<SyncReport> {
        let started = Instant::now();
        let (mut conn, model, loaded) = self.ready(id)?;
        // One sync at a time per connection, across processes; the OS drops the lock if the
        // process dies, so a crash never leaves a connection locked.
        let Some(lock) = self.sync_lock(id)? else {
            return Err(Error::NotReady {
                id: id.into(),
                reason: "another sync of this connection is running".into(),
            });
        };
        self.home.sync_interrupted(id)?;
        let run = self.home.sync_start(id, options.full_refresh)?;
        let r = self
            .sync_locked(&mut conn, &model, &loaded, options, started)
            .await;
        // Errors are stored, printed and logged: without the connection's secrets (an API may
        // echo the key in its error body, which the connector quotes).
        let r = r.map_err(|e| redact_error(e, &self.redactor(id)));
        let failure = r.as_ref().err().map(|e| error_chain(e));
        let end = match &r {
            Ok(report) => crate::store::RunEnd::Succeeded {
                incremental: report.incremental,
                rows: report.rows,
                requests: report.requests,
                report: serde_json::to_value(report).expect("reports serialise"),
            },
            Err(Error::Stopped { committed_rows, .. }) => crate::store::RunEnd::Stopped {
                rows: *committed_rows,
            },
            Err(Error::SyncPartial { report, .. }) => crate::store::RunEnd::Partial {
                incremental: report.incremental,
                rows: report.rows,
                requests: report.requests,
                reason: failure.as_deref().unwrap_or_default(),
                report: serde_json::to_value(report).expect("reports serialise"),
            },
            Err(Error::SyncFailed {
                committed_rows,
                reason,
                ..
            }) => crate::store::RunEnd::Failed {
                rows: *committed_rows,
                reason,
            },
            Err(_) => crate::store::RunEnd::Failed {
                rows: 0,
                reason: failure.as_deref().unwrap_or_default(),
            },
        };
        self.home.sync_finish(&run, end)?;
        drop(lock);
        r
    }

    /// The connection's sync lock, held for a whole run across processes (the OS drops it
    /// when the process dies, so a crash never leaves a connection locked); `None` when
    /// another process holds it.
    pub(super) fn sync_lock(&self, id: &str) -> Result<Option<std::fs::File>> {
        Ok(crate::store::files::try_lock_file(
            &self.home.dir(id),
            "sync.lock",
        )?)
    }

    /// The connection's sync runs, newest first; a run its dead process left "running" is
    /// shown (and recorded) as interrupted.
    pub fn sync_history(&self, id: &str, limit: i64) -> Result<Vec<crate::store::SyncRun>> {
        if let Some(lock) = self.sync_lock(id)? {
            self.home.sync_interrupted(id)?;
            drop(lock);
        }
        Ok(self.home.sync_runs(id, limit)?)
    }

    pub(super) async fn sync_locked(
        &self,
        conn: &mut Connection,
        model: &ApiModel,
        loaded: &LoadedConnector,
        options: SyncOptions,
        started: Instant,
    ) -> Result<SyncReport> {
        let id = conn.id.clone();
        let id = id.as_str();
        let http = self.http_context(conn, model)?;
        let config = Self::config_entries(conn, model)?;
        let schemas = loaded.discover(http.clone(), self.limits, &config).await?;
        let selected: Vec<&str> = model.selected().map(|e| e.table.as_str()).collect();
        let discovered: Vec<TableSpec> = schemas
            .iter()
            .filter(|s| selected.contains(&s.name.as_str()))
            .map(table_spec)
            .collect();
        let dest = self.destination(conn)?;
        let mut writer = Writer::open(&dest, &conn.schema).await?;
        if options.full_refresh {
            writer.clear_state().await?;
        }
        let state = writer.load_state().await?.map(|(s, _)| s);
        let incremental = state.is_some();
        let mut existing: HashMap<String, Vec<String>> = HashMap::new();
        for spec in &discovered {
            existing.insert(
                spec.name.clone(),
                writer.existing_columns(&spec.name).await?,
            );
        }
        let first_sync = conn.last_sync.is_none() && state.is_none();
        let custom = conn.customization.clone();
        let (specs, schema_changes) = crate::policy::plan_tables(
            discovered,
            &custom,
            &|t| existing.get(t).cloned().unwrap_or_default(),
            first_sync,
        );
        let mut specs = specs;
        for spec in &mut specs {
            if let Some(hashed) = custom.hashed_columns.get(&spec.name) {
                for c in spec.columns.iter_mut().filter(|c| hashed.contains(&c.name)) {
                    c.ty = SqlType::Text;
                }
            }
        }
        writer.prepare(&specs).await?;
        let selection: Vec<TableSelection> = specs
            .iter()
            .map(|s| TableSelection {
                table: s.name.clone(),
                blocked_columns: custom
                    .blocked_columns
                    .get(&s.name)
                    .map(|cols| {
                        cols.iter()
                            .filter(|c| !s.primary_key.contains(c))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default(),
                full_refresh: options.full_refresh || custom.full_every_sync.contains(&s.name),
            })
            .collect();
        let hashing = Hashing {
            key: self.hash_key(&conn.id)?,
            columns: custom
                .hashed_columns
                .iter()
                .map(|(t, cols)| (t.clone(), cols.iter().cloned().collect()))
                .collect(),
        };

        let (tx, rx) = mpsc::channel::<SinkEvent>(16);
        let closed = Arc::new(AtomicBool::new(false));
        let writer_task = tokio::spawn(write_events(
            writer,
            rx,
            closed.clone(),
            options.progress.clone(),
            options.stop.clone(),
            hashing,
        ));
        let outcome = loaded
            .sync(
                http,
                self.limits,
                &config,
                &selection,
                state.as_deref(),
                Sink { events: tx, closed },
            )
            .await;
        let (writer, written, write_error) = writer_task
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let committed: u64 = written.rows.values().sum();
        let failure = match (&outcome, &write_error) {
            (_, Some(e)) => Some(error_chain(e)),
            (Err(e), None) => Some(error_chain(e)),
            (Ok(o), None) => o.result.clone().err(),
        };
        let stopped = options
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::SeqCst));
        if let (true, Some(_), None) = (stopped, &failure, &write_error) {
            // The writer refused further pages after the stop: what came before is committed.
            let _ = writer.close().await;
            return Err(Error::Stopped {
                id: id.into(),
                committed_rows: committed,
            });
        }
        // Some tables failed while the others synced: a partial run, reported in full.
        let selected_tables: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let partial = match (&outcome, &write_error, &failure) {
            (Ok(_), None, Some(reason)) => partial_failures(reason, &selected_tables),
            _ => None,
        };
        if let (Some(reason), None) = (failure, &partial) {
            let _ = writer.close().await;
            return Err(Error::SyncFailed {
                id: id.into(),
                committed_rows: committed,
                reason,
            });
        }
        let outcome = outcome.expect("checked above");
        let mut writer = writer;
        let mut tables = Vec::new();
        for s in &specs {
            tables.push(TableReport {
                table: s.name.clone(),
                rows_synced: written.rows.get(&s.name).copied().unwrap_or(0),
                rows_skipped_without_key: written
                    .skipped_without_key
                    .get(&s.name)
                    .copied()
                    .unwrap_or(0),
                rows_total: writer.count(&s.name).await?,
            });
        }
        let destination = writer.place().to_string();
        writer.close().await?;
        *conn = self
            .home
            .modify(id, |c| c.last_sync = Some(now_rfc3339()))?;
        let seconds = started.elapsed().as_secs_f64();
        let report = SyncReport {
            connection: id.into(),
            incremental,
            tables,
            rows: committed,
            requests: outcome.stats.requests,
            checkpoints: outcome.stats.checkpoints,
            seconds,
            rows_per_second: committed as f64 / seconds.max(1e-9),
            destination,
            schema_changes,
            failed_tables: partial.unwrap_or_default(),
        };
        if report.failed_tables.is_empty() {
            Ok(report)
        } else {
            Err(Error::SyncPartial {
                id: id.into(),
                report: Box::new(report),
            })
        }
    }
}

/// Columns to hash per table, and the connection's key (held by the host only).
struct Hashing {
    key: Vec<u8>,
    columns: HashMap<String, Vec<String>>,
}

/// What the writer task committed, per table.
#[derive(Default)]
struct Written {
    rows: HashMap<String, u64>,
    skipped_without_key: HashMap<String, u64>,
}

/// The writer task: buffers batches until a checkpoint, then commits rows and state together.
async fn write_events(
    mut writer: Writer,
    mut rx: mpsc::Receiver<SinkEvent>,
    closed: Arc<AtomicBool>,
    progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    stop: Option<Arc<AtomicBool>>,
    hashing: Hashing,
) -> (Writer, Written, Option<connector_agent_destination::Error>) {
    let mut pending: Vec<(String, Vec<u8>)> = Vec::new();
    let mut written = Written::default();
    let mut total = 0u64;
    while let Some(event) = rx.recv().await {
        match event {
            SinkEvent::Records { table, json } => match hashing.columns.get(&table) {
                Some(cols) if !cols.is_empty() => {
                    match crate::policy::hash_records(&json, cols, &hashing.key) {
                        Ok(hashed) => pending.push((table, hashed)),
                        Err(e) => {
                            closed.store(true, Ordering::Relaxed);
                            let err =
                                connector_agent_destination::Error::Io(std::io::Error::other(
                                    format!("records for `{table}` are not a JSON array: {e}"),
                                ));
                            return (writer, written, Some(err));
                        }
                    }
                }
                _ => pending.push((table, json)),
            },
            SinkEvent::Checkpoint { state } => {
                match writer.commit(&pending, &state, &now_rfc3339()).await {
                    Ok(stats) => {
                        pending.clear();
                        for (t, n) in stats.rows {
                            total += n;
                            *written.rows.entry(t).or_default() += n;
                        }
                        for (t, n) in stats.skipped_without_key {
                            *written.skipped_without_key.entry(t).or_default() += n;
                        }
                        if let Some(p) = &progress {
                            p(total);
                        }
                        if stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
                            // Stop between pages: the connector's next emit or checkpoint is
                            // refused, and it ends.
                            closed.store(true, Ordering::SeqCst);
                            return (writer, written, None);
                        }
                    }
                    Err(e) => {
                        closed.store(true, Ordering::Relaxed);
                        return (writer, written, Some(e));
                    }
                }
            }
        }
    }
    // Records after the last checkpoint are dropped: without a state covering them they
    // would be fetched again anyway, and committing them alone could skip data on resume.
    (writer, written, None)
}

fn table_spec(s: &TableSchema) -> TableSpec {
    TableSpec {
        name: s.name.clone(),
        columns: s
            .columns
            .iter()
            .map(|c| ColumnSpec {
                name: c.name.clone(),
                ty: match c.ty {
                    ColumnType::String => SqlType::Text,
                    ColumnType::Integer => SqlType::Integer,
                    ColumnType::Number => SqlType::Real,
                    ColumnType::Boolean => SqlType::Boolean,
                    ColumnType::Timestamp => SqlType::Timestamp,
                    ColumnType::Json => SqlType::Json,
                },
            })
            .collect(),
        primary_key: s.primary_key.clone(),
    }
    .keyed_by_row_id_if_keyless()
}
