//! Graph's `timespan` request parameter as a time window: an ISO 8601 duration (`P30D`) or
//! interval (`start/end`, `P7D/end`, `start/P7D`, or a single start). Instants are read with
//! `kql::time::parse_datetime`; everything is in 100 ns ticks.

use crate::kql::time::{self, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};

use super::planner::Window;

/// An ISO 8601 duration (`P30D`, `PT12H`, `P1W`, `P1DT2H30M`, `PT0.5S`) in ticks. Months and
/// years are not fixed lengths and are refused; so is a duration that does not fit in i64 ticks.
pub fn parse_iso_duration(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for ch in rest.chars() {
        match ch {
            'T' | 't' if number.is_empty() && !in_time => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if ch == ',' { '.' } else { ch }),
            unit => {
                let per_unit = match (unit.to_ascii_uppercase(), in_time) {
                    ('W', false) => 7 * TICKS_PER_DAY,
                    ('D', false) => TICKS_PER_DAY,
                    ('H', true) => TICKS_PER_HOUR,
                    ('M', true) => TICKS_PER_MINUTE,
                    ('S', true) => TICKS_PER_SECOND,
                    _ => return None,
                };
                let value: f64 = number.parse().ok()?;
                number.clear();
                let ticks = value * per_unit as f64;
                // `as` would saturate silently: refuse what does not fit.
                if !ticks.is_finite() || ticks < 0.0 || ticks >= i64::MAX as f64 {
                    return None;
                }
                total = total.checked_add(ticks as i64)?;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(total)
}

/// Reads a Graph `timespan` into a window, relative to `now` (ticks) where it is a bare
/// duration. Errors are messages for the user (the CLI treats them as usage errors).
pub fn parse_timespan(text: &str, now: i64) -> Result<Window, String> {
    let bad = || {
        format!(
            "'{}' is not an ISO 8601 time span (examples: P7D, PT12H, 2024-02-01T00:00:00Z/2024-02-15T00:00:00Z)",
            text.escape_debug()
        )
    };
    let instant = |t: &str| time::parse_datetime(t).map_err(|_| bad());
    let shift = |from: i64, by: i64| {
        from.checked_add(by)
            .filter(|t| time::is_valid_datetime(*t))
            .ok_or_else(bad)
    };
    let (start, end) = match text.split_once('/') {
        None => match parse_iso_duration(text) {
            Some(span) => (shift(now, -span)?, now),
            None => (instant(text)?, now),
        },
        Some((left, right)) => match (parse_iso_duration(left), parse_iso_duration(right)) {
            (Some(span), None) => {
                let end = instant(right)?;
                (shift(end, -span)?, end)
            }
            (None, Some(span)) => {
                let start = instant(left)?;
                (start, shift(start, span)?)
            }
            (None, None) => (instant(left)?, instant(right)?),
            (Some(_), Some(_)) => return Err(bad()),
        },
    };
    if start > end {
        return Err(format!("'{}' ends before it starts", text.escape_debug()));
    }
    if start == end {
        return Err(format!(
            "'{}' is an empty window: no row could match",
            text.escape_debug()
        ));
    }
    Ok(Window { start, end })
}

/// `last 7d`, or the dates of a fixed window, for the status line.
pub fn describe_window(window: &Window, now: i64) -> String {
    let span = window.end - window.start;
    if (window.end - now).abs() < TICKS_PER_MINUTE {
        if span % TICKS_PER_DAY == 0 {
            return format!("last {}d", span / TICKS_PER_DAY);
        }
        if span % TICKS_PER_HOUR == 0 {
            return format!("last {}h", span / TICKS_PER_HOUR);
        }
    }
    let show = |t: i64| {
        time::to_chrono(t)
            .map(|dt| dt.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| time::format_datetime(t))
    };
    format!("{} – {}", show(window.start), show(window.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iso_windows() {
        let now = time::UNIX_EPOCH_TICKS + 1_000 * TICKS_PER_DAY;
        let day = TICKS_PER_DAY;
        assert_eq!(
            parse_timespan("P7D", now).unwrap(),
            Window {
                start: now - 7 * day,
                end: now
            }
        );
        assert_eq!(parse_iso_duration("PT1H30M"), Some(90 * TICKS_PER_MINUTE));
        assert_eq!(parse_iso_duration("PT0.5S"), Some(TICKS_PER_SECOND / 2));
        assert_eq!(parse_iso_duration("P1M"), None);
        assert_eq!(parse_iso_duration("P1X"), None);
        let window = parse_timespan("2024-02-01T00:00:00Z/2024-02-15T00:00:00Z", now).unwrap();
        assert_eq!(window.end - window.start, 14 * day);
        let window = parse_timespan("P1D/2024-02-15T00:00:00Z", now).unwrap();
        assert_eq!(window.end - window.start, day);
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

    #[test]
    fn huge_durations_are_refused_not_wrapped() {
        assert_eq!(parse_iso_duration("P99999999999999999D"), None);
        assert_eq!(
            parse_iso_duration("P10675199D"),
            Some(10_675_199 * TICKS_PER_DAY)
        );
        let now = time::UNIX_EPOCH_TICKS;
        assert!(parse_timespan("P3000000D", now).is_err(), "before year 1");
        assert!(
            parse_timespan("P0D", now)
                .unwrap_err()
                .contains("empty window"),
            "an empty window is refused"
        );
        assert!(parse_timespan("1601-01-01/P1D", now).is_ok());
    }
}
