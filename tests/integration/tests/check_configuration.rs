//! Issue 14 item 7: *Check configuration* runs every check at once, before
//! Save and any time after, changes nothing, and lists every problem with
//! its fix instead of stopping at the first; before Save it dry-runs the
//! re-wrap.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

async fn check(company: &str, t: &str) -> (u16, Value) {
    call("POST", &format!("{}/check", kms(company)), Some(t), None).await
}

fn status_of_check(report: &Value, id: &str) -> String {
    report["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no check {id}: {report}"))
}

fn codes(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["code"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn set_enabled(w: &World, enabled: bool) {
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(json!({"enabled": enabled})),
    )
    .await;
}

#[tokio::test]
async fn before_save_every_problem_is_listed_at_once_with_its_fix_and_nothing_changes() {
    let w = world(true, 2048).await;
    let company = company_for("it-check", &w, false).await;
    let t = session("company_admin", &[&company]).await;
    // Nothing to check yet: no setup, no Azure key.
    assert_error(&check(&company, &t).await, 409, "conflict");
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    // Several problems at once: the key is disabled and not tagged for the
    // company, and a backup set names no tenant keyswitch can verify.
    set_enabled(&w, false).await;
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "dropbox", "id": "bs-x", "name": "Dropbox archive"})),
    )
    .await;
    let before = status_of(&company, &t).await;
    let (s, report) = check(&company, &t).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["scope"], "pending");
    let found = codes(&report);
    for code in [
        "key_disabled",
        "key_binding_missing",
        "backup_set_unverifiable",
    ] {
        assert!(
            found.iter().any(|c| c == code),
            "{code} missing: {report:#}"
        );
    }
    assert!(found.len() >= 3, "{report:#}");
    for p in report["problems"].as_array().expect("problems") {
        assert!(p["fix"].as_str().is_some_and(|f| !f.is_empty()), "{p}");
    }
    for id in [
        "consent",
        "firewall",
        "role",
        "key_found",
        "key_type",
        "key_size",
        "key_ops",
    ] {
        assert_eq!(status_of_check(&report, id), "ok", "{id}: {report:#}");
    }
    assert_eq!(status_of_check(&report, "enabled"), "problem");
    assert_eq!(status_of_check(&report, "binding"), "problem");
    assert_eq!(
        status_of_check(
            &report,
            &format!("tenant:Microsoft 365 tenant {}", w.tenant)
        ),
        "ok"
    );
    // Nothing changed: stage, setup and key are as before.
    let after = status_of(&company, &t).await;
    assert_eq!(after["stage"], before["stage"]);
    assert_eq!(after["pending"], before["pending"]);
    assert_eq!(after["company_key"], before["company_key"]);

    // Fixed: every check passes, and the re-wrap dry run ran and was
    // discarded (the company key's blob is unchanged).
    set_enabled(&w, true).await;
    w.bind_key(&company).await;
    let _ = http_delete(&format!(
        "{}/_control/companies/{company}/backup-sets/bs-x",
        sim_url()
    ))
    .await;
    let (s, report) = check(&company, &t).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(codes(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(status_of_check(&report, "dry_run"), "ok", "{report:#}");
    assert_eq!(status_of_check(&report, "probe"), "ok");
    let after = status_of(&company, &t).await;
    assert_eq!(after["company_key"], before["company_key"]);
    assert_eq!(after["provider"], before["provider"]);
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let checked: Vec<&Value> = trail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "configuration_checked")
        .collect();
    assert_eq!(checked.len(), 3, "{trail}");
}

async fn http_delete(url: &str) -> u16 {
    reqwest::Client::new()
        .delete(url)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test]
async fn after_the_switch_the_key_in_force_is_checked_and_a_removed_role_is_named() {
    let w = world(true, 2048).await;
    let company = m365_company("it-check-after", &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    let (s, report) = check(&company, &t).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["scope"], "in_force");
    assert_eq!(report["key"], done["provider"]["kid"]);
    assert_eq!(codes(&report), Vec::<String>::new(), "{report:#}");
    // The role is removed: the check names it (and changes nothing).
    control(
        "DELETE",
        &format!(
            "/vaults/{}/role-assignments?principal=connector:{}",
            w.vault, w.tenant
        ),
        None,
    )
    .await;
    let (s, report) = check(&company, &t).await;
    assert_eq!(s, 200, "{report}");
    let found = codes(&report);
    assert!(
        found.len() == 1 && ["key_vault_forbidden", "role_removed"].contains(&found[0].as_str()),
        "{report:#}"
    );
    assert_eq!(status_of_check(&report, "role"), "problem");
    let after = status_of(&company, &t).await;
    assert_eq!(after["provider"], done["provider"]);
    // Another company's admin cannot run it.
    let other = fresh_company("it-check-other");
    let t_other = session("company_admin", &[&other]).await;
    assert_error(&check(&company, &t_other).await, 403, "forbidden_role");
}
