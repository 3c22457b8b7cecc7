//! The one entry of extraction: documentation inputs of any kind in, one model out.
//!
//! Each input is read by its declared kind (or, for a plain file, by its content), best kind
//! first (reference files, then prose, then a crawled site); the models are merged
//! ([`crate::merge`]); what was left out is reported with why.

use crate::{Error, Extraction, Result, Skipped};
pub use connector_agent_model::Input;
use std::path::Path;
use std::time::Instant;

/// Extracts one model from `inputs` (best kind first, merged; see the module). The model is
/// named after the first input; the caller renames it. Fails when an input cannot be read
/// or when no input documents a list endpoint ([`Error::NoLists`], naming the single-record
/// reads the documents do show).
pub fn extract(inputs: &[Input]) -> Result<Extraction> {
    let mut inputs = inputs.to_vec();
    inputs.sort_by_key(Input::rank);
    let mut models = Vec::new();
    let mut skipped = Vec::new();
    let mut warnings = Vec::new();
    for input in &inputs {
        let one = extract_one(input)?;
        models.push(one.model);
        skipped.extend(one.skipped);
        warnings.extend(one.warnings);
    }
    let Some(model) = crate::merge::merge(models) else {
        return Err(Error::NoLists {
            read: "no input".into(),
            seen: Vec::new(),
        });
    };
    if model.endpoints.is_empty() {
        let read: Vec<String> = inputs
            .iter()
            .map(|i| format!("`{}`", i.location()))
            .collect();
        return Err(Error::NoLists {
            read: read.join(", "),
            seen: skipped,
        });
    }
    Ok(Extraction {
        model,
        skipped,
        warnings,
    })
}

/// Up to five of the operations seen, for [`Error::NoLists`]'s message.
pub(crate) fn seen_text(seen: &[Skipped]) -> String {
    if seen.is_empty() {
        return String::new();
    }
    let mut shown: Vec<String> = seen
        .iter()
        .take(5)
        .map(|s| format!("`{} {}` ({})", s.method, s.path, s.reason))
        .collect();
    if seen.len() > 5 {
        shown.push(format!("{} more", seen.len() - 5));
    }
    format!(" The documents show: {}.", shown.join("; "))
}

/// Extracts one input, by its declared kind or, for plain files, by its content.
fn extract_one(input: &Input) -> Result<Extraction> {
    let path = Path::new(input.location());
    match input {
        Input::Openapi(_) => crate::openapi_file_report(crate::read_document(path)?, path),
        Input::Postman(_) => crate::postman::extract_postman_report(
            &crate::read_document(path)?,
            None,
            &path.display().to_string(),
        ),
        Input::Pdf(_) => crate::pdf::pdf_report(path),
        Input::Markdown(_) if path.is_dir() => crate::prose::markdown_dir_report(path),
        Input::Markdown(_) => crate::prose::markdown_file_report(path),
        Input::File(_) => crate::file_report(path),
        Input::DocsUrl(url) => crawl(url),
    }
}

/// Crawls a docs site and extracts from what it found. The crawl is the only network I/O of
/// extraction; it runs on a runtime of its own (in a thread of its own), so that this can be
/// called from sync code and from inside another runtime alike.
fn crawl(start: &str) -> Result<Extraction> {
    let url = start.to_string();
    std::thread::scope(|s| {
        s.spawn(move || -> Result<Extraction> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::Crawl {
                    url: url.clone(),
                    reason: format!("no runtime for the crawl: {e}"),
                })?;
            let limits = crate::CrawlLimits::default();
            let started = Instant::now();
            let deadline_s = limits.deadline.as_secs();
            let progress = |page: &str, n: usize| {
                let elapsed_s = started.elapsed().as_secs();
                tracing::info!(page, pages = n, elapsed_s, deadline_s, "crawling");
            };
            let crawled = rt.block_on(crate::crawl::crawl(&url, &limits, &progress))?;
            if let Some(reason) = &crawled.stopped {
                tracing::warn!(
                    url,
                    pages = crawled.pages.len(),
                    "the crawl stopped early ({reason}); extracting from the pages read"
                );
            }
            crate::crawl::crawled_report(crawled)
        })
        .join()
        .unwrap_or_else(|_| {
            Err(Error::Crawl {
                url: start.to_string(),
                reason: "the docs crawler panicked".into(),
            })
        })
    })
}
