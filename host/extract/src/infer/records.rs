//! Where the records are in a response, what their columns are, and their primary key.

use std::collections::HashSet;
use std::rc::Rc;

use serde_json::Value;

use connector_agent_model::{snake_ident, Column, ColumnType};

use crate::openapi::Ctx;
use crate::schema::{kind_of_value, Kind, Shape};

use super::naming::{plural, singular, squash};

/// Names that hold the record array of a list response, best first (compared without `_`).
const RECORD_NAMES: &[&str] = &[
    "data", "items", "results", "records", "entries", "values", "list", "rows", "elements",
    "objects",
];

/// Object properties that wrap a list one level down (`{"data": {"items": [...]}}`).
const WRAPPER_NAMES: &[&str] = &[
    "data", "result", "results", "response", "payload", "embedded", "page", "body", "content",
    "list",
];

/// The record array found in a response.
pub(crate) struct Records<'a> {
    pub path: Vec<String>,
    /// Items schema (flattened), when the schema says.
    pub item: Option<Rc<Shape<'a>>>,
    /// An example record, when an example shows one.
    pub example: Option<&'a Value>,
    /// How it was chosen, for the reason text.
    pub how: String,
    /// Whether the choice was a guess (lowers confidence).
    pub guessed: bool,
}

/// A view of a response body: its schema and an example, either may be missing.
#[derive(Clone)]
pub(crate) struct Body<'a> {
    pub shape: Option<Rc<Shape<'a>>>,
    pub example: Option<&'a Value>,
}

