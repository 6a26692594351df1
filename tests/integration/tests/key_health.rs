//! Key health (issue 14, items 1, 2, 5, 9): every health transition of a
//! company on Azure Key Vault and back — role removed, consent removed, key
//! disabled, deleted (soft delete, recovered), expired, not yet valid, tag
//! removed, firewall, throttled, 503 — seen by *Check now* and audited;
//! recovery seen by the alarm's own checks; the expiry warning; Check now's
//! rate limit and its refusals. The test stack checks every 30 s
//! (`HEALTH_CHECK_INTERVAL_SECONDS`) and allows one Check now per 3 s.

use std::time::{Duration, Instant};

use keyswitch_integration::command_helpers::{
    Azure, block, call as argv, check_all, fix_line, hcl, hcl_block, key_vault_role_calls, run_cli,
    run_line, tab, tag_call,
};
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// A company switched to a fresh world's key, with an admin's session.
async fn on_azure(prefix: &str) -> (World, String, String) {
    let w = world(true, 2048).await;
    let company = m365_company(prefix, &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    (w, company, t)
}

fn check_path(company: &str) -> String {
    format!("{}/health/check", kms(company))
}

/// *Check now*, waiting out the rate limit (Retry-After) when it answers 429.
async fn check_now(company: &str, t: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, v) = call("POST", &check_path(company), Some(t), None).await;
        if s == 200 {
            return v["kms"]["health"].clone();
        }
        assert_eq!(s, 429, "{v}");
        assert_eq!(v["code"], "rate_limited", "{v}");
        assert!(Instant::now() < deadline, "Check now kept answering 429");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Check now until the state (and cause) is as expected; returns the health.
async fn check_until(company: &str, t: &str, state: &str, cause: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let h = check_now(company, t).await;
        let cause_ok = match cause {
            Some(c) => h["cause"] == c,
            None => h["cause"].is_null(),
        };
        if h["state"] == state && cause_ok {
            return h;
        }
        assert!(Instant::now() < deadline, "never {state} ({cause:?}): {h}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The health in the status view, polled (no Check now) until `state`.
async fn wait_health(company: &str, t: &str, state: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let h = status_of(company, t).await["health"].clone();
        if h["state"] == state {
            return h;
        }
        assert!(Instant::now() < deadline, "health never {state}: {h}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The `health_changed` audit details, oldest first.
async fn transitions(company: &str, t: &str) -> Vec<String> {
    let (s, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    assert_eq!(s, 200, "{trail}");
    let mut out: Vec<String> = trail["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["action"] == "health_changed")
        .filter_map(|e| e["detail"].as_str().map(str::to_owned))
        .collect();
    out.reverse();
    out
}

fn key_path(w: &World) -> String {
    format!("{}.vault.azure.net/keys/{}", w.vault, w.key)
}

async fn patch_key(w: &World, body: Value) {
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(body),
    )
    .await;
}

fn now_secs() -> i64 {
    i64::try_from(keyswitch_integration::consent_helpers::now_ms() / 1000).unwrap_or(i64::MAX)
}

/// Asserts the health names `cause` with its catalog error and fix.
fn assert_lost(h: &Value, cause: &str, code: &str) {
    assert_eq!(h["state"], "access_lost", "{h}");
    assert_eq!(h["cause"], cause, "{h}");
    assert_eq!(h["error"]["code"], code, "{h}");
    assert!(
        h["error"]["fix"].as_str().is_some_and(|f| !f.is_empty()),
        "{h}"
    );
}

#[tokio::test]
async fn a_switched_company_is_healthy_and_its_health_is_shown() {
    let (w, company, t) = on_azure("it-h-ok").await;
    let h = status_of(&company, &t).await["health"].clone();
    assert_eq!(h["state"], "healthy", "{h}");
    assert!(h["cause"].is_null() && h["error"].is_null(), "{h}");
    assert_eq!(h["check_interval_secs"], 30, "{h}");
    assert!(
        h["next_check_at_ms"].as_u64() > h["last_check_at_ms"].as_u64(),
        "{h}"
    );
    // Check now runs one GET of the key and shows the current version.
    let h = check_now(&company, &t).await;
    assert_eq!(h["state"], "healthy", "{h}");
    let kid = h["current_kid"].as_str().unwrap_or_default();
    assert!(kid.contains(&format!("/keys/{}/", w.key)), "{h}");
    assert!(h["expiry_warning"].is_null(), "{h}");
    // Within the rate limit, a second Check now is refused with 429.
    let r = call("POST", &check_path(&company), Some(&t), None).await;
    assert_error(&r, 429, "rate_limited");
    // The platform key has no health; Check now is refused for it.
    let other = fresh_company("it-h-plat");
    let to = session("company_admin", &[&other]).await;
    ensure_company(&other).await;
    assert!(status_of(&other, &to).await["health"].is_null());
    let r = call("POST", &check_path(&other), Some(&to), None).await;
    assert_error(&r, 409, "conflict");
    // Another company's admin cannot check (or see) this company.
    let r = call("POST", &check_path(&company), Some(&to), None).await;
    assert_error(&r, 403, "forbidden_role");
    let audit = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None)
        .await
        .1;
    let requested = audit["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["action"] == "health_check_requested")
                .count()
        })
        .unwrap_or(0);
    assert!(requested >= 1, "{audit}");
}

#[tokio::test]
async fn role_removed_and_given_back() {
    let (w, company, t) = on_azure("it-h-role").await;
    control(
        "DELETE",
        &format!(
            "/vaults/{}/role-assignments?principal=connector:{}",
            w.vault, w.tenant
        ),
        None,
    )
    .await;
    let h = check_until(&company, &t, "access_lost", Some("role_removed")).await;
    assert_lost(&h, "role_removed", "role_removed");
    assert!(
        h["error"]["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("Key Vault Crypto User"),
        "{h}"
    );
    // Issue 17 item 3: the fix is runnable. The commands (every tool) name
    // this vault and the connector's app id from the worker's vars; the
    // Azure CLI block and the fix's one line run the same assignment.
    let commands = &h["error"]["commands"];
    assert!(check_all(commands) >= 6, "{h}");
    let azure = Azure::finding(&w.vault, "Microsoft.KeyVault/vaults");
    let assignment = key_vault_role_calls(&azure, CONNECTOR_CLIENT_ID);
    assert_eq!(run_cli(commands, &azure), assignment);
    let fix = h["error"]["fix"].as_str().unwrap_or_default();
    let line = fix_line(fix, " again: ", ". keyswitch sees");
    assert_eq!(run_line(line, &azure), assignment, "{fix}");
    let tf = hcl(block(tab(commands, "terraform"), "hcl"));
    assert_eq!(
        hcl_block(&tf, "data", "azuread_service_principal", "keyswitch")["client_id"],
        CONNECTOR_CLIENT_ID
    );
    assert_eq!(
        hcl_block(&tf, "data", "azurerm_resources", "keyswitch_vault")["name"],
        w.vault.as_str()
    );
    w.assign_role().await;
    check_until(&company, &t, "healthy", None).await;
    let tr = transitions(&company, &t).await;
    assert!(
        tr.iter()
            .any(|d| d == "healthy → access_lost (role_removed)"),
        "{tr:?}"
    );
    assert!(
        tr.iter()
            .any(|d| d == "access_lost (role_removed) → healthy"),
        "{tr:?}"
    );
}

#[tokio::test]
async fn consent_removed_and_given_back() {
    let (w, company, t) = on_azure("it-h-consent").await;
    control("DELETE", &format!("/consents/{}", w.tenant), None).await;
    let h = check_until(&company, &t, "access_lost", Some("consent_removed")).await;
    assert_lost(&h, "consent_removed", "consent_removed");
    assert!(
        h["error"]["fix"]
            .as_str()
            .unwrap_or_default()
            .contains(&w.tenant),
        "{h}"
    );
    // Consent again: the application's new service principal needs its role
    // again (deleting the enterprise application removed its assignments).
    control("POST", "/consents", Some(json!({"tenant": w.tenant}))).await;
    w.assign_role().await;
    check_until(&company, &t, "healthy", None).await;
}

#[tokio::test]
async fn key_disabled_and_enabled_again_is_seen_by_the_alarm() {
    let (w, company, t) = on_azure("it-h-disabled").await;
    patch_key(&w, json!({"enabled": false})).await;
    let h = check_until(&company, &t, "access_lost", Some("key_disabled")).await;
    assert_lost(&h, "key_disabled", "key_disabled");
    // Recovery is seen by the company's own checks: nobody clicks.
    patch_key(&w, json!({"enabled": true})).await;
    let h = wait_health(&company, &t, "healthy", 75).await;
    assert!(h["error"].is_null(), "{h}");
    let tr = transitions(&company, &t).await;
    assert!(
        tr.iter()
            .any(|d| d == "access_lost (key_disabled) → healthy"),
        "{tr:?}"
    );
}

#[tokio::test]
async fn key_deleted_names_the_recover_command_and_recovery_is_seen() {
    let (w, company, t) = on_azure("it-h-deleted").await;
    // A check has seen the key (its retention: recoverableDays).
    check_until(&company, &t, "healthy", None).await;
    let deleted = control(
        "POST",
        &format!("/vaults/{}/keys/{}/soft-delete", w.vault, w.key),
        None,
    )
    .await;
    // The simulator answers Key Vault's deleted-key bundle.
    assert!(
        deleted["recoveryId"]
            .as_str()
            .is_some_and(|r| r.ends_with(&format!("/deletedkeys/{}", w.key))),
        "{deleted}"
    );
    assert!(deleted["scheduledPurgeDate"].as_i64() > deleted["deletedDate"].as_i64());
    let h = check_until(&company, &t, "access_lost", Some("key_deleted")).await;
    assert_lost(&h, "key_deleted", "key_deleted");
    let fix = h["error"]["fix"].as_str().unwrap_or_default();
    assert!(
        fix.contains(&format!(
            "az keyvault key recover --vault-name {} --name {}",
            w.vault, w.key
        )),
        "{fix}"
    );
    assert!(fix.contains("7 days"), "{fix}");
    // The commands recover exactly this key of this vault.
    let commands = &h["error"]["commands"];
    assert_eq!(check_all(commands), 2, "{h}");
    let azure = Azure::finding(&w.vault, "Microsoft.KeyVault/vaults");
    assert_eq!(
        run_cli(commands, &azure),
        [argv(&[
            "az",
            "keyvault",
            "key",
            "recover",
            "--vault-name",
            &w.vault,
            "--name",
            &w.key
        ])]
    );

    assert!(
        block(tab(commands, "azure_powershell"), "powershell").contains(&format!(
            "Undo-AzKeyVaultKeyRemoval -VaultName '{}' -Name '{}'",
            w.vault, w.key
        ))
    );
    control(
        "POST",
        &format!("/vaults/{}/deleted-keys/{}/recover", w.vault, w.key),
        None,
    )
    .await;
    check_until(&company, &t, "healthy", None).await;
}

#[tokio::test]
async fn key_expired_says_what_still_works_and_is_seen_coming() {
    let (w, company, t) = on_azure("it-h-expiry").await;
    // Within EXPIRY_WARNING_DAYS (30): a warning with the az commands.
    let exp = now_secs() + 10 * 86_400 + 3600;
    patch_key(&w, json!({"exp": exp})).await;
    let h = check_until(&company, &t, "healthy", None).await;
    let warning = &h["expiry_warning"];
    assert_eq!(warning["expires_at"], exp, "{h}");
    assert_eq!(warning["days_left"], 10, "{h}");
    assert!(
        warning["extend_command"]
            .as_str()
            .is_some_and(|c| c.starts_with(&format!(
                "az keyvault key set-attributes --vault-name {} --name {}",
                w.vault, w.key
            ))),
        "{h}"
    );
    assert!(
        warning["message"]
            .as_str()
            .unwrap_or_default()
            .contains("still unwraps"),
        "{h}"
    );
    // The tabs (Azure CLI, Azure PowerShell): each block checked; the CLI's
    // extend and rotate blocks run exactly the API's one-line commands.
    let tabs = &warning["commands"];
    assert_eq!(check_all(tabs), 4, "{h}");
    let azure = Azure::finding(&w.vault, "Microsoft.KeyVault/vaults");
    let cli = tab(tabs, "azure_cli")["blocks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (b, line) in cli.iter().zip(["extend_command", "rotate_command"]) {
        let one = warning[line].as_str().unwrap_or_default();
        let ran = run_line(b["text"].as_str().unwrap_or_default(), &azure);
        assert_eq!(ran, run_line(one, &azure), "{line}");
        assert_eq!(ran.len(), 1, "{ran:?}");
        assert_eq!(
            ran[0][4..8],
            ["--vault-name", &w.vault, "--name", &w.key],
            "{ran:?}"
        );
    }
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let warned: Vec<&Value> = trail["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["action"] == "key_expiry_warning")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(warned.len(), 1, "{trail}");
    // Past exp: access lost, and the error says unwrap still works.
    patch_key(&w, json!({"exp": now_secs() - 60})).await;
    let h = check_until(&company, &t, "access_lost", Some("key_expired")).await;
    assert_lost(&h, "key_expired", "key_expired");
    let detail = h["error"]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("still unwraps"), "{h}");
    // Key Vault still unwraps an expired key: the envelope keeps working.
    let (plain, wrapped) = data_key(&company).await;
    assert_data_keys(&company, &[(plain, wrapped)]).await;
    patch_key(&w, json!({"exp": null})).await;
    check_until(&company, &t, "healthy", None).await;
}

#[tokio::test]
async fn key_not_yet_valid_and_back() {
    let (w, company, t) = on_azure("it-h-nbf").await;
    patch_key(&w, json!({"nbf": now_secs() + 86_400})).await;
    let h = check_until(&company, &t, "access_lost", Some("key_not_yet_valid")).await;
    assert_lost(&h, "key_not_yet_valid", "key_not_yet_valid");
    patch_key(&w, json!({"nbf": null})).await;
    check_until(&company, &t, "healthy", None).await;
}

#[tokio::test]
async fn binding_tag_removed_and_put_back() {
    let (w, company, t) = on_azure("it-h-tag").await;
    set_key_tags(&w.vault, &w.key, json!({})).await;
    let h = check_until(&company, &t, "access_lost", Some("binding_removed")).await;
    assert_lost(&h, "binding_removed", "key_binding_missing");
    assert!(
        h["error"]["fix"]
            .as_str()
            .unwrap_or_default()
            .contains(&company),
        "{h}"
    );
    // The commands put back exactly this company's tag on this key.
    let commands = &h["error"]["commands"];
    assert_eq!(check_all(commands), 2, "{h}");
    let azure = Azure::finding(&w.vault, "Microsoft.KeyVault/vaults");
    assert_eq!(
        run_cli(commands, &azure),
        [tag_call(&w.vault, &w.key, &company)]
    );

    w.bind_key(&company).await;
    check_until(&company, &t, "healthy", None).await;
}

#[tokio::test]
async fn vault_firewall_on_and_off() {
    let (w, company, t) = on_azure("it-h-firewall").await;
    control(
        "PUT",
        &format!("/vaults/{}/firewall", w.vault),
        Some(json!({"enabled": true})),
    )
    .await;
    let h = check_until(&company, &t, "access_lost", Some("vault_firewall")).await;
    assert_lost(&h, "vault_firewall", "vault_firewall");
    control(
        "PUT",
        &format!("/vaults/{}/firewall", w.vault),
        Some(json!({"enabled": false})),
    )
    .await;
    check_until(&company, &t, "healthy", None).await;
}

#[tokio::test]
async fn throttled_is_degraded_and_recovers_by_itself() {
    let (w, company, t) = on_azure("it-h-429").await;
    let id = add_fault(
        json!({"service": "keyvault", "path": key_path(&w), "method": "GET",
        "count": 0, "action": {"kind": "throttle"}}),
    )
    .await;
    let h = check_until(&company, &t, "degraded", None).await;
    assert_eq!(h["error"]["code"], "throttled", "{h}");
    assert!(h["cause"].is_null(), "{h}");
    assert!(fired(id).await > 0, "the 429 never fired");
    remove_fault(id).await;
    // The back-off's next check (3 s, doubling) sees it back by itself.
    let h = wait_health(&company, &t, "healthy", 45).await;
    assert!(h["error"].is_null(), "{h}");
    let tr = transitions(&company, &t).await;
    assert!(
        tr.iter().any(|d| d == "healthy → degraded: throttled"),
        "{tr:?}"
    );
    assert!(tr.iter().any(|d| d == "degraded → healthy"), "{tr:?}");
}

#[tokio::test]
async fn a_503_is_degraded_and_back() {
    let (w, company, t) = on_azure("it-h-503").await;
    let id = add_fault(
        json!({"service": "keyvault", "path": key_path(&w), "method": "GET",
        "count": 0, "action": {"kind": "status", "status": 503}}),
    )
    .await;
    let h = check_until(&company, &t, "degraded", None).await;
    assert_eq!(h["error"]["code"], "azure_unavailable", "{h}");
    assert!(fired(id).await > 0, "the 503 never fired");
    remove_fault(id).await;
    check_until(&company, &t, "healthy", None).await;
}
