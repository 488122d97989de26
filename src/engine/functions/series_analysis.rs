//! Series analysis over dynamic arrays of numbers: filters (series-fir-function.md,
//! series-iir-function.md), regression (series-fit-line-dynamic-function.md), correlation
//! (series-pearson-correlation-function.md), the seasonal decomposition
//! (series-seasonal-function.md, series-decompose-function.md,
//! series-decompose-forecast-function.md), outlier scores (series-outliers-function.md) and
//! anomaly detection (series-decompose-anomalies-function.md).
//!
//! The filters read arrays as reals; an element that is not a number is NaN, which spreads
//! through the arithmetic as it does in Kusto's, and NaN (which JSON cannot hold) is written as
//! null. The decompositions take numeric series only (a null element is refused: the pages
//! document nulls for series_outliers alone). Detecting the period of a series
//! (series_periods_detect's algorithm) is not documented precisely enough to match Kusto's
//! scores, so the functions that would detect it refuse (with a message) unless given the
//! period.

use serde_json::Value as Json;

use super::{KqlValue, Param, Returns, RowFunction};
use crate::results::KqlType;

type Eval = fn(&[KqlValue]) -> Result<KqlValue, String>;

const fn row(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    returns: Returns,
    eval: Eval,
) -> RowFunction {
    RowFunction::new(name, params, required, false, returns, eval)
}

const D: Param = Param::Dynamic;
const DYNAMIC: Returns = Returns::Always(KqlType::Dynamic);

pub(super) const FUNCTIONS: &[RowFunction] = &[
    row(
        "series_fir",
        &[D, D, Param::Bool, Param::Bool],
        2,
        DYNAMIC,
        fir,
    ),
    row("series_iir", &[D, D, D], 3, DYNAMIC, iir),
    row(
        "series_fit_line_dynamic",
        &[D],
        1,
        DYNAMIC,
        fit_line_dynamic,
    ),
    row(
        "series_pearson_correlation",
        &[D, D],
        2,
        Returns::Always(KqlType::Real),
        pearson_correlation,
    ),
    row(
        "series_seasonal",
        &[D, Param::Integer],
        1,
        DYNAMIC,
        seasonal,
    ),
    row(
        "series_decompose_forecast",
        &[
            D,
            Param::Integer,
            Param::Integer,
            Param::Text,
            Param::Number,
        ],
        2,
        DYNAMIC,
        decompose_forecast,
    ),
    row(
        "series_outliers",
        &[D, Param::Text, Param::Number, Param::Number, Param::Number],
        1,
        DYNAMIC,
        outliers,
    ),
];

/// The elements of an array as reals (NaN for what is not a number); `None` when the value is
/// not an array.
fn reals(value: &KqlValue) -> Option<Vec<f64>> {
    Some(
        value
            .as_array()?
            .iter()
            .map(|item| item.as_f64().unwrap_or(f64::NAN))
            .collect(),
    )
}

/// Coefficients: an array of numbers only; `None` for anything else.
fn coefficients(value: &KqlValue) -> Option<Vec<f64>> {
    value.as_array()?.iter().map(Json::as_f64).collect()
}

/// A real as a JSON element: null for NaN and infinities.
fn real_json(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

fn real_array(values: impl IntoIterator<Item = f64>) -> KqlValue {
    KqlValue::Dynamic(Json::Array(values.into_iter().map(real_json).collect()))
}

/// `series_fir(series, filter [, normalize [, center]])` (series-fir-function.md): each
/// output point is the sum of the filter's coefficients times the points before it (the
/// coefficient at index j times the point j bins back), or with `center` the points around it
/// (shifted by half the filter's length). Points outside the series count as 0. `normalize`
/// (the default unless the filter has a negative coefficient) divides the coefficients by their
/// sum; normalizing a filter with a negative coefficient gives null.
fn fir(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(series), Some(filter)) = (reals(&args[0]), coefficients(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    if filter.is_empty() {
        return Ok(KqlValue::Null);
    }
    let negative = filter.iter().any(|c| *c < 0.0);
    let normalize = args.get(2).and_then(KqlValue::as_bool).unwrap_or(!negative);
    let center = args.get(3).and_then(KqlValue::as_bool).unwrap_or(false);
    // Normalizing divides each sum once, rather than each coefficient (fewer roundings).
    let scale = if normalize {
        let total: f64 = filter.iter().sum();
        if negative || total == 0.0 {
            return Ok(KqlValue::Null);
        }
        total
    } else {
        1.0
    };
    let shift = if center { (filter.len() - 1) / 2 } else { 0 };
    let output = (0..series.len()).map(|i| {
        filter
            .iter()
            .enumerate()
            .filter_map(|(j, c)| {
                // The point j bins before i (+ shift); outside the series it is 0.
                let at = (i + shift).checked_sub(j)?;
                series.get(at).map(|x| c * x)
            })
            .sum::<f64>()
            / scale
    });
    Ok(real_array(output.collect::<Vec<_>>()))
}

/// `series_iir(series, numerators, denominators)` (series-iir-function.md):
/// `y[i] = (b[0]x[i] + b[1]x[i-1] + … - a[1]y[i-1] - a[2]y[i-2] - …) / a[0]`, points before the
/// series counting as 0. A first denominator of 0 (or none) gives null.
fn iir(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(series), Some(b), Some(a)) = (
        reals(&args[0]),
        coefficients(&args[1]),
        coefficients(&args[2]),
    ) else {
        return Ok(KqlValue::Null);
    };
    let Some(&a0) = a.first().filter(|a0| **a0 != 0.0) else {
        return Ok(KqlValue::Null);
    };
    let mut output: Vec<f64> = Vec::with_capacity(series.len());
    for i in 0..series.len() {
        let forward: f64 = b
            .iter()
            .enumerate()
            .filter_map(|(j, bj)| Some(bj * series[i.checked_sub(j)?]))
            .sum();
        let feedback: f64 = a
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(k, ak)| Some(ak * output[i.checked_sub(k)?]))
            .sum();
        output.push((forward - feedback) / a0);
    }
    Ok(real_array(output))
}

