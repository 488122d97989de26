//! The devices' standing state rather than their events: the certificates of the programs they
//! ran (`DeviceFileCertificateInfo`), installed software and its vulnerabilities
//! (`DeviceTvmSoftwareInventory`, `DeviceTvmSoftwareVulnerabilities`,
//! `DeviceTvmSoftwareVulnerabilitiesKB`), and network adapters (`DeviceNetworkInfo`).

use serde_json::json;

use super::{
    DAY, DOMAIN, HOUR, LAB_DAYS, Lab, MINUTE, Rng, Row, SECOND, Val, digest, file_hashes, fnv,
};

/// A code-signing certificate: signer, issuer, whether it chains to Microsoft's root, whether
/// Windows trusts it, and how Windows binaries carry it.
struct Certificate {
    signer: &'static str,
    issuer: &'static str,
    /// The signer's certificate thumbprint when it is a known one (SolarWinds' Orion
    /// certificate); derived from the signer otherwise.
    signer_hash: Option<&'static str>,
    crl: &'static str,
    microsoft_root: bool,
    trusted: bool,
    catalog: bool,
    /// Days before the lab's end the certificate was issued, and how long it is valid.
    issued_days_ago: i64,
    valid_days: i64,
    /// The real dates of a known certificate (issued, expires, and when it signed the
    /// program), instead of dates relative to the lab's end.
    fixed: Option<(&'static str, &'static str, &'static str)>,
}

const MS_CRL: &str = "http://www.microsoft.com/pkiops/crl/MicCodSigPCA2011_2011-07-08.crl";
const DIGICERT_CRL: &str =
    "http://crl3.digicert.com/DigiCertTrustedG4CodeSigningRSA4096SHA3842021CA1.crl";

/// Who signed a program, by file name (lower case). `None`: not signed at all.
fn certificate_of(file: &str) -> Option<Certificate> {
    let windows = Certificate {
        signer: "Microsoft Windows",
        issuer: "Microsoft Windows Production PCA 2011",
        signer_hash: None,
        crl: "http://www.microsoft.com/pkiops/crl/MicWinProPCA2011_2011-10-19.crl",
        microsoft_root: true,
        trusted: true,
        catalog: true,
        issued_days_ago: 190,
        valid_days: 395,
        fixed: None,
    };
    let microsoft = Certificate {
        signer: "Microsoft Corporation",
        issuer: "Microsoft Code Signing PCA 2011",
        signer_hash: None,
        crl: MS_CRL,
        microsoft_root: true,
        trusted: true,
        catalog: false,
        issued_days_ago: 240,
        valid_days: 395,
        fixed: None,
    };
    let third_party = |signer, issued_days_ago| Certificate {
        signer,
        issuer: "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1",
        signer_hash: None,
        crl: DIGICERT_CRL,
        microsoft_root: false,
        trusted: true,
        catalog: false,
        issued_days_ago,
        valid_days: 3 * 365,
        fixed: None,
    };
    Some(match file {
        "chrome.exe" => third_party("Google LLC", 420),
        "git.exe" => Certificate {
            signer: "Johannes Schindelin",
            issuer: "Sectigo Public Code Signing CA R36",
            signer_hash: None,
            crl: "http://crl.sectigo.com/SectigoPublicCodeSigningCAR36.crl",
            microsoft_root: false,
            trusted: true,
            catalog: false,
            issued_days_ago: 300,
            valid_days: 3 * 365,
            fixed: None,
        },
        "veeam.endpoint.service.exe" => third_party("Veeam Software Group GmbH", 500),
        "solarwinds.businesslayerhost.exe" | "solarwinds.orion.core.businesslayer.dll" => {
            // The certificate SolarWinds signed Orion with in 2019-2020 (its thumbprint is in
            // Microsoft's hunting query for it); long expired, but valid when it signed.
            Certificate {
                signer: "Solarwinds Worldwide, LLC",
                issuer: "Symantec Class 3 SHA256 Code Signing CA",
                signer_hash: Some("47d92d49e6f7f296260da1af355f941eb25360c4"),
                crl: "http://sv.symcb.com/sv.crl",
                microsoft_root: false,
                trusted: true,
                catalog: false,
                issued_days_ago: 0,
                valid_days: 0,
                fixed: Some(("2019-01-24", "2022-01-24", "2020-03-24")),
            }
        }
        // The payload carries a self-made certificate in the company's name: signed, but not
        // by anyone Windows trusts.
        "updsvc.exe" => Certificate {
            signer: "Kestrel Logistics B.V.",
            issuer: "Kestrel Logistics B.V.",
            signer_hash: None,
            crl: "",
            microsoft_root: false,
            trusted: false,
            catalog: false,
            issued_days_ago: 14,
            valid_days: 365,
            fixed: None,
        },
        "kx.exe" => return None,
        "msedge.exe"
        | "outlook.exe"
        | "excel.exe"
        | "winword.exe"
        | "mso.dll"
        | "ms-teams.exe"
        | "onedrive.exe"
        | "msmpeng.exe"
        | "sqlservr.exe"
        | "psexec.exe"
        | "psexesvc.exe"
        | "microsoft.management.services.intunewindowsagent.exe" => microsoft,
        _ => windows,
    })
}

/// A piece of installed software: vendor, name, version, and whether only some devices have it.
struct Software {
    vendor: &'static str,
    name: &'static str,
    version: &'static str,
    cpe_part: &'static str,
}

const fn sw(vendor: &'static str, name: &'static str, version: &'static str) -> Software {
    Software {
        vendor,
        name,
        version,
        cpe_part: "a",
    }
}

/// A vulnerability the lab's software has: CVE, severity, CVSS, whether an exploit is known,
/// when it was published and last modified, what it is, what it affects, the update that fixes
/// it, and its tags.
struct Vulnerability {
    cve: &'static str,
    severity: &'static str,
    cvss: &'static str,
    exploit: bool,
    published: &'static str,
    modified: &'static str,
    description: &'static str,
    affected: &'static [&'static str],
    update: &'static str,
    update_id: &'static str,
    tags: &'static [&'static str],
}

