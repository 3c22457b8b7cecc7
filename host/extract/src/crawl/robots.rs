//! A small `robots.txt` reader after RFC 9309: groups of `User-agent` lines, `Allow` and
//! `Disallow` rules with `*` and a trailing `$`, the longest matching rule wins and `Allow`
//! wins a tie. Pure: the crawler fetches the file, this decides.

/// The rules that apply to one crawler.
#[derive(Debug, Clone, Default)]
pub(crate) struct Robots {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    allow: bool,
    pattern: String,
}

#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
}

impl Robots {
    /// Everything allowed (no `robots.txt`, or a 4xx for it).
    pub(crate) fn allow_all() -> Self {
        Self::default()
    }

    /// Nothing allowed (RFC 9309: the file exists but could not be read).
    pub(crate) fn disallow_all() -> Self {
        Self {
            rules: vec![Rule {
                allow: false,
                pattern: "/".into(),
            }],
        }
    }

    /// The rules for `agent` (a product token such as `connector-agent`): those of the groups
    /// naming it if any do, else those of the `*` groups, else none.
    pub(crate) fn parse(text: &str, agent: &str) -> Self {
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push(Group::default());
                        in_agents = true;
                    }
                    let token = value.split(['/', ' ']).next().unwrap_or_default();
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(token.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    // An empty `Disallow:` allows everything; it adds no rule.
                    if value.is_empty() {
                        continue;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.rules.push(Rule {
                            allow: key == "allow",
                            pattern: value.to_string(),
                        });
                    }
                }
                // Sitemap, Crawl-delay and unknown keys neither open nor close a group.
                _ => {}
            }
        }
        let agent = agent.to_ascii_lowercase();
        let pick = |name: &str| -> Vec<Rule> {
            groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == name))
                .flat_map(|g| g.rules.iter().cloned())
                .collect()
        };
        let named = groups.iter().any(|g| g.agents.contains(&agent));
        Self {
            rules: pick(if named { &agent } else { "*" }),
        }
    }

    /// Whether a path (with its query) may be fetched.
    pub(crate) fn allows(&self, path_and_query: &str) -> bool {
        if path_and_query == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if !matches(&rule.pattern, path_and_query) {
                continue;
            }
            let len = rule.pattern.len();
            best = match best {
                Some((best_len, best_allow))
                    if best_len > len || (best_len == len && best_allow) =>
                {
                    Some((best_len, best_allow))
                }
                _ => Some((len, rule.allow)),
            };
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Whether a robots pattern matches the start of `path` (`*` is any run of characters, a
/// trailing `$` anchors the end).
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return !anchored || rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    if anchored {
        rest.ends_with(last)
    } else {
        rest.contains(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_group_disallows_a_prefix() {
        let robots = Robots::parse("User-agent: *\nDisallow: /private/\n", "connector-agent");
        assert!(!robots.allows("/private/a.html"));
        assert!(robots.allows("/private"));
        assert!(robots.allows("/public/a.html"));
        assert!(robots.allows("/robots.txt"));
    }

    #[test]
    fn a_named_group_replaces_the_star_group() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: Connector-Agent/1.0\nDisallow: /x\n";
        let robots = Robots::parse(text, "connector-agent");
        assert!(robots.allows("/docs"));
        assert!(!robots.allows("/x/y"));
        let other = Robots::parse(text, "somebot");
        assert!(!other.allows("/docs"));
    }

    #[test]
    fn consecutive_agents_share_a_group_and_comments_are_ignored() {
        let text = "# hi\nUser-agent: a\nUser-agent: connector-agent # us\nDisallow: /a # no\n";
        let robots = Robots::parse(text, "connector-agent");
        assert!(!robots.allows("/a"));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let text =
            "User-agent: *\nDisallow: /docs/\nAllow: /docs/public/\nDisallow: /t\nAllow: /t\n";
        let robots = Robots::parse(text, "connector-agent");
        assert!(!robots.allows("/docs/secret"));
        assert!(robots.allows("/docs/public/a"));
        assert!(robots.allows("/t"));
    }

    #[test]
    fn wildcards_and_end_anchor() {
        assert!(matches("/*.json$", "/a/b.json"));
        assert!(!matches("/*.json$", "/a/b.json?x=1"));
        assert!(matches("/*?page=", "/list?page=3"));
        assert!(matches("/a*b*c", "/aXbYcZ"));
        assert!(!matches("/a*b*c", "/aXcYb"));
        assert!(matches("/x$", "/x"));
        assert!(!matches("/x$", "/xy"));
        assert!(matches("*", "/anything"));
    }

    #[test]
    fn empty_disallow_and_garbage_allow_everything() {
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "c").allows("/a"));
        assert!(Robots::parse("<html>not robots</html>", "c").allows("/a"));
        assert!(!Robots::disallow_all().allows("/a"));
    }
}
