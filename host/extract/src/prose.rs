//! Prose documentation (Markdown, HTML, plain text from PDFs) → [`ApiModel`].
//!
//! The reader looks for what a person would: `GET /path` lines (bullets, backticks, full
//! URLs, `GET /x HTTP/1.1` request blocks with a `Host:` line, `curl` examples), base URLs
//! the prose declares, parameter tables and bullet lists, JSON examples in code blocks after
//! an endpoint, "The X Object" sections, auth sections and paging conventions (a `Link`
//! header, a pagination section's parameters).
//!
//! What it finds is written out as a small OpenAPI 3.0 document and run through the same
//! inference as real OpenAPI files (`crate::infer`: record path, key, columns, pagination,
//! incremental, parents, auth config fields), so prose and specs are judged by one set of
//! rules. Each endpoint's `reason` then starts with where the evidence was (file and line),
//! and its confidence is mapped into 0.3–0.7: prose is weaker evidence than a spec.
//!
//! Everything here is linear in the input: each line is looked at a bounded number of
//! times, JSON blocks found by brace matching in plain text are capped, and the whole input
//! is capped at [`MAX_TOTAL_BYTES`].

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use connector_agent_model::{snake_ident, ApiModel, ColumnType, Pagination, QueryParam};

use crate::infer::naming::{self, Segment};
use crate::infer::records::clean_text;
use crate::input::{read_bounded, read_within, InputKind};
use crate::{Error, Extraction, Result, MAX_MARKDOWN_FILE_BYTES, MAX_MARKDOWN_TOTAL_BYTES};

mod typeblock;

/// The format of one page of prose documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProseKind {
    /// Markdown (GitHub-flavoured: fences, tables, ATX and setext headings).
    Markdown,
    /// HTML; tags are stripped, `<pre>` blocks stay code blocks.
    Html,
    /// Plain text, e.g. extracted from a PDF (form feeds separate pages).
    PlainText,
}

/// One page (file) of prose documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProsePage {
    /// Where the page came from (a path or URL); evidence in `reason` texts names it.
    pub source: String,
    /// The page's text.
    pub text: String,
    /// How to read the text.
    pub kind: ProseKind,
}

/// All pages together may hold at most this many bytes.
pub(crate) const MAX_TOTAL_BYTES: usize = MAX_MARKDOWN_TOTAL_BYTES as usize;
/// Files read at most from one folder.
const MAX_FILES: usize = 5000;
/// Folder depth walked at most.
const MAX_DEPTH: usize = 32;
/// Lines a plain-text JSON example may span, and bytes.
const MAX_JSON_LINES: usize = 2000;
const MAX_JSON_BYTES: usize = 512 * 1024;

/// Reads every `*.md` file below `dir` (sorted by path) and extracts a model from them.
pub fn extract_markdown_dir(dir: &Path) -> Result<ApiModel> {
    markdown_dir_report(dir).map(|x| x.model)
}

/// Like [`extract_markdown_dir`], with the operations not proposed and why.
pub(crate) fn markdown_dir_report(dir: &Path) -> Result<Extraction> {
    let mut files = Vec::new();
    walk(dir, dir, 0, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(Error::Prose {
            document: dir.display().to_string(),
            reason: "no `.md` files below it".into(),
        });
    }
    let mut pages = Vec::with_capacity(files.len());
    let mut total = 0u64;
    for relative in files {
        let path = dir.join(&relative);
        // Each file within its own limit and within what is left of the folder's.
        let left = MAX_MARKDOWN_TOTAL_BYTES - total;
        let bytes = if left < MAX_MARKDOWN_FILE_BYTES {
            read_within(&path, left, "").map_err(|error| match error {
                Error::TooLarge { .. } => folder_too_large(dir),
                other => other,
            })?
        } else {
            read_bounded(&path, InputKind::Markdown)?
        };
        total += bytes.len() as u64;
        pages.push(ProsePage {
            source: relative,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            kind: ProseKind::Markdown,
        });
    }
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    extract(&pages, &name, vec![dir.display().to_string()])
}

fn folder_too_large(dir: &Path) -> Error {
    Error::TooLarge {
        path: dir.to_path_buf(),
        limit: MAX_MARKDOWN_TOTAL_BYTES,
        what: "the limit for all Markdown files of a folder together",
    }
}

/// Reads one Markdown file of at most [`MAX_MARKDOWN_FILE_BYTES`] and extracts a model from
/// it; the model is named after the file.
pub fn extract_markdown_file(path: &Path) -> Result<ApiModel> {
    markdown_file_report(path).map(|x| x.model)
}

/// Like [`extract_markdown_file`], with the operations not proposed and why.
pub(crate) fn markdown_file_report(path: &Path) -> Result<Extraction> {
    let bytes = read_bounded(path, InputKind::Markdown)?;
    let page = ProsePage {
        source: path.display().to_string(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
        kind: ProseKind::Markdown,
    };
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    extract(&[page], &name, vec![path.display().to_string()])
}

/// Relative paths (with `/`) of the `*.md` files below `dir`.
fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<String>) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        // Symlinks are not followed: a loop or a link out of the folder reads nothing.
        let Ok(ty) = entry.file_type() else { continue };
        let path = entry.path();
        if ty.is_dir() {
            walk(root, &path, depth + 1, out)?;
        } else if ty.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"))
        {
            if out.len() >= MAX_FILES {
                return Err(Error::Prose {
                    document: root.display().to_string(),
                    reason: format!("more than {MAX_FILES} `.md` files"),
                });
            }
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// Extracts a model from pages of prose documentation. `name` becomes the model's name.
/// Pages with nothing recognisable give a model without endpoints, not an error.
pub fn extract_prose(pages: &[ProsePage], name: &str) -> Result<ApiModel> {
    prose_report(pages, name).map(|x| x.model)
}

/// Like [`extract_prose`], with the operations not proposed and why.
pub(crate) fn prose_report(pages: &[ProsePage], name: &str) -> Result<Extraction> {
    let sources = pages.iter().map(|p| p.source.clone()).collect();
    extract(pages, name, sources)
}

fn extract(pages: &[ProsePage], name: &str, sources: Vec<String>) -> Result<Extraction> {
    let total: usize = pages.iter().map(|p| p.text.len()).sum();
    if total > MAX_TOTAL_BYTES {
        return Err(Error::TooLarge {
            path: name.into(),
            limit: MAX_MARKDOWN_TOTAL_BYTES,
            what: "the limit for prose documentation, all pages together",
        });
    }
    let docs: Vec<Vec<Block>> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| parse_page(i, p))
        .collect();
    let mut reader = Reader::new(pages);
    for (index, blocks) in docs.iter().enumerate() {
        reader.facts(index, blocks);
    }
    for (index, blocks) in docs.iter().enumerate() {
        reader.endpoints(index, blocks);
    }
    let synthetic = reader.openapi(name);
    let mut extraction = crate::openapi::extract(&synthetic.doc, name, false)?;
    finish(&mut extraction.model, &synthetic, sources);
    Ok(extraction)
}

// ---------------------------------------------------------------------------------------
// Pages → blocks

/// A place in the documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct At {
    page: usize,
    /// 1-based line in the page's text (after HTML conversion, for HTML).
    line: usize,
    /// 1-based PDF page (form feeds counted) in plain text; 0 elsewhere.
    sheet: usize,
}

#[derive(Debug, Clone)]
enum Kind {
    Heading(usize, String),
    /// A code block: its language and its lines with their places.
    Code(String, Vec<(At, String)>),
    Table(Vec<String>, Vec<Vec<String>>),
    Text(String),
}

#[derive(Debug, Clone)]
struct Block {
    at: At,
    kind: Kind,
}

fn parse_page(page: usize, source: &ProsePage) -> Vec<Block> {
    match source.kind {
        ProseKind::Markdown => markdown_blocks(page, &source.text),
        ProseKind::Html => markdown_blocks(page, &crate::html::to_markdown(&source.text)),
        ProseKind::PlainText => plain_blocks(page, &source.text),
    }
}

/// Splits text into lines, tracking form feeds as PDF pages.
fn lines_of(page: usize, text: &str, count_sheets: bool) -> Vec<(At, &str)> {
    let mut sheet = usize::from(count_sheets);
    text.split('\n')
        .enumerate()
        .map(|(i, line)| {
            if count_sheets {
                sheet += line.matches('\x0c').count();
            }
            let at = At {
                page,
                line: i + 1,
                sheet,
            };
            (at, line.trim_matches(['\r', '\x0c']))
        })
        .collect()
}

fn markdown_blocks(page: usize, text: &str) -> Vec<Block> {
    let lines = lines_of(page, text, false);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        let trimmed = line.trim();
        // Fenced code: until the closing fence of the same character, or the end.
        if let Some(fence) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f)) {
            let lang = trimmed
                .trim_start_matches(fence.chars().next().unwrap_or('`'))
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].1.trim_start().starts_with(fence) {
                code.push((lines[i].0, lines[i].1.to_string()));
                i += 1;
            }
            i += 1;
            out.push(Block {
                at,
                kind: Kind::Code(lang, code),
            });
            continue;
        }
        if trimmed.is_empty() {
            i += 1;
            continue;
        }
        // ATX heading.
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes)
            && trimmed[hashes..].starts_with([' ', '\t'])
            && line.len() - line.trim_start().len() < 4
        {
            let title = trimmed[hashes..].trim().trim_end_matches('#').trim();
            out.push(Block {
                at,
                kind: Kind::Heading(hashes, title.to_string()),
            });
            i += 1;
            continue;
        }
        // Setext heading: a text line underlined by `===` or `---`.
        if let Some((_, next)) = lines.get(i + 1) {
            let next = next.trim();
            let underline = |c: char| next.len() >= 3 && next.chars().all(|x| x == c);
            let plain = !trimmed.starts_with(['-', '*', '+', '|', '>', '<', '`']);
            if plain && (underline('=') || underline('-')) {
                let level = if underline('=') { 1 } else { 2 };
                out.push(Block {
                    at,
                    kind: Kind::Heading(level, trimmed.to_string()),
                });
                i += 2;
                continue;
            }
        }
        // Table: a row of cells, then a separator row.
        if trimmed.contains('|') {
            if let Some((_, next)) = lines.get(i + 1) {
                if is_separator(next) {
                    let header = cells(trimmed);
                    let mut rows = Vec::new();
                    i += 2;
                    while i < lines.len()
                        && lines[i].1.contains('|')
                        && !lines[i].1.trim().is_empty()
                    {
                        rows.push(cells(lines[i].1.trim()));
                        i += 1;
                    }
                    out.push(Block {
                        at,
                        kind: Kind::Table(header, rows),
                    });
                    continue;
                }
            }
        }
        out.push(Block {
            at,
            kind: Kind::Text(line.to_string()),
        });
        i += 1;
    }
    out
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('-')
        && t.contains(['|', ':'])
        && t.chars().all(|c| matches!(c, '|' | ':' | '-' | ' ' | '\t'))
}

/// The cells of a table row, without Markdown emphasis and code marks.
fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut escaped = false;
    for ch in row.chars() {
        if escaped {
            cell.push(ch);
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == '|' {
            out.push(plain(&cell));
            cell.clear();
        } else {
            cell.push(ch);
        }
    }
    out.push(plain(&cell));
    out
}

/// Text without Markdown marks: `**`, `` ` ``, `\_`, entity `&#124;`.
fn plain(text: &str) -> String {
    let text = text
        .replace("&#124;", "|")
        .replace("\\_", "_")
        .replace(['`', '*'], "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text: lines, and JSON examples found by matching braces.
fn plain_blocks(page: usize, text: &str) -> Vec<Block> {
    let lines = without_running_lines(lines_of(page, text, true));
    let mut out = Vec::new();
    let mut i = 0;
    // JSON is not looked for again inside a stretch already scanned (keeps this linear).
    let mut scanned_to = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        let trimmed = line.trim_start();
        if i >= scanned_to && trimmed.starts_with(['{', '[']) {
            let (end, balanced) = json_extent(&lines, i);
            scanned_to = end;
            if balanced {
                let code: Vec<(At, String)> = lines[i..end]
                    .iter()
                    .map(|(a, l)| (*a, (*l).to_string()))
                    .collect();
                let joined: Vec<&str> = code.iter().map(|(_, l)| l.as_str()).collect();
                if lenient_json(&joined.join("\n")).is_some() {
                    out.push(Block {
                        at,
                        kind: Kind::Code("json".into(), code),
                    });
                    i = end;
                    continue;
                }
            }
        }
        if !line.trim().is_empty() {
            out.push(Block {
                at,
                kind: Kind::Text(line.to_string()),
            });
        }
        i += 1;
    }
    out
}

/// Drops the running header and footer lines of a paged text: lines that open or close at
/// least half of the pages (three at least), compared with digits blanked ("Page 3 of 40").
fn without_running_lines(lines: Vec<(At, &str)>) -> Vec<(At, &str)> {
    let norm = |l: &str| -> String {
        l.trim()
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    };
    let mut edges: HashMap<String, usize> = HashMap::new();
    let mut sheets = 0usize;
    let mut start = 0;
    while start < lines.len() {
        let sheet = lines[start].0.sheet;
        let end = lines[start..]
            .iter()
            .position(|(a, _)| a.sheet != sheet)
            .map_or(lines.len(), |n| start + n);
        let filled: Vec<&str> = lines[start..end]
            .iter()
            .map(|(_, l)| *l)
            .filter(|l| !l.trim().is_empty())
            .collect();
        let mut seen: Vec<String> = Vec::new();
        for l in filled.iter().take(2).chain(filled.iter().rev().take(2)) {
            let n = norm(l);
            if !seen.contains(&n) {
                *edges.entry(n.clone()).or_insert(0) += 1;
                seen.push(n);
            }
        }
        sheets += 1;
        start = end;
    }
    let threshold = (sheets / 2).max(3);
    if sheets < 3 {
        return lines;
    }
    lines
        .into_iter()
        .filter(|(_, l)| edges.get(&norm(l)).is_none_or(|n| *n < threshold))
        .collect()
}

/// From a line starting with `{` or `[`: the end (exclusive) of the lines up to the
/// matching bracket, and whether it was found within the caps.
fn json_extent(lines: &[(At, &str)], start: usize) -> (usize, bool) {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut bytes = 0;
    for (offset, (_, line)) in lines[start..].iter().enumerate() {
        bytes += line.len() + 1;
        if offset >= MAX_JSON_LINES || bytes > MAX_JSON_BYTES {
            return (start + offset, false);
        }
        for ch in line.chars() {
            if in_string {
                match (escaped, ch) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match ch {
                '"' => in_string = true,
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return (start + offset + 1, true);
                    }
                }
                _ => {}
            }
        }
        // A string never spans lines in an example; a stray quote ends at the line's end.
        in_string = false;
    }
    (lines.len(), false)
}

/// Parses a JSON example as documentation writes them: trailing commas, `...` placeholders,
/// `// comments` and `{ "..." }` stand-ins are tolerated. `None` if it is still not JSON.
pub(crate) fn lenient_json(text: &str) -> Option<Value> {
    if text.len() > MAX_JSON_BYTES {
        return None;
    }
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    // A string wrapped over two lines (PDF text) is valid once the break is a space.
    let text = &text.replace(['\n', '\r', '\t'], " ");
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    // One pass outside strings: drop comments and bare `...`/`…`; then trailing commas and
    // placeholder strings standing where an object member should be.
    let mut cleaned = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    let mut escaped = false;
    while let Some(ch) = chars.next() {
        if in_string {
            cleaned.push(ch);
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => {
                in_string = true;
                cleaned.push(ch);
            }
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        cleaned.push('\n');
                        break;
                    }
                }
            }
            '.' | '…' => {
                if ch == '.' && !cleaned.ends_with(|c: char| c.is_ascii_digit()) {
                    continue;
                }
                if ch == '.' {
                    cleaned.push(ch);
                }
            }
            _ => cleaned.push(ch),
        }
    }
    let cleaned = drop_placeholders(&cleaned);
    serde_json::from_str(&cleaned).ok()
}

