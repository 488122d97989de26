//! Colours: the bundled theme files (`themes/*.toml`) read into ratatui styles, fitted to what
//! the terminal can show (see [`color_depth`]). With `NO_COLOR` set every style is plain and
//! emphasis comes from bold, underline and reverse video only.

use std::collections::HashMap;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const DEFAULT_THEME: &str = include_str!("../../themes/dark.toml");

/// The bundled themes by name, the default first. `default` is another name for `dark`.
pub const THEMES: [(&str, &str); 3] = [
    ("dark", DEFAULT_THEME),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The theme used when none is chosen.
pub const DEFAULT_THEME_NAME: &str = "dark";

/// The names `theme` / `--theme` accept, for messages and help.
pub fn theme_names() -> Vec<&'static str> {
    THEMES.iter().map(|(name, _)| *name).collect()
}

/// How many colours the terminal shows; themes are fitted to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    /// `NO_COLOR`: no colours at all, emphasis by bold, underline and reverse video.
    None,
    /// The 16 named colours (the terminal's own palette).
    Sixteen,
    /// The xterm 256-colour palette.
    Indexed256,
    /// 24-bit colour: `#rrggbb` as written.
    TrueColor,
}

/// What the terminal can show, from the environment (`env` reads a variable; empty counts as
/// unset). The rule, first match wins:
/// 1. `NO_COLOR` set → [`ColorDepth::None`] (no-color.org);
/// 2. `HUNT_COLORS` = `16`, `256`, or `truecolor`/`24bit` → that (an override for terminals that
///    report wrongly);
/// 3. `COLORTERM` = `truecolor` or `24bit` → [`ColorDepth::TrueColor`];
/// 4. `TERM` containing `256color` → [`ColorDepth::Indexed256`]; `TERM` ending in `-direct` →
///    [`ColorDepth::TrueColor`];
/// 5. no `TERM` in Windows Terminal (`WT_SESSION`) → [`ColorDepth::TrueColor`];
/// 6. anything else (`xterm`, `linux`, `screen`, no `TERM`) → [`ColorDepth::Sixteen`].
pub fn color_depth(env: impl Fn(&str) -> Option<String>) -> ColorDepth {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if var("NO_COLOR").is_some() {
        return ColorDepth::None;
    }
    match var("HUNT_COLORS")
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("16") => return ColorDepth::Sixteen,
        Some("256") => return ColorDepth::Indexed256,
        Some("truecolor" | "24bit") => return ColorDepth::TrueColor,
        _ => {}
    }
    if let Some(colorterm) = var("COLORTERM")
        && matches!(
            colorterm.trim().to_ascii_lowercase().as_str(),
            "truecolor" | "24bit"
        )
    {
        return ColorDepth::TrueColor;
    }
    match var("TERM") {
        Some(term) if term.contains("256color") => ColorDepth::Indexed256,
        Some(term) if term.ends_with("-direct") => ColorDepth::TrueColor,
        None if var("WT_SESSION").is_some() => ColorDepth::TrueColor,
        _ => ColorDepth::Sixteen,
    }
}

impl ColorDepth {
    /// A theme colour as this terminal can show it: `#rrggbb` (and indexed colours) become the
    /// nearest xterm 256-colour index, or the nearest of the 16 named colours; named colours and
    /// `reset` are kept (the terminal's palette draws them).
    pub fn fit(self, color: Color) -> Color {
        match (self, color) {
            (ColorDepth::Indexed256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256(r, g, b)),
            (ColorDepth::Sixteen, Color::Rgb(r, g, b)) => nearest_16(r, g, b),
            (ColorDepth::Sixteen, Color::Indexed(i)) => {
                let (r, g, b) = indexed_rgb(i);
                nearest_16(r, g, b)
            }
            _ => color,
        }
    }
}

/// The 16 named colours with xterm's default RGB values (what most palettes approximate).
const NAMED: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// Squared distance weighted by the mean red level ("redmean"), a cheap approximation of how
/// far apart two colours look.
fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let mean_red = (u32::from(a.0) + u32::from(b.0)) / 2;
    let dr = (i32::from(a.0) - i32::from(b.0)).unsigned_abs();
    let dg = (i32::from(a.1) - i32::from(b.1)).unsigned_abs();
    let db = (i32::from(a.2) - i32::from(b.2)).unsigned_abs();
    (((512 + mean_red) * dr * dr) >> 8) + 4 * dg * dg + (((767 - mean_red) * db * db) >> 8)
}

