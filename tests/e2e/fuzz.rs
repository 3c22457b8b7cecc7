//! Mutated real documents never panic or hang the extractor: truncations, byte flips and
//! structural edits (wrong types, dangling and looping `$ref`s, hostile names) of corpus files.

use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn corpus_files() -> Vec<PathBuf> {
    let dir = std::env::var_os("CONNECTOR_AGENT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("openapi"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    // Small and medium documents keep the run short; the big ones are covered by the corpus tests.
    files.retain(|p| {
        std::fs::metadata(p)
            .map(|m| m.len() < 600_000)
            .unwrap_or(false)
    });
    files.sort();
    files
}

/// A tiny deterministic generator for mutation choices.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const HOSTILE: &[&str] = &[
    "\"}}{{#each x}}*/",
    "type",
    "ref",
    "../../etc/passwd",
    "\u{202e}evil\n",
    "",
    "🦀",
];

fn mutate_value(v: &mut Value, rng: &mut Rng, depth: usize) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = keys[rng.below(keys.len())].clone();
            match rng.below(8) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, Value::String(HOSTILE[rng.below(HOSTILE.len())].into()));
                }
                2 => {
                    map.insert(
                        key,
                        serde_json::json!({ "$ref": "#/components/schemas/Nowhere" }),
                    );
                }
                3 => {
                    map.insert(key, serde_json::json!({ "$ref": "#" }));
                }
                4 => {
                    let v = map.remove(&key).unwrap();
                    map.insert(HOSTILE[rng.below(HOSTILE.len())].into(), v);
                }
                5 => {
                    map.insert(key, Value::Array(vec![Value::Null, Value::Bool(true)]));
                }
                _ if depth < 12 => mutate_value(map.get_mut(&key).unwrap(), rng, depth + 1),
                _ => {}
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = rng.below(items.len());
            if rng.below(3) == 0 {
                items.remove(i);
            } else if depth < 12 {
                mutate_value(&mut items[i], rng, depth + 1);
            }
        }
        other => *other = Value::from(rng.next() as i64),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn mutated_corpus_documents_never_panic(seed in any::<u64>(), file_pick in any::<usize>(), edits in 1usize..20) {
        let files = corpus_files();
        if files.is_empty() {
            return Ok(());
        }
        let file = &files[file_pick % files.len()];
        let bytes = std::fs::read(file).unwrap();
        let mut rng = Rng(seed | 1);
        let dir = tempfile::tempdir().unwrap();

        // Byte-level: truncate and flip.
        let mut raw = bytes.clone();
        raw.truncate(rng.below(raw.len() + 1));
        for _ in 0..edits {
            if !raw.is_empty() {
                let i = rng.below(raw.len());
                raw[i] = b"{}[]:,\"'\n -#&*!|>"[rng.below(17)];
            }
        }
        let path = dir.path().join(file.file_name().unwrap());
        std::fs::write(&path, &raw).unwrap();
        let outcome = std::panic::catch_unwind(|| connector_agent_extract::extract_openapi_file(&path));
        prop_assert!(outcome.is_ok(), "panic on byte-mutated {}", file.display());

        // Structure-level: wrong types, dangling and looping refs, hostile names.
        if let Ok(mut doc) = connector_agent_extract::read_document(file) {
            for _ in 0..edits {
                mutate_value(&mut doc, &mut rng, 0);
            }
            let outcome = std::panic::catch_unwind(|| connector_agent_extract::extract_openapi(&doc, "mutated"));
            prop_assert!(outcome.is_ok(), "panic on structurally mutated {}", file.display());
            if let Ok(Ok(model)) = outcome {
                // Whatever was extracted must still generate escaped, valid source.
                if model.selected().next().is_some() {
                    let options = connector_agent_codegen::CodegenOptions { crate_name: Some("fuzzed".into()), sdk_path: "x".into() };
                    let generated = std::panic::catch_unwind(|| connector_agent_codegen::generate(&model, &options));
                    prop_assert!(generated.is_ok(), "codegen panicked on {}", file.display());
                }
            }
        }
    }
}
