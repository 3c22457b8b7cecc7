//! What a first page proves about the model: the record path, the columns and their types,
//! the key (unique over what was read) and the cursor field; each correction is recorded
//! with its evidence.

use super::*;

impl Probe<'_> {
    pub(super) fn correct(
        &mut self,
        i: usize,
        field: CorrectedField,
        before: String,
        after: String,
        evidence: String,
    ) {
        // The evidence is stored with the model and printed: no secret value in it.
        let mut evidence = evidence;
        for f in self.model.config.iter().filter(|f| f.secret) {
            if let Some(v) = self.config.get(&f.name).filter(|v| v.len() >= 4) {
                evidence = evidence.replace(v.as_str(), "***");
            }
        }
        let c = Correction {
            field,
            before,
            after,
            evidence,
        };
        let e = &mut self.model.endpoints[i];
        self.corrections.push(format!("table `{}`: {c}", e.table));
        e.corrections.push(c);
    }

    /// Adds the columns the records show and the model lacks, through the destination's
    /// naming ([`connector_agent_destination::ColumnNames`]): at most
    /// [`connector_agent_destination::MAX_COLUMNS`] per table, each shown with the column it
    /// becomes when that is not the key itself. Linear in the number of keys.
    pub(super) fn columns(&mut self, i: usize, records: &[Value]) {
        use connector_agent_destination::{ColumnNames, MAX_COLUMNS, ROW_ID, SYNCED_AT};
        let e = &self.model.endpoints[i];
        let links = connector_agent_model::parent_links(&self.model.endpoints, e);
        let parent_columns: Vec<&str> = links.iter().map(|l| l.column.as_str()).collect();
        let known: HashSet<&str> = e.columns.iter().map(|c| c.name.as_str()).collect();
        let observed: Vec<_> = observed::columns(records)
            .into_iter()
            .filter(|c| !known.contains(c.name.as_str()))
            .filter(|c| !parent_columns.contains(&c.name.as_str()))
            .collect();
        if observed.is_empty() {
            return;
        }
        // The model's columns come first, so a capped table keeps what the docs list.
        let mut required: Vec<&str> = e.primary_key.iter().map(String::as_str).collect();
        required.extend([SYNCED_AT, ROW_ID]);
        required.extend(parent_columns.iter().copied());
        let names = ColumnNames::assign(
            e.columns
                .iter()
                .map(|c| c.name.as_str())
                .chain(
                    parent_columns
                        .iter()
                        .copied()
                        .filter(|p| !known.contains(p)),
                )
                .chain([SYNCED_AT])
                .chain(observed.iter().map(|c| c.name.as_str())),
            &required,
            &[],
        );
        let dropped: HashSet<&str> = names.dropped.iter().map(String::as_str).collect();
        let (new, left_out): (Vec<_>, Vec<_>) = observed
            .into_iter()
            .partition(|c| !dropped.contains(c.name.as_str()));
        let shown = |name: &str| match names.get(name) {
            Some(col) if col != name => format!("`{}` (as column `{col}`)", name.escape_debug()),
            _ => format!("`{}`", name.escape_debug()),
        };
        let mut evidence = String::new();
        if !new.is_empty() {
            let typed: Vec<String> = new
                .iter()
                .take(50)
                .map(|c| {
                    format!(
                        "{} ({})",
                        shown(&c.name),
                        serde_json::to_value(c.ty)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let more = if new.len() > 50 {
                format!(" and {} more", new.len() - 50)
            } else {
                String::new()
            };
            evidence = format!(
                "the records hold {}{more} that the docs do not list",
                typed.join(", ")
            );
        }
        if !left_out.is_empty() {
            if !evidence.is_empty() {
                evidence.push_str("; ");
            }
            evidence.push_str(&format!(
                "{} more keys (such as {}) get no column: a table has at most {MAX_COLUMNS} columns",
                left_out.len(),
                left_out
                    .iter()
                    .take(3)
                    .map(|c| shown(&c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if new.is_empty() {
            self.corrections
                .push(format!("table `{}`: {evidence}", e.table));
            return;
        }
        let names: Vec<String> = new
            .iter()
            .take(50)
            .map(|c| c.name.escape_debug().to_string())
            .collect();
        let after = if new.len() > 50 {
            format!("{}, … ({} columns)", names.join(", "), new.len())
        } else {
            names.join(", ")
        };
        self.correct(i, CorrectedField::Columns, String::new(), after, evidence);
        self.model.endpoints[i].columns.extend(new);
    }

    pub(super) fn key(&mut self, i: usize, records: &[Value]) -> CheckPart {
        let e = &self.model.endpoints[i];
        if records.is_empty() {
            return CheckPart::passed(
                "primary key",
                "no records on the first page to check".into(),
            );
        }
        // A child's key starts with the columns its parents fill, which the connector adds to
        // each row: every record of one parent's page shares them, so the page checks the rest.
        let links = connector_agent_model::parent_links(&self.model.endpoints, e);
        let parent_columns: Vec<&str> = links.iter().map(|l| l.column.as_str()).collect();
        let own: Vec<String> = e
            .primary_key
            .iter()
            .filter(|k| {
                !parent_columns.contains(&k.as_str()) || records[0].get(k.as_str()).is_some()
            })
            .cloned()
            .collect();
        let problem = if e.primary_key.is_empty() {
            Some("the docs name none".to_string())
        } else if own.is_empty() {
            None
        } else {
            observed::key_problem(records, &own)
        };
        let Some(problem) = problem else {
            return CheckPart::passed(
                "primary key",
                format!("`{}` unique on the page", e.primary_key.join(", ")),
            );
        };
        let before = e.primary_key.join(", ");
        match observed::primary_key(records, &e.entity) {
            Some(key) if [key.clone()] != own.as_slice() => {
                let after: Vec<String> = parent_columns
                    .iter()
                    .filter(|p| **p != key)
                    .map(|p| p.to_string())
                    .chain([key.clone()])
                    .collect();
                let evidence = format!(
                    "`{before}`: {problem}; `{key}` is in every record and unique on the page"
                );
                self.correct(
                    i,
                    CorrectedField::PrimaryKey,
                    before,
                    after.join(", "),
                    evidence,
                );
                self.model.endpoints[i].primary_key = after;
                CheckPart::passed(
                    "primary key",
                    format!("corrected to `{key}` ({problem})"),
                )
            }
            _ if e.primary_key.is_empty() => CheckPart::passed(
                "primary key",
                "none in the docs or the data: each row is keyed by its content (a re-read record is the same row; a changed one is a new row)".into(),
            ),
            _ => CheckPart::failed(
                "primary key",
                format!("unexpected shape: the primary key `{before}` does not identify the records: {problem}, and no `id` field does either"),
            ),
        }
    }

    pub(super) fn cursor(&mut self, i: usize, records: &[Value]) -> Option<CheckPart> {
        let inc = self.model.endpoints[i].incremental.clone()?;
        if records.is_empty() {
            return Some(CheckPart::passed(
                "cursor field",
                "no records on the first page to check".into(),
            ));
        }
        let present = records
            .iter()
            .any(|r| r.get(&inc.cursor_field).is_some_and(|v| !v.is_null()));
        if present {
            return Some(CheckPart::passed(
                "cursor field",
                format!("`{}` present", inc.cursor_field),
            ));
        }
        let problem = format!("no record has `{}`", inc.cursor_field);
        // A header filter (`If-Modified-Since`) on records that show no update time (a log)
        // compares when they were written.
        let found = observed::cursor_field(records)
            .map(|f| (f, "update time"))
            .or_else(|| {
                observed::written_field(records)
                    .filter(|_| inc.header)
                    .map(|f| (f, "write time, which the header filter compares"))
            });
        Some(match found {
            Some((found, what)) => {
                self.correct(
                    i,
                    CorrectedField::CursorField,
                    inc.cursor_field.clone(),
                    found.clone(),
                    format!("{problem}; `{found}` holds each record's {what}"),
                );
                if let Some(inc) = &mut self.model.endpoints[i].incremental {
                    inc.cursor_field = found.clone();
                }
                CheckPart::passed("cursor field", format!("corrected to `{found}` ({problem})"))
            }
            None => CheckPart::failed(
                "cursor field",
                format!("unexpected shape: {problem} and no field holds an update time, so incremental syncs could not advance; deselect the table or sync it in full"),
            ),
        })
    }
}
