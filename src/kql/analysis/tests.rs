use super::*;
use crate::kql::syntax::parse;

fn schema() -> Schema {
    let table = |name: &str, columns: &[(&str, &str)]| SchemaTable {
        name: name.to_string(),
        columns: columns
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
    };
    Schema::new(&[
        table(
            "DeviceProcessEvents",
            &[
                ("Timestamp", "datetime"),
                ("DeviceId", "string"),
                ("DeviceName", "string"),
                ("AccountName", "string"),
                ("FileName", "string"),
                ("ProcessCommandLine", "string"),
                ("AdditionalFields", "dynamic"),
            ],
        ),
        table(
            "DeviceNetworkEvents",
            &[
                ("Timestamp", "datetime"),
                ("DeviceId", "string"),
                ("DeviceName", "string"),
                ("RemoteIP", "string"),
                ("RemotePort", "int"),
            ],
        ),
    ])
}

fn messages(text: &str) -> Vec<String> {
    analyse(&parse(text).syntax(), &schema())
        .into_iter()
        .map(|f| f.message)
        .collect()
}

fn columns(text: &str) -> Vec<String> {
    // The columns at the end of `text + " | where "`.
    let text = format!("{text}\n| where ");
    columns_at(&parse(&text).syntax(), text.len(), &schema())
        .unwrap_or_default()
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The advanced hunting schema shipped with the program.
fn advanced_hunting() -> Schema {
    let catalog = crate::engine::Catalog::schema_only().expect("the shipped schema loads");
    let tables: Vec<SchemaTable> = catalog
        .table_infos()
        .into_iter()
        .map(crate::backend::TableInfo::schema_table)
        .collect();
    Schema::new(&tables)
}

/// Every `valid` query of the Defender hunting corpus, analysed with the advanced hunting
/// schema: no false unknown-table or unknown-column finding.
#[test]
fn defender_corpus_has_no_false_unknown_names() {
    let path = std::path::Path::new("/work/shared/corpus/defender-hunting-queries.jsonl");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", path.display()));
    let schema = advanced_hunting();
    let mut valid = 0;
    let mut flagged = Vec::new();
    let mut functions = Vec::new();
    let mut closed = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if entry["valid"] != serde_json::Value::Bool(true) {
            continue;
        }
        valid += 1;
        let id = entry["id"].as_str().unwrap_or_default().to_string();
        let query = entry["query"].as_str().unwrap_or_default();
        let root = parse(query).syntax();
        let findings = analyse(&root, &schema);
        let mut analyser = Analyser::new(&schema, None);
        if let Some(Some(cols)) = analyser.statements(&root) {
            closed += usize::from(!cols.open);
        }
        let names: Vec<String> = findings
            .iter()
            .filter(|f| {
                f.message.starts_with("unknown table") || f.message.starts_with("unknown column")
            })
            .map(|f| {
                format!(
                    "{} @{}",
                    f.message,
                    crate::kql::line_col(query, f.span.start)
                )
            })
            .collect();
        functions.extend(
            findings
                .iter()
                .filter(|f| f.message.starts_with("unknown function"))
                .map(|f| format!("{id}: {}", f.message)),
        );
        if !names.is_empty() {
            flagged.push((id, names));
        }
    }
    // Queries that name what the shipped schema does not have: true findings.
    let known: &[(&str, &str)] = &[
        (
            "Command and Control/EncodedDomainURL [Nobelium].md#0",
            "AADSignInEventsBeta is a beta table, not in the advanced hunting schema",
        ),
        (
            "Persistence/AddedCredentialFromContryXAndSigninFromCountryY.md#0",
            "AADSpnSignInEventsBeta is a beta table, not in the advanced hunting schema",
        ),
        (
            "Defense evasion/UpdateStsRefreshToken[Solorigate].md#0",
            "CloudAppEvents spells the column Isp, not ISP (names are case-sensitive)",
        ),
        (
            "Lateral Movement/Device Logons from Unknown IPs.txt",
            "IdentityLogonEvents spells the column Isp, not ISP (names are case-sensitive)",
        ),
    ];
    let mut false_findings = Vec::new();
    for (id, names) in &flagged {
        eprintln!("{id}: {names:?}");
        if !known.iter().any(|(k, _)| k == id) {
            false_findings.push(format!("{id}: {names:?}"));
        }
    }
    for (id, why) in known {
        assert!(
            flagged.iter().any(|(f, _)| f == id),
            "{id} should be flagged ({why})"
        );
    }
    let share = |n: usize| 100.0 * n as f64 / valid as f64;
    eprintln!(
        "{closed} of {valid} valid queries ({:.1}%) end with a fully known set of columns",
        share(closed)
    );
    eprintln!(
        "{valid} valid queries: {} ({:.1}%) with no unknown-table/column finding at all; {} ({:.1}%) \
         with no false one ({} true findings: names the schema lacks)",
        valid - flagged.len(),
        share(valid - flagged.len()),
        valid - false_findings.len(),
        share(valid - false_findings.len()),
        known.len(),
    );
    assert!(
        false_findings.is_empty(),
        "false unknown-table/column findings:\n{}",
        false_findings.join("\n")
    );
    assert!(
        functions.is_empty(),
        "false unknown-function findings:\n{}",
        functions.join("\n")
    );
}

