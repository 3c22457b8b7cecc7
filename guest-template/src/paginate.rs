//! Paging: the URL of a page, and the position of the next one. One routine for every
//! endpoint, driven by its [`PagingDecl`](crate::PagingDecl).

use crate::bindings::connector_agent::connector::types::HttpResponse;
use crate::http::{build_url, header, link_next, resolve, with_query_param};
use crate::records::{field, scalar_text, Body};
use crate::state::Position;
use crate::{EndpointDecl, PageSizeDecl, PagingDecl};
use serde_json::value::RawValue;
use serde_json::Value;

fn limit_of(paging: &PagingDecl) -> Option<PageSizeDecl> {
    match *paging {
        PagingDecl::None => None,
        PagingDecl::Cursor { limit, .. }
        | PagingDecl::NextUrl { limit, .. }
        | PagingDecl::LinkHeader { limit }
        | PagingDecl::PageNumber { limit, .. } => limit,
        PagingDecl::Offset { limit, .. } => Some(limit),
    }
}

/// Everything needed to build a request URL for one endpoint.
pub(crate) struct Target<'a> {
    pub base: &'a str,
    pub endpoint: &'a EndpointDecl,
    pub path_params: &'a [(&'a str, &'a str)],
    /// Fixed query parameters with config values substituted.
    pub fixed_query: &'a [(&'a str, String)],
    /// The incremental filter (param, value), if any.
    pub filter: Option<(&'a str, String)>,
}

/// The URL of the page at `position`.
pub(crate) fn page_url(t: &Target<'_>, position: &Position) -> String {
    if let Position::Url { url } = position {
        return url.clone();
    }
    let paging = &t.endpoint.paging;
    let mut query: Vec<(&str, String)> = t.fixed_query.to_vec();
    if let Some(limit) = limit_of(paging) {
        query.push((limit.param, limit.value.to_string()));
    }
    if let Some((param, value)) = &t.filter {
        query.push((param, value.clone()));
    }
    match (paging, position) {
        (PagingDecl::Cursor { cursor_param, .. }, Position::Token { value }) => {
            query.push((cursor_param, value.clone()))
        }
        (PagingDecl::PageNumber { page_param, start, .. }, Position::Start) => {
            query.push((page_param, start.to_string()))
        }
        (PagingDecl::PageNumber { page_param, .. }, Position::Page { n }) => {
            query.push((page_param, n.to_string()))
        }
        (PagingDecl::Offset { offset_param, .. }, Position::Start) => {
            query.push((offset_param, "0".to_string()))
        }
        (PagingDecl::Offset { offset_param, .. }, Position::Offset { n }) => {
            query.push((offset_param, n.to_string()))
        }
        _ => {}
    }
    build_url(t.base, t.endpoint.path, t.path_params, &query)
}

/// The position after the page just read, or `None` at the end.
pub(crate) fn next_position(
    t: &Target<'_>,
    current: &Position,
    current_url: &str,
    resp: &HttpResponse,
    body: &Body<'_>,
    records: &[&RawValue],
) -> Result<Option<Position>, String> {
    let next = match t.endpoint.paging {
        PagingDecl::None => None,
        PagingDecl::Cursor { cursor_from_record, cursor_path, has_more_path, .. } => {
            let more = match has_more_path {
                Some(path) => match body.value(path) {
                    Value::Bool(b) => b,
                    Value::Null => !records.is_empty(),
                    other => return Err(format!("`{}` is {other}, expected true or false", path.join("."))),
                },
                None => !records.is_empty(),
            };
            if !more {
                None
            } else if let Some(path) = cursor_path {
                match body.value(path) {
                    Value::String(s) if !s.is_empty() => Some(Position::Token { value: s }),
                    Value::Number(n) => Some(Position::Token { value: n.to_string() }),
                    _ => None,
                }
            } else if let Some(name) = cursor_from_record {
                let last = records.last().and_then(|r| field(r, name)).and_then(scalar_text);
                match last {
                    Some(v) => Some(Position::Token { value: v }),
                    None if records.is_empty() => None,
                    None => return Err(format!("the last record has no `{name}` to continue from")),
                }
            } else {
                None
            }
        }
        PagingDecl::NextUrl { next_url_path, limit } => match body.value(next_url_path) {
            Value::String(s) if !s.is_empty() && !records.is_empty() => {
                let mut url = resolve(t.base, &s);
                if let Some(limit) = limit {
                    if !url.contains(&format!("{}=", limit.param)) {
                        url = with_query_param(&url, limit.param, &limit.value.to_string());
                    }
                }
                Some(Position::Url { url })
            }
            _ => None,
        },
        PagingDecl::LinkHeader { .. } => match header(resp, "link").and_then(link_next) {
            Some(next) if !records.is_empty() => Some(Position::Url { url: resolve(t.base, &next) }),
            _ => None,
        },
        PagingDecl::PageNumber { start, limit, .. } => {
            if records.is_empty() || limit.is_some_and(|l| records.len() < l.value as usize) {
                None
            } else {
                let n = match current {
                    Position::Page { n } => *n,
                    _ => start as u64,
                };
                Some(Position::Page { n: n + 1 })
            }
        }
        PagingDecl::Offset { limit, .. } => {
            if records.is_empty() || records.len() < limit.value as usize {
                None
            } else {
                let n = match current {
                    Position::Offset { n } => *n,
                    _ => 0,
                };
                Some(Position::Offset { n: n + records.len() as u64 })
            }
        }
    };
    if let Some(pos) = &next {
        let same = pos == current || matches!(pos, Position::Url { url } if url == current_url);
        if same {
            return Err(format!("the paginator did not advance past {current_url}"));
        }
    }
    Ok(next)
}
