//! Paging: the URL of a page, and the position of the next one. One routine for every
//! endpoint, driven by its [`PagingDecl`](crate::PagingDecl).

use crate::more::more_signs_in;
use crate::records::{field, scalar_text, Body};
use crate::state::Position;
use crate::url::{build_url, next_link, resolve, with_query_param};
use crate::{EndDecl, EndpointDecl, PageSizeDecl, PagingDecl};
use serde_json::value::RawValue;
use serde_json::Value;

/// The page size a paginator sends, if any.
pub fn limit_of<'a>(paging: &PagingDecl<'a>) -> Option<PageSizeDecl<'a>> {
    match *paging {
        PagingDecl::None => None,
        PagingDecl::Cursor { limit, .. }
        | PagingDecl::NextUrl { limit, .. }
        | PagingDecl::LinkHeader { limit }
        | PagingDecl::PageNumber { limit, .. } => limit,
        PagingDecl::Offset { limit, .. } => Some(limit),
    }
}

/// Everything needed to build the request URLs of one list.
pub struct Target<'a> {
    /// The base URL (a trailing `/` is dropped).
    pub base: &'a str,
    /// The path template, relative to the base URL.
    pub path: &'a str,
    /// How the list pages.
    pub paging: PagingDecl<'a>,
    /// The primary key columns, for noticing a page served again ([`first_key`]).
    pub primary_key: &'a [&'a str],
    /// Where the records are in a page, left out when looking for signs of more pages.
    pub record_path: &'a [&'a str],
    /// Values of the path's `{param}`s.
    pub path_params: &'a [(&'a str, &'a str)],
    /// Fixed query parameters with config values substituted.
    pub fixed_query: &'a [(&'a str, String)],
    /// The incremental filter (param, value), if any.
    pub filter: Option<(&'a str, String)>,
    /// The filter goes in a request header (`If-Modified-Since`), not in the URL.
    pub filter_in_header: bool,
}

impl<'a> Target<'a> {
    /// The target of a declared endpoint.
    pub fn of(
        base: &'a str,
        endpoint: &'a EndpointDecl,
        path_params: &'a [(&'a str, &'a str)],
        fixed_query: &'a [(&'a str, String)],
        filter: Option<(&'a str, String)>,
    ) -> Target<'a> {
        Target {
            base,
            path: endpoint.path,
            paging: endpoint.paging,
            primary_key: endpoint.primary_key,
            record_path: endpoint.record_path,
            path_params,
            fixed_query,
            filter,
            filter_in_header: endpoint.incremental.is_some_and(|i| i.header),
        }
    }
}

