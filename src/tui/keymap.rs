//! Key bindings from the config file's `[keys]` table: `action = "key"` gives an action another
//! key (UX.md: "defaults; remappable in the config file"). A binding takes its key from whatever
//! the key did before, in the action's pane; the default keys keep working, so a remap can never
//! lock a user out of an action. Remapped keys are listed at the top of the help overlay.

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::Focus;

/// Where an action's key works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Anywhere,
    Editor,
    Grid,
    Sidebar,
}

/// One remappable action: its config name, where it works, the default key it stands for, and
/// what it does (for the help).
#[derive(Debug, Clone, Copy)]
pub struct Action {
    pub name: &'static str,
    pub scope: Scope,
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub what: &'static str,
}

const fn action(
    name: &'static str,
    scope: Scope,
    code: KeyCode,
    modifiers: KeyModifiers,
    what: &'static str,
) -> Action {
    Action {
        name,
        scope,
        code,
        modifiers,
        what,
    }
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;

/// Every action a `[keys]` entry can name.
pub const ACTIONS: &[Action] = &[
    action("run", Scope::Anywhere, KeyCode::F(5), NONE, "run the query"),
    action("quit", Scope::Anywhere, KeyCode::Char('q'), CTRL, "quit"),
    action("help", Scope::Anywhere, KeyCode::F(1), NONE, "help"),
    action("save", Scope::Anywhere, KeyCode::Char('s'), CTRL, "save"),
    action(
        "open",
        Scope::Anywhere,
        KeyCode::Char('o'),
        CTRL,
        "fuzzy-open",
    ),
    action(
        "next_pane",
        Scope::Anywhere,
        KeyCode::Tab,
        NONE,
        "next pane",
    ),
    action(
        "previous_pane",
        Scope::Anywhere,
        KeyCode::BackTab,
        NONE,
        "previous pane",
    ),
    action(
        "focus_queries",
        Scope::Anywhere,
        KeyCode::Char('1'),
        ALT,
        "focus queries",
    ),
    action(
        "focus_editor",
        Scope::Anywhere,
        KeyCode::Char('2'),
        ALT,
        "focus editor",
    ),
    action(
        "focus_results",
        Scope::Anywhere,
        KeyCode::Char('3'),
        ALT,
        "focus results",
    ),
    action("error", Scope::Anywhere, KeyCode::F(2), NONE, "whole error"),
    action(
        "time_window",
        Scope::Anywhere,
        KeyCode::F(6),
        NONE,
        "time window",
    ),
    action("backend", Scope::Anywhere, KeyCode::F(7), NONE, "backend"),
    action("zoom", Scope::Anywhere, KeyCode::F(11), NONE, "zoom pane"),
    action(
        "new_tab",
        Scope::Anywhere,
        KeyCode::Char('n'),
        ALT,
        "new tab",
    ),
    action(
        "close_tab",
        Scope::Anywhere,
        KeyCode::Char('w'),
        ALT,
        "close tab",
    ),
    action(
        "next_tab",
        Scope::Anywhere,
        KeyCode::Char('.'),
        ALT,
        "next tab",
    ),
    action(
        "previous_tab",
        Scope::Anywhere,
        KeyCode::Char(','),
        ALT,
        "previous tab",
    ),
    action("undo", Scope::Editor, KeyCode::Char('z'), CTRL, "undo"),
    action("redo", Scope::Editor, KeyCode::Char('y'), CTRL, "redo"),
    action(
        "select_all",
        Scope::Editor,
        KeyCode::Char('a'),
        CTRL,
        "select all",
    ),
    action(
        "comment",
        Scope::Editor,
        KeyCode::Char('/'),
        CTRL,
        "toggle comment",
    ),
    action(
        "duplicate_line",
        Scope::Editor,
        KeyCode::Char('d'),
        CTRL,
        "duplicate line",
    ),
    action(
        "format",
        Scope::Editor,
        KeyCode::Char('F'),
        ALT,
        "format the query block",
    ),
    action(
        "sort_ascending",
        Scope::Grid,
        KeyCode::Char('s'),
        NONE,
        "sort ascending",
    ),
    action(
        "sort_descending",
        Scope::Grid,
        KeyCode::Char('S'),
        NONE,
        "sort descending",
    ),
    action("search", Scope::Grid, KeyCode::Char('/'), NONE, "search"),
    action(
        "next_match",
        Scope::Grid,
        KeyCode::Char('n'),
        NONE,
        "next match",
    ),
    action(
        "previous_match",
        Scope::Grid,
        KeyCode::Char('N'),
        NONE,
        "previous match",
    ),
    action("inspect", Scope::Grid, KeyCode::Enter, NONE, "inspect"),
    action(
        "filter_equal",
        Scope::Grid,
        KeyCode::Char('='),
        NONE,
        "| where ==",
    ),
    action(
        "filter_not_equal",
        Scope::Grid,
        KeyCode::Char('!'),
        NONE,
        "| where !=",
    ),
    action(
        "frequencies",
        Scope::Grid,
        KeyCode::Char('f'),
        NONE,
        "frequencies",
    ),
    action("columns", Scope::Grid, KeyCode::Char('c'), NONE, "columns"),
    action(
        "wider",
        Scope::Grid,
        KeyCode::Char('w'),
        NONE,
        "wider column",
    ),
    action(
        "narrower",
        Scope::Grid,
        KeyCode::Char('W'),
        NONE,
        "narrower column",
    ),
    action(
        "pin",
        Scope::Grid,
        KeyCode::Char('p'),
        NONE,
        "pin first column",
    ),
    action(
        "copy_cell",
        Scope::Grid,
        KeyCode::Char('y'),
        NONE,
        "copy cell",
    ),
    action(
        "copy_row",
        Scope::Grid,
        KeyCode::Char('Y'),
        NONE,
        "copy row",
    ),
    action("export", Scope::Grid, KeyCode::Char('e'), NONE, "export"),
    action(
        "chart",
        Scope::Grid,
        KeyCode::Char('v'),
        NONE,
        "chart / table",
    ),
    action("load", Scope::Sidebar, KeyCode::Enter, NONE, "load"),
    action(
        "rerun",
        Scope::Sidebar,
        KeyCode::Char('r'),
        NONE,
        "load and run",
    ),
    action(
        "filter_queries",
        Scope::Sidebar,
        KeyCode::Char('/'),
        NONE,
        "filter",
    ),
    action(
        "new_query",
        Scope::Sidebar,
        KeyCode::Char('n'),
        NONE,
        "new query",
    ),
    action("rename", Scope::Sidebar, KeyCode::Char('R'), NONE, "rename"),
    action("delete", Scope::Sidebar, KeyCode::Char('d'), NONE, "delete"),
];

/// The user's bindings: (key, modifiers) → the action's index in `ACTIONS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<(KeyCode, KeyModifiers, usize)>,
}

