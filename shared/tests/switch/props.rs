//! Property tests over the whole company model: random lives of a company
//! driven through an interpreter of every effect, checked after every step
//! against an oracle that knows only what the outside world did.
//!
//! The interpreter plays the edge and the outside world: it answers every
//! outside call with a random valid result or a random catalog error,
//! sometimes "crashes" (the effect is dropped and the clock passes its lease,
//! so the alarm must resolve it), moves the clock (firing the alarm when it
//! is due), changes the backup-set inventory, answers callbacks with good,
//! bad, reused and forged states, and sends every admin command at random
//! points. The oracle is the world's own record: which (provider, blob)
//! pairs unwrap to the company key, which inventory it delivered last, which
//! tenants a qualified admin proved (and the model confirmed), whether an
//! export window is open, which outside calls are still in flight.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use keyswitch_shared::api::TestedKey;
use keyswitch_shared::key_check::RsaKeyType;
use keyswitch_shared::notify::Failure;
use keyswitch_shared::switch::{
    CONSENT_TTL_SECS, Company, ConsentAnswer, ConsentProof, Ctx, Effect, Event, ExportWindow,
    Inventory, OAuthSecret, Policy, Reply, Stage, Target, TenantRef, Unverifiable, UnverifiableSet,
    VerifyAnswer, update,
};
use keyswitch_shared::{AuditAction, CatalogError, Outcome, Provider, TenantId, ValidationError};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

use crate::common::*;

// ---------- entropy ----------

/// The random choices of one life, consumed one number at a time (proptest
/// shrinks the list, so a failure shrinks to a short life).
struct Dice<'a> {
    data: &'a [u32],
    at: usize,
}

impl Dice<'_> {
    fn left(&self) -> bool {
        self.at < self.data.len()
    }
    fn roll(&mut self, n: u32) -> u32 {
        let v = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 { 0 } else { v % n }
    }
    fn pct(&mut self, p: u32) -> bool {
        self.roll(100) < p
    }
    fn pick<'b, T>(&mut self, xs: &'b [T]) -> Option<&'b T> {
        if xs.is_empty() {
            None
        } else {
            let i = self.roll(u32::try_from(xs.len()).unwrap());
            xs.get(i as usize)
        }
    }
}

// ---------- every error the edge can feed back ----------

const ERROR_KINDS: usize = 71;

fn error(i: u32) -> CatalogError {
    use CatalogError as E;
    match i as usize % ERROR_KINDS {
        0 => E::UriContainsKeyPath {
            vault_uri: "https://v.vault.azure.net".into(),
            key_name: "k".into(),
        },
        1 => E::UriPointsToSecret,
        2 => E::KeyNotFound {
            key_name: Some("cmk".into()),
        },
        3 => E::AdminConsentRequired,
        4 => E::KeyVaultForbidden,
        5 => E::AccessPolicyVault,
        6 => E::ConsentUserLacksRole,
        7 => E::TenantsUnverified { unverified: 1 },
        8 => E::KeyNotRsa4096 {
            found: "RSA 2048".into(),
        },
        9 => E::KeySizeNotSupported {
            found_bits: 1024,
            allowed: vec![2048, 3072, 4096],
        },
        10 => E::KeyWrongType { found: "EC".into() },
        11 => E::KeyDisabled,
        12 => E::KeyExpired {
            expired_at: Some(1),
        },
        13 => E::KeyNotYetValid {
            valid_from: Some(i64::MAX),
        },
        14 => E::KeyOperationsMissing {
            missing: vec!["wrapKey".into()],
        },
        15 => E::Throttled,
        16 => E::AzureUnavailable,
        17 => E::VaultFirewall,
        18 => E::VaultTokenRejected {
            vault_tenant: Some(tenant_id(VAULT_TENANT)),
        },
        19 => E::KeyVaultRejected {
            status: 400,
            code: "BadParameter".into(),
        },
        20 => E::ConsentDeclined,
        21 => E::EntraRejected {
            error: "invalid_grant, AADSTS50126".into(),
        },
        22 => E::ClientSecretInvalid,
        23 => E::ClientSecretExpired,
        24 => E::ApplicationNotFound,
        25 => E::TenantNotFound,
        26 => E::TenantVerifiedWithoutRole,
        27 => E::TenantMismatch {
            expected: VAULT_TENANT.into(),
            found: OTHER_TENANT.into(),
        },
        28 => E::OAuthStateExpired,
        29 => E::GoogleDelegatedAdmin,
        30 => E::GoogleNotSuperAdmin,
        31 => E::GoogleUnavailable,
        32 => E::GoogleRejected { status: 403 },
        33 => E::CloudVaultExists,
        34 => E::ExportNotAvailable,
        35 => E::InvalidInput(ValidationError::VaultUriEmpty),
        36 => E::InvalidField {
            field: "body".into(),
            reason: "too large".into(),
        },
        37 => E::NotSignedIn,
        38 => E::ForbiddenRole,
        39 => E::NotFound {
            what: "AWS KMS key".into(),
        },
        40 => E::Conflict {
            reason: "KMS key disabled".into(),
        },
        41 => E::InvalidTransition {
            state: "x".into(),
            event: "y".into(),
        },
        42 => E::UnexpectedAnswer {
            service: "Azure Key Vault".into(),
        },
        43 => E::Interrupted {
            step: "outbound call".into(),
        },
        45 => E::ForbiddenVaultRole,
        46 => E::VaultKeyUnreachable {
            cause: Box::new(E::KeyVaultForbidden),
            kid: "https://vault1.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap(),
            client_id: "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21".parse().unwrap(),
        },
        47 => E::BodyTooLarge { limit_bytes: 32768 },
        48 => E::UnknownCompany,
        49 => E::EnvelopeCompanyNotAllowed,
        50 => E::ServiceMisconfigured,
        51 => E::BackupSetUnverifiable {
            set: "\"Fabrikam\" (bs-7)".into(),
            reason: "its kind \"dropbox\" is unknown".into(),
        },
        52 => E::ExportWindowExpired {
            closed_at: 1_800_000_000,
        },
        53 => E::ReauthenticationRequired { max_age_mins: 10 },
        54 => E::KeyBindingMissing {
            vault: "https://vault1.vault.azure.net".parse().expect("a vault"),
            key_name: "cmk".into(),
            company: "acme".into(),
        },
        55 => E::KeyBindingMismatch {
            vault: "https://vault1.vault.azure.net".parse().expect("a vault"),
            key_name: "cmk".into(),
            company: "acme".into(),
            found: vec!["globex".into()],
        },
        56 => E::RateLimited {
            retry_after_secs: 3,
            interval_secs: 10,
        },
        57 => E::KeyAccessLost {
            cause: Box::new(E::KeyVaultForbidden),
            kid: "https://vault1.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
                .parse()
                .expect("a kid"),
        },
        58 => E::RoleRemoved {
            vault: "https://vault1.vault.azure.net".parse().expect("a vault"),
            key_name: "cmk".parse().expect("a key name"),
            connector: "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21".parse().ok(),
        },
        59 => E::ConsentRemoved { tenant: None },
        60 => E::KeyDeleted {
            vault: "https://vault1.vault.azure.net".parse().expect("a vault"),
            key_name: "cmk".into(),
            recoverable_days: Some(7),
        },
        61 => E::FirstPartyServiceDenied,
        62 => E::KeyVaultForbiddenOther {
            code: "Forbidden/Unknown".into(),
            reason: None,
        },
        63 => E::CloudNotConfigured {
            cloud: keyswitch_shared::Cloud::China,
            available: vec![keyswitch_shared::Cloud::Public],
        },
        64 => E::IdTokenWithoutRoles,
        65 => E::OAuthStateInvalid,
        66 => E::OAuthStateUsed,
        67 => E::OAuthStateSuperseded,
        68 => E::OAuthStateWrongFlow,
        69 => E::IdTokenRefused {
            service: "Google".into(),
            fault: keyswitch_shared::id_token::IdTokenFault::Nonce,
        },
        70 => E::VaultNotFound {
            host: "nosuch.vault.azure.net".into(),
        },
        _ => E::Internal,
    }
}

/// The kind of an error, for coverage: exhaustive, so a new catalog error
/// cannot be left out of [`error`].
fn kind(e: &CatalogError) -> usize {
    use CatalogError as E;
    match e {
        E::UriContainsKeyPath { .. } => 0,
        E::UriPointsToSecret => 1,
        E::KeyNotFound { .. } => 2,
        E::AdminConsentRequired => 3,
        E::KeyVaultForbidden => 4,
        E::AccessPolicyVault => 5,
        E::ConsentUserLacksRole => 6,
        E::TenantsUnverified { .. } => 7,
        E::KeyNotRsa4096 { .. } => 8,
        E::KeySizeNotSupported { .. } => 9,
        E::KeyWrongType { .. } => 10,
        E::KeyDisabled => 11,
        E::KeyExpired { .. } => 12,
        E::KeyNotYetValid { .. } => 13,
        E::KeyOperationsMissing { .. } => 14,
        E::Throttled => 15,
        E::AzureUnavailable => 16,
        E::VaultFirewall => 17,
        E::VaultTokenRejected { .. } => 18,
        E::KeyVaultRejected { .. } => 19,
        E::ConsentDeclined => 20,
        E::EntraRejected { .. } => 21,
        E::ClientSecretInvalid => 22,
        E::ClientSecretExpired => 23,
        E::ApplicationNotFound => 24,
        E::TenantNotFound => 25,
        E::TenantVerifiedWithoutRole => 26,
        E::TenantMismatch { .. } => 27,
        E::OAuthStateExpired => 28,
        E::GoogleDelegatedAdmin => 29,
        E::GoogleNotSuperAdmin => 30,
        E::GoogleUnavailable => 31,
        E::GoogleRejected { .. } => 32,
        E::CloudVaultExists => 33,
        E::ExportNotAvailable => 34,
        E::InvalidInput(_) => 35,
        E::InvalidField { .. } => 36,
        E::NotSignedIn => 37,
        E::ForbiddenRole => 38,
        E::NotFound { .. } => 39,
        E::Conflict { .. } => 40,
        E::InvalidTransition { .. } => 41,
        E::UnexpectedAnswer { .. } => 42,
        E::Interrupted { .. } => 43,
        E::Internal => 44,
        E::ForbiddenVaultRole => 45,
        E::VaultKeyUnreachable { .. } => 46,
        E::BodyTooLarge { .. } => 47,
        E::UnknownCompany => 48,
        E::EnvelopeCompanyNotAllowed => 49,
        E::ServiceMisconfigured => 50,
        E::BackupSetUnverifiable { .. } => 51,
        E::ExportWindowExpired { .. } => 52,
        E::ReauthenticationRequired { .. } => 53,
        E::KeyBindingMissing { .. } => 54,
        E::KeyBindingMismatch { .. } => 55,
        E::RateLimited { .. } => 56,
        E::KeyAccessLost { .. } => 57,
        E::RoleRemoved { .. } => 58,
        E::ConsentRemoved { .. } => 59,
        E::KeyDeleted { .. } => 60,
        E::FirstPartyServiceDenied => 61,
        E::KeyVaultForbiddenOther { .. } => 62,
        E::CloudNotConfigured { .. } => 63,
        E::IdTokenWithoutRoles => 64,
        E::OAuthStateInvalid => 65,
        E::OAuthStateUsed => 66,
        E::OAuthStateSuperseded => 67,
        E::OAuthStateWrongFlow => 68,
        E::IdTokenRefused { .. } => 69,
        E::VaultNotFound { .. } => 70,
    }
}

// ---------- what the run reached ----------

