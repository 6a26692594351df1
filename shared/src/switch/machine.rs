//! The transition function.

use std::collections::BTreeSet;

use super::model::{
    CONSENT_TTL_SECS, Consent, Effect, Event, ExportWindow, Setup, Stage, SwitchState, Target,
    Tenant, TenantRef, TenantStatus,
};
use crate::catalog::CatalogError;
use crate::ids::KeyId;
use crate::provider::Provider;

/// Applies `event` at `now` (Unix seconds) to `state`.
///
/// Returns the new state and the effects the edge must perform, ending with
/// an audit effect. A refused event returns the catalog error and leaves
/// `state` as it was (it is borrowed, never changed).
///
/// # Errors
/// [`CatalogError::InvalidTransition`] when the event does not apply in the
/// current stage; a more specific catalog error (tenant mismatch, export not
/// available, not found, conflict) when it applies but its content does not.
pub fn apply(
    state: &SwitchState,
    event: Event,
    now: i64,
) -> Result<(SwitchState, Vec<Effect>), CatalogError> {
    apply_with_consent_ttl(state, event, now, CONSENT_TTL_SECS)
}

/// [`apply`] with the admin-consent lifetime given in seconds instead of
/// [`CONSENT_TTL_SECS`] (a deployment may configure it; tests shorten it).
///
/// # Errors
/// As [`apply`].
pub fn apply_with_consent_ttl(
    state: &SwitchState,
    event: Event,
    now: i64,
    consent_ttl_secs: i64,
) -> Result<(SwitchState, Vec<Effect>), CatalogError> {
    let from = state.stage();
    let name = event.name();
    let mut next = state.clone();
    let mut effects = transition(&mut next, event, now, from, consent_ttl_secs)?;
    effects.push(Effect::Audit {
        event: name,
        from,
        to: next.stage(),
    });
    Ok((next, effects))
}

fn refuse(stage: Stage, event: &Event) -> CatalogError {
    CatalogError::InvalidTransition {
        state: stage.as_str().to_owned(),
        event: event.name().to_owned(),
    }
}

fn consent_fresh(setup: &Setup, now: i64, ttl: i64) -> bool {
    setup.consent.as_ref().is_some_and(|c| {
        now >= c.granted_at
            && now - c.granted_at < ttl
            && setup.vault_tenant.as_ref().is_none_or(|t| *t == c.tenant)
    })
}

fn run_test(setup: &mut Setup) -> Vec<Effect> {
    setup.stage = Stage::TestingConnection;
    vec![Effect::RunConnectionTest {
        target: setup.target.clone(),
    }]
}

fn redirect(setup: &mut Setup) -> Vec<Effect> {
    setup.stage = Stage::AwaitingConsent;
    vec![Effect::RedirectToConsent {
        tenant: setup.vault_tenant.clone(),
    }]
}

fn kid_matches(kid: &KeyId, target: &Target) -> bool {
    kid.version().is_some()
        && kid.vault() == target.vault_uri
        && kid
            .name()
            .as_str()
            .eq_ignore_ascii_case(target.key_name.as_str())
}

/// Replaces the tenant list by `latest`, keeping the status of tenants that
/// are still there; new ones start unverified.
fn merge_inventory(setup: &mut Setup, latest: Vec<TenantRef>) {
    let unique: BTreeSet<TenantRef> = latest.into_iter().collect();
    let tenants = unique
        .into_iter()
        .map(|tenant| {
            let status = setup
                .tenants
                .iter()
                .find(|t| t.tenant == tenant)
                .map_or(TenantStatus::Unverified, |t| t.status.clone());
            Tenant { tenant, status }
        })
        .collect();
    setup.tenants = tenants;
}

fn all_verified(setup: &Setup) -> bool {
    setup.tenants.iter().all(Tenant::is_verified)
}

fn start_finalizing(setup: &mut Setup) -> Vec<Effect> {
    setup.stage = Stage::Finalizing;
    setup.commit_issued = false;
    vec![Effect::ReadInventory]
}