impl KeyMap {
    /// Reads a `[keys]` table. Errors name the entry: an unknown action (with the list of known
    /// ones) or a key that cannot be read.
    pub fn from_table(table: &BTreeMap<String, String>) -> Result<KeyMap, String> {
        let mut bindings = Vec::new();
        for (name, spec) in table {
            let Some(index) = ACTIONS.iter().position(|a| a.name == name) else {
                let known: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
                return Err(format!(
                    "keys.{name}: no such action (one of: {})",
                    known.join(", ")
                ));
            };
            let (code, modifiers) = parse_key(spec).map_err(|e| format!("keys.{name}: {e}"))?;
            bindings.push((code, modifiers, index));
        }
        Ok(KeyMap { bindings })
    }

    /// The key as the console should read it: a bound key becomes its action's default key
    /// when the action works where the focus is; anything else is left as it is.
    pub fn translate(&self, key: KeyEvent, focus: Focus) -> KeyEvent {
        if key.kind == KeyEventKind::Release {
            return key;
        }
        let (code, modifiers) = normalise(key.code, key.modifiers);
        for (bound, bound_modifiers, index) in &self.bindings {
            if *bound != code || *bound_modifiers != modifiers {
                continue;
            }
            let action = &ACTIONS[*index];
            let applies = match action.scope {
                Scope::Anywhere => true,
                Scope::Editor => focus == Focus::Editor,
                Scope::Grid => focus == Focus::Grid,
                Scope::Sidebar => focus == Focus::Sidebar,
            };
            if applies {
                return KeyEvent::new(action.code, action.modifiers);
            }
        }
        key
    }

    /// The user's bindings as help lines: (key as written, what it does).
    pub fn help_lines(&self) -> Vec<(String, String)> {
        self.bindings
            .iter()
            .map(|(code, modifiers, index)| {
                let action = &ACTIONS[*index];
                (
                    describe(*code, *modifiers),
                    format!("{} ({})", action.what, action.name),
                )
            })
            .collect()
    }
}

/// Shift is part of an upper-case letter already; terminals differ in whether they also
/// report it, so it is dropped for characters.
fn normalise(code: KeyCode, modifiers: KeyModifiers) -> (KeyCode, KeyModifiers) {
    match code {
        KeyCode::Char(_) => (code, modifiers - KeyModifiers::SHIFT),
        _ => (code, modifiers),
    }
}

