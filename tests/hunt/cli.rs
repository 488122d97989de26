//! `hunt run`, `hunt check` and `hunt lab export` as a script would use them.

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
    let output = hunt(&["check", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!("{}:2:11: unknown column 'Nope'\n", bad.display())
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
