//! Network functions (IPv4 and IPv6 addresses, URLs and file paths): each a [`RowFunction`]
//! with its KQL page's examples as tests.
//!
//! Addresses may carry IP-prefix (CIDR) notation, `192.168.1.1/24`: the address is then
//! masked to its prefix, and functions comparing two addresses use the shortest prefix of
//! both (and of their optional prefix argument). Text that is not an address gives null (or
//! "" for string results), as the pages say.

use std::cmp::Ordering;
use std::net::Ipv6Addr;

use serde_json::{Map, Value as Json};

use super::{KqlValue, Param, Returns, RowFunction};
use crate::results::KqlType;

/// A row function that is not volatile.
const fn function(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    variadic: bool,
    returns: KqlType,
    eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
) -> RowFunction {
    RowFunction::new(
        name,
        params,
        required,
        variadic,
        Returns::Always(returns),
        eval,
    )
}

use KqlType::{Bool as B, Dynamic as D, Int as I, Long as L, String as S};
use Param::{Any, Integer, Text};

/// The network functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[
    function("ipv4_is_private", &[Text], 1, false, B, ipv4_is_private),
    function(
        "ipv4_is_in_range",
        &[Text, Text],
        2,
        false,
        B,
        ipv4_is_in_range,
    ),
    function(
        "ipv4_is_in_any_range",
        &[Text, Any],
        2,
        true,
        B,
        ipv4_is_in_any_range,
    ),
    function(
        "ipv4_is_match",
        &[Text, Text, Integer],
        2,
        false,
        B,
        ipv4_is_match,
    ),
    function(
        "ipv4_compare",
        &[Text, Text, Integer],
        2,
        false,
        L,
        ipv4_compare,
    ),
    function("parse_ipv4", &[Text], 1, false, L, parse_ipv4),
    function(
        "parse_ipv4_mask",
        &[Text, Integer],
        2,
        false,
        L,
        parse_ipv4_mask,
    ),
    function("format_ipv4", &[Any, Integer], 1, false, S, |a| {
        format_ipv4(a, false)
    }),
    function("format_ipv4_mask", &[Any, Integer], 1, false, S, |a| {
        format_ipv4(a, true)
    }),
    function(
        "ipv4_netmask_suffix",
        &[Text],
        1,
        false,
        I,
        ipv4_netmask_suffix,
    ),
    function(
        "ipv6_compare",
        &[Text, Text, Integer],
        2,
        false,
        L,
        ipv6_compare,
    ),
    function(
        "ipv6_is_match",
        &[Text, Text, Integer],
        2,
        false,
        B,
        ipv6_is_match,
    ),
    function("parse_ipv6", &[Text], 1, false, S, parse_ipv6),
    function(
        "parse_ipv6_mask",
        &[Text, Integer],
        2,
        false,
        S,
        parse_ipv6_mask,
    ),
    function(
        "ipv6_is_in_range",
        &[Text, Text],
        2,
        false,
        B,
        ipv6_is_in_range,
    ),
    function(
        "ipv6_is_in_any_range",
        &[Text, Any],
        2,
        true,
        B,
        ipv6_is_in_any_range,
    ),
    function("has_ipv4", &[Text, Text], 2, false, B, has_ipv4),
    function(
        "has_ipv4_prefix",
        &[Text, Text],
        2,
        false,
        B,
        has_ipv4_prefix,
    ),
    function("has_any_ipv4", &[Text, Any], 2, true, B, has_any_ipv4),
    function(
        "has_any_ipv4_prefix",
        &[Text, Any],
        2,
        true,
        B,
        has_any_ipv4_prefix,
    ),
    function("parse_url", &[Text], 1, false, D, parse_url),
    function("parse_urlquery", &[Text], 1, false, D, parse_urlquery),
    function("parse_path", &[Text], 1, false, D, parse_path),
];

fn null() -> Result<KqlValue, String> {
    Ok(KqlValue::Null)
}

fn boolean(value: Option<bool>) -> Result<KqlValue, String> {
    Ok(value.map_or(KqlValue::Null, KqlValue::Bool))
}

fn ordering(value: Option<Ordering>) -> Result<KqlValue, String> {
    Ok(value.map_or(KqlValue::Null, |order| {
        KqlValue::Long(match order {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        })
    }))
}

// ---- IPv4 -------------------------------------------------------------------------------

/// An IPv4 address in dotted decimal: four parts of 1 to 3 digits, each at most 255.
fn ipv4_address(text: &str) -> Option<u32> {
    let mut value: u32 = 0;
    let mut parts = 0;
    for part in text.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u32 = part.parse().ok()?;
        parts += 1;
        if octet > 255 || parts > 4 {
            return None;
        }
        value = (value << 8) | octet;
    }
    (parts == 4).then_some(value)
}

/// The prefix length after `/`: 1 to 3 digits, at most `max`.
fn prefix_length(text: &str, max: u32) -> Option<u32> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n <= max)
}

/// The netmask of an IPv4 prefix length (0 to 32).
fn mask4(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix.min(32)).unwrap_or(0)
}

/// An IPv4 address with optional IP-prefix notation: the address masked to its prefix, and
/// the prefix (32 without one).
fn ipv4(text: &str) -> Option<(u32, u32)> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, prefix_length(prefix, 32)?),
        None => (text, 32),
    };
    let address = ipv4_address(address)?;
    Some((address & mask4(prefix), prefix))
}

/// The optional prefix argument at `index`: `max` when absent, `None` when null or out of
/// `0..=max` (the result is then null).
fn prefix_argument(args: &[KqlValue], index: usize, max: u32) -> Option<u32> {
    match args.get(index) {
        None => Some(max),
        Some(value) => value
            .as_long()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= max),
    }
}

