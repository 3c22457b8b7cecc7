//! The incremental cursor a finished pass saves.
//!
//! A pass reads a list filtered by the saved cursor (`updated_since=…`) while the API keeps
//! changing. Saving the largest update time *seen* loses changes: a record that changes
//! behind the pass's position (on a page already read) gets an update time below a record
//! read later, ends below the new cursor, and is never fetched again. So the saved cursor is
//! bounded by the time the pass started, by the server's clock (its `Date` header; the host's
//! clock when it sends none), minus [`LOOKBACK_SECS`]: every change made after the pass
//! started carries a cursor at or above that bound, whatever order the list is read in. It is
//! also never above the largest value seen, so a server clock far ahead of its data (or a
//! hostile `Date`) cannot skip anything. A resumed pass keeps the clock of the pass it resumes.
//!
//! One order needs more: offset or page-number paging over a list sorted by update time
//! (ascending). A record changed during the pass moves to the end and every record after its
//! old place shifts back one slot, so one record per change slips under a page boundary
//! unread, with an *old* update time that no bound catches. When a pass on such a list (the
//! cursors it read never went down) read a record changed during the pass, the cursor is not
//! advanced: the next pass reads the same window again.
//!
//! Cursors that are not times (a version counter) are saved as the largest value seen.

use crate::records::max_cursor;
use crate::state::{Clock, Pending};
use crate::time::{http_date, instant, is_digits, rfc3339, units_per_second};
use crate::{CursorFormat, PagingDecl};
use serde_json::Value;

/// How far before the pass's start the saved cursor is put: covers a server whose record
/// stamps lag its `Date` header (several app servers, a transaction committed after its
/// stamp) and filters that exclude the cursor value itself (`updated_after`). Changes made in
/// this window before a pass are read again by the next one (an upsert, never a duplicate).
pub const LOOKBACK_SECS: i64 = 60;

/// A cursor value as Unix seconds ([`instant`]: date-time text, an HTTP date, Unix seconds,
/// milliseconds or microseconds, as numbers or digits).
pub(crate) fn cursor_secs(v: &Value) -> Option<f64> {
    instant(v)
}

/// `secs` written the way `like` is: a number or digits in its unit (seconds, milliseconds,
/// microseconds), an HTTP date, a Microsoft JSON date, a date, or a date-time in its layout
/// (`T` or a space, `Z`, an offset, or no zone: the same instant written in that offset);
/// RFC 3339 text for anything else. The API's filter then reads the saved cursor as it reads
/// its own values.
fn same_form(secs: i64, like: &Value) -> Value {
    match like {
        Value::Number(n) => {
            let unit = units_per_second(n.as_f64().unwrap_or(0.0)) as i64;
            Value::from(secs.saturating_mul(unit))
        }
        Value::String(s) if is_digits(s) => {
            let unit = units_per_second(s.parse::<f64>().unwrap_or(0.0)) as i64;
            // Zero-padded digits keep their width: an API may compare them as text.
            let digits = secs.saturating_mul(unit).to_string();
            Value::String(format!("{digits:0>width$}", width = s.len()))
        }
        Value::String(s) if s.trim_end().ends_with(" GMT") => Value::String(http_date(secs)),
        Value::String(s) if s.starts_with("/Date(") => {
            Value::String(format!("/Date({})/", secs.saturating_mul(1000)))
        }
        Value::String(s) => Value::String(date_time_like(secs, s)),
        _ => Value::String(rfc3339(secs)),
    }
}

/// `secs` in the layout of the date-time text `like` (see [`same_form`]).
fn date_time_like(secs: i64, like: &str) -> String {
    let b = like.as_bytes();
    let dated = b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    if !dated {
        return rfc3339(secs);
    }
    if b.len() == 10 {
        // A date: the day the instant falls on (UTC), never later than it.
        return rfc3339(secs)[..10].to_string();
    }
    let offset = like
        .len()
        .checked_sub(6)
        .and_then(|at| like.get(at..))
        .filter(|z| z.starts_with(['+', '-']) && z.as_bytes()[3] == b':')
        .and_then(|z| {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let h: i64 = z.get(1..3)?.parse().ok()?;
            let m: i64 = z.get(4..6)?.parse().ok()?;
            Some((sign * (h * 3600 + m * 60), z))
        });
    let (shift, zone) = match offset {
        Some((seconds, zone)) => (seconds, zone.to_string()),
        None if like.ends_with(['Z', 'z']) => (0, "Z".to_string()),
        // No zone: read as UTC by `instant`, so written as UTC.
        None => (0, String::new()),
    };
    let mut text = rfc3339(secs + shift)[..19].to_string();
    if b.get(10) == Some(&b' ') {
        text.replace_range(10..11, " ");
    }
    text + &zone
}

