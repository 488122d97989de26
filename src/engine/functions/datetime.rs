//! Datetime functions (the KQL pages `startofday-function.md`, `datetime-diff-function.md`,
//! `format-datetime-function.md`, …): each a [`RowFunction`] with its page's examples as tests.
//!
//! Calendar arithmetic is the proleptic Gregorian calendar in UTC, as Kusto's is; weeks start
//! on Sunday. A result outside the years 1 to 9999 is null.

use chrono::offset::LocalResult;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;

use super::{KqlValue, Param, Returns, RowFunction};
use crate::kql::time::{
    self, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND,
    TICKS_PER_MINUTE, TICKS_PER_SECOND, UNIX_EPOCH_TICKS,
};
use crate::results::KqlType;

/// A definition with the usual defaults (not variadic, not volatile).
const fn function(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    returns: Returns,
    eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
) -> RowFunction {
    RowFunction::new(name, params, required, false, returns, eval)
}

const DATE: &[Param] = &[Param::DateTime];
const DATE_OFFSET: &[Param] = &[Param::DateTime, Param::Integer];
const DATETIME: Returns = Returns::Always(KqlType::DateTime);
const INT: Returns = Returns::Always(KqlType::Int);

/// The datetime functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[
    function("startofday", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Day, false)
    }),
    function("startofweek", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Week, false)
    }),
    function("startofmonth", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Month, false)
    }),
    function("startofyear", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Year, false)
    }),
    function("endofday", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Day, true)
    }),
    function("endofweek", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Week, true)
    }),
    function("endofmonth", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Month, true)
    }),
    function("endofyear", DATE_OFFSET, 1, DATETIME, |a| {
        boundary(a, Period::Year, true)
    }),
    function(
        "dayofweek",
        DATE,
        1,
        Returns::Always(KqlType::Timespan),
        dayofweek,
    ),
    function("dayofmonth", DATE, 1, INT, |a| {
        Ok(field(a, |s| i64::from(s.date.day())))
    }),
    function("dayofyear", DATE, 1, INT, |a| {
        Ok(field(a, |s| i64::from(s.date.ordinal())))
    }),
    function("hourofday", DATE, 1, INT, |a| {
        Ok(field(a, |s| s.time / TICKS_PER_HOUR))
    }),
    function("monthofyear", DATE, 1, INT, |a| {
        Ok(field(a, |s| i64::from(s.date.month())))
    }),
    function("getmonth", DATE, 1, INT, |a| {
        Ok(field(a, |s| i64::from(s.date.month())))
    }),
    function("getyear", DATE, 1, INT, |a| {
        Ok(field(a, |s| i64::from(s.date.year())))
    }),
    function("week_of_year", DATE, 1, INT, |a| {
        Ok(field(a, |s| i64::from(s.date.iso_week().week())))
    }),
    function(
        "datetime_part",
        &[Param::Text, Param::DateTime],
        2,
        INT,
        datetime_part,
    ),
    function(
        "datetime_diff",
        &[Param::Text, Param::DateTime, Param::DateTime],
        3,
        Returns::Always(KqlType::Long),
        datetime_diff,
    ),
    function(
        "datetime_add",
        &[Param::Text, Param::Integer, Param::DateTime],
        3,
        DATETIME,
        datetime_add,
    ),
    function(
        "format_datetime",
        &[Param::DateTime, Param::Text],
        2,
        Returns::Always(KqlType::String),
        format_datetime,
    ),
    function(
        "format_timespan",
        &[Param::Timespan, Param::Text],
        2,
        Returns::Always(KqlType::String),
        format_timespan,
    ),
    function(
        "make_datetime",
        &[
            Param::Integer,
            Param::Integer,
            Param::Integer,
            Param::Integer,
            Param::Integer,
            Param::Number,
        ],
        3,
        DATETIME,
        make_datetime,
    ),
    function(
        "make_timespan",
        &[Param::Integer, Param::Integer, Param::Number, Param::Number],
        2,
        Returns::Always(KqlType::Timespan),
        make_timespan,
    ),
    function(
        "unixtime_seconds_todatetime",
        &[Param::Number],
        1,
        DATETIME,
        |a| Ok(from_unix(&a[0], Unix::Seconds)),
    ),
    function(
        "unixtime_milliseconds_todatetime",
        &[Param::Number],
        1,
        DATETIME,
        |a| Ok(from_unix(&a[0], Unix::Milliseconds)),
    ),
    function(
        "unixtime_microseconds_todatetime",
        &[Param::Number],
        1,
        DATETIME,
        |a| Ok(from_unix(&a[0], Unix::Microseconds)),
    ),
    function(
        "unixtime_nanoseconds_todatetime",
        &[Param::Number],
        1,
        DATETIME,
        |a| Ok(from_unix(&a[0], Unix::Nanoseconds)),
    ),
    function(
        "datetime_utc_to_local",
        &[Param::DateTime, Param::Text],
        2,
        DATETIME,
        utc_to_local,
    ),
    function(
        "datetime_local_to_utc",
        &[Param::DateTime, Param::Text],
        2,
        DATETIME,
        local_to_utc,
    ),
    function(
        "bin_at",
        &[Param::Any, Param::Any, Param::Any],
        3,
        Returns::ArgumentType(0),
        bin_at,
    ),
];

// ---------------------------------------------------------------------------------------------
// Calendar helpers
// ---------------------------------------------------------------------------------------------

/// A valid datetime split into its calendar date, its day number and the time into that day.
struct Split {
    ticks: i64,
    date: NaiveDate,
    /// Days since 0001-01-01 (a Monday).
    days: i64,
    /// Ticks since midnight.
    time: i64,
}

fn split(ticks: i64) -> Option<Split> {
    if !time::is_valid_datetime(ticks) {
        return None;
    }
    let days = ticks / TICKS_PER_DAY;
    // chrono counts 0001-01-01 as day 1 of the Common Era.
    let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + 1).ok()?)?;
    Some(Split {
        ticks,
        date,
        days,
        time: ticks % TICKS_PER_DAY,
    })
}

/// Days since the Sunday on or before `days` (0 = Sunday … 6 = Saturday).
fn weekday(days: i64) -> i64 {
    // Day 0, 0001-01-01, is a Monday.
    (days + 1).rem_euclid(7)
}

/// Ticks at midnight of a calendar day; may lie outside the years 1 to 9999 (callers check),
/// which lets the end of 9999 be computed as the start of 10000 less one tick.
fn midnight(year: i64, month: u32, day: u32) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    i64::from(date.num_days_from_ce())
        .checked_sub(1)?
        .checked_mul(TICKS_PER_DAY)
}

