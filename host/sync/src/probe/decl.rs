//! The reviewed model's paging in the connector SDK's form, so that the probe builds its
//! request URLs and follows its pages with the SDK's own code (`connector_agent_sdk`), the
//! code the connector runs: what Save & Test passes is what the sync does.

use connector_agent_model::{CursorFormat, EndSignal, PageSize, Pagination, RecordLayout};
use connector_agent_sdk::{EndDecl, PageSizeDecl, PagingDecl};

/// A filter value's format in the SDK's terms.
pub(super) fn format(f: CursorFormat) -> connector_agent_sdk::CursorFormat {
    match f {
        CursorFormat::Same => connector_agent_sdk::CursorFormat::Same,
        CursorFormat::UnixSeconds => connector_agent_sdk::CursorFormat::UnixSeconds,
        CursorFormat::Rfc3339 => connector_agent_sdk::CursorFormat::Rfc3339,
        CursorFormat::HttpDate => connector_agent_sdk::CursorFormat::HttpDate,
    }
}

/// A record layout in the SDK's terms.
pub(super) fn layout(l: RecordLayout) -> connector_agent_sdk::RecordLayout {
    match l {
        RecordLayout::Plain => connector_agent_sdk::RecordLayout::Plain,
        RecordLayout::JsonApi => connector_agent_sdk::RecordLayout::JsonApi,
    }
}

/// Strings as `&str`s, the SDK's form of a body path or a key.
pub(super) fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A paginator's body paths as `&str` slices, borrowed from the model.
pub(super) struct Paths<'a> {
    cursor: Option<Vec<&'a str>>,
    has_more: Option<Vec<&'a str>>,
    next_url: Vec<&'a str>,
    end: Option<Vec<&'a str>>,
}