const VULNERABILITIES: &[Vulnerability] = &[
    Vulnerability {
        cve: "CVE-2024-7971",
        severity: "High",
        cvss: "8.8",
        exploit: true,
        published: "2024-08-21",
        modified: "2024-08-27",
        description: "Type confusion in V8 in Google Chrome prior to 128.0.6613.84 allowed a remote attacker to exploit heap corruption via a crafted HTML page.",
        affected: &["Google Chrome"],
        update: "Update Chrome to version 128.0.6613.84",
        update_id: "",
        tags: &["ZeroDay"],
    },
    Vulnerability {
        cve: "CVE-2024-7965",
        severity: "High",
        cvss: "8.8",
        exploit: true,
        published: "2024-08-21",
        modified: "2024-08-28",
        description: "Inappropriate implementation in V8 in Google Chrome prior to 128.0.6613.84 allowed a remote attacker to potentially exploit heap corruption via a crafted HTML page.",
        affected: &["Google Chrome"],
        update: "Update Chrome to version 128.0.6613.84",
        update_id: "",
        tags: &["ZeroDay"],
    },
    Vulnerability {
        cve: "CVE-2024-11477",
        severity: "High",
        cvss: "7.8",
        exploit: false,
        published: "2024-11-22",
        modified: "2024-12-02",
        description: "7-Zip Zstandard decompression integer underflow allows remote code execution (fixed in 24.07).",
        affected: &["7-Zip"],
        update: "Update 7-Zip to version 24.07",
        update_id: "",
        tags: &[],
    },
    Vulnerability {
        cve: "CVE-2024-46461",
        severity: "High",
        cvss: "8.1",
        exploit: false,
        published: "2024-09-16",
        modified: "2024-09-20",
        description: "VLC media player before 3.0.21: a heap buffer overflow in the MMS stream module through a crafted stream.",
        affected: &["VLC media player"],
        update: "Update VLC media player to version 3.0.21",
        update_id: "",
        tags: &[],
    },
    Vulnerability {
        cve: "CVE-2024-49138",
        severity: "High",
        cvss: "7.8",
        exploit: true,
        published: "2024-12-10",
        modified: "2024-12-12",
        description: "Windows Common Log File System Driver elevation of privilege vulnerability.",
        affected: &["Windows Server 2022", "Windows 11"],
        update: "December 2024 Security Updates",
        update_id: "KB5048654",
        tags: &["ZeroDay"],
    },
    Vulnerability {
        cve: "TVM-2020-0002",
        severity: "Critical",
        cvss: "",
        exploit: true,
        published: "2020-12-14",
        modified: "2020-12-18",
        description: "SolarWinds Orion Platform builds 2019.4 HF5 to 2020.2.1 HF1 shipped with a backdoor (SUNBURST) through a supply-chain compromise.",
        affected: &["SolarWinds Orion Platform"],
        update: "Update SolarWinds Orion Platform to 2020.2.1 HF2",
        update_id: "",
        tags: &[],
    },
    Vulnerability {
        cve: "CVE-2020-10148",
        severity: "Critical",
        cvss: "9.8",
        exploit: true,
        published: "2020-12-29",
        modified: "2021-01-06",
        description: "SolarWinds Orion API authentication bypass allows remote code execution (SUPERNOVA).",
        affected: &["SolarWinds Orion Platform"],
        update: "Update SolarWinds Orion Platform to 2020.2.1 HF2",
        update_id: "",
        tags: &[],
    },
];

