//! The row function behind `parse` and `parse-where` (parse-operator.md): one regular expression
//! made from the pattern, run once per row, giving every extracted column at once as the fields
//! of a struct (the planner then takes each field out as a column).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

use super::udf::{text_arg, text_at};
use crate::kql::time;
use crate::results::KqlType;

/// `parse`'s row function: (text) → struct of the pattern's columns. The struct is null where
/// the text does not match (and, unless `relaxed`, where a column's text is not of its type).
#[derive(Debug)]
pub struct ParseUdf {
    regex: Regex,
    /// Each column's name (also the name of its capture group, `c0`, `c1`, … by position) and
    /// type.
    columns: Vec<(String, KqlType)>,
    /// The capture group index of each column's group, found once (not by name per row).
    groups: Vec<Option<usize>>,
    relaxed: bool,
    signature: Signature,
}

impl PartialEq for ParseUdf {
    fn eq(&self, other: &ParseUdf) -> bool {
        self.regex.as_str() == other.regex.as_str()
            && self.columns == other.columns
            && self.relaxed == other.relaxed
    }
}

impl Eq for ParseUdf {}

impl std::hash::Hash for ParseUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
        self.columns.hash(state);
        self.relaxed.hash(state);
    }
}

impl ParseUdf {
    /// `regex` has one named group `c{i}` per column `i` of `columns`.
    pub fn udf(regex: Regex, columns: Vec<(String, KqlType)>, relaxed: bool) -> ScalarUDF {
        let names: Vec<Option<&str>> = regex.capture_names().collect();
        let groups = (0..columns.len())
            .map(|index| {
                let name = format!("c{index}");
                names.iter().position(|n| *n == Some(name.as_str()))
            })
            .collect();
        ScalarUDF::from(ParseUdf {
            regex,
            columns,
            groups,
            relaxed,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    fn fields(&self) -> Fields {
        struct_fields(&self.columns)
    }
}

/// The struct of extracted columns `(name, type)`: fields `c0`, `c1`, … by position (column
/// names may repeat in a pattern), each nullable.
fn struct_fields(columns: &[(String, KqlType)]) -> Fields {
    columns
        .iter()
        .enumerate()
        .map(|(index, (_, ty))| Field::new(format!("c{index}"), ty.arrow_type(), true))
        .collect()
}

/// A captured text read as `ty`; `None` when it is not a value of that type.
pub fn convert(text: &str, ty: KqlType) -> Option<Parsed> {
    Some(match ty {
        KqlType::String | KqlType::Guid => Parsed::Text(text.to_string()),
        KqlType::Dynamic => Parsed::Text(
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
                .to_string(),
        ),
        KqlType::Int | KqlType::Long => Parsed::Long(text.trim().parse().ok()?),
        KqlType::Real | KqlType::Decimal => Parsed::Real(text.trim().parse().ok()?),
        KqlType::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Parsed::Bool(true),
            "false" | "0" => Parsed::Bool(false),
            _ => return None,
        },
        KqlType::DateTime => Parsed::Long(time::parse_datetime(text.trim()).ok()?),
        KqlType::Timespan => Parsed::Long(time::parse_timespan(text.trim()).ok()?),
    })
}

/// A converted value, as Arrow holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Text(String),
    Long(i64),
    Real(f64),
    Bool(bool),
}

enum Column {
    Text(StringBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Bool(BooleanBuilder),
}

impl Column {
    fn new(ty: KqlType, rows: usize) -> Column {
        match ty.arrow_type() {
            DataType::Int32 => Column::Int(Int32Builder::with_capacity(rows)),
            DataType::Int64 => Column::Long(Int64Builder::with_capacity(rows)),
            DataType::Float64 => Column::Real(Float64Builder::with_capacity(rows)),
            DataType::Boolean => Column::Bool(BooleanBuilder::with_capacity(rows)),
            _ => Column::Text(StringBuilder::with_capacity(rows, rows * 8)),
        }
    }

