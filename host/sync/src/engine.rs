//! The pipeline behind every command: setup phases, Save & Test, sync.

use crate::connection::{Connection, Home, Input, Phase};
use crate::{Error, Result};
use connector_agent_builder::Builder;
use connector_agent_codegen::{CodegenOptions, GeneratedCrate};
use connector_agent_destination::{ColumnSpec, DestinationUrl, SqlType, TableSpec, Writer};
use connector_agent_model::{ApiKeyLocation, ApiModel, AuthScheme};
use connector_agent_runtime::{
    AllowList, CheckResult, ColumnType, ConfigEntry, Credentials, HttpContext, Limits,
    LoadedConnector, Redactor, Runtime, Sink, SinkEvent, TableSchema, TableSelection,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::sync::mpsc;

/// Ties the data directory, the builder and the runtime together.
pub struct Engine {
    home: Home,
    builder: Builder,
    runtime: Runtime,
    /// Limits for every connector call.
    pub limits: Limits,
    /// The credentials of the HTTP contexts made lately, per connection: OAuth tokens obtained
    /// on the way (not all are stored) must be redacted from messages too.
    recent_credentials: std::sync::Mutex<HashMap<String, Vec<Credentials>>>,
}

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

/// Save & Test results.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Connection.
    pub connection: String,
    /// One entry per check.
    pub checks: Vec<CheckOutcome>,
    /// All passed.
    pub ok: bool,
    /// What the probe corrected in the model (the connector was regenerated with them).
    pub corrections: Vec<String>,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    /// What was checked.
    pub name: String,
    /// Passed.
    pub ok: bool,
    /// Details.
    pub message: String,
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

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl Engine {
    /// An engine over a data directory; `cache` holds SDK copies, components and precompiled
    /// artifacts; `target_dir` is the shared cargo target directory.
    pub fn new(home: Home, cache: &Path, target_dir: &Path) -> Result<Engine> {
        Ok(Engine {
            home,
            builder: Builder::new(cache.join("build"), target_dir),
            runtime: Runtime::new(cache.join("precompiled"))?,
            limits: Limits::default(),
            recent_credentials: Default::default(),
        })
    }

    /// The data directory.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// The runtime (for loading components directly).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Registers a new connection in phase `scanning` from reference files (kind read from
    /// their content).
    pub fn create(
        &self,
        name: &str,
        inputs: &[PathBuf],
        destination: Option<&str>,
    ) -> Result<Connection> {
        let inputs: Vec<Input> = inputs
            .iter()
            .map(|p| Input::File(p.display().to_string()))
            .collect();
        self.create_with(name, &inputs, destination)
    }

    /// Registers a new connection in phase `scanning`.
    pub fn create_with(
        &self,
        name: &str,
        inputs: &[Input],
        destination: Option<&str>,
    ) -> Result<Connection> {
        if inputs.is_empty() {
            return Err(Error::Config(
                "give at least one documentation input (`--openapi`, `--postman`, `--pdf`, `--markdown` or `--docs-url`)".into(),
            ));
        }
        let destination = destination
            .map(str::to_owned)
            .unwrap_or_else(|| self.home.default_destination());
        DestinationUrl::parse(&destination)?;
        // A destination password is a secret: kept encrypted apart, never in the stored URL.
        let (destination, destination_password) = split_password(&destination);
        let mut abs = Vec::new();
        for input in inputs {
            let resolved = match input {
                Input::DocsUrl(u) => {
                    let parsed = url::Url::parse(u)
                        .map_err(|e| Error::Config(format!("`--docs-url {u}`: {e}")))?;
                    if !matches!(parsed.scheme(), "http" | "https") {
                        return Err(Error::Config(format!(
                            "`--docs-url {u}`: only http and https URLs can be crawled"
                        )));
                    }
                    input.clone()
                }
                other => {
                    let p = std::path::absolute(other.location())?;
                    if !p.exists() {
                        return Err(Error::Config(format!(
                            "input `{}` does not exist",
                            p.display()
                        )));
                    }
                    let loc = p.display().to_string();
                    match other {
                        Input::File(_) => Input::File(loc),
                        Input::Openapi(_) => Input::Openapi(loc),
                        Input::Postman(_) => Input::Postman(loc),
                        Input::Pdf(_) => Input::Pdf(loc),
                        Input::Markdown(_) => Input::Markdown(loc),
                        Input::DocsUrl(_) => unreachable!("handled above"),
                    }
                }
            };
            abs.push(resolved);
        }
        let conn = Connection {
            id: self.home.new_id(name)?,
            name: name.into(),
            inputs: abs,
            destination,
            schema: self.home.propose_schema(name)?,
            schema_frozen: false,
            phase: Phase::Scanning,
            error: None,
            config: BTreeMap::new(),
            component: None,
            component_hash: None,
            last_test: None,
            last_sync: None,
            customization: Default::default(),
            sync_every: None,
        };
        self.home.save(&conn)?;
        if let Some(password) = destination_password {
            self.home
                .update_secrets(&conn.id, &[(DESTINATION_PASSWORD.into(), Some(password))])?;
        }
        Ok(conn)
    }

    fn set_phase(&self, conn: &mut Connection, phase: Phase) -> Result<()> {
        // The phase and the component are the setup job's; the rest may have changed meanwhile.
        let (component, hash) = (conn.component.clone(), conn.component_hash.clone());
        *conn = self.home.modify(&conn.id, |c| {
            c.phase = phase;
            c.error = None;
            c.component = component;
            c.component_hash = hash;
        })?;
        Ok(())
    }

    /// Runs the setup phases from wherever the connection stands up to `ready`, calling
    /// `on_phase` as each starts. A failure is recorded on the connection and returned.
    pub fn run_setup(&self, id: &str, on_phase: &dyn Fn(Phase)) -> Result<Connection> {
        let mut conn = self.home.load(id)?;
        let job = self.home.job_start(id, "setup")?;
        let record = |p: Phase| {
            // The job's phase log is informative; a failure to write it must not stop setup.
            if let Err(e) = self.home.job_phase(&job, p) {
                tracing::warn!(error = %error_chain(&e), "recording a setup phase");
            }
            on_phase(p);
        };
        let r = self.run_setup_inner(&mut conn, &record);
        if let Err(e) = &r {
            conn = self.home.modify(id, |c| {
                c.phase = Phase::Failed;
                c.error = Some(error_chain(e));
            })?;
        }
        self.home
            .job_finish(&job, r.as_ref().err().map(|e| error_chain(e)).as_deref())?;
        r.map(|_| conn)
    }

    fn run_setup_inner(&self, conn: &mut Connection, on_phase: &dyn Fn(Phase)) -> Result<()> {
        if !self.home.has_model(&conn.id)? {
            on_phase(Phase::Scanning);
            self.set_phase(conn, Phase::Scanning)?;
            let model = self.scan(conn)?;
            self.home.save_model(&conn.id, &model)?;
            if let Some(base) = model.servers.first() {
                *conn = self.home.modify(&conn.id, |c| {
                    c.config
                        .entry("base_url".into())
                        .or_insert_with(|| base.clone());
                })?;
            }
            self.set_phase(conn, Phase::EndpointsReady)?;
            on_phase(Phase::EndpointsReady);
        }
        on_phase(Phase::Generating);
        self.set_phase(conn, Phase::Generating)?;
        let krate = self.generate(&conn.id)?;
        on_phase(Phase::Compiling);
        self.set_phase(conn, Phase::Compiling)?;
        let built = self.builder.build(&krate.crate_name, &krate.files)?;
        // Compile to native code now so the first test or sync starts at once.
        self.runtime.load(&built.component)?;
        conn.component = Some(built.component);
        conn.component_hash = Some(built.hash);
        self.set_phase(conn, Phase::Ready)?;
        on_phase(Phase::Ready);
        Ok(())
    }

    fn scan(&self, conn: &Connection) -> Result<ApiModel> {
        let mut inputs = conn.inputs.clone();
        inputs.sort_by_key(Input::rank);
        let mut models = Vec::new();
        for input in &inputs {
            models.push(extract_input(input)?);
        }
        let mut model = crate::merge::merge(models).expect("inputs are not empty");
        model.name = conn.name.clone();
        if model.endpoints.is_empty() {
            let read: Vec<String> = inputs
                .iter()
                .map(|i| format!("`{}`", i.location()))
                .collect();
            return Err(Error::Config(format!(
                "no list endpoint found in {}: nothing to sync. A table comes from an endpoint that returns many records (`GET /widgets`); single-record reads (`GET /me`, `GET /widgets/{{id}}`) and writes are not synced. Give the API reference that documents its lists (an OpenAPI or Postman file, or the reference pages' URL)",
                read.join(", ")
            )));
        }
        Ok(model)
    }

    /// Renders the connector crate for the connection's current model.
    pub fn generate(&self, id: &str) -> Result<GeneratedCrate> {
        let model = self.home.load_model(id)?;
        let options = CodegenOptions {
            crate_name: None,
            sdk_path: self.builder.sdk_path_for_crates(),
        };
        Ok(connector_agent_codegen::generate(&model, &options)?)
    }

    /// Sets config values; secret fields (per the model) are stored encrypted, apart.
    pub fn set_config(&self, id: &str, values: &[(String, String)]) -> Result<()> {
        let model = self.home.load_model(id)?;
        let mut secrets = Vec::new();
        let mut plain = Vec::new();
        let mut cleared = Vec::new();
        for (k, v) in values {
            if k == DESTINATION_PASSWORD_FIELD {
                // A wrong or rotated destination password is changed like any secret; empty
                // removes it.
                let conn = self.home.load(id)?;
                if !conn.destination.starts_with("postgres") {
                    return Err(Error::Config(format!(
                        "`{DESTINATION_PASSWORD_FIELD}` is for PostgreSQL destinations; this one is {}",
                        describe_destination(&conn)
                    )));
                }
                let value = Some(v.clone()).filter(|v| !v.is_empty());
                secrets.push((DESTINATION_PASSWORD.to_string(), value));
                continue;
            }
            let field = model.config.iter().find(|f| &f.name == k).ok_or_else(|| {
                let names: Vec<&str> = model.config.iter().map(|f| f.name.as_str()).collect();
                Error::Config(format!(
                    "unknown field `{k}`; fields are: {}",
                    names.join(", ")
                ))
            })?;
            // An empty value is no value: the field counts as unset again.
            if v.trim().is_empty() {
                if field.secret {
                    secrets.push((k.clone(), None));
                } else {
                    cleared.push(k.clone());
                }
            } else if field.secret {
                secrets.push((k.clone(), Some(v.clone())));
            } else {
                plain.push((k.clone(), v.clone()));
            }
        }
        self.home.update_secrets(id, &secrets)?;
        // A passing Save & Test vouches for the settings it checked: before the first sync,
        // changed settings need a new one (see `check_tested`).
        let untested = !values.is_empty() && !self.holds_data(&self.home.load(id)?)?;
        self.home.modify(id, |c| {
            c.config.extend(plain);
            for k in &cleared {
                c.config.remove(k);
            }
            if untested {
                c.last_test = None;
            }
        })?;
        Ok(())
    }

    /// Changes the destination schema name, unless it is frozen.
    pub fn set_schema(&self, id: &str, schema: &str) -> Result<()> {
        let conn = self.home.load(id)?;
        if conn.schema_frozen && conn.schema != schema {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "the schema name `{}` is frozen since the first successful Save & Test; data already lives there",
                    conn.schema
                ),
            });
        }
        connector_agent_destination::validate_schema_name(schema)?;
        if self
            .home
            .list()?
            .iter()
            .any(|c| c.id != id && c.schema == schema)
        {
            return Err(Error::Config(format!(
                "schema `{schema}` is used by another connection"
            )));
        }
        let schema = schema.to_string();
        self.home.modify(id, |c| c.schema = schema)?;
        Ok(())
    }

    fn ready(&self, id: &str) -> Result<(Connection, ApiModel, LoadedConnector)> {
        let conn = self.home.load(id)?;
        if conn.phase != Phase::Ready {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "setup is at `{}`; run `connector-agent resume {id}`",
                    conn.phase.label()
                ),
            });
        }
        let model = self.home.load_model(id)?;
        let component = conn.component.clone().ok_or_else(|| Error::NotReady {
            id: id.into(),
            reason: "no component".into(),
        })?;
        let loaded = self.runtime.load(&component)?;
        Ok((conn, model, loaded))
    }

    /// The HTTP context of a connection: allow-list and credentials.
    pub fn http_context(&self, conn: &Connection, model: &ApiModel) -> Result<Arc<HttpContext>> {
        let secrets = self.home.load_secrets(&conn.id)?;
        let mut hosts: Vec<String> = model
            .servers
            .iter()
            .filter_map(|s| AllowList::entry_for(s))
            .collect();
        if let Some(base) = base_url(conn, model)? {
            let entry = AllowList::entry_for(&base)
                .ok_or_else(|| Error::Config(format!("`base_url` `{base}` is not a valid URL")))?;
            hosts.push(entry);
        }
        let oauth = crate::oauth::credentials(&self.home, conn, model, &secrets)?;
        let credentials = credentials(model, &secrets, oauth);
        if let Ok(mut recent) = self.recent_credentials.lock() {
            let list = recent.entry(conn.id.clone()).or_default();
            if list.len() >= 4 {
                list.remove(0);
            }
            list.push(credentials.clone());
        }
        let mut context = HttpContext::new(AllowList::new(hosts), credentials);
        // The headers the API requires: a literal, or a config value or secret (a header
        // whose field is not set yet is left out; Save & Test names the missing field).
        context.headers = model
            .headers
            .iter()
            .filter_map(|h| {
                let value = match h.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                    Some(field) => conn
                        .config
                        .get(field)
                        .or_else(|| secrets.get(field))
                        .filter(|v| !v.trim().is_empty())?
                        .clone(),
                    None => h.value.clone(),
                };
                Some((h.name.clone(), value))
            })
            .collect();
        Ok(Arc::new(context))
    }

    /// What must never appear in a message about connection `id`: every secret value (the API
    /// key, token, password, client secret, access and refresh tokens) with its URL-encoded
    /// and base64 forms, the base64 `user:password` of basic auth, and the OAuth tokens the
    /// host obtained lately.
    pub fn redactor(&self, id: &str) -> Redactor {
        let secrets = self.home.load_secrets(id).unwrap_or_default();
        let mut r = Redactor::from_secrets(
            secrets
                .iter()
                .filter(|(k, _)| {
                    k.as_str() != crate::oauth::EXPIRES_AT && k.as_str() != crate::oauth::REFRESH_AT
                })
                .map(|(_, v)| v.as_str()),
        );
        let config = self.home.load(id).map(|c| c.config).unwrap_or_default();
        if let Ok(model) = self.home.load_model(id) {
            for scheme in &model.auth {
                if let AuthScheme::Basic {
                    username_field,
                    password_field,
                } = scheme
                {
                    let get = |k: &str| secrets.get(k).or_else(|| config.get(k));
                    if let (Some(u), Some(p)) = (get(username_field), get(password_field)) {
                        r.add_basic(u, p);
                    }
                }
            }
        }
        if let Ok(recent) = self.recent_credentials.lock() {
            for c in recent.get(id).into_iter().flatten() {
                r.extend(&Redactor::from_credentials(c));
            }
        }
        r
    }

    /// The non-secret config handed to the connector.
    /// The config handed to the connector: the user's values, and the paging caps in force
    /// (`_max_pages`, `_max_seconds`), which the host decides.
    pub fn config_entries(conn: &Connection, model: &ApiModel) -> Result<Vec<ConfigEntry>> {
        let custom = &conn.customization;
        let caps = [
            ("_max_pages", custom.page_cap()),
            ("_max_seconds", custom.minute_cap().saturating_mul(60)),
        ];
        Ok(effective_config(conn, model)?
            .into_iter()
            .map(|(name, value)| ConfigEntry { name, value })
            .chain(caps.into_iter().map(|(name, v)| ConfigEntry {
                name: name.into(),
                value: v.to_string(),
            }))
            .collect())
    }

    /// Whether connection `id` may sync: once it has synced (or holds synced rows) always;
    /// before its first sync only after Save & Test has passed, so a first sync never runs
    /// on settings nothing has checked. `Err` says what to run.
    pub fn check_tested(&self, id: &str) -> Result<()> {
        let conn = self.home.load(id)?;
        if conn.last_test.is_some() || conn.last_sync.is_some() || self.holds_data(&conn)? {
            return Ok(());
        }
        Err(Error::NotReady {
            id: id.to_string(),
            reason: format!(
                "Save & Test has not passed yet: run `connector-agent test {id}` first (or `connector-agent sync {id} --force` to sync untested)"
            ),
        })
    }

    /// Missing required fields.
    pub fn missing_config(&self, id: &str) -> Result<Vec<String>> {
        let conn = self.home.load(id)?;
        let model = self.home.load_model(id)?;
        let secrets = self.home.load_secrets(id)?;
        Ok(model
            .config
            .iter()
            .filter(|f| {
                let set = |v: Option<&String>| v.is_some_and(|v| !v.trim().is_empty());
                model.needs_field(f) && !set(conn.config.get(&f.name)) && !set(secrets.get(&f.name))
            })
            .filter(|f| f.default.is_none())
            .map(|f| f.name.clone())
            .collect())
    }

    /// Save & Test: the connector's checks plus the destination's. No message holds a
    /// secret of the connection (see [`Engine::redactor`]).
    pub async fn test(&self, id: &str) -> Result<TestReport> {
        let r = self.test_unredacted(id).await;
        let redactor = self.redactor(id);
        match r {
            Ok(mut report) => {
                for c in &mut report.checks {
                    c.message = redactor.redact(&c.message);
                }
                for c in &mut report.corrections {
                    *c = redactor.redact(c);
                }
                Ok(report)
            }
            Err(e) => Err(redact_error(e, &redactor)),
        }
    }

    async fn test_unredacted(&self, id: &str) -> Result<TestReport> {
        let (conn, model, _) = self.ready(id)?;
        let mut checks: Vec<CheckOutcome> = Vec::new();
        let missing = self.missing_config(id)?;
        if !missing.is_empty() {
            checks.push(CheckOutcome::failed(
                "config",
                format!("required fields not set: {} (use `connector-agent setup {id} --set NAME=VALUE`)", missing.join(", ")),
            ));
        }
        // OAuth 2.0 first: a token endpoint refusing the app is the cause of everything after,
        // so the API is not probed with credentials known to be missing.
        if let Some(refused) = self.oauth_check(id).await? {
            checks.push(refused);
            checks.push(self.destination_check(&conn).await);
            return Ok(TestReport {
                connection: id.into(),
                checks,
                ok: false,
                corrections: Vec::new(),
            });
        }
        // The host reads each endpoint itself first and corrects the model where the data
        // proves the docs wrong; the connector is then rebuilt from the corrected model.
        let http = self.http_context(&conn, &model)?;
        let config = effective_config(&conn, &model)?;
        let mut probe = crate::probe::probe(&http, id, &config, &model).await;
        checks.extend(probe.checks);
        let synced = self.holds_data(&conn)?;
        if synced && probe.model != model {
            // Tables already hold data under the current keys and columns: changing them now
            // would break the upserts and bypass the schema-change policy. Say, don't apply.
            probe.model = model.clone();
            for c in &mut probe.corrections {
                *c = format!(
                    "not applied (tables already hold synced data; review and regenerate with `connector-agent endpoints {id}` before a full resync): {c}"
                );
            }
        }
        if probe.model != model && self.home.load_model(id)? != model {
            // The model was changed (selection, import) while the probe ran: the corrections
            // are for a model that is gone.
            probe.model = model.clone();
            for c in &mut probe.corrections {
                *c = format!("not applied (the model changed during the test; test again): {c}");
            }
        }
        if probe.model != model {
            self.home.save_model(id, &probe.model)?;
            let mut conn = self.home.load(id)?;
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
            blocking(|| self.run_setup(id, &|_| {}))?;
        }
        let (conn, model, loaded) = self.ready(id)?;
        if !probe.blocked {
            // The sandboxed connector must read the same pages through its own code.
            let http = self.http_context(&conn, &model)?;
            let tables: Vec<String> = model.selected().map(|e| e.table.clone()).collect();
            let results: Vec<CheckResult> = loaded
                .check(
                    http,
                    self.limits,
                    &Self::config_entries(&conn, &model)?,
                    &tables,
                )
                .await?;
            checks.push(crate::probe::connector_check(results));
        }
        checks.push(self.destination_check(&conn).await);
        let ok = checks.iter().all(|c| c.ok);
        if ok {
            self.home.modify(id, |c| {
                c.schema_frozen = true;
                c.last_test = Some(now_rfc3339());
            })?;
        }
        Ok(TestReport {
            connection: id.into(),
            checks,
            ok,
            corrections: probe.corrections,
        })
    }

    /// The connection's destination, with its password (kept apart, encrypted) put back.
    fn destination(&self, conn: &Connection) -> Result<DestinationUrl> {
        let secrets = self.home.load_secrets(&conn.id)?;
        let Some(password) = secrets.get(DESTINATION_PASSWORD) else {
            return Ok(DestinationUrl::parse(&conn.destination)?);
        };
        let mut url = url::Url::parse(&conn.destination)
            .map_err(|e| Error::Config(format!("destination URL: {e}")))?;
        // `set_password` encodes what the user-info syntax needs, but not `%`: a literal `%`
        // must not be read back as an escape by the driver.
        if url
            .set_password(Some(&password.replace('%', "%25")))
            .is_err()
        {
            // No host in the URL (a Unix socket given as `?host=/run/postgresql`): the
            // password goes back as a parameter, as such URLs give it.
            url.query_pairs_mut().append_pair("password", password);
        }
        Ok(DestinationUrl::parse(url.as_str())?)
    }

    /// Whether the destination schema can be opened and written.
    async fn destination_check(&self, conn: &Connection) -> CheckOutcome {
        const NAME: &str = "destination writable";
        let dest = match self.destination(conn) {
            Ok(d) => d,
            Err(e) => return CheckOutcome::failed(NAME, error_chain(&e)),
        };
        let written = match Writer::open(&dest, &conn.schema).await {
            Ok(mut w) => {
                let r = w.check_writable().await;
                let _ = w.close().await;
                r
            }
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => CheckOutcome::passed(NAME, dest.describe(&conn.schema)),
            Err(e) => CheckOutcome::failed(NAME, error_chain(&e)),
        }
    }

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
    fn sync_lock(&self, id: &str) -> Result<Option<std::fs::File>> {
        Ok(crate::connection::try_lock_file(
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
        self.home.sync_runs(id, limit)
    }

    async fn sync_locked(
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

/// The credentials of the first auth scheme whose secrets are all set; `oauth` is what the
/// OAuth 2.0 scheme yields (see [`crate::oauth::credentials`]).
fn credentials(
    model: &ApiModel,
    secrets: &BTreeMap<String, String>,
    mut oauth: Option<Credentials>,
) -> Credentials {
    for scheme in &model.auth {
        let get = |k: &str| secrets.get(k).cloned();
        let c = match scheme {
            AuthScheme::Bearer { token_field } => get(token_field).map(Credentials::Bearer),
            AuthScheme::ApiKey {
                location,
                param,
                prefix,
                key_field,
            } => get(key_field).map(|key| {
                let value = format!("{}{key}", prefix.as_deref().unwrap_or(""));
                match location {
                    ApiKeyLocation::Header => Credentials::Header {
                        name: param.clone(),
                        value,
                    },
                    ApiKeyLocation::Query => Credentials::Query {
                        name: param.clone(),
                        value,
                    },
                    ApiKeyLocation::Cookie => Credentials::Header {
                        name: "cookie".into(),
                        value: format!("{param}={value}"),
                    },
                }
            }),
            AuthScheme::Basic {
                username_field,
                password_field,
            } => match (get(username_field), get(password_field)) {
                (Some(username), password) => Some(Credentials::Basic {
                    username,
                    password: password.unwrap_or_default(),
                }),
                _ => None,
            },
            AuthScheme::OAuth2 { .. } => oauth.take(),
        };
        if let Some(c) = c {
            return c;
        }
    }
    Credentials::None
}

/// Runs blocking work (a connector build) from async code without stalling the runtime's
/// other tasks where the runtime allows it.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
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

/// An error with the connection's secrets taken out of its messages. Errors whose text comes
/// from elsewhere (the API, the connector, the runtime) become their redacted text.
pub(crate) fn redact_error(e: Error, redactor: &Redactor) -> Error {
    if redactor.is_empty() {
        return e;
    }
    match e {
        Error::SyncFailed {
            id,
            committed_rows,
            reason,
        } => Error::SyncFailed {
            id,
            committed_rows,
            reason: redactor.redact(&reason),
        },
        Error::SyncPartial { id, mut report } => {
            for f in &mut report.failed_tables {
                f.cause = redactor.redact(&f.cause);
            }
            Error::SyncPartial { id, report }
        }
        Error::Config(m) => Error::Config(redactor.redact(&m)),
        Error::NotReady { id, reason } => Error::NotReady {
            id,
            reason: redactor.redact(&reason),
        },
        other => {
            let text = error_chain(&other);
            let clean = redactor.redact(&text);
            if clean == text {
                other
            } else {
                Error::Redacted(clean)
            }
        }
    }
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Where a connection's data lives, for people.
pub fn describe_destination(conn: &Connection) -> String {
    match DestinationUrl::parse(&conn.destination) {
        Ok(d) => d.describe(&conn.schema),
        Err(_) => conn.destination.clone(),
    }
}

impl Engine {
    /// Renames a table (and the references of its child tables); the connector is regenerated
    /// on `resume`. Refused once data was synced under the old name.
    pub fn rename_table(&self, id: &str, old: &str, new: &str) -> Result<ApiModel> {
        let mut model = self.home.load_model(id)?;
        let conn = self.home.load(id)?;
        if self.holds_data(&conn)? {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "table `{old}` already holds synced data; rename it before the first sync"
                ),
            });
        }
        if connector_agent_model::snake_ident(new) != new {
            return Err(Error::Config(format!(
                "invalid table name `{new}`: use lower-case letters, digits and `_` (e.g. `{}`)",
                connector_agent_model::snake_ident(new)
            )));
        }
        if model.endpoint_by_table(new).is_some() {
            return Err(Error::Config(format!("a table `{new}` already exists")));
        }
        if model.endpoint_by_table(old).is_none() {
            let names: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
            return Err(Error::Config(format!(
                "no table `{old}`; tables are: {}",
                names.join(", ")
            )));
        }
        for e in &mut model.endpoints {
            if e.table == old {
                e.table = new.to_string();
            }
            if let Some(p) = &mut e.parent {
                if p.table == old {
                    p.table = new.to_string();
                }
            }
        }
        self.home.save_model(id, &model)?;
        let mut conn = conn;
        if matches!(conn.phase, Phase::Ready | Phase::Failed) {
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
        }
        Ok(model)
    }

    /// Whether the destination may hold synced rows: a sync succeeded, or one committed rows
    /// before failing (its checkpoints stay, and the next sync goes on from them).
    fn holds_data(&self, conn: &Connection) -> Result<bool> {
        Ok(conn.last_sync.is_some() || self.home.any_rows_committed(&conn.id)?)
    }

    /// Replaces the model with one a person edited (exported by `endpoints --export`). Checked
    /// first; once tables hold synced data, their names and keys cannot change (the upserts
    /// rely on them). The connector is regenerated on `resume`.
    pub fn import_model(&self, id: &str, model: ApiModel) -> Result<()> {
        model.check().map_err(Error::Config)?;
        let conn = self.home.load(id)?;
        if matches!(
            conn.phase,
            Phase::Scanning | Phase::Generating | Phase::Compiling
        ) && conn.error.is_none()
        {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "setup is at `{}`; wait for it (`connector-agent status {id} --wait`) before importing a model",
                    conn.phase.label()
                ),
            });
        }
        if self.holds_data(&conn)? {
            let old = self.home.load_model(id)?;
            // Every table, selected or not: a deselected table keeps its data and may be
            // selected again.
            for before in &old.endpoints {
                match model.endpoint_by_table(&before.table) {
                    None => {
                        return Err(Error::NotReady {
                            id: id.into(),
                            reason: format!(
                                "table `{}` already holds synced data; it cannot be renamed or removed (deselect it instead)",
                                before.table
                            ),
                        })
                    }
                    Some(after) if after.primary_key != before.primary_key => {
                        return Err(Error::NotReady {
                            id: id.into(),
                            reason: format!(
                                "table `{}` already holds synced data keyed by ({}); its key cannot change to ({})",
                                before.table,
                                before.primary_key.join(", "),
                                after.primary_key.join(", ")
                            ),
                        })
                    }
                    Some(_) => {}
                }
            }
        }
        if model.selected().next().is_none() {
            return Err(Error::Config(
                "at least one table must stay selected".into(),
            ));
        }
        self.home.save_model(id, &model)?;
        let mut conn = conn;
        if matches!(conn.phase, Phase::Ready | Phase::Failed) {
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
        }
        Ok(())
    }

    /// Selects or deselects endpoints by table name; `only` replaces the selection.
    pub fn select(
        &self,
        id: &str,
        only: &[String],
        deselect: &[String],
        select: &[String],
    ) -> Result<ApiModel> {
        let mut model = self.home.load_model(id)?;
        for name in only.iter().chain(deselect).chain(select) {
            if model.endpoint_by_table(name).is_none() {
                let names: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
                return Err(Error::Config(format!(
                    "no table `{name}`; tables are: {}",
                    names.join(", ")
                )));
            }
        }
        for e in &mut model.endpoints {
            if !only.is_empty() {
                e.selected = only.contains(&e.table);
            }
            if deselect.contains(&e.table) {
                e.selected = false;
            }
            if select.contains(&e.table) {
                e.selected = true;
            }
        }
        if model.selected().next().is_none() {
            return Err(Error::Config(
                "at least one table must stay selected".into(),
            ));
        }
        self.home.save_model(id, &model)?;
        let mut conn = self.home.load(id)?;
        if matches!(conn.phase, Phase::Ready | Phase::Failed) {
            // The connector must be regenerated for the new selection.
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
        }
        Ok(model)
    }
}