/// The month `offset` months after `year`-`month`.
fn add_months(year: i64, month: u32, offset: i64) -> Option<(i64, u32)> {
    let index = year
        .checked_mul(12)?
        .checked_add(i64::from(month) - 1)?
        .checked_add(offset)?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    Some((index.div_euclid(12), month))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// `ticks` as a datetime value, null when missing or outside the years 1 to 9999.
fn datetime_value(ticks: Option<i64>) -> KqlValue {
    ticks
        .filter(|t| time::is_valid_datetime(*t))
        .map_or(KqlValue::Null, KqlValue::DateTime)
}

// ---------------------------------------------------------------------------------------------
// startof… / endof…, parts of a datetime
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Period {
    Day,
    Week,
    Month,
    Year,
}

/// The first tick of the period `offset` periods after the one holding `ticks`.
fn start_of(period: Period, ticks: i64, offset: i64) -> Option<i64> {
    let s = split(ticks)?;
    let days = match period {
        Period::Day => s.days.checked_add(offset)?,
        Period::Week => (s.days - weekday(s.days)).checked_add(offset.checked_mul(7)?)?,
        Period::Month => {
            let (year, month) = add_months(i64::from(s.date.year()), s.date.month(), offset)?;
            return midnight(year, month, 1);
        }
        Period::Year => return midnight(i64::from(s.date.year()).checked_add(offset)?, 1, 1),
    };
    days.checked_mul(TICKS_PER_DAY)
}

/// `startofday(date [, offset])` and its siblings (startofday-function.md, startofweek-…,
/// startofmonth-…, startofyear-…, endofday-…, endofweek-…, endofmonth-…, endofyear-function.md):
/// the first (or last) tick of the period holding `date`, shifted by `offset` periods. The end
/// is the tick before the next period's start (…23:59:59.9999999).
fn boundary(args: &[KqlValue], period: Period, end: bool) -> Result<KqlValue, String> {
    let Some(ticks) = args[0].as_datetime() else {
        return Ok(KqlValue::Null);
    };
    let offset = match args.get(1) {
        None => 0,
        Some(value) => match value.as_long() {
            Some(offset) => offset,
            None => return Ok(KqlValue::Null),
        },
    };
    let result = if end {
        offset
            .checked_add(1)
            .and_then(|next| start_of(period, ticks, next))
            .and_then(|start| start.checked_sub(1))
    } else {
        start_of(period, ticks, offset)
    };
    Ok(datetime_value(result))
}

/// `dayofweek(date)`: the days since the preceding Sunday, as a timespan
/// (day-of-week-function.md).
fn dayofweek(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(match args[0].as_datetime().and_then(split) {
        Some(s) => KqlValue::Timespan(weekday(s.days) * TICKS_PER_DAY),
        None => KqlValue::Null,
    })
}

/// One whole-number field of a datetime: dayofmonth, dayofyear, hourofday, monthofyear,
/// getmonth, getyear, week_of_year (their pages; week_of_year is the ISO 8601 week).
fn field(args: &[KqlValue], read: fn(&Split) -> i64) -> KqlValue {
    match args[0].as_datetime().and_then(split) {
        Some(s) => KqlValue::Long(read(&s)),
        None => KqlValue::Null,
    }
}

/// `datetime_part(part, date)` (datetime-part-function.md); part names are case-insensitive.
/// An unknown part (including the obsolete `weekofyear`, whose week rule the page does not
/// define precisely) is refused.
fn datetime_part(args: &[KqlValue]) -> Result<KqlValue, String> {
    let part = args[0].to_text().to_ascii_lowercase();
    let read: fn(&Split) -> i64 = match part.as_str() {
        "year" => |s| i64::from(s.date.year()),
        "quarter" => |s| i64::from((s.date.month() - 1) / 3 + 1),
        "month" => |s| i64::from(s.date.month()),
        "week_of_year" => |s| i64::from(s.date.iso_week().week()),
        "day" => |s| i64::from(s.date.day()),
        "dayofyear" => |s| i64::from(s.date.ordinal()),
        "hour" => |s| s.time / TICKS_PER_HOUR,
        "minute" => |s| s.time % TICKS_PER_HOUR / TICKS_PER_MINUTE,
        "second" => |s| s.time % TICKS_PER_MINUTE / TICKS_PER_SECOND,
        "millisecond" => |s| s.time % TICKS_PER_SECOND / TICKS_PER_MILLISECOND,
        "microsecond" => |s| s.time % TICKS_PER_SECOND / TICKS_PER_MICROSECOND,
        "nanosecond" => |s| s.time % TICKS_PER_SECOND * 100,
        _ => {
            return Err(format!(
                "unknown part '{}': expected year, quarter, month, week_of_year, day, \
                 dayofyear, hour, minute, second, millisecond, microsecond or nanosecond",
                args[0].to_text()
            ));
        }
    };
    Ok(field(&args[1..], read))
}

// ---------------------------------------------------------------------------------------------
// datetime_diff, datetime_add
// ---------------------------------------------------------------------------------------------

/// The periods of datetime_diff and datetime_add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

/// A period name, case-insensitive as the pages say; an unknown name is refused.
fn unit(value: &KqlValue, function: &str) -> Result<Unit, String> {
    let name = value.to_text();
    Ok(match name.to_ascii_lowercase().as_str() {
        "year" => Unit::Year,
        "quarter" => Unit::Quarter,
        "month" => Unit::Month,
        "week" => Unit::Week,
        "day" => Unit::Day,
        "hour" => Unit::Hour,
        "minute" => Unit::Minute,
        "second" => Unit::Second,
        "millisecond" => Unit::Millisecond,
        "microsecond" => Unit::Microsecond,
        "nanosecond" => Unit::Nanosecond,
        _ => {
            return Err(format!(
                "unknown period '{name}' for {function}(): expected year, quarter, month, week, \
                 day, hour, minute, second, millisecond, microsecond or nanosecond"
            ));
        }
    })
}

/// The ticks in one period of a fixed length (`None` for calendar periods and nanoseconds).
fn unit_ticks(unit: Unit) -> Option<i64> {
    match unit {
        Unit::Week => Some(7 * TICKS_PER_DAY),
        Unit::Day => Some(TICKS_PER_DAY),
        Unit::Hour => Some(TICKS_PER_HOUR),
        Unit::Minute => Some(TICKS_PER_MINUTE),
        Unit::Second => Some(TICKS_PER_SECOND),
        Unit::Millisecond => Some(TICKS_PER_MILLISECOND),
        Unit::Microsecond => Some(TICKS_PER_MICROSECOND),
        Unit::Year | Unit::Quarter | Unit::Month | Unit::Nanosecond => None,
    }
}

/// `datetime_diff(period, datetime1, datetime2)` (datetime-diff-function.md): the number of
/// period boundaries between the two (datetime1 − datetime2), not of whole periods elapsed —
/// 2017-01-01 and 2000-12-31 are 17 years apart. Weeks start on Sunday.
fn datetime_diff(args: &[KqlValue]) -> Result<KqlValue, String> {
    let unit = unit(&args[0], "datetime_diff")?;
    let (Some(a), Some(b)) = (
        args[1].as_datetime().and_then(split),
        args[2].as_datetime().and_then(split),
    ) else {
        return Ok(KqlValue::Null);
    };
    let months = |s: &Split| i64::from(s.date.year()) * 12 + i64::from(s.date.month()) - 1;
    let diff = match unit {
        Unit::Year => Some(i64::from(a.date.year()) - i64::from(b.date.year())),
        Unit::Quarter => Some(months(&a).div_euclid(3) - months(&b).div_euclid(3)),
        Unit::Month => Some(months(&a) - months(&b)),
        Unit::Week => Some((a.days + 1).div_euclid(7) - (b.days + 1).div_euclid(7)),
        Unit::Nanosecond => (a.ticks - b.ticks).checked_mul(100),
        _ => unit_ticks(unit).map(|size| a.ticks / size - b.ticks / size),
    };
    Ok(diff.map_or(KqlValue::Null, KqlValue::Long))
}

/// The datetime `months` calendar months after `ticks`, the day clamped to the month's last.
fn add_calendar_months(ticks: i64, months: i64) -> Option<i64> {
    let s = split(ticks)?;
    let (year, month) = add_months(i64::from(s.date.year()), s.date.month(), months)?;
    let day = s.date.day().min(days_in_month(year, month));
    midnight(year, month, day)?.checked_add(s.time)
}

/// `datetime_add(period, amount, datetime)` (datetime-add-function.md): calendar periods keep
/// the day of the month where it exists (January 31 + 1 month is February 28 or 29).
fn datetime_add(args: &[KqlValue]) -> Result<KqlValue, String> {
    let unit = unit(&args[0], "datetime_add")?;
    let (Some(amount), Some(ticks)) = (args[1].as_long(), args[2].as_datetime()) else {
        return Ok(KqlValue::Null);
    };
    let result = match unit {
        Unit::Year => amount
            .checked_mul(12)
            .and_then(|m| add_calendar_months(ticks, m)),
        Unit::Quarter => amount
            .checked_mul(3)
            .and_then(|m| add_calendar_months(ticks, m)),
        Unit::Month => add_calendar_months(ticks, amount),
        // A tick is 100 ns; finer amounts are dropped.
        Unit::Nanosecond => ticks.checked_add(amount / 100),
        _ => unit_ticks(unit)
            .and_then(|size| amount.checked_mul(size))
            .and_then(|span| ticks.checked_add(span)),
    };
    Ok(datetime_value(result))
}

// ---------------------------------------------------------------------------------------------
// format_datetime, format_timespan
// ---------------------------------------------------------------------------------------------

/// The delimiters both format pages list.
fn is_delimiter(c: char) -> bool {
    matches!(c, ' ' | '/' | '-' | ':' | ',' | '.' | '_' | '[' | ']')
}

/// The first `digits` of the seven fraction digits (`f`…`fffffff`).
fn fraction_digits(fraction: i64, digits: usize) -> String {
    let mut text = format!("{fraction:07}");
    text.truncate(digits);
    text
}

/// `format_datetime(date, format)` (format-datetime-function.md). Only the elements and
/// delimiters the page lists are supported; a format with anything else gives "" rather than
/// a guess. As in .NET's formatting, an all-zero `F…` element also drops a `.` before it.
fn format_datetime(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0]
        .as_datetime()
        .and_then(|ticks| format_datetime_text(ticks, &args[1].to_text()));
    Ok(KqlValue::String(text.unwrap_or_default()))
}

