//! URLs as connectors send them: paths with their `{param}`s filled, query strings,
//! next-page links. Pure functions, shared by the connector and Save & Test's probe, so the
//! probe asks for exactly the URL the sync will ask for.

/// Percent-encodes a query or path component (RFC 3986 unreserved characters pass).
pub fn encode(text: &str, out: &mut String) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// The first `{param}` of `path` that `filled` does not name: a value neither config nor a
/// parent record gives, so no request may be built (it would go out with the placeholder
/// in it).
pub fn unfilled<'a>(path: &'a str, filled: &[&str]) -> Option<&'a str> {
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}')?;
        let name = &rest[open + 1..open + close];
        if !filled.contains(&name) {
            return Some(name);
        }
        rest = &rest[open + close + 1..];
    }
    None
}

/// Builds `base + path?query`, substituting `{param}`s in the path.
pub fn build_url(
    base: &str,
    path: &str,
    path_params: &[(&str, &str)],
    query: &[(&str, String)],
) -> String {
    let mut url = String::with_capacity(base.len() + path.len() + 64);
    url.push_str(base.trim_end_matches('/'));
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        url.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            url.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &rest[open + 1..open + close];
        match path_params.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => encode(value, &mut url),
            None => url.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    url.push_str(rest);
    append_query(&mut url, query);
    url
}

/// Appends query parameters to a URL that may already have some.
pub fn append_query(url: &mut String, query: &[(&str, String)]) {
    for (name, value) in query {
        url.push(if url.contains('?') { '&' } else { '?' });
        encode(name, url);
        url.push('=');
        encode(value, url);
    }
}

/// Replaces (or adds) one query parameter in an absolute URL.
pub fn with_query_param(url: &str, name: &str, value: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, q),
        None => (url, ""),
    };
    let mut enc_name = String::new();
    encode(name, &mut enc_name);
    let mut out = String::from(head);
    let mut first = true;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split('=').next().unwrap_or("");
        if key == enc_name {
            continue;
        }
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(pair);
    }
    out.push(if first { '?' } else { '&' });
    out.push_str(&enc_name);
    out.push('=');
    encode(value, &mut out);
    out
}

/// Resolves a possibly relative next-page URL against the base URL.
pub fn resolve(base: &str, next: &str) -> String {
    if next.starts_with("http://") || next.starts_with("https://") {
        next.to_string()
    } else if let Some(stripped) = next.strip_prefix('/') {
        // origin of base + absolute path
        let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let origin_end = base[scheme_end..]
            .find('/')
            .map(|i| i + scheme_end)
            .unwrap_or(base.len());
        format!("{}/{}", &base[..origin_end], stripped)
    } else {
        format!("{}/{}", base.trim_end_matches('/'), next)
    }
}

/// The `rel="next"` URL of a `Link` header.
pub fn link_next(link: &str) -> Option<String> {
    for part in link.split(',') {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        if is_next {
            return Some(
                target
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            );
        }
    }
    None
}

/// The `rel="next"` URL among all of a response's `Link` headers (a server may send one
/// per relation: `rel="describedby"` first, `rel="next"` after).
pub fn next_link(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("link"))
        .find_map(|(_, v)| link_next(v))
}

/// The value of a header (names compare case-insensitively).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_next_link_is_found_in_any_link_header() {
        let h = |n: &str, v: &str| (n.to_string(), v.to_string());
        let headers = [
            h("Link", r#"<https://a.test/schema>; rel="describedby""#),
            h("content-type", "application/json"),
            h("link", r#"<https://a.test/x?page=2>; rel="next""#),
        ];
        assert_eq!(
            super::next_link(&headers).as_deref(),
            Some("https://a.test/x?page=2")
        );
        assert_eq!(super::next_link(&headers[..2]), None);
    }

    #[test]
    fn a_placeholder_without_a_value_is_named() {
        use super::unfilled;
        assert_eq!(unfilled("/a/{x}/b/{y}", &["x", "y"]), None);
        assert_eq!(unfilled("/a/{x}/b/{y}", &["x"]), Some("y"));
        assert_eq!(
            unfilled("/{account_id}/cards.json", &[]),
            Some("account_id")
        );
        assert_eq!(unfilled("/plain", &[]), None);
    }

    use super::*;

    #[test]
    fn build_url_encodes_params() {
        let url = build_url(
            "http://h/api/",
            "/v1/customers/{id}/invoices",
            &[("id", "a b/c")],
            &[("limit", "10".into()), ("q", "x&y".into())],
        );
        assert_eq!(
            url,
            "http://h/api/v1/customers/a%20b%2Fc/invoices?limit=10&q=x%26y"
        );
    }

    #[test]
    fn with_query_param_replaces() {
        assert_eq!(
            with_query_param("http://h/x?a=1&b=2", "a", "3"),
            "http://h/x?b=2&a=3"
        );
        assert_eq!(with_query_param("http://h/x", "a", "3"), "http://h/x?a=3");
    }

    #[test]
    fn link_header_next() {
        let link = "<http://h/e?page=2>; rel=\"next\", <http://h/e?page=9>; rel=\"last\"";
        assert_eq!(link_next(link).as_deref(), Some("http://h/e?page=2"));
        assert_eq!(link_next("<http://h/e?page=9>; rel=\"last\""), None);
    }

    #[test]
    fn resolve_relative() {
        assert_eq!(
            resolve("http://h:1/api", "/v1/x?c=2"),
            "http://h:1/v1/x?c=2"
        );
        assert_eq!(resolve("http://h:1/api", "http://o/x"), "http://o/x");
    }
}
