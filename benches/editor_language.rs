//! The editor's language features on a long query (a plain harness:
//! `cargo bench --bench editor_language`, optionally `-- RUNS`, default 51).
//!
//! What it measures, on a 200-line hunting query (a `let` of IOC lists, a join, a summarize
//! and 191 `| where`/`| extend` lines over DeviceProcessEvents, built deterministically) with the
//! advanced hunting schema (62 tables) loaded the way the console loads it:
//! - completion at the end of the query (`kql::completion::candidates`, on the UI thread when
//!   Ctrl+Space is pressed: issue 8's target is at most 5 ms);
//! - signature help inside the last call (`kql::signature::signature_help`, UI thread on `(`/`,`);
//! - the live check of the block (`worker::live_diagnostics`: the syntax tree, its typed view
//!   and the unknown-name analysis). It runs on the worker, so it can never delay a frame; its
//!   time says how stale the underline can be after typing pauses (0.12 s);
//! - what the UI thread does per keystroke for the live check: joining the block's lines and
//!   handing them to the worker (measured as the join, the channel send being a push);
//! - `kql::format::format` of the block (Alt+Shift+F, on the UI thread).
//!
//! Each figure is the median wall time of RUNS runs, after one warm-up; each result is checked.

use std::time::{Duration, Instant};

use hunt::kql::analysis::Schema;
use hunt::kql::completion::{SchemaTable, candidates};

fn query() -> String {
    let mut lines = vec![
        "let Suspicious = dynamic(['mimikatz.exe', 'procdump.exe', 'rclone.exe', 'psexec.exe']);"
            .to_string(),
        "let Window = 7d;".to_string(),
        "DeviceProcessEvents".to_string(),
        "| where Timestamp > ago(Window)".to_string(),
        "| where FileName in~ (Suspicious) or ProcessCommandLine has_any (Suspicious)".to_string(),
        "| join kind=leftouter (DeviceNetworkEvents | where RemotePort in (443, 8443) | project DeviceId, RemoteIP, RemoteUrl) on DeviceId".to_string(),
    ];
    for i in 0..191 {
        lines.push(match i % 4 {
            0 => format!("| where ProcessCommandLine !contains 'benign-{i}' // not the updater"),
            1 => format!("| extend Score{i} = iff(InitiatingProcessFileName =~ 'cmd.exe', {i}, 0)"),
            2 => format!("| where AccountName !startswith 'svc_{i}' and isnotempty(DeviceName)"),
            _ => format!("| extend Tag{i} = strcat(DeviceName, ':', tostring(ProcessId))"),
        });
    }
    lines.push(
        "| summarize Count = count(), Devices = dcount(DeviceId) by FileName, AccountName".into(),
    );
    lines.push("| top 100 by Count desc".into());
    lines.push("| where Count > 5 and tolower(FileName) has 'a' and isnotempty(Acc".into());
    lines.truncate(200);
    lines.join("\n")
}

fn schema() -> Vec<SchemaTable> {
    // `{"tables": {Table: {Column: type, …}, …}}`, as the engine reads it.
    let text = include_str!("../src/engine/advanced-hunting-schema.json");
    let value: serde_json::Value = serde_json::from_str(text).expect("the shipped schema");
    let tables = value["tables"].as_object().expect("a 'tables' object");
    tables
        .iter()
        .map(|(name, columns)| SchemaTable {
            name: name.clone(),
            columns: columns
                .as_object()
                .map(|columns| {
                    columns
                        .iter()
                        .map(|(c, t)| (c.clone(), t.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(51);
    let text = query();
    let tables = schema();
    assert!(
        tables.len() >= 60,
        "the advanced hunting schema: {} tables",
        tables.len()
    );
    let lines: Vec<&str> = text.lines().collect();
    println!(
        "query: {} lines, {} bytes; schema: {} tables; {runs} runs each (median)",
        lines.len(),
        text.len(),
        tables.len()
    );

    let schema = Schema::new(&tables);
    let found = candidates(&text, text.len(), &schema, &[]);
    assert!(
        found.iter().any(|c| c.text == "AccountName"),
        "completion at the end offers the columns in scope"
    );
    let t = median(runs, || {
        std::hint::black_box(candidates(&text, text.len(), &schema, &[]));
    });
    println!(
        "completion at the end of the query:     {:>9.3} ms (target <= 5 ms)",
        ms(t)
    );

    let help = hunt::kql::signature::signature_help(&text, text.len()).expect("inside isnotempty(");
    assert!(help.text.starts_with("isnotempty("), "{}", help.text);
    let t = median(runs, || {
        std::hint::black_box(hunt::kql::signature::signature_help(&text, text.len()));
    });
    println!("signature help in the last call:        {:>9.3} ms", ms(t));

    let found = hunt::worker::live_diagnostics(&text, &schema);
    assert_eq!(
        found.len(),
        1,
        "only the unclosed call at the end: {found:?}"
    );
    let t = median(runs, || {
        std::hint::black_box(hunt::worker::live_diagnostics(&text, &schema));
    });
    println!("live check of the block (worker):       {:>9.3} ms", ms(t));
    let fixed = format!("{text}ountName)");
    let clean = hunt::worker::live_diagnostics(&fixed, &schema);
    assert!(clean.is_empty(), "{clean:?}");
    let t = median(runs, || {
        std::hint::black_box(hunt::worker::live_diagnostics(&fixed, &schema));
    });
    println!("live check incl. analysis (worker):     {:>9.3} ms", ms(t));

    let owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let t = median(runs, || {
        std::hint::black_box(owned.join("\n"));
    });
    println!("UI thread per keystroke (block join):   {:>9.3} ms", ms(t));

    let formatted = hunt::kql::format::format(&fixed).expect("formats");
    assert!(formatted.lines().count() >= 190);
    let t = median(runs, || {
        std::hint::black_box(hunt::kql::format::format(&fixed).ok());
    });
    println!("format the block (Alt+Shift+F):         {:>9.3} ms", ms(t));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
