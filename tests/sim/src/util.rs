//! Small helpers shared by every simulated service: time, ids, encodings.

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Locks a mutex, recovering the data if a previous holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `n` random bytes from the OS generator.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random Key Vault object version: 32 lower-case hex characters.
pub fn random_version() -> String {
    hex(&random_bytes(16))
}

/// A version derived from a label, so seeded objects keep their ids across restarts.
pub fn stable_version(label: &str) -> String {
    let digest = Sha256::digest(format!("keyswitch-sim/{label}").as_bytes());
    hex(&digest[..16])
}

/// A GUID derived from a label (stable across restarts).
pub fn stable_guid(label: &str) -> String {
    let digest = Sha256::digest(format!("keyswitch-sim-guid/{label}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

/// A fresh random GUID.
pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An opaque random token (base64url, no padding).
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64 tolerantly: url-safe or standard alphabet, padded or not.
pub fn b64_decode_tolerant(s: &str) -> Option<Vec<u8>> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| *c != '=' && !c.is_whitespace())
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(cleaned.as_bytes()).ok()
}

/// Is `s` a GUID (8-4-4-4-12 hex)?
pub fn is_guid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok() && s.len() == 36
}

/// `YYYY-MM-DD hh:mm:ssZ`, the timestamp style of Entra error bodies.
pub fn entra_timestamp(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(unix);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}Z")
}

/// RFC 3339 (`YYYY-MM-DDThh:mm:ss.000Z`), Google's timestamp style.
pub fn rfc3339(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(unix);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.000Z")
}

/// Splits Unix seconds into a proleptic Gregorian UTC date and time.
fn civil(unix: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Days-to-date conversion on 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, (secs % 3600) / 60, secs % 60)
}

/// Escapes text for HTML bodies and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Appends query parameters to a redirect URI (form-encoded, like the real services).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let encoded = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{encoded}")
}

/// Parses a query string or form body into ordered pairs; `None` when malformed.
pub fn parse_form(raw: &str) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw).ok()
}

/// First value of `name` in parsed pairs.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(entra_timestamp(0), "1970-01-01 00:00:00Z");
        assert_eq!(entra_timestamp(1_700_000_000), "2023-11-14 22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn tolerant_base64() {
        assert_eq!(b64_decode_tolerant("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(b64_decode_tolerant("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(b64_decode_tolerant("!!"), None);
    }

    #[test]
    fn query_appending() {
        assert_eq!(
            with_query(
                "http://x/cb?a=1",
                &[("error_description", "The admin canceled")]
            ),
            "http://x/cb?a=1&error_description=The+admin+canceled"
        );
    }
}
