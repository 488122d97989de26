//! The computation behind `evaluate`'s user-analytics plugins (user-analytics.md):
//! `active_users_count`, `activity_counts_metrics`, `activity_engagement`, `activity_metrics`,
//! `new_activity_metrics` and `sliding_window_counts`. The planner (`planner::activity`) reads
//! the rows in the analysis range, groups them by the dimensions and the user, and hands
//! [`ActivityUdf`] one row per dimensions combination: the list of its users, each a struct of
//! `null` (the id is null: its rows count in `count`/`Count`, never as a user), `known` (the id
//! is in `new_activity_metrics`' lookback table) and `times` (the user's distinct timeline
//! values `t`, as i64 ticks or whole numbers, each with its number of rows `n`). The function
//! returns that combination's output rows as a list of structs (`p`, the period's start; `q`,
//! the compared period's start for `new_activity_metrics`; then the metrics), which an unnest
//! spreads.
//!
//! Periods are counted from an origin (`Start`, or the alignment of `bin()` when the plugin is
//! given no `Start`): period `k` is `[origin + k·step, origin + (k+1)·step)`. The arithmetic is
//! in i128, so no timeline value or step overflows it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::results::KqlType;

/// The most periods one analysis range holds (the planner refuses a longer range, and a range
/// taken from the data fails past it): each period has a row per dimensions combination.
pub const MAX_PERIODS: i64 = 1 << 20;

/// The most rows one plugin makes over all its dimensions combinations: past it the query
/// fails rather than fill the memory (`new_activity_metrics` makes a row per pair of periods,
/// `activity_engagement` a row per period of a window that may hold millions). Each
/// combination's rows are counted before they are made.
pub const MAX_ROWS: usize = 1 << 22;

/// The field names of the function's input: a user's struct, and one of its moments.
pub const USER_NULL: &str = "null";
pub const USER_KNOWN: &str = "known";
pub const USER_TIMES: &str = "times";
pub const MOMENT_TIME: &str = "t";
pub const MOMENT_ROWS: &str = "n";

/// The field names of the output rows' periods: the period, and the compared one.
pub const PERIOD: &str = "p";
pub const TO_PERIOD: &str = "q";

/// How the timeline is cut into periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Periods {
    /// The start of period 0: `Start`, or `bin()`'s alignment (1970-01-01 for datetimes, else 0).
    pub origin: i64,
    /// A period's length (ticks or whole numbers), greater than zero.
    pub step: i64,
    /// The last period of the analysis (the one holding `End`); `None` when the plugin was given
    /// no `Start`/`End`: then each combination's periods run from its first period with data to
    /// its last.
    pub last: Option<i64>,
}

impl Periods {
    /// The period a timeline value falls in.
    fn index(&self, t: i64) -> i128 {
        (i128::from(t) - i128::from(self.origin)).div_euclid(i128::from(self.step))
    }

    /// The start of period `k`.
    fn start(&self, k: i128) -> Result<i64> {
        match i64::try_from(i128::from(self.origin) + k * i128::from(self.step)) {
            Ok(start) => Ok(start),
            Err(_) => exec_err!("an activity period starts outside the timeline's range"),
        }
    }

    /// The first and last periods of the output for these users; `None` when there are none.
    fn bounds(&self, users: &[User]) -> Option<(i128, i128)> {
        if let Some(last) = self.last {
            return (last >= 0).then_some((0, i128::from(last)));
        }
        let mut moments = users.iter().flat_map(|u| u.times.iter().map(|(t, _)| *t));
        let first = moments.next()?;
        let (low, high) = moments.fold((first, first), |(l, h), t| (l.min(t), h.max(t)));
        Some((self.index(low), self.index(high)))
    }

    /// The number of periods from `low` to `high`, when the plugin may hold them.
    fn count(low: i128, high: i128, plugin: &str) -> Result<usize> {
        let count = high - low + 1;
        if count > i128::from(MAX_PERIODS) {
            return exec_err!(
                "{plugin}: the data spans {count} periods, more than the local engine's {MAX_PERIODS}; use a longer period or give Start and End"
            );
        }
        Ok(usize::try_from(count.max(0)).unwrap_or(0))
    }
}

