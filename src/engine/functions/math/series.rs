//! The `series_*` functions over dynamic arrays of numbers (series-abs-function.md,
//! series-add-function.md, series-fill-linear-function.md, series-stats-dynamic-function.md…).
//!
//! Element types follow the pages' examples: `series_abs`, `series_sign` and the sum,
//! difference and product of two whole numbers stay whole (`[5,4,5]`); everything else is real
//! (`series_ceiling([-1.5,1,2.5])` is `[-1.0,1.0,3.0]`, `series_divide` is always real). A
//! non-numeric or missing element gives a null element. NaN and infinities have no JSON form:
//! they become null elements.

use std::cmp::Ordering;

use serde_json::Value as Json;

use super::super::KqlValue;

/// An array element or scalar argument as a number.
#[derive(Clone, Copy, Debug)]
pub(super) enum Num {
    Whole(i64),
    Real(f64),
}

impl Num {
    fn real(self) -> f64 {
        match self {
            Num::Whole(n) => n as f64,
            Num::Real(x) => x,
        }
    }
}

/// A JSON element as a number; `None` for anything else.
fn num(element: &Json) -> Option<Num> {
    let Json::Number(n) = element else {
        return None;
    };
    Some(match n.as_i64() {
        Some(whole) => Num::Whole(whole),
        None => Num::Real(n.as_f64()?),
    })
}

/// A scalar argument as a number (`series_add(arr, 1)`).
fn scalar(value: &KqlValue) -> Option<Num> {
    match value {
        KqlValue::Long(n) => Some(Num::Whole(*n)),
        KqlValue::Real(x) => Some(Num::Real(*x)),
        KqlValue::Dynamic(json) => num(json),
        _ => None,
    }
}

/// A real as a JSON element: null for NaN and infinities, which JSON cannot hold.
fn real_json(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

fn array(items: Vec<Json>) -> Result<KqlValue, String> {
    Ok(KqlValue::Dynamic(Json::Array(items)))
}

/// Applies `op` to each numeric element; other elements become null; not an array: null.
pub(super) fn map(args: &[KqlValue], op: fn(Num) -> Json) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    array(
        items
            .iter()
            .map(|item| num(item).map_or(Json::Null, op))
            .collect(),
    )
}

/// [`map`] with a real function.
pub(super) fn map_real(args: &[KqlValue], op: fn(f64) -> f64) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    array(
        items
            .iter()
            .map(|item| num(item).map_or(Json::Null, |n| real_json(op(n.real()))))
            .collect(),
    )
}

/// `series_abs`: whole numbers stay whole (the least long's absolute value becomes real).
pub(super) fn abs(n: Num) -> Json {
    match n {
        Num::Whole(whole) => whole
            .checked_abs()
            .map_or_else(|| real_json((whole as f64).abs()), Json::from),
        Num::Real(x) => real_json(x.abs()),
    }
}

/// `series_sign`: -1, 0 or 1, whole for whole numbers.
pub(super) fn sign(n: Num) -> Json {
    match n {
        Num::Whole(whole) => Json::from(whole.signum()),
        Num::Real(x) if x > 0.0 => real_json(1.0),
        Num::Real(x) if x < 0.0 => real_json(-1.0),
        Num::Real(x) if x.is_nan() => Json::Null,
        Num::Real(_) => real_json(0.0),
    }
}

/// One operand of an element-wise function of two arguments.
enum Operand<'a> {
    Array(&'a [Json]),
    Scalar(Num),
}

fn operand(value: &KqlValue) -> Option<Operand<'_>> {
    match value.as_array() {
        Some(items) => Some(Operand::Array(items)),
        None => scalar(value).map(Operand::Scalar),
    }
}

/// An element-wise function of two arrays (the shorter padded with nulls), or of an array and
/// a number (applied to each element). Null unless at least one argument is an array.
pub(super) fn zip(args: &[KqlValue], op: fn(Num, Num) -> Json) -> Result<KqlValue, String> {
    let apply = |x: Option<Num>, y: Option<Num>| match (x, y) {
        (Some(x), Some(y)) => op(x, y),
        _ => Json::Null,
    };
    let items = match (operand(&args[0]), operand(&args[1])) {
        (Some(Operand::Array(xs)), Some(Operand::Array(ys))) => (0..xs.len().max(ys.len()))
            .map(|i| apply(xs.get(i).and_then(num), ys.get(i).and_then(num)))
            .collect(),
        (Some(Operand::Array(xs)), Some(Operand::Scalar(y))) => {
            xs.iter().map(|x| apply(num(x), Some(y))).collect()
        }
        (Some(Operand::Scalar(x)), Some(Operand::Array(ys))) => {
            ys.iter().map(|y| apply(Some(x), num(y))).collect()
        }
        _ => return Ok(KqlValue::Null),
    };
    array(items)
}

