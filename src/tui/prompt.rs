//! One-line prompts: the grid's search (`/`), the export path (`e`) and a custom time window.
//! A prompt owns the keys while it is open: Enter submits, Esc closes.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::results::safe::{display_width, sanitize};

/// A line being typed: its characters and the cursor (a character index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    chars: Vec<char>,
    cursor: usize,
    /// The text is a suggestion: the first character typed or pasted replaces it (an editing
    /// key keeps it, to be edited).
    suggested: bool,
}

/// What a key did to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// The text changed.
    Edited,
    /// The cursor moved, or nothing happened.
    Unchanged,
    Submit,
    Cancel,
}

impl LineInput {
    /// A line holding `text`, the cursor at its end.
    pub fn new(text: &str) -> LineInput {
        let chars: Vec<char> = text.chars().collect();
        LineInput {
            cursor: chars.len(),
            chars,
            suggested: false,
        }
    }

    /// A line holding a suggestion (the export prompt's file name): typing replaces it, an
    /// editing key (←/→, Home/End, Backspace, Delete) keeps it for editing.
    pub fn suggested(text: &str) -> LineInput {
        LineInput {
            suggested: true,
            ..LineInput::new(text)
        }
    }

    /// Forgets the suggestion when `replace` (a character arrives), and stops suggesting.
    fn take_suggestion(&mut self, replace: bool) {
        if self.suggested && replace {
            self.chars.clear();
            self.cursor = 0;
        }
        self.suggested = false;
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Applies one key: printable characters insert; Backspace, Delete, ←/→, Home/End,
    /// Ctrl+A/E (line start/end), Ctrl+U (clear to the start), Ctrl+W (delete a word back).
    pub fn key(&mut self, key: KeyEvent) -> LineOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if !matches!(key.code, KeyCode::Enter | KeyCode::Esc) {
            self.take_suggestion(matches!(key.code, KeyCode::Char(_)) && !ctrl);
        }
        match key.code {
            KeyCode::Enter => LineOutcome::Submit,
            KeyCode::Esc => LineOutcome::Cancel,
            KeyCode::Char('c') if ctrl => LineOutcome::Cancel,
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(self.chars.len()),
            KeyCode::Char('u') if ctrl => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
                LineOutcome::Edited
            }
            KeyCode::Char('w') if ctrl => {
                let mut start = self.cursor;
                while start > 0 && self.chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && self.chars[start - 1] != ' ' {
                    start -= 1;
                }
                self.chars.drain(start..self.cursor);
                self.cursor = start;
                LineOutcome::Edited
            }
            KeyCode::Char(ch) if !ctrl => {
                self.chars.insert(self.cursor, ch);
                self.cursor += 1;
                LineOutcome::Edited
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
                LineOutcome::Edited
            }
            KeyCode::Delete if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
                LineOutcome::Edited
            }
            KeyCode::Left => self.move_to(self.cursor.saturating_sub(1)),
            KeyCode::Right => self.move_to((self.cursor + 1).min(self.chars.len())),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(self.chars.len()),
            _ => LineOutcome::Unchanged,
        }
    }

    /// Pasted text, on one line (line breaks become spaces).
    pub fn paste(&mut self, text: &str) {
        self.take_suggestion(!text.is_empty());
        for ch in text.chars() {
            let ch = if ch == '\n' || ch == '\r' { ' ' } else { ch };
            self.chars.insert(self.cursor, ch);
            self.cursor += 1;
        }
    }

    fn move_to(&mut self, at: usize) -> LineOutcome {
        self.cursor = at;
        LineOutcome::Unchanged
    }

    /// The line as shown in `width` cells after a label: made safe (a pasted control character
    /// is shown, not sent), scrolled so the cursor is visible. Returns the text and the
    /// cursor's cell offset within it.
    pub fn view(&self, width: usize) -> (String, usize) {
        let pieces: Vec<String> = self
            .chars
            .iter()
            .map(|c| sanitize(&c.to_string()).text)
            .collect();
        let before: usize = pieces[..self.cursor].iter().map(|p| display_width(p)).sum();
        let width = width.max(1);
        // Drop characters from the front until the cursor fits.
        let mut skip = 0;
        let mut skipped = 0;
        while before - skipped >= width && skip < self.cursor {
            skipped += display_width(&pieces[skip]);
            skip += 1;
        }
        let mut text = String::new();
        let mut used = 0;
        for piece in &pieces[skip..] {
            let w = display_width(piece);
            if used + w > width {
                break;
            }
            text.push_str(piece);
            used += w;
        }
        (text, before - skipped)
    }
}

