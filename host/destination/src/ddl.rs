//! SQL text for both backends, from table specs. Pure: no I/O. Identifiers are always quoted.

/// Column types in the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// Text.
    Text,
    /// Integer.
    Integer,
    /// Float.
    Real,
    /// Boolean (0/1 in SQLite).
    Boolean,
    /// Timestamp (text or epoch).
    Timestamp,
    /// JSON text.
    Json,
}

impl SqlType {
    /// SQLite type name.
    pub fn sqlite(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Integer => "INTEGER",
            SqlType::Real => "REAL",
            SqlType::Boolean => "BOOLEAN",
            SqlType::Timestamp => "TIMESTAMP",
            SqlType::Json => "JSON",
        }
    }

    /// PostgreSQL type name.
    pub fn postgres(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Integer => "BIGINT",
            SqlType::Real => "DOUBLE PRECISION",
            SqlType::Boolean => "BOOLEAN",
            SqlType::Timestamp => "TIMESTAMPTZ",
            SqlType::Json => "JSONB",
        }
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    /// Name (the record field).
    pub name: String,
    /// Type.
    pub ty: SqlType,
}

/// A table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Name.
    pub name: String,
    /// Columns from the connector's schema.
    pub columns: Vec<ColumnSpec>,
    /// Primary key columns (may be empty).
    pub primary_key: Vec<String>,
}

/// The column every row carries: when the host wrote it.
pub const SYNCED_AT: &str = "_synced_at";

impl TableSpec {
    /// The spec with [`crate::ROW_ID`] as its key when it has none: its rows are upserted on
    /// a hash of the record instead of appended (see [`crate::row_id`]).
    pub fn keyed_by_row_id_if_keyless(mut self) -> TableSpec {
        if self.primary_key.is_empty() {
            self.columns.retain(|c| c.name != crate::ROW_ID);
            self.columns.push(ColumnSpec {
                name: crate::ROW_ID.into(),
                ty: SqlType::Text,
            });
            self.primary_key = vec![crate::ROW_ID.into()];
        }
        self
    }

    /// Whether rows are keyed by [`crate::ROW_ID`].
    pub fn keyed_by_row_id(&self) -> bool {
        self.primary_key.len() == 1 && self.primary_key[0] == crate::ROW_ID
    }

    /// Columns plus `_synced_at`.
    pub fn all_columns(&self) -> Vec<ColumnSpec> {
        let mut cols = self.columns.clone();
        cols.retain(|c| c.name != SYNCED_AT);
        cols.push(ColumnSpec {
            name: SYNCED_AT.into(),
            ty: SqlType::Text,
        });
        cols
    }
}

/// A column as laid out in the destination: its (sanitised) name and the record key it is
/// loaded from.
#[derive(Debug, Clone, PartialEq)]
pub struct LaidColumn {
    /// The record key.
    pub key: String,
    /// The column name (see [`crate::names`]).
    pub name: String,
    /// Type.
    pub ty: SqlType,
}

/// A table as laid out in the destination, from a [`TableSpec`] and the columns the table
/// has: every key mapped to its column by [`crate::ColumnNames`], once.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Table name.
    pub name: String,
    /// Columns, `_synced_at` last.
    pub columns: Vec<LaidColumn>,
    /// Primary key column names.
    pub primary_key: Vec<String>,
    /// Keys that got no column (beyond [`crate::MAX_COLUMNS`]).
    pub dropped: Vec<String>,
}

impl TableSpec {
    /// The table's layout, given the columns it has now (empty when it does not exist).
    pub fn layout(&self, existing: &[String]) -> Layout {
        let all = self.all_columns();
        let mut required: Vec<&str> = self.primary_key.iter().map(String::as_str).collect();
        required.extend([SYNCED_AT, crate::ROW_ID]);
        let names =
            crate::ColumnNames::assign(all.iter().map(|c| c.name.as_str()), &required, existing);
        let columns: Vec<LaidColumn> = all
            .iter()
            .filter_map(|c| {
                names.get(&c.name).map(|n| LaidColumn {
                    key: c.name.clone(),
                    name: n.to_string(),
                    ty: c.ty,
                })
            })
            .collect();
        let primary_key = self
            .primary_key
            .iter()
            .filter_map(|k| names.get(k).map(str::to_owned))
            .collect();
        Layout {
            name: self.name.clone(),
            columns,
            primary_key,
            dropped: names.dropped,
        }
    }
}

