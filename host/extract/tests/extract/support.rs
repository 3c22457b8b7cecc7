//! Helpers shared by the test modules: where the corpus is, and scorecard floors.

use connector_agent_extract::Scorecard;
use connector_agent_model::{ApiModel, Endpoint};
use std::path::PathBuf;

/// The corpus folder (`CONNECTOR_AGENT_CORPUS`, else `shared/corpus` beside the checkout),
/// when it holds `sub` (a subfolder such as `openapi`; empty for the folder itself).
pub fn corpus_with(sub: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("CONNECTOR_AGENT_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    dir.join(sub).is_dir().then_some(dir)
}

/// A scorecard floor: lists, with key, with paginator, with record path, with incremental,
/// with parent.
pub const fn card(
    lists: usize,
    with_key: usize,
    with_paginator: usize,
    with_record_path: usize,
    with_incremental: usize,
    with_parent: usize,
) -> Scorecard {
    Scorecard {
        lists,
        with_key,
        with_paginator,
        with_record_path,
        with_incremental,
        with_parent,
    }
}

/// The model's endpoint with this path; the panic lists the paths there are.
pub fn endpoint<'m>(model: &'m ApiModel, path: &str) -> &'m Endpoint {
    model
        .endpoints
        .iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| {
            let paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
            panic!("no endpoint `{path}` among {paths:#?}")
        })
}
