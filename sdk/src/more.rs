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

use crate::records::RawObject;
use crate::url::{header, link_next};

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
const WEAK_NEXT_NAMES: &[&str] = &["after", "cursor", "href"];

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
    "totalsize",
];

/// Totals whose name alone could be something else (an order's `total` in cents): a sign
/// only under a paging container, or at Save & Test, where a person reads the message.
const LOOSE_COUNT_NAMES: &[&str] = &["total", "count"];

/// How deep into the body the signs are looked for.
const MAX_DEPTH: usize = 6;

/// One sign on a page that more pages follow.
#[derive(Debug, Clone, PartialEq)]
pub struct MoreSign {
    /// For messages: "`meta.next_cursor` = \"abc\"".
    pub text: String,
    /// A next-page token or URL: its path and value.
    pub next: Option<(Vec<String>, String)>,
    /// Whether the sign leaves no doubt: false only for a bare `total` or `count` outside a
    /// paging container, which may count something other than records.
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
/// comment). `record_path` is left out of the walk.
pub fn more_signs(
    body: &RawValue,
    headers: &[(String, String)],
    read: usize,
    record_path: &[&str],
) -> Vec<MoreSign> {
    let mut out = Vec::new();
    walk(body, &mut Vec::new(), false, read, record_path, &mut out);
    if header(headers, "link").and_then(link_next).is_some() {
        out.push(MoreSign {
            text: "a `Link` header with `rel=\"next\"`".into(),
            next: None,
            certain: true,
        });
    }
    out
}

fn walk(
    v: &RawValue,
    path: &mut Vec<String>,
    in_container: bool,
    read: usize,
    record_path: &[&str],
    out: &mut Vec<MoreSign>,
) {
    if !v.get().starts_with('{') || path.len() >= MAX_DEPTH {
        return;
    }
    let Ok(map) = serde_json::from_str::<RawObject>(v.get()) else {
        return;
    };
    for (k, child) in map.0 {
        path.push(k.to_string());
        if path
            .iter()
            .map(String::as_str)
            .eq(record_path.iter().copied())
        {
            path.pop();
            continue;
        }
        let name = squashed(&k);
        let shown = path.join(".");
        let text = child.get();
        if text.starts_with('{') {
            let container = in_container || PAGING_CONTAINERS.contains(&name.as_str());
            walk(child, path, container, read, record_path, out);
        } else if !text.starts_with('[') {
            if let Some(sign) = scalar_sign(&name, &shown, child, in_container, read) {
                let next = sign.1.map(|value| (path.clone(), value));
                out.push(MoreSign {
                    text: sign.0,
                    next,
                    certain: sign.2,
                });
            }
        }
        path.pop();
    }
}

/// The sign a scalar field gives, if any: its text, the next-page value it holds, and
/// whether it is certain.
fn scalar_sign(
    name: &str,
    shown: &str,
    raw: &RawValue,
    in_container: bool,
    read: usize,
) -> Option<(String, Option<String>, bool)> {
    match serde_json::from_str::<Value>(raw.get()).ok()? {
        Value::String(s) if !s.is_empty() => {
            let strong = NEXT_NAMES.contains(&name);
            let weak = in_container && WEAK_NEXT_NAMES.contains(&name);
            (strong || weak).then(|| {
                let cut: String = s.chars().take(40).collect();
                (format!("`{shown}` = \"{cut}\""), Some(s), true)
            })
        }
        Value::Bool(true) if MORE_NAMES.contains(&name) => {
            Some((format!("`{shown}` is true"), None, true))
        }
        Value::Bool(false) if LAST_NAMES.contains(&name) => {
            Some((format!("`{shown}` is false"), None, true))
        }
        Value::Number(n)
            if (COUNT_NAMES.contains(&name) || LOOSE_COUNT_NAMES.contains(&name))
                && n.as_u64().is_some_and(|t| t > read as u64) =>
        {
            let certain = COUNT_NAMES.contains(&name) || in_container;
            Some((
                format!("`{shown}` = {n}, above the {read} read"),
                None,
                certain,
            ))
        }
        _ => None,
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
