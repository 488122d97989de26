//! The console in a real terminal: the built binary inside a detached tmux session of a fixed
//! size, driven with `tmux send-keys` and read with `tmux capture-pane`, and (for the bytes it
//! writes) under util-linux `script`, which logs every byte the console sends to its terminal.
//!
//! These tests need `tmux` and `script`; `.ci/run` installs them. Without them the tests fail
//! (they never pass by skipping).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use unicode_width::UnicodeWidthStr;

/// How long any one thing may take to appear on screen (a debug build on a busy machine).
const TIMEOUT: Duration = Duration::from_secs(60);
const WIDTH: usize = 200;
const HEIGHT: usize = 50;

/// Fails loudly when a tool the tests drive the terminal with is missing.
fn require(tool: &str, version_arg: &str) {
    let found = Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is needed for the real-terminal tests and was not found on PATH \
         (.ci/run installs it: apt-get install tmux bsdutils)"
    );
}

/// A tmux server of its own (a unique socket), killed when dropped, whatever the test did.
struct Tmux {
    socket: String,
    /// The server's socket file, removed with the server.
    socket_path: Option<PathBuf>,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts a detached session of `WIDTH`×`HEIGHT` running `command` (a shell command line),
    /// with remain-on-exit (so the dead pane can be examined).
    fn start(command: &str) -> Tmux {
        Tmux::start_sized(command, WIDTH, HEIGHT)
    }

