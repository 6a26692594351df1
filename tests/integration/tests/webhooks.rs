//! Issue 14, item 6: the host is told by signed webhooks. A completed switch
//! is delivered to the host's `WEBHOOK_URL` (the simulator's receiver) as
//! `kms.switch_completed`, signed `Keyswitch-Signature: t=..,v1=HMAC-SHA256(
//! secret, "<t>.<body>")`, with an idempotency id that stays the same across
//! retries; failures are retried with back-off, and every answer is a line
//! of the company's audit trail. A tampered or replayed delivery is caught
//! by the documented verification.

use hmac::{Hmac, Mac};
use keyswitch_integration::consent_helpers::{audit_events, now_ms};
use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::webhook_helpers::*;
use keyswitch_integration::*;
use keyswitch_shared::notify::{self, Rejected};
use serde_json::Value;
use sha2::Sha256;

/// HMAC-SHA256 over `"<t>.<body>"`, computed here (not with keyswitch's code).
fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn now_secs() -> i64 {
    i64::try_from(now_ms() / 1000).expect("now")
}

fn timestamp_of(signature: &str) -> i64 {
    signature
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("t= in the signature")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_completed_switch_is_delivered_signed_once_under_one_id_after_retries() {
    let w = world(true, 2048).await;
    let company = m365_company("it-whk", &w).await;
    let t = session("company_admin", &[&company]).await;
    // The host is down for the first two attempts.
    fail_next(&company, 2, 503).await;

    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");

    let got = wait_delivered(&company, "kms.switch_completed", 60).await;
    assert_eq!(got.len(), 3, "two failures then the delivery: {got:#?}");
    assert_eq!(
        got.iter().map(|d| d["status"].as_u64()).collect::<Vec<_>>(),
        vec![Some(503), Some(503), Some(200)]
    );
    let first = &got[0];
    let id = s(&first["id"]);
    assert!(id.starts_with("whk_"), "{first}");
    let secret = dev_secret("WEBHOOK_SECRET");
    for d in &got {
        // One id and one body on every attempt; the body names the id.
        assert_eq!(d["id"], first["id"]);
        assert_eq!(d["body"], first["body"]);
        assert_eq!(d["json"]["id"], id);
        assert_eq!(s(&d["content_type"]), "application/json");
        // Each attempt is signed at its own time, over that exact body.
        let sig = s(&d["signature"]);
        let at = timestamp_of(sig);
        assert!((now_secs() - at).abs() < 120, "{sig}");
        assert_eq!(sig, sign(&secret, at, s(&d["body"])), "{d}");
        assert_eq!(
            notify::verify(
                secret.as_bytes(),
                sig,
                s(&d["body"]).as_bytes(),
                now_secs(),
                300
            ),
            Ok(())
        );
    }
    // The receiver's own check passed and it processed the id once.
    assert_eq!(got[2]["signature_valid"], true);
    assert_eq!(got[2]["duplicate"], false);

    let body = &first["json"];
    assert_eq!(body["type"], "kms.switch_completed");
    assert_eq!(body["company_id"], company.as_str());
    assert!(s(&body["occurred_at"]).ends_with('Z'), "{body}");
    assert_eq!(body["data"]["provider"]["kind"], "azure_key_vault");
    assert_eq!(body["data"]["previous_provider"]["kind"], "platform");
    let status = status_of(&company, &t).await;
    assert_eq!(
        body["data"]["provider"]["kid"], status["provider"]["kid"],
        "{status}"
    );

    // The delivery log: two failures with their retry time, then delivered.
    let log: Vec<Value> = audit_events(&company, &t)
        .await
        .into_iter()
        .filter(|e| e["action"] == "webhook_delivery")
        .collect();
    let lines: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|e| (s(&e["outcome"]), s(&e["detail"])))
        .collect();
    assert_eq!(lines.len(), 3, "{log:#?}");
    assert_eq!(lines[0].0, "failed");
    assert!(
        lines[0].1.starts_with(&format!(
            "kms.switch_completed {id} attempt 1 failed (HTTP 503); retry at "
        )),
        "{lines:?}"
    );
    assert!(
        lines[1].1.contains("attempt 2 failed (HTTP 503)"),
        "{lines:?}"
    );
    assert_eq!(
        lines[2],
        (
            "succeeded",
            format!("kms.switch_completed {id} delivered on attempt 3 (HTTP 200)").as_str()
        )
    );
    for e in &log {
        assert_eq!(e["actor_role"], "system", "{e}");
        assert!(!s(&e["detail"]).contains(&secret));
    }
}