/// A least-squares line through `(x, y)` points.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Line {
    slope: f64,
    interception: f64,
}

impl Line {
    /// The line through the points, `None` without any; one point (or one x) gives a flat line.
    fn fit(points: &[(f64, f64)]) -> Option<Line> {
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        let mean_x = points.iter().map(|(x, _)| x).sum::<f64>() / n;
        let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (x, y) in points {
            sxy += (x - mean_x) * (y - mean_y);
            sxx += (x - mean_x) * (x - mean_x);
        }
        let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
        Some(Line {
            slope,
            interception: mean_y - slope * mean_x,
        })
    }

    fn at(self, x: f64) -> f64 {
        self.slope * x + self.interception
    }
}

/// `series_fit_line_dynamic(series)` (series-fit-line-dynamic-function.md): the regression line
/// of the points over x = 1, 2, …: `rsquare`, `slope`, `variance` (sample variance of the
/// series), `rvariance` (the residuals' sum of squares over n - 1), `interception` and
/// `line_fit` (the line at each x). A series that holds anything but numbers, or nothing, gives
/// null.
fn fit_line_dynamic(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(values) = reals(&args[0]) else {
        return Ok(KqlValue::Null);
    };
    if values.iter().any(|y| !y.is_finite()) {
        return Ok(KqlValue::Null);
    }
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, y)| ((i + 1) as f64, *y))
        .collect();
    let Some(line) = Line::fit(&points) else {
        return Ok(KqlValue::Null);
    };
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let total: f64 = values.iter().map(|y| (y - mean) * (y - mean)).sum();
    let residual: f64 = points.iter().map(|(x, y)| (y - line.at(*x)).powi(2)).sum();
    let degrees = (n - 1.0).max(1.0);
    let mut bag = serde_json::Map::new();
    bag.insert("rsquare".into(), real_json(1.0 - residual / total));
    bag.insert("slope".into(), real_json(line.slope));
    bag.insert("variance".into(), real_json(total / degrees));
    bag.insert("rvariance".into(), real_json(residual / degrees));
    bag.insert("interception".into(), real_json(line.interception));
    let fit = points.iter().map(|(x, _)| real_json(line.at(*x))).collect();
    bag.insert("line_fit".into(), Json::Array(fit));
    Ok(KqlValue::Dynamic(Json::Object(bag)))
}

/// `series_pearson_correlation(series1, series2)` (series-pearson-correlation-function.md):
/// null when an element is not a number or the arrays' lengths differ (and for empty arrays).
fn pearson_correlation(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(xs), Some(ys)) = (coefficients(&args[0]), coefficients(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    if xs.len() != ys.len() || xs.is_empty() {
        return Ok(KqlValue::Null);
    }
    let n = xs.len() as f64;
    let (mean_x, mean_y) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(&ys) {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
        syy += (y - mean_y) * (y - mean_y);
    }
    Ok(KqlValue::Real(sxy / (sxx * syy).sqrt()))
}

/// The median of the finite values; `None` without any. An even count takes the mean of the
/// two middle values (series-seasonal-function.md: the median of 1 and 2 is 1.5).
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

/// The seasonal component of `length` points with period `period`: for each phase, the median
/// of the first `learn` values in that phase (0 for a phase without any).
fn seasonal_component(values: &[f64], period: usize, learn: usize, length: usize) -> Vec<f64> {
    let mut phases: Vec<Vec<f64>> = vec![Vec::new(); period];
    for (i, value) in values.iter().take(learn).enumerate() {
        phases[i % period].push(*value);
    }
    let medians: Vec<f64> = phases
        .into_iter()
        .map(|p| median(p).unwrap_or(0.0))
        .collect();
    (0..length).map(|i| medians[i % period]).collect()
}

/// Why a seasonality of -1 (the default) is refused: Kusto then detects the period with
/// `series_periods_detect` and a score threshold (series-decompose-function.md), whose scores are
/// not documented exactly enough to reproduce, so the local engine could pick another period.
/// A row function's error (the engine puts `function(): ` before it).
const DETECTION: &str = "seasonality -1 (the default) detects the period automatically (series_periods_detect with a score threshold), which Kusto does not document exactly enough for the local engine to reproduce; give the period in bins (e.g. 24 for a daily cycle of 1h bins) or 0 for none";

/// The refusal of `function`'s automatic seasonality, for the planner (see [`DETECTION`]).
pub fn undetected(function: &str) -> String {
    format!("{function}(): {DETECTION}")
}

/// `series_seasonal(series [, period])` (series-seasonal-function.md): each point's phase
/// median over the whole series. The default period, -1, asks for the period to be detected
/// (refused here); 0 or another negative period gives zeros.
fn seasonal(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(values) = reals(&args[0]) else {
        return Ok(KqlValue::Null);
    };
    let period = match args.get(1) {
        None => -1,
        Some(value) => match value.as_long() {
            Some(period) => period,
            None => return Ok(KqlValue::Null),
        },
    };
    if period == -1 {
        return Err(DETECTION.into());
    }
    let length = values.len();
    let Some(period) = usize::try_from(period).ok().filter(|p| *p > 0) else {
        return Ok(real_array(vec![0.0; length]));
    };
    // A period longer than the series: every point is its own phase.
    let period = period.min(length.max(1));
    Ok(real_array(seasonal_component(
        &values, period, length, length,
    )))
}

/// The trend component of a decomposition (series-decompose-function.md's *Trend*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trend {
    /// The average of the deseasoned points learned from.
    Avg,
    /// Their least-squares line.
    Linefit,
    /// No trend (zeros).
    None,
}

/// What a decomposition learns: the period in bins (0: no seasonal component), the trend, and
/// how many points at the end are left out of the learning.
#[derive(Debug, Clone, Copy)]
struct Model {
    period: usize,
    trend: Trend,
    test_points: usize,
}

/// An optional argument; null counts as omitted (the default applies).
fn given(args: &[KqlValue], index: usize) -> Option<&KqlValue> {
    args.get(index)
        .filter(|value| !matches!(value, KqlValue::Null))
}

