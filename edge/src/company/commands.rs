//! What the worker asks of a company's Durable Object, and what it answers.

use keyswitch_shared::api::{CompanyKeyInfo, PendingSetup};
use keyswitch_shared::switch::{Stage, TenantRef};
use keyswitch_shared::{ErrorBody, KeyName, Provider, TenantId, VaultUri};
use serde::{Deserialize, Serialize};

use crate::session::Actor;

/// One request to the object (JSON body of `POST https://company-kms/{company}`).
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Read the state.
    View,
    /// Test Connection with a vault URI and key name: start (or edit) the
    /// setup, then ask for consent or run the test.
    Start {
        /// Who.
        actor: Actor,
        /// Vault base URI.
        vault_uri: VaultUri,
        /// Key name.
        key_name: KeyName,
        /// The vault's tenant, from Key Vault's challenge.
        vault_tenant: TenantId,
        /// When a still-fresh cached consent for that tenant was granted.
        cached_consent_at: Option<i64>,
    },
    /// Issue a new admin-consent `state` for the pending setup.
    IssueConsent {
        /// Who.
        actor: Actor,
    },
    /// The admin-consent callback arrived with this state nonce.
    ConsentCallback {
        /// The random part of `state`.
        nonce: String,
        /// `error`.
        error: Option<String>,
        /// `error_description`.
        error_description: Option<String>,
        /// `admin_consent`.
        admin_consent: Option<String>,
        /// `tenant` (a hint only; never proof).
        tenant_hint: Option<String>,
    },
    /// Completed: run the connection test.
    Test {
        /// Who.
        actor: Actor,
    },
    /// Save: list the tenants to verify.
    Save {
        /// Who.
        actor: Actor,
    },
    /// Cancel pending setup.
    Cancel {
        /// Who.
        actor: Actor,
    },
    /// One page of the audit trail, newest first.
    Audit {
        /// Which page.
        query: crate::audit::Query,
    },
    /// Start verifying a tenant (setup or export re-verification).
    BeginVerify {
        /// Who.
        actor: Actor,
        /// Which tenant.
        tenant: TenantRef,
    },
    /// A verification sign-in came back with this state nonce.
    VerifyCallback {
        /// The random part of `state`.
        nonce: String,
        /// `code`.
        code: Option<String>,
        /// `error`.
        error: Option<String>,
        /// `error_description`.
        error_description: Option<String>,
    },
    /// Refresh the tenant list from the inventory.
    Refresh {
        /// Who.
        actor: Actor,
    },
    /// Finalization progress; `run` also starts an attempt when one is due.
    Finalize {
        /// Run an attempt now if one is due.
        run: bool,
    },
    /// The one-time export.
    Export {
        /// Who.
        actor: Actor,
    },
    /// Start re-verifying every tenant before a further export.
    BeginExportVerification {
        /// Who.
        actor: Actor,
    },
    /// The export re-verification's state.
    ExportVerificationView,
    /// Operator path: move the company onto an AWS KMS key.
    MoveToAwsKms {
        /// Who.
        actor: Actor,
        /// The KMS key id or ARN.
        key_id: String,
    },
    /// Envelope API: a new data key.
    GenerateDataKey,
    /// Envelope API: unwrap a data key.
    DecryptDataKey {
        /// The wrapped data key.
        wrapped: String,
    },
}

/// The object's view of the company.
#[derive(Serialize, Deserialize)]
pub struct View {
    /// Provider in force.
    pub provider: Provider,
    /// Stage.
    pub stage: Stage,
    /// The pending setup.
    pub pending: Option<PendingSetup>,
    /// Facts about the stored company key.
    pub company_key: CompanyKeyInfo,
    /// A freshly issued consent `state`, when the setup awaits consent.
    pub consent_state: Option<String>,
}

/// The outcome of a consent callback, for the landing page.
#[derive(Serialize, Deserialize)]
pub struct CallbackOutcome {
    /// The error and its HTTP status, or `None` when consent was proven.
    pub error: Option<(u16, ErrorBody)>,
    /// The vault's name, when known.
    pub vault_name: Option<String>,
}