#[test]
fn unknown_tables_suggest_the_nearest_table_or_let_name() {
    assert_eq!(
        messages("DeviceProcessEvent | take 1"),
        ["unknown table 'DeviceProcessEvent'; did you mean 'DeviceProcessEvents'?"]
    );
    assert_eq!(
        messages("deviceprocessevents | take 1"),
        ["unknown table 'deviceprocessevents'; did you mean 'DeviceProcessEvents'?"]
    );
    assert_eq!(
        messages("let Recent = DeviceProcessEvents | take 5;\nRecnt | take 1"),
        ["unknown table 'Recnt'; did you mean 'Recent'?"]
    );
    assert_eq!(messages("Zebra | take 1"), ["unknown table 'Zebra'"]);
    // Inside a join, a union and a subquery of `in`.
    assert_eq!(
        messages(
            "DeviceProcessEvents | join (DeviceNetworkEvent) on DeviceId\n\
             | union DeviceNetworkEvnts\n\
             | where DeviceId in ((DevicProcessEvents | project DeviceId))"
        )
        .len(),
        3
    );
    // No schema yet: nothing is unknown.
    let empty = Schema::new(&[]);
    assert!(analyse(&parse("Zebra | where x == 1").syntax(), &empty).is_empty());
}

#[test]
fn unknown_columns_are_reported_with_a_suggestion_and_a_span() {
    let text = "DeviceProcessEvents | where AcountName == 'x'";
    let findings = analyse(&parse(text).syntax(), &schema());
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].message,
        "unknown column 'AcountName'; did you mean 'AccountName'?"
    );
    assert_eq!(findings[0].severity, Severity::Warning);
    assert_eq!(
        &text[findings[0].span.start..findings[0].span.end],
        "AcountName"
    );
    assert_eq!(
        messages("DeviceProcessEvents | where filename == 'x'"),
        ["unknown column 'filename'; did you mean 'FileName'?"]
    );
    assert_eq!(
        messages("DeviceProcessEvents | sort by Nope desc"),
        ["unknown column 'Nope'"]
    );
    // Properties of dynamic columns, let-bound scalars, keywords-as-values are no columns.
    assert!(
        messages(
            "let limit = 5; let names = dynamic(['a']);\nDeviceProcessEvents\n\
             | where AdditionalFields.Foo.Bar == 1 and FileName in (names) and isnull(null)\n\
             | take limit"
        )
        .is_empty()
    );
}

