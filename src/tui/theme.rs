//! Colours: the theme file (`themes/*.toml`) read into ratatui styles. With `NO_COLOR` set every
//! style is plain and emphasis comes from bold, underline and reverse video only.

use std::collections::HashMap;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");

#[derive(Debug, Deserialize)]
struct ThemeFile {
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    syntax: HashMap<String, String>,
    #[serde(default)]
    ui: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Theme {
    syntax: HashMap<String, Style>,
    ui: HashMap<String, Color>,
    pub colour: bool,
}

pub fn parse_color(text: &str) -> Option<Color> {
    let text = text.trim().to_ascii_lowercase();
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() == 6 {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    Some(match text.as_str() {
        "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

impl Theme {
    /// Reads a theme file; unknown colour names are reported with their key.
    pub fn parse(text: &str, colour: bool) -> Result<Theme, String> {
        let file: ThemeFile =
            toml::from_str(text).map_err(|e| format!("theme: {}", e.message()))?;
        let mut syntax = HashMap::new();
        for (key, value) in &file.syntax {
            let color = parse_color(value)
                .ok_or_else(|| format!("theme: syntax.{key}: unknown colour '{value}'"))?;
            let mut style = Style::default().fg(color);
            if key == "keyword" {
                style = style.add_modifier(Modifier::BOLD);
            }
            syntax.insert(key.clone(), style);
        }
        let mut ui = HashMap::new();
        for (key, value) in &file.ui {
            ui.insert(
                key.clone(),
                parse_color(value)
                    .ok_or_else(|| format!("theme: ui.{key}: unknown colour '{value}'"))?,
            );
        }
        Ok(Theme { syntax, ui, colour })
    }

    /// The built-in theme.
    pub fn bundled(colour: bool) -> Theme {
        Theme::parse(DEFAULT_THEME, colour).expect("the bundled theme is valid")
    }

    /// The built-in theme, honouring `NO_COLOR`.
    pub fn default_for_terminal() -> Theme {
        Theme::bundled(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
    }

    /// The style for a syntax role (`comment`, `string`, `keyword`, …).
    pub fn syntax(&self, role: &str) -> Style {
        if !self.colour {
            return match role {
                "keyword" => Style::default().add_modifier(Modifier::BOLD),
                "comment" => Style::default().add_modifier(Modifier::DIM),
                _ => Style::default(),
            };
        }
        self.syntax.get(role).copied().unwrap_or_default()
    }

    /// A UI colour as a foreground style.
    pub fn ui(&self, role: &str) -> Style {
        match (self.colour, self.ui.get(role)) {
            (true, Some(color)) => Style::default().fg(*color),
            _ => Style::default(),
        }
    }

    /// The style of a cell that matches the grid's search (`current`: the match the cursor
    /// was moved to). Without colour: underlined, the current one also reversed.
    pub fn search(&self, current: bool) -> Style {
        match (self.colour, self.ui.get("match")) {
            (true, Some(color)) if current => Style::default()
                .bg(*color)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            (true, Some(color)) => Style::default()
                .fg(*color)
                .add_modifier(Modifier::UNDERLINED),
            _ if current => {
                Style::default().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
            }
            _ => Style::default().add_modifier(Modifier::UNDERLINED),
        }
    }

    /// The style that marks the selected row or cell.
    pub fn selected(&self) -> Style {
        match (self.colour, self.ui.get("selection")) {
            (true, Some(color)) => Style::default().bg(*color).fg(Color::White),
            _ => Style::default().add_modifier(Modifier::REVERSED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_bundled_theme_and_names_bad_colours() {
        let theme = Theme::parse(DEFAULT_THEME, true).unwrap();
        assert_eq!(theme.syntax("string").fg, Some(Color::Green));
        assert_eq!(parse_color("#ff8000"), Some(Color::Rgb(255, 128, 0)));
        let error = Theme::parse("[syntax]\nstring = \"chartreuse\"", true).unwrap_err();
        assert!(
            error.contains("syntax.string") && error.contains("chartreuse"),
            "{error}"
        );
    }

    #[test]
    fn no_color_uses_no_colours() {
        let theme = Theme::parse(DEFAULT_THEME, false).unwrap();
        assert_eq!(theme.syntax("string").fg, None);
        assert_eq!(theme.ui("error").fg, None);
        assert!(theme.selected().add_modifier.contains(Modifier::REVERSED));
    }
}
