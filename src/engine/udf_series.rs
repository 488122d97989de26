//! The functions behind `make-series` (make-series-operator.md): the bin of each row's axis
//! value, each series' values placed by bin (a default where a bin has no rows), the axis of bin
//! starts, and the nearest-rank `percentile()` of a bin.
//!
//! The axis is binned in whole ticks (datetime, timespan) or whole numbers when the axis, its
//! bounds and its step are all whole, otherwise in reals. Bins count from an origin: `from`
//! when given (`bin_at(Axis, step, from)`), `bin(from, step)` for `in range(…)`, else the
//! alignment `bin()` uses (1970-01-01 for datetimes, 0 otherwise).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Builder, Int64Builder};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use serde_json::Value as Json;

use crate::kql::time;
use crate::results::KqlType;
use crate::results::format::cell_json;

/// The most values a series holds (make-series-operator.md: arrays are limited to 2^20 values;
/// longer ones are truncated).
pub const MAX_SERIES_LENGTH: usize = 1 << 20;

/// The most values one series column of a `make-series` holds over all its groups (groups ×
/// bins): past it the query fails rather than build gigabytes of JSON (a fine step by a key
/// with thousands of values). Sixteen full-length series fit.
pub const MAX_SERIES_VALUES: usize = 1 << 24;

/// The values one series column has made so far, over every batch and partition of the query
/// (the UDF is made for one query). Not part of the function's identity.
#[derive(Debug, Default)]
struct Budget(std::sync::atomic::AtomicUsize);

impl PartialEq for Budget {
    fn eq(&self, _: &Budget) -> bool {
        true
    }
}

impl Eq for Budget {}

impl std::hash::Hash for Budget {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Budget {
    /// Takes the values a batch's series will hold, before any is made; an error when the
    /// column would pass [`MAX_SERIES_VALUES`].
    fn take<C>(&self, layouts: impl Iterator<Item = Option<Layout<C>>>) -> Result<()> {
        let batch = layouts
            .flatten()
            .fold(0usize, |total, layout| total.saturating_add(layout.count));
        let before = self
            .0
            .fetch_add(batch, std::sync::atomic::Ordering::Relaxed);
        if before.saturating_add(batch) > MAX_SERIES_VALUES {
            return exec_err!(
                "make-series would make more than {MAX_SERIES_VALUES} values (groups × bins); use a larger step, a shorter range or fewer groups"
            );
        }
        Ok(())
    }
}

/// Appends one series' JSON text.
fn append_json(out: &mut datafusion::arrow::array::StringBuilder, json: &Json) -> Result<()> {
    match crate::engine::functions::append_text(out, &json.to_string()) {
        Ok(()) => Ok(()),
        Err(message) => exec_err!("make-series: {message}"),
    }
}

/// How one `make-series` lays out its axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesAxis {
    /// The axis values' type in the output: datetime, timespan, long or real.
    pub ty: KqlType,
    /// Arithmetic in reals (a real axis, bound or step); otherwise in whole ticks or numbers,
    /// which stays exact over all 64 bits.
    pub real: bool,
    /// `in range(start, stop, step)`: bins aligned as `bin()` aligns them, `stop` included.
    pub inclusive: bool,
    /// `from` was given (else the first bin with data starts the series).
    pub has_start: bool,
    /// `to` was given (else the series ends after the last bin with data).
    pub has_end: bool,
}

/// A coordinate on the axis: whole (ticks, numbers) or real.
trait Coord: Copy + PartialOrd {
    /// The alignment of `bin()`.
    fn natural(ty: KqlType) -> Self;
    /// `floor((value - origin) / step)`, when it is a whole number of bins that fits.
    fn bins(value: Self, origin: Self, step: Self) -> Option<i64>;
    /// `origin + index * step`, when it fits.
    fn at(origin: Self, index: i64, step: Self) -> Option<Self>;
    /// Whether the step is a usable bin size (positive, finite).
    fn usable(step: Self) -> bool;
    /// The bins that start before `end`, from `first`: `ceil((end - first) / step)`, at least 0.
    fn before(first: Self, end: Self, step: Self) -> i64;
    fn json(self, ty: KqlType) -> Json;
    /// The value of an Int64 (whole) or Float64 (real) cell that is not null.
    fn from_cell(array: &ArrayRef, row: usize) -> Option<Self>;
}

