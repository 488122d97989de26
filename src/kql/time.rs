//! KQL `datetime` and `timespan` values as ticks, and their text forms.
//!
//! KQL keeps a `datetime` as 100-nanosecond ticks since 0001-01-01T00:00:00 UTC (years 1 to 9999
//! of the Gregorian calendar, no leap seconds, like .NET's `DateTime`) and a `timespan` as a signed
//! `i64` count of ticks. The project holds both as `i64` ticks everywhere; this module is the one
//! place that converts between ticks and text, so `tostring()`, `strcat()`, the grid, CSV and JSON
//! never disagree. It also writes `real` values the way `tostring()` does, for the same reason.
//!
//! The accepted formats, ranges and units come from the KQL docs (MicrosoftDocs/dataexplorer-docs):
//! `data-explorer/kusto/query/scalar-data-types/datetime.md` and
//! `data-explorer/kusto/query/scalar-data-types/timespan.md`. Like the rest of `kql`, it knows
//! nothing of Arrow, HTTP or the terminal: it depends only on std and chrono.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Ticks (100 ns) in one microsecond.
pub const TICKS_PER_MICROSECOND: i64 = 10;
/// Ticks (100 ns) in one millisecond.
pub const TICKS_PER_MILLISECOND: i64 = 10_000;
/// Ticks (100 ns) in one second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;
/// Ticks (100 ns) in one minute.
pub const TICKS_PER_MINUTE: i64 = 600_000_000;
/// Ticks (100 ns) in one hour.
pub const TICKS_PER_HOUR: i64 = 36_000_000_000;
/// Ticks (100 ns) in one day (KQL days are always 24 hours: datetimes are UTC).
pub const TICKS_PER_DAY: i64 = 864_000_000_000;
/// 1970-01-01T00:00:00Z in ticks.
pub const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;
/// 0001-01-01T00:00:00Z, the smallest `datetime` (datetime.md: "January 1, 0001").
pub const MIN_DATETIME_TICKS: i64 = 0;
/// 9999-12-31T23:59:59.9999999Z, the largest `datetime` (datetime.md: "December 31, 9999").
pub const MAX_DATETIME_TICKS: i64 = 3_155_378_975_999_999_999;

const UNIX_EPOCH_SECONDS: i64 = UNIX_EPOCH_TICKS / TICKS_PER_SECOND;
const OUT_OF_RANGE: &str = "timespan out of range";
/// How much of a bad input an error message quotes; a whole pasted file helps nobody.
const QUOTE_LIMIT: usize = 64;

/// True when `ticks` is a `datetime` KQL can hold: from [`MIN_DATETIME_TICKS`] (0001-01-01) to
/// [`MAX_DATETIME_TICKS`] (9999-12-31T23:59:59.9999999), inclusive (datetime.md).
pub fn is_valid_datetime(ticks: i64) -> bool {
    (MIN_DATETIME_TICKS..=MAX_DATETIME_TICKS).contains(&ticks)
}

/// Unix nanoseconds → `datetime` ticks.
///
/// Uses floor division, so instants before 1970 land on the tick at or before them (-1 ns is
/// 1969-12-31T23:59:59.9999999Z). `None` when the result is outside years 1..9999 (it never is
/// for an `i64` of nanoseconds, but the check keeps the contract explicit).
pub fn ticks_from_unix_nanos(nanos: i64) -> Option<i64> {
    let ticks = nanos.div_euclid(100).checked_add(UNIX_EPOCH_TICKS)?;
    is_valid_datetime(ticks).then_some(ticks)
}

/// `datetime` ticks → Unix nanoseconds.
///
/// `None` when `ticks` is not a valid `datetime`, or when the instant does not fit in `i64`
/// nanoseconds (before 1677-09-21 or after 2262-04-11, e.g. the FILETIME epoch 1601-01-01).
pub fn unix_nanos_from_ticks(ticks: i64) -> Option<i64> {
    if !is_valid_datetime(ticks) {
        return None;
    }
    ticks.checked_sub(UNIX_EPOCH_TICKS)?.checked_mul(100)
}

/// The current time in ticks (the wall clock; the Unix epoch if it cannot be read).
pub fn now() -> i64 {
    from_chrono(&Utc::now()).unwrap_or(UNIX_EPOCH_TICKS)
}

/// `datetime` ticks → `chrono::DateTime<Utc>`, exact to the tick. `None` outside the valid range.
pub fn to_chrono(ticks: i64) -> Option<DateTime<Utc>> {
    if !is_valid_datetime(ticks) {
        return None;
    }
    let seconds = ticks
        .div_euclid(TICKS_PER_SECOND)
        .checked_sub(UNIX_EPOCH_SECONDS)?;
    let nanos = u32::try_from(ticks.rem_euclid(TICKS_PER_SECOND).checked_mul(100)?).ok()?;
    DateTime::from_timestamp(seconds, nanos)
}

/// `chrono::DateTime<Utc>` → `datetime` ticks, keeping 100 ns precision (finer digits are
/// truncated, as KQL cannot hold them). `None` outside years 1..9999.
pub fn from_chrono(dt: &DateTime<Utc>) -> Option<i64> {
    // chrono marks a leap second with nanos >= 1e9; KQL has no leap seconds, so stay in the second.
    let nanos = i64::from(dt.timestamp_subsec_nanos().min(999_999_999));
    let ticks = dt
        .timestamp()
        .checked_add(UNIX_EPOCH_SECONDS)?
        .checked_mul(TICKS_PER_SECOND)?
        .checked_add(nanos / 100)?;
    is_valid_datetime(ticks).then_some(ticks)
}

// ---------------------------------------------------------------------------------------------
// datetime → text
// ---------------------------------------------------------------------------------------------

/// A valid `datetime` split into calendar date and time of day.
struct Civil {
    date: NaiveDate,
    hour: i64,
    minute: i64,
    second: i64,
    fraction: i64,
}

fn civil(ticks: i64) -> Option<Civil> {
    if !is_valid_datetime(ticks) {
        return None;
    }
    // Day 0 is 0001-01-01, which chrono counts as day 1 of the Common Era.
    let days = i32::try_from(ticks / TICKS_PER_DAY).ok()?;
    let date = NaiveDate::from_num_days_from_ce_opt(days.checked_add(1)?)?;
    let time = ticks % TICKS_PER_DAY;
    Some(Civil {
        date,
        hour: time / TICKS_PER_HOUR,
        minute: time % TICKS_PER_HOUR / TICKS_PER_MINUTE,
        second: time % TICKS_PER_MINUTE / TICKS_PER_SECOND,
        fraction: time % TICKS_PER_SECOND,
    })
}

/// Text for ticks that are not a `datetime`; never a plausible-looking wrong date.
fn invalid_datetime_text(ticks: i64) -> String {
    format!("<datetime out of range: {ticks} ticks>")
}

/// `datetime` ticks → `2024-03-26T09:39:50.7688641Z`: always 7 fraction digits and `Z`, the way
/// Kusto's `tostring()` and Microsoft Graph write datetimes. Parses back with [`parse_datetime`].
///
/// Ticks outside the valid range (which no checked code path produces) give
/// `<datetime out of range: N ticks>` rather than a panic.
pub fn format_datetime(ticks: i64) -> String {
    match civil(ticks) {
        Some(c) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
            c.date.year(),
            c.date.month(),
            c.date.day(),
            c.hour,
            c.minute,
            c.second,
            c.fraction
        ),
        None => invalid_datetime_text(ticks),
    }
}

// ---------------------------------------------------------------------------------------------
// text → datetime
// ---------------------------------------------------------------------------------------------