#[tokio::test]
async fn a_tampered_forged_or_replayed_delivery_is_rejected_by_the_documented_verification() {
    let w = world(true, 2048).await;
    let company = m365_company("it-whk-atk", &w).await;
    let t = session("company_admin", &[&company]).await;
    switch_to(&company, &t, &w, &w).await;
    let got = wait_delivered(&company, "kms.switch_completed", 60).await;
    let genuine = got.iter().find(|d| d["status"] == 200).expect("delivered");
    let (body, sig, id) = (
        s(&genuine["body"]),
        s(&genuine["signature"]),
        s(&genuine["id"]),
    );
    let secret = dev_secret("WEBHOOK_SECRET");
    let now = now_secs();

    // Replayed as captured (within the tolerance): the id was processed
    // already; the host does nothing twice.
    let replay = post_to_receiver(body, sig, id).await;
    assert_eq!(replay.0, 200, "{replay:?}");
    assert_eq!(replay.1["duplicate"], true, "{replay:?}");

    // Tampered: another company named in the body, the genuine signature.
    let tampered = body.replace(&company, "it-whk-victim");
    assert_ne!(tampered, body);
    assert_eq!(
        notify::verify(secret.as_bytes(), sig, tampered.as_bytes(), now, 300),
        Err(Rejected::BadSignature)
    );
    let (st, v) = post_to_receiver(&tampered, sig, "whk_forged_1").await;
    assert_eq!((st, s(&v["error"])), (401, "bad_signature"));

    // Re-timestamped by the attacker (to outlive the tolerance): the MAC
    // covers the timestamp.
    let moved = sig.replacen(
        &format!("t={}", timestamp_of(sig)),
        &format!("t={}", now + 60),
        1,
    );
    let (st, v) = post_to_receiver(body, &moved, "whk_forged_2").await;
    assert_eq!((st, s(&v["error"])), (401, "bad_signature"));

    // Forged with a guessed secret.
    let forged = sign("not-the-secret", now, body);
    let (st, v) = post_to_receiver(body, &forged, "whk_forged_3").await;
    assert_eq!((st, s(&v["error"])), (401, "bad_signature"));

    // A genuine signature from an hour ago (an old delivery replayed under a
    // fresh id): the timestamp is out of the tolerance.
    let old = sign(&secret, now - 3600, body);
    assert_eq!(
        notify::verify(secret.as_bytes(), &old, body.as_bytes(), now, 300),
        Err(Rejected::Stale)
    );
    let (st, v) = post_to_receiver(body, &old, "whk_forged_4").await;
    assert_eq!((st, s(&v["error"])), (401, "stale_timestamp"));

    // What the attacker got: nothing processed but the genuine id, once.
    let all = control("GET", "/webhooks", None).await;
    let processed: Vec<&str> = all["processed"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    assert!(processed.contains(&id));
    for forged_id in [
        "whk_forged_1",
        "whk_forged_2",
        "whk_forged_3",
        "whk_forged_4",
    ] {
        assert!(!processed.contains(&forged_id), "{forged_id} was processed");
    }
    // And keyswitch's side is unchanged: still done, one delivery logged.
    let status = status_of(&company, &t).await;
    assert_eq!(status["stage"], "done", "{status}");
    let delivered = audit_events(&company, &t)
        .await
        .into_iter()
        .filter(|e| e["action"] == "webhook_delivery")
        .count();
    assert_eq!(delivered, 1);
}
