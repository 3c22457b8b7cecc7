//! Reading input files within a size limit.
//!
//! Every input file (OpenAPI, Postman, PDF, Markdown) is read through [`read_bounded`]: a
//! regular file over the limit is refused from its metadata without a byte read, and anything
//! else (a device such as `/dev/zero`, a pipe, a file growing meanwhile) is read through
//! `Read::take(limit + 1)`, so no input ever costs more memory than its limit.

use std::io::Read as _;
use std::path::Path;

use crate::{Error, Result};

const MB: u64 = 1024 * 1024;
/// Largest OpenAPI/Swagger description or Postman collection (JSON or YAML) read, in bytes.
/// The biggest real description we know, GitHub's, is 13 MB of JSON.
pub const MAX_SPEC_BYTES: u64 = 64 * MB;
/// Largest PDF read, in bytes.
pub const MAX_PDF_BYTES: u64 = 100 * MB;
/// Largest single Markdown file read, in bytes.
pub const MAX_MARKDOWN_FILE_BYTES: u64 = 16 * MB;
/// Most bytes of Markdown read from one folder, all files together.
pub const MAX_MARKDOWN_TOTAL_BYTES: u64 = 64 * MB;

/// What kind of input a limit is for, as error messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputKind {
    Spec,
    Pdf,
    Markdown,
}

impl InputKind {
    pub(crate) fn limit(self) -> u64 {
        match self {
            InputKind::Spec => MAX_SPEC_BYTES,
            InputKind::Pdf => MAX_PDF_BYTES,
            InputKind::Markdown => MAX_MARKDOWN_FILE_BYTES,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            InputKind::Spec => "the limit for OpenAPI and Postman inputs",
            InputKind::Pdf => "the limit for PDF inputs",
            InputKind::Markdown => "the limit for one Markdown file",
        }
    }
}

/// Reads `path` whole if it holds at most `kind`'s limit of bytes; fails with
/// [`Error::TooLarge`] otherwise, having read at most one byte over the limit.
pub(crate) fn read_bounded(path: &Path, kind: InputKind) -> Result<Vec<u8>> {
    read_within(path, kind.limit(), kind.describe())
}

/// [`read_bounded`] with an explicit limit and its description.
pub(crate) fn read_within(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let too_large = || Error::TooLarge {
        path: path.to_path_buf(),
        limit,
        what,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let metadata = file.metadata().map_err(read_err)?;
    let known = metadata.is_file().then_some(metadata.len());
    if known.is_some_and(|size| size > limit) {
        return Err(too_large());
    }
    let capacity = known.unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A limit for messages: `64 MB`, or bytes when not a whole number of megabytes.
pub(crate) fn size_text(limit: u64) -> String {
    if limit >= MB && limit.is_multiple_of(MB) {
        format!("{} MB", limit / MB)
    } else {
        format!("{limit} bytes")
    }
}