/// Well-known vulnerabilities the knowledge base lists although no device here has them.
const KNOWN_ELSEWHERE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "CVE-2020-1472",
        "Critical",
        "10.0",
        "2020-08-17",
        "Netlogon elevation of privilege vulnerability (Zerologon).",
    ),
    (
        "CVE-2019-0708",
        "Critical",
        "9.8",
        "2019-05-16",
        "Remote Desktop Services remote code execution vulnerability (BlueKeep).",
    ),
    (
        "CVE-2021-44228",
        "Critical",
        "10.0",
        "2021-12-10",
        "Apache Log4j2 JNDI features do not protect against attacker-controlled LDAP and other endpoints (Log4Shell).",
    ),
];

/// A date (`YYYY-MM-DD`) at midnight UTC, in nanoseconds since 1970.
fn date(text: &str) -> Val {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_utc().timestamp_nanos_opt())
        .map_or(Val::Null, Val::T)
}

impl Lab {
    /// Everything the lab holds besides the ordinary activity and the intrusions. It draws from
    /// a random stream of its own, so the rest of the data stays as it was.
    pub(super) fn posture(&mut self) {
        self.rng = Rng::new(self.options.seed ^ 0x706F_7374_7572_6500);
        self.identity_activity();
        self.behaviors();
        self.orion();
        self.certificates();
        self.software();
        self.network_info();
    }

    /// app01 runs SolarWinds Orion (network monitoring), updated three weeks ago to a build
    /// that vulnerability management lists as affected by the SUNBURST compromise.
    fn orion(&mut self) {
        let app = self.device_named("app01");
        let folder = "C:\\Program Files (x86)\\SolarWinds\\Orion";
        let day = LAB_DAYS - 21;
        let updated = self.start - self.start.rem_euclid(DAY)
            + day * DAY
            + 3 * HOUR
            + self.rng.range(0, HOUR);
        let services = self.system_proc(
            "services.exe",
            "C:\\Windows\\system32\\services.exe",
            updated - 20 * DAY,
        );
        let msiexec = self.system_proc(
            "msiexec.exe",
            "C:\\Windows\\system32\\msiexec.exe /V",
            updated,
        );
        self.process_created(app, &services, &msiexec);
        for (i, file) in [
            "SolarWinds.Orion.Core.BusinessLayer.dll",
            "SolarWinds.BusinessLayerHost.exe",
        ]
        .into_iter()
        .enumerate()
        {
            let t = updated + (2 + i as i64) * MINUTE + self.rng.range(0, MINUTE);
            self.file_event(app, &msiexec, t, "FileCreated", folder, file, vec![]);
        }
        let started = updated + 9 * MINUTE + self.rng.range(0, MINUTE);
        let command = format!("\"{folder}\\SolarWinds.BusinessLayerHost.exe\"");
        let mut host = self.system_proc("SolarWinds.BusinessLayerHost.exe", &command, started);
        host.folder = folder.to_string();
        self.process_created(app, &services, &host);
        let t = started + 2 * SECOND + self.rng.range(0, SECOND);
        self.image_load(
            app,
            &host,
            t,
            folder,
            "SolarWinds.Orion.Core.BusinessLayer.dll",
        );
    }

