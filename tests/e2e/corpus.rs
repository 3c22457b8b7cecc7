//! A connector generated from every OpenAPI document and Postman collection in the corpus compiles, loads, and
//! answers `spec` and `discover` with the tables the extractor proposed.

use crate::support::{cache_dir, target_dir};
use connector_agent_codegen::{generate, CodegenOptions};
use connector_agent_runtime::{AllowList, Credentials, HttpContext, Limits};
use connector_agent_sync::{App, Workspace};
use std::path::PathBuf;
use std::sync::Arc;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CONNECTOR_AGENT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    dir.join("openapi").is_dir().then_some(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_openapi_and_postman_document_becomes_a_working_component() {
    let Some(dir) = corpus() else { return };
    let home = tempfile::tempdir().unwrap();
    let engine = App::new(Workspace::new(home.path()), &cache_dir(), &target_dir()).unwrap();
    let mut files: Vec<PathBuf> = ["openapi", "postman"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(dir.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
        })
        .collect();
    files.sort();
    let mut built = 0;
    for file in &files {
        let model = if file.parent().is_some_and(|p| p.ends_with("postman")) {
            connector_agent_extract::extract_postman_file(file).unwrap()
        } else {
            connector_agent_extract::extract_openapi_file(file).unwrap()
        };
        if model.endpoints.is_empty() {
            continue; // webhook-only document
        }
        let options = CodegenOptions {
            crate_name: None,
            sdk_path: engine.builder().sdk_path_for_crates(),
        };
        let krate =
            generate(&model, &options).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let component =
            tokio::task::block_in_place(|| engine.builder().build(&krate.crate_name, &krate.files))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                .component;
        let loaded = engine.runtime().load(&component).unwrap();
        let http = Arc::new(HttpContext::new(AllowList::default(), Credentials::None));
        let fields = loaded.spec(http.clone(), Limits::default()).await.unwrap();
        assert!(
            fields.iter().any(|f| f.name == "base_url"),
            "{}",
            file.display()
        );
        let tables = loaded.discover(http, Limits::default(), &[]).await.unwrap();
        let selected: Vec<&str> = model.selected().map(|e| e.table.as_str()).collect();
        for t in &selected {
            assert!(
                tables.iter().any(|x| x.name == *t),
                "{}: table `{t}` missing from discover",
                file.display()
            );
        }
        built += 1;
    }
    assert!(built >= 25, "only {built} corpus connectors were built");
}