/// The text sent for a cursor `value` as a filter in `format`: the form the API's filter takes
/// (Unix seconds, RFC 3339, an HTTP date), from the time the value names ([`instant`]:
/// seconds, milliseconds or microseconds, digits, date-times, HTTP dates); a date-time
/// text is sent as it is for RFC 3339, and with [`CursorFormat::Same`] every value is. A
/// value that is not a time is sent as it is. A fraction of a second is dropped (an earlier
/// time: at worst a record is read again).
pub fn filter_text(value: &Value, format: CursorFormat) -> String {
    let as_is = || match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let secs = || instant(value).map(|t| t.floor() as i64);
    match format {
        CursorFormat::Same => as_is(),
        CursorFormat::UnixSeconds => secs().map_or_else(as_is, |t| t.to_string()),
        CursorFormat::HttpDate => secs().map_or_else(as_is, http_date),
        CursorFormat::Rfc3339 => match value {
            Value::String(s)
                if !is_digits(s) && !s.starts_with("/Date(") && !s.trim_end().ends_with(" GMT") =>
            {
                s.clone()
            }
            _ => secs().map_or_else(as_is, rfc3339),
        },
    }
}

impl Pending {
    /// A new pass from the saved cursor, filtered by `filter`.
    pub(crate) fn new(cursor: Option<Value>, filter: Option<Value>) -> Pending {
        Pending {
            position: crate::state::Position::Start,
            max_cursor: cursor,
            filter,
            clock: Clock::NotYet,
            last_secs: None,
            unordered: false,
            saw_change: false,
            max_secs: None,
        }
    }

    /// Records when the pass started, once: `server` is the first response's `Date` (Unix
    /// seconds), `host_now` the host's clock.
    pub(crate) fn start_clock(&mut self, server: Option<i64>, host_now: impl FnOnce() -> i64) {
        if self.clock == Clock::NotYet {
            self.clock = Clock::At {
                secs: server.unwrap_or_else(host_now),
            };
        }
    }

    /// Takes one record's cursor value, in the order records are read.
    pub(crate) fn observe(&mut self, v: Value) {
        let secs = cursor_secs(&v);
        if let Some(s) = secs {
            if self.last_secs.is_some_and(|last| s < last) {
                self.unordered = true;
            }
            self.last_secs = Some(s);
            // A change made during the pass may carry a stamp up to the lookback before the
            // pass's start (stamps lag the server's clock).
            if let Clock::At { secs } = self.clock {
                if s >= (secs - LOOKBACK_SECS) as f64 {
                    self.saw_change = true;
                }
            }
        }
        match (secs, self.max_secs) {
            // Both times known: compared without parsing the maximum again.
            (Some(s), Some(max)) => {
                if s > max {
                    self.max_cursor = Some(v);
                    self.max_secs = Some(s);
                }
            }
            _ => {
                self.max_cursor = max_cursor(self.max_cursor.take(), Some(v));
                self.max_secs = self.max_cursor.as_ref().and_then(cursor_secs);
            }
        }
    }

