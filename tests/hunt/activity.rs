//! The user-analytics plugins of `evaluate` against their pages: `active_users_count`,
//! `activity_counts_metrics`, `activity_engagement`, `activity_metrics`, `new_activity_metrics`
//! and `sliding_window_counts` — the pages' examples (with a datatable where the page reads a
//! table the lab does not have, and checked for their invariants where the page generates its
//! data with `rand()`), dimensions, nulls, empty input and the refused or wrong arguments.

use hunt::backend::ErrorKind;
use hunt::results::{KqlType, ResultSet};

use super::engine::{column, error, run};

/// A column's reals (NaN as such).
fn reals(result: &ResultSet, name: &str) -> Vec<f64> {
    column(result, name)
        .iter()
        .map(|text| {
            text.parse::<f64>()
                .unwrap_or_else(|_| panic!("{name}: {text} is not a real"))
        })
        .collect()
}

/// Whether two lists of reals agree to 1e-12, NaN matching NaN.
fn same_reals(ours: &[f64], expected: &[f64]) -> bool {
    ours.len() == expected.len()
        && ours
            .iter()
            .zip(expected)
            .all(|(a, b)| (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-12)
}

/// The error's `line:column` prefix points at `needle`'s first character in `query`.
fn points_at(query: &str, message: &str, needle: &str) {
    let at = query.find(needle).expect("the needle is in the query");
    let line = query[..at].matches('\n').count() + 1;
    let col = at - query[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
    assert!(
        message.starts_with(&format!("{line}:{col}:")),
        "{message} should point at {line}:{col} ({needle})"
    );
}

const ACTIVE_USERS: &str = r#"let Start = datetime(2018-07-01);
let End = datetime(2018-07-31);
let LookbackWindow = 8d;
let Period = 1d;
let ActivePeriods = 3;
let Bin = 7d;
let T =  datatable(User:string, Timestamp:datetime)
[
    "B",      datetime(2018-06-29),
    "B",      datetime(2018-06-30),
    "A",      datetime(2018-07-02),
    "B",      datetime(2018-07-04),
    "B",      datetime(2018-07-08),
    "A",      datetime(2018-07-10),
    "A",      datetime(2018-07-14),
    "A",      datetime(2018-07-17),
    "A",      datetime(2018-07-20),
    "B",      datetime(2018-07-24)
];
T "#;

#[test]
fn active_users_count_follows_its_page() {
    let result = run(&format!(
        "{ACTIVE_USERS}| evaluate active_users_count(User, Timestamp, Start, End, LookbackWindow, Period, ActivePeriods, Bin)"
    ));
    assert_eq!(result.column_names(), ["Timestamp", "dcount"]);
    assert_eq!(result.column_types(), [KqlType::DateTime, KqlType::Long]);
    assert_eq!(
        column(&result, "Timestamp"),
        [
            "2018-07-01T00:00:00.0000000Z",
            "2018-07-15T00:00:00.0000000Z"
        ]
    );
    assert_eq!(column(&result, "dcount"), ["1", "1"]);
    // The dimensions come after the timeline; each combination is counted on its own (B is
    // active on 7/4 only with its June appearances, which are in the lookback).
    let sliced = run(&format!(
        "{ACTIVE_USERS}| extend Team = iff(User == 'A', 'x', 'y')
        | evaluate active_users_count(User, Timestamp, Start, End, LookbackWindow, Period, ActivePeriods, Bin, Team)
        | sort by Timestamp asc"
    ));
    assert_eq!(sliced.column_names(), ["Timestamp", "Team", "dcount"]);
    assert_eq!(column(&sliced, "Team"), ["y", "x"]);
    // Two periods are enough for more appearances; 1.5 rounds up to 2.
    let loose = run(&format!(
        "{ACTIVE_USERS}| evaluate active_users_count(User, Timestamp, Start, End, LookbackWindow, Period, 1.5, Bin)"
    ));
    assert_eq!(
        column(&loose, "Timestamp"),
        [
            "2018-07-01T00:00:00.0000000Z",
            "2018-07-08T00:00:00.0000000Z",
            "2018-07-15T00:00:00.0000000Z"
        ]
    );
    assert_eq!(column(&loose, "dcount"), ["1", "2", "1"]);
}

const COUNTS: &str = r#"let start=datetime(2017-08-01);
let end=datetime(2017-08-04);
let window=1d;
let T = datatable(UserId:string, Timestamp:datetime)
[
'A', datetime(2017-08-01),
'D', datetime(2017-08-01),
'J', datetime(2017-08-01),
'B', datetime(2017-08-01),
'C', datetime(2017-08-02),
'T', datetime(2017-08-02),
'J', datetime(2017-08-02),
'H', datetime(2017-08-03),
'T', datetime(2017-08-03),
'T', datetime(2017-08-03),
'J', datetime(2017-08-03),
'B', datetime(2017-08-03),
'S', datetime(2017-08-03),
'S', datetime(2017-08-04),
];
"#;

#[test]
fn activity_counts_metrics_follows_its_page() {
    let result = run(&format!(
        "{COUNTS} T | evaluate activity_counts_metrics(UserId, Timestamp, start, end, window)"
    ));
    assert_eq!(
        result.column_names(),
        [
            "Timestamp",
            "count",
            "dcount",
            "new_dcount",
            "aggregated_dcount"
        ]
    );
    assert_eq!(
        result.column_types(),
        [
            KqlType::DateTime,
            KqlType::Long,
            KqlType::Long,
            KqlType::Long,
            KqlType::Long
        ]
    );
    assert_eq!(column(&result, "count"), ["4", "3", "6", "1"]);
    assert_eq!(column(&result, "dcount"), ["4", "3", "5", "1"]);
    assert_eq!(column(&result, "new_dcount"), ["4", "2", "2", "0"]);
    assert_eq!(column(&result, "aggregated_dcount"), ["4", "6", "8", "8"]);
}

#[test]
fn activity_counts_metrics_counts_every_period_null_ids_and_dimensions() {
    // A null id is a row but no user; a null time and a time after End are in no period; the
    // period without rows has its row.
    let data = r#"datatable(u:long, t:datetime, g:long) [
        1, datetime(2017-08-01), 1, 2, datetime(2017-08-01), 1, long(null), datetime(2017-08-01), 1,
        1, datetime(2017-08-03 05:00), 1, 1, datetime(2017-08-03 06:00), 1, 3, datetime(2017-08-03), 1,
        9, datetime(null), 1, 9, datetime(2017-08-09), 1,
        1, datetime(2017-08-02), 2]"#;
    let result = run(&format!(
        "{data} | where g == 1 | evaluate activity_counts_metrics(u, t, datetime(2017-08-01), datetime(2017-08-04), 1d)"
    ));
    assert_eq!(
        column(&result, "t"),
        [
            "2017-08-01T00:00:00.0000000Z",
            "2017-08-02T00:00:00.0000000Z",
            "2017-08-03T00:00:00.0000000Z",
            "2017-08-04T00:00:00.0000000Z"
        ]
    );
    assert_eq!(column(&result, "count"), ["3", "0", "3", "0"]);
    assert_eq!(column(&result, "dcount"), ["2", "0", "2", "0"]);
    assert_eq!(column(&result, "new_dcount"), ["2", "0", "1", "0"]);
    assert_eq!(column(&result, "aggregated_dcount"), ["2", "2", "3", "3"]);
    // With a dimension: its column follows the timeline, and each group has every period.
    let sliced = run(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-08-01), datetime(2017-08-04), 1d, g)
        | where g == 2"
    ));
    assert_eq!(
        sliced.column_names(),
        [
            "t",
            "g",
            "count",
            "dcount",
            "new_dcount",
            "aggregated_dcount"
        ]
    );
    assert_eq!(column(&sliced, "count"), ["0", "1", "0", "0"]);
    assert_eq!(column(&sliced, "aggregated_dcount"), ["0", "1", "1", "1"]);
}

