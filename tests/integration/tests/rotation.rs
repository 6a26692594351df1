//! Issue 14 item 4: rotation re-wraps the company key by itself. A new
//! version of the customer's key (rotated by hand or by a rotation policy)
//! is taken up by *Re-wrap now* (and by the health check); the company key
//! is unwrapped with the recorded `kid`, wrapped with the new version,
//! verified and committed at once; the `kid` history shows both versions;
//! the old version can then be disabled and nothing breaks. The re-wrap
//! survives every fault at every call (rotation's fault matrix:
//! `rotation_survives_every_fault_at_every_call`).

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// The versions of `key` in `vault`, oldest first (`version`, `kid`,
/// `enabled`, `tags`).
async fn versions(vault: &str, key: &str) -> Vec<Value> {
    let state = control("GET", "/state", None).await;
    state["vaults"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"].as_str() == Some(vault)))
        .and_then(|v| v["keys"].as_array())
        .and_then(|ks| ks.iter().find(|k| k["name"].as_str() == Some(key)))
        .and_then(|k| k["versions"].as_array())
        .cloned()
        .unwrap_or_default()
}

/// Rotates `w`'s key now (`POST /keys/{name}/rotate`); returns the new kid.
async fn rotate(w: &World) -> String {
    control(
        "POST",
        &format!("/vaults/{}/keys/{}/rotate", w.vault, w.key),
        None,
    )
    .await;
    let vs = versions(&w.vault, &w.key).await;
    vs.last().expect("a version")["kid"]
        .as_str()
        .expect("kid")
        .to_owned()
}

fn version_of(kid: &str) -> String {
    kid.rsplit('/').next().unwrap_or_default().to_owned()
}

async fn set_enabled(w: &World, kid: &str, enabled: bool) {
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(json!({"version": version_of(kid), "enabled": enabled})),
    )
    .await;
}

async fn rewrap_now(company: &str, t: &str) -> (u16, Value) {
    call("POST", &format!("{}/rewrap", kms(company)), Some(t), None).await
}

async fn audit(company: &str, t: &str) -> Vec<Value> {
    let (s, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    assert_eq!(s, 200, "{trail}");
    trail["events"].as_array().cloned().unwrap_or_default()
}

fn count(events: &[Value], action: &str) -> usize {
    events.iter().filter(|e| e["action"] == action).count()
}

/// A company switched to a fresh world's key: (world, company, session,
/// the kid in force).
async fn switched(prefix: &str) -> (World, String, String, String) {
    let w = world(true, 2048).await;
    let company = m365_company(prefix, &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    let kid = done["provider"]["kid"].as_str().expect("kid").to_owned();
    (w, company, t, kid)
}

#[tokio::test]
async fn rewrap_now_takes_up_a_rotation_and_the_old_version_can_then_be_disabled() {
    let (w, company, t, k1) = switched("it-rot").await;
    let keys = vec![data_key(&company).await, data_key(&company).await];

    // Nothing rotated yet: Re-wrap now changes nothing.
    let (s, before) = rewrap_now(&company, &t).await;
    assert_eq!(s, 200, "{before}");
    assert_eq!(before["kms"]["provider"]["kid"], k1.as_str());
    assert!(before["kms"]["rewrap"].is_null(), "{before}");
    let fingerprint = before["kms"]["company_key"]["wrapped_fingerprint"].clone();
    let history = before["kms"]["kid_history"]
        .as_array()
        .cloned()
        .expect("kid history");
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0]["kid"], k1.as_str());
    assert_eq!(history[0]["reason"], "switch");
    assert!(history[0]["until_ms"].is_null());

    // The customer rotates the key and tags the new version (tags are per
    // version); Re-wrap now takes it up at once.
    let k2 = rotate(&w).await;
    assert_ne!(k1, k2);
    w.bind_key(&company).await;
    let (s, after) = rewrap_now(&company, &t).await;
    assert_eq!(s, 200, "{after}");
    let kms_view = &after["kms"];
    assert_eq!(kms_view["provider"]["kid"], k2.as_str(), "{after}");
    assert!(kms_view["rewrap"].is_null(), "{after}");
    assert_ne!(kms_view["company_key"]["wrapped_fingerprint"], fingerprint);
    let history = kms_view["kid_history"]
        .as_array()
        .cloned()
        .expect("kid history");
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["kid"], k2.as_str());
    assert_eq!(history[0]["reason"], "rewrap_now");
    assert!(history[0]["until_ms"].is_null() && history[0]["from_ms"].is_u64());
    assert_eq!(history[1]["kid"], k1.as_str());
    assert_eq!(history[1]["until_ms"], history[0]["from_ms"]);
    let events = audit(&company, &t).await;
    assert_eq!(count(&events, "key_rewrapped"), 1);
    assert_eq!(count(&events, "rotation_detected"), 1);
    assert_eq!(count(&events, "rewrap_requested"), 2);
    // The host is told: one signed key.rotated webhook naming both kids.
    let sent = webhook_helpers::wait_delivered(&company, "key.rotated", 20).await;
    let data = &sent[0]["json"]["data"];
    assert_eq!(data["old_kid"], k1.as_str(), "{data}");
    assert_eq!(data["new_kid"], k2.as_str(), "{data}");
    assert_eq!(data["reason"], "rewrap_now", "{data}");
    assert!(
        sent.iter().all(|d| d["signature_valid"] == true),
        "{sent:?}"
    );
    // GET …/kms shows the same.
    let status = status_of(&company, &t).await;
    assert_eq!(status["kid_history"], kms_view["kid_history"]);

    // The old version is disabled: every data key still decrypts (the
    // company key now unwraps with the new version: the in-memory copy is
    // keyed by the blob, which changed), and new ones work. (Tests here run
    // in parallel: the worker is restarted only in the fault matrix.)
    set_enabled(&w, &k1, false).await;
    assert_data_keys(&company, &keys).await;
    let fresh = data_key(&company).await;
    assert_data_keys(&company, &[fresh]).await;
    // Re-wrap now again: the new version is current, nothing to do.
    let (s, again) = rewrap_now(&company, &t).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["kms"]["provider"]["kid"], k2.as_str());
    assert_eq!(count(&audit(&company, &t).await, "key_rewrapped"), 1);
}

