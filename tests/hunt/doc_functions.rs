//! Functions, aggregates and plugins added for the documented examples (issue 9), each against
//! its KQL page and its edges: `row_rank_min`/`row_rank_dense` with a restart and
//! `row_window_session` (window functions), `percentilesw` (weighted percentiles),
//! `array_sort_asc/desc` of several arrays, the plugins `rows_near`, `ipv4_lookup`,
//! `geo_polygon_lookup`, `geo_line_lookup` and `dcount_intersect`, the `scan` and `reduce`
//! operators, and `estimate_data_size()`.

use hunt::backend::ErrorKind;

use super::engine::{column, error, run};

#[test]
fn row_rank_min_and_dense_restart_where_told() {
    // row-rank-min-function.md, the second example.
    let ranked = run(r#"datatable(Category:string, Item:string, Value:int)
        ["A", "item1", 10, "A","item2", 10, "A", "item3", 5, "A", "item4", 20, "B", "item2", 5, "B", "item1", 7]
        | sort by Category asc, Value asc
        | extend rank = row_rank_min(Value, Category != prev(Category)),
                 dense = row_rank_dense(Value, Category != prev(Category)),
                 plain = row_rank_min(Value)"#);
    assert_eq!(column(&ranked, "rank"), ["1", "2", "2", "4", "1", "2"]);
    assert_eq!(column(&ranked, "dense"), ["1", "2", "2", "3", "1", "2"]);
    // Without a restart, 5 in B follows 20 in A: a new run, numbered by its row.
    assert_eq!(column(&ranked, "plain"), ["1", "2", "2", "4", "5", "6"]);
    // Null terms are equal to each other; a null restart does not restart.
    let nulls = run(r#"datatable(x:long) [1, long(null), long(null), 2]
        | serialize
        | extend r = row_rank_min(x, bool(null)), d = row_rank_dense(x)"#);
    assert_eq!(column(&nulls, "r"), ["1", "2", "2", "4"]);
    assert_eq!(column(&nulls, "d"), ["1", "2", "2", "3"]);
    // A window function needs a serialized row set.
    let e = error("datatable(x:long) [1] | extend r = row_rank_min(x, true)");
    assert!(e.message.contains("serialized"), "{e}");
}

#[test]
fn row_window_session_follows_the_pages_rules() {
    let sessions = run(r#"datatable (ID:string, Timestamp:datetime) [
            "1", datetime(2024-04-11 10:00:00), "2", datetime(2024-04-11 10:18:00),
            "1", datetime(2024-04-11 11:00:00), "3", datetime(2024-04-11 11:30:00),
            "2", datetime(2024-04-11 13:30:00), "2", datetime(2024-04-11 10:16:00)]
        | sort by ID asc, Timestamp asc
        | extend SessionStarted = row_window_session(Timestamp, 1h, 5m, ID != prev(ID))"#);
    assert_eq!(
        column(&sessions, "SessionStarted"),
        [
            "2024-04-11T10:00:00.0000000Z",
            "2024-04-11T11:00:00.0000000Z",
            "2024-04-11T10:16:00.0000000Z",
            "2024-04-11T10:16:00.0000000Z",
            "2024-04-11T13:30:00.0000000Z",
            "2024-04-11T11:30:00.0000000Z"
        ]
    );
    // A session lasts at most MaxDistanceFromFirst, even with close neighbours; a null value
    // gives null and the next value starts a session.
    let capped = run(
        r#"datatable (t:datetime) [datetime(2024-01-01 00:00), datetime(2024-01-01 00:04),
            datetime(2024-01-01 00:08), datetime(null), datetime(2024-01-01 00:09)]
        | serialize
        | extend s = row_window_session(t, 6m, 5m)"#,
    );
    assert_eq!(
        column(&capped, "s"),
        [
            "2024-01-01T00:00:00.0000000Z",
            "2024-01-01T00:00:00.0000000Z",
            "2024-01-01T00:08:00.0000000Z",
            "",
            "2024-01-01T00:09:00.0000000Z"
        ]
    );
    let e = error("print t = now() | serialize | extend s = row_window_session(t, 1, 5m)");
    assert!(e.message.contains("timespan"), "{e}");
}

#[test]
fn weighted_percentiles_count_each_value_weight_times() {
    let table = "datatable (ReqCount:long, LatencyBucket:long) [8, 10, 6, 20, 3, 30, 1, 40]";
    let columns = run(&format!(
        "{table} | summarize percentilesw(LatencyBucket, ReqCount, 50, 75, 99.9)"
    ));
    assert_eq!(
        columns.column_names(),
        [
            "percentile_LatencyBucket_50",
            "percentile_LatencyBucket_75",
            "percentile_LatencyBucket_99_9"
        ]
    );
    assert_eq!(column(&columns, "percentile_LatencyBucket_50"), ["20"]);
    assert_eq!(column(&columns, "percentile_LatencyBucket_99_9"), ["40"]);
    let array = run(&format!(
        "{table} | summarize percentilesw_array(LatencyBucket, ReqCount, dynamic([0, 50, 100]))"
    ));
    assert_eq!(column(&array, "percentiles_LatencyBucket"), ["[10,20,40]"]);
    let one = run(&format!(
        "{table} | summarize p = percentilew(LatencyBucket, ReqCount, 75)"
    ));
    assert_eq!(column(&one, "p"), ["20"]);
    // Weights of 0 or less and null values count for nothing; nothing at all gives null.
    let skipped = run(
        "datatable (w:long, v:long) [0, 1, -3, 2, 1, 3, 5, long(null)] | summarize p = percentilew(v, w, 0)",
    );
    assert_eq!(column(&skipped, "p"), ["3"]);
    let empty = run("datatable (w:long, v:long) [0, 1] | summarize p = percentilew(v, w, 50)");
    assert_eq!(column(&empty, "p"), [""]);
    let e = error("datatable (w:real, v:long) [1.5, 1] | summarize percentilew(v, w, 50)");
    assert!(e.message.contains("weight"), "{e}");
}

#[test]
fn sorting_several_arrays_gives_a_column_per_array() {
    let sorted = run(r#"let array1 = dynamic([1,3,4,5,2]);
        let array2 = dynamic(["a","b","c","d","e"]);
        print array_sort_desc(array1,array2)"#);
    assert_eq!(sorted.column_names(), ["array1_sorted", "array2_sorted"]);
    assert_eq!(
        column(&sorted, "array2_sorted"),
        [r#"["d","c","b","e","a"]"#]
    );
    let named = run(r#"print a = dynamic([2, 1]), b = dynamic(["x", "y"])
        | extend (sa, sb) = array_sort_asc(a, b, false)"#);
    assert_eq!(column(&named, "sb"), [r#"["y","x"]"#]);
    let indexed = run(r#"print a = dynamic([2, 1]), b = dynamic(["x", "y"])
        | project s = array_sort_asc(a, b)[1]"#);
    assert_eq!(column(&indexed, "s"), [r#"["y","x"]"#]);
    // Elsewhere the columns have nowhere to go.
    let e = error(r#"print s = strcat_array(array_sort_asc(dynamic([1]), dynamic([2])), ",")"#);
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    let e = error(r#"print s = array_sort_asc(dynamic([1]), dynamic([2]))"#);
    assert!(e.message.contains("name them all"), "{e}");
}

#[test]
fn rows_near_keeps_the_rows_around_a_match() {
    let near = run(
        r#"datatable (t:long, State:string) [1, "ok", 2, "ok", 3, "ok", 4, "bad", 5, "ok", 6, "ok", 7, "bad"]
        | sort by t asc
        | evaluate rows_near(State == "bad", 1)"#,
    );
    assert_eq!(column(&near, "t"), ["3", "4", "5", "6", "7"]);
    assert_eq!(near.column_names(), ["t", "State"]);
    let after = run(
        r#"datatable (t:long, State:string) [1, "ok", 2, "bad", 3, "ok", 4, "ok"]
        | sort by t asc
        | evaluate rows_near(State == "bad", 0, 2)"#,
    );
    assert_eq!(column(&after, "t"), ["2", "3", "4"]);
    let e = error(r#"datatable (t:long) [1] | sort by t asc | evaluate rows_near(t > 0, -1)"#);
    assert!(e.message.contains("rows_near"), "{e}");
}

#[test]
fn ipv4_lookup_joins_on_prefixes_and_keeps_unmatched_when_told() {
    let lookup = r#"let IP_Data = datatable(network:string, country:string)
        ["5.8.0.0/19", "Russia", "2.20.183.0/24", "United Kingdom"];
        let IPs = datatable(ip:string) ['2.20.183.12', '5.8.1.2', '192.165.12.17'];"#;
    let matched = run(&format!(
        "{lookup} IPs | evaluate ipv4_lookup(IP_Data, ip, network) | sort by ip asc"
    ));
    assert_eq!(matched.column_names(), ["ip", "network", "country"]);
    assert_eq!(column(&matched, "country"), ["United Kingdom", "Russia"]);
    let all = run(&format!(
        "{lookup} IPs | evaluate ipv4_lookup(IP_Data, ip, network, true) | sort by ip asc"
    ));
    assert_eq!(column(&all, "country"), ["", "United Kingdom", "Russia"]);
    let e = error(&format!("{lookup} IPs | evaluate ipv4_lookup(IP_Data, ip)"));
    assert!(e.message.contains("ipv4_lookup"), "{e}");
}

#[test]
fn dcount_intersect_counts_the_intersections() {
    // dcount-intersect-plugin.md: 0 is in every set, hence the - 1.
    let counts = run(r#"range x from 1 to 100 step 1
        | extend isEven = (x % 2 == 0), isMod3 = (x % 3 == 0), isMod5 = (x % 5 == 0)
        | summarize hll_even = hll(iif(isEven, x, 0), 2), hll_mod3 = hll(iif(isMod3, x, 0), 2),
                    hll_mod5 = hll(iif(isMod5, x, 0), 2)
        | evaluate dcount_intersect(hll_even, hll_mod3, hll_mod5)
        | project s0 - 1, s1 - 1, s2 - 1"#);
    let row: Vec<String> = (0..3)
        .map(|c| counts.cell_text(0, c).unwrap_or_default())
        .collect();
    assert_eq!(row, ["50", "16", "3"]);
    let e = error("print x = 1 | evaluate dcount_intersect(x, x)");
    assert!(e.message.contains("sketches"), "{e}");
}

#[test]
fn ip_location_is_refused_by_name() {
    let e = error(r#"print geo_info_from_ip_address("20.53.203.50")"#);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("geo_info_from_ip_address"), "{e}");
}

#[test]
fn geo_lookups_join_locations_with_shapes() {
    let tables = r#"let polygons = datatable(polygon_name:string, polygon:dynamic) [
            "square", dynamic({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]})];
        let roads = datatable(road_name:string, road:dynamic) [
            "equator", dynamic({"type":"LineString","coordinates":[[10,0],[11,0]]})];
        let locations = datatable(name:string, lng:real, lat:real)
            ["inside", 0.5, 0.5, "near", 1.0005, 0.5, "far", 5.0, 5.0, "on the road", 10.5, 0.0001];"#;
    let inside = run(&format!(
        "{tables} locations | evaluate geo_polygon_lookup(polygons, polygon, lng, lat)"
    ));
    assert_eq!(
        inside.column_names(),
        ["name", "lng", "lat", "polygon_name"]
    );
    assert_eq!(column(&inside, "name"), ["inside"]);
    // Within 100 meters of the border; unmatched rows kept; the key column asked for.
    let near = run(&format!(
        "{tables} locations
        | evaluate geo_polygon_lookup(polygons, polygon, lng, lat, radius = 100, return_unmatched = true, return_lookup_key = true)
        | sort by name asc"
    ));
    assert_eq!(
        near.column_names(),
        ["name", "lng", "lat", "polygon_name", "polygon"]
    );
    assert_eq!(column(&near, "polygon_name"), ["", "square", "square", ""]);
    // In order: radius, return_unmatched.
    let positional = run(&format!(
        "{tables} locations | evaluate geo_polygon_lookup(polygons, polygon, lng, lat, 100, false) | sort by name asc"
    ));
    assert_eq!(column(&positional, "name"), ["inside", "near"]);
    let road = run(&format!(
        "{tables} locations | evaluate geo_line_lookup(roads, road, lng, lat, 50)"
    ));
    assert_eq!(column(&road, "name"), ["on the road"]);
    assert_eq!(road.column_names(), ["name", "lng", "lat", "road_name"]);
    let e = error(&format!(
        "{tables} locations | evaluate geo_line_lookup(roads, road, lng, lat)"
    ));
    assert!(e.message.contains("radius"), "{e}");
    let e = error(&format!(
        "{tables} locations | evaluate geo_polygon_lookup(polygons, polygon, lng, lat, radius = 1, radius = 2)"
    ));
    assert!(e.message.contains("twice"), "{e}");
    let e = error(&format!(
        "{tables} locations | evaluate geo_polygon_lookup(polygons, polygon_name, lng, lat)"
    ));
    assert!(e.message.contains("dynamic"), "{e}");
}

#[test]
fn scan_runs_the_pages_examples() {
    // scan-operator.md: cumulative sums, with a reset, and filling forward.
    let sums = run(r#"range x from 1 to 5 step 1
        | scan declare (cumulative_x:long=0) with (step s1: true => cumulative_x = x + s1.cumulative_x;)"#);
    assert_eq!(column(&sums, "cumulative_x"), ["1", "3", "6", "10", "15"]);
    let reset = run(r#"range x from 1 to 5 step 1
        | extend y = 2 * x
        | scan declare (cumulative_x:long=0, cumulative_y:long=0) with
        (
            step s1: true => cumulative_x = iff(s1.cumulative_x >= 10, x, x + s1.cumulative_x),
                             cumulative_y = iff(s1.cumulative_y >= 10, y, y + s1.cumulative_y);
        )"#);
    assert_eq!(column(&reset, "cumulative_x"), ["1", "3", "6", "10", "5"]);
    assert_eq!(column(&reset, "cumulative_y"), ["2", "6", "12", "8", "18"]);
    let filled = run(
        r#"datatable (Ts: timespan, Event: string) [0m, "A", 1m, "", 2m, "B", 3m, "", 4m, ""]
        | sort by Ts asc
        | scan declare (Event_filled: string="") with
        (
            step s1: true => Event_filled = iff(isempty(Event), s1.Event_filled, Event);
        )"#,
    );
    assert_eq!(column(&filled, "Event_filled"), ["A", "A", "B", "B", "B"]);
    // One row per login/logout pair: s1 outputs nothing, s2 reads s1's state.
    let sessions = run(
        r#"datatable(Timestamp:datetime, userID:int, EventType:string)
        [
            datetime(2024-05-28 08:15:23), 1, "login",
            datetime(2024-05-28 12:30:45), 1, "logout"
        ]
        | sort by Timestamp asc
        | scan declare (start: datetime, sessionDuration: timespan) with (
            step s1 output=none: EventType == "login" => start = Timestamp;
            step s2 output=all: EventType == "logout" => start = s1.start, sessionDuration = Timestamp - s1.start;
        )"#,
    );
    assert_eq!(column(&sessions, "sessionDuration"), ["04:15:22"]);
    assert_eq!(
        sessions.column_names(),
        [
            "Timestamp",
            "userID",
            "EventType",
            "start",
            "sessionDuration"
        ]
    );
    // The page's per-user form: a scan in each partition.
    let per_user = run(
        r#"datatable(Timestamp:datetime, userID:int, EventType:string)
        [
            datetime(2024-05-28 08:15:23), 1, "login",
            datetime(2024-05-28 08:30:15), 2, "login",
            datetime(2024-05-28 09:10:27), 3, "login",
            datetime(2024-05-28 12:30:45), 1, "logout",
            datetime(2024-05-28 11:45:32), 2, "logout",
            datetime(2024-05-28 13:25:19), 3, "logout"
        ]
        | sort by userID, Timestamp
        | partition hint.strategy=native by userID (
            sort by Timestamp asc
            | scan declare (start: datetime, end: datetime, sessionDuration: timespan) with (
                step s1 output=none: EventType == "login" => start = Timestamp;
                step s2 output=all: EventType == "logout" => start = s1.start, end = Timestamp, sessionDuration = Timestamp - s1.start;
            )
        )
        | project start, end, userID, sessionDuration
        | sort by userID asc"#,
    );
    assert_eq!(
        column(&per_user, "sessionDuration"),
        ["04:15:22", "03:15:17", "04:14:52"]
    );
}

#[test]
fn scan_sequences_get_match_ids() {
    let events = r#"datatable (Ts: timespan, Event: string)
        [0m, "A", 1m, "Start", 2m, "B", 4m, "Stop", 6m, "C", 8m, "Start", 11m, "E", 12m, "Stop"]
        | sort by Ts asc"#;
    let matched = run(&format!(
        r#"{events} | scan with_match_id=m_id with
        (
            step s1: Event == "Start";
            step s2: Event != "Start" and Event != "Stop" and Ts - s1.Ts <= 5m;
            step s3: Event == "Stop" and Ts - s1.Ts <= 5m;
        )"#
    ));
    assert_eq!(
        column(&matched, "Event"),
        ["Start", "B", "Stop", "Start", "E", "Stop"]
    );
    assert_eq!(column(&matched, "m_id"), ["0", "0", "0", "1", "1", "1"]);
    // Refused and wrong forms get messages.
    let e = error(&format!(
        "{events} | scan with (step s1 output=last: Event == 'A';)"
    ));
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    let e = error(&format!(
        "{events} | scan declare (n: long) with (step s1: true => n = Event;)"
    ));
    assert!(e.message.contains("long"), "{e}");
    let e = error(&format!("{events} | scan with (step s1: true => Ts = 1m;)"));
    assert!(e.message.contains("not a declared column"), "{e}");
    let e = error(&format!(
        "{events} | scan with (step s1: true; step s1: false;)"
    ));
    assert!(e.message.contains("twice"), "{e}");
    let e = error(&format!("{events} | scan with (step s1: Ts;)"));
    assert!(e.message.contains("true/false"), "{e}");
}

#[test]
fn buildschema_admits_every_value() {
    let schema = run(r#"datatable(value: dynamic) [
            dynamic({"x":1, "y":3.5}),
            dynamic({"x":"somevalue", "z":[1, 2, 3]}),
            dynamic({"y":{"w":"zzz"}, "t":["aa", "bb"], "z":["foo"]})
        ]
        | summarize buildschema(value)"#);
    assert_eq!(schema.column_names(), ["schema_value"]);
    assert_eq!(
        column(&schema, "schema_value"),
        [
            r#"{"x":["long","string"],"y":["double",{"w":"string"}],"z":{"`indexer`":["long","string"]},"t":{"`indexer`":"string"}}"#
        ]
    );
    // Per group; no rows give null; a conversion's column names it.
    let grouped = run(
        r#"datatable(k: string, v: dynamic) ["a", dynamic(1), "a", dynamic(true), "b", dynamic("s")]
        | summarize s = buildschema(v) by k | sort by k asc"#,
    );
    assert_eq!(column(&grouped, "s"), [r#"["long","bool"]"#, "string"]);
    let empty = run("datatable(x: long) [] | summarize buildschema(todynamic(tostring(x)))");
    assert_eq!(empty.column_names(), ["schema_x"]);
    assert_eq!(column(&empty, "schema_x"), [""]);
    let e = error("print x = 1 | summarize buildschema(x)");
    assert!(e.message.contains("dynamic"), "{e}");
    let e = error(r#"print v = dynamic({"a": []}) | summarize buildschema(v)"#);
    assert!(e.message.contains("empty"), "{e}");
}

/// The text of the substring of `query` an error points at.
fn pointed<'q>(query: &'q str, e: &hunt::backend::QueryError) -> &'q str {
    let span = e
        .span
        .unwrap_or_else(|| panic!("{query}: no position in {e}"));
    &query[span.start..span.end]
}

#[test]
fn reduce_groups_strings_under_their_patterns() {
    // reduce-operator.md's examples: one term per value is never frequent at 1 in 10 …
    let plain = run(
        r#"range x from 1 to 10 step 1 | project str = strcat("foo", "Z", tostring(x))
        | reduce by str"#,
    );
    assert_eq!(plain.column_names(), ["Pattern", "Count", "Representative"]);
    assert_eq!(column(&plain, "Pattern"), ["others"]);
    assert_eq!(column(&plain, "Count"), ["10"]);
    assert_eq!(column(&plain, "Representative"), [""]);
    // … but with Z a separator, foo is in every value.
    let split = run(
        r#"range x from 1 to 10 step 1 | project str = strcat("foo", "Z", tostring(x))
        | reduce by str with characters="Z""#,
    );
    assert_eq!(column(&split, "Pattern"), ["foo*"]);
    assert_eq!(column(&split, "Count"), ["10"]);
    assert_eq!(column(&split, "Representative"), ["fooZ1"]);
    // Default separators stay in the pattern; most values first, others last.
    let cities = run(
        r#"datatable(city: string) ["San Bernard", "Moscow", "San Diego", "Paris",
        "San Jose", "Moscow", "Lyon", "Moscow", "Saint Lucy", "Moscow", "Nice", "Oslo"]
        | reduce by city with threshold=0.2"#,
    );
    assert_eq!(column(&cities, "Pattern"), ["Moscow", "San *", "others"]);
    assert_eq!(column(&cities, "Count"), ["4", "3", "5"]);
    assert_eq!(
        column(&cities, "Representative"),
        ["Moscow", "San Bernard", ""]
    );
    // The parenthesised form of the properties; an empty input has no rows.
    let parenthesised = run(r#"datatable(s: string) ["a-1", "a-2", "b"]
        | reduce by s with (threshold=0.5, characters="-")"#);
    assert_eq!(column(&parenthesised, "Pattern"), ["a*", "others"]);
    let empty = run(r#"datatable(s: string) [] | reduce by s"#);
    assert_eq!(empty.row_count(), 0);
    assert_eq!(empty.column_names(), ["Pattern", "Count", "Representative"]);
    // Later operators read the columns by name and type.
    let counted = run(
        r#"range x from 1 to 10 step 1 | project str = strcat("foo", "Z", tostring(x))
        | reduce by str with characters="Z" | where Count > 5 | extend n = Count * 2"#,
    );
    assert_eq!(column(&counted, "n"), ["20"]);
}

#[test]
fn reduce_kind_source_appends_each_rows_pattern() {
    let result = run(
        r#"datatable(id: long, s: string) [1, "a 1", 2, "b", 3, "a 2", 4, ""]
        | reduce kind=source by s with threshold=0.4"#,
    );
    assert_eq!(result.column_names(), ["id", "s", "Pattern"]);
    assert_eq!(column(&result, "id"), ["1", "2", "3", "4"]);
    assert_eq!(
        column(&result, "Pattern"),
        ["a *", "others", "a *", "others"]
    );
    // The value reduced may be any string expression of the row.
    let computed = run(r#"range x from 1 to 4 step 1
        | reduce kind=source by strcat("host-", x % 2) with threshold=0.5, characters="-""#);
    assert_eq!(computed.column_names(), ["x", "Pattern"]);
    assert_eq!(column(&computed, "Pattern"), ["host*"; 4]);
}

#[test]
fn reduce_refuses_what_is_wrong_with_a_position() {
    let cases: [(&str, &str, &str); 6] = [
        (
            "print s = 'a' | reduce kind=target by s",
            "target",
            "kind is source",
        ),
        (
            "print s = 'a' | reduce by s with threshold=1.5",
            "1.5",
            "from 0 to 1",
        ),
        (
            "print s = 'a' | reduce by s with characters=5",
            "5",
            "constant string",
        ),
        (
            "range x from 1 to 3 step 1 | reduce by x",
            "x",
            "needs a string, this is a long",
        ),
        ("print s = 'a' | reduce by t", "t", "unknown column 't'"),
        (
            "print Pattern = 'a' | reduce kind=source by Pattern",
            "reduce kind=source by Pattern",
            "already has a Pattern column",
        ),
    ];
    for (query, at, message) in cases {
        let e = error(query);
        assert!(e.message.contains(message), "{query}: {}", e.message);
        assert_eq!(pointed(query, &e), at, "{query}: {}", e.message);
    }
    let e = error("print s = 'a' | reduce by s with limit=3");
    assert_eq!(e.kind, ErrorKind::Syntax, "{e:?}");
    assert!(
        e.message.contains("threshold and characters"),
        "{}",
        e.message
    );
}

#[test]
fn estimate_data_size_counts_bytes_by_type() {
    // estimate-data-size-function.md: (8 + 10) × 10 = 180.
    let total = run(r#"range x from 1 to 10 step 1 | extend Text = '1234567890'
        | summarize Total=sum(estimate_data_size(*))"#);
    assert_eq!(column(&total, "Total"), ["180"]);
    // long 8, int 4, string its UTF-8 bytes, datetime 8, timespan 8, bool 1, guid 16, real 8.
    let each = run(
        r#"print a = 1, b = int(2), c = "é", e = now(), f = 1s, g = true,
            h = guid(74be27de-1e4e-49d9-b579-fe0b331d3642), i = 1.5
        | project all = estimate_data_size(*), some = estimate_data_size(a, c),
            expression = estimate_data_size(strcat(c, c))"#,
    );
    assert_eq!(column(&each, "all"), ["55"]);
    assert_eq!(column(&each, "some"), ["10"]);
    assert_eq!(column(&each, "expression"), ["4"]);
    // A dynamic value is larger than its text as a string (the page); nulls of fixed-size
    // types count their size (estimate-table-size.md: empty columns count), null strings 0.
    let dynamic = run(
        r#"print t = '{"a":"bcd"}', d = dynamic({"a":"bcd"}), n = long(null), s = ""
        | project text = estimate_data_size(t), value = estimate_data_size(d),
            nulls = estimate_data_size(n, s)"#,
    );
    let text: i64 = column(&dynamic, "text")[0].parse().unwrap();
    let value: i64 = column(&dynamic, "value")[0].parse().unwrap();
    assert_eq!(text, 11);
    assert!(value > text, "{value}");
    assert_eq!(column(&dynamic, "nulls"), ["8"]);
    // using-hll-tdigest.md's example runs; the local sketch is the exact set of the values,
    // so it is larger than Kusto's 1 MiB.
    let sketch = run(r#"range x from 1 to 1000000 step 1 | summarize hll(x,4)
        | project sizeInMb = estimate_data_size(hll_x) / pow(1024,2)"#);
    let megabytes: f64 = column(&sketch, "sizeInMb")[0].parse().unwrap();
    assert!(megabytes > 1.0, "{megabytes}");
    let e = error("print x = 1 | project s = estimate_data_size()");
    assert!(e.message.contains("one or more columns"), "{}", e.message);
}
