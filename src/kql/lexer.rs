//! Turns query text into tokens with spans. Never fails: characters it cannot read become
//! `Unknown` tokens plus a diagnostic, so the parser always has something to work with.

use super::{Diagnostic, Span, time};

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Ident,
    Str(String),
    Int(i64),
    Real(f64),
    /// A timespan literal such as `7d` or `1.5h`, in 100-nanosecond ticks.
    Timespan(i64),
    /// The text between the parentheses of `datetime(...)`, `date(...)`, `timespan(...)`,
    /// `time(...)` or `guid(...)`, taken as written (`2024-03-26T09:39:50Z` is not a run of KQL
    /// tokens).
    Raw(String),
    Pipe,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Dot,
    DotDot,
    Assign,
    EqEq,
    NotEq,
    EqTilde,
    BangTilde,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Colon,
    Bang,
    Tilde,
    FatArrow,
    Unknown,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// Whitespace or a comment came right before this token (operator names such as
    /// `project-away` are only joined when nothing separates the parts).
    pub spaced: bool,
}

pub fn lex(source: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        src: source,
        bytes: source.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        diagnostics: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.diagnostics)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    diagnostics: Vec<Diagnostic>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn run(&mut self) {
        let mut spaced = true;
        loop {
            // Whitespace and `//` comments.
            loop {
                let c = self.peek(0);
                if c.is_ascii_whitespace() {
                    self.pos += 1;
                    spaced = true;
                } else if let Some(width) = self.unicode_space() {
                    // Queries copied from web pages carry no-break and zero-width spaces;
                    // Microsoft's parser reads them as white space too.
                    self.pos += width;
                    spaced = true;
                } else if c == b'/' && self.peek(1) == b'/' {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    spaced = true;
                } else {
                    break;
                }
            }
            let start = self.pos;
            if start >= self.bytes.len() {
                self.tokens.push(Token {
                    kind: TokenKind::Eof,
                    span: Span::new(start, start),
                    spaced: true,
                });
                return;
            }
            let kind = self.next_kind();
            let typed_literal = kind == TokenKind::Ident
                && matches!(
                    &self.src[start..self.pos],
                    "datetime" | "date" | "timespan" | "time" | "guid"
                );
            self.tokens.push(Token {
                kind,
                span: Span::new(start, self.pos),
                spaced,
            });
            spaced = false;
            if typed_literal {
                self.raw_literal();
            }
        }
    }

    /// After `datetime`/`timespan`: when `( … )` follows on the same line, the text inside
    /// becomes one `Raw` token (quotes allowed), between ordinary `(` and `)` tokens.
    fn raw_literal(&mut self) {
        let rest = &self.src[self.pos..];
        let open = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if !rest[open..].starts_with('(') {
            return;
        }
        let inside = &rest[open + 1..];
        let mut quote = None;
        let mut close = None;
        for (at, ch) in inside.char_indices() {
            match (quote, ch) {
                (_, '\n') => break,
                (None, '"' | '\'') => quote = Some(ch),
                (Some(q), c) if c == q => quote = None,
                (None, ')') => {
                    close = Some(at);
                    break;
                }
                (None, '(' | '|' | ';') => break,
                _ => {}
            }
        }
        let Some(close) = close else {
            return;
        };
        let open_at = self.pos + open;
        self.tokens.push(Token {
            kind: TokenKind::LParen,
            span: Span::new(open_at, open_at + 1),
            spaced: open > 0,
        });
        let raw_start = open_at + 1;
        let raw_end = raw_start + close;
        self.tokens.push(Token {
            kind: TokenKind::Raw(self.src[raw_start..raw_end].trim().to_string()),
            span: Span::new(raw_start, raw_end),
            spaced: false,
        });
        self.pos = raw_end;
    }

    fn next_kind(&mut self) -> TokenKind {
        let c = self.peek(0);
        let start = self.pos;
        // Verbatim and obfuscated string prefixes: @"...", h"...", H@"...".
        if matches!(c, b'@' | b'h' | b'H') {
            let mut p = 0;
            let mut obfuscated = false;
            if matches!(self.peek(p), b'h' | b'H') {
                obfuscated = true;
                p += 1;
            }
            let verbatim = self.peek(p) == b'@';
            if verbatim {
                p += 1;
            }
            if (verbatim || obfuscated) && matches!(self.peek(p), b'"' | b'\'') {
                self.pos += p;
                return self.string(verbatim, start);
            }
        }
        if c == b'`' && self.peek(1) == b'`' && self.peek(2) == b'`' {
            return self.multiline_string(start);
        }
        if c == b'"' || c == b'\'' {
            return self.string(false, start);
        }
        if c.is_ascii_digit()
            || (c == b'.' && self.peek(1).is_ascii_digit() && self.peek_prev_not_dot())
        {
            return self.number(start);
        }
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            self.pos += 1;
            while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'_' {
                self.pos += 1;
            }
            return TokenKind::Ident;
        }
        let two = [c, self.peek(1)];
        let (kind, len) = match &two {
            b"==" => (TokenKind::EqEq, 2),
            b"!=" | b"<>" => (TokenKind::NotEq, 2),
            b"=~" => (TokenKind::EqTilde, 2),
            b"!~" => (TokenKind::BangTilde, 2),
            b"<=" => (TokenKind::Le, 2),
            b">=" => (TokenKind::Ge, 2),
            b"=>" => (TokenKind::FatArrow, 2),
            b".." => (TokenKind::DotDot, 2),
            _ => match c {
                b'|' => (TokenKind::Pipe, 1),
                b'(' => (TokenKind::LParen, 1),
                b')' => (TokenKind::RParen, 1),
                b'[' => (TokenKind::LBracket, 1),
                b']' => (TokenKind::RBracket, 1),
                b'{' => (TokenKind::LBrace, 1),
                b'}' => (TokenKind::RBrace, 1),
                b',' => (TokenKind::Comma, 1),
                b';' => (TokenKind::Semi, 1),
                b'.' => (TokenKind::Dot, 1),
                b'=' => (TokenKind::Assign, 1),
                b'<' => (TokenKind::Lt, 1),
                b'>' => (TokenKind::Gt, 1),
                b'+' => (TokenKind::Plus, 1),
                b'-' => (TokenKind::Minus, 1),
                b'*' => (TokenKind::Star, 1),
                b'/' => (TokenKind::Slash, 1),
                b'%' => (TokenKind::Percent, 1),
                b':' => (TokenKind::Colon, 1),
                b'!' => (TokenKind::Bang, 1),
                b'~' => (TokenKind::Tilde, 1),
                _ => {
                    let ch = self.src[start..].chars().next().unwrap_or('\u{FFFD}');
                    self.pos += ch.len_utf8().max(1);
                    self.diagnostics.push(Diagnostic::new(
                        Span::new(start, self.pos),
                        format!("unexpected character {}", describe_char(ch)),
                    ));
                    return TokenKind::Unknown;
                }
            },
        };
        self.pos += len;
        kind
    }

    /// The byte length of a non-ASCII white-space character at the current position.
    fn unicode_space(&self) -> Option<usize> {
        if self.peek(0) < 0x80 {
            return None;
        }
        let ch = self.src[self.pos..].chars().next()?;
        (ch.is_whitespace() || matches!(ch, '\u{200B}' | '\u{FEFF}')).then(|| ch.len_utf8())
    }

    fn peek_prev_not_dot(&self) -> bool {
        self.pos == 0 || self.bytes[self.pos - 1] != b'.'
    }

    fn number(&mut self, start: usize) -> TokenKind {
        let is_hex = self.peek(0) == b'0'
            && matches!(self.peek(1), b'x' | b'X')
            && self.peek(2).is_ascii_hexdigit();
        if is_hex {
            self.pos += 2;
            while self.peek(0).is_ascii_hexdigit() {
                self.pos += 1;
            }
            return match i64::from_str_radix(&self.src[start + 2..self.pos], 16) {
                Ok(v) => TokenKind::Int(v),
                Err(_) => self.bad_number(start, "hexadecimal number out of range"),
            };
        }
        let mut real = false;
        while self.peek(0).is_ascii_digit() {
            self.pos += 1;
        }
        // A fraction, but not the `..` of a range.
        if self.peek(0) == b'.' && self.peek(1) != b'.' {
            real = true;
            self.pos += 1;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
        }
        if matches!(self.peek(0), b'e' | b'E')
            && (self.peek(1).is_ascii_digit()
                || (matches!(self.peek(1), b'+' | b'-') && self.peek(2).is_ascii_digit()))
        {
            real = true;
            self.pos += 2;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
        }
        let number_end = self.pos;
        if self.peek(0).is_ascii_alphabetic() {
            while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'_' {
                self.pos += 1;
            }
            let unit = &self.src[number_end..self.pos];
            return match time::unit_to_ticks(&self.src[start..number_end], unit) {
                Some(Ok(ticks)) => TokenKind::Timespan(ticks),
                Some(Err(message)) => self.bad_number(start, &message),
                // Microsoft's parser reads `5Minutebin` as a name; so do we.
                None if !real => TokenKind::Ident,
                None => self.bad_number(
                    start,
                    &format!(
                        "'{}' is not a timespan unit (d, h, m, s, ms, microsecond, tick)",
                        unit.escape_debug()
                    ),
                ),
            };
        }
        let text = &self.src[start..number_end];
        if real {
            match text.parse::<f64>() {
                Ok(v) => TokenKind::Real(v),
                Err(_) => self.bad_number(start, "malformed number"),
            }
        } else {
            match text.parse::<i64>() {
                Ok(v) => TokenKind::Int(v),
                Err(_) => match text.parse::<f64>() {
                    Ok(v) => TokenKind::Real(v),
                    Err(_) => self.bad_number(start, "malformed number"),
                },
            }
        }
    }

    fn bad_number(&mut self, start: usize, message: &str) -> TokenKind {
        self.diagnostics
            .push(Diagnostic::new(Span::new(start, self.pos), message));
        TokenKind::Unknown
    }

    fn string(&mut self, verbatim: bool, start: usize) -> TokenKind {
        let quote = self.peek(0);
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(ch) = self.src[self.pos..].chars().next() else {
                return self.unterminated(start);
            };
            if ch == '\n' {
                return self.unterminated(start);
            }
            self.pos += ch.len_utf8();
            if ch as u32 == quote as u32 {
                if verbatim && self.peek(0) == quote {
                    // In verbatim strings a doubled quote stands for one.
                    self.pos += 1;
                    value.push(ch);
                    continue;
                }
                return TokenKind::Str(value);
            }
            if ch == '\\' && !verbatim {
                let Some(esc) = self.src[self.pos..].chars().next() else {
                    return self.unterminated(start);
                };
                self.pos += esc.len_utf8();
                match esc {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    '0' => value.push('\0'),
                    '\\' | '"' | '\'' => value.push(esc),
                    'u' => {
                        let hex: String = self.src[self.pos..].chars().take(4).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(c) if hex.len() == 4 => {
                                value.push(c);
                                self.pos += 4;
                            }
                            _ => self.diagnostics.push(Diagnostic::new(
                                Span::new(self.pos - 2, self.pos),
                                "\\u must be followed by four hexadecimal digits",
                            )),
                        }
                    }
                    other => {
                        // Unknown escapes keep the backslash, like most KQL text in the wild expects
                        // (for example Windows paths written without doubling).
                        value.push('\\');
                        value.push(other);
                    }
                }
                continue;
            }
            value.push(ch);
        }
    }

    fn multiline_string(&mut self, start: usize) -> TokenKind {
        self.pos += 3;
        match self.src[self.pos..].find("```") {
            Some(end) => {
                let value = self.src[self.pos..self.pos + end].to_string();
                self.pos += end + 3;
                TokenKind::Str(value)
            }
            None => {
                self.pos = self.src.len();
                self.diagnostics.push(Diagnostic::new(
                    Span::new(start, self.pos),
                    "unterminated ``` string",
                ));
                TokenKind::Unknown
            }
        }
    }

    fn unterminated(&mut self, start: usize) -> TokenKind {
        while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
            self.pos += 1;
        }
        self.diagnostics.push(Diagnostic::new(
            Span::new(start, self.pos),
            "unterminated string literal",
        ));
        TokenKind::Unknown
    }
}

