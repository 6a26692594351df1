//! A RedApp session's RS256 signature is verified once per token per
//! isolate (`edge/src/jwt.rs`, `shared::verified_tokens`): what that cache
//! must never do, through the real worker. A remembered token still expires
//! on time, a copy with changed claims or a borrowed signature is refused,
//! and the role is checked per company on every request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyswitch_integration::{assert_error, call, fresh_company, session, session_with_ttl};
use serde_json::Value;

fn kms(company: &str) -> String {
    format!("/api/companies/{company}/kms")
}

/// `GET …/kms` of `company` with a fresh session of its own admin.
async fn status_as_its_admin(company: &str) -> (u16, Value) {
    let token = session("company_admin", &[company]).await;
    call("GET", &kms(company), Some(&token), None).await
}

/// The token with its claims replaced by `edit(claims)`, the header and
/// signature kept.
fn with_claims(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS");
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url claims"))
            .expect("json claims");
    edit(&mut claims);
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{claims}.{}", parts[0], parts[2])
}

#[tokio::test]
async fn a_verified_session_still_expires_on_time() {
    let company = fresh_company("it-sc-exp");
    // exp 56 s ago: inside the 60 s leeway for about 4 s more.
    let token = session_with_ttl("company_admin", &[&company], -56).await;
    let first = call("GET", &kms(&company), Some(&token), None).await;
    assert_eq!(first.0, 200, "{}", first.1);
    let again = call("GET", &kms(&company), Some(&token), None).await;
    assert_eq!(again.0, 200, "the remembered token: {}", again.1);
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let expired = call("GET", &kms(&company), Some(&token), None).await;
    assert_error(&expired, 401, "not_signed_in");
}

#[tokio::test]
async fn changed_claims_or_a_borrowed_signature_are_refused_after_the_token_was_verified() {
    let company = fresh_company("it-sc-forge");
    let other = fresh_company("it-sc-other");
    let token = session("company_admin", &[&company]).await;
    let ok = call("GET", &kms(&company), Some(&token), None).await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    let before_other = status_as_its_admin(&other).await;
    assert_eq!(before_other.0, 200, "{}", before_other.1);

    // Same signature, the other company added to the claims.
    let widened = with_claims(&token, |c| {
        c["companies"] = serde_json::json!([company, other]);
    });
    assert_error(
        &call("GET", &kms(&other), Some(&widened), None).await,
        401,
        "not_signed_in",
    );
    // Same signature, a later expiry.
    let extended = with_claims(&token, |c| {
        c["exp"] = Value::from(c["exp"].as_i64().expect("exp") + 3600);
    });
    assert_error(
        &call("GET", &kms(&company), Some(&extended), None).await,
        401,
        "not_signed_in",
    );
    // Another valid token's claims with this token's signature.
    let someone = session("partner_admin", &[&company, &other]).await;
    let parts: Vec<&str> = someone.split('.').collect();
    let sig = token.rsplit('.').next().expect("a signature");
    let borrowed = format!("{}.{}.{sig}", parts[0], parts[1]);
    assert_error(
        &call("GET", &kms(&other), Some(&borrowed), None).await,
        401,
        "not_signed_in",
    );
    // Malformed: a remembered token with a byte cut off.
    let cut = &token[..token.len() - 1];
    assert_error(
        &call("GET", &kms(&company), Some(cut), None).await,
        401,
        "not_signed_in",
    );

    // The original still works, and nothing changed for the other company.
    let still = call("GET", &kms(&company), Some(&token), None).await;
    assert_eq!(still.0, 200, "{}", still.1);
    let after_other = status_as_its_admin(&other).await;
    assert_eq!(after_other, before_other);
}

#[tokio::test]
async fn a_remembered_session_is_authorised_per_company_on_every_request() {
    let company = fresh_company("it-sc-role");
    let other = fresh_company("it-sc-role-other");
    let admin = session("company_admin", &[&company]).await;
    for _ in 0..2 {
        let ok = call("GET", &kms(&company), Some(&admin), None).await;
        assert_eq!(ok.0, 200, "{}", ok.1);
        assert_error(
            &call("GET", &kms(&other), Some(&admin), None).await,
            403,
            "forbidden_role",
        );
    }
    let user = session("company_user", &[&company]).await;
    for _ in 0..2 {
        assert_error(
            &call("GET", &kms(&company), Some(&user), None).await,
            403,
            "forbidden_role",
        );
    }
}
