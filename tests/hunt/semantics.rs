//! Kusto semantics the skeleton got wrong (issue: "wrong answers, a crash …"), each checked
//! against Microsoft's KQL documentation: datetime and timespan text and ticks, conversions,
//! timespan arithmetic, make_set/make_list, count and empty input, missing strings, the types of
//! iff/case/coalesce, deep expressions, and the row cap.

use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, StringArray};
use datafusion::arrow::record_batch::RecordBatch;

use hunt::backend::{ErrorKind, QueryRequest};
use hunt::engine::{Catalog, LocalEngine};
use hunt::results::{KqlType, kql_schema};

use super::engine::{column, error, run, runtime, single_long, try_run};

/// One value computed on one lab row: (its KQL text, its type).
fn scalar(expr: &str) -> (String, KqlType) {
    let result = run(&format!("DeviceInfo | take 1 | project x = {expr}"));
    (
        result.cell_text(0, 0).unwrap_or_default(),
        result.column_type(0),
    )
}

fn text(expr: &str) -> String {
    scalar(expr).0
}

#[test]
fn iso_8601_datetimes_with_t_and_offsets_read_as_kusto_does() {
    assert_eq!(
        text("datetime(2024-03-26T09:39:50.7688641Z)"),
        "2024-03-26T09:39:50.7688641Z"
    );
    assert_eq!(
        text("datetime(2024-03-26T11:39:50.7688641+02:00)"),
        "2024-03-26T09:39:50.7688641Z"
    );
    assert_eq!(
        text("datetime(\"2014-05-25T08:20:03.123456Z\")"),
        "2014-05-25T08:20:03.1234560Z"
    );
    assert_eq!(
        text("datetime(8 Nov 14 15:05 GMT)"),
        "2014-11-08T15:05:00.0000000Z"
    );
    assert_eq!(
        text("todatetime('2015-12-31 23:59:59.9')"),
        "2015-12-31T23:59:59.9000000Z"
    );
    assert_eq!(
        text("todatetime('yesterday')"),
        "",
        "a failed conversion is null"
    );
}

#[test]
fn tostring_strcat_and_exports_share_kqls_text() {
    assert_eq!(
        text("tostring(datetime(2024-03-26T09:39:50.7688641Z))"),
        "2024-03-26T09:39:50.7688641Z"
    );
    assert_eq!(text("tostring(1h)"), "01:00:00");
    assert_eq!(text("tostring(1d + 2h + 3m + 4.5s)"), "1.02:03:04.5000000");
    assert_eq!(text("tostring(-1s)"), "-00:00:01");
    assert_eq!(text("tostring(1.0)"), "1");
    assert_eq!(text("tostring(2.5)"), "2.5");
    assert_eq!(text("tostring(1e20)"), "1E+20");
    assert_eq!(text("tostring(true)"), "true");
    assert_eq!(text("tostring(dynamic({\"a\":[1,2]}))"), "{\"a\":[1,2]}");
    assert_eq!(text("tostring(dynamic(\"s\"))"), "s");
    assert_eq!(text("tostring(long(null))"), "");
    assert_eq!(
        text("strcat(1.0, '|', 1h, '|', datetime(2024-01-01))"),
        "1|01:00:00|2024-01-01T00:00:00.0000000Z"
    );
    // The grid/CSV/JSON text of a column equals tostring() of it, row by row.
    let result = run(
        "DeviceProcessEvents | take 50 | project Timestamp, S = tostring(Timestamp), R = todouble(ProcessId) / 7, RS = tostring(todouble(ProcessId) / 7)",
    );
    assert_eq!(column(&result, "Timestamp"), column(&result, "S"));
    assert_eq!(column(&result, "R"), column(&result, "RS"));
}

