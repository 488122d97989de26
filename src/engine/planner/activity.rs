//! `evaluate`'s user-analytics plugins (user-analytics.md and each plugin's page):
//! `active_users_count`, `activity_counts_metrics`, `activity_engagement`, `activity_metrics`,
//! `new_activity_metrics` and `sliding_window_counts`.
//!
//! The plan: the rows in the analysis range (`Start ≤ t ≤ End`; for `active_users_count` from
//! `Start − LookbackWindow` on, as its lookback reads earlier rows) → the rows per dimensions,
//! user and timeline value → each user's moments (`array_agg`), marked when the id is in
//! `new_activity_metrics`' lookback table (a left join) → each dimensions combination's users
//! (`array_agg`) → [`ActivityUdf`], which computes the combination's rows as a list, spread by
//! an unnest. Rows with a null timeline value are in no period; rows with a null id count in
//! `count`/`Count` but are no user (as `dcount()` leaves nulls out).
//!
//! Columns: the timeline column (the period's start, of the timeline's type; `from_T` and
//! `to_T` for `new_activity_metrics`), then the dimensions and the metrics, in the order each
//! page's output schema gives: dimensions before the metrics for `active_users_count` and
//! `sliding_window_counts` (and `activity_counts_metrics`, whose page does not place them),
//! after them for `activity_engagement`, `activity_metrics` and `new_activity_metrics`. Where a
//! page's schema and its own example disagree, the example wins (active_users_count's `dcount`,
//! sliding_window_counts' `Count` and `dcount`). `dcount_churn_values` is a long: the page's
//! type row says double, but it counts users, and Microsoft's language service types it long.
//!
//! Periods run from `Start` by the step; `activity_counts_metrics`, `activity_metrics` and
//! `new_activity_metrics` give a row for every period of `Start`…`End` for each dimensions
//! combination with rows (new-activity-metrics-plugin.md shows a period without activity), the
//! others only the periods with something to count (active-users-count-plugin.md's output skips
//! them). Without `Start`/`End` (`activity_metrics`, `activity_engagement`), periods are aligned
//! as `bin()` aligns them and run from each combination's first period with data to its last.
//! The calendar steps `week`, `month` and `year` are refused: new-activity-metrics-plugin.md
//! says a `Start` that is not a Sunday leaves the first weekly cohort empty, which shows periods
//! and rows are aligned differently there, in a way the pages do not spell out.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, JoinType, ScalarValue, UnnestOptions};
use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, cast, lit};

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::engine::udf_activity::{
    Activity, ActivityUdf, MAX_PERIODS, MAX_ROWS, MOMENT_ROWS, MOMENT_TIME, PERIOD, Periods,
    TO_PERIOD, USER_KNOWN, USER_NULL, USER_TIMES,
};
use crate::kql::Span;
use crate::kql::ast::{Evaluate, Expr, ExprKind, Ident};
use crate::kql::time;
use crate::results::KqlType;

/// The hidden columns of the plan.
const ID: &str = "__activity_id";
const NULL_ID: &str = "__activity_null";
const TIME: &str = "__activity_t";
const ROWS: &str = "__activity_n";
const MOMENTS: &str = "__activity_moments";
const LOOKBACK_ID: &str = "__activity_lookback";
const USERS: &str = "__activity_users";
const OUTPUT: &str = "__activity_rows";

/// Each plugin's arguments, for messages.
fn syntax(plugin: &str) -> &'static str {
    match plugin {
        "active_users_count" => {
            "active_users_count(IdColumn, TimelineColumn, Start, End, LookbackWindow, Period, ActivePeriodsCount, Bin [, dim1, …])"
        }
        "activity_counts_metrics" => {
            "activity_counts_metrics(IdColumn, TimelineColumn, Start, End, Step [, dim1, …])"
        }
        "activity_engagement" => {
            "activity_engagement(IdColumn, TimelineColumn, [Start, End,] InnerActivityWindow, OuterActivityWindow [, dim1, …])"
        }
        "activity_metrics" => {
            "activity_metrics(IdColumn, TimelineColumn, [Start, End,] Window [, dim1, …])"
        }
        "new_activity_metrics" => {
            "new_activity_metrics(IdColumn, TimelineColumn, Start, End, Window [, Cohort] [, dim1, …] [, Lookback])"
        }
        _ => {
            "sliding_window_counts(IdColumn, TimelineColumn, Start, End, LookbackWindow, Bin [, dim1, …])"
        }
    }
}

