//! Stage: the intermediate representation shared by every stage.
//!
//! Every extractor produces an [`ApiModel`]; the review step edits its selection; the
//! generator consumes it. It is plain data: serialisable to JSON so that a user or a test
//! can inspect and edit it. This crate does no I/O and depends on no other internal crate.
#![warn(missing_docs)]

mod input;
pub use input::Input;

use serde::{Deserialize, Serialize};

/// The normalised description of one API, as extracted from its documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiModel {
    /// Human name of the API (from the spec's title or the user's `--name`).
    pub name: String,
    /// Version string of the API's documentation, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where the model came from (file paths or URLs), for the user's reference.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Base URLs found in the documentation, best first.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Authentication schemes the API accepts, best first.
    #[serde(default)]
    pub auth: Vec<AuthScheme>,
    /// Config fields the user fills in at setup (base URL, credentials, start date, ...).
    #[serde(default)]
    pub config: Vec<ConfigField>,
    /// Headers the API requires on its requests besides the credentials (`Stripe-Version`,
    /// `Api-Username`): a literal value, or `{config_field}`. The host adds them to every
    /// request to the API's own origin, as it adds the credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<QueryParam>,
    /// Endpoints that can become tables, one per entity.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

/// One config field of a connection, shown in the setup form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    /// Machine name (`base_url`, `api_key`, ...): a snake_case identifier.
    pub name: String,
    /// Short label for the form.
    pub label: String,
    /// What the value is and how to obtain it, drawn from the docs where possible.
    pub description: String,
    /// A secret is held by the host only; it never enters the connector or generated code.
    #[serde(default)]
    pub secret: bool,
    /// Whether setup cannot finish without it.
    #[serde(default)]
    pub required: bool,
    /// Default value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// How the API authenticates a request. The host applies it; the connector never sees secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// Config field holding the token.
        token_field: String,
    },
    /// An API key in a header, a query parameter or a cookie.
    ApiKey {
        /// Where the key goes.
        location: ApiKeyLocation,
        /// Header, query parameter or cookie name.
        param: String,
        /// Optional prefix placed before the key (e.g. `Token `).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        /// Config field holding the key.
        key_field: String,
    },
    /// HTTP basic auth.
    Basic {
        /// Config field holding the user name.
        username_field: String,
        /// Config field holding the password.
        password_field: String,
    },
    /// OAuth 2.0.
    OAuth2 {
        /// Authorisation URL (code flow).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authorization_url: Option<String>,
        /// Token URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_url: Option<String>,
        /// Scopes named by the documentation.
        #[serde(default)]
        scopes: Vec<String>,
    },
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// One list endpoint that becomes one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Entity name as the docs call it (singular or plural, human text).
    pub entity: String,
    /// HTTP method (upper case).
    pub method: String,
    /// Path template relative to the base URL, e.g. `/v1/customers/{customer_id}/invoices`.
    pub path: String,
    /// Target table name: snake_case, unique within the model.
    pub table: String,
    /// Whether the user selected it for sync (all are selected by default).
    #[serde(default = "yes")]
    pub selected: bool,
    /// Path to the records array inside the response body; empty means the body itself.
    #[serde(default)]
    pub record_path: Vec<String>,
    /// How each record is laid out: plain fields, or a JSON:API resource object whose
    /// `attributes` and relationship ids become the columns.
    #[serde(default, skip_serializing_if = "RecordLayout::is_plain")]
    pub layout: RecordLayout,
    /// Primary key columns; empty when none was found.
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Columns known from the schema or examples.
    #[serde(default)]
    pub columns: Vec<Column>,
    /// Fixed query parameters sent with every request.
    #[serde(default)]
    pub query: Vec<QueryParam>,
    /// Headers the docs require on this endpoint's requests (`X-Early-Access`, a version
    /// `Accept`): a literal, or `{config_field}` of a non-secret field. Secret ones are the
    /// model's `headers`, added by the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<QueryParam>,
    /// How the endpoint pages through its records.
    #[serde(default)]
    pub pagination: Pagination,
    /// How only changed records are fetched, if the API allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
    /// The parent list whose records fill this endpoint's path parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    /// Why this endpoint was proposed, in words.
    #[serde(default)]
    pub reason: String,
    /// Confidence in the inference, 0.0 to 1.0.
    #[serde(default)]
    pub confidence: f32,
    /// What Save & Test changed after reading the live API, where the docs were wrong or
    /// silent; shown by the review.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

