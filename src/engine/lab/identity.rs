//! What the domain controllers see (Defender for Identity: `IdentityQueryEvents`,
//! `IdentityDirectoryEvents`) and what Defender for Cloud Apps makes of the cloud activity
//! (`BehaviorInfo`, `BehaviorEntities`): the ordinary rows, and the helpers the intrusions use
//! for their own.

use serde_json::json;

use super::{DAY, DOMAIN, HOUR, LAB_DAYS, Lab, MAIL_DOMAIN, MINUTE, Rng, Row, SECOND, Val, fnv};

/// An account as Defender for Identity names it.
#[derive(Clone)]
pub(super) struct Actor {
    pub name: String,
    pub upn: String,
    pub sid: String,
    pub object_id: String,
    pub display: String,
}

/// The protocol a query reached the domain controller by.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Protocol {
    Ldap,
    Samr,
    Dns,
}

impl Protocol {
    fn action(self) -> &'static str {
        match self {
            Protocol::Ldap => "LDAP query",
            Protocol::Samr => "SAMR query",
            Protocol::Dns => "DNS query",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Protocol::Ldap => "Ldap",
            Protocol::Samr => "Samr",
            Protocol::Dns => "Dns",
        }
    }

    fn port(self) -> i64 {
        match self {
            Protocol::Ldap => 389,
            Protocol::Samr => 445,
            Protocol::Dns => 53,
        }
    }
}

/// One query a domain controller answered.
pub(super) struct DirectoryQuery<'a> {
    pub time: i64,
    pub protocol: Protocol,
    pub query_type: &'a str,
    pub target: &'a str,
    pub query: &'a str,
    /// The device that asked.
    pub source: usize,
    /// The account that asked (none for DNS).
    pub actor: Option<&'a Actor>,
    /// The user asked about, when it is one.
    pub target_user: Option<usize>,
    /// The domain controller that answered.
    pub dc: usize,
}

/// One change to the directory.
pub(super) struct DirectoryChange<'a> {
    pub time: i64,
    pub action: &'a str,
    pub actor: &'a Actor,
    pub source: usize,
    pub target_upn: &'a str,
    pub target_name: &'a str,
    pub target_device: &'a str,
    pub additional: serde_json::Value,
}

/// The text Defender for Identity records for an LDAP search of the whole domain.
pub(super) fn ldap(filter: &str) -> String {
    format!("Search Scope: WholeSubtree, Base Object:DC={DOMAIN},DC=local, Search Filter: {filter}")
}

/// The stolen administrator account of the intrusions (Jamie Chen's admin account).
pub(super) fn admin_actor() -> Actor {
    let name = "adm-jchen";
    Actor {
        name: name.to_string(),
        upn: format!("{name}@{MAIL_DOMAIN}"),
        sid: format!("{}-1500", super::SID_PREFIX),
        object_id: Rng::new(fnv(name)).guid(),
        display: "Jamie Chen (admin)".to_string(),
    }
}

impl Lab {
    pub(super) fn actor(&self, user: usize) -> Actor {
        let u = &self.users[user];
        Actor {
            name: u.account.clone(),
            upn: u.upn.clone(),
            sid: u.sid.clone(),
            object_id: u.object_id.clone(),
            display: u.name.to_string(),
        }
    }

    /// A computer's own account (`FS01$`), as it acts when a program runs as SYSTEM.
    pub(super) fn machine_actor(&self, device: usize) -> Actor {
        let d = &self.devices[device];
        let short = d.name.split('.').next().unwrap_or("").to_ascii_uppercase();
        Actor {
            name: format!("{short}$"),
            upn: String::new(),
            sid: format!("{}-{}", super::SID_PREFIX, 2100 + device),
            object_id: Rng::new(fnv(&d.name)).guid(),
            display: format!("{short}$"),
        }
    }

    pub(super) fn device_named(&self, short: &str) -> usize {
        self.devices
            .iter()
            .position(|d| d.name.split('.').next() == Some(short))
            .unwrap_or(0)
    }

    fn actor_columns(actor: &Actor) -> Row {
        vec![
            ("AccountName", actor.name.as_str().into()),
            ("AccountDomain", format!("{DOMAIN}.local").into()),
            ("AccountUpn", actor.upn.as_str().into()),
            ("AccountSid", actor.sid.as_str().into()),
            ("AccountObjectId", actor.object_id.as_str().into()),
            ("AccountDisplayName", actor.display.as_str().into()),
        ]
    }

