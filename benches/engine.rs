//! Warm in-process timings of KQL queries over the user's files, for `benches/speed.py`:
//!
//! ```sh
//! cargo bench --bench engine -- --data DIR --queries ../shared/bench [--repeat 5] [--only a,b] [--plan]
//! ```
//!
//! Opens DIR as `hunt run --data DIR` does (`LocalEngine::files`, the engine's default memory
//! limit; a row limit of 10⁹, as speed.py gives `hunt run`), then for each `q_X.kql` in the
//! queries folder runs the query once to warm up (the operating system's file cache,
//! DataFusion's metadata caches) and `--repeat` more times, each a whole `LocalEngine::execute`
//! to the finished result (parse, plan, scan, collect), as the console runs a query. One JSON
//! object a line on stdout: `{"query": "a", "runs_ms": [..], "median_ms": 12.3, "rows": 100}`,
//! or `{"query": "a", "error": "…"}` when the query fails. A bad argument or folder exits 2.

use std::path::PathBuf;
use std::time::Instant;

use hunt::backend::QueryRequest;
use hunt::engine::LocalEngine;
use hunt::engine::files::DataOptions;

struct Args {
    data: PathBuf,
    queries: PathBuf,
    repeat: usize,
    only: Option<Vec<String>>,
    /// Print each query's physical plan (as `LocalEngine::physical_plan_text` gives it) instead.
    plan: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut data = None;
    let mut queries = None;
    let mut repeat = 5;
    let mut only = None;
    let mut plan = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--data" => data = Some(PathBuf::from(value("--data")?)),
            "--queries" => queries = Some(PathBuf::from(value("--queries")?)),
            "--repeat" => {
                repeat = value("--repeat")?
                    .parse()
                    .map_err(|_| "--repeat takes a number".to_string())?;
            }
            "--only" => {
                only = Some(
                    value("--only")?
                        .split(',')
                        .map(|q| q.trim().to_string())
                        .collect(),
                );
            }
            "--plan" => plan = true,
            // `cargo bench` passes --bench to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Args {
        data: data.ok_or("--data DIR is required")?,
        queries: queries.ok_or("--queries DIR is required")?,
        repeat: repeat.max(1),
        only,
        plan,
    })
}

/// The queries of the folder: (id, text) of each `q_ID.kql`, by id.
fn queries(args: &Args) -> Result<Vec<(String, String)>, String> {
    let folder =
        std::fs::read_dir(&args.queries).map_err(|e| format!("{}: {e}", args.queries.display()))?;
    let mut found = Vec::new();
    for entry in folder.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name
            .strip_prefix("q_")
            .and_then(|rest| rest.strip_suffix(".kql"))
        else {
            continue;
        };
        if args
            .only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|q| q == id))
        {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        found.push((id.to_string(), text));
    }
    found.sort();
    Ok(found)
}

fn median(runs: &[f64]) -> f64 {
    let mut sorted = runs.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn main() {
    let outcome = (|| -> Result<(), String> {
        let args = parse_args()?;
        let queries = queries(&args)?;
        let (engine, _notes) =
            LocalEngine::files(std::slice::from_ref(&args.data), &DataOptions::default())?;
        // Every row, as `hunt run --row-limit 1000000000` (speed.py's) gives: a cut result would
        // time less work.
        let engine = engine.with_row_limit(1_000_000_000);
        let runtime = hunt::cli::runtime().map_err(|e| e.to_string())?;
        for (id, text) in queries {
            let request = QueryRequest::new(text);
            if args.plan {
                let plan = runtime.block_on(engine.physical_plan_text(&request));
                println!("== q_{id}\n{}", plan.map_err(|e| e.to_string())?);
                continue;
            }
            let mut runs = Vec::with_capacity(args.repeat);
            let mut rows = 0;
            let mut failed = None;
            for run in 0..=args.repeat {
                let started = Instant::now();
                match runtime.block_on(engine.execute(&request)) {
                    Ok(result) => {
                        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                        rows = result.row_count();
                        // The first run warms up and is not counted.
                        if run > 0 {
                            runs.push(elapsed);
                        }
                    }
                    Err(e) => {
                        failed = Some(e.to_string());
                        break;
                    }
                }
            }
            let line = match failed {
                Some(error) => serde_json::json!({"query": id, "error": error}),
                None => serde_json::json!({
                    "query": id,
                    "runs_ms": runs,
                    "median_ms": median(&runs),
                    "rows": rows,
                }),
            };
            println!("{line}");
        }
        Ok(())
    })();
    if let Err(message) = outcome {
        eprintln!("engine bench: {message}");
        std::process::exit(2);
    }
}