/// new-activity-metrics-plugin.md's first example, with its `Users` table written out from
/// the page's `make_set(user)` per day.
const USERS: &str = r#"let Users = datatable(user:long, Timestamp:datetime) [
    0, datetime(2019-11-01), 2, datetime(2019-11-01), 3, datetime(2019-11-01), 4, datetime(2019-11-01),
    0, datetime(2019-11-02), 1, datetime(2019-11-02), 3, datetime(2019-11-02), 4, datetime(2019-11-02), 5, datetime(2019-11-02),
    0, datetime(2019-11-03), 2, datetime(2019-11-03), 4, datetime(2019-11-03), 5, datetime(2019-11-03),
    0, datetime(2019-11-04), 1, datetime(2019-11-04), 2, datetime(2019-11-04), 3, datetime(2019-11-04),
    0, datetime(2019-11-05), 1, datetime(2019-11-05), 2, datetime(2019-11-05), 3, datetime(2019-11-05), 4, datetime(2019-11-05)];
let StartDate = datetime(2019-11-01 00:00:00);
let EndDate = datetime(2019-11-07 00:00:00);
"#;

#[test]
fn new_activity_metrics_follows_its_page() {
    let result = run(&format!(
        "{USERS}Users
        | evaluate new_activity_metrics(user, Timestamp, StartDate, EndDate-1tick, 1d)
        | where from_Timestamp < datetime(2019-11-03 00:00:00.0000000)"
    ));
    assert_eq!(
        result.column_names(),
        [
            "from_Timestamp",
            "to_Timestamp",
            "dcount_new_values",
            "dcount_retained_values",
            "dcount_churn_values",
            "retention_rate",
            "churn_rate"
        ]
    );
    assert_eq!(
        result.column_types(),
        [
            KqlType::DateTime,
            KqlType::DateTime,
            KqlType::Long,
            KqlType::Long,
            KqlType::Long,
            KqlType::Real,
            KqlType::Real
        ]
    );
    let day = |d: &str| format!("2019-11-{d}T00:00:00.0000000Z");
    let from: Vec<String> = [
        "01", "01", "01", "01", "01", "01", "02", "02", "02", "02", "02",
    ]
    .iter()
    .map(|d| day(d))
    .collect();
    let to: Vec<String> = [
        "01", "02", "03", "04", "05", "06", "02", "03", "04", "05", "06",
    ]
    .iter()
    .map(|d| day(d))
    .collect();
    assert_eq!(column(&result, "from_Timestamp"), from);
    assert_eq!(column(&result, "to_Timestamp"), to);
    assert_eq!(
        column(&result, "dcount_new_values"),
        ["4", "2", "1", "1", "1", "0", "2", "0", "0", "0", "0"]
    );
    assert_eq!(
        column(&result, "dcount_retained_values"),
        ["4", "3", "3", "3", "4", "0", "2", "1", "1", "1", "0"]
    );
    assert_eq!(
        column(&result, "dcount_churn_values"),
        ["0", "1", "1", "1", "0", "4", "0", "1", "1", "1", "2"]
    );
    let retention = reals(&result, "retention_rate");
    assert!(same_reals(
        &retention,
        &[1.0, 0.75, 0.75, 0.75, 1.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.0]
    ));
    let churn = reals(&result, "churn_rate");
    assert!(same_reals(
        &churn,
        &[0.0, 0.25, 0.25, 0.25, 0.0, 1.0, 0.0, 0.5, 0.5, 0.5, 1.0]
    ));
}

