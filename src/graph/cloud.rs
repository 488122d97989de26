//! The national clouds that offer advanced hunting through Microsoft Graph, and the checks on a
//! user-given endpoint. Facts: GRAPH.md's cloud table (from Microsoft's "National cloud
//! deployments" page for Graph and the Entra ID authority hosts).

use std::fmt;
use std::net::IpAddr;

/// A Microsoft cloud: where Graph and the sign-in service live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// The global service (commercial and GCC).
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    Dod,
    /// China, operated by 21Vianet: Graph has no `runHuntingQuery` there.
    China,
}

impl Cloud {
    /// Reads `global`, `usgov` (also `gcchigh`), `dod` or `china`.
    pub fn parse(name: &str) -> Result<Cloud, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "global" | "public" | "commercial" | "gcc" => Ok(Cloud::Global),
            "usgov" | "gcchigh" | "gcc-high" | "usgovl4" => Ok(Cloud::UsGov),
            "dod" | "usgovl5" => Ok(Cloud::Dod),
            "china" | "21vianet" => Ok(Cloud::China),
            other => Err(format!(
                "unknown cloud '{other}': use global, usgov (GCC High) or dod"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::Dod => "dod",
            Cloud::China => "china",
        }
    }

    /// The Graph host (`graph.microsoft.com`).
    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "graph.microsoft.com",
            Cloud::UsGov => "graph.microsoft.us",
            Cloud::Dod => "dod-graph.microsoft.us",
            Cloud::China => "microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The Entra ID sign-in host (`login.microsoftonline.com`).
    pub fn login_host(self) -> &'static str {
        match self {
            Cloud::Global => "login.microsoftonline.com",
            Cloud::UsGov | Cloud::Dod => "login.microsoftonline.us",
            Cloud::China => "login.chinacloudapi.cn",
        }
    }

    /// `https://{graph-host}`: the base the API version and path are added to.
    pub fn graph_base(self) -> String {
        format!("https://{}", self.graph_host())
    }

    /// `https://{login-host}`: the authority host token URLs hang from.
    pub fn authority_host(self) -> String {
        format!("https://{}", self.login_host())
    }

    /// The scope an application (client credentials, Azure CLI) asks for.
    pub fn app_scope(self) -> String {
        format!("https://{}/.default", self.graph_host())
    }

    /// The scopes a signed-in user (device code) asks for: hunting, and a refresh token.
    pub fn delegated_scopes(self) -> Vec<String> {
        vec![
            format!("https://{}/ThreatHunting.Read.All", self.graph_host()),
            "offline_access".to_string(),
        ]
    }

    /// `Err` with the reason when advanced hunting is not offered in this cloud.
    pub fn check_hunting(self) -> Result<(), String> {
        match self {
            Cloud::China => Err(
                "advanced hunting through Microsoft Graph (runHuntingQuery) is not offered in the China cloud (21Vianet); use the lab or your own files there"
                    .into(),
            ),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks a user-given base URL (`--endpoint`, `authority_host`): `https://` anywhere, `http://`
/// only to a loopback host (`127.0.0.0/8`, `::1`, `localhost`), so a token is never sent in the
/// clear over a network. Returns the URL without a trailing slash.
pub fn check_endpoint(url: &str) -> Result<String, String> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| format!("endpoint '{}': {e}", url.trim()))?;
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(format!(
                "endpoint '{url}': plain http is allowed only on loopback (127.0.0.1, ::1, localhost); use https"
            ));
        }
        other => return Err(format!("endpoint '{url}': scheme '{other}' is not http(s)")),
    }
    if host.is_empty() {
        return Err(format!("endpoint '{url}': no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "endpoint '{}': credentials in the URL are not accepted",
            parsed.host_str().unwrap_or_default()
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("endpoint '{url}': no query or fragment, please"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// Whether `host` (as a URL gives it; IPv6 in brackets) is this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where requests go, as the status line says it: the cloud's name for its own Graph endpoint,
/// else the endpoint's host (and port), so a test server or proxy never passes for a
/// production tenant.
pub fn place(cloud: Cloud, endpoint: &str) -> String {
    if endpoint == cloud.graph_base() {
        return cloud.to_string();
    }
    endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest)
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_have_their_hosts_and_china_is_refused() {
        assert_eq!(Cloud::parse("GCCHigh").unwrap(), Cloud::UsGov);
        assert_eq!(Cloud::Dod.graph_host(), "dod-graph.microsoft.us");
        assert_eq!(Cloud::Dod.login_host(), "login.microsoftonline.us");
        assert_eq!(
            Cloud::UsGov.app_scope(),
            "https://graph.microsoft.us/.default"
        );
        assert!(Cloud::Global.check_hunting().is_ok());
        let refused = Cloud::China.check_hunting().unwrap_err();
        assert!(refused.contains("not offered"), "{refused}");
        assert!(Cloud::parse("mars").unwrap_err().contains("global, usgov"));
    }

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        assert_eq!(
            check_endpoint("https://graph.example/").unwrap(),
            "https://graph.example"
        );
        assert!(check_endpoint("http://127.0.0.1:8080").is_ok());
        assert!(check_endpoint("http://[::1]:8080").is_ok());
        assert!(check_endpoint("http://localhost:1").is_ok());
        assert!(check_endpoint("http://10.0.0.5:8080").is_err());
        assert!(check_endpoint("http://127.0.0.1.evil.example").is_err());
        assert!(check_endpoint("ftp://127.0.0.1").is_err());
        assert!(check_endpoint("https://user:pw@graph.example").is_err());
        assert!(check_endpoint("not a url").is_err());
    }
}