impl Model {
    /// The model of a function's arguments: the seasonality at `seasonality`, the trend at
    /// `trend` and the test points at `test_points` (indexes into `args`). Errors: seasonality
    /// -1 (or omitted: detection, see [`DETECTION`]) or below it, an unknown trend, negative
    /// test points.
    fn read(
        args: &[KqlValue],
        seasonality: usize,
        trend: usize,
        test_points: usize,
    ) -> Result<Model, String> {
        let period = match given(args, seasonality).map(KqlValue::as_long) {
            None | Some(Some(-1)) => return Err(DETECTION.into()),
            Some(Some(period)) if period >= 0 => usize::try_from(period).unwrap_or(usize::MAX),
            Some(other) => {
                let shown = other.map_or_else(|| "not a whole number".into(), |p| p.to_string());
                return Err(format!(
                    "the seasonality is -1 (detect), 0 (none) or a period in bins, not {shown}"
                ));
            }
        };
        let trend = match given(args, trend).map(KqlValue::to_text).as_deref() {
            None | Some("avg") => Trend::Avg,
            Some("linefit") => Trend::Linefit,
            Some("none") => Trend::None,
            Some(other) => {
                return Err(format!(
                    "the trend is 'avg', 'linefit' or 'none', not '{}'",
                    other.chars().take(40).collect::<String>()
                ));
            }
        };
        let test_points = match given(args, test_points).map(KqlValue::as_long) {
            None => 0,
            Some(Some(points)) if points >= 0 => usize::try_from(points).unwrap_or(usize::MAX),
            Some(_) => return Err("the test points are a whole number, 0 or more".into()),
        };
        Ok(Model {
            period,
            trend,
            test_points,
        })
    }
}

/// A series decomposed (series-decompose-function.md): the seasonal and trend components, each
/// as long as the series. The baseline is their sum, the residual the series minus it.
#[derive(Debug, Clone, PartialEq)]
struct Components {
    seasonal: Vec<f64>,
    trend: Vec<f64>,
}

impl Components {
    fn baseline(&self) -> Vec<f64> {
        self.seasonal
            .iter()
            .zip(&self.trend)
            .map(|(s, t)| s + t)
            .collect()
    }

    fn residual(&self, values: &[f64]) -> Vec<f64> {
        values
            .iter()
            .zip(self.baseline())
            .map(|(x, b)| x - b)
            .collect()
    }
}

/// The elements of a series as numbers: `Ok(None)` when the value is not an array, an error
/// naming the first element that is not a number. The decomposition pages document numeric
/// series only (series-fill-linear-function.md: "Only series_outliers() supports null values
/// in input arrays"), so a null or a string is refused rather than given a guessed meaning.
fn numbers(value: &KqlValue) -> Result<Option<Vec<f64>>, String> {
    let Some(items) = value.as_array() else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.as_f64() {
            Some(x) => values.push(x),
            None => {
                return Err(format!(
                    "element {index} of the series is {}, not a number; the decomposition takes numeric series only (fill the gaps first, e.g. with series_fill_linear() or make-series … default=0)",
                    describe(item)
                ));
            }
        }
    }
    Ok(Some(values))
}

/// What a JSON element is, for messages (never its text, which comes from the data).
fn describe(item: &Json) -> &'static str {
    match item {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "a property bag",
    }
}

/// Decomposes `values` (series-decompose-function.md's execution order): the seasonal
/// component is each phase's median over the points learned from (all but the last
/// `test_points`); the trend comes from the deseasoned points learned from, at x = 1, 2, … (as
/// series_fit_line numbers them) and extends over the whole series. An empty series gives empty
/// components; test points that leave nothing to learn from are an error.
fn decompose_values(values: &[f64], model: Model) -> Result<Components, String> {
    let length = values.len();
    if length == 0 {
        return Ok(Components {
            seasonal: vec![],
            trend: vec![],
        });
    }
    let learn = length.saturating_sub(model.test_points);
    if learn == 0 {
        return Err(format!(
            "{} test points leave none of the series' {length} points to learn from",
            model.test_points
        ));
    }
    let seasonal = if model.period > 0 {
        seasonal_component(values, model.period.min(length), learn, length)
    } else {
        vec![0.0; length]
    };
    let deseasoned: Vec<(f64, f64)> = values
        .iter()
        .zip(&seasonal)
        .take(learn)
        .enumerate()
        .map(|(i, (x, s))| ((i + 1) as f64, x - s))
        .collect();
    let trend = match model.trend {
        Trend::None => vec![0.0; length],
        Trend::Avg => {
            let mean = deseasoned.iter().map(|(_, d)| d).sum::<f64>() / deseasoned.len() as f64;
            vec![mean; length]
        }
        Trend::Linefit => match Line::fit(&deseasoned) {
            Some(line) => (0..length).map(|i| line.at((i + 1) as f64)).collect(),
            None => vec![0.0; length],
        },
    };
    Ok(Components { seasonal, trend })
}

/// `series_decompose_forecast(series, points [, seasonality [, trend [,
/// seasonality_threshold]]])` (series-decompose-forecast-function.md, series-decompose-function.md):
/// the baseline (seasonal + trend) of a decomposition learned from all points but the last
/// `points`, over the whole series. Seasonal: each phase's median (`seasonality` bins; 0: none).
/// Trend of the deseasoned points: their average (`avg`, the default), their regression line
/// (`linefit`) or none. Seasonality -1 (the default) asks for the period to be detected, which
/// is refused here, as are an unknown trend, a seasonality below -1, a series with an element
/// that is not a number and points that leave nothing to learn from. A series that is not an
/// array gives null.
fn decompose_forecast(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(values) = numbers(&args[0])? else {
        return Ok(KqlValue::Null);
    };
    let Some(points) = args[1].as_long() else {
        return Ok(KqlValue::Null);
    };
    let mut model = Model::read(args, 2, 3, 1)?;
    model.test_points = usize::try_from(points)
        .map_err(|_| "the points to forecast are a whole number, 0 or more")?;
    let components = decompose_values(&values, model)?;
    Ok(real_array(components.baseline()))
}

