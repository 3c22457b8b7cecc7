//! Pagination style from the query parameters, the response body and the response headers.

use serde_json::Value;

use connector_agent_model::{EndSignal, PageSize, Pagination, QueryParam};

use crate::openapi::{Ctx, Param};
use crate::schema::Kind;

use super::naming::squash;
use super::records::Body;

/// Query parameters that take an opaque cursor (compared squashed: lower case, alphanumeric).
pub(crate) const CURSOR_PARAMS: &[&str] = &[
    "startingafter",
    "after",
    "cursor",
    "pagetoken",
    "nextpagetoken",
    "nexttoken",
    "continuationtoken",
    "continuation",
    "marker",
    "pagecursor",
    "startcursor",
    "pageafter",
    "nextcursor",
    "scrollid",
    "bookmark",
    "offset",
];
/// Cursor parameters whose value is the last record's key (Stripe style).
const RECORD_CURSOR_PARAMS: &[&str] = &["startingafter", "after", "pageafter"];
pub(crate) const PAGE_PARAMS: &[&str] = &["page", "pagenumber", "pagenum", "pageno", "pageindex"];
pub(crate) const OFFSET_PARAMS: &[&str] =
    &["offset", "skip", "startat", "startindex", "start", "first"];
pub(crate) const SIZE_PARAMS: &[&str] = &[
    "limit",
    "perpage",
    "pagesize",
    "pagelimit",
    "maxresults",
    "count",
    "size",
    "top",
    "resultsperpage",
    "itemsperpage",
    "maxitems",
    "max",
    "take",
    "number",
    "rows",
];

/// Objects under which pagination fields live, at any depth (`meta.pagination.next_cursor`);
/// the SDK's list, which Save & Test and the sync use to look for next-page fields on a page.
pub use connector_agent_sdk::more::PAGING_CONTAINERS;

/// Fields holding the next cursor token.
const TOKEN_FIELDS: &[&[&str]] = &[
    &["next_cursor"],
    &["nextCursor"],
    &["next_page_token"],
    &["nextPageToken"],
    &["next_token"],
    &["nextToken"],
    &["next_marker"],
    &["nextMarker"],
    &["continuation_token"],
    &["continuationToken"],
    &["next_page", "offset"],
    &["nextPage", "offset"],
    &["cursors", "after"],
    &["end_cursor"],
    &["endCursor"],
    &["next_page_cursor"],
    &["bookmark"],
    &["next_bookmark"],
    &["starting_after"],
    &["startingAfter"],
    &["after"],
    &["cursor"],
    &["scroll_id"],
];
/// Fields holding the next page's URL.
const URL_FIELDS: &[&[&str]] = &[
    &["next"],
    &["next_url"],
    &["nextUrl"],
    &["next_page_url"],
    &["nextPageUrl"],
    &["next_page_uri"],
    &["nextPageUri"],
    &["next_link"],
    &["nextLink"],
    &["@odata.nextLink"],
    &["next", "href"],
    &["next_href"],
];
/// Boolean "more pages" flags.
const MORE_FIELDS: &[&[&str]] = &[
    &["has_more"],
    &["hasMore"],
    &["has_next"],
    &["hasNext"],
    &["has_next_page"],
    &["hasNextPage"],
    &["more"],
    &["has_more_items"],
];

/// Boolean "this is the last page" flags (Jira's `isLast`, Spring's `last`).
const LAST_FIELDS: &[&[&str]] = &[
    &["isLast"],
    &["is_last"],
    &["isLastPage"],
    &["is_last_page"],
    &["lastPage"],
    &["last_page"],
    &["last"],
];
/// Counts of the records in all pages (`count`, often the size of this page, is looked at
/// apart).
const TOTAL_FIELDS: &[&[&str]] = &[
    &["total"],
    &["totalCount"],
    &["total_count"],
    &["totalResults"],
    &["total_results"],
    &["totalItems"],
    &["total_items"],
    &["totalRecords"],
    &["total_records"],
    &["totalElements"],
    &["total_elements"],
    &["totalSize"],
    &["total_size"],
];
/// Counts of the pages (Laravel's numeric `last_page` too).
const TOTAL_PAGES_FIELDS: &[&[&str]] = &[
    &["total_pages"],
    &["totalPages"],
    &["pageCount"],
    &["page_count"],
    &["num_pages"],
    &["numPages"],
    &["last_page"],
    &["lastPage"],
    &["pages"],
];