    fn start_sized(command: &str, width: usize, height: usize) -> Tmux {
        require("tmux", "-V");
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "hunt-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut tmux = Tmux {
            socket,
            socket_path: None,
            dir,
        };
        let config = tmux.dir.path().join("tmux.conf");
        // set-clipboard on: tmux takes an OSC 52 from the application into a paste buffer, so
        // the test can read what a copy put on "the clipboard".
        std::fs::write(
            &config,
            "set -s set-clipboard on\nset -s escape-time 0\nset -g remain-on-exit on\n\
             set -g history-limit 0\nset -g status off\n",
        )
        .unwrap();
        let output = tmux.command(&[
            "-f",
            config.to_str().unwrap(),
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "-s",
            "hunt",
            command,
        ]);
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let path = tmux.format("#{socket_path}");
        tmux.socket_path = (!path.is_empty()).then(|| PathBuf::from(path));
        tmux
    }

    /// Runs `tmux -L <socket> args…` (outside any tmux the test itself may run in).
    fn command(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    }

    /// Sends key names (`F5`, `M-3`, `C-s`, `Escape`, single characters).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "hunt"];
        args.extend_from_slice(keys);
        let output = self.command(&args);
        assert!(output.status.success(), "send-keys {keys:?} failed");
    }

    /// Writes raw bytes into the pane in one write (`send-keys -H`).
    fn bytes(&self, bytes: &[u8]) {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut args = vec!["send-keys", "-t", "hunt", "-H"];
        args.extend(hex.iter().map(String::as_str));
        let output = self.command(&args);
        assert!(output.status.success(), "send-keys -H {hex:?} failed");
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        let output = self.command(&["send-keys", "-t", "hunt", "-l", text]);
        assert!(output.status.success(), "send-keys -l {text:?} failed");
    }

    /// Pastes `text` as a terminal paste (bracketed, as the console asked for).
    fn paste(&self, text: &str) {
        let output = self.command(&["set-buffer", "-b", "paste", text]);
        assert!(output.status.success());
        let output = self.command(&["paste-buffer", "-p", "-d", "-b", "paste", "-t", "hunt"]);
        assert!(output.status.success());
    }

    /// The screen as text, one line per terminal row.
    fn screen(&self) -> String {
        let output = self.command(&["capture-pane", "-p", "-t", "hunt"]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A tmux format value of the pane (`#{pane_dead}`, `#{alternate_on}` …).
    fn format(&self, format: &str) -> String {
        let output = self.command(&["display-message", "-p", "-t", "hunt", format]);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Polls the screen until `ready` says yes; fails with `what` and the last screen.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if started.elapsed() > TIMEOUT {
                panic!(
                    "timed out after {TIMEOUT:?} waiting for {what}; the screen:\n{screen}\n\
                     (pane dead: {})",
                    self.format("#{pane_dead}")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `text` is on screen.
    fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("{text:?} on screen"), |s| s.contains(text))
    }

    /// Waits until the pane's process has exited.
    fn wait_dead(&self) {
        let started = Instant::now();
        while self.format("#{pane_dead}") != "1" {
            assert!(
                started.elapsed() < TIMEOUT,
                "the console did not exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `text` quoted for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn hunt_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hunt")
}

/// The part of a screen line from display column `from` up to `to`.
fn columns(line: &str, from: usize, to: usize) -> String {
    let mut out = String::new();
    let mut x = 0;
    for ch in line.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if x >= from && x < to {
            out.push(ch);
        }
        x += w;
    }
    out
}

/// The display column where `needle` starts in `line`.
fn display_x(line: &str, needle: &str) -> Option<usize> {
    line.find(needle).map(|at| line[..at].width())
}

/// The text of the sidebar (the screen's first 30 columns).
fn sidebar(screen: &str) -> String {
    screen
        .lines()
        .map(|l| columns(l, 0, 30))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A day's hunting in a real terminal: open the lab, run the starter query, sort, search,
/// filter from a cell, inspect, frequencies, save, rerun from History, a chart and its table,
/// and quit with the terminal as it was.
#[test]
fn terminal_a_day_of_hunting_in_tmux() {
    let home = tempfile::tempdir().unwrap();
    let probe = tempfile::tempdir().unwrap();
    let at = |name: &str| quote(probe.path().join(name).to_str().unwrap());
    // The shell around the console records the terminal modes before and after it and its
    // exit status, then waits for a line (so the pane's modes can be read before it closes).
    let command = format!(
        "stty -g > {before}; env HUNT_HOME={home} TERM=xterm-256color {bin}; echo $? > {status}.tmp; \
         stty -g > {after}; mv {status}.tmp {status}; read line",
        before = at("stty-before"),
        after = at("stty-after"),
        status = at("status"),
        home = quote(home.path().to_str().unwrap()),
        bin = quote(hunt_bin()),
    );
    let tmux = Tmux::start(&command);

    // Open: the console draws at once; the lab is ready when the status line says so.
    let screen = tmux.wait_for("the lab to be ready", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("· ready"))
    });
    assert!(screen.contains("DeviceProcessEvents"), "{screen}");
    assert!(
        screen.contains("F5 runs the query under the cursor"),
        "{screen}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "1");

    // Run the starter query.
    tmux.keys(&["F5"]);
    let screen = tmux.wait_text("Results · 2 rows");
    assert!(screen.contains("Timestamp (UTC)"), "{screen}");
    assert_eq!(screen.matches("powershell.exe").count(), 3, "{screen}");

    // Focus the results (Alt+3) and sort by the first column.
    tmux.keys(&["M-3", "s"]);
    let screen = tmux.wait_text("· ▲ Timestamp ");
    assert!(screen.contains("Timestamp (UTC) ▲"), "{screen}");
    let times: Vec<String> = screen
        .lines()
        .filter(|l| l.contains("powershell.exe") && l.contains("Z "))
        .map(|l| {
            l.split("││")
                .nth(1)
                .unwrap_or("")
                .chars()
                .take(28)
                .collect()
        })
        .collect();
    assert_eq!(times.len(), 2, "{screen}");
    assert!(times[0] < times[1], "sorted ascending: {times:?}\n{screen}");

    // Search: typing finds the cells and moves to the first match; Enter keeps it, n goes to
    // the next (and round to the first).
    tmux.keys(&["/"]);
    tmux.type_text("powershell");
    tmux.wait_text("/powershell  match 1/2 · n/N");
    tmux.keys(&["Enter"]);
    tmux.wait_text("/powershell  match 1/2 · n/N");
    tmux.keys(&["n"]);
    tmux.wait_text("/powershell  match 2/2 · n/N");
    tmux.keys(&["n"]);
    tmux.wait_text("/powershell  match 1/2 · n/N");

    // A filter from the cell under the cursor: the editor gains a `| where` line.
    tmux.keys(&["="]);
    let screen = tmux.wait_text("added `| where ");
    let editor_where: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("││| where ") && l.contains("=="))
        .collect();
    assert_eq!(editor_where.len(), 1, "{screen}");

    // Inspect the record, then close it.
    tmux.keys(&["Enter"]);
    tmux.wait_text("Esc closes");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the inspector to close", |s| !s.contains("Esc closes"));

    // Value frequencies of the column, then close them.
    tmux.keys(&["f"]);
    tmux.wait_text("1 distinct");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the frequencies to close", |s| !s.contains("1 distinct"));

    // Run the filtered query (a second History entry).
    tmux.keys(&["F5"]);
    tmux.wait_for("the filtered run in History", |s| {
        sidebar(s).matches("✓2 ").count() == 2
    });

    // Save: Ctrl+S asks for a name; Enter saves it under My queries.
    tmux.keys(&["C-s"]);
    tmux.wait_text(" Save query ");
    tmux.type_text("My day hunt");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the saved query in the sidebar", |s| {
        !s.contains(" Save query ") && sidebar(s).contains("My day hunt")
    });
    assert!(sidebar(&screen).contains("▾ My queries"), "{screen}");
    let saved = home.path().join("data/queries/My day hunt.kql");
    let started = Instant::now();
    while !saved.exists() && started.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&saved).expect("the saved query's file");
    assert!(text.contains("| where InitiatingProcessFileName == \"powershell.exe\""));

    // Rerun from History: the sidebar (Alt+1), its last row (the oldest run: the starter
    // query), r loads and runs it.
    tmux.keys(&["M-1", "G", "r"]);
    let screen = tmux.wait_for("a third History entry", |s| {
        sidebar(s).matches("✓2 ").count() == 3
    });
    assert!(
        !screen.contains("| where InitiatingProcessFileName == "),
        "the starter query is back in the editor:\n{screen}"
    );
    assert!(screen.contains("Results · 2 rows"), "{screen}");

    // A chart: the editor (Alt+2), everything selected and deleted, a query pasted (bracketed
    // paste), F5.
    tmux.keys(&["M-2", "C-a", "BSpace"]);
    tmux.wait_for("an empty editor", |s| {
        !s.contains("InitiatingProcessFileName =~")
    });
    tmux.paste("DeviceProcessEvents | summarize count() by bin(Timestamp, 1d) | render timechart");
    tmux.wait_text("││DeviceProcessEvents | summarize count() by bin(Timestamp, 1d) | render");
    tmux.keys(&["F5"]);
    let screen = tmux.wait_text("Chart · v table");
    assert!(
        screen.contains("timechart · count_ by Timestamp"),
        "{screen}"
    );
    tmux.keys(&["M-3", "v"]);
    let screen = tmux.wait_for("the table", |s| {
        s.contains("│┌ Results · ") && !s.contains("Chart · v table")
    });
    assert!(screen.contains("Timestamp (UTC)"), "{screen}");
    assert!(screen.contains("count_"), "{screen}");

    // Quit: the process ends with 0 and the terminal is as it was.
    tmux.keys(&["C-q"]);
    let status = probe.path().join("status");
    let started = Instant::now();
    while !status.exists() {
        assert!(
            started.elapsed() < TIMEOUT,
            "the console did not exit after Ctrl+Q; the screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
    assert_eq!(
        std::fs::read_to_string(probe.path().join("stty-before")).unwrap(),
        std::fs::read_to_string(probe.path().join("stty-after")).unwrap(),
        "the terminal modes are restored (raw mode off)"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(
        tmux.format("#{mouse_any_flag}#{mouse_button_flag}#{mouse_all_flag}#{mouse_sgr_flag}"),
        "0000",
        "mouse reporting is off"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "the cursor is shown");
    let screen = tmux.screen();
    assert!(
        !screen.contains("Queries") && !screen.contains("Results"),
        "the console's screen is gone:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_dead();
    // The editor text is kept as the draft.
    let draft = std::fs::read_to_string(home.path().join("data/draft.kql")).unwrap();
    assert!(draft.contains("render timechart"), "{draft}");
}

/// The raw value of the hostile cells, by device (`case()` in the query builds them).
const OSC_CELL: &str = "o\x1b]52;c;ZXZpbA==\x07t\x1b]0;pwned\x07c\x1b[2J";
const CONTROL_CELL: &str = "c0\x01\x08\x7f c1\u{9b}31m\u{85} n\nl t\tb";
const HIDDEN_CELL: &str = "b\u{202e}evil\u{2066}x z\u{200b}\u{feff} t\u{e0041}g";
const WIDE_CELL: &str = "日本語 e\u{301} ok";

/// A KQL string literal holding `raw` (newline and tab escaped; everything else raw).
fn literal(raw: &str) -> String {
    format!("\"{}\"", raw.replace('\n', "\\n").replace('\t', "\\t"))
}

/// Bytes that must never reach the terminal from a result or a query.
fn raw_hostile_bytes() -> Vec<(&'static str, Vec<u8>)> {
    let mut list: Vec<(&'static str, Vec<u8>)> = vec![
        ("OSC (ESC ])", b"\x1b]".to_vec()),
        ("DCS (ESC P)", b"\x1bP".to_vec()),
        ("BEL", b"\x07".to_vec()),
        ("SOH", b"\x01".to_vec()),
        ("BS", b"\x08".to_vec()),
        ("TAB", b"\t".to_vec()),
        ("DEL", b"\x7f".to_vec()),
        ("the hostile clear screen", b"c\x1b[2J".to_vec()),
    ];
    for (name, ch) in [
        ("U+202E", '\u{202e}'),
        ("U+2066", '\u{2066}'),
        ("U+200B", '\u{200b}'),
        ("U+FEFF", '\u{feff}'),
        ("U+E0041", '\u{e0041}'),
    ] {
        list.push((name, ch.to_string().into_bytes()));
    }
    // Every C1 control (U+0080–U+009F) in UTF-8: C2 80 … C2 9F.
    for byte in 0x80..=0x9f_u8 {
        list.push(("a C1 control", vec![0xc2, byte]));
    }
    list
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Asserts none of the raw hostile bytes is in `bytes` (the console's output, `when`).
fn assert_clean(bytes: &[u8], when: &str) {
    for (name, needle) in raw_hostile_bytes() {
        if let Some(at) = find(bytes, &needle) {
            let from = at.saturating_sub(80);
            let to = (at + 80).min(bytes.len());
            panic!(
                "{name} ({needle:02x?}) reached the terminal {when}, at byte {at}: {:?}",
                String::from_utf8_lossy(&bytes[from..to])
            );
        }
    }
}

fn read_log(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_default();
    // util-linux `script` writes a header line ("Script started on …") before the session.
    match bytes.iter().position(|b| *b == b'\n') {
        Some(end) if bytes.starts_with(b"Script started") => bytes[end + 1..].to_vec(),
        _ => bytes,
    }
}

/// Hostile text in a query file and in result cells, in a real terminal: every byte the console
/// writes is logged by `script`; no raw control, escape, bidi, zero-width or tag character
/// gets through, the escaped forms do, the grid stays aligned, and `y` sends exactly one OSC 52
/// (plain and in tmux's passthrough) whose payload is the raw value.
#[test]
fn terminal_hostile_text_never_reaches_the_terminal() {
    require("script", "--version");
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    let file = work.path().join("hostile.kql");
    let log = work.path().join("typescript");
    // The query's own text is hostile too (a comment, and the line the grid's title and
    // History show).
    let query = format!(
        "// title \x1b]0;pwned\x07 \u{202e}evil \u{9b}2J\n\
         DeviceInfo // \x1b]52;c;ZXZpbA==\x07 \u{200b}\u{e0041}\n\
         | distinct DeviceName\n\
         | sort by DeviceName asc\n\
         | take 4\n\
         | extend Hostile = case(\n    \
             DeviceName == \"app01.kestrel.local\", {},\n    \
             DeviceName == \"dc01.kestrel.local\", {},\n    \
             DeviceName == \"dc02.kestrel.local\", {},\n    \
             {})\n\
         | extend After = \"AFTER\"\n",
        literal(OSC_CELL),
        literal(CONTROL_CELL),
        literal(HIDDEN_CELL),
        literal(WIDE_CELL),
    );
    std::fs::write(&file, &query).unwrap();
    let inner = format!(
        "env HUNT_HOME={} TERM=xterm-256color {} {}",
        quote(home.to_str().unwrap()),
        quote(hunt_bin()),
        quote(file.to_str().unwrap())
    );
    let command = format!(
        "script -q -f -c {} {}",
        quote(&inner),
        quote(log.to_str().unwrap())
    );
    let tmux = Tmux::start(&command);

    // The editor shows the query's hostile text escaped.
    let screen = tmux.wait_for("the lab to be ready", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("· ready"))
    });
    assert!(
        screen.contains("// title ␛]0;pwned␇ ⟨U+202E⟩evil \\x9b2J"),
        "{screen}"
    );
    assert!(
        screen.contains("DeviceInfo // ␛]52;c;ZXZpbA==␇ ⟨U+200B⟩⟨U+E0041⟩"),
        "{screen}"
    );

    tmux.keys(&["F5"]);
    let screen = tmux.wait_text("Results · 4 rows");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("kestrel.local") && l.contains("AFTER"))
        .collect();
    assert_eq!(rows.len(), 4, "{screen}");
    // The escaped forms, in the grid.
    for (row, shown) in rows.iter().zip([
        "app01.kestrel.local o␛]52;c;ZXZpbA==␇t␛]0;pwned␇c␛[2J ",
        "dc01.kestrel.local  c0␁␈␡ c1\\x9b31m\\x85 n↵l t→b ",
        "dc02.kestrel.local  ⚠ b⟨U+202E⟩evil⟨U+2066⟩x z⟨U+200B⟩⟨U+FEFF⟩ t⟨U+E0041⟩g AFTER",
        "fs01.kestrel.local  日本語 e",
    ]) {
        assert!(row.contains(shown), "{shown:?} is not on screen:\n{screen}");
    }
    // History lists the run by its first line, escaped.
    assert!(sidebar(&screen).contains("DeviceInfo // ␛]"), "{screen}");

    // Alignment: every row of the screen is exactly the terminal's width (no character took
    // more or fewer cells than the console counted), and the column after the hostile one starts
    // at the same x on every row.
    assert_rows_fit(&screen, WIDTH, "the hostile rows");
    let xs: Vec<Option<usize>> = rows.iter().map(|l| display_x(l, "AFTER")).collect();
    assert!(
        xs.iter().all(|x| *x == xs[0]),
        "After starts at {xs:?}:\n{screen}"
    );
    let header = screen
        .lines()
        .find(|l| l.contains("DeviceName") && l.contains("Hostile") && l.contains("After"))
        .unwrap();
    assert_eq!(display_x(header, "After"), xs[0], "{screen}");

    // The terminal saw none of it raw, and tmux took no title and no clipboard from it.
    let before = read_log(&log);
    assert!(!before.is_empty(), "script logged nothing");
    assert_clean(&before, "before y");
    let escape_picture = "␛".as_bytes();
    assert!(find(&before, escape_picture).is_some());
    assert!(find(&before, "⟨U+202E⟩".as_bytes()).is_some());
    assert!(!tmux.format("#{pane_title}").contains("pwned"));
    let buffers = tmux.command(&["list-buffers"]);
    assert!(
        String::from_utf8_lossy(&buffers.stdout).trim().is_empty(),
        "a clipboard buffer before any copy: {}",
        String::from_utf8_lossy(&buffers.stdout)
    );

    // The inspector on the hidden-characters row: both forms, flagged.
    tmux.keys(&["M-3", "j", "j", "Enter"]);
    let screen = tmux.wait_text("Record 3/4");
    assert!(
        screen.contains("⚠ hidden or direction-changing characters; escaped:"),
        "{screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("the inspector to close", |s| !s.contains("Record 3/4"));

    // y on the OSC cell (first row, second column): one OSC 52 with the raw value.
    tmux.keys(&["g", "l"]);
    let screen = tmux.wait_text("· Hostile: string");
    assert!(screen.contains("· 4 rows · row 1 ·"), "{screen}");
    assert_clean(&read_log(&log), "before y");
    tmux.keys(&["y"]);
    tmux.wait_text("copied the cell (");
    let encoded = base64::engine::general_purpose::STANDARD.encode(OSC_CELL);
    let plain = format!("\x1b]52;c;{encoded}\x07");
    let wrapped = format!("\x1bPtmux;\x1b{plain}\x1b\\");
    let started = Instant::now();
    let after = loop {
        let bytes = read_log(&log);
        if find(&bytes, wrapped.as_bytes()).is_some() {
            break bytes;
        }
        assert!(started.elapsed() < TIMEOUT, "no OSC 52 in the log after y");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(count(&after, b"\x1b]52;"), 2, "one plain and one wrapped");
    assert_eq!(count(&after, wrapped.as_bytes()), 1);
    let plain_at = find(&after, plain.as_bytes()).unwrap();
    assert_ne!(
        after[plain_at.saturating_sub(1)],
        0x1b,
        "the plain one stands alone"
    );
    // Every OSC 52 in the log carries the raw value.
    let mut at = 0;
    while let Some(start) = find(&after[at..], b"\x1b]52;c;") {
        let payload = &after[at + start + 7..];
        let end = payload.iter().position(|b| *b == 0x07).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&payload[..end])
            .unwrap();
        assert_eq!(decoded, OSC_CELL.as_bytes());
        at += start + 7 + end;
    }
    // Take the two copies out: nothing else hostile is left.
    let mut rest = after.clone();
    let wrapped_at = find(&rest, wrapped.as_bytes()).unwrap();
    rest.drain(wrapped_at..wrapped_at + wrapped.len());
    let plain_at = find(&rest, plain.as_bytes()).unwrap();
    rest.drain(plain_at..plain_at + plain.len());
    assert_clean(&rest, "after y (besides the copy)");
    // tmux decoded the copy into its clipboard buffer: the raw value, whole.
    let started = Instant::now();
    let clipboard = loop {
        let output = tmux.command(&["show-buffer"]);
        if output.status.success() {
            break output.stdout;
        }
        assert!(started.elapsed() < TIMEOUT, "tmux got no clipboard buffer");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(clipboard, OSC_CELL.as_bytes());
    assert!(!tmux.format("#{pane_title}").contains("pwned"));

    // Quit: the terminal is restored (the log ends with leaving the alternate screen).
    tmux.keys(&["C-q"]);
    tmux.wait_dead();
    let end = read_log(&log);
    let tail = &end[end.len().saturating_sub(400)..];
    for (what, sequence) in [
        ("bracketed paste off", &b"\x1b[?2004l"[..]),
        ("mouse capture off", b"\x1b[?1000l"),
        ("the main screen", b"\x1b[?1049l"),
        ("the cursor shown", b"\x1b[?25h"),
    ] {
        assert!(
            find(tail, sequence).is_some(),
            "{what}: {:?}",
            String::from_utf8_lossy(tail)
        );
    }
    assert_eq!(tmux.format("#{alternate_on}"), "0");
    let mut rest = end.clone();
    let wrapped_at = find(&rest, wrapped.as_bytes()).unwrap();
    rest.drain(wrapped_at..wrapped_at + wrapped.len());
    let plain_at = find(&rest, plain.as_bytes()).unwrap();
    rest.drain(plain_at..plain_at + plain.len());
    assert_clean(&rest, "by the end");
}

/// Every row of `screen` is exactly `width` cells wide (no character took more or fewer cells
/// in the terminal than the console counted) and, but for the status line, ends with a pane's
/// right border.
fn assert_rows_fit(screen: &str, width: usize, when: &str) {
    let lines: Vec<&str> = screen.lines().collect();
    for (number, line) in lines.iter().enumerate() {
        assert_eq!(
            line.width(),
            width,
            "{when}: row {number} is misaligned: {line:?}\n{screen}"
        );
        if number + 1 < lines.len() {
            assert!(
                line.ends_with(['│', '┐', '┘']),
                "{when}: row {number} lost its right border: {line:?}\n{screen}"
            );
        }
    }
}

/// At 80x24 (the smallest terminal the console is made for), wide characters cut at a
/// column's edge, hidden characters and control pictures keep every row at the terminal's
/// width, wherever the grid is scrolled and however wide the column is made.
#[test]
fn terminal_wide_and_hostile_cells_stay_aligned_at_80x24() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("wide.kql");
    // Odd offsets before runs of wide characters, so cuts fall in the middle of one.
    let wide = format!("a{}", "日本語".repeat(15));
    let mixed = format!("ab{}", "e\u{301}日\u{200b}\u{1b}[0m本".repeat(8));
    std::fs::write(
        &file,
        format!(
            "DeviceInfo\n| distinct DeviceName\n| sort by DeviceName asc\n| take 6\n\
             | extend Wide = {}, Mixed = {}, Tag = \"x\u{e0041}y\", After = \"AFTER\"\n",
            literal(&wide),
            literal(&mixed)
        ),
    )
    .unwrap();
    let command = format!(
        "env HUNT_HOME={} TERM=xterm-256color {} {}",
        quote(work.path().join("home").to_str().unwrap()),
        quote(hunt_bin()),
        quote(file.to_str().unwrap())
    );
    let tmux = Tmux::start_sized(&command, 80, 24);
    tmux.wait_for("the lab to be ready", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("· ready"))
    });
    tmux.keys(&["F5"]);
    let screen = tmux.wait_text("Results · 6 rows");
    assert_rows_fit(&screen, 80, "the first screen");
    tmux.keys(&["M-3"]);
    // Scroll right column by column, widen and narrow: every screen stays aligned.
    let mut last = screen;
    for (step, key) in ["l", "w", "w", "l", "w", "W", "l", "h", "h", "W", "h"]
        .iter()
        .enumerate()
    {
        tmux.keys(&[key]);
        let screen = tmux.wait_for(&format!("step {step} ({key}) to redraw"), |s| s != last);
        assert_rows_fit(&screen, 80, &format!("after step {step} ({key})"));
        last = screen;
    }
    tmux.keys(&["C-q"]);
    tmux.wait_dead();
}

/// A console at 100×30 started through `launcher` (`exec`, `setsid -w`) in a new HUNT_HOME, the
/// lab ready, and `text` typed into a second tab just now (before its draft is due).
fn console_with_a_second_tab(launcher: &str, text: &str) -> (Tmux, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let command = format!(
        "{launcher} env HUNT_HOME={home} TERM=xterm-256color {bin}",
        home = quote(home.path().to_str().unwrap()),
        bin = quote(hunt_bin()),
    );
    let tmux = Tmux::start_sized(&command, 100, 30);
    tmux.wait_for("the lab to be ready", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("· ready"))
    });
    tmux.keys(&["M-n"]);
    tmux.type_text(text);
    tmux.wait_text(&format!("[2 {text}]"));
    (tmux, home)
}

