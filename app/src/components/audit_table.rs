//! The audit trails as tables (the company's Manage KMS trail and a
//! workspace's vault trail): who did what, when, and how it ended.

use keyswitch_shared::api::AuditEvent;
use keyswitch_shared::audit::ActorKind;
use keyswitch_shared::vaults::VaultAuditEvent;
use keyswitch_shared::{AuditAction, Outcome, Role};
use leptos::prelude::*;

/// What an audit action means, for people.
#[must_use]
pub fn action_label(action: AuditAction) -> &'static str {
    match action {
        AuditAction::SwitchStarted => "Switch to Azure Key Vault started",
        AuditAction::TargetEdited => "Vault or key changed",
        AuditAction::ConsentLinkIssued => "Admin consent link issued",
        AuditAction::AdminConsent => "Admin consent",
        AuditAction::AdminConsentReused => "Admin consent reused (granted in the last 24 hours)",
        AuditAction::AdminConsentCallback => "Admin consent answer from Microsoft",
        AuditAction::TestConnection => "Test Connection",
        AuditAction::ConnectionTestRequested => "Connection test requested",
        AuditAction::ConnectionTest => "Connection test",
        AuditAction::Save => "Saved",
        AuditAction::Refresh => "Tenant list refreshed",
        AuditAction::InventoryLoaded => "Backup sets read",
        AuditAction::NoTenantsConfirmed => "Confirmed: no backup sets, nothing to verify",
        AuditAction::TenantVerificationStarted => "Tenant verification started",
        AuditAction::TenantVerified => "Tenant verified",
        AuditAction::TenantVerification => "Tenant verification",
        AuditAction::FinalizeStarted => "Finalization started",
        AuditAction::Finalize => "Finalization",
        AuditAction::FinalizeRetry => "Finalization retried",
        AuditAction::FinalizeInventory => "Backup sets read before finalizing",
        AuditAction::SwitchCommitted => "Switch completed",
        AuditAction::LeaseExpired => "Interrupted step taken up again",
        AuditAction::Cancel => "Pending setup cancelled",
        AuditAction::CompanyKeyExport => "Company key exported",
        AuditAction::ExportVerificationStarted => "Re-verification for export started",
        AuditAction::ExportTenantVerification => "Tenant re-verified for export",
        AuditAction::ExportReopened => "Export available again",
        AuditAction::ExportNoTenantsConfirmed => {
            "Confirmed for export: no backup sets, nothing to verify"
        }
        AuditAction::MovedToAwsKms => "Moved to AWS KMS",
        AuditAction::KeyBound => "Key binding recorded",
        AuditAction::KeyReleased => "Key binding released",
        AuditAction::HealthChanged => "Key health changed",
        AuditAction::HealthCheckRequested => "Key health check requested",
        AuditAction::KeyExpiryWarning => "Key expires soon",
        AuditAction::RotationDetected => "New key version seen: re-wrap owed",
        AuditAction::RewrapRequested => "Re-wrap now requested",
        AuditAction::Rewrap => "Re-wrap",
        AuditAction::KeyRewrapped => "Company key re-wrapped with the new key version",
        AuditAction::ConfigurationChecked => "Configuration checked",
        AuditAction::WebhookDelivery => "Webhook to the host",
        AuditAction::AlarmRestored => "Scheduled checks resumed (alarm restored by the sweep)",
        AuditAction::VaultCreated => "Vault created",
        AuditAction::VaultCreate => "Vault creation failed",
        AuditAction::ConnectionTested => "Vault connection tested",
        AuditAction::ClientSecretReplaced => "Client secret replaced",
        AuditAction::DefaultVaultSet => "Default vault set",
        AuditAction::ItemCreated => "Item stored",
        AuditAction::ItemRead => "Item read",
        AuditAction::VaultHealthChanged => "Vault key health changed",
    }
}

/// A role, for people.
#[must_use]
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::PartnerAdmin => "partner admin",
        Role::CompanyAdmin => "company admin",
        Role::CompanyUser => "company user",
        Role::WorkspaceOwner => "workspace owner",
        Role::WorkspaceSuperAdmin => "workspace super admin",
        Role::WorkspaceAdmin => "workspace admin",
        Role::WorkspaceMember => "workspace member",
        Role::System => "system",
        Role::External => "external",
        Role::Other => "other",
    }
}

/// How an outcome reads, and the badge it wears.
#[must_use]
pub fn outcome_label(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Succeeded => ("succeeded", "badge badge-ok"),
        Outcome::Failed => ("failed", "badge badge-error"),
        Outcome::Refused => ("refused", "badge badge-error"),
    }
}

