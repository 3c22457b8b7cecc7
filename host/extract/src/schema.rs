//! Schema flattening: one [`Shape`] per schema, with `$ref`, `allOf`, `oneOf`/`anyOf`,
//! 3.0 `nullable`, 2.0 `x-nullable` and 3.1 type arrays folded in.
//!
//! Shapes borrow from the document (property schemas stay unresolved until asked for), and
//! are cached by the address of the schema node, so a component used by a thousand
//! operations is flattened once. Reference loops and over-deep compositions are cut short
//! and marked [`Shape::truncated`]; the caller treats such a schema as a JSON column.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::resolve::{Doc, RefError};

/// Deepest nesting of `$ref`/`allOf`/`oneOf` followed for one schema.
const MAX_DEPTH: usize = 48;
/// Most schema nodes visited for one top-level request; bounds hostile compositions.
const MAX_WORK: usize = 20_000;

/// The JSON type a schema describes, as far as it can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Kind {
    /// Not stated and not inferable.
    #[default]
    Unknown,
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    Null,
    /// Several types (e.g. string or object).
    Mixed,
    /// Swagger 2.0 `type: file`.
    File,
}

/// A flattened schema.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape<'a> {
    pub kind: Kind,
    pub nullable: bool,
    pub format: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Properties in document order, first occurrence wins; the schemas are unresolved.
    pub properties: Vec<(&'a str, &'a Value)>,
    /// Position of each name in `properties`, for constant-time look-up.
    index: HashMap<&'a str, usize>,
    pub required: HashSet<&'a str>,
    /// The items schema of an array, unresolved.
    pub items: Option<&'a Value>,
    pub maximum: Option<f64>,
    pub default: Option<&'a Value>,
    pub example: Option<&'a Value>,
    /// A reference loop, the depth limit or the work limit cut this shape short.
    pub truncated: bool,
    /// A reference inside this schema that could not be followed.
    pub broken: Option<RefError>,
}

impl<'a> Shape<'a> {
    pub fn property(&self, name: &str) -> Option<&'a Value> {
        self.index.get(name).map(|i| self.properties[*i].1)
    }

    pub fn is_required(&self, name: &str) -> bool {
        self.required.contains(name)
    }

    /// Whether values of this schema are JSON objects (stated, or implied by properties).
    pub fn is_objectish(&self) -> bool {
        self.kind == Kind::Object || (self.kind == Kind::Unknown && !self.properties.is_empty())
    }

    fn add_property(&mut self, name: &'a str, schema: &'a Value) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.index.entry(name) {
            slot.insert(self.properties.len());
            self.properties.push((name, schema));
        }
    }

    fn truncated() -> Self {
        Shape {
            truncated: true,
            ..Shape::default()
        }
    }

    /// An object shape with a description and properties, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(description: Option<&'a str>, props: &'a [(&'a str, Value)]) -> Self {
        let mut shape = Shape {
            kind: Kind::Object,
            description,
            ..Shape::default()
        };
        for (name, schema) in props {
            shape.add_property(name, schema);
        }
        shape
    }
}

/// Flattens schemas of one document, with a cache.
pub(crate) struct Schemas<'a> {
    pub doc: Doc<'a>,
    cache: RefCell<HashMap<*const Value, Rc<Shape<'a>>>>,
    work: Cell<usize>,
}

impl<'a> Schemas<'a> {
    pub fn new(doc: Doc<'a>) -> Self {
        Schemas {
            doc,
            cache: RefCell::new(HashMap::new()),
            work: Cell::new(0),
        }
    }