/// Removes trailing commas, and placeholder strings (`"..."`) that stand in an object where a
/// member should be.
fn drop_placeholders(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<char> = Vec::new();
    let mut i = 0;
    let next_significant = |from: usize| chars[from..].iter().copied().find(|c| !c.is_whitespace());
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            '"' => {
                let start = i;
                i += 1;
                let mut escaped = false;
                while i < chars.len() {
                    let c = chars[i];
                    i += 1;
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                let string: String = chars[start..i].iter().collect();
                let in_object = stack.last() == Some(&'{');
                let is_member_name = next_significant(i) == Some(':');
                let inner = string.trim_matches('"').trim();
                let placeholder =
                    inner.is_empty() || inner.chars().all(|c| matches!(c, '.' | '…' | ' '));
                if in_object && !is_member_name && placeholder {
                    // Skip the placeholder and a comma after it.
                    while i < chars.len() && chars[i].is_whitespace() {
                        i += 1;
                    }
                    if i < chars.len() && chars[i] == ',' {
                        i += 1;
                    }
                    continue;
                }
                out.push_str(&string);
                continue;
            }
            '{' | '[' => stack.push(ch),
            '}' | ']' => {
                stack.pop();
                // Trailing comma before the close.
                let trimmed_len = out.trim_end().len();
                if out[..trimmed_len].ends_with(',') {
                    out.truncate(trimmed_len - 1);
                }
            }
            _ => {}
        }
        out.push(ch);
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Blocks → evidence

/// A parameter as documented.
#[derive(Debug, Clone)]
struct ParamDoc {
    name: String,
    description: String,
    required: bool,
    ty: String,
    at: At,
}

/// A record field as documented in a table.
#[derive(Debug, Clone)]
struct FieldDoc {
    name: String,
    ty: String,
    description: String,
}

/// "The X Object" section: an example record and a field table.
#[derive(Debug, Clone)]
struct ObjectDoc {
    entity: String,
    example: Option<(Value, At)>,
    fields: Vec<FieldDoc>,
    at: At,
}

/// Moves the groups of concrete example paths (no `{param}`, cited only by examples) into the
/// one template group they fill in: the same literal segments, each `{param}` of the
/// template a literal of the example, after the example's version prefix (`/api/v1`). The
/// template's path takes that prefix when it has none.
fn fold_examples_into_templates<'s>(
    groups: Vec<(String, Vec<&'s Slot>)>,
) -> Vec<(String, Vec<&'s Slot>)> {
    let fills = |example: &[Segment<'_>], template: &[Segment<'_>]| {
        example.len() == template.len()
            && template.iter().any(|t| matches!(t, Segment::Param(_)))
            && example.iter().zip(template).all(|(e, t)| match (e, t) {
                (Segment::Literal(a), Segment::Literal(b)) => a == b,
                // A value (`CEN`, `42`, `cus_123`), never a resource's name (`line_items`).
                (Segment::Literal(v), Segment::Param(_)) => {
                    is_id_segment(v)
                        || v.chars().any(|c| c.is_ascii_digit())
                        || (v.len() >= 2
                            && v.chars()
                                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
                }
                _ => false,
            })
    };
    let version_prefix = |segs: &[Segment<'_>]| {
        segs.iter()
            .take_while(|s| matches!(s, Segment::Literal(l) if is_version_segment(l)))
            .count()
    };
    let mut out: Vec<(String, Vec<&'s Slot>)> = Vec::with_capacity(groups.len());
    let mut moved: Vec<(usize, usize)> = Vec::new();
    for (i, (path, slots)) in groups.iter().enumerate() {
        let segs = naming::segments(path);
        let concrete = !segs.iter().any(|s| matches!(s, Segment::Param(_)));
        if !concrete || slots.iter().any(|s| s.via == "endpoint line") {
            continue;
        }
        let skip = version_prefix(&segs);
        let targets: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(j, (p, _))| {
                let t = naming::segments(p);
                let t_skip = version_prefix(&t);
                *j != i && (fills(&segs, &t) || fills(&segs[skip..], &t[t_skip..]))
            })
            .map(|(j, _)| j)
            .collect();
        if let [only] = targets.as_slice() {
            moved.push((i, *only));
        }
    }
    for (i, (path, slots)) in groups.iter().enumerate() {
        if moved.iter().any(|(from, _)| *from == i) {
            continue;
        }
        let mut path = path.clone();
        let mut slots = slots.clone();
        for (from, _) in moved.iter().filter(|(_, to)| *to == i) {
            let (example, extra) = &groups[*from];
            let e = naming::segments(example);
            let t = naming::segments(&path);
            let (e_skip, t_skip) = (version_prefix(&e), version_prefix(&t));
            if e_skip > 0 && t_skip == 0 {
                let prefix: Vec<&str> = e[..e_skip]
                    .iter()
                    .map(|s| match s {
                        Segment::Literal(l) | Segment::Param(l) => *l,
                    })
                    .collect();
                path = format!("/{}{path}", prefix.join("/"));
            }
            slots.extend(extra.iter().copied());
        }
        out.push((path, slots));
    }
    out
}

/// A response field the docs describe: name, description, documented type.
type DocumentedField = (String, String, String);

/// One `GET` mention with what follows it in its section.
#[derive(Debug, Clone)]
struct Slot {
    target: String,
    via: &'static str,
    at: At,
    example: Option<(Value, At)>,
    params: Vec<ParamDoc>,
    list_hint: Option<At>,
    /// A `Link: <…>; rel="next"` mention in the endpoint's own section.
    link: Option<At>,
    /// Request headers its section's header table names: name, value when the docs give
    /// one ("Must be 2024-05-01."), description, required.
    headers: Vec<(String, Option<String>, String, bool)>,
    /// Response fields documented in the section's tables (widdershins' "Response Schema":
    /// `» name`, `»» name` for nested ones), for their descriptions.
    fields: Vec<FieldDoc>,
    /// The named schema the section's table of responses gives for success (`200 | OK |
    /// … | AddOnsPaginated`), documented elsewhere on the site.
    response_schema: Option<String>,
    /// The success response's schema, read from a type block (openapi-to-md's
    /// `{ add_ons: { lago_id: string }[] }`).
    schema: Option<(Value, At)>,
    /// The section's lines that say it lists something ("List the teammates following a
    /// conversation."), lower case.
    list_lines: Vec<String>,
}

/// What a sub-heading of an operation (`### Query Parameters`, `### Request body`) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The operation itself, or its query parameters.
    Request,
    /// Path parameters, request body, headers: never query parameters.
    NotQuery,
    /// The response: its fields are not parameters.
    Response,
}

/// A row of a table of methods (`| Orders | GET | /v2/orders | List orders |`).
#[derive(Debug, Clone)]
struct MethodRow {
    method: String,
    /// Its description or title, lower case: a later heading (or PDF line) with the same
    /// words is that operation's section.
    title: String,
    slot: Slot,
}

/// Everything found, across pages.
struct Reader<'p> {
    pages: &'p [ProsePage],
    slots: Vec<Slot>,
    /// Base URLs the prose declares.
    bases: Vec<(String, At)>,
    /// Origins of full URLs used by requests (endpoint lines, curl, `Host:`), in order.
    origins: Vec<String>,
    /// Request examples' URLs whose path starts with version segments, and that prefix.
    example_prefixes: Vec<(String, String)>,
    /// A `Link` header described outside any endpoint's section: the document's convention.
    link_header: Option<At>,
    link_page_param: Option<String>,
    method_rows: Vec<MethodRow>,
    bearer: Option<(At, String)>,
    basic: Vec<(At, String)>,
    api_key: Option<(At, &'static str, String)>,
    oauth: Option<(At, String)>,
    authorize_urls: Vec<(String, At)>,
    token_urls: Vec<(String, At)>,
    paging_params: Vec<ParamDoc>,
    page_params: Vec<(usize, ParamDoc)>,
    objects: Vec<ObjectDoc>,
    /// Sentences that speak of identifying records ("A line is identified by `order_number`
    /// and `line_no` together"), with the lines after them (a PDF breaks sentences).
    key_sentences: Vec<(String, At)>,
    envelope: Option<(String, At)>,
    /// Whether the current section has named a request (any method) yet.
    section_mentioned: bool,
    /// Named schemas documented by a field table under their own heading (widdershins'
    /// "Schemas": `## AddOnObject`, `### Properties`), by heading text.
    schemas: HashMap<String, Vec<FieldDoc>>,
    /// Named types shown as type blocks under their pointer (openapi-to-md's References:
    /// `### #/components/schemas/Pet`), by the schema name they get in the synthetic
    /// document.
    types: HashMap<String, (Value, At)>,
}

/// Words around a URL that declare it the base of all requests.
const BASE_WORDS: &[&str] = &[
    "base url",
    "base uri",
    "base path",
    "base address",
    "root url",
    "root uri",
    "api url",
    "api endpoint",
    "urls start with",
    "url starts with",
    "all urls",
    "all requests",
    "all api requests",
    "uri for each resource",
    "url for each resource",
    "api is available at",
    "api lives at",
    "service url",
    "host url",
];
/// Hosts of links that are never an API's base.
const DOC_HOSTS: &[&str] = &[
    "github.com",
    "wikipedia.org",
    "ietf.org",
    "oauth.net",
    "w3.org",
    "swagger.io",
    "json.org",
    "curl.haxx.se",
    "curl.se",
    "jsonapi.org",
    "schema.org",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// First header cells of a parameter table (squashed).
const PARAM_HEADS: &[&str] = &[
    "name",
    "parameter",
    "parameters",
    "param",
    "argument",
    "arguments",
    "queryparameter",
    "queryparameters",
    "parametername",
    "paramname",
    "key",
];
/// First header cells of a record field table (squashed).
const FIELD_HEADS: &[&str] = &[
    "field",
    "fieldname",
    "fields",
    "attribute",
    "attributes",
    "property",
    "properties",
    "name",
];
/// Parameters that page, for plain text where tables are not recognisable (squashed).
const PAGING_WORDS: &[&str] = &[
    "page",
    "perpage",
    "pagesize",
    "limit",
    "offset",
    "offsetid",
    "cursor",
    "page",
    "pagenumber",
];
/// Record array properties of a response envelope.
const ENVELOPES: &[&str] = &["response", "data", "result", "results", "items", "records"];

impl<'p> Reader<'p> {
    fn new(pages: &'p [ProsePage]) -> Self {
        Reader {
            pages,
            slots: Vec::new(),
            bases: Vec::new(),
            origins: Vec::new(),
            example_prefixes: Vec::new(),
            link_header: None,
            link_page_param: None,
            method_rows: Vec::new(),
            bearer: None,
            basic: Vec::new(),
            api_key: None,
            oauth: None,
            authorize_urls: Vec::new(),
            token_urls: Vec::new(),
            paging_params: Vec::new(),
            page_params: Vec::new(),
            objects: Vec::new(),
            key_sentences: Vec::new(),
            envelope: None,
            section_mentioned: false,
            schemas: HashMap::new(),
            types: HashMap::new(),
        }
    }

    /// A row of a plain-text headers table (`Api-Version string yes Must be 2024-05-01.`):
    /// a required header with the value its description gives, or a changes-since filter.
    fn plain_header_row(&mut self, slot: usize, row: ParamDoc) {
        let mut text = row.description.as_str();
        let mut required = row.required;
        for (word, flag) in [
            ("yes ", true),
            ("no ", false),
            ("required ", true),
            ("optional ", false),
        ] {
            if let Some(rest) = text.strip_prefix(word) {
                required = flag;
                text = rest;
                break;
            }
        }
        self.add_header(slot, &row.name, text, required);
    }

    /// A header a section's table names: kept when the API requires it (with the value its
    /// description gives) or when it asks for changes since a time (a filter).
    fn add_header(&mut self, slot: usize, name: &str, text: &str, required: bool) {
        let squashed = naming::squash(name);
        let change = crate::infer::incremental::is_change_header(name);
        if crate::infer::ROUTINE_HEADERS.contains(&squashed.as_str()) || !(required || change) {
            return;
        }
        let value = (!change).then(|| header_value(text)).flatten();
        let headers = &mut self.slots[slot].headers;
        if !headers.iter().any(|h| h.0.eq_ignore_ascii_case(name)) && headers.len() < 50 {
            headers.push((
                name.to_string(),
                value,
                clean_text(text),
                required && !change,
            ));
        }
    }

    /// The fields of the named schema and of the named schemas its fields' types link to
    /// (`[AddOnObject]`), breadth first, at most 20 schemas.
    fn schema_fields<'a>(&'a self, name: &str, out: &mut Vec<&'a FieldDoc>) {
        let mut queue = std::collections::VecDeque::from([name.to_string()]);
        let mut seen: Vec<String> = Vec::new();
        while let Some(name) = queue.pop_front() {
            if seen.contains(&name) || seen.len() >= 20 {
                continue;
            }
            let Some(fields) = self.schemas.get(&name) else {
                continue;
            };
            seen.push(name);
            for field in fields {
                out.push(field);
                let linked = link_text(&field.ty);
                if is_identifier(&linked) && self.schemas.contains_key(&linked) {
                    queue.push_back(linked);
                }
            }
        }
    }

    /// `file:line` (with the PDF page when known).
    fn place(&self, at: At) -> String {
        let source = self.pages.get(at.page).map_or("?", |p| p.source.as_str());
        if at.sheet > 0 {
            format!("{source} p. {} line {}", at.sheet, at.line)
        } else {
            format!("{source}:{}", at.line)
        }
    }

    /// Page-wide facts: base URLs, auth, the `Link` header.
    fn facts(&mut self, _page: usize, blocks: &[Block]) {
        let lines = flat_lines(blocks);
        for (i, (at, line)) in lines.iter().enumerate() {
            let lower = line.to_ascii_lowercase();
            let context: String = lines[i.saturating_sub(2)..=i]
                .iter()
                .map(|(_, l)| l.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            if BASE_WORDS.iter().any(|w| context.contains(w)) {
                for url in urls_in(line) {
                    if let Some(base) = base_candidate(&url) {
                        if !self.bases.iter().any(|(b, _)| *b == base) {
                            self.bases.push((base, *at));
                        }
                    }
                }
            }
            if self.link_page_param.is_none() && lower.contains("link:") && lower.contains("next") {
                self.link_page_param = urls_in(line)
                    .iter()
                    .flat_map(|u| query_names(u))
                    .find(|n| naming::squash(n).contains("page"));
            }
            self.auth_facts(*at, line, &lower, &context);
        }
    }

    /// `context` is the line with the two before it, lower case: a sentence broken over
    /// lines ("all token\nrequests require ... HTTP Basic") is judged whole.
    fn auth_facts(&mut self, at: At, line: &str, lower: &str, context: &str) {
        let negated = [
            "no more",
            "not supported",
            "deprecated",
            "instead of",
            "no longer",
        ]
        .iter()
        .any(|n| context.contains(n));
        let about_client = ["client", "token request", "authorization request"]
            .iter()
            .any(|n| context.contains(n));
        if self.bearer.is_none()
            && (lower.contains("authorization: bearer")
                || lower.contains("bearer token")
                || lower.contains("bearer <"))
        {
            self.bearer = Some((at, line.trim().to_string()));
        }
        let curl_user = is_curl(lower) && (lower.contains(" -u ") || lower.contains(" --user "));
        if !negated
            && !about_client
            && (lower.contains("basic auth")
                || lower.contains("http basic")
                || lower.contains("authorization: basic")
                || curl_user)
            && self.basic.len() < 50
        {
            self.basic.push((at, line.trim().to_string()));
        }
        if !negated
            && self.oauth.is_none()
            && (lower.contains("oauth 2") || lower.contains("oauth2"))
        {
            self.oauth = Some((at, line.trim().to_string()));
        }
        for url in urls_in(line) {
            let path = url_path(&url).to_ascii_lowercase();
            if self.authorize_urls.len() < 20
                && path.contains("authoriz")
                && !path.ends_with(".json")
                && (lower.contains("authoriz") || lower.contains("oauth"))
            {
                self.authorize_urls
                    .push((strip_query(&url).to_string(), at));
            }
            let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            if self.token_urls.len() < 20
                && (last == "token" || last == "access_token" || last == "tokens")
                && (lower.contains("token"))
            {
                self.token_urls.push((strip_query(&url).to_string(), at));
            }
            if self.api_key.is_none() {
                if let Some(name) = query_names(&url).into_iter().find(|n| {
                    matches!(
                        naming::squash(n).as_str(),
                        "apikey" | "key" | "token" | "accesstoken" | "authtoken" | "apitoken"
                    )
                }) {
                    self.api_key = Some((at, "query", name));
                }
            }
        }
        // `GET /api/v1/oauth2/authorize`, `POST /oauth2/v0/token`: relative to the server.
        for method in ["GET", "POST"] {
            let Some(i) = line.find(&format!("{method} /")) else {
                continue;
            };
            let Some(path) = target_token(&line[i + method.len() + 1..]) else {
                continue;
            };
            let path = strip_query(&path).to_string();
            let lower_path = path.to_ascii_lowercase();
            let last = lower_path.rsplit('/').next().unwrap_or("");
            if method == "GET" && lower_path.contains("authoriz") && self.authorize_urls.len() < 20
            {
                self.authorize_urls.push((path, at));
            } else if method == "POST" && last == "token" && self.token_urls.len() < 20 {
                self.token_urls.push((path, at));
            }
        }
        if let Some(command) = curl_part(line).filter(|_| self.api_key.is_none()) {
            for header in curl_args(command, &["-H", "--header"]) {
                let Some((name, value)) = header.split_once(':') else {
                    continue;
                };
                let squashed = naming::squash(name);
                let keyish = squashed.contains("key") || squashed.contains("token");
                let routine = matches!(
                    squashed.as_str(),
                    "authorization" | "contenttype" | "accept" | "useragent" | "cookie"
                );
                if keyish && !routine {
                    self.api_key = Some((at, "header", name.trim().to_string()));
                } else if squashed == "authorization"
                    && value.trim().to_ascii_lowercase().starts_with("token ")
                {
                    self.api_key = Some((at, "header_token", name.trim().to_string()));
                }
            }
        }
        // A header or query parameter the words show or name: `Authorization: Token
        // YOUR_KEY`, `X-Api-Key: <key>`, "the `X-Api-Key` header", "the `api_key` query
        // parameter". A bearer or basic `Authorization` is the schemes above.
        if self.api_key.is_none() && !negated && !about_client {
            if let Some((place, name)) = key_mention(line) {
                self.api_key = Some((at, place, name));
            }
        }
    }

    /// Endpoint mentions and what follows them in their section.
    fn endpoints(&mut self, page: usize, blocks: &[Block]) {
        let plain_text = self.pages[page].kind == ProseKind::PlainText;
        let mut open: Option<(usize, usize)> = None; // (slot, section level)
        let mut level = 0usize;
        let mut title = String::new();
        let mut paging: Option<usize> = None;
        let mut object: Option<(usize, usize)> = None; // (objects index, level)
                                                       // After a line introducing parameters: whether it says they are required.
        let mut param_intro: Option<bool> = None;
        // What the current sub-heading of the operation is about.
        let mut part = Part::Request;
        // The current section heading's text.
        let mut section_name = String::new();
        // Inside a plain-text table of methods.
        let mut method_table = false;
        // Inside a plain-text table of parameters (a PDF's "Parameter Type Required
        // Description"): whether its rows are query parameters, lines since its last row,
        // and the slot and name of that row (a type centred on the next line belongs to it).
        let mut plain_table: Option<PlainTable> = None;
        let mut previous_line = String::new();
        let mut previous_raw = String::new();
        // Under a `### Headers` heading: the table lists request headers.
        let mut header_table = false;
        // The plain-text table being read describes fields, not parameters: of a named type
        // (`Branch` above `Name Type Description`), or of the open endpoint's response.
        let mut plain_fields: Option<Option<String>> = None;
        // The plain-text table being read lists request headers (`Headers` above it).
        let mut plain_headers = false;
        // In a response part: whether the status it is under is a success (`- 200 OK`
        // before a type block, `- 401 Unauthorized` after it).
        let mut success = true;
        self.section_mentioned = false;
        for (b, block) in blocks.iter().enumerate() {
            match &block.kind {
                Kind::Heading(l, text) => {
                    param_intro = None;
                    // `### HTTP Request`, `### Query Parameters`, `### Responses` belong to
                    // the operation above them: they neither close it nor start a new one.
                    if let Some(about) = sub_heading(text).filter(|_| *l > level || level == 0) {
                        part = about;
                        success = true;
                        header_table = text.to_ascii_lowercase().contains("header");
                        if about == Part::Request && heading_introduces_params(text) {
                            param_intro = Some(text.to_ascii_lowercase().contains("required"));
                        }
                        continue;
                    }
                    part = Part::Request;
                    header_table = false;
                    self.section_mentioned = false;
                    if open.is_some_and(|(_, ol)| *l <= ol) {
                        open = None;
                    }
                    if paging.is_some_and(|pl| *l <= pl) {
                        paging = None;
                    }
                    if object.is_some_and(|(_, ol)| *l <= ol) {
                        object = None;
                    }
                    level = *l;
                    title = text.to_ascii_lowercase();
                    section_name = plain(text).trim().to_string();
                    if title.contains("pagination") || title.contains("paging") {
                        paging = Some(*l);
                    }
                    if let Some(entity) = object_heading(text) {
                        self.objects.push(ObjectDoc {
                            entity,
                            example: None,
                            fields: Vec::new(),
                            at: block.at,
                        });
                        object = Some((self.objects.len() - 1, *l));
                    }
                    // A heading naming a row of a table of methods is that method's section;
                    // so is a heading that is a method and a path (`### GET /pets`,
                    // openapi-to-md's `### [GET]/pets`).
                    let found = self.titled(block.at, text).or_else(|| {
                        let found = self.mentions(block.at, text, None);
                        (!found.is_empty() && text.len() <= 200).then_some(found)
                    });
                    if let Some(found) = found {
                        open = self.open_mentions(found, level, open);
                    }
                }
                Kind::Text(line) => {
                    let lower = line.to_ascii_lowercase();
                    if part == Part::Response {
                        if let Some(code) = status_line(&lower) {
                            success = code.starts_with('2');
                        }
                    }
                    let previous = std::mem::replace(&mut previous_line, lower.clone());
                    let previous_original = std::mem::replace(&mut previous_raw, line.clone());
                    if (lower.contains("identif") || lower.contains("unique"))
                        && self.key_sentences.len() < MAX_KEY_SENTENCES
                    {
                        // A wrapped line may hold only the end of the sentence ("identified
                        // by vehicle_id and ts together."): its start is on the line before.
                        let mut text = if plain_text && !previous_original.trim().is_empty() {
                            format!("{} {line}", previous_original.trim())
                        } else {
                            line.clone()
                        };
                        for next in blocks[b + 1..].iter().take(2) {
                            match &next.kind {
                                Kind::Text(more) => {
                                    text.push(' ');
                                    text.push_str(more);
                                }
                                _ => break,
                            }
                        }
                        self.key_sentences.push((text, block.at));
                    }
                    if is_link_mention(&lower) {
                        self.note_link(block.at, open, paging);
                    }
                    // A request line in plain text (`GET /x HTTP/1.1`) with a `Host:` after it.
                    let host = line
                        .contains(" HTTP/")
                        .then(|| {
                            blocks[b + 1..].iter().take(6).find_map(|n| match &n.kind {
                                Kind::Text(l) => host_header(l),
                                _ => None,
                            })
                        })
                        .flatten();
                    // A table of methods printed to text: `Orders /v2/orders GET List orders`.
                    if plain_text {
                        if is_method_header(&lower) {
                            method_table = true;
                            continue;
                        }
                        if method_table {
                            if let Some(row) = method_row_words(line, block.at) {
                                self.add_method_row(row);
                                open = None;
                                continue;
                            }
                            method_table = false;
                        }
                        // A title line naming a method of the table opens its section.
                        if let Some(found) = self.titled(block.at, line) {
                            param_intro = None;
                            plain_table = None;
                            open = self.open_mentions(found, 0, None);
                            continue;
                        }
                    }
                    let found = self.mentions(block.at, line, host.as_deref());
                    if !found.is_empty() {
                        param_intro = None;
                        plain_table = None;
                        open = self.open_mentions(found, level, open);
                        if let Some((slot, _)) = open {
                            if self.slots[slot].list_hint.is_none() && is_list_words(&lower) {
                                self.slots[slot].list_hint = Some(block.at);
                            }
                        }
                        continue;
                    }
                    if plain_text {
                        // A title line over field rows (the `Name Type Description` header
                        // repeats on every page, so it is dropped with the running lines):
                        // `Response`, or a type's name (`Branch`, `Member`).
                        let title = line.trim();
                        let rows_follow = || match blocks.get(b + 1).map(|n| &n.kind) {
                            Some(Kind::Text(next)) => plain_param_row(next, block.at).is_some(),
                            _ => false,
                        };
                        let fields_of = if sub_heading(title) == Some(Part::Response) {
                            Some(None)
                        } else if is_identifier(title)
                            && title.starts_with(|c: char| c.is_ascii_uppercase())
                            && title.len() > 1
                            && sub_heading(title).is_none()
                            && !heading_introduces_params(title)
                        {
                            Some(Some(title.to_string()))
                        } else {
                            None
                        };
                        let headers_title =
                            sub_heading(title) == Some(Part::NotQuery) && names_headers(&lower);
                        if (fields_of.is_some() || headers_title) && rows_follow() {
                            plain_fields = fields_of;
                            plain_headers = headers_title;
                            plain_table = Some((false, 0, None));
                            continue;
                        }
                        if let Some(query) = plain_param_header(&lower, &previous) {
                            plain_headers = names_headers(&previous);
                            let named = previous_original.trim();
                            plain_fields = if is_identifier(named)
                                && named.starts_with(|c: char| c.is_ascii_uppercase())
                                && sub_heading(named).is_none()
                                && !heading_introduces_params(named)
                            {
                                Some(Some(named.to_string()))
                            } else if sub_heading(&previous) == Some(Part::Response) {
                                Some(None)
                            } else {
                                None
                            };
                            plain_table = Some((query && plain_fields.is_none(), 0, None));
                            continue;
                        }
                        if let Some((query, misses, last)) = &mut plain_table {
                            // A title after the table ("Example request", "Response
                            // fields"), not a description's line ("response. It is null …").
                            let title = (lower.split_whitespace().count() <= 3
                                && !lower.contains(['.', ',', ':', '('])
                                && ["example", "sample", "response", "returns", "errors"]
                                    .iter()
                                    .any(|w| lower.starts_with(w)))
                                || object_heading(line).is_some();
                            if title {
                                plain_table = None;
                            } else if let Some(param) = plain_param_row(line, block.at) {
                                *misses = 0;
                                *last = None;
                                if plain_headers {
                                    if let Some((slot, _)) = open {
                                        self.plain_header_row(slot, param);
                                    }
                                    continue;
                                }
                                if let Some(target) = &plain_fields {
                                    let field = plain_field(param);
                                    match target {
                                        Some(name) => {
                                            let fields =
                                                self.schemas.entry(name.clone()).or_default();
                                            if fields.len() < 1000 {
                                                fields.push(field);
                                            }
                                        }
                                        None => {
                                            if let Some((slot, _)) = open {
                                                let fields = &mut self.slots[slot].fields;
                                                if fields.len() < 1000 {
                                                    fields.push(field);
                                                }
                                            }
                                        }
                                    }
                                    continue;
                                }
                                if *query && part == Part::Request {
                                    let name = param.name.clone();
                                    self.place_param(param, open, paging, Some(page));
                                    *last = open.map(|(slot, _)| (slot, name));
                                }
                                continue;
                            } else if let Some(ty) = plain_type_line(&lower) {
                                if let Some((slot, name)) = last.take() {
                                    let param = self.slots[slot]
                                        .params
                                        .iter_mut()
                                        .find(|p| p.name == name && p.ty.is_empty());
                                    if let Some(param) = param {
                                        param.ty = ty;
                                    }
                                }
                                continue;
                            } else {
                                // A description's other lines.
                                *misses += 1;
                                if *misses > 4 {
                                    plain_table = None;
                                }
                                continue;
                            }
                        }
                    }
                    // Paging parameters named in a sentence of the operation's own section
                    // ("Results are paginated with `page` and `per_page` (max 50)").
                    let paging_words = lower.contains("paginat")
                        || lower.contains("per page")
                        || lower.contains("page size")
                        || lower.contains("next page");
                    let negated = lower.contains("not paginated") || lower.contains("ignored");
                    if let (Some((slot, _)), Part::Request, true, false) =
                        (open, part, paging_words, negated)
                    {
                        if line.len() <= 2048 && bullet_param(line, block.at).is_none() {
                            let description = clean_text(line);
                            for name in line.split('`').skip(1).step_by(2).take(20) {
                                let name = name.trim();
                                let taken = self.slots[slot]
                                    .params
                                    .iter()
                                    .any(|p| naming::squash(&p.name) == naming::squash(name));
                                if is_identifier(name) && is_paging_name(name) && !taken {
                                    let param = ParamDoc {
                                        name: name.to_string(),
                                        description: description.clone(),
                                        required: false,
                                        ty: String::new(),
                                        at: block.at,
                                    };
                                    self.place_param(param, open, None, None);
                                }
                            }
                        }
                    }
                    let query_part = part == Part::Request;
                    if let Some(mut param) = bullet_param(line, block.at) {
                        if let Some(required) = param_intro {
                            if query_part {
                                param.required |= required;
                                self.place_param(param, open, paging, Some(page));
                            }
                            continue;
                        }
                    }
                    if let Some(param) = inline_required_param(line, block.at) {
                        if query_part {
                            self.place_param(param, open, paging, Some(page));
                        }
                        continue;
                    }
                    if plain_text {
                        if let Some(param) = plain_paging_param(line, block.at) {
                            // Its own section's parameter when one is open.
                            match open {
                                Some(_) => self.place_param(param, open, None, None),
                                None => self.paging_params.push(param),
                            }
                            continue;
                        }
                    }
                    // "Response parameters" are fields of the body, not of the request.
                    let about_response = (lower.contains("response") || title.contains("response"))
                        && !lower.contains("request")
                        && !lower.contains("query");
                    let about_body = lower.contains("body") && !lower.contains("query");
                    param_intro = (lower.contains("parameter") && !about_response && !about_body)
                        .then(|| lower.contains("required") && !lower.contains("optional"));
                    if let Some((slot, _)) = open {
                        if is_list_words(&lower) && self.slots[slot].list_hint.is_none() {
                            self.slots[slot].list_hint = Some(block.at);
                        }
                        let lines = &mut self.slots[slot].list_lines;
                        let says_list = is_list_words(&lower)
                            || lower
                                .split(|c: char| !c.is_ascii_alphanumeric())
                                .any(|w| w == "list" || w == "lists");
                        if says_list && lines.len() < 3 && lower.len() <= 500 {
                            lines.push(lower.clone());
                        }
                    }
                }
                Kind::Code(lang, lines) => {
                    param_intro = None;
                    let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
                    let text = text.join("\n");
                    // A type block; one that is plain JSON is an example like any other.
                    if matches!(lang.as_str(), "typescript" | "ts") && lenient_json(&text).is_none()
                    {
                        self.type_block(&text, block.at, open, part, success, &section_name);
                        if part == Part::Request && open.is_some() {
                            for member in typeblock::members(&text).into_iter().take(100) {
                                if is_param_name(&member.name) {
                                    let param = ParamDoc {
                                        name: member.name,
                                        description: member.description,
                                        required: member.required,
                                        ty: member.written,
                                        at: block.at,
                                    };
                                    self.place_param(param, open, paging, Some(page));
                                }
                            }
                        }
                        continue;
                    }
                    let mut found = Vec::new();
                    let joined = join_continuations(lines);
                    for (i, (at, line)) in joined.iter().enumerate() {
                        let host = joined[i + 1..]
                            .iter()
                            .take(6)
                            .find_map(|(_, l)| host_header(l));
                        found.extend(self.mentions(*at, line, host.as_deref()));
                    }
                    if let Some((at, _)) = lines
                        .iter()
                        .find(|(_, l)| is_link_mention(&l.to_ascii_lowercase()))
                    {
                        let after = if found.is_empty() { open } else { None };
                        self.note_link(*at, after, paging);
                    }
                    if !found.is_empty() {
                        open = self.open_mentions(found, level, open);
                        // A request and its response in one block: the body after the status.
                        if let (Some((slot, _)), Some(value)) = (open, response_body(lines)) {
                            if self.slots[slot].example.is_none() {
                                self.slots[slot].example = Some((value, block.at));
                            }
                        }
                        continue;
                    }
                    let jsonish = matches!(
                        lang.as_str(),
                        "json" | "" | "javascript" | "js" | "json5" | "http" | "typescript" | "ts"
                    );
                    if !jsonish || part == Part::NotQuery {
                        continue;
                    }
                    let Some(value) = lenient_json(&text).or_else(|| response_body(lines)) else {
                        continue;
                    };
                    if let Some((index, _)) = object {
                        let doc = &mut self.objects[index];
                        if doc.example.is_none() {
                            doc.example = Some((record_of(&value), block.at));
                        }
                        continue;
                    }
                    match open {
                        Some((slot, _)) if self.slots[slot].example.is_none() => {
                            self.slots[slot].example = Some((value, block.at));
                        }
                        // A request body shown under another method is not the envelope.
                        None if !self.section_mentioned && self.envelope.is_none() => {
                            self.envelope = envelope_of(&value).map(|k| (k, block.at));
                        }
                        _ => {}
                    }
                }
                Kind::Table(header, rows) => {
                    param_intro = None;
                    for row in rows.iter().take(500) {
                        let line = row.join(" | ");
                        if is_link_mention(&line.to_ascii_lowercase()) {
                            self.note_link(block.at, open, paging);
                            break;
                        }
                    }
                    let head = header
                        .first()
                        .map(|h| naming::squash(h))
                        .unwrap_or_default();
                    let column = |names: &[&str]| {
                        header
                            .iter()
                            .position(|h| names.contains(&naming::squash(h).as_str()))
                    };
                    let ty = column(&["type", "datatype", "format"]);
                    let description =
                        column(&["description", "notes", "desc", "details", "meaning"]);
                    let required = column(&["required", "mandatory", "optional"]);
                    let location = column(&["in", "location", "paramtype", "parametertype"]);
                    let cell = |row: &Vec<String>, i: Option<usize>| {
                        i.and_then(|i| row.get(i)).cloned().unwrap_or_default()
                    };
                    // A table of methods: each row names one operation.
                    if let Some(rows) = method_table_rows(header, rows, block.at) {
                        for row in rows {
                            self.add_method_row(row);
                        }
                        open = None;
                        continue;
                    }
                    if let Some((index, _)) = object {
                        if FIELD_HEADS.contains(&head.as_str()) && ty.is_some() {
                            for row in rows.iter().take(500) {
                                let name = cell(row, Some(0));
                                if is_identifier(&name) {
                                    self.objects[index].fields.push(FieldDoc {
                                        name,
                                        ty: cell(row, ty),
                                        description: cell(row, description),
                                    });
                                }
                            }
                        }
                        continue;
                    }
                    // A named schema's field table (`## AddOnObject` / `### Properties`), or
                    // one under a heading that is a type's name inside an operation
                    // (`### Branch` after a response table typed `array of Branch`).
                    let type_heading = ty.is_some()
                        && section_name.starts_with(|c: char| c.is_ascii_uppercase())
                        && sub_heading(&section_name).is_none()
                        && !heading_introduces_params(&section_name);
                    if ((part == Part::NotQuery && open.is_none()) || type_heading)
                        && FIELD_HEADS.contains(&head.as_str())
                        && is_identifier(&section_name)
                        && description.is_some()
                    {
                        let fields = self.schemas.entry(section_name.clone()).or_default();
                        for row in rows.iter().take(500) {
                            let name = cell(row, Some(0));
                            if is_identifier(&name) && fields.len() < 1000 {
                                fields.push(FieldDoc {
                                    name,
                                    ty: cell(row, ty),
                                    description: cell(row, description),
                                });
                            }
                        }
                        continue;
                    }
                    // A table of responses naming the success response's schema.
                    if part == Part::Response {
                        if let (Some((slot, _)), Some(schema)) = (open, column(&["schema"])) {
                            let success = rows
                                .iter()
                                .find(|row| row.first().is_some_and(|c| c.trim().starts_with('2')));
                            if let Some(row) = success {
                                let name = link_text(&cell(row, Some(schema)));
                                if is_identifier(&name) {
                                    self.slots[slot].response_schema.get_or_insert(name);
                                }
                            }
                        }
                    }
                    if part == Part::Response && FIELD_HEADS.contains(&head.as_str()) {
                        if let (Some((slot, _)), Some(_)) = (open, description) {
                            let fields = &mut self.slots[slot].fields;
                            for row in rows.iter().take(500) {
                                let name = cell(row, Some(0));
                                let name = name.trim_start_matches(['»', ' ', '\u{a0}']);
                                if is_identifier(name) && fields.len() < 1000 {
                                    fields.push(FieldDoc {
                                        name: name.to_string(),
                                        ty: cell(row, ty),
                                        description: cell(row, description),
                                    });
                                }
                            }
                        }
                        continue;
                    }
                    // The request headers of the open operation (`Api-Version | string |
                    // yes | Must be 2024-05-01.`): required ones are sent with the value the
                    // docs give (else asked for in setup); a changes-since one filters.
                    if header_table
                        && (PARAM_HEADS.contains(&head.as_str())
                            || ["header", "headers", "headername"].contains(&head.as_str()))
                    {
                        if let Some((slot, _)) = open {
                            for row in rows.iter().take(50) {
                                let name = link_text(&cell(row, Some(0)));
                                let name = name.trim();
                                if name.is_empty()
                                    || name.len() > 64
                                    || !name
                                        .chars()
                                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                                {
                                    continue;
                                }
                                let text = cell(row, description);
                                let req = cell(row, required).to_ascii_lowercase();
                                let required =
                                    matches!(
                                        req.as_str(),
                                        "yes" | "true" | "required" | "y" | "✓" | "x"
                                    ) || text.to_ascii_lowercase().starts_with("required");
                                self.add_header(slot, name, &text, required);
                            }
                        }
                        continue;
                    }
                    if !PARAM_HEADS.contains(&head.as_str()) || part != Part::Request {
                        continue;
                    }
                    // An index of a description's components (openapi-to-md's "Reference
                    // Table": `| page | [#/components/parameters/page](…) | … |`) names
                    // definitions, not the parameters of the endpoints around it.
                    let index = rows.iter().take(50).any(|row| {
                        row.iter().skip(1).any(|c| {
                            let c = c.trim_start_matches('[');
                            c.starts_with("#/components/") || c.starts_with("#/definitions/")
                        })
                    });
                    if index {
                        continue;
                    }
                    for row in rows.iter().take(500) {
                        let name = cell(row, Some(0));
                        if !is_param_name(&name) {
                            continue;
                        }
                        // widdershins' `In` column: only query parameters are the GET's.
                        let place = cell(row, location).to_ascii_lowercase();
                        if !matches!(
                            place.as_str(),
                            "" | "query" | "querystring" | "query string"
                        ) {
                            continue;
                        }
                        let text = cell(row, description);
                        let req = cell(row, required).to_ascii_lowercase();
                        let required =
                            matches!(req.as_str(), "yes" | "true" | "required" | "y" | "✓" | "x")
                                || text.to_ascii_lowercase().starts_with("required");
                        let param = ParamDoc {
                            name,
                            description: text,
                            required,
                            ty: cell(row, ty),
                            at: block.at,
                        };
                        self.place_param(param, open, paging, Some(page));
                    }
                }
            }
        }
    }

    /// A type block: the success response of the open endpoint, or a named type under
    /// its pointer (`### #/components/schemas/Pet`, `### #/components/responses/list`).
    fn type_block(
        &mut self,
        text: &str,
        at: At,
        open: Option<(usize, usize)>,
        part: Part,
        success: bool,
        section_name: &str,
    ) {
        match open {
            Some((slot, _))
                if part == Part::Response && success && self.slots[slot].schema.is_none() =>
            {
                self.slots[slot].schema = typeblock::schema(text, &mut type_ref).map(|s| (s, at));
            }
            None if self.types.len() < MAX_TYPES => {
                // `#/components/schemas/Pet` → `Pet`.
                let Some(name) =
                    type_ref(section_name).and_then(|r| r.rsplit('/').next().map(str::to_string))
                else {
                    return;
                };
                if let std::collections::hash_map::Entry::Vacant(entry) = self.types.entry(name) {
                    if let Some(schema) = typeblock::schema(text, &mut type_ref) {
                        entry.insert((schema, at));
                    }
                }
            }
            _ => {}
        }
    }

    /// A `Link` header mention: the open endpoint's own, else (in a paging section or
    /// outside any request's section) the document's convention.
    fn note_link(&mut self, at: At, open: Option<(usize, usize)>, paging: Option<usize>) {
        match open {
            Some((slot, _)) if paging.is_none() => {
                self.slots[slot].link.get_or_insert(at);
            }
            _ if paging.is_some() || !self.section_mentioned => {
                self.link_header.get_or_insert(at);
            }
            _ => {}
        }
    }

    fn add_method_row(&mut self, row: MethodRow) {
        if self.method_rows.len() < 2000 {
            if row.slot.target.starts_with("http") {
                self.note_origin(&row.slot.target.clone());
            }
            if row.method == "GET" {
                self.slots.push(row.slot.clone());
            }
            self.method_rows.push(row);
        }
    }

    /// The methods of a table of methods whose title (description) is `text`.
    fn titled(&self, at: At, text: &str) -> Option<Vec<(String, Slot)>> {
        if self.method_rows.is_empty() || text.len() > 200 {
            return None;
        }
        let key = title_key(text);
        if key.is_empty() {
            return None;
        }
        let found: Vec<(String, Slot)> = self
            .method_rows
            .iter()
            .filter(|r| r.title == key)
            .map(|r| {
                let mut slot = r.slot.clone();
                slot.at = at;
                (r.method.clone(), slot)
            })
            .collect();
        (!found.is_empty()).then_some(found)
    }

    /// Files a parameter with the open endpoint, the paging convention or the page.
    fn place_param(
        &mut self,
        param: ParamDoc,
        open: Option<(usize, usize)>,
        paging: Option<usize>,
        page: Option<usize>,
    ) {
        if paging.is_some() {
            if !self.paging_params.iter().any(|p| p.name == param.name) {
                self.paging_params.push(param);
            }
        } else if let Some((slot, _)) = open {
            let params = &mut self.slots[slot].params;
            if !params.iter().any(|p| p.name == param.name) && params.len() < 200 {
                params.push(param);
            }
        } else if let Some(page) = page.filter(|_| !self.section_mentioned) {
            // Parameters in a section of their own (Toggl's "Request Parameters") hold for
            // the page's endpoints; those after another method's request are that request's.
            if self.pages[page].kind != ProseKind::PlainText && self.page_params.len() < 1000 {
                self.page_params.push((page, param));
            }
        }
    }

    /// Opens the `GET` mentions found on a line; any other method closes the section's
    /// endpoint (what follows belongs to that request).
    fn open_mentions(
        &mut self,
        found: Vec<(String, Slot)>,
        level: usize,
        mut open: Option<(usize, usize)>,
    ) -> Option<(usize, usize)> {
        self.section_mentioned = true;
        for (method, slot) in found {
            if method != "GET" {
                open = None;
                continue;
            }
            self.slots.push(slot);
            open = Some((self.slots.len() - 1, level));
        }
        open
    }

    /// `METHOD /path`, `METHOD https://...`, `curl ...` on one line. `host` is a `Host:`
    /// header that follows a request line in the same code block.
    fn mentions(&mut self, at: At, line: &str, host: Option<&str>) -> Vec<(String, Slot)> {
        let slot = |target: String, via| new_slot(target, via, at);
        let mut out = Vec::new();
        if let Some(line) = curl_part(line) {
            let url = shell_words(line)
                .into_iter()
                .find(|w| w.starts_with("http://") || w.starts_with("https://"));
            if let Some(url) = url {
                let explicit = curl_args(line, &["-X", "--request"])
                    .into_iter()
                    .next()
                    .map(|m| m.to_ascii_uppercase());
                let data = [
                    "-d",
                    "--data",
                    "--data-raw",
                    "--data-binary",
                    "--data-urlencode",
                    "-F",
                    "--form",
                    "-T",
                ]
                .iter()
                .any(|f| {
                    shell_words(line)
                        .iter()
                        .any(|w| w == f || w.starts_with(&format!("{f}=")))
                });
                let method =
                    explicit.unwrap_or_else(|| if data { "POST".into() } else { "GET".into() });
                self.note_origin(&url);
                out.push((method, slot(url, "curl example")));
            }
            return out;
        }
        let bytes = line.as_bytes();
        for method in METHODS {
            let mut from = 0;
            while let Some(i) = line[from..].find(method) {
                let start = from + i;
                from = start + method.len();
                let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
                let mut rest = &line[from..];
                // `[GET]/path` (openapi-to-md's headings): the method in brackets, the path
                // right after.
                if start > 0 && bytes[start - 1] == b'[' {
                    if let Some(after) = rest.strip_prefix(']').filter(|a| a.starts_with('/')) {
                        rest = after;
                    }
                }
                let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                let bracketed = rest.starts_with('/') && !line[from..].starts_with('/');
                if !before_ok || (gap == 0 && !bracketed) {
                    continue;
                }
                let Some(target) = target_token(&rest[gap..]) else {
                    continue;
                };
                let target = match host {
                    Some(host) if target.starts_with('/') && rest.contains("HTTP/") => {
                        let scheme = if host.starts_with("localhost") {
                            "http"
                        } else {
                            "https"
                        };
                        format!("{scheme}://{host}{target}")
                    }
                    _ => target,
                };
                if target.starts_with("http") {
                    self.note_origin(&target);
                }
                let via = if host.is_some() {
                    "request example"
                } else {
                    "endpoint line"
                };
                out.push(((*method).to_string(), slot(target, via)));
            }
        }
        out.sort_by_key(|(_, s)| s.at.line);
        out
    }

    fn note_origin(&mut self, url: &str) {
        if let Some(origin) = origin_of(url) {
            if self.origins.len() < 100_000 {
                self.origins.push(origin);
                // The version segments its path starts with (`/v1`), for the base.
                let lead: Vec<&str> = url_path(url)
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .take_while(|s| is_version_segment(s))
                    .collect();
                if self.example_prefixes.len() < 10_000 {
                    let prefix = if lead.is_empty() {
                        String::new()
                    } else {
                        format!("/{}", lead.join("/"))
                    };
                    self.example_prefixes.push((url.to_string(), prefix));
                }
            }
        }
    }
}

/// Every line of the blocks, with its place (table rows joined by ` | `).
fn flat_lines(blocks: &[Block]) -> Vec<(At, String)> {
    let mut out = Vec::new();
    for block in blocks {
        match &block.kind {
            Kind::Heading(_, text) | Kind::Text(text) => out.push((block.at, text.clone())),
            Kind::Code(_, lines) => out.extend(join_continuations(lines)),
            Kind::Table(header, rows) => {
                out.push((block.at, header.join(" | ")));
                out.extend(rows.iter().map(|r| (block.at, r.join(" | "))));
            }
        }
    }
    out
}

/// Shell lines ending in `\` joined with the next (at most 40).
fn join_continuations(lines: &[(At, String)]) -> Vec<(At, String)> {
    let mut out: Vec<(At, String)> = Vec::new();
    let mut joining = 0;
    for (at, line) in lines {
        if joining > 0 {
            if let Some((_, last)) = out.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
                joining -= 1;
                if !last.ends_with('\\') {
                    joining = 0;
                } else {
                    last.pop();
                }
                continue;
            }
        }
        let mut text = line.clone();
        if text.trim_end().ends_with('\\') {
            text = text.trim_end().trim_end_matches('\\').to_string();
            joining = 40;
        }
        out.push((*at, text));
    }
    out
}

fn is_curl(lower: &str) -> bool {
    curl_part(lower).is_some()
}

/// The curl command on a line: the whole line (`curl ...`, `$ curl ...`) or an inline one
/// in backticks (`` `curl -H "X-Api-Key: KEY" https://...` ``).
fn curl_part(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("$ ");
    if t.starts_with("curl ") {
        return Some(t);
    }
    let start = line.find("`curl ")? + 1;
    let end = line[start..].find('`').map_or(line.len(), |e| start + e);
    Some(&line[start..end])
}

/// Words of a shell line, quotes removed (no expansion).
fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for ch in line.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => word.push(ch),
            None if ch == '"' || ch == '\'' => {
                quote = Some(ch);
                any = true;
            }
            None if ch.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            None => word.push(ch),
        }
        if out.len() > 500 {
            break;
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

/// The values of a curl option (`-X GET`, `-XGET`, `--request=GET`).
fn curl_args(line: &str, flags: &[&str]) -> Vec<String> {
    let words = shell_words(line);
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        for flag in flags {
            if word == flag {
                if let Some(value) = words.get(i + 1) {
                    out.push(value.clone());
                }
            } else if let Some(value) = word.strip_prefix(&format!("{flag}=")) {
                out.push(value.to_string());
            } else if flag.len() == 2 && word.starts_with(flag) && word.len() > 2 {
                out.push(word[2..].to_string());
            }
        }
    }
    out
}

