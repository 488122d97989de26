//! The numbers a chart draws, taken from a result by the rules of `render` (render-operator.md,
//! "How to render continuous data", and the per-visualization pages): which column is the x
//! axis, which columns are measured on the y axis, and which columns name the series. Nothing
//! here draws: the console turns `ChartData` into widgets (`tui::chart`), on the worker's
//! answer, so no frame waits on this.
//!
//! Defaults, as documented:
//! - timechart (and anomalychart): x is the first `datetime` column;
//! - linechart, areachart, stackedareachart, scatterchart: x is the first column when it is
//!   numeric or a datetime, else the first datetime column, else the first numeric column
//!   (when another numeric column is left for y);
//! - barchart, columnchart: x is the first column, of any type, read as categories;
//! - piechart: the first column is the colour axis (categories), the first other numeric
//!   column is the value;
//! - y is every numeric column (int, long, real, decimal) that is not x or a series column;
//! - the series are the combined values of the remaining text-like columns (string, guid, bool,
//!   dynamic): each distinct combination is one series.
//!
//! `xcolumn`, `ycolumns` and `series` replace these choices. Bounds, chosen so that a result of
//! any size stays drawable and honest:
//! - at most `MAX_SERIES` series: the `MAX_SERIES - 1` largest (by the sum of their absolute
//!   values) are kept and the rest are added up into one series named `other (N series)`;
//! - at most `MAX_POINTS` points per series: beyond that, consecutive points are grouped and
//!   each group keeps its lowest and highest point (spikes stay visible);
//! - at most `MAX_CATEGORIES` categories, the first ones in the result's order.
//!
//! Every cut is said in `ChartData::notes`.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, Float64Array, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};

use super::format::cell_display;
use super::render::{AxisScale, ChartKind, RenderHint, Visualization, YSplit};
use super::{KqlType, ResultSet};
use crate::kql::time::{TICKS_PER_SECOND, UNIX_EPOCH_TICKS};

/// The most series a chart draws; the smallest beyond `MAX_SERIES - 1` are summed as "other".
pub const MAX_SERIES: usize = 20;
/// The most points kept per series (downsampled by keeping each group's extremes).
pub const MAX_POINTS: usize = 4000;
/// The most categories a bar, column or pie chart keeps.
pub const MAX_CATEGORIES: usize = 500;

/// A chart's data, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub visualization: Visualization,
    /// The hint's `title`, or empty. Raw text from the query: sanitize before drawing.
    pub title: String,
    /// The hint's `xtitle`, or the x column's name.
    pub x_title: String,
    /// The hint's `ytitle`, or the y columns' names joined with `, `.
    pub y_title: String,
    pub body: ChartBody,
    /// What the chart leaves out or draws differently from what was asked (cut series,
    /// downsampled points, a property not drawn), one sentence each.
    pub notes: Vec<String>,
}

/// The two shapes of chart.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartBody {
    /// Timechart, linechart, areachart, stackedareachart, scatterchart, anomalychart: points
    /// `(x, y)` per series. Lines are sorted by x; scatter points keep the result's order.
    Points {
        /// x values are seconds since 1970-01-01T00:00:00Z (UTC), from a datetime column.
        x_time: bool,
        series: Vec<PointSeries>,
    },
    /// Barchart, columnchart, piechart: one value per category and series.
    Bars {
        /// Category labels (the x column's values as text), in the result's order. Raw text.
        categories: Vec<String>,
        /// Each series has one value per category; `None` where the result has none.
        series: Vec<BarSeries>,
    },
}

/// One line (or set of points) of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSeries {
    /// Raw text from the result: sanitize before drawing.
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// One series of a bar, column or pie chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    /// Raw text from the result: sanitize before drawing.
    pub name: String,
    /// One per category.
    pub values: Vec<Option<f64>>,
}

