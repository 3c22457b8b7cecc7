//! OAuth 2.0 for a connection: its settings (model, config, secrets), the token manager the
//! host sends requests with, the authorisation-code flow on a loopback redirect listener, and
//! the "credentials accepted" check of Save & Test.
//!
//! Tokens are secrets: the refresh token, the access token and its expiry live in the
//! connection's secrets (written together through [`Workspace::update_secrets`]) and are never
//! printed.

use crate::app::{App, CheckOutcome};
use crate::error_chain;
use crate::{Connection, Workspace};
use crate::{Error, Result};
use connector_agent_model::{ApiModel, AuthScheme};
use connector_agent_runtime::oauth::{
    OAuthClient, PersistFn, Pkce, RenewalLockFn, TokenManager, TokenSet,
};
use connector_agent_runtime::Credentials;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Secret holding the refresh token.
pub const REFRESH_TOKEN: &str = "refresh_token";
/// Secret holding the current access token (also a config field one may paste).
pub const ACCESS_TOKEN: &str = "access_token";
/// Secret holding the access token's expiry (Unix seconds).
pub const EXPIRES_AT: &str = "access_token_expires_at";
/// Secret holding when the access token is renewed (Unix seconds): it follows the token's
/// lifetime, so a token of 30 s is not due again the moment another command loads it.
pub const REFRESH_AT: &str = "access_token_refresh_at";

/// Config field: resource indicators (RFC 8707) the tokens are asked for.
pub const RESOURCE: &str = "oauth_resource";
/// Config field: more parameters of the authorisation request.
pub const AUTHORIZE_PARAMS: &str = "oauth_authorize_params";
/// Config field: more parameters of every token request.
pub const TOKEN_PARAMS: &str = "oauth_token_params";

