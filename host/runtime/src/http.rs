//! The `http-send` import: allow-list check before any I/O, credentials added by the host,
//! retries, bounded bodies.

use crate::bindings::types::{HttpError, HttpRequest, HttpResponse};
use crate::redact::Redactor;
use crate::retry::{Decision, RetryPolicy};
use base64::Engine as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How the host authenticates requests. Secrets stay here; `Debug` redacts them.
#[derive(Clone, Default)]
pub enum Credentials {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Bearer …`.
    Bearer(String),
    /// A header carrying a key (value includes any prefix).
    Header {
        /// Header name.
        name: String,
        /// Value.
        value: String,
    },
    /// A query parameter carrying a key.
    Query {
        /// Parameter name.
        name: String,
        /// Value.
        value: String,
    },
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// OAuth 2.0: a bearer access token the host obtains and renews itself.
    OAuth2(Arc<crate::oauth::TokenManager>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::Header { name, .. } => write!(f, "Header({name}: <redacted>)"),
            Credentials::Query { name, .. } => write!(f, "Query({name}=<redacted>)"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}:<redacted>)"),
            Credentials::OAuth2(m) => write!(f, "OAuth2({})", m.client().token_url()),
        }
    }
}

/// Most redirects the host follows for one request.
pub const MAX_REDIRECTS: usize = 10;

/// A redirect the host followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The redirect's status (301, 302, 303, 307, 308).
    pub status: u16,
    /// The URL that answered with the redirect (without its query string).
    pub from: String,
    /// Where it sent the request (without its query string).
    pub to: String,
}

/// Hosts a connection may reach: `host`, `host:port` or `*.domain`. Empty means none.
#[derive(Debug, Clone, Default)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// From entries (lower-cased).
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(entries: I) -> AllowList {
        let mut list: Vec<String> = Vec::new();
        for e in entries {
            let e = e.into().to_ascii_lowercase();
            if !list.contains(&e) {
                list.push(e);
            }
        }
        AllowList(list)
    }

    /// The entry for a URL's host (with its port when it has one).
    pub fn entry_for(url: &str) -> Option<String> {
        let u = url::Url::parse(url).ok()?;
        let host = u.host_str()?.to_ascii_lowercase();
        Some(match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        })
    }

    /// Checks a parsed URL.
    pub fn allows(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
        self.0.iter().any(|e| {
            if let Some(suffix) = e.strip_prefix("*.") {
                host.ends_with(&format!(".{suffix}"))
            } else if e.contains(':') {
                Some(e) == with_port.as_ref()
                    || url.port().map(|p| format!("{host}:{p}")).as_ref() == Some(e)
            } else {
                *e == host
            }
        })
    }

    /// The entries.
    pub fn entries(&self) -> &[String] {
        &self.0
    }
}

/// Everything the host needs to send a connection's requests.
#[derive(Debug, Clone)]
pub struct HttpContext {
    /// Shared client (connection pool).
    pub client: reqwest::Client,
    /// Allowed hosts.
    pub allow: AllowList,
    /// Credentials added to every request.
    pub credentials: Credentials,
    /// Headers the API requires besides the credentials (`Stripe-Version`, `Api-Username`),
    /// added like the credentials: to requests to the API's origin only, over any header of
    /// the same name the connector set. Their values may be secrets.
    pub headers: Vec<(String, String)>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Requests in flight at once for a batch.
    pub concurrency: usize,
    /// Most bytes of response bodies one `http-send-batch` may hold (in flight and read):
    /// the host keeps every body of a batch until it hands the batch to the connector, so
    /// this bounds the host's memory for a fan-out (see [`BatchBudget`]).
    pub batch_budget_bytes: usize,
}

/// Default [`HttpContext::batch_budget_bytes`]: 256 MB.
pub const DEFAULT_BATCH_BUDGET: usize = 256 << 20;

/// The bytes of response bodies one batch holds, against [`HttpContext::batch_budget_bytes`].
/// Every body chunk is counted as it arrives; the first chunk that would pass the budget
/// fails its request, and the requests of the batch not yet sent are not sent.
#[derive(Debug)]
pub struct BatchBudget {
    limit: usize,
    used: std::sync::atomic::AtomicUsize,
    exceeded: std::sync::atomic::AtomicBool,
    requests: usize,
}

impl BatchBudget {
    /// A budget of `limit` bytes for a batch of `requests` requests.
    pub fn new(limit: usize, requests: usize) -> BatchBudget {
        BatchBudget {
            limit,
            used: Default::default(),
            exceeded: Default::default(),
            requests,
        }
    }

    /// Bytes counted so far.
    pub fn used(&self) -> usize {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a request of the batch already passed the budget.
    pub fn exceeded(&self) -> bool {
        self.exceeded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The error every request of an over-budget batch gets.
    pub fn error(&self, url: &str) -> HttpError {
        HttpError::Network(format!(
            "{url}: the responses of this batch of {} requests exceed the host's memory budget \
             of {} MB per batch (`batch_budget_bytes`); the batch was stopped",
            self.requests,
            self.limit >> 20
        ))
    }

    /// Counts `n` more bytes; false (and the batch marked over budget) when they do not fit.
    fn take(&self, n: usize) -> bool {
        use std::sync::atomic::Ordering;
        let before = self.used.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
            false
        } else {
            true
        }
    }
}

/// A client with sane timeouts for API calls.
pub fn default_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        // Redirects are followed by `HttpContext::send`, hop by hop, each checked against the
        // allow-list; credentials never follow a redirect to another origin.
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .user_agent(concat!("connector-agent/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend initialises")
}

/// The client for token endpoints: no redirects (a redirect could leave https).
pub(crate) fn token_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .user_agent(concat!("connector-agent/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend initialises")
}

/// A token failure as the connector sees it: a network error naming the token endpoint.
fn token_error(e: &crate::oauth::OAuthError) -> HttpError {
    let mut text = format!("OAuth: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    HttpError::Network(text)
}

impl HttpContext {
    /// A context with the default client, retry policy and limits.
    pub fn new(allow: AllowList, credentials: Credentials) -> HttpContext {
        HttpContext {
            client: default_client(),
            allow,
            credentials,
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            max_body_bytes: 64 << 20,
            concurrency: 64,
            batch_budget_bytes: DEFAULT_BATCH_BUDGET,
        }
    }

    /// Sends a request for a connector: allow-list first, then credentials, then retries;
    /// redirects are followed here (see [`HttpContext::send_traced`]).
    pub async fn send(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.send_traced(req).await.map(|(resp, _)| resp)
    }

    /// As [`HttpContext::send`], also returning the redirects followed on the way.
    ///
    /// Redirects are followed by the host, never by the HTTP client: every hop's URL must pass
    /// the allow-list before anything is sent to it; credentials (the `Authorization` header,
    /// the key header, the key query parameter) go only to the origin (scheme, host, port) of
    /// the original URL; `Referer` is never sent. 303 turns the request into a GET without a
    /// body, as do 301 and 302 for a POST; 307 and 308 keep the method and the body. At most
    /// [`MAX_REDIRECTS`] hops; a loop is an error. Error messages never hold a secret of the
    /// credentials.
    pub async fn send_traced(
        &self,
        req: HttpRequest,
    ) -> Result<(HttpResponse, Vec<Redirect>), HttpError> {
        self.follow(req, None)
            .await
            .map_err(|e| Redactor::from_credentials(&self.credentials).http_error(e))
    }

    /// As [`HttpContext::send`], one request of a batch: its body counts against the batch's
    /// `budget`, and once the batch is over budget nothing more is sent.
    pub async fn send_in_batch(
        &self,
        req: HttpRequest,
        budget: &BatchBudget,
    ) -> Result<HttpResponse, HttpError> {
        if budget.exceeded() {
            return Err(budget.error(&redact_text(&req.url)));
        }
        self.follow(req, Some(budget))
            .await
            .map(|(resp, _)| resp)
            .map_err(|e| Redactor::from_credentials(&self.credentials).http_error(e))
    }

    fn not_allowed(&self, url: &url::Url) -> String {
        format!(
            "host `{}` is not in this connection's allow-list ({})",
            AllowList::entry_for(url.as_str()).unwrap_or_default(),
            if self.allow.entries().is_empty() {
                "empty".to_string()
            } else {
                self.allow.entries().join(", ")
            }
        )
    }

    async fn follow(
        &self,
        req: HttpRequest,
        budget: Option<&BatchBudget>,
    ) -> Result<(HttpResponse, Vec<Redirect>), HttpError> {
        let mut url = url::Url::parse(&req.url)
            .map_err(|e| HttpError::InvalidUrl(format!("`{}`: {e}", redact_text(&req.url))))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(HttpError::InvalidUrl(format!(
                "`{}`: only http and https are allowed",
                redact(&url)
            )));
        }
        if !self.allow.allows(&url) {
            return Err(HttpError::Denied(self.not_allowed(&url)));
        }
        let origin = url.origin();
        let mut method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| HttpError::InvalidUrl(format!("invalid method `{}`", req.method)))?;
        let mut headers = req.headers;
        let mut body = req.body;
        let mut redirects: Vec<Redirect> = Vec::new();
        let mut seen: std::collections::HashSet<(reqwest::Method, String)> =
            std::collections::HashSet::new();
        seen.insert((method.clone(), url.to_string()));
        loop {
            let same_origin = url.origin() == origin;
            let resp = self
                .send_hop(&method, &url, &headers, body.as_deref(), same_origin)
                .await?;
            let status = resp.status().as_u16();
            let location = match status {
                301 | 302 | 303 | 307 | 308 => resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                _ => None,
            };
            let Some(location) = location else {
                return Ok((self.read(resp, budget).await?, redirects));
            };
            drop(resp);
            let from = format!("{method} {}", redact(&url));
            let mut next = url.join(location.trim()).map_err(|e| {
                HttpError::InvalidUrl(format!(
                    "{from} redirected ({status}) to `{}`, which is not a valid URL ({e})",
                    redact_text(&location)
                ))
            })?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(HttpError::InvalidUrl(format!(
                    "{from} redirected ({status}) to `{}`: only http and https are allowed",
                    redact(&next)
                )));
            }
            if !self.allow.allows(&next) {
                return Err(HttpError::Denied(format!(
                    "{from} redirected ({status}) to {}: {}",
                    redact(&next),
                    self.not_allowed(&next)
                )));
            }
            // The Location comes from the server: a key it copied into it is taken out (the
            // host adds its own for the original origin only).
            without_secrets(&mut next, &self.credentials);
            if redirects.len() >= MAX_REDIRECTS {
                return Err(HttpError::Network(format!(
                    "{} {}: more than {MAX_REDIRECTS} redirects (the last to {})",
                    req.method,
                    redact_text(&req.url),
                    redact(&next)
                )));
            }
            let drop_body = match status {
                303 => method != reqwest::Method::HEAD,
                301 | 302 => method == reqwest::Method::POST,
                _ => false,
            };
            if drop_body {
                method = reqwest::Method::GET;
                body = None;
                headers.retain(|(n, _)| {
                    ![
                        "content-type",
                        "content-length",
                        "content-encoding",
                        "transfer-encoding",
                    ]
                    .iter()
                    .any(|h| n.eq_ignore_ascii_case(h))
                });
            }
            if !seen.insert((method.clone(), next.to_string())) {
                return Err(HttpError::Network(format!(
                    "{from} redirected ({status}) back to {}: a redirect loop",
                    redact(&next)
                )));
            }
            tracing::debug!(status, from = %redact(&url), to = %redact(&next), "following a redirect");
            redirects.push(Redirect {
                status,
                from: redact(&url),
                to: redact(&next),
            });
            url = next;
        }
    }

    /// One hop: the request with credentials when `credentials` (same origin as the original
    /// URL), retried per the retry policy; the response as it came (redirects included).
    async fn send_hop(
        &self,
        method: &reqwest::Method,
        target: &url::Url,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        credentials: bool,
    ) -> Result<reqwest::Response, HttpError> {
        let mut url = target.clone();
        if credentials {
            if let Credentials::Query { name, value } = &self.credentials {
                url.query_pairs_mut().append_pair(name, value);
            }
        }
        let mut attempt = 0;
        let mut renewed_after_401 = false;
        loop {
            let oauth_token = match (&self.credentials, credentials) {
                (Credentials::OAuth2(m), true) => {
                    Some(m.access_token().await.map_err(|e| token_error(&e))?)
                }
                _ => None,
            };
            let mut rb = self.client.request(method.clone(), url.clone());
            for (name, value) in headers {
                // Credentials are the host's business; a connector cannot set or override them.
                // `Referer` is never sent.
                if ["authorization", "cookie", "referer", "proxy-authorization"]
                    .iter()
                    .any(|h| name.eq_ignore_ascii_case(h))
                {
                    continue;
                }
                if let Credentials::Header {
                    name: key_header, ..
                } = &self.credentials
                {
                    if name.eq_ignore_ascii_case(key_header) {
                        continue;
                    }
                }
                if credentials
                    && self
                        .headers
                        .iter()
                        .any(|(h, _)| h.eq_ignore_ascii_case(name))
                {
                    continue;
                }
                rb = rb.header(name, value);
            }
            if credentials {
                for (name, value) in &self.headers {
                    rb = rb.header(name, value);
                }
            }
            if credentials {
                rb = match &self.credentials {
                    Credentials::Bearer(token) => rb.bearer_auth(token),
                    Credentials::Header { name, value } => rb.header(name, value),
                    Credentials::Basic { username, password } => rb.header(
                        "authorization",
                        format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD
                                .encode(format!("{username}:{password}"))
                        ),
                    ),
                    Credentials::OAuth2(_) => rb.bearer_auth(oauth_token.as_deref().unwrap_or("")),
                    Credentials::None | Credentials::Query { .. } => rb,
                };
            }
            if let Some(body) = body {
                rb = rb.body(body.to_vec());
            }
            let decision = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if let (401, Credentials::OAuth2(m), Some(used), false) =
                        (status, &self.credentials, &oauth_token, renewed_after_401)
                    {
                        // Once per request: renew the token (unless another request already
                        // did) and send the request again.
                        renewed_after_401 = true;
                        match m.after_unauthorized(used).await {
                            Ok(Some(_)) => {
                                tracing::debug!(url = %redact(&url), "401: retrying with a renewed token");
                                continue;
                            }
                            Ok(None) => return Ok(resp),
                            Err(e) => return Err(token_error(&e)),
                        }
                    }
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    match self
                        .retry
                        .on_status(attempt, status, retry_after.as_deref())
                    {
                        Decision::Done => return Ok(resp),
                        d => {
                            tracing::debug!(status, attempt, url = %redact(&url), "retrying");
                            d
                        }
                    }
                }
                Err(e) => match self.retry.on_transport_error(attempt) {
                    Decision::Done => return Err(transport_error(&url, &e)),
                    d => {
                        tracing::debug!(attempt, url = %redact(&url), error = %e, "retrying");
                        d
                    }
                },
            };
            if let Decision::RetryAfter(delay) = decision {
                tokio::time::sleep(delay).await;
            }
            attempt += 1;
        }
    }

    async fn read(
        &self,
        resp: reqwest::Response,
        budget: Option<&BatchBudget>,
    ) -> Result<HttpResponse, HttpError> {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let url = redact(resp.url());
        if resp
            .content_length()
            .is_some_and(|n| n as usize > self.max_body_bytes)
        {
            return Err(HttpError::Network(format!(
                "{url}: the body is larger than {} bytes",
                self.max_body_bytes
            )));
        }
        if let (Some(b), Some(n)) = (budget, resp.content_length()) {
            if b.used().saturating_add(n as usize) > b.limit {
                b.exceeded.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(b.error(&url));
            }
        }
        let mut body = Vec::new();
        let mut resp = resp;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if let Some(b) = budget {
                        if !b.take(chunk.len()) {
                            return Err(b.error(&url));
                        }
                    }
                    if body.len() + chunk.len() > self.max_body_bytes {
                        return Err(HttpError::Network(format!(
                            "{url}: the body is larger than {} bytes",
                            self.max_body_bytes
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(transport_error(resp.url(), &e)),
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn transport_error(url: &url::Url, e: &reqwest::Error) -> HttpError {
    let what = if e.is_timeout() {
        return HttpError::Timeout(format!("{}: no answer in time", redact(url)));
    } else if e.is_connect() {
        connect_cause(e)
    } else if e.is_body() || e.is_decode() {
        "the body was cut off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    HttpError::Network(format!(
        "{}: {what}{}",
        redact(url),
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        }
    ))
}

/// Why a connection could not be made, from the error's source chain: the DNS lookup, a
/// refusal, or the TLS handshake (certificate, or not a TLS server).
fn connect_cause(e: &reqwest::Error) -> &'static str {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused",
                // tokio-rustls reports handshake failures as invalid data.
                std::io::ErrorKind::InvalidData => return "TLS handshake failed",
                _ => {}
            }
        }
        let text = s.to_string().to_ascii_lowercase();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            return "DNS lookup failed";
        }
        // rustls: `invalid peer certificate: …`, `received corrupt message of type …` (not a
        // TLS server), `received fatal alert: …`.
        if [
            "certificate",
            "tls",
            "corrupt message",
            "fatal alert",
            "handshake",
        ]
        .iter()
        .any(|w| text.contains(w))
        {
            return "TLS handshake failed";
        }
        source = s.source();
    }
    "cannot connect"
}

/// A URL without its query string (which may hold a key) and without a password.
pub fn redact(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    u.to_string()
}

/// A URL given as text, without its query string.
fn redact_text(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => redact(&u),
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_string(),
    }
}

/// Removes the query parameters carrying a secret of the credentials: the key parameter by
/// name, and any parameter whose value holds a secret (a server copying a token into a
/// redirect's Location).
fn without_secrets(url: &mut url::Url, credentials: &Credentials) {
    if url.query().is_none() {
        return;
    }
    let key_param = match credentials {
        Credentials::Query { name, .. } => Some(name.as_str()),
        _ => None,
    };
    let redactor = Redactor::from_credentials(credentials);
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let kept: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, v)| Some(k.as_str()) != key_param && !redactor.holds_secret(v))
        .collect();
    if kept.len() == pairs.len() {
        return;
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_host_port_and_wildcards() {
        let a = AllowList::new(["127.0.0.1:8080", "api.example.com", "*.stripe.com"]);
        let ok = |s: &str| a.allows(&url::Url::parse(s).unwrap());
        assert!(ok("http://127.0.0.1:8080/x"));
        assert!(!ok("http://127.0.0.1:8081/x"));
        assert!(ok("https://api.example.com/v1"));
        assert!(ok("https://files.stripe.com/v1"));
        assert!(!ok("https://stripe.com.evil.net/"));
        assert!(!ok("https://evil.com/"));
        assert!(!AllowList::default().allows(&url::Url::parse("http://127.0.0.1:8080/").unwrap()));
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let c = Credentials::Bearer("sk_secret".into());
        assert!(!format!("{c:?}").contains("sk_secret"));
    }
}