/// Stages a cancel can happen in.
const CANCEL_STAGES: [Stage; 7] = [
    Stage::Draft,
    Stage::AwaitingConsent,
    Stage::AwaitingRoleAssignment,
    Stage::TestingConnection,
    Stage::Tested,
    Stage::VerifyingTenants,
    Stage::Finalizing,
];

/// Which outside call a lease that expired belonged to.
const CALLS: [&str; 14] = [
    "prove_consent",
    "test_connection",
    "list_read",
    "round_read",
    "final_read",
    "exchange_code",
    "wrap",
    "verify_wrap",
    "export_key",
    "rewrap_to_aws",
    "test_restarted",
    "rewrap_read",
    "rewrap",
    "verify_rewrap",
];

#[derive(Debug, Default, Clone)]
struct Stats {
    steps: u64,
    completions: u64,
    completions_with_tenants: u64,
    completions_with_several_tenants: u64,
    completions_after_a_failure: u64,
    completions_from_aws: u64,
    blocked_by_new_tenant: u64,
    blocked_by_unverifiable_set: u64,
    completions_without_backup_sets: u64,
    confirmations_voided: u64,
    finalize_failures: u64,
    finalize_retries: u64,
    exports: u64,
    exports_refused: u64,
    exports_expired: u64,
    exports_stale: u64,
    exports_failed_and_reopened: u64,
    rounds_reopened: u64,
    empty_rounds_confirmed: u64,
    moves_to_aws: u64,
    rewraps: u64,
    expired: BTreeMap<&'static str, u64>,
    cancels: BTreeMap<&'static str, u64>,
    cancels_refused_during_commit: u64,
    stale_results_refused: u64,
    duplicate_results_refused: u64,
    bad_states_answered: u64,
    replays_named_used: u64,
    errors_fed: BTreeMap<usize, u64>,
    effects_seen: BTreeMap<&'static str, u64>,
    refused_commands: u64,
    switch_webhooks: u64,
    sweeps: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.steps += o.steps;
        self.completions += o.completions;
        self.completions_with_tenants += o.completions_with_tenants;
        self.completions_with_several_tenants += o.completions_with_several_tenants;
        self.completions_after_a_failure += o.completions_after_a_failure;
        self.completions_from_aws += o.completions_from_aws;
        self.switch_webhooks += o.switch_webhooks;
        self.sweeps += o.sweeps;
        self.blocked_by_new_tenant += o.blocked_by_new_tenant;
        self.blocked_by_unverifiable_set += o.blocked_by_unverifiable_set;
        self.completions_without_backup_sets += o.completions_without_backup_sets;
        self.confirmations_voided += o.confirmations_voided;
        self.finalize_failures += o.finalize_failures;
        self.finalize_retries += o.finalize_retries;
        self.exports += o.exports;
        self.exports_refused += o.exports_refused;
        self.exports_expired += o.exports_expired;
        self.exports_stale += o.exports_stale;
        self.exports_failed_and_reopened += o.exports_failed_and_reopened;
        self.rounds_reopened += o.rounds_reopened;
        self.empty_rounds_confirmed += o.empty_rounds_confirmed;
        self.moves_to_aws += o.moves_to_aws;
        self.rewraps += o.rewraps;
        for (k, v) in &o.expired {
            *self.expired.entry(k).or_default() += v;
        }
        for (k, v) in &o.cancels {
            *self.cancels.entry(k).or_default() += v;
        }
        self.cancels_refused_during_commit += o.cancels_refused_during_commit;
        self.stale_results_refused += o.stale_results_refused;
        self.duplicate_results_refused += o.duplicate_results_refused;
        self.bad_states_answered += o.bad_states_answered;
        self.replays_named_used += o.replays_named_used;
        for (k, v) in &o.errors_fed {
            *self.errors_fed.entry(*k).or_default() += v;
        }
        for (k, v) in &o.effects_seen {
            *self.effects_seen.entry(k).or_default() += v;
        }
        self.refused_commands += o.refused_commands;
    }
}

// ---------- the outside world and the oracle ----------

/// What an inventory read was for, as the command that caused it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadFor {
    /// Save or Refresh.
    List,
    /// An export re-verification round.
    Round,
    /// The read that confirms an empty round has nothing to verify.
    Confirm,
    /// The finalization's last read.
    Final,
}

/// What a sign-in verifies, as the oracle saw it begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignFor {
    Setup(u32),
    Round(u32),
}

/// An outside call the model asked for whose result has not been fed back.
#[derive(Debug, Clone)]
struct Out {
    effect: Effect,
    /// When its lease ends: issue time plus the policy's lease.
    deadline: u64,
    /// Dropped by a crash: its result never comes.
    crashed: bool,
    /// Whether the model should still accept its result (not cancelled,
    /// not resolved by the alarm, not superseded).
    live: bool,
    read: Option<ReadFor>,
    sign: Option<(SignFor, TenantRef)>,
}

impl Out {
    fn attempt(&self) -> Option<u32> {
        match &self.effect {
            Effect::ProveConsent { attempt, .. }
            | Effect::ProbeVault { attempt, .. }
            | Effect::TestConnection { attempt, .. }
            | Effect::ReadInventory { attempt }
            | Effect::Wrap { attempt, .. }
            | Effect::VerifyWrap { attempt, .. }
            | Effect::ExportKey { attempt, .. }
            | Effect::RewrapToAws { attempt, .. }
            | Effect::ReadKeyVersion { attempt, .. }
            | Effect::Rewrap { attempt, .. }
            | Effect::VerifyRewrap { attempt, .. } => Some(*attempt),
            Effect::ExchangeCode { .. }
            | Effect::CheckConfiguration { .. }
            | Effect::RecordBinding { .. }
            | Effect::Webhook(_)
            | Effect::CheckKey { .. }
            | Effect::ProbeKey { .. }
            | Effect::Audit(_)
            | Effect::ArmAlarm { .. }
            | Effect::ClearAlarm
            | Effect::Reply(_) => None,
        }
    }

    fn name(&self) -> &'static str {
        match (&self.effect, self.read) {
            (Effect::ProveConsent { .. }, _) => CALLS[0],
            (Effect::TestConnection { .. } | Effect::ProbeVault { .. }, _) => CALLS[1],
            (Effect::ReadInventory { .. }, Some(ReadFor::List)) => CALLS[2],
            (Effect::ReadInventory { .. }, Some(ReadFor::Round | ReadFor::Confirm)) => CALLS[3],
            (Effect::ReadInventory { .. }, _) => CALLS[4],
            (Effect::ExchangeCode { .. }, _) => CALLS[5],
            (Effect::Wrap { .. }, _) => CALLS[6],
            (Effect::VerifyWrap { .. }, _) => CALLS[7],
            (Effect::ExportKey { .. }, _) => CALLS[8],
            (Effect::RewrapToAws { .. }, _) => CALLS[9],
            (Effect::RecordBinding { .. }, _) => "record_binding",
            (Effect::ReadKeyVersion { .. }, _) => "rewrap_read",
            (Effect::Rewrap { .. }, _) => "rewrap",
            (Effect::VerifyRewrap { .. }, _) => "verify_rewrap",
            (Effect::Webhook(_), _) => "webhook",
            (Effect::CheckKey { .. }, _) => "check_key",
            (Effect::ProbeKey { .. }, _) => "probe_key",
            (Effect::CheckConfiguration { .. }, _) => "check_configuration",
            (
                Effect::Audit(_) | Effect::ArmAlarm { .. } | Effect::ClearAlarm | Effect::Reply(_),
                _,
            ) => "not a call",
        }
    }

    /// Whether a cancel ends it (it belongs to the setup).
    fn of_setup(&self) -> bool {
        match &self.effect {
            Effect::ProveConsent { .. }
            | Effect::ProbeVault { .. }
            | Effect::TestConnection { .. }
            | Effect::Wrap { .. }
            | Effect::VerifyWrap { .. } => true,
            Effect::ReadInventory { .. } => {
                !matches!(self.read, Some(ReadFor::Round | ReadFor::Confirm))
            }
            Effect::ExchangeCode { .. } => matches!(self.sign, Some((SignFor::Setup(_), _))),
            Effect::ExportKey { .. }
            | Effect::RewrapToAws { .. }
            | Effect::RecordBinding { .. }
            | Effect::ReadKeyVersion { .. }
            | Effect::Rewrap { .. }
            | Effect::VerifyRewrap { .. }
            | Effect::Webhook(_)
            | Effect::CheckKey { .. }
            | Effect::ProbeKey { .. }
            | Effect::CheckConfiguration { .. }
            | Effect::Audit(_)
            | Effect::ArmAlarm { .. }
            | Effect::ClearAlarm
            | Effect::Reply(_) => false,
        }
    }
}

/// The outside world: which blobs unwrap to the one company key under
/// which provider, and the backup sets' tenants.
struct World {
    pairs: Vec<(Provider, String)>,
    inventory: Vec<TenantRef>,
    /// Backup sets that name no tenant keyswitch can verify.
    unverifiable: Vec<UnverifiableSet>,
    versions: u64,
    blobs: u64,
}

impl World {
    fn unwraps(&self, provider: &Provider, blob: &str) -> bool {
        self.pairs.iter().any(|(p, b)| p == provider && b == blob)
    }
    fn fresh_blob(&mut self, label: &str) -> String {
        self.blobs += 1;
        format!("{label}-blob-{}", self.blobs)
    }
    fn fresh_version(&mut self) -> u64 {
        self.versions += 1;
        self.versions
    }
}

/// A tenant sign-in the model handed out.
#[derive(Debug, Clone)]
struct Issued {
    tenant: TenantRef,
    sign: SignFor,
}

/// The oracle's own account of the company, built from what the world did
/// and the commands the model accepted — never from the model's fields.
#[derive(Debug, Default)]
struct Oracle {
    /// A setup is pending (started, not cancelled, not committed).
    pending: bool,
    setup_no: u32,
    /// The latest inventory delivered for the setup.
    listed: Option<BTreeSet<TenantRef>>,
    /// The latest inventory delivered for the setup had sets that cannot be
    /// verified.
    blocked: bool,
    /// An admin confirmed (and the model accepted) that the latest, empty,
    /// inventory leaves nothing to verify.
    confirmed_empty: bool,
    /// Tenants of the setup a qualified admin proved (world: yes; model: confirmed).
    verified: BTreeSet<TenantRef>,
    /// An inventory was delivered after the last verification.
    read_since_verified: bool,
    /// Finalization attempts that failed in this setup.
    failures: u32,
    round_no: u32,
    /// The export round: its tenants and those proved.
    round: Option<(u32, BTreeSet<TenantRef>, BTreeSet<TenantRef>)>,
    window_open: bool,
}

impl Oracle {
    /// The setup may finish: the latest inventory has no set that cannot be
    /// verified, every tenant in it is verified, and an empty one was
    /// confirmed by an admin.
    fn ready(&self) -> bool {
        self.listed.as_ref().is_some_and(|l| {
            !self.blocked && l.is_subset(&self.verified) && (!l.is_empty() || self.confirmed_empty)
        })
    }
    /// A new setup, or none.
    fn forget_setup(&mut self) {
        self.listed = None;
        self.blocked = false;
        self.confirmed_empty = false;
        self.verified.clear();
    }
}

/// Backup sets the inventory may list that keyswitch cannot verify.
fn unverifiable_pool() -> Vec<UnverifiableSet> {
    vec![
        UnverifiableSet {
            set_id: "bs-kind".into(),
            set_name: Some("Dropbox".into()),
            why: Unverifiable::UnknownKind {
                kind: "dropbox".into(),
            },
        },
        UnverifiableSet {
            set_id: "bs-domain".into(),
            set_name: None,
            why: Unverifiable::TenantIsDomain {
                domain: "contoso.onmicrosoft.com".into(),
            },
        },
        UnverifiableSet {
            set_id: "bs-customer".into(),
            set_name: Some("Fabrikam".into()),
            why: Unverifiable::CustomerIdInvalid {
                value: "03az79cb".into(),
            },
        },
    ]
}