    pub(super) fn directory_query(&mut self, q: DirectoryQuery) {
        let report = self.rng.guid();
        let source = &self.devices[q.source];
        let dc = &self.devices[q.dc];
        let mut row: Row = vec![
            ("Timestamp", Val::T(q.time)),
            ("ActionType", q.protocol.action().into()),
            ("Application", "Active Directory".into()),
            ("QueryType", q.query_type.into()),
            ("QueryTarget", q.target.into()),
            ("Query", q.query.into()),
            ("Protocol", q.protocol.name().into()),
            ("DeviceName", source.name.as_str().into()),
            ("IPAddress", source.ip.as_str().into()),
            (
                "Port",
                Val::L(49152 + (q.time / SECOND * 7919).rem_euclid(16000)),
            ),
            ("DestinationDeviceName", dc.name.as_str().into()),
            ("DestinationIPAddress", dc.ip.as_str().into()),
            ("DestinationPort", Val::L(q.protocol.port())),
            ("ReportId", report.into()),
            ("AdditionalFields", Val::J(json!({}))),
        ];
        if let Some(actor) = q.actor {
            row.extend(Lab::actor_columns(actor));
        }
        if let Some(user) = q.target_user {
            let u = &self.users[user];
            row.extend([
                ("TargetAccountUpn", u.upn.as_str().into()),
                ("TargetAccountDisplayName", u.name.into()),
            ]);
        }
        self.push("IdentityQueryEvents", row);
    }

    pub(super) fn directory_change(&mut self, c: DirectoryChange) {
        let report = self.rng.guid();
        let source = &self.devices[c.source];
        let dc = self.device_named("dc01");
        let dc = &self.devices[dc];
        let mut row: Row = vec![
            ("Timestamp", Val::T(c.time)),
            ("ActionType", c.action.into()),
            ("Application", "Active Directory".into()),
            ("TargetAccountUpn", c.target_upn.into()),
            ("TargetAccountDisplayName", c.target_name.into()),
            ("TargetDeviceName", c.target_device.into()),
            ("DestinationDeviceName", dc.name.as_str().into()),
            ("DestinationIPAddress", dc.ip.as_str().into()),
            ("DestinationPort", Val::L(389)),
            ("Protocol", "Ldap".into()),
            ("DeviceName", source.name.as_str().into()),
            ("IPAddress", source.ip.as_str().into()),
            (
                "Port",
                Val::L(49152 + (c.time / SECOND * 7919).rem_euclid(16000)),
            ),
            ("ReportId", report.into()),
            ("AdditionalFields", Val::J(c.additional)),
        ];
        row.extend(Lab::actor_columns(c.actor));
        self.push("IdentityDirectoryEvents", row);
    }