/// The pagination of one endpoint and what was noticed on the way.
pub(crate) struct Paging {
    pub pagination: Pagination,
    pub note: String,
    /// Fixed query parameters the style needs (Box's `usemarker=true`).
    pub query: Vec<QueryParam>,
    /// Parameter names consumed by pagination (not to be treated as filters).
    pub params: Vec<String>,
}

pub(crate) fn infer<'a>(
    ctx: &Ctx<'a>,
    params: &[Param<'a>],
    body: &Body<'a>,
    record_path: &[String],
    headers: &[&str],
    primary_key: &[String],
) -> Paging {
    let query: Vec<&Param<'a>> = params.iter().filter(|p| p.location == "query").collect();
    let find_param = |names: &[&str], want: &dyn Fn(&Param<'a>) -> bool| {
        names.iter().find_map(|n| {
            query
                .iter()
                .copied()
                .find(|p| squash(p.name) == *n && want(p))
        })
    };
    let kind_of = |p: &Param<'a>| {
        p.schema
            .map_or(Kind::Unknown, |s| ctx.schemas.shape(s).kind)
    };

    let size = find_param(SIZE_PARAMS, &|p| {
        matches!(kind_of(p), Kind::Integer | Kind::Number | Kind::Unknown)
    })
    .map(|p| PageSize {
        param: p.name.to_string(),
        value: page_size(ctx, p),
    });
    let cursor = find_param(CURSOR_PARAMS, &|p| {
        squash(p.name) != "offset" || matches!(kind_of(p), Kind::String)
    });
    let page = find_param(PAGE_PARAMS, &|p| {
        !matches!(kind_of(p), Kind::Boolean | Kind::Object)
    });
    let offset = find_param(OFFSET_PARAMS, &|p| {
        matches!(kind_of(p), Kind::Integer | Kind::Number)
    });

    // Fields beside a nested record array first (`{"artists": {"items", "next"}}`), then at
    // the top level.
    let search = |patterns: &[&[&str]], accept: &dyn Fn(&Body<'a>) -> bool| {
        if let [outer @ .., last] = record_path {
            if !outer.is_empty() {
                let names: Vec<&str> = outer.iter().map(String::as_str).collect();
                let inner = body.at(ctx, &names);
                if let Some(found) = find_field(ctx, &inner, patterns, Some(last), accept) {
                    return Some(outer.iter().cloned().chain(found).collect());
                }
            }
        }
        find_field(
            ctx,
            body,
            patterns,
            record_path.first().map(String::as_str),
            accept,
        )
    };
    let token = search(TOKEN_FIELDS, &|b| {
        matches!(b.kind(), Kind::String | Kind::Unknown) && b.exists() && !looks_like_url(b)
    });
    let next_url = search(URL_FIELDS, &|b| {
        b.kind() == Kind::String && (b.example.is_none() || looks_like_url(b))
    });
    let more = search(MORE_FIELDS, &|b| b.kind() == Kind::Boolean);
    let is_count = |b: &Body<'a>| matches!(b.kind(), Kind::Integer | Kind::Number);
    // What ends an offset or page-number list besides a short page: a "last page" or "more"
    // flag, a count of all records, a count of pages. `numbered` prefers the page count.
    let end_signal = |numbered: bool| -> Option<EndSignal> {
        let flag = search(LAST_FIELDS, &|b| b.kind() == Kind::Boolean)
            .map(|path| EndSignal::Flag {
                path,
                stop_when: true,
            })
            .or_else(|| {
                more.clone().map(|path| EndSignal::Flag {
                    path,
                    stop_when: false,
                })
            });
        let total = || {
            search(TOTAL_FIELDS, &is_count)
                .or_else(|| {
                    // `count` is often this page's size: only with a description that says
                    // it counts every record.
                    search(&[&["count"]], &is_count).filter(|path| {
                        let names: Vec<&str> = path.iter().map(String::as_str).collect();
                        let shape = body.at(ctx, &names).shape;
                        shape.and_then(|s| s.description).is_some_and(|d| {
                            let d = d.to_ascii_lowercase();
                            d.contains("total") || d.contains("all ")
                        })
                    })
                })
                .map(|path| EndSignal::Total { path })
        };
        let pages =
            || search(TOTAL_PAGES_FIELDS, &is_count).map(|path| EndSignal::TotalPages { path });
        if numbered {
            pages().or(flag).or_else(total)
        } else {
            flag.or_else(total)
        }
    };
    let until = |end: &Option<EndSignal>| match end {
        Some(EndSignal::Flag { path, stop_when }) => {
            format!("until `{}` is {stop_when}", path.join("."))
        }
        Some(EndSignal::Total { path }) => {
            format!("until `{}` records (short pages go on)", path.join("."))
        }
        Some(EndSignal::TotalPages { path }) => format!("until page `{}`", path.join(".")),
        None => "until a short page".to_string(),
    };
    let link_header = headers.iter().any(|h| h.eq_ignore_ascii_case("link"));

    let mut used: Vec<String> = Vec::new();
    let mut extra = Vec::new();
    let mut use_param = |p: Option<&Param<'_>>| {
        if let Some(p) = p {
            used.push(p.name.to_string());
        }
    };
    use_param(
        size.as_ref()
            .and_then(|s| query.iter().copied().find(|p| p.name == s.param)),
    );
    let limit = size.clone();
    let show = |path: &[String]| path.join(".");

    let (pagination, note) = if let (Some(param), Some(path)) = (cursor, &token) {
        use_param(Some(param));
        if squash(param.name) == "marker" {
            if let Some(flag) = query.iter().find(|p| squash(p.name) == "usemarker") {
                extra.push(QueryParam {
                    name: flag.name.to_string(),
                    value: "true".into(),
                });
                use_param(Some(flag));
            }
        }
        let note = format!("pages with `{}` from `{}`", param.name, show(path));
        let has_more_path = more.clone();
        (
            Pagination::Cursor {
                cursor_param: param.name.to_string(),
                cursor_from_record: None,
                cursor_path: Some(path.clone()),
                has_more_path,
                limit,
            },
            note,
        )
    } else if let (Some(param), Some(flag), true) = (
        cursor.filter(|p| RECORD_CURSOR_PARAMS.contains(&squash(p.name).as_str())),
        &more,
        !primary_key.is_empty(),
    ) {
        use_param(Some(param));
        let note = format!(
            "pages with `{}` = last record's `{}` while `{}`",
            param.name,
            primary_key[0],
            show(flag)
        );
        (
            Pagination::Cursor {
                cursor_param: param.name.to_string(),
                cursor_from_record: Some(primary_key[0].clone()),
                cursor_path: None,
                has_more_path: Some(flag.clone()),
                limit,
            },
            note,
        )
    } else if let Some(path) = &next_url {
        let note = format!("follows the next-page URL in `{}`", show(path));
        (
            Pagination::NextUrl {
                next_url_path: path.clone(),
                limit,
            },
            note,
        )
    } else if link_header && (page.is_some() || size.is_some() || cursor.is_some()) {
        use_param(page);
        (
            Pagination::LinkHeader { limit },
            "follows `rel=\"next\"` in the `Link` header".into(),
        )
    } else if let Some(param) = page {
        use_param(Some(param));
        let default = param
            .schema
            .and_then(|s| ctx.schemas.shape(s).default.and_then(Value::as_u64));
        let start = u32::from(default != Some(0));
        let end = end_signal(true);
        let note = format!("numbers pages with `{}` {}", param.name, until(&end));
        (
            Pagination::PageNumber {
                page_param: param.name.to_string(),
                start,
                limit,
                end,
            },
            note,
        )
    } else if let (Some(param), Some(limit)) = (offset, limit) {
        use_param(Some(param));
        let end = end_signal(false);
        let note = format!(
            "pages with `{}` + `{}` {}",
            param.name,
            limit.param,
            until(&end)
        );
        (
            Pagination::Offset {
                offset_param: param.name.to_string(),
                limit,
                end,
            },
            note,
        )
    } else {
        let note = match (cursor, &token) {
            (Some(p), None) => format!(
                "no pagination: `{}` takes a cursor but the response shows none",
                p.name
            ),
            _ => "no pagination documented".to_string(),
        };
        (Pagination::None, note)
    };
    Paging {
        pagination,
        note,
        query: extra,
        params: used,
    }
}

