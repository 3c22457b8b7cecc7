//! Generated source: snapshot for the fixture spec, and hostile names.

use connector_agent_codegen::{generate, CodegenOptions};
use connector_agent_model::{ApiModel, Column, ColumnType, ConfigField, Endpoint, Pagination};

fn options() -> CodegenOptions {
    CodegenOptions {
        crate_name: None,
        sdk_path: "../../sdk".into(),
    }
}

#[test]
fn fixture_connector_source_snapshot() {
    let doc = connector_agent_fixture::openapi_document(
        "http://127.0.0.1:1",
        &connector_agent_fixture::FixtureAuth::Bearer("x".into()),
        1000,
    );
    let model = connector_agent_extract::extract_openapi(&doc, "fixture-openapi.json").unwrap();
    let krate = generate(&model, &options()).unwrap();
    insta::assert_snapshot!("fixture_lib_rs", krate.file("src/lib.rs").unwrap());
    insta::assert_snapshot!("fixture_cargo_toml", krate.file("Cargo.toml").unwrap());
}

#[test]
fn hostile_names_become_escaped_literals() {
    let evil = "x\"); std::process::exit(1); //*/ {{name}} \n\u{202e}";
    let model = ApiModel {
        name: evil.into(),
        version: None,
        sources: vec![],
        servers: vec![],
        auth: vec![],
        config: vec![ConfigField {
            name: "base_url".into(),
            label: evil.into(),
            description: evil.into(),
            secret: false,
            required: true,
            default: Some(evil.into()),
        }],
        headers: Vec::new(),
        endpoints: vec![Endpoint {
            entity: evil.into(),
            method: "GET".into(),
            path: format!("/v1/{evil}"),
            table: "evil".into(),
            selected: true,
            record_path: vec![evil.into()],
            primary_key: vec![evil.into()],
            columns: vec![Column {
                name: evil.into(),
                ty: ColumnType::String,
                nullable: true,
                description: evil.into(),
            }],
            query: vec![],
            headers: Vec::new(),
            pagination: Pagination::None,
            incremental: None,
            parent: None,
            reason: String::new(),
            confidence: 1.0,
            corrections: vec![],
        }],
    };
    let krate = generate(&model, &options()).unwrap();
    let lib = krate.file("src/lib.rs").unwrap();
    for line in lib
        .lines()
        .filter(|l| !l.trim_start().starts_with("//") && l.contains("exit(1)"))
    {
        assert!(
            line.contains(r#"x\"); std::process::exit(1);"#),
            "raw text leaked into code: {line}"
        );
    }
    assert!(
        lib.contains(r#"x\"); std::process::exit(1); //*/ {{name}} \n\u{202e}"#),
        "escaped literal expected:\n{lib}"
    );
    for line in lib.lines().filter(|l| l.trim_start().starts_with("//")) {
        assert!(
            !line.contains("*/") && !line.contains('\u{202e}'),
            "comment not sanitised: {line}"
        );
    }
    // The name loses characters to the sanitising (it is not ASCII), so it ends in a hash
    // of the whole name: valid, stable and distinct.
    let manifest = krate.file("Cargo.toml").unwrap();
    let name = manifest
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("a package name");
    let (stem, hash) = name.rsplit_once('-').unwrap();
    assert_eq!(stem, "connector-x-std-process-exit-1-name", "{manifest}");
    assert!(
        hash.len() == 8 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{manifest}"
    );
}
