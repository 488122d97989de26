//! KQL behaviour that DataFusion has no function for: term matching (`has` and friends),
//! dynamic (JSON) values, which the engine holds as JSON text, KQL's text for values, and
//! datetime/timespan parsing. Each function is a small `ScalarUDFImpl`, tested alone.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Int64Builder, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::results::KqlType;

// ---- term matching ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermMode {
    /// The needle is a whole term (or a run of terms).
    Whole,
    /// A term starts with the needle.
    Prefix,
    /// A term ends with the needle.
    Suffix,
}

/// Whether `haystack` contains `needle` on KQL term boundaries. Terms are maximal runs of
/// alphanumeric characters; a boundary is only required where the needle's own edge is
/// alphanumeric, so `has "cmd.exe"` matches `C:\Windows\cmd.exe` and `has ".exe"` matches too.
pub fn term_match(haystack: &str, needle: &str, mode: TermMode, case_sensitive: bool) -> bool {
    if needle.is_empty() {
        return false;
    }
    if !(case_sensitive || haystack.is_ascii() && needle.is_ascii()) {
        return term_match(&haystack.to_lowercase(), &needle.to_lowercase(), mode, true);
    }
    let hay = haystack.as_bytes();
    let pat = needle.as_bytes();
    if pat.len() > hay.len() {
        return false;
    }
    let needs_start = mode != TermMode::Suffix && is_term_char_at_start(needle);
    let needs_end = mode != TermMode::Prefix && is_term_char_at_end(needle);
    let first = pat[0];
    let mut at = 0;
    while at + pat.len() <= hay.len() {
        let candidate = &hay[at..at + pat.len()];
        let starts_alike = if case_sensitive {
            hay[at] == first
        } else {
            hay[at].eq_ignore_ascii_case(&first)
        };
        if starts_alike
            && (if case_sensitive {
                candidate == pat
            } else {
                candidate.eq_ignore_ascii_case(pat)
            })
        {
            let start_ok = !needs_start || at == 0 || !is_term_char_before(haystack, at);
            let end = at + pat.len();
            let end_ok = !needs_end || end == hay.len() || !is_term_char_after(haystack, end);
            if start_ok && end_ok {
                return true;
            }
        }
        at += 1;
        while at < hay.len() && !haystack.is_char_boundary(at) {
            at += 1;
        }
    }
    false
}

fn is_term_char_at_start(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_alphanumeric)
}

fn is_term_char_at_end(text: &str) -> bool {
    text.chars().next_back().is_some_and(char::is_alphanumeric)
}

fn is_term_char_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

fn is_term_char_after(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_some_and(char::is_alphanumeric)
}

/// `has`, `hasprefix`, `hassuffix` and their `_cs` forms: (text, needle) → bool.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TermMatchUdf {
    name: String,
    mode: TermMode,
    case_sensitive: bool,
    signature: Signature,
}

impl TermMatchUdf {
    /// The function, ready to call in a plan.
    pub fn udf(mode: TermMode, case_sensitive: bool) -> ScalarUDF {
        let base = match mode {
            TermMode::Whole => "has",
            TermMode::Prefix => "hasprefix",
            TermMode::Suffix => "hassuffix",
        };
        let name = format!("kql_{base}{}", if case_sensitive { "_cs" } else { "" });
        ScalarUDF::from(TermMatchUdf {
            name,
            mode,
            case_sensitive,
            signature: Signature::any(2, Volatility::Immutable),
        })
    }
}

/// Arguments as UTF-8 arrays, or a single string when the argument is a constant. A
/// `Utf8View` array (Parquet text as scanned) is read where it lies.
pub(crate) enum Text {
    Array(datafusion::arrow::array::StringArray),
    Views(datafusion::arrow::array::StringViewArray),
    Constant(Option<String>),
}

pub(crate) fn text_arg(value: &ColumnarValue) -> Result<Text> {
    Ok(match value {
        ColumnarValue::Scalar(scalar) => Text::Constant(match scalar {
            ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => {
                s.clone()
            }
            other if other.is_null() => None,
            other => Some(other.to_string()),
        }),
        ColumnarValue::Array(array) => match array.data_type() {
            DataType::Utf8View => Text::Views(array.as_string_view().clone()),
            DataType::Utf8 => Text::Array(array.as_string::<i32>().clone()),
            _ => Text::Array(cast(array, &DataType::Utf8)?.as_string::<i32>().clone()),
        },
    })
}

/// Row `i` of a text argument.
pub(crate) fn text_at(text: &Text, row: usize) -> Option<&str> {
    match text {
        Text::Constant(value) => value.as_deref(),
        Text::Array(strings) => (!strings.is_null(row)).then(|| strings.value(row)),
        Text::Views(views) => (!views.is_null(row)).then(|| views.value(row)),
    }
}

impl ScalarUDFImpl for TermMatchUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [haystack, needle] = args.args.as_slice() else {
            return exec_err!("{} takes two arguments", self.name);
        };
        let (haystack, needle) = (text_arg(haystack)?, text_arg(needle)?);
        let rows = args.number_rows;
        let mut out = BooleanBuilder::with_capacity(rows);
        for row in 0..rows {
            // KQL strings have no null: a missing string is empty and matches nothing.
            let hay = text_at(&haystack, row).unwrap_or("");
            let pat = text_at(&needle, row).unwrap_or("");
            out.append_value(term_match(hay, pat, self.mode, self.case_sensitive));
        }
        let array: BooleanArray = out.finish();
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

/// `contains` (case-insensitive) of a constant needle: (text) → bool, null for a null text.
/// Answers as DataFusion's `ILIKE '%needle%'` did (a case-insensitive regular expression of the
/// literal, Unicode's simple case folding), without that kernel's pass over every byte of the
/// column to see whether it is ASCII, which decides nothing for this pattern. Source: the KQL
/// string operators page (`contains`: "RHS occurs as a subsequence of LHS", case-insensitive),
/// learn.microsoft.com/kusto/query/datatypes-string-operators.
///
/// An ASCII needle is searched with Aho-Corasick's ASCII case folding, in time linear in the
/// text whatever the needle's length (a regular expression of a 5,000-character needle took
/// seconds per few hundred rows). Simple case folding relates only two non-ASCII characters to
/// ASCII letters (U+212A KELVIN SIGN to `k`, U+017F LONG S to `s`): where the needle has those
/// letters and a text that was not found is not ASCII, the regular expression decides.
#[derive(Debug)]
pub struct ContainsUdf {
    needle: String,
    /// For an ASCII needle.
    finder: Option<aho_corasick::AhoCorasick>,
    /// For a needle that is not ASCII, or whose `k` or `s` a non-ASCII text may match.
    matcher: Option<regex::Regex>,
    signature: Signature,
}

