//! Tests of the extract crate's public API: the real corpus, hostile inputs and inference
//! rules on small inline specs.

mod corpus;
mod hostile;
mod inference;
