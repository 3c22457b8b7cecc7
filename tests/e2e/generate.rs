//! Generated source: hostile names become escaped literals. (The fixture connectors'
//! source is checked byte for byte against the goldens in `generated/`, see `golden.rs`.)

use connector_agent_codegen::{generate, CodegenOptions};
use connector_agent_model::{ApiModel, Column, ColumnType, ConfigField, Endpoint, Pagination};

fn options() -> CodegenOptions {
    CodegenOptions {
        crate_name: None,
        sdk_path: "../../sdk".into(),
    }
}

/// A model whose every name, label, path and key is hostile text (also a golden connector:
/// `generated/hostile-names`, compiled by CI).
pub(crate) fn hostile_model() -> ApiModel {
    let evil = EVIL;
    ApiModel {
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
            layout: Default::default(),
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
    }
}

const EVIL: &str = "x\"); std::process::exit(1); //*/ {{name}} \n\u{202e}";

#[test]
fn hostile_names_become_escaped_literals() {
    let krate = generate(&hostile_model(), &options()).unwrap();
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
