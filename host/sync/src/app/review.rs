//! Review and customisation: renaming and selecting tables, importing an edited model,
//! blocking and hashing columns.

use super::*;

impl App {
    /// Renames a table (and the references of its child tables); the connector is regenerated
    /// on `resume`. Refused once data was synced under the old name.
    pub fn rename_table(&self, id: &str, old: &str, new: &str) -> Result<ApiModel> {
        let mut model = self.home.load_model(id)?;
        let conn = self.home.load(id)?;
        if self.holds_data(&conn)? {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "table `{old}` already holds synced data; rename it before the first sync"
                ),
            });
        }
        if connector_agent_model::snake_ident(new) != new {
            return Err(Error::Config(format!(
                "invalid table name `{new}`: use lower-case letters, digits and `_` (e.g. `{}`)",
                connector_agent_model::snake_ident(new)
            )));
        }
        if model.endpoint_by_table(new).is_some() {
            return Err(Error::Config(format!("a table `{new}` already exists")));
        }
        if model.endpoint_by_table(old).is_none() {
            let names: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
            return Err(Error::Config(format!(
                "no table `{old}`; tables are: {}",
                names.join(", ")
            )));
        }
        for e in &mut model.endpoints {
            if e.table == old {
                e.table = new.to_string();
            }
            if let Some(p) = &mut e.parent {
                if p.table == old {
                    p.table = new.to_string();
                }
            }
        }
        self.home.save_model(id, &model)?;
        let mut conn = conn;
        if matches!(conn.phase, Phase::Ready | Phase::Failed) {
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
        }
        Ok(model)
    }

    /// Whether the destination may hold synced rows: a sync succeeded, or one committed rows
    /// before failing (its checkpoints stay, and the next sync goes on from them).
    pub(super) fn holds_data(&self, conn: &Connection) -> Result<bool> {
        Ok(conn.last_sync.is_some() || self.home.any_rows_committed(&conn.id)?)
    }

    /// Replaces the model with one a person edited (exported by `endpoints --export`). Checked
    /// first; once tables hold synced data, their names and keys cannot change (the upserts
    /// rely on them). The connector is regenerated on `resume`.
    pub fn import_model(&self, id: &str, model: ApiModel) -> Result<()> {
        model.check().map_err(Error::Config)?;
        let conn = self.home.load(id)?;
        if matches!(
            conn.phase,
            Phase::Scanning | Phase::Generating | Phase::Compiling
        ) && conn.error.is_none()
        {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "setup is at `{}`; wait for it (`connector-agent status {id} --wait`) before importing a model",
                    conn.phase.label()
                ),
            });
        }
        if self.holds_data(&conn)? {
            let old = self.home.load_model(id)?;
            // Every table, selected or not: a deselected table keeps its data and may be
            // selected again.
            for before in &old.endpoints {
                match model.endpoint_by_table(&before.table) {
                    None => {
                        return Err(Error::NotReady {
                            id: id.into(),
                            reason: format!(
                                "table `{}` already holds synced data; it cannot be renamed or removed (deselect it instead)",
                                before.table
                            ),
                        })
                    }
                    Some(after) if after.primary_key != before.primary_key => {
                        return Err(Error::NotReady {
                            id: id.into(),
                            reason: format!(
                                "table `{}` already holds synced data keyed by ({}); its key cannot change to ({})",
                                before.table,
                                before.primary_key.join(", "),
                                after.primary_key.join(", ")
                            ),
                        })
                    }
                    Some(_) => {}
                }
            }
        }
        if model.selected().next().is_none() {
            return Err(Error::Config(
                "at least one table must stay selected".into(),
            ));
        }
        self.home.save_model(id, &model)?;
        let mut conn = conn;
        if matches!(conn.phase, Phase::Ready | Phase::Failed) {
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
        }
        Ok(())
    }

    /// Selects or deselects endpoints by table name; `only` replaces the selection.
    pub fn select(
        &self,
        id: &str,
        only: &[String],
        deselect: &[String],
        select: &[String],
    ) -> Result<ApiModel> {
        let mut model = self.home.load_model(id)?;
        for name in only.iter().chain(deselect).chain(select) {
            if model.endpoint_by_table(name).is_none() {
                let names: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
                return Err(Error::Config(format!(
                    "no table `{name}`; tables are: {}",
                    names.join(", ")
                )));
            }
        }
        for e in &mut model.endpoints {
            if !only.is_empty() {
                e.selected = only.contains(&e.table);
            }
            if deselect.contains(&e.table) {
                e.selected = false;
            }
            if select.contains(&e.table) {
                e.selected = true;
            }
        }
        if model.selected().next().is_none() {
            return Err(Error::Config(
                "at least one table must stay selected".into(),
            ));
        }
        self.home.save_model(id, &model)?;
        let mut conn = self.home.load(id)?;
        if matches!(conn.phase, Phase::Ready | Phase::Failed) {
            // The connector must be regenerated for the new selection.
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
        }
        Ok(model)
    }
}

impl App {
    /// The connection's hashing key: 32 random bytes kept with its secrets, made on first use.
    pub(super) fn hash_key(&self, id: &str) -> Result<Vec<u8>> {
        const FIELD: &str = "_hash_key";
        let secrets = self.home.load_secrets(id)?;
        if let Some(k) = secrets.get(FIELD).and_then(|k| hex::decode(k).ok()) {
            return Ok(k);
        }
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        self.home
            .update_secrets(id, &[(FIELD.into(), Some(hex::encode(&key)))])?;
        Ok(key)
    }

    /// Changes the customisation; table and column names are checked against the model.
    pub fn customize(
        &self,
        id: &str,
        change: impl FnOnce(&mut crate::Customization),
    ) -> Result<crate::Customization> {
        let conn = self.home.load(id)?;
        let model = self.home.load_model(id)?;
        let mut custom = conn.customization.clone();
        change(&mut custom);
        let known = |t: &str| model.endpoint_by_table(t).is_some();
        let tables = custom
            .blocked_tables
            .iter()
            .chain(custom.blocked_columns.keys())
            .chain(custom.hashed_columns.keys())
            .chain(custom.full_every_sync.iter());
        for t in tables {
            if !known(t) {
                let names: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
                return Err(Error::Config(format!(
                    "no table `{t}`; tables are: {}",
                    names.join(", ")
                )));
            }
        }
        for (t, cols) in custom
            .blocked_columns
            .iter()
            .chain(custom.hashed_columns.iter())
        {
            let e = model.endpoint_by_table(t).expect("checked above");
            for c in cols {
                if e.primary_key.contains(c) {
                    return Err(Error::Config(format!(
                        "`{t}.{c}` is the primary key; it cannot be blocked or hashed"
                    )));
                }
            }
        }
        let stored = custom.clone();
        self.home.modify(id, |c| c.customization = stored)?;
        Ok(custom)
    }
}