/// What a plugin computes; each plugin's page has its definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    /// active-users-count-plugin.md: per period, the distinct users with an active appearance
    /// in it: one whose lookback `(t − lookback, t]` holds appearances in at least
    /// `active_periods` distinct periods of length `period` (counted from `Start`). Earlier rows
    /// count in the lookback only. Periods with no active user have no row.
    ActiveUsers {
        lookback: i64,
        period: i64,
        active_periods: i64,
    },
    /// activity-counts-metrics-plugin.md: per period, the rows, the distinct users, those never
    /// seen in an earlier period, and the distinct users from the first period to this one.
    CountsMetrics,
    /// activity-metrics-plugin.md: per period, the distinct users, those not seen in the
    /// previous period, and the retention and churn rates against the previous period (NaN
    /// when it had no users).
    Metrics,
    /// new-activity-metrics-plugin.md: per pair of periods `from ≤ to`, for the cohort of users
    /// first seen in `from` (not in the lookback table): the users of `to` never seen up to
    /// `from` (the cohort itself when `to` is `from`), the cohort's users seen in `to`, those
    /// not, and their rates (NaN for an empty cohort). `cohort`: only that period's cohort.
    NewMetrics { cohort: Option<i64> },
    /// activity-engagement-plugin.md: per period (the inner window), its distinct users, the
    /// distinct users of the outer window that ends with it (`outer` long), and their ratio.
    /// Periods with no users in either have no row.
    Engagement { outer: i64 },
    /// sliding-window-counts-plugin.md: per period, the rows and distinct users of the `window`
    /// (a whole number of periods) that ends with it. Periods with no rows have no row.
    SlidingCounts { window: i64 },
}

impl Activity {
    /// The metrics of each output row, after its period(s): name and type, whole numbers
    /// first. The names are the pages' (active_users_count's output example names `dcount`,
    /// sliding_window_counts' names `Count` and `dcount`).
    pub fn metrics(&self) -> &'static [(&'static str, KqlType)] {
        use KqlType::{Long, Real};
        match self {
            Activity::ActiveUsers { .. } => &[("dcount", Long)],
            Activity::CountsMetrics => &[
                ("count", Long),
                ("dcount", Long),
                ("new_dcount", Long),
                ("aggregated_dcount", Long),
            ],
            Activity::Metrics => &[
                ("dcount_values", Long),
                ("dcount_newvalues", Long),
                ("retention_rate", Real),
                ("churn_rate", Real),
            ],
            Activity::NewMetrics { .. } => &[
                ("dcount_new_values", Long),
                ("dcount_retained_values", Long),
                ("dcount_churn_values", Long),
                ("retention_rate", Real),
                ("churn_rate", Real),
            ],
            Activity::Engagement { .. } => &[
                ("dcount_activities_inner", Long),
                ("dcount_activities_outer", Long),
                ("activity_ratio", Real),
            ],
            Activity::SlidingCounts { .. } => &[("Count", Long), ("dcount", Long)],
        }
    }

    /// Whether rows compare two periods (`from_…`, `to_…`).
    pub fn pairs(&self) -> bool {
        matches!(self, Activity::NewMetrics { .. })
    }

    /// The output rows' struct fields.
    fn fields(&self) -> Fields {
        let mut fields = vec![Field::new(PERIOD, DataType::Int64, true)];
        if self.pairs() {
            fields.push(Field::new(TO_PERIOD, DataType::Int64, true));
        }
        for (name, ty) in self.metrics() {
            let data_type = if *ty == KqlType::Real {
                DataType::Float64
            } else {
                DataType::Int64
            };
            fields.push(Field::new(*name, data_type, true));
        }
        Fields::from(fields)
    }
}

/// One user of a dimensions combination.
#[derive(Debug, Default)]
struct User {
    /// The id is null: rows that count, but no user.
    null: bool,
    /// The id is in the lookback table.
    known: bool,
    /// Distinct timeline values with their numbers of rows, ascending.
    times: Vec<(i64, i64)>,
}

/// The rows one call makes, column by column.
struct Out {
    periods: Vec<i64>,
    to_periods: Vec<i64>,
    longs: Vec<Vec<i64>>,
    reals: Vec<Vec<f64>>,
    /// How many more rows the plugin may make.
    left: usize,
    plugin: &'static str,
}