impl<'a> Paths<'a> {
    pub(super) fn of(p: &'a Pagination) -> Paths<'a> {
        let mut paths = Paths {
            cursor: None,
            has_more: None,
            next_url: Vec::new(),
            end: None,
        };
        match p {
            Pagination::Cursor {
                cursor_path,
                has_more_path,
                ..
            } => {
                paths.cursor = cursor_path.as_deref().map(strs);
                paths.has_more = has_more_path.as_deref().map(strs);
            }
            Pagination::NextUrl { next_url_path, .. } => paths.next_url = strs(next_url_path),
            Pagination::PageNumber { end, .. } | Pagination::Offset { end, .. } => {
                paths.end = end.as_ref().map(|e| strs(e.path()));
            }
            Pagination::None | Pagination::LinkHeader { .. } => {}
        }
        paths
    }

    /// `p` (the paginator these paths were taken from) as the SDK declares it.
    pub(super) fn decl(&'a self, p: &'a Pagination) -> PagingDecl<'a> {
        let size = |l: &'a PageSize| PageSizeDecl {
            param: &l.param,
            value: l.value,
        };
        let end = |e: &'a Option<EndSignal>| -> Option<EndDecl<'a>> {
            let path = self.end.as_deref()?;
            Some(match e.as_ref()? {
                EndSignal::Flag { stop_when, .. } => EndDecl::Flag {
                    path,
                    stop_when: *stop_when,
                },
                EndSignal::Total { .. } => EndDecl::Total { path },
                EndSignal::TotalPages { .. } => EndDecl::TotalPages { path },
            })
        };
        match p {
            Pagination::None => PagingDecl::None,
            Pagination::Cursor {
                cursor_param,
                cursor_from_record,
                limit,
                ..
            } => PagingDecl::Cursor {
                cursor_param,
                cursor_from_record: cursor_from_record.as_deref(),
                cursor_path: self.cursor.as_deref(),
                has_more_path: self.has_more.as_deref(),
                limit: limit.as_ref().map(size),
            },
            Pagination::NextUrl { limit, .. } => PagingDecl::NextUrl {
                next_url_path: &self.next_url,
                limit: limit.as_ref().map(size),
            },
            Pagination::LinkHeader { limit } => PagingDecl::LinkHeader {
                limit: limit.as_ref().map(size),
            },
            Pagination::PageNumber {
                page_param,
                start,
                limit,
                end: signal,
            } => PagingDecl::PageNumber {
                page_param,
                start: *start,
                limit: limit.as_ref().map(size),
                end: end(signal),
            },
            Pagination::Offset {
                offset_param,
                limit,
                end: signal,
            } => PagingDecl::Offset {
                offset_param,
                limit: size(limit),
                end: end(signal),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_agent_sdk::paginate::{next_position, page_url, Target};
    use connector_agent_sdk::records::Body;
    use connector_agent_sdk::state::Position;

    fn size(n: u32) -> Option<PageSize> {
        Some(PageSize {
            param: "limit".into(),
            value: n,
        })
    }

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(String::from).collect()
    }

    /// Page 1's URL and page 2's (`None`: the list ends) for `paging` over `body`, as the
    /// probe computes them through the SDK.
    fn pages(paging: &Pagination, body: &str) -> (String, Option<String>) {
        let paths = Paths::of(paging);
        let fixed = [("status", "open".to_string())];
        let t = Target {
            base: "http://h/api/",
            path: "/lists/{id}/items",
            paging: paths.decl(paging),
            primary_key: &[],
            record_path: &["data"],
            path_params: &[("id", "a b")],
            fixed_query: &fixed,
            filter: Some(("since", "2024-01-01T00:00:00Z".into())),
            filter_in_header: false,
        };
        let first = page_url(&t, &Position::Start);
        let body = Body::parse(body.as_bytes()).unwrap();
        let records = body.records(&["data"]).unwrap();
        let next = next_position(&t, &Position::Start, &first, &[], &body, &records).unwrap();
        (first, next.map(|p| page_url(&t, &p)))
    }

    const BASE: &str = "http://h/api/lists/a%20b/items?status=open";

    #[test]
    fn every_model_paginator_pages_as_the_connector_declares_it() {
        let two = r#"{"data":[{"id":1},{"id":2}],"meta":{"next":"c2","more":true,"total":3,"url":"/api/lists/x?page=2"}}"#;
        let cursor = Pagination::Cursor {
            cursor_param: "after".into(),
            cursor_from_record: None,
            cursor_path: Some(path("meta.next")),
            has_more_path: Some(path("meta.more")),
            limit: size(2),
        };
        assert_eq!(
            pages(&cursor, two),
            (
                format!("{BASE}&limit=2&since=2024-01-01T00%3A00%3A00Z"),
                Some(format!(
                    "{BASE}&limit=2&since=2024-01-01T00%3A00%3A00Z&after=c2"
                ))
            )
        );
        let from_record = Pagination::Cursor {
            cursor_param: "starting_after".into(),
            cursor_from_record: Some("id".into()),
            cursor_path: None,
            has_more_path: None,
            limit: None,
        };
        assert_eq!(
            pages(&from_record, two).1,
            Some(format!(
                "{BASE}&since=2024-01-01T00%3A00%3A00Z&starting_after=2"
            ))
        );
        let next_url = Pagination::NextUrl {
            next_url_path: path("meta.url"),
            limit: size(2),
        };
        assert_eq!(
            pages(&next_url, two).1.as_deref(),
            Some("http://h/api/lists/x?page=2&limit=2")
        );
        let offset = Pagination::Offset {
            offset_param: "offset".into(),
            limit: PageSize {
                param: "limit".into(),
                value: 2,
            },
            end: Some(EndSignal::Total {
                path: path("meta.total"),
            }),
        };
        assert_eq!(
            pages(&offset, two),
            (
                format!("{BASE}&limit=2&since=2024-01-01T00%3A00%3A00Z&offset=0"),
                Some(format!(
                    "{BASE}&limit=2&since=2024-01-01T00%3A00%3A00Z&offset=2"
                ))
            )
        );
        // The total says no more after 3 records read at page 2's size; a flag saying
        // "last" stops a page-number list even when the page is full.
        let last = Pagination::PageNumber {
            page_param: "page".into(),
            start: 1,
            limit: size(2),
            end: Some(EndSignal::Flag {
                path: path("meta.more"),
                stop_when: true,
            }),
        };
        assert_eq!(pages(&last, two).1, None);
        let full = Pagination::PageNumber {
            page_param: "page".into(),
            start: 1,
            limit: size(2),
            end: None,
        };
        assert_eq!(
            pages(&full, two).1,
            Some(format!(
                "{BASE}&limit=2&since=2024-01-01T00%3A00%3A00Z&page=2"
            ))
        );
        let short = r#"{"data":[{"id":1}]}"#;
        assert_eq!(pages(&full, short).1, None);
    }

    #[test]
    fn filter_formats_map_one_to_one() {
        for (model, sdk) in [
            (CursorFormat::Same, connector_agent_sdk::CursorFormat::Same),
            (
                CursorFormat::UnixSeconds,
                connector_agent_sdk::CursorFormat::UnixSeconds,
            ),
            (
                CursorFormat::Rfc3339,
                connector_agent_sdk::CursorFormat::Rfc3339,
            ),
            (
                CursorFormat::HttpDate,
                connector_agent_sdk::CursorFormat::HttpDate,
            ),
        ] {
            assert_eq!(format(model), sdk);
        }
    }
}