    /// The flattened shape of a schema (which may be a `$ref`).
    pub fn shape(&self, schema: &'a Value) -> Rc<Shape<'a>> {
        self.work.set(0);
        self.shape_at(schema, &mut Vec::new())
    }

    fn shape_at(&self, schema: &'a Value, stack: &mut Vec<*const Value>) -> Rc<Shape<'a>> {
        let key: *const Value = schema;
        if let Some(hit) = self.cache.borrow().get(&key) {
            return Rc::clone(hit);
        }
        let work = self.work.get() + 1;
        self.work.set(work);
        if stack.contains(&key) || stack.len() >= MAX_DEPTH || work > MAX_WORK {
            return Rc::new(Shape::truncated());
        }
        stack.push(key);
        let shape = match lone_ref(schema) {
            Some(reference) => self.follow(reference, stack),
            None => Rc::new(self.compute(schema, stack)),
        };
        stack.pop();
        if !shape.truncated {
            self.cache.borrow_mut().insert(key, Rc::clone(&shape));
        }
        shape
    }

    fn follow(&self, reference: &str, stack: &mut Vec<*const Value>) -> Rc<Shape<'a>> {
        if !reference.starts_with('#') {
            let broken = Some(RefError::External(reference.to_string()));
            return Rc::new(Shape {
                broken,
                ..Shape::default()
            });
        }
        match self.doc.pointer(reference) {
            Some(target) => self.shape_at(target, stack),
            None => {
                let broken = Some(RefError::Missing(reference.to_string()));
                Rc::new(Shape {
                    broken,
                    ..Shape::default()
                })
            }
        }
    }

    fn compute(&self, schema: &'a Value, stack: &mut Vec<*const Value>) -> Shape<'a> {
        let Some(map) = schema.as_object() else {
            return Shape::default();
        };
        let reference = map.get("$ref").and_then(Value::as_str);

        let mut shape = Shape::default();
        let own_kind = own_kinds(map, &mut shape.nullable);
        if flag(map, "nullable") || flag(map, "x-nullable") {
            shape.nullable = true;
        }
        shape.format = map.get("format").and_then(Value::as_str);
        shape.description = map.get("description").and_then(Value::as_str);
        shape.maximum = map.get("maximum").and_then(Value::as_f64);
        shape.default = map.get("default");
        shape.example = map
            .get("example")
            .or_else(|| map.get("examples")?.as_array()?.first());
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, prop) in props {
                shape.add_property(name, prop);
            }
        }
        if let Some(Value::Array(required)) = map.get("required") {
            shape
                .required
                .extend(required.iter().filter_map(Value::as_str));
        }
        // Slack writes "one of" as `items: [..]` on a schema without `type: array`.
        let mut item_variants = None;
        shape.items = match map.get("items") {
            Some(Value::Array(tuple)) if own_kind == Some(Kind::Array) => tuple.first(),
            Some(Value::Array(variants)) => {
                item_variants = Some(variants);
                None
            }
            Some(items @ Value::Object(_)) => Some(items),
            _ => None,
        };

        // `$ref` with siblings (3.1) and `allOf`: every member holds, so merge them all.
        let mut merged_kind = Kind::Unknown;
        let mut members: Vec<Rc<Shape<'a>>> = Vec::new();
        if let Some(reference) = reference {
            members.push(self.follow(reference, stack));
        }
        if let Some(Value::Array(all)) = map.get("allOf") {
            members.extend(all.iter().map(|m| self.shape_at(m, stack)));
        }
        for member in &members {
            merge_all(&mut shape, member);
            if merged_kind == Kind::Unknown {
                merged_kind = member.kind;
            }
        }
        if !members.is_empty() && members.iter().all(|m| m.nullable) {
            shape.nullable = true;
        }

        // `oneOf`/`anyOf`: any variant may hold, so take the union, all optional.
        let mut union_kind = None;
        let unions = ["oneOf", "anyOf"].map(|key| map.get(key).and_then(Value::as_array));
        for variants in unions.into_iter().chain([item_variants]).flatten() {
            let shapes: Vec<_> = variants.iter().map(|v| self.shape_at(v, stack)).collect();
            let kind = union(&mut shape, &shapes);
            union_kind = Some(match union_kind {
                None => kind,
                Some(k) if k == kind || kind == Kind::Unknown => k,
                Some(Kind::Unknown) => kind,
                Some(_) => Kind::Mixed,
            });
        }

        shape.kind = match own_kind {
            Some(kind) => kind,
            None if merged_kind != Kind::Unknown => merged_kind,
            None => match union_kind {
                Some(kind) if kind != Kind::Unknown => kind,
                _ => implied_kind(map, &shape),
            },
        };
        shape
    }
}

