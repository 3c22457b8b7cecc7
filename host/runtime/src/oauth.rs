//! OAuth 2.0 access tokens, owned by the host.
//!
//! A [`TokenManager`] holds a connection's current token set behind one async mutex, so a
//! batch of requests in flight triggers one refresh, not one each. It renews the access
//! token shortly before it expires and once after a `401`; a rotated refresh token is handed
//! to the persist callback **before** the new access token is used, and a failure to persist
//! fails the request. The token endpoint is reached by the host itself (it is not subject to
//! the connector's allow-list) but only over https, unless its host is a loopback address.
//!
//! Grants: `refresh_token` when a refresh token is known, else `client_credentials` when a
//! client secret is; `authorization_code` with PKCE (S256) is [`OAuthClient::exchange_code`],
//! driven by the caller's redirect listener.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A boxed error from the persist callback.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Stores a new token set (the refresh token above all) before it is used.
pub type PersistFn = Arc<dyn Fn(&TokenSet) -> Result<(), BoxError> + Send + Sync>;

/// Reads the token set as stored now (another process may have rotated it since).
pub type ReloadFn = Arc<dyn Fn() -> Option<TokenSet> + Send + Sync>;
/// Tries to take the renewal lock shared by every process using the same stored tokens:
/// `Ok(Some(guard))` holds it until the guard is dropped, `Ok(None)` means another holder
/// has it now.
pub type RenewalLockFn = Arc<dyn Fn() -> std::io::Result<Option<Box<dyn Send>>> + Send + Sync>;

/// How long a renewal waits for another process's renewal to finish.
pub const RENEWAL_LOCK_WAIT: Duration = Duration::from_secs(90);

/// Token errors. Messages name the token endpoint and the OAuth error code; never a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The token endpoint answered with an OAuth error.
    #[error("token endpoint `{url}` refused the {grant} grant: {code}{}{}",
        description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(),
        hint(code, grant))]
    Refused {
        /// Token endpoint.
        url: String,
        /// Grant type asked for.
        grant: &'static str,
        /// HTTP status.
        status: u16,
        /// OAuth error code (`invalid_client`, `invalid_grant`, ...).
        code: String,
        /// `error_description`, if any.
        description: Option<String>,
    },
    /// The token endpoint answered something that is not a token.
    #[error("token endpoint `{url}` answered HTTP {status} without a usable token: {detail}")]
    BadResponse {
        /// Token endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
    /// The token endpoint could not be reached.
    #[error("token endpoint `{url}` cannot be reached")]
    Transport {
        /// Token endpoint.
        url: String,
        /// Cause.
        #[source]
        source: reqwest::Error,
    },
    /// An OAuth URL is not acceptable.
    #[error("OAuth URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// An extra request parameter that cannot be sent.
    #[error("OAuth request parameter: {0}")]
    Param(String),
    /// Nothing to get a new access token with.
    #[error("no way to get a new access token: {0}")]
    NoGrant(String),
    /// The rotated refresh token could not be stored, so the new tokens were not used.
    #[error("storing the rotated refresh token failed, so the new access token was not used")]
    Persist(#[source] BoxError),
}

fn hint(code: &str, grant: &str) -> &'static str {
    match (code, grant) {
        ("invalid_client", _) => ": check `client_id` and `client_secret`",
        ("invalid_grant", "refresh_token") => {
            ": the refresh token was revoked or already used; run `connector-agent authorize` again"
        }
        ("unauthorized_client" | "unsupported_grant_type", "client_credentials") => {
            ": this app may not use client credentials; run `connector-agent authorize` for the code flow"
        }
        ("invalid_scope", _) => ": check `scopes`",
        ("invalid_target", _) => ": check `oauth_resource` (the API's resource indicator)",
        _ => "",
    }
}

/// Result alias.
pub type Result<T, E = OAuthError> = std::result::Result<T, E>;

