//! The pipeline behind every command, one module per job: [`setup`] (documents to a
//! built connector, settings), [`review`] (tables and columns), [`check`] (Save & Test),
//! [`run`] (syncs), [`schedule`]. This module holds what they share: the [`App`] over a
//! data directory, the HTTP context and config a connector runs with, and the reports.

mod check;
pub mod oauth;
mod plugin;
mod review;
mod run;
mod schedule;
mod setup;

pub use crate::probe::CheckOutcome;
pub use check::TestReport;
pub use plugin::{plugin_crate_name, PluginReport};
pub use run::{FailedTable, SyncOptions, SyncReport, TableReport};
pub use setup::{base_url, effective_config};

use crate::{error_chain, redact_error, Error, Result};
use crate::{
    Connection, Input, Phase, Workspace, DESTINATION_PASSWORD, DESTINATION_PASSWORD_FIELD,
};
use connector_agent_builder::Builder;
use connector_agent_codegen::{CodegenOptions, GeneratedCrate};
use connector_agent_destination::split_password;
use connector_agent_destination::{ColumnSpec, DestinationUrl, SqlType, TableSpec, Writer};
use connector_agent_model::{ApiKeyLocation, ApiModel, AuthScheme};
use connector_agent_runtime::{
    AllowList, CheckResult, ColumnType, ConfigEntry, Credentials, HttpContext, Limits,
    LoadedConnector, Redactor, Runtime, Sink, SinkEvent, TableSchema, TableSelection,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::sync::mpsc;

/// Ties the data directory, the builder and the runtime together.
pub struct App {
    home: Workspace,
    builder: Builder,
    runtime: Runtime,
    /// Limits for every connector call.
    pub limits: Limits,
    /// The credentials of the HTTP contexts made lately, per connection: OAuth tokens obtained
    /// on the way (not all are stored) must be redacted from messages too.
    recent_credentials: std::sync::Mutex<HashMap<String, Vec<Credentials>>>,
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl App {
    /// An engine over a data directory; `cache` holds SDK copies, components and precompiled
    /// artifacts; `target_dir` is the shared cargo target directory.
    pub fn new(home: Workspace, cache: &Path, target_dir: &Path) -> Result<App> {
        Ok(App {
            home,
            builder: Builder::new(cache.join("build"), target_dir),
            runtime: Runtime::new(cache.join("precompiled"))?,
            limits: Limits::default(),
            recent_credentials: Default::default(),
        })
    }

    /// The data directory.
    pub fn home(&self) -> &Workspace {
        &self.home
    }

    /// The runtime (for loading components directly).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub(super) fn ready(&self, id: &str) -> Result<(Connection, ApiModel, LoadedConnector)> {
        let conn = self.home.load(id)?;
        if conn.phase != Phase::Ready {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "setup is at `{}`; run `connector-agent resume {id}`",
                    conn.phase.label()
                ),
            });
        }
        let model = self.home.load_model(id)?;
        let component = conn.component.clone().ok_or_else(|| Error::NotReady {
            id: id.into(),
            reason: "no component".into(),
        })?;
        let loaded = self.runtime.load(&component)?;
        Ok((conn, model, loaded))
    }

    /// The HTTP context of a connection: allow-list and credentials.
    pub fn http_context(&self, conn: &Connection, model: &ApiModel) -> Result<Arc<HttpContext>> {
        let secrets = self.home.load_secrets(&conn.id)?;
        let mut hosts: Vec<String> = model
            .servers
            .iter()
            .filter_map(|s| AllowList::entry_for(s))
            .collect();
        if let Some(base) = base_url(conn, model)? {
            let entry = AllowList::entry_for(&base)
                .ok_or_else(|| Error::Config(format!("`base_url` `{base}` is not a valid URL")))?;
            hosts.push(entry);
        }
        let oauth = oauth::credentials(&self.home, conn, model, &secrets)?;
        let credentials = credentials(model, &secrets, oauth);
        if let Ok(mut recent) = self.recent_credentials.lock() {
            let list = recent.entry(conn.id.clone()).or_default();
            if list.len() >= 4 {
                list.remove(0);
            }
            list.push(credentials.clone());
        }
        let mut context = HttpContext::new(AllowList::new(hosts), credentials);
        // The headers the API requires: a literal, or a config value or secret (a header
        // whose field is not set yet is left out; Save & Test names the missing field).
        context.headers = model
            .headers
            .iter()
            .filter_map(|h| {
                let value = match h.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                    Some(field) => conn
                        .config
                        .get(field)
                        .or_else(|| secrets.get(field))
                        .filter(|v| !v.trim().is_empty())?
                        .clone(),
                    None => h.value.clone(),
                };
                Some((h.name.clone(), value))
            })
            .collect();
        Ok(Arc::new(context))
    }

    /// What must never appear in a message about connection `id`: every secret value (the API
    /// key, token, password, client secret, access and refresh tokens) with its URL-encoded
    /// and base64 forms, the base64 `user:password` of basic auth, and the OAuth tokens the
    /// host obtained lately.
    pub fn redactor(&self, id: &str) -> Redactor {
        let secrets = self.home.load_secrets(id).unwrap_or_default();
        let mut r = Redactor::from_secrets(
            secrets
                .iter()
                .filter(|(k, _)| k.as_str() != oauth::EXPIRES_AT && k.as_str() != oauth::REFRESH_AT)
                .map(|(_, v)| v.as_str()),
        );
        let config = self.home.load(id).map(|c| c.config).unwrap_or_default();
        if let Ok(model) = self.home.load_model(id) {
            for scheme in &model.auth {
                if let AuthScheme::Basic {
                    username_field,
                    password_field,
                } = scheme
                {
                    let get = |k: &str| secrets.get(k).or_else(|| config.get(k));
                    if let (Some(u), Some(p)) = (get(username_field), get(password_field)) {
                        r.add_basic(u, p);
                    }
                }
            }
        }
        if let Ok(recent) = self.recent_credentials.lock() {
            for c in recent.get(id).into_iter().flatten() {
                r.extend(&Redactor::from_credentials(c));
            }
        }
        r
    }

    /// The non-secret config handed to the connector.
    /// The config handed to the connector: the user's values, and the paging caps in force
    /// (`_max_pages`, `_max_seconds`), which the host decides.
    pub fn config_entries(conn: &Connection, model: &ApiModel) -> Result<Vec<ConfigEntry>> {
        let custom = &conn.customization;
        let caps = [
            ("_max_pages", custom.page_cap()),
            ("_max_seconds", custom.minute_cap().saturating_mul(60)),
        ];
        Ok(effective_config(conn, model)?
            .into_iter()
            .map(|(name, value)| ConfigEntry { name, value })
            .chain(caps.into_iter().map(|(name, v)| ConfigEntry {
                name: name.into(),
                value: v.to_string(),
            }))
            .collect())
    }
}

