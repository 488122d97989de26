//! Start-up and query latency of the local engine over the lab data (a plain harness: it prints
//! medians; `cargo bench --bench startup`, optionally `-- SCALE`).
//!
//! What it measures: generating the lab data set and building the engine (what `hunt` does before
//! the console can run a query), and warm runs of Microsoft's example query, a summarize, `has`,
//! and queries with 10,000 IOC terms (an `or` chain, an `and` chain, `has_any`), parse to result.

use std::time::{Duration, Instant};

use hunt::backend::QueryRequest;
use hunt::engine::{LabOptions, LocalEngine};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let scale: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1);
    let options = LabOptions {
        scale,
        seed: 0x4855_4E54,
        end_nanos: 1_768_478_400_000_000_000,
    };
    let mut builds = Vec::new();
    let mut engine = None;
    for _ in 0..7 {
        let started = Instant::now();
        engine = Some(LocalEngine::lab(&options).expect("the lab builds"));
        builds.push(started.elapsed());
    }
    let engine = engine.expect("built at least once");
    let rows: usize = hunt::engine::lab::generate(&options)
        .expect("the lab builds")
        .iter()
        .map(|(_, _, b)| b.num_rows())
        .sum();
    println!(
        "lab scale {scale}: {rows} rows in 62 tables; generate + engine: median {} (7 runs)",
        ms(median(builds))
    );
    let runtime = hunt::cli::runtime().expect("runtime");
    let iocs = |op: &str, join: &str| {
        (0..10_000)
            .map(|i| format!("FileName {op} \"ioc-{i}.exe\""))
            .collect::<Vec<_>>()
            .join(join)
    };
    let or_chain = format!("DeviceProcessEvents | where {} | count", iocs("==", " or "));
    let and_chain = format!(
        "DeviceProcessEvents | where {} | count",
        iocs("!=", " and ")
    );
    let terms: Vec<String> = (0..10_000).map(|i| format!("'t{i}'")).collect();
    let has_any = format!(
        "DeviceProcessEvents | where ProcessCommandLine has_any ({}) | count",
        terms.join(", ")
    );
    for (name, query) in [
        (
            "example",
            "DeviceProcessEvents | where InitiatingProcessFileName =~ \"powershell.exe\" | project Timestamp, FileName, InitiatingProcessFileName | order by Timestamp desc | limit 2",
        ),
        (
            "summarize",
            "DeviceProcessEvents | summarize count(), dcount(AccountName) by DeviceName, bin(Timestamp, 1h)",
        ),
        (
            "has",
            "DeviceProcessEvents | where ProcessCommandLine has \"DownloadString\" | count",
        ),
        ("or_10k", or_chain.as_str()),
        ("and_10k", and_chain.as_str()),
        ("has_any_10k", has_any.as_str()),
    ] {
        let request = QueryRequest::new(query);
        runtime
            .block_on(engine.execute(&request))
            .expect("the query runs");
        let samples: Vec<Duration> = (0..20)
            .map(|_| {
                let started = Instant::now();
                runtime
                    .block_on(engine.execute(&request))
                    .expect("the query runs");
                started.elapsed()
            })
            .collect();
        println!(
            "query {name}: median {} (20 warm runs)",
            ms(median(samples))
        );
    }
}
