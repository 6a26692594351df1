//! What the model asks the edge to do, and what the edge answers the caller.

use super::company::{ExportWindow, WrappedKey};
use super::model::{Stage, Target, TenantRef};
use super::secret::OAuthSecret;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::catalog::CatalogError;
use crate::ids::{KeyId, TenantId};
use crate::provider::Provider;

/// One audit entry, written in the same transaction as the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its sequence number within the company.
    pub seq: u64,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// How it ended.
    pub outcome: Outcome,
    /// Stage before the event.
    pub from: Stage,
    /// Stage after the event.
    pub to: Stage,
    /// A catalog code or a non-secret note (kid, tenant).
    pub detail: Option<String>,
    /// When (Unix milliseconds).
    pub at_ms: u64,
    /// The administrator at Microsoft or Google who did the step for
    /// `actor` (a consent, a tenant's proof), as their ID token named them.
    pub outside_admin: Option<crate::audit::OutsideAdmin>,
}

/// What the caller of the Durable Object gets besides the new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A consent sign-in was recorded: send the admin to this URL.
    ConsentUrl(String),
    /// Send the tenant's admin to this sign-in page.
    SignIn {
        /// The sign-in page.
        authorize_url: String,
        /// The tenant.
        tenant: TenantRef,
    },
    /// The admin-consent callback's outcome, for its landing page.
    ConsentOutcome {
        /// `None` when consent was proven.
        error: Option<CatalogError>,
        /// The vault's name, when known.
        vault_name: Option<String>,
    },
    /// A verification callback's outcome, for its landing page.
    VerifyOutcome {
        /// `None` when the tenant was verified.
        error: Option<CatalogError>,
        /// The tenant, when the state was genuine.
        tenant: Option<TenantRef>,
        /// Whether every tenant is now verified and finalization started.
        finalizing: bool,
        /// Whether the verification reopened the export.
        export_open: bool,
    },
    /// The request failed with this error (the state change, if any, stands).
    Error(CatalogError),
    /// *Check configuration*'s report.
    Check(Box<crate::rotation::CheckReport>),
}