/// The value to send as page size: the documented maximum (schema or text), else the
/// default, else 100; at most 1000.
fn page_size<'a>(ctx: &Ctx<'a>, param: &Param<'a>) -> u32 {
    let shape = param.schema.map(|s| ctx.schemas.shape(s));
    let maximum = shape.as_ref().and_then(|s| s.maximum).filter(|m| *m >= 1.0);
    let from_text = max_from_text(param.description)
        .or_else(|| max_from_text(shape.as_ref().and_then(|s| s.description).unwrap_or("")));
    let default = shape
        .as_ref()
        .and_then(|s| s.default)
        .and_then(Value::as_f64)
        .filter(|d| *d >= 1.0);
    let default_from_text = || {
        default_from_text(param.description)
            .or_else(|| default_from_text(shape.as_ref().and_then(|s| s.description).unwrap_or("")))
            .map(f64::from)
    };
    let value = maximum
        .or(from_text.map(f64::from))
        .or(default)
        .or_else(default_from_text)
        .unwrap_or(100.0);
    // In range after the clamp, so the cast cannot truncate.
    value.clamp(1.0, 1000.0).round() as u32
}

/// A maximum stated in words: "max 100", "between 1 and 100", "no larger than 1000", ...
pub fn max_from_text(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let mut best: Option<(usize, u32)> = None;
    let keys = [
        "maximum of",
        "maximum is",
        "maximum value is",
        "maximum value of",
        "maximum:",
        "maximum",
        "max.",
        "max:",
        "max is",
        "max",
        "up to",
        "no larger than",
        "no more than",
        "not exceed",
        "cannot exceed",
        "at most",
        "less than or equal to",
        "limit is",
    ];
    for key in keys {
        let mut from = 0;
        while let Some(i) = lower[from..].find(key) {
            let at = from + i;
            from = at + key.len();
            if let Some(n) = number_after(&lower[at + key.len()..]) {
                if best.is_none_or(|(pos, _)| at < pos) {
                    best = Some((at, n));
                }
            }
        }
    }
    if best.is_some() {
        // A stated maximum beats any range ("1-5 digits … max 100").
        return best.map(|(_, n)| n);
    }
    // A range from 0 or 1: "1 to 50", "1-50", "1–50", "1..50".
    for (at, _) in lower.match_indices(['0', '1']) {
        let before_ok = lower[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '.' && c != ',');
        let rest = &lower[at + 1..];
        let Some(rest) = [
            " to ",
            " - ",
            "-",
            "\u{2013}",
            " \u{2013} ",
            "..",
            " through ",
        ]
        .iter()
        .find_map(|sep| rest.strip_prefix(sep)) else {
            continue;
        };
        if !before_ok || !rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if let Some(n) = number_after(rest).filter(|n| *n > 1) {
            if best.is_none_or(|(pos, _)| at < pos) {
                best = Some((at, n));
            }
        }
    }
    if let Some(i) = lower.find("between ") {
        let rest = &lower[i + 8..];
        if let Some(and) = rest.find(" and ") {
            let low_ok = rest[..and].trim().chars().all(|c| c.is_ascii_digit());
            if let (true, Some(n)) = (low_ok, number_after(&rest[and + 5..])) {
                if best.is_none_or(|(pos, _)| i < pos) {
                    best = Some((i, n));
                }
            }
        }
    }
    best.map(|(_, n)| n)
}

