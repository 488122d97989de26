//! `make-series` on the local engine (make-series-operator.md): bins from `from` by `step`
//! before `to`, defaults where a bin has no rows, groups, `kind=nonempty`, `in range(…)`, the
//! aggregations of the page's list and the column names KQL gives them.

use super::engine::{column, error, run};

/// The page's data (make-series-operator.md, second example).
const DATA: &str = r#"let data=datatable(timestamp:datetime, metric: real)
[
  datetime(2016-12-31T06:00), 50,
  datetime(2017-01-01), 4,
  datetime(2017-01-02), 3,
  datetime(2017-01-03), 4,
  datetime(2017-01-03T03:00), 6,
  datetime(2017-01-05), 8,
  datetime(2017-01-05T13:40), 13,
  datetime(2017-01-06), 4,
  datetime(2017-01-07), 3,
  datetime(2017-01-08), 8,
  datetime(2017-01-08T21:00), 8,
  datetime(2017-01-09), 2,
  datetime(2017-01-09T12:00), 11,
  datetime(2017-01-10T05:00), 5,
];
let interval = 1d;
let stime = datetime(2017-01-01);
let etime = datetime(2017-01-10);
"#;

const DAYS: &str = r#"["2017-01-01T00:00:00.0000000Z","2017-01-02T00:00:00.0000000Z","2017-01-03T00:00:00.0000000Z","2017-01-04T00:00:00.0000000Z","2017-01-05T00:00:00.0000000Z","2017-01-06T00:00:00.0000000Z","2017-01-07T00:00:00.0000000Z","2017-01-08T00:00:00.0000000Z","2017-01-09T00:00:00.0000000Z"]"#;

#[test]
fn make_series_page_average_by_day() {
    let result = run(&format!(
        "{DATA}data | make-series avg(metric) on timestamp from stime to etime step interval"
    ));
    assert_eq!(result.column_names(), ["avg_metric", "timestamp"]);
    assert_eq!(
        column(&result, "avg_metric"),
        ["[4.0,3.0,5.0,0.0,10.5,4.0,3.0,8.0,6.5]"]
    );
    assert_eq!(column(&result, "timestamp"), [DAYS]);
}

#[test]
fn make_series_of_no_rows_is_empty_unless_nonempty() {
    let empty = run(&format!(
        "{DATA}data | take 0 | make-series avg(metric) default=1.0 on timestamp from stime to etime step interval | count"
    ));
    assert_eq!(column(&empty, "Count"), ["0"]);
    let nonempty = run(&format!(
        "{DATA}data | take 0 | make-series kind=nonempty avg(metric) default=1.0 on timestamp from stime to etime step interval"
    ));
    assert_eq!(
        column(&nonempty, "avg_metric"),
        ["[1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0]"]
    );
    assert_eq!(column(&nonempty, "timestamp"), [DAYS]);
    // With groups: one row of defaults, its group empty.
    let grouped = run(&format!(
        "{DATA}data | take 0 | extend g = 'x' | make-series kind=nonempty count() on timestamp from stime to etime step 3d by g"
    ));
    assert_eq!(grouped.column_names(), ["g", "count_", "timestamp"]);
    assert_eq!(column(&grouped, "count_"), ["[0,0,0]"]);
    // kind=nonempty changes nothing when there are rows.
    let rows = run(&format!(
        "{DATA}data | extend g = 'x' | make-series kind=nonempty count() on timestamp from stime to etime step 3d by g"
    ));
    assert_eq!(column(&rows, "g"), ["x"]);
    // 01-01 to 01-03 (four rows), 01-04 to 01-06, 01-07 to 01-09.
    assert_eq!(column(&rows, "count_"), ["[4,3,5]"]);
}

