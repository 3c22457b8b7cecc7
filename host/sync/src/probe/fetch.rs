//! The probe's requests: one GET through the connection's HTTP context, and what a failed
//! one means (a transport error, a status, a redirect off the allow-list) in words a user
//! can act on, with credentials masked in every URL shown.

use super::*;

/// How a request was redirected: the last redirect's status and the final URL.
#[derive(Debug, Clone)]
pub(super) struct Redirected {
    pub(super) hops: usize,
    pub(super) status: u16,
    pub(super) to: String,
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

/// `scheme://host:port` of a URL.
pub(super) fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_string())
}

/// A URL for a message: the values of query parameters that may carry credentials (APIs copy
/// keys and tokens into their next-page links) are masked; paging parameters stay readable.
pub(super) fn shown(url: &str) -> String {
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

/// The start of a body, for messages.
pub(super) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let cut: String = text.chars().take(160).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

impl Probe<'_> {
    /// Sends a GET and classifies the answer; `Ok` only for 2xx with a JSON body.
    pub(super) async fn get(&mut self, e: &Endpoint, url: String) -> Result<Page, Failure> {
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
        if status == 304 {
            return Err(Failure {
                cause: Cause::NotModified,
                message: format!("GET {} answered 304 Not Modified", shown(&url)),
            });
        }
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
            message: if e.to_string().contains("recursion limit") {
                // JSON, but nested past what is read: not a web page.
                format!(
                    "unexpected shape: GET {} answered {status} with JSON nested more than 128 levels deep ({e}); a record nested deeper than {} levels fails its table at sync",
                    shown(&url),
                    connector_agent_sdk::records::MAX_RECORD_DEPTH
                )
            } else {
                format!(
                "unexpected shape: GET {} answered {status} but the body is not JSON ({}): {}; check that `base_url` points at the API, not a web page",
                shown(&url),
                if resp.body.is_empty() { "it is empty".to_string() } else { e.to_string() },
                snippet(&resp.body)
            )
            },
        })?;
        Ok(Page {
            url,
            redirected,
            headers: resp.headers,
            bytes: resp.body,
            body,
        })
    }

    pub(super) fn transport_failure(&self, url: &str, e: &HttpError) -> Failure {
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

    pub(super) fn status_failure(&self, url: &str, status: u16, body: &[u8]) -> Failure {
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
                // What the user typed: a user name and password for basic auth.
                let what = if self
                    .model
                    .auth
                    .iter()
                    .all(|a| matches!(a, connector_agent_model::AuthScheme::Basic { .. }))
                    && !self.model.auth.is_empty()
                {
                    "the user name and password"
                } else {
                    "the key or token"
                };
                (
                    Cause::Unauthorized,
                    format!("credentials rejected: check {what}, and set it again with `connector-agent setup {id} --set NAME=VALUE`; where to get it: {fields}"),
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
            406 => (
                Cause::NotAcceptable,
                format!("the API does not answer in the media type asked for (the request's `Accept`): if its docs name another (JSON:API's `application/vnd.api+json`, a vendor's `+json` type), export the model with `connector-agent endpoints {id} --export FILE`, set that endpoint's `Accept` header, and import it with `--import FILE`"),
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
