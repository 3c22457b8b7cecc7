//! Incremental sync: a query parameter that filters by change time, plus the record field it
//! compares.

use connector_agent_model::{Column, CursorFormat, Incremental};

use crate::openapi::{Ctx, Param};
use crate::schema::{Kind, Shape};

use super::naming::squash;

/// Record fields that hold an update time, best first (squashed).
pub(crate) const UPDATED_FIELDS: &[&str] = &[
    "updatedat",
    "updated",
    "modifiedat",
    "modified",
    "lastmodified",
    "lastmodifiedat",
    "dateupdated",
    "datemodified",
    "updatedtime",
    "modifiedtime",
    "lastupdated",
    "lastupdatedat",
    "updatedon",
    "modifiedon",
    "updateddateutc",
    "lastmodifieddatetime",
    "lastmodifieddate",
    "updateddate",
    "changedat",
];
/// Record fields that hold a creation time, best first (squashed).
pub(crate) const CREATED_FIELDS: &[&str] = &[
    "created",
    "createdat",
    "datecreated",
    "createdtime",
    "createdon",
    "createddate",
    "creationdate",
];
/// Parameter name endings meaning "at or after" (squashed).
const AFTER_OPS: &[&str] = &["gte", "gt", "min", "after", "since", "from", "start"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Updated,
    Created,
}

pub(crate) struct Found {
    pub incremental: Incremental,
    /// The filter compares a creation time: it finds new records, never changed ones.
    pub created: bool,
    /// The parameter as documented (consumed: not a filter to configure).
    pub param: String,
    pub note: String,
}

pub(crate) fn infer<'a>(
    ctx: &Ctx<'a>,
    params: &[Param<'a>],
    columns: &[Column],
    used: &[String],
    op_text: &str,
) -> Option<Found> {
    let mut best: Option<(u8, Found)> = None;
    for param in params.iter().filter(|p| {
        (p.location == "query" || (p.location == "header" && is_change_header(p.name)))
            && !used.iter().any(|u| u == p.name)
    }) {
        let header = param.location == "header";
        let Some((family, field_hint, query_name, op_shape)) = classify(ctx, param) else {
            continue;
        };
        // A header filter (`If-Modified-Since`) on records with no update time (a log)
        // compares the time they were written: never later than a change, so a cursor kept
        // on it can only read again, never skip.
        let written = || {
            header.then(|| {
                columns
                    .iter()
                    .find(|c| {
                        let s = squash(&c.name);
                        CREATED_FIELDS.contains(&s.as_str())
                            || ["at", "occurredat", "timestamp"].contains(&s.as_str())
                    })
                    .map(|c| c.name.clone())
            })?
        };
        let names: Vec<&str> = params.iter().map(|p| p.name).collect();
        let Some(field) = stated_field(param, op_text, columns, &names)
            .or_else(|| cursor_field(columns, family, &field_hint))
            .or_else(written)
        else {
            continue;
        };
        let kind = op_shape.as_ref().map_or(Kind::Unknown, |s| s.kind);
        let format = match kind {
            // `If-Modified-Since` takes an HTTP date unless its schema says otherwise.
            _ if header
                && !matches!(
                    op_shape.as_ref().and_then(|s| s.format),
                    Some("date-time" | "date")
                ) =>
            {
                CursorFormat::HttpDate
            }
            Kind::Integer | Kind::Number => CursorFormat::UnixSeconds,
            Kind::String
                if matches!(op_shape.and_then(|s| s.format), Some("date-time" | "date")) =>
            {
                CursorFormat::Rfc3339
            }
            _ => CursorFormat::Same,
        };
        let rank = match family {
            Family::Updated => 0,
            Family::Created => 1,
        };
        let note = if header {
            format!("incremental on `{field}` via the `{query_name}` header")
        } else {
            format!("incremental on `{field}` via `{query_name}`")
        };
        let found = Found {
            incremental: Incremental {
                param: query_name,
                cursor_field: field,
                format,
                header,
            },
            param: param.name.to_string(),
            note,
            created: family == Family::Created,
        };
        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((rank, found));
        }
    }
    best.map(|(_, found)| found)
}

