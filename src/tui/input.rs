//! Keys that crossterm splits after an Esc, put back together before the app sees them.
//!
//! crossterm 0.29 (`parse_event` in its `event/sys/unix/parse.rs`) reads the two bytes
//! `ESC ESC` as one Esc key and parses what follows them afresh, so the rest of the second
//! escape sequence comes out as plain characters. tmux sends exactly that when Esc and another
//! key are pressed within its `escape-time` (500 ms by default): it forwards the pair as one
//! Meta+key, an ESC before the key's own sequence. Esc then F5 reaches the console as
//! `ESC ESC [ 1 5 ~` in one read, which crossterm gives as Esc, `[`, `1`, `5`, `~`; Esc then
//! Up (`ESC ESC [ A`) as Esc, `[`, Shift+`A`; and the editor typed `[15~` or `[A`.
//!
//! [`Rejoiner`] sits between crossterm and the app. After an Esc with more input already read
//! behind it (the reader says so as `followed`: only bytes that arrived together can be the
//! rest of one sequence), characters that spell the rest of a CSI (`[`…) or SS3 (`O`…) sequence
//! are held and given back as the key they encode, decoded as crossterm decodes the same
//! sequence when it arrives on its own. A character that does not fit gives the held ones back
//! as typed, so no text is lost; a key typed on its own after an Esc is never held. Esc itself
//! goes to the app at once, so its action (cancel, close, leave a mode) happens once, first.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers,
};

/// The longest sequence body held: key and mouse sequences are far shorter, so anything longer
/// is no sequence and goes out as typed.
const MAX_BODY: usize = 32;

/// Rejoins the key sequences crossterm splits after an Esc (see the module doc). Feed it every
/// terminal event in order with [`Rejoiner::push`], and call [`Rejoiner::flush`] when input has
/// paused; act on what they return, in order.
#[derive(Debug, Default)]
pub struct Rejoiner {
    state: State,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    /// An Esc came with more input right behind it.
    AfterEsc,
    /// `[` and the parameter bytes after it (`body`), with the key events that brought them.
    Csi { held: Vec<KeyEvent>, body: String },
    /// `[[`: the Linux console's F1–F5 (`ESC [ [ A`…`E`).
    LinuxF { held: Vec<KeyEvent> },
    /// `O`: an SS3 key (arrows, Home, End, F1–F4).
    Ss3 { held: Vec<KeyEvent> },
    /// The text of a bracketed paste whose start marker came as characters. crossterm drops its
    /// end marker (`ESC [ 201 ~` is no key it knows), so the paste ends with the burst of input.
    Paste(String),
}

/// What a complete CSI sequence stands for.
enum Sequence {
    Key(KeyEvent),
    PasteStart,
    /// A well-formed sequence that is no key (a mouse or focus report, a key crossterm does not
    /// know): crossterm drops these too.
    Ignored,
}

impl Rejoiner {
    /// Takes the next terminal event; `followed` says whether the event after it had already
    /// arrived when this one was read. Returns the events to act on (none while a sequence is
    /// being held).
    pub fn push(&mut self, event: Event, followed: bool) -> Vec<Event> {
        let mut out = Vec::new();
        self.step(event, followed, &mut out);
        // A paste ends with the input that came with it.
        if !followed && matches!(self.state, State::Paste(_)) {
            self.release(&mut out);
        }
        out
    }

    /// Input has paused: whatever is held goes out (characters as typed, a paste as a paste).
    pub fn flush(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.release(&mut out);
        out
    }

    fn release(&mut self, out: &mut Vec<Event>) {
        match std::mem::take(&mut self.state) {
            State::Csi { held, .. } | State::LinuxF { held } | State::Ss3 { held } => {
                out.extend(held.into_iter().map(Event::Key))
            }
            State::Paste(text) if !text.is_empty() => out.push(Event::Paste(text)),
            State::Paste(_) | State::Idle | State::AfterEsc => {}
        }
    }