/// `datetime(Y, M, D [, h [, m [, s]]])`: a date and time from its parts (seconds may have a
/// fraction); an error names what is out of range.
pub fn datetime_from_parts(text: &str) -> Result<i64, String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if !(3..=6).contains(&parts.len()) {
        return Err(format!(
            "'{}' is not a date: datetime(year, month, day [, hour, minute, second])",
            text.escape_debug()
        ));
    }
    let whole = |i: usize, name: &str| -> Result<u32, String> {
        parts.get(i).map_or(Ok(0), |p| {
            p.parse::<u32>()
                .map_err(|_| format!("'{}' is not a whole number of {name}", p.escape_debug()))
        })
    };
    let (year, month, day) = (whole(0, "years")?, whole(1, "months")?, whole(2, "days")?);
    let (hour, minute) = (whole(3, "hours")?, whole(4, "minutes")?);
    let seconds: f64 = match parts.get(5) {
        None => 0.0,
        Some(p) => p
            .parse::<f64>()
            .ok()
            .filter(|s| (0.0..60.0).contains(s))
            .ok_or_else(|| format!("'{}' is not a number of seconds", p.escape_debug()))?,
    };
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
        .filter(|_| (1..=9999).contains(&year))
        .ok_or_else(|| format!("{year}-{month}-{day} is not a date"))?;
    let time = chrono::NaiveTime::from_hms_opt(hour, minute, 0)
        .ok_or_else(|| format!("{hour}:{minute} is not a time of day"))?;
    let utc = date.and_time(time).and_utc();
    let ticks = from_chrono(&utc).ok_or_else(|| format!("{year}-{month}-{day} is out of range"))?;
    Ok(ticks + (seconds * TICKS_PER_SECOND as f64).round() as i64)
}

/// The text forms KQL's datetime page documents (for `datetime(...)` literals and `todatetime()`)
/// → ticks. Surrounding whitespace is ignored.
///
/// Accepted (see scalar-data-types/datetime.md, "Supported formats"):
/// - ISO 8601: `2014-05-25T08:20:03.123456Z`, `2014-11-08 15:55:55`, `2014-11-08 15:55`,
///   `2014-11-08`; zone `Z`, a name, or an offset `+02:00` / `-0530` / `+02`.
/// - Sortable: `2014-1-8T15:05`, `2014-11-08 15:05:25 GMT` (month and day may be one digit).
/// - RFC 822 / 1123: `Sat, 8 Nov 14 15:05:02 GMT`, `Sat, 08 Nov 2014 15:05:02 GMT`, without the
///   weekday, the seconds or the zone.
/// - RFC 850: `Saturday, 08-Nov-14 15:05:02 GMT` and the same variants.
/// - `2024/01/02 10:00`, and month first: `12-02-2022` / `12/02/2022` (December 2nd), each with an
///   optional time like the ISO forms.
///
/// Seconds take 1 to 7 fraction digits; further digits are truncated. Zone names: Z, UTC, GMT, UT
/// and RFC 822's EST/EDT/CST/CDT/MST/MDT/PST/PDT; an offset means local = UTC + offset. Month,
/// weekday and zone names are case-insensitive; a weekday is not checked against the date.
/// Two-digit years: 00–29 → 2000–2029, 30–99 → 1930–1999 (.NET's default).
///
/// Errors: `Err` with a short message quoting (escaped, shortened) input when the text is not one
/// of these forms, a calendar field is impossible (month 13, Feb 30, hour 24), or the instant,
/// after the offset, is outside 0001-01-01 .. 9999-12-31T23:59:59.9999999.
pub fn parse_datetime(text: &str) -> Result<i64, String> {
    read_stamp(text.trim())
        .and_then(|stamp| stamp.ticks())
        .map_err(|e| e.message(text))
}

/// Why a datetime text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DtError {
    Unreadable,
    Invalid(&'static str),
    OutOfRange,
}

impl DtError {
    fn message(self, text: &str) -> String {
        if text.trim().is_empty() {
            return "empty text is not a date and time (e.g. 2024-03-26T09:39:50Z)".to_string();
        }
        let shown = quote(text);
        match self {
            DtError::Unreadable => {
                format!("{shown} is not a date and time KQL can read (e.g. 2024-03-26T09:39:50Z)")
            }
            DtError::Invalid(why) => format!("{shown} is not a valid date and time: {why}"),
            DtError::OutOfRange => {
                format!("{shown} is outside KQL's datetime range (years 1 to 9999)")
            }
        }
    }
}

/// `'text'` for an error message: control characters escaped, long input shortened.
fn quote(text: &str) -> String {
    let mut head: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().nth(QUOTE_LIMIT).is_some() {
        head.push('…');
    }
    format!("'{}'", head.escape_debug())
}

/// One piece of datetime text: a run of ASCII digits, a run of ASCII letters, a run of
/// whitespace, or any other single character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Num(&'a str),
    Word(&'a str),
    Space,
    Sym(char),
}

/// No accepted form has more pieces than this; stop early on long garbage.
const MAX_PIECES: usize = 40;

/// Splits `text` into the leading run of chars satisfying `keep` and the rest.
fn split_run(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = text.find(|c: char| !keep(c)).unwrap_or(text.len());
    // `find` returns a char boundary, so this cannot split a character.
    text.split_at(end)
}

fn pieces(text: &str) -> Option<Vec<Piece<'_>>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        if out.len() >= MAX_PIECES {
            return None;
        }
        let (piece, tail) = if first.is_ascii_digit() {
            let (run, tail) = split_run(rest, |c| c.is_ascii_digit());
            (Piece::Num(run), tail)
        } else if first.is_ascii_alphabetic() {
            let (run, tail) = split_run(rest, |c| c.is_ascii_alphabetic());
            (Piece::Word(run), tail)
        } else if first.is_whitespace() {
            (Piece::Space, split_run(rest, char::is_whitespace).1)
        } else {
            let mut chars = rest.chars();
            chars.next();
            (Piece::Sym(first), chars.as_str())
        };
        out.push(piece);
        rest = tail;
    }
    Some(out)
}

/// A read position over the pieces of a datetime text.
struct Cursor<'a> {
    pieces: Vec<Piece<'a>>,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek_at(&self, ahead: usize) -> Option<Piece<'a>> {
        self.pieces.get(self.at.checked_add(ahead)?).copied()
    }

    fn peek(&self) -> Option<Piece<'a>> {
        self.peek_at(0)
    }

    fn bump(&mut self) -> Option<Piece<'a>> {
        let piece = self.peek();
        if piece.is_some() {
            self.at += 1;
        }
        piece
    }

    fn done(&self) -> bool {
        self.at >= self.pieces.len()
    }

    fn eat(&mut self, want: Piece<'_>) -> bool {
        let found = self.peek() == Some(want);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, want: Piece<'_>) -> Result<(), DtError> {
        if self.eat(want) {
            Ok(())
        } else {
            Err(DtError::Unreadable)
        }
    }

    /// A run of `min..=max` digits (at most 4, so it always fits a `u32`).
    fn number(&mut self, min: usize, max: usize) -> Result<u32, DtError> {
        match self.bump() {
            Some(Piece::Num(digits)) if (min..=max).contains(&digits.len()) => {
                digits.parse().map_err(|_| DtError::Unreadable)
            }
            _ => Err(DtError::Unreadable),
        }
    }

    /// One of the separators allowed between date fields; returned so the second must match.
    fn date_separator(&mut self, allowed: &[Piece<'_>]) -> Result<Piece<'a>, DtError> {
        match self.bump() {
            Some(piece) if allowed.contains(&piece) => Ok(piece),
            _ => Err(DtError::Unreadable),
        }
    }
}

/// The fields read from a datetime text, before calendar validation.
#[derive(Debug, Default)]
struct Stamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Ticks below one second.
    fraction: i64,
    /// Minutes east of UTC.
    offset_minutes: i64,
}

impl Stamp {
    /// Validates the calendar fields and gives UTC ticks.
    fn ticks(&self) -> Result<i64, DtError> {
        if !(1..=9999).contains(&self.year) {
            return Err(DtError::Invalid("the year must be 1 to 9999"));
        }
        if !(1..=12).contains(&self.month) {
            return Err(DtError::Invalid("the month must be 1 to 12"));
        }
        let year = i32::try_from(self.year).map_err(|_| DtError::OutOfRange)?;
        let date = NaiveDate::from_ymd_opt(year, self.month, self.day)
            .ok_or(DtError::Invalid("that month has no such day"))?;
        self.check_clock()?;
        let days = i64::from(date.num_days_from_ce()) - 1;
        let local = [
            days.checked_mul(TICKS_PER_DAY),
            i64::from(self.hour).checked_mul(TICKS_PER_HOUR),
            i64::from(self.minute).checked_mul(TICKS_PER_MINUTE),
            i64::from(self.second).checked_mul(TICKS_PER_SECOND),
            Some(self.fraction),
        ]
        .into_iter()
        .try_fold(0i64, |sum, part| sum.checked_add(part?));
        let utc = local
            .and_then(|l| l.checked_sub(self.offset_minutes.checked_mul(TICKS_PER_MINUTE)?))
            .ok_or(DtError::OutOfRange)?;
        if is_valid_datetime(utc) {
            Ok(utc)
        } else {
            Err(DtError::OutOfRange)
        }
    }