/// The reference of a schema that is nothing but a `$ref`.
fn lone_ref(schema: &Value) -> Option<&str> {
    let map = schema.as_object()?;
    if map.len() == 1 {
        map.get("$ref")?.as_str()
    } else {
        None
    }
}

/// Kinds stated by `type` (a string, or a 3.1 array); `"null"` sets `nullable`.
fn own_kinds(map: &Map<String, Value>, nullable: &mut bool) -> Option<Kind> {
    let mut kinds: Vec<Kind> = Vec::new();
    match map.get("type") {
        Some(Value::String(name)) => kinds.extend(kind_named(name)),
        Some(Value::Array(names)) => {
            kinds.extend(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(kind_named),
            );
        }
        _ => {}
    }
    if kinds.contains(&Kind::Null) {
        *nullable = true;
        kinds.retain(|k| *k != Kind::Null);
        if kinds.is_empty() {
            return Some(Kind::Null);
        }
    }
    combine(&kinds)
}

fn combine(kinds: &[Kind]) -> Option<Kind> {
    let first = *kinds.first()?;
    if kinds.iter().all(|k| *k == first) {
        Some(first)
    } else if kinds
        .iter()
        .all(|k| matches!(k, Kind::Integer | Kind::Number))
    {
        Some(Kind::Number)
    } else {
        Some(Kind::Mixed)
    }
}

fn kind_named(name: &str) -> Option<Kind> {
    Some(match name {
        "object" => Kind::Object,
        "array" => Kind::Array,
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        "null" => Kind::Null,
        "file" => Kind::File,
        _ => return None,
    })
}

/// The kind of a JSON value (for examples and enums).
pub(crate) fn kind_of_value(value: &Value) -> Kind {
    match value {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::Array,
        Value::Object(_) => Kind::Object,
    }
}

fn implied_kind(map: &Map<String, Value>, shape: &Shape<'_>) -> Kind {
    if !shape.properties.is_empty() || map.contains_key("additionalProperties") {
        Kind::Object
    } else if shape.items.is_some() {
        Kind::Array
    } else if let Some(Value::Array(values)) = map.get("enum") {
        let kinds: Vec<Kind> = values
            .iter()
            .map(kind_of_value)
            .filter(|k| *k != Kind::Null)
            .collect();
        combine(&kinds).unwrap_or(Kind::Unknown)
    } else if let Some(value) = map.get("const") {
        kind_of_value(value)
    } else {
        Kind::Unknown
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// How much a schema says, roughly: a reference or an object's properties over an array of
/// known items over a bare type over nothing. In `allOf`, every member holds, so of two
/// schemas for one property the one that says more (`items: {$ref: Pet}` over a generic
/// base's `items: {}`) is the one to read.
fn specificity(schema: &Value) -> u8 {
    let Value::Object(map) = schema else { return 0 };
    // A reference says as much as an inline object: a tie keeps the schema met first.
    if map.contains_key("$ref") {
        return 3;
    }
    let rich = |v: Option<&Value>| {
        v.and_then(Value::as_object).is_some_and(|m| {
            m.contains_key("$ref")
                || m.contains_key("allOf")
                || m.get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| !p.is_empty())
        })
    };
    if rich(Some(schema)) || rich(map.get("items")) {
        return 3;
    }
    if map.contains_key("items") || map.contains_key("oneOf") || map.contains_key("anyOf") {
        return 2;
    }
    u8::from(map.contains_key("type"))
}

fn merge_all<'a>(shape: &mut Shape<'a>, member: &Shape<'a>) {
    for (name, prop) in &member.properties {
        match shape.index.get(name) {
            Some(&i) if specificity(prop) > specificity(shape.properties[i].1) => {
                shape.properties[i].1 = prop;
            }
            Some(_) => {}
            None => shape.add_property(name, prop),
        }
    }
    shape.required.extend(member.required.iter().copied());
    shape.format = shape.format.or(member.format);
    shape.description = shape.description.or(member.description);
    shape.items = match (shape.items, member.items) {
        (Some(own), Some(other)) if specificity(other) > specificity(own) => Some(other),
        (own, other) => own.or(other),
    };
    shape.maximum = shape.maximum.or(member.maximum);
    shape.default = shape.default.or(member.default);
    shape.example = shape.example.or(member.example);
    shape.truncated |= member.truncated;
    if shape.broken.is_none() {
        shape.broken.clone_from(&member.broken);
    }
}

