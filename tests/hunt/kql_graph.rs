//! KQL graph semantics on the local engine (graph-operators.md): `make-graph`, `graph-match`,
//! `graph-shortest-paths`, `graph-to-table`, `graph-mark-components` and the graph functions,
//! against the documentation's examples the corpus does not hold and their edges — cycles, no
//! match, nodes without properties, partitions, bad patterns (an error with a position), the
//! memory limit, and a `take` that stops a matching that would never end.

use hunt::backend::{ErrorKind, QueryRequest};
use hunt::engine::{Catalog, LocalEngine};

use super::engine::{column, error, run, runtime};

/// The documentation's employees and who they report to (graph-match-operator.md).
const EMPLOYEES: &str = r#"let employees = datatable(name:string, age:long)
    ["Alice", 32, "Bob", 31, "Eve", 27, "Joe", 29, "Chris", 45, "Alex", 35, "Ben", 23, "Richard", 39];
let reports = datatable(employee:string, manager:string)
    ["Bob", "Alice", "Chris", "Alice", "Eve", "Bob", "Ben", "Chris", "Joe", "Alice", "Richard", "Bob"];
"#;

/// The documentation's stations (graph-shortest-paths-operator.md).
const STATIONS: &str = r#"let connections = datatable(from_station:string, to_station:string, line:string)
    ["Central", "North", "red", "North", "Central", "red", "Central", "South", "red",
     "South", "Central", "red", "South", "South-West", "red", "South-West", "South", "red",
     "South-West", "West", "red", "West", "South-West", "red", "Central", "East", "blue",
     "East", "Central", "blue", "Central", "West", "blue", "West", "Central", "blue"];
let stations = datatable(station:string, wifi:bool)
    ["Central", true, "North", false, "South", false, "South-West", true, "West", true, "East", false];
"#;

/// A triangle 1 → 2 → 3 → 1.
const TRIANGLE: &str =
    "datatable(a:long, b:long) [1, 2, 2, 3, 3, 1] | make-graph a --> b with_node_id=id";

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

fn count(query: &str) -> usize {
    run(query).row_count()
}

#[test]
fn a_second_sequence_constrains_the_match() {
    // graph-match-operator.md, the third example: Bob also communicates with Alice.
    let result = run(
        r#"let Entities = datatable(name:string, type:string, age:long)
        ["Alice", "Person", 23, "Bob", "Person", 31, "Eve", "Person", 17, "Mallory", "Person", 29, "Apollo", "System", 99];
    let Actions = datatable(source:string, destination:string, action_type:string)
        ["Alice", "Bob", "communicatesWith", "Alice", "Apollo", "trusts", "Bob", "Apollo", "hasPermission",
         "Eve", "Alice", "attacks", "Mallory", "Alice", "attacks", "Mallory", "Bob", "attacks"];
    Actions
    | make-graph source --> destination with Entities on name
    | graph-match (mallory)-[attacks]->(compromised)-[hasPermission]->(apollo), (compromised)-[communicates]-(alice)
      where mallory.name == "Mallory" and apollo.name == "Apollo" and attacks.action_type == "attacks"
        and hasPermission.action_type == "hasPermission" and alice.name == "Alice"
      project Attacker = mallory.name, Compromised = compromised.name, System = apollo.name"#,
    );
    assert_eq!(result.column_names(), ["Attacker", "Compromised", "System"]);
    assert_eq!(column(&result, "Compromised"), ["Bob"]);
}

