//! Reading datetimes the way KQL's `datetime()` does, and ISO 8601 time windows (Graph's
//! `timespan`: `P30D`, `start/end`, `P7D/end`, `start/P7D`, or a single start).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::planner::Window;

/// Nanoseconds since 1970 for the datetime formats KQL accepts; `None` when unreadable. Times
/// without a zone are UTC.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return dt.timestamp_nanos_opt();
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(text) {
        return dt.timestamp_nanos_opt();
    }
    let without_zone = text.strip_suffix('Z').unwrap_or(text);
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(without_zone, format) {
            return naive.and_utc().timestamp_nanos_opt();
        }
    }
    for format in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(date) = NaiveDate::parse_from_str(without_zone, format) {
            return date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt();
        }
    }
    None
}

/// An ISO 8601 duration (`P30D`, `PT12H`, `P1W`, `P1DT2H30M`) in nanoseconds. Months and years
/// are not fixed lengths and are refused.
pub fn parse_iso_duration(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let mut nanos: i64 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for ch in rest.chars() {
        match ch {
            'T' | 't' => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if ch == ',' { '.' } else { ch }),
            unit => {
                let value: f64 = number.parse().ok()?;
                number.clear();
                let seconds = match (unit.to_ascii_uppercase(), in_time) {
                    ('W', false) => 7.0 * 86_400.0,
                    ('D', false) => 86_400.0,
                    ('H', true) => 3_600.0,
                    ('M', true) => 60.0,
                    ('S', true) => 1.0,
                    _ => return None,
                };
                nanos = nanos.checked_add((value * seconds * 1e9) as i64)?;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(nanos)
}

/// Reads a Graph `timespan` into a window, relative to `now` where it is a bare duration.
pub fn parse_timespan(text: &str, now_nanos: i64) -> Result<Window, String> {
    let bad = || {
        format!(
            "'{text}' is not an ISO 8601 time span (examples: P7D, PT12H, 2024-02-01T00:00:00Z/2024-02-15T00:00:00Z)"
        )
    };
    let window = match text.split_once('/') {
        None => match parse_iso_duration(text) {
            Some(span) => Window {
                start_nanos: now_nanos.saturating_sub(span),
                end_nanos: now_nanos,
            },
            None => Window {
                start_nanos: parse_datetime(text).ok_or_else(bad)?,
                end_nanos: now_nanos,
            },
        },
        Some((left, right)) => match (parse_iso_duration(left), parse_iso_duration(right)) {
            (Some(span), None) => {
                let end = parse_datetime(right).ok_or_else(bad)?;
                Window {
                    start_nanos: end.saturating_sub(span),
                    end_nanos: end,
                }
            }
            (None, Some(span)) => {
                let start = parse_datetime(left).ok_or_else(bad)?;
                Window {
                    start_nanos: start,
                    end_nanos: start.saturating_add(span),
                }
            }
            (None, None) => Window {
                start_nanos: parse_datetime(left).ok_or_else(bad)?,
                end_nanos: parse_datetime(right).ok_or_else(bad)?,
            },
            (Some(_), Some(_)) => return Err(bad()),
        },
    };
    if window.start_nanos > window.end_nanos {
        return Err(format!("'{text}' ends before it starts"));
    }
    Ok(window)
}

/// `last 7d`, or the dates of a fixed window, for the status line.
pub fn describe_window(window: &Window, now_nanos: i64) -> String {
    let day = 86_400_000_000_000i64;
    let span = window.end_nanos - window.start_nanos;
    if (window.end_nanos - now_nanos).abs() < 60_000_000_000 {
        if span % day == 0 {
            return format!("last {}d", span / day);
        }
        if span % 3_600_000_000_000 == 0 {
            return format!("last {}h", span / 3_600_000_000_000);
        }
    }
    let show = |n: i64| {
        DateTime::<Utc>::from_timestamp_nanos(n)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    format!("{} – {}", show(window.start_nanos), show(window.end_nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kql_datetime_formats() {
        let expected = 1_704_103_200_000_000_000; // 2024-01-01T10:00:00Z
        for text in [
            "2024-01-01T10:00:00Z",
            "2024-01-01 10:00",
            "2024-01-01T10:00:00.0000000Z",
            "2024-01-01 10:00:00",
            "Mon, 01 Jan 2024 10:00:00 GMT",
        ] {
            assert_eq!(parse_datetime(text), Some(expected), "{text}");
        }
        assert_eq!(
            parse_datetime("2024-01-01"),
            Some(1_704_067_200_000_000_000)
        );
        assert_eq!(
            parse_datetime("2024-01-01T10:00:00.5+01:00"),
            Some(expected - 3_600_000_000_000 + 500_000_000)
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn reads_iso_windows() {
        let now = 1_000 * 86_400_000_000_000i64;
        let day = 86_400_000_000_000i64;
        assert_eq!(
            parse_timespan("P7D", now).unwrap(),
            Window {
                start_nanos: now - 7 * day,
                end_nanos: now
            }
        );
        assert_eq!(parse_iso_duration("PT1H30M"), Some(5_400_000_000_000));
        assert_eq!(parse_iso_duration("P1M"), None);
        let window = parse_timespan("2024-02-01T00:00:00Z/2024-02-15T00:00:00Z", now).unwrap();
        assert_eq!(window.end_nanos - window.start_nanos, 14 * day);
        let window = parse_timespan("P1D/2024-02-15T00:00:00Z", now).unwrap();
        assert_eq!(window.end_nanos - window.start_nanos, day);
        assert!(
            parse_timespan("banana", now)
                .unwrap_err()
                .contains("ISO 8601")
        );
        assert!(parse_timespan("2024-02-15T00:00:00Z/2024-02-01T00:00:00Z", now).is_err());
        assert_eq!(
            describe_window(&parse_timespan("P30D", now).unwrap(), now),
            "last 30d"
        );
    }
}