/// What the host knows about a connection's OAuth 2.0 app.
#[derive(Debug, Clone, Default)]
pub struct OAuthSettings {
    /// Token endpoint (config `token_url`, else the docs).
    pub token_url: Option<String>,
    /// Authorisation endpoint (config `authorization_url`, else the docs).
    pub authorization_url: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret` (never printed).
    pub client_secret: Option<String>,
    /// Scopes asked for (config `scopes`, space or comma separated, else the docs).
    pub scopes: Vec<String>,
    /// Resource indicators (config `oauth_resource`, RFC 8707; space separated).
    pub resources: Vec<String>,
    /// More authorisation request parameters (config `oauth_authorize_params`, `a=1&b=2`).
    pub authorize_params: Option<String>,
    /// More token request parameters (config `oauth_token_params`, `a=1&b=2`).
    pub token_params: Option<String>,
}

/// `name=value` pairs separated by `&` (as in a query string, percent-decoded); `Err` names
/// the part without a name.
fn pairs(field: &str, text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (k, v) in url::form_urlencoded::parse(text.trim().as_bytes()) {
        if k.trim().is_empty() {
            return Err(Error::Config(format!(
                "`{field}`: `{}` has no parameter name; write `name=value` pairs separated by `&`, e.g. `prompt=consent&access_type=offline`",
                v.escape_debug()
            )));
        }
        out.push((k.trim().to_string(), v.into_owned()));
    }
    Ok(out)
}

/// The settings of the model's first OAuth 2.0 scheme; `None` when it has none.
pub fn settings(
    model: &ApiModel,
    config: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Option<OAuthSettings> {
    let (authorization_url, token_url, scopes) = model.auth.iter().find_map(|s| match s {
        AuthScheme::OAuth2 {
            authorization_url,
            token_url,
            scopes,
        } => Some((authorization_url, token_url, scopes)),
        _ => None,
    })?;
    let value = |name: &str| {
        config
            .get(name)
            .or_else(|| secrets.get(name))
            .cloned()
            .or_else(|| {
                model
                    .config
                    .iter()
                    .find(|f| f.name == name)
                    .and_then(|f| f.default.clone())
            })
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let scopes = match value("scopes") {
        Some(text) => text
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => scopes.clone(),
    };
    Some(OAuthSettings {
        token_url: value("token_url").or_else(|| token_url.clone()),
        authorization_url: value("authorization_url").or_else(|| authorization_url.clone()),
        client_id: value("client_id"),
        client_secret: value("client_secret"),
        scopes,
        resources: value(RESOURCE)
            .map(|t| t.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        authorize_params: value(AUTHORIZE_PARAMS),
        token_params: value(TOKEN_PARAMS),
    })
}

impl OAuthSettings {
    /// The client, or a config error naming what is missing.
    pub fn client(&self) -> Result<OAuthClient> {
        let token_url = self.token_url.as_deref().ok_or_else(|| {
            Error::Config(
                "the documentation names no OAuth token URL; set `token_url` with `setup --set token_url=URL`".into(),
            )
        })?;
        let client_id = self.client_id.clone().ok_or_else(|| {
            Error::Config("`client_id` is not set (use `setup --set client_id=ID`)".into())
        })?;
        let read = |field: &str, text: &Option<String>| match text {
            Some(t) => pairs(field, t),
            None => Ok(Vec::new()),
        };
        let authorize_params = read(AUTHORIZE_PARAMS, &self.authorize_params)?;
        let token_params = read(TOKEN_PARAMS, &self.token_params)?;
        OAuthClient::new(
            token_url,
            client_id,
            self.client_secret.clone(),
            self.scopes.clone(),
        )
        .map_err(|e| Error::Config(format!("`token_url`: {e}")))?
        .with_params(self.resources.clone(), authorize_params, token_params)
        .map_err(|e| Error::Config(format!("`{AUTHORIZE_PARAMS}` or `{TOKEN_PARAMS}`: {e}")))
    }
}

/// Stored tokens, if any.
fn stored_tokens(secrets: &BTreeMap<String, String>) -> Option<TokenSet> {
    let refresh = secrets
        .get(REFRESH_TOKEN)
        .filter(|t| !t.is_empty())
        .cloned();
    let access = secrets.get(ACCESS_TOKEN).filter(|t| !t.is_empty()).cloned();
    let time = |key: &str| {
        secrets
            .get(key)
            .and_then(|s| s.parse::<u64>().ok())
            .map(|s| UNIX_EPOCH + Duration::from_secs(s))
    };
    let (expires_at, refresh_at) = (time(EXPIRES_AT), time(REFRESH_AT));
    match (access, refresh) {
        (Some(a), r) => Some(TokenSet::stored(a, expires_at, refresh_at, r)),
        // Only a refresh token: due at once.
        (None, Some(r)) => Some(TokenSet::stored(
            String::new(),
            Some(UNIX_EPOCH),
            None,
            Some(r),
        )),
        (None, None) => None,
    }
}

/// Writes a token set into the connection's secrets (atomically, through `Workspace`).
pub fn store_tokens(home: &Workspace, id: &str, tokens: &TokenSet) -> Result<()> {
    let secs = |at: SystemTime| {
        at.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .to_string()
    };
    let mut changes = vec![
        (ACCESS_TOKEN.to_string(), Some(tokens.access_token.clone())),
        (EXPIRES_AT.to_string(), tokens.expires_at.map(secs)),
        (REFRESH_AT.to_string(), tokens.refresh_at.map(secs)),
    ];
    if let Some(r) = &tokens.refresh_token {
        changes.push((REFRESH_TOKEN.to_string(), Some(r.clone())));
    }
    // One transaction: the refresh token, the access token and its expiry change together.
    Ok(home.update_secrets(id, &changes)?)
}

/// The connection's renewal lock: a file lock in its folder, so every process on this
/// machine that renews its token (a `test` while a `sync` runs, two schedules) takes turns;
/// the OS drops it when a process dies.
fn renewal_lock(home: &Workspace, id: &str) -> RenewalLockFn {
    let dir = home.dir(id);
    Arc::new(move || {
        let file = crate::store::files::try_lock_file(&dir, "oauth.lock")?;
        Ok(file.map(|f| Box::new(f) as Box<dyn Send>))
    })
}

/// The persist callback of a connection's token manager.
fn persist_fn(home: &Workspace, id: &str) -> PersistFn {
    let home = home.clone();
    let id = id.to_string();
    Arc::new(move |t: &TokenSet| store_tokens(&home, &id, t).map_err(|e| e.into()))
}

/// The host's credentials for a connection whose model has an OAuth 2.0 scheme: `None` when
/// there is no such scheme or nothing to get a token with yet (no client id, no tokens).
pub fn credentials(
    home: &Workspace,
    conn: &Connection,
    model: &ApiModel,
    secrets: &BTreeMap<String, String>,
) -> Result<Option<Credentials>> {
    let Some(settings) = settings(model, &conn.config, secrets) else {
        return Ok(None);
    };
    let stored = stored_tokens(secrets);
    if settings.client_id.is_none() || settings.token_url.is_none() {
        // A pasted access token without an app to renew it is a plain bearer token.
        return Ok(stored
            .filter(|t| !t.access_token.is_empty())
            .map(|t| Credentials::Bearer(t.access_token)));
    }
    let client = settings.client()?;
    if stored.is_none() && !client.has_secret() {
        return Ok(None);
    }
    let reload = {
        let (home, id) = (home.clone(), conn.id.clone());
        Arc::new(move || home.load_secrets(&id).ok().and_then(|s| stored_tokens(&s)))
    };
    Ok(Some(Credentials::OAuth2(Arc::new(
        TokenManager::new(client, stored, Some(persist_fn(home, &conn.id)))
            .with_reload(reload)
            .with_renewal_lock(renewal_lock(home, &conn.id)),
    ))))
}

/// What `authorize` needs before it waits: where to send the person.
#[derive(Debug, Clone)]
pub struct AuthorizeStart {
    /// The redirect URL to register with the provider.
    pub redirect_url: String,
    /// The URL the person opens.
    pub authorize_url: String,
}

/// What `authorize` stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuthorizeReport {
    /// Connection.
    pub connection: String,
    /// Whether the provider issued a refresh token (stored with the secrets).
    pub refresh_token_stored: bool,
    /// Seconds the access token lives, if the provider said.
    pub expires_in: Option<u64>,
    /// Token endpoint used.
    pub token_url: String,
}

/// Options of the code flow.
#[derive(Debug, Clone)]
pub struct AuthorizeOptions {
    /// Loopback port of the redirect listener (0: any free port).
    pub port: u16,
    /// How long to wait for the redirect.
    pub timeout: Duration,
}

impl App {
    /// The OAuth 2.0 settings of a connection, if its model has an OAuth 2.0 scheme.
    pub fn oauth_settings(&self, id: &str) -> Result<Option<OAuthSettings>> {
        let conn = self.home().load(id)?;
        let model = self.home().load_model(id)?;
        let secrets = self.home().load_secrets(id)?;
        Ok(settings(&model, &conn.config, &secrets))
    }

    /// The authorisation-code flow with PKCE: listens on `127.0.0.1:PORT/callback`, calls
    /// `started` with the redirect and authorise URLs, waits for the redirect, checks
    /// `state`, exchanges the code and stores the tokens with the secrets.
    pub async fn authorize(
        &self,
        id: &str,
        options: AuthorizeOptions,
        started: impl FnOnce(&AuthorizeStart),
    ) -> Result<AuthorizeReport> {
        let settings = self.oauth_settings(id)?.ok_or_else(|| {
            Error::Config(format!(
                "connection `{id}` does not use OAuth 2.0 (its documentation describes no OAuth 2.0 scheme)"
            ))
        })?;
        let client = settings.client()?;
        let authorization_url = settings.authorization_url.clone().ok_or_else(|| {
            Error::Config(
                "the documentation names no OAuth authorisation URL; set `authorization_url` with `setup --set authorization_url=URL`".into(),
            )
        })?;
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|e| {
                Error::Io(std::io::Error::new(
                    e.kind(),
                    format!(
                        "listening on 127.0.0.1:{} for the redirect: {e}",
                        options.port
                    ),
                ))
            })?;
        let port = listener.local_addr()?.port();
        let redirect_url = format!("http://127.0.0.1:{port}/callback");
        let state = connector_agent_runtime::oauth::random_token(16)?;
        let pkce = Pkce::new()?;
        let authorize_url = client
            .authorize_url(&authorization_url, &redirect_url, &state, &pkce)
            .map_err(|e| Error::Config(format!("`authorization_url`: {e}")))?;
        started(&AuthorizeStart {
            redirect_url: redirect_url.clone(),
            authorize_url: authorize_url.to_string(),
        });
        let code = tokio::time::timeout(options.timeout, wait_for_code(&listener, &state))
            .await
            .map_err(|_| Error::NotReady {
                id: id.into(),
                reason: format!(
                    "no redirect reached {redirect_url} within {}s; open the authorisation URL and approve access, or try again with a longer --timeout",
                    options.timeout.as_secs()
                ),
            })??;
        let tokens = client
            .exchange_code(&code, &redirect_url, &pkce.verifier)
            .await
            .map_err(|e| oauth_error(id, &e))?;
        store_tokens(self.home(), id, &tokens)?;
        Ok(AuthorizeReport {
            connection: id.into(),
            refresh_token_stored: tokens.refresh_token.is_some(),
            expires_in: tokens
                .expires_at
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map(|d| d.as_secs_f64().round() as u64),
            token_url: client.token_url().to_string(),
        })
    }

    /// Save & Test's OAuth 2.0 part: gets an access token from the token endpoint (a refresh
    /// or the client credentials grant) and returns a failed "credentials accepted" check
    /// naming the endpoint's error, or the missing step. `None` when a token was issued, or
    /// the connection does not use OAuth 2.0.
    pub(crate) async fn oauth_check(&self, id: &str) -> Result<Option<CheckOutcome>> {
        let conn = self.home().load(id)?;
        let model = self.home().load_model(id)?;
        let secrets = self.home().load_secrets(id)?;
        let Some(s) = settings(&model, &conn.config, &secrets) else {
            return Ok(None);
        };
        let failed = |message: String| CheckOutcome::failed("credentials accepted", message);
        let creds = match credentials(self.home(), &conn, &model, &secrets) {
            Ok(c) => c,
            Err(e) => return Ok(Some(failed(error_chain(&e)))),
        };
        let Some(Credentials::OAuth2(manager)) = creds else {
            if s.client_id.is_some() && s.client_secret.is_none() {
                return Ok(Some(failed(format!(
                    "no OAuth tokens yet: run `connector-agent authorize {id}` (or set `client_secret` for the client credentials grant)"
                ))));
            }
            return Ok(None);
        };
        // On success the API's own answer decides "credentials accepted" (the probe's check).
        Ok(manager
            .access_token()
            .await
            .err()
            .map(|e| failed(for_connection(id, error_chain(&e)))))
    }
}

fn oauth_error(id: &str, e: &connector_agent_runtime::OAuthError) -> Error {
    Error::NotReady {
        id: id.into(),
        reason: for_connection(id, error_chain(e)),
    }
}

/// A token error's text with the commands it names completed with the connection
/// (`connector-agent authorize ID`), so that it can be run as it stands.
fn for_connection(id: &str, text: String) -> String {
    text.replace(
        "`connector-agent authorize`",
        &format!("`connector-agent authorize {id}`"),
    )
}

/// Answers requests on the listener until the redirect with a code and the right `state`
/// arrives; a redirect carrying an OAuth error or a wrong `state` ends the flow with an error.
/// Connections are served concurrently: a browser's idle speculative connection (or any slow
/// one) never delays the real redirect.
async fn wait_for_code(listener: &tokio::net::TcpListener, state: &str) -> Result<String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<String>>(4);
    // Dropped on return, which ends every connection still open.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (tx, state) = (tx.clone(), state.to_string());
                connections.spawn(async move {
                    if let Some(outcome) = serve_redirect(stream, &state).await {
                        let _ = tx.send(outcome).await;
                    }
                });
            }
            Some(outcome) = rx.recv() => return outcome,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one connection to the loopback listener: `Some` when it decides the flow (the
/// code, or the provider's refusal), `None` when it does not (idle, reset, another path, a
/// wrong `state`).
async fn serve_redirect(mut stream: tokio::net::TcpStream, state: &str) -> Option<Result<String>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let read_head = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok::<(), std::io::Error>(())
    };
    // A connection that fails or says nothing in time is dropped; others are served meanwhile.
    match tokio::time::timeout(Duration::from_secs(60), read_head).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) | Err(_) => return None,
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("GET "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or("");
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        respond(&mut stream, 400, "Bad request.").await;
        return None;
    };
    if url.path() != "/callback" {
        respond(&mut stream, 404, "Not found.").await;
        return None;
    }
    let param = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state) {
        // A stale tab or a forged request: refused, and the real redirect is still awaited.
        respond(
            &mut stream,
            400,
            "The state does not match this authorisation request; use the link the terminal printed last.",
        )
        .await;
        tracing::warn!(
            "a redirect with a wrong `state` was refused; still waiting for the right one"
        );
        return None;
    }
    if let Some(error) = param("error") {
        respond(&mut stream, 400, "The provider refused the authorisation.").await;
        let description = param("error_description")
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Some(Err(Error::Config(format!(
            "the provider refused the authorisation: {error}{description}"
        ))));
    }
    let Some(code) = param("code").filter(|c| !c.is_empty()) else {
        respond(&mut stream, 400, "No code in the redirect.").await;
        return Some(Err(Error::Config(
            "the redirect carried neither a `code` nor an `error`".into(),
        )));
    };
    respond(
        &mut stream,
        200,
        "Authorised. You can close this window and return to the terminal.",
    )
    .await;
    let _ = stream.shutdown().await;
    Some(Ok(code))
}

async fn respond(stream: &mut tokio::net::TcpStream, status: u16, text: &str) {
    use tokio::io::AsyncWriteExt;
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let resp = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
}
