//! Signs on a page that more pages follow: a next-page token or URL at any depth of the body
//! (the records themselves left out), a "more" flag that is true, a "last" flag that is
//! false, a total above the records read, a `Link` header with `rel="next"`.
//!
//! Save & Test reads them on the first page to correct or fail a paginator that would stop
//! too early; the sync reads them on every page of a list declared without paging, so that
//! a list which turns out to have more pages for one parent (a child list probed on a
//! parent with one short page) fails with what it saw instead of being cut short.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::records::{Body, RawObject};
use crate::url::next_link;

/// Objects (names squashed: lower case, letters and digits only) under which paging fields
/// live, at any depth (`meta.pagination.next_cursor`). Extraction reads documented responses
/// with the same list.
pub const PAGING_CONTAINERS: &[&str] = &[
    "meta",
    "metadata",
    "pagination",
    "paging",
    "page",
    "pageinfo",
    "responsemetadata",
    "links",
    "cursor",
    "cursors",
    "nextpage",
    "info",
    "pages",
    "next",
];

/// Leaf names (squashed) of fields that hold the next page's token or URL.
const NEXT_NAMES: &[&str] = &[
    "nextcursor",
    "nextpagetoken",
    "nexttoken",
    "nextmarker",
    "nextpagecursor",
    "nextbookmark",
    "nextkey",
    "nextpage",
    "nexturl",
    "nextlink",
    "nextpageurl",
    "nextpageuri",
    "nexthref",
    "odatanextlink",
    "continuationtoken",
    "endcursor",
    "bookmark",
    "startingafter",
    "scrollid",
    "next",
];

/// Names that hold a position only under a paging container (`paging.cursors.after`).
const WEAK_NEXT_NAMES: &[&str] = &["after", "cursor"];

/// Position names some APIs keep on the last page too (GraphQL's `pageInfo.endCursor`,
/// Facebook's `paging.cursors.after`, CouchDB's `bookmark`, Elasticsearch's `_scroll_id`):
/// signs for Save & Test, which follows them to see, but not for failing a sync.
const LINGERING_NAMES: &[&str] = &["endcursor", "bookmark", "scrollid", "after", "cursor"];

const MORE_NAMES: &[&str] = &[
    "hasmore",
    "hasnext",
    "hasnextpage",
    "more",
    "hasmoreitems",
    "moreresults",
];

const LAST_NAMES: &[&str] = &["islast", "islastpage", "last", "lastpage"];

/// Totals whose name says they count records.
const COUNT_NAMES: &[&str] = &[
    "totalcount",
    "totalresults",
    "totalitems",
    "totalrecords",
    "totalelements",
];

/// Totals whose name alone could be something else (an order's `total` in cents, a
/// folder's `totalSize` in bytes): a sign only under a paging container, or at Save & Test,
/// where a person reads the message.
const LOOSE_COUNT_NAMES: &[&str] = &["total", "count", "totalsize"];

/// How deep into the body the signs are looked for.
const MAX_DEPTH: usize = 6;

/// One sign on a page that more pages follow.
#[derive(Debug, Clone, PartialEq)]
pub struct MoreSign {
    /// For messages: "`meta.next_cursor` = \"abc\"".
    pub text: String,
    /// A next-page token or URL: its path and value.
    pub next: Option<(Vec<String>, String)>,
    /// Whether the sign leaves no doubt: false for a bare `total` or `count` outside a
    /// paging container (it may count something other than records) and for a position
    /// some APIs keep on their last page (`endCursor`, `after`, `bookmark`).
    pub certain: bool,
}

/// Lower case, letters and digits only (`next_page-Token` → `nextpagetoken`).
pub fn squashed(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Every sign on a page of `read` records that more pages follow (see the module's
/// comment). `record_path` is left out of the walk. A page that says it is the last
/// (`has_more: false`, `isLast: true`, `hasNextPage: false`, beside the records or at the
/// top) shows none: an end flag outweighs a position left on the page. Flags of another list
/// in the body (an expanded sibling's `has_more`) are no signs either way.
pub fn more_signs(
    body: &RawValue,
    headers: &[(String, String)],
    read: usize,
    record_path: &[&str],
) -> Vec<MoreSign> {
    let mut walk = Walk::new(read, record_path);
    walk.object(body, &mut Vec::new(), None, false);
    walk.finish(headers)
}

/// As [`more_signs`], on a body the sync has parsed already: its top-level fields are not
/// read again.
pub(crate) fn more_signs_in(
    body: &Body<'_>,
    headers: &[(String, String)],
    read: usize,
    record_path: &[&str],
) -> Vec<MoreSign> {
    let mut walk = Walk::new(read, record_path);
    if let Some(top) = body.top_fields() {
        walk.entries(top, &mut Vec::new(), None, false);
    }
    walk.finish(headers)
}

struct Walk<'r> {
    read: usize,
    record_path: &'r [&'r str],
    out: Vec<MoreSign>,
    /// A flag about the list read says this page is its last.
    ended: bool,
}