/// `Host: example.com` → `example.com`.
fn host_header(line: &str) -> Option<String> {
    let (name, value) = line.trim().split_once(':')?;
    if !name.eq_ignore_ascii_case("host") {
        return None;
    }
    let value = value.trim();
    (!value.is_empty() && !value.contains(char::is_whitespace)).then(|| value.to_string())
}

/// The path or URL right after a method word, if it looks like one.
fn target_token(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| c.is_whitespace() || "`'\"<>)]|*,;".contains(c))
        .unwrap_or(text.len());
    let token = text[..end].trim_end_matches(['.', ':']);
    let ok_start = if let Some(rest) = token.strip_prefix('/') {
        rest.starts_with(|c: char| c.is_ascii_alphanumeric() || "{:$_<".contains(c))
    } else {
        (token.starts_with("https://") || token.starts_with("http://"))
            && origin_of(token).is_some()
    };
    (ok_start && token.len() <= 400 && !token.contains("//{") && !token.contains("..."))
        .then(|| token.to_string())
}

/// URLs in a line of text.
fn urls_in(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find("http") {
        let start = from + i;
        let rest = &line[start..];
        from = start + 4;
        if !(rest.starts_with("https://") || rest.starts_with("http://")) {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || "`'\"<>)]|*,;".contains(c))
            .unwrap_or(rest.len());
        let url = rest[..end].trim_end_matches(['.', ':']);
        if origin_of(url).is_some() {
            out.push(url.to_string());
        }
        if out.len() > 50 {
            break;
        }
    }
    out
}

