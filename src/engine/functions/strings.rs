//! String functions (the KQL pages `trim-function.md`, `strcat-delim-function.md`, …): each a
//! [`RowFunction`] with its page's examples as tests.

use super::{KqlValue, Param, Returns, RowFunction, cached_regex};
use crate::results::KqlType;

/// The string functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[
    RowFunction {
        name: "trim",
        params: &[Param::Text, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| trim(args, true, true),
        volatile: false,
    },
    RowFunction {
        name: "trim_start",
        params: &[Param::Text, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| trim(args, true, false),
        volatile: false,
    },
    RowFunction {
        name: "trim_end",
        params: &[Param::Text, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| trim(args, false, true),
        volatile: false,
    },
    RowFunction {
        name: "strcat_delim",
        params: &[Param::Text, Param::Any, Param::Any],
        required: 3,
        variadic: true,
        returns: Returns::Always(KqlType::String),
        eval: strcat_delim,
        volatile: false,
    },
    RowFunction {
        name: "strcat_array",
        params: &[Param::Dynamic, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: strcat_array,
        volatile: false,
    },
    RowFunction {
        name: "reverse",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: reverse,
        volatile: false,
    },
    RowFunction {
        name: "strrep",
        params: &[Param::Text, Param::Integer, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: strrep,
        volatile: false,
    },
    RowFunction {
        name: "string_size",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Long),
        eval: string_size,
        volatile: false,
    },
    RowFunction {
        name: "translate",
        params: &[Param::Text, Param::Text, Param::Text],
        required: 3,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: translate,
        volatile: false,
    },
    RowFunction {
        name: "indexof_regex",
        params: &[
            Param::Text,
            Param::Text,
            Param::Integer,
            Param::Integer,
            Param::Integer,
        ],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::Long),
        eval: indexof_regex,
        volatile: false,
    },
    RowFunction {
        name: "substring",
        params: &[Param::Text, Param::Integer, Param::Integer],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: substring,
        volatile: false,
    },
    RowFunction {
        name: "indexof",
        params: &[
            Param::Text,
            Param::Text,
            Param::Integer,
            Param::Integer,
            Param::Integer,
        ],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::Long),
        eval: indexof,
        volatile: false,
    },
    RowFunction {
        name: "regex_quote",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| Ok(KqlValue::String(regex::escape(&args[0].to_text()))),
        volatile: false,
    },
    RowFunction {
        name: "replace_strings",
        params: &[Param::Text, Param::Dynamic, Param::Dynamic],
        required: 3,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: replace_strings,
        volatile: false,
    },
    RowFunction {
        name: "strcmp",
        params: &[Param::Text, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::Int),
        eval: strcmp,
        volatile: false,
    },
    RowFunction {
        name: "unicode_codepoints_from_string",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Dynamic),
        eval: codepoints_from_string,
        volatile: false,
    },
    // The deprecated alias of unicode_codepoints_to_string(), which the planner runs for
    // constant code points only; this one takes any values (base64_decode_toarray() results).
    RowFunction {
        name: "make_string",
        params: &[Param::Dynamic],
        required: 1,
        variadic: true,
        returns: Returns::Always(KqlType::String),
        eval: make_string,
        volatile: false,
    },
    RowFunction {
        name: "parse_csv",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Dynamic),
        eval: parse_csv,
        volatile: false,
    },
    RowFunction {
        name: "extract_all",
        params: &[Param::Text, Param::Dynamic, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::Dynamic),
        eval: extract_all,
        volatile: false,
    },
    // The deprecated alias of extract_all().
    RowFunction {
        name: "extractall",
        params: &[Param::Text, Param::Dynamic, Param::Text],
        required: 2,
        variadic: false,
        returns: Returns::Always(KqlType::Dynamic),
        eval: extract_all,
        volatile: false,
    },
    RowFunction {
        name: "isascii",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Bool),
        eval: |args| Ok(KqlValue::Bool(args[0].to_text().is_ascii())),
        volatile: false,
    },
    // Every string the engine holds is valid UTF-8 (Arrow checks it), so this is always true.
    RowFunction {
        name: "isutf8",
        params: &[Param::Text],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Bool),
        eval: |_| Ok(KqlValue::Bool(true)),
        volatile: false,
    },
    RowFunction {
        name: "tohex",
        params: &[Param::Integer, Param::Integer],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: tohex,
        volatile: false,
    },
];

/// `trim(regex, source)` and its one-sided forms: every match of `regex` at the start (and/or
/// end) of `source` is removed, repeatedly (trim-function.md).
fn trim(args: &[KqlValue], start: bool, end: bool) -> Result<KqlValue, String> {
    let pattern = args[0].to_text();
    let mut text = args[1].to_text();
    if pattern.is_empty() {
        return Ok(KqlValue::String(text));
    }
    if start {
        let regex = cached_regex(&format!("^(?:{pattern})+"))?;
        if let Some(found) = regex.find(&text) {
            text = text[found.end()..].to_string();
        }
    }
    if end {
        let regex = cached_regex(&format!("(?:{pattern})+$"))?;
        if let Some(found) = regex.find(&text) {
            text.truncate(found.start());
        }
    }
    Ok(KqlValue::String(text))
}

