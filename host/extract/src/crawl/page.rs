//! One fetched HTML page, read without I/O: its title, the links to follow, and where it
//! points at a machine-readable API description (Swagger UI, Redoc, Stoplight Elements,
//! RapiDoc, plain links to `.json`/`.yaml`, Postman links). Its readable text comes from
//! [`crate::html::to_markdown`], the reader the prose extractor uses too.
//!
//! The page is parsed by `scraper` (html5ever), as a browser would parse it, so inline
//! `<script>` bodies are whole and hostile markup closes where a browser would close it.

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

/// What a page says, all URLs absolute and without fragments.
#[derive(Debug, Default)]
pub(crate) struct PageAnalysis {
    /// `<title>`, else the first `<h1>`.
    pub title: Option<String>,
    /// Links (`<a href>`, `<area href>`), in document order.
    pub links: Vec<Url>,
    /// Places the page names an API description.
    pub candidates: Vec<Candidate>,
    /// External scripts that configure Swagger UI (`swagger-initializer.js`), to fetch and scan.
    pub scripts: Vec<Url>,
    /// The webpack runtime of a Docusaurus page of the OpenAPI docs theme, whose chunks hold
    /// the vendor's operations (`crawl/docusaurus.rs`).
    pub runtimes: Vec<Url>,
    /// API descriptions embedded in the page itself (Redoc's state, a JSON script block,
    /// Stoplight's `apiDescriptionDocument`, Swagger UI's inline `spec`).
    pub embedded: Vec<Embedded>,
}

/// An API description found inside a page, and where in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Embedded {
    /// The description.
    pub document: Value,
    /// Where it was: `Redoc state`, `JSON script block`, ...
    pub how: &'static str,
}

/// A URL that may hold an API description, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// The URL.
    pub url: Url,
    /// How it was found: `link to .json`, `Swagger UI url`, `Redoc spec-url`, ...
    pub how: &'static str,
}

/// What a link is, judged by its URL alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkKind {
    /// Probably an HTML page.
    Page,
    /// A candidate API description.
    Spec(&'static str),
    /// A file that is neither HTML nor an API description (by extension).
    Other(String),
}

/// File extensions that are never HTML pages or API descriptions.
const OTHER_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "mjs", "map", "woff",
    "woff2", "ttf", "otf", "eot", "zip", "gz", "tgz", "tar", "bz2", "xz", "7z", "rar", "jar",
    "exe", "dmg", "pkg", "deb", "rpm", "msi", "mp3", "mp4", "m4a", "webm", "ogg", "wav", "avi",
    "mov", "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "xml", "rss", "atom", "txt",
    "wasm",
];