impl Engine {
    /// The builder (for building hand-written components in tests and tools).
    pub fn builder(&self) -> &Builder {
        &self.builder
    }
}

impl Engine {
    /// The connection's hashing key: 32 random bytes kept with its secrets, made on first use.
    fn hash_key(&self, id: &str) -> Result<Vec<u8>> {
        const FIELD: &str = "_hash_key";
        let secrets = self.home.load_secrets(id)?;
        if let Some(k) = secrets.get(FIELD).and_then(|k| hex::decode(k).ok()) {
            return Ok(k);
        }
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        self.home
            .update_secrets(id, &[(FIELD.into(), Some(hex::encode(&key)))])?;
        Ok(key)
    }

    /// Changes the customisation; table and column names are checked against the model.
    pub fn customize(
        &self,
        id: &str,
        change: impl FnOnce(&mut crate::Customization),
    ) -> Result<crate::Customization> {
        let conn = self.home.load(id)?;
        let model = self.home.load_model(id)?;
        let mut custom = conn.customization.clone();
        change(&mut custom);
        let known = |t: &str| model.endpoint_by_table(t).is_some();
        let tables = custom
            .blocked_tables
            .iter()
            .chain(custom.blocked_columns.keys())
            .chain(custom.hashed_columns.keys())
            .chain(custom.full_every_sync.iter());
        for t in tables {
            if !known(t) {
                let names: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
                return Err(Error::Config(format!(
                    "no table `{t}`; tables are: {}",
                    names.join(", ")
                )));
            }
        }
        for (t, cols) in custom
            .blocked_columns
            .iter()
            .chain(custom.hashed_columns.iter())
        {
            let e = model.endpoint_by_table(t).expect("checked above");
            for c in cols {
                if e.primary_key.contains(c) {
                    return Err(Error::Config(format!(
                        "`{t}.{c}` is the primary key; it cannot be blocked or hashed"
                    )));
                }
            }
        }
        let stored = custom.clone();
        self.home.modify(id, |c| c.customization = stored)?;
        Ok(custom)
    }
}