/// `series_decompose(series [, seasonality [, trend [, test_points [,
/// seasonality_threshold]]]])` (series-decompose-function.md): the four components as one
/// array, `[baseline, seasonal, trend, residual]`, which the planner spreads over the columns
/// `series_decompose_<series>_baseline` … (or the names of `(b, s, t, r) = …`). The threshold
/// only matters to the period detection, which is refused.
fn decompose(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(values) = numbers(&args[0])? else {
        return Ok(KqlValue::Null);
    };
    let model = Model::read(args, 1, 2, 3)?;
    let components = decompose_values(&values, model)?;
    let residual = components.residual(&values);
    Ok(KqlValue::Dynamic(Json::Array(vec![
        reals_json(components.baseline()),
        reals_json(components.seasonal),
        reals_json(components.trend),
        reals_json(residual),
    ])))
}

/// The reals as a JSON array (NaN and infinities as null).
fn reals_json(values: Vec<f64>) -> Json {
    Json::Array(values.into_iter().map(real_json).collect())
}

/// The factor that scales a `ctukey` score (10th–90th percentile range) to Tukey's
/// (25th–75th), so that 1.5 marks a mild anomaly for both. series-outliers-function.md does not
/// give it; the function's owner at Microsoft described the scaling (Stack Overflow, "How does
/// Kusto series_outliers() calculate anomaly scores", 2023: linear-interpolated percentiles,
/// score = (x − p90) / (p90 − p10) × ≈2.772), and this is the value that reproduces the four
/// scores Kusto gave in that question bit for bit. Other percentiles' factors are not known.
const CTUKEY_FACTOR: f64 = 2.772_605_605_507_915;

/// The percentile `p` (0–100) of sorted values, interpolated linearly between the two closest
/// ranks (position `p / 100 × (n − 1)`), as series_outliers computes its range. `None` without
/// values.
fn interpolated_percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = p / 100.0 * last as f64;
    let below = (position.floor() as usize).min(last);
    let fraction = position - below as f64;
    let low = sorted[below];
    Some(match sorted.get(below + 1) {
        Some(high) if fraction > 0.0 => low + fraction * (high - low),
        _ => low,
    })
}

/// Tukey fence scores of `values` (`None`: missing, scored 0 and left out of the range): a
/// point above the `high` percentile scores `(x − p_high) / (p_high − p_low) × factor`, below
/// the `low` one `(x − p_low) / (p_high − p_low) × factor`, in between 0. A point outside a
/// range of zero width has no documented score: refused.
fn tukey_scores(
    values: &[Option<f64>],
    low: f64,
    high: f64,
    factor: f64,
) -> Result<Vec<f64>, String> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    present.sort_by(f64::total_cmp);
    let (Some(p_low), Some(p_high)) = (
        interpolated_percentile(&present, low),
        interpolated_percentile(&present, high),
    ) else {
        return Ok(vec![0.0; values.len()]);
    };
    let range = p_high - p_low;
    values
        .iter()
        .map(|value| {
            let Some(x) = *value else {
                return Ok(0.0);
            };
            let beyond = if x > p_high {
                x - p_high
            } else if x < p_low {
                x - p_low
            } else {
                return Ok(0.0);
            };
            if range == 0.0 {
                return Err(format!(
                    "the series' {low}th and {high}th percentiles are equal ({p_low}), so a point outside them has no documented score; the local engine does not guess one"
                ));
            }
            Ok(beyond / range * factor)
        })
        .collect()
}