/// Reads a page fetched from `page_url`.
pub(crate) fn analyse(html: &str, page_url: &Url) -> PageAnalysis {
    let doc = Html::parse_document(html);
    let base = select_first(&doc, "base[href]")
        .and_then(|b| b.attr("href"))
        .and_then(|href| resolve(page_url, href))
        .unwrap_or_else(|| page_url.clone());

    let mut out = PageAnalysis {
        title: title(&doc),
        ..PageAnalysis::default()
    };

    for a in select(&doc, "a[href], area[href]") {
        let Some(url) = a.attr("href").and_then(|h| resolve(&base, h)) else {
            continue;
        };
        match link_kind(&url) {
            LinkKind::Spec(how) => out.candidates.push(Candidate { url, how }),
            LinkKind::Page | LinkKind::Other(_) => out.links.push(url),
        }
    }
    let attributes: &[(&str, &str, &'static str)] = &[
        ("redoc[spec-url]", "spec-url", "Redoc spec-url"),
        ("rapi-doc[spec-url]", "spec-url", "RapiDoc spec-url"),
        (
            "elements-api[apidescriptionurl]",
            "apidescriptionurl",
            "Stoplight",
        ),
        (
            "link[rel~=service-desc][href]",
            "href",
            "link rel=service-desc",
        ),
    ];
    for (selector, attr, how) in attributes {
        for element in select(&doc, selector) {
            if let Some(url) = element.attr(attr).and_then(|v| resolve(&base, v)) {
                out.candidates.push(Candidate { url, how });
            }
        }
    }
    for element in select(&doc, "elements-api[apidescriptiondocument]") {
        let text = element.attr("apidescriptiondocument").unwrap_or_default();
        if let Ok(document) = crate::parse_document_bytes(text.as_bytes(), page_url.as_str()) {
            push_embedded(
                &mut out.embedded,
                document,
                "Stoplight apiDescriptionDocument",
            );
        }
    }
    let docusaurus = super::docusaurus::is_openapi_page(&doc, html);
    for script in select(&doc, "script") {
        if script.attr("src").is_none() {
            let code: String = script.text().collect();
            let json_type = script
                .attr("type")
                .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
            for (document, how) in embedded_in_script(&code, json_type) {
                push_embedded(&mut out.embedded, document, how);
            }
        }
        match script.attr("src") {
            Some(src) => {
                if let Some(url) = resolve(&base, src) {
                    if url.path().ends_with("swagger-initializer.js") {
                        out.scripts.push(url);
                    } else if docusaurus && super::docusaurus::is_runtime(&url) {
                        out.runtimes.push(url);
                    }
                }
            }
            None => {
                let code: String = script.text().collect();
                out.candidates.extend(scan_script(&code, &base));
            }
        }
    }
    out
}

/// Finds API description URLs in JavaScript that configures Swagger UI (`url: "..."`,
/// `urls: [{url: "..."}]`), Redoc (`Redoc.init("...")`) or Stoplight Elements
/// (`apiDescriptionUrl: "..."`). Relative URLs resolve against `base`, the page that runs it.
pub(crate) fn scan_script(code: &str, base: &Url) -> Vec<Candidate> {
    let mut found = Vec::new();
    let mut push = |value: String, how: &'static str| {
        if let Some(url) = resolve(base, &value) {
            let candidate = Candidate { url, how };
            if !found.contains(&candidate) {
                found.push(candidate);
            }
        }
    };
    let swagger = ["SwaggerUIBundle", "SwaggerUI("]
        .iter()
        .filter_map(|marker| code.find(marker))
        .min();
    if let Some(at) = swagger {
        for value in key_values(&code[at..], "url") {
            push(value, "Swagger UI url");
        }
    }
    let mut rest = code;
    while let Some(at) = rest.find("Redoc.init(") {
        rest = &rest[at + "Redoc.init(".len()..];
        if let Some((value, _)) = string_literal(rest.trim_start()) {
            push(value, "Redoc.init");
        }
    }
    for value in key_values(code, "apiDescriptionUrl") {
        push(value, "Stoplight");
    }
    found
}

/// Objects searched at most for an embedded description inside one JSON value (a
/// framework's page data can be large; the description is near its top).
const EMBEDDED_SEARCH_NODES: usize = 200_000;

/// API descriptions embedded in one inline script: Redoc's `__redoc_state = {...}` (the
/// description is its `spec.data`) or `__redoc_definition = {...}`, Swagger UI's `spec: {...}` (written as JSON), or the
/// whole body of a JSON script block (`type="application/json"`, e.g. a framework's page
/// data holding the description anywhere inside, possibly as a JSON string).
fn embedded_in_script(code: &str, json_type: bool) -> Vec<(Value, &'static str)> {
    let mut found = Vec::new();
    if json_type {
        if let Ok(value) = serde_json::from_str::<Value>(code.trim()) {
            if let Some(spec) = find_description(value) {
                found.push((spec, "JSON script block"));
            }
        }
        return found;
    }
    // Redoc 2 hydrates from `__redoc_state` (the description at `spec.data`); Redoc 3
    // (`redocly build-docs`) from `__redoc_definition`, the description itself.
    for marker in ["__redoc_state", "__redoc_definition"] {
        let Some(at) = code.find(marker) else {
            continue;
        };
        let rest = &code[at + marker.len()..];
        if let Some(spec) = rest
            .trim_start()
            .strip_prefix('=')
            .and_then(json_value_at)
            .and_then(find_description)
        {
            found.push((spec, "Redoc state"));
        }
    }
    let swagger = ["SwaggerUIBundle", "SwaggerUI("]
        .iter()
        .filter_map(|marker| code.find(marker))
        .min();
    if let Some(at) = swagger {
        let config = &code[at..];
        let spec = key_rests(config, "spec")
            .into_iter()
            .find_map(|rest| json_value_at(rest).and_then(find_description));
        if let Some(spec) = spec {
            found.push((spec, "Swagger UI spec"));
        }
    }
    found
}