/// The URL of the page at `position`.
pub fn page_url(t: &Target<'_>, position: &Position) -> String {
    if let Position::Url { url } = position {
        return url.clone();
    }
    let paging = &t.paging;
    let mut query: Vec<(&str, String)> = t.fixed_query.to_vec();
    if let Some(limit) = limit_of(paging) {
        query.push((limit.param, limit.value.to_string()));
    }
    // A filter sent as a header (`If-Modified-Since`) is not part of the URL.
    if let Some((param, value)) = t.filter.as_ref().filter(|_| !t.filter_in_header) {
        query.push((param, value.clone()));
    }
    match (paging, position) {
        (PagingDecl::Cursor { cursor_param, .. }, Position::Token { value }) => {
            query.push((cursor_param, value.clone()))
        }
        (
            PagingDecl::PageNumber {
                page_param, start, ..
            },
            Position::Start,
        ) => query.push((page_param, start.to_string())),
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
    // A query value `{name}` of a path parameter takes the path's value.
    for (_, value) in query.iter_mut() {
        let from_path = value
            .strip_prefix('{')
            .and_then(|v| v.strip_suffix('}'))
            .and_then(|name| t.path_params.iter().find(|(n, _)| *n == name));
        if let Some((_, v)) = from_path {
            *value = (*v).to_string();
        }
    }
    build_url(t.base, t.path, t.path_params, &query)
}

/// The position after the page just read (its URL, response headers, parsed body and the
/// records at the record path), or `None` at the end; `Err` says why the page cannot be
/// paged past (a flag that is not a boolean, a paginator that does not advance).
pub fn next_position(
    t: &Target<'_>,
    current: &Position,
    current_url: &str,
    headers: &[(String, String)],
    body: &Body<'_>,
    records: &[&RawValue],
) -> Result<Option<Position>, String> {
    let next = match t.paging {
        PagingDecl::None => {
            // Declared without paging, yet the page may say otherwise (a child list probed on
            // a parent whose list fit one page): stopping here would lose the rest silently.
            let signs = if records.is_empty() {
                Vec::new()
            } else {
                more_signs_in(body, headers, records.len(), t.record_path)
            };
            let certain: Vec<&str> = signs
                .iter()
                .filter(|s| s.certain)
                .map(|s| s.text.as_str())
                .collect();
            if !certain.is_empty() {
                return Err(format!(
                    "the page says more records follow ({}) but this list is declared without paging, so the rest would be lost; set its pagination in an exported model (`connector-agent endpoints <connection> --export`, then `--import`)",
                    certain.join(", ")
                ));
            }
            None
        }
        PagingDecl::Cursor {
            cursor_from_record,
            cursor_path,
            has_more_path,
            ..
        } => {
            let more = match has_more_path {
                Some(path) => match body.value(path) {
                    Value::Bool(b) => b,
                    Value::Null => !records.is_empty(),
                    other => {
                        return Err(format!(
                            "`{}` is {other}, expected true or false",
                            path.join(".")
                        ))
                    }
                },
                None => !records.is_empty(),
            };
            if !more {
                None
            } else if let Some(path) = cursor_path {
                match body.value(path) {
                    Value::String(s) if !s.is_empty() => Some(Position::Token { value: s }),
                    Value::Number(n) => Some(Position::Token {
                        value: n.to_string(),
                    }),
                    _ => None,
                }
            } else if let Some(name) = cursor_from_record {
                let last = records
                    .last()
                    .and_then(|r| field(r, name))
                    .and_then(scalar_text);
                match last {
                    Some(v) => Some(Position::Token { value: v }),
                    None if records.is_empty() => None,
                    None => {
                        return Err(format!("the last record has no `{name}` to continue from"))
                    }
                }
            } else {
                None
            }
        }
        PagingDecl::NextUrl {
            next_url_path,
            limit,
        } => match body.value(next_url_path) {
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
        PagingDecl::LinkHeader { .. } => match next_link(headers) {
            Some(next) if !records.is_empty() => Some(Position::Url {
                url: resolve(t.base, &next),
            }),
            _ => None,
        },
        PagingDecl::PageNumber {
            start, limit, end, ..
        } => {
            let n = match current {
                Position::Page { n } => *n,
                _ => start as u64,
            };
            // Pages read so far, this one included.
            let pages = n.saturating_sub(start as u64) + 1;
            // The server's page size is unknown when it caps the requested one, but this
            // page's count is at most that size, so `pages * received` records at least have
            // been paged past: stopping on it never stops early (at worst one more request,
            // answered by an empty page).
            let covered = pages.saturating_mul(records.len() as u64);
            let more = goes_on(
                end,
                limit.map(|l| l.value),
                body,
                records.len(),
                covered,
                pages,
            )?;
            more.then_some(Position::Page { n: n + 1 })
        }
        PagingDecl::Offset { limit, end, .. } => {
            let n = match current {
                Position::Offset { n } => *n,
                _ => 0,
            };
            // The next offset is this one plus the records that arrived, not plus the limit:
            // an API that caps the page size below the limit (silently) would otherwise have
            // the records in between skipped. An API that filters records out of a page
            // (Jira, by permission) has part of its window read twice; those records are
            // upserted by key, so nothing is lost or doubled.
            let next = n + records.len() as u64;
            // Pages read so far, for a `total_pages` signal: the server's page size is at least
            // this page's count, so dividing by the larger of it and the limit never counts more
            // pages than were read (a server that ignores the limit and serves 100 per page must
            // not look like ten pages of ten). Undercounting costs one request at most.
            let page_size = u64::from(limit.value.max(1)).max(records.len() as u64);
            let pages = next.div_ceil(page_size);
            let more = goes_on(end, Some(limit.value), body, records.len(), next, pages)?;
            more.then_some(Position::Offset { n: next })
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

/// Whether an offset or page-number list goes on after a page of `received` records, with
/// `covered` records and `pages` pages paged past so far. An empty page always ends it (an
/// API that keeps saying "more" must not loop); otherwise the end signal decides, and
/// without one (or when the response lacks its field) a page shorter than `limit` ends it.
pub fn goes_on(
    end: Option<EndDecl>,
    limit: Option<u32>,
    body: &Body<'_>,
    received: usize,
    covered: u64,
    pages: u64,
) -> Result<bool, String> {
    if received == 0 {
        return Ok(false);
    }
    let short_page_rule = || limit.is_none_or(|l| received >= l as usize);
    let Some(end) = end else {
        return Ok(short_page_rule());
    };
    match end {
        EndDecl::Flag { path, stop_when } => match body.value(path) {
            Value::Bool(b) => Ok(b != stop_when),
            Value::Null => Ok(short_page_rule()),
            other => Err(format!(
                "`{}` is {other}, expected true or false",
                path.join(".")
            )),
        },
        EndDecl::Total { path } => match count(&body.value(path)) {
            Some(total) => Ok(covered < total),
            None if body.value(path).is_null() => Ok(short_page_rule()),
            None => Err(format!(
                "`{}` is {}, expected a count",
                path.join("."),
                body.value(path)
            )),
        },
        EndDecl::TotalPages { path } => match count(&body.value(path)) {
            Some(total) => Ok(pages < total),
            None if body.value(path).is_null() => Ok(short_page_rule()),
            None => Err(format!(
                "`{}` is {}, expected a page count",
                path.join("."),
                body.value(path)
            )),
        },
    }
}

/// A non-negative count, as a number or a numeric string.
fn count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The first record's key (its primary key values, else the whole record), for noticing an
/// offset or page-number API that ignores the position and serves the same page again.
pub fn first_key(primary_key: &[&str], records: &[&RawValue]) -> Option<String> {
    let first = records.first()?;
    let parts: Option<Vec<String>> = primary_key
        .iter()
        .map(|k| {
            field(first, k)
                .map(|v| v.get().to_string())
                .filter(|v| v != "null")
        })
        .collect();
    match parts {
        // Records without their key (or a keyless table) are compared whole: two different
        // records that both lack the key must not look like a repeated page.
        Some(parts) if !parts.is_empty() => Some(parts.join("\u{1f}")),
        _ => Some(first.get().to_string()),
    }
}

/// Whether this page starts with the same record as the previous one: for offset and
/// page-number lists, a position the API ignored. Other styles are followed by what the API
/// says (cursors, URLs) and checked by [`next_position`] for not advancing.
pub fn repeats_previous(
    paging: &PagingDecl<'_>,
    previous_first: Option<&str>,
    first: Option<&str>,
) -> bool {
    matches!(
        paging,
        PagingDecl::PageNumber { .. } | PagingDecl::Offset { .. }
    ) && first.is_some()
        && previous_first == first
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: PageSizeDecl = PageSizeDecl {
        param: "limit",
        value: 10,
    };

    #[test]
    fn a_query_value_naming_a_path_parameter_takes_its_value() {
        static E: EndpointDecl = EndpointDecl {
            table: "recipients",
            path: "/lists/{list_id}/recipients",
            record_path: &[],
            layout: crate::RecordLayout::Plain,
            primary_key: &[],
            columns: &[],
            query: &[],
            headers: &[],
            paging: PagingDecl::None,
            incremental: None,
            parent: None,
        };
        let fixed = [("list_id", "{list_id}".to_string())];
        let t = Target::of("http://h", &E, &[("list_id", "7")], &fixed, None);
        assert_eq!(
            page_url(&t, &Position::Start),
            "http://h/lists/7/recipients?list_id=7"
        );
    }

    fn endpoint(paging: PagingDecl<'static>) -> EndpointDecl {
        EndpointDecl {
            table: "t",
            path: "/t",
            record_path: &["values"],
            layout: crate::RecordLayout::Plain,
            primary_key: &["id"],
            columns: &[],
            query: &[],
            headers: &[],
            paging,
            incremental: None,
            parent: None,
        }
    }

    fn offset(end: Option<EndDecl<'static>>) -> EndpointDecl {
        endpoint(PagingDecl::Offset {
            offset_param: "offset",
            limit: LIMIT,
            end,
        })
    }

    fn pages(end: Option<EndDecl<'static>>) -> EndpointDecl {
        endpoint(PagingDecl::PageNumber {
            page_param: "page",
            start: 1,
            limit: Some(LIMIT),
            end,
        })
    }

    /// A body with `n` records (ids from `first`) and the extra top-level fields in `extra`.
    fn body(first: usize, n: usize, extra: &str) -> Vec<u8> {
        let values: Vec<String> = (first..first + n)
            .map(|i| format!(r#"{{"id":{i}}}"#))
            .collect();
        let sep = if extra.is_empty() { "" } else { "," };
        format!(r#"{{"values":[{}]{sep}{extra}}}"#, values.join(",")).into_bytes()
    }

    /// The position after a page at `current` whose body is `bytes`.
    fn next(e: &EndpointDecl, current: Position, bytes: &[u8]) -> Result<Option<Position>, String> {
        let t = Target::of("http://h", e, &[], &[], None);
        let body = Body::parse(bytes)?;
        let records = body.records(e.record_path)?;
        next_position(&t, &current, &page_url(&t, &current), &[], &body, &records)
    }

    #[test]
    fn a_list_declared_without_paging_fails_on_a_page_that_says_more() {
        let e = endpoint(PagingDecl::None);
        let more = br#"{"values":[{"id":1}],"has_more":true}"#;
        let err = next(&e, Position::Start, more).unwrap_err();
        assert!(
            err.contains("`has_more` is true") && err.contains("declared without paging"),
            "{err}"
        );
        // The last page, a sibling list's flag, a bare total and an empty page are no signs.
        for body in [
            &br#"{"values":[{"id":1}],"has_more":false,"next_cursor":"x"}"#[..],
            br#"{"values":[{"id":1}],"others":{"values":[],"has_more":true}}"#,
            br#"{"values":[{"id":1}],"total":4599}"#,
            br#"{"values":[],"has_more":true}"#,
        ] {
            assert_eq!(next(&e, Position::Start, body), Ok(None));
        }
    }

    const IS_LAST: Option<EndDecl> = Some(EndDecl::Flag {
        path: &["isLast"],
        stop_when: true,
    });
    const HAS_MORE: Option<EndDecl> = Some(EndDecl::Flag {
        path: &["meta", "has_more"],
        stop_when: false,
    });
    const TOTAL: Option<EndDecl> = Some(EndDecl::Total { path: &["total"] });
    const TOTAL_PAGES: Option<EndDecl> = Some(EndDecl::TotalPages {
        path: &["total_pages"],
    });

    #[test]
    fn without_a_signal_a_short_page_ends_the_list() {
        let e = offset(None);
        assert_eq!(
            next(&e, Position::Start, &body(0, 10, "")),
            Ok(Some(Position::Offset { n: 10 }))
        );
        assert_eq!(
            next(&e, Position::Offset { n: 10 }, &body(10, 7, "")),
            Ok(None)
        );
        let e = pages(None);
        assert_eq!(
            next(&e, Position::Start, &body(0, 10, "")),
            Ok(Some(Position::Page { n: 2 }))
        );
        assert_eq!(
            next(&e, Position::Page { n: 2 }, &body(10, 9, "")),
            Ok(None)
        );
    }

    #[test]
    fn a_capped_page_size_with_a_total_advances_by_the_records_received() {
        // Asked for 10, the API serves 4, and says there are 11.
        let e = offset(TOTAL);
        assert_eq!(
            next(&e, Position::Start, &body(0, 4, r#""total":11"#)),
            Ok(Some(Position::Offset { n: 4 }))
        );
        assert_eq!(
            next(&e, Position::Offset { n: 4 }, &body(4, 4, r#""total":11"#)),
            Ok(Some(Position::Offset { n: 8 }))
        );
        assert_eq!(
            next(
                &e,
                Position::Offset { n: 8 },
                &body(8, 3, r#""total":"11""#)
            ),
            Ok(None)
        );
    }

    #[test]
    fn records_without_their_key_are_compared_whole() {
        let e = offset(None);
        let a = RawValue::from_string(r#"{"name":"a"}"#.into()).unwrap();
        let b = RawValue::from_string(r#"{"name":"b"}"#.into()).unwrap();
        let ka = first_key(e.primary_key, &[a.as_ref()]);
        let kb = first_key(e.primary_key, &[b.as_ref()]);
        assert_ne!(ka, kb);
        assert!(!repeats_previous(&e.paging, ka.as_deref(), kb.as_deref()));
        assert!(repeats_previous(&e.paging, ka.as_deref(), ka.as_deref()));
    }

    #[test]
    fn a_server_ignoring_the_limit_is_not_taken_for_many_pages() {
        // Asked for 10, the API serves 100 a page and says there are 3 pages.
        let e = offset(TOTAL_PAGES);
        assert_eq!(
            next(&e, Position::Start, &body(0, 100, r#""total_pages":3"#)),
            Ok(Some(Position::Offset { n: 100 }))
        );
        assert_eq!(
            next(
                &e,
                Position::Offset { n: 100 },
                &body(100, 100, r#""total_pages":3"#)
            ),
            Ok(Some(Position::Offset { n: 200 }))
        );
        assert_eq!(
            next(
                &e,
                Position::Offset { n: 200 },
                &body(200, 100, r#""total_pages":3"#)
            ),
            Ok(None)
        );
    }

    #[test]
    fn short_pages_before_the_end_follow_is_last() {
        let e = offset(IS_LAST);
        assert_eq!(
            next(&e, Position::Start, &body(0, 3, r#""isLast":false"#)),
            Ok(Some(Position::Offset { n: 3 }))
        );
        assert_eq!(
            next(
                &e,
                Position::Offset { n: 3 },
                &body(3, 10, r#""isLast":true"#)
            ),
            Ok(None)
        );
        let e = pages(HAS_MORE);
        assert_eq!(
            next(
                &e,
                Position::Start,
                &body(0, 2, r#""meta":{"has_more":true}"#)
            ),
            Ok(Some(Position::Page { n: 2 }))
        );
        assert_eq!(
            next(
                &e,
                Position::Page { n: 2 },
                &body(0, 10, r#""meta":{"has_more":false}"#)
            ),
            Ok(None)
        );
    }

    #[test]
    fn an_empty_page_ends_the_list_whatever_the_signal_says() {
        for end in [IS_LAST, TOTAL, TOTAL_PAGES] {
            let e = offset(end);
            let extra = r#""isLast":false,"total":100,"total_pages":10"#;
            assert_eq!(
                next(&e, Position::Offset { n: 20 }, &body(0, 0, extra)),
                Ok(None)
            );
        }
    }

    #[test]
    fn page_numbers_end_at_total_pages_or_total() {
        let e = pages(TOTAL_PAGES);
        assert_eq!(
            next(&e, Position::Start, &body(0, 3, r#""total_pages":3"#)),
            Ok(Some(Position::Page { n: 2 }))
        );
        assert_eq!(
            next(
                &e,
                Position::Page { n: 3 },
                &body(0, 3, r#""total_pages":3"#)
            ),
            Ok(None)
        );
        // Capped at 4 of 10: 3 pages of 4 cover 12 >= 11.
        let e = pages(TOTAL);
        assert_eq!(
            next(&e, Position::Page { n: 2 }, &body(4, 4, r#""total":11"#)),
            Ok(Some(Position::Page { n: 3 }))
        );
        assert_eq!(
            next(&e, Position::Page { n: 3 }, &body(8, 4, r#""total":11"#)),
            Ok(None)
        );
    }

    #[test]
    fn a_missing_signal_falls_back_to_the_short_page_rule_and_a_wrong_one_is_an_error() {
        let e = offset(IS_LAST);
        assert_eq!(
            next(&e, Position::Start, &body(0, 10, "")),
            Ok(Some(Position::Offset { n: 10 }))
        );
        assert_eq!(next(&e, Position::Start, &body(0, 3, "")), Ok(None));
        assert!(next(&e, Position::Start, &body(0, 3, r#""isLast":"no""#)).is_err());
        let e = offset(TOTAL);
        assert!(next(&e, Position::Start, &body(0, 3, r#""total":{"n":1}"#)).is_err());
    }

    #[test]
    fn a_repeated_first_record_is_noticed_for_offset_and_page_lists_only() {
        let e = offset(IS_LAST);
        let bytes = body(5, 3, "");
        let b = Body::parse(&bytes).unwrap();
        let records = b.records(e.record_path).unwrap();
        let first = first_key(e.primary_key, &records);
        assert_eq!(first.as_deref(), Some("5"));
        assert!(repeats_previous(
            &e.paging,
            first.as_deref(),
            first.as_deref()
        ));
        assert!(!repeats_previous(&e.paging, None, first.as_deref()));
        assert!(!repeats_previous(&e.paging, Some("4"), first.as_deref()));
        assert!(!repeats_previous(&e.paging, None, None));
        let link = endpoint(PagingDecl::LinkHeader { limit: None });
        assert!(!repeats_previous(
            &link.paging,
            first.as_deref(),
            first.as_deref()
        ));
    }
}