/// `https://host[:port]` of a URL, `None` if it has no host.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:{}_$[]".contains(c));
    valid.then(|| format!("{}://{host}", scheme.to_ascii_lowercase()))
}

fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    strip_query(path)
}

fn strip_query(text: &str) -> &str {
    text.split(['?', '#']).next().unwrap_or(text)
}

/// Names of the query parameters of a URL.
fn query_names(url: &str) -> Vec<String> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split(['&', '#'])
        .filter_map(|pair| pair.split('=').next())
        .filter(|n| is_identifier(n))
        .map(str::to_string)
        .collect()
}

/// A declared base URL, cleaned: no query, no trailing `/` or `{resource}`-like segment; not
/// a documentation link, an auth URL or a file.
fn base_candidate(url: &str) -> Option<String> {
    let origin = origin_of(url)?;
    let host = origin
        .split("://")
        .nth(1)
        .unwrap_or("")
        .to_ascii_lowercase();
    if DOC_HOSTS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    {
        return None;
    }
    let mut path = url_path(url).trim_end_matches('/').to_string();
    let lower = path.to_ascii_lowercase();
    if lower.contains("oauth") || lower.contains("authoriz") || lower.contains("token") {
        return None;
    }
    while let Some(i) = path.rfind('/') {
        let last = &path[i + 1..];
        if last.starts_with('{') && last.ends_with('}') {
            path.truncate(i);
        } else {
            break;
        }
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return None;
    }
    Some(format!("{origin}{path}"))
}