/// The JSON value that starts `text` (after blanks), if it is one; what follows it (`;`,
/// more code) is ignored.
fn json_value_at(text: &str) -> Option<Value> {
    let text = text.trim_start();
    if !text.starts_with(['{', '[']) {
        return None;
    }
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .next()?
        .ok()
}

/// The API description in `value`: `value` itself when it is one (a top-level `openapi` or
/// `swagger` version and a `paths` object, or a Postman collection), else the first one
/// found inside it, breadth first, also inside strings that hold JSON; `None` when there
/// is none within [`EMBEDDED_SEARCH_NODES`].
fn find_description(value: Value) -> Option<Value> {
    let is_description = |v: &Value| {
        let versioned = ["openapi", "swagger"]
            .iter()
            .any(|k| v.get(k).is_some_and(Value::is_string));
        let openapi = versioned && v.get("paths").is_some_and(Value::is_object);
        openapi || matches!(crate::detect_kind(v), crate::DocKind::Postman)
    };
    let mut queue = std::collections::VecDeque::from([value]);
    let mut seen = 0;
    while let Some(v) = queue.pop_front() {
        seen += 1;
        if seen > EMBEDDED_SEARCH_NODES {
            return None;
        }
        if is_description(&v) {
            return Some(v);
        }
        match v {
            Value::Object(map) => queue.extend(map.into_iter().map(|(_, v)| v)),
            Value::Array(items) => queue.extend(items),
            Value::String(text)
                if text.len() > 20
                    && text.trim_start().starts_with('{')
                    && (text.contains("\"openapi\"") || text.contains("\"swagger\"")) =>
            {
                if let Ok(inner) = serde_json::from_str::<Value>(&text) {
                    queue.push_back(inner);
                }
            }
            _ => {}
        }
    }
    None
}

/// Adds a description found in the page unless the same one is already there.
fn push_embedded(embedded: &mut Vec<Embedded>, document: Value, how: &'static str) {
    if !embedded.iter().any(|e| e.document == document) {
        embedded.push(Embedded { document, how });
    }
}

/// What a link is, by its host and path.
pub(crate) fn link_kind(url: &Url) -> LinkKind {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let path = url.path().to_ascii_lowercase();
    let postman_host = ["getpostman.com", "postman.com", "postman.co"]
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")));
    if postman_host || path.ends_with(".postman_collection.json") {
        return LinkKind::Spec("Postman link");
    }
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((_, ext)) = file.rsplit_once('.') else {
        return LinkKind::Page;
    };
    match ext {
        "json" => LinkKind::Spec("link to .json"),
        "yaml" => LinkKind::Spec("link to .yaml"),
        "yml" => LinkKind::Spec("link to .yml"),
        _ if OTHER_EXTENSIONS.contains(&ext) => LinkKind::Other(ext.to_string()),
        _ => LinkKind::Page,
    }
}

/// Resolves `href` against `base`: absolute `http(s)` only, fragment dropped, an empty query
/// removed. `mailto:`, `javascript:`, `tel:`, `data:` and the like give `None`.
pub(crate) fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    Some(url)
}

pub(super) fn select<'a>(doc: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    match Selector::parse(selector) {
        Ok(selector) => doc.select(&selector).collect(),
        Err(_) => Vec::new(),
    }
}

fn select_first<'a>(doc: &'a Html, selector: &str) -> Option<ElementRef<'a>> {
    select(doc, selector).into_iter().next()
}

