//! Text functions that need more than DataFusion's: `extract` (extract-function.md), `split`
//! (split-function.md) and `countof` (countof-function.md), each a small UDF with the page's
//! examples as its tests.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

use super::udf::{text_arg, text_at};

/// Which of the three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOp {
    /// `(regex, group, source)` → the group of the first match, null when none.
    Extract,
    /// `(source, delimiter)` → the parts as a dynamic array's JSON; `(…, index)` → `[part]`.
    Split,
    /// `(source, search, regex?)` → how many times it matches (plain matches overlap).
    Countof,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TextUdf {
    op: TextOp,
    signature: Signature,
}

impl TextUdf {
    pub fn udf(op: TextOp, arity: usize) -> ScalarUDF {
        ScalarUDF::from(TextUdf {
            op,
            signature: Signature::any(arity, Volatility::Immutable),
        })
    }
}

/// The capture group `group` of the first match of `regex` in `source`.
pub fn extract(regex: &Regex, group: usize, source: &str) -> Option<String> {
    regex
        .captures(source)
        .and_then(|c| c.get(group))
        .map(|m| m.as_str().to_string())
}

/// `split(source, delimiter[, index])` as a dynamic array's JSON text.
pub fn split(source: &str, delimiter: &str, index: Option<i64>) -> String {
    let parts: Vec<&str> = source.split(delimiter).collect();
    let chosen: Vec<&str> = match index {
        None => parts,
        Some(i) => usize::try_from(i)
            .ok()
            .and_then(|i| parts.get(i).copied())
            .into_iter()
            .collect(),
    };
    serde_json::to_string(&chosen).unwrap_or_else(|_| "[]".into())
}

/// `countof`: plain matches may overlap ("aaaa" has "aa" 3 times); regex matches don't.
pub fn countof(source: &str, search: &str, regex: Option<&Regex>) -> i64 {
    match regex {
        Some(regex) => regex.find_iter(source).count() as i64,
        None if search.is_empty() => 0,
        None => {
            let mut count = 0;
            let mut from = 0;
            while let Some(at) = source[from..].find(search) {
                count += 1;
                // The next match may start inside this one, at its next character.
                let start = from + at;
                from = start + source[start..].chars().next().map_or(1, char::len_utf8);
            }
            count
        }
    }
}

impl ScalarUDFImpl for TextUdf {
    fn name(&self) -> &str {
        match self.op {
            TextOp::Extract => "kql_extract",
            TextOp::Split => "kql_split",
            TextOp::Countof => "kql_countof",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.op {
            TextOp::Countof => DataType::Int64,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let texts = args.args.iter().map(text_arg).collect::<Result<Vec<_>>>()?;
        // A constant pattern is compiled once.
        let constant = |i: usize| match &args.args[i] {
            ColumnarValue::Scalar(ScalarValue::Utf8(s)) => s.clone(),
            _ => None,
        };
        let compile = |pattern: &str| match Regex::new(&crate::kql::regex::to_rust_syntax(pattern))
        {
            Ok(regex) => Ok(regex),
            Err(e) => exec_err!("invalid regular expression: {e}"),
        };
        let array: ArrayRef = match self.op {
            TextOp::Extract => {
                let fixed = constant(0).map(|p| compile(&p)).transpose()?;
                let mut out = StringBuilder::with_capacity(rows, rows * 8);
                for row in 0..rows {
                    let group = text_at(&texts[1], row).and_then(|g| g.parse::<usize>().ok());
                    let source = text_at(&texts[2], row);
                    let found = match (&fixed, group, source) {
                        (Some(regex), Some(g), Some(s)) => extract(regex, g, s),
                        (None, Some(g), Some(s)) => match text_at(&texts[0], row) {
                            Some(p) => extract(&compile(p)?, g, s),
                            None => None,
                        },
                        _ => None,
                    };
                    out.append_option(found);
                }
                Arc::new(out.finish())
            }
            TextOp::Split => {
                let mut out = StringBuilder::with_capacity(rows, rows * 16);
                for row in 0..rows {
                    let source = text_at(&texts[0], row).unwrap_or("");
                    let delimiter = text_at(&texts[1], row).unwrap_or("");
                    let index = texts
                        .get(2)
                        .map(|t| text_at(t, row).and_then(|i| i.parse::<i64>().ok()));
                    let pieces = match index {
                        Some(None) => {
                            out.append_null();
                            continue;
                        }
                        Some(Some(i)) => split(source, delimiter, Some(i)),
                        None => split(source, delimiter, None),
                    };
                    // The JSON of the pieces can be several times the text split.
                    if let Err(message) = crate::engine::functions::append_text(&mut out, &pieces) {
                        return exec_err!("split(): {message}");
                    }
                }
                Arc::new(out.finish())
            }
            TextOp::Countof => {
                let as_regex = texts.get(2).is_some();
                let fixed = match (as_regex, constant(1)) {
                    (true, Some(p)) => Some(compile(&p)?),
                    _ => None,
                };
                let mut out = Int64Builder::with_capacity(rows);
                for row in 0..rows {
                    let (Some(source), Some(search)) =
                        (text_at(&texts[0], row), text_at(&texts[1], row))
                    else {
                        out.append_null();
                        continue;
                    };
                    let count = match (&fixed, as_regex) {
                        (Some(regex), _) => countof(source, search, Some(regex)),
                        (None, true) => countof(source, search, Some(&compile(search)?)),
                        (None, false) => countof(source, search, None),
                    };
                    out.append_value(count);
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_examples() {
        let re = |p: &str| Regex::new(p).unwrap();
        let text = "User: James, Email: James@example.com, Age: 29";
        assert_eq!(
            extract(&re("User: ([^,]+)"), 1, text).as_deref(),
            Some("James")
        );
        assert_eq!(
            extract(&re(r"Email: (\S+),"), 1, "User: David, Age: 35"),
            None
        );
        assert_eq!(extract(&re(r"\d+"), 0, text).as_deref(), Some("29"));
        assert_eq!(split("aa_bb", "_", None), r#"["aa","bb"]"#);
        assert_eq!(split("aaa_bbb_ccc", "_", Some(1)), r#"["bbb"]"#);
        assert_eq!(split("", "_", None), r#"[""]"#);
        assert_eq!(split("a__b", "_", None), r#"["a","","b"]"#);
        assert_eq!(split("aabbcc", "bb", None), r#"["aa","cc"]"#);
        assert_eq!(split("a_b", "_", Some(5)), "[]");
        assert_eq!(countof("aaa", "a", None), 3);
        assert_eq!(countof("aaaa", "aa", None), 3);
        assert_eq!(countof("ababa", "ab", None), 2);
        assert_eq!(countof("ababa", "aba", None), 2);
        assert_eq!(countof("ababa", "aba", Some(&re("aba"))), 1);
        assert_eq!(countof("abcabc", "a.c", Some(&re("a.c"))), 2);
    }
}