#[test]
fn shortest_paths_give_one_or_all_of_the_least_length() {
    let query = |output: &str| {
        format!(
            "{STATIONS}connections | make-graph from_station --> to_station with_node_id=station
            | graph-shortest-paths {output} (start)-[connections*1..5]->(destination)
              where start.station == 'South-West' and destination.station == 'North'
              project from = start.station, path = map(connections, to_station), line = map(connections, line), to = destination.station"
        )
    };
    // graph-shortest-paths-operator.md: any shortest path, then all of them.
    let any = run(&query(""));
    assert_eq!(column(&any, "path"), [r#"["South","Central","North"]"#]);
    let all = run(&query("output=all"));
    assert_eq!(
        sorted(column(&all, "line")),
        [r#"["red","blue","red"]"#, r#"["red","red","red"]"#]
    );
    // any-graph-function.md's second example: cycles=none, at least one inner station with
    // Wi-Fi.
    let wifi = run(&format!(
        "{STATIONS}connections | make-graph from_station --> to_station with stations on station
        | graph-match cycles=none (start)-[connections*2..5]->(destination)
          where start.station == 'South-West' and destination.station == 'North' and any(inner_nodes(connections), wifi)
          project stations = strcat_array(map(inner_nodes(connections), station), '->')"
    ));
    assert_eq!(
        sorted(column(&wifi, "stations")),
        ["South->Central", "West->Central"]
    );
}

#[test]
fn graph_to_table_exports_nodes_with_hash_ids() {
    // graph-to-table-operator.md, "Get nodes": Mallory has no row, only her id.
    let result = run(r#"let nodes = datatable(name:string, type:string, age:long)
        ["Alice", "Person", 23, "Bob", "Person", 31, "Eve", "Person", 17, "Trent", "System", 99];
    let edges = datatable(source:string, destination:string, edge_type:string)
        ["Alice", "Bob", "communicatesWith", "Alice", "Trent", "trusts", "Bob", "Trent", "hasPermission",
         "Eve", "Alice", "attacks", "Mallory", "Alice", "attacks", "Mallory", "Bob", "attacks"];
    edges
    | make-graph source --> destination with nodes on name
    | graph-to-table nodes with_node_id=NodeId"#);
    assert_eq!(result.column_names(), ["NodeId", "name", "type", "age"]);
    assert_eq!(
        column(&result, "NodeId"),
        [
            "-3122868243544336885",
            "-7133945255344544237",
            "4363395278938690453",
            "2533909231875758225",
            "3855580634910899594"
        ]
    );
    assert_eq!(
        column(&result, "name"),
        ["Alice", "Bob", "Eve", "Trent", "Mallory"]
    );
    assert_eq!(column(&result, "age"), ["23", "31", "17", "99", ""]);
    // Both tables at once name two results: refused, as is `as`.
    for query in [
        "datatable(a:long, b:long) [1, 2] | make-graph a --> b | graph-to-table nodes as N, edges as E",
        "datatable(a:long, b:long) [1, 2] | make-graph a --> b | graph-to-table edges as E",
    ] {
        assert_eq!(error(query).kind, ErrorKind::Unsupported, "{query}");
    }
}

#[test]
fn components_are_weak_or_strong_and_the_pipeline_goes_on() {
    // graph-mark-components-operator.md's second example: the greatest ancestor of each family.
    let result = run(r#"datatable(child:string, parent:string)
        ["Alice", "Bob", "Carol", "Alice", "Carol", "Dave", "Greg", "Alice", "Greg", "Dave",
         "Howard", "Alice", "Howard", "Dave", "Eve", "Frank", "Frank", "Mallory", "Eve", "Kirk"]
    | make-graph child --> parent with_node_id=name
    | graph-mark-components with_component_id = family
    | graph-match (descendant)-[childOf*1..5]->(ancestor)
      project name = ancestor.name, lineage = map(childOf, child), family = ancestor.family
    | summarize (generations, name) = arg_max(array_length(lineage), name) by family
    | order by family asc"#);
    assert_eq!(column(&result, "family"), ["0", "1"]);
    assert_eq!(column(&result, "generations"), ["2", "2"]);
    assert_eq!(column(&result, "name"), ["Bob", "Mallory"]);
    // 1 ⇄ 2 → 3: weakly one component, strongly two; the default property is ComponentId.
    let edges = "datatable(a:long, b:long) [1, 2, 2, 1, 2, 3] | make-graph a --> b with_node_id=id";
    let weak = run(&format!(
        "{edges} | graph-mark-components | graph-to-table nodes"
    ));
    assert_eq!(column(&weak, "ComponentId"), ["0", "0", "0"]);
    let strong = run(&format!(
        "{edges} | graph-mark-components kind=strong | graph-to-table nodes"
    ));
    assert_eq!(column(&strong, "ComponentId"), ["0", "0", "1"]);
    let e = error(&format!(
        "{edges} | graph-mark-components kind=medium | graph-to-table nodes"
    ));
    assert!(e.message.contains("weak or strong"), "{e}");
}

#[test]
fn cycles_decide_what_a_match_may_repeat() {
    let paths = |cycles: &str| {
        count(&format!(
            "{TRIANGLE} | graph-match {cycles} (a)-[e*1..4]->(b) project a.id, b.id"
        ))
    };
    // From each node: one path of each length; back to the start after 3 edges; a 4th edge
    // repeats the first.
    assert_eq!(paths("cycles=none"), 6);
    assert_eq!(paths(""), 9);
    assert_eq!(paths("cycles=unique_edges"), 9);
    assert_eq!(paths("cycles=all"), 12);
    // A pattern that closes on itself.
    let round = run(&format!(
        "{TRIANGLE} | graph-match (a)-->(b)-->(c)-->(a) project a.id | order by a_id asc"
    ));
    assert_eq!(column(&round, "a_id"), ["1", "2", "3"]);
    let e = error(&format!(
        "{TRIANGLE} | graph-match cycles=some (a)-->(b) project a.id"
    ));
    assert!(e.message.contains("all, none or unique_edges"), "{e}");
}

#[test]
fn no_match_is_an_empty_table_with_the_projected_columns() {
    let result = run(&format!(
        "{EMPLOYEES}reports | make-graph employee --> manager with employees on name
        | graph-match (a)-[e*1..3]->(b) where a.name == 'Nobody' project a.name, path = map(e, manager), b.age"
    ));
    assert_eq!(result.row_count(), 0);
    assert_eq!(result.column_names(), ["a_name", "path", "b_age"]);
    // No edges at all.
    let empty = run(
        "datatable(a:string, b:string) [] | make-graph a --> b with_node_id=n | graph-match (x)-->(y) project x.n",
    );
    assert_eq!(empty.row_count(), 0);
}

#[test]
fn nodes_without_rows_or_properties() {
    // A node the edges name without a row in the node table: its properties are empty but
    // its id.
    let result = run(&format!(
        "{EMPLOYEES}reports | union (datatable(employee:string, manager:string) ['Dana', 'Alice'])
        | make-graph employee --> manager with employees on name
        | graph-match (e)-->(m) where m.name == 'Alice' and isnull(e.age) project e.name, e.age, node_degree_out(e)"
    ));
    assert_eq!(column(&result, "e_name"), ["Dana"]);
    assert_eq!(column(&result, "e_age"), [""]);
    assert_eq!(column(&result, "node_degree_out"), ["1"]);
    // A graph of edges alone has nodes without properties.
    let e = error(
        "datatable(a:long, b:long) [1, 2] | make-graph a --> b | graph-match (x)-->(y) project x.id",
    );
    assert_eq!(e.kind, ErrorKind::Semantic);
    assert!(e.message.contains("have no properties"), "{e}");
    assert_eq!(
        e.to_string().split(':').take(2).collect::<Vec<_>>(),
        ["1", "87"]
    );
    // …but its edges have.
    let edges = run(
        "datatable(a:long, b:long, w:real) [1, 2, 0.5] | make-graph a --> b | graph-match ()-[e]->() project e.w",
    );
    assert_eq!(column(&edges, "e_w"), ["0.5"]);
}

#[test]
fn variable_length_edges_are_lists_in_projections() {
    let result = run(&format!(
        "{EMPLOYEES}let most = 3;
        reports | make-graph employee --> manager with employees on name
        | graph-match (boss)<-[chain*1..most]-(worker)
          where boss.name == 'Alice' and worker.name == 'Ben'
          project chain.manager, hops = array_length(chain), first = tostring(chain[0].employee), labels(worker), m = map(chain, labels())"
    ));
    assert_eq!(column(&result, "chain_manager"), [r#"["Alice","Chris"]"#]);
    assert_eq!(column(&result, "hops"), ["2"]);
    // The edges left to right: Chris → Alice first.
    assert_eq!(column(&result, "first"), ["Chris"]);
    assert_eq!(column(&result, "Column4"), ["[]"]);
    assert_eq!(column(&result, "m"), ["[[],[]]"]);
    // Zero length paths: a node is its own end.
    let zero = run(&format!(
        "{EMPLOYEES}reports | make-graph employee --> manager with employees on name
        | graph-match (a)-[e*0..1]->(b) where a.name == 'Ben' project b.name, n = array_length(e)"
    ));
    assert_eq!(sorted(column(&zero, "b_name")), ["Ben", "Chris"]);
}

#[test]
fn partitions_make_a_graph_each() {
    // make-graph-operator.md's partitioned graph, reduced: a path crosses no tenant.
    let result = run(
        r#"let nodes = datatable(id:string, tenant:string, name:string)
            ["u1", "A", "Ann", "u2", "A", "Abe", "u1", "B", "Bea", "u3", "B", "Bob"];
        let edges = datatable(s:string, t:string, tenant:string)
            ["u1", "u2", "A", "u1", "u3", "B"];
        edges
        | make-graph s --> t with nodes on id partitioned-by tenant (
            graph-match (a)-->(b) project pair = strcat(a.name, '>', b.name), a.tenant)"#,
    );
    assert_eq!(sorted(column(&result, "pair")), ["Ann>Abe", "Bea>Bob"]);
    let e = error(
        "datatable(s:long, t:long) [1, 2] | make-graph s --> t partitioned-by tenant (graph-to-table nodes)",
    );
    assert!(e.message.contains("partition column 'tenant'"), "{e}");
}

#[test]
fn bad_patterns_and_graph_misuse_say_what_and_where() {
    let graph =
        format!("{EMPLOYEES}reports | make-graph employee --> manager with employees on name");
    let at = |query: &str| {
        let e = error(query);
        let text = e.to_string();
        let prefix: Vec<&str> = text.splitn(3, ':').collect();
        (e.kind, format!("{}:{}", prefix[0], prefix[1]), e.message)
    };
    let line = 5;
    let cases: Vec<(String, ErrorKind, &str)> = vec![
        (
            format!("{graph} | graph-match (a)-->(b), (c)-->(d) project a.name"),
            ErrorKind::Semantic,
            "sequences must share node names",
        ),
        (
            format!("{graph} | graph-match (a)-[e]->(b)-[e]->(c) project a.name"),
            ErrorKind::Semantic,
            "name each edge once",
        ),
        (
            format!("{graph} | graph-match (a)-->(b) project a.salary"),
            ErrorKind::Semantic,
            "no property 'salary' (they have: name, age)",
        ),
        (
            format!("{graph} | graph-match (a)-[e]->(b) project all(e, manager == 'x')"),
            ErrorKind::Semantic,
            "'e' is a single edge",
        ),
        (
            format!("{graph} | graph-match (a)-[e*1..2]->(b) project inner_nodes(e)"),
            ErrorKind::Semantic,
            "inner_nodes() is only the first argument",
        ),
        (
            format!("{graph} | graph-match (a)-[e*2..1]->(b) project a.name"),
            ErrorKind::Semantic,
            "least length (2) is more than its most (1)",
        ),
        (
            format!("{graph} | graph-match (a)-->(b) where a.age > age project a.name"),
            ErrorKind::Semantic,
            "'age' is not a variable of the pattern",
        ),
        (
            format!("{graph} | graph-match (a)-->(b) project a"),
            ErrorKind::Unsupported,
            "'a' is a node",
        ),
        (
            format!(
                "{graph} | graph-match (a)-[e*1..2]->(b) where e.manager == 'Alice' project a.name"
            ),
            ErrorKind::Unsupported,
            "'e' is a variable length edge",
        ),
        (
            format!("{graph} | where 1 == 1"),
            ErrorKind::Semantic,
            "make-graph makes a graph, which 'where' cannot read",
        ),
        (
            format!("{graph} | graph-mark-components"),
            ErrorKind::Semantic,
            "make-graph makes a graph: follow it with",
        ),
        (
            "print x = 1 | graph-match (a)-->(b) project a.x".to_string(),
            ErrorKind::Semantic,
            "reads a graph: put make-graph",
        ),
        (
            format!("{EMPLOYEES}reports | make-graph employee --> nobody | graph-to-table nodes"),
            ErrorKind::Semantic,
            "unknown column 'nobody'",
        ),
        (
            format!(
                "{EMPLOYEES}reports | make-graph employee --> manager with employees on age | graph-to-table nodes"
            ),
            ErrorKind::Semantic,
            "one type of node id",
        ),
    ];
    for (query, kind, message) in cases {
        let (found_kind, position, found) = at(&query);
        assert_eq!(found_kind, kind, "{query}\n{found}");
        assert!(found.contains(message), "{query}\n{found}");
        assert!(
            position.starts_with(&format!("{line}:")) || position.starts_with("1:"),
            "{query}\n{position}"
        );
    }
    // A syntax error in a pattern points at the token.
    let e = error(&format!(
        "{graph} | graph-match (a)-[e*1..]->(b) project a.name"
    ));
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.to_string().starts_with("5:90:"), "{e}");
}

#[test]
fn a_take_stops_a_matching_that_would_not_end() {
    // Every walk of up to 40 edges in a complete graph of six nodes: far too many to list,
    // but the first five come at once and the matching stops there.
    let result = run(
        "range a from 1 to 6 step 1 | extend b = range(1, 6) | mv-expand b to typeof(long) | where a != b
        | make-graph a --> b with_node_id=id
        | graph-match cycles=all (x)-[e*1..40]->(y) project x.id, n = array_length(e)
        | take 5",
    );
    assert_eq!(result.row_count(), 5);
}

/// Long paths of wide edges make megabytes of JSON a match when the path is projected: the
/// matches are built a few megabytes at a time, within the memory limit, so a `take` has its
/// rows at once (a whole batch of them was tens of gigabytes, and the process aborted).
#[test]
fn long_paths_of_wide_edges_are_built_a_little_at_a_time() {
    let engine = LocalEngine::new(Catalog::default(), "test").with_memory_limit(256 << 20);
    let result = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range i from 1 to 2000 step 1 | extend s = 'A', d = 'B', pad = strrep('x', 20000)
            | make-graph s --> d with_node_id=n
            | graph-match (a)-[e*1..1000]-(b) project a.n, b.n, l = array_length(e), e
            | take 5",
        )))
        .unwrap();
    assert_eq!(result.row_count(), 5);
}

/// Nodes without properties (no with_node_id, no node table) make no table: said plainly
/// (it was DataFusion's "must either specify a row count or at least one column").
#[test]
fn nodes_without_properties_make_no_table() {
    let message = error(
        "datatable(s: string, d: string) ['a', 'b'] | make-graph s --> d | graph-to-table nodes",
    )
    .message;
    assert!(message.contains("with_node_id"), "{message}");
    // An operator the engine does not run yet after make-graph is named.
    let refused = error(
        "datatable(s: string, d: string) ['a', 'b'] | make-graph s --> d with_node_id=n | graph-where-nodes n != 'a' | graph-to-table nodes",
    );
    assert_eq!(refused.kind, ErrorKind::Unsupported, "{refused}");
    assert!(refused.message.contains("'graph-where-nodes'"), "{refused}");
    let hashed = run(
        "datatable(s: string, d: string) ['a', 'b'] | make-graph s --> d | graph-to-table nodes with_node_id=h",
    );
    assert_eq!(hashed.row_count(), 2);
}

#[test]
fn a_graph_past_the_memory_limit_fails_clearly() {
    let engine = LocalEngine::new(Catalog::default(), "test").with_memory_limit(16 << 20);
    let error = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range x from 1 to 3000000 step 1 | extend y = x + 1 | make-graph x --> y | graph-to-table edges | count",
        )))
        .unwrap_err();
    assert!(
        error
            .message
            .starts_with("the query needed more memory than the local engine's limit (16 MiB)"),
        "{error}"
    );
    let fine = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range x from 1 to 1000 step 1 | extend y = x + 1 | make-graph x --> y | graph-to-table edges | count",
        )))
        .unwrap();
    assert_eq!(fine.cell_text(0, 0).as_deref(), Some("1000"));
}