#[test]
fn datetimes_and_timespans_convert_to_ticks_over_years_1_to_9999() {
    assert_eq!(text("tolong(datetime(1601-01-01))"), "504911232000000000");
    assert_eq!(text("tolong(datetime(0001-01-01))"), "0");
    assert_eq!(
        text("tolong(datetime(9999-12-31 23:59:59.9999999))"),
        "3155378975999999999"
    );
    assert_eq!(text("tolong(1h)"), "36000000000");
    assert_eq!(text("todouble(1s)"), "10000000");
    assert_eq!(text("toint(1ms)"), "10000");
    assert_eq!(
        text("toint(1h)"),
        "",
        "36,000,000,000 ticks do not fit an int: null"
    );
    // FILETIME (100 ns since 1601) → datetime, as hunting queries convert it.
    assert_eq!(
        text("datetime(1601-01-01) + 132539328000000000 * 1tick"),
        "2021-01-01T00:00:00.0000000Z"
    );
    // Every tick counts: f64 would round this one (57 significant bits).
    assert_eq!(
        text("datetime(1601-01-01) + 132539328000000001 * 1tick"),
        "2021-01-01T00:00:00.0000001Z"
    );
    // Past year 9999 there is no datetime: null, not a wrapped number.
    assert_eq!(text("datetime(9999-12-31) + 1d"), "");
    assert_eq!(text("datetime(9999-01-01) + 10675199d"), "");
    assert_eq!(text("1h / 0"), "", "no timespan: null, not an error");
    assert_eq!(text("datetime(1601-01-01)"), "1601-01-01T00:00:00.0000000Z");
    let (_, ty) = scalar("datetime(1601-01-01)");
    assert_eq!(ty, KqlType::DateTime);
}

#[test]
fn timespan_arithmetic_has_kustos_types() {
    assert_eq!(scalar("1d / 1h"), ("24".to_string(), KqlType::Real));
    assert_eq!(scalar("90m / 1h"), ("1.5".to_string(), KqlType::Real));
    assert_eq!(
        scalar("(datetime(2024-01-02) - datetime(2024-01-01)) / 1m"),
        ("1440".to_string(), KqlType::Real)
    );
    assert_eq!(
        scalar("1h * 2"),
        ("02:00:00".to_string(), KqlType::Timespan)
    );
    assert_eq!(
        scalar("2 * 1h"),
        ("02:00:00".to_string(), KqlType::Timespan)
    );
    assert_eq!(
        scalar("1h * 1.5"),
        ("01:30:00".to_string(), KqlType::Timespan)
    );
    assert_eq!(
        scalar("1h / 4"),
        ("00:15:00".to_string(), KqlType::Timespan)
    );
    let result = run(
        "DeviceProcessEvents | take 20 | extend D = Timestamp - datetime(2020-01-01) | summarize avg(D), sum(D), min(D)",
    );
    assert_eq!(
        result.column_types(),
        [KqlType::Timespan, KqlType::Timespan, KqlType::Timespan]
    );
    assert!(
        result.cell_text(0, 0).unwrap().contains('.'),
        "days.hh:mm:ss"
    );
}

#[test]
fn make_set_of_dynamic_values_keeps_json_and_honours_the_size_limit() {
    let result = run(
        "DeviceProcessEvents | extend D = parse_json(strcat('{\"f\":\"', FileName, '\"}')), A = dynamic(['x', 'y']) | summarize make_set(D), make_list(A, 3), make_set(FileName, 5), make_set(A), make_set(A)",
    );
    assert_eq!(
        result.column_names(),
        ["set_D", "list_A", "set_FileName", "set_A", "set_A1"]
    );
    let json = |column: usize| -> serde_json::Value {
        serde_json::from_str(&result.cell_text(0, column).unwrap()).unwrap()
    };
    let objects = json(0);
    assert!(
        objects.as_array().unwrap().iter().all(|v| v.is_object()),
        "dynamic values stay JSON, not strings of JSON: {objects}"
    );
    assert_eq!(
        json(1),
        serde_json::json!([["x", "y"], ["x", "y"], ["x", "y"]]),
        "make_list keeps each value, up to the limit"
    );
    assert_eq!(json(2).as_array().unwrap().len(), 5);
    assert_eq!(
        json(3),
        serde_json::json!(["x", "y"]),
        "make_set spreads arrays into the set"
    );
}