    fn check_clock(&self) -> Result<(), DtError> {
        if self.hour > 23 {
            Err(DtError::Invalid("the hour must be 0 to 23"))
        } else if self.minute > 59 {
            Err(DtError::Invalid("the minute must be 0 to 59"))
        } else if self.second > 59 {
            Err(DtError::Invalid("the second must be 0 to 59"))
        } else {
            Ok(())
        }
    }
}

fn read_stamp(text: &str) -> Result<Stamp, DtError> {
    let pieces = pieces(text).ok_or(DtError::Unreadable)?;
    let mut cur = Cursor { pieces, at: 0 };
    let mut stamp = read_date(&mut cur)?;
    read_time_and_zone(&mut cur, &mut stamp)?;
    if cur.done() {
        Ok(stamp)
    } else {
        Err(DtError::Unreadable)
    }
}

/// Picks the date family from its first pieces: a weekday name, a 4-digit year, a day followed
/// by a month name, or a month number first.
fn read_date(cur: &mut Cursor<'_>) -> Result<Stamp, DtError> {
    use Piece::{Num, Space, Sym, Word};
    match (cur.peek(), cur.peek_at(1), cur.peek_at(2)) {
        (Some(Word(name)), _, _) => {
            if !is_weekday(name) {
                return Err(DtError::Unreadable);
            }
            cur.bump();
            cur.eat(Sym(','));
            cur.eat(Space);
            read_day_month_name(cur)
        }
        (Some(Num(year)), _, _) if year.len() == 4 => read_year_first(cur),
        (Some(Num(_)), Some(Space), _) | (Some(Num(_)), Some(Sym('-')), Some(Word(_))) => {
            read_day_month_name(cur)
        }
        (Some(Num(_)), _, _) => read_month_first(cur),
        _ => Err(DtError::Unreadable),
    }
}

/// `%Y-%n-%e` or `%Y/%n/%e` (ISO 8601 and sortable; one-digit month and day allowed).
fn read_year_first(cur: &mut Cursor<'_>) -> Result<Stamp, DtError> {
    let year = cur.number(4, 4)?;
    let sep = cur.date_separator(&[Piece::Sym('-'), Piece::Sym('/')])?;
    let month = cur.number(1, 2)?;
    cur.expect(sep)?;
    let day = cur.number(1, 2)?;
    Ok(Stamp {
        year,
        month,
        day,
        ..Stamp::default()
    })
}

/// `%m-%d-%Y` or `%m/%d/%Y` (US order, as in the todatetime page's `12-02-2022`).
fn read_month_first(cur: &mut Cursor<'_>) -> Result<Stamp, DtError> {
    let month = cur.number(1, 2)?;
    let sep = cur.date_separator(&[Piece::Sym('-'), Piece::Sym('/')])?;
    let day = cur.number(1, 2)?;
    cur.expect(sep)?;
    let year = cur.number(4, 4)?;
    Ok(Stamp {
        year,
        month,
        day,
        ..Stamp::default()
    })
}

/// `%e %b %r` (RFC 822) or `%e-%b-%r` (RFC 850); the year may also have 4 digits (RFC 1123).
fn read_day_month_name(cur: &mut Cursor<'_>) -> Result<Stamp, DtError> {
    let day = cur.number(1, 2)?;
    let sep = cur.date_separator(&[Piece::Space, Piece::Sym('-')])?;
    let month = match cur.bump() {
        Some(Piece::Word(name)) => month_number(name).ok_or(DtError::Unreadable)?,
        _ => return Err(DtError::Unreadable),
    };
    cur.expect(sep)?;
    let year = match cur.bump() {
        Some(Piece::Num(digits)) if digits.len() == 2 || digits.len() == 4 => {
            let value: u32 = digits.parse().map_err(|_| DtError::Unreadable)?;
            if digits.len() == 2 {
                expand_two_digit_year(value)
            } else {
                value
            }
        }
        _ => return Err(DtError::Unreadable),
    };
    Ok(Stamp {
        year,
        month,
        day,
        ..Stamp::default()
    })
}

/// .NET's default two-digit-year window (TwoDigitYearMax = 2029).
fn expand_two_digit_year(year: u32) -> u32 {
    if year < 30 { 2000 + year } else { 1900 + year }
}

/// The optional `[ |T]%H:%M[:%s[.fraction]]` and zone after the date.
fn read_time_and_zone(cur: &mut Cursor<'_>, stamp: &mut Stamp) -> Result<(), DtError> {
    if cur.done() {
        return Ok(());
    }
    match cur.bump() {
        Some(Piece::Space) => {}
        Some(Piece::Word(t)) if t.eq_ignore_ascii_case("t") => {}
        _ => return Err(DtError::Unreadable),
    }
    stamp.hour = cur.number(1, 2)?;
    cur.expect(Piece::Sym(':'))?;
    stamp.minute = cur.number(1, 2)?;
    if cur.eat(Piece::Sym(':')) {
        stamp.second = cur.number(1, 2)?;
        if cur.eat(Piece::Sym('.')) {
            stamp.fraction = match cur.bump() {
                Some(Piece::Num(digits)) => fraction_ticks(digits, TICKS_PER_SECOND),
                _ => return Err(DtError::Unreadable),
            };
        }
    }
    cur.eat(Piece::Space);
    if !cur.done() {
        stamp.offset_minutes = read_zone(cur)?;
    }
    Ok(())
}

/// A zone name or a numeric offset (`+02:00`, `-0530`, `+02`) → minutes east of UTC.
fn read_zone(cur: &mut Cursor<'_>) -> Result<i64, DtError> {
    let negative = match cur.bump() {
        Some(Piece::Word(name)) => return zone_offset(name).ok_or(DtError::Unreadable),
        Some(Piece::Sym('+')) => false,
        Some(Piece::Sym('-')) => true,
        _ => return Err(DtError::Unreadable),
    };
    let (hours, minutes) = match cur.bump() {
        Some(Piece::Num(digits)) if digits.len() == 4 => {
            let value: u32 = digits.parse().map_err(|_| DtError::Unreadable)?;
            (value / 100, value % 100)
        }
        Some(Piece::Num(digits)) if digits.len() <= 2 => {
            let hours = digits.parse().map_err(|_| DtError::Unreadable)?;
            let minutes = if cur.eat(Piece::Sym(':')) {
                cur.number(2, 2)?
            } else {
                0
            };
            (hours, minutes)
        }
        _ => return Err(DtError::Unreadable),
    };
    // .NET (DateTimeOffset) allows offsets up to ±14:00.
    let total = i64::from(hours) * 60 + i64::from(minutes);
    if minutes > 59 || total > 14 * 60 {
        return Err(DtError::Invalid("the UTC offset must be within ±14:00"));
    }
    Ok(if negative { -total } else { total })
}

/// Zone names the datetime page's `%Z` allows, with RFC 822's North American zones.
fn zone_offset(name: &str) -> Option<i64> {
    const ZONES: [(&str, i64); 12] = [
        ("Z", 0),
        ("UTC", 0),
        ("GMT", 0),
        ("UT", 0),
        ("EST", -5),
        ("EDT", -4),
        ("CST", -6),
        ("CDT", -5),
        ("MST", -7),
        ("MDT", -6),
        ("PST", -8),
        ("PDT", -7),
    ];
    ZONES
        .iter()
        .find(|(zone, _)| zone.eq_ignore_ascii_case(name))
        .map(|(_, hours)| hours * 60)
}

