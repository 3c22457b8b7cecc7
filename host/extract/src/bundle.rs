//! Relative-file `$ref`s (`common.yaml#/components/schemas/Pet`), bundled into the root
//! document so that the resolver only ever follows local references.
//!
//! Each referenced target is copied once under `#/x-connector-agent-bundled/<n>` and every
//! reference to it is rewritten; local references inside a copied fragment are rewritten to
//! point into the bundle of the file they came from. Only files inside the root document's
//! folder are read (no `..` escape, no absolute paths, no URLs), at most [`MAX_FILES`] of them;
//! a reference to any other file stays unresolved and is reported where it is used.

use crate::{read_document, Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Most external files one document may pull in.
const MAX_FILES: usize = 64;
/// Key under which bundled targets are stored in the root.
pub(crate) const BUNDLE_KEY: &str = "x-connector-agent-bundled";

struct Bundler {
    base: PathBuf,
    docs: HashMap<PathBuf, Value>,
    /// (file, pointer) → index in `bundled`.
    done: HashMap<(PathBuf, String), usize>,
    bundled: Vec<Value>,
    source: String,
}

impl Bundler {
    fn structure(&self, pointer: &str, reason: String) -> Error {
        Error::Structure {
            document: self.source.clone(),
            pointer: pointer.to_string(),
            reason,
        }
    }

    fn load(&mut self, file: &Path, at: &str) -> Result<()> {
        if self.docs.contains_key(file) {
            return Ok(());
        }
        if self.docs.len() >= MAX_FILES {
            return Err(self.structure(at, format!("more than {MAX_FILES} referenced files")));
        }
        let doc = read_document(file)?;
        self.docs.insert(file.to_path_buf(), doc);
        Ok(())
    }

    /// The file a relative reference names, checked to stay inside the base folder.
    fn target_file(&self, from: &Path, rel: &str, at: &str) -> Result<PathBuf> {
        if rel.contains("://") || Path::new(rel).is_absolute() {
            return Err(self.structure(at, format!("`$ref` `{rel}` is not a relative file")));
        }
        let dir = from.parent().unwrap_or(Path::new("."));
        let joined = dir.join(rel);
        let canonical = joined
            .canonicalize()
            .map_err(|e| self.structure(at, format!("`$ref` file `{rel}` cannot be read: {e}")))?;
        if !canonical.starts_with(&self.base) {
            return Err(self.structure(
                at,
                format!("`$ref` `{rel}` points outside the document's folder"),
            ));
        }
        Ok(canonical)
    }

    /// Bundles the target `(file, pointer)` and returns its local reference.
    fn bundle(&mut self, file: &Path, pointer: &str, at: &str) -> Result<String> {
        let key = (file.to_path_buf(), pointer.to_string());
        if let Some(i) = self.done.get(&key) {
            return Ok(format!("#/{BUNDLE_KEY}/{i}"));
        }
        self.load(file, at)?;
        let i = self.bundled.len();
        self.done.insert(key, i);
        self.bundled.push(Value::Null);
        let root = &self.docs[file];
        let mut target = if pointer.is_empty() || pointer == "/" {
            root.clone()
        } else {
            root.pointer(pointer).cloned().ok_or_else(|| {
                self.structure(
                    at,
                    format!(
                        "`$ref` target `{}#{pointer}` does not exist",
                        file.display()
                    ),
                )
            })?
        };
        self.rewrite(&mut target, file, false, at)?;
        self.bundled[i] = target;
        Ok(format!("#/{BUNDLE_KEY}/{i}"))
    }

    /// Rewrites every reference in `value`, which belongs to `file`. In the root document,
    /// local references stay; in other files they are bundled too.
    fn rewrite(&mut self, value: &mut Value, file: &Path, is_root: bool, at: &str) -> Result<()> {
        self.rewrite_at(value, file, is_root, at, 0)
    }

    fn rewrite_at(
        &mut self,
        value: &mut Value,
        file: &Path,
        is_root: bool,
        at: &str,
        depth: usize,
    ) -> Result<()> {
        if depth > 512 {
            return Err(self.structure(at, "the document nests deeper than 512 levels".into()));
        }
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let r = r.clone();
                    let (path_part, pointer) = r.split_once('#').unwrap_or((r.as_str(), ""));
                    if path_part.is_empty() {
                        if !is_root {
                            let new = self.bundle(file, pointer, at)?;
                            map.insert("$ref".into(), Value::String(new));
                        }
                    } else {
                        // A file that is missing, unreadable or outside the folder is not read:
                        // the reference stays as it is, and the resolver reports it where used.
                        if let Ok(target) = self.target_file(file, path_part, at) {
                            let new = self.bundle(&target, pointer, at)?;
                            map.insert("$ref".into(), Value::String(new));
                        }
                    }
                    return Ok(());
                }
                for child in map.values_mut() {
                    self.rewrite_at(child, file, is_root, at, depth + 1)?;
                }
            }
            Value::Array(items) => {
                for child in items.iter_mut() {
                    self.rewrite_at(child, file, is_root, at, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether a document has any reference to another file.
fn has_external(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    if !r.starts_with('#') {
                        return true;
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    false
}

/// Bundles the relative-file references of the document read from `path`.
pub(crate) fn bundle_file_refs(doc: &mut Value, path: &Path) -> Result<()> {
    if !has_external(doc) {
        return Ok(());
    }
    let canonical = path.canonicalize().map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base = canonical.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut b = Bundler {
        base,
        docs: HashMap::new(),
        done: HashMap::new(),
        bundled: Vec::new(),
        source: path.display().to_string(),
    };
    b.rewrite(doc, &canonical, true, "#")?;
    if let Value::Object(root) = doc {
        root.insert(
            BUNDLE_KEY.into(),
            Value::Object(Map::from_iter(
                b.bundled
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v)),
            )),
        );
    }
    Ok(())
}
