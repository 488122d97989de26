//! The grid's data functions over a Defender-sized result (a plain harness:
//! `cargo bench --bench grid_data`, optionally `-- RUNS`, default 7).
//!
//! What it measures: a deterministic `ResultSet` of 100,000 rows × 30 columns (10 strings —
//! command lines of 60–200 characters, file, account and device names, some with non-ASCII
//! text —, 5 datetimes, 6 longs, 2 ints, 2 reals, a bool, 2 guids and 2 dynamic columns of JSON
//! objects, a few nulls) is built once; then the median wall time of RUNS runs of
//! `ResultSet::sorted_order` on the command-line column and on a datetime column (both
//! directions), `results::frequency::frequencies` on a file-name column and on the command-line
//! column, and `results::search::find` over all 3,000,000 cells for a word (`mimikatz`), a
//! common word (`powershell`), a date fragment (`2024-03-2`, which every datetime cell has to be
//! formatted for) and a non-ASCII needle (`ÄRGER`). Each result is checked before it is timed.

#[path = "common/rng.rs"]
mod rng;

use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::record_batch::RecordBatch;
use hunt::kql::time;
use hunt::results::frequency::frequencies;
use hunt::results::search::find;
use hunt::results::{KqlType, ResultSet, RunFacts, kql_schema};
use rng::Rng;

const ROWS: usize = 100_000;

const PROGRAMS: [&str; 8] = [
    "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command",
    "cmd.exe /c",
    "C:\\Windows\\System32\\rundll32.exe",
    "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n",
    "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s",
    "wmic process call create",
    "certutil.exe -urlcache -split -f",
    "schtasks /create /tn",
];
const WORDS: [&str; 16] = [
    "Get-Process",
    "Invoke-WebRequest",
    "http://contoso.example/a.ps1",
    "Schedule",
    "C:\\Users\\Public\\run.bat",
    "comsvcs.dll,MiniDump",
    "whoami /all",
    "net user /domain",
    "Ärger über Änderungen",
    "請求書のご確認",
    "-enc SQBFAFgA",
    "BITS",
    "lsass.dmp",
    "\\\\fileserver\\share$",
    "mimikatz.exe sekurlsa::logonpasswords",
    "calc.exe",
];
const FILES: [&str; 12] = [
    "powershell.exe",
    "cmd.exe",
    "rundll32.exe",
    "WINWORD.EXE",
    "svchost.exe",
    "wmic.exe",
    "certutil.exe",
    "schtasks.exe",
    "explorer.exe",
    "msedge.exe",
    "Teams.exe",
    "ärger.exe",
];

fn build() -> ResultSet {
    let mut rng = Rng(0x4855_4E54_4752_4944);
    let mut columns: Vec<(String, KqlType)> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut add = |name: &str, kql_type: KqlType, array: ArrayRef| {
        columns.push((name.to_string(), kql_type));
        arrays.push(array);
    };
    let command_lines: Vec<String> = (0..ROWS)
        .map(|_| {
            let mut line = rng.pick(&PROGRAMS).to_string();
            while line.len() < 60 + rng.below(140) as usize {
                line.push(' ');
                line.push_str(rng.pick(&WORDS));
            }
            line
        })
        .collect();
    add(
        "ProcessCommandLine",
        KqlType::String,
        Arc::new(StringArray::from_iter_values(command_lines.iter())),
    );
    add(
        "InitiatingProcessCommandLine",
        KqlType::String,
        Arc::new(StringArray::from_iter_values(
            command_lines.iter().rev().map(|l| l.to_lowercase()),
        )),
    );
    for name in [
        "FileName",
        "InitiatingProcessFileName",
        "ProcessVersionInfoOriginalFileName",
    ] {
        let values: Vec<&str> = (0..ROWS).map(|_| rng.pick(&FILES)).collect();
        add(name, KqlType::String, Arc::new(StringArray::from(values)));
    }
    for name in ["AccountName", "InitiatingProcessAccountName"] {
        let values: Vec<String> = (0..ROWS)
            .map(|_| format!("user{:04}", rng.below(2000)))
            .collect();
        add(name, KqlType::String, Arc::new(StringArray::from(values)));
    }
    let devices: Vec<String> = (0..ROWS)
        .map(|_| format!("ws-{:04}.kestrel.local", rng.below(500)))
        .collect();
    add(
        "DeviceName",
        KqlType::String,
        Arc::new(StringArray::from(devices)),
    );
    let folders: Vec<Option<String>> = (0..ROWS)
        .map(|r| {
            (r % 50 != 0).then(|| {
                format!(
                    "C:\\Users\\user{:04}\\AppData\\Local\\Temp\\{}",
                    rng.below(2000),
                    rng.below(100_000)
                )
            })
        })
        .collect();
    add(
        "FolderPath",
        KqlType::String,
        Arc::new(StringArray::from(folders)),
    );
    let sha: Vec<String> = (0..ROWS)
        .map(|_| {
            format!(
                "{:016x}{:016x}{:016x}{:016x}",
                rng.next(),
                rng.next(),
                rng.next(),
                rng.next()
            )
        })
        .collect();
    add("SHA256", KqlType::String, Arc::new(StringArray::from(sha)));

    let start = time::parse_datetime("2024-03-01T00:00:00Z").expect("a datetime");
    for name in [
        "Timestamp",
        "ProcessCreationTime",
        "InitiatingProcessCreationTime",
        "FileCreationTime",
        "ReportTime",
    ] {
        let values: Vec<Option<i64>> = (0..ROWS)
            .map(|r| (r % 97 != 0).then(|| start + (rng.below(30 * 86_400 * 10_000_000)) as i64))
            .collect();
        add(name, KqlType::DateTime, Arc::new(Int64Array::from(values)));
    }
    for name in [
        "ProcessId",
        "InitiatingProcessId",
        "ReportId",
        "FileSize",
        "LogonId",
        "InitiatingProcessParentId",
    ] {
        let values: Vec<Option<i64>> = (0..ROWS)
            .map(|r| (r % 89 != 0).then(|| rng.below(1 << 40) as i64))
            .collect();
        add(name, KqlType::Long, Arc::new(Int64Array::from(values)));
    }
    for name in ["ProcessIntegrityLevelCode", "Port"] {
        let values: Vec<i32> = (0..ROWS).map(|_| rng.below(65_536) as i32).collect();
        add(name, KqlType::Int, Arc::new(Int32Array::from(values)));
    }
    for name in ["Score", "Confidence"] {
        let values: Vec<f64> = (0..ROWS)
            .map(|_| rng.below(1_000_000) as f64 / 1000.0)
            .collect();
        add(name, KqlType::Real, Arc::new(Float64Array::from(values)));
    }
    let flags: Vec<bool> = (0..ROWS).map(|_| rng.below(2) == 0).collect();
    add(
        "IsElevated",
        KqlType::Bool,
        Arc::new(BooleanArray::from(flags)),
    );
    for name in ["DeviceId", "TenantId"] {
        let values: Vec<String> = (0..ROWS)
            .map(|_| {
                let (a, b) = (rng.next(), rng.next());
                format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xffff,
                    b >> 48,
                    b & 0xffff_ffff_ffff
                )
            })
            .collect();
        add(name, KqlType::Guid, Arc::new(StringArray::from(values)));
    }
    for name in ["AdditionalFields", "ProcessTokenInfo"] {
        let values: Vec<String> = (0..ROWS)
            .map(|_| {
                format!(
                    "{{\"Command\":\"{}\",\"Count\":{},\"Tags\":[\"a\",\"b\"]}}",
                    rng.pick(&FILES),
                    rng.below(100)
                )
            })
            .collect();
        add(name, KqlType::Dynamic, Arc::new(StringArray::from(values)));
    }
    assert_eq!(columns.len(), 30);
    let schema = kql_schema(&columns);
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("a batch");
    ResultSet::from_batches(schema, &[batch], RunFacts::default()).expect("a result")
}