#[test]
fn project_extend_and_their_variants_shape_the_columns() {
    assert_eq!(
        columns("DeviceProcessEvents | project DeviceId, Name = FileName"),
        names(&["DeviceId", "Name"])
    );
    assert_eq!(
        messages("DeviceProcessEvents | project DeviceId | where FileName == ''"),
        ["unknown column 'FileName'"]
    );
    assert_eq!(
        columns("DeviceProcessEvents | project DeviceId | extend X = 1, Y = X + 1"),
        names(&["DeviceId", "X", "Y"])
    );
    assert_eq!(
        columns("DeviceProcessEvents | project-away Device*, AdditionalFields, ProcessCommandLine"),
        names(&["Timestamp", "AccountName", "FileName"])
    );
    assert_eq!(
        columns("DeviceProcessEvents | project-keep *Name"),
        names(&["DeviceName", "AccountName", "FileName"])
    );
    assert_eq!(
        columns("DeviceNetworkEvents | project-rename Port = RemotePort, IP = RemoteIP"),
        names(&["Timestamp", "DeviceId", "DeviceName", "IP", "Port"])
    );
    assert_eq!(
        messages("DeviceNetworkEvents | project-away Nope | project-reorder RemotPort"),
        [
            "unknown column 'Nope'",
            "unknown column 'RemotPort'; did you mean 'RemotePort'?"
        ]
    );
    // An unnamed computed column gets a name the analysis does not guess: open.
    assert!(
        messages("DeviceProcessEvents | project tolower(FileName) | where Anything == 1")
            .is_empty()
    );
    // Bracketed names and names like keywords.
    assert!(
        messages(
            "DeviceProcessEvents | project ['Device Id'] = DeviceId, kind = 1, count = 2\n\
             | where ['Device Id'] != '' and kind == 1 and count > 1"
        )
        .is_empty()
    );
}

#[test]
fn summarize_names_its_aggregates_as_kusto_does() {
    assert_eq!(
        columns(
            "DeviceProcessEvents | summarize count(), dcount(AccountName), make_set(FileName), \
             make_list(DeviceName), countif(FileName == 'a'), min(Timestamp), N = sum(1) \
             by DeviceId, bin(Timestamp, 1h)"
        ),
        names(&[
            "DeviceId",
            "Timestamp",
            "count_",
            "dcount_AccountName",
            "set_FileName",
            "list_DeviceName",
            "countif_",
            "min_Timestamp",
            "N"
        ])
    );
    assert_eq!(
        columns("DeviceNetworkEvents | summarize arg_max(Timestamp, *) by DeviceId"),
        names(&[
            "DeviceId",
            "Timestamp",
            "DeviceName",
            "RemoteIP",
            "RemotePort"
        ])
    );
    assert_eq!(
        columns("DeviceNetworkEvents | summarize arg_max(Timestamp, RemoteIP, RemotePort)"),
        names(&["Timestamp", "RemoteIP", "RemotePort"])
    );
    // `A = arg_max(T, A)` names the first column; the returned one is suffixed.
    assert_eq!(
        columns(
            "DeviceNetworkEvents | summarize RemoteIP = arg_max(Timestamp, RemoteIP) by DeviceId"
        ),
        names(&["DeviceId", "RemoteIP", "RemoteIP1"])
    );
    assert_eq!(
        messages(
            "DeviceProcessEvents | summarize count() by DeviceId | where count_ > 1 and Nope == 1"
        ),
        ["unknown column 'Nope'"]
    );
    // Aggregates whose default name is not certain leave the set open.
    assert!(
        messages("DeviceProcessEvents | summarize take_any(FileName) | where x == 1").is_empty()
    );
    assert_eq!(
        columns("DeviceProcessEvents | distinct DeviceId, FileName"),
        names(&["DeviceId", "FileName"])
    );
    assert_eq!(columns("DeviceProcessEvents | count"), names(&["Count"]));
    assert_eq!(
        columns("DeviceProcessEvents | getschema"),
        names(&["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"])
    );
}

#[test]
fn joins_merge_sides_and_resolve_left_and_right() {
    assert_eq!(
        columns(
            "DeviceNetworkEvents | project DeviceId, RemoteIP\n\
             | join kind=inner (DeviceProcessEvents | project DeviceId, FileName) on DeviceId"
        ),
        names(&["DeviceId", "RemoteIP", "DeviceId1", "FileName"])
    );
    assert_eq!(
        columns(
            "DeviceNetworkEvents | project DeviceId, RemoteIP\n\
             | join kind=leftsemi (DeviceProcessEvents) on DeviceId"
        ),
        names(&["DeviceId", "RemoteIP"])
    );
    assert_eq!(
        columns(
            "DeviceNetworkEvents | project DeviceId, RemoteIP\n\
             | join kind=rightanti (DeviceProcessEvents | project DeviceId, FileName) on DeviceId"
        ),
        names(&["DeviceId", "FileName"])
    );
    assert_eq!(
        columns(
            "DeviceNetworkEvents | project DeviceId, RemoteIP\n\
             | lookup (DeviceProcessEvents | project DeviceId, FileName) on DeviceId"
        ),
        names(&["DeviceId", "RemoteIP", "FileName"])
    );
    assert_eq!(
        messages(
            "DeviceNetworkEvents | join (DeviceProcessEvents) on $left.RemoteIP == $right.FileName, \
             $left.FileName == $right.RemoteIP, RemotePort"
        ),
        [
            "unknown column 'FileName'",
            "unknown column 'RemoteIP'",
            "unknown column 'RemotePort'"
        ]
    );
}

