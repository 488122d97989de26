//! "Filter by this cell": the KQL text that keeps (or drops) the rows whose column holds the
//! value of one cell, to append to the query. Backend-agnostic: only the result and its KQL types
//! are read, and the text is valid KQL for Defender and the local engine alike.
//!
//! The rules and the documentation page each follows:
//! - strings: a double-quoted literal (scalar-data-types/string.md lists exactly the escapes
//!   `\\`, `\"`, `\'`, `\t` and `\n`). Any other control character, and the invisible or
//!   direction-changing characters the grid marks as suspicious, is written as
//!   `unicode_codepoints_to_string(…)` joined with `strcat(…)`
//!   (unicode-codepoints-to-string-function.md, strcat-function.md): that is exact, and the query
//!   text itself never carries a raw control or bidi character. An empty (or null) string is
//!   `isempty(Col)`: a KQL string is never null, and `isempty` is true for both
//!   (isempty-function.md, isnull-function.md);
//! - `datetime(2024-03-26T09:39:50.7688641Z)` with all 7 fraction digits (datetime.md);
//! - `timespan([-][d.]hh:mm:ss[.fffffff])`, exact to the tick (timespan.md);
//! - long/int as decimal numbers; real as the shortest text that reads back to the same double,
//!   `isnan(Col)` for NaN (NaN equals nothing), `real(+inf)` / `real(-inf)` (real.md);
//!   decimal as `decimal(…)` (decimal.md);
//! - `true` / `false`; `guid(…)` (guid.md);
//! - dynamic: `tostring(Col) == "<compact JSON>"` (a dynamic value cannot be compared with `==`;
//!   `tostring` of a dynamic string is the string itself, of anything else its compact JSON);
//! - null of any other type: `isnull(Col)` / `isnotnull(Col)`;
//! - column names that are not plain identifiers, or are KQL words, as `['name']`
//!   (entity-names.md).

use std::fmt::Write as _;

use datafusion::arrow::datatypes::DataType;

use super::format::{Value, cell_value};
use super::safe::is_deceptive;
use super::{KqlType, ResultSet};
use crate::kql::time;

/// `| where <predicate>`: the text to append to a query so that it keeps only the rows whose
/// `column` equals the value in (`row`, `column`), or, with `negate`, only the others
/// (`!=`, `isnotempty`, `isnotnull`, `not(isnan(…))`).
///
/// `row` and `column` index the result as the backend returned it (not the grid's sorted
/// position). Out of range → an empty string (nothing to append).
pub fn where_clause(result: &ResultSet, row: usize, column: usize, negate: bool) -> String {
    match predicate(result, row, column, negate) {
        Some(predicate) => format!("| where {predicate}"),
        None => String::new(),
    }
}

