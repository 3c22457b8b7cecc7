//! Redirects are followed by the host, hop by hop: each hop passes the allow-list before any
//! byte is sent, credentials go only to the original origin, `Referer` is never sent.
//!
//! Two tiny HTTP servers on 127.0.0.1 (different ports, so different origins) record every
//! request they receive.

use connector_agent_runtime::bindings::types::{HttpError, HttpRequest};
use connector_agent_runtime::retry::RetryPolicy;
use connector_agent_runtime::{AllowList, Credentials, HttpContext};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "sekret-value-0123456789";

/// One request a server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query, as sent.
    target: String,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The whole request as received, to look for the secret anywhere in it.
    raw: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn holds_secret(&self) -> bool {
        let raw = String::from_utf8_lossy(&self.raw);
        let b64 = base64_of(&format!("user:{SECRET}"));
        raw.contains(SECRET) || raw.contains(&b64)
    }
}

fn base64_of(text: &str) -> String {
    // A dev-dependency-free base64 (standard alphabet, padded).
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An answer: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, String);
type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

struct Server {
    origin: String,
    entry: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn server(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Server {
    let handler: Handler = Arc::new(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, len) = loop {
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
                            break (end, len);
                        }
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.lines();
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_string();
                let target = first.next().unwrap_or_default().to_string();
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let request = Seen {
                    method,
                    target,
                    headers,
                    body: buf[head_end + 4..head_end + 4 + len].to_vec(),
                    raw: buf.clone(),
                };
                log.lock().unwrap().push(request.clone());
                let (status, extra, body) = handler(&request);
                let mut resp = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
                for (n, v) in extra {
                    resp.push_str(&format!("{n}: {v}\r\n"));
                }
                resp.push_str("\r\n");
                resp.push_str(&body);
                let _ = stream.write_all(resp.as_bytes()).await;
            });
        }
    });
    Server {
        origin: format!("http://{addr}"),
        entry: addr.to_string(),
        seen,
    }
}

fn ok_json() -> Answer {
    (200, vec![], r#"{"data":[]}"#.into())
}

fn redirect(status: u16, to: String) -> Answer {
    (status, vec![("location".into(), to)], String::new())
}

/// The four ways the host authenticates, with what the server sees of each.
fn auth_kinds() -> Vec<(&'static str, Credentials)> {
    vec![
        ("bearer", Credentials::Bearer(SECRET.into())),
        (
            "header key",
            Credentials::Header {
                name: "x-api-key".into(),
                value: SECRET.into(),
            },
        ),
        (
            "query key",
            Credentials::Query {
                name: "api_key".into(),
                value: SECRET.into(),
            },
        ),
        (
            "basic",
            Credentials::Basic {
                username: "user".into(),
                password: SECRET.into(),
            },
        ),
    ]
}

/// Whether a request carries the credentials of `kind`.
fn carries_credentials(kind: &str, r: &Seen) -> bool {
    match kind {
        "bearer" => r.header("authorization") == Some(&format!("Bearer {SECRET}")),
        "header key" => r.header("x-api-key") == Some(SECRET),
        "query key" => r.target.contains(&format!("api_key={SECRET}")),
        "basic" => {
            r.header("authorization")
                == Some(&format!("Basic {}", base64_of(&format!("user:{SECRET}"))))
        }
        _ => unreachable!(),
    }
}

fn context(allow: &[&str], credentials: Credentials) -> HttpContext {
    let mut http = HttpContext::new(AllowList::new(allow.iter().copied()), credentials);
    http.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    http
}

fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("referer".into(), "http://connector.invalid/".into()),
        ],
        body: None,
    }
}

