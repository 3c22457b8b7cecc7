//! Type blocks: the TypeScript-like notation some documentation generators show a response,
//! a request body or a parameter in, instead of a JSON example (openapi-to-md, the type
//! blocks of Docusaurus-style reference pages):
//!
//! ```text
//! {
//!   // Unique identifier of the add-on.
//!   lago_id: string
//!   taxes: { code: string }[]
//!   meta: #/components/schemas/PaginationMeta
//!   currency?: enum[EUR, USD] | null
//! }
//! ```
//!
//! A block is read as the JSON Schema it was printed from: members are properties (`?`
//! marks an optional one), each `//` comment is the description of the member under it,
//! `T[]` an array, `A & B` an `allOf`, `T | null` a nullable `T`, `enum[…]` an enum, and a
//! JSON pointer (`#/components/schemas/Pet`) a reference, which the caller maps to a
//! schema it knows or leaves open. Some generators print a body without a name as a
//! member called `undefined` (`undefined?: #/components/schemas/Pet[]`): that member's
//! type is the block's type.
//!
//! The reader never fails: a token it cannot place is skipped, so a block in a dialect it
//! half knows still gives the members it could read. It is linear in the block's length;
//! nesting deeper than [`MAX_DEPTH`] is read as an open schema.

use serde_json::{json, Map, Value};

/// Nesting read at most (objects, arrays, parentheses).
const MAX_DEPTH: usize = 48;
/// Bytes of one block read at most: real type blocks are a few kilobytes; a larger one is
/// not read (its tokens would take tens of times its size).
pub(super) const MAX_BLOCK_BYTES: usize = 256 * 1024;

/// One member of a block at its top level (a parameter block: `page?: integer`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Member {
    pub name: String,
    pub required: bool,
    /// Its type as written (`integer`, `string[]`, `enum[asc, desc]`), trimmed.
    pub written: String,
    pub schema: Value,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open(char),
    Close(char),
    Colon,
    Question,
    Bar,
    Amp,
    Sep,
    Comment(String),
    Word(String),
    Quoted(String),
}

fn tokens(text: &str) -> Vec<(Token, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let token = match c {
            c if c.is_whitespace() => continue,
            '{' | '[' | '(' | '<' => Token::Open(c),
            '}' | ']' | ')' | '>' => Token::Close(c),
            ':' => Token::Colon,
            '?' => Token::Question,
            '|' => Token::Bar,
            '&' => Token::Amp,
            ',' | ';' => Token::Sep,
            '/' if matches!(chars.peek(), Some((_, '/'))) => {
                let mut comment = String::new();
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                    comment.push(c);
                }
                Token::Comment(comment.trim_start_matches('/').trim().to_string())
            }
            '/' if matches!(chars.peek(), Some((_, '*'))) => {
                let mut comment = String::new();
                let mut last = '\0';
                for (_, c) in chars.by_ref() {
                    if last == '*' && c == '/' {
                        comment.pop();
                        break;
                    }
                    comment.push(c);
                    last = c;
                }
                let lines: Vec<&str> = comment
                    .lines()
                    .map(|l| l.trim().trim_start_matches('*').trim())
                    .filter(|l| !l.is_empty())
                    .collect();
                Token::Comment(lines.join(" "))
            }
            '"' | '\'' | '`' => {
                let mut quoted = String::new();
                for (_, q) in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    quoted.push(q);
                }
                Token::Quoted(quoted)
            }
            _ => {
                let mut word = String::from(c);
                while let Some((_, n)) = chars.peek() {
                    if n.is_whitespace() || "{}[]()<>:?|&,;\"'`".contains(*n) {
                        break;
                    }
                    word.push(*n);
                    chars.next();
                }
                Token::Word(word)
            }
        };
        out.push((token, at));
    }
    out
}