/// The two addresses of `args[0]` and `args[1]` masked to the shortest of their prefixes and
/// the optional prefix argument `args[2]`.
fn ipv4_pair(args: &[KqlValue]) -> Option<(u32, u32)> {
    let (a, a_prefix) = ipv4(&args[0].to_text())?;
    let (b, b_prefix) = ipv4(&args[1].to_text())?;
    let mask = mask4(prefix_argument(args, 2, 32)?.min(a_prefix).min(b_prefix));
    Some((a & mask, b & mask))
}

/// `ipv4_is_private(ip)` (ipv4-is-private-function.md): in 10.0.0.0/8, 172.16.0.0/12 or
/// 192.168.0.0/16.
fn ipv4_is_private(args: &[KqlValue]) -> Result<KqlValue, String> {
    boolean(ipv4(&args[0].to_text()).map(|(a, _)| {
        a & mask4(8) == 0x0a00_0000 || a & mask4(12) == 0xac10_0000 || a & mask4(16) == 0xc0a8_0000
    }))
}

/// Whether `address` (already masked to its own prefix) is in `range`.
fn in_ipv4_range(address: u32, range: &str) -> Option<bool> {
    let (network, prefix) = ipv4(range)?;
    Some(address & mask4(prefix) == network)
}

/// `ipv4_is_in_range(ip, range)` (ipv4-is-in-range-function.md).
fn ipv4_is_in_range(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some((address, _)) = ipv4(&args[0].to_text()) else {
        return null();
    };
    boolean(in_ipv4_range(address, &args[1].to_text()))
}

/// The texts of a variadic list of strings or of one dynamic array of strings (an item that
/// is not a string is kept as None).
fn text_list(args: &[KqlValue]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for arg in args {
        match arg {
            KqlValue::Dynamic(Json::Array(items)) => {
                out.extend(items.iter().map(|item| item.as_str().map(str::to_string)));
            }
            KqlValue::Null => out.push(None),
            other => out.push(Some(other.to_text())),
        }
    }
    out
}

/// Whether `address` is in any of `ranges`: true on a match; otherwise null when a range is
/// not an address, false when none matched.
fn in_any_range(
    ranges: &[Option<String>],
    in_range: impl Fn(&str) -> Option<bool>,
) -> Option<bool> {
    let mut unreadable = false;
    for range in ranges {
        match range.as_deref().and_then(&in_range) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unreadable = true,
        }
    }
    (!unreadable).then_some(false)
}

/// `ipv4_is_in_any_range(ip, range, …)` or `(ip, ranges)` (ipv4-is-in-any-range-function.md).
fn ipv4_is_in_any_range(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some((address, _)) = ipv4(&args[0].to_text()) else {
        return null();
    };
    boolean(in_any_range(&text_list(&args[1..]), |range| {
        in_ipv4_range(address, range)
    }))
}

/// `ipv4_is_match(ip1, ip2[, prefix])` (ipv4-is-match-function.md).
fn ipv4_is_match(args: &[KqlValue]) -> Result<KqlValue, String> {
    boolean(ipv4_pair(args).map(|(a, b)| a == b))
}

/// `ipv4_compare(ip1, ip2[, prefix])` (ipv4-compare-function.md): -1, 0 or 1.
fn ipv4_compare(args: &[KqlValue]) -> Result<KqlValue, String> {
    ordering(ipv4_pair(args).map(|(a, b)| a.cmp(&b)))
}

/// `parse_ipv4(ip)` (parse-ipv4-function.md): the address as a long, masked to its prefix.
fn parse_ipv4(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(ipv4(&args[0].to_text()).map_or(KqlValue::Null, |(a, _)| KqlValue::Long(i64::from(a))))
}

/// `parse_ipv4_mask(ip, prefix)` (parse-ipv4-mask-function.md).
fn parse_ipv4_mask(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some((address, own)), Some(prefix)) =
        (ipv4(&args[0].to_text()), prefix_argument(args, 1, 32))
    else {
        return null();
    };
    Ok(KqlValue::Long(i64::from(address & mask4(prefix.min(own)))))
}

