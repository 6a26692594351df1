//! Issue 14, item 3: revocation bites on a known schedule. The unwrapped
//! company key is cached at most `KEY_CACHE_SECONDS` (the test stack: 6 s,
//! scripts/lib.sh); after that the envelope API goes back to Key Vault, and
//! while access is lost it answers 422 `key_access_lost` naming the cause.
//! Access restored, the next call works and every data key made before the
//! loss decrypts again. Transient failures stay distinct (503).
//!
//! Each test uses its own world (tenant, vault, key) and company, so
//! revoking one never touches another test.

use std::time::{Duration, Instant};

use keyswitch_integration::finalize_helpers::{data_key, envelope_token, envelope_token_next};
use keyswitch_integration::switch_helpers::{
    add_fault, assert_data_keys, fault, m365_company, remove_fault, switch_to,
};
use keyswitch_integration::{
    World, assert_error, bind_key, call, control, session, set_key_tags, status_of, world,
};
use serde_json::{Value, json};

/// The stack's company-key cache time (`KEY_CACHE_SECONDS`, 6 by default).
fn cache_secs() -> u64 {
    std::env::var("KEY_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

/// Slack over the cache time for a revocation to show: polling and the
/// calls themselves.
const SLACK: Duration = Duration::from_secs(6);

fn envelope(company: &str, rest: &str) -> String {
    format!("/api/envelope/companies/{company}/data-keys{rest}")
}

async fn generate(company: &str, token: &str) -> (u16, Value) {
    call("POST", &envelope(company, ""), Some(token), None).await
}

async fn open(company: &str, token: &str, wrapped: &str) -> (u16, Value) {
    call(
        "POST",
        &envelope(company, "/decrypt"),
        Some(token),
        Some(json!({ "wrapped": wrapped })),
    )
    .await
}

/// A company switched to `w`'s key, with two data keys made before anything
/// is revoked; returns (company, admin session, data keys).
async fn switched(prefix: &str, w: &World) -> (String, String, Vec<(String, String)>) {
    let company = m365_company(prefix, w).await;
    let t = session("partner_admin", &[&company]).await;
    let done = switch_to(&company, &t, w, w).await;
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    let keys = vec![data_key(&company).await, data_key(&company).await];
    assert_data_keys(&company, &keys).await;
    (company, t, keys)
}

/// Polls Decrypt of `wrapped` from `since` (the revocation) until it is
/// refused; the refusal must come within the cache time (plus slack) and be
/// `key_access_lost` naming `cause`. Returns the refusal's body.
async fn refused_within_cache_time(
    company: &str,
    wrapped: &str,
    since: Instant,
    cause: &str,
) -> Value {
    let deadline = since + Duration::from_secs(cache_secs()) + SLACK;
    loop {
        let got = open(company, &envelope_token(), wrapped).await;
        if got.0 != 200 {
            let took = since.elapsed();
            println!(
                "revocation ({cause}) bit after {} ms (cache {} s)",
                took.as_millis(),
                cache_secs()
            );
            assert_error(&got, 422, "key_access_lost");
            assert_eq!(got.1["cause"], cause, "{}", got.1);
            assert!(got.1.get("plaintext").is_none(), "{}", got.1);
            return got.1;
        }
        assert!(
            Instant::now() < deadline,
            "still decrypting {} s after the revocation (cache {} s)",
            since.elapsed().as_secs(),
            cache_secs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn remove_role(w: &World) {
    control(
        "DELETE",
        &format!(
            "/vaults/{}/role-assignments?principal=connector:{}",
            w.vault, w.tenant
        ),
        None,
    )
    .await;
}

async fn set_enabled(w: &World, enabled: bool) {
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(json!({ "enabled": enabled })),
    )
    .await;
}

/// The status view shows the cache time the screen states.
#[tokio::test]
async fn the_status_view_states_the_cache_time() {
    let company = keyswitch_integration::fresh_company("it-rev-view");
    let t = session("company_admin", &[&company]).await;
    let v = status_of(&company, &t).await;
    assert_eq!(v["key_cache_seconds"], json!(cache_secs()), "{v}");
}

#[tokio::test]
async fn a_removed_role_stops_the_envelope_api_within_the_cache_time_and_lifts_at_once() {
    let w = world(true, 2048).await;
    let (company, t, mut keys) = switched("it-rev-role", &w).await;
    let before = status_of(&company, &t).await["company_key"].clone();

    remove_role(&w).await;
    let since = Instant::now();
    let body = refused_within_cache_time(&company, &keys[0].1, since, "role_removed").await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Access to the company's key")),
        "{body}"
    );
    assert!(
        body["fix"]
            .as_str()
            .is_some_and(|f| f.contains("Key Vault Crypto User")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&w.vault_uri) && d.contains("key_vault_forbidden")),
        "{body}"
    );
    // GenerateDataKey is refused the same way; it stays refused.
    let got = generate(&company, &envelope_token()).await;
    assert_error(&got, 422, "key_access_lost");
    assert_eq!(got.1["cause"], "role_removed");
    assert!(got.1.get("plaintext").is_none(), "{}", got.1);
    assert_error(
        &open(&company, &envelope_token(), &keys[1].1).await,
        422,
        "key_access_lost",
    );
    // The revocation changed nothing stored: the same company key.
    assert_eq!(status_of(&company, &t).await["company_key"], before);

    // Access returns: the very next call works, and every data key made
    // before the loss decrypts again.
    w.assign_role().await;
    assert_data_keys(&company, &keys).await;
    keys.push(data_key(&company).await);
    assert_data_keys(&company, &keys).await;
}

#[tokio::test]
async fn a_disabled_key_and_a_removed_tag_name_their_causes() {
    let w = world(true, 2048).await;
    let (company, _t, keys) = switched("it-rev-disabled", &w).await;

    set_enabled(&w, false).await;
    let since = Instant::now();
    refused_within_cache_time(&company, &keys[0].1, since, "key_disabled").await;
    set_enabled(&w, true).await;
    assert_data_keys(&company, &keys).await;

    // The key's owner removes the company from the binding tag.
    set_key_tags(
        &w.vault,
        &w.key,
        json!({"keyswitch-company": "someone-else"}),
    )
    .await;
    let since = Instant::now();
    let body = refused_within_cache_time(&company, &keys[1].1, since, "binding_removed").await;
    // The fix is the exact command that binds the key again.
    assert!(
        body["fix"]
            .as_str()
            .is_some_and(|f| f.contains("az keyvault key set-attributes") && f.contains(&company)),
        "{body}"
    );
    bind_key(&w.vault, &w.key, &company).await;
    assert_data_keys(&company, &keys).await;
}

#[tokio::test]
async fn removed_consent_bites_within_the_cache_time_too() {
    let w = world(true, 2048).await;
    let (company, _t, keys) = switched("it-rev-consent", &w).await;
    control("DELETE", &format!("/consents/{}", w.tenant), None).await;
    let since = Instant::now();
    refused_within_cache_time(&company, &keys[0].1, since, "consent_removed").await;
    // Consent granted again (as the admin would through Manage KMS), and
    // the role assigned to the service principal it creates.
    control("POST", "/consents", Some(json!({"tenant": w.tenant}))).await;
    w.assign_role().await;
    assert_data_keys(&company, &keys).await;
}

/// A 503 from Key Vault after the cache expired is transient: 503
/// `azure_unavailable`, never `key_access_lost`; once Key Vault answers,
/// the data keys decrypt.
#[tokio::test]
async fn a_key_vault_outage_stays_a_retryable_error() {
    let w = world(true, 2048).await;
    let (company, _t, keys) = switched("it-rev-503", &w).await;
    let id = add_fault(json!({
        "service": "keyvault",
        "path": format!("{}.vault.azure.net/keys/{}", w.vault, w.key),
        "count": 0,
        "action": {"kind": "status", "status": 503},
    }))
    .await;
    let deadline = Instant::now() + Duration::from_secs(cache_secs()) + SLACK;
    let got = loop {
        let got = open(&company, &envelope_token(), &keys[0].1).await;
        if got.0 != 200 || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let fired = fault(id).await.map(|f| f["fired"].clone());
    remove_fault(id).await;
    assert_error(&got, 503, "azure_unavailable");
    assert!(got.1.get("cause").is_none(), "{}", got.1);
    assert!(fired.is_some_and(|f| f.as_u64().unwrap_or(0) > 0));
    assert_data_keys(&company, &keys).await;
}

/// Another company's service credential and data keys: a revoked company's
/// data keys do not open under another company (which is unaffected), and
/// a credential not allowed for the revoked company learns nothing, not
/// even that access is lost.
#[tokio::test]
async fn other_companies_get_nothing_from_a_revoked_company() {
    let w = world(true, 2048).await;
    let (company, _t, keys) = switched("it-rev-victim", &w).await;
    let other = world(true, 2048).await;
    let (attacker, _ta, their_keys) = switched("it-rev-other", &other).await;

    remove_role(&w).await;
    let since = Instant::now();
    refused_within_cache_time(&company, &keys[0].1, since, "role_removed").await;

    // The victim's data key presented as the attacker's: refused as not a
    // data key of that company, and nothing of the victim's key leaks.
    let got = open(&attacker, &envelope_token(), &keys[0].1).await;
    assert_error(&got, 400, "invalid_input");
    assert!(got.1.get("plaintext").is_none(), "{}", got.1);
    assert!(got.1.get("cause").is_none(), "{}", got.1);
    // The attacker's own company is not affected by the victim's loss.
    assert_data_keys(&attacker, &their_keys).await;
    // A credential whose allow-list does not name the victim is refused
    // before the company is looked up: 403, no cause, no key.
    let got = open(&company, &envelope_token_next(), &keys[0].1).await;
    assert_error(&got, 403, "envelope_company_not_allowed");
    assert!(got.1.get("cause").is_none(), "{}", got.1);
    let got = generate(&company, "not-a-credential").await;
    assert_error(&got, 401, "not_signed_in");
}