impl Coord for i64 {
    fn natural(ty: KqlType) -> i64 {
        if ty == KqlType::DateTime {
            time::UNIX_EPOCH_TICKS
        } else {
            0
        }
    }

    fn bins(value: i64, origin: i64, step: i64) -> Option<i64> {
        let bins = (i128::from(value) - i128::from(origin)).div_euclid(i128::from(step));
        i64::try_from(bins).ok()
    }

    fn at(origin: i64, index: i64, step: i64) -> Option<i64> {
        let value = i128::from(origin) + i128::from(index) * i128::from(step);
        i64::try_from(value).ok()
    }

    fn usable(step: i64) -> bool {
        step > 0
    }

    fn before(first: i64, end: i64, step: i64) -> i64 {
        let span = i128::from(end) - i128::from(first);
        if span <= 0 {
            return 0;
        }
        let count = (span + i128::from(step) - 1) / i128::from(step);
        i64::try_from(count).unwrap_or(i64::MAX)
    }

    fn json(self, ty: KqlType) -> Json {
        match ty {
            KqlType::DateTime if time::is_valid_datetime(self) => {
                Json::String(time::format_datetime(self))
            }
            KqlType::DateTime => Json::Null,
            KqlType::Timespan => Json::String(time::format_timespan(self)),
            _ => Json::from(self),
        }
    }

    fn from_cell(array: &ArrayRef, row: usize) -> Option<i64> {
        Some(array.as_primitive_opt::<Int64Type>()?.value(row))
    }
}

impl Coord for f64 {
    fn natural(_: KqlType) -> f64 {
        0.0
    }

    fn bins(value: f64, origin: f64, step: f64) -> Option<i64> {
        let bins = ((value - origin) / step).floor();
        // The cast saturates; the bounds keep an out-of-range value out instead.
        (bins.is_finite() && bins.abs() < 9.0e18).then_some(bins as i64)
    }

    fn at(origin: f64, index: i64, step: f64) -> Option<f64> {
        Some(origin + index as f64 * step)
    }

    fn usable(step: f64) -> bool {
        step.is_finite() && step > 0.0
    }

    fn before(first: f64, end: f64, step: f64) -> i64 {
        let count = ((end - first) / step).ceil();
        if count.is_nan() || count <= 0.0 {
            0
        } else {
            // Saturates; the caller caps the length anyway.
            count.min(9.0e18) as i64
        }
    }

    fn json(self, _: KqlType) -> Json {
        serde_json::Number::from_f64(self).map_or(Json::Null, Json::Number)
    }

    fn from_cell(array: &ArrayRef, row: usize) -> Option<f64> {
        Some(array.as_primitive_opt::<Float64Type>()?.value(row))
    }
}

/// One row's series: the origin of its bin numbers, the number of its first bin and how many
/// bins it has.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout<C> {
    origin: C,
    first: i64,
    count: usize,
}

impl SeriesAxis {
    /// Where bins are counted from; `None` when a bound that was given is null, or the step is
    /// not a usable bin size.
    fn origin<C: Coord>(&self, start: Option<C>, step: Option<C>) -> Option<C> {
        let step = step.filter(|s| C::usable(*s))?;
        let natural = C::natural(self.ty);
        if self.inclusive {
            // `bin(start, step)`.
            let start = start?;
            return C::at(natural, C::bins(start, natural, step)?, step);
        }
        if self.has_start { start } else { Some(natural) }
    }

    /// The bin of an axis value (counted from the origin), `None` when the row is outside the
    /// series: before `from`, at or after `to`, past `stop`, or null.
    fn bin<C: Coord>(
        &self,
        value: Option<C>,
        start: Option<C>,
        end: Option<C>,
        step: Option<C>,
    ) -> Option<i64> {
        let value = value?;
        let origin = self.origin(start, step)?;
        let step = step?;
        if self.inclusive {
            let bin = C::bins(value, origin, step)?;
            let last = C::bins(end?, origin, step)?;
            return (0..=last).contains(&bin).then_some(bin);
        }
        if self.has_start && value < start? {
            return None;
        }
        if self.has_end && value >= end? {
            return None;
        }
        C::bins(value, origin, step)
    }

