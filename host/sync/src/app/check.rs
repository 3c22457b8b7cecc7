//! Save & Test: the probe, the destination check and the connector's own check, and the
//! gate that keeps a connection from syncing before a passing test.

use super::*;

/// Save & Test results.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Connection.
    pub connection: String,
    /// One entry per check.
    pub checks: Vec<CheckOutcome>,
    /// All passed.
    pub ok: bool,
    /// What the probe corrected in the model (the connector was regenerated with them).
    pub corrections: Vec<String>,
}

impl App {
    /// Whether connection `id` may sync: once it has synced (or holds synced rows) always;
    /// before its first sync only after Save & Test has passed, so a first sync never runs
    /// on settings nothing has checked. `Err` says what to run.
    pub fn check_tested(&self, id: &str) -> Result<()> {
        let conn = self.home.load(id)?;
        if conn.last_test.is_some() || conn.last_sync.is_some() || self.holds_data(&conn)? {
            return Ok(());
        }
        Err(Error::NotReady {
            id: id.to_string(),
            reason: format!(
                "Save & Test has not passed yet: run `connector-agent test {id}` first (or `connector-agent sync {id} --force` to sync untested)"
            ),
        })
    }

    /// Save & Test: the connector's checks plus the destination's. No message holds a
    /// secret of the connection (see [`App::redactor`]).
    pub async fn test(&self, id: &str) -> Result<TestReport> {
        let r = self.test_unredacted(id).await;
        let redactor = self.redactor(id);
        match r {
            Ok(mut report) => {
                for c in &mut report.checks {
                    c.message = redactor.redact(&c.message);
                }
                for c in &mut report.corrections {
                    *c = redactor.redact(c);
                }
                Ok(report)
            }
            Err(e) => Err(redact_error(e, &redactor)),
        }
    }

    pub(super) async fn test_unredacted(&self, id: &str) -> Result<TestReport> {
        let (conn, model, _) = self.ready(id)?;
        let mut checks: Vec<CheckOutcome> = Vec::new();
        let missing = self.missing_config(id)?;
        if !missing.is_empty() {
            checks.push(CheckOutcome::failed(
                "config",
                format!("required fields not set: {} (use `connector-agent setup {id} --set NAME=VALUE`)", missing.join(", ")),
            ));
        }
        // OAuth 2.0 first: a token endpoint refusing the app is the cause of everything after,
        // so the API is not probed with credentials known to be missing.
        if let Some(refused) = self.oauth_check(id).await? {
            checks.push(refused);
            checks.push(self.destination_check(&conn).await);
            return Ok(TestReport {
                connection: id.into(),
                checks,
                ok: false,
                corrections: Vec::new(),
            });
        }
        // The host reads each endpoint itself first and corrects the model where the data
        // proves the docs wrong; the connector is then rebuilt from the corrected model.
        let http = self.http_context(&conn, &model)?;
        let config = effective_config(&conn, &model)?;
        let mut probe = crate::probe::probe(&http, id, &config, &model).await;
        checks.extend(probe.checks);
        let synced = self.holds_data(&conn)?;
        if synced && probe.model != model {
            // Tables already hold data under the current keys and columns: changing them now
            // would break the upserts and bypass the schema-change policy. Say, don't apply.
            probe.model = model.clone();
            for c in &mut probe.corrections {
                *c = format!(
                    "not applied (tables already hold synced data; review and regenerate with `connector-agent endpoints {id}` before a full resync): {c}"
                );
            }
        }
        if probe.model != model && self.home.load_model(id)? != model {
            // The model was changed (selection, import) while the probe ran: the corrections
            // are for a model that is gone.
            probe.model = model.clone();
            for c in &mut probe.corrections {
                *c = format!("not applied (the model changed during the test; test again): {c}");
            }
        }
        if probe.model != model {
            self.home.save_model(id, &probe.model)?;
            let mut conn = self.home.load(id)?;
            self.set_phase(&mut conn, Phase::EndpointsReady)?;
            blocking(|| self.run_setup(id, &|_| {}))?;
        }
        let (conn, model, loaded) = self.ready(id)?;
        if !probe.blocked {
            // The sandboxed connector must read the same pages through its own code.
            let http = self.http_context(&conn, &model)?;
            let tables: Vec<String> = model.selected().map(|e| e.table.clone()).collect();
            let results: Vec<CheckResult> = loaded
                .check(
                    http,
                    self.limits,
                    &Self::config_entries(&conn, &model)?,
                    &tables,
                )
                .await?;
            checks.push(crate::probe::connector_check(results));
        }
        checks.push(self.destination_check(&conn).await);
        let ok = checks.iter().all(|c| c.ok);
        if ok {
            self.home.modify(id, |c| {
                c.schema_frozen = true;
                c.last_test = Some(now_rfc3339());
            })?;
        }
        Ok(TestReport {
            connection: id.into(),
            checks,
            ok,
            corrections: probe.corrections,
        })
    }

    /// The connection's destination, with its password (kept apart, encrypted) put back.
    pub(super) fn destination(&self, conn: &Connection) -> Result<DestinationUrl> {
        let secrets = self.home.load_secrets(&conn.id)?;
        let Some(password) = secrets.get(DESTINATION_PASSWORD) else {
            return Ok(DestinationUrl::parse(&conn.destination)?);
        };
        let mut url = url::Url::parse(&conn.destination)
            .map_err(|e| Error::Config(format!("destination URL: {e}")))?;
        // `set_password` encodes what the user-info syntax needs, but not `%`: a literal `%`
        // must not be read back as an escape by the driver.
        if url
            .set_password(Some(&password.replace('%', "%25")))
            .is_err()
        {
            // No host in the URL (a Unix socket given as `?host=/run/postgresql`): the
            // password goes back as a parameter, as such URLs give it.
            url.query_pairs_mut().append_pair("password", password);
        }
        Ok(DestinationUrl::parse(url.as_str())?)
    }

    /// Whether the destination schema can be opened and written.
    pub(super) async fn destination_check(&self, conn: &Connection) -> CheckOutcome {
        const NAME: &str = "destination writable";
        let dest = match self.destination(conn) {
            Ok(d) => d,
            Err(e) => return CheckOutcome::failed(NAME, error_chain(&e)),
        };
        let written = match Writer::open(&dest, &conn.schema).await {
            Ok(mut w) => {
                let r = w.check_writable().await;
                let _ = w.close().await;
                r
            }
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => CheckOutcome::passed(NAME, dest.describe(&conn.schema)),
            Err(e) => CheckOutcome::failed(NAME, error_chain(&e)),
        }
    }
}