// ---------- the simulation ----------

/// Chance (percent) that an outside call fails, and that a command is a
/// random one instead of the natural next step.
#[derive(Debug, Clone, Copy)]
struct Temper {
    fail: u32,
    random: u32,
}

struct Sim {
    m: Company,
    now: u64,
    policy: Policy,
    nonces: u64,
    alarm: Option<u64>,
    world: World,
    outs: Vec<Out>,
    oracle: Oracle,
    sign_ins: BTreeMap<String, Issued>,
    consent_nonces: Vec<String>,
    used: BTreeSet<String>,
    vault_tenant: TenantId,
    /// Results the model accepted (the edge might feed one twice).
    accepted_results: Vec<Event>,
    stats: Stats,
    temper: Temper,
}

/// What the step does.
enum Action {
    /// An admin command, a callback or the alarm.
    Event(Event),
    /// The result of outstanding call `outs[i]`.
    Deliver(usize, Event),
    /// A result no call asked for (a forged or very late one).
    Bogus(Event),
}

macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)+)));
        }
    };
}

/// An AWS KMS key as an operator names it: by ARN, key id or alias.
fn aws_key(i: u32) -> String {
    match i % 4 {
        0 => "arn:aws:kms:eu-west-1:111122223333:key/k-0".into(),
        1 => "k-1".into(),
        2 => "alias/k-2".into(),
        _ => "arn:aws:kms:eu-west-1:111122223333:key/k-1".into(),
    }
}

/// The ARN AWS KMS reports for a key name.
fn arn_of(key_id: &str) -> String {
    if key_id.starts_with("arn:") {
        key_id.to_owned()
    } else {
        let id = key_id.trim_start_matches("alias/");
        format!("arn:aws:kms:eu-west-1:111122223333:key/{id}")
    }
}

fn target_of(p: &Provider) -> Option<Target> {
    match p {
        Provider::AzureKeyVault {
            vault_uri,
            key_name,
            ..
        } => Some(Target {
            vault_uri: vault_uri.clone(),
            key_name: key_name.clone(),
        }),
        Provider::Platform | Provider::AwsKms { .. } => None,
    }
}

impl Sim {
    fn new(start_on_aws: bool, temper: Temper) -> Self {
        let (provider, key) = if start_on_aws {
            let provider = Provider::AwsKms { key_id: aws_key(0) };
            let key = keyswitch_shared::switch::WrappedKey {
                blob: "aws-blob-0".into(),
                created_at_ms: T0 - 1,
                azure_tenant: None,
            };
            (provider, key)
        } else {
            (Provider::Platform, platform_key())
        };
        let world = World {
            pairs: vec![(provider.clone(), key.blob.clone())],
            inventory: tenant_pool()[..2].to_vec(),
            unverifiable: Vec::new(),
            versions: 0,
            blobs: 0,
        };
        Self {
            m: Company::new(company_id(), provider, key),
            now: T0,
            // A window the walk's clock reaches (7 days it never would).
            policy: Policy {
                export_window_secs: 900,
                ..Policy::default()
            },
            nonces: 0,
            alarm: None,
            world,
            outs: Vec::new(),
            oracle: Oracle::default(),
            sign_ins: BTreeMap::new(),
            consent_nonces: Vec::new(),
            used: BTreeSet::new(),
            vault_tenant: tenant_id(VAULT_TENANT),
            accepted_results: Vec::new(),
            stats: Stats::default(),
            temper,
        }
    }

    fn next_nonce(&mut self) -> String {
        self.nonces += 1;
        format!("nonce{:038}", self.nonces)
    }

    fn ctx(&self, nonce: String) -> Ctx {
        Ctx {
            now_ms: self.now,
            nonce,
            policy: self.policy.clone(),
        }
    }

    fn now_secs(&self) -> i64 {
        i64::try_from(self.now / 1000).unwrap()
    }

    /// An export by a session signed in just now (mostly), long ago, in the
    /// future, or without `auth_time`.
    fn export(&self, actor: keyswitch_shared::audit::Actor, d: &mut Dice<'_>) -> Event {
        let now = self.now_secs();
        let max = self.policy.reauth_max_age_secs;
        let signed_in_at = match d.roll(10) {
            0 => None,
            1 => Some(now - max - 1 - i64::from(d.roll(10_000))),
            2 => Some(now + 1 + i64::from(d.roll(100))),
            3 => Some(now - max),
            _ => Some(now - i64::from(d.roll(300))),
        };
        Event::Export {
            actor,
            signed_in_at,
        }
    }

    /// Whether `event` is an export by a session signed in recently enough.
    fn fresh_export(&self, event: &Event) -> bool {
        let now = self.now_secs();
        matches!(
            event,
            Event::Export { signed_in_at: Some(at), .. }
                if *at <= now && now - at <= self.policy.reauth_max_age_secs
        )
    }

    /// Whether the window of `m` has ended by now.
    fn window_over(&self, m: &Company) -> bool {
        m.export_window()
            .closes_at(self.policy.export_window_secs)
            .is_some_and(|end| self.now_secs() >= end)
    }

    fn feed_error(&mut self, d: &mut Dice<'_>) -> CatalogError {
        let e = error(d.roll(u32::try_from(ERROR_KINDS).unwrap()));
        *self.stats.errors_fed.entry(kind(&e)).or_default() += 1;
        e
    }

    /// Whether a re-wrap of the commit is in flight (the oracle's "commit issued").
    fn commit_in_flight(&self) -> bool {
        self.outs.iter().any(|o| {
            o.live
                && o.deadline > self.now
                && matches!(o.effect, Effect::Wrap { .. } | Effect::VerifyWrap { .. })
        })
    }

    // ---- choosing what happens ----

    fn choose(&mut self, d: &mut Dice<'_>) -> Option<Action> {
        let roll = d.roll(100);
        match roll {
            0..=37 => self.deliver(d).or_else(|| self.natural(d)),
            38..=41 => {
                self.crash(d);
                None
            }
            42..=49 => {
                self.advance(d);
                None
            }
            50..=51 => Some(Action::Event(Event::Tick)),
            52..=53 => {
                self.change_inventory(d);
                None
            }
            _ if d.pct(self.temper.random) => Some(self.random(d)),
            _ => self.natural(d),
        }
    }

    /// The world answers one outstanding call (now and then one that is no
    /// longer live, which the model must refuse).
    fn deliver(&mut self, d: &mut Dice<'_>) -> Option<Action> {
        let live: Vec<usize> = (0..self.outs.len())
            .filter(|i| !self.outs[*i].crashed && self.outs[*i].live)
            .collect();
        let dead: Vec<usize> = (0..self.outs.len())
            .filter(|i| !self.outs[*i].crashed && !self.outs[*i].live)
            .collect();
        let i = if !dead.is_empty() && (live.is_empty() || d.pct(15)) {
            *d.pick(&dead)?
        } else {
            *d.pick(&live)?
        };
        let event = self.answer(i, d);
        Some(Action::Deliver(i, event))
    }

