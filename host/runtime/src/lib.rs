//! Stage: the wasmtime host that runs connector components.
//!
//! Every call gets a fresh `Store` with a memory cap (`StoreLimits`) and a CPU bound (an epoch
//! deadline: a connector may not compute for longer than the limit without calling the host).
//! The only capabilities a connector has are the `host` imports: HTTP checked against the
//! connection's allow-list with credentials added here, record batches and checkpoints handed
//! to a [`Sink`] channel, logs and the clock. This crate does not decide what is synced where.
#![warn(missing_docs)]

pub mod bindings;
pub mod http;
pub mod oauth;
pub mod redact;
pub mod retry;

use bindings::types::{self, HttpError, HttpRequest, HttpResponse, Level};
use bindings::Connector;
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};

pub use bindings::types::{
    CheckResult, ColumnType, ConfigEntry, ConfigField, TableSchema, TableSelection,
};
pub use http::{AllowList, BatchBudget, Credentials, HttpContext, Redirect, DEFAULT_BATCH_BUDGET};
pub use oauth::{OAuthClient, OAuthError, Pkce, TokenManager, TokenSet};
pub use redact::Redactor;

/// Runtime errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The component could not be read, compiled or instantiated.
    #[error("loading connector `{path}` failed")]
    Load {
        /// Component file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: wasmtime::Error,
    },
    /// The connector trapped, ran out of its CPU or memory budget, or misbehaved.
    #[error("connector failed in `{call}`: {message}")]
    Trap {
        /// Export called.
        call: &'static str,
        /// What happened.
        message: String,
    },
    /// The connector reported an error.
    #[error("connector reported: {0}")]
    Connector(String),
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Per-call limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Linear memory cap in bytes.
    pub memory_bytes: usize,
    /// Longest stretch of guest computation without a host call.
    pub cpu_slice: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 512 << 20,
            cpu_slice: Duration::from_secs(10),
        }
    }
}

/// What a connector hands the host during `sync`, in order.
#[derive(Debug)]
pub enum SinkEvent {
    /// A batch of records (JSON array) for one table.
    Records {
        /// Table.
        table: String,
        /// JSON array bytes.
        json: Vec<u8>,
    },
    /// Commit everything received since the previous checkpoint with this state.
    Checkpoint {
        /// Opaque state JSON.
        state: String,
    },
}

/// Where `sync` sends its events, and the flag the receiver sets when it stops accepting.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Events in order.
    pub events: mpsc::Sender<SinkEvent>,
    /// Set by the receiver when it failed; further events are refused.
    pub closed: Arc<AtomicBool>,
}

/// A log line from a connector.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// Level.
    pub level: String,
    /// Text.
    pub message: String,
}

/// Counters of one call.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    /// HTTP requests sent (after allow-list checks; retries not counted).
    pub requests: u64,
    /// Requests refused by the allow-list.
    pub denied: u64,
    /// Record batches emitted.
    pub batches: u64,
    /// Checkpoints.
    pub checkpoints: u64,
}

struct HostState {
    http: Arc<HttpContext>,
    limits: StoreLimits,
    table: ResourceTable,
    sink: Option<mpsc::Sender<SinkEvent>>,
    sink_closed: Arc<AtomicBool>,
    last_host_return: Instant,
    cpu_slice: Duration,
    stats: CallStats,
    logs: Arc<Mutex<Vec<LogLine>>>,
}

impl HostState {
    fn returned(&mut self) {
        self.last_host_return = Instant::now();
    }
}

impl types::Host for HostState {}

impl bindings::connector_agent::connector::host::Host for HostState {
    async fn http_send(
        &mut self,
        request: HttpRequest,
    ) -> wasmtime::Result<Result<HttpResponse, HttpError>> {
        let r = self.http.send(request).await;
        match &r {
            Err(HttpError::Denied(_)) => self.stats.denied += 1,
            _ => self.stats.requests += 1,
        }
        self.returned();
        Ok(r)
    }

    async fn http_send_batch(
        &mut self,
        requests: Vec<HttpRequest>,
    ) -> wasmtime::Result<Vec<Result<HttpResponse, HttpError>>> {
        use futures::StreamExt;
        let http = self.http.clone();
        let n = requests.len();
        // Every body of the batch is held here until the batch returns: their bytes count
        // against one budget, so a fan-out never holds more than `batch_budget_bytes`.
        let budget = Arc::new(BatchBudget::new(http.batch_budget_bytes, n));
        let results: Vec<_> = futures::stream::iter(requests)
            .map(|r| {
                let http = http.clone();
                let budget = budget.clone();
                async move { http.send_in_batch(r, &budget).await }
            })
            .buffered(http.concurrency.max(1))
            .collect()
            .await;
        let denied = results
            .iter()
            .filter(|r| matches!(r, Err(HttpError::Denied(_))))
            .count() as u64;
        self.stats.denied += denied;
        self.stats.requests += n as u64 - denied;
        self.returned();
        if budget.exceeded() {
            tracing::warn!(
                requests = n,
                budget_mb = http.batch_budget_bytes >> 20,
                "a batch's responses exceeded the memory budget"
            );
        }
        Ok(results)
    }

