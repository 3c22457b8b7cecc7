//! Stage: extract — API documentation in, [`ApiModel`] out.
//!
//! This crate reads OpenAPI 3.0, OpenAPI 3.1 and Swagger 2.0 documents (JSON or YAML) and
//! infers which `GET` operations list records worth syncing: the record array, primary key,
//! columns, pagination, incremental filter, parent→child links, auth and config fields.
//!
//! What it must not do: print, touch the network (except [`crawl`], the docs-homepage
//! crawler, which stays on one site and within limits), or panic or hang on hostile input. The
//! only I/O is [`read_document`] and [`extract_openapi_file`], which read one local file;
//! everything else works on a parsed [`serde_json::Value`]. Local `$ref`s are resolved by a
//! resolver of our own (cycles become JSON columns, dangling references skip the one
//! endpoint and say why), so one broken corner never fails a whole document.

mod bundle;
pub mod crawl;
mod document;
mod html;
mod infer;
mod input;
mod inputs;
pub mod merge;
mod nesting;
mod openapi;
mod pdf;
mod postman;
mod prose;
mod resolve;
mod schema;

use std::path::{Path, PathBuf};

pub use connector_agent_model::ApiModel;
use connector_agent_model::Pagination;

pub use crawl::{
    extract_crawled, extract_docs_url, CrawlLimits, CrawlResult, CrawledPage, FoundSpec, SpecKind,
};
pub use document::{parse_document_bytes, read_document};
pub use infer::observed;
pub use infer::pagination::{max_from_text, PAGING_CONTAINERS};
pub use input::{MAX_MARKDOWN_FILE_BYTES, MAX_MARKDOWN_TOTAL_BYTES, MAX_PDF_BYTES, MAX_SPEC_BYTES};
pub use inputs::{extract, Input};
pub use nesting::MAX_NESTING;
pub use pdf::{extract_pdf_file, pdf_text};
pub use postman::{
    detect_kind, extract_postman, extract_postman_file, extract_postman_report,
    extract_postman_with_env, DocKind,
};
pub use prose::{extract_markdown_dir, extract_markdown_file, extract_prose, ProseKind, ProsePage};

/// The Markdown-like text the prose reader sees for an HTML page (for tests and debugging).
pub fn html_to_markdown(html: &str) -> String {
    html::to_markdown(html)
}

/// Errors of the extract stage. Every message names the file or document and the place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The input is larger than its kind of input may be (checked while reading, so a
    /// device or a pipe is never read past the limit).
    #[error("`{}`: larger than {} ({what})", .path.display(), input::size_text(*.limit))]
    TooLarge {
        /// The file (or folder, for a limit on a folder's files together).
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
        /// Which limit it is, e.g. `the limit for PDF inputs`.
        what: &'static str,
    },
    /// The document nests deeper than [`MAX_NESTING`] levels; refused before parsing, since
    /// deep nesting makes the parsers slow.
    #[error("`{}`: nesting deeper than {limit} levels (at line {line})", .path.display())]
    TooDeep {
        /// The file or URL.
        path: PathBuf,
        /// The limit.
        limit: usize,
        /// The 1-based line where the limit was crossed.
        line: usize,
    },
    /// The file looks like JSON but is not valid JSON.
    #[error("invalid JSON in `{path}` at line {line}, column {column}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// The file is neither valid JSON nor valid YAML.
    #[error("invalid YAML in `{path}` at line {line}, column {column}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (0 when the parser gave no place).
        line: usize,
        /// 1-based column of the problem (0 when the parser gave no place).
        column: usize,
        /// What the parser said.
        #[source]
        source: yaml_serde::Error,
    },
    /// The document parsed but is not an OpenAPI or Swagger description.
    #[error("`{document}` is not an OpenAPI document: {reason}")]
    NotOpenApi {
        /// The document (file path or name).
        document: String,
        /// Why not.
        reason: String,
    },
    /// The document parsed but is not a Postman collection (v2.0 or v2.1).
    #[error("`{document}` is not a Postman collection: {reason}")]
    NotPostman {
        /// The document (file path or name).
        document: String,
        /// Why not.
        reason: String,
    },
    /// The document declares a version this crate does not read.
    #[error("`{document}` declares unsupported version `{version}` in `{field}`: {supported}")]
    UnsupportedVersion {
        /// The document.
        document: String,
        /// `openapi` or `swagger`.
        field: &'static str,
        /// The declared version.
        version: String,
        /// What is supported.
        supported: &'static str,
    },
    /// The document's structure is wrong at a place that cannot be skipped.
    #[error("`{document}` at `{pointer}`: {reason}")]
    Structure {
        /// The document.
        document: String,
        /// JSON pointer of the place, e.g. `#/paths`.
        pointer: String,
        /// What is wrong.
        reason: String,
    },
    /// A PDF could not be turned into text (unreadable, hostile, or too slow).
    #[error("cannot read PDF `{path}`: {reason}")]
    Pdf {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// Prose documentation could not be read as a whole (no pages, too much text, ...).
    #[error("cannot read documentation `{document}`: {reason}")]
    Prose {
        /// The file, folder or name of the documentation.
        document: String,
        /// Why not.
        reason: String,
    },
    /// A documentation site could not be crawled at all (its start page is unreadable).
    #[error("cannot crawl `{url}`: {reason}")]
    Crawl {
        /// The start URL.
        url: String,
        /// Why not.
        reason: String,
    },
    /// The crawled site names no OpenAPI, Swagger or Postman description, and its prose
    /// names no endpoint either. The pages are kept for the caller to show or read.
    #[error(
        "no OpenAPI, Swagger or Postman description found on `{url}`, and its prose names no \
         endpoint ({} pages read)",
        .pages.len()
    )]
    NoMachineReadableSpec {
        /// The start URL.
        url: String,
        /// The pages read.
        pages: Vec<CrawledPage>,
        /// URLs not read, with the reason.
        skipped: Vec<(String, String)>,
    },
    /// The inputs document no list endpoint, so there is no table to sync.
    #[error(
        "no list endpoint found in {read}: nothing to sync. A table comes from an endpoint that returns many records (`GET /widgets`); single-record reads (`GET /me`, `GET /widgets/{{id}}`) and writes are not synced.{} Give the API reference that documents its lists (an OpenAPI or Postman file, or the reference pages' URL)",
        inputs::seen_text(.seen)
    )]
    NoLists {
        /// The inputs read, for the message.
        read: String,
        /// The `GET` operations the documents do show, each with why it is not a table.
        seen: Vec<Skipped>,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A `GET` operation that was looked at but not proposed as an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// HTTP method (upper case).
    pub method: String,
    /// Path template as documented.
    pub path: String,
    /// JSON pointer of the operation in the document.
    pub pointer: String,
    /// Why it was not proposed.
    pub reason: String,
}

