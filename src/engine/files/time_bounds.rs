//! Time conditions on Parquet files compare the file's own timestamps, so DataFusion can skip
//! the row groups and pages whose statistics rule them out (issue 10: a folder of exports opens
//! at once, and `where Timestamp > ago(1d)` reads only the recent part of it).
//!
//! A Parquet timestamp reaches KQL as ticks through `kql_ticks_of_…` (parquet.rs), which
//! pruning cannot see through. `ticks(ts) > L` is rewritten as `ts >= a(L + 1)`, where `a(L)`
//! is the least raw value whose ticks reach `L`; the conversion is monotonic, so this is the same
//! condition for every row (null stays null). Units coarser than 100 ns also keep the raw value
//! inside the range whose ticks do not overflow (where the conversion gives null).

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, ExprSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::parquet::{TicksUdf, ticks_per};
use crate::engine::string_views::rewrite_conditions;

/// The optimizer rule (placed before common subexpressions are pulled out of filters).
#[derive(Debug, Default)]
pub struct TimeBoundsOnFiles;

impl OptimizerRule for TimeBoundsOnFiles {
    fn name(&self) -> &str {
        "time_bounds_on_files"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let rewritten = rewrite_conditions(&plan, |conditions, schema| {
            let mut changed = false;
            let conditions = conditions
                .into_iter()
                .map(|condition| match raw_conjunct(&condition, schema) {
                    Some(raw) => {
                        changed = true;
                        raw
                    }
                    None => condition,
                })
                .collect();
            Ok(changed.then_some(conditions))
        })?;
        Ok(match rewritten {
            Some(plan) => Transformed::yes(plan),
            None => Transformed::no(plan),
        })
    }
}

/// A filter's conjunct `ticks(column) <op> literal` (either way round) as a comparison of the
/// raw column. Only whole conjuncts: there a null and a false both drop the row, which makes
/// `IS NOT DISTINCT FROM` a literal the same as `=`, and a value whose conversion overflows
/// (null) the same as one outside the range.
fn raw_conjunct(conjunct: &Expr, schema: &DFSchema) -> Option<Expr> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = conjunct else {
        return None;
    };
    let op = match op {
        Operator::IsNotDistinctFrom => Operator::Eq,
        other => *other,
    };
    match (left.as_ref(), right.as_ref()) {
        (call, Expr::Literal(bound, _)) => raw_comparison(call, op, bound, schema),
        (Expr::Literal(bound, _), call) => raw_comparison(call, op.swap()?, bound, schema),
        _ => None,
    }
}

/// `ticks(column) <op> bound` as conditions on the raw column, when `ticks` is the conversion of
/// a column and `bound` a long.
fn raw_comparison(
    ticks: &Expr,
    op: Operator,
    bound: &ScalarValue,
    schema: &DFSchema,
) -> Option<Expr> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = ticks else {
        return None;
    };
    let conversion = func.inner().downcast_ref::<TicksUdf>()?;
    let [Expr::Column(column)] = args.as_slice() else {
        return None;
    };
    let ScalarValue::Int64(Some(bound)) = bound else {
        return None;
    };
    let raw_type = schema.field_from_column(column).ok()?.data_type().clone();
    let (unit, epoch) = conversion.unit_and_epoch();
    let least = |ticks: i128| least_raw(unit, epoch, ticks);
    let raw = |value: i64| raw_literal(&raw_type, value);
    let column = Expr::Column(column.clone());
    let bound = i128::from(*bound);
    // a(L) is the least raw value with ticks(raw) >= L.
    let mut conditions = match op {
        Operator::GtEq => vec![column.clone().gt_eq(raw(least(bound)?)?)],
        Operator::Gt => vec![column.clone().gt_eq(raw(least(bound + 1)?)?)],
        Operator::Lt => vec![column.clone().lt(raw(least(bound)?)?)],
        Operator::LtEq => vec![column.clone().lt(raw(least(bound + 1)?)?)],
        Operator::Eq => vec![
            column.clone().gt_eq(raw(least(bound)?)?),
            column.clone().lt(raw(least(bound + 1)?)?),
        ],
        _ => return None,
    };
    // Where the conversion overflows it gives null: those raw values never pass.
    if let Some((low, high)) = convertible_range(unit, epoch) {
        conditions.push(column.clone().gt_eq(raw(low)?));
        conditions.push(column.lt_eq(raw(high)?));
    }
    conditions.into_iter().reduce(Expr::and)
}

