//! Tenant verification inside the company's Durable Object: single-use
//! states (`vstate/{sha256(nonce)}`, bound to company, admin, setup and
//! tenant, with the PKCE verifier and OIDC nonce), the callback that
//! consumes them, Refresh, and the re-verification that reopens the export.

use keyswitch_shared::api::{ExportVerification, VerifyTenantAnswer};
use keyswitch_shared::entra::map_consent_error;
use keyswitch_shared::switch::{Effect, Event, Stage, Tenant, TenantRef, TenantStatus};
use keyswitch_shared::{AuditAction, CatalogError, ErrorBody, Outcome};
use serde::{Deserialize, Serialize};

use super::{CompanyKms, Res, random_token, sha256_hex};
use crate::config;
use crate::session::{Actor, now_secs};
use crate::verify;

const VSTATE_PREFIX: &str = "vstate/";
/// Storage key of a running export re-verification.
pub(super) const EXPORT_VERIFY: &str = "export_verify";

/// What a verification is for.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Purpose {
    Setup,
    Export,
}

/// A pending verification (single use).
#[derive(Serialize, Deserialize)]
struct VerifyState {
    purpose: Purpose,
    setup_id: String,
    tenant: TenantRef,
    admin: Actor,
    expires_at_ms: u64,
    pkce_verifier: String,
    oidc_nonce: String,
}

/// Tenants being verified again before a further export.
#[derive(Serialize, Deserialize, Default)]
pub(super) struct ExportVerify {
    pub tenants: Vec<Tenant>,
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

fn label(t: &TenantRef) -> String {
    match t {
        TenantRef::Microsoft365 { tenant_id } => {
            format!("Microsoft 365 tenant {}", tenant_id.as_str())
        }
        TenantRef::GoogleWorkspace { customer_id } => {
            format!("Google Workspace customer {}", customer_id.as_str())
        }
    }
}

fn expired() -> VerifyOutcome {
    let e = CatalogError::OAuthStateExpired;
    VerifyOutcome {
        error: Some((e.status(), e.body())),
        tenant: None,
        finalizing: false,
        export_open: false,
    }
}

impl CompanyKms {
    pub(super) async fn load_export_verify(&self) -> Res<Option<ExportVerify>> {
        Ok(self
            .state
            .storage()
            .get::<ExportVerify>(EXPORT_VERIFY)
            .await?)
    }

    /// Starts verifying `tenant`: answers the provider's sign-in URL.
    pub(super) async fn begin_verify(
        &self,
        company: &str,
        actor: &Actor,
        tenant: TenantRef,
    ) -> Res<VerifyTenantAnswer> {
        let record = self.load_or_create(company).await?;
        let sw = self.load_switch(&record).await?;
        let listed = |list: &[Tenant]| list.iter().find(|t| t.tenant == tenant).cloned();
        let (purpose, setup_id) = if sw.stage() == Stage::VerifyingTenants {
            let entry = sw
                .setup()
                .and_then(|s| listed(s.tenants()))
                .ok_or_else(|| CatalogError::NotFound {
                    what: "Tenant".into(),
                })?;
            if entry.is_verified() {
                return Err(CatalogError::Conflict {
                    reason: "This tenant is already verified".into(),
                }
                .into());
            }
            let id = self
                .load_meta()
                .await?
                .map(|m| m.setup_id)
                .unwrap_or_default();
            (Purpose::Setup, id)
        } else if let Some(ev) = self.load_export_verify().await? {
            let entry = listed(&ev.tenants).ok_or_else(|| CatalogError::NotFound {
                what: "Tenant".into(),
            })?;
            if entry.is_verified() {
                return Err(CatalogError::Conflict {
                    reason: "This tenant is already verified".into(),
                }
                .into());
            }
            (Purpose::Export, String::new())
        } else {
            return Err(CatalogError::InvalidTransition {
                state: sw.stage().as_str().into(),
                event: "verify_tenant".into(),
            }
            .into());
        };
        let nonce = random_token()?;
        let state = format!("{company}.verify.{nonce}");
        let started = match &tenant {
            TenantRef::Microsoft365 { .. } => verify::entra::start(&self.env, state)?,
            TenantRef::GoogleWorkspace { .. } => verify::google::start(&self.env, state)?,
        };
        let rec = VerifyState {
            purpose,
            setup_id,
            tenant: tenant.clone(),
            admin: actor.clone(),
            expires_at_ms: super::now_ms() + config::state_ttl_ms(&self.env),
            pkce_verifier: started.pkce_verifier,
            oidc_nonce: started.nonce,
        };
        self.state
            .storage()
            .put(
                &format!("{VSTATE_PREFIX}{}", sha256_hex(nonce.as_bytes())),
                &rec,
            )
            .await?;
        self.audit(
            actor,
            AuditAction::TenantVerificationStarted,
            Outcome::Succeeded,
            sw.stage(),
            sw.stage(),
            Some(label(&tenant)),
        )
        .await?;
        Ok(VerifyTenantAnswer {
            authorize_url: started.url,
            tenant,
        })
    }