impl<'a> Body<'a> {
    /// The body one property down.
    pub fn child(&self, ctx: &Ctx<'a>, name: &str) -> Body<'a> {
        let shape = self
            .shape
            .as_ref()
            .and_then(|s| s.property(name))
            .map(|p| ctx.schemas.shape(p));
        let example = self
            .example
            .and_then(|e| e.get(name))
            .filter(|v| !v.is_null());
        let example = example.or_else(|| shape.as_ref().and_then(|s| s.example));
        Body { shape, example }
    }

    /// Property names, schema first then example keys.
    pub fn names(&self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = Vec::new();
        if let Some(shape) = &self.shape {
            names.extend(shape.properties.iter().map(|p| p.0));
        }
        if let Some(Value::Object(map)) = self.example {
            let known: HashSet<&str> = names.iter().copied().collect();
            names.extend(
                map.keys()
                    .map(String::as_str)
                    .filter(|k| !known.contains(k)),
            );
        }
        names
    }

    /// Property names for finding records: the schema's first (examples are sometimes out of
    /// date), then the example's (schemas are sometimes placeholders).
    fn record_names(&self) -> [Vec<&'a str>; 2] {
        let schema = self
            .shape
            .as_ref()
            .map(|s| s.properties.iter().map(|p| p.0).collect());
        let example = match self.example {
            Some(Value::Object(map)) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        [schema.unwrap_or_default(), example]
    }

    /// The kind of the body's value: the schema's, else the example's.
    pub fn kind(&self) -> Kind {
        let from_schema = self.shape.as_ref().map(|s| {
            if s.is_objectish() {
                Kind::Object
            } else {
                s.kind
            }
        });
        match (from_schema, self.example) {
            (Some(kind), _) if kind != Kind::Unknown => kind,
            (_, Some(example)) => kind_of_value(example),
            _ => Kind::Unknown,
        }
    }

    pub fn format(&self) -> Option<&'a str> {
        self.shape.as_ref().and_then(|s| s.format)
    }

    pub fn exists(&self) -> bool {
        self.shape.is_some() || self.example.is_some()
    }

    /// Follows a path of property names.
    pub fn at(&self, ctx: &Ctx<'a>, path: &[&str]) -> Body<'a> {
        let mut body = self.clone();
        for name in path {
            body = body.child(ctx, name);
            if !body.exists() {
                break;
            }
        }
        body
    }

    /// Whether this body is an array whose items are objects; returns the items view.
    fn record_items(&self, ctx: &Ctx<'a>) -> Option<Body<'a>> {
        if self.kind() != Kind::Array {
            return None;
        }
        let item_shape = self
            .shape
            .as_ref()
            .and_then(|s| s.items)
            .map(|i| ctx.schemas.shape(i));
        let example = match self.example {
            Some(Value::Array(items)) => items.iter().find(|v| v.is_object()),
            _ => None,
        };
        let items = Body {
            shape: item_shape,
            example,
        };
        let objectish = match &items.shape {
            Some(shape) if shape.is_objectish() => true,
            // Unusable item schemas are reported by the caller, with the reason.
            Some(shape) if shape.truncated || shape.broken.is_some() => true,
            Some(shape) if shape.kind != Kind::Unknown => false,
            _ => example.is_some(),
        };
        objectish.then_some(items)
    }
}

/// Finds the record array of a list response. `Err` says why the body is not a list.
pub(crate) fn find<'a>(
    ctx: &Ctx<'a>,
    body: &Body<'a>,
    entity: &str,
    ends_with_param: bool,
) -> Result<Records<'a>, String> {
    match body.kind() {
        Kind::Array => {
            return match body.record_items(ctx) {
                Some(items) => Ok(records(
                    Vec::new(),
                    items,
                    "the body is an array of records",
                    false,
                )),
                None => Err("the body is an array of scalars, not records".into()),
            };
        }
        Kind::Object if ends_with_param => {
            return Err("returns a single object (the path ends with a parameter)".into());
        }
        Kind::Object => {}
        Kind::File => return Err("the response is a file".into()),
        Kind::String if body.format() == Some("binary") => {
            return Err("the response is binary".into())
        }
        Kind::Unknown => {
            return Err("the response has no schema or example to read records from".into())
        }
        other => return Err(format!("the body is a {other:?} value, not a list").to_lowercase()),
    }
    if let Some(found) = find_in_object(ctx, body, entity, false) {
        return Ok(found);
    }
    // One level down, inside a wrapper object (`{"data": {"items": [...]}}`), or inside the
    // object that is all the body holds (Spotify's `{"artists": {"items": [...], "next": ...}}`).
    let names = body.record_names().concat();
    let bare = names.len() <= 2 && !names.iter().any(|n| matches!(*n, "id" | "gid" | "uuid"));
    let objects: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| body.child(ctx, n).kind() == Kind::Object)
        .collect();
    for name in objects.iter().copied() {
        let wrapper = WRAPPER_NAMES.contains(&squash(name).as_str());
        let sole = bare && objects.len() == 1;
        if !(wrapper || sole) {
            continue;
        }
        let inner = body.child(ctx, name);
        if let Some(mut found) = find_in_object(ctx, &inner, entity, true) {
            found.path.insert(0, name.to_string());
            found.how = format!("{} inside `{name}`", found.how);
            return Ok(found);
        }
    }
    Err("returns a single object without a record array".into())
}

fn records<'a>(path: Vec<String>, items: Body<'a>, how: &str, guessed: bool) -> Records<'a> {
    Records {
        path,
        item: items.shape,
        example: items.example,
        how: how.to_string(),
        guessed,
    }
}

/// A record array property of an object body, by preference: well-known names, the entity's
/// plural, then the only array of objects. With `strict`, only well-known names count.
fn find_in_object<'a>(
    ctx: &Ctx<'a>,
    body: &Body<'a>,
    entity: &str,
    strict: bool,
) -> Option<Records<'a>> {
    let [schema, example] = body.record_names();
    find_among(ctx, body, &schema, entity, strict)
        .or_else(|| find_among(ctx, body, &example, entity, strict))
}

