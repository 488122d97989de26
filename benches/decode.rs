//! Throughput and peak memory of the Graph response decoder (a plain harness:
//! `cargo bench --bench decode`, optionally `-- RUNS` (default 5), and `-- RUNS decode-only` to
//! time only `decode_results`, e.g. under a profiler).
//!
//! What it measures: a deterministic `runHuntingQuery` body of 100,000 rows × 20 columns (about
//! 110 MB: strings of hunting content with escapes and non-ASCII text, 7-digit datetimes, Int64
//! values beyond 2^53 and i64::MIN, Int32, Boolean, Double, Guid, Object columns holding objects
//! and lists, one Object column holding JSON in a string, some nulls and missing keys) is decoded
//! (a) by `hunt::graph::decode::decode_results` into one Arrow batch, (b) by
//! `serde_json::from_slice::<serde_json::Value>` over the same bytes, and, as the floor of any
//! serde_json-based decoder, (c) by `serde_json::from_slice::<IgnoredAny>` (parse and skip). For
//! each it prints the median wall time of RUNS runs, MB/s (MB = 10^6 bytes of body), the peak heap
//! seen by a counting global allocator above the baseline (which already holds the body) and in
//! total, both also relative to the body size, and the heap the result still holds afterwards.
//! A growing `realloc` is counted as if the old and the new block were live at once (the worst
//! case, when it moves), for every decoder. Dropping a result is not timed. Before timing, the
//! decoded result is checked (rows, columns, types, a few cells, no warnings), so a broken
//! decoder fails loudly.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hunt::graph::decode::decode_results;

#[path = "common/response.rs"]
mod response;
#[path = "common/rng.rs"]
mod rng;
use hunt::kql::time;
use hunt::results::KqlType;
use response::*;

/// `System`, counting the bytes in use and the peak since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn raise_peak(candidate: usize) {
    PEAK.fetch_max(candidate, Ordering::Relaxed);
}

// SAFETY: every call is passed to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            raise_peak(CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            raise_peak(CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            let old = layout.size();
            if new_size > old {
                // Old and new block both live while a moving realloc copies.
                let before = CURRENT.fetch_add(new_size - old, Ordering::Relaxed);
                raise_peak(before + new_size);
            } else {
                CURRENT.fetch_sub(old - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fails loudly when the decoder is wrong.
fn check(body: &[u8]) {
    let result = decode_results(body, "bench").expect("the body decodes");
    assert_eq!(result.row_count(), ROWS, "rows");
    let names: Vec<String> = COLUMNS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(result.column_names(), names, "columns in schema order");
    let types = [
        KqlType::DateTime,
        KqlType::String,
        KqlType::String,
        KqlType::String,
        KqlType::String,
        KqlType::String,
        KqlType::String,
        KqlType::String,
        KqlType::String,
        KqlType::Long,
        KqlType::Long,
        KqlType::Int,
        KqlType::Bool,
        KqlType::Real,
        KqlType::Guid,
        KqlType::DateTime,
        KqlType::DateTime,
        KqlType::Dynamic,
        KqlType::Dynamic,
        KqlType::Dynamic,
    ];
    assert_eq!(result.column_types(), &types, "column types");
    assert!(
        result.facts.warnings.is_empty(),
        "{:?}",
        result.facts.warnings
    );
    assert!(result.facts.truncated, "100,000 rows is Graph's cap");
    for row in [0, 3, 7, 97, 99_999] {
        assert_eq!(
            result.cell_text(row, 0),
            Some(time::format_datetime(timestamp_ticks(row))),
            "Timestamp of row {row}"
        );
        assert_eq!(
            result.cell_text(row, 9),
            Some(process_id(row).to_string()),
            "ProcessId of row {row}"
        );
    }
    assert_eq!(result.cell_text(97, 2), None, "DeviceName null on row 97");
    assert_eq!(
        result.cell_text(50, 13),
        None,
        "RiskScore missing on row 50"
    );
    assert_eq!(
        result.cell_text(11, 19),
        None,
        "RawEventData null on row 11"
    );
    let raw = result.cell_text(1, 19).expect("RawEventData on row 1");
    assert!(
        raw.starts_with("{\"EventId\":4688,\"Channel\":\"Security\""),
        "JSON held in a string is stored as the JSON: {raw}"
    );
    assert_eq!(
        result.cell_text(3, 18).as_deref(),
        Some("[\"T1059.001\",\"T1105\",\"Lateral\"]")
    );
}

struct Sample {
    time: Duration,
    /// Heap the decoded value holds once the decode is done.
    held: usize,
    /// Peak above the heap in use when the decode started (the body included there).
    above: usize,
    /// Peak heap in total.
    total: usize,
}

/// Runs `decode` `runs` times; the result is dropped outside the timing.
fn measure<T>(runs: usize, mut decode: impl FnMut() -> T) -> Vec<Sample> {
    (0..runs)
        .map(|_| {
            let baseline = CURRENT.load(Ordering::Relaxed);
            PEAK.store(baseline, Ordering::Relaxed);
            let started = Instant::now();
            let value = decode();
            let time = started.elapsed();
            let total = PEAK.load(Ordering::Relaxed);
            let held = CURRENT.load(Ordering::Relaxed).saturating_sub(baseline);
            drop(value);
            Sample {
                time,
                held,
                above: total - baseline,
                total,
            }
        })
        .collect()
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let body = generate();
    let size = body.len();
    check(&body);

    let decoded = measure(runs, || decode_results(&body, "bench").expect("decodes"));
    if std::env::args().any(|a| a == "decode-only") {
        let time = median(decoded.iter().map(|s| s.time).collect());
        println!(
            "decode_results: median {:.1} ms",
            time.as_secs_f64() * 1000.0
        );
        return;
    }
    let values = measure(runs, || {
        serde_json::from_slice::<serde_json::Value>(&body).expect("parses")
    });
    // The floor for any serde_json-based decoder: validating and skipping, no output.
    let skipped = measure(runs, || {
        serde_json::from_slice::<serde::de::IgnoredAny>(&body).expect("parses")
    });

    let mb = size as f64 / 1e6;
    println!(
        "body: {size} bytes ({mb:.1} MB), {ROWS} rows × {} columns; median of {runs} runs",
        COLUMNS.len()
    );
    println!(
        "{:<38} {:>9} {:>7} {:>13} {:>7} {:>13} {:>7} {:>12}",
        "decoder", "median", "MB/s", "peak above", "× body", "peak total", "× body", "result held"
    );
    let mut speeds = Vec::new();
    for (name, samples) in [
        ("decode_results (Arrow)", decoded),
        ("serde_json::from_slice::<Value>", values),
        ("serde_json::from_slice::<IgnoredAny>", skipped),
    ] {
        let time = median(samples.iter().map(|s| s.time).collect());
        let above = median(samples.iter().map(|s| s.above).collect());
        let total = median(samples.iter().map(|s| s.total).collect());
        let held = median(samples.iter().map(|s| s.held).collect());
        let speed = mb / time.as_secs_f64();
        speeds.push(speed);
        println!(
            "{:<38} {:>6.1} ms {:>7.0} {:>10.1} MB {:>6.2}× {:>10.1} MB {:>6.2}× {:>9.1} MB",
            name,
            time.as_secs_f64() * 1000.0,
            speed,
            above as f64 / 1e6,
            above as f64 / size as f64,
            total as f64 / 1e6,
            total as f64 / size as f64,
            held as f64 / 1e6
        );
    }
    println!(
        "throughput ratio decode_results / Value: {:.2}×",
        speeds[0] / speeds[1]
    );
}
