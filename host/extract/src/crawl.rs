//! The docs-homepage crawler: the only network I/O in this crate.
//!
//! Given the URL of an API's documentation, it reads the site breadth-first and returns the
//! pages' readable text plus any machine-readable description the pages point at: plain
//! links to `.json`/`.yaml`/`.yml` files, Swagger UI's `url`/`urls`, Redoc's `spec-url` and
//! `Redoc.init`, Stoplight Elements' `apiDescriptionUrl`, RapiDoc, `rel=service-desc` and
//! Postman collections. [`extract_docs_url`] then extracts the best description found.
//!
//! What it must not do: leave the site, ignore `robots.txt`, or hang. Only URLs with the
//! start's scheme, host and port are fetched; off-site descriptions are reported in
//! [`CrawlResult::skipped`]. Every request has a timeout, bodies are counted while they
//! stream, and pages, depth, bytes, redirects, query-string variants and description
//! fetches are all bounded. Reading a page is pure and lives in `crawl/page.rs`; robots
//! rules in `crawl/robots.rs`; this file only fetches and keeps the books.

mod docusaurus;
mod page;
mod robots;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use connector_agent_model::ApiModel;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::{DocKind, Error, ProseKind, ProsePage, Result};
use page::{Candidate, LinkKind};
use robots::Robots;

/// Our product token in `robots.txt` (`User-agent: connector-agent`).
pub const ROBOTS_AGENT: &str = "connector-agent";
const USER_AGENT: &str = concat!(
    "connector-agent/",
    env!("CARGO_PKG_VERSION"),
    " (API docs crawler; honours robots.txt)"
);
const ACCEPT_VALUE: &str = "text/html,application/xhtml+xml;q=0.9,application/json;q=0.8,\
                            application/yaml;q=0.8,*/*;q=0.5";
/// Redirect hops followed for one request.
const MAX_REDIRECTS: usize = 5;
/// Candidate API descriptions (and Swagger UI initializer scripts) fetched at most.
const MAX_DOCUMENT_FETCHES: usize = 25;
/// Distinct query strings fetched per path (`?page=1`, `?page=2`, ...).
const MAX_QUERY_VARIANTS: usize = 10;
/// Entries in [`CrawlResult::skipped`] at most; the rest are counted in one last entry.
const MAX_NOTES: usize = 500;
/// `robots.txt` bytes read (RFC 9309 asks for at least 500 KiB).
const ROBOTS_BYTES: usize = 512 * 1024;

/// Bounds on one crawl. Every bound, when hit, leaves a note in [`CrawlResult::skipped`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlLimits {
    /// HTML pages requested at most, the start page included (default 600: a large API
    /// reference has a page per operation).
    pub max_pages: usize,
    /// Links followed from the start page at most (default 4; the start page is depth 0).
    pub max_depth: usize,
    /// Bytes downloaded in total, counted while they stream (default 200 MB).
    pub max_bytes: u64,
    /// Bytes of one response at most, page or API description (default 16 MB: a one-page
    /// Redoc reference embeds the whole description and is often 1–8 MB).
    pub per_page_bytes: u64,
    /// Pause between two requests, out of politeness (default 50 ms).
    pub delay: Duration,
    /// Time one request may take, connecting to last byte (default 15 s).
    pub timeout: Duration,
    /// Time the whole crawl may take (default 5 min). When it is reached, the request in
    /// flight is given up and the crawl stops with the pages read so far
    /// ([`CrawlResult::stopped`] says so).
    pub deadline: Duration,
}

impl Default for CrawlLimits {
    fn default() -> Self {
        Self {
            max_pages: 600,
            max_depth: 4,
            max_bytes: 200_000_000,
            per_page_bytes: 16_000_000,
            delay: Duration::from_millis(50),
            timeout: Duration::from_secs(15),
            deadline: Duration::from_secs(300),
        }
    }
}

/// One HTML page read by the crawler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawledPage {
    /// Its URL (after redirects), without fragment.
    pub url: String,
    /// `<title>`, else the first `<h1>`.
    pub title: Option<String>,
    /// Readable text, Markdown-flavoured: headings as `#` lines, inline code in backticks,
    /// `<pre>` blocks as fenced code blocks, tables as `|` rows; scripts and styles dropped.
    pub text: String,
    /// The HTML as received (decoded as UTF-8, invalid bytes replaced).
    pub html: String,
}

