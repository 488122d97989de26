//! Makes attacker-controlled text safe and honest before it reaches a terminal (UX.md, "Hostile
//! text"): no control character is ever interpreted, line breaks and tabs are visible, invisible
//! and direction-changing characters are shown as markers and flag the value as suspicious, and
//! widths are measured so that wide and combining characters cannot break the grid.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Text made safe for display, and whether it held characters that can hide or reorder text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeText {
    pub text: String,
    pub suspicious: bool,
}

impl SafeText {
    /// The text as a cell shows it: led by `⚠ ` when suspicious (UX.md: the cell is flagged),
    /// in the console's grid and in `--format table` alike.
    pub fn flagged(self) -> String {
        if self.suspicious {
            format!("⚠ {}", self.text)
        } else {
            self.text
        }
    }
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

/// The display width in terminal columns: the sum of [`cluster_width`] over the text's grapheme
/// clusters (UAX #29, extended).
pub fn display_width(text: &str) -> usize {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        // Printable ASCII: one cluster of one column per byte.
        return text.len();
    }
    text.graphemes(true).map(cluster_width).sum()
}

/// The columns one grapheme cluster takes: the widest of its characters, or what ratatui's
/// buffer counts for it (unicode-width over the cluster, plus one per halfwidth sound mark),
/// whichever is more (field case F08). A cluster is never measured narrower than ratatui draws
/// it, so a cell cannot spill into the next column; `⚠\u{FE0F}` (emoji presentation) is 2, an
/// emoji ZWJ sequence its widest emoji, a letter with combining marks 1.
pub fn cluster_width(cluster: &str) -> usize {
    let widest = cluster
        .chars()
        .map(|c| c.width().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let sound_marks = cluster
        .chars()
        .filter(|c| matches!(c, '\u{FF9E}' | '\u{FF9F}'))
        .count();
    widest.max(cluster.width() + sound_marks)
}

/// Cuts text to at most `width` columns, ending with `…` when cut. Cuts between grapheme
/// clusters only, never inside one (a wide character, an emoji sequence, a letter and its
/// combining marks stay whole), so the result may be a column short of `width`.
pub fn fit(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for cluster in text.graphemes(true) {
        let w = cluster_width(cluster);
        if used + w > width - 1 {
            break;
        }
        out.push_str(cluster);
        used += w;
    }
    out.push('…');
    out
}

/// `text` with its first `limit` characters escaped as Rust's `escape_debug` does (control
/// characters, quotes and backslashes visible) and `…` when it was longer: a piece of hostile
/// input fit for a message.
pub fn shorten_escaped(text: &str, limit: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .by_ref()
        .take(limit)
        .flat_map(char::escape_debug)
        .collect();
    if chars.next().is_some() {
        out.push('…');
    }
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

    #[test]
    fn f08_wide_text_is_cut_by_clusters_with_an_ellipsis() {
        assert_eq!(fit("請求書のご確認（至急）", 12), "請求書のご…");
        assert_eq!(display_width("請求書のご…"), 11);
        assert_eq!(fit("plain ascii subject line", 12), "plain ascii…");
        assert_eq!(display_width(&fit("plain ascii subject line", 12)), 12);
        // A ZWJ sequence, a flag and a letter with two combining marks are never split.
        let scientist = "👩\u{200D}🔬";
        assert_eq!(display_width(scientist), 2);
        assert_eq!(fit(&format!("ab{scientist}cd"), 4), "ab…");
        assert_eq!(
            fit(&format!("ab{scientist}cd"), 5),
            format!("ab{scientist}…")
        );
        assert_eq!(fit("x🇯🇵yz", 3), "x…");
        assert_eq!(fit("ae\u{301}\u{323}bcd", 3), "ae\u{301}\u{323}…");
        // Emoji presentation (VS16) takes two columns.
        assert_eq!(display_width("⚠\u{FE0F}"), 2);
        assert_eq!(fit("⚠\u{FE0F} Action required", 3), "⚠\u{FE0F}…");
    }

    /// What the grid does: sanitise, fit, and draw with ratatui's buffer; the cell ends where
    /// `display_width` says, so the next column starts at the same x on every row.
    #[test]
    fn sanitised_and_fitted_cells_draw_as_wide_as_measured() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::style::Style;
        for raw in [
            "請求書のご確認（至急）",
            "⚠\u{FE0F} Action required 👩\u{200D}🔬",
            "plain ascii subject line",
            "\u{301}leading combining mark",
            "cafe\u{301} na\u{308}ive",
            "tab\there\r\nnext",
            "ｶﾞｷﾞ halfwidth",
            "🇯🇵🇺🇸 flags",
            "e\u{301}\u{301}\u{301}\u{301} stacked",
            "日本語テキスト",
        ] {
            for width in [1, 5, 8, 12, 40] {
                let cell = fit(&sanitize(raw).text, width);
                let measured = display_width(&cell);
                assert!(
                    measured <= width,
                    "{raw:?} at {width}: {cell:?} is {measured}"
                );
                let mut buffer = Buffer::empty(Rect::new(0, 0, 60, 1));
                let (x, _) = buffer.set_stringn(0, 0, &cell, 60, Style::default());
                assert_eq!(
                    usize::from(x),
                    measured,
                    "{raw:?} at {width}: ratatui drew {cell:?} over {x} columns"
                );
            }
        }
    }
}