/// The family, the field-name hint, the query parameter to send, and the schema of the value.
fn classify<'a>(
    ctx: &Ctx<'a>,
    param: &Param<'a>,
) -> Option<(Family, String, String, Option<std::rc::Rc<Shape<'a>>>)> {
    let shape = param.schema.map(|s| ctx.schemas.shape(s));
    // JSON:API's filter family (`filter[updated_since]`, `filter[updated_at][gte]`) names the
    // filter inside its brackets.
    let inner = param
        .name
        .strip_prefix("filter[")
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(param.name);
    let squashed = squash(inner);
    let family_of = |field: &str| {
        if field.is_empty() {
            None
        } else if UPDATED_FIELDS.contains(&field) || field == "changed" {
            Some(Family::Updated)
        } else if CREATED_FIELDS.contains(&field) {
            Some(Family::Created)
        } else {
            None
        }
    };
    // Stripe style: `created` with `style: deepObject` and a `gte` member → `created[gte]`.
    if let Some(family) = family_of(&squashed) {
        if let Some(op) = ["gte", "gt"]
            .into_iter()
            .find(|op| shape.as_ref().is_some_and(|s| s.property(op).is_some()))
        {
            let member = shape
                .as_ref()
                .and_then(|s| s.property(op))
                .map(|m| ctx.schemas.shape(m));
            return Some((family, squashed, format!("{}[{op}]", param.name), member));
        }
        if param.name.ends_with('>') || param.name.ends_with(">=") {
            return Some((family, squashed, param.name.to_string(), shape));
        }
        return None;
    }
    if param.location == "header" && is_change_header(param.name) {
        return Some((
            Family::Updated,
            String::new(),
            param.name.to_string(),
            shape,
        ));
    }
    if squashed == "since" {
        // `since` is a time in most APIs, but an id in some (GitHub's `/repositories`) and a
        // creation-range bound in others (PagerDuty): trust it only when it reads as a time
        // and is not described as an id or as a range that needs `until`.
        let text = format!(
            "{} {}",
            param.description,
            shape.as_ref().and_then(|s| s.description).unwrap_or("")
        )
        .to_ascii_lowercase();
        let time_format = shape
            .as_ref()
            .and_then(|s| s.format)
            .is_some_and(|f| f.contains("date") || f.contains("time"));
        let time_words = [
            "time",
            "date",
            "timestamp",
            "updated",
            "modified",
            "changed",
        ]
        .iter()
        .any(|w| text.contains(w));
        let id_words = [" id", "identifier", "id of", "until", "range"]
            .iter()
            .any(|w| text.contains(w));
        if !(time_format || time_words) || id_words {
            return None;
        }
        return Some((
            Family::Updated,
            String::new(),
            param.name.to_string(),
            shape,
        ));
    }
    let (field, _) = AFTER_OPS.iter().find_map(|op| {
        let field = squashed.strip_suffix(op).or_else(|| {
            if *op == "min" {
                squashed.strip_prefix(op)
            } else {
                None
            }
        })?;
        Some((field.to_string(), *op))
    })?;
    let family = family_of(&field)?;
    Some((family, field, param.name.to_string(), shape))
}

/// A request header that asks for records changed since a time (`If-Modified-Since`, Xero's
/// filter).
pub(crate) fn is_change_header(name: &str) -> bool {
    let s = squash(name);
    [
        "ifmodifiedsince",
        "modifiedsince",
        "updatedsince",
        "changedsince",
    ]
    .iter()
    .any(|h| s == *h || s == format!("x{h}"))
}