fn format_datetime_text(ticks: i64, format: &str) -> Option<String> {
    let s = split(ticks)?;
    let hour = s.time / TICKS_PER_HOUR;
    let minute = s.time % TICKS_PER_HOUR / TICKS_PER_MINUTE;
    let second = s.time % TICKS_PER_MINUTE / TICKS_PER_SECOND;
    let fraction = s.time % TICKS_PER_SECOND;
    let year = s.date.year();
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let mut out = String::with_capacity(format.len() * 2);
    let chars: Vec<char> = format.chars().collect();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let run = chars[at..].iter().take_while(|&&x| x == c).count();
        at += run;
        match (c, run) {
            ('d', 1) => out.push_str(&s.date.day().to_string()),
            ('d', 2) => out.push_str(&format!("{:02}", s.date.day())),
            ('M', 1) => out.push_str(&s.date.month().to_string()),
            ('M', 2) => out.push_str(&format!("{:02}", s.date.month())),
            ('y', 1) => out.push_str(&(year % 100).to_string()),
            ('y', 2) => out.push_str(&format!("{:02}", year % 100)),
            ('y', 4) => out.push_str(&format!("{year:04}")),
            ('h', 1) => out.push_str(&hour12.to_string()),
            ('h', 2) => out.push_str(&format!("{hour12:02}")),
            ('H', 1) => out.push_str(&hour.to_string()),
            ('H', 2) => out.push_str(&format!("{hour:02}")),
            ('m', 1) => out.push_str(&minute.to_string()),
            ('m', 2) => out.push_str(&format!("{minute:02}")),
            ('s', 1) => out.push_str(&second.to_string()),
            ('s', 2) => out.push_str(&format!("{second:02}")),
            ('f', 1..=7) => out.push_str(&fraction_digits(fraction, run)),
            ('F', 1..=7) => {
                let digits = fraction_digits(fraction, run);
                let digits = digits.trim_end_matches('0');
                if digits.is_empty() {
                    if out.ends_with('.') {
                        out.pop();
                    }
                } else {
                    out.push_str(digits);
                }
            }
            ('t', 2) => out.push_str(if hour < 12 { "AM" } else { "PM" }),
            _ if is_delimiter(c) => out.extend(std::iter::repeat_n(c, run)),
            _ => return None,
        }
    }
    Some(out)
}

/// `format_timespan(timespan, format)` (format-timespan-function.md): `d`…`dddddddd` whole
/// days (zero-padded), `h`/`H`/`hh`/`HH` hours, `m`/`mm`, `s`/`ss`, `f…`/`F…` fractions, and
/// the listed delimiters. Anything else, or a negative timespan (whose form the page does not
/// give), gives "".
fn format_timespan(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0]
        .as_timespan()
        .and_then(|ticks| format_timespan_text(ticks, &args[1].to_text()));
    Ok(KqlValue::String(text.unwrap_or_default()))
}

