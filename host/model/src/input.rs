//! The documentation inputs a connection is made from.

use serde::{Deserialize, Serialize};

/// One documentation input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "location", rename_all = "snake_case")]
pub enum Input {
    /// A reference file whose kind is read from its content (OpenAPI, Postman, PDF) or a
    /// folder of Markdown.
    File(String),
    /// An OpenAPI 3.x or Swagger 2.0 file.
    Openapi(String),
    /// A Postman collection.
    Postman(String),
    /// A PDF of API documentation.
    Pdf(String),
    /// A folder (or file) of Markdown documentation.
    Markdown(String),
    /// A documentation homepage to crawl.
    DocsUrl(String),
}

impl Input {
    /// Reference files beat prose, which beats a crawled URL (lower ranks first).
    pub fn rank(&self) -> u8 {
        match self {
            Input::Openapi(_) | Input::Postman(_) | Input::File(_) => 0,
            Input::Pdf(_) | Input::Markdown(_) => 1,
            Input::DocsUrl(_) => 2,
        }
    }

    /// The stored kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::File(_) => "file",
            Input::Openapi(_) => "openapi",
            Input::Postman(_) => "postman",
            Input::Pdf(_) => "pdf",
            Input::Markdown(_) => "markdown",
            Input::DocsUrl(_) => "docs_url",
        }
    }

    /// An input from its stored kind name and location.
    pub fn from_kind(kind: &str, location: String) -> Option<Input> {
        Some(match kind {
            "file" => Input::File(location),
            "openapi" => Input::Openapi(location),
            "postman" => Input::Postman(location),
            "pdf" => Input::Pdf(location),
            "markdown" => Input::Markdown(location),
            "docs_url" => Input::DocsUrl(location),
            _ => return None,
        })
    }

    /// The path or URL.
    pub fn location(&self) -> &str {
        match self {
            Input::File(l)
            | Input::Openapi(l)
            | Input::Postman(l)
            | Input::Pdf(l)
            | Input::Markdown(l)
            | Input::DocsUrl(l) => l,
        }
    }
}
