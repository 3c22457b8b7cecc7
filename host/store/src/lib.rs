//! Stage: metadata.
//!
//! Where a connection's metadata lives: its inputs, the extracted model (with the user's
//! selection), config (secrets sealed by the [`vault`](crate::vault)), its phase, setup jobs
//! and sync history, in SQL ([`Store`]: SQLite in the data directory by default, PostgreSQL
//! by URL). A [`Workspace`] is a data directory with its store: the store's key, the default
//! warehouse, and a folder per connection for its locks and worker files. Nothing here
//! knows how a connector is made or run.

pub mod connection;
pub mod files;
pub mod store;
mod vault;
pub mod workspace;

pub use connection::{Connection, Customization, Input, Phase, SchemaPolicy};
pub use store::{phase_name, JobRecord, RunEnd, Store, SyncRun};
pub use workspace::Workspace;

/// The secret holding a PostgreSQL destination's password (kept apart from the URL).
pub const DESTINATION_PASSWORD: &str = "_destination_password";
/// The `setup --set` name under which a PostgreSQL destination's password is changed.
pub const DESTINATION_PASSWORD_FIELD: &str = "destination_password";

/// Metadata errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No such connection.
    #[error("no connection `{0}` (see `connector-agent list`)")]
    NoConnection(String),
    /// The connection is not in a state that allows the command.
    #[error("connection `{id}`: {reason}")]
    NotReady {
        /// Connection id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Bad config or key input.
    #[error("config: {0}")]
    Config(String),
    /// A metadata record is broken.
    #[error("reading `{path}` failed")]
    Metadata {
        /// File (or store record).
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// The metadata store failed.
    #[error("metadata store: {what}")]
    Store {
        /// What was being done.
        what: String,
        /// Cause.
        #[source]
        source: sqlx::Error,
    },
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
