//! Names: path segments, entity names, singular/plural, table names.

use connector_agent_model::snake_ident;

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    Literal(&'a str),
    /// A `{param}` segment; the name is the text between the first `{` and its `}`.
    Param(&'a str),
}

pub(crate) fn segments(path: &str) -> Vec<Segment<'_>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match (s.find('{'), s.find('}')) {
            (Some(open), Some(close)) if close > open => Segment::Param(&s[open + 1..close]),
            _ => Segment::Literal(s),
        })
        .collect()
}

/// The names of the `{param}` placeholders of a path, in order.
pub(crate) fn path_params(path: &str) -> Vec<&str> {
    segments(path)
        .into_iter()
        .filter_map(|s| match s {
            Segment::Param(p) => Some(p),
            Segment::Literal(_) => None,
        })
        .collect()
}

/// The path with its last segment's file extension removed and parameter names blanked,
/// so that `/Accounts.json` and `/Accounts/{Sid}/Calls` can be compared by prefix.
pub(crate) fn path_key(segments: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        out.push('/');
        match segment {
            Segment::Param(_) => out.push_str("{}"),
            Segment::Literal(text) if i + 1 == segments.len() => {
                out.push_str(strip_extension(text))
            }
            Segment::Literal(text) => out.push_str(text),
        }
    }
    out
}

fn strip_extension(text: &str) -> &str {
    for ext in [".json", ".xml", ".csv"] {
        if text.len() > ext.len() && text.to_ascii_lowercase().ends_with(ext) {
            return &text[..text.len() - ext.len()];
        }
    }
    text
}

/// Words that, as a path segment or dotted part, mark an operation that is not a plain list.
const ACTION_WORDS: &[&str] = &[
    "search",
    "export",
    "exports",
    "download",
    "downloads",
    "autocomplete",
    "typeahead",
    "lookup",
    "preview",
    "upcoming",
    "validate",
    "verify",
    "render",
    "count",
    "counts",
    "suggest",
    "suggestions",
    "query",
    "find",
    "calculate",
    "estimate",
    "_search",
    "_count",
];

/// The action word in a path, if it looks like a search/export/action rather than a list.
pub(crate) fn action_word(path: &str) -> Option<String> {
    for segment in segments(path) {
        let Segment::Literal(text) = segment else {
            continue;
        };
        let text = strip_extension(text);
        for part in text.split(['.', ':']) {
            let snake = snake_ident(part);
            let first = snake.split('_').next().unwrap_or("");
            for word in [snake.as_str(), first] {
                if ACTION_WORDS.contains(&word) {
                    return Some(part.to_string());
                }
            }
            if part.starts_with('_') && ACTION_WORDS.contains(&part) {
                return Some(part.to_string());
            }
        }
    }
    None
}

/// Whether a segment is a version or API prefix rather than a resource (`v1`, `2010-04-01`).
pub(crate) fn is_prefix_segment(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let versionish =
        lower.starts_with('v') && lower[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
    versionish
        || lower
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '.')
        || matches!(lower.as_str(), "api" | "rest" | "latest")
}

/// Trailing dotted verbs of RPC-style paths (`conversations.list` → `conversations`).
const RPC_VERBS: &[&str] = &["list", "all", "get", "index", "fetch", "read"];

/// The entity a list path is about: its last literal segment, without a file extension or
/// RPC verb. `None` when the path has no usable segment.
pub(crate) fn entity(path: &str) -> Option<String> {
    let segs = segments(path);
    let text = segs.iter().rev().find_map(|s| match s {
        Segment::Literal(text) if !is_prefix_segment(strip_extension(text)) => Some(*text),
        _ => None,
    })?;
    let text = strip_extension(text);
    let mut parts: Vec<&str> = text.split('.').filter(|p| !p.is_empty()).collect();
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| RPC_VERBS.contains(&p.to_ascii_lowercase().as_str()))
    {
        parts.pop();
    }
    let joined = parts.join(".");
    (!joined.is_empty()).then_some(joined)
}