#[test]
fn new_activity_metrics_takes_a_cohort_and_a_lookback_table() {
    let data = r#"let T = datatable(id:string, Day:datetime) [
        'A', datetime(2019-11-01), 'B', datetime(2019-11-01),
        'A', datetime(2019-11-02), 'C', datetime(2019-11-02), 'D', datetime(2019-11-02),
        'B', datetime(2019-11-03), 'D', datetime(2019-11-03), 'E', datetime(2019-11-03)];
        let Known = datatable(id:string, Day:datetime) ['B', datetime(2019-10-01), 'D', datetime(2019-10-02)];
        "#;
    // B and D were seen in the lookback: never new, in no cohort.
    let result = run(&format!(
        "{data}T | evaluate new_activity_metrics(id, Day, datetime(2019-11-01), datetime(2019-11-03), 1d, Known)"
    ));
    assert_eq!(result.row_count(), 6);
    assert_eq!(
        column(&result, "dcount_new_values"),
        ["1", "1", "1", "1", "1", "1"]
    );
    assert_eq!(
        column(&result, "dcount_retained_values"),
        ["1", "1", "0", "1", "0", "1"]
    );
    assert_eq!(
        column(&result, "dcount_churn_values"),
        ["0", "0", "1", "0", "1", "0"]
    );
    // Only the cohort of 11/2.
    let cohort = run(&format!(
        "{data}T | evaluate new_activity_metrics(id, Day, datetime(2019-11-01), datetime(2019-11-03), 1d, datetime(2019-11-02), Known)"
    ));
    assert_eq!(
        column(&cohort, "to_Day"),
        [
            "2019-11-02T00:00:00.0000000Z",
            "2019-11-03T00:00:00.0000000Z"
        ]
    );
    assert_eq!(column(&cohort, "dcount_retained_values"), ["1", "0"]);
    // Without the lookback, B and D are new on 11/1 and 11/2; dimensions follow the metrics.
    let sliced = run(&format!(
        "{data}T | extend g = 'x'
        | evaluate new_activity_metrics(id, Day, datetime(2019-11-01), datetime(2019-11-03), 1d, datetime(2019-11-01), g)"
    ));
    assert_eq!(
        sliced.column_names(),
        [
            "from_Day",
            "to_Day",
            "dcount_new_values",
            "dcount_retained_values",
            "dcount_churn_values",
            "retention_rate",
            "churn_rate",
            "g"
        ]
    );
    assert_eq!(column(&sliced, "dcount_new_values"), ["2", "2", "2"]);
    assert_eq!(column(&sliced, "dcount_retained_values"), ["2", "1", "1"]);
    let e = error(&format!(
        "{data}T | extend g = 'x' | evaluate new_activity_metrics(id, Day, datetime(2019-11-01), datetime(2019-11-03), 1d, g, Known)"
    ));
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    let e = error(&format!(
        "{data}T | evaluate new_activity_metrics(id, Day, datetime(2019-11-01), datetime(2019-11-03), 1d, (Known | project-rename who = id))"
    ));
    assert!(e.message.contains("IdColumn"), "{e}");
}