/// How each record of a list is laid out in the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordLayout {
    /// The record's fields are its columns.
    #[default]
    Plain,
    /// A JSON:API resource object (`id`, `type`, `attributes`, `relationships`): the members
    /// of `attributes` are columns, and each relationship gives `<name>_id` (to-one) or
    /// `<name>_ids` (to-many, a JSON array).
    JsonApi,
}

impl RecordLayout {
    /// Whether records are plain (the default, not written in the model's JSON).
    pub fn is_plain(&self) -> bool {
        *self == RecordLayout::Plain
    }
}

/// One change the Save & Test probe made to an endpoint after reading its first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// What was corrected.
    pub field: CorrectedField,
    /// The value before, as text (empty when the docs were silent).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub before: String,
    /// The value the probe set, as text.
    pub after: String,
    /// What the probe saw that proves it.
    pub evidence: String,
}

/// The part of an endpoint a [`Correction`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectedField {
    /// [`Endpoint::record_path`].
    RecordPath,
    /// [`Endpoint::primary_key`].
    PrimaryKey,
    /// [`Endpoint::layout`] (records that are JSON:API resource objects).
    Layout,
    /// [`Endpoint::headers`] (a media type the API answers in).
    Headers,
    /// [`Incremental::cursor_field`].
    CursorField,
    /// [`Endpoint::columns`] (columns added).
    Columns,
    /// [`Endpoint::pagination`] (a paginator the docs did not show, a page size the API
    /// refused).
    Pagination,
    /// [`Endpoint::incremental`] (a filter the API ignores or applies to another field).
    Incremental,
}

impl CorrectedField {
    /// Name as in the model.
    pub fn label(self) -> &'static str {
        match self {
            CorrectedField::RecordPath => "record path",
            CorrectedField::PrimaryKey => "primary key",
            CorrectedField::Layout => "record layout",
            CorrectedField::Headers => "headers",
            CorrectedField::CursorField => "cursor field",
            CorrectedField::Columns => "columns",
            CorrectedField::Pagination => "pagination",
            CorrectedField::Incremental => "incremental filter",
        }
    }
}

impl std::fmt::Display for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let before = if self.before.is_empty() {
            "(none)"
        } else {
            &self.before
        };
        write!(
            f,
            "{} `{before}` → `{}`: {}",
            self.field.label(),
            self.after,
            self.evidence
        )
    }
}

fn yes() -> bool {
    true
}

/// A fixed query parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParam {
    /// Parameter name.
    pub name: String,
    /// Literal value, or `{config_field}` to take it from config.
    pub value: String,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Field name in the record (also the column name).
    pub name: String,
    /// Column type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether the value may be null or absent.
    #[serde(default = "yes")]
    pub nullable: bool,
    /// Description from the docs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Column types; nested objects and arrays are JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Text.
    String,
    /// 64-bit integer.
    Integer,
    /// Floating point number.
    Number,
    /// Boolean.
    Boolean,
    /// Date-time text (RFC 3339) or epoch.
    Timestamp,
    /// Nested object or array, stored as JSON.
    Json,
}