#[test]
fn make_series_page_named_series_with_defaults_expand_back_to_rows() {
    let result = run(r#"let startDate = datetime(2025-01-06);
let endDate = datetime(2025-02-09);
let data = datatable(Time: datetime, Value: int, other:int)
[
    datetime(2025-01-07), 10, 11,
    datetime(2025-01-16), 20, 21,
    datetime(2025-02-01), 30, 5
];
data
| make-series Value=sum(Value), other=-1 default=-2 on Time from startDate to endDate step 7d
| mv-expand Value, Time, other
| extend Time=todatetime(Time), Value=toint(Value), other=toint(other)"#);
    assert_eq!(result.column_names(), ["Value", "other", "Time"]);
    assert_eq!(column(&result, "Value"), ["10", "20", "0", "30", "0"]);
    assert_eq!(column(&result, "other"), ["-1", "-1", "-2", "-1", "-2"]);
    assert_eq!(
        column(&result, "Time"),
        [
            "2025-01-06T00:00:00.0000000Z",
            "2025-01-13T00:00:00.0000000Z",
            "2025-01-20T00:00:00.0000000Z",
            "2025-01-27T00:00:00.0000000Z",
            "2025-02-03T00:00:00.0000000Z"
        ]
    );
}

const SALES: &str = r#"datatable(Supplier: string, Fruit: string, Price: real, Purchase: datetime) [
    "Aldi", "Apple", 4.0, datetime(2016-09-10),
    "Costco", "Apple", 2.0, datetime(2016-09-11),
    "Aldi", "Apple", 6.0, datetime(2016-09-10),
    "Costco", "Snake", 5.0, datetime(2016-09-12),
    "Aldi", "Apple", 7.0, datetime(2016-09-12),
    "Aldi", "Apple", 8.0, datetime(2016-09-13),
    "Costco", "Apple", 1.0, datetime(2016-09-09)]"#;

#[test]
fn make_series_groups_each_get_their_series() {
    let result = run(&format!(
        "{SALES} | make-series PriceAvg=avg(Price) default=0 on Purchase from datetime(2016-09-10) to datetime(2016-09-13) step 1d by Supplier, Fruit | order by Supplier asc, Fruit asc"
    ));
    assert_eq!(
        result.column_names(),
        ["Supplier", "Fruit", "PriceAvg", "Purchase"]
    );
    assert_eq!(column(&result, "Supplier"), ["Aldi", "Costco", "Costco"]);
    assert_eq!(column(&result, "Fruit"), ["Apple", "Apple", "Snake"]);
    assert_eq!(
        column(&result, "PriceAvg"),
        ["[5.0,0.0,7.0]", "[0.0,2.0,0.0]", "[0.0,0.0,5.0]"]
    );
    let axis = r#"["2016-09-10T00:00:00.0000000Z","2016-09-11T00:00:00.0000000Z","2016-09-12T00:00:00.0000000Z"]"#;
    assert_eq!(column(&result, "Purchase"), [axis, axis, axis]);
}

#[test]
fn make_series_aggregations_and_their_names() {
    let result = run(&format!(
        "{SALES} | make-series count(), countif(Price > 4), dcount(Supplier), sum(Price), min(Price), max(Price), stdev(Price), variance(Price), variancep(Price), percentile(Price, 50), take_any(Fruit), sumif(Price, Supplier == 'Aldi'), avgif(Price, Supplier == 'Aldi') on Purchase from datetime(2016-09-10) to datetime(2016-09-13) step 1d"
    ));
    assert_eq!(
        result.column_names(),
        [
            "count_",
            "countif_",
            "dcount_Supplier",
            "sum_Price",
            "min_Price",
            "max_Price",
            "stdev_Price",
            "variance_Price",
            "variancep_Price",
            "percentile_Price_50",
            "Fruit",
            "sumif_Price",
            "avgif_Price",
            "Purchase"
        ]
    );
    assert_eq!(column(&result, "count_"), ["[2,1,2]"]);
    assert_eq!(column(&result, "countif_"), ["[1,0,2]"]);
    assert_eq!(column(&result, "dcount_Supplier"), ["[1,1,2]"]);
    assert_eq!(column(&result, "sum_Price"), ["[10.0,2.0,12.0]"]);
    assert_eq!(column(&result, "min_Price"), ["[4.0,2.0,5.0]"]);
    assert_eq!(column(&result, "max_Price"), ["[6.0,2.0,7.0]"]);
    // Sample statistics; one value has no spread.
    assert_eq!(
        column(&result, "stdev_Price"),
        ["[1.4142135623730951,0.0,1.4142135623730951]"]
    );
    assert_eq!(column(&result, "variance_Price"), ["[2.0,0.0,2.0]"]);
    assert_eq!(column(&result, "variancep_Price"), ["[1.0,0.0,1.0]"]);
    // Nearest rank: of two values, the 50th percentile is the lower.
    assert_eq!(column(&result, "percentile_Price_50"), ["[4.0,2.0,5.0]"]);
    assert_eq!(column(&result, "sumif_Price"), ["[10.0,0.0,7.0]"]);
}