impl ChartData {
    /// Reads the chart `hint` asks for out of `result`. An `Err` says in a sentence why the
    /// result cannot be drawn that way, naming what is missing (a column the hint names, a
    /// datetime column for a timechart, a numeric column for the y axis, any rows at all) or
    /// that the visualization is not drawn in a terminal (card, pivotchart, kind=map …).
    pub fn from_result(result: &ResultSet, hint: &RenderHint) -> Result<ChartData, String> {
        let viz = hint.visualization;
        let name = viz.name();
        match viz {
            Visualization::Card
            | Visualization::LadderChart
            | Visualization::PivotChart
            | Visualization::TimePivot
            | Visualization::TreeMap
            | Visualization::Table => {
                return Err(format!(
                    "render {name} is not drawn in the terminal: the table shows the result"
                ));
            }
            _ => {}
        }
        if hint.kind == ChartKind::Map {
            return Err(format!(
                "render {name} with kind=map needs a map, which the terminal cannot draw: the table shows the result"
            ));
        }
        let columns = Columns::of(result);
        let find = |name: &str, property: &str| {
            columns.index(name).ok_or_else(|| {
                format!(
                    "render {property}= names the column '{name}', which the result does not have"
                )
            })
        };
        let bars = matches!(
            viz,
            Visualization::BarChart | Visualization::ColumnChart | Visualization::PieChart
        );
        // The x axis.
        let x = match &hint.xcolumn {
            Some(column) => {
                let index = find(column, "xcolumn")?;
                if !bars && !columns.is_numeric(index) && columns.types[index] != KqlType::DateTime
                {
                    return Err(format!(
                        "render {name} needs a numeric or datetime x axis; xcolumn '{column}' is {}",
                        columns.types[index].kql_name()
                    ));
                }
                index
            }
            None => default_x(viz, &columns)?,
        };
        let x_time = !bars && columns.types[x] == KqlType::DateTime;
        // The series columns.
        let series_columns: Vec<usize> = if hint.series.is_empty() {
            if viz == Visualization::PieChart {
                Vec::new()
            } else {
                (0..columns.len())
                    .filter(|c| {
                        *c != x
                            && !hint.ycolumns.contains(&columns.names[*c])
                            && matches!(
                                columns.types[*c],
                                KqlType::String | KqlType::Guid | KqlType::Bool | KqlType::Dynamic
                            )
                    })
                    .collect()
            }
        } else {
            hint.series
                .iter()
                .map(|c| find(c, "series"))
                .collect::<Result<_, _>>()?
        };
        // The y columns.
        let mut y_columns: Vec<usize> = if hint.ycolumns.is_empty() {
            (0..columns.len())
                .filter(|c| *c != x && !series_columns.contains(c) && columns.is_numeric(*c))
                .collect()
        } else {
            let mut chosen = Vec::new();
            for column in &hint.ycolumns {
                let index = find(column, "ycolumns")?;
                if !columns.is_numeric(index) {
                    return Err(format!(
                        "render ycolumns= names '{column}', which is {}, not a number",
                        columns.types[index].kql_name()
                    ));
                }
                chosen.push(index);
            }
            chosen
        };
        if y_columns.is_empty() {
            return Err(format!(
                "render {name} needs a numeric column (int, long, real) for the y axis besides '{}'; the result has {}",
                columns.names[x],
                columns.describe()
            ));
        }
        let mut notes = Vec::new();
        if viz == Visualization::PieChart && y_columns.len() > 1 {
            notes.push(format!(
                "a pie shows one value: '{}' (of {} numeric columns)",
                columns.names[y_columns[0]],
                y_columns.len()
            ));
            y_columns.truncate(1);
        }
        notes.extend(unhonoured(hint));
        if result.row_count() == 0 {
            return Err(format!("render {name}: the result has no rows to draw"));
        }
        let ys: Vec<Vec<Option<f64>>> = y_columns
            .iter()
            .map(|c| numbers(result, *c))
            .collect::<Result<_, _>>()?;
        let series_name = |row: usize, y: usize| -> String {
            let key: Vec<String> = series_columns
                .iter()
                .map(|c| cell_display(result.column(*c).as_ref(), row, columns.types[*c]))
                .collect();
            let key = key.join(", ");
            match (key.is_empty(), y_columns.len() > 1) {
                (true, _) => columns.names[y_columns[y]].clone(),
                (false, false) => key,
                (false, true) => format!("{key} · {}", columns.names[y_columns[y]]),
            }
        };
        let x_title = hint
            .xtitle
            .clone()
            .unwrap_or_else(|| columns.names[x].clone());
        let y_title = hint.ytitle.clone().unwrap_or_else(|| {
            y_columns
                .iter()
                .map(|c| columns.names[*c].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let mut skipped = 0usize;
        let body = if bars {
            let mut categories: Vec<String> = Vec::new();
            let mut category_index: HashMap<String, usize> = HashMap::new();
            let mut order: Vec<String> = Vec::new();
            let mut values: HashMap<String, Vec<Option<f64>>> = HashMap::new();
            let mut cut_categories = 0usize;
            for row in 0..result.row_count() {
                let label = cell_display(result.column(x).as_ref(), row, columns.types[x]);
                let label = if label.is_empty() {
                    "(empty)".to_string()
                } else {
                    label
                };
                let category = match category_index.get(&label) {
                    Some(index) => *index,
                    None if categories.len() >= MAX_CATEGORIES => {
                        cut_categories += 1;
                        continue;
                    }
                    None => {
                        category_index.insert(label.clone(), categories.len());
                        categories.push(label);
                        categories.len() - 1
                    }
                };
                for (y, column) in ys.iter().enumerate() {
                    let Some(value) = column[row].filter(|v| v.is_finite()) else {
                        skipped += 1;
                        continue;
                    };
                    let name = series_name(row, y);
                    let slot = values.entry(name.clone()).or_insert_with(|| {
                        order.push(name);
                        Vec::new()
                    });
                    if slot.len() <= category {
                        slot.resize(category + 1, None);
                    }
                    // Two rows for one category and series add up.
                    slot[category] = Some(slot[category].unwrap_or(0.0) + value);
                }
            }
            if cut_categories > 0 {
                notes.push(format!(
                    "the first {MAX_CATEGORIES} categories are drawn; {cut_categories} more rows are left out"
                ));
            }
            let mut series: Vec<BarSeries> = order
                .into_iter()
                .map(|name| {
                    let mut values = values.remove(&name).unwrap_or_default();
                    values.resize(categories.len(), None);
                    BarSeries { name, values }
                })
                .collect();
            if hint.accumulate {
                for s in &mut series {
                    let mut total = 0.0;
                    for value in s.values.iter_mut().flatten() {
                        total += *value;
                        *value = total;
                    }
                }
            }
            let series = limit_bar_series(series, categories.len(), &mut notes);
            ChartBody::Bars { categories, series }
        } else {
            let xs = x_values(result, x, columns.types[x])?;
            let mut order: Vec<String> = Vec::new();
            let mut points: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
            for (row, x_value) in xs.iter().enumerate() {
                for (y, column) in ys.iter().enumerate() {
                    let (Some(xv), Some(yv)) = (x_value, column[row]) else {
                        skipped += 1;
                        continue;
                    };
                    if !xv.is_finite() || !yv.is_finite() {
                        skipped += 1;
                        continue;
                    }
                    let name = series_name(row, y);
                    points
                        .entry(name.clone())
                        .or_insert_with(|| {
                            order.push(name);
                            Vec::new()
                        })
                        .push((*xv, yv));
                }
            }
            let mut series: Vec<PointSeries> = order
                .into_iter()
                .map(|name| PointSeries {
                    points: points.remove(&name).unwrap_or_default(),
                    name,
                })
                .collect();
            let lines = viz != Visualization::ScatterChart;
            if lines || hint.accumulate {
                for s in &mut series {
                    s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
                }
            }
            if hint.accumulate {
                for s in &mut series {
                    let mut total = 0.0;
                    for point in &mut s.points {
                        total += point.1;
                        point.1 = total;
                    }
                }
            }
            let mut series = limit_point_series(series, &mut notes);
            let mut thinned = false;
            for s in &mut series {
                if s.points.len() > MAX_POINTS {
                    if !lines {
                        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    }
                    s.points = downsample(&s.points, MAX_POINTS / 2);
                    thinned = true;
                }
            }
            if thinned {
                notes.push(format!(
                    "series with more than {MAX_POINTS} points are thinned, keeping each stretch's lowest and highest point"
                ));
            }
            ChartBody::Points { x_time, series }
        };
        if skipped > 0 {
            notes.push(format!(
                "{skipped} value{} without a number (null, NaN or infinite) left out",
                if skipped == 1 { "" } else { "s" }
            ));
        }
        let empty = match &body {
            ChartBody::Points { series, .. } => series.iter().all(|s| s.points.is_empty()),
            ChartBody::Bars { series, .. } => series.is_empty(),
        };
        if empty {
            return Err(format!(
                "render {name}: no row has a number in {}",
                y_columns
                    .iter()
                    .map(|c| format!("'{}'", columns.names[*c]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(ChartData {
            visualization: viz,
            title: hint.title.clone().unwrap_or_default(),
            x_title,
            y_title,
            body,
            notes,
        })
    }

    /// How many series the chart has.
    pub fn series_count(&self) -> usize {
        match &self.body {
            ChartBody::Points { series, .. } => series.len(),
            ChartBody::Bars { series, .. } => series.len(),
        }
    }

    /// The series' names, in drawing order (raw text).
    pub fn series_names(&self) -> Vec<&str> {
        match &self.body {
            ChartBody::Points { series, .. } => series.iter().map(|s| s.name.as_str()).collect(),
            ChartBody::Bars { series, .. } => series.iter().map(|s| s.name.as_str()).collect(),
        }
    }
}

/// Properties the terminal does not draw as asked, said once each.
fn unhonoured(hint: &RenderHint) -> Vec<String> {
    let mut notes = Vec::new();
    let stacked = matches!(hint.kind, ChartKind::Stacked | ChartKind::Stacked100)
        || hint.visualization == Visualization::StackedAreaChart;
    if stacked {
        notes.push("stacking is not drawn: series are drawn side by side".to_string());
    }
    if hint.xaxis == AxisScale::Log || hint.yaxis == AxisScale::Log {
        notes.push("log axes are drawn linear".to_string());
    }
    if hint.ysplit != YSplit::None {
        notes.push("ysplit is not drawn: one y axis for all series".to_string());
    }
    if hint.visualization == Visualization::AnomalyChart {
        notes.push("anomalies are not marked: drawn as a timechart".to_string());
    }
    notes
}

/// The default x column of a visualization (see the module's notes).
fn default_x(viz: Visualization, columns: &Columns) -> Result<usize, String> {
    let name = viz.name();
    let first_datetime = (0..columns.len()).find(|c| columns.types[*c] == KqlType::DateTime);
    match viz {
        Visualization::TimeChart | Visualization::AnomalyChart => first_datetime.ok_or_else(|| {
            format!(
                "render {name} needs a datetime column for the x axis; the result has {}",
                columns.describe()
            )
        }),
        Visualization::BarChart | Visualization::ColumnChart | Visualization::PieChart => {
            if columns.len() == 0 {
                Err(format!("render {name}: the result has no columns"))
            } else {
                Ok(0)
            }
        }
        _ => {
            if columns.len() > 0 && (columns.is_numeric(0) || columns.types[0] == KqlType::DateTime)
            {
                return Ok(0);
            }
            if let Some(column) = first_datetime {
                return Ok(column);
            }
            let numeric: Vec<usize> = (0..columns.len())
                .filter(|c| columns.is_numeric(*c))
                .collect();
            if numeric.len() >= 2 {
                return Ok(numeric[0]);
            }
            Err(format!(
                "render {name} needs a numeric or datetime column for the x axis and a numeric one for the y axis; the result has {} (a columnchart or barchart takes text categories)",
                columns.describe()
            ))
        }
    }
}

/// Keeps the `MAX_SERIES - 1` largest series and sums the rest, by x, into "other".
fn limit_point_series(series: Vec<PointSeries>, notes: &mut Vec<String>) -> Vec<PointSeries> {
    if series.len() <= MAX_SERIES {
        return series;
    }
    let weight = |s: &PointSeries| s.points.iter().map(|p| p.1.abs()).sum::<f64>();
    let (mut kept, rest) = split_largest(series, weight);
    let count = rest.len();
    let mut merged: Vec<(f64, f64)> = rest.into_iter().flat_map(|s| s.points).collect();
    merged.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut other: Vec<(f64, f64)> = Vec::with_capacity(merged.len());
    for (x, y) in merged {
        match other.last_mut() {
            Some(last) if last.0 == x => last.1 += y,
            _ => other.push((x, y)),
        }
    }
    notes.push(other_note(count));
    kept.push(PointSeries {
        name: format!("other ({count} series)"),
        points: other,
    });
    kept
}

/// Keeps the `MAX_SERIES - 1` largest series and sums the rest, per category, into "other".
fn limit_bar_series(
    series: Vec<BarSeries>,
    categories: usize,
    notes: &mut Vec<String>,
) -> Vec<BarSeries> {
    if series.len() <= MAX_SERIES {
        return series;
    }
    let weight = |s: &BarSeries| s.values.iter().flatten().map(|v| v.abs()).sum::<f64>();
    let (mut kept, rest) = split_largest(series, weight);
    let count = rest.len();
    let mut values: Vec<Option<f64>> = vec![None; categories];
    for s in rest {
        for (slot, value) in values.iter_mut().zip(s.values) {
            if let Some(value) = value {
                *slot = Some(slot.unwrap_or(0.0) + value);
            }
        }
    }
    notes.push(other_note(count));
    kept.push(BarSeries {
        name: format!("other ({count} series)"),
        values,
    });
    kept
}

fn other_note(count: usize) -> String {
    format!(
        "{} series are drawn; the {count} smallest are added up as 'other'",
        MAX_SERIES - 1
    )
}

/// The `MAX_SERIES - 1` heaviest series in their first-seen order, and the rest.
fn split_largest<T>(series: Vec<T>, weight: impl Fn(&T) -> f64) -> (Vec<T>, Vec<T>) {
    let mut ranked: Vec<(usize, f64)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (i, weight(s)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let keep: std::collections::HashSet<usize> = ranked
        .iter()
        .take(MAX_SERIES - 1)
        .map(|(i, _)| *i)
        .collect();
    let (mut kept, mut rest) = (Vec::new(), Vec::new());
    for (index, s) in series.into_iter().enumerate() {
        if keep.contains(&index) {
            kept.push(s);
        } else {
            rest.push(s);
        }
    }
    (kept, rest)
}

/// Thins points (sorted by x) to at most `2 × groups`: consecutive points are split into
/// `groups` stretches and each keeps its lowest and highest point, in x order, so peaks and
/// dips survive. Fewer points than that come back as they are.
pub fn downsample(points: &[(f64, f64)], groups: usize) -> Vec<(f64, f64)> {
    let groups = groups.max(1);
    if points.len() <= groups * 2 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(groups * 2);
    for g in 0..groups {
        let start = g * points.len() / groups;
        let end = ((g + 1) * points.len() / groups).min(points.len());
        let stretch = &points[start..end];
        let Some(low) = stretch
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .map(|(i, _)| i)
        else {
            continue;
        };
        let high = stretch
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .map_or(low, |(i, _)| i);
        let (first, second) = (low.min(high), low.max(high));
        out.push(stretch[first]);
        if second != first {
            out.push(stretch[second]);
        }
    }
    out
}

/// The result's column names and KQL types.
struct Columns {
    names: Vec<String>,
    types: Vec<KqlType>,
}

impl Columns {
    fn of(result: &ResultSet) -> Columns {
        Columns {
            names: result.column_names(),
            types: result.column_types().to_vec(),
        }
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn is_numeric(&self, column: usize) -> bool {
        matches!(
            self.types[column],
            KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
        )
    }

    /// `A: string, B: long`, for messages (cut after a few columns).
    fn describe(&self) -> String {
        if self.names.is_empty() {
            return "no columns".to_string();
        }
        let mut parts: Vec<String> = self
            .names
            .iter()
            .zip(&self.types)
            .take(6)
            .map(|(n, t)| format!("{n}: {}", t.kql_name()))
            .collect();
        if self.names.len() > 6 {
            parts.push(format!("… {} more", self.names.len() - 6));
        }
        parts.join(", ")
    }
}

/// A numeric column's values as f64 (`None` for nulls).
fn numbers(result: &ResultSet, column: usize) -> Result<Vec<Option<f64>>, String> {
    let array = cast(result.column(column).as_ref(), &DataType::Float64).map_err(|e| {
        format!(
            "the column '{}' could not be read as numbers: {e}",
            result.column_name(column)
        )
    })?;
    let array = array
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| format!("the column '{}' is not numeric", result.column_name(column)))?;
    Ok(array.iter().collect())
}

/// The x column's values: numbers as they are, datetimes as seconds since 1970 (UTC).
fn x_values(result: &ResultSet, column: usize, ty: KqlType) -> Result<Vec<Option<f64>>, String> {
    if ty != KqlType::DateTime {
        return numbers(result, column);
    }
    let array = result.column(column);
    // Datetimes are i64 ticks (100 ns since 0001-01-01) in hunt's results; user files may
    // bring Arrow timestamps instead.
    let (values, per_second, epoch) = match array.data_type() {
        DataType::Int64 => (array.clone(), TICKS_PER_SECOND as f64, UNIX_EPOCH_TICKS),
        DataType::Timestamp(unit, _) => {
            let per_second = match unit {
                TimeUnit::Second => 1.0,
                TimeUnit::Millisecond => 1e3,
                TimeUnit::Microsecond => 1e6,
                TimeUnit::Nanosecond => 1e9,
            };
            let cast = cast(array.as_ref(), &DataType::Int64).map_err(|e| e.to_string())?;
            (cast, per_second, 0)
        }
        other => {
            return Err(format!(
                "the datetime column '{}' is held as {other}, which the chart cannot read",
                result.column_name(column)
            ));
        }
    };
    let values = values
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| {
            format!(
                "the column '{}' is not a datetime",
                result.column_name(column)
            )
        })?;
    Ok(values
        .iter()
        .map(|v| v.map(|v| (v as f64 - epoch as f64) / per_second))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;

    use super::*;
    use crate::results::{RunFacts, kql_field};

    /// 2024-01-01T00:00:00Z in ticks.
    const JAN1: i64 = UNIX_EPOCH_TICKS + 1_704_067_200 * TICKS_PER_SECOND;
    const DAY: i64 = 86_400 * TICKS_PER_SECOND;

    fn result(columns: Vec<(&str, KqlType, ArrayRef)>) -> ResultSet {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(n, t, _)| kql_field(n, *t))
                .collect::<Vec<_>>(),
        ));
        let arrays = columns.into_iter().map(|(_, _, a)| a).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap()
    }

    fn longs(values: &[Option<i64>]) -> ArrayRef {
        Arc::new(Int64Array::from(values.to_vec()))
    }

    fn strings(values: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn hint(viz: Visualization) -> RenderHint {
        RenderHint::new(viz)
    }

    /// Timestamps on three days, two hosts, a count and a real.
    fn by_day_and_host() -> ResultSet {
        result(vec![
            ("Host", KqlType::String, strings(&["a", "b", "a", "b", "a"])),
            (
                "Timestamp",
                KqlType::DateTime,
                longs(&[
                    Some(JAN1 + 2 * DAY),
                    Some(JAN1),
                    Some(JAN1),
                    Some(JAN1 + DAY),
                    Some(JAN1 + DAY),
                ]),
            ),
            (
                "Count",
                KqlType::Long,
                longs(&[Some(3), Some(5), Some(1), Some(7), Some(2)]),
            ),
        ])
    }

    fn points(chart: &ChartData) -> Vec<(String, Vec<(f64, f64)>)> {
        match &chart.body {
            ChartBody::Points { series, .. } => series
                .iter()
                .map(|s| (s.name.clone(), s.points.clone()))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timechart_takes_the_first_datetime_numbers_and_text_series() {
        let chart =
            ChartData::from_result(&by_day_and_host(), &hint(Visualization::TimeChart)).unwrap();
        assert!(matches!(chart.body, ChartBody::Points { x_time: true, .. }));
        assert_eq!(chart.x_title, "Timestamp");
        assert_eq!(chart.y_title, "Count");
        let t0 = 1_704_067_200.0;
        assert_eq!(
            points(&chart),
            vec![
                (
                    "a".to_string(),
                    vec![(t0, 1.0), (t0 + 86_400.0, 2.0), (t0 + 172_800.0, 3.0)]
                ),
                ("b".to_string(), vec![(t0, 5.0), (t0 + 86_400.0, 7.0)]),
            ],
            "sorted by time, one series per host"
        );
        assert!(chart.notes.is_empty(), "{:?}", chart.notes);
    }

    #[test]
    fn overrides_pick_columns_and_accumulate_adds_up() {
        let mut h = hint(Visualization::LineChart);
        h.xcolumn = Some("Timestamp".into());
        h.ycolumns = vec!["Count".into()];
        h.series = Vec::new();
        h.accumulate = true;
        h.title = Some("Running".into());
        h.ytitle = Some("events".into());
        let data = result(vec![
            (
                "Timestamp",
                KqlType::DateTime,
                longs(&[Some(JAN1 + DAY), Some(JAN1)]),
            ),
            ("Count", KqlType::Long, longs(&[Some(4), Some(1)])),
            ("Other", KqlType::Long, longs(&[Some(100), Some(100)])),
        ]);
        let chart = ChartData::from_result(&data, &h).unwrap();
        let t0 = 1_704_067_200.0;
        assert_eq!(
            points(&chart),
            vec![("Count".to_string(), vec![(t0, 1.0), (t0 + 86_400.0, 5.0)])]
        );
        assert_eq!(
            (chart.title.as_str(), chart.y_title.as_str()),
            ("Running", "events")
        );
        // Two y columns, no text columns: one series per y column.
        let chart = ChartData::from_result(&data, &hint(Visualization::TimeChart)).unwrap();
        assert_eq!(chart.series_names(), ["Count", "Other"]);
        // A series column named explicitly, with several y columns: "key · column".
        let mut h = hint(Visualization::TimeChart);
        h.series = vec!["Host".into()];
        h.ycolumns = vec!["Count".into()];
        let chart = ChartData::from_result(&by_day_and_host(), &h).unwrap();
        assert_eq!(chart.series_names(), ["a", "b"]);
    }

    #[test]
    fn column_and_bar_charts_take_categories_from_the_first_column() {
        let data = result(vec![
            ("Host", KqlType::String, strings(&["web", "db", "web", ""])),
            ("Kind", KqlType::String, strings(&["x", "x", "y", "x"])),
            (
                "Count",
                KqlType::Long,
                longs(&[Some(2), Some(3), Some(4), Some(1)]),
            ),
        ]);
        let chart = ChartData::from_result(&data, &hint(Visualization::ColumnChart)).unwrap();
        let ChartBody::Bars { categories, series } = &chart.body else {
            panic!()
        };
        assert_eq!(categories, &["web", "db", "(empty)"]);
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].name, "x");
        assert_eq!(series[0].values, vec![Some(2.0), Some(3.0), Some(1.0)]);
        assert_eq!(series[1].values, vec![Some(4.0), None, None]);
        // A pie: first column, first numeric; other text columns are not series.
        let chart = ChartData::from_result(&data, &hint(Visualization::PieChart)).unwrap();
        let ChartBody::Bars { categories, series } = &chart.body else {
            panic!()
        };
        assert_eq!(categories, &["web", "db", "(empty)"]);
        assert_eq!(
            series[0].values,
            vec![Some(6.0), Some(3.0), Some(1.0)],
            "rows add up"
        );
    }

    #[test]
    fn errors_name_what_is_missing() {
        let text_only = result(vec![("Host", KqlType::String, strings(&["a"]))]);
        let error =
            ChartData::from_result(&text_only, &hint(Visualization::TimeChart)).unwrap_err();
        assert!(
            error.contains("needs a datetime column") && error.contains("Host: string"),
            "{error}"
        );
        let error =
            ChartData::from_result(&text_only, &hint(Visualization::ColumnChart)).unwrap_err();
        assert!(error.contains("needs a numeric column"), "{error}");
        let mut h = hint(Visualization::TimeChart);
        h.ycolumns = vec!["Nope".into()];
        let error = ChartData::from_result(&by_day_and_host(), &h).unwrap_err();
        assert!(
            error.contains("'Nope'") && error.contains("ycolumns"),
            "{error}"
        );
        let mut h = hint(Visualization::TimeChart);
        h.ycolumns = vec!["Host".into()];
        let error = ChartData::from_result(&by_day_and_host(), &h).unwrap_err();
        assert!(error.contains("string, not a number"), "{error}");
        let error =
            ChartData::from_result(&by_day_and_host(), &hint(Visualization::Card)).unwrap_err();
        assert!(error.contains("card is not drawn"), "{error}");
        let empty = result(vec![
            ("Timestamp", KqlType::DateTime, longs(&[])),
            ("n", KqlType::Long, longs(&[])),
        ]);
        let error = ChartData::from_result(&empty, &hint(Visualization::TimeChart)).unwrap_err();
        assert!(error.contains("no rows"), "{error}");
        let nulls = result(vec![
            ("Timestamp", KqlType::DateTime, longs(&[Some(JAN1)])),
            ("n", KqlType::Long, longs(&[None])),
        ]);
        let error = ChartData::from_result(&nulls, &hint(Visualization::TimeChart)).unwrap_err();
        assert!(error.contains("no row has a number in 'n'"), "{error}");
    }

    #[test]
    fn non_finite_values_are_left_out_and_said() {
        let data = result(vec![
            (
                "x",
                KqlType::Real,
                Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])),
            ),
            (
                "y",
                KqlType::Real,
                Arc::new(Float64Array::from(vec![1.0, f64::NAN, f64::INFINITY, 2.0])),
            ),
        ]);
        let chart = ChartData::from_result(&data, &hint(Visualization::ScatterChart)).unwrap();
        assert_eq!(points(&chart)[0].1, vec![(1.0, 1.0), (4.0, 2.0)]);
        assert!(
            chart.notes.iter().any(|n| n.starts_with("2 values")),
            "{:?}",
            chart.notes
        );
    }

    #[test]
    fn many_series_keep_the_largest_and_sum_the_rest() {
        let n = 30;
        let hosts: Vec<String> = (0..n).map(|i| format!("h{i:02}")).collect();
        let data = result(vec![
            ("Timestamp", KqlType::DateTime, longs(&vec![Some(JAN1); n])),
            (
                "Host",
                KqlType::String,
                strings(&hosts.iter().map(String::as_str).collect::<Vec<_>>()),
            ),
            (
                "n",
                KqlType::Long,
                longs(&(0..n as i64).map(Some).collect::<Vec<_>>()),
            ),
        ]);
        let chart = ChartData::from_result(&data, &hint(Visualization::TimeChart)).unwrap();
        let series = points(&chart);
        assert_eq!(series.len(), MAX_SERIES);
        assert_eq!(series[0].0, "h11", "the largest, in the result's order");
        let other = series.last().unwrap();
        assert_eq!(other.0, "other (11 series)");
        assert_eq!(
            other.1,
            vec![(1_704_067_200.0, (0..11).sum::<i64>() as f64)]
        );
        assert!(chart.notes.iter().any(|n| n.contains("'other'")));
    }

    #[test]
    fn long_series_are_thinned_keeping_extremes() {
        let n = 10_000i64;
        let mut ys: Vec<Option<i64>> = (0..n).map(|i| Some(i % 7)).collect();
        ys[5_000] = Some(1_000);
        let data = result(vec![
            (
                "x",
                KqlType::Long,
                longs(&(0..n).map(Some).collect::<Vec<_>>()),
            ),
            ("y", KqlType::Long, longs(&ys)),
        ]);
        let chart = ChartData::from_result(&data, &hint(Visualization::LineChart)).unwrap();
        let line = &points(&chart)[0].1;
        assert!(line.len() <= MAX_POINTS, "{}", line.len());
        assert!(line.contains(&(5_000.0, 1_000.0)), "the spike survives");
        assert!(
            line.windows(2).all(|w| w[0].0 <= w[1].0),
            "still in x order"
        );
        assert!(chart.notes.iter().any(|n| n.contains("thinned")));
        assert_eq!(downsample(&[(0.0, 1.0)], 4), vec![(0.0, 1.0)]);
        assert_eq!(downsample(&[], 0), vec![]);
    }

    #[test]
    fn unhonoured_properties_are_noted() {
        let mut h = hint(Visualization::ColumnChart);
        h.kind = ChartKind::Stacked;
        h.yaxis = AxisScale::Log;
        let chart = ChartData::from_result(&by_day_and_host(), &h).unwrap();
        assert!(
            chart.notes.iter().any(|n| n.contains("stacking")),
            "{:?}",
            chart.notes
        );
        assert!(chart.notes.iter().any(|n| n.contains("log axes")));
        h.kind = ChartKind::Map;
        assert!(
            ChartData::from_result(&by_day_and_host(), &h)
                .unwrap_err()
                .contains("kind=map")
        );
    }
}
