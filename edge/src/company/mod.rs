//! `CompanyKms`: the Durable Object that is the authority for one company's
//! KMS state: current provider, wrapped company key, the pending setup (the
//! shared switch state machine), single-use OAuth states and the audit trail.
//!
//! Storage layout (one object per company, named by the company id):
//! * `record`: [`CompanyRecord`] — provider and the wrapped company key;
//! * `switch`: the shared [`SwitchState`] (stage, target, consent, tenants);
//! * `setup`: [`SetupMeta`] — who started the setup, its id, the pending
//!   consent state (SHA-256 of its nonce only) and the tested key;
//! * `audit_seq`, `audit/{seq:020}`: the audit trail (see `audit.rs`);
//! * `vstate/{sha256(nonce)}`: pending tenant verifications (single use);
//! * `finalize`: progress of the automatic finalization (see `finalize.rs`);
//! * `export_verify`: tenants being verified again before a further export.

pub mod commands;
mod finalize;
mod keys;
pub mod verification;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use keyswitch_shared::api::AuditEvent;
use keyswitch_shared::api::{CompanyKeyInfo, PendingSetup, TenantName, TestedKey};
use keyswitch_shared::entra::consent_callback_result;
use keyswitch_shared::switch::{
    Effect, Event, Stage, SwitchState, Target, TenantRef, apply_with_consent_ttl,
};
use keyswitch_shared::{AuditAction, CatalogError, Outcome, Provider, TenantId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::audit::{self, Entry};
use crate::azure::entra::Entra;
use crate::config;
use crate::consent_cache;
use crate::crypto::SecretKey;
use crate::error::{EdgeError, respond};
use crate::inventory::Inventory;
use crate::session::{Actor, now_secs};
use commands::{CallbackOutcome, Command, View};

/// Storage key of the company record.
const RECORD: &str = "record";
/// Storage key of the switch state.
const SWITCH: &str = "switch";
/// Storage key of the setup's bookkeeping.
const SETUP: &str = "setup";
/// Storage key of the tenants' display names from the last inventory read.
const TENANT_NAMES: &str = "tenant_names";
/// The flow a consent state is bound to.
const CONSENT_FLOW: &str = "kms_admin_consent";

/// What the object stores about its company.
#[derive(Serialize, Deserialize)]
struct CompanyRecord {
    company_id: String,
    provider: Provider,
    /// The company key wrapped by `provider`, base64.
    wrapped_company_key: String,
    created_at_ms: u64,
    /// The vault's tenant when the provider is Azure Key Vault.
    #[serde(default)]
    azure_tenant: Option<TenantId>,
}

/// A pending single-use OAuth state (only the hash of its nonce is kept).
#[derive(Serialize, Deserialize)]
struct StateRecord {
    nonce_sha256: String,
    flow: String,
    setup_id: String,
    admin: Actor,
    expires_at_ms: u64,
}

/// Bookkeeping of the pending setup that the state machine does not hold.
#[derive(Serialize, Deserialize)]
struct SetupMeta {
    setup_id: String,
    started_by: String,
    started_at_ms: u64,
    consent_state: Option<StateRecord>,
    tested_key: Option<TestedKey>,
}

/// One per company, named by the company id.
#[durable_object]
pub struct CompanyKms {
    state: State,
    env: Env,
    /// Whether a finalization attempt runs right now (in this instance).
    running: std::cell::Cell<bool>,
    /// The unwrapped company key, briefly (see `keys.rs`).
    key_cache: std::cell::RefCell<Option<keys::CachedKey>>,
}

impl DurableObject for CompanyKms {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            running: std::cell::Cell::new(false),
            key_cache: std::cell::RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        respond(self.route(req).await)
    }

    /// Retries (or resumes after a crash) the finalization.
    async fn alarm(&self) -> Result<Response> {
        let record = self.state.storage().get::<CompanyRecord>(RECORD).await?;
        if let Some(record) = record
            && let Err(e) = self.kick(&record.company_id).await
        {
            worker::console_warn!("finalization alarm: {e}");
        }
        Response::ok("")
    }
}

