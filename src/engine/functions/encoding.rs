//! Encoding functions — base64, URL encoding, hashes, compression, punycode (the KQL pages
//! `base64-*-function.md`, `url-*-function.md`, `hash-*-function.md`, `gzip-base64-*.md`,
//! `zlib-base64-*-function.md`, `punycode-*-function.md`): each a [`RowFunction`] with its
//! page's examples as tests.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value as Json;

use super::{KqlValue, Param, Returns, RowFunction};
use crate::results::KqlType;

/// A one-argument function of text giving `returns`.
const fn unary(
    name: &'static str,
    returns: KqlType,
    eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
) -> RowFunction {
    RowFunction::new(
        name,
        &[Param::Text],
        1,
        false,
        Returns::Always(returns),
        eval,
    )
}

/// The encoding functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[
    RowFunction {
        name: "toguid",
        params: &[Param::Any],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Guid),
        eval: |args| Ok(toguid(&args[0].to_text()).map_or(KqlValue::Null, KqlValue::String)),
        volatile: false,
    },
    RowFunction {
        name: "new_guid",
        params: &[],
        required: 0,
        variadic: false,
        returns: Returns::Always(KqlType::Guid),
        eval: |_| Ok(KqlValue::String(uuid::Uuid::new_v4().to_string())),
        volatile: true,
    },
    unary(
        "base64_encode_tostring",
        KqlType::String,
        base64_encode_tostring,
    ),
    // The deprecated alias of base64_encode_tostring().
    unary(
        "base64_encodestring",
        KqlType::String,
        base64_encode_tostring,
    ),
    unary(
        "base64_decode_tostring",
        KqlType::String,
        base64_decode_tostring,
    ),
    // The deprecated alias of base64_decode_tostring().
    unary(
        "base64_decodestring",
        KqlType::String,
        base64_decode_tostring,
    ),
    unary(
        "base64_decode_toarray",
        KqlType::Dynamic,
        base64_decode_toarray,
    ),
    RowFunction {
        name: "base64_encode_fromarray",
        params: &[Param::Dynamic],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: base64_encode_fromarray,
        volatile: false,
    },
    // Takes a guid; there is no guid parameter kind, so the value is checked when it runs.
    RowFunction {
        name: "base64_encode_fromguid",
        params: &[Param::Any],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: base64_encode_fromguid,
        volatile: false,
    },
    unary("base64_decode_toguid", KqlType::Guid, base64_decode_toguid),
    unary("url_encode", KqlType::String, |args| {
        Ok(KqlValue::String(url_encode(&args[0].to_text(), "+")))
    }),
    unary("url_encode_component", KqlType::String, |args| {
        Ok(KqlValue::String(url_encode(&args[0].to_text(), "%20")))
    }),
    unary("url_decode", KqlType::String, url_decode),
    RowFunction {
        name: "hash",
        params: &[Param::Any, Param::Integer],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Long),
        eval: hash_xxhash64,
        volatile: false,
    },
    RowFunction {
        name: "hash_xxhash64",
        params: &[Param::Any, Param::Integer],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Long),
        eval: hash_xxhash64,
        volatile: false,
    },
    RowFunction {
        name: "hash_sha256",
        params: &[Param::Any],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| Ok(digest_hex(&args[0], sha256)),
        volatile: false,
    },
    RowFunction {
        name: "hash_sha1",
        params: &[Param::Any],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| Ok(digest_hex(&args[0], sha1)),
        volatile: false,
    },
    RowFunction {
        name: "hash_md5",
        params: &[Param::Any],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::String),
        eval: |args| Ok(digest_hex(&args[0], md5)),
        volatile: false,
    },
    unary(
        "gzip_compress_to_base64_string",
        KqlType::String,
        gzip_compress,
    ),
    unary(
        "gzip_decompress_from_base64_string",
        KqlType::String,
        gzip_decompress,
    ),
    unary(
        "zlib_compress_to_base64_string",
        KqlType::String,
        zlib_compress,
    ),
    unary(
        "zlib_decompress_from_base64_string",
        KqlType::String,
        zlib_decompress,
    ),
    unary("punycode_from_string", KqlType::String, |args| {
        Ok(text_or_empty(idna::punycode::encode_str(
            &args[0].to_text(),
        )))
    }),
    unary("punycode_to_string", KqlType::String, |args| {
        let text = args[0].to_text();
        Ok(text_or_empty(
            Some(text)
                .filter(|t| t.is_ascii())
                .and_then(|t| idna::punycode::decode_to_string(&t)),
        ))
    }),
    unary(
        "punycode_domain_to_string",
        KqlType::String,
        punycode_domain_to_string,
    ),
    unary(
        "punycode_domain_from_string",
        KqlType::String,
        punycode_domain_from_string,
    ),
];