/// The timeline's kind of values: its points (Start, End, Cohort) and lengths (steps,
/// windows) must be of the matching types.
#[derive(Clone, Copy)]
struct Axis {
    timeline: KqlType,
}

impl Axis {
    fn point_type(self) -> &'static str {
        match self.timeline {
            KqlType::DateTime => "a datetime",
            KqlType::Timespan => "a timespan",
            _ => "a whole number",
        }
    }

    fn length_type(self) -> &'static str {
        match self.timeline {
            KqlType::DateTime | KqlType::Timespan => "a timespan",
            _ => "a whole number",
        }
    }

    fn fits_point(self, ty: KqlType) -> bool {
        match self.timeline {
            KqlType::DateTime | KqlType::Timespan => ty == self.timeline,
            _ => matches!(ty, KqlType::Long | KqlType::Int),
        }
    }

    fn fits_length(self, ty: KqlType) -> bool {
        match self.timeline {
            KqlType::DateTime | KqlType::Timespan => ty == KqlType::Timespan,
            _ => matches!(ty, KqlType::Long | KqlType::Int),
        }
    }

    /// Where periods start without a `Start`: `bin()`'s alignment.
    fn natural_origin(self) -> i64 {
        if self.timeline == KqlType::DateTime {
            time::UNIX_EPOCH_TICKS
        } else {
            0
        }
    }
}

/// A planned plugin call.
struct Call {
    plugin: &'static str,
    id: (String, KqlType),
    timeline: (String, KqlType),
    dims: Vec<(String, KqlType)>,
    activity: Activity,
    periods: Periods,
    /// The rows read: timeline values from `low` to `high`, both included.
    low: Option<i64>,
    high: Option<i64>,
    /// `new_activity_metrics`' lookback table.
    lookback: Option<(Frame, Span)>,
}

/// A whole-number value of a constant.
fn whole(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::Int64(Some(v)) => Some(*v),
        ScalarValue::Int32(Some(v)) => Some(i64::from(*v)),
        _ => None,
    }
}

