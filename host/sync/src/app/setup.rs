//! Setup: a connection from its documents (the setup jobs: extract, merge, generate,
//! build) and its settings (config, destination schema, the effective base URL).

use super::*;

impl App {
    /// Registers a new connection in phase `scanning` from reference files (kind read from
    /// their content).
    pub fn create(
        &self,
        name: &str,
        inputs: &[PathBuf],
        destination: Option<&str>,
    ) -> Result<Connection> {
        let inputs: Vec<Input> = inputs
            .iter()
            .map(|p| Input::File(p.display().to_string()))
            .collect();
        self.create_with(name, &inputs, destination)
    }

    /// Registers a new connection in phase `scanning`.
    pub fn create_with(
        &self,
        name: &str,
        inputs: &[Input],
        destination: Option<&str>,
    ) -> Result<Connection> {
        if inputs.is_empty() {
            return Err(Error::Config(
                "give at least one documentation input (`--openapi`, `--postman`, `--pdf`, `--markdown` or `--docs-url`)".into(),
            ));
        }
        let destination = destination
            .map(str::to_owned)
            .unwrap_or_else(|| self.home.default_destination());
        DestinationUrl::parse(&destination)?;
        // A destination password is a secret: kept encrypted apart, never in the stored URL.
        let (destination, destination_password) = split_password(&destination);
        let mut abs = Vec::new();
        for input in inputs {
            let resolved = match input {
                Input::DocsUrl(u) => {
                    let parsed = url::Url::parse(u)
                        .map_err(|e| Error::Config(format!("`--docs-url {u}`: {e}")))?;
                    if !matches!(parsed.scheme(), "http" | "https") {
                        return Err(Error::Config(format!(
                            "`--docs-url {u}`: only http and https URLs can be crawled"
                        )));
                    }
                    input.clone()
                }
                other => {
                    let p = std::path::absolute(other.location())?;
                    if !p.exists() {
                        return Err(Error::Config(format!(
                            "input `{}` does not exist",
                            p.display()
                        )));
                    }
                    let loc = p.display().to_string();
                    match other {
                        Input::File(_) => Input::File(loc),
                        Input::Openapi(_) => Input::Openapi(loc),
                        Input::Postman(_) => Input::Postman(loc),
                        Input::Pdf(_) => Input::Pdf(loc),
                        Input::Markdown(_) => Input::Markdown(loc),
                        Input::DocsUrl(_) => unreachable!("handled above"),
                    }
                }
            };
            abs.push(resolved);
        }
        let conn = Connection {
            id: self.home.new_id(name)?,
            name: name.into(),
            inputs: abs,
            destination,
            schema: self.home.propose_schema(name)?,
            schema_frozen: false,
            phase: Phase::Scanning,
            error: None,
            config: BTreeMap::new(),
            component: None,
            component_hash: None,
            last_test: None,
            last_sync: None,
            customization: Default::default(),
            sync_every: None,
        };
        self.home.save(&conn)?;
        if let Some(password) = destination_password {
            self.home
                .update_secrets(&conn.id, &[(DESTINATION_PASSWORD.into(), Some(password))])?;
        }
        Ok(conn)
    }

    pub(super) fn set_phase(&self, conn: &mut Connection, phase: Phase) -> Result<()> {
        // The phase and the component are the setup job's; the rest may have changed meanwhile.
        let (component, hash) = (conn.component.clone(), conn.component_hash.clone());
        *conn = self.home.modify(&conn.id, |c| {
            c.phase = phase;
            c.error = None;
            c.component = component;
            c.component_hash = hash;
        })?;
        Ok(())
    }

    /// Runs the setup phases from wherever the connection stands up to `ready`, calling
    /// `on_phase` as each starts. A failure is recorded on the connection and returned.
    pub fn run_setup(&self, id: &str, on_phase: &dyn Fn(Phase)) -> Result<Connection> {
        let mut conn = self.home.load(id)?;
        let job = self.home.job_start(id, "setup")?;
        let record = |p: Phase| {
            // The job's phase log is informative; a failure to write it must not stop setup.
            if let Err(e) = self.home.job_phase(&job, p) {
                tracing::warn!(error = %error_chain(&e), "recording a setup phase");
            }
            on_phase(p);
        };
        let r = self.run_setup_inner(&mut conn, &record);
        if let Err(e) = &r {
            conn = self.home.modify(id, |c| {
                c.phase = Phase::Failed;
                c.error = Some(error_chain(e));
            })?;
        }
        self.home
            .job_finish(&job, r.as_ref().err().map(|e| error_chain(e)).as_deref())?;
        r.map(|_| conn)
    }

