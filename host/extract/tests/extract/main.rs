//! Tests of the extract crate's public API: the real corpus, hostile inputs, inference
//! rules on small inline specs, and the docs crawler against in-process sites.

mod corpus;
mod crawl;
mod docsite;
mod generators;
mod hostile;
mod inference;
mod limits;
mod postman;
mod prose;
mod support;
mod tables;