impl Planner<'_> {
    /// The user-analytics plugins, planned; `evaluate` dispatches them here by name.
    pub(super) fn activity(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let plugin: &'static str = match evaluate.plugin.name.as_str() {
            "active_users_count" => "active_users_count",
            "activity_counts_metrics" => "activity_counts_metrics",
            "activity_engagement" => "activity_engagement",
            "activity_metrics" => "activity_metrics",
            "new_activity_metrics" => "new_activity_metrics",
            "sliding_window_counts" => "sliding_window_counts",
            other => {
                return Err(self.unsupported(
                    format!("the '{other}' plugin is not supported by the local engine yet"),
                    evaluate.plugin.span,
                ));
            }
        };
        if let Some((name, _)) = evaluate.schema.as_ref().and_then(|s| s.first()) {
            return Err(self.unsupported(
                format!("{plugin} makes its own columns; an output schema is not supported by the local engine"),
                name.span,
            ));
        }
        let call = self.activity_call(plugin, &frame, &evaluate.args, span)?;
        self.activity_plan(frame, call, span)
    }

    /// The arguments of `plugin`, checked.
    fn activity_call(
        &mut self,
        plugin: &'static str,
        frame: &Frame,
        args: &[Expr],
        span: Span,
    ) -> Result<Call, QueryError> {
        let arity = |this: &Self| this.semantic(format!("the syntax is {}", syntax(plugin)), span);
        if args.len() < 3 {
            return Err(arity(self));
        }
        let id = self.activity_column(plugin, "IdColumn", &args[0], frame)?;
        let timeline = self.activity_column(plugin, "TimelineColumn", &args[1], frame)?;
        let axis = match timeline.1 {
            KqlType::DateTime | KqlType::Timespan | KqlType::Long | KqlType::Int => Axis {
                timeline: timeline.1,
            },
            KqlType::Real | KqlType::Decimal => {
                return Err(self.unsupported(
                    format!(
                        "{plugin} over a real timeline is not supported by the local engine yet"
                    ),
                    args[1].span,
                ));
            }
            other => {
                return Err(self.semantic(
                    format!(
                        "{plugin}: TimelineColumn is a datetime, timespan or number column, '{}' is {}",
                        timeline.0,
                        other.with_article()
                    ),
                    args[1].span,
                ));
            }
        };
        let mut call = Call {
            plugin,
            id,
            timeline,
            dims: Vec::new(),
            activity: Activity::CountsMetrics,
            periods: Periods {
                origin: 0,
                step: 1,
                last: None,
            },
            low: None,
            high: None,
            lookback: None,
        };
        // (Start, End) at args[at], args[at + 1]: the analysis range, from Start by `step`.
        let range = |this: &mut Self, call: &mut Call, at: usize, step: (i64, Span)| {
            let start = this.activity_point(plugin, "Start", &args[at], frame, axis)?;
            let end = this.activity_point(plugin, "End", &args[at + 1], frame, axis)?;
            let last = this.activity_last(plugin, (start, end), args[at + 1].span, step)?;
            call.periods = Periods {
                origin: start,
                step: step.0,
                last: Some(last),
            };
            call.low = Some(start);
            call.high = Some(end);
            Ok::<(i64, i64), QueryError>((start, end))
        };
        let dims_from = match plugin {
            "active_users_count" => {
                if args.len() < 8 {
                    return Err(arity(self));
                }
                let lookback =
                    self.activity_length(plugin, "LookbackWindow", &args[4], frame, axis, false)?;
                let period =
                    self.activity_length(plugin, "Period", &args[5], frame, axis, false)?;
                let active_periods = self.activity_count(plugin, &args[6], frame)?;
                let bin = self.activity_length(plugin, "Bin", &args[7], frame, axis, true)?;
                let (start, _) = range(self, &mut call, 2, (bin, args[7].span))?;
                // The lookback of an appearance at Start reaches back to just after
                // Start − LookbackWindow.
                let earliest = i128::from(start) - i128::from(lookback) + 1;
                call.low = Some(i64::try_from(earliest).unwrap_or(i64::MIN));
                call.activity = Activity::ActiveUsers {
                    lookback,
                    period,
                    active_periods,
                };
                8
            }
            "activity_counts_metrics" => {
                if args.len() < 5 {
                    return Err(arity(self));
                }
                let step = self.activity_length(plugin, "Step", &args[4], frame, axis, true)?;
                range(self, &mut call, 2, (step, args[4].span))?;
                call.activity = Activity::CountsMetrics;
                5
            }
            "sliding_window_counts" => {
                if args.len() < 6 {
                    return Err(arity(self));
                }
                let lookback =
                    self.activity_length(plugin, "LookbackWindow", &args[4], frame, axis, false)?;
                let bin = self.activity_length(plugin, "Bin", &args[5], frame, axis, true)?;
                range(self, &mut call, 2, (bin, args[5].span))?;
                // The page: a lookback that is not a multiple of Bin is rounded down to one.
                let window = lookback / bin * bin;
                if window == 0 {
                    return Err(self.semantic(
                        format!("{plugin}: LookbackWindow is shorter than Bin"),
                        args[4].span,
                    ));
                }
                call.activity = Activity::SlidingCounts { window };
                6
            }
            "activity_metrics" | "activity_engagement" => {
                // [Start, End,] then one length (activity_metrics' Window) or two
                // (activity_engagement's inner and outer windows), then dimension columns.
                let lengths = if plugin == "activity_metrics" { 1 } else { 2 };
                let bounded = args.len() >= 4 + lengths
                    && args[2 + lengths..4 + lengths]
                        .iter()
                        .all(|a| !is_column_of(a, frame));
                let first = if bounded { 4 } else { 2 };
                if args.len() < first + lengths {
                    return Err(arity(self));
                }
                let (what, calendar) = if lengths == 1 {
                    ("Window", true)
                } else {
                    ("InnerActivityWindow", false)
                };
                let step =
                    self.activity_length(plugin, what, &args[first], frame, axis, calendar)?;
                if bounded {
                    range(self, &mut call, 2, (step, args[first].span))?;
                } else {
                    call.periods = Periods {
                        origin: axis.natural_origin(),
                        step,
                        last: None,
                    };
                }
                call.activity = if lengths == 1 {
                    Activity::Metrics
                } else {
                    let outer = self.activity_length(
                        plugin,
                        "OuterActivityWindow",
                        &args[first + 1],
                        frame,
                        axis,
                        false,
                    )?;
                    Activity::Engagement { outer }
                };
                first + lengths
            }
            _ => {
                // new_activity_metrics
                if args.len() < 5 {
                    return Err(arity(self));
                }
                let window = self.activity_length(plugin, "Window", &args[4], frame, axis, true)?;
                let (start, _) = range(self, &mut call, 2, (window, args[4].span))?;
                let mut at = 5;
                let mut cohort = None;
                if let Some(arg) = args.get(5)
                    && !is_column_of(arg, frame)
                    && !self.is_tabular(arg, frame)
                {
                    let value = self.activity_point(plugin, "Cohort", arg, frame, axis)?;
                    let k = (i128::from(value) - i128::from(start)).div_euclid(i128::from(window));
                    // A cohort outside the range has no rows (-1 is no period).
                    cohort = Some(i64::try_from(k).unwrap_or(-1));
                    at = 6;
                }
                if let Some(last) = args.last()
                    && args.len() > at
                    && !is_column_of(last, frame)
                    && let Some(table) = self.tabular_operand(last, frame)
                {
                    call.lookback = Some((table?, last.span));
                }
                let periods = call.periods.last.unwrap_or(0).saturating_add(1);
                let pairs = i128::from(periods) * (i128::from(periods) + 1) / 2;
                if cohort.is_none() && pairs > MAX_ROWS as i128 {
                    return Err(self.unsupported(
                        format!(
                            "{plugin} would compare {periods} periods pairwise ({pairs} rows), more than the local engine's {MAX_ROWS}; use a longer Window, a shorter range or a Cohort"
                        ),
                        args[4].span,
                    ));
                }
                call.activity = Activity::NewMetrics { cohort };
                at
            }
        };
        let dims_end = args.len() - usize::from(call.lookback.is_some());
        for arg in &args[dims_from.min(dims_end)..dims_end] {
            if !matches!(arg.kind, ExprKind::Column(_)) {
                return Err(self.semantic(
                    format!(
                        "{plugin} takes dimension columns of the input here (the syntax is {})",
                        syntax(plugin)
                    ),
                    arg.span,
                ));
            }
            let dim = self.activity_column(plugin, "dimension", arg, frame)?;
            if call.dims.iter().any(|(n, _)| *n == dim.0) {
                return Err(self.semantic(
                    format!("the dimension '{}' is given twice", dim.0),
                    arg.span,
                ));
            }
            call.dims.push(dim);
        }
        if let Some((_, at)) = &call.lookback
            && let Some((dim, _)) = call.dims.first()
        {
            return Err(self.unsupported(
                format!(
                    "{plugin} with both dimensions ('{dim}') and a lookback table is not supported by the local engine yet"
                ),
                *at,
            ));
        }
        Ok(call)
    }

    /// A column argument: its name and type.
    fn activity_column(
        &self,
        plugin: &str,
        what: &str,
        arg: &Expr,
        frame: &Frame,
    ) -> Result<(String, KqlType), QueryError> {
        let ExprKind::Column(name) = &arg.kind else {
            return Err(self.semantic(
                format!("{plugin}: {what} is a column of the input"),
                arg.span,
            ));
        };
        let ty = self.require_column(
            frame,
            &Ident {
                name: name.clone(),
                span: arg.span,
            },
        )?;
        Ok((name.clone(), ty))
    }

    /// Whether `arg` is a table (a tabular let, a table, a subquery) rather than a value.
    fn is_tabular(&self, arg: &Expr, frame: &Frame) -> bool {
        match &arg.kind {
            ExprKind::Tabular(_) => true,
            ExprKind::Column(name) => {
                frame.column_type(name).is_none()
                    && !self.parameters.contains_key(name)
                    && !self.scalars.contains_key(name)
                    && (self.tabulars.contains_key(name) || self.catalog.get(name).is_some())
            }
            _ => false,
        }
    }

    /// A constant argument: its type and value (not null).
    fn activity_constant(
        &mut self,
        plugin: &str,
        what: &str,
        arg: &Expr,
        frame: &Frame,
    ) -> Result<(KqlType, ScalarValue), QueryError> {
        let not_constant =
            |this: &Self| this.semantic(format!("{plugin}: {what} is a constant"), arg.span);
        if is_column_of(arg, frame) {
            return Err(not_constant(self));
        }
        let typed = self.expr(arg, &Frame::empty())?;
        match super::functions::constant_value(typed.expr) {
            Some(value) if !value.is_null() => Ok((typed.ty, value)),
            _ => Err(not_constant(self)),
        }
    }

    /// A point on the timeline (Start, End, Cohort).
    fn activity_point(
        &mut self,
        plugin: &str,
        what: &str,
        arg: &Expr,
        frame: &Frame,
        axis: Axis,
    ) -> Result<i64, QueryError> {
        let (ty, value) = self.activity_constant(plugin, what, arg, frame)?;
        match whole(&value) {
            Some(v) if axis.fits_point(ty) => Ok(v),
            _ => Err(self.semantic(
                format!(
                    "{plugin}: {what} is {} as the timeline is {}, this is {}",
                    axis.point_type(),
                    axis.timeline.with_article(),
                    ty.with_article()
                ),
                arg.span,
            )),
        }
    }

    /// A length on the timeline (a step, a window), greater than zero. `calendar`: the page
    /// also allows 'week', 'month' and 'year', which the local engine refuses.
    fn activity_length(
        &mut self,
        plugin: &str,
        what: &str,
        arg: &Expr,
        frame: &Frame,
        axis: Axis,
        calendar: bool,
    ) -> Result<i64, QueryError> {
        let (ty, value) = self.activity_constant(plugin, what, arg, frame)?;
        if let (true, ScalarValue::Utf8(Some(text))) = (calendar, &value)
            && ["week", "month", "year"].contains(&text.as_str())
        {
            return Err(self.unsupported(
                format!(
                    "{plugin} with the calendar {what} '{text}' is not supported by the local engine yet; give a length such as 7d"
                ),
                arg.span,
            ));
        }
        let Some(length) = whole(&value).filter(|_| axis.fits_length(ty)) else {
            let also = if calendar {
                " (or 'week', 'month', 'year')"
            } else {
                ""
            };
            return Err(self.semantic(
                format!(
                    "{plugin}: {what} is {}{also} as the timeline is {}, this is {}",
                    axis.length_type(),
                    axis.timeline.with_article(),
                    ty.with_article()
                ),
                arg.span,
            ));
        };
        if length <= 0 {
            return Err(self.semantic(
                format!("{plugin}: {what} must be greater than zero"),
                arg.span,
            ));
        }
        Ok(length)
    }

    /// active_users_count's ActivePeriodsCount: the least number of distinct periods, as a
    /// whole number (a fraction rounds up: a count is at least 2.5 when it is at least 3).
    fn activity_count(
        &mut self,
        plugin: &str,
        arg: &Expr,
        frame: &Frame,
    ) -> Result<i64, QueryError> {
        let (_, value) = self.activity_constant(plugin, "ActivePeriodsCount", arg, frame)?;
        let number = match value {
            ScalarValue::Float64(Some(v)) if !v.is_nan() => v.ceil(),
            other => match whole(&other) {
                Some(v) => v as f64,
                None => {
                    return Err(self.semantic(
                        format!("{plugin}: ActivePeriodsCount is a number"),
                        arg.span,
                    ));
                }
            },
        };
        // Saturating: any count of 0 or less lets every appearance count.
        Ok(number.clamp(0.0, i64::MAX as f64) as i64)
    }

    /// The last period of `Start`…`End` by `step`, checked: End not before Start, and not more
    /// periods than the engine holds.
    fn activity_last(
        &self,
        plugin: &str,
        (start, end): (i64, i64),
        end_span: Span,
        (step, step_span): (i64, Span),
    ) -> Result<i64, QueryError> {
        if end < start {
            return Err(self.semantic(format!("{plugin}: End is before Start"), end_span));
        }
        let last = (i128::from(end) - i128::from(start)) / i128::from(step);
        if last >= i128::from(MAX_PERIODS) {
            return Err(self.unsupported(
                format!(
                    "{plugin} would cut Start…End into {} periods, more than the local engine's {MAX_PERIODS}; use a longer step",
                    last + 1
                ),
                step_span,
            ));
        }
        i64::try_from(last).map_err(|_| self.semantic("too many periods", step_span))
    }

    /// The plan of a checked call.
    fn activity_plan(&mut self, frame: Frame, call: Call, span: Span) -> Result<Frame, QueryError> {
        let engine = |this: &Self, e| this.engine_error(e, span);
        let (timeline, timeline_type) = call.timeline.clone();
        let metrics = call.activity.metrics();
        let periods: Vec<(String, &str)> = if call.activity.pairs() {
            vec![
                (format!("from_{timeline}"), PERIOD),
                (format!("to_{timeline}"), TO_PERIOD),
            ]
        } else {
            vec![(timeline.clone(), PERIOD)]
        };
        for (dim, _) in &call.dims {
            let taken = periods.iter().any(|(n, _)| n == dim)
                || metrics.iter().any(|(n, _)| n == dim)
                || dim.starts_with("__activity_");
            if taken {
                return Err(self.semantic(
                    format!(
                        "{} makes a column '{dim}', which is also a dimension",
                        call.plugin
                    ),
                    span,
                ));
            }
        }
        let dims = || -> Vec<DfExpr> { call.dims.iter().map(|(n, _)| column(n)).collect() };

        // The rows read.
        let mut exprs = dims();
        exprs.push(column(&call.id.0).alias(ID));
        exprs.push(column(&call.id.0).is_null().alias(NULL_ID));
        exprs.push(cast(column(&timeline), DataType::Int64).alias(TIME));
        let mut condition = column(TIME).is_not_null();
        if let Some(low) = call.low {
            condition = condition.and(column(TIME).gt_eq(lit(low)));
        }
        if let Some(high) = call.high {
            condition = condition.and(column(TIME).lt_eq(lit(high)));
        }
        // Per user and timeline value, the rows; then per user, those moments.
        let mut moment_keys = dims();
        moment_keys.extend([column(ID), column(NULL_ID), column(TIME)]);
        let mut user_keys = dims();
        user_keys.extend([column(ID), column(NULL_ID)]);
        let moment = named_struct(vec![
            lit(MOMENT_TIME),
            column(TIME),
            lit(MOMENT_ROWS),
            column(ROWS),
        ]);
        let mut builder = frame
            .builder
            .project(exprs)
            .and_then(|b| b.filter(condition))
            .and_then(|b| b.aggregate(moment_keys, vec![agg::count(lit(1i64)).alias(ROWS)]))
            .and_then(|b| b.aggregate(user_keys, vec![agg::array_agg(moment).alias(MOMENTS)]))
            .map_err(|e| engine(self, e))?;

        // The users of the lookback table are known, never new.
        let known = match call.lookback {
            Some((table, at)) => {
                let Some(ty) = table.column_type(&call.id.0) else {
                    return Err(self.semantic(
                        format!(
                            "{}: the lookback table has no column '{}' (the IdColumn)",
                            call.plugin, call.id.0
                        ),
                        at,
                    ));
                };
                if ty != call.id.1 {
                    return Err(self.semantic(
                        format!(
                            "the lookback table's '{}' is {}, the input's is {}",
                            call.id.0,
                            ty.with_article(),
                            call.id.1.with_article()
                        ),
                        at,
                    ));
                }
                let ids = table
                    .builder
                    .project(vec![column(&call.id.0).alias(LOOKBACK_ID)])
                    .and_then(|b| b.filter(column(LOOKBACK_ID).is_not_null()))
                    .and_then(|b| b.distinct())
                    .and_then(|b| b.build())
                    .map_err(|e| engine(self, e))?;
                builder = builder
                    .join(
                        ids,
                        JoinType::Left,
                        (
                            vec![Column::from_name(ID)],
                            vec![Column::from_name(LOOKBACK_ID)],
                        ),
                        None,
                    )
                    .map_err(|e| engine(self, e))?;
                column(LOOKBACK_ID).is_not_null()
            }
            None => lit(false),
        };

        // Per dimensions combination, the users; then the rows.
        let user = named_struct(vec![
            lit(USER_NULL),
            column(NULL_ID),
            lit(USER_KNOWN),
            known,
            lit(USER_TIMES),
            column(MOMENTS),
        ]);
        let udf = Arc::new(ActivityUdf::udf(call.plugin, call.activity, call.periods));
        let mut exprs = dims();
        exprs.push(udf.call(vec![column(USERS)]).alias(OUTPUT));
        let builder = builder
            .aggregate(dims(), vec![agg::array_agg(user).alias(USERS)])
            .and_then(|b| b.project(exprs))
            .and_then(|b| {
                b.unnest_columns_with_options(
                    vec![Column::from_name(OUTPUT)],
                    UnnestOptions::new().with_preserve_nulls(false),
                )
            })
            .map_err(|e| engine(self, e))?;

        // The columns, in the page's order.
        let field = |name: &str| get_field(column(OUTPUT), name);
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (name, part) in &periods {
            exprs.push(cast(field(part), timeline_type.arrow_type()).alias(name.as_str()));
            columns.push((name.clone(), timeline_type));
        }
        let dims_first = matches!(
            call.activity,
            Activity::ActiveUsers { .. } | Activity::CountsMetrics | Activity::SlidingCounts { .. }
        );
        let mut dim_exprs = dims();
        let mut dim_columns = call.dims.clone();
        let mut metric_exprs = Vec::new();
        let mut metric_columns = Vec::new();
        for (name, ty) in metrics {
            metric_exprs.push(field(name).alias(*name));
            metric_columns.push((name.to_string(), *ty));
        }
        if dims_first {
            exprs.append(&mut dim_exprs);
            columns.append(&mut dim_columns);
            exprs.append(&mut metric_exprs);
            columns.append(&mut metric_columns);
        } else {
            exprs.append(&mut metric_exprs);
            columns.append(&mut metric_columns);
            exprs.append(&mut dim_exprs);
            columns.append(&mut dim_columns);
        }
        let builder = builder.project(exprs).map_err(|e| engine(self, e))?;
        Ok(Frame { builder, columns })
    }
}

/// Whether `arg` names a column of `frame`.
fn is_column_of(arg: &Expr, frame: &Frame) -> bool {
    matches!(&arg.kind, ExprKind::Column(name) if frame.column_type(name).is_some())
}
