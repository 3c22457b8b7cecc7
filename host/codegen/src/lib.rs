//! Stage: model → the source files of one connector crate.
//!
//! Renders `host/codegen/templates/*.hbs` with handlebars in strict mode and without HTML
//! escaping. Nothing from the spec reaches the output raw: every value passes through a typed
//! helper (`str_lit`, `toml_str`, `doc`, `num`, ...). Output is deterministic. No I/O here
//! beyond [`GeneratedCrate::write_to`].

use connector_agent_model::{
    ApiModel, ColumnType, CursorFormat, Endpoint, Pagination, RecordLayout,
};
use handlebars::{
    no_escape, Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A template failed to render (a bug in a template, or a value a helper refused).
    #[error("rendering template `{template}` failed")]
    Render {
        /// Template name.
        template: String,
        /// Cause.
        #[source]
        source: handlebars::RenderError,
    },
    /// The model cannot be generated.
    #[error("invalid model: {0}")]
    Model(String),
    /// The rendered source is not valid Rust (a bug in a template or a helper), caught
    /// before cargo runs.
    #[error("the generated `{file}` is not valid Rust: {message}")]
    Syntax {
        /// The generated file.
        file: String,
        /// What the parser said.
        message: String,
    },
    /// Writing a file failed.
    #[error("writing `{path}` failed")]
    Write {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Options for one generated crate.
#[derive(Debug, Clone)]
pub struct CodegenOptions {
    /// Cargo package name; derived from the model when `None`.
    pub crate_name: Option<String>,
    /// Path from the generated crate to the guest SDK crate.
    pub sdk_path: String,
}

/// The files of one connector crate.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCrate {
    /// Cargo package name.
    pub crate_name: String,
    /// Relative path and content of each file, sorted by path.
    pub files: Vec<(PathBuf, String)>,
}

const CARGO_TOML: &str = include_str!("../templates/Cargo.toml.hbs");
const LIB_RS: &str = include_str!("../templates/lib.rs.hbs");
const P_ENDPOINT: &str = include_str!("../templates/partials/endpoint.hbs");
const P_PAGING: &str = include_str!("../templates/partials/paging.hbs");
const P_PAGE_SIZE: &str = include_str!("../templates/partials/page_size.hbs");
const P_END_SIGNAL: &str = include_str!("../templates/partials/end_signal.hbs");

fn registry() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(no_escape);
    for (name, text) in [
        ("Cargo.toml", CARGO_TOML),
        ("lib.rs", LIB_RS),
        ("endpoint", P_ENDPOINT),
        ("paging", P_PAGING),
        ("page_size", P_PAGE_SIZE),
        ("end_signal", P_END_SIGNAL),
    ] {
        hb.register_template_string(name, text)
            .expect("bundled templates parse");
    }
    hb.register_helper("str_lit", Box::new(str_lit));
    hb.register_helper("toml_str", Box::new(toml_str));
    hb.register_helper("doc", Box::new(doc));
    hb.register_helper("num", Box::new(num));
    hb.register_helper("bool", Box::new(boolean));
    hb.register_helper("opt_str", Box::new(opt_str));
    hb.register_helper("str_slice", Box::new(str_slice));
    hb.register_helper("opt_str_slice", Box::new(opt_str_slice));
    hb
}

fn param<'a>(h: &'a Helper<'_>, name: &'static str) -> Result<&'a Value, RenderErrorReason> {
    h.param(0)
        .map(|p| p.value())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))
}

fn string_param(h: &Helper<'_>, name: &'static str) -> Result<String, RenderErrorReason> {
    match param(h, name)? {
        Value::String(s) => Ok(s.clone()),
        other => Err(RenderErrorReason::Other(format!(
            "`{name}` expects a string, got {other}"
        ))),
    }
}

/// Rust string literal, escaped by `{:?}`.
pub fn rust_str(s: &str) -> String {
    format!("{s:?}")
}