/// The named colour nearest to an RGB value.
fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    NAMED
        .iter()
        .min_by_key(|(_, rgb)| distance(*rgb, (r, g, b)))
        .map_or(Color::Reset, |(color, _)| *color)
}

/// The levels of the xterm 6×6×6 colour cube.
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The RGB value of an xterm 256-colour index.
fn indexed_rgb(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => NAMED[usize::from(index)].1,
        16..=231 => {
            let i = index - 16;
            (
                CUBE[usize::from(i / 36)],
                CUBE[usize::from(i / 6 % 6)],
                CUBE[usize::from(i % 6)],
            )
        }
        _ => {
            let level = 8 + 10 * (index - 232);
            (level, level, level)
        }
    }
}

/// The xterm 256-colour index nearest to an RGB value, from the colour cube (16–231) and the
/// grey ramp (232–255). Indices 0–15 are left out: terminals let users redefine them.
fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    (16..=255u8)
        .min_by_key(|&i| distance(indexed_rgb(i), (r, g, b)))
        .unwrap_or(16)
}

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
    /// Reads a theme file with its colours as written (truecolor); unknown colour names are
    /// reported with their key.
    pub fn parse(text: &str, colour: bool) -> Result<Theme, String> {
        let depth = if colour {
            ColorDepth::TrueColor
        } else {
            ColorDepth::None
        };
        Theme::parse_for(text, depth)
    }

    /// Reads a theme file and fits its colours to `depth` ([`ColorDepth::fit`]).
    pub fn parse_for(text: &str, depth: ColorDepth) -> Result<Theme, String> {
        let colour = depth != ColorDepth::None;
        let file: ThemeFile =
            toml::from_str(text).map_err(|e| format!("theme: {}", e.message()))?;
        let mut syntax = HashMap::new();
        for (key, value) in &file.syntax {
            let color = parse_color(value)
                .map(|c| depth.fit(c))
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
                    .map(|c| depth.fit(c))
                    .ok_or_else(|| format!("theme: ui.{key}: unknown colour '{value}'"))?,
            );
        }
        Ok(Theme { syntax, ui, colour })
    }

    /// The default bundled theme (`dark`), colours as written.
    pub fn bundled(colour: bool) -> Theme {
        Theme::parse(DEFAULT_THEME, colour).expect("the bundled theme is valid")
    }

    /// A bundled theme by name (`dark`, `light`, `high-contrast`; `default` = `dark`; any case),
    /// fitted to `depth`. An unknown name is an error that lists the themes there are.
    pub fn named(name: &str, depth: ColorDepth) -> Result<Theme, String> {
        let wanted = name.trim().to_ascii_lowercase();
        let wanted = if wanted == "default" {
            DEFAULT_THEME_NAME.to_string()
        } else {
            wanted
        };
        let text = THEMES
            .iter()
            .find(|(known, _)| *known == wanted)
            .map(|(_, text)| *text)
            .ok_or_else(|| {
                format!(
                    "unknown theme '{}': the themes are {} (default: {DEFAULT_THEME_NAME}); using {DEFAULT_THEME_NAME}",
                    name.escape_debug(),
                    theme_names().join(", "),
                )
            })?;
        Theme::parse_for(text, depth)
    }

    /// The theme `name` (the default when `None`) fitted to this terminal ([`color_depth`] over
    /// the process environment). An unknown name gives the default theme and the message to
    /// show, so the console still opens.
    pub fn for_terminal(name: Option<&str>) -> (Theme, Option<String>) {
        let depth = color_depth(|name| std::env::var(name).ok());
        match Theme::named(name.unwrap_or(DEFAULT_THEME_NAME), depth) {
            Ok(theme) => (theme, None),
            Err(message) => (
                Theme::parse_for(DEFAULT_THEME, depth).expect("the bundled theme is valid"),
                Some(message),
            ),
        }
    }

    /// The default theme fitted to this terminal, honouring `NO_COLOR`.
    pub fn default_for_terminal() -> Theme {
        Theme::for_terminal(None).0
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

    #[test]
    fn every_bundled_theme_parses_with_every_role() {
        let roles = [
            "comment", "string", "number", "keyword", "operator", "function", "type",
        ];
        let ui = [
            "border",
            "focus",
            "header",
            "selection",
            "error",
            "warning",
            "suspicious",
            "status",
        ];
        for (name, text) in THEMES {
            for depth in [
                ColorDepth::TrueColor,
                ColorDepth::Indexed256,
                ColorDepth::Sixteen,
            ] {
                let theme = Theme::named(name, depth).unwrap_or_else(|e| panic!("{name}: {e}"));
                for role in roles {
                    assert!(theme.syntax(role).fg.is_some(), "{name}: syntax.{role}");
                }
                for role in ui {
                    let fg = theme.ui(role).fg;
                    assert!(fg.is_some(), "{name}: ui.{role}");
                    // Fitted: no colour the terminal cannot show.
                    match (depth, fg) {
                        (ColorDepth::Sixteen, Some(Color::Rgb(..) | Color::Indexed(_)))
                        | (ColorDepth::Indexed256, Some(Color::Rgb(..))) => {
                            panic!("{name}: ui.{role} not fitted to {depth:?}: {fg:?}")
                        }
                        _ => {}
                    }
                }
            }
            assert!(text.contains(&format!("name = \"{name}\"")), "{name}");
        }
        assert_eq!(
            Theme::named("Default", ColorDepth::TrueColor)
                .unwrap()
                .syntax("string")
                .fg,
            Some(Color::Green)
        );
    }

    #[test]
    fn unknown_themes_list_the_available_ones() {
        let error = Theme::named("solarized", ColorDepth::TrueColor).unwrap_err();
        assert!(
            error.contains("solarized") && error.contains("dark, light, high-contrast"),
            "{error}"
        );
    }

    #[test]
    fn colour_depth_follows_the_documented_rule() {
        let depth = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            color_depth(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        };
        assert_eq!(
            depth(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")]),
            ColorDepth::None
        );
        assert_eq!(
            depth(&[("NO_COLOR", ""), ("COLORTERM", "truecolor")]),
            ColorDepth::TrueColor
        );
        assert_eq!(
            depth(&[("COLORTERM", "24bit"), ("TERM", "xterm")]),
            ColorDepth::TrueColor
        );
        assert_eq!(depth(&[("TERM", "xterm-256color")]), ColorDepth::Indexed256);
        assert_eq!(depth(&[("TERM", "xterm")]), ColorDepth::Sixteen);
        assert_eq!(depth(&[("TERM", "linux")]), ColorDepth::Sixteen);
        assert_eq!(depth(&[]), ColorDepth::Sixteen);
        assert_eq!(depth(&[("WT_SESSION", "x")]), ColorDepth::TrueColor);
        assert_eq!(
            depth(&[("HUNT_COLORS", "16"), ("COLORTERM", "truecolor")]),
            ColorDepth::Sixteen
        );
        assert_eq!(
            depth(&[("HUNT_COLORS", "256"), ("TERM", "xterm")]),
            ColorDepth::Indexed256
        );
    }

    #[test]
    fn rgb_maps_to_the_nearest_indexed_and_named_colour() {
        let to256 = |r, g, b| ColorDepth::Indexed256.fit(Color::Rgb(r, g, b));
        assert_eq!(to256(255, 0, 0), Color::Indexed(196));
        assert_eq!(to256(0, 0, 0), Color::Indexed(16));
        assert_eq!(to256(255, 255, 255), Color::Indexed(231));
        assert_eq!(to256(95, 135, 175), Color::Indexed(67));
        assert_eq!(to256(128, 128, 128), Color::Indexed(244));
        assert_eq!(to256(0x11, 0x63, 0x29), Color::Indexed(22));
        let to16 = |r, g, b| ColorDepth::Sixteen.fit(Color::Rgb(r, g, b));
        assert_eq!(to16(250, 10, 10), Color::LightRed);
        assert_eq!(to16(200, 0, 0), Color::Red);
        assert_eq!(to16(10, 10, 10), Color::Black);
        assert_eq!(to16(252, 252, 252), Color::White);
        assert_eq!(to16(235, 235, 235), Color::Gray);
        assert_eq!(to16(0x1a, 0x7f, 0x37), Color::Green);
        assert_eq!(
            ColorDepth::Sixteen.fit(Color::Indexed(196)),
            Color::LightRed
        );
        // Named colours are the terminal's own: kept at every depth.
        for depth in [
            ColorDepth::Sixteen,
            ColorDepth::Indexed256,
            ColorDepth::TrueColor,
        ] {
            assert_eq!(depth.fit(Color::Cyan), Color::Cyan);
            assert_eq!(depth.fit(Color::Reset), Color::Reset);
        }
        assert_eq!(
            ColorDepth::TrueColor.fit(Color::Rgb(1, 2, 3)),
            Color::Rgb(1, 2, 3)
        );
    }
}