    /// One certificate row for each signed program each device ran or loaded, when it was
    /// first seen there; unsigned programs say so.
    fn certificates(&mut self) {
        let end = self.options.end_nanos;
        let programs = std::mem::take(&mut self.programs);
        for ((device, identity), (path, first_seen)) in &programs {
            let name = path
                .rsplit('\\')
                .next()
                .unwrap_or(path)
                .to_ascii_lowercase();
            let report = self.next_report();
            let d = &self.devices[*device];
            let sha1 = file_hashes(identity).sha1;
            let mut row: Row = vec![
                ("Timestamp", Val::T(*first_seen)),
                ("DeviceId", d.id.as_str().into()),
                ("DeviceName", d.name.as_str().into()),
                ("SHA1", sha1.into()),
                ("ReportId", Val::L(report)),
            ];
            match certificate_of(&name) {
                None => row.extend([
                    ("IsSigned", Val::B(false)),
                    ("IsTrusted", Val::B(false)),
                    ("IsRootSignerMicrosoft", Val::B(false)),
                ]),
                Some(c) => {
                    let issued =
                        end - c.issued_days_ago * DAY + (fnv(c.signer) % (DAY as u64)) as i64;
                    let signer_hash = c
                        .signer_hash
                        .map(str::to_string)
                        .unwrap_or_else(|| digest(&format!("signer\u{0}{}", c.signer), 40));
                    // When the certificate signed this file: the same for the file on every
                    // device, before the lab's month; the intruders' own certificate signed
                    // without a timestamp.
                    let (issued, expires, countersigned) = match c.fixed {
                        Some((issued, expires, signed)) => {
                            (date(issued), date(expires), date(signed))
                        }
                        None if c.issued_days_ago > 31 => {
                            let span = ((c.issued_days_ago - 31) * DAY) as u64;
                            (
                                Val::T(issued),
                                Val::T(issued + c.valid_days * DAY),
                                Val::T(issued + (fnv(identity) % span) as i64),
                            )
                        }
                        None => (
                            Val::T(issued),
                            Val::T(issued + c.valid_days * DAY),
                            Val::Null,
                        ),
                    };
                    row.extend([
                        ("IsSigned", Val::B(true)),
                        (
                            "SignatureType",
                            if c.catalog { "Catalog" } else { "Embedded" }.into(),
                        ),
                        ("Signer", c.signer.into()),
                        ("SignerHash", signer_hash.into()),
                        ("Issuer", c.issuer.into()),
                        (
                            "IssuerHash",
                            digest(&format!("issuer\u{0}{}", c.issuer), 40).into(),
                        ),
                        (
                            "CertificateSerialNumber",
                            digest(&format!("serial\u{0}{}", c.signer), 38).into(),
                        ),
                        ("CrlDistributionPointUrls", c.crl.into()),
                        ("CertificateCreationTime", issued),
                        ("CertificateExpirationTime", expires),
                        ("CertificateCountersignatureTime", countersigned),
                        ("IsTrusted", Val::B(c.trusted)),
                        ("IsRootSignerMicrosoft", Val::B(c.microsoft_root)),
                    ]);
                }
            }
            self.push("DeviceFileCertificateInfo", row);
        }
        self.programs = programs;
    }