    /// The cursor to save when this pass ends, given the one it started from; with a warning
    /// when it is held back.
    pub(crate) fn finished_cursor(
        &self,
        paging: &PagingDecl,
        saved: Option<Value>,
    ) -> (Option<Value>, Option<String>) {
        let started =
            match self.clock {
                Clock::At { secs } => secs,
                // A pass begun by an earlier version: its start is unknown, so nothing is safe to
                // advance to.
                Clock::Unknown => return (
                    saved,
                    Some(
                        "the interrupted pass did not record when it started; the cursor is kept"
                            .into(),
                    ),
                ),
                // No response was read: nothing changed.
                Clock::NotYet => return (saved, None),
            };
        if matches!(
            paging,
            PagingDecl::Offset { .. } | PagingDecl::PageNumber { .. }
        ) && self.saw_change
            && !self.unordered
        {
            return (
                saved,
                Some(
                    "records changed while this list was read by offset in update order, which can shift unread records past a page; the cursor is kept so the next sync reads them".into(),
                ),
            );
        }
        let Some(seen) = self.max_cursor.clone() else {
            return (None, None);
        };
        let bound = started - LOOKBACK_SECS;
        match cursor_secs(&seen) {
            Some(s) if s > bound as f64 => (Some(same_form(bound, &seen)), None),
            _ => (Some(seen), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EndDecl, PageSizeDecl};

    const CURSOR_PAGING: PagingDecl = PagingDecl::Cursor {
        cursor_param: "after",
        cursor_from_record: Some("id"),
        cursor_path: None,
        has_more_path: None,
        limit: None,
    };
    const OFFSET_PAGING: PagingDecl = PagingDecl::Offset {
        offset_param: "offset",
        limit: PageSizeDecl {
            param: "limit",
            value: 100,
        },
        end: None::<EndDecl>,
    };

    fn iso(secs: i64) -> Value {
        Value::String(rfc3339(secs))
    }

    #[test]
    fn a_change_behind_the_position_stays_above_the_saved_cursor() {
        // Ordered by id: record A (page 1) read at t=1000, then changed at t=1010; record B
        // changed at t=1020 and read later. The max seen is 1020; A's 1010 must stay above.
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(1000), || unreachable!("the server sent a Date"));
        for t in [500, 900, 100, 1020, 300] {
            pass.observe(iso(t));
        }
        let (cursor, warning) = pass.finished_cursor(&CURSOR_PAGING, None);
        assert_eq!(warning, None);
        let saved = cursor_secs(&cursor.unwrap()).unwrap();
        assert!(
            saved <= 1010.0,
            "A's change at 1010 is not below the saved cursor ({saved})"
        );
        assert_eq!(saved, (1000 - LOOKBACK_SECS) as f64);
    }

    #[test]
    fn a_quiet_pass_saves_the_largest_value_seen_in_its_own_form() {
        let mut pass = Pending::new(Some(Value::from(400)), None);
        pass.start_clock(None, || 100_000);
        pass.observe(Value::from(700));
        pass.observe(Value::from(650));
        assert_eq!(
            pass.finished_cursor(&CURSOR_PAGING, Some(Value::from(400)))
                .0,
            Some(Value::from(700))
        );
        // Milliseconds stay milliseconds when bounded.
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(1_700_000_000), || 0);
        pass.observe(Value::from(1_700_000_100_000_i64));
        assert_eq!(
            pass.finished_cursor(&CURSOR_PAGING, None).0,
            Some(Value::from((1_700_000_000 - LOOKBACK_SECS) * 1000))
        );
    }