    fn step(&mut self, event: Event, followed: bool, out: &mut Vec<Event>) {
        let state = std::mem::take(&mut self.state);
        let ch = sequence_char(&event);
        self.state = match (state, event, ch) {
            (State::Idle, event, _) => {
                let esc = matches!(&event, Event::Key(k)
                    if k.code == KeyCode::Esc && k.modifiers.is_empty()
                        && k.kind == KeyEventKind::Press);
                out.push(event);
                if esc && followed {
                    State::AfterEsc
                } else {
                    State::Idle
                }
            }
            (State::AfterEsc, Event::Key(key), Some('[')) => State::Csi {
                held: vec![key],
                body: String::new(),
            },
            (State::AfterEsc, Event::Key(key), Some('O')) => State::Ss3 { held: vec![key] },
            (State::AfterEsc, event, _) => return self.step(event, followed, out),
            (State::Csi { mut held, body }, Event::Key(key), Some('[')) if body.is_empty() => {
                held.push(key);
                State::LinuxF { held }
            }
            (State::Csi { mut held, mut body }, Event::Key(key), Some(c @ '0'..='?'))
                if body.len() < MAX_BODY =>
            {
                held.push(key);
                body.push(c);
                State::Csi { held, body }
            }
            (State::Csi { body, .. }, Event::Key(_), Some(last @ '@'..='~')) => {
                match csi(&body, last) {
                    Sequence::Key(key) => {
                        out.push(Event::Key(key));
                        State::Idle
                    }
                    Sequence::PasteStart => State::Paste(String::new()),
                    Sequence::Ignored => State::Idle,
                }
            }
            (State::LinuxF { .. }, Event::Key(_), Some(last @ 'A'..='E')) => {
                out.push(Event::Key(KeyEvent::new(
                    KeyCode::F(1 + (last as u8 - b'A')),
                    KeyModifiers::NONE,
                )));
                State::Idle
            }
            (State::Ss3 { .. }, Event::Key(_), Some(last)) if ss3(last).is_some() => {
                out.extend(
                    ss3(last).map(|code| Event::Key(KeyEvent::new(code, KeyModifiers::NONE))),
                );
                State::Idle
            }
            (State::Paste(mut text), Event::Key(key), _) => {
                text.extend(key_text(&key));
                State::Paste(text)
            }
            (State::Paste(mut text), Event::Paste(more), _) => {
                text.push_str(&more);
                State::Paste(text)
            }
            (State::Paste(text), event, _) => {
                out.push(Event::Paste(text));
                return self.step(event, followed, out);
            }
            // Anything else breaks a sequence: what was held was typed.
            (State::Csi { held, .. } | State::LinuxF { held } | State::Ss3 { held }, event, _) => {
                out.extend(held.into_iter().map(Event::Key));
                return self.step(event, followed, out);
            }
        };
    }
}

/// The character a key event brings if it can be a byte of an escape sequence: a printable
/// ASCII character, pressed, with no modifier but the Shift crossterm adds to capitals.
fn sequence_char(event: &Event) -> Option<char> {
    match event {
        Event::Key(KeyEvent {
            code: KeyCode::Char(c),
            modifiers,
            kind: KeyEventKind::Press,
            ..
        }) if (KeyModifiers::SHIFT).contains(*modifiers) && c.is_ascii_graphic() => Some(*c),
        _ => None,
    }
}

/// The key an SS3 sequence's last byte stands for (crossterm's table for `ESC O x`).
fn ss3(last: char) -> Option<KeyCode> {
    Some(match last {
        'A' => KeyCode::Up,
        'B' => KeyCode::Down,
        'C' => KeyCode::Right,
        'D' => KeyCode::Left,
        'H' => KeyCode::Home,
        'F' => KeyCode::End,
        'P'..='S' => KeyCode::F(1 + (last as u8 - b'P')),
        _ => return None,
    })
}

/// What `ESC [ body last` stands for, as crossterm 0.29 decodes it (`parse_csi`,
/// `parse_csi_special_key_code`, `parse_csi_modifier_key_code`).
fn csi(body: &str, last: char) -> Sequence {
    if body.is_empty() {
        let code = match last {
            'Z' => return Sequence::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
            // crossterm reads `ESC O R` as F3 but not `ESC [ R`.
            'R' => None,
            // The same keys as SS3's; focus reports (`I`, `O`) and the rest are none.
            other => ss3(other),
        };
        return match code {
            Some(code) => Sequence::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            None => Sequence::Ignored,
        };
    }
    match (body.as_bytes()[0], last) {
        // Numbered: special keys, and the modifier form of the lettered ones. Mouse reports
        // (`M`), cursor position replies (`R`) and CSI-u keys (not asked for) are no key here.
        (b'0'..=b'9', '~') => special_key(body),
        (b'0'..=b'9', 'M' | 'R' | 'u') => Sequence::Ignored,
        (b'0'..=b'9' | b';', _) => modified_key(body, last),
        // Private sequences: SGR mouse reports (`<`), replies (`?`).
        _ => Sequence::Ignored,
    }
}