/// `strcat_delim(delimiter, a, b, …)`: every argument as text (strcat-delim-function.md).
fn strcat_delim(args: &[KqlValue]) -> Result<KqlValue, String> {
    let delimiter = args[0].to_text();
    let parts: Vec<String> = args[1..].iter().map(KqlValue::to_text).collect();
    Ok(KqlValue::String(parts.join(&delimiter)))
}

/// `strcat_array(array, delimiter)`: the items' text joined (strcat-array-function.md); not an
/// array gives "".
fn strcat_array(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::String(String::new()));
    };
    let parts: Vec<String> = items
        .iter()
        .map(|item| KqlValue::dynamic(item.clone()).to_text())
        .collect();
    Ok(KqlValue::String(parts.join(&args[1].to_text())))
}

/// `reverse(value)`: the value's text, characters in reverse order (reverse-function.md).
fn reverse(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(KqlValue::String(args[0].to_text().chars().rev().collect()))
}

/// The most times strrep() repeats its value (strrep-function.md: a larger multiplier
/// repeats it this many times).
const STRREP_MAX_TIMES: i64 = 1024;

/// The largest text strrep() builds, so a long value repeated 1024 times cannot exhaust
/// memory; Kusto documents no such limit, so past it the query stops with an error.
const STRREP_MAX_BYTES: usize = 64 << 20;

/// `strrep(value, multiplier [, delimiter])`: `value` repeated, joined by `delimiter`
/// (strrep-function.md). A multiplier below 1 gives "".
fn strrep(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(times) = args[1].as_long() else {
        return Ok(KqlValue::Null);
    };
    if times < 1 {
        return Ok(KqlValue::String(String::new()));
    }
    let times = times.min(STRREP_MAX_TIMES) as usize;
    let value = args[0].to_text();
    let delimiter = args.get(2).map(KqlValue::to_text).unwrap_or_default();
    let size = value
        .len()
        .saturating_add(delimiter.len())
        .saturating_mul(times);
    if size > STRREP_MAX_BYTES {
        return Err(format!(
            "the result would be larger than {} MiB",
            STRREP_MAX_BYTES >> 20
        ));
    }
    Ok(KqlValue::String(vec![value; times].join(&delimiter)))
}

/// `string_size(source)`: the length in bytes of its UTF-8 text (string-size-function.md).
fn string_size(args: &[KqlValue]) -> Result<KqlValue, String> {
    let size = i64::try_from(args[0].to_text().len()).unwrap_or(i64::MAX);
    Ok(KqlValue::Long(size))
}

/// `translate(searchList, replacementList, source)` (translate-function.md): each character
/// of `source` found in `searchList` becomes the character at the same position of
/// `replacementList` — its last character when it is shorter, nothing when it is empty.
fn translate(args: &[KqlValue]) -> Result<KqlValue, String> {
    let search: Vec<char> = args[0].to_text().chars().collect();
    let replacement: Vec<char> = args[1].to_text().chars().collect();
    let source = args[2].to_text();
    let translated = source
        .chars()
        .filter_map(|c| match search.iter().position(|s| *s == c) {
            None => Some(c),
            Some(index) => replacement.get(index).or(replacement.last()).copied(),
        })
        .collect();
    Ok(KqlValue::String(translated))
}

/// `indexof_regex(string, match [, start [, length [, occurrence]]])`
/// (indexof-regex-function.md): the character index of the `occurrence`-th non-overlapping
/// match of the regular expression within `length` characters from `start`; -1 when there
/// is none; null for a negative start or occurrence (and for occurrence 0, which the page
/// leaves undefined) or a length below -1.
fn indexof_regex(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let regex = cached_regex(&args[1].to_text())?;
    let optional = |index: usize, default: i64| match args.get(index) {
        None => Some(default),
        Some(value) => value.as_long(),
    };
    let (Some(start), Some(length), Some(occurrence)) =
        (optional(2, 0), optional(3, -1), optional(4, 1))
    else {
        return Ok(KqlValue::Null);
    };
    if start < 0 || length < -1 || occurrence < 1 {
        return Ok(KqlValue::Null);
    }
    let chars = text.chars().count() as i64;
    if start > chars {
        return Ok(KqlValue::Long(-1));
    }
    let end = if length == -1 {
        chars
    } else {
        start.saturating_add(length).min(chars)
    };
    let from = byte_offset(&text, start as usize);
    let to = byte_offset(&text, end as usize);
    let range = &text[from..to];
    let found = regex
        .find_iter(range)
        .nth((occurrence - 1) as usize)
        .map_or(-1, |m| start + range[..m.start()].chars().count() as i64);
    Ok(KqlValue::Long(found))
}