fn find_among<'a>(
    ctx: &Ctx<'a>,
    body: &Body<'a>,
    names: &[&'a str],
    entity: &str,
    strict: bool,
) -> Option<Records<'a>> {
    let arrays: Vec<(&'a str, Body<'a>)> = names
        .iter()
        .copied()
        .filter_map(|name| {
            body.child(ctx, name)
                .record_items(ctx)
                .map(|items| (name, items))
        })
        .collect();
    if arrays.is_empty() {
        return None;
    }
    for wanted in RECORD_NAMES {
        if let Some((name, items)) = arrays.iter().find(|(n, _)| squash(n) == *wanted) {
            let how = format!("records are in `{name}`");
            return Some(records(vec![name.to_string()], items.clone(), &how, false));
        }
    }
    let entity_snake = snake_ident(entity);
    let forms = [
        entity_snake.clone(),
        plural(&entity_snake),
        singular(&entity_snake),
    ];
    if let Some((name, items)) = arrays.iter().find(|(n, _)| forms.contains(&snake_ident(n))) {
        let how = format!("records are in `{name}`, named after the entity");
        return Some(records(vec![name.to_string()], items.clone(), &how, false));
    }
    if strict {
        return None;
    }
    // A single resource that happens to hold an array is not a list.
    let has_id = names.iter().any(|n| matches!(*n, "id" | "gid" | "uuid"));
    let last_word = entity_snake.rsplit('_').next().unwrap_or("");
    if let Some((name, items)) = arrays.iter().find(|(n, _)| {
        let snake = snake_ident(n);
        snake.ends_with(&format!("_{}", plural(last_word)))
            || snake.ends_with(&format!("_{last_word}"))
    }) {
        let how = format!("records are in `{name}`, ending in the entity's name");
        return Some(records(vec![name.to_string()], items.clone(), &how, has_id));
    }
    if arrays.len() == 1 && !has_id {
        let (name, items) = &arrays[0];
        let how = format!("records are in `{name}`, the only array of objects");
        return Some(records(vec![name.to_string()], items.clone(), &how, true));
    }
    None
}

/// Whether the records are JSON:API resource objects: the item schema has an object
/// `attributes` beside `id` and `type` (all three are required of a JSON:API resource), or
/// the example record is one.
pub(crate) fn is_json_api<'a>(ctx: &Ctx<'a>, records: &Records<'a>) -> bool {
    use connector_agent_sdk::records::RESOURCE_MEMBERS;
    let from_schema = records.item.as_ref().is_some_and(|item| {
        item.properties
            .iter()
            .all(|(name, _)| RESOURCE_MEMBERS.contains(name))
            && item
                .property("attributes")
                .is_some_and(|a| ctx.schemas.shape(a).is_objectish())
            && item.property("type").is_some()
            && item.property("id").is_some()
    });
    from_schema
        || records.example.is_some_and(|v| {
            connector_agent_sdk::records::looks_like_json_api(std::slice::from_ref(v))
        })
}

/// The columns of a record: schema properties, else the keys of an example record. Records
/// laid out as JSON:API resources have the columns the connector gives them
/// ([`connector_agent_sdk::records::json_api_record`]): the members of `attributes`, and a
/// `<name>_id` (`<name>_ids` for a to-many) per relationship.
pub(crate) fn columns<'a>(ctx: &Ctx<'a>, records: &Records<'a>, json_api: bool) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    let column = |name: &str, schema: &'a Value, required: bool| {
        let shape = ctx.schemas.shape(schema);
        Column {
            name: name.to_string(),
            ty: column_type(&shape),
            nullable: shape.nullable || !required,
            description: shape.description.map(clean_text).unwrap_or_default(),
        }
    };
    if let Some(item) = &records.item {
        for (name, schema) in &item.properties {
            match *name {
                "attributes" if json_api => {
                    // Named like a member of the resource: kept as `attributes_<name>`, as
                    // the connector writes it.
                    let members: Vec<&str> = item
                        .properties
                        .iter()
                        .map(|(n, _)| *n)
                        .filter(|n| !matches!(*n, "attributes" | "relationships"))
                        .collect();
                    let attributes = ctx.schemas.shape(schema);
                    for (name, schema) in &attributes.properties {
                        let mut c = column(name, schema, attributes.is_required(name));
                        if members.contains(name)
                            || connector_agent_sdk::records::RESOURCE_MEMBERS.contains(name)
                        {
                            c.name = format!("attributes_{name}");
                        }
                        out.push(c);
                    }
                }
                "relationships" if json_api => {
                    let relationships = ctx.schemas.shape(schema);
                    for (name, schema) in &relationships.properties {
                        let relationship = ctx.schemas.shape(schema);
                        let Some(data) = relationship.property("data") else {
                            continue;
                        };
                        let description =
                            relationship.description.map(clean_text).unwrap_or_default();
                        out.push(if ctx.schemas.shape(data).kind == Kind::Array {
                            Column {
                                name: format!("{name}_ids"),
                                ty: ColumnType::Json,
                                nullable: true,
                                description,
                            }
                        } else {
                            Column {
                                name: format!("{name}_id"),
                                ty: ColumnType::String,
                                nullable: true,
                                description,
                            }
                        });
                    }
                }
                _ => out.push(column(name, schema, item.is_required(name))),
            }
        }
    }
    let flat;
    let example = match records.example {
        Some(v) if json_api => {
            flat = connector_agent_sdk::records::json_api_record(v.clone());
            Some(&flat)
        }
        other => other,
    };
    if let Some(Value::Object(example)) = example {
        let mut known: HashSet<String> = out.iter().map(|c| c.name.clone()).collect();
        for (name, value) in example {
            if !known.insert(name.clone()) {
                continue;
            }
            let ty = match kind_of_value(value) {
                Kind::String if looks_like_timestamp(value.as_str().unwrap_or("")) => {
                    ColumnType::Timestamp
                }
                kind => type_of_kind(kind, None),
            };
            out.push(Column {
                name: name.clone(),
                ty,
                nullable: true,
                description: String::new(),
            });
        }
    }
    // One column per name: a relationship's `<name>_id` named like an attribute gives way
    // to it, as the connector writes the record.
    let mut seen = HashSet::new();
    out.retain(|c| seen.insert(c.name.clone()));
    out
}