    fn push(&mut self, value: Option<Parsed>) {
        match (self, value) {
            (Column::Text(b), Some(Parsed::Text(s))) => b.append_value(s),
            (Column::Int(b), Some(Parsed::Long(n))) => b.append_option(i32::try_from(n).ok()),
            (Column::Long(b), Some(Parsed::Long(n))) => b.append_value(n),
            (Column::Real(b), Some(Parsed::Real(f))) => b.append_value(f),
            (Column::Bool(b), Some(Parsed::Bool(v))) => b.append_value(v),
            (Column::Text(b), _) => b.append_null(),
            (Column::Int(b), _) => b.append_null(),
            (Column::Long(b), _) => b.append_null(),
            (Column::Real(b), _) => b.append_null(),
            (Column::Bool(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Column::Text(mut b) => Arc::new(b.finish()),
            Column::Int(mut b) => Arc::new(b.finish()),
            Column::Long(mut b) => Arc::new(b.finish()),
            Column::Real(mut b) => Arc::new(b.finish()),
            Column::Bool(mut b) => Arc::new(b.finish()),
        }
    }
}

impl ScalarUDFImpl for ParseUdf {
    fn name(&self) -> &str {
        "kql_parse"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let text = text_arg(&args.args[0])?;
        let mut columns: Vec<Column> = self
            .columns
            .iter()
            .map(|(_, ty)| Column::new(*ty, rows))
            .collect();
        let mut valid = Vec::with_capacity(rows);
        let mut values: Vec<Option<Parsed>> = Vec::with_capacity(columns.len());
        for row in 0..rows {
            values.clear();
            let captures = self.regex.captures(text_at(&text, row).unwrap_or(""));
            let mut ok = captures.is_some();
            if let Some(captures) = &captures {
                for ((_, ty), group) in self.columns.iter().zip(&self.groups) {
                    let found = group.and_then(|g| captures.get(g)).map(|m| m.as_str());
                    let value = found.and_then(|t| convert(t, *ty));
                    ok &= value.is_some() || self.relaxed || found.is_none();
                    values.push(value);
                }
            }
            valid.push(ok);
            for (index, column) in columns.iter_mut().enumerate() {
                column.push(if ok {
                    values.get(index).cloned().flatten()
                } else {
                    None
                });
            }
        }
        let arrays: Vec<ArrayRef> = columns.into_iter().map(Column::finish).collect();
        let array = StructArray::try_new(self.fields(), arrays, Some(NullBuffer::from(valid)))?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_text_reads_as_its_type() {
        assert_eq!(convert(" 27", KqlType::Long), Some(Parsed::Long(27)));
        assert_eq!(convert("x", KqlType::Long), None);
        assert_eq!(convert("1.5", KqlType::Real), Some(Parsed::Real(1.5)));
        assert_eq!(convert("True", KqlType::Bool), Some(Parsed::Bool(true)));
        assert_eq!(
            convert("{\"a\":1}", KqlType::Dynamic),
            Some(Parsed::Text("{\"a\":1}".into()))
        );
        assert_eq!(
            convert("abc", KqlType::Dynamic),
            Some(Parsed::Text("\"abc\"".into()))
        );
        let when = convert("02/17/2016 08:40:01", KqlType::DateTime);
        assert_eq!(
            when.map(|p| match p {
                Parsed::Long(t) => time::format_datetime(t),
                _ => String::new(),
            })
            .as_deref(),
            Some("2016-02-17T08:40:01.0000000Z")
        );
    }
}

// ---- parse-kv ------------------------------------------------------------------------------

/// How `parse-kv` finds keys and values (parse-kv-operator.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KvMode {
    /// `pair_delimiter` and `kv_delimiter` given; `greedy`: a value runs to the next pair that
    /// holds a key.
    Delimited {
        pair: String,
        kv: String,
        greedy: bool,
    },
    /// No delimiters: a key is a known name followed by non-alphanumeric characters, its value
    /// the run of letters and digits after them (or a quoted value).
    Loose,
    /// `regex`: group 1 is the key, group 2 the value.
    Regex(String),
}

/// Quotes (open, close) and escape characters of `parse-kv`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KvQuoting {
    pub quotes: Vec<(char, char)>,
    pub escapes: Vec<char>,
}

impl KvQuoting {
    fn closing(&self, open: char) -> Option<char> {
        self.quotes
            .iter()
            .find(|(o, _)| *o == open)
            .map(|(_, c)| *c)
    }