    /// What each device has installed, and what of it is vulnerable.
    fn software(&mut self) {
        for device in 0..self.devices.len() {
            let d = &self.devices[device];
            let (name, server) = (d.name.clone(), d.server);
            let short = name.split('.').next().unwrap_or("").to_string();
            let department = d.owner.map(|o| self.users[o].department).unwrap_or("");
            let mut installed: Vec<Software> = Vec::new();
            let os = if server {
                Software {
                    cpe_part: "o",
                    ..sw("microsoft", "windows_server_2022", "10.0.20348.3453")
                }
            } else {
                Software {
                    cpe_part: "o",
                    ..sw("microsoft", "windows_11", "10.0.26100.3775")
                }
            };
            installed.push(os);
            installed.push(sw("microsoft", "edge_chromium", "131.0.2903.70"));
            installed.push(sw("microsoft", "defender", "4.18.24090.11"));
            if server {
                installed.push(sw(
                    "veeam",
                    "veeam_agent_for_microsoft_windows",
                    "6.2.0.121",
                ));
                match short.as_str() {
                    "sql01" => installed.push(sw("microsoft", "sql_server_2022", "16.0.4155.4")),
                    "web01" => installed.push(sw(
                        "microsoft",
                        "internet_information_services",
                        "10.0.20348.1",
                    )),
                    "app01" => {
                        installed.push(sw(
                            "microsoft",
                            "internet_information_services",
                            "10.0.20348.1",
                        ));
                        installed.push(sw("solarwinds", "orion_platform", "2020.2.1"));
                    }
                    _ => {}
                }
            } else {
                // A few workstations missed Chrome's updates for months.
                let stale_chrome = [4, 12, 18].contains(&device);
                installed.push(sw(
                    "google",
                    "chrome",
                    if stale_chrome {
                        "127.0.6533.120"
                    } else {
                        "131.0.6778.140"
                    },
                ));
                installed.push(sw("microsoft", "office", "16.0.18129.20158"));
                installed.push(sw("microsoft", "teams", "24335.206.3314.2380"));
                installed.push(sw("microsoft", "onedrive", "24.226.1110.0004"));
                installed.push(sw("adobe", "acrobat_reader_dc", "24.005.20320"));
                if matches!(department, "Finance" | "Operations" | "IT") {
                    installed.push(sw(
                        "7-zip",
                        "7-zip",
                        if device % 3 == 0 { "24.08" } else { "24.06" },
                    ));
                }
                if department == "Engineering" {
                    installed.push(sw("git", "git", "2.47.1"));
                    installed.push(sw("microsoft", "visual_studio_code", "1.96.0"));
                }
                if matches!(department, "Marketing" | "Sales") {
                    installed.push(sw("videolan", "vlc_media_player", "3.0.20.0"));
                }
            }
            let (os_platform, os_version) = (d.os, if server { "10.0" } else { "24H2" });
            let (id, name) = (d.id.clone(), d.name.clone());
            // Two servers still wait for December's updates.
            let unpatched = matches!(short.as_str(), "dc02" | "sql01");
            for s in &installed {
                let columns: Row = vec![
                    ("DeviceId", id.as_str().into()),
                    ("DeviceName", name.as_str().into()),
                    ("OSPlatform", os_platform.into()),
                    ("OSVersion", os_version.into()),
                    ("OSArchitecture", "x64".into()),
                    ("SoftwareVendor", s.vendor.into()),
                    ("SoftwareName", s.name.into()),
                    ("SoftwareVersion", s.version.into()),
                ];
                let mut row = columns.clone();
                row.extend([
                    (
                        "EndOfSupportStatus",
                        if s.name == "orion_platform" {
                            "EOS Version".into()
                        } else {
                            "".into()
                        },
                    ),
                    (
                        "ProductCodeCpe",
                        format!(
                            "cpe:2.3:{}:{}:{}:{}:*:*:*:*:*:*:*",
                            s.cpe_part, s.vendor, s.name, s.version
                        )
                        .into(),
                    ),
                ]);
                self.push("DeviceTvmSoftwareInventory", row);
                let cves: &[&str] = match (s.name, s.version) {
                    ("chrome", "127.0.6533.120") => &["CVE-2024-7971", "CVE-2024-7965"],
                    ("7-zip", "24.06") => &["CVE-2024-11477"],
                    ("vlc_media_player", _) => &["CVE-2024-46461"],
                    ("windows_server_2022", _) if unpatched => &["CVE-2024-49138"],
                    ("orion_platform", _) => &["TVM-2020-0002", "CVE-2020-10148"],
                    _ => &[],
                };
                for cve in cves {
                    let Some(v) = VULNERABILITIES.iter().find(|v| v.cve == *cve) else {
                        continue;
                    };
                    let mut row = columns.clone();
                    row.extend([
                        ("CveId", v.cve.into()),
                        ("VulnerabilitySeverityLevel", v.severity.into()),
                        ("RecommendedSecurityUpdate", v.update.into()),
                        ("RecommendedSecurityUpdateId", v.update_id.into()),
                        ("CveTags", Val::J(json!(v.tags))),
                    ]);
                    self.push("DeviceTvmSoftwareVulnerabilities", row);
                }
            }
        }
        for v in VULNERABILITIES {
            self.push(
                "DeviceTvmSoftwareVulnerabilitiesKB",
                vec![
                    ("CveId", v.cve.into()),
                    ("CvssScore", v.cvss.into()),
                    ("IsExploitAvailable", Val::B(v.exploit)),
                    ("VulnerabilitySeverityLevel", v.severity.into()),
                    ("LastModifiedTime", date(v.modified)),
                    ("PublishedDate", date(v.published)),
                    ("VulnerabilityDescription", v.description.into()),
                    ("AffectedSoftware", Val::J(json!(v.affected))),
                ],
            );
        }
        for (cve, severity, cvss, published, description) in KNOWN_ELSEWHERE {
            self.push(
                "DeviceTvmSoftwareVulnerabilitiesKB",
                vec![
                    ("CveId", (*cve).into()),
                    ("CvssScore", (*cvss).into()),
                    ("IsExploitAvailable", Val::B(true)),
                    ("VulnerabilitySeverityLevel", (*severity).into()),
                    ("LastModifiedTime", date(published)),
                    ("PublishedDate", date(published)),
                    ("VulnerabilityDescription", (*description).into()),
                    ("AffectedSoftware", Val::J(json!([]))),
                ],
            );
        }
    }