/// The text, or "" where the function failed (the punycode and compression pages: "an
/// empty result if … failed").
fn text_or_empty(text: Option<String>) -> KqlValue {
    KqlValue::String(text.unwrap_or_default())
}

/// Base64 as .NET reads and writes it: the standard alphabet with `=` padding, which
/// decoding requires (an unpadded string is invalid, as on base64-encode-fromarray-function.md),
/// and unused bits of the last character ignored.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// The bytes of a base64 string; white space in it is skipped, as .NET does. `None` when it
/// is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        return BASE64.decode(compact).ok();
    }
    BASE64.decode(text).ok()
}

/// `base64_encode_tostring(string)`: the UTF-8 bytes in base64
/// (base64-encode-tostring-function.md).
fn base64_encode_tostring(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(KqlValue::String(BASE64.encode(args[0].to_text())))
}

/// `base64_decode_tostring(base64_string)` (base64-decode-tostring-function.md): the decoded
/// bytes as UTF-8 text; null ("") when they are not UTF-8 or the input is not base64.
fn base64_decode_tostring(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(base64_decode(&args[0].to_text())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map_or(KqlValue::Null, KqlValue::String))
}

/// `base64_decode_toarray(base64_string)` (base64-decode-toarray-function.md): the decoded
/// bytes as a dynamic array of longs; null when the input is not base64.
fn base64_decode_toarray(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(
        base64_decode(&args[0].to_text()).map_or(KqlValue::Null, |bytes| {
            KqlValue::Dynamic(Json::Array(bytes.into_iter().map(Json::from).collect()))
        }),
    )
}

/// `base64_encode_fromarray(array)` (base64-encode-fromarray-function.md): an array of
/// bytes (integers 0–255) in base64; null ("") for anything else.
fn base64_encode_fromarray(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return Ok(KqlValue::Null);
    };
    let bytes: Option<Vec<u8>> = items
        .iter()
        .map(|item| item.as_u64().and_then(|n| u8::try_from(n).ok()))
        .collect();
    Ok(bytes.map_or(KqlValue::Null, |bytes| {
        KqlValue::String(BASE64.encode(bytes))
    }))
}

/// `base64_encode_fromguid(guid)` (base64-encode-fromguid-function.md): the guid's 16 bytes
/// in .NET's order (the first three fields little-endian) in base64. Anything but a guid is
/// an error, as the page says.
fn base64_encode_fromguid(args: &[KqlValue]) -> Result<KqlValue, String> {
    if args[0].is_null() {
        return Ok(KqlValue::Null);
    }
    let text = args[0].to_text();
    let guid = uuid::Uuid::try_parse(&text)
        .map_err(|_| format!("the argument must be a guid, '{text}' is not one"))?;
    Ok(KqlValue::String(BASE64.encode(guid.to_bytes_le())))
}

/// `base64_decode_toguid(base64_string)` (base64-decode-toguid-function.md): 16 bytes of
/// base64 read as a guid in .NET's byte order; null when the input is not that.
fn base64_decode_toguid(args: &[KqlValue]) -> Result<KqlValue, String> {
    let guid = base64_decode(&args[0].to_text())
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
        .map(uuid::Uuid::from_bytes_le);
    Ok(guid.map_or(KqlValue::Null, |guid| {
        KqlValue::String(guid.hyphenated().to_string())
    }))
}

/// `url_encode(url)` and `url_encode_component(url)` (url-encode-function.md,
/// url-encode-component-function.md): every byte of the UTF-8 text as `%xx` (lower-case hex,
/// as the pages show) except letters, digits and `-_.!*()`; a space as `space` (`+` or
/// `%20`).
fn url_encode(text: &str, space: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(char::from(byte)),
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}

