//! The sync state a connector checkpoints: per table, the incremental cursor of the last
//! completed pass and, while a pass is running, where it stopped.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Whole state document (opaque to the host).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct SyncState {
    pub version: u32,
    #[serde(default)]
    pub tables: BTreeMap<String, TableState>,
}

/// One table's state.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct TableState {
    /// Maximum cursor value of the last completed pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Value>,
    /// The pass in progress, if it was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

/// Where an interrupted pass resumes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    /// The next page to fetch (of the parent list, for child tables).
    pub position: Position,
    /// Maximum cursor seen so far in this pass.
    #[serde(default)]
    pub max_cursor: Option<Value>,
    /// The filter value this pass runs with.
    #[serde(default)]
    pub filter: Option<Value>,
    /// The server's time when the pass started: no change made during the pass carries a
    /// cursor below it. Kept by a resumed pass.
    #[serde(default = "Clock::unknown")]
    pub clock: Clock,
    /// The cursor of the last record read, in seconds, in the order records came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_secs: Option<f64>,
    /// Some record's cursor was below the one read before it: the list is not in update
    /// order.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unordered: bool,
    /// A record changed after the pass started was read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saw_change: bool,
    /// `max_cursor` in seconds, once known: spares parsing it again for every record.
    #[serde(skip)]
    pub max_secs: Option<f64>,
}

/// When a pass started, by the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Clock {
    /// No response read yet.
    NotYet,
    /// Unix seconds: the `Date` header of the pass's first response, else the host's clock.
    At { secs: i64 },
    /// A pass saved by an earlier version, which did not record it.
    Unknown,
}

impl Clock {
    fn unknown() -> Clock {
        Clock::Unknown
    }
}

/// A page position: where a list is read next (saved in checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Position {
    /// The first page.
    Start,
    /// A cursor token for the cursor parameter.
    Token {
        /// The token.
        value: String,
    },
    /// A full next-page URL.
    Url {
        /// The URL.
        url: String,
    },
    /// A page number.
    Page {
        /// The page number.
        n: u64,
    },
    /// An offset.
    Offset {
        /// The offset.
        n: u64,
    },
}

impl SyncState {
    pub(crate) const VERSION: u32 = 1;

    pub(crate) fn load(text: Option<&str>) -> Result<SyncState, String> {
        match text {
            None => Ok(SyncState {
                version: Self::VERSION,
                tables: BTreeMap::new(),
            }),
            Some(t) => {
                let s: SyncState = serde_json::from_str(t)
                    .map_err(|e| format!("the saved sync state is not valid: {e}"))?;
                if s.version != Self::VERSION {
                    return Err(format!(
                        "the saved sync state has version {}, this connector reads version {}",
                        s.version,
                        Self::VERSION
                    ));
                }
                Ok(s)
            }
        }
    }
}