#[tokio::test]
async fn a_redirect_to_a_host_outside_the_allow_list_is_refused_before_any_byte_is_sent() {
    for (kind, credentials) in auth_kinds() {
        let other = server(|_| ok_json()).await;
        let target = format!("{}/elsewhere?page=2", other.origin);
        let api = server(move |_| redirect(302, target.clone())).await;
        let http = context(&[&api.entry], credentials);
        let err = http
            .send(get(format!("{}/v1/items", api.origin)))
            .await
            .unwrap_err();
        let HttpError::Denied(message) = &err else {
            panic!("{kind}: expected a denial, got {err:?}");
        };
        let expected = format!(
            "GET {}/v1/items redirected (302) to {}/elsewhere: host `{}` is not in this connection's allow-list ({})",
            api.origin, other.origin, other.entry, api.entry
        );
        assert_eq!(message, &expected, "{kind}");
        assert!(
            !message.contains(SECRET),
            "{kind}: the message holds the secret"
        );
        assert!(
            other.requests().is_empty(),
            "{kind}: the host outside the allow-list received a request"
        );
        assert_eq!(api.requests().len(), 1, "{kind}");
    }
}

#[tokio::test]
async fn a_redirect_to_another_allowed_origin_carries_no_credentials_and_no_referer() {
    for status in [301, 302, 303, 307, 308] {
        for (kind, credentials) in auth_kinds() {
            let other = server(|_| ok_json()).await;
            // The API copies the key into the Location: it must not reach the other origin.
            let target = format!(
                "{}/moved?page=2&api_key={SECRET}&token={SECRET}",
                other.origin
            );
            let api = server(move |_| redirect(status, target.clone())).await;
            let http = context(&[&api.entry, &other.entry], credentials);
            let (resp, hops) = http
                .send_traced(get(format!("{}/v1/items", api.origin)))
                .await
                .unwrap_or_else(|e| panic!("{kind} {status}: {e:?}"));
            assert_eq!(resp.status, 200, "{kind} {status}");
            assert_eq!(hops.len(), 1);
            assert_eq!(hops[0].status, status);
            assert_eq!(hops[0].to, format!("{}/moved", other.origin));
            let first = &api.requests()[0];
            assert!(
                carries_credentials(kind, first),
                "{kind} {status}: the original origin got its credentials"
            );
            assert_eq!(first.header("referer"), None, "{kind}: no Referer, ever");
            let seen = other.requests();
            assert_eq!(seen.len(), 1, "{kind} {status}");
            let r = &seen[0];
            assert_eq!(r.path(), "/moved");
            assert!(r.target.contains("page=2"), "{kind}: other parameters stay");
            assert_eq!(r.header("authorization"), None, "{kind} {status}");
            assert_eq!(r.header("x-api-key"), None, "{kind} {status}");
            assert!(
                !r.target.contains("api_key"),
                "{kind} {status}: key parameter"
            );
            assert_eq!(r.header("referer"), None, "{kind} {status}");
            assert!(
                !r.holds_secret(),
                "{kind} {status}: the secret reached the other origin"
            );
        }
    }
}

#[tokio::test]
async fn a_same_origin_redirect_keeps_the_credentials() {
    for (kind, credentials) in auth_kinds() {
        let api = server(|r| match r.path() {
            "/old" => redirect(301, "/new?page=1".into()),
            _ => ok_json(),
        })
        .await;
        let http = context(&[&api.entry], credentials);
        let (resp, hops) = http
            .send_traced(get(format!("{}/old", api.origin)))
            .await
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(hops.len(), 1);
        let seen = api.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].path(), "/new");
        assert!(carries_credentials(kind, &seen[1]), "{kind}");
        if kind == "query key" {
            assert_eq!(
                seen[1].target.matches("api_key=").count(),
                1,
                "the key is added once"
            );
        }
        assert_eq!(seen[1].header("referer"), None);
    }
}

fn post(url: String) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        url,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(br#"{"q":1}"#.to_vec()),
    }
}

