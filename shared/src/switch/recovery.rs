//! Recovering from a failed step (issue 17 item 1): which step and which
//! field a failure is at fault, which steps are done, and which step the
//! admin works on next. The console renders exactly this; it never guesses
//! from an error's text.
//!
//! A failure is placed where the admin fixes it: "Key not found in the
//! vault" at the Key Name field, a vault firewall at the Vault URI field, a
//! missing role at the role assignment, a refused consent at the consent.
//! A step once done stays done while what it proved still holds: the admin
//! consent while this company's consent for the vault's tenant is fresh
//! (24 hours), the role assignment once Key Vault answered about the key
//! itself (it let the connector in).

use serde::{Deserialize, Serialize};

use super::model::Stage;
use crate::catalog::CatalogError;

/// A step of the switch, as the console lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStep {
    /// Vault URI and Key Name.
    VaultAndKey,
    /// Admin consent in the vault's tenant.
    AdminConsent,
    /// The Key Vault Crypto User role (and the key's company tag).
    RoleAssignment,
    /// The connection test (wrap and unwrap with the key).
    ConnectionTest,
    /// Verifying the tenants of the backup sets.
    VerifyTenants,
    /// Re-protecting the company key and switching.
    Finalize,
}

impl SetupStep {
    /// Every step, in order.
    pub const ALL: [SetupStep; 6] = [
        SetupStep::VaultAndKey,
        SetupStep::AdminConsent,
        SetupStep::RoleAssignment,
        SetupStep::ConnectionTest,
        SetupStep::VerifyTenants,
        SetupStep::Finalize,
    ];

    /// Its snake_case name (as serialized).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VaultAndKey => "vault_and_key",
            Self::AdminConsent => "admin_consent",
            Self::RoleAssignment => "role_assignment",
            Self::ConnectionTest => "connection_test",
            Self::VerifyTenants => "verify_tenants",
            Self::Finalize => "finalize",
        }
    }

    /// Its name on screen.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::VaultAndKey => "Vault and key",
            Self::AdminConsent => "Admin consent",
            Self::RoleAssignment => "Role assignment",
            Self::ConnectionTest => "Connection test",
            Self::VerifyTenants => "Verify tenants",
            Self::Finalize => "Finalize",
        }
    }
}

/// A field of the switch form that a failure can be at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupField {
    /// Vault URI.
    VaultUri,
    /// Key Name.
    KeyName,
}

impl SetupField {
    /// Its wire name (as in [`crate::ErrorBody::field`]).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VaultUri => "vault_uri",
            Self::KeyName => "key_name",
        }
    }
}

/// Where the setup's last failure is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The step whose input or action must change.
    pub step: SetupStep,
    /// The form field to correct, when the fix is a different value.
    pub field: Option<SetupField>,
    /// Key Vault answered about the key itself (not found, disabled, wrong
    /// type…): the consent and the role let the connector in.
    #[serde(default)]
    pub key_reached: bool,
}

impl Fault {
    /// Where `error`, raised while `during` ran, is at fault. A failure of
    /// the consent or the connection test may be caused by an earlier
    /// step's input (the key name, the vault, the consent, the role);
    /// failures of later steps stay where they happened.
    #[must_use]
    pub fn of(error: &CatalogError, during: SetupStep) -> Self {
        let here = Self {
            step: during,
            field: None,
            key_reached: false,
        };
        if !matches!(during, SetupStep::AdminConsent | SetupStep::ConnectionTest) {
            return here;
        }
        cause(error).map_or(here, |(step, field, key_reached)| Self {
            step,
            field,
            key_reached,
        })
    }
}