/// `url_decode(encoded_url)` (url-decode-function.md): `%xx` escapes (and .NET's `%uxxxx`)
/// decoded, `+` as a space; an escape that is not one stays as it is, and bytes that are not
/// UTF-8 become U+FFFD.
fn url_decode(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let bytes = text.as_bytes();
    let hex = |at: usize, len: usize| {
        bytes
            .get(at..at + len)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|digits| u32::from_str_radix(digits, 16).ok())
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'+' => {
                out.push(b' ');
                at += 1;
            }
            b'%' if matches!(bytes.get(at + 1), Some(b'u' | b'U')) && hex(at + 2, 4).is_some() => {
                let unit = hex(at + 2, 4).unwrap_or_default();
                let c = char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER);
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                at += 6;
            }
            b'%' if hex(at + 1, 2).is_some() => {
                out.push(hex(at + 1, 2).unwrap_or_default() as u8);
                at += 3;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    Ok(KqlValue::String(String::from_utf8_lossy(&out).into_owned()))
}

/// The bytes a value is hashed as by `hash()`: strings as UTF-8 (hash-function.md's
/// examples), datetimes as their ticks in 8 little-endian bytes (likewise). The pages say the
/// algorithm may change and is for use within one query, so the other kinds only need to be
/// consistent: numbers and timespans as their 8 bytes, dynamic values as their JSON text.
fn hash_bytes(value: &KqlValue) -> Option<Vec<u8>> {
    Some(match value {
        KqlValue::Null => return None,
        KqlValue::Bool(b) => vec![u8::from(*b)],
        KqlValue::Long(n) | KqlValue::DateTime(n) | KqlValue::Timespan(n) => {
            n.to_le_bytes().to_vec()
        }
        KqlValue::Real(f) => f.to_le_bytes().to_vec(),
        KqlValue::String(text) => text.as_bytes().to_vec(),
        KqlValue::Dynamic(json) => json.to_string().into_bytes(),
    })
}

/// `hash(source [, mod])` and `hash_xxhash64(source [, mod])` (hash-function.md,
/// hash-xxhash64-function.md): the xxhash64 (seed 0) of the value, as a long; with `mod`, the
/// unsigned hash modulo `mod`. Null for a null value or a `mod` below 1.
fn hash_xxhash64(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(bytes) = hash_bytes(&args[0]) else {
        return Ok(KqlValue::Null);
    };
    let hash = twox_hash::XxHash64::oneshot(0, &bytes);
    match args.get(1) {
        None => Ok(KqlValue::Long(hash as i64)),
        Some(modulo) => Ok(modulo
            .as_long()
            .and_then(|m| u64::try_from(m).ok())
            .filter(|m| *m > 0)
            .map_or(KqlValue::Null, |m| KqlValue::Long((hash % m) as i64))),
    }
}

