//! Checking an incremental filter: the probe sends the text the connector would send for a
//! recent cursor (and a second earlier) and keeps the filter only when the API answers with
//! fewer, newer records; otherwise the table is read in full and the evidence is shown.

use super::*;

/// `YYYY-MM-DDTHH:MM:SSZ`, for a time in years 1970 to 9999.
pub(super) fn rfc3339(secs: f64) -> Option<String> {
    (0.0..=LAST_SECOND)
        .contains(&secs)
        .then(|| connector_agent_sdk::time::rfc3339(secs as i64))
}

/// The filter value a connector sends for a cursor `value` in `format` (the SDK's
/// [`filter_text`](connector_agent_sdk::cursor::filter_text), the connector's own), or that
/// text `earlier` seconds before, in the same unit and layout; with the time it stands for.
/// `None` where that cannot be written faithfully.
pub(super) fn filter_text(
    value: &Value,
    format: CursorFormat,
    earlier: f64,
) -> Option<(String, f64)> {
    let text = connector_agent_sdk::cursor::filter_text(value, decl::format(format));
    let at = instant(&Value::String(text.clone()))?;
    if earlier == 0.0 {
        return Some((text, at));
    }
    let shifted = if connector_agent_sdk::time::is_digits(&text) {
        // Digits keep their unit (seconds, milliseconds, microseconds).
        let raw: f64 = text.parse().ok()?;
        let unit = connector_agent_sdk::time::units_per_second(raw);
        format!("{}", (raw - earlier * unit).floor() as i64)
    } else if text.trim_end().ends_with(" GMT") {
        (0.0..=LAST_SECOND)
            .contains(&(at - earlier))
            .then(|| connector_agent_sdk::time::http_date((at - earlier) as i64))?
    } else if text.ends_with(['Z', 'z']) && text.as_bytes().get(10) == Some(&b'T') {
        // An RFC 3339 time in UTC is written back so; another layout is not guessed.
        rfc3339(at - earlier)?
    } else {
        return None;
    };
    let shifted_at = instant(&Value::String(shifted.clone()))?;
    Some((shifted, shifted_at))
}

