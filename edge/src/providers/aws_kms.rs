//! A customer AWS KMS key as provider: `TrentService.Encrypt` / `.Decrypt`
//! over the JSON protocol, signed with Signature Version 4 (service `kms`).
//! The encryption context binds the blob to the company.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use keyswitch_shared::CatalogError;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use worker::Env;

use crate::config;
use crate::crypto::CryptoError;
use crate::error::EdgeError;
use crate::http::Call;

/// Attempts for 5xx/429/network failures inside one call.
const ATTEMPTS: u32 = 3;

type HmacSha256 = Hmac<Sha256>;

/// The configured KMS endpoint and credentials. The secret is never printed.
pub struct Kms {
    endpoint: url::Url,
    region: String,
    access_key_id: String,
    secret_access_key: String,
}

impl std::fmt::Debug for Kms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kms")
            .field("endpoint", &self.endpoint.as_str())
            .field("region", &self.region)
            .field("secret_access_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EncryptAnswer {
    ciphertext_blob: String,
    #[serde(default)]
    key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DecryptAnswer {
    plaintext: String,
}

fn failed() -> CatalogError {
    CatalogError::UnexpectedAnswer {
        service: "AWS KMS".into(),
    }
}

/// A 4xx from AWS KMS about the customer's key is the customer's to fix, not
/// a bad gateway: a key that does not exist (wrong id, other account or
/// region, deleted) is 404, a disabled key or one pending deletion is 409.
/// Anything else stays "unexpected answer" (502).
fn refused(kind: &str) -> CatalogError {
    // `__type` may carry a namespace prefix (`com.amazonaws.kms#…`).
    match kind.rsplit('#').next().unwrap_or(kind) {
        "NotFoundException" => CatalogError::NotFound {
            what: "The AWS KMS key".into(),
        },
        "DisabledException" | "KMSInvalidStateException" => CatalogError::Conflict {
            reason: "The AWS KMS key is disabled or pending deletion: enable it in AWS KMS, or use another key".into(),
        },
        _ => failed(),
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, EdgeError> {
    let mut mac =
        HmacSha256::new_from_slice(key).map_err(|_| CryptoError::Malformed("an HMAC key"))?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// `(YYYYMMDDTHHMMSSZ, YYYYMMDD)` now, in UTC.
fn amz_dates() -> (String, String) {
    let iso: String = js_sys::Date::new_0().to_iso_string().into();
    // 2026-11-25T08:27:16.123Z
    let digits: String = iso
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    let date: String = digits.chars().take(8).collect();
    (format!("{digits}Z"), date)
}

impl Kms {
    /// Reads endpoint, region and credentials from configuration.
    pub fn from_env(env: &Env) -> Result<Self, EdgeError> {
        Ok(Self {
            endpoint: config::url_var(env, config::AWS_KMS_ENDPOINT)?,
            region: config::var(env, config::AWS_REGION)?,
            access_key_id: config::var(env, config::AWS_ACCESS_KEY_ID)?,
            secret_access_key: config::secret(env, config::AWS_SECRET_ACCESS_KEY)?,
        })
    }

    /// The SigV4 `Authorization` header for a `POST` to the endpoint's path
    /// with these headers. The canonical URI is the path actually requested
    /// (`/` for the real service, e.g. `/aws/kms` behind a proxy), so the
    /// signature covers what is sent.
    fn authorization(
        &self,
        host: &str,
        amz_date: &str,
        date: &str,
        target: &str,
        body: &str,
    ) -> Result<String, EdgeError> {
        let signed_headers = "content-type;host;x-amz-date;x-amz-target";
        let path = match self.endpoint.path() {
            "" => "/",
            p => p,
        };
        let canonical = format!(
            "POST\n{path}\n\ncontent-type:application/x-amz-json-1.1\nhost:{host}\nx-amz-date:{amz_date}\nx-amz-target:{target}\n\n{signed_headers}\n{}",
            hex::encode(Sha256::digest(body.as_bytes()))
        );
        let scope = format!("{date}/{}/kms/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k_date = hmac(
            format!("AWS4{}", self.secret_access_key).as_bytes(),
            date.as_bytes(),
        )?;
        let k_region = hmac(&k_date, self.region.as_bytes())?;
        let k_service = hmac(&k_region, b"kms")?;
        let k_signing = hmac(&k_service, b"aws4_request")?;
        let signature = hex::encode(hmac(&k_signing, to_sign.as_bytes())?);
        Ok(format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key_id
        ))
    }

    async fn call(&self, action: &str, body: &serde_json::Value) -> Result<String, EdgeError> {
        let body = body.to_string();
        let host = match (self.endpoint.host_str(), self.endpoint.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => return Err(EdgeError::Config(config::AWS_KMS_ENDPOINT)),
        };
        let target = format!("TrentService.{action}");
        let mut last: EdgeError = failed().into();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                crate::timer::sleep(200 * u64::from(attempt)).await;
            }
            let (amz_date, date) = amz_dates();
            let authorization = self.authorization(&host, &amz_date, &date, &target, &body)?;
            let sent = Call::post(self.endpoint.as_str())
                .header("X-Amz-Date", &amz_date)
                .header("X-Amz-Target", &target)
                .secret_header("Authorization", &authorization)
                .body("application/x-amz-json-1.1", body.as_str())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status == 200 => return Ok(answer.text()),
                Ok(answer) => {
                    let kind = answer
                        .json::<serde_json::Value>()
                        .ok()
                        .and_then(|v| v["__type"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let status = answer.status;
                    worker::console_warn!("AWS KMS {action} answered {status} {kind}");
                    if status < 500 && status != 429 {
                        return Err(refused(&kind).into());
                    }
                    last = failed().into();
                }
                Err(e) => {
                    worker::console_warn!("AWS KMS {action}: {e}");
                    last = EdgeError::Unreachable {
                        public: failed(),
                        source: e,
                    };
                }
            }
        }
        Err(last)
    }

    /// Encrypts `plaintext` under `key_id` for `company`; returns the key ARN
    /// KMS reports and the ciphertext blob.
    pub async fn encrypt(
        &self,
        key_id: &str,
        plaintext: &[u8],
        company: &str,
    ) -> Result<(String, Vec<u8>), EdgeError> {
        let text = self
            .call(
                "Encrypt",
                &json!({
                    "KeyId": key_id,
                    "Plaintext": STANDARD.encode(plaintext),
                    "EncryptionContext": {"keyswitch:company": company},
                }),
            )
            .await?;
        let answer: EncryptAnswer = serde_json::from_str(&text).map_err(|_| failed())?;
        let blob = STANDARD
            .decode(answer.ciphertext_blob)
            .map_err(|_| failed())?;
        Ok((answer.key_id.unwrap_or_else(|| key_id.to_owned()), blob))
    }

    /// Decrypts a blob made by [`Kms::encrypt`] for `company` with `key_id`.
    pub async fn decrypt(
        &self,
        key_id: &str,
        blob: &[u8],
        company: &str,
    ) -> Result<Vec<u8>, EdgeError> {
        let text = self
            .call(
                "Decrypt",
                &json!({
                    "KeyId": key_id,
                    "CiphertextBlob": STANDARD.encode(blob),
                    "EncryptionContext": {"keyswitch:company": company},
                }),
            )
            .await?;
        let answer: DecryptAnswer = serde_json::from_str(&text).map_err(|_| failed())?;
        STANDARD
            .decode(answer.plaintext)
            .map_err(|_| failed().into())
    }
}