    async fn emit(
        &mut self,
        table: String,
        records: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        // The SDK fails such a table itself; a connector that does not use it is refused here,
        // before a record no destination can load reaches a commit.
        use connector_agent_sdk::records::{too_deep, MAX_RECORD_DEPTH};
        if let Some(why) = too_deep(&records, MAX_RECORD_DEPTH) {
            self.returned();
            return Ok(Err(format!("table `{table}`: {why}")));
        }
        let r = self
            .send(SinkEvent::Records {
                table,
                json: records,
            })
            .await;
        self.stats.batches += 1;
        self.returned();
        Ok(r)
    }

    async fn checkpoint(&mut self, state: String) -> wasmtime::Result<Result<(), String>> {
        let r = self.send(SinkEvent::Checkpoint { state }).await;
        self.stats.checkpoints += 1;
        self.returned();
        Ok(r)
    }

    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        tracing::debug!(level, "connector: {message}");
        if let Ok(mut logs) = self.logs.lock() {
            if logs.len() < 10_000 {
                logs.push(LogLine {
                    level: level.into(),
                    message,
                });
            }
        }
        self.returned();
        Ok(())
    }

    async fn now(&mut self) -> wasmtime::Result<u64> {
        self.returned();
        Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0))
    }
}

impl HostState {
    async fn send(&mut self, event: SinkEvent) -> Result<(), String> {
        let Some(sink) = &self.sink else {
            return Err("records and checkpoints are only accepted during sync".into());
        };
        if self.sink_closed.load(Ordering::Relaxed) {
            return Err("the destination stopped accepting records".into());
        }
        sink.send(event)
            .await
            .map_err(|_| "the destination stopped accepting records".to_string())
    }
}

/// The engine and its compiled-component cache. Cheap to share.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    cache_dir: PathBuf,
    stop_ticker: Arc<AtomicBool>,
}

const TICK: Duration = Duration::from_millis(10);

impl Runtime {
    /// A runtime caching precompiled components under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Result<Runtime> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        config.max_wasm_stack(1 << 20);
        let engine = Engine::new(&config).map_err(|source| Error::Load {
            path: PathBuf::new(),
            source,
        })?;
        let mut linker = Linker::new(&engine);
        Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(|source| {
            Error::Load {
                path: PathBuf::new(),
                source,
            }
        })?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = stop_ticker.clone();
            std::thread::Builder::new()
                .name("epoch-ticker".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })?;
        }
        Ok(Runtime {
            engine,
            linker: Arc::new(linker),
            cache_dir: cache_dir.into(),
            stop_ticker,
        })
    }

    /// Loads a component: from the precompiled cache when this host wrote an artifact for the
    /// same bytes and engine configuration, else compiles and stores one.
    pub fn load(&self, path: &Path) -> Result<LoadedConnector> {
        let load_err = |source| Error::Load {
            path: path.to_path_buf(),
            source,
        };
        let bytes = fs_err::read(path)?;
        let mut compat = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut compat);
        let key = format!(
            "{}-{:016x}",
            &hex::encode(Sha256::digest(&bytes))[..32],
            compat.finish()
        );
        let cached = self.cache_dir.join(format!("{key}.cwasm"));
        let component = if cached.exists() {
            // SAFETY: the file sits in this host's own cache directory and was written by
            // `precompile_component` below for the same engine configuration (key above).
            unsafe { Component::deserialize_file(&self.engine, &cached) }.map_err(load_err)?
        } else {
            let artifact = self.engine.precompile_component(&bytes).map_err(load_err)?;
            fs_err::create_dir_all(&self.cache_dir)?;
            let tmp = cached.with_extension(format!("tmp{}", std::process::id()));
            fs_err::write(&tmp, &artifact)?;
            fs_err::rename(&tmp, &cached)?;
            // SAFETY: the bytes were produced by `precompile_component` of this very engine.
            unsafe { Component::deserialize(&self.engine, &artifact) }.map_err(load_err)?
        };
        Ok(LoadedConnector {
            runtime: self.clone(),
            component,
            path: path.to_path_buf(),
        })
    }

    /// Imports a component declares, as `interface#function` names (for sandbox checks).
    pub fn component_imports(&self, path: &Path) -> Result<Vec<String>> {
        let c = self.load(path)?;
        let ty = c.component.component_type();
        Ok(ty
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect())
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if Arc::strong_count(&self.stop_ticker) == 1 {
            self.stop_ticker.store(true, Ordering::Relaxed);
        }
    }
}

/// A compiled connector, ready to instantiate per call.
#[derive(Clone)]
pub struct LoadedConnector {
    runtime: Runtime,
    component: Component,
    path: PathBuf,
}