impl Probe<'_> {
    /// Checks the incremental filter on the live API with the newest time on the first page
    /// (record R): the filtered page must hold no record older than that time, and must hold
    /// R (asked again a second earlier, for a filter that means "after"). A filter the API
    /// ignores shows older records; one that compares another field (a creation time)
    /// leaves R out. Either way the filter could skip changes or do nothing, so the model
    /// drops it and the table syncs in full (corrected, with what was seen); a refused
    /// filter fails the check.
    pub(super) async fn filter(
        &mut self,
        i: usize,
        records: &[Value],
        params: &[(String, String)],
        record_path: &[String],
    ) -> Option<CheckPart> {
        let e = self.model.endpoints[i].clone();
        let inc = e.incremental.clone()?;
        let times: Vec<(f64, &Value)> = records
            .iter()
            .filter_map(|r| Some((instant(r.get(&inc.cursor_field)?)?, r)))
            .collect();
        let (newest, r) = times.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
        let (newest, r) = (*newest, *r);
        if !times.iter().any(|(t, _)| *t < newest) {
            return Some(CheckPart::passed(
                "filter",
                format!(
                    "not checked: every record on the first page has the same `{}`",
                    inc.cursor_field
                ),
            ));
        }
        let identity = |record: &Value| -> Value {
            if e.primary_key.is_empty() {
                record.clone()
            } else {
                Value::Array(
                    e.primary_key
                        .iter()
                        .map(|k| record.get(k).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
            }
        };
        let wanted = identity(r);
        let mut seen = Vec::new();
        for earlier in [0.0, 1.0] {
            let Some((sent, threshold)) =
                filter_text(r.get(&inc.cursor_field)?, inc.format, earlier)
            else {
                break;
            };
            // The filter as the connector sends it: a query parameter or a header.
            let mut filtered = e.clone();
            let in_query = if inc.header {
                filtered
                    .headers
                    .retain(|h| !h.name.eq_ignore_ascii_case(&inc.param));
                filtered.headers.push(connector_agent_model::QueryParam {
                    name: inc.param.clone(),
                    value: sent.clone(),
                });
                None
            } else {
                Some((inc.param.as_str(), sent.clone()))
            };
            let url = self.first_url(&e, params, in_query).ok()?;
            let page = match self.get(&filtered, url).await {
                Ok(page) => page,
                // A value the API refuses would fail every incremental sync: the table syncs
                // in full instead.
                Err(f) if f.cause == Cause::Rejected => {
                    return Some(self.drop_filter(
                        i,
                        format!("`{}: {sent}` was refused: {}", inc.param, f.message),
                    ))
                }
                // Nothing changed after the newest record: what a changes-since header
                // answers when it is honoured (the sync reads 304 as "no change").
                Err(f) if f.cause == Cause::NotModified => {
                    return Some(CheckPart::passed(
                        "filter",
                        format!(
                            "`{}: {sent}` (the newest record's `{}`) answered 304 Not Modified: the API honours it",
                            inc.param, inc.cursor_field
                        ),
                    ))
                }
                Err(f) => {
                    return Some(CheckPart::passed(
                        "filter",
                        format!("not checked: {}", f.message),
                    ))
                }
            };
            let got = self
                .records_at(&page.body, record_path, e.layout)
                .unwrap_or_default();
            let older = got
                .iter()
                .filter(|g| {
                    g.get(&inc.cursor_field)
                        .and_then(instant)
                        .is_some_and(|t| t < threshold)
                })
                .count();
            if older > 0 {
                return Some(self.drop_filter(
                    i,
                    format!(
                        "`{}={sent}` still returned {older} of {} records with an older `{}`: the API does not filter by it",
                        inc.param,
                        got.len(),
                        inc.cursor_field
                    ),
                ));
            }
            if got.iter().any(|g| identity(g) == wanted) {
                return Some(CheckPart::passed(
                    "filter",
                    format!(
                        "`{}={sent}` returned {} records, none older, and the newest of the first page",
                        inc.param,
                        got.len()
                    ),
                ));
            }
            seen.push((sent, got.len()));
        }
        // R is missing both times. A full filtered page may hold it further on; a short one
        // cannot. Without the second try (a layout not written back), an "after" filter is
        // not ruled out.
        if seen.len() < 2 {
            return Some(CheckPart::passed(
                "filter",
                format!(
                    "`{}` returned no record older than the value sent (not asked a second earlier: the value's layout is not rewritten)",
                    inc.param
                ),
            ));
        }
        if seen.iter().any(|(_, n)| *n >= records.len()) {
            return Some(CheckPart::passed(
                "filter",
                format!(
                    "`{}` returned no record older than the value sent (the newest record of the first page may be on a later filtered page)",
                    inc.param
                ),
            ));
        }
        let tried: Vec<String> = seen
            .iter()
            .map(|(v, n)| format!("`{}={v}` gave {n}", inc.param))
            .collect();
        Some(self.drop_filter(
            i,
            format!(
                "{} records, none of them the record whose `{}` it equals: the API compares another field",
                tried.join(", "),
                inc.cursor_field
            ),
        ))
    }

    /// Drops endpoint `i`'s incremental filter (it syncs in full), recording why.
    pub(super) fn drop_filter(&mut self, i: usize, why: String) -> CheckPart {
        let inc = self.model.endpoints[i].incremental.take();
        let before = inc
            .map(|inc| format!("`{}` on `{}`", inc.param, inc.cursor_field))
            .unwrap_or_default();
        self.correct(
            i,
            CorrectedField::Incremental,
            before,
            "none: every sync reads the table in full".into(),
            why.clone(),
        );
        CheckPart::passed(
            "filter",
            format!("corrected: none, the table syncs in full ({why})"),
        )
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;
    use serde_json::json;

    /// The probe's two tries send what the connector sends, and that a second earlier in the
    /// same unit and layout.
    #[test]
    fn both_tries_are_written_as_the_connector_writes_its_filter() {
        let cases = [
            (
                json!("1700000000000"),
                CursorFormat::UnixSeconds,
                "1700000000",
                "1699999999",
            ),
            (
                json!("1700000000000"),
                CursorFormat::Same,
                "1700000000000",
                "1699999999000",
            ),
            (
                json!(1_700_000_000_000_000_i64),
                CursorFormat::Rfc3339,
                "2023-11-14T22:13:20Z",
                "2023-11-14T22:13:19Z",
            ),
            (
                json!("2023-11-14T22:13:20Z"),
                CursorFormat::HttpDate,
                "Tue, 14 Nov 2023 22:13:20 GMT",
                "Tue, 14 Nov 2023 22:13:19 GMT",
            ),
        ];
        for (value, format, now, earlier) in cases {
            let (sent, at) = filter_text(&value, format, 0.0).unwrap();
            assert_eq!(sent, now, "{value} {format:?}");
            assert_eq!(
                sent,
                connector_agent_sdk::cursor::filter_text(&value, decl::format(format))
            );
            let (before, before_at) = filter_text(&value, format, 1.0).unwrap();
            assert_eq!(before, earlier, "{value} {format:?}");
            assert_eq!(before_at, at - 1.0);
        }
        // A layout that is not rewritten gives no second try.
        assert!(filter_text(&json!("2023-11-14 22:13:20"), CursorFormat::Same, 1.0).is_none());
    }
}
