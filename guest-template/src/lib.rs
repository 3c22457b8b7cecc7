//! Stage: the guest SDK every connector is built from.
//!
//! It owns the bindings to `wit/connector.wit` and all logic connectors share: building
//! requests, paging, selecting records, dropping blocked columns, incremental cursors and
//! checkpoints. A generated connector only declares its API as static data
//! ([`ConnectorDecl`]) and calls [`export_connector!`]. Nothing here does I/O except through
//! the host imports; nothing here is generic over the connector, so it compiles once.
#![warn(missing_docs)]

/// Bindings to the WIT world `connector`, generated once for every connector.
#[allow(missing_docs, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "connector",
        pub_export_macro: true,
        default_bindings_module: "connector_agent_guest::bindings",
    });
}

pub mod cursor;
mod decl;
mod driver;
mod http;
mod paginate;
mod records;
mod state;
mod time;

pub use decl::*;
pub use driver::{check, discover, spec, sync};

use bindings::connector_agent::connector::types;

/// Config as handed to the connector (never holds secrets).
pub type Config = [types::ConfigEntry];

/// Declares the exported component for a static [`ConnectorDecl`].
///
/// ```ignore
/// static CONNECTOR: ConnectorDecl = ConnectorDecl { .. };
/// connector_agent_guest::export_connector!(CONNECTOR);
/// ```
#[macro_export]
macro_rules! export_connector {
    ($decl:path) => {
        struct Connector;

        impl $crate::bindings::exports::connector_agent::connector::source::Guest for Connector {
            fn spec() -> ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::ConfigField> {
                $crate::spec(&$decl)
            }
            fn discover(
                config: ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::ConfigEntry>,
            ) -> ::std::result::Result<
                ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::TableSchema>,
                $crate::bindings::connector_agent::connector::types::ConnectorError,
            > {
                $crate::discover(&$decl, &config)
            }
            fn check(
                config: ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::ConfigEntry>,
                tables: ::std::vec::Vec<::std::string::String>,
            ) -> ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::CheckResult> {
                $crate::check(&$decl, &config, &tables)
            }
            fn sync(
                config: ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::ConfigEntry>,
                selection: ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::TableSelection>,
                state: ::std::option::Option<::std::string::String>,
            ) -> ::std::result::Result<(), $crate::bindings::connector_agent::connector::types::ConnectorError> {
                $crate::sync(&$decl, &config, &selection, state.as_deref())
            }
        }

        $crate::bindings::export!(Connector);
    };
}