fn is_weekday(name: &str) -> bool {
    const DAYS: [&str; 14] = [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    DAYS.iter().any(|day| day.eq_ignore_ascii_case(name))
}

/// `Nov` or `November` (any case) → 11.
fn month_number(name: &str) -> Option<u32> {
    const SHORT: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const LONG: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let index = SHORT
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .or_else(|| LONG.iter().position(|m| m.eq_ignore_ascii_case(name)))?;
    u32::try_from(index + 1).ok()
}

/// `floor(per_unit × 0.digits)`, exactly, for any number of digits: folds from the last digit,
/// dividing by ten each step (nested floor divisions equal one floor division). The carry stays
/// below `per_unit`, so nothing can overflow. Non-digits are skipped (callers pass digits only).
fn fraction_ticks(digits: &str, per_unit: i64) -> i64 {
    let per_unit = i128::from(per_unit);
    let ticks = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .fold(0i128, |carry, d| (carry + i128::from(d) * per_unit) / 10);
    // ticks < per_unit, which came from an i64.
    i64::try_from(ticks).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// timespan
// ---------------------------------------------------------------------------------------------

/// `timespan` ticks → KQL's text: `[-][d.]hh:mm:ss[.fffffff]`, e.g. `01:00:00`,
/// `1.02:03:04.5000000`, `-00:00:01`, `00:00:00` (as `tostring()` and the totimespan page show).
/// The day part appears only when non-zero; the fraction only when non-zero, then always 7 digits.
/// Correct for every `i64`, including `i64::MIN` (`-10675199.02:48:05.4775808`).
pub fn format_timespan(ticks: i64) -> String {
    const DAY: u64 = TICKS_PER_DAY.unsigned_abs();
    const HOUR: u64 = TICKS_PER_HOUR.unsigned_abs();
    const MINUTE: u64 = TICKS_PER_MINUTE.unsigned_abs();
    const SECOND: u64 = TICKS_PER_SECOND.unsigned_abs();
    let sign = if ticks < 0 { "-" } else { "" };
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let magnitude = ticks.unsigned_abs();
    let days = magnitude / DAY;
    let time = magnitude % DAY;
    let (hours, minutes) = (time / HOUR, time % HOUR / MINUTE);
    let (seconds, fraction) = (time % MINUTE / SECOND, time % SECOND);
    let day_part = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let fraction_part = if fraction > 0 {
        format!(".{fraction:07}")
    } else {
        String::new()
    };
    format!("{sign}{day_part}{hours:02}:{minutes:02}:{seconds:02}{fraction_part}")
}

/// What `timespan(...)` literals and `totimespan("...")` accept (scalar-data-types/timespan.md)
/// → ticks. Surrounding whitespace is ignored; a leading `-` negates any form.
///
/// - Clock: `d.hh:mm[:ss[.f…]]` (hours 0–23) or `hh:mm[:ss[.f…]]` (any hours), minutes and
///   seconds 0–59: `0.12:34:56.7`, `1.02:03:04.5`, `00:01:00`, `0.00:03:00`.
/// - A plain number of days: `2`, `1.5`.
/// - A number, optional spaces, and a unit as in [`unit_to_ticks`]: `15 seconds`, `7d`, `25min`.
///
/// Fractions finer than a tick are truncated. Errors: `Err("timespan out of range")` when the
/// value does not fit in `i64` ticks; otherwise an `Err` naming the unreadable text or field.
pub fn parse_timespan(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let magnitude = if body.contains(':') {
        clock_magnitude(body)
    } else {
        number_magnitude(body)
    }
    .map_err(|e| e.message(text))?;
    // Magnitudes are non-negative, so negation cannot overflow i128; i64::MIN parses back.
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| OUT_OF_RANGE.to_string())
}

/// Why a timespan text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SpanError {
    Unreadable,
    Invalid(&'static str),
    UnknownUnit(String),
    OutOfRange,
}

impl SpanError {
    fn message(&self, text: &str) -> String {
        let shown = quote(text);
        match self {
            SpanError::Unreadable => {
                format!("{shown} is not a timespan KQL can read (e.g. 1.02:03:04, 30m, 2d)")
            }
            SpanError::Invalid(why) => format!("{shown} is not a valid timespan: {why}"),
            SpanError::UnknownUnit(unit) => format!(
                "{shown} is not a timespan KQL can read: unknown unit {}",
                quote(unit)
            ),
            SpanError::OutOfRange => OUT_OF_RANGE.to_string(),
        }
    }
}

/// `[d.]hh:mm[:ss[.f…]]` → non-negative ticks (as i128 so `i64::MIN`'s magnitude fits).
fn clock_magnitude(body: &str) -> Result<i128, SpanError> {
    let mut fields = body.split(':');
    let head = fields.next().unwrap_or_default();
    let minutes_text = fields.next().ok_or(SpanError::Unreadable)?;
    let seconds_text = fields.next();
    if fields.next().is_some() {
        return Err(SpanError::Unreadable);
    }
    let (days, hours) = match head.split_once('.') {
        Some((days, hours)) => (whole(days)?, bounded(hours, 23, "hours must be 0 to 23")?),
        None => (0, whole(head)?),
    };
    let minutes = bounded(minutes_text, 59, "minutes must be 0 to 59")?;
    let (seconds, fraction) = match seconds_text {
        None => (0, 0),
        Some(text) => {
            let (int, frac) = decimal_parts(text).ok_or(SpanError::Unreadable)?;
            let seconds = bounded(int, 59, "seconds must be 0 to 59")?;
            (seconds, fraction_ticks(frac, TICKS_PER_SECOND))
        }
    };
    [
        days.checked_mul(i128::from(TICKS_PER_DAY)),
        hours.checked_mul(i128::from(TICKS_PER_HOUR)),
        minutes.checked_mul(i128::from(TICKS_PER_MINUTE)),
        seconds.checked_mul(i128::from(TICKS_PER_SECOND)),
        Some(i128::from(fraction)),
    ]
    .into_iter()
    .try_fold(0i128, |sum, part| sum.checked_add(part?))
    .ok_or(SpanError::OutOfRange)
}

/// `n`, `n.f`, `n unit`, `n.f unit` → non-negative ticks; no unit means days.
fn number_magnitude(body: &str) -> Result<i128, SpanError> {
    let (int, rest) = split_run(body, |c| c.is_ascii_digit());
    let (number, unit) = match rest.strip_prefix('.') {
        Some(after) => {
            let (frac, unit) = split_run(after, |c| c.is_ascii_digit());
            // int + '.' + frac are ASCII, so this length is a char boundary.
            let (number, _) = body.split_at(int.len() + 1 + frac.len());
            (number, unit)
        }
        None => (int, rest),
    };
    let unit = unit.trim_start();
    let per_unit = if unit.is_empty() {
        TICKS_PER_DAY
    } else {
        ticks_per_unit(unit).ok_or_else(|| SpanError::UnknownUnit(unit.to_string()))?
    };
    scaled(number, per_unit)
}

/// Digits only (at least one) → value; too many digits is out of range, not unreadable.
fn whole(digits: &str) -> Result<i128, SpanError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SpanError::Unreadable);
    }
    digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .try_fold(0i128, |acc, d| {
            acc.checked_mul(10)?.checked_add(i128::from(d))
        })
        .ok_or(SpanError::OutOfRange)
}

/// A clock field: digits, value at most `max`.
fn bounded(digits: &str, max: i128, why: &'static str) -> Result<i128, SpanError> {
    match whole(digits) {
        Ok(value) if value <= max => Ok(value),
        Ok(_) | Err(SpanError::OutOfRange) => Err(SpanError::Invalid(why)),
        Err(e) => Err(e),
    }
}

/// `12` → ("12", ""), `1.5` → ("1", "5"); `None` unless digits with an optional `.digits`.
fn decimal_parts(text: &str) -> Option<(&str, &str)> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) if !frac.is_empty() => (int, frac),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() && digits(int) && digits(frac)).then_some((int, frac))
}

/// `number` (digits with an optional fraction) × `per_unit` ticks, fraction truncated to ticks.
fn scaled(number: &str, per_unit: i64) -> Result<i128, SpanError> {
    let (int, frac) = decimal_parts(number).ok_or(SpanError::Unreadable)?;
    whole(int)?
        .checked_mul(i128::from(per_unit))
        .and_then(|ticks| ticks.checked_add(i128::from(fraction_ticks(frac, per_unit))))
        .ok_or(SpanError::OutOfRange)
}

/// The unit words of the timespan page's literal table, with their long forms.
fn ticks_per_unit(unit: &str) -> Option<i64> {
    let per_unit = match unit {
        "d" | "day" | "days" => TICKS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND,
        "microsecond" | "microseconds" => TICKS_PER_MICROSECOND,
        "tick" | "ticks" => 1,
        _ => return None,
    };
    Some(per_unit)
}