/// The column type of a flattened schema.
pub(crate) fn column_type(shape: &Shape<'_>) -> ColumnType {
    if shape.truncated || shape.broken.is_some() {
        return ColumnType::Json;
    }
    let kind = if shape.is_objectish() {
        Kind::Object
    } else {
        shape.kind
    };
    type_of_kind(kind, shape.format)
}

pub(crate) fn type_of_kind(kind: Kind, format: Option<&str>) -> ColumnType {
    let time = matches!(
        format,
        Some("date-time" | "unix-time" | "datetime" | "timestamp")
    );
    match kind {
        Kind::String | Kind::Integer | Kind::Number if time => ColumnType::Timestamp,
        Kind::String => ColumnType::String,
        Kind::Integer => ColumnType::Integer,
        Kind::Number => ColumnType::Number,
        Kind::Boolean => ColumnType::Boolean,
        _ => ColumnType::Json,
    }
}

pub(crate) fn looks_like_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
}

/// Property extensions that mark a record's key field.
const KEY_HINTS: &[&str] = &[
    "x-primary-key",
    "x-primaryKey",
    "x-identifier",
    "x-id",
    "x-key",
];

/// The primary key the record schema itself states: properties marked by an `x-` hint
/// (`x-primary-key: true`), else the record's description naming the field or fields that
/// identify a record ("Tickets are identified by their `ticket_number`", "`account_id` and
/// `date` together identify a row"); then [`primary_key`]'s naming rules.
pub(crate) fn primary_key_of(
    columns: &[Column],
    entity: &str,
    item: Option<&Shape<'_>>,
) -> Vec<String> {
    if let Some(item) = item {
        let hinted: Vec<String> = item
            .properties
            .iter()
            .filter(|(_, schema)| {
                KEY_HINTS
                    .iter()
                    .any(|h| schema.get(*h) == Some(&Value::Bool(true)))
            })
            .map(|(name, _)| name.to_string())
            .filter(|name| columns.iter().any(|c| &c.name == name))
            .collect();
        if !hinted.is_empty() {
            return hinted;
        }
        if let Some(named) = item.description.and_then(|d| key_named_in(d, columns)) {
            return named;
        }
    }
    primary_key(columns, entity)
}