/// Whole numbers combined by `whole` (wrapping, as long arithmetic does), anything else by
/// `real`.
fn arithmetic(x: Num, y: Num, whole: fn(i64, i64) -> i64, real: fn(f64, f64) -> f64) -> Json {
    match (x, y) {
        (Num::Whole(a), Num::Whole(b)) => Json::from(whole(a, b)),
        _ => real_json(real(x.real(), y.real())),
    }
}

pub(super) fn add(x: Num, y: Num) -> Json {
    arithmetic(x, y, i64::wrapping_add, |a, b| a + b)
}

pub(super) fn subtract(x: Num, y: Num) -> Json {
    arithmetic(x, y, i64::wrapping_sub, |a, b| a - b)
}

pub(super) fn multiply(x: Num, y: Num) -> Json {
    arithmetic(x, y, i64::wrapping_mul, |a, b| a * b)
}

/// Always real, "even if the inputs are integers" (series-divide-function.md).
pub(super) fn divide(x: Num, y: Num) -> Json {
    real_json(x.real() / y.real())
}

pub(super) fn pow(x: Num, y: Num) -> Json {
    real_json(x.real().powf(y.real()))
}

/// A comparison of two elements as a bool; NaN compares false except for "not equals".
pub(super) fn compare(x: Num, y: Num, test: fn(Ordering) -> bool) -> Json {
    let ordering = match (x, y) {
        (Num::Whole(a), Num::Whole(b)) => Some(a.cmp(&b)),
        _ => x.real().partial_cmp(&y.real()),
    };
    Json::Bool(match ordering {
        Some(ordering) => test(ordering),
        None => test(Ordering::Less) && test(Ordering::Greater),
    })
}

/// Whether an element is the missing-value placeholder: null by default; a number matches
/// numerically (1 and 1.0 alike), a string by text.
fn missing(element: &Json, placeholder: Option<&KqlValue>) -> bool {
    match placeholder {
        None | Some(KqlValue::Null) => element.is_null(),
        Some(KqlValue::String(text)) => element.as_str() == Some(text.as_str()),
        Some(value) => match (num(element), value.as_real()) {
            (Some(n), Some(p)) => n.real() == p,
            _ => element == &value.to_json(),
        },
    }
}

/// `series_fill_const(series, constant [, placeholder])`: missing elements become the constant.
pub(super) fn fill_const(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    let constant = args[1].to_json();
    array(
        items
            .iter()
            .map(|item| {
                if missing(item, args.get(2)) {
                    constant.clone()
                } else {
                    item.clone()
                }
            })
            .collect(),
    )
}

/// `series_fill_forward` (each missing element takes the nearest value on its left) and, with
/// `backward`, `series_fill_backward` (on its right). Missing elements with no such value stay.
pub(super) fn fill_along(args: &[KqlValue], backward: bool) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    let mut out = items.clone();
    let mut last: Option<Json> = None;
    let fill = |item: &mut Json, last: &mut Option<Json>| {
        if missing(item, args.get(1)) {
            if let Some(value) = last {
                *item = value.clone();
            }
        } else {
            *last = Some(item.clone());
        }
    };
    if backward {
        out.iter_mut().rev().for_each(|item| fill(item, &mut last));
    } else {
        out.iter_mut().for_each(|item| fill(item, &mut last));
    }
    array(out)
}

