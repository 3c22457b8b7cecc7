//! `customize`: block tables or columns, hash columns, choose the schema-change policy.

use super::Ctx;
use anyhow::{bail, Result};
use connector_agent_sync::SchemaPolicy;

#[derive(clap::Args, Debug)]
pub struct CustomizeCommand {
    /// Connection id.
    pub id: String,
    /// Never sync this table (repeatable).
    #[arg(long, value_name = "TABLE")]
    pub block_table: Vec<String>,
    /// Sync this table again.
    #[arg(long, value_name = "TABLE")]
    pub unblock_table: Vec<String>,
    /// Drop a column inside the connector: `TABLE.COLUMN` (repeatable).
    #[arg(long, value_name = "TABLE.COLUMN")]
    pub block_column: Vec<String>,
    /// Store a column as HMAC-SHA-256 under the connection's key: `TABLE.COLUMN`.
    #[arg(long, value_name = "TABLE.COLUMN")]
    pub hash_column: Vec<String>,
    /// Undo a block or hash of a column: `TABLE.COLUMN`.
    #[arg(long, value_name = "TABLE.COLUMN")]
    pub clear_column: Vec<String>,
    /// What later syncs do with new tables and columns.
    #[arg(long, value_enum)]
    pub policy: Option<PolicyArg>,
    /// Most pages one table may read in one sync (default 1,000,000); the next sync goes on
    /// from where a capped one stopped.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: Option<u64>,
    /// Most minutes one table may page in one sync (default 720).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_minutes: Option<u64>,
    /// Read this table in full on every sync (repeatable). For a child table under an
    /// incremental parent: re-read every parent's children, not only those of parents that
    /// changed since the last sync.
    #[arg(long, value_name = "TABLE")]
    pub full_every_sync: Vec<String>,
    /// Read this table incrementally again (undo `--full-every-sync`).
    #[arg(long, value_name = "TABLE")]
    pub incremental: Vec<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PolicyArg {
    /// Create new tables and columns.
    AllowAll,
    /// Add new columns; hold back new tables.
    AllowNewColumns,
    /// Hold back new tables and columns.
    BlockAll,
}

fn split(spec: &str) -> Result<(String, String)> {
    match spec.split_once('.') {
        Some((t, c)) if !t.is_empty() && !c.is_empty() => Ok((t.to_string(), c.to_string())),
        _ => bail!("`{spec}`: expected TABLE.COLUMN"),
    }
}

impl CustomizeCommand {
    pub fn run(self, ctx: &Ctx) -> Result<i32> {
        let engine = ctx.engine()?;
        let blocks: Vec<(String, String)> = self
            .block_column
            .iter()
            .map(|s| split(s))
            .collect::<Result<_>>()?;
        let hashes: Vec<(String, String)> = self
            .hash_column
            .iter()
            .map(|s| split(s))
            .collect::<Result<_>>()?;
        let clears: Vec<(String, String)> = self
            .clear_column
            .iter()
            .map(|s| split(s))
            .collect::<Result<_>>()?;
        let custom = engine.customize(&self.id, |c| {
            c.blocked_tables.extend(self.block_table.iter().cloned());
            for t in &self.unblock_table {
                c.blocked_tables.remove(t);
            }
            for (t, col) in blocks {
                c.blocked_columns.entry(t).or_default().insert(col);
            }
            for (t, col) in hashes {
                c.hashed_columns.entry(t).or_default().insert(col);
            }
            for (t, col) in clears {
                for map in [&mut c.blocked_columns, &mut c.hashed_columns] {
                    if let Some(set) = map.get_mut(&t) {
                        set.remove(&col);
                    }
                }
            }
            c.blocked_columns.retain(|_, v| !v.is_empty());
            c.hashed_columns.retain(|_, v| !v.is_empty());
            c.full_every_sync
                .extend(self.full_every_sync.iter().cloned());
            for t in &self.incremental {
                c.full_every_sync.remove(t);
            }
            if self.max_pages.is_some() {
                c.max_pages = self.max_pages;
            }
            if self.max_minutes.is_some() {
                c.max_minutes = self.max_minutes;
            }
            if let Some(p) = self.policy {
                c.schema_policy = match p {
                    PolicyArg::AllowAll => SchemaPolicy::AllowAll,
                    PolicyArg::AllowNewColumns => SchemaPolicy::AllowNewColumns,
                    PolicyArg::BlockAll => SchemaPolicy::BlockAll,
                };
            }
        })?;
        if ctx.json {
            ctx.print_json(&custom)?;
        } else {
            let list = |v: Vec<String>| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            let pairs =
                |m: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>| {
                    list(
                        m.iter()
                            .flat_map(|(t, cs)| cs.iter().map(move |c| format!("{t}.{c}")))
                            .collect(),
                    )
                };
            println!(
                "blocked tables   {}",
                list(custom.blocked_tables.iter().cloned().collect())
            );
            println!("blocked columns  {}", pairs(&custom.blocked_columns));
            println!("hashed columns   {}", pairs(&custom.hashed_columns));
            println!("schema policy    {:?}", custom.schema_policy);
            println!(
                "full every sync  {}",
                list(custom.full_every_sync.iter().cloned().collect())
            );
            println!(
                "paging caps      {} pages, {} minutes per table and sync",
                custom.page_cap(),
                custom.minute_cap()
            );
        }
        Ok(0)
    }
}
