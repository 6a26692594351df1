//! *Check configuration* (issue 14 item 7): one action, before Save and any
//! time after, that runs every check at once without changing anything and
//! lists every problem with its fix instead of stopping at the first. The
//! model picks the key (the pending setup's, else the Azure key in force)
//! and whether the re-wrap is dry-run (before Save); the edge observes
//! ([`CheckObservations`]); [`report`] decides what each observation means.

use super::Step;
use crate::audit::{Actor, AuditAction, Outcome};
use crate::binding;
use crate::catalog::{CatalogError, ErrorBody};
use crate::ids::{CompanyId, KeyId};
use crate::key_check::KeyPolicy;
use crate::keyvault::{KeyBundle, decode_base64url_lenient};
use crate::provider::Provider;
use crate::rotation::{CheckItem, CheckObservations, CheckReport, CheckScope, CheckStatus};
use crate::switch::effect::{Effect, Reply};
use crate::switch::model::{Stage, TenantRef};

/// The most Key Vault calls keyswitch makes for one company in any 10 s
/// (a re-wrap: two GETs, two unwraps, one wrap, and the health check's GET).
const PEAK_CALLS_PER_10S: u32 = 6;
/// An expiry this close is a warning (seconds).
const EXPIRY_SOON_SECS: i64 = 30 * 24 * 3600;

/// The admin asked for *Check configuration*.
pub(super) fn check(s: &mut Step<'_>, actor: &Actor) -> Result<(), CatalogError> {
    let pending =
        s.m.setup
            .as_ref()
            .filter(|x| x.stage.is_pending() && !x.commit_issued);
    let effect = if let Some(setup) = pending {
        let before_save = matches!(
            setup.stage,
            Stage::Draft
                | Stage::AwaitingConsent
                | Stage::AwaitingRoleAssignment
                | Stage::TestingConnection
                | Stage::Tested
        );
        Effect::CheckConfiguration {
            actor: actor.clone(),
            scope: CheckScope::Pending,
            key: KeyId::new(&setup.target.vault_uri, &setup.target.key_name, None),
            tenant: setup.vault_tenant.clone(),
            dry_run: before_save.then(|| Box::new((s.m.provider.clone(), s.m.key.clone()))),
        }
    } else if let Provider::AzureKeyVault { kid, .. } = &s.m.provider {
        Effect::CheckConfiguration {
            actor: actor.clone(),
            scope: CheckScope::InForce,
            key: kid.clone(),
            tenant: s.m.key.azure_tenant.clone(),
            dry_run: None,
        }
    } else {
        return Err(CatalogError::Conflict {
            reason: "Check configuration checks an Azure Key Vault key: start a switch (Test Connection) or switch first".into(),
        });
    };
    s.effects.push(effect);
    Ok(())
}

/// The edge observed: the report, audited and answered.
pub(super) fn checked(
    s: &mut Step<'_>,
    actor: &Actor,
    scope: CheckScope,
    key: KeyId,
    seen: &CheckObservations,
) {
    let setup_tenants: Vec<(TenantRef, bool)> =
        s.m.setup
            .as_ref()
            .filter(|_| scope == CheckScope::Pending)
            .map(|x| {
                x.tenants
                    .iter()
                    .map(|t| (t.tenant.clone(), t.is_verified()))
                    .collect()
            })
            .unwrap_or_default();
    let tenant_known = match scope {
        CheckScope::Pending => s.m.setup.as_ref().and_then(|x| x.vault_tenant.clone()),
        CheckScope::InForce => s.m.key.azure_tenant.clone(),
    }
    .is_some();
    let facts = Facts {
        company: &s.m.company_id,
        tenant_known,
        setup_tenants: &setup_tenants,
        now_secs: s.ctx.now_secs(),
        now_ms: s.now_ms(),
    };
    let report = report(&facts, scope, key, seen);
    let codes: Vec<&str> = report.problems.iter().map(|p| p.code.as_str()).collect();
    let note = if codes.is_empty() {
        format!("{} checks, no problem", report.checks.len())
    } else {
        format!(
            "{} checks, {} problems: {}",
            report.checks.len(),
            codes.len(),
            codes.join(", ")
        )
    };
    s.audit(
        actor,
        AuditAction::ConfigurationChecked,
        Outcome::Succeeded,
        Some(note),
    );
    s.reply(Reply::Check(Box::new(report)));
}

