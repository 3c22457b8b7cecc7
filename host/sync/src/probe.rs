//! Save & Test's probe: the host reads each selected endpoint's first page itself (and the
//! second, where the first says there is more), checks it against the model, corrects the
//! model where the documentation was wrong or silent and the data leaves no doubt, and names
//! the cause of every failure with what to do about it.
//!
//! The requests go through the connection's [`HttpContext`] (allow-list, credentials,
//! retries), exactly as the connector's would; what the data proves is decided by the pure
//! rules of [`connector_agent_extract::observed`].

mod decl;

use connector_agent_extract::observed;
use connector_agent_model::{
    ApiModel, CorrectedField, Correction, CursorFormat, Endpoint, Pagination,
};
use connector_agent_runtime::bindings::types::{HttpError, HttpRequest};
use connector_agent_runtime::{CheckResult, HttpContext};
use connector_agent_sdk::paginate::{next_position, page_url, Target};
use connector_agent_sdk::records::Body;
use connector_agent_sdk::state::Position;
use connector_agent_sdk::time::{instant, LAST_SECOND};
use connector_agent_sdk::url::{header, link_next, unfilled};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// What the probe found.
pub(crate) struct ProbeReport {
    /// `host reachable`, `credentials accepted` and one check per selected endpoint.
    pub checks: Vec<CheckOutcome>,
    /// The model with the corrections applied.
    pub model: ApiModel,
    /// The corrections, one line each, for the report.
    pub corrections: Vec<String>,
    /// The host could not be reached or refused the credentials: the connector's own check
    /// would only repeat that.
    pub blocked: bool,
}

/// Why a request or a page failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Unauthorized,
    Forbidden,
    NotFound,
    Status,
    /// A 400 or 422: the request as sent was refused.
    Rejected,
    Dns,
    Refused,
    Tls,
    Timeout,
    Denied,
    Network,
    Shape,
    Config,
}

impl Cause {
    /// No answer came from the host at all.
    fn unreachable(self) -> bool {
        matches!(
            self,
            Cause::Dns | Cause::Refused | Cause::Tls | Cause::Timeout | Cause::Network
        )
    }
}

#[derive(Debug, Clone)]
struct Failure {
    cause: Cause,
    message: String,
}

/// How a request was redirected: the last redirect's status and the final URL.
#[derive(Debug, Clone)]
struct Redirected {
    hops: usize,
    status: u16,
    to: String,
}

impl std::fmt::Display for Redirected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.hops == 1 {
            write!(f, "redirected ({}) to {}", self.status, self.to)
        } else {
            write!(
                f,
                "redirected {} times (the last {}) to {}",
                self.hops, self.status, self.to
            )
        }
    }
}

/// One fetched page.
struct Page {
    url: String,
    redirected: Option<Redirected>,
    headers: Vec<(String, String)>,
    bytes: Vec<u8>,
    body: Value,
}

/// What a child needs from its parent's probe.
#[derive(Clone)]
enum First {
    /// Records of the first page and the path parameters used to fetch it.
    Read {
        records: Vec<Value>,
        params: Vec<(String, String)>,
    },
    Failed(String),
}

struct Probe<'a> {
    http: HttpContext,
    base: String,
    config: &'a BTreeMap<String, String>,
    id: &'a str,
    model: ApiModel,
    firsts: HashMap<String, First>,
    corrections: Vec<String>,
    /// The first answer (URL asked, HTTP status, the redirect that led to it) and the first
    /// transport failure.
    answered: Option<(String, u16, Option<Redirected>)>,
    unreachable: Option<Failure>,
    credentials: Option<Failure>,
    credentials_ok: bool,
}

/// Probes every selected endpoint of `model`.
pub(crate) async fn probe(
    http: &HttpContext,
    id: &str,
    config: &BTreeMap<String, String>,
    model: &ApiModel,
) -> ProbeReport {
    let Some(base) = config.get("base_url").filter(|b| !b.is_empty()) else {
        return ProbeReport {
            checks: vec![CheckOutcome::failed(
                "host reachable",
                format!("`base_url` is not set: set it with `connector-agent setup {id} --set base_url=URL`"),
            )],
            model: model.clone(),
            corrections: Vec::new(),
            blocked: true,
        };
    };
    let mut http = http.clone();
    // One retry is enough to tell a dead host from a hiccup; the sync keeps the full policy.
    http.retry.max_attempts = http.retry.max_attempts.min(2);
    let mut p = Probe {
        http,
        base: base.trim_end_matches('/').to_string(),
        config,
        id,
        model: model.clone(),
        firsts: HashMap::new(),
        corrections: Vec::new(),
        answered: None,
        unreachable: None,
        credentials: None,
        credentials_ok: false,
    };
    // Parents before children, so each child reuses its parent's first page.
    let mut order: Vec<usize> = (0..p.model.endpoints.len()).collect();
    order.sort_by_key(|&i| p.depth(i));
    let mut table_checks: Vec<(usize, CheckOutcome)> = Vec::new();
    for i in order {
        let selected = p.model.endpoints[i].selected;
        let needed = selected || p.is_needed_parent(i);
        if !needed {
            continue;
        }
        let check = p.endpoint(i, selected).await;
        if selected {
            table_checks.push((i, check));
        }
    }
    table_checks.sort_by_key(|(i, _)| *i);
    let mut checks = Vec::new();
    match (&p.answered, &p.unreachable) {
        (Some((url, status, redirected)), _) => checks.push(CheckOutcome::passed(
            "host reachable",
            match redirected {
                None => format!("{} answered (HTTP {status})", origin(url)),
                Some(r) => format!(
                    "{} answered (HTTP {status}) after GET {} was {r}",
                    origin(&r.to),
                    shown(url)
                ),
            },
        )),
        (None, Some(f)) => checks.push(CheckOutcome::failed("host reachable", f.message.clone())),
        (None, None) => {}
    }
    match (&p.credentials, p.credentials_ok) {
        (Some(f), _) => checks.push(CheckOutcome::failed(
            "credentials accepted",
            f.message.clone(),
        )),
        (None, true) => checks.push(CheckOutcome::passed(
            "credentials accepted",
            "the API accepted the credentials".into(),
        )),
        (None, false) => {}
    }
    let blocked = p.credentials.is_some() || (p.answered.is_none() && p.unreachable.is_some());
    checks.extend(table_checks.into_iter().map(|(_, c)| c));
    ProbeReport {
        checks,
        model: p.model,
        corrections: p.corrections,
        blocked,
    }
}

/// One part of an endpoint's check (record path, primary key, cursor field, paginator).
struct CheckPart {
    name: &'static str,
    ok: bool,
    message: String,
}

impl CheckOutcome {
    pub(crate) fn passed(name: &str, message: String) -> CheckOutcome {
        CheckOutcome {
            name: name.into(),
            ok: true,
            message,
        }
    }

    pub(crate) fn failed(name: &str, message: String) -> CheckOutcome {
        CheckOutcome {
            name: name.into(),
            ok: false,
            message,
        }
    }