/// The step (and field) an error of the consent or the connection test
/// points to; `None`: the step that ran (a passing outage, a refusal).
/// Exhaustive, so a new catalog error must be placed.
fn cause(error: &CatalogError) -> Option<(SetupStep, Option<SetupField>, bool)> {
    use CatalogError as E;
    use SetupField::{KeyName, VaultUri};
    use SetupStep::{AdminConsent, RoleAssignment, VaultAndKey};
    match error {
        // Key Vault answered about the key: the name, or the key itself,
        // must change (another key, or the key fixed in Azure).
        E::KeyNotFound { .. }
        | E::KeyNotRsa4096 { .. }
        | E::KeySizeNotSupported { .. }
        | E::KeyWrongType { .. }
        | E::KeyDisabled
        | E::KeyExpired { .. }
        | E::KeyNotYetValid { .. }
        | E::KeyOperationsMissing { .. }
        | E::KeyDeleted { .. } => Some((VaultAndKey, Some(KeyName), true)),
        // The vault is wrong, or its network settings keep CyberSentriq out.
        E::UriContainsKeyPath { .. }
        | E::UriPointsToSecret
        | E::CloudNotConfigured { .. }
        | E::VaultNotFound { .. }
        | E::VaultFirewall
        | E::FirstPartyServiceDenied => Some((VaultAndKey, Some(VaultUri), false)),
        E::InvalidInput(v) => at_field(v.field()),
        E::InvalidField { field, .. } => at_field(field),
        E::AdminConsentRequired
        | E::ConsentUserLacksRole
        | E::IdTokenWithoutRoles
        | E::ConsentDeclined
        | E::EntraRejected { .. }
        | E::TenantMismatch { .. }
        | E::TenantNotFound
        | E::VaultTokenRejected { .. }
        | E::ConsentRemoved { .. }
        | E::IdTokenRefused { .. }
        | E::OAuthStateExpired
        | E::OAuthStateInvalid
        | E::OAuthStateUsed
        | E::OAuthStateSuperseded
        | E::OAuthStateWrongFlow => Some((AdminConsent, None, false)),
        E::KeyVaultForbidden
        | E::AccessPolicyVault
        | E::KeyVaultForbiddenOther { .. }
        | E::KeyBindingMissing { .. }
        | E::KeyBindingMismatch { .. }
        | E::RoleRemoved { .. } => Some((RoleAssignment, None, false)),
        E::TenantsUnverified { .. }
        | E::Throttled
        | E::RateLimited { .. }
        | E::AzureUnavailable
        | E::KeyVaultRejected { .. }
        | E::ClientSecretInvalid
        | E::ClientSecretExpired
        | E::ApplicationNotFound
        | E::BackupSetUnverifiable { .. }
        | E::TenantVerifiedWithoutRole
        | E::GoogleDelegatedAdmin
        | E::GoogleNotSuperAdmin
        | E::GoogleUnavailable
        | E::GoogleRejected { .. }
        | E::CloudVaultExists
        | E::VaultKeyUnreachable { .. }
        | E::KeyAccessLost { .. }
        | E::ExportNotAvailable
        | E::ExportWindowExpired { .. }
        | E::ReauthenticationRequired { .. }
        | E::BodyTooLarge { .. }
        | E::NotSignedIn
        | E::ForbiddenRole
        | E::ForbiddenVaultRole
        | E::NotFound { .. }
        | E::Conflict { .. }
        | E::InvalidTransition { .. }
        | E::UnexpectedAnswer { .. }
        | E::Interrupted { .. }
        | E::UnknownCompany
        | E::EnvelopeCompanyNotAllowed
        | E::ServiceMisconfigured
        | E::Internal => None,
    }
}

/// The vault-and-key step at `field`, when it is one of the form's.
fn at_field(field: &str) -> Option<(SetupStep, Option<SetupField>, bool)> {
    match field {
        "vault_uri" => Some((SetupStep::VaultAndKey, Some(SetupField::VaultUri), false)),
        "key_name" => Some((SetupStep::VaultAndKey, Some(SetupField::KeyName), false)),
        _ => None,
    }
}

/// How far a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done, and what it proved still holds.
    Done,
    /// The step to work on now.
    Current,
    /// The step to work on now: the last failure is at fault here.
    Failed,
    /// Not reached yet.
    Todo,
}

/// One step with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    /// Which step.
    pub step: SetupStep,
    /// How far it is.
    pub status: StepStatus,
}

/// What the pending setup shows: each step's status and the step the
/// admin works on next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Every step, in order.
    pub steps: Vec<StepState>,
    /// The step the admin works on next (the panel the console shows).
    pub current: SetupStep,
}