/// Tokens from the token endpoint. `Debug` redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The access token, sent as `Authorization: Bearer …`.
    pub access_token: String,
    /// When the access token expires, if the server said.
    pub expires_at: Option<SystemTime>,
    /// When the host renews it (a little before `expires_at`).
    pub refresh_at: Option<SystemTime>,
    /// The refresh token, if any.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The longest head start of a renewal before expiry.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

impl TokenSet {
    /// A token set from stored values: renewed at `refresh_at` when it was stored (it
    /// follows the token's lifetime), else [`REFRESH_MARGIN`] before `expires_at`.
    pub fn stored(
        access_token: String,
        expires_at: Option<SystemTime>,
        refresh_at: Option<SystemTime>,
        refresh_token: Option<String>,
    ) -> TokenSet {
        let margin = expires_at.map(|e| e.checked_sub(REFRESH_MARGIN).unwrap_or(e));
        TokenSet {
            access_token,
            expires_at,
            refresh_at: refresh_at.or(margin),
            refresh_token,
        }
    }

    /// A token set received now, valid for `expires_in`: renewed within
    /// `min(60 s, expires_in / 2)` of expiry.
    pub fn received(
        access_token: String,
        expires_in: Option<Duration>,
        refresh_token: Option<String>,
    ) -> TokenSet {
        let now = SystemTime::now();
        TokenSet {
            access_token,
            expires_at: expires_in.map(|d| now + d),
            refresh_at: expires_in.map(|d| now + d - REFRESH_MARGIN.min(d / 2)),
            refresh_token,
        }
    }

    fn due(&self, now: SystemTime) -> bool {
        self.refresh_at.is_some_and(|at| now >= at)
    }
}

