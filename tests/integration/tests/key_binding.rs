//! Issue 13, item 1b: the key itself names the company. The connection test,
//! the finalization and every cold unwrap read the key's
//! `keyswitch-company` tag from what Key Vault's GET returns; a missing or
//! wrong tag is refused with the exact command that fixes it, and changes
//! nothing else. Item 6: the `kid` Key Vault answers is checked before use.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// A world, a company and a session, consent granted and the role assigned:
/// only the tag step is left.
async fn at_the_tag_step(prefix: &str) -> (World, String, String) {
    let w = world(true, 2048).await;
    let company = fresh_company(prefix);
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    w.assign_role().await;
    (w, company, t)
}

/// The Key Vault requests the simulator saw for `vault` whose path contains
/// `what`.
async fn vault_calls(vault: &str, what: &str) -> Vec<Value> {
    let host = format!("{vault}.vault.azure.net");
    control("GET", "/requests?service=keyvault", None).await["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["vault"].as_str() == Some(host.as_str()))
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(what)))
        .collect()
}

async fn audit(company: &str, t: &str) -> Vec<Value> {
    let (s, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    assert_eq!(s, 200, "{trail}");
    trail["events"].as_array().cloned().unwrap_or_default()
}

fn az(vault: &str, key: &str, value: &str) -> String {
    format!(
        "az keyvault key set-attributes --vault-name {vault} --name {key} --tags keyswitch-company=\"{value}\""
    )
}

#[tokio::test]
async fn an_untagged_key_fails_the_test_with_the_command_that_tags_it() {
    let (w, company, t) = at_the_tag_step("it-bind-missing").await;
    // The dialog gives the command with this company's value filled in.
    let (s, g) = call(
        "GET",
        &format!("{}/role-assignment", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["binding"]["tag_name"], "keyswitch-company");
    assert_eq!(g["binding"]["tag_value"], company.as_str());
    assert_eq!(g["binding"]["az_command"], az(&w.vault, &w.key, &company));
    assert!(
        g["binding"]["portal_steps"]
            .as_array()
            .is_some_and(|s| s.len() >= 3),
        "{g}"
    );

    let r = test_connection(&company, &t).await;
    assert_error(&r, 422, "key_binding_missing");
    let body = &r.1;
    assert_eq!(
        body["message"],
        "The key is not bound to this company: it has no keyswitch-company tag"
    );
    let fix = body["fix"].as_str().unwrap_or_default();
    assert!(fix.contains(&az(&w.vault, &w.key, &company)), "{fix}");
    assert!(fix.contains("Azure Portal"), "{fix}");
    // Nothing was wrapped with the unbound key, and the setup waits at the
    // role/tag step with the error.
    assert!(vault_calls(&w.vault, "/wrapkey").await.is_empty());
    let v = status_of(&company, &t).await;
    assert_eq!(v["stage"], "awaiting_role_assignment", "{v}");
    assert!(v["pending"]["tested_key"].is_null(), "{v}");
    let failed = audit(&company, &t).await.into_iter().any(|e| {
        e["action"] == "connection_test"
            && e["outcome"] == "failed"
            && e["detail"] == "key_binding_missing"
    });
    assert!(failed, "the failed test is audited with its code");

    // The Azure admin runs the command: the same test passes.
    w.bind_key(&company).await;
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["stage"], "tested", "{v}");
}

#[tokio::test]
async fn a_key_tagged_for_other_companies_is_refused_and_the_fix_keeps_them() {
    let (w, company, t) = at_the_tag_step("it-bind-wrong").await;
    // The tag names other companies (and one that only looks like this one).
    let others = format!("globex-01 {company}-2 initech");
    set_key_tags(
        &w.vault,
        &w.key,
        json!({"keyswitch-company": others, "owner": "secops"}),
    )
    .await;
    let r = test_connection(&company, &t).await;
    assert_error(&r, 422, "key_binding_mismatch");
    assert_eq!(
        r.1["message"],
        format!("The key is bound to other companies, not to {company}")
    );
    let fix = r.1["fix"].as_str().unwrap_or_default();
    assert!(
        fix.contains(&az(&w.vault, &w.key, &format!("{others} {company}"))),
        "{fix}"
    );
    let detail = r.1["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("globex-01"), "{detail}");
    assert!(vault_calls(&w.vault, "/wrapkey").await.is_empty());
    assert_eq!(
        status_of(&company, &t).await["stage"],
        "awaiting_role_assignment"
    );

    // Adding this company (keeping the others) binds it.
    w.bind_key(&company).await;
    let tags = key_tags(&w.vault, &w.key).await;
    assert_eq!(tags["keyswitch-company"], format!("{others} {company}"));
    assert_eq!(tags["owner"], "secops");
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn another_company_cannot_use_a_key_bound_to_acme() {
    // acme's key is tagged for acme and acme switched to it.
    let w = world(true, 2048).await;
    let acme = m365_company("it-bind-acme", &w).await;
    let ta = session("partner_admin", &[&acme]).await;
    let done = switch_to(&acme, &ta, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    // evil's admin gets as far as the connection test on acme's key.
    let evil = fresh_company("it-bind-evil");
    let te = session("company_admin", &[&evil]).await;
    let (s, started) = start(&evil, &te, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{started}");
    if let Some(url) = started["consent_url"].as_str() {
        // Even with the vault tenant's consent, the key does not name evil.
        let back = consent_as(url, &w.admin_oid, "accept").await;
        assert_eq!(get_page(&back).await.0, 200);
    }
    let wraps_before = vault_calls(&w.vault, "/wrapkey").await.len();
    let r = test_connection(&evil, &te).await;
    assert_error(&r, 422, "key_binding_mismatch");
    assert_eq!(vault_calls(&w.vault, "/wrapkey").await.len(), wraps_before);
    let v = status_of(&evil, &te).await;
    assert_eq!(v["provider"]["kind"], "platform", "{v}");
    // Save without a passed connection test is refused for the state.
    let r = call("POST", &format!("{}/save", kms(&evil)), Some(&te), None).await;
    assert_error(&r, 409, "invalid_state_transition");
    assert_eq!(
        status_of(&evil, &te).await,
        v,
        "a refused Save changed the state"
    );
}

#[tokio::test]
async fn a_tag_removed_before_the_commit_stops_the_commit() {
    let w = world(true, 2048).await;
    let company = m365_company("it-bind-commit", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let (plain, wrapped) = data_key(&company).await;
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    // The Azure admin removes the tag after the connection test passed.
    set_key_tags(&w.vault, &w.key, json!({})).await;
    let wraps_before = vault_calls(&w.vault, "/wrapkey").await.len();
    assert_eq!(verify_remaining(&company, &t, &w).await, 200);
    // The finalization refuses to wrap: an attempt fails with the binding error.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let progress = loop {
        let (s, p) = call(
            "GET",
            &format!("{}/finalize", kms(&company)),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{p}");
        if p["attempts"].as_u64().unwrap_or(0) > 0 || std::time::Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        progress["last_error"]["code"], "key_binding_missing",
        "{progress}"
    );
    assert_eq!(progress["stage"], "finalizing", "{progress}");
    assert_eq!(progress["provider"]["kind"], "platform", "{progress}");
    assert_eq!(
        vault_calls(&w.vault, "/wrapkey").await.len(),
        wraps_before,
        "nothing was wrapped"
    );
    // The old provider is in force: earlier data keys still decrypt.
    assert_data_keys(&company, &[(plain.clone(), wrapped.clone())]).await;
    let v = status_of(&company, &t).await;
    assert_eq!(v["provider"]["kind"], "platform", "{v}");
    assert!(audit(&company, &t).await.iter().any(|e| {
        e["action"] == "finalize"
            && e["outcome"] == "failed"
            && e["detail"] == "key_binding_missing"
    }));
    assert!(
        !audit(&company, &t)
            .await
            .iter()
            .any(|e| e["action"] == "switch_committed")
    );

    // Tagged again, the next attempt commits.
    w.bind_key(&company).await;
    let done = wait_stage(&company, &t, "done", 60).await;
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    assert_data_keys(&company, &[(plain, wrapped)]).await;
}

#[tokio::test]
async fn a_cold_unwrap_of_the_company_key_checks_the_tag() {
    let w = world(true, 2048).await;
    let company = m365_company("it-bind-cold", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    // The new wrapped key has not been unwrapped since the commit: the next
    // use is a cold unwrap, after a GET of the recorded version.
    set_key_tags(
        &w.vault,
        &w.key,
        json!({"keyswitch-company": "someone-else"}),
    )
    .await;
    let unwraps_before = vault_calls(&w.vault, "/unwrapkey").await.len();
    let (s, v) = call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys"),
        Some(&envelope_token()),
        None,
    )
    .await;
    // The envelope API names it as a lost access (issue 14): cause
    // `binding_removed`, the binding refusal's own code in the detail, and
    // its fix (the exact command).
    assert_error(&(s, v.clone()), 422, "key_access_lost");
    assert_eq!(v["cause"], "binding_removed", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("key_binding_mismatch")),
        "{v}"
    );
    assert!(
        v["fix"].as_str().is_some_and(|f| f.contains(&company)),
        "{v}"
    );
    assert_eq!(
        vault_calls(&w.vault, "/unwrapkey").await.len(),
        unwraps_before
    );
    // Tagged again: the company key unwraps.
    w.bind_key(&company).await;
    let (plain, wrapped) = data_key(&company).await;
    assert_data_keys(&company, &[(plain, wrapped)]).await;
}

#[tokio::test]
async fn a_foreign_kid_in_the_get_answer_is_never_used() {
    let (w, company, t) = at_the_tag_step("it-bind-kid").await;
    w.bind_key(&company).await;
    // Another vault (another tenant), whose key the answer will name.
    let other = world(true, 2048).await;
    let state = control("GET", "/state", None).await;
    let version = state["vaults"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == other.vault.as_str()))
        .and_then(|v| v["keys"][0]["versions"][0]["version"].as_str())
        .expect("the other key's version")
        .to_owned();
    let foreign = format!("{}/keys/{}/{version}", other.vault_uri, other.key);
    let id = add_fault(json!({
        "service": "keyvault",
        "path": format!("{}.vault.azure.net/keys/{}", w.vault, w.key),
        "method": "GET",
        "count": 1,
        "action": {"kind": "foreign_kid", "kid": foreign},
    }))
    .await;
    let r = test_connection(&company, &t).await;
    let fired = fault(id).await.map(|f| f["fired"].clone());
    remove_fault(id).await;
    assert_eq!(fired, Some(json!(1)), "the fault fired");
    assert_error(&r, 502, "unexpected_answer");
    // Nothing went to the vault the answer named, nor was anything wrapped.
    assert!(vault_calls(&other.vault, "").await.is_empty());
    assert!(vault_calls(&w.vault, "/wrapkey").await.is_empty());
    let (s, v) = test_connection(&company, &t).await;
    assert_eq!(s, 200, "{v}");
    let kid = v["kms"]["pending"]["tested_key"]["kid"]
        .as_str()
        .unwrap_or_default();
    assert!(
        kid.starts_with(&format!("{}/keys/{}/", w.vault_uri, w.key)),
        "{v}"
    );
}

#[tokio::test]
async fn a_tag_removed_while_the_wrap_runs_stops_the_commit() {
    let w = world(true, 2048).await;
    let company = m365_company("it-bind-race", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let (plain, wrapped) = data_key(&company).await;
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    // The finalization's wrap is held 2 s: the tag goes while it runs, after
    // the wrap's own GET saw it.
    let wrap_path = format!("/{}.vault.azure.net/keys/{}/wrapkey", w.vault, w.key);
    let id = add_fault(json!({"service": "keyvault", "path": wrap_path, "count": 1,
        "action": {"kind": "latency", "ms": 2000}}))
    .await;
    let u = begin_verify(&company, &t, &m365(&w.tenant)).await;
    let b = sign_in(&u, &w.admin_oid, "accept").await;
    let landing = tokio::spawn(async move { get_page(&b).await.0 });
    for _ in 0..100 {
        if fault(id).await.and_then(|r| r["fired"].as_u64()) == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(fault(id).await.and_then(|r| r["fired"].as_u64()), Some(1));
    set_key_tags(&w.vault, &w.key, json!({})).await;
    assert_eq!(landing.await.expect("landing"), 200);
    remove_fault(id).await;
    // The verify step's GET of the version that wrapped refuses the commit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let progress = loop {
        let (s, p) = call(
            "GET",
            &format!("{}/finalize", kms(&company)),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{p}");
        if p["attempts"].as_u64().unwrap_or(0) > 0 || std::time::Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        progress["last_error"]["code"], "key_binding_missing",
        "{progress}"
    );
    assert_eq!(progress["provider"]["kind"], "platform", "{progress}");
    assert!(
        !audit(&company, &t)
            .await
            .iter()
            .any(|e| e["action"] == "switch_committed")
    );
    assert_data_keys(&company, &[(plain, wrapped)]).await;
}