/// `series_fill_linear(series [, placeholder [, fill_edges [, constant]]])`
/// (series-fill-linear-function.md): missing elements between two values are interpolated
/// linearly — truncated toward zero when every value is whole, as the page's integer example
/// shows (73.5 → 73, 32.67 → 32); missing elements at the ends take the nearest value unless
/// `fill_edges` is false; an array with no values is filled with `constant` (default 0.0).
/// Null for an array with a non-numeric value, which cannot be interpolated.
pub(super) fn fill_linear(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    let placeholder = args.get(1);
    let fill_edges = args.get(2).and_then(KqlValue::as_bool).unwrap_or(true);
    let mut anchors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if !missing(item, placeholder) {
            match num(item) {
                Some(value) => anchors.push((index, value)),
                None => return Ok(KqlValue::Null),
            }
        }
    }
    let (Some(&(first, _)), Some(&(last, _))) = (anchors.first(), anchors.last()) else {
        let constant = match args.get(3) {
            None => real_json(0.0),
            Some(value) => value.as_real().map_or_else(|| value.to_json(), real_json),
        };
        return array(vec![constant; items.len()]);
    };
    let whole = anchors
        .iter()
        .all(|(_, value)| matches!(value, Num::Whole(_)));
    let mut out = items.clone();
    for pair in anchors.windows(2) {
        let [(left, a), (right, b)] = [pair[0], pair[1]];
        for (index, item) in out.iter_mut().enumerate().take(right).skip(left + 1) {
            let share = (index - left) as f64 / (right - left) as f64;
            let value = a.real() + (b.real() - a.real()) * share;
            *item = if whole {
                // Between two longs, so in range.
                Json::from(value.trunc() as i64)
            } else {
                real_json(value)
            };
        }
    }
    if fill_edges {
        let (first_item, last_item) = (items[first].clone(), items[last].clone());
        out[..first].fill(first_item);
        out[last + 1..].fill(last_item);
    }
    array(out)
}

/// The numeric elements of an array; `None` when it is not an array or holds anything else
/// (these pages take "an array of numeric values" and say nothing of other elements).
fn numbers(value: &KqlValue) -> Option<Vec<f64>> {
    value
        .as_array()?
        .iter()
        .map(|item| num(item).map(Num::real))
        .collect()
}

fn real_or_null(value: Option<f64>) -> Result<KqlValue, String> {
    Ok(value.map_or(KqlValue::Null, KqlValue::Real))
}

/// `series_sum(series)` (series-sum-function.md).
pub(super) fn sum(args: &[KqlValue]) -> Result<KqlValue, String> {
    real_or_null(numbers(&args[0]).map(|values| values.iter().sum()))
}

/// `series_product(series)` (series-product-function.md).
pub(super) fn product(args: &[KqlValue]) -> Result<KqlValue, String> {
    real_or_null(numbers(&args[0]).map(|values| values.iter().product()))
}

/// `series_magnitude(series)`: the square root of the sum of squares
/// (series-magnitude-function.md).
pub(super) fn magnitude(args: &[KqlValue]) -> Result<KqlValue, String> {
    real_or_null(numbers(&args[0]).map(|values| values.iter().map(|x| x * x).sum::<f64>().sqrt()))
}

/// The numeric pairs of two arrays, the longer truncated to the shorter; pairs with a
/// non-numeric element are left out (series-dot-product-function.md).
fn pairs<'a>(xs: &'a [Json], ys: &'a [Json]) -> impl Iterator<Item = (f64, f64)> + 'a {
    xs.iter()
        .zip(ys)
        .filter_map(|(x, y)| Some((num(x)?.real(), num(y)?.real())))
}

/// `series_dot_product(series1, series2)`, or of an array and a number (each element times
/// the number).
pub(super) fn dot_product(args: &[KqlValue]) -> Result<KqlValue, String> {
    let total = match (operand(&args[0]), operand(&args[1])) {
        (Some(Operand::Array(xs)), Some(Operand::Array(ys))) => {
            pairs(xs, ys).map(|(x, y)| x * y).sum()
        }
        (Some(Operand::Array(xs)), Some(Operand::Scalar(y)))
        | (Some(Operand::Scalar(y)), Some(Operand::Array(xs))) => {
            xs.iter().filter_map(num).map(|x| x.real() * y.real()).sum()
        }
        _ => return Ok(KqlValue::Null),
    };
    Ok(KqlValue::Real(total))
}

/// `series_cosine_similarity(series1, series2 [, magnitude1 [, magnitude2]])`: the dot product
/// over the product of the magnitudes, computed over the same pairs unless given
/// (series-cosine-similarity-function.md).
pub(super) fn cosine_similarity(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(xs), Some(ys)) = (args[0].as_array(), args[1].as_array()) else {
        return Ok(KqlValue::Null);
    };
    let (mut dot, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs(xs, ys) {
        dot += x * y;
        xx += x * x;
        yy += y * y;
    }
    let given = |index: usize| args.get(index).and_then(KqlValue::as_real);
    let first = given(2).unwrap_or_else(|| xx.sqrt());
    let second = given(3).unwrap_or_else(|| yy.sqrt());
    Ok(KqlValue::Real(dot / (first * second)))
}