impl ContainsUdf {
    /// The function for `needle`. Errors: a needle too long for the matchers' size limits, with
    /// their message.
    pub fn udf(needle: &str) -> Result<ScalarUDF> {
        let plan_error = |e: String| datafusion::error::DataFusionError::Plan(e);
        let finder = if needle.is_ascii() {
            Some(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build([needle])
                    .map_err(|e| plan_error(e.to_string()))?,
            )
        } else {
            None
        };
        let folds = needle
            .bytes()
            .any(|b| matches!(b, b'k' | b'K' | b's' | b'S'));
        let matcher = if finder.is_none() || folds {
            Some(
                regex::RegexBuilder::new(&regex::escape(needle))
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| plan_error(e.to_string()))?,
            )
        } else {
            None
        };
        Ok(ScalarUDF::from(ContainsUdf {
            needle: needle.to_string(),
            finder,
            matcher,
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }

    fn matches(&self, text: &str) -> bool {
        if let Some(finder) = &self.finder {
            if finder.is_match(text) {
                return true;
            }
            if text.is_ascii() {
                return false;
            }
        }
        self.matcher.as_ref().is_some_and(|m| m.is_match(text))
    }
}

// The matcher is made from the needle: equal needles, equal functions.
impl PartialEq for ContainsUdf {
    fn eq(&self, other: &Self) -> bool {
        self.needle == other.needle
    }
}

impl Eq for ContainsUdf {}

impl std::hash::Hash for ContainsUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.needle.hash(state);
    }
}

impl ScalarUDFImpl for ContainsUdf {
    fn name(&self) -> &str {
        "kql_contains"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [haystack] = args.args.as_slice() else {
            return exec_err!("kql_contains takes one argument");
        };
        let haystack = text_arg(haystack)?;
        if let Text::Constant(text) = &haystack {
            let found = text.as_deref().map(|t| self.matches(t));
            return Ok(ColumnarValue::Scalar(ScalarValue::Boolean(found)));
        }
        let found: BooleanArray = (0..args.number_rows)
            .map(|row| text_at(&haystack, row).map(|t| self.matches(t)))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(found)))
    }
}

/// `has_any` / `has_all` (and `_cs`) over a constant list of terms: one pass per row instead of
/// one `has` per term. Needles that are one whole term (letters and digits only) are looked up
/// among the row's terms in a set; other needles (`cmd.exe`) are matched as `has` would.
#[derive(Debug)]
pub struct TermSetUdf {
    /// Single-term needles (lower-cased unless case-sensitive), sorted and unique.
    words: Vec<String>,
    /// All `words` at once, when they are ASCII: an ASCII row is searched for them in one pass
    /// (SIMD-accelerated), and a row without any of them is done with at once.
    finder: Option<aho_corasick::AhoCorasick>,
    /// Needles with other characters in them.
    phrases: Vec<String>,
    all: bool,
    case_sensitive: bool,
    signature: Signature,
}

impl TermSetUdf {
    /// `all` is `has_all`; otherwise `has_any`. Empty needles never match.
    pub fn udf(needles: &[String], all: bool, case_sensitive: bool) -> ScalarUDF {
        ScalarUDF::from(TermSetUdf::new(needles, all, case_sensitive))
    }

    fn new(needles: &[String], all: bool, case_sensitive: bool) -> TermSetUdf {
        let fold = |n: &str| {
            if case_sensitive {
                n.to_string()
            } else {
                n.to_lowercase()
            }
        };
        let mut words: Vec<String> = needles
            .iter()
            .filter(|n| !n.is_empty() && n.chars().all(char::is_alphanumeric))
            .map(|n| fold(n))
            .collect();
        words.sort();
        words.dedup();
        let phrases = needles
            .iter()
            .filter(|n| !n.is_empty() && !n.chars().all(char::is_alphanumeric))
            .cloned()
            .collect();
        let finder = if !words.is_empty() && words.iter().all(|w| w.is_ascii()) {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(!case_sensitive)
                .build(&words)
                .ok()
        } else {
            None
        };
        TermSetUdf {
            words,
            finder,
            phrases,
            all,
            case_sensitive,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    fn matches(&self, haystack: &str) -> bool {
        let phrase = |p: &String| term_match(haystack, p, TermMode::Whole, self.case_sensitive);
        // An ASCII row: a word is a term where it stands between non-alphanumeric bytes. (A
        // non-ASCII row takes the general path: Unicode lower-casing can make ASCII letters.)
        if let Some(finder) = &self.finder
            && haystack.is_ascii()
        {
            let bytes = haystack.as_bytes();
            let whole = |m: &aho_corasick::Match| {
                (m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric())
                    && bytes
                        .get(m.end())
                        .is_none_or(|b| !b.is_ascii_alphanumeric())
            };
            if !self.all {
                return finder.find_overlapping_iter(haystack).any(|m| whole(&m))
                    || self.phrases.iter().any(phrase);
            }
            let mut found = vec![false; self.words.len()];
            for m in finder.find_overlapping_iter(haystack) {
                if whole(&m) {
                    found[m.pattern().as_usize()] = true;
                }
            }
            return found.iter().all(|f| *f) && self.phrases.iter().all(phrase);
        }
        let folded;
        let text = if self.case_sensitive {
            haystack
        } else {
            folded = haystack.to_lowercase();
            folded.as_str()
        };
        let mut found = vec![false; self.words.len()];
        for term in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
        {
            if let Ok(at) = self.words.binary_search_by(|w| w.as_str().cmp(term)) {
                if !self.all {
                    return true;
                }
                found[at] = true;
            }
        }
        if self.all {
            found.iter().all(|f| *f) && self.phrases.iter().all(phrase)
        } else {
            self.phrases.iter().any(phrase)
        }
    }
}

// The finder is made from the words: equal words, equal functions.
impl PartialEq for TermSetUdf {
    fn eq(&self, other: &Self) -> bool {
        (&self.words, &self.phrases, self.all, self.case_sensitive)
            == (
                &other.words,
                &other.phrases,
                other.all,
                other.case_sensitive,
            )
    }
}

impl Eq for TermSetUdf {}

impl std::hash::Hash for TermSetUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.words, &self.phrases, self.all, self.case_sensitive).hash(state);
    }
}