fn rust_str_slice(v: &Value, helper: &'static str) -> Result<String, RenderErrorReason> {
    let items = v
        .as_array()
        .ok_or_else(|| RenderErrorReason::Other(format!("`{helper}` expects a list, got {v}")))?;
    let mut out = String::from("&[");
    for (i, item) in items.iter().enumerate() {
        let s = item.as_str().ok_or_else(|| {
            RenderErrorReason::Other(format!("`{helper}` expects strings, got {item}"))
        })?;
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&rust_str(s));
    }
    out.push(']');
    Ok(out)
}

fn str_lit(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&rust_str(&string_param(h, "str_lit")?))?;
    Ok(())
}

fn toml_str(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    // A JSON string literal is a valid TOML basic string.
    let s = string_param(h, "toml_str")?;
    out.write(&serde_json::to_string(&s).map_err(|e| RenderErrorReason::Other(e.to_string()))?)?;
    Ok(())
}

/// Line separators, bidi overrides and zero-width characters ("Trojan Source").
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Text for a `//` comment: one line, printable, no comment terminators.
pub fn comment_text(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| {
            if c.is_control() || is_invisible_format(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut t = one_line.replace("*/", "* /").replace("/*", "/ *");
    if t.chars().count() > 200 {
        t = t.chars().take(200).collect::<String>() + "…";
    }
    t
}

fn doc(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&comment_text(&string_param(h, "doc")?))?;
    Ok(())
}

fn num(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    match param(h, "num")? {
        Value::Number(n) if n.is_u64() => out.write(&n.to_string())?,
        other => {
            return Err(RenderErrorReason::Other(format!(
                "`num` expects an unsigned integer, got {other}"
            ))
            .into())
        }
    }
    Ok(())
}

fn boolean(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    match param(h, "bool")? {
        Value::Bool(b) => out.write(if *b { "true" } else { "false" })?,
        other => {
            return Err(
                RenderErrorReason::Other(format!("`bool` expects a boolean, got {other}")).into(),
            )
        }
    }
    Ok(())
}

fn opt_str(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    match param(h, "opt_str")? {
        Value::Null => out.write("None")?,
        Value::String(s) => out.write(&format!("Some({})", rust_str(s)))?,
        other => {
            return Err(RenderErrorReason::Other(format!(
                "`opt_str` expects a string or null, got {other}"
            ))
            .into())
        }
    }
    Ok(())
}

fn str_slice(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&rust_str_slice(param(h, "str_slice")?, "str_slice")?)?;
    Ok(())
}

fn opt_str_slice(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    match param(h, "opt_str_slice")? {
        Value::Null => out.write("None")?,
        v => out.write(&format!("Some({})", rust_str_slice(v, "opt_str_slice")?))?,
    }
    Ok(())
}

fn column_kind(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String => "String",
        ColumnType::Integer => "Integer",
        ColumnType::Number => "Number",
        ColumnType::Boolean => "Boolean",
        ColumnType::Timestamp => "Timestamp",
        ColumnType::Json => "Json",
    }
}

fn cursor_format(f: CursorFormat) -> &'static str {
    match f {
        CursorFormat::Same => "Same",
        CursorFormat::UnixSeconds => "UnixSeconds",
        CursorFormat::Rfc3339 => "Rfc3339",
        CursorFormat::HttpDate => "HttpDate",
    }
}

/// The endpoints a connector declares: the selected ones plus the parents they need,
/// parents first.
pub fn declared_endpoints(model: &ApiModel) -> Result<Vec<&Endpoint>> {
    let mut needed: Vec<&Endpoint> = Vec::new();
    for e in model.selected() {
        let mut chain = vec![e];
        let mut cur = e;
        while let Some(p) = &cur.parent {
            let parent = model.endpoint_by_table(&p.table).ok_or_else(|| {
                Error::Model(format!(
                    "table `{}` names parent `{}`, which does not exist",
                    cur.table, p.table
                ))
            })?;
            if chain.iter().any(|c| c.table == parent.table) {
                return Err(Error::Model(format!(
                    "table `{}` is its own ancestor",
                    parent.table
                )));
            }
            chain.push(parent);
            cur = parent;
        }
        for c in chain.into_iter().rev() {
            if !needed.iter().any(|n| n.table == c.table) {
                needed.push(c);
            }
        }
    }
    Ok(needed)
}