#[test]
fn union_expand_parse_and_sources_declare_their_columns() {
    assert_eq!(
        columns(
            "union withsource=Source DeviceNetworkEvents, (DeviceProcessEvents | project FileName)"
        ),
        names(&[
            "Timestamp",
            "DeviceId",
            "DeviceName",
            "RemoteIP",
            "RemotePort",
            "FileName",
            "Source"
        ])
    );
    assert!(messages("union Device* | where Anything == 1").is_empty());
    let text = "DeviceProcessEvents | project AdditionalFields, FileName\n\
                | mv-expand with_itemindex=i AdditionalFields, X = split(FileName, '.') to typeof(string)";
    let parsed = parse(&format!("{text}\n| where "));
    let at = columns_at(&parsed.syntax(), text.len() + 9, &schema()).unwrap();
    assert_eq!(
        at,
        [
            ("AdditionalFields".to_string(), "dynamic".to_string()),
            ("FileName".into(), "string".into()),
            ("X".into(), "string".into()),
            ("i".into(), "long".into())
        ]
    );
    assert_eq!(
        columns("DeviceProcessEvents | project FileName | parse FileName with Name '.' Ext:string"),
        names(&["FileName", "Name", "Ext"])
    );
    assert_eq!(
        columns(
            "DeviceProcessEvents | project FileName | parse-kv FileName as (a: string, b: long) with (pair_delimiter=',')"
        ),
        names(&["FileName", "a", "b"])
    );
    let mut series = columns(
        "DeviceProcessEvents | make-series n = count() default = 0 on Timestamp step 1h by DeviceId",
    );
    series.sort();
    assert_eq!(series, names(&["DeviceId", "Timestamp", "n"]));
    assert_eq!(columns("range i from 1 to 5 step 1"), names(&["i"]));
    assert_eq!(columns("print a = 1, b = 'x'"), names(&["a", "b"]));
    assert_eq!(
        columns("datatable (kind: string, n: long) ['a', 1]"),
        names(&["kind", "n"])
    );
    assert!(
        messages("DeviceProcessEvents | evaluate bag_unpack(AdditionalFields) | where Foo == 1")
            .is_empty()
    );
    assert!(
        messages("DeviceProcessEvents | invoke FileProfile() | where GlobalPrevalence > 5")
            .is_empty()
    );
    assert!(messages("DeviceProcessEvents | fork (where Foo == 1) (take 1)").is_empty());
    // graph-match makes the columns of its projection; the pattern's variables are not
    // columns, and make-graph's graph has none to check.
    let graph = "DeviceNetworkEvents | make-graph DeviceId --> RemoteIP with_node_id=id\n\
                 | graph-match (a)-[e*1..2]->(b) where a.id != b.id project From = a.id, b.id";
    assert!(messages(graph).is_empty(), "{:?}", messages(graph));
    assert_eq!(columns(graph), names(&["From", "b_id"]));
    assert!(
        messages("DeviceNetworkEvents | make-graph DeviceId --> RemoteIP | graph-match (a)-->(b) project n = a.id | where Nope == 1")
            .iter()
            .any(|m| m.contains("'Nope'"))
    );
}

