//! Draws a result's chart (`| render …`) in the results pane: ratatui's `Chart` for lines,
//! areas and points (Braille dots), `BarChart` for columns (vertical) and bars (horizontal). A
//! terminal has no pie: a piechart is drawn as horizontal bars labelled with each category's
//! share of the total, and the header says so.
//!
//! The pane shows, top to bottom: a header (the title and what was drawn), the legend (unless
//! `legend=hidden`), the chart, and a line of notes (what the chart leaves out). Every text that
//! comes from the query or its data (title, series names, categories, axis titles) goes through
//! `results::safe::sanitize` and is cut with `fit`: it is attacker-controlled. Any area size,
//! empty data, NaN, infinities, one point and flat values are drawn without panicking.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::theme::Theme;
use crate::results::chart::{BarSeries, ChartBody, ChartData, PointSeries, downsample};
use crate::results::safe::{display_width, fit, sanitize};
use crate::results::{RenderHint, Visualization};

/// Series colours, from the 16 every terminal has; they repeat after ten series.
const PALETTE: [Color; 10] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
    Color::LightGreen,
    Color::LightMagenta,
    Color::Red,
    Color::Blue,
];

/// The widest a series name or category label is drawn, in cells.
const MAX_LABEL: usize = 24;

/// Draws `chart` (computed from a result with `hint`) inside `area`, which the caller has
/// already framed. Texts are sanitized; nothing here panics on any area or data.
pub fn draw_chart(
    frame: &mut Frame,
    area: Rect,
    chart: &ChartData,
    hint: &RenderHint,
    theme: &Theme,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let width = area.width as usize;
    let legend = if hint.legend {
        legend_lines(chart, theme, width, 2)
    } else {
        Vec::new()
    };
    let mut notes = chart.notes.clone();
    // Header, legend, plot, notes (the notes line only when there is room and something to say).
    let layout = |with_notes: bool| {
        let legend_height = (legend.len() as u16).min(area.height.saturating_sub(4));
        let notes_height = u16::from(with_notes && area.height >= legend_height + 6);
        let [header, legend, plot, notes] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(legend_height),
            Constraint::Min(0),
            Constraint::Length(notes_height),
        ])
        .areas(area);
        (plot, header, legend, notes)
    };
    let (mut plot_area, mut header_area, mut legend_area, mut notes_area) =
        layout(!notes.is_empty());
    if let ChartBody::Bars { categories, series } = &chart.body {
        let with_note = layout(true);
        let vertical = chart.visualization == Visualization::ColumnChart;
        let geometry = bar_geometry(with_note.0, vertical, series.len().max(1));
        if geometry.fits < categories.len() {
            notes.insert(
                0,
                format!(
                    "{} of {} categories fit; the table has them all",
                    geometry.fits,
                    categories.len()
                ),
            );
            (plot_area, header_area, legend_area, notes_area) = with_note;
        }
    }
    let plot_ok = plot_area.height >= 3 && plot_area.width >= 10;
    match &chart.body {
        ChartBody::Points { x_time, series } if plot_ok => {
            draw_points(frame, plot_area, chart, hint, *x_time, series, theme)
        }
        ChartBody::Bars { categories, series } if plot_ok => {
            draw_bars(frame, plot_area, chart, categories, series, theme)
        }
        _ => {
            if plot_area.height > 0 {
                let text = fit("too small for a chart: enlarge the pane or press v", width);
                frame.render_widget(
                    Paragraph::new(Span::styled(text, theme.ui("status"))),
                    plot_area,
                );
            }
        }
    }
    frame.render_widget(
        Paragraph::new(header_line(chart, theme, width)),
        header_area,
    );
    frame.render_widget(Paragraph::new(legend), legend_area);
    if notes_area.height > 0 {
        let text = fit(&sanitize(&notes.join(" · ")).text, width);
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.ui("status"))),
            notes_area,
        );
    }
}