/// The credentials of the first auth scheme whose secrets are all set; `oauth` is what the
/// OAuth 2.0 scheme yields (see [`oauth::credentials`]).
fn credentials(
    model: &ApiModel,
    secrets: &BTreeMap<String, String>,
    mut oauth: Option<Credentials>,
) -> Credentials {
    for scheme in &model.auth {
        let get = |k: &str| secrets.get(k).cloned();
        let c = match scheme {
            AuthScheme::Bearer { token_field } => get(token_field).map(Credentials::Bearer),
            AuthScheme::ApiKey {
                location,
                param,
                prefix,
                key_field,
            } => get(key_field).map(|key| {
                let value = format!("{}{key}", prefix.as_deref().unwrap_or(""));
                match location {
                    ApiKeyLocation::Header => Credentials::Header {
                        name: param.clone(),
                        value,
                    },
                    ApiKeyLocation::Query => Credentials::Query {
                        name: param.clone(),
                        value,
                    },
                    ApiKeyLocation::Cookie => Credentials::Header {
                        name: "cookie".into(),
                        value: format!("{param}={value}"),
                    },
                }
            }),
            AuthScheme::Basic {
                username_field,
                password_field,
            } => match (get(username_field), get(password_field)) {
                (Some(username), password) => Some(Credentials::Basic {
                    username,
                    password: password.unwrap_or_default(),
                }),
                _ => None,
            },
            AuthScheme::OAuth2 { .. } => oauth.take(),
        };
        if let Some(c) = c {
            return c;
        }
    }
    Credentials::None
}

/// Runs blocking work (a connector build) from async code without stalling the runtime's
/// other tasks where the runtime allows it.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl App {
    /// The builder (for building hand-written components in tests and tools).
    pub fn builder(&self) -> &Builder {
        &self.builder
    }
}

#[cfg(test)]
mod tests {
    use super::run::partial_failures;
    use super::{App, Workspace};

    #[test]
    fn a_partial_failure_is_read_from_the_connectors_error() {
        let reason = "1 of 3 tables failed (the others synced):\n- `entries`: http: table `entries`: GET http://h/api/entries answered 500: boom";
        let failed = partial_failures(reason, &["accounts", "entries", "transfers"]).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].table, "entries");
        assert!(failed[0].cause.contains("answered 500"));
        // Every table failed: not partial. Another error: not partial.
        assert!(partial_failures(reason, &["entries"]).is_none());
        assert!(partial_failures("http: table `entries`: refused", &["a", "entries"]).is_none());
    }

    #[test]
    fn postgres_system_schema_names_are_refused_at_setup_and_never_proposed() {
        let dir = std::env::temp_dir().join(format!(
            "connector-agent-schema-test-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("spec.yaml");
        std::fs::write(
            &spec,
            "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
        )
        .unwrap();
        let engine = App::new(Workspace::new(dir.join("home")), &dir.join("cache"), &dir).unwrap();
        let conn = engine.create("PG Catalog", &[spec], None).unwrap();
        assert_eq!(conn.schema, "spg_catalog");
        for name in ["pg_catalog", "pg_toast", "pg_mine", "information_schema"] {
            let err = engine.set_schema(&conn.id, name).unwrap_err().to_string();
            assert!(
                err.contains(&format!("schema name `{name}` is reserved by PostgreSQL")),
                "{err}"
            );
        }
        engine.set_schema(&conn.id, "analytics").unwrap();
        drop(engine);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
