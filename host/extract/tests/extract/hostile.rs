//! Hostile and invalid inputs: clear errors naming the place, never a panic or a hang.

use std::fmt::Write as _;
use std::path::Path;

use connector_agent_extract::{
    extract_openapi, extract_openapi_file, extract_openapi_report, read_document, Error,
};
use connector_agent_model::{snake_ident, ApiModel};
use serde_json::{json, Value};

/// The error and its causes, one per line, as `main` would print them.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("error: {err}");
    let mut source = err.source();
    let mut n = 1;
    while let Some(cause) = source {
        write!(out, "\ncaused by {n}: {cause}").unwrap();
        source = cause.source();
        n += 1;
    }
    out
}

/// Writes `text` to `name` in a fresh temporary folder and reads it back as a document.
fn read_text(name: &str, text: &str) -> (tempfile::TempDir, Result<Value, Error>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let result = read_document(&path);
    (dir, result)
}

/// Replaces the temporary folder in messages so snapshots are stable.
fn normalise(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "<tmp>")
}

fn spec(paths: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Hostile", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas}
    })
}

fn list_op(items: Value) -> Value {
    json!({"get": {"responses": {"200": {
        "description": "ok",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"data": {"type": "array", "items": items}, "has_more": {"type": "boolean"}}
        }}}
    }}}})
}

#[test]
fn ref_loop_becomes_json_columns_not_a_hang() {
    let doc = spec(
        json!({"/nodes": list_op(json!({"$ref": "#/components/schemas/Node"}))}),
        json!({
            "Node": {"type": "object", "properties": {
                "id": {"type": "string"},
                "parent": {"$ref": "#/components/schemas/Node"},
                "alias": {"$ref": "#/components/schemas/Alias"},
                "twisted": {"allOf": [{"$ref": "#/components/schemas/Twist"}]}
            }},
            "Alias": {"$ref": "#/components/schemas/Alias2"},
            "Alias2": {"$ref": "#/components/schemas/Alias"},
            "Twist": {"allOf": [{"$ref": "#/components/schemas/Twist"}, {"properties": {"x": {}}}]}
        }),
    );
    let model = extract_openapi(&doc, "loop.json").unwrap();
    let nodes = &model.endpoints[0];
    let types: Vec<String> = nodes
        .columns
        .iter()
        .map(|c| format!("{}:{:?}", c.name, c.ty))
        .collect();
    assert_eq!(
        types,
        ["id:String", "parent:Json", "alias:Json", "twisted:Json"]
    );
    assert_eq!(nodes.primary_key, ["id"]);
}