    /// The layout of a series; `low`/`high` are the first and last bins with data over the
    /// whole input (what a missing `from`/`to` stands for). `None`: no usable range.
    fn layout<C: Coord>(
        &self,
        start: Option<C>,
        end: Option<C>,
        step: Option<C>,
        low: Option<i64>,
        high: Option<i64>,
    ) -> Option<Layout<C>> {
        let origin = self.origin(start, step)?;
        let step = step?;
        let (first, count) = if self.inclusive {
            let last = C::bins(end?, origin, step)?;
            (0, last.saturating_add(1).max(0))
        } else {
            let first = if self.has_start { 0 } else { low? };
            let count = if self.has_end {
                match C::at(origin, first, step) {
                    Some(first_value) => C::before(first_value, end?, step),
                    None => 0,
                }
            } else {
                high?.saturating_sub(first).saturating_add(1).max(0)
            };
            (first, count)
        };
        let count = usize::try_from(count).unwrap_or(0).min(MAX_SERIES_LENGTH);
        Some(Layout {
            origin,
            first,
            count,
        })
    }
}

/// What a [`SeriesUdf`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeriesPart {
    /// `(axis, start, end, step)` → the row's bin (long), null outside the series.
    Bin,
    /// `(list of {b, v}, start, end, step, low, high, default)` → the series as a dynamic
    /// array: each bin's value (of type `value`), `default` (of type `default`) where a bin has
    /// none.
    Values { value: KqlType, default: KqlType },
    /// `(start, end, step, low, high)` → the axis: each bin's start as a dynamic array.
    Axis,
}

/// The `make-series` functions; the bounds and the step arrive as Int64 (whole axis) or
/// Float64 (real axis), `low`/`high` as Int64.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SeriesUdf {
    part: SeriesPart,
    axis: SeriesAxis,
    name: String,
    signature: Signature,
    budget: Budget,
}

impl SeriesUdf {
    /// The function, ready to call in a plan.
    pub fn udf(part: SeriesPart, axis: SeriesAxis) -> ScalarUDF {
        let (name, args) = match part {
            SeriesPart::Bin => ("kql_make_series_bin", 4),
            SeriesPart::Values { .. } => ("kql_make_series_values", 7),
            SeriesPart::Axis => ("kql_make_series_axis", 5),
        };
        ScalarUDF::from(SeriesUdf {
            part,
            axis,
            name: name.to_string(),
            signature: Signature::any(args, Volatility::Immutable),
            budget: Budget::default(),
        })
    }

