//! Signature help and descriptions at a position in a query: which function call the cursor is
//! in and which argument it is at, and what the word under the cursor is (a function, an
//! aggregate, a plugin or a tabular operator), from the vocabulary table in `kql::language`.

use std::ops::Range;

use super::language::{self, Function};
use super::syntax::{self, SyntaxKind, SyntaxNode};

/// A call the cursor is inside: the function's name and the 0-based argument the cursor is at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    pub name: String,
    pub argument: usize,
}

/// What to show: a signature or description line, and the part of it to highlight (the current
/// parameter: a byte range of `text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    pub text: String,
    pub active: Option<Range<usize>>,
}

/// The innermost call whose argument list holds `offset` (a byte offset of `root`'s text), and
/// the argument the cursor is at (commas of that list before it). `None` outside any call's
/// parentheses.
pub fn call_at(root: &SyntaxNode, offset: usize) -> Option<CallSite> {
    let size = usize::from(root.text_range().end());
    let at = rowan::TextSize::try_from(offset.min(size)).ok()?;
    // The token just before the cursor: `f(|` is inside the call, `f()|` is not.
    let token = root
        .token_at_offset(at)
        .left_biased()
        .or_else(|| root.last_token())?;
    for list in token.parent_ancestors() {
        if list.kind() != SyntaxKind::ARG_LIST {
            continue;
        }
        let call = list.parent()?;
        if call.kind() != SyntaxKind::CALL_EXPR {
            continue;
        }
        let open = list
            .children_with_tokens()
            .find(|e| e.kind() == SyntaxKind::L_PAREN)?;
        let close = list
            .children_with_tokens()
            .find(|e| e.kind() == SyntaxKind::R_PAREN);
        let inside = open.text_range().end() <= at
            && close.is_none_or(|close| at <= close.text_range().start());
        if !inside {
            continue;
        }
        let argument = list
            .children_with_tokens()
            .filter(|e| e.kind() == SyntaxKind::COMMA && e.text_range().end() <= at)
            .count();
        let name = call
            .children_with_tokens()
            .find(|e| e.kind() == SyntaxKind::IDENT)?
            .to_string();
        return Some(CallSite { name, argument });
    }
    None
}

/// The signature of the call at `offset` in `text`, the current parameter highlighted; `None`
/// outside a call or for a function the table does not know.
pub fn signature_help(text: &str, offset: usize) -> Option<Help> {
    let root = syntax::parse(text).syntax();
    let site = call_at(&root, offset)?;
    let function = language::function(&site.name)?;
    Some(signature_of(function, site.argument))
}

/// The signature line of `function` fitted to `argument`: the first signature that has a
/// parameter there (a repeating run counts as endless), with that parameter's range.
pub fn signature_of(function: &Function, argument: usize) -> Help {
    let chosen = function
        .signatures
        .iter()
        .position(|s| parameter_index(&s.parameters, argument).is_some())
        .unwrap_or(0);
    let Some(signature) = function.signatures.get(chosen) else {
        return Help {
            text: format!("{}()", function.name),
            active: None,
        };
    };
    let parameters = &signature.parameters;
    let active = parameter_index(parameters, argument);
    let mut text = format!("{}(", function.name);
    let mut range = None;
    for (at, p) in parameters.iter().enumerate() {
        if at > 0 {
            text.push_str(", ");
        }
        let start = text.len();
        if p.optional {
            text.push('[');
        }
        text.push_str(&p.name);
        if !p.types.is_empty() {
            text.push_str(": ");
            text.push_str(&p.types.join("|"));
        }
        if p.optional {
            text.push(']');
        }
        if active == Some(at) {
            range = Some(start..text.len());
        }
        let run_ends = parameters.get(at + 1).is_none_or(|next| !next.repeating);
        if p.repeating && run_ends {
            text.push_str(", ...");
        }
    }
    text.push(')');
    if function.signatures.len() > 1 {
        text.push_str(&format!(
            "   ({} of {} forms)",
            chosen + 1,
            function.signatures.len()
        ));
    }
    Help {
        text,
        active: range,
    }
}

/// Which parameter the 0-based `argument` fills: past the last parameter, a repeating run at
/// the end (or before a fixed tail) takes it, repeating as a group.
fn parameter_index(parameters: &[language::Parameter], argument: usize) -> Option<usize> {
    if argument < parameters.len() {
        return Some(argument);
    }
    let run_start = parameters.iter().position(|p| p.repeating)?;
    let run_end = parameters[run_start..]
        .iter()
        .position(|p| !p.repeating)
        .map_or(parameters.len(), |n| run_start + n);
    // Arguments past the end cycle through the run (a fixed tail after it, like `case`'s
    // `else`, cannot be told apart by position: the run is shown).
    Some(run_start + (argument - run_start) % (run_end - run_start))
}

