//! Save & Test's probe: the host reads each selected endpoint's first page itself (and the
//! second, where the first says there is more), checks it against the model, corrects the
//! model where the documentation was wrong or silent and the data leaves no doubt, and names
//! the cause of every failure with what to do about it.
//!
//! The requests go through the connection's [`HttpContext`] (allow-list, credentials,
//! retries), exactly as the connector's would; what the data proves is decided by the pure
//! rules of [`connector_agent_extract::observed`].

mod decl;
mod fetch;
mod filter;
mod learn;
mod paging;

use fetch::{origin, shown, Redirected};
use paging::limit_of;

use connector_agent_extract::observed;
use connector_agent_model::{
    ApiModel, CorrectedField, Correction, CursorFormat, Endpoint, Pagination, RecordLayout,
};
use connector_agent_runtime::bindings::types::{HttpError, HttpRequest};
use connector_agent_runtime::{CheckResult, HttpContext};
use connector_agent_sdk::paginate::{next_position, page_url, Target};
use connector_agent_sdk::records::{json_api_record, laid_out, looks_like_json_api, Body};
use connector_agent_sdk::state::Position;
use connector_agent_sdk::time::{instant, LAST_SECOND};
use connector_agent_sdk::url::unfilled;
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
    /// A `304 Not Modified`: nothing changed since the time a changes-since header sent.
    NotModified,
    Unauthorized,
    Forbidden,
    NotFound,
    Status,
    /// A 400 or 422: the request as sent was refused.
    Rejected,
    /// A 406: the API does not answer in the media type asked for.
    NotAcceptable,
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
        let record_path = decl::strs(&e.record_path);
        let target = Target {
            base: &self.base,
            path: &e.path,
            paging: paths.decl(&e.pagination),
            primary_key: &primary_key,
            record_path: &record_path,
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
        let record_path = decl::strs(record_path);
        let bytes = laid_out(&page.bytes, &record_path, decl::layout(e.layout))?;
        let body = Body::parse(&bytes)?;
        let records = body.records(&record_path)?;
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
            Err(f) if full && f.cause == Cause::NotAcceptable => {
                match self.json_api_media(i, &params).await {
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
        let record_path = match self.records_at(&page.body, &e.record_path, e.layout) {
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
        // Records that are JSON:API resource objects are read as the connector will write
        // them: their attributes and relationship ids as columns.
        if full
            && e.layout == RecordLayout::Plain
            && observed::value_at(&page.body, &record_path)
                .and_then(Value::as_array)
                .is_some_and(|items| looks_like_json_api(items))
        {
            self.correct(
                i,
                CorrectedField::Layout,
                "plain".into(),
                "JSON:API resources".into(),
                format!(
                    "every record on the first page of GET {} is a JSON:API resource object (`type`, `id` and `attributes`): its attributes and relationship ids become the columns",
                    shown(&page.url)
                ),
            );
            let fixed = &mut self.model.endpoints[i];
            fixed.layout = RecordLayout::JsonApi;
            fixed
                .columns
                .retain(|c| c.name != "attributes" && c.name != "relationships");
        }
        let layout = self.model.endpoints[i].layout;
        let records = self
            .records_at(&page.body, &record_path, layout)
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

    /// After a 406 to the first page of endpoint `i`: the first page asked for as JSON:API
    /// (`Accept: application/vnd.api+json`, the media type such APIs answer only in), when the
    /// docs fixed no `Accept` of their own. On success the endpoint sends that header from
    /// now on (a correction, with what was seen).
    async fn json_api_media(&mut self, i: usize, params: &[(String, String)]) -> Option<Page> {
        const JSON_API: &str = "application/vnd.api+json";
        let e = self.model.endpoints[i].clone();
        if e.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("accept"))
        {
            return None;
        }
        let mut tried = e.clone();
        tried.headers.push(connector_agent_model::QueryParam {
            name: "Accept".into(),
            value: JSON_API.into(),
        });
        let url = self.first_url(&tried, params, None).ok()?;
        let page = self.get(&tried, url).await.ok()?;
        self.correct(
            i,
            CorrectedField::Headers,
            "Accept: application/json".into(),
            format!("Accept: {JSON_API}"),
            format!(
                "GET {} answered 406 Not Acceptable to `Accept: application/json` and a JSON page to `Accept: {JSON_API}` (JSON:API)",
                shown(&page.url)
            ),
        );
        self.model.endpoints[i].headers = tried.headers;
        Some(page)
    }

    /// The records array at `path`, laid out as the connector writes them (`layout`), or why
    /// there is none.
    fn records_at(
        &self,
        body: &Value,
        path: &[String],
        layout: RecordLayout,
    ) -> Result<Vec<Value>, String> {
        match observed::value_at(body, path) {
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(match layout {
                RecordLayout::Plain => items.clone(),
                RecordLayout::JsonApi => items.iter().cloned().map(json_api_record).collect(),
            }),
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
}