#[test]
fn record_schema_that_is_a_pure_ref_loop_keeps_the_list_without_columns() {
    let doc = spec(
        json!({
            "/loops": list_op(json!({"$ref": "#/components/schemas/A"})),
            "/fine": list_op(json!({"type": "object", "properties": {"id": {"type": "integer"}}}))
        }),
        json!({"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}),
    );
    let report = extract_openapi_report(&doc, "loop.json").unwrap();
    let tables: Vec<&str> = report
        .model
        .endpoints
        .iter()
        .map(|e| e.table.as_str())
        .collect();
    assert_eq!(tables, ["fine", "loops"]);
    // The loop leaves the records without columns: still proposed, but with low confidence.
    let loops = &report.model.endpoints[1];
    assert!(loops.columns.is_empty());
    assert!(loops.confidence < 0.8, "{}", loops.confidence);
}

#[test]
fn ref_to_nowhere_skips_only_that_endpoint_and_says_where() {
    let doc = spec(
        json!({
            "/broken": list_op(json!({"$ref": "#/components/schemas/Missing"})),
            "/users": list_op(json!({"$ref": "#/components/schemas/User"})),
            "/odd": {"get": {"responses": {"200": {"$ref": "#/components/responses/Gone"}}}},
            "/params": {"get": {
                "parameters": [{"$ref": "#/components/parameters/Nope"}],
                "responses": {"200": {"description": "ok"}}
            }}
        }),
        json!({"User": {"type": "object", "properties": {"id": {"type": "string"}}}}),
    );
    let report = extract_openapi_report(&doc, "refs.json").unwrap();
    let tables: Vec<&str> = report
        .model
        .endpoints
        .iter()
        .map(|e| e.table.as_str())
        .collect();
    assert_eq!(tables, ["users"]);
    let reasons: Vec<String> = report
        .skipped
        .iter()
        .map(|s| format!("{} {}: {}", s.method, s.path, s.reason))
        .collect();
    insta::assert_snapshot!("dangling_refs", reasons.join("\n"));
}

#[test]
fn hostile_names_become_identifiers_and_stay_data() {
    let evil = "x\"'; DROP TABLE t;--{{y}}*/\n\u{202e}";
    // Braces in a path segment make it a parameter and `/` splits it, so literals avoid them.
    let literal = "it\"'; DROP TABLE t;--*\n\u{202e}";
    let mut paths = serde_json::Map::new();
    paths.insert(
        format!("/v1/{literal}"),
        list_op(json!({"type": "object", "properties": {"id": {}}})),
    );
    paths.insert(
        format!("/v1/{literal}/{{{literal}}}/it\"ems*/"),
        list_op(json!({"type": "object", "properties": {
            evil: {"type": "string", "description": evil},
            "id": {"type": "integer"},
            "type": {"type": "string"},
            "ref": {"type": "string"}
        }})),
    );
    paths.insert("/*/".into(), list_op(json!({"type": "object"})));
    let mut doc = spec(Value::Object(paths), json!({}));
    doc["info"]["title"] = json!(evil);
    doc["servers"] =
        json!([{"url": "https://{evil}.example.com", "variables": {"evil": {"default": "*/"}}}]);
    doc["components"]["securitySchemes"] =
        json!({evil: {"type": "apiKey", "in": "header", "name": evil, "description": evil}});
    let model = extract_openapi(&doc, evil).unwrap();
    assert_eq!(model.endpoints.len(), 3, "{:#?}", model.endpoints);
    assert!(model.endpoints.iter().any(|e| e.parent.is_some()));
    for endpoint in &model.endpoints {
        assert_eq!(
            endpoint.table,
            snake_ident(&endpoint.table),
            "table {:?}",
            endpoint.table
        );
        if let Some(parent) = &endpoint.parent {
            assert_eq!(parent.column, snake_ident(&parent.column));
        }
    }
    for field in &model.config {
        assert_eq!(
            field.name,
            snake_ident(&field.name),
            "config field {:?}",
            field.name
        );
    }
    // Column names are data (the generator escapes them), kept exactly as documented.
    assert!(model
        .endpoints
        .iter()
        .any(|e| e.columns.iter().any(|c| c.name == evil)));
    let back: ApiModel = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
    assert_eq!(back, model);
}

#[test]
fn non_openapi_yaml_is_rejected_clearly() {
    let (dir, doc) = read_text("config.yaml", "name: my app\nreplicas: 3\nitems: [1, 2]\n");
    let doc = doc.unwrap();
    let err = extract_openapi(&doc, "config.yaml").unwrap_err();
    assert!(matches!(err, Error::NotOpenApi { .. }));
    drop(dir);
    let scalar = extract_openapi(&json!("just text"), "text.yaml").unwrap_err();
    let postman = extract_openapi(&json!({"info": {}, "item": []}), "c.json").unwrap_err();
    let old = extract_openapi(&json!({"swagger": "1.2"}), "old.json").unwrap_err();
    let future = extract_openapi(&json!({"openapi": "4.0.0"}), "new.json").unwrap_err();
    let paths = extract_openapi(&json!({"openapi": "3.0.0", "paths": [1]}), "p.json").unwrap_err();
    let all = [err, scalar, postman, old, future, paths]
        .map(|e| chain(&e))
        .join("\n");
    insta::assert_snapshot!("not_openapi", all);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let text = "openapi: 3.0.0\ninfo:\n  title: x\npaths:\n  /a: {get: [1, 2}\n";
    let (dir, result) = read_text("broken.yaml", text);
    let err = result.unwrap_err();
    match &err {
        Error::Yaml { line, .. } => assert_eq!(*line, 5),
        other => panic!("expected a YAML error, got {other}"),
    }
    insta::assert_snapshot!("malformed_yaml", normalise(&chain(&err), dir.path()));
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let (dir, result) = read_text(
        "broken.json",
        "{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {,}\n}\n",
    );
    let err = result.unwrap_err();
    match &err {
        Error::Json { line, column, .. } => assert_eq!((*line, *column), (3, 13)),
        other => panic!("expected a JSON error, got {other}"),
    }
    insta::assert_snapshot!("malformed_json", normalise(&chain(&err), dir.path()));
}

#[test]
fn missing_file_names_the_file() {
    let err = extract_openapi_file(Path::new("/nonexistent/spec.yaml")).unwrap_err();
    assert!(matches!(err, Error::Read { .. }));
    assert!(
        err.to_string().contains("`/nonexistent/spec.yaml`"),
        "{err}"
    );
}

#[test]
fn yaml_alias_bomb_is_refused_or_bounded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        writeln!(text, "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]").unwrap();
    }
    // A hang would be stopped by the test runner's timeout; speed is measured in `bench`.
    let (_dir, result) = read_text("bomb.yaml", &text);
    assert!(result.is_err(), "10^12 nodes must not be expanded");
}