    /// The everyday queries and changes: workstations resolve names and look up colleagues and
    /// groups, people change their passwords, the help desk unlocks accounts, IT manages groups.
    pub(super) fn identity_activity(&mut self) {
        let scale = i64::from(self.options.scale);
        let (dc1, dc2) = (self.device_named("dc01"), self.device_named("dc02"));
        let names = [
            ("A", "fs01.kestrel.local"),
            ("A", "dc01.kestrel.local"),
            ("SRV", "_ldap._tcp.dc._msdcs.kestrel.local"),
            ("SRV", "_kerberos._tcp.kestrel.local"),
            ("A", "outlook.office365.com"),
            ("A", "login.microsoftonline.com"),
            ("A", "kestrel.sharepoint.com"),
            ("A", "teams.microsoft.com"),
            ("A", "www.google.com"),
            ("A", "portal.northwind-freight.example"),
        ];
        let it_admin = 2; // Jamie Chen
        for day in 0..=LAB_DAYS {
            let weekday = (self.start / DAY + day + 4).rem_euclid(7);
            let busy = if weekday == 0 || weekday == 6 { 1 } else { 2 };
            for device in 0..self.users.len() {
                let user = self.devices[device].owner.unwrap_or(device);
                let me = self.actor(user);
                for _ in 0..busy * scale {
                    let time = self.time_on(day, true);
                    let dc = if self.rng.chance(0.5) { dc1 } else { dc2 };
                    let roll = self.rng.below(100);
                    if roll < 45 {
                        let (kind, name) = *self.rng.pick(&names);
                        self.directory_query(DirectoryQuery {
                            time,
                            protocol: Protocol::Dns,
                            query_type: kind,
                            target: name,
                            query: name,
                            source: device,
                            actor: None,
                            target_user: None,
                            dc,
                        });
                    } else if roll < 85 {
                        let colleague = self.rng.below(self.users.len() as u64) as usize;
                        let filter = format!(
                            "(&(objectCategory=person)(objectClass=user)(sAMAccountName={}))",
                            self.users[colleague].account
                        );
                        let target = self.users[colleague].name;
                        self.directory_query(DirectoryQuery {
                            time,
                            protocol: Protocol::Ldap,
                            query_type: "QueryUser",
                            target,
                            query: &ldap(&filter),
                            source: device,
                            actor: Some(&me),
                            target_user: Some(colleague),
                            dc,
                        });
                    } else {
                        let group = self.users[user].department;
                        let filter = format!("(&(objectCategory=group)(cn={group}))");
                        self.directory_query(DirectoryQuery {
                            time,
                            protocol: Protocol::Ldap,
                            query_type: "QueryGroup",
                            target: group,
                            query: &ldap(&filter),
                            source: device,
                            actor: Some(&me),
                            target_user: None,
                            dc,
                        });
                    }
                }
            }
            // IT looks at who the domain admins are now and then: the everyday true positive
            // a hunt for sensitive LDAP queries also finds.
            if day % 4 == 1 {
                let time = self.time_on(day, true);
                let admin = admin_actor();
                self.directory_query(DirectoryQuery {
                    time,
                    protocol: Protocol::Samr,
                    query_type: "QueryGroup",
                    target: "Domain Admins",
                    query: "QueryGroup",
                    source: it_admin,
                    actor: Some(&admin),
                    target_user: None,
                    dc: dc1,
                });
            }
        }

        // Password changes (a 90-day rotation: about a third of the staff in 30 days).
        for user in 0..self.users.len() {
            if !self.rng.chance(0.35) {
                continue;
            }
            let day = self.rng.range(1, LAB_DAYS);
            let time = self.time_on(day, true);
            let me = self.actor(user);
            self.directory_change(DirectoryChange {
                time,
                action: "Account Password changed",
                actor: &me,
                source: user,
                target_upn: &me.upn,
                target_name: &me.display,
                target_device: "",
                additional: json!({"TARGET_OBJECT.USER": me.display}),
            });
        }
        // The help desk (Samir Aziz) unlocks accounts.
        let helpdesk = self.actor(22);
        for _ in 0..4 {
            let user = self.rng.below(self.users.len() as u64) as usize;
            let day = self.rng.range(1, LAB_DAYS);
            let time = self.time_on(day, true);
            let target = self.actor(user);
            self.directory_change(DirectoryChange {
                time,
                action: "Account Unlocked",
                actor: &helpdesk,
                source: 22,
                target_upn: &target.upn,
                target_name: &target.display,
                target_device: "",
                additional: json!({"TARGET_OBJECT.USER": target.display}),
            });
        }
        // IT manages group memberships with the admin account, from its own workstation.
        let admin = admin_actor();
        for (group, added) in [
            ("VPN Users", true),
            ("SharePoint-Operations", true),
            ("Fleet-Dashboard", true),
            ("VPN Users", false),
            ("Finance-Share-Readers", true),
        ] {
            let user = self.rng.below(self.users.len() as u64) as usize;
            let day = self.rng.range(1, LAB_DAYS);
            let time = self.time_on(day, true);
            let target = self.actor(user);
            let key = if added { "TO.GROUP" } else { "FROM.GROUP" };
            self.directory_change(DirectoryChange {
                time,
                action: "Group Membership changed",
                actor: &admin,
                source: it_admin,
                target_upn: &target.upn,
                target_name: &target.display,
                target_device: "",
                additional: json!({(key): group, "TARGET_OBJECT.USER": target.display, "ACTOR.ACCOUNT": admin.name}),
            });
        }
        // A reimaged laptop joins under its new name: a computer account renamed (from one
        // computer name to another, which a hunt for CVE-2021-42278 rightly passes over).
        let time = self.time_on(LAB_DAYS - 18, true);
        let laptop = self.devices[self.users.len() - 1].name.clone();
        self.directory_change(DirectoryChange {
            time,
            action: "SAM Account Name changed",
            actor: &admin,
            source: it_admin,
            target_upn: "",
            target_name: "",
            target_device: &laptop,
            additional: json!({"FROM SAM Account Name": "LAPTOP-7QK2M1$", "TO SAM Account Name": "WS-0124$"}),
        });
    }