/// Query parameters that select the call of an RPC-over-GET endpoint (squashed).
const RPC_SELECTORS: &[&str] = &[
    "api", "method", "version", "action", "op", "cmd", "function",
];

/// `?api=SYNO.FileStation.List&version=2&method=list_share` → (`shares`, the selectors).
fn rpc_selector(target: &str) -> Option<(String, Vec<(String, String)>)> {
    let (_, query) = target.split_once('?')?;
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(n, v)| RPC_SELECTORS.contains(&naming::squash(n).as_str()) && !v.is_empty())
        .filter(|(n, v)| is_identifier(n) && v.len() <= 100 && !v.contains(['{', '<', '$']))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let value = |names: &[&str]| {
        pairs
            .iter()
            .find(|(n, _)| names.contains(&naming::squash(n).as_str()))
            .map(|(_, v)| v.as_str())
    };
    let call = value(&["method", "action", "op", "cmd", "function"])?;
    let verbs = ["list", "get", "fetch", "read", "index", "all"];
    let mut words: Vec<String> = snake_ident(call)
        .split('_')
        .filter(|w| !verbs.contains(w))
        .map(str::to_string)
        .collect();
    if words.is_empty() {
        // `method=list` on `api=SYNO.FileStation.List`: the API's last noun.
        let api = value(&["api"]).unwrap_or("");
        words = api
            .rsplit('.')
            .map(snake_ident)
            .find(|w| !verbs.contains(&w.as_str()) && w != "x")
            .into_iter()
            .collect();
    }
    let word = naming::plural(&words.join("_"));
    (!word.is_empty() && is_identifier(&word)).then_some((word, pairs))
}

/// Last path words that name a view of the resource before them, not a resource.
const VIEW_WORDS: &[&str] = &[
    "recent",
    "newest",
    "latest",
    "oldest",
    "all",
    "active",
    "archived",
    "completed",
    "trashed",
    "mine",
    "current",
    "due",
    "overdue",
];

/// The singular entity whose records a path lists: its last resource word, or the one before
/// a view word (`/companies/recent` → `company`).
fn record_entity(path: &str) -> Option<String> {
    let words: Vec<String> = naming::segments(path)
        .iter()
        .filter_map(|s| match s {
            Segment::Literal(l) if !is_version_segment(l) => {
                Some(snake_ident(l.split('.').next().unwrap_or(l)))
            }
            _ => None,
        })
        .collect();
    let mut rev = words.iter().rev();
    let last = rev.next()?;
    let word = if VIEW_WORDS.contains(&last.as_str()) {
        rev.next().unwrap_or(last)
    } else {
        last
    };
    Some(naming::singular(word))
}

/// Words that say an endpoint returns a list.
fn is_list_words(lower: &str) -> bool {
    [
        "list of",
        "array of",
        "paginated",
        "return all",
        "returns all",
        "collection of",
        "all the ",
        "a list",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// `**Required parameters**: \`type\`, which must be ...` → a required parameter.
fn inline_required_param(line: &str, at: At) -> Option<ParamDoc> {
    let text = plain(line);
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("required parameters")
        .or_else(|| lower.strip_prefix("required parameter"))?;
    let rest = rest.trim_start_matches([':', ' ', '-']);
    let len = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count();
    // The original spelling: the lower-cased copy only found the place (ASCII, same length).
    let offset = text.len() - rest.len();
    let name = text.get(offset..offset + len)?.to_string();
    is_identifier(&name).then(|| ParamDoc {
        description: clean_text(&text),
        name,
        required: true,
        ty: String::new(),
        at,
    })
}

/// `* \`name\` - text`, `- name: text`, `* **name** (integer): text` → a parameter.
fn bullet_param(line: &str, at: At) -> Option<ParamDoc> {
    let t = line.trim_start();
    // `*`, `-`, `+` or any symbol bullet (`•`, and the private-use glyphs PDFs use).
    let mut chars = t.chars();
    let bullet = chars.next()?;
    let is_bullet = matches!(bullet, '*' | '-' | '+' | '•' | '▪' | '◦' | '·' | '–')
        || ('\u{e000}'..='\u{f8ff}').contains(&bullet);
    let rest = chars.as_str();
    if !is_bullet || !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.trim_start_matches(['`', '*', '_']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.[]".contains(c)))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    let after = rest[end..].trim_start_matches(['`', '*', '_']).trim_start();
    if !is_param_name(name) || !(after.starts_with(['-', ':', '(', '—', '–']) || after.is_empty())
    {
        return None;
    }
    let description = plain(after.trim_start_matches(['-', ':', '—', '–']).trim());
    let lower = description.to_ascii_lowercase();
    Some(ParamDoc {
        name: name.to_string(),
        required: lower.starts_with("required") || lower.contains("(required"),
        ty: String::new(),
        description,
        at,
    })
}

/// Sentences about identifying records kept at most (each endpoint without a key reads
/// them all).
const MAX_KEY_SENTENCES: usize = 2000;

/// A plain-text table of parameters being read: whether its rows are query parameters,
/// lines since its last row, and the slot and name of that row.
type PlainTable = (bool, usize, Option<(usize, String)>);

/// Types a table of parameters names.
const TYPE_WORDS: &[&str] = &[
    "string",
    "integer",
    "int",
    "number",
    "boolean",
    "bool",
    "date-time",
    "datetime",
    "date",
    "timestamp",
    "array",
    "object",
    "float",
    "double",
    "long",
    "enum",
    "uuid",
];

/// The header of a parameter table printed to text ("Parameter Type Required Description"):
/// `Some(whether its rows are query parameters)`, from the title line before it ("Path
/// parameters" are not).
/// Whether a (lower-case) title or line names request headers (`Headers`, `Request header`).
fn names_headers(lower: &str) -> bool {
    lower
        .split_whitespace()
        .any(|w| w == "headers" || w == "header")
}

fn plain_param_header(lower: &str, previous: &str) -> Option<bool> {
    let words: Vec<&str> = lower.split_whitespace().collect();
    let first = *words.first()?;
    // Its title alone ("Query parameters", "Path parameters"): a header repeated at the top
    // of each page is dropped with the running lines.
    if let [kind, "parameters" | "params" | "parameter"] = words.as_slice() {
        return match *kind {
            "query" | "request" | "url" | "optional" | "required" => Some(true),
            "path" | "body" | "header" | "response" | "form" => Some(false),
            _ => None,
        };
    }
    let header = words.len() <= 6
        && [
            "parameter",
            "parameters",
            "param",
            "name",
            "argument",
            "query",
            "header",
        ]
        .contains(&first)
        && words.contains(&"description");
    header.then(|| {
        !previous
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| ["path", "body", "header", "headers", "response", "form"].contains(&w))
    })
}

/// A row of a parameter table printed to text: `name [type] [optional|required] text`. The
/// name is not a type, a flag or an English word starting a wrapped description.
fn plain_param_row(line: &str, at: At) -> Option<ParamDoc> {
    let mut words = line.split_whitespace().peekable();
    let name = words.next()?;
    let lower = name.to_ascii_lowercase();
    let capitalised_word = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name[1..].chars().all(|c| c.is_ascii_lowercase());
    let english = [
        "the", "a", "an", "of", "to", "in", "or", "and", "for", "with", "is", "it", "this", "that",
        "on", "at", "by", "as", "be", "if", "when", "one", "only", "use", "see",
    ];
    if !is_param_name(name)
        || name.ends_with(['.', ':', ','])
        || capitalised_word
        || english.contains(&lower.as_str())
        || TYPE_WORDS.contains(&lower.as_str())
        || ["optional", "required", "yes", "no"].contains(&lower.as_str())
    {
        return None;
    }
    let mut ty = String::new();
    if let Some(word) = words
        .peek()
        .filter(|w| TYPE_WORDS.contains(&w.to_ascii_lowercase().as_str()))
    {
        ty = word.to_ascii_lowercase();
        words.next();
    }
    let mut required = false;
    if let Some(word) = words.peek().map(|w| w.to_ascii_lowercase()) {
        if word == "optional" || word == "required" {
            required = word == "required";
            words.next();
        }
    }
    let description = words.collect::<Vec<_>>().join(" ");
    // A row shows its type or flag beside the name, or starts its description as a sentence;
    // a wrapped description's line ("after this time (RFC 3339).") does neither.
    let flagged = line
        .split_whitespace()
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case("optional") || w.eq_ignore_ascii_case("required"));
    if ty.is_empty() && !flagged && !description.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    Some(ParamDoc {
        name: name.to_string(),
        description,
        required,
        ty,
        at,
    })
}

/// A response or type field read as a parameter row of a plain-text table: `phone string or
/// null Phone number`, `results array of Branch The branches` keep their whole type.
fn plain_field(param: ParamDoc) -> FieldDoc {
    let mut ty = param.ty;
    let mut description = param.description.as_str();
    if let Some(rest) = description.strip_prefix("or null") {
        ty.push_str(" or null");
        description = rest.trim_start();
    } else if ty == "array" {
        if let Some(rest) = description.strip_prefix("of ") {
            let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            ty = format!("array of {name}");
            description = rest;
        }
    }
    FieldDoc {
        name: param.name,
        ty,
        description: description.to_string(),
    }
}

/// A line holding only a type and perhaps a flag: a row's cells centred beside its wrapped
/// name and description.
fn plain_type_line(lower: &str) -> Option<String> {
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.as_slice() {
        [ty] | [ty, "optional" | "required"] if TYPE_WORDS.contains(ty) => Some(ty.to_string()),
        _ => None,
    }
}

/// In plain text (PDF tables flattened to lines): `offset Optional. Specify how many ...`.
fn plain_paging_param(line: &str, at: At) -> Option<ParamDoc> {
    let mut words = line.split_whitespace();
    let name = words.next()?;
    let rest: Vec<&str> = words.collect();
    let lower = rest.join(" ").to_ascii_lowercase();
    let describes = [
        "page",
        "offset",
        "skip",
        "return",
        "number of",
        "how many",
        "records",
        "results",
        "items",
    ]
    .iter()
    .any(|w| lower.contains(w));
    (PAGING_WORDS.contains(&naming::squash(name).as_str())
        && is_identifier(name)
        && rest.len() >= 3
        && describes)
        .then(|| ParamDoc {
            name: name.to_string(),
            description: rest.join(" "),
            required: false,
            ty: String::new(),
            at,
        })
}

/// A query parameter's name: an identifier, perhaps with a comparison operator after it
/// (Twilio-style `DateSent>`, `DateModified<=`).
fn is_param_name(name: &str) -> bool {
    let bare = name.trim_end_matches(['>', '<', '=']);
    name.len() - bare.len() <= 2 && is_identifier(bare)
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.[]$".contains(c))
}

/// A credential the words show in a request or name as a header or query parameter:
/// `("header_format", "Authorization: Token <key>")` for an `Authorization` value with its
/// own scheme word or none, `("header", "X-Api-Key")`, `("query", "api_key")`. Names must
/// speak of a key or token; a bearer or basic `Authorization` is not one of these.
fn key_mention(line: &str) -> Option<(&'static str, String)> {
    // A credential is shown on a short line; a long one is prose or data (and would make the
    // scans below slow).
    if line.len() > 2048 {
        return None;
    }
    let keyish = |name: &str| {
        let s = naming::squash(name);
        let other = [
            "page",
            "next",
            "cursor",
            "sync",
            "continuation",
            "csrf",
            "xsrf",
            "webhook",
            "signature",
            "idempotency",
            "refresh",
            "verify",
            "reset",
        ];
        (s.contains("key") || s.contains("token") || s.contains("secret") || s == "auth")
            && !matches!(s.as_str(), "authorization" | "contenttype" | "accept")
            && !other.iter().any(|o| s.contains(o))
    };
    // A word that is the key's placeholder from its first character.
    let placeholder = |word: &str| crate::infer::auth::key_placeholder(word) == Some(0);
    // `Name: value` written out.
    for (i, _) in line.match_indices(": ").take(8) {
        // By bytes: a non-ASCII character before the name is never split.
        let name_start = line.as_bytes()[..i]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
            .map_or(0, |j| j + 1);
        let name = &line[name_start..i];
        // A header is written at the start of a line, in a code span or quotes, or after
        // curl's `-H `: not the last word of a sentence ("API key: YOUR_KEY").
        let lead = line[..name_start].trim_end();
        let written = lead.is_empty()
            || lead.ends_with(['`', '"', '\''])
            || lead.ends_with("-H")
            || lead.ends_with("--header");
        if name.is_empty() || !written {
            continue;
        }
        let value = line[i + 2..]
            .split(['`', '"', '\''])
            .next()
            .unwrap_or("")
            .trim();
        // A bracketed placeholder may hold spaces (`<your key>`): what precedes it is the
        // scheme word.
        let words: Vec<&str> = match value.find(['<', '{', '[']) {
            Some(i) => value[..i]
                .split_whitespace()
                .chain(std::iter::once(&value[i..]))
                .collect(),
            None => value.split_whitespace().collect(),
        };
        if name.eq_ignore_ascii_case("authorization") {
            match words.as_slice() {
                [scheme, key] if placeholder(key) => {
                    let lower = scheme.to_ascii_lowercase();
                    if lower != "bearer" && lower != "basic" && !placeholder(scheme) {
                        return Some(("header_format", format!("Authorization: {scheme} <key>")));
                    }
                }
                [key] if placeholder(key) => {
                    return Some(("header_format", "Authorization: <key>".to_string()));
                }
                _ => {}
            }
        } else if keyish(name) && words.first().is_some_and(|w| placeholder(w)) {
            return Some(("header", name.to_string()));
        }
    }
    // "the `X-Api-Key` header", "the `api_key` query parameter".
    let lower = line.to_ascii_lowercase();
    let parts: Vec<&str> = line.split('`').collect();
    for (k, part) in parts.iter().enumerate().filter(|(k, _)| k % 2 == 1) {
        let name = part.trim();
        if name.is_empty() || name.len() > 64 || !is_identifier(name) || !keyish(name) {
            continue;
        }
        let next = parts.get(k + 1).copied().unwrap_or("");
        let after: String = next
            .chars()
            .take(40)
            .collect::<String>()
            .to_ascii_lowercase();
        let after = after.trim_start();
        if after.starts_with("header")
            || after.starts_with("http header")
            || after.starts_with("request header")
        {
            return Some(("header", name.to_string()));
        }
        if after.starts_with("query")
            || after.starts_with("url parameter")
            || after.starts_with("parameter") && lower.contains("query")
        {
            return Some(("query", name.to_string()));
        }
    }
    None
}

/// "The Company Object" → `company`.
fn object_heading(text: &str) -> Option<String> {
    let lower = plain(text).to_ascii_lowercase();
    let lower = lower.trim_end_matches(':').trim();
    // "The Tax Object (Beta)": drop a trailing remark.
    let lower = lower.split(" (").next().unwrap_or(lower).trim();
    let name = lower
        .strip_suffix(" object")
        .or_else(|| lower.strip_suffix(" objects"))?;
    let name = name.strip_prefix("the ").unwrap_or(name);
    let name = name.strip_prefix("a ").unwrap_or(name);
    let words = name.split_whitespace().count();
    // "Additional Fields and Linked Objects" is about options, not a record.
    ((1..=3).contains(&words) && !name.contains(" and ") && !name.contains("linked"))
        .then(|| naming::singular(&snake_ident(name)))
}

/// An example record: the object itself, or the first object of an array.
fn record_of(value: &Value) -> Value {
    match value {
        Value::Array(items) => items
            .iter()
            .find(|v| v.is_object())
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    }
}

/// How much an example looks like a list response: an array of records 3, an object holding
/// one 2, another object 1, an error body 0.
fn example_rank(value: &Value) -> u8 {
    let records = |v: &Value| v.as_array().is_some_and(|a| a.iter().any(Value::is_object));
    match value {
        Value::Object(map) if map.keys().any(|k| k.to_ascii_lowercase().contains("error")) => 0,
        Value::Array(_) if records(value) => 3,
        Value::Object(map) if map.values().any(records) => 2,
        Value::Object(_) => 1,
        _ => 0,
    }
}

/// `{"meta": {...}, "response": {}}` → `response`: an envelope whose record member is a
/// placeholder.
fn envelope_of(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    if map.len() < 2 {
        return None;
    }
    map.iter()
        .find(|(k, v)| {
            ENVELOPES.contains(&k.as_str())
                && match v {
                    Value::Object(m) => m.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    Value::String(s) => s.trim_matches('.').is_empty(),
                    _ => false,
                }
        })
        .map(|(k, _)| k.clone())
}

// ---------------------------------------------------------------------------------------
// Evidence → a synthetic OpenAPI document → the shared inference

/// The document handed to the OpenAPI inference, and what it was made from.
struct Synthetic {
    doc: Value,
    /// Path key → where the evidence is, in words.
    evidence: HashMap<String, String>,
    /// Where the `Link` header convention is described.
    /// Endpoints (by path key) that page with the `Link` header, and where that is said.
    link_header: HashMap<String, String>,
    /// Path key of an RPC endpoint's stand-in path → its real path and fixed selectors.
    rpc: HashMap<String, (String, Vec<(String, String)>)>,
    /// Path key → the documented descriptions of its records' fields (name, description),
    /// and where the endpoint's example is.
    /// Per path key: the documented fields and where.
    field_docs: HashMap<String, (Vec<DocumentedField>, String)>,
    /// Sentences that say what identifies a record, and where each is.
    key_sentences: Vec<(String, String)>,
}

/// Whether two host patterns can name the same host (`{deployment}.api.x.com` matches
/// `acme.api.x.com`).
fn hosts_match(a: &str, b: &str) -> bool {
    let a: Vec<&str> = a.split('.').collect();
    let b: Vec<&str> = b.split('.').collect();
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x.eq_ignore_ascii_case(y) || is_placeholder(x) || is_placeholder(y))
}