fn endpoint_view(e: &Endpoint) -> Result<Value> {
    let mut v = serde_json::to_value(e).map_err(|err| Error::Model(err.to_string()))?;
    let obj = v
        .as_object_mut()
        .expect("an endpoint serialises to an object");
    let columns: Vec<Value> = e
        .columns
        .iter()
        .map(|c| json!({ "name": c.name, "kind": column_kind(c.ty), "nullable": c.nullable }))
        .collect();
    obj.insert("columns".into(), Value::Array(columns));
    obj.insert(
        "layout".into(),
        Value::from(match e.layout {
            RecordLayout::Plain => "Plain",
            RecordLayout::JsonApi => "JsonApi",
        }),
    );
    // Skipped in the model's JSON when empty; strict mode refuses a missing one.
    obj.insert(
        "headers".into(),
        serde_json::to_value(&e.headers).map_err(|err| Error::Model(err.to_string()))?,
    );
    obj.insert(
        "incremental".into(),
        match &e.incremental {
            Some(i) => json!({ "param": i.param, "cursor_field": i.cursor_field, "format": cursor_format(i.format), "header": i.header }),
            None => Value::Null,
        },
    );
    // Offset and page-number paging name their end signal, `None` when the model has none
    // (the field is skipped in the model's JSON, and strict mode refuses a missing one).
    if let Some(paging) = obj.get_mut("pagination").and_then(Value::as_object_mut) {
        if matches!(
            e.pagination,
            Pagination::Offset { .. } | Pagination::PageNumber { .. }
        ) {
            paging.entry("end").or_insert(Value::Null);
        }
    }
    obj.insert(
        "parent".into(),
        serde_json::to_value(&e.parent).map_err(|err| Error::Model(err.to_string()))?,
    );
    Ok(v)
}

/// Longest crate name made (Cargo's own limit is 64).
const MAX_CRATE_NAME: usize = 64;

/// A Cargo package name for a model: `connector-<name>`, sanitised. A name that does not fit
/// in [`MAX_CRATE_NAME`] characters, or that loses characters to the sanitising (anything but
/// ASCII), is cut and ends in a hash of the whole name, so it stays valid, stable and distinct.
pub fn default_crate_name(model: &ApiModel) -> String {
    let slug = connector_agent_model::snake_ident(&model.name).replace('_', "-");
    let plain = format!("connector-{slug}");
    if plain.len() <= MAX_CRATE_NAME && model.name.is_ascii() {
        return plain;
    }
    let hash = hex::encode(&Sha256::digest(model.name.as_bytes())[..4]);
    // `connector-` + slug + `-` + 8 hex digits; the slug is ASCII, so any cut is a boundary.
    let room = MAX_CRATE_NAME - "connector-".len() - 1 - hash.len();
    let cut = slug[..slug.len().min(room)].trim_end_matches('-');
    format!("connector-{cut}-{hash}")
}

fn valid_crate_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Renders the crate for a model.
pub fn generate(model: &ApiModel, options: &CodegenOptions) -> Result<GeneratedCrate> {
    let crate_name = options
        .crate_name
        .clone()
        .unwrap_or_else(|| default_crate_name(model));
    if !valid_crate_name(&crate_name) {
        return Err(Error::Model(format!("invalid crate name `{crate_name}`")));
    }
    let endpoints = declared_endpoints(model)?;
    if endpoints.is_empty() {
        return Err(Error::Model("no endpoint is selected".into()));
    }
    let endpoints: Vec<Value> = endpoints
        .into_iter()
        .map(endpoint_view)
        .collect::<Result<_>>()?;
    let view = json!({
        "name": model.name,
        "crate_name": crate_name,
        "sdk_path": options.sdk_path,
        "config": model.config,
        "endpoints": endpoints,
    });
    let hb = registry();
    let render = |template: &str| {
        hb.render(template, &view).map_err(|source| Error::Render {
            template: template.into(),
            source,
        })
    };
    let model_json =
        serde_json::to_string_pretty(model).map_err(|e| Error::Model(e.to_string()))? + "\n";
    let files = vec![
        (PathBuf::from("Cargo.toml"), render("Cargo.toml")?),
        (PathBuf::from("connector.json"), model_json),
        (
            PathBuf::from("src/lib.rs"),
            format_rust("src/lib.rs", &render("lib.rs")?)?,
        ),
    ];
    Ok(GeneratedCrate { crate_name, files })
}