    /// A behavior and its entities: (entity type, role, detailed role, column values).
    pub(super) fn behavior(
        &mut self,
        time: i64,
        start: i64,
        action: &str,
        title: &str,
        description: &str,
        category: &str,
        techniques: &[&str],
        user: usize,
        entities: Vec<(&str, &str, &str, Row)>,
    ) {
        let id = format!("ca{}", self.rng.hex(38));
        let u = &self.users[user];
        let (upn, object_id, account) = (u.upn.clone(), u.object_id.clone(), u.account.clone());
        let categories = json!([category]).to_string();
        let techniques = json!(techniques).to_string();
        let data_sources = json!(["Microsoft Defender for Cloud Apps"]).to_string();
        self.push(
            "BehaviorInfo",
            vec![
                ("Timestamp", Val::T(time)),
                ("BehaviorId", id.as_str().into()),
                ("ActionType", action.into()),
                ("Title", title.into()),
                ("Description", description.into()),
                ("Categories", categories.as_str().into()),
                ("AttackTechniques", techniques.as_str().into()),
                ("ServiceSource", "Microsoft Defender for Cloud Apps".into()),
                ("DetectionSource", "Cloud App Security".into()),
                ("DataSources", data_sources.as_str().into()),
                ("AccountUpn", upn.as_str().into()),
                ("AccountObjectId", object_id.as_str().into()),
                ("StartTime", Val::T(start)),
                ("EndTime", Val::T(time)),
                (
                    "AdditionalFields",
                    json!({"Account": account}).to_string().into(),
                ),
            ],
        );
        let user_entity: Row = vec![
            ("AccountName", account.as_str().into()),
            ("AccountDomain", format!("{DOMAIN}.local").into()),
            ("AccountSid", self.users[user].sid.as_str().into()),
            ("AccountObjectId", object_id.as_str().into()),
            ("AccountUpn", upn.as_str().into()),
        ];
        let all = std::iter::once(("User", "Impacted", "Actor", user_entity)).chain(entities);
        for (entity, role, detailed, columns) in all {
            let mut row: Row = vec![
                ("Timestamp", Val::T(time)),
                ("BehaviorId", id.as_str().into()),
                ("ActionType", action.into()),
                ("Categories", categories.as_str().into()),
                ("ServiceSource", "Microsoft Defender for Cloud Apps".into()),
                ("DetectionSource", "Cloud App Security".into()),
                ("DataSources", data_sources.as_str().into()),
                ("EntityType", entity.into()),
                ("EntityRole", role.into()),
                ("DetailedEntityRole", detailed.into()),
            ];
            row.extend(columns);
            self.push("BehaviorEntities", row);
        }
    }