/// Draws why a result could not be charted (the worker's message), and that `v` shows the
/// table.
pub fn draw_chart_error(frame: &mut Frame, area: Rect, message: &str, theme: &Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let lines = vec![
        Line::from(Span::styled(sanitize(message).text, theme.ui("error"))),
        Line::from(Span::styled("v shows the table", theme.ui("status"))),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// The series' colour (none under `NO_COLOR`).
fn series_style(theme: &Theme, index: usize) -> Style {
    if theme.colour {
        Style::default().fg(PALETTE[index % PALETTE.len()])
    } else {
        Style::default()
    }
}

/// The first line: the title, what is drawn (a pie: as bars), and the axes' titles (kept out
/// of the plot, where ratatui would draw them over the data).
fn header_line(chart: &ChartData, theme: &Theme, width: usize) -> Line<'static> {
    let what = match chart.visualization {
        Visualization::PieChart => "piechart drawn as bars: share of the total".to_string(),
        other => other.name().to_string(),
    };
    let utc = match chart.body {
        ChartBody::Points { x_time: true, .. } => " (UTC)",
        _ => "",
    };
    let axes = format!(
        "{} by {}{utc}",
        sanitize(&chart.y_title).text,
        sanitize(&chart.x_title).text
    );
    let title = sanitize(&chart.title).text;
    let text = if title.is_empty() {
        format!("{what} · {axes}")
    } else {
        format!("{title} · {what} · {axes}")
    };
    Line::from(Span::styled(
        fit(&text, width),
        theme.ui("header").add_modifier(Modifier::BOLD),
    ))
}

/// The legend: `■ name` per series, wrapped onto at most `max_lines` lines; what does not fit
/// is counted (`+3 more`).
fn legend_lines(
    chart: &ChartData,
    theme: &Theme,
    width: usize,
    max_lines: usize,
) -> Vec<Line<'static>> {
    let names = chart.series_names();
    if names.is_empty() || width < 4 {
        return Vec::new();
    }
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0usize;
    for (index, name) in names.iter().enumerate() {
        let label = fit(&sanitize(name).text, MAX_LABEL.min(width.saturating_sub(2)));
        let entry_width = 2 + display_width(&label) + 2;
        if used > 0 && used + entry_width > width {
            if lines.len() == max_lines {
                let more = format!("+{} more", names.len() - index);
                let last = lines.last_mut().expect("one line at least");
                // Make room for the count by dropping entries from the end of the last line.
                while used + more.len() > width && last.len() >= 2 {
                    let label_width = last.pop().map_or(0, |s| display_width(&s.content));
                    let swatch_width = last.pop().map_or(0, |s| display_width(&s.content));
                    used = used.saturating_sub(label_width + swatch_width);
                }
                last.push(Span::styled(fit(&more, width), theme.ui("status")));
                return lines.into_iter().map(Line::from).collect();
            }
            lines.push(Vec::new());
            used = 0;
        }
        let line = lines.last_mut().expect("one line at least");
        line.push(Span::styled("■ ", series_style(theme, index)));
        line.push(Span::raw(format!("{label}  ")));
        used += entry_width;
    }
    lines.into_iter().map(Line::from).collect()
}

/// Lines, areas and points on a `Chart`.
fn draw_points(
    frame: &mut Frame,
    area: Rect,
    chart: &ChartData,
    hint: &RenderHint,
    x_time: bool,
    series: &[PointSeries],
    theme: &Theme,
) {
    let scatter = chart.visualization == Visualization::ScatterChart;
    // Two Braille dots per cell across: more points than that per stretch cannot be seen, but
    // each stretch's extremes can.
    let groups = (area.width as usize).max(1) * 2;
    let drawn: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            let finite: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            if scatter {
                finite
            } else {
                downsample(&finite, groups)
            }
        })
        .collect();
    let all = || drawn.iter().flatten();
    let Some((x_lo, x_hi)) = span_of(all().map(|p| p.0)) else {
        frame.render_widget(
            Paragraph::new(Span::styled("no points to draw", theme.ui("status"))),
            area,
        );
        return;
    };
    let (y_lo, y_hi) = span_of(all().map(|p| p.1)).unwrap_or((0.0, 1.0));
    let (x_lo, x_hi) = widen(x_lo, x_hi, if x_time { 3600.0 } else { 1.0 });
    let y_lo = hint.ymin.filter(|v| v.is_finite()).unwrap_or(y_lo);
    let y_hi = hint.ymax.filter(|v| v.is_finite()).unwrap_or(y_hi);
    let (y_lo, y_hi) = if y_lo <= y_hi {
        (y_lo, y_hi)
    } else {
        (y_hi, y_lo)
    };
    let (y_lo, y_hi) = widen(y_lo, y_hi, 1.0);
    let graph = match chart.visualization {
        Visualization::ScatterChart => GraphType::Scatter,
        Visualization::AreaChart | Visualization::StackedAreaChart => GraphType::Area,
        _ => GraphType::Line,
    };
    let datasets: Vec<Dataset> = drawn
        .iter()
        .enumerate()
        .map(|(index, points)| {
            Dataset::default()
                .data(points)
                .marker(Marker::Braille)
                .graph_type(graph)
                .fill_to_y(y_lo)
                .style(series_style(theme, index))
        })
        .collect();
    let mut x_labels: Vec<String> = [x_lo, (x_lo + x_hi) / 2.0, x_hi]
        .iter()
        .map(|v| {
            if x_time {
                time_label(*v, x_hi - x_lo)
            } else {
                compact(*v)
            }
        })
        .collect();
    if x_time && let Some(last) = x_labels.last_mut() {
        // The axis says its times are UTC where the eye reads them.
        last.push_str(" UTC");
    }
    let y_labels: Vec<String> = [y_lo, (y_lo + y_hi) / 2.0, y_hi]
        .iter()
        .map(|v| compact(*v))
        .collect();
    let axis_style = theme.ui("border");
    let widget = Chart::new(datasets)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .bounds([x_lo, x_hi])
                .labels(x_labels)
                .style(axis_style),
        )
        .y_axis(
            Axis::default()
                .bounds([y_lo, y_hi])
                .labels(y_labels)
                .style(axis_style),
        );
    frame.render_widget(widget, area);
}