    /// The world's answer to `outs[i]`: a valid result, or an error.
    fn answer(&mut self, i: usize, d: &mut Dice<'_>) -> Event {
        let fail = d.pct(self.temper.fail);
        let effect = self.outs[i].effect.clone();
        // Every call that unwraps with the provider in force must name a
        // pair that unwraps: by invariant (a) it does.
        match effect {
            Effect::ProveConsent { attempt, .. } => Event::ConsentProven {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    // Now and then an admin of another tenant signed in.
                    let tenant = if d.pct(10) {
                        tenant_id(OTHER_TENANT)
                    } else {
                        self.vault_tenant.clone()
                    };
                    Ok(ConsentProof {
                        tenant,
                        vault_tenant: self.vault_tenant.clone(),
                        admin: "admin@tenant.example".into(),
                    })
                },
            },
            Effect::ProbeVault { attempt, .. } => Event::VaultProbed {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok(self.vault_tenant.clone())
                },
            },
            Effect::TestConnection {
                attempt, target, ..
            } => {
                let result = if fail {
                    Err(self.feed_error(d))
                } else {
                    // Now and then Key Vault's answer names another key.
                    let t = if d.pct(5) {
                        Target {
                            vault_uri: "https://elsewhere.vault.azure.net".parse().unwrap(),
                            key_name: target.key_name.clone(),
                        }
                    } else {
                        target
                    };
                    let v = self.world.fresh_version();
                    Ok(TestedKey {
                        kid: kid(&t, v),
                        size_bits: 4096,
                        kty: RsaKeyType::RsaHsm,
                        tested_at_ms: self.now,
                    })
                };
                Event::ConnectionTested { attempt, result }
            }
            Effect::ReadInventory { attempt } => Event::InventoryRead {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok(Inventory {
                        tenants: inventory(&self.world.inventory).tenants,
                        unverifiable: self.world.unverifiable.clone(),
                    })
                },
            },
            Effect::ExchangeCode { nonce_sha256, .. } => Event::CodeExchanged {
                nonce_sha256,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok("admin@tenant.example".into())
                },
            },
            Effect::Wrap {
                attempt,
                old,
                target,
                ..
            } => {
                let result = if fail || !self.world.unwraps(&old.0, &old.1.blob) {
                    Err(self.feed_error(d))
                } else {
                    let v = self.world.fresh_version();
                    let blob = self.world.fresh_blob("azure");
                    let real = kid(&target, v);
                    self.world.pairs.push((
                        Provider::AzureKeyVault {
                            vault_uri: target.vault_uri.clone(),
                            key_name: target.key_name.clone(),
                            kid: real.clone(),
                        },
                        blob.clone(),
                    ));
                    // Now and then the answer names a kid that is not the
                    // one the blob was wrapped with.
                    let told = if d.pct(5) {
                        kid(&crate::common::target(7), v)
                    } else {
                        real
                    };
                    Ok((told, blob))
                };
                Event::Wrapped { attempt, result }
            }
            Effect::VerifyWrap {
                attempt,
                old,
                kid,
                blob,
                ..
            } => {
                let new = Provider::AzureKeyVault {
                    vault_uri: kid.vault(),
                    key_name: kid.name(),
                    kid: kid.clone(),
                };
                let result = if !self.world.unwraps(&new, &blob)
                    || !self.world.unwraps(&old.0, &old.1.blob)
                {
                    Err(CatalogError::UnexpectedAnswer {
                        service: "Azure Key Vault".into(),
                    })
                } else if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok(())
                };
                Event::WrapVerified { attempt, result }
            }
            Effect::ExportKey { attempt, old, .. } => Event::Exported {
                attempt,
                result: if fail || !self.world.unwraps(&old.0, &old.1.blob) {
                    Err(self.feed_error(d))
                } else {
                    Ok(())
                },
            },
            Effect::RewrapToAws {
                attempt,
                old,
                key_id,
            } => {
                let result = if fail || !self.world.unwraps(&old.0, &old.1.blob) {
                    Err(self.feed_error(d))
                } else {
                    // AWS KMS reports the key's ARN, whatever name it was given.
                    let arn = arn_of(&key_id);
                    let blob = self.world.fresh_blob("aws");
                    self.world.pairs.push((
                        Provider::AwsKms {
                            key_id: arn.clone(),
                        },
                        blob.clone(),
                    ));
                    Ok((arn, blob))
                };
                Event::MovedToAws { attempt, result }
            }
            // The key's current version: the recorded one, or the customer
            // (or a rotation policy) rotated it.
            Effect::ReadKeyVersion { attempt, key, .. } => Event::KeyVersionRead {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    match self.m.provider() {
                        Provider::AzureKeyVault { kid, .. } if d.pct(30) => Ok(kid.clone()),
                        _ => {
                            let v = self.world.fresh_version();
                            Ok(crate::common::kid(
                                &Target {
                                    vault_uri: key.vault(),
                                    key_name: key.name(),
                                },
                                v,
                            ))
                        }
                    }
                },
            },
            Effect::Rewrap {
                attempt, old, kid, ..
            } => {
                let result = if fail || !self.world.unwraps(&old.0, &old.1.blob) {
                    Err(self.feed_error(d))
                } else {
                    let blob = self.world.fresh_blob("rotated");
                    self.world.pairs.push((
                        Provider::AzureKeyVault {
                            vault_uri: kid.vault(),
                            key_name: kid.name(),
                            kid: kid.clone(),
                        },
                        blob.clone(),
                    ));
                    // Now and then the answer names another version.
                    let told = if d.pct(5) {
                        let v = self.world.fresh_version();
                        crate::common::kid(
                            &Target {
                                vault_uri: kid.vault(),
                                key_name: kid.name(),
                            },
                            v,
                        )
                    } else {
                        kid
                    };
                    Ok((told, blob))
                };
                Event::Rewrapped { attempt, result }
            }
            Effect::VerifyRewrap {
                attempt,
                old,
                kid,
                blob,
                ..
            } => {
                let new = Provider::AzureKeyVault {
                    vault_uri: kid.vault(),
                    key_name: kid.name(),
                    kid: kid.clone(),
                };
                let result = if !self.world.unwraps(&new, &blob)
                    || !self.world.unwraps(&old.0, &old.1.blob)
                {
                    Err(CatalogError::UnexpectedAnswer {
                        service: "Azure Key Vault".into(),
                    })
                } else if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok(())
                };
                Event::RewrapVerified { attempt, result }
            }
            // Key Vault shows the key: mostly the version the company key is
            // wrapped with, now and then a new one (a rotation), bound to the
            // company (now and then disabled).
            Effect::CheckKey { attempt, key, .. } => Event::KeyChecked {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    let current = match self.m.provider() {
                        Provider::AzureKeyVault { kid, .. } if d.pct(80) => kid.clone(),
                        _ => {
                            let v = self.world.fresh_version();
                            kid(
                                &Target {
                                    vault_uri: key.vault(),
                                    key_name: key.name(),
                                },
                                v,
                            )
                        }
                    };
                    let mut tags = std::collections::BTreeMap::new();
                    tags.insert(
                        keyswitch_shared::binding::TAG.to_owned(),
                        crate::common::COMPANY.to_owned(),
                    );
                    Ok(keyswitch_shared::health::KeySeen {
                        kid: current,
                        kty: "RSA-HSM".into(),
                        size_bits: 4096,
                        key_ops: vec!["wrapKey".into(), "unwrapKey".into()],
                        enabled: !d.pct(10),
                        nbf: None,
                        exp: None,
                        updated: None,
                        tags,
                        recovery_level: None,
                        recoverable_days: Some(7),
                    })
                },
            },
            Effect::ProbeKey { attempt, .. } => Event::KeyProbed {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok(())
                },
            },
            // The registry answers how many other companies share the key.
            Effect::RecordBinding { attempt, .. } => Event::BindingRecorded {
                attempt,
                result: if fail {
                    Err(self.feed_error(d))
                } else {
                    Ok(d.roll(3))
                },
            },
            // The host answers 2xx, or fails (retried with back-off).
            Effect::Webhook(send) => Event::WebhookAnswered {
                attempt: send.attempt,
                result: if fail {
                    Err(if d.pct(50) {
                        Failure::Status(503)
                    } else {
                        Failure::Unreachable
                    })
                } else {
                    Ok(200)
                },
            },
            Effect::Audit(_)
            | Effect::ArmAlarm { .. }
            | Effect::ClearAlarm
            | Effect::Reply(_)
            | Effect::CheckConfiguration { .. } => {
                unreachable!("only outside calls are outstanding")
            }
        }
    }

    /// The object dies while a call runs: its result never comes, and the
    /// clock passes the call's lease (the alarm fires at its time, or a
    /// later command resolves it).
    fn crash(&mut self, d: &mut Dice<'_>) {
        let running: Vec<usize> = (0..self.outs.len())
            .filter(|i| self.outs[*i].live && !self.outs[*i].crashed)
            .collect();
        let Some(&i) = d.pick(&running) else {
            return;
        };
        self.outs[i].crashed = true;
        let deadline = self.outs[i].deadline;
        self.now = self.now.max(deadline) + u64::from(d.roll(3_000));
    }

    /// Time passes; the alarm fires when it is due (almost always).
    fn advance(&mut self, d: &mut Dice<'_>) {
        let dt = match d.roll(10) {
            0..=5 => u64::from(d.roll(3_000)),
            6..=7 => self.policy.lease_ms + u64::from(d.roll(10_000)),
            8 => self.policy.state_ttl_ms,
            _ => match self
                .m
                .setup()
                .and_then(|s| s.finalize())
                .and_then(|f| f.next_retry_at_ms)
            {
                Some(at) => at.saturating_sub(self.now),
                None => u64::from(d.roll(600_000)),
            },
        };
        self.now += dt;
    }

    fn change_inventory(&mut self, d: &mut Dice<'_>) {
        let pool = tenant_pool();
        match d.roll(6) {
            3 => {
                // A set that cannot be verified appears (or goes away).
                if self.world.unverifiable.is_empty() || d.pct(50) {
                    let set = d.pick(&unverifiable_pool()).unwrap().clone();
                    if !self.world.unverifiable.contains(&set) {
                        self.world.unverifiable.push(set);
                    }
                } else {
                    self.world.unverifiable.clear();
                }
                return;
            }
            4 => {
                // No backup set at all.
                self.world.inventory.clear();
                self.world.unverifiable.clear();
                return;
            }
            _ => {}
        }
        match d.roll(3) {
            0 => {
                let t = d.pick(&pool).unwrap().clone();
                if !self.world.inventory.contains(&t) {
                    self.world.inventory.push(t);
                }
            }
            1 if self.world.inventory.len() > 1 => {
                let i = d.roll(u32::try_from(self.world.inventory.len()).unwrap());
                self.world.inventory.remove(i as usize);
            }
            _ => {
                let n = 1 + d.roll(4) as usize;
                let mut set = BTreeSet::new();
                while set.len() < n {
                    set.insert(d.pick(&pool).unwrap().clone());
                    if !d.left() {
                        break;
                    }
                }
                self.world.inventory = set.into_iter().collect();
            }
        }
    }

    fn start(&mut self, d: &mut Dice<'_>) -> Event {
        // Now and then a consent proven long ago ages out meanwhile.
        if d.pct(10) {
            self.now += u64::try_from(CONSENT_TTL_SECS).unwrap() * 1000;
        }
        Event::Start {
            actor: admin(),
            target: target(1 + d.roll(2) as usize),
            consent: sign_in(&self.peek_nonce()),
        }
    }

    fn issue_consent(&self) -> Event {
        Event::IssueConsent {
            actor: admin(),
            consent: sign_in(&self.peek_nonce()),
        }
    }

    fn begin_verify(&mut self, tenant: TenantRef) -> Event {
        // The sign-in's state is the context's nonce of this update.
        let nonce = self.peek_nonce();
        Event::BeginVerify {
            actor: admin(),
            tenant,
            sign_in: sign_in(&nonce),
        }
    }

    fn peek_nonce(&self) -> String {
        format!("nonce{:038}", self.nonces + 1)
    }

    fn consent_answer(d: &mut Dice<'_>) -> ConsentAnswer {
        match d.roll(10) {
            0 => ConsentAnswer {
                error: Some("consent_required".into()),
                error_description: Some("AADSTS90094: admin permission".into()),
                ..ConsentAnswer::default()
            },
            1 => ConsentAnswer {
                error: Some("access_denied".into()),
                error_description: Some("AADSTS65004: User declined to consent".into()),
                ..ConsentAnswer::default()
            },
            // A forged success: no code, no proof.
            2 => ConsentAnswer::default(),
            _ => ConsentAnswer {
                code: Some(OAuthSecret::new("the-consent-code".into())),
                ..ConsentAnswer::default()
            },
        }
    }

    fn verify_answer(d: &mut Dice<'_>) -> VerifyAnswer {
        match d.roll(10) {
            0 => VerifyAnswer {
                error: Some("access_denied".into()),
                ..VerifyAnswer::default()
            },
            1 => VerifyAnswer {
                error: Some("server_error".into()),
                error_description: Some("AADSTS90033: busy".into()),
                ..VerifyAnswer::default()
            },
            2 => VerifyAnswer::default(),
            _ => VerifyAnswer {
                code: Some(OAuthSecret::new("the-code".into())),
                ..VerifyAnswer::default()
            },
        }
    }

    /// A sign-in state still unused, for `purpose` if given.
    fn unused_sign_in(&self, d: &mut Dice<'_>, setup: bool) -> Option<String> {
        let open: Vec<&String> = self
            .sign_ins
            .iter()
            .filter(|(n, i)| {
                !self.used.contains(*n)
                    && match i.sign {
                        SignFor::Setup(no) => setup && no == self.oracle.setup_no,
                        SignFor::Round(no) => {
                            !setup && self.oracle.round.as_ref().is_some_and(|r| r.0 == no)
                        }
                    }
            })
            .map(|(n, _)| n)
            .collect();
        d.pick(&open).map(|n| (*n).clone())
    }

    /// The command that moves the company on from where it is.
    fn natural(&mut self, d: &mut Dice<'_>) -> Option<Action> {
        let admin = admin();
        let stage = self.m.stage();
        let event = match stage {
            Stage::Idle | Stage::Done | Stage::Cancelled => {
                if let Some(round) = self.m.export_round().cloned() {
                    if let Some(nonce) = self.unused_sign_in(d, false) {
                        return Some(Action::Event(Event::VerifyCallback {
                            nonce,
                            answer: Self::verify_answer(d),
                        }));
                    }
                    let open: Vec<TenantRef> = round
                        .tenants
                        .iter()
                        .filter(|t| !t.is_verified())
                        .map(|t| t.tenant.clone())
                        .collect();
                    if let Some(t) = d.pick(&open).cloned()
                        && d.pct(80)
                    {
                        return Some(Action::Event(self.begin_verify(t)));
                    }
                }
                // An empty round waits for the admin: confirm it mostly.
                if self.m.export_round().is_some_and(|r| r.tenants.is_empty()) && d.pct(60) {
                    return Some(Action::Event(Event::ConfirmNoExportTenants {
                        actor: admin,
                    }));
                }
                match d.roll(10) {
                    0..=2 if matches!(self.m.export_window(), ExportWindow::Open { .. }) => {
                        self.export(admin, d)
                    }
                    3..=4 if matches!(self.m.provider(), Provider::AzureKeyVault { .. }) => {
                        Event::BeginExportRound { actor: admin }
                    }
                    5 if d.pct(60) => Event::MoveToAwsKms {
                        actor: admin,
                        key_id: aws_key(d.roll(4)),
                    },
                    6 if matches!(self.m.provider(), Provider::AzureKeyVault { .. }) => {
                        Event::RewrapNow { actor: admin }
                    }
                    _ => self.start(d),
                }
            }
            Stage::Draft | Stage::AwaitingRoleAssignment => Event::Test { actor: admin },
            Stage::AwaitingConsent => match self.consent_nonces.last() {
                Some(n) if !self.used.contains(n) && d.pct(85) => Event::ConsentCallback {
                    nonce: n.clone(),
                    answer: Self::consent_answer(d),
                },
                _ => self.issue_consent(),
            },
            Stage::TestingConnection => return None,
            Stage::Tested => Event::Save { actor: admin },
            Stage::VerifyingTenants => {
                if let Some(nonce) = self.unused_sign_in(d, true)
                    && d.pct(80)
                {
                    Event::VerifyCallback {
                        nonce,
                        answer: Self::verify_answer(d),
                    }
                } else {
                    let open: Vec<TenantRef> = self
                        .m
                        .setup()
                        .unwrap()
                        .tenants()
                        .iter()
                        .filter(|t| !t.is_verified())
                        .map(|t| t.tenant.clone())
                        .collect();
                    let setup = self.m.setup().unwrap();
                    let empty = setup.tenants().is_empty() && setup.unverifiable().is_empty();
                    match d.pick(&open).cloned() {
                        Some(t) if d.pct(90) => self.begin_verify(t),
                        None if empty && d.pct(70) => Event::ConfirmNoTenants { actor: admin },
                        _ => {
                            if !setup.unverifiable().is_empty() && d.pct(50) {
                                // The admin corrects the set in RedApp.
                                self.world.unverifiable.clear();
                            }
                            Event::Refresh { actor: admin }
                        }
                    }
                }
            }
            Stage::Finalizing => {
                if self.m.lease().is_none() {
                    // Waiting for the retry: let the alarm come.
                    self.now = self.alarm.unwrap_or(self.now).max(self.now);
                    Event::Tick
                } else {
                    return None;
                }
            }
        };
        Some(Action::Event(event))
    }

    /// Any event at all, with random arguments.
    fn random(&mut self, d: &mut Dice<'_>) -> Action {
        let admin = admin();
        let pool = tenant_pool();
        let event = match d.roll(21) {
            20 => Event::ConfirmNoExportTenants { actor: admin },
            19 => Event::RewrapNow { actor: admin },
            18 => Event::ConfirmNoTenants { actor: admin },
            0 => self.start(d),
            1 => self.issue_consent(),
            2 => Event::Test { actor: admin },
            3 => Event::Save { actor: admin },
            4 => Event::Refresh { actor: admin },
            5 | 6 => Event::Cancel { actor: admin },
            7 => {
                let t = d.pick(&pool).unwrap().clone();
                self.begin_verify(t)
            }
            8 => self.export(admin, d),
            9 => Event::BeginExportRound { actor: admin },
            10 => Event::MoveToAwsKms {
                actor: admin,
                key_id: aws_key(d.roll(4)),
            },
            11 => {
                // Any consent state ever issued (mostly spent), or a forged one.
                let nonce = match d.pick(&self.consent_nonces) {
                    Some(n) if d.pct(80) => n.clone(),
                    _ => format!("forged{}", d.roll(1000)),
                };
                Event::ConsentCallback {
                    nonce,
                    answer: Self::consent_answer(d),
                }
            }
            12 | 13 => {
                let known: Vec<String> = self.sign_ins.keys().cloned().collect();
                let nonce = match d.pick(&known) {
                    Some(n) if d.pct(80) => n.clone(),
                    _ => format!("forged{}", d.roll(1000)),
                };
                Event::VerifyCallback {
                    nonce,
                    answer: Self::verify_answer(d),
                }
            }
            14 => Event::Tick,
            15 => {
                // A result for an attempt nobody started.
                let attempt = u32::MAX - d.roll(1000);
                let event = match d.roll(7) {
                    0 => Event::ConsentProven {
                        attempt,
                        result: Ok(ConsentProof {
                            tenant: tenant_id(VAULT_TENANT),
                            vault_tenant: tenant_id(VAULT_TENANT),
                            admin: "forged".into(),
                        }),
                    },
                    1 => Event::ConnectionTested {
                        attempt,
                        result: Ok(tested(&target(1), 1, self.now)),
                    },
                    2 => Event::InventoryRead {
                        attempt,
                        result: Ok(Inventory::default()),
                    },
                    3 => Event::Wrapped {
                        attempt,
                        result: Ok((kid(&target(1), 1), "forged".into())),
                    },
                    4 => Event::WrapVerified {
                        attempt,
                        result: Ok(()),
                    },
                    5 => Event::Exported {
                        attempt,
                        result: Err(CatalogError::Internal),
                    },
                    _ => Event::MovedToAws {
                        attempt,
                        result: Ok((aws_key(0), "forged".into())),
                    },
                };
                return Action::Bogus(event);
            }
            16 => {
                // A result fed a second time.
                return match d.pick(&self.accepted_results) {
                    Some(e) => Action::Bogus(e.clone()),
                    None => Action::Event(Event::Tick),
                };
            }
            _ => {
                return Action::Bogus(Event::CodeExchanged {
                    nonce_sha256: format!("{:064x}", d.roll(u32::MAX)),
                    result: Ok("forged".into()),
                });
            }
        };
        Action::Event(event)
    }

    // ---- carrying it out and checking ----

    /// Alarm: if it is due, it fires first.
    fn alarm_due(&self) -> bool {
        self.alarm.is_some_and(|at| at <= self.now)
    }

    /// (f): Cancel is allowed iff a setup is pending and no commit is issued.
    fn probe_cancel(&mut self) -> Result<(), TestCaseError> {
        let ctx = self.ctx("probe".into());
        let allowed = update(&self.m, Event::Cancel { actor: admin() }, &ctx).is_ok();
        let expected = self.oracle.pending && !self.commit_in_flight();
        check!(
            allowed == expected,
            "Cancel {} in {:?}: oracle pending={} commit_in_flight={} (lease {:?})",
            if allowed { "allowed" } else { "refused" },
            self.m.stage(),
            self.oracle.pending,
            self.commit_in_flight(),
            self.m.lease()
        );
        if self.oracle.pending && !allowed {
            self.stats.cancels_refused_during_commit += 1;
        }
        Ok(())
    }

    fn step(&mut self, action: Action) -> Result<(), TestCaseError> {
        self.stats.steps += 1;
        let (event, delivered, bogus) = match action {
            Action::Event(e) => (e, None, false),
            Action::Deliver(i, e) => (e, Some(i), false),
            Action::Bogus(e) => (e, None, true),
        };
        let nonce = self.next_nonce();
        let ctx = self.ctx(nonce.clone());
        let before = self.m.clone();
        let name = event.name();
        match update(&before, event.clone(), &ctx) {
            Err(e) => self.refused(&before, &event, delivered, bogus, &e),
            Ok((next, effects)) => {
                check!(
                    !bogus,
                    "{name}: a result nobody asked for was accepted: {effects:?}"
                );
                self.accepted(before, event, delivered, next, effects, &nonce)
            }
        }
    }

    /// (e): a refusal changes nothing, and is refused for a reason: a result
    /// only when the oracle knows it is stale.
    fn refused(
        &mut self,
        before: &Company,
        event: &Event,
        delivered: Option<usize>,
        bogus: bool,
        e: &CatalogError,
    ) -> Result<(), TestCaseError> {
        let name = event.name();
        if let Some(i) = delivered {
            let out = self.outs.remove(i);
            check!(
                !out.live,
                "{name}: the live result of {} was refused with {e:?} in {:?} (lease {:?})",
                out.name(),
                before.stage(),
                before.lease()
            );
            self.stats.stale_results_refused += 1;
            return Ok(());
        }
        if bogus || is_result(event) {
            check!(
                e.code() == "conflict",
                "{name}: stale result refused with {e:?}"
            );
            if self.accepted_results.contains(event) {
                self.stats.duplicate_results_refused += 1;
            } else {
                self.stats.stale_results_refused += 1;
            }
            return Ok(());
        }
        self.stats.refused_commands += 1;
        match event {
            Event::Export { .. } if e.code() == "export_window_expired" => {
                check!(
                    self.oracle.window_open && self.window_over(before),
                    "export refused as expired with the window {:?} at {}",
                    before.export_window(),
                    self.now_secs()
                );
                self.stats.exports_expired += 1;
            }
            Event::Export { .. } if e.code() == "reauthentication_required" => {
                check!(
                    self.oracle.window_open && !self.fresh_export(event),
                    "a fresh session was refused: {event:?} at {}",
                    self.now_secs()
                );
                self.stats.exports_stale += 1;
            }
            Event::Tick | Event::VerifyCallback { .. } => {
                check!(false, "{name} refused: {e:?}");
            }
            Event::ConsentCallback { .. } => {
                check!(
                    before.lease().is_some(),
                    "a consent callback refused with nothing in flight: {e:?}"
                );
            }
            Event::ConfirmNoTenants { .. } => {
                // Refused unless verifying an empty list with nothing running.
                check!(
                    !(self.oracle.pending
                        && before.stage() == Stage::VerifyingTenants
                        && before.lease().is_none()
                        && self.oracle.listed.as_ref().is_some_and(BTreeSet::is_empty)
                        && !self.oracle.blocked),
                    "confirm_no_tenants refused on an empty list: {e:?}"
                );
                check!(
                    matches!(
                        e.code(),
                        "invalid_state_transition" | "conflict" | "backup_set_unverifiable"
                    ),
                    "{name} refused with {e:?}"
                );
                check!(
                    e.code() != "backup_set_unverifiable" || self.oracle.blocked,
                    "{name} refused with {e:?} but no set blocks"
                );
            }
            _ => {
                check!(
                    matches!(
                        e.code(),
                        "invalid_state_transition" | "conflict" | "not_found" | "rate_limited"
                    ),
                    "{name} refused with {e:?}"
                );
            }
        }
        Ok(())
    }

    fn accepted(
        &mut self,
        before: Company,
        event: Event,
        delivered: Option<usize>,
        next: Company,
        effects: Vec<Effect>,
        nonce: &str,
    ) -> Result<(), TestCaseError> {
        let name = event.name();
        let now = self.now;
        check_step(&before, &next, &effects, now);
        if self.stats.steps.is_multiple_of(16) {
            check_json(&next);
        }
        // The effect a result answers is no longer outstanding.
        let out = delivered.map(|i| self.outs.remove(i));
        if out.is_some() {
            if self.accepted_results.len() >= 8 {
                self.accepted_results.remove(0);
            }
            self.accepted_results.push(event.clone());
        }
        if let Some(out) = &out {
            check!(
                out.live,
                "{name}: a stale result of {} was accepted in {:?}",
                out.name(),
                before.stage()
            );
        }

        // ---- ends of calls in flight ----
        if !is_result(&event) {
            // Whatever expired is resolved before a command or the alarm.
            for o in &mut self.outs {
                // A registry write lives as long as the model owes it (below).
                let registry = matches!(
                    o.effect,
                    Effect::RecordBinding { .. }
                        | Effect::Webhook(_)
                        | Effect::CheckKey { .. }
                        | Effect::ProbeKey { .. }
                );
                if o.live && o.deadline <= now && !registry {
                    o.live = false;
                    if o.crashed {
                        *self.stats.expired.entry(o.name()).or_default() += 1;
                    }
                }
            }
        }
        if matches!(event, Event::Cancel { .. }) {
            *self
                .stats
                .cancels
                .entry(before.stage().as_str())
                .or_default() += 1;
            check!(
                next.provider() == before.provider() && next.key() == before.key(),
                "cancel changed the provider"
            );
            for o in &mut self.outs {
                if o.of_setup() {
                    o.live = false;
                }
            }
            self.oracle.pending = false;
            self.oracle.forget_setup();
        }
        if matches!(event, Event::ConfirmNoTenants { .. }) {
            // Accepted only while verifying a list the oracle knows is empty;
            // the finalization (its last inventory read) starts at once.
            check!(
                self.oracle.pending
                    && self.oracle.listed.as_ref().is_some_and(BTreeSet::is_empty)
                    && !self.oracle.blocked,
                "{name} accepted with {:?} (blocked = {})",
                self.oracle.listed,
                self.oracle.blocked
            );
            check!(
                effects
                    .iter()
                    .any(|e| matches!(e, Effect::ReadInventory { .. }))
                    && next.stage() == Stage::Finalizing,
                "{name}: the finalization did not start"
            );
            self.oracle.confirmed_empty = true;
        }
        if let Event::Start { .. } = &event {
            if !self.oracle.pending {
                self.oracle.setup_no += 1;
                self.oracle.forget_setup();
                self.oracle.read_since_verified = false;
                self.oracle.failures = 0;
            }
            self.oracle.pending = true;
        }
        if let Event::ConsentCallback { nonce, .. } | Event::VerifyCallback { nonce, .. } = &event {
            let n = nonce.clone();
            let known = self.consent_nonces.contains(&n) || self.sign_ins.contains_key(&n);
            if !known || self.used.contains(&n) {
                // A forged or spent state: nothing but what was due anyway.
                self.stats.bad_states_answered += 1;
                let base = update(&before, Event::Tick, &self.ctx("base".into()))
                    .map_err(|e| TestCaseError::fail(format!("tick refused: {e:?}")))?
                    .0;
                check!(
                    next == base,
                    "{name} with a spent or forged state changed the model"
                );
                // The reply says which: a state the model never issued is
                // unknown to it (expired); a spent one is used, superseded
                // or (past its time) expired — never accepted.
                let said: Vec<Option<CatalogError>> = effects
                    .iter()
                    .filter_map(|e| match e {
                        Effect::Reply(
                            Reply::ConsentOutcome { error, .. }
                            | Reply::VerifyOutcome { error, .. },
                        ) => Some(error.clone()),
                        _ => None,
                    })
                    .collect();
                check!(said.len() == 1, "{name}: one outcome, got {said:?}");
                let said = said.into_iter().next().flatten();
                if known {
                    check!(
                        matches!(
                            said,
                            Some(
                                CatalogError::OAuthStateUsed
                                    | CatalogError::OAuthStateSuperseded
                                    | CatalogError::OAuthStateExpired
                            )
                        ),
                        "{name}: a spent state answered {said:?}"
                    );
                    if said == Some(CatalogError::OAuthStateUsed) {
                        self.stats.replays_named_used += 1;
                    }
                } else {
                    check!(
                        said == Some(CatalogError::OAuthStateExpired),
                        "{name}: a state never issued answered {said:?}"
                    );
                }
            }
            self.used.insert(n);
        }

        // ---- results: the world's answer and the model's reaction ----
        let mut commit_expected = false;
        if let Some(read_for) = out.as_ref().and_then(|o| o.read)
            && let Event::InventoryRead {
                result: Ok(read), ..
            } = &event
        {
            let delivered: BTreeSet<TenantRef> =
                read.tenants.iter().map(|t| t.tenant.clone()).collect();
            let blocked = read.unverifiable.iter().min();
            let errors: Vec<&CatalogError> = effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Reply(Reply::Error(e)) => Some(e),
                    _ => None,
                })
                .collect();
            match read_for {
                ReadFor::List | ReadFor::Final => {
                    check!(self.oracle.pending, "a setup read accepted with no setup");
                    self.oracle.verified.retain(|t| delivered.contains(t));
                    self.oracle.blocked = blocked.is_some();
                    if !delivered.is_empty() || blocked.is_some() {
                        if self.oracle.confirmed_empty {
                            self.stats.confirmations_voided += 1;
                        }
                        self.oracle.confirmed_empty = false;
                    }
                    self.oracle.listed = Some(delivered.clone());
                    let all = self.oracle.ready();
                    self.oracle.read_since_verified = true;
                    // Save and Refresh answer the error of the first set that
                    // cannot be verified; it stays listed in the model.
                    let expected: Vec<CatalogError> = match (read_for, blocked) {
                        (ReadFor::List, Some(set)) => vec![set.error()],
                        _ => Vec::new(),
                    };
                    check!(
                        errors.iter().copied().cloned().collect::<Vec<_>>() == expected,
                        "{name}: read with blocked {blocked:?} answered {errors:?}"
                    );
                    let kept: Vec<UnverifiableSet> = next
                        .setup()
                        .map(|x| x.unverifiable().to_vec())
                        .unwrap_or_default();
                    let mut want = read.unverifiable.clone();
                    want.sort();
                    want.dedup();
                    check!(
                        next.setup().is_none() || kept == want,
                        "{name}: the model keeps {kept:?} of {want:?}"
                    );
                    if blocked.is_some() {
                        self.stats.blocked_by_unverifiable_set += 1;
                    }
                    let final_read = effects
                        .iter()
                        .any(|e| matches!(e, Effect::ReadInventory { .. }));
                    let rewrap = effects
                        .iter()
                        .any(|e| matches!(e, Effect::Wrap { .. } | Effect::VerifyWrap { .. }));
                    if read_for == ReadFor::List {
                        check!(
                            final_read == all && !rewrap,
                            "list read of {delivered:?} (verified {:?}): finalization {}",
                            self.oracle.verified,
                            final_read
                        );
                    } else {
                        // (b) the re-wrap starts only when every tenant
                        // just read is verified.
                        check!(
                            rewrap == all && !final_read,
                            "final read of {delivered:?} (verified {:?}): re-wrap {}",
                            self.oracle.verified,
                            rewrap
                        );
                        if !all {
                            self.stats.blocked_by_new_tenant += 1;
                        }
                    }
                }
                ReadFor::Round if blocked.is_some() => {
                    // A set that cannot be verified: no round starts.
                    check!(
                        errors.len() == 1 && errors[0].code() == "backup_set_unverifiable",
                        "{name}: a round over a blocked inventory answered {errors:?}"
                    );
                }
                ReadFor::Round => {
                    self.oracle.round_no += 1;
                    for o in &mut self.outs {
                        if matches!(o.sign, Some((SignFor::Round(_), _))) {
                            o.live = false;
                        }
                    }
                    // An empty inventory opens nothing by itself: the
                    // round waits for an admin's confirmation.
                    self.oracle.round = Some((self.oracle.round_no, delivered, BTreeSet::new()));
                }
                ReadFor::Confirm if blocked.is_some() => {
                    // The confirmation does not count; the round stays.
                    check!(
                        errors.len() == 1 && errors[0].code() == "backup_set_unverifiable",
                        "{name}: a confirmation over a blocked inventory answered {errors:?}"
                    );
                }
                ReadFor::Confirm if delivered.is_empty() => {
                    // Still nothing to verify: one export is allowed.
                    check!(
                        errors.is_empty(),
                        "{name}: a confirmed empty round answered {errors:?}"
                    );
                    self.oracle.window_open = true;
                    self.oracle.round = None;
                    self.stats.empty_rounds_confirmed += 1;
                }
                ReadFor::Confirm => {
                    // A set appeared: the round starts again with its tenants.
                    check!(
                        errors.len() == 1 && errors[0].code() == "conflict",
                        "{name}: a confirmation over {delivered:?} answered {errors:?}"
                    );
                    self.oracle.round_no += 1;
                    for o in &mut self.outs {
                        if matches!(o.sign, Some((SignFor::Round(_), _))) {
                            o.live = false;
                        }
                    }
                    self.oracle.round = Some((self.oracle.round_no, delivered, BTreeSet::new()));
                }
            }
        }
        if let (Some(out), Event::CodeExchanged { result, .. }) = (&out, &event) {
            let (sign, tenant) = out.sign.clone().unwrap();
            let outcomes: Vec<&Reply> = effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Reply(r @ Reply::VerifyOutcome { .. }) => Some(r),
                    _ => None,
                })
                .collect();
            check!(outcomes.len() == 1, "{name}: one outcome, got {outcomes:?}");
            let Reply::VerifyOutcome {
                error,
                tenant: shown,
                finalizing,
                export_open,
            } = outcomes[0].clone()
            else {
                unreachable!()
            };
            match (&result, &error) {
                (Ok(_), None) => {
                    check!(shown.as_ref() == Some(&tenant), "verified another tenant");
                    match sign {
                        SignFor::Setup(no) => {
                            check!(
                                self.oracle.pending && no == self.oracle.setup_no,
                                "a sign-in of setup {no} verified setup {}",
                                self.oracle.setup_no
                            );
                            let listed = self.oracle.listed.clone().unwrap_or_default();
                            check!(listed.contains(&tenant), "verified a tenant not listed");
                            self.oracle.verified.insert(tenant);
                            self.oracle.read_since_verified = false;
                            let all = self.oracle.ready();
                            // Another step in flight keeps its lease: the
                            // finalization waits for it.
                            let busy = self.outs.iter().any(|o| o.live && o.attempt().is_some());
                            check!(
                                finalizing == (all && !busy) && !export_open,
                                "finalizing {finalizing}, but oracle says all verified = {all}, busy = {busy}"
                            );
                            let read = effects
                                .iter()
                                .any(|e| matches!(e, Effect::ReadInventory { .. }));
                            check!(read == finalizing, "finalization starts with a read");
                        }
                        SignFor::Round(no) => {
                            check!(
                                !self.oracle.pending,
                                "a sign-in of round {no} counted while a setup is pending"
                            );
                            let Some(round) = self.oracle.round.as_mut() else {
                                return Err(TestCaseError::fail("verified a round that is over"));
                            };
                            check!(
                                round.0 == no,
                                "a sign-in of round {no} counted in {}",
                                round.0
                            );
                            round.2.insert(tenant);
                            let all = round.1.is_subset(&round.2);
                            check!(
                                export_open == all && !finalizing,
                                "export_open {export_open}, oracle says {all}"
                            );
                            if all {
                                self.oracle.window_open = true;
                                self.oracle.round = None;
                                self.stats.rounds_reopened += 1;
                            }
                        }
                    }
                }
                (Ok(_), Some(e)) => {
                    check!(
                        matches!(
                            e,
                            CatalogError::OAuthStateExpired
                                | CatalogError::OAuthStateSuperseded
                                | CatalogError::NotFound { .. }
                        ),
                        "a proven admin was refused with {e:?}"
                    );
                    check!(!finalizing && !export_open, "refused but finalizing");
                }
                (Err(world), Some(e)) => {
                    check!(
                        e == world
                            || matches!(
                                e,
                                CatalogError::OAuthStateExpired
                                    | CatalogError::OAuthStateSuperseded
                                    | CatalogError::NotFound { .. }
                            ),
                        "the exchange failed with {world:?} but the admin sees {e:?}"
                    );
                    check!(!finalizing && !export_open, "failed but finalizing");
                }
                (Err(world), None) => {
                    check!(
                        false,
                        "the exchange failed with {world:?} but the tenant counts"
                    );
                }
            }
        }
        if let (Some(_), Event::WrapVerified { result: Ok(()), .. }) = (&out, &event) {
            commit_expected = true;
        }
        if let (Some(_), Event::RewrapVerified { result: Ok(()), .. }) = (&out, &event) {
            check!(
                next.provider() != before.provider() && next.rewrap().is_none(),
                "{name}: a verified rotation re-wrap did not commit"
            );
        }
        if let (Some(_), Event::Exported { result, .. }) = (&out, &event) {
            match result {
                Ok(()) => self.stats.exports += 1,
                Err(_) => {
                    self.oracle.window_open = true;
                    self.stats.exports_failed_and_reopened += 1;
                }
            }
        }

        // ---- (a) the provider in force, and who may change it ----
        check!(
            self.world.unwraps(next.provider(), &next.key().blob),
            "{name}: no provider unwraps the stored company key: {:?} / {}",
            next.provider(),
            next.key().blob
        );
        check!(
            next.key().azure_tenant.is_some()
                == matches!(next.provider(), Provider::AzureKeyVault { .. }),
            "the key's tenant does not match its provider"
        );
        if next.provider() != before.provider() || next.key() != before.key() {
            match (&event, next.provider()) {
                (Event::WrapVerified { .. }, Provider::AzureKeyVault { .. }) if commit_expected => {
                    // (b) every tenant of the latest inventory was verified,
                    // and that inventory was read after the last verification.
                    let listed = self.oracle.listed.clone().unwrap_or_default();
                    check!(self.oracle.pending, "a commit without a pending setup");
                    check!(
                        listed.is_subset(&self.oracle.verified),
                        "commit with {listed:?} but only {:?} verified",
                        self.oracle.verified
                    );
                    check!(
                        self.oracle.read_since_verified,
                        "commit without reading the inventory after the last verification"
                    );
                    check!(
                        !self.oracle.blocked,
                        "commit while a backup set cannot be verified"
                    );
                    check!(
                        !listed.is_empty() || self.oracle.confirmed_empty,
                        "commit of a company without backup sets and without the confirmation"
                    );
                    if listed.is_empty() {
                        self.stats.completions_without_backup_sets += 1;
                    }
                    let Some(Effect::VerifyWrap { kid, blob, .. }) =
                        out.as_ref().map(|o| &o.effect)
                    else {
                        unreachable!()
                    };
                    check!(
                        next.provider()
                            == &Provider::AzureKeyVault {
                                vault_uri: kid.vault(),
                                key_name: kid.name(),
                                kid: kid.clone(),
                            }
                            && next.key().blob == *blob,
                        "committed something else than what was verified"
                    );
                    check!(
                        target_of(next.provider()).is_some(),
                        "committed to a provider without a target"
                    );
                    self.stats.completions += 1;
                    if !listed.is_empty() {
                        self.stats.completions_with_tenants += 1;
                    }
                    if listed.len() > 1 {
                        self.stats.completions_with_several_tenants += 1;
                    }
                    if self.oracle.failures > 0 {
                        self.stats.completions_after_a_failure += 1;
                    }
                    if matches!(before.provider(), Provider::AwsKms { .. }) {
                        self.stats.completions_from_aws += 1;
                    }
                    self.oracle.pending = false;
                    self.oracle.forget_setup();
                    self.oracle.window_open = true;
                    self.oracle.round = None;
                    for o in &mut self.outs {
                        if o.sign.is_some() {
                            o.live = false;
                        }
                    }
                }
                (Event::RewrapVerified { result: Ok(()), .. }, Provider::AzureKeyVault { .. }) => {
                    // A rotation's re-wrap: the same key, the version and
                    // blob verified, nothing else changed.
                    let Some(Effect::VerifyRewrap { kid, blob, .. }) =
                        out.as_ref().map(|o| &o.effect)
                    else {
                        unreachable!()
                    };
                    check!(
                        target_of(before.provider()) == target_of(next.provider())
                            && next.provider()
                                == &Provider::AzureKeyVault {
                                    vault_uri: kid.vault(),
                                    key_name: kid.name(),
                                    kid: kid.clone(),
                                }
                            && next.key().blob == *blob
                            && next.key().azure_tenant == before.key().azure_tenant
                            && next.key().created_at_ms == before.key().created_at_ms,
                        "re-wrapped to something else than what was verified"
                    );
                    check!(
                        next.kid_history()
                            .last()
                            .is_some_and(|h| h.kid.same_as(kid)),
                        "the kid history does not end with the new version"
                    );
                    self.stats.rewraps += 1;
                }
                (
                    Event::MovedToAws {
                        result: Ok((arn, blob)),
                        ..
                    },
                    Provider::AwsKms { key_id },
                ) => {
                    let Some(Effect::RewrapToAws { key_id: asked, .. }) =
                        out.as_ref().map(|o| &o.effect)
                    else {
                        unreachable!()
                    };
                    // The provider names the key as AWS KMS reported it.
                    check!(
                        key_id == arn && *arn == arn_of(asked) && next.key().blob == *blob,
                        "moved elsewhere"
                    );
                    self.stats.moves_to_aws += 1;
                    self.oracle.window_open = false;
                    self.oracle.round = None;
                }
                _ => {
                    return Err(TestCaseError::fail(format!(
                        "{name} changed the provider from {:?} to {:?}",
                        before.provider(),
                        next.provider()
                    )));
                }
            }
        } else {
            check!(!commit_expected, "a verified re-wrap did not commit");
        }

        // ---- every effect, carried out ----
        let read_for = match &event {
            Event::Save { .. } | Event::Refresh { .. } => ReadFor::List,
            Event::BeginExportRound { .. } => ReadFor::Round,
            Event::ConfirmNoExportTenants { .. } => ReadFor::Confirm,
            _ => ReadFor::Final,
        };
        let mut export_refused = false;
        for effect in &effects {
            *self
                .stats
                .effects_seen
                .entry(effect_name(effect))
                .or_default() += 1;
            let new = |sim: &Sim, read: Option<ReadFor>, sign: Option<(SignFor, TenantRef)>| Out {
                effect: effect.clone(),
                deadline: now + sim.policy.lease_ms,
                crashed: false,
                live: true,
                read,
                sign,
            };
            match effect {
                Effect::Audit(a) => {
                    match (a.action, a.outcome) {
                        (AuditAction::Finalize, Outcome::Failed) => {
                            self.stats.finalize_failures += 1;
                            self.oracle.failures += 1;
                        }
                        (AuditAction::FinalizeRetry, _) => self.stats.finalize_retries += 1,
                        (AuditAction::CompanyKeyExport, Outcome::Refused) => {
                            export_refused = true;
                            self.stats.exports_refused += 1;
                        }
                        (AuditAction::LeaseExpired, Outcome::Succeeded) => {
                            *self.stats.expired.entry(CALLS[10]).or_default() += 1;
                        }
                        _ => {}
                    }
                    check!(!a.actor.sub.is_empty(), "an audit entry without an actor");
                }
                Effect::ArmAlarm { at_ms } => {
                    check!(
                        *at_ms > now || is_result(&event),
                        "alarm armed in the past at {name}"
                    );
                    self.alarm = Some(*at_ms);
                }
                Effect::ClearAlarm => self.alarm = None,
                Effect::Reply(reply) => match reply {
                    Reply::ConsentUrl(url) => {
                        check!(
                            *url == sign_in(nonce).authorize_url,
                            "consent URL {url} is not the sign-in of this update"
                        );
                        self.consent_nonces.push(nonce.to_owned());
                    }
                    Reply::SignIn { tenant, .. } => {
                        let sign = if self.oracle.pending {
                            SignFor::Setup(self.oracle.setup_no)
                        } else {
                            let Some(round) = &self.oracle.round else {
                                return Err(TestCaseError::fail(
                                    "a sign-in without a setup or a round",
                                ));
                            };
                            SignFor::Round(round.0)
                        };
                        self.sign_ins.insert(
                            nonce.to_owned(),
                            Issued {
                                tenant: tenant.clone(),
                                sign,
                            },
                        );
                    }
                    Reply::ConsentOutcome { .. }
                    | Reply::VerifyOutcome { .. }
                    | Reply::Check(_) => {}
                    Reply::Error(e) => {
                        check!(
                            e.status() >= 400,
                            "an error reply with status {}",
                            e.status()
                        );
                    }
                },
                Effect::ProveConsent { .. }
                | Effect::ProbeVault { .. }
                | Effect::TestConnection { .. }
                | Effect::Wrap { .. }
                | Effect::VerifyWrap { .. }
                | Effect::ReadKeyVersion { .. }
                | Effect::Rewrap { .. }
                | Effect::VerifyRewrap { .. } => {
                    self.outs.push(new(self, None, None));
                }
                Effect::ReadInventory { .. } => {
                    self.outs.push(new(self, Some(read_for), None));
                }
                Effect::ExchangeCode {
                    tenant, oidc_nonce, ..
                } => {
                    let n = oidc_nonce.strip_prefix("oidc-").unwrap_or_default();
                    let Some(issued) = self.sign_ins.get(n) else {
                        return Err(TestCaseError::fail("an exchange for no sign-in"));
                    };
                    check!(issued.tenant == *tenant, "an exchange for another tenant");
                    let sign = Some((issued.sign, tenant.clone()));
                    self.outs.push(new(self, None, sign));
                }
                Effect::ExportKey { window, .. } => {
                    // (c) an export only from an open window, and one per window,
                    // before its end, by a session signed in recently.
                    check!(
                        self.oracle.window_open,
                        "an export with the window closed (model said {window:?})"
                    );
                    check!(
                        !self.window_over(&before),
                        "an export after the window's end ({window:?})"
                    );
                    check!(
                        self.fresh_export(&event),
                        "an export by a stale session: {event:?}"
                    );
                    self.oracle.window_open = false;
                    self.outs.push(new(self, None, None));
                }
                // Check configuration is never asked for by these lives (its
                // walk-throughs cover it): it holds no lease and changes nothing.
                Effect::CheckConfiguration { .. } => {}
                Effect::RewrapToAws { .. }
                | Effect::RecordBinding { .. }
                | Effect::CheckKey { .. }
                | Effect::ProbeKey { .. } => {
                    self.outs.push(new(self, None, None));
                }
                Effect::Webhook(send) => {
                    check!(
                        self.policy.notify.enabled,
                        "a webhook sent with webhooks off"
                    );
                    let owed = next.outbox().pending.iter().find(|p| p.id == send.id);
                    check!(
                        owed.is_some_and(|p| p.body == send.body),
                        "a webhook sent that the outbox does not owe with this body"
                    );
                    if effects.iter().any(|e| {
                        matches!(e, Effect::Audit(a) if a.action == AuditAction::SwitchCommitted)
                    }) {
                        self.stats.switch_webhooks += 1;
                    }
                    self.outs.push(new(self, None, None));
                }
            }
        }
        // A registry write's answer counts while the model owes that attempt.
        for o in &mut self.outs {
            if let Effect::RecordBinding { attempt, .. } = o.effect {
                o.live = next.registry_writes().iter().any(|w| w.attempt == attempt);
            }
            // A check's answer counts while it is the check in flight, in its
            // phase (GET, then probe).
            if let Effect::CheckKey { attempt, .. } | Effect::ProbeKey { attempt, .. } = o.effect {
                let probe = matches!(o.effect, Effect::ProbeKey { .. });
                o.live = next
                    .monitor()
                    .in_flight
                    .as_ref()
                    .is_some_and(|c| c.attempt == attempt && c.seen.is_some() == probe);
            }
            if let Effect::Webhook(send) = &o.effect {
                o.live = next
                    .outbox()
                    .pending
                    .iter()
                    .any(|p| p.attempt == send.attempt);
            }
        }
        // A commit tells the host, exactly once, when webhooks are on.
        let committed = effects
            .iter()
            .any(|e| matches!(e, Effect::Audit(a) if a.action == AuditAction::SwitchCommitted));
        if committed {
            let told = effects
                .iter()
                .filter(|e| {
                    matches!(e, Effect::Webhook(w) if w.body.contains("\"type\":\"kms.switch_completed\""))
                })
                .count();
            let expected = usize::from(self.policy.notify.enabled);
            check!(
                told == expected,
                "a commit sent {told} kms.switch_completed webhooks (expected {expected})"
            );
        }
        if export_refused {
            check!(
                effects.contains(&Effect::Reply(Reply::Error(
                    CatalogError::ExportNotAvailable
                ))),
                "a refused export without its error"
            );
            let base = update(&before, Event::Tick, &self.ctx("base".into()))
                .map_err(|e| TestCaseError::fail(format!("tick refused: {e:?}")))?
                .0;
            let mut same = serde_json::to_value(&next).unwrap();
            same["audit_seq"] = base.audit_seq().into();
            check!(
                serde_json::from_value::<Company>(same).unwrap() == base,
                "a refused export changed the model"
            );
        }
        self.m = next;
        self.check_model(&event)
    }

    /// What must hold after every accepted step.
    fn check_model(&self, event: &Event) -> Result<(), TestCaseError> {
        let m = &self.m;
        let name = event.name();
        check!(
            m.stage().is_pending() == self.oracle.pending,
            "{name}: stage {:?} but the oracle says pending = {}",
            m.stage(),
            self.oracle.pending
        );
        // (c) the window as the oracle counts it.
        check!(
            matches!(m.export_window(), ExportWindow::Open { .. }) == self.oracle.window_open,
            "{name}: window {:?}, oracle says open = {}",
            m.export_window(),
            self.oracle.window_open
        );
        // The setup's tenants and their verification, as the oracle counts them.
        if let (Some(setup), None) = (m.setup(), &self.oracle.listed) {
            check!(
                setup.tenants().is_empty(),
                "{name}: tenants before any read"
            );
        }
        if let (Some(setup), Some(listed)) = (m.setup(), &self.oracle.listed) {
            let tenants: BTreeSet<TenantRef> =
                setup.tenants().iter().map(|t| t.tenant.clone()).collect();
            check!(
                &tenants == listed,
                "{name}: tenants {tenants:?}, delivered {listed:?}"
            );
            let verified: BTreeSet<TenantRef> = setup
                .tenants()
                .iter()
                .filter(|t| t.is_verified())
                .map(|t| t.tenant.clone())
                .collect();
            check!(
                verified == self.oracle.verified,
                "{name}: verified {verified:?}, oracle {:?}",
                self.oracle.verified
            );
        }
        // Nothing waits for nobody: a test runs under its lease, a
        // finalization runs or has its retry scheduled, and a setup whose
        // tenants are all verified is finalizing once no other step runs.
        match m.stage() {
            Stage::TestingConnection => {
                check!(m.lease().is_some(), "{name}: testing with no test running");
            }
            Stage::Finalizing => check!(
                m.lease().is_some()
                    || m.setup()
                        .and_then(|x| x.finalize())
                        .is_some_and(|f| f.next_retry_at_ms.is_some()),
                "{name}: finalizing with nothing running and no retry scheduled"
            ),
            Stage::VerifyingTenants => {
                let all = self.oracle.ready();
                check!(
                    !all || m.lease().is_some(),
                    "{name}: every tenant verified, yet no finalization"
                );
            }
            Stage::Idle
            | Stage::Draft
            | Stage::AwaitingConsent
            | Stage::AwaitingRoleAssignment
            | Stage::Tested
            | Stage::Done
            | Stage::Cancelled => {}
        }
        // (d) every call in flight holds a lease (or an exchange deadline)
        // and the alarm is armed at or before it.
        let live: Vec<&Out> = self.outs.iter().filter(|o| o.live).collect();
        let leased: Vec<&&Out> = live.iter().filter(|o| o.attempt().is_some()).collect();
        check!(
            leased.len() <= 1,
            "{name}: {} calls in flight under one lease: {:?}",
            leased.len(),
            leased.iter().map(|o| o.name()).collect::<Vec<_>>()
        );
        match (leased.first(), m.lease()) {
            (Some(o), Some(l)) => check!(
                o.attempt() == Some(l.attempt) && l.until_ms == o.deadline,
                "{name}: {} (attempt {:?}, until {}) in flight but the lease is {l:?}",
                o.name(),
                o.attempt(),
                o.deadline
            ),
            (Some(o), None) => {
                return Err(TestCaseError::fail(format!(
                    "{name}: {} in flight without a lease",
                    o.name()
                )));
            }
            (None, Some(l)) => {
                return Err(TestCaseError::fail(format!(
                    "{name}: a lease {l:?} with nothing in flight"
                )));
            }
            (None, None) => {}
        }
        let exchanging: Vec<_> = m
            .sign_ins()
            .iter()
            .filter_map(|p| p.exchanging_until_ms.map(|u| (p.tenant.clone(), u)))
            .collect();
        let exchanges: Vec<_> = live
            .iter()
            .filter(|o| matches!(o.effect, Effect::ExchangeCode { .. }))
            .collect();
        check!(
            exchanging.len() == exchanges.len(),
            "{name}: {} exchanges in flight, the model holds {}",
            exchanges.len(),
            exchanging.len()
        );
        for o in &exchanges {
            let (_, tenant) = o.sign.clone().unwrap();
            check!(
                exchanging.contains(&(tenant, o.deadline)),
                "{name}: an exchange in flight without its deadline"
            );
        }
        for o in &live {
            check!(
                self.alarm.is_some_and(|a| a <= o.deadline),
                "{name}: {} in flight until {} but the alarm is {:?}",
                o.name(),
                o.deadline,
                self.alarm
            );
        }
        check!(
            self.alarm == m.next_deadline_ms(),
            "{name}: alarm {:?}, model's next deadline {:?}",
            self.alarm,
            m.next_deadline_ms()
        );
        if !is_result(event) {
            check!(
                m.next_deadline_ms().is_none_or(|at| at > self.now),
                "{name}: something due at {:?} was left unresolved at {}",
                m.next_deadline_ms(),
                self.now
            );
        }
        Ok(())
    }
}