/// The outlier test of series-outliers-function.md's *kind*: its percentiles and factor.
fn outlier_kind(
    kind: Option<&KqlValue>,
    low: Option<&KqlValue>,
    high: Option<&KqlValue>,
) -> Result<(f64, f64, f64), String> {
    match kind.map(KqlValue::to_text).as_deref() {
        // The percentiles are ctukey's only.
        Some("tukey") => Ok((25.0, 75.0, 1.0)),
        None | Some("ctukey") => {
            let read = |value: Option<&KqlValue>, default: f64| match value {
                None => Ok(default),
                Some(value) => value
                    .as_real()
                    .ok_or_else(|| "the percentiles are numbers".to_string()),
            };
            let (low, high) = (read(low, 10.0)?, read(high, 90.0)?);
            if (low, high) != (10.0, 90.0) {
                return Err(format!(
                    "ctukey with the percentiles {low} and {high} is not supported by the local engine: Kusto scales the score by a factor it documents for the default 10 and 90 only"
                ));
            }
            Ok((10.0, 90.0, CTUKEY_FACTOR))
        }
        Some(other) => Err(format!(
            "the outlier test is 'ctukey' or 'tukey', not '{}'",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// `series_outliers(series [, kind [, ignore_val [, min_percentile [, max_percentile]]]])`
/// (series-outliers-function.md): each point's Tukey fence score ([`tukey_scores`]); `kind`
/// is `ctukey` (default: the 10th–90th percentile range, scaled by [`CTUKEY_FACTOR`]) or
/// `tukey` (25th–75th). Nulls and elements equal to `ignore_val` score 0 and are left out of the
/// percentiles. An element that is not a number or null is refused, as are custom ctukey
/// percentiles; a series that is not an array gives null.
fn outliers(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    let (low, high, factor) = outlier_kind(given(args, 1), given(args, 3), given(args, 4))?;
    let ignore = given(args, 2).and_then(KqlValue::as_real);
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        values.push(match item {
            Json::Null => None,
            _ => match item.as_f64() {
                Some(x) if Some(x) == ignore => None,
                Some(x) => Some(x),
                None => {
                    return Err(format!(
                        "element {index} of the series is {}, not a number or null",
                        describe(item)
                    ));
                }
            },
        });
    }
    Ok(real_array(tukey_scores(&values, low, high, factor)?))
}

/// `series_decompose_anomalies(series [, threshold [, seasonality [, trend [, test_points [,
/// ad_method [, seasonality_threshold]]]]]])` (series-decompose-anomalies-function.md): the
/// series decomposed ([`decompose`]), its residual scored by series_outliers' test (`ctukey`
/// by default, or `tukey`), and each point flagged +1 where the score is above `threshold`
/// (1.5 by default), -1 where it is below -`threshold`, else 0. One array `[ad_flag, ad_score,
/// baseline]`, spread by the planner over `series_decompose_anomalies_<series>_ad_flag` … Test
/// points are refused: whether their residuals take part in the percentiles is not documented.
fn decompose_anomalies(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(values) = numbers(&args[0])? else {
        return Ok(KqlValue::Null);
    };
    let threshold = match given(args, 1) {
        None => 1.5,
        Some(value) => value.as_real().ok_or("the threshold is a number")?,
    };
    let model = Model::read(args, 2, 3, 4)?;
    if model.test_points > 0 {
        return Err("test points are not supported by the local engine: the page does not say whether their residuals take part in the outlier test's percentiles".into());
    }
    let (low, high, factor) = outlier_kind(given(args, 5), None, None)?;
    let components = decompose_values(&values, model)?;
    let residual: Vec<Option<f64>> = components.residual(&values).into_iter().map(Some).collect();
    let scores = tukey_scores(&residual, low, high, factor)?;
    let flags: Vec<Json> = scores
        .iter()
        .map(|score| {
            Json::from(if *score > threshold {
                1
            } else if *score < -threshold {
                -1
            } else {
                0
            })
        })
        .collect();
    Ok(KqlValue::Dynamic(Json::Array(vec![
        Json::Array(flags),
        reals_json(scores),
        reals_json(components.baseline()),
    ])))
}

/// `series_decompose` as one row function giving `[baseline, seasonal, trend, residual]`; the
/// planner spreads it over four columns (it is not callable as a single value).
pub static SERIES_DECOMPOSE: RowFunction = RowFunction::new(
    "series_decompose",
    &[
        D,
        Param::Integer,
        Param::Text,
        Param::Integer,
        Param::Number,
    ],
    1,
    false,
    DYNAMIC,
    decompose,
);

/// The names of [`SERIES_DECOMPOSE`]'s columns, in its order.
pub const DECOMPOSE_COLUMNS: &[&str] = &["baseline", "seasonal", "trend", "residual"];

/// `series_decompose_anomalies` as one row function giving `[ad_flag, ad_score, baseline]`,
/// spread by the planner over three columns.
pub static SERIES_DECOMPOSE_ANOMALIES: RowFunction = RowFunction::new(
    "series_decompose_anomalies",
    &[
        D,
        Param::Number,
        Param::Integer,
        Param::Text,
        Param::Integer,
        Param::Text,
        Param::Number,
    ],
    1,
    false,
    DYNAMIC,
    decompose_anomalies,
);

/// The names of [`SERIES_DECOMPOSE_ANOMALIES`]'s columns, in its order.
pub const DECOMPOSE_ANOMALIES_COLUMNS: &[&str] = &["ad_flag", "ad_score", "baseline"];

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::lookup;
    use super::super::tests::{call, s};
    use super::*;

    fn dynamic(json: Json) -> KqlValue {
        KqlValue::Dynamic(json)
    }

    fn text(value: KqlValue) -> String {
        match value {
            KqlValue::Dynamic(json) => json.to_string(),
            other => format!("{other:?}"),
        }
    }

    /// The reals of an array result.
    fn reals_of(value: &KqlValue) -> Vec<f64> {
        value
            .as_array()
            .unwrap_or_else(|| panic!("not an array: {value:?}"))
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect()
    }

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not {expected} (± {tolerance})"
        );
    }

    fn error(name: &str, args: &[KqlValue]) -> String {
        let function = lookup(name).unwrap();
        (function.eval)(args).expect_err("should refuse")
    }

    #[test]
    fn fir_page() {
        let spike = dynamic(json!([
            0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 20, 40, 100, 40, 20, 10, 0, 0, 0, 0, 0, 0, 0, 0
        ]));
        let five = dynamic(json!([1, 1, 1, 1, 1]));
        // A five-point moving average: the spike's peak moves (5-1)/2 = 2 bins later …
        let moving = reals_of(&call("series_fir", &[spike.clone(), five.clone()]));
        assert_eq!(moving.len(), 24);
        assert_eq!(
            &moving[9..18],
            [2.0, 6.0, 14.0, 34.0, 42.0, 44.0, 42.0, 34.0, 14.0]
        );
        assert_eq!(moving[14], 44.0);
        // … and stays in place when centered.
        let centered = reals_of(&call(
            "series_fir",
            &[spike, five, KqlValue::Bool(true), KqlValue::Bool(true)],
        ));
        assert_eq!(
            &centered[7..16],
            [2.0, 6.0, 14.0, 34.0, 42.0, 44.0, 42.0, 34.0, 14.0]
        );
        assert_eq!(centered[12], 44.0);
        // The difference of a point and the one before it.
        let steps = dynamic(json!([0, 0, 0, 0, 2, 2, 2, 2, 3, 3, 3, 3]));
        let diff = call(
            "series_fir",
            &[
                steps,
                dynamic(json!([1, -1])),
                KqlValue::Bool(false),
                KqlValue::Bool(false),
            ],
        );
        assert_eq!(
            text(diff),
            "[0.0,0.0,0.0,0.0,2.0,0.0,0.0,0.0,1.0,0.0,0.0,0.0]"
        );
    }

    #[test]
    fn fir_edges() {
        let series = dynamic(json!([1, 2, 3]));
        // Negative coefficients: not normalized by default; normalizing them gives null.
        let diff = dynamic(json!([1, -1]));
        assert_eq!(
            text(call("series_fir", &[series.clone(), diff.clone()])),
            "[1.0,1.0,1.0]"
        );
        assert_eq!(
            call("series_fir", &[series.clone(), diff, KqlValue::Bool(true)]),
            KqlValue::Null
        );
        // Not normalized: the coefficients as given.
        let double = dynamic(json!([2]));
        assert_eq!(
            text(call(
                "series_fir",
                &[series.clone(), double.clone(), KqlValue::Bool(false)]
            )),
            "[2.0,4.0,6.0]"
        );
        assert_eq!(
            text(call("series_fir", &[series.clone(), double])),
            "[1.0,2.0,3.0]"
        );
        // A point that is not a number makes the outputs it reaches null.
        let holes = dynamic(json!([1, null, 3, 4]));
        assert_eq!(
            text(call("series_fir", &[holes, dynamic(json!([1, 1]))])),
            "[0.5,null,null,3.5]"
        );
        assert_eq!(
            call("series_fir", &[series.clone(), dynamic(json!([]))]),
            KqlValue::Null
        );
        assert_eq!(
            call("series_fir", &[series.clone(), dynamic(json!(["a"]))]),
            KqlValue::Null
        );
        assert_eq!(
            text(call("series_fir", &[series, dynamic(json!([1, -1, 0]))])),
            "[1.0,1.0,1.0]"
        );
        assert_eq!(
            call("series_fir", &[KqlValue::Null, dynamic(json!([1]))]),
            KqlValue::Null
        );
        assert_eq!(
            text(call(
                "series_fir",
                &[dynamic(json!([])), dynamic(json!([1]))]
            )),
            "[]"
        );
    }

    #[test]
    fn iir_page() {
        // A cumulative sum: range(1.0, 10, 1) with numerators [1] and denominators [1, -1].
        let x = dynamic(json!([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]));
        let y = call(
            "series_iir",
            &[x, dynamic(json!([1])), dynamic(json!([1, -1]))],
        );
        assert_eq!(text(y), "[1.0,3.0,6.0,10.0,15.0,21.0,28.0,36.0,45.0,55.0]");
        // The page's vector_sum: the last point of the cumulative sum.
        let d = dynamic(json!([0, 1, 2, 3, 4]));
        let y = call(
            "series_iir",
            &[d, dynamic(json!([1])), dynamic(json!([1, -1]))],
        );
        assert_eq!(reals_of(&y)[4], 10.0);
    }

    #[test]
    fn iir_edges() {
        let x = dynamic(json!([1, 2, 3]));
        // Exponential smoothing: y[i] = 0.5 x[i] + 0.5 y[i-1].
        let smooth = call(
            "series_iir",
            &[x.clone(), dynamic(json!([0.5])), dynamic(json!([1, -0.5]))],
        );
        assert_eq!(text(smooth), "[0.5,1.25,2.125]");
        // a[0] divides.
        let halved = call(
            "series_iir",
            &[x.clone(), dynamic(json!([1])), dynamic(json!([2]))],
        );
        assert_eq!(text(halved), "[0.5,1.0,1.5]");
        assert_eq!(
            call(
                "series_iir",
                &[x.clone(), dynamic(json!([1])), dynamic(json!([0, 1]))]
            ),
            KqlValue::Null
        );
        assert_eq!(
            call("series_iir", &[x, dynamic(json!([1])), dynamic(json!([]))]),
            KqlValue::Null
        );
        // A hole spreads through the feedback.
        let holes = dynamic(json!([1, null, 3]));
        let sum = call(
            "series_iir",
            &[holes, dynamic(json!([1])), dynamic(json!([1, -1]))],
        );
        assert_eq!(text(sum), "[1.0,null,null]");
        assert_eq!(
            call(
                "series_iir",
                &[s("[1]"), dynamic(json!([1])), dynamic(json!([1]))]
            ),
            KqlValue::Null
        );
    }

    #[test]
    fn fit_line_dynamic_page() {
        let y = dynamic(json!([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]));
        let fit = call("series_fit_line_dynamic", &[y]);
        let bag = fit.as_bag().expect("a bag");
        let keys: Vec<&str> = bag.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "rsquare",
                "slope",
                "variance",
                "rvariance",
                "interception",
                "line_fit"
            ]
        );
        // The page's figures, to the digits it prints (cut, not rounded: 0.9829 is 0.982).
        let field = |name: &str| bag[name].as_f64().unwrap();
        close(field("rsquare"), 0.982, 0.001);
        close(field("slope"), 2.730, 0.001);
        close(field("variance"), 98.628, 0.001);
        close(field("rvariance"), 1.686, 0.001);
        close(field("interception"), -1.666, 0.001);
        let line: Vec<f64> = bag["line_fit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let expected = [
            1.064, 3.7945, 6.526, 9.256, 11.987, 14.718, 17.449, 20.180, 22.910, 25.641, 28.371,
            31.102,
        ];
        assert_eq!(line.len(), expected.len());
        for (actual, expected) in line.iter().zip(expected) {
            close(*actual, expected, 0.001);
        }
    }

    #[test]
    fn fit_line_dynamic_edges() {
        // A perfect line.
        let fit = call("series_fit_line_dynamic", &[dynamic(json!([3, 5, 7]))]);
        assert_eq!(
            text(fit),
            r#"{"rsquare":1.0,"slope":2.0,"variance":4.0,"rvariance":0.0,"interception":1.0,"line_fit":[3.0,5.0,7.0]}"#
        );
        // One point: a flat line through it; r-square has no meaning (null).
        let fit = call("series_fit_line_dynamic", &[dynamic(json!([4]))]);
        assert_eq!(
            text(fit),
            r#"{"rsquare":null,"slope":0.0,"variance":0.0,"rvariance":0.0,"interception":4.0,"line_fit":[4.0]}"#
        );
        for bad in [
            json!([]),
            json!([1, null]),
            json!([1, "a"]),
            json!({"a": 1}),
        ] {
            assert_eq!(
                call("series_fit_line_dynamic", &[dynamic(bad)]),
                KqlValue::Null
            );
        }
        assert_eq!(
            call("series_fit_line_dynamic", &[KqlValue::Null]),
            KqlValue::Null
        );
    }

    #[test]
    fn pearson_correlation_page() {
        let s1 = dynamic(json!([1, 2, 3, 4, 5]));
        let s2 = dynamic(json!([2, 4, 6, 8, 10]));
        assert_eq!(
            call("series_pearson_correlation", &[s1, s2]),
            KqlValue::Real(1.0)
        );
    }

    #[test]
    fn pearson_correlation_edges() {
        let falling = call(
            "series_pearson_correlation",
            &[dynamic(json!([1, 2, 3])), dynamic(json!([3, 2, 1]))],
        );
        assert_eq!(falling, KqlValue::Real(-1.0));
        let KqlValue::Real(r) = call(
            "series_pearson_correlation",
            &[dynamic(json!([1, 2, 3, 4])), dynamic(json!([1, 3, 2, 4]))],
        ) else {
            panic!()
        };
        close(r, 0.8, 1e-12);
        // Different lengths, a non-numeric element, nothing: null.
        for (a, b) in [
            (json!([1, 2]), json!([1, 2, 3])),
            (json!([1, null]), json!([1, 2])),
            (json!([1, "2"]), json!([1, 2])),
            (json!([]), json!([])),
        ] {
            assert_eq!(
                call("series_pearson_correlation", &[dynamic(a), dynamic(b)]),
                KqlValue::Null
            );
        }
        assert_eq!(
            call(
                "series_pearson_correlation",
                &[KqlValue::Null, dynamic(json!([1]))]
            ),
            KqlValue::Null
        );
    }

    #[test]
    fn seasonal_page_with_a_period() {
        let period = KqlValue::Long(3);
        let first = call(
            "series_seasonal",
            &[dynamic(json!([1, 3, 5, 1, 3, 5, 2, 4, 6])), period.clone()],
        );
        assert_eq!(text(first), "[1.0,3.0,5.0,1.0,3.0,5.0,1.0,3.0,5.0]");
        let second = call(
            "series_seasonal",
            &[dynamic(json!([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6])), period],
        );
        assert_eq!(
            text(second),
            "[1.5,3.5,5.5,1.5,3.5,5.5,1.5,3.5,5.5,1.5,3.5,5.5]"
        );
    }

    #[test]
    fn seasonal_edges() {
        let series = dynamic(json!([1, 2, 3, 4]));
        // Detection is refused, with a message that says what to do.
        let message = error("series_seasonal", std::slice::from_ref(&series));
        assert!(message.contains("period"), "{message}");
        let message = error("series_seasonal", &[series.clone(), KqlValue::Long(-1)]);
        assert!(message.contains("period"), "{message}");
        // Another period that is not positive: zeros.
        assert_eq!(
            text(call(
                "series_seasonal",
                &[series.clone(), KqlValue::Long(0)]
            )),
            "[0.0,0.0,0.0,0.0]"
        );
        assert_eq!(
            text(call(
                "series_seasonal",
                &[series.clone(), KqlValue::Long(-5)]
            )),
            "[0.0,0.0,0.0,0.0]"
        );
        // A period longer than the series; holes are left out of the medians.
        assert_eq!(
            text(call("series_seasonal", &[series, KqlValue::Long(100)])),
            "[1.0,2.0,3.0,4.0]"
        );
        let holes = dynamic(json!([1, null, 3, 2]));
        assert_eq!(
            text(call("series_seasonal", &[holes, KqlValue::Long(2)])),
            "[2.0,2.0,2.0,2.0]"
        );
        assert_eq!(
            text(call(
                "series_seasonal",
                &[dynamic(json!([])), KqlValue::Long(2)]
            )),
            "[]"
        );
        assert_eq!(
            call("series_seasonal", &[KqlValue::Null, KqlValue::Long(2)]),
            KqlValue::Null
        );
    }

    #[test]
    fn decompose_forecast_extends_the_learned_pattern() {
        // Period 3 with an upward trend of 1 per point; the last 3 points are to forecast.
        let series = dynamic(json!([10, 20, 30, 13, 23, 33, 16, 26, 36, 0, 0, 0]));
        let forecast = call(
            "series_decompose_forecast",
            &[
                series.clone(),
                KqlValue::Long(3),
                KqlValue::Long(3),
                s("linefit"),
            ],
        );
        // Phase medians 13, 23, 33; deseasoned: -3, -3, -3, 0, 0, 0, 3, 3, 3 at x = 1…9 → the
        // least-squares line 0.9x - 4.5 (54/60, through the mean (5, 0)).
        let values = reals_of(&forecast);
        assert_eq!(values.len(), 12);
        let line = |x: f64| 0.9 * x - 4.5;
        let seasonal = [13.0, 23.0, 33.0];
        for (i, value) in values.iter().enumerate() {
            close(*value, seasonal[i % 3] + line((i + 1) as f64), 1e-9);
        }
        // avg: the seasonal pattern plus the deseasoned mean (0 here).
        let avg = call(
            "series_decompose_forecast",
            &[series.clone(), KqlValue::Long(3), KqlValue::Long(3)],
        );
        assert_eq!(
            text(avg),
            "[13.0,23.0,33.0,13.0,23.0,33.0,13.0,23.0,33.0,13.0,23.0,33.0]"
        );
        // No seasonality, no trend: zeros.
        let nothing = call(
            "series_decompose_forecast",
            &[
                series.clone(),
                KqlValue::Long(3),
                KqlValue::Long(0),
                s("none"),
            ],
        );
        assert_eq!(reals_of(&nothing), vec![0.0; 12]);
        // No seasonality, average trend: the learned mean everywhere.
        let mean = call(
            "series_decompose_forecast",
            &[
                dynamic(json!([1, 2, 3, 100])),
                KqlValue::Long(1),
                KqlValue::Long(0),
            ],
        );
        assert_eq!(text(mean), "[2.0,2.0,2.0,2.0]");
    }

    #[test]
    fn decompose_forecast_edges() {
        let series = dynamic(json!([1, 2, 3, 4]));
        let message = error(
            "series_decompose_forecast",
            &[series.clone(), KqlValue::Long(1)],
        );
        assert!(message.contains("seasonality -1"), "{message}");
        // Nothing left to learn from, an unknown trend, a bad seasonality, negative points, an
        // element that is not a number: refused, saying why.
        for (args, says) in [
            (
                vec![series.clone(), KqlValue::Long(4), KqlValue::Long(0)],
                "learn",
            ),
            (
                vec![series.clone(), KqlValue::Long(9), KqlValue::Long(0)],
                "learn",
            ),
            (
                vec![
                    series.clone(),
                    KqlValue::Long(1),
                    KqlValue::Long(0),
                    s("cubic"),
                ],
                "trend",
            ),
            (
                vec![series.clone(), KqlValue::Long(1), KqlValue::Long(-3)],
                "seasonality",
            ),
            (
                vec![series.clone(), KqlValue::Long(-1), KqlValue::Long(0)],
                "whole number",
            ),
            (
                vec![
                    dynamic(json!([1, null, 3])),
                    KqlValue::Long(1),
                    KqlValue::Long(0),
                ],
                "element 1 of the series is null",
            ),
        ] {
            let message = error("series_decompose_forecast", &args);
            assert!(message.contains(says), "{args:?}: {message}");
        }
        // A series that is not an array: null; an empty one: empty.
        assert_eq!(
            call(
                "series_decompose_forecast",
                &[KqlValue::Null, KqlValue::Long(1), KqlValue::Long(0)]
            ),
            KqlValue::Null
        );
        assert_eq!(
            text(call(
                "series_decompose_forecast",
                &[dynamic(json!([])), KqlValue::Long(0), KqlValue::Long(0)]
            )),
            "[]"
        );
    }

    #[test]
    fn interpolated_percentiles() {
        let sorted = [
            -3.0, 2.4, 3.0, 3.9, 4.0, 4.0, 4.5, 5.0, 5.0, 5.0, 5.0, 5.2, 6.0, 7.0, 15.0, 16.0,
        ];
        // Position p/100 × (n - 1): 1.5 and 13.5, halfway between ranks.
        assert_eq!(interpolated_percentile(&sorted, 10.0), Some(2.7));
        assert_eq!(interpolated_percentile(&sorted, 90.0), Some(11.0));
        assert_eq!(interpolated_percentile(&sorted, 0.0), Some(-3.0));
        assert_eq!(interpolated_percentile(&sorted, 100.0), Some(16.0));
        assert_eq!(interpolated_percentile(&[7.0], 25.0), Some(7.0));
        assert_eq!(interpolated_percentile(&[], 25.0), None);
    }

    #[test]
    // Kusto's digits as it printed them.
    #[allow(clippy::excessive_precision)]
    fn outliers_reproduce_kustos_scores() {
        // Kusto's output for this series, quoted in the Stack Overflow question "How does Kusto
        // series_outliers() calculate anomaly scores" (2023): matched bit for bit.
        let scores = call(
            "series_outliers",
            &[dynamic(json!([
                -3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4
            ]))],
        );
        let expected = [
            -1.9040785483608571,
            -0.10021466044004519,
            1.3361954725339347,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            1.6702443406674186,
            0.0,
            0.0,
            0.0,
            0.0,
        ];
        assert_eq!(reals_of(&scores), expected);
    }

    #[test]
    fn outliers_edges() {
        // tukey: the quartiles (2.5 and 7.5), unscaled.
        let tukey = call(
            "series_outliers",
            &[
                dynamic(json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100])),
                s("tukey"),
            ],
        );
        assert_eq!(
            text(tukey),
            "[-0.5,-0.3,-0.1,0.0,0.0,0.0,0.0,0.0,0.1,0.3,18.5]"
        );
        // Missing values score 0 and stay out of the percentiles.
        let holes = call(
            "series_outliers",
            &[
                dynamic(json!([null, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, -1])),
                s("tukey"),
                KqlValue::Long(-1),
            ],
        );
        assert_eq!(
            text(holes),
            "[0.0,-0.5,-0.3,-0.1,0.0,0.0,0.0,0.0,0.0,0.1,0.3,18.5,0.0]"
        );
        assert_eq!(
            text(call("series_outliers", &[dynamic(json!([5, 5, 5]))])),
            "[0.0,0.0,0.0]"
        );
        assert_eq!(text(call("series_outliers", &[dynamic(json!([]))])), "[]");
        assert_eq!(
            call("series_outliers", &[dynamic(json!({"a": 1}))]),
            KqlValue::Null
        );
        for (args, says) in [
            (
                vec![
                    dynamic(json!([1, 2])),
                    s("ctukey"),
                    KqlValue::Null,
                    KqlValue::Long(5),
                ],
                "percentiles 5 and 90",
            ),
            (
                vec![dynamic(json!([1, 2])), s("tukee")],
                "'ctukey' or 'tukey'",
            ),
            (
                vec![dynamic(json!([1, true]))],
                "element 1 of the series is a bool",
            ),
            (
                vec![dynamic(json!([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5]))],
                "percentiles are equal",
            ),
        ] {
            let message = error("series_outliers", &args);
            assert!(message.contains(says), "{args:?}: {message}");
        }
    }

    #[test]
    fn decompose_components() {
        let series = dynamic(json!([10, 20, 30, 13, 23, 33, 16, 26, 36]));
        let parts = decompose(&[series, KqlValue::Long(3), s("none")]).unwrap();
        assert_eq!(
            text(parts),
            "[[13.0,23.0,33.0,13.0,23.0,33.0,13.0,23.0,33.0],[13.0,23.0,33.0,13.0,23.0,33.0,13.0,23.0,33.0],[0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0],[-3.0,-3.0,-3.0,0.0,0.0,0.0,3.0,3.0,3.0]]"
        );
        assert_eq!(decompose(&[dynamic(json!([]))]), Err(DETECTION.to_string()));
        assert_eq!(
            decompose(&[KqlValue::Null, KqlValue::Long(2)]),
            Ok(KqlValue::Null)
        );
    }

    #[test]
    fn decompose_anomalies_flags_beyond_the_threshold() {
        // No seasonality, no trend: the residual is the series.
        let found = decompose_anomalies(&[
            dynamic(json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, -100])),
            KqlValue::Real(1.5),
            KqlValue::Long(0),
            s("none"),
            KqlValue::Long(0),
            s("tukey"),
        ])
        .unwrap();
        let KqlValue::Dynamic(Json::Array(parts)) = found else {
            panic!("{found:?}")
        };
        assert_eq!(parts[0], json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1]));
        assert_eq!(parts[2], Json::from(vec![0.0; 12]));
        let message =
            decompose_anomalies(&[dynamic(json!([1, 2])), KqlValue::Null, KqlValue::Long(-1)])
                .unwrap_err();
        assert_eq!(message, DETECTION);
    }
}
