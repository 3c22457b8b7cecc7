//! Stage: the destination database.
//!
//! One schema per connection, one table per synced endpoint, upsert by primary key, a
//! `_synced_at` column on every row, nested values as JSON. The sync state is written in the
//! same transaction as the rows it covers ([`Writer::commit`]), so a crash at any point leaves
//! the destination as it was after the last committed checkpoint. A page of records is loaded
//! with one statement per table from the JSON batch.
//!
//! - SQLite (the embedded default): `sqlite:PATH` names the warehouse; the connection's schema
//!   is the SQLite file `PATH`'s stem + `.` + schema + `.sqlite`, next to it. Columns keep
//!   whatever JSON scalar arrives (SQLite is dynamically typed); records load via `json_each`.
//! - PostgreSQL: `postgres://user[:pass]@host[:port]/db`; the connection's schema is a
//!   PostgreSQL schema (created when missing) holding the tables and the state table. Columns
//!   are typed (TEXT, BIGINT, DOUBLE PRECISION, BOOLEAN, TIMESTAMPTZ, JSONB; `_synced_at` is
//!   TIMESTAMPTZ); records load via `jsonb_array_elements`. A value that does not convert to
//!   its column's type is stored as NULL and never fails the page (see `ddl::Dialect` for the
//!   rules), and a record without its primary key is skipped.
//!
//! This crate writes; it decides no policy (which tables and columns exist is the caller's).

mod ddl;
mod writer;

pub use ddl::{quote_ident, ColumnSpec, Dialect, SqlType, TableSpec, STATE_TABLE, SYNCED_AT};
use sqlx::postgres::PgConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;
pub use writer::{CommitStats, Writer};

/// Destination errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The destination URL is not understood.
    #[error("invalid destination `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The schema name is not allowed.
    #[error(
        "invalid schema name `{0}`: use lower-case letters, digits and `_`, starting with a letter"
    )]
    SchemaName(String),
    /// A database operation failed.
    #[error("destination `{place}`: {action} failed")]
    Db {
        /// Database file or URL.
        place: String,
        /// What was being done.
        action: String,
        /// Cause.
        #[source]
        source: sqlx::Error,
    },
    /// A record batch names a table the destination was not prepared for.
    #[error("unknown table `{0}` in a record batch")]
    UnknownTable(String),
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where data goes. `Debug` shows no password.
#[derive(Clone, PartialEq, Eq)]
pub enum DestinationUrl {
    /// A SQLite warehouse path.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (it may hold a password: show [`DestinationUrl::describe`] instead).
    Postgres(String),
}

impl DestinationUrl {
    /// Parses `sqlite:PATH`, `sqlite://PATH` or `postgres://user[:pass]@host[:port]/db`
    /// (`postgresql://` too). An error never shows a password.
    pub fn parse(text: &str) -> Result<DestinationUrl> {
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(Error::Url {
                    url: text.into(),
                    reason: "the path is empty".into(),
                });
            }
            Ok(DestinationUrl::Sqlite(PathBuf::from(path)))
        } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            pg_options(text)?;
            Ok(DestinationUrl::Postgres(text.into()))
        } else {
            Err(Error::Url {
                url: redact_url(text),
                reason: "expected `sqlite:PATH` or `postgres://user[:pass]@host[:port]/db`".into(),
            })
        }
    }

    /// The SQLite file holding a schema.
    pub fn sqlite_schema_file(warehouse: &Path, schema: &str) -> PathBuf {
        let stem = warehouse
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "warehouse".into());
        warehouse.with_file_name(format!("{stem}.{schema}.sqlite"))
    }

    /// Human description of where a schema's data lives: the SQLite file, or the PostgreSQL
    /// server, database and schema (never the password).
    pub fn describe(&self, schema: &str) -> String {
        match self {
            DestinationUrl::Sqlite(p) => Self::sqlite_schema_file(p, schema).display().to_string(),
            DestinationUrl::Postgres(u) => format!("{} schema {schema}", describe_pg(u)),
        }
    }
}

impl std::fmt::Debug for DestinationUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DestinationUrl::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            DestinationUrl::Postgres(u) => {
                f.debug_tuple("Postgres").field(&describe_pg(u)).finish()
            }
        }
    }
}

/// Connection options from a PostgreSQL URL; the error shows the URL without its password.
fn pg_options(url: &str) -> Result<PgConnectOptions> {
    PgConnectOptions::from_str(url).map_err(|e| Error::Url {
        url: redact_url(url),
        reason: e.to_string(),
    })
}

/// `postgres://user@host:port/db`, built from the parsed URL so that no password (in the
/// user info or a `password=` parameter) can show.
fn describe_pg(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(o) => {
            let db = o.get_database().unwrap_or(o.get_username());
            let host = match o.get_socket() {
                Some(socket) => socket.display().to_string(),
                None if o.get_host().contains(':') => format!("[{}]", o.get_host()),
                None => o.get_host().to_string(),
            };
            format!(
                "postgres://{}@{host}:{}/{db}",
                o.get_username(),
                o.get_port()
            )
        }
        Err(_) => redact_url(url),
    }
}

/// A URL with the password of its user info and its query (which may hold one) removed.
pub fn redact_url(u: &str) -> String {
    let u = u.split_once('?').map_or(u, |(base, _)| base);
    let Some(scheme_end) = u.find("://").map(|i| i + 3) else {
        return u.to_string();
    };
    let authority_end = u[scheme_end..]
        .find('/')
        .map_or(u.len(), |i| scheme_end + i);
    match u[scheme_end..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &u[scheme_end..scheme_end + at];
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{}{user}{}", &u[..scheme_end], &u[scheme_end + at..])
        }
        None => u.to_string(),
    }
}

/// Checks a schema name.
pub fn validate_schema_name(name: &str) -> Result<()> {
    let ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::SchemaName(name.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_are_described_without_the_password() {
        let url = "postgres://alice:s3cret@db.example.com:6543/warehouse?password=other";
        let dest = DestinationUrl::parse(url).unwrap();
        let text = dest.describe("billing");
        assert_eq!(
            text,
            "postgres://alice@db.example.com:6543/warehouse schema billing"
        );
        assert_eq!(
            redact_url(url),
            "postgres://alice@db.example.com:6543/warehouse"
        );
        let bad = DestinationUrl::parse("postgres://alice:s3cret@host:notaport/db").unwrap_err();
        let chain = format!("{bad} {:?}", bad);
        assert!(!chain.contains("s3cret"), "{chain}");
        assert!(chain.contains("alice@host"), "{chain}");
        let other = DestinationUrl::parse("mysql://alice:s3cret@host/db").unwrap_err();
        assert!(!other.to_string().contains("s3cret"), "{other}");
    }
}