#[tokio::test]
async fn redirect_methods_follow_the_rfc() {
    // 303 (and 301/302 on a POST): GET without a body; 307/308: same method and body.
    for (status, method, body) in [
        (303, "GET", &b""[..]),
        (301, "GET", b""),
        (302, "GET", b""),
        (307, "POST", br#"{"q":1}"#),
        (308, "POST", br#"{"q":1}"#),
    ] {
        let api = server(move |r| match r.path() {
            "/search" => redirect(status, "/results".into()),
            _ => ok_json(),
        })
        .await;
        let http = context(&[&api.entry], Credentials::Bearer(SECRET.into()));
        http.send(post(format!("{}/search", api.origin)))
            .await
            .unwrap();
        let seen = api.requests();
        assert_eq!(seen.len(), 2, "{status}");
        assert_eq!(seen[1].method, method, "{status}");
        assert_eq!(seen[1].body, body, "{status}");
        if method == "GET" {
            assert_eq!(seen[1].header("content-type"), None, "{status}");
        }
    }
}

#[tokio::test]
async fn redirect_loops_and_endless_chains_end_with_a_clear_error() {
    let api = server(|r| match r.path() {
        "/a" => redirect(302, "/b".into()),
        "/b" => redirect(302, "/a".into()),
        p => {
            let n: u32 = p.trim_start_matches("/n/").parse().unwrap_or(0);
            redirect(302, format!("/n/{}", n + 1))
        }
    })
    .await;
    let http = context(&[&api.entry], Credentials::None);
    let err = http
        .send(get(format!("{}/a", api.origin)))
        .await
        .unwrap_err();
    let HttpError::Network(m) = &err else {
        panic!("{err:?}")
    };
    assert!(m.contains("redirect loop") && m.contains("/a"), "{m}");
    let err = http
        .send(get(format!("{}/n/0", api.origin)))
        .await
        .unwrap_err();
    let HttpError::Network(m) = &err else {
        panic!("{err:?}")
    };
    assert!(m.contains("more than 10 redirects"), "{m}");
}

#[tokio::test]
async fn each_hop_is_retried_on_429() {
    let count = Arc::new(Mutex::new(0u32));
    let c = count.clone();
    let api = server(move |r| match r.path() {
        "/start" => redirect(302, "/limited".into()),
        _ => {
            let mut n = c.lock().unwrap();
            *n += 1;
            if *n == 1 {
                (429, vec![("retry-after".into(), "0".into())], "{}".into())
            } else {
                ok_json()
            }
        }
    })
    .await;
    let http = context(&[&api.entry], Credentials::Bearer(SECRET.into()));
    let resp = http
        .send(get(format!("{}/start", api.origin)))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    let seen = api.requests();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|r| carries_credentials("bearer", r)));
}

#[tokio::test]
async fn error_messages_never_hold_a_secret() {
    // A Location that is not a URL, holding the key: the message shows neither.
    let api = server(|_| redirect(302, format!("http://[bad?api_key={SECRET}"))).await;
    let http = context(
        &[&api.entry],
        Credentials::Query {
            name: "api_key".into(),
            value: SECRET.into(),
        },
    );
    let err = http
        .send(get(format!("{}/x", api.origin)))
        .await
        .unwrap_err();
    assert!(
        !format!("{err:?}").contains(SECRET),
        "the error holds the key"
    );
}

#[tokio::test]
async fn required_headers_go_to_the_api_origin_only_over_the_connectors_own() {
    let other = server(|_| ok_json()).await;
    let target = format!("{}/moved", other.origin);
    let api = server(move |_| redirect(302, target.clone())).await;
    let mut http = context(&[&api.entry, &other.entry], Credentials::None);
    http.headers = vec![
        ("Api-Key".into(), SECRET.into()),
        ("Accept".into(), "application/vnd.api+json".into()),
    ];
    http.send_traced(get(format!("{}/v1/items", api.origin)))
        .await
        .unwrap();
    let first = &api.requests()[0];
    assert_eq!(first.header("api-key"), Some(SECRET));
    // The host's value replaces the connector's `accept`, not added beside it.
    assert_eq!(first.header("accept"), Some("application/vnd.api+json"));
    assert_eq!(
        first.headers.iter().filter(|(n, _)| n == "accept").count(),
        1
    );
    let moved = &other.requests()[0];
    assert_eq!(
        moved.header("api-key"),
        None,
        "a secret header crossed origins"
    );
    assert!(!moved.holds_secret());
}