/// A snake_case prefix that tells a table apart from others of the same entity: the
/// resource owning the last parameter, singular, plus any literals between that parameter
/// and the entity. `/v1/customers/{id}/invoices` → `customer`, `/services/{id}/audit/records`
/// → `service_audit`, `/user/issues` → `user`.
pub(crate) fn table_prefix(path: &str) -> Option<String> {
    let segs = segments(path);
    let last_literal = segs
        .iter()
        .rposition(|s| matches!(s, Segment::Literal(_)))?;
    let literal = |s: &Segment<'_>| match s {
        Segment::Literal(text) if !is_prefix_segment(text) => {
            Some(snake_ident(strip_extension(text)))
        }
        _ => None,
    };
    let mut words = Vec::new();
    let last_param = segs[..last_literal]
        .iter()
        .rposition(|s| matches!(s, Segment::Param(_)));
    let owner_end = match last_param {
        Some(p) => {
            words.extend(segs[p + 1..last_literal].iter().filter_map(literal));
            p
        }
        None => last_literal,
    };
    if let Some(owner) = segs[..owner_end].iter().rev().find_map(literal) {
        words.insert(0, singular(&owner));
    }
    (!words.is_empty()).then(|| words.join("_"))
}

/// Singular of the last word of a snake_case name: `balance_transactions` → `balance_transaction`.
pub(crate) fn singular(snake: &str) -> String {
    let (head, last) = match snake.rfind('_') {
        Some(i) => (&snake[..=i], &snake[i + 1..]),
        None => ("", snake),
    };
    let word = match last {
        "people" => "person".to_string(),
        "children" => "child".to_string(),
        "men" => "man".to_string(),
        "data" | "media" | "news" | "series" | "status" | "address" | "access" | "analysis" => {
            last.to_string()
        }
        w if w.ends_with("ies") && w.len() > 3 => format!("{}y", &w[..w.len() - 3]),
        w if w.ends_with("sses")
            || w.ends_with("xes")
            || w.ends_with("ches")
            || w.ends_with("shes") =>
        {
            w[..w.len() - 2].to_string()
        }
        w if w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") => w.to_string(),
        w if w.ends_with('s') && w.len() > 1 => w[..w.len() - 1].to_string(),
        w => w.to_string(),
    };
    format!("{head}{word}")
}

/// Plural of the last word of a snake_case name.
pub(crate) fn plural(snake: &str) -> String {
    if snake.ends_with('s') {
        return snake.to_string();
    }
    if snake.ends_with('y')
        && !snake.ends_with("ay")
        && !snake.ends_with("ey")
        && !snake.ends_with("oy")
    {
        return format!("{}ies", &snake[..snake.len() - 1]);
    }
    if snake.ends_with('x') || snake.ends_with("ch") || snake.ends_with("sh") {
        return format!("{snake}es");
    }
    format!("{snake}s")
}

/// Lower-case ASCII letters and digits only: `page[size]` → `pagesize`, `PageToken` → `pagetoken`
/// (the SDK's rule, also used for the paging fields of a real page).
pub(crate) use connector_agent_sdk::more::squashed as squash;

/// Whether a path parameter names an account: a user, owner, organization, account or
/// workspace (`username`, `owner`, `org`, `user_id`, `account_id`, `workspace_gid`), as
/// opposed to a record of it (`repo`, `team_slug`).
pub(crate) fn names_an_account(param: &str) -> bool {
    const ACCOUNTS: &[&str] = &[
        "user",
        "username",
        "login",
        "owner",
        "org",
        "organization",
        "organisation",
        "account",
        "workspace",
    ];
    const ID_SUFFIXES: &[&str] = &["", "id", "gid", "name", "login", "slug", "sid", "key"];
    let squashed = squash(param);
    ACCOUNTS.iter().any(|account| {
        squashed
            .strip_prefix(account)
            .is_some_and(|rest| ID_SUFFIXES.contains(&rest))
    })
}