impl ScalarUDFImpl for TermSetUdf {
    fn name(&self) -> &str {
        match (self.all, self.case_sensitive) {
            (false, false) => "kql_has_any",
            (false, true) => "kql_has_any_cs",
            (true, false) => "kql_has_all",
            (true, true) => "kql_has_all_cs",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = text_arg(&args.args[0])?;
        let mut out = BooleanBuilder::with_capacity(args.number_rows);
        for row in 0..args.number_rows {
            // A missing string is "": it has no terms.
            out.append_value(self.matches(text_at(&input, row).unwrap_or("")));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

// ---- dynamic values ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DynamicOp {
    /// `parse_json(text)`: valid JSON becomes that value; anything else a JSON string.
    Parse,
    /// `d.key` / `d["key"]`: (json, key) → json, null when missing.
    Get,
    /// `tostring(d.key)`: (json, key) → the text `ToText` gives of what `Get` gives, without
    /// building the member's JSON first.
    GetText,
    /// `d[i]`: (json, index) → json; negative indexes count from the end.
    Index,
    /// `tostring(d)`: a JSON string without its quotes, other values as compact JSON.
    ToText,
    /// `array_length(d)`: null when not an array.
    ArrayLength,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DynamicUdf {
    op: DynamicOp,
    signature: Signature,
}

impl DynamicUdf {
    /// The function, ready to call in a plan.
    pub fn udf(op: DynamicOp) -> ScalarUDF {
        let arity = match op {
            DynamicOp::Get | DynamicOp::GetText | DynamicOp::Index => 2,
            _ => 1,
        };
        ScalarUDF::from(DynamicUdf {
            op,
            signature: Signature::any(arity, Volatility::Immutable),
        })
    }
}

fn parse_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

impl ScalarUDFImpl for DynamicUdf {
    fn name(&self) -> &str {
        match self.op {
            DynamicOp::Parse => "kql_parse_json",
            DynamicOp::Get => "kql_dynamic_get",
            DynamicOp::GetText => "kql_dynamic_get_text",
            DynamicOp::Index => "kql_dynamic_index",
            DynamicOp::ToText => "kql_dynamic_to_string",
            DynamicOp::ArrayLength => "kql_array_length",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.op == DynamicOp::ArrayLength {
            DataType::Int64
        } else {
            DataType::Utf8
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = text_arg(&args.args[0])?;
        let second = match args.args.get(1) {
            Some(arg) => Some(text_arg(arg)?),
            None => None,
        };
        if self.op == DynamicOp::ArrayLength {
            let mut out = Int64Builder::with_capacity(rows);
            for row in 0..rows {
                match text_at(&input, row).map(parse_value) {
                    Some(serde_json::Value::Array(items)) => out.append_value(items.len() as i64),
                    _ => out.append_null(),
                }
            }
            return Ok(ColumnarValue::Array(Arc::new(out.finish())));
        }
        let mut out = StringBuilder::with_capacity(rows, rows * 16);
        for row in 0..rows {
            let Some(text) = text_at(&input, row) else {
                if matches!(self.op, DynamicOp::ToText | DynamicOp::GetText) {
                    out.append_value("");
                } else {
                    out.append_null();
                }
                continue;
            };
            match self.op {
                DynamicOp::Parse => out.append_value(parse_value(text).to_string()),
                DynamicOp::Get => {
                    let key = second.as_ref().and_then(|k| text_at(k, row));
                    match key.and_then(|key| member(text, key)) {
                        Some(value) => out.append_value(&*value),
                        None => out.append_null(),
                    }
                }
                DynamicOp::GetText => match second.as_ref().and_then(|k| text_at(k, row)) {
                    Some(key) => append_member_text(&mut out, text, key),
                    None => out.append_value(""),
                },
                DynamicOp::Index => {
                    let key = second.as_ref().and_then(|k| text_at(k, row));
                    let value = serde_json::from_str::<serde_json::Value>(text).ok();
                    let found = match (value, key) {
                        (Some(serde_json::Value::Array(items)), Some(index)) => {
                            index.parse::<i64>().ok().and_then(|i| {
                                let i = if i < 0 { items.len() as i64 + i } else { i };
                                usize::try_from(i).ok().and_then(|i| items.get(i).cloned())
                            })
                        }
                        _ => None,
                    };
                    match found {
                        Some(serde_json::Value::Null) | None => out.append_null(),
                        Some(value) => out.append_value(value.to_string()),
                    }
                }
                DynamicOp::ToText => append_json_text(&mut out, text),
                DynamicOp::ArrayLength => unreachable!("handled above"),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Whether `text` holds a backslash (a JSON escape). Member values are short, and a plain loop
/// is faster than `memchr`'s setup for them (q_h: 631 → 580 ms).
fn has_backslash(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 64 {
        bytes.iter().fold(false, |seen, &b| seen | (b == b'\\'))
    } else {
        bytes.contains(&b'\\')
    }
}

/// `tostring()` of a dynamic value's JSON text: a JSON string is its text without the quotes,
/// null is `""`, other values are compact JSON, and text that is not JSON is itself.
fn append_json_text(out: &mut StringBuilder, text: &str) {
    // A plain JSON string (no escapes) is its text without the quotes.
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') && !has_backslash(text) {
        out.append_value(&text[1..text.len() - 1]);
        return;
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::String(s)) => out.append_value(s),
        Ok(serde_json::Value::Null) => out.append_value(""),
        Ok(other) => out.append_value(other.to_string()),
        Err(_) => out.append_value(text),
    }
}

/// `tostring(d.key)`: the text `append_json_text` gives of [`member`]'s value, from one scan. A
/// string the flat scan read to its end has no escapes: its text is what lies between the
/// quotes.
fn append_member_text(out: &mut StringBuilder, text: &str, key: &str) {
    let value = match flat_member(text, key) {
        Flat::Found(raw) if raw.len() >= 2 && raw.starts_with('"') => {
            out.append_value(&raw[1..raw.len() - 1]);
            return;
        }
        Flat::Found(raw) => compact_member(raw),
        Flat::Absent => None,
        Flat::Unsure => parsed_member(text, key),
    };
    match value {
        Some(value) => append_json_text(out, &value),
        None => out.append_value(""),
    }
}

/// `d.key` over a dynamic value's JSON text: the value of `key` (the last one, when a key repeats,
/// as a parsed object keeps it) as compact JSON, or `None` when the text is not a JSON object,
/// lacks the key, or holds null there. The object is read without building it: other members
/// are skipped, and the found value is copied as it is written when that is already its compact
/// form (a string without escapes, an integer, true, false), else re-written compactly.
pub(crate) fn member<'t>(text: &'t str, key: &str) -> Option<std::borrow::Cow<'t, str>> {
    match flat_member(text, key) {
        // The flat scan read the string to its end: it holds no backslash.
        Flat::Found(raw) if raw.starts_with('"') => Some(std::borrow::Cow::Borrowed(raw)),
        Flat::Found(raw) => compact_member(raw),
        Flat::Absent => None,
        Flat::Unsure => parsed_member(text, key),
    }
}

/// What [`flat_member`] found out.
#[derive(Debug, PartialEq)]
enum Flat<'t> {
    /// The text is a valid JSON object and this is the key's (last) value, as written.
    Found(&'t str),
    /// The text is a valid JSON object without the key.
    Absent,
    /// The text is not a flat object without escapes: the full reader decides.
    Unsure,
}

/// JSON's whitespace (RFC 8259 §2), which is all serde_json skips.
fn json_space(b: &[u8], mut at: usize) -> usize {
    while matches!(b.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The string token starting at `at` (a `"`): its contents and the index after it; `None`
/// when unterminated, escaped (a backslash: left to the full reader) or holding a control
/// character, which JSON forbids unescaped. One pass over the bytes.
fn flat_string(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let rest = b.get(at + 1..)?;
    // The closing quote or a backslash by SIMD search, then the control characters before it
    // in a loop without early exit, which the compiler vectorises.
    let length = memchr::memchr2(b'"', b'\\', rest)?;
    let contents = &rest[..length];
    let control = contents.iter().fold(false, |seen, c| seen | (*c < 0x20));
    (rest[length] == b'"' && !control).then_some((contents, at + length + 2))
}

/// The end of the number token at `at`, by JSON's grammar:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn flat_number(b: &[u8], mut at: usize) -> Option<usize> {
    let digits = |at: usize| b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(at) == Some(&b'-') {
        at += 1;
    }
    match b.get(at) {
        Some(b'0') => at += 1,
        Some(b'1'..=b'9') => at += digits(at),
        _ => return None,
    }
    if b.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    if matches!(b.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(b.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return None;
        }
        at += n;
    }
    Some(at)
}

/// The end of the scalar value (string, number, true, false, null) at `at`; `None` for
/// anything else (an object or array inside is left to the full reader).
fn flat_value(b: &[u8], at: usize) -> Option<usize> {
    let word = |w: &[u8]| b[at..].starts_with(w).then_some(at + w.len());
    match b.get(at)? {
        b'"' => flat_string(b, at).map(|(_, end)| end),
        b't' => word(b"true"),
        b'f' => word(b"false"),
        b'n' => word(b"null"),
        b'-' | b'0'..=b'9' => flat_number(b, at),
        _ => None,
    }
}

/// `key`'s value in a flat JSON object written without escapes — what dynamic columns such as
/// AdditionalFields mostly hold — read by a scan of the bytes, several times faster than the
/// general reader. It answers only when it is sure (a whole valid object, every value a
/// scalar); anything else is [`Flat::Unsure`], for [`parsed_member`].
fn flat_member<'t>(text: &'t str, key: &str) -> Flat<'t> {
    // A backslash outside a string is invalid JSON, and inside one flat_string gives up.
    let b = text.as_bytes();
    let mut at = json_space(b, 0);
    if b.get(at) != Some(&b'{') {
        return Flat::Unsure;
    }
    at = json_space(b, at + 1);
    let mut found = None;
    if b.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            let Some((name, after)) = flat_string(b, at) else {
                return Flat::Unsure;
            };
            at = json_space(b, after);
            if b.get(at) != Some(&b':') {
                return Flat::Unsure;
            }
            let start = json_space(b, at + 1);
            let Some(end) = flat_value(b, start) else {
                return Flat::Unsure;
            };
            if name == key.as_bytes() {
                found = Some(&text[start..end]);
            }
            at = json_space(b, end);
            match b.get(at) {
                Some(b',') => at = json_space(b, at + 1),
                Some(b'}') => {
                    at += 1;
                    break;
                }
                _ => return Flat::Unsure,
            }
        }
    }
    if json_space(b, at) != b.len() {
        return Flat::Unsure;
    }
    found.map_or(Flat::Absent, Flat::Found)
}

/// A member's value as written (`raw`) in its compact form: copied as it is when already
/// compact (a string without escapes, an integer, true, false), else re-written; `None` for
/// null.
fn compact_member(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    let compact = match raw.as_bytes().first() {
        Some(b'"') => !has_backslash(raw),
        Some(b't' | b'f') => true,
        Some(b'n') => return None,
        Some(_) => raw.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
        None => return None,
    };
    if compact {
        Some(std::borrow::Cow::Borrowed(raw))
    } else {
        serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .map(|value| std::borrow::Cow::Owned(value.to_string()))
    }
}

/// [`member`] by serde_json's reader, which skips the other members without building them.
fn parsed_member<'t>(text: &'t str, key: &str) -> Option<std::borrow::Cow<'t, str>> {
    use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, Visitor};
    use serde_json::value::RawValue;