struct Parser<'t, 'r> {
    text: &'t str,
    tokens: Vec<(Token, usize)>,
    at: usize,
    /// Maps a JSON pointer to the reference to write, or `None` to leave the type open.
    refs: &'r mut dyn FnMut(&str) -> Option<String>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens
            .get(self.at)
            .map_or(self.text.len(), |(_, at)| *at)
    }

    /// Whether a member starts here: a name, then `:` or `?:`.
    fn at_member(&self) -> bool {
        let name = matches!(self.peek(), Some(Token::Word(_) | Token::Quoted(_)));
        name && match self.peek_at(1) {
            Some(Token::Colon) => true,
            Some(Token::Question) => matches!(self.peek_at(2), Some(Token::Colon)),
            _ => false,
        }
    }

    /// Members until `close` (or the end): comments describe the member after them.
    fn members(&mut self, close: Option<char>, depth: usize) -> Vec<Member> {
        let mut out = Vec::new();
        let mut comments: Vec<String> = Vec::new();
        while let Some(token) = self.peek().cloned() {
            match token {
                Token::Close(c) if Some(c) == close => break,
                Token::Comment(text) => {
                    if !text.is_empty() {
                        comments.push(text);
                    }
                    self.at += 1;
                }
                Token::Sep => self.at += 1,
                // `[key: string]: T`: an index signature, the type of any other member.
                Token::Open('[') if close.is_some() => {
                    self.skip_group(depth);
                    if matches!(self.peek(), Some(Token::Colon)) {
                        self.at += 1;
                        let _ = self.union(depth + 1);
                    }
                    comments.clear();
                }
                _ if self.at_member() => {
                    let name = match &self.tokens[self.at].0 {
                        Token::Word(w) | Token::Quoted(w) => w.clone(),
                        _ => String::new(),
                    };
                    self.at += 1;
                    let required = !matches!(self.peek(), Some(Token::Question));
                    if !required {
                        self.at += 1;
                    }
                    self.at += 1; // the colon
                    let start = self.offset();
                    let schema = self.union(depth + 1);
                    let end = self.offset();
                    let written = self.text[start..end.max(start)].trim().to_string();
                    out.push(Member {
                        name,
                        required,
                        written,
                        schema,
                        description: std::mem::take(&mut comments).join(" "),
                    });
                }
                // Anything else cannot start a member: skipped.
                _ => {
                    self.at += 1;
                    comments.clear();
                }
            }
        }
        out
    }

    /// Skips a bracketed group from its opening token to the matching close.
    fn skip_group(&mut self, depth: usize) {
        let mut level = 0usize;
        while let Some(token) = self.peek() {
            match token {
                Token::Open(_) => level += 1,
                Token::Close(_) => {
                    level = level.saturating_sub(1);
                    if level == 0 {
                        self.at += 1;
                        return;
                    }
                }
                _ => {}
            }
            self.at += 1;
            if depth > MAX_DEPTH && level == 0 {
                return;
            }
        }
    }

    fn union(&mut self, depth: usize) -> Value {
        let mut options = vec![self.intersection(depth)];
        while matches!(self.peek(), Some(Token::Bar)) {
            self.at += 1;
            options.push(self.intersection(depth));
        }
        let nullable = options
            .iter()
            .any(|o| o.get("type").and_then(Value::as_str) == Some("null"));
        options.retain(|o| o.get("type").and_then(Value::as_str) != Some("null"));
        let mut schema = match options.len() {
            0 => json!({}),
            1 => options.remove(0),
            _ => {
                // String literals together are one enum.
                let literals: Option<Vec<Vec<Value>>> = options
                    .iter()
                    .map(|o| match o.get("enum").and_then(Value::as_array) {
                        Some(values) if o.get("type") == Some(&json!("string")) => {
                            Some(values.clone())
                        }
                        _ => None,
                    })
                    .collect();
                match literals {
                    Some(values) => {
                        json!({"type": "string", "enum": values.concat()})
                    }
                    None => json!({"anyOf": options}),
                }
            }
        };
        if nullable {
            if let Some(map) = schema.as_object_mut() {
                map.insert("nullable".into(), json!(true));
            }
        }
        schema
    }

    fn intersection(&mut self, depth: usize) -> Value {
        let mut parts = vec![self.postfix(depth)];
        while matches!(self.peek(), Some(Token::Amp)) {
            self.at += 1;
            parts.push(self.postfix(depth));
        }
        parts.retain(|p| p != &json!({}));
        let is_array = |p: &Value| p.get("type").and_then(Value::as_str) == Some("array");
        match parts.len() {
            0 => json!({}),
            1 => parts.remove(0),
            // `Pet & { id: integer }[]`, as openapi-to-md prints an array of an `allOf`: a
            // value cannot be an object and an array, so the brackets are the whole one's.
            n if is_array(&parts[n - 1]) && !parts[..n - 1].iter().any(is_array) => {
                let last = parts.pop().unwrap_or_default();
                parts.push(last.get("items").cloned().unwrap_or(json!({})));
                json!({"type": "array", "items": {"allOf": parts}})
            }
            _ => json!({"allOf": parts}),
        }
    }

    fn postfix(&mut self, depth: usize) -> Value {
        let mut schema = self.primary(depth);
        let mut wraps = depth;
        while matches!(self.peek(), Some(Token::Open('[')))
            && matches!(self.peek_at(1), Some(Token::Close(']')))
        {
            self.at += 2;
            // `string[][][]…` nests like braces do: as deep as [`MAX_DEPTH`], then open.
            wraps += 1;
            if wraps > MAX_DEPTH {
                schema = json!({});
                continue;
            }
            schema = json!({"type": "array", "items": schema});
        }
        schema
    }

    fn primary(&mut self, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            self.skip_group(depth);
            return json!({});
        }
        let Some(token) = self.peek().cloned() else {
            return json!({});
        };
        match token {
            Token::Open('{') => {
                self.at += 1;
                let members = self.members(Some('}'), depth + 1);
                if matches!(self.peek(), Some(Token::Close('}'))) {
                    self.at += 1;
                }
                object(members)
            }
            Token::Open('(') => {
                self.at += 1;
                let inner = self.union(depth + 1);
                if matches!(self.peek(), Some(Token::Close(')'))) {
                    self.at += 1;
                }
                inner
            }
            Token::Quoted(text) => {
                self.at += 1;
                json!({"type": "string", "enum": [text]})
            }
            Token::Word(word) => {
                self.at += 1;
                if word.eq_ignore_ascii_case("enum")
                    && matches!(self.peek(), Some(Token::Open('[')))
                {
                    return self.enumeration();
                }
                // `Array<T>`, `Record<K, V>` and other generics.
                if matches!(self.peek(), Some(Token::Open('<'))) {
                    self.at += 1;
                    let mut args = vec![self.union(depth + 1)];
                    while matches!(self.peek(), Some(Token::Sep)) {
                        self.at += 1;
                        args.push(self.union(depth + 1));
                    }
                    if matches!(self.peek(), Some(Token::Close('>'))) {
                        self.at += 1;
                    }
                    return match word.as_str() {
                        "Array" | "ReadonlyArray" | "Set" => {
                            json!({"type": "array", "items": args.swap_remove(0)})
                        }
                        "Record" | "Map" => {
                            json!({"type": "object", "additionalProperties": args.pop().unwrap_or(json!({}))})
                        }
                        _ => json!({}),
                    };
                }
                self.word(&word)
            }
            // A stray closer or operator where a type should be: an open schema.
            _ => json!({}),
        }
    }

    /// `enum[a, b, c]` (the opening bracket next).
    fn enumeration(&mut self) -> Value {
        self.at += 1;
        let mut values = Vec::new();
        // Words up to a comma are one value (`enum[in progress, done]`).
        let mut value: Vec<String> = Vec::new();
        let push = |value: &mut Vec<String>, values: &mut Vec<Value>| {
            if !value.is_empty() && values.len() < 1000 {
                values.push(json!(value.join(" ")));
            }
            value.clear();
        };
        while let Some(token) = self.peek().cloned() {
            self.at += 1;
            match token {
                Token::Close(']') => break,
                Token::Word(w) | Token::Quoted(w) => value.push(w),
                Token::Sep => push(&mut value, &mut values),
                _ => {}
            }
        }
        push(&mut value, &mut values);
        json!({"type": "string", "enum": values})
    }

    fn word(&mut self, word: &str) -> Value {
        if let Some(pointer) = word.strip_prefix('#') {
            return match (self.refs)(&format!("#{pointer}")) {
                Some(reference) => json!({"$ref": reference}),
                None => json!({}),
            };
        }
        match word.to_ascii_lowercase().as_str() {
            "string" => json!({"type": "string"}),
            "integer" | "int" | "int32" | "int64" | "long" | "bigint" => {
                json!({"type": "integer"})
            }
            "number" | "float" | "double" | "decimal" => json!({"type": "number"}),
            "boolean" | "bool" => json!({"type": "boolean"}),
            "null" => json!({"type": "null"}),
            "date" => json!({"type": "string", "format": "date-time"}),
            "true" | "false" => json!({"type": "boolean"}),
            _ if word.parse::<f64>().is_ok() => json!({"type": "number"}),
            // `undefined`, `any`, `unknown`, `object` and names it does not know.
            _ => json!({}),
        }
    }
}