#[test]
fn deep_composition_is_cut_short() {
    // 500 schemas, each `allOf` the next: deeper than the resolver follows.
    let mut schemas = serde_json::Map::new();
    for i in 0..500 {
        let next = format!("#/components/schemas/S{}", i + 1);
        let own = json!({"properties": {format!("f{i}"): {"type": "string"}}});
        schemas.insert(format!("S{i}"), json!({"allOf": [{"$ref": next}, own]}));
    }
    schemas.insert(
        "S500".into(),
        json!({"type": "object", "properties": {"id": {"type": "string"}}}),
    );
    let doc = spec(
        json!({"/deep": list_op(json!({"$ref": "#/components/schemas/S0"}))}),
        Value::Object(schemas),
    );
    let model = extract_openapi(&doc, "deep.json").unwrap();
    let deep = &model.endpoints[0];
    assert!(
        !deep.columns.is_empty() && deep.columns.len() < 500,
        "{}",
        deep.columns.len()
    );
}

#[test]
fn large_spec_has_no_quadratic_blowup() {
    // 10,000 list paths, each with its own path parameter (so 10,000 config fields), and one
    // record schema of 50,000 properties merged through `allOf`.
    let mut props = serde_json::Map::new();
    for i in 0..50_000 {
        props.insert(format!("p{i}"), json!({"type": "string"}));
    }
    let mut paths = serde_json::Map::new();
    for i in 0..10_000 {
        let small = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        paths.insert(format!("/r{i}/{{p{i}}}/items"), list_op(small));
    }
    let big = json!({"allOf": [{"$ref": "#/components/schemas/Big"}, {"$ref": "#/components/schemas/Big"}]});
    paths.insert("/big".into(), list_op(big));
    let doc = spec(
        Value::Object(paths),
        json!({"Big": {"type": "object", "properties": props}}),
    );
    let model = extract_openapi(&doc, "large.json").unwrap();
    assert_eq!(model.endpoints.len(), 10_001);
    assert_eq!(model.endpoints[0].columns.len(), 50_000);
    assert_eq!(model.config.len(), 10_001);
}

#[test]
fn relative_file_refs_are_bundled_and_cannot_escape_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("api.yaml");
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    std::fs::write(
        &root,
        r##"openapi: 3.0.3
info: { title: Split, version: "1" }
servers: [{ url: "https://api.example.com" }]
paths:
  /pets:
    get:
      parameters:
        - $ref: "schemas/common.yaml#/components/parameters/Limit"
        - { name: starting_after, in: query, schema: { type: string } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "schemas/common.yaml#/components/schemas/PetList" }
"##,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("schemas/common.yaml"),
        r##"components:
  parameters:
    Limit: { name: limit, in: query, schema: { type: integer, maximum: 100 } }
  schemas:
    PetList:
      type: object
      properties:
        data: { type: array, items: { $ref: "pet.yaml" } }
        has_more: { type: boolean }
"##,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("schemas/pet.yaml"),
        r##"type: object
properties:
  id: { type: string }
  name: { type: string }
  parent: { $ref: "pet.yaml" }
"##,
    )
    .unwrap();
    let model = extract_openapi_file(&root).unwrap();
    let pets = &model.endpoints[0];
    assert_eq!(pets.record_path, vec!["data".to_string()]);
    assert_eq!(pets.primary_key, vec!["id".to_string()]);
    let columns: Vec<&str> = pets.columns.iter().map(|c| c.name.as_str()).collect();
    assert!(
        columns.contains(&"name") && columns.contains(&"parent"),
        "{columns:?}"
    );
    assert_eq!(pets.pagination.style(), "cursor", "{:?}", pets.pagination);

    // A reference that leaves the document's folder is never read: it stays unresolved.
    std::fs::create_dir(dir.path().join("spec")).unwrap();
    std::fs::write(
        dir.path().join("secret.yaml"),
        "type: object\nproperties:\n  leaked_field: { type: string }\n",
    )
    .unwrap();
    let inner = dir.path().join("spec/api.yaml");
    let text = std::fs::read_to_string(&root)
        .unwrap()
        .replace(
            "schemas/common.yaml#/components/schemas/PetList",
            "../secret.yaml",
        )
        .replace("schemas/common.yaml", "/etc/passwd");
    std::fs::write(&inner, text).unwrap();
    let model = extract_openapi_file(&inner).unwrap();
    let json = serde_json::to_string(&model).unwrap();
    assert!(
        !json.contains("leaked_field") && !json.contains("root:"),
        "{json}"
    );
}