/// Extracts one input, by its declared kind or, for plain files, by its content.
fn extract_input(input: &Input) -> Result<ApiModel> {
    use connector_agent_extract as x;
    let path = Path::new(input.location());
    Ok(match input {
        Input::Openapi(_) => x::extract_openapi_file(path)?,
        Input::Postman(_) => x::extract_postman_file(path)?,
        Input::Pdf(_) => x::extract_pdf_file(path)?,
        Input::Markdown(_) if path.is_dir() => x::extract_markdown_dir(path)?,
        Input::Markdown(_) => x::extract_markdown_file(path)?,
        Input::File(_) => x::extract_file(path)?,
        Input::DocsUrl(url) => {
            // The crawl is the only network I/O of setup; it runs on a runtime of its own so that
            // setup can be called from sync code and from inside another runtime alike.
            let url = url.clone();
            std::thread::scope(|s| {
                s.spawn(move || -> Result<ApiModel> {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    let limits = x::CrawlLimits::default();
                    let started = Instant::now();
                    let deadline_s = limits.deadline.as_secs();
                    let progress = |page: &str, n: usize| {
                        let elapsed_s = started.elapsed().as_secs();
                        tracing::info!(page, pages = n, elapsed_s, deadline_s, "crawling");
                    };
                    let crawled = rt.block_on(x::crawl::crawl(&url, &limits, &progress))?;
                    if let Some(reason) = &crawled.stopped {
                        tracing::warn!(
                            url,
                            pages = crawled.pages.len(),
                            "the crawl stopped early ({reason}); extracting from the pages read"
                        );
                    }
                    Ok(x::extract_crawled(crawled)?)
                })
                .join()
                .map_err(|_| Error::Config("the docs crawler panicked".into()))?
            })?
        }
    })
}

