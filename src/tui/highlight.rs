//! KQL syntax highlighting through syntect and the grammar in `kql.sublime-syntax`. Lines are
//! highlighted once per edit and cached; very long buffers are highlighted only where visible.

use std::sync::OnceLock;

use syntect::parsing::{
    ParseState, Scope, ScopeStack, SyntaxDefinition, SyntaxSet, SyntaxSetBuilder,
};

/// A run of text in one syntax role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    /// `comment`, `string`, `number`, `constant`, `keyword`, `operator`, `function`, `type`, or
    /// empty for plain text.
    pub role: &'static str,
}

fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(|| {
        let definition =
            SyntaxDefinition::load_from_str(include_str!("kql.sublime-syntax"), true, None)
                .expect("the bundled KQL grammar is valid");
        let mut builder = SyntaxSetBuilder::new();
        builder.add(definition);
        builder.build()
    })
}

/// The theme role of the innermost scope that has one.
fn role_of(stack: &ScopeStack) -> &'static str {
    static ROLES: OnceLock<Vec<(Scope, &'static str)>> = OnceLock::new();
    let roles = ROLES.get_or_init(|| {
        [
            ("comment", "comment"),
            ("string", "string"),
            ("constant.numeric", "number"),
            ("constant.language", "constant"),
            ("constant.character", "string"),
            ("keyword.control", "keyword"),
            ("keyword.operator", "operator"),
            ("storage.type", "type"),
            ("support.function", "function"),
            ("variable.language", "constant"),
        ]
        .iter()
        .filter_map(|(scope, role)| Scope::new(scope).ok().map(|s| (s, *role)))
        .collect()
    });
    for scope in stack.as_slice().iter().rev() {
        if let Some((_, role)) = roles.iter().find(|(prefix, _)| prefix.is_prefix_of(*scope)) {
            return role;
        }
    }
    ""
}

/// Buffers larger than this are shown plain: highlighting them on every edit would stall typing.
pub const MAX_HIGHLIGHT_LINES: usize = 2_000;
pub const MAX_HIGHLIGHT_BYTES: usize = 200_000;

/// Highlights `lines`, returning one list of pieces per line. A line the grammar cannot read is
/// returned plain (highlighting must never stop the editor).
pub fn highlight(lines: &[String]) -> Vec<Vec<Piece>> {
    let set = syntax_set();
    let syntax = &set.syntaxes()[0];
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let with_newline = format!("{line}\n");
        let Ok(ops) = state.parse_line(&with_newline, set) else {
            out.push(vec![Piece {
                text: line.clone(),
                role: "",
            }]);
            state = ParseState::new(syntax);
            stack = ScopeStack::new();
            continue;
        };
        let mut pieces = Vec::new();
        let mut at = 0;
        for (offset, op) in ops {
            let offset = offset.min(line.len());
            if offset > at {
                pieces.push(Piece {
                    text: line[at..offset].to_string(),
                    role: role_of(&stack),
                });
                at = offset;
            }
            let _ = stack.apply(&op);
        }
        if at < line.len() {
            pieces.push(Piece {
                text: line[at..].to_string(),
                role: role_of(&stack),
            });
        }
        out.push(pieces);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(line: &str) -> Vec<(String, &'static str)> {
        highlight(&[line.to_string()])
            .remove(0)
            .into_iter()
            .filter(|p| !p.text.trim().is_empty())
            .map(|p| (p.text.trim().to_string(), p.role))
            .collect()
    }

    #[test]
    fn colours_the_parts_of_a_query() {
        let parts = roles("T | where Name =~ \"x\" and Count > 5 // done");
        assert!(
            parts.contains(&("where".to_string(), "keyword")),
            "{parts:?}"
        );
        assert!(parts.contains(&("=~".to_string(), "operator")), "{parts:?}");
        assert!(
            parts.contains(&("\"x\"".to_string(), "string")),
            "{parts:?}"
        );
        assert!(parts.contains(&("5".to_string(), "number")), "{parts:?}");
        assert!(
            parts.contains(&("// done".to_string(), "comment")),
            "{parts:?}"
        );
        let parts = roles("| summarize count() by bin(Timestamp, 1h)");
        assert!(
            parts.contains(&("count".to_string(), "function")),
            "{parts:?}"
        );
        assert!(parts.contains(&("1h".to_string(), "number")), "{parts:?}");
    }

    #[test]
    fn keeps_all_text() {
        let line = "let x = @\"C:\\a\"\"b\"; T | project-away ['odd col'] | take 10";
        let joined: String = highlight(&[line.to_string()])[0]
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(joined, line);
    }
}