#[test]
fn count_counts_nulls_and_empty_input_gives_one_row_of_defaults() {
    // F04: RemotePort is null on local logons.
    let result = run(
        "DeviceLogonEvents | summarize n = count(RemotePort), nn = countif(isnotnull(RemotePort)), all = count()",
    );
    let n: i64 = column(&result, "n")[0].parse().unwrap();
    let nn: i64 = column(&result, "nn")[0].parse().unwrap();
    assert_eq!(n, column(&result, "all")[0].parse::<i64>().unwrap());
    assert!(nn < n, "some ports are null: {nn} of {n}");
    let empty = run(
        "DeviceProcessEvents | where FileName == 'no such file' | summarize count(), countif(ProcessId > 0), dcount(FileName), sum(ProcessId), make_set(FileName), make_list(FileName), max(ProcessId), avg(ProcessId)",
    );
    assert_eq!(empty.row_count(), 1, "one row of defaults");
    let row: Vec<String> = (0..empty.column_count())
        .map(|c| empty.cell_text(0, c).unwrap_or_else(|| "null".into()))
        .collect();
    assert_eq!(row, ["0", "0", "0", "0", "[]", "[]", "null", "NaN"]);
    let grouped = run(
        "DeviceProcessEvents | where FileName == 'no such file' | summarize count() by DeviceName",
    );
    assert_eq!(grouped.row_count(), 0, "with group keys, no rows");
}

/// An engine over one table whose string column has real nulls (as files and other backends
/// can give): `T` with `S` (string) and `N` (long).
fn engine_with_null_strings() -> LocalEngine {
    let columns = vec![
        ("S".to_string(), KqlType::String),
        ("N".to_string(), KqlType::Long),
    ];
    let schema = kql_schema(&columns);
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec![
                Some("powershell.exe"),
                None,
                Some(""),
            ])),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
        ],
    )
    .unwrap();
    let mut catalog = Catalog::default();
    catalog.insert_batch("T", columns, batch).unwrap();
    LocalEngine::new(catalog, "test")
}

#[test]
fn negated_string_operators_keep_rows_whose_string_is_missing() {
    let engine = engine_with_null_strings();
    let count = |query: &str| {
        let result = runtime()
            .block_on(engine.execute(&QueryRequest::new(query)))
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        single_long(&result)
    };
    for op in [
        "!contains \"shell\"",
        "!startswith \"power\"",
        "!endswith \".exe\"",
        "!has \"exe\"",
        "!in (\"powershell.exe\")",
        "!contains_cs \"shell\"",
        "!hasprefix \"power\"",
        "!~ \"POWERSHELL.EXE\"",
        "!= \"powershell.exe\"",
    ] {
        assert_eq!(count(&format!("T | where S {op} | count")), 2, "S {op}");
    }
    assert_eq!(count("T | where isempty(S) | count"), 2);
    assert_eq!(count("T | where S == \"\" | count"), 2);
    // Strings computed from nothing are missing strings too.
    assert_eq!(
        count("T | extend E = iff(N > 1, string(null), S) | where E !contains \"zzz\" | count"),
        3
    );
    assert_eq!(
        count("T | extend E = iff(N > 1, string(null), S) | where E !in (\"zzz\") | count"),
        3
    );
    assert_eq!(
        count("T | extend E = iff(N > 1, string(null), S) | where isnull(E) | count"),
        0,
        "a string is never null (isnull-function.md)"
    );
}

#[test]
fn bin_is_exact_and_overflow_is_null_not_a_wrap() {
    assert_eq!(
        text("bin(132539327999999999, 10000000)"),
        "132539327990000000",
        "all 64 bits (f64 would round up to the next bin)"
    );
    assert_eq!(text("bin(-90, 60)"), "-120");
    assert_eq!(
        text("bin(7, -1)"),
        "",
        "a negative size gives null (bin-function.md)"
    );
    assert_eq!(text("bin(2.5, 1)"), "2");
    assert_eq!(
        text("bin(datetime(1969-12-31 13:00), 1d)"),
        "1969-12-31T00:00:00.0000000Z"
    );
    assert_eq!(text("bin(16d, 7d)"), "14.00:00:00");
    assert_eq!(text("timespan(10675199.00:00:00) + 1d"), "");
    assert_eq!(text("1d * 20000000"), "");
    assert_eq!(text("1h * 1e15"), "");
    assert_eq!(
        text("datetime(2024-01-01) - 1d"),
        "2023-12-31T00:00:00.0000000Z"
    );
}

