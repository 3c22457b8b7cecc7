//! Checking the paginator: page 2 must differ from page 1, a smaller page size must be
//! honoured, and a first page that says there is more (a token or link anywhere in the body
//! or headers, a flag, a total) must not be left unread: followed and corrected where it is
//! unambiguous, else the check fails naming what the page showed.

use super::*;
use connector_agent_sdk::more::{more_signs, MoreSign};

/// Sets the page size sent (`None`: none, where the paginator allows it).
pub(super) fn set_limit(p: &mut Pagination, size: Option<u32>) {
    match p {
        Pagination::None => {}
        Pagination::Cursor { limit, .. }
        | Pagination::NextUrl { limit, .. }
        | Pagination::LinkHeader { limit }
        | Pagination::PageNumber { limit, .. } => match size {
            Some(n) => {
                if let Some(l) = limit {
                    l.value = n;
                }
            }
            None => *limit = None,
        },
        Pagination::Offset { limit, .. } => {
            if let Some(n) = size {
                limit.value = n;
            }
        }
    }
}

pub(super) fn limit_of(p: &Pagination) -> Option<(String, u32)> {
    match p {
        Pagination::None => None,
        Pagination::Cursor { limit, .. }
        | Pagination::NextUrl { limit, .. }
        | Pagination::LinkHeader { limit }
        | Pagination::PageNumber { limit, .. } => {
            limit.as_ref().map(|l| (l.param.clone(), l.value))
        }
        Pagination::Offset { limit, .. } => Some((limit.param.clone(), limit.value)),
    }
}