/// Names a character for an error message without ever echoing a control character.
pub fn describe_char(ch: char) -> String {
    if ch.is_control() || !ch.is_ascii() && (ch as u32) < 0xA0 {
        format!("U+{:04X}", ch as u32)
    } else if ch == '\u{FFFD}' {
        "(invalid UTF-8)".to_string()
    } else if ch.is_ascii_graphic() {
        format!("'{ch}'")
    } else {
        format!("'{ch}' (U+{:04X})", ch as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        lex(src).0.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_operators_and_literals() {
        use TokenKind::*;
        assert_eq!(
            kinds("T | where A =~ \"x\" and B != 3.5 // note\n| take 10"),
            vec![
                Ident,
                Pipe,
                Ident,
                Ident,
                EqTilde,
                Str("x".into()),
                Ident,
                Ident,
                NotEq,
                Real(3.5),
                Pipe,
                Ident,
                Int(10),
                Eof
            ]
        );
    }

    #[test]
    fn timespans_are_ticks() {
        assert_eq!(kinds("7d")[0], TokenKind::Timespan(7 * 864_000_000_000));
        assert_eq!(kinds("1.5h")[0], TokenKind::Timespan(54_000_000_000));
        assert_eq!(kinds("30m")[0], TokenKind::Timespan(18_000_000_000));
        assert_eq!(kinds("100ms")[0], TokenKind::Timespan(1_000_000));
    }

    #[test]
    fn strings_escape_and_verbatim() {
        assert_eq!(kinds(r#""a\"b\\c""#)[0], TokenKind::Str("a\"b\\c".into()));
        assert_eq!(
            kinds(r#"@"C:\Windows\""x""#)[0],
            TokenKind::Str("C:\\Windows\\\"x".into())
        );
        assert_eq!(kinds("'it''s'")[0], TokenKind::Str("it".into()));
        assert_eq!(kinds("h'secret'")[0], TokenKind::Str("secret".into()));
    }

    #[test]
    fn range_dots_are_not_fractions() {
        use TokenKind::*;
        assert_eq!(kinds("1..5"), vec![Int(1), DotDot, Int(5), Eof]);
    }

    #[test]
    fn bad_input_becomes_diagnostics_not_panics() {
        let (tokens, diags) = lex("T | where x == \"open\n\u{1b}[31m 1.5q 12q");
        assert!(tokens.iter().any(|t| t.kind == TokenKind::Unknown));
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert_eq!(diags[0].message, "unterminated string literal");
        assert!(diags[1].message.contains("U+001B"));
        assert!(diags[2].message.contains("'q' is not a timespan unit"));
        assert_eq!(
            tokens[tokens.len() - 2].kind,
            TokenKind::Ident,
            "12q is a name, as Microsoft's parser reads it"
        );
    }

    #[test]
    fn unicode_spaces_are_white_space() {
        use TokenKind::*;
        assert_eq!(
            kinds("\u{200B}T\u{00A0}|\u{FEFF}take 1"),
            vec![Ident, Pipe, Ident, Int(1), Eof]
        );
    }

    #[test]
    fn spaced_marks_separation() {
        let (tokens, _) = lex("project-away a");
        assert!(!tokens[1].spaced && !tokens[2].spaced && tokens[3].spaced);
    }
}
