//! The certificate credential: an RSA private key and its certificate, read from a PEM file
//! (certificate and key in any order; PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) or a
//! PKCS#12 archive (`.pfx`/`.p12`, told apart by content), and the JWT client assertion signed
//! with it. Facts: Microsoft identity platform, "Certificate credentials" (header `alg`, `typ`,
//! `x5t#S256`; claims `aud` = the token URL, `iss` = `sub` = the client id, `jti`, `nbf`, `iat`,
//! `exp` at most 10 minutes on).
//! No error message ever includes key material: they name the file and the problem only.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::cache::unix_seconds;
use crate::graph::token::{AuthError, Secret};

/// How long an assertion is good for: Microsoft asks for a short life, 5 to 10 minutes.
pub const ASSERTION_LIFETIME_SECS: u64 = 10 * 60;

/// `client_assertion_type` for a signed JWT (RFC 7523).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The DER of OID 1.2.840.113549.1.1.1 (rsaEncryption).
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// The DER of OID 1.2.840.10045.2.1 (id-ecPublicKey), for a clearer "not RSA".
const EC_OID: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// An RSA key and the certificate Entra ID knows it by. `Debug` shows the file and thumbprint
/// only.
#[derive(Clone)]
pub struct CertificateCredential {
    key: EncodingKey,
    /// base64url(SHA-256 of the certificate's DER): the `x5t#S256` header.
    x5t_s256: String,
    /// The certificate's SHA-256 thumbprint in hex (for messages).
    thumbprint: String,
    path: PathBuf,
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("path", &self.path)
            .field("thumbprint", &self.thumbprint)
            .field("key", &"(redacted)")
            .finish()
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

impl CertificateCredential {
    /// Reads `path`: PEM (certificate and key, any order; a chain may follow) or PKCS#12, opened
    /// with `password` (none = the empty password). Errors name the file and what is wrong: it is
    /// missing, holds no certificate or no private key, the password is wrong, the key is not
    /// RSA, or the key matches none of the certificates.
    pub fn load(
        path: &Path,
        password: Option<&Secret>,
    ) -> Result<CertificateCredential, AuthError> {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| {
            AuthError::new(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "the certificate file {shown} (AZURE_CLIENT_CERTIFICATE_PATH) does not exist"
                )
            } else {
                format!("the certificate file {shown} cannot be read: {e}")
            })
        })?;
        let (keys, certs) = if looks_like_pem(&bytes) {
            read_pem(&bytes).map_err(|e| AuthError::new(format!("{shown}: {e}")))?
        } else if bytes.first() == Some(&0x30) {
            read_pkcs12(&bytes, password).map_err(|e| AuthError::new(format!("{shown}: {e}")))?
        } else {
            return Err(AuthError::new(format!(
                "{shown} is neither a PEM file nor a PKCS#12 (.pfx/.p12) archive"
            )));
        };
        if certs.is_empty() {
            return Err(AuthError::new(format!(
                "{shown} holds no certificate: it needs the certificate and its private key"
            )));
        }
        let Some(key) = keys.into_iter().next() else {
            return Err(AuthError::new(format!(
                "{shown} holds no private key: it needs the certificate and its private key"
            )));
        };
        let pkcs1 = key.map_err(|e| AuthError::new(format!("{shown}: {e}")))?;
        let public = rsa_public_of_private(&pkcs1).ok_or_else(|| {
            AuthError::new(format!("{shown}: the private key is not a valid RSA key"))
        })?;
        let cert = certs
            .iter()
            .find(|der| cert_rsa_public(der).as_ref() == Some(&public))
            .ok_or_else(|| {
                AuthError::new(format!(
                    "{shown}: the private key does not belong to the certificate{}",
                    if certs.len() > 1 { "s" } else { "" }
                ))
            })?;
        let key = EncodingKey::from_rsa_der(&pkcs1);
        // Sign once now, so a key the signer refuses is reported at start, not at the first query.
        jsonwebtoken::crypto::sign(b"probe", &key, Algorithm::RS256).map_err(|_| {
            AuthError::new(format!(
                "{shown}: the RSA private key cannot be used for signing"
            ))
        })?;
        let digest = Sha256::digest(cert);
        Ok(CertificateCredential {
            key,
            x5t_s256: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
            thumbprint: digest.iter().map(|b| format!("{b:02X}")).collect(),
            path: path.to_path_buf(),
        })
    }

    /// The `x5t#S256` header value: base64url of the certificate's SHA-256.
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }

    /// The certificate's SHA-256 thumbprint, in upper-case hex.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The file the credential came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh client assertion for `token_url` (the `aud`), issued by `client_id` at `now`,
    /// good for `ASSERTION_LIFETIME_SECS`, RS256-signed, with a random `jti`.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now: SystemTime,
    ) -> Result<Secret, AuthError> {
        let now = unix_seconds(now);
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".into());
        header.x5t_s256 = Some(self.x5t_s256.clone());
        let claims = AssertionClaims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|_| {
                AuthError::new(format!(
                    "could not sign the client assertion with the key in {}",
                    self.path.display()
                ))
            })
    }
}