/// What the edge must do. Every effect is carried out; effects that call
/// outside services end by feeding their result back as an
/// [`Event`](super::Event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write this audit entry with the model.
    Audit(AuditEntry),
    /// Arm the alarm for this time (Unix milliseconds).
    ArmAlarm {
        /// When.
        at_ms: u64,
    },
    /// No deadline is left: clear the alarm.
    ClearAlarm,
    /// Answer the caller.
    Reply(Reply),
    /// Prove the admin consent: redeem `code` with the PKCE verifier, verify
    /// the ID token (signature against its tenant's keys, issuer, audience,
    /// `nonce` = `oidc_nonce`, `wids` holding Global Administrator or
    /// Privileged Role Administrator), get a client-credentials token in
    /// its `tid` (the consent took effect), then learn the vault's tenant
    /// from Key Vault's challenge; then [`Event::ConsentProven`](super::Event::ConsentProven).
    ProveConsent {
        /// The lease attempt.
        attempt: u32,
        /// The authorization code.
        code: OAuthSecret,
        /// The PKCE verifier.
        pkce_verifier: OAuthSecret,
        /// The nonce the ID token must carry.
        oidc_nonce: OAuthSecret,
        /// The key of the setup (its vault's cloud decides the token scope).
        target: Target,
    },
    /// Learn the vault's tenant from Key Vault's challenge (an
    /// unauthenticated GET of the key); then [`Event::VaultProbed`](super::Event::VaultProbed).
    ProbeVault {
        /// The lease attempt.
        attempt: u32,
        /// The key.
        target: Target,
    },
    /// Token, GET key, key check, wrap/unwrap of a random probe; then
    /// [`Event::ConnectionTested`](super::Event::ConnectionTested).
    TestConnection {
        /// The lease attempt.
        attempt: u32,
        /// The key.
        target: Target,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// Read the backup-set inventory; then [`Event::InventoryRead`](super::Event::InventoryRead).
    ReadInventory {
        /// The lease attempt.
        attempt: u32,
    },
    /// Exchange a verification code and prove the admin; then
    /// [`Event::CodeExchanged`](super::Event::CodeExchanged).
    ExchangeCode {
        /// Hash of the sign-in's state.
        nonce_sha256: String,
        /// The tenant to prove.
        tenant: TenantRef,
        /// The authorization code.
        code: OAuthSecret,
        /// The PKCE verifier.
        pkce_verifier: OAuthSecret,
        /// The nonce the ID token must carry.
        oidc_nonce: String,
    },
    /// Unwrap the company key with the provider in force and wrap it with
    /// the new key (versionless; Key Vault answers the versioned kid); then
    /// [`Event::Wrapped`](super::Event::Wrapped).
    Wrap {
        /// The lease attempt.
        attempt: u32,
        /// The provider in force and the blob it unwraps.
        old: (Provider, WrappedKey),
        /// The new key.
        target: Target,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// Unwrap `blob` through Key Vault with `kid` and compare it with the
    /// company key unwrapped by the provider in force; then
    /// [`Event::WrapVerified`](super::Event::WrapVerified).
    VerifyWrap {
        /// The lease attempt.
        attempt: u32,
        /// The provider in force and the blob it unwraps.
        old: (Provider, WrappedKey),
        /// The versioned key id.
        kid: KeyId,
        /// The new blob (base64).
        blob: String,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// Unwrap the company key and hand it to the caller as the export file;
    /// then [`Event::Exported`](super::Event::Exported).
    ExportKey {
        /// The lease attempt.
        attempt: u32,
        /// The provider in force and the blob it unwraps.
        old: (Provider, WrappedKey),
        /// The window that was open.
        window: ExportWindow,
    },
    /// Record in the key-binding registry that the company is bound to
    /// (`bind`) or released from `key`; then
    /// [`Event::BindingRecorded`](super::Event::BindingRecorded).
    RecordBinding {
        /// The write's attempt (its answer names it).
        attempt: u32,
        /// The key.
        key: super::company::RegistryKey,
        /// Bind or release.
        bind: bool,
    },
    /// *Re-wrap now*: GET the key (versionless) and answer its current
    /// versioned `kid`; then [`Event::KeyVersionRead`](super::Event::KeyVersionRead).
    ReadKeyVersion {
        /// The lease attempt.
        attempt: u32,
        /// The versionless key id.
        key: KeyId,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// Rotation: unwrap the company key with the provider in force (its
    /// recorded `kid`) and wrap it with exactly the version `kid` (after a
    /// GET of that version and the binding check); then
    /// [`Event::Rewrapped`](super::Event::Rewrapped).
    Rewrap {
        /// The lease attempt.
        attempt: u32,
        /// The provider in force and the blob it unwraps.
        old: (Provider, WrappedKey),
        /// The new versioned key id.
        kid: KeyId,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// Rotation: unwrap `blob` with `kid` and compare it with the company
    /// key unwrapped by the provider in force; then
    /// [`Event::RewrapVerified`](super::Event::RewrapVerified).
    VerifyRewrap {
        /// The lease attempt.
        attempt: u32,
        /// The provider in force and the blob it unwraps.
        old: (Provider, WrappedKey),
        /// The new versioned key id.
        kid: KeyId,
        /// The new blob (base64).
        blob: String,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// Health check: a client-credentials token in `tenant` (the cached one,
    /// or a fresh one when `fresh_token`: a removed consent shows only when
    /// a token is asked for) and one GET of the versionless `key`; then
    /// [`Event::KeyChecked`](super::Event::KeyChecked) with what it showed.
    CheckKey {
        /// The check's attempt.
        attempt: u32,
        /// The versionless key id.
        key: KeyId,
        /// The vault's tenant.
        tenant: TenantId,
        /// Ask Entra for a new token first (*Check now*, or the last check
        /// did not end healthy).
        fresh_token: bool,
    },
    /// Health probe: wrap 32 random bytes with `kid` and unwrap them again;
    /// then [`Event::KeyProbed`](super::Event::KeyProbed).
    ProbeKey {
        /// The check's attempt.
        attempt: u32,
        /// The versioned key id the company key is wrapped with.
        kid: KeyId,
        /// The vault's tenant.
        tenant: TenantId,
    },
    /// *Check configuration*: observe everything at once without changing
    /// anything — a token in `tenant` (none when unknown), GET `key`, a
    /// wrap/unwrap probe with the version GET answered, before Save the
    /// re-wrap dry run (unwrap with the provider in force `dry_run`, wrap
    /// and unwrap with the new key, compare, discard), and the inventory;
    /// then [`Event::ConfigurationChecked`](super::Event::ConfigurationChecked).
    CheckConfiguration {
        /// Who asked (the result's audit names them).
        actor: Actor,
        /// The pending setup's key or the key in force.
        scope: crate::rotation::CheckScope,
        /// Versionless (pending) or the recorded kid (in force).
        key: KeyId,
        /// The vault's tenant, when known.
        tenant: Option<TenantId>,
        /// Before Save: the provider in force and its blob, to dry-run the re-wrap.
        dry_run: Option<Box<(Provider, WrappedKey)>>,
    },
    /// Sign the body (secret `WEBHOOK_SECRET`, the current time) and POST
    /// it to `WEBHOOK_URL`; then [`Event::WebhookAnswered`](super::Event::WebhookAnswered).
    Webhook(crate::notify::Send),
    /// Unwrap the company key and wrap it with an AWS KMS key (encryption
    /// context naming the company); then [`Event::MovedToAws`](super::Event::MovedToAws).
    RewrapToAws {
        /// The lease attempt.
        attempt: u32,
        /// The provider in force and the blob it unwraps.
        old: (Provider, WrappedKey),
        /// The KMS key id or ARN.
        key_id: String,
    },
}