/// Reads a key as the config writes it: modifiers joined by `+` (`ctrl`, `alt`, `shift`), then
/// a key name (`f1`…`f12`, `enter`, `esc`, `tab`, `backtab`, `space`, `up`, `down`, `left`,
/// `right`, `home`, `end`, `pageup`, `pagedown`, `delete`, `backspace`, `insert`) or one
/// character (`ctrl+e`, `alt+shift+x`, `F8`, `/`, `+`). Case does not matter in names;
/// a single letter keeps its case (`S` is shift+s).
pub fn parse_key(spec: &str) -> Result<(KeyCode, KeyModifiers), String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err("an empty key".into());
    }
    // A trailing "+" is the plus key itself ("ctrl++").
    let (head, last) = match spec.strip_suffix("++") {
        Some(head) => (head, "+"),
        None => match spec.rsplit_once('+') {
            Some((head, last)) if !last.is_empty() => (head, last),
            _ => ("", spec),
        },
    };
    let mut modifiers = KeyModifiers::NONE;
    for part in head.split('+').filter(|p| !p.is_empty()) {
        modifiers |= match part.trim().to_ascii_lowercase().as_str() {
            "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
            "alt" | "meta" | "m" => KeyModifiers::ALT,
            "shift" | "s" => KeyModifiers::SHIFT,
            other => return Err(format!("'{other}' is not a modifier (ctrl, alt, shift)")),
        };
    }
    let lower = last.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "delete" | "del" => KeyCode::Delete,
        "backspace" => KeyCode::Backspace,
        "insert" | "ins" => KeyCode::Insert,
        f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
            let n: u8 = f[1..].parse().unwrap_or(0);
            if !(1..=12).contains(&n) {
                return Err(format!("'{last}' is not a key (F1 to F12)"));
            }
            KeyCode::F(n)
        }
        _ => {
            let mut chars = last.chars();
            match (chars.next(), chars.next()) {
                (Some(ch), None) if !ch.is_control() => {
                    let ch = if modifiers.contains(KeyModifiers::SHIFT) {
                        ch.to_ascii_uppercase()
                    } else {
                        ch
                    };
                    KeyCode::Char(ch)
                }
                _ => return Err(format!("'{last}' is not a key name or a single character")),
            }
        }
    };
    Ok(normalise(code, modifiers))
}

/// A key as the help shows it (`Ctrl+E`, `F8`, `Alt+x`).
pub fn describe(code: KeyCode, modifiers: KeyModifiers) -> String {
    let mut out = String::new();
    if modifiers.contains(KeyModifiers::CONTROL) {
        out.push_str("Ctrl+");
    }
    if modifiers.contains(KeyModifiers::ALT) {
        out.push_str("Alt+");
    }
    if modifiers.contains(KeyModifiers::SHIFT) {
        out.push_str("Shift+");
    }
    match code {
        KeyCode::Char(' ') => out.push_str("Space"),
        KeyCode::Char(ch) => out.push(ch),
        KeyCode::F(n) => out.push_str(&format!("F{n}")),
        other => out.push_str(&format!("{other:?}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn keys_read_as_written() {
        assert_eq!(
            parse_key("ctrl+e"),
            Ok((KeyCode::Char('e'), KeyModifiers::CONTROL))
        );
        assert_eq!(parse_key("F8"), Ok((KeyCode::F(8), KeyModifiers::NONE)));
        assert_eq!(
            parse_key("Alt+Shift+x"),
            Ok((KeyCode::Char('X'), KeyModifiers::ALT))
        );
        assert_eq!(
            parse_key("ctrl++"),
            Ok((KeyCode::Char('+'), KeyModifiers::CONTROL))
        );
        assert_eq!(parse_key("/"), Ok((KeyCode::Char('/'), KeyModifiers::NONE)));
        assert_eq!(
            parse_key("space"),
            Ok((KeyCode::Char(' '), KeyModifiers::NONE))
        );
        assert!(parse_key("hyper+x").unwrap_err().contains("hyper"));
        assert!(parse_key("f13").is_err());
        assert!(parse_key("banana").is_err());
        assert!(parse_key("").is_err());
    }

    #[test]
    fn a_binding_stands_for_its_action_where_the_action_works() {
        let map = KeyMap::from_table(&table(&[("run", "ctrl+e"), ("search", "ctrl+f")])).unwrap();
        let run = map.translate(
            KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL),
            Focus::Editor,
        );
        assert_eq!(run.code, KeyCode::F(5));
        // Search is a grid key: Ctrl+F in the editor stays Ctrl+F.
        let in_editor = map.translate(
            KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL),
            Focus::Editor,
        );
        assert_eq!(in_editor.code, KeyCode::Char('f'));
        let in_grid = map.translate(
            KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL),
            Focus::Grid,
        );
        assert_eq!(
            (in_grid.code, in_grid.modifiers),
            (KeyCode::Char('/'), KeyModifiers::NONE)
        );
        assert_eq!(map.help_lines()[0].0, "Ctrl+e");
    }

    #[test]
    fn unknown_actions_and_bad_keys_are_named() {
        let error = KeyMap::from_table(&table(&[("launch", "f9")])).unwrap_err();
        assert!(
            error.contains("keys.launch") && error.contains("run"),
            "{error}"
        );
        let error = KeyMap::from_table(&table(&[("run", "ctrl+banana")])).unwrap_err();
        assert!(
            error.contains("keys.run") && error.contains("banana"),
            "{error}"
        );
    }
}