/// The pages' generated data: `range` of days, a random number of users per day.
fn generated(from: &str, to: &str, width: u32, day: &str) -> String {
    format!(
        "let _start = datetime({from});
let _end = datetime({to});
range {day} from _start to _end step 1d
| extend d = tolong(({day} - _start)/1d)
| extend r = rand()+1
| extend _users=range(tolong(d*50*r), tolong(d*50*r+{width}*r-1), 1)
| mv-expand id=_users to typeof(long) limit 1000000
"
    )
}

#[test]
fn new_activity_metrics_page_cohorts_have_their_shape() {
    // The weekly matrix: 5 periods, 15 pairs; each cohort is wholly retained in its own week,
    // and retention and churn add up to 1 — unless the random data left a week without new
    // users, whose empty cohort has NaN rates.
    let data = generated("2017-05-01", "2017-05-31", 200, "Day");
    let matrix = run(&format!(
        "{data}| evaluate new_activity_metrics(['id'], Day, _start, _end, 7d)
        | project from_Day, to_Day, retention_rate, churn_rate"
    ));
    assert_eq!(matrix.row_count(), 15);
    let from = column(&matrix, "from_Day");
    let to = column(&matrix, "to_Day");
    let retention = reals(&matrix, "retention_rate");
    let churn = reals(&matrix, "churn_rate");
    for row in 0..15 {
        assert!(from[row] <= to[row]);
        if retention[row].is_nan() {
            assert!(churn[row].is_nan());
            continue;
        }
        assert!((retention[row] + churn[row] - 1.0).abs() < 1e-12);
        if from[row] == to[row] {
            assert_eq!((retention[row], churn[row]), (1.0, 0.0));
        }
    }
    // One cohort, then with the lookback of the page's last example: 5 rows each.
    let single = run(&format!(
        "{data}| evaluate new_activity_metrics(['id'], Day, _start, _end, 7d, _start)"
    ));
    assert_eq!(single.row_count(), 5);
    let lookback = "let _lookback = datetime(2017-02-01);
let _start = datetime(2017-05-01);
let _end = datetime(2017-05-31);
let _data = range Day from _lookback to _end step 1d
    | extend d = tolong((Day - _lookback) / 1d)
    | extend r = rand() + 1
    | extend _users=range(tolong(d * 50 * r), tolong(d * 50 * r + 200 * r - 1), 1)
    | mv-expand id=_users to typeof(long) limit 1000000;
let lookback_data = _data | where Day < _start | project Day, id;
_data
| evaluate new_activity_metrics(id, Day, _start, _end, 7d, _start, lookback_data)
| project from_Day, to_Day, retention_rate";
    let result = run(lookback);
    assert_eq!(
        result.column_names(),
        ["from_Day", "to_Day", "retention_rate"]
    );
    assert_eq!(result.row_count(), 5);
    let first = reals(&result, "retention_rate")[0];
    assert!(first == 1.0 || first.is_nan(), "{first}");
}

