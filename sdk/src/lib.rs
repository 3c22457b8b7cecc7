//! The connector SDK: everything a connector component is built from, and the logic the
//! host's Save & Test runs natively so that it checks exactly what the sync will do.
//!
//! A generated connector only declares its API as static data ([`ConnectorDecl`]) and calls
//! [`export_connector!`]; the `guest` feature (on by default) brings the bindings to
//! `wit/connector.wit`, the driver that walks the declared endpoints, and the macro. Without
//! it the crate is pure logic, compiled natively by the host: building request URLs
//! ([`url`]), paging ([`paginate`]) and the signs that a page has more ([`more`]), reading records from a body ([`records`]), times
//! ([`time`]) and incremental cursors ([`cursor`]). Nothing here does I/O except through the
//! host imports; nothing here is generic over the connector, so it compiles once.
#![warn(missing_docs)]
// Without the driver (the host's use), the parts only the driver calls are unused.
#![cfg_attr(
    not(feature = "guest"),
    allow(dead_code, reason = "the driver is the only caller of some items")
)]

/// Bindings to the WIT world `connector`, generated once for every connector.
#[cfg(feature = "guest")]
#[allow(missing_docs, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "connector",
        pub_export_macro: true,
        default_bindings_module: "connector_agent_sdk::bindings",
    });
}

pub mod cursor;
mod decl;
#[cfg(feature = "guest")]
mod driver;
#[cfg(feature = "guest")]
mod http;
pub mod more;
pub mod paginate;
pub mod records;
pub mod state;
pub mod time;
pub mod url;

pub use decl::*;
#[cfg(feature = "guest")]
pub use driver::{check, discover, spec, sync};

/// Config as handed to the connector (never holds secrets).
#[cfg(feature = "guest")]
pub type Config = [bindings::connector_agent::connector::types::ConfigEntry];

/// Declares the exported component for a static [`ConnectorDecl`].
///
/// ```ignore
/// static CONNECTOR: ConnectorDecl = ConnectorDecl { .. };
/// connector_agent_sdk::export_connector!(CONNECTOR);
/// ```
#[cfg(feature = "guest")]
#[macro_export]
macro_rules! export_connector {
    ($decl:path) => {
        struct Connector;

        impl $crate::bindings::exports::connector_agent::connector::source::Guest for Connector {
            fn spec(
            ) -> ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::ConfigField>
            {
                $crate::spec(&$decl)
            }
            fn discover(
                config: ::std::vec::Vec<
                    $crate::bindings::connector_agent::connector::types::ConfigEntry,
                >,
            ) -> ::std::result::Result<
                ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::TableSchema>,
                $crate::bindings::connector_agent::connector::types::ConnectorError,
            > {
                $crate::discover(&$decl, &config)
            }
            fn check(
                config: ::std::vec::Vec<
                    $crate::bindings::connector_agent::connector::types::ConfigEntry,
                >,
                tables: ::std::vec::Vec<::std::string::String>,
            ) -> ::std::vec::Vec<$crate::bindings::connector_agent::connector::types::CheckResult>
            {
                $crate::check(&$decl, &config, &tables)
            }
            fn sync(
                config: ::std::vec::Vec<
                    $crate::bindings::connector_agent::connector::types::ConfigEntry,
                >,
                selection: ::std::vec::Vec<
                    $crate::bindings::connector_agent::connector::types::TableSelection,
                >,
                state: ::std::option::Option<::std::string::String>,
            ) -> ::std::result::Result<
                (),
                $crate::bindings::connector_agent::connector::types::ConnectorError,
            > {
                $crate::sync(&$decl, &config, &selection, state.as_deref())
            }
        }

        $crate::bindings::export!(Connector);
    };
}