fn transition(
    state: &mut SwitchState,
    event: Event,
    now: i64,
    stage: Stage,
    consent_ttl: i64,
) -> Result<Vec<Effect>, CatalogError> {
    // Events that do not need a pending setup.
    match event {
        Event::Start { target } if !stage.is_pending() => {
            state.setup = Some(Setup {
                stage: Stage::Draft,
                target,
                vault_tenant: None,
                consent: None,
                tested_kid: None,
                tenants: Vec::new(),
                commit_issued: false,
                last_error: None,
            });
            return Ok(Vec::new());
        }
        Event::Export => {
            return match state.export_window {
                ExportWindow::Open { .. } => {
                    state.export_window = ExportWindow::Closed;
                    Ok(vec![Effect::ExportCompanyKey])
                }
                ExportWindow::Closed => Err(CatalogError::ExportNotAvailable),
            };
        }
        _ => {}
    }
    let Some(setup) = state.setup.as_mut() else {
        return Err(refuse(stage, &event));
    };
    match (stage, event) {
        (
            Stage::Draft | Stage::AwaitingConsent | Stage::AwaitingRoleAssignment | Stage::Tested,
            Event::EditTarget { target },
        ) => {
            if target.vault_uri != setup.target.vault_uri {
                setup.vault_tenant = None;
            }
            setup.target = target;
            setup.tested_kid = None;
            setup.last_error = None;
            setup.stage = Stage::Draft;
            Ok(Vec::new())
        }
        (
            Stage::Draft | Stage::AwaitingConsent | Stage::Tested,
            Event::TestConnection { vault_tenant },
        ) => {
            if vault_tenant.is_some() {
                setup.vault_tenant = vault_tenant;
            }
            setup.tested_kid = None;
            setup.last_error = None;
            Ok(if consent_fresh(setup, now, consent_ttl) {
                run_test(setup)
            } else {
                redirect(setup)
            })
        }
        (Stage::AwaitingConsent, Event::ConsentGranted { tenant }) => {
            if let Some(expected) = setup.vault_tenant.as_ref().filter(|t| **t != tenant) {
                return Err(CatalogError::TenantMismatch {
                    expected: expected.as_str().to_owned(),
                    found: tenant.as_str().to_owned(),
                });
            }
            setup.vault_tenant = Some(tenant.clone());
            setup.consent = Some(Consent {
                tenant,
                granted_at: now,
            });
            setup.stage = Stage::AwaitingRoleAssignment;
            Ok(vec![Effect::ShowRoleAssignment {
                vault_name: setup.target.vault_uri.vault_name().to_owned(),
            }])
        }
        (Stage::AwaitingConsent, Event::ConsentFailed { error }) => {
            setup.last_error = Some(error.body());
            setup.stage = Stage::Draft;
            Ok(Vec::new())
        }
        (Stage::AwaitingRoleAssignment, Event::RoleAssignmentCompleted) => {
            if consent_fresh(setup, now, consent_ttl) {
                Ok(run_test(setup))
            } else {
                setup.consent = None;
                setup.last_error = Some(CatalogError::AdminConsentRequired.body());
                setup.stage = Stage::Draft;
                Ok(Vec::new())
            }
        }
        (Stage::TestingConnection, Event::ConnectionTestPassed { kid }) => {
            if !kid_matches(&kid, &setup.target) {
                return Err(CatalogError::Conflict {
                    reason: "The connection test result is for another key".into(),
                });
            }
            setup.tested_kid = Some(kid);
            setup.last_error = None;
            setup.stage = Stage::Tested;
            Ok(Vec::new())
        }
        (Stage::TestingConnection, Event::ConnectionTestFailed { error }) => {
            let effects = match error {
                CatalogError::KeyVaultForbidden | CatalogError::AccessPolicyVault => {
                    setup.stage = Stage::AwaitingRoleAssignment;
                    vec![Effect::ShowRoleAssignment {
                        vault_name: setup.target.vault_uri.vault_name().to_owned(),
                    }]
                }
                CatalogError::AdminConsentRequired | CatalogError::VaultTokenRejected { .. } => {
                    setup.consent = None;
                    setup.stage = Stage::Draft;
                    Vec::new()
                }
                _ => {
                    setup.stage = Stage::Draft;
                    Vec::new()
                }
            };
            setup.last_error = Some(error.body());
            Ok(effects)
        }
        (Stage::Tested, Event::Save) => {
            setup.stage = Stage::VerifyingTenants;
            Ok(vec![Effect::ReadInventory])
        }
        (Stage::VerifyingTenants, Event::Refresh) => Ok(vec![Effect::ReadInventory]),
        (Stage::VerifyingTenants, Event::InventoryLoaded { tenants }) => {
            merge_inventory(setup, tenants);
            Ok(if all_verified(setup) {
                start_finalizing(setup)
            } else {
                Vec::new()
            })
        }
        (Stage::Finalizing, Event::InventoryLoaded { tenants }) if !setup.commit_issued => {
            merge_inventory(setup, tenants);
            if !all_verified(setup) {
                // A new tenant appeared: it blocks completion until verified.
                setup.stage = Stage::VerifyingTenants;
                return Ok(Vec::new());
            }
            let Some(kid) = setup.tested_kid.clone() else {
                return Err(CatalogError::Internal);
            };
            setup.commit_issued = true;
            setup.last_error = None;
            Ok(vec![Effect::Commit {
                target: setup.target.clone(),
                kid,
            }])
        }
        (Stage::VerifyingTenants, Event::TenantVerified { tenant }) => {
            let entry = setup
                .tenants
                .iter_mut()
                .find(|t| t.tenant == tenant)
                .ok_or_else(|| CatalogError::NotFound {
                    what: "Tenant".into(),
                })?;
            entry.status = TenantStatus::Verified { at: now };
            Ok(if all_verified(setup) {
                start_finalizing(setup)
            } else {
                Vec::new()
            })
        }
        (Stage::VerifyingTenants, Event::TenantVerificationFailed { tenant, error }) => {
            let entry = setup
                .tenants
                .iter_mut()
                .find(|t| t.tenant == tenant)
                .ok_or_else(|| CatalogError::NotFound {
                    what: "Tenant".into(),
                })?;
            if entry.is_verified() {
                return Err(CatalogError::Conflict {
                    reason: "This tenant is already verified".into(),
                });
            }
            entry.status = TenantStatus::Failed {
                reason: error.body(),
            };
            Ok(Vec::new())
        }
        (Stage::Finalizing, Event::CommitSucceeded { kid }) if setup.commit_issued => {
            if !kid_matches(&kid, &setup.target) {
                return Err(CatalogError::Conflict {
                    reason: "The committed key is not the key of this setup".into(),
                });
            }
            let target = setup.target.clone();
            state.provider = Provider::AzureKeyVault {
                vault_uri: target.vault_uri.to_string(),
                key_name: target.key_name.to_string(),
                kid: kid.to_string(),
            };
            state.setup = None;
            state.last = Stage::Done;
            state.export_window = ExportWindow::Open { opened_at: now };
            Ok(Vec::new())
        }
        (Stage::Finalizing, Event::CommitFailed { error }) if setup.commit_issued => {
            setup.commit_issued = false;
            setup.last_error = Some(error.body());
            Ok(Vec::new())
        }
        (Stage::VerifyingTenants, Event::RetryCommit) => Err(CatalogError::TenantsUnverified {
            unverified: setup.tenants.iter().filter(|t| !t.is_verified()).count(),
        }),
        (Stage::Finalizing, Event::RetryCommit) if !setup.commit_issued => {
            Ok(start_finalizing(setup))
        }
        (_, Event::Cancel) if !setup.commit_issued => {
            state.setup = None;
            state.last = Stage::Cancelled;
            Ok(Vec::new())
        }
        (stage, event) => Err(refuse(stage, &event)),
    }
}