#[test]
fn lets_and_functions_are_scoped() {
    assert!(
        messages(
            "let f = (T: (DeviceId: string), n: long) { T | where DeviceId != '' | take n };\n\
             f(DeviceProcessEvents)"
        )
        .is_empty()
    );
    assert_eq!(
        messages(
            "let f = (T: (DeviceId: string)) { T | where FileName != '' };\nf(DeviceProcessEvents)"
        ),
        ["unknown column 'FileName'"]
    );
    // A function's result columns come from its body; `(*)` parameters are open.
    assert_eq!(
        messages(
            "let g = () { DeviceProcessEvents | project DeviceId };\ng() | where FileName == ''"
        ),
        ["unknown column 'FileName'"]
    );
    assert!(
        messages("let h = (T: (*)) { T | where Anything == 1 };\nh(DeviceProcessEvents)")
            .is_empty()
    );
    // Tabular lets carry their columns.
    assert_eq!(
        columns("let Net = DeviceNetworkEvents | project DeviceId, RemoteIP;\nNet"),
        names(&["DeviceId", "RemoteIP"])
    );
    assert_eq!(
        columns("let Net = materialize(DeviceNetworkEvents | project DeviceId);\nNet"),
        names(&["DeviceId"])
    );
}

#[test]
fn unknown_functions_are_reported_unless_let_bound() {
    assert_eq!(
        messages("DeviceProcessEvents | where tolowr(FileName) == 'a'"),
        ["unknown function 'tolowr'; did you mean 'tolower'?"]
    );
    assert!(
        messages(
            "let isbad = (s: string) { s has 'x' };\nDeviceProcessEvents | where isbad(FileName)"
        )
        .is_empty()
    );
    assert!(messages("DeviceProcessEvents | summarize makeset(FileName)").is_empty());
}

#[test]
fn columns_at_follows_the_cursor_on_half_written_text() {
    let at = |text: &str, offset: usize| -> Option<Vec<String>> {
        columns_at(&parse(text).syntax(), offset, &schema())
            .map(|c| c.into_iter().map(|(n, _)| n).collect())
    };
    let text = "DeviceNetworkEvents | project DeviceId, RemoteIP | where Rem";
    assert_eq!(at(text, text.len()), Some(names(&["DeviceId", "RemoteIP"])));
    // Right after a `|`, and inside the first operator.
    let text = "DeviceNetworkEvents | project DeviceId | ";
    assert_eq!(at(text, text.len()), Some(names(&["DeviceId"])));
    assert_eq!(at(text, 32).map(|c| c.len()), Some(5));
    // At the source: no columns.
    assert_eq!(at("DeviceNet", 9), None);
    // Inside summarize's by-clause: the input's columns.
    let text = "DeviceNetworkEvents | project DeviceId, RemoteIP | summarize count() by Dev";
    assert_eq!(at(text, text.len()), Some(names(&["DeviceId", "RemoteIP"])));
    // In a join's `on`: both sides; inside the right subquery: the right side's.
    let text = "DeviceNetworkEvents | project DeviceId, RemoteIP | join (DeviceProcessEvents | project DeviceId, FileName | where Fi) on ";
    assert_eq!(
        at(text, text.len()),
        Some(names(&["DeviceId", "RemoteIP", "FileName"]))
    );
    let inside = text.find("Fi)").unwrap() + 2;
    assert_eq!(at(text, inside), Some(names(&["DeviceId", "FileName"])));
    // Types come along.
    let text = "DeviceNetworkEvents | where ";
    let typed = columns_at(&parse(text).syntax(), text.len(), &schema()).unwrap();
    assert!(typed.contains(&("RemotePort".to_string(), "int".to_string())));
    // In a later statement, after lets.
    let text = "let x = 1;\nlet Net = DeviceNetworkEvents | project RemoteIP;\nNet | where R";
    assert_eq!(at(text, text.len()), Some(names(&["RemoteIP"])));
}

#[test]
fn edit_distance_and_suggestions() {
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "ab"), 2);
    let candidates = names(&["DeviceId", "DeviceName"]);
    assert_eq!(suggest("DeviceID", &candidates), Some("DeviceId"));
    assert_eq!(suggest("Nope", &candidates), None);
    assert!(wildcard_match("Dev*Id", "DeviceId"));
    assert!(!wildcard_match("Dev*Id", "DeviceName"));
}

