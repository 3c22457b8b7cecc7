//! A linear pre-scan of JSON and YAML text for nesting depth, run before any parse.
//!
//! Both parsers are fine on real documents but slow down badly on deep nesting (100,000
//! levels of YAML in 200 KB took 79 s in the loader, before its own recursion limit ever
//! applied), so documents nested deeper than [`MAX_NESTING`] are refused here, in one pass
//! over the bytes, with the line where the limit was crossed.
//!
//! JSON depth is exact: `[` and `{` outside strings. YAML depth is an estimate that never
//! falls far below the parser's: block levels are the distinct indentations open at a line
//! plus its compact `- ` / `? ` indicators, flow levels are `[` and `{` in flow context
//! (quoted scalars, comments and block scalars skipped). Real descriptions stay far below the
//! limit (the corpus's deepest is under 40).

/// Deepest nesting accepted in a JSON or YAML document.
pub const MAX_NESTING: usize = 256;

/// Where a document first nests deeper than `max`: its 1-based line, or `None` when it
/// never does.
pub(crate) fn too_deep(bytes: &[u8], json: bool, max: usize) -> Option<usize> {
    if json {
        json_too_deep(bytes, max)
    } else {
        YamlScan::new(max).run(bytes)
    }
}

fn json_too_deep(bytes: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The YAML scanner's state, kept across lines.
struct YamlScan {
    max: usize,
    /// Indentations of the open block levels, increasing.
    indents: Vec<usize>,
    /// `[`/`{` open in flow context.
    flow: usize,
    /// Inside a quoted scalar that continues on the next line: its quote.
    quote: Option<u8>,
    /// Inside a block scalar (`|`, `>`): the indentation of the line that opened it.
    block_scalar: Option<usize>,
}

impl YamlScan {
    fn new(max: usize) -> Self {
        Self {
            max,
            indents: Vec::new(),
            flow: 0,
            quote: None,
            block_scalar: None,
        }
    }

    fn run(mut self, bytes: &[u8]) -> Option<usize> {
        for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if self.line(line) {
                return Some(index + 1);
            }
        }
        None
    }

    /// Scans one line; true when it nests too deep.
    fn line(&mut self, line: &[u8]) -> bool {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let rest = &line[indent..];
        let blank = rest.iter().all(u8::is_ascii_whitespace);
        if let Some(parent) = self.block_scalar {
            if blank || indent > parent {
                return false;
            }
            self.block_scalar = None;
        }
        if self.quote.is_some() || self.flow > 0 {
            // A continuation inside a flow collection or a quoted scalar.
            return self.inline(line, 0, self.indents.len(), indent);
        }
        if blank || rest.starts_with(b"#") {
            return false;
        }
        while self.indents.last().is_some_and(|&top| top > indent) {
            self.indents.pop();
        }
        if self.indents.last() != Some(&indent) {
            self.indents.push(indent);
        }
        let mut depth = self.indents.len();
        // Compact nested collections: `- - - x`, `? - x`.
        let mut at = indent;
        while at < line.len() && matches!(line[at], b'-' | b'?') {
            match line.get(at + 1) {
                None | Some(b' ' | b'\t' | b'\r') => {
                    depth += 1;
                    at += 1;
                    while at < line.len() && matches!(line[at], b' ' | b'\t') {
                        at += 1;
                    }
                }
                Some(_) => break,
            }
        }
        if depth > self.max {
            return true;
        }
        self.inline(line, at, depth, indent)
    }

    /// Scans `line` from `start`, at a value's start unless in a quote or flow collection;
    /// `depth` is the block depth of the line.
    fn inline(&mut self, line: &[u8], start: usize, depth: usize, indent: usize) -> bool {
        let mut i = start;
        // Whether the next non-blank byte starts a value (node) in block context.
        let mut value_start = self.flow == 0 && self.quote.is_none();
        // The last non-blank byte before `i`, for telling a quote that starts a scalar
        // from an apostrophe inside one.
        let mut previous = b' ';
        while i < line.len() {
            let b = line[i];
            if let Some(quote) = self.quote {
                if quote == b'"' && b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == quote {
                    if quote == b'\'' && line.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    self.quote = None;
                    previous = b;
                }
                i += 1;
                continue;
            }
            if b == b' ' || b == b'\t' || b == b'\r' {
                i += 1;
                continue;
            }
            if b == b'#' && (i == 0 || matches!(line[i - 1], b' ' | b'\t')) {
                return false;
            }
            if self.flow > 0 {
                match b {
                    b'[' | b'{' => {
                        self.flow += 1;
                        if depth + self.flow > self.max {
                            return true;
                        }
                    }
                    b']' | b'}' => {
                        self.flow -= 1;
                        if self.flow == 0 {
                            // The rest of the line is a comment or nothing a parser accepts.
                            return false;
                        }
                    }
                    b'"' | b'\'' if matches!(previous, b' ' | b'[' | b'{' | b',' | b':') => {
                        self.quote = Some(b);
                    }
                    _ => {}
                }
                previous = b;
                i += 1;
                continue;
            }
            if value_start {
                value_start = false;
                match b {
                    b'[' | b'{' => {
                        self.flow = 1;
                        if depth + 1 > self.max {
                            return true;
                        }
                        previous = b;
                        i += 1;
                        continue;
                    }
                    b'"' | b'\'' => {
                        self.quote = Some(b);
                        i += 1;
                        continue;
                    }
                    b'|' | b'>' => {
                        self.block_scalar = Some(indent);
                        return false;
                    }
                    b'&' | b'!' | b'*' => {
                        // An anchor, tag or alias: the value (if any) follows it.
                        while i < line.len() && !matches!(line[i], b' ' | b'\t') {
                            i += 1;
                        }
                        value_start = true;
                        continue;
                    }
                    _ => {}
                }
            }
            // A plain scalar (or key): a `: ` starts the value.
            if b == b':' && matches!(line.get(i + 1), None | Some(b' ' | b'\t' | b'\r')) {
                value_start = true;
            }
            previous = b;
            i += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Option<usize> {
        too_deep(text.as_bytes(), false, 3)
    }

    #[test]
    fn json_depth_is_exact_and_ignores_strings() {
        assert_eq!(too_deep(br#"{"a": [[1]]}"#, true, 3), None);
        assert_eq!(too_deep(b"{\"a\":\n [[[1]]]}", true, 3), Some(2));
        assert_eq!(too_deep(br#"{"a": "[[[[\"[[["}"#, true, 3), None);
    }

    #[test]
    fn yaml_block_levels_count_indentation_and_compact_indicators() {
        assert_eq!(yaml("a:\n  b:\n    c: 1\n"), None);
        assert_eq!(yaml("a:\n  b:\n    c:\n      d: 1\n"), Some(4));
        // The root sequence counts once for its indentation and once for its `- `: an
        // estimate errs on the deep side.
        assert_eq!(yaml("- - x\n"), None);
        assert_eq!(yaml("- - - x\n"), Some(1));
        assert_eq!(yaml("a:\n  b: 1\nc:\n  d: 1\n"), None);
    }

    #[test]
    fn yaml_flow_levels_skip_quotes_comments_and_block_scalars() {
        assert_eq!(yaml("a: [[1]]\n"), None);
        assert_eq!(yaml("a: [[[1]]]\n"), Some(1));
        assert_eq!(yaml("a: \"[[[[\"\nb: '[[[[''[['\n"), None);
        assert_eq!(yaml("a: 1 # [[[[\n"), None);
        assert_eq!(yaml("a: |\n  [[[[[\n     {{{{\nb: see [[[[ here\n"), None);
        assert_eq!(yaml("a: [\n [\n  [\n   [1]]]]\n"), Some(3));
        assert_eq!(yaml("a: [don't, [x]]\n"), None);
    }
}
