//! PDF → text, for the prose extractor.
//!
//! Text comes from `pdfplumber` (pure Rust): words from `extract_words` with an x tolerance
//! of 1.5 pt, then lines rebuilt by each word's `top` within 3 pt, left to right. That keeps
//! `GET /path` lines and JSON examples whole where the crate's own `extract_text` glues
//! words together (DESIGN.md, toolchain facts).
//!
//! Hostile PDFs must give an error, never a panic or a hang: the file size is capped, the
//! crate's own resource limits are set, the work runs on a worker thread under
//! `catch_unwind`, and the caller stops waiting at a deadline. A worker that overruns the
//! deadline is checked between pages and gives up at the next one; it cannot be killed
//! mid-page, so a page that never finishes leaks one thread until the process exits.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pdfplumber::{ExtractOptions, Pdf, WordOptions};

use connector_agent_model::ApiModel;

use crate::input::{read_bounded, InputKind};
use crate::prose::{extract_prose, ProseKind, ProsePage};
use crate::{Error, Result, MAX_PDF_BYTES};

/// Pages read at most; API references run to a few hundred.
const MAX_PAGES: usize = 2000;
/// Text kept at most, in bytes (the prose extractor caps its input too).
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// How long one PDF may take.
const DEADLINE: Duration = Duration::from_secs(60);
/// Words whose tops differ by at most this many points share a line.
const LINE_TOLERANCE: f64 = 3.0;

/// Reads a PDF's text ([`pdf_text`]) and extracts a model from it as prose
/// ([`crate::extract_prose`]); the model is named after the file.
pub fn extract_pdf_file(path: &Path) -> Result<ApiModel> {
    let text = pdf_text(path)?;
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let page = ProsePage {
        source: path.display().to_string(),
        text,
        kind: ProseKind::PlainText,
    };
    extract_prose(&[page], &name)
}

/// The text of a PDF, one line per visual line, pages separated by a form feed (`\x0c`).
pub fn pdf_text(path: &Path) -> Result<String> {
    let bytes = read_bounded(path, InputKind::Pdf)?;
    pdf_bytes_text(&bytes, path, DEADLINE)
}

/// The text of PDF bytes; `path` names the document in errors.
pub(crate) fn pdf_bytes_text(bytes: &[u8], path: &Path, deadline: Duration) -> Result<String> {
    let fail = |reason: String| Error::Pdf {
        path: path.to_path_buf(),
        reason,
    };
    if !bytes.starts_with(b"%PDF-")
        && !bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        return Err(fail("no `%PDF-` header in the first 1024 bytes".into()));
    }
    let owned = bytes.to_vec();
    let started = Instant::now();
    let stop_at = started + deadline;
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("pdf-text".into())
        .spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| read_pages(&owned, stop_at)));
            // The receiver may have given up at the deadline; nothing to do then.
            let _ = tx.send(result);
        })
        .map_err(|e| fail(format!("cannot start the PDF worker thread: {e}")))?;
    match rx.recv_timeout(deadline) {
        Ok(Ok(result)) => {
            let _ = worker.join();
            result.map_err(fail)
        }
        Ok(Err(panic)) => {
            let _ = worker.join();
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            Err(fail(format!("the PDF reader panicked ({what})")))
        }
        Err(_) => Err(fail(format!(
            "gave up after {} s (the deadline)",
            deadline.as_secs_f32()
        ))),
    }
}

/// Reads every page's words and rebuilds its lines. `Err` is the reason, for [`Error::Pdf`].
fn read_pages(bytes: &[u8], stop_at: Instant) -> std::result::Result<String, String> {
    let options = ExtractOptions {
        max_input_bytes: Some(MAX_PDF_BYTES as usize),
        max_pages: Some(MAX_PAGES),
        max_stream_bytes: 32 * 1024 * 1024,
        max_total_objects: Some(20_000_000),
        max_total_image_bytes: Some(0),
        collect_warnings: false,
        ..ExtractOptions::default()
    };
    let pdf =
        Pdf::open_bytes(bytes, Some(options)).map_err(|e| format!("not a readable PDF: {e}"))?;
    let words = WordOptions {
        x_tolerance: 1.5,
        ..WordOptions::default()
    };
    let mut out = String::new();
    for (index, page) in pdf.pages().into_iter().enumerate() {
        if Instant::now() > stop_at {
            return Err(format!("gave up at page {} (the deadline)", index + 1));
        }
        let page = page.map_err(|e| format!("page {}: {e}", index + 1))?;
        if index > 0 {
            out.push('\x0c');
        }
        let mut found: Vec<(f64, f64, String)> = page
            .extract_words(&words)
            .into_iter()
            .filter(|w| w.bbox.top.is_finite() && w.bbox.x0.is_finite())
            .map(|w| (w.bbox.top, w.bbox.x0, w.text))
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for line in lines(found) {
            out.push_str(&line);
            out.push('\n');
        }
        if out.len() > MAX_TEXT_BYTES {
            return Err(format!(
                "the text passes {MAX_TEXT_BYTES} bytes at page {}",
                index + 1
            ));
        }
    }
    Ok(out)
}

/// Groups words sorted by top into lines (tops within [`LINE_TOLERANCE`] of the line's
/// first word), each line left to right, words joined by one space.
fn lines(words: Vec<(f64, f64, String)>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<(f64, String)> = Vec::new();
    let mut line_top = f64::NEG_INFINITY;
    let mut flush = |current: &mut Vec<(f64, String)>| {
        if !current.is_empty() {
            current.sort_by(|a, b| a.0.total_cmp(&b.0));
            let texts: Vec<String> = current.drain(..).map(|(_, t)| t).collect();
            out.push(texts.join(" "));
        }
    };
    for (top, x0, text) in words {
        if top - line_top > LINE_TOLERANCE {
            flush(&mut current);
            line_top = top;
        }
        current.push((x0, text));
    }
    flush(&mut current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_on_one_top_make_one_line() {
        let words = vec![
            (10.0, 50.0, "/path".to_string()),
            (10.0, 10.0, "GET".to_string()),
            (11.5, 90.0, "HTTP/1.1".to_string()),
            (30.0, 10.0, "next".to_string()),
        ];
        assert_eq!(lines(words), vec!["GET /path HTTP/1.1", "next"]);
    }

    #[test]
    fn garbage_is_an_error() {
        let err = pdf_bytes_text(b"not a pdf at all", Path::new("x.pdf"), DEADLINE).unwrap_err();
        assert!(err.to_string().contains("x.pdf"), "{err}");
    }
}
