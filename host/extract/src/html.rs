//! HTML → Markdown-like text, so HTML pages go through the same reader as Markdown.
//!
//! The page is parsed by `scraper` (html5ever, the HTML5 parsing algorithm), so broken or
//! hostile markup parses the way a browser would: `<script>` bodies stay script, unclosed
//! tags close, entities decode. The tree is then walked without recursion (deep nesting
//! cannot overflow the stack) and written out as: `#` headings, ```` ``` ```` fences for
//! `<pre>` blocks (with the language of a `language-*` class), `` `code` `` for inline
//! code, `| a | b |` rows for tables and `* ` for list items. Scripts, styles and other
//! non-text elements are dropped.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose content is never text for a reader.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "head",
    "select", "button",
];
/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "figure",
    "figcaption",
    "form",
    "hr",
    "details",
    "summary",
    "caption",
    "body",
    "html",
];

/// The text of an HTML page, Markdown-flavoured.
pub(crate) fn to_markdown(html: &str) -> String {
    // html5ever's tree builder looks through the stack of open elements for many tags, so
    // time grows with the square of the nesting depth (100,000 nested `<div>`s took minutes).
    // Deeply nested input is hostile or broken: strip its tags with a linear pass instead.
    if nesting_depth(html) > MAX_DEPTH {
        return strip_tags(html);
    }
    let doc = Html::parse_document(html);
    let mut out = Writer::default();
    // Depth inside elements whose content is dropped / inside `<pre>`.
    let mut skipping = 0usize;
    let mut pre = 0usize;
    let mut inline_code = 0usize;
    let mut heading: Option<usize> = None;
    // Cells of the table row being read.
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    let mut table_rows = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if skipping > 0 || SKIPPED.contains(&name) {
                        skipping += 1;
                        continue;
                    }
                    match name {
                        "pre" => {
                            pre += 1;
                            if pre == 1 {
                                let lang = language(element.attr("class")).or_else(|| {
                                    node.children().find_map(|c| match c.value() {
                                        Node::Element(e) if e.name() == "code" => {
                                            language(e.attr("class"))
                                        }
                                        _ => None,
                                    })
                                });
                                out.block();
                                out.raw("```");
                                out.raw(lang.unwrap_or(""));
                                out.raw("\n");
                            }
                        }
                        "code" | "kbd" | "samp" | "tt" if pre == 0 => {
                            inline_code += 1;
                            if inline_code == 1 {
                                // Inside a table cell the mark belongs to the cell, not to
                                // the text around the table (three cells of code made a fence).
                                match cell.as_mut() {
                                    Some(cell) => cell.push('`'),
                                    None => out.text_piece("`"),
                                }
                            }
                        }
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if pre == 0 => {
                            let level = usize::from(name.as_bytes()[1] - b'0');
                            out.block();
                            out.raw(&"#".repeat(level));
                            out.raw(" ");
                            heading = Some(level);
                        }
                        // A line break in a cell is a space in its row.
                        "br" if pre == 0 && cell.is_some() => {
                            if let Some(cell) = cell.as_mut() {
                                cell.push(' ');
                            }
                        }
                        "br" => out.line_break(pre > 0),
                        // A definition list reads as bullets: `* term - definition`.
                        "dt" if pre == 0 && cell.is_none() => {
                            out.block();
                            out.raw("* ");
                        }
                        "dd" if pre == 0 && cell.is_none() => {
                            if out.in_term() {
                                out.raw(" - ");
                            } else {
                                out.block();
                            }
                        }
                        "li" if pre == 0 => {
                            out.block();
                            out.raw("* ");
                        }
                        "table" => {
                            out.block();
                            table_rows = 0;
                        }
                        "tr" => row = Some(Vec::new()),
                        "td" | "th" => {
                            cell = Some(String::new());
                        }
                        // Paragraphs inside a cell stay in the cell.
                        _ if BLOCKS.contains(&name) && pre == 0 && cell.is_none() => out.block(),
                        _ => {}
                    }
                }
                Node::Text(text) if skipping == 0 => {
                    if let Some(cell) = cell.as_mut() {
                        cell.push_str(text);
                    } else if pre > 0 {
                        out.raw(text);
                    } else {
                        out.text_piece(text);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                let Node::Element(element) = node.value() else {
                    continue;
                };
                let name = element.name();
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                match name {
                    "pre" => {
                        pre = pre.saturating_sub(1);
                        if pre == 0 {
                            out.end_line();
                            out.raw("```\n");
                        }
                    }
                    "code" | "kbd" | "samp" | "tt" if pre == 0 && inline_code > 0 => {
                        inline_code -= 1;
                        if inline_code == 0 {
                            match cell.as_mut() {
                                Some(cell) => cell.push('`'),
                                None => out.text_piece("`"),
                            }
                        }
                    }
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if heading.is_some() => {
                        heading = None;
                        out.block();
                    }
                    "td" | "th" => {
                        if let (Some(text), Some(cells)) = (cell.take(), row.as_mut()) {
                            let text: Vec<&str> = text.split_whitespace().collect();
                            cells.push(text.join(" ").replace('|', "&#124;"));
                        }
                    }
                    "tr" => {
                        if let Some(cells) = row.take() {
                            if !cells.is_empty() {
                                out.end_line();
                                out.raw(&format!("| {} |\n", cells.join(" | ")));
                                table_rows += 1;
                                if table_rows == 1 {
                                    let sep = vec!["---"; cells.len()];
                                    out.raw(&format!("| {} |\n", sep.join(" | ")));
                                }
                            }
                        }
                    }
                    "table" => {
                        out.block();
                        table_rows = 0;
                    }
                    "li" => out.block(),
                    // The definition follows its term on the same line.
                    "dt" if pre == 0 && cell.is_none() => out.term_open(),
                    _ if BLOCKS.contains(&name) && pre == 0 && cell.is_none() => out.block(),
                    _ => {}
                }
            }
        }
    }
    out.finish()
}

