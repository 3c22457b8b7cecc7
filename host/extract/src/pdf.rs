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
use crate::prose::{ProseKind, ProsePage};
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
    pdf_report(path).map(|x| x.model)
}

/// Like [`extract_pdf_file`], with the operations not proposed and why.
pub(crate) fn pdf_report(path: &Path) -> Result<crate::Extraction> {
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
    crate::prose::prose_report(&[page], &name)
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
        let mut found: Vec<Word> = page
            .extract_words(&words)
            .into_iter()
            .filter(|w| w.bbox.top.is_finite() && w.bbox.x0.is_finite() && w.bbox.x1.is_finite())
            .map(|w| Word {
                top: w.bbox.top,
                x0: w.bbox.x0,
                x1: w.bbox.x1,
                text: w.text,
            })
            .collect();
        found.sort_by(|a, b| a.top.total_cmp(&b.top).then(a.x0.total_cmp(&b.x0)));
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

/// A word on a page: its top, left and right edges (points), its text.
#[derive(Debug, Clone)]
struct Word {
    top: f64,
    x0: f64,
    x1: f64,
    text: String,
}

/// A gap between words at least this wide (points) separates table cells, not words.
const CELL_GAP: f64 = 6.0;
/// A word ending this close to the next cell (points) filled its own cell.
const CELL_FULL: f64 = 14.0;

/// Groups words sorted by top into lines (tops within [`LINE_TOLERANCE`] of the line's
/// first word), each line left to right, words joined by one space; identifiers a narrow
/// table cell broke over two lines are joined again ([`join_broken_cells`]).
fn lines(words: Vec<Word>) -> Vec<String> {
    let mut rows: Vec<Vec<Word>> = Vec::new();
    let mut line_top = f64::NEG_INFINITY;
    for word in words {
        if word.top - line_top > LINE_TOLERANCE || rows.is_empty() {
            line_top = word.top;
            rows.push(Vec::new());
        }
        if let Some(row) = rows.last_mut() {
            row.push(word);
        }
    }
    for row in &mut rows {
        row.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    join_broken_cells(&mut rows);
    rows.into_iter()
        .filter(|row| !row.is_empty())
        .map(|row| {
            row.into_iter()
                .map(|w| w.text)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// A printed table breaks an identifier too wide for its column inside the word
/// (`modified_si` / `nce`). The row's one-line cells are centred vertically, so they sit on
/// a line between the two pieces, starting just right of the first piece; the pieces share
/// a left edge and are alone in their cells. Joins such pieces: the first shaped like an
/// identifier (an underscore or an inner capital), the rest lower case, two or three lines
/// apart, nothing between them in that column. A name that fits its cell has the next cell
/// right beside it on its own line and is left alone.
fn join_broken_cells(rows: &mut [Vec<Word>]) {
    let alone = |row: &[Word], k: usize| {
        let before = k == 0 || row[k].x0 - row[k - 1].x1 >= CELL_GAP;
        let after = row.get(k + 1).is_none_or(|n| n.x0 - row[k].x1 > CELL_FULL);
        before && after
    };
    let identifier_start = |text: &str| {
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c))
            && text.ends_with(|c: char| c.is_ascii_alphanumeric())
            && (text.contains('_') || text.chars().skip(1).any(|c| c.is_ascii_uppercase()))
    };
    let rest = |text: &str| {
        text.len() <= 24
            && text.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.[]<>=".contains(c))
    };
    for i in 0..rows.len() {
        for k in 0..rows[i].len() {
            let a = &rows[i][k];
            if !alone(&rows[i], k) || !identifier_start(&a.text) {
                continue;
            }
            let (x0, x1) = (a.x0, a.x1);
            let found = (i + 2..rows.len().min(i + 4)).find_map(|j| {
                let m = rows[j].iter().position(|b| (b.x0 - x0).abs() <= 1.0)?;
                Some((j, m))
            });
            let Some((j, m)) = found else { continue };
            let between = &rows[i + 1..j];
            let clear = between
                .iter()
                .all(|row| row.iter().all(|w| w.x1 < x0 - 1.0 || w.x0 > x1));
            let centred = between.iter().any(|row| {
                row.iter()
                    .find(|w| w.x0 > x1)
                    .is_some_and(|w| w.x0 - x1 <= CELL_FULL)
            });
            if !clear || !centred || !alone(&rows[j], m) || !rest(&rows[j][m].text) {
                continue;
            }
            let piece = rows[j].remove(m);
            rows[i][k].text.push_str(&piece.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_on_one_top_make_one_line() {
        let words = vec![
            word(10.0, 10.0, 30.0, "GET"),
            word(10.0, 50.0, 80.0, "/path"),
            word(11.5, 90.0, 130.0, "HTTP/1.1"),
            word(30.0, 10.0, 30.0, "next"),
        ];
        assert_eq!(lines(words), vec!["GET /path HTTP/1.1", "next"]);
    }

    fn word(top: f64, x0: f64, x1: f64, text: &str) -> Word {
        Word {
            top,
            x0,
            x1,
            text: text.into(),
        }
    }

    /// A parameter table row whose name cell wrapped inside the word, as LibreOffice and
    /// browsers print a narrow column (the type and the description centred beside it).
    #[test]
    fn identifiers_a_narrow_cell_broke_are_joined() {
        let words = vec![
            // Measured on a LibreOffice print: name, type (centred), description.
            word(701.0, 58.2, 137.6, "modified_si"),
            word(701.0, 272.0, 300.2, "Only"),
            word(708.0, 144.4, 202.3, "date-time"),
            word(715.0, 58.2, 79.8, "nce"),
            word(715.0, 272.0, 303.2, "(RFC"),
            // A name that fits, its type beside it; the next row's name is not its rest.
            word(746.0, 58.2, 152.1, "last_modified"),
            word(746.0, 161.8, 219.7, "date-time"),
            word(753.0, 223.3, 258.1, "When"),
            word(760.0, 58.2, 94.3, "edits"),
            word(760.0, 161.8, 205.8, "integer"),
            // Prose: lines that start at the same margin are not a broken identifier.
            word(800.0, 58.2, 70.0, "Each"),
            word(800.0, 72.0, 98.0, "product"),
            word(807.0, 80.0, 98.0, "x"),
            word(814.0, 58.2, 70.0, "is"),
        ];
        assert_eq!(
            lines(words),
            vec![
                "modified_since Only",
                "date-time",
                "(RFC",
                "last_modified date-time",
                "When",
                "edits integer",
                "Each product",
                "x",
                "is"
            ]
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let err = pdf_bytes_text(b"not a pdf at all", Path::new("x.pdf"), DEADLINE).unwrap_err();
        assert!(err.to_string().contains("x.pdf"), "{err}");
    }
}