fn dotted(address: u32) -> String {
    let [a, b, c, d] = address.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// `format_ipv4(ip[, prefix])` and `format_ipv4_mask(ip[, prefix])` (format-ipv4-function.md,
/// format-ipv4-mask-function.md): the address (a string, or a long in big-endian order)
/// masked to the shorter of its prefix and `prefix`, with `/prefix` for the mask form; "" when
/// either is not valid.
fn format_ipv4(args: &[KqlValue], with_mask: bool) -> Result<KqlValue, String> {
    let address = match &args[0] {
        KqlValue::Long(_) | KqlValue::Dynamic(Json::Number(_)) => args[0]
            .as_long()
            .and_then(|n| u32::try_from(n).ok())
            .map(|a| (a, 32)),
        other => ipv4(&other.to_text()),
    };
    let (Some((address, own)), Some(prefix)) = (address, prefix_argument(args, 1, 32)) else {
        return Ok(KqlValue::String(String::new()));
    };
    let prefix = prefix.min(own);
    let text = dotted(address & mask4(prefix));
    Ok(KqlValue::String(if with_mask {
        format!("{text}/{prefix}")
    } else {
        text
    }))
}

/// `ipv4_netmask_suffix(ip)` (ipv4-netmask-suffix-function.md): the prefix, 32 without one.
fn ipv4_netmask_suffix(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(ipv4(&args[0].to_text()).map_or(KqlValue::Null, |(_, p)| KqlValue::Long(i64::from(p))))
}

// ---- IPv6 -------------------------------------------------------------------------------

/// Where an IPv4 address sits in IPv6 (`::ffff:a.b.c.d`).
const IPV4_MAPPED: u128 = 0xffff << 32;

/// The netmask of an IPv6 prefix length (0 to 128).
fn mask6(prefix: u32) -> u128 {
    u128::MAX.checked_shl(128 - prefix.min(128)).unwrap_or(0)
}

/// An IPv6 or IPv4 address with optional IP-prefix notation, as IPv6: the address masked to
/// its prefix, and the prefix (128 without one). IPv4 addresses, and IPv6 ones written with a
/// dotted IPv4 tail such as `::192.168.1.1`, are IPv4-mapped (`::ffff:192.168.1.1`) and their
/// prefix counts IPv4 bits, as the pages' examples show (`::192.168.255.255/24` is /120).
fn ipv6(text: &str) -> Option<(u128, u32)> {
    let (address, suffix) = match text.split_once('/') {
        Some((address, suffix)) => (address, Some(suffix)),
        None => (text, None),
    };
    let dotted = address.contains('.');
    let value = match ipv4_address(address) {
        Some(v4) => IPV4_MAPPED | u128::from(v4),
        None => {
            let value = u128::from(address.parse::<Ipv6Addr>().ok()?);
            if dotted && value >> 32 == 0 {
                value | IPV4_MAPPED
            } else {
                value
            }
        }
    };
    let prefix = match suffix {
        None => 128,
        Some(suffix) if dotted => 96 + prefix_length(suffix, 32)?,
        Some(suffix) => prefix_length(suffix, 128)?,
    };
    Some((value & mask6(prefix), prefix))
}

fn ipv6_pair(args: &[KqlValue]) -> Option<(u128, u128)> {
    let (a, a_prefix) = ipv6(&args[0].to_text())?;
    let (b, b_prefix) = ipv6(&args[1].to_text())?;
    let mask = mask6(prefix_argument(args, 2, 128)?.min(a_prefix).min(b_prefix));
    Some((a & mask, b & mask))
}

/// The canonical IPv6 text: eight groups of four hex digits.
fn canonical_ipv6(value: u128) -> String {
    value
        .to_be_bytes()
        .chunks_exact(2)
        .map(|pair| format!("{:02x}{:02x}", pair[0], pair[1]))
        .collect::<Vec<_>>()
        .join(":")
}

/// `ipv6_compare(ip1, ip2[, prefix])` (ipv6-compare-function.md): -1, 0 or 1.
fn ipv6_compare(args: &[KqlValue]) -> Result<KqlValue, String> {
    ordering(ipv6_pair(args).map(|(a, b)| a.cmp(&b)))
}

/// `ipv6_is_match(ip1, ip2[, prefix])` (ipv6-is-match-function.md).
fn ipv6_is_match(args: &[KqlValue]) -> Result<KqlValue, String> {
    boolean(ipv6_pair(args).map(|(a, b)| a == b))
}

/// `parse_ipv6(ip)` (parse-ipv6-function.md): the canonical IPv6 text, "" when not an address.
fn parse_ipv6(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(KqlValue::String(
        ipv6(&args[0].to_text()).map_or_else(String::new, |(a, _)| canonical_ipv6(a)),
    ))
}

/// `parse_ipv6_mask(ip, prefix)` (parse-ipv6-mask-function.md).
fn parse_ipv6_mask(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some((address, own)), Some(prefix)) =
        (ipv6(&args[0].to_text()), prefix_argument(args, 1, 128))
    else {
        return Ok(KqlValue::String(String::new()));
    };
    Ok(KqlValue::String(canonical_ipv6(
        address & mask6(prefix.min(own)),
    )))
}

fn in_ipv6_range(address: u128, range: &str) -> Option<bool> {
    let (network, prefix) = ipv6(range)?;
    Some(address & mask6(prefix) == network)
}

/// `ipv6_is_in_range(ip, range)` (ipv6-is-in-range-function.md).
fn ipv6_is_in_range(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some((address, _)) = ipv6(&args[0].to_text()) else {
        return null();
    };
    boolean(in_ipv6_range(address, &args[1].to_text()))
}

/// `ipv6_is_in_any_range(ip, range, …)` or `(ip, ranges)` (ipv6-is-in-any-range-function.md).
fn ipv6_is_in_any_range(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some((address, _)) = ipv6(&args[0].to_text()) else {
        return null();
    };
    boolean(in_any_range(&text_list(&args[1..]), |range| {
        in_ipv6_range(address, range)
    }))
}

// ---- IPv4 addresses in text -------------------------------------------------------------

/// The IPv4 addresses written in `text`, each delimited by characters that are neither
/// letters nor digits (has-ipv4-function.md): a run of digits and dots, without dots at its
/// ends (a sentence's full stop), that is a valid address.
fn ipv4_in_text(text: &str) -> impl Iterator<Item = u32> + '_ {
    let bytes = text.as_bytes();
    let is_part = |b: u8| b.is_ascii_digit() || b == b'.';
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            if !is_part(bytes[at]) {
                at += 1;
                continue;
            }
            let start = at;
            while at < bytes.len() && is_part(bytes[at]) {
                at += 1;
            }
            // ASCII digits and dots are whole characters, so these are character boundaries.
            let delimited = text[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
                && text[at..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
            if delimited && let Some(address) = ipv4_address(text[start..at].trim_matches('.')) {
                return Some(address);
            }
        }
        None
    })
}

/// An IPv4 prefix of has_ipv4_prefix (has-ipv4-prefix-function.md): a whole address, or one to
/// three octets each followed by a dot; its value and mask.
fn ipv4_prefix(text: &str) -> Option<(u32, u32)> {
    if let Some(address) = ipv4_address(text) {
        return Some((address, u32::MAX));
    }
    let octets = text.strip_suffix('.')?;
    let parts: Vec<&str> = octets.split('.').collect();
    if parts.len() > 3 {
        return None;
    }
    let mut value: u32 = 0;
    for part in &parts {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u32 = part.parse().ok().filter(|o| *o <= 255)?;
        value = (value << 8) | octet;
    }
    let bits = 8 * u32::try_from(parts.len()).ok()?;
    Some((value << (32 - bits), mask4(bits)))
}

/// Whether an address of `text` matches any of the `(value, mask)` patterns; false without a
/// valid pattern.
fn text_has(text: &str, patterns: &[(u32, u32)]) -> bool {
    !patterns.is_empty()
        && ipv4_in_text(text).any(|a| patterns.iter().any(|(value, mask)| a & mask == *value))
}