#[tokio::test]
async fn a_new_version_without_the_binding_tag_is_not_used_until_it_is_tagged() {
    let (w, company, t, k1) = switched("it-rot-tag").await;
    let keys = vec![data_key(&company).await];
    let k2 = rotate(&w).await;
    // Not tagged: the re-wrap fails with the binding error and its fix; the
    // old kid stays in force and a retry is scheduled.
    let (s, v) = rewrap_now(&company, &t).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["provider"]["kid"], k1.as_str());
    let rw = &v["kms"]["rewrap"];
    assert_eq!(rw["to_kid"], k2.as_str(), "{v}");
    assert_eq!(rw["last_error"]["code"], "key_binding_missing", "{v}");
    assert!(
        rw["last_error"]["fix"]
            .as_str()
            .is_some_and(|f| f.contains("az keyvault key set-attributes")),
        "{v}"
    );
    assert!(rw["next_retry_at_ms"].is_u64(), "{v}");
    assert_data_keys(&company, &keys).await;
    // Tagged: the retry (here asked for at once) commits.
    w.bind_key(&company).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let done = loop {
        let (_, v) = rewrap_now(&company, &t).await;
        let kid = v["kms"]["provider"]["kid"].clone();
        if kid == k2.as_str() || std::time::Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    assert_eq!(done["kms"]["provider"]["kid"], k2.as_str(), "{done}");
    assert!(done["kms"]["rewrap"].is_null(), "{done}");
    set_enabled(&w, &k1, false).await;
    assert_data_keys(&company, &keys).await;
}

#[tokio::test]
async fn rewrap_now_is_refused_without_an_azure_key_and_for_another_company() {
    let w = world(true, 2048).await;
    let company = m365_company("it-rot-plat", &w).await;
    let t = session("company_admin", &[&company]).await;
    assert_error(&rewrap_now(&company, &t).await, 409, "conflict");
    // Another company's admin gets 403 and nothing changes.
    let (_, other, t_other, kid) = switched("it-rot-b").await;
    let before = status_of(&other, &t_other).await;
    assert_error(&rewrap_now(&other, &t).await, 403, "forbidden_role");
    let after = status_of(&other, &t_other).await;
    assert_eq!(after["provider"]["kid"], kid.as_str());
    assert_eq!(after["company_key"], before["company_key"]);
    assert_eq!(count(&audit(&other, &t_other).await, "rewrap_requested"), 0);
}

#[tokio::test]
async fn a_rotation_policy_rotates_on_its_schedule_and_rewrap_follows() {
    let (w, company, t, k1) = switched("it-rot-pol").await;
    // The policy in Key Vault's wire format (the control API's PUT checks
    // and answers exactly like the data plane's).
    let now = i64::try_from(consent_helpers::now_ms() / 1000).expect("now");
    let policy = json!({
        "lifetimeActions": [
            {"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}},
            {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}}
        ],
        "attributes": {"expiryTime": "P1Y"}
    });
    let answer = control(
        "PUT",
        &format!("/vaults/{}/keys/{}/rotationpolicy", w.vault, w.key),
        Some(policy),
    )
    .await;
    assert_eq!(
        answer["id"],
        format!("{}/keys/{}/rotationpolicy", w.vault_uri, w.key),
        "{answer}"
    );
    assert_eq!(answer["lifetimeActions"][0]["action"]["type"], "Rotate");
    // Not due yet: nothing rotates.
    let ran = control("POST", "/rotation-policies/run", Some(json!({"at": now}))).await;
    assert_eq!(ran["rotated"], json!([]), "{ran}");
    // 91 days later the policy rotates the key; the new version expires a
    // year after it was made.
    let later = now + 91 * 86_400;
    let ran = control("POST", "/rotation-policies/run", Some(json!({"at": later}))).await;
    let rotated = ran["rotated"].as_array().cloned().unwrap_or_default();
    let k2 = rotated
        .iter()
        .filter_map(Value::as_str)
        .find(|k| k.contains(&format!("{}.vault.azure.net/keys/{}/", w.vault, w.key)))
        .expect("the key rotated")
        .to_owned();
    let vs = versions(&w.vault, &w.key).await;
    assert_eq!(
        vs.last().expect("a version")["exp"],
        json!(later + 365 * 86_400)
    );
    w.bind_key(&company).await;
    let (s, v) = rewrap_now(&company, &t).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kms"]["provider"]["kid"], k2.as_str(), "{v}");
    assert_ne!(k1, k2);
}
