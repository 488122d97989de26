//! The series anomaly functions hunters use, and `evaluate narrow()`, on the local engine:
//! `series_decompose` (series-decompose-function.md), `series_decompose_anomalies`
//! (series-decompose-anomalies-function.md), `series_outliers` (series-outliers-function.md)
//! and the `narrow` plugin (narrow-plugin.md). The pages' examples draw their noise from
//! `rand()` and detect the period themselves (seasonality -1, which the local engine refuses:
//! Kusto does not document the detection exactly); here they run with a fixed pseudo-random
//! term in place of `rand()` and the weekly period the pages say is found (168 one-hour bins),
//! and must show what the pages describe.

use hunt::backend::ErrorKind;

use super::engine::{column, error, run, try_run};

/// The reals of a dynamic array cell.
fn reals(cell: &str) -> Vec<f64> {
    let json: serde_json::Value = serde_json::from_str(cell).expect("a JSON array");
    json.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// The one row's array in `name`, as reals.
fn series(result: &hunt::results::ResultSet, name: &str) -> Vec<f64> {
    let cells = column(result, name);
    assert_eq!(cells.len(), 1, "{name}: {cells:?}");
    reals(&cells[0])
}

fn close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-12, "{actual:?} is not {expected:?}");
    }
}

/// The text `error` points at in `query`.
fn pointed<'q>(query: &'q str, error: &hunt::backend::QueryError) -> &'q str {
    let span = error.span.expect("a position");
    &query[span.start..span.end]
}

// ---------------------------------------------------------------------------------------------
// narrow