/// The least raw value whose ticks are at least `ticks`, when it is an i64 (the same rules as
/// `TicksUdf`: nanoseconds floored to ticks, other units multiplied).
fn least_raw(unit: TimeUnit, epoch: i64, ticks: i128) -> Option<i64> {
    let offset = ticks - i128::from(epoch);
    let raw = match ticks_per(unit) {
        // floor(v / 100) >= offset  <=>  v >= offset * 100
        None => offset * 100,
        // v * per >= offset  <=>  v >= ceil(offset / per)
        Some(per) => ceil_div(offset, i128::from(per)),
    };
    i64::try_from(raw).ok()
}

/// The raw values whose ticks fit an i64, for the units that can overflow: `TicksUdf` gives
/// null when `raw * per` or `raw * per + epoch` leaves the i64 range.
fn convertible_range(unit: TimeUnit, epoch: i64) -> Option<(i64, i64)> {
    // Nanoseconds never overflow.
    let per = i128::from(ticks_per(unit)?);
    let (min, max) = (i128::from(i64::MIN), i128::from(i64::MAX));
    let epoch = i128::from(epoch);
    // The product must lie in [min, max] and in [min - epoch, max - epoch].
    let (product_low, product_high) = (min.max(min - epoch), max.min(max - epoch));
    let low = ceil_div(product_low, per);
    let high = product_high.div_euclid(per);
    Some((i64::try_from(low).ok()?, i64::try_from(high).ok()?))
}

/// `a / b` rounded up (`b` > 0).
fn ceil_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b) + i128::from(a.rem_euclid(b) != 0)
}

/// A literal of the column's own type (its unit and time zone).
fn raw_literal(raw_type: &DataType, value: i64) -> Option<Expr> {
    let scalar = match raw_type {
        DataType::Timestamp(unit, zone) => {
            let zone = zone.clone();
            match unit {
                TimeUnit::Second => ScalarValue::TimestampSecond(Some(value), zone),
                TimeUnit::Millisecond => ScalarValue::TimestampMillisecond(Some(value), zone),
                TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(Some(value), zone),
                TimeUnit::Nanosecond => ScalarValue::TimestampNanosecond(Some(value), zone),
            }
        }
        DataType::Duration(unit) => match unit {
            TimeUnit::Second => ScalarValue::DurationSecond(Some(value)),
            TimeUnit::Millisecond => ScalarValue::DurationMillisecond(Some(value)),
            TimeUnit::Microsecond => ScalarValue::DurationMicrosecond(Some(value)),
            TimeUnit::Nanosecond => ScalarValue::DurationNanosecond(Some(value)),
        },
        _ => return None,
    };
    Some(Expr::Literal(scalar, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ticks `TicksUdf` gives a raw value, computed independently.
    fn ticks_of(unit: TimeUnit, epoch: i64, raw: i64) -> Option<i128> {
        let ticks = match ticks_per(unit) {
            None => raw.div_euclid(100).checked_add(epoch)?,
            Some(per) => raw.checked_mul(per)?.checked_add(epoch)?,
        };
        Some(i128::from(ticks))
    }

    #[test]
    fn the_least_raw_value_reaches_the_ticks_and_the_one_before_does_not() {
        let epoch = crate::kql::time::UNIX_EPOCH_TICKS;
        for unit in [
            TimeUnit::Nanosecond,
            TimeUnit::Microsecond,
            TimeUnit::Millisecond,
            TimeUnit::Second,
        ] {
            for base in [epoch, 0] {
                for ticks in [
                    -1_000_001i128,
                    -101,
                    -100,
                    -99,
                    -1,
                    0,
                    1,
                    99,
                    100,
                    101,
                    12_345_678,
                ] {
                    let target = i128::from(base) + ticks;
                    let least = least_raw(unit, base, target).unwrap();
                    assert!(
                        ticks_of(unit, base, least).unwrap() >= target,
                        "{unit:?} {ticks}"
                    );
                    assert!(
                        ticks_of(unit, base, least - 1).unwrap() < target,
                        "{unit:?} {ticks}: {least} is the least"
                    );
                }
            }
        }
    }

    #[test]
    fn the_convertible_range_is_where_ticks_do_not_overflow() {
        let epoch = crate::kql::time::UNIX_EPOCH_TICKS;
        for unit in [
            TimeUnit::Microsecond,
            TimeUnit::Millisecond,
            TimeUnit::Second,
        ] {
            for base in [epoch, 0] {
                let (low, high) = convertible_range(unit, base).unwrap();
                assert!(ticks_of(unit, base, low).is_some());
                assert!(ticks_of(unit, base, high).is_some());
                assert!(ticks_of(unit, base, low - 1).is_none(), "{unit:?} {base}");
                assert!(ticks_of(unit, base, high + 1).is_none(), "{unit:?} {base}");
            }
        }
        assert!(convertible_range(TimeUnit::Nanosecond, epoch).is_none());
    }
}