/// `substring(text, start[, length])` (substring-function.md): characters from `start` (from 0;
/// a negative start counts from the end), `length` of them or to the end; "" past the end or for
/// a negative length.
fn substring(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let (Some(start), length) = (args[1].as_long(), args.get(2).map(KqlValue::as_long)) else {
        return Ok(KqlValue::String(String::new()));
    };
    let chars = text.chars().count() as i64;
    let start = if start < 0 {
        (chars + start).max(0)
    } else {
        start.min(chars)
    };
    let end = match length {
        None => chars,
        Some(None) => return Ok(KqlValue::String(String::new())),
        Some(Some(n)) if n < 0 => return Ok(KqlValue::String(String::new())),
        Some(Some(n)) => start.saturating_add(n).min(chars),
    };
    let from = byte_offset(&text, start as usize);
    let to = byte_offset(&text, end as usize);
    Ok(KqlValue::String(text[from..to].to_string()))
}

/// `indexof(text, match[, start[, length[, occurrence]]])` (indexof-function.md): the
/// character index of the occurrence-th `match` within the characters `start` to
/// `start + length` (inclusive, as the page's examples count them; -1 is unlimited); a negative
/// start counts from the end. -1 when not found; null for a length below -1 or an occurrence
/// below 1. The planner runs the two-argument form itself.
fn indexof(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let needle = args[1].to_text();
    let optional = |index: usize, default: i64| match args.get(index) {
        None => Some(default),
        Some(value) => value.as_long(),
    };
    let (Some(start), Some(length), Some(occurrence)) =
        (optional(2, 0), optional(3, -1), optional(4, 1))
    else {
        return Ok(KqlValue::Null);
    };
    if length < -1 || occurrence < 1 {
        return Ok(KqlValue::Null);
    }
    let chars = text.chars().count() as i64;
    let start = if start < 0 {
        (chars + start).max(0)
    } else {
        start
    };
    if start > chars {
        return Ok(KqlValue::Long(-1));
    }
    let end = if length == -1 {
        chars
    } else {
        start.saturating_add(length).saturating_add(1).min(chars)
    };
    let range = &text[byte_offset(&text, start as usize)..byte_offset(&text, end as usize)];
    let found = range
        .match_indices(needle.as_str())
        .nth((occurrence - 1) as usize)
        .map_or(-1, |(at, _)| start + range[..at].chars().count() as i64);
    Ok(KqlValue::Long(found))
}

/// The byte offset of character `index` of `text` (its length past the end).
fn byte_offset(text: &str, index: usize) -> usize {
    text.char_indices()
        .nth(index)
        .map_or(text.len(), |(offset, _)| offset)
}

/// `replace_strings(text, lookups, rewrites)` (replace-strings-function.md). Earlier lookups
/// take precedence: each lookup in turn claims its non-overlapping matches in the parts of
/// `text` no earlier lookup claimed (so `['is', 'This']` turns "This" into "Thwas"). A match
/// whose rewrite is not a string stays as it is, still claimed; lookups that are not
/// strings (or are empty) are ignored.
fn replace_strings(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let Some(lookups) = args[1].as_array() else {
        return Ok(KqlValue::String(text));
    };
    let rewrites = args[2].as_array();
    let mut claimed = vec![false; text.len()];
    // (start, end, rewrite) of every claimed match.
    let mut matches: Vec<(usize, usize, Option<&str>)> = Vec::new();
    for (index, lookup) in lookups.iter().enumerate() {
        let Some(lookup) = lookup.as_str().filter(|l| !l.is_empty()) else {
            continue;
        };
        let rewrite = rewrites
            .and_then(|r| r.get(index))
            .and_then(serde_json::Value::as_str);
        let mut from = 0;
        while let Some(found) = text[from..].find(lookup) {
            let start = from + found;
            let end = start + lookup.len();
            if claimed[start..end].iter().any(|c| *c) {
                // Try again one character on.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            claimed[start..end].iter_mut().for_each(|c| *c = true);
            matches.push((start, end, rewrite));
            from = end;
        }
    }
    matches.sort_unstable_by_key(|m| m.0);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, rewrite) in matches {
        out.push_str(&text[at..start]);
        out.push_str(rewrite.unwrap_or(&text[start..end]));
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(KqlValue::String(out))
}

/// `strcmp(string1, string2)` (strcmp-function.md): -1, 0 or 1 as the first differing
/// character (or the shorter length) orders them.
fn strcmp(args: &[KqlValue]) -> Result<KqlValue, String> {
    let order = args[0].to_text().cmp(&args[1].to_text());
    Ok(KqlValue::Long(order as i64))
}

/// `unicode_codepoints_from_string(value)`: the code points of the text, as a dynamic array
/// (unicode-codepoints-from-string-function.md).
fn codepoints_from_string(args: &[KqlValue]) -> Result<KqlValue, String> {
    let points = args[0]
        .to_text()
        .chars()
        .map(|c| serde_json::Value::from(u32::from(c)))
        .collect();
    Ok(KqlValue::Dynamic(serde_json::Value::Array(points)))
}

/// `make_string(values, …)` (unicode-codepoints-to-string-function.md, whose deprecated
/// alias it is): the characters of the code points given as ints, longs or dynamic arrays
/// of them; null when any is not a Unicode code point.
fn make_string(args: &[KqlValue]) -> Result<KqlValue, String> {
    fn push(text: &mut String, point: Option<i64>) -> bool {
        match point
            .and_then(|p| u32::try_from(p).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                text.push(c);
                true
            }
            None => false,
        }
    }
    let mut text = String::new();
    for arg in args {
        let fits = match arg {
            KqlValue::Long(n) => push(&mut text, Some(*n)),
            KqlValue::Dynamic(serde_json::Value::Array(items)) => {
                items.iter().all(|item| push(&mut text, item.as_i64()))
            }
            KqlValue::Dynamic(serde_json::Value::Number(n)) => push(&mut text, n.as_i64()),
            _ => false,
        };
        if !fits {
            return Ok(KqlValue::Null);
        }
    }
    Ok(KqlValue::String(text))
}