/// `has_ipv4(source, ip)` (has-ipv4-function.md).
fn has_ipv4(args: &[KqlValue]) -> Result<KqlValue, String> {
    let patterns: Vec<(u32, u32)> = ipv4_address(&args[1].to_text())
        .map(|a| (a, u32::MAX))
        .into_iter()
        .collect();
    Ok(KqlValue::Bool(text_has(&args[0].to_text(), &patterns)))
}

/// `has_ipv4_prefix(source, prefix)` (has-ipv4-prefix-function.md).
fn has_ipv4_prefix(args: &[KqlValue]) -> Result<KqlValue, String> {
    let patterns: Vec<(u32, u32)> = ipv4_prefix(&args[1].to_text()).into_iter().collect();
    Ok(KqlValue::Bool(text_has(&args[0].to_text(), &patterns)))
}

/// `has_any_ipv4(source, ip, …)` or `(source, ips)` (has-any-ipv4-function.md); addresses that
/// are not valid are skipped.
fn has_any_ipv4(args: &[KqlValue]) -> Result<KqlValue, String> {
    let patterns: Vec<(u32, u32)> = text_list(&args[1..])
        .iter()
        .filter_map(|ip| ipv4_address(ip.as_deref()?))
        .map(|a| (a, u32::MAX))
        .collect();
    Ok(KqlValue::Bool(text_has(&args[0].to_text(), &patterns)))
}

/// `has_any_ipv4_prefix(source, prefix, …)` or `(source, prefixes)`
/// (has-any-ipv4-prefix-function.md); prefixes that are not valid are skipped.
fn has_any_ipv4_prefix(args: &[KqlValue]) -> Result<KqlValue, String> {
    let patterns: Vec<(u32, u32)> = text_list(&args[1..])
        .iter()
        .filter_map(|prefix| ipv4_prefix(prefix.as_deref()?))
        .collect();
    Ok(KqlValue::Bool(text_has(&args[0].to_text(), &patterns)))
}

// ---- URLs and paths ---------------------------------------------------------------------

/// Whether `scheme` is a URL scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The query parameters of `query` (`k1=v1&k2=v2`) as a bag of strings, as they are written
/// (not URL-decoded); a key without `=` has the value "", a repeated key its last value.
fn query_parameters(query: &str) -> Map<String, Json> {
    let mut out = Map::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(key.to_string(), Json::from(value));
    }
    out
}