/// A dropped SSH session sends SIGHUP: the console writes every tab's text before it ends, even
/// text typed a moment before (drafts are otherwise written a second after the last edit).
#[test]
fn terminal_a_hangup_keeps_every_tabs_text() {
    let (tmux, home) = console_with_a_second_tab("exec", "DeviceInfo | take 5");
    let pid = tmux.format("#{pane_pid}");
    let hangup = Command::new("kill")
        .args(["-HUP", &pid])
        .output()
        .expect("kill runs");
    assert!(hangup.status.success(), "kill -HUP {pid}");
    tmux.wait_dead();
    let data = home.path().join("data");
    let tab = std::fs::read_to_string(data.join("tab-1.kql")).unwrap_or_default();
    assert_eq!(tab, "DeviceInfo | take 5", "the second tab's text");
    let first = std::fs::read_to_string(data.join("draft.kql")).unwrap_or_default();
    assert!(
        first.contains("DeviceProcessEvents"),
        "the first tab's text: {first:?}"
    );
}

/// The processes (by pid) whose environment holds `HUNT_HOME=home`: this test's consoles.
fn consoles_of(home: &Path) -> Vec<u32> {
    let wanted = format!("HUNT_HOME={}", home.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|b| *b == 0)
                    .any(|var| var == wanted.as_bytes())
            })
        })
        .collect()
}