/// A number with a timespan unit, as in the literals `7d`, `1.5h`, `30m`, `10s`, `100ms`,
/// `10microsecond`, `1tick`, `25min` (scalar-data-types/timespan.md) → ticks.
///
/// `number` is digits with an optional fraction (`"1.5"`); finer than a tick is truncated.
/// `unit` is matched case-sensitively: `d`/`day`/`days`, `h`/`hr`/`hrs`/`hour`/`hours`,
/// `m`/`min`/`minute`/`minutes`, `s`/`sec`/`second`/`seconds`,
/// `ms`/`milli`/`millis`/`millisecond`/`milliseconds`, `microsecond`/`microseconds`,
/// `tick`/`ticks` (`w` for weeks is not KQL).
///
/// Returns `None` when the unit is unknown; `Some(Err("timespan out of range"))` when the value
/// does not fit in `i64` ticks; `Some(Err(..))` naming the text when `number` is not a number.
pub fn unit_to_ticks(number: &str, unit: &str) -> Option<Result<i64, String>> {
    let per_unit = ticks_per_unit(unit)?;
    let ticks =
        scaled(number, per_unit).and_then(|t| i64::try_from(t).map_err(|_| SpanError::OutOfRange));
    Some(ticks.map_err(|e| e.message(number)))
}

// ---------------------------------------------------------------------------------------------
// real
// ---------------------------------------------------------------------------------------------

/// A `real` → the text KQL's `tostring()` gives, which is .NET Core 3.0+'s `double.ToString()`:
/// the shortest digits that round-trip, in plain notation when the decimal exponent E (of
/// d.ddd×10^E) is -5 < E < 15 (`1`, `1.5`, `0.0001`, `123456789012345`), otherwise scientific with
/// a signed, at least 2-digit exponent (`1E+15`, `1E-05`, `2.5E-07`, `5E-324`). Special values:
/// `NaN`, `Infinity`, `-Infinity`; zero is `0` and negative zero `-0`.
pub fn format_real(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value.is_infinite() {
        return format!("{sign}Infinity");
    }
    if value == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. `1.2345e-7`.
    let scientific = format!("{:e}", value.abs());
    let parts = scientific
        .split_once('e')
        .and_then(|(mantissa, exponent)| Some((mantissa, exponent.parse::<i32>().ok()?)));
    match parts {
        Some((mantissa, exponent)) => format!("{sign}{}", real_body(mantissa, exponent)),
        // `{:e}` always has an `e` and an integer exponent; keep Rust's text if that ever changes.
        None => format!("{sign}{scientific}"),
    }
}

