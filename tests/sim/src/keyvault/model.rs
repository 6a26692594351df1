//! Key Vault wire types (the subset the product and the SDKs use).

use serde::{Deserialize, Serialize};

/// A JSON Web Key as Key Vault returns it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct JsonWebKey {
    /// Key id (`https://{vault}/keys/{name}/{version}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Key type (`RSA`, `RSA-HSM`, `EC`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kty: Option<String>,
    /// Permitted operations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// Key attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KeyAttributes {
    /// Enabled flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Not before (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expiry (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Creation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// Update time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    /// Recovery level.
    #[serde(rename = "recoveryLevel", skip_serializing_if = "Option::is_none")]
    pub recovery_level: Option<String>,
    /// Soft-delete retention days.
    #[serde(rename = "recoverableDays", skip_serializing_if = "Option::is_none")]
    pub recoverable_days: Option<i64>,
    /// Exportable flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
}

/// `GET /keys/{name}` and rotation answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyBundle {
    /// The public key.
    pub key: JsonWebKey,
    /// Its attributes.
    pub attributes: KeyAttributes,
    /// Tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One entry of a key listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyItem {
    /// Key id (versionless for `/keys`, versioned for `/versions`).
    pub kid: String,
    /// Attributes.
    pub attributes: KeyAttributes,
}

/// `GET /keys` and `/keys/{name}/versions` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyListResult {
    /// Items.
    pub value: Vec<KeyItem>,
    /// Next page.
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

/// Body of wrapkey / unwrapkey / encrypt / decrypt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyOperationsParameters {
    /// Algorithm (`RSA-OAEP-256`, `RSA-OAEP`, `RSA1_5`).
    pub alg: String,
    /// Data, base64url (standard base64 tolerated).
    pub value: String,
}

/// Answer of wrapkey / unwrapkey / encrypt / decrypt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyOperationResult {
    /// Versioned key id used.
    pub kid: String,
    /// Result, base64url.
    pub value: String,
}

/// Key Vault's error envelope.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyVaultError {
    /// The error.
    pub error: ErrorDetail,
}

/// An error with an optional nested inner error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorDetail {
    /// Code (`KeyNotFound`, `Forbidden`, …).
    pub code: String,
    /// Message (absent on inner errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Inner error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub innererror: Option<Box<ErrorDetail>>,
}

/// A soft-deleted key: `DELETE /keys/{name}` and `GET /deletedkeys/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletedKeyBundle {
    /// `https://{vault}/deletedkeys/{name}`.
    #[serde(rename = "recoveryId")]
    pub recovery_id: String,
    /// When it was deleted (Unix seconds).
    #[serde(rename = "deletedDate")]
    pub deleted_date: i64,
    /// When Key Vault purges it (Unix seconds).
    #[serde(rename = "scheduledPurgeDate")]
    pub scheduled_purge_date: i64,
    /// The public key (of the current version).
    pub key: JsonWebKey,
    /// Its attributes.
    pub attributes: KeyAttributes,
    /// Tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One entry of `GET /deletedkeys`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletedKeyItem {
    /// `https://{vault}/deletedkeys/{name}`.
    #[serde(rename = "recoveryId")]
    pub recovery_id: String,
    /// When it was deleted (Unix seconds).
    #[serde(rename = "deletedDate")]
    pub deleted_date: i64,
    /// When Key Vault purges it (Unix seconds).
    #[serde(rename = "scheduledPurgeDate")]
    pub scheduled_purge_date: i64,
    /// The versionless key id.
    pub kid: String,
    /// Attributes.
    pub attributes: KeyAttributes,
}
