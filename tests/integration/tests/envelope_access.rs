//! The envelope API's credentials (issue 13, item 7): two credentials are
//! valid at once (a rotation without downtime), each limited to the
//! companies of its allow-list, and a company nobody set up is refused
//! without a record being created.
//!
//! The local stack (scripts/lib.sh) has `ENVELOPE_SERVICE_TOKEN` for every
//! company (`ENVELOPE_COMPANIES=*`) and `ENVELOPE_SERVICE_TOKEN_NEXT` for
//! `acme` and `it-envelope-a` only (`ENVELOPE_COMPANIES_NEXT`).

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// A company on the second credential's allow-list.
const LISTED: &str = "it-envelope-a";

async fn generate(company: &str, token: &str) -> (u16, Value) {
    call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys"),
        Some(token),
        None,
    )
    .await
}

async fn open(company: &str, token: &str, wrapped: &str) -> (u16, Value) {
    call(
        "POST",
        &format!("/api/envelope/companies/{company}/data-keys/decrypt"),
        Some(token),
        Some(json!({ "wrapped": wrapped })),
    )
    .await
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    u64::try_from(since.as_millis()).expect("milliseconds fit")
}

#[tokio::test]
async fn both_credentials_work_during_a_rotation() {
    ensure_company(LISTED).await;
    let (current, next) = (envelope_token(), envelope_token_next());
    assert_ne!(current, next);
    // A data key made under the current credential opens under the next
    // one, and the other way round.
    let (s, made) = generate(LISTED, &current).await;
    assert_eq!(s, 200, "{made}");
    let (s, opened) = open(LISTED, &next, made["wrapped"].as_str().unwrap_or("")).await;
    assert_eq!(s, 200, "{opened}");
    assert_eq!(opened["plaintext"], made["plaintext"]);
    let (s, made) = generate(LISTED, &next).await;
    assert_eq!(s, 200, "{made}");
    let (s, opened) = open(LISTED, &current, made["wrapped"].as_str().unwrap_or("")).await;
    assert_eq!(s, 200, "{opened}");
    assert_eq!(opened["plaintext"], made["plaintext"]);
    // Neither a third token nor a console session is a credential.
    assert_error(
        &generate(LISTED, &format!("{current}x")).await,
        401,
        "not_signed_in",
    );
    let admin = session("partner_admin", &[LISTED]).await;
    assert_error(&generate(LISTED, &admin).await, 401, "not_signed_in");
}

#[tokio::test]
async fn a_credential_limited_to_named_companies_is_refused_for_another() {
    let other = fresh_company("it-env-b");
    ensure_company(&other).await;
    let (current, next) = (envelope_token(), envelope_token_next());
    let (s, made) = generate(&other, &current).await;
    assert_eq!(s, 200, "{made}");
    let wrapped = made["wrapped"].as_str().unwrap_or("").to_owned();
    // The next credential names acme and it-envelope-a, not this company:
    // it gets neither a new data key nor the plaintext of an existing one.
    let got = generate(&other, &next).await;
    assert_error(&got, 403, "envelope_company_not_allowed");
    assert_eq!(
        got.1["message"], "This service credential is not allowed for this company",
        "{}",
        got.1
    );
    assert!(got.1.get("plaintext").is_none(), "{}", got.1);
    let got = open(&other, &next, &wrapped).await;
    assert_error(&got, 403, "envelope_company_not_allowed");
    assert!(got.1.get("plaintext").is_none(), "{}", got.1);
    // The current credential (every company) still works for it.
    let (s, opened) = open(&other, &current, &wrapped).await;
    assert_eq!(s, 200, "{opened}");
    assert_eq!(opened["plaintext"], made["plaintext"]);
}

#[tokio::test]
async fn an_unknown_company_is_refused_and_no_record_is_created() {
    let unknown = fresh_company("it-env-unknown");
    let known = fresh_company("it-env-known");
    let (_, wrapped) = data_key(&known).await;
    let current = envelope_token();
    for got in [
        generate(&unknown, &current).await,
        open(&unknown, &current, &wrapped).await,
    ] {
        assert_error(&got, 404, "company_unknown");
        assert_eq!(
            got.1["message"], "This company has no KMS record",
            "{}",
            got.1
        );
        assert!(got.1.get("plaintext").is_none(), "{}", got.1);
    }
    // The limited credential is refused before the company is looked up.
    assert_error(
        &generate(&unknown, &envelope_token_next()).await,
        403,
        "envelope_company_not_allowed",
    );
    // Nothing was written: no audit entry, and the company's record (with
    // its company key) is first created by the admin's visit below, after
    // the refusals.
    let admin = session("partner_admin", &[&unknown]).await;
    let (s, audit) = call(
        "GET",
        &format!("{}/audit", kms(&unknown)),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{audit}");
    assert_eq!(audit["events"], json!([]), "{audit}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let before_visit = now_ms();
    let status = status_of(&unknown, &admin).await;
    assert_eq!(status["provider"]["kind"], "platform", "{status}");
    let created = status["company_key"]["created_at_ms"].as_u64().unwrap_or(0);
    assert!(
        created + 500 >= before_visit,
        "the record was created {} ms before the admin's visit: {status}",
        before_visit.saturating_sub(created)
    );
    // Once set up, the company is served.
    assert_eq!(generate(&unknown, &current).await.0, 200);
}
