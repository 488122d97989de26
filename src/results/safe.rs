//! Makes attacker-controlled text safe and honest before it reaches a terminal (UX.md, "Hostile
//! text"): no control character is ever interpreted, line breaks and tabs are visible, invisible
//! and direction-changing characters are shown as markers and flag the value as suspicious, and
//! widths are measured so that wide and combining characters cannot break the grid.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Text made safe for display, and whether it held characters that can hide or reorder text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeText {
    pub text: String,
    pub suspicious: bool,
}

/// Characters that change direction or hide: bidi controls, zero-width characters, tag characters
/// and a few other invisible formatters.
pub(crate) fn is_deceptive(ch: char) -> bool {
    matches!(ch,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}' | '\u{034F}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// Makes one value safe to draw on a single line.
pub fn sanitize(raw: &str) -> SafeText {
    let mut out = String::with_capacity(raw.len());
    let mut suspicious = false;
    let mut at_start = true;
    for ch in raw.chars() {
        match ch {
            '\n' => out.push('↵'),
            '\r' => out.push('␍'),
            '\t' => out.push('→'),
            '\u{1b}' => out.push('␛'),
            // C0 controls as their Unicode "control pictures" (␀, ␇, …).
            '\0'..='\u{1f}' => out.push(char::from_u32(0x2400 + ch as u32).unwrap_or('?')),
            '\u{7f}' => out.push('␡'),
            // C1 controls (including the 8-bit CSI U+009B) as escapes.
            '\u{80}'..='\u{9f}' => out.push_str(&format!("\\x{:02x}", ch as u32)),
            '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("⟨U+{:04X}⟩", ch as u32));
            }
            ch if is_deceptive(ch) => {
                suspicious = true;
                out.push_str(&format!("⟨U+{:04X}⟩", ch as u32));
            }
            // A combining mark with nothing to combine with would join the grid's padding: give it
            // a dotted circle to sit on.
            ch if at_start && ch.width() == Some(0) => {
                out.push('◌');
                out.push(ch);
            }
            ch => out.push(ch),
        }
        at_start = false;
    }
    SafeText {
        text: out,
        suspicious,
    }
}

/// The display width in terminal columns.
pub fn display_width(text: &str) -> usize {
    text.width()
}

/// Cuts text to at most `width` columns, ending with `…` when cut; never splits a wide character.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_interpreted() {
        let safe = sanitize("a\u{1b}[31mred\u{1b}]0;title\u{7}\u{9b}2J\u{7f}");
        assert_eq!(safe.text, "a␛[31mred␛]0;title␇\\x9b2J␡");
        assert!(!safe.text.chars().any(|c| c.is_control()));
        assert!(!safe.suspicious);
    }

    #[test]
    fn line_breaks_and_tabs_are_visible() {
        assert_eq!(sanitize("a\r\nb\tc").text, "a␍↵b→c");
    }

    #[test]
    fn bidi_and_invisible_characters_are_flagged() {
        let safe = sanitize("invoice\u{202E}fdp.exe");
        assert_eq!(safe.text, "invoice⟨U+202E⟩fdp.exe");
        assert!(safe.suspicious);
        let safe = sanitize("pay\u{200B}pal\u{E0041}");
        assert_eq!(safe.text, "pay⟨U+200B⟩pal⟨U+E0041⟩");
        assert!(safe.suspicious);
    }

    #[test]
    fn fitting_respects_wide_characters() {
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
        assert_eq!(display_width(&fit("日本語テキスト", 7)), 7);
        assert_eq!(fit("short", 10), "short");
        assert_eq!(sanitize("\u{301}x").text, "◌\u{301}x");
    }
}