/// Pagination style of a list endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pagination {
    /// One request returns everything.
    #[default]
    None,
    /// Cursor taken from the last record's key (`starting_after`) while a flag says more.
    Cursor {
        /// Query parameter receiving the cursor.
        cursor_param: String,
        /// Record field whose value of the last record is the next cursor.
        cursor_from_record: Option<String>,
        /// Response body path holding the next cursor token (alternative to the record field).
        cursor_path: Option<Vec<String>>,
        /// Response body path of the boolean "has more" flag; absent = stop on empty cursor.
        has_more_path: Option<Vec<String>>,
        /// Page size parameter and value.
        limit: Option<PageSize>,
    },
    /// The response body holds the URL of the next page.
    NextUrl {
        /// Path of the next-URL field in the body.
        next_url_path: Vec<String>,
        /// Page size parameter and value.
        limit: Option<PageSize>,
    },
    /// The `Link` response header holds `rel="next"`.
    LinkHeader {
        /// Page size parameter and value.
        limit: Option<PageSize>,
    },
    /// Page numbers, until `end` says the list is over (without `end`: a short or empty
    /// page).
    PageNumber {
        /// Query parameter receiving the page number.
        page_param: String,
        /// First page number (0 or 1).
        start: u32,
        /// Page size parameter and value.
        limit: Option<PageSize>,
        /// What the response says about the end of the list, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<EndSignal>,
    },
    /// Offset and limit, until `end` says the list is over (without `end`: a short or empty
    /// page).
    Offset {
        /// Query parameter receiving the offset.
        offset_param: String,
        /// Page size parameter and value.
        limit: PageSize,
        /// What the response says about the end of the list, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<EndSignal>,
    },
}

/// A field of an offset or page-number response that says whether the list goes on. With
/// one, a short page is not the end (APIs cap page sizes and filter pages); an empty page
/// still is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EndSignal {
    /// A boolean: the list ends when it equals `stop_when` (`isLast` → true, `has_more` →
    /// false).
    Flag {
        /// Response body path of the boolean.
        path: Vec<String>,
        /// The value that means "this was the last page".
        stop_when: bool,
    },
    /// The number of records in all pages (`total`, `totalCount`): the list ends once that
    /// many have been paged past.
    Total {
        /// Response body path of the count.
        path: Vec<String>,
    },
    /// The number of pages (`total_pages`): the list ends at that page.
    TotalPages {
        /// Response body path of the page count.
        path: Vec<String>,
    },
}

impl EndSignal {
    /// The response body path the signal is read from.
    pub fn path(&self) -> &[String] {
        match self {
            EndSignal::Flag { path, .. }
            | EndSignal::Total { path }
            | EndSignal::TotalPages { path } => path,
        }
    }
}

/// A page size parameter and the value to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSize {
    /// Query parameter name.
    pub param: String,
    /// Value to send (the documented maximum where known).
    pub value: u32,
}

/// Incremental sync: a server-side filter and the record field it compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    /// Query parameter that filters by change time (`updated_since`, `since`, ...).
    pub param: String,
    /// Record field holding the change time; its maximum becomes the saved cursor.
    pub cursor_field: String,
    /// Format of the filter value.
    #[serde(default)]
    pub format: CursorFormat,
    /// The filter is a request header (`If-Modified-Since`), not a query parameter.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub header: bool,
}

/// Format of an incremental cursor value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CursorFormat {
    /// Sent as the record field's value, unchanged.
    #[default]
    Same,
    /// Unix seconds.
    UnixSeconds,
    /// RFC 3339 date-time.
    Rfc3339,
    /// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), as `If-Modified-Since` takes.
    HttpDate,
}

/// The links of `e`'s chain of parents, root first: each link's `column` is a column of `e`'s
/// rows (the connector adds the parent's key, and every key above it), so a child table is
/// keyed by them before its own key. A column named twice keeps its nearest link; a chain
/// that loops or names a missing table stops there.
pub fn parent_links(endpoints: &[Endpoint], e: &Endpoint) -> Vec<ParentRef> {
    let mut chain: Vec<ParentRef> = Vec::new();
    let mut cur = e;
    while let Some(link) = &cur.parent {
        if chain.len() > 8 || chain.iter().any(|c| c.table == link.table) {
            break;
        }
        if !chain.iter().any(|c| c.column == link.column) {
            chain.push(link.clone());
        }
        match endpoints.iter().find(|p| p.table == link.table) {
            Some(parent) => cur = parent,
            None => break,
        }
    }
    chain.reverse();
    chain
}