/// `series_stats_dynamic(series [, ignore_nonfinite])` (series-stats-dynamic-function.md): a
/// bag of min, min_idx, max, max_idx, avg, stdev, variance (sample), sum and len (the array's
/// length). A null, NaN, infinite or non-numeric element makes the result null unless
/// `ignore_nonfinite` is true, when it is skipped (its position still counts for the indexes).
pub(super) fn stats_dynamic(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    let ignore = args.get(1).and_then(KqlValue::as_bool).unwrap_or(false);
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match num(item).map(Num::real) {
            Some(x) if x.is_finite() => values.push((index, x)),
            _ if ignore => {}
            _ => return Ok(KqlValue::Null),
        }
    }
    let mut bag = serde_json::Map::new();
    let count = values.len();
    if count == 0 {
        for name in [
            "min", "min_idx", "max", "max_idx", "avg", "stdev", "variance", "sum",
        ] {
            bag.insert(name.to_string(), Json::Null);
        }
    } else {
        // The first position of the extreme value wins.
        let (mut min, mut max) = (values[0], values[0]);
        for &(index, x) in &values[1..] {
            if x < min.1 {
                min = (index, x);
            }
            if x > max.1 {
                max = (index, x);
            }
        }
        let total: f64 = values.iter().map(|(_, x)| x).sum();
        let mean = total / count as f64;
        let variance = if count > 1 {
            values.iter().map(|(_, x)| (x - mean).powi(2)).sum::<f64>() / (count - 1) as f64
        } else {
            0.0
        };
        bag.insert("min".to_string(), real_json(min.1));
        bag.insert("min_idx".to_string(), Json::from(min.0));
        bag.insert("max".to_string(), real_json(max.1));
        bag.insert("max_idx".to_string(), Json::from(max.0));
        bag.insert("avg".to_string(), real_json(mean));
        bag.insert("stdev".to_string(), real_json(variance.sqrt()));
        bag.insert("variance".to_string(), real_json(variance));
        bag.insert("sum".to_string(), real_json(total));
    }
    bag.insert("len".to_string(), Json::from(items.len()));
    Ok(KqlValue::Dynamic(Json::Object(bag)))
}

#[cfg(test)]
// The pages' outputs, digit for digit as printed (π, e and ln 2 among them).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
mod tests {
    use super::super::super::tests::{call, s};
    use super::*;
    use serde_json::json;

    fn dynamic(json: Json) -> KqlValue {
        KqlValue::Dynamic(json)
    }

    /// The result's JSON text, as the grid shows a dynamic value.
    #[track_caller]
    fn text(value: KqlValue) -> String {
        match value {
            KqlValue::Dynamic(json) => json.to_string(),
            other => panic!("{other:?} is not dynamic"),
        }
    }