/// The key the words about a record state ("Each product is identified by its `sku`"): in
/// a sentence whose subject is the record `entity` (named before the words about
/// identifying), among `columns`, or, when no schema or example gave any (a Postman request
/// without a saved response), among the names the sentence puts in backticks; never one of
/// the request's own parameters (`params`: "the customer identified by `customer_id`" names
/// the parent). Save & Test then checks the key against the first page.
pub(crate) fn key_stated(
    text: &str,
    columns: &[Column],
    entity: &str,
    params: &[&str],
) -> Option<Vec<String>> {
    // A colon ends a clause too: "`loan_no` is unique only within its branch: a loan is
    // identified by the branch code together with `loan_no`".
    for sentence in text.split(['.', ';', ':', '\n']).take(2000) {
        if sentence.len() > 1000
            || !(subject_is(sentence, entity) || each_identified(sentence, entity))
        {
            continue;
        }
        let quoted: Vec<Column>;
        let candidates = if columns.is_empty() {
            quoted = sentence
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|w| {
                    !w.is_empty()
                        && w.len() <= 64
                        && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .collect::<std::collections::BTreeSet<&str>>()
                .into_iter()
                .map(|w| Column {
                    name: w.to_string(),
                    ty: ColumnType::String,
                    nullable: false,
                    description: String::new(),
                })
                .collect();
            &quoted
        } else {
            columns
        };
        if let Some(key) = key_named_in(sentence, candidates) {
            // "the company identified by `company_id`" names the request's parameter, not the
            // records' key; "identified by `vehicle_id` and `ts` together" is a key even when
            // `vehicle_id` also filters the list.
            if !key.iter().all(|k| params.contains(&k.as_str())) {
                return Some(key);
            }
        }
    }
    None
}

/// Whether `sentence` says each of the records is identified by something right after naming
/// them: "an array of members, each identified by `card_number`, with …".
fn each_identified(sentence: &str, entity: &str) -> bool {
    let snake = singular(&snake_ident(entity));
    let Some(last) = snake.rsplit('_').next().filter(|w| !w.is_empty()) else {
        return false;
    };
    let lower = sentence.to_ascii_lowercase();
    [last.to_string(), plural(last)].iter().any(|word| {
        [
            ", each identified by",
            " each identified by",
            ", each uniquely identified by",
        ]
        .iter()
        .any(|tail| lower.contains(&format!("{word}{tail}")))
    })
}

/// Whether `sentence` has the record `entity` as its subject: it opens with the record's
/// last word (singular or plural: "A line is …" for `order_line`), after at most a
/// determiner, and goes on with "is"/"are" or the words about identifying. "This request
/// returns the status of a company identified by `company_id`" is about the company, not
/// the status.
pub(crate) fn subject_is(sentence: &str, entity: &str) -> bool {
    let snake = singular(&snake_ident(entity));
    let Some(last) = snake.rsplit('_').next().filter(|w| !w.is_empty()) else {
        return false;
    };
    let many = plural(last);
    let words: Vec<String> = sentence
        .split(|c: char| c.is_whitespace() || c == '*' || c == '"')
        .filter(|w| !w.is_empty())
        .take(6)
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_lowercase()
        })
        .collect();
    let determiners = [
        "each", "every", "a", "an", "the", "any", "one", "this", "all",
    ];
    let Some(at) = words.iter().position(|w| *w == last || *w == many) else {
        return false;
    };
    if at > 2
        || !words[..at]
            .iter()
            .all(|w| determiners.contains(&w.as_str()))
    {
        return false;
    }
    words.get(at + 1).is_some_and(|next| {
        ["is", "are", "has", "have"].contains(&next.as_str())
            || next.starts_with("identif")
            || next.starts_with("unique")
    })
}

