//! Parse throughput of the lossless syntax tree parser (a plain harness: it prints medians;
//! `cargo bench --bench parse`, optionally `-- ROUNDS` (default 20)).
//!
//! What it measures: every query of the two corpora in shared/corpus (Defender hunting queries and
//! the KQL documentation's examples) parsed one after the other by `hunt::kql::syntax::parse`,
//! as MB/s (MB = 10^6 bytes of query text) and queries/s, the median of ROUNDS rounds after a
//! warm-up round; the same for `hunt::kql::parse` (the tree plus its typed view for the engine,
//! `kql::lower`: what running a query costs before planning); and one
//! synthetic 200-line hunting query parsed on its own, in microseconds. One thread, so the
//! figures are per core. Before timing, every tree is checked to hold its query's text exactly.

use std::time::{Duration, Instant};

use hunt::kql;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The `query` of every line of a JSONL corpus file; a missing or empty file stops the bench.
fn corpus(file: &str) -> Vec<String> {
    let path = format!("{}/../shared/corpus/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the corpus is missing at {path}: {e}"));
    let queries: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let record: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
            record["query"]
                .as_str()
                .unwrap_or_else(|| panic!("{path}: a line without `query`"))
                .to_string()
        })
        .collect();
    assert!(!queries.is_empty(), "{path} holds no queries");
    queries
}

/// Times `run` over all queries: one warm-up round, then `rounds` rounds; the median.
fn time_rounds(rounds: usize, mut run: impl FnMut()) -> Duration {
    run();
    median(
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                run();
                started.elapsed()
            })
            .collect(),
    )
}

/// A typical hunting query grown to 200 lines with `| where` filters.
fn long_query() -> String {
    let mut query = String::from(
        "let lookback = 7d;\n\
         let suspicious = dynamic(['powershell.exe', 'cmd.exe', 'rundll32.exe']);\n\
         DeviceProcessEvents\n\
         | where Timestamp > ago(lookback)\n",
    );
    let mut line = 4;
    while line < 196 {
        query.push_str(&format!(
            "| where FileName in~ (suspicious) and ProcessCommandLine has 'arg{line}' or InitiatingProcessId != {line}\n"
        ));
        line += 1;
    }
    query.push_str(
        "| extend Host = tostring(split(DeviceName, '.')[0])\n\
         | summarize Count = count(), First = min(Timestamp) by Host, AccountName\n\
         | where Count > 5\n\
         | sort by Count desc",
    );
    assert_eq!(query.lines().count(), 200);
    query
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let mut queries = corpus("defender-hunting-queries.jsonl");
    queries.extend(corpus("kql-doc-examples.jsonl"));
    let bytes: usize = queries.iter().map(String::len).sum();
    for query in &queries {
        let parse = kql::syntax::parse(query);
        assert_eq!(
            parse.syntax().text().to_string(),
            *query,
            "a tree lost text"
        );
    }
    println!(
        "corpus: {} queries, {:.3} MB; median of {rounds} rounds after a warm-up",
        queries.len(),
        bytes as f64 / 1e6
    );
    println!(
        "{:<34} {:>10} {:>10} {:>12}",
        "parser", "ms/round", "MB/s", "queries/s"
    );
    let report = |name: &str, elapsed: Duration| {
        let seconds = elapsed.as_secs_f64();
        println!(
            "{name:<34} {:>10.2} {:>10.1} {:>12.0}",
            seconds * 1000.0,
            bytes as f64 / 1e6 / seconds,
            queries.len() as f64 / seconds
        );
    };
    let syntax = time_rounds(rounds, || {
        for query in &queries {
            std::hint::black_box(kql::syntax::parse(std::hint::black_box(query)));
        }
    });
    report("kql::syntax::parse (lossless)", syntax);
    let old = time_rounds(rounds, || {
        for query in &queries {
            std::hint::black_box(kql::parse(std::hint::black_box(query)));
        }
    });
    report("kql::parse (tree + typed view)", old);

    let long = long_query();
    let parse = kql::syntax::parse(&long);
    assert_eq!(parse.syntax().text().to_string(), long);
    assert!(parse.errors.is_empty(), "{:?}", &parse.errors[..1]);
    let runs = 200;
    let single = median(
        (0..runs)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(kql::syntax::parse(std::hint::black_box(&long)));
                started.elapsed()
            })
            .collect(),
    );
    println!(
        "one 200-line query ({} bytes): {:.1} µs (median of {runs}), {:.1} MB/s",
        long.len(),
        single.as_secs_f64() * 1e6,
        long.len() as f64 / 1e6 / single.as_secs_f64()
    );
}