    pub(super) fn run_setup_inner(
        &self,
        conn: &mut Connection,
        on_phase: &dyn Fn(Phase),
    ) -> Result<()> {
        if !self.home.has_model(&conn.id)? {
            on_phase(Phase::Scanning);
            self.set_phase(conn, Phase::Scanning)?;
            let model = self.scan(conn)?;
            self.home.save_model(&conn.id, &model)?;
            if let Some(base) = model.servers.first() {
                *conn = self.home.modify(&conn.id, |c| {
                    c.config
                        .entry("base_url".into())
                        .or_insert_with(|| base.clone());
                })?;
            }
            self.set_phase(conn, Phase::EndpointsReady)?;
            on_phase(Phase::EndpointsReady);
        }
        on_phase(Phase::Generating);
        self.set_phase(conn, Phase::Generating)?;
        let krate = self.generate(&conn.id)?;
        on_phase(Phase::Compiling);
        self.set_phase(conn, Phase::Compiling)?;
        let built = self.builder.build(&krate.crate_name, &krate.files)?;
        // Compile to native code now so the first test or sync starts at once.
        self.runtime.load(&built.component)?;
        conn.component = Some(built.component);
        conn.component_hash = Some(built.hash);
        self.set_phase(conn, Phase::Ready)?;
        on_phase(Phase::Ready);
        Ok(())
    }

    pub(super) fn scan(&self, conn: &Connection) -> Result<ApiModel> {
        let mut model = connector_agent_extract::extract(&conn.inputs)?.model;
        model.name = conn.name.clone();
        Ok(model)
    }

    /// Renders the connector crate for the connection's current model.
    pub fn generate(&self, id: &str) -> Result<GeneratedCrate> {
        let model = self.home.load_model(id)?;
        let options = CodegenOptions {
            crate_name: None,
            sdk_path: self.builder.sdk_path_for_crates(),
        };
        Ok(connector_agent_codegen::generate(&model, &options)?)
    }

    /// Sets config values; secret fields (per the model) are stored encrypted, apart.
    pub fn set_config(&self, id: &str, values: &[(String, String)]) -> Result<()> {
        let model = self.home.load_model(id)?;
        let mut secrets = Vec::new();
        let mut plain = Vec::new();
        let mut cleared = Vec::new();
        for (k, v) in values {
            if k == DESTINATION_PASSWORD_FIELD {
                // A wrong or rotated destination password is changed like any secret; empty
                // removes it.
                let conn = self.home.load(id)?;
                if !conn.destination.starts_with("postgres") {
                    return Err(Error::Config(format!(
                        "`{DESTINATION_PASSWORD_FIELD}` is for PostgreSQL destinations; this one is {}",
                        conn.describe_destination()
                    )));
                }
                let value = Some(v.clone()).filter(|v| !v.is_empty());
                secrets.push((DESTINATION_PASSWORD.to_string(), value));
                continue;
            }
            let field = model.config.iter().find(|f| &f.name == k).ok_or_else(|| {
                let names: Vec<&str> = model.config.iter().map(|f| f.name.as_str()).collect();
                Error::Config(format!(
                    "unknown field `{k}`; fields are: {}",
                    names.join(", ")
                ))
            })?;
            // An empty value is no value: the field counts as unset again.
            if v.trim().is_empty() {
                if field.secret {
                    secrets.push((k.clone(), None));
                } else {
                    cleared.push(k.clone());
                }
            } else if field.secret {
                secrets.push((k.clone(), Some(v.clone())));
            } else {
                plain.push((k.clone(), v.clone()));
            }
        }
        self.home.update_secrets(id, &secrets)?;
        // A passing Save & Test vouches for the settings it checked: before the first sync,
        // changed settings need a new one (see `check_tested`).
        let untested = !values.is_empty() && !self.holds_data(&self.home.load(id)?)?;
        self.home.modify(id, |c| {
            c.config.extend(plain);
            for k in &cleared {
                c.config.remove(k);
            }
            if untested {
                c.last_test = None;
            }
        })?;
        Ok(())
    }