/// Records that are written once and never change (a log, a ledger's transactions): for
/// them a creation-time filter reads everything there is. By the entity's last word.
pub(crate) fn append_only(entity: &str, columns: &[Column]) -> bool {
    let snake = super::naming::singular(&connector_agent_model::snake_ident(entity));
    let last = snake.rsplit('_').next().unwrap_or("");
    // A record with an update time or a status changes after it is written (a pending
    // transaction posts, an activity is marked done).
    let changes = columns.iter().any(|c| {
        let s = squash(&c.name);
        UPDATED_FIELDS.contains(&s.as_str()) || s == "status" || s == "state"
    });
    let logs = [
        "event",
        "log",
        "audit",
        "history",
        "activity",
        "transaction",
        "delivery",
        "attempt",
    ];
    !changes && logs.contains(&last)
}

/// The record field the docs say a filter compares: named in backticks in the parameter's
/// description ("only books whose `last_changed` is at or after it"), else in a sentence of
/// the operation's text that names the parameter ("`updated_from` returns members whose
/// `modified_epoch` is at or after it"). It must be a time-like column of the records (text,
/// a timestamp or a number), or, when the records are undocumented, read as a time by its
/// name (Save & Test checks it on the first page).
fn stated_field(
    param: &Param<'_>,
    op_text: &str,
    columns: &[Column],
    params: &[&str],
) -> Option<String> {
    use connector_agent_model::ColumnType;
    let mentions = |text: &str| {
        text.contains(&format!("`{}`", param.name))
            || text
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == param.name)
    };
    // Lines of a description wrap inside sentences.
    let op_text = op_text.replace(['\n', '\r'], " ");
    let sentences = op_text
        .split(['.', ';'])
        .filter(|s| s.len() <= 1000 && mentions(s))
        .take(20);
    let timeish = |word: &str| {
        let s = squash(word);
        [
            "changed", "modified", "updated", "epoch", "time", "date", "stamp",
        ]
        .iter()
        .any(|w| s.contains(w))
            || word.ends_with("_at")
            || word.ends_with("At")
    };
    for text in std::iter::once(param.description).chain(sentences) {
        // Quoted words first; a page that lost its `<code>` marks still names the column in
        // plain words ("only members whose modified_epoch is at or after it").
        let quoted = text.split('`').skip(1).step_by(2).take(50);
        let bare = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.contains('_') && !columns.is_empty())
            .take(200);
        for word in quoted.chain(bare) {
            if word.is_empty()
                || word.len() > 64
                || params.contains(&word)
                || !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            if columns.is_empty() {
                if timeish(word) {
                    return Some(word.to_string());
                }
                continue;
            }
            let Some(c) = columns.iter().find(|c| c.name == word) else {
                continue;
            };
            let usable = match c.ty {
                ColumnType::Timestamp => true,
                ColumnType::Integer | ColumnType::Number | ColumnType::String => timeish(word),
                ColumnType::Boolean | ColumnType::Json => false,
            };
            if usable {
                return Some(c.name.clone());
            }
        }
    }
    None
}

fn cursor_field(columns: &[Column], family: Family, hint: &str) -> Option<String> {
    // Nothing documents the records (a Postman request without a saved response): the field
    // the parameter names, else the usual one; Save & Test corrects it from the first page.
    // A creation-time filter never re-reads a changed record, so it is not guessed blind.
    if columns.is_empty() {
        return match (hint.is_empty(), family) {
            (_, Family::Created) => None,
            (false, Family::Updated) => Some(hint.to_string()),
            (true, Family::Updated) => Some("updated_at".into()),
        };
    }
    let by_squash = |wanted: &str| {
        columns
            .iter()
            .find(|c| squash(&c.name) == wanted)
            .map(|c| c.name.clone())
    };
    if !hint.is_empty() {
        if let Some(field) = by_squash(hint) {
            return Some(field);
        }
    }
    let list = match family {
        Family::Updated => UPDATED_FIELDS,
        Family::Created => CREATED_FIELDS,
    };
    list.iter().find_map(|f| by_squash(f))
}