impl Engine {
    /// Sets (or clears) the connection's sync schedule, kept by `connector-agent run`.
    pub fn set_schedule(&self, id: &str, every: Option<std::time::Duration>) -> Result<()> {
        let every = every.map(|d| d.as_secs().max(1));
        self.home.modify(id, |c| c.sync_every = every)?;
        Ok(())
    }

    /// Scheduled connections that are ready and due at `now`: never synced, or the last sync
    /// attempt (successful or not, so a failing API is not hammered) started at least their
    /// interval ago.
    pub fn due(&self, now: SystemTime) -> Result<Vec<Connection>> {
        let mut out = Vec::new();
        for c in self.home.list()? {
            let Some(every) = c.sync_every else {
                continue;
            };
            if c.phase != Phase::Ready {
                continue;
            }
            let last_attempt = self.home.sync_runs(&c.id, 1)?.into_iter().next();
            let last = last_attempt
                .map(|r| r.started_at)
                .or_else(|| c.last_sync.clone())
                .and_then(|t| humantime::parse_rfc3339_weak(&t).ok());
            let due = match last {
                None => true,
                Some(last) => now.duration_since(last).unwrap_or_default().as_secs() >= every,
            };
            if due {
                out.push(c);
            }
        }
        Ok(out)
    }
}