/// Every row of a result as its cells' text joined by `|`, sorted.
fn rows_text(result: &hunt::results::ResultSet) -> Vec<String> {
    let columns = result.column_names().len();
    sorted(
        (0..result.row_count())
            .map(|r| {
                (0..columns)
                    .map(|c| result.cell_text(r, c).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect(),
    )
}

#[test]
fn shortest_paths_give_the_documented_tables() {
    // graph-shortest-paths-operator.md's two examples as written, every column of their output.
    let query = |output: &str| {
        format!(
            r#"let connections = datatable(from_station:string, to_station:string, line:string)
[
  "Central", "North", "red",
  "North", "Central", "red",
  "Central", "South",  "red",
  "South", "Central",  "red",
  "South", "South-West", "red",
  "South-West", "South", "red",
  "South-West", "West", "red",
  "West", "South-West", "red",
  "Central", "East", "blue",
  "East", "Central", "blue",
  "Central", "West", "blue",
  "West", "Central", "blue",
];
connections
| make-graph from_station --> to_station with_node_id=station
| graph-shortest-paths {output}(start)-[connections*1..5]->(destination)
  where start.station == "South-West" and destination.station == "North"
  project from = start.station, path = map(connections, to_station), line = map(connections, line), to = destination.station"#
        )
    };
    let any = run(&query(""));
    assert_eq!(any.column_names(), ["from", "path", "line", "to"]);
    assert_eq!(
        rows_text(&any),
        [r#"South-West|["South","Central","North"]|["red","red","red"]|North"#]
    );
    let all = run(&query("output=all "));
    assert_eq!(
        rows_text(&all),
        [
            r#"South-West|["South","Central","North"]|["red","red","red"]|North"#,
            r#"South-West|["West","Central","North"]|["red","blue","red"]|North"#,
        ]
    );
}

#[test]
fn shortest_paths_by_search_agree_with_every_match_listed() {
    // A random graph of 30 nodes and 80 edges (some repeated, some loops). A condition that
    // reads the path (`array_length(e) >= 0`, always true) makes the engine list every
    // match and keep the shortest, as it did for every query before; without it, it searches
    // breadth-first. Both must give the same paths (output=all) or the same pairs and lengths
    // (output=any), whichever way, cycles and end conditions.
    let graph = "range i from 0 to 79 step 1
        | project i, a = hash(i * 2, 30), b = hash(i * 2 + 1, 30)
        | make-graph a --> b with_node_id = id";
    let mut compared = 0;
    for (options, pattern) in [
        ("", "(s)-[e*1..6]->(t)"),
        ("", "(s)<-[e*1..6]-(t)"),
        ("", "(s)-[e*1..4]-(t)"),
        ("cycles=none ", "(s)-[e*1..4]-(t)"),
        ("cycles=all ", "(s)-[e*1..4]-(t)"),
        ("", "(s)-[e*0..5]->(t)"),
        ("cycles=all ", "(s)-->(m)-[e*1..3]-(t)"),
    ] {
        for filter in ["", "where s.id != t.id and t.id % 3 != 0 "] {
            for output in ["output=any ", "output=all "] {
                let projection = match output {
                    "output=all " => "project s = s.id, t = t.id, p = map(e, i)",
                    _ => "project s = s.id, t = t.id, n = array_length(e)",
                };
                let searched = format!(
                    "{graph} | graph-shortest-paths {output}{options}{pattern} {filter}{projection}"
                );
                let listing_filter = match filter {
                    "" => "where array_length(e) >= 0 ".to_string(),
                    _ => format!("{filter}and array_length(e) >= 0 "),
                };
                let listed = format!(
                    "{graph} | graph-shortest-paths {output}{options}{pattern} {listing_filter}{projection}"
                );
                let (searched_rows, listed_rows) = (run(&searched), run(&listed));
                assert!(searched_rows.row_count() > 50, "{searched}");
                assert_eq!(
                    rows_text(&searched_rows),
                    rows_text(&listed_rows),
                    "{searched}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 28);
}

#[test]
fn shortest_paths_past_the_memory_limit_fail_clearly() {
    // Walks of 1,000 edges in a complete graph of 60 nodes: every state of every length is
    // reached from each of its 59 neighbours, and output=all keeps each way — millions of
    // them, past the limit.
    let engine = LocalEngine::new(Catalog::default(), "test").with_memory_limit(16 << 20);
    let error = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range a from 1 to 60 step 1 | extend b = range(1, 60) | mv-expand b to typeof(long) | where a != b
            | make-graph a --> b with_node_id=id
            | graph-shortest-paths cycles=all output=all (x)-[e*1000..1001]->(y) project x.id, y.id
            | count",
        )))
        .unwrap_err();
    assert!(
        error
            .message
            .starts_with("the query needed more memory than the local engine's limit (16 MiB)"),
        "{error}"
    );
}

#[test]
fn a_take_stops_shortest_paths_that_would_not_end() {
    // Every shortest walk of 12 edges between two nodes of a complete graph of 8 nodes:
    // billions per pair, but the first five come at once.
    let result = run(
        "range a from 1 to 8 step 1 | extend b = range(1, 8) | mv-expand b to typeof(long) | where a != b
        | make-graph a --> b with_node_id=id
        | graph-shortest-paths cycles=all output=all (x)-[e*12..13]->(y) project x.id, n = array_length(e)
        | take 5",
    );
    assert_eq!(column(&result, "n"), ["12", "12", "12", "12", "12"]);
}

#[test]
fn conditions_on_both_ends_keep_shortest_paths_quick() {
    // A condition across the two end nodes holds for every path of a pair or for none: the
    // breadth-first search still answers (listing the 7^12 walks of 12 edges from each node
    // of a complete graph of 8 nodes would not end).
    let result = run(
        "range a from 1 to 8 step 1 | extend b = range(1, 8) | mv-expand b to typeof(long) | where a != b
        | make-graph a --> b with_node_id=id
        | graph-shortest-paths cycles=all (x)-[e*12..13]->(y) where x.id < y.id and node_degree_in(y) == 7
          project x.id, y.id, n = array_length(e)",
    );
    assert_eq!(result.row_count(), 28);
    assert!(column(&result, "n").iter().all(|n| n == "12"));
}