/// The full result of an extraction: the model plus what was left out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// The model.
    pub model: ApiModel,
    /// `GET` operations that were not proposed, with the reason, in path order.
    pub skipped: Vec<Skipped>,
    /// Problems that did not stop extraction (e.g. the typed OpenAPI 3.0 reader's complaint).
    pub warnings: Vec<String>,
}

/// Reads an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML) and extracts its model.
pub fn extract_openapi_file(path: &Path) -> Result<ApiModel> {
    let mut doc = read_document(path)?;
    bundle::bundle_file_refs(&mut doc, path)?;
    extract_openapi(&doc, &path.display().to_string())
}

/// Extracts any documentation file by its content: a folder of Markdown, a PDF (`%PDF`), a
/// Markdown file (`.md`, `.markdown`), a Postman collection, else an OpenAPI 3.x or Swagger
/// 2.0 document (its file `$ref`s bundled). The one entry for "a file the user gave".
pub fn extract_file(path: &Path) -> Result<ApiModel> {
    file_report(path).map(|x| x.model)
}

/// Like [`extract_file`], with the operations not proposed and why.
pub(crate) fn file_report(path: &Path) -> Result<Extraction> {
    if path.is_dir() {
        return prose::markdown_dir_report(path);
    }
    let head = {
        use std::io::Read;
        let mut buf = [0u8; 5];
        let file = std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let n = file.take(5).read(&mut buf).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        buf[..n].to_vec()
    };
    if head.starts_with(b"%PDF") {
        return pdf::pdf_report(path);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
    {
        return prose::markdown_file_report(path);
    }
    let doc = read_document(path)?;
    match detect_kind(&doc) {
        DocKind::Postman => extract_postman_report(&doc, None, &path.display().to_string()),
        _ => openapi_file_report(doc, path),
    }
}

pub(crate) fn openapi_file_report(mut doc: serde_json::Value, path: &Path) -> Result<Extraction> {
    bundle::bundle_file_refs(&mut doc, path)?;
    openapi::extract(&doc, &path.display().to_string(), false)
}

/// Extracts the model of an OpenAPI 3.0/3.1 or Swagger 2.0 document. `source` names the
/// document in errors and in [`ApiModel::sources`].
pub fn extract_openapi(doc: &serde_json::Value, source: &str) -> Result<ApiModel> {
    Ok(openapi::extract(doc, source, false)?.model)
}

/// Like [`extract_openapi`], but also returns the skipped operations with their reasons and
/// any warnings (for OpenAPI 3.0 this includes validation by the typed `openapiv3` reader,
/// which never fails the extraction).
pub fn extract_openapi_report(doc: &serde_json::Value, source: &str) -> Result<Extraction> {
    openapi::extract(doc, source, true)
}

/// How much of a model was inferred: counts over its endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scorecard {
    /// List endpoints proposed.
    pub lists: usize,
    /// Endpoints with a primary key.
    pub with_key: usize,
    /// Endpoints with a pagination style other than none.
    pub with_paginator: usize,
    /// Endpoints whose records sit inside the body (non-empty record path).
    pub with_record_path: usize,
    /// Endpoints with an incremental filter.
    pub with_incremental: usize,
    /// Endpoints linked to a parent list.
    pub with_parent: usize,
}

/// Counts what was inferred for a model's endpoints.
pub fn scorecard(model: &ApiModel) -> Scorecard {
    let mut card = Scorecard::default();
    for endpoint in &model.endpoints {
        card.lists += 1;
        card.with_key += usize::from(!endpoint.primary_key.is_empty());
        card.with_paginator += usize::from(endpoint.pagination != Pagination::None);
        card.with_record_path += usize::from(!endpoint.record_path.is_empty());
        card.with_incremental += usize::from(endpoint.incremental.is_some());
        card.with_parent += usize::from(endpoint.parent.is_some());
    }
    card
}
