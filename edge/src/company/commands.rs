//! What the worker asks of a company's Durable Object, and what it answers.

use keyswitch_shared::api::{CompanyKeyInfo, KeyHealth, PendingSetup};
use keyswitch_shared::switch::{Stage, TenantRef};
use keyswitch_shared::{Actor, ErrorBody, KeyName, Provider, VaultUri};
use serde::{Deserialize, Serialize};

/// One request to the object (JSON body of `POST https://company-kms/{company}`).
/// Each admin command carries the actor recorded in the audit trail.
#[derive(Serialize, Deserialize)]
// Externally tagged for serde; `crate::wire` keeps the bytes on the wire
// internally tagged (`{"op": …}`).
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Read the state (changes nothing).
    View,
    /// Answers `{}` before anything is loaded: the benchmark's bare
    /// Durable Object round trip (`/api/bench/do-ping`, bench builds only).
    #[cfg(feature = "bench")]
    Ping,
    /// Test Connection with a vault URI and key name.
    Start {
        /// The admin who clicked.
        actor: Actor,
        /// Vault base URI.
        vault_uri: VaultUri,
        /// Key name.
        key_name: KeyName,
    },
    /// Grant admin consent: a new consent sign-in for the pending setup.
    IssueConsent {
        /// The admin who clicked.
        actor: Actor,
    },
    /// The admin-consent sign-in came back with this state nonce (its MAC
    /// was checked by the worker). `admin_consent` and `tenant` are not
    /// passed on: they prove nothing.
    ConsentCallback {
        /// The random part of `state`.
        nonce: String,
        /// The callback's `code`.
        code: Option<String>,
        /// The callback's `error`.
        error: Option<String>,
        /// The callback's `error_description`.
        error_description: Option<String>,
    },
    /// Completed or Test Connection on the pending setup.
    Test {
        /// The admin who clicked.
        actor: Actor,
    },
    /// Save: list the tenants to verify.
    Save {
        /// The admin who clicked.
        actor: Actor,
    },
    /// Cancel pending setup.
    Cancel {
        /// The admin who clicked.
        actor: Actor,
    },
    /// One page of the audit trail, newest first.
    Audit {
        /// Which page.
        query: crate::audit::Query,
    },
    /// Start verifying a tenant (setup or export re-verification).
    BeginVerify {
        /// The admin who clicked.
        actor: Actor,
        /// Which tenant.
        tenant: TenantRef,
    },
    /// A verification sign-in came back with this state nonce (its MAC was
    /// checked by the worker).
    VerifyCallback {
        /// The random part of `state`.
        nonce: String,
        /// The callback's `code`.
        code: Option<String>,
        /// The callback's `error`.
        error: Option<String>,
        /// The callback's `error_description`.
        error_description: Option<String>,
    },
    /// The inventory lists no backup set: confirm there is nothing to verify.
    ConfirmNoTenants {
        /// The admin who clicked.
        actor: Actor,
    },
    /// Refresh the tenant list from the inventory.
    Refresh {
        /// The admin who clicked.
        actor: Actor,
    },
    /// Finalization progress; `run` also does what is due (a retry).
    Finalize {
        /// Do what is due before answering.
        run: bool,
    },
    /// The one-time export.
    Export {
        /// The admin who clicked.
        actor: Actor,
        /// The session's `auth_time` (Unix seconds), if it has one.
        signed_in_at: Option<i64>,
    },
    /// Start re-verifying every tenant before a further export.
    BeginExportVerification {
        /// The admin who clicked.
        actor: Actor,
    },
    /// The re-verification's inventory lists no backup set: confirm there
    /// is nothing to verify.
    ConfirmNoExportTenants {
        /// The admin who clicked.
        actor: Actor,
    },
    /// The export re-verification's state.
    ExportVerificationView,
    /// Operator path: move the company onto an AWS KMS key.
    MoveToAwsKms {
        /// The Partner Admin who asked.
        actor: Actor,
        /// The KMS key id or ARN.
        key_id: String,
    },
    /// *Check now*: check the key's health at once.
    CheckNow {
        /// The admin who clicked.
        actor: Actor,
    },
    /// *Check configuration*: every check at once, changing nothing.
    Check {
        /// The admin who clicked.
        actor: Actor,
    },
    /// *Re-wrap now*: re-wrap the company key with the key's current version.
    Rewrap {
        /// The admin who clicked.
        actor: Actor,
    },
    /// The Cron sweep: the company's work was due a while ago; report the
    /// alarm to the model, which re-arms a lost one (see `sweep.rs`).
    Sweep,
    /// Development only (`routes/dev.rs`): delete the alarm, as a lost one.
    DropAlarm,
    /// Envelope API: a new data key.
    GenerateDataKey,
    /// Envelope API: unwrap a data key.
    DecryptDataKey {
        /// The wrapped data key.
        wrapped: String,
    },
}

/// What the object answers the sweep (and the development alarm drop).
#[derive(Serialize, Deserialize)]
pub struct SweepAnswer {
    /// Whether the model found the alarm lost and re-armed it.
    pub restored: bool,
    /// The object's alarm after the command (Unix milliseconds).
    pub alarm_at_ms: Option<i64>,
    /// When the model's work is due next (Unix milliseconds).
    pub due_ms: Option<u64>,
}

/// The object's view of the company. Only the object encodes it: the
/// worker copies its parts as text (`routes::overview`).
#[derive(Serialize)]
pub struct View {
    /// Provider in force.
    pub provider: Provider,
    /// Stage.
    pub stage: Stage,
    /// The pending setup.
    pub pending: Option<PendingSetup>,
    /// Facts about the stored company key.
    pub company_key: CompanyKeyInfo,
    /// How long the unwrapped company key stays cached (seconds).
    pub key_cache_seconds: u64,
    /// The admin-consent sign-in URL, when one was just issued.
    pub consent_url: Option<String>,
    /// The health of the Azure key in force (none for other providers).
    #[serde(default)]
    pub health: Option<KeyHealth>,
    /// The Azure key versions that protected the company key, newest first.
    #[serde(default)]
    pub kid_history: Vec<keyswitch_shared::rotation::KidRecord>,
    /// The re-wrap owed or under way.
    #[serde(default)]
    pub rewrap: Option<keyswitch_shared::rotation::RewrapProgress>,
    /// The backup-set count of the latest inventory read (none when the
    /// inventory was never read successfully).
    #[serde(default)]
    pub backup_sets: Option<keyswitch_shared::switch::BackupSetCount>,
    /// What the screen offers about the export (the model's decision).
    #[serde(default)]
    pub export: keyswitch_shared::api::ExportOffer,
}

/// The outcome of a consent callback, for the landing page.
#[derive(Serialize, Deserialize)]
pub struct CallbackOutcome {
    /// The error and its HTTP status, or `None` when consent was proven.
    pub error: Option<(u16, ErrorBody)>,
    /// The vault's name, when known.
    pub vault_name: Option<String>,
}

/// The outcome of a verification callback, for the landing page.
#[derive(Serialize, Deserialize)]
pub struct VerifyOutcome {
    /// `None` when the tenant was verified.
    pub error: Option<(u16, ErrorBody)>,
    /// The tenant, when the state was genuine.
    pub tenant: Option<TenantRef>,
    /// Whether every tenant is now verified and finalization started.
    pub finalizing: bool,
    /// Whether the verification reopened the export.
    pub export_open: bool,
}