    fn run<C: Coord>(&self, arrays: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        let read = |array: &ArrayRef, row: usize| coord::<C>(array, row);
        match self.part {
            SeriesPart::Bin => {
                let mut out = Int64Builder::with_capacity(rows);
                for row in 0..rows {
                    out.append_option(self.axis.bin(
                        read(&arrays[0], row),
                        read(&arrays[1], row),
                        read(&arrays[2], row),
                        read(&arrays[3], row),
                    ));
                }
                Ok(Arc::new(out.finish()))
            }
            SeriesPart::Values { value, default } => {
                let Some(lists) = arrays[0].as_list_opt::<i32>() else {
                    return exec_err!("make-series expects a list of bins");
                };
                let layout_of = |row: usize| {
                    self.axis.layout(
                        read(&arrays[1], row),
                        read(&arrays[2], row),
                        read(&arrays[3], row),
                        whole(&arrays[4], row),
                        whole(&arrays[5], row),
                    )
                };
                self.budget.take((0..rows).map(layout_of))?;
                let mut out = datafusion::arrow::array::StringBuilder::with_capacity(rows, 64);
                for row in 0..rows {
                    let layout = layout_of(row);
                    let Some(layout) = layout else {
                        out.append_value("[]");
                        continue;
                    };
                    let fill = cell_json(arrays[6].as_ref(), row, default);
                    let mut series = vec![fill; layout.count];
                    if !lists.is_null(row) {
                        place(&mut series, lists.value(row).as_ref(), layout.first, value)?;
                    }
                    append_json(&mut out, &Json::Array(series))?;
                }
                Ok(Arc::new(out.finish()))
            }
            SeriesPart::Axis => {
                let layout_of = |row: usize| {
                    self.axis.layout(
                        read(&arrays[0], row),
                        read(&arrays[1], row),
                        read(&arrays[2], row),
                        whole(&arrays[3], row),
                        whole(&arrays[4], row),
                    )
                };
                self.budget.take((0..rows).map(layout_of))?;
                let mut out = datafusion::arrow::array::StringBuilder::with_capacity(rows, 64);
                for row in 0..rows {
                    let step = read(&arrays[2], row);
                    let layout = layout_of(row);
                    let values: Vec<Json> = match (layout, step) {
                        (Some(layout), Some(step)) => (0..layout.count)
                            .map(|i| {
                                i64::try_from(i)
                                    .ok()
                                    .and_then(|i| layout.first.checked_add(i))
                                    .and_then(|bin| C::at(layout.origin, bin, step))
                                    .map_or(Json::Null, |v| v.json(self.axis.ty))
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    append_json(&mut out, &Json::Array(values))?;
                }
                Ok(Arc::new(out.finish()))
            }
        }
    }
}

/// Puts each bin's value (the `v` field of the `{b, v}` entries) at its place.
fn place(series: &mut [Json], entries: &dyn Array, first: i64, ty: KqlType) -> Result<()> {
    let Some(entries) = entries.as_struct_opt() else {
        return exec_err!("make-series expects bins as {{b, v}} entries");
    };
    let (Some(bins), Some(values)) = (
        entries.column(0).as_primitive_opt::<Int64Type>(),
        entries.columns().get(1),
    ) else {
        return exec_err!("make-series expects bins as {{b, v}} entries");
    };
    for i in 0..entries.len() {
        if bins.is_null(i) {
            continue;
        }
        let Some(position) = bins
            .value(i)
            .checked_sub(first)
            .and_then(|p| usize::try_from(p).ok())
        else {
            continue;
        };
        if let Some(slot) = series.get_mut(position) {
            *slot = cell_json(values.as_ref(), i, ty);
        }
    }
    Ok(())
}

/// A bound or step as a coordinate; `None` for null.
fn coord<C: Coord>(array: &ArrayRef, row: usize) -> Option<C> {
    if array.is_null(row) {
        return None;
    }
    C::from_cell(array, row)
}

/// An Int64 argument (`low`, `high`).
fn whole(array: &ArrayRef, row: usize) -> Option<i64> {
    if array.is_null(row) {
        return None;
    }
    Some(array.as_primitive_opt::<Int64Type>()?.value(row))
}

impl ScalarUDFImpl for SeriesUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.part {
            SeriesPart::Bin => DataType::Int64,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|arg| arg.to_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let out = if self.axis.real {
            self.run::<f64>(&arrays, rows)?
        } else {
            self.run::<i64>(&arrays, rows)?
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// `percentile(X, P)` of one bin (percentiles-aggregation-function.md): the nearest-rank
/// percentile of the bin's values (the smallest value with at least P% of the values at or
/// below it), from the list `array_agg` gathered. Values arrive as Int64 (whole numbers, ticks)
/// or Float64; the result has the same Arrow type.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NearestRankUdf {
    /// P, as the bits of an f64 (so the UDF can be hashed).
    percent: u64,
    real: bool,
    signature: Signature,
}

impl NearestRankUdf {
    /// The function for percentile `percent` (0 to 100) of whole or real values.
    pub fn udf(percent: f64, real: bool) -> ScalarUDF {
        ScalarUDF::from(NearestRankUdf {
            percent: percent.to_bits(),
            real,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

/// The index of the nearest-rank percentile among `count` sorted values.
fn nearest_rank(percent: f64, count: usize) -> Option<usize> {
    if count == 0 {
        return None;
    }
    let rank = (percent / 100.0 * count as f64).ceil();
    let rank = if rank.is_nan() || rank < 1.0 {
        1
    } else {
        (rank as usize).min(count)
    };
    Some(rank - 1)
}

impl ScalarUDFImpl for NearestRankUdf {
    fn name(&self) -> &str {
        "kql_percentile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.real {
            DataType::Float64
        } else {
            DataType::Int64
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let array = args.args[0].to_array(rows)?;
        let Some(lists) = array.as_list_opt::<i32>() else {
            return exec_err!("percentile() expects a list, got {}", array.data_type());
        };
        let percent = f64::from_bits(self.percent);
        let out: ArrayRef = if self.real {
            let mut out = Float64Builder::with_capacity(rows);
            for row in 0..rows {
                let mut values: Vec<f64> = match lists.is_null(row) {
                    true => Vec::new(),
                    false => match lists.value(row).as_primitive_opt::<Float64Type>() {
                        Some(items) => items.iter().flatten().filter(|x| !x.is_nan()).collect(),
                        None => Vec::new(),
                    },
                };
                values.sort_by(f64::total_cmp);
                out.append_option(nearest_rank(percent, values.len()).map(|i| values[i]));
            }
            Arc::new(out.finish())
        } else {
            let mut out = Int64Builder::with_capacity(rows);
            for row in 0..rows {
                let mut values: Vec<i64> = match lists.is_null(row) {
                    true => Vec::new(),
                    false => match lists.value(row).as_primitive_opt::<Int64Type>() {
                        Some(items) => items.iter().flatten().collect(),
                        None => Vec::new(),
                    },
                };
                values.sort_unstable();
                out.append_option(nearest_rank(percent, values.len()).map(|i| values[i]));
            }
            Arc::new(out.finish())
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = time::TICKS_PER_DAY;

    fn axis(inclusive: bool, has_start: bool, has_end: bool) -> SeriesAxis {
        SeriesAxis {
            ty: KqlType::DateTime,
            real: false,
            inclusive,
            has_start,
            has_end,
        }
    }

    #[test]
    fn bins_count_from_the_start_and_stop_before_the_end() {
        let a = axis(false, true, true);
        let (start, end) = (10 * DAY, 19 * DAY);
        let bin = |v: i64| a.bin(Some(v), Some(start), Some(end), Some(DAY));
        assert_eq!(bin(start), Some(0));
        assert_eq!(bin(start + DAY / 2), Some(0));
        assert_eq!(bin(start - 1), None);
        assert_eq!(bin(end - 1), Some(8));
        assert_eq!(bin(end), None);
        let layout = a.layout(Some(start), Some(end), Some(DAY), None, None);
        assert_eq!(
            layout,
            Some(Layout {
                origin: start,
                first: 0,
                count: 9
            })
        );
        // An end that is not on a bin boundary still gets the bin it falls in.
        let layout = a.layout(Some(start), Some(end + 1), Some(DAY), None, None);
        assert_eq!(layout.map(|l| l.count), Some(10));
        // An end before the start: no bins; a step that is not positive: nothing.
        let layout = a.layout(Some(end), Some(start), Some(DAY), None, None);
        assert_eq!(layout.map(|l| l.count), Some(0));
        assert_eq!(a.layout(Some(start), Some(end), Some(0), None, None), None);
        assert_eq!(a.bin(Some(start), Some(start), Some(end), Some(-DAY)), None);
    }

    #[test]
    fn missing_bounds_take_the_bins_with_data() {
        let a = axis(false, false, false);
        let natural = time::UNIX_EPOCH_TICKS;
        let bin = a.bin(Some(natural + 3 * DAY + 5), None, None, Some(DAY));
        assert_eq!(bin, Some(3));
        let layout = a.layout::<i64>(None, None, Some(DAY), Some(3), Some(7));
        assert_eq!(
            layout,
            Some(Layout {
                origin: natural,
                first: 3,
                count: 5
            })
        );
        // No data anywhere: an empty series.
        assert_eq!(a.layout::<i64>(None, None, Some(DAY), None, None), None);
        // `from` without `to`: up to the last bin with data.
        let a = axis(false, true, false);
        let layout = a.layout(Some(natural), None, Some(DAY), Some(2), Some(4));
        assert_eq!(layout.map(|l| (l.first, l.count)), Some((0, 5)));
        // `to` without `from`: from the first bin with data.
        let a = axis(false, false, true);
        let layout = a.layout(None, Some(natural + 10 * DAY), Some(DAY), Some(2), Some(4));
        assert_eq!(layout.map(|l| (l.first, l.count)), Some((2, 8)));
    }

    #[test]
    fn range_form_aligns_like_bin_and_includes_the_stop() {
        let a = axis(true, true, true);
        let natural = time::UNIX_EPOCH_TICKS;
        let start = natural + DAY + DAY / 2;
        let stop = natural + 4 * DAY;
        let layout = a.layout(Some(start), Some(stop), Some(DAY), None, None);
        assert_eq!(
            layout,
            Some(Layout {
                origin: natural + DAY,
                first: 0,
                count: 4
            })
        );
        let bin = |v: i64| a.bin(Some(v), Some(start), Some(stop), Some(DAY));
        assert_eq!(bin(natural + DAY), Some(0));
        assert_eq!(bin(stop), Some(3));
        assert_eq!(bin(stop + DAY - 1), Some(3));
        assert_eq!(bin(stop + DAY), None);
        assert_eq!(bin(natural), None);
    }

    #[test]
    fn real_axes_and_extremes() {
        let a = SeriesAxis {
            ty: KqlType::Real,
            real: true,
            inclusive: false,
            has_start: true,
            has_end: true,
        };
        assert_eq!(a.bin(Some(2.5), Some(0.0), Some(10.0), Some(0.5)), Some(5));
        assert_eq!(
            a.bin(Some(f64::NAN), Some(0.0), Some(10.0), Some(0.5)),
            None
        );
        assert_eq!(
            a.layout(Some(0.0), Some(10.0), Some(f64::NAN), None, None),
            None
        );
        let layout = a.layout(Some(0.0), Some(1e300), Some(1e-300), None, None);
        assert_eq!(layout.map(|l| l.count), Some(MAX_SERIES_LENGTH));
        let a = SeriesAxis {
            ty: KqlType::Long,
            ..axis(false, true, true)
        };
        // Whole arithmetic over the full range of i64 neither wraps nor panics.
        assert_eq!(
            a.bin(Some(i64::MAX), Some(i64::MIN), Some(i64::MAX), Some(1)),
            None
        );
        let layout = a.layout(Some(i64::MIN), Some(i64::MAX), Some(1), None, None);
        assert_eq!(layout.map(|l| l.count), Some(MAX_SERIES_LENGTH));
        assert_eq!(i64::at(i64::MAX, 2, i64::MAX), None);
    }

    #[test]
    fn axis_values_as_json() {
        assert_eq!(
            (time::UNIX_EPOCH_TICKS).json(KqlType::DateTime),
            Json::String("1970-01-01T00:00:00.0000000Z".into())
        );
        assert_eq!((-1i64).json(KqlType::DateTime), Json::Null);
        assert_eq!(
            time::TICKS_PER_HOUR.json(KqlType::Timespan),
            Json::String("01:00:00".into())
        );
        assert_eq!(5i64.json(KqlType::Long), Json::from(5));
        assert_eq!(0.5f64.json(KqlType::Real), Json::from(0.5));
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(50.0, 4), Some(1));
        assert_eq!(nearest_rank(95.0, 10), Some(9));
        assert_eq!(nearest_rank(0.0, 10), Some(0));
        assert_eq!(nearest_rank(100.0, 10), Some(9));
        assert_eq!(nearest_rank(150.0, 3), Some(2));
        assert_eq!(nearest_rank(f64::NAN, 3), Some(0));
        assert_eq!(nearest_rank(50.0, 0), None);
    }
}