fn effect_name(e: &Effect) -> &'static str {
    match e {
        Effect::Audit(_) => "audit",
        Effect::ArmAlarm { .. } => "arm_alarm",
        Effect::ClearAlarm => "clear_alarm",
        Effect::Reply(_) => "reply",
        Effect::ProveConsent { .. } => "prove_consent",
        Effect::ProbeVault { .. } => "probe_vault",
        Effect::TestConnection { .. } => "test_connection",
        Effect::ReadInventory { .. } => "read_inventory",
        Effect::ExchangeCode { .. } => "exchange_code",
        Effect::Wrap { .. } => "wrap",
        Effect::VerifyWrap { .. } => "verify_wrap",
        Effect::ExportKey { .. } => "export_key",
        Effect::RewrapToAws { .. } => "rewrap_to_aws",
        Effect::RecordBinding { .. } => "record_binding",
        Effect::ReadKeyVersion { .. } => "read_key_version",
        Effect::Rewrap { .. } => "rewrap",
        Effect::VerifyRewrap { .. } => "verify_rewrap",
        Effect::Webhook(_) => "webhook",
        Effect::CheckKey { .. } => "check_key",
        Effect::ProbeKey { .. } => "probe_key",
        Effect::CheckConfiguration { .. } => "check_configuration",
    }
}