/// A terminal that goes away without a signal reaching the console (it is not the session's
/// leader: `setsid`): crossterm's reader would spin for ever on the dead terminal. The console
/// notices the hang-up, writes every tab's text and ends.
#[test]
fn terminal_that_vanishes_ends_the_console_with_its_drafts() {
    require("setsid", "--version");
    let (tmux, home) = console_with_a_second_tab("setsid -w", "DeviceInfo | take 6");
    assert_eq!(consoles_of(home.path()).len(), 1, "one console runs");
    // The terminal goes: tmux closes the pane's pseudo-terminal.
    drop(tmux);
    let started = Instant::now();
    while !consoles_of(home.path()).is_empty() {
        if started.elapsed() > TIMEOUT {
            // Leave no spinning process behind.
            for pid in consoles_of(home.path()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).output();
            }
            panic!("the console was still running after its terminal went away");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let tab = std::fs::read_to_string(home.path().join("data/tab-1.kql")).unwrap_or_default();
    assert_eq!(tab, "DeviceInfo | take 6", "the second tab's text is kept");
}

/// Esc and the next key in one write, as tmux forwards them when the second comes within its
/// escape-time (`ESC ESC` and the key's sequence): crossterm reads `ESC ESC` as Esc and the rest
/// as characters, which the editor used to type (`[A`, `[15~`). Each is the key it encodes.
#[test]
fn terminal_a_key_glued_to_escape_is_the_key_not_text() {
    let home = tempfile::tempdir().unwrap();
    let command = format!(
        "env HUNT_HOME={home} TERM=xterm-256color {bin}",
        home = quote(home.path().to_str().unwrap()),
        bin = quote(hunt_bin()),
    );
    let tmux = Tmux::start(&command);
    let screen = tmux.wait_for("the lab to be ready", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("· ready"))
    });
    assert!(
        !screen.contains("[A") && !screen.contains("[15~"),
        "{screen}"
    );

    // The editor has the keys: Down, then Esc+Up moves the cursor back up.
    let row = || tmux.format("#{cursor_y}").parse::<usize>().unwrap_or(0);
    let top = row();
    tmux.keys(&["Down"]);
    tmux.wait_for("the cursor to go down", |_| row() == top + 1);
    tmux.bytes(b"\x1b\x1b[A");
    let screen = tmux.wait_for("the cursor to go up (or `[A` typed)", |s| {
        row() == top || s.contains("[A")
    });
    assert!(!screen.contains("[A"), "typed as text:\n{screen}");

    // Esc+F5 runs the query.
    tmux.bytes(b"\x1b\x1b[15~");
    let screen = tmux.wait_for("results (or `[15~` typed)", |s| {
        s.contains("Results · 2 rows") || s.contains("[15~")
    });
    assert!(!screen.contains("[15~"), "typed as text:\n{screen}");
    assert!(screen.contains("Results · 2 rows"), "{screen}");

    // A paste right behind an Esc is pasted, its start marker not typed.
    tmux.keys(&["M-2"]);
    tmux.bytes(b"\x1b\x1b[200~// glued paste\x1b[201~");
    let screen = tmux.wait_for("the paste (or `[200~` typed)", |s| {
        s.contains("// glued paste") || s.contains("[200~")
    });
    assert!(!screen.contains("[200~"), "typed as text:\n{screen}");
}