    /// Each device's network adapter, reported once a day: its address, the domain network,
    /// the domain controllers as DNS servers.
    fn network_info(&mut self) {
        let dns = json!(["10.10.0.10", "10.10.0.11"]).to_string();
        let networks = json!([{"Name": format!("{DOMAIN}.local"), "Description": format!("{DOMAIN}.local"), "IsConnectedToInternet": true, "Category": "Domain"}]).to_string();
        for device in 0..self.devices.len() {
            let d = &self.devices[device];
            let (id, name, ip) = (d.id.clone(), d.name.clone(), d.ip.clone());
            let gateway = format!(
                "{}.1",
                ip.rsplit_once('.').map(|(net, _)| net).unwrap_or("10.0.0")
            );
            let mac = {
                let h = fnv(&format!("mac\u{0}{name}"));
                format!(
                    "{}-{:02X}-{:02X}-{:02X}",
                    // Hyper-V's prefix for the virtual servers, Dell's for the laptops.
                    if d.server { "00-15-5D" } else { "6C-2B-59" },
                    (h >> 16) & 0xff,
                    (h >> 8) & 0xff,
                    h & 0xff
                )
            };
            let vendor = if d.server {
                "Microsoft"
            } else {
                "Intel Corporation"
            };
            let addresses =
                json!([{"IPAddress": ip, "SubnetPrefix": 24, "AddressType": "Private"}])
                    .to_string();
            let dhcp = if d.server { "" } else { "10.10.0.10" };
            for day in 0..LAB_DAYS {
                let time = self.start + day * DAY + self.rng.range(0, DAY);
                let report = self.next_report();
                self.push(
                    "DeviceNetworkInfo",
                    vec![
                        ("Timestamp", Val::T(time)),
                        ("DeviceId", id.as_str().into()),
                        ("DeviceName", name.as_str().into()),
                        ("NetworkAdapterName", "Ethernet".into()),
                        ("MacAddress", mac.as_str().into()),
                        ("NetworkAdapterType", "Ethernet".into()),
                        ("NetworkAdapterStatus", "Up".into()),
                        ("TunnelType", "None".into()),
                        ("ConnectedNetworks", networks.as_str().into()),
                        ("DnsAddresses", dns.as_str().into()),
                        ("IPv4Dhcp", dhcp.into()),
                        ("DefaultGateways", json!([gateway]).to_string().into()),
                        ("IPAddresses", addresses.as_str().into()),
                        ("ReportId", Val::L(report)),
                        ("NetworkAdapterVendor", vendor.into()),
                        ("OnboardingStatus", "Onboarded".into()),
                        ("NetworkAdapterDnsSuffix", format!("{DOMAIN}.local").into()),
                    ],
                );
            }
        }
    }
}
