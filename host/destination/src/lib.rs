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
pub mod names;
mod row_id;
mod writer;

pub use ddl::{
    quote_ident, ColumnSpec, Dialect, LaidColumn, Layout, SqlType, TableSpec, STATE_TABLE,
    SYNCED_AT,
};
pub use names::{column_name, ColumnNames, MAX_COLUMNS, MAX_NAME_BYTES};
pub use row_id::{row_id, with_row_ids, Occurrences, ROW_ID};
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
    /// The schema name is PostgreSQL's own (`pg_*`, `information_schema`).
    #[error(
        "schema name `{0}` is reserved by PostgreSQL (`pg_*` and `information_schema` hold the \
         system catalogs); choose another with `--schema`"
    )]
    ReservedSchema(String),
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
    PgConnectOptions::from_str(url).map_err(|e| {
        let mut reason = e.to_string();
        if unencoded_userinfo(url) {
            reason.push_str(
                " (`/`, `?`, `#` and `@` in a user name or password must be percent-encoded: \
                 `%2F`, `%3F`, `%23`, `%40`)",
            );
        }
        Error::Url {
            url: redact_url(url),
            reason,
        }
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
///
/// A password may hold `/`, `?`, `#` or `@` typed as they are (not percent-encoded), so the
/// user info is taken to end at the *last* `@` and only what comes before its first `:` (or
/// `/`, `?`, `#`) is kept as the user: whatever the URL looks like, no part of a password
/// shows. After the `@`, the query and fragment are dropped.
pub fn redact_url(u: &str) -> String {
    let cut_query = |s: &str| s.find(['?', '#']).map_or(s, |i| &s[..i]).to_string();
    let Some(scheme_end) = u.find("://").map(|i| i + 3) else {
        return cut_query(u);
    };
    let (scheme, rest) = u.split_at(scheme_end);
    match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo
                .find([':', '/', '?', '#'])
                .map_or(userinfo, |i| &userinfo[..i]);
            format!("{scheme}{user}@{}", cut_query(&rest[at + 1..]))
        }
        None => format!("{scheme}{}", cut_query(rest)),
    }
}

/// A database URL without its password (user info or `password=` parameter), and the
/// password, decoded: the password is kept as a secret apart from the URL.
pub fn split_password(destination: &str) -> (String, Option<String>) {
    let Ok(mut url) = url::Url::parse(destination) else {
        return (destination.to_string(), None);
    };
    if url.scheme() == "sqlite" {
        return (destination.to_string(), None);
    }
    let mut password = url.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = url.set_password(None);
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.iter().any(|(k, _)| k == "password") {
        url.set_query(None);
        let mut kept = url.query_pairs_mut();
        for (k, v) in &pairs {
            if k == "password" {
                password = Some(v.clone());
            } else {
                kept.append_pair(k, v);
            }
        }
        drop(kept);
        if url.query() == Some("") {
            url.set_query(None);
        }
    }
    (url.to_string(), password)
}

/// Whether the user info of a URL holds characters that must be percent-encoded there.
fn unencoded_userinfo(u: &str) -> bool {
    let rest = u.find("://").map_or(u, |i| &u[i + 3..]);
    rest.rfind('@')
        .is_some_and(|at| rest[..at].contains(['/', '?', '#', '@']))
}

/// Checks a schema name: lower-case letters, digits and `_`, starting with a letter, at most
/// 63 bytes, and not one of PostgreSQL's own (`pg_*`, `information_schema`), whatever the
/// destination, so that a connection can move to PostgreSQL with its schema.
pub fn validate_schema_name(name: &str) -> Result<()> {
    validate_schema_syntax(name)?;
    if is_reserved_schema(name) {
        return Err(Error::ReservedSchema(name.into()));
    }
    Ok(())
}

/// Whether PostgreSQL reserves a schema name: `pg_*` (`pg_catalog`, `pg_toast`, ...) and
/// `information_schema`.
pub fn is_reserved_schema(name: &str) -> bool {
    name.starts_with("pg_") || name == "information_schema"
}

fn validate_schema_syntax(name: &str) -> Result<()> {
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

    #[test]
    fn postgres_system_schemas_are_refused() {
        for name in [
            "pg_catalog",
            "pg_toast",
            "pg_temp_1",
            "pg_x",
            "information_schema",
        ] {
            let err = validate_schema_name(name).unwrap_err();
            assert!(matches!(err, Error::ReservedSchema(_)), "{name}: {err}");
            assert!(
                err.to_string()
                    .contains(&format!("schema name `{name}` is reserved by PostgreSQL")),
                "{err}"
            );
        }
        for name in ["pgx", "billing", "my_pg_data", "information"] {
            validate_schema_name(name).unwrap();
        }
    }

    #[test]
    fn passwords_with_url_delimiters_never_show() {
        for (url, shown) in [
            ("postgres://user:pa/ss?w@host/db", "postgres://user@host/db"),
            (
                "postgres://user:p#a?s/s@w@db.example.com:5432/wh?sslmode=require",
                "postgres://user@db.example.com:5432/wh",
            ),
            ("postgresql://user:pa@ss@host", "postgresql://user@host"),
            ("postgres://host/db?password=pa/ss@x", "postgres://host@x"),
            ("postgres://host/db?password=secret", "postgres://host/db"),
            ("postgres://user@host/db", "postgres://user@host/db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        for secret in ["s3cr3t/p4ss?w0rd", "x9#q7?z5/k8@v7"] {
            let url = format!("postgres://user:{secret}@host/db");
            let err = DestinationUrl::parse(&url).unwrap_err();
            let text = format!("{err} {err:?}");
            for part in secret.split(['/', '?', '#', '@']) {
                assert!(!text.contains(part), "`{part}` shows in {text}");
            }
            assert!(text.contains("percent-encoded"), "{text}");
        }
    }
}

#[cfg(test)]
mod password_tests {
    use super::split_password;

    #[test]
    fn destination_passwords_are_split_off_decoded() {
        let (url, pw) =
            split_password("postgres://u:p%40ss%2Bw@db.example:5432/wh?sslmode=require");
        assert_eq!(url, "postgres://u@db.example:5432/wh?sslmode=require");
        assert_eq!(pw.as_deref(), Some("p@ss+w"));
        let (url, pw) = split_password("postgres://u@db/wh?password=s3cr%26t&sslmode=disable");
        assert_eq!(url, "postgres://u@db/wh?sslmode=disable");
        assert_eq!(pw.as_deref(), Some("s3cr&t"));
        let (url, pw) = split_password("postgres://u@db/wh?password=x");
        assert_eq!(url, "postgres://u@db/wh");
        assert_eq!(pw.as_deref(), Some("x"));
        let (url, pw) = split_password("postgres:///wh?host=/run/postgresql&password=pw");
        assert_eq!(url, "postgres:///wh?host=%2Frun%2Fpostgresql");
        assert_eq!(pw.as_deref(), Some("pw"));
        let (url, pw) = split_password("sqlite:/tmp/w.sqlite");
        assert_eq!((url.as_str(), pw), ("sqlite:/tmp/w.sqlite", None));
    }
}