/// A digest of the value's text in lower-case hex (hash-sha256-function.md and its
/// siblings: `hash_md5(datetime(2020-01-01))` is the MD5 of "2020-01-01T00:00:00.0000000Z").
fn digest_hex(value: &KqlValue, digest: fn(&[u8]) -> Vec<u8>) -> KqlValue {
    if value.is_null() {
        return KqlValue::Null;
    }
    let bytes = digest(value.to_text().as_bytes());
    KqlValue::String(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 (hash-sha256-function.md).
fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// SHA-1 (hash-sha1-function.md).
fn sha1(bytes: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(bytes).to_vec()
}

/// MD5 (hash-md5-function.md).
fn md5(bytes: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(bytes).to_vec()
}

/// The most bytes a decompression gives: a few bytes of base64 can inflate to gigabytes, so
/// past this the decompression counts as failed ("").
const MAX_DECOMPRESSED: u64 = 16 << 20;

/// The header Kusto's gzip streams start with (gzip-base64-compress.md's example): deflate,
/// no flags, no time, no extra flags, operating system unknown.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// `gzip_compress_to_base64_string(string)` (gzip-base64-compress.md). The page's example is
/// stored, not compressed (deflate level 0), and so is this, to give the same text.
fn gzip_compress(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let mut deflate =
        flate2::write::DeflateEncoder::new(GZIP_HEADER.to_vec(), flate2::Compression::none());
    let mut crc = flate2::Crc::new();
    crc.update(text.as_bytes());
    let stream = deflate
        .write_all(text.as_bytes())
        .and_then(|()| deflate.finish())
        .ok()
        .map(|mut stream| {
            stream.extend_from_slice(&crc.sum().to_le_bytes());
            stream.extend_from_slice(&crc.amount().to_le_bytes());
            stream
        });
    Ok(text_or_empty(stream.map(|s| BASE64.encode(s))))
}

/// `gzip_decompress_from_base64_string(string)` (gzip-base64-decompress.md): "" unless the
/// base64 holds a gzip stream with the mandatory header fields right and no flags (optional
/// header fields are not supported), whose content is UTF-8.
fn gzip_decompress(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = base64_decode(&args[0].to_text())
        .filter(|bytes| bytes.len() >= 10 && bytes[..4] == GZIP_HEADER[..4])
        .and_then(|bytes| inflate(flate2::read::GzDecoder::new(bytes.as_slice())));
    Ok(text_or_empty(text))
}

/// `zlib_compress_to_base64_string(string)` (zlib-base64-compress-function.md): stored
/// (level 0) like the page's example.
fn zlib_compress(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = args[0].to_text();
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::none());
    let stream = zlib
        .write_all(text.as_bytes())
        .and_then(|()| zlib.finish())
        .ok();
    Ok(text_or_empty(stream.map(|s| BASE64.encode(s))))
}

/// `zlib_decompress_from_base64_string(string)` (zlib-base64-decompress-function.md): ""
/// unless the base64 holds a zlib stream whose content is UTF-8.
fn zlib_decompress(args: &[KqlValue]) -> Result<KqlValue, String> {
    let text = base64_decode(&args[0].to_text())
        .and_then(|bytes| inflate(flate2::read::ZlibDecoder::new(bytes.as_slice())));
    Ok(text_or_empty(text))
}

/// The whole output of a decompressing reader as UTF-8 text; `None` when it fails, is not
/// UTF-8 or is larger than [`MAX_DECOMPRESSED`].
fn inflate(reader: impl Read) -> Option<String> {
    let mut out = Vec::new();
    reader
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .ok()?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return None;
    }
    String::from_utf8(out).ok()
}

/// The separators of domain labels that IDNA accepts: the full stop and its ideographic,
/// full-width and half-width forms.
const LABEL_SEPARATORS: [char; 4] = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// `punycode_domain_to_string(domain)` (punycode-domain-to-string-function.md): each label
/// that is not ASCII becomes `xn--` and its punycode, case and spaces kept (the page's
/// examples); the labels joined by `.`. "" when encoding fails.
fn punycode_domain_to_string(args: &[KqlValue]) -> Result<KqlValue, String> {
    let domain = args[0].to_text();
    let labels: Option<Vec<String>> = domain
        .split(LABEL_SEPARATORS)
        .map(|label| {
            if label.is_ascii() {
                Some(label.to_string())
            } else {
                idna::punycode::encode_str(label).map(|code| format!("xn--{code}"))
            }
        })
        .collect();
    Ok(text_or_empty(labels.map(|labels| labels.join("."))))
}

/// `punycode_domain_from_string(encoded_string)` (punycode-domain-from-string-function.md):
/// each label starting `xn--` decoded from punycode, the others kept. "" when decoding fails.
fn punycode_domain_from_string(args: &[KqlValue]) -> Result<KqlValue, String> {
    let encoded = args[0].to_text();
    if !encoded.is_ascii() {
        return Ok(KqlValue::String(String::new()));
    }
    let labels: Option<Vec<String>> = encoded
        .split('.')
        .map(|label| match label.get(..4) {
            Some(prefix) if prefix.eq_ignore_ascii_case("xn--") => {
                idna::punycode::decode_to_string(&label[4..])
            }
            _ => Some(label.to_string()),
        })
        .collect();
    Ok(text_or_empty(labels.map(|labels| labels.join("."))))
}

/// `toguid(value)` (toguid-function.md): the first 32 hex digits of the text, hyphens where
/// a guid has them skipped, as a guid's text; `None` when they are not there.
pub fn toguid(text: &str) -> Option<String> {
    let mut digits = String::with_capacity(32);
    for c in text.chars() {
        if digits.len() == 32 {
            break;
        }
        if c == '-' && matches!(digits.len(), 8 | 12 | 16 | 20) {
            continue;
        }
        if !c.is_ascii_hexdigit() {
            return None;
        }
        digits.push(c.to_ascii_lowercase());
    }
    if digits.len() != 32 {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}-{}",
        &digits[..8],
        &digits[8..12],
        &digits[12..16],
        &digits[16..20],
        &digits[20..]
    ))
}

#[cfg(test)]
mod guid_tests {
    use super::*;

