//! Series analysis over dynamic arrays of numbers: filters (series-fir-function.md,
//! series-iir-function.md), regression (series-fit-line-dynamic-function.md), correlation
//! (series-pearson-correlation-function.md) and the seasonal decomposition
//! (series-seasonal-function.md, series-decompose-forecast-function.md).
//!
//! Arrays are read as reals; an element that is not a number is NaN, which spreads through the
//! arithmetic as it does in Kusto's, and NaN (which JSON cannot hold) is written as null.
//! Detecting the period of a series (series_periods_detect's algorithm) is not documented
//! precisely enough to match Kusto's scores, so the functions that would detect it refuse
//! (with a message) unless given the period.

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

/// The error for a period left to be detected.
fn undetected(function: &str) -> String {
    format!(
        "detecting the series' period is not supported by the local engine yet; give {function}() the period in bins"
    )
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
        return Err(undetected("series_seasonal"));
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

/// `series_decompose_forecast(series, points [, seasonality [, trend [,
/// seasonality_threshold]]])` (series-decompose-forecast-function.md, series-decompose-function.md):
/// the baseline (seasonal + trend) of a decomposition learned from all points but the last
/// `points`, over the whole series. Seasonal: each phase's median (`seasonality` bins; 0: none).
/// Trend of the deseasoned points: their average (`avg`, the default), their regression line
/// (`linefit`) or none. Seasonality -1 (the default) asks for the period to be detected, which
/// is refused here. Nothing to learn from, or an unknown trend, gives null.
fn decompose_forecast(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(values) = reals(&args[0]) else {
        return Ok(KqlValue::Null);
    };
    let Some(points) = args[1].as_long().and_then(|p| usize::try_from(p).ok()) else {
        return Ok(KqlValue::Null);
    };
    let seasonality = match args.get(2) {
        None | Some(KqlValue::Null) => -1,
        Some(value) => value.as_long().unwrap_or(-1),
    };
    let trend = match args.get(3) {
        None | Some(KqlValue::Null) => "avg".to_string(),
        Some(value) => value.to_text(),
    };
    if seasonality == -1 {
        return Err(undetected("series_decompose_forecast"));
    }
    let length = values.len();
    let learn = length.saturating_sub(points);
    if learn == 0 || seasonality < 0 {
        return Ok(KqlValue::Null);
    }
    let seasonal = match usize::try_from(seasonality) {
        Ok(period) if period > 0 => seasonal_component(&values, period.min(length), learn, length),
        _ => vec![0.0; length],
    };
    // The deseasoned points learned from, at x = 1, 2, … (as series_fit_line numbers them).
    let deseasoned: Vec<(f64, f64)> = values
        .iter()
        .zip(&seasonal)
        .take(learn)
        .enumerate()
        .map(|(i, (x, s))| ((i + 1) as f64, x - s))
        .filter(|(_, d)| d.is_finite())
        .collect();
    let trend: Vec<f64> = match trend.as_str() {
        "none" => vec![0.0; length],
        "avg" => {
            let mean = if deseasoned.is_empty() {
                0.0
            } else {
                deseasoned.iter().map(|(_, d)| d).sum::<f64>() / deseasoned.len() as f64
            };
            vec![mean; length]
        }
        "linefit" => match Line::fit(&deseasoned) {
            Some(line) => (0..length).map(|i| line.at((i + 1) as f64)).collect(),
            None => vec![0.0; length],
        },
        _ => return Ok(KqlValue::Null),
    };
    Ok(real_array(seasonal.iter().zip(&trend).map(|(s, t)| s + t)))
}

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
        assert!(message.contains("period"), "{message}");
        // Nothing left to learn from, an unknown trend, a bad seasonality: null.
        for args in [
            vec![series.clone(), KqlValue::Long(4), KqlValue::Long(0)],
            vec![series.clone(), KqlValue::Long(9), KqlValue::Long(0)],
            vec![
                series.clone(),
                KqlValue::Long(1),
                KqlValue::Long(0),
                s("cubic"),
            ],
            vec![series.clone(), KqlValue::Long(1), KqlValue::Long(-3)],
            vec![series.clone(), KqlValue::Long(-1), KqlValue::Long(0)],
            vec![KqlValue::Null, KqlValue::Long(1), KqlValue::Long(0)],
        ] {
            assert_eq!(call("series_decompose_forecast", &args), KqlValue::Null);
        }
    }
}