fn is_placeholder(segment: &str) -> bool {
    segment.contains(['{', '$', '<']) || segment.starts_with(':')
}

fn is_version_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let versionish = lower.len() > 1
        && lower.starts_with('v')
        && lower[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
    versionish || matches!(lower.as_str(), "api" | "rest" | "latest" | "public")
}

/// A segment that is an example value or placeholder rather than a name.
fn is_id_segment(segment: &str) -> bool {
    let stem = segment.split('.').next().unwrap_or(segment);
    let numeric = !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_digit() || c == ',')
        && stem.chars().any(|c| c.is_ascii_digit());
    let uuid = stem.len() == 36 && stem.chars().filter(|c| *c == '-').count() == 4;
    // `u123`, `g425123356`, `s12-345-678`: a short letter prefix on a number.
    let letters = stem.chars().take_while(char::is_ascii_alphabetic).count();
    let tail = &stem[letters..];
    let prefixed = (1..=3).contains(&letters)
        && tail.starts_with(|c: char| c.is_ascii_digit())
        && tail.chars().all(|c| c.is_ascii_digit() || c == '-')
        && tail.chars().filter(char::is_ascii_digit).count() >= 3;
    // `uID`, `gID`: a placeholder written as a name.
    let named = (3..=5).contains(&stem.len())
        && (stem.ends_with("ID") || stem.ends_with("Id"))
        && stem.chars().all(|c| c.is_ascii_alphabetic());
    // `ord_1`, `cus_NffrFeUfNV2Hib`: a short lower-case prefix, `_`, a token with a digit.
    let typed = stem.split_once('_').is_some_and(|(prefix, token)| {
        (2..=4).contains(&prefix.len())
            && prefix.chars().all(|c| c.is_ascii_lowercase())
            && !token.is_empty()
            && token.chars().all(|c| c.is_ascii_alphanumeric())
            && token.chars().any(|c| c.is_ascii_digit())
    });
    numeric || uuid || prefixed || named || typed || is_placeholder(stem)
}

/// Whether a path's last segment names a plural (`/v2/orders`, not `/v2/account`).
fn plural_tail(path: &str) -> bool {
    let segments = naming::segments(path);
    let mut literals = segments.iter().rev().map_while(|s| match s {
        Segment::Literal(l) => Some(snake_ident(l.split('.').next().unwrap_or(l))),
        Segment::Param(_) => None,
    });
    let Some(mut word) = literals.next() else {
        return false;
    };
    // `/companies/newest`, `/contacts/recent`: a view of the list before it.
    if VIEW_WORDS.contains(&word.as_str()) {
        match literals.next() {
            Some(before) => word = before,
            None => return false,
        }
    }
    naming::singular(&word) != word
}