#[test]
fn activity_metrics_compares_each_period_with_the_one_before() {
    let data = r#"datatable(u:long, t:datetime) [
        1, datetime(2017-01-01), 2, datetime(2017-01-01), 3, datetime(2017-01-01 12:00),
        2, datetime(2017-01-02), 3, datetime(2017-01-02), 4, datetime(2017-01-02), long(null), datetime(2017-01-02),
        1, datetime(2017-01-04)]"#;
    let result = run(&format!(
        "{data} | evaluate activity_metrics(u, t, datetime(2017-01-01), datetime(2017-01-04), 1d)"
    ));
    assert_eq!(
        result.column_names(),
        [
            "t",
            "dcount_values",
            "dcount_newvalues",
            "retention_rate",
            "churn_rate"
        ]
    );
    assert_eq!(
        result.column_types(),
        [
            KqlType::DateTime,
            KqlType::Long,
            KqlType::Long,
            KqlType::Real,
            KqlType::Real
        ]
    );
    assert_eq!(column(&result, "dcount_values"), ["3", "3", "0", "1"]);
    assert_eq!(column(&result, "dcount_newvalues"), ["3", "1", "0", "1"]);
    let nan = f64::NAN;
    assert!(same_reals(
        &reals(&result, "retention_rate"),
        &[nan, 2.0 / 3.0, 0.0, nan]
    ));
    assert!(same_reals(
        &reals(&result, "churn_rate"),
        &[nan, 1.0 / 3.0, 1.0, nan]
    ));
    // Without Start and End: days as bin() makes them, from the first with data to the last.
    let open = run(&format!("{data} | evaluate activity_metrics(u, t, 1d)"));
    assert_eq!(column(&open, "dcount_values"), ["3", "3", "0", "1"]);
    // A dimension comes after the metrics.
    let sliced = run(&format!(
        "{data} | extend g = 1 | evaluate activity_metrics(u, t, 1d, g)"
    ));
    assert_eq!(
        sliced.column_names(),
        [
            "t",
            "dcount_values",
            "dcount_newvalues",
            "retention_rate",
            "churn_rate",
            "g"
        ]
    );
    assert_eq!(column(&sliced, "dcount_newvalues"), ["3", "1", "0", "1"]);
}

#[test]
fn activity_metrics_page_example_has_its_shape() {
    let data = generated("2017-01-02", "2017-05-31", 200, "_day");
    let result = run(&format!(
        "{data}| evaluate activity_metrics(['id'], _day, _start, _end, 7d)
        | project _day, retention_rate, churn_rate, dcount_values, dcount_newvalues"
    ));
    // 22 weeks, the first on 2017-01-02 with nothing before it.
    assert_eq!(result.row_count(), 22);
    let days = column(&result, "_day");
    assert_eq!(days[0], "2017-01-02T00:00:00.0000000Z");
    assert_eq!(days[21], "2017-05-29T00:00:00.0000000Z");
    let retention = reals(&result, "retention_rate");
    let churn = reals(&result, "churn_rate");
    assert!(retention[0].is_nan() && churn[0].is_nan());
    for week in 1..22 {
        assert!((retention[week] + churn[week] - 1.0).abs() < 1e-12);
    }
    assert_eq!(
        column(&result, "dcount_values")[0],
        column(&result, "dcount_newvalues")[0]
    );
}

