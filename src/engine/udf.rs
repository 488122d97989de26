//! KQL behaviour that DataFusion has no function for: term matching (`has` and friends) and
//! dynamic (JSON) values, which the engine holds as JSON text. Each function is a small
//! `ScalarUDFImpl`, tested alone.

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

/// Arguments as UTF-8 arrays, or a single string when the argument is a constant.
enum Text {
    Array(ArrayRef),
    Constant(Option<String>),
}

fn text_arg(value: &ColumnarValue) -> Result<Text> {
    Ok(match value {
        ColumnarValue::Scalar(scalar) => Text::Constant(match scalar {
            ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => {
                s.clone()
            }
            other if other.is_null() => None,
            other => Some(other.to_string()),
        }),
        ColumnarValue::Array(array) => Text::Array(cast(array, &DataType::Utf8)?),
    })
}

/// Row `i` of a text argument.
fn text_at(text: &Text, row: usize) -> Option<&str> {
    match text {
        Text::Constant(value) => value.as_deref(),
        Text::Array(array) => {
            let strings = array.as_string::<i32>();
            if strings.is_null(row) {
                None
            } else {
                Some(strings.value(row))
            }
        }
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

// ---- dynamic values ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DynamicOp {
    /// `parse_json(text)`: valid JSON becomes that value; anything else a JSON string.
    Parse,
    /// `d.key` / `d["key"]`: (json, key) → json, null when missing.
    Get,
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
    pub fn udf(op: DynamicOp) -> ScalarUDF {
        let arity = match op {
            DynamicOp::Get | DynamicOp::Index => 2,
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
                if self.op == DynamicOp::ToText {
                    out.append_value("");
                } else {
                    out.append_null();
                }
                continue;
            };
            match self.op {
                DynamicOp::Parse => out.append_value(parse_value(text).to_string()),
                DynamicOp::Get | DynamicOp::Index => {
                    let key = second.as_ref().and_then(|k| text_at(k, row));
                    let value = serde_json::from_str::<serde_json::Value>(text).ok();
                    let found = match (value, key) {
                        (Some(serde_json::Value::Object(map)), Some(key))
                            if self.op == DynamicOp::Get =>
                        {
                            map.get(key).cloned()
                        }
                        (Some(serde_json::Value::Array(items)), Some(index))
                            if self.op == DynamicOp::Index =>
                        {
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
                DynamicOp::ToText => match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(serde_json::Value::String(s)) => out.append_value(s),
                    Ok(serde_json::Value::Null) => out.append_value(""),
                    Ok(other) => out.append_value(other.to_string()),
                    Err(_) => out.append_value(text),
                },
                DynamicOp::ArrayLength => unreachable!("handled above"),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Turns a list (what `make_set`/`make_list` aggregate into) into dynamic JSON text.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ListToJsonUdf {
    signature: Signature,
}

impl ListToJsonUdf {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(ListToJsonUdf {
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for ListToJsonUdf {
    fn name(&self) -> &str {
        "kql_list_to_json"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let DataType::List(field) = array.data_type() else {
            return exec_err!("kql_list_to_json expects a list, got {}", array.data_type());
        };
        let item_type = crate::results::KqlType::from_arrow(field.data_type());
        let list = array.as_list::<i32>();
        let mut out = StringBuilder::with_capacity(list.len(), list.len() * 32);
        for row in 0..list.len() {
            if list.is_null(row) {
                out.append_value("[]");
                continue;
            }
            let items = list.value(row);
            let values: Vec<serde_json::Value> = (0..items.len())
                .filter(|i| !items.is_null(*i))
                .map(|i| crate::results::format::cell_json(items.as_ref(), i, item_type))
                .collect();
            out.append_value(serde_json::Value::Array(values).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
