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

#[cfg(test)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;

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
}