/// The documentation's examples name functions of every kind: none is unknown.
#[test]
fn documentation_examples_call_no_unknown_function() {
    let path = std::path::Path::new("/work/shared/corpus/kql-doc-examples.jsonl");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", path.display()));
    let mut unknown = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let query = entry["query"].as_str().unwrap_or_default();
        for finding in analyse(&parse(query).syntax(), &Schema::new(&[])) {
            unknown.push(format!("{}: {}", entry["id"], finding.message));
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
}

/// Where the analysis says it knows every column of a documentation example's result, the
/// documented result has exactly those columns (names in order).
#[test]
fn documentation_examples_have_the_columns_the_analysis_computes() {
    let path = std::path::Path::new("/work/shared/corpus/kql-doc-examples.jsonl");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", path.display()));
    let schema = Schema::new(&[]);
    let (mut closed, mut total, mut wrong) = (0, 0, Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let query = entry["query"].as_str().unwrap_or_default();
        let Some(expected) = entry["expected"]["columns"].as_array() else {
            continue;
        };
        total += 1;
        let expected: Vec<String> = expected
            .iter()
            .map(|c| {
                c.as_str().map_or_else(
                    || c["name"].as_str().unwrap_or_default().to_string(),
                    str::to_string,
                )
            })
            .collect();
        let mut analyser = Analyser::new(&schema, None);
        let Some(Some(cols)) = analyser.statements(&parse(query).syntax()) else {
            continue;
        };
        if cols.open {
            continue;
        }
        closed += 1;
        let got: Vec<String> = cols.list.into_iter().map(|(n, _)| n).collect();
        if got != expected {
            wrong.push(format!("{}: {got:?} documented {expected:?}", entry["id"]));
        }
    }
    eprintln!(
        "{closed} of {total} examples with known columns; {} differ",
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Half-written text: every prefix of the corpus' queries (at a stride) analyses and answers
/// `columns_at` at its end without panicking, and the whole queries at many offsets.
#[test]
fn prefixes_of_real_queries_never_panic() {
    let path = std::path::Path::new("/work/shared/corpus/defender-hunting-queries.jsonl");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", path.display()));
    let schema = advanced_hunting();
    let mut answered = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let query = entry["query"].as_str().unwrap_or_default();
        let root = parse(query).syntax();
        for end in (0..=query.len())
            .step_by(97)
            .filter(|&i| query.is_char_boundary(i))
        {
            answered += usize::from(columns_at(&root, end, &schema).is_some());
            let prefix = &query[..end];
            let prefix_root = parse(prefix).syntax();
            analyse(&prefix_root, &schema);
            columns_at(&prefix_root, prefix.len(), &schema);
        }
    }
    assert!(answered > 1000, "{answered}");
}

#[test]
fn earlier_results_are_tables_when_kept_and_explained_when_not() {
    // None kept: each name is said to be an earlier result, not an unknown table, and the
    // rest of the query is still checked.
    assert_eq!(
        messages("$last | join ($2) on DeviceId | where Nope > 1"),
        names(&[
            "'$last' names the newest result, and there is none here (the console keeps its last results; hunt run reads saved ones with --input FILE.json)",
            "'$2' names the 2nd newest result, and there is none here (the console keeps its last results; hunt run reads saved ones with --input FILE.json)",
        ])
    );
    // Two kept (the console adds `$last`, `$1`, `$2`): their columns flow on; `$3` is past
    // them, `$0` names none.
    let kept = |name: &str| SchemaTable {
        name: name.to_string(),
        columns: vec![("Logons".to_string(), "long".to_string())],
    };
    let mut tables = schema().tables().to_vec();
    tables.extend([kept("$last"), kept("$1"), kept("$2")]);
    let with_results = Schema::new(&tables);
    let found = |text: &str| -> Vec<String> {
        analyse(&parse(text).syntax(), &with_results)
            .into_iter()
            .map(|f| f.message)
            .collect()
    };
    assert!(found("let x = $last; x | where Logons > 1 | union $1, $2").is_empty());
    assert_eq!(
        found("$last | where Nope > 1"),
        names(&["unknown column 'Nope'"])
    );
    assert_eq!(
        found("$3 | take 1"),
        names(&["'$3' names the 3rd newest result, but there are only 2"])
    );
    assert_eq!(
        found("$0"),
        names(&["'$0' names no result: the newest is $last (or $1), then $2 …"])
    );
    // Results alone (a backend that reports no tables) make no table name unknown.
    let only_results = Schema::new(&[kept("$last"), kept("$1")]);
    assert!(analyse(&parse("Anything | take 1").syntax(), &only_results).is_empty());
}
