//! The extracted endpoint table of every corpus document, one snapshot per document, so a
//! reviewer can read what was inferred (record path, key, paging, incremental filter,
//! parent) line by line and a change to any rule shows up as a diff. Skipped when the corpus
//! folder is absent.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use connector_agent_extract::{
    extract_markdown_dir, extract_openapi_file, extract_pdf_file, extract_postman_file, scorecard,
};
use connector_agent_model::{ApiModel, CursorFormat, EndSignal, Endpoint, PageSize, Pagination};

/// The corpus folder, when it is there.
fn corpus_dir() -> Option<PathBuf> {
    crate::support::corpus_with("")
}

/// The entries of a folder (files or folders as asked), sorted; empty when it is absent.
fn entries(dir: &Path, want_dirs: bool, extensions: &[&str]) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = read
        .map(|e| e.unwrap().path())
        .filter(|p| {
            if want_dirs {
                p.is_dir()
            } else {
                p.is_file()
                    && p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| extensions.contains(&e))
            }
        })
        .collect();
    found.sort();
    found
}

/// A snapshot name made of the document's place in the corpus: `[a-z0-9_]` only.
fn snapshot_name(relative: &str) -> String {
    let mut name = String::with_capacity(relative.len());
    for ch in relative.chars() {
        if ch.is_ascii_alphanumeric() {
            name.push(ch.to_ascii_lowercase());
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    name.trim_matches('_').to_string()
}

fn size(limit: Option<&PageSize>) -> String {
    limit.map_or_else(String::new, |l| format!(" {}={}", l.param, l.value))
}

fn paging(pagination: &Pagination) -> String {
    match pagination {
        Pagination::None => "none".to_string(),
        Pagination::Cursor {
            cursor_param,
            cursor_from_record,
            cursor_path,
            has_more_path,
            limit,
        } => {
            let from = match (cursor_from_record, cursor_path) {
                (Some(field), _) => field.clone(),
                (None, Some(path)) => format!("(body) {}", path.join(".")),
                (None, None) => "?".to_string(),
            };
            let until = has_more_path
                .as_ref()
                .map_or_else(String::new, |p| format!(" until {}", p.join(".")));
            format!(
                "cursor {cursor_param}←{from}{until}{}",
                size(limit.as_ref())
            )
        }
        Pagination::NextUrl {
            next_url_path,
            limit,
        } => format!(
            "next_url {}{}",
            next_url_path.join("."),
            size(limit.as_ref())
        ),
        Pagination::LinkHeader { limit } => format!("link_header{}", size(limit.as_ref())),
        Pagination::PageNumber {
            page_param,
            start,
            limit,
            end,
        } => format!(
            "page_number {page_param} from {start}{}{}",
            size(limit.as_ref()),
            until(end.as_ref())
        ),
        Pagination::Offset {
            offset_param,
            limit,
            end,
        } => format!(
            "offset {offset_param}/{}={}{}",
            limit.param,
            limit.value,
            until(end.as_ref())
        ),
    }
}

/// ` until isLast=true`, ` until total`, ` until pages total_pages`, or nothing (a short page).
fn until(end: Option<&EndSignal>) -> String {
    match end {
        None => String::new(),
        Some(EndSignal::Flag { path, stop_when }) => {
            format!(" until {}={stop_when}", path.join("."))
        }
        Some(EndSignal::Total { path }) => format!(" until total {}", path.join(".")),
        Some(EndSignal::TotalPages { path }) => format!(" until pages {}", path.join(".")),
    }
}

fn line(e: &Endpoint) -> String {
    let record = if e.record_path.is_empty() {
        "(body)".to_string()
    } else {
        e.record_path.join(".")
    };
    let key = if e.primary_key.is_empty() {
        "-".to_string()
    } else {
        e.primary_key.join("+")
    };
    let incremental = e.incremental.as_ref().map_or_else(
        || "full".to_string(),
        |i| {
            let format = match i.format {
                CursorFormat::Same => "",
                CursorFormat::UnixSeconds => " (unix)",
                CursorFormat::Rfc3339 => " (rfc3339)",
                CursorFormat::HttpDate => " (http date)",
            };
            let header = if i.header { " header" } else { "" };
            format!("{}{header}→{}{format}", i.param, i.cursor_field)
        },
    );
    let parent = e.parent.as_ref().map_or_else(
        || "-".to_string(),
        |p| format!("{}.{}←{}", p.table, p.path_param, p.parent_key),
    );
    format!(
        "{} | {} {} | {record} | {key} | {} | {incremental} | {parent} | {:.2}",
        e.table,
        e.method,
        e.path,
        paging(&e.pagination),
        e.confidence
    )
}

fn render(relative: &str, model: &ApiModel) -> String {
    let card = scorecard(model);
    let mut text = format!(
        "{relative}: lists {} key {} paging {} record_path {} incremental {} parent {}\n",
        card.lists,
        card.with_key,
        card.with_paginator,
        card.with_record_path,
        card.with_incremental,
        card.with_parent
    );
    for endpoint in &model.endpoints {
        writeln!(text, "{}", line(endpoint)).unwrap();
    }
    text
}

#[test]
fn corpus_endpoint_tables() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    type Extractor = fn(&Path) -> connector_agent_extract::Result<ApiModel>;
    let mut documents: Vec<(String, PathBuf, Extractor)> = Vec::new();
    for path in entries(&dir.join("openapi"), false, &["json", "yaml", "yml"]) {
        documents.push((relative(&dir, &path), path, extract_openapi_file));
    }
    for path in entries(&dir.join("postman"), false, &["json"]) {
        documents.push((relative(&dir, &path), path, extract_postman_file));
    }
    for path in entries(&dir.join("docs/pdf"), false, &["pdf"]) {
        documents.push((relative(&dir, &path), path, extract_pdf_file));
    }
    for path in entries(&dir.join("docs/markdown"), true, &[]) {
        documents.push((relative(&dir, &path), path, extract_markdown_dir));
    }
    assert!(!documents.is_empty(), "no documents in {}", dir.display());
    for (relative, path, extract) in documents {
        let model = extract(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
        let text = render(&relative, &model);
        insta::assert_snapshot!(snapshot_name(&relative), text);
    }
}

/// The document's place in the corpus, with `/` separators whatever the platform.
fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
