//! Reading a scalar that arrived as JSON or text as a KQL value, the same way wherever it comes
//! from: Graph's responses (`graph::decode`) and the user's JSON and CSV files
//! (`engine::files`). A reading that does not fit gives `None`; the caller says why.

use crate::kql::time;

/// One JSON scalar as it arrived.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(&'a str),
}

/// A bool: JSON `true`/`false`, `0`/`1`, and the words `true`/`false` in any case.
pub fn as_bool(value: Scalar<'_>) -> Option<bool> {
    match value {
        Scalar::Bool(b) => Some(b),
        Scalar::I64(0) | Scalar::U64(0) => Some(false),
        Scalar::I64(1) | Scalar::U64(1) => Some(true),
        Scalar::Str(s) if s.eq_ignore_ascii_case("true") || s == "1" => Some(true),
        Scalar::Str(s) if s.eq_ignore_ascii_case("false") || s == "0" => Some(false),
        _ => None,
    }
}

/// 2^53: every integer up to this magnitude is exact in an f64.
const F64_EXACT: f64 = 9_007_199_254_740_992.0;

/// An integer exactly: JSON integers as serde_json read them (never through f64), a float only
/// when it is integral and exact (`1.0`, `1e3`), a string of digits.
pub fn as_long(value: Scalar<'_>) -> Option<i64> {
    match value {
        Scalar::I64(v) => Some(v),
        Scalar::U64(v) => i64::try_from(v).ok(),
        Scalar::F64(v) if v.fract() == 0.0 && v.abs() <= F64_EXACT => Some(v as i64),
        Scalar::Str(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn as_real(value: Scalar<'_>) -> Option<f64> {
    match value {
        Scalar::I64(v) => Some(v as f64),
        Scalar::U64(v) => Some(v as f64),
        Scalar::F64(v) => Some(v),
        // Rust reads `NaN`, `Infinity`, `-Infinity` (any case) and decimal text; .NET may also
        // write infinity as `∞`.
        Scalar::Str(s) => match s.trim() {
            "∞" | "+∞" => Some(f64::INFINITY),
            "-∞" => Some(f64::NEG_INFINITY),
            text => text.parse().ok(),
        },
        Scalar::Bool(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Datetimes
// ---------------------------------------------------------------------------------------------

/// A Graph datetime → ticks: the fast path for `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z`, else
/// `kql::time::parse_datetime` (other ISO 8601 forms, offsets, more digits).
pub fn datetime_ticks(text: &str) -> Option<i64> {
    fast_datetime(text.as_bytes()).or_else(|| time::parse_datetime(text).ok())
}

/// Days before each month in a common year.
const DAYS_BEFORE_MONTH: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z` → ticks since 0001-01-01, exact; `None` for anything else
/// (which the general parser then reads or refuses).
pub fn fast_datetime(s: &[u8]) -> Option<i64> {
    if !(20..=28).contains(&s.len()) {
        return None;
    }
    let digit = |i: usize| -> Option<i64> {
        let b = *s.get(i)?;
        b.is_ascii_digit().then(|| i64::from(b - b'0'))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| s.get(i) != Some(&c)) {
        return None;
    }
    let year = two(0)? * 100 + two(2)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let (fraction, tail) = match s.get(19..)? {
        [b'.', rest @ ..] => {
            let count = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if !(1..=7).contains(&count) {
                return None;
            }
            let mut fraction = 0;
            for i in 0..7 {
                fraction = fraction * 10 + if i < count { digit(20 + i)? } else { 0 };
            }
            (fraction, rest.get(count..)?)
        }
        rest => (0, rest),
    };
    let valid = tail == b"Z"
        && year >= 1
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let before = year - 1;
    let mut days = before * 365 + before / 4 - before / 100 + before / 400;
    days += DAYS_BEFORE_MONTH.get(usize::try_from(month - 1).ok()?)?;
    if month > 2 && is_leap(year) {
        days += 1;
    }
    days += day - 1;
    Some(
        days * time::TICKS_PER_DAY
            + hour * time::TICKS_PER_HOUR
            + minute * time::TICKS_PER_MINUTE
            + second * time::TICKS_PER_SECOND
            + fraction,
    )
}