    /// Changes the destination schema name, unless it is frozen.
    pub fn set_schema(&self, id: &str, schema: &str) -> Result<()> {
        let conn = self.home.load(id)?;
        if conn.schema_frozen && conn.schema != schema {
            return Err(Error::NotReady {
                id: id.into(),
                reason: format!(
                    "the schema name `{}` is frozen since the first successful Save & Test; data already lives there",
                    conn.schema
                ),
            });
        }
        connector_agent_destination::validate_schema_name(schema)?;
        if self
            .home
            .list()?
            .iter()
            .any(|c| c.id != id && c.schema == schema)
        {
            return Err(Error::Config(format!(
                "schema `{schema}` is used by another connection"
            )));
        }
        let schema = schema.to_string();
        self.home.modify(id, |c| c.schema = schema)?;
        Ok(())
    }

    /// Missing required fields.
    pub fn missing_config(&self, id: &str) -> Result<Vec<String>> {
        let conn = self.home.load(id)?;
        let model = self.home.load_model(id)?;
        let secrets = self.home.load_secrets(id)?;
        Ok(model
            .config
            .iter()
            .filter(|f| {
                let set = |v: Option<&String>| v.is_some_and(|v| !v.trim().is_empty());
                model.needs_field(f) && !set(conn.config.get(&f.name)) && !set(secrets.get(&f.name))
            })
            .filter(|f| f.default.is_none())
            .map(|f| f.name.clone())
            .collect())
    }
}

/// The connection's config values as requests use them: `base_url` with its `{field}`
/// placeholders filled (see [`base_url`]).
pub fn effective_config(conn: &Connection, model: &ApiModel) -> Result<BTreeMap<String, String>> {
    let mut config = conn.config.clone();
    if let Some(base) = base_url(conn, model)? {
        config.insert("base_url".into(), base);
    }
    Ok(config)
}

/// `base_url` with each `{field}` placeholder (a server URL's variables, Discourse's
/// `https://{default_host}`) filled from the connection's value of that field, else the
/// field's default. A value is part of a host or path and nothing more: letters, digits,
/// `-`, `.`, `_` and `:` only, so it cannot add a path, user info or another host; the URL
/// it makes must parse. `None` when `base_url` is not set.
pub fn base_url(conn: &Connection, model: &ApiModel) -> Result<Option<String>> {
    let Some(raw) = conn.config.get("base_url").filter(|b| !b.trim().is_empty()) else {
        return Ok(None);
    };
    if !raw.contains('{') {
        return Ok(Some(raw.clone()));
    }
    let id = &conn.id;
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(Error::Config(format!(
                "`base_url` `{raw}` has a `{{` without its `}}`"
            )));
        };
        let name = &rest[open + 1..open + close];
        let value = conn
            .config
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .or_else(|| {
                let field = model.config.iter().find(|f| f.name == name)?;
                field.default.clone().filter(|d| !d.trim().is_empty())
            });
        let Some(value) = value else {
            return Err(Error::Config(format!(
                "`base_url` `{raw}` takes `{name}`, which is not set: `connector-agent setup {id} --set {name}=VALUE`"
            )));
        };
        let value = value.trim();
        if !connector_agent_model::is_url_part(value) {
            return Err(Error::Config(format!(
                "`{name}` `{value}` cannot be part of `base_url` `{raw}`: letters, digits, `-`, `.`, `_` and `:` only"
            )));
        }
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    match url::Url::parse(&out) {
        Ok(u) if u.host_str().is_some() => Ok(Some(out)),
        _ => Err(Error::Config(format!(
            "`base_url` `{raw}` filled in is `{out}`, which is not a valid URL"
        ))),
    }
}