#[test]
fn take_any_is_named_for_its_column_and_skips_missing_values() {
    let result = run(
        "DeviceProcessEvents | where FileName =~ 'psexec.exe' | summarize take_any(FileName), any(AccountName), take_any(ProcessId) by DeviceName",
    );
    assert_eq!(
        result.column_names(),
        ["DeviceName", "FileName", "any_AccountName", "ProcessId"]
    );
    assert!(!result.cell_text(0, 1).unwrap().is_empty());
    let empty = run(
        "DeviceProcessEvents | where FileName == 'none' | summarize take_any(FileName), min(FileName)",
    );
    assert_eq!(
        (empty.cell_text(0, 0), empty.cell_text(0, 1)),
        (Some(String::new()), Some(String::new())),
        "a string result is \"\", never null"
    );
}

#[test]
fn iff_case_and_coalesce_widen_numbers_and_refuse_mixed_types() {
    assert_eq!(
        scalar("iff(true, 1, 2.5)"),
        ("1".to_string(), KqlType::Real)
    );
    assert_eq!(
        scalar("iff(false, int(1), 2)"),
        ("2".to_string(), KqlType::Long)
    );
    assert_eq!(
        scalar("case(false, 1, true, 2.5, 3)"),
        ("2.5".to_string(), KqlType::Real)
    );
    assert_eq!(
        scalar("coalesce(int(null), 7)"),
        ("7".to_string(), KqlType::Long)
    );
    assert_eq!(scalar("iff(true, long(null), 2.5)").1, KqlType::Real);
    assert_eq!(
        scalar("coalesce('', 'b')"),
        ("b".to_string(), KqlType::String)
    );
    assert_eq!(scalar("coalesce('', '')").0, "");
    let e = error("DeviceInfo | project x = iff(true, 'a', 1)");
    assert!(e.message.contains("must have one type"), "{e}");
    assert_eq!(e.kind, ErrorKind::Semantic);
}

