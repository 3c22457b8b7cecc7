//! The docs-homepage crawler against sites served on `127.0.0.1:0` by an axum server that
//! each test starts: Markdown docs from the shared corpus turned into HTML at test time,
//! Swagger UI / Redoc / Stoplight pages pointing at a corpus OpenAPI document, robots.txt,
//! slow and huge responses, link loops and query-string explosions. No test touches the
//! real network; tests that need the corpus return early when it is absent.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use connector_agent_extract::crawl::crawl;
use connector_agent_extract::{
    extract_docs_url, read_document, CrawlLimits, CrawlResult, Error, SpecKind,
};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
use url::Url;

/// The corpus folder, when it is there.
fn corpus_dir() -> Option<PathBuf> {
    crate::support::corpus_with("docs/markdown")
}

/// What the test server answers for one path (or path and query).
#[derive(Clone)]
pub(crate) enum Resource {
    Html(String),
    File(&'static str, Vec<u8>),
    /// Answers after this long.
    Slow(Duration),
    /// Headers at once, then a few bytes every 100 ms, forever.
    Trickle,
    /// This many bytes of HTML, streamed without a Content-Length.
    Streamed(usize),
    Redirect(String),
    Status(u16),
    /// A page made from the request's URI, for its path and every path below it.
    Dynamic(fn(&Uri) -> String),
}

#[derive(Clone, Default)]
struct Site {
    resources: Arc<HashMap<String, Resource>>,
    /// Every request's path and query, in order.
    log: Arc<Mutex<Vec<String>>>,
}

/// A running test site.
pub(crate) struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub(crate) async fn start(resources: HashMap<String, Resource>) -> Self {
        let site = Site {
            resources: Arc::new(resources),
            log: Arc::default(),
        };
        let log = site.log.clone();
        let app = Router::new().fallback(respond).with_state(site);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{addr}"),
            log,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

async fn respond(State(site): State<Site>, uri: Uri) -> Response {
    let full = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    site.log.lock().unwrap().push(full.clone());
    let resource = site
        .resources
        .get(&full)
        .or_else(|| site.resources.get(uri.path()))
        .or_else(|| {
            // A dynamic resource also answers below its path (`/deep` answers `/deep/x/x`).
            site.resources.iter().find_map(|(path, resource)| {
                let below = uri.path().starts_with(&format!("{path}/"));
                (below && matches!(resource, Resource::Dynamic(_))).then_some(resource)
            })
        })
        .cloned();
    let html = |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body);
    match resource {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Resource::Html(body)) => html(body).into_response(),
        Some(Resource::Dynamic(make)) => html(make(&uri)).into_response(),
        Some(Resource::File(content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        Some(Resource::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            html("<p>too late</p>".into()).into_response()
        }
        Some(Resource::Trickle) => {
            let chunks = futures::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((Ok::<_, Infallible>(Bytes::from_static(b"<p>drip</p>")), ()))
            });
            let body = Body::from_stream(chunks);
            ([(header::CONTENT_TYPE, "text/html")], body).into_response()
        }
        Some(Resource::Streamed(size)) => {
            let chunk = Bytes::from(vec![b'a'; 1 << 20]);
            let count = size.div_ceil(1 << 20);
            let chunks =
                futures::stream::iter((0..count).map(move |_| Ok::<_, Infallible>(chunk.clone())));
            let body = Body::from_stream(chunks);
            ([(header::CONTENT_TYPE, "text/html")], body).into_response()
        }
        Some(Resource::Redirect(to)) => {
            (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
        }
        Some(Resource::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
    }
}

pub(crate) fn page(title: &str, body: &str) -> Resource {
    Resource::Html(format!(
        "<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"
    ))
}

pub(crate) fn no_progress() -> impl Fn(&str, usize) + Send + Sync {
    |_: &str, _: usize| {}
}

pub(crate) fn fast(limits: CrawlLimits) -> CrawlLimits {
    CrawlLimits {
        delay: Duration::ZERO,
        ..limits
    }
}

fn skipped_for<'a>(result: &'a CrawlResult, needle: &str) -> Vec<&'a (String, String)> {
    result
        .skipped
        .iter()
        .filter(|(url, reason)| url.contains(needle) || reason.contains(needle))
        .collect()
}