fn item(id: &str, name: &str) -> CheckItem {
    CheckItem {
        id: id.into(),
        name: name.into(),
        status: CheckStatus::Ok,
        detail: None,
        problem: None,
    }
}

fn ok(mut i: CheckItem, detail: impl Into<String>) -> CheckItem {
    i.detail = Some(detail.into());
    i
}

fn problem(mut i: CheckItem, e: &CatalogError) -> CheckItem {
    i.status = CheckStatus::Problem;
    i.problem = Some(e.body());
    i
}

fn skipped(mut i: CheckItem, because: &str) -> CheckItem {
    i.status = CheckStatus::Skipped;
    i.detail = Some(format!("not checked: {because}"));
    i
}

fn warning(mut i: CheckItem, detail: impl Into<String>) -> CheckItem {
    i.status = CheckStatus::Warning;
    i.detail = Some(detail.into());
    i
}

fn code_is(e: &CatalogError, codes: &[&str]) -> bool {
    codes.contains(&e.code())
}

/// The modulus size in bits of an RSA key GET answered.
fn size_bits(bundle: &KeyBundle) -> Option<u32> {
    let n = bundle.key.n.as_deref().and_then(decode_base64url_lenient)?;
    let first = n.iter().position(|b| *b != 0)?;
    let rest = u32::try_from(n.len() - first - 1).ok()?;
    Some(rest * 8 + (8 - n[first].leading_zeros()))
}

fn tenant_label(t: &TenantRef) -> String {
    super::label(t)
}

/// What the model knows besides the observations.
struct Facts<'a> {
    company: &'a CompanyId,
    /// Whether the vault's tenant is known (learned with the consent).
    tenant_known: bool,
    /// The pending setup's tenants and whether each is verified.
    setup_tenants: &'a [(TenantRef, bool)],
    now_secs: i64,
    now_ms: u64,
}