/// A PKCS#1 RSA private key's DER, or why a key cannot be used.
type KeyResult = Result<Vec<u8>, String>;

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Keys (first usable first) and certificate DERs from PEM text.
fn read_pem(bytes: &[u8]) -> Result<(Vec<KeyResult>, Vec<Vec<u8>>), String> {
    let text = String::from_utf8_lossy(bytes);
    let mut keys = Vec::new();
    let mut certs = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut has_headers = false;
        let mut closed = false;
        for line in lines.by_ref() {
            let line = line.trim();
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`): an OpenSSL-encrypted key.
                has_headers = true;
            } else {
                body.push_str(line);
            }
        }
        if !closed {
            return Err(format!("the PEM block '{label}' has no END line"));
        }
        let der = || {
            base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .map_err(|_| format!("the PEM block '{label}' is not valid base64"))
        };
        match label {
            "CERTIFICATE" | "X509 CERTIFICATE" => certs.push(der()?),
            "PRIVATE KEY" => keys.push(der().and_then(|d| pkcs8_to_pkcs1(&d))),
            "RSA PRIVATE KEY" if has_headers => keys.push(Err(encrypted_pem())),
            "RSA PRIVATE KEY" => keys.push(der()),
            "ENCRYPTED PRIVATE KEY" => keys.push(Err(encrypted_pem())),
            "EC PRIVATE KEY" => keys.push(Err(not_rsa("an EC"))),
            _ => {}
        }
    }
    // A usable key first, so a stray unusable one does not hide it.
    keys.sort_by_key(|k| k.is_err());
    Ok((keys, certs))
}

fn encrypted_pem() -> String {
    "the private key is encrypted, which hunt does not read in PEM; use a PKCS#12 (.pfx) file with AZURE_CLIENT_CERTIFICATE_PASSWORD, or an unencrypted PEM key".into()
}

fn not_rsa(kind: &str) -> String {
    format!("the private key is {kind} key; Microsoft Entra certificate credentials here need RSA")
}

/// Keys and certificate DERs from a PKCS#12 archive.
fn read_pkcs12(
    bytes: &[u8],
    password: Option<&Secret>,
) -> Result<(Vec<KeyResult>, Vec<Vec<u8>>), String> {
    let password_text = password.map_or("", |p| p.expose());
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(bytes, password_text)
        .map_err(|e| pkcs12_problem(e, password.is_some()))?;
    let mut keys: Vec<KeyResult> = archive
        .keys
        .iter()
        .map(|bag| pkcs8_to_pkcs1(bag.key.as_der()))
        .collect();
    keys.sort_by_key(|k| k.is_err());
    let certs = archive
        .certs
        .iter()
        .map(|bag| bag.cert.as_der().to_vec())
        .collect();
    Ok((keys, certs))
}

/// Why a PKCS#12 archive could not be opened; a failed integrity check means the password.
fn pkcs12_problem(error: p12_keystore::error::Error, had_password: bool) -> String {
    match error {
        p12_keystore::error::Error::MacError(_) if had_password => {
            "wrong password for the PKCS#12 archive (AZURE_CLIENT_CERTIFICATE_PASSWORD)".into()
        }
        p12_keystore::error::Error::MacError(_) => {
            "the PKCS#12 archive needs a password: set AZURE_CLIENT_CERTIFICATE_PASSWORD".into()
        }
        other => format!("not a PKCS#12 archive hunt can read ({other})"),
    }
}

/// One DER element: its tag, its content, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags do not occur in these structures
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None; // indefinite length (BER) or absurd
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements inside a constructed element's content.
fn children(mut content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tag, inner, rest) = element(content)?;
        out.push((tag, inner));
        content = rest;
    }
    Some(out)
}

/// PKCS#8 `PrivateKeyInfo` → the PKCS#1 `RSAPrivateKey` inside, when the algorithm is RSA.
fn pkcs8_to_pkcs1(der: &[u8]) -> KeyResult {
    let invalid = || "the private key is not a valid PKCS#8 key".to_string();
    let (tag, content, _) = element(der).ok_or_else(invalid)?;
    let parts = children(content)
        .filter(|_| tag == 0x30)
        .ok_or_else(invalid)?;
    let [(0x02, _), (0x30, algorithm), (0x04, key), ..] = parts.as_slice() else {
        return Err(invalid());
    };
    let oid = children(algorithm)
        .and_then(|a| a.first().copied())
        .filter(|(tag, _)| *tag == 0x06)
        .map(|(_, oid)| oid)
        .ok_or_else(invalid)?;
    if oid == RSA_OID {
        Ok(key.to_vec())
    } else if oid == EC_OID {
        Err(not_rsa("an EC"))
    } else {
        Err(not_rsa("not an RSA"))
    }
}

/// The public half (modulus, exponent) of a PKCS#1 `RSAPrivateKey`.
fn rsa_public_of_private(pkcs1: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (0x30, content, _) = element(pkcs1)? else {
        return None;
    };
    let parts = children(content)?;
    let [(0x02, _version), (0x02, n), (0x02, e), ..] = parts.as_slice() else {
        return None;
    };
    Some((strip_zeros(n), strip_zeros(e)))
}

/// A certificate's RSA public key (modulus, exponent); `None` when it is not an RSA key.
fn cert_rsa_public(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (0x30, cert, _) = element(cert)? else {
        return None;
    };
    let (0x30, tbs, _) = element(cert)? else {
        return None;
    };
    let mut fields = children(tbs)?;
    if fields.first().is_some_and(|(tag, _)| *tag == 0xa0) {
        fields.remove(0); // the explicit [0] version
    }
    // serial, signature algorithm, issuer, validity, subject, then the subject public key info.
    let &(0x30, spki) = fields.get(5)? else {
        return None;
    };
    let spki = children(spki)?;
    let [(0x30, algorithm), (0x03, bits)] = spki.as_slice() else {
        return None;
    };
    let oid = children(algorithm)?.first().copied()?;
    if oid != (0x06, RSA_OID) {
        return None;
    }
    let (&0, key) = bits.split_first()? else {
        return None; // a key is a whole number of bytes
    };
    let (0x30, content, _) = element(key)? else {
        return None;
    };
    let parts = children(content)?;
    let [(0x02, n), (0x02, e)] = parts.as_slice() else {
        return None;
    };
    Some((strip_zeros(n), strip_zeros(e)))
}

/// An INTEGER's bytes without the leading zero DER adds to keep it positive.
fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}