    /// `text` without its quotes (and escapes) when it is quoted.
    fn unquote(&self, text: &str) -> String {
        let text = text.trim();
        let mut chars = text.chars();
        if let Some(open) = chars.next()
            && let Some(close) = self.closing(open)
            && text.len() >= 2
            && text.ends_with(close)
        {
            let inner = &text[open.len_utf8()..text.len() - close.len_utf8()];
            let mut out = String::with_capacity(inner.len());
            let mut escaped = false;
            for c in inner.chars() {
                if escaped {
                    out.push(c);
                    escaped = false;
                } else if self.escapes.contains(&c) {
                    escaped = true;
                } else {
                    out.push(c);
                }
            }
            return out;
        }
        text.to_string()
    }

    /// `text` split at `delimiter` where it is not inside quotes.
    fn split<'a>(&self, text: &'a str, delimiter: &str) -> Vec<&'a str> {
        let mut parts = Vec::new();
        let mut start = 0;
        let mut inside: Option<char> = None;
        let mut escaped = false;
        let mut at = 0;
        while at < text.len() {
            let Some(c) = text[at..].chars().next() else {
                break;
            };
            if let Some(close) = inside {
                if escaped {
                    escaped = false;
                } else if self.escapes.contains(&c) {
                    escaped = true;
                } else if c == close {
                    inside = None;
                }
                at += c.len_utf8();
                continue;
            }
            if let Some(close) = self.closing(c) {
                inside = Some(close);
                at += c.len_utf8();
                continue;
            }
            if !delimiter.is_empty() && text[at..].starts_with(delimiter) {
                parts.push(&text[start..at]);
                at += delimiter.len();
                start = at;
                continue;
            }
            at += c.len_utf8();
        }
        parts.push(&text[start..]);
        parts
    }
}

/// The values of `keys` in `text` (the first appearance of each); `None` for a key not there.
pub fn parse_kv(
    text: &str,
    keys: &[String],
    mode: &KvMode,
    quoting: &KvQuoting,
    regex: Option<&Regex>,
) -> Vec<Option<String>> {
    let mut found: Vec<Option<String>> = vec![None; keys.len()];
    let mut put = |key: &str, value: String| {
        if let Some(at) = keys.iter().position(|k| k == key)
            && found[at].is_none()
        {
            found[at] = Some(value);
        }
    };
    match mode {
        KvMode::Delimited { pair, kv, greedy } => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for part in quoting.split(text, pair) {
                let halves = quoting.split(part, kv);
                if halves.len() >= 2 {
                    let key = quoting.unquote(halves[0]);
                    let value = part[halves[0].len() + kv.len()..].to_string();
                    pairs.push((key, value));
                } else if *greedy && let Some(last) = pairs.last_mut() {
                    last.1.push_str(pair);
                    last.1.push_str(part);
                }
            }
            for (key, value) in pairs {
                put(&key, quoting.unquote(&value));
            }
        }
        KvMode::Loose => {
            for (index, key) in keys.iter().enumerate() {
                if key.is_empty() {
                    continue;
                }
                let mut from = 0;
                while let Some(at) = text[from..].find(key.as_str()).map(|a| a + from) {
                    from = at + key.len();
                    let before_ok = text[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_alphanumeric());
                    let rest = &text[from..];
                    let after = rest.trim_start_matches(|c: char| c.is_whitespace());
                    let delimited: String = after
                        .chars()
                        .take_while(|c| {
                            !c.is_alphanumeric()
                                && !c.is_whitespace()
                                && quoting.closing(*c).is_none()
                        })
                        .collect();
                    if !before_ok || delimited.is_empty() {
                        continue;
                    }
                    let value_text = after[delimited.len()..].trim_start();
                    let value = match value_text.chars().next().and_then(|c| quoting.closing(c)) {
                        Some(close) => {
                            // A quoted value, up to its closing quote (escapes honoured).
                            let mut escaped = false;
                            let mut end = None;
                            for (i, c) in value_text.char_indices().skip(1) {
                                if escaped {
                                    escaped = false;
                                } else if quoting.escapes.contains(&c) {
                                    escaped = true;
                                } else if c == close {
                                    end = Some(i);
                                    break;
                                }
                            }
                            let end = end.unwrap_or(value_text.len());
                            let quoted =
                                &value_text[..(end + close.len_utf8()).min(value_text.len())];
                            quoting.unquote(quoted)
                        }
                        None => value_text
                            .chars()
                            .take_while(|c| c.is_alphanumeric())
                            .collect(),
                    };
                    if found[index].is_none() {
                        found[index] = Some(value);
                    }
                    break;
                }
            }
        }
        KvMode::Regex(_) => {
            if let Some(regex) = regex {
                for captures in regex.captures_iter(text) {
                    if let (Some(key), Some(value)) = (captures.get(1), captures.get(2)) {
                        put(key.as_str().trim(), value.as_str().trim().to_string());
                    }
                }
            }
        }
    }
    found
}