/// `parse_csv(csv_text)` (parse-csv-function.md): the fields of the first record of
/// comma-separated values, as a dynamic array of strings. A field in double quotes may hold
/// commas, line breaks and doubled quotes (`""` for `"`); a line break outside quotes ends
/// the record.
fn parse_csv(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if field.is_empty() => quoted = true,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\n' | '\r' if !quoted => break,
            c => field.push(c),
        }
    }
    fields.push(field);
    Ok(KqlValue::Dynamic(serde_json::Value::Array(
        fields.into_iter().map(serde_json::Value::String).collect(),
    )))
}

/// `extract_all(regex, [captureGroups,] source)` (extract-all-function.md): every match's
/// capture groups (all of them, or those `captureGroups` names by number or name). With one
/// group the result is an array of strings, with more an array of arrays; null when nothing
/// matches. A group that took no part in a match gives "".
fn extract_all(args: &[KqlValue]) -> Result<KqlValue, String> {
    let regex = cached_regex(&args[0].to_text())?;
    let source = args[args.len() - 1].to_text();
    let groups = regex.captures_len() - 1;
    if !(1..=16).contains(&groups) {
        return Err(format!(
            "the regular expression must have between 1 and 16 capture groups, it has {groups}"
        ));
    }
    let selected: Vec<usize> = if args.len() == 3 {
        if args[1].is_null() {
            return Ok(KqlValue::Null);
        }
        let Some(wanted) = args[1].as_array().filter(|w| !w.is_empty()) else {
            return Err("captureGroups must be a non-empty dynamic array".to_string());
        };
        wanted
            .iter()
            .map(|group| capture_group(&regex, groups, group))
            .collect::<Result<_, _>>()?
    } else {
        (1..=groups).collect()
    };
    let text = |m: Option<regex::Match>| {
        serde_json::Value::String(m.map_or(String::new(), |m| m.as_str().to_string()))
    };
    let found: Vec<serde_json::Value> = regex
        .captures_iter(&source)
        .map(|captures| match selected.as_slice() {
            [one] => text(captures.get(*one)),
            many => serde_json::Value::Array(
                many.iter()
                    .map(|group| text(captures.get(*group)))
                    .collect(),
            ),
        })
        .collect();
    if found.is_empty() {
        return Ok(KqlValue::Null);
    }
    Ok(KqlValue::Dynamic(serde_json::Value::Array(found)))
}

/// The index of a capture group that extract_all()'s `captureGroups` names by number (from
/// 1) or by name.
fn capture_group(
    regex: &regex::Regex,
    groups: usize,
    group: &serde_json::Value,
) -> Result<usize, String> {
    let index = match group {
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| (1..=groups).contains(n)),
        serde_json::Value::String(name) => regex
            .capture_names()
            .position(|candidate| candidate == Some(name.as_str())),
        _ => None,
    };
    index.ok_or_else(|| {
        format!("captureGroups: {group} is not a capture group of the regular expression")
    })
}