fn title(doc: &Html) -> Option<String> {
    ["title", "h1"].iter().find_map(|selector| {
        let element = select_first(doc, selector)?;
        let text = collapse_whitespace(&element.text().collect::<String>());
        (!text.is_empty()).then_some(text)
    })
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Values of `key: "..."` (or `"key": "..."`) in JavaScript, in order. A value may be a
/// string literal, or an expression ending in `+ "..."` (`window.location.origin + "/x"`),
/// whose last literal is taken.
fn key_values(code: &str, key: &str) -> Vec<String> {
    key_rests(code, key)
        .into_iter()
        .filter_map(expression_literal)
        .collect()
}

/// What follows `key:` (or `"key":`) in JavaScript, for each place `key` stands as a
/// property name, in order.
fn key_rests<'a>(code: &'a str, key: &str) -> Vec<&'a str> {
    let mut rests = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(key) {
        let start = from + at;
        from = start + key.len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.') {
            continue;
        }
        let mut rest = &code[from..];
        if let Some(quote @ ('"' | '\'')) = before {
            match rest.strip_prefix(quote) {
                Some(r) => rest = r,
                None => continue,
            }
        }
        if let Some(rest) = rest.trim_start().strip_prefix(':') {
            rests.push(rest);
        }
    }
    rests
}

/// The string a short JavaScript expression ends with: adjacent literals joined by `+` are
/// concatenated, and anything else (`window.location.origin`) resets it, so
/// `origin + "/openapi.json"` gives `/openapi.json` and `"/v" + version` gives nothing.
fn expression_literal(expr: &str) -> Option<String> {
    let mut rest = expr.trim_start();
    let mut value: Option<String> = None;
    loop {
        match rest.chars().next() {
            Some('"' | '\'' | '`') => {
                let (literal, used) = string_literal(rest)?;
                value = Some(value.unwrap_or_default() + &literal);
                rest = rest[used..].trim_start();
            }
            Some(_) => {
                let end = rest
                    .find(['+', ',', '}', ']', ')', ';', '\n', '"', '\'', '`'])
                    .unwrap_or(rest.len());
                if end == 0 {
                    return None;
                }
                value = None;
                rest = rest[end..].trim_start();
            }
            None => break,
        }
        match rest.strip_prefix('+') {
            Some(after) => rest = after.trim_start(),
            None => break,
        }
    }
    value.filter(|v| !v.trim().is_empty())
}