/// Rewrites example IDs and `$VAR`/`:var`/`<var>` segments as `{name}` parameters:
/// `/todosets/3/todolists.json` → `/todosets/{todoset_id}/todolists.json`.
fn template(path: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<String> = None;
    let mut names: Vec<String> = Vec::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let (stem, ext) = match segment.split_once('.') {
            Some((s, e)) if is_id_segment(segment) && !s.starts_with('{') => (s, Some(e)),
            _ => (segment, None),
        };
        let rewritten = if stem.starts_with('{') && stem.ends_with('}') {
            let inner = snake_ident(&stem[1..stem.len() - 1]);
            Some(inner)
        } else if is_id_segment(stem) {
            let declared = stem
                .trim_start_matches(['$', ':', '<'])
                .trim_end_matches('>')
                .to_string();
            // A written placeholder keeps its name (`$ACCOUNT_ID`, `<uID>`); an example value
            // is named after the resource before it (`/todosets/3` → `todoset_id`).
            let written = is_placeholder(stem) || stem.ends_with("ID") || stem.ends_with("Id");
            let name = if written && declared.chars().any(|c| c.is_ascii_alphabetic()) {
                snake_ident(&declared)
            } else {
                match &previous {
                    Some(prev) => format!("{}_id", naming::singular(prev)),
                    None => "id".to_string(),
                }
            };
            Some(name)
        } else {
            None
        };
        match rewritten {
            Some(mut name) => {
                if names.contains(&name) {
                    let mut n = 2;
                    while names.contains(&format!("{name}_{n}")) {
                        n += 1;
                    }
                    name = format!("{name}_{n}");
                }
                out.push_str(&format!("{{{name}}}"));
                if let Some(ext) = ext {
                    out.push('.');
                    out.push_str(ext);
                }
                names.push(name);
                previous = None;
            }
            None => {
                out.push_str(segment);
                let word = segment.split('.').next().unwrap_or(segment);
                previous = (!is_version_segment(word)).then(|| snake_ident(word));
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The OpenAPI schema of a documented type (`unsigned`, `unix ts`, `string`, ...); the
/// example value, when there is one, wins over the table (it is what the wire carries).
fn type_schema(ty: &str, example: Option<&Value>) -> Value {
    let lower = ty.to_ascii_lowercase();
    // "string or null", "null or date": the one type, nullable.
    if lower.contains(" or ") {
        let kinds: Vec<&str> = lower
            .split(" or ")
            .map(str::trim)
            .filter(|k| !matches!(*k, "null" | "none" | "nil"))
            .collect();
        if let [one] = kinds.as_slice() {
            if *one != lower.trim() && !one.contains(" or ") {
                let mut schema = type_schema(one, example);
                if let Value::Object(map) = &mut schema {
                    if !map.is_empty() {
                        map.insert("nullable".into(), Value::Bool(true));
                    }
                }
                return schema;
            }
        }
    }
    let from_text = if lower.contains(" or ") {
        json!({})
    } else if lower.contains("unix") || lower.contains("epoch") {
        json!({"type": "integer", "format": "unix-time"})
    } else if lower.contains("date-time")
        || lower.contains("datetime")
        || lower.contains("timestamp")
    {
        json!({"type": "string", "format": "date-time"})
    } else if lower.contains("bool") {
        json!({"type": "boolean"})
    } else if lower.contains("int") || lower.contains("unsigned") || lower.contains("long") {
        json!({"type": "integer"})
    } else if lower.contains("float")
        || lower.contains("decimal")
        || lower.contains("number")
        || lower.contains("double")
    {
        json!({"type": "number"})
    } else if lower.contains("array") || lower.contains("list") {
        json!({"type": "array"})
    } else if lower.contains("object") || lower.contains("hash") {
        json!({"type": "object"})
    } else if lower.contains("date") {
        json!({"type": "string", "format": "date"})
    } else if lower.contains("string") || lower.contains("text") || lower.contains("enum") {
        json!({"type": "string"})
    } else {
        json!({})
    };
    match example {
        Some(Value::String(_))
            if from_text.get("format").and_then(Value::as_str) != Some("date-time") =>
        {
            json!({"type": "string"})
        }
        _ => from_text,
    }
}

/// The value a header table's description gives: the first quoted word, else the word after
/// "must be", "always", "set to", "use", "e.g.", "example" or "default" ("Must be
/// 2024-05-01." → `2024-05-01`).
fn header_value(text: &str) -> Option<String> {
    if let Some(quoted) = text
        .split('`')
        .nth(1)
        .filter(|q| !q.is_empty() && q.len() <= 200)
    {
        return Some(quoted.to_string());
    }
    let lower = text.to_ascii_lowercase();
    [
        "must be ",
        "always ",
        "set to ",
        "use ",
        "e.g. ",
        "example: ",
        "example ",
        "default: ",
        "default ",
    ]
    .iter()
    .find_map(|lead| {
        let i = lower.find(lead)? + lead.len();
        let word = text[i..].split_whitespace().next()?;
        let word = word
            .trim_end_matches(['.', ',', ';', ')'])
            .trim_matches(['"', '\'']);
        (!word.is_empty() && word.len() <= 200).then(|| word.to_string())
    })
}

/// `Default is 10`, `defaults to 0`, `default: 1` → the number.
fn default_from_text(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let i = lower.find("default")?;
    let rest = lower[i + 7..].trim_start_matches(|c: char| c.is_alphabetic() || " :=(".contains(c));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn param_value(param: &ParamDoc) -> Value {
    let squashed = naming::squash(&param.name);
    let mut schema = if param.ty.is_empty() {
        let numeric = PAGING_WORDS.contains(&squashed.as_str())
            || squashed.ends_with("page")
            || squashed.ends_with("limit");
        if numeric {
            json!({"type": "integer"})
        } else {
            json!({"type": "string"})
        }
    } else {
        type_schema(&param.ty, None)
    };
    if let (Some(default), Some(map)) = (
        default_from_text(&param.description),
        schema.as_object_mut(),
    ) {
        map.insert("default".into(), json!(default));
    }
    json!({
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": param.description,
        "schema": schema,
    })
}

impl Reader<'_> {
    fn openapi(&self, name: &str) -> Synthetic {
        // The server: the origin most requests go to (a declared base counts thrice).
        let mut counts: Vec<(String, usize)> = Vec::new();
        let mut bump =
            |origin: String, by: usize| match counts.iter_mut().find(|(o, _)| *o == origin) {
                Some((_, n)) => *n += by,
                None => counts.push((origin, by)),
            };
        for (base, _) in &self.bases {
            if let Some(origin) = origin_of(base) {
                bump(origin, 3);
            }
        }
        for origin in &self.origins {
            bump(origin.clone(), 1);
        }
        let primary = counts
            .iter()
            .enumerate()
            .max_by_key(|(i, (_, n))| (*n, usize::MAX - i))
            .map(|(_, (o, _))| o.clone());
        let host_of = |origin: &str| origin.split("://").nth(1).unwrap_or("").to_string();
        let on_primary = |url: &str| match (&primary, origin_of(url)) {
            (Some(p), Some(o)) => hosts_match(&host_of(p), &host_of(&o)),
            _ => false,
        };
        let mut account: Option<(String, Vec<String>)> = None;
        let mut prefixes: Vec<String> = Vec::new();
        for (base, _) in &self.bases {
            if !on_primary(base) {
                continue;
            }
            let segs: Vec<String> = url_path(base)
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if segs.is_empty() {
                continue;
            }
            if segs.iter().all(|s| is_version_segment(s)) {
                let prefix = format!("/{}", segs.join("/"));
                if !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
            } else if account.is_none() && segs.iter().any(|s| is_id_segment(s)) {
                account = Some((base.clone(), segs));
            }
        }
        // No declared base with a version: the version the request examples' URLs start
        // with (`curl https://api.x.com/v1/messages/123/cancel` → `/v1`), when they agree,
        // so a relative `GET /messages` elsewhere becomes `/v1/messages`.
        // Every example on the main host must start with it (an unversioned one vetoes it),
        // and it joins only relative paths that have no version of their own.
        let mut example_prefix: Option<String> = None;
        if prefixes.is_empty() && account.is_none() {
            let mut seen: Vec<&str> = Vec::new();
            for (url, prefix) in &self.example_prefixes {
                if on_primary(url) && !seen.contains(&prefix.as_str()) {
                    seen.push(prefix);
                    if seen.len() > 1 {
                        break;
                    }
                }
            }
            if let [only] = seen.as_slice() {
                example_prefix = Some((*only).to_string()).filter(|p| !p.is_empty());
            }
        }
        let prefix = (prefixes.len() == 1).then(|| prefixes[0].clone());
        let server = account
            .as_ref()
            .map(|(b, _)| b.clone())
            .or_else(|| primary.clone());

        let normalize = |target: &str| -> Option<String> {
            let path = if target.starts_with("http") {
                if !on_primary(target) {
                    return None;
                }
                let path = url_path(target);
                match &account {
                    Some((_, segs)) => {
                        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                        let matches = parts.len() > segs.len()
                            && segs
                                .iter()
                                .zip(&parts)
                                .all(|(a, b)| a == b || (is_id_segment(a) && is_id_segment(b)));
                        if !matches {
                            return None;
                        }
                        format!("/{}", parts[segs.len()..].join("/"))
                    }
                    None => path.to_string(),
                }
            } else {
                let path = strip_query(target).to_string();
                let versioned = path
                    .split('/')
                    .find(|s| !s.is_empty())
                    .is_some_and(is_version_segment);
                match &example_prefix {
                    Some(p) if !versioned => format!("{p}{path}"),
                    _ => path,
                }
            };
            // Paths written without the declared version prefix (`/companies` beside
            // `https://{deployment}.api.accelo.com/api/v0`) get it.
            let path = match &prefix {
                Some(p) if !path.starts_with(&format!("{p}/")) && path != *p => {
                    format!("{p}{path}")
                }
                _ => path,
            };
            let path = template(path.trim_end_matches('/'));
            // `/api/v0/{object}/{object_id}/...` names no resource: a generic route. One
            // that starts with the account it is scoped to (`/{account_slug}/members`)
            // names its resource after it.
            let segments = naming::segments(&path);
            let generic = segments
                .iter()
                .find(|s| !matches!(s, Segment::Literal(l) if is_version_segment(l)))
                .is_some_and(|s| match s {
                    Segment::Param(name) => {
                        !SCOPE_PARAMS.contains(&naming::squash(name).as_str())
                            || !segments
                                .iter()
                                .any(|s| matches!(s, Segment::Literal(l) if !is_version_segment(l)))
                    }
                    Segment::Literal(_) => false,
                });
            (path.len() > 1 && path.split('/').count() <= 16 && !generic).then_some(path)
        };

        let mut rpc: HashMap<String, (String, Vec<(String, String)>)> = HashMap::new();
        // Slots grouped by path, in order of first mention.
        let mut groups: Vec<(String, Vec<&Slot>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for slot in &self.slots {
            let Some(mut path) = normalize(&slot.target) else {
                continue;
            };
            // RPC over GET (`/webapi/entry.cgi?api=…&method=list_share`): one endpoint per
            // selected method, named after it; the selectors become fixed query parameters.
            if let Some((word, fixed)) = rpc_selector(&slot.target) {
                let real = path.clone();
                path = format!("{real}/{word}");
                rpc.insert(naming::path_key(&naming::segments(&path)), (real, fixed));
            }
            let key = naming::path_key(&naming::segments(&path));
            match index.get(&key) {
                Some(&i) => groups[i].1.push(slot),
                None => {
                    index.insert(key, groups.len());
                    groups.push((path, vec![slot]));
                }
            }
        }
        // An example request for one record's children (`curl …/branches/CEN/loans`) is the
        // documented template (`GET /branches/{branch_code}/loans`) filled in: its slots join
        // the template's group, which takes the example's version prefix when it has none.
        let groups = fold_examples_into_templates(groups);
        // A path written without the version prefix (`GET /users` in a sentence) is the
        // prefixed one (`/api/v1/users`) when exactly one such exists.
        let tail = |path: &str| {
            let segs = naming::segments(path);
            let skip = segs
                .iter()
                .take_while(|s| matches!(s, Segment::Literal(l) if is_version_segment(l)))
                .count();
            (skip, naming::path_key(&segs[skip..]))
        };
        let mut merged: Vec<(String, Vec<&Slot>)> = Vec::new();
        for (path, slots) in &groups {
            let (skip, key) = tail(path);
            if skip == 0 {
                let prefixed: Vec<usize> = groups
                    .iter()
                    .enumerate()
                    .filter(|(_, (p, _))| {
                        let (s, k) = tail(p);
                        s > 0 && k == key
                    })
                    .map(|(i, _)| i)
                    .collect();
                if let [only] = prefixed.as_slice() {
                    let target = &groups[*only].0;
                    match merged.iter_mut().find(|(p, _)| p == target) {
                        Some((_, list)) => list.extend(slots.iter().copied()),
                        None => merged.push((target.clone(), slots.clone())),
                    }
                    continue;
                }
            }
            match merged.iter_mut().find(|(p, _)| p == path) {
                Some((_, list)) => {
                    // Its own mentions come first: they are the documented form.
                    let mut own = slots.clone();
                    own.append(list);
                    *list = own;
                }
                None => merged.push((path.clone(), slots.clone())),
            }
        }
        let groups = merged;

        // List examples by entity, lent to lists of the same records that show none
        // (`/projects/{id}/people.json` looks like `/people.json`).
        let mut donors: HashMap<String, (&str, &Value, At)> = HashMap::new();
        for (path, slots) in &groups {
            let ends_with_param = matches!(naming::segments(path).last(), Some(Segment::Param(_)));
            let best = slots
                .iter()
                .filter_map(|s| s.example.as_ref())
                .filter(|(v, _)| example_rank(v) >= 2)
                .max_by_key(|(v, _)| example_rank(v));
            if let (Some((value, at)), Some(entity), false) =
                (best, record_entity(path), ends_with_param)
            {
                donors.entry(entity).or_insert((path.as_str(), value, *at));
            }
        }

        // A section that documents its own paging (parameters or a `Link` header) is the
        // authority for its endpoint. The document's convention holds for the silent ones,
        // unless sections claim its parameters for themselves: then it lists the ways some
        // endpoints page ("cursor here, page numbers there"), not a rule for all of them.
        let own_paging = |slots: &[&Slot]| {
            slots
                .iter()
                .any(|s| s.link.is_some() || s.params.iter().any(|p| is_paging_name(&p.name)))
        };
        let claimed = self.slots.iter().any(|s| {
            s.params
                .iter()
                .any(|p| self.paging_params.iter().any(|c| c.name == p.name))
        });
        let mut link_header = HashMap::new();
        let mut paths = Map::new();
        let mut evidence = HashMap::new();
        let mut field_docs = HashMap::new();
        for (path, slots) in &groups {
            let key = naming::path_key(&naming::segments(path));
            // Cited first: a written `GET /path` line over a request example over curl.
            let rank = |via: &str| match via {
                "endpoint line" => 0,
                "request example" => 1,
                _ => 2,
            };
            let first = slots
                .iter()
                .copied()
                .min_by_key(|s| rank(s.via))
                .unwrap_or(slots[0]);
            let mut words = vec![format!(
                "documented as `GET {path}` at {} ({})",
                self.place(first.at),
                first.via
            )];
            // The example that looks most like a list wins; error bodies lose.
            let example = slots
                .iter()
                .filter_map(|s| s.example.as_ref())
                .enumerate()
                .max_by_key(|(i, (v, _))| (example_rank(v), usize::MAX - i))
                .map(|(_, e)| e);
            let list_hint = slots.iter().find_map(|s| s.list_hint);
            let ends_with_param = matches!(naming::segments(path).last(), Some(Segment::Param(_)));
            let object =
                record_entity(path).and_then(|e| self.objects.iter().find(|o| o.entity == e));

            let mut params: Vec<Value> = Vec::new();
            let mut names: Vec<String> = Vec::new();
            let mut add = |p: &ParamDoc, names: &mut Vec<String>| {
                if !names.contains(&p.name) && !path.contains(&format!("{{{}}}", p.name)) {
                    names.push(p.name.clone());
                    params.push(param_value(p));
                }
            };
            for slot in slots {
                for p in &slot.params {
                    add(p, &mut names);
                }
            }
            let mut header_names: Vec<String> = Vec::new();
            let mut header_params: Vec<Value> = Vec::new();
            for (name, value, description, required) in slots.iter().flat_map(|s| &s.headers) {
                if header_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    continue;
                }
                header_names.push(name.clone());
                let mut schema = json!({"type": "string"});
                if let Some(v) = value {
                    schema["default"] = json!(v);
                }
                header_params.push(json!({
                    "name": name,
                    "in": "header",
                    "required": required,
                    "description": description,
                    "schema": schema,
                }));
            }
            let pages: Vec<usize> = slots.iter().map(|s| s.at.page).collect();
            for (_, p) in self.page_params.iter().filter(|(pg, _)| pages.contains(pg)) {
                add(p, &mut names);
            }
            let own = own_paging(slots);
            let own_link = slots.iter().find_map(|s| s.link);
            let link = own_link.or(self.link_header.filter(|_| !own));
            if !own && !claimed {
                if let Some(p) = self.paging_params.first() {
                    words.push(format!("paging parameters from {}", self.place(p.at)));
                }
                for p in &self.paging_params {
                    add(p, &mut names);
                }
            }
            if let Some(name) = &self.link_page_param {
                if link.is_some() {
                    let p = ParamDoc {
                        name: name.clone(),
                        description: "Page number, as in the documented `Link` header.".into(),
                        required: false,
                        ty: "integer".into(),
                        at: first.at,
                    };
                    add(&p, &mut names);
                }
            }

            let mut content: Option<Value> = None;
            let typed = slots.iter().find_map(|s| s.schema.as_ref());
            if let Some((schema, at)) = typed {
                // A type block is the schema the page was printed from: read as one.
                words.push(format!("response type at {}", self.place(*at)));
                let mut both = json!({"schema": schema});
                if let Some((value, _)) = example {
                    both["example"] = value.clone();
                }
                content = Some(both);
            } else if let Some((name, at)) = self
                .named_response(path, slots)
                .filter(|_| example.is_none() && !ends_with_param)
            {
                // The section shows no response, but the description's responses include
                // one named for these records (Front's `listOfAccounts` for `GET /accounts`).
                words.push(format!(
                    "no response shown; the response `{}` at {} is named for its records",
                    name.trim_start_matches("responses."),
                    self.place(at)
                ));
                content = Some(json!({"schema": {"$ref": format!("#/components/schemas/{name}")}}));
            } else if let Some((value, at)) = example {
                words.push(format!("response example at {}", self.place(*at)));
                content = Some(json!({"example": value}));
                // The section's response-field tables, and the schemas its table of
                // responses links to, describe the example's fields (a described unique
                // identifier is the key): kept for the columns.
                let mut fields: Vec<&FieldDoc> = slots.iter().flat_map(|s| &s.fields).collect();
                // "The product object" documents the records' fields too.
                fields.extend(object.iter().flat_map(|o| &o.fields));
                for slot in slots {
                    if let Some(name) = &slot.response_schema {
                        self.schema_fields(name, &mut fields);
                    }
                    // A response field typed `array of Branch` (or `Branch[]`): the records
                    // are the `Branch` the docs describe in a table of their own.
                    for field in &slot.fields {
                        let ty = field.ty.trim();
                        let lower = ty.to_ascii_lowercase();
                        // ASCII lower-casing keeps byte offsets.
                        let named = ["array of ", "list of "]
                            .iter()
                            .find(|p| lower.starts_with(*p))
                            .map(|p| ty[p.len()..].trim())
                            .or_else(|| ty.strip_suffix("[]"));
                        if let Some(name) = named.map(link_text) {
                            if is_identifier(&name) {
                                self.schema_fields(&name, &mut fields);
                            }
                        }
                    }
                }
                // A type named after the records (`### Member` for `/members`).
                if let Some(entity) = record_entity(path) {
                    let wanted = naming::squash(&naming::singular(&entity));
                    let named: Vec<&String> = self
                        .schemas
                        .keys()
                        .filter(|k| naming::squash(k) == wanted)
                        .collect();
                    if let [name] = named.as_slice() {
                        self.schema_fields(name, &mut fields);
                    }
                }
                let described: Vec<DocumentedField> = fields
                    .iter()
                    .filter(|f| !f.description.is_empty() && f.description != "none")
                    .map(|f| (f.name.clone(), f.description.clone(), f.ty.clone()))
                    .collect();
                if !described.is_empty() {
                    field_docs.insert(key.clone(), (described, self.place(*at)));
                }
            } else if let Some(object) =
                object.filter(|_| list_hint.is_some() || (!ends_with_param && plural_tail(path)))
            {
                let item = object
                    .example
                    .as_ref()
                    .map(|(v, _)| v.clone())
                    .unwrap_or(json!({}));
                let mut properties = Map::new();
                for field in &object.fields {
                    let mut schema = type_schema(&field.ty, item.get(&field.name));
                    if let Some(map) = schema.as_object_mut() {
                        map.insert("description".into(), json!(field.description));
                    }
                    properties.insert(field.name.clone(), schema);
                }
                let item_schema = json!({"type": "object", "properties": properties});
                words.push(format!(
                    "records described by the `{}` object at {}",
                    object.entity,
                    self.place(object.at)
                ));
                content = Some(self.wrap(item, item_schema, &mut words));
            } else if let Some((donor, value, at)) = record_entity(path)
                .and_then(|e| donors.get(&e))
                .filter(|_| list_hint.is_some() && !ends_with_param)
            {
                words.push(format!(
                    "a list by the words at {}; no example of its own, so shaped like the example of `GET {donor}` at {}",
                    self.place(list_hint.unwrap_or(first.at)),
                    self.place(*at)
                ));
                content = Some(json!({"example": value}));
            } else if let Some(at) = list_hint.filter(|_| !ends_with_param) {
                words.push(format!(
                    "no response example; a list by the words at {}",
                    self.place(at)
                ));
                content = Some(self.wrap(json!({}), json!({"type": "object"}), &mut words));
            }
            let mut response = json!({"description": "documented in prose"});
            if let Some(content) = content {
                response["content"] = json!({"application/json": content});
            }
            if let Some(at) = link {
                link_header.insert(key.clone(), self.place(at));
                response["headers"] =
                    json!({"Link": {"description": format!("described at {}", self.place(at))}});
            }
            params.extend(header_params);
            let op = json!({
                "parameters": params,
                "responses": {"200": response},
            });
            paths.insert(path.clone(), json!({"get": op}));
            evidence.insert(key, words.join("; "));
        }

        let mut doc = json!({
            "openapi": "3.0.3",
            "info": {"title": name},
            "paths": paths,
            "components": {
                "securitySchemes": self.security_schemes(primary.as_deref()),
                "schemas": self.types.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect::<Map<_, _>>(),
            },
        });
        // A type named but never shown is an open schema, not a dangling reference.
        open_unknown_refs(&mut doc, &self.types);
        if let Some(server) = server {
            doc["servers"] = json!([{"url": server, "description": self.server_description()}]);
        }
        Synthetic {
            doc,
            evidence,
            link_header,
            rpc,
            field_docs,
            key_sentences: self
                .key_sentences
                .iter()
                .map(|(text, at)| (text.clone(), self.place(*at)))
                .collect(),
        }
    }

    /// The one named response type (`responses.listOfAccounts`) named for the records of
    /// `path`: its name without `list`, `of`, `response`, `paginated` is the path's last
    /// segment (`/accounts`), or ends it or is ended by it (`/knowledge_bases/{id}/articles`
    /// and `listOfKnowledgeBaseArticles`), or is the word or two after "list" in the
    /// section's own words ("List the teammates following a conversation").
    fn named_response(&self, path: &str, slots: &[&Slot]) -> Option<(String, At)> {
        let segments = naming::segments(path);
        let Some(Segment::Literal(last)) = segments.last() else {
            return None;
        };
        let bare_names: Vec<(String, &String, At)> = self
            .types
            .iter()
            .filter_map(|(name, (schema, at))| {
                let bare = name.strip_prefix("responses.")?;
                // Only a list's response: named as one and holding an array.
                let array = |s: &Value| s.get("type").and_then(Value::as_str) == Some("array");
                let holds_array = array(schema)
                    || schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .is_some_and(|p| p.values().any(array));
                let subject = response_subject(bare)?;
                holds_array.then_some((subject, name, *at))
            })
            .filter(|(bare, _, _)| bare.len() >= 3)
            .collect();
        let unique = |hit: &dyn Fn(&str) -> bool| {
            let mut found = bare_names.iter().filter(|(bare, _, _)| hit(bare));
            let (_, name, at) = found.next()?;
            found.next().is_none().then(|| ((*name).clone(), *at))
        };
        let want = naming::squash(last);
        if let Some(hit) = unique(&|bare| bare == want) {
            return Some(hit);
        }
        if let Some(hit) = unique(&|bare| bare.ends_with(&want) || want.ends_with(bare)) {
            return Some(hit);
        }
        // The records the section's own words list.
        for line in slots.iter().flat_map(|s| &s.list_lines) {
            let words: Vec<&str> = line
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .filter(|w| !w.is_empty())
                .collect();
            let Some(at) = words.iter().position(|w| *w == "list" || *w == "lists") else {
                continue;
            };
            let after: Vec<&str> = words[at + 1..]
                .iter()
                .copied()
                .filter(|w| !matches!(*w, "the" | "all" | "of" | "a" | "your"))
                .take(2)
                .collect();
            let mut tries = vec![after.concat()];
            tries.extend(after.first().map(|w| (*w).to_string()));
            for phrase in tries.into_iter().filter(|p| p.len() >= 3) {
                let phrase = naming::squash(&phrase);
                if let Some(hit) = unique(&|bare| bare == phrase) {
                    return Some(hit);
                }
            }
        }
        None
    }

    /// A list body around one example record: inside the documented envelope if any.
    fn wrap(&self, item: Value, item_schema: Value, words: &mut Vec<String>) -> Value {
        let array = json!({"type": "array", "items": item_schema});
        match &self.envelope {
            Some((key, at)) => {
                words.push(format!("envelope `{key}` from {}", self.place(*at)));
                json!({
                    "example": {key.as_str(): [item]},
                    "schema": {"type": "object", "properties": {key.as_str(): array}},
                })
            }
            None => json!({"example": [item], "schema": array}),
        }
    }

    fn server_description(&self) -> String {
        match self.bases.first() {
            Some((_, at)) => format!("declared at {}", self.place(*at)),
            None => "taken from request examples".into(),
        }
    }

    /// `origin` resolves auth URLs the docs write as paths.
    fn security_schemes(&self, origin: Option<&str>) -> Value {
        let mut schemes = Map::new();
        let said = |at: At, text: &str| format!("{} (see {})", clean_text(text), self.place(at));
        if let Some((at, line)) = &self.bearer {
            let how = if self.oauth.is_some() {
                "Access token sent as `Authorization: Bearer <token>`; the documentation describes getting one through OAuth 2.0."
            } else {
                "Token sent as `Authorization: Bearer <token>`."
            };
            schemes.insert(
                "bearer".into(),
                json!({"type": "http", "scheme": "bearer", "description": format!("{how} Example: {}", said(*at, line))}),
            );
        }
        // The most telling basic-auth line: one that names the token, else the first.
        let basic = self
            .basic
            .iter()
            .find(|(_, l)| {
                let lower = l.to_ascii_lowercase();
                lower.contains("token") && lower.contains("password") && !is_curl(&lower)
            })
            .or_else(|| {
                self.basic.iter().find(|(_, l)| {
                    let lower = l.to_ascii_lowercase();
                    lower.contains("token") && !is_curl(&lower)
                })
            })
            .or_else(|| self.basic.first());
        if let Some((at, line)) = basic {
            schemes.insert(
                "basic".into(),
                json!({"type": "http", "scheme": "basic", "description": format!("HTTP basic auth. {}", said(*at, line))}),
            );
        }
        if let Some((at, place, name)) = &self.api_key {
            let mut return_name: Option<String> = None;
            let (location, description) = match *place {
                "query" => (
                    "query",
                    format!("API key sent in the `{name}` query parameter"),
                ),
                "header_token" => ("header", format!("API key sent as `{name}: Token <key>`")),
                // The format as written (`Authorization: ApiKey <key>`, `Authorization: <key>`):
                // the key's prefix is read from it.
                "header_format" => match name.split_once(": ") {
                    Some((header, format)) => {
                        let shown = format!("API key sent as `{header}: {format}`");
                        return_name = Some(header.to_string());
                        ("header", shown)
                    }
                    None => ("header", format!("API key sent in the `{name}` header")),
                },
                _ => ("header", format!("API key sent in the `{name}` header")),
            };
            schemes.insert(
                "api_key".into(),
                json!({"type": "apiKey", "in": location, "name": return_name.as_deref().unwrap_or(name), "description": format!("{description} (see {}).", self.place(*at))}),
            );
        }
        if let Some((at, line)) = &self.oauth {
            // A templated host (`{deployment}`) over an example one, else the first named.
            let pick = |urls: &[(String, At)]| {
                let absolute = urls.iter().filter(|(u, _)| u.starts_with("http"));
                let relative = urls.iter().filter(|(u, _)| u.starts_with('/'));
                absolute
                    .clone()
                    .find(|(u, _)| origin_of(u).is_some_and(|o| o.contains(['{', '$', '<'])))
                    .or_else(|| absolute.clone().next())
                    .map(|(u, _)| u.clone())
                    .or_else(|| {
                        let (path, _) = relative.clone().next()?;
                        Some(format!("{}{path}", origin?))
                    })
            };
            let authorization = pick(&self.authorize_urls);
            let token = pick(&self.token_urls);
            let flow = match (&authorization, &token) {
                (Some(a), t) => {
                    json!({"authorizationCode": {"authorizationUrl": a, "tokenUrl": t, "scopes": {}}})
                }
                (None, Some(t)) => json!({"clientCredentials": {"tokenUrl": t, "scopes": {}}}),
                (None, None) => json!({}),
            };
            schemes.insert(
                "oauth2".into(),
                json!({"type": "oauth2", "flows": flow, "description": format!("OAuth 2.0. {}", said(*at, line))}),
            );
        }
        Value::Object(schemes)
    }
}

/// Puts the prose evidence in front of each endpoint's reason, maps confidence into 0.3–0.7,
/// applies the `Link` header convention where the inference found no paging, and drops a
/// base URL default that still holds a placeholder.
fn finish(model: &mut ApiModel, synthetic: &Synthetic, sources: Vec<String>) {
    model.sources = sources;
    for endpoint in &mut model.endpoints {
        let key = naming::path_key(&naming::segments(&endpoint.path));
        let evidence = synthetic.evidence.get(&key).cloned().unwrap_or_default();
        if endpoint.pagination == Pagination::None {
            if let Some(place) = synthetic.link_header.get(&key) {
                endpoint.pagination = Pagination::LinkHeader { limit: None };
                endpoint.reason = endpoint.reason.replace(
                    "no pagination documented",
                    &format!("follows `rel=\"next\"` in the `Link` header (convention described at {place})"),
                );
            }
        }
        endpoint.reason = format!("prose: {evidence}; {}", endpoint.reason);
        if let Some((described, place)) = synthetic.field_docs.get(&key) {
            for column in &mut endpoint.columns {
                let Some((_, d, ty)) = described.iter().find(|(n, _, _)| *n == column.name) else {
                    continue;
                };
                if column.description.is_empty() {
                    column.description = d.clone();
                }
                // An example's `null` says nothing of the type; the docs' "string or null" does.
                if column.ty == ColumnType::Json {
                    let schema = type_schema(ty, None);
                    let documented = match schema.get("type").and_then(Value::as_str) {
                        Some("string") => match schema.get("format").and_then(Value::as_str) {
                            Some("date-time") => Some(ColumnType::Timestamp),
                            _ => Some(ColumnType::String),
                        },
                        Some("integer") => Some(ColumnType::Integer),
                        Some("number") => Some(ColumnType::Number),
                        Some("boolean") => Some(ColumnType::Boolean),
                        _ => None,
                    };
                    if let Some(documented) = documented {
                        column.ty = documented;
                        column.nullable = true;
                    }
                }
            }
            // A key the field descriptions name (Lago's "Unique identifier of the add-on").
            if endpoint.primary_key.is_empty() {
                let key = crate::infer::records::primary_key(&endpoint.columns, &endpoint.entity);
                if !key.is_empty() {
                    endpoint.reason = endpoint.reason.replace(
                        "no primary key found",
                        &format!(
                            "key `{}` by the field descriptions documented with the response (example at {place})",
                            key.join("`, `")
                        ),
                    );
                    endpoint.primary_key = key;
                }
            }
        }
        // A key a sentence about this record names ("Each product is identified by its
        // `sku`", "A line is identified by `order_number` and `line_no` together").
        if endpoint.primary_key.is_empty() {
            let found = synthetic.key_sentences.iter().find_map(|(text, place)| {
                let key = crate::infer::records::key_stated(
                    text,
                    &endpoint.columns,
                    &endpoint.entity,
                    &[],
                )?;
                Some((key, place))
            });
            if let Some((key, place)) = found {
                endpoint.reason = endpoint.reason.replace(
                    "no primary key found",
                    &format!("key `{}` as the docs say at {place}", key.join("`, `")),
                );
                endpoint.primary_key = key;
            }
        }
        if let Some((real, fixed)) = synthetic.rpc.get(&key) {
            let shown: Vec<String> = fixed.iter().map(|(n, v)| format!("{n}={v}")).collect();
            endpoint.reason = endpoint.reason.replace(&endpoint.path, real);
            endpoint
                .reason
                .push_str(&format!("; RPC call selected by `{}`", shown.join("&")));
            endpoint.path = real.clone();
            for (name, value) in fixed {
                if !endpoint.query.iter().any(|q| q.name == *name) {
                    endpoint.query.push(QueryParam {
                        name: name.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
        let c = f64::from(endpoint.confidence);
        let mapped = 0.3 + 0.4 * ((c - 0.3) / 0.6).clamp(0.0, 1.0);
        endpoint.confidence = ((mapped * 100.0).round() / 100.0) as f32;
    }
    crate::infer::keys_with_parents(&mut model.endpoints);
    for field in &mut model.config {
        if field.name == "base_url" {
            if let Some(default) = &field.default {
                if default.contains(['{', '$', '<']) {
                    field.description = format!(
                        "{} Replace the placeholder in `{default}` with your own value.",
                        field.description
                    );
                    field.default = None;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sections: sub-headings, tables of methods, `Link` mentions

/// Words of a heading that only names a part of an operation (`HTTP Request`, `Query
/// Parameters`, `Example response`): such a heading stays in the operation's section.
const PART_WORDS: &[&str] = &[
    "http",
    "request",
    "query",
    "url",
    "uri",
    "path",
    "body",
    "parameters",
    "parameter",
    "params",
    "param",
    "arguments",
    "argument",
    "example",
    "examples",
    "response",
    "responses",
    "schema",
    "sample",
    "samples",
    "code",
    "returns",
    "headers",
    "header",
    "payload",
    "requestbody",
    "definition",
    "endpoint",
    "method",
    "details",
    "of",
    "the",
    "and",
    "optional",
    "required",
    "json",
    "200",
    "ok",
    "usage",
    "curl",
    "shell",
    // A schema's `### Properties` (widdershins), `Attributes`, `Fields`: record fields.
    // ("object" is not one: "The Request Object" heads an object's own section.)
    "properties",
    "attributes",
    "fields",
    // widdershins' `#### Enumerated Values` of the parameters above it.
    "enumerated",
    "values",
];

/// What a sub-heading of an operation is about, or `None` when it names something else.
fn sub_heading(text: &str) -> Option<Part> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || !words.iter().all(|w| PART_WORDS.contains(w)) {
        return None;
    }
    let has = |w: &str| words.contains(&w);
    // A heading about pagination starts the document's paging convention.
    if has("pagination") {
        return None;
    }
    Some(
        if has("response")
            || has("responses")
            || has("returns")
            || has("return")
            || has("result")
            || has("results")
            || has("errors")
            || has("error")
            || has("status")
            || has("output")
        {
            Part::Response
        } else if has("body")
            || has("requestbody")
            || has("path")
            || has("url") && !has("query")
            || has("header")
            || has("headers")
            || has("form")
            || has("payload")
            || has("attributes")
            || has("fields")
            || has("properties")
            || has("object")
        {
            Part::NotQuery
        } else {
            Part::Request
        },
    )
}

/// `### Parameters`, `### Query Parameters`: a list of parameters follows.
fn heading_introduces_params(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["parameter", "param", "argument", "filter"]
        .iter()
        .any(|w| lower.contains(w))
}

/// A line that says responses page with the `Link` header's `rel="next"`.
fn is_link_mention(lower: &str) -> bool {
    lower.contains("rel=\"next\"")
        || lower.contains("rel=next")
        || lower.contains("rel='next'")
        || (lower.contains("link") && lower.contains("header") && lower.contains("next"))
}

/// The header line of a table of methods printed as text: `Module Method Path Description`.
fn is_method_header(lower: &str) -> bool {
    let words: Vec<&str> = lower.split_whitespace().collect();
    let method = words
        .iter()
        .any(|w| matches!(*w, "method" | "verb" | "http"));
    let path = words.iter().any(|w| {
        matches!(
            *w,
            "path" | "endpoint" | "url" | "uri" | "route" | "resource"
        )
    });
    method && path && words.len() <= 8
}

/// A row of a table of methods printed as text: a method word and a path in any order,
/// with the words after the later of the two as its title.
fn method_row_words(line: &str, at: At) -> Option<MethodRow> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let m = words.iter().position(|w| METHODS.contains(w))?;
    let p = words
        .iter()
        .position(|w| target_token(w).is_some_and(|t| t.len() == w.len()))?;
    let target = target_token(words[p])?;
    let title = title_key(&words[m.max(p) + 1..].join(" "));
    Some(MethodRow {
        method: words[m].to_string(),
        title,
        slot: new_slot(target, "table of methods", at),
    })
}

/// The rows of a Markdown/HTML table of methods: a method column and a path column, or
/// cells holding `GET /path`.
fn method_table_rows(header: &[String], rows: &[Vec<String>], at: At) -> Option<Vec<MethodRow>> {
    let squashed: Vec<String> = header.iter().map(|h| naming::squash(h)).collect();
    let find = |names: &[&str]| squashed.iter().position(|h| names.contains(&h.as_str()));
    let method = find(&["method", "verb", "httpmethod", "httpverb", "http"]);
    let path = find(&[
        "path",
        "endpoint",
        "url",
        "uri",
        "route",
        "resource",
        "request",
        "httprequest",
        "endpoints",
    ]);
    let title = find(&[
        "description",
        "summary",
        "title",
        "operation",
        "action",
        "name",
        "purpose",
    ]);
    method.or(path)?;
    let mut out = Vec::new();
    for row in rows.iter().take(2000) {
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", String::as_str);
        let verb = cell(method).trim_matches('`').trim().to_ascii_uppercase();
        let target = cell(path).trim_matches('`').trim();
        let (verb, target) = if METHODS.contains(&verb.as_str()) {
            (verb, target_token(target))
        } else {
            // `GET /v2/orders` in one cell.
            let Some((v, t)) = row.iter().find_map(|c| {
                let c = c.trim_matches('`').trim();
                let (v, t) = c.split_once(' ')?;
                METHODS
                    .contains(&v)
                    .then(|| (v.to_string(), target_token(t.trim())))
            }) else {
                continue;
            };
            (v, t)
        };
        let Some(target) = target else { continue };
        out.push(MethodRow {
            method: verb,
            title: title_key(cell(title)),
            slot: new_slot(target, "table of methods", at),
        });
    }
    (!out.is_empty()).then_some(out)
}

/// A title compared across a table of methods and the sections: lower case, plain words.
fn title_key(text: &str) -> String {
    plain(text)
        .to_ascii_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of a Markdown link (`[AddOnObject](#schemaaddonobject)` → `AddOnObject`), or
/// the cell itself, trimmed.
fn link_text(cell: &str) -> String {
    let text = cell.trim().split("](").next().unwrap_or_default();
    text.trim_matches(['[', ']', ' ']).to_string()
}

/// Replaces each `$ref` to a schema not in `known` by an open schema.
fn open_unknown_refs(doc: &mut Value, known: &HashMap<String, (Value, At)>) {
    let mut stack = vec![doc];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                let dangling = map.get("$ref").and_then(Value::as_str).is_some_and(|r| {
                    r.strip_prefix("#/components/schemas/")
                        .is_none_or(|name| !known.contains_key(name))
                });
                if dangling {
                    map.remove("$ref");
                }
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

/// What a response named as a list's is named for: `listOfAccounts` → `accounts`,
/// `AddOnsPaginated` → `addons` (squashed); `None` for a name that does not say list.
fn response_subject(name: &str) -> Option<String> {
    let squashed = naming::squash(name);
    let head = ["listof", "list", "all"]
        .iter()
        .find_map(|h| squashed.strip_prefix(h));
    let tail = ["paginated", "list", "listresponse", "page"]
        .iter()
        .find_map(|t| squashed.strip_suffix(t));
    head.or(tail)
        .filter(|bare| !bare.is_empty())
        .map(str::to_string)
}

/// Placeholders of the account a path is scoped to, which may lead a path
/// (`/{account_slug}/members`), squashed.
const SCOPE_PARAMS: &[&str] = &[
    "account",
    "accountid",
    "accountslug",
    "org",
    "orgid",
    "organization",
    "organizationid",
    "workspace",
    "workspaceid",
    "tenant",
    "tenantid",
];

/// Named types kept at most.
const MAX_TYPES: usize = 5000;

/// The `$ref` a type block's JSON pointer becomes in the synthetic document:
/// `#/components/schemas/Pet` stays, another kind of component gets its kind in the name
/// (`#/components/responses/listOfAccounts` → `#/components/schemas/responses.listOfAccounts`).
fn type_ref(pointer: &str) -> Option<String> {
    let rest = pointer.trim().strip_prefix("#/components/")?;
    let (kind, name) = rest.split_once('/')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    };
    if !plain(kind) || !plain(name) {
        return None;
    }
    Some(match kind {
        "schemas" => format!("#/components/schemas/{name}"),
        _ => format!("#/components/schemas/{kind}.{name}"),
    })
}

/// The status a response bullet or heading names: `- 200 OK`, `* 404 Not found`,
/// `- default unexpected error` (`default`).
fn status_line(lower: &str) -> Option<&str> {
    let first = lower
        .trim_start_matches(['-', '*', '+', ' '])
        .split_whitespace()
        .next()?;
    let status = first.len() == 3
        && first.starts_with(['1', '2', '3', '4', '5'])
        && first.chars().all(|c| c.is_ascii_digit() || c == 'x');
    (status || first == "default").then_some(first)
}

fn new_slot(target: String, via: &'static str, at: At) -> Slot {
    Slot {
        target,
        via,
        at,
        example: None,
        params: Vec::new(),
        list_hint: None,
        link: None,
        headers: Vec::new(),
        fields: Vec::new(),
        response_schema: None,
        schema: None,
        list_lines: Vec::new(),
    }
}

/// The JSON body of an HTTP response example (`HTTP/1.1 200 OK`, headers, a blank line,
/// the body), or of a block whose JSON follows a few lines of other text.
fn response_body(lines: &[(At, String)]) -> Option<Value> {
    let start = lines
        .iter()
        .take(40)
        .position(|(_, l)| l.trim_start().starts_with(['{', '[']))?;
    if start == 0 {
        return None;
    }
    let status = lines[..start]
        .iter()
        .any(|(_, l)| l.trim_start().starts_with("HTTP/"));
    if !status {
        return None;
    }
    let text: Vec<&str> = lines[start..].iter().map(|(_, l)| l.as_str()).collect();
    lenient_json(&text.join("\n"))
}

/// A parameter name that pages (`cursor`, `page`, `per_page`, `limit`, `offset`, …).
fn is_paging_name(name: &str) -> bool {
    matches!(
        naming::squash(name).as_str(),
        "page"
            | "perpage"
            | "pagesize"
            | "pagenumber"
            | "pagetoken"
            | "nextpagetoken"
            | "limit"
            | "offset"
            | "cursor"
            | "startingafter"
            | "endingbefore"
            | "after"
            | "skip"
            | "top"
            | "maxresults"
    )
}