    /// Asserts an array of reals within a relative 1e-12 (documented outputs are rounded).
    #[track_caller]
    fn close(value: KqlValue, expected: &[f64]) {
        let KqlValue::Dynamic(Json::Array(items)) = value else {
            panic!("{value:?} is not an array");
        };
        assert_eq!(items.len(), expected.len(), "{items:?}");
        for (item, expected) in items.iter().zip(expected) {
            let actual = item.as_f64().unwrap_or(f64::NAN);
            assert!(
                (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
                "{items:?} is not {expected:?}"
            );
            assert!(item.is_f64(), "{item} is not real");
        }
    }

    #[test]
    fn unary_pages() {
        assert_eq!(
            text(call("series_abs", &[dynamic(json!([-6.5, 0, 8.2]))])),
            "[6.5,0,8.2]"
        );
        let minus_one_to_one = dynamic(json!([-1, 0, 1]));
        let one = [minus_one_to_one.clone()];
        close(
            call("series_acos", &one),
            &[3.1415926535897931, 1.5707963267948966, 0.0],
        );
        close(
            call("series_asin", &one),
            &[-1.5707963267948966, 0.0, 1.5707963267948966],
        );
        close(
            call("series_atan", &one),
            &[-0.78539816339744828, 0.0, 0.78539816339744828],
        );
        close(
            call("series_cos", &one),
            &[0.54030230586813976, 1.0, 0.54030230586813976],
        );
        close(
            call("series_sin", &one),
            &[-0.8414709848078965, 0.0, 0.8414709848078965],
        );
        close(
            call("series_tan", &one),
            &[-1.5574077246549023, 0.0, 1.5574077246549023],
        );
        let halves = [dynamic(json!([-1.5, 1, 2.5]))];
        assert_eq!(text(call("series_ceiling", &halves)), "[-1.0,1.0,3.0]");
        assert_eq!(text(call("series_floor", &halves)), "[-2.0,1.0,2.0]");
        let one_to_three = [dynamic(json!([1, 2, 3]))];
        close(
            call("series_exp", &one_to_three),
            &[2.7182818284590451, 7.38905609893065, 20.085536923187668],
        );
        close(
            call("series_log", &one_to_three),
            &[0.0, 0.69314718055994529, 1.0986122886681098],
        );
        assert_eq!(
            text(call("series_sign", &[dynamic(json!([-6, 0, 8]))])),
            "[-1,0,1]"
        );
    }

    #[test]
    fn unary_edges() {
        let mixed = [dynamic(json!([-2, "x", null, true, -0.5, i64::MIN]))];
        assert_eq!(
            text(call("series_abs", &mixed)),
            "[2,null,null,null,0.5,9.223372036854776e+18]"
        );
        assert_eq!(
            text(call("series_sign", &mixed)),
            "[-1,null,null,null,-1.0,-1]"
        );
        // NaN and infinities have no JSON form.
        assert_eq!(
            text(call("series_log", &[dynamic(json!([-1, 0]))])),
            "[null,null]"
        );
        assert_eq!(text(call("series_acos", &[dynamic(json!([2]))])), "[null]");
        assert_eq!(text(call("series_exp", &[dynamic(json!([]))])), "[]");
        assert_eq!(call("series_exp", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(call("series_exp", &[KqlValue::Long(1)]), KqlValue::Null);
        assert_eq!(
            call("series_abs", &[dynamic(json!({"a": 1}))]),
            KqlValue::Null
        );
        assert_eq!(call("series_abs", &[s("[1,2]")]), KqlValue::Null);
    }

    #[test]
    fn binary_pages() {
        let rows = [
            ([1, 2, 4], [4, 2, 1]),
            ([2, 4, 8], [8, 4, 2]),
            ([3, 6, 12], [12, 6, 3]),
        ];
        let expected_add = ["[5,4,5]", "[10,8,10]", "[15,12,15]"];
        let expected_subtract = ["[-3,0,3]", "[-6,0,6]", "[-9,0,9]"];
        let expected_multiply = ["[4,4,4]", "[16,16,16]", "[36,36,36]"];
        for (row, (x, y)) in rows.into_iter().enumerate() {
            let args = [dynamic(json!(x)), dynamic(json!(y))];
            assert_eq!(text(call("series_add", &args)), expected_add[row]);
            assert_eq!(text(call("series_subtract", &args)), expected_subtract[row]);
            assert_eq!(text(call("series_multiply", &args)), expected_multiply[row]);
            assert_eq!(text(call("series_divide", &args)), "[0.25,1.0,4.0]");
        }
        let pow = [dynamic(json!([1, 2, 3, 4])), dynamic(json!([1, 2, 3, 0.5]))];
        assert_eq!(text(call("series_pow", &pow)), "[1.0,4.0,27.0,2.0]");
        let args = [dynamic(json!([1, 2, 4])), dynamic(json!([4, 2, 1]))];
        let comparisons = [
            ("series_greater", "[false,false,true]"),
            ("series_greater_equals", "[false,true,true]"),
            ("series_less", "[true,false,false]"),
            ("series_less_equals", "[true,true,false]"),
            ("series_equals", "[false,true,false]"),
            ("series_not_equals", "[true,false,true]"),
        ];
        for (name, expected) in comparisons {
            assert_eq!(text(call(name, &args)), expected, "{name}");
        }
    }

    #[test]
    fn binary_edges() {
        // Arrays of different sizes and non-numeric elements give null elements.
        let args = [dynamic(json!([1, "a", 3])), dynamic(json!([1.5, 2]))];
        assert_eq!(text(call("series_add", &args)), "[2.5,null,null]");
        assert_eq!(text(call("series_greater", &args)), "[false,null,null]");
        // An array and a number: the number goes with each element, on either side.
        let scalar = [dynamic(json!([1, 2])), KqlValue::Long(10)];
        assert_eq!(text(call("series_multiply", &scalar)), "[10,20]");
        let scalar = [KqlValue::Real(10.0), dynamic(json!([1, 2]))];
        assert_eq!(text(call("series_subtract", &scalar)), "[9.0,8.0]");
        assert_eq!(
            call("series_add", &[KqlValue::Long(1), KqlValue::Long(2)]),
            KqlValue::Null
        );
        assert_eq!(
            call("series_add", &[KqlValue::Null, dynamic(json!([1]))]),
            KqlValue::Null
        );
        // Division by zero is a double's: infinity (null in JSON); whole sums wrap.
        let args = [dynamic(json!([2, 0])), dynamic(json!([0, 0]))];
        assert_eq!(text(call("series_divide", &args)), "[null,null]");
        let args = [dynamic(json!([i64::MAX])), dynamic(json!([1]))];
        assert_eq!(text(call("series_add", &args)), format!("[{}]", i64::MIN));
        let args = [dynamic(json!([1, 1.0])), dynamic(json!([1.0, 1]))];
        assert_eq!(text(call("series_equals", &args)), "[true,true]");
        assert_eq!(text(call("series_not_equals", &args)), "[false,false]");
    }

    #[test]
    fn fill_pages() {
        let data = dynamic(json!([111, null, 36, 41, 23, null, 16, 61, 33, null, null]));
        assert_eq!(
            text(call(
                "series_fill_const",
                &[data.clone(), KqlValue::Real(0.0)]
            )),
            "[111,0.0,36,41,23,0.0,16,61,33,0.0,0.0]"
        );
        assert_eq!(
            text(call("series_fill_const", &[data, KqlValue::Long(-1)])),
            "[111,-1,36,41,23,-1,16,61,33,-1,-1]"
        );
        let data = dynamic(json!([
            null, null, 36, 41, null, null, 16, 61, 33, null, null
        ]));
        assert_eq!(
            text(call("series_fill_forward", &[data])),
            "[null,null,36,41,41,41,16,61,33,33,33]"
        );
        let data = dynamic(json!([
            111, null, 36, 41, null, null, 16, 61, 33, null, null
        ]));
        assert_eq!(
            text(call("series_fill_backward", &[data])),
            "[111,36,36,41,16,16,16,61,33,null,null]"
        );
    }

    #[test]
    fn fill_linear_page() {
        let reals = dynamic(json!([
            null, 111.0, null, 36.0, 41.0, null, null, 16.0, 61.0, 33.0, null, null
        ]));
        let wholes = dynamic(json!([
            null, 111, null, 36, 41, null, null, 16, 61, 33, null, null
        ]));
        let nulls = dynamic(json!([null, null, null, null]));
        let null = KqlValue::Null;
        let (yes, no) = (KqlValue::Bool(true), KqlValue::Bool(false));
        let filled = [
            111.0, 111.0, 73.5, 36.0, 41.0, 32.667, 24.333, 16.0, 61.0, 33.0, 33.0, 33.0,
        ];
        for args in [
            vec![reals.clone()],
            vec![reals.clone(), null.clone(), yes.clone()],
            vec![
                reals.clone(),
                null.clone(),
                yes.clone(),
                KqlValue::Real(3.14159),
            ],
        ] {
            let KqlValue::Dynamic(Json::Array(items)) = call("series_fill_linear", &args) else {
                panic!("not an array");
            };
            for (item, expected) in items.iter().zip(filled) {
                assert!(
                    (item.as_f64().unwrap() - expected).abs() < 1e-3,
                    "{items:?}"
                );
                assert!(item.is_f64());
            }
        }
        let KqlValue::Dynamic(Json::Array(items)) =
            call("series_fill_linear", &[reals, null.clone(), no.clone()])
        else {
            panic!("not an array");
        };
        assert!(items[0].is_null() && items[10].is_null() && items[11].is_null());
        assert!((items[5].as_f64().unwrap() - 32.667).abs() < 1e-3);
        let whole_filled = "[111,111,73,36,41,32,24,16,61,33,33,33]";
        assert_eq!(
            text(call("series_fill_linear", std::slice::from_ref(&wholes))),
            whole_filled
        );
        let with_edges = [wholes.clone(), null.clone(), yes.clone()];
        assert_eq!(text(call("series_fill_linear", &with_edges)), whole_filled);
        assert_eq!(
            text(call(
                "series_fill_linear",
                &[wholes, null.clone(), no.clone()]
            )),
            "[null,111,73,36,41,32,24,16,61,33,null,null]"
        );
        let zeros = "[0.0,0.0,0.0,0.0]";
        assert_eq!(
            text(call("series_fill_linear", std::slice::from_ref(&nulls))),
            zeros
        );
        let args = [nulls.clone(), null.clone(), yes.clone()];
        assert_eq!(text(call("series_fill_linear", &args)), zeros);
        assert_eq!(
            text(call(
                "series_fill_linear",
                &[nulls.clone(), null.clone(), no]
            )),
            zeros
        );
        let args = [nulls, null, yes, KqlValue::Real(3.14159)];
        assert_eq!(
            text(call("series_fill_linear", &args)),
            "[3.14159,3.14159,3.14159,3.14159]"
        );
    }

    #[test]
    fn fill_edges() {
        // A placeholder other than null: elements equal to it are the missing ones.
        let data = dynamic(json!([1, 0, 3, 0.0, null]));
        assert_eq!(
            text(call(
                "series_fill_const",
                &[data.clone(), KqlValue::Long(9), KqlValue::Long(0)]
            )),
            "[1,9,3,9,null]"
        );
        assert_eq!(
            text(call(
                "series_fill_forward",
                &[data.clone(), KqlValue::Long(0)]
            )),
            "[1,1,3,3,null]"
        );
        assert_eq!(
            text(call("series_fill_backward", &[data, KqlValue::Real(0.0)])),
            "[1,3,3,null,null]"
        );
        let data = dynamic(json!([0, 10, 0, 20]));
        assert_eq!(
            text(call("series_fill_linear", &[data, KqlValue::Long(0)])),
            "[10,10,15,20]"
        );
        // Interpolation toward a lower value truncates toward zero.
        let data = dynamic(json!([-1, null, -2]));
        assert_eq!(text(call("series_fill_linear", &[data])), "[-1,-1,-2]");
        let data = dynamic(json!([1, null, "x"]));
        assert_eq!(call("series_fill_linear", &[data]), KqlValue::Null);
        let data = dynamic(json!([null, null]));
        let args = [data, KqlValue::Null, KqlValue::Bool(true), KqlValue::Null];
        assert_eq!(text(call("series_fill_linear", &args)), "[null,null]");
        assert_eq!(
            text(call("series_fill_forward", &[dynamic(json!([]))])),
            "[]"
        );
        assert_eq!(
            call("series_fill_forward", &[KqlValue::Null]),
            KqlValue::Null
        );
        let args = [KqlValue::Long(1), KqlValue::Long(0)];
        assert_eq!(call("series_fill_const", &args), KqlValue::Null);
    }

    #[test]
    fn aggregate_pages() {
        let one_to_four = [dynamic(json!([1, 2, 3, 4]))];
        assert_eq!(call("series_sum", &one_to_four), KqlValue::Real(10.0));
        assert_eq!(call("series_product", &one_to_four), KqlValue::Real(24.0));
        let KqlValue::Real(magnitude) = call("series_magnitude", &one_to_four) else {
            panic!("not a real");
        };
        assert!((magnitude - 5.4772255750516612).abs() < 1e-12);
        let rows = [
            ([1, 2, 4], [4, 2, 1], 12.0),
            ([2, 4, 8], [8, 4, 2], 48.0),
            ([3, 6, 12], [12, 6, 3], 108.0),
        ];
        for (x, y, dot) in rows {
            let args = [dynamic(json!(x)), dynamic(json!(y))];
            assert_eq!(call("series_dot_product", &args), KqlValue::Real(dot));
        }
        for (n, dot) in [(1, 7.0), (2, 28.0), (3, 63.0)] {
            let args = [dynamic(json!([n, 2 * n, 4 * n])), KqlValue::Long(n)];
            assert_eq!(call("series_dot_product", &args), KqlValue::Real(dot));
        }
        let cosine = |x: Json, y: Json| {
            call("series_cosine_similarity", &[dynamic(x), dynamic(y)])
                .as_real()
                .unwrap()
        };
        let similarity = cosine(json!([0.1, 0.2, 0.1, 0.2]), json!([0.11, 0.2, 0.11, 0.21]));
        assert!(
            (similarity - 0.99935343825504).abs() < 1e-13,
            "{similarity}"
        );
        let similarity = cosine(json!([0.1, 0.2, 0.1, 0.2]), json!([1, 2, 3, 4]));
        assert!(
            (similarity - 0.923760430703401).abs() < 1e-13,
            "{similarity}"
        );
    }

    #[test]
    fn aggregate_edges() {
        let empty = [dynamic(json!([]))];
        assert_eq!(call("series_sum", &empty), KqlValue::Real(0.0));
        assert_eq!(call("series_product", &empty), KqlValue::Real(1.0));
        assert_eq!(call("series_magnitude", &empty), KqlValue::Real(0.0));
        assert_eq!(
            call("series_sum", &[dynamic(json!([1, null]))]),
            KqlValue::Null
        );
        assert_eq!(call("series_sum", &[KqlValue::Long(3)]), KqlValue::Null);
        // The longer array is truncated; non-numeric pairs are left out.
        let args = [dynamic(json!([1, "a", 3, 4])), dynamic(json!([2, 5, 1]))];
        assert_eq!(call("series_dot_product", &args), KqlValue::Real(5.0));
        let args = [KqlValue::Long(2), dynamic(json!([1, null, 3]))];
        assert_eq!(call("series_dot_product", &args), KqlValue::Real(8.0));
        let args = [KqlValue::Long(2), KqlValue::Long(3)];
        assert_eq!(call("series_dot_product", &args), KqlValue::Null);
        // Given magnitudes are used as they are.
        let args = [
            dynamic(json!([3, 4])),
            dynamic(json!([3, 4])),
            KqlValue::Real(5.0),
            KqlValue::Real(10.0),
        ];
        assert_eq!(call("series_cosine_similarity", &args), KqlValue::Real(0.5));
        let args = [dynamic(json!([0, 0])), dynamic(json!([1, 1]))];
        let KqlValue::Real(zero) = call("series_cosine_similarity", &args) else {
            panic!("not a real");
        };
        assert!(zero.is_nan());
        let args = [dynamic(json!([1])), KqlValue::Long(1)];
        assert_eq!(call("series_cosine_similarity", &args), KqlValue::Null);
    }

    #[test]
    fn stats_dynamic_page() {
        let x = dynamic(json!([
            23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29
        ]));
        let KqlValue::Dynamic(Json::Object(stats)) = call("series_stats_dynamic", &[x]) else {
            panic!("not a bag");
        };
        let keys: Vec<_> = stats.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "min", "min_idx", "max", "max_idx", "avg", "stdev", "variance", "sum", "len"
            ]
        );
        assert_eq!(stats["min"], json!(2.0));
        assert_eq!(stats["min_idx"], json!(8));
        assert_eq!(stats["max"], json!(87.0));
        assert_eq!(stats["max_idx"], json!(3));
        assert!((stats["avg"].as_f64().unwrap() - 32.8).abs() < 1e-12);
        assert!((stats["stdev"].as_f64().unwrap() - 28.503633853548269).abs() < 1e-12);
        assert!((stats["variance"].as_f64().unwrap() - 812.45714285714291).abs() < 1e-10);
        assert_eq!(stats["sum"], json!(492.0));
        assert_eq!(stats["len"], json!(15));
    }

    #[test]
    fn stats_dynamic_edges() {
        let with_null = dynamic(json!([5, null, 1, 5, "x", 1]));
        assert_eq!(
            call("series_stats_dynamic", std::slice::from_ref(&with_null)),
            KqlValue::Null
        );
        let args = [with_null.clone(), KqlValue::Bool(false)];
        assert_eq!(call("series_stats_dynamic", &args), KqlValue::Null);
        let args = [with_null, KqlValue::Bool(true)];
        assert_eq!(
            text(call("series_stats_dynamic", &args)),
            r#"{"min":1.0,"min_idx":2,"max":5.0,"max_idx":0,"avg":3.0,"stdev":2.309401076758503,"variance":5.333333333333333,"sum":12.0,"len":6}"#
        );
        assert_eq!(
            text(call("series_stats_dynamic", &[dynamic(json!([7]))])),
            r#"{"min":7.0,"min_idx":0,"max":7.0,"max_idx":0,"avg":7.0,"stdev":0.0,"variance":0.0,"sum":7.0,"len":1}"#
        );
        assert_eq!(
            text(call("series_stats_dynamic", &[dynamic(json!([]))])),
            r#"{"min":null,"min_idx":null,"max":null,"max_idx":null,"avg":null,"stdev":null,"variance":null,"sum":null,"len":0}"#
        );
        assert_eq!(
            call("series_stats_dynamic", &[KqlValue::Null]),
            KqlValue::Null
        );
    }
}
