//! OAuth 2.0 owned by the host, against a real OAuth server (`oauth2-mock-server`, run by
//! `tests/oauth/server.mjs`): client credentials, the code flow with PKCE through the CLI,
//! renewal before expiry with rotated refresh tokens, renewal after a 401, and commands
//! renewing at the same moment against a provider that revokes a grant on replay. Then the
//! same against a second, independent provider (`oidc-provider`, run by
//! `tests/oidc/server.mjs`): resource indicators, consent prompted before a refresh token,
//! rotation with reuse detection and 4-second tokens, `test` and `sync` at the same moment.
//!
//! Skipped with a notice when `node` or `tests/oauth/node_modules` is missing, unless
//! `CONNECTOR_AGENT_REQUIRE_OAUTH=1` (CI), which makes that a failure.

use crate::support::{connection, Setup};
use connector_agent_fixture::{Fault, FixtureAuth, FixtureConfig};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::oauth::{
    AuthorizeOptions, AUTHORIZE_PARAMS, REFRESH_TOKEN, RESOURCE, TOKEN_PARAMS,
};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CLIENT_ID: &str = "test-client";
const CLIENT_SECRET: &str = "test-secret";

/// A running `tests/oauth/server.mjs`; killed on drop.
struct OAuthServer {
    child: Child,
    issuer: String,
    jwks: String,
}

impl Drop for OAuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OAuthServer {
    /// Starts a server whose access tokens live `expires_in` seconds; `None` (after a
    /// notice) when node or the npm package is missing and OAuth tests are not required.
    fn start(expires_in: u64) -> Option<OAuthServer> {
        Self::start_with(expires_in, &[])
    }

    /// [`OAuthServer::start`] with more of `server.mjs`'s flags (`--revoke-on-replay`).
    fn start_with(expires_in: u64, flags: &[&str]) -> Option<OAuthServer> {
        let mut args = vec!["--expires-in".to_string(), expires_in.to_string()];
        args.extend(flags.iter().map(|f| f.to_string()));
        Self::spawn("oauth", "oauth2-mock-server", &args)
    }

    /// The second, independent provider (`tests/oidc/server.mjs`, oidc-provider), whose
    /// access tokens live `expires_in` seconds and are issued for [`OIDC_RESOURCE`].
    fn oidc(expires_in: u64) -> Option<OAuthServer> {
        let args = [
            "--expires-in".to_string(),
            expires_in.to_string(),
            "--resource".to_string(),
            OIDC_RESOURCE.to_string(),
        ];
        Self::spawn("oidc", "oidc-provider", &args)
    }

    /// Starts `tests/DIR/server.mjs` (npm package `package`) with the test client and
    /// `args`; `None` (after a notice) when node or the package is missing and OAuth tests
    /// are not required.
    fn spawn(dir: &str, package: &str, args: &[String]) -> Option<OAuthServer> {
        let name = dir;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let installed = dir.join("node_modules").join(package).is_dir();
        if !node || !installed {
            let why = if node {
                format!("tests/{name}/node_modules is missing (run `npm ci --prefix tests/{name}`)")
            } else {
                "`node` is not installed".to_string()
            };
            assert!(
                std::env::var("CONNECTOR_AGENT_REQUIRE_OAUTH").as_deref() != Ok("1"),
                "CONNECTOR_AGENT_REQUIRE_OAUTH=1 but {why}"
            );
            #[expect(
                clippy::print_stderr,
                reason = "a skipped test says why, on the test's own output"
            )]
            {
                eprintln!("skipping the OAuth test: {why}");
            }
            return None;
        }
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the OAuth server prints its address");
        let hello: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the OAuth server did not start ({e}): {line:?}"));
        Some(OAuthServer {
            child,
            issuer: hello["issuer"].as_str().unwrap().to_string(),
            jwks: hello["jwks"].to_string(),
        })
    }

    fn fixture(&self) -> FixtureConfig {
        self.fixture_for(None)
    }

    /// The fixture API trusting this server's tokens, only those for `audience` when given.
    fn fixture_for(&self, audience: Option<&str>) -> FixtureConfig {
        FixtureConfig {
            customers: 30,
            invoices_per_customer: 1,
            max_page_size: 10,
            auth: FixtureAuth::OAuthJwt {
                issuer: self.issuer.clone(),
                jwks: self.jwks.clone(),
                audience: audience.map(str::to_string),
            },
            ..FixtureConfig::default()
        }
    }

    /// Asks the token endpoint for a refresh grant; returns (status, body).
    async fn refresh(&self, refresh_token: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", CLIENT_ID),
            ])
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or_default())
    }
}