impl Out {
    fn new(activity: &Activity, left: usize, plugin: &'static str) -> Out {
        let longs = activity
            .metrics()
            .iter()
            .filter(|(_, ty)| *ty == KqlType::Long)
            .count();
        let reals = activity.metrics().len() - longs;
        Out {
            periods: Vec::new(),
            to_periods: Vec::new(),
            longs: vec![Vec::new(); longs],
            reals: vec![Vec::new(); reals],
            left,
            plugin,
        }
    }

    fn len(&self) -> usize {
        self.periods.len()
    }

    /// Checks that `rows` more rows fit, before they are made.
    fn reserve(&self, rows: u128) -> Result<()> {
        if rows > self.left as u128 {
            return exec_err!(
                "{} would make more than {MAX_ROWS} rows; use a longer period, a shorter range or fewer dimensions",
                self.plugin
            );
        }
        Ok(())
    }

    fn push(&mut self, period: i64, to: Option<i64>, longs: &[i64], reals: &[f64]) -> Result<()> {
        self.reserve(1)?;
        self.left -= 1;
        self.periods.push(period);
        if let Some(to) = to {
            self.to_periods.push(to);
        }
        for (column, value) in self.longs.iter_mut().zip(longs) {
            column.push(*value);
        }
        for (column, value) in self.reals.iter_mut().zip(reals) {
            column.push(*value);
        }
        Ok(())
    }
}

/// The number of rows made so far over every batch and partition of the query (the UDF is made
/// for one query). Not part of the function's identity.
#[derive(Debug, Default)]
struct Budget(AtomicUsize);

impl PartialEq for Budget {
    fn eq(&self, _: &Budget) -> bool {
        true
    }
}

impl Eq for Budget {}

impl std::hash::Hash for Budget {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// `(list of users)` → the list of a dimensions combination's output rows.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ActivityUdf {
    plugin: &'static str,
    activity: Activity,
    periods: Periods,
    signature: Signature,
    budget: Budget,
}

impl ActivityUdf {
    /// The function of `plugin` (its name, for messages), ready to call in a plan.
    pub fn udf(plugin: &'static str, activity: Activity, periods: Periods) -> ScalarUDF {
        ScalarUDF::from(ActivityUdf {
            plugin,
            activity,
            periods,
            signature: Signature::any(1, Volatility::Immutable),
            budget: Budget::default(),
        })
    }

    fn list_type(&self) -> DataType {
        DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(self.activity.fields()),
            true,
        )))
    }

    /// One combination's rows, appended to `out`.
    fn rows(&self, users: &[User], out: &mut Out) -> Result<()> {
        // No rows in the range: no combination (a plan without dimensions still has one row,
        // with no users).
        if users.is_empty() {
            return Ok(());
        }
        let periods = &self.periods;
        match self.activity {
            Activity::ActiveUsers {
                lookback,
                period,
                active_periods,
            } => active_users(periods, users, (lookback, period, active_periods), out),
            Activity::CountsMetrics => counts_metrics(periods, users, out),
            Activity::Metrics => metrics(periods, users, out),
            Activity::NewMetrics { cohort } => new_metrics(periods, users, cohort, out),
            Activity::Engagement { outer } => {
                windowed(periods, users, outer, Window::Engagement, out)
            }
            Activity::SlidingCounts { window } => {
                windowed(periods, users, window, Window::Counts, out)
            }
        }
    }
}

impl ScalarUDFImpl for ActivityUdf {
    fn name(&self) -> &str {
        self.plugin
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.list_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let Some(input) = args.args.first() else {
            return exec_err!("{} takes the list of users", self.plugin);
        };
        let input = input.to_array(rows)?;
        let Some(lists) = input.as_list_opt::<i32>() else {
            return exec_err!("{}: the users are not a list", self.plugin);
        };
        let used = self.budget.0.load(Ordering::Relaxed);
        let mut out = Out::new(&self.activity, MAX_ROWS.saturating_sub(used), self.plugin);
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i32);
        for row in 0..rows {
            let users = decode(lists, row, self.plugin)?;
            self.rows(&users, &mut out)?;
            match i32::try_from(out.len()) {
                Ok(end) => offsets.push(end),
                Err(_) => return exec_err!("{} made too many rows", self.plugin),
            }
        }
        self.budget.0.fetch_add(out.len(), Ordering::Relaxed);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(out.periods))];
        if self.activity.pairs() {
            columns.push(Arc::new(Int64Array::from(out.to_periods)));
        }
        for column in out.longs {
            columns.push(Arc::new(Int64Array::from(column)));
        }
        for column in out.reals {
            columns.push(Arc::new(Float64Array::from(column)));
        }
        let values = StructArray::try_new(self.activity.fields(), columns, None)?;
        let DataType::List(field) = self.list_type() else {
            return exec_err!("{}: the output is not a list", self.plugin);
        };
        let list = ListArray::try_new(
            field,
            OffsetBuffer::new(offsets.into()),
            Arc::new(values),
            None,
        )?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

