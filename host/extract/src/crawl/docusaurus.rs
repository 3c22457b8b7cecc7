//! Docusaurus sites built with `docusaurus-plugin-openapi-docs`: each operation's page is
//! rendered in the browser from data the build puts in JavaScript chunks, so the static
//! HTML holds the method, path and description but neither parameters nor response schemas.
//! The plugin does keep the vendor's whole operation (parameters, responses with their
//! schemas resolved, servers, security) in each page's metadata, as `"api":"<base64 of the
//! zlib-deflated JSON>"`. The crawler lists the site's chunks from its webpack runtime
//! (`runtime~main.<hash>.js`), fetches them, and this module decodes the operations and
//! puts them back together as one OpenAPI document.
//!
//! Pure: no I/O. Decoding is bounded (a chunk's base64 text, the inflated bytes).

use std::io::Read as _;

use base64::Engine as _;
use scraper::Html;
use serde_json::{Map, Value};
use url::Url;

/// Inflated bytes of one operation at most.
const MAX_OPERATION_BYTES: u64 = 16 * 1024 * 1024;

/// Inflated bytes of all operations of a site at most (a few KB of base64 can inflate to
/// megabytes: the crawl's download budget does not bound what decoding makes of it).
pub(crate) const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Operations kept from one site at most.
const MAX_OPERATIONS: usize = 10_000;

/// Chunks listed from one runtime at most.
pub(crate) const MAX_CHUNKS: usize = 3_000;

/// Whether a page is a Docusaurus page of the OpenAPI docs theme (its generator meta tag,
/// and the theme's `openapi-` class names).
pub(crate) fn is_openapi_page(doc: &Html, html: &str) -> bool {
    let generator = super::page::select(doc, "meta[name=generator]")
        .into_iter()
        .filter_map(|m| m.attr("content"))
        .any(|c| c.trim_start().starts_with("Docusaurus"));
    generator && (html.contains("openapi-") || html.contains("api-method"))
}

/// Whether a script URL is a webpack runtime (`runtime~main.<hash>.js`).
pub(crate) fn is_runtime(url: &Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|name| name.starts_with("runtime~") && name.ends_with(".js"))
}

/// The chunk files a webpack runtime can load, from its chunk-file function:
/// `"assets/js/"+({36:"af32cf0f",…}[e]||e)+"."+{36:"d1290e22",…}[e]+".js"`. A chunk's file
/// sits beside the runtime (both under `assets/js/`).
pub(crate) fn chunk_urls(code: &str, runtime: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    let Some(at) = code.find("\"assets/js/\"+") else {
        return out;
    };
    let rest = &code[at + "\"assets/js/\"+".len()..];
    // An optional names map, then the hashes map.
    let (names, rest) = match rest.strip_prefix("(") {
        Some(r) => match object_literal(r) {
            Some((names, after)) => (names, after),
            None => return out,
        },
        None => (Vec::new(), rest),
    };
    let Some(start) = rest.find('{') else {
        return out;
    };
    // The hashes map follows within a few characters (`}[e]||e)+"."+{`).
    if start > 24 {
        return out;
    }
    let Some((hashes, _)) = object_literal(&rest[start..]) else {
        return out;
    };
    for (id, hash) in hashes.into_iter().take(MAX_CHUNKS) {
        let name = names
            .iter()
            .find(|(k, _)| *k == id)
            .map_or(id.as_str(), |(_, v)| v.as_str());
        let file = format!("{name}.{hash}.js");
        let plain = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '~' | '.'))
        };
        if !plain(&file) {
            continue;
        }
        if let Ok(url) = runtime.join(&file) {
            out.push(url);
        }
    }
    out
}

/// A JavaScript object literal of `key:"value"` pairs (keys bare, numeric or quoted) at the
/// start of `text`; the pairs and what follows the closing brace.
fn object_literal(text: &str) -> Option<(Vec<(String, String)>, &str)> {
    let body = text.strip_prefix('{')?;
    let end = body.find('}')?;
    let mut pairs = Vec::new();
    for entry in body[..end].split(',') {
        let (k, v) = entry.split_once(':')?;
        let unquote = |s: &str| s.trim().trim_matches('"').trim_matches('\'').to_string();
        pairs.push((unquote(k), unquote(v)));
    }
    Some((pairs, &body[end + 1..]))
}