fn secrets(s: &Setup) -> std::collections::BTreeMap<String, String> {
    s.engine.home().load_secrets(&s.id).unwrap()
}

fn set(s: &Setup, values: &[(&str, &str)]) {
    let values: Vec<(String, String)> = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.engine.set_config(&s.id, &values).unwrap();
}

fn rows(report: &connector_agent_sync::SyncReport, table: &str) -> i64 {
    report
        .tables
        .iter()
        .find(|t| t.table == table)
        .unwrap()
        .rows_total
}

/// Waits until the stored access token is due for renewal (its renewal time follows its
/// lifetime), for at most 30 s.
async fn until_due(s: &Setup) {
    let due_at: u64 = secrets(s)[connector_agent_sync::oauth::REFRESH_AT]
        .parse()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        <= due_at
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the token never came due"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `connector-agent VERB ID` as a process of its own, on the connection's home.
fn cli_process(s: &Setup, verb: &str) -> Child {
    Command::new(crate::cli::binary())
        .env("CONNECTOR_AGENT_HOME", s._home.path())
        .env("CONNECTOR_AGENT_CACHE", crate::support::cache_dir())
        .args([verb, &s.id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts")
}

/// Runs the code flow through the library, "clicking" the authorise URL with an HTTP client
/// (the mock server approves at once and redirects to the loopback listener).
async fn authorize(s: &Setup) {
    let report = s
        .engine
        .authorize(
            &s.id,
            AuthorizeOptions {
                port: 0,
                timeout: Duration::from_secs(60),
            },
            |start| {
                let url = start.authorize_url.clone();
                tokio::spawn(async move {
                    let resp = reqwest::get(&url).await.expect("the redirect is followed");
                    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
                });
            },
        )
        .await
        .expect("authorize");
    assert!(report.refresh_token_stored);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_are_exchanged_by_the_host_and_a_wrong_secret_fails_the_check() {
    let Some(oauth) = OAuthServer::start(3600) else {
        return;
    };
    let s = connection(oauth.fixture()).await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    let field = |n: &str| model.config.iter().find(|f| f.name == n).cloned();
    assert!(field("client_secret").unwrap().secret);
    assert!(!field("client_id").unwrap().secret);
    assert_eq!(
        field("token_url").unwrap().default,
        Some(format!("{}/token", oauth.issuer)),
        "the docs' token URL is the default"
    );
    set(
        &s,
        &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
    );

    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(rows(&report, "customers"), 30);
    assert_eq!(rows(&report, "products"), s.fixture.products().len() as i64);
    let api: Vec<_> = s
        .fixture
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/"))
        .collect();
    assert!(!api.is_empty());
    for r in &api {
        let auth = r.header("authorization").unwrap_or_default();
        assert!(
            auth.starts_with("Bearer ey"),
            "a JWT on every request: {auth:?}"
        );
        assert_eq!(r.status, 200, "{} {}", r.path, r.status);
    }
    // The client secret never reaches the connector or its component.
    let conn = s.engine.home().load(&s.id).unwrap();
    let wasm = std::fs::read(conn.component.unwrap()).unwrap();
    assert!(!wasm
        .windows(CLIENT_SECRET.len())
        .any(|w| w == CLIENT_SECRET.as_bytes()));

    // A wrong secret: `test` reports "credentials accepted" failed with the endpoint's error.
    set(&s, &[("client_secret", "not-the-secret")]);
    let out = crate::cli::cli(s._home.path())
        .args(["--json", "test", &s.id])
        .assert()
        .code(2);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], false);
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "credentials accepted")
        .unwrap_or_else(|| panic!("no credentials check: {report:#}"));
    assert_eq!(check["ok"], false);
    let message = check["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{}/token", oauth.issuer)) && message.contains("invalid_client"),
        "{message}"
    );
    assert!(!stdout.contains("not-the-secret"), "the secret is printed");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["credentials accepted", "destination writable"],
        "a refused app is reported once, and the API is not probed without a token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authorize_runs_the_code_flow_with_pkce_and_stores_the_refresh_token_unprinted() {
    let Some(oauth) = OAuthServer::start(3600) else {
        return;
    };
    let s = connection(oauth.fixture()).await;
    // A public client: no secret, so only the code flow (with PKCE) can get a token.
    set(&s, &[("client_id", CLIENT_ID)]);
    let mut child = Command::new(crate::cli::binary())
        .env("CONNECTOR_AGENT_HOME", s._home.path())
        .env("CONNECTOR_AGENT_CACHE", crate::support::cache_dir())
        .args([
            "authorize",
            &s.id,
            "--port",
            "0",
            "--no-browser",
            "--timeout",
            "120",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let url = loop {
        let mut line = String::new();
        let n = stdout.read_line(&mut line).unwrap();
        assert!(n > 0, "authorize ended before printing a URL:\n{printed}");
        printed.push_str(&line);
        if line.trim().starts_with("http") && line.contains("/authorize?") {
            break line.trim().to_string();
        }
    };
    assert!(printed.contains("http://127.0.0.1:") && printed.contains("/callback"));
    let parsed = url::Url::parse(&url).unwrap();
    let q = |k: &str| {
        parsed
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(q("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(q("client_id").as_deref(), Some(CLIENT_ID));
    assert!(q("state").is_some_and(|s| s.len() >= 16));
    // A browser's idle speculative connection and a redirect with a wrong `state` (a stale tab
    // or a forgery) are refused without ending the flow.
    let redirect = url::Url::parse(&q("redirect_uri").unwrap()).unwrap();
    let idle =
        tokio::net::TcpStream::connect((redirect.host_str().unwrap(), redirect.port().unwrap()))
            .await
            .unwrap();
    let mut forged = redirect.clone();
    forged.set_query(Some("state=not-the-state&code=forged"));
    let refused = reqwest::get(forged).await.unwrap();
    assert_eq!(refused.status(), 400);
    // The idle connection stays open through the real redirect: connections are served
    // concurrently, so it delays nothing.
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    drop(idle);
    let out = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let output = child.wait_with_output().unwrap();
        (rest, output)
    })
    .await
    .unwrap();
    printed.push_str(&out.0);
    let stderr = String::from_utf8_lossy(&out.1.stderr).to_string();
    assert!(out.1.status.success(), "{printed}\n{stderr}");
    assert!(printed.contains("authorized"), "{printed}");

    let stored = secrets(&s);
    let refresh = stored
        .get(REFRESH_TOKEN)
        .expect("a refresh token is stored");
    let access = stored
        .get("access_token")
        .expect("an access token is stored");
    for secret in [refresh, access] {
        assert!(
            !printed.contains(secret.as_str()),
            "a token on stdout:\n{printed}"
        );
        assert!(
            !stderr.contains(secret.as_str()),
            "a token on stderr:\n{stderr}"
        );
    }

    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(rows(&report, "customers"), 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_renewed_before_expiry_and_the_rotated_refresh_token_is_stored() {
    // Tokens live 6 s, so the host renews them after 3 s; one API answer takes 7 s.
    let Some(oauth) = OAuthServer::start(6) else {
        return;
    };
    let s = connection(oauth.fixture()).await;
    set(&s, &[("client_id", CLIENT_ID)]);
    authorize(&s).await;
    let first = secrets(&s)[REFRESH_TOKEN].clone();
    s.fixture.reset_counters();
    s.fixture.inject(Fault::Delay {
        count: 1,
        millis: 7000,
    });
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(rows(&report, "customers"), 30);
    let requests = s.fixture.requests();
    assert!(
        requests.iter().all(|r| r.status != 401),
        "a request went out with an expired token"
    );
    let stored = secrets(&s)[REFRESH_TOKEN].clone();
    assert_ne!(stored, first, "the token was renewed during the sync");
    // The server rotates refresh tokens: the first one is dead, the stored one is live.
    let (status, body) = oauth.refresh(&first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = oauth.refresh(&stored).await;
    assert_eq!(
        status, 200,
        "the stored refresh token is the live one: {body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_renews_the_token_once_and_the_request_is_retried() {
    let Some(oauth) = OAuthServer::start(3600) else {
        return;
    };
    let s = connection(oauth.fixture()).await;
    set(&s, &[("client_id", CLIENT_ID)]);
    authorize(&s).await;
    let first = secrets(&s)[REFRESH_TOKEN].clone();
    s.fixture.reset_counters();
    s.fixture.inject(Fault::Unauthorized { count: 1 });
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(rows(&report, "customers"), 30);
    let unauthorized = s
        .fixture
        .requests()
        .iter()
        .filter(|r| r.status == 401)
        .count();
    assert_eq!(unauthorized, 1);
    let stored = secrets(&s)[REFRESH_TOKEN].clone();
    assert_ne!(stored, first, "the 401 renewed the token");
    let (status, _) = oauth.refresh(&first).await;
    assert_eq!(status, 400, "the refresh token used was rotated away");

    // Rejected again after renewal: the 401 reaches the connector, the sync fails clearly.
    s.fixture.inject(Fault::Unauthorized { count: 2 });
    let err = s
        .engine
        .sync(&s.id, SyncOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_renewing_at_once_take_turns_and_the_grant_survives() {
    // A provider that revokes the whole grant when a refresh token is presented twice (as
    // providers with rotation do), and tokens of 4 s, renewed 2 s before expiry: two `test`
    // commands start at the same moment with a due token, three times over. Without the
    // renewal lock both present the same refresh token and the grant is gone.
    let Some(oauth) = OAuthServer::start_with(4, &["--revoke-on-replay"]) else {
        return;
    };
    let s = connection(oauth.fixture()).await;
    set(&s, &[("client_id", CLIENT_ID)]);
    authorize(&s).await;
    let mut rotated = Vec::new();
    for round in 0..3 {
        // Until the stored token is due (its renewal time follows its 4 s lifetime).
        until_due(&s).await;
        let before = secrets(&s)[REFRESH_TOKEN].clone();
        let (a, b) = (cli_process(&s, "test"), cli_process(&s, "test"));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = secrets(&s)[REFRESH_TOKEN].clone();
        assert_ne!(after, before, "round {round}: the due token was renewed");
        rotated.push(before);
    }
    // The grant is alive: the stored refresh token is the live one.
    let stored = secrets(&s)[REFRESH_TOKEN].clone();
    let (status, body) = oauth.refresh(&stored).await;
    assert_eq!(status, 200, "the grant survived: {body}");
    let newest = body["refresh_token"].as_str().unwrap().to_string();
    // And the provider does revoke on replay, so a double renewal would have been caught.
    let (status, _) = oauth.refresh(&rotated[0]).await;
    assert_eq!(status, 400);
    let (status, body) = oauth.refresh(&newest).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a replay revoked the grant"
    );
}

/// The resource the second provider issues API tokens for (RFC 8707).
const OIDC_RESOURCE: &str = "https://billing.example.test/";

/// Reads the provider's pages as a person would: follows redirects, keeps its cookies, signs
/// in on the login form (any name) and approves on the consent form, until the provider
/// redirects to the loopback listener, which is then called.
async fn approve_in_the_browser(url: String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies: std::collections::BTreeMap<String, String> = Default::default();
    let mut next: (String, Option<Vec<(String, String)>>) = (url, None);
    for _ in 0..20 {
        let (url, form) = next;
        let mut req = match &form {
            Some(fields) => client.post(&url).form(fields),
            None => client.get(&url),
        };
        if !cookies.is_empty() {
            let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header("cookie", jar.join("; "));
        }
        let resp = req.send().await.expect("the provider answers");
        for c in resp.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        let status = resp.status();
        let here = url::Url::parse(&url).unwrap();
        if status.is_redirection() {
            let location = resp.headers()["location"].to_str().unwrap().to_string();
            let to = here.join(&location).unwrap();
            if to.path() == "/callback" {
                let done = reqwest::get(to.as_str())
                    .await
                    .expect("the listener answers");
                assert_eq!(done.status(), 200, "{:?}", done.text().await);
                return;
            }
            next = (to.to_string(), None);
            continue;
        }
        let html = resp.text().await.unwrap();
        assert!(status.is_success(), "{status} from {url}: {html}");
        let attr = |tag: &str, name: &str| {
            let key = format!("{name}=\"");
            let at = tag.find(&key)? + key.len();
            Some(tag[at..].split('"').next()?.to_string())
        };
        let form_tag = html
            .split("<form")
            .nth(1)
            .unwrap_or_else(|| panic!("no form on {url}: {html}"));
        let action = attr(form_tag, "action").expect("a form action");
        let mut fields = Vec::new();
        for input in form_tag.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap();
            let Some(name) = attr(tag, "name") else {
                continue;
            };
            let value = match (attr(tag, "value"), name.as_str()) {
                (Some(v), _) => v,
                (None, "login") => "data-engineer".to_string(),
                (None, "password") => "any".to_string(),
                (None, _) => String::new(),
            };
            fields.push((name, value));
        }
        next = (here.join(&action).unwrap().to_string(), Some(fields));
    }
    panic!("the provider never redirected back to the listener");
}

/// Runs the code flow through the library against the second provider, approving in its
/// pages; whether a refresh token was stored.
async fn authorize_at_the_provider(s: &Setup) -> bool {
    s.engine
        .authorize(
            &s.id,
            AuthorizeOptions {
                port: 0,
                timeout: Duration::from_secs(60),
            },
            |start| {
                tokio::spawn(approve_in_the_browser(start.authorize_url.clone()));
            },
        )
        .await
        .expect("authorize")
        .refresh_token_stored
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_provider_issues_api_tokens_only_for_the_resource_indicator_set_up() {
    // oidc-provider with resource indicators: without `oauth_resource` the client
    // credentials grant gives an opaque token the API refuses; with the API's resource, a JWT
    // for it; with another resource, `invalid_target`, named as what it is.
    let Some(p) = OAuthServer::oidc(3600) else {
        return;
    };
    let s = connection(p.fixture_for(Some(OIDC_RESOURCE))).await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    for field in [RESOURCE, AUTHORIZE_PARAMS, TOKEN_PARAMS] {
        let f = model.config.iter().find(|f| f.name == field);
        assert!(
            f.is_some_and(|f| !f.required && !f.secret),
            "{field}: {f:?}"
        );
    }
    set(
        &s,
        &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
    );
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(!test.ok, "a token not for the API: {:#?}", test.checks);
    let text = format!("{:?}", test.checks);
    assert!(text.contains("401"), "{text}");

    set(&s, &[(RESOURCE, "https://elsewhere.example.test/")]);
    let test = s.engine.test(&s.id).await.unwrap();
    let check = test
        .checks
        .iter()
        .find(|c| c.name == "credentials accepted")
        .unwrap();
    assert!(
        !check.ok && check.message.contains("invalid_target") && check.message.contains(RESOURCE),
        "{check:?}"
    );

    set(&s, &[(RESOURCE, OIDC_RESOURCE)]);
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(rows(&report, "customers"), 30);

    // A parameter the flow sets itself is refused, naming it.
    set(&s, &[(TOKEN_PARAMS, "grant_type=password")]);
    let err = s
        .engine
        .test(&s.id)
        .await
        .map(|t| format!("{:?}", t.checks));
    let text = match err {
        Ok(checks) => checks,
        Err(e) => e.to_string(),
    };
    assert!(
        text.contains("grant_type") && text.contains(TOKEN_PARAMS),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_provider_with_rotation_and_short_tokens_survives_test_and_sync_at_once() {
    // oidc-provider issues a refresh token only after consent is prompted, rotates it on every
    // use and revokes the whole grant when a used one comes back; its access tokens live 4 s.
    // Three times, with the stored token due, `test` and `sync` start at the same moment as
    // separate processes: both must succeed and the grant must survive.
    let Some(p) = OAuthServer::oidc(4) else {
        return;
    };
    let s = connection(p.fixture_for(Some(OIDC_RESOURCE))).await;
    set(
        &s,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scopes", "openid offline_access billing:read"),
            (RESOURCE, OIDC_RESOURCE),
        ],
    );
    assert!(
        !authorize_at_the_provider(&s).await,
        "no refresh token without consent prompted (the provider's rule)"
    );
    set(&s, &[(AUTHORIZE_PARAMS, "prompt=consent")]);
    assert!(
        authorize_at_the_provider(&s).await,
        "a refresh token after consent"
    );
    let test = s.engine.test(&s.id).await.unwrap();
    assert!(test.ok, "{:#?}", test.checks);

    let mut rotated = Vec::new();
    for round in 0..3 {
        until_due(&s).await;
        let before = secrets(&s)[REFRESH_TOKEN].clone();
        let (test, sync) = (cli_process(&s, "test"), cli_process(&s, "sync"));
        for (verb, child) in [("test", test), ("sync", sync)] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}, {verb}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = secrets(&s)[REFRESH_TOKEN].clone();
        assert_ne!(after, before, "round {round}: the due token was renewed");
        rotated.push(before);
    }
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert_eq!(rows(&report, "customers"), 30);

    // The provider does revoke on reuse: a used refresh token presented again ends the grant,
    // and the next command says what happened and the command that fixes it.
    let replay = reqwest::Client::new()
        .post(format!("{}/token", p.issuer))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rotated[0].as_str()),
            ("resource", OIDC_RESOURCE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    until_due(&s).await;
    let test = s.engine.test(&s.id).await.unwrap();
    let check = test
        .checks
        .iter()
        .find(|c| c.name == "credentials accepted")
        .unwrap();
    assert!(
        !check.ok
            && check.message.contains("invalid_grant")
            && check
                .message
                .contains(&format!("connector-agent authorize {}", s.id)),
        "{check:?}"
    );
}