/// The kind of a machine-readable API description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecKind {
    /// OpenAPI 3.x or Swagger 2.0 (top-level `openapi` or `swagger`).
    OpenApi,
    /// A Postman collection (`info._postman_id`, or `info.schema` naming getpostman).
    Postman,
}

/// A machine-readable API description found by the crawler.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundSpec {
    /// Where it was fetched from (after redirects).
    pub url: String,
    /// What it is.
    pub kind: SpecKind,
    /// The parsed document.
    pub document: Value,
    /// The page that pointed at it.
    pub found_on: String,
    /// How the page pointed at it: `link to .json`, `Swagger UI url`, `Redoc spec-url`,
    /// `Redoc.init`, `Stoplight`, `RapiDoc spec-url`, `link rel=service-desc`,
    /// `Postman link`, `JSON/YAML response`, `start URL`, or for a description embedded in
    /// the page itself `Redoc state`, `JSON script block`, `Stoplight apiDescriptionDocument`
    /// or `Swagger UI spec`.
    pub how: String,
}

/// What a crawl found.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlResult {
    /// The start URL as crawled (normalised; after a redirect of the start page to another
    /// origin, that origin's URL).
    pub start: String,
    /// HTML pages read, in breadth-first order.
    pub pages: Vec<CrawledPage>,
    /// API descriptions found, in the order found.
    pub specs: Vec<FoundSpec>,
    /// URLs not read, each with the reason (robots.txt, limits, timeouts, off-site, ...).
    pub skipped: Vec<(String, String)>,
    /// Why the crawl stopped before reading everything it had queued (the deadline or the
    /// byte budget was reached), if it did.
    pub stopped: Option<String>,
}

/// Crawls the documentation site at `start` within `limits`. `progress` is called before
/// every request with its URL and the number of pages read so far.
///
/// The whole crawl ends by [`CrawlLimits::deadline`]: a request still running then is given
/// up, the rest of the queue is not fetched, and the result has the pages read so far with
/// [`CrawlResult::stopped`] set.
///
/// Fails only when the start page itself cannot be read; everything else that goes wrong
/// is a note in [`CrawlResult::skipped`].
pub async fn crawl(
    start: &str,
    limits: &CrawlLimits,
    progress: &(dyn Fn(&str, usize) + Send + Sync),
) -> Result<CrawlResult> {
    let crawl_error = |reason: String| Error::Crawl {
        url: start.to_string(),
        reason,
    };
    let start_url = Url::parse(start.trim())
        .ok()
        .and_then(|url| page::resolve(&url, url.as_str()))
        .ok_or_else(|| crawl_error("not an absolute http:// or https:// URL".into()))?;
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(limits.timeout)
        .timeout(limits.timeout)
        .build()
        .map_err(|e| crawl_error(describe(&e)))?;
    let mut crawler = Crawler {
        client,
        limits,
        progress,
        deadline: tokio::time::Instant::now() + limits.deadline,
        start: start_url.clone(),
        robots: Robots::allow_all(),
        robots_problem: None,
        queue: Tiers::default(),
        seen: HashSet::new(),
        query_variants: HashMap::new(),
        requests: 0,
        page_requests: 0,
        document_fetches: 0,
        bytes: 0,
        stopped: None,
        over_page_limit: (0, None),
        not_followed: 0,
        offsite_links: 0,
        result: CrawlResult {
            start: start_url.to_string(),
            pages: Vec::new(),
            specs: Vec::new(),
            skipped: Vec::new(),
            stopped: None,
        },
        notes_left_off: 0,
        docusaurus: docusaurus::Assembled::default(),
        runtime_read: None,
        docusaurus_budget: docusaurus::MAX_INFLATED_BYTES,
        docusaurus_partial: None,
    };
    crawler.run().await.map_err(crawl_error)?;
    Ok(crawler.finish())
}

/// Crawls `start` and extracts a model from what it found: the best API description if
/// there is one (OpenAPI, the one with the most paths, before Postman; the next is tried
/// when one fails), else the prose of the pages read, through [`crate::extract_prose`].
/// When neither gives an endpoint, fails with [`Error::NoMachineReadableSpec`], which
/// carries the pages read.
pub async fn extract_docs_url(
    start: &str,
    limits: &CrawlLimits,
    progress: &(dyn Fn(&str, usize) + Send + Sync),
) -> Result<ApiModel> {
    extract_crawled(crawl(start, limits, progress).await?)
}