/// Link from a child endpoint to the parent list that fills its path parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRef {
    /// Parent endpoint's table.
    pub table: String,
    /// Path parameter in the child's path.
    pub path_param: String,
    /// Field of the parent record whose value fills it.
    pub parent_key: String,
    /// Column added to child rows holding the parent key.
    pub column: String,
}

/// Whether `value` may fill a `{field}` of a base URL (a server variable): letters, digits,
/// `-`, `.`, `_` and `:` only, so it can make a host or a port but never add a path, user
/// info, a query or another host. Extraction and the host apply the same rule.
pub fn is_url_part(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c))
}

/// Whether `name` is an HTTP header name (an RFC 9110 token).
pub fn is_header_name(name: &str) -> bool {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    !name.is_empty() && name.chars().all(token)
}

impl ApiModel {
    /// Checks what the rest of the pipeline relies on (for a model a person edited): table
    /// names are snake_case identifiers and unique, every parent names a table of the model
    /// and a path parameter of the child, keys and config names are not empty. The message
    /// names the endpoint and the field.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for (i, e) in self.endpoints.iter().enumerate() {
            let at = format!("endpoints[{i}] ({} {})", e.method, e.path);
            if e.table.is_empty() || snake_ident(&e.table) != e.table {
                return Err(format!(
                    "{at}: table `{}` is not a snake_case name (e.g. `{}`)",
                    e.table,
                    snake_ident(&e.table)
                ));
            }
            if !seen.insert(e.table.as_str()) {
                return Err(format!("{at}: a second table named `{}`", e.table));
            }
            if e.primary_key.iter().any(|k| k.trim().is_empty()) {
                return Err(format!("{at}: an empty primary key column"));
            }
            let distinct: std::collections::BTreeSet<&String> = e.primary_key.iter().collect();
            if distinct.len() != e.primary_key.len() {
                return Err(format!("{at}: a primary key column named twice"));
            }
            // Parents lead to a top-level table, never back round.
            let mut cur = e;
            for _ in 0..=self.endpoints.len() {
                let Some(p) = &cur.parent else { break };
                match self.endpoints.iter().find(|o| o.table == p.table) {
                    Some(next) if next.table == e.table => {
                        return Err(format!("{at}: its parents lead back to `{}`", e.table))
                    }
                    Some(next) => cur = next,
                    None => break,
                }
            }
            if let Some(p) = &e.parent {
                if !self.endpoints.iter().any(|o| o.table == p.table) {
                    return Err(format!(
                        "{at}: parent table `{}` is not in the model",
                        p.table
                    ));
                }
                if !e.path.contains(&format!("{{{}}}", p.path_param)) {
                    return Err(format!(
                        "{at}: parent path parameter `{}` is not in the path",
                        p.path_param
                    ));
                }
            }
        }
        for (i, f) in self.config.iter().enumerate() {
            if f.name.is_empty() || snake_ident(&f.name) != f.name {
                return Err(format!(
                    "config[{i}]: field name `{}` is not a snake_case name",
                    f.name
                ));
            }
        }
        // Headers: an HTTP token as the name, a visible value, `{field}` a config field; a
        // secret field only in the model's own (host-held) headers, never an endpoint's,
        // which the connector sends.
        let endpoint_headers = self.endpoints.iter().enumerate().flat_map(|(i, e)| {
            e.headers
                .iter()
                .enumerate()
                .map(move |(j, h)| (format!("endpoints[{i}].headers[{j}]"), h, false))
        });
        let host_headers = self
            .headers
            .iter()
            .enumerate()
            .map(|(j, h)| (format!("headers[{j}]"), h, true));
        for (at, h, host) in host_headers.chain(endpoint_headers) {
            if !is_header_name(&h.name) {
                return Err(format!("{at}: `{}` is not a header name", h.name));
            }
            if h.value.chars().any(|c| c.is_control()) {
                return Err(format!(
                    "{at}: the value of `{}` holds a control character",
                    h.name
                ));
            }
            if let Some(field) = h.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                match self.config.iter().find(|f| f.name == field) {
                    None => {
                        return Err(format!(
                            "{at}: `{}` takes config field `{field}`, which the model does not have",
                            h.name
                        ))
                    }
                    Some(f) if f.secret && !host => {
                        return Err(format!(
                            "{at}: `{}` takes the secret `{field}`: a secret header belongs in the model's `headers`, which the host adds; the connector never sees secrets",
                            h.name
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// The endpoints the user selected.
    pub fn selected(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().filter(|e| e.selected)
    }

    /// Whether setup must have config field `field` now: a field that fills endpoints'
    /// path placeholders or query values is needed only while a selected endpoint uses it
    /// (deselecting the endpoints that need it takes it off the form's required fields);
    /// any other field (the base URL, credentials) as the field says.
    pub fn needs_field(&self, field: &ConfigField) -> bool {
        if !field.required {
            return false;
        }
        let uses = |e: &&Endpoint| self.takes_field(e, &field.name);
        if !self.endpoints.iter().any(|e| uses(&e)) {
            return true;
        }
        self.selected().any(|e| uses(&e))
    }

    /// Whether reading `endpoint` takes config field `name`: for a path placeholder its
    /// parents do not fill, a query value or a header value, of the endpoint or of a parent
    /// it reads first.
    pub fn takes_field(&self, endpoint: &Endpoint, name: &str) -> bool {
        let placeholder = format!("{{{name}}}");
        let mut at = endpoint;
        for _ in 0..16 {
            let from_config =
                at.path.contains(&placeholder) && !self.filled_by_ancestors(at).contains(&name);
            let valued = |pairs: &[QueryParam]| pairs.iter().any(|q| q.value == placeholder);
            if from_config || valued(&at.query) || valued(&at.headers) {
                return true;
            }
            let Some(parent) = &at.parent else {
                return false;
            };
            match self.endpoint_by_table(&parent.table) {
                Some(next) => at = next,
                None => return false,
            }
        }
        false
    }

    /// The path parameters of `endpoint` its chain of parents fills (each parent record's
    /// value, and the parent's own parents' values), not config.
    pub fn filled_by_ancestors<'a>(&'a self, endpoint: &'a Endpoint) -> Vec<&'a str> {
        let mut filled = Vec::new();
        let mut at = endpoint;
        // A chain is short; the bound only guards a hand-edited model with a cycle.
        for _ in 0..16 {
            let Some(parent) = &at.parent else { break };
            filled.push(parent.path_param.as_str());
            match self.endpoint_by_table(&parent.table) {
                Some(next) => at = next,
                None => break,
            }
        }
        filled
    }

    /// The endpoint whose table has this name.
    pub fn endpoint_by_table(&self, table: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.table == table)
    }

    /// The top-level list's filter a child table follows: a child without a filter of its
    /// own under an incremental top-level list re-reads only what hangs below the records of
    /// that list that changed since its last sync (as the connector SDK's `sync_children`
    /// does).
    pub fn changes_via_parent(&self, e: &Endpoint) -> Option<(&Endpoint, &Incremental)> {
        if e.incremental.is_some() {
            return None;
        }
        let mut top = self.endpoint_by_table(&e.parent.as_ref()?.table)?;
        for _ in 0..8 {
            match &top.parent {
                Some(link) => top = self.endpoint_by_table(&link.table)?,
                None => return Some((top, top.incremental.as_ref()?)),
            }
        }
        None
    }
}

impl Pagination {
    /// Short name of the style, for tables and scorecards.
    pub fn style(&self) -> &'static str {
        match self {
            Pagination::None => "none",
            Pagination::Cursor { .. } => "cursor",
            Pagination::NextUrl { .. } => "next_url",
            Pagination::LinkHeader { .. } => "link_header",
            Pagination::PageNumber { .. } => "page_number",
            Pagination::Offset { .. } => "offset",
        }
    }
}

/// Make a snake_case identifier out of any text: ASCII letters, digits and `_`, never empty,
/// never starting with a digit.
pub fn snake_ident(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_lower_or_digit = false;
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && prev_lower_or_digit && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
            prev_lower_or_digit = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower_or_digit = false;
        }
    }
    let trimmed = out.trim_matches('_').to_string();
    if trimmed.is_empty() {
        "x".to_string()
    } else if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{trimmed}")
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_model_is_checked_for_cycles_and_repeated_keys() {
        let endpoint = |table: &str, path: &str, parent: Option<&str>| {
            serde_json::json!({
                "entity": table, "method": "GET", "path": path, "table": table,
                "primary_key": ["id"],
                "pagination": {"style": "none"},
                "parent": parent.map(|p| serde_json::json!({
                    "table": p, "path_param": "pid", "parent_key": "id", "column": "pid"
                })),
            })
        };
        let model = |endpoints: Vec<serde_json::Value>| -> ApiModel {
            serde_json::from_value(serde_json::json!({ "name": "x", "endpoints": endpoints }))
                .unwrap()
        };
        let ok = model(vec![
            endpoint("a", "/a", None),
            endpoint("b", "/a/{pid}/b", Some("a")),
        ]);
        assert_eq!(ok.check(), Ok(()));
        let cycle = model(vec![
            endpoint("a", "/b/{pid}/a", Some("b")),
            endpoint("b", "/a/{pid}/b", Some("a")),
        ]);
        assert!(cycle.check().unwrap_err().contains("lead back to `a`"));
        let mut twice = ok.clone();
        twice.endpoints[0].primary_key = vec!["id".into(), "id".into()];
        assert!(twice.check().unwrap_err().contains("named twice"));
    }

    #[test]
    fn headers_of_an_edited_model_are_checked() {
        let model = |headers: serde_json::Value, endpoint_headers: serde_json::Value| -> ApiModel {
            serde_json::from_value(serde_json::json!({
                "name": "x",
                "config": [
                    {"name": "api_key", "label": "Key", "description": "", "secret": true, "required": true},
                    {"name": "user", "label": "User", "description": "", "required": true},
                ],
                "headers": headers,
                "endpoints": [{"entity": "a", "method": "GET", "path": "/a", "table": "a",
                               "pagination": {"style": "none"}, "headers": endpoint_headers}],
            }))
            .unwrap()
        };
        let ok = model(
            serde_json::json!([{"name": "Api-Key", "value": "{api_key}"}]),
            serde_json::json!([{"name": "Api-Username", "value": "{user}"}, {"name": "X-V", "value": "2"}]),
        );
        assert_eq!(ok.check(), Ok(()));
        let bad = |h: serde_json::Value, e: serde_json::Value| model(h, e).check().unwrap_err();
        assert!(bad(
            serde_json::json!([]),
            serde_json::json!([{"name": "Api-Key", "value": "{api_key}"}])
        )
        .contains("secret"));
        assert!(bad(
            serde_json::json!([{"name": "X\r\nEvil", "value": "1"}]),
            serde_json::json!([])
        )
        .contains("not a header name"));
        assert!(bad(
            serde_json::json!([]),
            serde_json::json!([{"name": "X", "value": "a\r\nB: c"}])
        )
        .contains("control character"));
        assert!(bad(
            serde_json::json!([]),
            serde_json::json!([{"name": "X", "value": "{nope}"}])
        )
        .contains("does not have"));
    }

    #[test]
    fn a_field_only_deselected_tables_use_is_not_required() {
        let mut model: ApiModel = serde_json::from_value(serde_json::json!({
            "name": "x",
            "config": [
                {"name": "base_url", "label": "Base URL", "description": "", "required": true},
                {"name": "token", "label": "Token", "description": "", "secret": true, "required": true},
                {"name": "site_id", "label": "Site", "description": "", "required": true},
                {"name": "team", "label": "Team", "description": "", "required": true},
                {"name": "region", "label": "Region", "description": ""},
            ],
            "endpoints": [
                {"entity": "hooks", "method": "GET", "path": "/sites/{site_id}/hooks",
                 "table": "hooks", "pagination": {"style": "none"}},
                {"entity": "members", "method": "GET", "path": "/members", "table": "members",
                 "query": [{"name": "team", "value": "{team}"}], "pagination": {"style": "none"}},
                {"entity": "sites", "method": "GET", "path": "/sites", "table": "sites",
                 "pagination": {"style": "none"}},
                {"entity": "builds", "method": "GET", "path": "/sites/{site_id}/builds",
                 "table": "builds", "pagination": {"style": "none"},
                 "parent": {"table": "sites", "path_param": "site_id", "parent_key": "id",
                            "column": "site_id"}},
                {"entity": "deliveries", "method": "GET", "path": "/hooks/{hook_id}/deliveries",
                 "table": "deliveries", "pagination": {"style": "none"}, "selected": false,
                 "parent": {"table": "hooks", "path_param": "hook_id", "parent_key": "id",
                            "column": "hook_id"}},
            ],
        }))
        .unwrap();
        let needed = |m: &ApiModel| -> Vec<String> {
            m.config
                .iter()
                .filter(|f| m.needs_field(f))
                .map(|f| f.name.clone())
                .collect()
        };
        assert_eq!(needed(&model), ["base_url", "token", "site_id", "team"]);
        // `builds` takes `{site_id}` from each site, not from config; a child of `hooks`
        // needs what `hooks` needs.
        assert!(model.takes_field(&model.endpoints[0], "site_id"));
        assert!(!model.takes_field(&model.endpoints[3], "site_id"));
        assert!(model.takes_field(&model.endpoints[4], "site_id"));
        model.endpoints[0].selected = false;
        model.endpoints[4].selected = true;
        assert_eq!(needed(&model), ["base_url", "token", "site_id", "team"]);
        model.endpoints[4].selected = false;
        assert_eq!(needed(&model), ["base_url", "token", "team"]);
        model.endpoints[1].selected = false;
        assert_eq!(needed(&model), ["base_url", "token"]);
    }

    #[test]
    fn snake_ident_sanitises_hostile_text() {
        assert_eq!(snake_ident("CustomerInvoices"), "customer_invoices");
        assert_eq!(snake_ident("  a/b{{c}}*/ "), "a_b_c");
        assert_eq!(snake_ident("123abc"), "_123abc");
        assert_eq!(snake_ident("\"';--"), "x");
        assert_eq!(snake_ident("Ünïcödé"), "n_c_d");
    }

    #[test]
    fn model_round_trips_through_json() {
        let model = ApiModel {
            name: "x".into(),
            version: None,
            sources: vec![],
            servers: vec!["http://127.0.0.1".into()],
            auth: vec![AuthScheme::Bearer {
                token_field: "token".into(),
            }],
            config: vec![],
            headers: Vec::new(),
            endpoints: vec![Endpoint {
                entity: "customers".into(),
                method: "GET".into(),
                path: "/v1/customers".into(),
                table: "customers".into(),
                selected: true,
                record_path: vec!["data".into()],
                layout: RecordLayout::JsonApi,
                primary_key: vec!["id".into()],
                columns: vec![],
                query: vec![],
                headers: Vec::new(),
                pagination: Pagination::Offset {
                    offset_param: "offset".into(),
                    limit: PageSize {
                        param: "limit".into(),
                        value: 100,
                    },
                    end: Some(EndSignal::Flag {
                        path: vec!["isLast".into()],
                        stop_when: true,
                    }),
                },
                incremental: None,
                parent: None,
                reason: String::new(),
                confidence: 0.9,
                corrections: vec![],
            }],
        };
        let json = serde_json::to_string(&model).unwrap();
        let back: ApiModel = serde_json::from_str(&json).unwrap();
        assert_eq!(model, back);
    }
}
