//! OAuth `state` misuse at the one callback (issue 18 item 3): a forged or
//! altered state, an expired one, a replayed one, one of a cancelled setup
//! and one of the other sign-in flow are each refused with their own
//! catalog code, the company's state unchanged; and `/api/sign-in` sends
//! no one to another site (`return_to` open redirects).

use base64::Engine;
use keyswitch_integration::attack_helpers::*;
use keyswitch_integration::consent_helpers::callback;
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::*;
use keyswitch_shared::CompanyId;
use keyswitch_shared::oauth_state::{Flow, OAuthState, StateKey};
use serde_json::Value;

/// The key the local worker signs states with: HKDF-SHA256 of the stack's
/// `PLATFORM_KEY` (edge/src/oauth_state.rs). Only to show what the model
/// does with a state of the other flow, which the MAC alone would stop.
fn state_key() -> StateKey {
    let platform = base64::engine::general_purpose::STANDARD
        .decode(dev_secret("PLATFORM_KEY").trim())
        .expect("PLATFORM_KEY is base64");
    let mut okm = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, &platform)
        .expand(b"keyswitch/oauth-state-mac/v1", &mut okm)
        .expect("32 bytes");
    StateKey::new(&okm).expect("a key")
}

/// The random part of a state `{company}.{flow}.{nonce}.{mac}`.
fn nonce_of(state: &str) -> String {
    state.split('.').nth(2).expect("a nonce").to_owned()
}

/// A callback URL's landing page: (status, code).
async fn land(url: &str) -> (u16, Option<String>, String) {
    let (status, _, html) = get_page(url).await;
    (status, landing_code(&html), html)
}

/// The company's view without the fields that move by themselves.
async fn snapshot(company: &str, token: &str) -> Value {
    let mut v = status_of(company, token).await;
    if let Value::Object(m) = &mut v {
        m.remove("as_of");
        m.remove("health");
    }
    v
}

/// Starts a setup and walks Microsoft's consent page as the world's admin:
/// the callback URL (not visited yet).
async fn consent_back(company: &str, token: &str, w: &World) -> String {
    let (s, v) = start(company, token, &w.vault_uri, &w.key).await;
    assert_eq!(s, 200, "{v}");
    let consent = v["consent_url"].as_str().expect("a consent URL").to_owned();
    consent_as(&consent, &w.admin_oid, "accept").await
}

/// Starts verifying the world's tenant and signs in as its admin: the
/// callback URL (not visited yet).
async fn verify_back(company: &str, token: &str, w: &World) -> String {
    let url = begin_verify(company, token, &m365(&w.tenant)).await;
    sign_in(&url, &w.admin_oid, "accept").await
}

/// Visiting `url` is refused with 400 `code`, and the company is unchanged.
async fn refused_unchanged(company: &str, token: &str, url: &str, code: &str) {
    let before = snapshot(company, token).await;
    let (status, got, html) = land(url).await;
    assert_eq!(status, 400, "{code}: {html}");
    assert_eq!(got.as_deref(), Some(code), "{html}");
    assert_eq!(snapshot(company, token).await, before, "{code}");
}

#[tokio::test]
async fn forged_altered_and_foreign_states_are_refused_before_anything_is_touched() {
    let w = world(true, 2048).await;
    let company = company_for("it-st-forge", &w, false).await;
    let other = fresh_company("it-st-other");
    let t = session("partner_admin", &[&company, &other]).await;
    ready_to_verify(&company, &t, &w).await;
    let back = verify_back(&company, &t, &w).await;
    let state = param_of(&back, "state");
    let (head, mac) = state.rsplit_once('.').expect("a MAC");
    let before = snapshot(&company, &t).await;
    let audit_before = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    for forged in [
        format!("{head}.AAAA{}", &mac[4..]),
        state.replacen(&company, &other, 1),
        state.replacen(".verify.", ".consent.", 1),
        format!("{head}x.{mac}"),
        "acme.verify.abc.def".to_owned(),
        String::new(),
    ] {
        let (status, code, html) = land(&with_param(&back, "state", &forged)).await;
        assert_eq!(status, 400, "{forged}: {html}");
        assert_eq!(
            code.as_deref(),
            Some("oauth_state_invalid"),
            "{forged}: {html}"
        );
        // The company is not named on a page for a state keyswitch did not issue.
        assert!(!html.contains(&company), "{html}");
    }
    assert_eq!(snapshot(&company, &t).await, before);
    let audit_after = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    assert_eq!(
        audit_after, audit_before,
        "a forged state writes no audit entry"
    );
    // The other company has no record at all: nothing was created for it.
    assert_no_record(&other).await;
    // The genuine state still works afterwards.
    let (status, code, html) = land(&back).await;
    assert_eq!((status, code), (200, None), "{html}");
}