/// The field or fields a description says identify a record: a sentence that speaks of
/// identifying or uniqueness and names columns (in backticks, or as whole words), e.g.
/// "identified by `a` and `b`", "(`a`, `b`) is unique", "the combination of a and b".
pub(crate) fn key_named_in(description: &str, columns: &[Column]) -> Option<Vec<String>> {
    for sentence in description.split(['.', ';', '\n']) {
        // A key is stated in a short sentence; a long run of text without a stop is not one
        // (and would make the word search below slow).
        if sentence.len() > 1000 || columns.is_empty() {
            continue;
        }
        let lower = sentence.to_ascii_lowercase();
        let speaks = ["identif", "unique", "primary key", "distinct"]
            .iter()
            .any(|w| lower.contains(w));
        if !speaks
            || ["not unique", "non-unique", "external", "foreign", "parent"]
                .iter()
                .any(|w| lower.contains(w))
        {
            continue;
        }
        // "Each book is identified by its `isbn` and has `title`, `authors`, …": the key is
        // what follows "identified by" up to where the sentence goes on to list the fields.
        let window = ["identified by", "keyed by", "keyed on"]
            .iter()
            .find_map(|p| lower.find(p).map(|i| i + p.len()))
            .map(|end_of_phrase| {
                let rest = &lower[end_of_phrase..];
                let stop = [
                    " and has ",
                    " has ",
                    " have ",
                    " and contains ",
                    " contains ",
                    " includes ",
                    ", with ",
                    " with fields",
                    " and carries ",
                ]
                .iter()
                .filter_map(|w| rest.find(w))
                .min()
                .map_or(lower.len(), |i| end_of_phrase + i);
                end_of_phrase..stop
            });
        // Columns named in the sentence, in the order they appear; whether a plain word was
        // taken only for following "identified by".
        let mut named: Vec<(usize, String)> = Vec::new();
        let mut loose = false;
        for c in columns.iter().take(1000) {
            let name = c.name.as_str();
            let quoted = format!("`{name}`");
            let at = sentence.find(&quoted).or_else(|| {
                // A bare word: bounded by non-identifier characters, and not a plain English
                // word (`id` alone, `name`) unless it has an underscore or the sentence puts
                // it right after "identified by" (a PDF drops the backticks of "identified
                // by its `sku`").
                let ident =
                    |ch: Option<char>| ch.is_some_and(|ch| ch.is_alphanumeric() || ch == '_');
                if name.is_empty() {
                    return None;
                }
                sentence.match_indices(name).map(|(i, _)| i).find(|&i| {
                    let before = sentence[..i].chars().next_back();
                    let after = sentence[i + name.len()..].chars().next();
                    if ident(before) || ident(after) {
                        return false;
                    }
                    if name.contains('_') {
                        return true;
                    }
                    // A column's name after "identified by" ("by vehicle_id and ts
                    // together", a PDF without its backticks): a plain word, so one of
                    // them alone is not taken for a combination.
                    let in_window = window.as_ref().is_some_and(|w| w.contains(&i));
                    // `lower` has the same byte offsets (ASCII lower-casing).
                    let after_phrase = [
                        "identified by ",
                        "identified by its ",
                        "identified by their ",
                        "identified by the ",
                        "keyed by ",
                        "keyed on ",
                    ]
                    .iter()
                    .any(|p| lower.get(..i).is_some_and(|lead| lead.ends_with(p)));
                    loose |= after_phrase || in_window;
                    after_phrase || in_window
                })
            });
            if let Some(at) = at {
                named.push((at, c.name.clone()));
            }
        }
        named.sort();
        if let Some(window) = &window {
            let within: Vec<(usize, String)> = named
                .iter()
                .filter(|(at, _)| window.contains(at))
                .cloned()
                .collect();
            if !within.is_empty() {
                named = within;
            }
        }
        let names: Vec<String> = named.into_iter().map(|(_, n)| n).collect();
        let together = [
            "together",
            "combination",
            " and ",
            "pair",
            "composite",
            "(",
            ",",
        ]
        .iter()
        .any(|w| lower.contains(w));
        match names.len() {
            0 => {}
            // "identified by the name and the timestamp": one plain word of a combination is
            // not the key (the other word went unrecognised).
            1 if loose
                && ["together", "combination", " and ", "pair", "composite"]
                    .iter()
                    .any(|w| lower.contains(w)) => {}
            1 => return Some(names),
            2..=4 if together => return Some(names),
            _ => {}
        }
    }
    None
}

