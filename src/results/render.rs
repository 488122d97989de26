//! The render hint a result carries: how the query asked for it to be drawn (`| render …`).
//! Facts from Microsoft's KQL documentation, `render-operator.md` and the per-visualization
//! pages (`visualization-timechart.md`, …).

use crate::kql::ast::{OperatorKind, Query, Render, RenderValue};

/// The visualizations of `render` (render-operator.md, "Visualization").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visualization {
    /// Like a timechart, anomalies highlighted (drawn here as a timechart).
    AnomalyChart,
    /// Area graph; x is the first suitable column (numeric or datetime).
    AreaChart,
    /// Horizontal strips; the first column is the category axis.
    BarChart,
    /// The first record as a set of scalar values (not drawn here).
    Card,
    /// Vertical strips; the first column is the category axis.
    ColumnChart,
    /// The last two columns are the x-axis (not drawn here).
    LadderChart,
    /// Line graph; x is the first suitable column (numeric or datetime).
    LineChart,
    /// The first column is the colour axis, the second is numeric.
    PieChart,
    /// Interactive pivot table (not drawn here).
    PivotChart,
    /// Points graph; x is the first suitable column.
    ScatterChart,
    /// Stacked area graph.
    StackedAreaChart,
    /// The default: results are shown as a table.
    Table,
    /// Line graph whose x is the first datetime column.
    TimeChart,
    /// Interactive navigation over the time line (not drawn here).
    TimePivot,
    /// Nested rectangles (not drawn here).
    TreeMap,
}

impl Visualization {
    /// The visualization `render` names this way (case-sensitive).
    pub fn from_name(name: &str) -> Option<Visualization> {
        Some(match name {
            "anomalychart" => Visualization::AnomalyChart,
            "areachart" => Visualization::AreaChart,
            "barchart" => Visualization::BarChart,
            "card" => Visualization::Card,
            "columnchart" => Visualization::ColumnChart,
            "ladderchart" => Visualization::LadderChart,
            "linechart" => Visualization::LineChart,
            "piechart" => Visualization::PieChart,
            "pivotchart" => Visualization::PivotChart,
            "scatterchart" => Visualization::ScatterChart,
            "stackedareachart" => Visualization::StackedAreaChart,
            "table" => Visualization::Table,
            "timechart" => Visualization::TimeChart,
            "timepivot" => Visualization::TimePivot,
            "treemap" => Visualization::TreeMap,
            _ => return None,
        })
    }

    /// The name as written in KQL.
    pub fn name(self) -> &'static str {
        match self {
            Visualization::AnomalyChart => "anomalychart",
            Visualization::AreaChart => "areachart",
            Visualization::BarChart => "barchart",
            Visualization::Card => "card",
            Visualization::ColumnChart => "columnchart",
            Visualization::LadderChart => "ladderchart",
            Visualization::LineChart => "linechart",
            Visualization::PieChart => "piechart",
            Visualization::PivotChart => "pivotchart",
            Visualization::ScatterChart => "scatterchart",
            Visualization::StackedAreaChart => "stackedareachart",
            Visualization::Table => "table",
            Visualization::TimeChart => "timechart",
            Visualization::TimePivot => "timepivot",
            Visualization::TreeMap => "treemap",
        }
    }

    /// Whether the result should be offered as a chart at all: `table` is the default view.
    pub fn is_chart(self) -> bool {
        self != Visualization::Table
    }
}

/// The `kind` property (render-operator.md, "kind property").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartKind {
    /// Each area, bar or column stands on its own (`unstacked` is the same).
    #[default]
    Default,
    Unstacked,
    Stacked,
    /// Stacked and stretched to the same width or height.
    Stacked100,
    /// Longitude/latitude on a map (scatterchart, piechart).
    Map,
}

/// How an axis is scaled (`xaxis`, `yaxis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AxisScale {
    #[default]
    Linear,
    Log,
}

/// The `ysplit` property: one y axis, one per series, or one panel per y column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum YSplit {
    #[default]
    None,
    Axes,
    Panels,
}

/// How a query asked for its result to be drawn: `render`'s visualization and properties
/// (render-operator.md, "Supported properties"). Properties left out are `None`/empty, and the
/// chart picks its documented defaults (see `results::chart`).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderHint {
    pub visualization: Visualization,
    /// `title`: the title of the visualization.
    pub title: Option<String>,
    /// `xtitle`: the title of the x axis.
    pub xtitle: Option<String>,
    /// `ytitle`: the title of the y axis.
    pub ytitle: Option<String>,
    /// `xcolumn`: the column used for the x axis.
    pub xcolumn: Option<String>,
    /// `ycolumns`: the columns that hold the values per value of the x column.
    pub ycolumns: Vec<String>,
    /// `series`: the columns whose combined values per record name the series it belongs to.
    pub series: Vec<String>,
    /// `legend`: `visible` (the default) or `hidden`.
    pub legend: bool,
    /// `kind`: further elaboration of the visualization.
    pub kind: ChartKind,
    /// `ymin`: the smallest value shown on the y axis.
    pub ymin: Option<f64>,
    /// `ymax`: the largest value shown on the y axis.
    pub ymax: Option<f64>,
    /// `xaxis`: linear or log.
    pub xaxis: AxisScale,
    /// `yaxis`: linear or log.
    pub yaxis: AxisScale,
    /// `accumulate`: each measure is added to all its predecessors.
    pub accumulate: bool,
    /// `ysplit`: how several y values are split.
    pub ysplit: YSplit,
    /// `anomalycolumns` (anomalychart): columns shown as anomaly points.
    pub anomalycolumns: Vec<String>,
}

