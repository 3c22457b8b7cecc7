//! The four exports, implemented once for every connector over its declarations.

use crate::bindings::connector_agent::connector::host;
use crate::bindings::connector_agent::connector::types::{
    CheckResult, Column, ColumnType, ConfigEntry, ConfigField, ConnectorError, HttpResponse, Level,
    TableSchema, TableSelection,
};
use crate::http::{
    describe_http_error, get_with, require_ok, send_unless_unchanged, snippet, status_hint,
};
use crate::paginate::{first_key, next_position, page_url, repeats_previous, Target};
use crate::records::{field, laid_out, write_records, Body, Shape};
use crate::state::{Pending, Position, SyncState, TableState};
use crate::time::parse_http_date;
use crate::{ColumnKind, ConnectorDecl, EndpointDecl, IncrementalDecl};
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The config fields.
pub fn spec(decl: &ConnectorDecl) -> Vec<ConfigField> {
    decl.config
        .iter()
        .map(|f| ConfigField {
            name: f.name.into(),
            label: f.label.into(),
            description: f.description.into(),
            secret: f.secret,
            required: f.required,
            default: f.default.map(Into::into),
        })
        .collect()
}

/// The tables, from the declarations.
pub fn discover(
    decl: &ConnectorDecl,
    _config: &[ConfigEntry],
) -> Result<Vec<TableSchema>, ConnectorError> {
    Ok(decl
        .endpoints
        .iter()
        .map(|e| {
            let mut columns: Vec<Column> = e
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.into(),
                    ty: column_type(c.kind),
                    nullable: c.nullable,
                })
                .collect();
            // The key columns of the parent and of every table above it.
            for column in ancestor_columns(decl, e) {
                if !columns.iter().any(|c| c.name == column) {
                    columns.push(Column {
                        name: column.into(),
                        ty: ColumnType::String,
                        nullable: false,
                    });
                }
            }
            TableSchema {
                name: e.table.into(),
                columns,
                primary_key: e.primary_key.iter().map(|s| s.to_string()).collect(),
                cursor_field: e.incremental.map(|i| i.cursor_field.to_string()),
                parent: e.parent.map(|p| p.table.to_string()),
            }
        })
        .collect())
}

fn column_type(kind: ColumnKind) -> ColumnType {
    match kind {
        ColumnKind::String => ColumnType::String,
        ColumnKind::Integer => ColumnType::Integer,
        ColumnKind::Number => ColumnType::Number,
        ColumnKind::Boolean => ColumnType::Boolean,
        ColumnKind::Timestamp => ColumnType::Timestamp,
        ColumnKind::Json => ColumnType::Json,
    }
}

fn config_value<'a>(config: &'a [ConfigEntry], name: &str) -> Option<&'a str> {
    config
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.value.as_str())
        .filter(|v| !v.is_empty())
}

fn base_url(config: &[ConfigEntry]) -> Result<&str, ConnectorError> {
    config_value(config, "base_url")
        .ok_or_else(|| ConnectorError::Config("`base_url` is not set".into()))
}

/// Fixed query parameters with `{config}` references filled in.
fn fixed_query<'a>(
    e: &'a EndpointDecl,
    config: &[ConfigEntry],
) -> Result<Vec<(&'a str, String)>, ConnectorError> {
    filled(e, e.query, config)
}

/// The endpoint's required headers with `{config}` references filled in.
fn fixed_headers<'a>(
    e: &'a EndpointDecl,
    config: &[ConfigEntry],
) -> Result<Vec<(&'a str, String)>, ConnectorError> {
    filled(e, e.headers, config)
}

/// Name-value pairs with `{config}` references filled in.
fn filled<'a>(
    e: &EndpointDecl,
    pairs: &'a [crate::QueryDecl],
    config: &[ConfigEntry],
) -> Result<Vec<(&'a str, String)>, ConnectorError> {
    pairs
        .iter()
        .map(|q| {
            let value = match q.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(name) => match config_value(config, name) {
                    Some(value) => value.to_string(),
                    // A path parameter's own value (SendGrid repeats `list_id` in the
                    // query): filled in with the path, when the URL is built.
                    None if e.path.contains(q.value) => q.value.to_string(),
                    None => {
                        return Err(ConnectorError::Config(format!(
                            "`{name}` is not set (needed by table `{}`)",
                            e.table
                        )))
                    }
                },
                None => q.value.to_string(),
            };
            Ok((q.name, value))
        })
        .collect()
}

/// Fails, naming the field, when a placeholder of the endpoint's path has no value (not set
/// in config, not filled by a parent): the request would go out with `{name}` in its URL.
fn require_filled(e: &EndpointDecl, filled: &[&str]) -> Result<(), ConnectorError> {
    match crate::url::unfilled(e.path, filled) {
        Some(name) => Err(ConnectorError::Config(format!(
            "`{name}` is not set (needed by table `{}`)",
            e.table
        ))),
        None => Ok(()),
    }
}

/// Path parameters taken from config (for lists under a configured id, e.g. an account).
fn config_path_params<'a>(e: &EndpointDecl, config: &'a [ConfigEntry]) -> Vec<(&'a str, &'a str)> {
    config
        .iter()
        .filter(|c| e.path.contains(&format!("{{{}}}", c.name)))
        .map(|c| (c.name.as_str(), c.value.as_str()))
        .collect()
}

/// The filter value for an incremental pass: the saved cursor, else the configured start date.
fn filter_value(
    inc: &IncrementalDecl,
    cursor: Option<&Value>,
    config: &[ConfigEntry],
) -> Option<String> {
    let start = config_value(config, "start_date").map(|s| Value::String(s.to_string()));
    let value = cursor.cloned().or(start)?;
    Some(crate::cursor::filter_text(&value, inc.format))
}

fn unexpected(table: &str, url: &str, why: String) -> ConnectorError {
    ConnectorError::UnexpectedResponse(format!("table `{table}`: GET {url}: {why}"))
}