/// Extracts a model from what a [`crawl`] found, as [`extract_docs_url`] does.
pub fn extract_crawled(result: CrawlResult) -> Result<ApiModel> {
    crawled_report(result).map(|x| x.model)
}

/// Like [`extract_crawled`], with the operations not proposed and why.
pub(crate) fn crawled_report(result: CrawlResult) -> Result<crate::Extraction> {
    let mut first_error = None;
    for spec in best_first(&result.specs) {
        let extracted = match spec.kind {
            SpecKind::OpenApi => crate::extract_openapi_report(&spec.document, &spec.url),
            SpecKind::Postman => crate::extract_postman_report(&spec.document, None, &spec.url),
        };
        match extracted {
            Ok(mut extraction) => {
                let model = &mut extraction.model;
                for source in [&spec.found_on, &result.start] {
                    if !model.sources.contains(source) {
                        model.sources.push(source.clone());
                    }
                }
                return Ok(extraction);
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    let name = result
        .pages
        .first()
        .and_then(|page| page.title.clone())
        .or_else(|| {
            Url::parse(&result.start)
                .ok()?
                .host_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| result.start.clone());
    let mut extraction = crate::prose::prose_report(&prose_pages(&result.pages), &name)?;
    if extraction.model.endpoints.is_empty() {
        return Err(Error::NoMachineReadableSpec {
            url: result.start,
            pages: result.pages,
            skipped: result.skipped,
        });
    }
    if !extraction.model.sources.contains(&result.start) {
        extraction.model.sources.insert(0, result.start);
    }
    Ok(extraction)
}

/// Crawled pages as input for [`crate::extract_prose`]: their Markdown-flavoured text.
pub fn prose_pages(pages: &[CrawledPage]) -> Vec<ProsePage> {
    pages
        .iter()
        .map(|page| ProsePage {
            source: page.url.clone(),
            text: page.text.clone(),
            kind: ProseKind::Markdown,
        })
        .collect()
}

/// Specs in the order to try them: OpenAPI first, then more paths first, then as found.
fn best_first(specs: &[FoundSpec]) -> Vec<&FoundSpec> {
    let mut ordered: Vec<&FoundSpec> = specs.iter().collect();
    let paths = |spec: &FoundSpec| {
        spec.document
            .get("paths")
            .and_then(Value::as_object)
            .map_or(0, serde_json::Map::len)
    };
    ordered.sort_by_key(|spec| {
        (
            spec.kind != SpecKind::OpenApi,
            std::cmp::Reverse(paths(spec)),
        )
    });
    ordered
}

/// What a request is for; decides which content types are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// An HTML page (or a JSON/YAML document a link led to).
    Page,
    /// An API description or a script: any content type.
    Document,
    /// `robots.txt`: any content type, truncated rather than refused, redirects followed
    /// off-site.
    Robots,
}

/// A response read in full.
struct Fetched {
    url: Url,
    content_type: String,
    body: Vec<u8>,
}

/// Why a request gave no usable response.
enum Failure {
    /// Not read; the crawl goes on.
    Skip(String),
    /// A non-success status.
    Status(StatusCode),
    /// A redirect to another origin.
    OffSite(Url),
    /// The byte budget is spent or the deadline passed; the crawl stops.
    Budget(String),
}

impl Failure {
    fn reason(&self) -> String {
        match self {
            Failure::Skip(reason) | Failure::Budget(reason) => reason.clone(),
            Failure::Status(status) => format!("HTTP {status}"),
            Failure::OffSite(to) => format!("redirects off-site to `{to}`"),
        }
    }
}

struct Crawler<'a> {
    client: reqwest::Client,
    limits: &'a CrawlLimits,
    progress: &'a (dyn Fn(&str, usize) + Send + Sync),
    /// When the whole crawl must end.
    deadline: tokio::time::Instant,
    /// The start URL; its origin is the site.
    start: Url,
    robots: Robots,
    /// Why `robots.txt` could not be read, if it could not.
    robots_problem: Option<String>,
    /// Pages to fetch, with their depth, by tier: API reference pages first, then the
    /// rest, then pages that never document an endpoint (blog, changelog, legal).
    queue: Tiers,
    /// Every URL queued, fetched or noted, so each is considered once.
    seen: HashSet<String>,
    /// Query-string variants queued per path.
    query_variants: HashMap<String, usize>,
    requests: usize,
    page_requests: usize,
    document_fetches: usize,
    bytes: u64,
    /// Why the crawl stopped early, if it did.
    stopped: Option<String>,
    /// Links not queued because the page limit would never reach them: count, first one.
    over_page_limit: (usize, Option<Url>),
    /// Links to non-HTML files (images, archives, ...) not followed.
    not_followed: usize,
    /// Links to other sites not followed.
    offsite_links: usize,
    result: CrawlResult,
    notes_left_off: usize,
    /// Operations decoded from a Docusaurus site's chunks (`crawl/docusaurus.rs`).
    docusaurus: docusaurus::Assembled,
    /// The Docusaurus runtime read (one per site) and the page that loads it.
    runtime_read: Option<(Url, Url)>,
    /// Inflated bytes left for decoding the Docusaurus operations.
    docusaurus_budget: u64,
    /// Why the Docusaurus operations are incomplete, if they are.
    docusaurus_partial: Option<String>,
}

impl Crawler<'_> {
    async fn run(&mut self) -> Result<(), String> {
        let start = self.fetch_start().await?;
        self.take(start, 0, "start URL").await;
        while let Some((url, depth)) = self.queue.pop_front() {
            if let Some(reason) = &self.stopped {
                let reason = format!(
                    "{} queued pages not fetched: {reason}",
                    self.queue.len() + 1
                );
                self.note(&url, reason);
                break;
            }
            self.page_requests += 1;
            match self.fetch(url.clone(), Want::Page).await {
                Ok(fetched) => self.take(fetched, depth, "JSON/YAML response").await,
                Err(failure) => self.fail(&url, failure),
            }
        }
        Ok(())
    }

    /// Reads `robots.txt` and the start page. A start page that redirects to another
    /// origin (`http` → `https`, `example.com` → `docs.example.com`) moves the crawl there,
    /// once.
    async fn fetch_start(&mut self) -> Result<Fetched, String> {
        for _ in 0..2 {
            self.robots = self.fetch_robots().await;
            let url = self.start.clone();
            if !self.robots.allows(&path_and_query(&url)) {
                return Err(match &self.robots_problem {
                    Some(problem) => format!("disallowed by robots.txt: {problem}"),
                    None => "disallowed by robots.txt".into(),
                });
            }
            self.seen.insert(url.to_string());
            self.page_requests += 1;
            let want = match page::link_kind(&url) {
                LinkKind::Spec(_) => Want::Document,
                LinkKind::Page | LinkKind::Other(_) => Want::Page,
            };
            match self.fetch(url, want).await {
                Ok(fetched) => return Ok(fetched),
                Err(Failure::OffSite(to)) if self.page_requests == 1 => {
                    self.result.start = to.to_string();
                    self.start = to;
                }
                Err(failure) => return Err(failure.reason()),
            }
        }
        Err("redirected to another origin twice".into())
    }

    /// The site's `robots.txt` rules (RFC 9309): a 4xx means no rules; a 5xx, a timeout
    /// or a network error means the site could not say, so nothing is fetched.
    async fn fetch_robots(&mut self) -> Robots {
        let Ok(url) = self.start.join("/robots.txt") else {
            return Robots::allow_all();
        };
        match self.fetch(url.clone(), Want::Robots).await {
            Ok(fetched) => Robots::parse(&String::from_utf8_lossy(&fetched.body), ROBOTS_AGENT),
            Err(Failure::Status(status)) if status.is_client_error() => Robots::allow_all(),
            Err(failure) => {
                let reason = format!(
                    "robots.txt could not be read ({}), so the site is treated as disallowed",
                    failure.reason()
                );
                self.note(&url, reason.clone());
                self.robots_problem = Some(reason);
                Robots::disallow_all()
            }
        }
    }

    /// Takes a fetched page: HTML is read for text, links and API descriptions; a JSON or
    /// YAML body is taken as a candidate description.
    async fn take(&mut self, fetched: Fetched, depth: usize, how: &'static str) {
        let named_as_document = matches!(page::link_kind(&fetched.url), LinkKind::Spec(_));
        if named_as_document || !is_html(&fetched.content_type) {
            self.take_document(fetched, None, how);
            return;
        }
        let url = fetched.url;
        let html = String::from_utf8_lossy(&fetched.body).into_owned();
        let base = url.clone();
        let read = tokio::task::spawn_blocking(move || {
            let analysis = page::analyse(&html, &base);
            let text = crate::html::to_markdown(&html);
            (analysis, text, html)
        })
        .await;
        let Ok((analysis, text, html)) = read else {
            self.note(
                &url,
                "the HTML could not be read (the parser failed)".into(),
            );
            return;
        };
        self.result.pages.push(CrawledPage {
            url: url.to_string(),
            title: analysis.title,
            text,
            html,
        });
        for embedded in analysis.embedded {
            // The vendor's own description, inside the page (Redoc's state, a JSON script
            // block, ...): taken as a description named by the page.
            self.take_value(embedded.document, &url, Some(&url), embedded.how);
        }
        for link in analysis.links {
            self.consider_link(link, depth + 1);
        }
        for candidate in analysis.candidates {
            self.take_candidate(candidate, &url).await;
        }
        for script in analysis.scripts {
            if self.stopped.is_some()
                || !self.may_fetch_document(&script, "Swagger UI script", &url)
            {
                continue;
            }
            match self.fetch(script.clone(), Want::Document).await {
                Ok(fetched) => {
                    let code = String::from_utf8_lossy(&fetched.body);
                    for candidate in page::scan_script(&code, &url) {
                        self.take_candidate(candidate, &url).await;
                    }
                }
                Err(failure) => self.fail(&script, failure),
            }
        }
        for runtime in analysis.runtimes {
            self.read_docusaurus(runtime, &url).await;
        }
    }

    /// Reads a Docusaurus site's operations: its webpack runtime lists the chunks, and the
    /// chunks hold each operation page's metadata with the vendor's operation in it. Chunks
    /// are same-site scripts, fetched within the byte budget and the deadline; one runtime per
    /// site.
    async fn read_docusaurus(&mut self, runtime: Url, found_on: &Url) {
        if self.runtime_read.is_some()
            || self.stopped.is_some()
            || !self.may_fetch_document(&runtime, "Docusaurus runtime", found_on)
        {
            return;
        }
        self.runtime_read = Some((runtime.clone(), found_on.clone()));
        let code = match self.fetch(runtime.clone(), Want::Document).await {
            Ok(fetched) => String::from_utf8_lossy(&fetched.body).into_owned(),
            Err(failure) => return self.fail(&runtime, failure),
        };
        let chunks = docusaurus::chunk_urls(&code, &runtime);
        let total = chunks.len();
        let (mut read, mut failed, mut left_out) = (0usize, 0usize, 0usize);
        for chunk in chunks {
            if self.stopped.is_some() || self.docusaurus_budget == 0 {
                break;
            }
            if !self.same_site(&chunk)
                || !self.robots.allows(&path_and_query(&chunk))
                || !self.seen.insert(chunk.to_string())
            {
                failed += 1;
                continue;
            }
            match self.fetch(chunk.clone(), Want::Document).await {
                Ok(fetched) => {
                    // Decoding inflates: off the async workers, within the site's budget.
                    let budget = self.docusaurus_budget;
                    let decoded = tokio::task::spawn_blocking(move || {
                        let mut budget = budget;
                        let code = String::from_utf8_lossy(&fetched.body);
                        (docusaurus::operations_in(&code, &mut budget), budget)
                    })
                    .await;
                    let Ok(((ops, cut), left)) = decoded else {
                        failed += 1;
                        continue;
                    };
                    read += 1;
                    self.docusaurus_budget = left;
                    left_out += cut;
                    for op in ops {
                        if !self.docusaurus.add(op) {
                            left_out += 1;
                        }
                    }
                }
                // A spent budget or the deadline stops the crawl and is noted; one note
                // below counts the other failures.
                Err(failure @ Failure::Budget(_)) => self.fail(&chunk, failure),
                Err(_) => failed += 1,
            }
        }
        if read < total || left_out > 0 {
            let mut reason = format!(
                "Docusaurus site: {read} of its {total} page chunks were read, so operations \
                 on the others are missing from the description assembled from them"
            );
            if failed > 0 {
                reason.push_str(&format!(
                    " ({failed} were off-site, disallowed, already read or could not be fetched)"
                ));
            }
            if left_out > 0 {
                reason.push_str(&format!(
                    "; {left_out} operations were left out at the decoding limits ({} MB inflated per site, 10,000 operations)",
                    docusaurus::MAX_INFLATED_BYTES / (1024 * 1024)
                ));
            }
            self.note(&runtime, reason);
            self.docusaurus_partial = Some(format!(
                "{read} of {total} chunks read, {left_out} operations left out"
            ));
        }
    }

    /// Queues a link found at `depth`, or says why not.
    fn consider_link(&mut self, url: Url, depth: usize) {
        if !self.same_site(&url) {
            self.offsite_links += 1;
            return;
        }
        if !self.seen.insert(url.to_string()) {
            return;
        }
        match page::link_kind(&url) {
            LinkKind::Other(ext) if ext == "pdf" => {
                let reason = "a PDF: the crawler reads HTML only; download it and extract the file";
                return self.note(&url, reason.into());
            }
            LinkKind::Other(_) => {
                self.not_followed += 1;
                return;
            }
            LinkKind::Page | LinkKind::Spec(_) => {}
        }
        if !self.robots.allows(&path_and_query(&url)) {
            return self.note(&url, "disallowed by robots.txt".into());
        }
        if depth > self.limits.max_depth {
            let reason = format!("deeper than the depth limit of {}", self.limits.max_depth);
            return self.note(&url, reason);
        }
        if url.query().is_some() {
            let count = self
                .query_variants
                .entry(url.path().to_string())
                .or_default();
            *count += 1;
            if *count > MAX_QUERY_VARIANTS {
                let reason = format!(
                    "more than {MAX_QUERY_VARIANTS} query-string variants of `{}`",
                    url.path()
                );
                return self.note(&url, reason);
            }
        }
        // Every request counts against the page limit, so a queue longer than what is left
        // would never be reached; a reference page takes the place of a lower tier's last.
        let tier = tier_of(&url);
        if self.page_requests + self.queue.len() >= self.limits.max_pages {
            self.over_page_limit.0 += 1;
            match self.queue.evict_below(tier) {
                Some(lower) => {
                    self.over_page_limit.1.get_or_insert(lower);
                }
                None => {
                    self.over_page_limit.1.get_or_insert(url);
                    return;
                }
            }
        }
        self.queue.push(tier, (url, depth));
    }

    /// Fetches a candidate API description named on page `found_on`.
    async fn take_candidate(&mut self, candidate: Candidate, found_on: &Url) {
        if self.stopped.is_some()
            || !self.may_fetch_document(&candidate.url, candidate.how, found_on)
        {
            return;
        }
        match self.fetch(candidate.url.clone(), Want::Document).await {
            Ok(fetched) => self.take_document(fetched, Some(found_on), candidate.how),
            Err(failure) => self.fail(&candidate.url, failure),
        }
    }

    /// Whether a description or script may be fetched; notes why not.
    fn may_fetch_document(&mut self, url: &Url, how: &str, found_on: &Url) -> bool {
        if !self.same_site(url) {
            let origin = self.start.origin().ascii_serialization();
            let reason = if how == "Postman link" {
                format!(
                    "Postman link on `{found_on}` leads off-site: only `{origin}` is crawled; \
                     export the collection as a `.postman_collection.json` file and extract that"
                )
            } else {
                format!(
                    "off-site API description ({how}) on `{found_on}`: only `{origin}` is \
                     crawled; download it and extract the file"
                )
            };
            if self.seen.insert(url.to_string()) {
                self.note(url, reason);
            }
            return false;
        }
        if !self.seen.insert(url.to_string()) {
            return false;
        }
        if !self.robots.allows(&path_and_query(url)) {
            self.note(url, "disallowed by robots.txt".into());
            return false;
        }
        if self.document_fetches >= MAX_DOCUMENT_FETCHES {
            let reason = format!("more than {MAX_DOCUMENT_FETCHES} candidate API descriptions");
            self.note(url, reason);
            return false;
        }
        self.document_fetches += 1;
        true
    }

    /// Keeps a fetched document if it is an OpenAPI/Swagger description or a Postman
    /// collection.
    fn take_document(&mut self, fetched: Fetched, found_on: Option<&Url>, how: &str) {
        let document = match crate::parse_document_bytes(&fetched.body, fetched.url.as_str()) {
            Ok(document) => document,
            Err(error) => {
                let reason = format!("not a JSON or YAML document: {}", describe(&error));
                return self.note(&fetched.url, reason);
            }
        };
        self.take_value(document, &fetched.url, found_on, how);
    }

    /// Keeps a parsed document read from `url` if it is an OpenAPI/Swagger description or a
    /// Postman collection.
    fn take_value(&mut self, document: Value, url: &Url, found_on: Option<&Url>, how: &str) {
        let kind = match crate::detect_kind(&document) {
            DocKind::OpenApi => SpecKind::OpenApi,
            DocKind::Postman => SpecKind::Postman,
            DocKind::Unknown => {
                let reason = "neither an OpenAPI/Swagger description (no top-level `openapi` or \
                          `swagger`) nor a Postman collection";
                return self.note(url, reason.into());
            }
        };
        self.result.specs.push(FoundSpec {
            url: url.to_string(),
            kind,
            document,
            found_on: found_on.unwrap_or(url).to_string(),
            how: how.to_string(),
        });
    }

    /// Fetches one URL within the timeout, following same-site redirects, reading the body
    /// only when the content type suits `want`, and counting bytes as they arrive.
    async fn fetch(&mut self, url: Url, want: Want) -> Result<Fetched, Failure> {
        if self.requests > 0 && !self.limits.delay.is_zero() {
            tokio::time::sleep_until(
                self.deadline
                    .min(tokio::time::Instant::now() + self.limits.delay),
            )
            .await;
        }
        let left = self
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(self.deadline_reached());
        }
        self.requests += 1;
        (self.progress)(url.as_str(), self.result.pages.len());
        let timeout = self.limits.timeout;
        match tokio::time::timeout(timeout.min(left), self.fetch_within(url, want)).await {
            Ok(outcome) => outcome,
            Err(_) if left <= timeout => Err(self.deadline_reached()),
            Err(_) => Err(Failure::Skip(format!("timed out after {timeout:?}"))),
        }
    }

    /// The crawl's deadline has passed: the crawl stops.
    fn deadline_reached(&self) -> Failure {
        Failure::Budget(format!(
            "the crawl's deadline of {} s was reached after {} pages",
            self.limits.deadline.as_secs_f64(),
            self.result.pages.len()
        ))
    }

    async fn fetch_within(&mut self, mut url: Url, want: Want) -> Result<Fetched, Failure> {
        let timeout = self.limits.timeout;
        let request_error = |error: reqwest::Error| {
            if error.is_timeout() {
                Failure::Skip(format!("timed out after {timeout:?}"))
            } else {
                Failure::Skip(describe(&error))
            }
        };
        for _ in 0..=MAX_REDIRECTS {
            let mut response = self
                .client
                .get(url.clone())
                .header(ACCEPT, ACCEPT_VALUE)
                .send()
                .await
                .map_err(request_error)?;
            let status = response.status();
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|location| page::resolve(&url, location))
                    .ok_or_else(|| {
                        Failure::Skip(format!("HTTP {status} without a usable Location"))
                    })?;
                if want != Want::Robots {
                    if !self.same_site(&next) {
                        return Err(Failure::OffSite(next));
                    }
                    if !self.robots.allows(&path_and_query(&next)) {
                        let reason = format!("redirects to `{next}`, disallowed by robots.txt");
                        return Err(Failure::Skip(reason));
                    }
                    self.seen.insert(next.to_string());
                }
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(Failure::Status(status));
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if want == Want::Page && !is_html(&content_type) && !is_document_type(&content_type) {
                return Err(Failure::Skip(format!("not HTML (`{content_type}`)")));
            }
            let per_page = self.limits.per_page_bytes;
            if want != Want::Robots {
                if let Some(length) = response.content_length().filter(|l| *l > per_page) {
                    let reason =
                        format!("{length} bytes, over the per-page limit of {per_page} bytes");
                    return Err(Failure::Skip(reason));
                }
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(request_error)? {
                self.bytes += chunk.len() as u64;
                if self.bytes > self.limits.max_bytes {
                    let reason = format!(
                        "the total byte limit of {} bytes was reached",
                        self.limits.max_bytes
                    );
                    return Err(Failure::Budget(reason));
                }
                if want == Want::Robots && body.len() + chunk.len() > ROBOTS_BYTES {
                    body.extend_from_slice(&chunk[..ROBOTS_BYTES - body.len()]);
                    break;
                }
                if (body.len() + chunk.len()) as u64 > per_page {
                    let reason = format!("over the per-page limit of {per_page} bytes");
                    return Err(Failure::Skip(reason));
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                url,
                content_type,
                body,
            });
        }
        Err(Failure::Skip(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    /// Notes a failed request; a spent byte budget or a passed deadline also stops the crawl.
    fn fail(&mut self, url: &Url, failure: Failure) {
        if let Failure::Budget(reason) = &failure {
            self.stopped.get_or_insert_with(|| reason.clone());
        }
        self.note(url, failure.reason());
    }

    fn note(&mut self, url: &Url, reason: String) {
        if self.result.skipped.len() < MAX_NOTES {
            self.result.skipped.push((url.to_string(), reason));
        } else {
            self.notes_left_off += 1;
        }
    }

    fn same_site(&self, url: &Url) -> bool {
        url.origin() == self.start.origin()
    }

    fn finish(mut self) -> CrawlResult {
        if let Some((runtime, found_on)) = self.runtime_read.take() {
            let assembled = std::mem::take(&mut self.docusaurus);
            let count = assembled.len();
            if let Some(document) = assembled.document() {
                let how = match self.docusaurus_partial.take() {
                    Some(partial) => {
                        format!("Docusaurus OpenAPI pages' operations (partial: {partial})")
                    }
                    None => "Docusaurus OpenAPI pages' operations".to_string(),
                };
                self.take_value(document, &runtime, Some(&found_on), &how);
            } else {
                let reason = format!(
                    "a Docusaurus site whose chunks hold no operation of the OpenAPI docs theme ({count} read)"
                );
                self.note(&runtime, reason);
            }
        }
        if let (count @ 1.., Some(first)) = self.over_page_limit.clone() {
            let reason = format!(
                "page limit of {} reached: this and {} more links were not fetched",
                self.limits.max_pages,
                count - 1
            );
            self.note(&first, reason);
        }
        let start = self.start.clone();
        if self.offsite_links > 0 {
            let reason = format!(
                "{} links to other sites were not followed",
                self.offsite_links
            );
            self.note(&start, reason);
        }
        if self.not_followed > 0 {
            let reason = format!(
                "{} links to files that are neither HTML nor API descriptions (images, \
                 archives, ...) were not followed",
                self.not_followed
            );
            self.note(&start, reason);
        }
        if self.notes_left_off > 0 {
            let reason = format!("{} more skipped URLs not listed", self.notes_left_off);
            self.result.skipped.push((start.to_string(), reason));
        }
        self.result.stopped = self.stopped;
        self.result
    }
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

fn is_html(content_type: &str) -> bool {
    content_type.is_empty()
        || content_type.starts_with("text/html")
        || content_type.starts_with("application/xhtml+xml")
}

/// Content types of JSON or YAML documents (`application/json`, `application/vnd.oai.openapi`,
/// `application/x-yaml`, `text/yaml`, ...).
fn is_document_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.ends_with("json")
        || essence.ends_with("yaml")
        || essence.starts_with("application/vnd.oai.openapi")
}

/// An error and its sources on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// How likely a page is to document endpoints, by the words of its path: 0 an API
/// reference, 1 anything else, 2 a page that never does (a blog post, a changelog, legal).
fn tier_of(url: &Url) -> usize {
    let path = url.path().to_ascii_lowercase();
    let words: Vec<&str> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(&[
        "blog",
        "changelog",
        "changelogs",
        "release",
        "releases",
        "news",
        "community",
        "forum",
        "careers",
        "pricing",
        "legal",
        "privacy",
        "terms",
        "status",
        "press",
        "events",
        "webinars",
    ]) {
        2
    } else if has(&[
        "reference",
        "api",
        "apis",
        "endpoint",
        "endpoints",
        "rest",
        "resources",
        "operations",
        "methods",
        "ref",
    ]) {
        0
    } else {
        1
    }
}

/// The crawl queue: first in, first out within a tier, lower tiers first.
#[derive(Default)]
struct Tiers([VecDeque<(Url, usize)>; 3]);

impl Tiers {
    fn len(&self) -> usize {
        self.0.iter().map(VecDeque::len).sum()
    }

    fn push(&mut self, tier: usize, entry: (Url, usize)) {
        self.0[tier.min(2)].push_back(entry);
    }

    fn pop_front(&mut self) -> Option<(Url, usize)> {
        self.0.iter_mut().find_map(VecDeque::pop_front)
    }

    /// Removes the last page queued in the lowest tier below `tier`, if any.
    fn evict_below(&mut self, tier: usize) -> Option<Url> {
        self.0[tier.min(2) + 1..]
            .iter_mut()
            .rev()
            .find_map(VecDeque::pop_back)
            .map(|(url, _)| url)
    }
}
