//! AWS KMS (issue 13, item 9): the company key of a company on an AWS KMS
//! key is encrypted with the encryption context
//! `{"keyswitch:company": <company>}`, and decrypted with the same context,
//! so a key policy can limit the operator's use of the key to that company
//! (`kms:EncryptionContext:keyswitch:company`). Checked against moto through
//! the simulator's request log of the worker's KMS calls: a blob encrypted
//! for company A decrypts for A, and not for company B nor without context.

use keyswitch_integration::finalize_helpers::{data_key, decrypt};
use keyswitch_integration::switch_helpers::{moto_create_key, moto_url, move_to_aws};
use keyswitch_integration::{control, fresh_company, session, status_of};
use serde_json::{Value, json};

/// The KMS calls the worker made through the simulator's proxy.
async fn kms_calls() -> Vec<Value> {
    control("GET", "/requests?service=aws", None).await["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| e.get("kms").cloned())
        .collect()
}

/// `TrentService.Decrypt` straight to moto: `(status, __type)`.
async fn moto_decrypt(key_id: &str, blob: &str, context: Option<Value>) -> (u16, String) {
    let mut body = json!({"KeyId": key_id, "CiphertextBlob": blob});
    if let Some(c) = context {
        body["EncryptionContext"] = c;
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/", moto_url()))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "TrentService.Decrypt")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAKEYSWITCHTEST/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .expect("moto answers");
    let status = resp.status().as_u16();
    let v: Value = serde_json::from_str(&resp.text().await.unwrap_or_default()).unwrap_or_default();
    (status, v["__type"].as_str().unwrap_or_default().to_owned())
}

fn context_of(company: &str) -> Value {
    json!({"keyswitch:company": company})
}

#[tokio::test]
async fn the_company_key_on_aws_kms_is_bound_to_its_company_by_the_encryption_context() {
    let a = fresh_company("it-ctx-a");
    let b = fresh_company("it-ctx-b");
    let t = session("partner_admin", &[&a]).await;
    let arn = moto_create_key().await;
    let before = kms_calls().await.len();
    let (s, v) = move_to_aws(&a, &t, &arn).await;
    assert_eq!(s, 200, "{v}");
    // The answer shows the key-policy condition that limits keyswitch to A.
    let policy = &v["aws_key_policy"];
    assert_eq!(policy["company"], a.as_str(), "{v}");
    assert_eq!(
        policy["condition_key"], "kms:EncryptionContext:keyswitch:company",
        "{v}"
    );
    assert_eq!(
        policy["statement"]["Condition"],
        json!({"StringEquals": {"kms:EncryptionContext:keyswitch:company": a}}),
        "{v}"
    );
    assert_eq!(
        policy["statement"]["Action"],
        json!(["kms:Encrypt", "kms:Decrypt"]),
        "{v}"
    );
    assert!(
        policy["note"].as_str().is_some_and(|n| n.contains(&arn)),
        "{v}"
    );
    assert_eq!(v["kms"]["provider"]["kind"], "aws_kms", "{v}");
    assert_eq!(status_of(&a, &t).await["provider"]["kind"], "aws_kms");
    // A cold use of the company key decrypts it through KMS again.
    let (plain, wrapped) = data_key(&a).await;
    assert_eq!(decrypt(&a, &wrapped).await, (200, plain));

    // Every Encrypt and Decrypt the worker sends names a company; those of
    // this move name company A.
    let calls = kms_calls().await;
    for c in &calls {
        if matches!(c["action"].as_str(), Some("Encrypt" | "Decrypt")) {
            assert!(
                c["encryption_context"]["keyswitch:company"].is_string(),
                "a KMS call without the company's context: {c}"
            );
        }
    }
    let ours: Vec<&Value> = calls[before.min(calls.len())..]
        .iter()
        .filter(|c| c["encryption_context"] == context_of(&a))
        .collect();
    let encrypt = ours
        .iter()
        .find(|c| c["action"] == "Encrypt" && c["ciphertext_blob"].is_string())
        .expect("the move encrypted the company key for A");
    assert_eq!(encrypt["key_id"], arn.as_str(), "{encrypt}");
    assert!(
        ours.iter().any(|c| c["action"] == "Decrypt"),
        "the move's check decrypts with A's context: {ours:?}"
    );
    let blob = encrypt["ciphertext_blob"].as_str().expect("blob");

    // moto itself: the blob opens for A only.
    assert_eq!(moto_decrypt(&arn, blob, Some(context_of(&a))).await.0, 200);
    let (status, kind) = moto_decrypt(&arn, blob, Some(context_of(&b))).await;
    assert_eq!(status, 400, "{kind}");
    assert!(kind.contains("InvalidCiphertextException"), "{kind}");
    let (status, kind) = moto_decrypt(&arn, blob, None).await;
    assert_eq!(status, 400, "{kind}");
    assert!(kind.contains("InvalidCiphertextException"), "{kind}");
}