/// Save & Test: reachability, credentials, and the first page of each table.
pub fn check(decl: &ConnectorDecl, config: &[ConfigEntry], tables: &[String]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let base = match base_url(config) {
        Ok(b) => b,
        Err(e) => {
            out.push(CheckResult {
                name: "config".into(),
                ok: false,
                message: format!("{e:?}"),
            });
            return out;
        }
    };
    let mut credentials: Option<(bool, String)> = None;
    let mut reachable: Option<(bool, String)> = None;
    let mut table_results = Vec::new();
    for e in decl
        .endpoints
        .iter()
        .filter(|e| tables.iter().any(|t| t == e.table))
    {
        let (ok, message, status) = check_endpoint(decl, e, base, config);
        match status {
            Some(s) if reachable.is_none() => {
                reachable = Some((true, format!("{base} answered (HTTP {s})")))
            }
            None if reachable.is_none() && !ok => reachable = Some((false, message.clone())),
            _ => {}
        }
        if let Some(s) = status {
            if s == 401 || s == 403 {
                credentials = Some((false, format!("HTTP {s}{}", status_hint(s))));
            } else if credentials.is_none() && (200..300).contains(&s) {
                credentials = Some((true, "the API accepted the credentials".into()));
            }
        }
        table_results.push(CheckResult {
            name: format!("table {}", e.table),
            ok,
            message,
        });
    }
    if let Some((ok, message)) = reachable {
        out.push(CheckResult {
            name: "host reachable".into(),
            ok,
            message,
        });
    }
    if let Some((ok, message)) = credentials {
        out.push(CheckResult {
            name: "credentials accepted".into(),
            ok,
            message,
        });
    }
    out.extend(table_results);
    out
}

/// Fetches one endpoint's first page; returns (ok, message, HTTP status if any answer came).
fn check_endpoint(
    decl: &ConnectorDecl,
    e: &EndpointDecl,
    base: &str,
    config: &[ConfigEntry],
) -> (bool, String, Option<u16>) {
    let mut owned: Vec<(&str, String)> = config_path_params(e, config)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    if e.parent.is_some() {
        let chain = match ancestors(decl, e) {
            Ok(c) => c,
            Err(err) => return (false, format!("{err:?}"), None),
        };
        let below: Vec<&EndpointDecl> = chain[1..]
            .iter()
            .copied()
            .chain(std::iter::once(e))
            .collect();
        let mut gathered: Vec<(&str, String)> = Vec::new();
        for (level, next) in chain.iter().zip(below) {
            let link = next.parent.expect("a child has a parent");
            let mut params: Vec<(&str, String)> = config_path_params(level, config)
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect();
            params.extend(gathered.iter().cloned());
            let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            match first_page(level, base, config, &refs) {
                Err((msg, status)) => {
                    return (false, format!("parent `{}`: {msg}", level.table), status)
                }
                Ok((_, records, _)) => {
                    let Some(key) = records.iter().find_map(|r| {
                        field(r, link.parent_key).and_then(crate::records::scalar_text)
                    }) else {
                        return (
                            true,
                            format!(
                                "parent `{}` has no records; nothing to read yet",
                                level.table
                            ),
                            Some(200),
                        );
                    };
                    gathered.push((link.path_param, key));
                }
            }
        }
        owned.extend(gathered);
    }
    let path_params: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // A child's key starts with the columns its parents fill, which the connector adds to each
    // row: on one parent's page they are that parent's values.
    let from_parents = ancestor_columns(decl, e);
    match first_page(e, base, config, &path_params) {
        Err((msg, status)) => (false, msg, status),
        Ok((url, records, status)) => {
            let n = records.len();
            if !e.primary_key.is_empty() && n > 0 {
                let mut keys = Vec::with_capacity(n);
                for r in &records {
                    // A child's parent column is added to each row by the connector: on
                    // one parent's page it is that parent's value.
                    let key: Vec<String> = e
                        .primary_key
                        .iter()
                        .map(|k| match field(r, k) {
                            Some(v) => v.get().to_string(),
                            None if from_parents.contains(k) => "parent".into(),
                            None => String::new(),
                        })
                        .collect();
                    if key.iter().any(|k| k.is_empty()) {
                        return (
                            false,
                            format!(
                                "GET {url}: a record lacks the primary key `{}`",
                                e.primary_key.join(", ")
                            ),
                            Some(status),
                        );
                    }
                    keys.push(key);
                }
                keys.sort();
                keys.dedup();
                if keys.len() != n {
                    return (
                        false,
                        format!(
                            "GET {url}: the primary key `{}` is not unique on the first page",
                            e.primary_key.join(", ")
                        ),
                        Some(status),
                    );
                }
            }
            (true, format!("{n} records on the first page"), Some(status))
        }
    }
}

type FirstPage = (String, Vec<Box<RawValue>>, u16);

fn first_page(
    e: &EndpointDecl,
    base: &str,
    config: &[ConfigEntry],
    path_params: &[(&str, &str)],
) -> Result<FirstPage, (String, Option<u16>)> {
    let names: Vec<&str> = path_params.iter().map(|(k, _)| *k).collect();
    require_filled(e, &names).map_err(|err| (format!("{err:?}"), None))?;
    let fixed = fixed_query(e, config).map_err(|err| (format!("{err:?}"), None))?;
    let headers = fixed_headers(e, config).map_err(|err| (format!("{err:?}"), None))?;
    let target = Target::of(base, e, path_params, &fixed, None);
    let url = page_url(&target, &Position::Start);
    let resp = host::http_send(&get_with(url.clone(), &headers))
        .map_err(|err| (format!("GET {url}: {}", describe_http_error(&err)), None))?;
    let status = resp.status;
    if !(200..300).contains(&status) {
        return Err((
            format!(
                "GET {url} answered {status}{}: {}",
                status_hint(status),
                snippet(&resp.body)
            ),
            Some(status),
        ));
    }
    let bytes = laid_out(&resp.body, e.record_path, e.layout)
        .map_err(|why| (format!("GET {url}: {why}"), Some(status)))?;
    let body = Body::parse(&bytes).map_err(|why| (format!("GET {url}: {why}"), Some(status)))?;
    let records = body
        .records(e.record_path)
        .map_err(|why| (format!("GET {url}: {why}"), Some(status)))?;
    Ok((
        url,
        records.into_iter().map(|r| r.to_owned()).collect(),
        status,
    ))
}