/// The actor of automatic steps (finalization, alarms).
fn system_actor() -> Actor {
    Actor {
        sub: "keyswitch".into(),
        name: "keyswitch (automatic finalization)".into(),
        role: "system".into(),
        companies: Vec::new(),
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

fn random_token() -> std::result::Result<String, EdgeError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| EdgeError::Crypto)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Compares two equal-length strings without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The catalog error an admin sees for any failure (recorded as a
/// finalization's `last_error`, a failed test's reason): the same one the
/// HTTP layer answers for it, so an inventory outage is not "internal".
fn as_catalog(e: &EdgeError) -> CatalogError {
    match e {
        EdgeError::Catalog(c) => c.clone(),
        EdgeError::Inventory(_) => CatalogError::UnexpectedAnswer {
            service: "The backup inventory".into(),
        },
        _ => CatalogError::Internal,
    }
}

type Res<T> = std::result::Result<T, EdgeError>;

impl CompanyKms {
    async fn route(&self, mut req: Request) -> Res<Response> {
        let url = req.url()?;
        let company = url
            .path_segments()
            .and_then(|mut s| s.next().map(str::to_owned))
            .ok_or_else(|| EdgeError::field("company", "missing"))?;
        let command: Command = req.json().await?;
        let record = self.load_or_create(&company).await?;
        match command {
            Command::View => {
                let sw = self.load_switch(&record).await?;
                if self.finalize_due(&sw).await? {
                    self.kick(&company).await?;
                }
                let record = self.load_or_create(&company).await?;
                self.reply_view(&record, None).await
            }
            Command::BeginVerify { actor, tenant } => {
                let answer = self.begin_verify(&company, &actor, tenant).await?;
                Ok(Response::from_json(&answer)?)
            }
            Command::VerifyCallback {
                nonce,
                code,
                error,
                error_description,
            } => {
                let outcome = self
                    .verify_callback(
                        &company,
                        &nonce,
                        code,
                        error.as_deref(),
                        error_description.as_deref(),
                    )
                    .await?;
                Ok(Response::from_json(&outcome)?)
            }
            Command::Refresh { actor } => {
                self.refresh(&company, &actor).await?;
                let record = self.load_or_create(&company).await?;
                self.reply_view(&record, None).await
            }
            Command::Finalize { run } => {
                let sw = self.load_switch(&record).await?;
                if run && self.finalize_due(&sw).await? {
                    self.kick(&company).await?;
                }
                let record = self.load_or_create(&company).await?;
                Ok(Response::from_json(&self.progress(&record).await?)?)
            }
            Command::Export { actor } => {
                let file = self.export(&record, &actor).await?;
                Ok(Response::from_json(&file)?)
            }
            Command::BeginExportVerification { actor } => {
                let view = self.begin_export_verification(&company, &actor).await?;
                Ok(Response::from_json(&view)?)
            }
            Command::ExportVerificationView => Ok(Response::from_json(
                &self.export_verification_view(&record).await?,
            )?),
            Command::MoveToAwsKms { actor, key_id } => {
                self.move_to_aws(&record, &actor, &key_id).await?;
                let record = self.load_or_create(&company).await?;
                self.reply_view(&record, None).await
            }
            Command::GenerateDataKey => Ok(Response::from_json(
                &self.generate_data_key(&record).await?,
            )?),
            Command::DecryptDataKey { wrapped } => Ok(Response::from_json(
                &self.decrypt_data_key(&record, &wrapped).await?,
            )?),
            Command::Start {
                actor,
                vault_uri,
                key_name,
                vault_tenant,
                cached_consent_at,
            } => {
                let target = Target {
                    vault_uri,
                    key_name,
                };
                let state = self
                    .start(&company, &actor, target, vault_tenant, cached_consent_at)
                    .await?;
                self.reply_view(&record, state).await
            }
            Command::IssueConsent { actor } => {
                let sw = self.load_switch(&record).await?;
                if sw.stage() != Stage::AwaitingConsent {
                    return Err(CatalogError::InvalidTransition {
                        state: sw.stage().as_str().into(),
                        event: "grant_admin_consent".into(),
                    }
                    .into());
                }
                let state = self.issue_state(&company, &actor).await?;
                self.audit(
                    &actor,
                    AuditAction::ConsentLinkIssued,
                    Outcome::Succeeded,
                    sw.stage(),
                    sw.stage(),
                    None,
                )
                .await?;
                self.reply_view(&record, Some(state)).await
            }
            Command::ConsentCallback {
                nonce,
                error,
                error_description,
                admin_consent,
                tenant_hint,
            } => {
                let outcome = self
                    .consent_callback(
                        &record,
                        &nonce,
                        error.as_deref(),
                        error_description.as_deref(),
                        admin_consent.as_deref(),
                        tenant_hint.as_deref(),
                    )
                    .await?;
                Ok(Response::from_json(&outcome)?)
            }
            Command::Test { actor } => {
                self.test(&record, &actor).await?;
                self.reply_view(&record, None).await
            }
            Command::Save { actor } => {
                self.save(&record, &company, &actor).await?;
                let record = self.load_or_create(&company).await?;
                self.reply_view(&record, None).await
            }
            Command::Cancel { actor } => {
                self.transition(
                    &record,
                    &actor,
                    AuditAction::Cancel,
                    Event::Cancel,
                    now_secs(),
                    Outcome::Succeeded,
                    None,
                )
                .await?;
                self.state.storage().delete(SETUP).await?;
                self.state.storage().delete(finalize::FINALIZE).await?;
                self.reply_view(&record, None).await
            }
            Command::Audit { query } => {
                let page = audit::page::<AuditEvent>(&self.state.storage(), query).await?;
                Ok(Response::from_json(&page)?)
            }
        }
    }

    /// Loads the record; a new company starts on the platform provider with a
    /// freshly generated company key sealed by the platform key.
    async fn load_or_create(&self, company: &str) -> Res<CompanyRecord> {
        let storage = self.state.storage();
        if let Some(record) = storage.get::<CompanyRecord>(RECORD).await? {
            return Ok(record);
        }
        let company_key = SecretKey::generate()?;
        let sealed = crate::providers::platform::seal(&self.env, company, &company_key)?;
        let record = CompanyRecord {
            company_id: company.to_owned(),
            provider: Provider::Platform,
            wrapped_company_key: STANDARD.encode(sealed),
            created_at_ms: now_ms(),
            azure_tenant: None,
        };
        storage.put(RECORD, &record).await?;
        Ok(record)
    }

    async fn load_switch(&self, record: &CompanyRecord) -> Res<SwitchState> {
        Ok(self
            .state
            .storage()
            .get::<SwitchState>(SWITCH)
            .await?
            .unwrap_or_else(|| SwitchState::new(record.provider.clone())))
    }

    /// Reads the host's inventory: the tenants of the company's backup sets.
    /// Their display names are kept for the tenant list.
    async fn read_inventory(&self, company: &str) -> Res<Vec<TenantRef>> {
        let sets = Inventory::from_env(&self.env)?.backup_sets(company).await?;
        let mut tenants = Vec::with_capacity(sets.len());
        let mut names = Vec::new();
        for set in &sets {
            let Some(tenant) = set.tenant() else { continue };
            if let Some(name) = set.display_name() {
                names.push(TenantName {
                    tenant: tenant.clone(),
                    name: name.to_owned(),
                });
            }
            tenants.push(tenant);
        }
        self.state.storage().put(TENANT_NAMES, &names).await?;
        Ok(tenants)
    }

    async fn load_meta(&self) -> Res<Option<SetupMeta>> {
        Ok(self.state.storage().get::<SetupMeta>(SETUP).await?)
    }

    async fn save_meta(&self, meta: &SetupMeta) -> Res<()> {
        Ok(self.state.storage().put(SETUP, meta).await?)
    }

    async fn audit(
        &self,
        actor: &Actor,
        action: AuditAction,
        outcome: Outcome,
        from: Stage,
        to: Stage,
        detail: Option<String>,
    ) -> Res<()> {
        let entry = Entry {
            actor,
            action,
            outcome,
            from,
            to,
            detail,
        };
        audit::record(&self.state.storage(), entry.event()).await
    }

    /// Applies `event` to the stored state, stores the result and audits it.
    /// A refused event changes nothing but the audit trail.
    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        record: &CompanyRecord,
        actor: &Actor,
        action: AuditAction,
        event: Event,
        now: i64,
        outcome: Outcome,
        detail: Option<String>,
    ) -> Res<(SwitchState, Vec<Effect>)> {
        let current = self.load_switch(record).await?;
        let from = current.stage();
        let ttl = config::consent_max_age_secs(&self.env);
        match apply_with_consent_ttl(&current, event, now, ttl) {
            Ok((next, effects)) => {
                self.state.storage().put(SWITCH, &next).await?;
                self.audit(actor, action, outcome, from, next.stage(), detail)
                    .await?;
                Ok((next, effects))
            }
            Err(e) => {
                self.audit(
                    actor,
                    action,
                    Outcome::Refused,
                    from,
                    from,
                    Some(e.code().to_owned()),
                )
                .await?;
                Err(e.into())
            }
        }
    }

    async fn issue_state(&self, company: &str, actor: &Actor) -> Res<String> {
        let Some(mut meta) = self.load_meta().await? else {
            return Err(CatalogError::Internal.into());
        };
        let nonce = random_token()?;
        meta.consent_state = Some(StateRecord {
            nonce_sha256: sha256_hex(nonce.as_bytes()),
            flow: CONSENT_FLOW.to_owned(),
            setup_id: meta.setup_id.clone(),
            admin: actor.clone(),
            expires_at_ms: now_ms() + config::state_ttl_ms(&self.env),
        });
        self.save_meta(&meta).await?;
        Ok(format!("{company}.{nonce}"))
    }

    async fn start(
        &self,
        company: &str,
        actor: &Actor,
        target: Target,
        vault_tenant: TenantId,
        cached_consent_at: Option<i64>,
    ) -> Res<Option<String>> {
        let record = self.load_or_create(company).await?;
        let now = now_secs();
        let pending = self.load_switch(&record).await?.stage().is_pending();
        let detail = Some(format!("{}/keys/{}", target.vault_uri, target.key_name));
        if pending {
            self.transition(
                &record,
                actor,
                AuditAction::TargetEdited,
                Event::EditTarget { target },
                now,
                Outcome::Succeeded,
                detail,
            )
            .await?;
            if let Some(mut meta) = self.load_meta().await? {
                meta.consent_state = None;
                meta.tested_key = None;
                self.save_meta(&meta).await?;
            }
        } else {
            self.transition(
                &record,
                actor,
                AuditAction::SwitchStarted,
                Event::Start { target },
                now,
                Outcome::Succeeded,
                detail,
            )
            .await?;
            self.save_meta(&SetupMeta {
                setup_id: random_token()?,
                started_by: actor.name.clone(),
                started_at_ms: now_ms(),
                consent_state: None,
                tested_key: None,
            })
            .await?;
        }
        let tenant_note = Some(format!("vault tenant {}", vault_tenant.as_str()));
        let (_, effects) = self
            .transition(
                &record,
                actor,
                AuditAction::TestConnection,
                Event::TestConnection {
                    vault_tenant: Some(vault_tenant.clone()),
                },
                now,
                Outcome::Succeeded,
                tenant_note,
            )
            .await?;
        if effects
            .iter()
            .any(|e| matches!(e, Effect::RunConnectionTest { .. }))
        {
            self.run_test(&record, actor).await?;
            return Ok(None);
        }
        if let Some(at) = cached_consent_at {
            // A consent proven less than 24 h ago for this tenant still counts.
            self.transition(
                &record,
                actor,
                AuditAction::AdminConsentReused,
                Event::ConsentGranted {
                    tenant: vault_tenant,
                },
                at,
                Outcome::Succeeded,
                None,
            )
            .await?;
            return Ok(None);
        }
        Ok(Some(self.issue_state(company, actor).await?))
    }

    async fn consent_callback(
        &self,
        record: &CompanyRecord,
        nonce: &str,
        error: Option<&str>,
        error_description: Option<&str>,
        admin_consent: Option<&str>,
        tenant_hint: Option<&str>,
    ) -> Res<CallbackOutcome> {
        let sw = self.load_switch(record).await?;
        let vault_name = sw
            .setup()
            .map(|s| s.target().vault_uri.vault_name().to_owned());
        let stranger = Actor {
            sub: "unknown".into(),
            name: "Unknown (consent callback)".into(),
            role: "none".into(),
            companies: Vec::new(),
        };
        let stage = sw.stage();
        let refuse = |actor: Actor| async move {
            self.audit(
                &actor,
                AuditAction::AdminConsentCallback,
                Outcome::Refused,
                stage,
                stage,
                Some("oauth_state_expired".into()),
            )
            .await?;
            Ok::<_, EdgeError>(CallbackOutcome {
                error: Some((
                    CatalogError::OAuthStateExpired.status(),
                    CatalogError::OAuthStateExpired.body(),
                )),
                vault_name: None,
            })
        };
        let Some(mut meta) = self.load_meta().await? else {
            return refuse(stranger).await;
        };
        let hash = sha256_hex(nonce.as_bytes());
        let Some(rec) = meta.consent_state.take().filter(|r| {
            same(&r.nonce_sha256, &hash) && r.flow == CONSENT_FLOW && r.setup_id == meta.setup_id
        }) else {
            return refuse(stranger).await;
        };
        // Consumed before anything else happens: a state works once.
        self.save_meta(&meta).await?;
        let actor = rec.admin;
        if rec.expires_at_ms < now_ms() {
            return refuse(actor).await;
        }
        let result = self
            .prove_consent(&sw, error, error_description, admin_consent, tenant_hint)
            .await;
        let now = now_secs();
        match result {
            Ok(tenant) => {
                let note = Some(format!("tenant {}", tenant.as_str()));
                self.transition(
                    record,
                    &actor,
                    AuditAction::AdminConsent,
                    Event::ConsentGranted { tenant },
                    now,
                    Outcome::Succeeded,
                    note,
                )
                .await?;
                Ok(CallbackOutcome {
                    error: None,
                    vault_name,
                })
            }
            Err(e) => {
                let code = Some(e.code().to_owned());
                self.transition(
                    record,
                    &actor,
                    AuditAction::AdminConsent,
                    Event::ConsentFailed { error: e.clone() },
                    now,
                    Outcome::Failed,
                    code,
                )
                .await?;
                Ok(CallbackOutcome {
                    error: Some((e.status(), e.body())),
                    vault_name,
                })
            }
        }
    }

    /// Checks the callback's error parameters first, then proves consent in
    /// the vault's tenant with a client-credentials token (never trusting the
    /// `tenant` parameter), and caches it for 24 hours.
    async fn prove_consent(
        &self,
        sw: &SwitchState,
        error: Option<&str>,
        error_description: Option<&str>,
        admin_consent: Option<&str>,
        tenant_hint: Option<&str>,
    ) -> std::result::Result<TenantId, CatalogError> {
        consent_callback_result(error, error_description, admin_consent)?;
        let setup = sw.setup().ok_or(CatalogError::OAuthStateExpired)?;
        let tenant = setup
            .vault_tenant()
            .cloned()
            .ok_or(CatalogError::AdminConsentRequired)?;
        if let Some(hint) = tenant_hint.filter(|h| !h.eq_ignore_ascii_case(tenant.as_str())) {
            let found: String = hint
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .take(64)
                .collect();
            return Err(CatalogError::TenantMismatch {
                expected: tenant.as_str().to_owned(),
                found,
            });
        }
        let entra = Entra::from_env(&self.env).map_err(|e| as_catalog(&e))?;
        let scope = setup.target().vault_uri.token_scope();
        entra
            .request_token(&self.env, &tenant, scope)
            .await
            .map_err(|e| as_catalog(&e))?;
        consent_cache::put(&self.env, entra.client_id(), &tenant, now_secs())
            .await
            .map_err(|e| as_catalog(&e))?;
        Ok(tenant)
    }

    async fn test(&self, record: &CompanyRecord, actor: &Actor) -> Res<()> {
        let sw = self.load_switch(record).await?;
        let event = match sw.stage() {
            Stage::AwaitingRoleAssignment => Event::RoleAssignmentCompleted,
            _ => Event::TestConnection { vault_tenant: None },
        };
        let (next, effects) = self
            .transition(
                record,
                actor,
                AuditAction::ConnectionTestRequested,
                event,
                now_secs(),
                Outcome::Succeeded,
                None,
            )
            .await?;
        if effects
            .iter()
            .any(|e| matches!(e, Effect::RunConnectionTest { .. }))
        {
            return self.run_test(record, actor).await;
        }
        // No fresh consent: the machine asks for it again.
        let _ = next;
        Err(CatalogError::AdminConsentRequired.into())
    }

    /// Runs the connection test for the setup in `TestingConnection` and
    /// records the outcome.
    async fn run_test(&self, record: &CompanyRecord, actor: &Actor) -> Res<()> {
        let sw = self.load_switch(record).await?;
        let Some(setup) = sw.setup() else {
            return Err(CatalogError::Internal.into());
        };
        let target = setup.target().clone();
        let tenant = setup.vault_tenant().cloned();
        let now = now_secs();
        let result = match tenant {
            None => Err(CatalogError::AdminConsentRequired.into()),
            Some(tenant) => {
                let client_id = config::var(&self.env, config::CONNECTOR_CLIENT_ID)?;
                match consent_cache::fresh(&self.env, &client_id, &tenant, now).await? {
                    None => Err(CatalogError::AdminConsentRequired.into()),
                    Some(_) => crate::connection::run(&self.env, &target, &tenant).await,
                }
            }
        };
        match result {
            Ok(tested) => {
                let note = Some(format!("{} (RSA {})", tested.kid, tested.size_bits));
                self.transition(
                    record,
                    actor,
                    AuditAction::ConnectionTest,
                    Event::ConnectionTestPassed {
                        kid: tested.kid.clone(),
                    },
                    now_secs(),
                    Outcome::Succeeded,
                    note,
                )
                .await?;
                if let Some(mut meta) = self.load_meta().await? {
                    meta.tested_key = Some(tested);
                    self.save_meta(&meta).await?;
                }
                Ok(())
            }
            Err(e) => {
                let error = as_catalog(&e);
                let code = Some(error.code().to_owned());
                self.transition(
                    record,
                    actor,
                    AuditAction::ConnectionTest,
                    Event::ConnectionTestFailed { error },
                    now_secs(),
                    Outcome::Failed,
                    code,
                )
                .await?;
                if let Some(mut meta) = self.load_meta().await? {
                    meta.tested_key = None;
                    self.save_meta(&meta).await?;
                }
                Err(e)
            }
        }
    }

    async fn save(&self, record: &CompanyRecord, company: &str, actor: &Actor) -> Res<()> {
        self.list_tenants(
            record,
            company,
            actor,
            (Stage::Tested, AuditAction::Save, Event::Save),
            "to verify",
        )
        .await
    }

    /// Save and Refresh: in `stage`, read the inventory first (so a failure
    /// leaves the state unchanged), apply `event`, then load the tenants;
    /// finalization starts if that leaves nothing to verify. In any other
    /// stage the machine refuses `event` (and the refusal is audited).
    async fn list_tenants(
        &self,
        record: &CompanyRecord,
        company: &str,
        actor: &Actor,
        (stage, action, event): (Stage, AuditAction, Event),
        note: &str,
    ) -> Res<()> {
        let sw = self.load_switch(record).await?;
        if sw.stage() != stage {
            self.transition(
                record,
                actor,
                action,
                event,
                now_secs(),
                Outcome::Succeeded,
                None,
            )
            .await?;
            return Ok(());
        }
        let tenants = self.read_inventory(company).await?;
        self.transition(
            record,
            actor,
            action,
            event,
            now_secs(),
            Outcome::Succeeded,
            None,
        )
        .await?;
        let note = Some(format!("{} tenant(s) {note}", tenants.len()));
        let (_, effects) = self
            .transition(
                record,
                actor,
                AuditAction::InventoryLoaded,
                Event::InventoryLoaded { tenants },
                now_secs(),
                Outcome::Succeeded,
                note,
            )
            .await?;
        if effects.iter().any(|e| matches!(e, Effect::ReadInventory)) {
            self.kick(company).await?;
        }
        Ok(())
    }

    async fn reply_view(
        &self,
        record: &CompanyRecord,
        consent_state: Option<String>,
    ) -> Res<Response> {
        let sw = self.load_switch(record).await?;
        let meta = self.load_meta().await?;
        let names: Vec<TenantName> = self
            .state
            .storage()
            .get(TENANT_NAMES)
            .await?
            .unwrap_or_default();
        let pending = sw.setup().map(|s| PendingSetup {
            setup_id: meta
                .as_ref()
                .map(|m| m.setup_id.clone())
                .unwrap_or_default(),
            stage: s.stage(),
            vault_uri: s.target().vault_uri.clone(),
            key_name: s.target().key_name.clone(),
            vault_name: s.target().vault_uri.vault_name().to_owned(),
            vault_tenant: s.vault_tenant().cloned(),
            consent: s.consent().cloned(),
            tested_key: meta.as_ref().and_then(|m| m.tested_key.clone()),
            tenants: s.tenants().to_vec(),
            tenant_names: names
                .iter()
                .filter(|n| s.tenants().iter().any(|t| t.tenant == n.tenant))
                .cloned()
                .collect(),
            last_error: s.last_error().cloned(),
            started_by: meta
                .as_ref()
                .map(|m| m.started_by.clone())
                .unwrap_or_default(),
            started_at_ms: meta.as_ref().map_or(0, |m| m.started_at_ms),
        });
        let fingerprint = sha256_hex(record.wrapped_company_key.as_bytes());
        Ok(Response::from_json(&View {
            provider: sw.provider().clone(),
            stage: sw.stage(),
            pending,
            company_key: CompanyKeyInfo {
                wrapped_fingerprint: fingerprint.chars().take(32).collect(),
                created_at_ms: record.created_at_ms,
            },
            consent_state,
        })?)
    }
}