/// The predicate of [`where_clause`] alone (`FileName == "a.exe"`), for combining several;
/// `None` when `row` or `column` is out of range.
pub fn predicate(result: &ResultSet, row: usize, column: usize, negate: bool) -> Option<String> {
    if row >= result.row_count() || column >= result.column_count() {
        return None;
    }
    let name = column_reference(&result.column_name(column));
    let kql_type = result.column_type(column);
    let array = result.column(column);
    let (eq, ne) = ("==", "!=");
    let op = if negate { ne } else { eq };
    let Some(value) = cell_value(array.as_ref(), row, kql_type) else {
        let function = match (kql_type, negate) {
            (KqlType::String, false) => "isempty",
            (KqlType::String, true) => "isnotempty",
            (_, false) => "isnull",
            (_, true) => "isnotnull",
        };
        return Some(format!("{function}({name})"));
    };
    let text = match (kql_type, value) {
        (KqlType::Dynamic, Value::Text(raw)) => {
            let text = match raw.starts_with('"') {
                // A dynamic string compares as the string itself (what tostring gives).
                true => Value::Text(raw).to_text(KqlType::Dynamic),
                false => serde_json::from_str::<serde_json::Value>(&raw)
                    .map(|json| json.to_string())
                    .unwrap_or(raw),
            };
            format!("tostring({name}) {op} {}", string_literal(&text))
        }
        (_, Value::Text(text)) if kql_type == KqlType::String => {
            if text.is_empty() {
                let function = if negate { "isnotempty" } else { "isempty" };
                return Some(format!("{function}({name})"));
            }
            // A column read as string from some other Arrow type (a file's binary or date
            // column) is compared through its text.
            let subject = match array.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => name,
                _ => format!("tostring({name})"),
            };
            format!("{subject} {op} {}", string_literal(&text))
        }
        (KqlType::Guid, Value::Text(text)) => match guid_text(&text) {
            Some(guid) => format!("{name} {op} guid({guid})"),
            None => format!("tostring({name}) {op} {}", string_literal(&text)),
        },
        (_, Value::Bool(b)) => format!("{name} {op} {b}"),
        (_, Value::Int(i)) => format!("{name} {op} {}", long_literal(i)),
        (_, Value::UInt(u)) => match i64::try_from(u) {
            Ok(i) => format!("{name} {op} {}", long_literal(i)),
            // Beyond a long: KQL has no unsigned type, so compare the text.
            Err(_) => format!("tostring({name}) {op} \"{u}\""),
        },
        (_, Value::Float(f)) if f.is_nan() => {
            return Some(match negate {
                false => format!("isnan({name})"),
                true => format!("not(isnan({name}))"),
            });
        }
        (_, Value::Float(f)) => {
            let number = real_literal(f);
            match kql_type {
                KqlType::Decimal if f.is_finite() => format!("{name} {op} decimal({number})"),
                _ => format!("{name} {op} {number}"),
            }
        }
        (_, Value::DateTime(ticks)) => {
            format!("{name} {op} datetime({})", time::format_datetime(ticks))
        }
        (_, Value::Timespan(ticks)) => {
            format!("{name} {op} timespan({})", time::format_timespan(ticks))
        }
        // Text in a column of another type (a file's odd Arrow type): compare its text.
        (_, Value::Text(text)) => format!("tostring({name}) {op} {}", string_literal(&text)),
    };
    Some(text)
}

/// A column name as KQL reads it: bare when it is a plain identifier (ASCII letter or `_`, then
/// letters, digits and `_`) and not a KQL word, else `['name']` with `\\`, `\'`, `\n`, `\t`
/// escaped (entity-names.md: names with other characters are bracket-quoted).
pub fn column_reference(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KQL_WORDS.contains(&name.to_ascii_lowercase().as_str());
    if plain {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 4);
    out.push_str("['");
    for ch in name.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ch => out.push(ch),
        }
    }
    out.push_str("']");
    out
}

/// Words that are operators, keywords or type names somewhere in KQL: a column so named is
/// bracket-quoted so it can never read as the word (quoting a plain name is always valid).
const KQL_WORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "has",
    "contains",
    "startswith",
    "endswith",
    "matches",
    "between",
    "by",
    "on",
    "with",
    "of",
    "to",
    "step",
    "let",
    "set",
    "alias",
    "declare",
    "pattern",
    "restrict",
    "access",
    "true",
    "false",
    "null",
    "where",
    "project",
    "extend",
    "summarize",
    "sort",
    "order",
    "take",
    "limit",
    "top",
    "join",
    "union",
    "datatable",
    "print",
    "range",
    "as",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "kind",
    "typeof",
    "dynamic",
    "datetime",
    "date",
    "timespan",
    "time",
    "guid",
    "bool",
    "boolean",
    "int",
    "long",
    "real",
    "double",
    "string",
    "decimal",
    "evaluate",
    "invoke",
    "render",
    "materialize",
    "toscalar",
    "view",
    "table",
];

/// A KQL expression whose value is exactly `value`: one double-quoted literal when every
/// character can be written in one, else `strcat(…)` of literals and
/// `unicode_codepoints_to_string(…)` for the characters a literal cannot escape (every control
/// character but TAB and LF, and the invisible or direction-changing characters). `strcat` takes
/// at most 64 arguments (strcat-function.md), so longer lists nest.
pub fn string_literal(value: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut literal = String::new();
    let mut points: Vec<u32> = Vec::new();
    let flush_points = |parts: &mut Vec<String>, points: &mut Vec<u32>| {
        if !points.is_empty() {
            let list: Vec<String> = points.iter().map(u32::to_string).collect();
            parts.push(format!("unicode_codepoints_to_string({})", list.join(", ")));
            points.clear();
        }
    };
    for ch in value.chars() {
        if needs_code_point(ch) {
            if !literal.is_empty() {
                parts.push(format!("\"{literal}\""));
                literal.clear();
            }
            points.push(ch as u32);
            continue;
        }
        flush_points(&mut parts, &mut points);
        match ch {
            '\\' => literal.push_str("\\\\"),
            '"' => literal.push_str("\\\""),
            '\n' => literal.push_str("\\n"),
            '\t' => literal.push_str("\\t"),
            ch => literal.push(ch),
        }
    }
    flush_points(&mut parts, &mut points);
    if !literal.is_empty() || parts.is_empty() {
        parts.push(format!("\"{literal}\""));
    }
    while parts.len() > 1 {
        if parts.len() <= STRCAT_MAX_ARGS {
            return format!("strcat({})", parts.join(", "));
        }
        parts = parts
            .chunks(STRCAT_MAX_ARGS)
            .map(|chunk| match chunk {
                [one] => one.clone(),
                many => format!("strcat({})", many.join(", ")),
            })
            .collect();
    }
    parts.pop().unwrap_or_default()
}