/// Every check, in a fixed order, from what the edge observed.
fn report(f: &Facts<'_>, scope: CheckScope, key: KeyId, seen: &CheckObservations) -> CheckReport {
    let (company, tenant_known, setup_tenants, now_secs, now_ms) = (
        f.company,
        f.tenant_known,
        f.setup_tenants,
        f.now_secs,
        f.now_ms,
    );
    let mut checks = Vec::new();
    // ---- consent ----
    let consent = item("consent", "Admin consent");
    let consent_ok = match (&seen.token, tenant_known) {
        (_, false) => {
            checks.push(problem(consent, &CatalogError::AdminConsentRequired));
            false
        }
        (Some(Ok(())), true) => {
            checks.push(ok(
                consent,
                "the connector gets a token in the vault's tenant",
            ));
            true
        }
        (Some(Err(e)), true) => {
            checks.push(problem(consent, e));
            false
        }
        (None, true) => {
            checks.push(skipped(consent, "not run"));
            false
        }
    };
    // ---- the vault's answer to GET key: firewall, role, key ----
    let firewall = item("firewall", "Vault firewall");
    let role = item("role", "Role and its scope");
    let found = item("key_found", "Key exists");
    let bundle = match (&seen.key, consent_ok) {
        (Some(Ok(b)), _) => {
            checks.push(ok(firewall, "the vault accepts keyswitch's calls"));
            checks.push(ok(role, "the connector may read the key"));
            checks.push(ok(found, "found"));
            Some(b)
        }
        (Some(Err(e)), _) if code_is(e, &["vault_firewall"]) => {
            checks.push(problem(firewall, e));
            checks.push(skipped(role, "the firewall blocks the vault"));
            checks.push(skipped(found, "the firewall blocks the vault"));
            None
        }
        (Some(Err(e)), _)
            if code_is(
                e,
                &["key_vault_forbidden", "access_policy_vault", "role_removed"],
            ) =>
        {
            checks.push(ok(firewall, "the vault answered"));
            checks.push(problem(role, e));
            checks.push(skipped(found, "the role is missing"));
            None
        }
        (Some(Err(e)), _) if code_is(e, &["key_not_found", "key_deleted"]) => {
            checks.push(ok(firewall, "the vault answered"));
            checks.push(ok(role, "the connector may read keys of the vault"));
            checks.push(problem(found, e));
            None
        }
        (Some(Err(e)), _) => {
            checks.push(skipped(firewall, "Key Vault did not answer the GET"));
            checks.push(skipped(role, "Key Vault did not answer the GET"));
            checks.push(problem(found, e));
            None
        }
        (None, _) => {
            for i in [firewall, role, found] {
                checks.push(skipped(i, "the admin consent is missing"));
            }
            None
        }
    };
    // ---- the key's properties ----
    let names = [
        ("key_type", "Key type"),
        ("key_size", "Key size"),
        ("key_ops", "Permitted operations (key_ops)"),
        ("enabled", "Key enabled"),
        ("validity", "Activation and expiry (nbf/exp)"),
        ("binding", "Key binding tag"),
    ];
    match bundle {
        None => {
            for (id, name) in names {
                checks.push(skipped(item(id, name), "the key could not be read"));
            }
        }
        Some(b) => {
            let policy = KeyPolicy::ManageKms;
            let kty = b.key.kty.as_str();
            let rsa = matches!(kty, "RSA" | "RSA-HSM");
            checks.push(if rsa {
                ok(item("key_type", "Key type"), kty)
            } else {
                problem(
                    item("key_type", "Key type"),
                    &CatalogError::KeyWrongType {
                        found: kty
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                            .take(16)
                            .collect(),
                    },
                )
            });
            let size = size_bits(b).unwrap_or(0);
            let size_item = item("key_size", "Key size");
            checks.push(if !rsa {
                skipped(size_item, "not an RSA key")
            } else if policy.sizes().contains(&size) {
                ok(size_item, format!("{size} bits"))
            } else {
                problem(
                    size_item,
                    &CatalogError::KeySizeNotSupported {
                        found_bits: size,
                        allowed: policy.sizes().to_vec(),
                    },
                )
            });
            let missing: Vec<String> = ["wrapKey", "unwrapKey"]
                .into_iter()
                .filter(|op| !b.key.key_ops.iter().any(|k| k == op))
                .map(str::to_owned)
                .collect();
            checks.push(if missing.is_empty() {
                ok(
                    item("key_ops", "Permitted operations (key_ops)"),
                    "wrapKey and unwrapKey",
                )
            } else {
                problem(
                    item("key_ops", "Permitted operations (key_ops)"),
                    &CatalogError::KeyOperationsMissing { missing },
                )
            });
            checks.push(if b.attributes.enabled == Some(false) {
                problem(item("enabled", "Key enabled"), &CatalogError::KeyDisabled)
            } else {
                ok(item("enabled", "Key enabled"), "enabled")
            });
            let validity = item("validity", "Activation and expiry (nbf/exp)");
            checks.push(match (b.attributes.nbf, b.attributes.exp) {
                (Some(nbf), _) if now_secs < nbf => problem(
                    validity,
                    &CatalogError::KeyNotYetValid {
                        valid_from: Some(nbf),
                    },
                ),
                (_, Some(exp)) if now_secs >= exp => problem(
                    validity,
                    &CatalogError::KeyExpired {
                        expired_at: Some(exp),
                    },
                ),
                (_, Some(exp)) if exp - now_secs < EXPIRY_SOON_SECS => warning(
                    validity,
                    format!(
                        "the key expires in {} days (Unix time {exp}): extend it (az keyvault key set-attributes --expires) or rotate it",
                        (exp - now_secs) / 86_400
                    ),
                ),
                (_, Some(exp)) => ok(validity, format!("valid until Unix time {exp}")),
                (_, None) => ok(validity, "no expiry"),
            });
            let binding_item = item("binding", "Key binding tag");
            let bound = match scope {
                CheckScope::Pending => {
                    binding::check(b.tags.as_ref(), company, &key.vault(), &key.name())
                }
                CheckScope::InForce => binding::check_kid(b.tags.as_ref(), company, &key),
            };
            checks.push(match bound {
                Ok(()) => ok(binding_item, format!("the key names {}", company.as_str())),
                Err(e) => problem(binding_item, &e),
            });
        }
    }
    // ---- throttling headroom ----
    let throttling = item("throttling", "Throttling headroom");
    let throttled = [
        &seen.key.as_ref().and_then(|r| r.as_ref().err()),
        &seen.probe.as_ref().and_then(|r| r.as_ref().err()),
    ]
    .into_iter()
    .flatten()
    .any(|e| code_is(e, &["throttled"]));
    checks.push(match bundle {
        _ if throttled => problem(throttling, &CatalogError::Throttled),
        Some(b) => {
            let hsm = b.key.kty == "RSA-HSM";
            let limit = match size_bits(b).unwrap_or(0) {
                0..=2048 => 4000,
                2049..=3072 => 1000,
                _ => 500,
            } / if hsm { 2 } else { 1 };
            ok(
                throttling,
                format!(
                    "Key Vault allows {limit} operations per 10 s on this key type and size (per vault); keyswitch makes at most {PEAK_CALLS_PER_10S} in any 10 s for this company"
                ),
            )
        }
        None => skipped(throttling, "the key could not be read"),
    });
    // ---- wrap/unwrap probe ----
    let probe = item("probe", "Wrap and unwrap");
    checks.push(match &seen.probe {
        Some(Ok(())) => ok(probe, "a random probe was wrapped and unwrapped"),
        Some(Err(e)) => problem(probe, e),
        None => skipped(probe, "the key could not be read"),
    });
    // ---- the re-wrap dry run (before Save) ----
    if scope == CheckScope::Pending {
        let dry = item("dry_run", "Re-wrap dry run");
        checks.push(match &seen.dry_run {
            Some(Ok(())) => ok(
                dry,
                "the company key was unwrapped with the current provider, wrapped and unwrapped with the new key, and discarded",
            ),
            Some(Err(e)) => problem(dry, e),
            None => skipped(dry, "after Save the finalization re-wraps; before Save only when the key can be used"),
        });
    }
    // ---- backup sets ----
    match &seen.inventory {
        None => checks.push(skipped(item("backup_sets", "Backup sets"), "not read")),
        Some(Err(e)) => checks.push(problem(item("backup_sets", "Backup sets"), e)),
        Some(Ok(inv)) => {
            if inv.tenants.is_empty() && inv.unverifiable.is_empty() {
                checks.push(ok(
                    item("backup_sets", "Backup sets"),
                    "the inventory lists no backup set",
                ));
            }
            for t in &inv.tenants {
                let label = tenant_label(&t.tenant);
                let i = item(
                    &format!("tenant:{label}"),
                    &format!("Backup-set tenant: {label}"),
                );
                let verified = setup_tenants.iter().any(|(x, v)| *x == t.tenant && *v);
                let how = match t.tenant {
                    TenantRef::Microsoft365 { .. } => {
                        "can be verified by a Global Administrator or Privileged Role Administrator of the tenant"
                    }
                    TenantRef::GoogleWorkspace { .. } => {
                        "can be verified by a super admin of the Google Workspace"
                    }
                };
                checks.push(ok(i, if verified { "verified" } else { how }));
            }
            for set in &inv.unverifiable {
                let i = item(
                    &format!("backup_set:{}", set.set_id),
                    &format!("Backup set {}", set.label()),
                );
                checks.push(problem(i, &set.error()));
            }
        }
    }
    let problems: Vec<ErrorBody> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Problem)
        .filter_map(|c| c.problem.clone())
        .collect();
    CheckReport {
        checked_at_ms: now_ms,
        scope,
        key,
        checks,
        problems,
    }
}