/// The connection's config values as requests use them: `base_url` with its `{field}`
/// placeholders filled (see [`base_url`]).
pub fn effective_config(conn: &Connection, model: &ApiModel) -> Result<BTreeMap<String, String>> {
    let mut config = conn.config.clone();
    if let Some(base) = base_url(conn, model)? {
        config.insert("base_url".into(), base);
    }
    Ok(config)
}

/// `base_url` with each `{field}` placeholder (a server URL's variables, Discourse's
/// `https://{default_host}`) filled from the connection's value of that field, else the
/// field's default. A value is part of a host or path and nothing more: letters, digits,
/// `-`, `.`, `_` and `:` only, so it cannot add a path, user info or another host; the URL
/// it makes must parse. `None` when `base_url` is not set.
pub fn base_url(conn: &Connection, model: &ApiModel) -> Result<Option<String>> {
    let Some(raw) = conn.config.get("base_url").filter(|b| !b.trim().is_empty()) else {
        return Ok(None);
    };
    if !raw.contains('{') {
        return Ok(Some(raw.clone()));
    }
    let id = &conn.id;
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(Error::Config(format!(
                "`base_url` `{raw}` has a `{{` without its `}}`"
            )));
        };
        let name = &rest[open + 1..open + close];
        let value = conn
            .config
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .or_else(|| {
                let field = model.config.iter().find(|f| f.name == name)?;
                field.default.clone().filter(|d| !d.trim().is_empty())
            });
        let Some(value) = value else {
            return Err(Error::Config(format!(
                "`base_url` `{raw}` takes `{name}`, which is not set: `connector-agent setup {id} --set {name}=VALUE`"
            )));
        };
        let value = value.trim();
        if !connector_agent_model::is_url_part(value) {
            return Err(Error::Config(format!(
                "`{name}` `{value}` cannot be part of `base_url` `{raw}`: letters, digits, `-`, `.`, `_` and `:` only"
            )));
        }
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    match url::Url::parse(&out) {
        Ok(u) if u.host_str().is_some() => Ok(Some(out)),
        _ => Err(Error::Config(format!(
            "`base_url` `{raw}` filled in is `{out}`, which is not a valid URL"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::split_password;
    use super::{partial_failures, Engine, Home};

    #[test]
    fn a_partial_failure_is_read_from_the_connectors_error() {
        let reason = "1 of 3 tables failed (the others synced):\n- `entries`: http: table `entries`: GET http://h/api/entries answered 500: boom";
        let failed = partial_failures(reason, &["accounts", "entries", "transfers"]).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].table, "entries");
        assert!(failed[0].cause.contains("answered 500"));
        // Every table failed: not partial. Another error: not partial.
        assert!(partial_failures(reason, &["entries"]).is_none());
        assert!(partial_failures("http: table `entries`: refused", &["a", "entries"]).is_none());
    }

    #[test]
    fn postgres_system_schema_names_are_refused_at_setup_and_never_proposed() {
        let dir = std::env::temp_dir().join(format!(
            "connector-agent-schema-test-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("spec.yaml");
        std::fs::write(
            &spec,
            "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
        )
        .unwrap();
        let engine = Engine::new(Home::new(dir.join("home")), &dir.join("cache"), &dir).unwrap();
        let conn = engine.create("PG Catalog", &[spec], None).unwrap();
        assert_eq!(conn.schema, "spg_catalog");
        for name in ["pg_catalog", "pg_toast", "pg_mine", "information_schema"] {
            let err = engine.set_schema(&conn.id, name).unwrap_err().to_string();
            assert!(
                err.contains(&format!("schema name `{name}` is reserved by PostgreSQL")),
                "{err}"
            );
        }
        engine.set_schema(&conn.id, "analytics").unwrap();
        drop(engine);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn destination_passwords_are_split_off_decoded() {
        let (url, pw) =
            split_password("postgres://u:p%40ss%2Bw@db.example:5432/wh?sslmode=require");
        assert_eq!(url, "postgres://u@db.example:5432/wh?sslmode=require");
        assert_eq!(pw.as_deref(), Some("p@ss+w"));
        let (url, pw) = split_password("postgres://u@db/wh?password=s3cr%26t&sslmode=disable");
        assert_eq!(url, "postgres://u@db/wh?sslmode=disable");
        assert_eq!(pw.as_deref(), Some("s3cr&t"));
        let (url, pw) = split_password("postgres://u@db/wh?password=x");
        assert_eq!(url, "postgres://u@db/wh");
        assert_eq!(pw.as_deref(), Some("x"));
        let (url, pw) = split_password("postgres:///wh?host=/run/postgresql&password=pw");
        assert_eq!(url, "postgres:///wh?host=%2Frun%2Fpostgresql");
        assert_eq!(pw.as_deref(), Some("pw"));
        let (url, pw) = split_password("sqlite:/tmp/w.sqlite");
        assert_eq!((url.as_str(), pw), ("sqlite:/tmp/w.sqlite", None));
    }
}