fn page_paths(result: &CrawlResult) -> BTreeSet<String> {
    result
        .pages
        .iter()
        .map(|p| Url::parse(&p.url).unwrap().path().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// A docs site made from a corpus folder of Markdown.

/// Where a Markdown file is served: `sections/a.md` → `/docs/sections/a.html`.
fn html_path(relative: &str) -> String {
    format!("/docs/{}", relative.strip_suffix(".md").unwrap_or(relative)) + ".html"
}

/// A relative link to a `.md` file, rewritten to `.html`; other links unchanged.
fn rewrite_link(dest: &str) -> String {
    if dest.contains("://") || dest.starts_with("mailto:") {
        return dest.to_string();
    }
    let (path, rest) = dest
        .find(['#', '?'])
        .map_or((dest, ""), |at| dest.split_at(at));
    match path.strip_suffix(".md") {
        Some(stem) => format!("{stem}.html{rest}"),
        None => dest.to_string(),
    }
}

/// The `.md` files below `dir`, as relative paths with `/`.
fn markdown_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy();
                out.push(relative.replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

struct MarkdownSite {
    resources: HashMap<String, Resource>,
    /// Served path → the link destinations (rewritten) of its Markdown.
    links: HashMap<String, Vec<String>>,
}

/// Turns every `.md` file below `dir` into an HTML page; `README.md` is also `/docs/`.
fn markdown_site(dir: &Path) -> MarkdownSite {
    let mut resources = HashMap::new();
    let mut links = HashMap::new();
    for relative in markdown_files(dir) {
        let markdown = std::fs::read_to_string(dir.join(&relative)).unwrap();
        let mut dests = Vec::new();
        let events: Vec<Event> = Parser::new_ext(&markdown, Options::ENABLE_TABLES)
            .map(|event| match event {
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let dest = rewrite_link(&dest_url);
                    dests.push(dest.clone());
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url: CowStr::from(dest),
                        title,
                        id,
                    })
                }
                other => other,
            })
            .collect();
        let mut body = String::new();
        pulldown_cmark::html::push_html(&mut body, events.into_iter());
        let resource = page(&relative, &body);
        let path = html_path(&relative);
        if relative == "README.md" {
            resources.insert("/docs/".to_string(), resource.clone());
            links.insert("/docs/".to_string(), dests.clone());
        }
        resources.insert(path.clone(), resource);
        links.insert(path, dests);
    }
    MarkdownSite { resources, links }
}

/// The served pages reachable from `/docs/` through the Markdown's own links: what a
/// complete crawl must find.
fn reachable(site: &MarkdownSite) -> BTreeSet<String> {
    let base = Url::parse("http://site.test/").unwrap();
    let mut found = BTreeSet::from(["/docs/".to_string()]);
    let mut todo = VecDeque::from(["/docs/".to_string()]);
    while let Some(path) = todo.pop_front() {
        let here = base.join(&path).unwrap();
        for dest in &site.links[&path] {
            let Ok(target) = here.join(dest) else {
                continue;
            };
            let target_path = target.path().to_string();
            if target.host_str() == Some("site.test")
                && site.resources.contains_key(&target_path)
                && found.insert(target_path.clone())
            {
                todo.push_back(target_path);
            }
        }
    }
    found
}

#[tokio::test]
async fn markdown_docs_site_is_crawled_completely() {
    let Some(corpus) = corpus_dir() else { return };
    let site = markdown_site(&corpus.join("docs/markdown/basecamp-bc3-api"));
    let expected = reachable(&site);
    assert!(expected.len() > 40, "{expected:?}");
    let server = Server::start(site.resources).await;
    let calls = AtomicUsize::new(0);
    let progress = |_: &str, _: usize| {
        calls.fetch_add(1, Ordering::Relaxed);
    };
    let limits = fast(CrawlLimits::default());
    let result = crawl(&server.url("/docs/"), &limits, &progress)
        .await
        .unwrap();

    assert_eq!(page_paths(&result), expected);
    assert_eq!(result.pages.len(), expected.len(), "a page was read twice");
    assert!(result.specs.is_empty());
    assert!(calls.load(Ordering::Relaxed) > expected.len());
    let projects = result
        .pages
        .iter()
        .find(|p| p.url.ends_with("/docs/sections/projects.html"))
        .unwrap();
    assert!(
        projects.text.contains("GET /projects.json"),
        "{}",
        projects.text
    );
    assert!(
        projects.text.contains("```json\n["),
        "code blocks stay fenced"
    );
    assert_eq!(projects.title.as_deref(), Some("sections/projects.md"));
    assert!(projects.html.contains("<h2>"));
    // Nothing was requested twice (robots.txt and 404s for dead links included).
    let requests = server.requests();
    let unique: BTreeSet<&String> = requests.iter().collect();
    assert_eq!(unique.len(), requests.len(), "{requests:?}");
    assert!(
        !result.skipped.iter().any(|(_, r)| r.contains("limit")),
        "{:?}",
        result.skipped
    );
}