fn format_timespan_text(ticks: i64, format: &str) -> Option<String> {
    if ticks < 0 {
        return None;
    }
    let days = ticks / TICKS_PER_DAY;
    let hours = ticks % TICKS_PER_DAY / TICKS_PER_HOUR;
    let minutes = ticks % TICKS_PER_HOUR / TICKS_PER_MINUTE;
    let seconds = ticks % TICKS_PER_MINUTE / TICKS_PER_SECOND;
    let fraction = ticks % TICKS_PER_SECOND;
    let mut out = String::with_capacity(format.len() * 2);
    let chars: Vec<char> = format.chars().collect();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let run = chars[at..].iter().take_while(|&&x| x == c).count();
        at += run;
        match (c, run) {
            ('d', 1..=8) => out.push_str(&format!("{days:0run$}")),
            ('h' | 'H', 1) => out.push_str(&hours.to_string()),
            ('h' | 'H', 2) => out.push_str(&format!("{hours:02}")),
            ('m', 1) => out.push_str(&minutes.to_string()),
            ('m', 2) => out.push_str(&format!("{minutes:02}")),
            ('s', 1) => out.push_str(&seconds.to_string()),
            ('s', 2) => out.push_str(&format!("{seconds:02}")),
            ('f', 1..=7) => out.push_str(&fraction_digits(fraction, run)),
            ('F', 1..=7) => {
                out.push_str(fraction_digits(fraction, run).trim_end_matches('0'));
            }
            _ if is_delimiter(c) => out.extend(std::iter::repeat_n(c, run)),
            _ => return None,
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// make_datetime, make_timespan, unixtime_*_todatetime
// ---------------------------------------------------------------------------------------------

/// Seconds (0 to 59.9999999) as ticks, rounded to the nearest tick; `None` outside the range.
fn second_ticks(value: &KqlValue) -> Option<i64> {
    let seconds = value.as_real()?;
    if !(0.0..60.0).contains(&seconds) {
        return None;
    }
    // In range, so the cast is exact and small.
    let ticks = (seconds * TICKS_PER_SECOND as f64).round() as i64;
    (ticks < TICKS_PER_MINUTE).then_some(ticks)
}

/// An integer argument in `range`; `None` when missing, null or outside it.
fn int_in(args: &[KqlValue], index: usize, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    let value = match args.get(index)? {
        KqlValue::Real(f) if f.fract() != 0.0 => return None,
        value => value.as_long()?,
    };
    range.contains(&value).then_some(value)
}

/// `make_datetime(year, month, day [, hour, minute [, second]])` (make-datetime-function.md):
/// null when a field is out of its range (month 13, February 30, hour 24, second 60).
fn make_datetime(args: &[KqlValue]) -> Result<KqlValue, String> {
    let build = || -> Option<i64> {
        let year = int_in(args, 0, 1..=9999)?;
        let month = u32::try_from(int_in(args, 1, 1..=12)?).ok()?;
        let day = u32::try_from(int_in(args, 2, 1..=31)?).ok()?;
        let hour = if args.len() > 3 {
            int_in(args, 3, 0..=23)?
        } else {
            0
        };
        let minute = if args.len() > 4 {
            int_in(args, 4, 0..=59)?
        } else {
            0
        };
        let second = match args.get(5) {
            Some(value) => second_ticks(value)?,
            None => 0,
        };
        let date = midnight(year, month, day)?;
        Some(date + hour * TICKS_PER_HOUR + minute * TICKS_PER_MINUTE + second)
    };
    Ok(datetime_value(build()))
}

/// `make_timespan(hour, minute)`, `make_timespan(hour, minute, second)`,
/// `make_timespan(day, hour, minute, second)` (make-timespan-function.md): null when an hour,
/// minute or second is out of its documented range (0–23, 0–59, 0–59.9999999).
fn make_timespan(args: &[KqlValue]) -> Result<KqlValue, String> {
    let build = || -> Option<i64> {
        let (days, rest) = if args.len() == 4 {
            (int_in(args, 0, i64::MIN..=i64::MAX)?, &args[1..])
        } else {
            (0, args)
        };
        let hours = int_in(rest, 0, 0..=23)?;
        let minutes = int_in(rest, 1, 0..=59)?;
        let seconds = match rest.get(2) {
            Some(value) => second_ticks(value)?,
            None => 0,
        };
        days.checked_mul(TICKS_PER_DAY)?
            .checked_add(hours * TICKS_PER_HOUR + minutes * TICKS_PER_MINUTE + seconds)
    };
    Ok(build().map_or(KqlValue::Null, KqlValue::Timespan))
}

#[derive(Debug, Clone, Copy)]
enum Unix {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

/// `unixtime_seconds_todatetime(n)` and the milli-, micro- and nanosecond forms
/// (unixtime-seconds-todatetime-function.md and siblings): whole numbers exactly, reals rounded
/// to the nearest tick; null outside the years 1 to 9999.
fn from_unix(value: &KqlValue, unit: Unix) -> KqlValue {
    let ticks = match value {
        KqlValue::Real(f) => {
            let per_unit = match unit {
                Unix::Seconds => 1e7,
                Unix::Milliseconds => 1e4,
                Unix::Microseconds => 10.0,
                Unix::Nanoseconds => 0.01,
            };
            let offset = (f * per_unit).round();
            // Anything beyond ±4e18 ticks is far outside the datetime range anyway.
            (offset.abs() < 4e18)
                .then_some(offset as i64)
                .and_then(|offset| UNIX_EPOCH_TICKS.checked_add(offset))
        }
        value => value
            .as_long()
            .and_then(|n| match unit {
                Unix::Seconds => n.checked_mul(TICKS_PER_SECOND),
                Unix::Milliseconds => n.checked_mul(TICKS_PER_MILLISECOND),
                Unix::Microseconds => n.checked_mul(TICKS_PER_MICROSECOND),
                Unix::Nanoseconds => Some(n.div_euclid(100)),
            })
            .and_then(|offset| UNIX_EPOCH_TICKS.checked_add(offset)),
    };
    datetime_value(ticks)
}

// ---------------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------------

/// An IANA time zone name (timezone.md), exactly as written; `None` for anything else.
fn zone(value: &KqlValue) -> Option<Tz> {
    value.as_str()?.parse().ok()
}

/// The zone's offset from UTC at the UTC instant `utc`, in seconds.
fn offset_at(tz: Tz, utc: &NaiveDateTime) -> i64 {
    i64::from(tz.offset_from_utc_datetime(utc).fix().local_minus_utc())
}

/// `datetime_utc_to_local(from, timezone)` (datetime-utc-to-local-function.md); an unknown
/// zone gives null.
fn utc_to_local(args: &[KqlValue]) -> Result<KqlValue, String> {
    let convert = || -> Option<i64> {
        let ticks = args[0].as_datetime()?;
        let tz = zone(&args[1])?;
        let utc = time::to_chrono(ticks)?.naive_utc();
        ticks.checked_add(offset_at(tz, &utc).checked_mul(TICKS_PER_SECOND)?)
    };
    Ok(datetime_value(convert()))
}

/// `datetime_local_to_utc(from, timezone)` (datetime-local-to-utc-function.md). A local time
/// skipped by a DST change takes the offset after the change (as the page's Europe/Brussels
/// example shows: local 02:00 on 2022-03-27 is 00:00 UTC); a repeated one is read as standard
/// time (the smaller offset), as .NET reads it.
fn local_to_utc(args: &[KqlValue]) -> Result<KqlValue, String> {
    let convert = || -> Option<i64> {
        let ticks = args[0].as_datetime()?;
        let tz = zone(&args[1])?;
        let local = time::to_chrono(ticks)?.naive_utc();
        let offset = match tz.offset_from_local_datetime(&local) {
            LocalResult::Single(offset) => i64::from(offset.fix().local_minus_utc()),
            LocalResult::Ambiguous(a, b) => {
                i64::from(a.fix().local_minus_utc().min(b.fix().local_minus_utc()))
            }
            LocalResult::None => {
                // The offset in force a day earlier puts the instant after the change.
                let before = offset_at(tz, &local.checked_sub_signed(TimeDelta::days(1))?);
                offset_at(tz, &local.checked_sub_signed(TimeDelta::seconds(before))?)
            }
        };
        ticks.checked_sub(offset.checked_mul(TICKS_PER_SECOND)?)
    };
    Ok(datetime_value(convert()))
}

// ---------------------------------------------------------------------------------------------
// bin_at
// ---------------------------------------------------------------------------------------------

/// `fixed + floor((value - fixed) / size) * size` in exact integer arithmetic; `None` for a
/// size that is not positive or a result outside `i64`.
fn bin_ticks(value: i64, size: i64, fixed: i64) -> Option<i64> {
    if size <= 0 {
        return None;
    }
    let (value, size, fixed) = (i128::from(value), i128::from(size), i128::from(fixed));
    i64::try_from(fixed + (value - fixed).div_euclid(size) * size).ok()
}

/// `bin_at(value, bin_size, fixed_point)` (bin-at-function.md): the bin of `value` among bins
/// of `bin_size` aligned to `fixed_point`. Datetimes and timespans take a timespan size and a
/// fixed point of the value's type; numbers take numbers. A size that is not positive gives
/// null (as bin() does); other kinds are refused, as Kusto refuses them.
fn bin_at(args: &[KqlValue]) -> Result<KqlValue, String> {
    use KqlValue as V;
    Ok(match (&args[0], &args[1], &args[2]) {
        (V::Null, _, _) | (_, V::Null, _) | (_, _, V::Null) => V::Null,
        (V::DateTime(value), V::Timespan(size), V::DateTime(fixed)) => {
            datetime_value(bin_ticks(*value, *size, *fixed))
        }
        (V::Timespan(value), V::Timespan(size), V::Timespan(fixed)) => {
            bin_ticks(*value, *size, *fixed).map_or(V::Null, V::Timespan)
        }
        (V::Long(value), V::Long(size), V::Long(fixed)) => {
            bin_ticks(*value, *size, *fixed).map_or(V::Null, V::Long)
        }
        (value @ (V::Long(_) | V::Real(_)), V::Long(_) | V::Real(_), V::Long(_) | V::Real(_)) => {
            let (Some(v), Some(size), Some(fixed)) =
                (value.as_real(), args[1].as_real(), args[2].as_real())
            else {
                return Ok(V::Null);
            };
            if size.is_nan() || size <= 0.0 {
                return Ok(V::Null);
            }
            let bin = fixed + ((v - fixed) / size).floor() * size;
            match value {
                // A whole-number value keeps its type: the bin's floor.
                V::Long(_) => {
                    let bin = bin.floor();
                    if bin.is_finite() && bin.abs() < 9.2e18 {
                        V::Long(bin as i64)
                    } else {
                        V::Null
                    }
                }
                _ => V::Real(bin),
            }
        }
        _ => {
            return Err(
                "bin_at() takes a number with a number size and fixed point, or a datetime or \
                 timespan with a timespan size and a fixed point of the same type"
                    .to_string(),
            );
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;

    fn dt(text: &str) -> KqlValue {
        KqlValue::DateTime(time::parse_datetime(text).expect("a datetime"))
    }

    fn ts(text: &str) -> KqlValue {
        KqlValue::Timespan(time::parse_timespan(text).expect("a timespan"))
    }

    fn n(value: i64) -> KqlValue {
        KqlValue::Long(value)
    }

    /// `name(date, offset)` for offsets -1, 0, 1, as the pages' `range offset` examples run.
    fn offsets(name: &str, date: &str) -> Vec<KqlValue> {
        (-1..=1).map(|o| call(name, &[dt(date), n(o)])).collect()
    }

    #[test]
    fn start_of_pages() {
        let date = "2017-01-01 10:10:17";
        assert_eq!(
            offsets("startofday", date),
            [dt("2016-12-31"), dt("2017-01-01"), dt("2017-01-02")]
        );
        assert_eq!(
            offsets("startofweek", date),
            [dt("2016-12-25"), dt("2017-01-01"), dt("2017-01-08")]
        );
        assert_eq!(
            offsets("startofmonth", date),
            [dt("2016-12-01"), dt("2017-01-01"), dt("2017-02-01")]
        );
        assert_eq!(
            offsets("startofyear", date),
            [dt("2016-01-01"), dt("2017-01-01"), dt("2018-01-01")]
        );
        assert_eq!(call("startofday", &[dt(date)]), dt("2017-01-01"));
        // startofweek page: a week from Monday, through datetime_add.
        for (date, monday) in [
            ("2025-06-14", "2025-06-09"),
            ("2025-06-15", "2025-06-09"),
            ("2025-06-16", "2025-06-16"),
            ("2025-06-17", "2025-06-16"),
        ] {
            let before = call("datetime_add", &[s("day"), n(-1), dt(date)]);
            let week = call("startofweek", &[before]);
            assert_eq!(call("datetime_add", &[s("day"), n(1), week]), dt(monday));
        }
    }

    #[test]
    fn end_of_pages() {
        let date = "2017-01-01 10:10:17";
        let end = |d: &str| dt(&format!("{d} 23:59:59.9999999"));
        assert_eq!(
            offsets("endofday", date),
            [end("2016-12-31"), end("2017-01-01"), end("2017-01-02")]
        );
        assert_eq!(
            offsets("endofweek", date),
            [end("2016-12-31"), end("2017-01-07"), end("2017-01-14")]
        );
        assert_eq!(
            offsets("endofmonth", date),
            [end("2016-12-31"), end("2017-01-31"), end("2017-02-28")]
        );
        assert_eq!(
            offsets("endofyear", date),
            [end("2016-12-31"), end("2017-12-31"), end("2018-12-31")]
        );
        // endofweek page: a week ending on Sunday.
        for (date, sunday) in [
            ("2025-06-14", "2025-06-15"),
            ("2025-06-15", "2025-06-15"),
            ("2025-06-16", "2025-06-22"),
            ("2025-06-17", "2025-06-22"),
        ] {
            let before = call("datetime_add", &[s("day"), n(-8), dt(date)]);
            let week = call("endofweek", &[before]);
            assert_eq!(call("datetime_add", &[s("day"), n(8), week]), end(sunday));
        }
        assert_eq!(call("endofmonth", &[dt("2024-02-10")]), end("2024-02-29"));
    }

    #[test]
    fn boundaries_at_the_edges() {
        // The last tick of 9999 exists; the start of 10000 does not.
        assert_eq!(
            call("endofyear", &[dt("9999-06-01")]),
            KqlValue::DateTime(time::MAX_DATETIME_TICKS)
        );
        assert_eq!(
            call("startofyear", &[dt("9999-06-01"), n(1)]),
            KqlValue::Null
        );
        // 0001-01-01 is a Monday: its week starts in year 0.
        assert_eq!(call("startofweek", &[dt("0001-01-01")]), KqlValue::Null);
        assert_eq!(
            call("startofday", &[dt("2017-01-01"), n(i64::MAX)]),
            KqlValue::Null
        );
        assert_eq!(
            call("endofmonth", &[dt("2017-01-01"), n(i64::MAX)]),
            KqlValue::Null
        );
        assert_eq!(
            call("startofmonth", &[dt("2017-01-01"), n(i64::MIN)]),
            KqlValue::Null
        );
        assert_eq!(
            call("endofweek", &[dt("2017-01-01"), n(i64::MIN)]),
            KqlValue::Null
        );
        assert_eq!(call("startofday", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(
            call("startofday", &[dt("2017-01-01"), KqlValue::Null]),
            KqlValue::Null
        );
    }

    #[test]
    fn parts_pages() {
        assert_eq!(
            call("dayofweek", &[dt("1947-11-30 10:00:05")]),
            ts("00:00:00")
        );
        assert_eq!(call("dayofweek", &[dt("1970-05-11")]), ts("1.00:00:00"));
        assert_eq!(call("dayofweek", &[dt("1970-5-12")]), ts("2.00:00:00"));
        assert_eq!(call("dayofweek", &[dt("2017-01-07")]), ts("6.00:00:00"));
        assert_eq!(call("dayofmonth", &[dt("2015-12-14")]), n(14));
        assert_eq!(call("dayofyear", &[dt("2015-12-14")]), n(348));
        assert_eq!(call("hourofday", &[dt("2015-12-14 18:54")]), n(18));
        assert_eq!(call("monthofyear", &[dt("2015-12-14")]), n(12));
        assert_eq!(call("getmonth", &[dt("2015-10-12")]), n(10));
        assert_eq!(call("getyear", &[dt("2015-10-12")]), n(2015));
        assert_eq!(call("week_of_year", &[dt("2020-12-31")]), n(53));
        assert_eq!(call("week_of_year", &[dt("2020-06-15")]), n(25));
        assert_eq!(call("week_of_year", &[dt("1970-01-01")]), n(1));
        assert_eq!(call("week_of_year", &[dt("2000-01-01")]), n(52));
        for name in ["dayofweek", "dayofmonth", "getyear", "week_of_year"] {
            assert_eq!(call(name, &[KqlValue::Null]), KqlValue::Null, "{name}");
        }
    }

    #[test]
    fn datetime_part_page() {
        let date = dt("2017-10-30 01:02:03.7654321");
        let expected = [
            ("year", 2017),
            ("quarter", 4),
            ("month", 10),
            ("week_of_year", 44),
            ("day", 30),
            ("dayOfYear", 303),
            ("hour", 1),
            ("minute", 2),
            ("second", 3),
            ("millisecond", 765),
            ("microsecond", 765_432),
            ("nanosecond", 765_432_100),
        ];
        for (part, value) in expected {
            assert_eq!(
                call("datetime_part", &[s(part), date.clone()]),
                n(value),
                "{part}"
            );
        }
        assert_eq!(
            call("datetime_part", &[s("YEAR"), KqlValue::Null]),
            KqlValue::Null
        );
        let function = super::super::lookup("datetime_part").unwrap();
        assert!((function.eval)(&[s("weekofyear"), date.clone()]).is_err());
        assert!((function.eval)(&[s(""), date]).is_err());
    }

    #[test]
    fn datetime_diff_page() {
        let diff = |unit: &str, a: &str, b: &str| call("datetime_diff", &[s(unit), dt(a), dt(b)]);
        assert_eq!(diff("year", "2017-01-01", "2000-12-31"), n(17));
        assert_eq!(diff("quarter", "2017-07-01", "2017-03-30"), n(2));
        assert_eq!(diff("month", "2017-01-01", "2015-12-30"), n(13));
        assert_eq!(diff("week", "2017-10-29 00:00", "2017-09-30 23:59"), n(5));
        assert_eq!(diff("day", "2017-10-29 00:00", "2017-09-30 23:59"), n(29));
        assert_eq!(diff("hour", "2017-10-31 01:00", "2017-10-30 23:59"), n(2));
        assert_eq!(
            diff("minute", "2017-10-30 23:05:01", "2017-10-30 23:00:59"),
            n(5)
        );
        assert_eq!(
            diff(
                "second",
                "2017-10-30 23:00:10.100",
                "2017-10-30 23:00:00.900"
            ),
            n(10)
        );
        assert_eq!(
            diff(
                "millisecond",
                "2017-10-30 23:00:00.200100",
                "2017-10-30 23:00:00.100900"
            ),
            n(100)
        );
        assert_eq!(
            diff(
                "microsecond",
                "2017-10-30 23:00:00.1009001",
                "2017-10-30 23:00:00.1008009"
            ),
            n(100)
        );
        assert_eq!(
            diff(
                "nanosecond",
                "2017-10-30 23:00:00.0000000",
                "2017-10-30 23:00:00.0000007"
            ),
            n(-700)
        );
        // Boundaries crossed, with the sign of datetime1 - datetime2.
        assert_eq!(diff("Year", "2000-12-31", "2017-01-01"), n(-17));
        assert_eq!(diff("day", "2017-01-01 23:59", "2017-01-01 00:00"), n(0));
        assert_eq!(diff("week", "2017-01-07", "2017-01-01"), n(0));
        assert_eq!(diff("week", "2017-01-08", "2017-01-07"), n(1));
        // The whole range in nanoseconds does not fit a long.
        assert_eq!(
            diff("nanosecond", "9999-12-31", "0001-01-01"),
            KqlValue::Null
        );
        assert_eq!(
            call(
                "datetime_diff",
                &[s("day"), KqlValue::Null, dt("2017-01-01")]
            ),
            KqlValue::Null
        );
        let function = super::super::lookup("datetime_diff").unwrap();
        let args = [s("days"), dt("2017-01-02"), dt("2017-01-01")];
        assert!((function.eval)(&args).is_err());
    }

    #[test]
    fn datetime_add_page() {
        let start = || call("make_datetime", &[n(2017), n(1), n(1)]);
        let add = |unit: &str, amount: i64| call("datetime_add", &[s(unit), n(amount), start()]);
        assert_eq!(add("year", 1), dt("2018-01-01"));
        assert_eq!(add("quarter", 1), dt("2017-04-01"));
        assert_eq!(add("month", 1), dt("2017-02-01"));
        assert_eq!(add("week", 1), dt("2017-01-08"));
        assert_eq!(add("day", 1), dt("2017-01-02"));
        assert_eq!(add("hour", 1), dt("2017-01-01 01:00"));
        assert_eq!(add("minute", 1), dt("2017-01-01 00:01"));
        assert_eq!(add("second", 1), dt("2017-01-01 00:00:01"));
        assert_eq!(add("year", -5), dt("2012-01-01"));
        assert_eq!(add("quarter", 12), dt("2020-01-01"));
        assert_eq!(add("month", -15), dt("2015-10-01"));
        assert_eq!(add("week", 100), dt("2018-12-02"));
        assert_eq!(add("millisecond", 1), dt("2017-01-01 00:00:00.001"));
        assert_eq!(add("microsecond", 1), dt("2017-01-01 00:00:00.000001"));
        assert_eq!(add("nanosecond", 250), dt("2017-01-01 00:00:00.0000002"));
        // The day of the month is kept where it exists.
        let jan31 = dt("2016-01-31 10:00");
        assert_eq!(
            call("datetime_add", &[s("Month"), n(1), jan31.clone()]),
            dt("2016-02-29 10:00")
        );
        assert_eq!(
            call("datetime_add", &[s("year"), n(1), dt("2016-02-29")]),
            dt("2017-02-28")
        );
        assert_eq!(add("year", 8000), KqlValue::Null);
        assert_eq!(add("month", i64::MAX), KqlValue::Null);
        assert_eq!(add("day", i64::MIN), KqlValue::Null);
        assert_eq!(
            call("datetime_add", &[s("day"), KqlValue::Null, jan31]),
            KqlValue::Null
        );
    }

    #[test]
    fn format_datetime_page() {
        let date = dt("2017-01-29 09:00:05");
        let format = |f: &str| call("format_datetime", &[date.clone(), s(f)]);
        assert_eq!(format("yy-MM-dd [HH:mm:ss]"), s("17-01-29 [09:00:05]"));
        assert_eq!(format("yyyy-M-dd [H:mm:ss]"), s("2017-1-29 [9:00:05]"));
        assert_eq!(
            format("yy-MM-dd [hh:mm:ss tt]"),
            s("17-01-29 [09:00:05 AM]")
        );
        // The page's earlier example.
        assert_eq!(
            call(
                "format_datetime",
                &[dt("2015-12-14 02:03:04.12345"), s("y-M-d h:m:s.fffffff")]
            ),
            s("15-12-14 2:3:4.1234500")
        );
        // The table's examples.
        let one = |date: &str, f: &str| call("format_datetime", &[dt(date), s(f)]);
        assert_eq!(one("2009-06-01T13:45:30", "d"), s("1"));
        assert_eq!(one("2009-06-01T13:45:30", "dd"), s("01"));
        assert_eq!(one("2009-06-15T13:45:30.6170000", "f"), s("6"));
        assert_eq!(one("2009-06-15T13:45:30.05", "f"), s("0"));
        assert_eq!(one("2009-06-15T13:45:30.0050000", "ff"), s("00"));
        assert_eq!(one("2009-06-15T13:45:30.617", "fff"), s("617"));
        assert_eq!(one("2009-06-15T13:45:30.6175000", "ffff"), s("6175"));
        assert_eq!(one("2009-06-15T13:45:30.6175400", "fffff"), s("61754"));
        assert_eq!(one("2009-06-15T13:45:30.6175420", "ffffff"), s("617542"));
        assert_eq!(one("2009-06-15T13:45:30.0001150", "fffffff"), s("0001150"));
        assert_eq!(one("2009-06-15T13:45:30.6170000", "F"), s("6"));
        assert_eq!(one("2009-06-15T13:45:30.0500000", "F"), s(""));
        assert_eq!(one("2009-06-15T13:45:30.6170000", "FF"), s("61"));
        assert_eq!(one("2009-06-15T13:45:30.0005000", "FFF"), s(""));
        assert_eq!(one("2009-06-15T13:45:30.5275000", "FFFF"), s("5275"));
        assert_eq!(one("2009-06-15T13:45:30.0000050", "FFFFF"), s(""));
        assert_eq!(one("2009-06-15T13:45:30.0000005", "FFFFFF"), s(""));
        assert_eq!(one("2009-06-15T13:45:30.0001150", "FFFFFFF"), s("000115"));
        assert_eq!(one("2009-06-15T01:45:30", "h"), s("1"));
        assert_eq!(one("2009-06-15T13:45:30", "hh"), s("01"));
        assert_eq!(one("2009-06-15T00:45:30", "hh tt"), s("12 AM"));
        assert_eq!(one("2009-06-15T13:45:30", "H"), s("13"));
        assert_eq!(one("2009-06-15T01:45:30", "HH"), s("01"));
        assert_eq!(one("2009-06-15T01:09:30", "m"), s("9"));
        assert_eq!(one("2009-06-15T01:09:30", "mm"), s("09"));
        assert_eq!(one("2009-06-15T13:45:30", "M"), s("6"));
        assert_eq!(one("2009-06-15T13:45:30", "MM"), s("06"));
        assert_eq!(one("2009-06-15T13:45:09", "s"), s("9"));
        assert_eq!(one("2009-06-15T13:45:09", "ss"), s("09"));
        assert_eq!(one("0001-01-01T00:00:00", "y"), s("1"));
        assert_eq!(one("1900-01-01T00:00:00", "y"), s("0"));
        assert_eq!(one("2019-06-15T13:45:30", "y"), s("19"));
        assert_eq!(one("0001-01-01T00:00:00", "yy"), s("01"));
        assert_eq!(one("0900-01-01T00:00:00", "yyyy"), s("0900"));
        assert_eq!(one("2009-06-15T13:45:09", "tt"), s("PM"));
        // An all-zero F element takes its '.' with it.
        assert_eq!(one("2009-06-15T13:45:09", "HH:mm:ss.FFF"), s("13:45:09"));
        assert_eq!(
            one("2009-06-15T13:45:09.5", "HH:mm:ss.FFF"),
            s("13:45:09.5")
        );
        assert_eq!(one("2009-06-15T13:45:09", "_/,"), s("_/,"));
    }

    #[test]
    fn format_datetime_refuses_what_the_page_does_not_list() {
        let one = |f: &str| call("format_datetime", &[dt("2009-06-15T13:45:30"), s(f)]);
        for format in [
            "yyyy-MM-ddTHH:mm:ss",
            "MMM",
            "ddd",
            "yyy",
            "t",
            "fffffffff",
            "'x'",
            "Z",
        ] {
            assert_eq!(one(format), s(""), "{format}");
        }
        assert_eq!(one(""), s(""));
        assert_eq!(call("format_datetime", &[KqlValue::Null, s("yyyy")]), s(""));
    }

    #[test]
    fn format_timespan_page() {
        let span = ts("29.09:00:05.12345");
        let format = |f: &str| call("format_timespan", &[span.clone(), s(f)]);
        assert_eq!(format("dd.hh:mm:ss:FF"), s("29.09:00:05:12"));
        assert_eq!(format("ddd.h:mm:ss [fffffff]"), s("029.9:00:05 [1234500]"));
        let one = |t: &str, f: &str| call("format_timespan", &[ts(t), s(f)]);
        assert_eq!(one("15.13:45:30", "d"), s("15"));
        assert_eq!(one("15.13:45:30", "ddd"), s("015"));
        assert_eq!(one("15.13:45:30", "dddddddd"), s("00000015"));
        assert_eq!(one("15.13:45:30.05", "f"), s("0"));
        assert_eq!(one("15.13:45:30.0050000", "ff"), s("00"));
        assert_eq!(one("15.13:45:30.0001150", "fffffff"), s("0001150"));
        assert_eq!(one("15.13:45:30.0500000", "F"), s(""));
        assert_eq!(one("15.13:45:30.0001150", "FFFFFFF"), s("000115"));
        assert_eq!(one("15.01:45:30", "H"), s("1"));
        assert_eq!(one("15.13:45:30", "HH"), s("13"));
        assert_eq!(one("15.01:09:30", "m"), s("9"));
        assert_eq!(one("15.01:09:30", "mm"), s("09"));
        assert_eq!(one("15.13:45:09", "s"), s("9"));
        assert_eq!(one("15.13:45:09", "ss"), s("09"));
        // Not on the page: refused rather than guessed.
        assert_eq!(one("-01:00:00", "hh:mm"), s(""));
        assert_eq!(one("01:00:00", "hh:mm tt"), s(""));
        assert_eq!(one("01:00:00", "ddddddddd"), s(""));
        assert_eq!(call("format_timespan", &[KqlValue::Null, s("hh")]), s(""));
        assert_eq!(
            call(
                "format_timespan",
                &[KqlValue::Timespan(i64::MAX), s("dddddddd.hh")]
            ),
            s("10675199.02")
        );
    }

    #[test]
    fn make_datetime_page() {
        assert_eq!(
            call("make_datetime", &[n(2017), n(10), n(1)]),
            dt("2017-10-01")
        );
        assert_eq!(
            call("make_datetime", &[n(2017), n(10), n(1), n(12), n(10)]),
            dt("2017-10-01 12:10")
        );
        assert_eq!(
            call(
                "make_datetime",
                &[
                    n(2017),
                    n(10),
                    n(1),
                    n(12),
                    n(11),
                    KqlValue::Real(0.1234567)
                ]
            ),
            dt("2017-10-01 12:11:00.1234567")
        );
        assert_eq!(
            call(
                "make_datetime",
                &[n(2017), n(10), n(1), n(12), n(11), n(59)]
            ),
            dt("2017-10-01 12:11:59")
        );
        for bad in [
            [n(2017), n(2), n(29)],
            [n(2017), n(13), n(1)],
            [n(2017), n(0), n(1)],
            [n(0), n(1), n(1)],
            [n(10000), n(1), n(1)],
            [n(2017), n(1), KqlValue::Null],
            [n(i64::MAX), n(1), n(1)],
        ] {
            assert_eq!(call("make_datetime", &bad), KqlValue::Null, "{bad:?}");
        }
        let date = |h: i64, m: i64, sec: f64| {
            call(
                "make_datetime",
                &[n(2017), n(1), n(1), n(h), n(m), KqlValue::Real(sec)],
            )
        };
        assert_eq!(date(24, 0, 0.0), KqlValue::Null);
        assert_eq!(date(0, 60, 0.0), KqlValue::Null);
        assert_eq!(date(0, 0, 60.0), KqlValue::Null);
        assert_eq!(date(0, 0, -1.0), KqlValue::Null);
        assert_eq!(date(0, 0, f64::NAN), KqlValue::Null);
        assert_eq!(date(23, 59, 59.9999999), dt("2017-01-01 23:59:59.9999999"));
    }

    #[test]
    fn make_timespan_page() {
        assert_eq!(
            call(
                "make_timespan",
                &[n(1), n(12), n(30), KqlValue::Real(55.123)]
            ),
            ts("1.12:30:55.1230000")
        );
        assert_eq!(call("make_timespan", &[n(12), n(30)]), ts("12:30:00"));
        assert_eq!(
            call("make_timespan", &[n(12), n(30), KqlValue::Real(1.5)]),
            ts("12:30:01.5")
        );
        assert_eq!(call("make_timespan", &[n(24), n(0)]), KqlValue::Null);
        assert_eq!(call("make_timespan", &[n(1), n(60)]), KqlValue::Null);
        assert_eq!(
            call("make_timespan", &[n(1), n(1), n(1), KqlValue::Real(60.0)]),
            KqlValue::Null
        );
        assert_eq!(
            call("make_timespan", &[n(1), n(1), KqlValue::Real(1.5), n(0)]),
            KqlValue::Null
        );
        assert_eq!(
            call("make_timespan", &[n(i64::MAX), n(0), n(0), n(0)]),
            KqlValue::Null
        );
        assert_eq!(
            call("make_timespan", &[KqlValue::Null, n(0)]),
            KqlValue::Null
        );
    }

    #[test]
    fn unixtime_pages() {
        let new_year = dt("2019-01-01");
        assert_eq!(
            call("unixtime_seconds_todatetime", &[n(1_546_300_800)]),
            new_year
        );
        assert_eq!(
            call("unixtime_milliseconds_todatetime", &[n(1_546_300_800_000)]),
            new_year
        );
        assert_eq!(
            call(
                "unixtime_microseconds_todatetime",
                &[n(1_546_300_800_000_000)]
            ),
            new_year
        );
        assert_eq!(
            call(
                "unixtime_nanoseconds_todatetime",
                &[n(1_546_300_800_000_000_000)]
            ),
            new_year
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[KqlValue::Real(1.5)]),
            dt("1970-01-01 00:00:01.5")
        );
        assert_eq!(
            call("unixtime_milliseconds_todatetime", &[KqlValue::Real(-1.25)]),
            dt("1969-12-31 23:59:59.99875")
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[n(-62_135_596_800)]),
            dt("0001-01-01")
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[n(-62_135_596_801)]),
            KqlValue::Null
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[n(i64::MAX)]),
            KqlValue::Null
        );
        assert_eq!(
            call(
                "unixtime_seconds_todatetime",
                &[KqlValue::Real(f64::INFINITY)]
            ),
            KqlValue::Null
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[KqlValue::Real(1e300)]),
            KqlValue::Null
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[KqlValue::Null]),
            KqlValue::Null
        );
    }

    #[test]
    fn time_zone_pages() {
        let to_utc = |local: &str, tz: &str| call("datetime_local_to_utc", &[dt(local), s(tz)]);
        let to_local = |utc: &str, tz: &str| call("datetime_utc_to_local", &[dt(utc), s(tz)]);
        let local = "2020-02-02 20:02:20";
        assert_eq!(to_utc(local, "Europe/Paris"), dt("2020-02-02 19:02:20"));
        assert_eq!(to_utc(local, "America/Chicago"), dt("2020-02-03 02:02:20"));
        assert_eq!(to_utc(local, "US/Pacific"), dt("2020-02-03 04:02:20"));
        // The DST example: 02:00 does not exist in Brussels that night.
        for (local, utc, back) in [
            ("2022-03-27 02:00", "2022-03-27 00:00", "2022-03-27 01:00"),
            ("2022-03-27 01:00", "2022-03-27 00:00", "2022-03-27 01:00"),
            ("2022-03-27 03:00", "2022-03-27 01:00", "2022-03-27 03:00"),
            ("2022-03-27 04:00", "2022-03-27 02:00", "2022-03-27 04:00"),
        ] {
            assert_eq!(to_utc(local, "Europe/Brussels"), dt(utc), "{local}");
            assert_eq!(to_local(utc, "Europe/Brussels"), dt(back), "{utc}");
        }
        // The utc_to_local example's offsets (July 2022): -7h and +10h.
        let now = "2022-07-11 22:18:48.4678620";
        assert_eq!(
            to_local(now, "US/Pacific"),
            dt("2022-07-11 15:18:48.4678620")
        );
        assert_eq!(
            to_local(now, "Australia/Canberra"),
            dt("2022-07-12 08:18:48.4678620")
        );
        // A repeated hour (end of DST) reads as standard time.
        assert_eq!(
            to_utc("2022-10-30 02:30", "Europe/Brussels"),
            dt("2022-10-30 01:30")
        );
        assert_eq!(to_utc(local, "Mars/Olympus"), KqlValue::Null);
        assert_eq!(to_utc(local, ""), KqlValue::Null);
        assert_eq!(to_local("9999-12-31 23:00", "Asia/Tokyo"), KqlValue::Null);
        assert_eq!(to_utc("0001-01-01 01:00", "Asia/Tokyo"), KqlValue::Null);
        assert_eq!(
            call("datetime_utc_to_local", &[KqlValue::Null, s("UTC")]),
            KqlValue::Null
        );
    }

    #[test]
    fn bin_at_page() {
        assert_eq!(
            call("bin_at", &[KqlValue::Real(6.5), KqlValue::Real(2.5), n(7)]),
            KqlValue::Real(4.5)
        );
        assert_eq!(
            call(
                "bin_at",
                &[ts("01:00:00"), ts("1.00:00:00"), ts("12:00:00")]
            ),
            ts("-12:00:00")
        );
        assert_eq!(
            call(
                "bin_at",
                &[
                    dt("2017-05-15 10:20"),
                    ts("1.00:00:00"),
                    dt("1970-01-01 12:00")
                ]
            ),
            dt("2017-05-14 12:00")
        );
        assert_eq!(
            call(
                "bin_at",
                &[dt("2017-05-17 10:20"), ts("7.00:00:00"), dt("2017-06-04")]
            ),
            dt("2017-05-14")
        );
        let fixed = dt("2018-02-24 15:14");
        for (date, bin) in [
            ("2018-02-24T15:14", "2018-02-24T15:14"),
            ("2018-02-24T15:24", "2018-02-24T15:14"),
            ("2018-02-23T16:14", "2018-02-23T15:14"),
            ("2018-02-23T17:29", "2018-02-23T15:14"),
            ("2018-02-26T15:14", "2018-02-26T15:14"),
        ] {
            assert_eq!(
                call("bin_at", &[dt(date), ts("1.00:00:00"), fixed.clone()]),
                dt(bin)
            );
        }
        assert_eq!(call("bin_at", &[n(7), n(5), n(1)]), n(6));
        assert_eq!(call("bin_at", &[n(-7), n(5), n(1)]), n(-9));
        assert_eq!(call("bin_at", &[n(7), KqlValue::Real(2.5), n(0)]), n(5));
        assert_eq!(call("bin_at", &[n(7), n(0), n(1)]), KqlValue::Null);
        assert_eq!(call("bin_at", &[n(7), n(-1), n(1)]), KqlValue::Null);
        assert_eq!(
            call("bin_at", &[n(i64::MIN), n(i64::MAX), n(i64::MAX)]),
            KqlValue::Null
        );
        assert_eq!(
            call(
                "bin_at",
                &[KqlValue::Real(1.0), KqlValue::Real(f64::NAN), n(0)]
            ),
            KqlValue::Null
        );
        assert_eq!(
            call(
                "bin_at",
                &[dt("2017-01-01"), ts("00:00:00"), dt("2017-01-01")]
            ),
            KqlValue::Null
        );
        assert_eq!(
            call(
                "bin_at",
                &[dt("0001-01-01"), ts("1.00:00:00"), dt("2017-01-01 12:00")]
            ),
            KqlValue::Null
        );
        assert_eq!(
            call("bin_at", &[KqlValue::Null, n(1), n(0)]),
            KqlValue::Null
        );
        let function = super::super::lookup("bin_at").unwrap();
        assert!((function.eval)(&[dt("2017-01-01"), n(1), dt("2017-01-01")]).is_err());
        assert!((function.eval)(&[s("x"), n(1), n(0)]).is_err());
        assert!((function.eval)(&[ts("01:00:00"), ts("01:00:00"), dt("2017-01-01")]).is_err());
    }
}