#[test]
fn activity_engagement_divides_the_period_by_its_outer_window() {
    let data = r#"datatable(u:string, t:datetime) [
        'A', datetime(2017-01-01), 'B', datetime(2017-01-01 08:00), 'B', datetime(2017-01-02),
        'C', datetime(2017-01-03), 'A', datetime(2017-01-05)]"#;
    let result = run(&format!(
        "{data} | evaluate activity_engagement(u, t, datetime(2017-01-01), datetime(2017-01-05), 1d, 3d)"
    ));
    assert_eq!(
        result.column_names(),
        [
            "t",
            "dcount_activities_inner",
            "dcount_activities_outer",
            "activity_ratio"
        ]
    );
    assert_eq!(
        result.column_types(),
        [
            KqlType::DateTime,
            KqlType::Long,
            KqlType::Long,
            KqlType::Real
        ]
    );
    assert_eq!(
        column(&result, "dcount_activities_inner"),
        ["2", "1", "1", "0", "1"]
    );
    assert_eq!(
        column(&result, "dcount_activities_outer"),
        ["2", "2", "3", "2", "2"]
    );
    assert!(same_reals(
        &reals(&result, "activity_ratio"),
        &[1.0, 0.5, 1.0 / 3.0, 0.0, 0.5]
    ));
    // Without Start and End, the same days.
    let open = run(&format!(
        "{data} | evaluate activity_engagement(u, t, 1d, 3d)"
    ));
    assert_eq!(
        column(&open, "dcount_activities_outer"),
        ["2", "2", "3", "2", "2"]
    );
    // The page's DAU/MAU by mod3: the dimension last, each day of each slice.
    let data = generated("2017-01-01", "2017-05-31", 100, "_day");
    let sliced = run(&format!(
        "{data}| extend mod3 = strcat('mod3=', id % 3)
        | evaluate activity_engagement(['id'], _day, _start, _end, 1d, 30d, mod3)
        | project _day, Dau_Mau=activity_ratio*100, mod3"
    ));
    assert_eq!(sliced.row_count(), 151 * 3);
    assert!(
        reals(&sliced, "Dau_Mau")
            .iter()
            .all(|r| *r > 0.0 && *r <= 100.0)
    );
}