/// The median of `runs` timed calls of `f`.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn report(what: &str, time: Duration) {
    println!("{what:<58} {:>9.2} ms", time.as_secs_f64() * 1000.0);
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(7)
        .max(1);
    let built = Instant::now();
    let result = build();
    println!(
        "grid_data: {} rows x {} columns, built in {:.0} ms; median of {runs} runs",
        result.row_count(),
        result.column_count(),
        built.elapsed().as_secs_f64() * 1000.0
    );

    // Checked before timing.
    let order = result.sorted_order(0, false);
    assert_eq!(order.len(), ROWS);
    assert!(
        order
            .windows(2)
            .all(|w| { result.cell_text(w[0] as usize, 0) <= result.cell_text(w[1] as usize, 0) })
    );
    let by_time = result.sorted_order(10, true);
    assert_eq!(by_time.len(), ROWS);
    let files = frequencies(&result, 2);
    assert_eq!(files.total, ROWS as u64);
    assert_eq!(files.values.len(), FILES.len());
    let hits = find(&result, "mimikatz", None);
    assert!(!hits.is_empty() && hits.iter().all(|(_, c)| *c <= 1));
    assert!(!find(&result, "ÄRGER", Some(&order)).is_empty());

    report(
        "sorted_order  ProcessCommandLine (string) asc",
        median(runs, || result.sorted_order(0, false)),
    );
    report(
        "sorted_order  ProcessCommandLine (string) desc",
        median(runs, || result.sorted_order(0, true)),
    );
    report(
        "sorted_order  DeviceName (string, 500 values) asc",
        median(runs, || result.sorted_order(7, false)),
    );
    report(
        "sorted_order  Timestamp (datetime) asc",
        median(runs, || result.sorted_order(10, false)),
    );
    report(
        "sorted_order  Timestamp (datetime) desc",
        median(runs, || result.sorted_order(10, true)),
    );
    report(
        "sorted_order  AdditionalFields (dynamic) asc",
        median(runs, || result.sorted_order(28, false)),
    );
    report(
        "frequencies   FileName (12 values)",
        median(runs, || frequencies(&result, 2)),
    );
    report(
        "frequencies   ProcessCommandLine (mostly distinct)",
        median(runs, || frequencies(&result, 0)),
    );
    report(
        "frequencies   Timestamp (datetime, all distinct)",
        median(runs, || frequencies(&result, 10)),
    );
    for needle in ["mimikatz", "powershell", "2024-03-2", "ÄRGER"] {
        let count = find(&result, needle, None).len();
        report(
            &format!("find          all cells, '{needle}' ({count} hits)"),
            median(runs, || find(&result, needle, None)),
        );
    }
    report(
        "find          all cells, 'mimikatz', sorted order",
        median(runs, || find(&result, "mimikatz", Some(&order))),
    );
}