/// The operations a chunk holds: every `"api":"eJ…"` decoded (base64, then zlib) into a
/// JSON object that names its `method` and `path`. `budget` is the inflated bytes left for
/// the site; what is inflated is taken from it, and an empty budget ends the decoding.
/// Also says how many operations were left out (cut at a size limit or past the budget).
pub(crate) fn operations_in(code: &str, budget: &mut u64) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut left_out = 0;
    let marker = "\"api\":\"";
    let mut rest = code;
    while let Some(at) = rest.find(marker) {
        if *budget == 0 {
            left_out += 1;
            break;
        }
        rest = &rest[at + marker.len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
            .unwrap_or(rest.len());
        let text = &rest[..len];
        rest = &rest[len..];
        // A zlib stream starts with 0x78, which base64 writes as `e` (`eJ` at the default
        // level, `eNo` at the best).
        if !text.starts_with('e') {
            continue;
        }
        let Ok(deflated) = base64::engine::general_purpose::STANDARD.decode(text) else {
            continue;
        };
        let mut json = Vec::new();
        let limit = MAX_OPERATION_BYTES.min(*budget);
        let inflated = flate2::read::ZlibDecoder::new(deflated.as_slice())
            .take(limit)
            .read_to_end(&mut json);
        *budget = budget.saturating_sub(json.len() as u64);
        // An operation cut at the limit is not whole: left out.
        if json.len() as u64 >= limit {
            left_out += 1;
            continue;
        }
        if inflated.is_err() {
            continue;
        }
        if let Ok(op @ Value::Object(_)) = serde_json::from_slice::<Value>(&json) {
            let named = op.get("method").is_some_and(Value::is_string)
                && op.get("path").is_some_and(Value::is_string);
            if named {
                out.push(op);
            }
        }
    }
    (out, left_out)
}

/// Operations put back together as one OpenAPI document.
#[derive(Debug, Default)]
pub(crate) struct Assembled {
    info: Option<Value>,
    servers: Option<Value>,
    schemes: Map<String, Value>,
    paths: Map<String, Value>,
}

/// Members the plugin adds to an operation that OpenAPI keeps elsewhere or not at all.
const PLUGIN_MEMBERS: &[&str] = &[
    "method",
    "path",
    "info",
    "servers",
    "securitySchemes",
    "postman",
    "jsonRequestBodyExample",
    "api",
];

impl Assembled {
    /// Adds one decoded operation (the first one of a method and path wins); false when
    /// [`MAX_OPERATIONS`] are already kept.
    pub(crate) fn add(&mut self, mut op: Value) -> bool {
        if self.len() >= MAX_OPERATIONS {
            return false;
        }
        let Some(map) = op.as_object_mut() else {
            return true;
        };
        let method = map
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let path = map
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];
        if !METHODS.contains(&method.as_str()) || !path.starts_with('/') {
            return true;
        }
        if self.info.is_none() {
            self.info = map.get("info").filter(|v| v.is_object()).cloned();
        }
        if self.servers.is_none() {
            self.servers = map.get("servers").filter(|v| v.is_array()).cloned();
        }
        if let Some(Value::Object(schemes)) = map.get("securitySchemes") {
            for (k, v) in schemes {
                self.schemes.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        for member in PLUGIN_MEMBERS {
            map.remove(*member);
        }
        let item = self
            .paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.entry(method).or_insert(op);
        }
        true
    }

    /// Operations added so far.
    pub(crate) fn len(&self) -> usize {
        self.paths
            .values()
            .filter_map(Value::as_object)
            .map(Map::len)
            .sum()
    }