/// Unix milliseconds as an ISO-like UTC time.
#[must_use]
pub fn format_time(ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let iso = String::from(date.to_iso_string());
    // 2026-11-23T08:00:00.000Z → 2026-11-23 08:00:00 UTC
    iso.get(..19)
        .map(|s| format!("{} UTC", s.replace('T', " ")))
        .unwrap_or(iso)
}

/// Who did it, for people: the name (or account) and what they are.
#[must_use]
pub fn who(event: &AuditEvent) -> (String, String) {
    let account = event.outside_admin.as_ref().map(|a| a.account.as_str());
    describe(
        event.actor_kind(),
        &event.actor_name,
        event.actor_role,
        account,
    )
}

/// Who did a vault-trail step, for people.
#[must_use]
pub fn vault_who(event: &VaultAuditEvent) -> (String, String) {
    let kind = ActorKind::of(event.actor_role, None);
    describe(kind, &event.actor_name, event.actor_role, None)
}

fn describe(kind: ActorKind, name: &str, role: Role, account: Option<&str>) -> (String, String) {
    let role = role_label(role);
    let account = account.unwrap_or_default().to_owned();
    match kind {
        ActorKind::MicrosoftAdmin => (account, format!("Admin at Microsoft, for {name} ({role})")),
        ActorKind::GoogleAdmin => (account, format!("Admin at Google, for {name} ({role})")),
        ActorKind::RedappUser => (name.to_owned(), format!("RedApp user · {role}")),
        ActorKind::System => (name.to_owned(), "System".to_owned()),
        ActorKind::UnknownCaller => (name.to_owned(), "Unknown caller".to_owned()),
    }
}

/// One row's cells, as both tables draw them: when, who, what, (the vault,)
/// outcome, details, request id.
struct Row {
    seq: u64,
    at_ms: u64,
    kind: ActorKind,
    who: (String, String),
    action: AuditAction,
    vault: Option<String>,
    outcome: Outcome,
    detail: Option<String>,
    request_id: Option<String>,
}

/// A trail as a table, newest first: `vault_column` adds the Vault column.
fn trail_table(label: &'static str, vault_column: bool, rows: Vec<Row>) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted">"Nothing has happened yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label=label>
            <table class="audit">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        {vault_column.then(|| view! { <th scope="col">"Vault"</th> })}
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Details"</th>
                        <th scope="col">"Request ID"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let (outcome, outcome_class) = outcome_label(r.outcome);
                            let (name, what) = r.who;
                            view! {
                                <tr data-seq=r.seq.to_string()>
                                    <td><time>{format_time(r.at_ms)}</time></td>
                                    <td data-kind=r.kind.as_str()>{name}<br/><span class="muted">{what}</span></td>
                                    <td>{action_label(r.action)}</td>
                                    {r.vault.map(|v| view! { <td>{v}</td> })}
                                    <td><span class=outcome_class>{outcome}</span></td>
                                    <td class="wrap">{r.detail.unwrap_or_default()}</td>
                                    <td><code>{r.request_id.unwrap_or_default()}</code></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The audit trail as a table, newest first.
#[component]
pub fn AuditTable(
    /// The events, newest first.
    events: Vec<AuditEvent>,
) -> impl IntoView {
    let rows = events
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            at_ms: e.at_ms,
            kind: e.actor_kind(),
            who: who(&e),
            action: e.action,
            vault: None,
            outcome: e.outcome,
            detail: e.detail,
            request_id: e.request_id,
        })
        .collect();
    trail_table("Audit events", false, rows)
}

/// A workspace's vault trail as a table, newest first; the vault is named
/// as `names` (vault id → name) knows it, else by its id.
#[component]
pub fn VaultAuditTable(
    /// The events, newest first.
    events: Vec<VaultAuditEvent>,
    /// Vault id → name, as the vault table lists them.
    #[prop(optional)]
    names: Vec<(String, String)>,
) -> impl IntoView {
    let vault_name = |id: Option<&str>| {
        id.map(|id| {
            names
                .iter()
                .find(|(v, _)| v == id)
                .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
        })
        .unwrap_or_default()
    };
    let rows = events
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            at_ms: e.at_ms,
            kind: ActorKind::of(e.actor_role, None),
            who: vault_who(&e),
            action: e.action,
            vault: Some(vault_name(e.vault_id.as_deref())),
            outcome: e.outcome,
            detail: e.detail,
            request_id: e.request_id,
        })
        .collect();
    trail_table("Vault audit events", true, rows)
}