/// Query parameters that may take a token found in a field named `leaf`: the name without
/// its `next` (`next_cursor` → `cursor`, `nextPageToken` → `pageToken`), the name itself,
/// then the usual cursor parameters.
pub(super) fn cursor_params_for(leaf: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let stripped = leaf
        .strip_prefix("next_")
        .or_else(|| leaf.strip_prefix("next-"))
        .map(str::to_string)
        .or_else(|| {
            leaf.strip_prefix("next")
                .filter(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
                .map(|r| {
                    let mut c = r.chars();
                    c.next()
                        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
        });
    for p in stripped
        .into_iter()
        .chain([leaf.to_string()])
        .chain(["cursor", "page_token", "after"].map(String::from))
    {
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// A paginator in a few words, for a correction.
pub(super) fn describe_pagination(p: &Pagination) -> String {
    match p {
        Pagination::None => "none".into(),
        Pagination::Cursor {
            cursor_param,
            cursor_path: Some(path),
            ..
        } => format!("cursor `{cursor_param}` from `{}`", path.join(".")),
        Pagination::Cursor { cursor_param, .. } => format!("cursor `{cursor_param}`"),
        Pagination::NextUrl { next_url_path, .. } => {
            format!("next URL at `{}`", next_url_path.join("."))
        }
        other => other.style().to_string(),
    }
}

impl Probe<'_> {
    /// The first page again with a smaller page size, after the API refused the first
    /// request (`refused`): the maximum its error message states, else the API's own default
    /// (the size left out), else 25 and 10 (offset paging needs a size to step by). The first
    /// size the API accepts corrects the model.
    pub(super) async fn smaller_page(
        &mut self,
        i: usize,
        params: &[(String, String)],
        refused: &Failure,
    ) -> Option<Page> {
        let e = self.model.endpoints[i].clone();
        let (param, sent) = limit_of(&e.pagination)?;
        let stated = connector_agent_extract::max_from_text(&refused.message).filter(|n| *n < sent);
        let mut sizes: Vec<Option<u32>> = stated.map(Some).into_iter().collect();
        if matches!(e.pagination, Pagination::Offset { .. }) {
            sizes.extend(
                [Some(25), Some(10)]
                    .into_iter()
                    .filter(|s| s.is_some_and(|s| s < sent)),
            );
        } else {
            sizes.push(None);
        }
        for size in sizes {
            let mut tried = e.clone();
            set_limit(&mut tried.pagination, size);
            let url = self.first_url(&tried, params, None).ok()?;
            let got = self.get(&tried, url).await;
            if let Err(f) = &got {
                if f.cause != Cause::Rejected {
                    return None;
                }
            }
            if let Ok(page) = got {
                let now = match size {
                    Some(n) => format!("`{param}={n}`"),
                    None => format!("no `{param}` (the API's default page size)"),
                };
                self.correct(
                    i,
                    CorrectedField::Pagination,
                    format!(
                        "{} with `{param}={sent}`",
                        describe_pagination(&e.pagination)
                    ),
                    format!("{} with {now}", describe_pagination(&tried.pagination)),
                    format!(
                        "the API refused `{param}={sent}` ({}) and accepted {now}",
                        refused.message
                    ),
                );
                self.model.endpoints[i].pagination = tried.pagination;
                return Some(page);
            }
        }
        None
    }

    /// Fetches the second page where the first says there is more, and checks it differs.
    pub(super) async fn paginator(
        &mut self,
        i: usize,
        page: &Page,
        records: &[Value],
        params: &[(String, String)],
        record_path: &[String],
    ) -> CheckPart {
        let e = self.model.endpoints[i].clone();
        let name = "paginator";
        let what = match &e.pagination {
            Pagination::None => {
                if let Some(part) = self
                    .unseen_more(i, page, records, params, record_path)
                    .await
                {
                    return part;
                }
                return CheckPart::passed(name, "no pagination: one request reads all".into());
            }
            Pagination::Cursor { cursor_param, .. } => format!("`{cursor_param}`"),
            Pagination::NextUrl { next_url_path, .. } => {
                format!("the next URL at `{}`", next_url_path.join("."))
            }
            Pagination::LinkHeader { .. } => "the `Link` header's next URL".into(),
            Pagination::PageNumber { page_param, .. } => format!("`{page_param}`"),
            Pagination::Offset { offset_param, .. } => format!("`{offset_param}`"),
        };
        // Page 2 as the connector's own paging finds it.
        let next = match self.next_url(&e, params, page, record_path) {
            Ok(next) => next,
            Err(why) => return CheckPart::failed(name, format!("unexpected shape: {why}")),
        };
        let Some(next) = next else {
            // The paginator stops here: the page must not say there is more.
            if let Some(part) = self
                .unseen_more(i, page, records, params, record_path)
                .await
            {
                return part;
            }
            return CheckPart::passed(
                name,
                format!(
                    "{} style: the first page is the only one ({} records)",
                    e.pagination.style(),
                    records.len()
                ),
            );
        };
        if next == page.url {
            return CheckPart::failed(
                name,
                format!(
                    "the paginator does not advance: {what} points back at the first page ({})",
                    shown(&next)
                ),
            );
        }
        let second = match self.get(&e, next.clone()).await {
            Ok(p) => p,
            Err(f) => {
                return CheckPart::failed(name, format!("page 2 could not be read: {}", f.message))
            }
        };
        let second_records = self
            .records_at(&second.body, record_path, e.layout)
            .unwrap_or_default();
        if second.bytes == page.bytes
            || (!second_records.is_empty() && second_records.as_slice() == records)
        {
            return CheckPart::failed(
                name,
                format!("the paginator does not advance: {what} param ignored? page 2 (GET {}) returned the same records as page 1; check the pagination style in the docs", shown(&second.url)),
            );
        }
        CheckPart::passed(
            name,
            format!(
                "{} style: page 2 differs ({} records)",
                e.pagination.style(),
                second_records.len()
            ),
        )
    }

    /// Where the model's paging would stop after the first page: whether that page says
    /// there is more (a next token or link anywhere in the body, a `Link: rel=next` header,
    /// a "more" flag, a total above what was read). `None` when it does not. When it does
    /// and the body holds exactly one next-page token or URL, and following it returns
    /// different records, the model is corrected to follow it; otherwise the check fails
    /// naming what the page showed.
    pub(super) async fn unseen_more(
        &mut self,
        i: usize,
        page: &Page,
        records: &[Value],
        params: &[(String, String)],
        record_path: &[String],
    ) -> Option<CheckPart> {
        let name = "paginator";
        if records.is_empty() {
            return None;
        }
        let e = self.model.endpoints[i].clone();
        let Ok(raw) = serde_json::value::to_raw_value(&page.body) else {
            return None;
        };
        let signs = more_signs(&raw, &page.headers, records.len(), &decl::strs(record_path));
        if signs.is_empty() {
            return None;
        }
        let shown_signs = signs
            .iter()
            .map(|s| s.text.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let candidates: Vec<&MoreSign> = signs.iter().filter(|s| s.next.is_some()).collect();
        let limit = match &e.pagination {
            Pagination::Cursor { limit, .. }
            | Pagination::NextUrl { limit, .. }
            | Pagination::LinkHeader { limit }
            | Pagination::PageNumber { limit, .. } => limit.clone(),
            Pagination::Offset { limit, .. } => Some(limit.clone()),
            Pagination::None => None,
        };
        // Candidate paginators; each gives page 2's URL by the connector's own paging.
        let mut paginators: Vec<(Pagination, String)> = Vec::new();
        if let [only] = candidates.as_slice() {
            let (path, value) = only.next.clone().expect("filtered");
            if value.starts_with("http://")
                || value.starts_with("https://")
                || value.starts_with('/')
            {
                paginators.push((
                    Pagination::NextUrl {
                        next_url_path: path.clone(),
                        limit: limit.clone(),
                    },
                    format!("follows the next-page URL at `{}`", path.join(".")),
                ));
            } else {
                let leaf = path.last().cloned().unwrap_or_default();
                for param in cursor_params_for(&leaf) {
                    paginators.push((
                        Pagination::Cursor {
                            cursor_param: param.clone(),
                            cursor_from_record: None,
                            cursor_path: Some(path.clone()),
                            has_more_path: None,
                            limit: limit.clone(),
                        },
                        format!("pages with `{param}` from `{}`", path.join(".")),
                    ));
                }
            }
        } else if candidates.is_empty()
            && connector_agent_sdk::url::next_link(&page.headers).is_some()
        {
            paginators.push((
                Pagination::LinkHeader {
                    limit: limit.clone(),
                },
                "follows `rel=\"next\"` in the `Link` header".into(),
            ));
        }
        let mut tries: Vec<(Pagination, String, String)> = Vec::new();
        for (pagination, how) in paginators {
            let mut tried = e.clone();
            tried.pagination = pagination.clone();
            if let Ok(Some(url)) = self.next_url(&tried, params, page, record_path) {
                tries.push((pagination, url, how));
            }
        }
        for (pagination, url, how) in tries {
            let Ok(second) = self.get(&e, url.clone()).await else {
                continue;
            };
            let second_records = self
                .records_at(&second.body, record_path, e.layout)
                .unwrap_or_default();
            if second_records.is_empty() || second_records.as_slice() == records {
                continue;
            }
            let before = describe_pagination(&e.pagination);
            let after = describe_pagination(&pagination);
            self.correct(
                i,
                CorrectedField::Pagination,
                before,
                after,
                format!(
                    "the first page says there is more ({shown_signs}) but the documented paging would stop after it; page 2 (GET {}) holds {} different records",
                    shown(&url),
                    second_records.len()
                ),
            );
            self.model.endpoints[i].pagination = pagination;
            return Some(CheckPart::passed(
                name,
                format!(
                    "corrected: {how} (the first page says there is more: {shown_signs}; page 2 differs)"
                ),
            ));
        }
        Some(CheckPart::failed(
            name,
            format!(
                "the first page says there is more ({shown_signs}) but the connector would stop after it ({} style), so only {} records would be read; set the pagination in an exported model (`connector-agent endpoints {} --export`) and import it",
                e.pagination.style(),
                records.len(),
                self.id
            ),
        ))
    }
}