    /// The document (OpenAPI 3.1, which reads 3.0's `nullable` too), if any operation was
    /// added.
    pub(crate) fn document(self) -> Option<Value> {
        if self.paths.is_empty() {
            return None;
        }
        let mut doc = Map::new();
        doc.insert("openapi".into(), "3.1.0".into());
        doc.insert(
            "info".into(),
            self.info.unwrap_or_else(
                || serde_json::json!({ "title": "API reference", "version": "unknown" }),
            ),
        );
        if let Some(servers) = self.servers {
            doc.insert("servers".into(), servers);
        }
        doc.insert("paths".into(), Value::Object(self.paths));
        if !self.schemes.is_empty() {
            doc.insert(
                "components".into(),
                serde_json::json!({ "securitySchemes": self.schemes }),
            );
        }
        Some(Value::Object(doc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn encoded(op: &Value) -> String {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(op.to_string().as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap())
    }

    #[test]
    fn the_runtime_lists_its_chunks_beside_it() {
        let code = r#"r.u=e=>"assets/js/"+({36:"af32cf0f",76:"common"}[e]||e)+"."+{36:"d1290e22",76:"316c94c9",237:"93348788"}[e]+".js",r.miniCssF=e=>{}"#;
        let runtime = Url::parse("http://d.test/docs/assets/js/runtime~main.428b54a8.js").unwrap();
        let urls: Vec<String> = chunk_urls(code, &runtime)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            urls,
            [
                "http://d.test/docs/assets/js/af32cf0f.d1290e22.js",
                "http://d.test/docs/assets/js/common.316c94c9.js",
                "http://d.test/docs/assets/js/237.93348788.js",
            ]
        );
        assert!(chunk_urls("no runtime here", &runtime).is_empty());
        // A hostile map cannot name a file elsewhere.
        let hostile = r#""assets/js/"+{1:"../../x?y"}[e]+".js""#;
        assert!(chunk_urls(hostile, &runtime).is_empty());
    }

    #[test]
    fn operations_are_decoded_and_assembled_into_one_document() {
        let list = serde_json::json!({
            "operationId": "listPets", "method": "get", "path": "/pets",
            "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer" } }],
            "responses": { "200": { "description": "ok" } },
            "servers": [{ "url": "https://api.test/v1" }],
            "info": { "title": "Pets", "version": "1" },
            "securitySchemes": { "key": { "type": "apiKey", "in": "header", "name": "X-Key" } },
            "postman": { "name": "x" }
        });
        let one = serde_json::json!({ "method": "get", "path": "/pets/{id}", "responses": {} });
        let code = format!(
            r#"e.exports=JSON.parse('{{"id":"list-pets","frontMatter":{{"api":"{}","sidebar_class_name":"get api-method"}}}}')}},{{x:1,"api":"{}"}},{{"api":"eJnotbase64!"}}"#,
            encoded(&list),
            encoded(&one)
        );
        let mut budget = MAX_INFLATED_BYTES;
        let (ops, left_out) = operations_in(&code, &mut budget);
        assert_eq!((ops.len(), left_out), (2, 0));
        assert!(budget < MAX_INFLATED_BYTES);
        let mut assembled = Assembled::default();
        for op in ops {
            assembled.add(op);
        }
        assert_eq!(assembled.len(), 2);
        let doc = assembled.document().unwrap();
        assert_eq!(doc["servers"][0]["url"], "https://api.test/v1");
        assert_eq!(doc["info"]["title"], "Pets");
        assert_eq!(doc["paths"]["/pets"]["get"]["operationId"], "listPets");
        assert!(doc["paths"]["/pets"]["get"].get("postman").is_none());
        assert!(doc["paths"]["/pets"]["get"].get("method").is_none());
        assert_eq!(doc["components"]["securitySchemes"]["key"]["name"], "X-Key");
    }

    #[test]
    fn inflating_is_bounded_by_the_sites_budget() {
        // 8 MB of one byte deflates to a few KB: three of them against a 20 MB budget.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![b' '; 8 * 1024 * 1024]).unwrap();
        let bomb = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
        assert!(bomb.len() < 64 * 1024);
        let code = format!(r#"{{"api":"{bomb}"}},{{"api":"{bomb}"}},{{"api":"{bomb}"}}"#);
        let mut budget = 20 * 1024 * 1024;
        // The third is cut at what is left of the budget: left out.
        assert_eq!(operations_in(&code, &mut budget), (vec![], 1));
        assert_eq!(
            budget, 0,
            "two whole bombs and part of a third were inflated, then none"
        );
        let mut none = 0;
        assert_eq!(operations_in(&code, &mut none), (vec![], 1));
    }
}