/// How bars are laid out in an area: their width and gaps, and how many categories fit.
struct BarGeometry {
    bar_width: u16,
    bar_gap: u16,
    group_gap: u16,
    fits: usize,
}

/// Columns share the width (wider for fewer categories, at most 12 cells); bars take one row
/// each, with a blank row between categories when there are several series.
fn bar_geometry(area: Rect, vertical: bool, per_group: usize) -> BarGeometry {
    let width = area.width as usize;
    if vertical {
        // At least one cell per bar and one between groups.
        let fits = (width + 1) / (per_group + 1);
        BarGeometry {
            bar_width: 1,
            bar_gap: 0,
            group_gap: 1,
            fits,
        }
    } else {
        let gap = usize::from(per_group > 1);
        BarGeometry {
            bar_width: 1,
            bar_gap: 0,
            group_gap: gap as u16,
            fits: (area.height as usize + gap) / (per_group + gap),
        }
    }
}

/// Bars (horizontal: barchart, piechart) or columns (vertical: columnchart), as many
/// categories as fit (`draw_chart` says when that is not all).
fn draw_bars(
    frame: &mut Frame,
    area: Rect,
    chart: &ChartData,
    categories: &[String],
    series: &[BarSeries],
    theme: &Theme,
) {
    let pie = chart.visualization == Visualization::PieChart;
    let vertical = chart.visualization == Visualization::ColumnChart;
    let per_group = series.len().max(1);
    let finite = |v: &Option<f64>| v.filter(|v| v.is_finite());
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().filter_map(finite))
        .fold(0.0f64, f64::max);
    // A pie's share: of the total of its positive values.
    let total: f64 = series
        .iter()
        .flat_map(|s| s.values.iter().filter_map(finite))
        .filter(|v| *v > 0.0)
        .sum();
    // BarChart takes whole numbers: values are scaled so the largest is 1,000,000, and the
    // text shown is the real value. Negative values draw as empty bars with their number.
    // The least a positive value is drawn as: one cell of bar (horizontal bars are drawn in
    // whole cells), so a 1 beside 100,000 still shows; its number is beside it.
    let cells = if vertical {
        area.height.saturating_sub(2)
    } else {
        area.width / 2
    };
    let sliver = 1_000_000 / u64::from(cells.max(1)) + 1;
    let scaled = |v: f64| -> u64 {
        if top > 0.0 && v > 0.0 {
            ((v / top * 1_000_000.0).round() as u64).max(sliver)
        } else {
            0
        }
    };
    let label_for = |v: f64| -> String {
        if pie && total > 0.0 {
            format!("{}% · {}", compact(v / total * 100.0), compact(v))
        } else {
            compact(v)
        }
    };
    let width = area.width as usize;
    let label_width = MAX_LABEL.min(width / 3).max(1);
    let mut geometry = bar_geometry(area, vertical, per_group);
    if vertical {
        // Wider columns when few categories share the width.
        let groups = categories.len().max(1);
        geometry.bar_width = ((width / groups).saturating_sub(1) / per_group).clamp(1, 12) as u16;
    }
    let BarGeometry {
        bar_width,
        bar_gap,
        group_gap,
        fits,
    } = geometry;
    let shown = categories.len().min(fits);
    let mut widget = if vertical {
        BarChart::default().direction(Direction::Vertical)
    } else {
        BarChart::default().direction(Direction::Horizontal)
    };
    for (index, category) in categories.iter().enumerate().take(shown) {
        let label = if vertical {
            fit(
                &sanitize(category).text,
                (bar_width as usize * per_group).max(1),
            )
        } else {
            fit(&sanitize(category).text, label_width)
        };
        let bars: Vec<Bar> = series
            .iter()
            .enumerate()
            .map(|(s, values)| {
                let value = values.values.get(index).and_then(finite);
                let text = value.map_or(String::new(), label_for);
                let bar = Bar::default()
                    .value(value.map_or(0, scaled))
                    .style(series_style(theme, s));
                if vertical {
                    // Columns show their value inside the column, the category underneath.
                    return bar.text_value(text);
                }
                // Horizontal bars: BarChart writes a value over the bar's start, where it hides
                // a short bar; the value goes with the label on the left instead. The category
                // is on the first bar of its group.
                let name = if s == 0 || per_group == 1 {
                    fit(&label, label_width.saturating_sub(display_width(&text) + 1))
                } else {
                    String::new()
                };
                bar.text_value(String::new())
                    .label(Line::from(format!("{name} {text}")))
            })
            .collect();
        let group = if vertical {
            BarGroup::default().label(Line::from(label)).bars(&bars)
        } else {
            BarGroup::default().bars(&bars)
        };
        widget = widget.data(group);
    }
    widget = widget
        .bar_width(bar_width)
        .bar_gap(bar_gap)
        .group_gap(group_gap)
        .max(1_000_000)
        .value_style(Style::default().add_modifier(Modifier::BOLD))
        .label_style(theme.ui("status"));
    frame.render_widget(widget, area);
}

