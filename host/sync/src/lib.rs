//! Stage: orchestration.
//!
//! A connection lives in the metadata store (`connector-agent-store`: SQLite in the data
//! directory by default, PostgreSQL by URL). This crate is the application over it: [`App`]
//! drives extract → codegen → builder → runtime, runs Save & Test, and runs syncs:
//! the connector's records flow through a channel into a writer task that commits each
//! checkpoint's rows with its state in one transaction.

pub mod app;
pub mod policy;
mod probe;

pub use app::{oauth, App, FailedTable, SyncReport, TableReport, TestReport};
pub use connector_agent_store as store;
pub use connector_agent_store::{
    error_chain, Connection, Customization, Input, JobRecord, Phase, SchemaPolicy, SyncRun,
    Workspace, DESTINATION_PASSWORD, DESTINATION_PASSWORD_FIELD,
};

/// Orchestration errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Extraction failed.
    #[error(transparent)]
    Extract(#[from] connector_agent_extract::Error),
    /// Code generation failed.
    #[error(transparent)]
    Codegen(#[from] connector_agent_codegen::Error),
    /// Compiling the connector failed.
    #[error(transparent)]
    Build(#[from] connector_agent_builder::Error),
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] connector_agent_runtime::Error),
    /// The destination failed.
    #[error(transparent)]
    Destination(#[from] connector_agent_destination::Error),
    /// The metadata store (a connection, its model, config, jobs or history) failed.
    #[error(transparent)]
    Metadata(#[from] connector_agent_store::Error),
    /// The connection is not in a state that allows the command.
    #[error("connection `{id}`: {reason}")]
    NotReady {
        /// Connection id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Bad config input.
    #[error("config: {0}")]
    Config(String),
    /// The sync failed; the destination holds what was committed before.
    #[error("sync of `{id}` failed after committing {committed_rows} rows: {reason}")]
    SyncFailed {
        /// Connection id.
        id: String,
        /// Rows committed by this run before the failure.
        committed_rows: u64,
        /// Why.
        reason: String,
    },
    /// Some tables failed while the others synced and committed: the report lists both
    /// (`report.failed_tables` with each cause). The failed tables' pages before the failure
    /// are committed too, and the next sync continues them.
    #[error("sync of `{id}` was partial: {} of {} tables failed ({}); the others synced", report.failed_tables.len(), report.tables.len(), report.failed_tables.iter().map(|f| format!("`{}`: {}", f.table, f.cause)).collect::<Vec<_>>().join("; "))]
    SyncPartial {
        /// Connection id.
        id: String,
        /// What synced, and which tables failed and why.
        report: Box<SyncReport>,
    },
    /// The sync was stopped on request; the destination holds what was committed before.
    #[error("sync of `{id}` stopped after committing {committed_rows} rows; the next sync resumes from the last committed page")]
    Stopped {
        /// Connection id.
        id: String,
        /// Rows committed by this run before the stop.
        committed_rows: u64,
    },
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An error whose text held a secret of the connection, with the secret replaced.
    #[error("{0}")]
    Redacted(String),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error with the connection's secrets taken out of its messages. Errors whose text comes
/// from elsewhere (the API, the connector, the runtime) become their redacted text.
pub(crate) fn redact_error(e: Error, redactor: &connector_agent_runtime::Redactor) -> Error {
    if redactor.is_empty() {
        return e;
    }
    match e {
        Error::SyncFailed {
            id,
            committed_rows,
            reason,
        } => Error::SyncFailed {
            id,
            committed_rows,
            reason: redactor.redact(&reason),
        },
        Error::SyncPartial { id, mut report } => {
            for f in &mut report.failed_tables {
                f.cause = redactor.redact(&f.cause);
            }
            Error::SyncPartial { id, report }
        }
        Error::Config(m) => Error::Config(redactor.redact(&m)),
        Error::NotReady { id, reason } => Error::NotReady {
            id,
            reason: redactor.redact(&reason),
        },
        other => {
            let text = error_chain(&other);
            let clean = redactor.redact(&text);
            if clean == text {
                other
            } else {
                Error::Redacted(clean)
            }
        }
    }
}