#[test]
fn narrow_unpivots_each_cell_as_text_in_row_and_column_order() {
    let result = run(
        r#"datatable(a:long, b:string, c:bool, d:datetime, e:dynamic, f:real)
        [1, "x", true, datetime(2017-03-14 10:59:18.9263023), dynamic({"k":[1,"v"]}), 0.5,
         long(null), "", false, datetime(null), dynamic(null), real(null)]
        | evaluate narrow()"#,
    );
    assert_eq!(result.column_names(), ["Row", "Column", "Value"]);
    assert_eq!(
        column(&result, "Row"),
        ["0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "1", "1"]
    );
    assert_eq!(
        column(&result, "Column"),
        ["a", "b", "c", "d", "e", "f", "a", "b", "c", "d", "e", "f"]
    );
    // tostring()'s text: a null cell is empty.
    assert_eq!(
        column(&result, "Value"),
        [
            "1",
            "x",
            "true",
            "2017-03-14T10:59:18.9263023Z",
            r#"{"k":[1,"v"]}"#,
            "0.5",
            "",
            "",
            "false",
            "",
            "",
            ""
        ]
    );
}

#[test]
fn narrow_page_example_rotates_one_wide_row() {
    // The page rotates `.show diagnostics` (one row, 33 columns), which the local engine does
    // not have; a row of the same kind of values. The page shows its cells as a grid displays
    // them (True, a datetime with a space); the Value column is their text, as tostring()
    // writes it.
    let result = run(r#"print IsHealthy = true, MachinesTotal = 2,
            NodeLastRestartedOn = datetime(2017-03-14 10:59:18.9263023),
            ClusterWarmDataCapacityFactor = 0.130552847673333, BuildVersion = '1.0.6281.19882',
            NotHealthyReason = ''
        | evaluate narrow()"#);
    assert_eq!(column(&result, "Row"), ["0", "0", "0", "0", "0", "0"]);
    assert_eq!(
        column(&result, "Column"),
        [
            "IsHealthy",
            "MachinesTotal",
            "NodeLastRestartedOn",
            "ClusterWarmDataCapacityFactor",
            "BuildVersion",
            "NotHealthyReason"
        ]
    );
    assert_eq!(
        column(&result, "Value"),
        [
            "true",
            "2",
            "2017-03-14T10:59:18.9263023Z",
            "0.130552847673333",
            "1.0.6281.19882",
            ""
        ]
    );
}

#[test]
fn narrow_numbers_rows_in_the_inputs_order_and_composes() {
    let sorted = run(r#"datatable(n:long, s:string) [2, "b", 1, "a", 3, "c"]
        | sort by n asc
        | evaluate narrow()
        | where Column == "s""#);
    assert_eq!(column(&sorted, "Row"), ["0", "1", "2"]);
    assert_eq!(column(&sorted, "Value"), ["a", "b", "c"]);
    let counted = run(
        r#"DeviceProcessEvents | take 3 | project Timestamp, DeviceName
        | evaluate narrow() | summarize rows = dcount(Row), cells = count()"#,
    );
    assert_eq!(column(&counted, "rows"), ["3"]);
    assert_eq!(column(&counted, "cells"), ["6"]);
    let empty = run("datatable(a:long) [] | evaluate narrow()");
    assert_eq!(empty.column_names(), ["Row", "Column", "Value"]);
    assert_eq!(empty.row_count(), 0);
}

#[test]
fn narrow_takes_no_arguments() {
    let query = "print a = 1 | evaluate narrow(a)";
    let e = error(query);
    assert_eq!(e.kind, ErrorKind::Semantic, "{e}");
    assert_eq!(pointed(query, &e), "a");
}

// ---------------------------------------------------------------------------------------------
// series_decompose

/// series-decompose-function.md's first example (weekly seasonality, no trend, three dips and
/// three spikes), with `2*rand()` replaced by a fixed pseudo-random term in [0, 2).
const WEEKLY: &str = r#"let ts=range t from 1 to 24*7*5 step 1
| extend Timestamp = datetime(2018-03-01 05:00) + 1h * t
| extend v = abs(sin(t * 12.9898)) * 43758.5453
| extend y = 2*(v - floor(v, 1.0)) + iff((t/24)%7>=5, 10.0, 15.0) - (((t%24)/10)*((t%24)/10)) // generate a series with weekly seasonality
| extend y=iff(t==150 or t==200 or t==780, y-8.0, y) // add some dip outliers
| extend y=iff(t==300 or t==400 or t==600, y+8.0, y) // add some spike outliers
| summarize Timestamp=make_list(Timestamp, 10000),y=make_list(y, 10000);
"#;

/// The second example's series: the same with a trend of t/72 and a weekend level of 5.
const WEEKLY_TREND: &str = r#"let ts=range t from 1 to 24*7*5 step 1
| extend Timestamp = datetime(2018-03-01 05:00) + 1h * t
| extend v = abs(sin(t * 12.9898)) * 43758.5453
| extend y = 2*(v - floor(v, 1.0)) + iff((t/24)%7>=5, 5.0, 15.0) - (((t%24)/10)*((t%24)/10)) + t/72.0 // generate a series with weekly seasonality and ongoing trend
| extend y=iff(t==150 or t==200 or t==780, y-8.0, y) // add some dip outliers
| extend y=iff(t==300 or t==400 or t==600, y+8.0, y) // add some spike outliers
| summarize Timestamp=make_list(Timestamp, 10000),y=make_list(y, 10000);
"#;

/// The points the examples move: t = 150, 200, 780 down, 300, 400, 600 up (index t - 1).
const DIPS: [usize; 3] = [149, 199, 779];
const SPIKES: [usize; 3] = [299, 399, 599];

#[test]
fn series_decompose_page_weekly_seasonality() {
    let result = run(&format!("{WEEKLY}ts | extend series_decompose(y, 168)"));
    assert_eq!(
        result.column_names(),
        [
            "Timestamp",
            "y",
            "series_decompose_y_baseline",
            "series_decompose_y_seasonal",
            "series_decompose_y_trend",
            "series_decompose_y_residual"
        ]
    );
    let y = series(&result, "y");
    let baseline = series(&result, "series_decompose_y_baseline");
    let seasonal = series(&result, "series_decompose_y_seasonal");
    let trend = series(&result, "series_decompose_y_trend");
    let residual = series(&result, "series_decompose_y_residual");
    assert_eq!(y.len(), 840);
    // "a baseline that is almost identical to the seasonal component": the trend (avg) is one
    // small constant.
    assert!(
        trend.iter().all(|t| *t == trend[0] && t.abs() < 1.0),
        "{trend:?}"
    );
    for i in 0..840 {
        assert!((baseline[i] - seasonal[i] - trend[i]).abs() < 1e-9);
        assert!((y[i] - baseline[i] - residual[i]).abs() < 1e-9);
        // The seasonal component is periodic.
        if i >= 168 {
            assert_eq!(seasonal[i], seasonal[i - 168]);
        }
    }
    // "The outliers we added can be clearly seen in the residuals component".
    let mut by_size: Vec<usize> = (0..840).collect();
    by_size.sort_by(|a, b| residual[*b].abs().total_cmp(&residual[*a].abs()));
    let mut largest = by_size[..6].to_vec();
    largest.sort_unstable();
    assert_eq!(largest, [149, 199, 299, 399, 599, 779]);
    assert!(DIPS.iter().all(|i| residual[*i] < -5.0));
    assert!(SPIKES.iter().all(|i| residual[*i] > 5.0));
}

#[test]
fn series_decompose_with_a_trend_by_hand() {
    // Period 3 around a trend of 1 every 3 points: phase medians 13, 23, 33; deseasoned -3,
    // -3, -3, 0, 0, 0, 3, 3, 3 at x = 1…9, whose least-squares line is 0.9x - 4.5.
    let result = run(r#"print y = dynamic([10, 20, 30, 13, 23, 33, 16, 26, 36])
        | extend (b, s, t, r) = series_decompose(y, 3, 'linefit')"#);
    assert_eq!(result.column_names(), ["y", "b", "s", "t", "r"]);
    let line: Vec<f64> = (1..=9).map(|x| 0.9 * f64::from(x) - 4.5).collect();
    let seasonal: Vec<f64> = (0..9).map(|i| [13.0, 23.0, 33.0][i % 3]).collect();
    let y = [10.0, 20.0, 30.0, 13.0, 23.0, 33.0, 16.0, 26.0, 36.0];
    close(&series(&result, "s"), &seasonal);
    close(&series(&result, "t"), &line);
    let baseline: Vec<f64> = seasonal.iter().zip(&line).map(|(s, t)| s + t).collect();
    close(&series(&result, "b"), &baseline);
    let residual: Vec<f64> = y.iter().zip(&baseline).map(|(y, b)| y - b).collect();
    close(&series(&result, "r"), &residual);
    // avg: the deseasoned mean (0); none: no trend; seasonality 0: no seasonal component.
    let avg = run(r#"print y = dynamic([10, 20, 30, 13, 23, 33, 16, 26, 36])
        | project (b, s, t, r) = series_decompose(y, 3)"#);
    close(&series(&avg, "t"), &[0.0; 9]);
    close(&series(&avg, "b"), &seasonal);
    let flat = run(r#"print y = dynamic([1, 2, 3, 6])
        | project (b, s, t, r) = series_decompose(y, 0, 'none')"#);
    close(&series(&flat, "b"), &[0.0; 4]);
    close(&series(&flat, "r"), &[1.0, 2.0, 3.0, 6.0]);
}

#[test]
fn series_decompose_learns_without_the_test_points() {
    // The last 3 points are left out of the learning: the baseline extends the pattern and
    // the line over them (series_decompose_forecast's baseline), the residual is the series
    // minus it there too.
    let result = run(
        r#"print y = dynamic([10, 20, 30, 13, 23, 33, 16, 26, 36, 0, 0, 0])
        | extend (b, s, t, r) = series_decompose(y, 3, 'linefit', 3),
                 f = series_decompose_forecast(y, 3, 3, 'linefit')"#,
    );
    let b = series(&result, "b");
    close(&b, &series(&result, "f"));
    let expected: Vec<f64> = (0..12)
        .map(|i| [13.0, 23.0, 33.0][i % 3] + 0.9 * (i + 1) as f64 - 4.5)
        .collect();
    close(&b, &expected);
    close(
        &series(&result, "r")[9..],
        &[-expected[9], -expected[10], -expected[11]],
    );
}

#[test]
fn series_decompose_edges() {
    // Empty: empty components. Not an array: null.
    let empty = run("print y = dynamic([]) | extend series_decompose(y, 2)");
    assert_eq!(column(&empty, "series_decompose_y_residual"), ["[]"]);
    let null = run("print y = dynamic(null) | extend series_decompose(y, 2)");
    assert_eq!(column(&null, "series_decompose_y_baseline"), [""]);
    // Constant: the baseline is the constant, no residual (with either trend).
    for trend in ["avg", "linefit"] {
        let constant = run(&format!(
            "print y = dynamic([4, 4, 4, 4, 4]) | project (b, s, t, r) = series_decompose(y, 2, '{trend}')"
        ));
        close(&series(&constant, "b"), &[4.0; 5]);
        close(&series(&constant, "r"), &[0.0; 5]);
    }
    // Shorter than the period: each point is its own phase, so the seasonal component is the
    // series itself.
    let short =
        run("print y = dynamic([3, 1, 2]) | project (b, s, t, r) = series_decompose(y, 24)");
    close(&series(&short, "s"), &[3.0, 1.0, 2.0]);
    close(&series(&short, "r"), &[0.0; 3]);
    // An element that is not a number: refused, saying which.
    for (series, what) in [
        ("[1, 2, null, 4]", "null"),
        (r#"[1, 2, "x", 4]"#, "a string"),
    ] {
        let e = error(&format!(
            "print y = dynamic({series}) | extend series_decompose(y, 2)"
        ));
        assert_eq!(e.kind, ErrorKind::Execution, "{e}");
        assert!(
            e.message
                .contains(&format!("element 2 of the series is {what}")),
            "{e}"
        );
    }
    // Bad arguments: refused.
    for (call, says) in [
        ("series_decompose(y, 2, 'cubic')", "trend"),
        ("series_decompose(y, -2)", "seasonality"),
        ("series_decompose(y, 2, 'avg', 4)", "learn"),
        ("series_decompose(y, 2, 'avg', -1)", "test points"),
    ] {
        let e = error(&format!(
            "print y = dynamic([1, 2, 3, 4]) | project (b, s, t, r) = {call}"
        ));
        assert!(e.message.contains(says), "{call}: {e}");
    }
}

#[test]
fn series_decompose_is_spread_over_its_columns_only() {
    let query = "print y = dynamic([1, 2, 3]) | extend d = series_decompose(y, 0)";
    let e = error(query);
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    assert!(
        e.message.contains("(baseline, seasonal, trend, residual)"),
        "{e}"
    );
    assert_eq!(pointed(query, &e), "d");
    let e = error("print y = dynamic([1, 2, 3]) | extend (a, b) = series_decompose(y, 0)");
    assert_eq!(e.kind, ErrorKind::Semantic, "{e}");
    assert!(e.message.contains("2 names for the 4 columns"), "{e}");
    for query in [
        "print y = dynamic([1, 2, 3]) | extend d = series_decompose(y, 0)[0]",
        "print y = dynamic([1, 2, 3]) | where array_length(series_decompose(y, 0)) > 0",
    ] {
        let e = error(query);
        assert_eq!(e.kind, ErrorKind::Unsupported, "{query}: {e}");
        assert_eq!(pointed(query, &e), "series_decompose", "{query}");
    }
    // Named after a series column only.
    let query = "print series_decompose(dynamic([1, 2, 3]), 0)";
    let e = error(query);
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    assert_eq!(pointed(query, &e), "dynamic([1, 2, 3])");
    let named = run("print (b, s, t, r) = series_decompose(dynamic([1, 2, 3]), 0)");
    assert_eq!(column(&named, "r"), ["[-1.0,0.0,1.0]"]);
    // A let function of the same name is called instead.
    let shadowed = run(
        "let series_decompose = (x: dynamic) { array_length(x) }; print n = series_decompose(dynamic([1, 2]))",
    );
    assert_eq!(column(&shadowed, "n"), ["2"]);
}

#[test]
fn automatic_seasonality_is_refused_by_name_where_it_is_asked_for() {
    for (query, at) in [
        (
            "print y = dynamic([1, 2, 3]) | extend series_decompose(y)",
            "series_decompose",
        ),
        (
            "print y = dynamic([1, 2, 3]) | extend series_decompose(y, -1, 'linefit')",
            "-1",
        ),
        (
            "print y = dynamic([1, 2, 3]) | extend series_decompose_anomalies(y)",
            "series_decompose_anomalies",
        ),
        (
            "print y = dynamic([1, 2, 3]) | extend series_decompose_anomalies(y, 1.5, -1, 'linefit')",
            "-1",
        ),
        (
            "print y = dynamic([1, 2, 3]) | extend f = series_decompose_forecast(y, 1)",
            "series_decompose_forecast(y, 1)",
        ),
        (
            "print y = dynamic([1, 2, 3]) | extend s = series_seasonal(y, -1)",
            "-1",
        ),
    ] {
        let e = error(query);
        assert_eq!(e.kind, ErrorKind::Unsupported, "{query}: {e}");
        assert!(e.message.contains("seasonality -1"), "{e}");
        assert!(e.message.contains("give the period in bins"), "{e}");
        assert_eq!(pointed(query, &e), at, "{query}");
    }
    // A seasonality read from the data is checked as the query runs.
    let e = error(
        "print y = dynamic([1, 2, 3]), p = -1 | extend (b, s, t, r) = series_decompose(y, p)",
    );
    assert_eq!(e.kind, ErrorKind::Execution, "{e}");
    assert!(e.message.contains("seasonality -1"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// series_decompose_anomalies

/// The indexes flagged +1 and -1 in an `ad_flag` array.
fn flagged(flags: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let up = (0..flags.len()).filter(|i| flags[*i] > 0.0).collect();
    let down = (0..flags.len()).filter(|i| flags[*i] < 0.0).collect();
    (up, down)
}

#[test]
fn series_decompose_anomalies_page_weekly_seasonality() {
    let result = run(&format!(
        "{WEEKLY}ts | extend series_decompose_anomalies(y, 1.5, 168)"
    ));
    assert_eq!(
        result.column_names(),
        [
            "Timestamp",
            "y",
            "series_decompose_anomalies_y_ad_flag",
            "series_decompose_anomalies_y_ad_score",
            "series_decompose_anomalies_y_baseline"
        ]
    );
    // "The outliers you added can be clearly spotted in the ad_score component."
    let (up, down) = flagged(&series(&result, "series_decompose_anomalies_y_ad_flag"));
    assert!(SPIKES.iter().all(|i| up.contains(i)), "{up:?}");
    assert!(DIPS.iter().all(|i| down.contains(i)), "{down:?}");
    // At 2.5 only they are.
    let strict = run(&format!(
        "{WEEKLY}ts | extend series_decompose_anomalies(y, 2.5, 168)"
    ));
    let (up, down) = flagged(&series(&strict, "series_decompose_anomalies_y_ad_flag"));
    assert_eq!((up, down), (SPIKES.to_vec(), DIPS.to_vec()));
}

#[test]
fn series_decompose_anomalies_page_weekly_seasonality_with_trend() {
    // The average trend misses the trend: "some of the outliers you inserted in the data
    // aren't detected because of the higher variance".
    let avg = run(&format!(
        "{WEEKLY_TREND}ts | extend series_decompose_anomalies(y, 1.5, 168)
        | extend series_decompose_anomalies_y_ad_flag =
        series_multiply(10, series_decompose_anomalies_y_ad_flag) // multiply by 10 for visualization purposes"
    ));
    let flags = series(&avg, "series_decompose_anomalies_y_ad_flag");
    assert!(flags.iter().all(|f| [-10.0, 0.0, 10.0].contains(f)));
    let (up, down) = flagged(&flags);
    let found = SPIKES.iter().filter(|i| up.contains(i)).count()
        + DIPS.iter().filter(|i| down.contains(i)).count();
    assert!(found < 6, "{up:?} {down:?}");
    // linefit: "All the inserted outliers are detected, and also some false positives."
    let linefit = run(&format!(
        "{WEEKLY_TREND}ts | extend series_decompose_anomalies(y, 1.5, 168, 'linefit')"
    ));
    let (up, down) = flagged(&series(&linefit, "series_decompose_anomalies_y_ad_flag"));
    assert!(SPIKES.iter().all(|i| up.contains(i)), "{up:?}");
    assert!(DIPS.iter().all(|i| down.contains(i)), "{down:?}");
    assert!(up.len() + down.len() > 6, "{up:?} {down:?}");
    // "Now increase the anomaly detection threshold from a default of 1.5 to 2.5 … only the
    // outliers you inserted in the data, will be detected."
    let strict = run(&format!(
        "{WEEKLY_TREND}ts | extend series_decompose_anomalies(y, 2.5, 168, 'linefit')"
    ));
    let (up, down) = flagged(&series(&strict, "series_decompose_anomalies_y_ad_flag"));
    assert_eq!((up, down), (SPIKES.to_vec(), DIPS.to_vec()));
}

#[test]
fn series_decompose_anomalies_by_hand() {
    // No seasonality, no trend: the residual is the series. tukey: the 25th and 75th
    // percentiles of 0…9, 100 (linear between ranks) are 2.5 and 7.5; scores (x - 7.5) / 5
    // above, (x - 2.5) / 5 below.
    let result = run(r#"print y = dynamic([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
        | extend (flag, score, baseline) = series_decompose_anomalies(y, 1.5, 0, 'none', 0, 'tukey')"#);
    assert_eq!(
        column(&result, "score"),
        ["[-0.5,-0.3,-0.1,0.0,0.0,0.0,0.0,0.0,0.1,0.3,18.5]"]
    );
    assert_eq!(column(&result, "flag"), ["[0,0,0,0,0,0,0,0,0,0,1]"]);
    assert_eq!(
        column(&result, "baseline"),
        ["[0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0]"]
    );
    // A threshold above the score: no flag; a dip: -1.
    let high = run(r#"print y = dynamic([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
        | extend (flag, score, baseline) = series_decompose_anomalies(y, 20, 0, 'none', 0, 'tukey')"#);
    assert_eq!(column(&high, "flag"), ["[0,0,0,0,0,0,0,0,0,0,0]"]);
    let dip = run(
        r#"print y = dynamic([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -100])
        | extend (flag, score, baseline) = series_decompose_anomalies(y, 1.5, 0, 'none', 0, 'tukey')"#,
    );
    assert_eq!(column(&dip, "flag"), ["[0,0,0,0,0,0,0,0,0,0,-1]"]);
    assert_eq!(series(&dip, "score")[10], (-100.0 - 6.5) / 5.0);
    // ctukey (the default): the 10th and 90th percentiles, 1 and 9, and Kusto's scaling.
    let custom = run(r#"print y = dynamic([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
        | extend (flag, score, baseline) = series_decompose_anomalies(y, 1.5, 0, 'none')"#);
    let score = series(&custom, "score");
    assert!(score[1..10].iter().all(|s| *s == 0.0), "{score:?}");
    assert!((score[10] - 91.0 / 8.0 * 2.772_605_605_507_915).abs() < 1e-12);
    assert!(score[0] < 0.0 && score[0] > -1.5, "{score:?}");
    assert_eq!(column(&custom, "flag"), ["[0,0,0,0,0,0,0,0,0,0,1]"]);
}

#[test]
fn series_decompose_anomalies_edges() {
    // A constant series: no residual, no anomaly.
    let constant = run(r#"print y = dynamic([3, 3, 3, 3, 3, 3])
        | extend (flag, score, baseline) = series_decompose_anomalies(y, 1.5, 2, 'linefit')"#);
    assert_eq!(column(&constant, "flag"), ["[0,0,0,0,0,0]"]);
    assert_eq!(column(&constant, "score"), ["[0.0,0.0,0.0,0.0,0.0,0.0]"]);
    assert_eq!(column(&constant, "baseline"), ["[3.0,3.0,3.0,3.0,3.0,3.0]"]);
    let empty = run(
        r#"print y = dynamic([]) | extend (flag, score, baseline) = series_decompose_anomalies(y, 1.5, 0)"#,
    );
    assert_eq!(column(&empty, "flag"), ["[]"]);
    // A spike on a flat series: its percentiles are equal, and Kusto's score for a point
    // outside a range of zero width is not documented.
    let e = error(
        r#"print y = dynamic([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9])
        | extend (flag, score, baseline) = series_decompose_anomalies(y, 1.5, 0)"#,
    );
    assert_eq!(e.kind, ErrorKind::Execution, "{e}");
    assert!(e.message.contains("percentiles are equal"), "{e}");
    for (args, says) in [
        ("1.5, 0, 'avg', 2", "test points"),
        ("1.5, 0, 'avg', 0, 'zscore'", "'ctukey' or 'tukey'"),
        ("1.5, 0, 'cubic'", "trend"),
    ] {
        let e = error(&format!(
            "print y = dynamic([1, 5, 2, 8, 3]) | extend (f, s, b) = series_decompose_anomalies(y, {args})"
        ));
        assert!(e.message.contains(says), "{args}: {e}");
    }
    let e = error(
        "print y = dynamic([1, null, 3]) | extend (f, s, b) = series_decompose_anomalies(y, 1.5, 0)",
    );
    assert!(e.message.contains("element 1 of the series is null"), "{e}");
}

/// The hunting query `Collection/MailItemsAccessedTimeSeries[Solarigate].md#0`'s time series
/// step, over a datatable: hourly counts, then anomalies by series_decompose_anomalies.
fn mail_items_query(seasonality: &str) -> String {
    format!(
        r#"let scorethreshold = 1.5;
let TimeSeriesData = range h from 0 to 24*14 - 1 step 1
    | extend Timestamp = datetime(2024-01-01) + 1h * h
    | mv-expand n = range(1, 3 + h % 24 + iff(h == 200, 60, 0)) to typeof(long)
    | make-series Total=count() on Timestamp from datetime(2024-01-01) to datetime(2024-01-15) step 1h;
TimeSeriesData
| extend (anomalies, score, baseline) = series_decompose_anomalies(Total, scorethreshold, {seasonality}, 'linefit')
| mv-expand Total to typeof(double), Timestamp to typeof(datetime), anomalies to typeof(double), score to typeof(double), baseline to typeof(long)
| where anomalies > 0
| project Timestamp, Total, baseline, anomalies, score"#
    )
}

#[test]
fn the_hunting_querys_anomaly_step() {
    // As written (seasonality -1): refused, pointing at the -1.
    let query = mail_items_query("-1");
    let e = try_run(&query).expect_err("automatic seasonality is refused");
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    assert!(
        e.message
            .contains("series_decompose_anomalies(): seasonality -1"),
        "{e}"
    );
    assert_eq!(pointed(&query, &e), "-1");
    // With the daily period given: the hour with 60 more events is the one anomaly up.
    let result = run(&mail_items_query("24"));
    assert_eq!(
        result.column_names(),
        ["Timestamp", "Total", "baseline", "anomalies", "score"]
    );
    assert_eq!(
        column(&result, "Timestamp"),
        ["2024-01-09T08:00:00.0000000Z"]
    );
    assert_eq!(column(&result, "Total"), ["71"]);
    assert_eq!(column(&result, "anomalies"), ["1"]);
}

// ---------------------------------------------------------------------------------------------
// series_outliers

#[test]
// Kusto's digits as it printed them.
#[allow(clippy::excessive_precision)]
fn series_outliers_scores_as_kusto_does() {
    // Kusto's answer for this series (Stack Overflow, "How does Kusto series_outliers()
    // calculate anomaly scores", 2023), which the function's owner explained: the 10th and
    // 90th percentiles by linear interpolation (2.7 and 11), the score scaled to Tukey's.
    let result = run(r#"let T = datatable(val:real)
        [-3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4];
        T | summarize series = make_list(val) | project series_outliers(series)"#);
    assert_eq!(result.column_names(), ["series"]);
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
    // (The grid writes 16 significant digits; the row function's own test checks the bits.)
    close(&series(&result, "series"), &expected);
    // The same with the default kind and percentiles given.
    let explicit = run(
        r#"print s = dynamic([-3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4])
        | project o = series_outliers(s, 'ctukey', double(null), 10, 90)"#,
    );
    close(&series(&explicit, "o"), &expected);
}

#[test]
fn series_outliers_page_example_flags_the_first_of_each_month() {
    // The page's query without its chart, `rand()` replaced by a fixed pseudo-random term in
    // [0, 10): 20 added on the first day of each month makes the outliers (January 1st's too:
    // its previous row is null, and a value != null is true, null-values.md). (`serialize` added: the local engine
    // takes `range` as unserialized, window-functions.md not listing it, so prev() needs it.)
    let result = run(r#"range x from 0 to 364 step 1
        | serialize
        | extend t = datetime(2023-01-01) + 1d*x
        | extend v = abs(sin(x * 12.9898)) * 43758.5453
        | extend y = (v - floor(v, 1.0)) * 10
        | extend y = iff(monthofyear(t) != monthofyear(prev(t)), y+20, y)
        | summarize t = make_list(t), series = make_list(y)
        | extend outliers=series_outliers(series)
        | extend pos_anomalies = array_iff(series_greater_equals(outliers, 1.5), 1, 0)"#);
    let flags = series(&result, "pos_anomalies");
    let firsts: Vec<usize> = (0..365).filter(|i| flags[*i] == 1.0).collect();
    // Day numbers (from 0) of January 1st … December 1st, 2023.
    assert_eq!(
        firsts,
        [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    );
}

#[test]
fn series_outliers_kinds_nulls_and_edges() {
    // tukey: the 25th and 75th percentiles, unscaled.
    let tukey = run(r#"print s = dynamic([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
        | project o = series_outliers(s, 'tukey')"#);
    assert_eq!(
        column(&tukey, "o"),
        ["[-0.5,-0.3,-0.1,0.0,0.0,0.0,0.0,0.0,0.1,0.3,18.5]"]
    );
    // Nulls and the ignored value score 0 and are left out of the percentiles.
    let holes = run(
        r#"print s = dynamic([null, 0, 1, 2, -1, 3, 4, 5, 6, 7, 8, 9, 100, -1])
        | project o = series_outliers(s, 'tukey', -1)"#,
    );
    assert_eq!(
        column(&holes, "o"),
        ["[0.0,-0.5,-0.3,-0.1,0.0,0.0,0.0,0.0,0.0,0.0,0.1,0.3,18.5,0.0]"]
    );
    // Nothing but missing values, nothing, a constant: zeros; not an array: null.
    for (s, expected) in [
        ("[null, null]", "[0.0,0.0]"),
        ("[]", "[]"),
        ("[2, 2, 2]", "[0.0,0.0,0.0]"),
        (r#"{"a": 1}"#, ""),
    ] {
        let result = run(&format!("print o = series_outliers(dynamic({s}))"));
        assert_eq!(column(&result, "o"), [expected], "{s}");
    }
    // Refused: other percentiles (Kusto's scaling for them is not documented), another kind,
    // an element that is neither a number nor null, a point outside a zero-width range.
    for (call, says) in [
        (
            "series_outliers(s, 'ctukey', double(null), 5, 95)",
            "percentiles 5 and 95",
        ),
        ("series_outliers(s, 'z')", "'ctukey' or 'tukey'"),
        (
            r#"series_outliers(dynamic([1, "a"]))"#,
            "element 1 of the series is a string",
        ),
        (
            "series_outliers(dynamic([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5]))",
            "percentiles are equal",
        ),
    ] {
        let e = error(&format!(
            "print s = dynamic([1, 2, 3]) | project o = {call}"
        ));
        assert_eq!(e.kind, ErrorKind::Execution, "{call}: {e}");
        assert!(e.message.contains(says), "{call}: {e}");
    }
}