/// One life of a company.
fn life(entropy: &[u32]) -> Result<Stats, TestCaseError> {
    let mut d = Dice {
        data: entropy,
        at: 0,
    };
    let temper = match d.roll(3) {
        0 => Temper { fail: 5, random: 5 },
        1 => Temper {
            fail: 15,
            random: 20,
        },
        _ => Temper {
            fail: 30,
            random: 45,
        },
    };
    let mut sim = Sim::new(d.pct(25), temper);
    // Deployments differ in timing: a short lease, no or two restarts, a
    // fast back-off, few sign-ins at once.
    if d.pct(30) {
        sim.policy.lease_ms = 5_000;
    }
    sim.policy.max_restarts = [1, 1, 0, 2][d.roll(4) as usize];
    if d.pct(30) {
        sim.policy.retry_base_ms = 250;
    }
    if d.pct(20) {
        sim.policy.max_sign_ins = 2;
    }
    // Half the deployments have a webhook URL.
    sim.policy.notify.enabled = d.pct(50);
    sim.policy.notify.retry_base_ms = sim.policy.retry_base_ms;
    sim.policy.notify.in_flight_ms = sim.policy.lease_ms;
    while d.left() {
        sim.probe_cancel()?;
        if sim.alarm_due() && d.pct(4) {
            // The alarm was lost: the Cron sweep wakes the company a while
            // after its due time, and the model re-arms it.
            sim.now = sim.now.max(sim.alarm.unwrap_or(sim.now)) + 10_001;
            sim.alarm = None;
            sim.stats.sweeps += 1;
            sim.step(Action::Event(Event::Sweep { alarm_at_ms: None }))?;
            check!(
                sim.alarm.is_some() || sim.m.next_deadline_ms().is_none(),
                "the sweep left no alarm"
            );
            continue;
        }
        if sim.alarm_due() && d.pct(90) {
            // The alarm fires at its time.
            sim.now = sim.now.max(sim.alarm.unwrap_or(sim.now));
            sim.step(Action::Event(Event::Tick))?;
            continue;
        }
        if let Some(action) = sim.choose(&mut d) {
            sim.step(action)?;
        }
    }
    check_json(&sim.m);
    Ok(sim.stats)
}

