//! SQL text from table specs. Pure: no I/O. Identifiers are always quoted.

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

/// `"name"` with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` with inner quotes doubled.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `CREATE TABLE` for a spec.
pub fn create_table(spec: &TableSpec) -> String {
    let mut cols: Vec<String> = spec
        .all_columns()
        .iter()
        .map(|c| format!("{} {}", quote_ident(&c.name), c.ty.sqlite()))
        .collect();
    if !spec.primary_key.is_empty() {
        cols.push(format!(
            "PRIMARY KEY ({})",
            spec.primary_key
                .iter()
                .map(|k| quote_ident(k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        quote_ident(&spec.name),
        cols.join(", ")
    )
}

/// An upsert that loads a JSON array of records bound as `?1`, with `_synced_at` as `?2` and
/// one JSON path per column from `?3` on. Returns the SQL and the paths to bind.
pub fn upsert_from_json(spec: &TableSpec) -> (String, Vec<String>) {
    let cols: Vec<&ColumnSpec> = spec
        .columns
        .iter()
        .filter(|c| c.name != SYNCED_AT)
        .collect();
    let mut names: Vec<String> = cols.iter().map(|c| quote_ident(&c.name)).collect();
    names.push(quote_ident(SYNCED_AT));
    let mut exprs: Vec<String> = Vec::with_capacity(cols.len() + 1);
    let mut paths = Vec::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        // JSON path with the key quoted; a key holding `"` cannot be addressed by a path, so
        // such a column stays NULL rather than reading the wrong field.
        let path = if c.name.contains('"') || c.name.contains('\\') {
            "$.\"\u{0}\"".to_string()
        } else {
            format!("$.\"{}\"", c.name)
        };
        paths.push(path);
        let extract = format!("json_extract(value, ?{})", i + 3);
        exprs.push(match c.ty {
            // json_extract returns objects and arrays as JSON text already; scalars in a JSON
            // column are kept as JSON too.
            // `->` returns the JSON text of any value (objects, arrays, quoted strings);
            // JSON null and a missing key both become SQL NULL.
            SqlType::Json => format!("NULLIF(value -> ?{}, 'null')", i + 3),
            _ => extract,
        });
    }
    exprs.push("?2".into());
    let mut sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM json_each(?1) WHERE true",
        quote_ident(&spec.name),
        names.join(", "),
        exprs.join(", ")
    );
    if !spec.primary_key.is_empty() {
        let updates: Vec<String> = names
            .iter()
            .filter(|n| !spec.primary_key.iter().any(|k| quote_ident(k) == **n))
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        sql.push_str(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            spec.primary_key
                .iter()
                .map(|k| quote_ident(k))
                .collect::<Vec<_>>()
                .join(", "),
            updates.join(", ")
        ));
    }
    (sql, paths)
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
            create_table(&spec),
            "CREATE TABLE IF NOT EXISTS \"drop table\" (\"id\" TEXT, \"_synced_at\" TEXT, PRIMARY KEY (\"id\"))"
        );
    }
}