/// Checks an OAuth endpoint: https, or http only to a loopback host.
pub fn check_url(raw: &str) -> Result<url::Url> {
    let invalid = |reason: String| OAuthError::InvalidUrl {
        url: raw.to_string(),
        reason,
    };
    let url = url::Url::parse(raw).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(invalid(
            "must use https (plain http is allowed for a loopback host only)".into(),
        )),
        other => Err(invalid(format!("scheme `{other}` is not https"))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// An OAuth 2.0 client registered with a provider.
#[derive(Clone)]
pub struct OAuthClient {
    token_url: url::Url,
    client_id: String,
    client_secret: Option<String>,
    scopes: Vec<String>,
    /// Resource indicators (RFC 8707), sent with the authorisation request and every token
    /// request.
    resources: Vec<String>,
    /// More parameters of the authorisation request (`prompt=consent`).
    authorize_params: Vec<(String, String)>,
    /// More parameters of every token request (`audience=…`).
    token_params: Vec<(String, String)>,
    http: reqwest::Client,
    /// Send the client credentials in the form body instead of HTTP Basic (learnt when a
    /// server refuses Basic).
    post_auth: Arc<AtomicBool>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("authorize_params", &self.authorize_params)
            // Names only: a token parameter may carry a credential (`client_assertion`).
            .field(
                "token_params",
                &self.token_params.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl OAuthClient {
    /// A client; the token URL must be https (or http to a loopback host).
    pub fn new(
        token_url: &str,
        client_id: impl Into<String>,
        client_secret: Option<String>,
        scopes: Vec<String>,
    ) -> Result<OAuthClient> {
        Ok(OAuthClient {
            token_url: check_url(token_url)?,
            client_id: client_id.into(),
            client_secret: client_secret.filter(|s| !s.is_empty()),
            scopes,
            resources: Vec::new(),
            authorize_params: Vec::new(),
            token_params: Vec::new(),
            http: crate::http::token_client(),
            post_auth: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The client asking for tokens for `resources` (RFC 8707 resource indicators: in the
    /// authorisation request and every token request), with `authorize_params` added to the
    /// authorisation request (`prompt=consent`) and `token_params` to every token request
    /// (`audience=…`). A parameter the protocol itself sets (`client_id`, `redirect_uri`,
    /// `grant_type`, …) is refused, naming it.
    pub fn with_params(
        mut self,
        resources: Vec<String>,
        authorize_params: Vec<(String, String)>,
        token_params: Vec<(String, String)>,
    ) -> Result<OAuthClient> {
        const SET_BY_THE_PROTOCOL: &[&str] = &[
            "response_type",
            "client_id",
            "client_secret",
            "redirect_uri",
            "state",
            "code",
            "code_challenge",
            "code_challenge_method",
            "code_verifier",
            "grant_type",
            "refresh_token",
            "scope",
            "resource",
            // Would replace the request's own parameters or where its answer goes.
            "request",
            "request_uri",
            "response_mode",
        ];
        for (name, _) in authorize_params.iter().chain(&token_params) {
            if SET_BY_THE_PROTOCOL.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(OAuthError::Param(format!(
                    "`{}` is set by the OAuth flow itself{}",
                    name.escape_debug(),
                    match name.to_ascii_lowercase().as_str() {
                        "scope" => "; set `scopes` instead",
                        "resource" => "; set `oauth_resource` instead",
                        _ => "",
                    }
                )));
            }
        }
        self.resources = resources;
        self.authorize_params = authorize_params;
        self.token_params = token_params;
        Ok(self)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &url::Url {
        &self.token_url
    }

    /// Whether the client has a secret (and so can use the client credentials grant).
    pub fn has_secret(&self) -> bool {
        self.client_secret.is_some()
    }

    /// The URL a person opens to authorise this client (code flow with PKCE S256).
    pub fn authorize_url(
        &self,
        authorization_url: &str,
        redirect_uri: &str,
        state: &str,
        pkce: &Pkce,
    ) -> Result<url::Url> {
        let mut url = check_url(authorization_url)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", state)
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256");
            if !self.scopes.is_empty() {
                q.append_pair("scope", &self.scopes.join(" "));
            }
            for r in &self.resources {
                q.append_pair("resource", r);
            }
            for (k, v) in &self.authorize_params {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Exchanges an authorisation code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenSet> {
        self.grant(
            "authorization_code",
            &[
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// The client credentials grant.
    pub async fn client_credentials(&self) -> Result<TokenSet> {
        let scope = self.scopes.join(" ");
        let mut params = Vec::new();
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        self.grant("client_credentials", &params).await
    }

    /// The refresh token grant; a response without a refresh token keeps the old one.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet> {
        let mut t = self
            .grant("refresh_token", &[("refresh_token", refresh_token)])
            .await?;
        if t.refresh_token.is_none() {
            t.refresh_token = Some(refresh_token.to_string());
        }
        Ok(t)
    }

    async fn grant(&self, grant: &'static str, params: &[(&str, &str)]) -> Result<TokenSet> {
        let first = self.post_auth.load(Ordering::Relaxed);
        match self.grant_once(grant, params, first).await {
            // Servers differ on how a client authenticates (RFC 6749 §2.3.1): a server that
            // refuses HTTP Basic gets the credentials in the body once, and keeps getting them.
            Err(OAuthError::Refused { code, .. })
                if !first && self.client_secret.is_some() && code == "invalid_client" =>
            {
                let r = self.grant_once(grant, params, true).await;
                if r.is_ok() {
                    self.post_auth.store(true, Ordering::Relaxed);
                }
                r
            }
            r => r,
        }
    }

    async fn grant_once(
        &self,
        grant: &'static str,
        params: &[(&str, &str)],
        in_body: bool,
    ) -> Result<TokenSet> {
        let url = self.token_url.as_str().to_string();
        let mut fields: Vec<(&str, &str)> = vec![("grant_type", grant)];
        fields.extend_from_slice(params);
        fields.extend(self.resources.iter().map(|r| ("resource", r.as_str())));
        fields.extend(
            self.token_params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let mut rb = self
            .http
            .post(self.token_url.clone())
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded");
        match &self.client_secret {
            Some(secret) if !in_body => {
                // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let pair = format!("{}:{}", enc(&self.client_id), enc(secret));
                rb = rb.header(
                    "authorization",
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                );
            }
            Some(secret) => {
                fields.push(("client_id", &self.client_id));
                fields.push(("client_secret", secret));
            }
            None => fields.push(("client_id", &self.client_id)),
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let resp = rb
            .body(body)
            .send()
            .await
            .map_err(|source| OAuthError::Transport {
                url: url.clone(),
                source,
            })?;
        let status = resp.status().as_u16();
        let body = read_limited(resp, 1 << 20)
            .await
            .map_err(|source| OAuthError::Transport {
                url: url.clone(),
                source,
            })?;
        parse_token_response(&url, grant, status, &body)
    }
}

async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room < chunk.len() {
            break;
        }
    }
    Ok(body)
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
}

#[derive(serde::Deserialize)]
struct ErrorResponse {
    error: String,
    error_description: Option<String>,
}

/// Reads a token endpoint's answer. Pure: no I/O, never panics.
pub fn parse_token_response(
    url: &str,
    grant: &'static str,
    status: u16,
    body: &[u8],
) -> Result<TokenSet> {
    let bad = |detail: String| OAuthError::BadResponse {
        url: url.to_string(),
        status,
        detail,
    };
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<ErrorResponse>(body) {
            Ok(e) => OAuthError::Refused {
                url: url.to_string(),
                grant,
                status,
                code: e.error,
                description: e.error_description,
            },
            Err(_) => bad(format!("not an OAuth error body: {}", snippet(body))),
        });
    }
    let t: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| bad(format!("the body is not a JSON token response ({e})")))?;
    let Some(access_token) = t.access_token.filter(|t| !t.is_empty()) else {
        return Err(bad("no `access_token` in the response".into()));
    };
    if let Some(ty) = &t.token_type {
        if !ty.eq_ignore_ascii_case("bearer") {
            return Err(bad(format!(
                "token type `{ty}` is not supported (only bearer)"
            )));
        }
    }
    let expires_in = match &t.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    let expires_in = match expires_in {
        Some(secs) if secs.is_finite() && secs >= 0.0 => {
            Some(Duration::from_secs_f64(secs.min(10.0 * 365.0 * 86400.0)))
        }
        Some(_) => return Err(bad("`expires_in` is not a number of seconds".into())),
        None if t.expires_in.is_some() => {
            return Err(bad("`expires_in` is not a number of seconds".into()))
        }
        None => None,
    };
    Ok(TokenSet::received(
        access_token,
        expires_in,
        t.refresh_token.filter(|r| !r.is_empty()),
    ))
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.replace(['\n', '\r'], " ")
}

/// A PKCE verifier and its S256 challenge (RFC 7636).
#[derive(Clone)]
pub struct Pkce {
    /// Sent with the code exchange.
    pub verifier: String,
    /// Sent with the authorisation request.
    pub challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkce(<redacted>)")
    }
}

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl Pkce {
    /// A fresh verifier (43 characters from 32 random bytes) and its challenge.
    pub fn new() -> std::io::Result<Pkce> {
        let verifier = random_token(32)?;
        Ok(Pkce::from_verifier(verifier))
    }

    /// The challenge of a given verifier.
    pub fn from_verifier(verifier: String) -> Pkce {
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// A connection's tokens: renewed before expiry and after a 401, one renewal at a time.
pub struct TokenManager {
    client: OAuthClient,
    tokens: tokio::sync::Mutex<Option<TokenSet>>,
    persist: Option<PersistFn>,
    reload: Option<ReloadFn>,
    renewal_lock: Option<RenewalLockFn>,
    /// A renewed set whose persisting failed: kept to be stored again before any use.
    unsaved: AtomicBool,
    renewals: AtomicU64,
    /// Every token this manager held (and the client secret), for redacting messages.
    known: std::sync::Mutex<Vec<String>>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("client", &self.client)
            .field("tokens", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager starting from stored tokens (if any). `persist` gets every token set that
    /// carries a refresh token, before its access token is used.
    pub fn new(
        client: OAuthClient,
        initial: Option<TokenSet>,
        persist: Option<PersistFn>,
    ) -> TokenManager {
        let m = TokenManager {
            known: std::sync::Mutex::new(client.client_secret.iter().cloned().collect()),
            client,
            tokens: tokio::sync::Mutex::new(initial.clone()),
            persist,
            reload: None,
            renewal_lock: None,
            unsaved: AtomicBool::new(false),
            renewals: AtomicU64::new(0),
        };
        if let Some(t) = &initial {
            m.remember(t);
        }
        m
    }

    /// Notes a token set's secrets for [`TokenManager::known_secrets`].
    fn remember(&self, t: &TokenSet) {
        if let Ok(mut known) = self.known.lock() {
            for s in std::iter::once(&t.access_token).chain(t.refresh_token.as_ref()) {
                if !known.contains(s) {
                    known.push(s.clone());
                }
            }
        }
    }

    /// Every access and refresh token this manager has held, and the client secret: what
    /// must never appear in a message.
    pub fn known_secrets(&self) -> Vec<String> {
        self.known.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Reads the stored tokens before each renewal: a refresh token another process rotated
    /// meanwhile is used (or its still-valid access token adopted) instead of the stale one,
    /// which the provider would refuse (and may take for a replay).
    pub fn with_reload(mut self, reload: ReloadFn) -> TokenManager {
        self.reload = Some(reload);
        self
    }

    /// Renews only while holding `lock`, shared with every other process using the same
    /// stored tokens, and re-reads the stored set once it holds it: two commands renewing
    /// at once would present one refresh token twice, which a provider that rotates refresh
    /// tokens takes for a replay and answers by revoking the whole grant.
    pub fn with_renewal_lock(mut self, lock: RenewalLockFn) -> TokenManager {
        self.renewal_lock = Some(lock);
        self
    }

    /// Waits (without blocking the runtime) for the renewal lock, if there is one.
    async fn renewal_guard(&self) -> Result<Option<Box<dyn Send>>> {
        let Some(lock) = &self.renewal_lock else {
            return Ok(None);
        };
        let deadline = tokio::time::Instant::now() + RENEWAL_LOCK_WAIT;
        loop {
            match lock() {
                Ok(Some(guard)) => return Ok(Some(guard)),
                Ok(None) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(None) => {
                    return Err(OAuthError::NoGrant(format!(
                        "another process has been renewing this connection's token for over {} s; try again when it is done",
                        RENEWAL_LOCK_WAIT.as_secs()
                    )))
                }
                Err(e) => return Err(OAuthError::Persist(Box::new(e))),
            }
        }
    }

    /// Stores a renewed set whose earlier persisting failed; until that works no token is used.
    fn ensure_saved(&self, current: &TokenSet) -> Result<()> {
        if self.unsaved.load(Ordering::Relaxed) {
            if let Some(persist) = &self.persist {
                persist(current).map_err(OAuthError::Persist)?;
            }
            self.unsaved.store(false, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The client.
    pub fn client(&self) -> &OAuthClient {
        &self.client
    }

    /// Tokens obtained from the token endpoint so far by this manager.
    pub fn renewals(&self) -> u64 {
        self.renewals.load(Ordering::Relaxed)
    }

    /// A valid access token: the current one, or a new one when it is due for renewal.
    pub async fn access_token(&self) -> Result<String> {
        let mut current = self.tokens.lock().await;
        if let Some(t) = current.as_ref() {
            self.ensure_saved(t)?;
            if !t.due(SystemTime::now()) {
                return Ok(t.access_token.clone());
            }
        }
        let new = self.renew(&mut current).await?;
        Ok(new)
    }

    /// After the API answered 401 to `rejected`: a new access token, unless another request
    /// already replaced it (then the current one), or `None` when nothing can renew it.
    pub async fn after_unauthorized(&self, rejected: &str) -> Result<Option<String>> {
        let mut current = self.tokens.lock().await;
        if let Some(t) = current.as_ref() {
            self.ensure_saved(t)?;
            if t.access_token != rejected {
                return Ok(Some(t.access_token.clone()));
            }
        }
        let renewable =
            current.as_ref().is_some_and(|t| t.refresh_token.is_some()) || self.client.has_secret();
        if !renewable {
            return Ok(None);
        }
        let new = self.renew(&mut current).await?;
        Ok(Some(new))
    }

    /// Renews the tokens in `current` and returns the new access token.
    async fn renew(&self, current: &mut Option<TokenSet>) -> Result<String> {
        // Held until the new set is stored; dropped on every return.
        let _guard = self.renewal_guard().await?;
        let mut refresh = current.as_ref().and_then(|t| t.refresh_token.clone());
        if let Some(reload) = &self.reload {
            if let Some(stored) = reload() {
                let ours = current.as_ref();
                let rotated = stored.refresh_token.is_some()
                    && refresh.is_some()
                    && stored.refresh_token != refresh;
                let renewed = !stored.access_token.is_empty()
                    && ours.is_none_or(|t| t.access_token != stored.access_token);
                if rotated || renewed {
                    // Another process renewed the tokens since this one read them.
                    self.remember(&stored);
                    if !stored.due(SystemTime::now()) {
                        let token = stored.access_token.clone();
                        *current = Some(stored);
                        return Ok(token);
                    }
                    if stored.refresh_token.is_some() {
                        refresh = stored.refresh_token.clone();
                    }
                }
            }
        }
        let new = if let Some(refresh) = refresh {
            let new = self.client.refresh(&refresh).await?;
            self.remember(&new);
            if let Some(persist) = &self.persist {
                // The old refresh token may be dead from now on: store the new one first. If
                // that fails, the set is kept here (it may be the only copy of the refresh
                // token) and stored again before any use; this request fails.
                if let Err(e) = persist(&new) {
                    self.unsaved.store(true, Ordering::Relaxed);
                    *current = Some(new);
                    return Err(OAuthError::Persist(e));
                }
            }
            new
        } else if self.client.has_secret() {
            let new = self.client.client_credentials().await?;
            self.remember(&new);
            new
        } else {
            return Err(OAuthError::NoGrant(
                "the access token expired and there is neither a refresh token nor a client secret; run `connector-agent authorize` for this connection".into(),
            ));
        };
        self.renewals.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(token_url = %self.client.token_url, "renewed the OAuth access token");
        let token = new.access_token.clone();
        *current = Some(new);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_endpoint_must_be_https_unless_loopback() {
        assert!(check_url("https://auth.example.com/token").is_ok());
        assert!(check_url("http://127.0.0.1:9/token").is_ok());
        assert!(check_url("http://[::1]:9/token").is_ok());
        assert!(check_url("http://localhost/token").is_ok());
        let e = check_url("http://auth.example.com/token").unwrap_err();
        assert!(e.to_string().contains("must use https"), "{e}");
        assert!(check_url("ftp://auth.example.com/").is_err());
    }

    #[test]
    fn bad_token_responses_are_errors_naming_the_endpoint() {
        let u = "https://auth.example.com/token";
        let e = parse_token_response(
            u,
            "client_credentials",
            401,
            br#"{"error":"invalid_client","error_description":"bad secret"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(u) && e.contains("invalid_client") && e.contains("bad secret"),
            "{e}"
        );
        for (status, body) in [
            (200, &b"not json"[..]),
            (200, br#"{"token_type":"bearer"}"#),
            (200, br#"{"access_token":"a","token_type":"mac"}"#),
            (200, br#"{"access_token":"a","expires_in":-5}"#),
            (200, br#"{"access_token":"a","expires_in":{}}"#),
            (500, b"<html>"),
            (400, b""),
        ] {
            let e = parse_token_response(u, "refresh_token", status, body).unwrap_err();
            assert!(e.to_string().contains(u), "{e}");
        }
        let t = parse_token_response(
            u,
            "refresh_token",
            200,
            br#"{"access_token":"a","expires_in":"120","refresh_token":"r","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("r"));
        let left = t
            .refresh_at
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(
            left <= Duration::from_secs(60),
            "renewed within a minute of expiry"
        );
    }

    #[test]
    fn short_lived_tokens_are_renewed_halfway() {
        let t = TokenSet::received("a".into(), Some(Duration::from_secs(4)), None);
        let head = t
            .expires_at
            .unwrap()
            .duration_since(t.refresh_at.unwrap())
            .unwrap();
        assert_eq!(head, Duration::from_secs(2));
    }

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        // base64url(SHA-256(verifier)) without padding, computed independently.
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mJ0kDVTPAOOfKeiiyG8x5M1JA3kPxA".into());
        assert_eq!(p.challenge, "-Osh9EvbwYuzkLajFR5C4ux2fustp_DuE3aSGnfSqEw");
        assert_eq!(Pkce::new().unwrap().verifier.len(), 43);
    }

    #[test]
    fn resources_and_extra_parameters_go_on_the_authorisation_request() {
        let c = OAuthClient::new("https://a.example/token", "id", None, vec!["read".into()])
            .unwrap()
            .with_params(
                vec!["https://api.example/".into(), "urn:x".into()],
                vec![("prompt".into(), "consent".into())],
                vec![("audience".into(), "https://api.example/".into())],
            )
            .unwrap();
        let pkce = Pkce::from_verifier("v".repeat(43));
        let url = c
            .authorize_url(
                "https://a.example/authorize",
                "http://127.0.0.1:1/callback",
                "st",
                &pkce,
            )
            .unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let has = |k: &str, v: &str| pairs.iter().any(|(a, b)| a == k && b == v);
        assert!(
            has("resource", "https://api.example/") && has("resource", "urn:x"),
            "{url}"
        );
        assert!(has("prompt", "consent") && has("scope", "read"), "{url}");
        assert!(
            !pairs.iter().any(|(k, _)| k == "audience"),
            "token only: {url}"
        );
        for name in [
            "redirect_uri",
            "Client_ID",
            "scope",
            "resource",
            "grant_type",
        ] {
            let e = OAuthClient::new("https://a.example/token", "id", None, vec![])
                .unwrap()
                .with_params(vec![], vec![(name.into(), "x".into())], vec![])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(name) && e.contains("set by the OAuth flow"),
                "{e}"
            );
        }
    }

    #[test]
    fn debug_output_redacts_tokens() {
        let t = TokenSet::received("acc-secret".into(), None, Some("ref-secret".into()));
        let c = OAuthClient::new(
            "https://a.example/token",
            "id",
            Some("cl-secret".into()),
            vec![],
        )
        .unwrap();
        let m = TokenManager::new(c, Some(t.clone()), None);
        let text = format!("{t:?} {m:?}");
        for s in ["acc-secret", "ref-secret", "cl-secret"] {
            assert!(!text.contains(s), "{text}");
        }
    }
}

#[cfg(test)]
mod concurrency_tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A token endpoint on loopback that counts requests and answers each with `body`
    /// (`{n}` replaced by the request number).
    async fn token_server(body: &'static str) -> (String, Arc<AtomicU64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU64::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Ok(k) = stream.read(&mut chunk).await else {
                            return;
                        };
                        if k == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..k]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text[..end]
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    let body = body.replace("{n}", &n.to_string());
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(resp.as_bytes()).await;
                });
            }
        });
        (url, hits)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_requests_in_flight_trigger_one_renewal() {
        let (url, hits) =
            token_server(r#"{"access_token":"tok-{n}","token_type":"bearer","expires_in":3600}"#)
                .await;
        let client = OAuthClient::new(&url, "id", Some("secret".into()), vec![]).unwrap();
        let m = Arc::new(TokenManager::new(client, None, None));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let m = m.clone();
                tokio::spawn(async move { m.access_token().await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "tok-1");
        }
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Many 401s for the same token: one renewal; the others get the new token.
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let m = m.clone();
                tokio::spawn(async move { m.after_unauthorized("tok-1").await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().as_deref(), Some("tok-2"));
        }
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert_eq!(m.renewals(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rotated_refresh_token_that_cannot_be_stored_is_not_used() {
        let (url, _) = token_server(
            r#"{"access_token":"new-{n}","token_type":"bearer","expires_in":3600,"refresh_token":"rot-{n}"}"#,
        )
        .await;
        let client = OAuthClient::new(&url, "id", None, vec![]).unwrap();
        let stored = TokenSet::stored(
            "old".into(),
            Some(SystemTime::now() - Duration::from_secs(1)),
            None,
            Some("ref-0".into()),
        );
        let persist: PersistFn = Arc::new(|_| Err("disk full".into()));
        let m = TokenManager::new(client.clone(), Some(stored.clone()), Some(persist));
        let e = m.access_token().await.unwrap_err();
        assert!(matches!(e, OAuthError::Persist(_)), "{e}");
        assert!(e.to_string().contains("rotated refresh token"), "{e}");
        // Still unsaved: the next request fails too instead of using it.
        assert!(matches!(
            m.access_token().await.unwrap_err(),
            OAuthError::Persist(_)
        ));

        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let persist: PersistFn = Arc::new(move |t: &TokenSet| {
            log.lock().unwrap().push(t.refresh_token.clone().unwrap());
            Ok(())
        });
        let m = TokenManager::new(client, Some(stored), Some(persist));
        let token = m.access_token().await.unwrap();
        let n = token.strip_prefix("new-").unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![format!("rot-{n}")]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tokens_rotated_by_another_process_are_picked_up_not_replayed() {
        let (url, hits) = token_server(
            r#"{"access_token":"new-{n}","token_type":"bearer","expires_in":3600,"refresh_token":"rot-{n}"}"#,
        )
        .await;
        let client = OAuthClient::new(&url, "id", None, vec![]).unwrap();
        let expired = Some(SystemTime::now() - Duration::from_secs(1));
        let ours = TokenSet::stored("old".into(), expired, None, Some("ref-0".into()));
        // Another process already rotated ref-0 and stored a fresh access token.
        let theirs = TokenSet::stored(
            "fresh".into(),
            Some(SystemTime::now() + Duration::from_secs(3600)),
            None,
            Some("ref-1".into()),
        );
        let store = Arc::new(std::sync::Mutex::new(theirs));
        let read = store.clone();
        let m = TokenManager::new(client.clone(), Some(ours.clone()), None)
            .with_reload(Arc::new(move || Some(read.lock().unwrap().clone())));
        assert_eq!(m.access_token().await.unwrap(), "fresh");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "the valid stored token was adopted"
        );

        // Their access token expired too: the refresh uses their (newer) refresh token.
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let url = refresh_recording_server(seen.clone()).await;
        let client = OAuthClient::new(&url, "id", None, vec![]).unwrap();
        *store.lock().unwrap() =
            TokenSet::stored("stale".into(), expired, None, Some("ref-1".into()));
        let read = store.clone();
        let m = TokenManager::new(client, Some(ours), None)
            .with_reload(Arc::new(move || Some(read.lock().unwrap().clone())));
        m.access_token().await.unwrap();
        assert_eq!(*seen.lock().unwrap(), vec!["ref-1".to_string()]);
    }

    /// A token endpoint that records the `refresh_token` of each request.
    async fn refresh_recording_server(seen: Arc<std::sync::Mutex<Vec<String>>>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut len = 0;
                    loop {
                        let n = stream.read(&mut buf[len..]).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        len += n;
                        let text = String::from_utf8_lossy(&buf[..len]);
                        if let Some(head_end) = text.find("\r\n\r\n") {
                            let want: usize = text[..head_end]
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if len >= head_end + 4 + want {
                                break;
                            }
                        }
                    }
                    let text = String::from_utf8_lossy(&buf[..len]).to_string();
                    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
                    if let Some((_, v)) = url::form_urlencoded::parse(body.as_bytes())
                        .find(|(k, _)| k == "refresh_token")
                    {
                        seen.lock().unwrap().push(v.into_owned());
                    }
                    let body = r#"{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"ref-2"}"#;
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(resp.as_bytes()).await;
                });
            }
        });
        url
    }
}