/// The primary key: `id`, else `<entity>_id`, the only `*_id`, `uuid`, `key`, `gid`, `sid`.
pub(crate) fn primary_key(columns: &[Column], entity: &str) -> Vec<String> {
    let find = |wanted: &str| {
        columns
            .iter()
            .find(|c| snake_ident(&c.name) == wanted)
            .map(|c| c.name.clone())
    };
    let entity_id = format!("{}_id", singular(&snake_ident(entity)));
    if let Some(key) = find("id").or_else(|| find(&entity_id)) {
        return vec![key];
    }
    // `uid` is a person's own id in a list of people; elsewhere it is often an owner's.
    let people = [
        "user", "member", "account", "person", "profile", "customer", "contact",
    ]
    .contains(
        &singular(&snake_ident(entity))
            .rsplit('_')
            .next()
            .unwrap_or(""),
    );
    if people {
        if let Some(key) = find("uid") {
            return vec![key];
        }
    }
    if let Some(key) = ["uuid", "key", "gid", "sid", "guid", "sha"]
        .iter()
        .find_map(|k| find(k))
    {
        return vec![key];
    }
    // A lone `*_id` column that does not name the table's own entity (that case is
    // `entity_id` above) is a foreign key (`user_id` in access logs, `parent_user_id` in
    // replies): upserting on it would collapse rows, so it is not taken.
    let ids: Vec<&Column> = columns
        .iter()
        .filter(|c| snake_ident(&c.name).ends_with("_id") && snake_ident(&c.name) != "node_id")
        .collect();
    // The one `*_id` column the docs call the record's unique identifier (Lago's `lago_id`).
    let described: Vec<&&Column> = ids
        .iter()
        .filter(|c| {
            let d = c.description.to_ascii_lowercase();
            d.contains("unique identifier") && !d.contains("external")
        })
        .collect();
    if let [only] = described.as_slice() {
        return vec![only.name.clone()];
    }
    // Any one column the docs call this record's unique identifier (`sku`: "Unique identifier
    // of the product"), when it names the record itself, not another object it points to.
    let own = singular(&snake_ident(entity)).replace('_', " ");
    let described: Vec<&Column> = columns
        .iter()
        .filter(|c| {
            let d = c.description.to_ascii_lowercase();
            let says = [
                "unique identifier",
                "uniquely identifies",
                "unique id",
                "primary key",
            ]
            .iter()
            .any(|w| d.contains(w))
                // "Unique three-letter code; identifies the branch" (the record itself, not
                // "identifies the type of resource where …").
                || ["identifies the ", "identifies this ", "identifies a ", "identifies each "]
                    .iter()
                    .any(|w| {
                        d.match_indices(w).any(|(i, _)| {
                            let rest = &d[i + w.len()..];
                            rest.strip_prefix(own.as_str()).is_some_and(|after| {
                                !after.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                            })
                        })
                    });
            // "the add-on" names the `add_on` record as well as "the add on".
            let of_this = d.contains(&own)
                || d.replace('-', " ").contains(&own)
                || [
                    "this record",
                    "this object",
                    "the record",
                    "the object",
                    "this item",
                ]
                .iter()
                .any(|w| d.contains(w));
            says && of_this && !d.contains("external") && !d.contains("parent")
        })
        .collect();
    if let [only] = described.as_slice() {
        return vec![only.name.clone()];
    }
    Vec::new()
}

/// HTML tags removed from descriptions; anything else in `<...>` (like `<API_KEY>`) is text.
const HTML_TAGS: &[&str] = &[
    "a",
    "b",
    "i",
    "p",
    "br",
    "em",
    "hr",
    "li",
    "ol",
    "ul",
    "td",
    "th",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "sub",
    "sup",
    "img",
    "div",
    "code",
    "span",
    "table",
    "tbody",
    "thead",
    "strong",
    "details",
    "summary",
    "blockquote",
];

/// Tags after which a word break belongs.
const BLOCK_TAGS: &[&str] = &[
    "p", "br", "li", "div", "tr", "td", "th", "h1", "h2", "h3", "h4", "pre", "hr",
];

/// The length of an HTML tag starting at `text[0] == '<'` and whether it breaks words.
fn html_tag(text: &str) -> Option<(usize, bool)> {
    let end = text.char_indices().take(200).find(|(_, c)| *c == '>')?.0;
    let inner = text[1..end].trim_start_matches('/');
    let name_end = inner
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    HTML_TAGS
        .contains(&name.as_str())
        .then(|| (end + 1, BLOCK_TAGS.contains(&name.as_str())))
}

