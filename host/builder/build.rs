//! Embeds the connector SDK: every file of `sdk/` a connector build needs (its manifest, its
//! lock file, its sources) and the WIT contract, listed from the directories themselves so a
//! new SDK module cannot be left out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let mut files: Vec<(String, PathBuf)> = vec![
        ("wit/connector.wit".into(), root.join("wit/connector.wit")),
        ("sdk/Cargo.toml".into(), root.join("sdk/Cargo.toml")),
        ("sdk/Cargo.lock".into(), root.join("sdk/Cargo.lock")),
    ];
    let mut sources = Vec::new();
    collect(&root.join("sdk/src"), "sdk/src", &mut sources);
    sources.sort();
    files.extend(sources);
    let mut out = String::from("&[\n");
    for (rel, path) in &files {
        let path = path
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("]\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("sdk_files.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
    for p in ["wit", "sdk/Cargo.toml", "sdk/Cargo.lock", "sdk/src"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
}

fn collect(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("a readable SDK directory");
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            collect(&path, &format!("{rel}/{name}"), out);
        } else if name.ends_with(".rs") {
            out.push((format!("{rel}/{name}"), path));
        }
    }
}