/// An object schema of members.
fn object(members: Vec<Member>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for member in members {
        let mut schema = member.schema;
        if !member.description.is_empty() {
            if let Some(map) = schema.as_object_mut() {
                map.insert("description".into(), json!(member.description));
            }
        }
        if member.required {
            required.push(json!(member.name));
        }
        properties.insert(member.name, schema);
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

/// The schema a whole block shows, or `None` for an empty block. `refs` maps each JSON
/// pointer the block names to the `$ref` to write (or `None` for an open schema).
pub(super) fn schema(text: &str, refs: &mut dyn FnMut(&str) -> Option<String>) -> Option<Value> {
    if text.len() > MAX_BLOCK_BYTES {
        return None;
    }
    let mut parser = Parser {
        text,
        tokens: tokens(text),
        at: 0,
        refs,
    };
    while matches!(parser.peek(), Some(Token::Comment(_))) {
        parser.at += 1;
    }
    parser.peek()?;
    if parser.at_member() {
        let mut members = parser.members(None, 0);
        // A nameless body printed as a member called `undefined`.
        if let [only] = members.as_slice() {
            if only.name == "undefined" {
                return Some(members.remove(0).schema);
            }
        }
        return (!members.is_empty()).then(|| object(members));
    }
    Some(parser.union(0))
}

/// The members of a block at its top level (a parameter block: `page?: integer`).
pub(super) fn members(text: &str) -> Vec<Member> {
    if text.len() > MAX_BLOCK_BYTES {
        return Vec::new();
    }
    let mut open = |_: &str| None;
    let mut parser = Parser {
        text,
        tokens: tokens(text),
        at: 0,
        refs: &mut open,
    };
    while matches!(parser.peek(), Some(Token::Comment(_))) {
        parser.at += 1;
    }
    // A whole object (`{ id: string … }`) is a body or a response, not parameters: its
    // fields must never become query parameters.
    if !parser.at_member() {
        return Vec::new();
    }
    // From the start again: the comments describe the first member.
    parser.at = 0;
    parser.members(None, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Value {
        let mut refs = |p: &str| {
            p.strip_prefix("#/components/schemas/")
                .map(|n| format!("#/components/schemas/{n}"))
        };
        schema(text, &mut refs).expect("a schema")
    }

    #[test]
    fn members_with_comments_nesting_arrays_and_nullables() {
        let text = "{\n  // Unique identifier of the add-on, created by Lago.\n  lago_id: string\n  invoice_display_name: string | null\n  amount_currency: enum[AED, AFN]\n  taxes: {\n    code?: string\n  }[]\n  meta: {\n    next_page?: integer | null\n  }\n}[]";
        let s = read(text);
        assert_eq!(s["type"], "array");
        let item = &s["items"];
        assert_eq!(item["properties"]["lago_id"]["type"], "string");
        assert_eq!(
            item["properties"]["lago_id"]["description"],
            "Unique identifier of the add-on, created by Lago."
        );
        assert_eq!(item["properties"]["invoice_display_name"]["nullable"], true);
        assert_eq!(
            item["properties"]["amount_currency"]["enum"],
            json!(["AED", "AFN"])
        );
        assert_eq!(
            item["properties"]["taxes"]["items"]["properties"]["code"]["type"],
            "string"
        );
        assert_eq!(
            item["properties"]["meta"]["properties"]["next_page"]["type"],
            "integer"
        );
        assert_eq!(
            item["required"],
            json!([
                "lago_id",
                "invoice_display_name",
                "amount_currency",
                "taxes",
                "meta"
            ])
        );
    }

    #[test]
    fn an_unnamed_body_references_and_intersections() {
        // openapi-to-md's petstore: `undefined?: #/components/schemas/NewPet & { id }[]`.
        let s = read("undefined?: #/components/schemas/NewPet & {\n   id: integer\n }[]");
        assert_eq!(s["type"], "array");
        assert_eq!(
            s["items"]["allOf"][0]["$ref"],
            "#/components/schemas/NewPet"
        );
        assert_eq!(
            s["items"]["allOf"][1]["properties"]["id"]["type"],
            "integer"
        );
        // Without brackets it stays one object of both.
        let s = read("#/components/schemas/NewPet & { id: integer }");
        assert_eq!(s["allOf"][1]["properties"]["id"]["type"], "integer");
        // A pointer the caller does not know is an open schema, not a dangling reference.
        let s =
            read("{ a:#/components/responses/x\n b: Array<string> c: Record<string, integer> }");
        assert_eq!(s["properties"]["a"], json!({}));
        assert_eq!(s["properties"]["b"]["items"]["type"], "string");
        assert_eq!(
            s["properties"]["c"]["additionalProperties"]["type"],
            "integer"
        );
    }

    #[test]
    fn parameter_blocks_and_literals() {
        let m = members("page_token?: string");
        assert_eq!(m.len(), 1);
        assert!(!m[0].required);
        assert_eq!(m[0].written, "string");
        assert!(members("{ id: string\n name: string }").is_empty());
        assert_eq!(
            members("// the page\npage?: integer")[0].description,
            "the page"
        );
        let m = members("sort_order: enum[asc, desc]");
        assert!(m[0].required);
        assert_eq!(m[0].schema["enum"], json!(["asc", "desc"]));
        let s = read("{ kind: 'a' | 'b'; /* the\n * size */ size: number }");
        assert_eq!(s["properties"]["kind"]["enum"], json!(["a", "b"]));
        assert_eq!(s["properties"]["size"]["description"], "the size");
    }

    #[test]
    fn broken_and_hostile_blocks_end_without_panicking() {
        // Empty, unbalanced, stray tokens, very deep nesting: always an answer, bounded.
        let mut refs = |_: &str| None;
        assert_eq!(schema("", &mut refs), None);
        for text in [
            "{",
            "}",
            "{ a: }",
            "a: {{{",
            ")]>",
            "{ a: string | }",
            "enum[",
            "x<",
        ] {
            let _ = schema(text, &mut refs);
        }
        let started = std::time::Instant::now();
        let deep = "{ a: ".repeat(40_000);
        let s = schema(&deep, &mut refs).expect("a schema");
        assert_eq!(s["type"], "object");
        // Brackets nest as deep as braces at most (a stack overflow on clone or drop else).
        let arrays = format!("string{}", "[]".repeat(100_000));
        let s = schema(&arrays, &mut refs).expect("a schema");
        let mut depth = 0;
        let mut at = &s;
        while let Some(items) = at.get("items") {
            depth += 1;
            at = items;
        }
        assert!(depth <= MAX_DEPTH, "{depth}");
        let _ = s.clone();
        let m = members(&format!("page: string{}", "[]".repeat(100_000)));
        assert_eq!(m.len(), 1);
        // A block over the size bound is not read at all.
        assert_eq!(schema(&"{ a: string ".repeat(30_000), &mut refs), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