/// strcat-function.md: "between 1 and 64 arguments".
const STRCAT_MAX_ARGS: usize = 64;

/// Characters written as code points rather than inside a literal: the control characters the
/// documented escapes do not cover, and those that would hide or reorder the query text.
fn needs_code_point(ch: char) -> bool {
    (ch.is_control() && ch != '\n' && ch != '\t')
        || matches!(ch, '\u{2028}' | '\u{2029}')
        || is_deceptive(ch)
}

/// A long as KQL reads it. `-9223372036854775808` would lex as a real (its magnitude is no
/// long), so the minimum is written as an expression.
fn long_literal(value: i64) -> String {
    if value == i64::MIN {
        "(-9223372036854775807 - 1)".to_string()
    } else {
        value.to_string()
    }
}

/// A finite real as the shortest decimal text that reads back to the same double (Rust's `{:?}`:
/// `0.1`, `1.0`, `1e20`, `1e-7`); infinities as `real(+inf)` / `real(-inf)` (real.md).
fn real_literal(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 {
            "real(+inf)"
        } else {
            "real(-inf)"
        }
        .to_string();
    }
    let mut text = String::new();
    let _ = write!(text, "{value:?}");
    text
}

/// The canonical form of a guid (8-4-4-4-12 hex digits, lower case), `None` for other text.
fn guid_text(text: &str) -> Option<String> {
    let shape: Vec<usize> = text.split('-').map(str::len).collect();
    let hex = text
        .chars()
        .filter(|c| *c != '-')
        .all(|c| c.is_ascii_hexdigit());
    (shape == [8, 4, 4, 4, 12] && hex).then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::ast::{ExprKind, Literal};
    use crate::results::{RunFacts, kql_field};
    use datafusion::arrow::array::{
        ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray, UInt64Array,
    };
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    fn result(fields: Vec<Field>, columns: Vec<ArrayRef>) -> ResultSet {
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap()
    }

    fn one(kql_type: KqlType, name: &str, column: ArrayRef) -> ResultSet {
        result(vec![kql_field(name, kql_type)], vec![column])
    }

    /// The right-hand side of `T | where x == <text>` as the KQL parser reads it.
    fn parsed_rhs(text: &str) -> crate::kql::ast::Expr {
        let query = format!("T | where x == {text}");
        let (parsed, diagnostics) = crate::kql::parse(&query);
        assert!(diagnostics.is_empty(), "{query}: {diagnostics:?}");
        let operators = parsed.body.expect("a body").operators;
        match &operators[0].kind {
            crate::kql::ast::OperatorKind::Where(expr) => match &expr.kind {
                ExprKind::Binary { right, .. } => (**right).clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    /// The string value of an expression made of literals, strcat and
    /// unicode_codepoints_to_string (what the engine computes; the integration test runs it).
    fn evaluate(text: &str) -> String {
        fn walk(expr: &crate::kql::ast::Expr, out: &mut String) {
            match &expr.kind {
                ExprKind::Literal(Literal::String(s)) => out.push_str(s),
                ExprKind::Call { name, args } if name.name == "strcat" => {
                    args.iter().for_each(|a| walk(a, out))
                }
                ExprKind::Call { name, args } if name.name == "unicode_codepoints_to_string" => {
                    for arg in args {
                        match &arg.kind {
                            ExprKind::Literal(Literal::Long(v)) => {
                                out.push(char::from_u32(*v as u32).unwrap())
                            }
                            other => panic!("code point {other:?}"),
                        }
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let mut out = String::new();
        walk(&parsed_rhs(text), &mut out);
        out
    }

    #[test]
    fn strings_become_literals_that_read_back_exactly() {
        for value in [
            "plain",
            "a\"b",
            "C:\\Windows\\System32\\",
            "it's",
            "line1\nline2\ttab",
            "cr\r\nlf",
            "nul\0bell\u{7}esc\u{1b}[31m del\u{7f} c1\u{9b}",
            "rtl\u{202E}fdp.exe zw\u{200B}j",
            "日本語 👩\u{200D}🔬 e\u{301}",
            "\u{2028}",
            "```",
            "{\"a\":1}",
        ] {
            let text = string_literal(value);
            assert_eq!(evaluate(&text), value, "{text}");
            assert!(
                !text.chars().any(|c| c.is_control() || is_deceptive(c)),
                "raw control or hidden character in {text:?}"
            );
        }
        assert_eq!(string_literal("a\"b"), r#""a\"b""#);
        assert_eq!(
            string_literal("a\r\nb"),
            r#"strcat("a", unicode_codepoints_to_string(13), "\nb")"#
        );
        assert_eq!(string_literal("\r"), "unicode_codepoints_to_string(13)");
    }

    #[test]
    fn many_code_point_runs_nest_strcat_within_its_argument_limit() {
        let value: String = (0..200)
            .map(|i| if i % 2 == 0 { 'a' } else { '\r' })
            .collect();
        let text = string_literal(&value);
        assert_eq!(evaluate(&text), value);
        // No strcat call has more than 64 arguments.
        fn widest(expr: &crate::kql::ast::Expr) -> usize {
            match &expr.kind {
                ExprKind::Call { args, .. } => {
                    args.iter().map(widest).max().unwrap_or(0).max(args.len())
                }
                _ => 0,
            }
        }
        assert!(widest(&parsed_rhs(&text)) <= 64);
    }

    #[test]
    fn column_names_are_bracket_quoted_when_needed() {
        assert_eq!(column_reference("FileName"), "FileName");
        assert_eq!(column_reference("_x1"), "_x1");
        assert_eq!(column_reference("My Column"), "['My Column']");
        assert_eq!(column_reference("a-b"), "['a-b']");
        assert_eq!(column_reference("where"), "['where']");
        assert_eq!(column_reference("Order"), "['Order']");
        assert_eq!(column_reference("1st"), "['1st']");
        assert_eq!(column_reference("Größe"), "['Größe']");
        assert_eq!(column_reference("it's\\"), "['it\\'s\\\\']");
        assert_eq!(column_reference(""), "['']");
    }

    #[test]
    fn each_type_gets_its_literal() {
        let strings = one(
            KqlType::String,
            "Cmd",
            Arc::new(StringArray::from(vec![Some("a\"b"), Some(""), None])),
        );
        assert_eq!(
            where_clause(&strings, 0, 0, false),
            r#"| where Cmd == "a\"b""#
        );
        assert_eq!(
            where_clause(&strings, 0, 0, true),
            r#"| where Cmd != "a\"b""#
        );
        assert_eq!(where_clause(&strings, 1, 0, false), "| where isempty(Cmd)");
        assert_eq!(
            where_clause(&strings, 2, 0, true),
            "| where isnotempty(Cmd)"
        );

        let ticks = time::parse_datetime("2024-03-26T09:39:50.7688641Z").unwrap();
        let dates = one(
            KqlType::DateTime,
            "Timestamp",
            Arc::new(Int64Array::from(vec![Some(ticks), None])),
        );
        assert_eq!(
            where_clause(&dates, 0, 0, false),
            "| where Timestamp == datetime(2024-03-26T09:39:50.7688641Z)"
        );
        assert_eq!(
            where_clause(&dates, 1, 0, false),
            "| where isnull(Timestamp)"
        );
        assert_eq!(
            where_clause(&dates, 1, 0, true),
            "| where isnotnull(Timestamp)"
        );

        let spans = one(
            KqlType::Timespan,
            "Took",
            Arc::new(Int64Array::from(vec![-(36_000_000_001), 1])),
        );
        assert_eq!(
            where_clause(&spans, 0, 0, false),
            "| where Took == timespan(-01:00:00.0000001)"
        );
        assert_eq!(
            where_clause(&spans, 1, 0, false),
            "| where Took == timespan(00:00:00.0000001)"
        );

        let longs = one(
            KqlType::Long,
            "N",
            Arc::new(Int64Array::from(vec![-5, i64::MIN])),
        );
        assert_eq!(where_clause(&longs, 0, 0, false), "| where N == -5");
        assert_eq!(
            where_clause(&longs, 1, 0, false),
            "| where N == (-9223372036854775807 - 1)"
        );
        let ints = one(KqlType::Int, "I", Arc::new(Int32Array::from(vec![7])));
        assert_eq!(where_clause(&ints, 0, 0, true), "| where I != 7");
        let big = result(
            vec![Field::new("U", DataType::UInt64, true)],
            vec![Arc::new(UInt64Array::from(vec![u64::MAX]))],
        );
        assert_eq!(
            where_clause(&big, 0, 0, false),
            "| where tostring(U) == \"18446744073709551615\""
        );

        let reals = one(
            KqlType::Real,
            "R",
            Arc::new(Float64Array::from(vec![
                0.1,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                1e20,
                -2.5e-9,
            ])),
        );
        let clauses: Vec<String> = (0..6).map(|r| where_clause(&reals, r, 0, false)).collect();
        assert_eq!(
            clauses,
            [
                "| where R == 0.1",
                "| where isnan(R)",
                "| where R == real(+inf)",
                "| where R == real(-inf)",
                "| where R == 1e20",
                "| where R == -2.5e-9",
            ]
        );
        assert_eq!(where_clause(&reals, 1, 0, true), "| where not(isnan(R))");
        let decimals = one(
            KqlType::Decimal,
            "D",
            Arc::new(Float64Array::from(vec![1.5])),
        );
        assert_eq!(
            where_clause(&decimals, 0, 0, false),
            "| where D == decimal(1.5)"
        );

        let bools = one(
            KqlType::Bool,
            "B",
            Arc::new(BooleanArray::from(vec![Some(true), None])),
        );
        assert_eq!(where_clause(&bools, 0, 0, true), "| where B != true");
        assert_eq!(where_clause(&bools, 1, 0, false), "| where isnull(B)");

        let guids = one(
            KqlType::Guid,
            "Id",
            Arc::new(StringArray::from(vec![
                "74BE27DE-1E4E-49D9-B579-FE0B331D3642",
                "not-a-guid",
            ])),
        );
        assert_eq!(
            where_clause(&guids, 0, 0, false),
            "| where Id == guid(74be27de-1e4e-49d9-b579-fe0b331d3642)"
        );
        assert_eq!(
            where_clause(&guids, 1, 0, false),
            "| where tostring(Id) == \"not-a-guid\""
        );

        let dynamic = one(
            KqlType::Dynamic,
            "Extra",
            Arc::new(StringArray::from(vec![
                Some("{ \"a\" : [1, 2] }"),
                Some("\"x\\\"y\""),
                None,
            ])),
        );
        assert_eq!(
            where_clause(&dynamic, 0, 0, false),
            r#"| where tostring(Extra) == "{\"a\":[1,2]}""#
        );
        assert_eq!(
            where_clause(&dynamic, 1, 0, true),
            r#"| where tostring(Extra) != "x\"y""#
        );
        assert_eq!(where_clause(&dynamic, 2, 0, false), "| where isnull(Extra)");

        let odd = one(
            KqlType::String,
            "Odd name",
            Arc::new(StringArray::from(vec!["v"])),
        );
        assert_eq!(
            where_clause(&odd, 0, 0, false),
            "| where ['Odd name'] == \"v\""
        );
    }

    #[test]
    fn out_of_range_is_empty_not_a_panic() {
        let strings = one(KqlType::String, "S", Arc::new(StringArray::from(vec!["a"])));
        assert_eq!(where_clause(&strings, 1, 0, false), "");
        assert_eq!(where_clause(&strings, 0, 1, false), "");
    }

    #[test]
    fn clauses_parse_as_kql() {
        let reals = one(
            KqlType::Real,
            "R",
            Arc::new(Float64Array::from(vec![f64::INFINITY, 1e-300, -0.0])),
        );
        for row in 0..3 {
            for negate in [false, true] {
                let query = format!("T {}", where_clause(&reals, row, 0, negate));
                let (_, diagnostics) = crate::kql::parse(&query);
                assert!(diagnostics.is_empty(), "{query}: {diagnostics:?}");
            }
        }
    }
}