/// What a prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// Text to find in every cell of the result.
    Search,
    /// A file to write every row of the result to.
    Export,
    /// A custom time window: an ISO 8601 duration or `start/end` interval.
    Window,
    /// y/N: replace the file an export would write over (`App::pending_export`).
    Overwrite,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Search => "/",
            PromptKind::Export => "export to: ",
            PromptKind::Window => "time window (P7D, PT12H, start/end): ",
            PromptKind::Overwrite => "the file exists: replace it? (y/N) ",
        }
    }
}

/// An open prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
    /// The export prompt's Tab toggle: a `.csv` file is written spreadsheet-safe (cells a
    /// spreadsheet would run as formulas get a leading `'`).
    pub spreadsheet_safe: bool,
    /// Why the text was refused (shown on the prompt's line until the text changes).
    pub error: Option<String>,
}

impl Prompt {
    /// What the status line shows after the text, when there is room: the export prompt's
    /// formats and CSV mode, long and short.
    pub fn hints(&self) -> Option<[String; 2]> {
        (self.kind == PromptKind::Export).then(|| {
            let mode = if self.spreadsheet_safe { "ON" } else { "off" };
            [
                format!(".csv .json .jsonl .parquet · Tab: spreadsheet-safe CSV {mode}"),
                format!("csv json jsonl parquet · Tab safe CSV {mode}"),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(line: &mut LineInput, code: KeyCode) -> LineOutcome {
        line.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn typing_and_editing() {
        let mut line = LineInput::new("ab");
        assert_eq!(press(&mut line, KeyCode::Char('c')), LineOutcome::Edited);
        press(&mut line, KeyCode::Left);
        press(&mut line, KeyCode::Backspace);
        assert_eq!(line.text(), "ac");
        press(&mut line, KeyCode::Home);
        press(&mut line, KeyCode::Delete);
        assert_eq!(line.text(), "c");
        assert_eq!(press(&mut line, KeyCode::Enter), LineOutcome::Submit);
        assert_eq!(press(&mut line, KeyCode::Esc), LineOutcome::Cancel);
        let mut words = LineInput::new("one two");
        words.key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(words.text(), "one ");
    }

    #[test]
    fn a_suggestion_is_replaced_by_typing_and_kept_by_editing() {
        let mut typed = LineInput::suggested("hunt-1.csv");
        press(&mut typed, KeyCode::Char('/'));
        assert_eq!(typed.text(), "/");
        press(&mut typed, KeyCode::Char('t'));
        assert_eq!(typed.text(), "/t");
        let mut pasted = LineInput::suggested("hunt-1.csv");
        pasted.paste("/tmp/out.json");
        assert_eq!(pasted.text(), "/tmp/out.json");
        let mut edited = LineInput::suggested("hunt-1.csv");
        press(&mut edited, KeyCode::Left);
        press(&mut edited, KeyCode::Left);
        press(&mut edited, KeyCode::Left);
        press(&mut edited, KeyCode::Left);
        press(&mut edited, KeyCode::Char('x'));
        assert_eq!(edited.text(), "hunt-1x.csv");
        let mut trimmed = LineInput::suggested("hunt-1.csv");
        press(&mut trimmed, KeyCode::Backspace);
        assert_eq!(trimmed.text(), "hunt-1.cs");
        let mut kept = LineInput::suggested("hunt-1.csv");
        assert_eq!(press(&mut kept, KeyCode::Enter), LineOutcome::Submit);
        assert_eq!(kept.text(), "hunt-1.csv");
    }

    #[test]
    fn the_view_keeps_the_cursor_visible_and_text_safe() {
        let line = LineInput::new("abcdefghij");
        assert_eq!(line.view(4), ("hij".to_string(), 3));
        let mut hostile = LineInput::new("");
        hostile.paste("x\u{1b}[2Jy\nz");
        let (text, _) = hostile.view(40);
        assert_eq!(text, "x␛[2Jy z");
    }
}