/// The progress of a setup at `stage`, with its last failure's `fault`
/// (`None` when the last step succeeded) and whether this company's admin
/// consent for the vault's tenant holds now.
#[must_use]
pub fn progress(stage: Stage, fault: Option<Fault>, consent_holds: bool) -> Progress {
    let past_test = matches!(
        stage,
        Stage::Tested | Stage::VerifyingTenants | Stage::Finalizing | Stage::Done
    );
    let current = match stage {
        Stage::Draft | Stage::AwaitingConsent => match fault {
            Some(f) if f.step == SetupStep::VaultAndKey => SetupStep::VaultAndKey,
            _ if !consent_holds => SetupStep::AdminConsent,
            // The consent holds: the role and the test come next.
            _ => SetupStep::RoleAssignment,
        },
        Stage::AwaitingRoleAssignment | Stage::TestingConnection => SetupStep::RoleAssignment,
        Stage::Tested => SetupStep::ConnectionTest,
        Stage::VerifyingTenants => SetupStep::VerifyTenants,
        Stage::Finalizing | Stage::Done | Stage::Idle | Stage::Cancelled => SetupStep::Finalize,
    };
    let key_reached = fault.is_some_and(|f| f.key_reached);
    let done = |step: SetupStep| match step {
        // Entered and checked; it only changes when the failure is there.
        SetupStep::VaultAndKey => true,
        SetupStep::AdminConsent => consent_holds || past_test,
        SetupStep::RoleAssignment => past_test || key_reached,
        SetupStep::ConnectionTest => past_test && stage != Stage::Tested,
        SetupStep::VerifyTenants => matches!(stage, Stage::Finalizing | Stage::Done),
        SetupStep::Finalize => stage == Stage::Done,
    };
    let steps = SetupStep::ALL
        .into_iter()
        .map(|step| {
            let status = if step == current {
                if fault.is_some_and(|f| f.step == step) {
                    StepStatus::Failed
                } else {
                    StepStatus::Current
                }
            } else if done(step) {
                StepStatus::Done
            } else {
                // Not reached, or no longer holding (a consent that expired
                // while the role was being assigned).
                StepStatus::Todo
            };
            StepState { step, status }
        })
        .collect();
    Progress { steps, current }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(p: &Progress) -> Vec<StepStatus> {
        p.steps.iter().map(|s| s.status).collect()
    }

    use StepStatus::{Current, Done, Failed, Todo};

    #[test]
    fn key_not_found_after_consent_and_role_is_at_the_key_name_with_both_done() {
        let fault = Fault::of(
            &CatalogError::KeyNotFound { key_name: None },
            SetupStep::ConnectionTest,
        );
        assert_eq!(fault.step, SetupStep::VaultAndKey);
        assert_eq!(fault.field, Some(SetupField::KeyName));
        let p = progress(Stage::Draft, Some(fault), true);
        assert_eq!(p.current, SetupStep::VaultAndKey);
        assert_eq!(statuses(&p), [Failed, Done, Done, Todo, Todo, Todo]);
    }

    #[test]
    fn a_firewall_is_at_the_vault_uri_and_a_missing_role_at_the_role() {
        let fw = Fault::of(&CatalogError::VaultFirewall, SetupStep::ConnectionTest);
        assert_eq!(
            (fw.step, fw.field, fw.key_reached),
            (SetupStep::VaultAndKey, Some(SetupField::VaultUri), false)
        );
        let p = progress(Stage::Draft, Some(fw), true);
        assert_eq!(p.current, SetupStep::VaultAndKey);
        // The role was never shown to work.
        assert_eq!(statuses(&p), [Failed, Done, Todo, Todo, Todo, Todo]);

        let role = Fault::of(&CatalogError::KeyVaultForbidden, SetupStep::ConnectionTest);
        assert_eq!((role.step, role.field), (SetupStep::RoleAssignment, None));
        let p = progress(Stage::AwaitingRoleAssignment, Some(role), true);
        assert_eq!(p.current, SetupStep::RoleAssignment);
        assert_eq!(statuses(&p), [Done, Done, Failed, Todo, Todo, Todo]);
    }

    #[test]
    fn nothing_asks_for_consent_while_it_holds() {
        // A passing outage after consent: the test is retried, not consent.
        let outage = Fault::of(&CatalogError::AzureUnavailable, SetupStep::ConnectionTest);
        assert_eq!(outage.step, SetupStep::ConnectionTest);
        let p = progress(Stage::Draft, Some(outage), true);
        assert_eq!(p.current, SetupStep::RoleAssignment);
        assert_eq!(statuses(&p), [Done, Done, Current, Todo, Todo, Todo]);
        // The same outage once the consent no longer holds: consent first.
        let p = progress(Stage::Draft, Some(outage), false);
        assert_eq!(p.current, SetupStep::AdminConsent);
        assert_eq!(statuses(&p), [Done, Current, Todo, Todo, Todo, Todo]);
        // A refused consent is at the consent.
        let refused = Fault::of(&CatalogError::ConsentDeclined, SetupStep::AdminConsent);
        let p = progress(Stage::Draft, Some(refused), false);
        assert_eq!(p.current, SetupStep::AdminConsent);
        assert_eq!(statuses(&p), [Done, Failed, Todo, Todo, Todo, Todo]);
    }

    #[test]
    fn a_wrong_key_with_an_expired_consent_still_opens_the_key_name() {
        let fault = Fault::of(&CatalogError::KeyDisabled, SetupStep::ConnectionTest);
        let p = progress(Stage::Draft, Some(fault), false);
        assert_eq!(p.current, SetupStep::VaultAndKey);
        assert_eq!(statuses(&p), [Failed, Todo, Done, Todo, Todo, Todo]);
    }

    #[test]
    fn later_stages_count_everything_before_as_done() {
        assert_eq!(
            statuses(&progress(Stage::Tested, None, false)),
            [Done, Done, Done, Current, Todo, Todo]
        );
        assert_eq!(
            statuses(&progress(Stage::VerifyingTenants, None, true)),
            [Done, Done, Done, Done, Current, Todo]
        );
        assert_eq!(
            statuses(&progress(Stage::Finalizing, None, true)),
            [Done, Done, Done, Done, Done, Current]
        );
        // A failure of a later step stays there, even one Key Vault raised.
        let f = Fault::of(&CatalogError::KeyDisabled, SetupStep::Finalize);
        assert_eq!((f.step, f.field), (SetupStep::Finalize, None));
        assert_eq!(
            statuses(&progress(Stage::Finalizing, Some(f), true)),
            [Done, Done, Done, Done, Done, Failed]
        );
    }

    #[test]
    fn a_fresh_setup_waits_for_consent_and_a_reused_one_for_the_role() {
        assert_eq!(
            statuses(&progress(Stage::AwaitingConsent, None, false)),
            [Done, Current, Todo, Todo, Todo, Todo]
        );
        assert_eq!(
            statuses(&progress(Stage::AwaitingRoleAssignment, None, true)),
            [Done, Done, Current, Todo, Todo, Todo]
        );
        assert_eq!(
            statuses(&progress(Stage::TestingConnection, None, true)),
            [Done, Done, Current, Todo, Todo, Todo]
        );
    }

    #[test]
    fn names_match_serde() {
        for step in SetupStep::ALL {
            assert_eq!(
                serde_json::to_value(step).unwrap(),
                serde_json::Value::String(step.as_str().into())
            );
        }
        for field in [SetupField::VaultUri, SetupField::KeyName] {
            assert_eq!(
                serde_json::to_value(field).unwrap(),
                serde_json::Value::String(field.as_str().into())
            );
        }
    }

    #[test]
    fn invalid_input_points_at_its_field() {
        let e = CatalogError::InvalidInput(crate::ValidationError::KeyNameEmpty);
        let f = Fault::of(&e, SetupStep::ConnectionTest);
        assert_eq!(f.field, Some(SetupField::KeyName));
        assert!(!f.key_reached);
        let e = CatalogError::InvalidInput(crate::ValidationError::TenantId);
        assert_eq!(
            Fault::of(&e, SetupStep::ConnectionTest).step,
            SetupStep::ConnectionTest
        );
    }
}