    /// A cloud activity row (CloudAppEvents) from somewhere else than the office.
    pub(super) fn cloud_event(
        &mut self,
        time: i64,
        user: usize,
        (application, app_id, action, object): (&str, i64, &str, &str),
        (ip, country, city, isp): (&str, &str, &str, &str),
        user_agent: &str,
    ) {
        let report = self.rng.guid();
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
            ("IPAddress", ip.into()),
            ("IsAnonymousProxy", Val::B(false)),
            ("CountryCode", country.into()),
            ("City", city.into()),
            ("Isp", isp.into()),
            ("UserAgent", user_agent.into()),
            ("ActivityType", "Basic".into()),
            (
                "ActivityObjects",
                Val::J(json!([{"Type": "File", "Name": object}])),
            ),
            ("ObjectName", object.into()),
            ("ObjectType", "File".into()),
            ("ReportId", report.into()),
            ("AccountType", "Regular".into()),
            ("IsExternalUser", Val::B(false)),
            ("IsImpersonated", Val::B(false)),
            (
                "RawEventData",
                Val::J(
                    json!({"Operation": action, "Workload": application, "UserId": u.upn, "ClientIP": ip}),
                ),
            ),
        ];
        self.push("CloudAppEvents", row);
    }

    /// Defender for Cloud Apps' behaviors: the attacker reading the victim's mailbox over Tor
    /// (impossible travel, an anonymous address), and two ordinary ones with the activity
    /// behind them (a sales trip abroad, a manager downloading a folder).
    pub(super) fn behaviors(&mut self) {
        const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        const EXCHANGE: (&str, i64) = ("Microsoft Exchange Online", 20893);
        const SHAREPOINT: (&str, i64) = ("Microsoft SharePoint Online", 20892);
        let office = ("203.0.113.24", "NL", "Rotterdam", "KPN B.V.");
        if let Some((read, victim, c2_ip)) = self.story.mailbox_read.clone() {
            // The victim read mail at the office that evening; the attacker, hours later, from Tor.
            let at_office = read - 5 * HOUR - self.rng.range(0, HOUR);
            self.cloud_event(
                at_office,
                victim,
                (EXCHANGE.0, EXCHANGE.1, "MailItemsAccessed", "Inbox"),
                office,
                EDGE,
            );
            let name = self.users[victim].name;
            let ip_entity = |ip: &str| -> Row { vec![("RemoteIP", ip.to_string().into())] };
            let app_entity: Row = vec![
                ("Application", EXCHANGE.0.into()),
                ("ApplicationId", Val::L(EXCHANGE.1)),
            ];
            let t = read + 7 * MINUTE + self.rng.range(0, MINUTE);
            self.behavior(
                t,
                at_office,
                "ImpossibleTravelActivity",
                "Impossible travel activity",
                &format!("{name} was active from Rotterdam, NL (203.0.113.24) and, within hours, from DE ({c2_ip}): too far apart to travel in that time."),
                "InitialAccess",
                &["Valid Accounts (T1078)", "Cloud Accounts (T1078.004)"],
                victim,
                vec![
                    ("Ip", "Related", "Source", ip_entity(c2_ip.as_str())),
                    ("Ip", "Related", "Source", ip_entity(office.0)),
                    ("CloudApplication", "Related", "Accessed", app_entity.clone()),
                ],
            );
            let t = read + 4 * MINUTE + self.rng.range(0, MINUTE);
            self.behavior(
                t,
                read,
                "ActivityFromAnonymousIP",
                "Activity from an anonymous IP address",
                &format!("{name} accessed the mailbox from {c2_ip}, a Tor exit node."),
                "InitialAccess",
                &["Valid Accounts (T1078)"],
                victim,
                vec![
                    ("Ip", "Related", "Source", ip_entity(c2_ip.as_str())),
                    ("CloudApplication", "Related", "Accessed", app_entity),
                ],
            );
        }

        // Sofia Lindqvist (Sales) visits a customer in Stockholm.
        let traveller = 7;
        let day = LAB_DAYS - 15;
        let stockholm = ("192.0.2.45", "SE", "Stockholm", "Telia Company AB");
        let first = self.time_on(day, true);
        let mut last = first;
        for (i, object) in ["Inbox", "Rates 2026.xlsx", "Inbox"]
            .into_iter()
            .enumerate()
        {
            let (app, action) = if object == "Inbox" {
                (EXCHANGE, "MailItemsAccessed")
            } else {
                (SHAREPOINT, "FileDownloaded")
            };
            last = first + i as i64 * 40 * MINUTE + self.rng.range(0, 20 * MINUTE);
            self.cloud_event(
                last,
                traveller,
                (app.0, app.1, action, object),
                stockholm,
                EDGE,
            );
        }
        let t = last + 12 * MINUTE + self.rng.range(0, MINUTE);
        let name = self.users[traveller].name;
        self.behavior(
            t,
            first,
            "ActivityFromInfrequentCountry",
            "Activity from infrequent country",
            &format!("{name} was active from SE, a country no one in the organization was active from recently."),
            "InitialAccess",
            &["Valid Accounts (T1078)"],
            traveller,
            vec![(
                "Ip",
                "Related",
                "Source",
                vec![("RemoteIP", stockholm.0.into())],
            )],
        );

        // Ethan Brooks (Sales Manager) downloads the team's folder before a review.
        let manager = 8;
        let day = LAB_DAYS - 7;
        let first = self.time_on(day, true);
        let mut t = first;
        let files = 60;
        for i in 0..files {
            t += self.rng.range(2 * SECOND, 15 * SECOND);
            let object = format!("Account plan {:02}.pptx", i + 1);
            self.cloud_event(
                t,
                manager,
                (SHAREPOINT.0, SHAREPOINT.1, "FileDownloaded", &object),
                office,
                EDGE,
            );
        }
        let name = self.users[manager].name;
        let done = t + 3 * MINUTE + self.rng.range(0, MINUTE);
        self.behavior(
            done,
            first,
            "MassDownload",
            "Mass download by a single user",
            &format!("{name} downloaded {files} files from SharePoint Online in one session."),
            "Collection",
            &["Data from Cloud Storage (T1530)"],
            manager,
            vec![(
                "CloudApplication",
                "Related",
                "Accessed",
                vec![
                    ("Application", SHAREPOINT.0.into()),
                    ("ApplicationId", Val::L(SHAREPOINT.1)),
                ],
            )],
        );
    }
}