/// Description text without HTML tags, whitespace collapsed, at most 500 characters.
pub(crate) fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(512));
    let mut skip = 0;
    for (i, ch) in text.char_indices() {
        if i < skip {
            continue;
        }
        if ch == '<' {
            if let Some((len, block)) = html_tag(&text[i..]) {
                skip = i + len;
                if block && !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                continue;
            }
        }
        if ch.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(ch);
        }
    }
    let trimmed = out.trim_end();
    if trimmed.chars().count() > 500 {
        let cut: String = trimmed.chars().take(497).collect();
        format!("{}...", cut.trim_end())
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    fn col(name: &str, description: &str) -> Column {
        Column {
            name: name.into(),
            ty: ColumnType::String,
            nullable: true,
            description: description.into(),
        }
    }

    #[test]
    fn keys_named_by_descriptions_hints_and_composites() {
        // A column described as the record's own unique identifier.
        let cols = [
            col("sku", "Unique identifier of the product."),
            col("name", ""),
        ];
        assert_eq!(primary_key(&cols, "products"), ["sku"]);
        // Described as another object's identifier: a foreign key, not taken.
        let cols = [
            col("customer", "Unique identifier of the customer who paid."),
            col("amount", ""),
        ];
        assert!(primary_key(&cols, "payments").is_empty());
        // The record's description names one key, or two together.
        let item = |d: &'static str| Shape::for_test(Some(d), &[]);
        let cols = [col("id", ""), col("ticket_number", ""), col("title", "")];
        assert_eq!(
            primary_key_of(
                &cols,
                "tickets",
                Some(&item("Tickets are identified by their `ticket_number`."))
            ),
            ["ticket_number"]
        );
        let cols = [col("account_id", ""), col("day", ""), col("clicks", "")];
        assert_eq!(
            primary_key_of(
                &cols,
                "stats",
                Some(&item(
                    "One row per account and day: `account_id` and `day` together identify a row."
                ))
            ),
            ["account_id", "day"]
        );
        // A description that speaks of something else keeps the naming rules.
        let cols = [col("id", ""), col("user_id", "")];
        assert_eq!(
            primary_key_of(
                &cols,
                "logs",
                Some(&item("Each log line belongs to a user."))
            ),
            ["id"]
        );
        // An `x-` hint on the properties wins.
        let props = [(
            "code",
            serde_json::json!({"type": "string", "x-primary-key": true}),
        )];
        let hinted = Shape::for_test(None, &props);
        let cols = [col("id", ""), col("code", "")];
        assert_eq!(primary_key_of(&cols, "countries", Some(&hinted)), ["code"]);
    }

    #[test]
    fn keys_stated_in_words_belong_to_the_sentences_subject() {
        let cols = [
            col("order_number", ""),
            col("line_no", ""),
            col("sku", ""),
            col("name", ""),
        ];
        let said = |text: &str, entity: &str| key_stated(text, &cols, entity, &[]);
        assert_eq!(
            said(
                "A line is identified by `order_number` and `line_no` together.",
                "order_lines"
            ),
            Some(vec!["order_number".to_string(), "line_no".to_string()])
        );
        // A PDF drops the backticks; the word after "identified by" still counts.
        assert_eq!(
            said(
                "Each product is identified by its sku, which never changes.",
                "products"
            ),
            Some(vec!["sku".to_string()])
        );
        // Another record's key: the sentence's subject is not this table's record.
        assert_eq!(
            said(
                "This request returns the status of an order identified by its `order_number`.",
                "statuses"
            ),
            None
        );
        assert_eq!(
            said(
                "A customer is identified by `order_number`, which appears on each line.",
                "order_lines"
            ),
            None
        );
        // One plain word of a combination is not the key.
        assert_eq!(
            said(
                "Each product is identified by the name and the colour.",
                "products"
            ),
            None
        );
        // No columns known (a request without a saved response): backticked names, never the
        // request's own parameters.
        assert_eq!(
            key_stated(
                "Each order is identified by `order_number`.",
                &[],
                "orders",
                &[]
            ),
            Some(vec!["order_number".to_string()])
        );
        assert_eq!(
            key_stated(
                "Each invoice is identified by `customer_id`.",
                &[],
                "invoices",
                &["customer_id"]
            ),
            None
        );
    }
}