#[test]
fn ten_thousand_ioc_comparisons_are_answered() {
    let terms: Vec<String> = (0..10_000)
        .map(|i| format!("FileName == \"ioc-{i}.exe\""))
        .collect();
    let or_chain = format!(
        "DeviceProcessEvents | where {} or FileName == \"PsExec.exe\" | count",
        terms.join(" or ")
    );
    assert!(single_long(&run(&or_chain)) > 0);
    // The same list with `has` or in mixed forms gives the same answer as the set lookup.
    let has_chain = format!(
        "DeviceProcessEvents | where {} or ProcessCommandLine has \"comsvcs.dll\" | count",
        (0..10_000)
            .map(|i| format!("ProcessCommandLine has \"t{i}\""))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    assert_eq!(single_long(&run(&has_chain)), 1);
    let e = error(
        "DeviceInfo | where DeviceName == 1 or DeviceName == 2 or DeviceName == 3 or DeviceName == 4",
    );
    assert!(
        e.message.contains("cannot compare a string with a long"),
        "{e}"
    );
    let and_chain = format!(
        "DeviceProcessEvents | where {} | count",
        (0..10_000)
            .map(|i| format!("FileName != \"ioc-{i}.exe\""))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    assert_eq!(
        single_long(&run(&and_chain)),
        single_long(&run("DeviceProcessEvents | count"))
    );
    let terms: Vec<String> = (0..10_000).map(|i| format!("'t{i}'")).collect();
    let has_any = format!(
        "DeviceProcessEvents | where ProcessCommandLine has_any ({}, 'comsvcs.dll') | count",
        terms.join(", ")
    );
    assert_eq!(single_long(&run(&has_any)), 1);
}

#[test]
fn too_deep_expressions_and_huge_timespans_fail_with_a_message() {
    let sum = format!(
        "DeviceInfo | project x = {}",
        vec!["1"; 100_000].join(" + ")
    );
    let e = error(&sum);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.message.contains("nested more than 200 levels"), "{e}");
    let e = error("DeviceInfo | where Timestamp > ago(timespan(99999999999999:00:00))");
    assert!(e.message.contains("out of range"), "{e}");
    let e = error("DeviceInfo | where Timestamp > ago(3650000d)");
    assert!(e.message.contains("outside the years 1 to 9999"), "{e}");
    // Deep but within the limit runs.
    let sum = format!(
        "DeviceInfo | take 1 | project x = {}",
        vec!["1"; 150].join(" + ")
    );
    assert_eq!(run(&sum).cell_text(0, 0).unwrap(), "150");
}

#[test]
fn results_stop_at_the_row_limit_and_say_so() {
    let engine = LocalEngine::lab(&hunt::engine::LabOptions {
        scale: 1,
        seed: 0x4855_4E54,
        end_nanos: super::engine::END,
    })
    .unwrap()
    .with_row_limit(100);
    let request = QueryRequest::new("DeviceProcessEvents");
    let result = runtime().block_on(engine.execute(&request)).unwrap();
    assert_eq!(result.row_count(), 100);
    assert!(result.facts.truncated);
    let request = QueryRequest::new("DeviceProcessEvents | take 100");
    let result = runtime().block_on(engine.execute(&request)).unwrap();
    assert_eq!(result.row_count(), 100);
    assert!(
        !result.facts.truncated,
        "exactly the limit is not truncated"
    );
    let full = run("DeviceProcessEvents");
    assert!(!full.facts.truncated && full.row_count() > 100);
}

#[test]
fn parenthesised_tabular_lets_run() {
    let result = run(
        "let Psexec = (DeviceProcessEvents | where FileName =~ 'psexec.exe' | project DeviceName);\nPsexec | distinct DeviceName",
    );
    assert_eq!(result.row_count(), 1);
}

#[test]
fn valid_kql_the_engine_lacks_is_refused_by_name_not_as_a_syntax_error() {
    for (query, construct) in [
        (
            "DeviceInfo | assert-schema (DeviceName: string)",
            "'assert-schema'",
        ),
        (
            "DeviceProcessEvents | evaluate autocluster()",
            "'autocluster' plugin",
        ),
        ("DeviceInfo | fork (take 1) (take 2)", "'fork'"),
        (
            "DeviceInfo | scan with (step s output=last: true;)",
            "output=last",
        ),
        // Kusto's decimal is exact (0.1 + 0.2 == 0.3); as a real it would not be.
        (
            "print decimal(0.1) + decimal(0.2) == decimal(0.3)",
            "'decimal'",
        ),
        ("datatable(x: decimal) [1]", "'decimal'"),
        ("print s = '1.5' | parse s with x: decimal", "'decimal'"),
        (
            "print d = dynamic([1]) | mv-expand d to typeof(decimal)",
            "'decimal'",
        ),
    ] {
        let e = try_run(query).expect_err(query);
        assert_eq!(e.kind, ErrorKind::Unsupported, "{query}: {e}");
        assert!(e.message.contains(construct), "{query}: {e}");
        assert!(e.position.is_some(), "{query}: {e}");
    }
    // A view is named as a table is (let-statement.md).
    let view = run("let v = view () { DeviceInfo };\nv | take 1");
    assert_eq!(view.row_count(), 1);
    // A function that is defined but not used does not stop the query; one that is, runs.
    let result = run("let f = (x:long) { x + 1 };\nDeviceInfo | take 1");
    assert_eq!(result.row_count(), 1);
    let result = run("let f = (x:long) { x + 1 };\nDeviceInfo | take 1 | project y = f(1)");
    assert_eq!(column(&result, "y"), ["2"]);
    let e = error("   \n  // nothing\n");
    assert_eq!(e.message, "the query is empty");
}