/// The users of row `row`: null or empty when the combination has none.
fn decode(lists: &ListArray, row: usize, plugin: &str) -> Result<Vec<User>> {
    if lists.is_null(row) {
        return Ok(Vec::new());
    }
    let value = lists.value(row);
    let Some(users) = value.as_struct_opt() else {
        return exec_err!("{plugin}: a user is not a struct");
    };
    let flag = |name: &str| users.column_by_name(name).and_then(|c| c.as_boolean_opt());
    let (Some(null), Some(known), Some(times)) = (
        flag(USER_NULL),
        flag(USER_KNOWN),
        users
            .column_by_name(USER_TIMES)
            .and_then(|c| c.as_list_opt::<i32>()),
    ) else {
        return exec_err!("{plugin}: a user lacks its flags or times");
    };
    let mut out = Vec::with_capacity(users.len());
    for index in 0..users.len() {
        if users.is_null(index) {
            continue;
        }
        let set = |array: &datafusion::arrow::array::BooleanArray| {
            array.is_valid(index) && array.value(index)
        };
        let mut user = User {
            null: set(null),
            known: set(known),
            times: Vec::new(),
        };
        if times.is_valid(index) {
            let moments = times.value(index);
            let Some(moments) = moments.as_struct_opt() else {
                return exec_err!("{plugin}: a moment is not a struct");
            };
            let number = |name: &str| {
                moments
                    .column_by_name(name)
                    .and_then(|c| c.as_primitive_opt::<Int64Type>())
            };
            let (Some(t), Some(n)) = (number(MOMENT_TIME), number(MOMENT_ROWS)) else {
                return exec_err!("{plugin}: a moment lacks its time or rows");
            };
            for at in 0..moments.len() {
                if moments.is_valid(at) && t.is_valid(at) {
                    let rows = if n.is_valid(at) { n.value(at) } else { 0 };
                    user.times.push((t.value(at), rows));
                }
            }
            user.times.sort_unstable();
        }
        out.push(user);
    }
    Ok(out)
}

/// The slot of period `k` among `count` periods from `low`.
fn slot(k: i128, low: i128, count: usize) -> Option<usize> {
    usize::try_from(k - low).ok().filter(|s| *s < count)
}

/// The distinct slots a user's moments fall in, ascending.
fn user_slots(periods: &Periods, user: &User, low: i128, count: usize) -> Vec<usize> {
    let mut slots: Vec<usize> = Vec::new();
    for (t, _) in &user.times {
        if let Some(s) = slot(periods.index(*t), low, count)
            && slots.last() != Some(&s)
        {
            slots.push(s);
        }
    }
    slots
}

fn ratio(part: i64, whole: i64) -> f64 {
    // 0/0 is NaN, as activity_metrics' page shows for the first period.
    part as f64 / whole as f64
}

fn counts_metrics(periods: &Periods, users: &[User], out: &mut Out) -> Result<()> {
    let Some((low, high)) = periods.bounds(users) else {
        return Ok(());
    };
    let count = Periods::count(low, high, out.plugin)?;
    let mut rows = vec![0i64; count];
    let mut distinct = vec![0i64; count];
    let mut new = vec![0i64; count];
    for user in users {
        for (t, n) in &user.times {
            if let Some(s) = slot(periods.index(*t), low, count) {
                rows[s] = rows[s].saturating_add(*n);
            }
        }
        if user.null {
            continue;
        }
        let slots = user_slots(periods, user, low, count);
        for s in &slots {
            distinct[*s] += 1;
        }
        if let Some(first) = slots.first() {
            new[*first] += 1;
        }
    }
    out.reserve(count as u128)?;
    let mut aggregated = 0i64;
    for s in 0..count {
        aggregated += new[s];
        let start = periods.start(low + s as i128)?;
        out.push(
            start,
            None,
            &[rows[s], distinct[s], new[s], aggregated],
            &[],
        )?;
    }
    Ok(())
}