/// `ESC [ n ; mask[:kind] ~`: Home, Insert, Delete, End, PageUp, PageDown and F1–F20, or the
/// start of a bracketed paste (`200`).
fn special_key(body: &str) -> Sequence {
    if body == "200" {
        return Sequence::PasteStart;
    }
    let mut parts = body.split(';');
    let Some(Ok(first)) = parts.next().map(str::parse::<u8>) else {
        return Sequence::Ignored;
    };
    let code = match first {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        v @ 11..=15 => KeyCode::F(v - 10),
        v @ 17..=21 => KeyCode::F(v - 11),
        v @ 23..=26 => KeyCode::F(v - 12),
        v @ 28..=29 => KeyCode::F(v - 15),
        v @ 31..=34 => KeyCode::F(v - 17),
        _ => return Sequence::Ignored,
    };
    let (modifiers, kind, state) = match mask_and_kind(parts.next()) {
        Some((mask, kind)) => (modifiers_of(mask), kind_of(kind), state_of(mask)),
        None => (KeyModifiers::NONE, KeyEventKind::Press, KeyEventState::NONE),
    };
    Sequence::Key(KeyEvent::new_with_kind_and_state(
        code, modifiers, kind, state,
    ))
}

/// `ESC [ 1 ; mask[:kind] x` for the arrows, Home, End and F1–F4; when the second parameter is
/// missing, crossterm reads the mask from the body's last digit.
fn modified_key(body: &str, last: char) -> Sequence {
    let (modifiers, kind) = match mask_and_kind(body.split(';').nth(1)) {
        Some((mask, kind)) => (modifiers_of(mask), kind_of(kind)),
        None => match body.chars().last().and_then(|c| c.to_digit(10)) {
            Some(mask) => (modifiers_of(mask as u8), KeyEventKind::Press),
            None => return Sequence::Ignored,
        },
    };
    let code = match last {
        'A' => KeyCode::Up,
        'B' => KeyCode::Down,
        'C' => KeyCode::Right,
        'D' => KeyCode::Left,
        'F' => KeyCode::End,
        'H' => KeyCode::Home,
        'P' => KeyCode::F(1),
        'Q' => KeyCode::F(2),
        'R' => KeyCode::F(3),
        'S' => KeyCode::F(4),
        _ => return Sequence::Ignored,
    };
    Sequence::Key(KeyEvent::new_with_kind(code, modifiers, kind))
}

/// `mask[:kind]`, the kind 1 (press) when absent.
fn mask_and_kind(part: Option<&str>) -> Option<(u8, u8)> {
    let mut pieces = part?.split(':');
    let mask = pieces.next()?.parse::<u8>().ok()?;
    let kind = pieces
        .next()
        .and_then(|k| k.parse::<u8>().ok())
        .unwrap_or(1);
    Some((mask, kind))
}

/// The xterm modifier parameter: one more than a bit set of Shift, Alt, Control, Super, Hyper,
/// Meta.
fn modifiers_of(mask: u8) -> KeyModifiers {
    let bits = mask.saturating_sub(1);
    let mut modifiers = KeyModifiers::NONE;
    for (bit, modifier) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ] {
        if bits & bit != 0 {
            modifiers |= modifier;
        }
    }
    modifiers
}

fn state_of(mask: u8) -> KeyEventState {
    let bits = mask.saturating_sub(1);
    let mut state = KeyEventState::NONE;
    if bits & 64 != 0 {
        state |= KeyEventState::CAPS_LOCK;
    }
    if bits & 128 != 0 {
        state |= KeyEventState::NUM_LOCK;
    }
    state
}

fn kind_of(kind: u8) -> KeyEventKind {
    match kind {
        2 => KeyEventKind::Repeat,
        3 => KeyEventKind::Release,
        _ => KeyEventKind::Press,
    }
}