/// A JavaScript string literal at the start of `text`: its value and the bytes it spans.
/// Template literals with `${...}` are dynamic and give `None`.
fn string_literal(text: &str) -> Option<(String, usize)> {
    let quote = text.chars().next()?;
    if !matches!(quote, '"' | '\'' | '`') {
        return None;
    }
    let mut value = String::new();
    let mut chars = text[1..].char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '\\' => {
                let (_, escaped) = chars.next()?;
                value.push(escaped);
            }
            '$' if quote == '`' && chars.peek().is_some_and(|(_, c)| *c == '{') => return None,
            '\n' if quote != '`' => return None,
            _ if ch == quote => return Some((value, 1 + i + ch.len_utf8())),
            _ => value.push(ch),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://docs.test/guide/intro.html").unwrap()
    }

    fn urls(candidates: &[Candidate]) -> Vec<(String, &'static str)> {
        candidates
            .iter()
            .map(|c| (c.url.to_string(), c.how))
            .collect()
    }

    fn hows(a: &PageAnalysis) -> Vec<(&'static str, Option<&str>)> {
        a.embedded
            .iter()
            .map(|e| {
                (
                    e.how,
                    e.document.pointer("/info/title").and_then(Value::as_str),
                )
            })
            .collect()
    }

    #[test]
    fn descriptions_embedded_in_the_page_are_read() {
        let spec = r#"{"openapi":"3.0.0","info":{"title":"Inside"},"paths":{"/a":{}}}"#;
        // Redoc's build-docs page: the state, the description at spec.data, a script
        // that goes on after it; a `</script>`-like text inside escaped as Redoc does.
        let redoc = format!(
            r#"<div id="redoc"></div><script>
              const __redoc_state = {{"menu":{{"activeItemIdx":-1}},"spec":{{"data":{spec}}},"options":{{"x":"\u003c/script>"}}}};
              var container = document.getElementById('redoc'); Redoc.hydrate(__redoc_state, container);
            </script>"#
        );
        assert_eq!(
            hows(&analyse(&redoc, &page())),
            [("Redoc state", Some("Inside"))]
        );
        let redoc3 = format!(
            r#"<script type="module">
              import {{ hydrate }} from "https://cdn.redocly.com/redoc/v3.0.1/bundles/redoc.standalone.js";
              const __redoc_definition = {spec};
              hydrate(__redoc_definition, document.getElementById("redoc"));
            </script>"#
        );
        assert_eq!(
            hows(&analyse(&redoc3, &page())),
            [("Redoc state", Some("Inside"))]
        );
        // A framework's page data: the description deep inside, once as a JSON string.
        let next = format!(
            r#"<script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{{"apis":[{{"oas":{}}}]}}}}}}</script>"#,
            serde_json::to_string(spec).unwrap()
        );
        assert_eq!(
            hows(&analyse(&next, &page())),
            [("JSON script block", Some("Inside"))]
        );
        // Swagger UI given the description inline, and Stoplight Elements given it as text.
        let swagger = format!(
            r#"<script>window.onload = () => {{ window.ui = SwaggerUIBundle({{ spec: {spec}, dom_id: '#swagger-ui' }}); }};</script>"#
        );
        assert_eq!(
            hows(&analyse(&swagger, &page())),
            [("Swagger UI spec", Some("Inside"))]
        );
        let elements = format!(
            r#"<elements-api apiDescriptionDocument='{spec}' router="hash"></elements-api>"#
        );
        assert_eq!(
            hows(&analyse(&elements, &page())),
            [("Stoplight apiDescriptionDocument", Some("Inside"))]
        );
        // Not descriptions: other JSON, broken JSON, a state without a spec.
        for html in [
            r#"<script type="application/json">{"openapi":"3.0.0","paths":"no"}</script>"#,
            r#"<script type="application/ld+json">{"@type":"WebSite"}</script>"#,
            r#"<script>const __redoc_state = {"spec": {"data": {"openapi": </script>"#,
            r#"<script>const __redoc_state = {"menu": {}};</script>"#,
            r#"<script>SwaggerUIBundle({ spec: window.spec })</script>"#,
        ] {
            assert!(analyse(html, &page()).embedded.is_empty(), "{html}");
        }
    }

    #[test]
    fn links_resolve_and_non_http_links_are_dropped() {
        let html = r##"<title> The  Guide </title>
            <a href="next.html#part">next</a> <a href="/abs">abs</a> <a href="#top">top</a>
            <a href="mailto:a@b.c">m</a> <a href="javascript:void(0)">j</a> <a href="tel:123">t</a>
            <a href="?">q</a> <a href="https://other.test/x">off</a> <a href="spec/api.JSON">spec</a>"##;
        let a = analyse(html, &page());
        assert_eq!(a.title.as_deref(), Some("The Guide"));
        let links: Vec<String> = a.links.iter().map(Url::to_string).collect();
        assert_eq!(
            links,
            [
                "http://docs.test/guide/next.html",
                "http://docs.test/abs",
                "http://docs.test/guide/intro.html",
                "https://other.test/x",
            ]
        );
        assert_eq!(
            urls(&a.candidates),
            [(
                "http://docs.test/guide/spec/api.JSON".to_string(),
                "link to .json"
            )]
        );
    }

    #[test]
    fn base_href_is_honoured() {
        let a = analyse(r#"<base href="/v2/"><a href="x.html">x</a>"#, &page());
        assert_eq!(a.links[0].as_str(), "http://docs.test/v2/x.html");
    }

    #[test]
    fn swagger_ui_configs_are_found() {
        let html = r#"<script>
            window.onload = () => {
              window.ui = SwaggerUIBundle({
                url: "/spec/openapi.yaml",
                configUrl: "/nope.json",
                oauth2RedirectUrl: "/nope2.json",
                urls: [{ "url": 'v1.json', name: "v1" }, {url: window.location.origin + "/v2.json"}],
                dom_id: '#swagger-ui',
              });
            };</script>
            <script src="/static/swagger-initializer.js"></script>
            <script src="/static/other.js"></script>"#;
        let a = analyse(html, &page());
        assert_eq!(
            urls(&a.candidates),
            [
                (
                    "http://docs.test/spec/openapi.yaml".to_string(),
                    "Swagger UI url"
                ),
                (
                    "http://docs.test/guide/v1.json".to_string(),
                    "Swagger UI url"
                ),
                ("http://docs.test/v2.json".to_string(), "Swagger UI url"),
            ]
        );
        let scripts: Vec<String> = a.scripts.iter().map(Url::to_string).collect();
        assert_eq!(scripts, ["http://docs.test/static/swagger-initializer.js"]);
    }

    #[test]
    fn redoc_stoplight_and_rapidoc_are_found() {
        let html = r#"<redoc spec-url="/redoc.yaml"></redoc>
            <elements-api apiDescriptionUrl="https://docs.test/elements.json" router="hash"></elements-api>
            <rapi-doc spec-url="rapi.json"></rapi-doc>
            <link rel="service-desc" href="/service.json">
            <script>Redoc.init( 'init.json', {}, document.getElementById('r'))</script>"#;
        let a = analyse(html, &page());
        assert_eq!(
            urls(&a.candidates),
            [
                ("http://docs.test/redoc.yaml".to_string(), "Redoc spec-url"),
                (
                    "http://docs.test/guide/rapi.json".to_string(),
                    "RapiDoc spec-url"
                ),
                ("https://docs.test/elements.json".to_string(), "Stoplight"),
                (
                    "http://docs.test/service.json".to_string(),
                    "link rel=service-desc"
                ),
                ("http://docs.test/guide/init.json".to_string(), "Redoc.init"),
            ]
        );
    }

    #[test]
    fn dynamic_script_values_are_not_guessed() {
        let base = page();
        let found = scan_script(
            r#"SwaggerUIBundle({ url: `/${version}/spec.json` }); SwaggerUIBundle({url: "/v" + v})"#,
            &base,
        );
        assert!(found.is_empty(), "{found:?}");
        assert!(scan_script(r#"var url = "/x.json"; fetch({url: "/y"})"#, &base).is_empty());
    }

    #[test]
    fn string_literals_unescape() {
        assert_eq!(
            string_literal(r#""a\/b\"c" rest"#),
            Some((r#"a/b"c"#.to_string(), 9))
        );
        assert_eq!(string_literal("'é' x"), Some(("é".to_string(), 4)));
        assert_eq!(string_literal("\"unterminated\n\""), None);
        assert_eq!(
            expression_literal(r#" "https://a.test" + "/b.json" }"#).as_deref(),
            Some("https://a.test/b.json")
        );
    }

    #[test]
    fn link_kinds() {
        let kind = |u: &str| link_kind(&Url::parse(u).unwrap());
        assert_eq!(kind("http://a.test/docs/"), LinkKind::Page);
        assert_eq!(kind("http://a.test/v1.2/users"), LinkKind::Page);
        assert_eq!(
            kind("http://a.test/openapi.yml?x=1"),
            LinkKind::Spec("link to .yml")
        );
        assert_eq!(
            kind("http://a.test/logo.PNG"),
            LinkKind::Other("png".into())
        );
        assert_eq!(
            kind("http://a.test/x.postman_collection.json"),
            LinkKind::Spec("Postman link")
        );
        assert_eq!(
            kind("https://documenter.getpostman.com/view/1/abc"),
            LinkKind::Spec("Postman link")
        );
    }
}
