//! KQL's regular expressions are RE2's (regex.md). The regex crate reads nearly the same
//! syntax; this rewrites the few RE2 forms it does not: octal escapes (`\0`, `\012`, `\123`:
//! RE2 reads `\1`–`\7` followed by more octal digits as octal, and `\0` as NUL) and literal
//! text `\Q…\E`. A lone `\1` is a backreference, which RE2 refuses too, so it is left for the
//! regex crate to refuse.

use std::borrow::Cow;

/// `pattern` in the regex crate's syntax.
pub fn to_rust_syntax(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains(['\\', '[']) {
        return Cow::Borrowed(pattern);
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut at = 0;
    // Inside a character class, where RE2 reads `[` (but `[:alpha:]`), `&&` and `~~` as
    // themselves and the regex crate as nested classes and set operations.
    let mut in_class = false;
    while at < chars.len() {
        let c = chars[at];
        if c != '\\' || at + 1 >= chars.len() {
            match c {
                '[' if !in_class => {
                    in_class = true;
                    out.push('[');
                    at += 1;
                    // A `]` first in the class (after an optional `^`) is itself.
                    if chars.get(at) == Some(&'^') {
                        out.push('^');
                        at += 1;
                    }
                    if chars.get(at) == Some(&']') {
                        out.push_str("\\]");
                        at += 1;
                    }
                    continue;
                }
                '[' if chars.get(at + 1) == Some(&':') => out.push('['),
                '[' => out.push_str("\\["),
                ']' if in_class => {
                    in_class = false;
                    out.push(']');
                }
                '&' | '~' if in_class && chars.get(at + 1) == Some(&c) => {
                    for _ in 0..2 {
                        out.push('\\');
                        out.push(c);
                    }
                    at += 1;
                }
                _ => out.push(c),
            }
            at += 1;
            continue;
        }
        let next = chars[at + 1];
        match next {
            'Q' => {
                // Literal text up to \E (or the end).
                let mut end = at + 2;
                let mut literal = String::new();
                while end < chars.len() && !(chars[end] == '\\' && chars.get(end + 1) == Some(&'E'))
                {
                    literal.push(chars[end]);
                    end += 1;
                }
                out.push_str(&regex_syntax::escape(&literal));
                at = if end < chars.len() { end + 2 } else { end };
            }
            '0'..='7' => {
                let octal = |i: usize| chars.get(i).is_some_and(|c| ('0'..='7').contains(c));
                // `\0` alone, or a digit followed by octal digits: up to three digits in all.
                let mut end = at + 2;
                while end < at + 4 && octal(end) {
                    end += 1;
                }
                if next != '0' && end == at + 2 {
                    // `\1`…`\7` alone: a backreference.
                    out.push('\\');
                    out.push(next);
                    at += 2;
                    continue;
                }
                let digits: String = chars[at + 1..end].iter().collect();
                let value = u32::from_str_radix(&digits, 8).unwrap_or(0);
                out.push_str(&format!("\\x{{{value:X}}}"));
                at = end;
            }
            _ => {
                out.push('\\');
                out.push(next);
                at += 2;
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re2_forms_become_the_regex_crates() {
        assert_eq!(to_rust_syntax(r"a\d+"), r"a\d+");
        assert_eq!(to_rust_syntax(r"\0"), r"\x{0}");
        assert_eq!(to_rust_syntax(r"\012x"), r"\x{A}x");
        assert_eq!(to_rust_syntax(r"\101"), r"\x{41}");
        assert_eq!(to_rust_syntax(r"\1"), r"\1");
        assert_eq!(to_rust_syntax(r"\\0"), r"\\0");
        assert_eq!(to_rust_syntax(r"\Qa.b\E+"), r"a\.b+");
        assert_eq!(to_rust_syntax(r"[\0-\037]"), r"[\x{0}-\x{1F}]");
        // RE2 has no nested classes: `[` in a class is itself.
        assert_eq!(to_rust_syntax(r#"[[",\]]"#), r#"[\[",\]]"#);
        assert_eq!(to_rust_syntax(r"[]a]"), r"[\]a]");
        assert_eq!(to_rust_syntax(r"[^]a]"), r"[^\]a]");
        assert_eq!(to_rust_syntax(r"[[:alpha:]]+"), r"[[:alpha:]]+");
        assert_eq!(to_rust_syntax(r"[a&&b]"), r"[a\&\&b]");
        assert_eq!(to_rust_syntax(r"a[b]c[d]"), r"a[b]c[d]");
        let class = regex::Regex::new(&to_rust_syntax(r#"[[",\]]"#)).unwrap();
        assert_eq!(class.replace_all(r#"["a","b"]"#, ""), "ab");
        let nul = regex::Regex::new(&to_rust_syntax(r"\0")).unwrap();
        assert!(nul.is_match("a\0b"));
    }
}