#[test]
fn random_lives_of_a_company_keep_every_invariant() {
    // A fixed seed and number of cases, so the counters below are stable;
    // PROPTEST_CASES and PROPTEST_RNG_SEED explore further.
    let defaults = Config::default();
    let config = Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            defaults.cases
        } else {
            256
        },
        rng_seed: if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
            defaults.rng_seed
        } else {
            RngSeed::Fixed(0x6b65_7973_7769_7463)
        },
        failure_persistence: None,
        ..defaults
    };
    let total = RefCell::new(Stats::default());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(any::<u32>(), 600..1200), |entropy| {
        let stats = life(&entropy)?;
        total.borrow_mut().add(&stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let s = total.into_inner();
    println!("{s:#?}");
    // The run reached every path worth reaching.
    for (what, n) in [
        ("completions", s.completions),
        ("completions with tenants", s.completions_with_tenants),
        (
            "completions with several tenants",
            s.completions_with_several_tenants,
        ),
        (
            "completions after a failed attempt",
            s.completions_after_a_failure,
        ),
        ("completions from AWS KMS", s.completions_from_aws),
        ("commits blocked by a new tenant", s.blocked_by_new_tenant),
        (
            "reads blocked by an unverifiable backup set",
            s.blocked_by_unverifiable_set,
        ),
        (
            "completions without backup sets (confirmed)",
            s.completions_without_backup_sets,
        ),
        (
            "confirmations voided by a later inventory",
            s.confirmations_voided,
        ),
        ("finalization failures", s.finalize_failures),
        ("finalization retries", s.finalize_retries),
        ("exports", s.exports),
        ("exports refused", s.exports_refused),
        ("exports after the window's end refused", s.exports_expired),
        ("exports by a stale session refused", s.exports_stale),
        ("failed exports reopened", s.exports_failed_and_reopened),
        ("rounds reopened the export", s.rounds_reopened),
        (
            "empty rounds confirmed (export reopened)",
            s.empty_rounds_confirmed,
        ),
        ("moves to AWS KMS", s.moves_to_aws),
        ("rotation re-wraps committed", s.rewraps),
        ("switches notified by webhook", s.switch_webhooks),
        ("lost alarms found by the sweep", s.sweeps),
        (
            "cancels refused during the commit",
            s.cancels_refused_during_commit,
        ),
        ("stale results refused", s.stale_results_refused),
        ("results fed twice refused", s.duplicate_results_refused),
        ("spent or forged states", s.bad_states_answered),
        ("replayed states named as used", s.replays_named_used),
    ] {
        assert!(n > 0, "never reached: {what}");
    }
    for call in CALLS {
        assert!(
            s.expired.get(call).copied().unwrap_or(0) > 0,
            "no crash of {call} was resolved by the alarm"
        );
    }
    for stage in CANCEL_STAGES {
        assert!(
            s.cancels.get(stage.as_str()).copied().unwrap_or(0) > 0,
            "no cancel while {}",
            stage.as_str()
        );
    }
    for k in 0..ERROR_KINDS {
        assert!(
            s.errors_fed.get(&k).copied().unwrap_or(0) > 0,
            "error kind {k} never fed to the model"
        );
    }
    assert_eq!(
        s.effects_seen.len(),
        20,
        "every effect: {:?}",
        s.effects_seen
    );
}