impl Layout {
    /// The loaded columns (all but `_synced_at`).
    fn loaded(&self) -> Vec<&LaidColumn> {
        self.columns.iter().filter(|c| c.key != SYNCED_AT).collect()
    }

    /// The name of `_synced_at`'s column.
    fn synced_at(&self) -> &str {
        self.columns
            .iter()
            .find(|c| c.key == SYNCED_AT)
            .map_or(SYNCED_AT, |c| c.name.as_str())
    }
}

/// Whether a key can be written inside a SQLite JSON path `$."key"` (which has no escapes).
fn sqlite_path_safe(key: &str) -> bool {
    !key.chars().any(|c| c.is_control() || c == '"' || c == '\\')
}

/// `"name"` with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` with inner quotes doubled.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The table holding the sync state, one row, inside the connection's schema.
pub const STATE_TABLE: &str = "_connector_agent_state";

/// PostgreSQL truncates identifiers to this many bytes.
const PG_MAX_IDENT: usize = 63;

/// Conversions from a JSON value to a PostgreSQL column type, created per session in
/// `pg_temp` (nothing is left in the user's schema). A value that does not convert becomes
/// NULL instead of failing the page:
/// - numbers: JSON numbers, and strings holding a decimal number (`"12"`, `" 7 "`, `"1e3"`);
///   BIGINT takes only integral values in range (`1.0` is 1, `1.5` is NULL); DOUBLE PRECISION
///   takes finite values in range (a value too small to represent is 0).
/// - booleans: JSON booleans, `"true"`/`"false"`, `t`/`f`, `yes`/`no`, `y`/`n`, `on`/`off`,
///   `1`/`0` (strings or numbers).
/// - timestamps: a number (or numeric string) is Unix epoch seconds; a string holding a digit
///   is parsed by PostgreSQL (ISO 8601, RFC 2822, …; without an offset it is UTC); an invalid
///   date such as `2024-02-30` is NULL. Words such as `now` are never read as a time.
const PG_FUNCTIONS: &str = r#"
CREATE FUNCTION pg_temp.connector_agent_numeric(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN v::numeric
    WHEN 'string' THEN CASE
      WHEN length(v #>> '{}') <= 200
        AND btrim(v #>> '{}') ~ '^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$'
      THEN btrim(v #>> '{}')::numeric END
  END
$f$;
CREATE FUNCTION pg_temp.connector_agent_bigint(v jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE WHEN n = trunc(n) AND n BETWEEN -9223372036854775808 AND 9223372036854775807
    THEN n::bigint END
  FROM (SELECT pg_temp.connector_agent_numeric(v) AS n) AS x
$f$;
CREATE FUNCTION pg_temp.connector_agent_double(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE
    WHEN abs(n) < 1e-300 THEN 0
    WHEN abs(n) <= 1.7976931348623157e308 THEN n::double precision
  END
  FROM (SELECT pg_temp.connector_agent_numeric(v) AS n) AS x
$f$;
CREATE FUNCTION pg_temp.connector_agent_boolean(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE
    WHEN jsonb_typeof(v) = 'boolean' THEN v::boolean
    WHEN jsonb_typeof(v) NOT IN ('string', 'number') THEN NULL
    WHEN lower(btrim(v #>> '{}')) IN ('true', 't', 'yes', 'y', 'on', '1') THEN true
    WHEN lower(btrim(v #>> '{}')) IN ('false', 'f', 'no', 'n', 'off', '0') THEN false
  END
$f$;
CREATE FUNCTION pg_temp.connector_agent_timestamptz(v jsonb) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $f$
DECLARE
  n numeric := pg_temp.connector_agent_numeric(v);
BEGIN
  IF n IS NOT NULL THEN
    RETURN to_timestamp(n::double precision);
  ELSIF jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '[0-9]' THEN
    RETURN (v #>> '{}')::timestamptz;
  END IF;
  RETURN NULL;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$f$;
"#;

/// The SQL dialect of a destination and the schema it writes into. Everything that differs
/// between the backends is SQL text from here; the writer runs it the same way on both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: the schema is a file of its own, so names are not qualified.
    Sqlite,
    /// PostgreSQL: names are qualified with the (quoted) schema.
    Postgres {
        /// The connection's schema.
        schema: String,
    },
}

impl Dialect {
    /// Positional parameter `i` (from 1).
    fn param(&self, i: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{i}"),
            Dialect::Postgres { .. } => format!("${i}"),
        }
    }

    /// A table name, quoted and qualified.
    pub fn table(&self, name: &str) -> String {
        match self {
            Dialect::Sqlite => quote_ident(name),
            Dialect::Postgres { schema } => {
                format!("{}.{}", quote_ident(schema), quote_ident(name))
            }
        }
    }

    /// The name the database keeps for an identifier (PostgreSQL truncates long names).
    pub fn stored_name(&self, name: &str) -> String {
        match self {
            Dialect::Sqlite => name.to_string(),
            Dialect::Postgres { .. } => {
                let mut end = name.len().min(PG_MAX_IDENT);
                while !name.is_char_boundary(end) {
                    end -= 1;
                }
                name[..end].to_string()
            }
        }
    }

    /// A column's type. `_synced_at` is a timestamp on PostgreSQL (RFC 3339 text on SQLite).
    fn column_type(&self, c: &LaidColumn) -> &'static str {
        match self {
            Dialect::Sqlite => c.ty.sqlite(),
            Dialect::Postgres { .. } if c.key == SYNCED_AT => "TIMESTAMPTZ",
            Dialect::Postgres { .. } => c.ty.postgres(),
        }
    }

    /// Statements run once per connection: the schema, the state table and, on PostgreSQL,
    /// the session's UTC time zone and the conversion functions.
    pub fn setup(&self) -> String {
        let state = format!(
            "CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL, counter BIGINT NOT NULL, updated_at TEXT NOT NULL);",
            self.table(STATE_TABLE)
        );
        match self {
            Dialect::Sqlite => state,
            // The schema is created only when missing, so a user without CREATE on the
            // database can still write into a schema made for it.
            Dialect::Postgres { schema } => format!(
                "SET TIME ZONE 'UTC';\n\
                 DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {}) THEN CREATE SCHEMA {}; END IF; END $$;\n\
                 {state}\n{PG_FUNCTIONS}",
                quote_literal(schema),
                quote_ident(schema)
            ),
        }
    }

    /// The column names of the table bound as the first parameter, in order.
    pub fn existing_columns(&self) -> String {
        match self {
            Dialect::Sqlite => "SELECT name FROM pragma_table_info(?1)".into(),
            Dialect::Postgres { schema } => format!(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = {} AND table_name = $1 ORDER BY ordinal_position",
                quote_literal(schema)
            ),
        }
    }

    /// `CREATE TABLE` for a layout.
    pub fn create_table(&self, spec: &Layout) -> String {
        let mut cols: Vec<String> = spec
            .columns
            .iter()
            .map(|c| format!("{} {}", quote_ident(&c.name), self.column_type(c)))
            .collect();
        if !spec.primary_key.is_empty() {
            cols.push(format!("PRIMARY KEY ({})", idents(&spec.primary_key)));
        }
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            self.table(&spec.name),
            cols.join(", ")
        )
    }

    /// A unique index on the row id of a keyless table, which may predate the column (a
    /// table an earlier version created without a key); its older rows keep a NULL id.
    pub fn row_id_index(&self, table: &str) -> String {
        let index = format!(
            "{}__ca_row_id",
            self.stored_name(table).chars().take(40).collect::<String>()
        );
        format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
            quote_ident(&index),
            self.table(table),
            quote_ident(crate::ROW_ID)
        )
    }

    /// `ALTER TABLE … ADD COLUMN`.
    pub fn add_column(&self, table: &str, col: &LaidColumn) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {} {}",
            self.table(table),
            quote_ident(&col.name),
            self.column_type(col)
        )
    }

    /// An upsert that loads a JSON array of records bound as parameter 1, with `_synced_at`
    /// as parameter 2 and one key (a JSON path on SQLite, the field name on PostgreSQL) per
    /// column from parameter 3 on. Returns the SQL and the keys to bind.
    ///
    /// On PostgreSQL, a record whose primary key is missing (or does not convert to the key's
    /// type) is skipped, since a key column cannot be NULL, and when a page holds one key
    /// twice the last record wins (as on SQLite). That statement returns one row: the rows
    /// written and the records skipped for want of a key (see [`Dialect::upsert_counts`]).
    pub fn upsert_from_json(&self, spec: &Layout) -> (String, Vec<String>) {
        let cols = spec.loaded();
        let mut names: Vec<String> = cols.iter().map(|c| quote_ident(&c.name)).collect();
        names.push(quote_ident(spec.synced_at()));
        let mut exprs: Vec<String> = Vec::with_capacity(cols.len() + 1);
        let mut keys = Vec::with_capacity(cols.len());
        for (i, c) in cols.iter().enumerate() {
            let p = self.param(i + 3);
            let (key, expr) = match self {
                // A JSON path `$."key"` has no escapes: a key holding `"`, `\` or a control
                // character is looked up among the record's members instead.
                Dialect::Sqlite if !sqlite_path_safe(&c.key) => (
                    c.key.clone(),
                    match c.ty {
                        SqlType::Json => format!(
                            "(SELECT CASE j.type WHEN 'null' THEN NULL WHEN 'object' THEN j.value WHEN 'array' THEN j.value ELSE json_quote(j.value) END FROM json_each(r.value) AS j WHERE j.key = {p})"
                        ),
                        _ => format!("(SELECT j.value FROM json_each(r.value) AS j WHERE j.key = {p})"),
                    },
                ),
                Dialect::Sqlite => (
                    format!("$.\"{}\"", c.key),
                    match c.ty {
                        // `->` returns the JSON text of any value (objects, arrays, quoted
                        // strings); JSON null and a missing key both become SQL NULL.
                        SqlType::Json => format!("NULLIF(r.value -> {p}, 'null')"),
                        _ => format!("json_extract(r.value, {p})"),
                    },
                ),
                Dialect::Postgres { .. } => {
                    let v = format!("r.value -> {p}::text");
                    let expr = match c.ty {
                        // Objects and arrays as their JSON text, strings unquoted.
                        SqlType::Text => format!("r.value ->> {p}::text"),
                        SqlType::Integer => format!("pg_temp.connector_agent_bigint({v})"),
                        SqlType::Real => format!("pg_temp.connector_agent_double({v})"),
                        SqlType::Boolean => format!("pg_temp.connector_agent_boolean({v})"),
                        SqlType::Timestamp => format!("pg_temp.connector_agent_timestamptz({v})"),
                        SqlType::Json => format!("NULLIF({v}, 'null'::jsonb)"),
                    };
                    // PostgreSQL text holds no NUL; the records' NULs became U+FFFD (see
                    // the writer), keys included.
                    (c.key.replace('\0', "\u{fffd}"), expr)
                }
            };
            keys.push(key);
            exprs.push(expr);
        }
        let pk_exprs: Vec<&str> = spec
            .primary_key
            .iter()
            .filter_map(|k| cols.iter().position(|c| &c.name == k))
            .map(|i| exprs[i].as_str())
            .collect();
        let select = match self {
            Dialect::Sqlite => format!(
                "SELECT {}, ?2 FROM json_each(?1) AS r WHERE true",
                exprs.join(", ")
            ),
            Dialect::Postgres { .. } if pk_exprs.is_empty() => format!(
                "SELECT {}, CAST($2::text AS timestamptz) FROM jsonb_array_elements(CAST($1::text AS jsonb)) AS r(value)",
                exprs.join(", ")
            ),
            Dialect::Postgres { .. } => {
                // Keyed PostgreSQL loads are a statement of their own (below): they also count
                // the records skipped for want of a key.
                String::new()
            }
        };
        if let (Dialect::Postgres { .. }, false) = (self, pk_exprs.is_empty()) {
            let aliases: Vec<String> = (0..exprs.len()).map(|i| format!("c{i}")).collect();
            let src: Vec<String> = exprs
                .iter()
                .zip(&aliases)
                .map(|(e, a)| format!("{e} AS {a}"))
                .collect();
            let pk: Vec<&str> = spec
                .primary_key
                .iter()
                .filter_map(|k| cols.iter().position(|c| &c.name == k))
                .map(|i| aliases[i].as_str())
                .collect();
            let keyed: Vec<String> = pk.iter().map(|a| format!("{a} IS NOT NULL")).collect();
            let keyed = keyed.join(" AND ");
            let pk = pk.join(", ");
            let updates: Vec<String> = names
                .iter()
                .filter(|n| !spec.primary_key.iter().any(|k| quote_ident(k) == **n))
                .map(|n| format!("{n} = excluded.{n}"))
                .collect();
            let sql = format!(
                "WITH src AS (SELECT {}, r.n FROM jsonb_array_elements(CAST($1::text AS jsonb)) WITH ORDINALITY AS r(value, n)), \
                 written AS (INSERT INTO {} ({}) SELECT DISTINCT ON ({pk}) {}, CAST($2::text AS timestamptz) FROM src WHERE {keyed} ORDER BY {pk}, n DESC \
                 ON CONFLICT ({}) DO UPDATE SET {} RETURNING 1) \
                 SELECT (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM src WHERE NOT ({keyed})) AS skipped",
                src.join(", "),
                self.table(&spec.name),
                names.join(", "),
                aliases.join(", "),
                idents(&spec.primary_key),
                updates.join(", ")
            );
            return (sql, keys);
        }
        let mut sql = format!(
            "INSERT INTO {} ({}) {select}",
            self.table(&spec.name),
            names.join(", "),
        );
        if !spec.primary_key.is_empty() {
            let updates: Vec<String> = names
                .iter()
                .filter(|n| !spec.primary_key.iter().any(|k| quote_ident(k) == **n))
                .map(|n| format!("{n} = excluded.{n}"))
                .collect();
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}",
                idents(&spec.primary_key),
                updates.join(", ")
            ));
        }
        (sql, keys)
    }

    /// Whether [`Dialect::upsert_from_json`]'s statement for `spec` returns `(written,
    /// skipped)` instead of affecting rows.
    pub fn upsert_counts(&self, spec: &Layout) -> bool {
        // The same condition as the keyed statement: a key column among the loaded columns.
        matches!(self, Dialect::Postgres { .. })
            && spec
                .primary_key
                .iter()
                .any(|k| spec.loaded().iter().any(|c| &c.name == k))
    }

    /// Reads the state and its counter.
    pub fn load_state(&self) -> String {
        format!(
            "SELECT state, counter FROM {} WHERE id = 1",
            self.table(STATE_TABLE)
        )
    }

    /// Forgets the state.
    pub fn clear_state(&self) -> String {
        format!("DELETE FROM {}", self.table(STATE_TABLE))
    }

    /// Saves the state (parameter 1) at a time (parameter 2), counting the saves.
    pub fn save_state(&self) -> String {
        let t = self.table(STATE_TABLE);
        format!(
            "INSERT INTO {t} (id, state, counter, updated_at) VALUES (1, {p1}, 1, {p2}) ON CONFLICT (id) DO UPDATE SET state = excluded.state, counter = {t}.counter + 1, updated_at = excluded.updated_at",
            p1 = self.param(1),
            p2 = self.param(2)
        )
    }

    /// Creates a probe table (run in a transaction that is rolled back).
    pub fn probe(&self) -> String {
        format!(
            "CREATE TABLE {} (x INTEGER)",
            self.table("_connector_agent_probe")
        )
    }

    /// Counts a table's rows.
    pub fn count(&self, table: &str) -> String {
        format!("SELECT count(*) FROM {}", self.table(table))
    }
}

/// Quoted identifiers, comma-separated.
fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|k| quote_ident(k))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        let spec = TableSpec {
            name: "drop table".into(),
            columns: vec![ColumnSpec {
                name: "id".into(),
                ty: SqlType::Text,
            }],
            primary_key: vec!["id".into()],
        };
        assert_eq!(
            Dialect::Sqlite.create_table(&spec.layout(&[])),
            "CREATE TABLE IF NOT EXISTS \"drop table\" (\"id\" TEXT, \"_synced_at\" TEXT, PRIMARY KEY (\"id\"))"
        );
    }
}
