//! The lab data as hunting queries see it: Sentinel's `TimeGenerated`, and the tables public
//! hunting queries use finding what the lab planted.

use super::engine::{engine, run, shared};

/// A query of the shared corpus by its id.
fn corpus_query(id: &str) -> String {
    shared("corpus/defender-hunting-queries.jsonl")
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|entry| entry["id"] == id)
        .and_then(|entry| entry["query"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{id} is in the corpus"))
}

#[test]
fn sentinel_queries_can_use_time_generated() {
    for table in [
        "DeviceProcessEvents",
        "DeviceNetworkEvents",
        "EmailEvents",
        "IdentityLogonEvents",
        "IdentityQueryEvents",
        "CloudAppEvents",
        "AlertInfo",
        "DeviceFileCertificateInfo",
    ] {
        let query = format!(
            "{table} | summarize rows = count(), differ = countif(TimeGenerated != Timestamp or isnull(TimeGenerated)), recent = countif(TimeGenerated > ago(1d))"
        );
        let result = run(&query);
        assert_ne!(result.cell_text(0, 0).unwrap(), "0", "{table}");
        assert_eq!(result.cell_text(0, 1).unwrap(), "0", "{table}");
    }
    // A Sentinel-style query runs as it is.
    let result = run(
        "DeviceProcessEvents | where TimeGenerated > ago(30d) | where ProcessCommandLine has \"MiniDump\" | project TimeGenerated, DeviceName",
    );
    assert_eq!(result.row_count(), 1);
}

#[test]
fn the_analysis_knows_time_generated_for_the_lab_only() {
    // What completion and the live check are given: the active backend's tables.
    let columns = |tables: Vec<hunt::backend::TableInfo>| {
        let tables: Vec<_> = tables
            .into_iter()
            .map(hunt::backend::TableInfo::schema_table)
            .collect();
        let schema = hunt::kql::analysis::Schema::new(&tables);
        let text = "EmailEvents | where ";
        let root = hunt::kql::syntax::parse(text).syntax();
        hunt::kql::analysis::columns_at(&root, text.len(), &schema).unwrap()
    };
    let lab = columns(engine().catalog().table_infos());
    assert!(lab.contains(&("TimeGenerated".to_string(), "datetime".to_string())));
    let defender = columns(hunt::engine::Catalog::schema_only().unwrap().table_infos());
    assert!(defender.iter().any(|(name, _)| name == "Timestamp"));
    assert!(!defender.iter().any(|(name, _)| name == "TimeGenerated"));
}

#[test]
fn public_hunting_queries_find_what_the_lab_planted() {
    // (corpus id, what the lab holds for it)
    for (id, why) in [
        ("Discovery/MultipleLdaps.md#0", "the payload's LDAP burst"),
        (
            "Discovery/MultipleSensitiveLdaps.md#0",
            "the payload's LDAP burst",
        ),
        (
            "Discovery/SensitiveLdaps.md#0",
            "privileged groups looked up",
        ),
        (
            "Discovery/Roasting.md#0",
            "Kerberoasting and AS-REP roasting searches",
        ),
        (
            "Discovery/PasswordSearch.md#0",
            "passwords searched for in descriptions",
        ),
        (
            "Discovery/VulnComputers.md#0",
            "servers listed by operating system",
        ),
        (
            "Credential Access/Active Directory Sensitive Group Modifications.md#0",
            "svc-update added to Enterprise Admins",
        ),
        (
            "Campaigns/known-affected-software-orion[Nobelium].md#0",
            "app01's Orion build",
        ),
        (
            "Campaigns/possible-affected-software-orion[Nobelium].md#0",
            "app01's Orion build",
        ),
        (
            "Campaigns/compromised-certificate[Nobelium].md#0",
            "Orion signed with SolarWinds' certificate",
        ),
    ] {
        let result = run(&corpus_query(id));
        assert!(result.row_count() > 0, "{id} finds nothing; expected {why}");
    }
    // VLC with a known vulnerability on the sales and marketing workstations (the corpus query
    // then looks for .mkv files sent to their users, which the lab has none of).
    let result = run(
        "DeviceTvmSoftwareVulnerabilities | where SoftwareName contains \"vlc\" | summarize make_set(DeviceName), dcount(CveId)",
    );
    assert_eq!(result.cell_text(0, 1).unwrap(), "1");
    // The payload's certificate is not one Windows trusts.
    let result = run(
        "DeviceFileCertificateInfo | where IsTrusted == 0 | join kind=inner (DeviceProcessEvents | distinct SHA1, FileName) on SHA1 | distinct FileName, Signer | order by FileName asc",
    );
    let found: Vec<String> = (0..result.row_count())
        .map(|r| result.cell_text(r, 0).unwrap())
        .collect();
    assert_eq!(found, ["kx.exe", "updsvc.exe"]);
    // The command-and-control host was resolved through the domain controller.
    let result = run(
        "IdentityQueryEvents | where ActionType == \"DNS query\" and QueryTarget == \"cdn-update.kestrel-invoices.example\" | project DeviceName",
    );
    assert_eq!(result.cell_text(0, 0).unwrap(), "ws-0102.kestrel.local");
    // The new domain admin: created, then added, by the stolen admin account.
    let result = run(
        "IdentityDirectoryEvents | where TargetAccountDisplayName == \"svc-update\" | order by Timestamp asc | project ActionType, AccountName",
    );
    assert_eq!(result.row_count(), 3);
    assert_eq!(result.cell_text(0, 0).unwrap(), "User Account Created");
    assert_eq!(result.cell_text(0, 1).unwrap(), "adm-jchen");
    // Impossible travel for the victim, with the Tor exit among its entities.
    let result = run(
        "BehaviorInfo | where ActionType == \"ImpossibleTravelActivity\" | join kind=inner BehaviorEntities on BehaviorId | where EntityType == \"Ip\" | distinct AccountUpn, RemoteIP | order by RemoteIP asc",
    );
    assert_eq!(result.row_count(), 2);
    assert_eq!(
        result.cell_text(0, 0).unwrap(),
        "dwhitfield@kestrel.example"
    );
    assert_eq!(result.cell_text(0, 1).unwrap(), "185.220.101.47");
}
