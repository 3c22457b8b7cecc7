//! The real API descriptions in the shared corpus (never copied into the repo).

use std::path::PathBuf;
use std::time::Instant;

use connector_agent_extract::{extract_openapi_report, read_document, scorecard};

/// The corpus folder: `CONNECTOR_AGENT_CORPUS`, else `shared/corpus` beside the checkout.
fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CONNECTOR_AGENT_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    dir.join("openapi").is_dir().then_some(dir)
}

#[test]
fn corpus_dump() {
    let Some(dir) = corpus_dir() else { return };
    let Some(out) = std::env::var_os("CONNECTOR_AGENT_DUMP") else { return };
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir.join("openapi")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut lines = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let start = Instant::now();
        let doc = read_document(&file).unwrap();
        let read = start.elapsed();
        let report = extract_openapi_report(&doc, &name).unwrap();
        let total = start.elapsed();
        let card = scorecard(&report.model);
        lines.push(format!("{name}: {card:?} read {read:?} total {total:?}"));
        std::fs::write(out.join(format!("{name}.model.json")), serde_json::to_string_pretty(&report.model).unwrap()).unwrap();
        let skipped: Vec<String> = report.skipped.iter().map(|s| format!("{} {} — {}", s.method, s.path, s.reason)).collect();
        std::fs::write(out.join(format!("{name}.skipped.txt")), skipped.join("\n") + "\n" + &report.warnings.join("\n")).unwrap();
    }
    std::fs::write(out.join("summary.txt"), lines.join("\n")).unwrap();
}