    struct KeyIs<'k>(&'k str);
    impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl<'de> Visitor<'de> for KeyIs<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E>(self, v: &str) -> Result<bool, E> {
            Ok(v == self.0)
        }
    }
    struct Find<'k>(&'k str);
    impl<'de> Visitor<'de> for Find<'_> {
        type Value = Option<&'de RawValue>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(is_key) = map.next_key_seed(KeyIs(self.0))? {
                if is_key {
                    found = Some(map.next_value::<&'de RawValue>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let mut reader = serde_json::Deserializer::from_str(text);
    let found = reader.deserialize_map(Find(key)).ok()?;
    reader.end().ok()?;
    compact_member(found?.get())
}

/// Turns what `make_set`/`make_list` aggregate (an Arrow list) into a dynamic array's JSON
/// text. Items are read by their KQL type, so dynamic items are JSON values (not strings of
/// JSON) and datetimes read as KQL datetimes. `make_set` also spreads array items into the set
/// (make-set-aggregation-function.md, "Set from array column") and keeps each value once; both
/// stop at `max_size` items. A group with no values gives `[]` (the summarize page's defaults).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ListToJsonUdf {
    item: KqlType,
    set: bool,
    max_size: usize,
    /// `make_list_with_nulls`: nulls are kept as JSON nulls.
    keep_nulls: bool,
    signature: Signature,
}

