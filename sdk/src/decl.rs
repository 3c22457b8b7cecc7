//! Declarations a connector is made of. Plain data, no behaviour. A connector declares them
//! as statics; the paging ones take a lifetime so that Save & Test's probe can build them
//! from the reviewed model at run time and page exactly as the connector will.

/// One connector: its config fields and endpoints.
#[derive(Debug)]
pub struct ConnectorDecl {
    /// API name.
    pub name: &'static str,
    /// Config fields shown at setup.
    pub config: &'static [ConfigFieldDecl],
    /// Endpoints, parents before children.
    pub endpoints: &'static [EndpointDecl],
}

/// One config field.
#[derive(Debug)]
pub struct ConfigFieldDecl {
    /// Machine name.
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// What it is and how to obtain it.
    pub description: &'static str,
    /// Held by the host only.
    pub secret: bool,
    /// Must be set.
    pub required: bool,
    /// Default value.
    pub default: Option<&'static str>,
}

/// Column types (mirrors the WIT `column-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    String,
    /// Integer.
    Integer,
    /// Floating point.
    Number,
    /// Boolean.
    Boolean,
    /// Timestamp.
    Timestamp,
    /// Nested JSON.
    Json,
}

/// One column.
#[derive(Debug)]
pub struct ColumnDecl {
    /// Field and column name.
    pub name: &'static str,
    /// Type.
    pub kind: ColumnKind,
    /// May be null.
    pub nullable: bool,
}

/// A page size parameter.
#[derive(Debug, Clone, Copy)]
pub struct PageSizeDecl<'a> {
    /// Query parameter.
    pub param: &'a str,
    /// Value sent.
    pub value: u32,
}

/// How an endpoint pages.
#[derive(Debug, Clone, Copy)]
pub enum PagingDecl<'a> {
    /// A single request.
    None,
    /// A cursor parameter fed from the last record's field or from a body field.
    Cursor {
        /// Query parameter receiving the cursor.
        cursor_param: &'a str,
        /// Record field of the last record giving the next cursor.
        cursor_from_record: Option<&'a str>,
        /// Body path of the next cursor token.
        cursor_path: Option<&'a [&'a str]>,
        /// Body path of the has-more flag.
        has_more_path: Option<&'a [&'a str]>,
        /// Page size.
        limit: Option<PageSizeDecl<'a>>,
    },
    /// The body holds the next page's URL.
    NextUrl {
        /// Body path of the URL.
        next_url_path: &'a [&'a str],
        /// Page size.
        limit: Option<PageSizeDecl<'a>>,
    },
    /// `Link: <…>; rel="next"`.
    LinkHeader {
        /// Page size.
        limit: Option<PageSizeDecl<'a>>,
    },
    /// Page numbers until `end` says the list is over (without `end`: a short or empty page).
    PageNumber {
        /// Query parameter.
        page_param: &'a str,
        /// First page.
        start: u32,
        /// Page size.
        limit: Option<PageSizeDecl<'a>>,
        /// What the response says about the end of the list.
        end: Option<EndDecl<'a>>,
    },
    /// Offset and limit until `end` says the list is over (without `end`: a short or empty
    /// page).
    Offset {
        /// Query parameter.
        offset_param: &'a str,
        /// Page size.
        limit: PageSizeDecl<'a>,
        /// What the response says about the end of the list.
        end: Option<EndDecl<'a>>,
    },
}

/// A response field saying whether an offset or page-number list goes on. With one, a short
/// page is not the end; an empty page always is.
#[derive(Debug, Clone, Copy)]
pub enum EndDecl<'a> {
    /// A boolean; the list ends when it equals `stop_when` (`isLast`: true, `has_more`: false).
    Flag {
        /// Body path of the boolean.
        path: &'a [&'a str],
        /// The value meaning "last page".
        stop_when: bool,
    },
    /// The number of records in all pages.
    Total {
        /// Body path of the count.
        path: &'a [&'a str],
    },
    /// The number of pages.
    TotalPages {
        /// Body path of the page count.
        path: &'a [&'a str],
    },
}

/// Format of an incremental filter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorFormat {
    /// The record field's value as it is.
    Same,
    /// Unix seconds.
    UnixSeconds,
    /// RFC 3339.
    Rfc3339,
    /// An HTTP date, as `If-Modified-Since` takes.
    HttpDate,
}

/// Incremental sync settings.
#[derive(Debug, Clone, Copy)]
pub struct IncrementalDecl {
    /// Filter query parameter.
    pub param: &'static str,
    /// Record field compared.
    pub cursor_field: &'static str,
    /// Filter value format.
    pub format: CursorFormat,
    /// Sent as a request header (`If-Modified-Since`), not a query parameter.
    pub header: bool,
}

/// How each record is laid out in the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordLayout {
    /// The record's fields are its columns.
    #[default]
    Plain,
    /// A JSON:API resource object (`{"id", "type", "attributes": {…}, "relationships": {…}}`):
    /// the members of `attributes` become columns, and each relationship gives the id of the
    /// record it points to (`<name>_id`) or the ids of a to-many one (`<name>_ids`), as JSON:API
    /// client libraries present resources. See [`crate::records::json_api_record`].
    JsonApi,
}

/// Link to the parent endpoint.
#[derive(Debug, Clone, Copy)]
pub struct ParentDecl {
    /// Parent table.
    pub table: &'static str,
    /// Path parameter filled from the parent.
    pub path_param: &'static str,
    /// Parent record field.
    pub parent_key: &'static str,
    /// Column added to child records.
    pub column: &'static str,
}

/// A fixed query parameter; a value `{name}` is taken from config.
#[derive(Debug, Clone, Copy)]
pub struct QueryDecl {
    /// Name.
    pub name: &'static str,
    /// Value or `{config_field}`.
    pub value: &'static str,
}

/// One endpoint = one table.
#[derive(Debug, Clone, Copy)]
pub struct EndpointDecl {
    /// Table name.
    pub table: &'static str,
    /// Path template, relative to the base URL.
    pub path: &'static str,
    /// Path to the records array; empty = the body.
    pub record_path: &'static [&'static str],
    /// How each record is laid out.
    pub layout: RecordLayout,
    /// Primary key columns.
    pub primary_key: &'static [&'static str],
    /// Columns.
    pub columns: &'static [ColumnDecl],
    /// Fixed query parameters.
    pub query: &'static [QueryDecl],
    /// Headers the docs require on this endpoint's requests (same form as the query's).
    pub headers: &'static [QueryDecl],
    /// Paging.
    pub paging: PagingDecl<'static>,
    /// Incremental filter.
    pub incremental: Option<IncrementalDecl>,
    /// Parent link.
    pub parent: Option<ParentDecl>,
}

impl ConnectorDecl {
    /// The endpoint of a table.
    pub fn endpoint(&self, table: &str) -> Option<&'static EndpointDecl> {
        self.endpoints.iter().find(|e| e.table == table)
    }
}