fn metrics(periods: &Periods, users: &[User], out: &mut Out) -> Result<()> {
    let Some((low, high)) = periods.bounds(users) else {
        return Ok(());
    };
    let count = Periods::count(low, high, out.plugin)?;
    let mut distinct = vec![0i64; count];
    // Users seen in a period and in the one before it.
    let mut returning = vec![0i64; count];
    for user in users.iter().filter(|u| !u.null) {
        let mut previous: Option<usize> = None;
        for s in user_slots(periods, user, low, count) {
            distinct[s] += 1;
            if previous.is_some_and(|p| p + 1 == s) {
                returning[s] += 1;
            }
            previous = Some(s);
        }
    }
    out.reserve(count as u128)?;
    for s in 0..count {
        let before = if s > 0 { distinct[s - 1] } else { 0 };
        let start = periods.start(low + s as i128)?;
        out.push(
            start,
            None,
            &[distinct[s], distinct[s] - returning[s]],
            &[
                ratio(returning[s], before),
                ratio(before - returning[s], before),
            ],
        )?;
    }
    Ok(())
}

fn new_metrics(
    periods: &Periods,
    users: &[User],
    cohort: Option<i64>,
    out: &mut Out,
) -> Result<()> {
    let Some((low, high)) = periods.bounds(users) else {
        return Ok(());
    };
    let count = Periods::count(low, high, out.plugin)?;
    let wanted = match cohort {
        Some(k) => match slot(i128::from(k), low, count) {
            Some(s) => Some(s),
            None => return Ok(()),
        },
        None => None,
    };
    // seen[f][t]: the users first seen in period f (the cohort of f) who are in period t;
    // present[t]: the users of period t (not in the lookback table).
    let mut seen: Vec<BTreeMap<usize, i64>> = vec![BTreeMap::new(); count];
    let mut present = vec![0i64; count];
    for user in users.iter().filter(|u| !u.null && !u.known) {
        let slots = user_slots(periods, user, low, count);
        let Some(first) = slots.first().copied() else {
            continue;
        };
        for s in slots {
            *seen[first].entry(s).or_default() += 1;
            present[s] += 1;
        }
    }
    out.reserve(match wanted {
        Some(from) => (count - from) as u128,
        None => count as u128 * (count as u128 + 1) / 2,
    })?;
    // upto[t]: the users of period t first seen in a period up to the current `from`.
    let mut upto = vec![0i64; count];
    for (from, cohort) in seen.iter().enumerate() {
        for (to, users) in cohort {
            upto[*to] += users;
        }
        if wanted.is_some_and(|w| w != from) {
            continue;
        }
        let cohort_size = cohort.get(&from).copied().unwrap_or(0);
        let from_start = periods.start(low + from as i128)?;
        for to in from..count {
            let retained = cohort.get(&to).copied().unwrap_or(0);
            let new = if to == from {
                cohort_size
            } else {
                present[to] - upto[to]
            };
            let churned = cohort_size - retained;
            let to_start = periods.start(low + to as i128)?;
            out.push(
                from_start,
                Some(to_start),
                &[new, retained, churned],
                &[ratio(retained, cohort_size), ratio(churned, cohort_size)],
            )?;
        }
        if wanted.is_some() {
            break;
        }
    }
    Ok(())
}

fn active_users(
    periods: &Periods,
    users: &[User],
    (lookback, period, active_periods): (i64, i64, i64),
    out: &mut Out,
) -> Result<()> {
    let Some((low, high)) = periods.bounds(users) else {
        return Ok(());
    };
    let origin = i128::from(periods.origin);
    let activity_period = |t: i64| (i128::from(t) - origin).div_euclid(i128::from(period));
    let mut active: BTreeMap<i128, i64> = BTreeMap::new();
    for user in users.iter().filter(|u| !u.null) {
        // The user's appearances in (t − lookback, t], by activity period.
        let mut window: HashMap<i128, usize> = HashMap::new();
        let mut first = 0usize;
        let mut last_counted: Option<i128> = None;
        for (at, (t, _)) in user.times.iter().enumerate() {
            *window.entry(activity_period(*t)).or_default() += 1;
            let since = i128::from(*t) - i128::from(lookback);
            while first < at && i128::from(user.times[first].0) <= since {
                let key = activity_period(user.times[first].0);
                if let Some(n) = window.get_mut(&key) {
                    *n -= 1;
                    if *n == 0 {
                        window.remove(&key);
                    }
                }
                first += 1;
            }
            // Earlier rows count in the lookback only.
            if i128::from(*t) < origin || (window.len() as i64) < active_periods {
                continue;
            }
            let k = periods.index(*t);
            if last_counted != Some(k) && (low..=high).contains(&k) {
                *active.entry(k).or_default() += 1;
                last_counted = Some(k);
            }
        }
    }
    out.reserve(active.len() as u128)?;
    for (k, users) in active {
        out.push(periods.start(k)?, None, &[users], &[])?;
    }
    Ok(())
}

