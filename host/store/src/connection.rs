//! A connection's metadata: its inputs, destination, phase, config and customisation.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Setup phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading the documentation.
    Scanning,
    /// Endpoints extracted; the user may review them.
    EndpointsReady,
    /// Writing the connector's source.
    Generating,
    /// Compiling it to a component.
    Compiling,
    /// Ready to test and sync.
    Ready,
    /// Setup failed (see `error`).
    Failed,
}

impl Phase {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Scanning => "scanning",
            Phase::EndpointsReady => "endpoints ready for review",
            Phase::Generating => "generating",
            Phase::Compiling => "compiling",
            Phase::Ready => "ready",
            Phase::Failed => "failed",
        }
    }
}

pub use connector_agent_model::Input;

/// One connection's metadata (no secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    /// Id (slug + suffix).
    pub id: String,
    /// Name given by the user.
    pub name: String,
    /// Documentation inputs (absolute paths or URLs).
    pub inputs: Vec<Input>,
    /// Destination URL.
    pub destination: String,
    /// Destination schema name.
    pub schema: String,
    /// Whether the schema name is frozen (after the first successful test).
    #[serde(default)]
    pub schema_frozen: bool,
    /// Phase.
    pub phase: Phase,
    /// Failure reason when `phase` is failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Non-secret config values.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// The built component file, once compiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<PathBuf>,
    /// Content hash of the component's inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_hash: Option<String>,
    /// Timestamps of the last successful test and sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_test: Option<String>,
    /// Last sync time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<String>,
    /// Blocked tables and columns, hashed columns, schema-change policy.
    #[serde(default)]
    pub customization: Customization,
    /// Sync schedule (seconds between syncs) kept by `connector-agent run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_every: Option<u64>,
}

impl Connection {
    /// Where the connection's data lives, for people (no password).
    pub fn describe_destination(&self) -> String {
        match connector_agent_destination::DestinationUrl::parse(&self.destination) {
            Ok(d) => d.describe(&self.schema),
            Err(_) => connector_agent_destination::redact_url(&self.destination),
        }
    }
}

/// What the user chose after Save & Test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customization {
    /// Tables never synced.
    #[serde(default)]
    pub blocked_tables: std::collections::BTreeSet<String>,
    /// Columns dropped inside the connector, per table.
    #[serde(default)]
    pub blocked_columns: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Columns stored as HMAC-SHA-256 under the connection's key, per table.
    #[serde(default)]
    pub hashed_columns: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// What happens to tables and columns that appear after the first sync.
    #[serde(default)]
    pub schema_policy: SchemaPolicy,
    /// Most pages one table may read in one sync ([`Customization::DEFAULT_MAX_PAGES`] when
    /// unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    /// Most minutes one table may page in one sync ([`Customization::DEFAULT_MAX_MINUTES`]
    /// when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes: Option<u64>,
    /// Tables read in full on every sync: a child table under an incremental parent then
    /// reads the children of every parent, not only of those that changed (for APIs where a
    /// child changes without its parent's update time moving).
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub full_every_sync: std::collections::BTreeSet<String>,
}

impl Customization {
    /// Pages one table may read in one sync unless the user raises it.
    pub const DEFAULT_MAX_PAGES: u64 = 1_000_000;
    /// Minutes one table may page in one sync unless the user raises it (12 hours).
    pub const DEFAULT_MAX_MINUTES: u64 = 720;

    /// The page cap in force.
    pub fn page_cap(&self) -> u64 {
        self.max_pages.unwrap_or(Self::DEFAULT_MAX_PAGES)
    }

    /// The time cap in force, in minutes.
    pub fn minute_cap(&self) -> u64 {
        self.max_minutes.unwrap_or(Self::DEFAULT_MAX_MINUTES)
    }
}

/// Schema-change policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaPolicy {
    /// New tables and columns are created.
    #[default]
    AllowAll,
    /// New columns are added; new tables are held back.
    AllowNewColumns,
    /// Nothing new is created; new tables and columns are held back.
    BlockAll,
}