#[tokio::test]
async fn a_replayed_state_is_used_and_changes_nothing() {
    let w = world(true, 2048).await;
    let company = company_for("it-st-replay", &w, true).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    let back = verify_back(&company, &t, &w).await;
    let (status, code, html) = land(&back).await;
    assert_eq!((status, code), (200, None), "{html}");
    let before = snapshot(&company, &t).await;
    assert_eq!(
        tenant_entry(&before, "microsoft365")["status"]["status"],
        "verified"
    );
    for _ in 0..2 {
        let (status, code, html) = land(&back).await;
        assert_eq!(status, 400, "{html}");
        assert_eq!(code.as_deref(), Some("oauth_state_used"), "{html}");
    }
    assert_eq!(snapshot(&company, &t).await, before);

    // The admin-consent state likewise.
    let company = fresh_company("it-st-replay-c");
    let t = session("company_admin", &[&company]).await;
    let back = consent_back(&company, &t, &w).await;
    let (status, code, html) = land(&back).await;
    assert_eq!((status, code), (200, None), "{html}");
    refused_unchanged(&company, &t, &back, "oauth_state_used").await;
}

#[tokio::test]
async fn a_state_of_a_cancelled_setup_is_superseded_and_does_not_count_for_the_next() {
    let w = world(true, 2048).await;
    let company = company_for("it-st-old", &w, false).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    let old = verify_back(&company, &t, &w).await;
    let (s, v) = call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    // A new setup, its tenant unverified (after the connection test's rate
    // limit, 3 s in the test stack).
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    ready_to_verify(&company, &t, &w).await;
    let before = snapshot(&company, &t).await;
    assert_eq!(
        tenant_entry(&before, "microsoft365")["status"]["status"],
        "unverified"
    );
    refused_unchanged(&company, &t, &old, "oauth_state_superseded").await;

    // The admin-consent state of a cancelled setup.
    let company = fresh_company("it-st-old-c");
    let t = session("company_admin", &[&company]).await;
    let back = consent_back(&company, &t, &w).await;
    let (s, v) = call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    refused_unchanged(&company, &t, &back, "oauth_state_superseded").await;
}

