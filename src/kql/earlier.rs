//! Names of earlier results: `$last` is the newest result the console (or `hunt run --input`)
//! holds, `$1` the same, `$2` the one before it, and so on. They stand wherever a table name
//! can (`$last | where …`, `join ($2) on …`, `union $last, $2`, `let x = $last;`).
//!
//! This is hunt's own extension, not Kusto's: Kusto's entity names have no `$` (only the
//! join's `$left`/`$right` do, entity-names.md and join-operator.md), so a `$` name can never
//! clash with a real table.

use super::Span;
use super::lexer::{TokenKind, lex};

/// The name of the newest earlier result.
pub const LAST: &str = "$last";

/// Which earlier result `name` names, counting from 1 for the newest: `$last` and `$1` are 1,
/// `$2` is 2. `$0` is 0 (no result has that number; the caller says so). `None` for any other
/// name, including `$left`, `$right` and numbers written with a leading zero (`$01`). A
/// number too large for `usize` reads as `usize::MAX` (never a result either).
pub fn result_number(name: &str) -> Option<usize> {
    if name == LAST {
        return Some(1);
    }
    let digits = name.strip_prefix('$')?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    Some(digits.parse::<usize>().unwrap_or(usize::MAX))
}

/// Whether `name` is one of the earlier-result names (`$last`, `$0`, `$1`, …).
pub fn is_result_name(name: &str) -> bool {
    result_number(name).is_some()
}

/// One place a query names an earlier result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The name as written (`$last`, `$2`).
    pub name: String,
    /// Which result (1 = newest; 0 for `$0`, which names none).
    pub number: usize,
    /// Where it is in the query text (bytes).
    pub span: Span,
}

/// Every earlier-result name the query text uses, in text order. Read from the tokens, so a
/// `$last` inside a string or a comment does not count, and one after a `.` (a member name)
/// does not either.
pub fn references(source: &str) -> Vec<Reference> {
    let (tokens, _) = lex(source);
    let mut found = Vec::new();
    let mut after_dot = false;
    for token in &tokens {
        if token.kind == TokenKind::Ident && !after_dot {
            let name = source.get(token.span.start..token.span.end).unwrap_or("");
            if let Some(number) = result_number(name) {
                found.push(Reference {
                    name: name.to_string(),
                    number,
                    span: token.span,
                });
            }
        }
        after_dot = token.kind == TokenKind::Dot;
    }
    found
}

/// Whether the query text names any earlier result.
pub fn names_results(source: &str) -> bool {
    !references(source).is_empty()
}

/// Which result a number is, in words: `the newest result`, `the 2nd newest result`.
pub fn describe(number: usize) -> String {
    match number {
        1 => "the newest result".to_string(),
        n => format!("the {} newest result", ordinal(n)),
    }
}

/// `2nd`, `3rd`, `11th`, `21st` …
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(result_number("$last"), Some(1));
        assert_eq!(result_number("$1"), Some(1));
        assert_eq!(result_number("$2"), Some(2));
        assert_eq!(result_number("$10"), Some(10));
        assert_eq!(result_number("$0"), Some(0));
        assert_eq!(result_number("$01"), None);
        assert_eq!(result_number("$left"), None);
        assert_eq!(result_number("$right"), None);
        assert_eq!(result_number("$"), None);
        assert_eq!(result_number("$2a"), None);
        assert_eq!(result_number("last"), None);
        assert_eq!(result_number("$Last"), None);
        assert_eq!(result_number("$99999999999999999999999"), Some(usize::MAX));
    }

    #[test]
    fn references_come_from_tokens() {
        let text = "let x = $last; // $9\nx | join ($2) on $left.A == $right.A | where s == \"$3\" | extend d.$4 | union $1";
        let found: Vec<(String, usize)> = references(text)
            .into_iter()
            .map(|r| (r.name, r.number))
            .collect();
        assert_eq!(
            found,
            vec![
                ("$last".to_string(), 1),
                ("$2".to_string(), 2),
                ("$1".to_string(), 1)
            ]
        );
        let first = &references(text)[0];
        assert_eq!(&text[first.span.start..first.span.end], "$last");
        assert!(!names_results("DeviceInfo | take 1"));
        assert!(names_results("$last"));
    }

    #[test]
    fn says_which_result() {
        assert_eq!(describe(1), "the newest result");
        assert_eq!(describe(2), "the 2nd newest result");
        assert_eq!(describe(3), "the 3rd newest result");
        assert_eq!(describe(4), "the 4th newest result");
        assert_eq!(describe(11), "the 11th newest result");
        assert_eq!(describe(21), "the 21st newest result");
        assert_eq!(describe(112), "the 112th newest result");
    }
}
