//! `hunt run`, `hunt check`, `hunt fmt` and `hunt lab export` as a script would use them.

use std::process::{Command, Output};

fn hunt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hunt"))
        .args(args)
        .env("HUNT_HOME", std::env::temp_dir().join("hunt-cli-test-home"))
        .output()
        .expect("hunt runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn run_prints_csv_with_a_header() {
    let output = hunt(&[
        "run",
        "DeviceProcessEvents | where FileName =~ \"rundll32.exe\" and ProcessCommandLine has \"MiniDump\" | project FileName, AccountName, DeviceName",
        "--format",
        "csv",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "FileName,AccountName,DeviceName\nrundll32.exe,dwhitfield,ws-0102.kestrel.local\n"
    );
    assert!(stderr(&output).is_empty());
}

#[test]
fn csv_is_the_default_when_not_on_a_terminal() {
    let output = hunt(&[
        "run",
        "DeviceInfo | distinct OSPlatform | sort by OSPlatform asc",
    ]);
    assert_eq!(
        stdout(&output),
        "OSPlatform\nWindows11\nWindowsServer2022\n"
    );
}

#[test]
fn run_prints_graph_shaped_json_and_jsonl() {
    let output = hunt(&[
        "run",
        "DeviceProcessEvents | where FileName == \"PsExec.exe\" | project Timestamp, ProcessId, FileName | take 1",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        json["schema"],
        serde_json::json!([{"name": "Timestamp", "type": "DateTime"}, {"name": "ProcessId", "type": "Int64"}, {"name": "FileName", "type": "String"}])
    );
    let row = &json["results"][0];
    assert!(row["ProcessId"].is_i64());
    let time = row["Timestamp"].as_str().unwrap();
    assert_eq!(time.len(), "2020-08-30T06:38:35.7664356Z".len(), "{time}");
    let output = hunt(&[
        "run",
        "DeviceInfo | distinct DeviceType",
        "--format",
        "jsonl",
    ]);
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
}

#[test]
fn run_reports_query_errors_with_line_and_column() {
    let output = hunt(&["run", "DeviceProcessEvents\n| where Filename == \"x\""]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert_eq!(
        stderr(&output),
        "hunt: 2:9: unknown column 'Filename' (column names are case-sensitive: did you mean 'FileName'?)\n"
    );
    let output = hunt(&["run", "DeviceProcessEvents | where"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("hunt: 1:28: expected an expression"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_errors_exit_with_two() {
    let output = hunt(&["run", "T", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = hunt(&["run", "T", "-f", "/nonexistent/q.kql"]);
    assert_eq!(output.status.code(), Some(2));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hunt"))
        .args(["run"])
        .env("HUNT_HOME", std::env::temp_dir().join("hunt-cli-test-home"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "no query on an empty standard input"
    );
    let bad = hunt(&["run", "DeviceInfo | count", "--timespan", "P1X"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--timespan"), "{}", stderr(&bad));
    // A folder is not a query file (one that does not exist yet is a new query).
    let folder = hunt(&["/"]);
    assert_eq!(folder.status.code(), Some(2));
    assert!(stderr(&folder).contains("/:"), "{}", stderr(&folder));
    let zero = hunt(&["run", "DeviceInfo", "--row-limit", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert_eq!(
        hunt(&["run", "   "]).status.code(),
        Some(2),
        "a blank query"
    );
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("blank.kql");
    std::fs::write(&blank, "\n  \n").unwrap();
    assert_eq!(
        hunt(&["run", "-f", blank.to_str().unwrap()]).status.code(),
        Some(2)
    );
}

#[test]
fn check_prints_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.kql");
    let bad = dir.path().join("bad.kql");
    std::fs::write(&good, "DeviceProcessEvents | take 1").unwrap();
    std::fs::write(&bad, "DeviceProcessEvents\n| project Nope").unwrap();
    let output = hunt(&["check", good.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // Valid KQL the local engine lacks is a warning: Defender would run it.
    let lacking = dir.path().join("lacking.kql");
    std::fs::write(&lacking, "DeviceInfo | evaluate autocluster()").unwrap();
    let output = hunt(&["check", lacking.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(":1:23: warning: the 'autocluster' plugin"),
        "{}",
        stdout(&output)
    );
    let output = hunt(&["check", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!("{}:2:11: error: unknown column 'Nope'\n", bad.display())
    );
}

#[test]
fn check_lints_every_block_of_a_kql_file_at_its_place_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hunts.kql");
    // The first block is fine: the whole file as one query used to stop at its end.
    std::fs::write(
        &file,
        "// title: two hunts\r\nDeviceProcessEvents\r\n| take 1\r\n\r\n// only a note\r\n\r\nDeviceInfo\r\n| where Nope == 1\r\n",
    )
    .unwrap();
    let output = hunt(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("{}:8:9: error: unknown column 'Nope'\n", file.display())
    );
    // Standard input is a .kql file too.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hunt"))
        .args(["check"])
        .env("HUNT_HOME", std::env::temp_dir().join("hunt-cli-test-home"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"DeviceInfo | take 1\n\nDeviceInfo\n| project Nope\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "-:4:11: error: unknown column 'Nope'\n");
}

#[test]
fn check_reads_markdown_fences_and_yaml_rules() {
    let dir = tempfile::tempdir().unwrap();
    let markdown = dir.path().join("hunts.md");
    std::fs::write(
        &markdown,
        "# Hunts\n\n```kql\nDeviceInfo\n\n| take 1\n```\n\n```python\nprint(1 +)\n```\n\n~~~Kusto\nDeviceEvents\n| summarize count() by Nope\n~~~\n",
    )
    .unwrap();
    let output = hunt(&["check", markdown.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!(
            "{}:15:24: error: unknown column 'Nope'\n",
            markdown.display()
        )
    );
    let rule = dir.path().join("rule.yaml");
    std::fs::write(
        &rule,
        "id: 5b3f7c0e\nname: Encoded PowerShell\ndescription: |\n  query: not a query\nseverity: Medium\nquery: |\n  DeviceProcessEvents\n  | where FileName =~ \"powershell.exe\"\n  | project Nope\nentityMappings:\n  - entityType: Host\n",
    )
    .unwrap();
    let output = hunt(&["check", rule.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("{}:9:13: error: unknown column 'Nope'\n", rule.display())
    );
    // A directory is searched for query files; the good ones print nothing.
    let good = dir.path().join("sub");
    std::fs::create_dir(&good).unwrap();
    std::fs::write(good.join("fine.yml"), "query: 'DeviceInfo | take 1'\n").unwrap();
    std::fs::write(good.join("notes.txt"), "not | a query").unwrap();
    let output = hunt(&["check", good.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
    let output = hunt(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output).lines().count(), 2, "{}", stdout(&output));
}

#[test]
fn check_reports_every_syntax_error_and_the_names_the_schema_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hunts.kql");
    std::fs::write(
        &file,
        "DeviceInfo | lookup (DeviceProcessEvents | where Nope == 1) on DeviceId\n\n\
         DeviceInfo | where (\n| wher x\n\n\
         DeviceProcessEvent\n| where AcountName == 'x' and tolowr(FileName) == 'a'\n",
    )
    .unwrap();
    let output = hunt(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let name = file.display();
    // Past an unknown table the columns are unknown: `AcountName` is not reported. An unknown
    // column inside a subquery (the lookup's) is an error: Defender would refuse it too.
    assert_eq!(
        stdout(&output),
        format!(
            "{name}:1:50: error: unknown column 'Nope'\n\
             {name}:4:1: error: expected an expression, found '|'\n\
             {name}:4:3: error: unknown tabular operator 'wher'\n\
             {name}:4:9: error: expected ')', found the end of the query\n\
             {name}:6:1: error: unknown table 'DeviceProcessEvent'; did you mean 'DeviceProcessEvents'?\n\
             {name}:7:31: warning: unknown function 'tolowr'; did you mean 'tolower'?\n"
        )
    );
}

#[test]
fn check_exit_codes_and_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.kql");
    std::fs::write(&good, "DeviceProcessEvents | take 1").unwrap();
    let warning = dir.path().join("warning.kql");
    std::fs::write(
        &warning,
        "DeviceInfo | take 1\n\nDeviceInfo | evaluate autocluster()\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.kql");
    std::fs::write(&bad, "DeviceInfo | wher x").unwrap();
    let missing = dir.path().join("missing.kql");
    // Warnings alone pass.
    let output = hunt(&["check", warning.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).starts_with(&format!("{}:3:23: warning: ", warning.display())),
        "{}",
        stdout(&output)
    );
    let output = hunt(&["check", bad.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with(&format!("{}:1:", bad.display())),
        "{}",
        stdout(&output)
    );
    // An unreadable file is reported and the others still checked; exit 2 wins.
    let output = hunt(&["check", missing.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.kql"),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("bad.kql:1:"),
        "{}",
        stdout(&output)
    );
    assert_eq!(hunt(&["check", "--schema", "nope"]).status.code(), Some(2));
    // Hostile names reach the terminal as visible symbols.
    let hostile = dir.path().join("evil\u{1b}[2J.kql");
    std::fs::write(&hostile, "DeviceInfo | project Nope").unwrap();
    let output = hunt(&["check", hostile.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!stdout(&output).contains('\u{1b}'), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("evil␛[2J.kql:1:22: error:"),
        "{}",
        stdout(&output)
    );
    // The lab's tables are the advanced hunting schema's: the same verdicts.
    for schema in ["advanced-hunting", "lab"] {
        let output = hunt(&["check", "--schema", schema, good.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{schema}: {}",
            stdout(&output)
        );
        let output = hunt(&["check", "--schema", schema, bad.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{schema}");
    }
}

#[test]
fn time_generated_is_the_labs_not_defenders() {
    // The lab's tables carry Sentinel's TimeGenerated; Defender's advanced hunting tables (what
    // Graph runs) do not, and `check` says so against that schema.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sentinel.kql");
    std::fs::write(
        &file,
        "DeviceProcessEvents | where TimeGenerated > ago(1d) | take 1",
    )
    .unwrap();
    let output = hunt(&["check", "--schema", "lab", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = hunt(&[
        "check",
        "--schema",
        "advanced-hunting",
        file.to_str().unwrap(),
    ]);
    assert!(
        stdout(&output).contains("unknown column 'TimeGenerated'"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn lab_export_writes_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let output = hunt(&[
        "lab",
        "export",
        dir.path().to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let processes = std::fs::read_to_string(dir.path().join("DeviceProcessEvents.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(processes.lines().next().unwrap()).unwrap();
    assert!(first["ProcessCommandLine"].is_string());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 62);
    let output = hunt(&["lab", "export", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let parquet = std::fs::read(dir.path().join("DeviceNetworkEvents.parquet")).unwrap();
    assert_eq!(&parquet[..4], b"PAR1");
}

#[test]
fn lab_export_of_some_tables_holds_the_labs_rows() {
    // `--tables` writes only those; what is written (in parts) is the in-memory lab's rows.
    let now = "2025-01-31T12:00:00Z";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let output = hunt(&[
        "lab",
        "export",
        path,
        "--format",
        "jsonl",
        "--lab-now",
        now,
        "--tables",
        "DeviceNetworkEvents,DeviceProcessEvents",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["DeviceNetworkEvents.jsonl", "DeviceProcessEvents.jsonl"],
        "no other table, no temporary file left"
    );
    let exported = std::fs::read_to_string(dir.path().join("DeviceNetworkEvents.jsonl")).unwrap();
    let mut exported: Vec<&str> = exported.lines().collect();
    let run = hunt(&[
        "run",
        "DeviceNetworkEvents",
        "--format",
        "jsonl",
        "--lab-now",
        now,
        "--row-limit",
        "1000000",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let queried = stdout(&run);
    let mut queried: Vec<&str> = queried.lines().collect();
    assert!(exported.len() > 1000, "{}", exported.len());
    exported.sort_unstable();
    queried.sort_unstable();
    assert!(exported == queried, "the export holds the lab's rows");
}

#[test]
fn lab_export_refuses_what_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let unknown = hunt(&[
        "lab",
        "export",
        path,
        "--tables",
        "DeviceProcessEvents,NoSuchTable",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        stderr(&unknown),
        "hunt: --tables: 'NoSuchTable' is no lab table (hunt lab export writes them all without --tables)\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // A file where the folder should be: a clear error, nothing written.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let blocked = hunt(&[
        "lab",
        "export",
        file.to_str().unwrap(),
        "--tables",
        "AlertInfo",
    ]);
    assert_eq!(blocked.status.code(), Some(1));
    assert!(
        stderr(&blocked).starts_with("hunt: "),
        "{}",
        stderr(&blocked)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    // Past 1000 the lab is for export only (written in parts); past 100000 not even that.
    let big = hunt(&["run", "print 1", "--scale", "1001"]);
    assert_eq!(big.status.code(), Some(2));
    assert!(
        stderr(&big).contains("larger scales are for hunt lab export"),
        "{}",
        stderr(&big)
    );
    let huge = hunt(&["lab", "export", path, "--scale", "100001"]);
    assert_eq!(huge.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn lab_now_pins_the_lab_for_export_and_run() {
    // `--lab-now` makes the lab the same rows in every process: what `lab export` writes is what
    // `run` queries, and `now()`, `ago()` and a relative window count from that moment.
    let now = "2025-01-31T12:00:00Z";
    let dir = tempfile::tempdir().unwrap();
    let output = hunt(&[
        "lab",
        "export",
        dir.path().to_str().unwrap(),
        "--format",
        "jsonl",
        "--lab-now",
        now,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let exported = std::fs::read_to_string(dir.path().join("DeviceProcessEvents.jsonl")).unwrap();
    let newest = exported
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            row["Timestamp"].as_str().unwrap().to_string()
        })
        .max()
        .unwrap();
    let query = "DeviceProcessEvents | summarize Rows = count(), Newest = max(Timestamp), Recent = countif(Timestamp > ago(1d)), Now = max(now())";
    let run = hunt(&["run", query, "--format", "csv", "--lab-now", now]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let text = stdout(&run);
    let fields: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(fields[0], exported.lines().count().to_string());
    assert_eq!(fields[1], newest);
    assert!(fields[1] < now, "{text}");
    assert_ne!(fields[2], "0", "ago() counts from --lab-now: {text}");
    assert_eq!(fields[3], "2025-01-31T12:00:00.0000000Z");
    let windowed = hunt(&[
        "run",
        query,
        "--format",
        "csv",
        "--lab-now",
        now,
        "--timespan",
        "P30D",
    ]);
    assert_eq!(stdout(&windowed), text, "the window ends at --lab-now");
    let bad = hunt(&["run", "print 1", "--lab-now", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

#[test]
fn timespan_limits_the_rows() {
    let all = stdout(&hunt(&["run", "DeviceProcessEvents | count"]));
    let month = stdout(&hunt(&[
        "run",
        "DeviceProcessEvents | count",
        "--timespan",
        "P31D",
    ]));
    assert_eq!(all, month);
    let old = hunt(&[
        "run",
        "DeviceProcessEvents | count",
        "--timespan",
        "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z",
    ]);
    assert_eq!(stdout(&old), "Count\n0\n");
    let bad = hunt(&[
        "run",
        "DeviceProcessEvents | count",
        "--timespan",
        "last week",
    ]);
    assert_eq!(bad.status.code(), Some(2), "a usage error (CLI.md)");
    assert!(
        stderr(&bad).contains("is not an ISO 8601 time span"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_capped_result_says_it_was_truncated() {
    let output = hunt(&[
        "run",
        "DeviceProcessEvents | project FileName",
        "--row-limit",
        "5",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).lines().count(), 6, "a header and five rows");
    assert!(stderr(&output).contains("truncated"), "{}", stderr(&output));
    let output = hunt(&[
        "run",
        "DeviceInfo | take 5 | project DeviceName",
        "--row-limit",
        "5",
    ]);
    assert!(
        stderr(&output).is_empty(),
        "exactly the limit is the whole result"
    );
}

#[test]
fn csv_and_json_write_kqls_text_for_times_and_reals() {
    let query = "DeviceInfo | take 1 | project t = datetime(2024-03-26T09:39:50.7688641Z), old = datetime(1601-01-01), r = 1.0, s = 1h, ts = tostring(1d + 1s)";
    let output = hunt(&["run", query, "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "t,old,r,s,ts\n2024-03-26T09:39:50.7688641Z,1601-01-01T00:00:00.0000000Z,1,01:00:00,1.00:00:01\n"
    );
    let output = hunt(&["run", query, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        json["results"][0],
        serde_json::json!({"t": "2024-03-26T09:39:50.7688641Z", "old": "1601-01-01T00:00:00.0000000Z", "r": 1.0, "s": "01:00:00", "ts": "1.00:00:01"})
    );
    assert_eq!(json["schema"][3]["type"], "TimeSpan");
}

#[test]
fn csv_safe_prefixes_formula_cells_and_says_so() {
    let query = "DeviceInfo | take 1 | project Cmd = '=cmd|\\' /C calc\\'!A0', Arg = '-enc x', Plain = 'a,b'";
    let output = hunt(&["run", query, "--format", "csv", "--csv-safe"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Cmd,Arg,Plain\n'=cmd|' /C calc'!A0,'-enc x,\"a,b\"\n"
    );
    assert!(
        stderr(&output).contains("spreadsheet-safe"),
        "{}",
        stderr(&output)
    );
    // Without the flag the values are exact and nothing is said.
    let output = hunt(&["run", query, "--format", "csv"]);
    assert_eq!(
        stdout(&output),
        "Cmd,Arg,Plain\n=cmd|' /C calc'!A0,-enc x,\"a,b\"\n"
    );
    assert!(stderr(&output).is_empty());
    let output = hunt(&["run", query, "--format", "json", "--csv-safe"]);
    assert_eq!(output.status.code(), Some(2));
}

fn hunt_with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hunt"))
        .args(args)
        .env("HUNT_HOME", std::env::temp_dir().join("hunt-cli-test-home"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn fmt_formats_standard_input_to_standard_output() {
    let output = hunt_with_stdin(
        &["fmt"],
        "// hunt\nDeviceInfo|where OSPlatform=='Windows11' // only 11\n|take 1\n\n\nlet a=1;print a",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "// hunt\nDeviceInfo\n| where OSPlatform == 'Windows11' // only 11\n| take 1\n\n\nlet a = 1;\nprint a\n"
    );
    // A syntax error: reported with its place, the text passed through unchanged.
    let output = hunt_with_stdin(&["fmt"], "T|take 1\n\nT\n| where ==\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "T|take 1\n\nT\n| where ==\n");
    assert!(
        stderr(&output).starts_with("-:4:9: error: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fmt_rewrites_files_in_place_and_check_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.kql");
    let tidy = dir.path().join("tidy.kql");
    let broken = dir.path().join("broken.kql");
    std::fs::write(&messy, "DeviceInfo|take 1\r\n\r\nDeviceEvents | count\r\n").unwrap();
    std::fs::write(&tidy, "DeviceInfo\n| take 1\n").unwrap();
    std::fs::write(&broken, "DeviceInfo\n| take 1\n\nDeviceInfo | where (\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&messy, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let (m, t, b) = (
        messy.to_str().unwrap(),
        tidy.to_str().unwrap(),
        broken.to_str().unwrap(),
    );

    // --check changes nothing and names the files that would change.
    let output = hunt(&["fmt", "--check", m, t]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{m}: would reformat\n"));
    let output = hunt(&["fmt", "--check", t]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");

    // In place: CRLF and permissions kept; then it is formatted.
    let output = hunt(&["fmt", m, t]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "DeviceInfo\r\n| take 1\r\n\r\nDeviceEvents\r\n| count\r\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&messy).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    assert_eq!(hunt(&["fmt", "--check", m]).status.code(), Some(0));

    // A syntax error: FILE:LINE:COL, the file untouched, exit 1.
    let before = std::fs::read_to_string(&broken).unwrap();
    let output = hunt(&["fmt", b]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with(&format!("{b}:4:")),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), before);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");

    // Markdown and YAML are refused.
    let markdown = dir.path().join("notes.md");
    std::fs::write(&markdown, "```kql\nT|take 1\n```\n").unwrap();
    let output = hunt(&["fmt", markdown.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(".kql files only"),
        "{}",
        stderr(&output)
    );
}

/// The analysis and the engine reporting one name (worded differently) make one line.
#[test]
fn check_reports_a_name_both_checks_reject_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.kql");
    std::fs::write(&file, "DeviceNetworkEvents | where ISP == 'x'\n").unwrap();
    let output = hunt(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains(":1:29: error: unknown column 'ISP'"),
        "{text}"
    );
}

/// A query's answer in `--format json`, as a file for `--input`.
fn saved(dir: &std::path::Path, name: &str, query: &str) -> std::path::PathBuf {
    let output = hunt(&[
        "run",
        "--lab-now",
        "2025-01-31T00:00:00Z",
        "--format",
        "json",
        query,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = dir.join(name);
    std::fs::write(&path, &output.stdout).unwrap();
    path
}

#[test]
fn input_round_trips_every_type_through_json() {
    let dir = tempfile::tempdir().unwrap();
    // Every Graph type, nulls among them, and text a terminal must not obey.
    let query = "print b=true, i=int(3), l=long(-4), r=2.5, d=datetime(2024-01-02 03:04:05.1234567), t=26h, g=guid(74be27de-1e4e-49d9-b579-fe0b331d3642), s=\"a\\\"b\\u202e\", y=dynamic({\"k\":[1,2,{\"z\":null}]}), n=long(null), e=real(null), dn=datetime(null) | extend rows=range(1,3) | mv-expand rows";
    let file = saved(dir.path(), "all.json", query);
    let original = std::fs::read(&file).unwrap();
    let again = hunt(&[
        "run",
        "--input",
        file.to_str().unwrap(),
        "--format",
        "json",
        "$last",
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&original)
    );
    // `$1` is `$last`; the types hold (an Int32 stays an int, a dynamic keeps its paths).
    let typed = hunt(&[
        "run",
        "--input",
        file.to_str().unwrap(),
        "--format",
        "csv",
        "$1 | where rows == 2 | project i2 = i * 2, k = tostring(y.k[2].z), hours = t / 1h, day = startofday(d)",
    ]);
    assert_eq!(typed.status.code(), Some(0), "{}", stderr(&typed));
    assert_eq!(
        stdout(&typed),
        "i2,k,hours,day\n6,,26,2024-01-02T00:00:00.0000000Z\n"
    );
}

#[test]
fn inputs_are_numbered_newest_last_given() {
    let dir = tempfile::tempdir().unwrap();
    let processes = saved(
        dir.path(),
        "processes.json",
        "DeviceProcessEvents | where FileName =~ \"rundll32.exe\" and ProcessCommandLine has \"MiniDump\" | project DeviceName, FileName",
    );
    let devices = saved(
        dir.path(),
        "devices.json",
        "DeviceInfo | summarize by DeviceName, OSPlatform",
    );
    let (first, second) = (processes.to_str().unwrap(), devices.to_str().unwrap());
    // The last --input is $last; the one before it $2. No lab table is needed, but the lab's
    // tables are there too (the default backend).
    let output = hunt(&[
        "run",
        "--input",
        first,
        "--input",
        second,
        "--format",
        "csv",
        "$2 | join kind=inner ($last) on DeviceName | join kind=inner (DeviceInfo | distinct DeviceName, DeviceType) on DeviceName | project FileName, DeviceName, OSPlatform, DeviceType",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "FileName,DeviceName,OSPlatform,DeviceType\nrundll32.exe,ws-0102.kestrel.local,Windows11,Workstation\n"
    );
    // A name past the inputs says how many there are, at its place in the query.
    let output = hunt(&[
        "run",
        "--input",
        first,
        "--input",
        second,
        "$last | union $3",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "hunt: 1:15: '$3' names the 3rd newest result, but there are only 2 (hunt run has one per --input FILE.json; the last given is $last)\n"
    );
    // Without --input there is none; with --backend graph nothing calls Graph (no endpoint
    // is reachable here) and the lab's tables are absent.
    let output = hunt(&["run", "$last | count"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("'$last' names the newest result, but there is none"));
    let output = hunt(&[
        "run",
        "--backend",
        "graph",
        "--endpoint",
        "http://127.0.0.1:9",
        "--auth",
        "token",
        "--input",
        first,
        "--format",
        "csv",
        "$last | count",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Count\n1\n");
}

#[test]
fn bad_inputs_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let output = hunt(&["run", "--input", missing.to_str().unwrap(), "$last"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with(&format!("hunt: --input {}: ", missing.display())),
        "{}",
        stderr(&output)
    );
    // More files than results are kept is a usage error, before any is read.
    let many: Vec<String> = (0..11).map(|n| format!("missing-{n}.json")).collect();
    let mut args = vec!["run"];
    for file in &many {
        args.extend(["--input", file.as_str()]);
    }
    args.push("$last");
    let output = hunt(&args);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "hunt: --input: at most 10 files ($1 … $10)\n"
    );
    for (name, body, says) in [
        ("text.json", "hello", "is not valid JSON"),
        (
            "cut.json",
            "{\"schema\":[{\"name\":\"a\",\"type\":\"String\"}],\"results\":[{\"a\":",
            "ends before its JSON does",
        ),
        ("shape.json", "{\"rows\":[]}", "has no `schema` list"),
        ("empty.json", "", "is empty"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let output = hunt(&["run", "--input", path.to_str().unwrap(), "$last"]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        let error = stderr(&output);
        assert!(
            error.starts_with(&format!(
                "hunt: --input {}: not a saved result (the JSON hunt run --format json prints)",
                path.display()
            )) && error.contains(says),
            "{name}: {error}"
        );
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn check_warns_on_earlier_results_and_passes() {
    let output = hunt_with_stdin(&["check"], "$last | where x > 1 | join ($2) on x\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "-:1:1: warning: '$last' names the newest result, and there is none here (the console keeps its last results; hunt run reads saved ones with --input FILE.json)\n\
         -:1:29: warning: '$2' names the 2nd newest result, and there is none here (the console keeps its last results; hunt run reads saved ones with --input FILE.json)\n"
    );
}