/// `tohex(value [, minLength])` (tohex-function.md): lower-case hexadecimal, padded with
/// zeros to `minLength` (at most 16). A negative value is written in two's complement of its
/// type's width — 8 digits for an int, 16 for a long — and a row function cannot tell the
/// two apart, so negative values are refused rather than guessed.
fn tohex(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(value) = args[0].as_long() else {
        return Ok(KqlValue::Null);
    };
    if value < 0 {
        return Err(
            "a negative value is not supported by the local engine yet (its width depends on \
             whether it is an int or a long)"
                .to_string(),
        );
    }
    let width = match args.get(1) {
        None => 0,
        Some(min) => match min.as_long() {
            Some(min) => min.clamp(0, 16) as usize,
            None => return Ok(KqlValue::Null),
        },
    };
    Ok(KqlValue::String(format!("{value:0width$x}")))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;

    #[test]
    fn substring_page() {
        let l = KqlValue::Long;
        assert_eq!(call("substring", &[s("123456"), l(1)]), s("23456"));
        assert_eq!(call("substring", &[s("123456"), l(2), l(2)]), s("34"));
        assert_eq!(call("substring", &[s("ABCD"), l(0), l(2)]), s("AB"));
        assert_eq!(call("substring", &[s("123456"), l(-2), l(2)]), s("56"));
        assert_eq!(call("substring", &[s("123456"), l(-2)]), s("56"));
        assert_eq!(call("substring", &[s("abc"), l(-5)]), s("abc"));
        assert_eq!(call("substring", &[s("abc"), l(5)]), s(""));
        assert_eq!(call("substring", &[s("héllo"), l(1), l(3)]), s("éll"));
        assert_eq!(call("substring", &[s("abc"), l(1), l(-1)]), s(""));
    }

    #[test]
    fn indexof_page() {
        let idx = |args: &[KqlValue]| call("indexof", args);
        let l = KqlValue::Long;
        assert_eq!(idx(&[s("abcdefg"), s("cde")]), l(2));
        assert_eq!(idx(&[s("abcdefg"), s("cde"), l(1), l(4)]), l(2));
        assert_eq!(idx(&[s("abcdefg"), s("cde"), l(1), l(2)]), l(-1));
        assert_eq!(idx(&[s("abcdefg"), s("cde"), l(3), l(4)]), l(-1));
        assert_eq!(idx(&[s("abcdefg"), s("cde"), l(-5)]), l(2));
        assert_eq!(idx(&[l(1234567), l(5), l(1), l(4)]), l(4));
        assert_eq!(idx(&[s("abcdefg"), s("cde"), l(2), l(-1)]), l(2));
        assert_eq!(
            idx(&[s("abcdefgabcdefg"), s("cde"), l(1), l(10), l(2)]),
            l(9)
        );
        assert_eq!(
            idx(&[s("abcdefgabcdefg"), s("cde"), l(1), l(-1), l(3)]),
            l(-1)
        );
        assert_eq!(idx(&[s("abc"), s("b"), l(0), l(-2)]), KqlValue::Null);
    }

    #[test]
    fn trim_pages() {
        assert_eq!(
            call("trim", &[s("--"), s("--https://bing.com--")]),
            s("https://bing.com")
        );
        assert_eq!(
            call("trim", &[s(r"[^\w]+"), s("-  Te st1// $")]),
            s("Te st1")
        );
        assert_eq!(
            call("trim_start", &[s("https://"), s("https://bing.com")]),
            s("bing.com")
        );
        assert_eq!(
            call("trim_start", &[s(r"[^\w]+"), s("-  Te st1// $")]),
            s("Te st1// $")
        );
        assert_eq!(
            call("trim_end", &[s("bing.com"), s("https://bing.com")]),
            s("https://")
        );
        assert_eq!(
            call("trim_end", &[s(r"[^\w]+"), s("-  Te st1// $")]),
            s("-  Te st1")
        );
    }

    #[test]
    fn strcat_pages() {
        let args = [
            s("-"),
            KqlValue::Long(1),
            s("2"),
            s("A"),
            KqlValue::Timespan(crate::kql::time::TICKS_PER_SECOND),
        ];
        assert_eq!(call("strcat_delim", &args), s("1-2-A-00:00:01"));
        let array = KqlValue::Dynamic(serde_json::json!([1, 2, 3]));
        assert_eq!(
            call("strcat_array", &[array.clone(), s("->")]),
            s("1->2->3")
        );
        assert_eq!(call("strcat_array", &[array, s("\"")]), s("1\"2\"3"));
    }

    fn json(value: serde_json::Value) -> KqlValue {
        KqlValue::Dynamic(value)
    }

    #[test]
    fn reverse_page() {
        assert_eq!(
            call("reverse", &[s("ABCDEFGHIJKLMNOPQRSTUVWXYZ")]),
            s("ZYXWVUTSRQPONMLKJIHGFEDCBA")
        );
        assert_eq!(call("reverse", &[KqlValue::Long(12345)]), s("54321"));
        assert_eq!(call("reverse", &[KqlValue::Real(123.45)]), s("54.321"));
        let datetime = crate::kql::time::parse_datetime("2017-10-15 12:00").unwrap();
        assert_eq!(
            call("reverse", &[KqlValue::DateTime(datetime)]),
            s("Z0000000.00:00:21T51-01-7102")
        );
        let hours = 3 * crate::kql::time::TICKS_PER_HOUR;
        assert_eq!(call("reverse", &[KqlValue::Timespan(hours)]), s("00:00:30"));
        assert_eq!(call("reverse", &[s("")]), s(""));
        assert_eq!(call("reverse", &[KqlValue::Null]), s(""));
        assert_eq!(call("reverse", &[s("aé⒦")]), s("⒦éa"));
    }

    #[test]
    fn strrep_page() {
        assert_eq!(call("strrep", &[s("ABC"), KqlValue::Long(2)]), s("ABCABC"));
        assert_eq!(
            call("strrep", &[KqlValue::Long(123), KqlValue::Long(3), s(".")]),
            s("123.123.123")
        );
        let second = KqlValue::Timespan(3 * crate::kql::time::TICKS_PER_SECOND);
        assert_eq!(
            call("strrep", &[second, KqlValue::Long(2), s(" ")]),
            s("00:00:03 00:00:03")
        );
        // Past 1024 repeats the value 1024 times.
        let long = call("strrep", &[s("ab"), KqlValue::Long(i64::MAX)]);
        assert_eq!(long.to_text().len(), 2048);
        assert_eq!(call("strrep", &[s("ab"), KqlValue::Long(0)]), s(""));
        assert_eq!(call("strrep", &[s("ab"), KqlValue::Long(-5)]), s(""));
        assert_eq!(call("strrep", &[s("ab"), KqlValue::Null]), KqlValue::Null);
        let huge = s(&"x".repeat(1 << 20));
        assert!((lookup_eval("strrep"))(&[huge, KqlValue::Long(1000)]).is_err());
    }

    fn lookup_eval(name: &str) -> fn(&[KqlValue]) -> Result<KqlValue, String> {
        super::super::lookup(name).unwrap().eval
    }

    #[test]
    fn string_size_page() {
        assert_eq!(call("string_size", &[s("hello")]), KqlValue::Long(5));
        assert_eq!(call("string_size", &[s("⒦⒰⒮⒯⒪")]), KqlValue::Long(15));
        assert_eq!(call("string_size", &[s("")]), KqlValue::Long(0));
    }

    #[test]
    fn translate_page() {
        assert_eq!(call("translate", &[s("abc"), s("x"), s("abc")]), s("xxx"));
        assert_eq!(call("translate", &[s("abc"), s(""), s("ab")]), s(""));
        assert_eq!(
            call("translate", &[s("krasp"), s("otsku"), s("spark")]),
            s("kusto")
        );
        assert_eq!(call("translate", &[s(""), s("x"), s("abc")]), s("abc"));
        assert_eq!(call("translate", &[s("é"), s("e"), s("café")]), s("cafe"));
    }

    #[test]
    fn indexof_regex_page() {
        let call5 = |text: &str, regex: &str, rest: &[i64]| {
            let mut args = vec![s(text), s(regex)];
            args.extend(rest.iter().map(|n| KqlValue::Long(*n)));
            call("indexof_regex", &args)
        };
        assert_eq!(call5("abcabc", "a.c", &[]), KqlValue::Long(0));
        assert_eq!(call5("abcabcdefg", "a.c", &[0, 9, 2]), KqlValue::Long(3));
        assert_eq!(call5("abcabc", "a.c", &[1, -1, 2]), KqlValue::Long(-1));
        assert_eq!(call5("ababaa", "a.a", &[0, -1, 2]), KqlValue::Long(-1));
        assert_eq!(call5("abcabc", "a|ab", &[-1]), KqlValue::Null);
        // The range ends before the second match does.
        assert_eq!(call5("abcabc", "a.c", &[0, 5, 2]), KqlValue::Long(-1));
        assert_eq!(call5("abcabc", "a.c", &[0, 6, 2]), KqlValue::Long(3));
        assert_eq!(call5("abc", "x", &[]), KqlValue::Long(-1));
        assert_eq!(call5("abc", "c", &[10]), KqlValue::Long(-1));
        assert_eq!(call5("abc", "c", &[0, -2]), KqlValue::Null);
        assert_eq!(call5("abc", "c", &[0, -1, -1]), KqlValue::Null);
        // Indexes count characters, not bytes.
        assert_eq!(call5("ééxé", "x", &[]), KqlValue::Long(2));
        assert_eq!(call5("ééxéx", "x", &[3]), KqlValue::Long(4));
        assert!((lookup_eval("indexof_regex"))(&[s("a"), s("(")]).is_err());
    }

    #[test]
    fn regex_quote_page() {
        assert_eq!(
            call("regex_quote", &[s("(so$me.Te^xt)")]),
            s(r"\(so\$me\.Te\^xt\)")
        );
        let quoted = call("regex_quote", &[s("a+b*[c]{2}|d?")]).to_text();
        let regex = cached_regex(&format!("^{quoted}$")).unwrap();
        assert!(regex.is_match("a+b*[c]{2}|d?"));
    }

    #[test]
    fn replace_strings_page() {
        let message = s("A magic trick can turn a cat into a dog");
        assert_eq!(
            call(
                "replace_strings",
                &[
                    message.clone(),
                    json(serde_json::json!(["cat", "dog"])),
                    json(serde_json::json!(["dog", "pigeon"]))
                ]
            ),
            s("A magic trick can turn a dog into a pigeon")
        );
        assert_eq!(
            call(
                "replace_strings",
                &[
                    message,
                    json(serde_json::json!(["turn", " into a dog"])),
                    json(serde_json::json!(["disappear", ""]))
                ]
            ),
            s("A magic trick can disappear a cat")
        );
        let message = s("This is an example of using replace_strings()");
        let outcome = |lookups, rewrites| {
            call(
                "replace_strings",
                &[message.clone(), json(lookups), json(rewrites)],
            )
        };
        assert_eq!(
            outcome(
                serde_json::json!(["This", "is"]),
                serde_json::json!(["This", "was"])
            ),
            s("This was an example of using replace_strings()")
        );
        assert_eq!(
            outcome(
                serde_json::json!(["is", "This"]),
                serde_json::json!(["was", "This"])
            ),
            s("Thwas was an example of using replace_strings()")
        );
        assert_eq!(
            outcome(
                serde_json::json!(["This", "is"]),
                serde_json::json!([12345, "was"])
            ),
            s("This was an example of using replace_strings()")
        );
        // Lookups that are not strings, or empty, are ignored; a missing rewrite keeps the
        // match; not an array changes nothing.
        assert_eq!(
            call(
                "replace_strings",
                &[
                    s("a1a"),
                    json(serde_json::json!([1, "", "a"])),
                    json(serde_json::json!(["x", "y"]))
                ]
            ),
            s("a1a")
        );
        assert_eq!(
            call(
                "replace_strings",
                &[s("abc"), KqlValue::Null, KqlValue::Null]
            ),
            s("abc")
        );
        assert_eq!(
            call(
                "replace_strings",
                &[
                    s("ééé"),
                    json(serde_json::json!(["éé", "é"])),
                    json(serde_json::json!(["1", "2"]))
                ]
            ),
            s("12")
        );
    }

    #[test]
    fn strcmp_page() {
        let cases = [
            ("ABC", "ABC", 0),
            ("abc", "ABC", 1),
            ("ABC", "abc", -1),
            ("abcde", "abc", 1),
            ("", "a", -1),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                call("strcmp", &[s(a), s(b)]),
                KqlValue::Long(want),
                "{a} {b}"
            );
        }
    }

    #[test]
    fn codepoints_pages() {
        assert_eq!(
            call("unicode_codepoints_from_string", &[s("⒦⒰⒮⒯⒪")]),
            json(serde_json::json!([9382, 9392, 9390, 9391, 9386]))
        );
        assert_eq!(
            call("unicode_codepoints_from_string", &[s("קוסטו - Kusto")]),
            json(serde_json::json!([
                1511, 1493, 1505, 1496, 1493, 32, 45, 32, 75, 117, 115, 116, 111
            ]))
        );
        assert_eq!(
            call("unicode_codepoints_from_string", &[s("")]),
            json(serde_json::json!([]))
        );
        let kusto = [75, 117, 115, 116, 111].map(KqlValue::Long);
        assert_eq!(call("make_string", &kusto), s("Kusto"));
        assert_eq!(
            call(
                "make_string",
                &[json(serde_json::json!([75, 117, 115, 116, 111]))]
            ),
            s("Kusto")
        );
        assert_eq!(
            call(
                "make_string",
                &[
                    json(serde_json::json!([75, 117, 115])),
                    KqlValue::Long(116),
                    KqlValue::Long(111)
                ]
            ),
            s("Kusto")
        );
        let back = call("unicode_codepoints_from_string", &[s("Kusto")]);
        assert_eq!(call("make_string", &[back]), s("Kusto"));
        assert_eq!(
            call("make_string", &[KqlValue::Long(0xD800)]),
            KqlValue::Null
        );
        assert_eq!(call("make_string", &[KqlValue::Long(-1)]), KqlValue::Null);
        assert_eq!(
            call("make_string", &[json(serde_json::json!(["a"]))]),
            KqlValue::Null
        );
        assert_eq!(call("make_string", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn parse_csv_page() {
        assert_eq!(
            call(
                "parse_csv",
                &[s(
                    "aa,\"b,b,b\",cc,\"Escaping quotes: \"\"Title\"\"\",\"line1\nline2\""
                )]
            ),
            json(serde_json::json!([
                "aa",
                "b,b,b",
                "cc",
                "Escaping quotes: \"Title\"",
                "line1\nline2"
            ]))
        );
        assert_eq!(
            call("parse_csv", &[s("record1,a,b,c\nrecord2,x,y,z")]),
            json(serde_json::json!(["record1", "a", "b", "c"]))
        );
        assert_eq!(call("parse_csv", &[s("")]), json(serde_json::json!([""])));
        assert_eq!(
            call("parse_csv", &[s("a,,b,\r\nc")]),
            json(serde_json::json!(["a", "", "b", ""]))
        );
        assert_eq!(
            call("parse_csv", &[s("\"unclosed,a")]),
            json(serde_json::json!(["unclosed,a"]))
        );
    }

    #[test]
    fn extract_all_page() {
        let id = s("82b8be2d-dfa7-4bd1-8f63-24ad26d31449");
        assert_eq!(
            call("extract_all", &[s(r"([\da-f]{2})"), id.clone()]),
            json(serde_json::json!([
                "82", "b8", "be", "2d", "df", "a7", "4b", "d1", "8f", "63", "24", "ad", "26", "d3",
                "14", "49"
            ]))
        );
        let all = serde_json::json!([
            ["8", "2b8be2", "d"],
            ["d", "fa", "7"],
            ["4", "bd", "1"],
            ["8", "f6", "3"],
            ["2", "4ad26d3144", "9"]
        ]);
        assert_eq!(
            call("extract_all", &[s(r"(\w)(\w+)(\w)"), id.clone()]),
            json(all.clone())
        );
        assert_eq!(
            call(
                "extract_all",
                &[
                    s(r"(\w)(\w+)(\w)"),
                    json(serde_json::json!([1, 3])),
                    id.clone()
                ]
            ),
            json(serde_json::json!([
                ["8", "d"],
                ["d", "7"],
                ["4", "1"],
                ["8", "3"],
                ["2", "9"]
            ]))
        );
        assert_eq!(
            call(
                "extract_all",
                &[
                    s(r"(?P<first>\w)(?P<middle>\w+)(?P<last>\w)"),
                    json(serde_json::json!(["first", 2, "last"])),
                    id.clone()
                ]
            ),
            json(all)
        );
        assert_eq!(
            call(
                "extract_all",
                &[s(r"(\d+)"), s("a set of numbers: 123, 567 and 789")]
            ),
            json(serde_json::json!(["123", "567", "789"]))
        );
        assert_eq!(
            call("extractall", &[s("(.)"), s("ab")]),
            json(serde_json::json!(["a", "b"]))
        );
        // No match is null; an optional group that did not take part is "".
        assert_eq!(call("extract_all", &[s("(x)"), s("abc")]), KqlValue::Null);
        assert_eq!(
            call("extract_all", &[s("(a)(x)?"), s("aa")]),
            json(serde_json::json!([["a", ""], ["a", ""]]))
        );
        let eval = lookup_eval("extract_all");
        assert!(eval(&[s("abc"), s("abc")]).is_err(), "no capture group");
        assert!(eval(&[s("(a)"), json(serde_json::json!([2])), s("a")]).is_err());
        assert!(eval(&[s("(a)"), json(serde_json::json!([0])), s("a")]).is_err());
        assert!(eval(&[s("(a)"), json(serde_json::json!(["n"])), s("a")]).is_err());
        assert!(eval(&[s("(a)"), s("1"), s("a")]).is_err());
        assert_eq!(
            call("extract_all", &[s("(a)"), KqlValue::Null, s("a")]),
            KqlValue::Null
        );
    }

    #[test]
    fn isascii_isutf8_pages() {
        assert_eq!(call("isascii", &[s("some string")]), KqlValue::Bool(true));
        assert_eq!(call("isascii", &[s("sömé")]), KqlValue::Bool(false));
        assert_eq!(call("isascii", &[s("")]), KqlValue::Bool(true));
        assert_eq!(call("isutf8", &[s("some string")]), KqlValue::Bool(true));
    }

    #[test]
    fn tohex_page() {
        let hex = |args: &[i64]| {
            let args: Vec<KqlValue> = args.iter().map(|n| KqlValue::Long(*n)).collect();
            call("tohex", &args)
        };
        assert_eq!(hex(&[256]), s("100"));
        assert_eq!(hex(&[256, 8]), s("00000100"));
        assert_eq!(hex(&[256, 2]), s("100"));
        assert_eq!(hex(&[256, 40]), s("0000000000000100"));
        assert_eq!(hex(&[0]), s("0"));
        assert_eq!(hex(&[0xCAFE_F00D]), s("cafef00d"));
        assert_eq!(call("tohex", &[KqlValue::Null]), KqlValue::Null);
        // Negative values need the argument's type (int or long), which is not known here.
        assert!((lookup_eval("tohex"))(&[KqlValue::Long(-256)]).is_err());
    }
}