impl ListToJsonUdf {
    /// The function, ready to call in a plan.
    pub fn udf(item: KqlType, set: bool, max_size: usize) -> ScalarUDF {
        ScalarUDF::from(ListToJsonUdf {
            item,
            set,
            max_size,
            keep_nulls: false,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    /// `make_list_with_nulls` (make-list-with-nulls-aggregation-function.md).
    pub fn with_nulls(item: KqlType, max_size: usize) -> ScalarUDF {
        ScalarUDF::from(ListToJsonUdf {
            item,
            set: false,
            max_size,
            keep_nulls: true,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    /// The JSON array for one group's values.
    fn array_of(&self, items: &dyn Array) -> serde_json::Value {
        let mut out: Vec<serde_json::Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..items.len() {
            if out.len() >= self.max_size {
                break;
            }
            let value = crate::results::format::cell_json(items, i, self.item);
            let spread = match value {
                serde_json::Value::Null if !self.keep_nulls => continue,
                serde_json::Value::Array(inner) if self.set && self.item == KqlType::Dynamic => {
                    inner
                }
                other => vec![other],
            };
            for value in spread {
                if out.len() >= self.max_size {
                    break;
                }
                if !self.set || seen.insert(value.to_string()) {
                    out.push(value);
                }
            }
        }
        serde_json::Value::Array(out)
    }
}

impl ScalarUDFImpl for ListToJsonUdf {
    fn name(&self) -> &str {
        if self.set {
            "kql_make_set"
        } else {
            "kql_make_list"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let DataType::List(_) = array.data_type() else {
            return exec_err!("{} expects a list, got {}", self.name(), array.data_type());
        };
        let list = array.as_list::<i32>();
        let mut out = StringBuilder::with_capacity(list.len(), list.len() * 32);
        for row in 0..list.len() {
            if list.is_null(row) {
                out.append_value("[]");
                continue;
            }
            let json = self.array_of(list.value(row).as_ref()).to_string();
            if let Err(message) = crate::engine::functions::append_text(&mut out, &json) {
                return exec_err!("{}: {message}", self.name());
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

// ---- KQL text and time values -------------------------------------------------------------------

/// `tostring()` (and `strcat()`): a value of one KQL type → its KQL text, `""` for null
/// (tostring-function.md). The text comes from `results::format`, the conversion the grid,
/// CSV and JSON use. A string column without nulls passes through untouched.
///
/// A UDF rather than `coalesce(cast(x), '')`: DataFusion rewrites `coalesce` into a `CASE` that
/// repeats its argument, so nested conversions would grow exponentially.
///
/// A `Utf8View` string (a Parquet column as scanned) becomes `Utf8`, or stays a view in the
/// variant [`KqlTextUdf::view_udf`], which a group-by over the column uses.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct KqlTextUdf {
    ty: KqlType,
    name: String,
    signature: Signature,
    keep_view: bool,
}

impl KqlTextUdf {
    /// The function, ready to call in a plan.
    pub fn udf(ty: KqlType) -> ScalarUDF {
        ScalarUDF::from(KqlTextUdf {
            ty,
            name: format!("kql_tostring_{}", ty.kql_name()),
            signature: Signature::any(1, Volatility::Immutable),
            keep_view: false,
        })
    }

    /// Whether this is `kql_tostring_string` answering `Utf8` (not the view variant).
    pub fn is_string_to_text(&self) -> bool {
        self.ty == KqlType::String && !self.keep_view
    }

    /// `kql_tostring_string` of a `Utf8View` string that answers a `Utf8View`: nulls become `""`
    /// and the other values are not copied.
    pub fn view_udf() -> ScalarUDF {
        ScalarUDF::from(KqlTextUdf {
            ty: KqlType::String,
            name: "kql_tostring_string_view".to_string(),
            signature: Signature::exact(vec![DataType::Utf8View], Volatility::Immutable),
            keep_view: true,
        })
    }
}

/// A view array with every null made `""`: a zero view is the empty inline string.
fn views_without_nulls(array: &ArrayRef) -> Result<ArrayRef> {
    let views = array.as_string_view();
    let Some(nulls) = views.nulls() else {
        return Ok(array.clone());
    };
    let cleared: Vec<u128> = views
        .views()
        .iter()
        .enumerate()
        .map(|(row, view)| if nulls.is_valid(row) { *view } else { 0 })
        .collect();
    let out = datafusion::arrow::array::StringViewArray::try_new(
        cleared.into(),
        views.data_buffers().to_vec(),
        None,
    )?;
    Ok(Arc::new(out))
}

impl ScalarUDFImpl for KqlTextUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.keep_view {
            DataType::Utf8View
        } else {
            DataType::Utf8
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let mut array = args.args[0].to_array(args.number_rows)?;
        if self.keep_view {
            if array.data_type() != &DataType::Utf8View {
                array = cast(&array, &DataType::Utf8View)?;
            }
            return Ok(ColumnarValue::Array(views_without_nulls(&array)?));
        }
        // Text of other layouts (views, large offsets, a Parquet dictionary) as plain Utf8.
        if self.ty == KqlType::String
            && matches!(
                array.data_type(),
                DataType::Utf8View | DataType::LargeUtf8 | DataType::Dictionary(..)
            )
        {
            array = cast(&array, &DataType::Utf8)?;
        }
        if array.data_type() == &DataType::Utf8 && array.null_count() == 0 {
            return Ok(ColumnarValue::Array(array));
        }
        let mut out = StringBuilder::with_capacity(array.len(), array.len() * 24);
        for row in 0..array.len() {
            let text = crate::results::format::cell_text(array.as_ref(), row, self.ty);
            out.append_value(text.unwrap_or_default());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// KQL's `coalesce(a, b, …)`: the first argument that is not null — nor empty, for strings
/// (coalesce-function.md). All arguments have one Arrow type (the planner casts them).
///
/// A UDF rather than DataFusion's `coalesce`, which is rewritten into a `CASE` that repeats its
/// arguments: nested calls would grow exponentially.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CoalesceUdf {
    skip_empty: bool,
    signature: Signature,
}

impl CoalesceUdf {
    /// `skip_empty` for string arguments.
    pub fn udf(skip_empty: bool) -> ScalarUDF {
        ScalarUDF::from(CoalesceUdf {
            skip_empty,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for CoalesceUdf {
    fn name(&self) -> &str {
        if self.skip_empty {
            "kql_coalesce_text"
        } else {
            "kql_coalesce"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        match types.first() {
            Some(first) => Ok(first.clone()),
            None => exec_err!("coalesce needs an argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let Some(mut result) = arrays.pop() else {
            return exec_err!("coalesce needs an argument");
        };
        // From the last argument back: each earlier one wins where it has a value.
        for candidate in arrays.into_iter().rev() {
            let mut present = datafusion::arrow::compute::is_not_null(candidate.as_ref())?;
            if self.skip_empty && candidate.data_type() == &DataType::Utf8 {
                let strings = candidate.as_string::<i32>();
                let filled: BooleanArray = (0..strings.len())
                    .map(|i| Some(present.value(i) && !strings.value(i).is_empty()))
                    .collect();
                present = filled;
            }
            result = datafusion::arrow::compute::kernels::zip::zip(&present, &candidate, &result)?;
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// `todatetime(text)` / `totimespan(text)`: text → ticks through `kql::time`, null when the
/// text is not one (todatetime-function.md, totimespan-function.md).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ParseTimeUdf {
    target: KqlType,
    signature: Signature,
}

impl ParseTimeUdf {
    /// `target` is `KqlType::DateTime` or `KqlType::Timespan`.
    pub fn udf(target: KqlType) -> ScalarUDF {
        ScalarUDF::from(ParseTimeUdf {
            target,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for ParseTimeUdf {
    fn name(&self) -> &str {
        if self.target == KqlType::DateTime {
            "kql_todatetime"
        } else {
            "kql_totimespan"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = text_arg(&args.args[0])?;
        let mut out = Int64Builder::with_capacity(args.number_rows);
        for row in 0..args.number_rows {
            let ticks = text_at(&input, row).and_then(|text| {
                if self.target == KqlType::DateTime {
                    crate::kql::time::parse_datetime(text).ok()
                } else {
                    crate::kql::time::parse_timespan(text).ok()
                }
            });
            out.append_option(ticks);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// A datetime computed by arithmetic, kept only when it is one: ticks outside year 1 to 9999
/// (or an i64 that wrapped on the way) become null, as an out-of-range datetime has no value.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DatetimeInRangeUdf {
    signature: Signature,
}

impl DatetimeInRangeUdf {
    /// The function, ready to call in a plan.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(DatetimeInRangeUdf {
            signature: Signature::exact(vec![DataType::Int64], Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for DatetimeInRangeUdf {
    fn name(&self) -> &str {
        "kql_datetime_in_range"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let ticks = array.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let checked: datafusion::arrow::array::Int64Array = ticks
            .iter()
            .map(|t| t.filter(|t| crate::kql::time::is_valid_datetime(*t)))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(checked)))
    }
}

/// `bin()` on whole numbers and ticks: (value, size, origin) → the multiple of `size` (counted
/// from `origin`) at or below `value`, exactly, over all 64 bits (bin-function.md). A size that
/// is null, zero or negative gives null, as does a result outside i64.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BinUdf {
    signature: Signature,
}

impl BinUdf {
    /// The function, ready to call in a plan.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(BinUdf {
            signature: Signature::exact(
                vec![DataType::Int64, DataType::Int64, DataType::Int64],
                Volatility::Immutable,
            ),
        })
    }
}

/// The floor of `value` to a multiple of `size` counted from `origin`; `None` when `size` is not
/// positive or the result does not fit.
pub fn floor_to(value: i64, size: i64, origin: i64) -> Option<i64> {
    if size <= 0 {
        return None;
    }
    let offset = i128::from(value) - i128::from(origin);
    let floored = offset - offset.rem_euclid(i128::from(size)) + i128::from(origin);
    i64::try_from(floored).ok()
}

impl ScalarUDFImpl for BinUdf {
    fn name(&self) -> &str {
        "kql_bin"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::datatypes::Int64Type;
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let [values, sizes, origins] = arrays.as_slice() else {
            return exec_err!("kql_bin takes three arguments");
        };
        let (values, sizes, origins) = (
            values.as_primitive::<Int64Type>(),
            sizes.as_primitive::<Int64Type>(),
            origins.as_primitive::<Int64Type>(),
        );
        let binned: datafusion::arrow::array::Int64Array = (0..rows)
            .map(|row| {
                let cell = |a: &datafusion::arrow::array::Int64Array| {
                    (!a.is_null(row)).then(|| a.value(row))
                };
                floor_to(cell(values)?, cell(sizes)?, cell(origins)?)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(binned)))
    }
}

/// `+`, `-` or `*` on i64 ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickOp {
    Add,
    Sub,
    Mul,
}

/// Timespan (and datetime) arithmetic that cannot wrap: where i64 ticks would overflow, the
/// result is null. (DataFusion's integer arithmetic wraps silently.)
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CheckedTicksUdf {
    op: TickOp,
    signature: Signature,
}

impl CheckedTicksUdf {
    /// The function, ready to call in a plan.
    pub fn udf(op: TickOp) -> ScalarUDF {
        ScalarUDF::from(CheckedTicksUdf {
            op,
            signature: Signature::exact(
                vec![DataType::Int64, DataType::Int64],
                Volatility::Immutable,
            ),
        })
    }
}

impl ScalarUDFImpl for CheckedTicksUdf {
    fn name(&self) -> &str {
        match self.op {
            TickOp::Add => "kql_ticks_add",
            TickOp::Sub => "kql_ticks_sub",
            TickOp::Mul => "kql_ticks_mul",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::datatypes::Int64Type;
        let rows = args.number_rows;
        let (left, right) = match args.args.as_slice() {
            [l, r] => (l.to_array(rows)?, r.to_array(rows)?),
            _ => return exec_err!("{} takes two arguments", self.name()),
        };
        let (left, right) = (
            left.as_primitive::<Int64Type>(),
            right.as_primitive::<Int64Type>(),
        );
        let result: datafusion::arrow::array::Int64Array = left
            .iter()
            .zip(right.iter())
            .map(|(l, r)| match self.op {
                TickOp::Add => l?.checked_add(r?),
                TickOp::Sub => l?.checked_sub(r?),
                TickOp::Mul => l?.checked_mul(r?),
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

// ---- long and/or chains ---------------------------------------------------------------------

/// The identity on booleans, used to keep a long `and`/`or` chain in groups of bounded size.
/// DataFusion's optimizer splits a conjunction into its terms and rebuilds it left-deep, and
/// later stages walk that chain recursively: 40,000 IOC comparisons joined by `and` overflow a
/// 16 MiB stack. Wrapped groups are opaque to that flattening, so every chain it sees is short.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BoolGroupUdf {
    signature: Signature,
}

impl BoolGroupUdf {
    /// The function, ready to call in a plan.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(BoolGroupUdf {
            signature: Signature::exact(vec![DataType::Boolean], Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for BoolGroupUdf {
    fn name(&self) -> &str {
        "kql_group"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(value) => Ok(value),
            None => exec_err!("kql_group takes one argument"),
        }
    }
}

// ---- range bounds known only when the query runs ----------------------------------------------

/// `range`'s step, checked against the bounds when they are known only as the query runs
/// (`range x from 1 to toscalar(T | count) step 1`, `to 1000000 * 1000000`): a zero step or a
/// range of more than `max_rows` rows fails the query instead of making rows until memory runs
/// out. Arguments: start, stop, step (i64); the value is the step. Volatile so the optimizer
/// leaves it to run time rather than failing while folding constants.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RangeStepUdf {
    max_rows: i64,
    signature: Signature,
}

impl RangeStepUdf {
    /// The function, ready to call in a plan.
    pub fn udf(max_rows: i64) -> ScalarUDF {
        ScalarUDF::from(RangeStepUdf {
            max_rows,
            signature: Signature::exact(
                vec![DataType::Int64, DataType::Int64, DataType::Int64],
                Volatility::Volatile,
            ),
        })
    }

    /// The step when the range it makes is allowed (null bounds make no rows).
    fn check(&self, start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> Result<()> {
        let (Some(start), Some(stop), Some(step)) = (start, stop, step) else {
            return Ok(());
        };
        if step == 0 {
            return exec_err!("the step of a range cannot be zero");
        }
        let rows = (i128::from(stop) - i128::from(start)) / i128::from(step) + 1;
        if rows > i128::from(self.max_rows) {
            return exec_err!(
                "this range makes {rows} rows; the local engine makes at most {}",
                self.max_rows
            );
        }
        Ok(())
    }
}

impl ScalarUDFImpl for RangeStepUdf {
    fn name(&self) -> &str {
        "kql_range_step"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::datatypes::Int64Type;
        let rows = args.number_rows;
        let [start, stop, step] = args.args.as_slice() else {
            return exec_err!("kql_range_step takes three arguments");
        };
        let (start, stop, step) = (
            start.to_array(rows)?,
            stop.to_array(rows)?,
            step.to_array(rows)?,
        );
        let (start, stop, step) = (
            start.as_primitive::<Int64Type>(),
            stop.as_primitive::<Int64Type>(),
            step.as_primitive::<Int64Type>(),
        );
        for row in 0..rows {
            let cell =
                |a: &datafusion::arrow::array::Int64Array| (!a.is_null(row)).then(|| a.value(row));
            self.check(cell(start), cell(stop), cell(step))?;
        }
        Ok(ColumnarValue::Array(Arc::new(step.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_without_building_the_object() {
        assert_eq!(member(r#"{"a":1,"b":"x"}"#, "b").as_deref(), Some(r#""x""#));
        assert_eq!(
            member(r#"{ "a" : [1, 2 ,{"c": null}] }"#, "a").as_deref(),
            Some(r#"[1,2,{"c":null}]"#)
        );
        // The last of repeated keys, as a parsed object keeps it.
        assert_eq!(member(r#"{"a":1,"a":2}"#, "a").as_deref(), Some("2"));
        // Escapes are read: in keys and in values (written compactly).
        assert_eq!(
            member(r#"{"k\u0065y":"v\u0041"}"#, "key").as_deref(),
            Some(r#""vA""#)
        );
        assert_eq!(member(r#"{"r":1.50,"e":1e2}"#, "r").as_deref(), Some("1.5"));
        assert_eq!(
            member(r#"{"r":1.50,"e":1e2}"#, "e").as_deref(),
            Some("100.0")
        );
        assert_eq!(member(r#"{"n":null}"#, "n"), None);
        assert_eq!(member(r#"{"a":1}"#, "b"), None);
        assert_eq!(member(r#"[{"a":1}]"#, "a"), None);
        assert_eq!(member(r#""{\"a\":1}""#, "a"), None);
        assert_eq!(member(r#"{"a":1} trailing"#, "a"), None);
        assert_eq!(member(r#"{"a":1"#, "a"), None);
        assert_eq!(member("not json", "a"), None);
        // The same as the full parse, on every member of a nested value.
        let text = r#"{"x":{"y":[1,"two",false,{"z":-3}]},"s":"a b","t":true}"#;
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        for key in ["x", "s", "t"] {
            assert_eq!(
                member(text, key).map(|v| v.into_owned()),
                parsed.get(key).map(|v| v.to_string()),
                "{key}"
            );
        }
    }

    /// The byte scan of flat objects answers exactly as serde_json's reader, on valid and
    /// broken objects alike: every piece below, in many combinations, cut at every length.
    #[test]
    fn the_flat_scan_answers_as_the_full_reader() {
        let values = [
            "\"x\"",
            "\"a b é 😀\"",
            "\"\"",
            "1",
            "-0",
            "0",
            "01",
            "1.50",
            "1.",
            ".5",
            "-",
            "+1",
            "1e5",
            "1E+05",
            "1e",
            "2.5e-3",
            "true",
            "false",
            "null",
            "nul",
            "tru",
            "[1,2]",
            "{\"k\":1}",
            "\"esc\\\"q\"",
            "\"tab\there\"",
            "12345678901234567890123",
            "NaN",
        ];
        let keys = ["\"a\"", "\"b\"", "\"k\"", "a", "\"a"];
        let spaces = ["", " ", "\n\t ", "\u{a0}"];
        let mut texts = Vec::new();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        for _ in 0..3000 {
            let mut text = String::from(spaces[next(4)]);
            text.push('{');
            for member in 0..next(4) {
                if member > 0 {
                    text.push_str([",", ", ", ",,", " "][next(4).min(next(4))]);
                }
                text.push_str(spaces[next(3)]);
                text.push_str(keys[next(5).min(next(5))]);
                text.push_str([":", " : ", "", "::"][next(4).min(next(4))]);
                text.push_str(values[next(values.len())]);
            }
            text.push_str(["}", " }", "} x", "", "}}"][next(5).min(next(5))]);
            text.push_str(spaces[next(4)]);
            texts.push(text);
        }
        let (mut found, mut absent) = (0, 0);
        for text in &texts {
            let cuts = text.char_indices().map(|(i, _)| i).chain([text.len()]);
            for cut in cuts {
                let piece = &text[..cut];
                for key in ["a", "b", "k", "z"] {
                    match flat_member(piece, key) {
                        Flat::Found(_) => found += 1,
                        Flat::Absent => absent += 1,
                        Flat::Unsure => {}
                    }
                    assert_eq!(
                        member(piece, key),
                        parsed_member(piece, key),
                        "{piece:?} .{key}"
                    );
                    // tostring(d.key) from one scan is the text of the full reader's member.
                    let mut fused = StringBuilder::new();
                    append_member_text(&mut fused, piece, key);
                    let mut full = StringBuilder::new();
                    match parsed_member(piece, key) {
                        Some(value) => append_json_text(&mut full, &value),
                        None => full.append_value(""),
                    }
                    assert_eq!(
                        fused.finish().value(0),
                        full.finish().value(0),
                        "tostring({piece:?}.{key})"
                    );
                }
            }
        }
        // The scan itself answered for a good share (so the comparison tested it).
        assert!(
            found > 100 && absent > 100,
            "{found} found, {absent} absent"
        );
    }

    #[test]
    fn has_any_finds_the_same_terms_in_one_pass_as_term_by_term() {
        let needles: Vec<String> = ["enc", "IEX", "bypass", "a1", "cmd.exe"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for case_sensitive in [false, true] {
            for all in [false, true] {
                let udf = TermSetUdf::new(&needles, all, case_sensitive);
                assert!(udf.finder.is_some());
                let texts = [
                    "powershell -enc AAAA",
                    "powershell -encoded AAAA",
                    "xenc iex bypass a1 cmd.exe",
                    "IEX(New-Object Net.WebClient)",
                    "enc,IEX;bypass/a1 C:\\cmd.exe",
                    "a1b2 bypassed",
                    "",
                    "\u{212a}enc",
                ];
                for text in texts {
                    let one_by_one = if all {
                        needles
                            .iter()
                            .all(|n| term_match(text, n, TermMode::Whole, case_sensitive))
                    } else {
                        needles
                            .iter()
                            .any(|n| term_match(text, n, TermMode::Whole, case_sensitive))
                    };
                    assert_eq!(
                        udf.matches(text),
                        one_by_one,
                        "{text:?} all={all} cs={case_sensitive}"
                    );
                }
            }
        }
    }

    #[test]
    fn has_matches_whole_terms_only() {
        assert!(!term_match("error", "err", TermMode::Whole, false));
        assert!(term_match(
            "C:\\Windows\\cmd.exe",
            "cmd.exe",
            TermMode::Whole,
            false
        ));
        assert!(!term_match(
            "C:\\Windows\\xcmd.exe",
            "cmd.exe",
            TermMode::Whole,
            false
        ));
        assert!(term_match(
            "powershell -EncodedCommand abc",
            "encodedcommand",
            TermMode::Whole,
            false
        ));
        assert!(!term_match(
            "powershell -EncodedCommand abc",
            "encodedcommand",
            TermMode::Whole,
            true
        ));
        assert!(term_match(
            "IEX (New-Object Net.WebClient).DownloadString('x')",
            "DownloadString",
            TermMode::Whole,
            true
        ));
        assert!(term_match("a.exe", ".exe", TermMode::Whole, false));
        assert!(!term_match("", "x", TermMode::Whole, false));
        assert!(!term_match("x", "", TermMode::Whole, false));
    }

    #[test]
    fn prefix_and_suffix_follow_term_edges() {
        assert!(term_match(
            "run mimikatz now",
            "mimi",
            TermMode::Prefix,
            false
        ));
        assert!(!term_match(
            "run mimikatz now",
            "katz",
            TermMode::Prefix,
            false
        ));
        assert!(term_match(
            "run mimikatz now",
            "katz",
            TermMode::Suffix,
            false
        ));
        assert!(!term_match(
            "run mimikatz now",
            "mimi",
            TermMode::Suffix,
            false
        ));
    }

    #[test]
    fn bins_floor_exactly_from_their_origin() {
        assert_eq!(
            floor_to(132_539_327_999_999_999, 10_000_000, 0),
            Some(132_539_327_990_000_000)
        );
        assert_eq!(floor_to(-90, 60, 0), Some(-120));
        assert_eq!(floor_to(5, 0, 0), None);
        assert_eq!(floor_to(5, -2, 0), None);
        assert_eq!(floor_to(i64::MIN, 7, 0), None, "below i64: no value");
        assert_eq!(floor_to(i64::MAX, 2, 0), Some(i64::MAX - 1));
        assert_eq!(floor_to(25, 10, 3), Some(23));
    }

    /// `contains` answered as `ILIKE '%needle%'` (DataFusion's plan for it before) answers, on
    /// Unicode case, pattern characters and regular-expression characters.
    #[test]
    fn contains_answers_as_ilike_did() {
        use datafusion::arrow::array::{Scalar, StringArray};
        use datafusion::arrow::compute::kernels::comparison::ilike;
        // A long needle (an encoded payload) inside a long text.
        let long_needle = "SQBFAFgAIAAoAE4AZQB3AC0ATwBi".repeat(40);
        let long_text = format!("powershell -enc {}", long_needle.to_lowercase());
        let texts = [
            "C:\\Users\\x\\AppData\\Local",
            "APPDATA",
            "appdat",
            "",
            "İstanbul",
            "ISTANBUL",
            "straße",
            "STRASSE",
            "\u{212a}elvin",
            "KELVIN",
            "a.b",
            "axb",
            "50%_off",
            "50x_off",
            "(x)",
            "x\\y",
            "ΣΊΣΥΦΟΣ",
            "σίσυφος",
            "line\nbreak",
            "ſtraſſe",
            "xxxSTRASSExxx",
            "é-k\u{212a}",
            &long_text,
        ];
        let needles = [
            "appdata",
            "istanbul",
            "i̇stanbul",
            "straße",
            "kelvin",
            "a.b",
            "%_",
            "(x)",
            "x\\y",
            "σίσυφος",
            "\nb",
            "",
            "İ",
            "strasse",
            "k",
            "é-kk",
            &long_needle,
            "AB%",
        ];
        let array = StringArray::from(texts.to_vec());
        for needle in needles {
            let escaped: String = needle
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            let pattern = Scalar::new(StringArray::from(vec![format!("%{escaped}%")]));
            let expected = ilike(&array, &pattern).unwrap();
            let udf = ContainsUdf::udf(needle).unwrap();
            let contains = udf.inner().downcast_ref::<ContainsUdf>().unwrap();
            for (at, text) in texts.iter().enumerate() {
                assert_eq!(
                    contains.matches(text),
                    expected.value(at),
                    "{text:?} contains {needle:?}"
                );
            }
        }
    }

    #[test]
    fn term_sets_agree_with_has() {
        let needles: Vec<String> = ["MiniDump", "cmd.exe", "x", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let any = TermSetUdf::new(&needles, false, false);
        for (text, expected) in [
            ("rundll32 comsvcs.dll, MiniDump 624", true),
            ("C:\\Windows\\cmd.exe /c", true),
            ("xcmd.exe minidumps", false),
            ("", false),
        ] {
            assert_eq!(any.matches(text), expected, "{text}");
        }
        let needles: Vec<String> = ["minidump", "comsvcs.dll"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let all = TermSetUdf::new(&needles, true, false);
        assert!(all.matches("rundll32 comsvcs.dll, MiniDump"));
        assert!(!all.matches("rundll32 comsvcs.dll"));
        let cs = TermSetUdf::new(&needles, false, true);
        assert!(!cs.matches("MiniDump"));
        assert!(cs.matches("minidump"));
    }

    #[test]
    fn range_step_refuses_a_zero_step_and_too_many_rows() {
        let guard = RangeStepUdf {
            max_rows: 10,
            signature: Signature::exact(vec![], Volatility::Volatile),
        };
        assert!(guard.check(Some(1), Some(10), Some(1)).is_ok());
        assert!(guard.check(Some(10), Some(1), Some(-1)).is_ok());
        // Backwards: no rows.
        assert!(guard.check(Some(10), Some(1), Some(1)).is_ok());
        assert!(guard.check(None, Some(1), Some(0)).is_ok());
        assert!(guard.check(Some(1), Some(11), Some(1)).is_err());
        assert!(guard.check(Some(1), Some(1), Some(0)).is_err());
        assert!(
            guard
                .check(Some(i64::MIN), Some(i64::MAX), Some(1))
                .is_err()
        );
        assert!(
            guard
                .check(Some(i64::MAX), Some(i64::MIN), Some(-1))
                .is_err()
        );
    }

    #[test]
    fn term_matching_handles_unicode() {
        assert!(term_match(
            "Größe ÄNDERN jetzt",
            "ändern",
            TermMode::Whole,
            false
        ));
        assert!(!term_match(
            "Größe ÄNDERNx jetzt",
            "ändern",
            TermMode::Whole,
            false
        ));
        assert!(term_match("日本 テスト", "テスト", TermMode::Whole, true));
    }
}