    /// The sign-in came back: consume the state, prove the admin, record it.
    pub(super) async fn verify_callback(
        &self,
        company: &str,
        nonce: &str,
        code: Option<String>,
        error: Option<&str>,
        error_description: Option<&str>,
    ) -> Res<VerifyOutcome> {
        let storage = self.state.storage();
        let key = format!("{VSTATE_PREFIX}{}", sha256_hex(nonce.as_bytes()));
        let Some(rec) = storage.get::<VerifyState>(&key).await? else {
            return Ok(expired());
        };
        // Consumed before anything else happens: a state works once.
        storage.delete(&key).await?;
        if rec.expires_at_ms < super::now_ms() {
            return Ok(expired());
        }
        if rec.purpose == Purpose::Setup {
            let current = self.load_meta().await?.map(|m| m.setup_id);
            if current.as_deref() != Some(rec.setup_id.as_str()) {
                return Ok(expired());
            }
        }
        let now = now_secs();
        let result = match (error.filter(|e| !e.is_empty()), code) {
            (Some(error), _) => Err(match &rec.tenant {
                TenantRef::Microsoft365 { .. } => map_consent_error(error, error_description),
                TenantRef::GoogleWorkspace { .. } if error == "access_denied" => {
                    CatalogError::ConsentDeclined
                }
                TenantRef::GoogleWorkspace { .. } => CatalogError::GoogleRejected { status: 400 },
            }),
            (None, None) => Err(CatalogError::ConsentDeclined),
            (None, Some(code)) => match &rec.tenant {
                TenantRef::Microsoft365 { tenant_id } => {
                    verify::entra::finish(
                        &self.env,
                        tenant_id,
                        code,
                        rec.pkce_verifier.clone(),
                        &rec.oidc_nonce,
                        now,
                    )
                    .await
                }
                TenantRef::GoogleWorkspace { customer_id } => {
                    verify::google::finish(
                        &self.env,
                        customer_id,
                        code,
                        rec.pkce_verifier.clone(),
                        &rec.oidc_nonce,
                        now,
                    )
                    .await
                }
            },
        };
        match rec.purpose {
            Purpose::Setup => self.record_setup_verification(company, &rec, result).await,
            Purpose::Export => self.record_export_verification(company, &rec, result).await,
        }
    }

