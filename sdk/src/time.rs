//! Minimal date handling for incremental filters (no clock: `host.now` is the only one).

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats Unix seconds as RFC 3339 UTC.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let s = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate), for headers like
/// `If-Modified-Since`.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let s = secs.rem_euclid(86400);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m as usize).clamp(1, 12) - 1],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` or a Microsoft JSON date
/// (`/Date(1573755038314+0000)/`, Xero's) into Unix seconds. Never panics on other text.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let digits_end = rest
            .char_indices()
            .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
            .map_or(rest.len(), |(i, _)| i);
        let ms: i64 = rest.get(..digits_end)?.parse().ok()?;
        return Some(ms.div_euclid(1000));
    }
    let num = |s: Option<&str>| s?.parse::<i64>().ok();
    if !t.is_ascii() || t.len() < 10 || t.as_bytes()[4] != b'-' || t.as_bytes()[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(t.get(0..4))?, num(t.get(5..7))?, num(t.get(8..10))?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo as u32, d as u32) * 86400;
    let rest = &t[10..];
    if rest.is_empty() {
        return Some(secs);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    if rest.len() < 8 {
        return None;
    }
    secs += num(rest.get(0..2))? * 3600 + num(rest.get(3..5))? * 60 + num(rest.get(6..8))?;
    let mut tz = &rest[8..];
    if let Some(frac) = tz.strip_prefix('.') {
        tz = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    match tz {
        "" | "Z" | "z" => Some(secs),
        _ if tz.len() == 6 => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let off = num(tz.get(1..3))? * 3600 + num(tz.get(4..6))? * 60;
            Some(secs - sign * off)
        }
        _ => None,
    }
}

/// Parses a date-time with its fraction of a second, as seconds (for ordering cursors).
pub fn parse_datetime_f64(text: &str) -> Option<f64> {
    let secs = parse_datetime(text)? as f64;
    let t = text.trim();
    let frac = t
        .get(19..)
        .and_then(|rest| rest.strip_prefix('.'))
        .map(|f| {
            let digits: String = f.chars().take_while(char::is_ascii_digit).take(9).collect();
            if digits.is_empty() {
                0.0
            } else {
                digits.parse::<f64>().unwrap_or(0.0) / 10f64.powi(digits.len() as i32)
            }
        });
    Some(secs + frac.unwrap_or(0.0))
}

/// Parses an HTTP `Date` header (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) into Unix
/// seconds. Other (obsolete) forms give `None`.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let t = text.trim();
    let (_, rest) = t.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) {
        return None;
    }
    parse_datetime(&format!("{year:04}-{month:02}-{day:02}T{time}Z"))
}

/// The latest Unix time a date-time can show (9999-12-31T23:59:59Z).
pub const LAST_SECOND: f64 = 253_402_300_799.0;

/// A number of seconds, milliseconds or microseconds, as seconds: beyond 10^11 (year 5138 in
/// seconds) a number can only be a finer unit.
pub fn seconds_of(mut n: f64) -> f64 {
    for _ in 0..3 {
        if n.abs() > 1e11 {
            n /= 1000.0;
        }
    }
    n
}

/// How many of its units make a second, for a time number `n` (1, 1,000 or 1,000,000).
pub fn units_per_second(n: f64) -> f64 {
    let mut unit = 1.0;
    let mut n = n.abs();
    for _ in 0..3 {
        if n > 1e11 {
            n /= 1000.0;
            unit *= 1000.0;
        }
    }
    unit
}

/// A time value as Unix seconds (with its fraction): a number (milliseconds or microseconds
/// when that large), a string of digits read the same way, a date-time (`YYYY-MM-DD`, `T` or
/// a space, fractions, `Z` or `±HH:MM`), a Microsoft JSON date (`/Date(1573755038314)/`) or
/// an HTTP date; in years 1970 to 9999. The one reading of a time shared by the connector
/// (its cursors) and Save & Test (its filter check).
pub fn instant(v: &serde_json::Value) -> Option<f64> {
    use serde_json::Value;
    let t = match v {
        Value::Number(n) => seconds_of(n.as_f64()?),
        Value::String(s) if is_digits(s) => seconds_of(s.parse::<f64>().ok()?),
        Value::String(s) if s.trim_end().ends_with(" GMT") => parse_http_date(s)? as f64,
        Value::String(s) => parse_datetime_f64(s)?,
        _ => return None,
    };
    (0.0..=LAST_SECOND).contains(&t).then_some(t)
}

/// A non-empty string of at most 20 ASCII digits (a Unix time written as text).
pub fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_json_dates_and_odd_text_parse_safely() {
        assert_eq!(
            parse_datetime("/Date(1573755038314+0000)/"),
            Some(1_573_755_038)
        );
        assert_eq!(parse_datetime("/Date(1573755038314)/"), Some(1_573_755_038));
        assert_eq!(parse_datetime("2024-01-0\u{e9}T00:00:00Z"), None);
        assert_eq!(parse_datetime("2024-01-01T0\u{e9}:00:00Z"), None);
    }

    #[test]
    fn http_dates_are_imf_fixdates() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            parse_http_date(&http_date(1_735_689_600)),
            Some(1_735_689_600)
        );
    }

    #[test]
    fn round_trip() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_datetime("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(
            parse_datetime("2023-11-15T00:13:20+02:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_datetime("2023-11-14"), Some(1_699_920_000));
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn http_dates_and_fractions() {
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_http_date("Tuesday, 14-Nov-23 22:13:20 GMT"), None);
        assert_eq!(parse_http_date("garbage"), None);
        assert_eq!(
            parse_datetime_f64("2023-11-14T22:13:20.250Z"),
            Some(1_700_000_000.25)
        );
        assert_eq!(
            parse_datetime_f64("2023-11-14T22:13:20Z"),
            Some(1_700_000_000.0)
        );
    }

    #[test]
    fn instants_read_every_layout_a_cursor_comes_in() {
        use serde_json::json;
        for v in [
            json!(1_700_000_000),
            json!(1_700_000_000_000u64),
            json!(1_700_000_000_000_000u64),
            json!("1700000000"),
            json!("1700000000000"),
            json!("2023-11-14T22:13:20Z"),
            json!("2023-11-14 22:13:20"),
            json!("2023-11-15T00:13:20+02:00"),
            json!("Tue, 14 Nov 2023 22:13:20 GMT"),
            json!("/Date(1700000000000)/"),
        ] {
            assert_eq!(instant(&v), Some(1_700_000_000.0), "{v}");
        }
        assert_eq!(
            instant(&json!("2023-11-14T22:13:20.5Z")),
            Some(1_700_000_000.5)
        );
        for v in [
            json!(-5),
            json!("soon"),
            json!(true),
            json!("10000-01-01"),
            json!(""),
        ] {
            assert_eq!(instant(&v), None, "{v}");
        }
        assert_eq!(units_per_second(1.7e9), 1.0);
        assert_eq!(units_per_second(1.7e12), 1e3);
        assert_eq!(units_per_second(1.7e15), 1e6);
    }
}