impl<'r> Walk<'r> {
    fn new(read: usize, record_path: &'r [&'r str]) -> Self {
        Walk {
            read,
            record_path,
            out: Vec::new(),
            ended: false,
        }
    }

    /// The signs found, and a `Link: rel="next"` among `headers`; none when a flag about
    /// the list said the page is its last.
    fn finish(self, headers: &[(String, String)]) -> Vec<MoreSign> {
        if self.ended {
            return Vec::new();
        }
        let mut out = self.out;
        if next_link(headers).is_some() {
            out.push(MoreSign {
                text: "a `Link` header with `rel=\"next\"`".into(),
                next: None,
                certain: true,
            });
        }
        out
    }

    /// Whether the field at `path` is about the list read: the object holding it, less any
    /// paging containers it sits in (`pageInfo`, `meta.pagination`), holds the records too.
    fn about_the_list(&self, path: &[String]) -> bool {
        let mut scope = &path[..path.len().saturating_sub(1)];
        while let Some((last, rest)) = scope.split_last() {
            if !PAGING_CONTAINERS.contains(&squashed(last).as_str()) {
                break;
            }
            scope = rest;
        }
        scope.len() <= self.record_path.len()
            && scope
                .iter()
                .zip(self.record_path)
                .all(|(a, b)| a.as_str() == *b)
    }

    /// Walks object `v` at `path`, whose key (squashed) is `parent`.
    fn object(
        &mut self,
        v: &RawValue,
        path: &mut Vec<String>,
        parent: Option<&str>,
        in_container: bool,
    ) {
        if !v.get().starts_with('{') || path.len() > MAX_DEPTH {
            return;
        }
        let Ok(map) = serde_json::from_str::<RawObject>(v.get()) else {
            return;
        };
        self.entries(&map.0, path, parent, in_container);
    }

    /// Walks the fields of an object at `path`, whose key (squashed) is `parent`.
    fn entries(
        &mut self,
        fields: &[(String, &RawValue)],
        path: &mut Vec<String>,
        parent: Option<&str>,
        in_container: bool,
    ) {
        for (k, child) in fields {
            let child: &RawValue = child;
            path.push(k.clone());
            if path
                .iter()
                .map(String::as_str)
                .eq(self.record_path.iter().copied())
            {
                path.pop();
                continue;
            }
            let name = squashed(k);
            let text = child.get();
            if text.starts_with('{') {
                let container = in_container || PAGING_CONTAINERS.contains(&name.as_str());
                self.object(child, path, Some(&name), container);
            } else if !text.starts_with('[') {
                self.scalar(&name, path, child, parent, in_container);
            }
            path.pop();
        }
    }

    /// The sign scalar `raw` at `path` gives, if any.
    fn scalar(
        &mut self,
        name: &str,
        path: &[String],
        raw: &RawValue,
        parent: Option<&str>,
        in_container: bool,
    ) {
        let Ok(value) = serde_json::from_str::<Value>(raw.get()) else {
            return;
        };
        let shown = path.join(".");
        let (text, next, certain) = match value {
            Value::String(s) if !s.is_empty() => {
                let strong = NEXT_NAMES.contains(&name);
                let weak = in_container && WEAK_NEXT_NAMES.contains(&name);
                // A link object under `next` (HAL's `_links.next.href`, Asana's
                // `next_page.uri`); `self`, `first` and `last` links are on every page.
                let link = matches!(name, "href" | "uri" | "url" | "link")
                    && matches!(parent, Some("next" | "nextpage"));
                if !(strong || weak || link) {
                    return;
                }
                let cut: String = s.chars().take(40).collect();
                let certain = !LINGERING_NAMES.contains(&name);
                (format!("`{shown}` = \"{cut}\""), Some(s), certain)
            }
            // A flag speaks for the list beside it: the one read when it sits at the top or
            // beside the records (through paging containers), another list's otherwise
            // (`{"subscriptions":{"data":[…]}, "tax_ids":{"has_more":false}}`).
            Value::Bool(_) if !self.about_the_list(path) => return,
            Value::Bool(more) if MORE_NAMES.contains(&name) => {
                if !more {
                    self.ended = true;
                    return;
                }
                (format!("`{shown}` is true"), None, true)
            }
            Value::Bool(last) if LAST_NAMES.contains(&name) => {
                if last {
                    self.ended = true;
                    return;
                }
                (format!("`{shown}` is false"), None, true)
            }
            Value::Number(n)
                if (COUNT_NAMES.contains(&name) || LOOSE_COUNT_NAMES.contains(&name))
                    && n.as_u64().is_some_and(|t| t > self.read as u64) =>
            {
                let certain = COUNT_NAMES.contains(&name) || in_container;
                let read = self.read;
                (
                    format!("`{shown}` = {n}, above the {read} read"),
                    None,
                    certain,
                )
            }
            _ => return,
        };
        self.out.push(MoreSign {
            text,
            next: next.map(|value| (path.to_vec(), value)),
            certain,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signs(body: &str, read: usize, record_path: &[&str]) -> Vec<MoreSign> {
        let raw: &RawValue = serde_json::from_str(body).unwrap();
        more_signs(raw, &[], read, record_path)
    }

    #[test]
    fn a_token_two_levels_deep_is_a_sign_with_its_path() {
        let s = signs(
            r#"{"data":[{"id":1,"next":"x"}],"meta":{"page":{"next_token":"abc"}}}"#,
            1,
            &["data"],
        );
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            s[0].next,
            Some((
                vec!["meta".into(), "page".into(), "next_token".into()],
                "abc".into()
            ))
        );
        assert!(s[0].certain);
    }

    #[test]
    fn flags_totals_and_the_link_header_are_signs() {
        let s = signs(
            r#"{"items":[1,2],"has_more":true,"is_last":false,"total_count":9}"#,
            2,
            &["items"],
        );
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(s.iter().all(|s| s.certain));
        let raw: &RawValue = serde_json::from_str("[1]").unwrap();
        let link = [(
            "Link".to_string(),
            r#"<https://a.test/x?page=2>; rel="next""#.to_string(),
        )];
        assert_eq!(more_signs(raw, &link, 1, &[]).len(), 1);
    }

    #[test]
    fn links_on_every_page_and_end_flags_are_no_signs() {
        // HAL: self/first/last links on a one-page list; only `next` says more.
        let hal = r#"{"_embedded":{"items":[1]},"_links":{"self":{"href":"/i?page=0"},"first":{"href":"/i?page=0"},"last":{"href":"/i?page=0"}}}"#;
        assert!(signs(hal, 1, &["_embedded", "items"]).is_empty());
        let hal_more = r#"{"items":[1],"_links":{"next":{"href":"/i?page=1"}}}"#;
        let s = signs(hal_more, 1, &["items"]);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].certain);
        // GraphQL: an end cursor beside hasNextPage false; Facebook: an `after` cursor.
        let graphql = r#"{"nodes":[1],"pageInfo":{"endCursor":"Y3Vy","hasNextPage":false}}"#;
        assert!(signs(graphql, 1, &["nodes"]).is_empty());
        let facebook = r#"{"data":[1],"paging":{"cursors":{"before":"QVFI","after":"QVFJ"}}}"#;
        let s = signs(facebook, 1, &["data"]);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(!s[0].certain, "a lingering cursor: {s:?}");
        // A file API's size in bytes.
        let files = r#"{"entries":[1],"totalSize":123456}"#;
        assert!(signs(files, 1, &["entries"]).iter().all(|s| !s.certain));
    }

    #[test]
    fn a_flag_speaks_for_its_own_list_only() {
        // Stripe-style expanded lists: the subscriptions read have more, the tax ids not.
        let body = r#"{"subscriptions":{"data":[1],"has_more":true},"tax_ids":{"data":[],"has_more":false},"settings":{"more":false}}"#;
        let s = signs(body, 1, &["subscriptions", "data"]);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].text.contains("subscriptions.has_more"), "{s:?}");
        // Reading the tax ids instead: their list ended, the sibling's flag is not theirs.
        assert!(signs(body, 0, &["tax_ids", "data"]).is_empty());
        // GraphQL: the connection's pageInfo is the list's own.
        let gql =
            r#"{"data":{"users":{"nodes":[1],"pageInfo":{"hasNextPage":true,"endCursor":"Y3"}}}}"#;
        let s = signs(gql, 1, &["data", "users", "nodes"]);
        assert_eq!(s.len(), 2, "{s:?}");
        let gql_end = gql.replace("true", "false");
        assert!(signs(&gql_end, 1, &["data", "users", "nodes"]).is_empty());
    }

    #[test]
    fn every_link_header_is_read() {
        let raw: &RawValue = serde_json::from_str("[1]").unwrap();
        let links = [
            (
                "Link".to_string(),
                r#"<https://a.test/schema>; rel="describedby""#.to_string(),
            ),
            (
                "link".to_string(),
                r#"<https://a.test/x?page=2>; rel="next""#.to_string(),
            ),
        ];
        assert_eq!(more_signs(raw, &links, 1, &[]).len(), 1);
    }

    #[test]
    fn a_bare_total_is_uncertain_outside_a_paging_container_and_nothing_at_the_end() {
        let s = signs(r#"{"items":[1,2],"total":4599}"#, 2, &["items"]);
        assert_eq!(s.len(), 1);
        assert!(!s[0].certain);
        let s = signs(r#"{"items":[1,2],"meta":{"total":3}}"#, 2, &["items"]);
        assert!(s[0].certain);
        assert!(signs(
            r#"{"items":[1,2],"has_more":false,"next":null,"total":2,"is_last":true}"#,
            2,
            &["items"]
        )
        .is_empty());
    }
}