#[test]
fn make_series_without_bounds_spans_the_bins_with_data() {
    let result = run(&format!(
        "{SALES} | make-series count() on Purchase step 1d by Supplier | order by Supplier asc"
    ));
    // Every series spans the whole input's bins, from the first with data to the last.
    assert_eq!(column(&result, "count_"), ["[0,2,0,1,1]", "[1,0,1,1,0]"]);
    let axis = r#"["2016-09-09T00:00:00.0000000Z","2016-09-10T00:00:00.0000000Z","2016-09-11T00:00:00.0000000Z","2016-09-12T00:00:00.0000000Z","2016-09-13T00:00:00.0000000Z"]"#;
    assert_eq!(column(&result, "Purchase"), [axis, axis]);
    // Only `from`: up to the last bin with data; only `to`: from the first.
    let from = run(&format!(
        "{SALES} | make-series count() on Purchase from datetime(2016-09-11) step 1d"
    ));
    assert_eq!(column(&from, "count_"), ["[1,2,1]"]);
    let to = run(&format!(
        "{SALES} | make-series count() on Purchase to datetime(2016-09-11) step 1d"
    ));
    assert_eq!(column(&to, "count_"), ["[1,2]"]);
}

#[test]
fn make_series_in_range_includes_the_stop() {
    let result = run(&format!(
        "{SALES} | make-series count() on Purchase in range(datetime(2016-09-10), datetime(2016-09-12), 1d)"
    ));
    assert_eq!(column(&result, "count_"), ["[2,1,2]"]);
    // Bins are aligned as bin() aligns them: a start inside a day starts at that day.
    let result = run(&format!(
        "{SALES} | make-series count() on Purchase in range(datetime(2016-09-10 12:00), datetime(2016-09-11), 1d)"
    ));
    assert_eq!(column(&result, "count_"), ["[2,1]"]);
    assert_eq!(
        column(&result, "Purchase"),
        [r#"["2016-09-10T00:00:00.0000000Z","2016-09-11T00:00:00.0000000Z"]"#]
    );
}

#[test]
fn make_series_on_numbers_and_timespans() {
    let numbers = run("range x from 1 to 10 step 1 | make-series sum(x) on x from 0 to 10 step 3");
    assert_eq!(column(&numbers, "sum_x"), ["[3,12,21,9]"]);
    assert_eq!(column(&numbers, "x"), ["[0,3,6,9]"]);
    let reals = run(
        "range x from 1 to 4 step 1 | extend y = x / 2.0 | make-series count() on y from 0.0 to 2.0 step 0.5",
    );
    assert_eq!(column(&reals, "count_"), ["[0,1,1,1]"]);
    assert_eq!(column(&reals, "y"), ["[0.0,0.5,1.0,1.5]"]);
    let spans = run(
        "range x from 1 to 3 step 1 | extend t = x * 1h | make-series count() on t from 0h to 4h step 2h",
    );
    assert_eq!(column(&spans, "count_"), ["[1,2]"]);
    assert_eq!(column(&spans, "t"), [r#"["00:00:00","02:00:00"]"#]);
}

#[test]
fn make_series_null_defaults_feed_the_fill_functions() {
    let result = run(&format!(
        "{SALES} | make-series m = max(Price) default = double(null) on Purchase from datetime(2016-09-08) to datetime(2016-09-14) step 1d
        | extend filled = series_fill_forward(m)"
    ));
    assert_eq!(column(&result, "m"), ["[null,1.0,6.0,2.0,7.0,8.0]"]);
    assert_eq!(column(&result, "filled"), ["[null,1.0,6.0,2.0,7.0,8.0]"]);
    let gaps = run(&format!(
        "{SALES} | where Supplier == 'Aldi' | make-series m = max(Price) default = double(null) on Purchase from datetime(2016-09-10) to datetime(2016-09-14) step 1d
        | extend filled = series_fill_forward(m)"
    ));
    assert_eq!(column(&gaps, "m"), ["[6.0,null,7.0,8.0]"]);
    assert_eq!(column(&gaps, "filled"), ["[6.0,6.0,7.0,8.0]"]);
}

#[test]
fn make_series_mistakes_get_messages() {
    let axis = error("print s = 'a' | make-series count() on s from 0 to 1 step 1");
    assert!(axis.message.contains("axis"), "{axis}");
    let step = error(&format!(
        "{SALES} | make-series count() on Purchase from datetime(2016-09-10) to datetime(2016-09-13) step 1"
    ));
    assert!(step.message.contains("step must be a timespan"), "{step}");
    let bound = error(&format!(
        "{SALES} | make-series count() on Purchase from 1 to datetime(2016-09-13) step 1d"
    ));
    assert!(bound.message.contains("bounds"), "{bound}");
    let twice = error(&format!(
        "{SALES} | make-series Purchase = count() on Purchase step 1d"
    ));
    assert!(twice.message.contains("defined twice"), "{twice}");
    let unsupported = error(&format!(
        "{SALES} | make-series make_set(Price) on Purchase step 1d"
    ));
    assert!(unsupported.message.contains("make_set"), "{unsupported}");
}

#[test]
fn series_analysis_functions_run_on_made_series() {
    // series-iir-function.md: a cumulative sum, expanded back to rows.
    let sums = run(
        "print x = dynamic([1.0, 2.0, 3.0, 4.0]), y = series_iir(dynamic([1.0, 2.0, 3.0, 4.0]), dynamic([1]), dynamic([1,-1])) | mv-expand x, y",
    );
    assert_eq!(column(&sums, "y"), ["1.0", "3.0", "6.0", "10.0"]);
    // series-fit-line-dynamic-function.md: the bag's properties.
    let fit = run(
        "print y = dynamic([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]) | extend fit = series_fit_line_dynamic(y) | extend Slope = todouble(fit.slope), Interception = todouble(fit.interception), LineFit = fit.line_fit",
    );
    let slope: f64 = column(&fit, "Slope")[0].parse().unwrap();
    assert!((slope - 2.7307692307692313).abs() < 1e-9, "{slope}");
    let interception: f64 = column(&fit, "Interception")[0].parse().unwrap();
    assert!(
        (interception + 1.6666666666666714).abs() < 1e-9,
        "{interception}"
    );
    // A moving average and a correlation over series made from rows.
    let smoothed = run(&format!(
        "{SALES} | make-series n = count() on Purchase from datetime(2016-09-09) to datetime(2016-09-14) step 1d
        | extend avg3 = series_fir(n, dynamic([1, 1, 1]), true, true), r = series_pearson_correlation(n, n)"
    ));
    assert_eq!(column(&smoothed, "n"), ["[1,2,1,2,1]"]);
    let avg3: Vec<f64> = serde_json::from_str(&column(&smoothed, "avg3")[0]).unwrap();
    let expected = [1.0, 4.0 / 3.0, 5.0 / 3.0, 4.0 / 3.0, 1.0];
    for (a, e) in avg3.iter().zip(expected) {
        assert!((a - e).abs() < 1e-12, "{avg3:?}");
    }
    assert_eq!(column(&smoothed, "r"), ["1"]);
    // series_seasonal with its period; without one, a message (detection is not supported).
    let seasonal =
        run("print s = series_seasonal(dynamic([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6]), 3)");
    assert_eq!(
        column(&seasonal, "s"),
        ["[1.5,3.5,5.5,1.5,3.5,5.5,1.5,3.5,5.5,1.5,3.5,5.5]"]
    );
    let detect = error("print s = series_seasonal(dynamic([1, 3, 5, 2, 4, 6]))");
    assert!(detect.message.contains("period"), "{detect}");
}

#[test]
fn make_series_bounds_may_be_computed() {
    // time-series-analysis.md: the bounds from toscalar() of the data.
    let result = run(&format!(
        "let T = {SALES};
        let min_t = toscalar(T | summarize min(Purchase));
        let max_t = toscalar(T | summarize max(Purchase));
        T | make-series num=count() default=0 on Purchase from min_t to max_t step 1d"
    ));
    // The end is not included: the last day's row falls outside.
    assert_eq!(column(&result, "num"), ["[1,2,1,2]"]);
    // Relative to now(): bounds computed from ago() and arithmetic.
    let recent = run("range i from 1 to 3 step 1 | extend t = ago(1h) - i * 1d
        | make-series c = count() on t from bin(ago(5d), 1d) to now() - 0d step 1d");
    let counts: Vec<i64> = serde_json::from_str(&column(&recent, "c")[0]).unwrap();
    assert_eq!(counts.iter().sum::<i64>(), 3, "{counts:?}");
    assert!(counts.len() == 5 || counts.len() == 6, "{counts:?}");
}