    async fn record_setup_verification(
        &self,
        company: &str,
        rec: &VerifyState,
        result: Result<String, CatalogError>,
    ) -> Res<VerifyOutcome> {
        let record = self.load_or_create(company).await?;
        let tenant = rec.tenant.clone();
        let now = now_secs();
        match result {
            Ok(who) => {
                let note = Some(format!("{} verified by {who}", label(&tenant)));
                let (_, effects) = match self
                    .transition(
                        &record,
                        &rec.admin,
                        AuditAction::TenantVerified,
                        Event::TenantVerified {
                            tenant: tenant.clone(),
                        },
                        now,
                        Outcome::Succeeded,
                        note,
                    )
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        let c = super::as_catalog(&e);
                        return Ok(VerifyOutcome {
                            error: Some((c.status(), c.body())),
                            tenant: Some(tenant),
                            finalizing: false,
                            export_open: false,
                        });
                    }
                };
                let finalizing = effects.iter().any(|e| matches!(e, Effect::ReadInventory));
                if finalizing {
                    self.kick(company).await?;
                }
                Ok(VerifyOutcome {
                    error: None,
                    tenant: Some(tenant),
                    finalizing,
                    export_open: false,
                })
            }
            Err(error) => {
                let code = Some(format!("{}: {}", label(&tenant), error.code()));
                // Refused when already verified: a failed retry never undoes it.
                let _ = self
                    .transition(
                        &record,
                        &rec.admin,
                        AuditAction::TenantVerification,
                        Event::TenantVerificationFailed {
                            tenant: tenant.clone(),
                            error: error.clone(),
                        },
                        now,
                        Outcome::Failed,
                        code,
                    )
                    .await;
                Ok(VerifyOutcome {
                    error: Some((error.status(), error.body())),
                    tenant: Some(tenant),
                    finalizing: false,
                    export_open: false,
                })
            }
        }
    }

    async fn record_export_verification(
        &self,
        company: &str,
        rec: &VerifyState,
        result: Result<String, CatalogError>,
    ) -> Res<VerifyOutcome> {
        let record = self.load_or_create(company).await?;
        let sw = self.load_switch(&record).await?;
        let Some(mut ev) = self.load_export_verify().await? else {
            return Ok(expired());
        };
        let tenant = rec.tenant.clone();
        let now = now_secs();
        let stage = sw.stage();
        let (outcome_error, status, note) = match &result {
            Ok(who) => (
                None,
                TenantStatus::Verified { at: now },
                format!("{} verified by {who}", label(&tenant)),
            ),
            Err(e) => (
                Some((e.status(), e.body())),
                TenantStatus::Failed { reason: e.body() },
                format!("{}: {}", label(&tenant), e.code()),
            ),
        };
        if let Some(entry) = ev.tenants.iter_mut().find(|t| t.tenant == tenant)
            && !entry.is_verified()
        {
            entry.status = status;
        }
        let outcome = if result.is_ok() {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        };
        self.audit(
            &rec.admin,
            AuditAction::ExportTenantVerification,
            outcome,
            stage,
            stage,
            Some(note),
        )
        .await?;
        let all = ev.tenants.iter().all(Tenant::is_verified);
        if all {
            let reopened = sw.with_export_reopened(now);
            self.state.storage().put(super::SWITCH, &reopened).await?;
            self.state.storage().delete(EXPORT_VERIFY).await?;
            self.audit(
                &rec.admin,
                AuditAction::ExportReopened,
                Outcome::Succeeded,
                stage,
                stage,
                None,
            )
            .await?;
        } else {
            self.state.storage().put(EXPORT_VERIFY, &ev).await?;
        }
        Ok(VerifyOutcome {
            error: outcome_error,
            tenant: Some(tenant),
            finalizing: false,
            export_open: all,
        })
    }

    /// Refresh: read the inventory again (new sets appear unverified,
    /// removed ones disappear).
    pub(super) async fn refresh(&self, company: &str, actor: &Actor) -> Res<()> {
        let record = self.load_or_create(company).await?;
        self.list_tenants(
            &record,
            company,
            actor,
            (
                Stage::VerifyingTenants,
                AuditAction::Refresh,
                Event::Refresh,
            ),
            "in the inventory",
        )
        .await
    }

    /// Starts re-verifying every tenant of the inventory before a further export.
    pub(super) async fn begin_export_verification(
        &self,
        company: &str,
        actor: &Actor,
    ) -> Res<ExportVerification> {
        let record = self.load_or_create(company).await?;
        let sw = self.load_switch(&record).await?;
        if sw.stage().is_pending() {
            return Err(CatalogError::Conflict {
                reason: "A Manage KMS setup is pending; finish or cancel it first".into(),
            }
            .into());
        }
        let mut refs: Vec<TenantRef> = self.read_inventory(company).await?;
        refs.sort();
        refs.dedup();
        let ev = ExportVerify {
            tenants: refs
                .into_iter()
                .map(|tenant| Tenant {
                    tenant,
                    status: TenantStatus::Unverified,
                })
                .collect(),
        };
        self.state.storage().put(EXPORT_VERIFY, &ev).await?;
        self.audit(
            actor,
            AuditAction::ExportVerificationStarted,
            Outcome::Succeeded,
            sw.stage(),
            sw.stage(),
            Some(format!("{} tenant(s) to verify", ev.tenants.len())),
        )
        .await?;
        self.export_verification_view(&record).await
    }

    pub(super) async fn export_verification_view(
        &self,
        record: &super::CompanyRecord,
    ) -> Res<ExportVerification> {
        let sw = self.load_switch(record).await?;
        Ok(ExportVerification {
            export_open: matches!(
                sw.export_window(),
                keyswitch_shared::switch::ExportWindow::Open { .. }
            ),
            tenants: self
                .load_export_verify()
                .await?
                .map(|e| e.tenants)
                .unwrap_or_default(),
        })
    }
}