    /// Passes when every part passes. The message says each part separately, failed parts
    /// first (`FAILED paginator: …; record path: …`).
    fn from_parts(name: &str, parts: Vec<CheckPart>) -> CheckOutcome {
        let ok = parts.iter().all(|p| p.ok);
        let failed = parts.iter().filter(|p| !p.ok);
        let passed = parts.iter().filter(|p| p.ok);
        let message = failed
            .map(|p| format!("FAILED {}: {}", p.name, p.message))
            .chain(passed.map(|p| format!("{}: {}", p.name, p.message)))
            .collect::<Vec<_>>()
            .join("; ");
        CheckOutcome {
            name: name.into(),
            ok,
            message,
        }
    }
}

impl CheckPart {
    fn passed(name: &'static str, message: String) -> CheckPart {
        CheckPart {
            name,
            ok: true,
            message,
        }
    }

    fn failed(name: &'static str, message: String) -> CheckPart {
        CheckPart {
            name,
            ok: false,
            message,
        }
    }
}

/// The sandboxed connector's own check, folded into one: it proves the component reads the
/// same pages through the host.
pub(crate) fn connector_check(results: Vec<CheckResult>) -> CheckOutcome {
    let ok = results.iter().all(|r| r.ok);
    let tables = results
        .iter()
        .filter(|r| r.name.starts_with("table "))
        .count();
    let message = if ok {
        format!("the sandboxed connector read the first page of {tables} tables")
    } else {
        results
            .iter()
            .filter(|r| !r.ok)
            .map(|r| format!("{}: {}", r.name, r.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    CheckOutcome {
        name: "connector".into(),
        ok,
        message,
    }
}

/// `scheme://host:port` of a URL.
fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_string())
}

/// A URL for a message: the values of query parameters that may carry credentials (APIs copy
/// keys and tokens into their next-page links) are masked; paging parameters stay readable.
fn shown(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.split('?').next().unwrap_or_default().to_string();
    };
    let _ = u.set_password(None);
    if u.query().is_none() {
        return u.to_string();
    }
    let secretish = |name: &str| {
        let n = name.to_ascii_lowercase();
        [
            "key",
            "token",
            "secret",
            "sig",
            "password",
            "auth",
            "code",
            "session",
            "credential",
        ]
        .iter()
        .any(|w| n.contains(w))
    };
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if secretish(&k) {
                "****".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn path_text(path: &[String]) -> String {
    if path.is_empty() {
        "(the body itself)".into()
    } else {
        format!("`{}`", path.join("."))
    }
}

/// The start of a body, for messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let cut: String = text.chars().take(160).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, for a time in years 1970 to 9999.
fn rfc3339(secs: f64) -> Option<String> {
    (0.0..=LAST_SECOND)
        .contains(&secs)
        .then(|| connector_agent_sdk::time::rfc3339(secs as i64))
}

/// The filter value a connector sends for a cursor `value` in `format` (the SDK's
/// [`filter_text`](connector_agent_sdk::cursor::filter_text), the connector's own), or that
/// text `earlier` seconds before, in the same unit and layout; with the time it stands for.
/// `None` where that cannot be written faithfully.
fn filter_text(value: &Value, format: CursorFormat, earlier: f64) -> Option<(String, f64)> {
    let text = connector_agent_sdk::cursor::filter_text(value, decl::format(format));
    let at = instant(&Value::String(text.clone()))?;
    if earlier == 0.0 {
        return Some((text, at));
    }
    let shifted = if connector_agent_sdk::time::is_digits(&text) {
        // Digits keep their unit (seconds, milliseconds, microseconds).
        let raw: f64 = text.parse().ok()?;
        let unit = connector_agent_sdk::time::units_per_second(raw);
        format!("{}", (raw - earlier * unit).floor() as i64)
    } else if text.trim_end().ends_with(" GMT") {
        (0.0..=LAST_SECOND)
            .contains(&(at - earlier))
            .then(|| connector_agent_sdk::time::http_date((at - earlier) as i64))?
    } else if text.ends_with(['Z', 'z']) && text.as_bytes().get(10) == Some(&b'T') {
        // An RFC 3339 time in UTC is written back so; another layout is not guessed.
        rfc3339(at - earlier)?
    } else {
        return None;
    };
    let shifted_at = instant(&Value::String(shifted.clone()))?;
    Some((shifted, shifted_at))
}

/// Sets the page size sent (`None`: none, where the paginator allows it).
fn set_limit(p: &mut Pagination, size: Option<u32>) {
    match p {
        Pagination::None => {}
        Pagination::Cursor { limit, .. }
        | Pagination::NextUrl { limit, .. }
        | Pagination::LinkHeader { limit }
        | Pagination::PageNumber { limit, .. } => match size {
            Some(n) => {
                if let Some(l) = limit {
                    l.value = n;
                }
            }
            None => *limit = None,
        },
        Pagination::Offset { limit, .. } => {
            if let Some(n) = size {
                limit.value = n;
            }
        }
    }
}

fn limit_of(p: &Pagination) -> Option<(String, u32)> {
    match p {
        Pagination::None => None,
        Pagination::Cursor { limit, .. }
        | Pagination::NextUrl { limit, .. }
        | Pagination::LinkHeader { limit }
        | Pagination::PageNumber { limit, .. } => {
            limit.as_ref().map(|l| (l.param.clone(), l.value))
        }
        Pagination::Offset { limit, .. } => Some((limit.param.clone(), limit.value)),
    }
}

impl Probe<'_> {
    fn depth(&self, i: usize) -> usize {
        let mut depth = 0;
        let mut cur = &self.model.endpoints[i];
        while let Some(parent) = cur
            .parent
            .as_ref()
            .and_then(|p| self.model.endpoint_by_table(&p.table))
        {
            depth += 1;
            cur = parent;
            if depth > self.model.endpoints.len() {
                break;
            }
        }
        depth
    }

    /// Whether a selected endpoint descends from endpoint `i`.
    fn is_needed_parent(&self, i: usize) -> bool {
        let table = &self.model.endpoints[i].table;
        self.model.selected().any(|e| {
            let mut cur = e;
            for _ in 0..self.model.endpoints.len() {
                let Some(p) = &cur.parent else { return false };
                if &p.table == table {
                    return true;
                }
                match self.model.endpoint_by_table(&p.table) {
                    Some(next) => cur = next,
                    None => return false,
                }
            }
            false
        })
    }

    /// Fixed query parameters with `{config}` values filled in.
    fn base_query(&self, e: &Endpoint) -> Result<Vec<(String, String)>, Failure> {
        let mut query = Vec::new();
        for q in &e.query {
            let value = match q.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                // The path's own value, filled in when the URL is built.
                Some(name) if e.path.contains(&q.value) && !self.config.contains_key(name) => {
                    q.value.clone()
                }
                Some(name) => self
                    .config
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .ok_or_else(|| Failure {
                        cause: Cause::Config,
                        message: format!(
                            "`{name}` is not set (needed by table `{}`): set it with `connector-agent setup {} --set {name}=VALUE`",
                            e.table, self.id
                        ),
                    })?,
                None => q.value.clone(),
            };
            query.push((q.name.clone(), value));
        }
        Ok(query)
    }

    /// Runs `f` on the SDK's [`Target`] for endpoint `e` with path parameters `params` and
    /// the incremental `filter` (a query parameter; `None` for none or a header): the
    /// request URLs and pages as the connector builds and follows them. `Err` when a config
    /// value or a path parameter is missing.
    fn with_target<R>(
        &self,
        e: &Endpoint,
        params: &[(String, String)],
        filter: Option<(&str, String)>,
        f: impl FnOnce(&Target<'_>) -> R,
    ) -> Result<R, Failure> {
        let mut fixed = self.base_query(e)?;
        if let Some((param, _)) = &filter {
            fixed.retain(|(k, _)| k != param);
        }
        let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        if let Some(param) = unfilled(&e.path, &names) {
            return Err(Failure {
                cause: Cause::Config,
                message: format!(
                    "the path parameter `{param}` has no value: set it with `connector-agent setup {} --set {param}=VALUE`",
                    self.id
                ),
            });
        }
        let fixed: Vec<(&str, String)> =
            fixed.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let path_params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let paths = decl::Paths::of(&e.pagination);
        let primary_key = decl::strs(&e.primary_key);
        let target = Target {
            base: &self.base,
            path: &e.path,
            paging: paths.decl(&e.pagination),
            primary_key: &primary_key,
            path_params: &path_params,
            fixed_query: &fixed,
            filter,
            filter_in_header: false,
        };
        Ok(f(&target))
    }

    /// The URL of endpoint `e`'s first page, as the connector asks for it.
    fn first_url(
        &self,
        e: &Endpoint,
        params: &[(String, String)],
        filter: Option<(&str, String)>,
    ) -> Result<String, Failure> {
        self.with_target(e, params, filter, |t| page_url(t, &Position::Start))
    }

    /// The URL of the page after `page` (whose records are at `record_path`) as the
    /// connector's paging finds it: `Ok(None)` at the end of the list, `Err` when the page
    /// cannot be paged past (the SDK's reason).
    fn next_url(
        &self,
        e: &Endpoint,
        params: &[(String, String)],
        page: &Page,
        record_path: &[String],
    ) -> Result<Option<String>, String> {
        let body = Body::parse(&page.bytes)?;
        let records = body.records(&decl::strs(record_path))?;
        // The SDK names the current URL in its "did not advance" error: the shown form
        // (credentials an API copied into its links masked); page 2 is checked against the
        // real one by the caller.
        let current = shown(&page.url);
        self.with_target(e, params, None, |t| {
            next_position(
                t,
                &Position::Start,
                &current,
                &page.headers,
                &body,
                &records,
            )
            .map(|next| next.map(|position| page_url(t, &position)))
        })
        .map_err(|f| f.message)?
    }

    /// Path parameters taken from config.
    fn config_params(&self, e: &Endpoint) -> Vec<(String, String)> {
        self.config
            .iter()
            .filter(|(k, _)| e.path.contains(&format!("{{{k}}}")))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Sends a GET and classifies the answer; `Ok` only for 2xx with a JSON body.
    async fn get(&mut self, e: &Endpoint, url: String) -> Result<Page, Failure> {
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        // The endpoint's required headers, as its connector sends them (one not set in
        // config is the config check's to report).
        for h in &e.headers {
            let value = match h.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(name) => match self.config.get(name).filter(|v| !v.is_empty()) {
                    Some(v) => v.clone(),
                    None => continue,
                },
                None => h.value.clone(),
            };
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&h.name));
            headers.push((h.name.clone(), value));
        }
        let request = HttpRequest {
            method: "GET".into(),
            url: url.clone(),
            headers,
            body: None,
        };
        let (resp, hops) = match self.http.send_traced(request).await {
            Ok(r) => r,
            Err(e) => {
                let f = self.transport_failure(&url, &e);
                if f.cause.unreachable() && self.unreachable.is_none() {
                    self.unreachable = Some(f.clone());
                }
                return Err(f);
            }
        };
        let redirected = hops.last().map(|last| Redirected {
            hops: hops.len(),
            status: last.status,
            to: last.to.clone(),
        });
        if self.answered.is_none() {
            self.answered = Some((url.clone(), resp.status, redirected.clone()));
        }
        let status = resp.status;
        if !(200..300).contains(&status) {
            let f = self.status_failure(&url, status, &resp.body);
            if matches!(f.cause, Cause::Unauthorized | Cause::Forbidden)
                && self.credentials.is_none()
            {
                self.credentials = Some(f.clone());
            }
            return Err(f);
        }
        self.credentials_ok = true;
        let body: Value = serde_json::from_slice(&resp.body).map_err(|e| Failure {
            cause: Cause::Shape,
            message: format!(
                "unexpected shape: GET {} answered {status} but the body is not JSON ({}): {}; check that `base_url` points at the API, not a web page",
                shown(&url),
                if resp.body.is_empty() { "it is empty".to_string() } else { e.to_string() },
                snippet(&resp.body)
            ),
        })?;
        Ok(Page {
            url,
            redirected,
            headers: resp.headers,
            bytes: resp.body,
            body,
        })
    }

    fn transport_failure(&self, url: &str, e: &HttpError) -> Failure {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let url = &shown(url);
        let base = &self.base;
        let id = self.id;
        let fix_base = format!("`connector-agent setup {id} --set base_url=URL`");
        let (cause, message) = match e {
            HttpError::Denied(m) if m.contains(" redirected (") => (
                Cause::Denied,
                format!("the API redirected the request to a host outside the allow-list, and the host refused to follow: {m}; nothing was sent there. If that host is the API's, add it to the servers of the model; else check `base_url` ({base})"),
            ),
            HttpError::Denied(m) => (
                Cause::Denied,
                format!("GET {url} was refused by the host's allow-list ({m}); the API sent the connector to another host: add it to the servers of the model or check `base_url` ({base})"),
            ),
            HttpError::InvalidUrl(m) => (
                Cause::Config,
                format!("invalid URL ({m}): check `base_url` ({base}) with {fix_base}"),
            ),
            HttpError::Timeout(m) => (
                Cause::Timeout,
                format!("timeout: `{host}` did not answer in time ({m}); check the network, a firewall or proxy, and try again"),
            ),
            HttpError::Network(m) => {
                let lower = m.to_ascii_lowercase();
                if lower.contains("dns lookup failed") || lower.contains("failed to lookup address") {
                    (Cause::Dns, format!("DNS failure: the host name `{host}` does not resolve ({m}); check the spelling of `base_url` ({base}) with {fix_base}"))
                } else if lower.contains("connection refused") {
                    (Cause::Refused, format!("connection refused: nothing listens at `{}` ({m}); check the port and scheme of `base_url` ({base}) and that the service is up", origin(url)))
                } else if lower.contains("tls handshake failed") || lower.contains("certificate") {
                    (Cause::Tls, format!("TLS failure: the secure connection to `{host}` failed ({m}): a certificate problem, or `https` used for a plain `http` server; check the scheme of `base_url` ({base}), and whether a corporate proxy intercepts TLS (its root certificate must be trusted)"))
                } else {
                    (Cause::Network, format!("network error: {m}; check `base_url` ({base}) and the network"))
                }
            }
        };
        Failure { cause, message }
    }

    fn status_failure(&self, url: &str, status: u16, body: &[u8]) -> Failure {
        let url = &shown(url);
        let id = self.id;
        let said = snippet(body);
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(" (the API said: {said})")
        };
        let secrets: Vec<&connector_agent_model::ConfigField> =
            self.model.config.iter().filter(|f| f.secret).collect();
        let (cause, advice) = match status {
            401 => {
                let fields = if secrets.is_empty() {
                    "this API's docs name no credential field; check the auth scheme in the model".to_string()
                } else {
                    secrets
                        .iter()
                        .map(|f| {
                            let how = f.description.trim();
                            if how.is_empty() {
                                format!("`{}`", f.name)
                            } else {
                                format!("`{}` ({how})", f.name)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                (
                    Cause::Unauthorized,
                    format!("credentials rejected: check the key or token, and set it again with `connector-agent setup {id} --set NAME=VALUE`; where to get it: {fields}"),
                )
            }
            403 => (
                Cause::Forbidden,
                format!("the credentials are valid but lack permission for this resource: give the key or token the scope or role that may read it, or deselect the table with `connector-agent endpoints {id} --deselect TABLE`"),
            ),
            404 => (
                Cause::NotFound,
                format!("not found: wrong base URL or path; compare `base_url` ({}) with the docs (a missing version prefix such as `/v1`?) and set it with `connector-agent setup {id} --set base_url=URL`", self.base),
            ),
            429 => (
                Cause::Status,
                "rate limited even after the host's retries: try again later".to_string(),
            ),
            s if s >= 500 => (
                Cause::Status,
                "the API failed on its side: try again later".to_string(),
            ),
            400 | 422 => (
                Cause::Rejected,
                "the API refused the request as sent: check the config values this endpoint uses"
                    .to_string(),
            ),
            _ => (
                Cause::Status,
                "the API refused the request as sent: check the config values this endpoint uses"
                    .to_string(),
            ),
        };
        Failure {
            cause,
            message: format!("HTTP {status} from GET {url}{said}: {advice}"),
        }
    }

    /// Probes endpoint `i`: the first page always; with `full`, also the key, the cursor
    /// field, the second page and the corrections.
    async fn endpoint(&mut self, i: usize, full: bool) -> CheckOutcome {
        let e = self.model.endpoints[i].clone();
        let name = format!("table {}", e.table);
        let outcome = |parts: Vec<CheckPart>| CheckOutcome::from_parts(&name, parts);
        if let Some(f) = self.unreachable.clone() {
            let msg = format!("skipped: the host is unreachable ({})", f.message);
            self.firsts.insert(
                e.table.clone(),
                First::Failed("the host is unreachable".into()),
            );
            return CheckOutcome::failed(&name, msg);
        }
        // Path parameters: config, then one id from the parent's first page.
        let mut params = self.config_params(&e);
        if let Some(link) = &e.parent {
            match self.firsts.get(&link.table).cloned() {
                Some(First::Read {
                    records,
                    params: above,
                }) => {
                    let key = records
                        .iter()
                        .find_map(|r| r.get(&link.parent_key).and_then(scalar_text));
                    let Some(key) = key else {
                        self.firsts.insert(
                            e.table.clone(),
                            First::Failed(format!("parent `{}` has no rows", link.table)),
                        );
                        return CheckOutcome::passed(
                            &name,
                            format!("skipped: parent `{}` has no rows", link.table),
                        );
                    };
                    params.extend(above);
                    params.push((link.path_param.clone(), key));
                }
                Some(First::Failed(why)) => {
                    self.firsts
                        .insert(e.table.clone(), First::Failed(why.clone()));
                    return CheckOutcome::failed(
                        &name,
                        format!("skipped: parent `{}` could not be read: {why}", link.table),
                    );
                }
                None => {
                    return CheckOutcome::failed(
                        &name,
                        format!("skipped: parent table `{}` is not in the model", link.table),
                    )
                }
            }
        }
        let mut parts: Vec<CheckPart> = Vec::new();
        let first_url = match self.first_url(&e, &params, None) {
            Ok(u) => u,
            Err(f) => {
                self.firsts
                    .insert(e.table.clone(), First::Failed(f.message.clone()));
                return outcome(vec![CheckPart::failed("first page", f.message)]);
            }
        };
        let page = match self.get(&e, first_url).await {
            Ok(p) => p,
            Err(f) if full && f.cause == Cause::Rejected && limit_of(&e.pagination).is_some() => {
                match self.smaller_page(i, &params, &f).await {
                    Some(page) => page,
                    None => {
                        self.firsts
                            .insert(e.table.clone(), First::Failed(f.message.clone()));
                        return outcome(vec![CheckPart::failed("first page", f.message)]);
                    }
                }
            }
            Err(f) => {
                self.firsts
                    .insert(e.table.clone(), First::Failed(f.message.clone()));
                return outcome(vec![CheckPart::failed("first page", f.message)]);
            }
        };
        if let Some(r) = &page.redirected {
            parts.push(CheckPart::passed(
                "redirect",
                format!(
                    "GET {} was {r}; set `base_url` to the final location to save the detour",
                    shown(&page.url)
                ),
            ));
        }
        // Record path.
        let record_path = match self.records_at(&page.body, &e.record_path) {
            Ok(_) => {
                parts.push(CheckPart::passed(
                    "record path",
                    format!("records at {}", path_text(&e.record_path)),
                ));
                e.record_path.clone()
            }
            Err(why) => match observed::sure_record_path(&page.body) {
                Some(found) if full => {
                    self.correct(
                        i,
                        CorrectedField::RecordPath,
                        e.record_path.join("."),
                        found.join("."),
                        format!(
                            "{why}; the only array of records is at {}",
                            path_text(&found)
                        ),
                    );
                    self.model.endpoints[i].record_path = found.clone();
                    parts.push(CheckPart::passed(
                        "record path",
                        format!("corrected to {} ({why})", path_text(&found)),
                    ));
                    found
                }
                Some(found) => found,
                None => {
                    let message = format!("unexpected shape: GET {}: {why}; the API does not answer as the docs say: check that `base_url` ({}) names the right API and version", shown(&page.url), self.base);
                    self.firsts
                        .insert(e.table.clone(), First::Failed(message.clone()));
                    parts.push(CheckPart::failed("record path", message));
                    return outcome(parts);
                }
            },
        };
        let records = self
            .records_at(&page.body, &record_path)
            .unwrap_or_default();
        self.firsts.insert(
            e.table.clone(),
            First::Read {
                records: records.clone(),
                params: params.clone(),
            },
        );
        if !full {
            return outcome(parts);
        }
        parts[0].message = format!("{} ({} on the first page)", parts[0].message, records.len());
        self.columns(i, &records);
        parts.push(self.key(i, &records));
        if let Some(part) = self.cursor(i, &records) {
            parts.push(part);
        }
        if let Some(part) = self.filter(i, &records, &params, &record_path).await {
            parts.push(part);
        }
        parts.push(
            self.paginator(i, &page, &records, &params, &record_path)
                .await,
        );
        outcome(parts)
    }

    /// Checks the incremental filter on the live API with the newest time on the first page
    /// (record R): the filtered page must hold no record older than that time, and must hold
    /// R (asked again a second earlier, for a filter that means "after"). A filter the API
    /// ignores shows older records; one that compares another field (a creation time)
    /// leaves R out. Either way the filter could skip changes or do nothing, so the model
    /// drops it and the table syncs in full (corrected, with what was seen); a refused
    /// filter fails the check.
    async fn filter(
        &mut self,
        i: usize,
        records: &[Value],
        params: &[(String, String)],
        record_path: &[String],
    ) -> Option<CheckPart> {
        let e = self.model.endpoints[i].clone();
        let inc = e.incremental.clone()?;
        let times: Vec<(f64, &Value)> = records
            .iter()
            .filter_map(|r| Some((instant(r.get(&inc.cursor_field)?)?, r)))
            .collect();
        let (newest, r) = times.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
        let (newest, r) = (*newest, *r);
        if !times.iter().any(|(t, _)| *t < newest) {
            return Some(CheckPart::passed(
                "filter",
                format!(
                    "not checked: every record on the first page has the same `{}`",
                    inc.cursor_field
                ),
            ));
        }
        let identity = |record: &Value| -> Value {
            if e.primary_key.is_empty() {
                record.clone()
            } else {
                Value::Array(
                    e.primary_key
                        .iter()
                        .map(|k| record.get(k).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
            }
        };
        let wanted = identity(r);
        let mut seen = Vec::new();
        for earlier in [0.0, 1.0] {
            let Some((sent, threshold)) =
                filter_text(r.get(&inc.cursor_field)?, inc.format, earlier)
            else {
                break;
            };
            // The filter as the connector sends it: a query parameter or a header.
            let mut filtered = e.clone();
            let in_query = if inc.header {
                filtered
                    .headers
                    .retain(|h| !h.name.eq_ignore_ascii_case(&inc.param));
                filtered.headers.push(connector_agent_model::QueryParam {
                    name: inc.param.clone(),
                    value: sent.clone(),
                });
                None
            } else {
                Some((inc.param.as_str(), sent.clone()))
            };
            let url = self.first_url(&e, params, in_query).ok()?;
            let page = match self.get(&filtered, url).await {
                Ok(page) => page,
                // A value the API refuses would fail every incremental sync: the table syncs
                // in full instead.
                Err(f) if f.cause == Cause::Rejected => {
                    return Some(self.drop_filter(
                        i,
                        format!("`{}: {sent}` was refused: {}", inc.param, f.message),
                    ))
                }
                Err(f) => {
                    return Some(CheckPart::passed(
                        "filter",
                        format!("not checked: {}", f.message),
                    ))
                }
            };
            let got = self.records_at(&page.body, record_path).unwrap_or_default();
            let older = got
                .iter()
                .filter(|g| {
                    g.get(&inc.cursor_field)
                        .and_then(instant)
                        .is_some_and(|t| t < threshold)
                })
                .count();
            if older > 0 {
                return Some(self.drop_filter(
                    i,
                    format!(
                        "`{}={sent}` still returned {older} of {} records with an older `{}`: the API does not filter by it",
                        inc.param,
                        got.len(),
                        inc.cursor_field
                    ),
                ));
            }
            if got.iter().any(|g| identity(g) == wanted) {
                return Some(CheckPart::passed(
                    "filter",
                    format!(
                        "`{}={sent}` returned {} records, none older, and the newest of the first page",
                        inc.param,
                        got.len()
                    ),
                ));
            }
            seen.push((sent, got.len()));
        }
        // R is missing both times. A full filtered page may hold it further on; a short one
        // cannot. Without the second try (a layout not written back), an "after" filter is
        // not ruled out.
        if seen.len() < 2 {
            return Some(CheckPart::passed(
                "filter",
                format!(
                    "`{}` returned no record older than the value sent (not asked a second earlier: the value's layout is not rewritten)",
                    inc.param
                ),
            ));
        }
        if seen.iter().any(|(_, n)| *n >= records.len()) {
            return Some(CheckPart::passed(
                "filter",
                format!(
                    "`{}` returned no record older than the value sent (the newest record of the first page may be on a later filtered page)",
                    inc.param
                ),
            ));
        }
        let tried: Vec<String> = seen
            .iter()
            .map(|(v, n)| format!("`{}={v}` gave {n}", inc.param))
            .collect();
        Some(self.drop_filter(
            i,
            format!(
                "{} records, none of them the record whose `{}` it equals: the API compares another field",
                tried.join(", "),
                inc.cursor_field
            ),
        ))
    }

    /// Drops endpoint `i`'s incremental filter (it syncs in full), recording why.
    fn drop_filter(&mut self, i: usize, why: String) -> CheckPart {
        let inc = self.model.endpoints[i].incremental.take();
        let before = inc
            .map(|inc| format!("`{}` on `{}`", inc.param, inc.cursor_field))
            .unwrap_or_default();
        self.correct(
            i,
            CorrectedField::Incremental,
            before,
            "none: every sync reads the table in full".into(),
            why.clone(),
        );
        CheckPart::passed(
            "filter",
            format!("corrected: none, the table syncs in full ({why})"),
        )
    }

    /// The first page again with a smaller page size, after the API refused the first
    /// request (`refused`): the maximum its error message states, else the API's own default
    /// (the size left out), else 25 and 10 (offset paging needs a size to step by). The first
    /// size the API accepts corrects the model.
    async fn smaller_page(
        &mut self,
        i: usize,
        params: &[(String, String)],
        refused: &Failure,
    ) -> Option<Page> {
        let e = self.model.endpoints[i].clone();
        let (param, sent) = limit_of(&e.pagination)?;
        let stated = connector_agent_extract::max_from_text(&refused.message).filter(|n| *n < sent);
        let mut sizes: Vec<Option<u32>> = stated.map(Some).into_iter().collect();
        if matches!(e.pagination, Pagination::Offset { .. }) {
            sizes.extend(
                [Some(25), Some(10)]
                    .into_iter()
                    .filter(|s| s.is_some_and(|s| s < sent)),
            );
        } else {
            sizes.push(None);
        }
        for size in sizes {
            let mut tried = e.clone();
            set_limit(&mut tried.pagination, size);
            let url = self.first_url(&tried, params, None).ok()?;
            let got = self.get(&tried, url).await;
            if let Err(f) = &got {
                if f.cause != Cause::Rejected {
                    return None;
                }
            }
            if let Ok(page) = got {
                let now = match size {
                    Some(n) => format!("`{param}={n}`"),
                    None => format!("no `{param}` (the API's default page size)"),
                };
                self.correct(
                    i,
                    CorrectedField::Pagination,
                    format!(
                        "{} with `{param}={sent}`",
                        describe_pagination(&e.pagination)
                    ),
                    format!("{} with {now}", describe_pagination(&tried.pagination)),
                    format!(
                        "the API refused `{param}={sent}` ({}) and accepted {now}",
                        refused.message
                    ),
                );
                self.model.endpoints[i].pagination = tried.pagination;
                return Some(page);
            }
        }
        None
    }

    /// The records array at `path`, or why there is none.
    fn records_at(&self, body: &Value, path: &[String]) -> Result<Vec<Value>, String> {
        match observed::value_at(body, path) {
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items.clone()),
            Some(Value::Null) if !path.is_empty() => Ok(Vec::new()),
            Some(other) => Err(format!(
                "expected an array of records at {}, found {}",
                path_text(path),
                observed::describe(other)
            )),
            None => Err(format!(
                "expected an array of records at {}, found nothing there; the body is {}",
                path_text(path),
                observed::describe(body)
            )),
        }
    }

    fn correct(
        &mut self,
        i: usize,
        field: CorrectedField,
        before: String,
        after: String,
        evidence: String,
    ) {
        // The evidence is stored with the model and printed: no secret value in it.
        let mut evidence = evidence;
        for f in self.model.config.iter().filter(|f| f.secret) {
            if let Some(v) = self.config.get(&f.name).filter(|v| v.len() >= 4) {
                evidence = evidence.replace(v.as_str(), "***");
            }
        }
        let c = Correction {
            field,
            before,
            after,
            evidence,
        };
        let e = &mut self.model.endpoints[i];
        self.corrections.push(format!("table `{}`: {c}", e.table));
        e.corrections.push(c);
    }

    /// Adds the columns the records show and the model lacks, through the destination's
    /// naming ([`connector_agent_destination::ColumnNames`]): at most
    /// [`connector_agent_destination::MAX_COLUMNS`] per table, each shown with the column it
    /// becomes when that is not the key itself. Linear in the number of keys.
    fn columns(&mut self, i: usize, records: &[Value]) {
        use connector_agent_destination::{ColumnNames, MAX_COLUMNS, ROW_ID, SYNCED_AT};
        let e = &self.model.endpoints[i];
        let parent_column = e.parent.as_ref().map(|p| p.column.as_str());
        let known: HashSet<&str> = e.columns.iter().map(|c| c.name.as_str()).collect();
        let observed: Vec<_> = observed::columns(records)
            .into_iter()
            .filter(|c| !known.contains(c.name.as_str()))
            .filter(|c| Some(c.name.as_str()) != parent_column)
            .collect();
        if observed.is_empty() {
            return;
        }
        // The model's columns come first, so a capped table keeps what the docs list.
        let mut required: Vec<&str> = e.primary_key.iter().map(String::as_str).collect();
        required.extend([SYNCED_AT, ROW_ID]);
        required.extend(parent_column);
        let names = ColumnNames::assign(
            e.columns
                .iter()
                .map(|c| c.name.as_str())
                .chain(parent_column)
                .chain([SYNCED_AT])
                .chain(observed.iter().map(|c| c.name.as_str())),
            &required,
            &[],
        );
        let dropped: HashSet<&str> = names.dropped.iter().map(String::as_str).collect();
        let (new, left_out): (Vec<_>, Vec<_>) = observed
            .into_iter()
            .partition(|c| !dropped.contains(c.name.as_str()));
        let shown = |name: &str| match names.get(name) {
            Some(col) if col != name => format!("`{}` (as column `{col}`)", name.escape_debug()),
            _ => format!("`{}`", name.escape_debug()),
        };
        let mut evidence = String::new();
        if !new.is_empty() {
            let typed: Vec<String> = new
                .iter()
                .take(50)
                .map(|c| {
                    format!(
                        "{} ({})",
                        shown(&c.name),
                        serde_json::to_value(c.ty)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let more = if new.len() > 50 {
                format!(" and {} more", new.len() - 50)
            } else {
                String::new()
            };
            evidence = format!(
                "the records hold {}{more} that the docs do not list",
                typed.join(", ")
            );
        }
        if !left_out.is_empty() {
            if !evidence.is_empty() {
                evidence.push_str("; ");
            }
            evidence.push_str(&format!(
                "{} more keys (such as {}) get no column: a table has at most {MAX_COLUMNS} columns",
                left_out.len(),
                left_out
                    .iter()
                    .take(3)
                    .map(|c| shown(&c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if new.is_empty() {
            self.corrections
                .push(format!("table `{}`: {evidence}", e.table));
            return;
        }
        let names: Vec<String> = new
            .iter()
            .take(50)
            .map(|c| c.name.escape_debug().to_string())
            .collect();
        let after = if new.len() > 50 {
            format!("{}, … ({} columns)", names.join(", "), new.len())
        } else {
            names.join(", ")
        };
        self.correct(i, CorrectedField::Columns, String::new(), after, evidence);
        self.model.endpoints[i].columns.extend(new);
    }

    fn key(&mut self, i: usize, records: &[Value]) -> CheckPart {
        let e = &self.model.endpoints[i];
        if records.is_empty() {
            return CheckPart::passed(
                "primary key",
                "no records on the first page to check".into(),
            );
        }
        let problem = if e.primary_key.is_empty() {
            Some("the docs name none".to_string())
        } else {
            observed::key_problem(records, &e.primary_key)
        };
        let Some(problem) = problem else {
            return CheckPart::passed(
                "primary key",
                format!("`{}` unique on the page", e.primary_key.join(", ")),
            );
        };
        let before = e.primary_key.join(", ");
        match observed::primary_key(records, &e.entity) {
            Some(key) if [key.clone()] != e.primary_key.as_slice() => {
                let evidence = format!(
                    "`{before}`: {problem}; `{key}` is in every record and unique on the page"
                );
                self.correct(
                    i,
                    CorrectedField::PrimaryKey,
                    before,
                    key.clone(),
                    evidence,
                );
                self.model.endpoints[i].primary_key = vec![key.clone()];
                CheckPart::passed(
                    "primary key",
                    format!("corrected to `{key}` ({problem})"),
                )
            }
            _ if e.primary_key.is_empty() => CheckPart::passed(
                "primary key",
                "none in the docs or the data: rows are appended, not upserted".into(),
            ),
            _ => CheckPart::failed(
                "primary key",
                format!("unexpected shape: the primary key `{before}` does not identify the records: {problem}, and no `id` field does either"),
            ),
        }
    }

    fn cursor(&mut self, i: usize, records: &[Value]) -> Option<CheckPart> {
        let inc = self.model.endpoints[i].incremental.clone()?;
        if records.is_empty() {
            return Some(CheckPart::passed(
                "cursor field",
                "no records on the first page to check".into(),
            ));
        }
        let present = records
            .iter()
            .any(|r| r.get(&inc.cursor_field).is_some_and(|v| !v.is_null()));
        if present {
            return Some(CheckPart::passed(
                "cursor field",
                format!("`{}` present", inc.cursor_field),
            ));
        }
        let problem = format!("no record has `{}`", inc.cursor_field);
        // A header filter (`If-Modified-Since`) on records that show no update time (a log)
        // compares when they were written.
        let found = observed::cursor_field(records)
            .map(|f| (f, "update time"))
            .or_else(|| {
                observed::written_field(records)
                    .filter(|_| inc.header)
                    .map(|f| (f, "write time, which the header filter compares"))
            });
        Some(match found {
            Some((found, what)) => {
                self.correct(
                    i,
                    CorrectedField::CursorField,
                    inc.cursor_field.clone(),
                    found.clone(),
                    format!("{problem}; `{found}` holds each record's {what}"),
                );
                if let Some(inc) = &mut self.model.endpoints[i].incremental {
                    inc.cursor_field = found.clone();
                }
                CheckPart::passed("cursor field", format!("corrected to `{found}` ({problem})"))
            }
            None => CheckPart::failed(
                "cursor field",
                format!("unexpected shape: {problem} and no field holds an update time, so incremental syncs could not advance; deselect the table or sync it in full"),
            ),
        })
    }

    /// Fetches the second page where the first says there is more, and checks it differs.
    async fn paginator(
        &mut self,
        i: usize,
        page: &Page,
        records: &[Value],
        params: &[(String, String)],
        record_path: &[String],
    ) -> CheckPart {
        let e = self.model.endpoints[i].clone();
        let name = "paginator";
        let what = match &e.pagination {
            Pagination::None => {
                if let Some(part) = self
                    .unseen_more(i, page, records, params, record_path)
                    .await
                {
                    return part;
                }
                return CheckPart::passed(name, "no pagination: one request reads all".into());
            }
            Pagination::Cursor { cursor_param, .. } => format!("`{cursor_param}`"),
            Pagination::NextUrl { next_url_path, .. } => {
                format!("the next URL at `{}`", next_url_path.join("."))
            }
            Pagination::LinkHeader { .. } => "the `Link` header's next URL".into(),
            Pagination::PageNumber { page_param, .. } => format!("`{page_param}`"),
            Pagination::Offset { offset_param, .. } => format!("`{offset_param}`"),
        };
        // Page 2 as the connector's own paging finds it.
        let next = match self.next_url(&e, params, page, record_path) {
            Ok(next) => next,
            Err(why) => return CheckPart::failed(name, format!("unexpected shape: {why}")),
        };
        let Some(next) = next else {
            // The paginator stops here: the page must not say there is more.
            if let Some(part) = self
                .unseen_more(i, page, records, params, record_path)
                .await
            {
                return part;
            }
            return CheckPart::passed(
                name,
                format!(
                    "{} style: the first page is the only one ({} records)",
                    e.pagination.style(),
                    records.len()
                ),
            );
        };
        if next == page.url {
            return CheckPart::failed(
                name,
                format!(
                    "the paginator does not advance: {what} points back at the first page ({})",
                    shown(&next)
                ),
            );
        }
        let second = match self.get(&e, next.clone()).await {
            Ok(p) => p,
            Err(f) => {
                return CheckPart::failed(name, format!("page 2 could not be read: {}", f.message))
            }
        };
        let second_records = self
            .records_at(&second.body, record_path)
            .unwrap_or_default();
        if second.bytes == page.bytes
            || (!second_records.is_empty() && second_records.as_slice() == records)
        {
            return CheckPart::failed(
                name,
                format!("the paginator does not advance: {what} param ignored? page 2 (GET {}) returned the same records as page 1; check the pagination style in the docs", shown(&second.url)),
            );
        }
        CheckPart::passed(
            name,
            format!(
                "{} style: page 2 differs ({} records)",
                e.pagination.style(),
                second_records.len()
            ),
        )
    }
}

impl Probe<'_> {
    /// Where the model's paging would stop after the first page: whether that page says
    /// there is more (a next token or link anywhere in the body, a `Link: rel=next` header,
    /// a "more" flag, a total above what was read). `None` when it does not. When it does
    /// and the body holds exactly one next-page token or URL, and following it returns
    /// different records, the model is corrected to follow it; otherwise the check fails
    /// naming what the page showed.
    async fn unseen_more(
        &mut self,
        i: usize,
        page: &Page,
        records: &[Value],
        params: &[(String, String)],
        record_path: &[String],
    ) -> Option<CheckPart> {
        let name = "paginator";
        if records.is_empty() {
            return None;
        }
        let e = self.model.endpoints[i].clone();
        let signs = more_signs(&page.body, &page.headers, records.len(), record_path);
        if signs.is_empty() {
            return None;
        }
        let shown_signs = signs
            .iter()
            .map(|s| s.text.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let candidates: Vec<&MoreSign> = signs.iter().filter(|s| s.next.is_some()).collect();
        let limit = match &e.pagination {
            Pagination::Cursor { limit, .. }
            | Pagination::NextUrl { limit, .. }
            | Pagination::LinkHeader { limit }
            | Pagination::PageNumber { limit, .. } => limit.clone(),
            Pagination::Offset { limit, .. } => Some(limit.clone()),
            Pagination::None => None,
        };
        // Candidate paginators; each gives page 2's URL by the connector's own paging.
        let mut paginators: Vec<(Pagination, String)> = Vec::new();
        if let [only] = candidates.as_slice() {
            let (path, value) = only.next.clone().expect("filtered");
            if value.starts_with("http://")
                || value.starts_with("https://")
                || value.starts_with('/')
            {
                paginators.push((
                    Pagination::NextUrl {
                        next_url_path: path.clone(),
                        limit: limit.clone(),
                    },
                    format!("follows the next-page URL at `{}`", path.join(".")),
                ));
            } else {
                let leaf = path.last().cloned().unwrap_or_default();
                for param in cursor_params_for(&leaf) {
                    paginators.push((
                        Pagination::Cursor {
                            cursor_param: param.clone(),
                            cursor_from_record: None,
                            cursor_path: Some(path.clone()),
                            has_more_path: None,
                            limit: limit.clone(),
                        },
                        format!("pages with `{param}` from `{}`", path.join(".")),
                    ));
                }
            }
        } else if candidates.is_empty()
            && header(&page.headers, "link").and_then(link_next).is_some()
        {
            paginators.push((
                Pagination::LinkHeader {
                    limit: limit.clone(),
                },
                "follows `rel=\"next\"` in the `Link` header".into(),
            ));
        }
        let mut tries: Vec<(Pagination, String, String)> = Vec::new();
        for (pagination, how) in paginators {
            let mut tried = e.clone();
            tried.pagination = pagination.clone();
            if let Ok(Some(url)) = self.next_url(&tried, params, page, record_path) {
                tries.push((pagination, url, how));
            }
        }
        for (pagination, url, how) in tries {
            let Ok(second) = self.get(&e, url.clone()).await else {
                continue;
            };
            let second_records = self
                .records_at(&second.body, record_path)
                .unwrap_or_default();
            if second_records.is_empty() || second_records.as_slice() == records {
                continue;
            }
            let before = describe_pagination(&e.pagination);
            let after = describe_pagination(&pagination);
            self.correct(
                i,
                CorrectedField::Pagination,
                before,
                after,
                format!(
                    "the first page says there is more ({shown_signs}) but the documented paging would stop after it; page 2 (GET {}) holds {} different records",
                    shown(&url),
                    second_records.len()
                ),
            );
            self.model.endpoints[i].pagination = pagination;
            return Some(CheckPart::passed(
                name,
                format!(
                    "corrected: {how} (the first page says there is more: {shown_signs}; page 2 differs)"
                ),
            ));
        }
        Some(CheckPart::failed(
            name,
            format!(
                "the first page says there is more ({shown_signs}) but the connector would stop after it ({} style), so only {} records would be read; set the pagination in an exported model (`connector-agent endpoints {} --export`) and import it",
                e.pagination.style(),
                records.len(),
                self.id
            ),
        ))
    }
}

/// One sign on a first page that more pages follow.
#[derive(Debug, Clone, PartialEq)]
struct MoreSign {
    /// For messages: "`meta.next_cursor` = \"abc\"".
    text: String,
    /// A next-page token or URL: its path and value.
    next: Option<(Vec<String>, String)>,
}

/// Leaf names (squashed) of fields that hold the next page's token or URL.
const NEXT_NAMES: &[&str] = &[
    "nextcursor",
    "nextpagetoken",
    "nexttoken",
    "nextmarker",
    "nextpagecursor",
    "nextbookmark",
    "nextkey",
    "nextpage",
    "nexturl",
    "nextlink",
    "nextpageurl",
    "nextpageuri",
    "nexthref",
    "odatanextlink",
    "continuationtoken",
    "endcursor",
    "bookmark",
    "startingafter",
    "scrollid",
    "next",
];
/// Names that hold a position only under a paging container (`paging.cursors.after`).
const WEAK_NEXT_NAMES: &[&str] = &["after", "cursor", "href"];
const MORE_NAMES: &[&str] = &[
    "hasmore",
    "hasnext",
    "hasnextpage",
    "more",
    "hasmoreitems",
    "moreresults",
];
const LAST_NAMES: &[&str] = &["islast", "islastpage", "last", "lastpage"];
const TOTAL_NAMES: &[&str] = &[
    "total",
    "totalcount",
    "totalresults",
    "totalitems",
    "totalrecords",
    "totalelements",
    "totalsize",
    "count",
];

fn squashed(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Every sign on a first page of `read` records that more pages follow: next-page tokens or
/// links at any depth of the body (the records themselves left out), "more" and "last"
/// flags, totals above `read`, a `Link` header with `rel="next"`.
fn more_signs(
    body: &Value,
    headers: &[(String, String)],
    read: usize,
    record_path: &[String],
) -> Vec<MoreSign> {
    fn walk(
        v: &Value,
        path: &mut Vec<String>,
        in_container: bool,
        read: usize,
        record_path: &[String],
        out: &mut Vec<MoreSign>,
    ) {
        let Value::Object(map) = v else { return };
        if path.len() > 6 {
            return;
        }
        for (k, child) in map {
            path.push(k.clone());
            let name = squashed(k);
            let shown_path = path.join(".");
            if path.as_slice() == record_path {
                path.pop();
                continue;
            }
            match child {
                Value::String(s) if !s.is_empty() => {
                    let strong = NEXT_NAMES.contains(&name.as_str());
                    let weak = in_container && WEAK_NEXT_NAMES.contains(&name.as_str());
                    if strong || weak {
                        let cut: String = s.chars().take(40).collect();
                        out.push(MoreSign {
                            text: format!("`{shown_path}` = \"{cut}\""),
                            next: Some((path.clone(), s.clone())),
                        });
                    }
                }
                Value::Bool(true) if MORE_NAMES.contains(&name.as_str()) => out.push(MoreSign {
                    text: format!("`{shown_path}` is true"),
                    next: None,
                }),
                Value::Bool(false) if LAST_NAMES.contains(&name.as_str()) => out.push(MoreSign {
                    text: format!("`{shown_path}` is false"),
                    next: None,
                }),
                Value::Number(n)
                    if TOTAL_NAMES.contains(&name.as_str())
                        && n.as_u64().is_some_and(|t| t > read as u64) =>
                {
                    out.push(MoreSign {
                        text: format!("`{shown_path}` = {n}, above the {read} read"),
                        next: None,
                    });
                }
                Value::Object(_) => {
                    let container = in_container
                        || connector_agent_extract::PAGING_CONTAINERS.contains(&name.as_str());
                    walk(child, path, container, read, record_path, out);
                }
                _ => {}
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(body, &mut Vec::new(), false, read, record_path, &mut out);
    if headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("link") && link_next(v).is_some())
    {
        out.push(MoreSign {
            text: "a `Link` header with `rel=\"next\"`".into(),
            next: None,
        });
    }
    out
}

/// Query parameters that may take a token found in a field named `leaf`: the name without
/// its `next` (`next_cursor` → `cursor`, `nextPageToken` → `pageToken`), the name itself,
/// then the usual cursor parameters.
fn cursor_params_for(leaf: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let stripped = leaf
        .strip_prefix("next_")
        .or_else(|| leaf.strip_prefix("next-"))
        .map(str::to_string)
        .or_else(|| {
            leaf.strip_prefix("next")
                .filter(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
                .map(|r| {
                    let mut c = r.chars();
                    c.next()
                        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
        });
    for p in stripped
        .into_iter()
        .chain([leaf.to_string()])
        .chain(["cursor", "page_token", "after"].map(String::from))
    {
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// A paginator in a few words, for a correction.
fn describe_pagination(p: &Pagination) -> String {
    match p {
        Pagination::None => "none".into(),
        Pagination::Cursor {
            cursor_param,
            cursor_path: Some(path),
            ..
        } => format!("cursor `{cursor_param}` from `{}`", path.join(".")),
        Pagination::Cursor { cursor_param, .. } => format!("cursor `{cursor_param}`"),
        Pagination::NextUrl { next_url_path, .. } => {
            format!("next URL at `{}`", next_url_path.join("."))
        }
        other => other.style().to_string(),
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;
    use serde_json::json;

    /// The probe's two tries send what the connector sends, and that a second earlier in the
    /// same unit and layout.
    #[test]
    fn both_tries_are_written_as_the_connector_writes_its_filter() {
        let cases = [
            (
                json!("1700000000000"),
                CursorFormat::UnixSeconds,
                "1700000000",
                "1699999999",
            ),
            (
                json!("1700000000000"),
                CursorFormat::Same,
                "1700000000000",
                "1699999999000",
            ),
            (
                json!(1_700_000_000_000_000_i64),
                CursorFormat::Rfc3339,
                "2023-11-14T22:13:20Z",
                "2023-11-14T22:13:19Z",
            ),
            (
                json!("2023-11-14T22:13:20Z"),
                CursorFormat::HttpDate,
                "Tue, 14 Nov 2023 22:13:20 GMT",
                "Tue, 14 Nov 2023 22:13:19 GMT",
            ),
        ];
        for (value, format, now, earlier) in cases {
            let (sent, at) = filter_text(&value, format, 0.0).unwrap();
            assert_eq!(sent, now, "{value} {format:?}");
            assert_eq!(
                sent,
                connector_agent_sdk::cursor::filter_text(&value, decl::format(format))
            );
            let (before, before_at) = filter_text(&value, format, 1.0).unwrap();
            assert_eq!(before, earlier, "{value} {format:?}");
            assert_eq!(before_at, at - 1.0);
        }
        // A layout that is not rewritten gives no second try.
        assert!(filter_text(&json!("2023-11-14 22:13:20"), CursorFormat::Same, 1.0).is_none());
    }
}

#[cfg(test)]
mod shown_tests {
    #[test]
    fn urls_in_messages_hide_credentials_but_keep_paging() {
        assert_eq!(
            super::shown("https://u:pw@api.example/v1/x?page=2&access_token=abc&api_key=k"),
            "https://u@api.example/v1/x?page=2&access_token=****&api_key=****"
        );
        assert_eq!(super::shown("not a url?token=x"), "not a url");
    }
}