#[tokio::test]
async fn page_limit_stops_the_crawl_with_a_note() {
    let Some(corpus) = corpus_dir() else { return };
    let site = markdown_site(&corpus.join("docs/markdown/toggl-api-v8"));
    assert!(reachable(&site).len() > 8);
    let server = Server::start(site.resources).await;
    let limits = fast(CrawlLimits {
        max_pages: 5,
        ..CrawlLimits::default()
    });
    let result = crawl(&server.url("/docs/"), &limits, &no_progress())
        .await
        .unwrap();
    assert_eq!(result.pages.len(), 5);
    let page_requests = server
        .requests()
        .iter()
        .filter(|r| r.as_str() != "/robots.txt")
        .count();
    assert_eq!(page_requests, 5);
    let notes = skipped_for(&result, "page limit of 5 reached");
    assert_eq!(notes.len(), 1, "{:?}", result.skipped);

    // Without a description, the crawled prose is extracted instead.
    let model = extract_docs_url(
        &server.url("/docs/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap();
    assert!(!model.endpoints.is_empty());
    assert_eq!(model.sources[0], server.url("/docs/"));
}

/// A site whose homepage links many blog posts before its API reference: with room for
/// only a few pages, the reference pages are read first and the blog is what is left off.
#[tokio::test]
async fn reference_pages_are_read_before_the_blog_when_pages_run_short() {
    let mut resources = HashMap::new();
    let mut links = String::new();
    for i in 0..8 {
        links.push_str(&format!(r#"<a href="/blog/post-{i}">Post {i}</a> "#));
        resources.insert(format!("/blog/post-{i}"), page("Post", "<p>News.</p>"));
    }
    links.push_str(r#"<a href="/api-reference/widgets">Widgets</a>"#);
    resources.insert("/".into(), page("Home", &links));
    resources.insert(
        "/api-reference/widgets".into(),
        page(
            "Widgets",
            "<h2>List widgets</h2><pre><code>GET https://api.widgets.test/v1/widgets</code></pre><pre><code>[{\"id\": 1}]</code></pre>",
        ),
    );
    let server = Server::start(resources).await;
    let limits = fast(CrawlLimits {
        max_pages: 3,
        ..CrawlLimits::default()
    });
    let result = crawl(&server.url("/"), &limits, &no_progress())
        .await
        .unwrap();
    let read: Vec<&str> = result.pages.iter().map(|p| p.url.as_str()).collect();
    assert!(
        read.iter().any(|u| u.ends_with("/api-reference/widgets")),
        "{read:?}"
    );
}

#[tokio::test]
async fn site_without_description_or_endpoints_is_a_clear_error() {
    let server = Server::start(HashMap::from([
        (
            "/".into(),
            page("Home", r#"<p>Welcome.</p><a href="/about">About</a>"#),
        ),
        ("/about".into(), page("About", "<p>We make things.</p>")),
    ]))
    .await;
    let err = extract_docs_url(
        &server.url("/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    match err {
        Error::NoMachineReadableSpec { url, pages, .. } => {
            assert_eq!(url, server.url("/"));
            assert_eq!(pages.len(), 2);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(text.contains("2 pages read"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Machine-readable descriptions.

/// The petstore OpenAPI 3.0 document from the corpus: YAML bytes and the same as JSON.
fn petstore(corpus: &Path) -> (Vec<u8>, Vec<u8>) {
    let path = corpus.join("openapi/petstore-expanded.oas30.yaml");
    let yaml = std::fs::read(&path).unwrap();
    let json = serde_json::to_vec(&read_document(&path).unwrap()).unwrap();
    (yaml, json)
}

#[tokio::test]
async fn swagger_ui_config_leads_to_the_spec_and_its_model() {
    let Some(corpus) = corpus_dir() else { return };
    let (yaml, _) = petstore(&corpus);
    let docs = r##"<div id="swagger-ui"></div>
        <script src="/static/swagger-ui-bundle.js"></script>
        <script>
          window.onload = function () {
            window.ui = SwaggerUIBundle({ url: "/spec/openapi.yaml", dom_id: "#swagger-ui" });
          };
        </script>"##;
    let server = Server::start(HashMap::from([
        ("/docs/".into(), page("API reference", docs)),
        (
            "/spec/openapi.yaml".into(),
            Resource::File("application/yaml", yaml),
        ),
    ]))
    .await;
    let start = server.url("/docs/");
    let limits = fast(CrawlLimits::default());
    let result = crawl(&start, &limits, &no_progress()).await.unwrap();
    assert_eq!(result.specs.len(), 1, "{:?}", result.skipped);
    let spec = &result.specs[0];
    assert_eq!(spec.kind, SpecKind::OpenApi);
    assert_eq!(spec.url, server.url("/spec/openapi.yaml"));
    assert_eq!(spec.found_on, start);
    assert_eq!(spec.how, "Swagger UI url");
    assert_eq!(spec.document["info"]["title"], "Swagger Petstore");
    // The Swagger UI bundle itself is a script, never fetched.
    assert!(!server
        .requests()
        .iter()
        .any(|r| r.contains("swagger-ui-bundle")));

    let model = extract_docs_url(&start, &limits, &no_progress())
        .await
        .unwrap();
    assert!(
        model.endpoints.iter().any(|e| e.path == "/pets"),
        "{model:?}"
    );
    assert!(model.sources.contains(&spec.url) && model.sources.contains(&start));
}

#[tokio::test]
async fn swagger_initializer_script_with_urls_is_followed() {
    let Some(corpus) = corpus_dir() else { return };
    let (yaml, json) = petstore(&corpus);
    let initializer = r#"window.onload = function() {
        window.ui = SwaggerUIBundle({
          urls: [{url: "./v1/openapi.json", name: "v1"}, {url: window.location.origin + "/v2/openapi.yaml", name: "v2"}],
          dom_id: '#swagger-ui',
        });
      };"#;
    let server = Server::start(HashMap::from([
        (
            "/docs/".into(),
            page("API", r#"<script src="swagger-initializer.js"></script>"#),
        ),
        (
            "/docs/swagger-initializer.js".into(),
            Resource::File("application/javascript", initializer.as_bytes().to_vec()),
        ),
        (
            "/docs/v1/openapi.json".into(),
            Resource::File("application/json", json),
        ),
        (
            "/v2/openapi.yaml".into(),
            Resource::File("text/plain", yaml),
        ),
    ]))
    .await;
    let result = crawl(
        &server.url("/docs/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap();
    let found: Vec<(&str, &str)> = result
        .specs
        .iter()
        .map(|s| (s.url.as_str(), s.how.as_str()))
        .collect();
    let v1 = server.url("/docs/v1/openapi.json");
    let v2 = server.url("/v2/openapi.yaml");
    assert_eq!(
        found,
        [
            (v1.as_str(), "Swagger UI url"),
            (v2.as_str(), "Swagger UI url")
        ],
        "{:?}",
        result.skipped
    );
}

#[tokio::test]
async fn redoc_stoplight_and_plain_links_are_found() {
    let Some(corpus) = corpus_dir() else { return };
    let (yaml, json) = petstore(&corpus);
    let variants: &[(&str, &str, &str)] = &[
        (
            r#"<redoc spec-url="/openapi.json"></redoc>"#,
            "/openapi.json",
            "Redoc spec-url",
        ),
        (
            r#"<div id="r"></div><script>Redoc.init('/openapi.json', {}, document.getElementById('r'))</script>"#,
            "/openapi.json",
            "Redoc.init",
        ),
        (
            r#"<p>Download <a href="api.json">the spec</a>.</p>"#,
            "/docs/api.json",
            "link to .json",
        ),
        (
            r#"<elements-api apiDescriptionUrl="/openapi.yaml" router="hash"></elements-api>"#,
            "/openapi.yaml",
            "Stoplight",
        ),
    ];
    for (body, spec_path, how) in variants {
        let server = Server::start(HashMap::from([
            ("/docs/".into(), page("API", body)),
            (
                "/openapi.json".into(),
                Resource::File("application/json", json.clone()),
            ),
            (
                "/docs/api.json".into(),
                Resource::File("application/json", json.clone()),
            ),
            (
                "/openapi.yaml".into(),
                Resource::File("application/x-yaml", yaml.clone()),
            ),
        ]))
        .await;
        let result = crawl(
            &server.url("/docs/"),
            &fast(CrawlLimits::default()),
            &no_progress(),
        )
        .await
        .unwrap();
        assert_eq!(result.specs.len(), 1, "{body}: {:?}", result.skipped);
        assert_eq!(result.specs[0].url, server.url(spec_path), "{body}");
        assert_eq!(result.specs[0].how, *how, "{body}");
        assert_eq!(result.specs[0].kind, SpecKind::OpenApi);
    }
}

#[tokio::test]
async fn postman_links_and_non_specs_are_told_apart() {
    let Some(corpus) = corpus_dir() else { return };
    let (_, json) = petstore(&corpus);
    let collection =
        std::fs::read(corpus.join("postman/wise-api.postman_collection.json")).unwrap();
    let docs = r#"
        <a href="https://documenter.getpostman.com/view/123/abc">Run in Postman</a>
        <a href="https://cdn.other.test/openapi.json">Off-site spec</a>
        <a href="/files/wise.postman_collection.json">Collection</a>
        <a href="/data/example.json">An example response</a>
        <a href="/broken.yaml">Broken</a>
        <a href="/reference.html">Reference</a>"#;
    let server = Server::start(HashMap::from([
        ("/".into(), page("API", docs)),
        (
            "/files/wise.postman_collection.json".into(),
            Resource::File("application/json", collection),
        ),
        (
            "/data/example.json".into(),
            Resource::File(
                "application/json",
                br#"{"id": 1, "info": {"name": "x"}}"#.to_vec(),
            ),
        ),
        (
            "/broken.yaml".into(),
            Resource::File("text/yaml", b"a: [1, 2\nb: 3\n".to_vec()),
        ),
        (
            "/reference.html".into(),
            page("Ref", r#"<redoc spec-url="/openapi.json"></redoc>"#),
        ),
        (
            "/openapi.json".into(),
            Resource::File("application/json", json),
        ),
    ]))
    .await;
    let start = server.url("/");
    let limits = fast(CrawlLimits::default());
    let result = crawl(&start, &limits, &no_progress()).await.unwrap();
    let kinds: Vec<(SpecKind, &str)> = result
        .specs
        .iter()
        .map(|s| (s.kind, s.how.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (SpecKind::Postman, "Postman link"),
            (SpecKind::OpenApi, "Redoc spec-url")
        ]
    );
    let postman = skipped_for(&result, "documenter.getpostman.com");
    assert!(
        postman[0].1.contains("Postman link") && postman[0].1.contains("off-site"),
        "{postman:?}"
    );
    let offsite = skipped_for(&result, "cdn.other.test");
    assert!(
        offsite[0].1.contains("off-site API description"),
        "{offsite:?}"
    );
    let example = skipped_for(&result, "/data/example.json");
    assert!(example[0].1.contains("neither an OpenAPI"), "{example:?}");
    let broken = skipped_for(&result, "/broken.yaml");
    assert!(
        broken[0].1.contains("invalid YAML") && broken[0].1.contains("line"),
        "{broken:?}"
    );
    // Nothing off-site was requested (the server would have seen nothing anyway; the
    // skipped notes prove the crawler did not try).
    assert!(!server.requests().iter().any(|r| r.contains("documenter")));

    // OpenAPI is preferred over Postman.
    let model = extract_docs_url(&start, &limits, &no_progress())
        .await
        .unwrap();
    assert!(model.endpoints.iter().any(|e| e.path == "/pets"));
}

// ---------------------------------------------------------------------------------------
// Politeness and bounds.

#[tokio::test]
async fn robots_txt_disallowed_pages_are_not_fetched() {
    let server = Server::start(HashMap::from([
        (
            "/robots.txt".into(),
            Resource::File(
                "text/plain",
                b"User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
                    .to_vec(),
            ),
        ),
        (
            "/".into(),
            page(
                "Home",
                r#"<a href="/private/secret.html">s</a><a href="/public.html">p</a>
                   <a href="/private/spec.json">spec</a>"#,
            ),
        ),
        (
            "/public.html".into(),
            page("Public", r#"<a href="/private/other.html">o</a>"#),
        ),
        ("/private/secret.html".into(), page("Secret", "<p>no</p>")),
        ("/private/other.html".into(), page("Other", "<p>no</p>")),
    ]))
    .await;
    let result = crawl(
        &server.url("/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(
        page_paths(&result),
        BTreeSet::from(["/".into(), "/public.html".into()])
    );
    let requests = server.requests();
    assert_eq!(requests[0], "/robots.txt");
    assert!(
        !requests.iter().any(|r| r.starts_with("/private/")),
        "{requests:?}"
    );
    let notes = skipped_for(&result, "disallowed by robots.txt");
    assert_eq!(notes.len(), 3, "{:?}", result.skipped);
}

#[tokio::test]
async fn robots_txt_naming_us_or_failing_blocks_the_start() {
    let blocked = Server::start(HashMap::from([
        (
            "/robots.txt".into(),
            Resource::File(
                "text/plain",
                b"User-agent: *\nAllow: /\n\nUser-agent: connector-agent\nDisallow: /\n".to_vec(),
            ),
        ),
        ("/".into(), page("Home", "<p>hi</p>")),
    ]))
    .await;
    let err = crawl(
        &blocked.url("/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Crawl { .. }), "{err}");
    assert!(
        err.to_string().contains("disallowed by robots.txt"),
        "{err}"
    );
    assert_eq!(blocked.requests(), ["/robots.txt"]);

    // RFC 9309: a robots.txt that fails with a 5xx means the site could not say: stay out.
    let failing = Server::start(HashMap::from([
        ("/robots.txt".into(), Resource::Status(503)),
        ("/".into(), page("Home", "<p>hi</p>")),
    ]))
    .await;
    let err = crawl(
        &failing.url("/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("robots.txt could not be read (HTTP 503 Service Unavailable)"),
        "{err}"
    );
    assert_eq!(failing.requests(), ["/robots.txt"]);
}

#[tokio::test]
async fn slow_and_huge_responses_are_skipped_and_the_crawl_finishes() {
    let fifty_mb = 50 * 1024 * 1024;
    let server = Server::start(HashMap::from([
        (
            "/".into(),
            page(
                "Home",
                r#"<a href="/slow.html">slow</a> <a href="/trickle.html">trickle</a>
                   <a href="/big.html">big</a> <a href="/declared.html">declared</a>
                   <a href="/ok.html">ok</a> <a href="/logo.png">logo</a> <a href="/gone">gone</a>"#,
            ),
        ),
        ("/slow.html".into(), Resource::Slow(Duration::from_secs(30))),
        ("/trickle.html".into(), Resource::Trickle),
        ("/big.html".into(), Resource::Streamed(fifty_mb)),
        ("/declared.html".into(), Resource::File("text/html", vec![b'a'; fifty_mb])),
        ("/ok.html".into(), page("OK", "<p>fine</p>")),
        ("/gone".into(), Resource::Status(410)),
    ]))
    .await;
    let limits = fast(CrawlLimits {
        timeout: Duration::from_secs(2),
        max_bytes: 200_000_000,
        ..CrawlLimits::default()
    });
    let began = Instant::now();
    let result = crawl(&server.url("/"), &limits, &no_progress())
        .await
        .unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(
        page_paths(&result),
        BTreeSet::from(["/".into(), "/ok.html".into()])
    );
    let reason = |path: &str| skipped_for(&result, path)[0].1.clone();
    assert!(reason("/slow.html").contains("timed out after 2s"));
    assert!(reason("/trickle.html").contains("timed out after 2s"));
    assert!(reason("/big.html").contains("over the per-page limit of 16000000 bytes"));
    assert!(reason("/declared.html").starts_with(&format!("{fifty_mb} bytes, over the per-page")));
    assert_eq!(reason("/gone"), "HTTP 410 Gone");
    assert!(!server.requests().iter().any(|r| r == "/logo.png"));
}

#[tokio::test]
async fn overall_deadline_stops_a_crawl_of_slow_pages() {
    // 50 pages that each take 20 s, under the default 15 s per-request timeout: without an
    // overall deadline this crawl would take 50 × 15 s.
    let links: String = (0..50)
        .map(|i| format!(r#"<a href="/p{i}.html">{i}</a>"#))
        .collect();
    let mut resources = HashMap::from([("/".to_string(), page("Home", &links))]);
    for i in 0..50 {
        resources.insert(
            format!("/p{i}.html"),
            Resource::Slow(Duration::from_secs(20)),
        );
    }
    let server = Server::start(resources).await;
    let limits = fast(CrawlLimits {
        deadline: Duration::from_millis(1500),
        ..CrawlLimits::default()
    });
    assert_eq!(CrawlLimits::default().deadline, Duration::from_secs(300));
    let requests = AtomicUsize::new(0);
    let progress = |_: &str, _: usize| {
        requests.fetch_add(1, Ordering::Relaxed);
    };
    let began = Instant::now();
    let result = crawl(&server.url("/"), &limits, &progress).await.unwrap();
    let took = began.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(page_paths(&result), BTreeSet::from(["/".into()]));
    let stopped = result.stopped.clone().expect("the crawl says it stopped");
    assert!(
        stopped.contains("the crawl's deadline of 1.5 s was reached after 1 pages"),
        "{stopped}"
    );
    // The page in flight and the queue left behind are both noted with the reason.
    let notes = skipped_for(&result, "deadline");
    assert!(
        notes
            .iter()
            .any(|(_, r)| r.starts_with("49 queued pages not fetched")),
        "{:?}",
        result.skipped
    );
    // robots.txt, the start page and the one slow page given up at the deadline.
    assert_eq!(requests.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn total_byte_budget_stops_the_crawl() {
    let links: String = (0..20)
        .map(|i| format!(r#"<a href="/p{i}.html">{i}</a>"#))
        .collect();
    let mut resources = HashMap::from([("/".to_string(), page("Home", &links))]);
    for i in 0..20 {
        resources.insert(format!("/p{i}.html"), Resource::Streamed(1 << 20));
    }
    let server = Server::start(resources).await;
    let limits = fast(CrawlLimits {
        max_bytes: 3_500_000,
        ..CrawlLimits::default()
    });
    let result = crawl(&server.url("/"), &limits, &no_progress())
        .await
        .unwrap();
    assert_eq!(
        result.pages.len(),
        4,
        "start + 3 pages of 1 MiB fit in 3.5 MB"
    );
    assert!(!skipped_for(&result, "the total byte limit of 3500000 bytes was reached").is_empty());
    assert!(
        !skipped_for(&result, "queued pages not fetched").is_empty(),
        "{:?}",
        result.skipped
    );
    assert!(server.requests().len() <= 6, "{:?}", server.requests());
}

fn pager(uri: &Uri) -> String {
    let n: u64 = uri
        .query()
        .and_then(|q| q.strip_prefix("page="))
        .and_then(|n| n.split('&').next()?.parse().ok())
        .unwrap_or(0);
    format!(
        r#"<html><body><p>page {n}</p><a href="?page={next}">next</a>
           <a href="/list?page={next}&amp;sort=asc">sorted</a><a href="/loop/a.html#top">a</a></body></html>"#,
        next = n + 1
    )
}

fn deep(uri: &Uri) -> String {
    format!(
        r#"<a href="{}/x">deeper</a>"#,
        uri.path().trim_end_matches('/')
    )
}

#[tokio::test]
async fn link_loops_query_explosions_and_redirect_loops_stay_bounded() {
    let server = Server::start(HashMap::from([
        (
            "/".into(),
            page(
                "Home",
                r#"<a href="/loop/a.html">a</a> <a href="/list?page=1">list</a>
                   <a href="/r1">redirects</a> <a href="./">self</a> <a href="/?">self</a>"#,
            ),
        ),
        (
            "/loop/a.html".into(),
            page("A", r#"<a href="b.html">b</a><a href="a.html">a</a>"#),
        ),
        (
            "/loop/b.html".into(),
            page("B", r#"<a href="a.html#x">a</a><a href="/">home</a>"#),
        ),
        ("/list".into(), Resource::Dynamic(pager)),
        ("/r1".into(), Resource::Redirect("/r2".into())),
        ("/r2".into(), Resource::Redirect("/r1".into())),
    ]))
    .await;
    let limits = fast(CrawlLimits {
        max_depth: 1000,
        ..CrawlLimits::default()
    });
    let began = Instant::now();
    let result = crawl(&server.url("/"), &limits, &no_progress())
        .await
        .unwrap();
    assert!(began.elapsed() < Duration::from_secs(10));
    let requests = server.requests();
    let list_requests = requests.iter().filter(|r| r.starts_with("/list")).count();
    assert_eq!(list_requests, 10, "{requests:?}");
    assert!(!skipped_for(&result, "more than 10 query-string variants of `/list`").is_empty());
    for path in ["/", "/loop/a.html", "/loop/b.html"] {
        assert_eq!(
            requests.iter().filter(|r| *r == path).count(),
            1,
            "{path}: {requests:?}"
        );
    }
    assert_eq!(skipped_for(&result, "/r1")[0].1, "more than 5 redirects");
    assert_eq!(
        requests
            .iter()
            .filter(|r| *r == "/r1" || *r == "/r2")
            .count(),
        6
    );

    // An endless chain of new paths stops at the depth limit.
    let chain = Server::start(HashMap::from([
        ("/".into(), page("Home", r#"<a href="/deep">deep</a>"#)),
        ("/deep".into(), Resource::Dynamic(deep)),
    ]))
    .await;
    let limits = fast(CrawlLimits {
        max_depth: 3,
        ..CrawlLimits::default()
    });
    let result = crawl(&chain.url("/"), &limits, &no_progress())
        .await
        .unwrap();
    assert_eq!(
        page_paths(&result),
        BTreeSet::from([
            "/".into(),
            "/deep".into(),
            "/deep/x".into(),
            "/deep/x/x".into()
        ])
    );
    assert_eq!(
        skipped_for(&result, "deeper than the depth limit of 3")[0].0,
        chain.url("/deep/x/x/x")
    );
}

#[tokio::test]
async fn start_redirect_to_another_origin_moves_the_crawl() {
    let target = Server::start(HashMap::from([
        (
            "/docs/".into(),
            page("Docs", r#"<a href="next.html">next</a>"#),
        ),
        ("/docs/next.html".into(), page("Next", "<p>n</p>")),
    ]))
    .await;
    // `localhost` is another origin than `127.0.0.1`, like `http` is to `https`.
    let moved = target.url("/docs/").replace("127.0.0.1", "localhost");
    let origin = Server::start(HashMap::from([(
        "/".into(),
        Resource::Redirect(moved.clone()),
    )]))
    .await;
    let result = crawl(
        &origin.url("/"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(result.start, moved);
    assert_eq!(result.pages.len(), 2, "{:?}", result.skipped);
    assert_eq!(
        target.requests(),
        ["/robots.txt", "/docs/", "/docs/next.html"]
    );
}

#[tokio::test]
async fn bad_start_urls_are_errors() {
    for start in ["docs.example.test", "mailto:a@b.c", "ftp://x.test/"] {
        let err = crawl(start, &CrawlLimits::default(), &no_progress())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("not an absolute http"),
            "{start}: {err}"
        );
    }
    let server = Server::start(HashMap::new()).await;
    let err = crawl(
        &server.url("/nope"),
        &fast(CrawlLimits::default()),
        &no_progress(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot crawl `{}`: HTTP 404 Not Found", server.url("/nope"))
    );
}

#[test]
fn crawl_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let limits = CrawlLimits::default();
    let progress = no_progress();
    assert_send(&crawl("http://127.0.0.1:9/", &limits, &progress));
    assert_send(&extract_docs_url("http://127.0.0.1:9/", &limits, &progress));
}