/// A default stated in words: "Default 20", "defaults to 20", "(default: 20)".
fn default_from_text(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("default")?;
    let rest = lower[at + "default".len()..].trim_start_matches(['s', ' ']);
    let rest = rest.strip_prefix("to ").unwrap_or(rest);
    let rest = rest.strip_prefix("is ").unwrap_or(rest);
    number_after(rest)
}

/// A number right after some filler (`: `, `of `, `is `, `(`), like `100` or `1,000`.
fn number_after(text: &str) -> Option<u32> {
    let text = text.trim_start_matches([' ', ':', '=', '(']);
    let text = text.strip_prefix("of ").unwrap_or(text).trim_start();
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

fn looks_like_url(body: &Body<'_>) -> bool {
    if body.format().is_some_and(|f| f == "uri" || f == "url") {
        return true;
    }
    match body.example {
        Some(Value::String(s)) => s.starts_with("http") || s.starts_with('/'),
        _ => false,
    }
}

/// How deep [`find_field`] looks below the top level of a body (`meta.pagination.links.next`
/// is three levels down).
const MAX_DEPTH: usize = 4;

/// Short names that hold a paging position only inside a paging container
/// (`paging.cursors.after`, `links.next`): elsewhere they may be anything.
const WEAK_NAMES: &[&str] = &["after", "cursor", "next", "last", "more", "pages"];

/// The first field matching one of `patterns`, at the top level or inside nested objects at
/// any depth (up to [`MAX_DEPTH`]), shallowest first; a short, ambiguous name (`after`,
/// `next`) counts only under a container named like paging (`meta`, `pagination`, `links`…).
fn find_field<'a>(
    ctx: &Ctx<'a>,
    body: &Body<'a>,
    patterns: &[&[&str]],
    record_field: Option<&str>,
    accept: &dyn Fn(&Body<'a>) -> bool,
) -> Option<Vec<String>> {
    // (object, its path, whether a paging container encloses it)
    let mut level: Vec<(Body<'a>, Vec<String>, bool)> = vec![(body.clone(), Vec::new(), false)];
    for depth in 0..=MAX_DEPTH {
        let mut next_level = Vec::new();
        for (obj, path, in_container) in &level {
            let names = obj.names();
            for pattern in patterns {
                if !names.contains(&pattern[0]) || (depth == 0 && Some(pattern[0]) == record_field)
                {
                    continue;
                }
                if depth > 0
                    && !in_container
                    && pattern.len() == 1
                    && WEAK_NAMES.contains(&pattern[0])
                {
                    continue;
                }
                let found = obj.at(ctx, pattern);
                if found.exists() && accept(&found) {
                    let mut full = path.clone();
                    full.extend(pattern.iter().map(|s| (*s).to_string()));
                    return Some(full);
                }
            }
            if depth == MAX_DEPTH {
                continue;
            }
            for name in names {
                if depth == 0 && Some(name) == record_field {
                    continue;
                }
                let inner = obj.child(ctx, name);
                if inner.kind() != Kind::Object {
                    continue;
                }
                let mut inner_path = path.clone();
                inner_path.push(name.to_string());
                let container = *in_container || PAGING_CONTAINERS.contains(&squash(name).as_str());
                next_level.push((inner, inner_path, container));
            }
        }
        if next_level.is_empty() {
            break;
        }
        level = next_level;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxima_are_read_from_text() {
        assert_eq!(
            max_from_text("The number of results per page (max 100)."),
            Some(100)
        );
        assert_eq!(
            max_from_text("Limit can range between 1 and 100, and the default is 10."),
            Some(100)
        );
        assert_eq!(
            max_from_text("Must be an integer no larger than 1000."),
            Some(1000)
        );
        assert_eq!(max_from_text("Maximum: 1,000"), Some(1000));
        assert_eq!(max_from_text("Default is 10, max is 100"), Some(100));
        assert_eq!(max_from_text("How many to return."), None);
        assert_eq!(
            max_from_text("Products per page, 1 to 50. Default 20."),
            Some(50)
        );
        assert_eq!(max_from_text("Page size (1-200)."), Some(200));
        assert_eq!(max_from_text("Page size, 1\u{2013}30."), Some(30));
        // Not a range from 1: a version, a date, a decimal.
        assert_eq!(
            max_from_text("Since v1.2-3 and 2021-05-01, 0.5-2 seconds."),
            None
        );
        assert_eq!(
            default_from_text("Products per page, 1 to 50. Default 20."),
            Some(20)
        );
        assert_eq!(default_from_text("defaults to 25"), Some(25));
        assert_eq!(default_from_text("(default: 10)"), Some(10));
        assert_eq!(default_from_text("the default order"), None);
    }
}