    #[test]
    fn times_written_as_digits_microseconds_or_http_dates_are_bounded_in_their_own_form() {
        // Each is a time past the pass's start: unbounded, a change made during the pass
        // behind the position would end below the saved cursor and never be read.
        let bound = 1_700_000_000 - LOOKBACK_SECS;
        for (seen, saved) in [
            (Value::from("1700000100"), Value::from(bound.to_string())),
            (
                Value::from("1700000100000"),
                Value::from((bound * 1000).to_string()),
            ),
            (
                Value::from(1_700_000_100_000_000_i64),
                Value::from(bound * 1_000_000),
            ),
            (
                Value::from("Tue, 14 Nov 2023 22:15:00 GMT"),
                Value::from(http_date(bound)),
            ),
        ] {
            let mut pass = Pending::new(None, None);
            pass.start_clock(Some(1_700_000_000), || 0);
            pass.observe(seen.clone());
            assert_eq!(
                pass.finished_cursor(&CURSOR_PAGING, None).0,
                Some(saved),
                "{seen}"
            );
        }
        // Digits compare as numbers: "1000" is after "999".
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(1_000_000), || 0);
        pass.observe(Value::from("1000"));
        pass.observe(Value::from("999"));
        assert_eq!(
            pass.finished_cursor(&CURSOR_PAGING, None).0,
            Some(Value::from("1000"))
        );
    }

    #[test]
    fn filter_values_are_the_time_the_cursor_names_in_the_filters_form() {
        use serde_json::json;
        let t = 1_700_000_000;
        for v in [
            json!(t),
            json!(1_700_000_000_000_i64),
            json!(1_700_000_000_000_000_i64),
            json!("1700000000"),
            json!("1700000000000"),
            json!("Tue, 14 Nov 2023 22:13:20 GMT"),
            json!("/Date(1700000000000)/"),
            json!(1_700_000_000.75),
        ] {
            assert_eq!(
                filter_text(&v, CursorFormat::UnixSeconds),
                t.to_string(),
                "{v}"
            );
            assert_eq!(filter_text(&v, CursorFormat::Rfc3339), rfc3339(t), "{v}");
            assert_eq!(filter_text(&v, CursorFormat::HttpDate), http_date(t), "{v}");
        }
        // RFC 3339 text is sent as written; `Same` sends every value as it is; what is not a
        // time is sent as it is.
        let text = json!("2023-11-14T23:13:20+01:00");
        assert_eq!(
            filter_text(&text, CursorFormat::Rfc3339),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            filter_text(&json!(1_700_000_000_000_i64), CursorFormat::Same),
            "1700000000000"
        );
        assert_eq!(filter_text(&json!("v7"), CursorFormat::UnixSeconds), "v7");
    }

    #[test]
    fn a_bounded_cursor_keeps_its_date_time_layout() {
        let bound = 1_700_000_000 - LOOKBACK_SECS; // 2023-11-14T22:12:20Z
        for (seen, saved) in [
            ("2023-11-14 22:15:00", "2023-11-14 22:12:20"),
            ("2023-11-14T23:15:00+01:00", "2023-11-14T23:12:20+01:00"),
            ("2023-11-14T22:15:00.250Z", "2023-11-14T22:12:20Z"),
            ("2023-11-15", "2023-11-14"),
            ("/Date(1700000100000)/", "/Date(1699999940000)/"),
        ] {
            let mut pass = Pending::new(None, None);
            pass.start_clock(Some(1_700_000_000), || 0);
            pass.observe(Value::from(seen));
            let got = pass.finished_cursor(&CURSOR_PAGING, None).0.unwrap();
            assert_eq!(got, Value::from(saved), "{seen}");
            assert!(cursor_secs(&got).unwrap() <= bound as f64, "{seen}");
        }
    }

    #[test]
    fn zero_padded_digits_keep_their_width() {
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(1_700_000_000), || 0);
        pass.observe(Value::from("0001700000100"));
        assert_eq!(
            pass.finished_cursor(&CURSOR_PAGING, None).0,
            Some(Value::from(format!(
                "{:0>13}",
                1_700_000_000 - LOOKBACK_SECS
            )))
        );
    }

    #[test]
    fn a_server_clock_far_ahead_never_lifts_the_cursor_above_what_was_seen() {
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(4_000_000_000), || 0);
        pass.observe(iso(1_000));
        assert_eq!(
            pass.finished_cursor(&CURSOR_PAGING, None).0,
            Some(iso(1_000))
        );
    }

    #[test]
    fn offset_paging_in_update_order_with_a_change_keeps_the_cursor() {
        let mut pass = Pending::new(Some(iso(100)), None);
        pass.start_clock(Some(1000), || 0);
        for t in [100, 200, 300, 1005] {
            pass.observe(iso(t));
        }
        let (cursor, warning) = pass.finished_cursor(&OFFSET_PAGING, Some(iso(100)));
        assert_eq!(cursor, Some(iso(100)));
        assert!(warning.unwrap().contains("shift"));
        // The same list ordered by id (cursors going up and down) shifts nothing on an update.
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(1000), || 0);
        for t in [300, 100, 1005, 200] {
            pass.observe(iso(t));
        }
        assert_eq!(
            pass.finished_cursor(&OFFSET_PAGING, None).0,
            Some(iso(1000 - LOOKBACK_SECS))
        );
    }

    #[test]
    fn a_pass_resumed_from_an_earlier_version_keeps_the_saved_cursor() {
        let old: Pending =
            serde_json::from_str(r#"{"position":{"kind":"start"},"max_cursor":900}"#).unwrap();
        assert_eq!(old.clock, Clock::Unknown);
        let (cursor, warning) = old.finished_cursor(&CURSOR_PAGING, Some(Value::from(10)));
        assert_eq!(cursor, Some(Value::from(10)));
        assert!(warning.is_some());
    }

    #[test]
    fn the_clock_survives_a_checkpoint() {
        let mut pass = Pending::new(None, None);
        pass.start_clock(Some(1234), || 0);
        let text = serde_json::to_string(&pass).unwrap();
        let mut back: Pending = serde_json::from_str(&text).unwrap();
        back.start_clock(Some(9999), || 0);
        assert_eq!(back.clock, Clock::At { secs: 1234 });
    }
}