/// Whether a list is the service's directory of every user or organization (GitHub's
/// `/users`: "Lists all users, in the order that they signed up on GitHub") rather than the
/// accounts the credentials can see (Asana's `/users`: "all users ... accessible to the
/// authenticated user"; PagerDuty's: "users of your PagerDuty account"). Only a top-level
/// list of accounts whose docs say "all" without saying whose counts.
pub(crate) fn lists_every_account(path: &str, text: &str) -> bool {
    const DIRECTORIES: &[&str] = &[
        "users",
        "organizations",
        "organisations",
        "orgs",
        "accounts",
    ];
    const EVERY: &[&str] = &[
        "all users",
        "all organizations",
        "all organisations",
        "all accounts",
        "every user",
        "every organization",
        "every account",
    ];
    const SCOPED: &[&str] = &[
        "your",
        "accessible to",
        "visible to",
        "available to",
        "authenticated",
        "authorized",
        "authorised",
        "belonging to",
        "belong to",
        "member of",
        "connected to",
        "access to",
        "enterprise",
        "company",
        "workspace",
        "tenant",
        "for the account",
        "in the account",
        "of the account",
    ];
    let segs = segments(path);
    let [Segment::Literal(only)] = segs.as_slice() else {
        return false;
    };
    if !DIRECTORIES.contains(&strip_extension(only).to_ascii_lowercase().as_str()) {
        return false;
    }
    let text = text.to_ascii_lowercase();
    EVERY.iter().any(|e| text.contains(e)) && !SCOPED.iter().any(|s| text.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_come_from_the_last_literal_segment() {
        assert_eq!(
            entity("/v1/customers/{customer_id}/invoices").as_deref(),
            Some("invoices")
        );
        assert_eq!(
            entity("/2010-04-01/Accounts/{AccountSid}/Calls.json").as_deref(),
            Some("Calls")
        );
        assert_eq!(
            entity("/conversations.list").as_deref(),
            Some("conversations")
        );
        assert_eq!(entity("/v1").as_deref(), None);
        assert_eq!(entity("/users/{id}").as_deref(), Some("users"));
    }

    #[test]
    fn singular_and_plural() {
        assert_eq!(singular("balance_transactions"), "balance_transaction");
        assert_eq!(singular("companies"), "company");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("people"), "person");
        assert_eq!(plural("company"), "companies");
        assert_eq!(plural("day"), "days");
        assert_eq!(plural("box"), "boxes");
    }

    #[test]
    fn actions_are_recognised() {
        assert_eq!(
            action_word("/v1/customers/search").as_deref(),
            Some("search")
        );
        assert_eq!(action_word("/search.messages").as_deref(), Some("search"));
        assert_eq!(
            action_word("/marketing/contacts/count").as_deref(),
            Some("count")
        );
        assert_eq!(action_word("/v1/customers"), None);
        assert_eq!(action_word("/v1/countries"), None);
    }

    #[test]
    fn path_keys_ignore_extensions_and_param_names() {
        assert_eq!(
            path_key(&segments("/2010-04-01/Accounts.json")),
            "/2010-04-01/Accounts"
        );
        assert_eq!(path_key(&segments("/a/{x}/b")), "/a/{}/b");
        assert_eq!(
            table_prefix("/v1/customers/{customer}/invoices").as_deref(),
            Some("customer")
        );
        assert_eq!(
            table_prefix("/services/{id}/audit/records").as_deref(),
            Some("service_audit")
        );
        assert_eq!(table_prefix("/user/issues").as_deref(), Some("user"));
        assert_eq!(table_prefix("/issues"), None);
    }

    #[test]
    fn account_parameters_are_told_from_their_records() {
        for yes in [
            "username",
            "owner",
            "org",
            "user_id",
            "account_id",
            "workspace_gid",
            "AccountSid",
            "userId",
        ] {
            assert!(names_an_account(yes), "{yes}");
        }
        for no in [
            "repo",
            "team_slug",
            "id",
            "gist_id",
            "customer_id",
            "project_gid",
            "users",
        ] {
            assert!(!names_an_account(no), "{no}");
        }
    }

    #[test]
    fn only_a_directory_of_every_account_is_global() {
        let github = "List users. Lists all users, in the order that they signed up on GitHub.";
        assert!(lists_every_account("/users", github));
        assert!(lists_every_account(
            "/organizations",
            "Lists all organizations, in the order that they were created."
        ));
        // Scoped to the credentials.
        assert!(!lists_every_account("/users", "Returns the user records for all users in all workspaces and organizations accessible to the authenticated user."));
        assert!(!lists_every_account(
            "/users",
            "List users of your PagerDuty account."
        ));
        assert!(!lists_every_account(
            "/users",
            "Returns a list of all users for the Enterprise."
        ));
        // Not a top-level directory, or silent about "all".
        assert!(!lists_every_account("/orgs/{org}/members", github));
        assert!(!lists_every_account("/teams", "Lists all teams."));
        assert!(!lists_every_account("/users", "List users."));
    }
}