#[tokio::test]
async fn an_expired_state_is_refused_as_expired() {
    let w = world(true, 2048).await;
    let company = company_for("it-st-exp", &w, false).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    let back = verify_back(&company, &t, &w).await;
    // OAUTH_STATE_TTL_SECONDS is 30 in the test stack.
    tokio::time::sleep(std::time::Duration::from_secs(32)).await;
    let before = snapshot(&company, &t).await;
    let (status, code, html) = land(&back).await;
    assert_eq!(status, 400, "{html}");
    assert_eq!(code.as_deref(), Some("oauth_state_expired"), "{html}");
    let after = snapshot(&company, &t).await;
    assert_eq!(
        tenant_entry(&after, "microsoft365")["status"]["status"],
        "unverified"
    );
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_state_of_the_other_flow_is_refused_even_with_a_valid_mac() {
    let w = world(true, 2048).await;
    let key = state_key();
    let company = company_for("it-st-flow", &w, false).await;
    let id: CompanyId = company.parse().expect("a company id");
    let t = session("partner_admin", &[&company]).await;

    // The admin-consent sign-in's nonce, re-signed as a verification state.
    let back = consent_back(&company, &t, &w).await;
    let nonce = nonce_of(&param_of(&back, "state"));
    let crossed = OAuthState::new(id.clone(), Flow::TenantVerification, nonce).sign(&key);
    let url = with_param(&back, "state", &crossed);
    refused_unchanged(&company, &t, &url, "oauth_state_wrong_flow").await;
    // The consent itself still works with its own state.
    let (status, code, html) = land(&back).await;
    assert_eq!((status, code), (200, None), "{html}");

    // A verification sign-in's nonce, re-signed as an admin-consent state.
    w.assign_role().await;
    w.bind_key(&company).await;
    let (s, v) = call("POST", &format!("{}/test", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call("POST", &format!("{}/save", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    let back = verify_back(&company, &t, &w).await;
    let nonce = nonce_of(&param_of(&back, "state"));
    let crossed = OAuthState::new(id, Flow::AdminConsent, nonce).sign(&key);
    let url = with_param(&back, "state", &crossed);
    refused_unchanged(&company, &t, &url, "oauth_state_wrong_flow").await;
    let (status, code, html) = land(&back).await;
    assert_eq!((status, code), (200, None), "{html}");
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let origin = worker_url();
    for bad in [
        "//evil.example/x",
        "https://evil.example/",
        "http://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
        "/\t/evil.example",
        "",
    ] {
        let enc: String = url_encode(bad);
        let r = call_raw("GET", &format!("/api/sign-in?return_to={enc}"), None, None).await;
        assert_eq!(r.0, 400, "{bad:?}: {r:?}");
        let body: Value = serde_json::from_str(&r.1).expect("a catalog body");
        assert_eq!(body["code"], "invalid_input", "{bad:?}");
        assert_eq!(body["field"], "return_to", "{bad:?}");
    }
    // A path of this console is accepted and comes back to this origin only.
    let own = reqwest::Url::parse(&origin).expect("the worker's URL");
    for good in [
        "/",
        "/companies/acme/kms",
        "/companies/acme/kms?x=1#y",
        // Percent-encoded tricks stay a path of this origin.
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
    ] {
        let (status, headers, _) = get_page(&format!(
            "{origin}/api/sign-in?return_to={}",
            url_encode(good)
        ))
        .await;
        assert_eq!(status, 302, "{good}");
        let location = headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("a Location")
            .to_owned();
        let return_to = param_of(&location, "return_to");
        assert_eq!(return_to, format!("{origin}{good}"), "{location}");
        let back = reqwest::Url::parse(&return_to).expect("an absolute URL");
        assert_eq!(back.origin(), own.origin(), "{return_to}");
    }
}

/// `company` has no KMS record: the backup engine finds no read copy.
async fn assert_no_record(company: &str) {
    let path = format!("/api/envelope/companies/{company}/kms-state");
    assert_error(
        &call("GET", &path, Some(&envelope_token()), None).await,
        404,
        "not_found",
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_state_for_a_company_without_a_record_creates_nothing() {
    // A genuine-looking callback for a company that never opened Manage KMS.
    let ghost = fresh_company("it-st-ghost");
    let (status, code, html) = land(&callback(&format!("state={ghost}.consent.n.x"))).await;
    assert_eq!(status, 400, "{html}");
    assert_eq!(code.as_deref(), Some("oauth_state_invalid"), "{html}");
    assert_no_record(&ghost).await;
}

#[tokio::test]
async fn google_verification_states_are_refused_the_same_way() {
    let w = world(true, 2048).await;
    let company = company_for("it-st-g", &w, true).await;
    let t = session("partner_admin", &[&company]).await;
    ready_to_verify(&company, &t, &w).await;
    let google = gws(GOOGLE_CUSTOMER);
    let admin = google_email("super").await;
    let url = begin_verify(&company, &t, &google).await;
    let back = sign_in(&url, &admin, "accept").await;
    // Altered: its MAC no longer matches.
    let state = param_of(&back, "state");
    let altered = format!("{}A", &state[..state.len() - 1]);
    let altered = if altered == state {
        format!("{}B", &state[..state.len() - 1])
    } else {
        altered
    };
    refused_unchanged(
        &company,
        &t,
        &with_param(&back, "state", &altered),
        "oauth_state_invalid",
    )
    .await;
    // Genuine once, then used.
    let (status, code, html) = land(&back).await;
    assert_eq!((status, code), (200, None), "{html}");
    refused_unchanged(&company, &t, &back, "oauth_state_used").await;
    // A second Google sign-in of a setup that is then cancelled: superseded.
    let (s, v) = call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    ready_to_verify(&company, &t, &w).await;
    let url = begin_verify(&company, &t, &google).await;
    let old = sign_in(&url, &admin, "accept").await;
    let (s, v) = call("POST", &format!("{}/cancel", kms(&company)), Some(&t), None).await;
    assert_eq!(s, 200, "{v}");
    refused_unchanged(&company, &t, &old, "oauth_state_superseded").await;
}
