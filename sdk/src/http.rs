//! Requests through the host: URL building and response checks.

use crate::bindings::connector_agent::connector::host;
use crate::bindings::connector_agent::connector::types::{
    ConnectorError, HttpError, HttpRequest, HttpResponse,
};

pub(crate) fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![("accept".into(), "application/json".into())],
        body: None,
    }
}

/// A GET with the endpoint's required headers (one of them may replace `accept`).
pub(crate) fn get_with(url: String, headers: &[(&str, String)]) -> HttpRequest {
    let mut req = get(url);
    for (name, value) in headers {
        req.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        req.headers.push(((*name).to_string(), value.clone()));
    }
    req
}

pub(crate) fn describe_http_error(err: &HttpError) -> String {
    match err {
        HttpError::Denied(m) => format!("refused by the host's allow-list: {m}"),
        HttpError::InvalidUrl(m) => format!("invalid URL: {m}"),
        HttpError::Network(m) => format!("network error: {m}"),
        HttpError::Timeout(m) => format!("timed out: {m}"),
    }
}

/// Sends a GET and turns a non-2xx answer into an error naming the table, the URL and the
/// status; `304 Not Modified` is `None` when `conditional`: the request asked for changes
/// since a time (`If-Modified-Since`) and there are none.
pub(crate) fn send_unless_unchanged(
    table: &str,
    req: HttpRequest,
    conditional: bool,
) -> Result<Option<HttpResponse>, ConnectorError> {
    let url = req.url.clone();
    let resp = host::http_send(&req).map_err(|e| {
        ConnectorError::Http(format!(
            "table `{table}`: GET {url}: {}",
            describe_http_error(&e)
        ))
    })?;
    if conditional && resp.status == 304 {
        return Ok(None);
    }
    require_ok(table, &url, resp).map(Some)
}

/// Turns a non-2xx response into an error that names the table, the URL and the status.
pub(crate) fn require_ok(
    table: &str,
    url: &str,
    resp: HttpResponse,
) -> Result<HttpResponse, ConnectorError> {
    if (200..300).contains(&resp.status) {
        return Ok(resp);
    }
    Err(ConnectorError::Http(format!(
        "table `{table}`: GET {url} answered {}{}: {}",
        resp.status,
        status_hint(resp.status),
        snippet(&resp.body)
    )))
}

pub(crate) fn status_hint(status: u16) -> &'static str {
    match status {
        401 => " (credentials rejected: check the API key or token)",
        403 => " (forbidden: the credentials lack permission for this endpoint)",
        404 => " (not found: check the base URL and path)",
        406 => {
            " (not acceptable: the API does not answer in the media type of the `Accept` header)"
        }
        429 => " (rate limited after retries)",
        500..=599 => " (server error after retries)",
        _ => "",
    }
}

pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.replace(['\n', '\r'], " ")
}
