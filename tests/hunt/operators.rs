//! Tabular operators of the local engine (issue 9), each against its KQL page: `parse` and
//! `parse-where` (parse-operator.md, parse-where-operator.md), …

use super::engine::{column, error, run};

#[test]
fn parse_extracts_typed_columns_and_nulls_a_row_that_does_not_match() {
    let result = run(
        r#"datatable(s: string) ["x=1, y=abc", "x=oops, y=def", "nothing"]
        | parse s with "x=" x: long ", y=" y"#,
    );
    assert_eq!(column(&result, "x"), ["1", "", ""]);
    // Strict: one column not of its type nulls every column of the row.
    assert_eq!(column(&result, "y"), ["abc", "", ""]);
    assert_eq!(result.column_names(), ["s", "x", "y"]);
    // Relaxed: only the column that is not of its type.
    let relaxed = run(r#"datatable(s: string) ["x=oops, y=def"]
        | parse kind=relaxed s with "x=" x: long ", y=" y"#);
    assert_eq!(column(&relaxed, "x"), [""]);
    assert_eq!(column(&relaxed, "y"), ["def"]);
}

#[test]
fn parse_columns_end_at_the_first_delimiter_and_the_last_takes_the_rest() {
    let result = run(r#"print s = "a,b,c" | parse s with x "," y"#);
    assert_eq!(column(&result, "x"), ["a"]);
    assert_eq!(column(&result, "y"), ["b,c"]);
    // The pattern is anchored: without a trailing *, text after the last delimiter belongs to
    // no column and the row does not match.
    let anchored = run(r#"print s = "k=v; more" | parse s with "k=" v ";""#);
    assert_eq!(column(&anchored, "v"), [""]);
    let starred = run(r#"print s = "k=v; more" | parse s with "k=" v ";" *"#);
    assert_eq!(column(&starred, "v"), ["v"]);
}

#[test]
fn parse_where_keeps_only_the_rows_that_match() {
    let result = run(r#"datatable(s: string) ["id=7", "id=x", "other"]
        | parse-where s with "id=" id: int"#);
    assert_eq!(column(&result, "id"), ["7"]);
}

#[test]
fn parse_regex_is_greedy_unless_flagged_and_replaces_columns_in_place() {
    let text = r#"print s = "Name=Pipe, total=27, lock=1""#;
    let greedy = run(&format!(
        r#"{text} | parse kind=regex s with * "Name=" name "," *"#
    ));
    assert_eq!(column(&greedy, "name"), ["Pipe, total=27"]);
    let lazy = run(&format!(
        r#"{text} | parse kind=regex flags=Ui s with * "NAME=" name "," *"#
    ));
    assert_eq!(column(&lazy, "name"), ["Pipe"]);
    let replaced = run(&format!(r#"{text} | parse s with "Name=" s "," *"#));
    assert_eq!(replaced.column_names(), ["s"]);
    assert_eq!(column(&replaced, "s"), ["Pipe"]);
}

#[test]
fn parse_mistakes_get_a_message_with_a_position() {
    let bad_regex = error(r#"print s = "a" | parse kind=regex s with "(" x"#);
    assert!(
        bad_regex.message.contains("regular expression"),
        "{bad_regex}"
    );
    assert!(bad_regex.position.is_some());
    let bad_type = error(r#"print s = "a" | parse s with "a" x: numberish"#);
    assert!(
        bad_type
            .message
            .contains("'numberish' is not a scalar type"),
        "{bad_type}"
    );
    let flags = error(r#"print s = "a" | parse kind=simple flags=i s with "a" x"#);
    assert!(flags.message.contains("kind=regex"), "{flags}");
}

const FRUIT: &str = r#"datatable(Fruit: string, Color: string, Version: int) [
    "Apple", "Red", 1, "Apple", "Green", int(null),
    "Banana", "Yellow", int(null), "Banana", "Green", int(null),
    "Pear", "Brown", 1, "Pear", "Green", 2]"#;

#[test]
fn arg_max_takes_every_column_from_one_row_and_nulls_lose() {
    // arg-max-aggregation-function.md's null example.
    let result = run(&format!(
        "{FRUIT} | summarize arg_max(Version, *) by Fruit | order by Fruit asc"
    ));
    assert_eq!(result.column_names(), ["Fruit", "Version", "Color"]);
    assert_eq!(column(&result, "Version"), ["1", "", "2"]);
    assert_eq!(column(&result, "Color"), ["Red", "Yellow", "Green"]);
    let least = run(&format!(
        "{FRUIT} | summarize arg_min(Version, Color) by Fruit | order by Fruit asc"
    ));
    assert_eq!(column(&least, "Color"), ["Red", "Yellow", "Brown"]);
}

#[test]
fn arg_max_names_follow_kql() {
    // Named: the name is the maximised column's (summarize-operator.md's empty-input example).
    let result =
        run("datatable(x: long, y: string) [1, 'a', 3, 'b'] | summarize top = arg_max(x, *)");
    assert_eq!(result.column_names(), ["top", "y"]);
    assert_eq!(column(&result, "top"), ["3"]);
    // A returned column that is also a group key gets a new name.
    let result =
        run("datatable(x: long, y: string) [1, 'a', 3, 'b'] | summarize arg_max(x, y) by y");
    assert_eq!(result.column_names(), ["y", "x", "y1"]);
    // Over no rows and no groups: one row of nulls.
    let empty = run("datatable(x: long)[] | summarize arg_max_x = arg_max(x, *), sum(x)");
    assert_eq!(empty.row_count(), 1);
    assert_eq!(column(&empty, "arg_max_x"), [""]);
    assert_eq!(column(&empty, "sum_x"), ["0"]);
}

#[test]
fn summarize_takes_expressions_over_aggregates() {
    let result = run(
        "datatable(k: string, v: long) ['a', 1, 'a', 2, 'b', 5]
         | summarize array_length(make_set(v)), ratio = sum(v) * 1.0 / count(), n = dcount(v) + 1 by k
         | order by k asc",
    );
    assert_eq!(result.column_names(), ["k", "set_v", "ratio", "n"]);
    assert_eq!(column(&result, "set_v"), ["2", "1"]);
    assert_eq!(column(&result, "ratio"), ["1.5", "5"]);
    assert_eq!(column(&result, "n"), ["3", "2"]);
    let e = error("datatable(v: long) [1] | summarize tostring(v)");
    assert!(e.message.contains("expected an aggregate function"), "{e}");
    let e = error("datatable(v: long) [1] | summarize x = arg_max(v, *) + 1");
    assert!(e.message.contains("several columns"), "{e}");
}

#[test]
fn take_any_of_several_columns_takes_them_from_one_row() {
    let result = run("datatable(a: long, b: long) [1, 10, 2, 20] | summarize take_any(a, b)");
    assert_eq!(result.column_names(), ["a", "b"]);
    let (a, b) = (column(&result, "a"), column(&result, "b"));
    assert!(
        (a[0] == "1" && b[0] == "10") || (a[0] == "2" && b[0] == "20"),
        "{a:?} {b:?}"
    );
    let all = run("datatable(a: long, b: long) [1, 10] | summarize take_any(*)");
    assert_eq!(all.column_names(), ["a", "b"]);
}

#[test]
fn in_a_table_takes_its_first_column_as_the_set() {
    let query = |op: &str| {
        run(&format!(
            "datatable(x: string) ['a', 'B', 'c', ''] | where x {op} (datatable(y: string, z: long) ['a', 1, 'b', 2, '', 3]) | order by x asc"
        ))
    };
    assert_eq!(column(&query("in"), "x"), ["", "a"]);
    assert_eq!(column(&query("in~"), "x"), ["", "B", "a"]);
    assert_eq!(column(&query("!in"), "x"), ["B", "c"]);
    // Null on the set's side never makes `!in` drop every row (SQL's NOT IN would).
    let nulls = run(
        "datatable(x: long) [1, 2] | where x !in (datatable(y: long) [1, long(null)]) | project x",
    );
    assert_eq!(column(&nulls, "x"), ["2"]);
    let e = error("datatable(x: long) [1] | where x in (datatable(y: string) ['1'])");
    assert!(e.message.contains("cannot compare"), "{e}");
    let e = error("datatable(x: long) [1] | extend y = x in (datatable(y: long) [1])");
    assert!(e.message.contains("in where only"), "{e}");
}

#[test]
fn toscalar_is_the_first_value_of_the_first_row() {
    let result = run(
        "let top = toscalar(datatable(n: long, s: string) [3, 'x', 5, 'y'] | summarize max(n));
         print top = top, none = toscalar(datatable(n: long) [] ), plain = toscalar(7)",
    );
    assert_eq!(column(&result, "top"), ["5"]);
    assert_eq!(column(&result, "none"), [""]);
    assert_eq!(column(&result, "plain"), ["7"]);
    let from_function = run("let F = (T: (n: long)) { T | summarize sum(n) };
         print s = toscalar(F(datatable(n: long) [1, 2]))");
    assert_eq!(column(&from_function, "s"), ["3"]);
}

#[test]
fn percentiles_are_nearest_rank_and_named_as_kql_names_them() {
    // percentiles-aggregation-function.md: the P-th percentile is the smallest value with P%
    // of the values at or below it.
    let result = run(
        "range x from 1 to 10 step 1
         | summarize percentiles(x, 5, 50, 95), p = percentile(x, 51), percentiles_array(x, dynamic([0, 100]))",
    );
    assert_eq!(
        result.column_names(),
        [
            "percentile_x_5",
            "percentile_x_50",
            "percentile_x_95",
            "p",
            "percentiles_x"
        ]
    );
    assert_eq!(column(&result, "percentile_x_5"), ["1"]);
    assert_eq!(column(&result, "percentile_x_50"), ["5"]);
    assert_eq!(column(&result, "percentile_x_95"), ["10"]);
    assert_eq!(column(&result, "p"), ["6"]);
    assert_eq!(column(&result, "percentiles_x"), ["[1,10]"]);
    let times = run(
        "datatable(t: datetime) [datetime(2024-01-03), datetime(2024-01-01), datetime(2024-01-02)]
         | summarize percentile(t, 50)",
    );
    assert_eq!(
        column(&times, "percentile_t_50"),
        ["2024-01-02T00:00:00.0000000Z"]
    );
    let e = error("range x from 1 to 3 step 1 | summarize percentile(x, 101)");
    assert!(e.message.contains("0 to 100"), "{e}");
}

#[test]
fn conditional_and_spread_aggregates_follow_the_summarize_page() {
    let result = run("range x from 1 to 10 step 1
         | summarize dcountif(x, x > 3), sumif(x, x > 5), avgif(x, x > 5), minif(x, x > 5),
                     maxif(x, x < 5), stdev(x), variance(x), variancep(x), make_set_if(x, x > 9),
                     binary_all_xor(x)");
    assert_eq!(column(&result, "dcountif_x"), ["7"]);
    assert_eq!(column(&result, "sumif_x"), ["40"]);
    assert_eq!(column(&result, "avgif_x"), ["8"]);
    assert_eq!(column(&result, "minif_x"), ["6"]);
    assert_eq!(column(&result, "maxif_x"), ["4"]);
    assert_eq!(column(&result, "stdev_x"), ["3.0276503540974917"]);
    assert_eq!(column(&result, "variance_x"), ["9.166666666666666"]);
    assert_eq!(column(&result, "variancep_x"), ["8.25"]);
    assert_eq!(column(&result, "set_x"), ["[10]"]);
    assert_eq!(column(&result, "binary_all_xor_x"), ["11"]);
    // Over no rows (summarize-operator.md's defaults): stdev and variance are 0.
    let empty = run("datatable(x: long) [] | summarize stdev(x), variance(x), sumif(x, x > 0)");
    assert_eq!(column(&empty, "stdev_x"), ["0"]);
    assert_eq!(column(&empty, "variance_x"), ["0"]);
    assert_eq!(column(&empty, "sumif_x"), ["0"]);
}

#[test]
fn make_bag_merges_property_bags() {
    let result = run(
        r#"datatable(b: dynamic) [dynamic({"a": 1}), dynamic({"a": 2, "b": 3}), dynamic([1])]
           | summarize make_bag(b), only = make_bag_if(b, b.a == 2), capped = make_bag(b, 1)"#,
    );
    assert_eq!(column(&result, "bag_b"), [r#"{"a":1,"b":3}"#]);
    assert_eq!(column(&result, "only"), [r#"{"a":2,"b":3}"#]);
    assert_eq!(column(&result, "capped"), [r#"{"a":1}"#]);
    let e = error("datatable(s: string) ['x'] | summarize make_bag(s)");
    assert!(e.message.contains("property bags"), "{e}");
}

#[test]
fn window_functions_follow_the_serialized_order() {
    // row-number-function.md, prev-function.md, next-function.md.
    let result = run("range a from 1 to 5 step 1 | sort by a desc
         | extend rn = row_number(), rn7 = row_number(7), p = prev(a), n = next(a, 2, -1)");
    assert_eq!(column(&result, "a"), ["5", "4", "3", "2", "1"]);
    assert_eq!(column(&result, "rn"), ["1", "2", "3", "4", "5"]);
    assert_eq!(column(&result, "rn7"), ["7", "8", "9", "10", "11"]);
    assert_eq!(column(&result, "p"), ["", "5", "4", "3", "2"]);
    assert_eq!(column(&result, "n"), ["3", "2", "1", "-1", "-1"]);
    let restarted = run(
        r#"datatable (Airport: string, Airline: string, Departures: long)
           ["TLV", "LH", 1, "TLV", "LY", 100, "SEA", "LH", 1, "SEA", "BA", 2, "SEA", "LY", 0]
           | sort by Airport asc, Departures desc
           | extend Rank = row_number(1, prev(Airport) != Airport)"#,
    );
    assert_eq!(column(&restarted, "Rank"), ["1", "2", "3", "1", "2"]);
}

#[test]
fn row_cumsum_and_ranks_restart_as_their_pages_show() {
    // row-cumsum-function.md.
    let sums = run(r#"datatable (name: string, month: int, salary: long)
           ["Alice", 1, 1000, "Bob", 1, 1000, "Alice", 2, 2000, "Bob", 2, 1950, "Alice", 3, 1400, "Bob", 3, 1450]
           | order by name asc, month asc
           | extend total = row_cumsum(salary, name != prev(name))"#);
    assert_eq!(
        column(&sums, "total"),
        ["1000", "3000", "4400", "1000", "2950", "4400"]
    );
    let serialized = run(
        "datatable (a: long) [1, 2, 3, 4, 5, 6] | where a % 2 == 0 | serialize cs = row_cumsum(a)",
    );
    assert_eq!(column(&serialized, "cs"), ["2", "6", "12"]);
    // row-rank-dense-function.md and row-rank-min-function.md.
    let ranks = run(
        r#"datatable (Airline: string, Departures: long) ["LH", 3, "LY", 100, "UA", 3, "BA", 2, "EL", 3]
           | sort by Departures asc
           | extend dense = row_rank_dense(Departures), least = row_rank_min(Departures)"#,
    );
    assert_eq!(column(&ranks, "dense"), ["1", "2", "2", "2", "3"]);
    assert_eq!(column(&ranks, "least"), ["1", "2", "2", "2", "5"]);
}

#[test]
fn window_functions_keep_the_sort_order_of_a_partitioned_table() {
    // The lab's tables are read in several partitions: the windows must follow the sort.
    let result = run("DeviceProcessEvents | sort by Timestamp asc
         | extend p = prev(Timestamp), rn = row_number()
         | summarize out_of_order = countif(p > Timestamp), n = count(), last = max(rn)");
    assert_eq!(column(&result, "out_of_order"), ["0"]);
    assert_eq!(column(&result, "n"), column(&result, "last"));
    let filtered = run("range a from 1 to 5 step 1 | sort by a asc | where prev(a) > 2");
    assert_eq!(column(&filtered, "a"), ["4", "5"]);
}

#[test]
fn lookup_adds_the_right_sides_columns_keys_once() {
    // lookup-operator.md: leftouter by default, the keys appear once, other names that
    // collide are renamed.
    let facts = "let F = datatable(Id: long, Name: string) [1, 'a', 2, 'b', 3, 'c'];
                 let D = datatable(Id: long, Extra: string, Name: string) [1, 'x', 'A', 3, 'y', 'C'];";
    let result = run(&format!("{facts} F | lookup D on Id | order by Id asc"));
    assert_eq!(result.column_names(), ["Id", "Name", "Extra", "Name1"]);
    assert_eq!(column(&result, "Extra"), ["x", "", "y"]);
    let inner = run(&format!(
        "{facts} F | lookup kind=inner (D | project K = Id, Extra) on $left.Id == $right.K | order by Id asc"
    ));
    assert_eq!(inner.column_names(), ["Id", "Name", "Extra"]);
    assert_eq!(column(&inner, "Id"), ["1", "3"]);
    let e = error(&format!("{facts} F | lookup kind=leftanti D on Id"));
    assert!(e.message.contains("leftouter"), "{e}");
}

/// Field cases F01–F04 of `shared/cases/field-cases.md`, with the values the case states.
#[test]
fn field_cases_f01_to_f04() {
    // F01: the default join is innerunique — one of the two left rows sharing the key.
    let conn = r#"let Conn = datatable(DeviceName: string, RemoteIP: string, Connections: long)
        [ "ws-01.contoso.example", "192.0.2.10", 3, "ws-02.contoso.example", "192.0.2.10", 57,
          "ws-03.contoso.example", "198.51.100.7", 1 ];
        let Intel = datatable(RemoteIP: string, Label: string) [ "192.0.2.10", "c2-suspect" ];"#;
    let unique = run(&format!("{conn} Conn | join Intel on RemoteIP"));
    assert_eq!(unique.row_count(), 1);
    assert_eq!(
        unique.column_names(),
        [
            "DeviceName",
            "RemoteIP",
            "Connections",
            "RemoteIP1",
            "Label"
        ]
    );
    let inner = run(&format!("{conn} Conn | join kind=inner Intel on RemoteIP"));
    assert_eq!(inner.row_count(), 2);
    // F02: has matches whole terms.
    let terms = run(r#"datatable(ProcessCommandLine: string)
           [ "powershell.exe -enc SQBFAFgA", "powershell.exe -EncodedCommand SQBFAFgA", "cmd.exe /c encrypt.bat" ]
           | extend h = ProcessCommandLine has "enc", c = ProcessCommandLine contains "enc",
                    e = ProcessCommandLine has "exe""#);
    assert_eq!(column(&terms, "h"), ["true", "false", "false"]);
    assert_eq!(column(&terms, "c"), ["true", "true", "true"]);
    assert_eq!(column(&terms, "e"), ["true", "true", "true"]);
    let country =
        run(r#"datatable(CountryCode: string) ["BA", "B", "CA"] | where CountryCode has "b""#);
    assert_eq!(column(&country, "CountryCode"), ["B"]);
    // F03: extract_all with several groups gives arrays of arrays; mv-expand of null keeps
    // its row.
    let urls = run(
        r#"datatable(DeviceName: string, InitiatingProcessCommandLine: string)
           [ "ws-01.contoso.example", "winword.exe /n https://a.example/x.docm and http://b.example/y",
             "ws-02.contoso.example", "winword.exe /safe" ]
           | extend U3 = extract_all(@"(https?://([a-z.]+)(/\S*)?)", InitiatingProcessCommandLine),
                    U1 = extract_all(@"(https?://\S+)", InitiatingProcessCommandLine)
           | mv-expand U3
           | extend Full = tostring(U3[0]), Host = tostring(U3[1])"#,
    );
    assert_eq!(urls.row_count(), 3);
    assert_eq!(
        column(&urls, "U3"),
        [
            r#"["https://a.example/x.docm","a.example","/x.docm"]"#,
            r#"["http://b.example/y","b.example","/y"]"#,
            ""
        ]
    );
    assert_eq!(
        column(&urls, "U1")[..2],
        [
            r#"["https://a.example/x.docm","http://b.example/y"]"#,
            r#"["https://a.example/x.docm","http://b.example/y"]"#
        ]
    );
    assert_eq!(column(&urls, "U1")[2], "");
    assert_eq!(
        column(&urls, "Full"),
        ["https://a.example/x.docm", "http://b.example/y", ""]
    );
    assert_eq!(column(&urls, "Host"), ["a.example", "b.example", ""]);
    // F04: count(expr) counts nulls; empty input with no by gives one row of defaults.
    let counts = run(r#"datatable(DeviceName: string, RemotePort: int)
           [ "ws-01.contoso.example", 443, "ws-01.contoso.example", int(null), "ws-02.contoso.example", 80 ]
           | summarize n = count(RemotePort), nn = countif(isnotnull(RemotePort)) by DeviceName
           | order by DeviceName asc"#);
    assert_eq!(column(&counts, "n"), ["2", "1"]);
    assert_eq!(column(&counts, "nn"), ["1", "1"]);
    let empty =
        run("datatable(x: long) [] | summarize count(x), countif(x > 0), dcount(x), arg_max(x, *)");
    assert_eq!(empty.row_count(), 1);
    assert_eq!(column(&empty, "count_x"), ["0"]);
    assert_eq!(column(&empty, "countif_"), ["0"]);
    assert_eq!(column(&empty, "dcount_x"), ["0"]);
    assert_eq!(column(&empty, "x"), [""]);
}

#[test]
fn top_nested_keeps_the_top_values_within_each_level() {
    // top-nested-operator.md's "latest records per identity" example.
    let result = run(
        r#"datatable(id: string, timestamp: datetime, otherInformation: string)
           ["Barak", datetime(2015-01-01), "1", "Barak", datetime(2016-01-01), "2",
            "Barak", datetime(2017-01-20), "3", "Donald", datetime(2017-01-20), "4",
            "Donald", datetime(2017-01-18), "5", "Donald", datetime(2017-01-19), "6"]
           | top-nested of id by Ignore0 = max(1),
             top-nested 2 of timestamp by Ignore1 = max(timestamp),
             top-nested of otherInformation by Ignore2 = max(1)
           | project-away Ignore*
           | order by id asc, timestamp desc"#,
    );
    assert_eq!(
        column(&result, "id"),
        ["Barak", "Barak", "Donald", "Donald"]
    );
    assert_eq!(column(&result, "otherInformation"), ["3", "2", "4", "6"]);
    // Default names, and asc keeps the least.
    let least = run(
        "datatable(k: string, v: long) ['a', 1, 'a', 2, 'b', 5, 'c', 7, 'c', 1, 'c', 1]
         | top-nested 2 of k by sum(v) asc",
    );
    assert_eq!(least.column_names(), ["k", "aggregated_k"]);
    assert_eq!(column(&least, "k"), ["a", "b"]);
    assert_eq!(column(&least, "aggregated_k"), ["3", "5"]);
    let e = error("datatable(k: string) ['a'] | top-nested 1 of k with others = 'x' by count()");
    assert!(e.message.contains("with others"), "{e}");
}

#[test]
fn sample_picks_rows_and_sample_distinct_values() {
    let rows = run("range x from 1 to 100 step 1 | sample 7");
    assert_eq!(rows.row_count(), 7);
    let mut values = column(&rows, "x");
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 7, "rows are picked once each");
    let distinct = run("range x from 1 to 100 step 1 | extend k = x % 5 | sample-distinct 3 of k");
    assert_eq!(distinct.column_names(), ["k"]);
    let mut ks = column(&distinct, "k");
    ks.sort();
    ks.dedup();
    assert_eq!(ks.len(), 3);
    let all = run("range x from 1 to 10 step 1 | extend k = x % 2 | sample-distinct 5 of k");
    assert_eq!(all.row_count(), 2);
}

#[test]
fn mv_apply_runs_the_subquery_per_record() {
    // mv-apply-operator.md's examples.
    let top = run(
        "datatable (index: int, Arr: dynamic) [0, dynamic([1, 5, 3]), 1, dynamic([10, 2, 5, 7])]
         | mv-apply topElem = Arr to typeof(long) on (top 1 by topElem)",
    );
    assert_eq!(top.column_names(), ["index", "Arr", "topElem"]);
    assert_eq!(column(&top, "topElem"), ["5", "10"]);
    let zipped = run(r#"datatable (Val: int, Arr1: dynamic, Arr2: dynamic)
           [1, dynamic(['A1', 'A2']), dynamic(['B1', 'B2', 'B3']), 5, dynamic(['C1', 'C2']), dynamic(['D1'])]
           | mv-apply T1 = Arr1, T2 = Arr2 on (extend Out = strcat(T1, "_", T2) | summarize Out = make_list(Out))"#);
    assert_eq!(
        column(&zipped, "Out"),
        [r#"["A1_B1","A2_B2","_B3"]"#, r#"["C1_D1","C2_"]"#]
    );
    // The expanded column replaces the record's column of the same name.
    let biggest = run(
        "datatable (k: string, Metric: dynamic) ['a', dynamic([1.5, 9, 3]), 'b', dynamic([4, 2])]
         | mv-apply Metric to typeof(real) on (top 2 by Metric desc)",
    );
    assert_eq!(biggest.column_names(), ["k", "Metric"]);
    assert_eq!(column(&biggest, "Metric"), ["9", "3", "4", "2"]);
    // An expanded column named by itself leaves the input (mv-apply-operator.md).
    let counted = run(
        "datatable (k: string, a: dynamic) ['x', dynamic([1, 2, 3]), 'y', dynamic([])]
         | mv-apply a on (where a > 1 | count)",
    );
    assert_eq!(counted.column_names(), ["k", "Count"]);
    assert_eq!(column(&counted, "Count"), ["2"]);
    let e = error(
        "datatable (a: dynamic) [dynamic([1])] | mv-apply a on (join (datatable(a: long) [1]) on a)",
    );
    assert!(e.message.contains("inside mv-apply"), "{e}");
}

#[test]
fn parse_kv_extracts_typed_keys() {
    // parse-kv-operator.md's first and greedy examples.
    let result = run(
        "print str = 'ThreadId:458745723, Machine:Node001, Text: The service is up, Level: Info'
         | parse-kv str as (Text: string, ThreadId: long, Machine: string) with (pair_delimiter=',', kv_delimiter=':')
         | project-away str",
    );
    assert_eq!(result.column_names(), ["Text", "ThreadId", "Machine"]);
    assert_eq!(column(&result, "ThreadId"), ["458745723"]);
    assert_eq!(column(&result, "Text"), ["The service is up"]);
    let greedy = run(
        "print str = 'name=John Doe phone=555 5555 city=New York'
         | parse-kv str as (name: string, phone: string, city: string, zip: long) with (pair_delimiter=' ', kv_delimiter='=', greedy=true)",
    );
    assert_eq!(column(&greedy, "city"), ["New York"]);
    assert_eq!(column(&greedy, "zip"), [""]);
    let e = error("print s = 'a=1' | parse-kv s as (a: long) with (pair_delimiter=' ')");
    assert!(e.message.contains("kv_delimiter"), "{e}");
    let e = error("print s = 'a=1' | parse-kv s as (a: long) with (regex='(a)')");
    assert!(e.message.contains("two capturing groups"), "{e}");
}

#[test]
fn partition_runs_the_subquery_per_value() {
    let top = run(
        "datatable(k: string, v: long) ['a', 1, 'a', 5, 'b', 2, 'b', 9, 'b', 3]
         | partition by k (top 1 by v) | order by k asc",
    );
    assert_eq!(column(&top, "v"), ["5", "9"]);
    let sums = run("datatable(k: string, v: long) ['a', 1, 'a', 5, 'b', 2]
         | partition by k (summarize s = sum(v))");
    // The subqueries' results are unioned as they are: the key only where they keep it.
    assert_eq!(sums.column_names(), ["s"]);
    let mut totals = column(&sums, "s");
    totals.sort();
    assert_eq!(totals, ["2", "6"]);
    let keyed = run("datatable(k: string, v: long) ['a', 1, 'a', 5, 'b', 2]
         | partition by k (summarize s = sum(v) by k) | order by k asc");
    assert_eq!(keyed.column_names(), ["k", "s"]);
}

#[test]
fn as_consume_getschema_and_top_hitters() {
    let named = run(
        "datatable(x: long) [1, 2, 3] | as T | join kind=leftsemi (T | where x > 1) on x | count",
    );
    assert_eq!(column(&named, "Count"), ["2"]);
    let consumed = run("datatable(x: long) [1, 2, 3] | consume");
    assert_eq!(consumed.row_count(), 0);
    // getschema-operator.md's columns.
    let schema =
        run("datatable(a: long, b: string, c: datetime, d: dynamic, e: bool) [] | getschema");
    assert_eq!(
        schema.column_names(),
        ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"]
    );
    assert_eq!(column(&schema, "ColumnName"), ["a", "b", "c", "d", "e"]);
    assert_eq!(column(&schema, "ColumnOrdinal"), ["0", "1", "2", "3", "4"]);
    assert_eq!(
        column(&schema, "DataType"),
        [
            "System.Int64",
            "System.String",
            "System.DateTime",
            "System.Object",
            "System.SByte"
        ]
    );
    assert_eq!(
        column(&schema, "ColumnType"),
        ["long", "string", "datetime", "dynamic", "bool"]
    );
    let hitters = run(
        "datatable(k: string, v: long) ['a', 1, 'a', 1, 'b', 10, 'b', 1, 'c', 1, 'a', 1] | top-hitters 2 of k",
    );
    assert_eq!(hitters.column_names(), ["k", "approximate_count_k"]);
    assert_eq!(column(&hitters, "k"), ["a", "b"]);
    let summed = run(
        "datatable(k: string, v: long) ['a', 1, 'a', 1, 'b', 10, 'c', 1] | top-hitters 1 of k by v",
    );
    assert_eq!(summed.column_names(), ["k", "approximate_sum_v"]);
    assert_eq!(column(&summed, "approximate_sum_v"), ["10"]);
}

#[test]
fn union_splits_a_column_by_type_and_bin_names_its_group() {
    // union-operator.md, "Source columns types mismatch".
    let result = run("let View_1 = view () { print x = 1 };
         let View_2 = view () { print x = toint(2) };
         let View_3 = view () { print x_long = 3 };
         union withsource = TableName View_1, View_2, View_3 | order by TableName asc");
    assert_eq!(
        result.column_names(),
        ["TableName", "x_long1", "x_int", "x_long"]
    );
    assert_eq!(column(&result, "x_long1"), ["1", "", ""]);
    assert_eq!(column(&result, "x_int"), ["", "2", ""]);
    assert_eq!(column(&result, "x_long"), ["", "", "3"]);
    // `bin(Name = Column, size)` names the group, as a published hunting query writes it.
    let binned = run(
        "datatable(t: datetime) [datetime(2024-01-01 00:01), datetime(2024-01-01 00:07)]
         | summarize n = count() by bin(Five = t, 5m) | order by Five asc",
    );
    assert_eq!(binned.column_names(), ["Five", "n"]);
    assert_eq!(column(&binned, "n"), ["1", "1"]);
}

#[test]
fn iff_of_a_dynamic_value_and_a_string_is_a_string() {
    // Published hunting queries write `iff(…, parse_url(u).Host, u)` and union the result with
    // string columns of the same name.
    let result = run(r#"datatable(u: string) ["https://a.example/x", "plain"]
           | extend Host = iff(u startswith "http", parse_url(u).Host, u), n = case(false, dynamic([1]), 5)"#);
    assert_eq!(result.column_type(1), hunt::results::KqlType::String);
    assert_eq!(column(&result, "Host"), ["a.example", "plain"]);
    assert_eq!(result.column_type(2), hunt::results::KqlType::Dynamic);
    assert_eq!(column(&result, "n"), ["5", "5"]);
}

#[test]
fn bag_unpack_and_pivot_read_their_columns_from_the_data() {
    // bag-unpack-plugin.md: a column per slot, typed when every value agrees.
    let unpacked = run(r#"datatable(k: string, d: dynamic)
           ["a", dynamic({"Name": "John", "Age": 20}), "b", dynamic({"Name": "Dave", "Age": 40, "Extra": [1]})]
           | evaluate bag_unpack(d)"#);
    assert_eq!(unpacked.column_names(), ["k", "Name", "Age", "Extra"]);
    assert_eq!(column(&unpacked, "Age"), ["20", "40"]);
    assert_eq!(unpacked.column_type(2), hunt::results::KqlType::Long);
    assert_eq!(column(&unpacked, "Extra"), ["", "[1]"]);
    let prefixed = run(
        r#"datatable(d: dynamic) [dynamic({"x": 1}), dynamic({"x": "t"})] | evaluate bag_unpack(d, "p_")"#,
    );
    assert_eq!(prefixed.column_names(), ["p_x"]);
    assert_eq!(prefixed.column_type(0), hunt::results::KqlType::Dynamic);
    let schema = run(
        r#"datatable(k: string, d: dynamic) ["a", dynamic({"x": 1, "y": "s"})] | evaluate bag_unpack(d) : (x: long, z: string)"#,
    );
    assert_eq!(schema.column_names(), ["x", "z"]);
    let e =
        error(r#"datatable(x: long, d: dynamic) [1, dynamic({"x": 2})] | evaluate bag_unpack(d)"#);
    assert!(e.message.contains("columnsConflict"), "{e}");
    // pivot-plugin.md: a column per value, count() by default.
    let pivoted = run("datatable(State: string, EventType: string, n: long)
         ['TX', 'Flood', 1, 'TX', 'Hail', 2, 'CA', 'Flood', 5, 'TX', 'Flood', 3]
         | evaluate pivot(EventType, sum(n)) | order by State asc");
    assert_eq!(pivoted.column_names(), ["State", "Flood", "Hail"]);
    assert_eq!(column(&pivoted, "Flood"), ["5", "4"]);
    assert_eq!(column(&pivoted, "Hail"), ["0", "2"]);
    let counted = run(
        "datatable(State: string, EventType: string) ['TX', 'Flood', 'TX', 'Hail', 'CA', 'Flood']
         | evaluate pivot(EventType) | order by State asc",
    );
    assert_eq!(column(&counted, "Hail"), ["0", "1"]);
}

#[test]
fn hll_and_tdigest_sketches_are_exact_here() {
    // hll-merge-function.md's example.
    let merged = run("range x from 1 to 10 step 1 | extend y = x + 10
         | summarize hll_x = hll(x), hll_y = hll(y)
         | project merged = hll_merge(hll_x, hll_y) | project dcount_hll(merged)");
    assert_eq!(column(&merged, "dcount_hll_merged"), ["20"]);
    let unioned = run(
        "datatable(h: dynamic) [dynamic([1, 2]), dynamic([2, 3])] | summarize m = hll_merge(h) | project n = dcount_hll(m)",
    );
    assert_eq!(column(&unioned, "n"), ["3"]);
    // tdigest-aggregation-function.md's example: the weighted 50th percentile.
    let digest = run(
        "datatable(V: real, W: long) [1.0, 1, 2.0, 2] | summarize TD = tdigest(V, W)
         | project P50 = percentile_tdigest(TD, 50), P10 = percentile_tdigest(TD, 10)",
    );
    assert_eq!(column(&digest, "P50"), ["2"]);
    assert_eq!(column(&digest, "P10"), ["1"]);
    // Over no values: null (summarize-operator.md's defaults).
    let empty = run("datatable(x: long) [] | summarize hll(x), tdigest(x)");
    assert_eq!(column(&empty, "hll_x"), [""]);
    assert_eq!(column(&empty, "tdigest_x"), [""]);
}

#[test]
fn literal_forms_from_the_pages_and_constant_bin_sizes() {
    // startofweek-function.md writes datetime(2025, 6, 14); dynamic-to-json-function.md nests
    // dynamic literals.
    let result = run(
        "print d = datetime(2025, 6, 14), t = datetime(2025, 6, 14, 10, 30, 15.5),
               j = dynamic({'a': dynamic([1, dynamic({})])})",
    );
    assert_eq!(column(&result, "d"), ["2025-06-14T00:00:00.0000000Z"]);
    assert_eq!(column(&result, "t"), ["2025-06-14T10:30:15.5000000Z"]);
    assert_eq!(column(&result, "j"), [r#"{"a":[1,{}]}"#]);
    let e = error("print d = datetime(2025, 13, 14)");
    assert!(e.message.contains("is not a date"), "{e}");
    // join-time-window.md: a bin size computed from constants.
    let binned =
        run("let w = 1min; let b = w / 2.0; print x = bin(datetime(2017-10-01 00:00:50), b)");
    assert_eq!(column(&binned, "x"), ["2017-10-01T00:00:30.0000000Z"]);
}

#[test]
fn whole_numbers_divided_by_zero_are_null() {
    let result = run(
        "datatable(n: long, d: long) [7, 0, 7, 2, -7, 2] | extend q = n / d, r = n % d, x = 1.0 * n / d",
    );
    assert_eq!(column(&result, "q"), ["", "3", "-3"]);
    assert_eq!(column(&result, "r"), ["", "1", "1"]);
    assert_eq!(column(&result, "x")[1], "3.5");
}

#[test]
fn project_by_names_and_column_names_of() {
    // project-by-names-operator.md's examples.
    let result = run(
        "datatable(Name: string, Age: int, City: string, Country: string) ['Peter', 39, 'New York', 'USA']
         | project-by-names dynamic(['Name', 'Country'])",
    );
    assert_eq!(result.column_names(), ["Name", "Country"]);
    let looked_up = run(
        "let LookupTable = datatable(Name: string, Age: int, City: string, Country: string) ['Peter', 39, 'New York', 'USA'];
         let LookupColumns = (Source: (Name: string), lookup_columns: dynamic) {
             Source | lookup LookupTable on Name | project-by-names column_names_of(Source), lookup_columns
         };
         datatable(Name: string, Data: string) ['Peter', 'Source-data']
         | invoke LookupColumns(dynamic(['Country', 'NonExistent']))",
    );
    assert_eq!(looked_up.column_names(), ["Name", "Data", "Country"]);
    let patterned = run(
        "datatable(Name: string, Nick: string, Age: int) ['P', 'p', 1] | project-by-names Age, 'N*'",
    );
    assert_eq!(patterned.column_names(), ["Age", "Name", "Nick"]);
    // column-names-of-function.md.
    let names = run("let F = () { print A = '', B = 1 }; print Columns = column_names_of(F())");
    assert_eq!(column(&names, "Columns"), [r#"["A","B"]"#]);
}

#[test]
fn substring_counts_a_negative_start_from_the_end() {
    // substring-function.md's examples.
    let result = run(
        "print a = substring('123456', 1), b = substring('123456', 2, 2), c = substring('ABCD', 0, 2),
               d = substring('123456', -2, 2), e = substring('123456', -2), f = substring('abc', -5)",
    );
    assert_eq!(column(&result, "a"), ["23456"]);
    assert_eq!(column(&result, "b"), ["34"]);
    assert_eq!(column(&result, "c"), ["AB"]);
    assert_eq!(column(&result, "d"), ["56"]);
    assert_eq!(column(&result, "e"), ["56"]);
    assert_eq!(column(&result, "f"), ["abc"]);
}

#[test]
fn unfinished_lists_are_syntax_errors() {
    for (query, expected) in [
        ("DeviceInfo | summarize count() by", "after 'by'"),
        ("DeviceInfo | summarize count() by DeviceName,", "after ','"),
        ("DeviceInfo | project", "after 'project'"),
        ("DeviceInfo | distinct | count", "'distinct'"),
    ] {
        let e = error(query);
        assert_eq!(e.kind, hunt::backend::ErrorKind::Syntax, "{query}: {e}");
        assert!(e.message.contains(expected), "{query}: {e}");
        assert!(e.position.is_some(), "{query}: {e}");
    }
    assert_eq!(run("DeviceInfo | serialize | count").row_count(), 1);
}

#[test]
fn pack_all_packs_the_rows_columns() {
    // pack-all-function.md.
    let result = run(
        "datatable(Source: string, Target: string, Count: long) ['555-1234', '555-1212', 46, '555-2424', '', long(null)]
         | project Pack = pack_all(), Kept = pack_all(true)",
    );
    assert_eq!(
        column(&result, "Pack"),
        [
            r#"{"Source":"555-1234","Target":"555-1212","Count":46}"#,
            r#"{"Source":"555-2424","Target":"","Count":null}"#
        ]
    );
    assert_eq!(column(&result, "Kept")[1], r#"{"Source":"555-2424"}"#);
}

#[test]
fn mv_apply_subqueries_see_the_records_other_columns() {
    // mv-apply-operator.md's last example: the subquery expands a column it was not given.
    let result = run(
        "datatable(Source: string, Target: string, Count: long) ['555-1234', '555-1212', 46, '555-2424', '', long(null)]
         | extend Pack = pack_all()
         | mv-apply removeProperties = Pack on (
             mv-expand kind = array Pack
             | where Pack[1] !startswith '555'
             | summarize propsToRemove = make_set(Pack[0])
           )
         | extend values = bag_remove_keys(Pack, propsToRemove)
         | project-away propsToRemove",
    );
    assert_eq!(
        result.column_names(),
        ["Source", "Target", "Count", "Pack", "values"]
    );
    assert_eq!(
        column(&result, "values"),
        [
            r#"{"Source":"555-1234","Target":"555-1212"}"#,
            r#"{"Source":"555-2424"}"#
        ]
    );
}

#[test]
fn window_functions_need_a_serialized_row_set() {
    // window-functions.md: sort, top or serialize make a serialized row set; summarize does not.
    let e = error("DeviceProcessEvents | summarize c = count() by DeviceName | extend p = prev(c)");
    assert_eq!(e.kind, hunt::backend::ErrorKind::Semantic, "{e}");
    assert!(e.message.contains("serialized row set"), "{e}");
    assert!(e.position.is_some());
    let serialized = run(
        "DeviceProcessEvents | summarize c = count() by DeviceName | serialize p = prev(c) | count",
    );
    assert_eq!(column(&serialized, "Count"), ["30"]);
    // A sort below a serialize still orders the window.
    let sorted = run(
        "DeviceProcessEvents | sort by Timestamp asc | serialize | extend p = prev(Timestamp)
         | summarize n = countif(p > Timestamp)",
    );
    assert_eq!(column(&sorted, "n"), ["0"]);
    let e = error("range a from 1 to 3 step 1 | extend r = row_number()");
    assert!(e.message.contains("serialized row set"), "{e}");
}

#[test]
fn bracket_names_in_print_and_project_rename() {
    // entity-names.md: ['name'] stands wherever a name does.
    let printed = run("print ['my col'] = 1, (1 + 2)");
    assert_eq!(printed.column_names(), ["my col", "print_1"]);
    assert_eq!(column(&printed, "print_1"), ["3"]);
    let renamed = run("print x = 1 | project-rename ['y z'] = x");
    assert_eq!(renamed.column_names(), ["y z"]);
    let back = run("datatable(['a b']: long) [1] | project-rename c = ['a b']");
    assert_eq!(back.column_names(), ["c"]);
}