/// What a sliding window counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Window {
    /// activity_engagement: the period's users, the window's users, their ratio.
    Engagement,
    /// sliding_window_counts: the window's rows and users.
    Counts,
}

/// The metrics over a window of `span` that ends with each period: period `k`'s window is
/// `[start(k) + step − span, start(k) + step)`. A moment at `t` is in the windows of the
/// periods from its own to the one starting at or before `t − step + span`; each user adds one
/// over the union of those ranges (kept as changes at range ends, then summed in order).
fn windowed(
    periods: &Periods,
    users: &[User],
    span: i64,
    kind: Window,
    out: &mut Out,
) -> Result<()> {
    let Some((low, high)) = periods.bounds(users) else {
        return Ok(());
    };
    let step = i128::from(periods.step);
    let origin = i128::from(periods.origin);
    // Per period start: changes of [rows in the window, users in the window, users in the period].
    let mut changes: BTreeMap<i128, [i64; 3]> = BTreeMap::new();
    let mut change = |k: i128, what: usize, by: i64| {
        let entry = changes.entry(k).or_default();
        entry[what] = entry[what].saturating_add(by);
    };
    for user in users {
        let mut run: Option<(i128, i128)> = None;
        let mut last_period: Option<i128> = None;
        for (t, n) in &user.times {
            let first = periods.index(*t);
            let last = (i128::from(*t) - step + i128::from(span) - origin).div_euclid(step);
            if kind == Window::Counts && last >= first {
                change(first, 0, *n);
                change(last + 1, 0, -*n);
            }
            if user.null {
                continue;
            }
            if kind == Window::Engagement && last_period != Some(first) {
                change(first, 2, 1);
                change(first + 1, 2, -1);
                last_period = Some(first);
            }
            if last < first {
                continue;
            }
            run = match run {
                Some((a, b)) if first <= b + 1 => Some((a, b.max(last))),
                Some((a, b)) => {
                    change(a, 1, 1);
                    change(b + 1, 1, -1);
                    Some((first, last))
                }
                None => Some((first, last)),
            };
        }
        if let Some((a, b)) = run {
            change(a, 1, 1);
            change(b + 1, 1, -1);
        }
    }
    // The runs of periods with the same totals: from, until (both included), totals.
    let mut runs: Vec<(i128, i128, [i64; 3])> = Vec::new();
    let mut totals = [0i64; 3];
    let mut points = changes.into_iter().peekable();
    while let Some((k, delta)) = points.next() {
        for (total, d) in totals.iter_mut().zip(delta) {
            *total = total.saturating_add(d);
        }
        let until = points.peek().map_or(high, |(next, _)| (next - 1).min(high));
        let [rows, window_users, period_users] = totals;
        let shown = match kind {
            Window::Counts => rows > 0,
            Window::Engagement => window_users > 0 || period_users > 0,
        };
        let from = k.max(low);
        if shown && from <= until {
            runs.push((from, until, totals));
        }
    }
    let total: i128 = runs.iter().map(|(from, until, _)| until - from + 1).sum();
    out.reserve(u128::try_from(total).unwrap_or(0))?;
    for (from, until, [rows, window_users, period_users]) in runs {
        let mut at = from;
        while at <= until {
            let start = periods.start(at)?;
            match kind {
                Window::Counts => out.push(start, None, &[rows, window_users], &[])?,
                Window::Engagement => out.push(
                    start,
                    None,
                    &[period_users, window_users],
                    &[ratio(period_users, window_users)],
                )?,
            }
            at += 1;
        }
    }
    Ok(())
}