    #[test]
    fn toguid_page() {
        let guid = Some("01234567-89ab-cdef-0123-456789abcdef".to_string());
        assert_eq!(toguid("0123456789abcdef0123456789abcdef"), guid);
        assert_eq!(toguid("0123456789ab-cdef-0123-456789abcdef"), guid);
        assert_eq!(toguid("01234567-89ab-cdef-0123-456789abcdef"), guid);
        assert_eq!(toguid("0123456789ABCDEF0123456789abcdef and more"), guid);
        assert_eq!(toguid("a string that is not a guid"), None);
        assert_eq!(toguid("0123"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;

    fn eval(name: &str) -> fn(&[KqlValue]) -> Result<KqlValue, String> {
        super::super::lookup(name).unwrap().eval
    }

    fn datetime(text: &str) -> KqlValue {
        KqlValue::DateTime(crate::kql::time::parse_datetime(text).unwrap())
    }

    #[test]
    fn base64_string_pages() {
        assert_eq!(call("base64_encode_tostring", &[s("Kusto")]), s("S3VzdG8="));
        assert_eq!(call("base64_encodestring", &[s("Kusto")]), s("S3VzdG8="));
        assert_eq!(call("base64_encode_tostring", &[s("")]), s(""));
        assert_eq!(call("base64_decode_tostring", &[s("S3VzdG8=")]), s("Kusto"));
        assert_eq!(call("base64_decodestring", &[s("S3VzdG8=")]), s("Kusto"));
        // Bytes that are not UTF-8 give null.
        assert_eq!(
            call(
                "base64_decode_tostring",
                &[s("U3RyaW5n0KHR0tGA0L7Rh9C60LA=")]
            ),
            KqlValue::Null
        );
        // Not base64 (or unpadded) gives null; white space is skipped.
        assert_eq!(
            call("base64_decode_tostring", &[s("S3VzdG8")]),
            KqlValue::Null
        );
        assert_eq!(call("base64_decode_tostring", &[s("%%%%")]), KqlValue::Null);
        assert_eq!(
            call("base64_decode_tostring", &[s("S3Vz\r\ndG8=")]),
            s("Kusto")
        );
        // PowerShell's -EncodedCommand is UTF-16LE: its NULs are kept.
        assert_eq!(
            call("base64_decode_tostring", &[s("SQBFAFgA")]),
            s("I\0E\0X\0")
        );
    }

    #[test]
    fn base64_array_pages() {
        let kusto = KqlValue::Dynamic(serde_json::json!([75, 117, 115, 116, 111]));
        assert_eq!(call("base64_decode_toarray", &[s("S3VzdG8=")]), kusto);
        assert_eq!(call("base64_encode_fromarray", &[kusto]), s("S3VzdG8="));
        // The page's unpadded string decodes to null, which encodes to "".
        let invalid = call("base64_decode_toarray", &[s("U3RyaW5n0KHR0tGA0L7Rh9C60LA")]);
        assert_eq!(invalid, KqlValue::Null);
        assert_eq!(call("base64_encode_fromarray", &[invalid]), KqlValue::Null);
        let not_bytes = KqlValue::Dynamic(serde_json::json!([1, 256]));
        assert_eq!(
            call("base64_encode_fromarray", &[not_bytes]),
            KqlValue::Null
        );
        let not_bytes = KqlValue::Dynamic(serde_json::json!([-1, "a"]));
        assert_eq!(
            call("base64_encode_fromarray", &[not_bytes]),
            KqlValue::Null
        );
        assert_eq!(call("base64_encode_fromarray", &[s("abc")]), KqlValue::Null);
        assert_eq!(
            call("base64_decode_toarray", &[s("")]),
            KqlValue::Dynamic(serde_json::json!([]))
        );
    }

    #[test]
    fn base64_guid_pages() {
        assert_eq!(
            call(
                "base64_encode_fromguid",
                &[s("ae3133f2-6e22-49ae-b06a-16e6a9b212eb")]
            ),
            s("8jMxriJurkmwahbmqbIS6w==")
        );
        assert!(eval("base64_encode_fromguid")(&[s("abcd1231")]).is_err());
        assert_eq!(
            call("base64_encode_fromguid", &[KqlValue::Null]),
            KqlValue::Null
        );
        // The inverse of the example above.
        assert_eq!(
            call("base64_decode_toguid", &[s("8jMxriJurkmwahbmqbIS6w==")]),
            s("ae3133f2-6e22-49ae-b06a-16e6a9b212eb")
        );
        // The page prints 10e99626-bc2b-754c-…, which swaps the bytes of the third group
        // against its own encode example; .NET's byte order gives 4c75.
        assert_eq!(
            call("base64_decode_toguid", &[s("JpbpECu8dUy7Pv5gbeJXAA==")]),
            s("10e99626-bc2b-4c75-bb3e-fe606de25700")
        );
        assert_eq!(
            call("base64_decode_toguid", &[s("abcd1231")]),
            KqlValue::Null
        );
    }

    #[test]
    fn url_pages() {
        assert_eq!(
            call("url_decode", &[s("https%3a%2f%2fwww.bing.com%2f")]),
            s("https://www.bing.com/")
        );
        assert_eq!(
            call("url_encode", &[s("https://www.bing.com/hello world")]),
            s("https%3a%2f%2fwww.bing.com%2fhello+world")
        );
        assert_eq!(
            call(
                "url_encode_component",
                &[s("https://www.bing.com/hello world/")]
            ),
            s("https%3a%2f%2fwww.bing.com%2fhello%20world%2f")
        );
        assert_eq!(call("url_encode", &[s("é~")]), s("%c3%a9%7e"));
        assert_eq!(call("url_decode", &[s("%C3%A9+%u00e9")]), s("é é"));
        // Broken escapes stay; bytes that are not UTF-8 become U+FFFD.
        assert_eq!(call("url_decode", &[s("100%")]), s("100%"));
        assert_eq!(call("url_decode", &[s("%zz%4")]), s("%zz%4"));
        assert_eq!(call("url_decode", &[s("%ff")]), s("\u{FFFD}"));
        let round = call("url_encode", &[s("a b&c=d/é")]);
        assert_eq!(call("url_decode", &[round]), s("a b&c=d/é"));
    }

    #[test]
    fn hash_pages() {
        for name in ["hash", "hash_xxhash64"] {
            assert_eq!(
                call(name, &[s("World")]),
                KqlValue::Long(1846988464401551951)
            );
            assert_eq!(
                call(name, &[s("World"), KqlValue::Long(100)]),
                KqlValue::Long(51)
            );
            assert_eq!(
                call(name, &[datetime("2015-01-01")]),
                KqlValue::Long(1380966698541616202)
            );
            assert_eq!(call(name, &[KqlValue::Null]), KqlValue::Null);
            assert_eq!(call(name, &[s("World"), KqlValue::Long(0)]), KqlValue::Null);
        }
        // hash_combine()'s page: the hash of "Hello".
        assert_eq!(
            call("hash", &[s("Hello")]),
            KqlValue::Long(753694413698530628)
        );
        // With a modulo, negative hashes still land in 0..mod.
        for n in 0..200 {
            let h = call("hash", &[KqlValue::Long(n), KqlValue::Long(7)]);
            assert!(matches!(h, KqlValue::Long(0..=6)), "{h:?}");
        }
    }

    #[test]
    fn digest_pages() {
        let day = datetime("2020-01-01");
        assert_eq!(
            call("hash_md5", &[s("World")]),
            s("f5a7924e621e84c9280a9a27e1bcb7f6")
        );
        assert_eq!(
            call("hash_md5", std::slice::from_ref(&day)),
            s("786c530672d1f8db31fee25ea8a9390b")
        );
        assert_eq!(
            call("hash_md5", &[s("TEXAS")]),
            s("3b00dbe6e07e7485a1c12d36c8e9910a")
        );
        assert_eq!(
            call("hash_sha1", &[s("World")]),
            s("70c07ec18ef89c5309bbb0937f3a6342411e1fdd")
        );
        assert_eq!(
            call("hash_sha1", std::slice::from_ref(&day)),
            s("e903e533f4d636b4fc0dcf3cf81e7b7f330de776")
        );
        assert_eq!(
            call("hash_sha256", &[s("World")]),
            s("78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524")
        );
        assert_eq!(
            call("hash_sha256", &[day]),
            s("ba666752dc1a20eb750b0eb64e780cc4c968bc9fb8813461c1d7e750f302d71d")
        );
        assert_eq!(call("hash_sha256", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn compression_pages() {
        let gzip = "H4sIAAAAAAAA/wEUAOv/MTIzNDU2Nzg5MHF3ZXJ0eXVpb3A6m7f2FAAAAA==";
        assert_eq!(
            call(
                "gzip_compress_to_base64_string",
                &[s("1234567890qwertyuiop")]
            ),
            s(gzip)
        );
        assert_eq!(
            call("gzip_decompress_from_base64_string", &[s(gzip)]),
            s("1234567890qwertyuiop")
        );
        assert_eq!(
            call("gzip_decompress_from_base64_string", &[s("x0x0x0")]),
            s("")
        );
        let zlib = "eAEBFADr/zEyMzQ1Njc4OTBxd2VydHl1aW9wOAkGdw==";
        assert_eq!(
            call(
                "zlib_compress_to_base64_string",
                &[s("1234567890qwertyuiop")]
            ),
            s(zlib)
        );
        assert_eq!(
            call("zlib_decompress_from_base64_string", &[s(zlib)]),
            s("1234567890qwertyuiop")
        );
        assert_eq!(
            call(
                "zlib_decompress_from_base64_string",
                &[s("eJwLSS0uUSguKcrMS1cwNDIGACxqBQ4=")]
            ),
            s("Test string 123")
        );
        assert_eq!(
            call("zlib_decompress_from_base64_string", &[s("x0x0x0")]),
            s("")
        );
        // Round trips, empty input, and a gzip stream with flags (not supported).
        for text in ["", "é and ⒦", &"abc".repeat(100_000)] {
            for (compress, decompress) in [
                (
                    "gzip_compress_to_base64_string",
                    "gzip_decompress_from_base64_string",
                ),
                (
                    "zlib_compress_to_base64_string",
                    "zlib_decompress_from_base64_string",
                ),
            ] {
                let packed = call(compress, &[s(text)]);
                assert_eq!(call(decompress, &[packed]), s(text));
            }
        }
        let mut flagged = BASE64.decode(gzip).unwrap();
        flagged[3] = 8;
        assert_eq!(
            call(
                "gzip_decompress_from_base64_string",
                &[s(&BASE64.encode(flagged))]
            ),
            s("")
        );
    }

    #[test]
    fn decompression_is_bounded() {
        // 32 MiB of zeros compress to a few kilobytes; inflated, they are past the limit.
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..32 {
            zlib.write_all(&zeros).unwrap();
        }
        let bomb = BASE64.encode(zlib.finish().unwrap());
        assert!(bomb.len() < 200_000);
        assert_eq!(
            call("zlib_decompress_from_base64_string", &[s(&bomb)]),
            s("")
        );
    }

    #[test]
    fn punycode_pages() {
        assert_eq!(
            call("punycode_from_string", &[s("académie-française")]),
            s("acadmie-franaise-npb1a")
        );
        assert_eq!(call("punycode_from_string", &[s("艺术")]), s("cqv902d"));
        assert_eq!(
            call("punycode_to_string", &[s("acadmie-franaise-npb1a")]),
            s("académie-française")
        );
        assert_eq!(call("punycode_to_string", &[s("académie")]), s(""));
        let decoded = [
            ("xn--Ge-mia.Bulg.edu", "Gáe.Bulg.edu"),
            ("xn--Lin-8na.Celtchair.org", "Lúin.Celtchair.org"),
            (
                "xn--Ry-lja8c.xn--Jng-uta63a.xn--Bng-9ka.com",
                "Rúyì.Jīngū.Bàng.com",
            ),
        ];
        for (encoded, domain) in decoded {
            assert_eq!(
                call("punycode_domain_from_string", &[s(encoded)]),
                s(domain)
            );
        }
        let encoded = [
            (
                "Lê Lợi。Thuận Thiên。com",
                "xn--L Li-gpa4517b.xn--Thun Thin-s4a7194f.com",
            ),
            (
                "Riðill｡Skáldskaparmál｡org",
                "xn--Riill-jta.xn--Skldskaparml-dbbj.org",
            ),
            (
                "Kaledvoulc'h.Artorījos.edu",
                "Kaledvoulc'h.xn--Artorjos-ejb.edu",
            ),
        ];
        for (domain, encoded) in encoded {
            assert_eq!(call("punycode_domain_to_string", &[s(domain)]), s(encoded));
        }
        assert_eq!(
            call("punycode_domain_from_string", &[s("xn--99999999999.com")]),
            s("")
        );
    }
}