/// The smallest and largest of finite values; `None` when there are none.
fn span_of(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |span, v| match span {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Bounds that enclose something: equal ends (one point, flat values) are moved apart by
/// `pad`, or by a tenth of the value when that is larger.
fn widen(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    if hi > lo {
        return (lo, hi);
    }
    let pad = (lo.abs() / 10.0).max(pad);
    (lo - pad, hi + pad)
}

/// A number in at most about six characters: `12`, `0.25`, `12.5k`, `3.4M`.
pub fn compact(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN"
        } else if value > 0.0 {
            "∞"
        } else {
            "-∞"
        }
        .to_string();
    }
    let magnitude = value.abs();
    let (divisor, suffix) = if magnitude >= 1e12 {
        (1e12, "T")
    } else if magnitude >= 1e9 {
        (1e9, "G")
    } else if magnitude >= 1e6 {
        (1e6, "M")
    } else if magnitude >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let scaled = value / divisor;
    let text = if scaled.abs() >= 100.0 || (suffix.is_empty() && scaled.fract() == 0.0) {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    let text = if text == "-0" { "0".to_string() } else { text };
    format!("{text}{suffix}")
}

/// A time axis label (UTC) for seconds since 1970, as precise as the axis' `span` needs.
fn time_label(seconds: f64, span: f64) -> String {
    let Some(at) = chrono::DateTime::from_timestamp(seconds.floor() as i64, 0) else {
        return compact(seconds);
    };
    let format = if span >= 2.0 * 86_400.0 {
        "%Y-%m-%d"
    } else if span >= 2.0 * 3_600.0 {
        "%m-%d %H:%M"
    } else {
        "%H:%M:%S"
    };
    at.format(format).to_string()
}

#[cfg(test)]
mod tests {
    use ratatui::{Terminal, backend::TestBackend};

    use super::*;
    use crate::results::chart::{BarSeries, PointSeries};

    fn theme() -> Theme {
        Theme::bundled(true)
    }

    fn screen(width: u16, height: u16, chart: &ChartData, hint: &RenderHint) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| draw_chart(frame, frame.area(), chart, hint, &theme()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..height {
            for x in 0..width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    /// Two series over three days from 2024-01-01 (UTC), in seconds.
    fn time_chart() -> ChartData {
        let day = 86_400.0;
        let t0 = 1_704_067_200.0;
        ChartData {
            visualization: Visualization::TimeChart,
            title: "Logons".into(),
            x_title: "Timestamp".into(),
            y_title: "count_".into(),
            body: ChartBody::Points {
                x_time: true,
                series: vec![
                    PointSeries {
                        name: "alpha".into(),
                        points: vec![(t0, 1.0), (t0 + day, 5.0), (t0 + 2.0 * day, 3.0)],
                    },
                    PointSeries {
                        name: "beta".into(),
                        points: vec![(t0, 2.0), (t0 + 2.0 * day, 4.0)],
                    },
                ],
            },
            notes: Vec::new(),
        }
    }

    fn bars(viz: Visualization, categories: &[&str], values: &[f64]) -> ChartData {
        ChartData {
            visualization: viz,
            title: String::new(),
            x_title: "Host".into(),
            y_title: "n".into(),
            body: ChartBody::Bars {
                categories: categories.iter().map(|c| c.to_string()).collect(),
                series: vec![BarSeries {
                    name: "n".into(),
                    values: values.iter().map(|v| Some(*v)).collect(),
                }],
            },
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_timechart_has_its_legend_title_and_utc_axis() {
        let hint = RenderHint::new(Visualization::TimeChart);
        let text = screen(58, 14, &time_chart(), &hint);
        assert!(
            text.contains("Logons · timechart · count_ by Timestamp (UTC)"),
            "{text}"
        );
        assert!(
            text.contains("■ alpha") && text.contains("■ beta"),
            "{text}"
        );
        assert!(
            text.contains("2024-01-01") && text.contains("2024-01-03 UTC"),
            "{text}"
        );
        assert!(
            text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
            "Braille dots: {text}"
        );
        // legend=hidden drops it.
        let mut hidden = hint.clone();
        hidden.legend = false;
        assert!(!screen(58, 14, &time_chart(), &hidden).contains("■ alpha"));
    }

    #[test]
    fn hostile_names_are_shown_escaped() {
        let mut chart = time_chart();
        if let ChartBody::Points { series, .. } = &mut chart.body {
            series[0].name = "a\u{1b}]52;c;Zm9v\u{7}".into();
        }
        chart.title = "t\u{1b}[2J\u{202e}x".into();
        let text = screen(70, 14, &chart, &RenderHint::new(Visualization::TimeChart));
        assert!(text.contains("a␛]52;c;Zm9v␇"), "{text}");
        assert!(text.contains("t␛[2J⟨U+202E⟩x"), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        let hostile = bars(
            Visualization::BarChart,
            &["\u{1b}[31mred", "ok"],
            &[1.0, 2.0],
        );
        let text = screen(60, 10, &hostile, &RenderHint::new(Visualization::BarChart));
        assert!(text.contains("␛[31mred"), "{text}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn bars_columns_and_pies_show_categories_and_values() {
        let data = bars(Visualization::ColumnChart, &["web", "db"], &[2.0, 6.0]);
        let text = screen(40, 12, &data, &RenderHint::new(Visualization::ColumnChart));
        assert!(text.contains("web") && text.contains("db"), "{text}");
        assert!(text.contains('6'), "{text}");
        let pie = bars(Visualization::PieChart, &["web", "db"], &[1.0, 3.0]);
        let text = screen(50, 8, &pie, &RenderHint::new(Visualization::PieChart));
        assert!(text.contains("drawn as bars"), "{text}");
        assert!(
            text.contains("75% · 3") && text.contains("25% · 1"),
            "{text}"
        );
        // More categories than rows: said, not silently dropped.
        let many: Vec<String> = (0..40).map(|i| format!("c{i}")).collect();
        let names: Vec<&str> = many.iter().map(String::as_str).collect();
        let data = bars(Visualization::BarChart, &names, &vec![1.0; 40]);
        let text = screen(60, 12, &data, &RenderHint::new(Visualization::BarChart));
        assert!(text.contains("of 40 categories fit"), "{text}");
    }

    #[test]
    fn short_horizontal_bars_stay_visible_with_their_value_beside_the_name() {
        let data = bars(
            Visualization::BarChart,
            &["system", "hsato", "ebrooks", "praman"],
            &[1000.0, 500.0, 100.0, 40.0],
        );
        let text = screen(70, 12, &data, &RenderHint::new(Visualization::BarChart));
        let row = |name: &str| text.lines().find(|l| l.contains(name)).unwrap().to_string();
        // The value is in the label column; the bar itself is never written over.
        assert!(row("praman").contains("praman 40"), "{text}");
        let small = row("praman");
        let bar = small.split("praman 40").nth(1).unwrap();
        assert!(
            bar.chars().any(|c| ('█'..='▏').contains(&c)),
            "the 40 bar is drawn: {text}"
        );
        assert!(row("system").contains("system 1000"), "{text}");
        // A value 100,000 times smaller is still a sliver.
        let data = bars(Visualization::BarChart, &["big", "tiny"], &[100_000.0, 1.0]);
        let text = screen(70, 8, &data, &RenderHint::new(Visualization::BarChart));
        let tiny = text.lines().find(|l| l.contains("tiny 1")).unwrap();
        let bar = tiny.split("tiny 1").nth(1).unwrap();
        assert!(bar.chars().any(|c| ('█'..='▏').contains(&c)), "{text}");
    }

    #[test]
    fn odd_data_and_tiny_areas_never_panic() {
        let odd = |points: Vec<(f64, f64)>| ChartData {
            body: ChartBody::Points {
                x_time: false,
                series: vec![PointSeries {
                    name: "s".into(),
                    points,
                }],
            },
            ..time_chart()
        };
        let cases = vec![
            odd(Vec::new()),
            odd(vec![(1.0, 1.0)]),
            odd(vec![(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)]),
            odd(vec![
                (f64::NAN, 1.0),
                (1.0, f64::INFINITY),
                (2.0, f64::NEG_INFINITY),
            ]),
            odd(vec![(f64::MAX, f64::MAX), (-f64::MAX, -f64::MAX)]),
            ChartData {
                body: ChartBody::Points {
                    x_time: false,
                    series: Vec::new(),
                },
                ..time_chart()
            },
            bars(Visualization::ColumnChart, &[], &[]),
            bars(Visualization::BarChart, &["a"], &[f64::NAN]),
            bars(Visualization::PieChart, &["a", "b"], &[-1.0, 0.0]),
            bars(
                Visualization::ColumnChart,
                &["a", "b"],
                &[f64::INFINITY, 1e300],
            ),
            time_chart(),
        ];
        let hint = RenderHint {
            ymin: Some(10.0),
            ymax: Some(-10.0),
            ..RenderHint::new(Visualization::LineChart)
        };
        for chart in &cases {
            for (w, h) in [(0, 0), (1, 1), (3, 2), (10, 3), (12, 5), (20, 8), (80, 24)] {
                screen(w, h, chart, &hint);
                screen(w, h, chart, &RenderHint::new(chart.visualization));
            }
        }
        let text = screen(30, 8, &cases[0], &hint);
        assert!(text.contains("no points to draw"), "{text}");
        let text = screen(30, 3, &time_chart(), &hint);
        assert!(text.contains("too small"), "{text}");
    }

    #[test]
    fn errors_are_shown_with_the_way_back() {
        let mut terminal = Terminal::new(TestBackend::new(40, 5)).unwrap();
        terminal
            .draw(|frame| {
                draw_chart_error(frame, frame.area(), "no \u{1b}datetime column", &theme())
            })
            .unwrap();
        let text: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(text.contains("no ␛datetime column"), "{text}");
        assert!(text.contains("v shows the table"), "{text}");
    }

    #[test]
    fn numbers_and_times_are_short() {
        assert_eq!(compact(12.0), "12");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(compact(12_500.0), "12.5k");
        assert_eq!(compact(-3_400_000.0), "-3.4M");
        assert_eq!(compact(f64::NAN), "NaN");
        assert_eq!(time_label(1_704_067_200.0, 86_400.0 * 3.0), "2024-01-01");
        assert_eq!(
            time_label(1_704_067_200.0 + 3_600.0, 3_600.0 * 5.0),
            "01-01 01:00"
        );
        assert_eq!(time_label(f64::MAX, 1.0), compact(f64::MAX));
    }
}