/// Lays out a positive mantissa `d[.ddd]` and exponent the .NET way.
fn real_body(mantissa: &str, exponent: i32) -> String {
    if !(-5 < exponent && exponent < 15) {
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}E{exponent_sign}{:02}", exponent.unsigned_abs());
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    match usize::try_from(exponent) {
        // Non-negative exponent: the point goes after exponent + 1 digits (zero-padded).
        Ok(point) => {
            let integer_len = point + 1;
            if digits.len() <= integer_len {
                format!("{digits:0<integer_len$}")
            } else {
                let (integer, fraction) = digits.split_at(integer_len);
                format!("{integer}.{fraction}")
            }
        }
        // Negative exponent: leading zeros after `0.`.
        Err(_) => {
            let zeros = "0".repeat(exponent.unsigned_abs().saturating_sub(1) as usize);
            format!("0.{zeros}{digits}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};

    /// Ticks for a UTC calendar instant, computed through chrono independently of the parser.
    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, fraction: i64) -> i64 {
        let start = NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("0001-01-01");
        let when: NaiveDateTime = NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, s))
            .expect("test date");
        (when - start).num_seconds() * TICKS_PER_SECOND + fraction
    }

    fn ok(text: &str) -> i64 {
        parse_datetime(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    #[test]
    fn constants_agree_with_chrono() {
        assert_eq!(at(1970, 1, 1, 0, 0, 0, 0), UNIX_EPOCH_TICKS);
        assert_eq!(at(9999, 12, 31, 23, 59, 59, 9_999_999), MAX_DATETIME_TICKS);
        assert_eq!(at(1, 1, 1, 0, 0, 0, 0), MIN_DATETIME_TICKS);
        assert_eq!(at(1601, 1, 1, 0, 0, 0, 0), 504_911_232_000_000_000);
        assert_eq!(
            at(2024, 3, 26, 9, 39, 50, 7_688_641),
            638_470_427_907_688_641
        );
        // 638470583907688641 (4h20m later) is sometimes quoted for this instant; it is not.
        assert_eq!(
            at(2024, 3, 26, 13, 59, 50, 7_688_641),
            638_470_583_907_688_641
        );
        // The datetime page's own example: 31241376000000000 is 0100-01-01.
        assert_eq!(at(100, 1, 1, 0, 0, 0, 0), 31_241_376_000_000_000);
        assert_eq!(TICKS_PER_DAY, 24 * TICKS_PER_HOUR);
        assert_eq!(TICKS_PER_HOUR, 60 * TICKS_PER_MINUTE);
        assert_eq!(TICKS_PER_MINUTE, 60 * TICKS_PER_SECOND);
        assert_eq!(TICKS_PER_SECOND, 1000 * TICKS_PER_MILLISECOND);
        assert_eq!(TICKS_PER_MILLISECOND, 1000 * TICKS_PER_MICROSECOND);
    }

    #[test]
    fn validity() {
        assert!(is_valid_datetime(0));
        assert!(is_valid_datetime(MAX_DATETIME_TICKS));
        assert!(!is_valid_datetime(-1));
        assert!(!is_valid_datetime(MAX_DATETIME_TICKS + 1));
        assert!(!is_valid_datetime(i64::MIN));
        assert!(!is_valid_datetime(i64::MAX));
    }

    #[test]
    fn unix_nanos() {
        assert_eq!(ticks_from_unix_nanos(0), Some(UNIX_EPOCH_TICKS));
        assert_eq!(ticks_from_unix_nanos(-100), Some(UNIX_EPOCH_TICKS - 1));
        // Floor, not truncation toward zero: -1 ns is in the tick before the epoch.
        assert_eq!(ticks_from_unix_nanos(-1), Some(UNIX_EPOCH_TICKS - 1));
        assert_eq!(
            ticks_from_unix_nanos(-1).map(format_datetime).as_deref(),
            Some("1969-12-31T23:59:59.9999999Z")
        );
        assert_eq!(ticks_from_unix_nanos(199), Some(UNIX_EPOCH_TICKS + 1));
        assert!(ticks_from_unix_nanos(i64::MIN).is_some());
        assert!(ticks_from_unix_nanos(i64::MAX).is_some());
        assert_eq!(unix_nanos_from_ticks(UNIX_EPOCH_TICKS + 1), Some(100));
        assert_eq!(unix_nanos_from_ticks(UNIX_EPOCH_TICKS - 1), Some(-100));
        assert_eq!(unix_nanos_from_ticks(504_911_232_000_000_000), None);
        assert_eq!(unix_nanos_from_ticks(MAX_DATETIME_TICKS), None);
        assert_eq!(unix_nanos_from_ticks(-1), None);
        assert_eq!(unix_nanos_from_ticks(i64::MIN), None);
        let t = 638_470_427_907_688_641;
        assert_eq!(
            unix_nanos_from_ticks(t).and_then(ticks_from_unix_nanos),
            Some(t)
        );
    }

    #[test]
    fn chrono_round_trip() {
        for t in [
            0,
            1,
            UNIX_EPOCH_TICKS - 1,
            638_470_427_907_688_641,
            MAX_DATETIME_TICKS,
        ] {
            let dt = to_chrono(t).expect("valid ticks");
            assert_eq!(from_chrono(&dt), Some(t));
        }
        let dt = to_chrono(638_470_427_907_688_641).expect("valid");
        assert_eq!(dt.to_rfc3339(), "2024-03-26T09:39:50.768864100+00:00");
        assert_eq!(to_chrono(-1), None);
        assert_eq!(to_chrono(MAX_DATETIME_TICKS + 1), None);
        // Finer than 100 ns is truncated.
        let fine = Utc.timestamp_opt(0, 199).single().expect("instant");
        assert_eq!(from_chrono(&fine), Some(UNIX_EPOCH_TICKS + 1));
        let far = Utc
            .with_ymd_and_hms(10000, 1, 1, 0, 0, 0)
            .single()
            .expect("instant");
        assert_eq!(from_chrono(&far), None);
        let before = Utc
            .with_ymd_and_hms(0, 12, 31, 23, 59, 59)
            .single()
            .expect("instant");
        assert_eq!(from_chrono(&before), None);
    }

    #[test]
    fn formats_datetimes() {
        assert_eq!(
            format_datetime(638_470_427_907_688_641),
            "2024-03-26T09:39:50.7688641Z"
        );
        assert_eq!(format_datetime(0), "0001-01-01T00:00:00.0000000Z");
        assert_eq!(
            format_datetime(MAX_DATETIME_TICKS),
            "9999-12-31T23:59:59.9999999Z"
        );
        assert_eq!(
            format_datetime(UNIX_EPOCH_TICKS),
            "1970-01-01T00:00:00.0000000Z"
        );
        assert!(format_datetime(-1).contains("out of range"));
    }

    #[test]
    fn parses_iso_8601() {
        assert_eq!(
            ok("2014-05-25T08:20:03.123456Z"),
            at(2014, 5, 25, 8, 20, 3, 1_234_560)
        );
        assert_eq!(
            ok("2014-05-25T08:20:03.123456"),
            at(2014, 5, 25, 8, 20, 3, 1_234_560)
        );
        assert_eq!(ok("2024-03-26T09:39:50.7688641Z"), 638_470_427_907_688_641);
        assert_eq!(ok("2014-05-25T08:20"), at(2014, 5, 25, 8, 20, 0, 0));
        assert_eq!(
            ok("2014-11-08 15:55:55.123456Z"),
            at(2014, 11, 8, 15, 55, 55, 1_234_560)
        );
        assert_eq!(ok("2014-11-08 15:55:55"), at(2014, 11, 8, 15, 55, 55, 0));
        assert_eq!(ok("2014-11-08 15:55"), at(2014, 11, 8, 15, 55, 0, 0));
        assert_eq!(ok("2014-11-08"), at(2014, 11, 8, 0, 0, 0, 0));
        assert_eq!(
            ok("2015-12-31 23:59:59.9"),
            at(2015, 12, 31, 23, 59, 59, 9_000_000)
        );
        assert_eq!(
            ok("  2014-11-08T15:55:55Z \n"),
            at(2014, 11, 8, 15, 55, 55, 0)
        );
        assert_eq!(ok("\t2014-11-08\t"), at(2014, 11, 8, 0, 0, 0, 0));
        assert_eq!(ok("2014-11-08t15:55:55z"), at(2014, 11, 8, 15, 55, 55, 0));
    }

    #[test]
    fn fractions_keep_seven_digits() {
        let base = at(2024, 1, 1, 0, 0, 0, 0);
        assert_eq!(ok("2024-01-01T00:00:00.1Z"), base + 1_000_000);
        assert_eq!(ok("2024-01-01T00:00:00.0000001Z"), base + 1);
        assert_eq!(ok("2024-01-01T00:00:00.12345678Z"), base + 1_234_567);
        assert_eq!(ok("2024-01-01T00:00:00.999999999999Z"), base + 9_999_999);
        assert!(parse_datetime("2024-01-01T00:00:00.Z").is_err());
        assert!(parse_datetime("2024-01-01T00:00.5").is_err());
    }

    #[test]
    fn applies_offsets() {
        assert_eq!(ok("2024-01-01T10:00:00+02:00"), ok("2024-01-01T08:00:00Z"));
        assert_eq!(ok("2024-01-01T10:00:00+0200"), ok("2024-01-01T08:00:00Z"));
        assert_eq!(ok("2024-01-01T10:00:00+02"), ok("2024-01-01T08:00:00Z"));
        assert_eq!(
            ok("2024-01-01T10:00:00-05:30"),
            at(2024, 1, 1, 15, 30, 0, 0)
        );
        assert_eq!(ok("2024-01-01 10:00 -0530"), at(2024, 1, 1, 15, 30, 0, 0));
        assert_eq!(
            ok("2024-01-01T00:30:00+01:00"),
            at(2023, 12, 31, 23, 30, 0, 0)
        );
        assert_eq!(
            ok("2024-01-01T10:00:00.5+00:00"),
            at(2024, 1, 1, 10, 0, 0, 5_000_000)
        );
        assert!(parse_datetime("2024-01-01T10:00:00+15:00").is_err());
        assert!(parse_datetime("2024-01-01T10:00:00+02:60").is_err());
        assert!(parse_datetime("2024-01-01T10:00:00+").is_err());
        assert!(parse_datetime("2024-01-01T10:00:00+123").is_err());
    }

    #[test]
    fn zone_names() {
        let utc = at(2014, 11, 8, 15, 5, 0, 0);
        for zone in ["Z", "UTC", "GMT", "UT", "gmt", "utc"] {
            assert_eq!(ok(&format!("2014-11-08 15:05 {zone}")), utc, "{zone}");
        }
        let hours = [("EST", 5), ("EDT", 4), ("CST", 6), ("CDT", 5)];
        let more = [("MST", 7), ("MDT", 6), ("PST", 8), ("PDT", 7)];
        for (zone, behind) in hours.into_iter().chain(more) {
            let text = format!("Sat, 8 Nov 14 15:05:00 {zone}");
            assert_eq!(ok(&text), utc + behind * TICKS_PER_HOUR, "{zone}");
        }
        assert!(parse_datetime("2014-11-08 15:05 CET").is_err());
    }

    #[test]
    fn parses_rfc_822() {
        let secs = at(2014, 11, 8, 15, 5, 2, 0);
        let mins = at(2014, 11, 8, 15, 5, 0, 0);
        assert_eq!(ok("Sat, 8 Nov 14 15:05:02 GMT"), secs);
        assert_eq!(ok("Sat, 8 Nov 14 15:05:02"), secs);
        assert_eq!(ok("Sat, 8 Nov 14 15:05"), mins);
        assert_eq!(ok("Sat, 8 Nov 14 15:05 GMT"), mins);
        assert_eq!(ok("8 Nov 14 15:05:02 GMT"), secs);
        assert_eq!(ok("8 Nov 14 15:05:02"), secs);
        assert_eq!(ok("8 Nov 14 15:05"), mins);
        assert_eq!(ok("8 Nov 14 15:05 GMT"), mins);
        // RFC 1123 (HTTP): four-digit year, two-digit day.
        assert_eq!(ok("Sat, 08 Nov 2014 15:05:02 GMT"), secs);
        assert_eq!(ok("sat, 08 NOV 2014 15:05:02 gmt"), secs);
        assert_eq!(ok("Sat, 08 Nov 2014 15:05:02 +0000"), secs);
        // A weekday is not checked against the date.
        assert_eq!(ok("Mon, 8 Nov 14 15:05:02 GMT"), secs);
        assert_eq!(ok("Saturday, 8 November 2014 15:05:02 GMT"), secs);
        assert!(parse_datetime("Sat, 8 Foo 14 15:05:02 GMT").is_err());
        assert!(parse_datetime("Xyz, 8 Nov 14 15:05:02 GMT").is_err());
        assert!(parse_datetime("Sat, 8 Nov 014 15:05:02 GMT").is_err());
    }

    #[test]
    fn parses_rfc_850() {
        let secs = at(2014, 11, 8, 15, 5, 2, 0);
        let mins = at(2014, 11, 8, 15, 5, 0, 0);
        assert_eq!(ok("Saturday, 08-Nov-14 15:05:02 GMT"), secs);
        assert_eq!(ok("Saturday, 08-Nov-14 15:05:02"), secs);
        assert_eq!(ok("Saturday, 08-Nov-14 15:05 GMT"), mins);
        assert_eq!(ok("Saturday, 08-Nov-14 15:05"), mins);
        assert_eq!(ok("08-Nov-14 15:05:02 GMT"), secs);
        assert_eq!(ok("08-Nov-14 15:05:02"), secs);
        assert_eq!(ok("08-Nov-14 15:05 GMT"), mins);
        assert_eq!(ok("08-Nov-14 15:05"), mins);
        assert_eq!(ok("8-nov-2014 15:05"), mins);
        // Separators must match.
        assert!(parse_datetime("08-Nov 14 15:05").is_err());
    }

    #[test]
    fn parses_sortable() {
        let secs = at(2014, 11, 8, 15, 5, 25, 0);
        let mins = at(2014, 11, 8, 15, 5, 0, 0);
        assert_eq!(ok("2014-11-08 15:05:25"), secs);
        assert_eq!(ok("2014-11-08 15:05:25 GMT"), secs);
        assert_eq!(ok("2014-11-08 15:05"), mins);
        assert_eq!(ok("2014-11-08 15:05 GMT"), mins);
        assert_eq!(ok("2014-11-08T15:05:25"), secs);
        assert_eq!(ok("2014-11-08T15:05:25 GMT"), secs);
        assert_eq!(ok("2014-11-08T15:05"), mins);
        assert_eq!(ok("2014-11-08T15:05 GMT"), mins);
        assert_eq!(ok("2014-1-8T15:05"), at(2014, 1, 8, 15, 5, 0, 0));
        assert_eq!(ok("2014-1-8 5:05"), at(2014, 1, 8, 5, 5, 0, 0));
    }

    #[test]
    fn parses_slashes_and_month_first() {
        assert_eq!(ok("2024/01/02 10:00"), at(2024, 1, 2, 10, 0, 0, 0));
        assert_eq!(ok("2024/01/02"), at(2024, 1, 2, 0, 0, 0, 0));
        assert_eq!(ok("12-02-2022"), at(2022, 12, 2, 0, 0, 0, 0));
        assert_eq!(ok("12/02/2022"), at(2022, 12, 2, 0, 0, 0, 0));
        assert_eq!(ok("12/02/2022 13:14:15Z"), at(2022, 12, 2, 13, 14, 15, 0));
        assert_eq!(ok("1-2-2022T01:02"), at(2022, 1, 2, 1, 2, 0, 0));
        assert!(parse_datetime("2024/01-02").is_err());
        assert!(parse_datetime("12-02/2022").is_err());
        assert!(parse_datetime("12-02-22").is_err());
    }

    #[test]
    fn two_digit_years() {
        assert_eq!(ok("1 Jan 00 00:00"), at(2000, 1, 1, 0, 0, 0, 0));
        assert_eq!(ok("1 Jan 29 00:00"), at(2029, 1, 1, 0, 0, 0, 0));
        assert_eq!(ok("1 Jan 30 00:00"), at(1930, 1, 1, 0, 0, 0, 0));
        assert_eq!(ok("1-Jan-99 00:00"), at(1999, 1, 1, 0, 0, 0, 0));
    }

    #[test]
    fn range_edges() {
        assert_eq!(ok("0001-01-01"), 0);
        assert_eq!(ok("0001-01-01T00:00:00Z"), 0);
        assert_eq!(ok("1601-01-01"), 504_911_232_000_000_000);
        assert_eq!(ok("1970-01-01T00:00:00Z"), UNIX_EPOCH_TICKS);
        assert_eq!(ok("9999-12-31T23:59:59.9999999Z"), MAX_DATETIME_TICKS);
        assert_eq!(ok("2024-02-29"), at(2024, 2, 29, 0, 0, 0, 0));
        assert_eq!(ok("2000-02-29"), at(2000, 2, 29, 0, 0, 0, 0));
        assert!(parse_datetime("0001-01-01T00:30:00+01:00").is_err());
        assert!(parse_datetime("9999-12-31T23:30:00-01:00").is_err());
    }

    #[test]
    fn rejects_bad_dates() {
        let bad = [
            "2024-02-30",
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-04-31",
            "2024-01-01T24:00",
            "2024-01-01T23:60",
            "2024-01-01T23:59:60",
            "yesterday",
            "",
            "   ",
            "10000-01-01",
            "0000-01-01",
            "2024",
            "2024-01",
            "2024-01-01T",
            "2024-01-01T10",
            "2024-01-01 10:00 +02:00 GMT",
            "2024-01-01 junk",
            "2024-01-01\u{0}",
            "\u{1b}[31m2024-01-01",
            "2024\u{2014}01\u{2014}01",
            "２０２４-01-01",
            "Nov 8 2014",
            "2014-11-08T15:05:25 GMT GMT",
            "-2024-01-01",
            "now",
            "2024-01-01TT10:00",
        ];
        for text in bad {
            assert!(parse_datetime(text).is_err(), "{text:?} should be refused");
        }
    }

    #[test]
    fn error_messages_are_short_and_escaped() {
        let e = parse_datetime("yesterday").expect_err("not a date");
        assert_eq!(
            e,
            "'yesterday' is not a date and time KQL can read (e.g. 2024-03-26T09:39:50Z)"
        );
        let e = parse_datetime("bad\u{0}\u{1b}\n").expect_err("not a date");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert!(e.contains("\\0") && e.contains("\\u{1b}"), "{e}");
        let e = parse_datetime("2024-02-30").expect_err("no such day");
        assert!(e.contains("no such day"), "{e}");
        let e = parse_datetime("0001-01-01T00:00:00+01:00").expect_err("before year 1");
        assert!(e.contains("outside"), "{e}");
        let e = parse_datetime("").expect_err("empty");
        assert!(e.contains("empty"), "{e}");
        let long = "x".repeat(10_000);
        let e = parse_datetime(&long).expect_err("garbage");
        assert!(e.len() < 200, "{}", e.len());
    }

    /// A tiny deterministic generator (Knuth's MMIX LCG) so tests need no extra crates.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 11
        }
    }

    #[test]
    fn datetime_round_trips_across_the_range() {
        let mut rng = Lcg(0x5eed);
        let span = u64::try_from(MAX_DATETIME_TICKS).expect("positive") + 1;
        let edges = [
            0,
            1,
            UNIX_EPOCH_TICKS,
            MAX_DATETIME_TICKS,
            MAX_DATETIME_TICKS - 1,
        ];
        let random = (0..5000).map(|_| i64::try_from(rng.next() % span).expect("in range"));
        for t in edges.into_iter().chain(random) {
            let text = format_datetime(t);
            assert_eq!(parse_datetime(&text), Ok(t), "{text}");
            let dt = to_chrono(t).expect("valid");
            assert_eq!(from_chrono(&dt), Some(t));
        }
    }

    #[test]
    fn garbage_never_panics() {
        let alphabet: Vec<char> = "0123456789-:/.,+ TZtzGMTSatNové\u{0}\u{1b}\u{2014}"
            .chars()
            .collect();
        let mut rng = Lcg(42);
        for _ in 0..20_000 {
            let len = usize::try_from(rng.next() % 30).expect("small");
            let text: String = (0..len)
                .filter_map(|_| alphabet.get(usize::try_from(rng.next()).ok()? % alphabet.len()))
                .collect();
            let _ = parse_datetime(&text);
            let _ = parse_timespan(&text);
        }
        // Every prefix of valid text, cut at each char boundary.
        let sample = "Saturday, 08-Nov-14 15:05:02.1234567 +02:00 é";
        for (i, _) in sample.char_indices() {
            let _ = parse_datetime(&sample[..i]);
            let _ = parse_timespan(&sample[..i]);
        }
    }

    #[test]
    fn formats_timespans() {
        assert_eq!(format_timespan(0), "00:00:00");
        assert_eq!(format_timespan(1), "00:00:00.0000001");
        assert_eq!(format_timespan(TICKS_PER_HOUR), "01:00:00");
        assert_eq!(format_timespan(-TICKS_PER_SECOND), "-00:00:01");
        let t = TICKS_PER_DAY
            + 2 * TICKS_PER_HOUR
            + 3 * TICKS_PER_MINUTE
            + 4 * TICKS_PER_SECOND
            + 5_000_000;
        assert_eq!(format_timespan(t), "1.02:03:04.5000000");
        assert_eq!(format_timespan(-t), "-1.02:03:04.5000000");
        assert_eq!(format_timespan(4 * TICKS_PER_DAY), "4.00:00:00");
        assert_eq!(format_timespan(25 * TICKS_PER_MINUTE), "00:25:00");
        assert_eq!(format_timespan(-1), "-00:00:00.0000001");
        assert_eq!(format_timespan(i64::MAX), "10675199.02:48:05.4775807");
        assert_eq!(format_timespan(i64::MIN), "-10675199.02:48:05.4775808");
    }

    fn span(text: &str) -> i64 {
        parse_timespan(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    #[test]
    fn parses_clock_timespans() {
        assert_eq!(span("0.00:03:00"), 3 * TICKS_PER_MINUTE);
        assert_eq!(span("00:01:00"), TICKS_PER_MINUTE);
        assert_eq!(span("00:00"), 0);
        assert_eq!(span("01:30"), 90 * TICKS_PER_MINUTE);
        let t = 12 * TICKS_PER_HOUR + 34 * TICKS_PER_MINUTE + 56 * TICKS_PER_SECOND + 7_000_000;
        assert_eq!(span("0.12:34:56.7"), t);
        let t = TICKS_PER_DAY
            + 2 * TICKS_PER_HOUR
            + 3 * TICKS_PER_MINUTE
            + 4 * TICKS_PER_SECOND
            + 5_000_000;
        assert_eq!(span("1.02:03:04.5"), t);
        assert_eq!(span("-1.02:03:04.5"), -t);
        assert_eq!(
            span("  1.02:03  "),
            TICKS_PER_DAY + 2 * TICKS_PER_HOUR + 3 * TICKS_PER_MINUTE
        );
        assert_eq!(span("48:00:00"), 2 * TICKS_PER_DAY);
        assert_eq!(span("00:00:00.123456789"), 1_234_567);
        assert_eq!(span("-00:00:01"), -TICKS_PER_SECOND);
        assert_eq!(span("10675199.02:48:05.4775807"), i64::MAX);
        assert_eq!(span("-10675199.02:48:05.4775808"), i64::MIN);
    }

    #[test]
    fn rejects_bad_clock_timespans() {
        let out_of_range = Err(OUT_OF_RANGE.to_string());
        assert_eq!(parse_timespan("99999999999999:00:00"), out_of_range);
        assert_eq!(parse_timespan("10675199.02:48:05.4775808"), out_of_range);
        assert_eq!(
            parse_timespan("99999999999999999999999999999999999999999:00"),
            out_of_range
        );
        assert_eq!(
            parse_timespan("99999999999999999999999999999999999999999.00:00"),
            out_of_range
        );
        for bad in [
            "1.24:00:00",
            "00:60:00",
            "00:00:60",
            "1:2:3:4",
            ":",
            "00:",
            ":00",
            "a:00",
            "00:00:00.",
            "1.:00",
            ".1:00",
            "00: 01",
            "+00:01",
            "--00:01",
            "00:00:00.5x",
        ] {
            assert!(parse_timespan(bad).is_err(), "{bad:?} should be refused");
        }
        let e = parse_timespan("00:61:00").expect_err("bad minutes");
        assert!(e.contains("minutes"), "{e}");
    }

    #[test]
    fn parses_numbers_and_units() {
        assert_eq!(span("2"), 2 * TICKS_PER_DAY);
        assert_eq!(span("1.5"), TICKS_PER_DAY * 3 / 2);
        assert_eq!(span("15 seconds"), 15 * TICKS_PER_SECOND);
        assert_eq!(span("7d"), 7 * TICKS_PER_DAY);
        assert_eq!(span("25min"), 25 * TICKS_PER_MINUTE);
        assert_eq!(span("1.5h"), 90 * TICKS_PER_MINUTE);
        assert_eq!(span("2 days"), 2 * TICKS_PER_DAY);
        assert_eq!(span("-30m"), -30 * TICKS_PER_MINUTE);
        assert_eq!(span(" -100ms "), -100 * TICKS_PER_MILLISECOND);
        assert_eq!(span("1tick"), 1);
        assert_eq!(span("0"), 0);
        assert_eq!(
            parse_timespan("99999999999999999d"),
            Err(OUT_OF_RANGE.to_string())
        );
        assert_eq!(
            parse_timespan("99999999999999999"),
            Err(OUT_OF_RANGE.to_string())
        );
        for bad in [
            "", "-", "d", "1w", "1 week", "1.d", ".5d", "1D", "1 d d", "1e3s", "one day",
        ] {
            assert!(parse_timespan(bad).is_err(), "{bad:?} should be refused");
        }
        let e = parse_timespan("3w").expect_err("weeks");
        assert!(e.contains("unknown unit 'w'"), "{e}");
    }

    #[test]
    fn timespan_round_trips() {
        let mut rng = Lcg(7);
        let edges = [0, 1, -1, i64::MAX, i64::MIN, TICKS_PER_DAY, -TICKS_PER_DAY];
        let random = (0..3000).map(|_| rng.next().wrapping_mul(0x9e37_79b9) as i64);
        for t in edges.into_iter().chain(random) {
            let text = format_timespan(t);
            assert_eq!(parse_timespan(&text), Ok(t), "{text}");
        }
    }

    #[test]
    fn units() {
        let cases: [(&str, &str, i64); 30] = [
            ("7", "d", 7 * TICKS_PER_DAY),
            ("1", "day", TICKS_PER_DAY),
            ("2", "days", 2 * TICKS_PER_DAY),
            ("1.5", "h", 90 * TICKS_PER_MINUTE),
            ("1", "hr", TICKS_PER_HOUR),
            ("2", "hrs", 2 * TICKS_PER_HOUR),
            ("1", "hour", TICKS_PER_HOUR),
            ("3", "hours", 3 * TICKS_PER_HOUR),
            ("30", "m", 30 * TICKS_PER_MINUTE),
            ("25", "min", 25 * TICKS_PER_MINUTE),
            ("1", "minute", TICKS_PER_MINUTE),
            ("2", "minutes", 2 * TICKS_PER_MINUTE),
            ("10", "s", 10 * TICKS_PER_SECOND),
            ("1", "sec", TICKS_PER_SECOND),
            ("1", "second", TICKS_PER_SECOND),
            ("15", "seconds", 15 * TICKS_PER_SECOND),
            ("100", "ms", 100 * TICKS_PER_MILLISECOND),
            ("1", "milli", TICKS_PER_MILLISECOND),
            ("2", "millis", 2 * TICKS_PER_MILLISECOND),
            ("1", "millisecond", TICKS_PER_MILLISECOND),
            ("2", "milliseconds", 2 * TICKS_PER_MILLISECOND),
            ("10", "microsecond", 10 * TICKS_PER_MICROSECOND),
            ("2", "microseconds", 2 * TICKS_PER_MICROSECOND),
            ("1", "tick", 1),
            ("5", "ticks", 5),
            ("1.5", "tick", 1),
            ("0.5", "microsecond", 5),
            ("0.0000001", "s", 1),
            ("0.00000019", "s", 1),
            // Just under 1/3 day: truncated, never rounded up to 288000000000.
            ("0.3333333333333333333333", "d", 287_999_999_999),
        ];
        for (number, unit, want) in cases {
            assert_eq!(
                unit_to_ticks(number, unit),
                Some(Ok(want)),
                "{number}{unit}"
            );
        }
        assert_eq!(unit_to_ticks("1", "w"), None);
        assert_eq!(unit_to_ticks("1", "D"), None);
        assert_eq!(unit_to_ticks("1", "Hours"), None);
        assert_eq!(unit_to_ticks("1", ""), None);
        let overflow = Some(Err(OUT_OF_RANGE.to_string()));
        assert_eq!(unit_to_ticks("99999999999999999", "d"), overflow);
        assert_eq!(unit_to_ticks("9223372036854775808", "tick"), overflow);
        assert_eq!(
            unit_to_ticks("9223372036854775807", "tick"),
            Some(Ok(i64::MAX))
        );
        assert!(matches!(unit_to_ticks("abc", "d"), Some(Err(_))));
        assert!(matches!(unit_to_ticks("1.", "d"), Some(Err(_))));
        assert!(matches!(unit_to_ticks("-1", "d"), Some(Err(_))));
    }

    #[test]
    fn formats_reals() {
        let cases = [
            (1.0, "1"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (123_456_789_012_345.0, "123456789012345"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e15, "1E+15"),
            (1.2345678901234568e20, "1.2345678901234568E+20"),
            (1e-5, "1E-05"),
            (2.5e-7, "2.5E-07"),
            (f64::MAX, "1.7976931348623157E+308"),
            (5e-324, "5E-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (-0.0, "-0"),
            (0.0, "0"),
            (-1.5, "-1.5"),
            (-1e-5, "-1E-05"),
            (100.0, "100"),
            (1e14, "100000000000000"),
            (0.00012, "0.00012"),
            (12.25, "12.25"),
            (1e100, "1E+100"),
        ];
        for (value, want) in cases {
            assert_eq!(format_real(value), want, "{value:?}");
        }
    }
}