/// Parses generated Rust (rejecting anything that is not valid Rust before cargo sees it)
/// and prints it formatted with `prettyplease`. The leading `//` header lines (not part of
/// the syntax tree) are kept as they are.
fn format_rust(file: &str, source: &str) -> Result<String> {
    let header_end = source
        .split_inclusive('\n')
        .take_while(|l| l.starts_with("// "))
        .map(str::len)
        .sum::<usize>();
    let (header, code) = source.split_at(header_end);
    let tree = syn::parse_file(code).map_err(|e| Error::Syntax {
        file: file.into(),
        message: e.to_string(),
    })?;
    Ok(format!("{header}{}", prettyplease::unparse(&tree)))
}

impl GeneratedCrate {
    /// SHA-256 over every file's path and content.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for (path, text) in &self.files {
            h.update(path.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(text.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }

    /// Writes the files under `dir`, replacing what is there only when it differs.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        for (rel, text) in &self.files {
            let path = dir.join(rel);
            if std::fs::read_to_string(&path).is_ok_and(|old| &old == text) {
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                    path: parent.into(),
                    source,
                })?;
            }
            std::fs::write(&path, text).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// The content of one file.
    pub fn file(&self, rel: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == Path::new(rel))
            .map(|(_, t)| t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_rust_is_parsed_and_formatted_with_its_header_kept() {
        let out = format_rust(
            "src/lib.rs",
            "// @generated\n// API: x\n//! Doc.\nuse a::*;  pub static X: &[u8] = &[1,2];\n",
        )
        .unwrap();
        assert_eq!(
            out,
            "// @generated\n// API: x\n//! Doc.\nuse a::*;\npub static X: &[u8] = &[1, 2];\n"
        );
        let err =
            format_rust("src/lib.rs", "// @generated\npub static X: u8 = \"1;\n").unwrap_err();
        assert!(
            matches!(&err, Error::Syntax { file, .. } if file == "src/lib.rs"),
            "{err}"
        );
    }

    #[test]
    fn long_and_unicode_names_make_valid_stable_crate_names() {
        let model = |name: &str| ApiModel {
            name: name.into(),
            version: None,
            sources: Vec::new(),
            servers: Vec::new(),
            auth: Vec::new(),
            config: Vec::new(),
            headers: Vec::new(),
            endpoints: Vec::new(),
        };
        assert_eq!(
            default_crate_name(&model("Billing API")),
            "connector-billing-api"
        );
        // 200 characters, with unicode: valid for Cargo, stable, and told apart by a hash.
        let long = "Données clients — Zürich ☃ ".repeat(8);
        assert_eq!(long.chars().count(), 216);
        let name = default_crate_name(&model(&long));
        assert!(valid_crate_name(&name), "{name}");
        assert!(name.len() <= 64, "{name}");
        assert_eq!(name, default_crate_name(&model(&long)));
        assert_ne!(name, default_crate_name(&model(&format!("{long}2"))));
        assert!(
            name.starts_with("connector-donn-es-clients-z-rich-"),
            "{name}"
        );
        let unicode = default_crate_name(&model("日本語"));
        assert!(valid_crate_name(&unicode), "{unicode}");
        assert_ne!(unicode, default_crate_name(&model("中文")));
        let digits = default_crate_name(&model(&"9".repeat(200)));
        assert!(valid_crate_name(&digits), "{digits}");
    }

    #[test]
    fn literals_escape_hostile_text() {
        assert_eq!(rust_str("a\"b\\c\n{{x}}"), r#""a\"b\\c\n{{x}}""#);
        assert_eq!(comment_text("x */ y\nz"), "x * / y z");
    }
}