/// Syncs every selected table from the saved state, checkpointing after each page.
pub fn sync(
    decl: &ConnectorDecl,
    config: &[ConfigEntry],
    selection: &[TableSelection],
    state: Option<&str>,
) -> Result<(), ConnectorError> {
    let mut state = SyncState::load(state).map_err(ConnectorError::Other)?;
    let base = base_url(config)?;
    for sel in selection {
        if decl.endpoint(&sel.table).is_none() {
            return Err(ConnectorError::Config(format!(
                "table `{}` is not part of this connector",
                sel.table
            )));
        }
    }
    // Declaration order: parents before children. A table that fails is logged and skipped:
    // its pages so far are committed, the others still sync; the call then fails naming
    // every failed table. Only the host refusing a batch or checkpoint (a stop, a
    // destination error) ends the call at once.
    let mut attempted = 0;
    let mut failed: Vec<(&str, ConnectorError)> = Vec::new();
    // A full refresh starts its table over (before child tables are grouped by where their
    // walk starts).
    for sel in selection.iter().filter(|s| s.full_refresh) {
        state
            .tables
            .insert(sel.table.clone(), TableState::default());
    }
    let mut done: Vec<&str> = Vec::new();
    let record = |table: &'static str,
                  result: Result<(), ConnectorError>,
                  failed: &mut Vec<(&str, ConnectorError)>| match result {
        Ok(()) => Ok(()),
        Err(err @ ConnectorError::Rejected(_)) => Err(err),
        Err(err) => {
            host::log(
                Level::Error,
                &format!(
                    "table `{table}` failed and was skipped: {}",
                    error_text(&err)
                ),
            );
            failed.push((table, err));
            Ok(())
        }
    };
    for e in decl.endpoints {
        let Some(sel) = selection.iter().find(|s| s.table == e.table) else {
            continue;
        };
        if done.contains(&e.table) {
            continue;
        }
        // A pass resumed from an interrupted sync started before this one: changes made
        // behind its position since then are only read by a new pass, so one follows it and
        // the table is current as of this call when it returns.
        let resumed =
            |t: &str, state: &SyncState| state.tables.get(t).is_some_and(|t| t.pending.is_some());
        if e.parent.is_none() {
            attempted += 1;
            host::log(Level::Info, &format!("syncing table `{}`", e.table));
            let mut result = Ok(());
            for _ in 0..if resumed(e.table, &state) && e.incremental.is_some() {
                2
            } else {
                1
            } {
                result = sync_list(e, base, config, sel, &mut state);
                if result.is_err() {
                    break;
                }
            }
            record(e.table, result, &mut failed)?;
            continue;
        }
        // The child tables that walk the same top-level list from the same page with the
        // same filter: one walk serves them all.
        let key = walk_key(decl, e, config, &state);
        let group: Vec<(&'static EndpointDecl, &TableSelection)> = decl
            .endpoints
            .iter()
            .filter(|g| g.parent.is_some() && !done.contains(&g.table))
            .filter(|g| {
                g.table == e.table || (key.is_some() && walk_key(decl, g, config, &state) == key)
            })
            .filter_map(|g| {
                selection
                    .iter()
                    .find(|s| s.table == g.table)
                    .map(|s| (g, s))
            })
            .collect();
        for (g, _) in &group {
            done.push(g.table);
            attempted += 1;
            host::log(Level::Info, &format!("syncing table `{}`", g.table));
        }
        let again: Vec<(&'static EndpointDecl, &TableSelection)> = group
            .iter()
            .filter(|(g, _)| g.incremental.is_some() && resumed(g.table, &state))
            .copied()
            .collect();
        let mut outcomes = sync_children(decl, &group, base, config, &mut state)?;
        for member in again {
            if outcomes
                .iter()
                .any(|(t, r)| *t == member.0.table && r.is_ok())
            {
                for (t, r) in sync_children(decl, &[member], base, config, &mut state)? {
                    if let Some(o) = outcomes.iter_mut().find(|(x, _)| *x == t) {
                        o.1 = r;
                    }
                }
            }
        }
        for (table, result) in outcomes {
            record(table, result, &mut failed)?;
        }
    }
    if failed.len() == 1 && attempted == 1 {
        return Err(failed.remove(0).1);
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(ConnectorError::Other(failed_tables_message(
        attempted, &failed,
    )))
}

/// The first line of the error of a sync in which some tables failed; each failed table
/// follows on a line of its own, `- `table`: cause` (the host reads them).
pub const FAILED_TABLES: &str = "tables failed";

/// `2 of 3 tables failed (the others synced):` and one `- `table`: cause` line per table.
pub(crate) fn failed_tables_message(attempted: usize, failed: &[(&str, ConnectorError)]) -> String {
    let mut text = format!(
        "{} of {attempted} {FAILED_TABLES}{}:",
        failed.len(),
        if failed.len() < attempted {
            " (the others synced)"
        } else {
            ""
        }
    );
    for (table, err) in failed {
        // One line per table: a cause spanning lines is joined.
        let cause = error_text(err).replace('\n', " ");
        text.push_str(&format!("\n- `{table}`: {cause}"));
    }
    text
}

/// A connector error as text, as the host shows it.
fn error_text(e: &ConnectorError) -> String {
    match e {
        ConnectorError::Config(m) => format!("config: {m}"),
        ConnectorError::Http(m) => format!("http: {m}"),
        ConnectorError::UnexpectedResponse(m) => format!("unexpected response: {m}"),
        ConnectorError::Rejected(m) => format!("rejected by the host: {m}"),
        ConnectorError::Other(m) => m.clone(),
    }
}

fn checkpoint(state: &SyncState) -> Result<(), ConnectorError> {
    let text = serde_json::to_string(state).map_err(|e| ConnectorError::Other(e.to_string()))?;
    host::checkpoint(&text).map_err(ConnectorError::Rejected)
}

fn emit(table: &str, batch: &[u8]) -> Result<(), ConnectorError> {
    // A record no destination can load fails its own table, not the commit it would share
    // with the other tables' batches.
    if let Some(why) = crate::records::too_deep(batch, crate::records::MAX_RECORD_DEPTH) {
        return Err(ConnectorError::UnexpectedResponse(format!(
            "table `{table}`: {why}; it is not written"
        )));
    }
    host::emit(table, batch).map_err(ConnectorError::Rejected)
}

/// Where a pass starts: the interrupted position, or the first page with the saved cursor.
fn start_pass(e: &EndpointDecl, config: &[ConfigEntry], state: &mut SyncState) -> Pending {
    let ts = state.tables.entry(e.table.to_string()).or_default();
    if let Some(p) = ts.pending.take() {
        return p;
    }
    let filter = e
        .incremental
        .and_then(|inc| filter_value(&inc, ts.cursor.as_ref(), config))
        .map(Value::String);
    Pending::new(ts.cursor.clone(), filter)
}

/// Notes when a pass started, from its first response (see [`crate::cursor`]).
fn start_clock(pass: &mut Pending, resp: &HttpResponse) {
    if pass.clock != crate::state::Clock::NotYet {
        return; // Known since the pass's first response: nothing to parse on later pages.
    }
    let server = crate::url::header(&resp.headers, "date").and_then(parse_http_date);
    pass.start_clock(server, || (host::now() / 1000) as i64);
}

fn finish_page(
    e: &EndpointDecl,
    state: &mut SyncState,
    next: Option<Position>,
    pass: &Pending,
) -> Result<(), ConnectorError> {
    note_page(e, state, next, pass);
    checkpoint(state)
}

/// A page read: the table's next position, or at the end its new cursor (not yet
/// checkpointed).
fn note_page(e: &EndpointDecl, state: &mut SyncState, next: Option<Position>, pass: &Pending) {
    let ts = state.tables.entry(e.table.to_string()).or_default();
    match next {
        Some(position) => {
            ts.pending = Some(Pending {
                position,
                ..pass.clone()
            })
        }
        None => {
            ts.pending = None;
            if e.incremental.is_some() {
                let (cursor, warning) = pass.finished_cursor(&e.paging, ts.cursor.take());
                if let Some(w) = warning {
                    host::log(Level::Warn, &format!("table `{}`: {w}", e.table));
                }
                ts.cursor = cursor;
            }
        }
    }
}

/// The endpoint's headers with its incremental filter added when the filter is a header
/// (`If-Modified-Since`); [`page_url`] leaves it out of the query then.
fn with_filter_header<'a>(
    mut headers: Vec<(&'a str, String)>,
    e: &EndpointDecl,
    filter: &Option<(&'a str, String)>,
) -> Vec<(&'a str, String)> {
    if let (Some((param, value)), Some(inc)) = (filter, e.incremental) {
        if inc.header {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(param));
            headers.push((param, value.clone()));
        }
    }
    headers
}

fn filter_pair<'a>(e: &'a EndpointDecl, pass: &Pending) -> Option<(&'a str, String)> {
    let inc = e.incremental?;
    match &pass.filter {
        Some(Value::String(s)) => Some((inc.param, s.clone())),
        _ => None,
    }
}

/// Default page cap per table and sync (`_max_pages` in the config raises it).
pub const DEFAULT_MAX_PAGES: u64 = 1_000_000;
/// Default time cap per table and sync, in seconds (`_max_seconds` raises it).
pub const DEFAULT_MAX_SECONDS: u64 = 12 * 3600;

/// The page URLs one list has read in this pass (hashed), so paging never loops.
#[derive(Default)]
struct Visited(std::collections::HashSet<u64>);

impl Visited {
    /// Whether `url` is read for the first time (it is recorded); a repeat is logged.
    fn first_visit(&mut self, table: &str, url: &str) -> bool {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        url.hash(&mut h);
        let first = self.0.insert(h.finish());
        if !first {
            host::log(Level::Warn, &format!("table `{table}`: the API led back to a page already read ({url}); the list ends here"));
        }
        first
    }
}

/// Bounds one table's paging in one sync: a page URL read before in this pass ends the list
/// (an API whose cursor cycles, A→B→A, would loop forever), and the page and time caps stop
/// it with an error; pages before are committed, so the next sync continues from there.
struct Guard {
    table: &'static str,
    visited: Visited,
    pages: u64,
    max_pages: u64,
    deadline_ms: u64,
    max_seconds: u64,
}

impl Guard {
    fn new(table: &'static str, config: &[ConfigEntry]) -> Guard {
        let number = |name: &str, default: u64| {
            config_value(config, name)
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let max_seconds = number("_max_seconds", DEFAULT_MAX_SECONDS);
        Guard {
            table,
            visited: Visited::default(),
            pages: 0,
            max_pages: number("_max_pages", DEFAULT_MAX_PAGES),
            deadline_ms: host::now().saturating_add(max_seconds.saturating_mul(1000)),
            max_seconds,
        }
    }

    /// Whether to read the page at `url`: `Ok(false)` when this pass read it already.
    fn admit(&mut self, url: &str) -> Result<bool, ConnectorError> {
        if !self.visited.first_visit(self.table, url) {
            return Ok(false);
        }
        self.count_pages(1)?;
        Ok(true)
    }

    /// Counts `n` pages against the caps.
    fn count_pages(&mut self, n: usize) -> Result<(), ConnectorError> {
        self.pages += n as u64;
        if self.pages > self.max_pages {
            return Err(ConnectorError::Other(format!(
                "table `{}`: stopped after {} pages, the limit for one sync (raise it with `customize ID --max-pages N`); the pages read are committed and the next sync continues from there",
                self.table, self.max_pages
            )));
        }
        if host::now() > self.deadline_ms {
            return Err(ConnectorError::Other(format!(
                "table `{}`: stopped after {} s, the time limit for one sync (raise it with `customize ID --max-minutes N`); the pages read are committed and the next sync continues from there",
                self.table, self.max_seconds
            )));
        }
        Ok(())
    }
}

/// The position after a page, or `None` at the end; `previous_first` holds the key of the
/// previous page's first record and is updated. An offset or page-number page that starts
/// with the same record as the previous one ends the list with a warning: the API ignored
/// the position, and following it would loop.
#[allow(
    clippy::too_many_arguments,
    reason = "one call per paging loop, all context"
)]
fn advance(
    t: &Target<'_>,
    table: &str,
    current: &Position,
    url: &str,
    resp: &HttpResponse,
    body: &Body<'_>,
    records: &[&RawValue],
    previous_first: &mut Option<String>,
) -> Result<Option<Position>, ConnectorError> {
    let first = first_key(t.primary_key, records);
    if repeats_previous(&t.paging, previous_first.as_deref(), first.as_deref()) {
        host::log(
            Level::Warn,
            &format!("table `{table}`: GET {url} repeated the previous page's first record; the list ends here"),
        );
        return Ok(None);
    }
    *previous_first = first;
    next_position(t, current, url, &resp.headers, body, records)
        .map_err(|why| unexpected(table, url, why))
}

fn sync_list(
    e: &EndpointDecl,
    base: &str,
    config: &[ConfigEntry],
    sel: &TableSelection,
    state: &mut SyncState,
) -> Result<(), ConnectorError> {
    let fixed = fixed_query(e, config)?;
    let headers = fixed_headers(e, config)?;
    let path_params = config_path_params(e, config);
    require_filled(e, &path_params.iter().map(|(k, _)| *k).collect::<Vec<_>>())?;
    let mut pass = start_pass(e, config, state);
    let target = Target::of(base, e, &path_params, &fixed, filter_pair(e, &pass));
    let headers = with_filter_header(headers, e, &target.filter);
    let conditional = e.incremental.is_some_and(|i| i.header) && target.filter.is_some();
    let shape = Shape {
        blocked: &sel.blocked_columns,
        parents: &[],
        cursor_field: e.incremental.map(|i| i.cursor_field),
    };
    let mut batch = Vec::with_capacity(64 * 1024);
    let mut previous_first = None;
    let mut guard = Guard::new(e.table, config);
    loop {
        let url = page_url(&target, &pass.position);
        if !guard.admit(&url)? {
            return finish_page(e, state, None, &pass);
        }
        let Some(resp) =
            send_unless_unchanged(e.table, get_with(url.clone(), &headers), conditional)?
        else {
            // `304 Not Modified` to a changes-since header: nothing changed since the cursor.
            return finish_page(e, state, None, &pass);
        };
        start_clock(&mut pass, &resp);
        let bytes = laid_out(&resp.body, e.record_path, e.layout)
            .map_err(|why| unexpected(e.table, &url, why))?;
        let body = Body::parse(&bytes).map_err(|why| unexpected(e.table, &url, why))?;
        let records = body
            .records(e.record_path)
            .map_err(|why| unexpected(e.table, &url, why))?;
        batch.clear();
        batch.push(b'[');
        write_records(&records, &shape, &mut batch, &mut |v| pass.observe(v))
            .map_err(|why| unexpected(e.table, &url, why))?;
        batch.push(b']');
        if !records.is_empty() {
            emit(e.table, &batch)?;
        }
        let next = advance(
            &target,
            e.table,
            &pass.position,
            &url,
            &resp,
            &body,
            &records,
            &mut previous_first,
        )?;
        finish_page(e, state, next.clone(), &pass)?;
        match next {
            Some(p) => pass.position = p,
            None => return Ok(()),
        }
    }
}

/// Path parameters gathered down a parent chain, and the keys (column, raw JSON) of the
/// parents on it, root first: each child row carries them all.
#[derive(Clone)]
struct Ctx {
    params: Vec<(&'static str, String)>,
    keys: Vec<(&'static str, String)>,
}

/// One request in flight during a fan-out.
struct Flight {
    ctx: usize,
    position: Position,
    url: String,
    /// The key of the previous page's first record.
    previous_first: Option<String>,
    /// The page URLs this context read.
    visited: Visited,
}

/// The ancestors of a child endpoint, root first, each with the link from the level below.
fn ancestors(
    decl: &ConnectorDecl,
    e: &EndpointDecl,
) -> Result<Vec<&'static EndpointDecl>, ConnectorError> {
    let mut chain = Vec::new();
    let mut cur = e;
    while let Some(link) = cur.parent {
        let parent = decl.endpoint(link.table).ok_or_else(|| {
            ConnectorError::Config(format!(
                "table `{}`: parent table `{}` is not declared",
                cur.table, link.table
            ))
        })?;
        if chain
            .iter()
            .any(|c: &&EndpointDecl| c.table == parent.table)
            || chain.len() > 8
        {
            return Err(ConnectorError::Config(format!(
                "table `{}`: the parent chain loops",
                e.table
            )));
        }
        chain.push(parent);
        cur = parent;
    }
    chain.reverse();
    Ok(chain)
}

/// The columns a child table's rows get from the tables above it (each link's column), root
/// first; none for a top-level table or a broken chain.
fn ancestor_columns(decl: &ConnectorDecl, e: &EndpointDecl) -> Vec<&'static str> {
    let Ok(chain) = ancestors(decl, e) else {
        return e.parent.map(|p| p.column).into_iter().collect();
    };
    let mut out: Vec<&'static str> = Vec::new();
    for level in chain.iter().skip(1).copied().chain(std::iter::once(e)) {
        if let Some(link) = level.parent {
            out.retain(|c| *c != link.column);
            out.push(link.column);
        }
    }
    out
}

/// Response bytes a fan-out batch aims at: a quarter of the host's default budget (256 MB)
/// and well inside the connector's own memory (512 MB).
const BATCH_BYTES: usize = 32 << 20;
/// Most requests in one fan-out batch, and the size of the first batch of a sync (before any
/// body size is known).
const MAX_BATCH: usize = 1024;
const FIRST_BATCH: usize = 16;

/// The largest response body a fan-out has seen in this call.
static LARGEST_BODY: AtomicUsize = AtomicUsize::new(0);

/// Requests for the next fan-out batch: as many as fit `BATCH_BYTES` at the largest body seen.
fn batch_size() -> usize {
    match LARGEST_BODY.load(Ordering::Relaxed) {
        0 => FIRST_BATCH,
        largest => (BATCH_BYTES / largest).clamp(1, MAX_BATCH),
    }
}

/// Records a fan-out collects before emitting them (the host holds emitted records until the
/// page's checkpoint; the connector's buffer stays small).
const EMIT_BYTES: usize = 8 << 20;

/// Receives each page of a fan-out: the context index and the page's records.
type OnPage<'a> = dyn FnMut(usize, &[&RawValue]) -> Result<(), ConnectorError> + 'a;

/// Fetches every page of `e` for every context, all contexts at once (one batch per wave),
/// handing each page's records to `on_page`.
fn fan_out(
    e: &EndpointDecl,
    base: &str,
    config: &[ConfigEntry],
    ctxs: &[Ctx],
    filter: Option<(&str, String)>,
    guard: &mut Guard,
    on_page: &mut OnPage<'_>,
) -> Result<(), ConnectorError> {
    let fixed = fixed_query(e, config)?;
    let headers = fixed_headers(e, config)?;
    let headers = with_filter_header(headers, e, &filter);
    let config_params = config_path_params(e, config);
    for ctx in ctxs {
        let names: Vec<&str> = config_params
            .iter()
            .map(|(k, _)| *k)
            .chain(ctx.params.iter().map(|(k, _)| *k))
            .collect();
        require_filled(e, &names)?;
    }
    let target_for = |ctx: &Ctx| -> Vec<(&str, String)> {
        let mut params: Vec<(&str, String)> = config_params
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
        params.extend(ctx.params.iter().map(|(k, v)| (*k, v.clone())));
        params
    };
    let url_for = |ctx: &Ctx, position: &Position| {
        let owned = target_for(ctx);
        let params: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let target = Target::of(base, e, &params, &fixed, filter.clone());
        page_url(&target, position)
    };
    let mut wave: Vec<Flight> = ctxs
        .iter()
        .enumerate()
        .map(|(i, ctx)| {
            let url = url_for(ctx, &Position::Start);
            let mut visited = Visited::default();
            visited.first_visit(e.table, &url);
            Flight {
                ctx: i,
                position: Position::Start,
                url,
                previous_first: None,
                visited,
            }
        })
        .collect();
    while !wave.is_empty() {
        guard.count_pages(wave.len())?;
        let mut next_wave = Vec::new();
        let mut rest = wave.into_iter().peekable();
        while rest.peek().is_some() {
            // A wave goes out in batches sized so that their bodies stay near `BATCH_BYTES`
            // (the host holds a whole batch, within its own budget, before handing it over).
            let part: Vec<Flight> = rest.by_ref().take(batch_size()).collect();
            let requests: Vec<_> = part
                .iter()
                .map(|f| get_with(f.url.clone(), &headers))
                .collect();
            let responses = host::http_send_batch(&requests);
            for r in responses.iter().flatten() {
                LARGEST_BODY.fetch_max(r.body.len(), Ordering::Relaxed);
            }
            for (mut flight, result) in part.into_iter().zip(responses) {
                let resp: HttpResponse = match result {
                    Ok(r) if r.status == 404 => {
                        host::log(
                            Level::Warn,
                            &format!(
                                "table `{}`: GET {} answered 404; skipped (parent removed?)",
                                e.table, flight.url
                            ),
                        );
                        continue;
                    }
                    Ok(r) => require_ok(e.table, &flight.url, r)?,
                    Err(err) => {
                        return Err(ConnectorError::Http(format!(
                            "table `{}`: GET {}: {}",
                            e.table,
                            flight.url,
                            describe_http_error(&err)
                        )))
                    }
                };
                let bytes = laid_out(&resp.body, e.record_path, e.layout)
                    .map_err(|why| unexpected(e.table, &flight.url, why))?;
                let body =
                    Body::parse(&bytes).map_err(|why| unexpected(e.table, &flight.url, why))?;
                let records = body
                    .records(e.record_path)
                    .map_err(|why| unexpected(e.table, &flight.url, why))?;
                on_page(flight.ctx, &records)?;
                let owned = target_for(&ctxs[flight.ctx]);
                let params: Vec<(&str, &str)> =
                    owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let target = Target::of(base, e, &params, &fixed, filter.clone());
                if let Some(position) = advance(
                    &target,
                    e.table,
                    &flight.position,
                    &flight.url,
                    &resp,
                    &body,
                    &records,
                    &mut flight.previous_first,
                )? {
                    let url = page_url(&target, &position);
                    if flight.visited.first_visit(e.table, &url) {
                        next_wave.push(Flight {
                            ctx: flight.ctx,
                            position,
                            url,
                            previous_first: flight.previous_first,
                            visited: flight.visited,
                        });
                    }
                }
            }
        }
        wave = next_wave;
    }
    Ok(())
}

/// Contexts for the level below, from one level's records.
fn child_contexts(
    parent_ctx: &Ctx,
    records: &[&RawValue],
    link: crate::ParentDecl,
    out: &mut Vec<Ctx>,
) {
    for r in records {
        let Some(key) = field(r, link.parent_key) else {
            continue;
        };
        let Some(text) = crate::records::scalar_text(key) else {
            continue;
        };
        let mut params = parent_ctx.params.clone();
        params.push((link.path_param, text));
        let mut keys = parent_ctx.keys.clone();
        keys.retain(|(c, _)| *c != link.column);
        keys.push((link.column, key.get().to_string()));
        out.push(Ctx { params, keys });
    }
}

/// Each table's outcome of a shared walk.
type Outcomes = Vec<(&'static str, Result<(), ConnectorError>)>;

/// One child table's part in a walk of its top-level list shared with its siblings.
struct Member<'d> {
    e: &'static EndpointDecl,
    sel: &'d TableSelection,
    /// The levels between the top-level list and `e`, top first.
    middle: Vec<&'static EndpointDecl>,
    /// `e`, or, when it follows its top-level list's changes, `e` with that list's filter
    /// and paging (its table's cursor is then the top list's update time).
    tracked: EndpointDecl,
    via_parent: bool,
    pass: Pending,
    filter: Option<(&'static str, String)>,
    guard: Guard,
    batch: Vec<u8>,
}

/// Whether child `e` follows its top-level list `root`'s changes (it has no filter of its
/// own and `root` has one), and the endpoint its table's pass tracks: `e` with `root`'s
/// filter and paging then (its cursor is `root`'s update time), else `e` itself.
fn tracking(e: &EndpointDecl, root: &EndpointDecl) -> (bool, EndpointDecl) {
    let via_parent = e.incremental.is_none() && root.incremental.is_some();
    let tracked = if via_parent {
        EndpointDecl {
            incremental: root.incremental,
            paging: root.paging,
            ..*e
        }
    } else {
        *e
    };
    (via_parent, tracked)
}

/// Where a child table's pass would start, as a key: children with equal keys share one
/// walk of their top-level list (same list, same filter, same page).
fn walk_key(
    decl: &ConnectorDecl,
    e: &EndpointDecl,
    config: &[ConfigEntry],
    state: &SyncState,
) -> Option<String> {
    let chain = ancestors(decl, e).ok()?;
    let root = chain.first()?;
    let (via_parent, tracked) = tracking(e, root);
    let ts = state.tables.get(e.table);
    let (position, filter) = match ts.and_then(|t| t.pending.as_ref()) {
        Some(p) => (p.position.clone(), p.filter.clone()),
        None => {
            let cursor = ts.and_then(|t| t.cursor.as_ref());
            (
                Position::Start,
                tracked
                    .incremental
                    .and_then(|inc| filter_value(&inc, cursor, config))
                    .map(Value::String),
            )
        }
    };
    let root_filter = if via_parent { filter } else { None };
    serde_json::to_string(&(root.table, position, root_filter)).ok()
}

/// Syncs child tables that share their top-level list and where a pass starts in it: the
/// list is read once, and each of its pages serves every one of them (each below its own
/// chain of parents, with its own filter, records, cursor and checkpointed position). A
/// table that fails drops out, the others go on; only the host refusing a batch or a
/// checkpoint ends the walk at once. Returns each table's outcome, in `members` order.
fn sync_children(
    decl: &ConnectorDecl,
    members: &[(&'static EndpointDecl, &TableSelection)],
    base: &str,
    config: &[ConfigEntry],
    state: &mut SyncState,
) -> Result<Outcomes, ConnectorError> {
    let mut outcomes: Outcomes = members.iter().map(|(e, _)| (e.table, Ok(()))).collect();
    let fail_all = |outcomes: &mut Outcomes, err: &ConnectorError, active: &[Member]| {
        for m in active {
            if let Some(o) = outcomes.iter_mut().find(|(t, _)| *t == m.e.table) {
                o.1 = Err(err.clone());
            }
        }
    };
    // The top-level list's own settings first: a config error there fails the group before
    // any member's saved resume position is taken up.
    let Some(root) = members
        .iter()
        .find_map(|(e, _)| ancestors(decl, e).ok().map(|c| c[0]))
    else {
        for (e, _) in members {
            if let Err(err) = ancestors(decl, e) {
                outcomes
                    .iter_mut()
                    .filter(|(t, _)| *t == e.table)
                    .for_each(|o| o.1 = Err(err.clone()));
            }
        }
        return Ok(outcomes);
    };
    let setup = (|| {
        let fixed = fixed_query(root, config)?;
        let headers = fixed_headers(root, config)?;
        let params = config_path_params(root, config);
        require_filled(root, &params.iter().map(|(k, _)| *k).collect::<Vec<_>>())?;
        Ok::<_, ConnectorError>((fixed, headers, params))
    })();
    let (root_fixed, root_headers, root_params) = match setup {
        Ok(s) => s,
        Err(err) => {
            outcomes.iter_mut().for_each(|o| o.1 = Err(err.clone()));
            return Ok(outcomes);
        }
    };
    let mut active: Vec<Member> = Vec::new();
    for (e, sel) in members {
        let chain = match ancestors(decl, e) {
            Ok(c) => c,
            Err(err) => {
                outcomes
                    .iter_mut()
                    .filter(|(t, _)| *t == e.table)
                    .for_each(|o| o.1 = Err(err.clone()));
                continue;
            }
        };
        let (via_parent, tracked) = tracking(e, chain[0]);
        let pass = start_pass(&tracked, config, state);
        let filter = if via_parent {
            None
        } else {
            filter_pair(e, &pass)
        };
        let middle: Vec<&'static EndpointDecl> = chain[1..].to_vec();
        active.push(Member {
            e,
            sel,
            middle,
            tracked,
            via_parent,
            pass,
            filter,
            guard: Guard::new(e.table, config),
            batch: Vec::with_capacity(64 * 1024),
        });
    }
    let Some(first) = active.first() else {
        return Ok(outcomes);
    };
    // The members share where the walk starts and the top list's filter (see `walk_key`).
    let root_filter: Option<(&'static str, String)> = match (
        first.via_parent,
        first.tracked.incremental,
        &first.pass.filter,
    ) {
        (true, Some(inc), Some(Value::String(v))) => Some((inc.param, v.clone())),
        _ => None,
    };
    let mut position = first.pass.position.clone();
    let root_target = Target::of(base, root, &root_params, &root_fixed, root_filter);
    let root_headers = with_filter_header(root_headers, root, &root_target.filter);
    let conditional = root.incremental.is_some_and(|i| i.header) && root_target.filter.is_some();
    let mut visited = Visited::default();
    let mut previous_first = None;
    while !active.is_empty() {
        // One page of the top-level list.
        let url = page_url(&root_target, &position);
        if !visited.first_visit(root.table, &url) {
            for m in &active {
                note_page(&m.tracked, state, None, &m.pass);
            }
            checkpoint(state)?;
            break;
        }
        let mut counted = Vec::new();
        for mut m in std::mem::take(&mut active) {
            match m.guard.count_pages(1) {
                Ok(()) => counted.push(m),
                Err(err) => fail_all(&mut outcomes, &err, std::slice::from_ref(&m)),
            }
        }
        active = counted;
        if active.is_empty() {
            break;
        }
        let resp = match send_unless_unchanged(
            root.table,
            get_with(url.clone(), &root_headers),
            conditional,
        ) {
            Ok(Some(r)) => r,
            // `304 Not Modified` to a changes-since header: no parent changed.
            Ok(None) => {
                for m in &active {
                    note_page(&m.tracked, state, None, &m.pass);
                }
                checkpoint(state)?;
                break;
            }
            Err(err) => {
                fail_all(&mut outcomes, &err, &active);
                break;
            }
        };
        let bytes = match laid_out(&resp.body, root.record_path, root.layout) {
            Ok(b) => b,
            Err(why) => {
                fail_all(&mut outcomes, &unexpected(root.table, &url, why), &active);
                break;
            }
        };
        let body = match Body::parse(&bytes) {
            Ok(b) => b,
            Err(why) => {
                fail_all(&mut outcomes, &unexpected(root.table, &url, why), &active);
                break;
            }
        };
        let roots = match body.records(root.record_path) {
            Ok(r) => r,
            Err(why) => {
                fail_all(&mut outcomes, &unexpected(root.table, &url, why), &active);
                break;
            }
        };
        let mut kept = Vec::new();
        for mut m in std::mem::take(&mut active) {
            start_clock(&mut m.pass, &resp);
            match member_page(&mut m, base, config, &roots) {
                Ok(()) => kept.push(m),
                Err(err @ ConnectorError::Rejected(_)) => return Err(err),
                Err(err) => fail_all(&mut outcomes, &err, std::slice::from_ref(&m)),
            }
        }
        active = kept;
        let next = match advance(
            &root_target,
            root.table,
            &position,
            &url,
            &resp,
            &body,
            &roots,
            &mut previous_first,
        ) {
            Ok(n) => n,
            Err(err) => {
                fail_all(&mut outcomes, &err, &active);
                break;
            }
        };
        // Every member's position and cursor move together, in one checkpoint.
        for m in &active {
            note_page(&m.tracked, state, next.clone(), &m.pass);
        }
        checkpoint(state)?;
        match next {
            Some(p) => position = p,
            None => break,
        }
    }
    Ok(outcomes)
}

/// One page of the top-level list, for one member: its levels below, its records emitted.
fn member_page(
    m: &mut Member,
    base: &str,
    config: &[ConfigEntry],
    roots: &[&RawValue],
) -> Result<(), ConnectorError> {
    if let Some(inc) = m.tracked.incremental.filter(|_| m.via_parent) {
        for r in roots {
            if let Some(v) = field(r, inc.cursor_field)
                .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
            {
                m.pass.observe(v);
            }
        }
    }
    let mut ctxs = Vec::new();
    let top = Ctx {
        params: Vec::new(),
        keys: Vec::new(),
    };
    // Each level below the top list, with its link to the level above: `middle`, then `e`.
    let below: Vec<&EndpointDecl> = m
        .middle
        .iter()
        .copied()
        .chain(std::iter::once(m.e))
        .collect();
    child_contexts(
        &top,
        roots,
        below[0].parent.expect("a child has a parent"),
        &mut ctxs,
    );
    // Walk down the intermediate levels.
    for (level, next) in m.middle.iter().zip(below[1..].iter()) {
        let link = next.parent.expect("a child has a parent");
        let mut next_ctxs = Vec::new();
        let current = std::mem::take(&mut ctxs);
        fan_out(
            level,
            base,
            config,
            &current,
            None,
            &mut m.guard,
            &mut |i, records| {
                child_contexts(&current[i], records, link, &mut next_ctxs);
                Ok(())
            },
        )?;
        ctxs = next_ctxs;
    }
    let e = m.e;
    let cursor_field = e.incremental.map(|i| i.cursor_field);
    let (batch, pass, sel) = (&mut m.batch, &mut m.pass, m.sel);
    batch.clear();
    batch.push(b'[');
    fan_out(
        e,
        base,
        config,
        &ctxs,
        m.filter.clone(),
        &mut m.guard,
        &mut |i, records| {
            let shape = Shape {
                blocked: &sel.blocked_columns,
                parents: &ctxs[i].keys,
                cursor_field,
            };
            write_records(records, &shape, batch, &mut |v| pass.observe(v))
                .map_err(|why| unexpected(e.table, "", why))?;
            if batch.len() >= EMIT_BYTES {
                batch.push(b']');
                emit(e.table, batch)?;
                batch.clear();
                batch.push(b'[');
            }
            Ok(())
        },
    )?;
    batch.push(b']');
    if batch.len() > 2 {
        emit(e.table, batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_tables_are_named_one_a_line_with_their_cause() {
        let failed = [
            (
                "entries",
                ConnectorError::Http(
                    "table `entries`: GET http://h/api/entries answered 500:\nboom".into(),
                ),
            ),
            (
                "payouts",
                ConnectorError::UnexpectedResponse("bad shape".into()),
            ),
        ];
        let text = failed_tables_message(4, &failed);
        assert_eq!(
            text,
            "2 of 4 tables failed (the others synced):\n- `entries`: http: table `entries`: GET http://h/api/entries answered 500: boom\n- `payouts`: unexpected response: bad shape"
        );
        assert!(failed_tables_message(2, &failed).starts_with("2 of 2 tables failed:"));
    }
}
