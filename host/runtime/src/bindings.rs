//! The one `bindgen!` of the host, for `wit/connector.wit`.
#![allow(missing_docs, reason = "generated bindings")]

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "connector",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use connector_agent::connector::types;