#[test]
fn sliding_window_counts_follows_its_page() {
    let result = run(r#"let start = datetime(2017-08-01);
let end = datetime(2017-08-07);
let lookbackWindow = 3d;
let bin = 1d;
let T = datatable(UserId: string, Timestamp: datetime)
    [
    'Bob', datetime(2017-08-01), 'David', datetime(2017-08-01), 'David', datetime(2017-08-01),
    'John', datetime(2017-08-01), 'Bob', datetime(2017-08-01), 'Ananda', datetime(2017-08-02),
    'Atul', datetime(2017-08-02), 'John', datetime(2017-08-02), 'Ananda', datetime(2017-08-03),
    'Atul', datetime(2017-08-03), 'Atul', datetime(2017-08-03), 'John', datetime(2017-08-03),
    'Bob', datetime(2017-08-03), 'Betsy', datetime(2017-08-04), 'Bob', datetime(2017-08-05),
];
T
| evaluate sliding_window_counts(UserId, Timestamp, start, end, lookbackWindow, bin)"#);
    assert_eq!(result.column_names(), ["Timestamp", "Count", "dcount"]);
    assert_eq!(
        result.column_types(),
        [KqlType::DateTime, KqlType::Long, KqlType::Long]
    );
    assert_eq!(
        column(&result, "Timestamp"),
        (1..=7)
            .map(|d| format!("2017-08-0{d}T00:00:00.0000000Z"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        column(&result, "Count"),
        ["5", "8", "13", "9", "7", "2", "1"]
    );
    assert_eq!(
        column(&result, "dcount"),
        ["3", "5", "5", "5", "5", "2", "1"]
    );
    // A lookback of 3.5 days is rounded down to 3.
    let rounded = run(
        r#"datatable(u:string, t:datetime) ['a', datetime(2017-08-01)]
        | evaluate sliding_window_counts(u, t, datetime(2017-08-01), datetime(2017-08-10), 3d + 12h, 1d)"#,
    );
    assert_eq!(column(&rounded, "Count"), ["1", "1", "1"]);
    // A null id is a row, no user; a null time is in no window.
    let nulls = run(
        r#"datatable(u:long, t:datetime) [long(null), datetime(2017-08-01), 1, datetime(2017-08-01), 2, datetime(null)]
        | evaluate sliding_window_counts(u, t, datetime(2017-08-01), datetime(2017-08-01), 1d, 1d)"#,
    );
    assert_eq!(column(&nulls, "Count"), ["2"]);
    assert_eq!(column(&nulls, "dcount"), ["1"]);
}

#[test]
fn numeric_timelines_keep_their_type() {
    let result = run("datatable(u:long, seq:int) [1, 1, 2, 1, 1, 2, 3, 5]
        | evaluate activity_counts_metrics(u, seq, 0, 5, 2)");
    assert_eq!(result.column_types()[0], KqlType::Int);
    assert_eq!(column(&result, "seq"), ["0", "2", "4"]);
    assert_eq!(column(&result, "dcount"), ["2", "1", "1"]);
    let e = error("datatable(u:long, x:real) [1, 1.5] | evaluate activity_metrics(u, x, 1.0)");
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
}

#[test]
fn empty_input_gives_no_rows_with_the_columns() {
    let empty = "datatable(u:string, t:datetime) []";
    for plugin in [
        "activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2017-01-05), 1d)",
        "activity_metrics(u, t, datetime(2017-01-01), datetime(2017-01-05), 1d)",
        "activity_metrics(u, t, 1d)",
        "activity_engagement(u, t, 1d, 7d)",
        "new_activity_metrics(u, t, datetime(2017-01-01), datetime(2017-01-05), 1d)",
        "active_users_count(u, t, datetime(2017-01-01), datetime(2017-01-05), 3d, 1d, 2, 1d)",
        "sliding_window_counts(u, t, datetime(2017-01-01), datetime(2017-01-05), 3d, 1d)",
    ] {
        let result = run(&format!("{empty} | evaluate {plugin}"));
        assert_eq!(result.row_count(), 0, "{plugin}");
        assert!(result.column_names().len() >= 2, "{plugin}");
        assert_eq!(result.column_types()[0], KqlType::DateTime, "{plugin}");
    }
}

#[test]
fn wrong_arguments_get_a_message_at_their_place() {
    let data = "datatable(u:string, t:datetime) ['a', datetime(2017-01-01)]";
    let q = format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-03), datetime(2017-01-01), 1d)"
    );
    let e = error(&q);
    assert_eq!(e.kind, ErrorKind::Semantic, "{e}");
    assert!(e.message.contains("End is before Start"), "{e}");
    points_at(&q, &e.to_string(), "datetime(2017-01-01), 1d");
    for bad in ["0d", "-1d"] {
        let q = format!(
            "{data} | evaluate activity_metrics(u, t, datetime(2017-01-01), datetime(2017-01-03), {bad})"
        );
        let e = error(&q);
        assert!(e.message.contains("greater than zero"), "{e}");
        points_at(&q, &e.to_string(), bad);
    }
    let q = format!(
        "{data} | evaluate active_users_count(u, t, datetime(2017-01-01), datetime(2017-01-03), 0d, 1d, 2, 1d)"
    );
    let e = error(&q);
    points_at(&q, &e.to_string(), "0d");
    // A step of the wrong type, a calendar step, too few arguments, too many periods.
    let q = format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2017-01-03), 1)"
    );
    let e = error(&q);
    assert!(e.message.contains("timespan"), "{e}");
    let e = error(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2017-01-03), 'week')"
    ));
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    let e = error(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-01))"
    ));
    assert!(e.message.contains("the syntax is"), "{e}");
    let e = error(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2027-01-01), 1s)"
    ));
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    // A Start of the timeline's wrong type; a dimension that is not a column.
    let e = error(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, 1, datetime(2017-01-03), 1d)"
    ));
    assert!(e.message.contains("datetime"), "{e}");
    let e = error(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2017-01-03), 1d, 'x')"
    ));
    assert!(e.message.contains("dimension"), "{e}");
    let e = error(&format!(
        "{data} | evaluate activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2017-01-03), 1d, nope)"
    ));
    assert!(e.message.contains("unknown column 'nope'"), "{e}");
    // A dimension named as an output column.
    let e = error(&format!(
        "{data} | extend dcount = 1 | evaluate activity_counts_metrics(u, t, datetime(2017-01-01), datetime(2017-01-03), 1d, dcount)"
    ));
    assert!(e.message.contains("dcount"), "{e}");
    let e = error(&format!(
        "{data} | evaluate sliding_window_counts(u, t, datetime(2017-01-01), datetime(2017-01-03), 12h, 1d)"
    ));
    assert!(e.message.contains("shorter than Bin"), "{e}");
}