/// A description of the word at `offset`: a function's every signature and kind, or a tabular
/// operator's purpose, parameters and `kind=` values. `None` for other words.
pub fn describe_at(text: &str, offset: usize) -> Option<String> {
    let root = syntax::parse(text).syntax();
    let size = usize::from(root.text_range().end());
    let at = rowan::TextSize::try_from(offset.min(size)).ok()?;
    let token = root
        .token_at_offset(at)
        .find(|t| t.kind() == SyntaxKind::IDENT)?;
    let word = token.text();
    let in_operator_name = token
        .parent()
        .is_some_and(|p| p.kind() == SyntaxKind::OPERATOR_NAME);
    if in_operator_name {
        let name: String = token.parent()?.text().to_string();
        return language::tabular_operator(&name).map(describe_operator);
    }
    let calls = token
        .parent()
        .is_some_and(|p| p.kind() == SyntaxKind::CALL_EXPR);
    if calls || language::tabular_operator(word).is_none() {
        let forms: Vec<&Function> = language::functions_named(word).collect();
        if !forms.is_empty() {
            let mut lines = Vec::new();
            for function in forms {
                lines.push(format!("{} ({})", function.name, function.kind.label()));
                for signature in function.signature_texts() {
                    lines.push(format!("  {signature}"));
                }
            }
            return Some(lines.join("\n"));
        }
    }
    language::tabular_operator(word).map(describe_operator)
}

fn describe_operator(operator: &language::TabularOperator) -> String {
    let mut lines = vec![format!(
        "{} (tabular operator): {}",
        operator.name, operator.doc
    )];
    if !operator.synonyms.is_empty() {
        lines.push(format!("  also written: {}", operator.synonyms.join(", ")));
    }
    if !operator.parameters.is_empty() {
        lines.push(format!("  parameters: {}", operator.parameters.join(", ")));
    }
    if !operator.kind_values.is_empty() {
        lines.push(format!("  kind: {}", operator.kind_values.join(", ")));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(text_with_cursor: &str) -> Option<CallSite> {
        let offset = text_with_cursor.find('‸').unwrap();
        let text = text_with_cursor.replace('‸', "");
        call_at(&syntax::parse(&text).syntax(), offset)
    }

    fn help(text_with_cursor: &str) -> Option<(String, String)> {
        let offset = text_with_cursor.find('‸').unwrap();
        let text = text_with_cursor.replace('‸', "");
        signature_help(&text, offset).map(|h| {
            let active = h.active.map(|r| h.text[r].to_string()).unwrap_or_default();
            (h.text, active)
        })
    }

    #[test]
    fn finds_the_call_and_the_argument() {
        let at = |s| site(s).map(|c| (c.name, c.argument));
        assert_eq!(at("T | where strcat(‸"), Some(("strcat".into(), 0)));
        assert_eq!(at("T | where strcat(a, ‸"), Some(("strcat".into(), 1)));
        assert_eq!(at("T | where strcat(a, b)‸"), None);
        assert_eq!(at("print bin(ago(‸1d), 1h)"), Some(("ago".into(), 0)));
        assert_eq!(at("print bin(ago(1d), ‸1h)"), Some(("bin".into(), 1)));
        assert_eq!(at("print strcat('a,b', ‸"), Some(("strcat".into(), 1)));
        assert_eq!(at("print f(g(1, 2), ‸3)"), Some(("f".into(), 1)));
        assert_eq!(
            at("T | summarize arg_max(Timestamp, ‸"),
            Some(("arg_max".into(), 1))
        );
        assert_eq!(at("‸print 1"), None);
        assert_eq!(at("print 1 in (1, ‸2)"), None);
    }

    #[test]
    fn shows_the_signature_with_the_current_parameter() {
        let (text, active) = help("print bin(Timestamp, ‸").unwrap();
        assert!(text.starts_with("bin("), "{text}");
        assert!(active.starts_with("roundTo"), "{text} / {active}");
        let (text, active) = help("print strcat('a', 'b', 'c', ‸").unwrap();
        assert!(text.contains("..."), "{text}");
        assert!(!active.is_empty(), "{text}");
        let (_, active) = help("print dcount(x, ‸").unwrap();
        assert!(
            active.starts_with('['),
            "optional parameters are bracketed: {active}"
        );
        assert_eq!(help("print no_such_function(‸"), None);
    }

    #[test]
    fn describes_functions_and_operators() {
        let text = "T | summarize dcount(A) | mv-expand x";
        let of = |word: &str| describe_at(text, text.find(word).unwrap() + 1).unwrap();
        assert!(
            of("dcount").starts_with("dcount (aggregate)"),
            "{}",
            of("dcount")
        );
        assert!(
            of("summarize").contains("tabular operator"),
            "{}",
            of("summarize")
        );
        let expand = describe_at(text, text.find("expand").unwrap()).unwrap();
        assert!(expand.starts_with("mv-expand"), "{expand}");
        assert!(expand.contains("bagexpansion"), "{expand}");
        assert_eq!(describe_at(text, 0), None, "a table name is not described");
    }
}
