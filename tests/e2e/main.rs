//! End-to-end tests: one binary, one module per area (see tests/README.md).

mod atlas;
mod churn;
mod cli;
mod corpus;
mod fuzz;
mod generate;
mod golden;
mod guards;
mod inputs;
mod memory;
mod mocks;
mod oauth;
mod paging;
mod plugin;
mod postgres;
mod probe;
mod runtime;
mod store;
mod support;
mod sync;
mod unseen;