/// Nesting above this is read by [`strip_tags`] instead of the HTML parser.
const MAX_DEPTH: usize = 512;
/// Elements without content, or whose end tag is optional (they do not nest deeper).
const FLAT: &[&str] = &[
    "br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "param", "source",
    "track", "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option",
];

/// The deepest nesting of elements, estimated from start and end tags in one pass.
fn nesting_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    for (i, _) in html.match_indices('<') {
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name: String = html[i + 1..]
                    .chars()
                    .take(12)
                    .take_while(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                let self_closing = html[i..]
                    .find('>')
                    .is_some_and(|end| html[i..i + end].ends_with('/'));
                if !FLAT.contains(&name.as_str()) && !self_closing {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
}

/// Text without tags, scripts or styles, for input too deeply nested to parse; `<pre>`
/// becomes a fence and block tags end lines. A few common entities are decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[1..close].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        rest = &after[close + 1..];
        if (name == "script" || name == "style") && !after[1..].starts_with('/') {
            let end = rest.match_indices("</").find(|(i, _)| {
                rest.get(i + 2..i + 2 + name.len())
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name))
            });
            rest = end.map_or("", |(i, _)| &rest[i..]);
            continue;
        }
        if name == "pre" {
            out.push_str("\n```\n");
        } else if BLOCKS.contains(&name.as_str())
            || matches!(
                name.as_str(),
                "br" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            )
        {
            out.push('\n');
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// `language-json` / `lang-json` / `highlight-source-json` → `json`.
fn language(class: Option<&str>) -> Option<&'static str> {
    let class = class?.to_ascii_lowercase();
    for word in class.split_whitespace() {
        let lang = word
            .strip_prefix("language-")
            .or_else(|| word.strip_prefix("lang-"))
            .or_else(|| word.strip_prefix("highlight-source-"))
            .unwrap_or(word);
        let known_languages = [
            "json",
            "shell",
            "bash",
            "http",
            "curl",
            "javascript",
            "xml",
            "typescript",
            "ts",
        ];
        for known in known_languages {
            if lang == known {
                return Some(known);
            }
        }
    }
    None
}

/// Collects output, collapsing whitespace in running text.
#[derive(Default)]
struct Writer {
    out: String,
    /// A space is owed before the next word of running text.
    space: bool,
    /// The output ends with a definition term (`<dt>`) whose definition may follow.
    term: bool,
}

impl Writer {
    fn term_open(&mut self) {
        self.term = true;
    }

    /// Whether the output ends with a definition term; clears it.
    fn in_term(&mut self) -> bool {
        std::mem::take(&mut self.term) && !self.out.ends_with('\n')
    }

    fn raw(&mut self, text: &str) {
        self.term = false;
        self.out.push_str(text);
        self.space = false;
    }

    fn text_piece(&mut self, text: &str) {
        if !text.trim().is_empty() {
            self.term = false;
        }
        for (i, word) in text.split_whitespace().enumerate() {
            let at_line_start = self.out.is_empty() || self.out.ends_with('\n');
            if (i > 0 || self.space || text.starts_with(char::is_whitespace)) && !at_line_start {
                self.out.push(' ');
            }
            self.out.push_str(word);
            self.space = false;
        }
        if text.ends_with(char::is_whitespace) {
            self.space = true;
        }
    }

    fn end_line(&mut self) {
        self.term = false;
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.space = false;
    }

    fn line_break(&mut self, in_pre: bool) {
        if in_pre {
            self.out.push('\n');
        } else {
            self.end_line();
        }
    }

    /// A block boundary: a blank line unless one is there already.
    fn block(&mut self) {
        self.end_line();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn finish(mut self) -> String {
        self.end_line();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_blocks_stay_code_and_scripts_go() {
        let html = r#"<html><head><title>T</title><script>var GET = "/evil";</script></head>
<body><h2>List <em>widgets</em></h2><p>Call <code>GET /v1/widgets</code> to list them.</p>
<pre><code class="language-json">[
  {"id": 1, "name": "a &amp; b"}
]</code></pre>
<table><tr><th>Name</th><th>Type</th></tr><tr><td>page</td><td>integer</td></tr></table>
<script>alert("GET /nope")</script></body></html>"#;
        let text = to_markdown(html);
        assert!(text.contains("## List widgets\n"), "{text}");
        assert!(
            text.contains("Call `GET /v1/widgets` to list them."),
            "{text}"
        );
        assert!(
            text.contains("```json\n[\n  {\"id\": 1, \"name\": \"a & b\"}\n]\n```"),
            "{text}"
        );
        assert!(
            text.contains("| Name | Type |\n| --- | --- |\n| page | integer |"),
            "{text}"
        );
        assert!(!text.contains("evil") && !text.contains("nope"), "{text}");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let started = std::time::Instant::now();
        let html = "<div>".repeat(100_000)
            + "GET /deep<script>GET /no</script>"
            + &"</div>".repeat(100_000);
        let text = to_markdown(&html);
        assert!(
            text.contains("GET /deep") && !text.contains("/no"),
            "{text}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // Ordinary pages stay with the parser.
        assert!(
            nesting_depth("<html><body><div><p>a<p>b<br><img src=x /></div></body></html>") == 3
        );
    }
}
