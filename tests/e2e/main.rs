//! End-to-end tests: one binary, one module per area (see tests/README.md).

mod cli;
mod generate;
mod runtime;
mod support;
mod sync;