/// The parts of an absolute URL, in the page's order; `None` when it is not one.
fn url_parts(url: &str) -> Option<Map<String, Json>> {
    let (scheme, rest) = url.split_once("://")?;
    if !is_scheme(scheme) {
        return None;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    // The page's example gives the path without its leading slash: "this/is/a/path".
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (username, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = if host_port.starts_with('[') {
        // An IPv6 literal keeps its brackets; a port may follow them.
        let close = host_port.find(']')?;
        let after = &host_port[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => port,
            None if after.is_empty() => "",
            None => return None,
        };
        (&host_port[..=close], port)
    } else {
        host_port.rsplit_once(':').unwrap_or((host_port, ""))
    };
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(url_bag(
        [scheme, host, port, path, username, password],
        query_parameters(query),
        fragment,
    ))
}

fn url_bag(parts: [&str; 6], query: Map<String, Json>, fragment: &str) -> Map<String, Json> {
    let [scheme, host, port, path, username, password] = parts;
    let mut out = Map::new();
    out.insert("Scheme".into(), Json::from(scheme));
    out.insert("Host".into(), Json::from(host));
    out.insert("Port".into(), Json::from(port));
    out.insert("Path".into(), Json::from(path));
    out.insert("Username".into(), Json::from(username));
    out.insert("Password".into(), Json::from(password));
    out.insert("Query Parameters".into(), Json::Object(query));
    out.insert("Fragment".into(), Json::from(fragment));
    out
}

/// `parse_url(url)` (parse-url-function.md): a bag of Scheme, Host, Port, Path, Username,
/// Password, Query Parameters (a bag) and Fragment; every part empty when the text is not an
/// absolute URL.
fn parse_url(args: &[KqlValue]) -> Result<KqlValue, String> {
    let parts = url_parts(&args[0].to_text()).unwrap_or_else(|| url_bag([""; 6], Map::new(), ""));
    Ok(KqlValue::Dynamic(Json::Object(parts)))
}

/// `parse_urlquery(query)` (parse-url-query-function.md): `{"Query Parameters": {…}}`.
fn parse_urlquery(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let query = text.strip_prefix('?').unwrap_or(&text);
    let mut out = Map::new();
    out.insert(
        "Query Parameters".into(),
        Json::Object(query_parameters(query)),
    );
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

/// `parse_path(path)` (parse-path-function.md): a bag of Scheme, RootPath, DirectoryPath,
/// DirectoryName, Filename, Extension and AlternateDataStreamName, for paths with either
/// slash, a scheme (`file://`), a share (`\\server\…`), a long-path prefix (`\\?\C:\…`) or an
/// alternate data stream (`file.exe:stream`).
fn parse_path(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let (scheme, rest) = match text.split_once("://") {
        // One letter before `:` is a drive, not a scheme.
        Some((scheme, rest)) if scheme.len() > 1 && is_scheme(scheme) => (scheme, rest),
        _ => ("", text.as_str()),
    };
    let body = rest.strip_prefix(r"\\?\").unwrap_or(rest);
    let root = match body.as_bytes() {
        [letter, b':', ..] if letter.is_ascii_alphabetic() => &body[..2],
        _ => "",
    };
    let (directory, name) = match rest.rfind(['/', '\\']) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        // `C:file.txt`: the drive is the directory.
        None if !root.is_empty() => (root, &rest[2..]),
        None => ("", rest),
    };
    let (filename, stream) = name.split_once(':').unwrap_or((name, ""));
    let extension = filename.rsplit_once('.').map_or("", |(_, ext)| ext);
    let directory_name = directory.rsplit(['/', '\\']).next().unwrap_or("");
    let mut out = Map::new();
    for (key, value) in [
        ("Scheme", scheme),
        ("RootPath", root),
        ("DirectoryPath", directory),
        ("DirectoryName", directory_name),
        ("Filename", filename),
        ("Extension", extension),
        ("AlternateDataStreamName", stream),
    ] {
        out.insert(key.into(), Json::from(value));
    }
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;
    use serde_json::json;

    const T: KqlValue = KqlValue::Bool(true);
    const F: KqlValue = KqlValue::Bool(false);
    const N: KqlValue = KqlValue::Null;

    fn long(n: i64) -> KqlValue {
        KqlValue::Long(n)
    }

    fn d(json: Json) -> KqlValue {
        KqlValue::dynamic(json)
    }

    #[test]
    fn ipv4_is_private_page() {
        assert_eq!(call("ipv4_is_private", &[s("192.168.1.1/24")]), T);
        assert_eq!(call("ipv4_is_private", &[s("10.1.2.3/24")]), T);
        assert_eq!(call("ipv4_is_private", &[s("10.1.2.3")]), T);
        assert_eq!(call("ipv4_is_private", &[s("202.1.2.3")]), F);
        assert_eq!(call("ipv4_is_private", &[s("127.0.0.1")]), F);
        assert_eq!(call("ipv4_is_private", &[s("172.31.255.255")]), T);
        assert_eq!(call("ipv4_is_private", &[s("172.32.0.0")]), F);
        assert_eq!(call("ipv4_is_private", &[s("not an ip")]), N);
        assert_eq!(call("ipv4_is_private", &[s("10.0.0.1/33")]), N);
        assert_eq!(call("ipv4_is_private", &[s("")]), N);
    }

    #[test]
    fn ipv4_ranges_pages() {
        assert_eq!(
            call("ipv4_is_in_range", &[s("192.168.1.1"), s("192.168.1.1")]),
            T
        );
        assert_eq!(
            call(
                "ipv4_is_in_range",
                &[s("192.168.1.1"), s("192.168.1.255/24")]
            ),
            T
        );
        assert_eq!(
            call(
                "ipv4_is_in_range",
                &[s("192.168.2.1"), s("192.168.1.255/24")]
            ),
            F
        );
        assert_eq!(call("ipv4_is_in_range", &[s("192.168.2.1"), s("x")]), N);
        assert_eq!(call("ipv4_is_in_range", &[s("x"), s("10.0.0.0/8")]), N);
        let any = |args: &[KqlValue]| call("ipv4_is_in_any_range", args);
        assert_eq!(
            any(&[
                s("192.168.1.6"),
                s("192.168.1.1/24"),
                s("10.0.0.1/8"),
                s("127.1.0.1/16")
            ]),
            T
        );
        assert_eq!(
            any(&[s("127.0.0.1"), d(json!(["127.0.0.1", "192.168.1.1"]))]),
            T
        );
        let local = d(json!(["192.168.1.1/16", "127.0.0.1/8", "10.0.0.1/8"]));
        assert_eq!(any(&[s("10.1.2.3"), local.clone()]), T);
        assert_eq!(any(&[s("192.168.1.5"), local.clone()]), T);
        assert_eq!(any(&[s("123.1.11.21"), local.clone()]), F);
        assert_eq!(any(&[s("1.1.1.1"), local]), F);
        // A range that is not an address: null unless another matched.
        assert_eq!(any(&[s("1.1.1.1"), s("bad"), s("1.0.0.0/8")]), T);
        assert_eq!(any(&[s("1.1.1.1"), s("bad"), s("2.0.0.0/8")]), N);
        assert_eq!(any(&[s("1.1.1.1"), d(json!([]))]), F);
    }

    #[test]
    fn ipv4_match_and_compare_pages() {
        for (a, b) in [
            ("192.168.1.0", "192.168.1.0"),
            ("192.168.1.1/24", "192.168.1.255"),
            ("192.168.1.1", "192.168.1.255/24"),
            ("192.168.1.1/30", "192.168.1.255/24"),
        ] {
            assert_eq!(call("ipv4_is_match", &[s(a), s(b)]), T, "{a} {b}");
            assert_eq!(call("ipv4_compare", &[s(a), s(b)]), long(0), "{a} {b}");
        }
        for (a, b, p) in [
            ("192.168.1.1", "192.168.1.0", 31),
            ("192.168.1.1/24", "192.168.1.255", 31),
            ("192.168.1.1", "192.168.1.255", 24),
        ] {
            assert_eq!(call("ipv4_is_match", &[s(a), s(b), long(p)]), T, "{a} {b}");
            assert_eq!(
                call("ipv4_compare", &[s(a), s(b), long(p)]),
                long(0),
                "{a} {b}"
            );
        }
        assert_eq!(
            call("ipv4_is_match", &[s("192.168.1.1/24"), s("192.168.1.255")]),
            T
        );
        assert_eq!(
            call("ipv4_compare", &[s("10.0.0.1"), s("10.0.0.2")]),
            long(-1)
        );
        assert_eq!(
            call("ipv4_compare", &[s("10.0.0.3"), s("10.0.0.2")]),
            long(1)
        );
        assert_eq!(call("ipv4_is_match", &[s("10.0.0.3"), s("10.0.0.2")]), F);
        assert_eq!(
            call("ipv4_compare", &[s("10.0.0.3"), s("10.0.0.2"), long(33)]),
            N
        );
        assert_eq!(
            call("ipv4_compare", &[s("10.0.0.3"), s("10.0.0.2"), long(-1)]),
            N
        );
        assert_eq!(call("ipv4_compare", &[s("10.0.0.3"), s("10.0.0.2"), N]), N);
        assert_eq!(
            call("ipv4_compare", &[s("10.0.0.3"), s("10.0.0.2"), long(0)]),
            long(0)
        );
        assert_eq!(call("ipv4_is_match", &[s("10.0.0.256"), s("10.0.0.2")]), N);
    }

    #[test]
    fn parse_ipv4_pages() {
        assert_eq!(call("parse_ipv4", &[s("192.168.1.1")]), long(3_232_235_777));
        assert_eq!(
            call("parse_ipv4", &[s("192.168.1.1/24")]),
            long(3_232_235_776)
        );
        assert_eq!(
            call("parse_ipv4", &[s("255.255.255.255/31")]),
            long(4_294_967_294)
        );
        assert_eq!(call("parse_ipv4", &[s("0.0.0.0/0")]), long(0));
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.256",
            "1.2.3.4/",
            "1.2.3.4/x",
            "1..2.3",
            " 1.2.3.4",
            "1.2.3.4/0024",
        ] {
            assert_eq!(call("parse_ipv4", &[s(bad)]), N, "{bad}");
        }
        assert_eq!(
            call("parse_ipv4_mask", &[s("127.0.0.1"), long(24)]),
            long(2_130_706_432)
        );
        assert_eq!(
            call("parse_ipv4_mask", &[s("192.168.1.1/24"), long(32)]),
            long(3_232_235_776)
        );
        assert_eq!(call("parse_ipv4_mask", &[s("127.0.0.1"), long(33)]), N);
        assert_eq!(call("ipv4_netmask_suffix", &[s("10.1.2.3")]), long(32));
        assert_eq!(
            call("ipv4_netmask_suffix", &[s("192.168.1.1/24")]),
            long(24)
        );
        assert_eq!(call("ipv4_netmask_suffix", &[s("127.0.0.1/16")]), long(16));
        assert_eq!(call("ipv4_netmask_suffix", &[s("127.0.0.1/40")]), N);
    }

    #[test]
    fn format_ipv4_pages() {
        for (address, mask, plain, with_mask) in [
            ("192.168.1.1", 24, "192.168.1.0", "192.168.1.0/24"),
            ("192.168.1.1", 32, "192.168.1.1", "192.168.1.1/32"),
            ("192.168.1.1/24", 32, "192.168.1.0", "192.168.1.0/24"),
            ("192.168.1.1/24", -1, "", ""),
        ] {
            assert_eq!(call("format_ipv4", &[s(address), long(mask)]), s(plain));
            assert_eq!(
                call("format_ipv4_mask", &[s(address), long(mask)]),
                s(with_mask)
            );
        }
        assert_eq!(
            call("format_ipv4", &[long(3_232_235_777)]),
            s("192.168.1.1")
        );
        assert_eq!(
            call("format_ipv4_mask", &[long(3_232_235_777)]),
            s("192.168.1.1/32")
        );
        assert_eq!(call("format_ipv4", &[long(-1)]), s(""));
        assert_eq!(call("format_ipv4", &[long(1 << 40)]), s(""));
        assert_eq!(call("format_ipv4", &[s("bad")]), s(""));
    }

    #[test]
    fn ipv6_compare_and_match_pages() {
        for (a, b) in [
            ("192.168.1.1", "192.168.1.1"),
            ("192.168.1.1/24", "192.168.1.255"),
            ("192.168.1.1", "192.168.1.255/24"),
            ("192.168.1.1/30", "192.168.1.255/24"),
            ("fe80::85d:e82c:9446:7994", "fe80::85d:e82c:9446:7994"),
            ("fe80::85d:e82c:9446:7994/120", "fe80::85d:e82c:9446:7998"),
            ("fe80::85d:e82c:9446:7994", "fe80::85d:e82c:9446:7998/120"),
            (
                "fe80::85d:e82c:9446:7994/120",
                "fe80::85d:e82c:9446:7998/120",
            ),
            ("192.168.1.1", "::ffff:c0a8:0101"),
            ("192.168.1.1/24", "::ffff:c0a8:01ff"),
            ("::ffff:c0a8:0101", "192.168.1.255/24"),
            ("::192.168.1.1/30", "192.168.1.255/24"),
        ] {
            assert_eq!(call("ipv6_compare", &[s(a), s(b)]), long(0), "{a} {b}");
            assert_eq!(call("ipv6_is_match", &[s(a), s(b)]), T, "{a} {b}");
        }
        for (a, b, p) in [
            ("192.168.1.1", "192.168.1.0", 31),
            ("192.168.1.1/24", "192.168.1.255", 31),
            ("192.168.1.1", "192.168.1.255", 24),
            ("fe80::85d:e82c:9446:7994", "fe80::85d:e82c:9446:7995", 127),
            (
                "fe80::85d:e82c:9446:7994/127",
                "fe80::85d:e82c:9446:7998",
                120,
            ),
            (
                "fe80::85d:e82c:9446:7994/120",
                "fe80::85d:e82c:9446:7998",
                127,
            ),
            ("192.168.1.1/24", "::ffff:c0a8:01ff", 127),
            ("::ffff:c0a8:0101", "192.168.1.255", 120),
            ("::192.168.1.1/30", "192.168.1.255/24", 127),
        ] {
            assert_eq!(
                call("ipv6_compare", &[s(a), s(b), long(p)]),
                long(0),
                "{a} {b} {p}"
            );
            assert_eq!(
                call("ipv6_is_match", &[s(a), s(b), long(p)]),
                T,
                "{a} {b} {p}"
            );
        }
        assert_eq!(call("ipv6_compare", &[s("::1"), s("::2")]), long(-1));
        assert_eq!(call("ipv6_compare", &[s("fe80::1"), s("::2")]), long(1));
        assert_eq!(call("ipv6_is_match", &[s("::1"), s("::2")]), F);
        assert_eq!(call("ipv6_is_match", &[s("::1"), s("::2"), long(129)]), N);
        assert_eq!(call("ipv6_is_match", &[s("::1"), s("nope")]), N);
        assert_eq!(call("ipv6_is_match", &[s("::1/129"), s("::1")]), N);
        assert_eq!(call("ipv6_is_match", &[s("1.2.3.4/33"), s("1.2.3.4")]), N);
    }

    #[test]
    fn parse_ipv6_pages() {
        assert_eq!(
            call("parse_ipv6", &[s("192.168.255.255")]),
            s("0000:0000:0000:0000:0000:ffff:c0a8:ffff")
        );
        assert_eq!(
            call("parse_ipv6", &[s("192.168.255.255/24")]),
            s("0000:0000:0000:0000:0000:ffff:c0a8:ff00")
        );
        assert_eq!(
            call("parse_ipv6", &[s("255.255.255.255")]),
            s("0000:0000:0000:0000:0000:ffff:ffff:ffff")
        );
        assert_eq!(
            call("parse_ipv6", &[s("::1")]),
            s("0000:0000:0000:0000:0000:0000:0000:0001")
        );
        assert_eq!(call("parse_ipv6", &[s("fe80::1%eth0")]), s(""));
        assert_eq!(call("parse_ipv6", &[s("")]), s(""));
        for (ip, mask, expected) in [
            (
                "192.168.255.255",
                120,
                "0000:0000:0000:0000:0000:ffff:c0a8:ff00",
            ),
            (
                "192.168.255.255/24",
                124,
                "0000:0000:0000:0000:0000:ffff:c0a8:ff00",
            ),
            (
                "255.255.255.255",
                128,
                "0000:0000:0000:0000:0000:ffff:ffff:ffff",
            ),
            (
                "fe80::85d:e82c:9446:7994",
                128,
                "fe80:0000:0000:0000:085d:e82c:9446:7994",
            ),
            (
                "fe80::85d:e82c:9446:7994/120",
                124,
                "fe80:0000:0000:0000:085d:e82c:9446:7900",
            ),
            (
                "::192.168.255.255",
                128,
                "0000:0000:0000:0000:0000:ffff:c0a8:ffff",
            ),
            (
                "::192.168.255.255/24",
                128,
                "0000:0000:0000:0000:0000:ffff:c0a8:ff00",
            ),
        ] {
            assert_eq!(
                call("parse_ipv6_mask", &[s(ip), long(mask)]),
                s(expected),
                "{ip}"
            );
        }
        assert_eq!(
            call("parse_ipv6_mask", &[s("::1"), long(0)]),
            s("0000:0000:0000:0000:0000:0000:0000:0000")
        );
        assert_eq!(call("parse_ipv6_mask", &[s("::1"), long(200)]), s(""));
    }

    #[test]
    fn ipv6_ranges_pages() {
        let ip = s("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd");
        for (range, expected) in [
            ("a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112", T),
            ("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd", T),
            ("0:0:0:0:0:ffff:c0a8:ac/60", F),
            ("nope", N),
        ] {
            assert_eq!(
                call("ipv6_is_in_range", &[ip.clone(), s(range)]),
                expected,
                "{range}"
            );
        }
        let local = d(json!([
            "a5e:f127:8a9d:146d:e102:b5d3:c755:f6cd/112",
            "0:0:0:0:0:ffff:c0a8:ac/60"
        ]));
        for (ip, expected) in [
            ("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd", T),
            ("a5e:f127:8a9d:146d:e102:b5d3:c755:abce", T),
            ("a5e:f127:8a9d:146d:e102:b5d3:c755:abcf", T),
            ("a5e:f127:8a9d:146d:e102:b5d3:c756:abd1", F),
        ] {
            assert_eq!(
                call("ipv6_is_in_any_range", &[s(ip), local.clone()]),
                expected,
                "{ip}"
            );
        }
        assert_eq!(call("ipv6_is_in_any_range", &[s("::1"), s("::/0")]), T);
        assert_eq!(call("ipv6_is_in_any_range", &[s("x"), s("::/0")]), N);
    }

    #[test]
    fn has_ipv4_pages() {
        let log = s("05:04:54 127.0.0.1 GET /favicon.ico 404");
        assert_eq!(call("has_ipv4", &[log.clone(), s("127.0.0.1")]), T);
        assert_eq!(
            call(
                "has_ipv4",
                &[
                    s("05:04:54 127.0.0.256 GET /favicon.ico 404"),
                    s("127.0.0.256")
                ]
            ),
            F
        );
        assert_eq!(
            call(
                "has_ipv4",
                &[s("05:04:54127.0.0.1 GET /favicon.ico 404"), s("127.0.0.1")]
            ),
            F
        );
        assert_eq!(call("has_ipv4", &[log.clone(), s("127.0.0.2")]), F);
        assert_eq!(
            call(
                "has_ipv4",
                &[
                    s("These requests came from: 192.168.1.1, 10.1.1.115 and 10.1.1.201."),
                    s("10.1.1.201")
                ]
            ),
            T
        );
        assert_eq!(call("has_ipv4", &[s("x127.0.0.1"), s("127.0.0.1")]), F);
        assert_eq!(call("has_ipv4", &[s("127.0.0.1é"), s("127.0.0.1")]), F);
        assert_eq!(call("has_ipv4", &[s("é127.0.0.1-"), s("127.0.0.1")]), F);
        assert_eq!(call("has_ipv4", &[s("(127.0.0.1)"), s("127.0.0.1")]), T);
        assert_eq!(call("has_ipv4_prefix", &[log.clone(), s("127.0.")]), T);
        assert_eq!(call("has_ipv4_prefix", &[log.clone(), s("127.0")]), F);
        assert_eq!(call("has_ipv4_prefix", &[log.clone(), s("127.0.0.1")]), T);
        assert_eq!(call("has_ipv4_prefix", &[log.clone(), s("127.0.0.1.")]), F);
        assert_eq!(
            call(
                "has_ipv4_prefix",
                &[s("05:04:54 127.0.0.256 GET /favicon.ico 404"), s("127.0.")]
            ),
            F
        );
        assert_eq!(
            call(
                "has_ipv4_prefix",
                &[s("05:04:54127.0.0.1 GET /favicon.ico 404"), s("127.0.")]
            ),
            F
        );
        assert_eq!(
            call(
                "has_any_ipv4",
                &[log.clone(), s("127.0.0.1"), s("127.0.0.2")]
            ),
            T
        );
        assert_eq!(
            call(
                "has_any_ipv4",
                &[log.clone(), d(json!(["127.0.0.1", "127.0.0.2"]))]
            ),
            T
        );
        assert_eq!(
            call(
                "has_any_ipv4",
                &[
                    s("05:04:54 127.0.0.256 GET /favicon.ico 404"),
                    d(json!(["127.0.0.256", "192.168.1.1"]))
                ]
            ),
            F
        );
        assert_eq!(
            call(
                "has_any_ipv4",
                &[
                    s("05:04:54127.0.0.1 GET /favicon.ico 404"),
                    s("127.0.0.1"),
                    s("192.168.1.1")
                ]
            ),
            F
        );
        assert_eq!(
            call(
                "has_any_ipv4_prefix",
                &[log.clone(), s("127.0."), s("192.168.")]
            ),
            T
        );
        assert_eq!(
            call(
                "has_any_ipv4_prefix",
                &[log.clone(), d(json!(["127.0.", "192.168."]))]
            ),
            T
        );
        assert_eq!(call("has_any_ipv4_prefix", &[log, s("127.0")]), F);
        assert_eq!(
            call(
                "has_any_ipv4_prefix",
                &[
                    s("05:04:54127.0.0.1 GET /favicon.ico 404"),
                    s("127.0."),
                    s("192.")
                ]
            ),
            F
        );
        assert_eq!(call("has_ipv4", &[s(""), s("")]), F);
    }

    #[test]
    fn parse_url_page() {
        let url = s("scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment");
        let parsed = call("parse_url", &[url]);
        assert_eq!(
            parsed,
            d(json!({
                "Scheme": "scheme", "Host": "host", "Port": "1234", "Path": "this/is/a/path",
                "Username": "username", "Password": "password",
                "Query Parameters": {"k1": "v1", "k2": "v2"}, "Fragment": "fragment"
            }))
        );
        // The keys come in the page's order.
        let keys: Vec<&String> = parsed.as_bag().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "Scheme",
                "Host",
                "Port",
                "Path",
                "Username",
                "Password",
                "Query Parameters",
                "Fragment"
            ]
        );
        let safelink = call(
            "parse_url",
            &[s(
                "https://nam.safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.com&data=1",
            )],
        );
        assert_eq!(
            safelink.as_bag().unwrap()["Host"],
            json!("nam.safelinks.protection.outlook.com")
        );
        assert_eq!(
            safelink.as_bag().unwrap()["Query Parameters"],
            json!({"url": "https%3A%2F%2Fx.com", "data": "1"})
        );
        let v6 = call("parse_url", &[s("http://[::1]:8080/a")]);
        assert_eq!(v6.as_bag().unwrap()["Host"], json!("[::1]"));
        assert_eq!(v6.as_bag().unwrap()["Port"], json!("8080"));
        let empty = d(json!({
            "Scheme": "", "Host": "", "Port": "", "Path": "", "Username": "", "Password": "",
            "Query Parameters": {}, "Fragment": ""
        }));
        for bad in ["bing.com", "", "1http://x", "http://host:port/"] {
            assert_eq!(call("parse_url", &[s(bad)]), empty, "{bad}");
        }
    }

    #[test]
    fn parse_urlquery_page() {
        assert_eq!(
            call("parse_urlquery", &[s("k1=v1&k2=v2&k3=v3")]),
            d(json!({"Query Parameters": {"k1": "v1", "k2": "v2", "k3": "v3"}}))
        );
        assert_eq!(
            call("parse_urlquery", &[s("view=vs-2019&preserve-view=true")]),
            d(json!({"Query Parameters": {"view": "vs-2019", "preserve-view": "true"}}))
        );
        assert_eq!(
            call("parse_urlquery", &[s("")]),
            d(json!({"Query Parameters": {}}))
        );
    }

    #[test]
    fn parse_path_page() {
        let parts = |p: &str| call("parse_path", &[s(p)]);
        let bag = |scheme: &str,
                   root: &str,
                   dir: &str,
                   dir_name: &str,
                   file: &str,
                   ext: &str,
                   ads: &str| {
            d(json!({
                "Scheme": scheme, "RootPath": root, "DirectoryPath": dir, "DirectoryName": dir_name,
                "Filename": file, "Extension": ext, "AlternateDataStreamName": ads
            }))
        };
        assert_eq!(
            parts(r"C:\temp\file.txt"),
            bag("", "C:", r"C:\temp", "temp", "file.txt", "txt", "")
        );
        assert_eq!(
            parts(r"temp\file.txt"),
            bag("", "", "temp", "temp", "file.txt", "txt", "")
        );
        assert_eq!(
            parts("file://C:/temp/file.txt:some.exe"),
            bag(
                "file", "C:", "C:/temp", "temp", "file.txt", "txt", "some.exe"
            )
        );
        assert_eq!(
            parts(r"\\shared\users\temp\file.txt.gz"),
            bag(
                "",
                "",
                r"\\shared\users\temp",
                "temp",
                "file.txt.gz",
                "gz",
                ""
            )
        );
        assert_eq!(
            parts("/usr/lib/temp/file.txt"),
            bag("", "", "/usr/lib/temp", "temp", "file.txt", "txt", "")
        );
        assert_eq!(
            parts("file.txt"),
            bag("", "", "", "", "file.txt", "txt", "")
        );
        assert_eq!(parts(""), bag("", "", "", "", "", "", ""));
        let keys: Vec<String> = parts("a/b").as_bag().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "Scheme",
                "RootPath",
                "DirectoryPath",
                "DirectoryName",
                "Filename",
                "Extension",
                "AlternateDataStreamName"
            ]
        );
    }
}