impl RenderHint {
    /// A hint with no properties: every choice is left to the documented defaults.
    pub fn new(visualization: Visualization) -> RenderHint {
        RenderHint {
            visualization,
            title: None,
            xtitle: None,
            ytitle: None,
            xcolumn: None,
            ycolumns: Vec::new(),
            series: Vec::new(),
            legend: true,
            kind: ChartKind::Default,
            ymin: None,
            ymax: None,
            xaxis: AxisScale::Linear,
            yaxis: AxisScale::Linear,
            accumulate: false,
            ysplit: YSplit::None,
            anomalycolumns: Vec::new(),
        }
    }

    /// The hint a parsed `render` operator gives. The parser has checked names and value
    /// shapes; anything else (a tree built by hand) is ignored rather than refused, and the
    /// last of a repeated property wins. `None` for a visualization name it does not know.
    pub fn from_render(render: &Render) -> Option<RenderHint> {
        let mut hint = RenderHint::new(Visualization::from_name(&render.visualization.name)?);
        for property in &render.properties {
            let text = match &property.value {
                RenderValue::Text(text) => Some(text.as_str()),
                _ => None,
            };
            let number = match property.value {
                RenderValue::Number(n) if n.is_finite() => Some(n),
                _ => None,
            };
            let columns = match &property.value {
                RenderValue::Columns(columns) => columns.iter().map(|c| c.name.clone()).collect(),
                RenderValue::Text(text) => vec![text.clone()],
                _ => Vec::new(),
            };
            let scale = |text: Option<&str>| match text {
                Some("log") => AxisScale::Log,
                _ => AxisScale::Linear,
            };
            match property.name.name.as_str() {
                "title" => hint.title = text.map(str::to_string),
                "xtitle" => hint.xtitle = text.map(str::to_string),
                "ytitle" => hint.ytitle = text.map(str::to_string),
                "xcolumn" => hint.xcolumn = text.map(str::to_string),
                "ycolumns" => hint.ycolumns = columns,
                "series" => hint.series = columns,
                "anomalycolumns" => hint.anomalycolumns = columns,
                "legend" => hint.legend = text != Some("hidden"),
                "kind" => {
                    hint.kind = match text {
                        Some("unstacked") => ChartKind::Unstacked,
                        Some("stacked") => ChartKind::Stacked,
                        Some("stacked100") => ChartKind::Stacked100,
                        Some("map") => ChartKind::Map,
                        _ => ChartKind::Default,
                    }
                }
                "ymin" => hint.ymin = number,
                "ymax" => hint.ymax = number,
                "xaxis" => hint.xaxis = scale(text),
                "yaxis" => hint.yaxis = scale(text),
                "accumulate" => hint.accumulate = property.value == RenderValue::Bool(true),
                "ysplit" => {
                    hint.ysplit = match text {
                        Some("axes") => YSplit::Axes,
                        Some("panels") => YSplit::Panels,
                        _ => YSplit::None,
                    }
                }
                _ => {}
            }
        }
        Some(hint)
    }

    /// The hint of a parsed query: its result's last operator, when that is a `render` the
    /// parser read (a render anywhere else is a syntax error, not a hint).
    pub fn of_query(query: &Query) -> Option<RenderHint> {
        match &query.body.as_ref()?.operators.last()?.kind {
            OperatorKind::Render(render) => RenderHint::from_render(render),
            _ => None,
        }
    }

    /// The hint of a query text, read by hunt's parser: for backends that run the text as
    /// written (Microsoft Graph) and only need to know how to draw the answer.
    pub fn of_text(source: &str) -> Option<RenderHint> {
        RenderHint::of_query(&crate::kql::parse(source).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_properties_of_a_parsed_render() {
        let hint = RenderHint::of_text(
            "T | render columnchart with (title='By host', xtitle=Host, ycolumns=a, b, series=s, legend=hidden, kind=stacked, ymin=0, ymax=10, yaxis=log, accumulate=true, ysplit=panels)",
        )
        .unwrap();
        assert_eq!(hint.visualization, Visualization::ColumnChart);
        assert_eq!(hint.title.as_deref(), Some("By host"));
        assert_eq!(hint.xtitle.as_deref(), Some("Host"));
        assert_eq!(hint.ycolumns, ["a", "b"]);
        assert_eq!(hint.series, ["s"]);
        assert!(!hint.legend);
        assert_eq!(hint.kind, ChartKind::Stacked);
        assert_eq!((hint.ymin, hint.ymax), (Some(0.0), Some(10.0)));
        assert_eq!(hint.yaxis, AxisScale::Log);
        assert!(hint.accumulate);
        assert_eq!(hint.ysplit, YSplit::Panels);
        let plain = RenderHint::of_text("T | render timechart").unwrap();
        assert_eq!(plain, RenderHint::new(Visualization::TimeChart));
        assert!(plain.legend);
    }

    #[test]
    fn only_a_final_render_of_the_result_is_a_hint() {
        assert!(RenderHint::of_text("T | take 1").is_none());
        assert!(RenderHint::of_text("let X = T | take 1;\nX | render piechart").is_some());
        assert!(RenderHint::of_text("T | render timechart | take 1").is_none());
        assert!(RenderHint::of_text("T | render sparkline").is_none());
        assert!(!Visualization::Table.is_chart());
        for name in crate::kql::lower::RENDER_VISUALIZATIONS {
            assert_eq!(
                Visualization::from_name(name).map(|v| v.name()),
                Some(*name)
            );
        }
    }
}