/// The result of a `sync` call.
#[derive(Debug)]
pub struct SyncOutcome {
    /// The connector's own verdict.
    pub result: Result<(), String>,
    /// Counters.
    pub stats: CallStats,
    /// Log lines.
    pub logs: Vec<LogLine>,
}

impl LoadedConnector {
    /// The component file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn store(
        &self,
        http: Arc<HttpContext>,
        limits: Limits,
        sink: Option<mpsc::Sender<SinkEvent>>,
        sink_closed: Arc<AtomicBool>,
    ) -> Store<HostState> {
        let state = HostState {
            http,
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(4)
                .trap_on_grow_failure(true)
                .build(),
            table: ResourceTable::new(),
            sink,
            sink_closed,
            last_host_return: Instant::now(),
            cpu_slice: limits.cpu_slice,
            stats: CallStats::default(),
            logs: Arc::new(Mutex::new(Vec::new())),
        };
        let mut store = Store::new(&self.runtime.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            let s = ctx.data();
            if s.last_host_return.elapsed() > s.cpu_slice {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let _ = &store.data().table;
        store
    }

    async fn instantiate(
        &self,
        store: &mut Store<HostState>,
        call: &'static str,
    ) -> Result<Connector> {
        Connector::instantiate_async(&mut *store, &self.component, &self.runtime.linker)
            .await
            .map_err(|e| trap(call, e, store.data()))
    }

    /// The connector's config fields.
    pub async fn spec(&self, http: Arc<HttpContext>, limits: Limits) -> Result<Vec<ConfigField>> {
        let mut store = self.store(http, limits, None, Arc::default());
        let c = self.instantiate(&mut store, "spec").await?;
        c.connector_agent_connector_source()
            .call_spec(&mut store)
            .await
            .map_err(|e| trap("spec", e, store.data()))
    }

    /// The connector's tables.
    pub async fn discover(
        &self,
        http: Arc<HttpContext>,
        limits: Limits,
        config: &[ConfigEntry],
    ) -> Result<Vec<TableSchema>> {
        let mut store = self.store(http, limits, None, Arc::default());
        let c = self.instantiate(&mut store, "discover").await?;
        c.connector_agent_connector_source()
            .call_discover(&mut store, config)
            .await
            .map_err(|e| trap("discover", e, store.data()))?
            .map_err(|e| Error::Connector(describe(&e)))
    }

    /// Save & Test from the connector's side.
    pub async fn check(
        &self,
        http: Arc<HttpContext>,
        limits: Limits,
        config: &[ConfigEntry],
        tables: &[String],
    ) -> Result<Vec<CheckResult>> {
        let mut store = self.store(http, limits, None, Arc::default());
        let c = self.instantiate(&mut store, "check").await?;
        c.connector_agent_connector_source()
            .call_check(&mut store, config, tables)
            .await
            .map_err(|e| trap("check", e, store.data()))
    }

    /// Runs `sync`, sending records and checkpoints into `sink` in order. A trap or a CPU or
    /// memory overrun is an `Err`; the connector's own failure is in `SyncOutcome::result`.
    pub async fn sync(
        &self,
        http: Arc<HttpContext>,
        limits: Limits,
        config: &[ConfigEntry],
        selection: &[TableSelection],
        state: Option<&str>,
        sink: Sink,
    ) -> Result<SyncOutcome> {
        let mut store = self.store(http, limits, Some(sink.events), sink.closed);
        let c = self.instantiate(&mut store, "sync").await?;
        let r = c
            .connector_agent_connector_source()
            .call_sync(&mut store, config, selection, state)
            .await
            .map_err(|e| trap("sync", e, store.data()))?;
        let data = store.into_data();
        let logs = data.logs.lock().map(|l| l.clone()).unwrap_or_default();
        Ok(SyncOutcome {
            result: r.map_err(|e| describe(&e)),
            stats: data.stats,
            logs,
        })
    }
}

fn trap(call: &'static str, e: wasmtime::Error, state: &HostState) -> Error {
    let text = format!("{e:?}");
    let message = if let Some(t) = e.downcast_ref::<wasmtime::Trap>() {
        match t {
            wasmtime::Trap::Interrupt => format!(
                "ran for more than {:?} without calling the host (an endless loop?) and was stopped",
                state.cpu_slice
            ),
            wasmtime::Trap::UnreachableCodeReached => format!("the connector panicked or aborted ({t})"),
            other => format!("trapped: {other}"),
        }
    } else if text.contains("memory") && (text.contains("limit") || text.contains("grow")) {
        "exceeded its memory limit and was stopped".to_string()
    } else {
        format!("{e:#}")
    };
    Error::Trap { call, message }
}

/// Text of a connector error.
pub fn describe(e: &types::ConnectorError) -> String {
    use types::ConnectorError as E;
    match e {
        E::Config(m) => format!("config: {m}"),
        E::Http(m) => format!("http: {m}"),
        E::UnexpectedResponse(m) => format!("unexpected response: {m}"),
        E::Rejected(m) => format!("rejected by the host: {m}"),
        E::Other(m) => m.clone(),
    }
}