/// The bytes crossterm read as `key`, for a paste that arrived as keys: characters, and the
/// control bytes it turns into Enter, Tab, Backspace and Ctrl+letter. Keys that came from an
/// escape sequence inside the paste have no single text and are left out.
fn key_text(key: &KeyEvent) -> Option<String> {
    let ch = match key.code {
        KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::CONTROL) => match c {
            'a'..='z' => char::from(c as u8 - b'a' + 1),
            '4'..='7' => char::from(c as u8 - b'4' + 0x1C),
            ' ' => '\0',
            _ => return None,
        },
        KeyCode::Char(c) => c,
        KeyCode::Enter => '\r',
        KeyCode::Tab => '\t',
        KeyCode::Backspace => '\x7f',
        KeyCode::Esc => '\x1b',
        _ => return None,
    };
    let mut text = String::new();
    if key.modifiers.contains(KeyModifiers::ALT) {
        text.push('\x1b');
    }
    text.push(ch);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every sequence below is what crossterm 0.29 produced for the bytes in its comment, written
    // into a tmux pane with `send-keys -H` in one write (checked with a probe that logs
    // `event::read()` and then `event::poll(0)` as `followed`).

    fn esc(followed: bool) -> (Event, bool) {
        (
            Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            followed,
        )
    }

    /// A character as crossterm reads it on its own (Shift on capitals).
    fn ch(c: char, followed: bool) -> (Event, bool) {
        let modifiers = if c.is_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        (
            Event::Key(KeyEvent::new(KeyCode::Char(c), modifiers)),
            followed,
        )
    }

    /// `text` as glued characters, the last one ending the burst when `ends`.
    fn chars(text: &str, ends: bool) -> Vec<(Event, bool)> {
        let count = text.chars().count();
        text.chars()
            .enumerate()
            .map(|(i, c)| ch(c, !(ends && i + 1 == count)))
            .collect()
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, modifiers))
    }

    fn plain(code: KeyCode) -> Event {
        key(code, KeyModifiers::NONE)
    }

    fn run(events: impl IntoIterator<Item = (Event, bool)>) -> Vec<Event> {
        let mut rejoiner = Rejoiner::default();
        let mut out = Vec::new();
        for (event, followed) in events {
            out.extend(rejoiner.push(event, followed));
        }
        out.extend(rejoiner.flush());
        out
    }

    fn glued_to_escape(rest: &str) -> Vec<Event> {
        run(std::iter::once(esc(true)).chain(chars(rest, true)))
    }

    #[test]
    fn a_key_glued_to_an_escape_is_that_key() {
        // 1b 1b 5b 31 35 7e: Esc, '[', '1', '5', '~'.
        assert_eq!(
            glued_to_escape("[15~"),
            vec![plain(KeyCode::Esc), plain(KeyCode::F(5))]
        );
        // 1b 1b 5b 41: Esc, '[', Shift+'A'.
        assert_eq!(
            glued_to_escape("[A"),
            vec![plain(KeyCode::Esc), plain(KeyCode::Up)]
        );
        // 1b 1b 4f 41: Esc, Shift+'O', Shift+'A'.
        assert_eq!(
            glued_to_escape("OA"),
            vec![plain(KeyCode::Esc), plain(KeyCode::Up)]
        );
        // 1b 1b 5b 31 3b 35 41 (tmux's Escape then C-Up): Esc, '[', '1', ';', '5', Shift+'A'.
        assert_eq!(
            glued_to_escape("[1;5A"),
            vec![plain(KeyCode::Esc), key(KeyCode::Up, KeyModifiers::CONTROL)]
        );
        // 1b 1b 5b 5b 41 (the Linux console's F1): Esc, '[', '[', Shift+'A'.
        assert_eq!(
            glued_to_escape("[[A"),
            vec![plain(KeyCode::Esc), plain(KeyCode::F(1))]
        );
        assert_eq!(
            glued_to_escape("[15;2~"),
            vec![plain(KeyCode::Esc), key(KeyCode::F(5), KeyModifiers::SHIFT)]
        );
        assert_eq!(
            glued_to_escape("[Z"),
            vec![
                plain(KeyCode::Esc),
                key(KeyCode::BackTab, KeyModifiers::SHIFT)
            ]
        );
        assert_eq!(
            glued_to_escape("[3~"),
            vec![plain(KeyCode::Esc), plain(KeyCode::Delete)]
        );
    }

    #[test]
    fn a_sequence_split_across_reads_is_still_one_key() {
        // 1b 1b 5b 31, then 35 7e: the '1' ends the first read.
        let events = [esc(true), ch('[', true), ch('1', false)]
            .into_iter()
            .chain(chars("5~", true));
        assert_eq!(run(events), vec![plain(KeyCode::Esc), plain(KeyCode::F(5))]);
    }

    #[test]
    fn reports_glued_to_an_escape_are_dropped_not_typed() {
        // 1b 1b 5b 3c 30 3b 35 3b 35 4d, an SGR mouse report: Esc, then "[<0;5;5M".
        assert_eq!(glued_to_escape("[<0;5;5M"), vec![plain(KeyCode::Esc)]);
        // A focus report.
        assert_eq!(glued_to_escape("[I"), vec![plain(KeyCode::Esc)]);
    }

    #[test]
    fn a_paste_glued_to_an_escape_is_a_paste() {
        // 1b 1b 5b 32 30 30 7e 61 09 62 0d 63 1b 5b 32 30 31 7e: Esc, "[200~", 'a', Tab, 'b',
        // Enter, 'c' (the end marker crossterm drops).
        let events = std::iter::once(esc(true))
            .chain(chars("[200~a", false))
            .chain([
                (plain(KeyCode::Tab), true),
                ch('b', true),
                (plain(KeyCode::Enter), true),
                ch('c', false),
            ]);
        assert_eq!(
            run(events),
            vec![plain(KeyCode::Esc), Event::Paste("a\tb\rc".into())]
        );
    }

    #[test]
    fn keys_typed_after_an_escape_stay_keys() {
        // An Esc that came alone: the '[' after it is typed.
        assert_eq!(
            run([esc(false), ch('[', false), ch('A', false)]),
            vec![plain(KeyCode::Esc), ch('[', false).0, ch('A', false).0]
        );
        // 1b 1b 78: Esc, 'x'.
        assert_eq!(
            glued_to_escape("x"),
            vec![plain(KeyCode::Esc), ch('x', false).0]
        );
        // Alt+1 after an Esc is Alt+1.
        let alt_one = key(KeyCode::Char('1'), KeyModifiers::ALT);
        assert_eq!(
            run([esc(true), (alt_one.clone(), false)]),
            vec![plain(KeyCode::Esc), alt_one]
        );
        // Two Escs glued to a key: both act, the key is the key.
        assert_eq!(
            run([esc(true), esc(true)].into_iter().chain(chars("[A", true))),
            vec![plain(KeyCode::Esc), plain(KeyCode::Esc), plain(KeyCode::Up)]
        );
    }

    #[test]
    fn what_does_not_fit_a_sequence_is_typed_as_it_came() {
        // "['" is no sequence (an intermediate byte): both characters are typed.
        assert_eq!(
            glued_to_escape("['"),
            vec![plain(KeyCode::Esc), ch('[', true).0, ch('\'', true).0]
        );
        // "OX" is no SS3 key.
        assert_eq!(
            glued_to_escape("OX"),
            vec![plain(KeyCode::Esc), ch('O', true).0, ch('X', true).0]
        );
        // A key that is no character breaks the sequence and still acts.
        assert_eq!(
            run([esc(true), ch('[', true), (plain(KeyCode::Enter), false)]),
            vec![plain(KeyCode::Esc), ch('[', true).0, plain(KeyCode::Enter)]
        );
        // Input pauses mid-sequence: what was held comes out at the flush, as typed.
        let mut rejoiner = Rejoiner::default();
        assert_eq!(rejoiner.push(esc(true).0, true), vec![plain(KeyCode::Esc)]);
        assert_eq!(rejoiner.push(ch('[', false).0, false), vec![]);
        assert_eq!(rejoiner.flush(), vec![ch('[', false).0]);
        assert_eq!(rejoiner.flush(), vec![]);
        // A run of parameters longer than any sequence is typed.
        let long = format!("[{}", "1".repeat(MAX_BODY + 1));
        let typed = glued_to_escape(&long);
        assert_eq!(typed.len(), 1 + long.len());
    }

    #[test]
    fn typing_and_pasting_without_an_escape_pass_through() {
        let events: Vec<(Event, bool)> = chars("[15~ OA", false)
            .into_iter()
            .chain([(Event::Paste("x[A".into()), false)])
            .collect();
        let expected: Vec<Event> = events.iter().map(|(e, _)| e.clone()).collect();
        assert_eq!(run(events), expected);
    }
}
