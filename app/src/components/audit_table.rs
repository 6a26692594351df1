//! The company's audit trail: who did what, when, and how it ended.

use keyswitch_shared::api::AuditEvent;
use leptos::prelude::*;

/// What an audit action means, for people (unknown actions show as sent).
#[must_use]
pub fn action_label(action: &str) -> String {
    match action {
        "start" | "switch_started" => "Switch to Azure Key Vault started",
        "edit_target" | "target_edited" => "Vault or key changed",
        "admin_consent" => "Admin consent",
        "admin_consent_callback" => "Admin consent answer from Microsoft",
        "admin_consent_reused" => "Admin consent reused (granted in the last 24 hours)",
        "consent_link_issued" => "Admin consent link issued",
        "connection_test_requested" => "Connection test requested",
        "test_connection" => "Test Connection",
        "consent_granted" => "Admin consent granted",
        "consent_failed" => "Admin consent failed",
        "role_assignment_completed" => "Role assignment marked completed",
        "connection_test" => "Connection test",
        "connection_test_passed" => "Connection test passed",
        "connection_test_failed" => "Connection test failed",
        "save" => "Saved",
        "refresh" => "Tenant list refreshed",
        "inventory_loaded" => "Backup sets read",
        "tenant_verified" => "Tenant verified",
        "tenant_verification_failed" => "Tenant verification failed",
        "commit_succeeded" => "Switch completed",
        "commit_failed" => "Switch failed",
        "retry_commit" => "Finalization retried",
        "cancel" => "Pending setup cancelled",
        "export" | "company_key_export" => "Company key exported",
        "export_verification_started" => "Re-verification for export started",
        "export_tenant_verification" | "export_verify" => "Tenant re-verified for export",
        "export_reopened" => "Export available again",
        "tenant_verification_started" => "Tenant verification started",
        "tenant_verification" => "Tenant verification",
        "finalize" => "Finalization",
        "finalize_inventory" => "Backup sets read before finalizing",
        "finalize_retry" => "Finalization retried",
        "switch_committed" => "Switch completed",
        "moved_to_aws_kms" => "Moved to AWS KMS",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

/// Unix milliseconds as an ISO-like UTC time.
#[must_use]
pub fn format_time(ms: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let iso = String::from(date.to_iso_string());
    // 2026-11-23T08:00:00.000Z → 2026-11-23 08:00:00 UTC
    iso.get(..19)
        .map(|s| format!("{} UTC", s.replace('T', " ")))
        .unwrap_or(iso)
}

/// The audit trail as a table, newest first.
#[component]
pub fn AuditTable(
    /// The events, newest first.
    events: Vec<AuditEvent>,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"Nothing has happened yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Audit events">
            <table class="audit">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {events
                        .into_iter()
                        .map(|e| {
                            let outcome_class = format!("badge badge-{}", match e.outcome.as_str() {
                                "succeeded" => "ok",
                                "failed" | "refused" => "error",
                                _ => "pending",
                            });
                            view! {
                                <tr>
                                    <td><time>{format_time(e.at_ms)}</time></td>
                                    <td>{e.actor_name}<br/><span class="muted">{e.actor_role.as_str().replace('_', " ")}</span></td>
                                    <td>{action_label(e.action.as_str())}</td>
                                    <td><span class=outcome_class>{e.outcome.as_str()}</span></td>
                                    <td class="wrap">{e.detail.unwrap_or_default()}</td>
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