/// `parse-kv`'s row function: (text) → struct of the keys' values (`c0`, `c1`, …), each
/// converted to its type (null when missing or not of it).
#[derive(Debug)]
pub struct ParseKvUdf {
    keys: Vec<(String, KqlType)>,
    mode: KvMode,
    quoting: KvQuoting,
    regex: Option<Regex>,
    signature: Signature,
}

impl PartialEq for ParseKvUdf {
    fn eq(&self, other: &ParseKvUdf) -> bool {
        self.keys == other.keys && self.mode == other.mode && self.quoting == other.quoting
    }
}

impl Eq for ParseKvUdf {}

impl std::hash::Hash for ParseKvUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.keys.hash(state);
        self.mode.hash(state);
        self.quoting.hash(state);
    }
}

impl ParseKvUdf {
    /// `regex` is the compiled form of a [`KvMode::Regex`] mode.
    pub fn udf(
        keys: Vec<(String, KqlType)>,
        mode: KvMode,
        quoting: KvQuoting,
        regex: Option<Regex>,
    ) -> ScalarUDF {
        ScalarUDF::from(ParseKvUdf {
            keys,
            mode,
            quoting,
            regex,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    fn fields(&self) -> Fields {
        struct_fields(&self.keys)
    }
}

impl ScalarUDFImpl for ParseKvUdf {
    fn name(&self) -> &str {
        "kql_parse_kv"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let text = text_arg(&args.args[0])?;
        let names: Vec<String> = self.keys.iter().map(|(n, _)| n.clone()).collect();
        let mut columns: Vec<Column> = self
            .keys
            .iter()
            .map(|(_, ty)| Column::new(*ty, rows))
            .collect();
        for row in 0..rows {
            let values = parse_kv(
                text_at(&text, row).unwrap_or(""),
                &names,
                &self.mode,
                &self.quoting,
                self.regex.as_ref(),
            );
            for ((column, (_, ty)), value) in columns.iter_mut().zip(&self.keys).zip(values) {
                column.push(value.and_then(|v| convert(&v, *ty)));
            }
        }
        let arrays: Vec<ArrayRef> = columns.into_iter().map(Column::finish).collect();
        let array = StructArray::try_new(self.fields(), arrays, None)?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

#[cfg(test)]
mod kv_tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn delimited(pair: &str, kv: &str, greedy: bool) -> KvMode {
        KvMode::Delimited {
            pair: pair.into(),
            kv: kv.into(),
            greedy,
        }
    }

    fn some(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| Some(v.to_string())).collect()
    }

    #[test]
    fn the_pages_examples() {
        let plain = KvQuoting::default();
        assert_eq!(
            parse_kv(
                "ThreadId:458745723, Machine:Node001, Text: The service is up, Level: Info",
                &keys(&["Text", "ThreadId", "Machine"]),
                &delimited(",", ":", false),
                &plain,
                None
            ),
            some(&["The service is up", "458745723", "Node001"])
        );
        let quoted = KvQuoting {
            quotes: vec![('"', '"')],
            escapes: vec![],
        };
        assert_eq!(
            parse_kv(
                r#"src=10.1.1.123 dst=10.1.1.124 bytes=125 failure="connection aborted" "event time"=2021-01-01T10:00:54"#,
                &keys(&["event time", "src", "failure"]),
                &delimited(" ", "=", false),
                &quoted,
                None
            ),
            some(&["2021-01-01T10:00:54", "10.1.1.123", "connection aborted"])
        );
        let parens = KvQuoting {
            quotes: vec![('(', ')')],
            escapes: vec![],
        };
        assert_eq!(
            parse_kv(
                "src=10.1.1.123 failure=(connection aborted) (event time)=(2021-01-01 10:00:54)",
                &keys(&["event time", "failure"]),
                &delimited(" ", "=", false),
                &parens,
                None
            ),
            some(&["2021-01-01 10:00:54", "connection aborted"])
        );
        let escaped = KvQuoting {
            quotes: vec![('"', '"')],
            escapes: vec!['\\'],
        };
        assert_eq!(
            parse_kv(
                r#"bytes=125 failure="the remote host sent \"bye!\"" time=2021-01-01T10:00:54"#,
                &keys(&["failure", "time"]),
                &delimited(" ", "=", false),
                &escaped,
                None
            ),
            some(&[r#"the remote host sent "bye!""#, "2021-01-01T10:00:54"])
        );
        let text = "name=John Doe phone=555 5555 city=New York";
        let names = keys(&["name", "phone", "city"]);
        assert_eq!(
            parse_kv(text, &names, &delimited(" ", "=", false), &plain, None),
            some(&["John", "555", "New"])
        );
        assert_eq!(
            parse_kv(text, &names, &delimited(" ", "=", true), &plain, None),
            some(&["John Doe", "555 5555", "New York"])
        );
        assert_eq!(
            parse_kv(
                "2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: Started",
                &keys(&["Text", "ThreadId", "Machine"]),
                &KvMode::Loose,
                &plain,
                None
            ),
            some(&["Started", "458745723", "Node001"])
        );
        let single = KvQuoting {
            quotes: vec![('\'', '\'')],
            escapes: vec!['\\'],
        };
        assert_eq!(
            parse_kv(
                r"2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: 'The service \' is up'",
                &keys(&["Text", "ThreadId"]),
                &KvMode::Loose,
                &single,
                None
            ),
            some(&["The service ' is up", "458745723"])
        );
        let pattern = r#""([\w ]+)\s*:\s*([^"]*)""#;
        let regex = Regex::new(pattern).unwrap();
        assert_eq!(
            parse_kv(
                r#"["referer url: https://hostname.com/redirect?dest=/?h=1234", "request url: https://hostname.com/?h=1234"]"#,
                &keys(&["referer url", "request url", "missing"]),
                &KvMode::Regex(pattern.into()),
                &plain,
                Some(&regex)
            ),
            vec![
                Some("https://hostname.com/redirect?dest=/?h=1234".to_string()),
                Some("https://hostname.com/?h=1234".to_string()),
                None
            ]
        );
    }
}