/// Folds `oneOf`/`anyOf` variants into `shape` and returns their combined kind.
fn union<'a>(shape: &mut Shape<'a>, variants: &[Rc<Shape<'a>>]) -> Kind {
    let mut kinds: Vec<Kind> = Vec::new();
    for variant in variants {
        for (name, prop) in &variant.properties {
            shape.add_property(name, prop);
        }
        shape.items = shape.items.or(variant.items);
        shape.format = shape.format.or(variant.format);
        shape.description = shape.description.or(variant.description);
        shape.truncated |= variant.truncated;
        if shape.broken.is_none() {
            shape.broken.clone_from(&variant.broken);
        }
        if variant.nullable || variant.kind == Kind::Null {
            shape.nullable = true;
        }
        let kind = if variant.is_objectish() {
            Kind::Object
        } else {
            variant.kind
        };
        match kind {
            Kind::Null => {}
            // An unconstrained variant (`{}`) admits anything.
            Kind::Unknown if variant.broken.is_none() && !variant.truncated => {
                kinds.push(Kind::Mixed);
            }
            Kind::Unknown => {}
            other => kinds.push(other),
        }
    }
    combine(&kinds).unwrap_or(Kind::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape_of(root: &Value, pointer: &str) -> Shape<'static> {
        let root: &'static Value = Box::leak(Box::new(root.clone()));
        let schemas = Schemas::new(Doc::new(root));
        let node = schemas.doc.pointer(pointer).unwrap();
        (*schemas.shape(node)).clone()
    }

    #[test]
    fn all_of_merges_properties_and_required() {
        let root = json!({"s": {
            "a": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            "b": {"allOf": [{"$ref": "#/s/a"}, {"properties": {"n": {"type": "integer"}}}]}
        }});
        let shape = shape_of(&root, "#/s/b");
        assert_eq!(shape.kind, Kind::Object);
        let names: Vec<_> = shape.properties.iter().map(|p| p.0).collect();
        assert_eq!(names, ["id", "n"]);
        assert!(shape.is_required("id"));
    }

    #[test]
    fn one_of_is_a_nullable_union() {
        let root = json!({"x": {"oneOf": [
            {"type": "object", "properties": {"a": {}}},
            {"type": "object", "properties": {"b": {}}},
            {"type": "null"}
        ]}});
        let shape = shape_of(&root, "#/x");
        assert_eq!(shape.kind, Kind::Object);
        assert!(shape.nullable);
        assert_eq!(shape.properties.len(), 2);
    }

    #[test]
    fn type_arrays_and_nullable_flags() {
        let root = json!({
            "a": {"type": ["string", "null"]},
            "b": {"type": "integer", "nullable": true},
            "c": {"anyOf": [{"type": "string"}, {"type": "object"}]}
        });
        let a = shape_of(&root, "#/a");
        assert_eq!((a.kind, a.nullable), (Kind::String, true));
        let b = shape_of(&root, "#/b");
        assert_eq!((b.kind, b.nullable), (Kind::Integer, true));
        assert_eq!(shape_of(&root, "#/c").kind, Kind::Mixed);
    }

    #[test]
    fn reference_loops_are_truncated_not_followed() {
        let root = json!({
            "a": {"allOf": [{"$ref": "#/b"}]},
            "b": {"allOf": [{"$ref": "#/a"}], "properties": {"x": {}}},
            "self": {"$ref": "#/self"}
        });
        assert!(shape_of(&root, "#/a").truncated);
        assert!(shape_of(&root, "#/self").truncated);
    }

    #[test]
    fn dangling_references_are_reported() {
        let root = json!({"a": {"items": {"$ref": "#/nope"}, "allOf": [{"$ref": "#/gone"}]}});
        let shape = shape_of(&root, "#/a");
        assert_eq!(shape.broken, Some(RefError::Missing("#/gone".into())));
    }
}
