//! `generated/` is a golden corpus that is compiled: regenerate and compare byte for byte.
//! `BLESS=1` rewrites the goldens.

use connector_agent_codegen::{generate, CodegenOptions};
use connector_agent_fixture::{openapi_document, FixtureAuth};
use std::path::{Path, PathBuf};

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated")
}

/// The golden connectors, as the generator makes them: the billing fixture from its OpenAPI
/// document (bearer auth; cursor, next-URL, `Link`, page-number and offset lists; child and
/// grandchild tables), the atlas fixture from its Postman collection (keys that are not
/// `id`, a composite key, a keyless log, filters in three forms) and a model made of hostile
/// names (every value an escaped literal).
fn goldens() -> Vec<(&'static str, connector_agent_codegen::GeneratedCrate)> {
    let options = |name: &str| CodegenOptions {
        crate_name: Some(name.into()),
        sdk_path: "../../sdk".into(),
    };
    let doc = openapi_document(
        "http://127.0.0.1:8080",
        &FixtureAuth::Bearer("unused".into()),
        1000,
    );
    let billing = connector_agent_extract::extract_openapi(&doc, "fixture-openapi.json").unwrap();
    let postman = connector_agent_fixture::atlas::atlas_postman("http://127.0.0.1:8080");
    let atlas = connector_agent_extract::extract_postman(&postman, "atlas.postman.json").unwrap();
    vec![
        (
            "fixture-billing",
            generate(&billing, &options("connector-fixture-billing")).unwrap(),
        ),
        (
            "atlas-postman",
            generate(&atlas, &options("connector-atlas-postman")).unwrap(),
        ),
        (
            "hostile-names",
            generate(
                &crate::generate::hostile_model(),
                &options("connector-hostile-names"),
            )
            .unwrap(),
        ),
    ]
}

#[test]
fn generated_is_fresh() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut stale = Vec::new();
    for (dir, krate) in goldens() {
        let root = generated_dir().join(dir);
        if bless {
            krate.write_to(&root).unwrap();
            continue;
        }
        for (rel, text) in &krate.files {
            let path = root.join(rel);
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            if &on_disk != text {
                let first_diff = on_disk
                    .lines()
                    .zip(text.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(on_disk.lines().count().min(text.lines().count()));
                stale.push(format!(
                    "{} differs from the generator's output at line {}:\n  on disk:   {:?}\n  generated: {:?}",
                    path.display(),
                    first_diff + 1,
                    on_disk.lines().nth(first_diff).unwrap_or("<end>"),
                    text.lines().nth(first_diff).unwrap_or("<end>")
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "run `BLESS=1 scripts/test golden` after reading the diff:\n{}",
        stale.join("\n")
    );
}
